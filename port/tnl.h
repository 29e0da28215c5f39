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
 * A tunnel port sends by pushing outer Ethernet/IPv4/UDP headers and handing the packet to
 * the switch as if the host had sent it through the internal port the kernel routes the
 * remote address through (port_env.deliver): the underlay bridge then forwards it like any
 * packet of the host.  Packets the underlay bridge sends to such an internal port are looked
 * at before they reach the kernel: UDP to a tunnel's local address and port is popped and
 * handed to the switch as received on the tunnel port of its VNI; ARP is copied for the
 * neighbour table and still given to the kernel.
 *
 * Routes come from the kernel's routing table (netlink RTM_GETROUTE), the next hop's MAC
 * from ARP seen passing to an internal port; an unknown next hop is asked for with an ARP
 * request sent from the internal port's kernel device (its MAC and the source address).
 *
 * Thread-safety
 * =============
 * The control thread owns every table and runs tnl_run() once a second.  PMDs see two
 * things, both published with an atomic pointer store and freed after a grace period of
 * the PMDs' RCU (port_env.qsbr): each tunnel port's encapsulation (the outer headers ready
 * to copy, and the internal port to enter), and the decapsulation endpoints (local address,
 * UDP port, VNI, tunnel port).  PMDs hand ARP they see to the control thread through a
 * multi-producer rte_ring of fixed-size records: no lock, no allocation, no system call.
 * Counters are per PMD, written by that PMD only.
 */

#include <stdint.h>
#include <time.h>

#include "port-private.h"

/**
 * Outer headers of a VXLAN packet over IPv4: Ethernet 14, IPv4 20, UDP 8, VXLAN 8.  A GTP-U
 * header without its optional fields and a Geneve header without options are 8 bytes too.
 */
#define TNL_VXLAN_HLEN 50

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
	uint32_t remote_ip;
	uint32_t local_ip;		/**< 0: the route's preferred source */
	uint32_t vni;
	uint16_t dst_port;		/**< host order */
	int16_t tos;			/**< -1: inherit the inner IPv4 TOS */
	int16_t ttl;			/**< -1: inherit the inner IPv4 TTL */
	bool df;
};

/** What a PMD needs to encapsulate for one tunnel port (immutable once published). */
struct tnl_encap {
	struct port *underlay;		/**< the internal port the packets enter by */
	uint8_t hdr[TNL_VXLAN_HLEN];	/**< outer headers; lengths and checksum filled per packet */
};

/** Per PMD counters of a tunnel port (written by that PMD only). */
struct tnl_pmd_stats {
	uint64_t rx_errors;		/**< truncated outer headers, VXLAN flags without a VNI,
					 * Geneve's version, protocol, options or an unknown
					 * critical option */
	uint64_t rx_dropped;		/**< a VNI no tunnel port has (counted on the listener) */
	uint64_t tx_no_route;		/**< no route or next hop yet: dropped */
	uint64_t tx_errors;		/**< not IPv4/IPv6 on a port without Ethernet (gtpu) */
} __rte_cache_aligned;

/** One open tunnel port: registered by its type, looked after by tnl_run(). */
struct tnl_port {
	struct port *port;
	struct tnl_cfg cfg;
	const struct port_env *env;
	struct tnl_encap *encap;	/**< atomic: control thread publishes, PMDs read */
	/* control thread */
	char why[160];			/**< why there is no encapsulation, for status */
	char dev[16];			/**< the route's device */
	uint32_t src, nh;		/**< source address and next hop in use */
	struct tnl_pmd_stats st[PORT_MAX_PMDS];
};

/** Which Geneve option goes to tun_metadataN (set by add-tlv-map; len 0: unmapped). */
struct tnl_tlv_map {
	uint16_t opt_class;		/**< host order */
	uint8_t opt_type;
	uint8_t len;			/**< bytes of the option's value: 4 */
};

/** The decapsulation endpoints, as PMDs see them. */
struct tnl_decap {
	struct tnl_tlv_map tlv[TNL_N_METADATA];
	unsigned n;
	struct {
		uint32_t local_ip;	/**< options:local_ip, else the route's source; 0: none yet */
		uint16_t dst_port;	/**< network order */
		uint32_t vni;
		uint8_t type;		/**< enum tnl_type */
		bool key_flow;		/**< any VNI/TEID no other endpoint has by number */
		struct tnl_port *t;
	} ep[];
};

/**
 * The metadata a decapsulated packet carries (tun_id, tun_src, tun_dst, network order): an
 * mbuf dynamic field and flag by name, registered with the same name and layout by the
 * switch's rule engine (flowtab.h's struct flowtab_tnl_md), which matches on them.
 */
struct tnl_md {
	uint64_t tun_id;
	uint32_t tun_src;
	uint32_t tun_dst;
	uint8_t gtpu_flags;		/**< GTP-U only, else 0 */
	uint8_t gtpu_msgtype;
	uint8_t tun_metadata_set;	/**< bit N: tun_metadataN was received / is to send */
	uint8_t spare;
	uint32_t tun_metadata[TNL_N_METADATA];	/**< mapped Geneve option values, else 0 */
} __attribute__((packed, aligned(4)));
/* 4-byte aligned, so that it leaves 8 bytes of the mbuf's dynamic field space to others
 * (flowtab.h says why). */
_Static_assert(sizeof(struct tnl_md) == 28 && __alignof__(struct tnl_md) == 4,
	"tnl_md must leave room in the mbuf's dynamic field space");
#define TNL_MD_NAME "vireo_tnl_md"
#define TNL_MD_FLAG_NAME "vireo_tnl_md_valid"
extern int tnl_md_offset;		/**< -1 until registered */
extern uint64_t tnl_md_flag;

/** What a PMD passes to the control thread about an ARP packet it saw. */
struct tnl_snoop {
	uint32_t ip;			/**< sender address */
	uint8_t mac[6];			/**< sender MAC */
	uint16_t slot;			/**< the internal port it was sent to */
};

/** A neighbour learnt from ARP (control thread). */
struct tnl_neigh {
	uint32_t ip;
	uint8_t mac[6];
	char dev[16];
	time_t seen;
};

/** A route from the kernel's table (tnl_route.c). */
struct tnl_route {
	uint32_t dst;			/**< prefix, network order */
	uint8_t dst_len;
	uint32_t gw;			/**< 0: directly connected */
	uint32_t src;			/**< preferred source, 0 if none */
	uint32_t table;
	char dev[16];
};

/** The kernel's route to 'dst' (as `ip route get`).  Returns 0 or -errno. */
int tnl_route_get(uint32_t dst, struct tnl_route *r);

/** Every IPv4 route of the kernel's main and local tables into 'out' (at most 'max'). */
int tnl_route_dump(struct tnl_route *out, unsigned max);

/** PMD: the published endpoints. */
const struct tnl_decap *tnl_decap_get(void);

/** The ring PMDs put 'struct tnl_snoop' records on (NULL until a tunnel port exists). */
extern struct rte_ring *tnl_snoop_ring;

/** Control thread: the neighbour table (snooped ARP taken in first) and the tunnel ports. */
const struct tnl_neigh *tnl_neigh_table(unsigned *n);
struct tnl_port *const *tnl_ports_table(void);

/** Control thread: learn 'mac' for 'ip' on internal port 'dev' (tnl/arp/set). */
void tnl_neigh_set(const char *dev, uint32_t ip, const uint8_t mac[6]);

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
 * their number.  '*dropped' += the packets dropped here.
 */
uint16_t tnl_internal_tx(struct port *p, unsigned pmd, struct rte_mbuf **pkts, uint16_t n,
	uint16_t *dropped);

/**
 * PMD 'pmd': pop GTP-U from 'm', whose UDP header starts at 'l4' and whose IPv4 packet is
 * 'tot' bytes with a header of 'ihl', for an endpoint of 'listener' (tnl_gtpu.c).  Returns
 * the tunnel port it goes to, or NULL with '*verdict' -1 (bad or unknown TEID: counted).
 */
struct tnl_port *tnl_gtpu_decap(const struct tnl_decap *dc, struct tnl_port *listener,
	struct rte_mbuf *m, unsigned pmd, uint32_t l4, uint32_t ihl, uint32_t tot, int *verdict);

/** PMD 'pmd': push the outer headers on 'n' packets of tunnel port 't' and deliver them. */
uint16_t tnl_encap_tx(struct tnl_port *t, unsigned pmd, struct rte_mbuf **pkts, uint16_t n);

/* Option parsing all tunnel types share (port_vxlan.c), naming 'type' in errors:
 * tnl_check_options refuses an option not in the NULL-ended 'known'; tnl_parse_ip reads a
 * fixed IPv4 address (required or 0); tnl_parse_inherit a number in [min, max] (default
 * 'def') or 'inherit' (-1). */
int tnl_check_options(const struct port_args *args, const char *const *known, const char *type,
	char **err);
int tnl_parse_ip(const struct port_args *args, const char *key, bool required, uint32_t *ip,
	const char *type, char **err);
int tnl_parse_inherit(const struct port_args *args, const char *key, unsigned long min,
	unsigned long max, int def, int16_t *out, char **err);

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
uint16_t tnl_port_tx(struct port *p, uint16_t qid, struct rte_mbuf **pkts, uint16_t n);
void tnl_port_dev_stats(struct port *p, struct port_dev_stats *st);
bool tnl_port_link_up(struct port *p);
void tnl_port_status(struct port *p, const char *extra, char *buf, size_t len);

#endif /* VIREO_TNL_H */
