/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_DP_OFCONN_H
#define VIREO_DP_OFCONN_H

/*
 * The OpenFlow management sockets of vireo-dp: one unix stream socket per bridge at
 * RUNDIR/BRIDGE.mgmt, where `ovs-ofctl CMD BRIDGE` finds it, served by openflow/ over the
 * bridge's flowtab.  RUNDIR is --openflow-rundir, else other_config:openflow-rundir, else
 * $OVS_RUNDIR, else /var/run/openvswitch (Open vSwitch's own rules).
 *
 * Main thread only: the listeners and connections sit in one epoll set of their own, whose
 * descriptor the main loop watches; dp_ofconn_run() serves it.  Connections are
 * non-blocking; each holds at most one message plus one read of input, and is not read
 * while its unsent replies exceed a bound (openflow.h).
 */

#include <stdbool.h>
#include <stdint.h>

struct dp;
struct dp_ofconn;

/**
 * Create the OpenFlow service of 'dp' ('rundir': the command line's directory or NULL).
 * Listeners open at the first dp_ofconn_sync().  @return NULL when out of memory.
 */
struct dp_ofconn *dp_ofconn_create(struct dp *dp, const char *rundir);
void dp_ofconn_destroy(struct dp_ofconn *o);
/** The epoll descriptor the main loop waits on. */
int dp_ofconn_fd(const struct dp_ofconn *o);
/** Open and close listeners (and close connections) so that they follow dp's bridges. */
void dp_ofconn_sync(struct dp_ofconn *o);
/** How a controller's state is reported (OVSDB's Controller row 'uuid'). */
typedef void dp_ofconn_report_fn(void *aux, const char *uuid, bool connected, const char *role,
	const char *state, const char *last_error);
/** Report the controllers that have an OVSDB row through 'fn' from now on. */
void dp_ofconn_set_report(struct dp_ofconn *o, dp_ofconn_report_fn *fn, void *aux);

/** Serve what is ready: accept, read, reply, write. */
void dp_ofconn_run(struct dp_ofconn *o);
/**
 * Timers and queues: packet_ins from the PMDs, port_status, controller reconnection,
 * inactivity probes, fail mode.  Call after every wakeup.  @return the ms within which it
 * wants to be called again.
 */
uint64_t dp_ofconn_tick(struct dp_ofconn *o);

#endif /* VIREO_DP_OFCONN_H */
