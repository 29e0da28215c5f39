/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Forwarding on the PMD: a received burst goes to its bridge's flow table, or, when the
 * bridge has no rules, to the MAC learning switch; packets leave through pmd_output().
 * Nothing here locks or makes a system call; the only allocations are mbuf copies: of a
 * flooded packet that leaves some ports tagged and others untagged, of a packet to rewrite
 * that is lent or shared (fwd_own()), and of mirrored packets.
 *
 * MAC learning follows Open vSwitch's NORMAL action with its VLAN rules
 * (ovs-vswitchd.conf.db(5), "VLAN Configuration"): a packet's VLAN is decided where it
 * enters (an access port's tag; a trunk's 802.1Q VLAN, 0 when untagged; a native port's tag
 * when untagged), packets a port does not carry are dropped there, MACs are learned and
 * looked up per VLAN, floods reach only the ports that carry the VLAN, and the tag is
 * pushed or popped where the packet leaves (none on access ports, none for VLAN 0, none for
 * the native VLAN of a native-untagged port).  Frames to the reserved addresses of
 * mac_is_reserved() are dropped unless the bridge's other_config:forward-bpdu is true.
 * Rules (flowtab) see packets as received; their dl_vlan/vlan_tci matches and actions are
 * untouched by this.
 *
 * Mirrors (dataplane/mirror.c): what a selected port receives is copied to the mirrors
 * when the burst enters, before rules or MAC learning; what one sends, where fwd_send()
 * queues it.  Both only when the bridge has mirrors (one test per burst and per output
 * otherwise).
 */
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <string.h>

#include "dp.h"

struct fwd_ctx {
	struct pmd *pmd;
	const struct bridge_snap *snap;
	struct dp_bridge *br;
	uint32_t now;
};

#define ETH_VLAN 0x8100

/* True when port VLAN settings 'v' carry VLAN 'vlan'. */
static inline bool
vlan_carries(const struct dp_vlan *v, uint16_t vlan)
{
	if (v->mode == DP_VLAN_ACCESS)
		return vlan == v->tag;
	if (unlikely(v->mode == DP_VLAN_NONE))
		return false;
	return v->trunks == NULL || ((v->trunks[vlan >> 6] >> (vlan & 63)) & 1);
}

/* True when a packet of VLAN 'vlan' leaves a port of settings 'v' with an 802.1Q header. */
static inline bool
vlan_tagged_out(const struct dp_vlan *v, uint16_t vlan)
{
	return vlan != 0 && v->mode != DP_VLAN_ACCESS &&
		!(v->mode == DP_VLAN_NATIVE_UNTAGGED && vlan == v->tag);
}

/* 'm' made writable: itself when not shared, else a private copy (NULL: no buffer). */
static inline struct rte_mbuf *
writable(struct rte_mbuf *m)
{
	struct rte_mbuf *c;

	if (likely(RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1))
		return m;
	c = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
	if (c != NULL)
		flowtab_tnl_md_copy(c, m);
	rte_pktmbuf_free(m);
	return c;
}

/* Give the writable 'm' an 802.1Q header of VLAN 'vlan' (priority 0); -1: no headroom. */
static inline int
vlan_push(struct rte_mbuf *m, uint16_t vlan)
{
	uint8_t *old = rte_pktmbuf_mtod(m, uint8_t *), *eth;

	eth = (uint8_t *)rte_pktmbuf_prepend(m, 4);
	if (unlikely(eth == NULL))
		return -1;
	memmove(eth, old, 2 * RTE_ETHER_ADDR_LEN);
	eth[12] = ETH_VLAN >> 8;
	eth[13] = ETH_VLAN & 0xff;
	eth[14] = (uint8_t)(vlan >> 8);
	eth[15] = (uint8_t)vlan;
	return 0;
}

/* Take the 802.1Q header off the writable 'm'. */
static inline void
vlan_pop(struct rte_mbuf *m)
{
	uint8_t *eth = rte_pktmbuf_mtod(m, uint8_t *);

	memmove(eth + 4, eth, 2 * RTE_ETHER_ADDR_LEN);
	rte_pktmbuf_adj(m, 4);
}

/* 'm' (private) changed to the form 'tagged' for VLAN 'vlan'; NULL when it was dropped. */
static inline struct rte_mbuf *
vlan_convert(struct fwd_ctx *c, struct rte_mbuf *m, bool tagged, uint16_t vlan)
{
	if (!tagged) {
		vlan_pop(m);
		return m;
	}
	if (likely(vlan_push(m, vlan) == 0))
		return m;
	rte_pktmbuf_free(m);
	c->pmd->stats.dropped++;
	return NULL;
}

/* True when 'm' carries an 802.1Q header. */
static inline bool
pkt_tagged(const struct rte_mbuf *m)
{
	const uint8_t *eth = rte_pktmbuf_mtod(m, const uint8_t *);

	return rte_pktmbuf_data_len(m) >= RTE_ETHER_HDR_LEN + 4 &&
		eth[12] == (ETH_VLAN >> 8) && eth[13] == (ETH_VLAN & 0xff);
}

/* The VLAN of 'm' on a port of settings 'v' (for select_vlan): its 802.1Q VLAN, else the
 * port's access or native VLAN, else 0. */
static inline uint16_t
pkt_vlan(const struct dp_vlan *v, const struct rte_mbuf *m)
{
	const uint8_t *eth = rte_pktmbuf_mtod(m, const uint8_t *);

	if (v->mode != DP_VLAN_ACCESS && pkt_tagged(m) && (((eth[14] << 8) | eth[15]) & 0xfff) != 0)
		return (uint16_t)(((eth[14] << 8) | eth[15]) & 0xfff);
	return v->mode == DP_VLAN_TRUNK || v->mode == DP_VLAN_NONE ? 0 : v->tag;
}

/*
 * Copy 'm', crossing port slot 'slot', to the mirrors of 'sel' that do not have it yet and
 * select its VLAN.  A copy that finds no buffer is not sent (counted as a drop).
 */
static void
mirror_pkt(struct fwd_ctx *c, uint32_t sel, uint16_t slot, struct rte_mbuf *m)
{
	const struct bridge_snap *s = c->snap;
	uint32_t *done = dp_mirror_done(m);
	int vlan = -1;

	sel &= ~*done;
	while (sel != 0) {
		unsigned i = (unsigned)__builtin_ctz(sel);
		struct dp_mirror *mi = s->mirror[i];
		struct rte_mbuf *cp;

		sel &= sel - 1;
		if (!mi->all_vlans) {
			if (vlan < 0)
				vlan = pkt_vlan(&s->vlan[slot], m);
			if (!((mi->vlans[vlan >> 6] >> (vlan & 63)) & 1))
				continue;
		}
		*done |= 1u << i;
		cp = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
		if (unlikely(cp == NULL)) {
			c->pmd->stats.dropped++;
			continue;
		}
		flowtab_tnl_md_copy(cp, m);
		/* As Open vSwitch: the copy leaves a trunk tagged with its VLAN. */
		if (s->mirror_tag[i]) {
			if (vlan < 0)
				vlan = pkt_vlan(&s->vlan[slot], m);
			if (vlan != 0 && !pkt_tagged(cp) && unlikely(vlan_push(cp, vlan) < 0)) {
				rte_pktmbuf_free(cp);
				c->pmd->stats.dropped++;
				continue;
			}
		}
		mi->stats[c->pmd->index].packets++;
		mi->stats[c->pmd->index].bytes += rte_pktmbuf_pkt_len(cp);
		pmd_output(c->pmd, &s->mirror_out[i]->port, cp);
	}
}

/* The burst 'pkts' entered on slot 'slot' of a bridge with mirrors. */
static void
mirror_rx(struct fwd_ctx *c, uint16_t slot, struct rte_mbuf **pkts, uint16_t n)
{
	uint32_t sel = c->snap->mirror_src[slot];

	for (uint16_t i = 0; i < n; i++) {
		*dp_mirror_done(pkts[i]) = 0;
		if (sel != 0)
			mirror_pkt(c, sel, slot, pkts[i]);
	}
}

/* Queue 'm' on 'port' of this bridge, copying it to the mirrors selecting what it sends. */
static inline void
fwd_send(struct fwd_ctx *c, struct port *port, struct rte_mbuf *m)
{
	if (unlikely(c->snap->n_mirrors != 0) && c->snap->mirror_dst[port->slot] != 0)
		mirror_pkt(c, c->snap->mirror_dst[port->slot], port->slot, m);
	pmd_output(c->pmd, port, m);
}

/*
 * 'n' more references to every segment of 'm', which is sent to n + 1 ports: a chain's
 * segments are freed each by its own count (rte_pktmbuf_free), so counting the first only
 * would free the rest with the first port's send while the others still read them.
 */
static inline void
pkt_refs_add(struct rte_mbuf *m, int16_t n)
{
	for (; m != NULL; m = m->next)
		rte_mbuf_refcnt_update(m, n);
}

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
		pkt_refs_add(m, (int16_t)(k - 1));
	for (uint32_t i = 0; i < s->n_ports; i++)
		if (all || s->ports[i]->ofport != in_port)
			fwd_send(c, &s->ports[i]->port, m);
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
		fwd_send(c, &out->port, m);
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
		if (unlikely(c->snap->n_mirrors != 0) && c->snap->mirror_dst[out->port.slot])
			for (uint16_t i = 0; i < n; i++)
				mirror_pkt(c, c->snap->mirror_dst[out->port.slot], out->port.slot,
					pkts[i]);
		pmd_output_burst(c->pmd, &out->port, pkts, n);
		return;
	}
	rte_pktmbuf_free_bulk(pkts, n);
	c->pmd->stats.dropped += n;
}

/*
 * Flood 'm' (in VLAN 'vlan', carrying a tag when 'tagged') to every port of the VLAN but
 * 'in_port': the ports wanting the packet as it is share it; the ones wanting the other
 * form share one converted copy.
 */
static void
normal_flood(struct fwd_ctx *c, uint32_t in_port, struct rte_mbuf *m, uint16_t vlan,
	bool tagged)
{
	const struct bridge_snap *s = c->snap;
	uint32_t same = 0, other = 0;
	struct rte_mbuf *o = NULL;

	if (likely(s->vlan_plain)) {
		fwd_flood(c, in_port, m, false);
		return;
	}
	for (uint32_t i = 0; i < s->n_ports; i++) {
		const struct dp_port *p = s->ports[i];
		const struct dp_vlan *v = &s->vlan[p->port.slot];

		if (p->ofport == in_port || !vlan_carries(v, vlan))
			continue;
		if (vlan_tagged_out(v, vlan) == tagged)
			same++;
		else
			other++;
	}
	if (other > 0) {
		o = same > 0 ? rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX) : writable(m);
		if (o != NULL && same > 0)
			flowtab_tnl_md_copy(o, m);
		if (same == 0)
			m = NULL;
		if (o != NULL)
			o = vlan_convert(c, o, !tagged, vlan);
		if (o == NULL)
			other = 0;
		else if (other > 1)
			pkt_refs_add(o, (int16_t)(other - 1));
	}
	if (m != NULL && same == 0) {
		rte_pktmbuf_free(m);
		m = NULL;
	}
	if (same == 0 && other == 0) {
		c->pmd->stats.dropped++;
		return;
	}
	if (same > 1)
		pkt_refs_add(m, (int16_t)(same - 1));
	for (uint32_t i = 0; i < s->n_ports; i++) {
		const struct dp_port *p = s->ports[i];
		const struct dp_vlan *v = &s->vlan[p->port.slot];

		if (p->ofport == in_port || !vlan_carries(v, vlan))
			continue;
		if (vlan_tagged_out(v, vlan) == tagged)
			fwd_send(c, (struct port *)&p->port, m);
		else if (o != NULL)
			fwd_send(c, (struct port *)&p->port, o);
	}
}

static inline void
normal_drop(struct fwd_ctx *c, struct rte_mbuf *m)
{
	rte_pktmbuf_free(m);
	c->pmd->stats.dropped++;
}

/*
 * An ARP announcement as Open vSwitch's is_gratuitous_arp() sees one: broadcast, and a
 * reply or a request for the sender's own address.  'l3' is the offset past the Ethernet
 * (and 802.1Q) header.
 */
static bool
is_grat_arp(const struct rte_mbuf *m, unsigned l3)
{
	const uint8_t *e = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint8_t *a = e + l3;

	if (rte_pktmbuf_data_len(m) < l3 + 28 || e[l3 - 2] != 0x08 || e[l3 - 1] != 0x06 ||
			(e[0] & e[1] & e[2] & e[3] & e[4] & e[5]) != 0xff)
		return false;
	if (a[6] == 0 && a[7] == 2)
		return true;
	return a[6] == 0 && a[7] == 1 && memcmp(a + 14, a + 24, 4) == 0;
}

/*
 * The receiving port's verdict (a balance-slb bond's loop protection).  PORT_DROP_IF_MOVED:
 * a source MAC learned on another port is most likely one of our own packets that the
 * switch beyond the bond sent back on another member; an ARP announcement is a host that
 * moved behind the bond, unless its entry was refreshed in the last NORMAL_GRAT_ARP_LOCK_S
 * seconds (then it is more likely our own host's announcement coming back; Open vSwitch
 * locks an entry for as long after learning it from an announcement).
 */
#define NORMAL_GRAT_ARP_LOCK_S 5

static bool
normal_admit(struct fwd_ctx *c, struct port *in, const struct rte_mbuf *m, uint64_t src,
	uint16_t vlan, bool tagged)
{
	uint32_t seen = 0;
	uint16_t slot;

	switch (in->admit(in, m)) {
	case PORT_ADMIT:
		return true;
	case PORT_DROP:
		return false;
	case PORT_DROP_IF_MOVED:
		break;
	}
	slot = mac_lookup_seen(c->br->mac, src, vlan, c->now, &seen);
	if (slot == MAC_SLOT_NONE || slot == in->slot)
		return true;
	return is_grat_arp(m, tagged ? RTE_ETHER_HDR_LEN + 4 : RTE_ETHER_HDR_LEN) &&
		c->now - seen >= NORMAL_GRAT_ARP_LOCK_S;
}

static inline void
normal_one(struct fwd_ctx *c, uint32_t in_port, struct port *inp, struct rte_mbuf *m)
{
	uint16_t in_slot = inp->slot;
	const uint8_t *eth = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct bridge_snap *s = c->snap;
	const struct dp_vlan *vin = &s->vlan[in_slot], *vout;
	bool tagged = false;
	uint16_t vlan = 0, slot;
	uint64_t dst, src;
	struct dp_port *out;

	if (unlikely(rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN)) {
		normal_drop(c, m);
		return;
	}
	if (unlikely(eth[12] == (ETH_VLAN >> 8) && eth[13] == (ETH_VLAN & 0xff))) {
		if (unlikely(rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + 4)) {
			normal_drop(c, m);
			return;
		}
		vlan = (uint16_t)(((eth[14] << 8) | eth[15]) & 0xfff);
		tagged = true;
		if (vlan == 0) {
			/* A priority tag: the packet is untagged as far as VLANs go. */
			if ((m = writable(m)) == NULL) {
				c->pmd->stats.dropped++;
				return;
			}
			vlan_pop(m);
			eth = rte_pktmbuf_mtod(m, const uint8_t *);
			tagged = false;
		}
	}
	if (unlikely(!s->vlan_plain)) {
		if (vin->mode == DP_VLAN_ACCESS) {
			if (tagged) {
				normal_drop(c, m);
				return;
			}
			vlan = vin->tag;
		} else if (!tagged && vin->mode != DP_VLAN_TRUNK) {
			vlan = vin->tag;
		}
		if (!vlan_carries(vin, vlan)) {
			normal_drop(c, m);
			return;
		}
		/* As far as the outputs go, the packet is tagged iff it carries an 802.1Q header. */
	}
	/*
	 * Open vSwitch's is_admissible(): frames to reserved addresses (BPDUs, LLDP, 802.1X, ...)
	 * are neither learned from nor forwarded unless forward-bpdu is true.  A bond running
	 * LACP took its LACPDUs before any of this (DPDK's 802.3ad mode).
	 */
	dst = mac_from_bytes(eth);
	if (!s->forward_bpdu && unlikely(mac_is_reserved(dst))) {
		normal_drop(c, m);
		return;
	}
	src = mac_from_bytes(eth + 6);
	if (unlikely(inp->admit != NULL) && !normal_admit(c, inp, m, src, vlan, tagged)) {
		normal_drop(c, m);
		return;
	}
	if (likely(!(eth[6] & 1)))
		mac_learn(c->br->mac, src, vlan, in_slot, c->now);
	if (eth[0] & 1) {
		normal_flood(c, in_port, m, vlan, tagged);
		return;
	}
	slot = mac_lookup(c->br->mac, dst, vlan, c->now);
	out = slot == MAC_SLOT_NONE ? NULL : s->by_slot[slot];
	if (out == NULL || (!s->vlan_plain && !vlan_carries(&s->vlan[slot], vlan))) {
		normal_flood(c, in_port, m, vlan, tagged);
		return;
	}
	if (unlikely(out->ofport == in_port)) {
		normal_drop(c, m);
		return;
	}
	vout = &s->vlan[slot];
	if (unlikely(!s->vlan_plain) && vlan_tagged_out(vout, vlan) != tagged) {
		if ((m = writable(m)) == NULL) {
			c->pmd->stats.dropped++;
			return;
		}
		if ((m = vlan_convert(c, m, !tagged, vlan)) == NULL)
			return;
	}
	fwd_send(c, &out->port, m);
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
	normal_one(c, in_port, (struct port *)&in->port, m);
}

/* CONTROLLER action or table miss: to the main thread's ring, never waiting for room. */
static void
fwd_controller(void *arg, uint32_t in_port, struct rte_mbuf *m, uint16_t max_len,
	uint8_t reason, uint8_t table, uint64_t cookie)
{
	struct fwd_ctx *c = arg;
	struct dp *dp = c->pmd->aux;
	struct dp_pin pin = {
		.m = m, .br = c->br, .cookie = cookie, .in_port = in_port,
		.max_len = max_len, .reason = reason, .table = table,
	};

	if (unlikely(rte_ring_mp_enqueue_elem(dp->pin, &pin, sizeof(pin)) != 0)) {
		rte_pktmbuf_free(m);
		((struct dp_pmd_ctx *)c->pmd->ctx)->pin_dropped++;
	}
}

/*
 * Each of the 'n' packets of 'pkts' replaced in place by what 'mine' makes of it (itself,
 * or a private copy); one no buffer is left for is dropped.  Returns how many remain.
 */
static inline uint16_t
fwd_replace(struct pmd *pmd, struct rte_mbuf **pkts, uint16_t n,
	struct rte_mbuf *(*mine)(struct rte_mbuf *))
{
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = mine(pkts[i]);

		if (m != NULL)
			pkts[k++] = m;
		else
			pmd->stats.dropped++;
	}
	return k;
}

/*
 * Lent packets of 'pkts' (with 'headers', only those whose headers are lent too) replaced
 * by private copies, in place; returns how many remain.
 */
static uint16_t
fwd_unborrow(struct pmd *pmd, struct rte_mbuf **pkts, uint16_t n, bool headers)
{
	return fwd_replace(pmd, pkts, n, headers ? port_unborrow_headers : port_unborrow);
}

/*
 * flowtab_out.own: the rules about to run write to packets or keep them.  A packet may be
 * lent by its port, or shared: a flood in another bridge sends one mbuf to every port with
 * one more reference each, and a patch port hands its share to this bridge as it is.
 * Either is replaced by a private copy (port_pkt_writable()), in place; returns how many
 * remain.
 */
static uint16_t
fwd_own(void *arg, struct rte_mbuf **pkts, uint16_t n)
{
	return fwd_replace(((struct fwd_ctx *)arg)->pmd, pkts, n, port_pkt_writable);
}

/*
 * flowtab_out.own_head: the rules about to run rewrite headers and nothing more.  A packet
 * keeps what its port lent after the copied headers; one whose first segment is lent or
 * shared is replaced by a private copy (port_pkt_head_writable()), in place.  Returns how
 * many remain.
 */
static uint16_t
fwd_own_head(void *arg, struct rte_mbuf **pkts, uint16_t n)
{
	return fwd_replace(((struct fwd_ctx *)arg)->pmd, pkts, n, port_pkt_head_writable);
}

static inline struct flowtab_out
fwd_out(struct fwd_ctx *c)
{
	return (struct flowtab_out) {
		.output = fwd_output,
		.output_burst = fwd_output_burst,
		.normal = fwd_normal,
		.flood = fwd_flood,
		.controller = fwd_controller,
		.own = fwd_own,
		.own_head = fwd_own_head,
		.miss_to_controller = c->snap->miss_to_controller,
		.ctx = c,
	};
}

void
dp_execute(struct pmd *pmd, struct dp_bridge *br, const struct flowtab_actions *acts,
	struct rte_mbuf *m, uint32_t in_port)
{
	struct fwd_ctx c = {
		.pmd = pmd,
		.snap = __atomic_load_n(&br->snap, __ATOMIC_ACQUIRE),
		.br = br,
		.now = 0,
	};
	const struct flowtab_out out = fwd_out(&c);

	if (unlikely(c.snap->n_mirrors != 0))
		*dp_mirror_done(m) = 0;
	flowtab_execute(((struct dp_pmd_ctx *)pmd->ctx)->ft, br->ft, acts, m, in_port, &out);
}

/*
 * Is 'm' an IP fragment (IPv4 with MF or an offset; IPv6 with a fragment header among its
 * first extension headers)?  Behind up to two VLAN tags, as flowtab parses them.
 */
static bool
fwd_is_fragment(const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m), off = 14, i;
	uint16_t type;
	uint8_t nh;

	if (len < 14)
		return false;
	type = (uint16_t)(p[12] << 8 | p[13]);
	for (i = 0; i < 2 && (type == 0x8100 || type == 0x88a8) && len >= off + 4; i++) {
		type = (uint16_t)(p[off + 2] << 8 | p[off + 3]);
		off += 4;
	}
	if (type == 0x0800)
		return len >= off + 20 && ((p[off + 6] << 8 | p[off + 7]) & 0x3fff) != 0;
	if (type != 0x86dd || len < off + 40)
		return false;
	nh = p[off + 6];
	off += 40;
	for (i = 0; i < 4 && len >= off + 8; i++) {
		if (nh == 44)
			return true;
		if (nh != 0 && nh != 43 && nh != 60)
			return false;
		nh = p[off];
		off += (p[off + 1] + 1u) * 8u;
	}
	return false;
}

/* SET_CONFIG frag drop: the fragments of a burst go before anything sees them. */
static uint16_t
fwd_drop_fragments(struct pmd *pmd, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++) {
		if (likely(!fwd_is_fragment(pkts[i]))) {
			pkts[k++] = pkts[i];
		} else {
			rte_pktmbuf_free(pkts[i]);
			pmd->stats.dropped++;
		}
	}
	return k;
}

/* One burst received on 'in_port' through its bridge: rules, or MAC learning. */
static void
process_burst(struct pmd *pmd, struct port *in_port, struct rte_mbuf **pkts, uint16_t n)
{
	struct dp_port *in = dp_port_of(in_port);
	struct dp_bridge *br = in->bridge;
	struct fwd_ctx c = {
		.pmd = pmd,
		.snap = __atomic_load_n(&br->snap, __ATOMIC_ACQUIRE),
		.br = br,
		.now = 0,		/* read the clock only if MAC learning runs */
	};

	if (unlikely(!c.snap->borrow)) {
		/* Lent by a port that still thought it could (port.rx_borrow). */
		if (port_rx_lends(in_port))
			n = fwd_unborrow(pmd, pkts, n, false);
		if (n == 0)
			return;
	} else if (c.snap->use_flows) {
		/* Rules match on headers that must be ours (lent whole before there were rules). */
		n = fwd_unborrow(pmd, pkts, n, true);
		if (n == 0)
			return;
	}
	if (unlikely(c.snap->frag_drop)) {
		n = fwd_drop_fragments(pmd, pkts, n);
		if (n == 0)
			return;
	}
	if (unlikely(c.snap->n_mirrors != 0))
		mirror_rx(&c, in_port->slot, pkts, n);

	if (c.snap->use_flows) {
		const struct flowtab_out out = fwd_out(&c);

		flowtab_process_burst(((struct dp_pmd_ctx *)pmd->ctx)->ft, br->ft, pkts, n,
			in->ofport, &out);
		return;
	}
	if (unlikely(c.snap->drop_all)) {
		/* fail_mode secure, no controller configured, no rules: nothing forwards. */
		rte_pktmbuf_free_bulk(pkts, n);
		pmd->stats.dropped += n;
		return;
	}
	pmd->stats.mac_hits += n;
	c.now = mac_now();
	for (uint16_t i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		normal_one(&c, in->ofport, in_port, pkts[i]);
	}
}

/* Process the bursts patch ports handed over meanwhile, last first, until none is left. */
static void
drain_patch(struct pmd *pmd, struct dp_pmd_ctx *ctx)
{
	struct rte_mbuf *pkts[PORT_BURST];

	while (ctx->n_pending > 0) {
		struct dp_patch_burst *b = &ctx->pending[--ctx->n_pending];
		struct port *in = b->in;
		uint16_t n = b->n;

		memcpy(pkts, b->pkts, n * sizeof(*pkts));
		process_burst(pmd, in, pkts, n);
	}
}

void
dp_process(struct pmd *pmd, struct port *in_port, struct rte_mbuf **pkts, uint16_t n)
{
	struct dp_pmd_ctx *ctx = pmd->ctx;

	ctx->patch_budget = DP_PATCH_BUDGET;
	ctx->busy = true;
	process_burst(pmd, in_port, pkts, n);
	drain_patch(pmd, ctx);
	ctx->busy = false;
}

uint16_t
dp_patch_deliver(void *aux, struct port *in, unsigned pmd_index, struct rte_mbuf **pkts,
	uint16_t n)
{
	struct dp *dp = aux;
	/* The calling PMD's own slot: it does not change while that PMD runs (dp.h). */
	struct pmd *pmd = dp->pmds[pmd_index];
	struct dp_pmd_ctx *ctx = pmd->ctx;
	struct dp_port *p = dp_port_of(in);
	const struct bridge_snap *s = __atomic_load_n(&p->bridge->snap, __ATOMIC_ACQUIRE);
	struct port_pmd_stats *ps = &in->pmd_stats[pmd_index];

	/* The peer must be in its bridge: it may be opening or going away. */
	if (unlikely(s->by_slot[in->slot] != p || ctx->patch_budget < n ||
			(ctx->busy && ctx->n_pending == DP_PATCH_PENDING))) {
		rte_pktmbuf_free_bulk(pkts, n);
		return n;
	}
	ctx->patch_budget -= n;
	ps->rx_packets += n;
	for (uint16_t i = 0; i < n; i++)
		ps->rx_bytes += rte_pktmbuf_pkt_len(pkts[i]);
	if (ctx->busy) {
		struct dp_patch_burst *b = &ctx->pending[ctx->n_pending++];

		b->in = in;
		b->n = n;
		memcpy(b->pkts, pkts, n * sizeof(*pkts));
		return 0;
	}
	ctx->busy = true;
	process_burst(pmd, in, pkts, n);
	drain_patch(pmd, ctx);
	ctx->busy = false;
	return 0;
}
