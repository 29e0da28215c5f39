/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_FT_RULE_H
#define VIREO_FT_RULE_H

/*
 * Rules as flowtab stores them: a masked key, a priority and a compiled action list, plus the
 * text parser and printer (ovs-ofctl syntax) that convert between the two.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flowtab.h"
#include "ft_key.h"
#include "ft_pool.h"

#define FT_N_TABLES 255
#define FT_DEFAULT_PRIORITY 32768
#define FT_MAX_ACTIONS 64
/** Per-PMD counter slots in a rule; PMDs beyond this share slots atomically. */
#define FT_STAT_SLOTS 8

struct ft_match {
	struct ft_key key;    /**< already masked */
	struct ft_key mask;
};

enum ft_act_type {
	FT_ACT_OUTPUT,
	FT_ACT_NORMAL,
	FT_ACT_FLOOD,
	FT_ACT_ALL,
	FT_ACT_IN_PORT,
	FT_ACT_SET_DL_SRC,
	FT_ACT_SET_DL_DST,
	FT_ACT_SET_NW_SRC,
	FT_ACT_SET_NW_DST,
	FT_ACT_SET_NW_TOS,     /**< u8 = DSCP bits of the TOS byte (low 2 bits zero) */
	FT_ACT_SET_NW_TTL,
	FT_ACT_SET_TP_SRC,
	FT_ACT_SET_TP_DST,
	FT_ACT_SET_IPV6_SRC,
	FT_ACT_SET_IPV6_DST,
	FT_ACT_SET_VLAN_VID,
	FT_ACT_SET_VLAN_PCP,
	FT_ACT_SET_TUN_METADATA, /**< u8 = N of tun_metadataN (0, 1), u32 = value (network order) */
	FT_ACT_PUSH_VLAN,      /**< u16 = TPID */
	FT_ACT_STRIP_VLAN,
	FT_ACT_DEC_TTL,
	FT_ACT_RESUBMIT,       /**< u32 = in_port for the lookup or FLOWTAB_PORT_NONE, u8 = table */
	FT_ACT_GOTO_TABLE,     /**< u8 = table */
	FT_ACT_CONTROLLER,     /**< u16 = max_len: bytes of the packet sent with the packet_in */
	FT_ACT_GROUP,          /**< u32 = group id (flowtab_gm.h) */
	FT_ACT_METER,          /**< u32 = meter id; always the first action */
	FT_ACT_SET_TUN_ID,     /**< bytes[0..7] = tun_id, network order */
	FT_ACT_SET_TUN_SRC,    /**< u32 = the outer IPv4 source a tunnel port sends from */
	FT_ACT_SET_TUN_DST,    /**< u32 = the outer IPv4 destination (remote_ip=flow) */
	FT_ACT_SET_TUN_IPV6_SRC, /**< bytes = the outer IPv6 source (local_ip=flow) */
	FT_ACT_SET_TUN_IPV6_DST, /**< bytes = the outer IPv6 destination (remote_ip=flow) */
	FT_ACT_SET_TUN_FLAGS,  /**< u16 = tun_flags: 1 OAM (Geneve's O bit), 0 none */
	FT_ACT__N
};

/** Whether action type 't' changes the packet or its tunnel metadata (a copy is due first
 * for an output still pending). */
static inline bool
ft_act_modifies(uint8_t t)
{
	return (t >= FT_ACT_SET_DL_SRC && t <= FT_ACT_DEC_TTL) ||
		(t >= FT_ACT_SET_TUN_ID && t <= FT_ACT_SET_TUN_FLAGS);
}

/** 'flags' of an action: how it was written, so that printing gives it back. */
#define FT_ACTF_SET_FIELD 0x01

struct ft_action {
	uint8_t type;
	uint8_t flags;
	uint8_t u8;
	uint8_t pad;
	uint16_t u16;
	uint16_t pad2;
	uint32_t u32;          /**< port, or IPv4 address (network order) */
	uint8_t bytes[16];     /**< MAC or IPv6 address */
};

struct ft_actions {
	uint32_t n;
	uint32_t out_port;     /**< the port when the list is a single output, else NONE */
	bool modifies;         /**< some action rewrites the packet */
	struct ft_action a[];
};

/** Counters of one PMD slot (written by that PMD only, summed on read). */
struct ft_rule_stats {
	uint64_t packets;
	uint64_t bytes;
} __rte_aligned(16);

struct ft_rule {
	struct ft_match match;
	int32_t priority;
	uint8_t table_id;
	uint16_t idle_timeout;
	uint16_t hard_timeout;
	bool send_flow_rem;
	uint64_t cookie;
	uint64_t seq;                 /**< insertion order, for stable dumps */
	uint64_t created_ms;
	uint64_t used_ms;             /**< last time the counters moved (main thread) */
	uint64_t seen_packets;        /**< packets at the last timeout scan */
	struct ft_actions *acts;      /**< RCU: replaced by mod-flows, read by PMDs */
	uint32_t ident_hash;          /**< hash of (table, priority, match), main thread */
	uint32_t mask_hash;           /**< hash of (table, mask): its subtable, main thread */
	size_t pos;                   /**< index in the table's rule array, main thread */
	struct ft_pool *pool;         /**< where it came from and goes back to (its table's) */
	struct ft_rule_stats stats[FT_STAT_SLOTS];
};

/** A parsed rule before it is installed, or a match filter for del/mod/dump. */
struct ft_rule_spec {
	struct ft_match match;
	int32_t priority;
	bool has_priority;
	bool send_flow_rem;           /**< flowtab_set_removed()'s callback hears of its removal */
	int table_id;                 /**< -1: not given */
	uint16_t idle_timeout;
	uint16_t hard_timeout;
	uint64_t cookie;
	uint64_t cookie_mask;
	uint32_t out_port;            /**< del/dump filter, FLOWTAB_PORT_NONE when absent */
	uint32_t out_group;           /**< del/dump filter, FLOWTAB_GROUP_ANY when absent */
	struct ft_actions *acts;      /**< NULL when no actions= was given */
};

/** What the parser expects. */
enum ft_parse_mode {
	FT_PARSE_ADD,     /**< a full rule: actions required */
	FT_PARSE_MATCH,   /**< a filter: no actions allowed, cookie may have a mask */
	FT_PARSE_MOD,     /**< a filter plus actions */
};

/**
 * Parse 'text' into 'spec'.  On error returns -EINVAL and sets '*err' to "field 'F': why"
 * (malloc'd); 'spec' then owns nothing.
 */
int ft_rule_parse(const char *text, enum ft_parse_mode mode, const struct flowtab_port_ops *ports,
		struct ft_rule_spec *spec, char **err);
void ft_rule_spec_clear(struct ft_rule_spec *spec);
/**
 * 'in' (a rule given as structures, flowtab_batch_add_in()) into 'spec', checked as
 * ft_rule_parse() checks an add.  Returns as it does.
 */
int ft_rule_spec_from_in(const struct flowtab_rule_in *in, const struct flowtab_port_ops *ports,
		struct ft_rule_spec *spec, char **err);

/** Parse an action list ("output:1,drop"); returns a malloc'd list or NULL with '*err'. */
struct ft_actions *ft_actions_parse(const char *text, const struct flowtab_port_ops *ports,
		char **err);
struct ft_actions *ft_actions_dup(const struct ft_actions *a);
/**
 * Does 'a', as the actions of a rule of table 'table', loop on every packet it matches?
 * That is decidable exactly in one case: a resubmit to 'table' itself, in_port unchanged,
 * with only outputs before it.  The lookup then sees the key that found this rule in the
 * same snapshot, finds this rule again, and so on until the datapath's limits drop the
 * packet.  Every other loop (through other tables, after a rewrite) depends on the rules
 * and packets and is left to those limits.
 */
bool ft_actions_loop(const struct ft_actions *a, uint8_t table);
bool ft_actions_equal(const struct ft_actions *a, const struct ft_actions *b);

/** A growable string. */
struct ft_str {
	char *s;
	size_t len;
	size_t cap;
	bool oom;                     /**< an item did not fit: the text lacks it */
};
void ft_str_printf(struct ft_str *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Print 'm' and 'priority' in ovs-ofctl syntax (no trailing separator). */
void ft_match_print(struct ft_str *s, const struct ft_match *m, int32_t priority,
		const struct flowtab_port_ops *ports);
void ft_actions_print(struct ft_str *s, const struct ft_actions *a,
		const struct flowtab_port_ops *ports);
void ft_port_print(struct ft_str *s, uint32_t port, const struct flowtab_port_ops *ports);

/** Does 'key' (a full packet key) match 'm'? */
static inline bool
ft_match_key(const struct ft_match *m, const struct ft_key *key)
{
	uint64_t d = 0;
	unsigned i;

	for (i = 0; i < FT_KEY_WORDS; i++)
		d |= (key->w[i] & m->mask.w[i]) ^ m->key.w[i];
	return d == 0;
}

/** Is every packet matching 'narrow' also matched by 'wide'? (non-strict del/mod) */
bool ft_match_covers(const struct ft_match *wide, const struct ft_match *narrow);
bool ft_match_equal(const struct ft_match *a, const struct ft_match *b);

/** Cache-line aligned zeroed memory from the C heap (usable before EAL init); free(). */
static inline void *
ft_zalloc(size_t size)
{
	void *p = aligned_alloc(64, RTE_ALIGN_CEIL(size, 64));

	if (p)
		memset(p, 0, RTE_ALIGN_CEIL(size, 64));
	return p;
}

#endif /* VIREO_FT_RULE_H */
