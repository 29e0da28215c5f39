/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_FLOWTAB_H
#define VIREO_FLOWTAB_H

/*
 * flowtab: the OpenFlow tables of one bridge, and their datapath.
 *
 * What?
 * =====
 * Rules in ovs-ofctl syntax ("priority=100,tcp,nw_dst=10.0.0.0/8,tp_dst=80,actions=output:2")
 * organised in up to 255 tables; a packet enters table 0 and moves on with resubmit or
 * goto_table.  A packet that matches no rule in table 0 goes to the owner's 'miss' callback
 * (or is dropped without one: OpenFlow 1.3 table-miss); one that misses a later table is
 * dropped.
 * As in Open vSwitch, one packet may nest resubmit/goto_table 64 deep and run 4096 of them in
 * all; beyond, it is dropped and counted ('struct flowtab_pmd_stats').  A rule that would
 * loop on every packet it matches (resubmit to its own table, packet unchanged) is refused.
 * The main thread adds, modifies, deletes, replaces and dumps rules; PMD threads classify
 * bursts of packets and run the matched rules' actions.  The way in is the rule text
 * (vireoctl, the config file, and openflow/'s filters) or, for protocol decoders, a rule
 * whose match is given as the plain fields dumps report (flowtab_batch_add_in()); both
 * end in the same checks and rules.  The way out is the text of dump-flows or, for
 * protocol encoders, flowtab_dump_rules(), which gives each rule as plain fields and
 * actions without the key layout.
 *
 * Datapath design
 * ===============
 * 1. Each packet is parsed once into a 64-byte key (ft_key.h): one cache line of eight
 *    fixed-offset words, absent fields zero, assembled in registers and stored word by word.
 *    When no rule looks beyond Ethernet (and no action rewrites L3/L4), only the L2 words are
 *    parsed.  The burst runs in stages so that memory latency overlaps: parse + hash +
 *    prefetch the cache set; cache probes; the classifier for the misses; actions.
 * 2. A per-PMD flow cache (4096 sets x 3 ways; a set's hashes, tags and rule pointers share
 *    one cache line, keys live apart).  It is keyed not by the whole key but by the key under
 *    the union of the table's rule masks: packets that agree on every bit some rule of the
 *    table looks at meet the same rule, so this is a megaflow cache with one mask per table.
 *    With in_port rules all flows of a port share one entry; with an L3 rule set an entry
 *    stands for a distinct (addresses, protocol, port) under the rules' masks.  Entries are
 *    tagged with (snapshot generation, table), so publishing a snapshot invalidates them all
 *    without touching them, and resubmit/goto_table lookups use the same cache.  Under 50%
 *    hits (more flows than entries) new flows are inserted with probability 1/16 and only
 *    one burst in 8 probes the cache, to notice when it would pay again.
 *    When table 0's rules look at in_port at most (port-to-port rules, a table of NORMAL),
 *    every packet of a burst meets the same rule: one lookup (cache, then classifier)
 *    decides the burst, no packet is parsed, and an output or NORMAL rule runs at once
 *    (other actions take the staged path, which needs each packet's key).
 * 3. The classifier (ft_cls.h) is tuple-space search: one open-addressing hash table per
 *    distinct mask ("subtable") holding the best rule per masked key.  Subtables are ordered
 *    by their best priority, and among equals by the hits the PMDs measured (re-ranked from
 *    flowtab_run_timeouts(), where the counts also halve so that the ranking follows the
 *    traffic); the search stops once the best match beats every subtable left.  A subtable
 *    hashes and compares only the key words its mask touches.  The misses of a burst go
 *    through subtable by subtable, hashes computed and slots prefetched for all packets
 *    before any is probed.
 * 4. Actions are compiled at parse time (ft_rule.h).  A rule whose actions are a single
 *    output takes a fast path; other lists run in ft_exec.c, which rewrites packet bytes
 *    with incremental checksum updates (RFC 1624) and gives every output but the last a copy
 *    made with rte_pktmbuf_copy(), so that a later rewrite never reaches an earlier output.
 * 5. Counters: each rule has FT_STAT_SLOTS (8) packet/byte slots, one per PMD (PMDs with a
 *    higher index share slots with atomic adds), written once per run of same-rule packets in
 *    a burst; readers sum the slots.  Idle timeouts are found by the main thread seeing the
 *    counters move, so PMDs never read a clock.
 *
 * 6. The control side keeps an identity index (table, priority, match) across changes, so an
 *    add-flow finds the rule it replaces in O(1); every change still makes one pass over the
 *    rules to build the next snapshot, sharing the subtables it did not touch.
 *
 * Cost (perf/flowtab_bench, one core of the 2.1 GHz EPYC test machine, median per burst):
 * about 15 cycles/packet for in_port rules at any flow count, 26 for 800 L3 drop rules over
 * four masks plus catch-all when flows hit the cache, 70 with 100k-1M flows.  100k rules
 * install in 0.5-0.9 s (one add-flows) and take about 50 MiB; one more add-flow then costs
 * 7-12 ms.
 *
 * Thread-safety
 * =============
 * One writer (the main thread) calls every function that changes a table.  Many readers
 * (PMD threads) call flowtab_process_burst() concurrently, each with its own
 * 'struct flowtab_pmd'.  A change builds a complete new snapshot of the classifier (rules
 * themselves are shared between snapshots and immutable but for their counters and their
 * action pointer) and publishes it with one atomic pointer store; a reader uses the snapshot
 * it loaded for its whole burst, so it never sees a half-updated table.  mod-flows swaps a
 * rule's action list with one atomic store, after every reader runs a snapshot that parses
 * packets as deep as the new actions need (ft_prepare_actions()).  Memory a reader may still see (old snapshot,
 * deleted rules, old action lists) is freed only after a grace period of the
 * rte_rcu_qsbr given to flowtab_create(), i.e. after every registered PMD reported a
 * quiescent state (a NULL qsbr frees at once: single-threaded use).  Rule changes hand the
 * old snapshot and deleted rules to a deferral queue (rcu.h) and return at once, freed by a
 * later change or flowtab_destroy(); mod-flows, group and meter changes still block for one
 * PMD loop, so the writer must not hold anything a PMD waits for.
 * The packet path allocates nothing but packet copies for multiple outputs, takes no locks
 * and makes no system calls.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rte_mbuf;
struct rte_rcu_qsbr;

#define FLOWTAB_PORT_NONE UINT32_MAX

/**
 * Reserved ports, by OpenFlow 1.0's numbers: the one definition of them, which openflow/
 * spells OFPP_* (1.3 adds 0xffff0000 on the wire) and vireo-dp gives its bridges' own
 * ports (LOCAL).  Ports proper are numbered below FLOWTAB_OFPP_MAX.  An out_port filter may
 * name IN_PORT, NORMAL, FLOOD, ALL, CONTROLLER and LOCAL: it selects the rules whose
 * actions output there.
 */
#define FLOWTAB_OFPP_MAX 0xff00u
#define FLOWTAB_OFPP_IN_PORT 0xfff8u
#define FLOWTAB_OFPP_TABLE 0xfff9u
#define FLOWTAB_OFPP_NORMAL 0xfffau
#define FLOWTAB_OFPP_FLOOD 0xfffbu
#define FLOWTAB_OFPP_ALL 0xfffcu
#define FLOWTAB_OFPP_CONTROLLER 0xfffdu
#define FLOWTAB_OFPP_LOCAL 0xfffeu
#define FLOWTAB_OFPP_NONE 0xffffu

/**
 * Tunnel metadata of a decapsulated packet, which rules match as tun_id, tun_src, tun_dst
 * (network order), tun_gtpu_flags and tun_gtpu_msgtype (the GTP-U header's first two bytes,
 * zero for other tunnels) and tun_metadata0..1 (mapped Geneve options): an mbuf dynamic
 * field named FLOWTAB_TNL_MD_NAME, valid when the
 * dynamic flag FLOWTAB_TNL_MD_FLAG_NAME is set.  Whoever decapsulates registers the same
 * name and layout and sets both; flowtab reads them once flowtab_tnl_md_register() ran.
 *
 * The IPv6 endpoints (tun_ipv6_src, tun_ipv6_dst) do not fit in the dynamic field space
 * that is left: they are a struct flowtab_tnl_md6 at the start of the mbuf's private area
 * (as Open vSwitch keeps its packet metadata in the private area of its mbufs), valid when
 * 'flags' has FLOWTAB_TNL_MD_F_IPV6.  Only a pool whose private area holds it
 * (flowtab_tnl_md6_of()) carries them; whoever copies a packet copies them
 * (flowtab_tnl_md_copy()).
 */
struct flowtab_tnl_md {
	uint64_t tun_id;
	uint32_t tun_src;
	uint32_t tun_dst;
	uint8_t gtpu_flags;
	uint8_t gtpu_msgtype;
	uint8_t tun_metadata_set;	/**< bit N: tun_metadataN is an option to send */
	uint8_t flags;			/**< FLOWTAB_TNL_MD_F_* */
	uint32_t tun_metadata[2];	/**< Geneve option values mapped to tun_metadata0..1 */
} __attribute__((packed, aligned(4)));
/*
 * DPDK 22.11's mbuf has 36 bytes of dynamic field space from a 4-byte aligned offset.  At
 * 4-byte alignment these 28 bytes leave an 8-byte aligned slot after them for another
 * field (net_pcap's 8-byte rx timestamp): 8-byte aligned, they left none and net_pcap ports
 * could not open.
 */
_Static_assert(sizeof(struct flowtab_tnl_md) == 28 && __alignof__(struct flowtab_tnl_md) == 4,
	"flowtab_tnl_md must leave room in the mbuf's dynamic field space");
#define FLOWTAB_TNL_MD_NAME "vireo_tnl_md"
#define FLOWTAB_TNL_MD_FLAG_NAME "vireo_tnl_md_valid"
/** flowtab_tnl_md 'flags': the private area holds the IPv6 endpoints. */
#define FLOWTAB_TNL_MD_F_IPV6 0x01
/** The packet came (or is to go) with the OAM flag: tun_flags' bit 0, Geneve's O bit. */
#define FLOWTAB_TNL_MD_F_OAM 0x02

/** The IPv6 endpoints of a tunnel packet (network order), in the mbuf's private area. */
struct flowtab_tnl_md6 {
	uint8_t src[16];
	uint8_t dst[16];
};

/** The field's offset and the flag's bit (0 until registered: no packet has metadata). */
extern int flowtab_tnl_md_offset;
extern uint64_t flowtab_tnl_md_flag;

/** 'm''s private area as IPv6 endpoints, or NULL when its pool's private area is smaller. */
struct flowtab_tnl_md6 *flowtab_tnl_md6_of(const struct rte_mbuf *m);

/**
 * After rte_pktmbuf_copy(): the IPv6 endpoints of 'src' to 'dst' (DPDK copies the dynamic
 * field and flag, not the private area).  The IPv6 flag is dropped when 'dst' has no room.
 */
void flowtab_tnl_md_copy(struct rte_mbuf *dst, const struct rte_mbuf *src);

/**
 * Register the tunnel metadata field and flag (after rte_eal_init, control thread).
 * Returns 0 or -errno.
 */
int flowtab_tnl_md_register(void);

/** How flowtab learns port names and numbers (OpenFlow port numbers, "ofport"). */
struct flowtab_port_ops {
	/** Return 0 and set '*ofport' when 'name' is a port of the bridge, else -ENOENT. */
	int (*by_name)(void *aux, const char *name, uint32_t *ofport);
	/** Name of 'ofport' or NULL (used by dump-flows). */
	const char *(*name)(void *aux, uint32_t ofport);
	void *aux;
};

/** Why a packet goes to the controller (OpenFlow's packet_in reasons). */
enum {
	FLOWTAB_REASON_MISS = 0,            /**< no rule matched */
	FLOWTAB_REASON_ACTION = 1,
	/**
	 * A table-miss rule's CONTROLLER action: OpenFlow 1.3 calls it a miss, 1.0 an action
	 * (Open vSwitch's OFPR_EXPLICIT_MISS), so the owner says which per connection.
	 */
	FLOWTAB_REASON_EXPLICIT_MISS = 2,
};

/** Where actions send packets: provided by dataplane/, called on the PMD thread. */
struct flowtab_out {
	/** Send 'm' to 'ofport'; takes ownership of 'm'. */
	void (*output)(void *ctx, uint32_t ofport, struct rte_mbuf *m);
	/**
	 * Send 'n' packets, in order, to 'ofport'; takes ownership.  Optional (NULL: output()
	 * per packet).  Consecutive packets whose rule only outputs to one port come this way.
	 */
	void (*output_burst)(void *ctx, uint32_t ofport, struct rte_mbuf **pkts, uint16_t n);
	/** The NORMAL action (MAC learning switch); takes ownership. */
	void (*normal)(void *ctx, uint32_t in_port, struct rte_mbuf *m);
	/** FLOOD ('all' false: every port but in_port) or ALL ('all' true); takes ownership. */
	void (*flood)(void *ctx, uint32_t in_port, struct rte_mbuf *m, bool all);
	/**
	 * The CONTROLLER action ('reason' FLOWTAB_REASON_ACTION, 'max_len' from the rule;
	 * FLOWTAB_REASON_EXPLICIT_MISS when the rule is a table-miss rule: priority 0, no
	 * match) or a table-0 miss ('reason' FLOWTAB_REASON_MISS, 'max_len' 0: the owner's choice);
	 * takes ownership.  NULL: such packets are dropped.  'table' and 'cookie' are the
	 * rule's (0 and all-ones for a miss).
	 */
	void (*controller)(void *ctx, uint32_t in_port, struct rte_mbuf *m, uint16_t max_len,
			uint8_t reason, uint8_t table, uint64_t cookie);
	/**
	 * Make the 'n' packets of 'pkts' the switch's own, to write to and keep: a packet
	 * lent by its port (its data still in a sender's buffer), or shared with ports it was
	 * also sent to (a flood's, come across a patch port), is replaced by a copy, in
	 * place; one that cannot be copied is freed and left out.  Returns how many remain.
	 * Called before a burst meets rules of which some write to packets or keep them
	 * (flowtab_lends() false).  NULL: packets are always the switch's own.
	 */
	uint16_t (*own)(void *ctx, struct rte_mbuf **pkts, uint16_t n);
	/**
	 * Make the first segment of each of the 'n' packets of 'pkts' the switch's own to
	 * write to, as 'own' does for whole packets: the rest may stay lent, as the rules
	 * about to run rewrite headers only (Ethernet, VLAN, IP, ports, TTL: all within the
	 * first segment) and keep nothing.  Returns how many remain.  NULL: 'own' is called
	 * instead, or nothing when that is NULL too.
	 */
	uint16_t (*own_head)(void *ctx, struct rte_mbuf **pkts, uint16_t n);
	/** Send table-0 misses to 'controller' instead of dropping them. */
	bool miss_to_controller;
	void *ctx;
};

/** Per-PMD lookup statistics, OVS's names (written by the owning PMD only). */
struct flowtab_pmd_stats {
	uint64_t emc_hits;
	uint64_t smc_hits;
	uint64_t megaflow_hits;
	uint64_t subtable_lookups;  /**< summed over megaflow hits */
	uint64_t misses;            /**< matched no rule: dropped (OpenFlow 1.3 table-miss) */
	uint64_t passes;            /**< table passes (resubmit/goto count extra) */
	/** dropped: over FT_MAX_RESUBMITS (4096) resubmit/goto_table actions, group actions and
	 *  buckets run for one packet */
	uint64_t too_many_resubmits;
	/** dropped: resubmit/goto_table nested deeper than 64 */
	uint64_t recursion_too_deep;
	/** dropped: over FT_MAX_OUTPUTS (4096) outputs and controller actions run for one
	 *  packet */
	uint64_t too_many_outputs;
};

struct flowtab;
struct flowtab_pmd;

/**
 * Create the empty flow tables of bridge 'bridge' (main thread).
 *
 * @param bridge  name, for messages
 * @param ports   how port names in rules resolve (copied; 'aux' must outlive the table);
 *                NULL: numbers only
 * @param qsbr    the PMDs' RCU variable, or NULL when no other thread reads the table
 * @return the table, or NULL when out of memory
 */
struct flowtab *flowtab_create(const char *bridge, const struct flowtab_port_ops *ports,
		struct rte_rcu_qsbr *qsbr);
/** Free 'ft' and its rules; no PMD may use it any more. */
void flowtab_destroy(struct flowtab *ft);

/**
 * Add rules atomically: all of them or none (ovs-ofctl add-flow, add-flows).  A rule with the
 * same table, priority and match as an existing one replaces it (counters restart).
 *
 * @param texts   'n' rules in ovs-ofctl add-flow syntax
 * @param lines   line number of each in 'origin', or NULL (then "line I" counts from 1)
 * @param origin  a file name for messages, or NULL
 * @param err     on error, a malloc'd "ORIGIN:LINE: field 'F': why"
 * @return 0; -EINVAL for a rule that does not parse (table unchanged); -ENOMEM
 */
int flowtab_add_flows(struct flowtab *ft, const char *const *texts, const int *lines, size_t n,
		const char *origin, char **err);
/**
 * Replace the whole table by these rules, atomically (ovs-ofctl replace-flows).  Rules that
 * are in both the old and the new set keep their counters and duration.  Arguments and
 * return as flowtab_add_flows().
 */
int flowtab_replace_flows(struct flowtab *ft, const char *const *texts, const int *lines,
		size_t n, const char *origin, char **err);
/**
 * A batch of adds, modifies and deletes applied as one update (an OpenFlow bundle): readers see the
 * table before all of them or after all of them, never between.  Each change is parsed when
 * it is added to the batch (so a refused rule is known at once, and parsing overlaps with
 * receiving the rest); the table is untouched until flowtab_batch_commit(), where the
 * changes apply in order — a later one sees the earlier ones (a delete removes rules an
 * earlier add of the batch made) — and one snapshot is published.  Deleted rules that
 * asked are reported to flowtab_set_removed()'s callback at the commit.  A batch belongs
 * to the table's writer thread; the table must outlive it, but for flowtab_batch_destroy(),
 * which may come after flowtab_destroy() (a bundle still open when its bridge goes).
 */
struct flowtab_batch;

/** An empty batch for 'ft', or NULL when out of memory. */
struct flowtab_batch *flowtab_batch_create(struct flowtab *ft);
/** Add the rule 'text' (flowtab_add_flows() syntax).  @return 0, -EINVAL with '*err', -ENOMEM. */
int flowtab_batch_add(struct flowtab_batch *b, const char *text, char **err);
/** Delete what 'match' selects (flowtab_del_flows() syntax).  Returns as flowtab_batch_add(). */
int flowtab_batch_del(struct flowtab_batch *b, const char *match, bool strict, char **err);
/**
 * Give the rules 'text' selects the actions of 'text' (flowtab_mod_flows() syntax and
 * semantics: counters, cookie and timeouts are kept; nothing is added when nothing matches).
 * The rules are those selected at the commit, the batch's earlier changes applied.
 * Returns as flowtab_batch_add().
 */
int flowtab_batch_mod(struct flowtab_batch *b, const char *text, bool strict, char **err);
/**
 * Apply the batch.  @return 0; -EINVAL with '*err' when a modify's actions do not suit a
 * rule it selects (goto_table to an earlier table, a resubmit loop), or -ENOMEM with '*err';
 * then the table is unchanged.
 */
int flowtab_batch_commit(struct flowtab_batch *b, char **err);
/** Free the batch and whatever of it was not committed. */
void flowtab_batch_destroy(struct flowtab_batch *b);

/** One change of flowtab_apply_changes(). */
struct flowtab_change {
	enum {
		FLOWTAB_CHANGE_ADD,        /**< 'text' is a rule, as for flowtab_add_flows() */
		FLOWTAB_CHANGE_DEL,        /**< 'text' is a match, as for flowtab_del_flows() */
		FLOWTAB_CHANGE_DEL_STRICT,
		FLOWTAB_CHANGE_MOD,        /**< 'text' is as for flowtab_mod_flows() */
		FLOWTAB_CHANGE_MOD_STRICT,
	} op;
	const char *text;
};
/**
 * 'n' changes as one batch (see struct flowtab_batch).  @return 0; -EINVAL with '*err' and
 * '*failed' the index of the change that does not parse (table unchanged); -ENOMEM.
 */
int flowtab_apply_changes(struct flowtab *ft, const struct flowtab_change *ch, size_t n,
		size_t *failed, char **err);
/**
 * ovs-ofctl mod-flows: give the rules selected by the match of 'text' (non-strict: every rule
 * at least as specific; 'strict': same match and priority) the actions of 'text'; counters
 * are kept.  @return 0 (also when nothing matched), -EINVAL with '*err', or -ENOMEM.
 */
int flowtab_mod_flows(struct flowtab *ft, const char *text, bool strict, char **err);
/**
 * Zero the packet and byte counters of the rules 'match' selects (as for
 * flowtab_del_flows()): OpenFlow's RESET_COUNTS on a modify.  A packet a PMD counts while
 * this runs may be counted before or after the reset.
 * @return 0, or -EINVAL with '*err' for a bad 'match'.
 */
int flowtab_reset_counts(struct flowtab *ft, const char *match, bool strict, char **err);
/**
 * ovs-ofctl del-flows: delete the rules selected by 'match' (NULL or "" for all; may name
 * table, cookie=V/M, out_port, out_group), 'strict' as for mod-flows.  Sets '*n_deleted' (may be NULL).
 * @return 0, -EINVAL with '*err', or -ENOMEM.
 */
int flowtab_del_flows(struct flowtab *ft, const char *match, bool strict, size_t *n_deleted,
		char **err);
/**
 * ovs-ofctl dump-flows: one line per rule selected by 'match' (NULL for all), sorted by table
 * and priority, with cookie, duration, table, n_packets, n_bytes, timeouts, idle_age, match
 * and actions, in ovs-ofctl's format.  '*out' is malloc'd.  @return 0 or -EINVAL with '*err'.
 */
int flowtab_dump_flows(struct flowtab *ft, const char *match, char **out, char **err);
/**
 * A rule's match as plain fields, for protocol encoders (openflow/).  Multi-byte values are
 * in host byte order except addresses (network order, as on the wire); a zero mask means the
 * field is not matched.  nw_src/nw_dst are the IPv4 or ARP addresses (dl_type 0x0800 or
 * 0x0806), ipv6_src/ipv6_dst those of IPv6; tp_src/tp_dst hold the ICMP type and code of
 * ICMP rules and nw_proto the ARP opcode of ARP rules, as in ovs-ofctl's syntax.
 */
struct flowtab_match_info {
	uint32_t in_port;
	bool has_in_port;
	uint8_t dl_src[6], dl_src_mask[6];
	uint8_t dl_dst[6], dl_dst_mask[6];
	uint16_t dl_type, dl_type_mask;
	uint16_t vlan_tci, vlan_tci_mask;   /**< 0x1000: a VLAN header is present */
	uint8_t nw_proto, nw_proto_mask;
	uint8_t nw_tos, nw_tos_mask;        /**< the DSCP bits of the TOS byte */
	uint8_t nw_ttl, nw_ttl_mask;
	uint16_t tp_src, tp_src_mask;
	uint16_t tp_dst, tp_dst_mask;
	uint16_t tcp_flags, tcp_flags_mask;
	uint32_t nw_src, nw_src_mask;       /**< network order */
	uint32_t nw_dst, nw_dst_mask;
	uint8_t ipv6_src[16], ipv6_src_mask[16];
	uint8_t ipv6_dst[16], ipv6_dst_mask[16];
	uint8_t tun_id[8], tun_id_mask[8];  /**< network order, as on the wire */
	uint32_t tun_src, tun_src_mask;     /**< network order */
	uint32_t tun_dst, tun_dst_mask;
	uint8_t tun_gtpu_flags, tun_gtpu_flags_mask;
	uint8_t tun_gtpu_msgtype, tun_gtpu_msgtype_mask;
	uint16_t tun_flags, tun_flags_mask;  /**< bit 0: OAM */
	uint32_t tun_metadata[2], tun_metadata_mask[2];  /**< network order */
	uint8_t tun_ipv6_src[16], tun_ipv6_src_mask[16];
	uint8_t tun_ipv6_dst[16], tun_ipv6_dst_mask[16];
};

/** What an action of a rule does (flowtab_action_info 'kind'). */
enum flowtab_action_kind {
	FLOWTAB_A_OUTPUT,        /**< 'port' */
	FLOWTAB_A_NORMAL,
	FLOWTAB_A_FLOOD,
	FLOWTAB_A_ALL,
	FLOWTAB_A_IN_PORT,
	FLOWTAB_A_SET_ETH_SRC,   /**< 'bytes' */
	FLOWTAB_A_SET_ETH_DST,
	FLOWTAB_A_SET_IPV4_SRC,  /**< 'ipv4' */
	FLOWTAB_A_SET_IPV4_DST,
	FLOWTAB_A_SET_IP_TOS,    /**< 'u8': the DSCP bits of the TOS byte */
	FLOWTAB_A_SET_IP_TTL,    /**< 'u8' */
	FLOWTAB_A_SET_TP_SRC,    /**< 'u16' */
	FLOWTAB_A_SET_TP_DST,
	FLOWTAB_A_SET_IPV6_SRC,  /**< 'bytes' */
	FLOWTAB_A_SET_IPV6_DST,
	FLOWTAB_A_SET_VLAN_VID,  /**< 'u16' */
	FLOWTAB_A_SET_VLAN_PCP,  /**< 'u8' */
	FLOWTAB_A_SET_TUN_METADATA, /**< 'u8': N of tun_metadataN, 'ipv4': the value */
	FLOWTAB_A_PUSH_VLAN,     /**< 'u16': TPID */
	FLOWTAB_A_POP_VLAN,
	FLOWTAB_A_DEC_TTL,
	FLOWTAB_A_RESUBMIT,      /**< 'port' (FLOWTAB_PORT_NONE: the packet's), 'table' (0xff: same) */
	FLOWTAB_A_GOTO_TABLE,    /**< 'table'; always the last action */
	FLOWTAB_A_CONTROLLER,    /**< 'u16': max_len */
	FLOWTAB_A_GROUP,         /**< 'port': the group id (flowtab_gm.h) */
	FLOWTAB_A_METER,         /**< 'port': the meter id; always the first action */
	FLOWTAB_A_SET_TUN_ID,    /**< 'bytes'[0..7]: tun_id, network order */
	FLOWTAB_A_SET_TUN_SRC,   /**< 'ipv4': tun_src (local_ip=flow), network order */
	FLOWTAB_A_SET_TUN_DST,   /**< 'ipv4': tun_dst (remote_ip=flow) */
	FLOWTAB_A_SET_TUN_IPV6_SRC, /**< 'bytes': tun_ipv6_src (local_ip=flow over IPv6) */
	FLOWTAB_A_SET_TUN_IPV6_DST, /**< 'bytes': tun_ipv6_dst (remote_ip=flow over IPv6) */
	FLOWTAB_A_SET_TUN_FLAGS, /**< 'u16': tun_flags, 1 (OAM) or 0 */
};

struct flowtab_action_info {
	enum flowtab_action_kind kind;
	uint32_t port;
	uint32_t ipv4;           /**< network order */
	uint16_t u16;
	uint8_t u8;
	uint8_t table;
	bool set_field;          /**< SET_* written as set_field (printed and encoded so) */
	uint8_t bytes[16];
};

/** One rule, as flowtab_dump_rules() shows it. */
struct flowtab_rule_info {
	uint8_t table_id;
	uint16_t priority;
	uint16_t idle_timeout;
	uint16_t hard_timeout;
	bool send_flow_rem;                 /**< OpenFlow's OFPFF_SEND_FLOW_REM */
	uint64_t cookie;
	uint64_t duration_ms;
	uint64_t idle_ms;                   /**< since the counters last moved */
	uint64_t packets;
	uint64_t bytes;
	struct flowtab_match_info match;
	unsigned n_actions;
	const struct flowtab_action_info *actions;
};

/**
 * The rules of flowtab_dump_flows() as structures: 'cb' is called once per rule selected by
 * 'match' (ovs-ofctl syntax, may name table, cookie=V/M, out_port and out_group; NULL for all), in
 * dump-flows order.  'info' is valid during the call only; 'cb' must not change 'ft'.
 * @return 0, -EINVAL with '*err' for a bad 'match', or -ENOMEM.
 */
int flowtab_dump_rules(struct flowtab *ft, const char *match,
		void (*cb)(void *aux, const struct flowtab_rule_info *info), void *aux, char **err);

/**
 * A rule given as structures instead of text, for protocol decoders (openflow/): its match
 * in the form flowtab_dump_rules() reports one, its actions in ovs-ofctl syntax.  It is
 * checked as the same rule in text is (prerequisites, actions, goto_table, loops) and ends
 * in the same rule; only the match's text is neither written nor parsed.
 */
struct flowtab_rule_in {
	uint8_t table_id;
	uint16_t priority;
	uint16_t idle_timeout;
	uint16_t hard_timeout;
	bool send_flow_rem;
	uint64_t cookie;
	const struct flowtab_match_info *match;
	const char *actions;                /**< NULL or "": drop */
};
/** Add 'r' to 'b', as flowtab_batch_add() adds a rule's text.  Returns as it does. */
int flowtab_batch_add_in(struct flowtab_batch *b, const struct flowtab_rule_in *r, char **err);
/**
 * The match 'm' as the text of a filter (flowtab_del_flows(), flowtab_dump_rules(): ports
 * by number), malloc'd in '*text'.  @return 0; -EINVAL with '*err' when a field of 'm'
 * lacks its prerequisite (nw_src without ip or arp...); -ENOMEM.
 */
int flowtab_match_text(const struct flowtab_match_info *m, char **text, char **err);

/**
 * Bit N: a rule matches on tun_metadataN or sets it (main thread), so that the Geneve option
 * mapped to it may not be unmapped (OpenFlow's NXTTMFC_INVALID_TLV_DEL).
 */
unsigned flowtab_tun_metadata_used(const struct flowtab *ft);

/** Where flowtab_trace() reports the packet leaving (main thread). */
struct flowtab_trace_out {
	/**
	 * The packet goes out by 'kind' (OUTPUT or IN_PORT with 'port', NORMAL, FLOOD, ALL),
	 * with destination 'dl_dst' and 'vlan_tci' (host order, 0x1000 set when tagged) at that
	 * point.  The callee may write one line explaining the decision into 'note'
	 * ('note_size' bytes, empty by default).
	 */
	void (*emit)(void *aux, enum flowtab_action_kind kind, uint32_t port, uint32_t in_port,
		const uint8_t dl_dst[6], uint16_t vlan_tci, char *note, size_t note_size);
	void *aux;
	/** The bridge runs NORMAL when it has no rule at all (its owner's choice). */
	bool no_rules_normal;
};

/**
 * ofproto/trace: walk the tables of 'ft' for the packet described by 'flow' (ovs-ofctl
 * match syntax, in_port required; fields not given are zero), as the datapath would, and
 * describe it in Open vSwitch's format: "Flow: ...", the rules met per table with their
 * actions, "Final flow: ...".  Outputs are reported through 'out'.  Main thread only;
 * counters and caches are not touched.
 * @return 0 with the malloc'd text in '*text', or -EINVAL with '*err' for a bad 'flow'.
 */
int flowtab_trace(struct flowtab *ft, const char *flow, const struct flowtab_trace_out *out,
		char **text, char **err);

/**
 * dpctl/dump-flows: the entries of 'pmd''s flow cache that serve 'ft' now, one a line:
 * "table=T,MATCH, rule priority P, actions:ACTIONS", MATCH being the packet fields under
 * the table's cache mask (the megaflow).  Main thread, while the PMD runs.
 * @return 0 with the malloc'd text in '*out', or -ENOMEM.
 */
int flowtab_pmd_cache_dump(const struct flowtab_pmd *pmd, struct flowtab *ft, char **out);

/**
 * Expire idle_timeout/hard_timeout rules and re-rank classifier subtables by their hits; call
 * about once a second from the main thread.
 */
void flowtab_run_timeouts(struct flowtab *ft);
/** Why a rule went (OpenFlow's flow_removed reasons). */
enum {
	FLOWTAB_REMOVED_IDLE = 0,
	FLOWTAB_REMOVED_HARD = 1,
	FLOWTAB_REMOVED_DELETE = 2,
};

/**
 * Call 'cb' for every rule flagged send_flow_rem (rule text keyword) that an idle or hard
 * timeout or a del-flows removes, just before it goes ('info' valid during the call; 'cb'
 * must not change 'ft').  NULL: nobody is told.
 */
void flowtab_set_removed(struct flowtab *ft,
		void (*cb)(void *aux, const struct flowtab_rule_info *info, uint8_t reason),
		void *aux);
/** Number of rules in all tables of 'ft'. */
size_t flowtab_n_rules(const struct flowtab *ft);
/** Replace the millisecond clock used for durations and timeouts (tests); NULL restores it. */
void flowtab_set_clock(struct flowtab *ft, uint64_t (*now_ms)(void *aux), void *aux);

/**
 * Create the datapath context of one PMD (flow cache, scratch); usable with every table.
 *
 * @param pmd_index  distinct per PMD, from 0: selects the rule counter slot
 * @param socket     NUMA node for the cache's memory (hugepages when EAL is up), or -1
 * @return the context or NULL when out of memory
 */
struct flowtab_pmd *flowtab_pmd_create(unsigned pmd_index, int socket);
/** Free a PMD context. */
void flowtab_pmd_destroy(struct flowtab_pmd *pmd);
/** The lookup statistics of 'pmd' (written by its PMD only; read them as racy snapshots). */
const struct flowtab_pmd_stats *flowtab_pmd_stats(const struct flowtab_pmd *pmd);

/**
 * True when no rule keeps a packet past its burst (CONTROLLER, groups), sends it back to
 * its input port (IN_PORT, ALL) or writes to more than its headers: the actions read
 * packets, rewrite their headers at most, and send them on to other ports, so a port may
 * lend what follows the headers and flowtab_out.own is not called (own_head is, when a rule
 * rewrites headers).  Main
 * thread; a rule change can make it false at any time, which flowtab_process_burst() then
 * honours with the snapshot it runs.
 */
bool flowtab_lends(const struct flowtab *ft);

/**
 * Classify 'n' packets received on 'in_port' against 'ft' and run their actions, calling
 * 'out' for every packet that leaves.  Takes ownership of every mbuf (dropped ones are freed).
 * Called by the PMD that owns 'pmd', which reports its quiescent states to the table's qsbr
 * between calls.
 */
void flowtab_process_burst(struct flowtab_pmd *pmd, struct flowtab *ft,
		struct rte_mbuf **pkts, uint16_t n, uint32_t in_port,
		const struct flowtab_out *out);

/** An action list parsed on its own, for packets that come with their actions (packet_out). */
struct flowtab_actions;

/**
 * Parse 'text' (an ovs-ofctl action list, "resubmit(,0)" for OpenFlow's output:TABLE)
 * against 'ft''s ports (main thread).  @return the list, or NULL with '*err' malloc'd.
 */
struct flowtab_actions *flowtab_actions_parse(struct flowtab *ft, const char *text, char **err);
void flowtab_actions_free(struct flowtab_actions *a);

/**
 * Run 'a' on 'm' as if a rule of table 0 had matched it on 'in_port' (FLOWTAB_PORT_NONE:
 * none), resubmits looking 'ft' up; takes ownership of 'm'.  PMD thread, as
 * flowtab_process_burst().
 */
void flowtab_execute(struct flowtab_pmd *pmd, struct flowtab *ft, const struct flowtab_actions *a,
		struct rte_mbuf *m, uint32_t in_port, const struct flowtab_out *out);

#endif /* VIREO_FLOWTAB_H */
