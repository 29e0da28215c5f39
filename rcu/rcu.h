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

struct rte_rcu_qsbr;
struct rcu_defer;

/** A deferral queue on 'qsbr'; NULL with '*err' set when out of memory. */
struct rcu_defer *rcu_defer_create(struct rte_rcu_qsbr *qsbr, char **err);

/** Call fn(ptr) after a grace period (at once, after waiting, when the queue is full). */
void rcu_defer_free(struct rcu_defer *d, void (*fn)(void *), void *ptr);

/** Run every entry whose grace period is over. */
void rcu_defer_reclaim(struct rcu_defer *d);

/** Wait for every entry, run it, free the queue. */
void rcu_defer_destroy(struct rcu_defer *d);

#endif /* VIREO_RCU_H */
