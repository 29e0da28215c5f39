/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VLOG_H
#define VIREO_VLOG_H

/*
 * vlog: vireo-dp's log, with Open vSwitch's model of it.
 *
 * What?
 * =====
 * Every message belongs to a module ("dataplane" for dp_log(), "dpdk" for DPDK's own log,
 * which rte_openlog_stream() hands us) and has a level (emer, err, warn, info, dbg).  Each
 * module has one level per destination: console (stderr), syslog and file (--log-file).  A
 * message goes to every destination whose level admits it.  `vlog/set` changes levels with
 * OVS's spec: words joined by ':' naming a module, a destination and a level in any order,
 * each one optional and "any" meaning all (`vlog/set dpdk:file:dbg`, `vlog/set ANY:info`).
 *
 * Formats: the console keeps vireo-dp's line ("TIME vireo-dp: MESSAGE"), which tests and
 * scripts read; the file and syslog use OVS's ("TIME|SEQ|MODULE|LEVEL|MESSAGE"), so that
 * tools made for ovs-vswitchd.log read ours.
 *
 * Log rotation: vlog_reopen() (vlog/reopen, SIGHUP) opens the file by its name again, so a
 * file renamed by logrotate is left behind.  When the daemon is detached, stderr is the log
 * file too (or /dev/null without one): writes that bypass vlog (libraries printing to stderr)
 * are kept, and reopening moves them as well.
 *
 * Thread-safety: vlog_msg() may be called from any thread (PMDs log from theirs); one mutex
 * orders the writes.  Everything else is for the main thread.
 */

#include <stdarg.h>
#include <stdbool.h>

enum vlog_level {
	VLL_OFF,
	VLL_EMER,
	VLL_ERR,
	VLL_WARN,
	VLL_INFO,
	VLL_DBG,
	VLL_N_LEVELS,
};

enum vlog_module {
	VLM_DATAPLANE,
	VLM_DPDK,
	VLM_N_MODULES,
};

/** Log 'fmt' for 'module' at 'level'. */
void vlog_msg(enum vlog_module module, enum vlog_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void vlog_msg_va(enum vlog_module module, enum vlog_level level, const char *fmt, va_list ap);

/**
 * Apply one spec ("module:destination:level", any part optional, "any" for all).  Returns 0,
 * or -EINVAL with a malloc'd message naming the word that is neither in '*err'.
 */
int vlog_set_spec(const char *spec, char **err);

/**
 * Log to 'path' from now on (NULL: $OVS_LOGDIR/ovs-vswitchd.log, OVS_LOGDIR defaulting to
 * /var/log/openvswitch; a relative path is taken in that directory).  Returns 0 or -errno
 * with a message naming the file in '*err'.
 */
int vlog_set_log_file(const char *path, char **err);

/** The log file's name, or NULL without --log-file. */
const char *vlog_log_file(void);

/** Open the log file again by its name (log rotation).  Returns 0 or -errno with '*err'. */
int vlog_reopen(char **err);

/**
 * The daemon detached: the console destination is off and stderr (fd 2) is the log file, or
 * /dev/null without one.
 */
void vlog_detached(void);

/** Route DPDK's log (rte_log) through the "dpdk" module; call before rte_eal_init(). */
void vlog_take_dpdk_log(void);

/** Register vlog/list, vlog/set, vlog/reopen, vlog/close. */
void vlog_commands_register(void);

#endif /* VIREO_VLOG_H */
