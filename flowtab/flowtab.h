/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_FLOWTAB_H
#define VIREO_FLOWTAB_H

/*
 * flowtab: the OpenFlow tables of one bridge, and their datapath.
 *
 * (DRAFT CONTRACT between dataplane/ and flowtab/: the flowtab owner completes the design
 *  essay and may add to this API; the calls below are what dataplane/ uses.)
 *
 * Thread-safety
 * =============
 * One writer (the main thread) calls every function that changes a table.  Many readers
 * (PMD threads) call flowtab_process_burst() concurrently, each with its own
 * 'struct flowtab_pmd'.  Changes are published with atomic pointer swaps; memory a reader
 * may still see is freed only after every PMD registered in the rte_rcu_qsbr given to
 * flowtab_create() has reported a quiescent state (a NULL qsbr frees at once: single-threaded
 * tests).  The packet path allocates nothing, takes no locks and makes no system calls.
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
