/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_DAEMON_H
#define VIREO_DAEMON_H

/*
 * daemon: ovs-vswitchd's process options for vireo-dp: --pidfile, --detach, --monitor,
 * --no-chdir, and the run directory that ovs-appctl looks in.
 *
 * Processes: with --detach the process that was started forks and waits, without exiting,
 * until the daemon says it is ready (daemon_ready()), then exits 0; when the daemon fails
 * before that, it exits with the daemon's status, so `vireo-dp --detach` fails as the
 * foreground daemon would.  With --monitor a process in between forks the daemon and, when
 * it dies of a crash (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGXCPU, SIGXFSZ), forks it
 * again, at most once every 10 seconds; on any other death it exits with the daemon's
 * status.  SIGTERM and SIGINT sent to the monitor are passed on to the daemon.  Everything
 * forks before DPDK or any thread starts: daemon_start() must be the first thing main()
 * does after reading its options.
 *
 * The pidfile holds the daemon's pid (not the monitor's) and a write lock (fcntl) for the
 * daemon's lifetime, so a second daemon with the same pidfile refuses to start and a stale
 * file from a killed daemon is taken over.
 */

#include <stdbool.h>

struct daemon_opts {
	const char *pidfile;	/**< NULL: none; "": the default */
	bool detach;
	bool monitor;
	bool no_chdir;
};

/** $OVS_RUNDIR, or /var/run/openvswitch. */
const char *daemon_rundir(void);

/**
 * Fork as 'o' asks.  Returns 0 in the daemon; the waiting parent and the monitor never
 * return (they exit).  Returns -errno when a fork or pipe fails.
 */
int daemon_start(const struct daemon_opts *o);

/**
 * Create and lock the pidfile of 'o' (nothing without --pidfile).  Returns 0, or -errno with
 * a malloc'd message naming the file in '*err' (another daemon holds it, cannot write).
 */
int daemon_pidfile_create(const struct daemon_opts *o, char **err);

/** The daemon is serving: release the waiting parent, leave the terminal and the cwd.  Only
 *  the first call does anything. */
void daemon_ready(void);

/** Remove the pidfile (at a clean exit). */
void daemon_fini(void);

#endif /* VIREO_DAEMON_H */
