/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The group table (flowtab_gm.h): add, modify, delete and dump groups on the main thread,
 * port liveness, the bucket choice the datapath makes, and the dumps (the text parser is
 * ft_group_parse.c).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ft_gm.h"
#include "ft_hash.h"
#include "ft_private.h"
#include "ft_value.h"
#include "ft_view.h"

struct ft_gm *
ft_gm_get(struct flowtab *ft)
{
	if (ft->gm == NULL)
		ft->gm = ft_zalloc(sizeof(*ft->gm));
	return ft->gm;
}

void
ft_group_free(struct ft_group *g)
{
	uint32_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->n_buckets; i++)
		free(g->b[i].acts);
	free(g);
}

void
ft_gm_free(struct ft_gm *gm)
{
	uint32_t i;

	if (gm == NULL)
		return;
	for (i = 0; gm->groups && i < gm->groups->n; i++)
		ft_group_free(gm->groups->g[i]);
	free(gm->groups);
	for (i = 0; gm->meters && i < gm->meters->n; i++)
		free(gm->meters->m[i]);
	free(gm->meters);
	free(gm);
}

void
flowtab_set_port_live(struct flowtab *ft, uint32_t ofport, bool live)
{
	struct ft_gm *gm = ft_gm_get(ft);
	uint64_t bit = 1ull << (ofport % 64);

	if (gm == NULL || ofport >= FT_LIVE_WORDS * 64)
		return;
	if (live)
		__atomic_fetch_or(&gm->live[ofport / 64], bit, __ATOMIC_RELAXED);
	else
		__atomic_fetch_and(&gm->live[ofport / 64], ~bit, __ATOMIC_RELAXED);
}

void
flowtab_set_live_ports(struct flowtab *ft, const uint32_t *ports, unsigned n)
{
	struct ft_gm *gm = ft_gm_get(ft);
	uint64_t *want;
	unsigned i;

	want = calloc(FT_LIVE_WORDS, sizeof(*want));
	if (gm == NULL || want == NULL) {
		free(want);
		return;
	}
	for (i = 0; i < n; i++)
		if (ports[i] < FT_LIVE_WORDS * 64)
			want[ports[i] / 64] |= 1ull << (ports[i] % 64);
	for (i = 0; i < FT_LIVE_WORDS; i++)
		if (__atomic_load_n(&gm->live[i], __ATOMIC_RELAXED) != want[i])
			__atomic_store_n(&gm->live[i], want[i], __ATOMIC_RELAXED);
	free(want);
}

bool
ft_actions_use_group(const struct ft_actions *a, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < a->n; i++)
		if (a->a[i].type == FT_ACT_GROUP && (id == FLOWTAB_GROUP_ALL || a->a[i].u32 == id))
			return true;
	return false;
}

bool
ft_actions_use_meter(const struct ft_actions *a, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < a->n; i++)
		if (a->a[i].type == FT_ACT_METER && a->a[i].u32 == id)
			return true;
	return false;
}

int
ft_gm_check_actions(const struct flowtab *ft, const struct ft_actions *a, char **err)
{
	return ft_gm_check_actions_in(ft, ft->gm ? ft->gm->groups : NULL, a, err);
}

int
ft_gm_check_actions_in(const struct flowtab *ft, const struct ft_gtab *gt,
		const struct ft_actions *a, char **err)
{
	const struct ft_mtab *mt = ft->gm ? ft->gm->meters : NULL;
	uint32_t i;

	for (i = 0; i < a->n; i++) {
		if (a->a[i].type == FT_ACT_GROUP && !ft_gtab_find(gt, a->a[i].u32)) {
			*err = ft_field_error("actions", "group %u does not exist", a->a[i].u32);
			return -EINVAL;
		}
		if (a->a[i].type == FT_ACT_METER && !ft_mtab_find(mt, a->a[i].u32)) {
			*err = ft_field_error("actions", "meter %u does not exist", a->a[i].u32);
			return -EINVAL;
		}
	}
	return 0;
}

static bool
rule_uses_group(const struct ft_rule *r, void *aux)
{
	const struct ft_gtab *gone = aux;
	uint32_t i;

	for (i = 0; i < r->acts->n; i++)
		if (r->acts->a[i].type == FT_ACT_GROUP && ft_gtab_find(gone, r->acts->a[i].u32))
			return true;
	return false;
}

/* --- the datapath's choice --- */

static bool
bucket_watch_live(const struct ft_gm *gm, const struct ft_bucket *b)
{
	if (b->watch_port == FLOWTAB_PORT_NONE && b->watch_group == FLOWTAB_GROUP_ANY)
		return true;
	return b->watch_port != FLOWTAB_PORT_NONE && ft_port_live(gm, b->watch_port);
}

bool
ft_bucket_live(const struct ft_gm *gm, const struct ft_gtab *t, const struct ft_bucket *b)
{
	const struct ft_group *w;
	uint32_t i;

	if (bucket_watch_live(gm, b))
		return true;
	if (b->watch_group == FLOWTAB_GROUP_ANY)
		return false;
	w = ft_gtab_find(t, b->watch_group);
	for (i = 0; w && i < w->n_buckets; i++)
		if (bucket_watch_live(gm, &w->b[i]))
			return true;
	return false;
}

const struct ft_bucket *
ft_group_pick(const struct ft_gm *gm, const struct ft_gtab *t, const struct ft_group *g,
		uint32_t hash)
{
	const struct ft_bucket *best = NULL;
	uint64_t best_score = 0, score;
	uint32_t i;

	switch (g->type) {
	case FLOWTAB_GROUP_TYPE_INDIRECT:
		return g->n_buckets ? &g->b[0] : NULL;
	case FLOWTAB_GROUP_TYPE_FF:
		for (i = 0; i < g->n_buckets; i++)
			if (ft_bucket_live(gm, t, &g->b[i]))
				return &g->b[i];
		return NULL;
	case FLOWTAB_GROUP_TYPE_SELECT:
		/*
		 * Highest random weight: each bucket scores the flow independently of the
		 * others, so a bucket going away moves only its own flows.
		 */
		for (i = 0; i < g->n_buckets; i++) {
			if (g->b[i].weight == 0 || !ft_bucket_live(gm, t, &g->b[i]))
				continue;
			score = ((uint64_t)(ft_crc32_u64(hash, i + 1) & 0xffff) + 1) * g->b[i].weight;
			if (best == NULL || score > best_score) {
				best = &g->b[i];
				best_score = score;
			}
		}
		return best;
	default:
		return NULL;
	}
}

/* --- changes --- */

char *
ft_group_error(uint32_t id, const char *fmt, const char *arg)
{
	char *s = NULL;

	if (asprintf(&s, "group %u: %s%s", id, fmt, arg ? arg : "") < 0)
		return NULL;
	return s;
}

int
ft_gm_refuse(enum flowtab_gm_error *why, enum flowtab_gm_error w, char **err, char *msg)
{
	*why = w;
	*err = msg;
	return -EINVAL;
}

/* Build a group from 'spec'; NULL with '*why'/'*err' when its buckets are bad. */
struct ft_group *
ft_group_build(struct flowtab *ft, const struct flowtab_group_spec *spec, enum flowtab_gm_error *why,
		char **err)
{
	struct ft_group *g;
	char *perr = NULL;
	unsigned i;

	g = calloc(1, sizeof(*g) + spec->n_buckets * sizeof(g->b[0]));
	if (g == NULL) {
		*why = FLOWTAB_GM_OK;
		return NULL;
	}
	g->id = spec->group_id;
	g->type = spec->type;
	g->n_buckets = spec->n_buckets;
	g->created_ms = ft->clock(ft->clock_aux);
	g->born = true;
	for (i = 0; i < spec->n_buckets; i++) {
		const struct flowtab_bucket_spec *bs = &spec->buckets[i];
		const char *text = bs->actions && *bs->actions ? bs->actions : "drop";

		g->b[i].bucket_id = spec->bucket_ids ? bs->bucket_id : i;
		g->b[i].weight = bs->weight;
		g->b[i].watch_port = bs->watch_port;
		g->b[i].watch_group = bs->watch_group;
		g->b[i].acts = ft_actions_parse(text, &ft->ports, &perr);
		if (g->b[i].acts == NULL) {
			ft_gm_refuse(why, FLOWTAB_GM_BAD_BUCKET, err, ft_group_error(g->id, "bucket ", perr));
			free(perr);
			ft_group_free(g);
			return NULL;
		}
		for (uint32_t j = 0; j < g->b[i].acts->n; j++) {
			uint8_t t = g->b[i].acts->a[j].type;

			if (t == FT_ACT_GOTO_TABLE || t == FT_ACT_METER) {
				ft_gm_refuse(why, FLOWTAB_GM_BAD_BUCKET, err, ft_group_error(g->id,
					"a bucket may not hold goto_table or meter", NULL));
				ft_group_free(g);
				return NULL;
			}
		}
	}
	return g;
}

enum { CHAIN_NEW, CHAIN_ON_PATH, CHAIN_DONE };

/* A group on the walk's path, and where the walk is in its buckets' actions. */
struct chain_frame {
	uint32_t g;
	uint32_t b;
	uint32_t a;
};

/* Per group of the table (by index): its colour and, once done, its chain depth. */
struct chain_walk {
	const struct ft_gtab *t;
	uint8_t *colour;
	uint8_t *depth;             /* saturated at FLOWTAB_GROUP_MAX_CHAIN + 1 */
	struct chain_frame *path;   /* one frame per group at most: a group is on it once */
};

/* Group 'parent' chains to a group of depth 'child'. */
static void
chain_deepen(struct chain_walk *w, uint32_t parent, uint8_t child)
{
	uint8_t d = child > FLOWTAB_GROUP_MAX_CHAIN ? child : (uint8_t)(child + 1);

	if (d > w->depth[parent])
		w->depth[parent] = d;
}

/*
 * The depth of the chain from group 'root' (1: no group actions), saturated at
 * FLOWTAB_GROUP_MAX_CHAIN + 1, or -ELOOP/-ENOENT.  Depth first: a group met again while it
 * is on the path is a loop; a group done before gives its depth without a second walk, so
 * checking every group of the table is linear in groups and group actions.  Iterative, as
 * a path may be as long as the table.
 */
static int
chain_walk(struct chain_walk *w, uint32_t root)
{
	const struct ft_gtab *t = w->t;
	uint32_t top = 0;
	int64_t n;

	if (w->colour[root] == CHAIN_DONE)
		return w->depth[root];
	w->path[0] = (struct chain_frame){ .g = root };
	w->colour[root] = CHAIN_ON_PATH;
	w->depth[root] = 1;
	for (;;) {
		struct chain_frame *f = &w->path[top];
		const struct ft_group *g = t->g[f->g];
		const struct ft_action *a;

		if (f->b == g->n_buckets) {
			w->colour[f->g] = CHAIN_DONE;
			if (top == 0)
				return w->depth[f->g];
			top--;
			chain_deepen(w, w->path[top].g, w->depth[f->g]);
			continue;
		}
		if (f->a == g->b[f->b].acts->n) {
			f->b++;
			f->a = 0;
			continue;
		}
		a = &g->b[f->b].acts->a[f->a++];
		if (a->type != FT_ACT_GROUP)
			continue;
		n = ft_gtab_index(t, a->u32);
		if (n < 0)
			return -ENOENT;
		if (w->colour[n] == CHAIN_ON_PATH)
			return -ELOOP;
		if (w->colour[n] == CHAIN_DONE) {
			chain_deepen(w, f->g, w->depth[n]);
			continue;
		}
		w->colour[n] = CHAIN_ON_PATH;
		w->depth[n] = 1;
		w->path[++top] = (struct chain_frame){ .g = (uint32_t)n };
	}
}

/* Group 'g' of 't': its watch_groups exist and its chain is within the limit, without loops. */
static int
gtab_check_one(const struct ft_gtab *t, struct chain_walk *w, uint32_t i,
		enum flowtab_gm_error *why, char **err)
{
	const struct ft_group *g = t->g[i];
	uint32_t k;
	int d;

	for (k = 0; k < g->n_buckets; k++) {
		if (g->b[k].watch_group != FLOWTAB_GROUP_ANY &&
		    ft_gtab_find(t, g->b[k].watch_group) == NULL)
			return ft_gm_refuse(why, FLOWTAB_GM_BAD_WATCH, err,
				ft_group_error(g->id, "watch_group names no group", NULL));
	}
	d = chain_walk(w, i);
	if (d == -ELOOP)
		return ft_gm_refuse(why, FLOWTAB_GM_LOOP, err,
			ft_group_error(g->id, "its buckets lead back to it (loop)", NULL));
	if (d == -ENOENT)
		return ft_gm_refuse(why, FLOWTAB_GM_UNKNOWN_GROUP, err,
			ft_group_error(g->id, "a bucket names a group that does not exist", NULL));
	if (d > FLOWTAB_GROUP_MAX_CHAIN)
		return ft_gm_refuse(why, FLOWTAB_GM_CHAINING, err,
			ft_group_error(g->id, "groups chained deeper than 4", NULL));
	return 0;
}

/* Every group of 't' chains within the limit, without loops, to groups that exist. */
int
ft_gtab_check(const struct ft_gtab *t, enum flowtab_gm_error *why, char **err)
{
	struct chain_walk w = { .t = t };
	uint32_t i;
	int rc = 0;

	if (t == NULL || t->n == 0)
		return 0;
	w.colour = calloc(t->n, 2);
	w.path = malloc(t->n * sizeof(w.path[0]));
	if (w.colour == NULL || w.path == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	w.depth = w.colour + t->n;
	for (i = 0; i < t->n && rc == 0; i++)
		rc = gtab_check_one(t, &w, i, why, err);
out:
	free(w.colour);
	free(w.path);
	return rc;
}

/*
 * Publish 'next' as the group table (with the rules, in a new snapshot), wait for the
 * readers, free the old one and 'dead'.  -ENOMEM: nothing changed, 'next' still the
 * caller's.
 */
static int
gtab_publish(struct flowtab *ft, struct ft_gtab *next, struct ft_group *const *dead, size_t n_dead)
{
	struct ft_gtab *old = ft->gm->groups;
	size_t i;

	ft->gm->groups = next;
	if (ft_snap_republish(ft)) {
		ft->gm->groups = old;
		return -ENOMEM;
	}
	ft->gm->groups_gen++;
	for (i = 0; i < next->n; i++)
		next->g[i]->born = false;
	for (i = 0; i < n_dead; i++)
		ft_group_free(dead[i]);
	free(old);
	return 0;
}

/* Given bucket ids are numbers, each once. */
int
ft_group_check_ids(const struct flowtab_group_spec *spec, enum flowtab_gm_error *why, char **err)
{
	unsigned i, j;

	for (i = 0; spec->bucket_ids && i < spec->n_buckets; i++) {
		if (spec->buckets[i].bucket_id > FLOWTAB_BUCKET_MAX)
			return ft_gm_refuse(why, FLOWTAB_GM_BAD_BUCKET, err, ft_group_error(spec->group_id,
				"a bucket id above 0xffffff00", NULL));
		for (j = 0; j < i; j++)
			if (spec->buckets[j].bucket_id == spec->buckets[i].bucket_id)
				return ft_gm_refuse(why, FLOWTAB_GM_BAD_BUCKET, err, ft_group_error(
					spec->group_id, "a bucket id given twice", NULL));
	}
	return 0;
}

int
ft_group_spec_check(const struct flowtab_group_spec *spec, enum flowtab_gm_error *why, char **err)
{
	unsigned i;

	if (spec->group_id > FLOWTAB_GROUP_MAX_ID)
		return ft_gm_refuse(why, FLOWTAB_GM_INVALID, err,
			ft_group_error(spec->group_id, "not a group number", NULL));
	if (spec->type > FLOWTAB_GROUP_TYPE_FF)
		return ft_gm_refuse(why, FLOWTAB_GM_BAD_TYPE, err,
			ft_group_error(spec->group_id, "unknown type", NULL));
	if (spec->n_buckets > FLOWTAB_GROUP_MAX_BUCKETS)
		return ft_gm_refuse(why, FLOWTAB_GM_OUT_OF_BUCKETS, err,
			ft_group_error(spec->group_id, "more than 32 buckets", NULL));
	if (spec->type == FLOWTAB_GROUP_TYPE_INDIRECT && spec->n_buckets != 1)
		return ft_gm_refuse(why, FLOWTAB_GM_INVALID, err,
			ft_group_error(spec->group_id, "an indirect group has exactly one bucket", NULL));
	for (i = 0; i < spec->n_buckets; i++)
		if (spec->type != FLOWTAB_GROUP_TYPE_SELECT && spec->buckets[i].weight != 0)
			return ft_gm_refuse(why, FLOWTAB_GM_WEIGHT, err, ft_group_error(spec->group_id,
				"only select groups weigh their buckets", NULL));
	return ft_group_check_ids(spec, why, err);
}

int
ft_gtab_put(const struct ft_gtab *t, struct ft_group *g, const struct ft_group *old,
		struct ft_gtab **out, enum flowtab_gm_error *why, char **err)
{
	uint32_t i, n = t ? t->n : 0, pos;
	struct ft_gtab *next;
	int rc;

	next = malloc(sizeof(*next) + (n + 1) * sizeof(next->g[0]));
	if (next == NULL) {
		ft_group_free(g);
		return -ENOMEM;
	}
	for (pos = 0; pos < n && t->g[pos]->id < g->id; pos++)
		;
	for (i = 0; i < pos; i++)
		next->g[i] = t->g[i];
	next->g[pos] = g;
	for (i = pos + (old ? 1 : 0); i < n; i++)
		next->g[i + (old ? 0 : 1)] = t->g[i];
	next->n = n + (old ? 0 : 1);
	rc = ft_gtab_check(next, why, err);
	if (rc) {
		free(next);
		ft_group_free(g);
		return rc;
	}
	*out = next;
	return 0;
}

void
ft_group_carry(struct ft_group *g, const struct ft_group *old)
{
	g->packets = __atomic_load_n(&old->packets, __ATOMIC_RELAXED);
	g->bytes = __atomic_load_n(&old->bytes, __ATOMIC_RELAXED);
	g->created_ms = old->created_ms;
}

/* Put 'g' in the table in place of 'old' (NULL: a new id), check the chains and publish;
 * consumes 'g'.  The group's counters and creation time carry over from 'old'. */
int
ft_group_install(struct flowtab *ft, struct ft_group *g, struct ft_group *old,
		enum flowtab_gm_error *why, char **err)
{
	struct ft_gtab *next;
	int rc = ft_gtab_put(ft->gm->groups, g, old, &next, why, err);

	if (rc)
		return rc;
	if (old)
		ft_group_carry(g, old);
	rc = gtab_publish(ft, next, &old, old ? 1 : 0);
	if (rc) {
		free(next);
		ft_group_free(g);
	}
	return rc;
}

int
ft_group_make(struct flowtab *ft, const struct ft_gtab *t, enum flowtab_gm_command cmd,
		const struct flowtab_group_spec *spec, struct ft_group **g, struct ft_group **old,
		enum flowtab_gm_error *why, char **err)
{
	int rc = ft_group_resolve(t, cmd, spec, old, why, err);

	if (rc)
		return rc;
	*g = ft_group_build(ft, spec, why, err);
	if (*g == NULL)
		return *why == FLOWTAB_GM_OK ? -ENOMEM : -EINVAL;
	return 0;
}

int
ft_group_resolve(const struct ft_gtab *t, enum flowtab_gm_command cmd,
		const struct flowtab_group_spec *spec, struct ft_group **old,
		enum flowtab_gm_error *why, char **err)
{
	int rc = ft_group_spec_check(spec, why, err);

	if (rc)
		return rc;
	*old = ft_gtab_find(t, spec->group_id);
	if (*old && cmd == FLOWTAB_GM_ADD)
		return ft_gm_refuse(why, FLOWTAB_GM_EXISTS, err,
			ft_group_error(spec->group_id, "exists", NULL));
	if (!*old && cmd == FLOWTAB_GM_MODIFY)
		return ft_gm_refuse(why, FLOWTAB_GM_UNKNOWN, err,
			ft_group_error(spec->group_id, "does not exist", NULL));
	if (!*old && (t ? t->n : 0) >= FLOWTAB_MAX_GROUPS)
		return ft_gm_refuse(why, FLOWTAB_GM_OUT_OF_GROUPS, err,
			ft_group_error(spec->group_id, "the group table is full", NULL));
	return 0;
}

int
flowtab_group_mod(struct flowtab *ft, enum flowtab_gm_command cmd,
		const struct flowtab_group_spec *spec, enum flowtab_gm_error *why, char **err)
{
	struct ft_gm *gm = ft_gm_get(ft);
	struct ft_group *g, *old;
	int rc;

	*why = FLOWTAB_GM_OK;
	*err = NULL;
	if (gm == NULL)
		return -ENOMEM;
	rc = ft_group_make(ft, gm->groups, cmd, spec, &g, &old, why, err);
	return rc ? rc : ft_group_install(ft, g, old, why, err);
}

int
ft_gtab_remove(const struct ft_gtab *t, uint32_t group_id, struct ft_gtab **kept,
		struct ft_gtab **gone, enum flowtab_gm_error *why, char **err)
{
	uint32_t i, n = t ? t->n : 0;
	struct ft_gtab *k, *g;
	int rc;

	*kept = *gone = NULL;
	k = malloc(sizeof(*k) + n * sizeof(k->g[0]));
	g = malloc(sizeof(*g) + n * sizeof(g->g[0]));
	if (k == NULL || g == NULL) {
		free(k);
		free(g);
		return -ENOMEM;
	}
	k->n = g->n = 0;
	for (i = 0; i < n; i++) {
		if (group_id == FLOWTAB_GROUP_ALL || t->g[i]->id == group_id)
			g->g[g->n++] = t->g[i];
		else
			k->g[k->n++] = t->g[i];
	}
	rc = ft_gtab_check(k, why, err);
	if (rc == -ENOMEM) {
		free(k);
		free(g);
		return rc;
	}
	if (rc) {
		/* A group left behind chains to a deleted one. */
		free(*err);
		*err = ft_group_error(group_id, "another group's bucket uses it", NULL);
		*why = FLOWTAB_GM_CHAINED;
		free(k);
		free(g);
		return rc;
	}
	*kept = k;
	*gone = g;
	return 0;
}

int
flowtab_group_del(struct flowtab *ft, uint32_t group_id, enum flowtab_gm_error *why, char **err)
{
	struct ft_gm *gm = ft_gm_get(ft);
	struct ft_gtab *next, *gone;
	int rc;

	*why = FLOWTAB_GM_OK;
	*err = NULL;
	if (gm == NULL)
		return -ENOMEM;
	rc = ft_gtab_remove(gm->groups, group_id, &next, &gone, why, err);
	if (rc || gone->n == 0) {
		free(next);
		free(gone);
		return rc;
	}
	/* As OpenFlow says: the rules that forward to a deleted group go with it. */
	rc = ft_del_rules_if(ft, rule_uses_group, gone);
	if (!rc)
		rc = gtab_publish(ft, next, gone->g, gone->n);
	if (rc)
		free(next);
	free(gone);
	return rc;
}

/* --- dumps --- */

static uint32_t
rules_using(const struct flowtab *ft, bool (*uses)(const struct ft_actions *, uint32_t),
		uint32_t id)
{
	uint32_t n = 0;
	size_t i;

	for (i = 0; i < ft->n_rules; i++)
		if (uses(ft->rules[i]->acts, id))
			n++;
	return n;
}

unsigned
flowtab_dump_groups(struct flowtab *ft, uint32_t group_id,
		void (*cb)(void *aux, const struct flowtab_group_info *info), void *aux)
{
	/* 80 kB: static, as only the main thread dumps. */
	static struct flowtab_action_info acts[FLOWTAB_GROUP_MAX_BUCKETS][FT_MAX_ACTIONS];
	struct flowtab_bucket_info bi[FLOWTAB_GROUP_MAX_BUCKETS];
	const struct ft_gtab *t = ft->gm ? ft->gm->groups : NULL;
	struct flowtab_group_info info;
	uint64_t now = ft->clock(ft->clock_aux);
	unsigned n = 0;
	uint32_t i, k;

	for (i = 0; t && i < t->n; i++) {
		const struct ft_group *g = t->g[i];

		if (group_id != FLOWTAB_GROUP_ALL && g->id != group_id)
			continue;
		memset(&info, 0, sizeof(info));
		info.group_id = g->id;
		info.type = g->type;
		info.ref_count = rules_using(ft, ft_actions_use_group, g->id);
		info.packets = __atomic_load_n(&g->packets, __ATOMIC_RELAXED);
		info.bytes = __atomic_load_n(&g->bytes, __ATOMIC_RELAXED);
		info.duration_ms = now - g->created_ms;
		for (k = 0; k < g->n_buckets; k++) {
			bi[k].bucket_id = g->b[k].bucket_id;
			bi[k].weight = g->b[k].weight;
			bi[k].watch_port = g->b[k].watch_port;
			bi[k].watch_group = g->b[k].watch_group;
			bi[k].packets = __atomic_load_n(&g->b[k].packets, __ATOMIC_RELAXED);
			bi[k].bytes = __atomic_load_n(&g->b[k].bytes, __ATOMIC_RELAXED);
			ft_actions_info_fill(g->b[k].acts, acts[k], &bi[k].n_actions);
			bi[k].actions = acts[k];
		}
		info.n_buckets = g->n_buckets;
		info.buckets = bi;
		cb(aux, &info);
		n++;
	}
	return n;
}

const char *const ft_group_types[4] = { "all", "select", "indirect", "ff" };

struct text_aux {
	struct flowtab *ft;
	struct ft_str s;
	bool stats;
};

static void
group_text(void *aux, const struct flowtab_group_info *info)
{
	struct text_aux *ta = aux;
	const struct ft_group *g = ft_gtab_find(ta->ft->gm->groups, info->group_id);
	struct ft_str *s = &ta->s;
	uint32_t k;

	if (ta->stats) {
		ft_str_printf(s, " group_id=%u,duration=%.3fs,ref_count=%u,packet_count=%lu,"
			"byte_count=%lu", info->group_id, info->duration_ms / 1000.0,
			info->ref_count, (unsigned long)info->packets, (unsigned long)info->bytes);
		for (k = 0; k < info->n_buckets; k++)
			ft_str_printf(s, ",bucket%u:packet_count=%lu,byte_count=%lu", k,
				(unsigned long)info->buckets[k].packets,
				(unsigned long)info->buckets[k].bytes);
		ft_str_printf(s, "\n");
		return;
	}
	ft_str_printf(s, " group_id=%u,type=%s", info->group_id, ft_group_types[info->type & 3]);
	for (k = 0; k < g->n_buckets; k++) {
		const struct ft_bucket *b = &g->b[k];

		ft_str_printf(s, ",bucket=");
		if (b->weight != (g->type == FLOWTAB_GROUP_TYPE_SELECT ? 1 : 0))
			ft_str_printf(s, "weight:%u,", b->weight);
		if (b->watch_port != FLOWTAB_PORT_NONE) {
			ft_str_printf(s, "watch_port:");
			ft_port_print(s, b->watch_port, &ta->ft->ports);
			ft_str_printf(s, ",");
		}
		if (b->watch_group != FLOWTAB_GROUP_ANY)
			ft_str_printf(s, "watch_group:%u,", b->watch_group);
		ft_str_printf(s, "actions=");
		ft_actions_print(s, b->acts, &ta->ft->ports);
	}
	ft_str_printf(s, "\n");
}

char *
flowtab_dump_groups_text(struct flowtab *ft, uint32_t group_id, bool stats)
{
	struct text_aux ta = { .ft = ft, .stats = stats };

	ft_str_printf(&ta.s, "%s", "");
	flowtab_dump_groups(ft, group_id, group_text, &ta);
	return ta.s.s;
}
