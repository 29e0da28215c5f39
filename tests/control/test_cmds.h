/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_TESTS_CONTROL_CMDS_H
#define VIREO_TESTS_CONTROL_CMDS_H

/*
 * Commands the control tests' servers share (test_control, test_server, fuzz_control):
 * "echo [ARG...]" replies with its arguments joined by spaces; "stats" replies with the
 * JSON object {"packets": 42, "name": "pmd1"}.
 */

/** Registers "echo" and "stats" with the control library. */
void ctltest_register_common(void);

#endif
