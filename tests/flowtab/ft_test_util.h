/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_FT_TEST_UTIL_H
#define VIREO_FT_TEST_UTIL_H

/* Helpers for flowtab's tests: EAL setup, packet builders, a capturing 'struct flowtab_out'. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_mbuf.h>

#include "check.h"
#include "flowtab.h"

/** Start EAL without hugepages or PCI, with a unique file prefix; returns a mempool. */
struct rte_mempool *ft_test_eal_init(const char *prog, unsigned n_mbufs);

/** Ports p1..p8 = ofport 1..8. */
extern const struct flowtab_port_ops ft_test_ports;

/** Fields of a test packet; zero fields get defaults. */
struct ft_test_pkt {
	uint8_t dst[6], src[6];
	int vlan;              /**< -1: untagged, else the TCI */
	uint16_t dl_type;      /**< 0x0800, 0x86dd, 0x0806 or other */
	uint8_t proto;         /**< IP protocol */
	uint32_t nw_src, nw_dst; /**< host order */
	uint8_t ip6_src[16], ip6_dst[16];
	uint8_t tos, ttl;
	uint16_t sport, dport; /**< or ICMP type/code */
	uint16_t tcp_flags;
	uint16_t arp_op;
	uint16_t payload;
};

struct rte_mbuf *ft_test_build(struct rte_mempool *mp, const struct ft_test_pkt *p);

/** Verify the IPv4 header checksum and the L4 checksum of 'm' (full recomputation). */
bool ft_test_csum_ok(struct rte_mbuf *m, const char **why);

/** What a 'struct flowtab_out' saw. */
struct ft_capture_rec {
	int kind;              /**< 0 output, 1 normal, 2 flood, 3 all */
	uint32_t port;
	struct rte_mbuf *m;
};

struct ft_capture {
	struct ft_capture_rec rec[4096];
	unsigned n;
	unsigned bursts;       /**< output_burst() calls */
	bool keep;             /**< keep mbufs (caller frees with ft_capture_reset) */
};

void ft_capture_init(struct ft_capture *c, struct flowtab_out *out, bool keep);
void ft_capture_reset(struct ft_capture *c);

/** Add one rule, failing the test with the message on error. */
int ft_test_add(struct flowtab *ft, const char *text);

#endif /* VIREO_FT_TEST_UTIL_H */
