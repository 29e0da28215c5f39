/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Differential test: flowtab_process_burst() (EMC + tuple-space classifier + pipeline) against a
 * brute-force linear matcher, on random rule sets (overlapping masks, priorities, four tables,
 * resubmit/goto_table with key rewrites) and random packets, with rules changing mid-run.
 */

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "ft_rule.h"
#include "ft_test_util.h"

#define N_SETS 24
#define PKTS_PER_SET 5000
#define MAX_RULES 400
#define N_TABLES 4

struct ref_rule {
	struct ft_rule_spec spec;
	char match[200];
	bool alive;
};

static struct rte_mempool *mp;
static struct ref_rule refs[MAX_RULES];
static unsigned n_refs;
static uint64_t rng = 88172645463325252ull;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng >> 11) % n);
}

static void
cat(char *buf, size_t size, const char *fmt, const char *a)
{
	size_t len = strlen(buf);

	snprintf(buf + len, size - len, fmt, a);
}

/* A random match; the field set (and so the mask) varies from rule to rule. */
static void
gen_match(char *m, size_t size)
{
	static const char *const classes[] = { "", "ip", "tcp", "udp", "icmp", "arp", "ipv6", "tcp6" };
	const char *cls = classes[rnd(RTE_DIM(classes))];
	bool ip4 = !strcmp(cls, "ip") || !strcmp(cls, "tcp") || !strcmp(cls, "udp") ||
		   !strcmp(cls, "icmp");
	bool l4 = !strcmp(cls, "tcp") || !strcmp(cls, "udp") || !strcmp(cls, "tcp6");
	static const int plen[] = { 8, 16, 24, 30, 32 };
	char v[96];

	m[0] = '\0';
	cat(m, size, "%s", cls);
	if (rnd(3) == 0) {
		snprintf(v, sizeof(v), ",in_port=%u", 1 + rnd(4));
		cat(m, size, "%s", v);
	}
	if (rnd(6) == 0) {
		snprintf(v, sizeof(v), ",dl_src=02:00:00:00:00:0%u", 1 + rnd(4));
		cat(m, size, "%s", v);
	}
	if (rnd(8) == 0)
		cat(m, size, "%s", ",dl_dst=01:00:00:00:00:00/01:00:00:00:00:00");
	if (rnd(8) == 0) {
		snprintf(v, sizeof(v), ",dl_vlan=%s", rnd(2) ? "10" : "0xffff");
		cat(m, size, "%s", v);
	}
	if (ip4 && rnd(2)) {
		snprintf(v, sizeof(v), ",nw_src=10.0.%u.%u/%d", rnd(4), 1 + rnd(4), plen[rnd(5)]);
		cat(m, size, "%s", v);
	}
	if (ip4 && rnd(2)) {
		snprintf(v, sizeof(v), ",nw_dst=10.0.%u.%u/%d", rnd(4), 1 + rnd(4), plen[rnd(5)]);
		cat(m, size, "%s", v);
	}
	if (l4 && rnd(2)) {
		static const char *const ports[] = { "80", "443", "53", "1000/0xfffc", "0x100/0xff00" };

		snprintf(v, sizeof(v), ",tp_dst=%s", ports[rnd(5)]);
		cat(m, size, "%s", v);
	}
	if (!strcmp(cls, "icmp") && rnd(2)) {
		snprintf(v, sizeof(v), ",icmp_type=%u", rnd(2) ? 8 : 0);
		cat(m, size, "%s", v);
	}
	if (!strcmp(cls, "arp") && rnd(2)) {
		snprintf(v, sizeof(v), ",arp_op=%u", 1 + rnd(2));
		cat(m, size, "%s", v);
	}
	if ((!strcmp(cls, "ipv6") || !strcmp(cls, "tcp6")) && rnd(2)) {
		snprintf(v, sizeof(v), ",ipv6_dst=2001:db8::%u/%d", 1 + rnd(4), rnd(2) ? 128 : 64);
		cat(m, size, "%s", v);
	}
	if (m[0] == ',')
		memmove(m, m + 1, strlen(m));
}

static void
gen_actions(char *a, size_t size, int table)
{
	int t2 = table + 1 + (int)rnd((uint32_t)(N_TABLES - table - 1) + 1);

	if (table < N_TABLES - 1 && rnd(3) == 0) {
		switch (rnd(3)) {
		case 0:
			snprintf(a, size, "mod_nw_src:10.0.%u.%u,resubmit(,%d)", rnd(4), 1 + rnd(4),
					t2 < N_TABLES ? t2 : N_TABLES - 1);
			break;
		case 1:
			snprintf(a, size, "mod_tp_dst:%s,goto_table:%d", rnd(2) ? "80" : "443",
					t2 < N_TABLES ? t2 : N_TABLES - 1);
			break;
		default:
			snprintf(a, size, "resubmit(,%d),output:%u", t2 < N_TABLES ? t2 : N_TABLES - 1,
					1 + rnd(5));
			break;
		}
		return;
	}
	switch (rnd(4)) {
	case 0:
		snprintf(a, size, "drop");
		break;
	case 1:
		snprintf(a, size, "output:%u,output:%u", 1 + rnd(5), 1 + rnd(5));
		break;
	default:
		snprintf(a, size, "output:%u", 1 + rnd(5));
		break;
	}
}

/* Unique priorities per table, so that the highest-priority match is well defined. */
static bool prio_used[N_TABLES][4096];

static bool
add_random_rule(struct flowtab *ft)
{
	struct ref_rule *r = &refs[n_refs];
	char acts[128], text[400], *err = NULL;
	int table = (int)rnd(N_TABLES), prio;

	do
		prio = (int)rnd(4096);
	while (prio_used[table][prio]);
	gen_match(r->match, sizeof(r->match));
	gen_actions(acts, sizeof(acts), table);
	snprintf(text, sizeof(text), "table=%d,priority=%d,%s%sactions=%s", table, prio, r->match,
			r->match[0] ? "," : "", acts);
	if (ft_rule_parse(text, FT_PARSE_ADD, &ft_test_ports, &r->spec, &err)) {
		CHECK(0, "generated rule '%s': %s", text, err);
		free(err);
		return false;
	}
	if (ft_test_add(ft, text)) {
		ft_rule_spec_clear(&r->spec);
		return false;
	}
	prio_used[table][prio] = true;
	r->alive = true;
	n_refs++;
	return true;
}

static void
del_rule(struct flowtab *ft, struct ref_rule *r)
{
	char text[300], *err = NULL;
	size_t n = 0;

	snprintf(text, sizeof(text), "table=%d,priority=%d%s%s", r->spec.table_id, r->spec.priority,
			r->match[0] ? "," : "", r->match);
	CHECK(flowtab_del_flows(ft, text, true, &n, &err) == 0 && n == 1, "del '%s': %zu, %s", text,
			n, err ? err : "");
	free(err);
	prio_used[r->spec.table_id][r->spec.priority] = false;
	r->alive = false;
}

static const struct ref_rule *
ref_lookup(int table, const struct ft_key *k)
{
	const struct ref_rule *best = NULL;
	unsigned i;

	for (i = 0; i < n_refs; i++) {
		const struct ref_rule *r = &refs[i];

		if (r->alive && r->spec.table_id == table && ft_match_key(&r->spec.match, k) &&
		    (!best || r->spec.priority > best->spec.priority))
			best = r;
	}
	return best;
}

static void
ref_run(const struct ref_rule *r, struct ft_key *k, uint32_t in_port, uint32_t *outs,
		unsigned *n_outs, unsigned depth)
{
	const struct ft_actions *acts = r->spec.acts;
	const struct ref_rule *next;
	uint32_t i;

	for (i = 0; i < acts->n; i++) {
		const struct ft_action *a = &acts->a[i];

		switch (a->type) {
		case FT_ACT_OUTPUT:
			if (a->u32 != in_port)
				outs[(*n_outs)++] = a->u32;
			break;
		case FT_ACT_SET_NW_SRC:
			if (k->dl_type == htons(0x0800))
				k->nw_src = a->u32;
			break;
		case FT_ACT_SET_TP_DST:
			if (k->nw_proto == 6 || k->nw_proto == 17)
				k->tp_dst = htons(a->u16);
			break;
		case FT_ACT_RESUBMIT:
		case FT_ACT_GOTO_TABLE:
			if (depth >= 64)
				break;
			next = ref_lookup(a->u8, k);
			if (next)
				ref_run(next, k, in_port, outs, n_outs, depth + 1);
			break;
		default:
			CHECK(0, "unexpected action type %u", a->type);
		}
	}
}

static void
gen_packet(struct ft_test_pkt *p)
{
	static const uint16_t types[] = { 0x0800, 0x0800, 0x0800, 0x0806, 0x86dd, 0x88cc };
	static const uint8_t protos[] = { 6, 17, 1, 47 };
	static const uint16_t ports[] = { 80, 443, 53, 1000, 1001, 1003, 0x1ab, 7 };

	memset(p, 0, sizeof(*p));
	p->dst[0] = rnd(4) ? 0x02 : 0x01;
	p->dst[5] = (uint8_t)(1 + rnd(4));
	p->src[0] = 0x02;
	p->src[5] = (uint8_t)(1 + rnd(4));
	p->vlan = rnd(4) ? -1 : (rnd(2) ? 10 : 20);
	p->dl_type = types[rnd(RTE_DIM(types))];
	p->nw_src = 0x0a000000u | rnd(4) << 8 | (1 + rnd(4));
	p->nw_dst = 0x0a000000u | rnd(4) << 8 | (1 + rnd(4));
	p->arp_op = (uint16_t)(1 + rnd(2));
	p->ttl = 64;
	p->sport = ports[rnd(8)];
	p->dport = ports[rnd(8)];
	if (p->dl_type == 0x0800) {
		p->proto = protos[rnd(4)];
		if (p->proto == 1) {
			p->sport = rnd(2) ? 8 : 0;
			p->dport = 0;
		}
	} else if (p->dl_type == 0x86dd) {
		p->proto = rnd(2) ? 6 : 17;
		p->ip6_dst[0] = 0x20;
		p->ip6_dst[1] = 0x01;
		p->ip6_dst[2] = 0x0d;
		p->ip6_dst[3] = 0xb8;
		p->ip6_dst[15] = (uint8_t)(1 + rnd(4));
		if (rnd(4) == 0)
			p->ip6_dst[8] = 1;
	}
}

static unsigned long total_pkts, total_outs;

static void
run_set(struct flowtab_pmd *pmd, unsigned n_rules)
{
	struct flowtab *ft = flowtab_create("br0", &ft_test_ports, NULL);
	static struct ft_capture cap;
	static uint32_t expect[32 * 64];
	struct flowtab_out out;
	struct rte_mbuf *burst[32];
	struct ft_test_pkt p;
	static struct ft_test_pkt hot[64];
	struct ft_layers ly;
	struct ft_key k;
	unsigned sent = 0, i, n, n_exp, errs_before = check_failed();
	uint32_t in_port;

	memset(prio_used, 0, sizeof(prio_used));
	n_refs = 0;
	while (n_refs < n_rules)
		if (!add_random_rule(ft))
			break;
	for (i = 0; i < RTE_DIM(hot); i++)
		gen_packet(&hot[i]);
	ft_capture_init(&cap, &out, false);
	while (sent < PKTS_PER_SET && check_failed() == errs_before) {
		if (sent >= PKTS_PER_SET / 2 && sent < PKTS_PER_SET / 2 + 32) {
			/* Change a third of the rules under the caches' feet. */
			for (i = 0; i < n_refs; i++)
				if (refs[i].alive && rnd(3) == 0)
					del_rule(ft, &refs[i]);
			for (i = 0; i < n_rules / 3 && n_refs < MAX_RULES; i++)
				add_random_rule(ft);
		}
		in_port = 1 + rnd(5);
		n = 1 + rnd(32);
		n_exp = 0;
		for (i = 0; i < n; i++) {
			const struct ref_rule *r;

			/* A few flows repeat a lot (EMC hits), the others are random. */
			if (rnd(2))
				p = hot[rnd(RTE_DIM(hot))];
			else
				gen_packet(&p);
			burst[i] = ft_test_build(mp, &p);
			ft_key_extract(burst[i], in_port, &k, &ly);
			r = ref_lookup(0, &k);
			if (r)
				ref_run(r, &k, in_port, expect, &n_exp, 1);
		}
		ft_capture_reset(&cap);
		flowtab_process_burst(pmd, ft, burst, (uint16_t)n, in_port, &out);
		CHECK(cap.n == n_exp, "set of %u rules, burst at packet %u: %u outputs, expected %u",
				n_rules, sent, cap.n, n_exp);
		for (i = 0; i < n_exp && i < cap.n; i++)
			CHECK(cap.rec[i].kind == 0 && cap.rec[i].port == expect[i],
					"output %u of a burst: port %u, expected %u", i, cap.rec[i].port,
					expect[i]);
		total_outs += n_exp;
		sent += n;
	}
	total_pkts += sent;
	for (i = 0; i < n_refs; i++)
		ft_rule_spec_clear(&refs[i].spec);
	flowtab_destroy(ft);
}

int
main(int argc, char **argv)
{
	struct flowtab_pmd *pmd;
	const struct flowtab_pmd_stats *st;
	unsigned s;

	(void)argc;
	mp = ft_test_eal_init(argv[0], 16384);
	pmd = flowtab_pmd_create(0, -1);
	for (s = 0; s < N_SETS && !check_failed(); s++)
		run_set(pmd, 10 + rnd(s < 4 ? 20 : 250));
	st = flowtab_pmd_stats(pmd);
	printf("%lu packets, %lu outputs; emc hits %lu, classifier hits %lu, misses %lu\n",
			total_pkts, total_outs, (unsigned long)st->emc_hits,
			(unsigned long)st->megaflow_hits, (unsigned long)st->misses);
	CHECK(total_pkts >= 100000 || check_failed(), "at least 100k packets (%lu)", total_pkts);
	CHECK(st->emc_hits > 1000 && st->megaflow_hits > 1000, "both EMC and classifier exercised");
	flowtab_pmd_destroy(pmd);
	return check_report("test_ft_diff");
}
