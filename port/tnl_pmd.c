/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Native tunnelling on the packet path (see tnl.h): push on a tunnel port's transmit, pop
 * (and ARP and Neighbor Discovery snooping) on an internal port's transmit, over IPv4 or
 * IPv6 underlays.  PMD threads only: no lock, no system call, no allocation but mbufs from
 * a packet's own pool for a private copy of a packet the switch shares with other ports
 * (port_pkt_writable()); what the control thread publishes is read with acquire loads.
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_mbuf_dyn.h>
#include <rte_memcpy.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "tnl.h"

#define TNL_HLEN 8		/* VXLAN's header, Geneve's without options */
#define VXLAN_FLAG_I 0x08
#define GENEVE_HLEN 8
#define GENEVE_OPT_CRITICAL 0x80
#define GENEVE_FLAG_O 0x80		/* OAM: the second byte's first bit */
#define GENEVE_FLAG_C 0x40		/* critical options present: its second bit */

/* Whether 'mac' may be a neighbour's: not zero, not multicast (nor broadcast). */
static inline bool
mac_unicast(const uint8_t *mac)
{
	return !(mac[0] & 1) && (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) != 0;
}

/*
 * Copy the sender of an ARP reply or of a gratuitous ARP (a request or reply to the
 * broadcast address whose sender and target addresses are the same) for the control
 * thread, as Open vSwitch's tnl_arp_snoop(): a request only says who asks, for anyone, and
 * learning every asker would crowd the tunnels' next hops out of the table.  A full ring
 * loses it (ARP repeats).
 */
static void
snoop_arp(const struct port *p, const uint8_t *d, uint32_t len)
{
	struct tnl_snoop s;
	bool garp;

	if (len < 42 || tnl_snoop_ring == NULL || d[14] != 0 || d[15] != 1 || d[16] != 0x08 ||
			d[17] != 0 || d[18] != 6 || d[19] != 4 || d[20] != 0 ||
			!mac_unicast(d + 22))
		return;
	garp = (d[0] & d[1] & d[2] & d[3] & d[4] & d[5]) == 0xff &&
		memcmp(d + 28, d + 38, 4) == 0;
	if (d[21] != 2 && !(d[21] == 1 && garp))
		return;
	tnl_in6_mapped(&s.ip, 0);
	memcpy(&s.ip.s6_addr[12], d + 28, 4);
	memcpy(s.mac, d + 22, 6);
	s.slot = p->slot;
	rte_ring_mp_enqueue_elem(tnl_snoop_ring, &s, sizeof(s));
}

/*
 * Copy a Neighbor Advertisement's target address with the MAC of its target link-layer
 * address option (RFC 4861 4.4) for the control thread: the IPv6 header starts at 'd + 14'.
 * Only hop limit 255 counts (anything else was forwarded: RFC 4861 7.1).  Solicitations are
 * not learnt from, as Open vSwitch's tnl_nd_snoop(): they say who asks, as ARP requests do.
 */
static void
snoop_nd(const struct port *p, const uint8_t *d, uint32_t len)
{
	const uint32_t at = RTE_ETHER_HDR_LEN + 40;
	const uint8_t *icmp = d + at;
	struct tnl_snoop s;
	uint32_t plen;

	if (len < at + 24 || tnl_snoop_ring == NULL || d[20] != IPPROTO_ICMPV6 || d[21] != 255 ||
			icmp[0] != 136 || icmp[1] != 0)
		return;
	plen = (uint32_t)d[18] << 8 | d[19];
	memcpy(&s.ip, icmp + 8, 16);
	for (uint32_t o = 24; o + 8 <= plen && at + o + 8 <= len; o += icmp[o + 1] * 8u) {
		if (icmp[o + 1] == 0)
			return;
		if (icmp[o] == 2 && icmp[o + 1] == 1) {
			if (!mac_unicast(icmp + o + 2))
				return;
			memcpy(s.mac, icmp + o + 2, 6);
			s.slot = p->slot;
			rte_ring_mp_enqueue_elem(tnl_snoop_ring, &s, sizeof(s));
			return;
		}
	}
}

/*
 * The outer IPv4 or IPv6 header of frame 'd' ('len' bytes in the first segment) into 'o':
 * false when it is nothing this code pops (for the kernel): not IP, not UDP (an IPv6
 * extension header included), an IPv4 fragment, or UDP's ports not in the segment.
 */
static bool
outer_parse(const uint8_t *d, uint32_t len, struct tnl_outer *o)
{
	if (len < RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr))
		return false;
	if (d[12] == 0x08 && d[13] == 0x00) {
		const struct rte_ipv4_hdr *ip = (const void *)(d + RTE_ETHER_HDR_LEN);

		o->l3_len = (ip->version_ihl & 0xf) * 4u;
		if ((ip->version_ihl >> 4) != 4 || o->l3_len < sizeof(*ip) ||
				ip->next_proto_id != IPPROTO_UDP ||
				(ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG |
				RTE_IPV4_HDR_OFFSET_MASK)) != 0)
			return false;
		o->ipv6 = false;
		o->tos = ip->type_of_service;
		o->tot = rte_be_to_cpu_16(ip->total_length);
		o->src = ip->src_addr;
		o->dst = ip->dst_addr;
		o->dst6 = NULL;
		o->src6 = NULL;
	} else if (d[12] == 0x86 && d[13] == 0xdd) {
		const struct rte_ipv6_hdr *ip6 = (const void *)(d + RTE_ETHER_HDR_LEN);

		if (len < RTE_ETHER_HDR_LEN + sizeof(*ip6) || (d[RTE_ETHER_HDR_LEN] >> 4) != 6 ||
				ip6->proto != IPPROTO_UDP)
			return false;
		o->ipv6 = true;
		o->tos = (uint8_t)(rte_be_to_cpu_32(ip6->vtc_flow) >> 20);
		o->l3_len = sizeof(*ip6);
		o->tot = (uint32_t)sizeof(*ip6) + rte_be_to_cpu_16(ip6->payload_len);
		o->src = 0;
		o->dst = 0;
		o->dst6 = ip6->dst_addr;
		o->src6 = ip6->src_addr;
	} else {
		return false;
	}
	o->l4 = RTE_ETHER_HDR_LEN + o->l3_len;
	return len >= o->l4 + 4;
}

/* The one's complement sum 'sum' folded to 16 bits. */
static uint16_t
csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/*
 * Where the IPv4 or IPv6 header of Ethernet frame 'd' ('len' bytes in the first segment)
 * starts, past up to two VLAN tags (as Open vSwitch's dl_type is read), '*v6' saying which;
 * 0 when the frame is not IP or the header's fixed part is not within 'len'.
 */
static inline uint32_t
inner_ip_at(const uint8_t *d, uint32_t len, bool *v6)
{
	uint32_t off = 2 * RTE_ETHER_ADDR_LEN;
	uint16_t type = 0;

	for (unsigned tags = 0; tags <= 2 && len >= off + 2; tags++) {
		type = (uint16_t)(d[off] << 8 | d[off + 1]);
		off += 2;
		if (type != RTE_ETHER_TYPE_VLAN && type != RTE_ETHER_TYPE_QINQ)
			break;
		off += 2;
	}
	*v6 = type == RTE_ETHER_TYPE_IPV6;
	if (type == RTE_ETHER_TYPE_IPV4 && len >= off + 20 && (d[off] >> 4) == 4)
		return off;
	if (*v6 && len >= off + 40 && (d[off] >> 4) == 6)
		return off;
	return 0;
}

/* The TOS of IPv4 header 'ip', or the traffic class of IPv6 header 'ip' ('v6'). */
static inline uint8_t
ip_tos(const uint8_t *ip, bool v6)
{
	return v6 ? (uint8_t)((ip[0] & 0x0f) << 4 | ip[1] >> 4) : ip[1];
}

bool
tnl_ecn_decap_ce(struct rte_mbuf *m)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t old, new, ck;
	uint32_t at;
	bool v6;

	at = inner_ip_at(d, rte_pktmbuf_data_len(m), &v6);
	if (at == 0)
		return true;
	if ((ip_tos(d + at, v6) & TNL_ECN_MASK) == TNL_ECN_NOT_ECT)
		return false;
	memcpy(&old, d + at, 2);
	d[at + 1] |= v6 ? TNL_ECN_CE << 4 : TNL_ECN_CE;
	if (v6)
		return true;
	/* RFC 1624: HC' = ~(~HC + ~m + m') for the first 16-bit word m. */
	memcpy(&new, d + at, 2);
	memcpy(&ck, d + at + 10, 2);
	ck = (uint16_t)~csum_fold((uint32_t)(uint16_t)~ck + (uint16_t)~old + new);
	memcpy(d + at + 10, &ck, 2);
	return true;
}

/*
 * Whether the outer IPv4 header of 'm' (its outer headers 'o', the header whole in the first
 * segment) has a right checksum, as Linux's ip_rcv() and Open vSwitch's ip_extract_tnl_md()
 * require.  What the receiving device said is believed: checked good (or left unchecked
 * with the header known intact), or bad; for a packet it recognised as a tunnel's, whose
 * IP flags speak of the inner header, only its outer header's "bad".  Else it is summed.
 * IPv6 has no header checksum.
 */
static bool
ip_csum_ok(const struct rte_mbuf *m, const struct tnl_outer *o)
{
	uint64_t rx = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;

	if (o->ipv6)
		return true;
	if (m->packet_type & RTE_PTYPE_TUNNEL_MASK) {
		if (m->ol_flags & RTE_MBUF_F_RX_OUTER_IP_CKSUM_BAD)
			return false;
	} else if (rx == RTE_MBUF_F_RX_IP_CKSUM_GOOD || rx == RTE_MBUF_F_RX_IP_CKSUM_NONE) {
		return true;
	} else if (rx == RTE_MBUF_F_RX_IP_CKSUM_BAD) {
		return false;
	}
	return rte_ipv4_cksum(rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *,
		RTE_ETHER_HDR_LEN)) == 0;
}

/*
 * The one's complement sum of the pseudo-header of a UDP datagram of 'o->ulen' bytes in 'd'
 * (RFC 768, RFC 8200 8.1): the addresses, the protocol and the UDP length, which may be
 * less than the IP payload's (what follows it is not the datagram's).
 */
static uint32_t
phdr_sum(const uint8_t *d, const struct tnl_outer *o)
{
	const uint8_t *addrs = d + RTE_ETHER_HDR_LEN + (o->ipv6 ? 8 : 12);

	return rte_raw_cksum(addrs, o->ipv6 ? 32 : 8) + rte_cpu_to_be_16(IPPROTO_UDP) +
		rte_cpu_to_be_16((uint16_t)o->ulen);
}

/*
 * Whether the UDP checksum of 'm' (its outer headers 'o', the UDP datagram whole in 'm')
 * is right.  Zero (none sent) passes over IPv4 and IPv6, as in Open vSwitch's userspace
 * datapath; a non-zero wrong one does not (Linux and Open vSwitch drop such packets).  What
 * the receiving device already said is believed, as Open vSwitch does: checked good, or
 * data known intact (RX_L4_CKSUM_NONE, vhost's "data valid"), or a checksum left for
 * offload by a sender on this host (TX_UDP_CKSUM: the field holds the pseudo-header's).
 */
static bool
udp_csum_ok(const struct rte_mbuf *m, const struct tnl_outer *o)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_udp_hdr *udp = (const void *)(d + o->l4);
	uint64_t rx = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	uint16_t raw;

	/* A device that recognised the tunnel reports the outer checksum apart. */
	if (m->packet_type & RTE_PTYPE_TUNNEL_MASK)
		rx = (m->ol_flags & RTE_MBUF_F_RX_OUTER_L4_CKSUM_MASK) ==
			RTE_MBUF_F_RX_OUTER_L4_CKSUM_GOOD ? RTE_MBUF_F_RX_L4_CKSUM_GOOD :
			(m->ol_flags & RTE_MBUF_F_RX_OUTER_L4_CKSUM_MASK) ==
			RTE_MBUF_F_RX_OUTER_L4_CKSUM_BAD ? RTE_MBUF_F_RX_L4_CKSUM_BAD : 0;
	if (udp->dgram_cksum == 0 || rx == RTE_MBUF_F_RX_L4_CKSUM_GOOD ||
			rx == RTE_MBUF_F_RX_L4_CKSUM_NONE ||
			(m->ol_flags & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_UDP_CKSUM)
		return true;
	if (rx == RTE_MBUF_F_RX_L4_CKSUM_BAD ||
			rte_raw_cksum_mbuf(m, o->l4, o->ulen, &raw) != 0)
		return false;
	return csum_fold(phdr_sum(d, o) + raw) == 0xffff;
}

/*
 * Whether the outer IP and UDP headers of 'm' ('o'; 'len' bytes in its first segment) are
 * whole and right: the IP packet within 'm', the UDP length ('o->ulen', set here) at least
 * its header and at most the IP payload (as Linux's __udp4_lib_rcv(), which then trims the
 * packet to it), the checksums.
 */
static bool
outer_ok(const struct rte_mbuf *m, const uint8_t *d, uint32_t len, struct tnl_outer *o)
{
	if (len < o->l4 + sizeof(struct rte_udp_hdr) ||
			o->tot < o->l3_len + sizeof(struct rte_udp_hdr) ||
			RTE_ETHER_HDR_LEN + o->tot > rte_pktmbuf_pkt_len(m))
		return false;
	o->ulen = (uint32_t)d[o->l4 + 4] << 8 | d[o->l4 + 5];
	return o->ulen >= sizeof(struct rte_udp_hdr) && o->ulen <= o->tot - o->l3_len &&
		ip_csum_ok(m, o) && udp_csum_ok(m, o);
}

/*
 * Whether VXLAN header 'vx' is one to pop, as Open vSwitch's vxlan_extract_md(): flags
 * just I (a valid VNI; no extension vireo-dp does not speak), the reserved bytes zero.
 */
static inline bool
vxlan_ok(const uint8_t *vx)
{
	return vx[0] == VXLAN_FLAG_I && (vx[1] | vx[2] | vx[3] | vx[7]) == 0;
}

/*
 * Geneve header 'g' of a packet with 'room' bytes from 'g' on (to the UDP datagram's end and
 * within the first segment): its length with options, or 0 if it is bad (version, not an
 * Ethernet payload, options past the packet, a mapped option of another length, or a critical
 * option not mapped).  Mapped options' values go to 'md', their bits to '*present'.
 */
static uint32_t
geneve_parse(const struct tnl_decap *dc, const uint8_t *g, uint32_t room,
	uint32_t md[TNL_N_METADATA], uint32_t *present)
{
	uint32_t hl = GENEVE_HLEN + (g[0] & 0x3fu) * 4;

	if ((g[0] >> 6) != 0 || g[2] != 0x65 || g[3] != 0x58 || hl + RTE_ETHER_HDR_LEN > room)
		return 0;
	for (uint32_t o = GENEVE_HLEN; o < hl;) {
		uint16_t cls = (uint16_t)(g[o] << 8 | g[o + 1]);
		uint8_t type = g[o + 2];
		uint32_t olen = (g[o + 3] & 0x1fu) * 4;
		bool mapped = false;

		if (o + 4 + olen > hl)
			return 0;
		for (unsigned i = 0; i < TNL_N_METADATA; i++) {
			const struct tnl_tlv_map *e = &dc->tlv[i];

			if (e->len == 0 || e->opt_class != cls || e->opt_type != type)
				continue;
			if (olen != e->len)
				return 0;
			memcpy(&md[i], g + o + 4, 4);
			*present |= 1u << i;
			mapped = true;
		}
		if (!mapped && (type & GENEVE_OPT_CRITICAL))
			return 0;
		o += 4 + olen;
	}
	return hl;
}

struct tnl_port *
tnl_decap_port(const struct tnl_decap *dc, const struct tnl_outer *o, uint16_t dport,
	uint32_t vni, bool gtpu)
{
	const struct tnl_endpoint *best = NULL;

	for (unsigned i = 0; i < dc->n; i++) {
		const struct tnl_endpoint *ep = &dc->ep[i];

		if (ep->dst_port != dport || (ep->type == TNL_GTPU) != gtpu ||
				(!ep->key_flow && ep->vni != vni) || !tnl_ep_local(ep, o) ||
				!tnl_ep_remote(ep, o) || (best != NULL && best->rank <= ep->rank))
			continue;
		best = ep;
	}
	return best != NULL ? best->t : NULL;
}

/*
 * The metadata of 'm', popped from outer headers 'o' with VNI 'vni', mapped Geneve options
 * 'opt' (their bits in 'present') and Geneve's O bit 'oam': tun_id, tun_src, tun_dst and
 * the rest (tnl.h), the flag that says 'm' carries them.
 */
static void
md_set(struct rte_mbuf *m, const struct tnl_outer *o, uint32_t vni,
	const uint32_t opt[TNL_N_METADATA], uint32_t present, bool oam)
{
	struct tnl_md *md;

	m->ol_flags = 0;
	if (tnl_md_offset < 0)
		return;
	md = RTE_MBUF_DYNFIELD(m, tnl_md_offset, struct tnl_md *);
	md->tun_id = rte_cpu_to_be_64((uint64_t)vni);
	/* Over IPv6 these stay 0, as Open vSwitch's tun_src and tun_dst. */
	md->tun_src = o->src;
	md->tun_dst = o->dst;
	md->gtpu_flags = 0;
	md->gtpu_msgtype = 0;
	memcpy(md->tun_metadata, opt, sizeof(md->tun_metadata));
	md->tun_metadata_set = (uint8_t)present;
	tnl_md_set_endpoints6(m, md, o);
	if (oam)
		md->flags |= TNL_MD_F_OAM;
	m->ol_flags = tnl_md_flag;
}

/*
 * 'm', whose outer headers 'o' describes, made the caller's to pop (port_pkt_writable()):
 * the switch may have sent the very same packet to other ports too (a flood), and popping
 * moves its start, trims it and may mark its inner header CE, which they must not see.  A
 * copy has 'o''s pointers moved to its own headers.  NULL when no buffer is left ('m'
 * released).
 */
static struct rte_mbuf *
decap_writable(struct rte_mbuf *m, struct tnl_outer *o)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	size_t src6 = o->ipv6 ? (size_t)(o->src6 - d) : 0;
	size_t dst6 = o->ipv6 ? (size_t)(o->dst6 - d) : 0;
	struct rte_mbuf *c = port_pkt_writable(m);

	if (c == m || c == NULL)
		return c;
	d = rte_pktmbuf_mtod(c, const uint8_t *);
	if (o->ipv6) {
		o->src6 = d + src6;
		o->dst6 = d + dst6;
	}
	return c;
}

/*
 * Whether frame 'd' with outer headers 'o' is sent to the MAC of the internal port whose
 * kernel device 'l' describes (NULL: not known yet) and to one of its addresses: for this
 * host, as Open vSwitch's tunnel port map has it (tnl.h).
 */
static inline bool
outer_to_host(const struct tnl_local *l, const uint8_t *d, const struct tnl_outer *o)
{
	if (l == NULL || memcmp(d, l->mac, RTE_ETHER_ADDR_LEN) != 0)
		return false;
	if (o->ipv6) {
		for (unsigned i = 0; i < l->n6; i++)
			if (memcmp(&l->ip6[i], o->dst6, 16) == 0)
				return true;
		return false;
	}
	for (unsigned i = 0; i < l->n4; i++)
		if (l->ip4[i] == o->dst)
			return true;
	return false;
}

/*
 * '*mp' if it is a tunnel packet for an endpoint of 'dc' (sent to the internal port 'loc'
 * describes): the tunnel port it goes to (its outer headers popped, '*mp' replaced by a
 * private copy when it was shared), or NULL with '*verdict' 0 (not ours: for the kernel) or
 * -1 (ours but bad, or no buffer for the copy: counted and to be dropped; '*mp' may then be
 * NULL).
 */
static struct tnl_port *
decap_one(const struct tnl_decap *dc, const struct tnl_local *loc, struct rte_mbuf **mp,
	unsigned pmd, int *verdict)
{
	struct rte_mbuf *m = *mp;
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);
	struct tnl_port *listener = NULL, *t = NULL;
	uint32_t l4, vni, inner, hl = TNL_HLEN, opt[TNL_N_METADATA] = { 0 }, present = 0;
	struct tnl_outer o;
	uint16_t dport;

	*verdict = 0;
	if (!outer_parse(d, len, &o))
		return NULL;
	o.to_host = outer_to_host(loc, d, &o);
	l4 = o.l4;
	memcpy(&dport, d + l4 + 2, 2);
	for (unsigned i = 0; i < dc->n && listener == NULL; i++)
		if (dc->ep[i].dst_port == dport && tnl_ep_local(&dc->ep[i], &o))
			listener = dc->ep[i].t;
	if (listener == NULL)
		return NULL;
	*verdict = -1;
	if (!outer_ok(m, d, len, &o)) {
		listener->st[pmd].rx_errors++;
		return NULL;
	}
	if (unlikely((*mp = m = decap_writable(m, &o)) == NULL)) {
		listener->st[pmd].rx_dropped++;
		return NULL;
	}
	d = rte_pktmbuf_mtod(m, const uint8_t *);
	len = rte_pktmbuf_data_len(m);
	if (listener->cfg.type == TNL_GTPU)
		return tnl_gtpu_decap(dc, listener, m, pmd, &o, verdict);
	if (len < l4 + sizeof(struct rte_udp_hdr) + TNL_HLEN + RTE_ETHER_HDR_LEN ||
			o.ulen < sizeof(struct rte_udp_hdr) + TNL_HLEN + RTE_ETHER_HDR_LEN) {
		listener->st[pmd].rx_errors++;
		return NULL;
	}
	if (listener->cfg.type == TNL_GENEVE)
		hl = geneve_parse(dc, d + l4 + sizeof(struct rte_udp_hdr),
			RTE_MIN(len - l4, o.ulen) - (uint32_t)sizeof(struct rte_udp_hdr),
			opt, &present);
	else if (!vxlan_ok(d + l4 + sizeof(struct rte_udp_hdr)))
		hl = 0;
	if (hl == 0) {
		listener->st[pmd].rx_errors++;
		return NULL;
	}
	/* The VNI sits at the same place in VXLAN's and Geneve's headers. */
	vni = (uint32_t)d[l4 + 12] << 16 | (uint32_t)d[l4 + 13] << 8 | d[l4 + 14];
	t = tnl_decap_port(dc, &o, dport, vni, false);
	if (t == NULL) {
		listener->st[pmd].rx_dropped++;
		return NULL;
	}
	md_set(m, &o, vni, opt, present,
		listener->cfg.type == TNL_GENEVE && (d[l4 + 9] & GENEVE_FLAG_O));
	/* What follows the UDP datagram (Ethernet padding) is not the inner frame's. */
	inner = o.ulen - (uint32_t)sizeof(struct rte_udp_hdr) - hl;
	rte_pktmbuf_adj(m, (uint16_t)(l4 + sizeof(struct rte_udp_hdr) + hl));
	if (rte_pktmbuf_pkt_len(m) > inner && port_pkt_trim(m, inner) != 0) {
		t->st[pmd].rx_errors++;
		return NULL;
	}
	if (!tnl_ecn_decap(m, o.tos)) {
		t->st[pmd].rx_errors++;
		return NULL;
	}
	*verdict = 1;
	return t;
}

uint16_t
tnl_internal_tx(struct port *p, unsigned pmd, struct rte_mbuf **pkts, uint16_t n,
	uint16_t *dropped, uint64_t *dropped_bytes)
{
	const struct tnl_decap *dc = tnl_decap_get();
	const struct tnl_local *loc = tnl_local_get(p->slot);
	struct rte_mbuf *out[PORT_BURST];
	struct tnl_port *to[PORT_BURST];
	uint16_t keep = 0, n_out = 0;

	if (dc == NULL || dc->n == 0)
		return n;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
		uint32_t len = rte_pktmbuf_pkt_len(m);
		int verdict;
		struct tnl_port *t;

		if (rte_pktmbuf_data_len(m) >= 14 && d[12] == 0x08 && d[13] == 0x06)
			snoop_arp(p, d, rte_pktmbuf_data_len(m));
		else if (rte_pktmbuf_data_len(m) >= 14 && d[12] == 0x86 && d[13] == 0xdd)
			snoop_nd(p, d, rte_pktmbuf_data_len(m));
		t = decap_one(dc, loc, &m, pmd, &verdict);
		if (verdict == 0) {
			pkts[keep++] = m;
		} else if (t == NULL) {
			rte_pktmbuf_free(m);
			(*dropped)++;
			if (dropped_bytes != NULL)
				*dropped_bytes += len;
		} else {
			out[n_out] = m;
			to[n_out++] = t;
		}
	}
	/*
	 * Runs of one tunnel port go to the switch together, in order.  What the switch
	 * cannot take (its bridge being changed, its budget spent) was received on the
	 * tunnel port and dropped there.
	 */
	for (uint16_t i = 0; i < n_out;) {
		uint16_t j = i + 1;

		while (j < n_out && to[j] == to[i])
			j++;
		to[i]->st[pmd].rx_dropped += to[i]->env->deliver(to[i]->env->deliver_aux,
			to[i]->port, pmd, &out[i], (uint16_t)(j - i));
		i = j;
	}
	return keep;
}

/* 'n' bytes at 'p' (any alignment) into the CRC hash 'h', 8 and 4 at a time. */
static inline uint32_t
hash_bytes(const uint8_t *p, uint32_t n, uint32_t h)
{
	uint64_t v8;
	uint32_t v4;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&v8, p, 8);
		h = rte_hash_crc_8byte(v8, h);
	}
	for (; n >= 4; p += 4, n -= 4) {
		memcpy(&v4, p, 4);
		h = rte_hash_crc_4byte(v4, h);
	}
	if (n == 0)
		return h;
	v4 = 0;
	memcpy(&v4, p, n);	/* not rte_hash_crc(): it loads the tail as a uint16_t */
	return rte_hash_crc_4byte(v4, h);
}

/* Whether IP protocol 'proto' puts 16-bit source and destination ports first. */
static inline bool
has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP ||
		proto == IPPROTO_UDPLITE;
}

/*
 * The UDP source port: a hash of the inner flow (IP addresses, protocol and ports; the MACs
 * and EtherType of a frame that is not IP), so that every packet of a flow takes the same
 * ECMP path and lands in the same receive queue of the far end (RFC 7348 section 5), and
 * fields that change per packet (IP ID, length, checksum, TTL) never reach it.  Scaled into
 * 32768..60999 by a multiply, as Linux.
 */
static __rte_always_inline uint16_t
src_port(const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m), off = RTE_ETHER_HDR_LEN, l4 = 0, h;
	uint16_t type = len >= RTE_ETHER_HDR_LEN ? (uint16_t)(p[12] << 8 | p[13]) : 0;
	uint8_t proto = 0;

	if (type == RTE_ETHER_TYPE_VLAN && len >= RTE_ETHER_HDR_LEN + 4) {
		type = (uint16_t)(p[16] << 8 | p[17]);
		off += 4;
	}
	if (likely(type == RTE_ETHER_TYPE_IPV4 && len >= off + 20)) {
		const uint8_t *ip = p + off;
		uint32_t ihl = (ip[0] & 0x0fu) * 4, ports = 0;
		bool frag = ((ip[6] & 0x3f) | ip[7]) != 0;
		uint64_t addrs;

		/*
		 * The common case in two dependent steps: the ports are loaded where a header
		 * without options ends before its length is known, and go in with the protocol.
		 */
		proto = ip[9];
		memcpy(&addrs, ip + 12, 8);
		if (len >= off + 24)
			memcpy(&ports, ip + 20, 4);
		if (frag || !has_ports(proto))
			ports = 0;
		else if (unlikely(ihl != 20)) {
			ports = 0;
			if (ihl > 20 && len >= off + ihl + 4)
				memcpy(&ports, ip + ihl, 4);
		}
		h = rte_hash_crc_8byte((uint64_t)ports << 8 | proto,
			rte_hash_crc_8byte(addrs, 0x9e3779b9));
		return rte_cpu_to_be_16((uint16_t)(32768 + (((uint64_t)h * (61000 - 32768)) >> 32)));
	} else if (type == RTE_ETHER_TYPE_IPV6 && len >= off + 40) {
		proto = p[off + 6];
		h = hash_bytes(p + off + 8, 32, 0x9e3779b9);
		l4 = off + 40;
	} else {
		h = hash_bytes(p, RTE_MIN(len, off), 0x9e3779b9);
	}
	if (l4 != 0 && has_ports(proto) && len >= l4 + 4)
		h = hash_bytes(p + l4, 4, h);
	h = rte_hash_crc_4byte(proto, h);
	return rte_cpu_to_be_16((uint16_t)(32768 + (((uint64_t)h * (61000 - 32768)) >> 32)));
}

/* key=flow: the VNI is the low 24 bits of the packet's tun_id (a rule's set_field), else 0. */
static void
put_vni(const struct rte_mbuf *m, uint8_t *vx)
{
	uint32_t vni = 0;

	if (tnl_md_offset >= 0 && (m->ol_flags & tnl_md_flag))
		vni = (uint32_t)rte_be_to_cpu_64(RTE_MBUF_DYNFIELD(m, tnl_md_offset,
			const struct tnl_md *)->tun_id) & 0xffffff;
	vx[4] = (uint8_t)(vni >> 16);
	vx[5] = (uint8_t)(vni >> 8);
	vx[6] = (uint8_t)vni;
}

/*
 * The Geneve options of 'm' for tunnel port 't' into 'o' (room for TNL_N_METADATA of them):
 * each tun_metadataN a rule set (set_field) and add-tlv-map mapped.  Returns their length;
 * '*critical' says whether one of them has a type with its high bit set, which the header's
 * C bit must then announce (RFC 8926 3.4: a transit device may look at that bit alone, and
 * Linux and Open vSwitch set it so).
 */
static uint32_t
geneve_options(const struct tnl_port *t, const struct rte_mbuf *m, uint8_t *o, bool *critical)
{
	const struct tnl_decap *dc;
	const struct tnl_md *md;
	uint32_t len = 0;

	*critical = false;
	if (t->cfg.type != TNL_GENEVE || tnl_md_offset < 0 || !(m->ol_flags & tnl_md_flag))
		return 0;
	md = RTE_MBUF_DYNFIELD(m, tnl_md_offset, const struct tnl_md *);
	if (md->tun_metadata_set == 0 || (dc = tnl_decap_get()) == NULL)
		return 0;
	for (unsigned i = 0; i < TNL_N_METADATA; i++) {
		const struct tnl_tlv_map *e = &dc->tlv[i];

		if (!(md->tun_metadata_set & (1u << i)) || e->len != 4)
			continue;
		o[len] = (uint8_t)(e->opt_class >> 8);
		o[len + 1] = (uint8_t)e->opt_class;
		o[len + 2] = e->opt_type;
		o[len + 3] = 1;				/* one 4-byte word of value */
		*critical |= (e->opt_type & GENEVE_OPT_CRITICAL) != 0;
		memcpy(o + len + 4, &md->tun_metadata[i], 4);
		len += 8;
	}
	return len;
}

/*
 * The inner packet's TOS or traffic class (0 when it is not IP) and TTL or hop limit (64),
 * past up to two VLAN tags as Open vSwitch reads them: the outer ECN field always comes
 * from them, the rest for tos/ttl=inherit.
 */
static void
inner_tos_ttl(const struct rte_mbuf *m, uint8_t *tos, uint8_t *ttl)
{
	const uint8_t *in = rte_pktmbuf_mtod(m, const uint8_t *);
	bool v6;
	uint32_t at = inner_ip_at(in, rte_pktmbuf_data_len(m), &v6);

	*tos = at != 0 ? ip_tos(in + at, v6) : 0;
	*ttl = at != 0 ? in[at + (v6 ? 7 : 8)] : 64;
}

/*
 * The outer TOS of a packet whose inner TOS is 'in' (0 when it is not IP): the DSCP 'dscp'
 * (the port's tos, or the inner one for tos=inherit) and the inner ECN field, CE sent as
 * ECT(0), as RFC 6040's normal mode, Linux's INET_ECN_encapsulate() and Open vSwitch's
 * tnl_port_send() do: a congestion mark already made is not made again by every router
 * of the underlay, and the decapsulator carries the outer one back in.
 */
static inline uint8_t
ecn_encap(uint8_t dscp, uint8_t in)
{
	uint8_t ecn = in & TNL_ECN_MASK;

	return (uint8_t)((dscp & ~TNL_ECN_MASK) | (ecn == TNL_ECN_CE ? TNL_ECN_ECT0 : ecn));
}

/*
 * The IPv4 header checksum of 'ip' whose template (build_ip() in tnl.c) summed every field
 * but the length, now set: RFC 1624's update, HC' = ~(~HC + ~m + m') with the old length m 0.
 */
static void
ipv4_csum_add_len(struct rte_ipv4_hdr *ip)
{
	uint32_t sum = (uint16_t)~ip->hdr_checksum + 0xffffu + ip->total_length;

	ip->hdr_checksum = (uint16_t)~csum_fold(sum);
}

/*
 * Finish the outer headers 'h' (copied from 'e') of 'm', which carries 'inner' bytes after
 * them and 'olen' bytes of Geneve options: lengths, the TOS 'tos', the inherited TTL, the
 * IPv4 header checksum (summed whole when 'resum': a field other than the length changed
 * from the template's), the UDP source port 'sport' and, where 't' computes it, the UDP
 * checksum.
 */
static void
outer_finish(const struct tnl_port *t, const struct tnl_encap *e, struct rte_mbuf *m,
	uint8_t *h, uint32_t inner, uint32_t olen, uint8_t tos, uint8_t in_ttl, bool resum,
	uint16_t sport)
{
	uint32_t hlen = e->hlen + olen, ulen = inner + hlen - (e->hlen - TNL_HLEN - 8);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(h + e->hlen - TNL_HLEN - 8);
	uint32_t sum;
	uint16_t raw;

	if (tnl_encap_ipv6(e)) {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(h + RTE_ETHER_HDR_LEN);
		uint32_t vtc = rte_be_to_cpu_32(ip6->vtc_flow);

		ip6->payload_len = rte_cpu_to_be_16((uint16_t)ulen);
		vtc = (vtc & ~(0xffu << 20)) | (uint32_t)tos << 20;
		ip6->vtc_flow = rte_cpu_to_be_32(vtc);
		if (t->cfg.ttl < 0)
			ip6->hop_limits = in_ttl;
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(h + RTE_ETHER_HDR_LEN);

		ip->total_length = rte_cpu_to_be_16((uint16_t)(inner + hlen - RTE_ETHER_HDR_LEN));
		if (ip->type_of_service != tos || t->cfg.ttl < 0) {
			ip->type_of_service = tos;
			if (t->cfg.ttl < 0)
				ip->time_to_live = in_ttl;
			resum = true;
		}
		if (resum) {
			ip->hdr_checksum = 0;
			ip->hdr_checksum = rte_ipv4_cksum(ip);
		} else {
			ipv4_csum_add_len(ip);
		}
	}
	udp->src_port = sport;
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)ulen);
	udp->dgram_cksum = 0;
	if (!(tnl_encap_ipv6(e) ? t->cfg.csum6 : t->cfg.csum) ||
			rte_raw_cksum_mbuf(m, (uint32_t)((uint8_t *)udp - h), ulen, &raw) != 0)
		return;
	if (tnl_encap_ipv6(e))
		sum = rte_ipv6_phdr_cksum((const struct rte_ipv6_hdr *)(h + RTE_ETHER_HDR_LEN), 0);
	else
		sum = rte_ipv4_phdr_cksum((const struct rte_ipv4_hdr *)(h + RTE_ETHER_HDR_LEN), 0);
	sum += raw;
	raw = (uint16_t)~csum_fold(sum);
	/* Zero means "no checksum": its one's complement twin goes instead (RFC 768). */
	udp->dgram_cksum = raw == 0 ? 0xffff : raw;
}

/* The packet's tunnel metadata, NULL when it has none. */
static const struct tnl_md *
md_of(const struct rte_mbuf *m)
{
	if (tnl_md_offset < 0 || !(m->ol_flags & tnl_md_flag))
		return NULL;
	return RTE_MBUF_DYNFIELD(m, tnl_md_offset, const struct tnl_md *);
}

/*
 * Whether an outer IP packet of 'len' bytes is longer than the MTU of 'e''s underlay (the
 * internal port the encapsulated packet enters by, whose MTU its routes have): such a
 * packet is dropped and counted as a tx_error, where the underlay would drop it unseen.
 */
static inline bool
encap_too_big(const struct tnl_encap *e, uint32_t len)
{
	/* The control thread may change it in place while this runs (port.h). */
	return len > (uint32_t)__atomic_load_n(&e->underlay->mtu, __ATOMIC_RELAXED);
}

/*
 * Push 't''s outer headers ('e') on 'm'; false when it cannot (counted, 'm' freed).
 * 'tun_src' or 'tun_src6': the outer source a rule set for local_ip=flow (IPv4 or IPv6 as
 * 'e'), 0 or NULL for the route's.
 */
static bool
encap_one(struct tnl_port *t, const struct tnl_encap *e, unsigned pmd, struct rte_mbuf *m,
	uint32_t tun_src, const struct in6_addr *tun_src6)
{
	const uint8_t *in = rte_pktmbuf_mtod(m, const uint8_t *);
	uint16_t sport = src_port(m);
	uint32_t inner, teid = 0;
	uint8_t opts[TNL_N_METADATA * 8], in_tos, in_ttl;
	bool critical;
	uint32_t olen = geneve_options(t, m, opts, &critical), hlen = e->hlen + olen;
	bool v6 = tnl_encap_ipv6(e);
	uint8_t *h, *tun;

	inner_tos_ttl(m, &in_tos, &in_ttl);
	if (t->cfg.type == TNL_GTPU) {
		/* An IP payload (packet_type=legacy_l3): the Ethernet header goes. */
		if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + 20 ||
				!((in[12] == 0x08 && in[13] == 0x00) ||
				(in[12] == 0x86 && in[13] == 0xdd))) {
			t->st[pmd].tx_errors++;
			rte_pktmbuf_free(m);
			return false;
		}
		teid = t->cfg.vni;
		if (t->cfg.key_flow && tnl_md_offset >= 0 && (m->ol_flags & tnl_md_flag))
			teid = (uint32_t)rte_be_to_cpu_64(RTE_MBUF_DYNFIELD(m, tnl_md_offset,
				struct tnl_md *)->tun_id);
		rte_pktmbuf_adj(m, RTE_ETHER_HDR_LEN);
	}
	inner = rte_pktmbuf_pkt_len(m);
	if (unlikely(encap_too_big(e, inner + hlen - RTE_ETHER_HDR_LEN))) {
		t->st[pmd].tx_errors++;
		rte_pktmbuf_free(m);
		return false;
	}
	h = inner + hlen - RTE_ETHER_HDR_LEN <= UINT16_MAX ?
		(uint8_t *)rte_pktmbuf_prepend(m, (uint16_t)hlen) : NULL;
	if (unlikely(h == NULL)) {
		rte_pktmbuf_free(m);
		return false;
	}
	rte_memcpy(h, e->hdr, e->hlen);	/* inline vector moves for these 50 or 70 bytes */
	if (tun_src != 0 && !v6)
		/* outer_finish() sums the header anew: the template's checksum no longer fits. */
		((struct rte_ipv4_hdr *)(h + RTE_ETHER_HDR_LEN))->src_addr = tun_src;
	else if (tun_src6 != NULL && v6)
		memcpy(((struct rte_ipv6_hdr *)(h + RTE_ETHER_HDR_LEN))->src_addr, tun_src6, 16);
	tun = h + e->hlen - TNL_HLEN;
	if (olen != 0) {
		memcpy(h + e->hlen, opts, olen);
		tun[0] = (uint8_t)(olen / 4);			/* Opt Len */
		if (critical)
			tun[1] |= GENEVE_FLAG_C;
	}
	/* tun_flags' OAM, received so or set by a rule, is Geneve's O bit. */
	if (t->cfg.type == TNL_GENEVE && md_of(m) != NULL && (md_of(m)->flags & TNL_MD_F_OAM))
		tun[1] |= GENEVE_FLAG_O;
	if (t->cfg.key_flow && t->cfg.type != TNL_GTPU)
		put_vni(m, tun);
	if (t->cfg.type == TNL_GTPU) {
		uint16_t glen = rte_cpu_to_be_16((uint16_t)inner);
		uint32_t be_teid = rte_cpu_to_be_32(teid);

		memcpy(tun + 2, &glen, 2);
		memcpy(tun + 4, &be_teid, 4);
	}
	outer_finish(t, e, m, h, inner, olen,
		ecn_encap(t->cfg.tos < 0 ? in_tos : (uint8_t)t->cfg.tos, in_tos), in_ttl,
		tun_src != 0 && !v6, sport);
	m->ol_flags = 0;
	return true;
}

/*
 * The IPv6 endpoints a rule set on 'm' (set_field to tun_ipv6_src/tun_ipv6_dst), NULL when
 * none: the private area is read only when the metadata's flag says it holds them.
 */
static const struct tnl_md6 *
md6_of(const struct rte_mbuf *m, const struct tnl_md *md)
{
	return md != NULL && (md->flags & TNL_MD_F_IPV6) ? tnl_md6_of(m) : NULL;
}

/*
 * remote_ip=flow: the encapsulation of 't' to 'm''s tun_ipv6_dst (when a rule set one and
 * the port takes IPv6) or tun_dst, or NULL (counted; a destination not resolved yet is
 * asked for).
 */
static const struct tnl_encap *
dest_encap(struct tnl_port *t, const struct tnl_dests *d, unsigned pmd, const struct tnl_md *md,
	const struct tnl_md6 *m6)
{
	struct tnl_want w;
	uint32_t h;

	if (m6 != NULL && (t->cfg.ipv6 || t->cfg.any_family) &&
			!IN6_IS_ADDR_UNSPECIFIED(&m6->dst)) {
		w.ip = m6->dst;
	} else if (md != NULL && md->tun_dst != 0 && !t->cfg.ipv6) {
		tnl_in6_mapped(&w.ip, md->tun_dst);
	} else {
		t->st[pmd].tx_no_dst++;
		return NULL;
	}
	if (d != NULL) {
		for (h = tnl_dest_hash(&w.ip) & d->mask; !IN6_IS_ADDR_UNSPECIFIED(&d->slot[h].ip);
				h = (h + 1) & d->mask)
			if (IN6_ARE_ADDR_EQUAL(&d->slot[h].ip, &w.ip))
				return &d->slot[h].e;
	}
	t->st[pmd].tx_no_route++;
	w.slot = t->port->slot;
	if (tnl_want_ring != NULL)
		rte_ring_mp_enqueue_elem(tnl_want_ring, &w, sizeof(w));
	return NULL;
}

/*
 * Packets ahead of the one being pushed: with large frames a burst no longer fits in the
 * first-level cache, so the inner headers (read for the source port) and the headroom line
 * the outer headers go to are fetched while earlier packets are pushed.
 */
#define TNL_PREFETCH 4

static inline void
encap_prefetch(const struct rte_mbuf *m)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);

	rte_prefetch0(d);
	rte_prefetch0(d - RTE_CACHE_LINE_SIZE);
}

/*
 * Whether 't' with its fixed encapsulation 'e' takes nothing from a packet but its length
 * and inner flow: IPv4 outer headers without a UDP checksum; no key, remote or local
 * address from the flow; no inherited TOS or TTL; VXLAN, or Geneve (whose options a packet
 * may still carry).
 */
static bool
encap_is_plain(const struct tnl_port *t, const struct tnl_encap *e)
{
	return !tnl_encap_ipv6(e) && !t->cfg.csum && !t->cfg.remote_flow && !t->cfg.local_flow &&
		!t->cfg.key_flow && t->cfg.tos >= 0 && t->cfg.ttl >= 0 &&
		(t->cfg.type == TNL_VXLAN || t->cfg.type == TNL_GENEVE);
}

/*
 * tnl_encap_tx() for a port encap_is_plain() says is: the outer headers pushed as
 * encap_one() pushes them, with the branches this port never takes left out, and the
 * burst delivered to its one underlay.  A Geneve packet with options or the OAM flag goes
 * through encap_one().  The bytes of those dropped (as given) are added to '*lost'.
 */
static uint16_t
encap_plain_tx(struct tnl_port *t, const struct tnl_encap *e, unsigned pmd,
	struct rte_mbuf **pkts, uint16_t n, uint64_t *lost)
{
	const uint32_t hlen = e->hlen;
	/* ipv4_csum_add_len()'s sum before the length: ~HC + ~0. */
	const uint32_t base = (uint16_t)~((const struct rte_ipv4_hdr *)(e->hdr +
		RTE_ETHER_HDR_LEN))->hdr_checksum + 0xffffu;
	struct rte_mbuf *burst[PORT_BURST];
	uint64_t burst_bytes = 0;
	uint16_t k = 0, bad = 0, d;

	for (uint16_t i = 0; i < n && i < TNL_PREFETCH; i++)
		encap_prefetch(pkts[i]);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct tnl_md *md = md_of(m);
		uint32_t inner = rte_pktmbuf_pkt_len(m);
		struct rte_ipv4_hdr *ip;
		struct rte_udp_hdr *udp;
		uint16_t sport, tot;
		uint8_t *h, in_tos, ttl;
		uint32_t sum;

		if (i + TNL_PREFETCH < n)
			encap_prefetch(pkts[i + TNL_PREFETCH]);
		if (unlikely(md != NULL && t->cfg.type == TNL_GENEVE &&
				(md->tun_metadata_set != 0 || (md->flags & TNL_MD_F_OAM)))) {
			if (encap_one(t, e, pmd, m, 0, NULL)) {
				burst[k++] = m;
				burst_bytes += inner;
			} else {
				*lost += inner;
				bad++;
			}
			continue;
		}
		if (unlikely(encap_too_big(e, inner + hlen - RTE_ETHER_HDR_LEN))) {
			t->st[pmd].tx_errors++;
			rte_pktmbuf_free(m);
			*lost += inner;
			bad++;
			continue;
		}
		sport = src_port(m);
		inner_tos_ttl(m, &in_tos, &ttl);
		in_tos = ecn_encap(0, in_tos);
		h = inner + hlen - RTE_ETHER_HDR_LEN <= UINT16_MAX ?
			(uint8_t *)rte_pktmbuf_prepend(m, (uint16_t)hlen) : NULL;
		if (unlikely(h == NULL)) {
			rte_pktmbuf_free(m);
			*lost += inner;
			bad++;
			continue;
		}
		/*
		 * RFC 1624: the template's checksum (summed with length 0 and the ECN field
		 * 0, which a port's tos leaves so) updated by the length and the ECN field.
		 */
		tot = rte_cpu_to_be_16((uint16_t)(inner + hlen - RTE_ETHER_HDR_LEN));
		sum = base + tot + rte_cpu_to_be_16((uint16_t)in_tos);
		rte_memcpy(h, e->hdr, hlen);
		ip = (struct rte_ipv4_hdr *)(h + RTE_ETHER_HDR_LEN);
		udp = (struct rte_udp_hdr *)(ip + 1);
		ip->type_of_service |= in_tos;
		ip->total_length = tot;
		ip->hdr_checksum = (uint16_t)~csum_fold(sum);
		udp->src_port = sport;
		udp->dgram_len = rte_cpu_to_be_16((uint16_t)(inner + hlen - RTE_ETHER_HDR_LEN -
			sizeof(*ip)));
		m->ol_flags = 0;
		burst[k++] = m;
		burst_bytes += inner;
	}
	if (k > 0 && (d = t->env->deliver(t->env->deliver_aux, e->underlay, pmd, burst, k)) != 0) {
		bad += d;
		*lost += burst_bytes;	/* all of them (port_env.deliver) */
	}
	return bad;
}

/*
 * The packets of 'pkts' made the port's to push headers on (port_pkt_writable()), in
 * place: the switch may have sent the very same packet to other ports too (a flood), and
 * pushing moves its start into the headroom (GTP-U's first takes its Ethernet header off),
 * which they must not see.  One no buffer is left to copy is dropped, its bytes added to
 * '*lost'; returns how many remain, at the front.
 */
static uint16_t
encap_writable(struct rte_mbuf **pkts, uint16_t n, uint64_t *lost)
{
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++) {
		uint32_t len = rte_pktmbuf_pkt_len(pkts[i]);

		if ((pkts[k] = port_pkt_writable(pkts[i])) != NULL)
			k++;
		else
			*lost += len;
	}
	return k;
}

uint16_t
tnl_encap_tx(struct tnl_port *t, unsigned pmd, struct rte_mbuf **pkts, uint16_t n,
	uint64_t *failed_bytes)
{
	const struct tnl_encap *fixed = __atomic_load_n(&t->encap, __ATOMIC_ACQUIRE);
	const struct tnl_dests *d = __atomic_load_n(&t->dests, __ATOMIC_ACQUIRE);
	struct rte_mbuf *burst[PORT_BURST];
	struct port *under[PORT_BURST];
	uint32_t lens[PORT_BURST];
	uint64_t lost = 0;
	uint16_t k = 0, bad = 0, left;

	if (unlikely(fixed == NULL && !t->cfg.remote_flow)) {
		t->st[pmd].tx_no_route += n;
		lost = port_pkts_bytes(pkts, n);
		rte_pktmbuf_free_bulk(pkts, n);
		bad = n;
		goto out;
	}
	/* Drops leave 'pkts' compacted: each one's bytes are counted where it goes. */
	left = encap_writable(pkts, n, &lost);
	bad = n - left;
	n = left;
	if (likely(fixed != NULL && n <= PORT_BURST && encap_is_plain(t, fixed))) {
		bad += encap_plain_tx(t, fixed, pmd, pkts, n, &lost);
		goto out;
	}
	for (uint16_t i = 0; i < n && i < TNL_PREFETCH; i++)
		encap_prefetch(pkts[i]);
	for (uint16_t i = 0; i < n; i++) {
		const struct tnl_md *md = md_of(pkts[i]);
		const struct tnl_md6 *m6 = md6_of(pkts[i], md);
		const struct tnl_encap *e = fixed;
		uint32_t src = t->cfg.local_flow && md != NULL ? md->tun_src : 0;
		const struct in6_addr *src6 = t->cfg.local_flow && m6 != NULL &&
			!IN6_IS_ADDR_UNSPECIFIED(&m6->src) ? &m6->src : NULL;
		uint32_t len = rte_pktmbuf_pkt_len(pkts[i]);

		if (i + TNL_PREFETCH < n)
			encap_prefetch(pkts[i + TNL_PREFETCH]);

		if (t->cfg.remote_flow && (e = dest_encap(t, d, pmd, md, m6)) == NULL) {
			rte_pktmbuf_free(pkts[i]);
			lost += len;
			bad++;
		} else if (encap_one(t, e, pmd, pkts[i], src, src6)) {
			under[k] = e->underlay;
			lens[k] = len;
			burst[k++] = pkts[i];
		} else {
			lost += len;
			bad++;
		}
	}
	/* Runs of one underlay go to the switch together, in order; each taken or not whole. */
	for (uint16_t i = 0; i < k;) {
		uint16_t j = i + 1, dropped;

		while (j < k && under[j] == under[i])
			j++;
		dropped = t->env->deliver(t->env->deliver_aux, under[i], pmd, &burst[i],
			(uint16_t)(j - i));
		for (uint16_t x = i; dropped != 0 && x < j; x++)
			lost += lens[x];
		bad += dropped;
		i = j;
	}
out:
	if (failed_bytes != NULL)
		*failed_bytes += lost;
	return bad;
}
