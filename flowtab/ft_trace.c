/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flowtab_trace(): which rules a packet meets and what they do to it, without a packet.
 *
 * The flow text gives the packet's header fields (absent ones are zero, as in a key parsed
 * from a packet that lacks them).  The walk follows the datapath's rules step by step
 * (ft_exec.c): the same classifier lookup per table, the same rewrites applied to the key,
 * the same limits on resubmit nesting and count, outputs taken with the packet as it is at
 * that point, an output to the input port skipped.  It reads the published snapshot from
 * the main thread (the only writer), so no rule goes away under it, and it touches no
 * counter and no cache.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ft_private.h"

struct trace {
	const struct flowtab *ft;
	const struct ft_snap *snap;
	const struct flowtab_trace_out *out;
	struct ft_str *s;
	struct ft_key k;
	uint32_t in_port;
	unsigned depth;
	unsigned n_resubmits;
	unsigned n_outputs;		/* outputs and controller actions, as ft_exec.c counts them */
	bool stop;
};

/* The fields a packet of this key carries, for printing the whole flow as OVS does. */
static void
full_mask(const struct ft_key *k, struct ft_key *m)
{
	uint16_t t = rte_be_to_cpu_16(k->dl_type);

	memset(m, 0, sizeof(*m));
	m->in_port = UINT32_MAX;
	m->vlan_tci = UINT16_MAX;
	m->dl_type = UINT16_MAX;
	memset(m->dl_src, 0xff, 6);
	memset(m->dl_dst, 0xff, 6);
	if (t == 0x0800 || t == 0x86dd) {
		m->nw_proto = 0xff;
		m->nw_tos = 0xff;
		m->nw_ttl = 0xff;
		if (t == 0x0800) {
			m->nw_src = UINT32_MAX;
			m->nw_dst = UINT32_MAX;
		} else {
			memset(m->ipv6_src, 0xff, 16);
			memset(m->ipv6_dst, 0xff, 16);
		}
		if (k->nw_proto == IPPROTO_TCP || k->nw_proto == IPPROTO_UDP ||
				k->nw_proto == IPPROTO_SCTP || k->nw_proto == IPPROTO_ICMP ||
				k->nw_proto == IPPROTO_ICMPV6) {
			m->tp_src = UINT16_MAX;
			m->tp_dst = UINT16_MAX;
		}
	} else if (t == 0x0806) {
		m->nw_proto = 0xff;
		m->nw_src = UINT32_MAX;
		m->nw_dst = UINT32_MAX;
	}
}

static void
print_flow(struct trace *t, const struct ft_key *k)
{
	struct ft_match m;

	m.key = *k;
	m.key.table_id = 0;
	full_mask(k, &m.mask);
	ft_match_print(t->s, &m, FT_DEFAULT_PRIORITY, &t->ft->ports);
}

static void
indent(struct trace *t, unsigned extra)
{
	ft_str_printf(t->s, "%*s", (int)extra, "");
}

static void
print_one_action(struct trace *t, const struct ft_action *a)
{
	union {
		struct ft_actions acts;
		char room[sizeof(struct ft_actions) + sizeof(struct ft_action)];
	} one;

	memset(&one, 0, sizeof(one));
	one.acts.n = 1;
	one.acts.out_port = FLOWTAB_PORT_NONE;
	one.acts.a[0] = *a;
	indent(t, 4);
	ft_actions_print(t->s, &one.acts, &t->ft->ports);
	ft_str_printf(t->s, "\n");
}

/* One more output or controller action: false, the packet dropped, once over the limit. */
static bool
trace_charge_output(struct trace *t)
{
	if (++t->n_outputs <= FT_MAX_OUTPUTS)
		return true;
	indent(t, 4);
	ft_str_printf(t->s, ">> too many outputs: the packet is dropped\n");
	t->stop = true;
	return false;
}

static void
emit(struct trace *t, enum flowtab_action_kind kind, uint32_t port)
{
	char note[256] = "";

	if (kind == FLOWTAB_A_OUTPUT && port == t->in_port) {
		indent(t, 5);
		ft_str_printf(t->s, ">> skipping output to input port\n");
		return;
	}
	if (!trace_charge_output(t))
		return;
	t->out->emit(t->out->aux, kind, port, t->in_port, t->k.dl_dst,
		rte_be_to_cpu_16(t->k.vlan_tci), note, sizeof(note));
	if (note[0] != '\0') {
		indent(t, 5);
		ft_str_printf(t->s, "-> %s\n", note);
	}
}

/* The key's VLAN rewrites, as set_vlan()/push_vlan()/strip_vlan() do them to the packet. */
static bool
vlan_action(struct trace *t, const struct ft_action *a)
{
	uint16_t tci = rte_be_to_cpu_16(t->k.vlan_tci);

	switch (a->type) {
	case FT_ACT_SET_VLAN_VID:
	case FT_ACT_SET_VLAN_PCP:
		if (!(tci & FT_VLAN_CFI))
			return false;
		if (a->type == FT_ACT_SET_VLAN_VID)
			tci = (uint16_t)((tci & ~0x0fff) | (a->u16 & 0x0fff));
		else
			tci = (uint16_t)((tci & ~0xe000) | (a->u8 << 13));
		break;
	case FT_ACT_PUSH_VLAN:
		tci = (uint16_t)(FT_VLAN_CFI | (tci & ~FT_VLAN_CFI));
		break;
	default:
		tci = 0;
		break;
	}
	t->k.vlan_tci = rte_cpu_to_be_16((uint16_t)(tci | (tci ? FT_VLAN_CFI : 0)));
	return true;
}

static void walk_rule(struct trace *t, const struct ft_rule *r);

static void
trace_resubmit(struct trace *t, uint32_t port, uint8_t table, const struct ft_rule *from)
{
	uint8_t tbl = table == 0xff ? from->table_id : table;
	uint32_t saved_port = t->k.in_port;
	uint64_t probed = 0;
	const struct ft_rule *r;

	if (t->depth >= FT_MAX_DEPTH || ++t->n_resubmits > FT_MAX_RESUBMITS) {
		indent(t, 4);
		ft_str_printf(t->s, ">> %s: the packet is dropped\n", t->depth >= FT_MAX_DEPTH ?
			"recursion too deep" : "too many resubmits");
		t->stop = true;
		return;
	}
	t->k.table_id = tbl;
	if (port != FLOWTAB_PORT_NONE)
		t->k.in_port = rte_cpu_to_be_32(port);
	r = ft_cls_lookup(t->snap->tables[tbl], &t->k, &probed);
	t->k.in_port = saved_port;
	t->depth++;
	if (r != NULL) {
		walk_rule(t, r);
	} else {
		indent(t, 0);
		ft_str_printf(t->s, "%2u. No match.\n", tbl);
		indent(t, 4);
		ft_str_printf(t->s, "drop\n");
	}
	t->depth--;
	t->k.table_id = from->table_id;
}

/* Apply a rewrite to the key; false when the datapath stops the packet there. */
static bool
rewrite(struct trace *t, const struct ft_action *a)
{
	struct ft_key *k = &t->k;
	bool v4 = k->dl_type == rte_cpu_to_be_16(0x0800);
	bool v6 = k->dl_type == rte_cpu_to_be_16(0x86dd);

	switch (a->type) {
	case FT_ACT_SET_DL_SRC:
		memcpy(k->dl_src, a->bytes, 6);
		break;
	case FT_ACT_SET_TUN_ID:
		memcpy(&k->tun_id, a->bytes, 8);
		break;
	case FT_ACT_SET_TUN_SRC:
		k->tun_src = a->u32;
		break;
	case FT_ACT_SET_TUN_DST:
		k->tun_dst = a->u32;
		break;
	case FT_ACT_SET_TUN_IPV6_SRC:
		memcpy(k->tun_ipv6_src, a->bytes, 16);
		break;
	case FT_ACT_SET_TUN_IPV6_DST:
		memcpy(k->tun_ipv6_dst, a->bytes, 16);
		break;
	case FT_ACT_SET_TUN_FLAGS:
		k->tun_flags = rte_cpu_to_be_16(a->u16);
		break;
	case FT_ACT_SET_DL_DST:
		memcpy(k->dl_dst, a->bytes, 6);
		break;
	case FT_ACT_SET_NW_SRC:
		if (v4)
			k->nw_src = a->u32;
		break;
	case FT_ACT_SET_NW_DST:
		if (v4)
			k->nw_dst = a->u32;
		break;
	case FT_ACT_SET_IPV6_SRC:
		if (v6)
			memcpy(k->ipv6_src, a->bytes, 16);
		break;
	case FT_ACT_SET_IPV6_DST:
		if (v6)
			memcpy(k->ipv6_dst, a->bytes, 16);
		break;
	case FT_ACT_SET_NW_TOS:
		if (v4 || v6)
			k->nw_tos = a->u8;
		break;
	case FT_ACT_SET_NW_TTL:
		if (v4 || v6)
			k->nw_ttl = a->u8;
		break;
	case FT_ACT_DEC_TTL:
		if (!(v4 || v6))
			break;
		if (k->nw_ttl <= 1)
			return false;
		k->nw_ttl--;
		break;
	case FT_ACT_SET_TP_SRC:
		k->tp_src = rte_cpu_to_be_16(a->u16);
		break;
	case FT_ACT_SET_TP_DST:
		k->tp_dst = rte_cpu_to_be_16(a->u16);
		break;
	case FT_ACT_SET_TUN_METADATA:
		k->tun_metadata[a->u8 & 1] = a->u32;
		break;
	default:
		return vlan_action(t, a);
	}
	return true;
}

static void
walk_rule(struct trace *t, const struct ft_rule *r)
{
	const struct ft_actions *acts = __atomic_load_n(&r->acts, __ATOMIC_ACQUIRE);
	size_t before;

	indent(t, 0);
	ft_str_printf(t->s, "%2u. ", r->table_id);
	before = t->s->len;
	ft_match_print(t->s, &r->match, FT_DEFAULT_PRIORITY, &t->ft->ports);
	ft_str_printf(t->s, "%spriority %d\n", t->s->len > before ? ", " : "", r->priority);
	if (acts->n == 0) {
		indent(t, 4);
		ft_str_printf(t->s, "drop\n");
	}
	for (uint32_t i = 0; i < acts->n && !t->stop; i++) {
		const struct ft_action *a = &acts->a[i];

		print_one_action(t, a);
		switch (a->type) {
		case FT_ACT_OUTPUT:
			emit(t, FLOWTAB_A_OUTPUT, a->u32);
			break;
		case FT_ACT_IN_PORT:
			emit(t, FLOWTAB_A_IN_PORT, t->in_port);
			break;
		case FT_ACT_NORMAL:
			emit(t, FLOWTAB_A_NORMAL, 0);
			break;
		case FT_ACT_FLOOD:
			emit(t, FLOWTAB_A_FLOOD, 0);
			break;
		case FT_ACT_ALL:
			emit(t, FLOWTAB_A_ALL, 0);
			break;
		case FT_ACT_RESUBMIT:
			trace_resubmit(t, a->u32, a->u8, r);
			break;
		case FT_ACT_GOTO_TABLE:
			trace_resubmit(t, FLOWTAB_PORT_NONE, a->u8, r);
			break;
		case FT_ACT_CONTROLLER:
			trace_charge_output(t);
			break;
		case FT_ACT_GROUP:
			/* Which bucket a select or fast-failover group takes depends on state. */
			indent(t, 5);
			ft_str_printf(t->s, ">> the group's buckets are not traced\n");
			break;
		case FT_ACT_METER:
			break;
		default:
			if (!rewrite(t, a)) {
				indent(t, 5);
				ft_str_printf(t->s, ">> %s: the packet is dropped\n",
					a->type == FT_ACT_DEC_TTL ? "TTL exceeded" :
					"no VLAN header to modify");
				t->stop = true;
			}
			break;
		}
	}
}

int
flowtab_trace(struct flowtab *ft, const char *flow, const struct flowtab_trace_out *out,
		char **text, char **err)
{
	struct ft_str s = { 0 };
	struct ft_rule_spec spec;
	struct trace t = { .ft = ft, .out = out, .s = &s };
	const struct ft_rule *r;
	struct ft_key first;
	uint64_t probed = 0;
	int rc;

	*text = NULL;
	*err = NULL;
	rc = ft_rule_parse(flow, FT_PARSE_MATCH, &ft->ports, &spec, err);
	if (rc < 0)
		return rc;
	ft_rule_spec_clear(&spec);
	if (!spec.match.mask.in_port) {
		*err = strdup("the flow must give in_port");
		return -EINVAL;
	}
	t.k = spec.match.key;
	t.k.table_id = 0;
	t.in_port = rte_be_to_cpu_32(t.k.in_port);
	first = t.k;
	t.snap = __atomic_load_n(&ft->snap, __ATOMIC_ACQUIRE);
	ft_str_printf(&s, "Flow: ");
	print_flow(&t, &t.k);
	ft_str_printf(&s, "\n\nbridge(\"%s\")\n", ft->bridge);
	ft_str_printf(&s, "%.*s\n", (int)strlen(ft->bridge) + 10,
		"----------------------------------------------------------------------"
		"----------------------------------------------------------------------"
		"----------------------------------------------------------------------"
		"----------------------------------------------------------------------");
	r = t.snap != NULL ? ft_cls_lookup(t.snap->tables[0], &t.k, &probed) : NULL;
	if (r != NULL) {
		walk_rule(&t, r);
	} else if (out->no_rules_normal && ft->n_rules == 0) {
		ft_str_printf(&s, " 0. No rules: MAC learning.\n    NORMAL\n");
		emit(&t, FLOWTAB_A_NORMAL, 0);
	} else {
		ft_str_printf(&s, " 0. No match.\n    drop\n");
	}
	ft_str_printf(&s, "\nFinal flow: ");
	t.k.table_id = 0;
	if (ft_key_equal(&t.k, &first))
		ft_str_printf(&s, "unchanged");
	else
		print_flow(&t, &t.k);
	ft_str_printf(&s, "\n");
	if (s.s == NULL) {
		*err = strdup("out of memory");
		return -ENOMEM;
	}
	*text = s.s;
	return 0;
}

static int
ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(const void *const *)a, y = (uintptr_t)*(const void *const *)b;

	return x < y ? -1 : x > y;
}

/*
 * The PMD writes a cache entry's hash, key, tag and rule one after the other while we read,
 * so an entry may be seen half written.  Only entries tagged with the current snapshot are
 * shown, and only when their rule pointer is one of the table's rules now: those cannot be
 * freed while the main thread (the only writer) runs this.  A torn key shows a wrong match
 * at worst; a torn rule pointer is never followed.
 */
int
flowtab_pmd_cache_dump(const struct flowtab_pmd *pmd, struct flowtab *ft, char **out)
{
	const struct ft_snap *snap = __atomic_load_n(&ft->snap, __ATOMIC_ACQUIRE);
	struct ft_str s = { 0 };
	const struct ft_rule **live;

	*out = NULL;
	if (snap == NULL || ft->n_rules == 0) {
		*out = strdup("");
		return *out != NULL ? 0 : -ENOMEM;
	}
	live = malloc(ft->n_rules * sizeof(*live));
	if (live == NULL)
		return -ENOMEM;
	memcpy(live, ft->rules, ft->n_rules * sizeof(*live));
	qsort(live, ft->n_rules, sizeof(*live), ptr_cmp);
	for (unsigned i = 0; i < FT_EMC_SETS * FT_EMC_WAYS; i++) {
		const struct ft_emc_set *set = &pmd->emc->sets[i / FT_EMC_WAYS];
		unsigned way = i % FT_EMC_WAYS;
		uint64_t tag = __atomic_load_n(&set->tag[way], __ATOMIC_ACQUIRE);
		const struct ft_rule *r;
		const struct ft_cls *c;
		struct ft_match m;

		if (tag == 0 || tag >> 8 != snap->gen)
			continue;
		r = __atomic_load_n(&set->rule[way], __ATOMIC_ACQUIRE);
		c = snap->tables[tag & 0xff];
		if (c == NULL || bsearch(&r, live, ft->n_rules, sizeof(*live), ptr_cmp) == NULL)
			continue;
		m.mask = c->cache_mask;
		memcpy(&m.key, &pmd->emc->keys[i], sizeof(m.key));
		for (unsigned w = 0; w < FT_KEY_WORDS; w++)
			m.key.w[w] &= m.mask.w[w];
		m.key.table_id = m.mask.table_id = 0;
		ft_str_printf(&s, "table=%u", (unsigned)(tag & 0xff));
		ft_match_print(&s, &m, FT_DEFAULT_PRIORITY, &ft->ports);
		ft_str_printf(&s, ", rule priority %d, actions:", r->priority);
		ft_actions_print(&s, __atomic_load_n(&r->acts, __ATOMIC_ACQUIRE), &ft->ports);
		ft_str_printf(&s, "\n");
	}
	free(live);
	*out = s.s != NULL ? s.s : strdup("");
	return *out != NULL ? 0 : -ENOMEM;
}
