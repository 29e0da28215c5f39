/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A batch of adds, modifies and deletes committed as one snapshot (OpenFlow bundles).  Adds
 * are parsed into unpublished rules and modifies and deletes into filters as they come;
 * the commit works the result out on a private array of the current rules plus the new
 * ones, and publishes it once.  No rule the readers see is touched before that: a modify
 * of a published rule puts a copy with the new actions (same identity, seq, times and
 * counters) in its place, and the original goes with the old snapshot.  Packets a PMD
 * counts on the original between the copy and the publication (the commit's own few
 * microseconds) are not carried over.  Group changes (ft_group_batch.c) are made on a copy
 * of the group table as they come and published in the commit's snapshot; a group delete
 * is also an op here, deleting at its place in the order the rules that use the group.
 */

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ft_gm.h"
#include "ft_private.h"
#include "rcu.h"

/* One change, small: a batch of 100k adds keeps 100k of them (one kind set, the others
 * NULL). */
struct batch_op {
	struct ft_rule *add;        /* an add: the new rule (the batch's until committed) */
	struct ft_rule_spec *del;   /* a delete or modify: its filter (a modify's with actions) */
	uint32_t *group_ids;        /* a group delete: the ids deleted (sorted), whose rules go */
	size_t n_group_ids;
	bool mod;
	bool strict;
};

struct flowtab_batch {
	struct flowtab *ft;
	/* Its new rules' pool: a reference of the batch's own, for a batch destroyed after its
	 * table (an OpenFlow bundle open when the bridge goes). */
	struct ft_pool *pool;
	struct batch_op *ops;
	size_t n, cap, n_add;
	bool has_mod;
	bool has_del;
	bool committed;             /* the new rules belong to the table now */
	struct ft_gwork gw;         /* group changes ('gw.t' NULL: none) */
};

/* The commit's work area: current and new rules, which are gone, an identity index. */
struct work {
	struct ft_rule **arr;
	bool *gone;
	bool *deleted;              /* gone by a delete (not replaced by an add) */
	bool *copy;                 /* a modify's copy of a published rule (the commit's) */
	size_t n, n_old;
	size_t *slot;               /* position + 1 of the live rule of an identity */
	size_t mask;
};

struct flowtab_batch *
flowtab_batch_create(struct flowtab *ft)
{
	struct flowtab_batch *b = calloc(1, sizeof(*b));

	/* What earlier changes retired and the readers have left goes back to the rule pool
	 * now, for the batch's rules: a bundle after a del-flows reuses the deleted rules'
	 * memory rather than growing the pool by as much again. */
	if (ft->defer)
		rcu_defer_reclaim(ft->defer);
	if (b) {
		b->ft = ft;
		b->pool = ft_pool_ref(ft->rule_pool);
	}
	return b;
}

void
flowtab_batch_destroy(struct flowtab_batch *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->n; i++) {
		free(b->ops[i].group_ids);
		if (b->ops[i].del) {
			ft_rule_spec_clear(b->ops[i].del);
			free(b->ops[i].del);
		}
		if (b->ops[i].add && !b->committed)
			ft_rule_free(b->ops[i].add);
	}
	ft_gwork_free(&b->gw);
	free(b->ops);
	ft_pool_unref(b->pool);
	free(b);
}

static struct batch_op *
batch_next(struct flowtab_batch *b)
{
	size_t cap = b->cap ? 2 * b->cap : 64;
	struct batch_op *p;

	if (b->n == b->cap) {
		p = realloc(b->ops, cap * sizeof(*p));
		if (!p)
			return NULL;
		b->ops = p;
		b->cap = cap;
	}
	b->ops[b->n] = (struct batch_op){ 0 };
	return &b->ops[b->n];
}

/* An add, its rule given as 'text' or as 'in'. */
static int
batch_add(struct flowtab_batch *b, const char *text, const struct flowtab_rule_in *in,
		char **err)
{
	struct flowtab *ft = b->ft;
	struct batch_op *op = batch_next(b);
	const struct ft_gtab *gt;
	uint64_t now;
	int ret;

	*err = NULL;
	if (!op || b->committed)
		return -ENOMEM;
	gt = ft_gwork_table(ft, &b->gw, err);
	if (!gt && b->gw.t)
		return -EINVAL;
	now = ft->clock(ft->clock_aux);
	ret = in ? ft_rule_from_in(ft, gt, in, now, ft->next_seq, &op->add, err) :
		ft_rule_from_text_in(ft, gt, text, now, ft->next_seq, &op->add, err);
	if (ret)
		return ret;
	ft->next_seq++;
	b->n++;
	b->n_add++;
	return 0;
}

int
flowtab_batch_add(struct flowtab_batch *b, const char *text, char **err)
{
	return batch_add(b, text, NULL, err);
}

int
flowtab_batch_add_in(struct flowtab_batch *b, const struct flowtab_rule_in *r, char **err)
{
	return batch_add(b, NULL, r, err);
}

int
flowtab_batch_del(struct flowtab_batch *b, const char *match, bool strict, char **err)
{
	struct batch_op *op = batch_next(b);

	*err = NULL;
	if (!op || b->committed || !(op->del = malloc(sizeof(*op->del))))
		return -ENOMEM;
	if (ft_rule_parse(match, FT_PARSE_MATCH, &b->ft->ports, op->del, err) < 0) {
		free(op->del);
		op->del = NULL;
		return -EINVAL;
	}
	op->mod = false;
	op->strict = strict;
	b->has_del = true;
	b->n++;
	return 0;
}

int
flowtab_batch_mod(struct flowtab_batch *b, const char *text, bool strict, char **err)
{
	struct batch_op *op = batch_next(b);
	const struct ft_gtab *gt;

	*err = NULL;
	if (!op || b->committed)
		return -ENOMEM;
	gt = ft_gwork_table(b->ft, &b->gw, err);
	if (!gt && b->gw.t)
		return -EINVAL;
	if (!(op->del = malloc(sizeof(*op->del))))
		return -ENOMEM;
	if (ft_rule_parse(text, FT_PARSE_MOD, &b->ft->ports, op->del, err) < 0) {
		free(op->del);
		op->del = NULL;
		return -EINVAL;
	}
	if (ft_gm_check_actions_in(b->ft, gt, op->del->acts, err) < 0) {
		ft_rule_spec_clear(op->del);
		free(op->del);
		op->del = NULL;
		return -EINVAL;
	}
	op->mod = true;
	op->strict = strict;
	b->has_mod = true;
	b->n++;
	return 0;
}

int
flowtab_batch_group_mod(struct flowtab_batch *b, enum flowtab_gm_command cmd,
		const struct flowtab_group_spec *spec, enum flowtab_gm_error *why, char **err)
{
	*why = FLOWTAB_GM_OK;
	*err = NULL;
	if (b->committed)
		return -ENOMEM;
	return ft_gwork_mod(b->ft, &b->gw, cmd, spec, why, err);
}

int
flowtab_batch_group_del(struct flowtab_batch *b, uint32_t group_id, enum flowtab_gm_error *why,
		char **err)
{
	struct batch_op *op = batch_next(b);
	uint32_t *ids;
	size_t n_ids;
	int ret;

	*why = FLOWTAB_GM_OK;
	*err = NULL;
	if (!op || b->committed)
		return -ENOMEM;
	ret = ft_gwork_del(b->ft, &b->gw, group_id, &ids, &n_ids, why, err);
	if (ret || n_ids == 0)
		return ret;
	op->group_ids = ids;
	op->n_group_ids = n_ids;
	b->has_del = true;
	b->n++;
	return 0;
}

static bool
uses_groups(const struct ft_rule *r, const uint32_t *ids, size_t n)
{
	uint32_t i;
	size_t lo, hi, mid;

	for (i = 0; i < r->acts->n; i++) {
		if (r->acts->a[i].type != FT_ACT_GROUP)
			continue;
		for (lo = 0, hi = n; lo < hi;) {
			mid = (lo + hi) / 2;
			if (ids[mid] == r->acts->a[i].u32)
				return true;
			if (ids[mid] < r->acts->a[i].u32)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	return false;
}

static size_t *
work_slot(struct work *w, const struct ft_rule *r)
{
	size_t i = r->ident_hash & w->mask;

	while (w->slot[i] && !ft_rule_same_identity(w->arr[w->slot[i] - 1], r))
		i = (i + 1) & w->mask;
	return &w->slot[i];
}

static void
work_free(struct work *w, bool free_copies)
{
	size_t i;

	for (i = w->n_old; free_copies && i < w->n; i++)
		if (w->copy[i])
			ft_rule_free(w->arr[i]);
	free(w->copy);
	free(w->arr);
	free(w->gone);
	free(w->deleted);
	free(w->slot);
}

/* Room for the current rules, the batch's adds and, with modifies, a copy of each current
 * rule (a rule is copied once: the copy is the commit's to change). */
static int
work_init(struct work *w, const struct flowtab *ft, size_t n_add, bool has_mod)
{
	size_t cap = ft->n_rules + n_add + (has_mod ? ft->n_rules : 0) + 1, size = 16, i;

	while (size < 2 * cap)
		size *= 2;
	memset(w, 0, sizeof(*w));
	w->arr = malloc(cap * sizeof(*w->arr));
	w->gone = calloc(cap, sizeof(*w->gone));
	w->deleted = calloc(cap, sizeof(*w->deleted));
	w->copy = calloc(cap, sizeof(*w->copy));
	w->slot = calloc(size, sizeof(*w->slot));
	if (!w->arr || !w->gone || !w->deleted || !w->copy || !w->slot) {
		work_free(w, false);
		return -ENOMEM;
	}
	w->mask = size - 1;
	for (i = 0; i < ft->n_rules; i++) {
		w->arr[i] = ft->rules[i];
		*work_slot(w, w->arr[i]) = i + 1;
	}
	w->n = w->n_old = ft->n_rules;
	return 0;
}

/* Give rule 'j' of the work area the actions of modify 'op': in place when it is not
 * published, else in a copy that takes its place.  @return 0, -EINVAL, -ENOMEM. */
static int
work_modify(struct work *w, size_t j, const struct batch_op *op, char **err)
{
	struct ft_rule *r = w->arr[j], *c;
	struct ft_actions *acts;
	unsigned i;
	int ret;

	ret = ft_mod_check(op->del->acts, r->table_id, err);
	if (ret)
		return ret;
	acts = ft_actions_dup(op->del->acts);
	if (!acts)
		return -ENOMEM;
	if (j >= w->n_old) {
		free(r->acts);
		r->acts = acts;
		return 0;
	}
	c = ft_rule_alloc(r->pool);
	if (!c) {
		free(acts);
		return -ENOMEM;
	}
	/* Everything but the counters is the writer's; PMDs add to those as we read.  (The
	 * pool is the same.) */
	memcpy(c, r, offsetof(struct ft_rule, stats));
	for (i = 0; i < FT_STAT_SLOTS; i++) {
		c->stats[i].packets = __atomic_load_n(&r->stats[i].packets, __ATOMIC_RELAXED);
		c->stats[i].bytes = __atomic_load_n(&r->stats[i].bytes, __ATOMIC_RELAXED);
	}
	c->acts = acts;
	w->gone[j] = true;
	w->copy[w->n] = true;
	w->arr[w->n++] = c;
	*work_slot(w, c) = w->n;
	return 0;
}

/* Replay the batch's changes in order on the work area.  @return 0, or -EINVAL/-ENOMEM
 * with '*err' (a modify refused for a rule it selects). */
static int
work_apply(struct work *w, const struct flowtab_batch *b, uint64_t now, char **err)
{
	size_t i, j, n, *slot;
	int ret;

	for (i = 0; i < b->n; i++) {
		const struct batch_op *op = &b->ops[i];

		if (op->add) {
			op->add->created_ms = now;
			op->add->used_ms = now;
			slot = work_slot(w, op->add);
			if (*slot)
				w->gone[*slot - 1] = true;      /* an identical rule is replaced */
			w->arr[w->n++] = op->add;
			*slot = w->n;
			continue;
		}
		if (op->group_ids) {
			/* As OpenFlow says: the rules that use a deleted group go with it. */
			for (j = 0; j < w->n; j++)
				if (!w->gone[j] && uses_groups(w->arr[j], op->group_ids,
							op->n_group_ids))
					w->gone[j] = w->deleted[j] = true;
			continue;
		}
		for (j = 0, n = w->n; j < n; j++) {
			if (w->gone[j] || !ft_rule_selects(op->del, w->arr[j], op->strict))
				continue;
			if (op->mod) {
				ret = work_modify(w, j, op, err);
				if (ret)
					return ret;
				continue;
			}
			w->gone[j] = true;
			w->deleted[j] = true;
		}
	}
	return 0;
}

/*
 * The batch's rules 'r' (its adds, the copies its modifies made) name groups and meters of
 * the tables the commit publishes (the batch's group table is the writer's by now): a group
 * or meter deleted outside the batch after a rule naming it came fails the commit, as in
 * Open vSwitch, rather than install a rule that drops everything at that action.
 */
static int
check_gm_refs(const struct flowtab *ft, struct ft_rule *const *r, size_t n, char **err)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ft_gm_check_actions(ft, r[i]->acts, err))
			return -EINVAL;
	return 0;
}

/*
 * Adds only: merged as flowtab_add_flows() merges, so that only the subtables of their masks
 * are rebuilt (a controller's rule-by-rule set-up commits a few rules at a time into a
 * table of many).
 */
static int
commit_adds(struct flowtab_batch *b, uint64_t now, char **err)
{
	struct ft_rule **add = malloc((b->n + 1) * sizeof(*add));
	size_t i;
	int ret;

	if (!add) {
		*err = strdup("out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < b->n; i++) {
		add[i] = b->ops[i].add;
		add[i]->created_ms = now;
		add[i]->used_ms = now;
	}
	ret = check_gm_refs(b->ft, add, b->n, err);
	if (ret) {
		free(add);
		return ret;
	}
	ret = ft_install(b->ft, add, b->n, err);
	free(add);
	if (!ret)
		b->committed = true;
	return ret;
}

static int
commit_rules(struct flowtab_batch *b, char **err)
{
	struct flowtab *ft = b->ft;
	uint64_t now = ft->clock(ft->clock_aux);
	struct ft_rule **live, **dead;
	size_t n_live = 0, n_dead = 0, i;
	struct work w;
	int ret;

	/* Adds only (or none, with group changes: the same rules published with them). */
	if (!b->committed && !b->has_mod && !b->has_del)
		return b->n || b->gw.t ? commit_adds(b, now, err) : 0;
	if (b->committed || work_init(&w, ft, b->n_add, b->has_mod))
		goto nomem;
	ret = work_apply(&w, b, now, err);
	for (i = w.n_old; i < w.n && !ret; i++)
		if (!w.gone[i])
			ret = check_gm_refs(ft, &w.arr[i], 1, err);
	if (ret) {
		work_free(&w, true);
		if (ret == -ENOMEM)
			goto nomem;
		return ret;
	}
	live = malloc((w.n + 1) * sizeof(*live));
	dead = malloc((w.n + 1) * sizeof(*dead));
	if (!live || !dead) {
		free(live);
		free(dead);
		work_free(&w, true);
		goto nomem;
	}
	for (i = 0; i < w.n; i++) {
		if (!w.gone[i])
			live[n_live++] = w.arr[i];
		else
			dead[n_dead++] = w.arr[i];
	}
	for (i = 0; i < w.n_old; i++)
		if (w.deleted[i])
			ft_tell_removed(ft, w.arr[i], now, FLOWTAB_REMOVED_DELETE);
	ret = ft_commit(ft, live, n_live, dead, n_dead, NULL, 0, true);
	ft_index_rebuild(ft);
	if (ret) {
		free(dead);
		work_free(&w, true);
		goto nomem;
	}
	/* ft_commit() frees the dead after a grace period; the rest are the table's. */
	b->committed = true;
	free(dead);
	work_free(&w, false);
	return 0;
nomem:
	*err = strdup("out of memory building the classifier");
	return -ENOMEM;
}

int
flowtab_batch_commit(struct flowtab_batch *b, char **err)
{
	bool groups = b->gw.t != NULL && !b->committed;
	struct ft_gtab *old = NULL;
	int ret;

	*err = NULL;
	/* The batch's group table becomes the writer's before the snapshot is built, so that
	 * the snapshot carries it (publish() in flowtab.c). */
	if (groups && ft_gwork_begin_publish(b->ft, &b->gw, &old, err))
		return -EINVAL;
	ret = commit_rules(b, err);
	if (groups && ret) {
		ft_gwork_abort_publish(b->ft, &b->gw, old);
	} else if (groups) {
		ft_wait_readers(b->ft);
		ft_gwork_finish(b->ft, &b->gw, old);
	}
	return ret;
}

int
flowtab_apply_changes(struct flowtab *ft, const struct flowtab_change *ch, size_t n,
		size_t *failed, char **err)
{
	struct flowtab_batch *b = flowtab_batch_create(ft);
	size_t i;
	int ret = 0;

	*err = NULL;
	*failed = 0;
	if (!b) {
		*err = strdup("out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < n && !ret; i++) {
		if (ch[i].op == FLOWTAB_CHANGE_ADD)
			ret = flowtab_batch_add(b, ch[i].text, err);
		else if (ch[i].op == FLOWTAB_CHANGE_MOD || ch[i].op == FLOWTAB_CHANGE_MOD_STRICT)
			ret = flowtab_batch_mod(b, ch[i].text, ch[i].op == FLOWTAB_CHANGE_MOD_STRICT,
					err);
		else
			ret = flowtab_batch_del(b, ch[i].text, ch[i].op == FLOWTAB_CHANGE_DEL_STRICT,
					err);
		if (ret)
			*failed = i;
	}
	if (ret == -ENOMEM && !*err)
		*err = strdup("out of memory");
	if (!ret)
		ret = flowtab_batch_commit(b, err);
	flowtab_batch_destroy(b);
	return ret;
}
