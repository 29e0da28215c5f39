/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_PMD_H
#define VIREO_PMD_H

/*
 * pmd: poll-mode threads, rx-queue placement and PMD statistics.
 *
 * What?
 * =====
 * One PMD thread per core of pmd-cpu-mask, pinned to it, registered with EAL as a non-EAL
 * lcore (rte_thread_register) so that mempool caches work, and with the dataplane's
 * rte_rcu_qsbr.  Its loop: for each rx queue assigned to it, receive a burst, hand it to the
 * owner's process function (the dataplane's: classify, actions), which queues packets per
 * output port with pmd_output(); then flush every queued batch; then report a quiescent
 * state.  The PMD layer knows ports (port.h) and nothing above them: what a packet means
 * is the process function's business, with its per-PMD state in 'ctx'.
 *
 * Placement (pmd_rxq_assign), as Open vSwitch's pmd-rxq-assign and pmd-rxq-isolate: a queue
 * pinned to a core (port.rxq_pin, pmd-rxq-affinity) goes to that core's PMD, which is then
 * isolated (polls pinned queues only) unless the policy says isolate=false.  Every other rx
 * queue goes to an open (not isolated) PMD on its port's NUMA node; with none there, to an
 * open PMD of another node, with a warning; with no open PMD left, to any PMD, with a
 * warning.  How a queue's PMD is chosen among those:
 *   cycles (default):  queues sorted by measured load (processing cycles of the last
 *                      interval), heaviest first, dealt to the node's PMDs in core order up
 *                      and down (0,1,2,2,1,0,...);
 *   group:             queues sorted the same way, each to the least loaded PMD (the loads
 *                      of the queues it has so far, pinned ones included);
 *   roundrobin:        queues in port order, dealt 0,1,2,0,1,2,... regardless of load.
 * With no load measured yet, "cycles" and "group" keep the ports' order too.
 *
 * Thread-safety
 * =============
 * The main thread builds a new 'struct pmd_rxq_set' for each PMD and publishes it with an
 * atomic store; the PMD reads the pointer once per loop iteration and polls that set until
 * its quiescent state at the end of the pass.  The old set is freed after a grace period
 * through the defer queue (rcu_defer_free).  An rx queue is polled by one PMD at a time:
 * when a placement gives a PMD a queue, the queues leaving their PMDs are unpublished
 * first and the main thread waits for one grace period before it publishes the new sets
 * (pmd_rxq_assign); a placement that gives no PMD a new queue never waits.
 * 'struct pmd_stats' is written only by its PMD; readers (the main thread) copy it, and
 * "clear" is done by keeping a snapshot to subtract, so no counter is written by two
 * threads.  Tx batches are private to the PMD; they are empty at every quiescent state, so
 * a port unpublished and synchronised holds no queued packet.
 * 'max_sleep_us' is stored by the main thread (pmd_set_max_sleep) and read by the PMD once
 * a pass; a PMD that sleeps (up to PMD_MAX_SLEEP_US) is offline for RCU meanwhile, so grace
 * periods never wait for it, but anything only a PMD does (PMD 0's packet_outs) waits up to
 * that long.
 */

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <pthread.h>

#include <rte_mbuf.h>

#include "port.h"

struct rte_rcu_qsbr;
struct pmd;
struct rcu_defer;

/** One rx queue a PMD polls. */
struct pmd_rxq {
	struct port *port;
	uint16_t qid;
};

struct pmd_rxq_set {
	uint32_t n;
	struct pmd_rxq rxq[];
};

/** Counters of one PMD (written by that PMD only). */
struct pmd_stats {
	uint64_t packets_rx;
	uint64_t mac_hits;		/**< packets switched by MAC learning (no flows) */
	uint64_t idle_cycles;
	uint64_t busy_cycles;		/**< "processing cycles" */
	uint64_t out_batches;
	uint64_t out_packets;
	uint64_t dropped;		/**< no output, table miss, unknown port */
	uint64_t iterations;
	uint64_t sleep_iterations;	/**< passes followed by a load-based sleep */
	uint64_t sleep_cycles;		/**< TSC cycles asleep (neither idle nor busy) */
};

/** Called by the PMD for each received burst: classify, run actions, pmd_output(). */
typedef void pmd_process_fn(struct pmd *pmd, struct port *in, struct rte_mbuf **pkts,
		uint16_t n);

/** What the owner of the PMDs plugs in. */
struct pmd_hooks {
	pmd_process_fn *process;
	/** The per-PMD state of 'process' (pmd->ctx), made before the thread starts; NULL
	 *  when it cannot be made. */
	void *(*ctx_create)(unsigned index, int numa, void *aux);
	void (*ctx_destroy)(void *ctx, void *aux);
	/** Optional: called by each PMD once per loop, polling or not (the owner's own
	 *  queues, e.g. packets the control thread injects); must not block.  Returns how
	 *  much it did (0: nothing), so that a PMD with work here does not sleep. */
	unsigned (*poll_extra)(struct pmd *pmd);
	/** Optional: called on the main thread once 'pmd's thread has exited, before it is
	 *  freed: its counters (and its ctx's) are final, for totals that must not go back. */
	void (*stopped)(const struct pmd *pmd);
	void *aux;			/**< for the hooks, and pmd->aux for 'process' */
};

struct pmd_tx_batch {
	uint16_t n;
	bool dirty;			/**< in pmd->dirty[] until the next pmd_flush() */
	struct rte_mbuf *pkts[PORT_BURST];
};

struct pmd {
	/* main thread, before start */
	unsigned index;			/**< 0..n_pmds-1: tx queue choice, stats slots */
	unsigned core;
	int numa;
	pthread_t thread;
	unsigned lcore;			/**< EAL lcore id after rte_thread_register */
	struct rte_rcu_qsbr *qsbr;
	pmd_process_fn *process;
	void *aux;			/**< pmd_hooks.aux */
	void (*ctx_destroy)(void *ctx, void *aux);
	unsigned (*poll_extra)(struct pmd *pmd);
	void (*stopped)(const struct pmd *pmd);

	/* main thread writes (atomic store), PMD reads */
	struct pmd_rxq_set *rxqs;
	uint32_t max_sleep_us;		/**< pmd_set_max_sleep() */
	volatile bool exit;
	volatile bool started;

	/* PMD only (after start) */
	void *ctx;			/**< pmd_hooks.ctx_create's */
	struct pmd_stats stats __rte_cache_aligned;
	uint16_t n_dirty;
	uint16_t dirty[PORT_MAX_SLOTS];
	struct port *dirty_port[PORT_MAX_SLOTS];
	struct pmd_tx_batch batch[PORT_MAX_SLOTS];

	/* main thread */
	struct pmd_stats cleared;	/**< snapshot subtracted by pmd_stats_clear */
	uint64_t since_tsc;		/**< TSC of 'cleared': the PMD's start or last clear */
	uint64_t cycles_prev;		/**< busy + idle cycles at the last pmd_measure() */
	uint64_t interval_cycles;	/**< busy + idle cycles of the last interval */
	bool isolated;			/**< polls only queues pinned to it (pmd-rxq-affinity) */
};

/**
 * The cores of 'cpu_mask' PMD threads may run on, read as Open vSwitch reads pmd-cpu-mask:
 * hex digits of any length, an optional "0x", the last digit for cores 0-3; a character that
 * is not a hex digit counts as 0 (the configuration checks refuse those).  Left out, as Open
 * vSwitch leaves out the cores it did not find present and online, and said in '*warn'
 * (malloc'd, NULL when nothing was left out): cores this machine does not have, cores not
 * in 'usable' (offline, or outside the process's CPU affinity), cores beyond the first
 * PORT_MAX_PMDS.
 *
 * @param usable
 *   The cores that may be used; NULL: the calling thread's CPU affinity (the main thread's
 *   is the process's), from which the kernel leaves out offline cores.
 * @param cores
 *   Receives the cores, ascending (PORT_MAX_PMDS entries).
 * @return
 *   The number of cores in 'cores'.
 */
unsigned pmd_mask_cores(const char *cpu_mask, const cpu_set_t *usable, unsigned *cores,
		char **warn);

/**
 * Start PMD threads on the cores of 'cpu_mask' as pmd_mask_cores() reads it (usable: the
 * calling thread's affinity), with its warning in '*warn' (malloc'd, NULL when none).
 * '*pmds' receives an array of PORT_MAX_PMDS slots, set before any thread starts, holding
 * '*n' PMDs at indices 0..'*n'-1 (pmd->index).  Returns 0 or -errno with a message in
 * '*err': -ENODEV when the mask leaves no core (nothing started).
 */
int pmd_start_all(const char *cpu_mask, struct rte_rcu_qsbr *qsbr,
		const struct pmd_hooks *hooks, struct pmd ***pmds, unsigned *n, char **warn,
		char **err);

/** What pmd_reconfigure() did. */
struct pmd_change {
	unsigned kept, stopped, started;
};

/**
 * Move the PMDs '*pmds' ('*n' of them) to the cores of 'cpu_mask': a PMD whose core stays
 * keeps running, untouched (thread, index, rx queues, counters) unless its index is beyond
 * the new number of PMDs; the others are stopped, and PMDs started on the new cores at the
 * free indices.  The caller must have unpublished nothing: a stopped PMD's rx queues are
 * simply not polled until the next pmd_rxq_assign().  The array '*pmds' stays and is
 * changed in place, '*n' is replaced: slot i is written only while no PMD of index i runs,
 * so a PMD may read its own slot at any time.  'cpu_mask' and '*warn' as pmd_start_all();
 * a mask that leaves no core changes nothing and returns -ENODEV.  On another error (-errno,
 * '*err') the PMDs left (kept ones, at indices 0..'*n'-1) still run.
 */
int pmd_reconfigure(const char *cpu_mask, struct rte_rcu_qsbr *qsbr,
		const struct pmd_hooks *hooks, struct pmd ***pmds, unsigned *n,
		struct pmd_change *chg, char **warn, char **err);

/**
 * Most microseconds 'pmd' may sleep between two passes that each found every rx queue less
 * than half a burst full (Open vSwitch's load-based sleeping, other_config:pmd-maxsleep):
 * the first such pass is followed by none, each further one by 10 us more than the last
 * (Open vSwitch 3.1's step), up to 'us'; a pass with half a burst or more on any queue, or
 * with work of the poll_extra hook, ends it.  0 (the default): never sleeps.
 * Capped at PMD_MAX_SLEEP_US.  Main thread; takes effect at the PMD's next pass.
 */
void pmd_set_max_sleep(struct pmd *pmd, uint32_t us);
#define PMD_MAX_SLEEP_US 10000

/** Stop and join every PMD, free them. */
void pmd_stop_all(struct pmd **pmds, unsigned n);

/**
 * Lowest core of each NUMA node not in 'exclude' (the default pmd-cpu-mask), as hex; only
 * cores the calling thread may run on count (see pmd_mask_cores()).
 */
void pmd_default_mask(uint64_t exclude, char *buf, size_t len);

/** How rx queues are dealt to PMDs (Open vSwitch's other_config:pmd-rxq-assign). */
enum pmd_rxq_algo {
	PMD_RXQ_CYCLES,
	PMD_RXQ_ROUNDROBIN,
	PMD_RXQ_GROUP,
};

/** Placement policy: the algorithm, and whether pinned PMDs poll only their pins. */
struct pmd_rxq_policy {
	enum pmd_rxq_algo algo;
	bool isolate;			/**< pmd-rxq-isolate (Open vSwitch's default: true) */
};

/** "cycles", "roundrobin" or "group". */
const char *pmd_rxq_algo_name(enum pmd_rxq_algo algo);

/** Parse a pmd-rxq-assign value (NULL: the default, cycles); -EINVAL for anything else. */
int pmd_rxq_algo_parse(const char *s, enum pmd_rxq_algo *algo);

/**
 * Assign every enabled rx queue of 'ports' to the PMDs under 'pol' and publish the new sets;
 * the old ones are freed after a grace period through 'defer'.  When a queue changes PMD (or
 * a PMD is given a queue it did not poll), waits for a grace period of the RCU of 'defer'
 * between taking queues away and giving them (main thread).  Warnings (cross-NUMA
 * placement, pins to cores without a PMD) are appended to '*warn' when not NULL.
 */
int pmd_rxq_assign(struct pmd **pmds, unsigned n_pmds, struct port *const *ports,
		unsigned n_ports, const struct pmd_rxq_policy *pol, struct rcu_defer *defer,
		char **warn);

/**
 * Dry run for Open vSwitch's pmd-auto-lb: by how many percent (0..100, in '*pct') would
 * placing the queues anew under 'pol', with their measured loads, reduce the variance of
 * the load over the PMDs that are not isolated?  Publishes and changes nothing.
 * @return 0, or -ENOMEM.
 */
int pmd_rxq_improvement(struct pmd **pmds, unsigned n_pmds, struct port *const *ports,
		unsigned n_ports, const struct pmd_rxq_policy *pol, unsigned *pct);

/** Refresh each rx queue's measured load (call every few seconds from the main thread). */
void pmd_rxq_measure(struct port *const *ports, unsigned n_ports);

/** Refresh each PMD's cycles of the interval (interval_cycles), called with
 *  pmd_rxq_measure(): a queue's load over them is its share of the PMD (main thread). */
void pmd_measure(struct pmd **pmds, unsigned n);

/** 'pmd's counters since it started or the last pmd_stats_clear() (pmd->since_tsc; main
 *  thread). */
void pmd_stats_read(const struct pmd *pmd, struct pmd_stats *out);
/** Start counting 'pmd's counters from zero (main thread; the PMD's own are untouched). */
void pmd_stats_clear(struct pmd *pmd);

static inline struct pmd_tx_batch *
pmd_batch_of(struct pmd *pmd, struct port *port)
{
	struct pmd_tx_batch *b = &pmd->batch[port->slot];

	if (!b->dirty) {	/* once per port between two flushes, however often it fills */
		b->dirty = true;
		pmd->dirty[pmd->n_dirty] = port->slot;
		pmd->dirty_port[pmd->n_dirty] = port;
		pmd->n_dirty++;
	}
	return b;
}

static inline void
pmd_batch_send(struct pmd *pmd, struct port *port, struct rte_mbuf **pkts, uint16_t n)
{
	port_tx_burst(port, pmd->index, pkts, n);
	pmd->stats.out_batches++;
	pmd->stats.out_packets += n;
}

/*
 * Sending may re-enter the process function (a patch port hands its burst to the peer's
 * bridge on this PMD), which may queue packets again, even for this very port: a batch is
 * emptied before it is sent (the port copies what it keeps), and pmd_flush() takes dirty
 * batches off the end of its list, so those queued meanwhile are flushed too.
 */

/** Queue 'm' for 'port' (PMD). */
static inline void
pmd_output(struct pmd *pmd, struct port *port, struct rte_mbuf *m)
{
	struct pmd_tx_batch *b = pmd_batch_of(pmd, port);

	b->pkts[b->n++] = m;
	if (unlikely(b->n == PORT_BURST)) {
		b->n = 0;
		pmd_batch_send(pmd, port, b->pkts, PORT_BURST);
	}
}

/** Queue 'n' packets for 'port' (PMD): one port look-up for a run of packets. */
static inline void
pmd_output_burst(struct pmd *pmd, struct port *port, struct rte_mbuf **pkts, uint16_t n)
{
	struct pmd_tx_batch *b = &pmd->batch[port->slot];

	if (b->n == 0 && n == PORT_BURST) {	/* a whole burst to one port: no copy */
		pmd_batch_send(pmd, port, pkts, n);
		return;
	}
	b = pmd_batch_of(pmd, port);
	while (n > 0) {
		uint16_t k = RTE_MIN(n, (uint16_t)(PORT_BURST - b->n));

		memcpy(&b->pkts[b->n], pkts, k * sizeof(*pkts));
		b->n += k;
		pkts += k;
		n -= k;
		if (b->n == PORT_BURST) {
			b->n = 0;
			pmd_batch_send(pmd, port, b->pkts, PORT_BURST);
		}
	}
}

/** Send every queued batch (PMD). */
static inline void
pmd_flush(struct pmd *pmd)
{
	while (pmd->n_dirty > 0) {
		uint16_t i = --pmd->n_dirty, n;
		struct pmd_tx_batch *b = &pmd->batch[pmd->dirty[i]];

		b->dirty = false;
		n = b->n;
		if (n == 0)
			continue;
		b->n = 0;
		pmd_batch_send(pmd, pmd->dirty_port[i], b->pkts, n);
	}
}

#endif /* VIREO_PMD_H */
