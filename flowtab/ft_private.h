/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_FT_PRIVATE_H
#define VIREO_FT_PRIVATE_H

/* The insides of 'struct flowtab' and 'struct flowtab_pmd', shared by flowtab's own files. */

#include <rte_branch_prediction.h>

#include "ft_cls.h"

struct rcu_defer;

/**
 * Per-PMD flow cache: for each table, the packet key under the table's mask union
 * ('struct ft_cls' cache_mask) maps to the table's best rule.  Entries are tagged with
 * (snapshot generation, table).  3-way set associative: a set's hashes, tags and rules fill
 * one cache line, the keys live apart, so a miss reads one line.
 */
#define FT_EMC_WAYS 3
#define FT_EMC_SETS 4096
#define FT_BURST_MAX 32
/** resubmit/goto_table nesting limit (OVS's). */
#define FT_MAX_DEPTH 64
/** resubmit/goto_table actions run for one packet, nested or not (OVS's: 64 * 64). */
#define FT_MAX_RESUBMITS 4096
/**
 * Outputs (each a copy of the packet but the last) and controller actions run for one
 * packet.  OVS stops translating past 64 KiB of datapath actions, some 8,000 outputs.
 */
#define FT_MAX_OUTPUTS 4096

struct ft_emc_set {
	uint32_t hash[FT_EMC_WAYS];
	uint32_t pad;
	uint64_t tag[FT_EMC_WAYS];     /**< snapshot generation << 8 | table; 0: empty */
	const struct ft_rule *rule[FT_EMC_WAYS];
} __rte_aligned(64);

struct ft_emc {
	struct ft_emc_set sets[FT_EMC_SETS];
	struct ft_key keys[FT_EMC_SETS * FT_EMC_WAYS];
};

struct flowtab {
	char *bridge;
	struct flowtab_port_ops ports;
	struct rte_rcu_qsbr *qsbr;
	/* What ft_commit() retired, freed after a grace period (NULL without a qsbr). */
	struct rcu_defer *defer;
	/* RCU: written by the main thread with a release store, read by PMDs (acquire). */
	struct ft_snap *snap;
	/* Groups, meters, port liveness (ft_gm.h); NULL until first used (main thread). */
	struct ft_gm *gm;
	/* Main thread only below. */
	struct ft_rule **rules;
	size_t n_rules;
	size_t cap_rules;
	/* Rules by identity (table, priority, match): open addressing, NULL when unusable. */
	struct ft_rule **ix;
	size_t ix_mask;
	uint64_t next_seq;
	uint64_t (*clock)(void *aux);
	void *clock_aux;
	/* flowtab_set_removed(): told of removed send_flow_rem rules */
	void (*removed)(void *aux, const struct flowtab_rule_info *info, uint8_t reason);
	void *removed_aux;
	/* Where its rules come from and go back to (main thread: rules are made and freed by
	 * the writer, deferred frees included); batches hold references of their own. */
	struct ft_pool *rule_pool;
};

/** Entries of flowtab_pmd.inport_memo, indexed by the port number's low bits. */
#define FT_INPORT_MEMO 8

struct flowtab_pmd {
	unsigned index;
	unsigned slot;                 /**< counter slot in every rule */
	bool shared_slot;              /**< slot shared with another PMD: add atomically */
	bool emc_hugepage;
	uint32_t rng;
	uint32_t emc_window_hits;      /**< EMC hits/lookups over the current window */
	uint32_t emc_window_lookups;
	bool emc_thrashing;            /**< few hits: insert rarely, look up on sampled bursts */
	uint32_t n_bursts;
	struct flowtab_pmd_stats stats;
	struct ft_emc *emc;
	/*
	 * The rule a table of in_port matches only gave a burst from 'in_port' (see
	 * burst_by_inport()), valid while the snapshot's tag is 'tag': snapshot generations
	 * are unique over the process, and a rule lives as long as a snapshot holding it.
	 */
	struct ft_inport_memo {
		uint64_t tag;
		uint32_t in_port;
		const struct ft_rule *rule;
	} inport_memo[FT_INPORT_MEMO];
	/* Per-burst scratch. */
	struct ft_key keys[FT_BURST_MAX];
	struct ft_layers layers[FT_BURST_MAX];
	uint32_t hashes[FT_BURST_MAX];
	const struct ft_rule *rules[FT_BURST_MAX];
};

/** Rebuild the identity index and rule positions from 'ft->rules' (after a failure too). */
void ft_index_rebuild(struct flowtab *ft);
/** Remove 'r' from the identity index (before it is freed). */
void ft_index_remove(struct flowtab *ft, const struct ft_rule *r);

/** A zeroed rule from 'pool' (its table's), or NULL when out of memory. */
struct ft_rule *ft_rule_alloc(struct ft_pool *pool);
/** A new rule of 'ft' from parsed 'spec' (its actions taken), created at 'now', numbered
 *  'seq'. */
struct ft_rule *ft_rule_new(struct flowtab *ft, struct ft_rule_spec *spec, uint64_t now,
		uint64_t seq);
/**
 * Parse rule 'text' (an add) into a new unpublished rule '*out' created at 'now', numbered
 * 'seq': every check a rule must pass to enter the table is made here, for add-flows,
 * replace-flows and batches alike.  @return 0, -EINVAL or -ENOMEM with '*msg' (malloc'd).
 */
int ft_rule_from_text(struct flowtab *ft, const char *text, uint64_t now, uint64_t seq,
		struct ft_rule **out, char **msg);
/** As ft_rule_from_text(), the groups its actions may name being 'gt' (a batch's). */
int ft_rule_from_text_in(struct flowtab *ft, const struct ft_gtab *gt, const char *text,
		uint64_t now, uint64_t seq, struct ft_rule **out, char **msg);
/** As ft_rule_from_text_in(), the rule given as structures (flowtab_batch_add_in()). */
int ft_rule_from_in(struct flowtab *ft, const struct ft_gtab *gt, const struct flowtab_rule_in *in,
		uint64_t now, uint64_t seq, struct ft_rule **out, char **msg);
/** Hash of a rule's identity (table, priority, match), as 'ident_hash' holds it. */
uint32_t ft_rule_identity_hash(const struct ft_rule *r);
/** Same table, priority and match: one replaces the other. */
bool ft_rule_same_identity(const struct ft_rule *a, const struct ft_rule *b);
/** Does filter 'spec' select 'r' (del-flows, mod-flows; 'strict' as there)? */
bool ft_rule_selects(const struct ft_rule_spec *spec, const struct ft_rule *r, bool strict);
/** Tell flowtab_set_removed()'s callback that 'r' goes for 'reason' (if it asked). */
void ft_tell_removed(struct flowtab *ft, const struct ft_rule *r, uint64_t now, uint8_t reason);

/** Free a rule that no reader can see any more. */
void ft_rule_free(struct ft_rule *r);
/** Wait until every PMD registered in the table's qsbr has passed a quiescent state. */
void ft_wait_readers(struct flowtab *ft);
/**
 * Make 'arr' ('n' rules, malloc'd, ownership taken) the table: build and publish a snapshot;
 * the previous snapshot and the 'n_dead' rules of 'dead' are freed after a grace period
 * (without waiting for it when the table has a qsbr: the caller may not touch them).  The
 * subtables of the masks of 'touched' rules are rebuilt (all when 'rebuild_all'), the others
 * shared with the previous snapshot.  On failure (-ENOMEM) nothing changes and 'arr' is
 * freed (not its rules).
 */
int ft_commit(struct flowtab *ft, struct ft_rule **arr, size_t n, struct ft_rule **dead,
		size_t n_dead, struct ft_rule *const *touched, size_t n_touched, bool rebuild_all);
/**
 * Merge the new rules 'add' ('n_add', unpublished) into the table, a rule replacing the
 * one of the same identity (an earlier one of 'add' too), and commit: only the subtables
 * of their masks are rebuilt.  @return 0; -ENOMEM with '*err', the table unchanged and
 * the rules still the caller's.
 */
int ft_install(struct flowtab *ft, struct ft_rule **add, size_t n_add, char **err);
/**
 * Publish the same rules with the group table now in the table's ft_gm (a snapshot sharing
 * every subtable) and wait for the readers: the old table's groups may then be freed.
 * @return 0 or -ENOMEM (nothing published).
 */
int ft_snap_republish(struct flowtab *ft);

/**
 * Before action lists 'acts' ('n') replace rules' actions in place: make sure every reader
 * parses what they need.  A reader keeps the snapshot it loaded for a whole burst but loads
 * a rule's actions per packet, so new actions that rewrite L3/L4 (or that write to packets
 * or keep them: ft_snap.needs_own) must not appear before every reader runs a snapshot that
 * parses beyond L2 (owns its packets): when the current one does not, publish one that does
 * (same rules) and wait for the readers.  @return 0 or -ENOMEM (nothing
 * changed).
 */
int ft_prepare_actions(struct flowtab *ft, struct ft_actions *const *acts, size_t n);
/**
 * May a rule of table 'table' be given actions 'a' (mod-flows)?  Not a goto_table to its own
 * table or an earlier one, nor a resubmit that loops (ft_actions_loop()).  @return 0, or
 * -EINVAL with '*err'.
 */
int ft_mod_check(const struct ft_actions *a, uint8_t table, char **err);

/**
 * Delete every rule for which 'pred' is true (told to flowtab_set_removed()'s callback as
 * deleted).  @return 0 or -ENOMEM (nothing changed).
 */
int ft_del_rules_if(struct flowtab *ft, bool (*pred)(const struct ft_rule *r, void *aux),
		void *aux);
/**
 * -EINVAL with '*err' ("field 'actions': group N does not exist") when 'a' names a group
 * or meter 'ft' does not have (ft_group.c).
 */
int ft_gm_check_actions(const struct flowtab *ft, const struct ft_actions *a, char **err);
/** As ft_gm_check_actions(), the groups being 'gt' (a batch's, before its commit). */
int ft_gm_check_actions_in(const struct flowtab *ft, const struct ft_gtab *gt,
		const struct ft_actions *a, char **err);

/*
 * PMDs of index FT_STAT_SLOTS and above counting into each slot (flowtab_pmd_create() and
 * _destroy() keep it).  While a slot has such a sharer, its owner (the PMD of index below
 * FT_STAT_SLOTS) adds atomically too: its plain load-and-store would lose the sharers' adds.
 */
extern unsigned int ft_slot_sharers[FT_STAT_SLOTS];

/** Count 'packets' packets of 'bytes' bytes against 'r' from PMD 'pmd'. */
static inline void
ft_rule_count_n(const struct flowtab_pmd *pmd, const struct ft_rule *r, uint64_t packets,
		uint64_t bytes)
{
	struct ft_rule_stats *s = (struct ft_rule_stats *)&r->stats[pmd->slot];

	if (likely(!pmd->shared_slot &&
		   !__atomic_load_n(&ft_slot_sharers[pmd->slot], __ATOMIC_RELAXED))) {
		__atomic_store_n(&s->packets,
			__atomic_load_n(&s->packets, __ATOMIC_RELAXED) + packets, __ATOMIC_RELAXED);
		__atomic_store_n(&s->bytes,
			__atomic_load_n(&s->bytes, __ATOMIC_RELAXED) + bytes, __ATOMIC_RELAXED);
	} else {
		__atomic_fetch_add(&s->packets, packets, __ATOMIC_RELAXED);
		__atomic_fetch_add(&s->bytes, bytes, __ATOMIC_RELAXED);
	}
}

static inline void
ft_rule_count(const struct flowtab_pmd *pmd, const struct ft_rule *r, uint32_t bytes)
{
	ft_rule_count_n(pmd, r, 1, bytes);
}

/** Look 'k' up in table 'k->table_id' of 'snap' (resubmit, goto_table), counting stats. */
const struct ft_rule *ft_pmd_lookup(struct flowtab_pmd *pmd, const struct ft_snap *snap,
		const struct ft_key *k);

/**
 * Run 'r''s actions on 'm' (whose key is 'k', layers 'ly'); takes ownership of 'm'.  'ft'
 * gives the groups and meters.
 */
struct rte_mbuf;
void ft_exec(struct flowtab_pmd *pmd, const struct flowtab *ft, const struct ft_snap *snap,
		const struct ft_rule *r,
		struct rte_mbuf *m, struct ft_key *k, struct ft_layers *ly, uint32_t in_port,
		const struct flowtab_out *out);

#endif /* VIREO_FT_PRIVATE_H */
