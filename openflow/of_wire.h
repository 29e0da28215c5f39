/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_OF_WIRE_H
#define VIREO_OF_WIRE_H

/*
 * OpenFlow 1.0 and 1.3 and the Nicira extensions: the numbers and sizes of the wire format,
 * and the byte-order helpers every decoder and encoder of openflow/ uses.  Messages are read
 * and written by offset (no packed structs), so that a short buffer is a length check and
 * never an unaligned or out-of-bounds access.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "flowtab.h"

#define OF10 0x01
#define OF13 0x04
#define OF14 0x05
#define OF15 0x06

#define OF_HDR 8
/* The longest message: the header's length field is 16 bits. */
#define OF_MAX_MSG 65535

/* Message types; where 1.0 and 1.3 differ, OF13_ names the 1.3 number. */
enum {
	OFPT_HELLO = 0,
	OFPT_ERROR = 1,
	OFPT_ECHO_REQUEST = 2,
	OFPT_ECHO_REPLY = 3,
	OFPT_VENDOR = 4,
	OFPT_FEATURES_REQUEST = 5,
	OFPT_FEATURES_REPLY = 6,
	OFPT_GET_CONFIG_REQUEST = 7,
	OFPT_GET_CONFIG_REPLY = 8,
	OFPT_SET_CONFIG = 9,
	OFPT_PACKET_IN = 10,
	OFPT_FLOW_REMOVED = 11,
	OFPT_PORT_STATUS = 12,
	OFPT_PACKET_OUT = 13,
	OFPT_FLOW_MOD = 14,
	OF10_STATS_REQUEST = 16,
	OF10_STATS_REPLY = 17,
	OF10_BARRIER_REQUEST = 18,
	OF10_BARRIER_REPLY = 19,
	OF13_MULTIPART_REQUEST = 18,
	OF13_MULTIPART_REPLY = 19,
	OF13_BARRIER_REQUEST = 20,
	OF13_BARRIER_REPLY = 21,
	OF13_ROLE_REQUEST = 24,
	OF13_ROLE_REPLY = 25,
	OF14_BUNDLE_CONTROL = 33,
	OF14_BUNDLE_ADD_MESSAGE = 34,
};

/* Bundles: OpenFlow 1.4's messages, and ONF's extension 230 carrying them in 1.3. */
enum {
	OFPBCT_OPEN_REQUEST = 0,
	OFPBCT_OPEN_REPLY = 1,
	OFPBCT_CLOSE_REQUEST = 2,
	OFPBCT_CLOSE_REPLY = 3,
	OFPBCT_COMMIT_REQUEST = 4,
	OFPBCT_COMMIT_REPLY = 5,
	OFPBCT_DISCARD_REQUEST = 6,
	OFPBCT_DISCARD_REPLY = 7,
};
#define OFPBF_ATOMIC 1
#define OFPBF_ORDERED 2
#define ONF_ET_BUNDLE_CONTROL 2300
#define ONF_ET_BUNDLE_ADD_MESSAGE 2301
#define OF14_ET_BUNDLE_FAILED 17
#define OFPET_EXPERIMENTER 0xffff
#define NXET_VENDOR 0xb0c2        /* Open vSwitch's 1.0 vendor errors */

#define OF_NO_BUFFER 0xffffffffu
#define OFPFF_SEND_FLOW_REM 1
#define OFPFF_CHECK_OVERLAP 2
#define OFPFF10_EMERG 4               /* 1.0 only */
#define OFPFF12_RESET_COUNTS 4        /* 1.2 and later */
#define OFPFF13_NO_PKT_COUNTS 8
#define OFPFF13_NO_BYT_COUNTS 16

/* Stats / multipart types. */
enum {
	OFPST_DESC = 0,
	OFPST_FLOW = 1,
	OFPST_AGGREGATE = 2,
	OFPST_TABLE = 3,
	OFPST_PORT = 4,
	OFPST_TABLE_FEATURES = 12,  /* OpenFlow 1.3 */
	OFPST_PORT_DESC = 13,  /* OpenFlow 1.3; also Open vSwitch's number in 1.0 */
	OFPST_VENDOR = 0xffff,
};
#define OFPSF_REPLY_MORE 1

/* Flow-mod commands. */
enum { OFPFC_ADD, OFPFC_MODIFY, OFPFC_MODIFY_STRICT, OFPFC_DELETE, OFPFC_DELETE_STRICT };

/* Reserved ports: OpenFlow 1.0 numbers, flowtab's; 1.3 has 0xffff0000 added. */
#define OFPP_MAX FLOWTAB_OFPP_MAX
#define OFPP_IN_PORT FLOWTAB_OFPP_IN_PORT
#define OFPP_TABLE FLOWTAB_OFPP_TABLE
#define OFPP_NORMAL FLOWTAB_OFPP_NORMAL
#define OFPP_FLOOD FLOWTAB_OFPP_FLOOD
#define OFPP_ALL FLOWTAB_OFPP_ALL
#define OFPP_CONTROLLER FLOWTAB_OFPP_CONTROLLER
#define OFPP_LOCAL FLOWTAB_OFPP_LOCAL
#define OFPP_NONE FLOWTAB_OFPP_NONE
#define OF13_PORT(p) ((p) >= OFPP_MAX ? (uint32_t)(p) + 0xffff0000u : (uint32_t)(p))
#define OF13_ANY 0xffffffffu

/* OpenFlow 1.0 match wildcards. */
#define OFPFW10_IN_PORT (1u << 0)
#define OFPFW10_DL_VLAN (1u << 1)
#define OFPFW10_DL_SRC (1u << 2)
#define OFPFW10_DL_DST (1u << 3)
#define OFPFW10_DL_TYPE (1u << 4)
#define OFPFW10_NW_PROTO (1u << 5)
#define OFPFW10_TP_SRC (1u << 6)
#define OFPFW10_TP_DST (1u << 7)
#define OFPFW10_NW_SRC_SHIFT 8
#define OFPFW10_NW_DST_SHIFT 14
#define OFPFW10_DL_VLAN_PCP (1u << 20)
#define OFPFW10_NW_TOS (1u << 21)
#define OFPFW10_ALL ((1u << 22) - 1)
#define OF10_MATCH_LEN 40
#define OF10_VLAN_NONE 0xffff

/* OpenFlow 1.0 action types. */
enum {
	OFPAT10_OUTPUT, OFPAT10_SET_VLAN_VID, OFPAT10_SET_VLAN_PCP, OFPAT10_STRIP_VLAN,
	OFPAT10_SET_DL_SRC, OFPAT10_SET_DL_DST, OFPAT10_SET_NW_SRC, OFPAT10_SET_NW_DST,
	OFPAT10_SET_NW_TOS, OFPAT10_SET_TP_SRC, OFPAT10_SET_TP_DST, OFPAT10_ENQUEUE,
};
/* OpenFlow 1.3 action types. */
enum {
	OFPAT13_OUTPUT = 0,
	OFPAT13_PUSH_VLAN = 17,
	OFPAT13_POP_VLAN = 18,
	OFPAT13_SET_NW_TTL = 23,
	OFPAT13_DEC_NW_TTL = 24,
	OFPAT13_SET_FIELD = 25,
	OFPAT15_METER = 29,         /* 1.5: the meter instruction became this action */
};
#define OFPAT_VENDOR 0xffff
/* OpenFlow 1.3 instruction types. */
enum {
	OFPIT_GOTO_TABLE = 1,
	OFPIT_WRITE_METADATA = 2,
	OFPIT_WRITE_ACTIONS = 3,
	OFPIT_APPLY_ACTIONS = 4,
	OFPIT_CLEAR_ACTIONS = 5,
	OFPIT_METER = 6,
};
#define OFPMT_OXM 1

/* Nicira extensions. */
#define NX_VENDOR_ID 0x00002320u
enum {
	NXT_ROLE_REQUEST = 10,
	NXT_ROLE_REPLY = 11,
	NXT_SET_FLOW_FORMAT = 12,
	NXT_FLOW_MOD = 13,
	NXT_FLOW_MOD_TABLE_ID = 15,
	NXT_SET_PACKET_IN_FORMAT = 16,
};
enum { NXFF_OPENFLOW10 = 0, NXFF_NXM = 2 };
enum { NXST_FLOW = 0, NXST_AGGREGATE = 1 };
enum {
	NXAST_RESUBMIT = 1,
	NXAST_SET_TUNNEL = 2,
	NXAST_REG_LOAD = 7,
	NXAST_SET_TUNNEL64 = 9,
	NXAST_RESUBMIT_TABLE = 14,
	NXAST_DEC_TTL = 18,
	NXAST_REG_LOAD2 = 33,
};

/* OXM / NXM classes and fields: a 32-bit header class:16 field:7 hasmask:1 length:8. */
#define OXM_CLASS_NXM0 0x0000
#define OXM_CLASS_NXM1 0x0001
#define NXM_TUN_FLAGS 104          /* NXM_NX_TUN_FLAGS: bit 0 OAM */
#define OXM_CLASS_BASIC 0x8000
#define OXM_CLASS_EXPERIMENTER 0xffff
#define ONF_EXPERIMENTER_ID 0x4f4e4600u
#define NX_EXPERIMENTER_ID NX_VENDOR_ID
#define OXM_HEADER(cls, field, hasmask, len) \
	((uint32_t)(cls) << 16 | (uint32_t)(field) << 9 | (uint32_t)(hasmask) << 8 | (len))

/* Port features / state / config bits used in replies. */
#define OFPPC_PORT_DOWN 1
#define OFPPS_LINK_DOWN 1
#define OFPPF_10GB_FD (1u << 6)
#define OFPPF10_COPPER (1u << 7)
#define OFPPF13_COPPER (1u << 11)

/* Switch capabilities: flow, table and port statistics. */
#define OFPC_STATS (1u | 2u | 4u)
#define OFPC_FRAG_MASK 3u             /* SET_CONFIG: fragment handling */

static inline uint16_t
of_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
of_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t
of_get64(const uint8_t *p)
{
	return (uint64_t)of_get32(p) << 32 | of_get32(p + 4);
}

static inline void
of_set16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
of_set32(uint8_t *p, uint32_t v)
{
	of_set16(p, (uint16_t)(v >> 16));
	of_set16(p + 2, (uint16_t)v);
}

static inline void
of_set64(uint8_t *p, uint64_t v)
{
	of_set32(p, (uint32_t)(v >> 32));
	of_set32(p + 4, (uint32_t)v);
}

#endif /* VIREO_OF_WIRE_H */
