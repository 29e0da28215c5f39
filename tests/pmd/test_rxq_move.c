/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An rx queue moving between PMDs (pmd_rxq_assign) is never in two PMDs' sets while one of
 * them may still be polling it.  One thread plays PMD 1, as pmd/pmd.c's loop does: it loads
 * its set, polls, reports a quiescent state; the test can hold it in the middle of a pass.
 * While it holds a set with queue 1, the queue is placed on PMD 0: PMD 0's published set
 * must not have it until PMD 1 is quiescent again.  A placement that moves nothing must not
 * wait for PMD 1 at all.  No EAL; PMD 0 has no thread (its set is only looked at).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_rcu_qsbr.h>

#include "check.h"
#include "pmd.h"
#include "rcu.h"

#define N_PMDS 2
#define PMD1_ID 1		/* the RCU reader id of the PMD 1 thread */

static struct pmd pmd_store[N_PMDS];
static struct pmd *pmds[N_PMDS];
static struct rte_rcu_qsbr *qsbr;
static struct rcu_defer *defer;
static struct port port_a;

/* Between the test and the PMD 1 thread. */
static int hold;			/* test: stop in the middle of the next pass */
static const struct pmd_rxq_set *held;	/* PMD 1: the set of the pass it is stopped in */
static int stop;

/* Between the test and the assigning thread. */
static int assigned;

static bool
has(const struct pmd_rxq_set *s, const struct port *p, uint16_t q)
{
	for (uint32_t k = 0; s != NULL && k < s->n; k++)
		if (s->rxq[k].port == p && s->rxq[k].qid == q)
			return true;
	return false;
}

static void *
pmd1_main(void *arg)
{
	(void)arg;
	rte_rcu_qsbr_thread_register(qsbr, PMD1_ID);
	rcu_online(qsbr, PMD1_ID);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		const struct pmd_rxq_set *s = __atomic_load_n(&pmds[1]->rxqs, __ATOMIC_ACQUIRE);

		if (__atomic_load_n(&hold, __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&held, s, __ATOMIC_RELEASE);
			while (__atomic_load_n(&hold, __ATOMIC_ACQUIRE))
				usleep(100);
			__atomic_store_n(&held, NULL, __ATOMIC_RELEASE);
		}
		rcu_quiescent(qsbr, PMD1_ID);
		usleep(50);
	}
	rcu_offline(qsbr, PMD1_ID);
	rte_rcu_qsbr_thread_unregister(qsbr, PMD1_ID);
	return NULL;
}

static void
loads(uint64_t q0, uint64_t q1)
{
	port_a.rxq_stats[0].load = q0;
	port_a.rxq_stats[1].load = q1;
}

static void *
assign_main(void *arg)
{
	struct port *ports[1] = { &port_a };
	struct pmd_rxq_policy pol = { PMD_RXQ_CYCLES, true };

	(void)arg;
	CHECK(pmd_rxq_assign(pmds, N_PMDS, ports, 1, &pol, defer, NULL) == 0);
	__atomic_store_n(&assigned, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Hold PMD 1 in a pass; returns the set it holds. */
static const struct pmd_rxq_set *
hold_pmd1(void)
{
	const struct pmd_rxq_set *s;

	__atomic_store_n(&hold, 1, __ATOMIC_RELEASE);
	while ((s = __atomic_load_n(&held, __ATOMIC_ACQUIRE)) == NULL)
		usleep(100);
	return s;
}

static void
release_pmd1(void)
{
	__atomic_store_n(&hold, 0, __ATOMIC_RELEASE);
}

/* Start a placement on another thread (it may wait for PMD 1). */
static pthread_t
assign_async(void)
{
	pthread_t t;

	__atomic_store_n(&assigned, 0, __ATOMIC_RELEASE);
	if (pthread_create(&t, NULL, assign_main, NULL) != 0)
		abort();
	return t;
}

/*
 * "cycles" deals the heavier queue to PMD 0: loads 100/50 put queue 0 on PMD 0 and queue 1
 * on PMD 1; 50/100 swap them.
 */
static void
test_move_waits(void)
{
	const struct pmd_rxq_set *s;
	bool early = false;
	pthread_t t;

	loads(100, 50);
	pthread_join(assign_async(), NULL);
	CHECK(has(pmds[0]->rxqs, &port_a, 0) && has(pmds[1]->rxqs, &port_a, 1),
		"first placement: queue 0 on PMD 0, queue 1 on PMD 1");
	s = hold_pmd1();
	CHECK(has(s, &port_a, 1), "PMD 1 is in a pass that includes queue 1");
	loads(50, 100);
	t = assign_async();
	/* PMD 1 may poll queue 1 until it is quiescent: PMD 0 must not have it meanwhile. */
	for (int i = 0; i < 200; i++) {
		early |= has(__atomic_load_n(&pmds[0]->rxqs, __ATOMIC_ACQUIRE), &port_a, 1);
		usleep(1000);
	}
	CHECK(!early, "queue 1 published to PMD 0 while PMD 1 was still in a pass over it");
	CHECK(!__atomic_load_n(&assigned, __ATOMIC_ACQUIRE),
		"the placement waits for PMD 1's quiescent state");
	CHECK(!has(__atomic_load_n(&pmds[1]->rxqs, __ATOMIC_ACQUIRE), &port_a, 1),
		"meanwhile PMD 1's published set no longer has queue 1");
	release_pmd1();
	pthread_join(t, NULL);
	CHECK(has(pmds[0]->rxqs, &port_a, 1) && has(pmds[1]->rxqs, &port_a, 0),
		"after the grace period: queue 1 on PMD 0, queue 0 on PMD 1");
}

/* Nothing moves: the new sets are published without waiting for PMD 1. */
static void
test_no_move_no_wait(void)
{
	bool done = false;
	pthread_t t;

	hold_pmd1();
	t = assign_async();
	for (int i = 0; i < 2000 && !done; i++) {
		done = __atomic_load_n(&assigned, __ATOMIC_ACQUIRE);
		usleep(1000);
	}
	CHECK(done, "a placement that moves no queue does not wait for a grace period");
	release_pmd1();
	pthread_join(t, NULL);
	CHECK(has(pmds[0]->rxqs, &port_a, 1) && has(pmds[1]->rxqs, &port_a, 0),
		"placement unchanged");
}

int
main(void)
{
	size_t sz = rte_rcu_qsbr_get_memsize(N_PMDS);
	char *err = NULL;
	pthread_t pmd1;

	qsbr = aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN_CEIL(sz, RTE_CACHE_LINE_SIZE));
	if (qsbr == NULL || rte_rcu_qsbr_init(qsbr, N_PMDS) != 0)
		return 1;
	defer = rcu_defer_create(qsbr, &err);
	if (defer == NULL)
		return 1;
	for (unsigned i = 0; i < N_PMDS; i++) {
		pmds[i] = &pmd_store[i];
		pmds[i]->index = i;
		pmds[i]->core = 10 + i;
		pmds[i]->qsbr = qsbr;
	}
	snprintf(port_a.name, sizeof(port_a.name), "a");
	port_a.n_rxq = 2;
	if (pthread_create(&pmd1, NULL, pmd1_main, NULL) != 0)
		return 1;
	test_move_waits();
	test_no_move_no_wait();
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_join(pmd1, NULL);
	rcu_defer_destroy(defer);
	for (unsigned i = 0; i < N_PMDS; i++)
		free(pmds[i]->rxqs);
	free(qsbr);
	return check_report("test_rxq_move");
}
