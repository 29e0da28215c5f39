/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_FT_EXTRACT_H
#define VIREO_FT_EXTRACT_H

/*
 * Packet parsing into a 'struct ft_key', inline for the packet path.  The key is assembled in
 * registers and stored as whole 64-bit words, so that hashing it right after reads the words
 * back through store forwarding instead of stalling on narrower stores.
 */

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "ft_key.h"
#include "flowtab.h"

#define FT_MAC_BITS 0x0000ffffffffffffull

static inline uint64_t
ft_ld64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static inline uint32_t
ft_ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static inline uint16_t
ft_ld16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* 'm''s private area as IPv6 tunnel endpoints, NULL when its pool's is smaller (flowtab.h). */
static inline struct flowtab_tnl_md6 *
ft_tnl_md6(const struct rte_mbuf *m)
{
	if (m->priv_size < sizeof(struct flowtab_tnl_md6))
		return NULL;
	return (struct flowtab_tnl_md6 *)(uintptr_t)((const uint8_t *)m + sizeof(*m));
}

/*
 * Words 8 to 15: the tunnel metadata the decapsulating port left in 'm', else zero (the
 * IPv6 endpoints from the private area, where the port put them: flowtab.h).
 */
static inline void
ft_extract_tnl(const struct rte_mbuf *m, struct ft_key *k)
{
	if (unlikely(m->ol_flags & flowtab_tnl_md_flag)) {
		const struct flowtab_tnl_md *md = RTE_MBUF_DYNFIELD(m, flowtab_tnl_md_offset,
			const struct flowtab_tnl_md *);
		const struct flowtab_tnl_md6 *m6 = (md->flags & FLOWTAB_TNL_MD_F_IPV6) ?
			ft_tnl_md6(m) : NULL;

		k->w[8] = md->tun_id;
		k->w[9] = (uint64_t)md->tun_src | (uint64_t)md->tun_dst << 32;
		k->w[10] = (uint64_t)md->gtpu_flags | (uint64_t)md->gtpu_msgtype << 8 |
			(uint64_t)rte_cpu_to_be_16((md->flags & FLOWTAB_TNL_MD_F_OAM) ? 1 : 0) << 16;
		k->w[11] = (uint64_t)md->tun_metadata[0] | (uint64_t)md->tun_metadata[1] << 32;
		if (m6 != NULL) {
			memcpy(&k->w[12], m6, sizeof(*m6));
			return;
		}
	} else {
		k->w[8] = 0;
		k->w[9] = 0;
		k->w[10] = 0;
		k->w[11] = 0;
	}
	k->w[12] = 0;
	k->w[13] = 0;
	k->w[14] = 0;
	k->w[15] = 0;
}

/* Word 3 (tp_src, tp_dst, tcp_flags) for L4 header 'h' of protocol 'proto', 'room' bytes. */
static inline uint64_t
ft_extract_l4(const uint8_t *h, uint32_t room, uint8_t proto, int v6)
{
	switch (proto) {
	case IPPROTO_TCP:
		if (room < 20)
			return 0;
		return ft_ld32(h) | (uint64_t)(ft_ld16(h + 12) & rte_cpu_to_be_16(0x0fff)) << 32;
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		return room < 8 ? 0 : ft_ld32(h);
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if ((proto == IPPROTO_ICMPV6) != v6 || room < 4)
			return 0;
		return (uint64_t)h[0] << 8 | (uint64_t)h[1] << 24;
	default:
		return 0;
	}
}

static inline void
ft_key_extract_inline(const struct rte_mbuf *m, uint32_t in_port, struct ft_key *k,
		struct ft_layers *ly)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *), *h;
	uint32_t len = rte_pktmbuf_data_len(m), off;
	uint64_t w1, w2, w3 = 0, w4 = 0, w5 = 0, w6 = 0, w7 = 0, frag = 0;
	uint16_t type, tci = 0, l3 = 14, fo;
	unsigned ihl, i;
	uint8_t nh;

	ly->l3 = 0;
	ly->l4 = 0;
	ft_extract_tnl(m, k);
	if (unlikely(len < 14)) {
		for (i = 1; i < 8; i++)
			k->w[i] = 0;
		k->w[0] = rte_cpu_to_be_32(in_port) |
			  (uint64_t)rte_cpu_to_be_16(FT_DL_TYPE_NONE) << 48;
		return;
	}
	w1 = ft_ld64(p) & FT_MAC_BITS;
	w2 = ft_ld64(p + 6) & FT_MAC_BITS;
	type = ft_ld16(p + 12);
	if (unlikely(type == rte_cpu_to_be_16(0x8100) || type == rte_cpu_to_be_16(0x88a8)) &&
	    len >= 18) {
		tci = ft_ld16(p + 14) | rte_cpu_to_be_16(FT_VLAN_CFI);
		type = ft_ld16(p + 16);
		l3 = 18;
	}
	h = p + l3;
	if (likely(type == rte_cpu_to_be_16(0x0800))) {
		if (len < (uint32_t)l3 + 20)
			goto done;
		ihl = (h[0] & 0x0f) * 4u;
		if (ihl < 20 || len < l3 + ihl)
			goto done;
		ly->l3 = l3;    /* only for a whole header: actions rewrite through it */
		w1 |= (uint64_t)h[9] << 48 | (uint64_t)h[1] << 56;
		w2 |= (uint64_t)h[8] << 48;
		w4 = ft_ld64(h + 12);
		ly->l4 = (uint16_t)(l3 + ihl);
		fo = rte_be_to_cpu_16(ft_ld16(h + 6));
		if (unlikely(fo & 0x3fff)) {
			frag = FT_FRAG_ANY;
			if (fo & 0x1fff) {
				w3 = (uint64_t)(frag | FT_FRAG_LATER) << 48;
				goto done;
			}
			w3 = frag << 48;
		}
		w3 |= ft_extract_l4(p + ly->l4, len - ly->l4, h[9], 0);
	} else if (type == rte_cpu_to_be_16(0x86dd)) {
		off = l3 + 40u;
		if (len < off)
			goto done;
		ly->l3 = l3;
		w1 |= (uint64_t)(uint8_t)(((h[0] & 0x0f) << 4) | (h[1] >> 4)) << 56;
		w2 |= (uint64_t)h[7] << 48;
		w4 = ft_ld64(h + 8);
		w5 = ft_ld64(h + 16);
		w6 = ft_ld64(h + 24);
		w7 = ft_ld64(h + 32);
		nh = h[6];
		for (i = 0; i < 4; i++) {
			if (nh == 0 || nh == 43 || nh == 60) {
				if (len < off + 8)
					goto done;
				nh = p[off];
				off += (p[off + 1] + 1u) * 8u;
			} else if (nh == 44) {
				if (len < off + 8)
					goto done;
				frag |= FT_FRAG_ANY;
				if (rte_be_to_cpu_16(ft_ld16(p + off + 2)) & 0xfff8)
					frag |= FT_FRAG_LATER;
				nh = p[off];
				off += 8;
			} else {
				break;
			}
		}
		w1 |= (uint64_t)nh << 48;
		w3 = frag << 48;
		if (off > UINT16_MAX || len < off)
			goto done;
		ly->l4 = (uint16_t)off;
		if (!(frag & FT_FRAG_LATER))
			w3 |= ft_extract_l4(p + off, len - off, nh, 1);
	} else if (type == rte_cpu_to_be_16(0x0806)) {
		uint16_t op;

		if (len < (uint32_t)l3 + 28 || ft_ld16(h) != rte_cpu_to_be_16(1) ||
		    ft_ld16(h + 2) != rte_cpu_to_be_16(0x0800) || h[4] != 6 || h[5] != 4)
			goto done;
		op = rte_be_to_cpu_16(ft_ld16(h + 6));
		if (op <= 0xff)
			w1 |= (uint64_t)op << 48;
		w4 = ft_ld32(h + 14) | (uint64_t)ft_ld32(h + 24) << 32;
	} else if (rte_be_to_cpu_16(type) < 0x600) {
		type = rte_cpu_to_be_16(FT_DL_TYPE_NONE);
	}
done:
	k->w[0] = rte_cpu_to_be_32(in_port) | (uint64_t)tci << 32 | (uint64_t)type << 48;
	k->w[1] = w1;
	k->w[2] = w2;
	k->w[3] = w3;
	k->w[4] = w4;
	k->w[5] = w5;
	k->w[6] = w6;
	k->w[7] = w7;
}

/** The L2 part of the key only (no rule looks further): words 3..7 zero, no L4 offset. */
static inline void
ft_key_extract_l2(const struct rte_mbuf *m, uint32_t in_port, struct ft_key *k,
		struct ft_layers *ly)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);
	uint16_t type, tci = 0;

	ly->l3 = 0;
	ly->l4 = 0;
	if (unlikely(len < 18)) {
		ft_key_extract_inline(m, in_port, k, ly);
		return;
	}
	type = ft_ld16(p + 12);
	if (unlikely(type == rte_cpu_to_be_16(0x8100) || type == rte_cpu_to_be_16(0x88a8))) {
		tci = ft_ld16(p + 14) | rte_cpu_to_be_16(FT_VLAN_CFI);
		type = ft_ld16(p + 16);
	} else if (unlikely(rte_be_to_cpu_16(type) < 0x600)) {
		type = rte_cpu_to_be_16(FT_DL_TYPE_NONE);
	}
	ft_extract_tnl(m, k);
	k->w[0] = rte_cpu_to_be_32(in_port) | (uint64_t)tci << 32 | (uint64_t)type << 48;
	k->w[1] = ft_ld64(p) & FT_MAC_BITS;
	k->w[2] = ft_ld64(p + 6) & FT_MAC_BITS;
	k->w[3] = 0;
	k->w[4] = 0;
	k->w[5] = 0;
	k->w[6] = 0;
	k->w[7] = 0;
}

#endif /* VIREO_FT_EXTRACT_H */
