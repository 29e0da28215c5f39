/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packets between the PMDs and the OpenFlow channel on the main thread.
 *
 * packet_in: a PMD hands the packet's mbuf, with its bridge, port, reason and length, to
 * 'dp->pin' (multi-producer, one consumer: the main thread).  Enqueueing allocates nothing
 * and never waits; when the ring is full the packet is dropped and counted in the PMD's
 * context ('pin_dropped').  The main thread copies what the controllers get and frees it.
 *
 * packet_out: the main thread builds an mbuf (a chain of them for a frame larger than one
 * holds) and parses the actions, and queues both on 'dp->pout' (one producer, one
 * consumer: PMD 0, which runs them between bursts from its poll_extra hook, because only
 * a PMD may send on its ports' queues).  PMD 0 returns each
 * request through 'dp->pout_done' for the main thread to free (the PMD frees nothing but
 * the packet it sends).  A full 'pout' holds the main thread up to PUNT_POUT_WAIT_US for
 * PMD 0 to make room (a controller sends packet_outs in bursts of hundreds: a busy PMD 0
 * drained them slower than they came, and 94% were dropped in perf/ofsetup); Open vSwitch
 * runs each packet_out before it reads the next message, so this waits no longer than
 * it would.  Only a PMD 0 stalled past that makes the packet_out a drop.
 *
 * A bridge being destroyed: the main thread waits until 'pout' is empty (PMD 0 holds no
 * request past its quiescent state), and after the grace period drops the packet_ins still
 * queued, some of which may name the bridge.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "dp.h"

#define PUNT_PIN_SIZE 4096
#define PUNT_POUT_SIZE 256
#define PUNT_POUT_BURST 32
#define PUNT_POUT_WAIT_US 2000

/** A packet_out on its way to PMD 0. */
struct dp_pktout {
	struct dp_bridge *br;
	struct flowtab_actions *acts;
	struct rte_mbuf *m;
	uint32_t in_port;
};

int
dp_punt_init(struct dp *dp, char **err)
{
	dp->pin = rte_ring_create_elem("vireo_pin", sizeof(struct dp_pin), PUNT_PIN_SIZE,
		SOCKET_ID_ANY, RING_F_SC_DEQ);
	dp->pout = rte_ring_create("vireo_pout", PUNT_POUT_SIZE, SOCKET_ID_ANY,
		RING_F_SP_ENQ | RING_F_SC_DEQ);
	/* One more than 'pout' holds: PMD 0 never finds it full. */
	dp->pout_done = rte_ring_create("vireo_pout_done", PUNT_POUT_SIZE * 2, SOCKET_ID_ANY,
		RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (dp->pin == NULL || dp->pout == NULL || dp->pout_done == NULL) {
		*err = strdup("cannot create the OpenFlow packet rings (hugepages?)");
		return -ENOMEM;
	}
	return 0;
}

static void
pktout_free(struct dp_pktout *po)
{
	flowtab_actions_free(po->acts);
	free(po);
}

static void
reap_done(struct dp *dp)
{
	void *po;

	while (rte_ring_sc_dequeue(dp->pout_done, &po) == 0)
		pktout_free(po);
}

void
dp_punt_fini(struct dp *dp)
{
	void *po;

	if (dp->pout != NULL)
		while (rte_ring_sc_dequeue(dp->pout, &po) == 0) {
			rte_pktmbuf_free(((struct dp_pktout *)po)->m);
			pktout_free(po);
		}
	if (dp->pout_done != NULL)
		reap_done(dp);
	dp_punt_drop_pins(dp);
	rte_ring_free(dp->pin);
	rte_ring_free(dp->pout);
	rte_ring_free(dp->pout_done);
	dp->pin = dp->pout = dp->pout_done = NULL;
}

unsigned
dp_punt_poll_pins(struct dp *dp, void (*cb)(void *aux, const struct dp_pin *pin), void *aux,
	unsigned max)
{
	struct dp_pin pins[64];
	unsigned n, total = 0;

	if (dp->pin == NULL)
		return 0;
	while (total < max) {
		n = rte_ring_sc_dequeue_burst_elem(dp->pin, pins, sizeof(pins[0]), 64, NULL);
		if (n == 0)
			break;
		for (unsigned i = 0; i < n; i++) {
			cb(aux, &pins[i]);
			rte_pktmbuf_free(pins[i].m);
		}
		total += n;
	}
	return total;
}

void
dp_punt_drop_pins(struct dp *dp)
{
	struct dp_pin pin;

	if (dp->pin == NULL)
		return;
	while (rte_ring_sc_dequeue_elem(dp->pin, &pin, sizeof(pin)) == 0)
		rte_pktmbuf_free(pin.m);
}

void
dp_punt_forget_bridge(struct dp *dp, struct dp_bridge *br)
{
	(void)br;
	if (dp->pout == NULL || dp->n_pmds == 0)
		return;
	/* PMD 0 empties the ring within a loop; 1 s covers a PMD starved by the host. */
	for (int i = 0; i < 10000 && !rte_ring_empty(dp->pout); i++)
		usleep(100);
}

/*
 * 'pout' was full: retry for up to PUNT_POUT_WAIT_US while PMD 0 drains it, plus the longest
 * PMD 0 may be asleep (pmd-maxsleep) before it looks again: that of a sleep begun before a
 * new setting, too.
 */
static int
pout_wait(struct dp *dp, struct dp_pktout *po)
{
	uint64_t us = PUNT_POUT_WAIT_US + PMD_MAX_SLEEP_US;
	uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() * us / 1000000;

	do {
		rte_delay_us_sleep(10);
		reap_done(dp);
		if (rte_ring_sp_enqueue(dp->pout, po) == 0)
			return 0;
	} while (rte_get_timer_cycles() < end);
	return -ENOBUFS;
}

/*
 * The 'len' bytes at 'data' in mbufs of 'mp', chained when one does not hold them: a
 * packet_out may carry up to OpenFlow's 64 kB, Open vSwitch sends it whatever its size,
 * and a jumbo mbuf holds about 9.7 kB.  NULL when 'mp' runs out.
 */
static struct rte_mbuf *
pout_mbuf(struct rte_mempool *mp, const uint8_t *data, size_t len)
{
	struct rte_mbuf *head = NULL, *m;
	uint16_t n;

	do {
		m = rte_pktmbuf_alloc(mp);
		if (m == NULL)
			goto fail;
		n = (uint16_t)RTE_MIN(len, (size_t)rte_pktmbuf_tailroom(m));
		memcpy(rte_pktmbuf_append(m, n), data, n);
		if (head == NULL) {
			head = m;
		} else if (rte_pktmbuf_chain(head, m) != 0) {
			rte_pktmbuf_free(m);
			goto fail;
		}
		data += n;
		len -= n;
	} while (len > 0);
	return head;
fail:
	rte_pktmbuf_free(head);
	return NULL;
}

int
dp_punt_packet_out(struct dp *dp, struct dp_bridge *br, uint32_t in_port, const char *actions,
	const void *data, size_t len, char **err)
{
	struct rte_mempool *mp = dp_mempool_get(0, len > 1518 ? 9000 : 1500);
	struct dp_pktout *po;

	reap_done(dp);
	po = calloc(1, sizeof(*po));
	if (po == NULL)
		return -ENOBUFS;
	po->acts = flowtab_actions_parse(br->ft, actions, err);
	if (po->acts == NULL) {
		free(po);
		return -EINVAL;
	}
	if (dp->n_pmds == 0 || mp == NULL || len == 0 || len > UINT16_MAX ||
	    (po->m = pout_mbuf(mp, data, len)) == NULL)
		goto drop;
	po->br = br;
	po->in_port = in_port;
	if (rte_ring_sp_enqueue(dp->pout, po) != 0 && pout_wait(dp, po) != 0)
		goto drop;
	return 0;
drop:
	rte_pktmbuf_free(po->m);
	pktout_free(po);
	dp->pout_dropped++;
	return -ENOBUFS;
}

unsigned
dp_punt_pmd_run(struct pmd *pmd)
{
	struct dp *dp = pmd->aux;
	void *pos[PUNT_POUT_BURST];
	unsigned n;

	if (pmd->index != 0 || dp->pout == NULL)
		return 0;
	n = rte_ring_sc_dequeue_burst(dp->pout, pos, PUNT_POUT_BURST, NULL);
	if (n == 0)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		struct dp_pktout *po = pos[i];

		dp_execute(pmd, po->br, po->acts, po->m, po->in_port);
	}
	pmd_flush(pmd);
	rte_ring_sp_enqueue_bulk(dp->pout_done, pos, n, NULL);
	return n;
}
