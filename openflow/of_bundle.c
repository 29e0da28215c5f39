/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bundles: flow_mods collected on a connection and committed together (ovs-ofctl --bundle).
 * OpenFlow 1.4 and 1.5 have bundle_control and bundle_add messages; in 1.3 the same bodies
 * travel in ONF's experimenter messages (extension 230), as ovs-ofctl sends them.
 *
 * Each added flow_mod is decoded and handed to a flowtab batch when it arrives (parsed
 * there while ovs-ofctl still sends the rest); a flow_mod that does not decode or that
 * flowtab refuses gets its error then (quoting the flow_mod) and stays out of the bundle,
 * as in Open vSwitch, where ovs-ofctl then discards the bundle.  A commit is one
 * flowtab_batch_commit(): one snapshot, published once, so the PMDs see the table before
 * the bundle or after it, never part of it.
 *
 * A connection has at most one bundle open at a time (ovs-ofctl uses one); a second is
 * refused with OFPBFC_OUT_OF_BUNDLES, an open of the open one's id discards it
 * (OFPBFC_BAD_ID, as Open vSwitch).  flow_mods of every command may be bundled (add,
 * modify, delete, strict or not), in any mix: each applies at the commit to the table the
 * earlier ones left.  A modify whose actions do not suit a rule it selects at the commit
 * (goto_table back, a resubmit loop) fails the commit with OFPBFC_MSG_FAILED, the table
 * unchanged; so does a rule naming a group or meter deleted outside the bundle since it
 * came.  group_mods (1.3's and 1.5's add, modify, add-or-modify and delete) go into the
 * same batch: checked against the group table as the bundle's earlier group_mods leave it
 * (so its flow_mods may use the groups it adds), and published in the commit's snapshot
 * with the rules.  Other message types are refused with OFPBFC_MSG_UNSUP (port_mod and
 * 1.5's insert/remove bucket commands, which Open vSwitch also bundles, among them).
 * Nothing here outlives the connection.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "of_gm.h"
#include "of_private.h"

/* Bundle failure codes: 1.4's (type 17), or ONF's experimenter codes 2300 + code in 1.3. */
enum bfc {
	BFC_UNKNOWN = 0,
	BFC_EPERM = 1,
	BFC_BAD_ID = 2,
	BFC_BUNDLE_EXIST = 3,
	BFC_BUNDLE_CLOSED = 4,
	BFC_OUT_OF_BUNDLES = 5,
	BFC_BAD_TYPE = 6,
	BFC_BAD_FLAGS = 7,
	BFC_MSG_BAD_LEN = 8,
	BFC_MSG_BAD_XID = 9,
	BFC_MSG_UNSUP = 10,
	BFC_MSG_TOO_MANY = 12,
	BFC_MSG_FAILED = 13,
};
#define ONF_BFC_BASE 2300

/* Messages a bundle may hold: bounds what a peer can make vireo-dp keep. */
#define BUNDLE_MAX_MSGS (1u << 20)

struct of_bundle {
	uint32_t id;
	uint16_t flags;
	bool closed;
	size_t n;                   /* flow_mods added */
	struct flowtab_batch *batch;
};

/* Where the bundle body starts: after the experimenter header in ONF's 1.3 form. */
static size_t
body_off(bool onf)
{
	return onf ? 16 : OF_HDR;
}

static void
bundle_error(struct of_conn *c, bool onf, enum bfc code, const uint8_t *msg, size_t len)
{
	size_t n = len < 64 ? len : 64;
	uint8_t *p;

	if (!onf) {
		p = of_reply_start(c, OFPT_ERROR, of_get32(msg + 4), 12 + n);
		of_set16(p + 8, OF14_ET_BUNDLE_FAILED);
		of_set16(p + 10, code);
		if (!c->out.oom)
			memcpy(p + 12, msg, n);
		return;
	}
	p = of_reply_start(c, OFPT_ERROR, of_get32(msg + 4), 16 + n);
	of_set16(p + 8, OFPET_EXPERIMENTER);
	of_set16(p + 10, ONF_BFC_BASE + code);
	of_set32(p + 12, ONF_EXPERIMENTER_ID);
	if (!c->out.oom)
		memcpy(p + 16, msg, n);
}

static void
bundle_free(struct of_bundle *b)
{
	if (!b)
		return;
	flowtab_batch_destroy(b->batch);
	free(b);
}

void
of_bundle_discard(struct of_conn *c)
{
	bundle_free(c->bundle);
	c->bundle = NULL;
}

static void
control_reply(struct of_conn *c, bool onf, const uint8_t *msg, uint16_t type)
{
	size_t off = body_off(onf);
	uint8_t *p = of_reply_start(c, onf ? OFPT_VENDOR : OF14_BUNDLE_CONTROL,
			of_get32(msg + 4), off + 8);

	if (onf) {
		of_set32(p + 8, ONF_EXPERIMENTER_ID);
		of_set32(p + 12, ONF_ET_BUNDLE_CONTROL);
	}
	of_set32(p + off, of_get32(msg + off));
	of_set16(p + off + 4, type);
	of_set16(p + off + 6, of_get16(msg + off + 6));
}

static struct of_bundle *
bundle_open(struct of_conn *c, uint32_t id, uint16_t flags)
{
	struct of_bundle *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->batch = flowtab_batch_create(c->sw.flowtab(c->sw.aux));
	if (!b->batch) {
		free(b);
		return NULL;
	}
	b->id = id;
	b->flags = flags;
	c->bundle = b;
	return b;
}

/* Commit 'b': one flowtab update.  @return 0 or the bundle error. */
static enum bfc
commit(struct of_conn *c, struct of_bundle *b)
{
	char *err = NULL;

	if (!b->n)
		return 0;
	if (flowtab_batch_commit(b->batch, &err)) {
		free(err);
		return BFC_MSG_FAILED;      /* table unchanged */
	}
	if (c->sw.flows_changed)
		c->sw.flows_changed(c->sw.aux);
	return 0;
}

static void
handle_control(struct of_conn *c, bool onf, const uint8_t *msg, size_t len)
{
	size_t off = body_off(onf);
	struct of_bundle *b = c->bundle;
	uint32_t id;
	uint16_t type, flags;
	enum bfc e = 0;

	if (c->role == OF_ROLE_SLAVE) {
		of_send_error(c, OFE_IS_SLAVE, msg, len);
		return;
	}
	if (len < off + 8) {
		of_send_error(c, OFE_BAD_LEN, msg, len);
		return;
	}
	id = of_get32(msg + off);
	type = of_get16(msg + off + 4);
	flags = of_get16(msg + off + 6);
	if (b && b->id != id && type == OFPBCT_OPEN_REQUEST) {
		bundle_error(c, onf, BFC_OUT_OF_BUNDLES, msg, len);
		return;
	}
	if (b && b->id != id)
		b = NULL;
	switch (type) {
	case OFPBCT_OPEN_REQUEST:
		/* The open bundle's id again: the bundle is discarded and the answer is
		 * BAD_ID, as from Open vSwitch, where OpenFlow would keep it (BUNDLE_EXIST). */
		if (b) {
			of_bundle_discard(c);
			e = BFC_BAD_ID;
		} else if (flags & ~(OFPBF_ATOMIC | OFPBF_ORDERED))
			e = BFC_BAD_FLAGS;
		else if (!bundle_open(c, id, flags))
			e = BFC_UNKNOWN;
		break;
	case OFPBCT_CLOSE_REQUEST:
		if (!b)
			e = BFC_BAD_ID;
		else if (b->closed)
			e = BFC_BUNDLE_CLOSED;
		else if (b->flags != flags)
			e = BFC_BAD_FLAGS;
		else
			b->closed = true;
		if (e && b)
			of_bundle_discard(c);
		break;
	case OFPBCT_COMMIT_REQUEST:
		if (!b)
			e = BFC_BAD_ID;
		else if (b->flags != flags)
			e = BFC_BAD_FLAGS;
		else
			e = commit(c, b);
		if (b)
			of_bundle_discard(c);   /* whatever the outcome */
		break;
	case OFPBCT_DISCARD_REQUEST:
		if (!b)
			e = BFC_BAD_ID;
		else
			of_bundle_discard(c);
		break;
	default:
		e = BFC_BAD_TYPE;
		break;
	}
	if (e)
		bundle_error(c, onf, e, msg, len);
	else
		control_reply(c, onf, msg, type + 1);
}

/* Hand flow_mod 'fm' (from 'inner', 'ilen' bytes) to 'b''s batch; errors are sent. */
static void
bundle_keep(struct of_conn *c, struct of_bundle *b, struct of_fm *fm, const uint8_t *inner,
		size_t ilen)
{
	bool mod = fm->command == OFPFC_MODIFY || fm->command == OFPFC_MODIFY_STRICT;
	struct flowtab_rule_in in;
	struct of_text t = { 0 };
	char *err = NULL;
	int rc;

	if (fm->command == OFPFC_ADD) {
		of_fm_rule_in(&in, fm);
		rc = flowtab_batch_add_in(b->batch, &in, &err);
	} else if (mod) {
		rc = of_fm_mod_text(&t, fm, &err);
		if (!rc)
			rc = t.oom ? -ENOMEM : flowtab_batch_mod(b->batch, t.s,
					fm->command == OFPFC_MODIFY_STRICT, &err);
	} else {
		rc = of_fm_filter_text(&t, fm, fm->command == OFPFC_DELETE_STRICT, &err);
		if (!rc)
			rc = t.oom ? -ENOMEM : flowtab_batch_del(b->batch, t.len ? t.s : "",
					fm->command == OFPFC_DELETE_STRICT, &err);
	}
	if (rc)
		of_send_error(c, of_flowtab_error(rc, err), inner, ilen);
	else
		b->n++;
	free(err);
	of_text_free(&t);
}

/* A group_mod a bundle takes: not 1.5's bucket commands. */
static bool
bundled_group_mod(const struct of_conn *c, const uint8_t *inner, size_t ilen)
{
	uint16_t cmd;

	if (inner[1] != OF13_GROUP_MOD || c->version < OF13)
		return false;
	if (ilen < 10)
		return true;                /* of_group_mod_bundled() says it is too short */
	cmd = of_get16(inner + 8);
	return c->version < OF15 ||
		(cmd != OFPGC15_INSERT_BUCKET && cmd != OFPGC15_REMOVE_BUCKET);
}

/* The bundled message: a flow_mod or group_mod of this connection's version with the
 * outer xid. */
static void
handle_add(struct of_conn *c, bool onf, const uint8_t *msg, size_t len)
{
	size_t off = body_off(onf), ilen;
	struct of_bundle *b = c->bundle;
	const uint8_t *inner;
	uint16_t flags;
	struct of_fm fm;
	enum of_err e;
	uint32_t id;

	/* Before anything else: an add must not open a bundle for a secondary controller. */
	if (c->role == OF_ROLE_SLAVE) {
		of_send_error(c, OFE_IS_SLAVE, msg, len);
		return;
	}
	if (len < off + 8 + OF_HDR) {
		of_send_error(c, OFE_BAD_LEN, msg, len);
		return;
	}
	id = of_get32(msg + off);
	flags = of_get16(msg + off + 6);
	inner = msg + off + 8;
	ilen = of_get16(inner + 2);
	if (ilen < OF_HDR || ilen > len - off - 8 || inner[0] != c->version) {
		bundle_error(c, onf, BFC_MSG_BAD_LEN, msg, len);
		return;
	}
	if (of_get32(inner + 4) != of_get32(msg + 4)) {
		bundle_error(c, onf, BFC_MSG_BAD_XID, msg, len);
		return;
	}
	if (b && b->id != id) {
		bundle_error(c, onf, BFC_OUT_OF_BUNDLES, msg, len);
		return;
	}
	if (!b) {
		/* An add without an open: the bundle opens implicitly. */
		if (flags & ~(OFPBF_ATOMIC | OFPBF_ORDERED)) {
			bundle_error(c, onf, BFC_BAD_FLAGS, msg, len);
			return;
		}
		b = bundle_open(c, id, flags);
		if (!b) {
			bundle_error(c, onf, BFC_UNKNOWN, msg, len);
			return;
		}
	} else if (b->closed || b->flags != flags) {
		enum bfc code = b->closed ? BFC_BUNDLE_CLOSED : BFC_BAD_FLAGS;

		of_bundle_discard(c);
		bundle_error(c, onf, code, msg, len);
		return;
	}
	if (inner[1] != OFPT_FLOW_MOD && !bundled_group_mod(c, inner, ilen)) {
		bundle_error(c, onf, BFC_MSG_UNSUP, msg, len);
		return;
	}
	if (b->n >= BUNDLE_MAX_MSGS) {
		bundle_error(c, onf, BFC_MSG_TOO_MANY, msg, len);
		return;
	}
	if (inner[1] != OFPT_FLOW_MOD) {
		if (of_group_mod_bundled(c, b->batch, inner, ilen))
			b->n++;
		return;
	}
	of_fm_init(&fm);
	e = of_flow_mod_decode(c, inner, ilen, &fm);
	if (!e && fm.command > OFPFC_DELETE_STRICT)
		e = OFE_FMFC_BAD_COMMAND;
	if (!e && fm.buffer_id != OF_NO_BUFFER && fm.command <= OFPFC_MODIFY_STRICT)
		e = OFE_BUFFER_UNKNOWN;
	/*
	 * CHECK_OVERLAP and RESET_COUNTS are applied by the single flow_mod path
	 * (of_flow.c), not by a bundle's batch: refused here, never dropped unseen.
	 */
	if (!e && (fm.flags & (OFPFF_CHECK_OVERLAP | OFPFF12_RESET_COUNTS)))
		e = OFE_FMFC_BAD_FLAGS;
	if (e)
		of_send_error(c, e, inner, ilen);
	else if (fm.command <= OFPFC_MODIFY_STRICT || !fm.selects_none)
		bundle_keep(c, b, &fm, inner, ilen);
	of_fm_free(&fm);
}

void
of_handle_bundle(struct of_conn *c, const uint8_t *msg, size_t len)
{
	if (msg[1] == OF14_BUNDLE_CONTROL)
		handle_control(c, false, msg, len);
	else
		handle_add(c, false, msg, len);
}

void
of_handle_bundle_onf(struct of_conn *c, const uint8_t *msg, size_t len)
{
	uint32_t type = of_get32(msg + 12);

	if (type == ONF_ET_BUNDLE_CONTROL)
		handle_control(c, true, msg, len);
	else if (type == ONF_ET_BUNDLE_ADD_MESSAGE)
		handle_add(c, true, msg, len);
	else
		of_send_error(c, OFE_BAD_SUBTYPE, msg, len);
}
