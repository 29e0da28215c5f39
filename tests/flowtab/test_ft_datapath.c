/* SPDX-License-Identifier: BSD-3-Clause */
/* flowtab_process_burst(): forwarding decisions and every action's effect on packet bytes. */

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <rte_mbuf_dyn.h>

#include "flowtab_gm.h"
#include "ft_private.h"
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

/* Run 'n' copies of 'p' through 'ft' as one burst on 'in_port' (mbufs left in 'burst'). */
static void
run_n(struct flowtab_pmd *pmd, struct flowtab *ft, const struct ft_test_pkt *p, unsigned n,
		uint32_t in_port, struct rte_mbuf **burst, const struct flowtab_out *out)
{
	for (unsigned i = 0; i < n; i++)
		burst[i] = ft_test_build(mp, p);
	flowtab_process_burst(pmd, ft, burst, (uint16_t)n, in_port, out);
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
		/* Matches nothing below; keeps the table off the in_port-only path. */
		"priority=300,tcp,tp_dst=9,actions=drop",
	};
	struct flowtab *ft = table(rules, RTE_DIM(rules));
	struct ft_capture *cap = calloc(1, sizeof(*cap));
	struct flowtab_out out;
	struct rte_mbuf *burst[70];
	char *dump = NULL, *err = NULL;
	int round;

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
	run_n(pmd, ft, &tcp_pkt, 32, 1, burst, &out);
	CHECK(cap->n == 32, "burst of 32: %u out", cap->n);
	CHECK(flowtab_dump_flows(ft, "in_port=1", &dump, &err) == 0, "dump: %s", err);
	CHECK(dump && strstr(dump, "n_packets=35, n_bytes=2485,"), "counters: %s", dump);
	CHECK(flowtab_pmd_stats(pmd)->emc_hits > 0, "emc hits counted");
	free(dump);
	/* More than a burst's worth in one call. */
	ft_capture_reset(cap);
	run_n(pmd, ft, &tcp_pkt, 70, 2, burst, &out);
	CHECK(cap->n == 70 && cap->rec[69].port == 1, "a call with 70 packets: %u out", cap->n);
	ft_capture_reset(cap);
	free(cap);
	flowtab_destroy(ft);
}

/*
 * A table whose rules look at in_port at most decides a burst with one lookup: same
 * outputs, counters and drops as the staged path; actions other than an output or NORMAL,
 * and misses, still go packet by packet; a rule on other fields turns the shortcut off.
 */
static void
test_inport_burst(struct flowtab_pmd *pmd)
{
	static const char *const rules[] = {
		"in_port=1,actions=output:2",
		"in_port=2,actions=NORMAL",
		"in_port=3,actions=output:3",
		"in_port=4,actions=mod_vlan_vid:5,output:2",
		"in_port=6,actions=drop",
	};
	struct flowtab *ft = table(rules, RTE_DIM(rules));
	struct ft_capture *cap = calloc(1, sizeof(*cap));
	struct flowtab_pmd_stats before;
	struct rte_mbuf *burst[32];
	struct flowtab_out out;
	char *dump = NULL, *err = NULL;
	unsigned i, n_vlan = 0;
	struct ft_test_pkt p80 = tcp_pkt;
	bool all_to_2 = true;

	p80.dport = 80;
	ft_capture_init(cap, &out, true);
	before = *flowtab_pmd_stats(pmd);
	run_n(pmd, ft, &tcp_pkt, 32, 1, burst, &out);
	for (i = 0; i < cap->n; i++)
		all_to_2 &= cap->rec[i].kind == 0 && cap->rec[i].port == 2 && cap->rec[i].m == burst[i];
	CHECK(cap->n == 32 && all_to_2 && cap->bursts == 1,
		"in_port=1: 32 packets to port 2 in order, one output_burst() (%u out, %u calls)",
		cap->n, cap->bursts);
	CHECK(flowtab_pmd_stats(pmd)->megaflow_hits == before.megaflow_hits + 32 &&
		flowtab_pmd_stats(pmd)->passes == before.passes + 32 &&
		flowtab_pmd_stats(pmd)->subtable_lookups - before.subtable_lookups == 1,
		"one classifier lookup for the burst (%" PRIu64 " subtables probed)",
		flowtab_pmd_stats(pmd)->subtable_lookups - before.subtable_lookups);
	ft_capture_reset(cap);
	before = *flowtab_pmd_stats(pmd);
	run_n(pmd, ft, &tcp_pkt, 32, 1, burst, &out);
	CHECK(cap->n == 32 && flowtab_pmd_stats(pmd)->emc_hits == before.emc_hits + 32 &&
		flowtab_pmd_stats(pmd)->subtable_lookups == before.subtable_lookups,
		"the next burst: one flow cache hit for all (%u out)", cap->n);
	ft_capture_reset(cap);
	run_n(pmd, ft, &tcp_pkt, 8, 2, burst, &out);
	CHECK(cap->n == 8 && cap->rec[0].kind == 1 && cap->rec[7].kind == 1 &&
		cap->rec[7].port == 2, "in_port=2: NORMAL for each packet (%u)", cap->n);
	ft_capture_reset(cap);
	run_n(pmd, ft, &tcp_pkt, 8, 3, burst, &out);
	CHECK(cap->n == 0, "in_port=3: output to the input port dropped (%u out)", cap->n);
	ft_capture_reset(cap);
	run_n(pmd, ft, &tcp_pkt, 8, 4, burst, &out);
	for (i = 0; i < cap->n; i++) {
		const uint8_t *b = rte_pktmbuf_mtod(cap->rec[i].m, const uint8_t *);

		n_vlan += cap->rec[i].port == 2 && b[12] == 0x81 && b[13] == 0x00 && b[15] == 5;
	}
	CHECK(n_vlan == 8, "in_port=4: other actions run per packet (%u of 8 tagged)", n_vlan);
	ft_capture_reset(cap);
	run_n(pmd, ft, &tcp_pkt, 8, 5, burst, &out);
	run_n(pmd, ft, &tcp_pkt, 1, 6, burst, &out);
	CHECK(cap->n == 0, "in_port=5 (no rule) and in_port=6 (drop): nothing out");
	CHECK(flowtab_dump_flows(ft, "", &dump, &err) == 0, "dump: %s", err);
	CHECK(dump && strstr(dump, "n_packets=64, n_bytes=4544, idle_age=0, in_port=p1 ") &&
		strstr(dump, "n_packets=8, n_bytes=568, idle_age=0, in_port=p2 ") &&
		strstr(dump, "n_packets=8, n_bytes=568, idle_age=0, in_port=p3 ") &&
		strstr(dump, "n_packets=1, n_bytes=71, idle_age=0, in_port=p6 "), "counters: %s", dump);
	free(dump);
	dump = NULL;

	/*
	 * The rule a burst's in_port found is remembered per PMD: a new rule in its place, a
	 * port whose number shares its slot (9, 1 + FT_INPORT_MEMO) and the same port number
	 * in another table are each decided by their own rule.
	 */
	{
		static const char *const other_rules[] = { "in_port=1,actions=output:3" };
		struct flowtab *ft2 = table(other_rules, 1);
		bool ok = true;

		CHECK(ft_test_add(ft, "priority=50000,in_port=1,actions=output:4") == 0 &&
			ft_test_add(ft, "in_port=9,actions=output:5") == 0, "add in_port=1 -> 4, 9 -> 5");
		for (i = 0; i < 3; i++) {
			ft_capture_reset(cap);
			run_n(pmd, ft, &tcp_pkt, 4, 1, burst, &out);
			ok &= cap->n == 4 && cap->rec[3].port == 4;
			ft_capture_reset(cap);
			run_n(pmd, ft, &tcp_pkt, 4, 9, burst, &out);
			ok &= cap->n == 4 && cap->rec[3].port == 5;
			ft_capture_reset(cap);
			run_n(pmd, ft2, &tcp_pkt, 4, 1, burst, &out);
			ok &= cap->n == 4 && cap->rec[3].port == 3;
		}
		CHECK(ok, "in_port 1, 9 and another table's in_port 1, alternating: 4, 5 and 3");
		CHECK(flowtab_del_flows(ft, "priority=50000,in_port=1", true, NULL, &err) == 0,
			"del: %s", err);
		ft_capture_reset(cap);
		run_n(pmd, ft, &tcp_pkt, 4, 1, burst, &out);
		CHECK(cap->n == 4 && cap->rec[3].port == 2, "the rule deleted: in_port=1 to 2 again "
			"(%u out, to %u)", cap->n, cap->n ? cap->rec[cap->n - 1].port : 0);
		CHECK(flowtab_del_flows(ft, "in_port=9", true, NULL, &err) == 0, "del: %s", err);
		flowtab_destroy(ft2);
	}

	/* A rule on tp_dst: in_port no longer decides, each packet is looked at. */
	CHECK(ft_test_add(ft, "priority=40000,tcp,tp_dst=80,actions=output:4") == 0, "add tp_dst");
	ft_capture_reset(cap);
	for (i = 0; i < 4; i++) {
		struct ft_test_pkt p = tcp_pkt;

		p.dport = i % 2 ? 80 : 81;
		burst[i] = ft_test_build(mp, &p);
	}
	flowtab_process_burst(pmd, ft, burst, 4, 1, &out);
	CHECK(cap->n == 4 && cap->rec[0].port == 2 && cap->rec[1].port == 4 &&
		cap->rec[2].port == 2 && cap->rec[3].port == 4,
		"with a tp_dst rule: 80 to port 4, 81 to port 2 (%u out: %u %u %u %u)", cap->n,
		cap->rec[0].port, cap->rec[1].port, cap->rec[2].port, cap->rec[3].port);
	CHECK(flowtab_del_flows(ft, "priority=40000,tcp,tp_dst=80", true, NULL, &err) == 0, "del: %s", err);
	ft_capture_reset(cap);
	before = *flowtab_pmd_stats(pmd);
	run_n(pmd, ft, &p80, 4, 1, burst, &out);
	CHECK(cap->n == 4 && cap->rec[3].port == 2 &&
		flowtab_pmd_stats(pmd)->subtable_lookups - before.subtable_lookups == 1,
		"rule deleted: in_port decides the burst again (%u out, to %u)", cap->n,
		cap->rec[3].port);
	ft_capture_reset(cap);
	free(err);
	free(cap);
	flowtab_destroy(ft);
}

/*
 * Runs of packets bound for one port leave through output_burst(), one call a run, and the
 * order of packets is kept across runs, other actions and the per-packet output() path.
 */
static void
test_output_runs(struct flowtab_pmd *pmd)
{
	static const char *const rules[] = {
		"tcp,tp_dst=80,actions=output:2",
		"tcp,tp_dst=81,actions=output:3",
		"tcp,tp_dst=82,actions=NORMAL",
		"tcp,tp_dst=83,actions=output:1",	/* the input port: dropped */
	};
	static const uint16_t dports[] = { 80, 80, 81, 81, 81, 80, 82, 80, 83, 80 };
	static const int want_kind[] = { 0, 0, 0, 0, 0, 0, 1, 0, -1, 0 };
	static const uint32_t want_port[] = { 2, 2, 3, 3, 3, 2, 1, 2, 0, 2 };
	struct flowtab *ft = table(rules, RTE_DIM(rules));
	struct ft_capture *cap = calloc(1, sizeof(*cap));
	struct rte_mbuf *burst[RTE_DIM(dports)], *sent[RTE_DIM(dports)];
	struct flowtab_out out;

	ft_capture_init(cap, &out, true);
	for (int per_packet = 0; per_packet < 2; per_packet++) {
		unsigned i, r = 0;
		bool order = true;

		if (per_packet)
			out.output_burst = NULL;
		ft_capture_reset(cap);
		cap->bursts = 0;
		for (i = 0; i < RTE_DIM(dports); i++) {
			struct ft_test_pkt p = tcp_pkt;

			p.dport = dports[i];
			burst[i] = sent[i] = ft_test_build(mp, &p);
		}
		flowtab_process_burst(pmd, ft, burst, RTE_DIM(dports), 1, &out);
		CHECK(cap->n == RTE_DIM(dports) - 1, "runs (%s): %u of %zu out", per_packet ?
			"output()" : "output_burst()", cap->n, RTE_DIM(dports) - 1);
		for (i = 0; i < RTE_DIM(dports) && r < cap->n; i++) {
			if (want_kind[i] < 0)
				continue;
			order &= cap->rec[r].m == sent[i] && cap->rec[r].kind == want_kind[i] &&
				(want_kind[i] != 0 || cap->rec[r].port == want_port[i]);
			r++;
		}
		CHECK(order, "runs (%s): packets leave in order, each to its port",
			per_packet ? "output()" : "output_burst()");
		CHECK(cap->bursts == (per_packet ? 0u : 4u), "output_burst() once a run: %u calls",
			cap->bursts);
	}
	ft_capture_reset(cap);
	free(cap);
	flowtab_destroy(ft);
}

/* Apply 'actions' (in a rule matching everything) to 'p'; returns the captured outputs. */
static struct ft_capture *
apply(struct flowtab_pmd *pmd, const char *actions, const struct ft_test_pkt *p)
{
	static struct ft_capture cap;
	static struct flowtab_out out;
	struct flowtab *ft = flowtab_create("br0", &ft_test_ports, NULL);
	char text[512];

	snprintf(text, sizeof(text), "actions=%s", actions);
	ft_capture_reset(&cap);
	ft_capture_init(&cap, &out, true);
	ft_test_add(ft, text);
	run1(pmd, ft, p, 9, &cap, &out);
	flowtab_destroy(ft);
	return &cap;
}

static uint8_t *
bytes(struct ft_capture *c, unsigned i)
{
	return rte_pktmbuf_mtod(c->rec[i].m, uint8_t *);
}

static void
expect_csum(struct ft_capture *c, unsigned i, const char *what)
{
	const char *why;

	CHECK(c->n > i && ft_test_csum_ok(c->rec[i].m, &why), "%s: bad %s", what,
			c->n > i ? why : "(no packet)");
}

static void
test_rewrites(struct flowtab_pmd *pmd)
{
	struct ft_test_pkt udp = tcp_pkt, icmp = tcp_pkt, v6 = tcp_pkt, tagged = tcp_pkt;
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x42 };
	struct ft_capture *c;
	uint8_t *d;

	udp.proto = 17;
	icmp.proto = 1;
	icmp.sport = 8;
	icmp.dport = 0;
	v6.dl_type = 0x86dd;
	v6.ip6_src[15] = 1;
	v6.ip6_dst[15] = 2;
	tagged.vlan = 0x2005;

	c = apply(pmd, "mod_dl_src:00:00:00:00:00:aa,mod_dl_dst:00:00:00:00:00:bb,output:1", &tcp_pkt);
	CHECK(c->n == 1 && bytes(c, 0)[11] == 0xaa && bytes(c, 0)[5] == 0xbb, "mod_dl_*");

	c = apply(pmd, "mod_nw_src:192.168.7.9,mod_nw_dst:172.16.0.1,output:1", &tcp_pkt);
	d = c->n ? bytes(c, 0) : NULL;
	CHECK(d && d[26] == 192 && d[29] == 9 && d[30] == 172 && d[33] == 1, "mod_nw_* on tcp");
	expect_csum(c, 0, "mod_nw_* on tcp");
	c = apply(pmd, "mod_nw_src:192.168.7.9,output:1", &udp);
	expect_csum(c, 0, "mod_nw_src on udp");
	c = apply(pmd, "mod_nw_dst:1.1.1.1,output:1", &icmp);
	expect_csum(c, 0, "mod_nw_dst on icmp");

	c = apply(pmd, "mod_nw_tos:64,output:1", &tcp_pkt);
	CHECK(c->n == 1 && bytes(c, 0)[15] == 0x41, "mod_nw_tos keeps ECN");
	expect_csum(c, 0, "mod_nw_tos");
	c = apply(pmd, "set_field:10->ip_dscp,output:1", &tcp_pkt);
	CHECK(c->n == 1 && bytes(c, 0)[15] == 0x29, "set_field ip_dscp");
	expect_csum(c, 0, "set_field ip_dscp");

	c = apply(pmd, "dec_ttl,output:1", &tcp_pkt);
	CHECK(c->n == 1 && bytes(c, 0)[22] == 63, "dec_ttl");
	expect_csum(c, 0, "dec_ttl");
	c = apply(pmd, "mod_nw_ttl:5,output:1", &tcp_pkt);
	CHECK(c->n == 1 && bytes(c, 0)[22] == 5, "mod_nw_ttl");
	expect_csum(c, 0, "mod_nw_ttl");
	udp.ttl = 1;
	c = apply(pmd, "output:2,dec_ttl,output:1", &udp);
	CHECK(c->n == 1 && c->rec[0].port == 2, "dec_ttl of ttl 1 drops (after earlier outputs)");
	udp.ttl = 64;

	c = apply(pmd, "mod_tp_src:4321,mod_tp_dst:8080,output:1", &tcp_pkt);
	d = c->n ? bytes(c, 0) : NULL;
	CHECK(d && d[34] == 0x10 && d[35] == 0xe1 && d[36] == 0x1f && d[37] == 0x90, "mod_tp_* tcp");
	expect_csum(c, 0, "mod_tp_* tcp");
	c = apply(pmd, "set_field:53->udp_dst,output:1", &udp);
	CHECK(c->n == 1 && bytes(c, 0)[37] == 53, "set_field udp_dst");
	expect_csum(c, 0, "set_field udp_dst");

	c = apply(pmd, "set_field:2001:db8::42->ipv6_src,dec_ttl,output:1", &v6);
	d = c->n ? bytes(c, 0) : NULL;
	CHECK(d && !memcmp(d + 22, a6, 16) && d[21] == 63, "ipv6_src + hop limit");
	expect_csum(c, 0, "set_field ipv6_src");
	c = apply(pmd, "set_field:2001:db8::42->ipv6_dst,mod_tp_dst:22,output:1", &v6);
	expect_csum(c, 0, "set_field ipv6_dst + tp_dst");

	c = apply(pmd, "mod_vlan_vid:100,output:1", &tcp_pkt);
	d = c->n ? bytes(c, 0) : NULL;
	CHECK(d && d[12] == 0x81 && d[13] == 0 && d[14] == 0 && d[15] == 100 && d[16] == 0x08,
			"mod_vlan_vid pushes a tag");
	CHECK(c->n && rte_pktmbuf_pkt_len(c->rec[0].m) == 75, "tagged length");
	expect_csum(c, 0, "mod_vlan_vid");
	c = apply(pmd, "mod_vlan_vid:100,mod_vlan_pcp:7,output:1", &tagged);
	d = c->n ? bytes(c, 0) : NULL;
	CHECK(d && d[14] == 0xe0 && d[15] == 100, "vid and pcp on a tagged packet: %02x%02x",
			d ? d[14] : 0, d ? d[15] : 0);
	c = apply(pmd, "strip_vlan,mod_nw_src:9.9.9.9,output:1", &tagged);
	d = c->n ? bytes(c, 0) : NULL;
	CHECK(d && d[12] == 0x08 && d[13] == 0 && d[26] == 9 && rte_pktmbuf_pkt_len(c->rec[0].m) == 71,
			"strip_vlan then rewrite at the new offset");
	expect_csum(c, 0, "strip_vlan");
	c = apply(pmd, "push_vlan:0x88a8,set_field:7->vlan_vid,mod_nw_dst:8.8.8.8,output:1", &tcp_pkt);
	d = c->n ? bytes(c, 0) : NULL;
	CHECK(d && d[12] == 0x88 && d[13] == 0xa8 && d[15] == 7 && d[34] == 8, "push_vlan 0x88a8");
	expect_csum(c, 0, "push_vlan");
	c = apply(pmd, "push_vlan:0x8100,output:1", &tagged);
	d = c->n ? bytes(c, 0) : NULL;
	CHECK(d && d[12] == 0x81 && d[14] == 0x20 && d[15] == 0x05 && d[16] == 0x81 &&
	      d[18] == 0x20, "push_vlan on a tagged packet copies the outer tag");

	/* Outputs see the packet as it was when they were executed. */
	c = apply(pmd, "output:1,mod_dl_dst:00:00:00:00:00:cc,output:2,output:3", &tcp_pkt);
	CHECK(c->n == 3, "three outputs: %u", c->n);
	if (c->n == 3) {
		CHECK(c->rec[0].port == 1 && bytes(c, 0)[5] == 2, "first output unmodified");
		CHECK(c->rec[1].port == 2 && bytes(c, 1)[5] == 0xcc, "second output modified");
		CHECK(c->rec[2].port == 3 && bytes(c, 2)[5] == 0xcc, "third output modified");
		CHECK(c->rec[0].m != c->rec[1].m && c->rec[1].m != c->rec[2].m, "distinct mbufs");
	}
	c = apply(pmd, "output:1,NORMAL,FLOOD", &tcp_pkt);
	CHECK(c->n == 3 && c->rec[0].kind == 0 && c->rec[1].kind == 1 && c->rec[2].kind == 2,
			"output, NORMAL, FLOOD");
	ft_capture_reset(c);
}

/* The packet's tunnel metadata as captured output 'i' carries it, NULL if none. */
static const struct flowtab_tnl_md *
md_of(struct ft_capture *c, unsigned i)
{
	if (i >= c->n || !(c->rec[i].m->ol_flags & flowtab_tnl_md_flag))
		return NULL;
	return RTE_MBUF_DYNFIELD(c->rec[i].m, flowtab_tnl_md_offset, struct flowtab_tnl_md *);
}

/*
 * set_field to tun_dst and tun_src (remote_ip=flow, local_ip=flow ports send with them):
 * each output carries the values set before it, not the ones set after.
 */
static void
test_tun_addrs(struct flowtab_pmd *pmd)
{
	const struct flowtab_tnl_md *m0, *m1;
	struct ft_capture *c;

	if (flowtab_tnl_md_register() != 0 || flowtab_tnl_md_offset < 0) {
		CHECK(0, "the tunnel metadata field registers");
		return;
	}
	c = apply(pmd, "set_field:172.31.13.2->tun_dst,set_field:100->tun_id,output:1,"
			"set_field:172.31.13.3->tun_dst,set_field:10.0.0.9->tun_src,output:2",
			&tcp_pkt);
	m0 = md_of(c, 0);
	m1 = md_of(c, 1);
	CHECK(c->n == 2 && c->rec[0].port == 1 && c->rec[1].port == 2, "two outputs (%u)", c->n);
	CHECK(m0 != NULL && m0->tun_dst == htonl(0xac1f0d02) && m0->tun_src == 0 &&
			m0->tun_id == rte_cpu_to_be_64(100),
			"the first output: tun_dst 172.31.13.2, tun_id 100, no tun_src");
	CHECK(m1 != NULL && m1->tun_dst == htonl(0xac1f0d03) && m1->tun_src == htonl(0x0a000009) &&
			m1->tun_id == rte_cpu_to_be_64(100),
			"the second: tun_dst 172.31.13.3, tun_src 10.0.0.9, tun_id still 100");
	c = apply(pmd, "output:1", &tcp_pkt);
	CHECK(c->n == 1 && md_of(c, 0) == NULL, "no set_field: no tunnel metadata");
	ft_capture_reset(c);
}

/* The IPv6 endpoints output 'i' carries in its private area, NULL if none. */
static const struct flowtab_tnl_md6 *
md6_of(struct ft_capture *c, unsigned i)
{
	const struct flowtab_tnl_md *md = md_of(c, i);

	return md != NULL && (md->flags & FLOWTAB_TNL_MD_F_IPV6) ?
		flowtab_tnl_md6_of(c->rec[i].m) : NULL;
}

/*
 * The same over IPv6 (tun_ipv6_dst, tun_ipv6_src: the mbuf's private area, in a pool that
 * has one as vireo-dp's); a later table sees what was set; a received packet's endpoints
 * match a rule's prefix.
 */
static void
test_tun_addrs6(struct flowtab_pmd *pmd)
{
	static const char *const rules[] = {
		"priority=20,in_port=7,actions=resubmit(,2)",
		"priority=10,actions=set_field:fd00:13::2->tun_ipv6_dst,resubmit(,1)",
		"table=1,priority=10,tun_ipv6_dst=fd00:13::2,actions=output:3",
		"table=1,priority=0,actions=output:4",
		"table=2,priority=10,tun_ipv6_src=fd00:13::/64,actions=output:5",
		"table=2,priority=0,actions=output:6",
	};
	struct rte_mempool *mp0 = mp, *mp6 = rte_pktmbuf_pool_create("ft_dp6", 512, 0,
		RTE_CACHE_LINE_ROUNDUP(sizeof(struct flowtab_tnl_md6)), RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	const struct flowtab_tnl_md6 *a, *b;
	struct ft_capture *c, *cap = calloc(1, sizeof(*cap));
	struct flowtab *ft = table(rules, RTE_DIM(rules));
	struct in6_addr d2, d3, s11;
	struct flowtab_out out;
	struct rte_mbuf *m;

	CHECK(mp6 != NULL && cap != NULL, "a pool with a private area");
	if (mp6 == NULL || cap == NULL)
		goto out;
	inet_pton(AF_INET6, "fd00:13::2", &d2);
	inet_pton(AF_INET6, "fd00:13::3", &d3);
	inet_pton(AF_INET6, "fd00:13::11", &s11);
	mp = mp6;
	c = apply(pmd, "set_field:fd00:13::2->tun_ipv6_dst,output:1,"
			"set_field:fd00:13::3->tun_ipv6_dst,set_field:fd00:13::11->tun_ipv6_src,"
			"output:2", &tcp_pkt);
	a = md6_of(c, 0);
	b = md6_of(c, 1);
	CHECK(c->n == 2 && a != NULL && b != NULL && !memcmp(a->dst, &d2, 16) &&
			IN6_IS_ADDR_UNSPECIFIED((const struct in6_addr *)a->src) &&
			!memcmp(b->dst, &d3, 16) && !memcmp(b->src, &s11, 16),
			"each output carries the tun_ipv6_dst/src set before it (the first a copy)");
	ft_capture_init(cap, &out, true);
	run1(pmd, ft, &tcp_pkt, 1, cap, &out);
	CHECK(cap->n == 1 && cap->rec[0].port == 3,
			"a later table matches the tun_ipv6_dst a rule set (port %u)",
			cap->n ? cap->rec[0].port : 0);
	ft_capture_reset(cap);
	for (int with = 0; with < 2; with++) {
		struct flowtab_tnl_md *md;

		m = ft_test_build(mp6, &tcp_pkt);
		md = RTE_MBUF_DYNFIELD(m, flowtab_tnl_md_offset, struct flowtab_tnl_md *);
		memset(md, 0, sizeof(*md));
		md->flags = with ? FLOWTAB_TNL_MD_F_IPV6 : 0;
		memcpy(flowtab_tnl_md6_of(m)->src, &s11, 16);
		m->ol_flags |= flowtab_tnl_md_flag;
		ft_capture_reset(cap);
		flowtab_process_burst(pmd, ft, &m, 1, 7, &out);
		CHECK(cap->n == 1 && cap->rec[0].port == (with ? 5u : 6u),
				"a received packet %s IPv6 endpoints: tun_ipv6_src=fd00:13::/64 %s",
				with ? "with" : "without", with ? "matches" : "does not match");
	}
	ft_capture_reset(cap);
out:
	mp = mp0;
	flowtab_destroy(ft);
	free(cap);
	rte_mempool_free(mp6);
}

static void
test_pipeline(struct flowtab_pmd *pmd)
{
	static const char *const rules[] = {
		"priority=10,tcp,actions=mod_nw_src:1.2.3.4,resubmit(,1),output:4",
		"priority=5,udp,actions=goto_table:2",
		"priority=1,actions=resubmit(9,1)",
		"table=1,priority=10,ip,nw_src=1.2.3.4,actions=output:2",
		"table=1,priority=5,in_port=9,actions=output:3",
		"table=2,actions=mod_tp_dst:99,resubmit(,3)",
		"table=3,udp,tp_dst=99,actions=output:5",
	};
	struct flowtab *ft = table(rules, RTE_DIM(rules));
	struct ft_capture *cap = calloc(1, sizeof(*cap));
	struct ft_test_pkt udp = tcp_pkt, arp = tcp_pkt;
	struct flowtab_out out;
	char *dump = NULL, *err = NULL;
	int round;

	udp.proto = 17;
	arp.dl_type = 0x0806;
	arp.arp_op = 1;
	ft_capture_init(cap, &out, true);
	for (round = 0; round < 2; round++) {
		run1(pmd, ft, &tcp_pkt, 1, cap, &out);
		CHECK(cap->n == 2 && cap->rec[0].port == 2 && cap->rec[1].port == 4,
				"resubmit sees the rewritten key, then the list goes on");
		run1(pmd, ft, &udp, 1, cap, &out);
		CHECK(cap->n == 1 && cap->rec[0].port == 5, "goto_table + resubmit chain");
		run1(pmd, ft, &arp, 1, cap, &out);
		CHECK(cap->n == 1 && cap->rec[0].port == 3, "resubmit with a new in_port");
	}
	CHECK(flowtab_dump_flows(ft, "table=3", &dump, &err) == 0, "dump: %s", err);
	CHECK(dump && strstr(dump, "n_packets=2,"), "table 3 counters: %s", dump);
	free(dump);
	ft_capture_reset(cap);
	/* An endless resubmit loop is dropped at the depth limit (tests/flowtab/test_ft_limits.c
	 * has the details). */
	flowtab_destroy(ft);
	{
		static const char *const loop[] = {
			"actions=goto_table:4",
			"table=4,actions=resubmit(,5),output:6",
			"table=5,actions=resubmit(,4),output:6",
		};

		ft = table(loop, 3);
		run1(pmd, ft, &tcp_pkt, 1, cap, &out);
		CHECK(cap->n == 0, "resubmit loop dropped: %u outputs", cap->n);
		ft_capture_reset(cap);
		flowtab_destroy(ft);
	}
	free(cap);
}

/* One PMD context serves two bridges whose port numbers overlap: no cross-talk in its cache. */
static void
test_two_bridges(struct flowtab_pmd *pmd)
{
	static const char *const r1[] = { "in_port=1,actions=output:2" };
	static const char *const r2[] = { "in_port=1,actions=output:3" };
	struct flowtab *a = table(r1, 1), *b = table(r2, 1);
	struct ft_capture *cap = calloc(1, sizeof(*cap));
	struct flowtab_out out;
	int i;

	ft_capture_init(cap, &out, true);
	for (i = 0; i < 3; i++) {
		run1(pmd, a, &tcp_pkt, 1, cap, &out);
		CHECK(cap->n == 1 && cap->rec[0].port == 2, "bridge a");
		run1(pmd, b, &tcp_pkt, 1, cap, &out);
		CHECK(cap->n == 1 && cap->rec[0].port == 3, "bridge b");
	}
	ft_capture_reset(cap);
	free(cap);
	flowtab_destroy(a);
	flowtab_destroy(b);
}

/* mod-flows turning a plain output into a rewrite: the datapath must start parsing L3. */
static void
test_mod_to_rewrite(struct flowtab_pmd *pmd)
{
	static const char *const rules[] = { "in_port=1,actions=output:2" };
	struct flowtab *ft = table(rules, 1);
	struct ft_capture *cap = calloc(1, sizeof(*cap));
	struct flowtab_out out;
	char *err = NULL;
	const char *why;
	uint8_t *d;

	ft_capture_init(cap, &out, true);
	run1(pmd, ft, &tcp_pkt, 1, cap, &out);
	CHECK(cap->n == 1, "before mod");
	CHECK(flowtab_mod_flows(ft, "in_port=1,actions=mod_nw_src:9.8.7.6,mod_tp_dst:8080,output:2",
			false, &err) == 0, "mod: %s", err);
	run1(pmd, ft, &tcp_pkt, 1, cap, &out);
	d = cap->n ? rte_pktmbuf_mtod(cap->rec[0].m, uint8_t *) : NULL;
	CHECK(d && d[26] == 9 && d[29] == 6 && d[36] == 0x1f && d[37] == 0x90,
			"rewrites after mod-flows");
	CHECK(cap->n && ft_test_csum_ok(cap->rec[0].m, &why), "checksums after mod-flows");
	ft_capture_reset(cap);
	free(cap);
	flowtab_destroy(ft);
}

/* flowtab_out.own: counts the bursts it was asked to make the switch's own. */
static unsigned n_own, n_own_pkts;

static uint16_t
count_own(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	(void)ctx;
	(void)pkts;
	n_own++;
	n_own_pkts += n;
	return n;
}

static unsigned n_own_head, n_own_head_pkts;

static uint16_t
count_own_head(void *ctx, struct rte_mbuf **pkts, uint16_t n)
{
	(void)ctx;
	(void)pkts;
	n_own_head++;
	n_own_head_pkts += n;
	return n;
}

/*
 * flowtab_lends(): true while every rule reads packets, rewrites at most their headers and
 * sends them on; any rule that keeps them (controller, group) or sends them back (in_port,
 * ALL) makes it false, by add-flow, mod-flows or replace, and flowtab_process_burst() then
 * asks the owner to make the burst its own before those rules see it.  A rule that rewrites
 * headers has it make only their first segments its own (own_head; own without it).
 */
static void
test_lends(struct flowtab_pmd *pmd)
{
	static const char *const reading[] = {
		"in_port=1,actions=output:2",
		"table=0,in_port=2,actions=goto_table:1",
		"table=1,ip,nw_dst=10.0.0.2,actions=output:1,output:3",
		"table=1,priority=0,actions=resubmit(,2)",
		"table=2,actions=NORMAL",
		"in_port=3,actions=FLOOD",
		"in_port=4,actions=drop",
	};
	static const char *const rewriting[] = {
		"in_port=9,actions=mod_dl_dst:02:00:00:00:00:09,output:2",
		"in_port=9,actions=dec_ttl,output:2",
		"in_port=9,actions=push_vlan:0x8100,output:2",
		"in_port=9,actions=strip_vlan,mod_nw_dst:10.0.0.9,mod_tp_src:99,output:2",
	};
	static const char *const keeping[] = {
		"in_port=9,actions=CONTROLLER",
		"in_port=9,actions=output:2,in_port",
		"in_port=9,actions=ALL",
		"in_port=9,actions=set_field:5->tun_id,output:2",
	};
	struct flowtab *ft = table(reading, sizeof(reading) / sizeof(reading[0]));
	struct ft_capture *cap = calloc(1, sizeof(*cap));
	struct flowtab_out out;
	char *err = NULL;

	ft_capture_init(cap, &out, true);
	out.own = count_own;
	out.own_head = count_own_head;
	CHECK(flowtab_lends(ft), "rules that only read and send on lend");
	n_own = n_own_pkts = n_own_head = 0;
	run1(pmd, ft, &tcp_pkt, 1, cap, &out);
	CHECK(cap->n == 1 && n_own == 0 && n_own_head == 0,
		"... and their bursts are not made own (%u, %u)", n_own, n_own_head);
	for (size_t i = 0; i < RTE_DIM(rewriting); i++) {
		const char *text = rewriting[i];

		CHECK(flowtab_add_flows(ft, &text, NULL, 1, "test", &err) == 0, "add %s: %s", text,
			err);
		CHECK(flowtab_lends(ft), "after %s, still lending", text);
		n_own = n_own_head = n_own_head_pkts = 0;
		run1(pmd, ft, &tcp_pkt, 1, cap, &out);
		CHECK(n_own == 0 && n_own_head == 1 && n_own_head_pkts == 1,
			"... and only the burst's headers are made own (%u, %u)", n_own, n_own_head);
		out.own_head = NULL;
		n_own = 0;
		run1(pmd, ft, &tcp_pkt, 1, cap, &out);
		CHECK(n_own == 1, "... or the whole burst, without own_head (%u)", n_own);
		out.own_head = count_own_head;
		CHECK(flowtab_del_flows(ft, "in_port=9", false, NULL, &err) == 0, "del: %s", err);
	}
	for (size_t i = 0; i < sizeof(keeping) / sizeof(keeping[0]); i++) {
		const char *text = keeping[i];

		CHECK(flowtab_add_flows(ft, &text, NULL, 1, "test", &err) == 0, "add %s: %s", text,
			err);
		CHECK(!flowtab_lends(ft), "after %s, no lending", text);
		n_own = n_own_pkts = 0;
		run1(pmd, ft, &tcp_pkt, 1, cap, &out);
		CHECK(n_own == 1 && n_own_pkts == 1, "... and a burst is made own first (%u)",
			n_own);
		CHECK(flowtab_del_flows(ft, "in_port=9", false, NULL, &err) == 0, "del: %s", err);
		CHECK(flowtab_lends(ft), "deleting %s lends again", text);
	}
	CHECK(flowtab_mod_flows(ft, "in_port=1,actions=mod_nw_src:9.8.7.6,output:2", false,
		&err) == 0, "mod: %s", err);
	CHECK(flowtab_lends(ft), "mod-flows to a rewrite: still lending");
	n_own = n_own_head = 0;
	run1(pmd, ft, &tcp_pkt, 1, cap, &out);
	CHECK(n_own == 0 && n_own_head == 1 && cap->n == 1,
		"... the burst's headers are made own, then forwarded");
	CHECK(flowtab_mod_flows(ft, "in_port=1,actions=CONTROLLER", false, &err) == 0,
		"mod: %s", err);
	CHECK(!flowtab_lends(ft), "mod-flows to CONTROLLER: no lending");
	n_own = 0;
	run1(pmd, ft, &tcp_pkt, 1, cap, &out);
	CHECK(n_own == 1, "... the burst is made own first");
	CHECK(flowtab_mod_flows(ft, "in_port=1,actions=output:2", false, &err) == 0, "mod: %s",
		err);
	CHECK(flowtab_lends(ft), "mod-flows back to an output lends again");
	{
		const char *text = "in_port=1,actions=group:1";
		struct flowtab_group_spec spec;
		enum flowtab_gm_error why;
		char *buf = NULL;

		CHECK(flowtab_group_parse("group_id=1,type=all,bucket=output:2", &ft_test_ports,
			&spec, &buf, &err) == 0 && flowtab_group_mod(ft, FLOWTAB_GM_ADD, &spec, &why,
			&err) == 0, "group 1: %s", err ? err : "");
		free(buf);
		CHECK(flowtab_lends(ft), "a group alone changes nothing");
		CHECK(flowtab_replace_flows(ft, &text, NULL, 1, "test", &err) == 0, "replace: %s",
			err);
		CHECK(!flowtab_lends(ft), "a rule sending to a group (buckets not looked into) "
			"does not lend");
	}
	ft_capture_reset(cap);
	free(cap);
	free(err);
	flowtab_destroy(ft);
}

/* Subtables of equal best priority are re-ranked by the hits the PMDs saw. */
static void
test_rerank(struct flowtab_pmd *pmd)
{
	static const char *const rules[] = {
		"dl_dst=02:00:00:00:00:02,actions=output:2",
		"in_port=9,actions=output:3",
	};
	struct flowtab *ft = table(rules, RTE_DIM(rules));
	struct ft_capture *cap = calloc(1, sizeof(*cap));
	struct ft_test_pkt p = tcp_pkt;
	struct flowtab_out out;
	struct rte_mbuf *m;
	bool second_is_port;
	unsigned i;

	ft_capture_init(cap, &out, false);
	CHECK(ft->snap->tables[0]->n_subtables == 2, "two subtables");
	second_is_port = ft->snap->tables[0]->subtables[1]->mask.in_port != 0;
	for (i = 0; i < 2000; i++) {
		/* Distinct flows (no cache hits) that only the second subtable matches. */
		if (second_is_port) {
			p.dst[4] = (uint8_t)(i >> 8);
			p.dst[5] = (uint8_t)(i + 3);
			m = ft_test_build(mp, &p);
			flowtab_process_burst(pmd, ft, &m, 1, 9, &out);
		} else {
			m = ft_test_build(mp, &p);
			flowtab_process_burst(pmd, ft, &m, 1, 100 + i, &out);
		}
	}
	CHECK(cap->n == 2000, "all forwarded: %u", cap->n);
	flowtab_run_timeouts(ft);
	CHECK((ft->snap->tables[0]->subtables[0]->mask.in_port != 0) == second_is_port,
			"the subtable with the hits now comes first");
	flowtab_run_timeouts(ft);
	CHECK((ft->snap->tables[0]->subtables[0]->mask.in_port != 0) == second_is_port,
			"ranking is stable");
	/* The traffic moves to the other subtable: hits decay, the ranking follows. */
	p = tcp_pkt;
	for (i = 0; i < 2000; i++) {
		if (!second_is_port) {
			p.dst[4] = (uint8_t)(i >> 8);
			p.dst[5] = (uint8_t)(i + 3);
			m = ft_test_build(mp, &p);
			flowtab_process_burst(pmd, ft, &m, 1, 9, &out);
		} else {
			m = ft_test_build(mp, &p);
			flowtab_process_burst(pmd, ft, &m, 1, 100 + i, &out);
		}
	}
	flowtab_run_timeouts(ft);
	CHECK((ft->snap->tables[0]->subtables[0]->mask.in_port != 0) != second_is_port,
			"ranking follows the traffic");
	free(cap);
	flowtab_destroy(ft);
}

/* What the 'controller' callback of a flowtab_out received. */
struct ctl_seen {
	unsigned n;
	uint32_t in_port;
	uint16_t max_len;
	uint8_t reason;
	uint64_t cookie;
	uint32_t len;
};

static void
ctl_cb(void *ctx, uint32_t in_port, struct rte_mbuf *m, uint16_t max_len, uint8_t reason,
		uint8_t table, uint64_t cookie)
{
	/* The capture of the test, with the record right behind it. */
	struct ctl_seen *c = (struct ctl_seen *)((struct ft_capture *)ctx + 1);

	(void)table;
	c->n++;
	c->in_port = in_port;
	c->max_len = max_len;
	c->reason = reason;
	c->cookie = cookie;
	c->len = rte_pktmbuf_pkt_len(m);
	rte_pktmbuf_free(m);
}

/* Rules flagged send_flow_rem are reported when a timeout or a delete removes them. */
static uint64_t fake_now;
static unsigned n_removed;
static uint8_t last_reason;
static uint64_t last_cookie;

static uint64_t
fake_clock(void *aux)
{
	(void)aux;
	return fake_now;
}

static void
removed_cb(void *aux, const struct flowtab_rule_info *info, uint8_t reason)
{
	(void)aux;
	n_removed++;
	last_reason = reason;
	last_cookie = info->cookie;
}

static void
test_flow_removed(void)
{
	struct flowtab *ft = flowtab_create("br0", &ft_test_ports, NULL);
	char *err = NULL;

	fake_now = 1000;
	flowtab_set_clock(ft, fake_clock, NULL);
	flowtab_set_removed(ft, removed_cb, NULL);
	ft_test_add(ft, "cookie=1,hard_timeout=2,send_flow_rem,in_port=1,actions=output:2");
	ft_test_add(ft, "cookie=2,idle_timeout=1,send_flow_rem,in_port=2,actions=output:1");
	ft_test_add(ft, "cookie=3,hard_timeout=1,in_port=3,actions=output:1");
	ft_test_add(ft, "cookie=4,send_flow_rem,in_port=4,actions=output:1");
	fake_now = 2500;
	flowtab_run_timeouts(ft);
	CHECK(n_removed == 1 && last_reason == FLOWTAB_REMOVED_IDLE && last_cookie == 2 &&
		flowtab_n_rules(ft) == 2, "idle timeout: %u told (reason %u, cookie %lu), %zu left",
		n_removed, last_reason, (unsigned long)last_cookie, flowtab_n_rules(ft));
	fake_now = 3000;
	flowtab_run_timeouts(ft);
	CHECK(n_removed == 2 && last_reason == FLOWTAB_REMOVED_HARD && last_cookie == 1,
		"hard timeout: told with reason %u", last_reason);
	CHECK(flowtab_del_flows(ft, "", false, NULL, &err) == 0 && n_removed == 3 &&
		last_reason == FLOWTAB_REMOVED_DELETE && last_cookie == 4,
		"del-flows: told of the flagged rule only (%u)", n_removed);
	ft_test_add(ft, "cookie=5,send_flow_rem,in_port=5,actions=output:1");
	ft_test_add(ft, "cookie=6,send_flow_rem,in_port=6,actions=output:1");
	CHECK(flowtab_replace_flows(ft, (const char *[]){ "cookie=6,send_flow_rem,in_port=6,"
		"actions=output:1" }, NULL, 1, NULL, &err) == 0 && n_removed == 4 &&
		last_reason == FLOWTAB_REMOVED_DELETE && last_cookie == 5,
		"replace-flows: told of the flagged rule it removed, not the kept one (%u)",
		n_removed);
	CHECK(flowtab_apply_changes(ft, (const struct flowtab_change[]){
		{ FLOWTAB_CHANGE_ADD, "cookie=7,send_flow_rem,in_port=7,actions=drop" },
		{ FLOWTAB_CHANGE_DEL_STRICT, "in_port=6" } }, 2, &(size_t){ 0 }, &err) == 0 &&
		n_removed == 5 && last_cookie == 6 && flowtab_n_rules(ft) == 1,
		"a batch's delete: told (%u)", n_removed);
	CHECK(flowtab_add_flows(ft, (const char *[]){ "send_flow_rem=1,actions=drop" }, NULL, 1,
		NULL, &err) < 0 && err && strstr(err, "send_flow_rem"), "send_flow_rem takes no "
		"value: %s", err ? err : "accepted");
	free(err);
	flowtab_destroy(ft);
}

/* The CONTROLLER action, table-0 misses to the controller, and actions run on their own. */
static void
test_controller(struct flowtab_pmd *pmd)
{
	static const char *const rules[] = {
		"cookie=0x77,in_port=1,actions=controller:64,output:2",
		"in_port=2,actions=CONTROLLER",
	};
	struct flowtab *ft = table(rules, RTE_DIM(rules));
	struct ft_capture *cap = calloc(1, sizeof(*cap) + sizeof(struct ctl_seen));
	struct ctl_seen *seen = (struct ctl_seen *)(cap + 1);
	struct flowtab_actions *acts;
	struct flowtab_out out;
	struct rte_mbuf *m;
	char *dump = NULL, *err = NULL;

	ft_capture_init(cap, &out, false);
	out.controller = ctl_cb;
	run1(pmd, ft, &tcp_pkt, 1, cap, &out);
	CHECK(seen->n == 1 && seen->max_len == 64 && seen->reason == FLOWTAB_REASON_ACTION &&
		seen->cookie == 0x77 && seen->in_port == 1 && cap->n == 1 && cap->rec[0].port == 2,
		"controller:64 then output:2: %u packet_ins (max_len %u reason %u cookie %#lx), "
		"%u outputs", seen->n, seen->max_len, seen->reason, (unsigned long)seen->cookie,
		cap->n);
	memset(seen, 0, sizeof(*seen));
	run1(pmd, ft, &tcp_pkt, 2, cap, &out);
	CHECK(seen->n == 1 && seen->max_len == 65535, "actions=CONTROLLER: %u, max_len %u",
		seen->n, seen->max_len);
	CHECK(flowtab_dump_flows(ft, NULL, &dump, &err) == 0 && dump &&
		strstr(dump, "actions=CONTROLLER:64,output:p2") &&
		strstr(dump, "actions=CONTROLLER:65535"), "dump: %s", dump ? dump : err);
	free(dump);

	/* A table-miss rule (priority 0, no match) sends misses, with its max_len, told apart
	 * from a miss without rule (1.0 reports them as actions). */
	CHECK(ft_test_add(ft, "priority=0,actions=controller:77") == 0, "add table-miss rule");
	memset(seen, 0, sizeof(*seen));
	run1(pmd, ft, &tcp_pkt, 3, cap, &out);
	CHECK(seen->n == 1 && seen->reason == FLOWTAB_REASON_EXPLICIT_MISS && seen->max_len == 77,
		"table-miss rule: %u packet_ins, reason %u, max_len %u", seen->n, seen->reason,
		seen->max_len);
	CHECK(flowtab_del_flows(ft, "priority=0", true, NULL, &err) == 0, "del table-miss");

	/* A miss is dropped unless the owner asks for it. */
	memset(seen, 0, sizeof(*seen));
	run1(pmd, ft, &tcp_pkt, 3, cap, &out);
	CHECK(seen->n == 0 && cap->n == 0, "miss without miss_to_controller: %u packet_ins",
		seen->n);
	out.miss_to_controller = true;
	run1(pmd, ft, &tcp_pkt, 3, cap, &out);
	CHECK(seen->n == 1 && seen->reason == FLOWTAB_REASON_MISS && seen->in_port == 3 &&
		seen->cookie == UINT64_MAX && seen->len > 54, "miss to controller: %u, reason %u, "
		"%u bytes", seen->n, seen->reason, seen->len);

	/* packet_out's way: an action list run on one packet, resubmit(,0) into the table. */
	acts = flowtab_actions_parse(ft, "output:4,resubmit(,0)", &err);
	CHECK(acts != NULL, "parse actions: %s", err ? err : "?");
	memset(seen, 0, sizeof(*seen));
	ft_capture_reset(cap);
	m = ft_test_build(mp, &tcp_pkt);
	flowtab_execute(pmd, ft, acts, m, 1, &out);
	CHECK(cap->n == 2 && cap->rec[0].port == 4 && cap->rec[1].port == 2 && seen->n == 1,
		"execute output:4,resubmit(,0) from port 1: %u outputs, %u packet_ins", cap->n,
		seen->n);
	flowtab_actions_free(acts);
	CHECK(flowtab_actions_parse(ft, "output:4,bogus", &err) == NULL && err,
		"a bad action list is refused");
	free(err);
	ft_capture_reset(cap);
	free(cap);
	flowtab_destroy(ft);
}

/* Dump line of the rule 'match' selects (strict), for its counters and actions. */
static char *
dump_of(struct flowtab *ft, const char *match)
{
	char *out = NULL, *err = NULL;

	CHECK(flowtab_dump_flows(ft, match, &out, &err) == 0, "dump %s: %s", match, err);
	free(err);
	return out ? out : strdup("");
}

/*
 * A batch with modifies (an OpenFlow bundle of mod-flows): nothing changes before the
 * commit; then the modified rule keeps its counters and is not reported removed, a modify
 * reaches a rule an earlier add of the batch made, and the datapath runs the new actions
 * (a rewrite, where only L2 was parsed).  A modify refused at the commit changes nothing.
 */
/* A batch of adds only (an OpenFlow connection's burst of flow_mods): nothing changes before
 * the commit; an add replaces the rule of the same identity, a later add of the batch an
 * earlier one; the others stay. */
static void
test_batch_adds(struct flowtab_pmd *pmd)
{
	static const char *const rules[] = {
		"in_port=1,actions=output:2",
		"priority=5,in_port=3,actions=output:2",
	};
	struct flowtab *ft = table(rules, 2);
	struct ft_capture *cap = calloc(1, sizeof(*cap));
	struct flowtab_batch *b = flowtab_batch_create(ft);
	struct flowtab_out out;
	char *err = NULL, *d;
	size_t n_del;

	ft_capture_init(cap, &out, true);
	CHECK(b && !flowtab_batch_add(b, "in_port=1,actions=output:4", &err) &&
		!flowtab_batch_add(b, "priority=9,in_port=2,actions=output:1", &err) &&
		!flowtab_batch_add(b, "in_port=1,actions=output:3", &err), "adds: %s", err);
	run1(pmd, ft, &tcp_pkt, 1, cap, &out);
	CHECK(cap->n == 1 && cap->rec[0].port == 2 && flowtab_n_rules(ft) == 2,
		"adds: nothing changes before the commit");
	CHECK(flowtab_batch_commit(b, &err) == 0, "adds: commit: %s", err);
	flowtab_batch_destroy(b);
	run1(pmd, ft, &tcp_pkt, 1, cap, &out);
	CHECK(cap->n == 1 && cap->rec[0].port == 3 && flowtab_n_rules(ft) == 3,
		"adds: the batch's last add for in_port=1 replaced the rule; 3 rules (%zu)",
		flowtab_n_rules(ft));
	d = dump_of(ft, "in_port=2");
	CHECK(strstr(d, "priority=9,in_port=p2 actions=output:p1") != NULL, "adds: the new rule: %s",
		d);
	free(d);
	d = dump_of(ft, "in_port=3");
	CHECK(strstr(d, "priority=5,in_port=p3 actions=output:p2") != NULL,
		"adds: the untouched rule stays: %s", d);
	free(d);
	/* Single adds to a bigger table take the incremental snapshot path (the previous
	 * snapshot's subtables copied and added to): a replaced identity, a lower priority
	 * under the same key, a new mask, then a delete that uncovers the lower one. */
	for (unsigned i = 0; i < 12; i++) {
		char text[64];

		snprintf(text, sizeof(text), "priority=3,in_port=%u,actions=drop", 10 + i);
		CHECK(ft_test_add(ft, text) == 0, "filler rule %u", i);
	}
	CHECK(ft_test_add(ft, "in_port=1,actions=output:4") == 0 &&
		ft_test_add(ft, "priority=7,in_port=1,actions=output:2") == 0 &&
		ft_test_add(ft, "priority=40000,in_port=1,tcp,actions=output:3") == 0,
		"three single adds");
	run1(pmd, ft, &tcp_pkt, 1, cap, &out);
	CHECK(cap->n == 1 && cap->rec[0].port == 3, "a new mask with a higher priority wins");
	CHECK(flowtab_del_flows(ft, "priority=40000,in_port=1,tcp", true, &n_del, &err) == 0,
		"delete it: %s", err);
	run1(pmd, ft, &tcp_pkt, 1, cap, &out);
	CHECK(cap->n == 1 && cap->rec[0].port == 4,
		"the replaced in_port=1 rule's new actions, not the priority 7 one (port %u)",
		cap->n ? cap->rec[0].port : 0);
	CHECK(flowtab_del_flows(ft, "in_port=1", true, &n_del, &err) == 0, "delete it: %s", err);
	run1(pmd, ft, &tcp_pkt, 1, cap, &out);
	CHECK(cap->n == 1 && cap->rec[0].port == 2, "the priority 7 rule under it now");
	ft_capture_reset(cap);
	free(cap);
	flowtab_destroy(ft);
}

static void
test_batch_modify(struct flowtab_pmd *pmd)
{
	static const char *const rules[] = {
		"send_flow_rem,in_port=1,actions=output:2",
		"priority=5,in_port=3,actions=output:2",
	};
	struct flowtab *ft = table(rules, 2);
	struct ft_capture *cap = calloc(1, sizeof(*cap));
	struct flowtab_batch *b = flowtab_batch_create(ft);
	unsigned removed_before;
	struct flowtab_out out;
	char *err = NULL, *d1, *d2;
	uint8_t *d;

	flowtab_set_removed(ft, removed_cb, NULL);
	removed_before = n_removed;
	ft_capture_init(cap, &out, true);
	run1(pmd, ft, &tcp_pkt, 1, cap, &out);
	CHECK(cap->n == 1 && cap->rec[0].port == 2, "before the batch");
	CHECK(b && !flowtab_batch_mod(b, "in_port=1,actions=mod_nw_src:9.8.7.6,output:3", false,
		&err) && !flowtab_batch_add(b, "priority=9,in_port=2,actions=output:1", &err) &&
		!flowtab_batch_mod(b, "in_port=2,actions=output:3", false, &err) &&
		!flowtab_batch_del(b, "priority=5,in_port=3", true, &err), "batch: %s", err);
	CHECK(flowtab_batch_mod(b, "in_port=1,actions=group:7", false, &err) == -EINVAL,
		"a modify to a group that does not exist is refused when added");
	free(err);
	err = NULL;
	run1(pmd, ft, &tcp_pkt, 1, cap, &out);
	CHECK(cap->n == 1 && cap->rec[0].port == 2 && flowtab_n_rules(ft) == 2,
		"nothing changes before the commit");
	CHECK(flowtab_batch_commit(b, &err) == 0, "commit: %s", err);
	flowtab_batch_destroy(b);
	run1(pmd, ft, &tcp_pkt, 1, cap, &out);
	d = cap->n ? rte_pktmbuf_mtod(cap->rec[0].m, uint8_t *) : NULL;
	CHECK(cap->n == 1 && cap->rec[0].port == 3 && d && d[26] == 9 && d[29] == 6,
		"the modified rule rewrites and outputs to 3");
	d1 = dump_of(ft, "in_port=1");
	d2 = dump_of(ft, "in_port=2");
	CHECK(strstr(d1, "n_packets=3,") != NULL, "counters kept across the modify: %s", d1);
	CHECK(strstr(d2, "priority=9,in_port=p2 actions=output:p3") != NULL,
		"the modify reached the batch's own add: %s", d2);
	CHECK(flowtab_n_rules(ft) == 2 && n_removed == removed_before,
		"the delete went, the modify was not reported removed (%u)",
		n_removed - removed_before);
	free(d1);
	free(d2);
	/* Refused at the commit (a loop in the rule's own table): nothing changes. */
	b = flowtab_batch_create(ft);
	CHECK(b && !flowtab_batch_del(b, "in_port=2", false, &err) &&
		!flowtab_batch_mod(b, "in_port=1,actions=resubmit(,0)", false, &err),
		"second batch: %s", err);
	CHECK(flowtab_batch_commit(b, &err) == -EINVAL && err && strstr(err, "loop"),
		"a looping modify fails the commit: %s", err ? err : "committed");
	flowtab_batch_destroy(b);
	free(err);
	CHECK(flowtab_n_rules(ft) == 2, "the failed batch changed nothing");
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
	test_output_runs(pmd);
	test_inport_burst(pmd);
	test_rewrites(pmd);
	test_tun_addrs(pmd);
	test_tun_addrs6(pmd);
	test_pipeline(pmd);
	test_rerank(pmd);
	test_two_bridges(pmd);
	test_mod_to_rewrite(pmd);
	test_lends(pmd);
	test_controller(pmd);
	test_flow_removed();
	test_batch_modify(pmd);
	test_batch_adds(pmd);
	flowtab_pmd_destroy(pmd);
	return check_report("test_ft_datapath");
}
