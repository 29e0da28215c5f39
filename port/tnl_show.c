/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The texts of ovs/route/show, tnl/arp/show and tnl/ports/show, in Open vSwitch's formats,
 * and tnl/arp/set (control thread).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>

#include "tnl.h"

#define MAX_ROUTES 512

/* A growing string: 'printf' appends; NULL after a failed allocation. */
struct text {
	char *s;
	size_t len;
};

static void __attribute__((format(printf, 2, 3)))
text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	char *add = NULL, *n;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&add, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	n = realloc(t->s, t->len + (size_t)len + 1);
	if (n != NULL) {
		memcpy(n + t->len, add, (size_t)len + 1);
		t->s = n;
		t->len += (size_t)len;
	}
	free(add);
}

static const char *
ip_str(uint32_t ip, char *buf)
{
	return inet_ntop(AF_INET, &ip, buf, INET_ADDRSTRLEN);
}

/*
 * The source address of IPv6 route 'r', which the kernel keeps without one unless it was
 * given: the one it would pick for the gateway or else the prefix's first address, as Open
 * vSwitch shows one.
 */
static struct in6_addr
route_src6(const struct tnl_route *r)
{
	struct tnl_route g;

	if (tnl_route_get6(IN6_IS_ADDR_UNSPECIFIED(&r->gw6) ? &r->dst6 : &r->gw6, &g) < 0)
		memset(&g.src6, 0, sizeof(g.src6));
	return g.src6;
}

char *
port_tnl_route_show(void)
{
	static struct tnl_route r[MAX_ROUTES];
	struct text t = { 0 };
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int n = tnl_route_dump(r, MAX_ROUTES);

	text_add(&t, "Route Table:\n");
	for (int i = 0; i < n; i++) {
		if (r[i].family == AF_INET6) {
			text_add(&t, "Cached: %s/%u dev %s",
				inet_ntop(AF_INET6, &r[i].dst6, a, sizeof(a)), r[i].dst_len,
				r[i].dev);
			if (!IN6_IS_ADDR_UNSPECIFIED(&r[i].gw6))
				text_add(&t, " GW %s", inet_ntop(AF_INET6, &r[i].gw6, b, sizeof(b)));
			if (IN6_IS_ADDR_UNSPECIFIED(&r[i].src6))
				r[i].src6 = route_src6(&r[i]);
			if (!IN6_IS_ADDR_UNSPECIFIED(&r[i].src6))
				text_add(&t, " SRC %s",
					inet_ntop(AF_INET6, &r[i].src6, b, sizeof(b)));
		} else {
			text_add(&t, "Cached: %s/%u dev %s", ip_str(r[i].dst, a), r[i].dst_len,
				r[i].dev);
			if (r[i].gw != 0)
				text_add(&t, " GW %s", ip_str(r[i].gw, b));
			if (r[i].src != 0)
				text_add(&t, " SRC %s", ip_str(r[i].src, b));
		}
		text_add(&t, "%s\n", r[i].table == 255 ? " local" : "");
	}
	return t.s;
}

char *
port_tnl_arp_show(void)
{
	struct text t = { 0 };
	unsigned n;
	const struct tnl_neigh *nb = tnl_neigh_table(&n);
	char a[INET6_ADDRSTRLEN];

	text_add(&t, "%-45s %-19s %s\n", "IP", "MAC", "Bridge");
	text_add(&t, "==========================================================================\n");
	for (unsigned i = 0; i < n; i++)
		text_add(&t, "%-45s %02x:%02x:%02x:%02x:%02x:%02x   %s\n",
			tnl_addr_str(&nb[i].ip, a),
			nb[i].mac[0], nb[i].mac[1], nb[i].mac[2], nb[i].mac[3], nb[i].mac[4],
			nb[i].mac[5], nb[i].dev);
	return t.s;
}

char *
port_tnl_ports_show(void)
{
	struct tnl_port *const *tp = tnl_ports_table();
	struct text t = { 0 };
	char a[INET6_ADDRSTRLEN], key[12];

	text_add(&t, "Listening ports:\n");
	for (unsigned i = 0; i < PORT_MAX_SLOTS; i++) {
		unsigned refs = 0;
		bool first = true;

		if (tp[i] == NULL)
			continue;
		for (unsigned j = 0; j < PORT_MAX_SLOTS; j++) {
			if (tp[j] != NULL && tp[j]->cfg.dst_port == tp[i]->cfg.dst_port) {
				first &= j >= i;
				refs++;
			}
		}
		if (first)
			text_add(&t, "%s_sys_%u (%u) ref_cnt=%u\n",
				tp[i]->cfg.type == TNL_GENEVE ? "genev" : tp[i]->port->ops->type,
				tp[i]->cfg.dst_port, tp[i]->cfg.dst_port, refs);
	}
	text_add(&t, "Tunnel ports:\n");
	for (unsigned i = 0; i < PORT_MAX_SLOTS; i++) {
		struct tnl_pmd_stats s = { 0 };
		bool up;

		if (tp[i] == NULL)
			continue;
		for (unsigned k = 0; k < PORT_MAX_PMDS; k++) {
			s.rx_errors += tp[i]->st[k].rx_errors;
			s.rx_dropped += tp[i]->st[k].rx_dropped;
			s.tx_no_route += tp[i]->st[k].tx_no_route;
			s.tx_errors += tp[i]->st[k].tx_errors;
			s.tx_no_dst += tp[i]->st[k].tx_no_dst;
		}
		up = tp[i]->encap != NULL || (tp[i]->cfg.remote_flow && tp[i]->why[0] == '\0');
		if (tp[i]->cfg.key_flow)
			snprintf(key, sizeof(key), "flow");
		else
			snprintf(key, sizeof(key), "%u", tp[i]->cfg.vni);
		text_add(&t, "%s: %s key=%s remote_ip=%s%s dst_port=%u %s%s\n"
			"  rx_errors=%lu (truncated or bad outer headers) rx_dropped=%lu "
			"(unknown key, or no buffer to copy a shared packet) tx_no_route=%lu "
			"tx_errors=%lu tx_no_dst=%lu (remote_ip=flow, no tun_dst)\n", tp[i]->port->name,
			tp[i]->port->ops->type, key, tp[i]->cfg.remote_flow ? "flow" :
			tp[i]->cfg.ipv6 ?
			inet_ntop(AF_INET6, &tp[i]->cfg.remote_ip6, a, sizeof(a)) :
			ip_str(tp[i]->cfg.remote_ip, a),
			tp[i]->cfg.local_flow ? " local_ip=flow" : "",
			tp[i]->cfg.dst_port, up ? "up" : tp[i]->cfg.remote_flow ? "" : "down: ",
			up ? "" : tp[i]->why, (unsigned long)s.rx_errors,
			(unsigned long)s.rx_dropped, (unsigned long)s.tx_no_route,
			(unsigned long)s.tx_errors, (unsigned long)s.tx_no_dst);
	}
	return t.s;
}

int
port_tnl_arp_set(const char *dev, const char *ip, const char *mac, char **err)
{
	struct rte_ether_addr ea;
	struct in6_addr a6;
	uint32_t a;

	if (inet_pton(AF_INET, ip, &a) == 1) {
		tnl_in6_mapped(&a6, a);
	} else if (inet_pton(AF_INET6, ip, &a6) != 1) {
		port_errf(err, "%s: not an IPv4 or IPv6 address", ip);
		return -EINVAL;
	}
	if (rte_ether_unformat_addr(mac, &ea) != 0) {
		port_errf(err, "%s: not a MAC address", mac);
		return -EINVAL;
	}
	if (tnl_neigh_set(dev, &a6, ea.addr_bytes) < 0) {
		port_errf(err, "the neighbour table is full of tunnels' next hops");
		return -ENOSPC;
	}
	tnl_run();
	return 0;
}

int
port_tnl_tlv_parse(const char *spec, struct port_tlv_map *maps, unsigned max, unsigned *n,
		char **err)
{
	const char *p = spec;

	*n = 0;
	while (*p != '\0') {
		unsigned cls, type, len, idx;
		int used = 0;

		if (sscanf(p, " {class=%i,type=%i,len=%i}->tun_metadata%u%n", &cls, &type, &len,
				&idx, &used) != 4 || used == 0 || cls > 0xffff || type > 0xff ||
				len > 0xff || idx > 0xffff) {
			port_errf(err, "'%s': expected {class=CLASS,type=TYPE,len=LEN}->"
				"tun_metadataN[,...]", p);
			return -EINVAL;
		}
		if (*n == max) {
			port_errf(err, "'%s': vireo-dp has %u tun_metadata fields", spec,
				TNL_N_METADATA);
			return -ERANGE;
		}
		maps[(*n)++] = (struct port_tlv_map){ (uint16_t)cls, (uint8_t)type, (uint8_t)len,
			(uint16_t)idx };
		p += used;
		if (*p == ',')
			p++;
	}
	return 0;
}

int
port_tnl_tlv_mod(enum port_tlv_cmd cmd, const struct port_tlv_map *maps, unsigned n,
		char **err)
{
	return tnl_tlv_map_mod(cmd, maps, n, err);
}

unsigned
port_tnl_tlv_get(struct port_tlv_map *out, unsigned max, unsigned *max_fields,
		unsigned *max_space)
{
	const struct tnl_tlv_map *m = tnl_tlv_map_get();
	unsigned n = 0;

	*max_fields = TNL_N_METADATA;
	*max_space = TNL_N_METADATA * TNL_METADATA_LEN;
	for (unsigned i = 0; i < TNL_N_METADATA; i++) {
		if (m[i].len == 0)
			continue;
		if (n < max)
			out[n] = (struct port_tlv_map){ m[i].opt_class, m[i].opt_type, m[i].len,
				(uint16_t)i };
		n++;
	}
	return n;
}

char *
port_tnl_tlv_show(void)
{
	const struct tnl_tlv_map *m = tnl_tlv_map_get();
	struct text t = { 0 };
	unsigned n = 0;

	for (unsigned i = 0; i < TNL_N_METADATA; i++)
		n += m[i].len;
	text_add(&t, " max option space=%u max fields=%u\n allocated option space=%u\n\n",
		TNL_N_METADATA * TNL_METADATA_LEN, TNL_N_METADATA, n);
	text_add(&t, " mapping table:\n  class\ttype\tlength\tmatch field\n"
		" ------\t----\t------\t--------------\n");
	for (unsigned i = 0; i < TNL_N_METADATA; i++)
		if (m[i].len != 0)
			text_add(&t, "  0x%x\t0x%x\t%u\ttun_metadata%u\n", m[i].opt_class,
				m[i].opt_type, m[i].len, i);
	return t.s;
}

void
port_tnl_run(void)
{
	tnl_run();
}
