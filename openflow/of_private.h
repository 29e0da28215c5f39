/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_OF_PRIVATE_H
#define VIREO_OF_PRIVATE_H

/* The insides of openflow/: buffers, errors, the connection, the codec's internal calls. */

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "flowtab.h"
#include "of_wire.h"
#include "openflow.h"

/** A growable byte buffer.  On allocation failure 'oom' is set and writes are discarded. */
struct of_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	bool oom;
};

/** 'n' zeroed bytes appended to 'b' (never NULL: a scratch area after a failure). */
uint8_t *of_buf_put(struct of_buf *b, size_t n);
void of_buf_put_bytes(struct of_buf *b, const void *p, size_t n);
/** Append zeros until 'b->len - start' is a multiple of 8. */
void of_buf_pad8(struct of_buf *b, size_t start);
/** Drop the first 'n' bytes. */
void of_buf_consume(struct of_buf *b, size_t n);
void of_buf_free(struct of_buf *b);

/** A growable string for the rule text handed to flowtab. */
struct of_text {
	char *s;
	size_t len;
	size_t cap;
	bool oom;
};

void of_text_printf(struct of_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Append "," unless 't' is empty, then the formatted item. */
void of_text_item(struct of_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void of_text_free(struct of_text *t);

/**
 * The errors openflow/ replies with, independent of the version; of_error_code() gives the
 * (type, code) of the negotiated version (OpenFlow 1.0 borrows Open vSwitch's extension codes
 * where 1.0 has none, as ovs-vswitchd does, so that ovs-ofctl names them).
 */
enum of_err {
	OF_OK = 0,
	OFE_HELLO_INCOMPATIBLE,
	OFE_BAD_VERSION,
	OFE_BAD_TYPE,
	OFE_BAD_STAT,
	OFE_BAD_VENDOR,
	OFE_BAD_SUBTYPE,
	OFE_EPERM,
	OFE_BAD_LEN,
	OFE_BUFFER_UNKNOWN,
	OFE_BAD_TABLE_ID,
	OFE_BAD_PORT,
	OFE_BAC_BAD_TYPE,
	OFE_BAC_BAD_LEN,
	OFE_BAC_BAD_VENDOR,
	OFE_BAC_BAD_VENDOR_TYPE,
	OFE_BAC_BAD_OUT_PORT,
	OFE_BAC_BAD_ARGUMENT,
	OFE_BAC_TOO_MANY,
	OFE_BAC_BAD_SET_TYPE,
	OFE_BAC_BAD_SET_LEN,
	OFE_BAC_BAD_SET_ARGUMENT,
	OFE_BAC_BAD_OUT_GROUP,      /* a rule's group:N names no group */
	OFE_MMFC_INVALID_METER,     /* a rule's meter:N names no meter (as ovs-vswitchd) */
	OFE_BIC_UNKNOWN_INST,
	OFE_BIC_UNSUP_INST,
	OFE_BIC_BAD_TABLE_ID,
	OFE_BIC_BAD_LEN,
	OFE_BIC_DUP_INST,           /* ONF's experimenter error 2600 before 1.4, as Open vSwitch */
	OFE_BMC_BAD_TYPE,
	OFE_BMC_BAD_LEN,
	OFE_BMC_BAD_FIELD,
	OFE_BMC_BAD_VALUE,
	OFE_BMC_BAD_MASK,
	OFE_BMC_BAD_PREREQ,
	OFE_BMC_DUP_FIELD,
	OFE_FMFC_UNKNOWN,
	OFE_FMFC_TABLE_FULL,
	OFE_FMFC_BAD_TABLE_ID,
	OFE_FMFC_BAD_COMMAND,
	OFE_FMFC_OVERLAP,           /* CHECK_OVERLAP and a rule of the same priority overlaps */
	OFE_FMFC_BAD_EMERG_TIMEOUT, /* 1.0's EMERG with a timeout */
	OFE_FMFC_BAD_FLAGS,
	OFE_SCFC_BAD_FLAGS,         /* SET_CONFIG: a fragment mode or flag the switch lacks */
	OFE_IS_SLAVE,
	OFE_ROLE_STALE,
	OFE_ROLE_BAD_ROLE,
	OFE_FMFC_INVALID_TLV_FIELD, /* a rule names an unmapped tun_metadataN */
	OFE_TLV_BAD_COMMAND,        /* Open vSwitch's NXTTMFC_* (of_tlv.c) */
	OFE_TLV_BAD_OPT_LEN,
	OFE_TLV_BAD_FIELD_IDX,
	OFE_TLV_TABLE_FULL,
	OFE_TLV_ALREADY_MAPPED,
	OFE_TLV_DUP_ENTRY,
	OFE_TLV_INVALID_DEL,
	OFE__N
};

/**
 * The (type, code) of 'e' in 'version'.  Returns 0, or the vendor id of an extension error
 * (Open vSwitch's; ONF's for OFPBIC_DUP_INST before 1.4): 1.0 sends it as a vendor error (type NXET_VENDOR, code 0, then the id,
 * 'type' and 'code'), 1.2+ as an experimenter error ('type' 0xffff, 'code' the
 * experimenter's, then the id).
 */
uint32_t of_error_code(enum of_err e, uint8_t version, uint16_t *type, uint16_t *code);

struct of_conn {
	struct of_switch sw;
	uint8_t version;            /**< negotiated; 0 until the peer's hello */
	bool dead;                  /**< a fatal protocol error: close after the output */
	bool nx_table_id;           /**< NXT_FLOW_MOD_TABLE_ID: OF1.0 command carries a table */
	uint32_t flow_format;       /**< NXT_SET_FLOW_FORMAT */
	uint16_t miss_send_len;
	bool primary;               /**< a controller connection (of_conn_set_primary) */
	uint8_t role;               /**< enum of_role */
	uint32_t echo_xid;          /**< our next echo request's xid */
	struct of_buf in;
	struct of_buf out;
	size_t out_limit;
	struct of_bundle *bundle;   /**< the open bundle (of_bundle.c), or NULL */
	/*
	 * flow_mod adds of the input being handled, parsed and checked (a refused one had its
	 * error) but committed together by of_flow_flush() before any message that could see
	 * the table and at the end of of_conn_receive(); OF_ADD_QUOTE bytes of each message in
	 * 'adds_quote', for the errors if the commit fails.  of_flow.c's only.
	 */
	struct flowtab_batch *adds;
	struct of_buf adds_quote;
};

/** Bytes of a batched add's message kept to quote in an error. */
#define OF_ADD_QUOTE 64

/** Commit the adds batched on 'c' (struct of_conn): one classifier update for all of them. */
void of_flow_flush(struct of_conn *c);

/**
 * Start a message of 'len' bytes (header included) in 'c''s output; returns its start.  A
 * 'len' over OF_MAX_MSG cannot be framed: nothing is queued and the output fails as when
 * memory runs out ('c->out.oom'), which ends the connection.
 */
uint8_t *of_reply_start(struct of_conn *c, uint8_t type, uint32_t xid, size_t len);
/** Send an error about 'msg' ('len' bytes) to 'c': its first 64 bytes go with it. */
void of_send_error(struct of_conn *c, enum of_err e, const uint8_t *msg, size_t len);

/** A flow_mod or flow-stats request decoded into ovs-ofctl text for flowtab. */
struct of_fm {
	uint8_t command;
	int table;                  /**< -1: every table */
	uint16_t priority;
	uint16_t idle_timeout;
	uint16_t hard_timeout;
	uint16_t flags;
	uint32_t buffer_id;
	uint64_t cookie;
	uint64_t cookie_mask;
	uint32_t out_port;          /**< FLOWTAB_PORT_NONE: no filter */
	uint32_t out_group;         /**< OF13_ANY (OFPG_ANY): no filter */
	bool selects_none;          /**< a filter no rule can satisfy (out_port TABLE...) */
	struct flowtab_match_info m;    /**< all masks zero: every packet */
	struct of_text actions;
};

void of_fm_init(struct of_fm *fm);
void of_fm_free(struct of_fm *fm);

/* Decoders (of_match.c, of_action.c): OF_OK or the error to send. */
enum of_err of_match10_decode(const uint8_t *p, struct of_fm *fm);
/** An NXM or OXM field list of 'len' bytes (classes NXM_OF, NXM_NX, OXM basic and ONF's
 *  tcp_flags may mix, as ovs-ofctl sends them); an NXM cookie sets 'fm''s cookie filter. */
enum of_err of_oxm_decode(const uint8_t *p, size_t len, struct of_fm *fm);
/** OpenFlow 1.3 ofp_match (type, length, fields, padding) at 'p' with 'avail' bytes; sets
 *  '*used' to its padded length. */
enum of_err of_match13_decode(const uint8_t *p, size_t avail, struct of_fm *fm, size_t *used);
enum of_err of_actions10_decode(const uint8_t *p, size_t len, struct of_text *t);
enum of_err of_actions13_decode(uint8_t version, const uint8_t *p, size_t len, struct of_text *t);
/** A packet_out's action list (output:TABLE allowed) of negotiated 'version'. */
enum of_err of_packet_out_actions_decode(uint8_t version, const uint8_t *p, size_t len,
		struct of_text *t);
enum of_err of_instructions13_decode(uint8_t version, const uint8_t *p, size_t len,
		struct of_fm *fm);

/* Encoders. */
void of_match10_encode(struct of_buf *b, const struct flowtab_match_info *m);
/** NXM ('nxm' true: NXM_OF in_port and classes) or OXM fields; no padding. */
void of_oxm_encode(struct of_buf *b, const struct flowtab_match_info *m, bool nxm);
void of_actions10_encode(struct of_buf *b, const struct flowtab_rule_info *r);
void of_instructions13_encode(uint8_t version, struct of_buf *b, const struct flowtab_rule_info *r);
/** 'n' actions as a 1.3 action list (a group's bucket). */
void of_actions13_encode(struct of_buf *b, unsigned n, const struct flowtab_action_info *actions);

/** A port as 1.0's ofp_phy_port (48 bytes) or 1.3's ofp_port (64 bytes) at 'p'. */
void of_put_port10(uint8_t *p, const struct of_port_info *pi);
void of_put_port13(uint8_t *p, const struct of_port_info *pi);

/* OpenFlow 1.4 and 1.5 (of_v14.c). */
/** 1.4's ofp_port with its Ethernet property: of_port14_len() bytes at 'p'. */
size_t of_port14_len(void);
void of_put_port14(uint8_t *p, const struct of_port_info *pi);
/** 1.4's port statistics with the Ethernet property: of_port_stats14_len() bytes. */
size_t of_port_stats14_len(void);
void of_put_port_stats14(uint8_t *e, const struct of_port_info *pi);
/** 1.5's ofp_stats: a rule's duration and idle time ('r' not NULL), counters, and the
 *  flow count when 'flows' is not negative; padded. */
void of_stats15_put(struct of_buf *b, const struct flowtab_rule_info *r, uint64_t packets,
		uint64_t bytes, int64_t flows);
/** One 1.5 flow_desc entry (the flow statistics of 'r'). */
void of_flow_desc15_encode(struct of_buf *b, const struct flowtab_rule_info *r);
void of_flow_removed15(struct of_conn *c, const struct flowtab_rule_info *info,
		uint8_t reason);
/** A 1.5 packet_out's fixed part and match: where the actions start, and the in_port. */
enum of_err of_packet_out15_head(const uint8_t *msg, size_t len, size_t *fixed,
		uint32_t *in_port);

/* Bundles (of_bundle.c): 1.4+ bundle_control and bundle_add, and ONF's 1.3 extension. */
void of_handle_bundle(struct of_conn *c, const uint8_t *msg, size_t len);
void of_handle_bundle_onf(struct of_conn *c, const uint8_t *msg, size_t len);
/** Forget the connection's open bundle, if any (the connection closes). */
void of_bundle_discard(struct of_conn *c);
/** A flow_mod of the negotiated version decoded into 'fm' (length checked here). */
enum of_err of_flow_mod_decode(struct of_conn *c, const uint8_t *msg, size_t len,
		struct of_fm *fm);
/** An add decoded into 'fm' as the rule flowtab_batch_add_in() takes, in 'in'. */
void of_fm_rule_in(struct flowtab_rule_in *in, struct of_fm *fm);
/**
 * The filter of a delete or modify as flowtab_del_flows() takes it ("" for all), in 't'.
 * @return 0, or -EINVAL with '*err' (malloc'd) for a match flowtab refuses.
 */
int of_fm_filter_text(struct of_text *t, const struct of_fm *fm, bool strict, char **err);
/**
 * A modify decoded into 'fm' as flowtab_mod_flows() takes it, in 't': the strict filter
 * (out_port is ignored by a modify) and the actions.  Returns as of_fm_filter_text().
 */
int of_fm_mod_text(struct of_text *t, struct of_fm *fm, char **err);
/** The OpenFlow error for flowtab's refusal 'rc' with message 'err'. */
enum of_err of_flowtab_error(int rc, const char *err);

/* Open vSwitch's Geneve option table (of_tlv.c). */
/** NXT_TLV_TABLE_MOD or _REQUEST ('subtype'): handled, or false for another subtype. */
bool of_handle_tlv(struct of_conn *c, uint32_t subtype, const uint8_t *msg, size_t len);
/** A rule that names a tun_metadataN the owner's table does not map is refused (as OVS). */
enum of_err of_fm_check_tlv(struct of_conn *c, const struct of_fm *fm);

/* Message handlers (of_flow.c, of_stats.c, of_async.c). */
void of_handle_packet_out(struct of_conn *c, const uint8_t *msg, size_t len);
void of_handle_role13(struct of_conn *c, const uint8_t *msg, size_t len);
void of_handle_role_nx(struct of_conn *c, const uint8_t *msg, size_t len);
void of_handle_flow_mod(struct of_conn *c, const uint8_t *msg, size_t len);
void of_handle_nx_flow_mod(struct of_conn *c, const uint8_t *msg, size_t len);
void of_handle_features(struct of_conn *c, const uint8_t *msg, size_t len);
void of_handle_stats(struct of_conn *c, const uint8_t *msg, size_t len);

#endif /* VIREO_OF_PRIVATE_H */
