/* SPDX-License-Identifier: BSD-3-Clause */
/* Table operations: add (atomic), replace, mod, del (strict, cookie, out_port, out_group), dump,
 * timeouts. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flowtab_gm.h"
#include "ft_test_util.h"

static struct rte_mempool *mp;
static uint64_t fake_now = 1000000;

static uint64_t
fake_clock(void *aux)
{
	(void)aux;
	return fake_now;
}

static char *
dump(struct flowtab *ft, const char *match)
{
	char *out = NULL, *err = NULL;

	if (flowtab_dump_flows(ft, match, &out, &err)) {
		CHECK(0, "dump '%s': %s", match ? match : "", err);
		free(err);
		return strdup("");
	}
	return out;
}

static void
send_pkts(struct flowtab *ft, uint32_t in_port, int n)
{
	static struct ft_capture cap;
	struct flowtab_out out;
	struct flowtab_pmd *pmd = flowtab_pmd_create(0, -1);
	struct ft_test_pkt p = { .vlan = -1, .dl_type = 0x0800, .proto = 17, .payload = 4 };
	struct rte_mbuf *m;
	int i;

	ft_capture_init(&cap, &out, false);
	for (i = 0; i < n; i++) {
		m = ft_test_build(mp, &p);
		flowtab_process_burst(pmd, ft, &m, 1, in_port, &out);
	}
	flowtab_pmd_destroy(pmd);
}

static void
test_add_atomic(void)
{
	struct flowtab *ft = flowtab_create("br0", &ft_test_ports, NULL);
	static const char *const good[] = { "in_port=1,actions=output:2", "in_port=2,actions=output:1" };
	static const char *const bad[] = { "ip,actions=drop", "nw_src=1.2.3.4,actions=drop" };
	static const int lines[] = { 6, 7 };
	char *err = NULL, *d;

	CHECK(flowtab_add_flows(ft, good, NULL, 2, NULL, &err) == 0, "add: %s", err);
	CHECK(flowtab_n_rules(ft) == 2, "2 rules");
	CHECK(flowtab_add_flows(ft, bad, lines, 2, "rules.txt", &err) == -EINVAL, "bad add fails");
	CHECK(err && !strcmp(err, "rules.txt:7: field 'nw_src': needs ip or arp "
			"(dl_type=0x0800 or 0x0806) in the match"), "error text: %s", err);
	free(err);
	err = NULL;
	CHECK(flowtab_n_rules(ft) == 2, "table unchanged after a failed add");
	CHECK(flowtab_add_flows(ft, bad + 1, NULL, 1, NULL, &err) == -EINVAL &&
	      err && !strncmp(err, "line 1: field 'nw_src'", 22), "line-only error: %s", err);
	free(err);
	/* Same match and priority: replaced. */
	ft_test_add(ft, "in_port=1,actions=output:3");
	CHECK(flowtab_n_rules(ft) == 2, "identical rule replaced");
	d = dump(ft, "in_port=1");
	CHECK(strstr(d, "actions=output:p3") && !strstr(d, "output:p2"), "replaced actions: %s", d);
	free(d);
	/* Different priority: a second rule. */
	ft_test_add(ft, "priority=5,in_port=1,actions=output:4");
	CHECK(flowtab_n_rules(ft) == 3, "3 rules");
	flowtab_destroy(ft);
}

static void
test_dump_format(void)
{
	struct flowtab *ft = flowtab_create("br0", &ft_test_ports, NULL);
	char *d;

	flowtab_set_clock(ft, fake_clock, NULL);
	ft_test_add(ft, "table=1,priority=7,cookie=0x5,idle_timeout=10,ip,nw_dst=10.0.0.0/8,actions=drop");
	ft_test_add(ft, "priority=0,actions=NORMAL");
	ft_test_add(ft, "in_port=p1,actions=p2");
	fake_now += 2500;
	d = dump(ft, NULL);
	CHECK(!strcmp(d,
		" cookie=0x0, duration=2.500s, table=0, n_packets=0, n_bytes=0, idle_age=2, "
		"in_port=p1 actions=output:p2\n"
		" cookie=0x0, duration=2.500s, table=0, n_packets=0, n_bytes=0, idle_age=2, "
		"priority=0 actions=NORMAL\n"
		" cookie=0x5, duration=2.500s, table=1, n_packets=0, n_bytes=0, idle_timeout=10, "
		"idle_age=2, priority=7,ip,nw_dst=10.0.0.0/8 actions=drop\n"), "dump:\n%s", d);
	free(d);
	d = dump(ft, "table=1");
	CHECK(strstr(d, "table=1") && !strstr(d, "table=0"), "dump table=1: %s", d);
	free(d);
	d = dump(ft, "ip");
	CHECK(strstr(d, "nw_dst") && !strstr(d, "NORMAL"), "dump ip: %s", d);
	free(d);
	flowtab_destroy(ft);
}

static void
test_del(void)
{
	struct flowtab *ft = flowtab_create("br0", &ft_test_ports, NULL);
	size_t n = 0;
	char *err = NULL;

	ft_test_add(ft, "priority=10,ip,actions=drop");
	ft_test_add(ft, "priority=20,tcp,tp_dst=80,actions=output:1");
	ft_test_add(ft, "priority=30,arp,actions=NORMAL");
	ft_test_add(ft, "cookie=0x12,priority=40,in_port=1,actions=output:2");
	ft_test_add(ft, "table=2,priority=10,ip,actions=output:3");
	CHECK(flowtab_del_flows(ft, "tcp", true, &n, &err) == 0 && n == 0,
			"strict del needs the exact match and priority");
	CHECK(flowtab_del_flows(ft, "priority=20,tcp,tp_dst=80", true, &n, &err) == 0 && n == 1,
			"strict del");
	CHECK(flowtab_del_flows(ft, "cookie=0x10/0xf0", false, &n, &err) == 0 && n == 1,
			"del by cookie mask");
	CHECK(flowtab_del_flows(ft, "out_port=3", false, &n, &err) == 0 && n == 1, "del out_port");
	CHECK(flowtab_del_flows(ft, "ip", false, &n, &err) == 0 && n == 1, "del ip (non-strict)");
	CHECK(flowtab_n_rules(ft) == 1, "arp rule left");
	CHECK(flowtab_del_flows(ft, "ipp", false, &n, &err) == -EINVAL && err &&
	      strstr(err, "field 'ipp': unknown field"), "bad del: %s", err);
	free(err);
	CHECK(flowtab_del_flows(ft, NULL, false, &n, &err) == 0 && n == 1 &&
	      flowtab_n_rules(ft) == 0, "del all");
	flowtab_destroy(ft);
}

/* Rules of 'ft' that dump-flows 'match' shows. */
static unsigned
n_dumped(struct flowtab *ft, const char *match)
{
	char *d = dump(ft, match), *p;
	unsigned n = 0;

	for (p = d; (p = strchr(p, '\n')) != NULL; p++)
		n++;
	free(d);
	return n;
}

/*
 * out_port selects the rules whose actions output to the port, reserved ports as Open
 * vSwitch counts them (the controller action for CONTROLLER); out_group those with the
 * group action.
 */
static void
test_out_filters(void)
{
	static const char *const rules[] = {
		"priority=1,actions=NORMAL",
		"priority=2,actions=FLOOD",
		"priority=3,actions=ALL",
		"priority=4,actions=IN_PORT",
		"priority=5,actions=CONTROLLER:128",
		"priority=6,actions=output:LOCAL",
		"priority=7,actions=output:2,output:NORMAL",
		"priority=8,actions=group:5",
		"priority=9,actions=group:6,output:3",
	};
	struct flowtab *ft = flowtab_create("br0", &ft_test_ports, NULL);
	static const struct { const char *filter; unsigned n; } want[] = {
		{ "out_port=NORMAL", 2 }, { "out_port=65530", 2 }, { "out_port=FLOOD", 1 },
		{ "out_port=ALL", 1 }, { "out_port=IN_PORT", 1 }, { "out_port=CONTROLLER", 1 },
		{ "out_port=LOCAL", 1 }, { "out_port=2", 1 }, { "out_port=3", 1 },
		{ "out_group=5", 1 }, { "out_group=6", 1 }, { "out_group=7", 0 },
		{ "out_group=ANY", RTE_DIM(rules) }, { "out_group=6,out_port=3", 1 },
		{ "out_group=5,out_port=3", 0 },
	};
	struct flowtab_group_spec spec;
	enum flowtab_gm_error why;
	char *buf, *err = NULL;
	const char *g[] = { "group_id=5,type=all,bucket=output:3",
			    "group_id=6,type=all,bucket=output:4" };
	size_t i, n = 0;

	for (i = 0; i < RTE_DIM(g); i++) {
		buf = NULL;
		CHECK(flowtab_group_parse(g[i], &ft_test_ports, &spec, &buf, &err) == 0 &&
		      flowtab_group_mod(ft, FLOWTAB_GM_ADD, &spec, &why, &err) == 0,
		      "%s: %s", g[i], err ? err : "");
		free(buf);
	}
	for (i = 0; i < RTE_DIM(rules); i++)
		ft_test_add(ft, rules[i]);
	for (i = 0; i < RTE_DIM(want); i++)
		CHECK(n_dumped(ft, want[i].filter) == want[i].n, "dump-flows %s: %u rules, "
		      "expected %u", want[i].filter, n_dumped(ft, want[i].filter), want[i].n);
	CHECK(flowtab_del_flows(ft, "out_group=x", false, &n, &err) == -EINVAL && err &&
	      strstr(err, "out_group"), "out_group=x refused: %s", err ? err : "(accepted)");
	free(err);
	CHECK(flowtab_del_flows(ft, "out_group=5", false, &n, &err) == 0 && n == 1,
	      "del-flows out_group=5: %zu", n);
	CHECK(flowtab_del_flows(ft, "out_port=CONTROLLER", false, &n, &err) == 0 && n == 1,
	      "del-flows out_port=CONTROLLER: %zu", n);
	CHECK(flowtab_del_flows(ft, "out_port=NORMAL", false, &n, &err) == 0 && n == 2,
	      "del-flows out_port=NORMAL: %zu", n);
	CHECK(flowtab_n_rules(ft) == RTE_DIM(rules) - 4, "rules left: %zu", flowtab_n_rules(ft));
	flowtab_destroy(ft);
}

static void
test_mod_replace(void)
{
	struct flowtab *ft = flowtab_create("br0", &ft_test_ports, NULL);
	static const char *const next[] = {
		"in_port=1,actions=output:2",       /* identical: counters kept */
		"in_port=2,actions=output:4",       /* same match, new actions: counters kept */
		"in_port=5,actions=drop",           /* new */
	};
	char *err = NULL, *d;

	ft_test_add(ft, "in_port=1,actions=output:2");
	ft_test_add(ft, "in_port=2,actions=output:1");
	ft_test_add(ft, "in_port=3,actions=output:1");
	send_pkts(ft, 1, 3);
	send_pkts(ft, 2, 2);
	CHECK(flowtab_mod_flows(ft, "in_port=2,actions=output:3", false, &err) == 0, "mod: %s", err);
	d = dump(ft, "in_port=2");
	CHECK(strstr(d, "n_packets=2,") && strstr(d, "actions=output:p3"), "mod keeps counters: %s", d);
	free(d);
	CHECK(flowtab_mod_flows(ft, "priority=9,in_port=2,actions=drop", true, &err) == 0, "mod strict");
	d = dump(ft, "in_port=2");
	CHECK(strstr(d, "actions=output:p3"), "strict mod of another priority changes nothing: %s", d);
	free(d);
	CHECK(flowtab_mod_flows(ft, "in_port=2", false, &err) == -EINVAL && err &&
	      strstr(err, "field 'actions'"), "mod needs actions: %s", err);
	free(err);
	err = NULL;
	CHECK(flowtab_replace_flows(ft, next, NULL, 3, "new.txt", &err) == 0, "replace: %s", err);
	d = dump(ft, NULL);
	CHECK(strstr(d, "n_packets=3, n_bytes=180, idle_age=0, in_port=p1 actions=output:p2") &&
	      strstr(d, "n_packets=2, n_bytes=120, idle_age=0, in_port=p2 actions=output:p4") &&
	      strstr(d, "n_packets=0, n_bytes=0, idle_age=0, in_port=p5 actions=drop") &&
	      !strstr(d, "in_port=p3"), "replace-flows result:\n%s", d);
	free(d);
	send_pkts(ft, 2, 1);
	d = dump(ft, "in_port=2");
	CHECK(strstr(d, "n_packets=3,"), "new actions used after replace: %s", d);
	free(d);
	flowtab_destroy(ft);
}

static void
test_timeouts(void)
{
	struct flowtab *ft = flowtab_create("br0", &ft_test_ports, NULL);
	char *d;

	flowtab_set_clock(ft, fake_clock, NULL);
	ft_test_add(ft, "in_port=1,hard_timeout=5,actions=output:2");
	ft_test_add(ft, "in_port=2,idle_timeout=3,actions=output:1");
	ft_test_add(ft, "in_port=3,idle_timeout=3,actions=output:1");
	ft_test_add(ft, "in_port=4,actions=output:1");
	fake_now += 2000;
	send_pkts(ft, 2, 1);
	flowtab_run_timeouts(ft);
	CHECK(flowtab_n_rules(ft) == 4, "nothing expired at 2 s");
	fake_now += 1500;       /* 3.5 s: in_port=3 idle for 3.5 s, in_port=2 used again */
	send_pkts(ft, 2, 1);
	flowtab_run_timeouts(ft);
	d = dump(ft, NULL);
	CHECK(flowtab_n_rules(ft) == 3 && !strstr(d, "in_port=p3"), "idle timeout: %s", d);
	free(d);
	fake_now += 1500;       /* 5 s: hard timeout of in_port=1 */
	send_pkts(ft, 1, 1);
	flowtab_run_timeouts(ft);
	d = dump(ft, NULL);
	CHECK(flowtab_n_rules(ft) == 2 && !strstr(d, "in_port=p1"), "hard timeout despite traffic: %s", d);
	free(d);
	fake_now += 2000;       /* 7 s: in_port=2 idle for 3.5 s */
	flowtab_run_timeouts(ft);
	CHECK(flowtab_n_rules(ft) == 1, "idle timeout after traffic stopped");
	fake_now += 100000;
	flowtab_run_timeouts(ft);
	CHECK(flowtab_n_rules(ft) == 1, "rules without timeouts stay");
	flowtab_destroy(ft);
}

/* Rules found by identity after many deletions (the index's backward-shift deletion). */
static void
test_identity_index(void)
{
	struct flowtab *ft = flowtab_create("br0", &ft_test_ports, NULL);
	const char *texts[1000];
	char *buf[1000], *err = NULL, del[96];
	size_t n_del;
	unsigned round, i, seed = 7;

	for (i = 0; i < 1000; i++) {
		if (asprintf(&buf[i], "priority=%u,ip,nw_dst=10.%u.%u.0/24,actions=drop", i % 7,
			     i / 250, i % 250) < 0)
			return;
		texts[i] = buf[i];
	}
	for (round = 0; round < 6; round++) {
		CHECK(flowtab_add_flows(ft, texts, NULL, 1000, NULL, &err) == 0, "add: %s", err);
		CHECK(flowtab_n_rules(ft) == 1000, "round %u: %zu rules, want 1000 (identical "
				"rules replaced)", round, flowtab_n_rules(ft));
		for (i = 0; i < 1000; i++) {
			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) % 3)
				continue;
			snprintf(del, sizeof(del), "priority=%u,ip,nw_dst=10.%u.%u.0/24", i % 7,
					i / 250, i % 250);
			CHECK(flowtab_del_flows(ft, del, true, &n_del, &err) == 0 && n_del == 1,
					"round %u: strict del of rule %u", round, i);
		}
	}
	for (i = 0; i < 1000; i++)
		free(buf[i]);
	flowtab_destroy(ft);
}

int
main(int argc, char **argv)
{
	(void)argc;
	mp = ft_test_eal_init(argv[0], 4096);
	test_add_atomic();
	test_dump_format();
	test_del();
	test_out_filters();
	test_mod_replace();
	test_timeouts();
	test_identity_index();
	return check_report("test_ft_table");
}
