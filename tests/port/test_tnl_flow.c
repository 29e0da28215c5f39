/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow-based tunnel endpoints (remote_ip=flow, local_ip=flow; port/tnl.h) without PMD
 * threads or devices, in a network namespace of its own where a veth device "tp0"
 * (172.31.14.1/24) stands for the underlay's internal port, so that the kernel's real
 * routes are looked up.  Checked: which port a received packet goes to when several share
 * UDP port 4789 (Open vSwitch's precedence: a fixed key, then a fixed remote, first); the
 * tunnel metadata of what is popped; a packet with no tun_dst dropped and counted; an
 * unknown tun_dst counted, asked for and resolved by the next tnl_run(); the outer headers
 * pushed per destination (address, VNI, a tun_src for local_ip=flow, a good IPv4 header
 * checksum); the same over IPv6 ("tp0" also holds fd00:14::1/64: tun_ipv6_dst/src, a port
 * of either family sending each packet by its own); the options still refused.  An
 * endpoint without a fixed local_ip takes packets to any of tp0's addresses (it also holds
 * 172.31.14.7 and fd00:14::7, deprecated so that the kernel never picks it as a source)
 * at tp0's MAC, and no others.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "check.h"
#include "port.h"
#include "tnl.h"
#include "tnl_sink.h"

#define INNER_LEN 60

static uint32_t
ip4(const char *s)
{
	uint32_t a = 0;

	inet_pton(AF_INET, s, &a);
	return a;
}

/* Whether the IPv4 header at 'ip' (20 bytes) has a right checksum. */
static bool
ip_csum_ok(const uint8_t *ip)
{
	uint32_t s = 0;

	for (unsigned i = 0; i < 20; i += 2)
		s += (uint32_t)ip[i] << 8 | ip[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

/* The destination MAC of the frames decap() makes: tp0's unless a test says otherwise. */
static const char *decap_mac = "\x02\0\0\0\0\x01";

/*
 * Hand the internal port a VXLAN frame from 'src' to 'dst' (UDP 4789, no UDP checksum) with
 * VNI 'vni', to MAC 'decap_mac': the tunnel port it was delivered on, NULL if none
 * ('*kept': left for the kernel).  Its tunnel metadata into '*md'.
 */
static struct port *
decap(const char *src, const char *dst, uint32_t vni, struct tnl_md *md, bool *kept)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t f[14 + 20 + 8 + 8 + INNER_LEN];
	uint8_t *ip = f + 14, *udp = ip + 20, *vx = udp + 8;
	uint32_t s = ip4(src), d = ip4(dst);
	uint16_t dropped = 0, len = 20 + 8 + 8 + INNER_LEN;
	struct port *on = NULL;

	memset(f, 0, 14 + len);
	memcpy(f, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00", 14);
	memcpy(f, decap_mac, 6);
	ip[0] = 0x45, ip[2] = (uint8_t)(len >> 8), ip[3] = (uint8_t)len, ip[8] = 64, ip[9] = 17;
	memcpy(ip + 12, &s, 4);
	memcpy(ip + 16, &d, 4);
	udp[0] = 0x9c, udp[1] = 0x40, udp[2] = 0x12, udp[3] = 0xb5;
	udp[4] = (uint8_t)((len - 20) >> 8), udp[5] = (uint8_t)(len - 20);
	vx[0] = 0x08;
	vx[4] = (uint8_t)(vni >> 16), vx[5] = (uint8_t)(vni >> 8), vx[6] = (uint8_t)vni;
	memcpy(vx + 8, "\x02\0\0\0\0\x0a\x02\0\0\0\0\x0b\x08\x00", 14);
	ip4_csum_set(ip);
	memcpy(rte_pktmbuf_append(m, sizeof(f)), f, sizeof(f));
	*kept = tnl_internal_tx(&under, 0, &m, 1, &dropped, NULL) == 1;
	if (*kept)
		rte_pktmbuf_free(m);
	if (n_got == 1) {
		on = got_on[0];
		*md = *RTE_MBUF_DYNFIELD(got[0], tnl_md_offset, struct tnl_md *);
	}
	got_free();
	return on;
}

/* A packet for tunnel port 't' with tun_id 'id', tun_dst 'dst', tun_src 'src' (NULL: none
 * set; 'dst' NULL too: no metadata at all). */
static struct rte_mbuf *
pkt(uint64_t id, const char *dst, const char *src)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t *in = (uint8_t *)rte_pktmbuf_append(m, INNER_LEN);

	for (unsigned i = 0; i < INNER_LEN; i++)
		in[i] = (uint8_t)(i * 3 + 1);
	if (dst != NULL) {
		struct tnl_md *md = RTE_MBUF_DYNFIELD(m, tnl_md_offset, struct tnl_md *);

		memset(md, 0, sizeof(*md));
		md->tun_id = rte_cpu_to_be_64(id);
		md->tun_dst = ip4(dst);
		md->tun_src = src != NULL ? ip4(src) : 0;
		m->ol_flags |= tnl_md_flag;
	}
	return m;
}

/* 'm' with its frame moved 'by' bytes further into the buffer: a frame at an address that
 * is not 8-byte aligned, as some drivers deliver them. */
static struct rte_mbuf *
shifted(struct rte_mbuf *m, uint16_t by)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);

	memmove(d + by, d, rte_pktmbuf_data_len(m));
	m->data_off = (uint16_t)(m->data_off + by);
	return m;
}

/* Whether got[i] left from 'src' to 'dst' with VNI 'vni' on the underlay's port. */
static bool
outer_is(unsigned i, const char *src, const char *dst, uint32_t vni)
{
	const uint8_t *d = rte_pktmbuf_mtod(got[i], const uint8_t *), *ip = d + 14;
	uint32_t s, t;

	memcpy(&s, ip + 12, 4);
	memcpy(&t, ip + 16, 4);
	return got_on[i] == &under && rte_pktmbuf_pkt_len(got[i]) == TNL_VXLAN_HLEN + INNER_LEN &&
		d[12] == 0x08 && d[13] == 0 && s == ip4(src) && t == ip4(dst) && ip_csum_ok(ip) &&
		(((uint32_t)ip[2] << 8) | ip[3]) == TNL_VXLAN_HLEN - 14 + INNER_LEN &&
		ip[20 + 2] == 0x12 && ip[20 + 3] == 0xb5 && ip[28] == 0x08 &&
		(((uint32_t)ip[32] << 16) | ((uint32_t)ip[33] << 8) | ip[34]) == vni &&
		memcmp(d, "\x02\0\0\0\0\x02", 6) == 0;
}

static void
test_refused(const struct port_env *env)
{
	static const struct port_option again_o[] = { { "remote_ip", "flow" }, { "key", "flow" } };
	struct port bad;
	char *err;

	CHECK(open_port(&bad, "vx8", "vxlan", 8, again_o, 2, env, &err) < 0 && err != NULL &&
		strstr(err, "vxf") != NULL, "a second remote_ip=flow key=flow port on 4789 is "
		"refused, naming the first: %s", err ? err : "");
	free(err);
}

static void
test_decap(struct port *vxf, struct port *vx3, struct port *vx9)
{
	struct tnl_md md;
	bool kept;

	CHECK(decap("172.31.14.2", "172.31.14.1", 100, &md, &kept) == vxf &&
		md.tun_src == ip4("172.31.14.2") && md.tun_dst == ip4("172.31.14.1") &&
		md.tun_id == rte_cpu_to_be_64(100),
		"from any remote, any VNI: the remote_ip=flow key=flow port, tun_src and "
		"tun_id set");
	CHECK(decap("172.31.14.3", "172.31.14.1", 100, &md, &kept) == vx3,
		"from 172.31.14.3: its fixed-remote key=flow port before the remote_ip=flow one");
	CHECK(decap("172.31.14.3", "172.31.14.1", 9, &md, &kept) == vx9,
		"VNI 9 from 172.31.14.3: the port with key=9 before either key=flow port");
	CHECK(decap("172.31.14.2", "172.31.14.1", 9, &md, &kept) == vxf,
		"VNI 9 from another remote: not the key=9 port (remote 172.31.14.3)");
	CHECK(decap("172.31.14.2", "172.31.14.7", 5, &md, &kept) == vxf &&
		md.tun_dst == ip4("172.31.14.7"),
		"to tp0's second address: the remote_ip=flow port (no local_ip: any of tp0's)");
	CHECK(decap("172.31.14.2", "172.31.14.9", 5, &md, &kept) == NULL && kept,
		"to an address that is not tp0's: left for the kernel");
	decap_mac = "\x02\0\0\0\0\x44";
	CHECK(decap("172.31.14.2", "172.31.14.1", 5, &md, &kept) == NULL && kept,
		"to tp0's address at another MAC: left for the kernel");
	decap_mac = "\xff\xff\xff\xff\xff\xff";
	CHECK(decap("172.31.14.2", "172.31.14.1", 5, &md, &kept) == NULL && kept,
		"to tp0's address at the broadcast MAC: left for the kernel (as Open vSwitch)");
	decap_mac = "\x02\0\0\0\0\x01";
	CHECK(decap("172.31.14.3", "172.31.14.7", 9, &md, &kept) == vx9,
		"a fixed remote without local_ip: to tp0's second address too");
}

static void
test_encap(struct port *vxf, struct port *vxl)
{
	static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	struct tnl_port *t = vxf->priv, *tl = vxl->priv;
	struct rte_mbuf *m[3];
	struct in6_addr a;
	struct tnl_want w;

	m[0] = pkt(0, NULL, NULL);
	CHECK(tnl_encap_tx(t, 0, m, 1, NULL) == 1 && n_got == 0 && t->st[0].tx_no_dst == 1,
		"no tun_dst: dropped, counted as tx_no_dst");
	m[0] = pkt(100, "172.31.14.2", NULL);
	CHECK(tnl_encap_tx(t, 0, m, 1, NULL) == 1 && n_got == 0 && t->st[0].tx_no_route == 1,
		"tun_dst not resolved yet: dropped, counted as tx_no_route");
	tnl_in6_mapped(&a, ip4("172.31.14.2"));
	CHECK(rte_ring_count(tnl_want_ring) == 1 &&
		rte_ring_sc_dequeue_elem(tnl_want_ring, &w, sizeof(w)) == 0 &&
		IN6_ARE_ADDR_EQUAL(&w.ip, &a) && w.slot == vxf->slot,
		"... and asked for on the ring");
	rte_ring_mp_enqueue_elem(tnl_want_ring, &w, sizeof(w));
	tnl_in6_mapped(&w.ip, ip4("172.31.14.3"));
	rte_ring_mp_enqueue_elem(tnl_want_ring, &w, sizeof(w));
	tnl_in6_mapped(&a, ip4("172.31.14.2"));
	tnl_neigh_set("tp0", &a, peer_mac);
	tnl_in6_mapped(&a, ip4("172.31.14.3"));
	tnl_neigh_set("tp0", &a, peer_mac);
	tnl_run();
	CHECK(t->dests != NULL && t->n_fdest == 2 && t->fdest[0].ok && t->fdest[1].ok,
		"tnl_run() resolved both by the kernel's route through tp0: %s", t->why);
	m[0] = pkt(100, "172.31.14.2", NULL);
	m[1] = shifted(pkt(200, "172.31.14.3", NULL), 6);
	m[2] = pkt(300, "172.31.14.2", "172.31.14.99");
	CHECK(tnl_encap_tx(t, 0, m, 3, NULL) == 0 && n_got == 3,
		"three sent (the second's frame not 8-byte aligned: UBSan checks the source "
		"port's hash)");
	CHECK(n_got == 3 && outer_is(0, "172.31.14.1", "172.31.14.2", 100) &&
		outer_is(1, "172.31.14.1", "172.31.14.3", 200) &&
		outer_is(2, "172.31.14.1", "172.31.14.2", 300),
		"each to its tun_dst with its VNI, from the route's source (tun_src is not "
		"used without local_ip=flow), IPv4 checksum right");
	got_free();

	/* Through port_tx_burst(): tx_bytes are the bytes of the packets sent, though the one
	 * dropped (no tun_dst, and longer) came first, not last. */
	{
		const struct port_pmd_stats s0 = vxf->pmd_stats[0];
		uint64_t sent;

		m[0] = pkt(0, NULL, NULL);
		rte_pktmbuf_append(m[0], 100);
		m[1] = pkt(100, "172.31.14.2", NULL);
		m[2] = shifted(pkt(300, "172.31.14.3", NULL), 6);
		rte_pktmbuf_trim(m[2], 10);
		sent = rte_pktmbuf_pkt_len(m[1]) + rte_pktmbuf_pkt_len(m[2]);
		CHECK(port_tx_burst(vxf, 0, m, 3) == 1 && n_got == 2 &&
			vxf->pmd_stats[0].tx_packets == s0.tx_packets + 2 &&
			vxf->pmd_stats[0].tx_dropped == s0.tx_dropped + 1 &&
			vxf->pmd_stats[0].tx_bytes == s0.tx_bytes + sent,
			"first of three dropped: tx_bytes +%" PRIu64 " (the two sent), not +%" PRIu64,
			sent, vxf->pmd_stats[0].tx_bytes - s0.tx_bytes);
		got_free();
	}

	m[0] = pkt(7, "172.31.14.3", "172.31.14.11");
	m[1] = pkt(8, "172.31.14.3", NULL);
	CHECK(tnl_encap_tx(tl, 0, m, 2, NULL) == 2 && tl->st[0].tx_no_route == 2,
		"a local_ip=flow port resolves its own destinations");
	tnl_run();
	m[0] = pkt(7, "172.31.14.3", "172.31.14.11");
	m[1] = pkt(8, "172.31.14.3", NULL);
	CHECK(tnl_encap_tx(tl, 0, m, 2, NULL) == 0 && n_got == 2 &&
		outer_is(0, "172.31.14.11", "172.31.14.3", 7) &&
		outer_is(1, "172.31.14.1", "172.31.14.3", 8),
		"local_ip=flow: from tun_src, else from the route's source; checksum right");
	got_free();
}

/* An inner IPv4 frame (tagged with VLAN 'vlan' unless 0) from UDP port 'sport' to 80, with
 * IP ID 'ip_id' and TTL 'ttl', for tun_dst 172.31.14.2 and VNI 100. */
static struct rte_mbuf *
udp_pkt(uint16_t vlan, uint16_t sport, uint16_t ip_id, uint8_t ttl)
{
	struct rte_mbuf *m = pkt(100, "172.31.14.2", NULL);
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *), *ip = d + 14;

	if (vlan != 0) {
		d[12] = 0x81;
		d[13] = 0x00;
		d[14] = (uint8_t)(vlan >> 8);
		d[15] = (uint8_t)vlan;
		d[16] = 0x08;
		d[17] = 0x00;
		ip = d + 18;
	} else {
		d[12] = 0x08;
		d[13] = 0x00;
	}
	memset(ip, 0, 28);
	ip[0] = 0x45;
	ip[3] = (uint8_t)(INNER_LEN - (ip - d));
	ip[4] = (uint8_t)(ip_id >> 8);
	ip[5] = (uint8_t)ip_id;
	ip[8] = ttl;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, "\x0a\0\0\x01\x0a\0\0\x02", 8);
	ip[20] = (uint8_t)(sport >> 8);
	ip[21] = (uint8_t)sport;
	ip[23] = 80;
	return m;
}

/* The outer UDP source port of got[i] (host order). */
static uint16_t
outer_sport(unsigned i)
{
	const uint8_t *d = rte_pktmbuf_mtod(got[i], const uint8_t *);

	return (uint16_t)(d[34] << 8 | d[35]);
}

/*
 * The outer UDP source port follows the inner flow: the same for every packet of a flow
 * whatever its IP ID and TTL (fields that change per packet), spread over 32768..60999
 * across flows, and read past an 802.1Q tag.
 */
static void
test_src_port(struct port *vxf)
{
	struct tnl_port *t = vxf->priv;
	struct rte_mbuf *m[64];
	bool same = true, range = true, spread;
	unsigned i, j, distinct = 0;

	for (i = 0; i < 8; i++)
		m[i] = udp_pkt(0, 5000, (uint16_t)(i * 977), (uint8_t)(64 - i));
	for (i = 8; i < 16; i++)
		m[i] = udp_pkt(7, 5000, (uint16_t)(i * 977), (uint8_t)(64 - i));
	CHECK(tnl_encap_tx(t, 0, m, 16, NULL) == 0 && n_got == 16, "16 packets of two flows sent");
	for (i = 1; n_got == 16 && i < 16; i++)
		same &= outer_sport(i) == outer_sport(i < 8 ? 0 : 8);
	CHECK(n_got == 16 && same, "one flow, one source port, whatever the IP ID and TTL "
		"(untagged and VLAN-tagged)");
	got_free();
	for (i = 0; i < 64; i++)
		m[i] = udp_pkt(0, (uint16_t)(1000 + i), 1, 64);
	CHECK(tnl_encap_tx(t, 0, m, 32, NULL) == 0 && tnl_encap_tx(t, 0, m + 32, 32, NULL) == 0 &&
		n_got == 64, "64 flows sent");
	for (i = 0; n_got == 64 && i < 64; i++) {
		bool seen = false;

		range &= outer_sport(i) >= 32768 && outer_sport(i) <= 60999;
		for (j = 0; j < i; j++)
			seen |= outer_sport(j) == outer_sport(i);
		distinct += !seen;
	}
	spread = distinct >= 56;
	CHECK(n_got == 64 && range && spread, "64 flows (inner source ports 1000-1063): "
		"%u distinct outer source ports, all in 32768..60999", distinct);
	got_free();

	/*
	 * An IPv4 header with options: the ports come after them.  m[0] and m[1] are one flow
	 * (m[1]'s option word holds other bytes); m[2]'s option word holds m[0]'s ports, its
	 * own ports differ.  m[3], a later fragment of m[0]'s flow, has no ports to hash and
	 * m[4], the same without the fragment offset, differs from it only by them.
	 */
	for (i = 0; i < 5; i++) {
		uint8_t *ip;

		m[i] = udp_pkt(0, i == 2 ? 4242 : 5000, 1, 64);
		ip = rte_pktmbuf_mtod(m[i], uint8_t *) + 14;
		if (i < 3) {
			memmove(ip + 24, ip + 20, 8);
			ip[0] = 0x46;
			memcpy(ip + 20, i == 1 ? "\x01\x01\x01\x00" : "\x13\x88\x00\x50", 4);
		}
		if (i == 3)
			ip[7] = 0x10;			/* fragment offset 16 x 8 bytes */
	}
	CHECK(tnl_encap_tx(t, 0, m, 5, NULL) == 0 && n_got == 5 && outer_sport(0) == outer_sport(1) &&
		outer_sport(0) != outer_sport(2) && outer_sport(3) != outer_sport(4),
		"IPv4 options: the ports after them decide; a fragment's bytes there do not");
	got_free();

	/* One byte too long for the underlay's MTU (1500) once encapsulated: dropped, counted. */
	{
		uint64_t e0 = t->st[0].tx_errors;

		m[0] = udp_pkt(0, 5000, 1, 64);
		m[1] = udp_pkt(0, 5000, 1, 64);
		CHECK(rte_pktmbuf_append(m[0], (uint16_t)(1464 - rte_pktmbuf_pkt_len(m[0]))) &&
			rte_pktmbuf_append(m[1], (uint16_t)(1465 - rte_pktmbuf_pkt_len(m[1]))),
			"frames of 1464 and 1465 bytes");
		CHECK(tnl_encap_tx(t, 0, m, 2, NULL) == 1 && n_got == 1 &&
			rte_pktmbuf_pkt_len(got[0]) == 1514 && t->st[0].tx_errors == e0 + 1,
			"a 1500-byte outer IP packet goes, a 1501-byte one is dropped as a tx_error");
		got_free();
	}

	/* Not IP: the MACs and EtherType decide, here from a frame at an odd address (the
	 * hash's tail bytes are read without alignment; UBSan checks it). */
	m[0] = pkt(100, "172.31.14.2", NULL);
	m[1] = shifted(pkt(100, "172.31.14.2", NULL), 1);
	rte_pktmbuf_mtod(m[1], uint8_t *)[40] ^= 0xff;	/* another payload, same flow */
	CHECK(tnl_encap_tx(t, 0, m, 2, NULL) == 0 && n_got == 2 && outer_sport(0) == outer_sport(1),
		"a frame that is not IP: one source port for its MACs and EtherType");
	got_free();
}

static struct in6_addr
ip6(const char *s)
{
	struct in6_addr a;

	memset(&a, 0, sizeof(a));
	inet_pton(AF_INET6, s, &a);
	return a;
}

/*
 * Hand the internal port a VXLAN frame over IPv6 from 'src' to 'dst' (no UDP checksum) with
 * VNI 'vni': the tunnel port it went to, NULL if none; its metadata into '*md' and '*m6'
 * (zero when it carries none).
 */
static struct port *
decap6(const char *src, const char *dst, uint32_t vni, struct tnl_md *md, struct tnl_md6 *m6)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t f[14 + 40 + 8 + 8 + INNER_LEN] = { 0 };
	uint8_t *ip = f + 14, *udp = ip + 40, *vx = udp + 8;
	struct in6_addr s = ip6(src), d = ip6(dst);
	uint16_t dropped = 0, ulen = 8 + 8 + INNER_LEN;
	struct port *on = NULL;

	memcpy(f, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x86\xdd", 14);
	ip[0] = 0x60, ip[4] = (uint8_t)(ulen >> 8), ip[5] = (uint8_t)ulen, ip[6] = 17;
	ip[7] = 64;
	memcpy(ip + 8, &s, 16);
	memcpy(ip + 24, &d, 16);
	udp[0] = 0x9c, udp[1] = 0x40, udp[2] = 0x12, udp[3] = 0xb5;
	udp[4] = (uint8_t)(ulen >> 8), udp[5] = (uint8_t)ulen;
	vx[0] = 0x08;
	vx[4] = (uint8_t)(vni >> 16), vx[5] = (uint8_t)(vni >> 8), vx[6] = (uint8_t)vni;
	memcpy(vx + 8, "\x02\0\0\0\0\x0a\x02\0\0\0\0\x0b\x08\x00", 14);
	memcpy(rte_pktmbuf_append(m, sizeof(f)), f, sizeof(f));
	if (tnl_internal_tx(&under, 0, &m, 1, &dropped, NULL) == 1)
		rte_pktmbuf_free(m);
	memset(md, 0, sizeof(*md));
	memset(m6, 0, sizeof(*m6));
	if (n_got == 1) {
		on = got_on[0];
		*md = *RTE_MBUF_DYNFIELD(got[0], tnl_md_offset, struct tnl_md *);
		if (md->flags & TNL_MD_F_IPV6)
			*m6 = *tnl_md6_of(got[0]);
	}
	got_free();
	return on;
}

/* A packet with tun_id 'id' and the IPv6 endpoints a rule set: tun_ipv6_dst 'dst',
 * tun_ipv6_src 'src' (NULL: none). */
static struct rte_mbuf *
pkt6(uint64_t id, const char *dst, const char *src)
{
	struct rte_mbuf *m = pkt(id, "0.0.0.0", NULL);
	struct tnl_md *md = RTE_MBUF_DYNFIELD(m, tnl_md_offset, struct tnl_md *);
	struct tnl_md6 *m6 = tnl_md6_of(m);

	md->flags = TNL_MD_F_IPV6;
	m6->dst = ip6(dst);
	m6->src = src != NULL ? ip6(src) : ip6("::");
	return m;
}

/* Whether got[i] left over IPv6 from 'src' to 'dst' with VNI 'vni' and a right, non-zero
 * UDP checksum. */
static bool
outer6_is(unsigned i, const char *src, const char *dst, uint32_t vni)
{
	const uint8_t *d = rte_pktmbuf_mtod(got[i], const uint8_t *), *ip = d + 14;
	const uint8_t *udp = ip + 40;
	struct in6_addr s = ip6(src), t = ip6(dst);
	uint32_t ulen = (uint32_t)(udp[4] << 8 | udp[5]);

	return d[12] == 0x86 && d[13] == 0xdd && memcmp(ip + 8, &s, 16) == 0 &&
		memcmp(ip + 24, &t, 16) == 0 && udp[2] == 0x12 && udp[3] == 0xb5 &&
		(((uint32_t)udp[12] << 16) | ((uint32_t)udp[13] << 8) | udp[14]) == vni &&
		(udp[6] | udp[7]) != 0 && rte_pktmbuf_data_len(got[i]) == 14 + 40 + ulen &&
		sum6(ip, udp, ulen) == 0;
}

/*
 * remote_ip=flow over an IPv6 underlay: a port with an IPv6 local_ip takes IPv6 only; a
 * port without a fixed local_ip takes both families, each packet sent by the family of the
 * rule's tun_ipv6_dst or tun_dst; tun_ipv6_src/dst of what is popped in the private area;
 * local_ip=flow's tun_ipv6_src as the outer source.
 */
static void
test_ipv6(const struct port_env *env, struct port *vxf, struct port *vxl)
{
	static const struct port_option vx6_o[] = {
		{ "remote_ip", "flow" }, { "local_ip", "fd00:14::1" }, { "key", "flow" },
	};
	static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	struct in6_addr peer = ip6("fd00:14::2"), a;
	struct rte_mbuf *m[3];
	struct tnl_md6 m6;
	struct tnl_md md;
	struct port vx6;
	char *err = NULL;

	CHECK(open_port(&vx6, "vx6", "vxlan", 7, vx6_o, RTE_DIM(vx6_o), env, &err) == 0,
		"remote_ip=flow with an IPv6 local_ip opens: %s", err ? err : "");
	free(err);
	if (vx6.priv == NULL)
		return;
	tnl_run();
	a = ip6("fd00:14::2");
	CHECK(decap6("fd00:14::2", "fd00:14::1", 100, &md, &m6) == &vx6 &&
		(md.flags & TNL_MD_F_IPV6) && IN6_ARE_ADDR_EQUAL(&m6.src, &a) &&
		md.tun_src == 0 && md.tun_dst == 0 && md.tun_id == rte_cpu_to_be_64(100),
		"IPv6 to its local_ip: the IPv6 port; tun_ipv6_src set, tun_src/tun_dst 0");
	a = ip6("fd00:14::7");
	CHECK(decap6("fd00:14::2", "fd00:14::7", 5, &md, &m6) == vxf &&
		IN6_ARE_ADDR_EQUAL(&m6.dst, &a),
		"IPv6 to another address: the port without a fixed local_ip (either family), "
		"tun_ipv6_dst set");

	m[0] = pkt6(100, "fd00:14::2", NULL);
	m[1] = pkt(5, "172.31.14.2", NULL);
	CHECK(tnl_encap_tx(vx6.priv, 0, m, 2, NULL) == 2 && n_got == 0 &&
		((struct tnl_port *)vx6.priv)->st[0].tx_no_route == 1 &&
		((struct tnl_port *)vx6.priv)->st[0].tx_no_dst == 1,
		"the IPv6 port: tun_ipv6_dst not resolved yet (tx_no_route); a packet with "
		"only tun_dst has no destination for it (tx_no_dst)");
	tnl_neigh_set("tp0", &peer, peer_mac);
	tnl_run();
	m[0] = pkt6(100, "fd00:14::2", NULL);
	CHECK(tnl_encap_tx(vx6.priv, 0, m, 1, NULL) == 0 && n_got == 1 &&
		outer6_is(0, "fd00:14::1", "fd00:14::2", 100),
		"... resolved: IPv6 from its local_ip to tun_ipv6_dst, VNI, UDP checksum right");
	got_free();

	m[0] = pkt6(200, "fd00:14::2", NULL);
	m[1] = pkt(300, "172.31.14.2", NULL);
	CHECK(tnl_encap_tx(vxf->priv, 0, m, 2, NULL) == 1 && n_got == 1,
		"the port of either family: the IPv4 destination goes (resolved before), the "
		"IPv6 one is asked for");
	got_free();
	tnl_run();
	m[0] = pkt6(200, "fd00:14::2", NULL);
	m[1] = pkt(300, "172.31.14.2", NULL);
	CHECK(tnl_encap_tx(vxf->priv, 0, m, 2, NULL) == 0 && n_got == 2 &&
		outer6_is(0, "fd00:14::1", "fd00:14::2", 200) &&
		outer_is(1, "172.31.14.1", "172.31.14.2", 300),
		"... then each packet by its own family: IPv6 from the route's source, IPv4");
	got_free();

	m[0] = pkt6(9, "fd00:14::2", "fd00:14::99");
	CHECK(tnl_encap_tx(vxl->priv, 0, m, 1, NULL) == 1, "local_ip=flow over IPv6: asked for");
	tnl_run();
	m[0] = pkt6(9, "fd00:14::2", "fd00:14::99");
	CHECK(tnl_encap_tx(vxl->priv, 0, m, 1, NULL) == 0 && n_got == 1 &&
		outer6_is(0, "fd00:14::99", "fd00:14::2", 9),
		"local_ip=flow over IPv6: from tun_ipv6_src, checksum over it");
	got_free();
	port_close(&vx6);
}

/*
 * Hand the internal port a G-PDU from 'src' to 172.31.14.1 (UDP 2152) with TEID 'teid' and
 * an IPv4 payload: the tunnel port it was delivered on, NULL if none.  Its metadata into
 * '*md'.
 */
static struct port *
gtpu_decap(const char *src, uint32_t teid, struct tnl_md *md)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t f[14 + 20 + 8 + 8 + 20];
	uint8_t *ip = f + 14, *udp = ip + 20, *g = udp + 8, *in = g + 8;
	uint32_t s = ip4(src), d = ip4("172.31.14.1");
	uint16_t dropped = 0, len = 20 + 8 + 8 + 20;
	struct port *on = NULL;

	memset(f, 0, sizeof(f));
	memcpy(f, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00", 14);
	ip[0] = 0x45, ip[2] = (uint8_t)(len >> 8), ip[3] = (uint8_t)len, ip[8] = 64, ip[9] = 17;
	memcpy(ip + 12, &s, 4);
	memcpy(ip + 16, &d, 4);
	udp[0] = 0x08, udp[1] = 0x68, udp[2] = 0x08, udp[3] = 0x68;
	udp[4] = (uint8_t)((len - 20) >> 8), udp[5] = (uint8_t)(len - 20);
	g[0] = 0x30, g[1] = 0xff, g[3] = 20;
	g[4] = (uint8_t)(teid >> 24), g[5] = (uint8_t)(teid >> 16), g[6] = (uint8_t)(teid >> 8);
	g[7] = (uint8_t)teid;
	in[0] = 0x45, in[3] = 20, in[8] = 64, in[9] = 17;
	ip4_csum_set(ip);
	memcpy(rte_pktmbuf_append(m, sizeof(f)), f, sizeof(f));
	if (tnl_internal_tx(&under, 0, &m, 1, &dropped, NULL) == 1)
		rte_pktmbuf_free(m);
	if (n_got == 1) {
		on = got_on[0];
		*md = *RTE_MBUF_DYNFIELD(got[0], tnl_md_offset, struct tnl_md *);
	}
	got_free();
	return on;
}

/*
 * GTP-U with remote_ip=flow (a UPF's N3 side facing many base stations) beside a port with
 * a fixed remote: received from any remote, tun_src set; a fixed-remote port takes only its
 * remote's packets, as every tunnel type in Open vSwitch; sent to the rule's tun_dst with
 * the rule's TEID.
 */
static void
test_gtpu(const struct port_env *env)
{
	static const struct port_option gtf_o[] = { { "remote_ip", "flow" }, { "key", "flow" } };
	static const struct port_option gt3_o[] = {
		{ "remote_ip", "172.31.14.3" }, { "key", "5" },
	};
	struct port gtf, gt3;
	struct tnl_md md;
	struct rte_mbuf *m;
	const uint8_t *o;
	char *err = NULL;

	CHECK(open_port(&gtf, "gtf", "gtpu", 5, gtf_o, RTE_DIM(gtf_o), env, &err) == 0,
		"gtpu remote_ip=flow key=flow opens: %s", err ? err : "");
	free(err);
	err = NULL;
	CHECK(open_port(&gt3, "gt3", "gtpu", 6, gt3_o, RTE_DIM(gt3_o), env, &err) == 0,
		"gtpu remote 172.31.14.3 key=5 opens: %s", err ? err : "");
	free(err);
	if (gtf.priv == NULL || gt3.priv == NULL)
		return;
	tnl_run();
	CHECK(port_link_up(&gtf), "the gtpu remote_ip=flow port is up");
	CHECK(gtpu_decap("172.31.14.2", 100, &md) == &gtf && md.tun_src == ip4("172.31.14.2") &&
		md.tun_id == rte_cpu_to_be_64(100) && md.gtpu_msgtype == 0xff,
		"gtpu: a G-PDU from any remote, any TEID: the remote_ip=flow port, tun_src set");
	CHECK(gtpu_decap("172.31.14.3", 5, &md) == &gt3,
		"gtpu: TEID 5 from 172.31.14.3: the fixed-remote port with key=5");
	CHECK(gtpu_decap("172.31.14.2", 5, &md) == &gtf,
		"gtpu: TEID 5 from another remote: not the fixed-remote port");
	m = pkt(7, "172.31.14.3", NULL);
	CHECK(tnl_encap_tx(gtf.priv, 0, &m, 1, NULL) == 1 && n_got == 0,
		"gtpu: tun_dst not resolved yet: dropped (and asked for)");
	tnl_run();
	m = pkt(7, "172.31.14.3", NULL);
	memcpy(rte_pktmbuf_mtod_offset(m, uint8_t *, 12), "\x08\x00\x45", 3);
	CHECK(tnl_encap_tx(gtf.priv, 0, &m, 1, NULL) == 0 && n_got == 1,
		"gtpu: sent to tun_dst once resolved");
	o = n_got == 1 ? rte_pktmbuf_mtod(got[0], const uint8_t *) : NULL;
	CHECK(o != NULL && got_on[0] == &under && memcmp(o + 14 + 16, "\xac\x1f\x0e\x03", 4) == 0 &&
		o[14 + 20 + 2] == 0x08 && o[14 + 20 + 3] == 0x68 && o[14 + 28] == 0x30 &&
		o[14 + 28 + 1] == 0xff && memcmp(o + 14 + 28 + 4, "\0\0\0\x07", 4) == 0,
		"gtpu: ... to 172.31.14.3, UDP 2152, a G-PDU with the rule's TEID 7");
	got_free();
	port_close(&gt3);
	port_close(&gtf);
}

/*
 * A frame of 'len' bytes for the differential test below: 'kind' 0 IPv4/UDP, 1 IPv4/TCP with
 * 4 bytes of IP options, 2 IPv4/UDP behind an 802.1Q tag, 3 an IPv4 fragment, 4 ARP (no IP);
 * 'seed' varies the addresses and ports.  Tunnel metadata with VNI 9 for 172.31.14.3.
 */
static struct rte_mbuf *
frame(uint16_t len, unsigned kind, unsigned seed)
{
	struct rte_mbuf *m = pkt(9, "172.31.14.3", NULL);
	uint8_t *d, *ip;
	unsigned ihl = kind == 1 ? 24 : 20;

	rte_pktmbuf_reset(m);
	m->ol_flags |= tnl_md_flag;
	d = (uint8_t *)rte_pktmbuf_append(m, len);
	for (unsigned i = 0; i < len; i++)
		d[i] = (uint8_t)(i * 7 + seed);
	ip = d + 14 + (kind == 2 ? 4 : 0);
	memcpy(d + 12, kind == 4 ? "\x08\x06" : kind == 2 ? "\x81\x00" : "\x08\x00", 2);
	if (kind == 2)
		memcpy(d + 16, "\x08\x00", 2);
	if (kind == 4)
		return m;
	ip[0] = (uint8_t)(0x40 | ihl / 4);
	ip[2] = (uint8_t)((len - (ip - d)) >> 8);
	ip[3] = (uint8_t)(len - (ip - d));
	ip[6] = kind == 3 ? 0x20 : 0;		/* MF: a first fragment */
	ip[9] = kind == 1 ? IPPROTO_TCP : IPPROTO_UDP;
	ip[ihl] = (uint8_t)(seed >> 8);		/* source port */
	return m;
}

/*
 * A port with a fixed remote and VNI (vx9: the plain encapsulation loop) pushes the same
 * bytes as one with the same remote whose VNI comes from the flow (vx3: the general path),
 * for frames with and without IP options, tags, fragments and no IP at all, from 60 bytes
 * to the underlay's MTU; one byte more is dropped by both and counted.
 */
static void
test_plain(struct port *vx3, struct port *vx9)
{
	static const uint16_t lens[] = { 60, 61, 128, 1000, 1464, 1465 };
	struct tnl_port *t3 = vx3->priv, *t9 = vx9->priv;
	unsigned same = 0, n = 0;
	uint64_t e3 = t3->st[0].tx_errors, e9 = t9->st[0].tx_errors;

	for (unsigned l = 0; l < RTE_DIM(lens); l++) {
		for (unsigned kind = 0; kind < 5; kind++) {
			for (unsigned seed = 1; seed < 4; seed++) {
				struct rte_mbuf *a = frame(lens[l], kind, seed * 4099);
				struct rte_mbuf *b = frame(lens[l], kind, seed * 4099);

				tnl_encap_tx(t3, 0, &a, 1, NULL);
				tnl_encap_tx(t9, 0, &b, 1, NULL);
				n++;
				if (lens[l] > 1464)
					same += n_got == 0;
				else
					same += n_got == 2 && got_on[0] == &under &&
						got_on[1] == &under &&
						rte_pktmbuf_pkt_len(got[0]) ==
						rte_pktmbuf_pkt_len(got[1]) &&
						rte_pktmbuf_pkt_len(got[0]) ==
						(uint32_t)(TNL_VXLAN_HLEN + lens[l]) &&
						memcmp(rte_pktmbuf_mtod(got[0], void *),
							rte_pktmbuf_mtod(got[1], void *),
							rte_pktmbuf_pkt_len(got[0])) == 0 &&
						ip_csum_ok(rte_pktmbuf_mtod(got[1], uint8_t *) + 14);
				got_free();
			}
		}
	}
	CHECK(same == n, "the plain loop (fixed VNI) and the general path (VNI from the flow) "
		"push the same bytes: %u of %u frames alike", same, n);
	CHECK(t3->st[0].tx_errors - e3 == 15 && t9->st[0].tx_errors - e9 == 15,
		"a 1501-byte outer packet: dropped by both, tx_errors +15 each (%llu, %llu)",
		(unsigned long long)(t3->st[0].tx_errors - e3),
		(unsigned long long)(t9->st[0].tx_errors - e9));
}

int
main(int argc, char **argv)
{
	static const struct port_option vxf_o[] = { { "remote_ip", "flow" }, { "key", "flow" } };
	static const struct port_option vxl_o[] = {
		{ "remote_ip", "flow" }, { "local_ip", "flow" }, { "key", "flow" },
	};
	static const struct port_option vx3_o[] = {
		{ "remote_ip", "172.31.14.3" }, { "key", "flow" },
	};
	static const struct port_option vx9_o[] = {
		{ "remote_ip", "172.31.14.3" }, { "key", "9" },
	};
	struct port_env env = { .n_pmds = 1, .log = logf_quiet, .deliver = deliver };
	struct port vxf, vxl, vx3, vx9;
	char *err;

	(void)argc;
	/* A namespace of our own: tp0 and its route go with this process. */
	if (unshare(CLONE_NEWNET) != 0 || system("ip link add tp0 type veth peer name tp0p && "
			"ip link set tp0p up && ip link set tp0 address 02:00:00:00:00:01 && "
			"ip addr add 172.31.14.1/24 dev tp0 && ip addr add 172.31.14.7/24 dev tp0 && "
			"ip -6 addr add fd00:14::1/64 dev tp0 nodad && "
			"ip -6 addr add fd00:14::7/64 dev tp0 nodad preferred_lft 0 && "
			"ip link set tp0 up") != 0) {
		fprintf(stderr, "test_tnl_flow: no network namespace of its own (root?): "
			"skipped\n");
		return 77;
	}
	if (tnl_test_start(argv[0], "tnlflow", &env) < 0)
		return 1;

	CHECK(open_port(&vxf, "vxf", "vxlan", 1, vxf_o, RTE_DIM(vxf_o), &env, &err) == 0,
		"remote_ip=flow key=flow opens: %s", err ? err : "");
	CHECK(open_port(&vxl, "vxl", "vxlan", 2, vxl_o, RTE_DIM(vxl_o), &env, &err) == 0,
		"remote_ip=flow local_ip=flow opens: %s", err ? err : "");
	CHECK(open_port(&vx3, "vx3", "vxlan", 3, vx3_o, RTE_DIM(vx3_o), &env, &err) == 0,
		"a fixed remote with key=flow beside remote_ip=flow key=flow opens: %s",
		err ? err : "");
	CHECK(open_port(&vx9, "vx9", "vxlan", 4, vx9_o, RTE_DIM(vx9_o), &env, &err) == 0,
		"a fixed remote with key=9 opens: %s", err ? err : "");
	if (vxf.priv != NULL)
		test_refused(&env);
	if (tnl_md_offset >= 0 && vxf.priv && vxl.priv && vx3.priv && vx9.priv) {
		CHECK(port_link_up(&vxf), "a remote_ip=flow port is up");
		test_decap(&vxf, &vx3, &vx9);
		test_encap(&vxf, &vxl);
		test_plain(&vx3, &vx9);
		test_src_port(&vxf);
		test_ipv6(&env, &vxf, &vxl);
		test_gtpu(&env);
	}
	if (vx9.priv)
		port_close(&vx9);
	if (vx3.priv)
		port_close(&vx3);
	if (vxl.priv)
		port_close(&vxl);
	if (vxf.priv)
		port_close(&vxf);
	tnl_internal_del(&under);
	free(env.qsbr);
	return check_report("test_tnl_flow");
}
