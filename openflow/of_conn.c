/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An OpenFlow connection: framing, version negotiation, the messages that need no table
 * (echo, config, barrier, the Nicira switches) and error replies; flow_mod and statistics
 * go to of_flow.c and of_stats.c.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "of_gm.h"
#include "of_private.h"

/* Versions we speak, as a hello bitmap: 1.0, 1.3, 1.4 and 1.5. */
#define OF_VERSIONS ((1u << OF10) | (1u << OF13) | (1u << OF14) | (1u << OF15))
#define OFPHET_VERSIONBITMAP 1
#define OF_DEFAULT_OUT_LIMIT (1u << 20)
#define OF_ERROR_DATA 64

uint8_t *
of_reply_start(struct of_conn *c, uint8_t type, uint32_t xid, size_t len)
{
	uint8_t *p;

	/* A longer message would go out with its length wrapped, and the peer would read the
	 * rest of its bytes as messages of their own: fail the output instead. */
	if (len > OF_MAX_MSG)
		c->out.oom = true;
	p = of_buf_put(&c->out, len);

	p[0] = c->version ? c->version : OF13;
	p[1] = type;
	of_set16(p + 2, (uint16_t)len);
	of_set32(p + 4, xid);
	return p;
}

void
of_send_error(struct of_conn *c, enum of_err e, const uint8_t *msg, size_t len)
{
	size_t n = len < OF_ERROR_DATA ? len : OF_ERROR_DATA, hdr;
	uint16_t type, code;
	uint32_t exp;
	uint8_t *p;

	exp = of_error_code(e, c->version ? c->version : OF13, &type, &code);
	hdr = !exp ? 12 : c->version == OF10 ? 20 : 16;
	p = of_reply_start(c, OFPT_ERROR, len >= OF_HDR ? of_get32(msg + 4) : 0, hdr + n);
	if (c->out.oom)
		return;
	if (exp && hdr == 20) {
		of_set16(p + 8, NXET_VENDOR);
		of_set16(p + 10, 0);        /* NXVC_VENDOR_ERROR */
		of_set32(p + 12, exp);
		of_set16(p + 16, type);
		of_set16(p + 18, code);
	} else {
		of_set16(p + 8, type);
		of_set16(p + 10, code);
		if (exp)
			of_set32(p + 12, exp);
	}
	memcpy(p + hdr, msg, n);
}

struct of_conn *
of_conn_create(const struct of_switch *sw)
{
	struct of_conn *c = calloc(1, sizeof(*c));
	uint8_t *p;

	if (!c)
		return NULL;
	c->sw = *sw;
	c->miss_send_len = 128;
	c->primary = true;
	c->role = OF_ROLE_EQUAL;
	c->out_limit = OF_DEFAULT_OUT_LIMIT;
	/* Our hello: the highest version in the header, all of them in a bitmap element. */
	p = of_reply_start(c, OFPT_HELLO, 1, 16);
	of_set16(p + 8, OFPHET_VERSIONBITMAP);
	of_set16(p + 10, 8);
	of_set32(p + 12, OF_VERSIONS);
	if (c->out.oom) {
		of_conn_destroy(c);
		return NULL;
	}
	return c;
}

void
of_conn_destroy(struct of_conn *c)
{
	if (!c)
		return;
	of_bundle_discard(c);
	flowtab_batch_destroy(c->adds);     /* none: of_conn_receive() commits them */
	of_buf_free(&c->adds_quote);
	of_buf_free(&c->in);
	of_buf_free(&c->out);
	free(c);
}

uint8_t
of_conn_version(const struct of_conn *c)
{
	return c->version;
}

void
of_conn_set_out_limit(struct of_conn *c, size_t bytes)
{
	c->out_limit = bytes;
}

bool
of_conn_want_input(const struct of_conn *c)
{
	return !c->dead && c->out.len <= c->out_limit;
}

bool
of_conn_bundle_open(const struct of_conn *c)
{
	return c->bundle != NULL;
}

const void *
of_conn_output(const struct of_conn *c, size_t *len)
{
	*len = c->out.len;
	return c->out.data;
}

void
of_conn_output_done(struct of_conn *c, size_t n)
{
	of_buf_consume(&c->out, n);
}

/* The peer's hello: the highest version both sides have, or 0. */
static uint8_t
negotiate(const uint8_t *msg, size_t len)
{
	uint32_t peer = 0;
	bool has_bitmap = false;
	size_t off = OF_HDR;
	unsigned v;

	while (off + 4 <= len) {
		uint16_t type = of_get16(msg + off), elen = of_get16(msg + off + 2);

		if (elen < 4 || off + elen > len)
			break;
		if (type == OFPHET_VERSIONBITMAP && elen >= 8) {
			peer |= of_get32(msg + off + 4);
			has_bitmap = true;
		}
		off += (elen + 7u) & ~7u;
	}
	if (!has_bitmap) {
		v = msg[0] < OF15 ? msg[0] : OF15;
		return (OF_VERSIONS >> v) & 1 ? (uint8_t)v : 0;
	}
	for (v = 31; v > 0; v--)
		if ((peer & OF_VERSIONS) >> v & 1)
			return (uint8_t)v;
	return 0;
}

static void
handle_hello(struct of_conn *c, const uint8_t *msg, size_t len)
{
	uint8_t v = negotiate(msg, len);

	if (!v) {
		of_send_error(c, OFE_HELLO_INCOMPATIBLE, msg, len);
		c->dead = true;
		return;
	}
	c->version = v;
}

static void
handle_get_config(struct of_conn *c, const uint8_t *msg, size_t len)
{
	uint8_t *p;

	if (len != OF_HDR) {
		of_send_error(c, OFE_BAD_LEN, msg, len);
		return;
	}
	p = of_reply_start(c, OFPT_GET_CONFIG_REPLY, of_get32(msg + 4), 12);
	of_set16(p + 8, c->sw.get_frags ? c->sw.get_frags(c->sw.aux) : OF_FRAG_NORMAL);
	of_set16(p + 10, c->miss_send_len);
}

/*
 * SET_CONFIG's flags: the fragment handling (switch-wide, as Open vSwitch keeps it) and
 * nothing else.  Open vSwitch takes 1.0's INVALID_TTL_TO_CONTROLLER, which vireo-dp has no
 * packet_in for, and only logs a mode it lacks; both are refused here with the error it
 * gives for flags it does not know, so that the controller sees it.
 */
static enum of_err
config_flags_check(const struct of_conn *c, uint16_t flags)
{
	uint16_t frags = flags & OFPC_FRAG_MASK;

	if (flags & ~OFPC_FRAG_MASK)
		return OFE_SCFC_BAD_FLAGS;
	if (frags == OF_FRAG_NORMAL || (frags == OF_FRAG_DROP && c->sw.set_frags))
		return OF_OK;
	return OFE_SCFC_BAD_FLAGS;      /* reassemble, nx-match */
}

static void
handle_set_config(struct of_conn *c, const uint8_t *msg, size_t len)
{
	uint16_t flags;
	enum of_err e;

	if (len != 12) {
		of_send_error(c, OFE_BAD_LEN, msg, len);
		return;
	}
	flags = of_get16(msg + 8);
	e = config_flags_check(c, flags);
	if (e != OF_OK) {
		of_send_error(c, e, msg, len);
		return;
	}
	/* A slave controller may not change the switch, only what it is sent. */
	if (c->sw.set_frags && !(c->primary && c->role == OF_ROLE_SLAVE))
		c->sw.set_frags(c->sw.aux, flags & OFPC_FRAG_MASK);
	c->miss_send_len = of_get16(msg + 10);
}

/* Nicira extension messages (OFPT_VENDOR / OFPT_EXPERIMENTER, vendor 0x2320). */
static void
handle_vendor(struct of_conn *c, const uint8_t *msg, size_t len)
{
	uint32_t subtype, v;

	if (len < 16) {
		of_send_error(c, OFE_BAD_LEN, msg, len);
		return;
	}
	if (of_get32(msg + 8) != NX_VENDOR_ID || of_get32(msg + 12) != NXT_FLOW_MOD)
		of_flow_flush(c);
	if (of_get32(msg + 8) == ONF_EXPERIMENTER_ID && c->version == OF13) {
		of_handle_bundle_onf(c, msg, len);
		return;
	}
	if (of_get32(msg + 8) != NX_VENDOR_ID) {
		of_send_error(c, OFE_BAD_VENDOR, msg, len);
		return;
	}
	subtype = of_get32(msg + 12);
	switch (subtype) {
	case NXT_SET_FLOW_FORMAT:
	case NXT_SET_PACKET_IN_FORMAT:
		if (len != 20) {
			of_send_error(c, OFE_BAD_LEN, msg, len);
			return;
		}
		v = of_get32(msg + 16);
		/* Packet_ins are sent in the standard format only (NXPIF_STANDARD, 0). */
		if ((subtype == NXT_SET_FLOW_FORMAT && v != NXFF_OPENFLOW10 && v != NXFF_NXM) ||
		    (subtype == NXT_SET_PACKET_IN_FORMAT && v != 0)) {
			of_send_error(c, OFE_EPERM, msg, len);
			return;
		}
		if (subtype == NXT_SET_FLOW_FORMAT)
			c->flow_format = v;
		return;
	case NXT_FLOW_MOD_TABLE_ID:
		if (len != 24) {
			of_send_error(c, OFE_BAD_LEN, msg, len);
			return;
		}
		c->nx_table_id = msg[16] != 0;
		return;
	case NXT_FLOW_MOD:
		if (c->role == OF_ROLE_SLAVE)
			of_send_error(c, OFE_IS_SLAVE, msg, len);
		else
			of_handle_nx_flow_mod(c, msg, len);
		return;
	case NXT_ROLE_REQUEST:
		of_handle_role_nx(c, msg, len);
		return;
	default:
		if (of_handle_tlv(c, subtype, msg, len))
			return;
		of_send_error(c, OFE_BAD_SUBTYPE, msg, len);
		return;
	}
}

static void
handle_barrier(struct of_conn *c, const uint8_t *msg, size_t len)
{
	if (len != OF_HDR) {
		of_send_error(c, OFE_BAD_LEN, msg, len);
		return;
	}
	of_reply_start(c, c->version == OF10 ? OF10_BARRIER_REPLY : OF13_BARRIER_REPLY,
			of_get32(msg + 4), OF_HDR);
}

static void
handle_message(struct of_conn *c, const uint8_t *msg, size_t len)
{
	uint8_t type = msg[1];
	uint8_t *p;

	if (!c->version) {
		if (type != OFPT_HELLO) {
			/* OpenFlow: nothing but a hello before the versions are agreed. */
			of_send_error(c, OFE_HELLO_INCOMPATIBLE, msg, len);
			c->dead = true;
			return;
		}
		handle_hello(c, msg, len);
		return;
	}
	if (msg[0] != c->version && type != OFPT_HELLO && type != OFPT_ERROR) {
		of_send_error(c, OFE_BAD_VERSION, msg, len);
		return;
	}
	/* Batched adds go in before anything that could see the table (of_flow_flush()):
	 * flow_mods and packet_outs decide for themselves, vendor messages in handle_vendor. */
	if (type != OFPT_FLOW_MOD && type != OFPT_PACKET_OUT && type != OFPT_VENDOR)
		of_flow_flush(c);
	switch (type) {
	case OFPT_HELLO:
	case OFPT_ERROR:
	case OFPT_ECHO_REPLY:
		return;
	case OFPT_ECHO_REQUEST:
		p = of_reply_start(c, OFPT_ECHO_REPLY, of_get32(msg + 4), len);
		if (!c->out.oom)
			memcpy(p + OF_HDR, msg + OF_HDR, len - OF_HDR);
		return;
	case OFPT_VENDOR:
		handle_vendor(c, msg, len);
		return;
	case OFPT_FEATURES_REQUEST:
		of_handle_features(c, msg, len);
		return;
	case OFPT_GET_CONFIG_REQUEST:
		handle_get_config(c, msg, len);
		return;
	case OFPT_SET_CONFIG:
		handle_set_config(c, msg, len);
		return;
	case OFPT_FLOW_MOD:
		if (c->role == OF_ROLE_SLAVE)
			of_send_error(c, OFE_IS_SLAVE, msg, len);
		else
			of_handle_flow_mod(c, msg, len);
		return;
	case OFPT_PACKET_OUT:
		of_handle_packet_out(c, msg, len);
		return;
	default:
		break;
	}
	if (c->version == OF10 && type == OF10_STATS_REQUEST)
		of_handle_stats(c, msg, len);
	else if (c->version >= OF13 && type == OF13_MULTIPART_REQUEST)
		of_handle_stats(c, msg, len);
	else if ((c->version == OF10 && type == OF10_BARRIER_REQUEST) ||
		 (c->version >= OF13 && type == OF13_BARRIER_REQUEST))
		handle_barrier(c, msg, len);
	else if (c->version >= OF13 && type == OF13_ROLE_REQUEST)
		of_handle_role13(c, msg, len);
	/* meter_mod is the same from 1.3 to 1.5, group_mod from 1.3 to 1.4 (of_group.c sends
	 * 1.5's, with bucket ids and properties, to of_group15.c). */
	else if (c->version >= OF13 && (type == OF13_METER_MOD || type == OF13_GROUP_MOD))
		of_handle_gm_mod(c, msg, len);
	else if (c->version >= OF14 && (type == OF14_BUNDLE_CONTROL ||
					type == OF14_BUNDLE_ADD_MESSAGE))
		of_handle_bundle(c, msg, len);
	else
		of_send_error(c, OFE_BAD_TYPE, msg, len);
}

int
of_conn_receive(struct of_conn *c, const void *data, size_t len)
{
	size_t pos = 0, mlen;

	if (len)
		of_buf_put_bytes(&c->in, data, len);
	if (c->in.oom)
		return -ENOMEM;
	while (of_conn_want_input(c) && c->in.len - pos >= OF_HDR) {
		const uint8_t *msg = c->in.data + pos;

		mlen = of_get16(msg + 2);
		if (mlen < OF_HDR) {
			/* No way to find the next message: report and close. */
			of_send_error(c, OFE_BAD_LEN, msg, OF_HDR);
			c->dead = true;
			break;
		}
		if (c->in.len - pos < mlen)
			break;
		handle_message(c, msg, mlen);
		pos += mlen;
	}
	of_flow_flush(c);
	of_buf_consume(&c->in, pos);
	if (c->out.oom)
		return -ENOMEM;
	return c->dead ? -EPROTO : 0;
}
