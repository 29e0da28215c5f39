/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_FT_CLS_H
#define VIREO_FT_CLS_H

/*
 * The classifier: tuple-space search over immutable snapshots.
 *
 * A snapshot ('struct ft_snap') holds, for each OpenFlow table, the subtables of that table:
 * one open-addressing hash table per distinct mask, keyed by the masked packet key, holding
 * for each masked key the highest-priority rule.  Subtables are ordered by their best
 * priority, highest first (ties: most hits first, as measured by the PMDs under the previous
 * snapshot), so a lookup stops as soon as the best match found so far beats every subtable
 * left.  A snapshot is built by the writer and never changes once published (except the
 * approximate hit counters), so readers need no locks.  Consecutive snapshots share the
 * subtables whose rules did not change (reference counted, by the writer only), so a change
 * costs a pass over the rules plus rebuilding the subtables it touches.
 */

#include "ft_hash.h"
#include "ft_rule.h"

struct ft_st_entry {
	uint32_t hash;
	uint32_t pad;
	const struct ft_rule *rule;   /**< NULL: empty slot */
};

struct ft_subtable {
	struct ft_key mask;
	uint8_t words[FT_KEY_WORDS];  /**< indices of the mask's non-zero words */
	uint8_t n_words;
	int32_t max_priority;
	uint32_t n_entries;
	uint32_t bucket_mask;
	uint64_t hits;                /**< approximate, updated by PMDs once per burst */
	uint32_t refcnt;              /**< snapshots using it (writer only) */
	uint64_t rank_hits;           /**< 'hits' frozen for sorting (writer only) */
	struct ft_st_entry *entries;
};

struct ft_cls {
	/*
	 * The union of the table's rule masks: two packets equal under it meet the same rule in
	 * this table, so the per-PMD flow cache keys on these bits only (a one-mask megaflow).
	 */
	struct ft_key cache_mask;
	uint8_t cache_words[FT_KEY_WORDS];
	uint8_t n_cache_words;
	/*
	 * The cache mask holds in_port bits at most: every packet of a burst (one in_port)
	 * meets the same rule here, so the PMD looks it up once per burst.
	 */
	bool inport_only;
	uint32_t n_subtables;
	struct ft_subtable *subtables[];
};

struct ft_gtab;

struct ft_snap {
	uint64_t gen;                 /**< unique over the process (< 2^56): tags cache entries */
	size_t n_rules;
	bool full_parse;              /**< some rule looks at L3/L4 or rewrites them */
	/**
	 * Some rule's actions write to a packet or keep it past its burst (ft_actions_keep):
	 * packets lent to the switch are made its own first (flowtab_out.own).
	 */
	bool needs_own;
	/**
	 * Some rule rewrites headers (ft_actions_write_head), none does more: a packet whose
	 * first segment is the switch's own may keep the rest lent (flowtab_out.own_head).
	 */
	bool writes_head;
	/*
	 * The group table the PMDs use with these rules (owned by the flowtab's ft_gm, set by
	 * the writer before publishing): rules and groups reach the PMDs in one pointer, so a
	 * bundle that changes both is seen whole or not at all.
	 */
	const struct ft_gtab *groups;
	struct ft_cls *tables[FT_N_TABLES];
};

/**
 * Build a snapshot of 'rules'.  Subtables of 'prev' (may be NULL) whose (table, mask) no rule
 * of 'touched' (added or removed since 'prev') has are shared instead of rebuilt, unless
 * 'rebuild_all'; rebuilt ones inherit their hit counts for ranking.
 */
struct ft_snap *ft_snap_build(struct ft_rule *const *rules, size_t n, const struct ft_snap *prev,
		struct ft_rule *const *touched, size_t n_touched, bool rebuild_all);
/**
 * The snapshot after 'prev' when only the rules 'add' ('n_add'; each new, or replacing the
 * rule of its identity) went in, 'n' rules in all: 'prev''s subtables are shared except
 * those of the adds' masks, which are copied and added to (no pass over all the rules).
 */
struct ft_snap *ft_snap_add_rules(const struct ft_snap *prev, struct ft_rule *const *add,
		size_t n_add, size_t n);
void ft_snap_free(struct ft_snap *snap);
/** Do actions 'a' rewrite L3/L4 fields (so that packets must be parsed beyond L2)? */
bool ft_actions_touch_l3(const struct ft_actions *a);
/**
 * Do actions 'a' keep a packet past the burst (a controller, a group's buckets), send it
 * back where it came from (IN_PORT, ALL) or write to it beyond its headers?  Anything but
 * outputs to other ports, NORMAL, FLOOD, table changes, meters and header rewrites.
 */
bool ft_actions_keep(const struct ft_actions *a);
/**
 * Do actions 'a' rewrite a packet's headers (Ethernet, VLAN, IP, TCP/UDP ports, TTL)?
 * Those are written in the packet's first segment only, where extraction found them.
 */
bool ft_actions_write_head(const struct ft_actions *a);
/** Halve every subtable's hit count, so that ranking follows the recent traffic. */
void ft_snap_decay_hits(const struct ft_snap *snap);
/** Hash of a subtable's identity: its table and mask. */
uint32_t ft_mask_hash(uint8_t table, const struct ft_key *mask);
/** Would ranking subtables of equal best priority by their hits now change the order a lot? */
bool ft_snap_needs_rerank(const struct ft_snap *snap);

static inline bool
ft_st_match(const struct ft_subtable *st, const struct ft_rule *r, const struct ft_key *k)
{
	uint64_t d = 0;
	unsigned i;

	for (i = 0; i < st->n_words; i++)
		d |= (k->w[st->words[i]] & st->mask.w[st->words[i]]) ^ r->match.key.w[st->words[i]];
	return d == 0;
}

static inline const struct ft_rule *
ft_st_find(const struct ft_subtable *st, const struct ft_key *k, uint32_t h)
{
	uint32_t i = h & st->bucket_mask;
	const struct ft_st_entry *e;

	for (;;) {
		e = &st->entries[i];
		if (!e->rule)
			return NULL;
		if (e->hash == h && ft_st_match(st, e->rule, k))
			return e->rule;
		i = (i + 1) & st->bucket_mask;
	}
}

/** Highest-priority rule of 'cls' matching 'k', or NULL; adds subtables probed to '*n_probed'. */
static inline const struct ft_rule *
ft_cls_lookup(const struct ft_cls *cls, const struct ft_key *k, uint64_t *n_probed)
{
	const struct ft_rule *best = NULL, *r;
	int32_t best_prio = -1;
	uint32_t i;

	if (!cls)
		return NULL;
	for (i = 0; i < cls->n_subtables; i++) {
		const struct ft_subtable *st = cls->subtables[i];

		if (st->max_priority <= best_prio)
			break;
		(*n_probed)++;
		r = ft_st_find(st, k, ft_key_hash_masked(k, &st->mask, st->words, st->n_words));
		if (r && r->priority > best_prio) {
			best = r;
			best_prio = r->priority;
		}
	}
	return best;
}

#endif /* VIREO_FT_CLS_H */
