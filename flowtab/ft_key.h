/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_FT_KEY_H
#define VIREO_FT_KEY_H

/*
 * The packet key: every header field a rule can match, parsed once per packet.
 *
 * A key is sixteen 64-bit words at fixed offsets (the ninth to the sixteenth: tunnel
 * metadata), multi-byte fields in network
 * byte order, absent fields zero.  Fields of different protocols share words (the IPv4 and ARP
 * addresses overlay the start of the IPv6 addresses; ICMP type/code sit in tp_src/tp_dst; the
 * ARP opcode in nw_proto) and the rule parser enforces OpenFlow's prerequisites (nw_src needs
 * ip or arp, ...) so that a rule never compares a field of the wrong protocol.  A classifier
 * subtable only hashes and compares the words its mask touches, which keeps an in_port rule
 * to one word of work (the "miniflow" idea with a fixed layout).
 */

#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#define FT_KEY_WORDS 16

/** vlan_tci bit meaning "a VLAN header is present" (OVS's convention). */
#define FT_VLAN_CFI 0x1000
/** dl_type of frames without an Ethernet II type (802.3 length field, runts). */
#define FT_DL_TYPE_NONE 0x05ff

/** Flags in 'nw_frag'. */
#define FT_FRAG_ANY 0x01
#define FT_FRAG_LATER 0x02

struct ft_key {
	union {
		uint64_t w[FT_KEY_WORDS];
		struct {
			rte_be32_t in_port;      /* w0 */
			rte_be16_t vlan_tci;
			rte_be16_t dl_type;
			uint8_t dl_dst[6];       /* w1 */
			uint8_t nw_proto;        /* ARP: low byte of the opcode */
			uint8_t nw_tos;
			uint8_t dl_src[6];       /* w2 */
			uint8_t nw_ttl;
			uint8_t table_id;        /* lookup metadata, never in a rule mask */
			rte_be16_t tp_src;       /* w3; ICMP type */
			rte_be16_t tp_dst;       /* ICMP code */
			rte_be16_t tcp_flags;
			uint8_t nw_frag;
			uint8_t pad;
			union {                  /* w4..w7 */
				struct {
					rte_be32_t nw_src;   /* also ARP spa */
					rte_be32_t nw_dst;   /* also ARP tpa */
				};
				struct {
					uint8_t ipv6_src[16];
					uint8_t ipv6_dst[16];
				};
			};
			rte_be64_t tun_id;       /* w8: of a decapsulated packet, else 0 */
			rte_be32_t tun_src;      /* w9 */
			rte_be32_t tun_dst;
			uint8_t tun_gtpu_flags;  /* w10: of a GTP-U packet, else 0 */
			uint8_t tun_gtpu_msgtype;
			rte_be16_t tun_flags;    /* bit 0: OAM (Geneve's O bit), else 0 */
			uint8_t pad2[4];
			rte_be32_t tun_metadata[2]; /* w11: mapped Geneve options, else 0 */
			uint8_t tun_ipv6_src[16];   /* w12..w13: IPv6 underlay endpoints, else 0 */
			uint8_t tun_ipv6_dst[16];   /* w14..w15 */
		};
	};
} __rte_aligned(64);

/** Where the layers of a parsed packet start (offsets from the frame start). */
struct ft_layers {
	uint16_t l3;
	uint16_t l4;
};

struct rte_mbuf;

/** Parse 'm' received on 'in_port' into 'k' and 'ly'. */
void ft_key_extract(const struct rte_mbuf *m, uint32_t in_port, struct ft_key *k,
		struct ft_layers *ly);

static inline int
ft_key_equal(const struct ft_key *a, const struct ft_key *b)
{
	uint64_t d = 0;
	unsigned i;

	for (i = 0; i < FT_KEY_WORDS; i++)
		d |= a->w[i] ^ b->w[i];
	return d == 0;
}

#endif /* VIREO_FT_KEY_H */
