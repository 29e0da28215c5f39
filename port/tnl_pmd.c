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

#define VXLAN_HLEN 8
#define VXLAN_FLAG_I 0x08

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
	uint32_t ihl, l4, vni, inner, src, dst;
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
	if (len < l4 + sizeof(struct rte_udp_hdr) + VXLAN_HLEN + RTE_ETHER_HDR_LEN ||
			tot < ihl + sizeof(struct rte_udp_hdr) + VXLAN_HLEN + RTE_ETHER_HDR_LEN ||
			RTE_ETHER_HDR_LEN + (uint32_t)tot > rte_pktmbuf_pkt_len(m) ||
			!(d[l4 + 8] & VXLAN_FLAG_I)) {
		listener->st[pmd].rx_errors++;
		return NULL;
	}
	src = ip->src_addr;
	dst = ip->dst_addr;
	vni = (uint32_t)d[l4 + 12] << 16 | (uint32_t)d[l4 + 13] << 8 | d[l4 + 14];
	for (unsigned i = 0; i < dc->n && t == NULL; i++)
		if (dc->ep[i].dst_port == dport && dc->ep[i].vni == vni &&
				dc->ep[i].local_ip == ip->dst_addr)
			t = dc->ep[i].t;
	if (t == NULL) {
		listener->st[pmd].rx_dropped++;
		return NULL;
	}
	/* Trailing bytes past the IPv4 packet (Ethernet padding) are not the inner frame's. */
	inner = tot - ihl - (uint32_t)sizeof(struct rte_udp_hdr) - VXLAN_HLEN;
	rte_pktmbuf_adj(m, (uint16_t)(l4 + sizeof(struct rte_udp_hdr) + VXLAN_HLEN));
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
		h = inner + TNL_VXLAN_HLEN - RTE_ETHER_HDR_LEN <= UINT16_MAX ?
			(uint8_t *)rte_pktmbuf_prepend(m, TNL_VXLAN_HLEN) : NULL;
		if (unlikely(h == NULL)) {
			rte_pktmbuf_free(m);
			bad++;
			continue;
		}
		memcpy(h, e->hdr, TNL_VXLAN_HLEN);
		ip = (struct rte_ipv4_hdr *)(h + RTE_ETHER_HDR_LEN);
		udp = (struct rte_udp_hdr *)(ip + 1);
		ip->total_length = rte_cpu_to_be_16((uint16_t)(inner + TNL_VXLAN_HLEN -
			RTE_ETHER_HDR_LEN));
		if (t->cfg.tos < 0)
			ip->type_of_service = in_tos;
		if (t->cfg.ttl < 0)
			ip->time_to_live = in_ttl;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		udp->src_port = sport;
		udp->dgram_len = rte_cpu_to_be_16((uint16_t)(inner + sizeof(*udp) + 8));
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
