/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Native tunnelling's tables and the control thread's side of it (see tnl.h): tunnel and
 * internal port registries, the decapsulation endpoints, the neighbour table fed by ARP and
 * Neighbor Discovery the PMDs pass on, and the encapsulation each tunnel port gets from a
 * route and a next hop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf_dyn.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "rcu.h"
#include "tnl.h"

#define SNOOP_RING_SIZE 1024
#define MAX_RETIRED 256

/* Control thread only, but for the published pointers. */
static struct tnl_port *tunnels[PORT_MAX_SLOTS];
static struct {
	struct port *port;
	const struct port_env *env;
} internals[PORT_MAX_SLOTS];
static const struct port_env *tnl_env;
static struct tnl_decap *decap;			/* atomic: PMDs read */
/* By slot, what internal ports receive tunnels on (atomic: PMDs read), and the socket that
 * tells the control thread when to read them again (-1: none yet; -errno: failed, read
 * every second instead). */
static struct tnl_local *locals[PORT_MAX_SLOTS];
static int local_mon = -1;
struct rte_ring *tnl_snoop_ring;		/* PMDs enqueue, control thread dequeues */
struct rte_ring *tnl_want_ring;			/* the same */
static struct tnl_neigh neigh[TNL_NEIGH_MAX];
static unsigned n_neigh;
static struct {
	void *ptr;
	uint64_t token;
} retired[MAX_RETIRED];
static unsigned n_retired;
static struct tnl_tlv_map tlv_map[TNL_N_METADATA];

int tnl_md_offset = -1;
uint64_t tnl_md_flag;

/* The metadata field and flag (see tnl.h); failing, packets just carry none. */
static void
md_register(void)
{
	static const struct rte_mbuf_dynfield field = {
		.name = TNL_MD_NAME,
		.size = sizeof(struct tnl_md),
		.align = __alignof__(struct tnl_md),
	};
	static const struct rte_mbuf_dynflag flag = { .name = TNL_MD_FLAG_NAME };
	int ofs, bit;

	if (tnl_md_offset >= 0)
		return;
	ofs = rte_mbuf_dynfield_register(&field);
	bit = rte_mbuf_dynflag_register(&flag);
	if (ofs < 0 || bit < 0) {
		tnl_env->log("tunnels: no mbuf field for tun_id/tun_src/tun_dst: %s",
			rte_strerror(rte_errno));
		return;
	}
	tnl_md_flag = 1ULL << bit;
	tnl_md_offset = ofs;
}

const struct tnl_decap *
tnl_decap_get(void)
{
	return __atomic_load_n(&decap, __ATOMIC_ACQUIRE);
}

const struct tnl_local *
tnl_local_get(uint16_t slot)
{
	return __atomic_load_n(&locals[slot], __ATOMIC_ACQUIRE);
}

/* Free what PMDs can no longer see. */
static void
reclaim(bool wait)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n_retired; i++) {
		if (wait || rcu_check(tnl_env->qsbr, retired[i].token, false) == 1)
			free(retired[i].ptr);
		else
			retired[k++] = retired[i];
	}
	n_retired = k;
}

/* 'ptr' was unpublished: free it once every PMD has passed a quiescent state. */
static void
retire(void *ptr)
{
	if (ptr == NULL)
		return;
	if (n_retired == MAX_RETIRED) {
		rcu_synchronize(tnl_env->qsbr);
		reclaim(true);
	}
	retired[n_retired].ptr = ptr;
	retired[n_retired].token = rte_rcu_qsbr_start(tnl_env->qsbr);
	n_retired++;
}

/* Publish the decapsulation endpoints of every registered tunnel port. */
static int
publish_decap(void)
{
	struct tnl_decap *d, *old;
	unsigned n = 0;

	d = calloc(1, sizeof(*d) + PORT_MAX_SLOTS * sizeof(d->ep[0]));
	if (d == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < PORT_MAX_SLOTS; i++) {
		const struct tnl_port *t = tunnels[i];

		if (t == NULL)
			continue;
		d->ep[n].local_ip = t->cfg.local_ip;
		d->ep[n].ipv6 = t->cfg.ipv6;
		d->ep[n].any_family = t->cfg.any_family;
		d->ep[n].local_ip6 = t->cfg.local_ip6;
		d->ep[n].remote_ip = t->cfg.remote_ip;
		d->ep[n].remote_ip6 = t->cfg.remote_ip6;
		d->ep[n].remote_any = t->cfg.remote_flow;
		/* Without local_ip, any address of the internal port, as Open vSwitch. */
		d->ep[n].local_any = t->cfg.local_flow || (t->cfg.local_ip == 0 &&
			IN6_IS_ADDR_UNSPECIFIED(&t->cfg.local_ip6));
		d->ep[n].rank = (uint8_t)(6 * t->cfg.key_flow + 3 * t->cfg.remote_flow +
			(t->cfg.local_flow ? 2 : (t->cfg.local_ip != 0 ||
			!IN6_IS_ADDR_UNSPECIFIED(&t->cfg.local_ip6)) ? 0 : 1));
		d->ep[n].dst_port = rte_cpu_to_be_16(t->cfg.dst_port);
		d->ep[n].vni = t->cfg.vni;
		d->ep[n].type = t->cfg.type;
		d->ep[n].key_flow = t->cfg.key_flow;
		d->ep[n].t = tunnels[i];
		n++;
	}
	d->n = n;
	memcpy(d->tlv, tlv_map, sizeof(d->tlv));
	old = __atomic_exchange_n(&decap, d, __ATOMIC_ACQ_REL);
	retire(old);
	return 0;
}

/*
 * remote_ip=flow: publish 't''s resolved destinations as a table PMDs look tun_dst up in
 * (see tnl.h), when they differ from what is published.
 */
static void
publish_dests(struct tnl_port *t)
{
	const struct tnl_dests *cur = t->dests;
	struct tnl_dests *d;
	uint32_t slots = 4, n = 0, same = 0;

	for (unsigned i = 0; i < t->n_fdest; i++)
		n += t->fdest[i].ok;
	while (slots < 2 * n)
		slots *= 2;
	d = calloc(1, sizeof(*d) + slots * sizeof(d->slot[0]));
	if (d == NULL)
		return;		/* the old table stays; tried again next second */
	d->mask = slots - 1;
	for (unsigned i = 0; i < t->n_fdest; i++) {
		const struct tnl_fdest *f = &t->fdest[i];
		uint32_t h = tnl_dest_hash(&f->ip) & d->mask;

		if (!f->ok)
			continue;
		while (!IN6_IS_ADDR_UNSPECIFIED(&d->slot[h].ip))
			h = (h + 1) & d->mask;
		d->slot[h].ip = f->ip;
		d->slot[h].e = f->e;
	}
	if (cur != NULL && cur->mask == d->mask) {
		for (uint32_t i = 0; i <= d->mask; i++)
			same += memcmp(&cur->slot[i], &d->slot[i], sizeof(d->slot[i])) == 0;
		if (same == slots) {
			free(d);
			return;
		}
	}
	if (cur == NULL && n == 0) {
		free(d);
		return;
	}
	retire(__atomic_exchange_n(&t->dests, d, __ATOMIC_ACQ_REL));
}

/*
 * Whether 'a' and 'b' may receive the same packets with the same precedence (an unset
 * local_ip is any address; a fixed remote is apart from another, and from remote_ip=flow,
 * but for GTP-U, whose endpoints take any remote).
 */
static bool
same_endpoint(const struct tnl_cfg *a, const struct tnl_cfg *b)
{
	bool same_local;

	if (a->ipv6 != b->ipv6 || a->remote_flow != b->remote_flow ||
			a->local_flow != b->local_flow)
		return false;
	if (!a->remote_flow && a->type != TNL_GTPU && b->type != TNL_GTPU &&
			(a->ipv6 ? !IN6_ARE_ADDR_EQUAL(&a->remote_ip6, &b->remote_ip6) :
			a->remote_ip != b->remote_ip))
		return false;
	if (a->ipv6)
		same_local = IN6_ARE_ADDR_EQUAL(&a->local_ip6, &b->local_ip6) ||
			IN6_IS_ADDR_UNSPECIFIED(&a->local_ip6) ||
			IN6_IS_ADDR_UNSPECIFIED(&b->local_ip6);
	else
		same_local = a->local_ip == b->local_ip || a->local_ip == 0 || b->local_ip == 0;
	return a->dst_port == b->dst_port && a->key_flow == b->key_flow &&
		(a->key_flow || a->vni == b->vni || a->type != b->type) && same_local;
}

int
tnl_port_add(struct tnl_port *t, char **err)
{
	unsigned free_at = PORT_MAX_SLOTS;

	tnl_env = t->env;
	md_register();
	if (tnl_snoop_ring == NULL) {
		tnl_snoop_ring = rte_ring_create_elem("vireo_tnl_arp", sizeof(struct tnl_snoop),
			SNOOP_RING_SIZE, SOCKET_ID_ANY, RING_F_SC_DEQ);
		if (tnl_snoop_ring == NULL) {
			port_errf(err, "cannot create the tunnels' ARP ring: %s",
				rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	if (tnl_want_ring == NULL) {
		tnl_want_ring = rte_ring_create_elem("vireo_tnl_want", sizeof(struct tnl_want),
			SNOOP_RING_SIZE, SOCKET_ID_ANY, RING_F_SC_DEQ);
		if (tnl_want_ring == NULL) {
			port_errf(err, "cannot create the tunnels' destination ring: %s",
				rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	for (unsigned i = 0; i < PORT_MAX_SLOTS; i++) {
		if (tunnels[i] == NULL) {
			if (free_at == PORT_MAX_SLOTS)
				free_at = i;
		} else if (tunnels[i]->cfg.dst_port == t->cfg.dst_port &&
				tunnels[i]->cfg.type != t->cfg.type) {
			port_errf(err, "UDP port %u is tunnel port %s's, of another type",
				t->cfg.dst_port, tunnels[i]->port->name);
			return -EEXIST;
		} else if (same_endpoint(&tunnels[i]->cfg, &t->cfg)) {
			if (t->cfg.key_flow)
				port_errf(err, "tunnel port %s already has key=flow on UDP port %u "
					"for the same remote_ip and local_ip",
					tunnels[i]->port->name, t->cfg.dst_port);
			else
				port_errf(err, "tunnel port %s already receives VNI %u on UDP port %u",
					tunnels[i]->port->name, t->cfg.vni, t->cfg.dst_port);
			return -EEXIST;
		}
	}
	if (free_at == PORT_MAX_SLOTS) {
		port_errf(err, "too many tunnel ports");
		return -ENOSPC;
	}
	if (t->cfg.remote_flow) {
		t->fdest = calloc(TNL_MAX_DESTS, sizeof(*t->fdest));
		if (t->fdest == NULL) {
			port_errf(err, "out of memory");
			return -ENOMEM;
		}
	}
	snprintf(t->why, sizeof(t->why), "no route looked up yet");
	tunnels[free_at] = t;
	if (publish_decap() < 0) {
		tunnels[free_at] = NULL;
		free(t->fdest);
		t->fdest = NULL;
		port_errf(err, "out of memory");
		return -ENOMEM;
	}
	tnl_run();
	return 0;
}

void
tnl_port_del(struct tnl_port *t)
{
	for (unsigned i = 0; i < PORT_MAX_SLOTS; i++)
		if (tunnels[i] == t)
			tunnels[i] = NULL;
	publish_decap();
	retire(__atomic_exchange_n(&t->encap, NULL, __ATOMIC_ACQ_REL));
	retire(__atomic_exchange_n(&t->dests, NULL, __ATOMIC_ACQ_REL));
	/* The port may be freed when we return: no PMD may still see it. */
	rcu_synchronize(tnl_env->qsbr);
	reclaim(true);
	free(t->fdest);
	t->fdest = NULL;
	t->n_fdest = 0;
}

/*
 * Read internal port 'p''s MAC and addresses from the kernel again; publish them when they
 * changed.  A device that cannot be read has none: no endpoint without a fixed local_ip
 * takes packets sent to it.
 */
static void
local_refresh(const struct port *p)
{
	struct tnl_local *l = malloc(sizeof(*l)), *cur = locals[p->slot];

	if (l == NULL)
		return;		/* what is published stays; read again at the next change */
	tnl_local_read(p->name, l);
	if (cur != NULL && memcmp(cur, l, sizeof(*l)) == 0) {
		free(l);
		return;
	}
	retire(__atomic_exchange_n(&locals[p->slot], l, __ATOMIC_ACQ_REL));
}

/* Every internal port's MAC and addresses read again when the kernel said they may have
 * changed (or, 'all', anyway). */
static void
locals_run(bool all)
{
	if (local_mon == -1)
		local_mon = tnl_local_monitor();
	if (!tnl_local_changed(local_mon) && !all)
		return;
	for (unsigned i = 0; i < PORT_MAX_SLOTS; i++)
		if (internals[i].port != NULL)
			local_refresh(internals[i].port);
}

void
tnl_internal_add(struct port *p, const struct port_env *env)
{
	tnl_env = env;
	for (unsigned i = 0; i < PORT_MAX_SLOTS; i++) {
		if (internals[i].port == NULL) {
			internals[i].port = p;
			internals[i].env = env;
			locals_run(false);
			local_refresh(p);
			return;
		}
	}
}

void
tnl_internal_del(struct port *p)
{
	bool used = false;

	for (unsigned i = 0; i < PORT_MAX_SLOTS; i++)
		if (internals[i].port == p)
			internals[i].port = NULL;
	/* The slot may be another port's next: nothing of this one's may stay in it. */
	retire(__atomic_exchange_n(&locals[p->slot], NULL, __ATOMIC_ACQ_REL));
	for (unsigned i = 0; i < PORT_MAX_SLOTS; i++) {
		struct tnl_port *t = tunnels[i];

		if (t != NULL && t->encap != NULL && t->encap->underlay == p) {
			retire(__atomic_exchange_n(&t->encap, NULL, __ATOMIC_ACQ_REL));
			snprintf(t->why, sizeof(t->why), "the route's device %.64s is gone", p->name);
			used = true;
		}
		for (unsigned k = 0; t != NULL && k < t->n_fdest; k++) {
			if (t->fdest[k].ok && t->fdest[k].e.underlay == p) {
				t->fdest[k].ok = false;
				used = true;
			}
		}
		if (t != NULL && t->cfg.remote_flow)
			publish_dests(t);
	}
	if (used) {
		rcu_synchronize(tnl_env->qsbr);
		reclaim(true);
	}
}

static struct port *
internal_named(const char *name)
{
	for (unsigned i = 0; i < PORT_MAX_SLOTS; i++)
		if (internals[i].port != NULL && strcmp(internals[i].port->name, name) == 0)
			return internals[i].port;
	return NULL;
}

static struct tnl_neigh *
neigh_find(const struct in6_addr *ip, const char *dev)
{
	for (unsigned i = 0; i < n_neigh; i++)
		if (IN6_ARE_ADDR_EQUAL(&neigh[i].ip, ip) && strcmp(neigh[i].dev, dev) == 0)
			return &neigh[i];
	return NULL;
}

/* The neighbour table's clock: seconds that a change of the wall clock does not move. */
static time_t
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Forget neighbour 'i', keeping the others in the order they were learnt. */
static void
neigh_remove(unsigned i)
{
	memmove(&neigh[i], &neigh[i + 1], (n_neigh - i - 1) * sizeof(neigh[0]));
	n_neigh--;
}

/*
 * The neighbour a new one replaces in a full table: the least recently seen of those no
 * tunnel uses as its next hop; -1 when every one is in use (they stay: a burst of ARP from
 * other hosts must not take a tunnel down).
 */
static int
neigh_victim(void)
{
	int v = -1;

	for (unsigned i = 0; i < n_neigh; i++)
		if (!neigh[i].in_use && (v < 0 || neigh[i].seen < neigh[v].seen))
			v = (int)i;
	return v;
}

/* Forget the neighbours no tunnel uses that were not seen for TNL_NEIGH_IDLE seconds. */
static void
neigh_age(time_t now)
{
	for (unsigned i = 0; i < n_neigh;) {
		if (!neigh[i].in_use && now - neigh[i].seen >= TNL_NEIGH_IDLE)
			neigh_remove(i);
		else
			i++;
	}
}

int
tnl_neigh_set(const char *dev, const struct in6_addr *ip, const uint8_t mac[6])
{
	struct tnl_neigh *e = neigh_find(ip, dev);
	time_t now = now_s();

	if (e == NULL) {
		if (n_neigh == TNL_NEIGH_MAX) {
			int v = neigh_victim();

			if (v < 0)
				return -ENOSPC;
			neigh_remove((unsigned)v);
		}
		e = &neigh[n_neigh++];
		memset(e, 0, sizeof(*e));
		e->ip = *ip;
		snprintf(e->dev, sizeof(e->dev), "%.15s", dev);
	}
	memcpy(e->mac, mac, sizeof(e->mac));
	e->seen = now;
	e->asked = now;
	return 0;
}

const char *
tnl_addr_str(const struct in6_addr *a, char *buf)
{
	if (IN6_IS_ADDR_V4MAPPED(a))
		return inet_ntop(AF_INET, &a->s6_addr[12], buf, INET_ADDRSTRLEN);
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

/*
 * ARP and NA the PMDs saw: (address, MAC) on an internal port's bridge (lost when the table
 * is full of tunnels' next hops).
 */
static void
take_snooped(void)
{
	struct tnl_snoop s;

	while (tnl_snoop_ring != NULL &&
			rte_ring_sc_dequeue_elem(tnl_snoop_ring, &s, sizeof(s)) == 0) {
		const char *dev = NULL;

		for (unsigned i = 0; i < PORT_MAX_SLOTS && dev == NULL; i++)
			if (internals[i].port != NULL && internals[i].port->slot == s.slot)
				dev = internals[i].port->name;
		if (dev != NULL && !IN6_IS_ADDR_UNSPECIFIED(&s.ip) &&
				!(IN6_IS_ADDR_V4MAPPED(&s.ip) && s.ip.s6_addr32[3] == 0))
			tnl_neigh_set(dev, &s.ip, s.mac);
	}
}

/* Ask for 'nh's MAC: an ARP request from 'dev' (its MAC, address 'src'), as the host. */
static void
arp_request(const char *dev, uint32_t src, uint32_t nh)
{
	uint8_t f[42], mac[6];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int fd;

	if (tnl_dev_mac(dev, mac) < 0 || (sll.sll_ifindex = (int)if_nametoindex(dev)) == 0)
		return;
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x08, f[13] = 0x06;				/* ARP */
	f[14] = 0, f[15] = 1, f[16] = 0x08, f[17] = 0;		/* Ethernet, IPv4 */
	f[18] = 6, f[19] = 4, f[20] = 0, f[21] = 1;		/* request */
	memcpy(f + 22, mac, 6);
	memcpy(f + 28, &src, 4);
	memset(f + 32, 0, 6);
	memcpy(f + 38, &nh, 4);
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sll.sll_halen = 6;
	memset(sll.sll_addr, 0xff, 6);
	sendto(fd, f, sizeof(f), 0, (struct sockaddr *)&sll, sizeof(sll));
	close(fd);
}

/*
 * Ask for IPv6 next hop 'nh''s MAC: a Neighbor Solicitation (RFC 4861 7.2.2) from 'dev'
 * (its MAC, address 'src') to nh's solicited-node multicast address, as the host would.
 */
static void
ns_request(const char *dev, const struct in6_addr *src, const struct in6_addr *nh)
{
	uint8_t f[RTE_ETHER_HDR_LEN + 40 + 32], mac[6];
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(f + RTE_ETHER_HDR_LEN);
	uint8_t *icmp = (uint8_t *)(ip + 1);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	uint32_t sum;
	uint16_t ck;
	int fd;

	if (tnl_dev_mac(dev, mac) < 0 || (sll.sll_ifindex = (int)if_nametoindex(dev)) == 0)
		return;
	memset(f, 0, sizeof(f));
	f[0] = 0x33, f[1] = 0x33, f[2] = 0xff;
	memcpy(f + 3, &nh->s6_addr[13], 3);
	memcpy(f + 6, mac, 6);
	f[12] = 0x86, f[13] = 0xdd;
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(32);
	ip->proto = IPPROTO_ICMPV6;
	ip->hop_limits = 255;				/* RFC 4861: else ignored */
	memcpy(ip->src_addr, src, 16);
	ip->dst_addr[0] = 0xff, ip->dst_addr[1] = 0x02;	/* ff02::1:ffXX:XXXX */
	ip->dst_addr[11] = 0x01, ip->dst_addr[12] = 0xff;
	memcpy(&ip->dst_addr[13], &nh->s6_addr[13], 3);
	icmp[0] = 135;					/* Neighbor Solicitation */
	memcpy(icmp + 8, nh, 16);			/* target */
	icmp[24] = 1, icmp[25] = 1;			/* source link-layer address */
	memcpy(icmp + 26, mac, 6);
	sum = rte_ipv6_phdr_cksum(ip, 0) + rte_raw_cksum(icmp, 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ck = (uint16_t)~sum;
	memcpy(icmp + 2, &ck, 2);
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, f, 6);
	sendto(fd, f, sizeof(f), 0, (struct sockaddr *)&sll, sizeof(sll));
	close(fd);
}

/*
 * 'nb' is the next hop of a tunnel through 'dev' (whose source address there is 'src', or
 * 'src6' over IPv6): kept while it is, and asked for again once it is old (tnl.h).
 */
static void
neigh_use(struct tnl_neigh *nb, const char *dev, uint32_t src, const struct in6_addr *src6)
{
	time_t now = now_s();

	nb->in_use = true;
	if (now - nb->seen < TNL_NEIGH_REASK || now - nb->asked < TNL_NEIGH_ASK_EVERY)
		return;
	nb->asked = now;
	if (IN6_IS_ADDR_V4MAPPED(&nb->ip))
		arp_request(dev, src, nb->ip.s6_addr32[3]);
	else if (!IN6_IS_ADDR_UNSPECIFIED(src6))
		ns_request(dev, src6, &nb->ip);
}

/* The outer IPv4 or ('v6') IPv6 header of 't' from 'src'/'src6' to 'dst'/'dst6'; returns
 * where UDP starts. */
static uint8_t *
build_ip(const struct tnl_port *t, bool v6, uint32_t src, const struct in6_addr *src6,
	uint32_t dst, const struct in6_addr *dst6, uint8_t *h)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)h;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eth + 1);
	uint8_t tos = t->cfg.tos >= 0 ? (uint8_t)t->cfg.tos : 0;
	uint8_t ttl = t->cfg.ttl >= 0 ? (uint8_t)t->cfg.ttl : 64;

	if (v6) {
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		/* Flow label 0, as Open vSwitch's userspace datapath. */
		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28 | (uint32_t)tos << 20);
		ip6->proto = IPPROTO_UDP;
		ip6->hop_limits = ttl;
		memcpy(ip6->src_addr, src6, 16);
		memcpy(ip6->dst_addr, dst6, 16);
		return (uint8_t *)(ip6 + 1);
	}
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->type_of_service = tos;
	ip->fragment_offset = t->cfg.df ? rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG) : 0;
	ip->time_to_live = ttl;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = src;
	ip->dst_addr = dst;
	/* Over every field but the length (still 0): the PMD adds the length to it (RFC 1624)
	 * instead of summing the header per packet. */
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return (uint8_t *)(ip + 1);
}

/* The outer headers of 't' from 'src' (or, 'v6', 'src6') to 'dst' (or 'dst6') via next
 * hop MAC 'dst_mac'. */
static void
build_hdr(const struct tnl_port *t, bool v6, uint32_t src, const struct in6_addr *src6,
	uint32_t dst, const struct in6_addr *dst6, const uint8_t src_mac[6],
	const uint8_t dst_mac[6], uint8_t *h)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)h;
	struct rte_udp_hdr *udp;
	uint8_t *vx;

	memset(h, 0, TNL_VXLAN6_HLEN);
	memcpy(&eth->dst_addr, dst_mac, 6);
	memcpy(&eth->src_addr, src_mac, 6);
	udp = (struct rte_udp_hdr *)build_ip(t, v6, src, src6, dst, dst6, h);
	vx = (uint8_t *)(udp + 1);
	udp->dst_port = rte_cpu_to_be_16(t->cfg.dst_port);
	if (t->cfg.type == TNL_GTPU) {
		/* Version 1, GTP (not GTP'), no optional fields; G-PDU; length and TEID per packet. */
		vx[0] = 0x30;
		vx[1] = 255;
		return;
	}
	if (t->cfg.type == TNL_GENEVE) {
		/* Version 0, no options, protocol Transparent Ethernet Bridging. */
		vx[2] = 0x65;
		vx[3] = 0x58;
	} else {
		vx[0] = 0x08;					/* I: the VNI is valid */
	}
	vx[4] = (uint8_t)(t->cfg.vni >> 16);
	vx[5] = (uint8_t)(t->cfg.vni >> 8);
	vx[6] = (uint8_t)t->cfg.vni;
}

/*
 * 't's source address and next hop by route 'r' (IPv4-mapped for IPv4, the neighbour
 * table's key).
 */
static void
route_use(struct tnl_port *t, const struct tnl_route *r, struct in6_addr *nh)
{
	uint32_t src = t->cfg.local_ip ? t->cfg.local_ip : r->src;

	if (t->cfg.ipv6) {
		struct in6_addr src6 = IN6_IS_ADDR_UNSPECIFIED(&t->cfg.local_ip6) ? r->src6 :
			t->cfg.local_ip6;

		t->nh6 = IN6_IS_ADDR_UNSPECIFIED(&r->gw6) ? t->cfg.remote_ip6 : r->gw6;
		*nh = t->nh6;
		t->src6 = src6;
		return;
	}
	t->nh = r->gw ? r->gw : t->cfg.remote_ip;
	tnl_in6_mapped(nh, t->nh);
	t->src = src;
}

/* Look 't's route and next hop up again; publish a changed encapsulation. */
static void
refresh(struct tnl_port *t)
{
	struct tnl_route r;
	struct tnl_encap *e, *cur = t->encap;
	struct tnl_neigh *nb;
	struct port *under;
	struct in6_addr nh;
	uint8_t src_mac[6];
	char a[INET6_ADDRSTRLEN];
	int rc;

	if (t->cfg.ipv6) {
		inet_ntop(AF_INET6, &t->cfg.remote_ip6, a, sizeof(a));
		rc = tnl_route_get6(&t->cfg.remote_ip6, &r);
	} else {
		inet_ntop(AF_INET, &t->cfg.remote_ip, a, sizeof(a));
		rc = tnl_route_get(t->cfg.remote_ip, &r);
	}
	e = NULL;
	if (rc < 0) {
		snprintf(t->why, sizeof(t->why), "no route to %s: %s", a, strerror(-rc));
	} else if ((under = internal_named(r.dev)) == NULL) {
		snprintf(t->why, sizeof(t->why), "the route to %s is through %s, which is no "
			"internal port of vireo-dp", a, r.dev);
	} else {
		snprintf(t->dev, sizeof(t->dev), "%s", r.dev);
		route_use(t, &r, &nh);
		nb = neigh_find(&nh, r.dev);
		if (nb != NULL)
			neigh_use(nb, r.dev, t->src, &t->src6);
		if (t->cfg.ipv6 && IN6_IS_ADDR_UNSPECIFIED(&t->src6)) {
			snprintf(t->why, sizeof(t->why), "no IPv6 source address for %s on %s "
				"yet", a, r.dev);
		} else if (nb == NULL || tnl_dev_mac(r.dev, src_mac) < 0) {
			snprintf(t->why, sizeof(t->why), "next hop %s on %s not resolved yet",
				tnl_addr_str(&nh, a), r.dev);
			if (t->cfg.ipv6)
				ns_request(r.dev, &t->src6, &nh);
			else
				arp_request(r.dev, t->src, t->nh);
		} else if ((e = calloc(1, sizeof(*e))) != NULL) {
			e->underlay = under;
			e->hlen = t->cfg.ipv6 ? TNL_VXLAN6_HLEN : TNL_VXLAN_HLEN;
			build_hdr(t, t->cfg.ipv6, t->src, &t->src6, t->cfg.remote_ip,
				&t->cfg.remote_ip6, src_mac, nb->mac, e->hdr);
			t->why[0] = '\0';
		}
	}
	if (e == NULL && cur == NULL)
		return;
	if (e != NULL && cur != NULL && e->underlay == cur->underlay && e->hlen == cur->hlen &&
			memcmp(e->hdr, cur->hdr, sizeof(e->hdr)) == 0) {
		free(e);
		return;
	}
	retire(__atomic_exchange_n(&t->encap, e, __ATOMIC_ACQ_REL));
}

/*
 * remote_ip=flow: resolve destination 'f' of 't' as refresh() does a fixed remote (route,
 * source, next hop; ARP or Neighbor Solicitation sent when unknown), over the destination's
 * family.  'f->ok' says whether 'f->e' is good.
 */
static void
refresh_dest(const struct tnl_port *t, struct tnl_fdest *f)
{
	bool v6 = !IN6_IS_ADDR_V4MAPPED(&f->ip);
	uint32_t ip4 = f->ip.s6_addr32[3];
	struct tnl_route r;
	struct tnl_neigh *nb;
	struct port *under;
	uint8_t src_mac[6];

	f->ok = false;
	if ((v6 ? tnl_route_get6(&f->ip, &r) : tnl_route_get(ip4, &r)) < 0 ||
			(under = internal_named(r.dev)) == NULL)
		return;
	snprintf(f->dev, sizeof(f->dev), "%s", r.dev);
	if (v6) {
		f->src6 = IN6_IS_ADDR_UNSPECIFIED(&t->cfg.local_ip6) ? r.src6 : t->cfg.local_ip6;
		f->nh = IN6_IS_ADDR_UNSPECIFIED(&r.gw6) ? f->ip : r.gw6;
		if (IN6_IS_ADDR_UNSPECIFIED(&f->src6))
			return;		/* no address on the device yet */
	} else {
		f->src = t->cfg.local_ip ? t->cfg.local_ip : r.src;
		tnl_in6_mapped(&f->nh, r.gw ? r.gw : ip4);
	}
	nb = neigh_find(&f->nh, r.dev);
	if (nb != NULL)
		neigh_use(nb, r.dev, f->src, &f->src6);
	if (nb == NULL || tnl_dev_mac(r.dev, src_mac) < 0) {
		if (v6)
			ns_request(r.dev, &f->src6, &f->nh);
		else
			arp_request(r.dev, f->src, f->nh.s6_addr32[3]);
		return;
	}
	memset(&f->e, 0, sizeof(f->e));
	f->e.underlay = under;
	f->e.hlen = v6 ? TNL_VXLAN6_HLEN : TNL_VXLAN_HLEN;
	build_hdr(t, v6, f->src, &f->src6, ip4, &f->ip, src_mac, nb->mac, f->e.hdr);
	f->ok = true;
}

/*
 * remote_ip=flow: take in the destinations PMDs asked for (a full table forgets its oldest
 * destination).
 */
static void
take_wants(void)
{
	struct tnl_want w;

	while (tnl_want_ring != NULL &&
			rte_ring_sc_dequeue_elem(tnl_want_ring, &w, sizeof(w)) == 0) {
		struct tnl_port *t = NULL;
		unsigned k;

		for (unsigned i = 0; i < PORT_MAX_SLOTS && t == NULL; i++)
			if (tunnels[i] != NULL && tunnels[i]->port->slot == w.slot &&
					tunnels[i]->cfg.remote_flow)
				t = tunnels[i];
		if (t == NULL || IN6_IS_ADDR_UNSPECIFIED(&w.ip) ||
				(IN6_IS_ADDR_V4MAPPED(&w.ip) && w.ip.s6_addr32[3] == 0) ||
				(!t->cfg.any_family && t->cfg.ipv6 == IN6_IS_ADDR_V4MAPPED(&w.ip)))
			continue;
		for (k = 0; k < t->n_fdest && !IN6_ARE_ADDR_EQUAL(&t->fdest[k].ip, &w.ip); k++)
			;
		if (k < t->n_fdest)
			continue;
		if (t->n_fdest == TNL_MAX_DESTS)
			memmove(&t->fdest[0], &t->fdest[1], --t->n_fdest * sizeof(t->fdest[0]));
		memset(&t->fdest[t->n_fdest], 0, sizeof(t->fdest[0]));
		t->fdest[t->n_fdest++].ip = w.ip;	/* resolved by the next refresh_flow() */
	}
}

/* remote_ip=flow: resolve every destination of 't' again, publish what changed. */
static void
refresh_flow(struct tnl_port *t)
{
	unsigned ok = 0;

	for (unsigned i = 0; i < t->n_fdest; i++) {
		refresh_dest(t, &t->fdest[i]);
		ok += t->fdest[i].ok;
	}
	if (ok < t->n_fdest)
		snprintf(t->why, sizeof(t->why), "%u of %u destinations (tun_dst) not resolved "
			"yet", t->n_fdest - ok, t->n_fdest);
	else
		t->why[0] = '\0';
	publish_dests(t);
}

void
tnl_run(void)
{
	if (tnl_env == NULL)
		return;
	take_snooped();
	take_wants();
	locals_run(false);
	/* Which neighbours are next hops is known again by the refreshes below. */
	neigh_age(now_s());
	for (unsigned i = 0; i < n_neigh; i++)
		neigh[i].in_use = false;
	for (unsigned i = 0; i < PORT_MAX_SLOTS; i++) {
		if (tunnels[i] != NULL && tunnels[i]->cfg.remote_flow)
			refresh_flow(tunnels[i]);
		else if (tunnels[i] != NULL)
			refresh(tunnels[i]);
	}
	reclaim(false);
}

/* Can 'm' (a whole table) be published?  0 or -errno with '*err' naming the mapping. */
static int
tlv_table_check(const struct tnl_tlv_map m[TNL_N_METADATA], unsigned changed, char **err)
{
	for (unsigned i = 0; i < TNL_N_METADATA; i++) {
		if (m[i].len == 0 || !(changed & 1u << i))
			continue;
		if (m[i].len != TNL_METADATA_LEN) {
			port_errf(err, "len=%u: vireo-dp's tun_metadata fields hold options of %u "
				"bytes", m[i].len, TNL_METADATA_LEN);
			return -ENOTSUP;
		}
		for (unsigned j = 0; j < TNL_N_METADATA; j++)
			if (j != i && m[j].len != 0 && m[j].opt_class == m[i].opt_class &&
			    m[j].opt_type == m[i].opt_type) {
				port_errf(err, "class=0x%x,type=0x%x is already mapped to "
					"tun_metadata%u", m[i].opt_class, m[i].opt_type, j);
				return -EADDRINUSE;
			}
	}
	return 0;
}

int
tnl_tlv_map_mod(enum port_tlv_cmd cmd, const struct port_tlv_map *maps, unsigned n, char **err)
{
	struct tnl_tlv_map m[TNL_N_METADATA], old[TNL_N_METADATA];
	unsigned changed = 0;
	int rc;

	memcpy(m, tlv_map, sizeof(m));
	if (cmd == PORT_TLV_CLEAR)
		memset(m, 0, sizeof(m));
	for (unsigned i = 0; cmd != PORT_TLV_CLEAR && i < n; i++) {
		unsigned idx = maps[i].index;

		if (idx >= TNL_N_METADATA) {
			port_errf(err, "tun_metadata%u: vireo-dp has tun_metadata0..%u", idx,
				TNL_N_METADATA - 1);
			return -ERANGE;
		}
		if (cmd == PORT_TLV_DELETE) {
			memset(&m[idx], 0, sizeof(m[idx]));
			continue;
		}
		if (m[idx].len != 0) {
			port_errf(err, "tun_metadata%u is already mapped", idx);
			return -EEXIST;
		}
		if (maps[i].len == 0) {
			port_errf(err, "len=0: vireo-dp's tun_metadata fields hold options of %u "
				"bytes", TNL_METADATA_LEN);
			return -ENOTSUP;
		}
		m[idx] = (struct tnl_tlv_map){ maps[i].opt_class, maps[i].opt_type, maps[i].len };
		changed |= 1u << idx;
	}
	rc = tlv_table_check(m, changed, err);
	if (rc < 0)
		return rc;
	memcpy(old, tlv_map, sizeof(old));
	memcpy(tlv_map, m, sizeof(m));
	if (tnl_env != NULL && publish_decap() < 0) {
		memcpy(tlv_map, old, sizeof(old));
		port_errf(err, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

const struct tnl_tlv_map *
tnl_tlv_map_get(void)
{
	return tlv_map;
}

const struct tnl_neigh *
tnl_neigh_table(unsigned *n)
{
	take_snooped();
	*n = n_neigh;
	return neigh;
}

struct tnl_port *const *
tnl_ports_table(void)
{
	return tunnels;
}
