/* SPDX-License-Identifier: BSD-3-Clause */
/* flowtab_process_burst(): forwarding decisions and every action's effect on packet bytes. */

#include <stdlib.h>
#include <string.h>

#include "ft_test_util.h"

static struct rte_mempool *mp;

static const struct ft_test_pkt tcp_pkt = {
	.dst = { 0x02, 0, 0, 0, 0, 2 }, .src = { 0x02, 0, 0, 0, 0, 1 }, .vlan = -1,
	.dl_type = 0x0800, .proto = 6, .nw_src = 0x0a000001, .nw_dst = 0x0a000002, .tos = 0x21,
	.ttl = 64, .sport = 1234, .dport = 80, .tcp_flags = 0x12, .payload = 17,
};

/* Run one packet through 'ft' on 'in_port'; returns the capture (mbufs kept). */
static void
run1(struct flowtab_pmd *pmd, struct flowtab *ft, const struct ft_test_pkt *p, uint32_t in_port,
		struct ft_capture *cap, struct flowtab_out *out)
{
	struct rte_mbuf *m = ft_test_build(mp, p);

	ft_capture_reset(cap);
	flowtab_process_burst(pmd, ft, &m, 1, in_port, out);
}

static struct flowtab *
table(const char *const *rules, size_t n)
{
	struct flowtab *ft = flowtab_create("br0", &ft_test_ports, NULL);
	char *err = NULL;

	if (flowtab_add_flows(ft, rules, NULL, n, "test", &err))
		CHECK(0, "add: %s", err);
	free(err);
	return ft;
}

static void
test_forwarding(struct flowtab_pmd *pmd)
{
	static const char *const rules[] = {
		"in_port=1,actions=output:2",
		"in_port=2,actions=output:1",
		"priority=10,in_port=3,actions=drop",
		"priority=0,actions=NORMAL",
		"priority=200,in_port=4,actions=flood",
		"priority=200,in_port=5,actions=all",
		"priority=200,in_port=6,actions=in_port",
		"priority=200,in_port=7,actions=output:7",
	};
	struct flowtab *ft = table(rules, RTE_DIM(rules));
	struct ft_capture *cap = calloc(1, sizeof(*cap));
	struct flowtab_out out;
	struct rte_mbuf *burst[32];
	char *dump = NULL, *err = NULL;
	int i, round;

	ft_capture_init(cap, &out, true);
	for (round = 0; round < 3; round++) {   /* classifier, then EMC hits */
		run1(pmd, ft, &tcp_pkt, 1, cap, &out);
		CHECK(cap->n == 1 && cap->rec[0].kind == 0 && cap->rec[0].port == 2, "in_port=1 -> 2");
		run1(pmd, ft, &tcp_pkt, 2, cap, &out);
		CHECK(cap->n == 1 && cap->rec[0].kind == 0 && cap->rec[0].port == 1, "in_port=2 -> 1");
		run1(pmd, ft, &tcp_pkt, 3, cap, &out);
		CHECK(cap->n == 0, "in_port=3 dropped");
		run1(pmd, ft, &tcp_pkt, 8, cap, &out);
		CHECK(cap->n == 1 && cap->rec[0].kind == 1 && cap->rec[0].port == 8, "NORMAL");
		run1(pmd, ft, &tcp_pkt, 4, cap, &out);
		CHECK(cap->n == 1 && cap->rec[0].kind == 2 && cap->rec[0].port == 4, "FLOOD");
		run1(pmd, ft, &tcp_pkt, 5, cap, &out);
		CHECK(cap->n == 1 && cap->rec[0].kind == 3, "ALL");
		run1(pmd, ft, &tcp_pkt, 6, cap, &out);
		CHECK(cap->n == 1 && cap->rec[0].kind == 0 && cap->rec[0].port == 6, "IN_PORT");
		run1(pmd, ft, &tcp_pkt, 7, cap, &out);
		CHECK(cap->n == 0, "output to the input port is dropped");
	}
	/* A full burst, counters. */
	ft_capture_reset(cap);
	for (i = 0; i < 32; i++)
		burst[i] = ft_test_build(mp, &tcp_pkt);
	flowtab_process_burst(pmd, ft, burst, 32, 1, &out);
	CHECK(cap->n == 32, "burst of 32: %u out", cap->n);
	CHECK(flowtab_dump_flows(ft, "in_port=1", &dump, &err) == 0, "dump: %s", err);
	CHECK(dump && strstr(dump, "n_packets=35, n_bytes=2485,"), "counters: %s", dump);
	CHECK(flowtab_pmd_stats(pmd)->emc_hits > 0, "emc hits counted");
	free(dump);
	ft_capture_reset(cap);
	free(cap);
	flowtab_destroy(ft);
}

int
main(int argc, char **argv)
{
	struct flowtab_pmd *pmd;

	(void)argc;
	mp = ft_test_eal_init(argv[0], 8192);
	pmd = flowtab_pmd_create(0, -1);
	test_forwarding(pmd);
	flowtab_pmd_destroy(pmd);
	return ft_test_finish("test_ft_datapath");
}
