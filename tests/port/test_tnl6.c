/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tunnels' packet path over an IPv6 underlay, without PMD threads, devices or routes
 * (port/tnl_pmd.c, tnl_gtpu.c): vxlan and gtpu ports opened with IPv6 addresses, IPv6
 * frames handed to an internal port's transmit as the underlay bridge would hand them, and
 * what comes out checked: popped or left for the kernel, dropped and counted, every prefix
 * of a good frame survived; Neighbor Advertisements snooped into the neighbour table (not
 * Solicitations, nor a multicast MAC); the outer IPv6 header and UDP checksum pushed, the
 * checksum verified by this file's own sum; ECN carried both ways (RFC 6040).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_rcu_qsbr.h>

#include "check.h"
#include "port.h"
#include "tnl.h"
#include "tnl_sink.h"

#define INNER_LEN 60

/*
 * An Ethernet/IPv6/UDP frame from fd00:9::2 to fd00:9::1 into 'f' to UDP port 'dport' with
 * 'plen' bytes of 'payload' after UDP; 'csum': the right UDP checksum, else zero.  Returns
 * its length.
 */
static uint32_t
frame6(uint8_t *f, uint16_t dport, const uint8_t *payload, uint32_t plen, bool csum)
{
	uint8_t *ip6 = f + 14, *udp = ip6 + 40;
	uint32_t ulen = 8 + plen;
	uint16_t c;

	memset(f, 0, 14 + 40 + 8);
	memcpy(f, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x86\xdd", 14);
	ip6[0] = 0x60;
	ip6[4] = (uint8_t)(ulen >> 8), ip6[5] = (uint8_t)ulen;
	ip6[6] = 17;
	ip6[7] = 64;
	inet_pton(AF_INET6, "fd00:9::2", ip6 + 8);
	inet_pton(AF_INET6, "fd00:9::1", ip6 + 24);
	udp[0] = 0x9c, udp[1] = 0x40;
	udp[2] = (uint8_t)(dport >> 8), udp[3] = (uint8_t)dport;
	udp[4] = (uint8_t)(ulen >> 8), udp[5] = (uint8_t)ulen;
	memcpy(udp + 8, payload, plen);
	c = sum6(ip6, udp, ulen);
	if (csum) {
		c = c == 0 ? 0xffff : c;
		udp[6] = (uint8_t)(c >> 8), udp[7] = (uint8_t)c;
	}
	return 14 + 40 + ulen;
}

/* Make inner frame 'p' (INNER_LEN bytes) IPv4 with TOS 'tos', its header checksum right. */
static void
inner_ip4(uint8_t *p, uint8_t tos)
{
	memset(p + 12, 0, 22);
	p[12] = 0x08, p[14] = 0x45, p[15] = tos, p[17] = INNER_LEN - 14, p[22] = 64, p[23] = 17;
	ip4_csum_set(p + 14);
}

/* A VXLAN header for 'vni' and an inner frame of INNER_LEN bytes into 'p'; its length. */
static uint32_t
vxlan_payload(uint8_t *p, uint32_t vni)
{
	memset(p, 0, 8 + INNER_LEN);
	p[0] = 0x08;
	p[4] = (uint8_t)(vni >> 16), p[5] = (uint8_t)(vni >> 8), p[6] = (uint8_t)vni;
	for (unsigned i = 0; i < INNER_LEN; i++)
		p[8 + i] = (uint8_t)(i * 7 + 1);
	return 8 + INNER_LEN;
}

/*
 * Hand 'len' bytes of 'f' to the internal port, with rx offload flags 'ol' as the receiving
 * device would have set them: returns 1 when left for the kernel.
 */
static uint16_t
send_under_ol(const uint8_t *f, uint32_t len, uint64_t ol, uint16_t *dropped)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint16_t keep;

	memcpy(rte_pktmbuf_append(m, (uint16_t)len), f, len);
	m->ol_flags |= ol;
	*dropped = 0;
	keep = tnl_internal_tx(&under, 0, &m, 1, dropped, NULL);
	if (keep == 1)
		rte_pktmbuf_free(m);
	return keep;
}

static uint16_t
send_under(const uint8_t *f, uint32_t len, uint16_t *dropped)
{
	return send_under_ol(f, len, 0, dropped);
}

static uint64_t
stat_of(const struct port *p, bool errors)
{
	const struct tnl_port *t = p->priv;

	return errors ? t->st[0].rx_errors : t->st[0].rx_dropped;
}

static void
test_decap(struct port *vx)
{
	uint8_t f[256], pl[128];
	uint32_t n = frame6(f, 4789, pl, vxlan_payload(pl, 42), true), len;
	uint16_t dropped;
	uint64_t e0;

	CHECK(send_under(f, n, &dropped) == 0 && dropped == 0 && n_got == 1 && got_on[0] == vx,
		"a good IPv6 VXLAN frame is popped to the vxlan port");
	if (n_got == 1) {
		const struct tnl_md *md = RTE_MBUF_DYNFIELD(got[0], tnl_md_offset,
			const struct tnl_md *);

		CHECK(rte_pktmbuf_pkt_len(got[0]) == INNER_LEN &&
			memcmp(rte_pktmbuf_mtod(got[0], uint8_t *), pl + 8, INNER_LEN) == 0,
			"the inner frame whole");
		CHECK((got[0]->ol_flags & tnl_md_flag) && rte_be_to_cpu_64(md->tun_id) == 42 &&
			md->tun_src == 0 && md->tun_dst == 0,
			"tun_id 42; tun_src/tun_dst 0 over IPv6, as Open vSwitch");
	}
	got_free();
	n = frame6(f, 4789, pl, vxlan_payload(pl, 42), false);
	CHECK(send_under(f, n, &dropped) == 0 && n_got == 1, "a zero UDP checksum passes");
	got_free();

	e0 = stat_of(vx, true);
	n = frame6(f, 4789, pl, vxlan_payload(pl, 42), true);
	f[14 + 40 + 7] ^= 0x55;
	CHECK(send_under(f, n, &dropped) == 0 && dropped == 1 && n_got == 0 &&
		stat_of(vx, true) == e0 + 1, "a wrong UDP checksum: dropped, rx_errors");
	CHECK(send_under_ol(f, n, RTE_MBUF_F_RX_L4_CKSUM_GOOD, &dropped) == 0 && n_got == 1,
		"the same, the device having checked it good: believed, popped");
	got_free();
	n = frame6(f, 4789, pl, vxlan_payload(pl, 42), true);
	CHECK(send_under_ol(f, n, RTE_MBUF_F_RX_L4_CKSUM_BAD, &dropped) == 0 && dropped == 1 &&
		stat_of(vx, true) == e0 + 2, "a right checksum the device found bad: dropped");
	e0++;
	n = frame6(f, 4789, pl, vxlan_payload(pl, 42), true);
	f[14 + 5] += 100;
	CHECK(send_under(f, n, &dropped) == 0 && dropped == 1 && stat_of(vx, true) == e0 + 2,
		"a payload length past the frame: dropped, rx_errors");
	n = frame6(f, 4789, pl, vxlan_payload(pl, 42), true);
	f[14 + 6] = 60;					/* destination options */
	CHECK(send_under(f, n, &dropped) == 1 && dropped == 0 && stat_of(vx, true) == e0 + 2,
		"an extension header before UDP: the kernel's, not counted");
	n = frame6(f, 4789, pl, vxlan_payload(pl, 42), true);
	f[14 + 24 + 15] = 9;				/* fd00:9::9: no endpoint */
	CHECK(send_under(f, n, &dropped) == 1, "another local address: the kernel's");
	e0 = stat_of(vx, false);
	n = frame6(f, 4789, pl, vxlan_payload(pl, 99), true);
	CHECK(send_under(f, n, &dropped) == 0 && dropped == 1 && stat_of(vx, false) == e0 + 1,
		"VNI 99: dropped, rx_dropped");

	/* Every prefix of a good frame: left to the kernel or dropped, never popped. */
	n = frame6(f, 4789, pl, vxlan_payload(pl, 42), true);
	for (len = 0; len < n; len++) {
		uint16_t keep = send_under(f, len, &dropped);

		if (!CHECK(n_got == 0 && keep + dropped == 1, "prefix of %u bytes", len))
			break;
	}
	got_free();
}

/*
 * An outer traffic class of CE (RFC 6040, as Linux and Open vSwitch): an ECN-capable inner
 * IPv4 packet is marked CE, its checksum kept right; one that is not is dropped, counted.
 */
static void
test_ecn(struct port *vx)
{
	uint8_t f[256], pl[128], h[20];
	uint32_t plen = vxlan_payload(pl, 42), n;
	uint64_t e0 = stat_of(vx, true);
	const uint8_t *ip;
	uint16_t dropped;

	inner_ip4(pl + 8, 0x02);
	n = frame6(f, 4789, pl, plen, true);
	f[15] = 0x30;					/* traffic class CE */
	send_under(f, n, &dropped);
	ip = n_got == 1 ? rte_pktmbuf_mtod(got[0], uint8_t *) + 14 : NULL;
	if (ip != NULL) {
		memcpy(h, ip, 20);
		ip4_csum_set(h);
	}
	CHECK(ip != NULL && ip[1] == 0x03 && memcmp(h, ip, 20) == 0,
		"outer CE, inner IPv4 ECT(0): the inner header CE, its checksum right");
	got_free();
	inner_ip4(pl + 8, 0x00);
	n = frame6(f, 4789, pl, plen, true);
	f[15] = 0x30;
	CHECK(send_under(f, n, &dropped) == 0 && dropped == 1 && n_got == 0 &&
		stat_of(vx, true) == e0 + 1,
		"outer CE, inner IPv4 not ECN-capable: dropped, rx_errors");
	got_free();
}

static void
test_gtpu(struct port *gtp)
{
	uint8_t f[256], pl[128];
	uint32_t n;
	uint16_t dropped;

	/* A G-PDU with TEID 100 carrying an IPv4 packet of 28 bytes. */
	memset(pl, 0, sizeof(pl));
	memcpy(pl, "\x30\xff\x00\x1c\x00\x00\x00\x64", 8);
	pl[8] = 0x45;
	pl[8 + 3] = 28;
	n = frame6(f, 2152, pl, 8 + 28, true);
	CHECK(send_under(f, n, &dropped) == 0 && n_got == 1 && got_on[0] == gtp,
		"an IPv6 G-PDU is popped to the gtpu port");
	if (n_got == 1) {
		const uint8_t *d = rte_pktmbuf_mtod(got[0], const uint8_t *);

		CHECK(rte_pktmbuf_pkt_len(got[0]) == 14 + 28 && d[12] == 0x08 && d[13] == 0 &&
			d[14] == 0x45, "its IPv4 payload behind a zero Ethernet header");
	}
	got_free();
	n = frame6(f, 2152, pl, 8 + 28, true);
	f[14 + 40 + 6] ^= 1;
	CHECK(send_under(f, n, &dropped) == 0 && dropped == 1 && stat_of(gtp, true) == 1,
		"a wrong UDP checksum on a G-PDU: dropped, rx_errors");
}

/*
 * A Neighbor Advertisement ('type' 136) from and for 'who' with target link-layer address
 * 'mac', or a Neighbor Solicitation (135) from 'who' for fd00:9::1 with source link-layer
 * address 'mac', with hop limit 'hlim': whether 'who' is learnt with 'mac' on tp0.
 */
static bool
nd_learnt(uint8_t type, uint8_t hlim, const char *who, const uint8_t mac[6])
{
	uint8_t f[14 + 40 + 32] = { 0 }, *ip6 = f + 14, *icmp = ip6 + 40;
	struct in6_addr want;
	const struct tnl_neigh *nb;
	uint16_t dropped;
	unsigned n;

	memcpy(f, "\x02\0\0\0\0\x01\x02\0\0\0\0\x22\x86\xdd", 14);
	ip6[0] = 0x60, ip6[5] = 32, ip6[6] = 58, ip6[7] = hlim;
	inet_pton(AF_INET6, who, ip6 + 8);
	inet_pton(AF_INET6, "fd00:9::1", ip6 + 24);
	icmp[0] = type;
	if (type == 136) {
		icmp[4] = 0x60;				/* solicited, override */
		inet_pton(AF_INET6, who, icmp + 8);
	} else {
		inet_pton(AF_INET6, "fd00:9::1", icmp + 8);
	}
	icmp[24] = type == 136 ? 2 : 1, icmp[25] = 1;	/* target / source link-layer */
	memcpy(icmp + 26, mac, 6);
	CHECK(send_under(f, sizeof(f), &dropped) == 1, "ND goes on to the kernel");
	inet_pton(AF_INET6, who, &want);
	nb = tnl_neigh_table(&n);
	for (unsigned i = 0; i < n; i++)
		if (IN6_ARE_ADDR_EQUAL(&nb[i].ip, &want) && memcmp(nb[i].mac, mac, 6) == 0 &&
				strcmp(nb[i].dev, "tp0") == 0)
			return true;
	return false;
}

/* What Neighbor Discovery fills the neighbour table with: Advertisements, as Open
 * vSwitch's tnl_nd_snoop(). */
static void
test_nd(void)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 0x22 };
	static const uint8_t mcast[6] = { 0x33, 0x33, 0, 0, 0, 1 };

	CHECK(!nd_learnt(136, 64, "fd00:9::2", mac), "an NA with hop limit 64 is not learnt");
	CHECK(nd_learnt(136, 255, "fd00:9::2", mac),
		"an NA with hop limit 255 is learnt: fd00:9::2 on tp0");
	CHECK(!nd_learnt(135, 255, "fd00:9::5", mac),
		"an NS is not learnt from (it says who asks, as an ARP request)");
	CHECK(!nd_learnt(136, 255, "fd00:9::6", mcast),
		"an NA with a multicast target link-layer address is not learnt");
}

static void
test_encap(struct port *vx)
{
	struct tnl_port *t = vx->priv;
	struct tnl_encap *e = calloc(1, sizeof(*e));
	uint8_t *h = e->hdr, *ip6 = h + 14;
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t *in = (uint8_t *)rte_pktmbuf_append(m, INNER_LEN);

	/* What tnl.c's build_hdr writes, by hand: the test sets no route. */
	e->underlay = &under;
	e->hlen = TNL_VXLAN6_HLEN;
	memcpy(h, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x86\xdd", 14);
	ip6[0] = 0x60, ip6[6] = 17, ip6[7] = 64;
	inet_pton(AF_INET6, "fd00:9::1", ip6 + 8);
	inet_pton(AF_INET6, "fd00:9::2", ip6 + 24);
	ip6[40 + 2] = 0x12, ip6[40 + 3] = 0xb5;
	ip6[48] = 0x08, ip6[48 + 6] = 42;
	__atomic_store_n(&t->encap, e, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < INNER_LEN; i++)
		in[i] = (uint8_t)(i * 3 + 1);
	CHECK(tnl_encap_tx(t, 0, &m, 1, NULL) == 0 && n_got == 1 && got_on[0] == &under,
		"encapsulated into the underlay's internal port");
	if (n_got == 1) {
		const uint8_t *d = rte_pktmbuf_mtod(got[0], const uint8_t *);
		const uint8_t *o6 = d + 14, *udp = o6 + 40;
		uint32_t plen = (uint32_t)o6[4] << 8 | o6[5];

		CHECK(rte_pktmbuf_pkt_len(got[0]) == TNL_VXLAN6_HLEN + INNER_LEN &&
			plen == 8 + 8 + INNER_LEN && ((uint32_t)udp[4] << 8 | udp[5]) == plen,
			"IPv6 payload length and UDP length");
		CHECK((udp[6] | udp[7]) != 0 && sum6(o6, udp, plen) == 0,
			"a non-zero UDP checksum that verifies");
		CHECK(o6[0] == 0x60 && o6[1] == 0 && o6[2] == 0 && o6[3] == 0 && o6[7] == 64,
			"traffic class 0, flow label 0, hop limit 64");
	}
	got_free();
	m = rte_pktmbuf_alloc(mp);
	in = (uint8_t *)rte_pktmbuf_append(m, INNER_LEN);
	inner_ip4(in, 0x03);
	CHECK(tnl_encap_tx(t, 0, &m, 1, NULL) == 0 && n_got == 1 &&
		rte_pktmbuf_mtod(got[0], uint8_t *)[14 + 1] == 0x20,
		"an inner IPv4 packet marked CE: outer traffic class ECT(0) (RFC 6040)");
	got_free();
}

int
main(int argc, char **argv)
{
	static const struct port_option vx_o[] = {
		{ "remote_ip", "fd00:9::2" }, { "local_ip", "fd00:9::1" }, { "key", "42" },
	};
	static const struct port_option gtp_o[] = {
		{ "remote_ip", "fd00:9::2" }, { "local_ip", "fd00:9::1" }, { "key", "100" },
	};
	static const struct port_option mixed_o[] = {
		{ "remote_ip", "fd00:9::3" }, { "local_ip", "172.31.9.1" },
	};
	static const struct port_option flow_o[] = {
		{ "remote_ip", "flow" }, { "local_ip", "fd00:9::1" },
	};
	struct port_env env = { .n_pmds = 1, .log = logf_quiet, .deliver = deliver };
	struct port vx, gtp, bad;
	char *err;

	(void)argc;
	if (tnl_test_start(argv[0], "tnl6", &env) < 0)
		return 1;

	CHECK(open_port(&vx, "vx6", "vxlan", 1, vx_o, RTE_DIM(vx_o), &env, &err) == 0,
		"a vxlan port with IPv6 addresses opens: %s", err ? err : "");
	CHECK(vx.mtu == 1430, "its MTU is 1430, not 1450 (mtu %d)", vx.mtu);
	CHECK(open_port(&gtp, "gtp6", "gtpu", 2, gtp_o, RTE_DIM(gtp_o), &env, &err) == 0,
		"a gtpu port with IPv6 addresses opens: %s", err ? err : "");
	CHECK(open_port(&bad, "vx7", "vxlan", 3, mixed_o, RTE_DIM(mixed_o), &env, &err) < 0 &&
		err != NULL && strstr(err, "not of the same address family") != NULL,
		"IPv6 remote_ip with an IPv4 local_ip refused: %s", err ? err : "");
	free(err);
	err = NULL;
	CHECK(open_port(&bad, "vx7", "vxlan", 3, flow_o, 2, &env, &err) == 0,
		"remote_ip=flow with an IPv6 local_ip (tun_ipv6_dst) opens: %s", err ? err : "");
	free(err);
	if (bad.priv != NULL)
		port_close(&bad);
	if (tnl_md_offset >= 0 && vx.priv != NULL && gtp.priv != NULL) {
		test_decap(&vx);
		test_ecn(&vx);
		test_gtpu(&gtp);
		test_nd();
		test_encap(&vx);
		port_close(&gtp);
		port_close(&vx);
	}
	tnl_internal_del(&under);
	free(env.qsbr);
	return check_report("test_tnl6");
}
