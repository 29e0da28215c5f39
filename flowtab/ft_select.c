/* SPDX-License-Identifier: BSD-3-Clause */
/* Operations that select rules by a match: del-flows, mod-flows, dump-flows, timeouts. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtab_gm.h"
#include "ft_private.h"
#include "ft_value.h"
#include "ft_view.h"
#include "rcu.h"

/*
 * Whether actions 'a' output to 'port', as Open vSwitch's out_port filter decides: an output
 * to it, reserved ports included (in_port, NORMAL, FLOOD, ALL), and the controller action
 * for CONTROLLER.  Outputs inside the groups the actions use do not count.
 */
static bool
outputs_to(const struct ft_actions *a, uint32_t port)
{
	uint32_t i, to;

	for (i = 0; i < a->n; i++) {
		switch (a->a[i].type) {
		case FT_ACT_OUTPUT:
			to = a->a[i].u32;
			break;
		case FT_ACT_IN_PORT:
			to = FLOWTAB_OFPP_IN_PORT;
			break;
		case FT_ACT_NORMAL:
			to = FLOWTAB_OFPP_NORMAL;
			break;
		case FT_ACT_FLOOD:
			to = FLOWTAB_OFPP_FLOOD;
			break;
		case FT_ACT_ALL:
			to = FLOWTAB_OFPP_ALL;
			break;
		case FT_ACT_CONTROLLER:
			to = FLOWTAB_OFPP_CONTROLLER;
			break;
		default:
			continue;
		}
		if (to == port)
			return true;
	}
	return false;
}

/* Whether actions 'a' hand the packet to group 'id'. */
static bool
outputs_to_group(const struct ft_actions *a, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < a->n; i++)
		if (a->a[i].type == FT_ACT_GROUP && a->a[i].u32 == id)
			return true;
	return false;
}

bool
ft_rule_selects(const struct ft_rule_spec *spec, const struct ft_rule *r, bool strict)
{
	if (spec->table_id >= 0 && r->table_id != spec->table_id)
		return false;
	if ((r->cookie & spec->cookie_mask) != spec->cookie)
		return false;
	if (spec->out_port != FLOWTAB_PORT_NONE && !outputs_to(r->acts, spec->out_port))
		return false;
	if (spec->out_group != FLOWTAB_GROUP_ANY && !outputs_to_group(r->acts, spec->out_group))
		return false;
	if (strict)
		return r->priority == spec->priority && ft_match_equal(&r->match, &spec->match);
	return ft_match_covers(&spec->match, &r->match);
}

/* Commit 'arr' without the 'dead' rules, keeping the identity index and positions right. */
static int
commit_removal(struct flowtab *ft, struct ft_rule **arr, size_t n, struct ft_rule **dead,
		size_t n_dead)
{
	size_t i;
	int ret;

	for (i = 0; i < n_dead; i++)
		ft_index_remove(ft, dead[i]);
	ret = ft_commit(ft, arr, n, dead, n_dead, dead, n_dead, false);
	if (ret) {
		ft_index_rebuild(ft);
		return ret;
	}
	for (i = 0; i < ft->n_rules; i++)
		ft->rules[i]->pos = i;
	return 0;
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
	if (spec->acts && ft_gm_check_actions(ft, spec->acts, err) < 0) {
		ft_rule_spec_clear(spec);
		return -EINVAL;
	}
	return 0;
}

void
flowtab_set_removed(struct flowtab *ft,
		void (*cb)(void *aux, const struct flowtab_rule_info *info, uint8_t reason),
		void *aux)
{
	ft->removed = cb;
	ft->removed_aux = aux;
}

static void rule_totals(const struct ft_rule *r, uint64_t *packets, uint64_t *bytes);

void
ft_tell_removed(struct flowtab *ft, const struct ft_rule *r, uint64_t now, uint8_t reason)
{
	struct flowtab_action_info acts[FT_MAX_ACTIONS];
	struct flowtab_rule_info info;
	uint64_t packets, bytes;

	if (ft->removed == NULL || !r->send_flow_rem)
		return;
	rule_totals(r, &packets, &bytes);
	ft_rule_info_fill(r, now, packets, bytes, &info, acts);
	ft->removed(ft->removed_aux, &info, reason);
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
		if (ft_rule_selects(&spec, ft->rules[i], strict))
			dead[n_dead++] = ft->rules[i];
		else
			arr[n++] = ft->rules[i];
	}
	if (!n_dead) {
		free(arr);
		free(dead);
		return 0;
	}
	for (i = 0; i < n_dead; i++)
		ft_tell_removed(ft, dead[i], ft->clock(ft->clock_aux), FLOWTAB_REMOVED_DELETE);
	ret = commit_removal(ft, arr, n, dead, n_dead);
	if (ret)
		*err = strdup("out of memory building the classifier");
	else if (n_deleted)
		*n_deleted = n_dead;
	free(dead);
	return ret;
}

int
ft_mod_check(const struct ft_actions *a, uint8_t table, char **err)
{
	uint32_t j;

	for (j = 0; j < a->n; j++) {
		if (a->a[j].type == FT_ACT_GOTO_TABLE && a->a[j].u8 <= table) {
			*err = ft_field_error("actions", "goto_table:%u must name a later table "
					"than the rule's own (%u)", a->a[j].u8, table);
			return -EINVAL;
		}
	}
	if (ft_actions_loop(a, table)) {
		*err = ft_field_error("actions", "resubmit(,%u) to the rule's own table with the "
				"packet unchanged would loop on every packet it matches", table);
		return -EINVAL;
	}
	return 0;
}

int
flowtab_mod_flows(struct flowtab *ft, const char *text, bool strict, char **err)
{
	struct ft_rule_spec spec;
	struct ft_actions **news, **olds;
	size_t i, n_sel = 0;
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

		if (!ft_rule_selects(&spec, r, strict))
			continue;
		ret = ft_mod_check(spec.acts, r->table_id, err);
		if (ret)
			goto out;
		news[i] = ft_actions_dup(spec.acts);
		if (!news[i]) {
			ret = -ENOMEM;
			*err = strdup("out of memory");
			goto out;
		}
	}
	if (ft_prepare_actions(ft, news, ft->n_rules)) {
		ret = -ENOMEM;
		*err = strdup("out of memory building the classifier");
		goto out;
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
		if (arr)
			ft_commit(ft, arr, ft->n_rules, NULL, 0, NULL, 0, false);
		/* The old action lists: no reader may hold one (ft_commit() does not wait). */
		ft_wait_readers(ft);
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

int
flowtab_reset_counts(struct flowtab *ft, const char *match, bool strict, char **err)
{
	struct ft_rule_spec spec;
	size_t i;
	unsigned j;

	*err = NULL;
	if (parse_filter(ft, match, FT_PARSE_MATCH, &spec, err))
		return -EINVAL;
	for (i = 0; i < ft->n_rules; i++) {
		struct ft_rule *r = ft->rules[i];

		if (!ft_rule_selects(&spec, r, strict))
			continue;
		/* The slots are the PMDs' to add to: plain stores would race their adds. */
		for (j = 0; j < FT_STAT_SLOTS; j++) {
			__atomic_store_n(&r->stats[j].packets, 0, __ATOMIC_RELAXED);
			__atomic_store_n(&r->stats[j].bytes, 0, __ATOMIC_RELAXED);
		}
		r->seen_packets = 0;      /* a reset is no use of the rule (idle timeout) */
	}
	ft_rule_spec_clear(&spec);
	return 0;
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

static void
rule_print_dump(struct ft_str *s, const struct ft_rule *r, uint64_t now,
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
		if (ft_rule_selects(&spec, ft->rules[i], false))
			sel[n++] = ft->rules[i];
	qsort(sel, n, sizeof(*sel), cmp_dump);
	ft_str_printf(&s, "%s", "");
	for (i = 0; i < n; i++)
		rule_print_dump(&s, sel[i], now, &ft->ports);
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

	/* Retired rules and snapshots go back once the readers have left them, without
	 * waiting for the next change. */
	if (ft->defer)
		rcu_defer_reclaim(ft->defer);

	for (i = 0; i < ft->n_rules; i++) {
		struct ft_rule *r = ft->rules[i];

		rule_totals(r, &packets, &bytes);
		if (packets != r->seen_packets) {
			r->seen_packets = packets;
			r->used_ms = now;
		}
		if ((r->hard_timeout && now - r->created_ms >= r->hard_timeout * 1000ull) ||
		    (r->idle_timeout && now - r->used_ms >= r->idle_timeout * 1000ull))
			n_dead++;
	}
	if (!n_dead) {
		/* Re-rank subtables by the hits the PMDs measured (a rebuild: about once a
		 * second at most, only while the traffic mix shifts). */
		if (ft->n_rules && ft_snap_needs_rerank(ft->snap)) {
			arr = malloc(ft->n_rules * sizeof(*arr));
			if (arr) {
				memcpy(arr, ft->rules, ft->n_rules * sizeof(*arr));
				ft_commit(ft, arr, ft->n_rules, NULL, 0, NULL, 0, false);
			}
		}
		ft_snap_decay_hits(ft->snap);
		return;
	}
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

		if (r->hard_timeout && now - r->created_ms >= r->hard_timeout * 1000ull) {
			ft_tell_removed(ft, r, now, FLOWTAB_REMOVED_HARD);
			dead[n_dead++] = r;
		} else if (r->idle_timeout && now - r->used_ms >= r->idle_timeout * 1000ull) {
			ft_tell_removed(ft, r, now, FLOWTAB_REMOVED_IDLE);
			dead[n_dead++] = r;
		} else {
			arr[n++] = r;
		}
	}
	commit_removal(ft, arr, n, dead, n_dead);
	free(dead);
}

int
flowtab_dump_rules(struct flowtab *ft, const char *match,
		void (*cb)(void *aux, const struct flowtab_rule_info *info), void *aux, char **err)
{
	struct flowtab_action_info acts[FT_MAX_ACTIONS];
	struct flowtab_rule_info info;
	struct ft_rule_spec spec;
	struct ft_rule **sel;
	uint64_t now = ft->clock(ft->clock_aux), packets, bytes;
	size_t i, n = 0;

	*err = NULL;
	if (parse_filter(ft, match, FT_PARSE_MATCH, &spec, err))
		return -EINVAL;
	sel = malloc((ft->n_rules + 1) * sizeof(*sel));
	if (!sel) {
		*err = strdup("out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < ft->n_rules; i++)
		if (ft_rule_selects(&spec, ft->rules[i], false))
			sel[n++] = ft->rules[i];
	qsort(sel, n, sizeof(*sel), cmp_dump);
	for (i = 0; i < n; i++) {
		rule_totals(sel[i], &packets, &bytes);
		ft_rule_info_fill(sel[i], now, packets, bytes, &info, acts);
		cb(aux, &info);
	}
	free(sel);
	return 0;
}

unsigned
flowtab_tun_metadata_used(const struct flowtab *ft)
{
	unsigned used = 0;

	for (size_t i = 0; i < ft->n_rules; i++) {
		const struct ft_rule *r = ft->rules[i];

		for (unsigned f = 0; f < 2; f++)
			if (r->match.mask.tun_metadata[f] != 0)
				used |= 1u << f;
		for (uint32_t j = 0; j < r->acts->n; j++)
			if (r->acts->a[j].type == FT_ACT_SET_TUN_METADATA)
				used |= 1u << (r->acts->a[j].u8 & 1);
	}
	return used;
}

int
ft_del_rules_if(struct flowtab *ft, bool (*pred)(const struct ft_rule *r, void *aux), void *aux)
{
	struct ft_rule **arr, **dead;
	size_t i, n = 0, n_dead = 0;
	int ret;

	arr = malloc((ft->n_rules + 1) * sizeof(*arr));
	dead = malloc((ft->n_rules + 1) * sizeof(*dead));
	if (!arr || !dead) {
		free(arr);
		free(dead);
		return -ENOMEM;
	}
	for (i = 0; i < ft->n_rules; i++) {
		if (pred(ft->rules[i], aux))
			dead[n_dead++] = ft->rules[i];
		else
			arr[n++] = ft->rules[i];
	}
	if (!n_dead) {
		free(arr);
		free(dead);
		return 0;
	}
	for (i = 0; i < n_dead; i++)
		ft_tell_removed(ft, dead[i], ft->clock(ft->clock_aux), FLOWTAB_REMOVED_DELETE);
	ret = commit_removal(ft, arr, n, dead, n_dead);
	free(dead);
	return ret;
}
