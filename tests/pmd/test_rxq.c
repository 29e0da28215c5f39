/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rx-queue placement (pmd/rxq.c) without threads or EAL: fake PMDs and ports with measured
 * loads, placed under each pmd-rxq-assign algorithm and pmd-rxq-isolate setting, and the
 * resulting sets checked queue by queue.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_rcu_qsbr.h>

#include "check.h"
#include "pmd.h"
#include "rcu.h"

#define N_PMDS 3

static struct pmd pmd_store[N_PMDS];
static struct pmd *pmds[N_PMDS];
static struct rcu_defer *defer;

/* The core of the PMD polling queue 'q' of 'p', or -1. */
static int
core_of(const struct port *p, uint16_t q)
{
	for (unsigned i = 0; i < N_PMDS; i++) {
		const struct pmd_rxq_set *s = pmds[i]->rxqs;

		for (uint32_t k = 0; s != NULL && k < s->n; k++)
			if (s->rxq[k].port == p && s->rxq[k].qid == q)
				return (int)pmds[i]->core;
	}
	return -1;
}

static void
set_port(struct port *p, const char *name, uint16_t slot, int socket, uint16_t n_rxq,
		const uint64_t *loads)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->slot = slot;
	p->socket = socket;
	p->n_rxq = n_rxq;
	for (uint16_t q = 0; q < n_rxq; q++)
		p->rxq_stats[q].load = loads ? loads[q] : 0;
}

static void
assign(struct port *const *ports, unsigned n, enum pmd_rxq_algo algo, bool isolate,
		char **warn)
{
	struct pmd_rxq_policy pol = { algo, isolate };

	CHECK(pmd_rxq_assign(pmds, N_PMDS, ports, n, &pol, defer, warn) == 0);
}

/* Six equal queues with no load: the deal order tells the algorithms apart. */
static void
test_deal_order(void)
{
	static const int rr[6] = { 10, 11, 12, 10, 11, 12 };
	static const int updown[6] = { 10, 11, 12, 12, 11, 10 };
	struct port a, b;
	struct port *ports[2] = { &a, &b };

	set_port(&a, "a", 0, 0, 3, NULL);
	set_port(&b, "b", 1, 0, 3, NULL);
	assign(ports, 2, PMD_RXQ_ROUNDROBIN, true, NULL);
	for (int i = 0; i < 6; i++)
		CHECK(core_of(ports[i / 3], (uint16_t)(i % 3)) == rr[i],
			"roundrobin: queue %d on core %d", i, core_of(ports[i / 3], (uint16_t)(i % 3)));
	assign(ports, 2, PMD_RXQ_CYCLES, true, NULL);
	for (int i = 0; i < 6; i++)
		CHECK(core_of(ports[i / 3], (uint16_t)(i % 3)) == updown[i],
			"cycles: queue %d on core %d", i, core_of(ports[i / 3], (uint16_t)(i % 3)));
}

/*
 * Loads 100, 60, 50, 40, 10 (queues of one port, given out of order): "cycles" deals them
 * heaviest first up and down (100->A, 60->B, 50->C, 40->C, 10->B); "group" gives each to the
 * least loaded (100->A, 60->B, 50->C, 40->C (50 < 60), 10->B (60 < 90)); "roundrobin"
 * ignores the loads (q0->A, q1->B, q2->C, q3->A, q4->B).
 */
static void
test_loads(void)
{
	static const uint64_t loads[5] = { 40, 100, 10, 60, 50 };
	static const int cycles[5] = { 12, 10, 11, 11, 12 };
	static const int group[5] = { 12, 10, 11, 11, 12 };
	static const int rr[5] = { 10, 11, 12, 10, 11 };
	struct port a;
	struct port *ports[1] = { &a };

	set_port(&a, "a", 0, 0, 5, loads);
	assign(ports, 1, PMD_RXQ_CYCLES, true, NULL);
	for (uint16_t q = 0; q < 5; q++)
		CHECK(core_of(&a, q) == cycles[q], "cycles: load %lu on core %d",
			(unsigned long)loads[q], core_of(&a, q));
	assign(ports, 1, PMD_RXQ_GROUP, true, NULL);
	for (uint16_t q = 0; q < 5; q++)
		CHECK(core_of(&a, q) == group[q], "group: load %lu on core %d",
			(unsigned long)loads[q], core_of(&a, q));
	assign(ports, 1, PMD_RXQ_ROUNDROBIN, true, NULL);
	for (uint16_t q = 0; q < 5; q++)
		CHECK(core_of(&a, q) == rr[q], "roundrobin: queue %u on core %d", q,
			core_of(&a, q));
}

/*
 * Where "group" and "cycles" part ways: loads 90, 80, 20, 15, 10.  cycles: 90->A, 80->B,
 * 20->C, 15->C, 10->B (up and down); group: the same for the first four, then 10->C, the
 * least loaded (35 against 80).
 */
static void
test_group_differs(void)
{
	static const uint64_t loads[5] = { 90, 80, 20, 15, 10 };
	struct port a;
	struct port *ports[1] = { &a };

	set_port(&a, "a", 0, 0, 5, loads);
	assign(ports, 1, PMD_RXQ_CYCLES, true, NULL);
	CHECK(core_of(&a, 4) == 11, "cycles: the lightest queue up-and-down to core 11: %d",
		core_of(&a, 4));
	assign(ports, 1, PMD_RXQ_GROUP, true, NULL);
	CHECK(core_of(&a, 4) == 12, "group: the lightest queue to the least loaded core 12: %d",
		core_of(&a, 4));
}

/* A pin isolates its PMD unless pmd-rxq-isolate=false; NUMA locality before load. */
static void
test_pins_and_numa(void)
{
	struct port a, b;
	struct port *ports[2] = { &a, &b };
	char *warn = NULL;
	bool others_on_10 = false;

	set_port(&a, "a", 0, 0, 4, NULL);
	a.rxq_pin[0] = 1 + 10;
	set_port(&b, "b", 1, 1, 1, NULL);
	assign(ports, 2, PMD_RXQ_ROUNDROBIN, true, &warn);
	CHECK(core_of(&a, 0) == 10 && pmds[0]->isolated, "pinned queue on its core, isolated");
	for (uint16_t q = 1; q < 4; q++)
		CHECK(core_of(&a, q) == 11, "node 0 queue %u on node 0's open PMD: %d", q,
			core_of(&a, q));
	CHECK(core_of(&b, 0) == 12, "node 1 queue on node 1's PMD: %d", core_of(&b, 0));
	CHECK(warn == NULL, "no warning: %s", warn);
	assign(ports, 2, PMD_RXQ_ROUNDROBIN, false, &warn);
	CHECK(!pmds[0]->isolated, "pmd-rxq-isolate=false: the pinned PMD is not isolated");
	for (uint16_t q = 1; q < 4; q++)
		others_on_10 |= core_of(&a, q) == 10;
	CHECK(core_of(&a, 0) == 10 && others_on_10,
		"pmd-rxq-isolate=false: the pinned PMD polls other queues too");
	/* A port on a node without PMDs: placed elsewhere, with a warning. */
	b.socket = 5;
	assign(ports, 2, PMD_RXQ_GROUP, true, &warn);
	CHECK(core_of(&b, 0) >= 11, "node 5 queue on an open PMD: %d", core_of(&b, 0));
	CHECK(warn != NULL && strstr(warn, "no PMD on NUMA node 5 for port 'b'") != NULL,
		"cross-NUMA warning: %s", warn ? warn : "(none)");
	free(warn);
}

/*
 * pmd-auto-lb's dry run: six queues placed while idle (10, 11, 12, 12, 11, 10 by "cycles"),
 * then queues 0 and 5 -- both on core 10 -- carry all the load: PMD loads 200, 0, 0 now,
 * 100, 100, 0 after a new placement, the variance (n * sum of squares - sum squared) down
 * from 80000 to 20000: 75 %.  Balanced loads: 0 %.  Nothing is published.
 */
static void
test_improvement(void)
{
	struct port a;
	struct port *ports[1] = { &a };
	struct pmd_rxq_policy pol = { PMD_RXQ_CYCLES, true };
	unsigned pct = 99;

	set_port(&a, "a", 0, 0, 6, NULL);
	assign(ports, 1, PMD_RXQ_CYCLES, true, NULL);
	CHECK(pmd_rxq_improvement(pmds, N_PMDS, ports, 1, &pol, &pct) == 0 && pct == 0,
		"no load, no improvement: %u %%", pct);
	a.rxq_stats[0].load = 100;
	a.rxq_stats[5].load = 100;
	CHECK(pmd_rxq_improvement(pmds, N_PMDS, ports, 1, &pol, &pct) == 0 && pct == 75,
		"two loaded queues on one PMD: %u %% better spread after re-placing", pct);
	CHECK(core_of(&a, 0) == 10 && core_of(&a, 5) == 10, "the dry run published nothing");
	for (uint16_t q = 0; q < 6; q++)
		a.rxq_stats[q].load = 100;
	CHECK(pmd_rxq_improvement(pmds, N_PMDS, ports, 1, &pol, &pct) == 0 && pct == 0,
		"balanced: %u %%", pct);
}

static void
test_parse(void)
{
	enum pmd_rxq_algo algo;

	CHECK(pmd_rxq_algo_parse(NULL, &algo) == 0 && algo == PMD_RXQ_CYCLES);
	CHECK(pmd_rxq_algo_parse("group", &algo) == 0 && algo == PMD_RXQ_GROUP);
	CHECK(pmd_rxq_algo_parse("roundrobin", &algo) == 0 && algo == PMD_RXQ_ROUNDROBIN);
	CHECK(pmd_rxq_algo_parse("cycles", &algo) == 0 && algo == PMD_RXQ_CYCLES);
	CHECK(pmd_rxq_algo_parse("cygles", &algo) == -EINVAL);
	CHECK(strcmp(pmd_rxq_algo_name(PMD_RXQ_GROUP), "group") == 0);
}

int
main(void)
{
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	struct rte_rcu_qsbr *qsbr = aligned_alloc(RTE_CACHE_LINE_SIZE,
		RTE_ALIGN_CEIL(sz, RTE_CACHE_LINE_SIZE));
	char *err = NULL;

	if (qsbr == NULL || rte_rcu_qsbr_init(qsbr, 1) != 0)
		return 1;
	defer = rcu_defer_create(qsbr, &err);
	if (defer == NULL)
		return 1;
	/* PMDs on cores 10, 11 and 12, all on node 0 until the NUMA test moves core 12. */
	for (unsigned i = 0; i < N_PMDS; i++) {
		pmds[i] = &pmd_store[i];
		pmds[i]->index = i;
		pmds[i]->core = 10 + i;
		pmds[i]->numa = 0;
	}
	test_parse();
	test_deal_order();
	test_loads();
	test_group_differs();
	test_improvement();
	pmds[2]->numa = 1;
	test_pins_and_numa();
	rcu_defer_destroy(defer);
	for (unsigned i = 0; i < N_PMDS; i++)
		free(pmds[i]->rxqs);
	free(qsbr);
	return check_report("test_rxq");
}
