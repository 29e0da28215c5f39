/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_FLOWTAB_GM_H
#define VIREO_FLOWTAB_GM_H

/*
 * flowtab groups and meters: OpenFlow's group table and meter table of one bridge.
 *
 * What?
 * =====
 * A group is a list of buckets, each an action list, that the rule action "group:N" hands the
 * packet to.  Types as OpenFlow's: 'all' (a copy through every bucket), 'select' (one bucket
 * per flow: highest-random-weight over a hash of the 5-tuple, so a flow stays on its bucket
 * and only the flows of a bucket that goes away move), 'indirect' (its one bucket) and
 * 'fast_failover' (the first live bucket).  A bucket is live when it watches nothing, when
 * its watch_port is live (flowtab_set_port_live(): the owner tells, flowtab knows no ports)
 * or when its watch_group has a live bucket.  Select buckets that are not live are skipped.
 * Buckets may use "group:M" again (chaining), at most FLOWTAB_GROUP_MAX_CHAIN groups deep,
 * never in a loop: both are refused when a group is added or modified.
 *
 * A meter ("meter:N", the first action of a rule, as OpenFlow 1.3's meter instruction) lets
 * packets pass under its bands' rates and drops the rest.  Only drop bands exist; a packet
 * is dropped, and counted to that band, when the band of lowest rate it exceeds says so.
 * Rates are kbps or pktps.  The token buckets are DPDK's rte_meter srTCM (committed rate =
 * the band's rate, committed burst = its burst, no excess bucket), clocked by the TSC.
 *
 * Text forms are ovs-ofctl's: add-group "group_id=1,type=select,bucket=weight:2,actions=
 * output:1,bucket=..." and add-meter "meter=1,kbps,burst,stats,bands=type=drop,rate=1000,
 * burst_size=100".  A rule naming a group or meter that does not exist (yet) is accepted;
 * its packets are dropped at that action until it exists.
 *
 * Thread-safety
 * =============
 * One writer (the main thread) calls everything here but the datapath, as for the rules.
 * The group and meter tables are immutable arrays sorted by id, published with one atomic
 * store and freed after rte_rcu_qsbr_synchronize() on the table's qsbr, as the rule
 * snapshots; PMDs look an id up by binary search in the array they loaded.  Counters are
 * atomic adds.  A meter's token bucket (time and committed tokens, 16 bytes) is shared by
 * every PMD and updated with a 128-bit compare-and-swap around rte_meter's own arithmetic:
 * no lock, one retry per concurrent update.  Port liveness is a bitmap of atomic words the
 * owner writes and PMDs read.  Modifying a group or meter makes a new one (meter buckets
 * start full; group counters carry over).
 */

#include <stdbool.h>
#include <stdint.h>

#include "flowtab.h"

struct flowtab;

#define FLOWTAB_GROUP_MAX_BUCKETS 32
/** Groups nested through "group:N" actions in buckets, the first counted. */
#define FLOWTAB_GROUP_MAX_CHAIN 4
#define FLOWTAB_GROUP_MAX_ID 0xffffff00u    /**< OpenFlow's OFPG_MAX */
#define FLOWTAB_GROUP_ALL 0xfffffffcu       /**< OFPG_ALL: every group (delete, dump) */
#define FLOWTAB_METER_MAX_BANDS 8
#define FLOWTAB_METER_MAX_ID 0xffff0000u    /**< OpenFlow's OFPM_MAX */
#define FLOWTAB_METER_ALL 0xffffffffu       /**< OFPM_ALL */
#define FLOWTAB_MAX_GROUPS 65536
#define FLOWTAB_MAX_METERS 65536

/** Group types, OpenFlow's numbers. */
enum flowtab_group_type {
	FLOWTAB_GROUP_TYPE_ALL = 0,
	FLOWTAB_GROUP_TYPE_SELECT = 1,
	FLOWTAB_GROUP_TYPE_INDIRECT = 2,
	FLOWTAB_GROUP_TYPE_FF = 3,
};

/** Meter flags, OpenFlow 1.3's bits. */
#define FLOWTAB_METER_KBPS 0x1
#define FLOWTAB_METER_PKTPS 0x2
#define FLOWTAB_METER_BURST 0x4
#define FLOWTAB_METER_STATS 0x8

/** Why a group or meter change was refused (mapped to OpenFlow's error codes by openflow/). */
enum flowtab_gm_error {
	FLOWTAB_GM_OK = 0,
	FLOWTAB_GM_EXISTS,          /**< add of an id in use */
	FLOWTAB_GM_UNKNOWN,         /**< modify of an id not in use */
	FLOWTAB_GM_INVALID,         /**< id out of range, or an indirect group without 1 bucket */
	FLOWTAB_GM_BAD_TYPE,
	FLOWTAB_GM_BAD_BUCKET,      /**< a bucket's actions do not parse */
	FLOWTAB_GM_BAD_WATCH,       /**< watch_group names a group that does not exist */
	FLOWTAB_GM_WEIGHT,          /**< a weight on a group that is not 'select' */
	FLOWTAB_GM_OUT_OF_BUCKETS,
	FLOWTAB_GM_OUT_OF_GROUPS,
	FLOWTAB_GM_UNKNOWN_GROUP,   /**< a bucket's group:N names no group */
	FLOWTAB_GM_LOOP,            /**< a bucket leads back to its own group */
	FLOWTAB_GM_CHAINING,        /**< more than FLOWTAB_GROUP_MAX_CHAIN groups deep */
	FLOWTAB_GM_CHAINED,         /**< delete of a group another group's bucket uses */
	FLOWTAB_GM_BAD_FLAGS,       /**< meter: not exactly one of kbps and pktps */
	FLOWTAB_GM_BAD_BAND,        /**< meter: a band type other than drop, or none */
	FLOWTAB_GM_BAD_RATE,        /**< meter: rate 0 */
	FLOWTAB_GM_BAD_BURST,
	FLOWTAB_GM_OUT_OF_BANDS,
	FLOWTAB_GM_OUT_OF_METERS,
	FLOWTAB_GM_UNKNOWN_BUCKET,  /**< insert/remove: no bucket of that id */
	FLOWTAB_GM_BUCKET_EXISTS,   /**< a bucket id given twice, or inserted again */
};

/** Bucket ids (OpenFlow 1.5): numbers up to FLOWTAB_BUCKET_MAX, and where to insert or what
 * to remove. */
#define FLOWTAB_BUCKET_MAX 0xffffff00u
#define FLOWTAB_BUCKET_FIRST 0xfffffffdu
#define FLOWTAB_BUCKET_LAST 0xfffffffeu
#define FLOWTAB_BUCKET_ALL 0xffffffffu

struct flowtab_bucket_spec {
	uint32_t bucket_id;         /**< with 'bucket_ids' of the group spec only */
	uint16_t weight;
	uint32_t watch_port;        /**< FLOWTAB_PORT_NONE: none */
	uint32_t watch_group;       /**< FLOWTAB_GROUP_ANY: none */
	const char *actions;        /**< ovs-ofctl action text ("" or "drop": none) */
};
#define FLOWTAB_GROUP_ANY 0xffffffffu

struct flowtab_group_spec {
	uint32_t group_id;
	uint8_t type;               /**< enum flowtab_group_type */
	bool bucket_ids;            /**< buckets carry their ids; else they are 0, 1, ... */
	unsigned n_buckets;
	struct flowtab_bucket_spec buckets[FLOWTAB_GROUP_MAX_BUCKETS];
};

enum flowtab_gm_command {
	FLOWTAB_GM_ADD,
	FLOWTAB_GM_MODIFY,
	FLOWTAB_GM_ADD_OR_MODIFY,   /**< ovs-ofctl's --may-create */
};

/**
 * Add or modify a group (main thread).  @return 0; -EINVAL with '*why' and '*err'
 * (malloc'd, "group N: ...") when refused (table unchanged); -ENOMEM.
 */
int flowtab_group_mod(struct flowtab *ft, enum flowtab_gm_command cmd,
		const struct flowtab_group_spec *spec, enum flowtab_gm_error *why, char **err);
/**
 * Delete group 'group_id' (FLOWTAB_GROUP_ALL: every group); an id not in use is no error.
 * A group another group chains to is not deleted: -EINVAL, FLOWTAB_GM_CHAINED (unless the
 * other goes too).  Rules that use deleted groups are deleted with them, as OpenFlow says.
 */
int flowtab_group_del(struct flowtab *ft, uint32_t group_id, enum flowtab_gm_error *why,
		char **err);
/**
 * flowtab_group_mod() and flowtab_group_del() in a batch (flowtab.h: an OpenFlow bundle):
 * checked against the group table as the batch's earlier changes left it, refused at once
 * as there (the batch unchanged), and published at flowtab_batch_commit() together with the
 * batch's rules: the batch's later adds and modifies may name the groups it adds, and a
 * delete removes, at its place in the batch, the rules that use the group.  A group change
 * made outside the batch after its first one fails the batch's later changes and its commit
 * (-EINVAL, "the group table changed ...").
 */
struct flowtab_batch;
int flowtab_batch_group_mod(struct flowtab_batch *b, enum flowtab_gm_command cmd,
		const struct flowtab_group_spec *spec, enum flowtab_gm_error *why, char **err);
int flowtab_batch_group_del(struct flowtab_batch *b, uint32_t group_id,
		enum flowtab_gm_error *why, char **err);
/**
 * Insert the buckets of 'spec' (its group_id and buckets; type and everything else are
 * group 'spec->group_id''s) into that group: before its buckets ('where'
 * FLOWTAB_BUCKET_FIRST), after them (FLOWTAB_BUCKET_LAST) or after the bucket of id 'where'.
 * Buckets of ids in use are refused (FLOWTAB_GM_BUCKET_EXISTS), as is a 'where' that names
 * no bucket (FLOWTAB_GM_UNKNOWN_BUCKET).  Counters of the buckets already there carry over.
 * @return as flowtab_group_mod().
 */
int flowtab_group_insert_buckets(struct flowtab *ft, const struct flowtab_group_spec *spec,
		uint32_t where, enum flowtab_gm_error *why, char **err);
/**
 * Remove bucket 'which' (an id, FLOWTAB_BUCKET_FIRST, _LAST or _ALL) from group 'group_id';
 * FIRST or LAST of a group without buckets removes nothing.  @return as flowtab_group_mod().
 */
int flowtab_group_remove_buckets(struct flowtab *ft, uint32_t group_id, uint32_t which,
		enum flowtab_gm_error *why, char **err);
/**
 * Parse ovs-ofctl group text into 'spec'; the bucket action texts point into '*buf'
 * (malloc'd, free it after use).  'ports' resolves watch_port names.  @return 0 or -EINVAL
 * with '*err'.
 */
int flowtab_group_parse(const char *text, const struct flowtab_port_ops *ports,
		struct flowtab_group_spec *spec, char **buf, char **err);

/** One bucket as flowtab_dump_groups() shows it. */
struct flowtab_bucket_info {
	uint32_t bucket_id;
	uint16_t weight;
	uint32_t watch_port;
	uint32_t watch_group;
	uint64_t packets, bytes;
	unsigned n_actions;
	const struct flowtab_action_info *actions;
};

struct flowtab_group_info {
	uint32_t group_id;
	uint8_t type;
	uint32_t ref_count;         /**< rules whose actions name the group */
	uint64_t packets, bytes;
	uint64_t duration_ms;
	unsigned n_buckets;
	const struct flowtab_bucket_info *buckets;
};

/**
 * Call 'cb' for group 'group_id' (FLOWTAB_GROUP_ALL: each, by id); 'info' valid during the
 * call.  @return the number of groups reported.
 */
unsigned flowtab_dump_groups(struct flowtab *ft, uint32_t group_id,
		void (*cb)(void *aux, const struct flowtab_group_info *info), void *aux);
/** ovs-ofctl dump-groups text (one " group_id=..." line each), malloc'd; NULL: no memory. */
char *flowtab_dump_groups_text(struct flowtab *ft, uint32_t group_id, bool stats);

/**
 * Port 'ofport' is up ('live' true) or down or gone (false); ports are down until told.
 * Any thread; PMDs see it on their next packet.
 */
void flowtab_set_port_live(struct flowtab *ft, uint32_t ofport, bool live);
/** The 'n' ports in 'ports' are live, every other is not (main thread). */
void flowtab_set_live_ports(struct flowtab *ft, const uint32_t *ports, unsigned n);

struct flowtab_band_spec {
	uint32_t rate;              /**< kbps or pktps, as the meter's flags say */
	uint32_t burst;             /**< kilobits or packets; 0 with FLOWTAB_METER_BURST unset */
};

struct flowtab_meter_spec {
	uint32_t meter_id;
	uint16_t flags;
	unsigned n_bands;
	struct flowtab_band_spec bands[FLOWTAB_METER_MAX_BANDS];
};

/** Add or modify a meter; as flowtab_group_mod(). */
int flowtab_meter_mod(struct flowtab *ft, enum flowtab_gm_command cmd,
		const struct flowtab_meter_spec *spec, enum flowtab_gm_error *why, char **err);
/** Delete meter 'meter_id' (FLOWTAB_METER_ALL: every meter); unknown ids are no error. */
int flowtab_meter_del(struct flowtab *ft, uint32_t meter_id);
/** Parse ovs-ofctl meter text ("meter=1,kbps,bands=type=drop,rate=10").  0 or -EINVAL. */
int flowtab_meter_parse(const char *text, struct flowtab_meter_spec *spec, char **err);

struct flowtab_band_info {
	uint32_t rate;
	uint32_t burst;
	uint64_t packets, bytes;    /**< dropped by this band */
};

struct flowtab_meter_info {
	uint32_t meter_id;
	uint16_t flags;
	uint32_t flow_count;        /**< rules that use the meter */
	uint64_t packets, bytes;    /**< that entered the meter */
	uint64_t duration_ms;
	unsigned n_bands;
	const struct flowtab_band_info *bands;
};

/** As flowtab_dump_groups(), for meters (FLOWTAB_METER_ALL: each). */
unsigned flowtab_dump_meters(struct flowtab *ft, uint32_t meter_id,
		void (*cb)(void *aux, const struct flowtab_meter_info *info), void *aux);
/** ovs-ofctl dump-meters ('stats' false) or meter-stats text, malloc'd. */
char *flowtab_dump_meters_text(struct flowtab *ft, uint32_t meter_id, bool stats);

#endif /* VIREO_FLOWTAB_GM_H */
