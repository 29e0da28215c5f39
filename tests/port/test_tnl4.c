/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tunnels' packet path over an IPv4 underlay, without PMD threads, devices or routes
 * (port/tnl_pmd.c, tnl_gtpu.c): vxlan and gtpu ports opened with IPv4 addresses, IPv4
 * frames handed to an internal port's transmit as the underlay bridge would hand them, and
 * what comes out checked: the outer IPv4 header checksum (summed, or what the device's
 * flags say); the UDP length (8 up to the IP payload, the packet trimmed to it wherever in
 * a chain of segments it ends, the UDP checksum over it); VXLAN's flags and reserved bytes;
 * what the switch does not take counted as dropped; IPv4 endpoints that are no one host's refused; ECN (RFC 6040, as
 * Linux and Open vSwitch): a tos with ECN bits refused, the inner ECN field pushed (CE as
 * ECT(0)), an outer CE carried into the inner header or the packet dropped.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "check.h"
#include "port.h"
#include "tnl.h"
#include "tnl_sink.h"

#define INNER_LEN 60

/*
 * An Ethernet/IPv4/UDP frame from 172.31.9.2 to 172.31.9.1 into 'f', to UDP port 'dport'
 * with 'plen' bytes of 'payload' after UDP, outer TOS 'tos', a right header checksum and no
 * UDP checksum.  Returns its length.
 */
static uint32_t
frame4(uint8_t *f, uint16_t dport, const uint8_t *payload, uint32_t plen, uint8_t tos)
{
	uint8_t *ip = f + 14, *udp = ip + 20;
	uint32_t ulen = 8 + plen, tot = 20 + ulen;

	memset(f, 0, 14 + 20 + 8);
	memcpy(f, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00", 14);
	ip[0] = 0x45, ip[1] = tos, ip[2] = (uint8_t)(tot >> 8), ip[3] = (uint8_t)tot;
	ip[6] = 0x40, ip[8] = 64, ip[9] = 17;
	inet_pton(AF_INET, "172.31.9.2", ip + 12);
	inet_pton(AF_INET, "172.31.9.1", ip + 16);
	ip4_csum_set(ip);
	udp[0] = 0x9c, udp[1] = 0x40;
	udp[2] = (uint8_t)(dport >> 8), udp[3] = (uint8_t)dport;
	udp[4] = (uint8_t)(ulen >> 8), udp[5] = (uint8_t)ulen;
	memcpy(udp + 8, payload, plen);
	return 14 + tot;
}

/*
 * An inner Ethernet/IPv4/UDP frame of INNER_LEN bytes with TOS 'tos' into 'p' (its header
 * checksum right).
 */
static void
inner4(uint8_t *p, uint8_t tos)
{
	uint8_t *ip = p + 14;

	for (unsigned i = 0; i < INNER_LEN; i++)
		p[i] = (uint8_t)(i * 7 + 1);
	memcpy(p, "\x02\0\0\0\0\x0a\x02\0\0\0\0\x0b\x08\x00", 14);
	ip[0] = 0x45, ip[1] = tos, ip[2] = 0, ip[3] = INNER_LEN - 14;
	ip[6] = ip[7] = 0, ip[8] = 64, ip[9] = 17;
	ip4_csum_set(ip);
}

/* A VXLAN header for 'vni' and an inner IPv4 frame with TOS 'tos' into 'p'; its length. */
static uint32_t
vxlan_payload(uint8_t *p, uint32_t vni, uint8_t tos)
{
	memset(p, 0, 8);
	p[0] = 0x08;
	p[4] = (uint8_t)(vni >> 16), p[5] = (uint8_t)(vni >> 8), p[6] = (uint8_t)vni;
	inner4(p + 8, tos);
	return 8 + INNER_LEN;
}

/*
 * A G-PDU header for TEID 'teid' and an IPv4 packet with TOS 'tos' (the inner frame's IP
 * packet) into 'p'; its length.
 */
static uint32_t
gtpu_payload(uint8_t *p, uint32_t teid, uint8_t tos)
{
	uint8_t in[INNER_LEN];

	inner4(in, tos);
	memcpy(p, "\x30\xff\x00\x00", 4);
	p[3] = INNER_LEN - 14;
	p[4] = (uint8_t)(teid >> 24), p[5] = (uint8_t)(teid >> 16);
	p[6] = (uint8_t)(teid >> 8), p[7] = (uint8_t)teid;
	memcpy(p + 8, in + 14, INNER_LEN - 14);
	return 8 + INNER_LEN - 14;
}

/*
 * Hand 'len' bytes of 'f' to the internal port, with rx offload flags 'ol' and packet type
 * 'ptype' as the receiving device would have set them: returns 1 when left for the kernel.
 */
static uint16_t
send_under_ol(const uint8_t *f, uint32_t len, uint64_t ol, uint32_t ptype, uint16_t *dropped)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint16_t keep;

	memcpy(rte_pktmbuf_append(m, (uint16_t)len), f, len);
	m->ol_flags |= ol;
	m->packet_type = ptype;
	*dropped = 0;
	keep = tnl_internal_tx(&under, 0, &m, 1, dropped, NULL);
	if (keep == 1)
		rte_pktmbuf_free(m);
	return keep;
}

static uint16_t
send_under(const uint8_t *f, uint32_t len, uint16_t *dropped)
{
	return send_under_ol(f, len, 0, 0, dropped);
}

/*
 * Hand 'len' bytes of 'f' to the internal port as a chain of three segments, the second
 * starting at byte 'cut1' and the third at 'cut2', as a device with scattered receive
 * would: returns 1 when left for the kernel.
 */
static uint16_t
send_under_chain(const uint8_t *f, uint32_t len, uint32_t cut1, uint32_t cut2,
	uint16_t *dropped)
{
	const uint32_t at[] = { 0, cut1, cut2, len };
	struct rte_mbuf *m = NULL;
	uint16_t keep;

	for (unsigned i = 0; i < 3; i++) {
		struct rte_mbuf *s = rte_pktmbuf_alloc(mp);

		memcpy(rte_pktmbuf_append(s, (uint16_t)(at[i + 1] - at[i])), f + at[i],
			at[i + 1] - at[i]);
		if (m == NULL)
			m = s;
		else
			rte_pktmbuf_chain(m, s);
	}
	*dropped = 0;
	keep = tnl_internal_tx(&under, 0, &m, 1, dropped, NULL);
	if (keep == 1)
		rte_pktmbuf_free(m);
	return keep;
}

/*
 * Whether got[0] is 'len' bytes in segments that add up, those from 'off' on the 'len' -
 * 'off' bytes of 'want'.
 */
static bool
got_is(const uint8_t *want, uint32_t off, uint32_t len)
{
	uint8_t buf[256];
	const struct rte_mbuf *s;
	uint32_t sum = 0;
	uint16_t segs = 0;

	if (n_got != 1 || rte_pktmbuf_pkt_len(got[0]) != len || len > sizeof(buf))
		return false;
	for (s = got[0]; s != NULL; s = s->next, segs++)
		sum += s->data_len;
	return sum == len && segs == got[0]->nb_segs &&
		memcmp(rte_pktmbuf_read(got[0], off, len - off, buf), want, len - off) == 0;
}

static uint64_t
errors_of(const struct port *p)
{
	return ((const struct tnl_port *)p->priv)->st[0].rx_errors;
}

/* The outer IPv4 header checksum: a wrong one is dropped and counted, unless the device
 * checked it good. */
static void
test_ip_csum(struct port *vx, struct port *gtp)
{
	uint8_t f[256], pl[128];
	uint32_t n = frame4(f, 4789, pl, vxlan_payload(pl, 42, 0), 0);
	uint64_t e0 = errors_of(vx);
	uint16_t dropped;

	CHECK(send_under(f, n, &dropped) == 0 && dropped == 0 && n_got == 1 && got_on[0] == vx &&
		errors_of(vx) == e0, "a good IPv4 VXLAN frame is popped");
	got_free();
	f[14 + 11] ^= 0x55;
	CHECK(send_under(f, n, &dropped) == 0 && dropped == 1 && n_got == 0 &&
		errors_of(vx) == e0 + 1, "a wrong outer IPv4 header checksum: dropped, rx_errors");
	got_free();
	CHECK(send_under_ol(f, n, RTE_MBUF_F_RX_IP_CKSUM_GOOD, 0, &dropped) == 0 && n_got == 1,
		"the same, the device having checked it good: believed, popped");
	got_free();
	CHECK(send_under_ol(f, n, RTE_MBUF_F_RX_IP_CKSUM_GOOD,
		RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 | RTE_PTYPE_TUNNEL_VXLAN, &dropped) == 0 &&
		dropped == 1 && n_got == 0 && errors_of(vx) == e0 + 2,
		"... but for a packet the device saw as VXLAN its flag is the inner header's: "
		"summed, dropped");
	got_free();
	f[14 + 11] ^= 0x55;
	CHECK(send_under_ol(f, n, RTE_MBUF_F_RX_IP_CKSUM_BAD, 0, &dropped) == 0 && dropped == 1 &&
		errors_of(vx) == e0 + 3, "a right checksum the device found bad: dropped");
	got_free();
	f[14 + 19] = 7;					/* 172.31.9.7: no endpoint */
	CHECK(send_under(f, n, &dropped) == 1 && dropped == 0 && errors_of(vx) == e0 + 3,
		"a wrong checksum to another local address: the kernel's, not counted");
	got_free();
	e0 = errors_of(gtp);
	n = frame4(f, 2152, pl, gtpu_payload(pl, 100, 0), 0);
	CHECK(send_under(f, n, &dropped) == 0 && n_got == 1 && got_on[0] == gtp,
		"a good IPv4 G-PDU is popped");
	got_free();
	f[14 + 10] ^= 1;
	CHECK(send_under(f, n, &dropped) == 0 && dropped == 1 && errors_of(gtp) == e0 + 1,
		"a G-PDU with a wrong outer IPv4 header checksum: dropped, rx_errors");
	got_free();
}

/* Set the UDP checksum of IPv4 frame 'f' over its first 'ulen' UDP bytes (its length
 * field). */
static void
udp4_csum_set(uint8_t *f, uint32_t ulen)
{
	uint8_t *ip = f + 14, *udp = ip + 20;
	uint32_t s = 17 + ulen;
	uint16_t c;

	udp[6] = udp[7] = 0;
	for (unsigned i = 12; i < 20; i += 2)
		s += (uint32_t)ip[i] << 8 | ip[i + 1];
	for (uint32_t i = 0; i < ulen; i += 2)
		s += (uint32_t)udp[i] << 8 | (i + 1 < ulen ? udp[i + 1] : 0);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	c = (uint16_t)~s;
	c = c == 0 ? 0xffff : c;
	udp[6] = (uint8_t)(c >> 8), udp[7] = (uint8_t)c;
}

/* Set the UDP length field of IPv4 frame 'f'. */
static void
udp4_len_set(uint8_t *f, uint32_t ulen)
{
	f[14 + 20 + 4] = (uint8_t)(ulen >> 8), f[14 + 20 + 5] = (uint8_t)ulen;
}

/*
 * The UDP length, as Linux reads it: under 8 or past the IP payload the packet is dropped
 * and counted; shorter than the IP payload, what follows it is not the inner frame's (and
 * the checksum is over it).
 */
static void
test_udp_len(struct port *vx, struct port *gtp)
{
	uint8_t f[256], pl[128];
	uint32_t plen = vxlan_payload(pl, 42, 0), n;
	uint64_t e0 = errors_of(vx);
	uint16_t dropped;

	memset(pl + plen, 0xee, 10);
	n = frame4(f, 4789, pl, plen + 10, 0);
	udp4_len_set(f, 7);
	CHECK(send_under(f, n, &dropped) == 0 && dropped == 1 && errors_of(vx) == e0 + 1,
		"UDP length 7: dropped, rx_errors");
	got_free();
	udp4_len_set(f, 8 + plen + 11);
	CHECK(send_under(f, n, &dropped) == 0 && dropped == 1 && errors_of(vx) == e0 + 2,
		"UDP length one past the IP payload: dropped, rx_errors");
	got_free();
	udp4_len_set(f, 8 + plen);
	CHECK(send_under(f, n, &dropped) == 0 && n_got == 1 &&
		rte_pktmbuf_pkt_len(got[0]) == INNER_LEN &&
		memcmp(rte_pktmbuf_mtod(got[0], uint8_t *), pl + 8, INNER_LEN) == 0,
		"UDP length 10 bytes short of the IP payload: popped, the inner frame ends where "
		"the datagram does");
	got_free();
	udp4_csum_set(f, 8 + plen);
	CHECK(send_under(f, n, &dropped) == 0 && n_got == 1 &&
		rte_pktmbuf_pkt_len(got[0]) == INNER_LEN,
		"... the same with a UDP checksum over the datagram: verified, popped");
	got_free();
	f[14 + 20 + 8 + plen] ^= 0xff;
	CHECK(send_under(f, n, &dropped) == 0 && n_got == 1,
		"... the bytes after the datagram are not summed");
	got_free();

	udp4_len_set(f, 8 + plen);
	udp4_csum_set(f, 8 + plen);
	CHECK(send_under_chain(f, n, 14 + 20 + 8 + 8 + 20, n - 4, &dropped) == 0 &&
		got_is(pl + 8, 0, INNER_LEN),
		"a chained frame whose 10 bytes after the datagram span its last two segments: "
		"popped, the inner frame ends where the datagram does");
	got_free();
	CHECK(send_under_chain(f, n, 14 + 20 + 8 + 8 + 20, n - 10, &dropped) == 0 &&
		got_is(pl + 8, 0, INNER_LEN) && got[0]->nb_segs == 2,
		"... and when they are the whole last segment: that segment freed");
	got_free();

	e0 = errors_of(gtp);
	plen = gtpu_payload(pl, 100, 0);
	memset(pl + plen, 0xee, 10);
	n = frame4(f, 2152, pl, plen + 10, 0);
	udp4_len_set(f, 8 + plen);
	CHECK(send_under_chain(f, n, 14 + 20 + 8 + 8 + 20, n - 4, &dropped) == 0 &&
		got_on[0] == gtp && got_is(pl + 8, 14, INNER_LEN),
		"a chained G-PDU whose bytes after the datagram span its last two segments: "
		"popped, the inner packet ends where the datagram does");
	got_free();
	CHECK(send_under(f, n, &dropped) == 0 && n_got == 1 && got_on[0] == gtp &&
		rte_pktmbuf_pkt_len(got[0]) == INNER_LEN,
		"a G-PDU in a UDP datagram shorter than the IP payload: popped");
	got_free();
	udp4_len_set(f, 8 + plen - 1);
	CHECK(send_under(f, n, &dropped) == 0 && dropped == 1 && errors_of(gtp) == e0 + 1,
		"a G-PDU whose GTP-U length reaches past its UDP length: dropped, rx_errors");
	got_free();
}

/*
 * A G-PDU header for TEID 100 with 'n_ext' 4-byte extension headers and an IPv4 packet
 * (the inner frame's) into 'p'; its length.
 */
static uint32_t
gtpu_ext_payload(uint8_t *p, unsigned n_ext)
{
	uint32_t h = 12 + 4 * n_ext, glen = h - 8 + INNER_LEN - 14;
	uint8_t in[INNER_LEN];

	inner4(in, 0);
	memset(p, 0, h);
	memcpy(p, "\x34\xff\x00\x00\x00\x00\x00\x64", 8);
	p[2] = (uint8_t)(glen >> 8), p[3] = (uint8_t)glen;
	p[11] = n_ext > 0 ? 0x85 : 0;
	for (unsigned i = 0; i < n_ext; i++) {
		p[12 + 4 * i] = 1;
		p[12 + 4 * i + 3] = i + 1 < n_ext ? 0x85 : 0;
	}
	memcpy(p + h, in + 14, INNER_LEN - 14);
	return h + INNER_LEN - 14;
}

/* GTP-U extension headers: walked up to 8 of them; a longer chain dropped, rx_errors. */
static void
test_gtpu_ext(struct port *gtp)
{
	uint8_t f[256], pl[160];
	uint64_t e0 = errors_of(gtp);
	uint16_t dropped;

	send_under(f, frame4(f, 2152, pl, gtpu_ext_payload(pl, 8), 0), &dropped);
	CHECK(n_got == 1 && got_on[0] == gtp && rte_pktmbuf_pkt_len(got[0]) == INNER_LEN &&
		rte_pktmbuf_mtod(got[0], uint8_t *)[14] == 0x45,
		"a G-PDU with 8 extension headers: popped, the inner packet after them");
	got_free();
	send_under(f, frame4(f, 2152, pl, gtpu_ext_payload(pl, 9), 0), &dropped);
	CHECK(n_got == 0 && dropped == 1 && errors_of(gtp) == e0 + 1,
		"a G-PDU with 9 extension headers: dropped, rx_errors");
	got_free();
}

/* VXLAN's header as Open vSwitch takes it: flags just I, reserved bytes zero. */
static void
test_vxlan_hdr(struct port *vx)
{
	static const struct {
		unsigned at;
		uint8_t v;
		const char *what;
	} bad[] = {
		{ 0, 0x0c, "flags 0x0c" }, { 0, 0x88, "flags 0x88" }, { 1, 1, "reserved byte 1" },
		{ 2, 0x80, "reserved byte 2" }, { 3, 1, "reserved byte 3" },
		{ 7, 1, "reserved byte 7" },
	};
	uint8_t f[256], pl[128];
	uint32_t n = frame4(f, 4789, pl, vxlan_payload(pl, 42, 0), 0);
	uint64_t e0 = errors_of(vx);
	uint16_t dropped;

	for (unsigned i = 0; i < RTE_DIM(bad); i++) {
		uint8_t *vxh = f + 14 + 20 + 8, old = vxh[bad[i].at];

		vxh[bad[i].at] = bad[i].v;
		CHECK(send_under(f, n, &dropped) == 0 && dropped == 1 && n_got == 0 &&
			errors_of(vx) == e0 + i + 1, "VXLAN %s: dropped, rx_errors", bad[i].what);
		got_free();
		vxh[bad[i].at] = old;
	}
	CHECK(send_under(f, n, &dropped) == 0 && n_got == 1, "flags 0x08, the rest zero: popped");
	got_free();
}

/* port_env.deliver of a switch that takes nothing (a bridge being changed). */
static uint16_t
deliver_none(void *aux, struct port *in, unsigned pmd, struct rte_mbuf **pkts, uint16_t n)
{
	(void)aux;
	(void)in;
	(void)pmd;
	rte_pktmbuf_free_bulk(pkts, n);
	return n;
}

/* Popped packets the switch does not take are the tunnel port's rx_dropped. */
static void
test_deliver_drop(struct port_env *env, struct port *vx)
{
	const struct tnl_port *t = vx->priv;
	uint8_t f[256], pl[128];
	uint32_t n = frame4(f, 4789, pl, vxlan_payload(pl, 42, 0), 0);
	uint64_t d0 = t->st[0].rx_dropped, e0 = t->st[0].rx_errors;
	uint16_t dropped;

	env->deliver = deliver_none;
	CHECK(send_under(f, n, &dropped) == 0 && dropped == 0 && n_got == 0 &&
		t->st[0].rx_dropped == d0 + 1 && t->st[0].rx_errors == e0,
		"a popped packet the switch does not take: the tunnel port's rx_dropped");
	env->deliver = deliver;
	CHECK(send_under(f, n, &dropped) == 0 && n_got == 1 && t->st[0].rx_dropped == d0 + 1,
		"one it takes: not counted");
	got_free();
}

/* IPv4 endpoints that name no one host are refused, naming the option and value. */
static void
test_addrs(const struct port_env *env)
{
	static const struct {
		const char *type, *key, *value;
	} bad[] = {
		{ "vxlan", "remote_ip", "0.0.0.0" }, { "vxlan", "remote_ip", "255.255.255.255" },
		{ "vxlan", "remote_ip", "224.0.0.5" }, { "geneve", "remote_ip", "239.1.2.3" },
		{ "gtpu", "remote_ip", "0.0.0.0" }, { "vxlan", "local_ip", "0.0.0.0" },
		{ "vxlan", "local_ip", "255.255.255.255" }, { "gtpu", "local_ip", "232.1.1.1" },
	};
	char want[64];
	struct port p;
	char *err;

	for (unsigned i = 0; i < RTE_DIM(bad); i++) {
		struct port_option o[] = {
			{ "remote_ip", "172.31.9.2" }, { "key", "7" }, { bad[i].key, bad[i].value },
		};
		bool remote = strcmp(bad[i].key, "remote_ip") == 0;

		snprintf(want, sizeof(want), "options:%s=%s", bad[i].key, bad[i].value);
		CHECK(open_port(&p, "bad", bad[i].type, 9, remote ? o + 1 : o, remote ? 2 : 3,
			env, &err) < 0 && err != NULL && strstr(err, want) != NULL,
			"%s %s refused: %s", bad[i].type, want, err ? err : "(opened)");
		if (p.priv != NULL && err == NULL)
			port_close(&p);
		free(err);
	}
}

/* Whether the IPv4 header at 'ip' (its IHL's bytes) has a right checksum. */
static bool
ip4_csum_ok(const uint8_t *ip)
{
	uint32_t s = 0;

	for (unsigned i = 0; i < (ip[0] & 0xfu) * 4; i += 2)
		s += (uint32_t)ip[i] << 8 | ip[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

/* Inner frame 'p' (INNER_LEN bytes, IPv4 from inner4()) made 'kind': 1 IPv6 with traffic
 * class 'tos', 2 IPv4 behind an 802.1Q tag, 3 ARP. */
static void
inner_as(uint8_t *p, unsigned kind, uint8_t tos)
{
	if (kind == 1) {
		memset(p + 14, 0, 40);
		p[12] = 0x86, p[13] = 0xdd;
		p[14] = (uint8_t)(0x60 | tos >> 4), p[15] = (uint8_t)(tos << 4);
		p[14 + 5] = INNER_LEN - 54, p[14 + 6] = 59, p[14 + 7] = 64;
	} else if (kind == 2) {
		memmove(p + 18, p + 14, INNER_LEN - 18);
		memcpy(p + 12, "\x81\x00\x00\x07\x08\x00", 6);
	} else if (kind == 3) {
		p[12] = 0x08, p[13] = 0x06;
	}
}

/*
 * Hand the internal port a VXLAN frame with outer TOS 'otos' whose inner frame is IPv4
 * with TOS 'itos' (or inner_as() 'kind'): 1 when popped, the inner frame in got[0].
 */
static unsigned
decap_ecn(uint8_t otos, uint8_t itos, unsigned kind, uint16_t *dropped)
{
	uint8_t f[256], pl[128];
	uint32_t plen = vxlan_payload(pl, 42, itos);

	inner_as(pl + 8, kind, itos);
	send_under(f, frame4(f, 4789, pl, plen, otos), dropped);
	return n_got;
}

/* The TOS or traffic class of got[0]'s inner IP header at 'at'; 'v6' for IPv6. */
static uint8_t
got_tos(unsigned at, bool v6)
{
	const uint8_t *d = rte_pktmbuf_mtod(got[0], const uint8_t *) + at;

	return v6 ? (uint8_t)((d[0] & 0xf) << 4 | d[1] >> 4) : d[1];
}

/*
 * RFC 6040's decapsulation, as Linux and Open vSwitch: an outer CE marks an ECN-capable
 * inner IPv4 or IPv6 header CE (its checksum right); an inner packet that is not
 * ECN-capable is dropped and counted; any other outer value, or a frame that is not IP,
 * leaves the inner packet as it came.
 */
static void
test_ecn_decap(struct port *vx, struct port *gtp)
{
	const uint8_t *ip;
	uint8_t f[256], pl[128];
	uint64_t e0 = errors_of(vx);
	uint16_t dropped;

	CHECK(decap_ecn(0x03, 0x02, 0, &dropped) == 1 && got_tos(14, false) == 0x03 &&
		ip4_csum_ok(rte_pktmbuf_mtod(got[0], uint8_t *) + 14),
		"outer CE, inner IPv4 ECT(0): the inner header CE, its checksum right");
	got_free();
	CHECK(decap_ecn(0xbb, 0xb9, 0, &dropped) == 1 && got_tos(14, false) == 0xbb &&
		ip4_csum_ok(rte_pktmbuf_mtod(got[0], uint8_t *) + 14),
		"outer CE, inner ECT(1) with DSCP 46: CE, the DSCP kept, checksum right");
	got_free();
	CHECK(decap_ecn(0x03, 0x01, 1, &dropped) == 1 && got_tos(14, true) == 0x03,
		"outer CE, inner IPv6 ECT(1): the inner traffic class CE");
	got_free();
	CHECK(decap_ecn(0x03, 0x02, 2, &dropped) == 1 && got_tos(18, false) == 0x03 &&
		ip4_csum_ok(rte_pktmbuf_mtod(got[0], uint8_t *) + 18),
		"outer CE, inner IPv4 ECT(0) behind an 802.1Q tag: CE");
	got_free();
	CHECK(decap_ecn(0x03, 0x00, 0, &dropped) == 0 && dropped == 1 &&
		errors_of(vx) == e0 + 1, "outer CE, inner IPv4 not ECN-capable: dropped, rx_errors");
	got_free();
	CHECK(decap_ecn(0x03, 0x00, 1, &dropped) == 0 && dropped == 1 &&
		errors_of(vx) == e0 + 2, "outer CE, inner IPv6 not ECN-capable: dropped, rx_errors");
	got_free();
	CHECK(decap_ecn(0x02, 0x00, 0, &dropped) == 1 && got_tos(14, false) == 0x00,
		"outer ECT(0), inner not ECN-capable: popped as it came");
	got_free();
	CHECK(decap_ecn(0x03, 0x00, 3, &dropped) == 1 &&
		memcmp(rte_pktmbuf_mtod(got[0], uint8_t *) + 12, "\x08\x06", 2) == 0,
		"outer CE, an inner ARP frame: popped as it came");
	got_free();

	e0 = errors_of(gtp);
	send_under(f, frame4(f, 2152, pl, gtpu_payload(pl, 100, 0x01), 0x03), &dropped);
	ip = n_got == 1 ? rte_pktmbuf_mtod(got[0], uint8_t *) + 14 : NULL;
	CHECK(ip != NULL && ip[1] == 0x03 && ip4_csum_ok(ip),
		"a G-PDU with outer CE, inner IPv4 ECT(1): CE, checksum right");
	got_free();
	send_under(f, frame4(f, 2152, pl, gtpu_payload(pl, 100, 0x00), 0x03), &dropped);
	CHECK(n_got == 0 && dropped == 1 && errors_of(gtp) == e0 + 1,
		"a G-PDU with outer CE, inner not ECN-capable: dropped, rx_errors");
	got_free();
}

/*
 * Publish for 'p' (vxlan or geneve) outer headers from 172.31.9.1 to 172.31.9.2 with TOS
 * 'tos', as tnl.c's build_hdr() writes them (the test has no route): the IPv4 checksum
 * over every field but the length.
 */
static void
encap_set(struct port *p, uint8_t tos)
{
	struct tnl_port *t = p->priv;
	struct tnl_encap *e = calloc(1, sizeof(*e));
	uint8_t *h = e->hdr, *ip = h + 14;

	e->underlay = &under;
	e->hlen = TNL_VXLAN_HLEN;
	memcpy(h, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00", 14);
	ip[0] = 0x45, ip[1] = tos, ip[6] = 0x40, ip[8] = 64, ip[9] = 17;
	inet_pton(AF_INET, "172.31.9.1", ip + 12);
	inet_pton(AF_INET, "172.31.9.2", ip + 16);
	ip4_csum_set(ip);
	ip[20 + 2] = 0x12, ip[20 + 3] = 0xb5;
	ip[28] = 0x08, ip[28 + 6] = (uint8_t)t->cfg.vni;
	if (t->cfg.type == TNL_GENEVE)			/* no options, an Ethernet payload */
		ip[28] = 0, ip[28 + 2] = 0x65, ip[28 + 3] = 0x58;
	__atomic_store_n(&t->encap, e, __ATOMIC_RELEASE);
}

/* Send an inner IPv4 frame with TOS 'itos' (or inner_as() 'kind') on 'p': the outer TOS,
 * or -1 when none was sent or its header checksum is wrong. */
static int
encap_tos(struct port *p, uint8_t itos, unsigned kind)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t in[INNER_LEN];
	int tos = -1;

	inner4(in, itos);
	inner_as(in, kind, itos);
	memcpy(rte_pktmbuf_append(m, INNER_LEN), in, INNER_LEN);
	if (tnl_encap_tx(p->priv, 0, &m, 1, NULL) == 0 && n_got == 1 &&
			ip4_csum_ok(rte_pktmbuf_mtod(got[0], uint8_t *) + 14))
		tos = rte_pktmbuf_mtod(got[0], uint8_t *)[15];
	got_free();
	return tos;
}

/*
 * RFC 6040's normal mode, as Linux's INET_ECN_encapsulate() and Open vSwitch: the outer
 * ECN field is the inner packet's, CE sent as ECT(0), over the port's DSCP or, with
 * tos=inherit, the inner one; the outer checksum right.  Through the plain loop (fixed
 * VNI and tos), the general path (key=flow) and tos=inherit.
 */
static void
test_ecn_encap(const struct port_env *env)
{
	static const struct port_option plain_o[] = {
		{ "remote_ip", "172.31.9.2" }, { "local_ip", "172.31.9.1" }, { "key", "50" },
		{ "tos", "40" },
	};
	static const struct port_option flow_o[] = {
		{ "remote_ip", "172.31.9.2" }, { "local_ip", "172.31.9.1" }, { "key", "flow" },
		{ "tos", "40" },
	};
	static const struct port_option inh_o[] = {
		{ "remote_ip", "172.31.9.2" }, { "local_ip", "172.31.9.1" }, { "key", "51" },
		{ "tos", "inherit" },
	};
	struct port pl, fl, inh;
	char *err = NULL;

	if (!CHECK(open_port(&pl, "vxp", "vxlan", 5, plain_o, 4, env, &err) == 0 &&
			open_port(&fl, "vxf", "vxlan", 6, flow_o, 4, env, &err) == 0 &&
			open_port(&inh, "vxi", "vxlan", 7, inh_o, 4, env, &err) == 0,
			"tos 40 and tos inherit ports open: %s", err ? err : ""))
		return;
	encap_set(&pl, 40);
	encap_set(&fl, 40);
	encap_set(&inh, 0);
	for (unsigned i = 0; i < 2; i++) {
		struct port *p = i == 0 ? &pl : &fl;
		const char *what = i == 0 ? "plain loop" : "general path";

		CHECK(encap_tos(p, 0x02, 0) == 0x2a && encap_tos(p, 0x01, 0) == 0x29 &&
			encap_tos(p, 0x00, 0) == 0x28, "tos 40 (%s): ECT(0), ECT(1), not-ECT "
			"inner: the outer ECN field the same", what);
		CHECK(encap_tos(p, 0xbb, 0) == 0x2a, "tos 40 (%s): inner CE (DSCP 46) sent as "
			"ECT(0) over DSCP 10", what);
		CHECK(encap_tos(p, 0x01, 1) == 0x29 && encap_tos(p, 0x03, 2) == 0x2a &&
			encap_tos(p, 0x03, 3) == 0x28, "tos 40 (%s): inner IPv6, tagged IPv4, ARP",
			what);
	}
	CHECK(encap_tos(&inh, 0xb9, 0) == 0xb9 && encap_tos(&inh, 0xbb, 0) == 0xba &&
		encap_tos(&inh, 0xb8, 0) == 0xb8, "tos=inherit: the inner DSCP and ECN field, "
		"CE sent as ECT(0)");
	CHECK(encap_tos(&inh, 0x2b, 2) == 0x2a && encap_tos(&inh, 0x2b, 3) == 0x00,
		"tos=inherit: behind an 802.1Q tag too; not IP: 0");
	port_close(&inh);
	port_close(&fl);
	port_close(&pl);
}

/*
 * Send an inner frame on Geneve port 'p' carrying tun_metadata0 (mapped to an option of
 * type 'type'): the second byte of the Geneve header sent, or -1 when nothing was sent.
 */
static int
geneve_flags_sent(struct port *p, uint8_t type)
{
	struct port_tlv_map map = { .opt_class = 0x0102, .opt_type = type, .len = 4 };
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct tnl_md *md = RTE_MBUF_DYNFIELD(m, tnl_md_offset, struct tnl_md *);
	uint8_t in[INNER_LEN];
	char *err = NULL;
	int flags = -1;

	port_tnl_tlv_mod(PORT_TLV_CLEAR, NULL, 0, &err);
	if (port_tnl_tlv_mod(PORT_TLV_ADD, &map, 1, &err) != 0) {
		free(err);
		rte_pktmbuf_free(m);
		return -1;
	}
	inner4(in, 0);
	memcpy(rte_pktmbuf_append(m, INNER_LEN), in, INNER_LEN);
	memset(md, 0, sizeof(*md));
	md->tun_metadata_set = 1;
	md->tun_metadata[0] = 0x11223344;
	m->ol_flags |= tnl_md_flag;
	if (tnl_encap_tx(p->priv, 0, &m, 1, NULL) == 0 && n_got == 1 &&
			rte_pktmbuf_pkt_len(got[0]) == 14 + 20 + 8 + 8 + 8 + INNER_LEN)
		flags = rte_pktmbuf_mtod(got[0], uint8_t *)[14 + 20 + 8 + 1];
	got_free();
	port_tnl_tlv_mod(PORT_TLV_CLEAR, NULL, 0, &err);
	return flags;
}

/*
 * Geneve's C bit (RFC 8926 3.4), as Linux and Open vSwitch send it: set when an option
 * sent has a critical type (its high bit), clear otherwise.
 */
static void
test_geneve_critical(const struct port_env *env)
{
	static const struct port_option o[] = {
		{ "remote_ip", "172.31.9.2" }, { "local_ip", "172.31.9.1" }, { "key", "70" },
	};
	struct port gn;
	char *err = NULL;

	if (!CHECK(open_port(&gn, "gn4", "geneve", 8, o, RTE_DIM(o), env, &err) == 0,
			"a geneve port opens: %s", err ? err : ""))
		return;
	encap_set(&gn, 0);
	CHECK(geneve_flags_sent(&gn, 0x85) == 0x40,
		"an option of critical type 0x85 sent: the C bit set, not O");
	CHECK(geneve_flags_sent(&gn, 0x05) == 0x00,
		"an option of type 0x05 sent: the C bit clear");
	port_close(&gn);
}

/* A tos with ECN bits is refused ("invalid TOS", as Open vSwitch); DSCPs and inherit not. */
static void
test_tos_option(const struct port_env *env)
{
	static const char *const tos[] = { "1", "2", "3", "41", "inherit", "0", "252" };
	struct port p;
	char *err;

	for (unsigned i = 0; i < RTE_DIM(tos); i++) {
		for (unsigned g = 0; g < 2; g++) {
			struct port_option o[] = {
				{ "remote_ip", "172.31.9.2" }, { "key", "60" }, { "tos", tos[i] },
			};
			int rc = open_port(&p, "tos", g ? "gtpu" : "vxlan", 9, o, 3, env, &err);

			if (i < 4)
				CHECK(rc < 0 && err != NULL && strstr(err, "options:tos=") &&
					strstr(err, "invalid TOS"), "%s tos=%s refused: %s",
					g ? "gtpu" : "vxlan", tos[i], err ? err : "(opened)");
			else
				CHECK(rc == 0, "%s tos=%s opens: %s", g ? "gtpu" : "vxlan", tos[i],
					err ? err : "");
			if (rc == 0)
				port_close(&p);
			free(err);
		}
	}
}

int
main(int argc, char **argv)
{
	static const struct port_option vx_o[] = {
		{ "remote_ip", "172.31.9.2" }, { "local_ip", "172.31.9.1" }, { "key", "42" },
	};
	static const struct port_option gtp_o[] = {
		{ "remote_ip", "172.31.9.2" }, { "local_ip", "172.31.9.1" }, { "key", "100" },
	};
	struct port_env env = { .n_pmds = 1, .log = logf_quiet, .deliver = deliver };
	struct port vx, gtp;
	char *err;

	(void)argc;
	if (tnl_test_start(argv[0], "tnl4", &env) < 0)
		return 1;
	CHECK(open_port(&vx, "vx4", "vxlan", 1, vx_o, RTE_DIM(vx_o), &env, &err) == 0,
		"a vxlan port with IPv4 addresses opens: %s", err ? err : "");
	free(err);
	CHECK(open_port(&gtp, "gtp4", "gtpu", 2, gtp_o, RTE_DIM(gtp_o), &env, &err) == 0,
		"a gtpu port with IPv4 addresses opens: %s", err ? err : "");
	free(err);
	test_addrs(&env);
	test_tos_option(&env);
	if (tnl_md_offset >= 0 && vx.priv != NULL && gtp.priv != NULL) {
		test_ip_csum(&vx, &gtp);
		test_udp_len(&vx, &gtp);
		test_vxlan_hdr(&vx);
		test_gtpu_ext(&gtp);
		test_deliver_drop(&env, &vx);
		test_ecn_decap(&vx, &gtp);
		test_ecn_encap(&env);
		test_geneve_critical(&env);
		port_close(&gtp);
		port_close(&vx);
	}
	tnl_internal_del(&under);
	free(env.qsbr);
	return check_report("test_tnl4");
}
