/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_RCU_H
#define VIREO_RCU_H

/*
 * rcu: freeing what readers may still see, after a grace period of DPDK's rte_rcu_qsbr.
 *
 * What?
 * =====
 * Readers (PMD threads) report quiescent states to one rte_rcu_qsbr.  A writer publishes a
 * new version of something with an atomic pointer store and hands the old one to
 * rcu_defer_free(), which takes a grace-period token and calls fn(ptr) once every reader
 * has passed a quiescent state since: on a later rcu_defer_free() or rcu_defer_reclaim()
 * (call it periodically), so the writer never waits for the readers.  Both the PMD layer
 * (rx-queue sets) and the dataplane (bridge snapshots) use it.
 *
 * Thread-safety
 * =============
 * One writer thread per 'struct rcu_defer' (vireo-dp's main thread): no locks inside.
 * Destroy it after the readers have stopped; what is left is freed then.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_rcu_qsbr.h>

#ifdef __SANITIZE_THREAD__
#include <sanitizer/tsan_interface.h>
#endif

/*
 * Grace periods, told to ThreadSanitizer
 * ======================================
 * A reader's quiescent state and the writer's end of a grace period are a release and an
 * acquire in fact, but TSan cannot see them all: rte_rcu_qsbr_synchronize() runs in DPDK's
 * uninstrumented library, and the reader side orders with fences TSan ignores (only the
 * inline rte_rcu_qsbr_check() is seen).  So a free after a grace period looked like a race
 * with the readers' last accesses.  Readers and
 * writers go through the calls below instead of DPDK's: under -fsanitize=thread each reader
 * releases the qsbr variable before it reports a quiescent state (or goes offline), and the
 * writer acquires it once DPDK says the grace period is over, which orders everything a
 * reader did before its report before everything the writer does after.  Without TSan they
 * are DPDK's calls.
 */
static inline void
rcu_tsan_release(struct rte_rcu_qsbr *q)
{
#ifdef __SANITIZE_THREAD__
	__tsan_release(q);
#else
	(void)q;
#endif
}

static inline void
rcu_tsan_acquire(struct rte_rcu_qsbr *q)
{
#ifdef __SANITIZE_THREAD__
	__tsan_acquire(q);
#else
	(void)q;
#endif
}

/** Reader 'id' of 'q' passed a quiescent state: it holds no reference from before. */
static inline void
rcu_quiescent(struct rte_rcu_qsbr *q, unsigned int id)
{
	rcu_tsan_release(q);
	rte_rcu_qsbr_quiescent(q, id);
}

/** Reader 'id' of 'q' stops reading (a quiescent state until it comes back online). */
static inline void
rcu_offline(struct rte_rcu_qsbr *q, unsigned int id)
{
	rcu_tsan_release(q);
	rte_rcu_qsbr_thread_offline(q, id);
}

/** Reader 'id' of 'q' reads again. */
static inline void
rcu_online(struct rte_rcu_qsbr *q, unsigned int id)
{
	rte_rcu_qsbr_thread_online(q, id);
}

/** Wait for a grace period of 'q' (writer). */
static inline void
rcu_synchronize(struct rte_rcu_qsbr *q)
{
	rte_rcu_qsbr_synchronize(q, RTE_QSBR_THRID_INVALID);
	rcu_tsan_acquire(q);
}

/** 1 when the grace period of 'token' is over ('wait': block until it is), else 0. */
static inline int
rcu_check(struct rte_rcu_qsbr *q, uint64_t token, bool wait)
{
	int rc = rte_rcu_qsbr_check(q, token, wait);

	if (rc == 1)
		rcu_tsan_acquire(q);
	return rc;
}

struct rcu_defer;

/** A deferral queue on 'qsbr'; NULL with '*err' set when out of memory. */
struct rcu_defer *rcu_defer_create(struct rte_rcu_qsbr *qsbr, char **err);

/** Call fn(ptr) after a grace period (at once, after waiting, when the queue is full). */
void rcu_defer_free(struct rcu_defer *d, void (*fn)(void *), void *ptr);

/** Run every entry whose grace period is over. */
void rcu_defer_reclaim(struct rcu_defer *d);

/** Wait for a grace period of the queue's rte_rcu_qsbr, then run every entry now due. */
void rcu_defer_synchronize(struct rcu_defer *d);

/** Wait for every entry, run it, free the queue. */
void rcu_defer_destroy(struct rcu_defer *d);

#endif /* VIREO_RCU_H */
