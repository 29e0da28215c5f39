/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rule parser and printer: round trip on every field and action, canonical output, bad input;
 * and the structured form protocol decoders use (flowtab_rule_in, flowtab_match_text()) gives
 * the same rules as the text.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ft_rule.h"
#include "ft_view.h"

static const char *const port_names[] = { NULL, "p1", "p2", "vhu0", "vhu1" };

static int
by_name(void *aux, const char *name, uint32_t *ofport)
{
	uint32_t i;

	(void)aux;
	for (i = 1; i < RTE_DIM(port_names); i++) {
		if (!strcmp(port_names[i], name)) {
			*ofport = i;
			return 0;
		}
	}
	return -ENOENT;
}

static const char *
name_of(void *aux, uint32_t ofport)
{
	(void)aux;
	return ofport > 0 && ofport < RTE_DIM(port_names) ? port_names[ofport] : NULL;
}

static const struct flowtab_port_ops ports = { by_name, name_of, NULL };

static char *
print_rule(const struct ft_rule_spec *s)
{
	struct ft_str str = { 0 };

	ft_str_printf(&str, "table=%d", s->table_id < 0 ? 0 : s->table_id);
	if (s->idle_timeout)
		ft_str_printf(&str, ",idle_timeout=%u", s->idle_timeout);
	if (s->hard_timeout)
		ft_str_printf(&str, ",hard_timeout=%u", s->hard_timeout);
	if (s->cookie)
		ft_str_printf(&str, ",cookie=0x%llx", (unsigned long long)s->cookie);
	ft_match_print(&str, &s->match, s->priority, &ports);
	ft_str_printf(&str, " actions=");
	ft_actions_print(&str, s->acts, &ports);
	return str.s;
}

/*
 * Rule 'a' (parsed from 'text') as flowtab_dump_rules() reports it, then back as a
 * flowtab_rule_in and as flowtab_match_text()'s filter: both must give 'a''s match again.
 */
static void
structured_trip(const char *text, const struct ft_rule_spec *a)
{
	static struct ft_rule r;
	struct flowtab_action_info acts[FT_MAX_ACTIONS];
	struct flowtab_rule_info info;
	struct ft_rule_spec b, c;
	struct ft_str act = { 0 };
	struct flowtab_rule_in in;
	char *err = NULL, *match;

	memset(&r, 0, sizeof(r));
	r.match = a->match;
	r.priority = a->priority;
	r.table_id = (uint8_t)(a->table_id < 0 ? 0 : a->table_id);
	r.acts = a->acts;
	ft_rule_info_fill(&r, 0, 0, 0, &info, acts);
	ft_actions_print(&act, a->acts, &ports);
	in = (struct flowtab_rule_in){ .table_id = info.table_id, .priority = info.priority,
		.match = &info.match, .actions = act.s };
	if (ft_rule_spec_from_in(&in, &ports, &b, &err)) {
		CHECK(0, "'%s' as a flowtab_rule_in is refused: %s", text, err);
		free(err);
		err = NULL;
	} else {
		CHECK(ft_match_equal(&a->match, &b.match), "'%s': match differs as a flowtab_rule_in",
				text);
		CHECK(ft_actions_equal(a->acts, b.acts), "'%s': actions differ as a flowtab_rule_in",
				text);
		ft_rule_spec_clear(&b);
	}
	if (flowtab_match_text(&info.match, &match, &err)) {
		CHECK(0, "'%s': flowtab_match_text() refuses its match: %s", text, err);
		free(err);
	} else if (ft_rule_parse(match, FT_PARSE_MATCH, &ports, &c, &err)) {
		CHECK(0, "'%s': flowtab_match_text() gives '%s', which does not parse: %s", text,
				match, err);
		free(err);
	} else {
		CHECK(ft_match_equal(&a->match, &c.match), "'%s': match differs through '%s'", text,
				match);
		ft_rule_spec_clear(&c);
	}
	free(match);
	free(act.s);
}

/* A match given as a structure that breaks a prerequisite: refused with 'expect'. */
static void
bad_info(const struct flowtab_match_info *m, const char *expect)
{
	struct flowtab_rule_in in = { .match = m, .actions = "drop" };
	struct ft_rule_spec s;
	char *err = NULL, *text;

	if (ft_rule_spec_from_in(&in, &ports, &s, &err) == 0) {
		CHECK(0, "a match that should fail with '%s' was taken", expect);
		ft_rule_spec_clear(&s);
	} else {
		CHECK(err && strstr(err, expect), "error '%s' lacks '%s'", err ? err : "(null)",
				expect);
		free(err);
		err = NULL;
	}
	CHECK(flowtab_match_text(m, &text, &err) == -EINVAL && !text && err &&
		strstr(err, expect), "flowtab_match_text(): '%s', error '%s'",
		text ? text : "(null)", err ? err : "(null)");
	free(text);
	free(err);
}

static void
test_structured_bad(void)
{
	struct flowtab_match_info m;

	memset(&m, 0, sizeof(m));
	m.nw_src = 0x0100000a;
	m.nw_src_mask = UINT32_MAX;
	bad_info(&m, "field 'nw_src': needs ip or arp");
	m.dl_type = 0x86dd;
	m.dl_type_mask = 0xffff;
	bad_info(&m, "field 'nw_src': needs ip or arp");
	memset(&m, 0, sizeof(m));
	m.dl_type = 0x0800;
	m.dl_type_mask = 0xffff;
	m.ipv6_src[15] = 1;
	m.ipv6_src_mask[15] = 0xff;
	bad_info(&m, "field 'ipv6_src': needs ipv6");
	memset(&m, 0, sizeof(m));
	m.dl_type = 0x0800;
	m.dl_type_mask = 0xffff;
	m.nw_proto = 17;
	m.nw_proto_mask = 0xff;
	m.tcp_flags = 2;
	m.tcp_flags_mask = 2;
	bad_info(&m, "field 'tcp_flags': needs tcp");
	m.tcp_flags_mask = 0;
	m.nw_proto_mask = 0;
	m.tp_dst = 80;
	m.tp_dst_mask = 0xffff;
	bad_info(&m, "field 'tp_dst': needs tcp, udp or sctp");
	m.dl_type = 0x0806;
	m.tp_dst_mask = 0;
	m.nw_ttl_mask = 0xff;
	bad_info(&m, "field 'nw_ttl': needs ip or ipv6");
}

/* Parse, print, parse again: the two rules must be equal; optionally the print is 'expect'. */
static void
round_trip(const char *text, const char *expect)
{
	struct ft_rule_spec a, b;
	char *err = NULL, *printed;

	if (ft_rule_parse(text, FT_PARSE_ADD, &ports, &a, &err)) {
		CHECK(0, "'%s' does not parse: %s", text, err);
		free(err);
		return;
	}
	printed = print_rule(&a);
	if (ft_rule_parse(printed, FT_PARSE_ADD, &ports, &b, &err)) {
		CHECK(0, "'%s' printed as '%s' which does not parse: %s", text, printed, err);
		free(err);
	} else {
		CHECK(ft_match_equal(&a.match, &b.match), "match differs: '%s' -> '%s'", text, printed);
		CHECK(a.priority == b.priority && a.table_id == b.table_id &&
		      a.idle_timeout == b.idle_timeout && a.hard_timeout == b.hard_timeout &&
		      a.cookie == b.cookie, "attributes differ: '%s' -> '%s'", text, printed);
		CHECK(ft_actions_equal(a.acts, b.acts), "actions differ: '%s' -> '%s'", text, printed);
		ft_rule_spec_clear(&b);
	}
	structured_trip(text, &a);
	if (expect)
		CHECK(!strcmp(printed, expect), "'%s' printed as '%s', expected '%s'", text, printed,
				expect);
	free(printed);
	ft_rule_spec_clear(&a);
}

static void
bad(const char *text, enum ft_parse_mode mode, const char *expect)
{
	struct ft_rule_spec s;
	char *err = NULL;

	if (ft_rule_parse(text, mode, &ports, &s, &err) == 0) {
		CHECK(0, "'%s' parsed but should not", text);
		ft_rule_spec_clear(&s);
		return;
	}
	CHECK(err && strstr(err, expect), "'%s': error '%s' lacks '%s'", text, err ? err : "(null)",
			expect);
	free(err);
}

static void
test_fields(void)
{
	round_trip("in_port=1,actions=output:2", "table=0,in_port=p1 actions=output:p2");
	round_trip("in_port=vhu0 actions=vhu1", "table=0,in_port=vhu0 actions=output:vhu1");
	round_trip("in_port=77,actions=output:99", "table=0,in_port=77 actions=output:99");
	round_trip("priority=0,actions=NORMAL", "table=0,priority=0 actions=NORMAL");
	round_trip("dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb,actions=drop",
			"table=0,dl_src=00:11:22:33:44:55,dl_dst=66:77:88:99:aa:bb actions=drop");
	round_trip("dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=flood",
			"table=0,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00 actions=FLOOD");
	round_trip("dl_type=0x0800,actions=drop", "table=0,ip actions=drop");
	round_trip("dl_type=0x88cc,actions=drop", "table=0,dl_type=0x88cc actions=drop");
	round_trip("dl_vlan=10,actions=drop", "table=0,dl_vlan=10 actions=drop");
	round_trip("dl_vlan=0xffff,actions=drop", "table=0,dl_vlan=0xffff actions=drop");
	round_trip("dl_vlan_pcp=5,actions=drop", "table=0,dl_vlan_pcp=5 actions=drop");
	round_trip("dl_vlan=10,dl_vlan_pcp=5,actions=drop", "table=0,vlan_tci=0xb00a actions=drop");
	round_trip("vlan_tci=0x1000/0x1000,actions=drop",
			"table=0,vlan_tci=0x1000/0x1000 actions=drop");
	round_trip("ip,nw_src=10.0.0.0/8,nw_dst=192.168.1.1,actions=drop",
			"table=0,ip,nw_src=10.0.0.0/8,nw_dst=192.168.1.1 actions=drop");
	round_trip("ip,nw_src=10.0.0.1/255.0.255.0,actions=drop",
			"table=0,ip,nw_src=10.0.0.0/255.0.255.0 actions=drop");
	round_trip("ip,nw_proto=47,actions=drop", "table=0,ip,nw_proto=47 actions=drop");
	round_trip("ip,nw_tos=32,actions=drop", "table=0,ip,nw_tos=32 actions=drop");
	round_trip("ip,ip_dscp=8,actions=drop", "table=0,ip,nw_tos=32 actions=drop");
	round_trip("ip,nw_ttl=64,actions=drop", "table=0,ip,nw_ttl=64 actions=drop");
	round_trip("tcp,tp_src=1000,tp_dst=80,actions=drop",
			"table=0,tcp,tp_src=1000,tp_dst=80 actions=drop");
	round_trip("udp,tp_dst=0x1000/0xf000,actions=drop",
			"table=0,udp,tp_dst=0x1000/0xf000 actions=drop");
	round_trip("icmp,icmp_type=8,icmp_code=0,actions=drop",
			"table=0,icmp,icmp_type=8,icmp_code=0 actions=drop");
	round_trip("arp,arp_op=1,arp_spa=10.0.0.1,arp_tpa=10.0.0.0/24,actions=drop",
			"table=0,arp,arp_spa=10.0.0.1,arp_tpa=10.0.0.0/24,arp_op=1 actions=drop");
	round_trip("ipv6,ipv6_src=2001:db8::/32,ipv6_dst=fe80::1,actions=drop",
			"table=0,ipv6,ipv6_src=2001:db8::/32,ipv6_dst=fe80::1 actions=drop");
	round_trip("ipv6,ipv6_dst=::1/ffff::ffff,actions=drop",
			"table=0,ipv6,ipv6_dst=::1/ffff::ffff actions=drop");
	round_trip("tcp,tcp_flags=+syn-ack,actions=drop",
			"table=0,tcp,tcp_flags=0x2/0x12 actions=drop");
	round_trip("tcp,tcp_flags=0x002,actions=drop", "table=0,tcp,tcp_flags=0x2 actions=drop");
	round_trip("tcp6,tp_dst=22,actions=drop", "table=0,tcp6,tp_dst=22 actions=drop");
	round_trip("in_port=1,tun_id=42,tun_src=172.31.9.2,tun_dst=172.31.9.0/24,actions=LOCAL",
			"table=0,tun_id=0x2a,tun_src=172.31.9.2,tun_dst=172.31.9.0/24,in_port=p1 "
			"actions=output:LOCAL");
	round_trip("tun_id=0x1/0xff,actions=drop", "table=0,tun_id=0x1/0xff actions=drop");
	round_trip("tun_id=100,tun_gtpu_flags=0x34,tun_gtpu_msgtype=255,ip,actions=drop",
			"table=0,ip,tun_id=0x64,tun_gtpu_flags=0x34,tun_gtpu_msgtype=255 actions=drop");
	round_trip("tun_gtpu_flags=0x30/0xf0,tun_gtpu_msgtype=1/1,actions=drop",
			"table=0,tun_gtpu_flags=0x30/0xf0,tun_gtpu_msgtype=0x1/0x1 actions=drop");
	round_trip("ip,actions=set_field:200->tun_id,output:1",
			"table=0,ip actions=set_field:0xc8->tun_id,output:p1");
	round_trip("ip,actions=set_tunnel:0x5,output:1",
			"table=0,ip actions=set_tunnel:0x5,output:p1");
	round_trip("actions=set_field:172.31.13.2->tun_dst,set_field:100->tun_id,output:1,"
			"set_field:172.31.13.3->tun_dst,output:1",
			"table=0 actions=set_field:172.31.13.2->tun_dst,set_field:0x64->tun_id,"
			"output:p1,set_field:172.31.13.3->tun_dst,output:p1");
	round_trip("actions=set_field:10.0.0.1->tun_src,output:2",
			"table=0 actions=set_field:10.0.0.1->tun_src,output:p2");
	round_trip("tun_id=77,tun_metadata0=0xabcd,tun_metadata1=0x10/0xf0,actions=drop",
			"table=0,tun_id=0x4d,tun_metadata0=0xabcd,tun_metadata1=0x10/0xf0 actions=drop");
	round_trip("tun_flags=oam,actions=drop", "table=0,tun_flags=+oam actions=drop");
	round_trip("tun_flags=-oam,actions=drop", "table=0,tun_flags=-oam actions=drop");
	round_trip("tun_flags=1/1,actions=drop", "table=0,tun_flags=+oam actions=drop");
	round_trip("tun_flags=0/0,actions=drop", "table=0 actions=drop");
	round_trip("actions=set_field:oam->tun_flags,output:1",
			"table=0 actions=set_field:oam->tun_flags,output:p1");
	round_trip("actions=set_field:-oam->tun_flags,output:1",
			"table=0 actions=set_field:0->tun_flags,output:p1");
	round_trip("udp6,tp_src=53,actions=drop", "table=0,udp6,tp_src=53 actions=drop");
	round_trip("icmp6,icmp_type=135,actions=drop", "table=0,icmp6,icmp_type=135 actions=drop");
	round_trip("sctp,tp_dst=9,actions=drop", "table=0,sctp,tp_dst=9 actions=drop");
	round_trip("eth_type=0x86dd,ip_proto=6,tcp_dst=443,actions=drop",
			"table=0,tcp6,tp_dst=443 actions=drop");
	round_trip("table=3,priority=7,cookie=0x99,idle_timeout=10,hard_timeout=60,ip,actions=drop",
			"table=3,idle_timeout=10,hard_timeout=60,cookie=0x99,priority=7,ip actions=drop");
	round_trip("  priority=5 , in_port=2   actions=output:1  ", NULL);
}

static void
test_actions(void)
{
	round_trip("actions=output:1,output:2", "table=0 actions=output:p1,output:p2");
	round_trip("actions=normal", "table=0 actions=NORMAL");
	round_trip("actions=flood,all,in_port", "table=0 actions=FLOOD,ALL,IN_PORT");
	round_trip("actions=output:IN_PORT,output:normal,output:FLOOD,output:all,output:LOCAL",
			"table=0 actions=IN_PORT,NORMAL,FLOOD,ALL,output:LOCAL");
	round_trip("actions=mod_dl_src:00:00:00:00:00:01,mod_dl_dst:00:00:00:00:00:02,output:1",
			"table=0 actions=mod_dl_src:00:00:00:00:00:01,"
			"mod_dl_dst:00:00:00:00:00:02,output:p1");
	round_trip("ip,actions=mod_nw_src:1.2.3.4,mod_nw_dst:5.6.7.8,mod_nw_tos:16,output:1",
			"table=0,ip actions=mod_nw_src:1.2.3.4,mod_nw_dst:5.6.7.8,mod_nw_tos:16,"
			"output:p1");
	round_trip("tcp,actions=mod_tp_src:1,mod_tp_dst:2,dec_ttl,mod_nw_ttl:9,output:1",
			"table=0,tcp actions=mod_tp_src:1,mod_tp_dst:2,dec_ttl,mod_nw_ttl:9,"
			"output:p1");
	round_trip("actions=mod_vlan_vid:100,mod_vlan_pcp:3,output:1",
			"table=0 actions=mod_vlan_vid:100,mod_vlan_pcp:3,output:p1");
	round_trip("actions=push_vlan:0x8100,set_field:5->vlan_vid,strip_vlan,output:1",
			"table=0 actions=push_vlan:0x8100,set_field:5->vlan_vid,strip_vlan,"
			"output:p1");
	round_trip("actions=set_field:42->tun_id,1",
			"table=0 actions=set_field:0x2a->tun_id,output:p1");
	round_trip("actions=set_field:0xabcd->tun_metadata0,set_field:7->tun_metadata1,1",
			"table=0 actions=set_field:0xabcd->tun_metadata0,set_field:0x7->tun_metadata1,"
			"output:p1");
	round_trip("actions=set_field:10.0.0.1->ip_src,set_field:00:00:00:00:00:09->eth_dst,1",
			"table=0 actions=set_field:10.0.0.1->ip_src,"
			"set_field:00:00:00:00:00:09->eth_dst,output:p1");
	round_trip("actions=set_field:2001:db8::1->ipv6_dst,set_field:46->ip_dscp,"
			"set_field:80->tcp_dst,set_field:3->vlan_pcp,set_field:7->nw_ttl",
			"table=0 actions=set_field:2001:db8::1->ipv6_dst,set_field:46->ip_dscp,"
			"set_field:80->tp_dst,set_field:3->vlan_pcp,set_field:7->nw_ttl");
	/* The IPv6 underlay's endpoints, in Open vSwitch's order (after tun_dst, before in_port). */
	round_trip("in_port=1,tun_ipv6_dst=fd00:9::/64,tun_id=5,tun_ipv6_src=fd00:9::2,"
			"actions=set_field:fd00:9::3->tun_ipv6_dst,set_field:fd00:9::1->tun_ipv6_src,2",
			"table=0,tun_id=0x5,tun_ipv6_src=fd00:9::2,tun_ipv6_dst=fd00:9::/64,in_port=p1 "
			"actions=set_field:fd00:9::3->tun_ipv6_dst,set_field:fd00:9::1->tun_ipv6_src,"
			"output:p2");
	round_trip("actions=resubmit(,1),resubmit(2,3),resubmit:1,goto_table:4",
			"table=0 actions=resubmit(,1),resubmit(p2,3),resubmit:p1,goto_table:4");
	round_trip("actions=drop", "table=0 actions=drop");
	round_trip("actions=", "table=0 actions=drop");
}

static void
test_bad(void)
{
	bad("in_port=1", FT_PARSE_ADD, "field 'actions': missing");
	bad("in_port=nosuch,actions=drop", FT_PARSE_ADD, "field 'in_port': no such port");
	bad("frobnicate=1,actions=drop", FT_PARSE_ADD, "field 'frobnicate': unknown field");
	bad("tun_flags=2,actions=drop", FT_PARSE_ADD, "field 'tun_flags'");
	bad("tun_flags=+df,actions=drop", FT_PARSE_ADD, "field 'tun_flags'");
	bad("actions=set_field:2->tun_flags", FT_PARSE_ADD, "tun_flags");
	bad("tun_ipv6_src=fd00:9::/129,actions=drop", FT_PARSE_ADD, "prefix length");
	bad("actions=set_field:1.2.3.4->tun_ipv6_dst,output:1", FT_PARSE_ADD,
		"expected an IPv6 address");
	bad("actions=set_field:1.2.3->tun_dst,output:1", FT_PARSE_ADD, "expected an IPv4");
	bad("nw_src=1.2.3.4,actions=drop", FT_PARSE_ADD, "field 'nw_src': needs ip or arp");
	bad("ip,tp_dst=80,actions=drop", FT_PARSE_ADD, "field 'tp_dst': needs tcp");
	bad("tcp,icmp_type=1,actions=drop", FT_PARSE_ADD, "field 'icmp_type': needs icmp");
	bad("ip,ipv6_src=::1,actions=drop", FT_PARSE_ADD, "field 'ipv6_src': needs ipv6");
	bad("udp,tcp_flags=+syn,actions=drop", FT_PARSE_ADD, "field 'tcp_flags': needs tcp");
	bad("ip,arp_op=1,actions=drop", FT_PARSE_ADD, "field 'arp_op': needs arp");
	bad("ip,nw_src=1.2.3.400,actions=drop", FT_PARSE_ADD, "field 'nw_src': expected an IPv4");
	bad("ip,nw_src=1.2.3.4/33,actions=drop", FT_PARSE_ADD, "prefix length");
	bad("dl_src=00:11:22:33:44,actions=drop", FT_PARSE_ADD, "field 'dl_src': expected a MAC");
	bad("priority=65536,actions=drop", FT_PARSE_ADD, "field 'priority': expected a number");
	bad("priority=-1,actions=drop", FT_PARSE_ADD, "field 'priority'");
	bad("table=255,actions=drop", FT_PARSE_ADD, "field 'table'");
	bad("in_port=1/1,actions=drop", FT_PARSE_ADD, "takes no mask");
	bad("ip,udp6,actions=drop", FT_PARSE_ADD, "field 'udp6': contradicts");
	bad("in_port=1,in_port=2,actions=drop", FT_PARSE_ADD, "contradicts");
	bad("dl_vlan=4096,actions=drop", FT_PARSE_ADD, "field 'dl_vlan'");
	bad("dl_vlan_pcp=8,actions=drop", FT_PARSE_ADD, "field 'dl_vlan_pcp'");
	bad("ip,nw_tos=3,actions=drop", FT_PARSE_ADD, "field 'nw_tos'");
	bad("ip,ip_dscp=64,actions=drop", FT_PARSE_ADD, "field 'ip_dscp'");
	bad("cookie=1/1,actions=drop", FT_PARSE_ADD, "cookie mask");
	bad("actions=output", FT_PARSE_ADD, "'output': needs a port");
	bad("actions=output:nosuch", FT_PARSE_ADD, "'output:nosuch': no such port");
	bad("actions=frob", FT_PARSE_ADD, "'frob': unknown action");
	bad("actions=drop,output:1", FT_PARSE_ADD, "must be the only action");
	bad("actions=output:1,drop", FT_PARSE_ADD, "must be the only action");
	bad("actions=mod_nw_src:1.2.3", FT_PARSE_ADD, "expected an IPv4");
	bad("actions=mod_vlan_vid:4096", FT_PARSE_ADD, "VLAN id");
	bad("actions=set_field:1->nosuch", FT_PARSE_ADD, "unknown or unsupported field");
	bad("actions=set_field:1", FT_PARSE_ADD, "expected set_field");
	bad("actions=goto_table:1,output:1", FT_PARSE_ADD, "must be the last");
	bad("table=2,actions=goto_table:1", FT_PARSE_ADD, "later table");
	bad("actions=resubmit(,)", FT_PARSE_ADD, "needs a port or a table");
	bad("actions=resubmit(,300)", FT_PARSE_ADD, "table number");
	bad("actions=push_vlan:0x0800", FT_PARSE_ADD, "TPID");
	bad("in_port=1,actions=drop", FT_PARSE_MATCH, "field 'actions': not allowed");
	bad("ip,tcp_flags=+bogus,actions=drop", FT_PARSE_ADD, "field 'tcp_flags'");
	bad("ip,nw_src,actions=drop", FT_PARSE_ADD, "field 'nw_src': needs a value");
	bad("ip=1,actions=drop", FT_PARSE_ADD, "field 'ip': takes no value");
}

static void
test_match_relations(void)
{
	struct ft_rule_spec wide, narrow;
	char *err = NULL;

	if (ft_rule_parse("ip", FT_PARSE_MATCH, &ports, &wide, &err) ||
	    ft_rule_parse("tcp,nw_src=10.0.0.0/8,tp_dst=80", FT_PARSE_MATCH, &ports, &narrow, &err)) {
		CHECK(0, "parse: %s", err);
		free(err);
		return;
	}
	CHECK(ft_match_covers(&wide.match, &narrow.match), "ip covers tcp,...");
	CHECK(!ft_match_covers(&narrow.match, &wide.match), "tcp,... does not cover ip");
	CHECK(ft_match_covers(&wide.match, &wide.match), "a match covers itself");
}

int
main(void)
{
	test_fields();
	test_actions();
	test_bad();
	test_match_relations();
	test_structured_bad();
	return check_report("test_ft_parse");
}
