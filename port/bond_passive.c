/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lacp=passive: rx and tx callbacks on a bond's members (design and threads: bond_passive.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "bond_passive.h"

#define SLOW_ETHERTYPE_HI 0x88
#define SLOW_ETHERTYPE_LO 0x09
#define SUBTYPE_LACP 1
#define OFF_SUBTYPE 14
#define OFF_ACTOR_STATE 32	/* subtype, version, TLV type and length, 14 bytes of actor */
#define STATE_ACTIVITY 0x01

/* The LACPDU's Actor State byte, or NULL when 'm' is no LACPDU. */
static inline uint8_t *
lacpdu_actor_state(struct rte_mbuf *m)
{
	uint8_t *e = rte_pktmbuf_mtod(m, uint8_t *);

	if (likely(rte_pktmbuf_data_len(m) <= OFF_ACTOR_STATE || e[12] != SLOW_ETHERTYPE_HI ||
			e[13] != SLOW_ETHERTYPE_LO || e[OFF_SUBTYPE] != SUBTYPE_LACP))
		return NULL;
	return &e[OFF_ACTOR_STATE];
}

bool
bond_passive_partner_active(const struct bond_passive *bp, uint64_t now)
{
	return now < __atomic_load_n(&bp->partner_until, __ATOMIC_RELAXED);
}

void
bond_passive_rx_note(struct bond_passive *bp, struct rte_mbuf **pkts, uint16_t n,
	uint64_t now)
{
	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *st = lacpdu_actor_state(pkts[i]);

		if (unlikely(st != NULL))
			__atomic_store_n(&bp->partner_until,
				(*st & STATE_ACTIVITY) ? now + bp->window : 0, __ATOMIC_RELAXED);
	}
}

uint16_t
bond_passive_tx_filter(struct bond_passive *bp, struct rte_mbuf **pkts, uint16_t n,
	uint64_t now)
{
	bool active = bond_passive_partner_active(bp, now);
	uint16_t i = 0;

	while (i < n) {
		uint8_t *st = lacpdu_actor_state(pkts[i]);
		struct rte_mbuf *held;

		if (likely(st == NULL)) {
			i++;
			continue;
		}
		if (active) {
			*st &= (uint8_t)~STATE_ACTIVITY;
			__atomic_fetch_add(&bp->sent, 1, __ATOMIC_RELAXED);
			/* The held one went (or another did): a recycled mbuf held next counts. */
			__atomic_store_n(&bp->last_held, NULL, __ATOMIC_RELAXED);
			i++;
			continue;
		}
		/* Behind the ones to send: the caller keeps pkts[n..] (DPDK's bond re-queues). */
		held = pkts[i];
		memmove(&pkts[i], &pkts[i + 1], sizeof(pkts[0]) * (size_t)(n - i - 1));
		pkts[--n] = held;
		if (__atomic_exchange_n(&bp->last_held, (const void *)held, __ATOMIC_RELAXED) != held)
			__atomic_fetch_add(&bp->withheld, 1, __ATOMIC_RELAXED);
	}
	return n;
}

static uint16_t
rx_cb(uint16_t port_id __rte_unused, uint16_t queue __rte_unused, struct rte_mbuf **pkts,
	uint16_t n, uint16_t max __rte_unused, void *arg)
{
	if (n > 0)
		bond_passive_rx_note(arg, pkts, n, rte_get_timer_cycles());
	return n;
}

static uint16_t
tx_cb(uint16_t port_id __rte_unused, uint16_t queue __rte_unused, struct rte_mbuf **pkts,
	uint16_t n, void *arg)
{
	if (n == 0)
		return 0;
	return bond_passive_tx_filter(arg, pkts, n, rte_get_timer_cycles());
}

void
bond_passive_detach(struct bond_passive *bp)
{
	/* DPDK unlinks a callback and leaves its memory (rte_zmalloc'd) to the caller. */
	for (uint16_t q = 0; bp->rx_cb != NULL && q < bp->n_rxq; q++)
		if (bp->rx_cb[q] != NULL && rte_eth_remove_rx_callback(bp->port_id, q,
				bp->rx_cb[q]) == 0)
			rte_free((void *)(uintptr_t)bp->rx_cb[q]);
	for (uint16_t q = 0; bp->tx_cb != NULL && q < bp->n_txq; q++)
		if (bp->tx_cb[q] != NULL && rte_eth_remove_tx_callback(bp->port_id, q,
				bp->tx_cb[q]) == 0)
			rte_free((void *)(uintptr_t)bp->tx_cb[q]);
	free(bp->rx_cb);
	free(bp->tx_cb);
	bp->rx_cb = bp->tx_cb = NULL;
	bp->n_rxq = bp->n_txq = 0;
}

int
bond_passive_attach(struct bond_passive *bp, uint16_t port_id, unsigned window_ms)
{
	struct rte_eth_dev_info info;
	int rc;

	memset(bp, 0, sizeof(*bp));
	bp->port_id = port_id;
	bp->window = rte_get_timer_hz() / 1000 * window_ms;
	rc = rte_eth_dev_info_get(port_id, &info);
	if (rc < 0)
		return rc;
	bp->rx_cb = calloc(info.nb_rx_queues ? info.nb_rx_queues : 1, sizeof(*bp->rx_cb));
	bp->tx_cb = calloc(info.nb_tx_queues ? info.nb_tx_queues : 1, sizeof(*bp->tx_cb));
	if (bp->rx_cb == NULL || bp->tx_cb == NULL) {
		rc = -ENOMEM;
		goto err;
	}
	bp->n_rxq = info.nb_rx_queues;
	bp->n_txq = info.nb_tx_queues;
	for (uint16_t q = 0; q < bp->n_rxq; q++) {
		bp->rx_cb[q] = rte_eth_add_rx_callback(port_id, q, rx_cb, bp);
		if (bp->rx_cb[q] == NULL) {
			rc = -rte_errno;
			goto err;
		}
	}
	for (uint16_t q = 0; q < bp->n_txq; q++) {
		bp->tx_cb[q] = rte_eth_add_tx_callback(port_id, q, tx_cb, bp);
		if (bp->tx_cb[q] == NULL) {
			rc = -rte_errno;
			goto err;
		}
	}
	return 0;

err:
	bond_passive_detach(bp);
	return rc;
}
