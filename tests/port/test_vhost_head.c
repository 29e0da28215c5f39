/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost_fast_head_holds_headers(): when rules match on packets lent by a vhost-user port,
 * only their first 128 bytes are copied, and the rules must find every header they read in
 * that copy.  Frames whose transport header always lies there qualify; IPv6 frames with an
 * extension header (which may push it anywhere) do not, and go through rte_vhost instead.
 */
#include <netinet/in.h>
#include <string.h>

#include "check.h"
#include "vhost_fast.h"

#define HEAD 128

/* An Ethernet frame of type 'type' (with a VLAN tag when 'vlan'), its L3 at the returned offset. */
static unsigned
eth(uint8_t *f, uint16_t type, bool vlan)
{
	unsigned l3 = 14;

	memset(f, 0, 2048);
	memset(f, 0xff, 6);
	f[6] = 0x02;
	if (vlan) {
		f[12] = 0x81;
		f[13] = 0x00;
		f[15] = 100;
		l3 = 18;
	}
	f[l3 - 2] = (uint8_t)(type >> 8);
	f[l3 - 1] = (uint8_t)type;
	return l3;
}

static void
ipv6(uint8_t *f, bool vlan, uint8_t nh)
{
	unsigned l3 = eth(f, 0x86dd, vlan);

	f[l3] = 0x60;
	f[l3 + 6] = nh;
	f[l3 + 7] = 64;
}

int
main(void)
{
	static uint8_t f[2048];
	static const struct {
		uint8_t nh;
		const char *what;
	} ext[] = {
		{ IPPROTO_HOPOPTS, "hop-by-hop" }, { IPPROTO_ROUTING, "routing" },
		{ IPPROTO_FRAGMENT, "fragment" }, { IPPROTO_DSTOPTS, "destination options" },
	};
	unsigned l3;

	l3 = eth(f, 0x0800, false);
	f[l3] = 0x4f;				/* 60 bytes of header: the most IPv4 has */
	f[l3 + 9] = IPPROTO_TCP;
	CHECK(vhost_fast_head_holds_headers(f, 1500, HEAD), "IPv4 with options, TCP");
	eth(f, 0x0800, true);
	CHECK(vhost_fast_head_holds_headers(f, 9000, HEAD), "VLAN, IPv4");
	ipv6(f, false, IPPROTO_TCP);
	CHECK(vhost_fast_head_holds_headers(f, 1500, HEAD), "IPv6, TCP");
	ipv6(f, true, IPPROTO_UDP);
	CHECK(vhost_fast_head_holds_headers(f, 1500, HEAD), "VLAN, IPv6, UDP");
	ipv6(f, false, IPPROTO_ICMPV6);
	CHECK(vhost_fast_head_holds_headers(f, 1500, HEAD), "IPv6, ICMPv6");
	for (unsigned i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		ipv6(f, false, ext[i].nh);
		CHECK(!vhost_fast_head_holds_headers(f, 1500, HEAD), "IPv6, %s header: not lent",
			ext[i].what);
		ipv6(f, true, ext[i].nh);
		CHECK(!vhost_fast_head_holds_headers(f, 1500, HEAD), "VLAN, IPv6, %s header: "
			"not lent", ext[i].what);
		CHECK(vhost_fast_head_holds_headers(f, HEAD, HEAD), "... unless the whole frame "
			"is in the head (%s)", ext[i].what);
	}
	eth(f, 0x0806, false);
	CHECK(vhost_fast_head_holds_headers(f, 200, HEAD), "ARP (padded)");
	eth(f, 0x88b5, false);
	CHECK(vhost_fast_head_holds_headers(f, 9000, HEAD), "another EtherType (L2 only)");
	ipv6(f, false, IPPROTO_TCP);
	CHECK(!vhost_fast_head_holds_headers(f, 1500, 40), "a head too short for any header");
	return check_report("test_vhost_head");
}
