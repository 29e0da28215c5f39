/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the tunnel unit tests (test_tnl6.c, test_tnl_flow.c) share: a sink for the packets
 * a tunnel port delivers (port_env.deliver), with the port each came in on, a quiet log,
 * opening a port from options, and the start-up (EAL without hugepages, a pool, a qsbr,
 * the underlay's internal port "tp0").  One test file includes it once; everything here
 * is that file's own.
 */
#ifndef VIREO_TESTS_TNL_SINK_H
#define VIREO_TESTS_TNL_SINK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "port.h"
#include "tnl.h"

#define MAX_GOT 64

static struct rte_mempool *mp;		/* the test's packets */
static struct port under = { .name = "tp0", .slot = 0, .mtu = 1500 };

static struct rte_mbuf *got[MAX_GOT];	/* what was delivered, in order */
static struct port *got_on[MAX_GOT];	/* the port each came in on */
static unsigned n_got;

/* port_env.deliver: keep up to MAX_GOT packets, free the rest. */
static inline uint16_t
deliver(void *aux, struct port *in, unsigned pmd, struct rte_mbuf **pkts, uint16_t n)
{
	(void)aux;
	(void)pmd;
	for (uint16_t i = 0; i < n; i++) {
		if (n_got < MAX_GOT) {
			got_on[n_got] = in;
			got[n_got++] = pkts[i];
		} else {
			rte_pktmbuf_free(pkts[i]);
		}
	}
	return 0;
}

static inline void
logf_quiet(const char *fmt, ...)
{
	(void)fmt;
}

static inline void
got_free(void)
{
	for (unsigned i = 0; i < n_got; i++)
		rte_pktmbuf_free(got[i]);
	n_got = 0;
}

static inline int
open_port(struct port *p, const char *name, const char *type, uint16_t slot,
	const struct port_option *o, unsigned n, const struct port_env *env, char **err)
{
	struct port_args a = { .options = o, .n_options = n };

	memset(p, 0, sizeof(*p));
	*err = NULL;
	return port_open(p, name, type, slot, &a, env, err);
}

/* Set the header checksum of the IPv4 header at 'ip' (its IHL's bytes). */
static inline void
ip4_csum_set(uint8_t *ip)
{
	uint32_t s = 0;

	ip[10] = ip[11] = 0;
	for (unsigned i = 0; i < (ip[0] & 0xfu) * 4; i += 2)
		s += (uint32_t)ip[i] << 8 | ip[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	ip[10] = (uint8_t)(~s >> 8);
	ip[11] = (uint8_t)~s;
}

/* The Internet checksum of the IPv6 pseudo-header of 'ip6' and 'len' bytes at 'l4' (a right
 * UDP checksum sums to 0). */
static inline uint16_t
sum6(const uint8_t *ip6, const uint8_t *l4, uint32_t len)
{
	uint32_t s = 0;

	for (unsigned i = 8; i < 40; i += 2)		/* source and destination */
		s += (uint32_t)ip6[i] << 8 | ip6[i + 1];
	s += len + ip6[6];
	for (uint32_t i = 0; i < len; i += 2)
		s += (uint32_t)l4[i] << 8 | (i + 1 < len ? l4[i + 1] : 0);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/*
 * EAL (no hugepages, file prefix NAME-PID), the pool 'mp', a qsbr for one PMD in
 * env->qsbr, and "tp0" as the underlay's internal port.  Returns 0, or -1 said on stderr.
 */
static inline int
tnl_test_start(char *argv0, const char *name, struct port_env *env)
{
	char prefix[64];
	char *eal[] = { argv0, "--no-huge", "--no-pci", "-m", "128", "--file-prefix", prefix,
		"--log-level=lib.eal:error", "--no-telemetry", "-l", "0", NULL };

	snprintf(prefix, sizeof(prefix), "%s-test-%d", name, (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	/* With the private area vireo-dp's pools have: the IPv6 tunnel endpoints live there. */
	mp = rte_pktmbuf_pool_create(name, 256, 0, sizeof(struct tnl_md6),
		RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	env->qsbr = calloc(1, rte_rcu_qsbr_get_memsize(1));
	if (mp == NULL || env->qsbr == NULL || rte_rcu_qsbr_init(env->qsbr, 1) != 0) {
		fprintf(stderr, "%s: no mbuf pool or qsbr\n", name);
		return -1;
	}
	tnl_internal_add(&under, env);
	return 0;
}

#endif
