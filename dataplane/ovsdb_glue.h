/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_OVSDB_GLUE_H
#define VIREO_OVSDB_GLUE_H

/*
 * dp_ovsdb: vireo-dp driven by Open vSwitch's ovsdb-server (`vireo-dp --ovsdb`), in the place
 * of ovs-vswitchd.
 *
 * What?
 * =====
 * The glue between the OVSDB client (config/ovsdb/ovsdb.h) and the dataplane (dp.h).  It
 * takes each configuration the client delivers, applies it with dp_reconfigure() (a diff:
 * ports that did not change keep forwarding), and writes back what ovs-vswitchd writes:
 * per Interface ofport (-1 when the port failed), error, link_state, admin_state, mtu and
 * status; per Bridge datapath_id and datapath_version; then Open_vSwitch:cur_cfg, so that ovs-vsctl without --no-wait returns.  Once a
 * second it refreshes link_state and status, and every stats-update-interval (default and
 * minimum 5000 ms, as in Open vSwitch) the statistics of every working port.
 *
 * Start-up
 * ========
 * DPDK's EAL needs other_config (dpdk-lcore-mask, dpdk-socket-mem, dpdk-extra), so the
 * dataplane cannot start before the first configuration: vireo-dp runs the client (with
 * its control socket and signals) until it holds the lock "ovs_vswitchd" and a
 * configuration with dpdk-init=true (or "try") has arrived.  As in ovs-vswitchd, DPDK is
 * initialised only once dpdk-init asks for it; until then every configuration is still
 * answered (cur_cfg written, so ovs-vsctl does not hang) with each port failed: ofport -1
 * and an error naming dpdk-init.  The daemon counts as started (--detach returns) once the
 * first configuration is answered, whether or not it asks for DPDK.  dpdk-init is read as
 * ovs-vswitchd reads it, in any case ("True"); with "try" an EAL that fails leaves vireo-dp
 * running without DPDK, answering as before with each port's error saying why (see
 * dp_ovsdb_dpdk_failed()); with "true" vireo-dp exits.
 *
 * What differs
 * ============
 * - Internal ports are kernel tap devices (port/port_internal.c); the bridge's own one,
 *   named like the bridge, is its LOCAL port (ofport 65534) and also shows the bridge's
 *   refused settings in its error column.  Before DPDK is initialised it is reported as
 *   ofport 65534, link down, so that ovs-vsctl add-br succeeds.
 * - Bad other_config values (a malformed mask, a PMD core this machine does not have) are
 *   logged once and ignored: the value in force is kept, as ovs-vswitchd does.
 * - While a port fails, every configuration is applied with dp_reconfigure(), even one that
 *   changes nothing the dataplane reads, so that the port is tried again (ovs-vswitchd
 *   reconfigures its bridges on every change).
 * - dpdk-lcore-mask, dpdk-socket-mem, dpdk-socket-limit, dpdk-extra, dpdk-hugepage-dir and
 *   vhost-sock-dir take effect when vireo-dp restarts (as in Open vSwitch; a change is
 *   logged); pmd-cpu-mask takes effect at once.
 * - vhost-sock-dir is Open vSwitch's: dpdkvhostuser sockets go to $OVS_RUNDIR (default
 *   /var/run/openvswitch), or to the directory vhost-sock-dir names under it ("..": refused),
 *   where Nova and libvirt look for them; in YAML mode the default is /run/vireo.
 *
 * Thread-safety
 * =============
 * None: everything runs on vireo-dp's main thread, inside dp_ovsdb_run() and
 * dp_ovsdb_periodic(), which may call dp_reconfigure().
 */

#include <stdbool.h>

#include "config.h"

struct dp;
struct dp_ovsdb;

/**
 * Create the client for 'remote' ("unix:PATH", "tcp:IP:PORT", NULL for Open vSwitch's usual
 * socket) and start connecting.  Never blocks.
 *
 * @return the glue, or NULL with a malloc'd message in '*err'.
 */
struct dp_ovsdb *dp_ovsdb_create(const char *remote, char **err);

/** Close the connection (releasing the lock) and free everything. NULL is allowed. */
void dp_ovsdb_destroy(struct dp_ovsdb *o);

/**
 * True once the client holds the lock and a configuration has arrived (and, when it does not
 * ask for DPDK, has been answered: every port failed, cur_cfg written).  Run the client with
 * dp_ovsdb_run() until then.
 */
bool dp_ovsdb_configured(const struct dp_ovsdb *o);

/** True when the latest configuration asks for DPDK (dpdk-init) and none runs yet. */
bool dp_ovsdb_wants_dpdk(const struct dp_ovsdb *o);

/**
 * The EAL could not start ('why', may be NULL).  With dpdk-init=try, as ovs-vswitchd,
 * vireo-dp goes on without DPDK: from now on every configuration is answered with each port
 * failed, its error saying why.  With dpdk-init=true it must exit.
 *
 * @return true when vireo-dp goes on (try), false when it must exit.
 */
bool dp_ovsdb_dpdk_failed(struct dp_ovsdb *o, const char *why);

/**
 * The configuration to start with, from the latest one received (for the EAL arguments and
 * dp_init()), bad other_config values left out; valid until dp_ovsdb_attach().
 *
 * @return the configuration, or NULL when out of memory.
 */
const struct vconf *dp_ovsdb_startup_config(struct dp_ovsdb *o);

/**
 * Hand the running dataplane to the glue: apply the start-up configuration, report every
 * port, cur_cfg and the DPDK facts (dpdk_initialized, dpdk_version, datapath_types,
 * iface_types).  From now on each new configuration is applied as it arrives.
 */
void dp_ovsdb_attach(struct dp_ovsdb *o, struct dp *dp);

/** The descriptor to add once to the caller's epoll set (EPOLLIN); stable across reconnects. */
int dp_ovsdb_fd(const struct dp_ovsdb *o);

/**
 * Report Controller row 'uuid': connected or not, the role of its connection ("other",
 * "master", "slave"), its state ("ACTIVE", "BACKOFF", ...) and last error (NULL: none).
 * Matches ofconn.h's dp_ofconn_report_fn ('aux' is the dp_ovsdb).
 */
void dp_ovsdb_report_controller(void *aux, const char *uuid, bool connected, const char *role,
	const char *state, const char *last_error);

/** Milliseconds until dp_ovsdb_run() is due at the latest, capped at 1000. */
int dp_ovsdb_timeout_ms(const struct dp_ovsdb *o);

/** Process what ovsdb-server sent, apply configurations, send write-backs.  Never blocks. */
void dp_ovsdb_run(struct dp_ovsdb *o);

/** Once a second: refresh link state and status; statistics every stats-update-interval. */
void dp_ovsdb_periodic(struct dp_ovsdb *o);

/** True once the client gave up (the lock was refused or stolen); vireo-dp must stop. */
bool dp_ovsdb_failed(const struct dp_ovsdb *o);

#endif /* VIREO_OVSDB_GLUE_H */
