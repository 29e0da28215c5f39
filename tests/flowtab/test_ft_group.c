/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Groups and meters in the datapath: select spreads flows and keeps each on one bucket, all
 * copies to every bucket, fast failover follows port liveness, chains and loops are
 * bounded, a batch's group and rule changes reach the datapath together, and a meter holds its rate (packets passed against the TSC time elapsed, rte_meter's
 * own clock) within 5%.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "flowtab_gm.h"
#include "ft_test_util.h"

static struct rte_mempool *mp;

static const struct ft_test_pkt udp_pkt = {
	.dst = { 0x02, 0, 0, 0, 0, 2 }, .src = { 0x02, 0, 0, 0, 0, 1 }, .vlan = -1,
	.dl_type = 0x0800, .proto = 17, .nw_src = 0x0a000001, .nw_dst = 0x0a000002,
	.ttl = 64, .sport = 1000, .dport = 53, .payload = 18,
};

static struct flowtab *
table(void)
{
	return flowtab_create("br0", &ft_test_ports, NULL);
}

static int
group(struct flowtab *ft, enum flowtab_gm_command cmd, const char *text,
		enum flowtab_gm_error *why)
{
	struct flowtab_group_spec spec;
	enum flowtab_gm_error w;
	char *buf = NULL, *err = NULL;
	int rc;

	rc = flowtab_group_parse(text, &ft_test_ports, &spec, &buf, &err);
	CHECK(rc == 0, "parse '%s': %s", text, err ? err : "");
	if (rc == 0)
		rc = flowtab_group_mod(ft, cmd, &spec, why ? why : &w, &err);
	free(buf);
	free(err);
	return rc;
}

/* One packet of flow 'sport' from port 9; returns the port it left by, or 0 (dropped). */
static uint32_t
send1(struct flowtab_pmd *pmd, struct flowtab *ft, struct ft_capture *cap,
		struct flowtab_out *out, uint16_t sport)
{
	struct ft_test_pkt p = udp_pkt;
	struct rte_mbuf *m;

	p.sport = sport;
	m = ft_test_build(mp, &p);
	ft_capture_reset(cap);
	flowtab_process_burst(pmd, ft, &m, 1, 9, out);
	return cap->n == 1 ? cap->rec[0].port : 0;
}

static void
test_select(struct flowtab_pmd *pmd, struct ft_capture *cap, struct flowtab_out *out)
{
	struct flowtab *ft = table();
	unsigned per[5] = { 0 }, moved = 0, i, k;
	uint32_t first[400], port;
	char *err = NULL;

	CHECK(flowtab_add_flows(ft, (const char *[]){ "in_port=9,actions=group:1" }, NULL, 1,
		NULL, &err) == -EINVAL && err && strstr(err, "group 1 does not exist"),
		"a rule to a missing group: %s", err ? err : "accepted");
	free(err);
	CHECK(group(ft, FLOWTAB_GM_ADD, "group_id=1,type=select,bucket=watch_port:1,output:1,"
		"bucket=watch_port:2,output:2,bucket=watch_port:3,output:3,"
		"bucket=watch_port:4,output:4", NULL) == 0);
	ft_test_add(ft, "in_port=9,actions=group:1");
	for (i = 1; i <= 4; i++)
		flowtab_set_port_live(ft, i, true);
	for (i = 0; i < 400; i++) {
		first[i] = send1(pmd, ft, cap, out, (uint16_t)(1000 + i));
		if (first[i] >= 1 && first[i] <= 4)
			per[first[i]]++;
	}
	for (k = 1; k <= 4; k++)
		CHECK(per[k] >= 50, "select: bucket %u got %u of 400 flows", k, per[k]);
	for (i = 0; i < 400; i += 7)
		for (k = 0; k < 5; k++)
			CHECK(send1(pmd, ft, cap, out, (uint16_t)(1000 + i)) == first[i],
				"select: flow %u moved off bucket %u", i, first[i]);
	/* Port 2 goes down: only its flows move. */
	flowtab_set_port_live(ft, 2, false);
	for (i = 0; i < 400; i++) {
		port = send1(pmd, ft, cap, out, (uint16_t)(1000 + i));
		CHECK(port != 2 && port != 0, "select: flow %u went to %u with port 2 down", i,
			port);
		if (first[i] != 2 && port != first[i])
			moved++;
	}
	CHECK(moved == 0, "select: %u flows not on port 2 moved when port 2 went down", moved);
	/* Weights: a bucket of weight 0 gets nothing. */
	CHECK(group(ft, FLOWTAB_GM_MODIFY, "group_id=1,type=select,bucket=weight:0,output:1,"
		"bucket=weight:5,output:3", NULL) == 0);
	for (i = 0; i < 100; i++)
		CHECK(send1(pmd, ft, cap, out, (uint16_t)(1000 + i)) == 3);
	flowtab_destroy(ft);
}

static void
test_all_indirect_ff(struct flowtab_pmd *pmd, struct ft_capture *cap, struct flowtab_out *out)
{
	struct flowtab *ft = table();
	enum flowtab_gm_error why;
	struct rte_mbuf *m;
	unsigned i, seen[8] = { 0 };
	char *s;

	CHECK(group(ft, FLOWTAB_GM_ADD, "group_id=1,type=all,bucket=output:1,"
		"bucket=mod_nw_dst:10.9.9.9,output:2,bucket=output:3", NULL) == 0);
	ft_test_add(ft, "in_port=9,actions=group:1,output:5");
	ft_capture_init(cap, out, true);
	m = ft_test_build(mp, &udp_pkt);
	flowtab_process_burst(pmd, ft, &m, 1, 9, out);
	CHECK(cap->n == 4, "all: %u copies, expected 4 (3 buckets and output:5)", cap->n);
	for (i = 0; i < cap->n; i++) {
		const uint8_t *ip = rte_pktmbuf_mtod(cap->rec[i].m, uint8_t *) + 14;
		uint32_t dst = (uint32_t)ip[16] << 24 | ip[17] << 16 | ip[18] << 8 | ip[19];

		seen[cap->rec[i].port & 7]++;
		CHECK(dst == (cap->rec[i].port == 2 ? 0x0a090909u : 0x0a000002u),
			"all: the copy to %u has nw_dst %08x", cap->rec[i].port, dst);
	}
	CHECK(seen[1] == 1 && seen[2] == 1 && seen[3] == 1 && seen[5] == 1);
	ft_capture_reset(cap);
	ft_capture_init(cap, out, false);

	/* Fast failover: the first live bucket. */
	CHECK(group(ft, FLOWTAB_GM_MODIFY, "group_id=1,type=ff,bucket=watch_port:1,output:1,"
		"bucket=watch_port:2,output:2", NULL) == 0);
	CHECK(flowtab_mod_flows(ft, "in_port=9,actions=group:1", false, &s) == 0);
	flowtab_set_port_live(ft, 1, true);
	flowtab_set_port_live(ft, 2, true);
	CHECK(send1(pmd, ft, cap, out, 1) == 1);
	flowtab_set_port_live(ft, 1, false);
	CHECK(send1(pmd, ft, cap, out, 1) == 2, "ff: port 1 down, still not on 2");
	flowtab_set_port_live(ft, 2, false);
	CHECK(send1(pmd, ft, cap, out, 1) == 0, "ff: both down, yet sent");
	flowtab_set_port_live(ft, 1, true);
	CHECK(send1(pmd, ft, cap, out, 1) == 1, "ff: port 1 back, not used");

	/* Indirect chained to the ff group; chains and loops refused. */
	CHECK(group(ft, FLOWTAB_GM_ADD, "group_id=2,type=indirect,bucket=group:1", NULL) == 0);
	CHECK(flowtab_mod_flows(ft, "in_port=9,actions=group:2", false, &s) == 0);
	CHECK(send1(pmd, ft, cap, out, 1) == 1, "indirect -> ff: not out of port 1");
	CHECK(group(ft, FLOWTAB_GM_MODIFY, "group_id=1,type=all,bucket=group:2", &why) ==
		-EINVAL && why == FLOWTAB_GM_LOOP, "loop: why %d", why);
	CHECK(group(ft, FLOWTAB_GM_ADD, "group_id=3,type=indirect,bucket=group:2", NULL) == 0);
	CHECK(group(ft, FLOWTAB_GM_ADD, "group_id=4,type=indirect,bucket=group:3", NULL) == 0);
	CHECK(group(ft, FLOWTAB_GM_ADD, "group_id=5,type=indirect,bucket=group:4", &why) ==
		-EINVAL && why == FLOWTAB_GM_CHAINING, "chain of 5: why %d", why);
	CHECK(group(ft, FLOWTAB_GM_ADD, "group_id=6,type=indirect,bucket=group:99", &why) ==
		-EINVAL && why == FLOWTAB_GM_UNKNOWN_GROUP);
	CHECK(group(ft, FLOWTAB_GM_ADD, "group_id=2,type=all,bucket=output:1", &why) ==
		-EINVAL && why == FLOWTAB_GM_EXISTS);
	CHECK(group(ft, FLOWTAB_GM_MODIFY, "group_id=7,type=all,bucket=output:1", &why) ==
		-EINVAL && why == FLOWTAB_GM_UNKNOWN);
	CHECK(group(ft, FLOWTAB_GM_ADD, "group_id=8,type=indirect,bucket=output:1,"
		"bucket=output:2", &why) == -EINVAL && why == FLOWTAB_GM_INVALID);
	CHECK(flowtab_group_del(ft, 1, &why, &s) == -EINVAL && why == FLOWTAB_GM_CHAINED);
	free(s);
	s = flowtab_dump_groups_text(ft, FLOWTAB_GROUP_ALL, false);
	CHECK(s && strstr(s, "group_id=2,type=indirect,bucket=actions=group:1"), "dump: %s", s);
	free(s);
	s = flowtab_dump_groups_text(ft, 2, true);
	CHECK(s && strstr(s, "ref_count=1,packet_count=1,"), "stats: %s", s);
	free(s);
	CHECK(flowtab_group_del(ft, FLOWTAB_GROUP_ALL, &why, &s) == 0);
	CHECK(send1(pmd, ft, cap, out, 1) == 0, "group deleted, yet sent");
	CHECK(flowtab_n_rules(ft) == 0, "the rule to a deleted group stayed");
	flowtab_destroy(ft);
}

/* Group change 'cmd' of 'text' into batch 'b'. */
static int
bgroup(struct flowtab_batch *b, enum flowtab_gm_command cmd, const char *text)
{
	struct flowtab_group_spec spec;
	enum flowtab_gm_error why;
	char *buf = NULL, *err = NULL;
	int rc;

	rc = flowtab_group_parse(text, &ft_test_ports, &spec, &buf, &err);
	CHECK(rc == 0, "parse '%s': %s", text, err ? err : "");
	if (rc == 0)
		rc = flowtab_batch_group_mod(b, cmd, &spec, &why, &err);
	free(buf);
	free(err);
	return rc;
}

static bool
has_group(struct flowtab *ft, uint32_t id)
{
	char *s = flowtab_dump_groups_text(ft, id, false);
	bool yes = s != NULL && strstr(s, "group_id=") != NULL;

	free(s);
	return yes;
}

/* A batch changing groups and the rules that use them: the datapath sees the old groups
 * and rules until the commit and the new ones after it, never a mix. */
static void
test_batch(struct flowtab_pmd *pmd, struct ft_capture *cap, struct flowtab_out *out)
{
	struct flowtab *ft = table();
	struct flowtab_batch *b;
	enum flowtab_gm_error why;
	char *err = NULL, *s;

	CHECK(group(ft, FLOWTAB_GM_ADD, "group_id=1,type=all,bucket=output:1", NULL) == 0);
	CHECK(ft_test_add(ft, "priority=10,in_port=9,actions=group:1") == 0);
	CHECK(send1(pmd, ft, cap, out, 1) == 1, "group 1 sends to port 1");

	b = flowtab_batch_create(ft);
	CHECK(bgroup(b, FLOWTAB_GM_ADD, "group_id=2,type=all,bucket=output:2") == 0,
		"batch: add group 2");
	CHECK(flowtab_batch_mod(b, "in_port=9,actions=group:2", false, &err) == 0,
		"batch: the rule to the batch's group 2: %s", err ? err : "");
	CHECK(bgroup(b, FLOWTAB_GM_MODIFY, "group_id=1,type=all,bucket=output:3") == 0,
		"batch: modify group 1");
	CHECK(bgroup(b, FLOWTAB_GM_ADD, "group_id=2,type=all,bucket=output:4") == -EINVAL,
		"batch: group 2 again: exists in the batch");
	CHECK(send1(pmd, ft, cap, out, 1) == 1 && !has_group(ft, 2),
		"before the commit: the old rule and group");
	CHECK(flowtab_batch_commit(b, &err) == 0, "commit: %s", err ? err : "");
	flowtab_batch_destroy(b);
	CHECK(send1(pmd, ft, cap, out, 1) == 2, "after it: the rule's new group 2");
	s = flowtab_dump_groups_text(ft, 1, true);
	CHECK(s && strstr(s, "packet_count=2,"), "modified group 1 kept its counters: %s", s);
	free(s);

	/* A delete: the group and the rule that uses it, at the commit. */
	b = flowtab_batch_create(ft);
	CHECK(flowtab_batch_group_del(b, 2, &why, &err) == 0, "batch: delete group 2");
	CHECK(flowtab_batch_add(b, "priority=5,in_port=9,actions=group:2", &err) == -EINVAL,
		"batch: a rule to the deleted group refused");
	free(err);
	err = NULL;
	CHECK(flowtab_n_rules(ft) == 1 && has_group(ft, 2), "not before the commit");
	CHECK(flowtab_batch_commit(b, &err) == 0, "commit: %s", err ? err : "");
	flowtab_batch_destroy(b);
	CHECK(flowtab_n_rules(ft) == 0 && !has_group(ft, 2) && has_group(ft, 1),
		"group 2 and its rule gone, group 1 kept");
	CHECK(send1(pmd, ft, cap, out, 1) == 0, "nothing sends");

	/* A group change outside the batch after its first fails the batch. */
	b = flowtab_batch_create(ft);
	CHECK(bgroup(b, FLOWTAB_GM_ADD, "group_id=5,type=all,bucket=output:1") == 0);
	CHECK(group(ft, FLOWTAB_GM_ADD, "group_id=6,type=all,bucket=output:2", NULL) == 0,
		"group 6 outside the batch");
	CHECK(flowtab_batch_add(b, "in_port=9,actions=group:5", &err) == -EINVAL &&
		err && strstr(err, "changed"), "batch: its next change refused: %s",
		err ? err : "");
	free(err);
	err = NULL;
	CHECK(flowtab_batch_commit(b, &err) == -EINVAL, "and its commit");
	free(err);
	err = NULL;
	flowtab_batch_destroy(b);
	CHECK(!has_group(ft, 5) && has_group(ft, 6), "group 6 there, 5 not");

	/* Discarded: nothing of it, its groups freed (LeakSanitizer). */
	b = flowtab_batch_create(ft);
	CHECK(bgroup(b, FLOWTAB_GM_ADD, "group_id=7,type=all,bucket=output:1") == 0);
	CHECK(bgroup(b, FLOWTAB_GM_MODIFY, "group_id=7,type=all,bucket=output:2") == 0);
	CHECK(bgroup(b, FLOWTAB_GM_MODIFY, "group_id=6,type=all,bucket=output:3") == 0);
	flowtab_batch_destroy(b);
	CHECK(!has_group(ft, 7) && has_group(ft, 6), "a discarded batch changes nothing");
	flowtab_destroy(ft);
}

static void
trace_emit(void *aux, enum flowtab_action_kind kind, uint32_t port, uint32_t in_port,
		const uint8_t dl_dst[6], uint16_t vlan_tci, char *note, size_t note_size)
{
	(void)aux, (void)kind, (void)port, (void)in_port, (void)dl_dst, (void)vlan_tci;
	(void)note, (void)note_size;
}

/* ofproto/trace through a group leaves the packet as it was (buckets are not followed). */
static void
test_trace(void)
{
	struct flowtab_trace_out tout = { .emit = trace_emit };
	struct flowtab *ft = table();
	char *text = NULL, *err = NULL;
	const char *fin;

	CHECK(group(ft, FLOWTAB_GM_ADD, "group_id=1,type=all,bucket=output:1", NULL) == 0);
	ft_test_add(ft, "in_port=9,actions=group:1,output:2");
	CHECK(flowtab_trace(ft, "in_port=9,dl_vlan=5", &tout, &text, &err) == 0, "%s", err);
	fin = text ? strstr(text, "Final flow:") : NULL;
	CHECK(fin && strstr(fin, "Final flow: unchanged"), "trace: %s", text ? text : "");
	free(text);
	free(err);
	flowtab_destroy(ft);
}

static unsigned n_passed;
static uint64_t bytes_passed;

static void
count_out(void *ctx, uint32_t port, struct rte_mbuf *m)
{
	(void)ctx;
	(void)port;
	n_passed++;
	bytes_passed += rte_pktmbuf_pkt_len(m);
	rte_pktmbuf_free(m);
}

/*
 * Offer far more than the meter's rate for ~0.4 s and compare what passed with what the
 * rate allows over the TSC time the packets took: burst + rate * elapsed.
 */
static void
test_meter(struct flowtab_pmd *pmd, const char *text, bool pktps, double rate_units,
		double burst_units, uint16_t payload)
{
	struct flowtab *ft = table();
	struct flowtab_out out = { .output = count_out };
	struct flowtab_meter_spec spec;
	struct ft_test_pkt p = udp_pkt;
	struct rte_mbuf *burst[32];
	enum flowtab_gm_error why;
	uint64_t hz = rte_get_tsc_hz(), t0, t1, prev, lost = 0, fill;
	unsigned sent = 0, i;
	double expect, expect_lo, got;
	char *err = NULL;

	CHECK(flowtab_meter_parse(text, &spec, &err) == 0, "%s: %s", text, err ? err : "");
	CHECK(flowtab_meter_mod(ft, FLOWTAB_GM_ADD, &spec, &why, &err) == 0, "%s", err);
	free(err);
	ft_test_add(ft, "in_port=9,actions=meter:1,output:1");
	n_passed = 0;
	bytes_passed = 0;
	p.payload = payload;
	/*
	 * While this thread is descheduled longer than the bucket takes to fill, the rate's
	 * tokens beyond the burst are lost: such gaps are measured and allowed for, so that a
	 * busy machine cannot fail the test.
	 */
	fill = (uint64_t)(burst_units / rate_units * (double)hz);
	t0 = prev = rte_get_tsc_cycles();
	do {
		for (i = 0; i < RTE_DIM(burst); i++)
			burst[i] = ft_test_build(mp, &p);
		t1 = rte_get_tsc_cycles();
		if (t1 - prev > fill)
			lost += t1 - prev - fill;
		flowtab_process_burst(pmd, ft, burst, RTE_DIM(burst), 9, &out);
		sent += RTE_DIM(burst);
		prev = t1;
		t1 = rte_get_tsc_cycles();
	} while (t1 - t0 < hz * 2 / 5);
	expect = burst_units + rate_units * (double)(t1 - t0) / (double)hz;
	expect_lo = burst_units + rate_units * (double)(t1 - t0 - lost) / (double)hz;
	got = pktps ? n_passed : (double)bytes_passed * 8 / 1000;
	CHECK(got >= expect_lo * 0.95 && got <= expect * 1.05,
		"%s: passed %.0f, expected %.0f (%.0f without the time descheduled), +-5%%; %u sent",
		text, got, expect, expect_lo, sent);
	CHECK(sent > 2 * n_passed, "%s: offered %u, not above the rate (%u passed)", text, sent,
		n_passed);
	err = flowtab_dump_meters_text(ft, 1, true);
	if (CHECK(err != NULL)) {
		char want[128];

		snprintf(want, sizeof(want), "packet_in_count:%u ", sent);
		CHECK(strstr(err, want) != NULL, "meter stats: %s", err);
		snprintf(want, sizeof(want), "0: packet_count:%u ", sent - n_passed);
		CHECK(strstr(err, want) != NULL, "meter stats: %s", err);
	}
	free(err);
	CHECK(flowtab_meter_del(ft, 1) == 0 && flowtab_n_rules(ft) == 0,
		"the rule of a deleted meter stayed");
	flowtab_destroy(ft);
}

static void
ids_cb(void *aux, const struct flowtab_group_info *info)
{
	char *s = aux;
	unsigned k;

	for (k = 0; k < info->n_buckets; k++)
		sprintf(s + strlen(s), "%s%u", k ? "," : "", info->buckets[k].bucket_id);
}

/* The bucket ids of group 'id' in order, "1,0,2". */
static const char *
bucket_ids(struct flowtab *ft, uint32_t id)
{
	static char s[256];

	s[0] = '\0';
	flowtab_dump_groups(ft, id, ids_cb, s);
	return s;
}

/* Insert buckets of ids 'ids' (output to 1) into group 1 at 'where'. */
static int
insert(struct flowtab *ft, const uint32_t *ids, unsigned n, uint32_t where,
		enum flowtab_gm_error *why)
{
	struct flowtab_group_spec spec;
	char *err = NULL;
	unsigned i;
	int rc;

	memset(&spec, 0, sizeof(spec));
	spec.group_id = 1;
	spec.bucket_ids = true;
	spec.n_buckets = n;
	for (i = 0; i < n; i++) {
		spec.buckets[i].bucket_id = ids[i];
		spec.buckets[i].watch_port = FLOWTAB_PORT_NONE;
		spec.buckets[i].watch_group = FLOWTAB_GROUP_ANY;
		spec.buckets[i].actions = "output:1";
	}
	rc = flowtab_group_insert_buckets(ft, &spec, where, why, &err);
	free(err);
	return rc;
}

static int
remove_bucket(struct flowtab *ft, uint32_t group, uint32_t which, enum flowtab_gm_error *why)
{
	char *err = NULL;
	int rc = flowtab_group_remove_buckets(ft, group, which, why, &err);

	free(err);
	return rc;
}

/* OpenFlow 1.5's bucket commands: ids kept, order as Open vSwitch orders them, refusals. */
static void
test_bucket_ids(void)
{
	struct flowtab *ft = table();
	enum flowtab_gm_error why;
	char *err = NULL;

	CHECK(group(ft, FLOWTAB_GM_ADD, "group_id=1,type=all,bucket=output:1,bucket=output:2",
		NULL) == 0, "add group 1");
	CHECK(!strcmp(bucket_ids(ft, 1), "0,1"), "a 1.3 group numbers its buckets: %s",
		bucket_ids(ft, 1));
	CHECK(insert(ft, (uint32_t[]){ 5, 6 }, 2, FLOWTAB_BUCKET_LAST, &why) == 0 &&
		!strcmp(bucket_ids(ft, 1), "0,1,5,6"), "insert last: %s", bucket_ids(ft, 1));
	CHECK(insert(ft, (uint32_t[]){ 7 }, 1, FLOWTAB_BUCKET_FIRST, &why) == 0 &&
		!strcmp(bucket_ids(ft, 1), "7,0,1,5,6"), "insert first: %s", bucket_ids(ft, 1));
	CHECK(insert(ft, (uint32_t[]){ 9, 8 }, 2, 0, &why) == 0 &&
		!strcmp(bucket_ids(ft, 1), "7,0,9,8,1,5,6"), "insert after 0: %s",
		bucket_ids(ft, 1));
	CHECK(insert(ft, (uint32_t[]){ 1 }, 1, FLOWTAB_BUCKET_LAST, &why) == -EINVAL &&
		why == FLOWTAB_GM_BUCKET_EXISTS, "an id in use: %d", why);
	CHECK(insert(ft, (uint32_t[]){ 3, 3 }, 2, FLOWTAB_BUCKET_LAST, &why) == -EINVAL &&
		why == FLOWTAB_GM_BAD_BUCKET, "an id twice: %d", why);
	CHECK(insert(ft, (uint32_t[]){ 3 }, 1, 42, &why) == -EINVAL &&
		why == FLOWTAB_GM_UNKNOWN_BUCKET, "after a bucket that is not there: %d", why);
	CHECK(!strcmp(bucket_ids(ft, 1), "7,0,9,8,1,5,6"), "refusals changed the group: %s",
		bucket_ids(ft, 1));
	CHECK(remove_bucket(ft, 1, FLOWTAB_BUCKET_FIRST, &why) == 0 &&
		remove_bucket(ft, 1, FLOWTAB_BUCKET_LAST, &why) == 0 &&
		remove_bucket(ft, 1, 9, &why) == 0 &&
		!strcmp(bucket_ids(ft, 1), "0,8,1,5"), "remove first, last, 9: %s",
		bucket_ids(ft, 1));
	CHECK(remove_bucket(ft, 1, 9, &why) == -EINVAL && why == FLOWTAB_GM_UNKNOWN_BUCKET,
		"remove of a bucket that is not there: %d", why);
	CHECK(remove_bucket(ft, 2, FLOWTAB_BUCKET_ALL, &why) == -EINVAL &&
		why == FLOWTAB_GM_UNKNOWN, "remove from a group that is not there: %d", why);
	CHECK(remove_bucket(ft, 1, FLOWTAB_BUCKET_ALL, &why) == 0 &&
		!strcmp(bucket_ids(ft, 1), "") && remove_bucket(ft, 1, FLOWTAB_BUCKET_FIRST,
		&why) == 0, "remove all, then first of none: %s", bucket_ids(ft, 1));
	CHECK(group(ft, FLOWTAB_GM_ADD, "group_id=2,type=indirect,bucket=output:1", NULL) == 0,
		"add group 2");
	CHECK(flowtab_group_insert_buckets(ft, &(struct flowtab_group_spec){ .group_id = 2,
		.bucket_ids = true, .n_buckets = 1, .buckets = { { .bucket_id = 4,
		.watch_port = FLOWTAB_PORT_NONE, .watch_group = FLOWTAB_GROUP_ANY,
		.actions = "output:2" } } }, FLOWTAB_BUCKET_LAST, &why, &err) ==
		-EINVAL && why == FLOWTAB_GM_INVALID, "a second bucket in an indirect group: %d",
		why);
	free(err);
	flowtab_destroy(ft);
}

int
main(int argc, char **argv)
{
	struct flowtab_pmd *pmd;
	struct ft_capture *cap = calloc(1, sizeof(*cap));
	struct flowtab_out out;

	(void)argc;
	mp = ft_test_eal_init(argv[0], 8192);
	pmd = flowtab_pmd_create(0, -1);
	ft_capture_init(cap, &out, false);
	test_select(pmd, cap, &out);
	test_all_indirect_ff(pmd, cap, &out);
	test_batch(pmd, cap, &out);
	test_trace();
	test_bucket_ids();
	/* 20000 pps, 200-packet burst; 8000 kbps of 1000-byte frames (~1000 pps), 80 kb burst. */
	test_meter(pmd, "meter=1,pktps,burst,bands=type=drop,rate=20000,burst_size=200", true,
		20000, 200, 64);
	test_meter(pmd, "meter=1,kbps,burst,bands=type=drop,rate=8000,burst_size=80", false,
		8000, 80, 958);
	ft_capture_reset(cap);
	free(cap);
	flowtab_pmd_destroy(pmd);
	return check_report("test_ft_group");
}
