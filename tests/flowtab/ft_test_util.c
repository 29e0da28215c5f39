/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers for flowtab's tests. */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_mempool.h>

#include "ft_test_util.h"

struct rte_mempool *
ft_test_eal_init(const char *prog, unsigned n_mbufs)
{
	char prefix[64];
	char *argv[] = { (char *)prog, "--no-huge", "--no-pci", "-m", "256", "--file-prefix",
		prefix, "--log-level=lib.eal:error", "--no-telemetry", "-l", "0-1", NULL };
	struct rte_mempool *mp;

	snprintf(prefix, sizeof(prefix), "ft-test-%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0) {
		fprintf(stderr, "%s: rte_eal_init failed\n", prog);
		exit(1);
	}
	mp = rte_pktmbuf_pool_create("ft_test", n_mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
			SOCKET_ID_ANY);
	if (!mp) {
		fprintf(stderr, "%s: mempool: %s\n", prog, rte_strerror(rte_errno));
		exit(1);
	}
	return mp;
}

static int
by_name(void *aux, const char *name, uint32_t *ofport)
{
	(void)aux;
	if (name[0] == 'p' && name[1] >= '1' && name[1] <= '8' && !name[2]) {
		*ofport = (uint32_t)(name[1] - '0');
		return 0;
	}
	return -ENOENT;
}

static const char *
name_of(void *aux, uint32_t ofport)
{
	static const char *const names[] = { NULL, "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8" };

	(void)aux;
	return ofport >= 1 && ofport <= 8 ? names[ofport] : NULL;
}

const struct flowtab_port_ops ft_test_ports = { by_name, name_of, NULL };

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t
l4_len_of(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return 20;
	case IPPROTO_UDP:
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
	case IPPROTO_SCTP:
		return 8;
	default:
		return 0;
	}
}

static void
fill_l4(uint8_t *l4, const struct ft_test_pkt *p)
{
	switch (p->proto) {
	case IPPROTO_TCP:
		put16(l4, p->sport);
		put16(l4 + 2, p->dport);
		put32(l4 + 4, 1);
		l4[12] = (uint8_t)(0x50 | ((p->tcp_flags >> 8) & 1));
		l4[13] = (uint8_t)p->tcp_flags;
		put16(l4 + 14, 8192);
		break;
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		put16(l4, p->sport);
		put16(l4 + 2, p->dport);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		l4[0] = (uint8_t)p->sport;
		l4[1] = (uint8_t)p->dport;
		break;
	}
}

/* Ones' complement sum over 'len' bytes. */
static uint32_t
sum16(const uint8_t *p, size_t len, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)(p[len - 1] << 8);
	return s;
}

static uint16_t
fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Compute the checksum of the L4 header at 'l4' ('len' bytes incl. payload). */
static uint16_t
l4_csum(const uint8_t *l3, bool v6, uint8_t proto, const uint8_t *l4, uint16_t len)
{
	uint32_t s = 0;

	if (proto == IPPROTO_ICMP)
		return fold(sum16(l4, len, 0));
	if (v6) {
		s = sum16(l3 + 8, 32, 0);
	} else {
		s = sum16(l3 + 12, 8, 0);
	}
	s += proto;
	s += len;
	return fold(sum16(l4, len, s));
}

static int
csum_field(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return 16;
	case IPPROTO_UDP:
		return 6;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return 2;
	default:
		return -1;
	}
}

struct rte_mbuf *
ft_test_build(struct rte_mempool *mp, const struct ft_test_pkt *p)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint16_t l4len = l4_len_of(p->proto), len, l2 = 14, iplen;
	uint8_t *d, *l3, *l4;
	int cf;

	if (!m)
		return NULL;
	d = (uint8_t *)rte_pktmbuf_append(m, 1500);
	memset(d, 0, 1500);
	memcpy(d, p->dst, 6);
	memcpy(d + 6, p->src, 6);
	if (p->vlan >= 0) {
		put16(d + 12, 0x8100);
		put16(d + 14, (uint16_t)p->vlan);
		l2 = 18;
	}
	put16(d + l2 - 2, p->dl_type);
	l3 = d + l2;
	if (p->dl_type == 0x0800) {
		iplen = (uint16_t)(20 + l4len + p->payload);
		l3[0] = 0x45;
		l3[1] = p->tos;
		put16(l3 + 2, iplen);
		l3[8] = p->ttl ? p->ttl : 64;
		l3[9] = p->proto;
		put32(l3 + 12, p->nw_src);
		put32(l3 + 16, p->nw_dst);
		put16(l3 + 10, fold(sum16(l3, 20, 0)));
		l4 = l3 + 20;
		fill_l4(l4, p);
		cf = csum_field(p->proto);
		if (cf >= 0)
			put16(l4 + cf, l4_csum(l3, false, p->proto, l4, (uint16_t)(l4len + p->payload)));
		len = (uint16_t)(l2 + iplen);
	} else if (p->dl_type == 0x86dd) {
		l3[0] = (uint8_t)(0x60 | p->tos >> 4);
		l3[1] = (uint8_t)(p->tos << 4);
		put16(l3 + 4, (uint16_t)(l4len + p->payload));
		l3[6] = p->proto;
		l3[7] = p->ttl ? p->ttl : 64;
		memcpy(l3 + 8, p->ip6_src, 16);
		memcpy(l3 + 24, p->ip6_dst, 16);
		l4 = l3 + 40;
		fill_l4(l4, p);
		cf = csum_field(p->proto);
		if (cf >= 0 && p->proto != IPPROTO_ICMP)
			put16(l4 + cf, l4_csum(l3, true, p->proto, l4, (uint16_t)(l4len + p->payload)));
		len = (uint16_t)(l2 + 40 + l4len + p->payload);
	} else if (p->dl_type == 0x0806) {
		put16(l3, 1);
		put16(l3 + 2, 0x0800);
		l3[4] = 6;
		l3[5] = 4;
		put16(l3 + 6, p->arp_op);
		memcpy(l3 + 8, p->src, 6);
		put32(l3 + 14, p->nw_src);
		put32(l3 + 24, p->nw_dst);
		len = (uint16_t)(l2 + 28);
	} else {
		len = (uint16_t)(l2 + 46);
	}
	if (len < 60)
		len = 60;
	rte_pktmbuf_trim(m, (uint16_t)(1500 - len));
	return m;
}

bool
ft_test_csum_ok(struct rte_mbuf *m, const char **why)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *), *l3, *l4, copy[1500];
	uint16_t type = (uint16_t)(d[12] << 8 | d[13]), l2 = 14, len, c;
	uint8_t proto;
	bool v6;
	int cf;

	*why = "";
	while (type == 0x8100 || type == 0x88a8) {
		type = (uint16_t)(d[l2 + 2] << 8 | d[l2 + 3]);
		l2 += 4;
	}
	l3 = d + l2;
	if (type == 0x0800) {
		if (fold(sum16(l3, 20, 0)) != 0) {
			*why = "IPv4 header checksum";
			return false;
		}
		v6 = false;
		proto = l3[9];
		l4 = l3 + 20;
		len = (uint16_t)((l3[2] << 8 | l3[3]) - 20);
	} else if (type == 0x86dd) {
		v6 = true;
		proto = l3[6];
		l4 = l3 + 40;
		len = (uint16_t)(l3[4] << 8 | l3[5]);
	} else {
		return true;
	}
	cf = csum_field(proto);
	if (cf < 0)
		return true;
	memcpy(copy, l4, len);
	c = (uint16_t)(copy[cf] << 8 | copy[cf + 1]);
	if (proto == IPPROTO_UDP && c == 0)
		return true;
	copy[cf] = copy[cf + 1] = 0;
	if (l4_csum(l3, v6, proto, copy, len) != c &&
	    !(proto == IPPROTO_UDP && c == 0xffff && l4_csum(l3, v6, proto, copy, len) == 0)) {
		*why = "L4 checksum";
		return false;
	}
	return true;
}

static void
record(struct ft_capture *c, int kind, uint32_t port, struct rte_mbuf *m)
{
	if (c->n < RTE_DIM(c->rec)) {
		c->rec[c->n++] = (struct ft_capture_rec){ kind, port, c->keep ? m : NULL };
		if (c->keep)
			return;
	}
	rte_pktmbuf_free(m);
}

static void
cap_output(void *ctx, uint32_t port, struct rte_mbuf *m)
{
	record(ctx, 0, port, m);
}

static void
cap_output_burst(void *ctx, uint32_t port, struct rte_mbuf **pkts, uint16_t n)
{
	struct ft_capture *c = ctx;

	c->bursts++;
	for (uint16_t i = 0; i < n; i++)
		record(c, 0, port, pkts[i]);
}

static void
cap_normal(void *ctx, uint32_t in_port, struct rte_mbuf *m)
{
	record(ctx, 1, in_port, m);
}

static void
cap_flood(void *ctx, uint32_t in_port, struct rte_mbuf *m, bool all)
{
	record(ctx, all ? 3 : 2, in_port, m);
}

void
ft_capture_init(struct ft_capture *c, struct flowtab_out *out, bool keep)
{
	memset(c, 0, sizeof(*c));
	c->keep = keep;
	memset(out, 0, sizeof(*out));	/* fields the test does not set (controller) are off */
	out->output = cap_output;
	out->output_burst = cap_output_burst;
	out->normal = cap_normal;
	out->flood = cap_flood;
	out->ctx = c;
}

void
ft_capture_reset(struct ft_capture *c)
{
	unsigned i;

	for (i = 0; i < c->n; i++)
		if (c->rec[i].m)
			rte_pktmbuf_free(c->rec[i].m);
	c->n = 0;
}

int
ft_test_add(struct flowtab *ft, const char *text)
{
	char *err = NULL;
	int ret = flowtab_add_flows(ft, &text, NULL, 1, NULL, &err);

	CHECK(ret == 0, "add '%s': %s", text, err ? err : "?");
	free(err);
	return ret;
}
