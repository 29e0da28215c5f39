/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Running an action list on a packet: rewrites with incremental checksum updates (RFC 1624),
 * VLAN push/strip, outputs (a copy for every output but the last), resubmit and goto_table.
 *
 * The work per packet is bounded as in Open vSwitch: resubmit/goto_table nest at most
 * FT_MAX_DEPTH deep, and resubmit/goto_table actions, group actions and the buckets they run
 * take at most FT_MAX_RESUBMITS steps in all.  Depth alone is not enough:
 * "resubmit(,1),resubmit(,1)" in a table that leads back to itself doubles at every level,
 * 2^64 lookups for one packet, and a group chain only 4 deep of 32 buckets with 64 group
 * actions each would run billions of buckets.  Outputs and controller actions, a copy of
 * the packet each, take at most FT_MAX_OUTPUTS in all: within the step limit, 4096
 * resubmits each reaching a rule of 63 outputs would still make some 258,000 copies.  A
 * packet over any limit is dropped and counted ('too_many_resubmits',
 * 'recursion_too_deep', 'too_many_outputs' in 'struct flowtab_pmd_stats'); copies sent to
 * earlier outputs of its action lists have already left.
 *
 * Groups run each chosen bucket on a copy of the packet and key, so that a bucket's rewrites
 * reach neither another bucket nor the actions after the group; when the group is the last
 * action of the outermost list, the last bucket takes the packet itself.  Chains are at most
 * FLOWTAB_GROUP_MAX_CHAIN groups deep (checked when groups change, and here again) with at
 * most FLOWTAB_GROUP_MAX_BUCKETS buckets each; resubmits inside buckets, like the group
 * actions and buckets themselves, count against the packet's limits above.  A meter that
 * drops the packet ends its actions.
 */

#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include <rte_cycles.h>

#include "ft_extract.h"
#include "ft_gm.h"
#include "ft_hash.h"
#include "ft_private.h"

enum out_kind { OUT_NONE, OUT_PORT, OUT_NORMAL, OUT_FLOOD, OUT_ALL };

struct xctx {
	struct flowtab_pmd *pmd;
	const struct ft_snap *snap;
	const struct flowtab_out *out;
	struct rte_mbuf *m;
	struct ft_key *k;
	struct ft_layers *ly;
	uint32_t in_port;
	uint8_t pending;            /* an output waiting for the packet's final state */
	uint32_t pending_port;
	bool stop;                  /* dec_ttl expired the packet, or a limit was hit */
	bool drop;                  /* a limit was hit: the packet goes nowhere */
	unsigned depth;
	unsigned n_resubmits;       /* over the whole packet, nested or not */
	unsigned n_outputs;         /* likewise */
	const struct flowtab *ft;
	unsigned base_depth;        /* 'depth' of the list whose end owns 'm' */
	unsigned group_depth;
};

static void
xsend(struct xctx *x, struct rte_mbuf *m, uint8_t kind, uint32_t port)
{
	switch (kind) {
	case OUT_PORT:
		x->out->output(x->out->ctx, port, m);
		break;
	case OUT_NORMAL:
		x->out->normal(x->out->ctx, x->in_port, m);
		break;
	case OUT_FLOOD:
		x->out->flood(x->out->ctx, x->in_port, m, false);
		break;
	case OUT_ALL:
		x->out->flood(x->out->ctx, x->in_port, m, true);
		break;
	default:
		rte_pktmbuf_free(m);
		break;
	}
}

/* Send a copy of the packet to the pending output, if any (before a rewrite or another output). */
static void
flush_pending(struct xctx *x)
{
	struct rte_mbuf *c;

	if (x->pending == OUT_NONE)
		return;
	c = rte_pktmbuf_copy(x->m, x->m->pool, 0, UINT32_MAX);
	if (c) {
		flowtab_tnl_md_copy(c, x->m);
		xsend(x, c, x->pending, x->pending_port);
	}
	x->pending = OUT_NONE;
}

/*
 * One more output or controller action of the packet: false, with the packet dropped and
 * counted, once it is over the limit.
 */
static bool
charge_output(struct xctx *x)
{
	if (likely(++x->n_outputs <= FT_MAX_OUTPUTS))
		return true;
	x->pmd->stats.too_many_outputs++;
	x->stop = x->drop = true;
	return false;
}

static void
output(struct xctx *x, uint8_t kind, uint32_t port)
{
	if (unlikely(!charge_output(x)))
		return;
	flush_pending(x);
	x->pending = kind;
	x->pending_port = port;
}

/* Ones' complement incremental update of checksum '*sum' for a 16-bit word 'old' -> 'new'. */
static inline void
csum16(uint8_t *sum, uint16_t old, uint16_t new)
{
	uint16_t hc;
	uint32_t s;

	memcpy(&hc, sum, 2);
	s = (uint16_t)~hc + (uint16_t)~old + new;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	hc = (uint16_t)~s;
	memcpy(sum, &hc, 2);
}

static void
csum_bytes(uint8_t *sum, const uint8_t *old, const uint8_t *new, unsigned len)
{
	uint16_t o, n;
	unsigned i;

	for (i = 0; i < len; i += 2) {
		memcpy(&o, old + i, 2);
		memcpy(&n, new + i, 2);
		csum16(sum, o, n);
	}
}

static inline uint8_t *
pkt(struct xctx *x)
{
	return rte_pktmbuf_mtod(x->m, uint8_t *);
}

static inline bool
is_ipv4(const struct xctx *x)
{
	return x->k->dl_type == rte_cpu_to_be_16(0x0800) && x->ly->l3;
}

static inline bool
is_ipv6(const struct xctx *x)
{
	return x->k->dl_type == rte_cpu_to_be_16(0x86dd) && x->ly->l3;
}

/* Where the L4 checksum sits that covers the pseudo header, or NULL. */
static uint8_t *
l4_pseudo_csum(struct xctx *x, bool *udp)
{
	uint8_t *p = pkt(x);
	uint32_t len = rte_pktmbuf_data_len(x->m);

	*udp = false;
	if (!x->ly->l4 || (x->k->nw_frag & FT_FRAG_LATER))
		return NULL;
	switch (x->k->nw_proto) {
	case IPPROTO_TCP:
		return len >= x->ly->l4 + 18u ? p + x->ly->l4 + 16 : NULL;
	case IPPROTO_UDP:
		*udp = true;
		return len >= x->ly->l4 + 8u ? p + x->ly->l4 + 6 : NULL;
	case IPPROTO_ICMPV6:
		return is_ipv6(x) && len >= x->ly->l4 + 4u ? p + x->ly->l4 + 2 : NULL;
	default:
		return NULL;
	}
}

/* Rewrite 'len' bytes at 'field' and fix the L4 checksum if it covers them. */
static void
rewrite_l4_covered(struct xctx *x, uint8_t *field, const uint8_t *val, unsigned len)
{
	bool udp;
	uint8_t *sum = l4_pseudo_csum(x, &udp);

	if (sum && !(udp && sum[0] == 0 && sum[1] == 0)) {
		csum_bytes(sum, field, val, len);
		if (udp && sum[0] == 0 && sum[1] == 0)
			sum[0] = sum[1] = 0xff;
	}
	memcpy(field, val, len);
}

static void
set_nw_addr(struct xctx *x, bool src, uint32_t addr)
{
	uint8_t *ip;

	if (!is_ipv4(x))
		return;
	ip = pkt(x) + x->ly->l3;
	csum_bytes(ip + 10, ip + (src ? 12 : 16), (const uint8_t *)&addr, 4);
	rewrite_l4_covered(x, ip + (src ? 12 : 16), (const uint8_t *)&addr, 4);
	if (src)
		x->k->nw_src = addr;
	else
		x->k->nw_dst = addr;
}

static void
set_ipv6_addr(struct xctx *x, bool src, const uint8_t *addr)
{
	uint8_t *ip;

	if (!is_ipv6(x))
		return;
	ip = pkt(x) + x->ly->l3;
	rewrite_l4_covered(x, ip + (src ? 8 : 24), addr, 16);
	memcpy(src ? x->k->ipv6_src : x->k->ipv6_dst, addr, 16);
}

/* Set the DSCP bits ('tos', low two bits zero) keeping ECN. */
static void
set_tos(struct xctx *x, uint8_t tos)
{
	uint8_t *ip, new;
	uint16_t o, n;

	if (is_ipv4(x)) {
		ip = pkt(x) + x->ly->l3;
		new = (uint8_t)((ip[1] & 3) | (tos & 0xfc));
		memcpy(&o, ip, 2);
		ip[1] = new;
		memcpy(&n, ip, 2);
		csum16(ip + 10, o, n);
		x->k->nw_tos = new;
	} else if (is_ipv6(x)) {
		ip = pkt(x) + x->ly->l3;
		new = (uint8_t)((x->k->nw_tos & 3) | (tos & 0xfc));
		ip[0] = (uint8_t)((ip[0] & 0xf0) | (new >> 4));
		ip[1] = (uint8_t)((ip[1] & 0x0f) | (new << 4));
		x->k->nw_tos = new;
	}
}

/* Set the TTL / hop limit; with 'dec', decrement it and return false if it expired. */
static bool
set_ttl(struct xctx *x, uint8_t ttl, bool dec)
{
	uint8_t *ip;
	uint16_t o, n;

	if (is_ipv4(x)) {
		ip = pkt(x) + x->ly->l3;
		if (dec) {
			if (ip[8] <= 1)
				return false;
			ttl = (uint8_t)(ip[8] - 1);
		}
		memcpy(&o, ip + 8, 2);
		ip[8] = ttl;
		memcpy(&n, ip + 8, 2);
		csum16(ip + 10, o, n);
		x->k->nw_ttl = ttl;
	} else if (is_ipv6(x)) {
		ip = pkt(x) + x->ly->l3;
		if (dec) {
			if (ip[7] <= 1)
				return false;
			ttl = (uint8_t)(ip[7] - 1);
		}
		ip[7] = ttl;
		x->k->nw_ttl = ttl;
	}
	return true;
}

/*
 * The packet's tunnel metadata field, to write: made valid (zero) when the packet came in by
 * no tunnel; NULL when the field was never registered.
 */
static struct flowtab_tnl_md *
tnl_md_writable(struct xctx *x)
{
	struct flowtab_tnl_md *md;

	if (flowtab_tnl_md_offset < 0)
		return NULL;
	md = RTE_MBUF_DYNFIELD(x->m, flowtab_tnl_md_offset, struct flowtab_tnl_md *);
	if (!(x->m->ol_flags & flowtab_tnl_md_flag)) {
		memset(md, 0, sizeof(*md));
		x->m->ol_flags |= flowtab_tnl_md_flag;
	}
	return md;
}

/*
 * tun_metadata'idx' = 'v' for a tunnel port to send as a Geneve option: in the packet's
 * tunnel metadata field (made valid, zero, when the packet had none) and in the key.
 */
static void
set_tun_metadata(struct xctx *x, uint8_t idx, uint32_t v)
{
	struct flowtab_tnl_md *md = tnl_md_writable(x);

	if (md == NULL)
		return;
	md->tun_metadata[idx] = v;
	md->tun_metadata_set |= (uint8_t)(1u << idx);
	x->k->tun_metadata[idx] = v;
}

static void
set_tp(struct xctx *x, bool src, uint16_t port)
{
	rte_be16_t be = rte_cpu_to_be_16(port);
	uint8_t *l4;
	bool udp;

	if (!x->ly->l4 || (x->k->nw_frag & FT_FRAG_LATER) ||
	    (x->k->nw_proto != IPPROTO_TCP && x->k->nw_proto != IPPROTO_UDP) ||
	    !l4_pseudo_csum(x, &udp))
		return;
	l4 = pkt(x) + x->ly->l4;
	rewrite_l4_covered(x, l4 + (src ? 0 : 2), (const uint8_t *)&be, 2);
	if (src)
		x->k->tp_src = be;
	else
		x->k->tp_dst = be;
}

static bool
push_vlan(struct xctx *x, uint16_t tpid, uint16_t tci)
{
	rte_be16_t be;
	uint8_t *p;

	if (rte_pktmbuf_data_len(x->m) < 14)
		return true;    /* a runt has no Ethernet header to tag */
	p = (uint8_t *)rte_pktmbuf_prepend(x->m, 4);
	if (!p)
		return false;
	memmove(p, p + 4, 12);
	be = rte_cpu_to_be_16(tpid);
	memcpy(p + 12, &be, 2);
	be = rte_cpu_to_be_16(tci);
	memcpy(p + 14, &be, 2);
	x->k->vlan_tci = rte_cpu_to_be_16(tci | FT_VLAN_CFI);
	if (x->ly->l3)
		x->ly->l3 += 4;
	if (x->ly->l4)
		x->ly->l4 += 4;
	return true;
}

static void
strip_vlan(struct xctx *x)
{
	uint8_t *p;
	uint16_t type, tci;

	if (!x->k->vlan_tci)
		return;
	p = pkt(x);
	memmove(p + 4, p, 12);
	rte_pktmbuf_adj(x->m, 4);
	p += 4;
	x->k->vlan_tci = 0;
	if (x->ly->l3)
		x->ly->l3 -= 4;
	if (x->ly->l4)
		x->ly->l4 -= 4;
	type = (uint16_t)(p[12] << 8 | p[13]);
	if ((type == 0x8100 || type == 0x88a8) && rte_pktmbuf_data_len(x->m) >= 18) {
		tci = (uint16_t)(p[14] << 8 | p[15]);
		x->k->vlan_tci = rte_cpu_to_be_16(tci | FT_VLAN_CFI);
	}
}

/* Set VID or PCP bits of the outer tag, pushing a tag when there is none (OpenFlow 1.0). */
static bool
set_vlan(struct xctx *x, uint16_t bits, uint16_t mask)
{
	uint8_t *p;
	uint16_t tci;

	if (!x->k->vlan_tci)
		return push_vlan(x, 0x8100, bits & mask);
	p = pkt(x);
	tci = (uint16_t)(((p[14] << 8 | p[15]) & ~mask) | (bits & mask));
	p[14] = (uint8_t)(tci >> 8);
	p[15] = (uint8_t)tci;
	x->k->vlan_tci = rte_cpu_to_be_16(tci | FT_VLAN_CFI);
	return true;
}

/*
 * A copy of the packet as it is now to the controller (the rule's CONTROLLER action).  A
 * table-miss rule (priority 0, matching everything) sends it as a miss, as OpenFlow 1.3
 * says and controllers that ignore action packet_ins expect.
 */
static void
to_controller(struct xctx *x, uint16_t max_len, const struct ft_rule *r)
{
	uint8_t reason = FLOWTAB_REASON_ACTION;
	struct rte_mbuf *c;
	uint64_t any = 0;

	flush_pending(x);
	if (x->out->controller == NULL || unlikely(!charge_output(x)))
		return;
	if (r->priority == 0) {
		for (unsigned i = 0; i < FT_KEY_WORDS; i++)
			any |= r->match.mask.w[i];
		if (any == 0)
			reason = FLOWTAB_REASON_EXPLICIT_MISS;
	}
	c = rte_pktmbuf_copy(x->m, x->m->pool, 0, UINT32_MAX);
	if (c)
		x->out->controller(x->out->ctx, x->in_port, c, max_len, reason, r->table_id,
				r->cookie);
}

static void run(struct xctx *x, const struct ft_rule *r);
static void run_acts(struct xctx *x, const struct ft_actions *acts, const struct ft_rule *r);

/* Send the packet of a finished action list where its last output said, or free it. */
static void
finish(struct xctx *x)
{
	if (x->m == NULL)
		return;
	if (x->pending != OUT_NONE && !x->drop)
		xsend(x, x->m, x->pending, x->pending_port);
	else
		rte_pktmbuf_free(x->m);
	x->m = NULL;
}

/* The flow's 5-tuple hash for select groups (addresses, protocol, ports; L2 for non-IP). */
static uint32_t
flow_hash(const struct ft_key *k)
{
	uint32_t h = ft_crc32_u64(0x9e3779b9, (uint64_t)k->dl_type << 8 | k->nw_proto);
	unsigned i;

	h = ft_crc32_u64(h, (uint64_t)k->tp_src << 16 | k->tp_dst);
	for (i = 4; i < 8; i++)
		h = ft_crc32_u64(h, k->w[i]);
	if (k->dl_type != rte_cpu_to_be_16(0x0800) && k->dl_type != rte_cpu_to_be_16(0x86dd))
		h = ft_crc32_u64(ft_crc32_u64(h, k->w[1]), k->w[2]);
	return h;
}

/*
 * One more step of the packet's work (a resubmit, a group action or a bucket): false, with
 * the packet dropped and counted, once it is over the limit.
 */
static bool
charge(struct xctx *x)
{
	if (likely(++x->n_resubmits <= FT_MAX_RESUBMITS))
		return true;
	x->pmd->stats.too_many_resubmits++;
	x->stop = x->drop = true;
	return false;
}

/*
 * Run bucket 'b' on a copy of the packet (or on the packet itself when 'take'),
 * with a key and layers of its own.
 */
static void
run_bucket(struct xctx *x, const struct ft_bucket *b, const struct ft_rule *r, bool take)
{
	struct ft_key k = *x->k;
	struct ft_layers ly = *x->ly;
	uint32_t len = rte_pktmbuf_pkt_len(x->m);
	struct xctx y;

	if (!charge(x))
		return;
	y = *x;
	if (take) {
		y.m = x->m;
		x->m = NULL;
	} else {
		y.m = rte_pktmbuf_copy(x->m, x->m->pool, 0, UINT32_MAX);
		if (y.m == NULL)
			return;
		flowtab_tnl_md_copy(y.m, x->m);
	}
	__atomic_fetch_add((uint64_t *)&b->packets, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add((uint64_t *)&b->bytes, len, __ATOMIC_RELAXED);
	y.k = &k;
	y.ly = &ly;
	y.pending = OUT_NONE;
	y.stop = y.drop = false;
	y.base_depth = x->depth;
	y.group_depth = x->group_depth + 1;
	run_acts(&y, b->acts, r);
	finish(&y);
	x->n_resubmits = y.n_resubmits;
	x->n_outputs = y.n_outputs;
	if (y.n_resubmits > FT_MAX_RESUBMITS || y.n_outputs > FT_MAX_OUTPUTS)
		x->stop = x->drop = true;
}

/* The group action: 'last' when it ends the list that owns the packet. */
static void
group(struct xctx *x, uint32_t id, const struct ft_rule *r, bool last)
{
	const struct ft_gm *gm = x->ft->gm;
	const struct ft_gtab *t;
	const struct ft_bucket *b;
	const struct ft_group *g;
	uint32_t i;

	flush_pending(x);
	if (unlikely(gm == NULL || x->group_depth >= FLOWTAB_GROUP_MAX_CHAIN) || !charge(x))
		return;
	t = x->snap->groups;
	g = ft_gtab_find(t, id);
	if (g == NULL)
		return;
	__atomic_fetch_add((uint64_t *)&g->packets, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add((uint64_t *)&g->bytes, rte_pktmbuf_pkt_len(x->m), __ATOMIC_RELAXED);
	if (g->type == FLOWTAB_GROUP_TYPE_ALL) {
		for (i = 0; i < g->n_buckets && x->m && !x->stop; i++)
			run_bucket(x, &g->b[i], r, last && i == g->n_buckets - 1);
		return;
	}
	b = ft_group_pick(gm, t, g, g->type == FLOWTAB_GROUP_TYPE_SELECT ? flow_hash(x->k) : 0);
	if (b)
		run_bucket(x, b, r, last);
}

/* The meter action: false when the meter drops the packet. */
static bool
meter(struct xctx *x, uint32_t id)
{
	const struct ft_gm *gm = x->ft->gm;
	struct ft_meter *m;

	if (unlikely(gm == NULL))
		return false;
	m = ft_mtab_find(__atomic_load_n(&gm->meters, __ATOMIC_ACQUIRE), id);
	if (m == NULL)
		return false;     /* as a rule to a missing group: nothing goes out */
	return ft_meter_pass(m, rte_pktmbuf_pkt_len(x->m), rte_get_tsc_cycles());
}

static void
resubmit(struct xctx *x, uint32_t port, uint8_t table, const struct ft_rule *from)
{
	struct ft_key *k = x->k;
	uint8_t saved_table = k->table_id;
	rte_be32_t saved_port = k->in_port;
	const struct ft_rule *r;

	if (unlikely(x->depth >= FT_MAX_DEPTH)) {
		x->pmd->stats.recursion_too_deep++;
		x->stop = x->drop = true;
		return;
	}
	if (unlikely(!charge(x)))
		return;
	k->table_id = table == 0xff ? from->table_id : table;
	if (port != FLOWTAB_PORT_NONE)
		k->in_port = rte_cpu_to_be_32(port);
	r = ft_pmd_lookup(x->pmd, x->snap, k);
	k->in_port = saved_port;
	if (r) {
		ft_rule_count(x->pmd, r, rte_pktmbuf_pkt_len(x->m));
		x->depth++;
		run(x, r);
		x->depth--;
	}
	k->table_id = saved_table;
}

/*
 * The tunnel id the packet leaves a tunnel port with (key=flow): the metadata field, which
 * a packet that came in by no tunnel gets cleared first.
 */
static void
set_tun_id(struct xctx *x, const uint8_t *be_id)
{
	struct flowtab_tnl_md *md = tnl_md_writable(x);

	if (md == NULL)
		return;
	memcpy(&md->tun_id, be_id, 8);
	memcpy(&x->k->tun_id, be_id, 8);
}

/* tun_flags (OAM: Geneve's O bit) for a tunnel port to send with, as set_tun_id(). */
static void
set_tun_flags(struct xctx *x, uint16_t flags)
{
	struct flowtab_tnl_md *md = tnl_md_writable(x);

	if (md == NULL)
		return;
	md->flags = (uint8_t)((md->flags & ~FLOWTAB_TNL_MD_F_OAM) |
		(flags & 1 ? FLOWTAB_TNL_MD_F_OAM : 0));
	x->k->tun_flags = rte_cpu_to_be_16(flags & 1);
}

/*
 * The outer IPv4 source ('src') or destination a tunnel port with local_ip=flow or
 * remote_ip=flow sends the packet with: the metadata field, as set_tun_id().
 */
static void
set_tun_addr(struct xctx *x, bool src, uint32_t be_ip)
{
	struct flowtab_tnl_md *md = tnl_md_writable(x);

	if (md == NULL)
		return;
	if (src) {
		md->tun_src = be_ip;
		x->k->tun_src = be_ip;
	} else {
		md->tun_dst = be_ip;
		x->k->tun_dst = be_ip;
	}
}

/*
 * The outer IPv6 source ('src') or destination of local_ip=flow or remote_ip=flow over IPv6:
 * in the packet's private area (flowtab.h), the other endpoint zero when it had none.  A
 * packet whose pool has no room keeps none (its tunnel port counts it as without one).
 */
static void
set_tun_addr6(struct xctx *x, bool src, const uint8_t *addr)
{
	struct flowtab_tnl_md *md = tnl_md_writable(x);
	struct flowtab_tnl_md6 *m6;

	if (md == NULL || (m6 = flowtab_tnl_md6_of(x->m)) == NULL)
		return;
	if (!(md->flags & FLOWTAB_TNL_MD_F_IPV6)) {
		memset(m6, 0, sizeof(*m6));
		md->flags |= FLOWTAB_TNL_MD_F_IPV6;
	}
	memcpy(src ? m6->src : m6->dst, addr, 16);
	memcpy(src ? x->k->tun_ipv6_src : x->k->tun_ipv6_dst, addr, 16);
}

static void
run(struct xctx *x, const struct ft_rule *r)
{
	run_acts(x, __atomic_load_n(&r->acts, __ATOMIC_ACQUIRE), r);
}

static void
run_acts(struct xctx *x, const struct ft_actions *acts, const struct ft_rule *r)
{
	const struct ft_action *a;
	uint32_t i;

	for (i = 0; i < acts->n && !x->stop && x->m; i++) {
		a = &acts->a[i];
		if (ft_act_modifies(a->type))
			flush_pending(x);
		switch (a->type) {
		case FT_ACT_OUTPUT:
			if (a->u32 != x->in_port)
				output(x, OUT_PORT, a->u32);
			break;
		case FT_ACT_IN_PORT:
			output(x, OUT_PORT, x->in_port);
			break;
		case FT_ACT_NORMAL:
			output(x, OUT_NORMAL, 0);
			break;
		case FT_ACT_FLOOD:
			output(x, OUT_FLOOD, 0);
			break;
		case FT_ACT_ALL:
			output(x, OUT_ALL, 0);
			break;
		case FT_ACT_CONTROLLER:
			to_controller(x, a->u16, r);
			break;
		case FT_ACT_SET_DL_SRC:
			if (rte_pktmbuf_data_len(x->m) < 14)
				break;
			memcpy(pkt(x) + 6, a->bytes, 6);
			memcpy(x->k->dl_src, a->bytes, 6);
			break;
		case FT_ACT_SET_DL_DST:
			if (rte_pktmbuf_data_len(x->m) < 14)
				break;
			memcpy(pkt(x), a->bytes, 6);
			memcpy(x->k->dl_dst, a->bytes, 6);
			break;
		case FT_ACT_SET_NW_SRC:
		case FT_ACT_SET_NW_DST:
			set_nw_addr(x, a->type == FT_ACT_SET_NW_SRC, a->u32);
			break;
		case FT_ACT_SET_IPV6_SRC:
		case FT_ACT_SET_IPV6_DST:
			set_ipv6_addr(x, a->type == FT_ACT_SET_IPV6_SRC, a->bytes);
			break;
		case FT_ACT_SET_NW_TOS:
			set_tos(x, a->u8);
			break;
		case FT_ACT_SET_NW_TTL:
			set_ttl(x, a->u8, false);
			break;
		case FT_ACT_DEC_TTL:
			if (!set_ttl(x, 0, true))
				x->stop = true;
			break;
		case FT_ACT_SET_TP_SRC:
		case FT_ACT_SET_TP_DST:
			set_tp(x, a->type == FT_ACT_SET_TP_SRC, a->u16);
			break;
		case FT_ACT_SET_VLAN_VID:
			if (!set_vlan(x, a->u16, 0x0fff))
				x->stop = true;
			break;
		case FT_ACT_SET_VLAN_PCP:
			if (!set_vlan(x, (uint16_t)(a->u8 << 13), 0xe000))
				x->stop = true;
			break;
		case FT_ACT_SET_TUN_METADATA:
			set_tun_metadata(x, a->u8 & 1, a->u32);
			break;
		case FT_ACT_PUSH_VLAN:
			if (!push_vlan(x, a->u16, x->k->vlan_tci ?
				       rte_be_to_cpu_16(x->k->vlan_tci) & ~FT_VLAN_CFI : 0))
				x->stop = true;
			break;
		case FT_ACT_STRIP_VLAN:
			strip_vlan(x);
			break;
		case FT_ACT_RESUBMIT:
			resubmit(x, a->u32, a->u8, r);
			break;
		case FT_ACT_GOTO_TABLE:
			resubmit(x, FLOWTAB_PORT_NONE, a->u8, r);
			break;
		case FT_ACT_GROUP:
			group(x, a->u32, r, i == acts->n - 1 && x->depth == x->base_depth);
			break;
		case FT_ACT_METER:
			if (!meter(x, a->u32))
				x->stop = x->drop = true;
			break;
		case FT_ACT_SET_TUN_ID:
			set_tun_id(x, a->bytes);
			break;
		case FT_ACT_SET_TUN_SRC:
		case FT_ACT_SET_TUN_DST:
			set_tun_addr(x, a->type == FT_ACT_SET_TUN_SRC, a->u32);
			break;
		case FT_ACT_SET_TUN_IPV6_SRC:
		case FT_ACT_SET_TUN_IPV6_DST:
			set_tun_addr6(x, a->type == FT_ACT_SET_TUN_IPV6_SRC, a->bytes);
			break;
		case FT_ACT_SET_TUN_FLAGS:
			set_tun_flags(x, a->u16);
			break;
		default:
			break;
		}
	}
}

void
ft_exec(struct flowtab_pmd *pmd, const struct flowtab *ft, const struct ft_snap *snap,
		const struct ft_rule *r, struct rte_mbuf *m, struct ft_key *k, struct ft_layers *ly,
		uint32_t in_port, const struct flowtab_out *out)
{
	struct xctx x = {
		.pmd = pmd, .snap = snap, .out = out, .m = m, .k = k, .ly = ly,
		.in_port = in_port, .pending = OUT_NONE, .ft = ft,
	};

	run(&x, r);
	finish(&x);
}

struct flowtab_actions {
	struct ft_rule rule;        /* table 0, no match: what resubmit and counters need */
};

struct flowtab_actions *
flowtab_actions_parse(struct flowtab *ft, const char *text, char **err)
{
	struct flowtab_actions *a = calloc(1, sizeof(*a));

	if (a == NULL) {
		*err = strdup("out of memory");
		return NULL;
	}
	a->rule.acts = ft_actions_parse(text, &ft->ports, err);
	if (a->rule.acts == NULL) {
		free(a);
		return NULL;
	}
	return a;
}

void
flowtab_actions_free(struct flowtab_actions *a)
{
	if (a == NULL)
		return;
	free(a->rule.acts);
	free(a);
}

void
flowtab_execute(struct flowtab_pmd *pmd, struct flowtab *ft, const struct flowtab_actions *a,
		struct rte_mbuf *m, uint32_t in_port, const struct flowtab_out *out)
{
	const struct ft_snap *snap = __atomic_load_n(&ft->snap, __ATOMIC_ACQUIRE);
	struct ft_layers ly;
	struct ft_key k;

	ft_key_extract_inline(m, in_port == FLOWTAB_PORT_NONE ? 0 : in_port, &k, &ly);
	ft_exec(pmd, ft, snap, &a->rule, m, &k, &ly, in_port, out);
}
