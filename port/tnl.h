/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_TNL_H
#define VIREO_TNL_H

/*
 * tnl: native tunnelling as Open vSwitch's userspace datapath does it (tnl_push/tnl_pop),
 * shared by the tunnel port types (port_vxlan.c: vxlan and geneve, port_gtpu.c) and the
 * internal ports that carry their
 * underlay (port_internal.c).  Private to port/.
 *
 * What?
 * =====
 * A tunnel port sends by pushing outer Ethernet/IPv4/UDP (or Ethernet/IPv6/UDP, its UDP
 * checksum computed as Open vSwitch does for IPv6) headers and handing the packet to
 * the switch as if the host had sent it through the internal port the kernel routes the
 * remote address through (port_env.deliver): the underlay bridge then forwards it like any
 * packet of the host.  Packets the underlay bridge sends to such an internal port are looked
 * at before they reach the kernel: UDP to a tunnel's local address and port is popped and
 * handed to the switch as received on the tunnel port of its VNI; ARP replies, gratuitous
 * ARP and IPv6 Neighbor Advertisements are copied for the neighbour table and still given
 * to the kernel.
 *
 * Routes come from the kernel's IPv4 and IPv6 routing tables (netlink RTM_GETROUTE), the
 * next hop's MAC from ARP or NA seen passing to an internal port; an unknown next hop is
 * asked for with an ARP request or a Neighbor Solicitation sent from the internal port's
 * kernel device (its MAC and the source address).  The neighbour table keeps IPv4
 * addresses as IPv4-mapped IPv6 ones (::ffff:a.b.c.d), as Open vSwitch's does.
 *
 * Flow-based endpoints
 * ====================
 * A port with options:remote_ip=flow (IPv4 underlays only) sends each packet to the
 * tun_dst a rule set (set_field:IP->tun_dst); with no tun_dst the packet is dropped and
 * counted (tx_no_dst), as Open vSwitch does.  Destinations are resolved as a fixed remote
 * is, by the control thread: a PMD that meets a tun_dst the port has no encapsulation for
 * drops the packet (tx_no_route) and asks for it on a ring (tnl_want_ring); the next
 * tnl_run() looks its route and next hop up and publishes a new table of encapsulations
 * by destination (struct tnl_dests, open addressing, read without locks).  A port with
 * options:local_ip=flow sends from the tun_src a rule set (else the route's source, as
 * Open vSwitch).  On receive a remote_ip=flow port takes packets from any remote, and a
 * local_ip=flow port (or one without local_ip) to any address of the internal port they
 * reach (below).  Several ports may share a UDP port; a packet goes to the one
 * that matches it most exactly, in Open vSwitch's order (ofproto/tunnel.c): a fixed key
 * before key=flow, then a fixed remote before remote_ip=flow, then a configured local_ip,
 * none, local_ip=flow.
 *
 * Which packets are for this host
 * ===============================
 * As in Open vSwitch (lib/tnl-ports.c), a packet sent to an internal port is for this host
 * only when its destination MAC is the internal port's kernel device's and its outer
 * destination one of that device's IPv4 or IPv6 addresses (struct tnl_local): an endpoint
 * without a fixed local_ip (unset, or local_ip=flow) takes those, and no other.  A flood
 * of VXLAN between two other hosts of the underlay, which the underlay bridge also sends
 * to its internal port, is left for the kernel (which drops it).  An endpoint with a fixed local_ip is matched on that address alone (Open
 * vSwitch wants the device's MAC there too).  The device's MAC and addresses are read
 * from the kernel over rtnetlink by the control thread when an internal port opens and
 * after the kernel announces an address or link change (looked for once a second, in
 * tnl_run()); until they are known, endpoints without a fixed local_ip take nothing.
 *
 * Thread-safety
 * =============
 * The control thread owns every table and runs tnl_run() once a second.  PMDs see three
 * things, all published with an atomic pointer store and freed after a grace period of
 * the PMDs' RCU (port_env.qsbr): each tunnel port's encapsulation (the outer headers ready
 * to copy, and the internal port to enter), the decapsulation endpoints (local address,
 * UDP port, VNI, tunnel port), and each internal port's MAC and addresses (by the port's
 * slot).  PMDs hand ARP they see to the control thread through a
 * multi-producer rte_ring of fixed-size records: no lock, no allocation, no system call.
 * (They pass NA the same way.)
 * Counters are per PMD, written by that PMD only.
 *
 * A packet a tunnel port or an internal port is sent may be shared: a flood sends one mbuf
 * to every port with one more reference each.  Pushing and popping change the mbuf's start
 * and length (and popping may mark the inner header CE), so both first take a private copy
 * of a shared packet (port_pkt_writable(), from the packet's own pool); a packet no buffer
 * is left for is dropped and counted, the shared one left as it is.
 */

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <rte_mbuf.h>

#include "port-private.h"

/**
 * Outer headers of a VXLAN packet over IPv4: Ethernet 14, IPv4 20, UDP 8, VXLAN 8.  A GTP-U
 * header without its optional fields and a Geneve header without options are 8 bytes too.
 */
#define TNL_VXLAN_HLEN 50
/** The same over IPv6: its header is 20 bytes longer. */
#define TNL_VXLAN6_HLEN 70
#define TNL_IPV6_EXTRA (TNL_VXLAN6_HLEN - TNL_VXLAN_HLEN)

/** The UDP tunnel protocols (tnl_cfg 'type'): how the bytes after UDP are read/written. */
enum tnl_type {
	TNL_VXLAN,
	TNL_GTPU,		/**< an IP payload: the inner frame's Ethernet header is not sent */
	TNL_GENEVE,
};

/** Geneve option TLVs a packet's tun_metadata0..TNL_N_METADATA-1 can hold. */
#define TNL_N_METADATA 2
/** Longest value a tun_metadata field holds (bytes, a multiple of 4 as Geneve's lengths). */
#define TNL_METADATA_LEN 4

/** A tunnel port's options, parsed by its type (addresses in network order). */
struct tnl_cfg {
	uint8_t type;			/**< enum tnl_type */
	bool key_flow;			/**< key=flow: the VNIs/TEIDs no port of the endpoint
					 * has by number in, the packet's tun_id out */
	bool remote_flow;		/**< remote_ip=flow: any remote in, tun_dst out */
	bool local_flow;		/**< local_ip=flow: any local address in, tun_src
					 * (else the route's source) out */
	bool ipv6;			/**< an IPv6 underlay: remote_ip6/local_ip6 */
	bool any_family;		/**< remote_ip=flow without a fixed local_ip: IPv4
					 * and IPv6 in, the family of the packet's
					 * tun_dst or tun_ipv6_dst out ('ipv6' false) */
	bool csum;			/**< options:csum=true: the outer UDP checksum
					 * over IPv4 too (Open vSwitch's default: none) */
	bool csum6;			/**< the outer UDP checksum over IPv6 (unless
					 * options:csum=false) */
	uint32_t remote_ip;		/**< IPv4 underlay */
	uint32_t local_ip;		/**< 0: the route's preferred source out, any
					 * of the internal port's addresses in */
	struct in6_addr remote_ip6;	/**< IPv6 underlay */
	struct in6_addr local_ip6;	/**< unspecified: the same as local_ip */
	uint32_t vni;
	uint16_t dst_port;		/**< host order */
	int16_t tos;			/**< its ECN bits 0; -1: inherit the inner DSCP
					 * (the ECN field is the inner one's: tnl_pmd.c) */
	int16_t ttl;			/**< -1: inherit the inner IPv4 TTL */
	bool df;
};

/** What a PMD needs to encapsulate for one tunnel port (immutable once published). */
struct tnl_encap {
	struct port *underlay;		/**< the internal port the packets enter by */
	/* Aligned as the pointer: DPDK's header structs (rte_ether_hdr) want 2 bytes. */
	uint8_t hdr[TNL_VXLAN6_HLEN];	/**< outer headers; lengths and checksum filled per packet */
	uint8_t hlen;			/**< TNL_VXLAN_HLEN, or TNL_VXLAN6_HLEN over IPv6 */
};
_Static_assert(offsetof(struct tnl_encap, hdr) % 8 == 0, "tnl_encap.hdr must stay aligned");

/** Whether 'e''s outer headers are IPv6 (every tunnel type's are as long as VXLAN's). */
static inline bool
tnl_encap_ipv6(const struct tnl_encap *e)
{
	return e->hlen == TNL_VXLAN6_HLEN;
}

/** remote_ip=flow: most destinations a port keeps an encapsulation for. */
#define TNL_MAX_DESTS 256

/** One destination's encapsulation (struct tnl_dests; 'ip' unspecified: an empty slot). */
struct tnl_dest {
	struct tnl_encap e;
	struct in6_addr ip;		/**< the remote (IPv4-mapped for IPv4) */
};

/**
 * remote_ip=flow: the encapsulations by destination, as PMDs see them (immutable once
 * published): open addressing, at most half full, probed from tnl_dest_hash().
 */
struct tnl_dests {
	uint32_t mask;			/**< slots - 1 (a power of 2 less one) */
	struct tnl_dest slot[];
};

static inline uint32_t
tnl_dest_hash(const struct in6_addr *ip)
{
	uint32_t w[4];

	memcpy(w, ip, sizeof(w));
	return ((w[0] ^ w[1] ^ w[2] ^ w[3]) * 0x9e3779b1u) >> 16;
}

/** What a PMD asks the control thread to resolve (tnl_want_ring). */
struct tnl_want {
	struct in6_addr ip;		/**< tun_ipv6_dst, or tun_dst IPv4-mapped */
	uint16_t slot;			/**< the tunnel port's */
};

/** remote_ip=flow: one destination as the control thread resolves it. */
struct tnl_fdest {
	struct in6_addr ip;		/**< IPv4-mapped for IPv4 */
	uint32_t src;			/**< source address in use (IPv4) */
	struct in6_addr src6;		/**< the same over IPv6 */
	struct in6_addr nh;		/**< next hop (IPv4-mapped for IPv4) */
	char dev[16];			/**< the route's device */
	bool ok;			/**< 'e' is good */
	struct tnl_encap e;
};

/** Per PMD counters of a tunnel port (written by that PMD only). */
struct tnl_pmd_stats {
	uint64_t rx_errors;		/**< truncated outer headers, a wrong outer IPv4
					 * header checksum, a UDP length under 8 or past
					 * the IP payload, a wrong (non-zero) UDP
					 * checksum, VXLAN flags other than just I or
					 * reserved bytes not zero,
					 * Geneve's version, protocol, options or an unknown
					 * critical option */
	uint64_t rx_dropped;		/**< a VNI no tunnel port has, or no buffer for
					 * the private copy of a shared packet (both
					 * counted on the listener); popped, but not
					 * taken by the switch */
	uint64_t tx_no_route;		/**< no route or next hop yet: dropped */
	uint64_t tx_errors;		/**< not IPv4/IPv6 on a port without Ethernet (gtpu) */
	uint64_t tx_no_dst;		/**< remote_ip=flow and no tun_dst set: dropped */
} __rte_cache_aligned;

/** One open tunnel port: registered by its type, looked after by tnl_run(). */
struct tnl_port {
	struct port *port;
	struct tnl_cfg cfg;
	const struct port_env *env;
	struct tnl_encap *encap;	/**< atomic: control thread publishes, PMDs read */
	struct tnl_dests *dests;	/**< remote_ip=flow (encap stays NULL): the same */
	/* control thread */
	struct tnl_fdest *fdest;	/**< remote_ip=flow: TNL_MAX_DESTS of them */
	unsigned n_fdest;
	char why[160];			/**< why there is no encapsulation, for status */
	char dev[16];			/**< the route's device */
	uint32_t src, nh;		/**< source address and next hop in use (IPv4) */
	struct in6_addr src6, nh6;	/**< the same over IPv6 */
	struct tnl_pmd_stats st[PORT_MAX_PMDS];
};

/** Which Geneve option goes to tun_metadataN (set by add-tlv-map; len 0: unmapped). */
struct tnl_tlv_map {
	uint16_t opt_class;		/**< host order */
	uint8_t opt_type;
	uint8_t len;			/**< bytes of the option's value: 4 */
};

/** One decapsulation endpoint. */
struct tnl_endpoint {
	uint32_t local_ip;		/**< options:local_ip (IPv4) */
	struct in6_addr local_ip6;	/**< options:local_ip (IPv6) */
	uint32_t remote_ip;		/**< options:remote_ip (IPv4) */
	struct in6_addr remote_ip6;	/**< options:remote_ip (IPv6) */
	bool ipv6;
	bool any_family;		/**< IPv4 and IPv6 alike (tnl_cfg) */
	bool local_any;			/**< any address of the internal port
					 * (local_ip=flow, or no local_ip) */
	bool remote_any;		/**< remote_ip=flow: any remote */
	uint8_t rank;			/**< Open vSwitch's precedence, 0 first (tnl.h) */
	uint16_t dst_port;		/**< network order */
	uint32_t vni;
	uint8_t type;			/**< enum tnl_type */
	bool key_flow;			/**< any VNI/TEID no other endpoint has by number */
	struct tnl_port *t;
};

/** The decapsulation endpoints, as PMDs see them. */
struct tnl_decap {
	struct tnl_tlv_map tlv[TNL_N_METADATA];
	unsigned n;
	struct tnl_endpoint ep[];
};

/** Where a received packet's outer IP and UDP headers are (PMD, tnl_pmd.c). */
struct tnl_outer {
	uint32_t l4;			/**< offset of the UDP header */
	uint32_t l3_len;		/**< bytes of the IP header: IPv4's IHL, or 40 */
	uint32_t tot;			/**< bytes of the IP packet, header included */
	uint8_t tos;			/**< IPv4 TOS or IPv6 traffic class */
	uint32_t ulen;			/**< bytes of the UDP datagram (its length field,
					 * once checked: 8 up to the IP payload's) */
	bool ipv6;
	uint32_t dst;			/**< IPv4 destination (network order) */
	const uint8_t *dst6;		/**< IPv6 destination, in the packet */
	uint32_t src;			/**< IPv4 source */
	const uint8_t *src6;		/**< IPv6 source, in the packet */
	bool to_host;			/**< to the internal port's MAC and one of its
					 * addresses (struct tnl_local) */
};

/** Most IPv4 and most IPv6 addresses of an internal port that tunnels receive on. */
#define TNL_LOCAL_MAX 16

/**
 * An internal port's kernel device as PMDs see it (immutable once published): what a
 * packet for this host is sent to ("Which packets are for this host" above).  Read by the
 * control thread (tnl_local_read()); addresses past TNL_LOCAL_MAX are not taken.
 */
struct tnl_local {
	uint8_t mac[6];
	uint16_t n4, n6;
	uint32_t ip4[TNL_LOCAL_MAX];	/**< network order */
	struct in6_addr ip6[TNL_LOCAL_MAX];
};

/** Whether a packet of 'o' is for endpoint 'ep''s local address. */
static inline bool
tnl_ep_local(const struct tnl_endpoint *ep, const struct tnl_outer *o)
{
	if (ep->local_any)
		return o->to_host && (ep->any_family || ep->ipv6 == o->ipv6);
	if (o->ipv6)
		return ep->ipv6 && memcmp(&ep->local_ip6, o->dst6, 16) == 0;
	return !ep->ipv6 && ep->local_ip == o->dst;
}

/** Whether a packet of 'o' comes from endpoint 'ep''s remote. */
static inline bool
tnl_ep_remote(const struct tnl_endpoint *ep, const struct tnl_outer *o)
{
	if (ep->remote_any)
		return true;
	if (o->ipv6)
		return memcmp(&ep->remote_ip6, o->src6, 16) == 0;
	return ep->remote_ip == o->src;
}

/** 'v4' as an IPv4-mapped IPv6 address (::ffff:a.b.c.d), as the neighbour table keeps it. */
static inline void
tnl_in6_mapped(struct in6_addr *a, uint32_t v4)
{
	memset(a, 0, sizeof(*a));
	a->s6_addr[10] = 0xff;
	a->s6_addr[11] = 0xff;
	memcpy(&a->s6_addr[12], &v4, 4);
}

/** 'a' as text: dotted IPv4 when it is IPv4-mapped, else IPv6 ('buf': INET6_ADDRSTRLEN). */
const char *tnl_addr_str(const struct in6_addr *a, char *buf);

/**
 * The metadata a decapsulated packet carries (tun_id, tun_src, tun_dst, network order), and
 * what rules set for a tunnel port to send with (tun_id for key=flow, tun_dst for
 * remote_ip=flow, tun_src for local_ip=flow, tun_metadataN): an mbuf dynamic field and flag
 * by name, registered with the same name and layout by the
 * switch's rule engine (flowtab.h's struct flowtab_tnl_md), which matches on them.
 */
struct tnl_md {
	uint64_t tun_id;
	uint32_t tun_src;
	uint32_t tun_dst;
	uint8_t gtpu_flags;		/**< GTP-U only, else 0 */
	uint8_t gtpu_msgtype;
	uint8_t tun_metadata_set;	/**< bit N: tun_metadataN was received / is to send */
	uint8_t flags;			/**< TNL_MD_F_IPV6, TNL_MD_F_OAM */
	uint32_t tun_metadata[TNL_N_METADATA];	/**< mapped Geneve option values, else 0 */
} __attribute__((packed, aligned(4)));
/* 4-byte aligned, so that it leaves 8 bytes of the mbuf's dynamic field space to others
 * (flowtab.h says why). */
_Static_assert(sizeof(struct tnl_md) == 28 && __alignof__(struct tnl_md) == 4,
	"tnl_md must leave room in the mbuf's dynamic field space");
#define TNL_MD_NAME "vireo_tnl_md"
#define TNL_MD_FLAG_NAME "vireo_tnl_md_valid"

/** tnl_md 'flags': the mbuf's private area holds a struct tnl_md6 (flowtab.h's layout). */
#define TNL_MD_F_IPV6 0x01
#define TNL_MD_F_OAM 0x02		/* Geneve's O bit: received, or to send */

/**
 * The IPv6 endpoints (tun_ipv6_src, tun_ipv6_dst) at the start of the mbuf's private area:
 * no room is left for them in the dynamic field space.  vireo-dp's pools have the room; a
 * packet whose pool has not carries none.
 */
struct tnl_md6 {
	struct in6_addr src;
	struct in6_addr dst;
};

/** 'm''s struct tnl_md6, or NULL when its pool's private area is smaller. */
static inline struct tnl_md6 *
tnl_md6_of(const struct rte_mbuf *m)
{
	if (m->priv_size < sizeof(struct tnl_md6))
		return NULL;
	return (struct tnl_md6 *)(uintptr_t)((const uint8_t *)m + sizeof(*m));
}

/*
 * Decapsulation: 'md''s IPv6 endpoints from outer headers 'o' into 'm''s private area
 * (tun_ipv6_src, tun_ipv6_dst), or none over IPv4 or when the pool has no room.
 */
static inline void
tnl_md_set_endpoints6(struct rte_mbuf *m, struct tnl_md *md, const struct tnl_outer *o)
{
	struct tnl_md6 *m6;

	md->flags = 0;
	if (!o->ipv6 || (m6 = tnl_md6_of(m)) == NULL)
		return;
	memcpy(&m6->src, o->src6, 16);
	memcpy(&m6->dst, o->dst6, 16);
	md->flags = TNL_MD_F_IPV6;
}
extern int tnl_md_offset;		/**< -1 until registered */
extern uint64_t tnl_md_flag;

/** What a PMD passes to the control thread about an ARP, NS or NA packet it saw. */
struct tnl_snoop {
	struct in6_addr ip;		/**< sender (ARP, NS) or target (NA); IPv4-mapped for ARP */
	uint8_t mac[6];			/**< its MAC */
	uint16_t slot;			/**< the internal port it was sent to */
};

/**
 * A neighbour learnt from an ARP reply, a gratuitous ARP or a Neighbor Advertisement
 * (control thread).  The table keeps TNL_NEIGH_MAX of them.  One not in use as a tunnel's
 * next hop is forgotten TNL_NEIGH_IDLE seconds after it was last seen, and is the first
 * to make room for a new one (the least recently seen first).  One in use stays while it
 * is, as in Open vSwitch, where looking an entry up refreshes it; TNL_NEIGH_REASK seconds
 * after it was last seen it is asked for again (ARP request or Neighbor Solicitation from
 * the internal port) every TNL_NEIGH_ASK_EVERY seconds, so that a changed MAC is learnt.
 */
struct tnl_neigh {
	struct in6_addr ip;		/**< IPv4-mapped for IPv4 */
	uint8_t mac[6];
	bool in_use;			/**< a tunnel's next hop at the last tnl_run() */
	char dev[16];
	time_t seen;			/**< last learnt (CLOCK_MONOTONIC seconds) */
	time_t asked;			/**< last asked for again (the same clock) */
};
#define TNL_NEIGH_MAX 256
#define TNL_NEIGH_IDLE (15 * 60)	/* Open vSwitch's default ageing */
#define TNL_NEIGH_REASK (TNL_NEIGH_IDLE - 60)
#define TNL_NEIGH_ASK_EVERY 10

/** A route from the kernel's table (tnl_route.c). */
struct tnl_route {
	uint8_t family;			/**< AF_INET: dst, gw, src; AF_INET6: dst6, gw6, src6 */
	uint32_t dst;			/**< prefix, network order */
	uint8_t dst_len;
	uint32_t gw;			/**< 0: directly connected */
	uint32_t src;			/**< preferred source, 0 if none */
	struct in6_addr dst6, gw6, src6;	/**< the same for IPv6 (unspecified: none) */
	uint32_t table;
	char dev[16];
};

/** The kernel's route to 'dst' (as `ip route get`).  Returns 0 or -errno. */
int tnl_route_get(uint32_t dst, struct tnl_route *r);

/** The kernel's IPv6 route to 'dst' (as `ip -6 route get`, src6 the source it would pick). */
int tnl_route_get6(const struct in6_addr *dst, struct tnl_route *r);

/** Every IPv4 then IPv6 route of the kernel's main and local tables into 'out' (at most
 * 'max'). */
int tnl_route_dump(struct tnl_route *out, unsigned max);

/** PMD: the published endpoints. */
const struct tnl_decap *tnl_decap_get(void);

/** PMD: the published MAC and addresses of the internal port in 'slot' (NULL: unknown). */
const struct tnl_local *tnl_local_get(uint16_t slot);

/**
 * Control thread: the MAC and addresses of kernel device 'dev' into 'l' (rtnetlink, in
 * tnl_route.c).  Returns 0 or -errno.
 */
int tnl_local_read(const char *dev, struct tnl_local *l);
/** Control thread: the kernel device 'dev''s MAC address into 'mac'; 0 or -errno. */
int tnl_dev_mac(const char *dev, uint8_t mac[6]);

/**
 * Control thread: a socket told of the kernel's address and link changes (tnl_route.c), or
 * -errno; tnl_local_changed() empties it and says whether anything changed since the last
 * call (true, too, when notifications were lost or 'fd' is no socket: read again).
 */
int tnl_local_monitor(void);
bool tnl_local_changed(int fd);

/** The ring PMDs put 'struct tnl_snoop' records on (NULL until a tunnel port exists). */
extern struct rte_ring *tnl_snoop_ring;
/** The ring PMDs put 'struct tnl_want' records on (remote_ip=flow; NULL as the other). */
extern struct rte_ring *tnl_want_ring;

/** Control thread: the neighbour table (snooped ARP taken in first) and the tunnel ports. */
const struct tnl_neigh *tnl_neigh_table(unsigned *n);
struct tnl_port *const *tnl_ports_table(void);

/** Control thread: learn 'mac' for 'ip' (IPv4-mapped for IPv4) on internal port 'dev'
 * (tnl/arp/set).  -ENOSPC when the table is full of tunnels' next hops. */
int tnl_neigh_set(const char *dev, const struct in6_addr *ip, const uint8_t mac[6]);

/**
 * Change the Geneve option mappings as port_tnl_tlv_mod() (control thread): all of 'maps' or
 * none.
 */
int tnl_tlv_map_mod(enum port_tlv_cmd cmd, const struct port_tlv_map *maps, unsigned n,
	char **err);

/** The mappings (control thread). */
const struct tnl_tlv_map *tnl_tlv_map_get(void);

/** Control thread, once a second: take snooped ARP in, refresh every tunnel's encapsulation. */
void tnl_run(void);

/** Register / forget an open tunnel port (control thread); forgetting waits a grace period. */
int tnl_port_add(struct tnl_port *t, char **err);
void tnl_port_del(struct tnl_port *t);

/** Register / forget an open internal port as a possible underlay (control thread). */
void tnl_internal_add(struct port *p, const struct port_env *env);
void tnl_internal_del(struct port *p);

/**
 * PMD 'pmd': packets sent to internal port 'p'.  Tunnel packets for a local endpoint are
 * popped and delivered to their tunnel port, bad ones dropped and counted, ARP copied for
 * the neighbour table.  The packets for the kernel are left at the front of 'pkts'; returns
 * their number.  '*dropped' += the packets dropped here, '*dropped_bytes' (unless NULL) +=
 * their bytes as given.
 */
uint16_t tnl_internal_tx(struct port *p, unsigned pmd, struct rte_mbuf **pkts, uint16_t n,
	uint16_t *dropped, uint64_t *dropped_bytes);

/** The ECN field of a TOS or traffic class (RFC 3168). */
#define TNL_ECN_MASK 0x03
#define TNL_ECN_NOT_ECT 0x00
#define TNL_ECN_ECT1 0x01
#define TNL_ECN_ECT0 0x02
#define TNL_ECN_CE 0x03

/**
 * PMD: the inner frame of 'm' (decapsulated, at its start) whose outer header was CE:
 * RFC 6040's decapsulation, as Linux's INET_ECN_decapsulate() and Open vSwitch's
 * tnl_process_ecn().  An ECN-capable inner IPv4 or IPv6 header is marked CE (the IPv4
 * checksum updated); false when the inner packet is IP but not ECN-capable, which cannot
 * carry the mark and is to be dropped.  A frame that is not IP is left as it is.
 */
bool tnl_ecn_decap_ce(struct rte_mbuf *m);

/** tnl_ecn_decap_ce() for a packet whose outer TOS or traffic class was 'outer_tos'. */
static inline bool
tnl_ecn_decap(struct rte_mbuf *m, uint8_t outer_tos)
{
	return (outer_tos & TNL_ECN_MASK) != TNL_ECN_CE || tnl_ecn_decap_ce(m);
}

/**
 * The tunnel port of 'dc' a packet ('o', UDP port 'dport', VNI or TEID 'vni'; GTP-U when
 * 'gtpu', else VXLAN or Geneve) goes to: of the endpoints that match it (the key by number
 * or key=flow, its remote or remote_ip=flow, its local address or any), the first in Open
 * vSwitch's order (the endpoints' rank); NULL if none (tnl_pmd.c).
 */
struct tnl_port *tnl_decap_port(const struct tnl_decap *dc, const struct tnl_outer *o,
	uint16_t dport, uint32_t vni, bool gtpu);
/**
 * PMD 'pmd': pop GTP-U from 'm', whose outer IP and UDP headers 'o' describes (its lengths,
 * checksums and 'ulen' already checked), for an endpoint of 'listener' (tnl_gtpu.c).
 * Returns the tunnel port it goes to, or NULL with '*verdict' -1 (bad or unknown TEID:
 * counted).
 */
struct tnl_port *tnl_gtpu_decap(const struct tnl_decap *dc, struct tnl_port *listener,
	struct rte_mbuf *m, unsigned pmd, const struct tnl_outer *o, int *verdict);

/**
 * PMD 'pmd': push the outer headers on 'n' (at most PORT_BURST) packets of tunnel port 't'
 * and deliver them.  Returns how many were dropped, wherever in 'pkts' they were, and adds
 * their bytes as given (before the outer headers) to '*failed_bytes' unless it is NULL.
 */
uint16_t tnl_encap_tx(struct tnl_port *t, unsigned pmd, struct rte_mbuf **pkts, uint16_t n,
	uint64_t *failed_bytes);

/* Option parsing all tunnel types share (port_vxlan.c), naming 'type' in errors:
 * tnl_check_options refuses an option not in the NULL-ended 'known'; tnl_parse_addrs reads
 * remote_ip (required) and local_ip (optional), both fixed IPv4 or both IPv6 addresses or
 * 'flow', and csum; tnl_parse_inherit a number in
 * [min, max] (default 'def') or 'inherit' (-1). */
int tnl_check_options(const struct port_args *args, const char *const *known, const char *type,
	char **err);
int tnl_parse_addrs(const struct port_args *args, struct tnl_cfg *c, const char *type,
	char **err);
int tnl_parse_inherit(const struct port_args *args, const char *key, unsigned long min,
	unsigned long max, int def, int16_t *out, char **err);
/* options:tos (0..255 with the ECN bits 0: "invalid TOS", as Open vSwitch) and ttl (1..255),
 * each or 'inherit', into 'c'. */
int tnl_parse_tos_ttl(const struct port_args *args, struct tnl_cfg *c, char **err);

/* Opens a tunnel port of 'type': its options through 'parse', its MTU 'mtu' unless the
 * port has an mtu_request, then registers it (tnl_port_add). */
typedef int tnl_parse_fn(const struct port_args *args, struct tnl_cfg *c, char **err);
int tnl_port_open(struct port *p, const struct port_args *args, const struct port_env *env,
	enum tnl_type type, tnl_parse_fn *parse, int mtu, char **err);

/* The port operations all tunnel types share (port_vxlan.c): close, rx (nothing: packets
 * arrive by decapsulation), tx (encapsulation), dev_stats, link_up; status writes the
 * options Open vSwitch shows, then 'extra' (lines, may be ""). */
void tnl_port_close(struct port *p);
uint16_t tnl_port_rx(struct port *p, uint16_t qid, struct rte_mbuf **pkts, uint16_t n);
uint16_t tnl_port_tx(struct port *p, uint16_t qid, struct rte_mbuf **pkts, uint16_t n,
	uint64_t *failed_bytes);
void tnl_port_dev_stats(struct port *p, struct port_dev_stats *st);
bool tnl_port_link_up(struct port *p);
void tnl_port_status(struct port *p, const char *extra, char *buf, size_t len);

#endif /* VIREO_TNL_H */
