/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Deferred freeing after an RCU grace period.
 *
 * The control thread publishes a new snapshot (rx-queue sets, bridge snapshots) with an
 * atomic store and hands the old one to rcu_defer_free(), which takes a grace-period token
 * with rte_rcu_qsbr_start().  The entry is freed once rcu_check() says every PMD
 * has passed a quiescent state since, on a later rcu_defer_free() or rcu_defer_reclaim()
 * (the main thread's periodic timer), so a control change never waits for the PMDs.
 * DPDK 22.11's rte_rcu_qsbr_dq does the same but is still experimental there; these two
 * calls are its stable core.  All calls come from the main thread: no locking.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_rcu_qsbr.h>

#include "rcu.h"

#define DEFER_MAX 4096		/* entries waiting; beyond, free synchronously */

struct defer_entry {
	uint64_t token;
	void (*fn)(void *);
	void *ptr;
};

struct rcu_defer {
	struct rte_rcu_qsbr *qsbr;
	unsigned head, n;	/* ring of entries in token order */
	struct defer_entry q[DEFER_MAX];
};

struct rcu_defer *
rcu_defer_create(struct rte_rcu_qsbr *qsbr, char **err)
{
	struct rcu_defer *d = calloc(1, sizeof(*d));

	if (d == NULL) {
		*err = strdup("out of memory");
		return NULL;
	}
	d->qsbr = qsbr;
	return d;
}

/* Free the oldest entries whose grace period is over ('wait': block for all of them). */
static void
defer_run(struct rcu_defer *d, bool wait)
{
	while (d->n > 0) {
		struct defer_entry *e = &d->q[d->head];

		if (rcu_check(d->qsbr, e->token, wait) != 1)
			break;
		e->fn(e->ptr);
		d->head = (d->head + 1) % DEFER_MAX;
		d->n--;
	}
}

void
rcu_defer_free(struct rcu_defer *d, void (*fn)(void *), void *ptr)
{
	if (ptr == NULL)
		return;
	defer_run(d, false);
	if (d->n == DEFER_MAX) {
		rcu_synchronize(d->qsbr);
		fn(ptr);
		return;
	}
	d->q[(d->head + d->n) % DEFER_MAX] = (struct defer_entry){
		rte_rcu_qsbr_start(d->qsbr), fn, ptr };
	d->n++;
}

void
rcu_defer_reclaim(struct rcu_defer *d)
{
	defer_run(d, false);
}

void
rcu_defer_synchronize(struct rcu_defer *d)
{
	rcu_synchronize(d->qsbr);
	defer_run(d, false);
}

void
rcu_defer_destroy(struct rcu_defer *d)
{
	if (d == NULL)
		return;
	defer_run(d, true);
	free(d);
}
