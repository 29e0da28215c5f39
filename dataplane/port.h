/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_PORT_H
#define VIREO_PORT_H

/*
 * port: the type-independent face of a port, as PMD threads and the control thread see it.
 *
 * What?
 * =====
 * A 'struct dp_port' is one OpenFlow port of a bridge.  Its type ("dpdk" in port_dpdk.c,
 * "dpdkvhostuser"/"dpdkvhostuserclient" in vhost/vhost_port.c) supplies a 'struct port_ops'
 * with rx and tx burst functions; PMDs call only those, so all port types look alike to the
 * packet loop.
 *
 * Lifetime and thread-safety
 * ==========================
 * The main thread creates, configures and destroys ports.  A port becomes visible to PMDs
 * when the main thread publishes a bridge snapshot or an rx-queue set that refers to it
 * (dataplane/bridge.c, pmd/pmd.c), and is destroyed only after it has been unpublished and
 * every PMD has since reported a quiescent state (rte_rcu_qsbr_synchronize).  So a PMD may
 * use any port it can reach without taking references.
 *
 * Fields are grouped by writer:
 *   - "main thread, before publication": immutable while published;
 *   - "PMD": per-PMD counters, each slot written only by the PMD of that index;
 *   - "any": atomics documented where declared.
 * Transmit queues: a PMD sends on queue 'pmd_index % n_txq'.  When fewer tx queues than
 * PMDs exist (tx_locked), the queue's spinlock is taken, as OVS does for such devices: the
 * only lock on the packet path, and it exists only on hardware that forces it.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include "config.h"

#define DP_MAX_PMDS 64
#define DP_MAX_PORTS 256	/* live ports at once; also the size of PMD tx batch arrays */
#define DP_MAX_RXQ 16
#define DP_MAX_TXQ 64
#define DP_BURST 32

struct dp_port;
struct dp_bridge;

/** Per-PMD counters of one port (written by that PMD only). */
struct port_pmd_stats {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t tx_dropped;
} __rte_cache_aligned;

/** Per rx queue: processing cycles and packets, written by the PMD polling it. */
struct port_rxq_stats {
	uint64_t cycles;
	uint64_t packets;
	uint64_t cycles_prev;	/**< main thread: value at the last rebalance interval */
	uint64_t load;		/**< main thread: cycles in the last interval */
} __rte_cache_aligned;

/** Device counters as the device reports them (main thread). */
struct port_dev_stats {
	uint64_t rx_packets, rx_bytes, rx_dropped, rx_errors;
	uint64_t tx_packets, tx_bytes, tx_dropped, tx_errors;
};

struct port_ops {
	const char *type;
	/** Open the device described by 'cfg' into 'p' (main thread). -errno + '*err'. */
	int (*open)(struct dp_port *p, const struct vconf_port *cfg, char **err);
	/** Close the device; called after the port is unpublished. */
	void (*close)(struct dp_port *p);
	/** Receive up to 'n' packets from rx queue 'qid' (PMD). */
	uint16_t (*rx)(struct dp_port *p, uint16_t qid, struct rte_mbuf **pkts, uint16_t n);
	/** Send 'n' packets on tx queue 'qid'; consumes all of them, returns how many left. */
	uint16_t (*tx)(struct dp_port *p, uint16_t qid, struct rte_mbuf **pkts, uint16_t n);
	/** Device statistics and link (main thread). */
	void (*dev_stats)(struct dp_port *p, struct port_dev_stats *st);
	bool (*link_up)(struct dp_port *p);
	/** Text for `show` and the OVSDB status column: "key=value" pairs, one a line. */
	void (*status)(struct dp_port *p, char *buf, size_t len);
};

struct dp_port {
	/* main thread, before publication */
	char name[16];
	uint32_t ofport;
	uint16_t slot;			/**< index into PMD tx batch arrays */
	const struct port_ops *ops;
	struct dp_bridge *bridge;
	struct vconf_port cfg;		/**< the configuration it was opened with */
	int socket;			/**< NUMA node of the device */
	uint16_t n_rxq;
	uint16_t n_txq;
	bool tx_locked;
	void *priv;			/**< type-specific state */
	char *error;			/**< why open failed; NULL when the port works */
	int mtu;

	/* any: rx queues a PMD may poll (vhost: set by the guest's enable calls) */
	volatile uint8_t rxq_enabled[DP_MAX_RXQ];

	rte_spinlock_t txq_lock[DP_MAX_TXQ];

	/* PMD */
	struct port_pmd_stats pmd_stats[DP_MAX_PMDS];
	struct port_rxq_stats rxq_stats[DP_MAX_RXQ];
};

/** The port types (dataplane/port_dpdk.c, vhost/vhost_port.c). */
extern const struct port_ops port_dpdk_ops;
extern const struct port_ops port_vhost_server_ops;
extern const struct port_ops port_vhost_client_ops;

/** The ops of 'type', or NULL. */
const struct port_ops *port_ops_find(const char *type);

/** Sum the per-PMD software counters of 'p'. */
void port_sw_stats(const struct dp_port *p, struct port_pmd_stats *sum);

/**
 * Send a batch of at most DP_BURST packets on the PMD's tx queue for 'p', taking the queue
 * lock when needed (PMD).  Consumes every packet.
 */
static inline uint16_t
port_send(struct dp_port *p, unsigned pmd_index, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t qid, left, lens[DP_BURST];
	uint64_t bytes = 0;

	for (uint16_t i = 0; i < n; i++) {
		lens[i] = (uint16_t)rte_pktmbuf_pkt_len(pkts[i]);
		bytes += lens[i];
	}
	if (unlikely(p->n_txq == 0)) {
		rte_pktmbuf_free_bulk(pkts, n);
		p->pmd_stats[pmd_index].tx_dropped += n;
		return n;
	}
	qid = pmd_index % p->n_txq;
	if (unlikely(p->tx_locked)) {
		rte_spinlock_lock(&p->txq_lock[qid]);
		left = p->ops->tx(p, qid, pkts, n);
		rte_spinlock_unlock(&p->txq_lock[qid]);
	} else {
		left = p->ops->tx(p, qid, pkts, n);
	}
	for (uint16_t i = n - left; i < n; i++)
		bytes -= lens[i];
	p->pmd_stats[pmd_index].tx_bytes += bytes;
	p->pmd_stats[pmd_index].tx_packets += n - left;
	p->pmd_stats[pmd_index].tx_dropped += left;
	return left;
}

#endif /* VIREO_PORT_H */
