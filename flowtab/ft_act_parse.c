/* SPDX-License-Identifier: BSD-3-Clause */
/* The action parser: "output:1,mod_dl_src:...,resubmit(,1)" into a 'struct ft_actions'. */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ft_rule.h"
#include "ft_value.h"

/* Argument syntax of the set actions. */
enum arg_kind {
	ARG_MAC, ARG_IPV4, ARG_IPV6, ARG_TOS, ARG_DSCP, ARG_U8, ARG_U16, ARG_VID, ARG_PCP, ARG_U64,
	ARG_TUN_MD0, ARG_TUN_MD1, ARG_TUN_FLAGS,
};

struct set_action {
	const char *name;
	uint8_t type;
	uint8_t arg;
};

static const struct set_action mod_actions[] = {
	{ "mod_dl_src", FT_ACT_SET_DL_SRC, ARG_MAC },
	{ "mod_dl_dst", FT_ACT_SET_DL_DST, ARG_MAC },
	{ "mod_nw_src", FT_ACT_SET_NW_SRC, ARG_IPV4 },
	{ "mod_nw_dst", FT_ACT_SET_NW_DST, ARG_IPV4 },
	{ "mod_nw_tos", FT_ACT_SET_NW_TOS, ARG_TOS },
	{ "mod_nw_ttl", FT_ACT_SET_NW_TTL, ARG_U8 },
	{ "mod_tp_src", FT_ACT_SET_TP_SRC, ARG_U16 },
	{ "mod_tp_dst", FT_ACT_SET_TP_DST, ARG_U16 },
	{ "mod_vlan_vid", FT_ACT_SET_VLAN_VID, ARG_VID },
	{ "mod_vlan_pcp", FT_ACT_SET_VLAN_PCP, ARG_PCP },
	{ "set_tunnel", FT_ACT_SET_TUN_ID, ARG_U64 },
	{ "set_tunnel64", FT_ACT_SET_TUN_ID, ARG_U64 },
};

/* set_field targets; the first of each type is the name printed. */
static const struct set_action set_fields[] = {
	{ "eth_src", FT_ACT_SET_DL_SRC, ARG_MAC },
	{ "eth_dst", FT_ACT_SET_DL_DST, ARG_MAC },
	{ "ip_src", FT_ACT_SET_NW_SRC, ARG_IPV4 },
	{ "ip_dst", FT_ACT_SET_NW_DST, ARG_IPV4 },
	{ "ip_dscp", FT_ACT_SET_NW_TOS, ARG_DSCP },
	{ "nw_ttl", FT_ACT_SET_NW_TTL, ARG_U8 },
	{ "tp_src", FT_ACT_SET_TP_SRC, ARG_U16 },
	{ "tp_dst", FT_ACT_SET_TP_DST, ARG_U16 },
	{ "vlan_vid", FT_ACT_SET_VLAN_VID, ARG_VID },
	{ "vlan_pcp", FT_ACT_SET_VLAN_PCP, ARG_PCP },
	{ "ipv6_src", FT_ACT_SET_IPV6_SRC, ARG_IPV6 },
	{ "ipv6_dst", FT_ACT_SET_IPV6_DST, ARG_IPV6 },
	{ "tun_metadata0", FT_ACT_SET_TUN_METADATA, ARG_TUN_MD0 },
	{ "tun_metadata1", FT_ACT_SET_TUN_METADATA, ARG_TUN_MD1 },
	{ "tun_src", FT_ACT_SET_TUN_SRC, ARG_IPV4 },
	{ "tun_dst", FT_ACT_SET_TUN_DST, ARG_IPV4 },
	{ "tun_ipv6_src", FT_ACT_SET_TUN_IPV6_SRC, ARG_IPV6 },
	{ "tun_ipv6_dst", FT_ACT_SET_TUN_IPV6_DST, ARG_IPV6 },
	{ "tun_flags", FT_ACT_SET_TUN_FLAGS, ARG_TUN_FLAGS },
	{ "dl_src", FT_ACT_SET_DL_SRC, ARG_MAC },
	{ "dl_dst", FT_ACT_SET_DL_DST, ARG_MAC },
	{ "nw_src", FT_ACT_SET_NW_SRC, ARG_IPV4 },
	{ "nw_dst", FT_ACT_SET_NW_DST, ARG_IPV4 },
	{ "nw_tos", FT_ACT_SET_NW_TOS, ARG_TOS },
	{ "tcp_src", FT_ACT_SET_TP_SRC, ARG_U16 },
	{ "tcp_dst", FT_ACT_SET_TP_DST, ARG_U16 },
	{ "udp_src", FT_ACT_SET_TP_SRC, ARG_U16 },
	{ "udp_dst", FT_ACT_SET_TP_DST, ARG_U16 },
	{ "tun_id", FT_ACT_SET_TUN_ID, ARG_U64 },
};

const char *ft_set_field_name(uint8_t type);

const char *
ft_set_field_name(uint8_t type)
{
	unsigned i;

	for (i = 0; i < RTE_DIM(set_fields); i++)
		if (set_fields[i].type == type)
			return set_fields[i].name;
	return "?";
}

static const char *
parse_set_arg(const struct set_action *sa, const char *s, struct ft_action *a)
{
	uint64_t v;

	a->type = sa->type;
	switch (sa->arg) {
	case ARG_MAC:
		return ft_parse_mac(s, a->bytes) ? "expected a MAC address" : NULL;
	case ARG_IPV4:
		return ft_parse_ipv4(s, &a->u32) ? "expected an IPv4 address" : NULL;
	case ARG_IPV6:
		return ft_parse_ipv6(s, a->bytes) ? "expected an IPv6 address" : NULL;
	case ARG_TOS:
		if (ft_parse_uint(s, 255, &v) || (v & 3))
			return "expected a TOS value 0..255 with the two ECN bits zero";
		a->u8 = (uint8_t)v;
		return NULL;
	case ARG_DSCP:
		if (ft_parse_uint(s, 63, &v))
			return "expected a DSCP value 0..63";
		a->u8 = (uint8_t)(v << 2);
		return NULL;
	case ARG_U8:
		if (ft_parse_uint(s, 255, &v))
			return "expected a number 0..255";
		a->u8 = (uint8_t)v;
		return NULL;
	case ARG_U16:
		if (ft_parse_uint(s, 65535, &v))
			return "expected a number 0..65535";
		a->u16 = (uint16_t)v;
		return NULL;
	case ARG_VID:
		if (ft_parse_uint(s, 4095, &v))
			return "expected a VLAN id 0..4095";
		a->u16 = (uint16_t)v;
		return NULL;
	case ARG_PCP:
		if (ft_parse_uint(s, 7, &v))
			return "expected a priority 0..7";
		a->u8 = (uint8_t)v;
		return NULL;
	case ARG_U64:
		if (ft_parse_uint(s, UINT64_MAX, &v))
			return "expected a number";
		v = rte_cpu_to_be_64(v);
		memcpy(a->bytes, &v, 8);
		return NULL;
	case ARG_TUN_FLAGS:
		/* Open vSwitch's public tunnel flags: OAM only ("oam", or 0 for none). */
		if (!strcmp(s, "oam") || !strcmp(s, "+oam")) {
			a->u16 = 1;
			return NULL;
		}
		if (!strcmp(s, "-oam")) {
			a->u16 = 0;
			return NULL;
		}
		if (ft_parse_uint(s, 1, &v))
			return "expected oam, or 0 or 1";
		a->u16 = (uint16_t)v;
		return NULL;
	case ARG_TUN_MD0:
	case ARG_TUN_MD1:
		if (ft_parse_uint(s, UINT32_MAX, &v))
			return "expected a number of 4 bytes";
		a->u8 = (uint8_t)(sa->arg - ARG_TUN_MD0);
		a->u32 = rte_cpu_to_be_32((uint32_t)v);
		return NULL;
	}
	return "unsupported";
}

static const char *
parse_set_field(char *arg, struct ft_action *a)
{
	char *arrow = strstr(arg, "->");
	unsigned i;

	if (!arrow)
		return "expected set_field:VALUE->FIELD";
	*arrow = '\0';
	for (i = 0; i < RTE_DIM(set_fields); i++) {
		if (!strcmp(set_fields[i].name, arrow + 2)) {
			a->flags = FT_ACTF_SET_FIELD;
			return parse_set_arg(&set_fields[i], arg, a);
		}
	}
	return "unknown or unsupported field after ->";
}

static const char *
parse_table(const char *s, uint8_t *t)
{
	uint64_t v;

	if (ft_parse_uint(s, FT_N_TABLES - 1, &v))
		return "expected a table number 0..254";
	*t = (uint8_t)v;
	return NULL;
}

/* resubmit:PORT, resubmit(PORT,TABLE), resubmit(,TABLE) */
static const char *
parse_resubmit(char *name, char *arg, const struct flowtab_port_ops *ports, struct ft_action *a)
{
	const char *why = NULL;
	char *comma, *close;

	a->type = FT_ACT_RESUBMIT;
	a->u32 = FLOWTAB_PORT_NONE;
	a->u8 = 0xff;
	if (arg) {
		if (ft_parse_port(arg, ports, &a->u32, &why))
			return why;
		return NULL;
	}
	arg = name + strlen("resubmit(");
	close = strchr(arg, ')');
	if (!close || close[1])
		return "expected resubmit(PORT,TABLE) or resubmit:PORT";
	*close = '\0';
	comma = strchr(arg, ',');
	if (!comma)
		return "expected resubmit(PORT,TABLE)";
	*comma = '\0';
	if (*arg && ft_parse_port(arg, ports, &a->u32, &why))
		return why;
	if (!comma[1] && !*arg)
		return "resubmit(,) needs a port or a table";
	if (comma[1] && (why = parse_table(comma + 1, &a->u8)) != NULL)
		return why;
	return NULL;
}

/*
 * The CONTROLLER action after its name: nothing (the whole packet), ":MAX_LEN" or
 * "(max_len=MAX_LEN)", as ovs-ofctl writes them.
 */
static const char *
parse_controller(const char *arg, struct ft_action *a)
{
	uint64_t v = UINT16_MAX;
	char num[16];
	size_t n;

	a->type = FT_ACT_CONTROLLER;
	if (*arg == ':') {
		if (ft_parse_uint(arg + 1, UINT16_MAX, &v))
			return "expected controller:MAX_LEN, 0 to 65535";
	} else if (*arg == '(') {
		n = strlen(arg);
		if (strncmp(arg, "(max_len=", 9) != 0 || arg[n - 1] != ')' || n - 10 >= sizeof(num))
			return "expected controller(max_len=N): no other controller option is supported";
		memcpy(num, arg + 9, n - 10);
		num[n - 10] = '\0';
		if (ft_parse_uint(num, UINT16_MAX, &v))
			return "expected controller(max_len=N), N from 0 to 65535";
	}
	a->u16 = (uint16_t)v;
	return NULL;
}

static const char *
parse_one(char *tok, const struct flowtab_port_ops *ports, struct ft_action *a, bool *is_drop)
{
	char *arg = NULL, *colon;
	const char *why = NULL;
	unsigned i;
	uint64_t v;

	memset(a, 0, sizeof(*a));
	if (!strncmp(tok, "resubmit(", 9))
		return parse_resubmit(tok, NULL, ports, a);
	if (!strncasecmp(tok, "controller", 10) &&
	    (tok[10] == '\0' || tok[10] == ':' || tok[10] == '('))
		return parse_controller(tok + 10, a);
	if (!strncmp(tok, "output:", 7) && !strcasecmp(tok + 7, "controller"))
		return parse_controller("", a);
	colon = strchr(tok, ':');
	if (colon) {
		*colon = '\0';
		arg = colon + 1;
	}
	if (!strcasecmp(tok, "drop") && !arg) {
		*is_drop = true;
		return NULL;
	}
	if (!strcasecmp(tok, "normal") || !strcasecmp(tok, "flood") || !strcasecmp(tok, "all") ||
	    !strcasecmp(tok, "in_port") || !strcasecmp(tok, "strip_vlan") ||
	    !strcasecmp(tok, "pop_vlan") || !strcasecmp(tok, "dec_ttl")) {
		if (arg)
			return "takes no argument";
		a->type = !strcasecmp(tok, "normal") ? FT_ACT_NORMAL :
			  !strcasecmp(tok, "flood") ? FT_ACT_FLOOD :
			  !strcasecmp(tok, "all") ? FT_ACT_ALL :
			  !strcasecmp(tok, "in_port") ? FT_ACT_IN_PORT :
			  !strcasecmp(tok, "dec_ttl") ? FT_ACT_DEC_TTL : FT_ACT_STRIP_VLAN;
		return NULL;
	}
	if (!arg && !strcasecmp(tok, "local")) {
		/* The bridge's own port (OpenFlow's OFPP_LOCAL), as 'output:LOCAL'. */
		a->type = FT_ACT_OUTPUT;
		a->u32 = FLOWTAB_OFPP_LOCAL;
		return NULL;
	}
	if (!strcmp(tok, "output") && arg &&
	    (!strcasecmp(arg, "in_port") || !strcasecmp(arg, "normal") ||
	     !strcasecmp(arg, "flood") || !strcasecmp(arg, "all"))) {
		/* Reserved ports: output:IN_PORT is the IN_PORT action, and so on. */
		a->type = !strcasecmp(arg, "in_port") ? FT_ACT_IN_PORT :
			  !strcasecmp(arg, "normal") ? FT_ACT_NORMAL :
			  !strcasecmp(arg, "flood") ? FT_ACT_FLOOD : FT_ACT_ALL;
		return NULL;
	}
	if (!strcmp(tok, "output")) {
		a->type = FT_ACT_OUTPUT;
		if (!arg || ft_parse_port(arg, ports, &a->u32, &why))
			return arg ? why : "needs a port";
		return NULL;
	}
	if (!strcmp(tok, "resubmit")) {
		if (!arg)
			return "needs a port or (PORT,TABLE)";
		return parse_resubmit(tok, arg, ports, a);
	}
	if (!strcmp(tok, "group") || !strcmp(tok, "meter")) {
		a->type = tok[0] == 'g' ? FT_ACT_GROUP : FT_ACT_METER;
		if (!arg || ft_parse_uint(arg, tok[0] == 'g' ? 0xffffff00u : 0xffff0000u, &v) ||
		    (a->type == FT_ACT_METER && v == 0))
			return tok[0] == 'g' ? "expected a group number" : "expected a meter number";
		a->u32 = (uint32_t)v;
		return NULL;
	}
	if (!strcmp(tok, "goto_table")) {
		a->type = FT_ACT_GOTO_TABLE;
		return arg ? parse_table(arg, &a->u8) : "needs a table number";
	}
	if (!strcmp(tok, "push_vlan")) {
		a->type = FT_ACT_PUSH_VLAN;
		if (!arg || ft_parse_uint(arg, 0xffff, &v) || (v != 0x8100 && v != 0x88a8))
			return "expected a TPID, 0x8100 or 0x88a8";
		a->u16 = (uint16_t)v;
		return NULL;
	}
	if (!strcmp(tok, "set_field") || !strcmp(tok, "load")) {
		if (!arg)
			return "expected set_field:VALUE->FIELD";
		return parse_set_field(arg, a);
	}
	for (i = 0; i < RTE_DIM(mod_actions); i++) {
		if (!strcmp(tok, mod_actions[i].name)) {
			if (!arg)
				return "needs a value";
			return parse_set_arg(&mod_actions[i], arg, a);
		}
	}
	if (!arg && (isdigit((unsigned char)tok[0]) ||
		     (ports && ports->by_name && ports->by_name(ports->aux, tok, &a->u32) == 0))) {
		a->type = FT_ACT_OUTPUT;
		if (isdigit((unsigned char)tok[0]) && ft_parse_port(tok, ports, &a->u32, &why))
			return why;
		return NULL;
	}
	return "unknown action";
}

static char *
act_error(const char *tok, const char *why)
{
	return ft_field_error("actions", "'%s': %s", tok, why);
}

struct ft_actions *
ft_actions_parse(const char *text, const struct flowtab_port_ops *ports, char **err)
{
	struct ft_action tmp[FT_MAX_ACTIONS];
	struct ft_actions *acts;
	bool drop = false;
	char *buf, *p, *tok, *orig;
	const char *why;
	unsigned n = 0, i;
	int depth;

	buf = strdup(text);
	if (!buf) {
		*err = act_error(text, "out of memory");
		return NULL;
	}
	p = buf;
	while (*p) {
		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		tok = p;
		for (depth = 0; *p && (depth > 0 || (*p != ',' && !isspace((unsigned char)*p))); p++) {
			if (*p == '(')
				depth++;
			else if (*p == ')')
				depth--;
		}
		if (*p)
			*p++ = '\0';
		if (n == FT_MAX_ACTIONS) {
			*err = act_error(tok, "too many actions");
			goto fail;
		}
		orig = strdup(tok);
		why = orig ? parse_one(tok, ports, &tmp[n], &drop) : "out of memory";
		if (why) {
			*err = act_error(orig ? orig : tok, why);
			free(orig);
			goto fail;
		}
		free(orig);
		if (!drop)
			n++;
		else if (n > 0 || (*p && strspn(p, ", \t") != strlen(p))) {
			*err = act_error("drop", "must be the only action");
			goto fail;
		}
	}
	for (i = 0; i < n; i++) {
		if (tmp[i].type == FT_ACT_METER && i != 0) {
			*err = act_error("meter", "must be the first action");
			goto fail;
		}
		if (tmp[i].type == FT_ACT_GOTO_TABLE && i != n - 1) {
			*err = act_error("goto_table", "must be the last action");
			goto fail;
		}
	}
	acts = calloc(1, sizeof(*acts) + n * sizeof(acts->a[0]));
	if (!acts) {
		*err = act_error(text, "out of memory");
		goto fail;
	}
	acts->n = n;
	memcpy(acts->a, tmp, n * sizeof(tmp[0]));
	acts->out_port = n == 1 && tmp[0].type == FT_ACT_OUTPUT ? tmp[0].u32 : FLOWTAB_PORT_NONE;
	for (i = 0; i < n; i++)
		acts->modifies |= ft_act_modifies(tmp[i].type);
	free(buf);
	return acts;
fail:
	free(buf);
	return NULL;
}

struct ft_actions *
ft_actions_dup(const struct ft_actions *a)
{
	size_t sz = sizeof(*a) + a->n * sizeof(a->a[0]);
	struct ft_actions *d = malloc(sz);

	if (d)
		memcpy(d, a, sz);
	return d;
}

bool
ft_actions_equal(const struct ft_actions *a, const struct ft_actions *b)
{
	return a->n == b->n && !memcmp(a->a, b->a, a->n * sizeof(a->a[0]));
}

bool
ft_actions_loop(const struct ft_actions *a, uint8_t table)
{
	uint32_t i;

	for (i = 0; i < a->n; i++) {
		switch (a->a[i].type) {
		case FT_ACT_OUTPUT:
		case FT_ACT_NORMAL:
		case FT_ACT_FLOOD:
		case FT_ACT_ALL:
		case FT_ACT_IN_PORT:
			break;   /* the key stays as it was */
		case FT_ACT_RESUBMIT:
			if (a->a[i].u32 == FLOWTAB_PORT_NONE &&
			    (a->a[i].u8 == table || a->a[i].u8 == 0xff))
				return true;
			return false;   /* the other table's actions may change the key */
		default:
			return false;
		}
	}
	return false;
}
