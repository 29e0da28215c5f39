/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Group changes inside a batch (an OpenFlow bundle's group_mods).  Each is checked and made
 * on the batch's private copy of the group table when it arrives, so that the bundle's
 * later flow_mods may name the groups it adds and its errors come at once, as for flow_mods.
 * At the commit the copy becomes the table in the same snapshot as the batch's rules
 * (ft_batch.c): PMDs see both changed or neither.
 *
 * Groups the batch makes and replaces again were never published and are freed at once;
 * published groups it replaces or deletes are freed after the commit's grace period.  The
 * copy holds pointers to published groups, which a change made outside the batch (another
 * connection's group_mod) may free: every use of the copy first checks that the table has
 * not changed since (groups_gen), and the batch fails if it has.  Main thread only.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ft_gm.h"
#include "ft_private.h"

static const char changed_msg[] = "the group table changed outside this bundle since its "
	"first group change";

const struct ft_gtab *
ft_gwork_table(const struct flowtab *ft, const struct ft_gwork *w, char **err)
{
	if (w->t == NULL)
		return ft->gm ? ft->gm->groups : NULL;
	if (ft->gm->groups_gen != w->base_gen) {
		*err = strdup(changed_msg);
		return NULL;
	}
	return w->t;
}

/* The private copy, made at the first change; -EINVAL when it is out of date. */
static int
work_start(struct flowtab *ft, struct ft_gwork *w, enum flowtab_gm_error *why, char **err)
{
	const struct ft_gtab *cur;
	size_t n;

	if (w->t != NULL) {
		if (ft->gm->groups_gen == w->base_gen)
			return 0;
		*why = FLOWTAB_GM_INVALID;
		*err = strdup(changed_msg);
		return -EINVAL;
	}
	if (ft_gm_get(ft) == NULL)
		return -ENOMEM;
	cur = ft->gm->groups;
	n = cur ? cur->n : 0;
	w->t = malloc(sizeof(*w->t) + (n + 1) * sizeof(w->t->g[0]));
	if (w->t == NULL)
		return -ENOMEM;
	w->t->n = (uint32_t)n;
	if (n)
		memcpy(w->t->g, cur->g, n * sizeof(w->t->g[0]));
	w->base_gen = ft->gm->groups_gen;
	return 0;
}

/* Room for 'n' more in the lists, so that no change fails half made. */
static int
reserve(struct ft_group ***list, size_t used, size_t *cap, size_t n)
{
	struct ft_group **p;
	size_t want = *cap ? *cap : 8;

	if (used + n <= *cap)
		return 0;
	while (want < used + n)
		want *= 2;
	p = realloc(*list, want * sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	*list = p;
	*cap = want;
	return 0;
}

/* 'g' leaves the copy: freed now if the batch made it, else after the commit. */
static void
retire(struct ft_gwork *w, struct ft_group *g)
{
	size_t i;

	for (i = 0; i < w->n_born; i++) {
		if (w->born[i] == g) {
			w->born[i] = w->born[--w->n_born];
			ft_group_free(g);
			return;
		}
	}
	w->dead[w->n_dead++] = g;       /* reserved by the caller */
}

int
ft_gwork_mod(struct flowtab *ft, struct ft_gwork *w, enum flowtab_gm_command cmd,
		const struct flowtab_group_spec *spec, enum flowtab_gm_error *why, char **err)
{
	struct ft_group *g, *old;
	struct ft_gtab *next;
	int rc;

	*why = FLOWTAB_GM_OK;
	*err = NULL;
	rc = work_start(ft, w, why, err);
	if (rc)
		return rc;
	if (reserve(&w->dead, w->n_dead, &w->cap_dead, 1) ||
	    reserve(&w->born, w->n_born, &w->cap_born, 1))
		return -ENOMEM;
	rc = ft_group_make(ft, w->t, cmd, spec, &g, &old, why, err);
	if (rc)
		return rc;
	rc = ft_gtab_put(w->t, g, old, &next, why, err);
	if (rc)
		return rc;
	free(w->t);
	w->t = next;
	w->born[w->n_born++] = g;
	if (old) {
		/* A modify keeps the counters and age of the published group (not a delete and
		 * an add of the same id). */
		g->prev = old->born ? old->prev : old;
		retire(w, old);
	}
	return 0;
}

int
ft_gwork_del(struct flowtab *ft, struct ft_gwork *w, uint32_t group_id, uint32_t **ids,
		size_t *n_ids, enum flowtab_gm_error *why, char **err)
{
	struct ft_gtab *next, *gone;
	uint32_t i;
	int rc;

	*why = FLOWTAB_GM_OK;
	*err = NULL;
	*ids = NULL;
	*n_ids = 0;
	rc = work_start(ft, w, why, err);
	if (rc)
		return rc;
	rc = ft_gtab_remove(w->t, group_id, &next, &gone, why, err);
	if (rc == 0 && gone->n > 0 &&
	    ((*ids = malloc(gone->n * sizeof(**ids))) == NULL ||
	     reserve(&w->dead, w->n_dead, &w->cap_dead, gone->n)))
		rc = -ENOMEM;
	if (rc || gone->n == 0) {
		free(*ids);
		*ids = NULL;
		free(next);
		free(gone);
		return rc;
	}
	free(w->t);
	w->t = next;
	for (i = 0; i < gone->n; i++) {
		(*ids)[i] = gone->g[i]->id;
		retire(w, gone->g[i]);
	}
	*n_ids = gone->n;
	free(gone);
	return 0;
}

int
ft_gwork_begin_publish(struct flowtab *ft, struct ft_gwork *w, struct ft_gtab **old,
		char **err)
{
	size_t i;

	if (ft->gm->groups_gen != w->base_gen) {
		*err = strdup(changed_msg);
		return -EINVAL;
	}
	for (i = 0; i < w->n_born; i++)
		if (w->born[i]->prev != NULL)
			ft_group_carry(w->born[i], w->born[i]->prev);
	*old = ft->gm->groups;
	ft->gm->groups = w->t;
	return 0;
}

void
ft_gwork_abort_publish(struct flowtab *ft, struct ft_gwork *w, struct ft_gtab *old)
{
	(void)w;
	ft->gm->groups = old;
}

void
ft_gwork_finish(struct flowtab *ft, struct ft_gwork *w, struct ft_gtab *old)
{
	size_t i;

	ft->gm->groups_gen++;
	for (i = 0; i < w->n_born; i++) {
		w->born[i]->born = false;
		w->born[i]->prev = NULL;
	}
	for (i = 0; i < w->n_dead; i++)
		ft_group_free(w->dead[i]);
	free(old);
	free(w->dead);
	free(w->born);
	memset(w, 0, sizeof(*w));       /* the table is the flowtab's now */
}

void
ft_gwork_free(struct ft_gwork *w)
{
	size_t i;

	for (i = 0; i < w->n_born; i++)
		ft_group_free(w->born[i]);
	free(w->t);
	free(w->dead);
	free(w->born);
	memset(w, 0, sizeof(*w));
}
