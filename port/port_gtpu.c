/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port type "gtpu" (Open vSwitch's Interface type=gtpu): GTP-U (3GPP TS 29.281) over an
 * IPv4 or IPv6 underlay, natively as Open vSwitch's userspace datapath does it (tnl.h,
 * tnl_gtpu.c).  It carries IP packets, not Ethernet frames (packet_type=legacy_l3, the only
 * mode Open vSwitch gives gtpu): what it sends loses its Ethernet header and gets outer
 * Ethernet/IPv4/UDP/GTP-U headers, or Ethernet/IPv6/UDP/GTP-U with the UDP checksum
 * computed (flags 0x30, G-PDU, the TEID options:key or, with key=flow, the packet's
 * tun_id); what it receives is a G-PDU's payload behind an Ethernet
 * header with zero addresses, or a whole other GTP-U message.  Options as in Open vSwitch:
 * remote_ip, local_ip, key (a TEID or 'flow'), dst_port (2152), tos and ttl (a number or
 * 'inherit'), df_default, packet_type (legacy_l3 only).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tnl.h"

/* GTP-U's outer headers are as long as VXLAN's: the MTU left is the same. */
#define GTPU_HLEN_ALL TNL_VXLAN_HLEN

static const char *const known[] = {
	"remote_ip", "local_ip", "key", "dst_port", "tos", "ttl", "df_default", "packet_type",
	"csum", NULL
};

static int
gtpu_parse(const struct port_args *args, struct tnl_cfg *c, char **err)
{
	const char *v;
	unsigned long x;

	if (tnl_check_options(args, known, "gtpu", err) < 0 ||
			tnl_parse_addrs(args, c, "gtpu", err) < 0)
		return -EINVAL;
	v = port_args_get(args, "key");
	c->key_flow = v != NULL && strcmp(v, "flow") == 0;
	if (!c->key_flow) {
		if (port_args_uint(args, "key", 0, UINT32_MAX, 0, &x, err) < 0)
			return -EINVAL;
		c->vni = (uint32_t)x;
	}
	if (port_args_uint(args, "dst_port", 1, 65535, 2152, &x, err) < 0)
		return -EINVAL;
	c->dst_port = (uint16_t)x;
	if (tnl_parse_tos_ttl(args, c, err) < 0)
		return -EINVAL;
	v = port_args_get(args, "packet_type");
	if (v != NULL && strcmp(v, "legacy_l3") != 0) {
		port_errf(err, "options:packet_type=%s: a gtpu port carries IP packets only "
			"(legacy_l3)", v);
		return -EINVAL;
	}
	v = port_args_get(args, "df_default");
	c->df = v == NULL || strcmp(v, "false") != 0;
	return 0;
}

/* The inner frame's Ethernet header is not sent: 14 bytes more room than VXLAN. */
static int
gtpu_open(struct port *p, const struct port_args *args, const struct port_env *env,
	char **err)
{
	return tnl_port_open(p, args, env, TNL_GTPU, gtpu_parse, 1500 - GTPU_HLEN_ALL + 14, err);
}

static void
gtpu_status(struct port *p, char *buf, size_t len)
{
	tnl_port_status(p, "packet_type=legacy_l3\n", buf, len);
}

const struct port_ops port_gtpu_ops = {
	.type = "gtpu",
	.open = gtpu_open,
	.close = tnl_port_close,
	.rx = tnl_port_rx,
	.tx = tnl_port_tx,
	.dev_stats = tnl_port_dev_stats,
	.link_up = tnl_port_link_up,
	.status = gtpu_status,
};
