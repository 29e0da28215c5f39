/* SPDX-License-Identifier: BSD-3-Clause */
/* The rule parser: ovs-ofctl "field=value,...,actions=..." text into a 'struct ft_rule_spec'. */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flowtab_gm.h"
#include "ft_fields.h"
#include "ft_rule.h"
#include "ft_value.h"
#include "ft_view.h"

struct shorthand {
	const char *name;
	uint16_t dl_type;
	int nw_proto;   /* -1: none */
};

static const struct shorthand shorthands[] = {
	{ "ip", 0x0800, -1 },
	{ "ipv6", 0x86dd, -1 },
	{ "arp", 0x0806, -1 },
	{ "tcp", 0x0800, 6 },
	{ "udp", 0x0800, 17 },
	{ "sctp", 0x0800, 132 },
	{ "icmp", 0x0800, 1 },
	{ "tcp6", 0x86dd, 6 },
	{ "udp6", 0x86dd, 17 },
	{ "sctp6", 0x86dd, 132 },
	{ "icmp6", 0x86dd, 58 },
};

static const struct {
	const char *name;
	uint16_t bit;
} tcp_flag_names[] = {
	{ "fin", 0x001 }, { "syn", 0x002 }, { "rst", 0x004 }, { "psh", 0x008 },
	{ "ack", 0x010 }, { "urg", 0x020 }, { "ece", 0x040 }, { "cwr", 0x080 },
	{ "ns", 0x100 },
};

/* Merge 'len' bytes of value/mask at 'ofs' into 'm'; -EEXIST when they contradict. */
static int
merge(struct ft_match *m, unsigned ofs, const uint8_t *val, const uint8_t *mask, unsigned len)
{
	uint8_t *k = (uint8_t *)&m->key + ofs, *mk = (uint8_t *)&m->mask + ofs;
	unsigned i;

	for (i = 0; i < len; i++)
		if ((k[i] ^ val[i]) & mk[i] & mask[i])
			return -EEXIST;
	for (i = 0; i < len; i++) {
		mk[i] |= mask[i];
		k[i] = (uint8_t)((k[i] | (val[i] & mask[i])) & mk[i]);
	}
	return 0;
}

static void
put_be(uint8_t *p, uint64_t v, unsigned len)
{
	while (len--) {
		p[len] = (uint8_t)v;
		v >>= 8;
	}
}

static int
prefix_mask(const char *s, unsigned bits, uint8_t *mask)
{
	uint64_t n;
	unsigned i;

	if (ft_parse_uint(s, bits, &n))
		return -EINVAL;
	memset(mask, 0, bits / 8);
	for (i = 0; i < n; i++)
		mask[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	return 0;
}

static int
parse_tcp_flags(const char *s, uint8_t *val, uint8_t *mask)
{
	uint16_t v = 0, mk = 0;
	unsigned i;

	while (*s) {
		char sign = *s++;
		size_t n = strcspn(s, "+-");
		bool found = false;

		if (sign != '+' && sign != '-')
			return -EINVAL;
		for (i = 0; i < RTE_DIM(tcp_flag_names); i++) {
			if (strlen(tcp_flag_names[i].name) == n &&
			    !strncmp(s, tcp_flag_names[i].name, n)) {
				mk |= tcp_flag_names[i].bit;
				if (sign == '+')
					v |= tcp_flag_names[i].bit;
				found = true;
			}
		}
		if (!found)
			return -EINVAL;
		s += n;
	}
	put_be(val, v, 2);
	put_be(mask, mk, 2);
	return 0;
}

/* Parse 'value' of field 'f' into 'val'/'mask' (f->len bytes); returns a reason or NULL. */
static const char *
parse_field_value(const struct ft_field *f, char *value, const struct flowtab_port_ops *ports,
		uint8_t *val, uint8_t *mask)
{
	char *slash = strchr(value, '/');
	const char *why = NULL;
	uint64_t v, mv;
	uint32_t a32;

	if (slash && !f->maskable)
		return "this field takes no mask";
	if (slash)
		*slash++ = '\0';
	memset(mask, 0xff, f->len);
	switch (f->kind) {
	case FT_FK_NUM:
		if (ft_parse_uint(value, f->len == 1 ? 0xff : f->len == 2 ? 0xffff :
				f->len == 4 ? 0xffffffff : UINT64_MAX, &v))
			return f->len == 1 ? "expected a number 0..255" : f->len == 2 ?
				"expected a number 0..65535" : "expected a number";
		put_be(val, v, f->len);
		if (slash) {
			if (ft_parse_uint(slash, f->len == 1 ? 0xff : f->len == 2 ? 0xffff :
					f->len == 4 ? 0xffffffff : UINT64_MAX, &mv))
				return "bad mask";
			put_be(mask, mv, f->len);
		}
		return NULL;
	case FT_FK_PORT:
		if (ft_parse_port(value, ports, &a32, &why))
			return why;
		put_be(val, a32, 4);
		return NULL;
	case FT_FK_MAC:
		if (ft_parse_mac(value, val))
			return "expected a MAC address xx:xx:xx:xx:xx:xx";
		if (slash && ft_parse_mac(slash, mask))
			return "bad MAC mask";
		return NULL;
	case FT_FK_IPV4:
		if (ft_parse_ipv4(value, &a32))
			return "expected an IPv4 address a.b.c.d";
		memcpy(val, &a32, 4);
		if (slash) {
			if (strchr(slash, '.')) {
				if (ft_parse_ipv4(slash, &a32))
					return "bad IPv4 mask";
				memcpy(mask, &a32, 4);
			} else if (prefix_mask(slash, 32, mask)) {
				return "prefix length must be 0..32";
			}
		}
		return NULL;
	case FT_FK_IPV6:
		if (ft_parse_ipv6(value, val))
			return "expected an IPv6 address";
		if (slash) {
			if (strchr(slash, ':')) {
				if (ft_parse_ipv6(slash, mask))
					return "bad IPv6 mask";
			} else if (prefix_mask(slash, 128, mask)) {
				return "prefix length must be 0..128";
			}
		}
		return NULL;
	case FT_FK_VLAN_VID:
		if (ft_parse_uint(value, 0xffff, &v) || (v > 4095 && v != 0xffff))
			return "expected a VLAN id 0..4095 (or 0xffff for no VLAN)";
		put_be(val, v == 0xffff ? 0 : (v | FT_VLAN_CFI), 2);
		put_be(mask, 0x1fff, 2);
		return NULL;
	case FT_FK_VLAN_PCP:
		if (ft_parse_uint(value, 7, &v))
			return "expected a priority 0..7";
		put_be(val, v << 13 | FT_VLAN_CFI, 2);
		put_be(mask, 0xe000 | FT_VLAN_CFI, 2);
		return NULL;
	case FT_FK_TOS:
		if (ft_parse_uint(value, 255, &v) || (v & 3))
			return "expected a TOS value 0..255 with the two ECN bits zero";
		val[0] = (uint8_t)v;
		mask[0] = 0xfc;
		return NULL;
	case FT_FK_DSCP:
		if (ft_parse_uint(value, 63, &v))
			return "expected a DSCP value 0..63";
		val[0] = (uint8_t)(v << 2);
		mask[0] = 0xfc;
		return NULL;
	case FT_FK_BYTE16:
		if (ft_parse_uint(value, 255, &v))
			return "expected a number 0..255";
		put_be(val, v, 2);
		return NULL;
	case FT_FK_TCP_FLAGS:
		if (value[0] == '+' || value[0] == '-') {
			if (slash || parse_tcp_flags(value, val, mask))
				return "expected flags like +syn-ack (fin syn rst psh ack urg ece cwr ns)";
			return NULL;
		}
		if (ft_parse_uint(value, 0xfff, &v))
			return "expected a number 0..0xfff or flags like +syn-ack";
		put_be(val, v, 2);
		put_be(mask, 0xfff, 2);
		if (slash) {
			if (ft_parse_uint(slash, 0xfff, &mv))
				return "bad mask (0..0xfff)";
			put_be(mask, mv, 2);
		}
		return NULL;
	case FT_FK_TUN_FLAGS:
		/* Open vSwitch's public tunnel flags: OAM only. */
		if (!slash && (!strcmp(value, "oam") || !strcmp(value, "+oam"))) {
			put_be(val, 1, 2);
			put_be(mask, 1, 2);
			return NULL;
		}
		if (!slash && !strcmp(value, "-oam")) {
			put_be(val, 0, 2);
			put_be(mask, 1, 2);
			return NULL;
		}
		if (ft_parse_uint(value, 1, &v) || (slash && ft_parse_uint(slash, 1, &mv)))
			return "expected oam, +oam, -oam, or 0..1 with a mask 0..1";
		put_be(val, v, 2);
		put_be(mask, slash ? mv : 1, 2);
		return NULL;
	}
	return "unsupported";
}

static const struct shorthand *
find_shorthand(const char *name)
{
	unsigned i;

	for (i = 0; i < RTE_DIM(shorthands); i++)
		if (!strcmp(shorthands[i].name, name))
			return &shorthands[i];
	return NULL;
}

static int
apply_shorthand(struct ft_match *m, const struct shorthand *sh)
{
	uint8_t v[2], mk[2] = { 0xff, 0xff };

	put_be(v, sh->dl_type, 2);
	if (merge(m, offsetof(struct ft_key, dl_type), v, mk, 2))
		return -EEXIST;
	if (sh->nw_proto >= 0) {
		v[0] = (uint8_t)sh->nw_proto;
		if (merge(m, offsetof(struct ft_key, nw_proto), v, mk, 1))
			return -EEXIST;
	}
	return 0;
}

/* Reserved ports a rule's actions may output to, by ovs-ofctl's names (OpenFlow 1.0's numbers). */
static const struct {
	const char *name;
	uint32_t port;
} out_reserved[] = {
	{ "IN_PORT", FLOWTAB_OFPP_IN_PORT },
	{ "NORMAL", FLOWTAB_OFPP_NORMAL },
	{ "FLOOD", FLOWTAB_OFPP_FLOOD },
	{ "ALL", FLOWTAB_OFPP_ALL },
	{ "CONTROLLER", FLOWTAB_OFPP_CONTROLLER },
};

/* out_port=PORT (a port, LOCAL or a reserved port above) or out_group=ID (a number, or
 * ANY: no filter), which select the rules whose actions output there. */
static int
parse_out_filter(struct ft_rule_spec *spec, const char *name, const char *value,
		const struct flowtab_port_ops *ports, char **err)
{
	const char *why;
	uint64_t v;
	size_t i;

	if (!value) {
		*err = ft_field_error(name, "needs a value");
		return -EINVAL;
	}
	if (!strcmp(name, "out_group")) {
		if (!strcasecmp(value, "ANY"))
			spec->out_group = FLOWTAB_GROUP_ANY;
		else if (!ft_parse_uint(value, FLOWTAB_GROUP_MAX_ID, &v))
			spec->out_group = (uint32_t)v;
		else {
			*err = ft_field_error(name, "expected a group number or ANY: '%s'", value);
			return -EINVAL;
		}
		return 0;
	}
	for (i = 0; i < RTE_DIM(out_reserved); i++) {
		if (!strcasecmp(value, out_reserved[i].name)) {
			spec->out_port = out_reserved[i].port;
			return 0;
		}
	}
	if (ft_parse_port(value, ports, &spec->out_port, &why)) {
		*err = ft_field_error(name, "%s: '%s'", why, value);
		return -EINVAL;
	}
	return 0;
}

static int
parse_keyword(struct ft_rule_spec *spec, const char *name, char *value, enum ft_parse_mode mode,
		const struct flowtab_port_ops *ports, char **err)
{
	uint64_t v, mk;
	char *slash;

	if (!strcmp(name, "priority")) {
		if (!value || ft_parse_uint(value, 65535, &v))
			goto bad_num16;
		spec->priority = (int32_t)v;
		spec->has_priority = true;
	} else if (!strcmp(name, "table")) {
		if (!value || ft_parse_uint(value, FT_N_TABLES - 1, &v)) {
			*err = ft_field_error(name, "expected a table number 0..%d", FT_N_TABLES - 1);
			return -EINVAL;
		}
		spec->table_id = (int)v;
	} else if (!strcmp(name, "send_flow_rem")) {
		if (value || mode == FT_PARSE_MATCH) {
			*err = ft_field_error(name, value ? "takes no value" :
					"is a flag of a rule, not a selection");
			return -EINVAL;
		}
		spec->send_flow_rem = true;
	} else if (!strcmp(name, "idle_timeout") || !strcmp(name, "hard_timeout")) {
		if (!value || ft_parse_uint(value, 65535, &v))
			goto bad_num16;
		if (name[0] == 'i')
			spec->idle_timeout = (uint16_t)v;
		else
			spec->hard_timeout = (uint16_t)v;
	} else if (!strcmp(name, "cookie")) {
		if (!value)
			goto bad_cookie;
		slash = strchr(value, '/');
		if (slash)
			*slash++ = '\0';
		if (ft_parse_uint(value, UINT64_MAX, &v))
			goto bad_cookie;
		mk = UINT64_MAX;
		if (slash) {
			if (mode == FT_PARSE_ADD) {
				*err = ft_field_error(name, "a cookie mask is only allowed when "
						"selecting rules (del-flows, mod-flows, dump-flows)");
				return -EINVAL;
			}
			if (ft_parse_uint(slash, UINT64_MAX, &mk))
				goto bad_cookie;
		}
		spec->cookie = v & mk;
		spec->cookie_mask = mk;
	} else if (!strcmp(name, "out_port") || !strcmp(name, "out_group")) {
		return parse_out_filter(spec, name, value, ports, err);
	} else {
		return 1;
	}
	return 0;
bad_num16:
	*err = ft_field_error(name, "expected a number 0..65535");
	return -EINVAL;
bad_cookie:
	*err = ft_field_error(name, "expected a 64-bit number, optionally /MASK");
	return -EINVAL;
}

static int
parse_match_item(struct ft_rule_spec *spec, const char *name, char *value,
		const struct flowtab_port_ops *ports, const struct ft_field **used, unsigned *n_used,
		char **err)
{
	const struct shorthand *sh = find_shorthand(name);
	const struct ft_field *f;
	uint8_t val[16], mask[16];
	const char *why;

	if (sh) {
		if (value) {
			*err = ft_field_error(name, "takes no value");
			return -EINVAL;
		}
		if (apply_shorthand(&spec->match, sh)) {
			*err = ft_field_error(name, "contradicts an earlier dl_type or nw_proto");
			return -EINVAL;
		}
		return 0;
	}
	f = ft_field_find(name);
	if (!f) {
		*err = ft_field_error(name, "unknown field");
		return -EINVAL;
	}
	if (!value || !*value) {
		*err = ft_field_error(name, "needs a value");
		return -EINVAL;
	}
	memset(val, 0, sizeof(val));
	why = parse_field_value(f, value, ports, val, mask);
	if (why) {
		*err = ft_field_error(name, "%s: '%s'", why, value);
		return -EINVAL;
	}
	if (merge(&spec->match, f->ofs, val, mask, f->len)) {
		*err = ft_field_error(name, "contradicts an earlier value of the same field");
		return -EINVAL;
	}
	if (*n_used < 64)
		used[(*n_used)++] = f;
	return 0;
}

static bool
is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void
ft_rule_spec_clear(struct ft_rule_spec *spec)
{
	free(spec->acts);
	spec->acts = NULL;
}

/* The checks of a parsed rule as a whole, whichever form it came in. */
static int
spec_finish(struct ft_rule_spec *spec, enum ft_parse_mode mode, char **err)
{
	unsigned i;

	if (mode != FT_PARSE_MATCH && !spec->acts) {
		*err = ft_field_error("actions", "missing: a rule needs actions=...");
		return -EINVAL;
	}
	if (spec->table_id < 0 && mode == FT_PARSE_ADD)
		spec->table_id = 0;
	for (i = 0; spec->acts && i < spec->acts->n; i++) {
		const struct ft_action *a = &spec->acts->a[i];

		if (a->type == FT_ACT_GOTO_TABLE && a->u8 <= (spec->table_id < 0 ? 0 : spec->table_id)) {
			*err = ft_field_error("actions", "goto_table:%u must name a later table "
					"than the rule's own", a->u8);
			return -EINVAL;
		}
	}
	if (mode == FT_PARSE_ADD && ft_actions_loop(spec->acts, (uint8_t)spec->table_id)) {
		*err = ft_field_error("actions", "resubmit(,%d) to the rule's own table with the "
				"packet unchanged would loop on every packet it matches",
				spec->table_id);
		return -EINVAL;
	}
	return 0;
}

int
ft_rule_parse(const char *text, enum ft_parse_mode mode, const struct flowtab_port_ops *ports,
		struct ft_rule_spec *spec, char **err)
{
	const struct ft_field *used[64];
	unsigned n_used = 0, i;
	char *buf, *p, *name, *value, *end;
	int ret = 0;

	memset(spec, 0, sizeof(*spec));
	spec->priority = FT_DEFAULT_PRIORITY;
	spec->table_id = -1;
	spec->out_port = FLOWTAB_PORT_NONE;
	spec->out_group = FLOWTAB_GROUP_ANY;
	*err = NULL;
	buf = strdup(text ? text : "");
	if (!buf)
		return -ENOMEM;
	p = buf;
	for (;;) {
		while (is_sep(*p))
			p++;
		if (!*p)
			break;
		name = p;
		while (*p && !is_sep(*p) && *p != '=')
			p++;
		value = NULL;
		if (*p == '=') {
			*p++ = '\0';
			value = p;
			if (!strcmp(name, "actions")) {
				end = value + strlen(value);
				while (end > value && isspace((unsigned char)end[-1]))
					*--end = '\0';
				if (mode == FT_PARSE_MATCH) {
					*err = ft_field_error(name, "not allowed when only selecting rules");
					ret = -EINVAL;
					goto out;
				}
				spec->acts = ft_actions_parse(value, ports, err);
				if (!spec->acts) {
					ret = -EINVAL;
					goto out;
				}
				break;
			}
			while (*p && !is_sep(*p))
				p++;
		}
		if (*p)
			*p++ = '\0';
		if (value && !strcmp(name, "actions"))
			break;
		ret = parse_keyword(spec, name, value, mode, ports, err);
		if (ret < 0)
			goto out;
		if (ret == 1)
			ret = parse_match_item(spec, name, value, ports, used, &n_used, err);
		if (ret < 0)
			goto out;
	}
	for (i = 0; i < n_used; i++) {
		if (!ft_field_prereq_ok(&spec->match, used[i]->prereq)) {
			*err = ft_field_error(used[i]->name, "needs %s in the match",
					ft_prereq_name(used[i]->prereq));
			ret = -EINVAL;
			goto out;
		}
	}
	ret = spec_finish(spec, mode, err);
out:
	if (ret < 0 && !*err)
		*err = ft_field_error("rule", "out of memory");
	if (ret < 0)
		ft_rule_spec_clear(spec);
	free(buf);
	return ret < 0 ? ret : 0;
}

int
ft_rule_spec_from_in(const struct flowtab_rule_in *in, const struct flowtab_port_ops *ports,
		struct ft_rule_spec *spec, char **err)
{
	int ret;

	memset(spec, 0, sizeof(*spec));
	*err = NULL;
	if (in->table_id >= FT_N_TABLES) {
		*err = ft_field_error("table", "expected a table number 0..%d", FT_N_TABLES - 1);
		return -EINVAL;
	}
	if (ft_match_from_info(in->match, &spec->match, err))
		return -EINVAL;
	spec->priority = in->priority;
	spec->has_priority = true;
	spec->send_flow_rem = in->send_flow_rem;
	spec->table_id = in->table_id;
	spec->idle_timeout = in->idle_timeout;
	spec->hard_timeout = in->hard_timeout;
	spec->cookie = in->cookie;
	spec->cookie_mask = UINT64_MAX;
	spec->out_port = FLOWTAB_PORT_NONE;
	spec->out_group = FLOWTAB_GROUP_ANY;
	spec->acts = ft_actions_parse(in->actions && *in->actions ? in->actions : "drop", ports,
			err);
	if (!spec->acts)
		return *err ? -EINVAL : -ENOMEM;
	ret = spec_finish(spec, FT_PARSE_ADD, err);
	if (ret < 0)
		ft_rule_spec_clear(spec);
	return ret;
}

bool
ft_match_equal(const struct ft_match *a, const struct ft_match *b)
{
	return ft_key_equal(&a->key, &b->key) && ft_key_equal(&a->mask, &b->mask);
}

bool
ft_match_covers(const struct ft_match *wide, const struct ft_match *narrow)
{
	unsigned i;

	for (i = 0; i < FT_KEY_WORDS; i++) {
		if ((wide->mask.w[i] & narrow->mask.w[i]) != wide->mask.w[i])
			return false;
		if ((narrow->key.w[i] & wide->mask.w[i]) != wide->key.w[i])
			return false;
	}
	return true;
}
