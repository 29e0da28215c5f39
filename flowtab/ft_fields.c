/* SPDX-License-Identifier: BSD-3-Clause */
/* The table of match fields. */

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ft_fields.h"
#include "ft_rule.h"

#define F(n, field, k, pr, mk) \
	{ n, offsetof(struct ft_key, field), sizeof(((struct ft_key *)0)->field), k, pr, mk }

/* Canonical names first: the printer uses the first entry that fits a key range. */
const struct ft_field ft_fields[] = {
	F("in_port", in_port, FT_FK_PORT, FT_PR_NONE, false),
	F("dl_src", dl_src, FT_FK_MAC, FT_PR_NONE, true),
	F("dl_dst", dl_dst, FT_FK_MAC, FT_PR_NONE, true),
	F("dl_type", dl_type, FT_FK_NUM, FT_PR_NONE, false),
	F("vlan_tci", vlan_tci, FT_FK_NUM, FT_PR_NONE, true),
	F("dl_vlan", vlan_tci, FT_FK_VLAN_VID, FT_PR_NONE, false),
	F("dl_vlan_pcp", vlan_tci, FT_FK_VLAN_PCP, FT_PR_NONE, false),
	F("nw_src", nw_src, FT_FK_IPV4, FT_PR_IP4_OR_ARP, true),
	F("nw_dst", nw_dst, FT_FK_IPV4, FT_PR_IP4_OR_ARP, true),
	F("nw_proto", nw_proto, FT_FK_NUM, FT_PR_IP_ANY, false),
	F("nw_tos", nw_tos, FT_FK_TOS, FT_PR_IP_ANY, false),
	F("ip_dscp", nw_tos, FT_FK_DSCP, FT_PR_IP_ANY, false),
	F("nw_ttl", nw_ttl, FT_FK_NUM, FT_PR_IP_ANY, false),
	F("tp_src", tp_src, FT_FK_NUM, FT_PR_L4, true),
	F("tp_dst", tp_dst, FT_FK_NUM, FT_PR_L4, true),
	F("icmp_type", tp_src, FT_FK_BYTE16, FT_PR_ICMP, false),
	F("icmp_code", tp_dst, FT_FK_BYTE16, FT_PR_ICMP, false),
	F("arp_op", nw_proto, FT_FK_NUM, FT_PR_ARP, false),
	F("arp_spa", nw_src, FT_FK_IPV4, FT_PR_ARP, true),
	F("arp_tpa", nw_dst, FT_FK_IPV4, FT_PR_ARP, true),
	F("ipv6_src", ipv6_src, FT_FK_IPV6, FT_PR_IPV6, true),
	F("ipv6_dst", ipv6_dst, FT_FK_IPV6, FT_PR_IPV6, true),
	F("tcp_flags", tcp_flags, FT_FK_TCP_FLAGS, FT_PR_TCP, true),
	F("tun_id", tun_id, FT_FK_NUM, FT_PR_NONE, true),
	F("tun_src", tun_src, FT_FK_IPV4, FT_PR_NONE, true),
	F("tun_dst", tun_dst, FT_FK_IPV4, FT_PR_NONE, true),
	F("tun_ipv6_src", tun_ipv6_src, FT_FK_IPV6, FT_PR_NONE, true),
	F("tun_ipv6_dst", tun_ipv6_dst, FT_FK_IPV6, FT_PR_NONE, true),
	F("tun_gtpu_flags", tun_gtpu_flags, FT_FK_NUM, FT_PR_NONE, true),
	F("tun_gtpu_msgtype", tun_gtpu_msgtype, FT_FK_NUM, FT_PR_NONE, true),
	F("tun_flags", tun_flags, FT_FK_TUN_FLAGS, FT_PR_NONE, true),
	F("tun_metadata0", tun_metadata[0], FT_FK_NUM, FT_PR_NONE, true),
	F("tun_metadata1", tun_metadata[1], FT_FK_NUM, FT_PR_NONE, true),
	/* Aliases (OXM names). */
	F("eth_src", dl_src, FT_FK_MAC, FT_PR_NONE, true),
	F("eth_dst", dl_dst, FT_FK_MAC, FT_PR_NONE, true),
	F("eth_type", dl_type, FT_FK_NUM, FT_PR_NONE, false),
	F("ip_src", nw_src, FT_FK_IPV4, FT_PR_IP4_OR_ARP, true),
	F("ip_dst", nw_dst, FT_FK_IPV4, FT_PR_IP4_OR_ARP, true),
	F("ip_proto", nw_proto, FT_FK_NUM, FT_PR_IP_ANY, false),
	F("tcp_src", tp_src, FT_FK_NUM, FT_PR_L4, true),
	F("tcp_dst", tp_dst, FT_FK_NUM, FT_PR_L4, true),
	F("udp_src", tp_src, FT_FK_NUM, FT_PR_L4, true),
	F("udp_dst", tp_dst, FT_FK_NUM, FT_PR_L4, true),
	F("icmpv6_type", tp_src, FT_FK_BYTE16, FT_PR_ICMP, false),
	F("icmpv6_code", tp_dst, FT_FK_BYTE16, FT_PR_ICMP, false),
};

const unsigned ft_n_fields = RTE_DIM(ft_fields);

/* The fields by name, for a binary search (a rule's every field is looked up: 100k rules
 * in a bundle); built once, by whichever thread parses first. */
static const struct ft_field *by_name[RTE_DIM(ft_fields)];
static pthread_once_t by_name_once = PTHREAD_ONCE_INIT;

static int
cmp_field(const void *a, const void *b)
{
	return strcmp((*(const struct ft_field *const *)a)->name,
		(*(const struct ft_field *const *)b)->name);
}

static void
by_name_build(void)
{
	unsigned i;

	for (i = 0; i < ft_n_fields; i++)
		by_name[i] = &ft_fields[i];
	/* Stable for equal names is not needed: every name is in the table once. */
	qsort(by_name, ft_n_fields, sizeof(by_name[0]), cmp_field);
}

const struct ft_field *
ft_field_find(const char *name)
{
	unsigned lo = 0, hi = ft_n_fields, mid;
	int c;

	pthread_once(&by_name_once, by_name_build);
	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strcmp(by_name[mid]->name, name);
		if (c == 0)
			return by_name[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static uint16_t
match_dl_type(const struct ft_match *m)
{
	if (m->mask.dl_type != 0xffff)
		return 0;
	return rte_be_to_cpu_16(m->key.dl_type);
}

bool
ft_field_prereq_ok(const struct ft_match *m, enum ft_prereq p)
{
	uint16_t t = match_dl_type(m);
	bool ip = t == 0x0800 || t == 0x86dd;
	uint8_t proto = m->mask.nw_proto == 0xff ? m->key.nw_proto : 0;

	switch (p) {
	case FT_PR_NONE:
		return true;
	case FT_PR_IP_ANY:
		return ip;
	case FT_PR_IP4_OR_ARP:
		return t == 0x0800 || t == 0x0806;
	case FT_PR_ARP:
		return t == 0x0806;
	case FT_PR_IPV6:
		return t == 0x86dd;
	case FT_PR_L4:
		return ip && (proto == 6 || proto == 17 || proto == 132);
	case FT_PR_TCP:
		return ip && proto == 6;
	case FT_PR_ICMP:
		return (t == 0x0800 && proto == 1) || (t == 0x86dd && proto == 58);
	}
	return false;
}

const char *
ft_prereq_name(enum ft_prereq p)
{
	static const char *const names[] = {
		[FT_PR_NONE] = "nothing",
		[FT_PR_IP_ANY] = "ip or ipv6 (dl_type=0x0800 or 0x86dd)",
		[FT_PR_IP4_OR_ARP] = "ip or arp (dl_type=0x0800 or 0x0806)",
		[FT_PR_ARP] = "arp (dl_type=0x0806)",
		[FT_PR_IPV6] = "ipv6 (dl_type=0x86dd)",
		[FT_PR_L4] = "tcp, udp or sctp (nw_proto=6, 17 or 132 over ip or ipv6)",
		[FT_PR_TCP] = "tcp (nw_proto=6 over ip or ipv6)",
		[FT_PR_ICMP] = "icmp or icmp6 (nw_proto=1 over ip or 58 over ipv6)",
	};

	return names[p];
}
