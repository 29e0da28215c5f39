/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenFlow 1.5's bucket commands on a group (flowtab_gm.h): insert buckets first, last or
 * after a bucket id, remove the first, the last, one id or all.  The group is rebuilt with
 * copies of the buckets that stay (their counters carried over) and replaces the old one
 * through ft_group_install(), as a modify does.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ft_gm.h"
#include "ft_private.h"

/* Group 'old' (with its buckets' counters when 'keep' says which of 'g''s came from which of
 * 'old''s) as 'g' after an insert or remove; consumes 'g'. */
static int
group_splice(struct flowtab *ft, struct ft_group *g, struct ft_group *old, const int *keep,
		enum flowtab_gm_error *why, char **err)
{
	uint32_t i;

	if (g->n_buckets > FLOWTAB_GROUP_MAX_BUCKETS) {
		ft_group_free(g);
		return ft_gm_refuse(why, FLOWTAB_GM_OUT_OF_BUCKETS, err,
			ft_group_error(old->id, "more than 32 buckets", NULL));
	}
	if (g->type == FLOWTAB_GROUP_TYPE_INDIRECT && g->n_buckets > 1) {
		ft_group_free(g);
		return ft_gm_refuse(why, FLOWTAB_GM_INVALID, err,
			ft_group_error(old->id, "an indirect group has one bucket", NULL));
	}
	for (i = 0; i < g->n_buckets; i++) {
		if (keep[i] < 0)
			continue;
		g->b[i].packets = __atomic_load_n(&old->b[keep[i]].packets, __ATOMIC_RELAXED);
		g->b[i].bytes = __atomic_load_n(&old->b[keep[i]].bytes, __ATOMIC_RELAXED);
	}
	return ft_group_install(ft, g, old, why, err);
}

/* An empty group of 'old''s id and type with room for 'n' buckets. */
static struct ft_group *
group_alloc_like(const struct ft_group *old, uint32_t n)
{
	struct ft_group *g = calloc(1, sizeof(*g) + n * sizeof(g->b[0]));

	if (g) {
		g->id = old->id;
		g->type = old->type;
		g->born = true;
	}
	return g;
}

/* Append a copy of 'b' to 'g'; -ENOMEM. */
static int
bucket_append(struct ft_group *g, const struct ft_bucket *b)
{
	struct ft_bucket *n = &g->b[g->n_buckets];

	*n = *b;
	n->packets = n->bytes = 0;
	n->acts = ft_actions_dup(b->acts);
	if (n->acts == NULL)
		return -ENOMEM;
	g->n_buckets++;
	return 0;
}

static int
bucket_index(const struct ft_group *g, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < g->n_buckets; i++)
		if (g->b[i].bucket_id == id)
			return (int)i;
	return -1;
}

int
flowtab_group_insert_buckets(struct flowtab *ft, const struct flowtab_group_spec *spec,
		uint32_t where, enum flowtab_gm_error *why, char **err)
{
	struct ft_gm *gm = ft_gm_get(ft);
	int keep[2 * FLOWTAB_GROUP_MAX_BUCKETS + 1];
	struct flowtab_group_spec s;
	struct ft_group *old, *add, *g;
	uint32_t i, split;
	int rc = 0;

	*why = FLOWTAB_GM_OK;
	*err = NULL;
	if (gm == NULL)
		return -ENOMEM;
	old = ft_gtab_find(gm->groups, spec->group_id);
	if (old == NULL)
		return ft_gm_refuse(why, FLOWTAB_GM_UNKNOWN, err,
			ft_group_error(spec->group_id, "does not exist", NULL));
	if (spec->n_buckets > FLOWTAB_GROUP_MAX_BUCKETS)
		return ft_gm_refuse(why, FLOWTAB_GM_OUT_OF_BUCKETS, err,
			ft_group_error(spec->group_id, "more than 32 buckets", NULL));
	s = *spec;
	s.type = old->type;
	rc = ft_group_check_ids(&s, why, err);
	if (rc)
		return rc;
	if (where == FLOWTAB_BUCKET_FIRST)
		split = 0;
	else if (where == FLOWTAB_BUCKET_LAST)
		split = old->n_buckets;
	else if (where <= FLOWTAB_BUCKET_MAX && bucket_index(old, where) >= 0)
		split = (uint32_t)bucket_index(old, where) + 1;
	else
		return ft_gm_refuse(why, FLOWTAB_GM_UNKNOWN_BUCKET, err,
			ft_group_error(spec->group_id, "no bucket of that id", NULL));
	for (i = 0; i < s.n_buckets; i++)
		if (bucket_index(old, s.bucket_ids ? s.buckets[i].bucket_id : i) >= 0)
			return ft_gm_refuse(why, FLOWTAB_GM_BUCKET_EXISTS, err,
				ft_group_error(spec->group_id, "a bucket of that id exists", NULL));
	add = ft_group_build(ft, &s, why, err);
	if (add == NULL)
		return *why == FLOWTAB_GM_OK ? -ENOMEM : -EINVAL;
	g = group_alloc_like(old, old->n_buckets + add->n_buckets);
	for (i = 0; g && !rc && i < old->n_buckets + add->n_buckets; i++) {
		if (i < split) {
			keep[i] = (int)i;
			rc = bucket_append(g, &old->b[i]);
		} else if (i < split + add->n_buckets) {
			keep[i] = -1;
			rc = bucket_append(g, &add->b[i - split]);
		} else {
			keep[i] = (int)(i - add->n_buckets);
			rc = bucket_append(g, &old->b[i - add->n_buckets]);
		}
	}
	ft_group_free(add);
	if (g == NULL || rc) {
		ft_group_free(g);
		return -ENOMEM;
	}
	return group_splice(ft, g, old, keep, why, err);
}

int
flowtab_group_remove_buckets(struct flowtab *ft, uint32_t group_id, uint32_t which,
		enum flowtab_gm_error *why, char **err)
{
	struct ft_gm *gm = ft_gm_get(ft);
	int keep[FLOWTAB_GROUP_MAX_BUCKETS];
	struct ft_group *old, *g;
	int skip = -1, rc = 0;
	uint32_t i;

	*why = FLOWTAB_GM_OK;
	*err = NULL;
	if (gm == NULL)
		return -ENOMEM;
	old = ft_gtab_find(gm->groups, group_id);
	if (old == NULL)
		return ft_gm_refuse(why, FLOWTAB_GM_UNKNOWN, err,
			ft_group_error(group_id, "does not exist", NULL));
	if (which == FLOWTAB_BUCKET_FIRST && old->n_buckets)
		skip = 0;
	else if (which == FLOWTAB_BUCKET_LAST && old->n_buckets)
		skip = (int)old->n_buckets - 1;
	else if (which <= FLOWTAB_BUCKET_MAX && (skip = bucket_index(old, which)) < 0)
		return ft_gm_refuse(why, FLOWTAB_GM_UNKNOWN_BUCKET, err,
			ft_group_error(group_id, "no bucket of that id", NULL));
	g = group_alloc_like(old, old->n_buckets);
	for (i = 0; g && !rc && which != FLOWTAB_BUCKET_ALL && i < old->n_buckets; i++) {
		if ((int)i == skip)
			continue;
		keep[g->n_buckets] = (int)i;
		rc = bucket_append(g, &old->b[i]);
	}
	if (g == NULL || rc) {
		ft_group_free(g);
		return -ENOMEM;
	}
	return group_splice(ft, g, old, keep, why, err);
}
