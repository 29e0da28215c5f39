/* SPDX-License-Identifier: BSD-3-Clause */
/* Building classifier snapshots (writer side only). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ft_cls.h"

static uint64_t snap_gen;

static int
cmp_rule_mask(const void *a, const void *b)
{
	const struct ft_rule *x = *(const struct ft_rule *const *)a;
	const struct ft_rule *y = *(const struct ft_rule *const *)b;

	if (x->table_id != y->table_id)
		return x->table_id < y->table_id ? -1 : 1;
	return memcmp(&x->match.mask, &y->match.mask, sizeof(x->match.mask));
}

static uint64_t
prev_hits(const struct ft_snap *prev, uint8_t table, const struct ft_key *mask)
{
	const struct ft_cls *c = prev ? prev->tables[table] : NULL;
	uint32_t i;

	for (i = 0; c && i < c->n_subtables; i++)
		if (!memcmp(&c->subtables[i]->mask, mask, sizeof(*mask)))
			return __atomic_load_n(&c->subtables[i]->hits, __ATOMIC_RELAXED);
	return 0;
}

static struct ft_subtable *
subtable_build(struct ft_rule *const *rules, size_t n)
{
	struct ft_subtable *st;
	uint32_t size = 8, i, h, j;
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
	for (i = 0; i < n; i++) {
		const struct ft_rule *r = rules[i];

		h = ft_key_hash_masked(&r->match.key, mask, st->words, st->n_words);
		for (j = h & st->bucket_mask; st->entries[j].rule; j = (j + 1) & st->bucket_mask)
			if (st->entries[j].hash == h &&
			    ft_key_equal(&st->entries[j].rule->match.key, &r->match.key))
				break;
		if (!st->entries[j].rule) {
			st->entries[j].hash = h;
			st->entries[j].rule = r;
			st->n_entries++;
		} else if (st->entries[j].rule->priority < r->priority) {
			st->entries[j].rule = r;
		}
		if (r->priority > st->max_priority)
			st->max_priority = r->priority;
	}
	return st;
}

static void
subtable_free(struct ft_subtable *st)
{
	if (st) {
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
	if (x->hits != y->hits)
		return x->hits > y->hits ? -1 : 1;
	return 0;
}

static struct ft_cls *
cls_build(struct ft_rule *const *rules, size_t n, const struct ft_snap *prev)
{
	struct ft_cls *cls;
	size_t i, start, n_st = 0;

	for (i = 0; i < n; i++)
		if (i == 0 || cmp_rule_mask(&rules[i - 1], &rules[i]))
			n_st++;
	cls = ft_zalloc(sizeof(*cls) + n_st * sizeof(cls->subtables[0]));
	if (!cls)
		return NULL;
	for (start = 0, i = 1; i <= n; i++) {
		if (i < n && !cmp_rule_mask(&rules[i - 1], &rules[i]))
			continue;
		cls->subtables[cls->n_subtables] = subtable_build(rules + start, i - start);
		if (!cls->subtables[cls->n_subtables])
			goto fail;
		cls->subtables[cls->n_subtables]->hits =
			prev_hits(prev, rules[start]->table_id, &rules[start]->match.mask);
		cls->n_subtables++;
		start = i;
	}
	qsort(cls->subtables, cls->n_subtables, sizeof(cls->subtables[0]), cmp_subtable);
	return cls;
fail:
	for (i = 0; i < cls->n_subtables; i++)
		subtable_free(cls->subtables[i]);
	free(cls);
	return NULL;
}

static void
cls_free(struct ft_cls *cls)
{
	uint32_t i;

	if (!cls)
		return;
	for (i = 0; i < cls->n_subtables; i++)
		subtable_free(cls->subtables[i]);
	free(cls);
}

/* L2 fields of the key: in_port, vlan_tci, dl_type, dl_dst, dl_src. */
static const uint64_t l2_bits[FT_KEY_WORDS] = {
	UINT64_MAX, 0x0000ffffffffffffull, 0x0000ffffffffffffull,
};

static bool
acts_touch_l3(const struct ft_actions *a)
{
	uint32_t i;

	for (i = 0; i < a->n; i++) {
		switch (a->a[i].type) {
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
			break;
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

		for (w = 0; w < FT_KEY_WORDS; w++) {
			if (r->table_id == 0)
				snap->emc_mask.w[w] |= r->match.mask.w[w];
			if (r->match.mask.w[w] & ~l2_bits[w])
				snap->full_parse = true;
		}
		if (acts_touch_l3(r->acts))
			snap->full_parse = true;
	}
	for (w = 0; w < FT_KEY_WORDS; w++)
		if (snap->emc_mask.w[w])
			snap->emc_words[snap->n_emc_words++] = (uint8_t)w;
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

struct ft_snap *
ft_snap_build(struct ft_rule *const *rules, size_t n, const struct ft_snap *prev)
{
	struct ft_rule **sorted = NULL;
	struct ft_snap *snap;
	size_t i, start;

	snap = ft_zalloc(sizeof(*snap));
	if (!snap)
		return NULL;
	snap->gen = __atomic_add_fetch(&snap_gen, 1, __ATOMIC_RELAXED);
	snap->n_rules = n;
	if (!n)
		return snap;
	snap_summarise(snap, rules, n);
	sorted = malloc(n * sizeof(*sorted));
	if (!sorted)
		goto fail;
	memcpy(sorted, rules, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_rule_mask);
	for (start = 0, i = 1; i <= n; i++) {
		if (i < n && sorted[i]->table_id == sorted[start]->table_id)
			continue;
		snap->tables[sorted[start]->table_id] = cls_build(sorted + start, i - start, prev);
		if (!snap->tables[sorted[start]->table_id])
			goto fail;
		start = i;
	}
	free(sorted);
	return snap;
fail:
	free(sorted);
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
