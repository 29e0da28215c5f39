/* SPDX-License-Identifier: BSD-3-Clause */
/* The OpenFlow table of a bridge: create, add, replace, publish (main thread). */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_rcu_qsbr.h>

#include "ft_gm.h"
#include "ft_private.h"
#include "ft_value.h"
#include "rcu.h"

static uint64_t
default_clock(void *aux)
{
	struct timespec ts;

	(void)aux;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct flowtab *
flowtab_create(const char *bridge, const struct flowtab_port_ops *ports, struct rte_rcu_qsbr *qsbr)
{
	struct flowtab *ft = calloc(1, sizeof(*ft));

	if (!ft)
		return NULL;
	ft->bridge = strdup(bridge ? bridge : "");
	if (ports)
		ft->ports = *ports;
	ft->qsbr = qsbr;
	ft->clock = default_clock;
	ft->rule_pool = ft_pool_create(sizeof(struct ft_rule));
	ft->snap = ft_snap_build(NULL, 0, NULL, NULL, 0, true);
	if (qsbr) {
		char *err = NULL;

		ft->defer = rcu_defer_create(qsbr, &err);
		free(err);
	}
	if (!ft->bridge || !ft->snap || !ft->rule_pool || (qsbr && !ft->defer)) {
		free(ft->bridge);
		ft_snap_free(ft->snap);
		ft_pool_unref(ft->rule_pool);
		if (ft->defer)
			rcu_defer_destroy(ft->defer);
		free(ft);
		return NULL;
	}
	return ft;
}

struct ft_rule *
ft_rule_alloc(struct ft_pool *pool)
{
	struct ft_rule *r = ft_pool_zalloc(pool);

	if (r)
		r->pool = pool;
	return r;
}

void
ft_rule_free(struct ft_rule *r)
{
	if (!r)
		return;
	free(r->acts);
	ft_pool_free(r->pool, r);
}

void
flowtab_destroy(struct flowtab *ft)
{
	size_t i;

	if (!ft)
		return;
	/* What earlier commits retired first: it may share subtables with the snapshot. */
	if (ft->defer)
		rcu_defer_destroy(ft->defer);
	for (i = 0; i < ft->n_rules; i++)
		ft_rule_free(ft->rules[i]);
	free(ft->rules);
	free(ft->ix);
	ft_snap_free(ft->snap);
	ft_gm_free(ft->gm);
	ft_pool_unref(ft->rule_pool);
	free(ft->bridge);
	free(ft);
}

void
flowtab_set_clock(struct flowtab *ft, uint64_t (*now_ms)(void *aux), void *aux)
{
	ft->clock = now_ms ? now_ms : default_clock;
	ft->clock_aux = aux;
}

bool
flowtab_lends(const struct flowtab *ft)
{
	return !ft->snap->needs_own;
}

size_t
flowtab_n_rules(const struct flowtab *ft)
{
	return ft->n_rules;
}

/* "ORIGIN:LINE: MSG", taking ownership of 'msg'. */
static char *
located(const char *origin, int line, char *msg)
{
	char *s = NULL;
	int r;

	if (!msg)
		return NULL;
	if (origin && line > 0)
		r = asprintf(&s, "%s:%d: %s", origin, line, msg);
	else if (origin)
		r = asprintf(&s, "%s: %s", origin, msg);
	else if (line > 0)
		r = asprintf(&s, "line %d: %s", line, msg);
	else
		return msg;
	free(msg);
	return r < 0 ? NULL : s;
}

uint32_t
ft_rule_identity_hash(const struct ft_rule *r)
{
	uint64_t h = r->priority | (uint64_t)r->table_id << 32;
	unsigned i;

	for (i = 0; i < FT_KEY_WORDS; i++) {
		h = ft_crc32_u64(h, r->match.key.w[i]);
		h = ft_crc32_u64(h, r->match.mask.w[i]);
	}
	return (uint32_t)h;
}

bool
ft_rule_same_identity(const struct ft_rule *a, const struct ft_rule *b)
{
	return a->ident_hash == b->ident_hash && a->table_id == b->table_id && a->priority == b->priority &&
	       ft_match_equal(&a->match, &b->match);
}

struct ft_rule *
ft_rule_new(struct flowtab *ft, struct ft_rule_spec *spec, uint64_t now, uint64_t seq)
{
	struct ft_rule *r = ft_rule_alloc(ft->rule_pool);

	if (!r)
		return NULL;
	r->match = spec->match;
	r->priority = spec->priority;
	r->table_id = (uint8_t)(spec->table_id < 0 ? 0 : spec->table_id);
	r->idle_timeout = spec->idle_timeout;
	r->hard_timeout = spec->hard_timeout;
	r->send_flow_rem = spec->send_flow_rem;
	r->cookie = spec->cookie;
	r->seq = seq;
	r->created_ms = now;
	r->used_ms = now;
	r->acts = spec->acts;
	spec->acts = NULL;
	r->ident_hash = ft_rule_identity_hash(r);
	r->mask_hash = ft_mask_hash(r->table_id, &r->match.mask);
	return r;
}

int
ft_rule_from_text(struct flowtab *ft, const char *text, uint64_t now, uint64_t seq,
		struct ft_rule **out, char **msg)
{
	return ft_rule_from_text_in(ft, ft->gm ? ft->gm->groups : NULL, text, now, seq, out,
			msg);
}

/* The checks of a parsed add that need the table, then the rule. */
static int
rule_from_spec(struct flowtab *ft, const struct ft_gtab *gt, struct ft_rule_spec *spec,
		uint64_t now, uint64_t seq, struct ft_rule **out, char **msg)
{
	/* Groups and meters the actions name must exist. */
	if (ft_gm_check_actions_in(ft, gt, spec->acts, msg) < 0) {
		ft_rule_spec_clear(spec);
		return -EINVAL;
	}
	*out = ft_rule_new(ft, spec, now, seq);
	if (!*out) {
		ft_rule_spec_clear(spec);
		*msg = strdup("out of memory");
		return -ENOMEM;
	}
	return 0;
}

int
ft_rule_from_text_in(struct flowtab *ft, const struct ft_gtab *gt, const char *text,
		uint64_t now, uint64_t seq, struct ft_rule **out, char **msg)
{
	struct ft_rule_spec spec;

	*msg = NULL;
	if (ft_rule_parse(text, FT_PARSE_ADD, &ft->ports, &spec, msg) < 0)
		return -EINVAL;
	return rule_from_spec(ft, gt, &spec, now, seq, out, msg);
}

int
ft_rule_from_in(struct flowtab *ft, const struct ft_gtab *gt, const struct flowtab_rule_in *in,
		uint64_t now, uint64_t seq, struct ft_rule **out, char **msg)
{
	struct ft_rule_spec spec;
	int ret = ft_rule_spec_from_in(in, &ft->ports, &spec, msg);

	if (ret < 0)
		return ret;
	return rule_from_spec(ft, gt, &spec, now, seq, out, msg);
}

/* Parse 'n' rule texts into new (unpublished) rules. */
static int
parse_rules(struct flowtab *ft, const char *const *texts, const int *lines, size_t n,
		const char *origin, struct ft_rule ***out, char **err)
{
	struct ft_rule **rules = calloc(n ? n : 1, sizeof(*rules));
	uint64_t now = ft->clock(ft->clock_aux);
	char *msg = NULL;
	size_t i;

	if (!rules)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (ft_rule_from_text(ft, texts[i], now, ft->next_seq + i, &rules[i], &msg))
			goto fail;
	ft->next_seq += n;
	*out = rules;
	return 0;
fail:
	*err = located(origin, lines ? lines[i] : (int)i + 1, msg);
	while (i--)
		ft_rule_free(rules[i]);
	free(rules);
	return -EINVAL;
}

/* An index of rules by identity (table, priority, match): positions + 1 in an array. */
struct rule_index {
	size_t *slot;
	size_t mask;
};

static int
index_init(struct rule_index *ix, size_t n)
{
	size_t size = 16;

	while (size < 2 * n)
		size *= 2;
	ix->slot = calloc(size, sizeof(*ix->slot));
	ix->mask = size - 1;
	return ix->slot ? 0 : -ENOMEM;
}

/* Slot holding a rule like 'r' in 'arr', or the empty slot where it would go. */
static size_t *
index_find(struct rule_index *ix, struct ft_rule *const *arr, const struct ft_rule *r)
{
	size_t i = r->ident_hash & ix->mask;

	while (ix->slot[i] && !ft_rule_same_identity(arr[ix->slot[i] - 1], r))
		i = (i + 1) & ix->mask;
	return &ix->slot[i];
}

/* The persistent identity index: slot of a rule like 'r', or the empty slot for it. */
static struct ft_rule **
ix_slot(struct flowtab *ft, const struct ft_rule *r)
{
	size_t i = r->ident_hash & ft->ix_mask;

	while (ft->ix[i] && !ft_rule_same_identity(ft->ix[i], r))
		i = (i + 1) & ft->ix_mask;
	return &ft->ix[i];
}

/* Size the index for at least 'n' rules (load <= 1/2) and fill it from 'ft->rules'. */
static int
ix_build(struct flowtab *ft, size_t n)
{
	size_t size = 16, i;

	free(ft->ix);
	ft->ix = NULL;
	if (n < ft->n_rules)
		n = ft->n_rules;
	while (size < 2 * n)
		size *= 2;
	ft->ix = calloc(size, sizeof(*ft->ix));
	if (!ft->ix)
		return -ENOMEM;
	ft->ix_mask = size - 1;
	for (i = 0; i < ft->n_rules; i++) {
		ft->rules[i]->pos = i;
		*ix_slot(ft, ft->rules[i]) = ft->rules[i];
	}
	return 0;
}

void
ft_index_rebuild(struct flowtab *ft)
{
	ix_build(ft, ft->n_rules);
}

void
ft_index_remove(struct flowtab *ft, const struct ft_rule *r)
{
	struct ft_rule **s;
	size_t i, j, k;

	if (!ft->ix)
		return;
	s = ix_slot(ft, r);
	if (!*s)
		return;
	/* Backward-shift deletion keeps every probe chain unbroken. */
	i = (size_t)(s - ft->ix);
	ft->ix[i] = NULL;
	for (j = (i + 1) & ft->ix_mask; ft->ix[j]; j = (j + 1) & ft->ix_mask) {
		k = ft->ix[j]->ident_hash & ft->ix_mask;
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		ft->ix[i] = ft->ix[j];
		ft->ix[j] = NULL;
		i = j;
	}
}

void
ft_wait_readers(struct flowtab *ft)
{
	if (ft->qsbr)
		rcu_synchronize(ft->qsbr);
}

/* A snapshot and the rules only it still shows, freed together once no reader can see them. */
struct retired {
	struct ft_snap *snap;
	size_t n_dead;
	struct ft_rule *dead[];
};

static void
retired_free(void *p)
{
	struct retired *r = p;

	ft_snap_free(r->snap);
	for (size_t i = 0; i < r->n_dead; i++)
		ft_rule_free(r->dead[i]);
	free(r);
}

/* Make 'snap' (built, NULL when that failed) and 'arr' the table; retire the old snapshot
 * and 'dead' (ft_commit()). */
static int
publish(struct flowtab *ft, struct ft_snap *snap, struct ft_rule **arr, size_t n,
		struct ft_rule **dead, size_t n_dead)
{
	struct retired *r = NULL;
	struct ft_snap *old;
	size_t i;

	if (!snap) {
		free(arr);
		return -ENOMEM;
	}
	free(ft->rules);
	ft->rules = arr;
	ft->n_rules = n;
	ft->cap_rules = n;
	old = ft->snap;
	snap->groups = ft->gm ? ft->gm->groups : NULL;
	__atomic_store_n(&ft->snap, snap, __ATOMIC_RELEASE);
	/* Freed after a grace period without waiting for it: a controller's stream of
	 * flow_mods waited for a PMD loop each (94% of the main thread in perf/ofsetup). */
	if (ft->defer)
		r = malloc(sizeof(*r) + n_dead * sizeof(r->dead[0]));
	if (r) {
		r->snap = old;
		r->n_dead = n_dead;
		if (n_dead)
			memcpy(r->dead, dead, n_dead * sizeof(r->dead[0]));
		rcu_defer_free(ft->defer, retired_free, r);
		return 0;
	}
	ft_wait_readers(ft);
	ft_snap_free(old);
	for (i = 0; i < n_dead; i++)
		ft_rule_free(dead[i]);
	return 0;
}

int
ft_commit(struct flowtab *ft, struct ft_rule **arr, size_t n, struct ft_rule **dead,
		size_t n_dead, struct ft_rule *const *touched, size_t n_touched, bool rebuild_all)
{
	return publish(ft, ft_snap_build(arr, n, ft->snap, touched, n_touched, rebuild_all), arr,
			n, dead, n_dead);
}

int
ft_prepare_actions(struct flowtab *ft, struct ft_actions *const *acts, size_t n)
{
	struct ft_snap *snap, *old = ft->snap;
	bool l3 = old->full_parse, own = old->needs_own, head = old->writes_head;

	for (size_t i = 0; i < n && !(l3 && own && head); i++) {
		if (acts[i] == NULL)
			continue;
		l3 = l3 || ft_actions_touch_l3(acts[i]);
		own = own || ft_actions_keep(acts[i]);
		head = head || ft_actions_write_head(acts[i]);
	}
	if (l3 == old->full_parse && own == old->needs_own && head == old->writes_head)
		return 0;
	snap = ft_snap_build(ft->rules, ft->n_rules, old, NULL, 0, false);
	if (!snap)
		return -ENOMEM;
	/* not published yet: still ours to change */
	snap->full_parse = l3;
	snap->needs_own = own;
	snap->writes_head = head;
	snap->groups = old->groups;
	__atomic_store_n(&ft->snap, snap, __ATOMIC_RELEASE);
	ft_wait_readers(ft);
	ft_snap_free(old);
	return 0;
}

int
ft_snap_republish(struct flowtab *ft)
{
	struct ft_snap *old = ft->snap, *snap = ft_snap_add_rules(old, NULL, 0, ft->n_rules);

	if (!snap)
		return -ENOMEM;
	snap->groups = ft->gm ? ft->gm->groups : NULL;
	__atomic_store_n(&ft->snap, snap, __ATOMIC_RELEASE);
	ft_wait_readers(ft);
	ft_snap_free(old);
	return 0;
}

int
ft_install(struct flowtab *ft, struct ft_rule **add, size_t n_add, char **err)
{
	size_t n = ft->n_rules, n_dead = 0, i;
	struct ft_rule **arr, **dead, **slot, *old;
	int ret;

	arr = malloc((ft->n_rules + n_add + 1) * sizeof(*arr));
	dead = malloc((n_add + 1) * sizeof(*dead));
	if (!arr || !dead || ((!ft->ix || 2 * (ft->n_rules + n_add) > ft->ix_mask + 1) &&
			      ix_build(ft, ft->n_rules + n_add))) {
		free(arr);
		free(dead);
		*err = strdup("out of memory");
		return -ENOMEM;
	}
	if (ft->n_rules)
		memcpy(arr, ft->rules, ft->n_rules * sizeof(*arr));
	for (i = 0; i < n_add; i++) {
		slot = ix_slot(ft, add[i]);
		old = *slot;
		if (old) {
			dead[n_dead++] = old;
			add[i]->pos = old->pos;
		} else {
			add[i]->pos = n++;
		}
		arr[add[i]->pos] = add[i];
		*slot = add[i];
	}
	/* A few adds to a big table (a controller's, rule by rule): the previous snapshot
	 * added to, instead of a pass over every rule. */
	if (ft->snap && ft->snap->n_rules && 4 * n_add <= n)
		ret = publish(ft, ft_snap_add_rules(ft->snap, add, n_add, n), arr, n, dead, n_dead);
	else
		ret = ft_commit(ft, arr, n, dead, n_dead, add, n_add, false);
	if (ret) {
		/* Nothing was published: the caller frees the new rules; forget them here. */
		*err = strdup("out of memory building the classifier");
		ix_build(ft, ft->n_rules);
	}
	free(dead);
	return ret;
}

int
flowtab_add_flows(struct flowtab *ft, const char *const *texts, const int *lines, size_t n,
		const char *origin, char **err)
{
	struct ft_rule **add;
	size_t i;
	int ret;

	*err = NULL;
	ret = parse_rules(ft, texts, lines, n, origin, &add, err);
	if (ret)
		return ret;
	ret = ft_install(ft, add, n, err);
	if (ret)
		for (i = 0; i < n; i++)
			ft_rule_free(add[i]);
	free(add);
	return ret;
}

int
flowtab_replace_flows(struct flowtab *ft, const char *const *texts, const int *lines, size_t n,
		const char *origin, char **err)
{
	struct ft_rule **add, **arr, **dead, *old;
	struct ft_actions **old_acts;
	struct rule_index ix_new, ix_old;
	bool *kept = NULL;
	size_t n_arr = 0, n_dead = 0, n_acts = 0, i, *slot;
	int ret;

	*err = NULL;
	ret = parse_rules(ft, texts, lines, n, origin, &add, err);
	if (ret)
		return ret;
	arr = malloc((n + 1) * sizeof(*arr));
	dead = malloc((ft->n_rules + n + 1) * sizeof(*dead));
	old_acts = malloc((n + 1) * sizeof(*old_acts));
	kept = calloc(ft->n_rules + 1, sizeof(*kept));
	ix_old.slot = ix_new.slot = NULL;
	if (!arr || !dead || !old_acts || !kept || index_init(&ix_new, n) ||
	    index_init(&ix_old, ft->n_rules)) {
		ret = -ENOMEM;
		goto fail;
	}
	/* The new set, a later duplicate replacing an earlier one. */
	for (i = 0; i < n; i++) {
		slot = index_find(&ix_new, arr, add[i]);
		if (*slot) {
			dead[n_dead++] = arr[*slot - 1];
			arr[*slot - 1] = add[i];
		} else {
			arr[n_arr] = add[i];
			*slot = ++n_arr;
		}
	}
	for (i = 0; i < ft->n_rules; i++)
		*index_find(&ix_old, ft->rules, ft->rules[i]) = i + 1;
	/* Kept rules get their new actions in place: readers must parse for them first. */
	for (i = 0; i < n_arr; i++)
		old_acts[i] = *index_find(&ix_old, ft->rules, arr[i]) ? arr[i]->acts : NULL;
	if (ft_prepare_actions(ft, old_acts, n_arr)) {
		ret = -ENOMEM;
		goto fail;
	}
	/* Keep the old rule (and its counters) where one is identical; swap its actions. */
	for (i = 0; i < n_arr; i++) {
		slot = index_find(&ix_old, ft->rules, arr[i]);
		if (!*slot)
			continue;
		old = ft->rules[*slot - 1];
		kept[*slot - 1] = true;
		old->cookie = arr[i]->cookie;
		old->idle_timeout = arr[i]->idle_timeout;
		old->hard_timeout = arr[i]->hard_timeout;
		old->send_flow_rem = arr[i]->send_flow_rem;
		if (!ft_actions_equal(old->acts, arr[i]->acts)) {
			old_acts[n_acts++] = old->acts;
			__atomic_store_n(&old->acts, arr[i]->acts, __ATOMIC_RELEASE);
			arr[i]->acts = NULL;
		}
		dead[n_dead++] = arr[i];
		arr[i] = old;
	}
	/* Old rules not kept die; those that asked hear of it as of a delete. */
	for (i = 0; i < ft->n_rules; i++) {
		if (kept[i])
			continue;
		ft_tell_removed(ft, ft->rules[i], ft->clock(ft->clock_aux), FLOWTAB_REMOVED_DELETE);
		dead[n_dead++] = ft->rules[i];
	}
	free(kept);
	free(ix_new.slot);
	free(ix_old.slot);
	free(add);
	ret = ft_commit(ft, arr, n_arr, dead, n_dead, NULL, 0, true);
	ix_build(ft, ft->n_rules);
	if (n_acts)
		ft_wait_readers(ft);   /* the swapped action lists: ft_commit() does not wait */
	for (i = 0; i < n_acts; i++)
		free(old_acts[i]);
	free(old_acts);
	free(dead);
	if (ret)
		*err = strdup("out of memory building the classifier");
	return ret;
fail:
	free(kept);
	free(ix_new.slot);
	free(ix_old.slot);
	free(arr);
	free(dead);
	free(old_acts);
	for (i = 0; i < n; i++)
		ft_rule_free(add[i]);
	free(add);
	*err = strdup("out of memory");
	return ret;
}
