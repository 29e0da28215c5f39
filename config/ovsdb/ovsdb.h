/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_OVSDB_H
#define VIREO_OVSDB_H

/*
 * vovsdb: an OVSDB client that lets Open vSwitch's ovsdb-server and ovs-vsctl drive vireo-dp
 * the way they drive ovs-vswitchd.
 *
 * What?
 * =====
 * One connection to ovsdb-server (RFC 7047 over "unix:PATH" or "tcp:IP:PORT").  On each
 * connection the client:
 *   1. asks for the schema ("get_schema") to learn which columns exist and how their values
 *      are encoded (scalar, set or map), and takes the lock "ovs_vswitchd" ("lock"), exactly
 *      as ovs-vswitchd does.  If another process holds the lock (a running ovs-vswitchd or a
 *      second vireo-dp) the client calls ops->fatal once and stops: there are never two
 *      writers;
 *   2. monitors Open_vSwitch, Bridge, Port and Interface with "monitor_cond" (update2 diffs),
 *      falling back to RFC 7047 "monitor" when the server does not know monitor_cond;
 *   3. keeps a replica of the monitored columns and, whenever the replica's desired state or
 *      Open_vSwitch:next_cfg changes, builds a complete 'struct vconf' and hands it to
 *      ops->config.  The dataplane diffs it against what runs; the client never restarts
 *      anything.
 *
 * What the dataplane reports (ofport, error, link state, mtu, status, statistics of each
 * Interface; cur_cfg and the DPDK facts of Open_vSwitch) is queued with vovsdb_set_*() and
 * written by vovsdb_run() as one transaction, guarded by an "assert" of the lock, holding only
 * the columns whose value differs from what this connection last wrote.  At most one
 * transaction is in flight; changes made meanwhile go in the next one.  ofport and error are
 * written in the same transaction as (or before) cur_cfg, because ovs-vsctl, once cur_cfg
 * reaches the next_cfg it wrote, looks at the ofport of each Interface it created and prints
 * "Error detected while setting up 'NAME'" when it is missing or -1.
 *
 * Bridges whose datapath_type is not "netdev" are not ours: they are left out of the vconf and
 * the client itself marks their interfaces failed (ofport -1 and an error text), as it does for
 * ports with more than one interface (bonds).
 *
 * Resilience: when the connection fails or the server sends something that is not JSON-RPC,
 * the client logs it, closes the connection and reconnects after 100 ms, doubling up to 8 s
 * (reset once a session is up).  After a reconnect the replica is rebuilt from the new
 * snapshot, ops->config is called again (so cur_cfg is re-sent) and every reported column is
 * written again (ephemeral columns such as status and statistics do not survive a restart of
 * ovsdb-server).  A malformed value inside an otherwise valid message is logged and the row
 * (or reply) ignored.  Forwarding is never stopped by any of this: the client only calls
 * ops->config with a new desired state.
 *
 * Event loop
 * ==========
 * The client never blocks.  vovsdb_fd() is one descriptor for the client's whole life (an
 * epoll set holding the current socket with the events it needs, so reconnects never change
 * it): the caller adds it once to its own epoll set or poll() array for POLLIN/EPOLLIN, and
 * calls vovsdb_run() when it is readable or when vovsdb_timeout_ms() has passed.  Calling
 * vovsdb_run() more often is harmless.
 *
 * Thread-safety
 * =============
 * None: one thread (vireo-dp's main thread) creates, runs, feeds and destroys a client.  The
 * callbacks run inside vovsdb_run(), on that thread.  They may call vovsdb_set_*(), but not
 * vovsdb_run() or vovsdb_destroy().
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/** The remote used when vovsdb_create() gets NULL: Open vSwitch's usual database socket. */
#define VOVSDB_DEFAULT_REMOTE "unix:/var/run/openvswitch/db.sock"

struct vovsdb;

/** What the client calls back. All three are required. */
struct vovsdb_ops {
	/**
	 * A new desired state.  'cfg' holds Open_vSwitch:other_config and the netdev bridges
	 * with their ports (Interface columns type, options, ofport_request, mtu_request;
	 * has_flows false); it is valid until the next call or vovsdb_destroy() (keep a copy
	 * with vconf_copy()).  After applying it, the dataplane reports each port with
	 * vovsdb_set_iface() and then calls vovsdb_set_cur_cfg('next_cfg').  Called after every
	 * update that changes the state or next_cfg, and once after each (re)connection.
	 */
	void (*config)(void *aux, const struct vconf *cfg, int64_t next_cfg);
	/**
	 * The client cannot go on (the lock "ovs_vswitchd" is held by another process, or was
	 * stolen).  Called once; the client is then inert (fd -1) and should be destroyed.
	 */
	void (*fatal)(void *aux, const char *msg);
	/** A message for the log; 'level' is a syslog level (LOG_ERR ... LOG_DEBUG). */
	void (*log)(void *aux, int level, const char *msg);
};

/** One named counter of Interface:statistics. */
struct vovsdb_stat {
	const char *name;	/**< "rx_packets", "rx_bytes", "tx_packets", ... */
	int64_t value;
};

/** What the dataplane reports about one Interface (ovs-vswitchd's columns). */
struct vovsdb_iface_state {
	int64_t ofport;			/**< OpenFlow port number, -1 when the port failed. */
	const char *error;		/**< Why it failed; NULL clears the column. */
	const char *link_state;		/**< "up", "down" or NULL (column cleared). */
	const char *admin_state;	/**< "up", "down" or NULL (column cleared). */
	int64_t mtu;			/**< 0 clears the column. */
	const struct vconf_map *status;	/**< driver_name, numa_id, n_rxq...; NULL: unchanged. */
	const struct vovsdb_stat *stats;	/**< NULL: statistics unchanged. */
	size_t n_stats;
};

/**
 * Create a client and start connecting to 'remote' ("unix:PATH", "tcp:IP:PORT",
 * "tcp:[IPv6]:PORT", or NULL for VOVSDB_DEFAULT_REMOTE).  Never blocks: a server that is not
 * there yet is retried with backoff.
 *
 * @return the client, or NULL with a malloc'd message in '*err' (bad remote syntax, no
 *         memory).
 */
struct vovsdb *vovsdb_create(const char *remote, const struct vovsdb_ops *ops, void *aux,
		char **err);

/** Close the connection and free everything. NULL is allowed. */
void vovsdb_destroy(struct vovsdb *db);

/**
 * The descriptor to wait on for reading (POLLIN / EPOLLIN); valid and unchanged from
 * vovsdb_create() to vovsdb_destroy(), across reconnects.  Readable when vovsdb_run() has
 * socket work to do.
 */
int vovsdb_fd(const struct vovsdb *db);

/**
 * Read and process what the server sent, call the callbacks, send the queued write-back,
 * reconnect when it is time.  Never blocks.
 */
void vovsdb_run(struct vovsdb *db);

/**
 * Milliseconds until vovsdb_run() must be called even without fd events (reconnect backoff,
 * a queued write-back, the TCP inactivity probe); 0 = now, -1 = only on fd events.
 */
int vovsdb_timeout_ms(const struct vovsdb *db);

/** True while a session is up: connected, lock held, initial snapshot received. */
bool vovsdb_is_ready(const struct vovsdb *db);

/**
 * Report the state of Interface 'name'.  Columns equal to what was last written are not sent
 * again.  The entry is forgotten when the Interface leaves the database.
 *
 * @return 0 or -ENOMEM.
 */
int vovsdb_set_iface(struct vovsdb *db, const char *name, const struct vovsdb_iface_state *st);

/**
 * Report only the statistics of Interface 'name' (the periodic refresh); the other columns
 * keep what vovsdb_set_iface() last reported.  @return 0 or -ENOMEM.
 */
int vovsdb_set_iface_stats(struct vovsdb *db, const char *name, const struct vovsdb_stat *stats,
		size_t n_stats);

/**
 * Report the state of the Controller row 'uuid' (vconf_controller.uuid): is_connected,
 * role ("other", "master", "slave"; NULL clears) and status (state, last_error).  Forgotten
 * when the row leaves our bridges.  @return 0 or -ENOMEM.
 */
int vovsdb_set_controller(struct vovsdb *db, const char *uuid, bool connected, const char *role,
		const struct vconf_map *status);

/**
 * Report the statistics column of the Mirror row 'uuid' (vconf_mirror.uuid): tx_packets,
 * tx_bytes.  Forgotten when the row leaves our bridges.  @return 0 or -ENOMEM.
 */
int vovsdb_set_mirror_stats(struct vovsdb *db, const char *uuid,
		const struct vovsdb_stat *stats, size_t n_stats);

/**
 * Report the status columns of Bridge 'name' as ovs-vswitchd writes them: datapath_id (the
 * datapath ID OpenFlow reports, as 16 hex digits) and datapath_version.  Forgotten when the
 * bridge leaves the database.  @return 0 or -ENOMEM.
 */
int vovsdb_set_bridge(struct vovsdb *db, const char *name, uint64_t datapath_id,
		const char *datapath_version);

/** Write Open_vSwitch:cur_cfg = 'cur_cfg' (after the config of that next_cfg is applied). */
int vovsdb_set_cur_cfg(struct vovsdb *db, int64_t cur_cfg);

/**
 * Write Open_vSwitch:dpdk_initialized, dpdk_version (NULL clears) and the NULL-terminated
 * lists datapath_types and iface_types (NULL leaves a column as it is).
 */
int vovsdb_set_system(struct vovsdb *db, bool dpdk_initialized, const char *dpdk_version,
		const char *const *datapath_types, const char *const *iface_types);

#endif /* VIREO_OVSDB_H */
