/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * GTP-U decapsulation on the packet path (see tnl.h), as Open vSwitch's userspace datapath
 * pops a gtpu port's packets: the TEID becomes tun_id, the header's flags and message type
 * tun_gtpu_flags and tun_gtpu_msgtype.  A G-PDU's IP payload gets an Ethernet header with
 * zero addresses (Open vSwitch's legacy_l3 ports push one too before OpenFlow sees the
 * packet); any other message (echo request, end marker, error indication) is handed to the
 * switch whole, outer headers and all, so that rules on tun_gtpu_msgtype can send it to a
 * controller.  Unlike Open vSwitch, the optional fields are skipped whenever one of E, S or
 * PN is set (TS 29.281 5.1) and extension headers are walked, so that a PDU session
 * container (the QFI of 5G) does not end up in the inner packet.  PMD threads only.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf_dyn.h>
#include <rte_udp.h>

#include "tnl.h"

#define GTPU_HLEN 8
#define GTPU_VERSION_PT 0x30		/* version 1, protocol type GTP */
#define GTPU_F_E 0x04
#define GTPU_F_OPT 0x07			/* E, S, PN: the 4 optional bytes are present */
#define GTPU_GPDU 255
/*
 * Extension headers walked at most: a PDU session container, perhaps a PDCP number or two
 * in front of it.  A longer chain is refused, so that the work per packet stays bounded
 * (a chain of 4-byte headers could otherwise fill the first segment).
 */
#define GTPU_MAX_EXT 8

/*
 * The length of 'g's header, optional fields and extension headers, or 0 when they do not
 * fit in 'room' (the bytes of the message, 8 + GTP-U's length field, that are also in the
 * mbuf's first segment) or there are more than GTPU_MAX_EXT extension headers.
 */
static uint32_t
gtpu_hdr_len(const uint8_t *g, uint32_t room)
{
	uint32_t h = GTPU_HLEN;
	unsigned n_ext = 0;
	uint8_t next;

	if (!(g[0] & GTPU_F_OPT))
		return h;
	h += 4;
	if (h > room)
		return 0;
	if (!(g[0] & GTPU_F_E))
		return h;
	next = g[GTPU_HLEN + 3];
	while (next != 0) {
		uint32_t ext;

		if (h + 1 > room || ++n_ext > GTPU_MAX_EXT)
			return 0;
		ext = g[h] * 4u;
		if (ext == 0 || h + ext > room)
			return 0;
		next = g[h + ext - 1];
		h += ext;
	}
	return h;
}

struct tnl_port *
tnl_gtpu_decap(const struct tnl_decap *dc, struct tnl_port *listener, struct rte_mbuf *m,
	unsigned pmd, const struct tnl_outer *o, int *verdict)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t l4 = o->l4;
	uint32_t dlen = rte_pktmbuf_data_len(m), glen, hlen, teid, udp_room;
	const uint8_t *g = d + l4 + sizeof(struct rte_udp_hdr);
	struct tnl_port *t = NULL;
	uint16_t dport;
	uint8_t *eth, flags, type;

	*verdict = -1;
	/* The UDP length, not the IP packet's: what follows the datagram is not GTP-U's. */
	udp_room = o->ulen - (uint32_t)sizeof(struct rte_udp_hdr);
	if (udp_room < GTPU_HLEN || dlen < l4 + sizeof(struct rte_udp_hdr) + GTPU_HLEN ||
			(g[0] & 0xf0) != GTPU_VERSION_PT)
		goto bad;
	glen = (uint32_t)g[2] << 8 | g[3];
	if (GTPU_HLEN + glen > udp_room)
		goto bad;
	hlen = gtpu_hdr_len(g, RTE_MIN(GTPU_HLEN + glen,
		dlen - l4 - (uint32_t)sizeof(struct rte_udp_hdr)));
	if (hlen == 0)
		goto bad;
	flags = g[0];
	type = g[1];
	teid = (uint32_t)g[4] << 24 | (uint32_t)g[5] << 16 | (uint32_t)g[6] << 8 | g[7];
	memcpy(&dport, d + l4 + 2, 2);
	t = tnl_decap_port(dc, o, dport, teid, true);
	if (t == NULL) {
		listener->st[pmd].rx_dropped++;
		return NULL;
	}
	if (type == GTPU_GPDU) {
		uint32_t inner = GTPU_HLEN + glen - hlen;
		uint32_t pop = l4 + (uint32_t)sizeof(struct rte_udp_hdr) + hlen;
		uint8_t v = inner > 0 && pop < dlen ? d[pop] >> 4 : 0;

		if (v != 4 && v != 6)
			goto bad;
		/* The outer headers and GTP-U go; 14 of their bytes become the new Ethernet. */
		eth = (uint8_t *)rte_pktmbuf_adj(m, (uint16_t)(pop - RTE_ETHER_HDR_LEN));
		memset(eth, 0, 12);
		eth[12] = v == 4 ? 0x08 : 0x86;
		eth[13] = v == 4 ? 0x00 : 0xdd;
		if (rte_pktmbuf_pkt_len(m) > RTE_ETHER_HDR_LEN + inner &&
				port_pkt_trim(m, RTE_ETHER_HDR_LEN + inner) != 0) {
			t->st[pmd].rx_errors++;
			return NULL;
		}
		if (!tnl_ecn_decap(m, o->tos)) {
			t->st[pmd].rx_errors++;
			return NULL;
		}
	}
	m->ol_flags = 0;
	if (tnl_md_offset >= 0) {
		struct tnl_md *md = RTE_MBUF_DYNFIELD(m, tnl_md_offset, struct tnl_md *);

		memset(md, 0, sizeof(*md));
		md->tun_id = rte_cpu_to_be_64((uint64_t)teid);
		md->tun_src = o->src;		/* 0 over IPv6, as Open vSwitch */
		md->tun_dst = o->dst;
		md->gtpu_flags = flags;
		md->gtpu_msgtype = type;
		md->tun_metadata_set = 0;
		memset(md->tun_metadata, 0, sizeof(md->tun_metadata));
		tnl_md_set_endpoints6(m, md, o);
		m->ol_flags = tnl_md_flag;
	}
	*verdict = 1;
	return t;
bad:
	listener->st[pmd].rx_errors++;
	return NULL;
}
