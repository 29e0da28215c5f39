/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Native tunnelling on the packet path (see tnl.h): push on a tunnel port's transmit, pop
 * (and ARP snooping) on an internal port's transmit.  PMD threads only: no allocation, no
 * lock, no system call; what the control thread publishes is read with acquire loads.
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "tnl.h"

#define TNL_HLEN 8		/* VXLAN's header, Geneve's without options */
#define VXLAN_FLAG_I 0x08
#define GENEVE_HLEN 8
#define GENEVE_OPT_CRITICAL 0x80

/* Copy an ARP packet's sender for the control thread; a full ring loses it (ARP repeats). */
static void
snoop_arp(const struct port *p, const uint8_t *d, uint32_t len)
{
	struct tnl_snoop s;

	if (len < 42 || tnl_snoop_ring == NULL || d[14] != 0 || d[15] != 1 || d[16] != 0x08 ||
			d[17] != 0 || d[18] != 6 || d[19] != 4)
		return;
	memcpy(&s.ip, d + 28, 4);
	memcpy(s.mac, d + 22, 6);
	s.slot = p->slot;
	rte_ring_mp_enqueue_elem(tnl_snoop_ring, &s, sizeof(s));
}

/*
 * Geneve header 'g' of a packet with 'room' bytes from 'g' on (to the IPv4 packet's end and
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

/*
 * 'm' if it is a tunnel packet for an endpoint of 'dc': the tunnel port it goes to (its
 * outer headers popped), or NULL with '*verdict' 0 (not ours: for the kernel) or -1
 * (ours but bad: counted and to be dropped).
 */
static struct tnl_port *
decap_one(const struct tnl_decap *dc, struct rte_mbuf *m, unsigned pmd, int *verdict)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);
	const struct rte_ipv4_hdr *ip;
	struct tnl_port *listener = NULL, *t = NULL;
	uint32_t ihl, l4, vni, inner, src, dst, hl = TNL_HLEN, opt[TNL_N_METADATA] = { 0 };
	uint32_t present = 0;
	uint16_t dport, tot;

	*verdict = 0;
	if (len < RTE_ETHER_HDR_LEN + sizeof(*ip) || d[12] != 0x08 || d[13] != 0x00)
		return NULL;
	ip = (const struct rte_ipv4_hdr *)(d + RTE_ETHER_HDR_LEN);
	ihl = (ip->version_ihl & 0xf) * 4u;
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) || ip->next_proto_id != IPPROTO_UDP ||
			(ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG |
			RTE_IPV4_HDR_OFFSET_MASK)) != 0)
		return NULL;
	l4 = RTE_ETHER_HDR_LEN + ihl;
	if (len < l4 + 4)
		return NULL;
	memcpy(&dport, d + l4 + 2, 2);
	for (unsigned i = 0; i < dc->n && listener == NULL; i++)
		if (dc->ep[i].dst_port == dport && dc->ep[i].local_ip == ip->dst_addr)
			listener = dc->ep[i].t;
	if (listener == NULL)
		return NULL;
	*verdict = -1;
	tot = rte_be_to_cpu_16(ip->total_length);
	if (listener->cfg.type == TNL_GTPU)
		return tnl_gtpu_decap(dc, listener, m, pmd, l4, ihl, tot, verdict);
	if (len < l4 + sizeof(struct rte_udp_hdr) + TNL_HLEN + RTE_ETHER_HDR_LEN ||
			tot < ihl + sizeof(struct rte_udp_hdr) + TNL_HLEN + RTE_ETHER_HDR_LEN ||
			RTE_ETHER_HDR_LEN + (uint32_t)tot > rte_pktmbuf_pkt_len(m)) {
		listener->st[pmd].rx_errors++;
		return NULL;
	}
	if (listener->cfg.type == TNL_GENEVE)
		hl = geneve_parse(dc, d + l4 + sizeof(struct rte_udp_hdr),
			RTE_MIN(len - l4, (uint32_t)tot - ihl) - (uint32_t)sizeof(struct rte_udp_hdr),
			opt, &present);
	else if (!(d[l4 + 8] & VXLAN_FLAG_I))
		hl = 0;
	if (hl == 0) {
		listener->st[pmd].rx_errors++;
		return NULL;
	}
	src = ip->src_addr;
	dst = ip->dst_addr;
	/* The VNI sits at the same place in VXLAN's and Geneve's headers. */
	vni = (uint32_t)d[l4 + 12] << 16 | (uint32_t)d[l4 + 13] << 8 | d[l4 + 14];
	for (unsigned i = 0; i < dc->n && t == NULL; i++)
		if (dc->ep[i].dst_port == dport && dc->ep[i].vni == vni &&
				!dc->ep[i].key_flow && dc->ep[i].local_ip == ip->dst_addr)
			t = dc->ep[i].t;
	/* A port with key=flow takes the VNIs no port has by number. */
	for (unsigned i = 0; i < dc->n && t == NULL; i++)
		if (dc->ep[i].dst_port == dport && dc->ep[i].key_flow &&
				dc->ep[i].local_ip == ip->dst_addr)
			t = dc->ep[i].t;
	if (t == NULL) {
		listener->st[pmd].rx_dropped++;
		return NULL;
	}
	/* Trailing bytes past the IPv4 packet (Ethernet padding) are not the inner frame's. */
	inner = tot - ihl - (uint32_t)sizeof(struct rte_udp_hdr) - hl;
	rte_pktmbuf_adj(m, (uint16_t)(l4 + sizeof(struct rte_udp_hdr) + hl));
	if (rte_pktmbuf_pkt_len(m) > inner)
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - inner));
	m->ol_flags = 0;
	if (tnl_md_offset >= 0) {
		struct tnl_md *md = RTE_MBUF_DYNFIELD(m, tnl_md_offset, struct tnl_md *);

		md->tun_id = rte_cpu_to_be_64((uint64_t)vni);
		md->tun_src = src;
		md->tun_dst = dst;
		md->gtpu_flags = 0;
		md->gtpu_msgtype = 0;
		memcpy(md->tun_metadata, opt, sizeof(md->tun_metadata));
		md->tun_metadata_set = (uint8_t)present;
		m->ol_flags = tnl_md_flag;
	}
	*verdict = 1;
	return t;
}

uint16_t
tnl_internal_tx(struct port *p, unsigned pmd, struct rte_mbuf **pkts, uint16_t n,
	uint16_t *dropped)
{
	const struct tnl_decap *dc = tnl_decap_get();
	struct rte_mbuf *out[PORT_BURST];
	struct tnl_port *to[PORT_BURST];
	uint16_t keep = 0, n_out = 0;

	if (dc == NULL || dc->n == 0)
		return n;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
		int verdict;
		struct tnl_port *t;

		if (rte_pktmbuf_data_len(m) >= 14 && d[12] == 0x08 && d[13] == 0x06)
			snoop_arp(p, d, rte_pktmbuf_data_len(m));
		t = decap_one(dc, m, pmd, &verdict);
		if (verdict == 0) {
			pkts[keep++] = m;
		} else if (t == NULL) {
			rte_pktmbuf_free(m);
			(*dropped)++;
		} else {
			out[n_out] = m;
			to[n_out++] = t;
		}
	}
	/* Runs of one tunnel port go to the switch together, in order. */
	for (uint16_t i = 0; i < n_out;) {
		uint16_t j = i + 1;

		while (j < n_out && to[j] == to[i])
			j++;
		to[i]->env->deliver(to[i]->env->deliver_aux, to[i]->port, pmd, &out[i],
			(uint16_t)(j - i));
		i = j;
	}
	return keep;
}

/* The UDP source port: a hash of the inner frame's addresses, in 32768..61000 as Linux. */
static uint16_t
src_port(const struct rte_mbuf *m)
{
	uint32_t len = RTE_MIN(rte_pktmbuf_data_len(m), 34u);
	uint32_t h = rte_hash_crc(rte_pktmbuf_mtod(m, const void *), len, 0x9e3779b9);

	return rte_cpu_to_be_16((uint16_t)(32768 + h % (61000 - 32768)));
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
 * each tun_metadataN a rule set (set_field) and add-tlv-map mapped.  Returns their length.
 */
static uint32_t
geneve_options(const struct tnl_port *t, const struct rte_mbuf *m, uint8_t *o)
{
	const struct tnl_decap *dc;
	const struct tnl_md *md;
	uint32_t len = 0;

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
		memcpy(o + len + 4, &md->tun_metadata[i], 4);
		len += 8;
	}
	return len;
}

uint16_t
tnl_encap_tx(struct tnl_port *t, unsigned pmd, struct rte_mbuf **pkts, uint16_t n)
{
	const struct tnl_encap *e = __atomic_load_n(&t->encap, __ATOMIC_ACQUIRE);
	struct rte_mbuf *burst[PORT_BURST];
	uint16_t k = 0, bad = 0;

	if (unlikely(e == NULL)) {
		t->st[pmd].tx_no_route += n;
		rte_pktmbuf_free_bulk(pkts, n);
		return n;
	}
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const uint8_t *in = rte_pktmbuf_mtod(m, const uint8_t *);
		uint8_t in_tos = 0, in_ttl = 64;
		uint16_t sport = src_port(m);
		uint32_t inner, teid = 0;
		uint8_t opts[TNL_N_METADATA * 8];
		uint32_t olen = geneve_options(t, m, opts), hlen = TNL_VXLAN_HLEN + olen;
		uint8_t *h;
		struct rte_ipv4_hdr *ip;
		struct rte_udp_hdr *udp;

		if (rte_pktmbuf_data_len(m) >= 34 && in[12] == 0x08 && in[13] == 0x00) {
			in_tos = in[15];
			in_ttl = in[22];
		}
		if (t->cfg.type == TNL_GTPU) {
			/* An IP payload (packet_type=legacy_l3): the Ethernet header goes. */
			if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + 20 ||
					!((in[12] == 0x08 && in[13] == 0x00) ||
					(in[12] == 0x86 && in[13] == 0xdd))) {
				t->st[pmd].tx_errors++;
				rte_pktmbuf_free(m);
				bad++;
				continue;
			}
			teid = t->cfg.vni;
			if (t->cfg.key_flow && tnl_md_offset >= 0 && (m->ol_flags & tnl_md_flag))
				teid = (uint32_t)rte_be_to_cpu_64(RTE_MBUF_DYNFIELD(m, tnl_md_offset,
					struct tnl_md *)->tun_id);
			rte_pktmbuf_adj(m, RTE_ETHER_HDR_LEN);
		}
		inner = rte_pktmbuf_pkt_len(m);
		h = inner + hlen - RTE_ETHER_HDR_LEN <= UINT16_MAX ?
			(uint8_t *)rte_pktmbuf_prepend(m, (uint16_t)hlen) : NULL;
		if (unlikely(h == NULL)) {
			rte_pktmbuf_free(m);
			bad++;
			continue;
		}
		memcpy(h, e->hdr, TNL_VXLAN_HLEN);
		if (olen != 0) {
			memcpy(h + TNL_VXLAN_HLEN, opts, olen);
			h[TNL_VXLAN_HLEN - TNL_HLEN] = (uint8_t)(olen / 4);	/* Opt Len */
		}
		ip = (struct rte_ipv4_hdr *)(h + RTE_ETHER_HDR_LEN);
		udp = (struct rte_udp_hdr *)(ip + 1);
		ip->total_length = rte_cpu_to_be_16((uint16_t)(inner + hlen - RTE_ETHER_HDR_LEN));
		if (t->cfg.tos < 0)
			ip->type_of_service = in_tos;
		if (t->cfg.ttl < 0)
			ip->time_to_live = in_ttl;
		if (t->cfg.key_flow && t->cfg.type != TNL_GTPU)
			put_vni(m, h + TNL_VXLAN_HLEN - TNL_HLEN);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		udp->src_port = sport;
		udp->dgram_len = rte_cpu_to_be_16((uint16_t)(inner + sizeof(*udp) + TNL_HLEN + olen));
		if (t->cfg.type == TNL_GTPU) {
			uint8_t *g = (uint8_t *)(udp + 1);
			uint16_t glen = rte_cpu_to_be_16((uint16_t)inner);
			uint32_t be_teid = rte_cpu_to_be_32(teid);

			memcpy(g + 2, &glen, 2);
			memcpy(g + 4, &be_teid, 4);
		}
		m->ol_flags = 0;
		burst[k++] = m;
	}
	if (k > 0)
		bad += t->env->deliver(t->env->deliver_aux, e->underlay, pmd, burst, k);
	return bad;
}
