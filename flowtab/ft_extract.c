/* SPDX-License-Identifier: BSD-3-Clause */
/* Packet parsing: one pass over the headers into a 'struct ft_key'. */

#include <rte_mbuf.h>

#include "ft_key.h"

#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_ARP 0x0806

static inline uint16_t
rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static inline uint32_t
rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void
extract_l4(const uint8_t *p, uint32_t len, uint16_t l4, uint8_t proto, int v6,
		struct ft_key *k)
{
	const uint8_t *h = p + l4;

	switch (proto) {
	case IPPROTO_TCP:
		if (len < (uint32_t)l4 + 20)
			return;
		memcpy(&k->tp_src, h, 4);
		k->tcp_flags = rd16(h + 12) & rte_cpu_to_be_16(0x0fff);
		break;
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		if (len < (uint32_t)l4 + 8)
			return;
		memcpy(&k->tp_src, h, 4);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if ((proto == IPPROTO_ICMPV6) != v6 || len < (uint32_t)l4 + 4)
			return;
		k->tp_src = rte_cpu_to_be_16(h[0]);
		k->tp_dst = rte_cpu_to_be_16(h[1]);
		break;
	default:
		break;
	}
}

static void
extract_ipv4(const uint8_t *p, uint32_t len, uint16_t l3, struct ft_key *k,
		struct ft_layers *ly)
{
	const uint8_t *h = p + l3;
	unsigned ihl;
	uint16_t frag;

	if (len < (uint32_t)l3 + 20)
		return;
	ihl = (h[0] & 0x0f) * 4u;
	if (ihl < 20 || len < l3 + ihl)
		return;
	k->nw_tos = h[1];
	k->nw_ttl = h[8];
	k->nw_proto = h[9];
	k->nw_src = rd32(h + 12);
	k->nw_dst = rd32(h + 16);
	ly->l4 = l3 + ihl;
	frag = rte_be_to_cpu_16(rd16(h + 6));
	if (frag & 0x3fff) {
		k->nw_frag = FT_FRAG_ANY;
		if (frag & 0x1fff) {
			k->nw_frag |= FT_FRAG_LATER;
			return;
		}
	}
	extract_l4(p, len, ly->l4, k->nw_proto, 0, k);
}

static void
extract_ipv6(const uint8_t *p, uint32_t len, uint16_t l3, struct ft_key *k,
		struct ft_layers *ly)
{
	const uint8_t *h = p + l3;
	uint32_t off = l3 + 40u;
	uint8_t nh;
	int i;

	if (len < off)
		return;
	k->nw_tos = (uint8_t)(((h[0] & 0x0f) << 4) | (h[1] >> 4));
	k->nw_ttl = h[7];
	memcpy(k->ipv6_src, h + 8, 32);
	nh = h[6];
	for (i = 0; i < 4; i++) {
		if (nh == 0 || nh == 43 || nh == 60) {
			if (len < off + 8)
				return;
			nh = p[off];
			off += (p[off + 1] + 1u) * 8u;
		} else if (nh == 44) {
			if (len < off + 8)
				return;
			k->nw_frag = FT_FRAG_ANY;
			if (rte_be_to_cpu_16(rd16(p + off + 2)) & 0xfff8)
				k->nw_frag |= FT_FRAG_LATER;
			nh = p[off];
			off += 8;
		} else {
			break;
		}
	}
	k->nw_proto = nh;
	if (off > UINT16_MAX)
		return;
	ly->l4 = (uint16_t)off;
	if (!(k->nw_frag & FT_FRAG_LATER))
		extract_l4(p, len, ly->l4, nh, 1, k);
}

static void
extract_arp(const uint8_t *p, uint32_t len, uint16_t l3, struct ft_key *k)
{
	const uint8_t *h = p + l3;
	uint16_t op;

	if (len < (uint32_t)l3 + 28 || rd16(h) != rte_cpu_to_be_16(1) ||
	    rd16(h + 2) != rte_cpu_to_be_16(ETH_P_IP) || h[4] != 6 || h[5] != 4)
		return;
	op = rte_be_to_cpu_16(rd16(h + 6));
	if (op <= 0xff)
		k->nw_proto = (uint8_t)op;
	k->nw_src = rd32(h + 14);
	k->nw_dst = rd32(h + 24);
}

void
ft_key_extract(const struct rte_mbuf *m, uint32_t in_port, struct ft_key *k,
		struct ft_layers *ly)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);
	uint16_t type, l3 = 14;
	unsigned i;

	for (i = 0; i < FT_KEY_WORDS; i++)
		k->w[i] = 0;
	k->in_port = rte_cpu_to_be_32(in_port);
	ly->l3 = 0;
	ly->l4 = 0;
	if (len < 14) {
		k->dl_type = rte_cpu_to_be_16(FT_DL_TYPE_NONE);
		return;
	}
	memcpy(k->dl_dst, p, 6);
	memcpy(k->dl_src, p + 6, 6);
	type = rte_be_to_cpu_16(rd16(p + 12));
	if ((type == ETH_P_8021Q || type == ETH_P_8021AD) && len >= 18) {
		k->vlan_tci = rd16(p + 14) | rte_cpu_to_be_16(FT_VLAN_CFI);
		type = rte_be_to_cpu_16(rd16(p + 16));
		l3 = 18;
	}
	if (type < 0x600)
		type = FT_DL_TYPE_NONE;
	k->dl_type = rte_cpu_to_be_16(type);
	ly->l3 = l3;
	switch (type) {
	case ETH_P_IP:
		extract_ipv4(p, len, l3, k, ly);
		break;
	case ETH_P_IPV6:
		extract_ipv6(p, len, l3, k, ly);
		break;
	case ETH_P_ARP:
		extract_arp(p, len, l3, k);
		break;
	default:
		break;
	}
}
