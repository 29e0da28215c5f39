/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port types "vxlan" and "geneve" (Open vSwitch's Interface type=vxlan, type=geneve): a
 * VXLAN or Geneve tunnel over an IPv4 or IPv6 underlay, natively as Open vSwitch's userspace
 * datapath does it (tnl.h).  The two differ in the 8 bytes after UDP, the default
 * dst_port (4789, 6081) and Geneve's option TLVs (tun_metadataN, tnl_tlv_map_mod()).  It has no
 * device and no rx queue: what it sends is encapsulated and enters the bridge of the
 * internal port the kernel routes options:remote_ip through; what it receives is popped
 * from packets that bridge sends to such an internal port for options:local_ip (any of
 * that port's addresses when unset) and options:dst_port with VNI options:key (0; 'flow': the VNI is
 * tun_id, set by the rules for what is sent, any VNI no other port has received).
 * Options as in Open vSwitch: tos and ttl (a number or 'inherit'; over IPv6 the traffic
 * class and hop limit; a tos is a DSCP: its ECN bits 0), df_default (true, IPv4 only),
 * csum (the outer UDP checksum: over IPv4 with csum=true, over IPv6 unless csum=false);
 * remote_ip=flow (over IPv4: the rules' tun_dst) and local_ip=flow (tun_src) as tnl.h says.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tnl.h"

static const char *const known[] = {
	"remote_ip", "local_ip", "key", "dst_port", "tos", "ttl", "df_default", "csum", NULL
};

static const char *
type_name(const struct tnl_cfg *c)
{
	return c->type == TNL_GENEVE ? "geneve" : "vxlan";
}

int
tnl_check_options(const struct port_args *args, const char *const *known, const char *type,
	char **err)
{
	for (unsigned i = 0; i < args->n_options; i++) {
		unsigned k = 0;

		while (known[k] != NULL && strcmp(known[k], args->options[i].key) != 0)
			k++;
		if (known[k] == NULL) {
			port_errf(err, "options:%s: not an option of a %s port",
				args->options[i].key, type);
			return -EINVAL;
		}
	}
	return 0;
}

/* Whether IPv4 address 'a' (network order) may be a tunnel's endpoint: not 0.0.0.0, not
 * 255.255.255.255, not multicast. */
static bool
ip4_unicast(uint32_t a)
{
	uint32_t h = ntohl(a);

	return h != INADDR_ANY && h != INADDR_BROADCAST && !IN_MULTICAST(h);
}

/* options:'key': an IPv4 address into '*ip' (returns AF_INET) or an IPv6 one into '*ip6'
 * (AF_INET6), unicast and specified; 'flow' (returns AF_UNSPEC, 1); 0 when absent and not
 * 'required'; else -EINVAL. */
static int
parse_ip(const struct port_args *args, const char *key, bool required, uint32_t *ip,
	struct in6_addr *ip6, const char *type, char **err)
{
	const char *v = port_args_get(args, key);

	*ip = 0;
	memset(ip6, 0, sizeof(*ip6));
	if (v == NULL) {
		if (required)
			port_errf(err, "options:%s is required for a %s port", key, type);
		return required ? -EINVAL : 0;
	}
	if (strcmp(v, "flow") == 0)
		return 1;
	if (inet_pton(AF_INET, v, ip) == 1) {
		if (ip4_unicast(*ip))
			return AF_INET;
		*ip = 0;
	} else if (inet_pton(AF_INET6, v, ip6) == 1 && !IN6_IS_ADDR_V4MAPPED(ip6) &&
			!IN6_IS_ADDR_UNSPECIFIED(ip6) && !IN6_IS_ADDR_MULTICAST(ip6)) {
		return AF_INET6;
	}
	port_errf(err, "options:%s=%s: vireo-dp's tunnels take a fixed unicast IPv4 or IPv6 "
		"address or 'flow'", key, v);
	return -EINVAL;
}

int
tnl_parse_addrs(const struct port_args *args, struct tnl_cfg *c, const char *type,
	char **err)
{
	int r = parse_ip(args, "remote_ip", true, &c->remote_ip, &c->remote_ip6, type, err);
	int l = r < 0 ? r : parse_ip(args, "local_ip", false, &c->local_ip, &c->local_ip6, type,
		err);
	const char *v;

	if (r < 0 || l < 0)
		return -EINVAL;
	c->remote_flow = r == 1;
	c->local_flow = l == 1;
	/*
	 * remote_ip=flow takes its family from a fixed local_ip; without one, as in Open
	 * vSwitch, each packet's: tun_ipv6_dst when a rule set it, else tun_dst.
	 */
	c->any_family = c->remote_flow && (l == 0 || l == 1);
	if (c->remote_flow)
		r = c->any_family ? AF_INET : l;
	if (c->local_flow)
		l = r;
	if (l != 0 && l != r) {
		port_errf(err, "options:local_ip=%s and options:remote_ip=%s: not of the same "
			"address family", port_args_get(args, "local_ip"),
			port_args_get(args, "remote_ip"));
		return -EINVAL;
	}
	c->ipv6 = r == AF_INET6;
	v = port_args_get(args, "csum");
	if (v != NULL && strcmp(v, "false") != 0 && strcmp(v, "true") != 0) {
		port_errf(err, "options:csum=%s: must be true or false", v);
		return -EINVAL;
	}
	c->csum = v != NULL && strcmp(v, "true") == 0;
	c->csum6 = v == NULL || c->csum;
	return 0;
}

int
tnl_parse_inherit(const struct port_args *args, const char *key, unsigned long min,
	unsigned long max, int def, int16_t *out, char **err)
{
	const char *v = port_args_get(args, key);
	unsigned long x;

	if (v != NULL && strcmp(v, "inherit") == 0) {
		*out = -1;
		return 0;
	}
	if (port_args_uint(args, key, min, max, (unsigned long)def, &x, err) < 0)
		return -EINVAL;
	*out = (int16_t)x;
	return 0;
}

int
tnl_parse_tos_ttl(const struct port_args *args, struct tnl_cfg *c, char **err)
{
	if (tnl_parse_inherit(args, "tos", 0, 255, 0, &c->tos, err) < 0 ||
			tnl_parse_inherit(args, "ttl", 1, 255, 64, &c->ttl, err) < 0)
		return -EINVAL;
	/* The outer ECN field is the inner packet's (tnl_pmd.c), as in Open vSwitch. */
	if (c->tos > 0 && (c->tos & TNL_ECN_MASK) != 0) {
		port_errf(err, "options:tos=%s: invalid TOS: its two ECN bits must be 0 (the "
			"outer ECN field is the inner packet's)", port_args_get(args, "tos"));
		return -EINVAL;
	}
	return 0;
}

static int
vxlan_parse(const struct port_args *args, struct tnl_cfg *c, char **err)
{
	const char *v;
	unsigned long x;

	if (tnl_check_options(args, known, type_name(c), err) < 0)
		return -EINVAL;
	if (tnl_parse_addrs(args, c, type_name(c), err) < 0)
		return -EINVAL;
	v = port_args_get(args, "key");
	c->key_flow = v != NULL && strcmp(v, "flow") == 0;
	if (!c->key_flow && port_args_uint(args, "key", 0, 0xffffff, 0, &x, err) < 0)
		return -EINVAL;
	c->vni = c->key_flow ? 0 : (uint32_t)x;
	if (port_args_uint(args, "dst_port", 1, 65535, c->type == TNL_GENEVE ? 6081 : 4789, &x,
			err) < 0)
		return -EINVAL;
	c->dst_port = (uint16_t)x;
	if (tnl_parse_tos_ttl(args, c, err) < 0)
		return -EINVAL;
	v = port_args_get(args, "df_default");
	c->df = v == NULL || strcmp(v, "false") != 0;
	return 0;
}

int
tnl_port_open(struct port *p, const struct port_args *args, const struct port_env *env,
	enum tnl_type type, tnl_parse_fn *parse, int mtu, char **err)
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
	t->cfg.type = (uint8_t)type;
	rc = parse(args, &t->cfg, err);
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
	/* An IPv6 header is 20 bytes longer than IPv4's. */
	p->mtu = args->mtu_request ? (int)args->mtu_request :
		mtu - (t->cfg.ipv6 ? TNL_IPV6_EXTRA : 0);
	rc = tnl_port_add(t, err);
	if (rc < 0) {
		p->priv = NULL;
		free(t);
	}
	return rc;
}

static int
vxlan_open(struct port *p, const struct port_args *args, const struct port_env *env,
	char **err)
{
	return tnl_port_open(p, args, env, TNL_VXLAN, vxlan_parse, 1500 - TNL_VXLAN_HLEN, err);
}

static int
geneve_open(struct port *p, const struct port_args *args, const struct port_env *env,
	char **err)
{
	return tnl_port_open(p, args, env, TNL_GENEVE, vxlan_parse, 1500 - TNL_VXLAN_HLEN, err);
}

/*
 * The port operations every tunnel type shares (vxlan, geneve here; gtpu in port_gtpu.c):
 * a tunnel port receives nothing itself (tnl_pmd.c hands decapsulated packets to the
 * bridge as arriving on it) and transmits by encapsulating.
 */
void
tnl_port_close(struct port *p)
{
	struct tnl_port *t = p->priv;

	tnl_port_del(t);
	free(t);
	p->priv = NULL;
}

uint16_t
tnl_port_rx(struct port *p, uint16_t qid, struct rte_mbuf **pkts, uint16_t n)
{
	(void)p;
	(void)qid;
	(void)pkts;
	(void)n;
	return 0;
}

uint16_t
tnl_port_tx(struct port *p, uint16_t qid, struct rte_mbuf **pkts, uint16_t n,
	uint64_t *failed_bytes)
{
	return tnl_encap_tx(p->priv, qid, pkts, n, failed_bytes);
}

void
tnl_port_dev_stats(struct port *p, struct port_dev_stats *st)
{
	const struct tnl_port *t = p->priv;

	for (unsigned i = 0; i < PORT_MAX_PMDS; i++) {
		st->rx_errors += t->st[i].rx_errors;
		st->rx_dropped += t->st[i].rx_dropped;
		st->tx_dropped += t->st[i].tx_no_route + t->st[i].tx_no_dst;
		st->tx_errors += t->st[i].tx_errors;
	}
}

/*
 * Up while an encapsulation is published: a route through an internal port, a next hop.
 * A remote_ip=flow port is always up, as in Open vSwitch: it has no one remote to route.
 */
bool
tnl_port_link_up(struct port *p)
{
	const struct tnl_port *t = p->priv;

	return t->cfg.remote_flow || __atomic_load_n(&t->encap, __ATOMIC_ACQUIRE) != NULL;
}

void
tnl_port_status(struct port *p, const char *extra, char *buf, size_t len)
{
	const struct tnl_port *t = p->priv;
	char r[INET6_ADDRSTRLEN], l[INET6_ADDRSTRLEN], k[16];

	if (t->cfg.ipv6) {
		inet_ntop(AF_INET6, &t->cfg.remote_ip6, r, sizeof(r));
		inet_ntop(AF_INET6, &t->src6, l, sizeof(l));
	} else {
		inet_ntop(AF_INET, &t->cfg.remote_ip, r, sizeof(r));
		inet_ntop(AF_INET, &t->src, l, sizeof(l));
	}
	if (t->cfg.remote_flow)
		snprintf(r, sizeof(r), "flow");
	if (t->cfg.local_flow)
		snprintf(l, sizeof(l), "flow");
	else if (t->cfg.remote_flow && t->cfg.local_ip != 0)
		inet_ntop(AF_INET, &t->cfg.local_ip, l, sizeof(l));
	else if (t->cfg.remote_flow && t->cfg.ipv6)
		inet_ntop(AF_INET6, &t->cfg.local_ip6, l, sizeof(l));
	if (t->cfg.key_flow)
		snprintf(k, sizeof(k), "flow");
	else
		snprintf(k, sizeof(k), "%u", t->cfg.vni);
	snprintf(buf, len, "tunnel_egress_iface=%s\nremote_ip=%s\nlocal_ip=%s\nkey=%s\n"
		"dst_port=%u\n%s%s%s%s", t->dev, r, l, k, t->cfg.dst_port, extra,
		t->why[0] ? "vireo_dp=" : "", t->why, t->why[0] ? "\n" : "");
}

static void
vxlan_status(struct port *p, char *buf, size_t len)
{
	tnl_port_status(p, "", buf, len);
}

const struct port_ops port_vxlan_ops = {
	.type = "vxlan",
	.open = vxlan_open,
	.close = tnl_port_close,
	.rx = tnl_port_rx,
	.tx = tnl_port_tx,
	.dev_stats = tnl_port_dev_stats,
	.link_up = tnl_port_link_up,
	.status = vxlan_status,
};

const struct port_ops port_geneve_ops = {
	.type = "geneve",
	.open = geneve_open,
	.close = tnl_port_close,
	.rx = tnl_port_rx,
	.tx = tnl_port_tx,
	.dev_stats = tnl_port_dev_stats,
	.link_up = tnl_port_link_up,
	.status = vxlan_status,
};
