/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_PORT_H
#define VIREO_PORT_H

/*
 * port: the devices a switch receives from and sends to, behind one interface (what Open
 * vSwitch's netdev is to its userspace datapath).
 *
 * What?
 * =====
 * A 'struct port' is one open device: a DPDK ethdev ("dpdk", port_dpdk.c), several bonded
 * by DPDK's bonding driver ("bond", port_bond.c: an OVSDB Port of several Interfaces), an
 * rte_vhost socket ("dpdkvhostuser", "dpdkvhostuserclient", port_vhost.c), or one end of a
 * wire between two bridges ("patch", port_patch.c: no device, see port_env.deliver).  Its
 * type supplies a 'struct port_ops'; PMD threads call only port_rx() and port_tx_burst(),
 * so every port type looks alike to the packet loop (both apply the port's policers,
 * port_police.c).  The port layer knows no bridges, rules, threads or
 * configuration files: port_open() is given the port's name, its options as plain
 * key/value strings and an environment (where sockets go, how many PMDs send, where packet
 * buffers come from, where to log), and the caller embeds 'struct port' in its own
 * structure to hang its own state beside it.
 *
 * Adding a port type
 * ==================
 * Write port_TYPE.c with static callbacks and one 'const struct port_ops' (open, close, rx,
 * tx, dev_stats, link_up, status, set_n_pmds, and reconfigure if some changes can be made
 * in place), add it to port_types[] in port.c and to port/meson.build.  Nothing above this
 * folder changes.
 *
 * Lifetime and thread-safety
 * ==========================
 * The owner's control thread (vireo-dp's main thread) opens, reconfigures and closes
 * ports.  A port becomes visible to PMDs when the owner publishes something that refers to
 * it, and is closed only after it has been unpublished and every PMD has since reported a
 * quiescent state (rte_rcu_qsbr), so a PMD may use any port it can reach without taking
 * references.  Fields are grouped by writer:
 *   - "control thread, before publication": immutable while published;
 *   - "PMD": per-PMD counters, each slot written only by the PMD of that index;
 *   - "any": atomics documented where declared (vhost: rte_vhost's thread flips them).
 * Transmit queues: a PMD sends on queue 'pmd_index % n_txq' (a type with PORT_MAX_TXQ
 * queues thus learns the sending PMD's index from 'qid').  When fewer tx queues than
 * PMDs exist (tx_locked), the queue's spinlock is taken, as Open vSwitch does for such
 * devices: the only lock on the packet path, and it exists only on hardware that forces it.
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include "port_limits.h"

#define PORT_MAX_PMDS 64	/* PMD threads that may send on one port */
#define PORT_MAX_SLOTS 256	/* ports open at once; slots index per-PMD tx batch arrays */
#define PORT_MAX_TXQ 64
#define PORT_BURST 32
#define PORT_NAME_MAX 256	/* bytes with the NUL; OVSDB names have no shorter limit */

struct port;
struct rte_mempool;
struct rte_rcu_qsbr;

/** One "options:KEY=VALUE" of a port, as plain strings (owned by the caller). */
struct port_option {
	const char *key;
	const char *value;
};

/** What a port is opened with: everything comes from the caller, nothing is kept. */
struct port_args {
	const struct port_option *options;
	unsigned n_options;
	unsigned mtu_request;		/**< 0: the type's default (1500) */
};

/**
 * The world a port lives in, owned by the caller and alive while any port opened with it
 * is open (port types keep a pointer for rte_vhost's callbacks).
 */
struct port_env {
	const char *vhost_sock_dir;	/**< where dpdkvhostuser ports put their sockets */
	unsigned n_pmds;		/**< PMD threads at open time (later: set_n_pmds) */
	struct rte_rcu_qsbr *qsbr;	/**< the PMDs' RCU: device teardown waits for it */
	/** A packet pool on NUMA node 'socket' with room for 'mtu'; NULL when none. */
	struct rte_mempool *(*mempool)(int socket, int mtu);
	/** Log one line (no newline). */
	void (*log)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
	/**
	 * Packets that enter the switch on port 'in' without a device: a patch port hands
	 * what it is sent to its peer this way.  The owner processes them on PMD
	 * 'pmd_index' (the caller, inside port_tx_burst()) as if 'in' had received them,
	 * takes ownership of all 'n' and returns how many it dropped: all of them or none
	 * (0 or 'n'), so that a sender knows which bytes went.  NULL: the owner has
	 * no such path (patch ports then fail to open).  This is the one thing the port
	 * interface could not express otherwise: a port whose transmit is a receive.
	 */
	uint16_t (*deliver)(void *aux, struct port *in, unsigned pmd_index,
		struct rte_mbuf **pkts, uint16_t n);
	void *deliver_aux;
};

/** Per-PMD counters of one port (written by that PMD only). */
struct port_pmd_stats {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t tx_dropped;		/**< all tx drops, tx_policed included */
	uint64_t tx_policed;		/**< dropped by the egress policer */
	uint64_t rx_policed;		/**< port_sw_stats only: the rx queues' 'policed' */
} __rte_cache_aligned;

/**
 * Policing of a port, as Open vSwitch's Interface ingress_policing_rate (kbit/s) and
 * ingress_policing_burst (kbit; 0: 8000), ingress_policing_kpkts_rate (kpkt/s) and
 * ingress_policing_kpkts_burst (kpkt; 0: 16), and QoS type egress-policer (cir in bytes/s,
 * cbs in bytes).  A rate of 0 is no policer.  Each is one token bucket shared by every
 * queue of the port (port_police.c) that lets a packet pass only while the bucket holds it,
 * the Ethernet header not counted: the meter Open vSwitch runs as rte_meter's srTCM with
 * an excess burst of 0.
 */
struct port_policing {
	uint64_t in_kbps, in_burst_kb;
	uint64_t in_kpps, in_burst_kpkts;
	uint64_t out_cir, out_cbs;
};

struct port_policer;

/** What the NORMAL action may do with a packet a port received (see port.admit). */
enum port_admit {
	PORT_ADMIT,		/**< process it */
	PORT_DROP,		/**< drop it */
	/** drop it when its source MAC was learned on another port (a reflection) */
	PORT_DROP_IF_MOVED,
};

/** Per rx queue: processing cycles and packets, written by the PMD polling it. */
struct port_rxq_stats {
	uint64_t cycles;
	uint64_t packets;
	uint64_t policed;	/**< dropped by the ingress policer */
	uint64_t cycles_prev;	/**< control thread: value at the last measurement */
	uint64_t load;		/**< control thread: cycles in the last interval */
} __rte_cache_aligned;

/** Device counters as the device reports them (control thread). */
struct port_dev_stats {
	uint64_t rx_packets, rx_bytes, rx_dropped, rx_errors;
	uint64_t tx_packets, tx_bytes, tx_dropped, tx_errors;
};

struct port_ops {
	const char *type;
	/**
	 * Open the device into 'p' (name, slot and locks already set).  Sets n_rxq, n_txq,
	 * tx_locked, socket, mtu, priv, and enables the rx queues that can be polled at once.
	 * Returns 0, or -errno with a message naming the offending option in '*err'.
	 */
	int (*open)(struct port *p, const struct port_args *args, const struct port_env *env,
		char **err);
	/** Close the device; called after the port is unpublished. */
	void (*close)(struct port *p);
	/** Receive up to 'n' packets from rx queue 'qid' (PMD). */
	uint16_t (*rx)(struct port *p, uint16_t qid, struct rte_mbuf **pkts, uint16_t n);
	/**
	 * Send 'n' (at most PORT_BURST: pmd_output() sends in bursts, and ports keep a burst on
	 * their stack) packets on tx queue 'qid'; consumes all of them, returns how many failed
	 * and adds their bytes (port_pkts_bytes(), measured as given, before any header the
	 * port pushes) to '*failed_bytes'.  The failed ones may be anywhere in 'pkts'.
	 */
	uint16_t (*tx)(struct port *p, uint16_t qid, struct rte_mbuf **pkts, uint16_t n,
		uint64_t *failed_bytes);
	/** Device statistics (control thread). */
	void (*dev_stats)(struct port *p, struct port_dev_stats *st);
	bool (*link_up)(struct port *p);
	/** Text for `show` and the OVSDB status column: "key=value" lines. */
	void (*status)(struct port *p, char *buf, size_t len);
	/**
	 * The number of PMD threads became 'n_pmds': adjust n_txq and tx_locked.  Called by
	 * the control thread while no PMD polls anything (PMDs restarted, rx queues not yet
	 * published), so no PMD reads the fields while they change.  NULL: the type keeps no
	 * per-PMD state (patch, vxlan).
	 */
	void (*set_n_pmds)(struct port *p, unsigned n_pmds);
	/**
	 * Apply 'args' to the open port without closing it, when the type can (the port is
	 * published: only what PMDs never read, or reads atomically, may change).  Returns 0
	 * when applied; -EOPNOTSUPP when the change needs the port closed and opened again
	 * (the caller does that); another -errno with '*err' when 'args' are bad for it.
	 * NULL: every change needs a new open.
	 */
	int (*reconfigure)(struct port *p, const struct port_args *args,
		const struct port_env *env, char **err);
	/**
	 * A bond's state as Open vSwitch's `bond/show` ('lacp' false) or `lacp/show' ('lacp'
	 * true) print it, into 'buf' (control thread).  NULL: the type has no members.
	 */
	void (*bond_show)(struct port *p, bool lacp, char *buf, size_t len);
	/**
	 * True when tx copies the packets' data and frees them before it returns (vhost-user):
	 * such a port may be sent packets whose data the sender's port only lends (rx_borrow).
	 */
	bool tx_copies;
	/**
	 * True when rx may lend packets (rx_borrow; vhost-user): only such a port's bursts can
	 * hold lent packets, so only theirs need port_unborrow() where the promise lapsed.
	 */
	bool rx_lends;
};

struct port {
	/* control thread, before publication */
	char name[PORT_NAME_MAX];
	const struct port_ops *ops;
	uint16_t slot;			/**< index into PMD tx batch arrays (the owner's) */
	int socket;			/**< NUMA node of the device */
	/*
	 * Set by open before publication; reconfigure may change it on a published port
	 * (control thread, atomic store), and PMDs read it (atomic load: a tunnel's underlay
	 * MTU on every encapsulated packet).
	 */
	int mtu;
	uint16_t n_rxq;			/**< rx queues that may be polled (enabled or not) */
	uint16_t n_txq;
	bool tx_locked;
	void *priv;			/**< type-specific state */
	/** pmd-rxq-affinity, set by the owner: 1 + the core whose PMD polls queue q; 0: any */
	uint16_t rxq_pin[PORT_MAX_RXQ];

	/* any: rx queues a PMD may poll (vhost: set by the guest's enable calls) */
	volatile uint8_t rxq_enabled[PORT_MAX_RXQ];

	/*
	 * control thread publishes (atomic store), PMDs read (atomic load); an old one is
	 * freed after a grace period (port_set_policing).  NULL: no policer.  Each is one
	 * meter for the whole port (Open vSwitch's rate is the interface's), which every PMD
	 * receiving from any of its rx queues (ingress) or sending to it (egress) updates by
	 * compare and swap (port_police.c).
	 */
	struct port_policer *ingress;
	struct port_policer *egress;
	struct port_policing policing;	/* control thread: as last set */
	/*
	 * owner (atomic; PMDs read it once per burst), a PORT_BORROW_*: the owner promises that
	 * what this port receives is only read, sent only to ports with tx_copies, and freed on
	 * the receiving PMD before its next quiescent state.  The port may then lend packets
	 * whose data stay in the device's memory (vhost-user: the guest's buffers, one copy
	 * less): whole (PORT_BORROW_ALL), or all but their first bytes, which are copied into
	 * the first segment (PORT_BORROW_PAYLOAD: what rules match on must not change under
	 * them, and the device's owner could change its memory at any time).  The owner must
	 * pass packets through port_unborrow() wherever its promise does not hold (the flag may
	 * have changed since they were received).
	 */
	uint8_t rx_borrow;
	/*
	 * owner (atomic; PMDs read it once per burst): the port may fill the device's rings
	 * itself instead of through the device's library (vhost-user: vhost_fast_tx()).
	 */
	uint8_t tx_fast;

	/*
	 * control thread, set by open before publication; PMDs call it: the NORMAL action's
	 * check of each packet 'm' this port received, before it learns from it (Open
	 * vSwitch's bond admissibility: a balance-slb bond's loop protection).  NULL: every
	 * packet is admitted.  OpenFlow rules that do not use NORMAL are not subject to it,
	 * as in Open vSwitch.
	 */
	enum port_admit (*admit)(struct port *p, const struct rte_mbuf *m);

	rte_spinlock_t txq_lock[PORT_MAX_TXQ];

	/* PMD */
	struct port_pmd_stats pmd_stats[PORT_MAX_PMDS];
	struct port_rxq_stats rxq_stats[PORT_MAX_RXQ];
};

/** The ops of port type 'type' ("dpdk", "dpdkvhostuser", ...), or NULL. */
const struct port_ops *port_type_find(const char *type);

/**
 * Open a port of type 'type' named 'name' into the zeroed 'p', using tx batch slot
 * 'slot'.  Returns 0, or -errno with '*err' (malloc'd) naming what is wrong: an unknown
 * type, a name of PORT_NAME_MAX bytes or more, an option the type refuses.
 */
int port_open(struct port *p, const char *name, const char *type, uint16_t slot,
	const struct port_args *args, const struct port_env *env, char **err);

/** Close an open port (unpublished, after a grace period); 'p' can be opened again. */
void port_close(struct port *p);

/**
 * Change an open port's options in place (see port_ops.reconfigure).  Returns 0 when done,
 * -EOPNOTSUPP when the port must be closed and opened with 'args' instead.
 */
int port_reconfigure(struct port *p, const struct port_args *args, const struct port_env *env,
	char **err);

/** Tell an open port how many PMD threads now send on it (see port_ops.set_n_pmds). */
void port_set_n_pmds(struct port *p, unsigned n_pmds);

/** The value of option 'key', or NULL. */
const char *port_args_get(const struct port_args *a, const char *key);

/**
 * Option 'key' as an unsigned number in [min, max] ('def' when absent) into '*out'.
 * Returns 0, or -EINVAL with '*err' naming the option and the range.
 */
int port_args_uint(const struct port_args *a, const char *key, unsigned long min,
	unsigned long max, unsigned long def, unsigned long *out, char **err);

/**
 * Set 'p's policers to 'pol' (control thread; the port may be published).  Each policer's
 * rate is the port's, whatever rx queues are enabled and whatever PMDs poll or send: its
 * meter is shared by them without a lock.  Waits for a grace period of env->qsbr before
 * it frees the policers it replaces.  Returns 0 or -errno with '*err'.
 */
int port_set_policing(struct port *p, const struct port_policing *pol,
	const struct port_env *env, char **err);

/**
 * Keep the packets of 'pkts' that policer 'pol' lets pass; frees the others.  Returns how
 * many are kept, at the front (PMD; any number of PMDs at once).
 */
uint16_t port_police(struct port_policer *pol, struct rte_mbuf **pkts, uint16_t n);

/** port.rx_borrow: what a port may lend of the packets it receives. */
#define PORT_BORROW_NONE 0
#define PORT_BORROW_ALL 1		/* whole packets */
#define PORT_BORROW_PAYLOAD 2		/* all but the headers (first segment), copied */

/** A private copy of a lent packet 'm' (see rx_borrow); 'm' is freed.  NULL: no buffers. */
struct rte_mbuf *port_unborrow_copy(struct rte_mbuf *m);

/** 'm', or a private copy of it when a port lent any of it (see rx_borrow); NULL: dropped. */
static inline struct rte_mbuf *
port_unborrow(struct rte_mbuf *m)
{
	for (const struct rte_mbuf *s = m; s != NULL; s = s->next)
		if (unlikely(s->ol_flags & RTE_MBUF_F_EXTERNAL))
			return port_unborrow_copy(m);
	return m;
}

/** 'm', or a copy of it when a port lent its headers too (PORT_BORROW_ALL); NULL: dropped. */
static inline struct rte_mbuf *
port_unborrow_headers(struct rte_mbuf *m)
{
	if (likely(!(m->ol_flags & RTE_MBUF_F_EXTERNAL)))
		return m;
	return port_unborrow_copy(m);
}

/**
 * A private copy of 'm' from its own pool: data, dynamic fields (tunnel metadata) and the
 * IPv6 tunnel endpoints of the private area; 'm''s reference is released.  NULL when the
 * pool has no buffer left ('m' released all the same).  PMD: no lock, no system call.
 */
struct rte_mbuf *port_pkt_copy(struct rte_mbuf *m);

/**
 * 'm' to write to: itself when no other reference shares any of its segments, else
 * port_pkt_copy(m) (NULL: none, 'm' released).  The switch sends one packet to several
 * ports by taking more references to it (a flood, dataplane/fwd.c), so whatever changes a
 * packet it was given in place (its data, or the offsets and lengths of its mbuf header,
 * which every reference reads too) must take it through this first: tunnel encapsulation
 * and decapsulation, the switch's own rewrites.
 */
static inline struct rte_mbuf *
port_pkt_writable(struct rte_mbuf *m)
{
	for (const struct rte_mbuf *s = m; s != NULL; s = s->next)
		if (unlikely(!RTE_MBUF_DIRECT(s) || rte_mbuf_refcnt_read(s) != 1))
			return port_pkt_copy(m);
	return m;
}

/**
 * 'm' with a first segment to write to: itself when that segment is a direct one no other
 * reference shares (the rest may be lent or shared: only read), else port_pkt_copy(m)
 * (NULL: none, 'm' released).  For rewrites of the headers, which lie in the first segment
 * (PORT_BORROW_PAYLOAD copies them there).
 */
static inline struct rte_mbuf *
port_pkt_head_writable(struct rte_mbuf *m)
{
	if (likely(RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1))
		return m;
	return port_pkt_copy(m);
}

/**
 * Cut 'm' (whose segments only it holds: port_pkt_writable()) to its first 'len' bytes:
 * the segment holding the new end keeps what comes before it, the segments after it are
 * freed, nb_segs and pkt_len follow.  Unlike rte_pktmbuf_trim(), which cuts only within
 * the last segment, this works wherever in a chain the new end falls.  Returns 0, or -1
 * when 'm' is shorter than 'len' or its chain disagrees with its pkt_len ('m' unchanged:
 * the caller drops and counts it).  PMD: no lock, no allocation.
 */
int port_pkt_trim(struct rte_mbuf *m, uint32_t len);

/** True when 'p' may receive lent packets (see port_ops.rx_lends). */
static inline bool
port_rx_lends(const struct port *p)
{
	return p->ops->rx_lends;
}

/** True when 'p's transmit copies the packets (see port_ops.tx_copies). */
static inline bool
port_tx_copies(const struct port *p)
{
	return p->ops->tx_copies;
}

/** Sum the per-PMD software counters of 'p'. */
void port_sw_stats(const struct port *p, struct port_pmd_stats *sum);

/**
 * Tunnels (port_vxlan.c, tnl.h), control thread, once a second: take in the ARP the PMDs
 * saw, look routes and next hops up again, ask for unknown next hops.
 */
void port_tnl_run(void);

/** Texts of ovs/route/show, tnl/arp/show and tnl/ports/show (malloc'd; NULL: no memory). */
char *port_tnl_route_show(void);
char *port_tnl_arp_show(void);
char *port_tnl_ports_show(void);

/**
 * tnl/arp/set: 'mac' is the MAC of 'ip' on internal port 'dev' (control thread), as if
 * snooped from ARP.  Returns 0 or -EINVAL ('*err': which argument is wrong).
 */
int port_tnl_arp_set(const char *dev, const char *ip, const char *mac, char **err);


/** One Geneve option mapping: the option (class, type, bytes of value) to tun_metadata'index'. */
struct port_tlv_map {
	uint16_t opt_class;
	uint8_t opt_type;
	uint8_t len;
	uint16_t index;
};

/** What port_tnl_tlv_mod() does with its mappings (OpenFlow's NXTTMC_* numbering). */
enum port_tlv_cmd {
	PORT_TLV_ADD = 0,
	PORT_TLV_DELETE = 1,      /**< by index; an unmapped index is no error */
	PORT_TLV_CLEAR = 2,       /**< all of them; 'maps' unused */
};

/**
 * Change the Geneve option mappings of every tunnel port, all of 'maps' or none (control
 * thread; one table for the whole switch).  Returns 0, or with '*err' set: -ERANGE (an index
 * past the last tun_metadata field), -ENOTSUP (a length the fields cannot hold), -EEXIST (the
 * index is mapped), -EADDRINUSE (the option is mapped to another field), -ENOMEM.
 */
int port_tnl_tlv_mod(enum port_tlv_cmd cmd, const struct port_tlv_map *maps, unsigned n,
		char **err);

/**
 * The mappings of 'spec' as ovs-ofctl's add-tlv-map and del-tlv-map take them
 * ("{class=0xffff,type=0,len=4}->tun_metadata0[,...]") into 'maps' (at most 'max'; their
 * number in '*n'), for port_tnl_tlv_mod().  Returns 0, -EINVAL for a 'spec' that does not
 * parse, -ERANGE for more than 'max'.
 */
int port_tnl_tlv_parse(const char *spec, struct port_tlv_map *maps, unsigned max, unsigned *n,
		char **err);

/**
 * The mappings into 'out' (at most 'max'), in index order; '*max_fields' and '*max_space'
 * (bytes of option values) say what the switch can hold.  Returns how many are mapped.
 */
unsigned port_tnl_tlv_get(struct port_tlv_map *out, unsigned max, unsigned *max_fields,
		unsigned *max_space);

/** Text of dump-tlv-map (malloc'd; NULL: no memory). */
char *port_tnl_tlv_show(void);

/** 'p's type name ("dpdk", ...). */
static inline const char *
port_type(const struct port *p)
{
	return p->ops->type;
}

/** Link state, device counters and status text of an open port (control thread). */
static inline bool
port_link_up(struct port *p)
{
	return p->priv != NULL && p->ops->link_up(p);
}

static inline void
port_dev_stats(struct port *p, struct port_dev_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (p->priv != NULL)
		p->ops->dev_stats(p, st);
}

static inline void
port_status(struct port *p, char *buf, size_t len)
{
	if (len > 0)
		buf[0] = '\0';
	if (p->priv != NULL)
		p->ops->status(p, buf, len);
}

/**
 * `bond/show` ('lacp' false) or `lacp/show` ('lacp' true) text of the open port 'p' into
 * 'buf'.  Returns 0, or -ENOTSUP when 'p' is no bond (or not open).
 */
static inline int
port_bond_show(struct port *p, bool lacp, char *buf, size_t len)
{
	if (p->priv == NULL || p->ops->bond_show == NULL)
		return -ENOTSUP;
	p->ops->bond_show(p, lacp, buf, len);
	return 0;
}

/** How many of 'p's rx queues are enabled now. */
unsigned port_rxq_enabled_count(const struct port *p);

/** Receive a burst from rx queue 'qid' of 'p', after its ingress policer (PMD). */
static inline uint16_t
port_rx(struct port *p, uint16_t qid, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t got = p->ops->rx(p, qid, pkts, n);
	struct port_policer *pol = __atomic_load_n(&p->ingress, __ATOMIC_ACQUIRE);

	if (unlikely(pol != NULL) && got > 0) {
		uint16_t kept = port_police(pol, pkts, got);

		p->rxq_stats[qid].policed += got - kept;
		got = kept;
	}
	return got;
}

/** The bytes of the 'n' packets 'pkts', as port_ops.tx counts them. */
static inline uint64_t
port_pkts_bytes(struct rte_mbuf *const *pkts, uint16_t n)
{
	uint64_t bytes = 0;

	for (uint16_t i = 0; i < n; i++)
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
	return bytes;
}

/**
 * Send at most PORT_BURST packets on PMD 'pmd_index's tx queue of 'p', taking the queue
 * lock when needed, and count them (PMD): tx_bytes are those of the packets sent, wherever
 * in the burst the failed ones were.  Consumes every packet; returns how many were dropped.
 */
static inline uint16_t
port_tx_burst(struct port *p, unsigned pmd_index, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t qid, left, policed = 0;
	struct port_policer *pol = __atomic_load_n(&p->egress, __ATOMIC_ACQUIRE);
	uint64_t bytes, failed_bytes = 0;

	if (unlikely(pol != NULL)) {
		uint16_t kept = port_police(pol, pkts, n);

		policed = n - kept;
		p->pmd_stats[pmd_index].tx_policed += policed;
		p->pmd_stats[pmd_index].tx_dropped += policed;
		n = kept;
		if (n == 0)
			return policed;
	}
	bytes = port_pkts_bytes(pkts, n);
	if (unlikely(p->n_txq == 0)) {
		rte_pktmbuf_free_bulk(pkts, n);
		p->pmd_stats[pmd_index].tx_dropped += n;
		return n + policed;
	}
	qid = pmd_index % p->n_txq;
	if (unlikely(p->tx_locked)) {
		rte_spinlock_lock(&p->txq_lock[qid]);
		left = p->ops->tx(p, qid, pkts, n, &failed_bytes);
		rte_spinlock_unlock(&p->txq_lock[qid]);
	} else {
		left = p->ops->tx(p, qid, pkts, n, &failed_bytes);
	}
	p->pmd_stats[pmd_index].tx_bytes += bytes - failed_bytes;
	p->pmd_stats[pmd_index].tx_packets += n - left;
	p->pmd_stats[pmd_index].tx_dropped += left;
	return left + policed;
}

#endif /* VIREO_PORT_H */
