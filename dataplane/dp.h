/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_DP_H
#define VIREO_DP_H

/*
 * dp: vireo-dp's state — bridges, ports, PMDs — and the calls that change it.
 *
 * What?
 * =====
 * 'struct dp' is owned by the main thread.  A configuration ('struct vconf', from YAML or
 * OVSDB) is applied with dp_reconfigure(), which diffs it against the running one: ports
 * that did not change keep forwarding; new ports are opened; removed ones unpublished,
 * synchronised and closed.  A port that fails to open stays in the table with its error
 * (shown by `show`, written to OVSDB) and carries no traffic; the others are untouched.
 *
 * Thread-safety
 * =============
 * Main thread: everything in this header.  PMD threads see only the published snapshots
 * ('struct bridge_snap' per bridge, 'struct pmd_rxq_set' per PMD) and the ports those
 * reference; see port.h and pmd.h.  rte_vhost's thread only flips per-queue enable flags and
 * the device id of vhost ports (port/port_vhost.c), synchronising with PMDs through the
 * same rte_rcu_qsbr.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf_dyn.h>

#include "config.h"
#include "port.h"
#include "pmd.h"
#include "rcu.h"
#include "mac.h"
#include "ofport.h"
#include "flowtab.h"

struct control_conn;
struct rte_mempool;
struct rte_rcu_qsbr;
struct dp_bridge;

/**
 * A port of a bridge: the port layer's device, and what the dataplane keeps beside it.
 * Written by the main thread before publication, read-only while published.
 */
struct dp_port {
	struct port port;		/**< what PMDs poll and send on */
	uint32_t ofport;
	struct dp_bridge *bridge;
	struct vconf_port cfg;		/**< the configuration it was opened with */
	char *error;			/**< why open failed; NULL when the port works */
};

/** The dataplane port around 'p' (every port the dataplane opens is one). */
static inline struct dp_port *
dp_port_of(struct port *p)
{
	return container_of(p, struct dp_port, port);
}

/** OpenFlow's LOCAL port: the bridge's own internal port, named like the bridge. */
#define DP_OFPORT_LOCAL ((int)FLOWTAB_OFPP_LOCAL)

/** True when port 'cfg' of bridge 'br' is its LOCAL port (type internal, the bridge's name). */
bool dp_port_is_local(const struct dp_bridge *br, const struct vconf_port *cfg);

/** Bursts a PMD may hold back from patch ports while it is busy processing. */
#define DP_PATCH_PENDING 16
/** Packets that may cross patch ports per received burst: a patch loop ends there. */
#define DP_PATCH_BUDGET (32 * PORT_BURST)

/** A burst handed over by a patch port, waiting for its PMD to finish the current one. */
struct dp_patch_burst {
	struct port *in;
	uint16_t n;
	struct rte_mbuf *pkts[PORT_BURST];
};

/** Per PMD: the dataplane's state for it (pmd->ctx). */
struct dp_pmd_ctx {
	struct flowtab_pmd *ft;
	struct flowtab_pmd_stats ft_cleared;	/**< main thread: subtracted by pmd-stats-clear */
	uint64_t pin_dropped;		/**< PMD only: packet_ins the full ring refused */
	/* PMD only: patch ports (dp_patch_deliver) */
	bool busy;			/**< inside the process function: hold bursts back */
	uint32_t patch_budget;		/**< packets that may still cross a patch port */
	uint16_t n_pending;
	struct dp_patch_burst pending[DP_PATCH_PENDING];
};

/** How a port carries VLANs in MAC learning (Open vSwitch's Port vlan_mode). */
enum dp_vlan_mode {
	DP_VLAN_TRUNK,			/**< tagged VLANs of 'trunks'; untagged is VLAN 0 */
	DP_VLAN_ACCESS,			/**< untagged, in VLAN 'tag'; tagged frames dropped */
	DP_VLAN_NATIVE_TAGGED,		/**< a trunk whose untagged frames are in VLAN 'tag' */
	DP_VLAN_NATIVE_UNTAGGED,	/**< ... and that sends VLAN 'tag' untagged */
	DP_VLAN_NONE,			/**< no VLAN: a mirror's output port, out of MAC learning */
};

/** A port's VLAN settings as the PMDs read them (in the bridge snapshot). */
struct dp_vlan {
	uint8_t mode;			/**< enum dp_vlan_mode */
	uint16_t tag;			/**< access or native VLAN */
	const uint64_t *trunks;		/**< 4096-bit set (native VLAN included); NULL: all */
};

/** Mirrors of one bridge (Open vSwitch's limit: a 32-bit mask per port). */
#define DP_MIRROR_MAX 32

/** Per PMD: what one mirror sent (written by that PMD only). */
struct dp_mirror_stats {
	uint64_t packets;
	uint64_t bytes;
} __rte_cache_aligned;

/**
 * A mirror (dataplane/mirror.c).  Created and freed by the main thread: a changed mirror is
 * a new one, the old one freed after a grace period, its counts carried over.  PMDs reach it
 * through the bridge snapshot and write only their own 'stats' slot.
 */
struct dp_mirror {
	/* main thread, before publication */
	struct vconf_mirror cfg;
	bool all_vlans;			/**< no select_vlan */
	uint64_t vlans[64];		/**< select_vlan as a 4096-bit set */
	/* main thread: what the mirrors this one replaced had sent */
	uint64_t base_packets, base_bytes;
	/* PMD i: stats[i] */
	struct dp_mirror_stats stats[PORT_MAX_PMDS];
};

/**
 * Where PMDs keep, in each packet, the mirrors that already have a copy of it, so that a
 * packet selected at input and at output, or sent to several selected ports, reaches each
 * mirror once.  Written only while the packet's bridge has mirrors, reset when the packet
 * enters the bridge.
 *
 * Not an mbuf dynamic field: DPDK 22.11 has 36 bytes of those, the tunnel metadata takes
 * 28 and drivers need 8 more, 8-byte aligned (net_pcap's receive timestamp, without which
 * its probe fails).  The upper half of the flow director hash is free instead: vireo-dp
 * programs no flow director, no code here reads the mbuf's hash, and what a driver may
 * have left there is overwritten before it is read.
 */
static inline uint32_t *
dp_mirror_done(struct rte_mbuf *m)
{
	return &m->hash.fdir.hi;
}

/** What a PMD needs of a bridge: published by the main thread, read-only afterwards. */
struct bridge_snap {
	bool use_flows;			/**< false: MAC learning switch (no rules) */
	bool drop_all;			/**< no rules and fail_mode secure: nothing forwards */
	bool miss_to_controller;	/**< a controller is connected: table misses go to it */
	bool frag_drop;			/**< IP fragments are dropped before the rules */
	bool vlan_plain;		/**< every port a trunk of all VLANs: no VLAN decisions */
	bool forward_bpdu;		/**< NORMAL forwards frames to reserved addresses */
	/**
	 * Its ports may lend what they receive (port.rx_borrow): vhost-fast-path is on, and the
	 * bridge is a MAC learning switch of trunks whose every port copies at transmit, or its
	 * rules only read packets, rewrite their headers and send them on (flowtab_lends()).
	 * With rules, headers are never lent (PORT_BORROW_PAYLOAD): a guest could otherwise
	 * change a packet in its memory between a rule's match and the copy, and get past the
	 * rule; and the rewrites are made in that private copy.
	 */
	bool borrow;
	uint32_t n_ports;		/**< working ports, for flooding */
	uint32_t max_ofport;
	struct dp_port **by_ofport;	/**< [max_ofport + 1] */
	struct dp_port *by_slot[PORT_MAX_SLOTS];	/**< this bridge's ports by slot */
	struct dp_vlan vlan[PORT_MAX_SLOTS];	/**< by slot, for MAC learning */
	uint64_t *trunk_sets;		/**< the 'trunks' sets the entries of 'vlan' point into */
	/*
	 * Mirrors whose output port works, numbered 0..n_mirrors-1 by the bits of the masks:
	 * a packet received on slot S is copied to mirrors mirror_src[S], one sent on S to
	 * mirrors mirror_dst[S] (a mirror's own output port selects nothing).
	 */
	uint32_t n_mirrors;
	struct dp_mirror *mirror[DP_MIRROR_MAX];
	struct dp_port *mirror_out[DP_MIRROR_MAX];
	bool mirror_tag[DP_MIRROR_MAX];	/**< output port not access: copies carry their VLAN */
	uint32_t mirror_src[PORT_MAX_SLOTS];
	uint32_t mirror_dst[PORT_MAX_SLOTS];
	struct dp_port *ports[];
};

struct dp_bridge {
	char name[PORT_NAME_MAX];
	struct flowtab *ft;
	struct mac_table *mac;
	struct bridge_snap *snap;	/**< atomic pointer: main writes, PMDs read */
	bool cfg_has_flows;
	/* main thread */
	bool fail_secure;		/**< fail_mode secure: without rules, drop (not learn) */
	bool forward_bpdu;		/**< other_config:forward-bpdu (default false) */
	/* main thread, set by the OpenFlow channel (ofconn.c), published in the snapshot */
	unsigned of_controllers;	/**< controllers configured */
	bool of_connected;		/**< one of them is connected */
	/**
	 * One of them speaks OpenFlow below 1.3: table misses without a table-miss rule go
	 * to the controllers.  From 1.3 such a miss is a drop (Open vSwitch's
	 * update_want_packet_in_on_miss()).
	 */
	bool of_miss_to_controller;
	bool of_fail_open;		/**< standalone, none connected for long: MAC learning */
	bool frag_drop;			/**< SET_CONFIG frag drop: IP fragments dropped */
	struct dp_port *ports[PORT_MAX_SLOTS];
	unsigned n_ports;
	/* main thread; published through the snapshot */
	struct dp_mirror *mirrors[DP_MIRROR_MAX];
	unsigned n_mirrors;
	/* main thread: its ports' OpenFlow numbers, those given up and held back included */
	struct dp_ofports ofports;
};

/** pmd-auto-lb settings and state (dataplane/auto_lb.c; main thread only). */
struct dp_auto_lb {
	bool enabled;
	unsigned load_pct;		/**< pmd-auto-lb-load-threshold */
	unsigned improve_pct;		/**< pmd-auto-lb-improvement-threshold */
	unsigned interval_min;		/**< pmd-auto-lb-rebal-interval */
	uint64_t next_check;		/**< seconds (dp_run's clock); 0: start an interval */
	unsigned n_snap;		/**< PMDs in the snapshot below */
	uint64_t busy[PORT_MAX_PMDS], idle[PORT_MAX_PMDS];
};

/** Load-based PMD sleeping (dataplane/pmd_sleep.c; main thread only). */
struct dp_pmd_sleep {
	bool configured;		/**< logged once at least */
	const char *key;		/**< the key it came from, or NULL */
	char shadowed[32];		/**< pmd-maxsleep's value when pmd-sleep-max wins, or "" */
	unsigned long dflt;		/**< microseconds, before the cap */
	unsigned n;
	struct vconf_core_sleep per[VCONF_SLEEP_CORES];
};

/** A packet for the OpenFlow controllers, from a PMD to the main thread (punt.c). */
struct dp_pin {
	struct rte_mbuf *m;
	struct dp_bridge *br;
	uint64_t cookie;
	uint32_t in_port;
	uint16_t max_len;
	uint8_t reason;			/**< FLOWTAB_REASON_* */
	uint8_t table;
};

struct rte_ring;

struct dp {
	struct vconf cfg;		/**< the configuration last applied */
	struct rte_ring *pin;		/**< packet_ins: PMDs to main (punt.c) */
	struct rte_ring *pout;		/**< packet_outs: main to PMD 0 */
	struct rte_ring *pout_done;	/**< packet_outs run: PMD 0 back to main */
	uint64_t pout_dropped;		/**< main: packet_outs with no room or no mbuf */
	struct dp_bridge *bridges[64];
	unsigned n_bridges;
	struct dp_port *slots[PORT_MAX_SLOTS];
	struct rte_rcu_qsbr *qsbr;
	struct rcu_defer *defer;	/**< old snapshots freed after a grace period */
	struct port_env port_env;	/**< what ports are opened with */
	/* Set once by dp_init; its slots change in place (pmd_reconfigure), slot i only while no
	 * PMD of index i runs: PMD i reads pmds[i] (dp_patch_deliver), the main thread all. */
	struct pmd **pmds;
	unsigned n_pmds;
	char vhost_sock_dir[108];
	bool vhost_fast;		/**< other_config:vhost-fast-path (default true) */
	char *flows_origin;		/**< the config file name, for rule errors */
	bool ofports_in_source;		/**< vconf.ofports_in_source of the last configuration */
	struct pmd_rxq_policy rxq_policy; /**< pmd-rxq-assign, pmd-rxq-isolate */
	struct dp_auto_lb auto_lb;
	struct dp_pmd_sleep sleep;	/**< pmd-maxsleep, pmd-sleep-max */
	/* main thread: the coverage counters of PMDs that stopped (dp_coverage_pmd_stopped) */
	uint64_t stopped_rx, stopped_drop, stopped_resub, stopped_deep, stopped_out;
};

/** The one dataplane of this process (main thread only; NULL before dp_init). */
extern struct dp *dp_main;

/** Build the EAL argument vector from other_config (dataplane/eal.c). */
int dp_eal_args(const struct vconf *cfg, int *argc, char ***argv, char **err);

/** Initialise EAL users (RCU, PMDs) after rte_eal_init. */
int dp_init(struct dp *dp, const struct vconf *cfg, char **err);
void dp_fini(struct dp *dp);

/**
 * Apply 'cfg': bridges and ports added, removed or changed; flows of YAML bridges.
 * Port failures do not fail the call: they are recorded on the port.  Returns 0, or
 * -errno with '*err' for a change that could not be applied: PMD threads that could not
 * start are said so after everything else was applied.
 */
int dp_reconfigure(struct dp *dp, const struct vconf *cfg, char **err);

/** Add one port to bridge 'br' (vireoctl add-port).  Returns 0 or -errno + '*err'. */
int dp_add_port(struct dp *dp, const char *br, const struct vconf_port *cfg, char **err);
int dp_del_port(struct dp *dp, const char *name, char **err);

struct dp_bridge *dp_find_bridge(struct dp *dp, const char *name);
/**
 * Change the switch's Geneve option table (port_tnl_tlv_mod()) for vireoctl and OpenFlow
 * alike; a delete or clear that would unmap a field a rule of some bridge matches on or sets
 * is refused with -EBUSY, as Open vSwitch refuses it (main thread).
 */
int dp_tlv_mod(struct dp *dp, enum port_tlv_cmd cmd, const struct port_tlv_map *maps,
		unsigned n, char **err);
struct dp_bridge *dp_bridge_create(struct dp *dp, const char *name, char **err);
/** Remove and free 'br' (its ports must be gone). */
void dp_bridge_destroy(struct dp *dp, struct dp_bridge *br);
struct dp_port *dp_find_port(struct dp *dp, const char *name);

/**
 * Give 'br's MAC table the size of 'vb's other_config:mac-table-size (Open vSwitch's
 * default 2048 without it); a table that needs other buckets is replaced, the old one
 * freed after a grace period.
 */
void dp_bridge_set_mac_size(struct dp *dp, struct dp_bridge *br, const struct vconf_bridge *vb);

/**
 * Bridge 'vb's other_config:forward-bpdu as Open vSwitch reads it: true only when set to
 * "true"; otherwise NORMAL drops frames to the reserved addresses (dataplane/fwd.c).
 */
bool dp_bridge_forward_bpdu(const struct vconf_bridge *vb);

/**
 * The datapath ID of bridge 'name' (OpenFlow's features reply, OVSDB's Bridge datapath_id):
 * its other_config:datapath-id ('vb', NULL when it has no configuration), else one from its
 * name (stable across restarts, distinct per bridge).
 */
uint64_t dp_bridge_datapath_id(const struct vconf_bridge *vb, const char *name);

/** Republish 'br's snapshot (after its ports or flow state changed). */
int dp_bridge_publish(struct dp *dp, struct dp_bridge *br);

/** Re-place rx queues on PMDs (after ports change, or for a rebalance). */
void dp_rxq_reassign(struct dp *dp);

/** Periodic work of the main thread: timeouts, MAC aging, load measurement. */
void dp_run_periodic(struct dp *dp);

/** The packet process function PMDs call (dataplane/fwd.c). */
void dp_process(struct pmd *pmd, struct port *in, struct rte_mbuf **pkts, uint16_t n);

/**
 * port_env.deliver: a patch port's peer 'in' receives 'pkts' on PMD 'pmd_index' (the PMD
 * sending on the patch port).  Processed at once, or after the burst the PMD is in the
 * middle of (flowtab's per-PMD state is not re-entrant); dropped beyond DP_PATCH_PENDING
 * bursts or DP_PATCH_BUDGET packets.  'aux' is the struct dp.
 */
uint16_t dp_patch_deliver(void *aux, struct port *in, unsigned pmd_index,
	struct rte_mbuf **pkts, uint16_t n);

/** Texts of dpif-netdev/pmd-stats-show, pmd-rxq-show (malloc'd; dataplane/pmd_show.c). */
char *dp_pmd_stats_show(struct pmd **pmds, unsigned n);
char *dp_pmd_rxq_show(struct pmd **pmds, unsigned n);
/**
 * The PMDs named by "-pmd CORE" in 'argv' (all when absent); a datapath name, Open
 * vSwitch's "[dp]", is taken when it names the one datapath, refused with Open vSwitch's
 * words otherwise (dataplane/commands.c).
 * @return how many went into 'out', or -1 after replying to 'conn' with an error.
 */
int dp_pmd_filter(struct control_conn *conn, struct dp *dp, int argc, const char *argv[],
	struct pmd **out);
/** dpif-netdev/pmd-perf-show's text (malloc'd): each PMD over the time since it started or
 *  its last clear. */
char *dp_pmd_perf_show(struct pmd **pmds, unsigned n);
/** Register ofproto/trace, dpctl/dump-flows, coverage/show, memory/show, pmd-perf-show
 *  (dataplane/appctl.c). */
void dp_appctl_register(struct dp *dp);
/** Register exit (sets dp_exit_requested), which needs no dataplane: before DPDK runs too. */
void dp_exit_command_register(void);
/** Once a second (main thread): update the coverage counters kept by the PMDs. */
void dp_coverage_run(struct dp *dp);
/** pmd_hooks.stopped: keep what a stopping PMD counted in the coverage totals. */
void dp_coverage_pmd_stopped(const struct pmd *pmd);
/** pmd-stats-show as a JSON object (jansson json_t *). */
void *dp_pmd_stats_json(struct pmd **pmds, unsigned n);
/** pmd-stats-clear: the PMD's and flowtab's counters. */
void dp_pmd_stats_clear(struct pmd **pmds, unsigned n);

/** Size the packet pools after dpdk-socket-mem ("MB[,MB...]", or NULL), before any port. */
void dp_mempool_configure(const char *socket_mem);

/** Mempool for packets on 'socket' with room for 'mtu'. */
struct rte_mempool *dp_mempool_get(int socket, int mtu);

/** Register the control commands of vireo-dp (dataplane/commands.c). */
void dp_commands_register(struct dp *dp);
/** Groups and meters (gm.c): the vireoctl commands, and port liveness for the groups. */
void dp_gm_commands_register(struct dp *dp);
void dp_gm_liveness_run(struct dp *dp);

/* The packets of the OpenFlow channel (dataplane/punt.c; main thread unless noted). */
int dp_punt_init(struct dp *dp, char **err);
void dp_punt_fini(struct dp *dp);
/** Hand up to 'max' queued packet_ins to 'cb' (the mbuf is freed after); how many. */
unsigned dp_punt_poll_pins(struct dp *dp, void (*cb)(void *aux, const struct dp_pin *pin),
	void *aux, unsigned max);
/** Drop every queued packet_in. */
void dp_punt_drop_pins(struct dp *dp);
/** Before 'br' is freed: no packet_out for it may remain queued. */
void dp_punt_forget_bridge(struct dp *dp, struct dp_bridge *br);
/**
 * Queue the 'len' bytes at 'data' to run 'actions' on bridge 'br' from 'in_port'
 * (FLOWTAB_PORT_NONE: none).  @return 0; -EINVAL with '*err' for bad actions; -ENOBUFS
 * when dropped (no PMD, no mbuf, queue full; counted in 'pout_dropped').
 */
int dp_punt_packet_out(struct dp *dp, struct dp_bridge *br, uint32_t in_port,
	const char *actions, const void *data, size_t len, char **err);
/** PMD hook (pmd_hooks.poll_extra): PMD 0 runs the queued packet_outs. */
unsigned dp_punt_pmd_run(struct pmd *pmd);
/** PMD: run 'acts' on 'm' in bridge 'br' as if received on 'in_port' (dataplane/fwd.c). */
void dp_execute(struct pmd *pmd, struct dp_bridge *br, const struct flowtab_actions *acts,
	struct rte_mbuf *m, uint32_t in_port);

/* Mirrors (dataplane/mirror.c; main thread). */
/**
 * Give 'br' the mirrors of 'vb': nothing happens when they did not change; otherwise the
 * bridge is published with the new ones and the old ones freed after a grace period, the
 * counts of a mirror of the same name carried over.  Returns 0 or -ENOMEM.
 */
int dp_mirrors_set(struct dp *dp, struct dp_bridge *br, const struct vconf_bridge *vb);
/** Free 'br's mirrors (no PMD may reach them any more). */
void dp_mirrors_free(struct dp_bridge *br);
/** Fill snapshot 's' (its ports and VLANs set) with 'br's mirrors. */
void dp_mirror_snap(const struct dp_bridge *br, struct bridge_snap *s);
/** What mirror 'm' sent, since it was created under its name. */
void dp_mirror_totals(const struct dp_mirror *m, uint64_t *packets, uint64_t *bytes);

/** Read the pmd-auto-lb keys of 'cfg' (logs a change). */
void dp_auto_lb_configure(struct dp *dp, const struct vconf *cfg);
/** Every few seconds from dp_run, after the rx queues' loads were measured. */
void dp_auto_lb_run(struct dp *dp, uint64_t now_s);

/** Read pmd-maxsleep and pmd-sleep-max from 'cfg' (logs a change) and apply them. */
void dp_pmd_sleep_configure(struct dp *dp, const struct vconf *cfg);
/** Give every PMD its maximum sleep (after PMDs were started or moved). */
void dp_pmd_sleep_apply(struct dp *dp);
/** dpif-netdev/pmd-sleep-show's text (malloc'd). */
char *dp_pmd_sleep_show(const struct dp *dp);

/** Log at level info of the "dataplane" module (vlog.h). */
void dp_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* VIREO_DP_H */
