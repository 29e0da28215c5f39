/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_FLOWTAB_H
#define VIREO_FLOWTAB_H

/*
 * flowtab: the OpenFlow tables of one bridge, and their datapath.
 *
 * What?
 * =====
 * Rules in ovs-ofctl syntax ("priority=100,tcp,nw_dst=10.0.0.0/8,tp_dst=80,actions=output:2")
 * organised in up to 255 tables; a packet enters table 0 and moves on with resubmit or
 * goto_table.  A packet that matches no rule in a table is dropped (OpenFlow 1.3 table-miss).
 * The main thread adds, modifies, deletes, replaces and dumps rules; PMD threads classify
 * bursts of packets and run the matched rules' actions.
 *
 * Datapath design
 * ===============
 * 1. Each packet is parsed once into a 64-byte key (ft_key.h): one cache line of fixed-offset
 *    fields, absent fields zero.  Stages run over the whole burst so that memory latency
 *    overlaps: parse + hash + prefetch EMC bucket, then EMC probes, then the classifier for
 *    the misses, then actions.
 * 2. An exact-match cache per PMD (8192 entries, 2-way) maps a full key to its rule.  Entries
 *    carry the generation of the table snapshot they were computed from, so publishing a new
 *    snapshot invalidates them all without touching them.  When the hit rate falls below
 *    50% (many flows) new flows are inserted with probability 1/16 only, as OVS does.
 * 3. The classifier (ft_cls.h) is tuple-space search: one hash table per distinct mask
 *    ("subtable"), holding the best rule per masked key; subtables are ordered by their
 *    best priority (ties: by hits) and the search stops once the best match found beats
 *    every remaining subtable.  A subtable hashes and compares only the key words its mask
 *    touches.  Misses of a burst are looked up subtable by subtable with prefetching.
 * 4. Actions are compiled at parse time (ft_rule.h).  A rule whose actions are a single
 *    output takes a fast path; other lists run in ft_exec.c, which rewrites packet bytes
 *    with incremental checksum updates, and gives every output but the last a copy made
 *    with rte_pktmbuf_copy() (a later rewrite must not reach an earlier output).
 * 5. Counters: each rule has FT_STAT_SLOTS (8) slots of packets/bytes, one per PMD (PMDs with an index
 *    beyond the slots share them with atomic adds); readers sum the slots.  Idle timeouts are
 *    detected by the main thread seeing the counters move, so PMDs never read a clock.
 *
 * Thread-safety
 * =============
 * One writer (the main thread) calls every function that changes a table.  Many readers
 * (PMD threads) call flowtab_process_burst() concurrently, each with its own
 * 'struct flowtab_pmd'.  A change builds a complete new snapshot of the classifier (rules
 * themselves are shared between snapshots and immutable but for their counters and their
 * action pointer) and publishes it with one atomic pointer store; a reader uses the snapshot
 * it loaded for its whole burst, so it never sees a half-updated table.  mod-flows swaps a
 * rule's action list with one atomic store.  Memory a reader may still see (old snapshot,
 * deleted rules, old action lists) is freed only after rte_rcu_qsbr_synchronize() on the
 * rte_rcu_qsbr given to flowtab_create(), i.e. after every registered PMD reported a
 * quiescent state (a NULL qsbr frees at once: single-threaded use).  The writer therefore
 * blocks for one PMD loop per change; it must not hold anything a PMD waits for.
 * The packet path allocates nothing but packet copies for multiple outputs, takes no locks
 * and makes no system calls.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rte_mbuf;
struct rte_rcu_qsbr;

#define FLOWTAB_PORT_NONE UINT32_MAX

/** How flowtab learns port names and numbers (OpenFlow port numbers, "ofport"). */
struct flowtab_port_ops {
	/** Return 0 and set '*ofport' when 'name' is a port of the bridge, else -ENOENT. */
	int (*by_name)(void *aux, const char *name, uint32_t *ofport);
	/** Name of 'ofport' or NULL (used by dump-flows). */
	const char *(*name)(void *aux, uint32_t ofport);
	void *aux;
};

/** Where actions send packets: provided by dataplane/, called on the PMD thread. */
struct flowtab_out {
	/** Send 'm' to 'ofport'; takes ownership of 'm'. */
	void (*output)(void *ctx, uint32_t ofport, struct rte_mbuf *m);
	/** The NORMAL action (MAC learning switch); takes ownership. */
	void (*normal)(void *ctx, uint32_t in_port, struct rte_mbuf *m);
	/** FLOOD ('all' false: every port but in_port) or ALL ('all' true); takes ownership. */
	void (*flood)(void *ctx, uint32_t in_port, struct rte_mbuf *m, bool all);
	void *ctx;
};

/** Per-PMD lookup statistics, OVS's names (written by the owning PMD only). */
struct flowtab_pmd_stats {
	uint64_t emc_hits;
	uint64_t smc_hits;
	uint64_t megaflow_hits;
	uint64_t subtable_lookups;  /**< summed over megaflow hits */
	uint64_t misses;            /**< matched no rule: dropped (OpenFlow 1.3 table-miss) */
	uint64_t passes;            /**< table passes (resubmit/goto count extra) */
};

struct flowtab;
struct flowtab_pmd;

struct flowtab *flowtab_create(const char *bridge, const struct flowtab_port_ops *ports,
		struct rte_rcu_qsbr *qsbr);
void flowtab_destroy(struct flowtab *ft);

/**
 * Add rules atomically: all of them or none.  'texts[i]' is ovs-ofctl add-flow syntax,
 * 'lines[i]' its line number (or 0) in 'origin' (a file name, or NULL).  On error returns
 * -EINVAL with '*err' = "ORIGIN:LINE: field 'F': why" and the table unchanged.
 */
int flowtab_add_flows(struct flowtab *ft, const char *const *texts, const int *lines, size_t n,
		const char *origin, char **err);
/** Replace the whole table by these rules, atomically (ovs-ofctl replace-flows). */
int flowtab_replace_flows(struct flowtab *ft, const char *const *texts, const int *lines,
		size_t n, const char *origin, char **err);
/** ovs-ofctl mod-flows ['strict']. */
int flowtab_mod_flows(struct flowtab *ft, const char *text, bool strict, char **err);
/** ovs-ofctl del-flows ['match' may be NULL or "" for all]; sets '*n_deleted'. */
int flowtab_del_flows(struct flowtab *ft, const char *match, bool strict, size_t *n_deleted,
		char **err);
/** ovs-ofctl dump-flows output (malloc'd), optionally filtered by 'match'. */
int flowtab_dump_flows(struct flowtab *ft, const char *match, char **out, char **err);
/** Expire idle_timeout/hard_timeout rules; call about once a second from the main thread. */
void flowtab_run_timeouts(struct flowtab *ft);
size_t flowtab_n_rules(const struct flowtab *ft);
/** Replace the millisecond clock used for durations and timeouts (tests); NULL restores it. */
void flowtab_set_clock(struct flowtab *ft, uint64_t (*now_ms)(void *aux), void *aux);

/** Per-PMD datapath context (caches, counters); 'socket' is the NUMA node for memory. */
struct flowtab_pmd *flowtab_pmd_create(unsigned pmd_index, int socket);
void flowtab_pmd_destroy(struct flowtab_pmd *pmd);
const struct flowtab_pmd_stats *flowtab_pmd_stats(const struct flowtab_pmd *pmd);

/**
 * Classify 'n' packets received on 'in_port' against 'ft' and run their actions, calling
 * 'out' for every packet that leaves.  Takes ownership of every mbuf (dropped ones are freed).
 */
void flowtab_process_burst(struct flowtab_pmd *pmd, struct flowtab *ft,
		struct rte_mbuf **pkts, uint16_t n, uint32_t in_port,
		const struct flowtab_out *out);

#endif /* VIREO_FLOWTAB_H */
