/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rcu.h against two reader threads, as the main thread and the PMDs use it: the writer
 * publishes a new snapshot with an atomic store and hands the old one to rcu_defer_free(),
 * or (second half) waits with rcu_synchronize() and frees it, as flowtab and the ports do;
 * readers load the current snapshot, read all of it, and report a quiescent state (going
 * offline and online now and then, as an idle PMD does).  A snapshot is retired (marked
 * dead, then freed) only after its grace period, so a reader never sees a dead one.  Under
 * ThreadSanitizer (suite tsan) this also checks that rcu.h tells TSan about grace periods:
 * without it, every free is reported as a race with the readers' last reads.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <rte_rcu_qsbr.h>

#include "check.h"
#include "rcu.h"

#define N_READERS 2
#define N_UPDATES 20000		/* deferred */
#define N_SYNC 200		/* synchronous */
#define SNAP_WORDS 16

struct snap {
	unsigned long gen;
	unsigned long dead;		/* set by retire() just before free */
	unsigned long words[SNAP_WORDS];
};

static struct rte_rcu_qsbr *qsbr;
static struct snap *current;
static int stop;
static unsigned long retired;

struct reader {
	unsigned int id;
	unsigned long reads;
	unsigned long bad;
	unsigned long back;
};

static void
retire(void *p)
{
	struct snap *s = p;

	__atomic_store_n(&s->dead, 1, __ATOMIC_RELAXED);
	retired++;
	free(s);
}

static void *
reader(void *arg)
{
	struct reader *r = arg;
	unsigned long last = 0;

	rte_rcu_qsbr_thread_register(qsbr, r->id);
	rcu_online(qsbr, r->id);
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		const struct snap *s = __atomic_load_n(&current, __ATOMIC_ACQUIRE);
		unsigned int i;

		if (__atomic_load_n(&s->dead, __ATOMIC_RELAXED))
			r->bad++;
		for (i = 0; i < SNAP_WORDS; i++)
			r->bad += s->words[i] != s->gen * 7 + i;
		r->back += s->gen < last;
		last = s->gen;
		__atomic_store_n(&r->reads, r->reads + 1, __ATOMIC_RELAXED);
		rcu_quiescent(qsbr, r->id);
		if (r->reads % 1024 == 0) {
			rcu_offline(qsbr, r->id);
			rcu_online(qsbr, r->id);
		}
	}
	rcu_offline(qsbr, r->id);
	rte_rcu_qsbr_thread_unregister(qsbr, r->id);
	return NULL;
}

static struct snap *
snap_new(unsigned long gen)
{
	struct snap *s = calloc(1, sizeof(*s));
	unsigned int i;

	if (s == NULL)
		abort();
	s->gen = gen;
	for (i = 0; i < SNAP_WORDS; i++)
		s->words[i] = gen * 7 + i;
	return s;
}

int
main(void)
{
	size_t sz = rte_rcu_qsbr_get_memsize(N_READERS);
	struct reader rd[N_READERS];
	pthread_t th[N_READERS];
	struct rcu_defer *d;
	char *err = NULL;
	unsigned long gen, reads = 0, bad = 0, back = 0;
	unsigned int i;

	qsbr = aligned_alloc(RTE_CACHE_LINE_SIZE, (sz + RTE_CACHE_LINE_SIZE - 1) &
		~(size_t)(RTE_CACHE_LINE_SIZE - 1));
	CHECK(qsbr != NULL && rte_rcu_qsbr_init(qsbr, N_READERS) == 0, "qsbr");
	d = rcu_defer_create(qsbr, &err);
	CHECK(d != NULL, "rcu_defer_create: %s", err ? err : "");
	if (qsbr == NULL || d == NULL)
		return check_report("test_rcu_defer");
	current = snap_new(1);
	for (i = 0; i < N_READERS; i++) {
		rd[i] = (struct reader){ .id = i };
		pthread_create(&th[i], NULL, reader, &rd[i]);
	}
	/* Change snapshots only while both readers read. */
	for (i = 0; i < N_READERS; i++)
		while (__atomic_load_n(&rd[i].reads, __ATOMIC_RELAXED) < 10)
			sched_yield();
	for (gen = 2; gen <= N_UPDATES + N_SYNC; gen++) {
		struct snap *old = current;

		__atomic_store_n(&current, snap_new(gen), __ATOMIC_RELEASE);
		if (gen > N_UPDATES) {
			rcu_synchronize(qsbr);
			retire(old);
			continue;
		}
		rcu_defer_free(d, retire, old);
		if (gen % 64 == 0)
			rcu_defer_reclaim(d);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < N_READERS; i++) {
		pthread_join(th[i], NULL);
		reads += rd[i].reads;
		bad += rd[i].bad;
		back += rd[i].back;
	}
	rcu_defer_destroy(d);
	CHECK(retired == N_UPDATES + N_SYNC - 1, "every old snapshot retired once: %lu of %d",
		retired, N_UPDATES + N_SYNC - 1);
	CHECK(reads > 0, "the readers read (%lu)", reads);
	CHECK(bad == 0, "no reader saw a retired or half-written snapshot (%lu of %lu reads)",
		bad, reads);
	CHECK(back == 0, "no reader saw an older snapshot after a newer one (%lu)", back);
	free(current);
	free(qsbr);
	return check_report("test_rcu_defer");
}
