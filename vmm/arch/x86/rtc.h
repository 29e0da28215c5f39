/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VMM_X86_RTC_H
#define VIREO_VMM_X86_RTC_H

/*
 * The CMOS RTC's (rtc.c) one test hook: the host's UTC clock it reads, in nanoseconds since
 * the epoch (CLOCK_REALTIME).  tests/vmm/test_rtc.c steps it as an NTP step or `date -s`
 * would step the host's clock; nothing else changes it.
 */

#include <stdint.h>

extern int64_t (*rtc_host_ns)(void);

#endif
