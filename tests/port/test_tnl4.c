/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tunnels' packet path over an IPv4 underlay, without PMD threads, devices or routes
 * (port/tnl_pmd.c, tnl_gtpu.c): vxlan and gtpu ports opened with IPv4 addresses, IPv4
 * frames handed to an internal port's transmit as the underlay bridge would hand them, and
 * what comes out checked: the outer IPv4 header checksum (summed, or what the device's
 * flags say).
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
	keep = tnl_internal_tx(&under, 0, &m, 1, dropped);
	if (keep == 1)
		rte_pktmbuf_free(m);
	return keep;
}

static uint16_t
send_under(const uint8_t *f, uint32_t len, uint16_t *dropped)
{
	return send_under_ol(f, len, 0, 0, dropped);
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
	if (tnl_md_offset >= 0 && vx.priv != NULL && gtp.priv != NULL) {
		test_ip_csum(&vx, &gtp);
		port_close(&gtp);
		port_close(&vx);
	}
	tnl_internal_del(&under);
	free(env.qsbr);
	return check_report("test_tnl4");
}
