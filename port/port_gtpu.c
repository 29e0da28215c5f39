/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port type "gtpu" (Open vSwitch's Interface type=gtpu): GTP-U (3GPP TS 29.281) over an
 * IPv4 underlay, natively as Open vSwitch's userspace datapath does it (tnl.h,
 * tnl_gtpu.c).  It carries IP packets, not Ethernet frames (packet_type=legacy_l3, the only
 * mode Open vSwitch gives gtpu): what it sends loses its Ethernet header and gets outer
 * Ethernet/IPv4/UDP/GTP-U headers (flags 0x30, G-PDU, the TEID options:key or, with
 * key=flow, the packet's tun_id); what it receives is a G-PDU's payload behind an Ethernet
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
	NULL
};

static int
parse_ip(const struct port_args *args, const char *key, bool required, uint32_t *ip,
	char **err)
{
	const char *v = port_args_get(args, key);

	*ip = 0;
	if (v == NULL) {
		if (required)
			port_errf(err, "options:%s is required for a gtpu port", key);
		return required ? -EINVAL : 0;
	}
	if (inet_pton(AF_INET, v, ip) != 1) {
		port_errf(err, "options:%s=%s: vireo-dp's gtpu ports take a fixed IPv4 address",
			key, v);
		return -EINVAL;
	}
	return 0;
}

/* A number in [min, max] or 'inherit' (-1). */
static int
parse_inherit(const struct port_args *args, const char *key, unsigned long max, int def,
	int16_t *out, char **err)
{
	const char *v = port_args_get(args, key);
	unsigned long x;

	if (v != NULL && strcmp(v, "inherit") == 0) {
		*out = -1;
		return 0;
	}
	if (port_args_uint(args, key, strcmp(key, "ttl") == 0, max, (unsigned long)def, &x,
			err) < 0)
		return -EINVAL;
	*out = (int16_t)x;
	return 0;
}

static int
gtpu_parse(const struct port_args *args, struct tnl_cfg *c, char **err)
{
	const char *v;
	unsigned long x;

	for (unsigned i = 0; i < args->n_options; i++) {
		unsigned k = 0;

		while (known[k] != NULL && strcmp(known[k], args->options[i].key) != 0)
			k++;
		if (known[k] == NULL) {
			port_errf(err, "options:%s: not an option of a gtpu port",
				args->options[i].key);
			return -EINVAL;
		}
	}
	c->type = TNL_GTPU;
	if (parse_ip(args, "remote_ip", true, &c->remote_ip, err) < 0 ||
			parse_ip(args, "local_ip", false, &c->local_ip, err) < 0)
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
	if (parse_inherit(args, "tos", 255, 0, &c->tos, err) < 0 ||
			parse_inherit(args, "ttl", 255, 64, &c->ttl, err) < 0)
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

static int
gtpu_open(struct port *p, const struct port_args *args, const struct port_env *env,
	char **err)
{
	struct tnl_port *t;
	int rc;

	if (env->deliver == NULL) {
		port_errf(err, "tunnel ports need a switch to deliver to");
		return -ENOTSUP;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	rc = gtpu_parse(args, &t->cfg, err);
	if (rc < 0) {
		free(t);
		return rc;
	}
	t->port = p;
	t->env = env;
	p->priv = t;
	p->n_rxq = 0;
	p->n_txq = PORT_MAX_TXQ;	/* qid == the sending PMD's index: never a lock */
	p->tx_locked = false;
	p->socket = -1;
	/* The inner frame's Ethernet header is not sent: 14 bytes more room than VXLAN. */
	p->mtu = args->mtu_request ? (int)args->mtu_request :
		1500 - GTPU_HLEN_ALL + 14;
	rc = tnl_port_add(t, err);
	if (rc < 0) {
		p->priv = NULL;
		free(t);
	}
	return rc;
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
