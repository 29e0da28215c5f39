/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_OPENFLOW_H
#define VIREO_OPENFLOW_H

/*
 * openflow: the OpenFlow protocol of a bridge's management channel, over flowtab.
 *
 * What?
 * =====
 * One 'struct of_conn' is one OpenFlow connection as `ovs-ofctl CMD BRIDGE` opens it: bytes
 * the peer sent go in (of_conn_receive()), bytes to send come out (of_conn_output()).  The
 * library speaks OpenFlow 1.0 with the Nicira extensions ovs-ofctl uses by default (NXM
 * matches, NXT_FLOW_MOD, NXT_SET_FLOW_FORMAT, NXT_FLOW_MOD_TABLE_ID, NXST_FLOW and
 * NXST_AGGREGATE, the resubmit, dec_ttl and reg_load actions), OpenFlow 1.3 (OXM matches,
 * apply_actions, goto_table and meter instructions, group_mod and meter_mod (of_group.c),
 * multipart), 1.4 and 1.5 (what they write differently: of_v14.c, and 1.5's group_mod
 * with bucket ids and bucket commands: of_group15.c) and bundles of flow_mods (of_bundle.c:
 * 1.4's messages and ONF's 1.3 extension, committed as one flowtab batch).
 * It knows no sockets, ports, threads or configuration: the owner moves the bytes and
 * describes the switch through 'struct of_switch' callbacks, as flowtab learns port names
 * through its port ops.
 *
 * Design
 * ======
 * 1. One rule engine.  A flow_mod's match is decoded into the plain fields flowtab's dumps
 *    report (struct flowtab_match_info), its actions into the ovs-ofctl text `vireoctl
 *    add-flow` takes ("output:2"): an add goes to flowtab_batch_add_in(), which makes the
 *    checks of a rule's text (prerequisites, actions, goto_table, loops) and the same rule;
 *    the selection of a modify, delete or dump goes to flowtab_mod_flows(),
 *    flowtab_del_flows() or flowtab_dump_rules() as text that flowtab_match_text() writes
 *    from those fields.  A rule added one way reads the same the other way.  The text is
 *    built only from numbers the decoder has range-checked (never from bytes of the
 *    message), so a message cannot smuggle syntax into it.  The reverse way needs no text:
 *    flowtab_dump_rules() gives each rule as plain fields and actions, which of_match.c and
 *    of_action.c encode as OXM, NXM or an OpenFlow 1.0 match.
 * 2. Only what flowtab has.  Every match field maps to a flowtab field; every action to a
 *    flowtab action.  Anything else (metadata, MPLS, setting tunnel fields, queues,
 *    write_actions and clear_actions, CONTROLLER and TABLE outputs in a rule, partial
 *    register loads) is refused with the error OpenFlow names for it (OFPBMC_BAD_FIELD,
 *    OFPBAC_BAD_TYPE, OFPBIC_UNSUP_INST, ...), never silently dropped.  Where 1.0 cannot
 *    say what a rule does (push_vlan, goto_table), the dump says it as ovs-vswitchd does
 *    (set_vlan_vid pushes; goto_table becomes resubmit(,TABLE)).
 * 3. Untrusted input.  Every length is checked against the bytes that are there before it
 *    is used: the message length against the header and its type's fixed part, each TLV,
 *    action and instruction length against what is left, its alignment and its type's
 *    size.  A bad message gets an error carrying its first 64 bytes and changes nothing;
 *    the connection stays up.  Only what breaks the framing itself (a length under 8) or a
 *    failed version negotiation closes it.
 * 4. Bounded memory.  The input buffer holds at most one incomplete message plus one read;
 *    while more than 'out_limit' bytes of replies wait to be sent, no further request is
 *    processed (of_conn_want_input() is false), so a peer that does not read cannot make
 *    vireo-dp queue without bound.  One request's reply (a dump-flows of every rule) is
 *    built whole.
 *
 * Differences from ovs-vswitchd, all from flowtab's semantics: OFPFC_MODIFY that matches no
 * rule adds nothing (as `vireoctl mod-flows`); the cookie of modified rules is kept; there
 * are no buffers, so a flow_mod naming a buffer is applied and answered with
 * OFPBRC_BUFFER_UNKNOWN.
 *
 * Thread-safety
 * =============
 * None inside: a connection and the flowtab it changes belong to one thread (vireo-dp's
 * main thread), which calls every function here.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct flowtab;
struct flowtab_rule_info;
struct of_conn;

/** A port of the switch as OpenFlow shows it (features, port-desc, port stats). */
struct of_port_info {
	uint32_t ofport;            /**< FLOWTAB_OFPP_LOCAL: the bridge's own port */
	char name[16];
	uint8_t hw_addr[6];
	bool link_up;
	bool admin_down;
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
	uint64_t rx_dropped, tx_dropped, rx_errors, tx_errors;
	uint64_t duration_ms;       /**< since the port was added */
};

/**
 * The master election generation id of a switch, shared by all its connections (OpenFlow
 * 1.3's role requests): a master or slave request with an id older than the newest seen
 * is refused as stale.  Owned by the switch's owner, zeroed at start.
 */
struct of_election {
	bool defined;
	uint64_t generation_id;
};

/** A Geneve option (class, type, bytes of value) mapped to tun_metadata'index'. */
struct of_tlv_map {
	uint16_t opt_class;
	uint8_t opt_type;
	uint8_t len;
	uint16_t index;
};

/** Why the owner refused a TLV table change (the NXTTMFC_* error sent for it). */
enum of_tlv_result {
	OF_TLV_OK = 0,
	OF_TLV_BAD_FIELD_IDX,       /**< an index past the switch's last field */
	OF_TLV_BAD_OPT_LEN,         /**< a length the switch's fields cannot hold */
	OF_TLV_ALREADY_MAPPED,      /**< add: the index is mapped */
	OF_TLV_DUP_ENTRY,           /**< add: the option is mapped to another index */
	OF_TLV_TABLE_FULL,
	OF_TLV_IN_USE,              /**< delete or clear: a rule uses the field */
	OF_TLV_NO_MEMORY,
};

/** What the owner provides: the bridge's table and ports.  Called on the owner's thread. */
struct of_switch {
	uint64_t datapath_id;
	const char *name;           /**< bridge name, for OFPST_DESC */
	struct flowtab *(*flowtab)(void *aux);
	/** Rules were added or deleted (the owner republishes what depends on the count). */
	void (*flows_changed)(void *aux);
	/** Fill at most 'max' entries of 'out'; return how many ports there are. */
	unsigned (*ports)(void *aux, struct of_port_info *out, unsigned max);
	/**
	 * packet_out: send the 'len' bytes at 'data' through 'actions' (ovs-ofctl action text,
	 * output:TABLE already "resubmit(,0)") as if received on 'in_port' (FLOWTAB_PORT_NONE:
	 * from the controller).  NULL: packet_out is refused.  @return 0; -EINVAL with '*err'
	 * (malloc'd) for actions the switch cannot run; -ENOBUFS when the packet was dropped
	 * (counted by the owner; OpenFlow has no error for it).
	 */
	int (*packet_out)(void *aux, uint32_t in_port, const char *actions, const void *data,
			size_t len, char **err);
	/**
	 * SET_CONFIG's fragment handling, switch-wide as in Open vSwitch (GET_CONFIG on any
	 * connection reads it back): 'frags' is OF_FRAG_NORMAL or OF_FRAG_DROP (IP fragments
	 * dropped before the rules); the modes the switch does not have are refused before.
	 * NULL: only normal is taken.
	 */
	void (*set_frags)(void *aux, unsigned frags);
	/** The current fragment handling; NULL: normal. */
	unsigned (*get_frags)(void *aux);
	/** 'c' became master: the owner makes its other masters slaves (of_conn_set_role). */
	void (*became_master)(void *aux, struct of_conn *c);
	/** The switch's generation id (see struct of_election); NULL: ids are not checked. */
	struct of_election *election;
	/**
	 * NXT_TLV_TABLE_MOD: change the Geneve option table, all of 'maps' or none; 'cmd' 0
	 * adds them, 1 deletes their indexes, 2 clears the table ('n' is 0).  Lengths and
	 * indexes are already within OpenFlow's bounds (a multiple of 4 up to 124; below 64).
	 * NULL: the message is refused, as is NXT_TLV_TABLE_REQUEST without 'tlv_get'.
	 */
	enum of_tlv_result (*tlv_mod)(void *aux, unsigned cmd, const struct of_tlv_map *maps,
			unsigned n);
	/**
	 * The table: at most 'max' mappings into 'out' in index order, what the switch can hold
	 * in '*max_space' (bytes of option values) and '*max_fields'.  Returns how many there are.
	 */
	unsigned (*tlv_get)(void *aux, struct of_tlv_map *out, unsigned max, uint32_t *max_space,
			uint16_t *max_fields);
	void *aux;
};

/** Fragment handling (OFPC_FRAG_*, the low bits of SET_CONFIG's flags). */
enum {
	OF_FRAG_NORMAL = 0,
	OF_FRAG_DROP = 1,
};

/** Controller roles (OpenFlow 1.3's numbering). */
enum of_role {
	OF_ROLE_EQUAL = 1,
	OF_ROLE_MASTER = 2,
	OF_ROLE_SLAVE = 3,
};

/** Why a port_status is sent. */
enum of_port_reason {
	OF_PORT_ADD = 0,
	OF_PORT_DELETE = 1,
	OF_PORT_MODIFY = 2,
};

struct of_conn;

/**
 * A new connection over switch 'sw' (copied; 'sw->name' and 'aux' must outlive it).  Its
 * hello is already in the output.  @return NULL when out of memory.
 */
struct of_conn *of_conn_create(const struct of_switch *sw);
void of_conn_destroy(struct of_conn *c);

/**
 * Take 'len' bytes the peer sent (may be 0: resume after the output drained) and process
 * every complete message while of_conn_want_input() allows.
 * @return 0, or -EPROTO when the connection must be closed once the output is sent
 * (failed version negotiation, broken framing), or -ENOMEM.
 */
int of_conn_receive(struct of_conn *c, const void *data, size_t len);
/** Bytes waiting to be sent ('*len' of them). */
const void *of_conn_output(const struct of_conn *c, size_t *len);
/** 'n' bytes of the output were sent. */
void of_conn_output_done(struct of_conn *c, size_t n);
/** May the owner read more from the peer?  False while replies pile up unsent. */
bool of_conn_want_input(const struct of_conn *c);
/**
 * Has the peer a bundle open?  Its messages then take effect only at the commit, so the
 * owner may let them gather and read them in large batches rather than one by one.
 */
bool of_conn_bundle_open(const struct of_conn *c);
/** OpenFlow 1.3's version number, where table misses stopped going to the controller. */
#define OF_VERSION_1_3 0x04

/** The negotiated version (0x01, 0x04) or 0 before the peer's hello. */
uint8_t of_conn_version(const struct of_conn *c);

/** Bytes of unsent output above which requests wait (default 1 MiB). */
void of_conn_set_out_limit(struct of_conn *c, size_t bytes);

/*
 * Asynchronous messages.  A primary connection (a controller's: active, or accepted on a
 * controller's ptcp:/punix: listener) gets packet_ins of table misses up to its miss_send_len
 * (128 until SET_CONFIG changes it); a service connection (the management socket,
 * ovs-ofctl) only once SET_CONFIG gave it a miss_send_len, as in Open vSwitch.  Packet_ins
 * of CONTROLLER actions go to both.  A slave gets neither; port_status goes to everyone.
 * Nothing is sent before the versions are agreed.
 */

/** Mark 'c' as a controller's connection (see above). */
void of_conn_set_primary(struct of_conn *c, bool primary);
enum of_role of_conn_role(const struct of_conn *c);
void of_conn_set_role(struct of_conn *c, enum of_role role);

/**
 * The packet_in reason 'c' is sent for flowtab's 'reason' (FLOWTAB_REASON_*): a table-miss
 * rule's packet_in is a miss from OpenFlow 1.3, an action before (as in Open vSwitch).
 */
uint8_t of_conn_packet_in_reason(const struct of_conn *c, uint8_t reason);

/**
 * A packet_in of the 'len' bytes at 'data' (the whole packet: 'len' is its total length),
 * received on 'in_port'; 'reason' 0 table miss, 1 CONTROLLER action; at most 'max_len'
 * bytes go (0 with a miss: the connection's miss_send_len).
 * @return true when it was queued for 'c'.
 */
bool of_conn_packet_in(struct of_conn *c, const void *data, size_t len, uint32_t in_port,
		uint8_t reason, uint16_t max_len, uint8_t table_id, uint64_t cookie);

/** A port_status about 'port'. */
void of_conn_port_status(struct of_conn *c, enum of_port_reason reason,
		const struct of_port_info *port);

/** A flow_removed about rule 'info' ('reason': FLOWTAB_REMOVED_*); not to slaves. */
void of_conn_flow_removed(struct of_conn *c, const struct flowtab_rule_info *info,
		uint8_t reason);

/** An echo request (the owner's inactivity probe); any message from the peer answers it. */
void of_conn_send_echo(struct of_conn *c);

#endif /* VIREO_OPENFLOW_H */
