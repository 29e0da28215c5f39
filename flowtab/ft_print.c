/* SPDX-License-Identifier: BSD-3-Clause */
/* The rule printer: the inverse of ft_parse.c, in the form ovs-ofctl dump-flows prints. */

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ft_rule.h"

const char *ft_set_field_name(uint8_t type);

void
ft_str_printf(struct ft_str *s, const char *fmt, ...)
{
	va_list ap;
	size_t need;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		s->oom = true;
		return;
	}
	need = s->len + (size_t)n + 1;
	if (need > s->cap) {
		size_t cap = s->cap ? s->cap : 256;

		while (cap < need)
			cap *= 2;
		p = realloc(s->s, cap);
		if (!p) {
			s->oom = true;
			return;
		}
		s->s = p;
		s->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(s->s + s->len, s->cap - s->len, fmt, ap);
	va_end(ap);
	s->len += (size_t)n;
}

static void
sep(struct ft_str *s)
{
	if (s->len && s->s[s->len - 1] != ' ' && s->s[s->len - 1] != ',')
		ft_str_printf(s, ",");
}

void
ft_port_print(struct ft_str *s, uint32_t port, const struct flowtab_port_ops *ports)
{
	const char *name = NULL;

	if (port == FLOWTAB_OFPP_LOCAL) {
		ft_str_printf(s, "LOCAL");
		return;
	}
	if (ports && ports->name)
		name = ports->name(ports->aux, port);
	if (name)
		ft_str_printf(s, "%s", name);
	else
		ft_str_printf(s, "%u", port);
}

static uint64_t
get_be(const void *p, unsigned len)
{
	const uint8_t *b = p;
	uint64_t v = 0;

	while (len--)
		v = v << 8 | *b++;
	return v;
}

static void
print_num_full(struct ft_str *s, const char *name, const void *val, const void *mask,
		unsigned len, bool hex, uint64_t full)
{
	uint64_t v = get_be(val, len), m = get_be(mask, len);

	if (!m)
		return;
	sep(s);
	if (m == full)
		ft_str_printf(s, hex ? "%s=0x%" PRIx64 : "%s=%" PRIu64, name, v);
	else
		ft_str_printf(s, "%s=0x%" PRIx64 "/0x%" PRIx64, name, v, m);
}

static void
print_mac(struct ft_str *s, const char *name, const uint8_t *v, const uint8_t *m)
{
	static const uint8_t full[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t zero[6];

	if (!memcmp(m, zero, 6))
		return;
	sep(s);
	ft_str_printf(s, "%s=%02x:%02x:%02x:%02x:%02x:%02x", name, v[0], v[1], v[2], v[3], v[4],
			v[5]);
	if (memcmp(m, full, 6))
		ft_str_printf(s, "/%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
				m[5]);
}

static void
print_num(struct ft_str *s, const char *name, const void *val, const void *mask, unsigned len,
		bool hex)
{
	print_num_full(s, name, val, mask, len, hex, (1ull << (8 * len)) - 1);
}

/* Prefix length of a mask of 'len' bytes, or -1 when it is not a prefix. */
static int
prefix_len(const uint8_t *m, unsigned len)
{
	unsigned i, n = 0;
	bool done = false;
	int b;

	for (i = 0; i < len; i++) {
		for (b = 7; b >= 0; b--) {
			if (m[i] & (1u << b)) {
				if (done)
					return -1;
				n++;
			} else {
				done = true;
			}
		}
	}
	return (int)n;
}

static void
print_ip(struct ft_str *s, const char *name, const uint8_t *v, const uint8_t *m, unsigned len)
{
	char a[INET6_ADDRSTRLEN];
	int af = len == 4 ? AF_INET : AF_INET6, plen = prefix_len(m, len);

	if (plen == 0)
		return;
	sep(s);
	inet_ntop(af, v, a, sizeof(a));
	ft_str_printf(s, "%s=%s", name, a);
	if (plen == (int)len * 8)
		return;
	if (plen > 0) {
		ft_str_printf(s, "/%d", plen);
	} else {
		inet_ntop(af, m, a, sizeof(a));
		ft_str_printf(s, "/%s", a);
	}
}

static void
print_vlan(struct ft_str *s, const struct ft_match *m)
{
	uint16_t v = rte_be_to_cpu_16(m->key.vlan_tci), mk = rte_be_to_cpu_16(m->mask.vlan_tci);

	if (!mk)
		return;
	sep(s);
	if (mk == 0x1fff && !v)
		ft_str_printf(s, "dl_vlan=0xffff");
	else if (mk == 0x1fff && (v & FT_VLAN_CFI))
		ft_str_printf(s, "dl_vlan=%u", v & 0xfff);
	else if (mk == (0xe000 | FT_VLAN_CFI) && (v & FT_VLAN_CFI))
		ft_str_printf(s, "dl_vlan_pcp=%u", v >> 13);
	else if (mk == 0xffff)
		ft_str_printf(s, "vlan_tci=0x%04x", v);
	else
		ft_str_printf(s, "vlan_tci=0x%04x/0x%04x", v, mk);
}

static const struct {
	const char *name;
	uint16_t dl_type;
	uint8_t nw_proto;
} shorthands[] = {
	{ "tcp", 0x0800, 6 }, { "udp", 0x0800, 17 }, { "sctp", 0x0800, 132 },
	{ "icmp", 0x0800, 1 }, { "tcp6", 0x86dd, 6 }, { "udp6", 0x86dd, 17 },
	{ "sctp6", 0x86dd, 132 }, { "icmp6", 0x86dd, 58 },
};

void
ft_match_print(struct ft_str *s, const struct ft_match *m, int32_t priority,
		const struct flowtab_port_ops *ports)
{
	const struct ft_key *k = &m->key, *mk = &m->mask;
	uint16_t t = mk->dl_type ? rte_be_to_cpu_16(k->dl_type) : 0;
	bool proto_done = false, icmp = false;
	unsigned i;

	if (priority != FT_DEFAULT_PRIORITY) {
		sep(s);
		ft_str_printf(s, "priority=%d", priority);
	}
	if (mk->dl_type) {
		const char *sh = t == 0x0800 ? "ip" : t == 0x86dd ? "ipv6" : t == 0x0806 ? "arp" : NULL;

		for (i = 0; sh && mk->nw_proto == 0xff && i < RTE_DIM(shorthands); i++) {
			if (shorthands[i].dl_type == t && shorthands[i].nw_proto == k->nw_proto) {
				sh = shorthands[i].name;
				proto_done = true;
			}
		}
		if (sh) {
			sep(s);
			ft_str_printf(s, "%s", sh);
		} else {
			print_num(s, "dl_type", &k->dl_type, &mk->dl_type, 2, true);
		}
	}
	/* Tunnel metadata before in_port, as Open vSwitch prints a match. */
	print_num_full(s, "tun_id", &k->tun_id, &mk->tun_id, 8, true, UINT64_MAX);
	print_ip(s, "tun_src", (const uint8_t *)&k->tun_src, (const uint8_t *)&mk->tun_src, 4);
	print_ip(s, "tun_dst", (const uint8_t *)&k->tun_dst, (const uint8_t *)&mk->tun_dst, 4);
	print_ip(s, "tun_ipv6_src", k->tun_ipv6_src, mk->tun_ipv6_src, 16);
	print_ip(s, "tun_ipv6_dst", k->tun_ipv6_dst, mk->tun_ipv6_dst, 16);
	print_num(s, "tun_gtpu_flags", &k->tun_gtpu_flags, &mk->tun_gtpu_flags, 1, true);
	print_num(s, "tun_gtpu_msgtype", &k->tun_gtpu_msgtype, &mk->tun_gtpu_msgtype, 1, false);
	if (mk->tun_flags) {		/* as ovs-ofctl 3.1 prints it */
		sep(s);
		ft_str_printf(s, "tun_flags=%soam", k->tun_flags ? "+" : "-");
	}
	print_num(s, "tun_metadata0", &k->tun_metadata[0], &mk->tun_metadata[0], 4, true);
	print_num(s, "tun_metadata1", &k->tun_metadata[1], &mk->tun_metadata[1], 4, true);
	if (mk->in_port) {
		sep(s);
		ft_str_printf(s, "in_port=");
		ft_port_print(s, rte_be_to_cpu_32(k->in_port), ports);
	}
	print_vlan(s, m);
	print_mac(s, "dl_src", k->dl_src, mk->dl_src);
	print_mac(s, "dl_dst", k->dl_dst, mk->dl_dst);
	if (t == 0x0806) {
		print_ip(s, "arp_spa", (const uint8_t *)&k->nw_src, (const uint8_t *)&mk->nw_src, 4);
		print_ip(s, "arp_tpa", (const uint8_t *)&k->nw_dst, (const uint8_t *)&mk->nw_dst, 4);
		print_num(s, "arp_op", &k->nw_proto, &mk->nw_proto, 1, false);
		return;
	}
	if (t == 0x86dd) {
		print_ip(s, "ipv6_src", k->ipv6_src, mk->ipv6_src, 16);
		print_ip(s, "ipv6_dst", k->ipv6_dst, mk->ipv6_dst, 16);
	} else {
		print_ip(s, "nw_src", (const uint8_t *)&k->nw_src, (const uint8_t *)&mk->nw_src, 4);
		print_ip(s, "nw_dst", (const uint8_t *)&k->nw_dst, (const uint8_t *)&mk->nw_dst, 4);
	}
	if (!proto_done)
		print_num(s, "nw_proto", &k->nw_proto, &mk->nw_proto, 1, false);
	if (mk->nw_tos) {
		sep(s);
		ft_str_printf(s, "nw_tos=%u", k->nw_tos);
	}
	print_num(s, "nw_ttl", &k->nw_ttl, &mk->nw_ttl, 1, false);
	icmp = mk->nw_proto == 0xff && (k->nw_proto == 1 || k->nw_proto == 58);
	if (icmp) {
		print_num(s, "icmp_type", &k->tp_src, &mk->tp_src, 2, false);
		print_num(s, "icmp_code", &k->tp_dst, &mk->tp_dst, 2, false);
	} else {
		print_num(s, "tp_src", &k->tp_src, &mk->tp_src, 2, false);
		print_num(s, "tp_dst", &k->tp_dst, &mk->tp_dst, 2, false);
	}
	print_num_full(s, "tcp_flags", &k->tcp_flags, &mk->tcp_flags, 2, true, 0xfff);
}

static void
print_set(struct ft_str *s, const struct ft_action *a, const char *mod_name, const char *val)
{
	if (a->flags & FT_ACTF_SET_FIELD)
		ft_str_printf(s, "set_field:%s->%s", val, ft_set_field_name(a->type));
	else
		ft_str_printf(s, "%s:%s", mod_name, val);
}

static void
print_action(struct ft_str *s, const struct ft_action *a, const struct flowtab_port_ops *ports)
{
	char v[INET6_ADDRSTRLEN + 8];

	switch (a->type) {
	case FT_ACT_OUTPUT:
		ft_str_printf(s, "output:");
		ft_port_print(s, a->u32, ports);
		return;
	case FT_ACT_NORMAL:
		ft_str_printf(s, "NORMAL");
		return;
	case FT_ACT_FLOOD:
		ft_str_printf(s, "FLOOD");
		return;
	case FT_ACT_ALL:
		ft_str_printf(s, "ALL");
		return;
	case FT_ACT_IN_PORT:
		ft_str_printf(s, "IN_PORT");
		return;
	case FT_ACT_CONTROLLER:
		ft_str_printf(s, "CONTROLLER:%u", a->u16);
		return;
	case FT_ACT_STRIP_VLAN:
		ft_str_printf(s, "strip_vlan");
		return;
	case FT_ACT_DEC_TTL:
		ft_str_printf(s, "dec_ttl");
		return;
	case FT_ACT_PUSH_VLAN:
		ft_str_printf(s, "push_vlan:0x%04x", a->u16);
		return;
	case FT_ACT_GOTO_TABLE:
		ft_str_printf(s, "goto_table:%u", a->u8);
		return;
	case FT_ACT_GROUP:
		ft_str_printf(s, "group:%u", a->u32);
		return;
	case FT_ACT_METER:
		ft_str_printf(s, "meter:%u", a->u32);
		return;
	case FT_ACT_RESUBMIT:
		if (a->u8 == 0xff) {
			ft_str_printf(s, "resubmit:");
			ft_port_print(s, a->u32, ports);
			return;
		}
		ft_str_printf(s, "resubmit(");
		if (a->u32 != FLOWTAB_PORT_NONE)
			ft_port_print(s, a->u32, ports);
		ft_str_printf(s, ",%u)", a->u8);
		return;
	case FT_ACT_SET_DL_SRC:
	case FT_ACT_SET_DL_DST:
		snprintf(v, sizeof(v), "%02x:%02x:%02x:%02x:%02x:%02x", a->bytes[0], a->bytes[1],
				a->bytes[2], a->bytes[3], a->bytes[4], a->bytes[5]);
		print_set(s, a, a->type == FT_ACT_SET_DL_SRC ? "mod_dl_src" : "mod_dl_dst", v);
		return;
	case FT_ACT_SET_NW_SRC:
	case FT_ACT_SET_NW_DST:
		inet_ntop(AF_INET, &a->u32, v, sizeof(v));
		print_set(s, a, a->type == FT_ACT_SET_NW_SRC ? "mod_nw_src" : "mod_nw_dst", v);
		return;
	case FT_ACT_SET_IPV6_SRC:
	case FT_ACT_SET_IPV6_DST:
		inet_ntop(AF_INET6, a->bytes, v, sizeof(v));
		ft_str_printf(s, "set_field:%s->%s", v, ft_set_field_name(a->type));
		return;
	case FT_ACT_SET_NW_TOS:
		snprintf(v, sizeof(v), "%u", (a->flags & FT_ACTF_SET_FIELD) ? a->u8 >> 2 : a->u8);
		print_set(s, a, "mod_nw_tos", v);
		return;
	case FT_ACT_SET_NW_TTL:
		snprintf(v, sizeof(v), "%u", a->u8);
		print_set(s, a, "mod_nw_ttl", v);
		return;
	case FT_ACT_SET_TP_SRC:
	case FT_ACT_SET_TP_DST:
		snprintf(v, sizeof(v), "%u", a->u16);
		print_set(s, a, a->type == FT_ACT_SET_TP_SRC ? "mod_tp_src" : "mod_tp_dst", v);
		return;
	case FT_ACT_SET_VLAN_VID:
		snprintf(v, sizeof(v), "%u", a->u16);
		print_set(s, a, "mod_vlan_vid", v);
		return;
	case FT_ACT_SET_VLAN_PCP:
		snprintf(v, sizeof(v), "%u", a->u8);
		print_set(s, a, "mod_vlan_pcp", v);
		return;
	case FT_ACT_SET_TUN_ID: {
		uint64_t id;

		memcpy(&id, a->bytes, 8);
		snprintf(v, sizeof(v), "%#" PRIx64, rte_be_to_cpu_64(id));
		print_set(s, a, "set_tunnel", v);
		return;
	}
	case FT_ACT_SET_TUN_METADATA:
		ft_str_printf(s, "set_field:0x%x->tun_metadata%u", rte_be_to_cpu_32(a->u32), a->u8);
		return;
	case FT_ACT_SET_TUN_SRC:
	case FT_ACT_SET_TUN_DST:
		inet_ntop(AF_INET, &a->u32, v, sizeof(v));
		ft_str_printf(s, "set_field:%s->%s", v, ft_set_field_name(a->type));
		return;
	case FT_ACT_SET_TUN_IPV6_SRC:
	case FT_ACT_SET_TUN_IPV6_DST:
		inet_ntop(AF_INET6, a->bytes, v, sizeof(v));
		ft_str_printf(s, "set_field:%s->%s", v, ft_set_field_name(a->type));
		return;
	case FT_ACT_SET_TUN_FLAGS:		/* as Open vSwitch: the flag's name, or 0 */
		ft_str_printf(s, "set_field:%s->tun_flags", a->u16 ? "oam" : "0");
		return;
	default:
		ft_str_printf(s, "unknown");
		return;
	}
}

void
ft_actions_print(struct ft_str *s, const struct ft_actions *a, const struct flowtab_port_ops *ports)
{
	uint32_t i;

	if (!a->n) {
		ft_str_printf(s, "drop");
		return;
	}
	for (i = 0; i < a->n; i++) {
		if (i)
			ft_str_printf(s, ",");
		print_action(s, &a->a[i], ports);
	}
}
