/* SPDX-License-Identifier: BSD-3-Clause */
/* Building classifier snapshots (writer side only). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ft_cls.h"

static uint64_t snap_gen;

/* Put 'r' in 'st', which has room: the highest priority holds a key; an equal one is the
 * same rule identity (table, match, priority), which 'r' replaces. */
static void
subtable_insert(struct ft_subtable *st, const struct ft_rule *r)
{
	uint32_t h = ft_key_hash_masked(&r->match.key, &st->mask, st->words, st->n_words), j;

	for (j = h & st->bucket_mask; st->entries[j].rule; j = (j + 1) & st->bucket_mask)
		if (st->entries[j].hash == h &&
		    ft_key_equal(&st->entries[j].rule->match.key, &r->match.key))
			break;
	if (!st->entries[j].rule) {
		st->entries[j].hash = h;
		st->entries[j].rule = r;
		st->n_entries++;
	} else if (st->entries[j].rule->priority <= r->priority) {
		st->entries[j].rule = r;
	}
	if (r->priority > st->max_priority)
		st->max_priority = r->priority;
}

static struct ft_subtable *
subtable_build(struct ft_rule *const *rules, size_t n)
{
	struct ft_subtable *st;
	uint32_t size = 8, i;
	const struct ft_key *mask = &rules[0]->match.mask;

	while (size < 2 * n)
		size *= 2;
	st = ft_zalloc(sizeof(*st));
	if (!st)
		return NULL;
	st->entries = ft_zalloc(size * sizeof(st->entries[0]));
	if (!st->entries) {
		free(st);
		return NULL;
	}
	st->mask = *mask;
	for (i = 0; i < FT_KEY_WORDS; i++)
		if (mask->w[i])
			st->words[st->n_words++] = (uint8_t)i;
	st->bucket_mask = size - 1;
	st->max_priority = -1;
	st->refcnt = 1;
	for (i = 0; i < n; i++)
		subtable_insert(st, rules[i]);
	return st;
}

/* Drop a reference; subtables are shared by consecutive snapshots when their rules did not
 * change. */
static void
subtable_put(struct ft_subtable *st)
{
	if (st && --st->refcnt == 0) {
		free(st->entries);
		free(st);
	}
}

static int
cmp_subtable(const void *a, const void *b)
{
	const struct ft_subtable *x = *(const struct ft_subtable *const *)a;
	const struct ft_subtable *y = *(const struct ft_subtable *const *)b;

	if (x->max_priority != y->max_priority)
		return x->max_priority > y->max_priority ? -1 : 1;
	if (x->rank_hits != y->rank_hits)
		return x->rank_hits > y->rank_hits ? -1 : 1;
	return 0;
}

static void
cls_free(struct ft_cls *cls)
{
	uint32_t i;

	if (!cls)
		return;
	for (i = 0; i < cls->n_subtables; i++)
		subtable_put(cls->subtables[i]);
	free(cls);
}

/* L2 fields of the key: in_port, vlan_tci, dl_type, dl_dst, dl_src. */
static const uint64_t l2_bits[FT_KEY_WORDS] = {
	UINT64_MAX, 0x0000ffffffffffffull, 0x0000ffffffffffffull,
};

/* Whether action type 't' rewrites an IP or transport header field. */
static bool
act_writes_l3(enum ft_act_type t)
{
	switch (t) {
	case FT_ACT_SET_NW_SRC:
	case FT_ACT_SET_NW_DST:
	case FT_ACT_SET_NW_TOS:
	case FT_ACT_SET_NW_TTL:
	case FT_ACT_SET_TP_SRC:
	case FT_ACT_SET_TP_DST:
	case FT_ACT_SET_IPV6_SRC:
	case FT_ACT_SET_IPV6_DST:
	case FT_ACT_DEC_TTL:
		return true;
	default:
		return false;
	}
}

bool
ft_actions_touch_l3(const struct ft_actions *a)
{
	for (uint32_t i = 0; i < a->n; i++)
		/* A group's buckets may rewrite L3; select hashes the 5-tuple. */
		if (act_writes_l3(a->a[i].type) || a->a[i].type == FT_ACT_GROUP)
			return true;
	return false;
}

/* Whether action type 't' writes to the packet's headers only (ft_exec.c: the first segment). */
static bool
act_writes_head(enum ft_act_type t)
{
	switch (t) {
	case FT_ACT_SET_DL_SRC:
	case FT_ACT_SET_DL_DST:
	case FT_ACT_SET_VLAN_VID:
	case FT_ACT_SET_VLAN_PCP:
	case FT_ACT_PUSH_VLAN:
	case FT_ACT_STRIP_VLAN:
		return true;
	default:
		return act_writes_l3(t);
	}
}

bool
ft_actions_write_head(const struct ft_actions *a)
{
	for (uint32_t i = 0; i < a->n; i++)
		if (act_writes_head(a->a[i].type))
			return true;
	return false;
}

bool
ft_actions_keep(const struct ft_actions *a)
{
	for (uint32_t i = 0; i < a->n; i++) {
		switch (a->a[i].type) {
		case FT_ACT_OUTPUT:
		case FT_ACT_NORMAL:
		case FT_ACT_FLOOD:	/* ALL includes the input port */
		case FT_ACT_RESUBMIT:
		case FT_ACT_GOTO_TABLE:
		case FT_ACT_METER:
			break;
		default:
			if (!act_writes_head(a->a[i].type))
				return true;
		}
	}
	return false;
}

static void
snap_summarise(struct ft_snap *snap, struct ft_rule *const *rules, size_t n)
{
	size_t i;
	unsigned w;

	for (i = 0; i < n; i++) {
		const struct ft_rule *r = rules[i];

		for (w = 0; w < FT_KEY_WORDS; w++)
			if (r->match.mask.w[w] & ~l2_bits[w])
				snap->full_parse = true;
		if (ft_actions_touch_l3(r->acts))
			snap->full_parse = true;
		if (ft_actions_keep(r->acts))
			snap->needs_own = true;
		if (ft_actions_write_head(r->acts))
			snap->writes_head = true;
	}
}

static void
cls_cache_mask(struct ft_cls *c)
{
	const struct ft_key inport = { .in_port = UINT32_MAX };
	uint32_t i;
	unsigned w;

	for (i = 0; i < c->n_subtables; i++)
		for (w = 0; w < FT_KEY_WORDS; w++)
			c->cache_mask.w[w] |= c->subtables[i]->mask.w[w];
	c->inport_only = true;
	for (w = 0; w < FT_KEY_WORDS; w++) {
		if (c->cache_mask.w[w])
			c->cache_words[c->n_cache_words++] = (uint8_t)w;
		if (c->cache_mask.w[w] & ~inport.w[w])
			c->inport_only = false;
	}
}

void
ft_snap_decay_hits(const struct ft_snap *snap)
{
	unsigned t;
	uint32_t i;

	for (t = 0; t < FT_N_TABLES; t++) {
		const struct ft_cls *c = snap->tables[t];

		for (i = 0; c && i < c->n_subtables; i++) {
			struct ft_subtable *st = c->subtables[i];

			/* A PMD's concurrent add may be lost: the counts only rank. */
			__atomic_store_n(&st->hits, __atomic_load_n(&st->hits, __ATOMIC_RELAXED) / 2,
					__ATOMIC_RELAXED);
		}
	}
}

bool
ft_snap_needs_rerank(const struct ft_snap *snap)
{
	const struct ft_subtable *a, *b;
	unsigned t;
	uint32_t i;

	for (t = 0; t < FT_N_TABLES; t++) {
		const struct ft_cls *c = snap->tables[t];

		for (i = 1; c && i < c->n_subtables; i++) {
			a = c->subtables[i - 1];
			b = c->subtables[i];
			if (a->max_priority == b->max_priority &&
			    __atomic_load_n(&b->hits, __ATOMIC_RELAXED) / 2 >
			    __atomic_load_n(&a->hits, __ATOMIC_RELAXED))
				return true;
		}
	}
	return false;
}

/* Order the subtables for lookup (priority, then recent hits) and make the cache mask. */
static void
cls_finish(struct ft_cls *c)
{
	uint32_t i;

	for (i = 0; i < c->n_subtables; i++)
		c->subtables[i]->rank_hits = __atomic_load_n(&c->subtables[i]->hits,
				__ATOMIC_RELAXED);
	qsort(c->subtables, c->n_subtables, sizeof(c->subtables[0]), cmp_subtable);
	cls_cache_mask(c);
}

/* Rules grouped by (table, mask): one group per subtable. */
struct group {
	uint32_t hash;
	uint8_t table;
	bool dirty;
	const struct ft_key *mask;
	size_t n;
	size_t start;
	struct ft_subtable *st;
};

struct grouping {
	struct group *g;
	size_t n_groups;
	uint32_t *slot;           /* group index + 1, open addressing */
	size_t mask;
};

uint32_t
ft_mask_hash(uint8_t table, const struct ft_key *mask)
{
	uint64_t h = table;
	unsigned i;

	for (i = 0; i < FT_KEY_WORDS; i++)
		h = ft_crc32_u64(h, mask->w[i]);
	return (uint32_t)h;
}

/* The group of (table, mask), created when 'create'; NULL when absent. */
static struct group *
group_find(struct grouping *gr, uint8_t table, const struct ft_key *mask, uint32_t h,
		bool create)
{
	size_t i = h & gr->mask;
	struct group *g;

	for (; gr->slot[i]; i = (i + 1) & gr->mask) {
		g = &gr->g[gr->slot[i] - 1];
		if (g->hash == h && g->table == table && ft_key_equal(g->mask, mask))
			return g;
	}
	if (!create)
		return NULL;
	g = &gr->g[gr->n_groups++];
	memset(g, 0, sizeof(*g));
	g->hash = h;
	g->table = table;
	g->mask = mask;
	gr->slot[i] = (uint32_t)gr->n_groups;
	return g;
}

/* The subtable of 'prev' for (table, mask), or NULL. */
static struct ft_subtable *
prev_subtable(const struct ft_snap *prev, uint8_t table, const struct ft_key *mask)
{
	const struct ft_cls *c = prev ? prev->tables[table] : NULL;
	uint32_t i;

	for (i = 0; c && i < c->n_subtables; i++)
		if (ft_key_equal(&c->subtables[i]->mask, mask))
			return c->subtables[i];
	return NULL;
}

/* Give each group its subtable: shared with 'prev' when clean, else built. */
static int
groups_subtables(struct grouping *gr, struct ft_rule *const *ordered, const struct ft_snap *prev)
{
	struct ft_subtable *old;
	size_t i;

	for (i = 0; i < gr->n_groups; i++) {
		struct group *g = &gr->g[i];

		old = prev_subtable(prev, g->table, g->mask);
		if (old && !g->dirty) {
			old->refcnt++;
			g->st = old;
			continue;
		}
		g->st = subtable_build(ordered + g->start, g->n);
		if (!g->st)
			return -ENOMEM;
		if (old)
			g->st->hits = __atomic_load_n(&old->hits, __ATOMIC_RELAXED);
	}
	return 0;
}

static int
snap_tables(struct ft_snap *snap, struct grouping *gr)
{
	uint32_t per_table[FT_N_TABLES] = { 0 };
	struct ft_cls *c;
	size_t i;
	unsigned t;

	for (i = 0; i < gr->n_groups; i++)
		per_table[gr->g[i].table]++;
	for (t = 0; t < FT_N_TABLES; t++) {
		if (!per_table[t])
			continue;
		snap->tables[t] = ft_zalloc(sizeof(*c) + per_table[t] * sizeof(c->subtables[0]));
		if (!snap->tables[t])
			return -ENOMEM;
	}
	for (i = 0; i < gr->n_groups; i++) {
		c = snap->tables[gr->g[i].table];
		c->subtables[c->n_subtables++] = gr->g[i].st;
		gr->g[i].st = NULL;
	}
	for (t = 0; t < FT_N_TABLES; t++)
		if (snap->tables[t])
			cls_finish(snap->tables[t]);
	return 0;
}

struct ft_snap *
ft_snap_build(struct ft_rule *const *rules, size_t n, const struct ft_snap *prev,
		struct ft_rule *const *touched, size_t n_touched, bool rebuild_all)
{
	struct grouping gr = { 0 };
	struct ft_rule **ordered = NULL;
	uint32_t *gidx = NULL;
	struct ft_snap *snap;
	struct group *g;
	size_t i, size = 16, pos;

	snap = ft_zalloc(sizeof(*snap));
	if (!snap)
		return NULL;
	snap->gen = __atomic_add_fetch(&snap_gen, 1, __ATOMIC_RELAXED);   /* never reaches 2^56 */
	snap->n_rules = n;
	if (!n)
		return snap;
	snap_summarise(snap, rules, n);
	while (size < 2 * n)
		size *= 2;
	gr.g = malloc(n * sizeof(*gr.g));
	gr.slot = calloc(size, sizeof(*gr.slot));
	gr.mask = size - 1;
	gidx = malloc(n * sizeof(*gidx));
	ordered = malloc(n * sizeof(*ordered));
	if (!gr.g || !gr.slot || !gidx || !ordered)
		goto fail;
	for (i = 0; i < n; i++) {
		g = group_find(&gr, rules[i]->table_id, &rules[i]->match.mask, rules[i]->mask_hash,
				true);
		g->n++;
		gidx[i] = (uint32_t)(g - gr.g);
	}
	for (pos = 0, i = 0; i < gr.n_groups; i++) {
		gr.g[i].start = pos;
		pos += gr.g[i].n;
		gr.g[i].n = 0;
		gr.g[i].dirty = rebuild_all;
	}
	for (i = 0; i < n; i++) {
		g = &gr.g[gidx[i]];
		ordered[g->start + g->n++] = rules[i];
	}
	for (i = 0; i < n_touched && !rebuild_all; i++) {
		g = group_find(&gr, touched[i]->table_id, &touched[i]->match.mask,
				touched[i]->mask_hash, false);
		if (g)
			g->dirty = true;
	}
	if (groups_subtables(&gr, ordered, prev) || snap_tables(snap, &gr))
		goto fail;
	free(gr.g);
	free(gr.slot);
	free(gidx);
	free(ordered);
	return snap;
fail:
	for (i = 0; gr.g && i < gr.n_groups; i++)
		subtable_put(gr.g[i].st);
	free(gr.g);
	free(gr.slot);
	free(gidx);
	free(ordered);
	ft_snap_free(snap);
	return NULL;
}

/* A private copy of 'old' with room for 'extra' more keys (hit count carried over). */
static struct ft_subtable *
subtable_copy(const struct ft_subtable *old, uint32_t extra)
{
	uint32_t size = old->bucket_mask + 1, i, j;
	struct ft_subtable *st = ft_zalloc(sizeof(*st));

	if (!st)
		return NULL;
	while (size < 2 * (old->n_entries + extra))
		size *= 2;
	st->entries = ft_zalloc(size * sizeof(st->entries[0]));
	if (!st->entries) {
		free(st);
		return NULL;
	}
	st->mask = old->mask;
	memcpy(st->words, old->words, sizeof(st->words));
	st->n_words = old->n_words;
	st->max_priority = old->max_priority;
	st->n_entries = old->n_entries;
	st->bucket_mask = size - 1;
	st->hits = __atomic_load_n(&old->hits, __ATOMIC_RELAXED);
	st->refcnt = 1;
	if (size == old->bucket_mask + 1) {
		memcpy(st->entries, old->entries, size * sizeof(st->entries[0]));
		return st;
	}
	for (i = 0; i <= old->bucket_mask; i++) {
		if (!old->entries[i].rule)
			continue;
		for (j = old->entries[i].hash & st->bucket_mask; st->entries[j].rule;
				j = (j + 1) & st->bucket_mask)
			;
		st->entries[j] = old->entries[i];
	}
	return st;
}

/* Add 'r' to the table 'c' is being built for; 'own' says which of its subtables are this
 * snapshot's copies (the others are shared with the previous one, read-only). */
static int
cls_add_rule(struct ft_cls *c, bool *own, struct ft_rule *r)
{
	struct ft_subtable *st, *copy;
	uint32_t i;

	for (i = 0; i < c->n_subtables; i++)
		if (ft_key_equal(&c->subtables[i]->mask, &r->match.mask))
			break;
	if (i == c->n_subtables) {
		st = subtable_build((struct ft_rule *const *)&r, 1);
		if (!st)
			return -ENOMEM;
		c->subtables[c->n_subtables++] = st;
		own[i] = true;
		return 0;
	}
	st = c->subtables[i];
	if (!own[i] || 2 * (st->n_entries + 1) > st->bucket_mask + 1) {
		copy = subtable_copy(st, 1);
		if (!copy)
			return -ENOMEM;
		subtable_put(st);
		c->subtables[i] = st = copy;
		own[i] = true;
	}
	subtable_insert(st, r);
	return 0;
}

struct ft_snap *
ft_snap_add_rules(const struct ft_snap *prev, struct ft_rule *const *add, size_t n_add,
		size_t n)
{
	size_t per_table[FT_N_TABLES] = { 0 }, i;
	struct ft_snap *snap = ft_zalloc(sizeof(*snap));
	const struct ft_cls *pc;
	struct ft_cls *c = NULL;
	bool *own = NULL;
	unsigned t;

	if (!snap)
		return NULL;
	snap->gen = __atomic_add_fetch(&snap_gen, 1, __ATOMIC_RELAXED);
	snap->n_rules = n;
	snap->full_parse = prev->full_parse;
	snap->needs_own = prev->needs_own;
	snap->writes_head = prev->writes_head;
	snap_summarise(snap, add, n_add);
	for (i = 0; i < n_add; i++)
		per_table[add[i]->table_id]++;
	for (t = 0; t < FT_N_TABLES; t++) {
		pc = prev->tables[t];
		if (!pc && !per_table[t])
			continue;
		i = (pc ? pc->n_subtables : 0) + per_table[t];
		c = ft_zalloc(sizeof(*c) + i * sizeof(c->subtables[0]));
		own = calloc(i + 1, sizeof(*own));
		if (!c || !own)
			goto fail;
		snap->tables[t] = c;
		for (i = 0; pc && i < pc->n_subtables; i++) {
			c->subtables[i] = pc->subtables[i];
			c->subtables[i]->refcnt++;
		}
		c->n_subtables = pc ? pc->n_subtables : 0;
		for (i = 0; per_table[t] && i < n_add; i++)
			if (add[i]->table_id == t && cls_add_rule(c, own, add[i]))
				goto fail;
		free(own);
		own = NULL;
		cls_finish(c);
	}
	return snap;
fail:
	if (c && !snap->tables[t])
		free(c);
	free(own);
	ft_snap_free(snap);
	return NULL;
}

void
ft_snap_free(struct ft_snap *snap)
{
	unsigned i;

	if (!snap)
		return;
	for (i = 0; i < FT_N_TABLES; i++)
		cls_free(snap->tables[i]);
	free(snap);
}
