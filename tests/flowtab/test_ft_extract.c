/* SPDX-License-Identifier: BSD-3-Clause */
/* Packet parsing into keys: every protocol the rules can match, odd frames, both parsers. */

#include <arpa/inet.h>
#include <string.h>

#include "ft_extract.h"
#include "ft_test_util.h"

static struct rte_mempool *mp;

static const struct ft_test_pkt base = {
	.dst = { 0x02, 0, 0, 0, 0, 2 }, .src = { 0x02, 0, 0, 0, 0, 1 }, .vlan = -1,
	.dl_type = 0x0800, .proto = 6, .nw_src = 0x0a000001, .nw_dst = 0xc0a80102, .tos = 0xb9,
	.ttl = 17, .sport = 1234, .dport = 80, .tcp_flags = 0x1d2,
};

static void
extract(const struct ft_test_pkt *p, struct ft_key *k, struct ft_layers *ly)
{
	struct rte_mbuf *m = ft_test_build(mp, p);
	struct ft_key k2;
	struct ft_layers ly2;

	ft_key_extract(m, 7, k, ly);
	/* The L2-only parser agrees on the L2 words and zeroes the rest. */
	ft_key_extract_l2(m, 7, &k2, &ly2);
	CHECK(k2.w[0] == k->w[0], "l2 parser: word 0 %016lx vs %016lx", (unsigned long)k2.w[0],
			(unsigned long)k->w[0]);
	CHECK((k2.w[1] ^ k->w[1]) << 16 == 0 && (k2.w[2] ^ k->w[2]) << 16 == 0, "l2 parser: MACs");
	CHECK(!k2.w[3] && !k2.w[4] && !k2.w[5] && !k2.w[6] && !k2.w[7], "l2 parser: no L3");
	rte_pktmbuf_free(m);
}

static void
test_ipv4(void)
{
	struct ft_test_pkt p = base;
	struct ft_layers ly;
	struct ft_key k;

	extract(&p, &k, &ly);
	CHECK(ntohl(k.in_port) == 7 && ntohs(k.dl_type) == 0x0800 && k.vlan_tci == 0, "l2 of tcp");
	CHECK(k.dl_dst[5] == 2 && k.dl_src[5] == 1, "macs");
	CHECK(ntohl(k.nw_src) == 0x0a000001 && ntohl(k.nw_dst) == 0xc0a80102, "addresses");
	CHECK(k.nw_proto == 6 && k.nw_tos == 0xb9 && k.nw_ttl == 17 && !k.nw_frag, "ip fields");
	CHECK(ntohs(k.tp_src) == 1234 && ntohs(k.tp_dst) == 80, "ports");
	CHECK(ntohs(k.tcp_flags) == 0x1d2, "tcp flags %03x", ntohs(k.tcp_flags));
	CHECK(ly.l3 == 14 && ly.l4 == 34, "layers %u %u", ly.l3, ly.l4);
	CHECK(!k.w[5] && !k.w[6] && !k.w[7] && !k.table_id, "unused words zero");

	p.proto = 17;
	extract(&p, &k, &ly);
	CHECK(k.nw_proto == 17 && ntohs(k.tp_dst) == 80 && !k.tcp_flags, "udp");
	p.proto = 1;
	p.sport = 3;
	p.dport = 4;
	extract(&p, &k, &ly);
	CHECK(ntohs(k.tp_src) == 3 && ntohs(k.tp_dst) == 4, "icmp type/code in tp_src/tp_dst");
	p.proto = 47;
	extract(&p, &k, &ly);
	CHECK(k.nw_proto == 47 && !k.tp_src && !k.tp_dst, "gre: no ports");

	p = base;
	p.vlan = 0x6123;
	extract(&p, &k, &ly);
	CHECK(ntohs(k.vlan_tci) == (0x6123 | FT_VLAN_CFI) && ntohs(k.dl_type) == 0x0800,
			"vlan tci %04x", ntohs(k.vlan_tci));
	CHECK(ly.l3 == 18 && ly.l4 == 38 && ntohs(k.tp_dst) == 80, "vlan layers");
}

static void
test_fragments(void)
{
	struct rte_mbuf *m = ft_test_build(mp, &base);
	uint8_t *ip = rte_pktmbuf_mtod(m, uint8_t *) + 14;
	struct ft_layers ly;
	struct ft_key k;

	ip[6] = 0x20;   /* MF, offset 0: first fragment */
	ft_key_extract(m, 1, &k, &ly);
	CHECK(k.nw_frag == FT_FRAG_ANY && ntohs(k.tp_dst) == 80, "first fragment keeps ports");
	ip[6] = 0x00;
	ip[7] = 0x10;   /* offset 16 * 8: a later fragment */
	ft_key_extract(m, 1, &k, &ly);
	CHECK(k.nw_frag == (FT_FRAG_ANY | FT_FRAG_LATER) && !k.tp_src && !k.tp_dst,
			"later fragment: no ports");
	ip[0] = 0x43;   /* IHL 3: invalid */
	ft_key_extract(m, 1, &k, &ly);
	CHECK(!k.nw_src && !k.nw_proto && ntohs(k.dl_type) == 0x0800 && !ly.l3 && !ly.l4,
			"bad IHL: L2 only, no L3 offset for rewrites");
	rte_pktmbuf_free(m);
}

static void
test_ipv6_arp_other(void)
{
	struct ft_test_pkt p = base;
	struct ft_layers ly;
	struct ft_key k;
	struct rte_mbuf *m;
	uint8_t *d;

	p.dl_type = 0x86dd;
	p.ip6_src[0] = 0x20;
	p.ip6_src[15] = 1;
	p.ip6_dst[0] = 0xfe;
	p.ip6_dst[15] = 2;
	p.tos = 0xa4;
	extract(&p, &k, &ly);
	CHECK(k.ipv6_src[0] == 0x20 && k.ipv6_src[15] == 1 && k.ipv6_dst[0] == 0xfe &&
	      k.ipv6_dst[15] == 2, "ipv6 addresses");
	CHECK(k.nw_proto == 6 && k.nw_ttl == 17 && k.nw_tos == 0xa4 && ntohs(k.tp_dst) == 80 &&
	      ly.l4 == 54, "ipv6 fields: tc %02x", k.nw_tos);
	p.proto = 58;
	p.sport = 135;
	p.dport = 0;
	extract(&p, &k, &ly);
	CHECK(k.nw_proto == 58 && ntohs(k.tp_src) == 135, "icmpv6 type");
	/* A hop-by-hop header before TCP. */
	p = base;
	p.dl_type = 0x86dd;
	p.proto = 0;
	p.payload = 40;
	m = ft_test_build(mp, &p);
	d = rte_pktmbuf_mtod(m, uint8_t *);
	d[54] = 6;      /* hop-by-hop: next header TCP, length 0 (8 bytes) */
	d[55] = 0;
	d[62] = 0x04;   /* TCP source port 0x04d2 at offset 62 */
	d[63] = 0xd2;
	ft_key_extract(m, 1, &k, &ly);
	CHECK(k.nw_proto == 6 && ly.l4 == 62 && ntohs(k.tp_src) == 1234, "ipv6 extension header");
	rte_pktmbuf_free(m);

	p = base;
	p.dl_type = 0x0806;
	p.arp_op = 2;
	extract(&p, &k, &ly);
	CHECK(k.nw_proto == 2 && ntohl(k.nw_src) == 0x0a000001 && ntohl(k.nw_dst) == 0xc0a80102 &&
	      !k.tp_src, "arp op/spa/tpa");
	p.dl_type = 0x88cc;
	extract(&p, &k, &ly);
	CHECK(ntohs(k.dl_type) == 0x88cc && !k.w[3] && !k.w[4] && !ly.l3, "lldp: L2 only");
	p.dl_type = 0x0040;   /* an 802.3 length */
	extract(&p, &k, &ly);
	CHECK(ntohs(k.dl_type) == FT_DL_TYPE_NONE, "802.3 frame: dl_type 0x05ff");
	/* A runt. */
	m = ft_test_build(mp, &base);
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - 10));
	ft_key_extract(m, 3, &k, &ly);
	CHECK(ntohl(k.in_port) == 3 && ntohs(k.dl_type) == FT_DL_TYPE_NONE && !k.w[1] && !k.w[2],
			"runt");
	/* A truncated TCP header. */
	rte_pktmbuf_free(m);
	m = ft_test_build(mp, &base);
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - 40));
	ft_key_extract(m, 3, &k, &ly);
	CHECK(k.nw_proto == 6 && k.nw_src && !k.tp_src, "truncated tcp: no ports");
	rte_pktmbuf_free(m);
}

/* Tunnel metadata: words 8 to 10 from the mbuf field when its flag is set, else zero. */
static void
test_tunnel(void)
{
	struct rte_mbuf *m = ft_test_build(mp, &base);
	struct flowtab_tnl_md *md;
	struct ft_layers ly;
	struct ft_key k, k2;

	ft_key_extract(m, 1, &k, &ly);
	CHECK(!k.w[8] && !k.w[9], "no tunnel metadata registered: zero");
	CHECK(flowtab_tnl_md_register() == 0 && flowtab_tnl_md_offset >= 0 &&
			flowtab_tnl_md_flag != 0, "the field and flag register");
	md = RTE_MBUF_DYNFIELD(m, flowtab_tnl_md_offset, struct flowtab_tnl_md *);
	md->tun_id = rte_cpu_to_be_64(42);
	md->tun_src = htonl(0xac1f0902);
	md->tun_dst = htonl(0xac1f0901);
	md->gtpu_flags = 0;
	md->gtpu_msgtype = 0;
	md->tun_metadata[0] = htonl(0xabcd);
	md->tun_metadata[1] = htonl(7);
	ft_key_extract(m, 1, &k, &ly);
	CHECK(!k.w[8] && !k.w[9] && !k.w[10] && !k.w[11],
			"field written but flag clear: zero (a recycled mbuf)");
	m->ol_flags |= flowtab_tnl_md_flag;
	ft_key_extract(m, 1, &k, &ly);
	ft_key_extract_l2(m, 1, &k2, &ly);
	CHECK(rte_be_to_cpu_64(k.tun_id) == 42 && ntohl(k.tun_src) == 0xac1f0902 &&
			ntohl(k.tun_dst) == 0xac1f0901, "tun_id, tun_src, tun_dst from the field");
	CHECK(ntohl(k.tun_metadata[0]) == 0xabcd && ntohl(k.tun_metadata[1]) == 7,
			"tun_metadata0..1 from the field");
	CHECK(k2.w[8] == k.w[8] && k2.w[9] == k.w[9] && k2.w[11] == k.w[11],
			"the L2 parser reads them too");
	CHECK(k.tun_gtpu_flags == 0 && k.tun_gtpu_msgtype == 0, "no GTP-U fields: zero");
	md->gtpu_flags = 0x34;
	md->gtpu_msgtype = 255;
	ft_key_extract(m, 1, &k, &ly);
	ft_key_extract_l2(m, 1, &k2, &ly);
	CHECK(k.tun_gtpu_flags == 0x34 && k.tun_gtpu_msgtype == 255 && k2.w[10] == k.w[10],
			"tun_gtpu_flags, tun_gtpu_msgtype from the field (both parsers)");
	CHECK(ntohl(k.nw_src) == 0x0a000001 && ntohs(k.tp_dst) == 80, "inner fields as before");
	CHECK(k.tun_flags == 0, "no OAM flag: tun_flags 0");
	md->flags |= FLOWTAB_TNL_MD_F_OAM;
	ft_key_extract(m, 1, &k, &ly);
	ft_key_extract_l2(m, 1, &k2, &ly);
	CHECK(ntohs(k.tun_flags) == 1 && k.tun_gtpu_flags == 0x34 && k2.w[10] == k.w[10],
			"the OAM flag: tun_flags 1, beside the GTP-U fields (both parsers)");
	md->flags &= (uint8_t)~FLOWTAB_TNL_MD_F_OAM;
	CHECK(!k.w[12] && !k.w[13] && !k.w[14] && !k.w[15], "no IPv6 endpoints: zero");
	md->flags |= FLOWTAB_TNL_MD_F_IPV6;
	ft_key_extract(m, 1, &k, &ly);
	CHECK(!k.w[12] && !k.w[13] && !k.w[14] && !k.w[15],
			"IPv6 flag on a packet whose pool has no private area: zero");
	rte_pktmbuf_free(m);
}

/* Words 12 to 15: the IPv6 endpoints from the private area, and copies that keep them. */
static void
test_tunnel_ipv6(void)
{
	static const uint8_t src[16] = { 0xfd, 0, 0, 9, [15] = 2 }, dst[16] = { 0xfd, 0, 0, 9,
		[15] = 1 };
	struct rte_mempool *mp6 = rte_pktmbuf_pool_create("ft_test6", 64, 0,
		sizeof(struct flowtab_tnl_md6), RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	struct rte_mbuf *m, *c, *c0;
	struct flowtab_tnl_md *md;
	struct flowtab_tnl_md6 *m6;
	struct ft_layers ly;
	struct ft_key k, k2;

	CHECK(mp6 != NULL, "a pool with a private area");
	if (mp6 == NULL)
		return;
	m = ft_test_build(mp6, &base);
	m6 = flowtab_tnl_md6_of(m);
	c0 = ft_test_build(mp, &base);
	CHECK(m6 != NULL && flowtab_tnl_md6_of(c0) == NULL,
			"the private area holds the endpoints; the default pool's does not");
	rte_pktmbuf_free(c0);
	memcpy(m6->src, src, 16);
	memcpy(m6->dst, dst, 16);
	md = RTE_MBUF_DYNFIELD(m, flowtab_tnl_md_offset, struct flowtab_tnl_md *);
	memset(md, 0, sizeof(*md));
	md->tun_id = rte_cpu_to_be_64(7);
	m->ol_flags |= flowtab_tnl_md_flag;
	ft_key_extract(m, 1, &k, &ly);
	CHECK(!k.w[12] && !k.w[15], "private area written but IPv6 flag clear: zero");
	md->flags = FLOWTAB_TNL_MD_F_IPV6;
	ft_key_extract(m, 1, &k, &ly);
	ft_key_extract_l2(m, 1, &k2, &ly);
	CHECK(!memcmp(k.tun_ipv6_src, src, 16) && !memcmp(k.tun_ipv6_dst, dst, 16) &&
			rte_be_to_cpu_64(k.tun_id) == 7 && !k.tun_src && !k.tun_dst,
			"tun_ipv6_src/dst from the private area, tun_src/dst zero");
	CHECK(!memcmp(&k2.w[12], &k.w[12], 32), "the L2 parser reads them too");
	c = rte_pktmbuf_copy(m, mp6, 0, UINT32_MAX);
	c0 = rte_pktmbuf_copy(m, mp, 0, UINT32_MAX);
	CHECK(c != NULL && c0 != NULL, "copies");
	if (c != NULL && c0 != NULL) {
		memset(flowtab_tnl_md6_of(c), 0, 32);
		flowtab_tnl_md_copy(c, m);
		flowtab_tnl_md_copy(c0, m);
		ft_key_extract(c, 1, &k2, &ly);
		CHECK(!memcmp(&k2.w[12], &k.w[12], 32), "flowtab_tnl_md_copy: the copy keeps them");
		ft_key_extract(c0, 1, &k2, &ly);
		CHECK(!k2.w[12] && !k2.w[15] && k2.w[8] == k.w[8] &&
				!(RTE_MBUF_DYNFIELD(c0, flowtab_tnl_md_offset,
				struct flowtab_tnl_md *)->flags & FLOWTAB_TNL_MD_F_IPV6),
				"a copy into a pool without room: the IPv6 flag dropped, the rest kept");
	}
	rte_pktmbuf_free(c);
	rte_pktmbuf_free(c0);
	rte_pktmbuf_free(m);
	rte_mempool_free(mp6);
}

int
main(int argc, char **argv)
{
	(void)argc;
	mp = ft_test_eal_init(argv[0], 1024);
	test_ipv4();
	test_fragments();
	test_ipv6_arp_other();
	test_tunnel();
	test_tunnel_ipv6();
	return check_report("test_ft_extract");
}
