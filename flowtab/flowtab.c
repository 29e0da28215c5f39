/* SPDX-License-Identifier: BSD-3-Clause */
/* The OpenFlow table of a bridge: add, modify, delete, replace, dump, timeouts (main thread). */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_rcu_qsbr.h>

#include "ft_private.h"
#include "ft_value.h"

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
	ft->snap = ft_snap_build(NULL, 0, NULL);
	if (!ft->bridge || !ft->snap) {
		free(ft->bridge);
		ft_snap_free(ft->snap);
		free(ft);
		return NULL;
	}
	return ft;
}

static void
rule_free(struct ft_rule *r)
{
	if (r) {
		free(r->acts);
		free(r);
	}
}

void
flowtab_destroy(struct flowtab *ft)
{
	size_t i;

	if (!ft)
		return;
	for (i = 0; i < ft->n_rules; i++)
		rule_free(ft->rules[i]);
	free(ft->rules);
	ft_snap_free(ft->snap);
	free(ft->bridge);
	free(ft);
}

void
flowtab_set_clock(struct flowtab *ft, uint64_t (*now_ms)(void *aux), void *aux)
{
	ft->clock = now_ms ? now_ms : default_clock;
	ft->clock_aux = aux;
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

static struct ft_rule *
rule_new(struct ft_rule_spec *spec, uint64_t now, uint64_t seq)
{
	struct ft_rule *r = ft_zalloc(sizeof(*r));

	if (!r)
		return NULL;
	r->match = spec->match;
	r->priority = spec->priority;
	r->table_id = (uint8_t)(spec->table_id < 0 ? 0 : spec->table_id);
	r->idle_timeout = spec->idle_timeout;
	r->hard_timeout = spec->hard_timeout;
	r->cookie = spec->cookie;
	r->seq = seq;
	r->created_ms = now;
	r->used_ms = now;
	r->acts = spec->acts;
	spec->acts = NULL;
	return r;
}

/* Parse 'n' rule texts into new (unpublished) rules. */
static int
parse_rules(struct flowtab *ft, const char *const *texts, const int *lines, size_t n,
		const char *origin, struct ft_rule ***out, char **err)
{
	struct ft_rule **rules = calloc(n ? n : 1, sizeof(*rules));
	uint64_t now = ft->clock(ft->clock_aux);
	struct ft_rule_spec spec;
	char *msg = NULL;
	size_t i;

	if (!rules)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (ft_rule_parse(texts[i], FT_PARSE_ADD, &ft->ports, &spec, &msg) < 0)
			goto fail;
		rules[i] = rule_new(&spec, now, ft->next_seq + i);
		if (!rules[i]) {
			ft_rule_spec_clear(&spec);
			msg = strdup("out of memory");
			goto fail;
		}
	}
	ft->next_seq += n;
	*out = rules;
	return 0;
fail:
	*err = located(origin, lines ? lines[i] : (int)i + 1, msg);
	while (i--)
		rule_free(rules[i]);
	free(rules);
	return -EINVAL;
}

/* An index of rules by identity (table, priority, match): positions + 1 in an array. */
struct rule_index {
	size_t *slot;
	size_t mask;
};

static uint32_t
rule_identity_hash(const struct ft_rule *r)
{
	uint64_t h = r->priority | (uint64_t)r->table_id << 32;
	unsigned i;

	for (i = 0; i < FT_KEY_WORDS; i++) {
		h = _mm_crc32_u64(h, r->match.key.w[i]);
		h = _mm_crc32_u64(h, r->match.mask.w[i]);
	}
	return (uint32_t)h;
}

static bool
same_identity(const struct ft_rule *a, const struct ft_rule *b)
{
	return a->table_id == b->table_id && a->priority == b->priority &&
	       ft_match_equal(&a->match, &b->match);
}

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
	size_t i = rule_identity_hash(r) & ix->mask;

	while (ix->slot[i] && !same_identity(arr[ix->slot[i] - 1], r))
		i = (i + 1) & ix->mask;
	return &ix->slot[i];
}

static void
wait_readers(struct flowtab *ft)
{
	if (ft->qsbr)
		rte_rcu_qsbr_synchronize(ft->qsbr, RTE_QSBR_THRID_INVALID);
}

/*
 * Make 'arr' (n rules, malloc'd, ownership taken) the table: build and publish a snapshot,
 * wait for the readers, free the previous snapshot and the 'dead' rules.  On failure nothing
 * changes and 'arr' is freed (not its rules).
 */
static int
commit(struct flowtab *ft, struct ft_rule **arr, size_t n, struct ft_rule **dead, size_t n_dead)
{
	struct ft_snap *snap = ft_snap_build(arr, n, ft->snap), *old;
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
	__atomic_store_n(&ft->snap, snap, __ATOMIC_RELEASE);
	wait_readers(ft);
	ft_snap_free(old);
	for (i = 0; i < n_dead; i++)
		rule_free(dead[i]);
	return 0;
}

/* Merge 'add' into the current rules (an identical rule is replaced) and commit. */
static int
install(struct flowtab *ft, struct ft_rule **add, size_t n_add, char **err)
{
	struct ft_rule **arr, **dead;
	struct rule_index ix;
	size_t n = ft->n_rules, n_dead = 0, i, *slot;
	int ret;

	arr = malloc((ft->n_rules + n_add + 1) * sizeof(*arr));
	dead = malloc((n_add + 1) * sizeof(*dead));
	if (!arr || !dead || index_init(&ix, ft->n_rules + n_add)) {
		free(arr);
		free(dead);
		*err = strdup("out of memory");
		return -ENOMEM;
	}
	if (ft->n_rules)
		memcpy(arr, ft->rules, ft->n_rules * sizeof(*arr));
	for (i = 0; i < n; i++)
		*index_find(&ix, arr, arr[i]) = i + 1;
	for (i = 0; i < n_add; i++) {
		slot = index_find(&ix, arr, add[i]);
		if (*slot) {
			dead[n_dead++] = arr[*slot - 1];
			arr[*slot - 1] = add[i];
		} else {
			arr[n] = add[i];
			*slot = ++n;
		}
	}
	free(ix.slot);
	ret = commit(ft, arr, n, dead, n_dead);
	if (ret) {
		*err = strdup("out of memory building the classifier");
		/* The new rules were not published: the caller frees them. */
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
	ret = install(ft, add, n, err);
	if (ret)
		for (i = 0; i < n; i++)
			rule_free(add[i]);
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
	if (!arr || !dead || !old_acts || !kept || index_init(&ix_new, n) || index_init(&ix_old, ft->n_rules)) {
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
		if (!ft_actions_equal(old->acts, arr[i]->acts)) {
			old_acts[n_acts++] = old->acts;
			__atomic_store_n(&old->acts, arr[i]->acts, __ATOMIC_RELEASE);
			arr[i]->acts = NULL;
		}
		dead[n_dead++] = arr[i];
		arr[i] = old;
	}
	/* Old rules not kept die. */
	for (i = 0; i < ft->n_rules; i++)
		if (!kept[i])
			dead[n_dead++] = ft->rules[i];
	free(kept);
	free(ix_new.slot);
	free(ix_old.slot);
	free(add);
	ret = commit(ft, arr, n_arr, dead, n_dead);
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
		rule_free(add[i]);
	free(add);
	*err = strdup("out of memory");
	return ret;
}

static bool
outputs_to(const struct ft_actions *a, uint32_t port)
{
	uint32_t i;

	for (i = 0; i < a->n; i++)
		if (a->a[i].type == FT_ACT_OUTPUT && a->a[i].u32 == port)
			return true;
	return false;
}

static bool
selects(const struct ft_rule_spec *spec, const struct ft_rule *r, bool strict)
{
	if (spec->table_id >= 0 && r->table_id != spec->table_id)
		return false;
	if ((r->cookie & spec->cookie_mask) != spec->cookie)
		return false;
	if (spec->out_port != FLOWTAB_PORT_NONE && !outputs_to(r->acts, spec->out_port))
		return false;
	if (strict)
		return r->priority == spec->priority && ft_match_equal(&r->match, &spec->match);
	return ft_match_covers(&spec->match, &r->match);
}

static int
parse_filter(struct flowtab *ft, const char *text, enum ft_parse_mode mode,
		struct ft_rule_spec *spec, char **err)
{
	char *msg = NULL;

	if (ft_rule_parse(text, mode, &ft->ports, spec, &msg) < 0) {
		*err = msg;
		return -EINVAL;
	}
	return 0;
}

int
flowtab_del_flows(struct flowtab *ft, const char *match, bool strict, size_t *n_deleted,
		char **err)
{
	struct ft_rule_spec spec;
	struct ft_rule **arr, **dead;
	size_t i, n = 0, n_dead = 0;
	int ret;

	*err = NULL;
	if (n_deleted)
		*n_deleted = 0;
	if (parse_filter(ft, match, FT_PARSE_MATCH, &spec, err))
		return -EINVAL;
	arr = malloc((ft->n_rules + 1) * sizeof(*arr));
	dead = malloc((ft->n_rules + 1) * sizeof(*dead));
	if (!arr || !dead) {
		free(arr);
		free(dead);
		*err = strdup("out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < ft->n_rules; i++) {
		if (selects(&spec, ft->rules[i], strict))
			dead[n_dead++] = ft->rules[i];
		else
			arr[n++] = ft->rules[i];
	}
	if (!n_dead) {
		free(arr);
		free(dead);
		return 0;
	}
	ret = commit(ft, arr, n, dead, n_dead);
	if (ret)
		*err = strdup("out of memory building the classifier");
	else if (n_deleted)
		*n_deleted = n_dead;
	free(dead);
	return ret;
}

int
flowtab_mod_flows(struct flowtab *ft, const char *text, bool strict, char **err)
{
	struct ft_rule_spec spec;
	struct ft_actions **news, **olds;
	size_t i, j, n_sel = 0;
	int ret = 0;

	*err = NULL;
	if (parse_filter(ft, text, FT_PARSE_MOD, &spec, err))
		return -EINVAL;
	news = calloc(ft->n_rules + 1, sizeof(*news));
	olds = calloc(ft->n_rules + 1, sizeof(*olds));
	if (!news || !olds) {
		ret = -ENOMEM;
		*err = strdup("out of memory");
		goto out;
	}
	/* Check and allocate everything first, so that a failure changes nothing. */
	for (i = 0; i < ft->n_rules; i++) {
		struct ft_rule *r = ft->rules[i];

		if (!selects(&spec, r, strict))
			continue;
		for (j = 0; j < spec.acts->n; j++) {
			if (spec.acts->a[j].type == FT_ACT_GOTO_TABLE && spec.acts->a[j].u8 <= r->table_id) {
				*err = ft_field_error("actions", "goto_table:%u must name a later "
						"table than the rule's own (%u)", spec.acts->a[j].u8,
						r->table_id);
				ret = -EINVAL;
				goto out;
			}
		}
		news[i] = ft_actions_dup(spec.acts);
		if (!news[i]) {
			ret = -ENOMEM;
			*err = strdup("out of memory");
			goto out;
		}
	}
	for (i = 0; i < ft->n_rules; i++) {
		if (!news[i])
			continue;
		olds[n_sel++] = ft->rules[i]->acts;
		__atomic_store_n(&ft->rules[i]->acts, news[i], __ATOMIC_RELEASE);
		news[i] = NULL;
	}
	if (n_sel) {
		/* A new snapshot: what the datapath parses may depend on the actions. */
		struct ft_rule **arr = malloc((ft->n_rules + 1) * sizeof(*arr));

		if (arr && ft->n_rules)
			memcpy(arr, ft->rules, ft->n_rules * sizeof(*arr));
		if (!arr || commit(ft, arr, ft->n_rules, NULL, 0))
			wait_readers(ft);
	}
	for (i = 0; i < n_sel; i++)
		free(olds[i]);
out:
	for (i = 0; news && i < ft->n_rules; i++)
		free(news[i]);
	free(news);
	free(olds);
	ft_rule_spec_clear(&spec);
	return ret;
}

static void
rule_totals(const struct ft_rule *r, uint64_t *packets, uint64_t *bytes)
{
	unsigned i;

	*packets = 0;
	*bytes = 0;
	for (i = 0; i < FT_STAT_SLOTS; i++) {
		*packets += __atomic_load_n(&r->stats[i].packets, __ATOMIC_RELAXED);
		*bytes += __atomic_load_n(&r->stats[i].bytes, __ATOMIC_RELAXED);
	}
}

static int
cmp_dump(const void *a, const void *b)
{
	const struct ft_rule *x = *(const struct ft_rule *const *)a;
	const struct ft_rule *y = *(const struct ft_rule *const *)b;

	if (x->table_id != y->table_id)
		return x->table_id < y->table_id ? -1 : 1;
	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void
ft_rule_print_dump(struct ft_str *s, const struct ft_rule *r, uint64_t now,
		const struct flowtab_port_ops *ports);

void
ft_rule_print_dump(struct ft_str *s, const struct ft_rule *r, uint64_t now,
		const struct flowtab_port_ops *ports)
{
	uint64_t packets, bytes, age = now - r->created_ms;
	size_t before;

	rule_totals(r, &packets, &bytes);
	ft_str_printf(s, " cookie=0x%" PRIx64 ", duration=%" PRIu64 ".%03us, table=%u, "
			"n_packets=%" PRIu64 ", n_bytes=%" PRIu64 ", ", r->cookie, age / 1000,
			(unsigned)(age % 1000), r->table_id, packets, bytes);
	if (r->idle_timeout)
		ft_str_printf(s, "idle_timeout=%u, ", r->idle_timeout);
	if (r->hard_timeout)
		ft_str_printf(s, "hard_timeout=%u, ", r->hard_timeout);
	ft_str_printf(s, "idle_age=%" PRIu64 ", ", (now - r->used_ms) / 1000);
	before = s->len;
	ft_match_print(s, &r->match, r->priority, ports);
	ft_str_printf(s, s->len > before ? " actions=" : "actions=");
	ft_actions_print(s, r->acts, ports);
	ft_str_printf(s, "\n");
}

int
flowtab_dump_flows(struct flowtab *ft, const char *match, char **out, char **err)
{
	struct ft_rule_spec spec;
	struct ft_rule **sel;
	struct ft_str s = { 0 };
	uint64_t now = ft->clock(ft->clock_aux);
	size_t i, n = 0;

	*err = NULL;
	*out = NULL;
	if (parse_filter(ft, match, FT_PARSE_MATCH, &spec, err))
		return -EINVAL;
	sel = malloc((ft->n_rules + 1) * sizeof(*sel));
	if (!sel) {
		*err = strdup("out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < ft->n_rules; i++)
		if (selects(&spec, ft->rules[i], false))
			sel[n++] = ft->rules[i];
	qsort(sel, n, sizeof(*sel), cmp_dump);
	ft_str_printf(&s, "%s", "");
	for (i = 0; i < n; i++)
		ft_rule_print_dump(&s, sel[i], now, &ft->ports);
	free(sel);
	if (!s.s) {
		*err = strdup("out of memory");
		return -ENOMEM;
	}
	*out = s.s;
	return 0;
}

void
flowtab_run_timeouts(struct flowtab *ft)
{
	uint64_t now = ft->clock(ft->clock_aux), packets, bytes;
	struct ft_rule **arr, **dead;
	size_t i, n = 0, n_dead = 0;

	for (i = 0; i < ft->n_rules; i++) {
		struct ft_rule *r = ft->rules[i];

		if (!r->idle_timeout && !r->hard_timeout)
			continue;
		rule_totals(r, &packets, &bytes);
		if (packets != r->seen_packets) {
			r->seen_packets = packets;
			r->used_ms = now;
		}
		if ((r->hard_timeout && now - r->created_ms >= r->hard_timeout * 1000ull) ||
		    (r->idle_timeout && now - r->used_ms >= r->idle_timeout * 1000ull))
			n_dead++;
	}
	if (!n_dead)
		return;
	arr = malloc(ft->n_rules * sizeof(*arr));
	dead = malloc(n_dead * sizeof(*dead));
	if (!arr || !dead) {
		free(arr);
		free(dead);
		return;
	}
	n_dead = 0;
	for (i = 0; i < ft->n_rules; i++) {
		struct ft_rule *r = ft->rules[i];

		if ((r->hard_timeout && now - r->created_ms >= r->hard_timeout * 1000ull) ||
		    (r->idle_timeout && now - r->used_ms >= r->idle_timeout * 1000ull))
			dead[n_dead++] = r;
		else
			arr[n++] = r;
	}
	commit(ft, arr, n, dead, n_dead);
	free(dead);
}
