/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rules as plain structures: the key/mask words and compiled actions of a rule translated
 * into 'struct flowtab_rule_info', so that encoders outside flowtab (openflow/) never see the
 * key layout; and back, a match given as 'struct flowtab_match_info' by their decoders.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ft_fields.h"
#include "ft_value.h"
#include "ft_view.h"

static void
match_fill(const struct ft_match *m, struct flowtab_match_info *o)
{
	const struct ft_key *k = &m->key, *mk = &m->mask;

	memset(o, 0, sizeof(*o));
	o->has_in_port = mk->in_port != 0;
	o->in_port = rte_be_to_cpu_32(k->in_port);
	memcpy(o->dl_src, k->dl_src, 6);
	memcpy(o->dl_src_mask, mk->dl_src, 6);
	memcpy(o->dl_dst, k->dl_dst, 6);
	memcpy(o->dl_dst_mask, mk->dl_dst, 6);
	o->dl_type = rte_be_to_cpu_16(k->dl_type);
	o->dl_type_mask = rte_be_to_cpu_16(mk->dl_type);
	o->vlan_tci = rte_be_to_cpu_16(k->vlan_tci);
	o->vlan_tci_mask = rte_be_to_cpu_16(mk->vlan_tci);
	o->nw_proto = k->nw_proto;
	o->nw_proto_mask = mk->nw_proto;
	o->nw_tos = k->nw_tos;
	o->nw_tos_mask = mk->nw_tos;
	o->nw_ttl = k->nw_ttl;
	o->nw_ttl_mask = mk->nw_ttl;
	o->tp_src = rte_be_to_cpu_16(k->tp_src);
	o->tp_src_mask = rte_be_to_cpu_16(mk->tp_src);
	o->tp_dst = rte_be_to_cpu_16(k->tp_dst);
	o->tp_dst_mask = rte_be_to_cpu_16(mk->tp_dst);
	o->tcp_flags = rte_be_to_cpu_16(k->tcp_flags);
	o->tcp_flags_mask = rte_be_to_cpu_16(mk->tcp_flags);
	memcpy(o->tun_id, &k->tun_id, 8);
	memcpy(o->tun_id_mask, &mk->tun_id, 8);
	o->tun_src = k->tun_src;
	o->tun_src_mask = mk->tun_src;
	o->tun_dst = k->tun_dst;
	o->tun_dst_mask = mk->tun_dst;
	o->tun_gtpu_flags = k->tun_gtpu_flags;
	o->tun_gtpu_flags_mask = mk->tun_gtpu_flags;
	o->tun_gtpu_msgtype = k->tun_gtpu_msgtype;
	o->tun_gtpu_msgtype_mask = mk->tun_gtpu_msgtype;
	o->tun_flags = rte_be_to_cpu_16(k->tun_flags);
	o->tun_flags_mask = rte_be_to_cpu_16(mk->tun_flags);
	memcpy(o->tun_metadata, k->tun_metadata, sizeof(o->tun_metadata));
	memcpy(o->tun_metadata_mask, mk->tun_metadata, sizeof(o->tun_metadata_mask));
	memcpy(o->tun_ipv6_src, k->tun_ipv6_src, 16);
	memcpy(o->tun_ipv6_src_mask, mk->tun_ipv6_src, 16);
	memcpy(o->tun_ipv6_dst, k->tun_ipv6_dst, 16);
	memcpy(o->tun_ipv6_dst_mask, mk->tun_ipv6_dst, 16);
	/* The IPv4/ARP and IPv6 addresses share the key's words: the rule's dl_type says which. */
	if (o->dl_type_mask == 0xffff && o->dl_type == 0x86dd) {
		memcpy(o->ipv6_src, k->ipv6_src, 16);
		memcpy(o->ipv6_src_mask, mk->ipv6_src, 16);
		memcpy(o->ipv6_dst, k->ipv6_dst, 16);
		memcpy(o->ipv6_dst_mask, mk->ipv6_dst, 16);
	} else {
		o->nw_src = k->nw_src;
		o->nw_src_mask = mk->nw_src;
		o->nw_dst = k->nw_dst;
		o->nw_dst_mask = mk->nw_dst;
	}
}

static const uint8_t kinds[FT_ACT__N] = {
	[FT_ACT_OUTPUT] = FLOWTAB_A_OUTPUT,
	[FT_ACT_NORMAL] = FLOWTAB_A_NORMAL,
	[FT_ACT_FLOOD] = FLOWTAB_A_FLOOD,
	[FT_ACT_ALL] = FLOWTAB_A_ALL,
	[FT_ACT_IN_PORT] = FLOWTAB_A_IN_PORT,
	[FT_ACT_SET_DL_SRC] = FLOWTAB_A_SET_ETH_SRC,
	[FT_ACT_SET_DL_DST] = FLOWTAB_A_SET_ETH_DST,
	[FT_ACT_SET_NW_SRC] = FLOWTAB_A_SET_IPV4_SRC,
	[FT_ACT_SET_NW_DST] = FLOWTAB_A_SET_IPV4_DST,
	[FT_ACT_SET_NW_TOS] = FLOWTAB_A_SET_IP_TOS,
	[FT_ACT_SET_NW_TTL] = FLOWTAB_A_SET_IP_TTL,
	[FT_ACT_SET_TP_SRC] = FLOWTAB_A_SET_TP_SRC,
	[FT_ACT_SET_TP_DST] = FLOWTAB_A_SET_TP_DST,
	[FT_ACT_SET_IPV6_SRC] = FLOWTAB_A_SET_IPV6_SRC,
	[FT_ACT_SET_IPV6_DST] = FLOWTAB_A_SET_IPV6_DST,
	[FT_ACT_SET_VLAN_VID] = FLOWTAB_A_SET_VLAN_VID,
	[FT_ACT_SET_VLAN_PCP] = FLOWTAB_A_SET_VLAN_PCP,
	[FT_ACT_SET_TUN_METADATA] = FLOWTAB_A_SET_TUN_METADATA,
	[FT_ACT_PUSH_VLAN] = FLOWTAB_A_PUSH_VLAN,
	[FT_ACT_STRIP_VLAN] = FLOWTAB_A_POP_VLAN,
	[FT_ACT_DEC_TTL] = FLOWTAB_A_DEC_TTL,
	[FT_ACT_RESUBMIT] = FLOWTAB_A_RESUBMIT,
	[FT_ACT_GOTO_TABLE] = FLOWTAB_A_GOTO_TABLE,
	[FT_ACT_CONTROLLER] = FLOWTAB_A_CONTROLLER,
	[FT_ACT_GROUP] = FLOWTAB_A_GROUP,
	[FT_ACT_METER] = FLOWTAB_A_METER,
	[FT_ACT_SET_TUN_ID] = FLOWTAB_A_SET_TUN_ID,
	[FT_ACT_SET_TUN_SRC] = FLOWTAB_A_SET_TUN_SRC,
	[FT_ACT_SET_TUN_DST] = FLOWTAB_A_SET_TUN_DST,
	[FT_ACT_SET_TUN_IPV6_SRC] = FLOWTAB_A_SET_TUN_IPV6_SRC,
	[FT_ACT_SET_TUN_IPV6_DST] = FLOWTAB_A_SET_TUN_IPV6_DST,
	[FT_ACT_SET_TUN_FLAGS] = FLOWTAB_A_SET_TUN_FLAGS,
};

void
ft_actions_info_fill(const struct ft_actions *a, struct flowtab_action_info *acts, unsigned *n)
{
	uint32_t i;

	for (i = 0; i < a->n && i < FT_MAX_ACTIONS; i++) {
		const struct ft_action *x = &a->a[i];
		struct flowtab_action_info *o = &acts[i];

		memset(o, 0, sizeof(*o));
		o->kind = (enum flowtab_action_kind)kinds[x->type < FT_ACT__N ? x->type : 0];
		o->port = x->u32;
		o->ipv4 = x->u32;
		o->u16 = x->u16;
		o->u8 = x->u8;
		o->table = x->u8;
		o->set_field = (x->flags & FT_ACTF_SET_FIELD) != 0;
		memcpy(o->bytes, x->bytes, sizeof(o->bytes));
	}
	*n = i;
}

void
ft_rule_info_fill(const struct ft_rule *r, uint64_t now, uint64_t packets, uint64_t bytes,
		struct flowtab_rule_info *info, struct flowtab_action_info *acts)
{
	memset(info, 0, sizeof(*info));
	info->table_id = r->table_id;
	info->priority = (uint16_t)r->priority;
	info->idle_timeout = r->idle_timeout;
	info->hard_timeout = r->hard_timeout;
	info->send_flow_rem = r->send_flow_rem;
	info->cookie = r->cookie;
	info->duration_ms = now - r->created_ms;
	info->idle_ms = now - r->used_ms;
	info->packets = packets;
	info->bytes = bytes;
	match_fill(&r->match, &info->match);
	ft_actions_info_fill(r->acts, acts, &info->n_actions);
	info->actions = acts;
}

static bool
bytes_zero(const uint8_t *p, unsigned n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* The field 'name' of a rule's text, when 'present' in 'm': is its prerequisite there? */
static int
prereq_check(const struct ft_match *m, bool present, const char *name, char **err)
{
	const struct ft_field *f = present ? ft_field_find(name) : NULL;

	if (!f || ft_field_prereq_ok(m, f->prereq))
		return 0;
	*err = ft_field_error(f->name, "needs %s in the match", ft_prereq_name(f->prereq));
	return -EINVAL;
}

/*
 * The prerequisites of the fields of 'o' that have them, each field named as in a rule's
 * text given 'm''s dl_type and exact nw_proto (arp_spa for nw_src of an ARP rule, icmp_type
 * for tp_src of an ICMP one...): the name says which prerequisite holds.
 */
static int
info_prereqs_check(const struct flowtab_match_info *o, const struct ft_match *m, char **err)
{
	bool arp = o->dl_type_mask == 0xffff && o->dl_type == 0x0806;
	bool icmp = o->nw_proto_mask == 0xff && (o->nw_proto == 1 || o->nw_proto == 58);

	if (prereq_check(m, o->nw_src_mask != 0, arp ? "arp_spa" : "nw_src", err) ||
	    prereq_check(m, o->nw_dst_mask != 0, arp ? "arp_tpa" : "nw_dst", err) ||
	    prereq_check(m, o->nw_proto_mask != 0, arp ? "arp_op" : "nw_proto", err) ||
	    prereq_check(m, o->nw_tos_mask != 0, "nw_tos", err) ||
	    prereq_check(m, o->nw_ttl_mask != 0, "nw_ttl", err) ||
	    prereq_check(m, o->tp_src_mask != 0, icmp ? "icmp_type" : "tp_src", err) ||
	    prereq_check(m, o->tp_dst_mask != 0, icmp ? "icmp_code" : "tp_dst", err) ||
	    prereq_check(m, o->tcp_flags_mask != 0, "tcp_flags", err) ||
	    prereq_check(m, !bytes_zero(o->ipv6_src_mask, 16), "ipv6_src", err) ||
	    prereq_check(m, !bytes_zero(o->ipv6_dst_mask, 16), "ipv6_dst", err))
		return -EINVAL;
	return 0;
}

int
ft_match_from_info(const struct flowtab_match_info *o, struct ft_match *m, char **err)
{
	struct ft_key *k = &m->key, *mk = &m->mask;
	unsigned i;

	memset(m, 0, sizeof(*m));
	*err = NULL;
	if (o->has_in_port) {
		k->in_port = rte_cpu_to_be_32(o->in_port);
		mk->in_port = UINT32_MAX;
	}
	memcpy(k->dl_src, o->dl_src, 6);
	memcpy(mk->dl_src, o->dl_src_mask, 6);
	memcpy(k->dl_dst, o->dl_dst, 6);
	memcpy(mk->dl_dst, o->dl_dst_mask, 6);
	k->dl_type = rte_cpu_to_be_16(o->dl_type);
	mk->dl_type = rte_cpu_to_be_16(o->dl_type_mask);
	k->vlan_tci = rte_cpu_to_be_16(o->vlan_tci);
	mk->vlan_tci = rte_cpu_to_be_16(o->vlan_tci_mask);
	k->nw_proto = o->nw_proto;
	mk->nw_proto = o->nw_proto_mask;
	k->nw_tos = o->nw_tos;
	mk->nw_tos = o->nw_tos_mask;
	k->nw_ttl = o->nw_ttl;
	mk->nw_ttl = o->nw_ttl_mask;
	k->tp_src = rte_cpu_to_be_16(o->tp_src);
	mk->tp_src = rte_cpu_to_be_16(o->tp_src_mask);
	k->tp_dst = rte_cpu_to_be_16(o->tp_dst);
	mk->tp_dst = rte_cpu_to_be_16(o->tp_dst_mask);
	k->tcp_flags = rte_cpu_to_be_16(o->tcp_flags);
	mk->tcp_flags = rte_cpu_to_be_16(o->tcp_flags_mask);
	memcpy(&k->tun_id, o->tun_id, 8);
	memcpy(&mk->tun_id, o->tun_id_mask, 8);
	k->tun_src = o->tun_src;
	mk->tun_src = o->tun_src_mask;
	k->tun_dst = o->tun_dst;
	mk->tun_dst = o->tun_dst_mask;
	k->tun_gtpu_flags = o->tun_gtpu_flags;
	mk->tun_gtpu_flags = o->tun_gtpu_flags_mask;
	k->tun_gtpu_msgtype = o->tun_gtpu_msgtype;
	mk->tun_gtpu_msgtype = o->tun_gtpu_msgtype_mask;
	k->tun_flags = rte_cpu_to_be_16(o->tun_flags);
	mk->tun_flags = rte_cpu_to_be_16(o->tun_flags_mask);
	memcpy(k->tun_metadata, o->tun_metadata, sizeof(k->tun_metadata));
	memcpy(mk->tun_metadata, o->tun_metadata_mask, sizeof(mk->tun_metadata));
	memcpy(k->tun_ipv6_src, o->tun_ipv6_src, 16);
	memcpy(mk->tun_ipv6_src, o->tun_ipv6_src_mask, 16);
	memcpy(k->tun_ipv6_dst, o->tun_ipv6_dst, 16);
	memcpy(mk->tun_ipv6_dst, o->tun_ipv6_dst_mask, 16);
	/* The IPv4/ARP and IPv6 addresses share words: the prerequisites below refuse a match
	 * that gives the family its dl_type does not have. */
	if (o->dl_type_mask == 0xffff && o->dl_type == 0x86dd) {
		memcpy(k->ipv6_src, o->ipv6_src, 16);
		memcpy(mk->ipv6_src, o->ipv6_src_mask, 16);
		memcpy(k->ipv6_dst, o->ipv6_dst, 16);
		memcpy(mk->ipv6_dst, o->ipv6_dst_mask, 16);
	} else {
		k->nw_src = o->nw_src;
		mk->nw_src = o->nw_src_mask;
		k->nw_dst = o->nw_dst;
		mk->nw_dst = o->nw_dst_mask;
	}
	for (i = 0; i < FT_KEY_WORDS; i++)
		k->w[i] &= mk->w[i];
	return info_prereqs_check(o, m, err);
}

int
flowtab_match_text(const struct flowtab_match_info *info, char **text, char **err)
{
	struct ft_str s = { 0 };
	struct ft_match m;

	*text = NULL;
	if (ft_match_from_info(info, &m, err))
		return -EINVAL;
	ft_match_print(&s, &m, FT_DEFAULT_PRIORITY, NULL);
	/* A text missing an item would select more rules than asked: nothing instead. */
	if (s.oom || (!s.s && !(s.s = strdup("")))) {
		free(s.s);
		return -ENOMEM;
	}
	*text = s.s;
	return 0;
}
