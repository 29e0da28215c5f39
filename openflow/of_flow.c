/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow table messages: flow_mod (1.0, 1.3, NXT_FLOW_MOD) applied through flowtab's text API,
 * and the flow and aggregate statistics (1.0, 1.3, NXST) read with flowtab_dump_rules().
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtab_gm.h"
#include "of_private.h"
#include "of_stats.h"

#define OF_NO_BUFFER 0xffffffffu

/*
 * The filter part of 'fm' (table, priority, cookie, out_port, out_group, match) as flowtab
 * text.
 * @return 0, or -EINVAL with '*err' when flowtab refuses the match.
 */
static int
filter_text(struct of_text *t, const struct of_fm *fm, bool with_priority, char **err)
{
	char *match;
	int rc;

	if (fm->table >= 0)
		of_text_item(t, "table=%d", fm->table);
	if (with_priority)
		of_text_item(t, "priority=%u", fm->priority);
	if (fm->cookie_mask)
		of_text_item(t, "cookie=0x%" PRIx64 "/0x%" PRIx64, fm->cookie & fm->cookie_mask,
				fm->cookie_mask);
	if (fm->out_port != FLOWTAB_PORT_NONE) {
		if (fm->out_port == OFPP_LOCAL)
			of_text_item(t, "out_port=LOCAL");
		else
			of_text_item(t, "out_port=%u", fm->out_port);
	}
	if (fm->out_group != OF13_ANY)
		of_text_item(t, "out_group=%u", fm->out_group);
	rc = flowtab_match_text(&fm->m, &match, err);
	if (rc)
		return rc;
	if (*match)
		of_text_item(t, "%s", match);
	free(match);
	return 0;
}

int
of_fm_filter_text(struct of_text *t, const struct of_fm *fm, bool strict, char **err)
{
	return filter_text(t, fm, strict, err);
}

int
of_fm_mod_text(struct of_text *t, struct of_fm *fm, char **err)
{
	int rc;

	/* Ignored by modify (OpenFlow 1.3 6.4). */
	fm->out_port = FLOWTAB_PORT_NONE;
	fm->out_group = OF13_ANY;
	rc = filter_text(t, fm, true, err);
	of_text_item(t, "actions=%s", fm->actions.len ? fm->actions.s : "drop");
	return rc;
}

void
of_fm_rule_in(struct flowtab_rule_in *in, struct of_fm *fm)
{
	if (fm->table < 0)
		fm->table = 0;
	*in = (struct flowtab_rule_in){
		.table_id = (uint8_t)fm->table,
		.priority = fm->priority,
		.idle_timeout = fm->idle_timeout,
		.hard_timeout = fm->hard_timeout,
		.send_flow_rem = (fm->flags & OFPFF_SEND_FLOW_REM) != 0,
		.cookie = fm->cookie,
		.match = &fm->m,
		.actions = fm->actions.len ? fm->actions.s : NULL,     /* drop */
	};
}

/* What flowtab's message about a refused rule means in OpenFlow's terms. */
enum of_err
of_flowtab_error(int rc, const char *err)
{
	if (rc == -ENOMEM || !err)
		return OFE_FMFC_UNKNOWN;
	if (strstr(err, "goto_table"))
		return OFE_BIC_BAD_TABLE_ID;
	if (strstr(err, "does not exist"))
		return strstr(err, "meter") ? OFE_MMFC_INVALID_METER : OFE_BAC_BAD_OUT_GROUP;
	if (strstr(err, "field 'actions'"))
		return OFE_BAC_BAD_ARGUMENT;
	if (strstr(err, "in the match"))
		return OFE_BMC_BAD_PREREQ;
	if (strstr(err, "contradicts"))
		return OFE_BMC_DUP_FIELD;
	return OFE_BMC_BAD_VALUE;
}

void
of_flow_flush(struct of_conn *c)
{
	struct flowtab_batch *b = c->adds;
	char *err = NULL;
	size_t i;

	if (!b)
		return;
	c->adds = NULL;
	if (flowtab_batch_commit(b, &err) == 0) {
		if (c->sw.flows_changed)
			c->sw.flows_changed(c->sw.aux);
	} else {
		for (i = 0; i + OF_ADD_QUOTE <= c->adds_quote.len; i += OF_ADD_QUOTE) {
			const uint8_t *q = c->adds_quote.data + i;
			size_t n = of_get16(q + 2);

			of_send_error(c, OFE_FMFC_UNKNOWN, q, n < OF_ADD_QUOTE ? n : OF_ADD_QUOTE);
		}
	}
	free(err);
	flowtab_batch_destroy(b);
	c->adds_quote.len = 0;
}

/*
 * An add joins the connection's batch (checked now, committed by of_flow_flush()): a
 * controller's burst of flow_mods updates the classifier once, not once per rule.
 */
static int
batch_add(struct of_conn *c, struct flowtab *ft, const struct flowtab_rule_in *in,
		const uint8_t *msg, size_t len, char **err)
{
	uint8_t *q;
	int rc;

	if (!c->adds) {
		c->adds = flowtab_batch_create(ft);
		if (!c->adds)
			return -ENOMEM;
	}
	rc = flowtab_batch_add_in(c->adds, in, err);
	if (rc)
		return rc;
	q = of_buf_put(&c->adds_quote, OF_ADD_QUOTE);
	memcpy(q, msg, len < OF_ADD_QUOTE ? len : OF_ADD_QUOTE);
	return 0;
}

/* A rule of the table a CHECK_OVERLAP add goes to, against the add's match. */
struct overlap {
	const struct flowtab_match_info *m;
	uint16_t priority;
	bool found;
};

/*
 * One field of two matches, 'n' bytes of value and of mask each: '*same' is cleared unless
 * both match it alike, '*meet' unless some value satisfies both.
 */
static void
cmp_field(const void *av_, const void *am_, const void *bv_, const void *bm_, size_t n,
		bool *same, bool *meet)
{
	const uint8_t *av = av_, *am = am_, *bv = bv_, *bm = bm_;
	size_t i;

	for (i = 0; i < n; i++) {
		if (am[i] != bm[i] || (av[i] & am[i]) != (bv[i] & bm[i]))
			*same = false;
		if ((av[i] ^ bv[i]) & am[i] & bm[i])
			*meet = false;
	}
}

#define CMP_FIELD(F) cmp_field(&a->F, &a->F##_mask, &b->F, &b->F##_mask, sizeof(a->F), \
		&same, &meet)

/*
 * Do 'a' and 'b' overlap as Open vSwitch's classifier_rule_overlaps() says (a packet could
 * match both) without being the same match (an add of the same match replaces the rule,
 * whatever the flag)?  Every field of struct flowtab_match_info must be compared here.
 */
static bool
matches_overlap(const struct flowtab_match_info *a, const struct flowtab_match_info *b)
{
	bool same = a->has_in_port == b->has_in_port &&
		(!a->has_in_port || a->in_port == b->in_port);
	bool meet = !(a->has_in_port && b->has_in_port && a->in_port != b->in_port);

	CMP_FIELD(dl_src);
	CMP_FIELD(dl_dst);
	CMP_FIELD(dl_type);
	CMP_FIELD(vlan_tci);
	CMP_FIELD(nw_proto);
	CMP_FIELD(nw_tos);
	CMP_FIELD(nw_ttl);
	CMP_FIELD(tp_src);
	CMP_FIELD(tp_dst);
	CMP_FIELD(tcp_flags);
	CMP_FIELD(nw_src);
	CMP_FIELD(nw_dst);
	CMP_FIELD(ipv6_src);
	CMP_FIELD(ipv6_dst);
	CMP_FIELD(tun_id);
	CMP_FIELD(tun_src);
	CMP_FIELD(tun_dst);
	CMP_FIELD(tun_gtpu_flags);
	CMP_FIELD(tun_gtpu_msgtype);
	CMP_FIELD(tun_flags);
	CMP_FIELD(tun_metadata);
	CMP_FIELD(tun_ipv6_src);
	CMP_FIELD(tun_ipv6_dst);
	return meet && !same;
}

static void
overlap_one(void *aux, const struct flowtab_rule_info *r)
{
	struct overlap *o = aux;

	if (r->priority == o->priority && matches_overlap(o->m, &r->match))
		o->found = true;
}

/*
 * An add with CHECK_OVERLAP: OFPFMFC_OVERLAP when a rule of its table and priority could
 * match a packet it matches.  The batched adds go in first, so that they are seen.
 */
static enum of_err
check_overlap(struct of_conn *c, struct flowtab *ft, const struct of_fm *fm)
{
	struct overlap o = { .m = &fm->m, .priority = fm->priority };
	char table[24], *err = NULL;
	int rc;

	of_flow_flush(c);
	snprintf(table, sizeof(table), "table=%d", fm->table < 0 ? 0 : fm->table);
	rc = flowtab_dump_rules(ft, table, overlap_one, &o, &err);
	free(err);
	if (rc)
		return OFE_FMFC_UNKNOWN;
	return o.found ? OFE_FMFC_OVERLAP : OF_OK;
}

/*
 * A modify with RESET_COUNTS (1.2 and later; 1.0's modifies never reset): the counters of
 * the rules it selected restart.
 */
static int
reset_counts(struct flowtab *ft, const struct of_fm *fm, char **err)
{
	struct of_text t = { 0 };
	bool strict = fm->command == OFPFC_MODIFY_STRICT;
	int rc;

	rc = filter_text(&t, fm, strict, err);
	if (!rc)
		rc = t.oom ? -ENOMEM : flowtab_reset_counts(ft, t.len ? t.s : "", strict, err);
	of_text_free(&t);
	return rc;
}

/* Apply a decoded flow_mod to the table; sends the error if it fails. */
static void
apply(struct of_conn *c, struct of_fm *fm, const uint8_t *msg, size_t len)
{
	struct flowtab *ft = c->sw.flowtab(c->sw.aux);
	struct flowtab_rule_in in;
	struct of_text t = { 0 };
	char *err = NULL;
	size_t n_deleted;
	enum of_err e;
	int rc = 0;

	if (fm->command != OFPFC_ADD)
		of_flow_flush(c);
	switch (fm->command) {
	case OFPFC_ADD:
		e = fm->flags & OFPFF_CHECK_OVERLAP ? check_overlap(c, ft, fm) : OF_OK;
		if (e != OF_OK) {
			of_send_error(c, e, msg, len);
			return;
		}
		of_fm_rule_in(&in, fm);
		rc = batch_add(c, ft, &in, msg, len, &err);
		break;
	case OFPFC_MODIFY:
	case OFPFC_MODIFY_STRICT:
		rc = of_fm_mod_text(&t, fm, &err);
		if (!rc && !t.oom)
			rc = flowtab_mod_flows(ft, t.s, fm->command == OFPFC_MODIFY_STRICT, &err);
		if (!rc && !t.oom && c->version >= OF13 && (fm->flags & OFPFF12_RESET_COUNTS))
			rc = reset_counts(ft, fm, &err);
		break;
	case OFPFC_DELETE:
	case OFPFC_DELETE_STRICT:
		if (fm->selects_none)
			break;
		rc = filter_text(&t, fm, fm->command == OFPFC_DELETE_STRICT, &err);
		if (!rc && !t.oom)
			rc = flowtab_del_flows(ft, t.len ? t.s : "", fm->command == OFPFC_DELETE_STRICT,
					&n_deleted, &err);
		break;
	default:
		of_send_error(c, OFE_FMFC_BAD_COMMAND, msg, len);
		of_text_free(&t);
		return;
	}
	if (t.oom && !rc)
		rc = -ENOMEM;
	if (rc)
		of_send_error(c, of_flowtab_error(rc, err), msg, len);
	else if (c->sw.flows_changed && fm->command != OFPFC_ADD)
		c->sw.flows_changed(c->sw.aux);
	if (!rc && fm->buffer_id != OF_NO_BUFFER && fm->command <= OFPFC_MODIFY_STRICT)
		of_send_error(c, OFE_BUFFER_UNKNOWN, msg, len);
	free(err);
	of_text_free(&t);
}

/*
 * out_port of a delete or a statistics request, in flowtab's numbering: a port, or a reserved
 * port a rule's actions may output to (IN_PORT, NORMAL, FLOOD, ALL, CONTROLLER, LOCAL).
 */
static void
set_out_port(struct of_fm *fm, uint32_t port, uint8_t version)
{
	uint32_t none = version == OF10 ? OFPP_NONE : OF13_ANY;

	if (port == none)
		return;
	if (version == OF13)
		port = port >= 0xfffffff8u ? port - 0xffff0000u : port;
	if ((port > 0 && port < OFPP_MAX) || (port >= OFPP_IN_PORT && port <= OFPP_LOCAL &&
					      port != OFPP_TABLE))
		fm->out_port = port;
	else
		fm->selects_none = true;   /* no rule outputs to TABLE or to a number no port has */
}

/* out_group of a delete or a statistics request (1.1+). */
static void
set_out_group(struct of_fm *fm, uint32_t group)
{
	if (group == OF13_ANY)
		return;
	if (group <= FLOWTAB_GROUP_MAX_ID)
		fm->out_group = group;
	else
		fm->selects_none = true;   /* OFPG_ALL and the like: no group action names them */
}

static enum of_err
decode10(struct of_conn *c, const uint8_t *msg, size_t len, struct of_fm *fm)
{
	uint16_t command = of_get16(msg + 56);
	enum of_err e;

	fm->command = (uint8_t)command;
	if (c->nx_table_id) {
		fm->table = command >> 8;
	} else if (command > 0xff) {
		return OFE_FMFC_BAD_COMMAND;
	}
	if (fm->table == 0xff)
		fm->table = fm->command == OFPFC_ADD ? 0 : -1;
	fm->cookie = of_get64(msg + 48);
	fm->idle_timeout = of_get16(msg + 58);
	fm->hard_timeout = of_get16(msg + 60);
	fm->priority = of_get16(msg + 62);
	fm->buffer_id = of_get32(msg + 64);
	set_out_port(fm, of_get16(msg + 68), OF10);
	fm->flags = of_get16(msg + 70);
	e = of_match10_decode(msg + 8, fm);
	if (!e && fm->command <= OFPFC_MODIFY_STRICT)
		e = of_actions10_decode(msg + 72, len - 72, &fm->actions);
	return e;
}

static enum of_err
decode13(uint8_t version, const uint8_t *msg, size_t len, struct of_fm *fm)
{
	size_t used;
	enum of_err e;

	fm->cookie = of_get64(msg + 8);
	fm->cookie_mask = of_get64(msg + 16);
	fm->table = msg[24];
	fm->command = msg[25];
	fm->idle_timeout = of_get16(msg + 26);
	fm->hard_timeout = of_get16(msg + 28);
	fm->priority = of_get16(msg + 30);
	fm->buffer_id = of_get32(msg + 32);
	set_out_port(fm, of_get32(msg + 36), OF13);
	if (fm->command >= OFPFC_DELETE)
		set_out_group(fm, of_get32(msg + 40));
	fm->flags = of_get16(msg + 44);
	if (fm->table == 0xff) {
		/* Every table (OFPTT_ALL) only for deletes, as in OpenFlow 1.2+ and OVS. */
		if (fm->command != OFPFC_DELETE && fm->command != OFPFC_DELETE_STRICT)
			return OFE_FMFC_BAD_TABLE_ID;
		fm->table = -1;
	}
	if (fm->command == OFPFC_ADD)
		fm->cookie_mask = 0;
	e = of_match13_decode(msg + 48, len - 48, fm, &used);
	if (!e && fm->command <= OFPFC_MODIFY_STRICT)
		e = of_instructions13_decode(version, msg + 48 + used, len - 48 - used, fm);
	return e;
}

/*
 * The flags of 'fm' in 'version', taken as Open vSwitch takes them: SEND_FLOW_REM and
 * CHECK_OVERLAP in every version; RESET_COUNTS, NO_PKT_COUNTS and NO_BYT_COUNTS from 1.3
 * (the last two are hints the switch may ignore: the counters are kept all the same); 1.0's
 * EMERG refused, there being no emergency table, with the error Open vSwitch gives.  Any
 * other bit is OFPFMFC_BAD_FLAGS.
 */
static enum of_err
check_flags(uint8_t version, const struct of_fm *fm)
{
	uint16_t known = OFPFF_SEND_FLOW_REM | OFPFF_CHECK_OVERLAP;

	if (version == OF10)
		known |= OFPFF10_EMERG;
	else
		known |= OFPFF12_RESET_COUNTS | OFPFF13_NO_PKT_COUNTS | OFPFF13_NO_BYT_COUNTS;
	if (fm->flags & ~known)
		return OFE_FMFC_BAD_FLAGS;
	if (version == OF10 && (fm->flags & OFPFF10_EMERG))
		return fm->idle_timeout || fm->hard_timeout ? OFE_FMFC_BAD_EMERG_TIMEOUT :
			OFE_FMFC_TABLE_FULL;
	return OF_OK;
}

enum of_err
of_flow_mod_decode(struct of_conn *c, const uint8_t *msg, size_t len, struct of_fm *fm)
{
	enum of_err e;

	if (len < (c->version == OF10 ? 72u : 56u))
		return OFE_BAD_LEN;
	e = c->version == OF10 ? decode10(c, msg, len, fm) : decode13(c->version, msg, len, fm);
	if (!e)
		e = check_flags(c->version, fm);
	if (!e && fm->command > OFPFC_DELETE_STRICT)
		e = OFE_FMFC_BAD_COMMAND;
	if (!e)
		e = of_fm_check_tlv(c, fm);
	return e;
}

void
of_handle_flow_mod(struct of_conn *c, const uint8_t *msg, size_t len)
{
	struct of_fm fm;
	enum of_err e;

	of_fm_init(&fm);
	e = of_flow_mod_decode(c, msg, len, &fm);
	if (e)
		of_send_error(c, e, msg, len);
	else
		apply(c, &fm, msg, len);
	of_fm_free(&fm);
}

/* NXT_FLOW_MOD: an NXM match and 1.0 (or Nicira) actions. */
void
of_handle_nx_flow_mod(struct of_conn *c, const uint8_t *msg, size_t len)
{
	uint16_t command, match_len;
	size_t mpad;
	struct of_fm fm;
	enum of_err e;

	if (len < 48) {
		of_send_error(c, OFE_BAD_LEN, msg, len);
		return;
	}
	match_len = of_get16(msg + 40);
	mpad = (match_len + 7u) & ~7u;
	if (mpad > len - 48) {
		of_send_error(c, OFE_BMC_BAD_LEN, msg, len);
		return;
	}
	of_fm_init(&fm);
	command = of_get16(msg + 24);
	fm.command = (uint8_t)command;
	if (c->nx_table_id)
		fm.table = command >> 8;
	fm.cookie = of_get64(msg + 16);
	fm.idle_timeout = of_get16(msg + 26);
	fm.hard_timeout = of_get16(msg + 28);
	fm.priority = of_get16(msg + 30);
	fm.buffer_id = of_get32(msg + 32);
	set_out_port(&fm, of_get16(msg + 36), OF10);
	fm.flags = of_get16(msg + 38);
	if (fm.table == 0xff)
		fm.table = fm.command == OFPFC_ADD ? 0 : -1;
	e = !c->nx_table_id && command > 0xff ? OFE_FMFC_BAD_COMMAND : OF_OK;
	if (!e)
		e = of_oxm_decode(msg + 48, match_len, &fm);
	if (!e && fm.command == OFPFC_ADD && fm.cookie_mask) {
		/* A cookie in an NXM match selects rules; an add sets one instead. */
		e = OFE_BMC_BAD_FIELD;
	}
	if (!e && fm.command <= OFPFC_MODIFY_STRICT)
		e = of_actions10_decode(msg + 48 + mpad, len - 48 - mpad, &fm.actions);
	if (!e && fm.command > OFPFC_DELETE_STRICT)
		e = OFE_FMFC_BAD_COMMAND;
	if (!e)
		e = check_flags(OF10, &fm);     /* NXT_FLOW_MOD's flags are 1.0's */
	if (!e)
		e = of_fm_check_tlv(c, &fm);
	if (e)
		of_send_error(c, e, msg, len);
	else
		apply(c, &fm, msg, len);
	of_fm_free(&fm);
}

/* --- flow and aggregate statistics --- */

enum dump_fmt { DUMP_OF10, DUMP_NX, DUMP_OF13, DUMP_OF15 };

struct dump {
	struct of_mp *mp;
	enum dump_fmt fmt;
	bool aggregate;
	uint64_t packets, bytes;
	uint32_t flows;
	struct of_buf entry;
};

static void
dump_one(void *aux, const struct flowtab_rule_info *r)
{
	struct dump *d = aux;
	struct of_buf *b = &d->entry;
	size_t start;
	uint8_t *p;

	d->packets += r->packets;
	d->bytes += r->bytes;
	d->flows++;
	if (d->aggregate)
		return;
	b->len = 0;
	if (d->fmt == DUMP_OF15) {
		of_flow_desc15_encode(b, r);
		of_mp_add(d->mp, b->data, b->len, b->oom);
		return;
	}
	p = of_buf_put(b, d->fmt == DUMP_OF10 ? 88 : 48);
	p[2] = r->table_id;
	of_set32(p + (d->fmt == DUMP_OF10 ? 44 : 4), (uint32_t)(r->duration_ms / 1000));
	of_set32(p + (d->fmt == DUMP_OF10 ? 48 : 8), (uint32_t)(r->duration_ms % 1000) * 1000000);
	of_set16(p + (d->fmt == DUMP_OF10 ? 52 : 12), r->priority);
	of_set16(p + (d->fmt == DUMP_OF10 ? 54 : 14), r->idle_timeout);
	of_set16(p + (d->fmt == DUMP_OF10 ? 56 : 16), r->hard_timeout);
	of_set64(p + (d->fmt == DUMP_OF10 ? 64 : 24), r->cookie);
	of_set64(p + (d->fmt == DUMP_OF10 ? 72 : 32), r->packets);
	of_set64(p + (d->fmt == DUMP_OF10 ? 80 : 40), r->bytes);
	switch (d->fmt) {
	case DUMP_OF10:
		b->len = 4;
		of_match10_encode(b, &r->match);
		b->len = 88;
		of_actions10_encode(b, r);
		break;
	case DUMP_NX:
		/* Seconds since the last packet plus one (0 would mean unknown). */
		of_set16(p + 20, (uint16_t)(r->idle_ms / 1000 + 1 > 0xffff ? 0xffff :
				r->idle_ms / 1000 + 1));
		start = b->len;
		of_oxm_encode(b, &r->match, true);
		if (!b->oom)
			of_set16(b->data + 18, (uint16_t)(b->len - start));
		of_buf_pad8(b, start);
		of_actions10_encode(b, r);
		break;
	case DUMP_OF13:
		if (r->send_flow_rem)
			of_set16(p + 18, OFPFF_SEND_FLOW_REM);
		start = b->len;
		p = of_buf_put(b, 4);
		of_set16(p, OFPMT_OXM);
		of_oxm_encode(b, &r->match, false);
		if (!b->oom)
			of_set16(b->data + start + 2, (uint16_t)(b->len - start));
		of_buf_pad8(b, start);
		of_instructions13_encode(OF13, b, r);
		break;
	case DUMP_OF15:
		break;      /* written above */
	}
	if (!b->oom)
		of_set16(b->data, (uint16_t)b->len);
	of_mp_add(d->mp, b->data, b->len, b->oom);
}

/* A flow or aggregate request decoded into 'fm'; replies or sends the error. */
static void
dump_reply(struct of_conn *c, struct of_mp *mp, struct of_fm *fm, enum dump_fmt fmt,
		bool aggregate)
{
	struct dump d = { .mp = mp, .fmt = fmt, .aggregate = aggregate };
	struct of_text t = { 0 };
	char *err = NULL;
	uint8_t body[24] = { 0 };
	int rc = 0;

	rc = filter_text(&t, fm, false, &err);
	of_mp_begin(mp);
	if (!rc && !fm->selects_none && !t.oom)
		rc = flowtab_dump_rules(c->sw.flowtab(c->sw.aux), t.len ? t.s : NULL, dump_one, &d,
				&err);
	if (rc || t.oom) {
		of_mp_abort(mp);
		of_send_error(c, of_flowtab_error(t.oom ? -ENOMEM : rc, err), mp->req, mp->req_len);
	} else {
		if (aggregate && fmt == DUMP_OF15) {
			d.entry.len = 0;
			of_stats15_put(&d.entry, NULL, d.packets, d.bytes, d.flows);
			of_mp_add(mp, d.entry.data, d.entry.len, d.entry.oom);
		} else if (aggregate) {
			of_set64(body, d.packets);
			of_set64(body + 8, d.bytes);
			of_set32(body + 16, d.flows);
			of_mp_add(mp, body, sizeof(body), false);
		}
		of_mp_end(mp);
	}
	free(err);
	of_text_free(&t);
	of_buf_free(&d.entry);
}

void
of_flow_stats10(struct of_conn *c, struct of_mp *mp, const uint8_t *body, size_t len,
		bool aggregate)
{
	struct of_fm fm;
	enum of_err e;

	if (len != 44) {
		of_send_error(c, OFE_BAD_LEN, mp->req, mp->req_len);
		return;
	}
	of_fm_init(&fm);
	e = of_match10_decode(body, &fm);
	fm.table = body[40] == 0xff ? -1 : body[40];
	set_out_port(&fm, of_get16(body + 42), OF10);
	if (e)
		of_send_error(c, e, mp->req, mp->req_len);
	else
		dump_reply(c, mp, &fm, DUMP_OF10, aggregate);
	of_fm_free(&fm);
}

void
of_flow_stats_nx(struct of_conn *c, struct of_mp *mp, const uint8_t *body, size_t len,
		bool aggregate)
{
	uint16_t match_len;
	struct of_fm fm;
	enum of_err e;

	if (len < 8) {
		of_send_error(c, OFE_BAD_LEN, mp->req, mp->req_len);
		return;
	}
	match_len = of_get16(body + 2);
	if (((match_len + 7u) & ~7u) > len - 8) {
		of_send_error(c, OFE_BMC_BAD_LEN, mp->req, mp->req_len);
		return;
	}
	of_fm_init(&fm);
	set_out_port(&fm, of_get16(body), OF10);
	fm.table = body[4] == 0xff ? -1 : body[4];
	e = of_oxm_decode(body + 8, match_len, &fm);
	if (e)
		of_send_error(c, e, mp->req, mp->req_len);
	else
		dump_reply(c, mp, &fm, DUMP_NX, aggregate);
	of_fm_free(&fm);
}

void
of_flow_stats13(struct of_conn *c, struct of_mp *mp, const uint8_t *body, size_t len,
		bool aggregate)
{
	struct of_fm fm;
	size_t used;
	enum of_err e;

	if (len < 40) {
		of_send_error(c, OFE_BAD_LEN, mp->req, mp->req_len);
		return;
	}
	of_fm_init(&fm);
	fm.table = body[0] == 0xff ? -1 : body[0];
	set_out_port(&fm, of_get32(body + 4), OF13);
	set_out_group(&fm, of_get32(body + 8));
	fm.cookie = of_get64(body + 16);
	fm.cookie_mask = of_get64(body + 24);
	e = of_match13_decode(body + 32, len - 32, &fm, &used);
	if (!e && 32 + used != len)
		e = OFE_BAD_LEN;
	if (e)
		of_send_error(c, e, mp->req, mp->req_len);
	else
		dump_reply(c, mp, &fm, c->version >= OF15 ? DUMP_OF15 : DUMP_OF13, aggregate);
	of_fm_free(&fm);
}
