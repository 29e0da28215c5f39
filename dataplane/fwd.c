/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Forwarding on the PMD: a received burst goes to its bridge's flow table, or, when the
 * bridge has no rules, to the MAC learning switch; packets leave through pmd_output().
 * Nothing here allocates, locks or makes a system call.
 */
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dp.h"

struct fwd_ctx {
	struct pmd *pmd;
	const struct bridge_snap *snap;
	struct dp_bridge *br;
	uint32_t now;
};

static void
fwd_flood(void *arg, uint32_t in_port, struct rte_mbuf *m, bool all)
{
	struct fwd_ctx *c = arg;
	const struct bridge_snap *s = c->snap;
	uint32_t k = 0;

	for (uint32_t i = 0; i < s->n_ports; i++)
		k += all || s->ports[i]->ofport != in_port;
	if (k == 0) {
		rte_pktmbuf_free(m);
		c->pmd->stats.dropped++;
		return;
	}
	if (k > 1)
		rte_mbuf_refcnt_update(m, (int16_t)(k - 1));
	for (uint32_t i = 0; i < s->n_ports; i++)
		if (all || s->ports[i]->ofport != in_port)
			pmd_output(c->pmd, &s->ports[i]->port, m);
}

/* The port numbered 'ofport' in the bridge's snapshot, or NULL. */
static inline struct dp_port *
snap_port(const struct bridge_snap *s, uint32_t ofport)
{
	return likely(ofport <= s->max_ofport) ? s->by_ofport[ofport] : NULL;
}

static void
fwd_output(void *arg, uint32_t ofport, struct rte_mbuf *m)
{
	struct fwd_ctx *c = arg;
	struct dp_port *out = snap_port(c->snap, ofport);

	if (likely(out != NULL)) {
		pmd_output(c->pmd, &out->port, m);
		return;
	}
	rte_pktmbuf_free(m);
	c->pmd->stats.dropped++;
}

static void
fwd_output_burst(void *arg, uint32_t ofport, struct rte_mbuf **pkts, uint16_t n)
{
	struct fwd_ctx *c = arg;
	struct dp_port *out = snap_port(c->snap, ofport);

	if (likely(out != NULL)) {
		pmd_output_burst(c->pmd, &out->port, pkts, n);
		return;
	}
	rte_pktmbuf_free_bulk(pkts, n);
	c->pmd->stats.dropped += n;
}

static inline void
normal_one(struct fwd_ctx *c, uint32_t in_port, uint16_t in_slot, struct rte_mbuf *m)
{
	const uint8_t *eth = rte_pktmbuf_mtod(m, const uint8_t *);
	uint64_t dst, src;
	uint16_t slot;
	struct dp_port *out;

	if (unlikely(rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN)) {
		rte_pktmbuf_free(m);
		c->pmd->stats.dropped++;
		return;
	}
	src = mac_from_bytes(eth + 6);
	if (likely(!(eth[6] & 1)))
		mac_learn(c->br->mac, src, in_slot, c->now);
	if (eth[0] & 1) {
		fwd_flood(c, in_port, m, false);
		return;
	}
	dst = mac_from_bytes(eth);
	slot = mac_lookup(c->br->mac, dst, c->now);
	out = slot == MAC_SLOT_NONE ? NULL : c->snap->by_slot[slot];
	if (out == NULL) {
		fwd_flood(c, in_port, m, false);
		return;
	}
	if (unlikely(out->ofport == in_port)) {
		rte_pktmbuf_free(m);
		c->pmd->stats.dropped++;
		return;
	}
	pmd_output(c->pmd, &out->port, m);
}

static void
fwd_normal(void *arg, uint32_t in_port, struct rte_mbuf *m)
{
	struct fwd_ctx *c = arg;
	const struct dp_port *in = snap_port(c->snap, in_port);

	if (c->now == 0)
		c->now = mac_now();
	if (in == NULL || in->port.slot == MAC_SLOT_NONE) {
		rte_pktmbuf_free(m);
		c->pmd->stats.dropped++;
		return;
	}
	normal_one(c, in_port, in->port.slot, m);
}

void
dp_process(struct pmd *pmd, struct port *in_port, struct rte_mbuf **pkts, uint16_t n)
{
	struct dp_port *in = dp_port_of(in_port);
	struct dp_bridge *br = in->bridge;
	struct fwd_ctx c = {
		.pmd = pmd,
		.snap = __atomic_load_n(&br->snap, __ATOMIC_ACQUIRE),
		.br = br,
		.now = 0,		/* read the clock only if MAC learning runs */
	};

	if (c.snap->use_flows) {
		const struct flowtab_out out = {
			.output = fwd_output,
			.output_burst = fwd_output_burst,
			.normal = fwd_normal,
			.flood = fwd_flood,
			.ctx = &c,
		};

		flowtab_process_burst(((struct dp_pmd_ctx *)pmd->ctx)->ft, br->ft, pkts, n,
			in->ofport, &out);
		return;
	}
	pmd->stats.mac_hits += n;
	c.now = mac_now();
	for (uint16_t i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		normal_one(&c, in->ofport, in_port->slot, pkts[i]);
	}
}
