/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A batch of adds and deletes committed as one snapshot (OpenFlow bundles).  The batch is
 * worked out on a private array of the current rules plus the new ones: nothing is
 * published, and no rule the readers see is touched, until every change has parsed.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ft_private.h"

/* The work area: current and new rules, which are gone, and an identity index over them. */
struct batch {
	struct ft_rule **arr;
	bool *gone;
	bool *deleted;              /* gone by a delete (not replaced by an add) */
	size_t n, n_old;
	size_t *slot;               /* position + 1 of the live rule of an identity */
	size_t mask;
};

static size_t *
batch_slot(struct batch *b, const struct ft_rule *r)
{
	size_t i = r->ident_hash & b->mask;

	while (b->slot[i] && !ft_rule_same_identity(b->arr[b->slot[i] - 1], r))
		i = (i + 1) & b->mask;
	return &b->slot[i];
}

static int
batch_init(struct batch *b, const struct flowtab *ft, size_t n_add)
{
	size_t cap = ft->n_rules + n_add + 1, size = 16, i;

	while (size < 2 * cap)
		size *= 2;
	memset(b, 0, sizeof(*b));
	b->arr = malloc(cap * sizeof(*b->arr));
	b->gone = calloc(cap, sizeof(*b->gone));
	b->deleted = calloc(cap, sizeof(*b->deleted));
	b->slot = calloc(size, sizeof(*b->slot));
	if (!b->arr || !b->gone || !b->deleted || !b->slot)
		return -ENOMEM;
	b->mask = size - 1;
	for (i = 0; i < ft->n_rules; i++) {
		b->arr[i] = ft->rules[i];
		*batch_slot(b, b->arr[i]) = i + 1;
	}
	b->n = b->n_old = ft->n_rules;
	return 0;
}

/* Free the work area; with 'failed', also the new rules it made. */
static void
batch_free(struct batch *b, bool failed)
{
	size_t i;

	if (failed && b->arr)
		for (i = b->n_old; i < b->n; i++)
			ft_rule_free(b->arr[i]);
	free(b->arr);
	free(b->gone);
	free(b->deleted);
	free(b->slot);
}

static int
batch_add(struct flowtab *ft, struct batch *b, const char *text, uint64_t now, char **err)
{
	struct ft_rule_spec spec;
	struct ft_rule *r;
	size_t *slot;

	if (ft_rule_parse(text, FT_PARSE_ADD, &ft->ports, &spec, err) < 0)
		return -EINVAL;
	r = ft_rule_new(&spec, now, ft->next_seq++);
	if (!r) {
		ft_rule_spec_clear(&spec);
		return -ENOMEM;
	}
	slot = batch_slot(b, r);
	if (*slot)
		b->gone[*slot - 1] = true;      /* an identical rule is replaced */
	b->arr[b->n++] = r;
	*slot = b->n;
	return 0;
}

static int
batch_del(struct flowtab *ft, struct batch *b, const char *text, bool strict, char **err)
{
	struct ft_rule_spec spec;
	size_t i;

	if (ft_rule_parse(text, FT_PARSE_MATCH, &ft->ports, &spec, err) < 0)
		return -EINVAL;
	for (i = 0; i < b->n; i++) {
		if (b->gone[i] || !ft_rule_selects(&spec, b->arr[i], strict))
			continue;
		b->gone[i] = true;
		b->deleted[i] = true;
	}
	ft_rule_spec_clear(&spec);
	return 0;
}

int
flowtab_apply_changes(struct flowtab *ft, const struct flowtab_change *ch, size_t n,
		size_t *failed, char **err)
{
	uint64_t now = ft->clock(ft->clock_aux);
	struct ft_rule **live, **dead;
	size_t n_add = 0, n_live = 0, n_dead = 0, i;
	struct batch b;
	int ret = 0;

	*err = NULL;
	*failed = 0;
	for (i = 0; i < n; i++)
		n_add += ch[i].op == FLOWTAB_CHANGE_ADD;
	if (batch_init(&b, ft, n_add)) {
		batch_free(&b, true);
		*err = strdup("out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < n && !ret; i++) {
		if (ch[i].op == FLOWTAB_CHANGE_ADD)
			ret = batch_add(ft, &b, ch[i].text, now, err);
		else
			ret = batch_del(ft, &b, ch[i].text, ch[i].op == FLOWTAB_CHANGE_DEL_STRICT,
					err);
	}
	if (ret) {
		*failed = i - 1;
		if (ret == -ENOMEM && !*err)
			*err = strdup("out of memory");
		batch_free(&b, true);
		return ret;
	}
	live = malloc((b.n + 1) * sizeof(*live));
	dead = malloc((b.n + 1) * sizeof(*dead));
	if (!live || !dead) {
		free(live);
		free(dead);
		batch_free(&b, true);
		*err = strdup("out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < b.n; i++) {
		if (!b.gone[i])
			live[n_live++] = b.arr[i];
		else
			dead[n_dead++] = b.arr[i];
	}
	for (i = 0; i < b.n_old; i++)
		if (b.deleted[i])
			ft_tell_removed(ft, b.arr[i], now, FLOWTAB_REMOVED_DELETE);
	ret = ft_commit(ft, live, n_live, dead, n_dead, NULL, 0, true);
	ft_index_rebuild(ft);
	if (ret) {
		*err = strdup("out of memory building the classifier");
		batch_free(&b, true);
	} else {
		batch_free(&b, false);
	}
	free(dead);
	return ret;
}
