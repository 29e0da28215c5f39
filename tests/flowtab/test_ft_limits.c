/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The work one packet may cost is bounded: at most 4096 resubmit/goto_table actions, group
 * actions and buckets run, 4096 outputs and controller actions (copies of the packet), and
 * 64 levels of nesting.  A packet over a limit is dropped and counted in the PMD's statistics;
 * a rule that loops on every packet it matches is refused when it is added.  Registered
 * with a short meson timeout: without the limits the doubling rules below never finish, and
 * a group check that walks every path takes minutes over the widest group chain.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flowtab_gm.h"
#include "ft_private.h"
#include "ft_test_util.h"

static struct rte_mempool *mp;

static const struct ft_test_pkt tcp_pkt = {
	.dst = { 0x02, 0, 0, 0, 0, 2 }, .src = { 0x02, 0, 0, 0, 0, 1 }, .vlan = -1,
	.dl_type = 0x0800, .proto = 6, .nw_src = 0x0a000001, .nw_dst = 0x0a000002,
	.ttl = 64, .sport = 1234, .dport = 80, .payload = 17,
};

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

/* Send one packet into 'ft' on port 1; the capture keeps what came out. */
static void
send1(struct flowtab_pmd *pmd, struct flowtab *ft, struct ft_capture *cap,
		struct flowtab_out *out)
{
	struct rte_mbuf *m = ft_test_build(mp, &tcp_pkt);

	ft_capture_reset(cap);
	flowtab_process_burst(pmd, ft, &m, 1, 1, out);
}

/*
 * resubmit(1,0),resubmit(1,0) for a packet from port 1: each level doubles, 2^64 lookups when
 * the depth limit only skips the resubmit at the bottom.  (resubmit(,0),resubmit(,0) itself
 * is refused when added, see test_refused().)  The packet is dropped at depth 64.
 */
static void
test_doubling(struct flowtab_pmd *pmd, struct ft_capture *cap, struct flowtab_out *out)
{
	static const char *const rules[] = {
		"priority=1,actions=resubmit(1,0),resubmit(1,0),output:2",
		"priority=2,actions=resubmit(,1),resubmit(,1),output:2",
		"table=1,actions=resubmit(,0),resubmit(,0)",
	};
	const struct flowtab_pmd_stats *st = flowtab_pmd_stats(pmd);
	uint64_t deep, passes;
	struct flowtab *ft;
	unsigned i;

	for (i = 0; i < 2; i++) {
		ft = table(rules + i, i ? 2 : 1);
		deep = st->recursion_too_deep;
		passes = st->passes;
		send1(pmd, ft, cap, out);
		CHECK(cap->n == 0, "doubling loop %u: packet dropped, %u outputs", i, cap->n);
		CHECK(st->recursion_too_deep == deep + 1, "doubling loop %u counted once: %lu", i,
				(unsigned long)(st->recursion_too_deep - deep));
		/* The first lookup and one per level down to the limit. */
		CHECK(st->passes - passes == 1 + FT_MAX_DEPTH, "lookups for one packet: %lu",
				(unsigned long)(st->passes - passes));
		ft_capture_reset(cap);
		flowtab_destroy(ft);
	}
}

/* 64 resubmits in each of three tables, 64^3 lookups: dropped after 4096 resubmits. */
static void
test_wide(struct flowtab_pmd *pmd, struct ft_capture *cap, struct flowtab_out *out)
{
	const struct flowtab_pmd_stats *st = flowtab_pmd_stats(pmd);
	struct flowtab *ft = flowtab_create("br0", &ft_test_ports, NULL);
	uint64_t many = st->too_many_resubmits, deep = st->recursion_too_deep;
	uint64_t passes = st->passes;
	char *dump = NULL, *err = NULL, acts[1200];
	int t, i;

	for (t = 0; t < 3; t++) {
		snprintf(acts, sizeof(acts), "table=%d,actions=output:2", t);
		for (i = 0; i < FT_MAX_ACTIONS - 1; i++)
			snprintf(acts + strlen(acts), sizeof(acts) - strlen(acts), ",resubmit(,%d)",
					t + 1);
		ft_test_add(ft, acts);
	}
	ft_test_add(ft, "table=3,actions=drop");
	send1(pmd, ft, cap, out);
	CHECK(st->too_many_resubmits == many + 1 && st->recursion_too_deep == deep,
			"over 4096 resubmits: counted %lu", (unsigned long)(st->too_many_resubmits - many));
	CHECK(st->passes - passes == 1 + FT_MAX_RESUBMITS, "lookups for one packet: %lu",
			(unsigned long)(st->passes - passes));
	/*
	 * Depth first: table 1's first run takes resubmits 1..4033 (63 runs of table 2, 64 each),
	 * its second run 4034, one more table 2 run 4035..4096.  So output:2 ran 1 + 2 + 64 times
	 * before the limit; every output but the last had sent its copy, the last (the packet
	 * itself) is dropped.
	 */
	CHECK(cap->n == 66, "copies sent before the limit: %u", cap->n);
	send1(pmd, ft, cap, out);
	CHECK(st->too_many_resubmits == many + 2, "second packet counted too");
	CHECK(flowtab_dump_flows(ft, "table=0", &dump, &err) == 0 && dump &&
	      strstr(dump, "n_packets=2,"), "the rule still counts its packets: %s",
	      dump ? dump : err);
	free(dump);
	ft_capture_reset(cap);
	flowtab_destroy(ft);
}

/* Nesting deeper than 64: dropped and counted as such, not as too many resubmits. */
static void
test_depth(struct flowtab_pmd *pmd, struct ft_capture *cap, struct flowtab_out *out)
{
	static const char *const rules[] = {
		"actions=goto_table:4",
		"table=4,actions=resubmit(,5),output:6",
		"table=5,actions=resubmit(,4),output:6",
	};
	struct flowtab *ft = table(rules, RTE_DIM(rules));
	const struct flowtab_pmd_stats *st = flowtab_pmd_stats(pmd);
	uint64_t deep = st->recursion_too_deep, many = st->too_many_resubmits;

	send1(pmd, ft, cap, out);
	CHECK(cap->n == 0, "endless nesting: packet dropped, %u outputs", cap->n);
	CHECK(st->recursion_too_deep == deep + 1 && st->too_many_resubmits == many,
			"counted as too deep (%lu) not too many (%lu)",
			(unsigned long)(st->recursion_too_deep - deep),
			(unsigned long)(st->too_many_resubmits - many));
	ft_capture_reset(cap);
	flowtab_destroy(ft);
}

/* Right under the limits a packet goes through: a 63-deep chain, and 4000 resubmits. */
static void
test_within(struct flowtab_pmd *pmd, struct ft_capture *cap, struct flowtab_out *out)
{
	const struct flowtab_pmd_stats *st = flowtab_pmd_stats(pmd);
	struct flowtab *ft = flowtab_create("br0", &ft_test_ports, NULL);
	uint64_t deep = st->recursion_too_deep, many = st->too_many_resubmits;
	char rule[128], acts[1100];
	int t, i;

	/* Table t resubmits to t+1, 64 nested resubmits in all: table 64 outputs. */
	for (t = 0; t < FT_MAX_DEPTH; t++) {
		snprintf(rule, sizeof(rule), "table=%d,actions=resubmit(,%d)", t, t + 1);
		ft_test_add(ft, rule);
	}
	snprintf(rule, sizeof(rule), "table=%d,actions=output:3", FT_MAX_DEPTH);
	ft_test_add(ft, rule);
	send1(pmd, ft, cap, out);
	CHECK(cap->n == 1 && cap->rec[0].port == 3, "64 nested resubmits: %u outputs", cap->n);
	flowtab_destroy(ft);

	/* 1 + 63 + 63 * 63 = 4033 resubmits: table 0 -> 1, 1 -> 63 x 2, 2 -> 63 x 3. */
	ft = flowtab_create("br0", &ft_test_ports, NULL);
	ft_test_add(ft, "actions=resubmit(,1),output:4");
	for (t = 1; t <= 2; t++) {
		snprintf(acts, sizeof(acts), "table=%d,actions=", t);
		for (i = 0; i < 63; i++)
			snprintf(acts + strlen(acts), sizeof(acts) - strlen(acts), "%sresubmit(,%d)",
					i ? "," : "", t + 1);
		ft_test_add(ft, acts);
	}
	ft_test_add(ft, "table=3,actions=drop");
	send1(pmd, ft, cap, out);
	CHECK(cap->n == 1 && cap->rec[0].port == 4, "4033 resubmits: %u outputs", cap->n);
	CHECK(st->recursion_too_deep == deep && st->too_many_resubmits == many,
			"nothing counted under the limits");
	ft_capture_reset(cap);
	flowtab_destroy(ft);
}

/* A rule that resubmits to its own table with the packet unchanged loops on every packet. */
static void
test_refused(void)
{
	static const char *const loops[] = {
		"actions=resubmit(,0),resubmit(,0)",
		"table=3,ip,actions=output:2,resubmit(,3)",
		"table=7,actions=resubmit(,7)",
		"table=7,in_port=1,actions=NORMAL,flood,resubmit(,7)",
	};
	static const char *const fine[] = {
		"actions=resubmit(,1),resubmit(,1)",
		"actions=resubmit(2,0)",
		"table=3,ip,actions=mod_nw_dst:1.2.3.4,resubmit(,3)",
		"table=7,actions=strip_vlan,resubmit(,7)",
		"table=7,actions=dec_ttl,resubmit(,7)",
	};
	struct flowtab *ft = flowtab_create("br0", &ft_test_ports, NULL);
	char *err = NULL;
	size_t i;

	for (i = 0; i < RTE_DIM(loops); i++) {
		CHECK(flowtab_add_flows(ft, &loops[i], NULL, 1, NULL, &err) == -EINVAL &&
		      err && strstr(err, "actions") && strstr(err, "loop"),
		      "'%s' refused: %s", loops[i], err ? err : "(accepted)");
		free(err);
		err = NULL;
	}
	CHECK(flowtab_n_rules(ft) == 0, "nothing installed: %zu", flowtab_n_rules(ft));
	for (i = 0; i < RTE_DIM(fine); i++)
		ft_test_add(ft, fine[i]);
	/* mod-flows decides with each selected rule's own table. */
	ft_test_add(ft, "table=9,in_port=5,actions=output:1");
	CHECK(flowtab_mod_flows(ft, "in_port=5,actions=resubmit(,9)", false, &err) == -EINVAL &&
	      err && strstr(err, "loop"), "mod-flows to a loop refused: %s", err ? err : "(accepted)");
	free(err);
	err = NULL;
	CHECK(flowtab_mod_flows(ft, "in_port=5,actions=resubmit(,10)", false, &err) == 0,
			"mod-flows to another table: %s", err ? err : "");
	free(err);
	flowtab_destroy(ft);
}

/* Group change 'cmd' from 'text': 0 or -errno with '*why'. */
static int
group_mod(struct flowtab *ft, enum flowtab_gm_command cmd, const char *text,
		enum flowtab_gm_error *why)
{
	struct flowtab_group_spec spec;
	char *buf = NULL, *err = NULL;
	int rc;

	*why = FLOWTAB_GM_OK;
	rc = flowtab_group_parse(text, &ft_test_ports, &spec, &buf, &err);
	CHECK(rc == 0, "parse: %s", err ? err : "");
	if (rc == 0)
		rc = flowtab_group_mod(ft, cmd, &spec, why, &err);
	free(buf);
	free(err);
	return rc;
}

/*
 * Groups 1..3 of type all, each of 'nb' buckets holding 'na' actions group:N+1; group 4's
 * 'nb' buckets output to port 2.  A rule sends the packet through group 1, then to port 3.
 */
static struct flowtab *
fanout(unsigned nb, unsigned na)
{
	struct flowtab *ft = flowtab_create("br0", &ft_test_ports, NULL);
	size_t n, size = 65536;
	char *text = malloc(size);
	enum flowtab_gm_error why;
	unsigned g, b, a;

	for (g = 4; g >= 1; g--) {
		n = (size_t)snprintf(text, size, "group_id=%u,type=all", g);
		for (b = 0; b < nb; b++) {
			n += (size_t)snprintf(text + n, size - n, ",bucket=actions=");
			for (a = 0; a < (g == 4 ? 1 : na); a++)
				n += (size_t)snprintf(text + n, size - n, g == 4 ? "output:2" :
						"%sgroup:%u", a ? "," : "", g + 1);
		}
		CHECK(n < size && group_mod(ft, FLOWTAB_GM_ADD, text, &why) == 0,
				"group %u: why %d", g, why);
	}
	free(text);
	ft_test_add(ft, "actions=group:1,output:3");
	return ft;
}

/*
 * Group actions and their buckets spend the packet's budget as resubmits do: 16 buckets of 16
 * group actions over four levels would be 2^28 bucket runs for one packet.  2 x 2 (255 steps)
 * stays within it.
 */
static void
test_group_fanout(struct flowtab_pmd *pmd, struct ft_capture *cap, struct flowtab_out *out)
{
	const struct flowtab_pmd_stats *st = flowtab_pmd_stats(pmd);
	uint64_t many = st->too_many_resubmits, deep = st->recursion_too_deep;
	struct flowtab *ft = fanout(16, 16);
	unsigned i, to2 = 0, to3 = 0;

	send1(pmd, ft, cap, out);
	for (i = 0; i < cap->n; i++) {
		to2 += cap->rec[i].port == 2;
		to3 += cap->rec[i].port == 3;
	}
	CHECK(to3 == 0, "the packet itself is dropped: %u to port 3", to3);
	CHECK(to2 < FT_MAX_RESUBMITS, "copies before the limit: %u", to2);
	CHECK(st->too_many_resubmits == many + 1 && st->recursion_too_deep == deep,
			"group fan-out counted once as too many resubmits: %lu",
			(unsigned long)(st->too_many_resubmits - many));
	ft_capture_reset(cap);
	flowtab_destroy(ft);

	ft = fanout(2, 2);
	send1(pmd, ft, cap, out);
	for (i = to2 = to3 = 0; i < cap->n; i++) {
		to2 += cap->rec[i].port == 2;
		to3 += cap->rec[i].port == 3;
	}
	CHECK(to2 == 128 && to3 == 1, "2 x 2 fan-out: %u copies to port 2, %u to port 3", to2, to3);
	CHECK(st->too_many_resubmits == many + 1, "nothing counted within the budget");
	ft_capture_reset(cap);
	flowtab_destroy(ft);
}

/* Copies that left by output, counted and freed: more than the capture could hold. */
static unsigned n_sent[4];

static void
count_output(void *ctx, uint32_t port, struct rte_mbuf *m)
{
	(void)ctx;
	n_sent[port < 4 ? port : 0]++;
	rte_pktmbuf_free(m);
}

static void
count_output_burst(void *ctx, uint32_t port, struct rte_mbuf **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++)
		count_output(ctx, port, pkts[i]);
}

/* Send one packet into 'ft' on port 1, counting its outputs by port in 'n_sent'. */
static void
send_counted(struct flowtab_pmd *pmd, struct flowtab *ft, const struct flowtab_out *out)
{
	struct flowtab_out cnt = *out;
	struct rte_mbuf *m = ft_test_build(mp, &tcp_pkt);

	cnt.output = count_output;
	cnt.output_burst = count_output_burst;
	memset(n_sent, 0, sizeof(n_sent));
	flowtab_process_burst(pmd, ft, &m, 1, 1, &cnt);
}

/* Table 0 resubmits 'n0' times to table 1, table 1 'n1' times to table 2, table 2 outputs
 * 'n2' times: n0 x n1 x n2 outputs. */
static struct flowtab *
fanout_outputs(unsigned n0, unsigned n1, unsigned n2)
{
	struct flowtab *ft = flowtab_create("br0", &ft_test_ports, NULL);
	char acts[1200];
	unsigned t, i, n;

	for (t = 0; t < 3; t++) {
		n = t == 0 ? n0 : t == 1 ? n1 : n2;
		snprintf(acts, sizeof(acts), "table=%u,actions=", t);
		for (i = 0; i < n; i++)
			snprintf(acts + strlen(acts), sizeof(acts) - strlen(acts), "%s%s%u%s",
					i ? "," : "", t < 2 ? "resubmit(," : "output:",
					t < 2 ? t + 1 : 2, t < 2 ? ")" : "");
		ft_test_add(ft, acts);
	}
	return ft;
}

/*
 * Outputs spend a budget of their own: 63 x 63 runs of a rule of 63 outputs, within the
 * resubmit limit (4032 resubmits), would be 250,047 copies of one packet.  The packet is dropped at output 4097,
 * counted once; at the limit it goes through.  Buckets spend the packet's budget:
 * three runs of a group of 32 buckets of 63 outputs are dropped too.
 */
static unsigned n_traced;

static void
count_traced(void *aux, enum flowtab_action_kind kind, uint32_t port, uint32_t in_port,
		const uint8_t dl_dst[6], uint16_t vlan_tci, char *note, size_t note_size)
{
	(void)aux, (void)kind, (void)port, (void)in_port, (void)dl_dst, (void)vlan_tci;
	(void)note, (void)note_size;
	n_traced++;
}

/* ofproto/trace of table 'ft': the outputs it reports, and whether it says they stop. */
static unsigned
trace_outputs(struct flowtab *ft, bool *stopped)
{
	struct flowtab_trace_out tout = { .emit = count_traced };
	char *text = NULL, *err = NULL;

	n_traced = 0;
	CHECK(flowtab_trace(ft, "in_port=1", &tout, &text, &err) == 0, "trace: %s", err);
	*stopped = text != NULL && strstr(text, "too many outputs") != NULL;
	free(text);
	free(err);
	return n_traced;
}

static void
test_outputs(struct flowtab_pmd *pmd, struct flowtab_out *out)
{
	const struct flowtab_pmd_stats *st = flowtab_pmd_stats(pmd);
	uint64_t many = st->too_many_resubmits, deep = st->recursion_too_deep;
	uint64_t outs = st->too_many_outputs;
	struct flowtab *ft = fanout_outputs(63, 63, 63);
	size_t n, size = 65536;
	char *text = malloc(size);
	enum flowtab_gm_error why;
	unsigned b, a;

	send_counted(pmd, ft, out);
	CHECK(n_sent[2] == FT_MAX_OUTPUTS - 1, "copies before the limit: %u", n_sent[2]);
	CHECK(st->too_many_outputs == outs + 1 && st->too_many_resubmits == many &&
			st->recursion_too_deep == deep, "counted once as too many outputs: %lu",
			(unsigned long)(st->too_many_outputs - outs));
	{
		bool stopped;
		unsigned k = trace_outputs(ft, &stopped);

		CHECK(k == FT_MAX_OUTPUTS && stopped,
			"ofproto/trace stops at the same limit (%u outputs)", k);
	}
	flowtab_destroy(ft);

	/* 64 x 64 outputs, the last of them the packet itself. */
	ft = fanout_outputs(64, 1, 64);
	send_counted(pmd, ft, out);
	CHECK(n_sent[2] == FT_MAX_OUTPUTS, "64 x 64 outputs go through: %u", n_sent[2]);
	{
		bool stopped;
		unsigned k = trace_outputs(ft, &stopped);

		CHECK(k == FT_MAX_OUTPUTS && !stopped, "... and through ofproto/trace (%u)", k);
	}
	CHECK(st->too_many_outputs == outs + 1, "nothing counted under the limit");
	flowtab_destroy(ft);

	ft = flowtab_create("br0", &ft_test_ports, NULL);
	n = (size_t)snprintf(text, size, "group_id=1,type=all");
	for (b = 0; b < FLOWTAB_GROUP_MAX_BUCKETS; b++) {
		n += (size_t)snprintf(text + n, size - n, ",bucket=actions=");
		for (a = 0; a < 63; a++)
			n += (size_t)snprintf(text + n, size - n, "%soutput:2", a ? "," : "");
	}
	CHECK(n < size && group_mod(ft, FLOWTAB_GM_ADD, text, &why) == 0, "group 1: why %d", why);
	ft_test_add(ft, "actions=group:1,group:1,group:1,output:3");
	send_counted(pmd, ft, out);
	CHECK(n_sent[3] == 0 && n_sent[2] < FT_MAX_OUTPUTS, "buckets' outputs: %u copies, "
			"%u to port 3", n_sent[2], n_sent[3]);
	CHECK(st->too_many_outputs == outs + 2 && st->too_many_resubmits == many,
			"buckets' outputs counted once as too many outputs");
	free(text);
	flowtab_destroy(ft);
}

/*
 * Checking group chains costs time linear in groups and group actions: 32 buckets of 64
 * group actions over four levels are 2^33 paths, minutes for a walk of every path (the
 * meson timeout fails it).  Loops, chains too deep, unknown groups and deletes of a chained
 * group are still refused.
 */
static void
test_group_chain_check(void)
{
	struct flowtab *ft = fanout(FLOWTAB_GROUP_MAX_BUCKETS, FT_MAX_ACTIONS);
	enum flowtab_gm_error why;
	char *err = NULL;

	CHECK(group_mod(ft, FLOWTAB_GM_MODIFY, "group_id=4,type=all,bucket=group:1", &why) ==
	      -EINVAL && why == FLOWTAB_GM_LOOP, "loop through the fan-out: why %d", why);
	CHECK(group_mod(ft, FLOWTAB_GM_MODIFY, "group_id=4,type=all,bucket=group:4", &why) ==
	      -EINVAL && why == FLOWTAB_GM_LOOP, "group to itself: why %d", why);
	CHECK(group_mod(ft, FLOWTAB_GM_ADD, "group_id=5,type=all,bucket=group:1", &why) ==
	      -EINVAL && why == FLOWTAB_GM_CHAINING, "five deep: why %d", why);
	CHECK(group_mod(ft, FLOWTAB_GM_ADD, "group_id=5,type=all,bucket=group:2,bucket=group:99",
	      &why) == -EINVAL && why == FLOWTAB_GM_UNKNOWN_GROUP, "unknown group: why %d", why);
	CHECK(group_mod(ft, FLOWTAB_GM_ADD, "group_id=5,type=all,bucket=group:2,bucket=group:3",
	      &why) == 0, "four deep beside three deep: why %d", why);
	CHECK(group_mod(ft, FLOWTAB_GM_ADD, "group_id=6,type=all,bucket=group:5", &why) ==
	      -EINVAL && why == FLOWTAB_GM_CHAINING, "five deep through a group checked before: "
	      "why %d", why);
	CHECK(group_mod(ft, FLOWTAB_GM_MODIFY, "group_id=4,type=all,bucket=output:1", &why) == 0,
	      "modify the end of the chain: why %d", why);
	CHECK(flowtab_group_del(ft, 4, &why, &err) == -EINVAL && why == FLOWTAB_GM_CHAINED,
	      "delete of a chained group: why %d", why);
	free(err);
	flowtab_destroy(ft);
}

int
main(int argc, char **argv)
{
	struct ft_capture *cap = calloc(1, sizeof(*cap));
	struct flowtab_pmd *pmd;
	struct flowtab_out out;

	(void)argc;
	mp = ft_test_eal_init(argv[0], 8192);
	pmd = flowtab_pmd_create(0, -1);
	ft_capture_init(cap, &out, true);
	test_refused();
	test_group_chain_check();
	test_depth(pmd, cap, &out);
	test_within(pmd, cap, &out);
	test_doubling(pmd, cap, &out);
	test_wide(pmd, cap, &out);
	test_group_fanout(pmd, cap, &out);
	test_outputs(pmd, &out);
	CHECK(rte_mempool_in_use_count(mp) == 0, "mbufs leaked: %u", rte_mempool_in_use_count(mp));
	flowtab_pmd_destroy(pmd);
	free(cap);
	return check_report("test_ft_limits");
}
