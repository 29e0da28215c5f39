/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_COVERAGE_H
#define VIREO_COVERAGE_H

/*
 * coverage: event counters with their rates over the last 5 seconds, minute and hour, as
 * Open vSwitch's coverage/show prints them.
 *
 * Counters are of two kinds: events counted where they happen (coverage_inc(), main thread
 * only: reconfigurations, port and rule changes, log reopens) and totals the dataplane
 * already keeps per PMD, set once a second by their owner (coverage_set()).  coverage_run()
 * takes a sample of every total once a second (main thread); the rates come from those
 * samples.  Nothing here runs on a PMD thread.
 */

#include <stdint.h>

enum coverage_counter {
	COV_BRIDGE_RECONFIGURE,
	COV_PORT_ADD,
	COV_PORT_DEL,
	COV_BRIDGE_PUBLISH,
	COV_FDB_FLUSH,
	COV_VLOG_REOPEN,
	COV_DATAPATH_RX,
	COV_DATAPATH_DROP,
	COV_DROP_TOO_MANY_RESUBMITS,
	COV_DROP_RECURSION_TOO_DEEP,
	COV_DROP_TOO_MANY_OUTPUTS,
	COV_N_COUNTERS,
};

/** Count one event (main thread). */
void coverage_inc(enum coverage_counter c);
/** Set a counter kept elsewhere to its current total (main thread). */
void coverage_set(enum coverage_counter c, uint64_t total);
/** Take this second's sample (main thread, about once a second). */
void coverage_run(void);
/** coverage/show's text (malloc'd). */
char *coverage_show(void);

#endif /* VIREO_COVERAGE_H */
