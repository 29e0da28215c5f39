/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenFlow 1.5's groups: a group_mod whose buckets carry ids, their action list and their
 * weight and watches as properties, with the bucket commands INSERT_BUCKET and
 * REMOVE_BUCKET (command_bucket_id first, last, an id, all), and the group description
 * written the same way.  Decoding and refusals follow Open vSwitch's (ofp-group.c and its
 * ofproto): the checks of a message are made against the type it carries, so buckets
 * ovs-ofctl inserts (it sends no type) may not watch, and a bucket inserted into a select
 * group without a weight weighs 0, on both switches.  Group properties (Netronome's
 * selection_method) are refused: flowtab's select hash is its own.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flowtab_gm.h"
#include "of_gm.h"

#define GROUP15_MOD_LEN 24           /* header, command, type, id, bucket array length, ... */
#define GROUP15_BUCKET_LEN 8         /* len, action_array_len, bucket_id */
#define GROUP15_DESC_LEN 16
#define OFPGBPT15_WEIGHT 0
#define OFPGBPT15_WATCH_PORT 1
#define OFPGBPT15_WATCH_GROUP 2
#define OFPET14_BAD_PROPERTY 14
#define OFPBPC_BAD_TYPE 0
#define OFPBPC_BAD_LEN 1

/* group_mod_failed codes this file sends itself (flowtab's refusals go through of_gm_error). */
enum {
	GMFC_INVALID_GROUP = 1,
	GMFC_BAD_TYPE = 10,
	GMFC_BAD_COMMAND = 11,
	GMFC_BAD_BUCKET = 12,
	GMFC_BAD_WATCH = 13,
};

/* A 1.5 group_mod as decoded, or the error to answer it with. */
struct gm15 {
	uint16_t command;
	uint32_t where;                  /* command_bucket_id */
	struct flowtab_group_spec spec;
	struct of_text texts[FLOWTAB_GROUP_MAX_BUCKETS];
	enum of_err ofe;                 /* refused with this ... */
	uint16_t err_type, err_code;     /* ... or with this (err_type 0: not) */
};

static bool
refuse(struct gm15 *g, uint16_t type, uint16_t code)
{
	g->err_type = type;
	g->err_code = code;
	return false;
}

static bool
refuse_ofe(struct gm15 *g, enum of_err e)
{
	g->ofe = e;
	return false;
}

/* The properties of one bucket ('p', 'len' bytes) into 'b'. */
static bool
bucket_props(struct gm15 *g, const uint8_t *p, size_t len, struct flowtab_bucket_spec *b)
{
	uint32_t port = OF13_ANY;
	size_t off = 0, plen;

	while (off < len) {
		if (len - off < 4)
			return refuse(g, OFPET14_BAD_PROPERTY, OFPBPC_BAD_LEN);
		plen = of_get16(p + off + 2);
		if (plen < 4 || ((plen + 7) & ~(size_t)7) > len - off)
			return refuse(g, OFPET14_BAD_PROPERTY, OFPBPC_BAD_LEN);
		switch (of_get16(p + off)) {
		case OFPGBPT15_WEIGHT:
			if (plen < 6)
				return refuse(g, OFPET14_BAD_PROPERTY, OFPBPC_BAD_LEN);
			b->weight = of_get16(p + off + 4);
			break;
		case OFPGBPT15_WATCH_PORT:
		case OFPGBPT15_WATCH_GROUP:
			if (plen != 8)
				return refuse(g, OFPET14_BAD_PROPERTY, OFPBPC_BAD_LEN);
			if (of_get16(p + off) == OFPGBPT15_WATCH_PORT)
				port = of_get32(p + off + 4);
			else
				b->watch_group = of_get32(p + off + 4);
			break;
		default:
			return refuse(g, OFPET14_BAD_PROPERTY, OFPBPC_BAD_TYPE);
		}
		off += (plen + 7) & ~(size_t)7;
	}
	if (of_gm_watch_port(port, &b->watch_port))
		return refuse(g, OFPET13_GROUP_MOD_FAILED, GMFC_BAD_WATCH);
	return true;
}

/* The bucket array ('p', 'len' bytes) into 'g''s spec; 'type' the message's group type. */
static bool
buckets(struct gm15 *g, const uint8_t *p, size_t len, uint8_t type)
{
	struct flowtab_group_spec *s = &g->spec;
	size_t off = 0, blen, alen;
	unsigned i;
	enum of_err e;

	while (off < len) {
		struct flowtab_bucket_spec *b = &s->buckets[s->n_buckets];

		if (len - off < GROUP15_BUCKET_LEN)
			return refuse(g, OFPET13_GROUP_MOD_FAILED, GMFC_BAD_BUCKET);
		blen = of_get16(p + off);
		alen = of_get16(p + off + 2);
		if (blen < GROUP15_BUCKET_LEN || blen > len - off ||
		    alen > blen - GROUP15_BUCKET_LEN)
			return refuse(g, OFPET13_GROUP_MOD_FAILED, GMFC_BAD_BUCKET);
		if (s->n_buckets == FLOWTAB_GROUP_MAX_BUCKETS)
			return refuse(g, OFPET13_GROUP_MOD_FAILED, 4);    /* OUT_OF_BUCKETS */
		b->bucket_id = of_get32(p + off + 4);
		b->weight = type == FLOWTAB_GROUP_TYPE_SELECT ? 1 : 0;
		b->watch_group = FLOWTAB_GROUP_ANY;
		e = of_actions13_decode(OF15, p + off + GROUP15_BUCKET_LEN, alen,
				&g->texts[s->n_buckets]);
		if (e)
			return refuse_ofe(g, e);
		b->actions = g->texts[s->n_buckets].s ? g->texts[s->n_buckets].s : "";
		if (!bucket_props(g, p + off + GROUP15_BUCKET_LEN + alen,
				blen - GROUP15_BUCKET_LEN - alen, b))
			return false;
		if (b->bucket_id > FLOWTAB_BUCKET_MAX)
			return refuse(g, OFPET13_GROUP_MOD_FAILED, GMFC_BAD_BUCKET);
		for (i = 0; i < s->n_buckets; i++)
			if (s->buckets[i].bucket_id == b->bucket_id)
				return refuse(g, OFPET13_GROUP_MOD_FAILED, GMFC_BAD_BUCKET);
		s->n_buckets++;
		off += blen;
	}
	return true;
}

/* Open vSwitch's checks of a decoded group_mod, against the type it carries. */
static bool
check(struct gm15 *g)
{
	const struct flowtab_group_spec *s = &g->spec;
	int code;

	if (s->type > FLOWTAB_GROUP_TYPE_FF)
		return refuse(g, OFPET13_GROUP_MOD_FAILED, GMFC_BAD_TYPE);
	if (s->type == FLOWTAB_GROUP_TYPE_INDIRECT && g->command != 2 && s->n_buckets != 1)
		return refuse(g, OFPET13_GROUP_MOD_FAILED, GMFC_INVALID_GROUP);
	if (g->command > OFPGC15_REMOVE_BUCKET && g->command != OFPGC_ADD_OR_MOD)
		return refuse(g, OFPET13_GROUP_MOD_FAILED, GMFC_BAD_COMMAND);
	if (g->command == 4)
		return refuse(g, OFPET13_GROUP_MOD_FAILED, GMFC_BAD_COMMAND);
	if (g->command == OFPGC15_REMOVE_BUCKET && s->n_buckets)
		return refuse(g, OFPET13_GROUP_MOD_FAILED, GMFC_BAD_BUCKET);
	/* Weights of inserted buckets are let through (their group's type is not in the
	 * message), as Open vSwitch 2.11 and later do. */
	code = of_gm_check_buckets(s, g->command == OFPGC15_INSERT_BUCKET);
	if (code >= 0)
		return refuse(g, OFPET13_GROUP_MOD_FAILED, (uint16_t)code);
	return true;
}

/* Decode 'msg' into 'g'; false with the error in 'g'. */
static bool
decode(struct gm15 *g, const uint8_t *msg, size_t len)
{
	size_t blen;
	bool bucket_cmd;

	if (len < GROUP15_MOD_LEN)
		return refuse_ofe(g, OFE_BAD_LEN);
	g->command = of_get16(msg + 8);
	g->spec.type = msg[10];
	g->spec.group_id = of_get32(msg + 12);
	g->spec.bucket_ids = true;
	g->where = of_get32(msg + 20);
	bucket_cmd = g->command == OFPGC15_INSERT_BUCKET || g->command == OFPGC15_REMOVE_BUCKET;
	if (bucket_cmd ? (g->where > FLOWTAB_BUCKET_MAX && g->where != FLOWTAB_BUCKET_FIRST &&
			  g->where != FLOWTAB_BUCKET_LAST &&
			  !(g->where == FLOWTAB_BUCKET_ALL && g->command == OFPGC15_REMOVE_BUCKET))
		       : g->where != FLOWTAB_BUCKET_ALL)
		return refuse(g, OFPET13_GROUP_MOD_FAILED, GMFC_BAD_BUCKET);
	blen = of_get16(msg + 16);
	if (blen > len - GROUP15_MOD_LEN)
		return refuse_ofe(g, OFE_BAD_LEN);
	if (!buckets(g, msg + GROUP15_MOD_LEN, blen, g->spec.type))
		return false;
	if (len > GROUP15_MOD_LEN + blen)    /* group properties */
		return refuse(g, OFPET14_BAD_PROPERTY, OFPBPC_BAD_TYPE);
	return check(g);
}

/* Apply a decoded group_mod to the table, or to bundle batch 'b' (not a bucket command:
 * of_bundle.c refuses those).  @return as flowtab_group_mod(). */
static int
apply(struct flowtab *ft, struct flowtab_batch *b, const struct gm15 *g,
		enum flowtab_gm_error *why, char **err)
{
	if (b != NULL && g->command == 2)
		return flowtab_batch_group_del(b, g->spec.group_id, why, err);
	if (b != NULL)
		return flowtab_batch_group_mod(b, g->command == 0 ? FLOWTAB_GM_ADD :
			g->command == 1 ? FLOWTAB_GM_MODIFY : FLOWTAB_GM_ADD_OR_MODIFY, &g->spec,
			why, err);
	switch (g->command) {
	case 0:
		return flowtab_group_mod(ft, FLOWTAB_GM_ADD, &g->spec, why, err);
	case 1:
		return flowtab_group_mod(ft, FLOWTAB_GM_MODIFY, &g->spec, why, err);
	case 2:
		return flowtab_group_del(ft, g->spec.group_id, why, err);
	case OFPGC15_INSERT_BUCKET:
		return flowtab_group_insert_buckets(ft, &g->spec, g->where, why, err);
	case OFPGC15_REMOVE_BUCKET:
		return flowtab_group_remove_buckets(ft, g->spec.group_id, g->where, why, err);
	default:
		return flowtab_group_mod(ft, FLOWTAB_GM_ADD_OR_MODIFY, &g->spec, why, err);
	}
}

bool
of_group_mod15(struct of_conn *c, struct flowtab_batch *b, const uint8_t *msg, size_t len)
{
	enum flowtab_gm_error why = FLOWTAB_GM_OK;
	struct gm15 *g = calloc(1, sizeof(*g));
	char *err = NULL;
	unsigned i;
	int rc = 1;

	if (g == NULL) {
		of_send_error(c, OFE_FMFC_UNKNOWN, msg, len);
		return false;
	}
	if (!decode(g, msg, len)) {
		if (g->err_type)
			of_gm_send_error(c, g->err_type, g->err_code, msg, len);
		else
			of_send_error(c, g->ofe, msg, len);
		goto out;
	}
	rc = apply(c->sw.flowtab(c->sw.aux), b, g, &why, &err);
	free(err);
	if (rc == -EINVAL)
		of_gm_error(c, why, false, msg, len);
	else if (rc)
		of_send_error(c, OFE_FMFC_UNKNOWN, msg, len);
out:
	for (i = 0; i < FLOWTAB_GROUP_MAX_BUCKETS; i++)
		of_text_free(&g->texts[i]);
	free(g);
	return rc == 0;
}

static void
put_prop32(struct of_buf *b, uint16_t type, uint32_t v)
{
	uint8_t *p = of_buf_put(b, 8);

	of_set16(p, type);
	of_set16(p + 2, 8);
	of_set32(p + 4, v);
}

void
of_group_desc15_one(void *aux, const struct flowtab_group_info *g)
{
	struct of_mp *mp = aux;
	struct of_buf b = { 0 };
	size_t start, astart;
	unsigned i;
	uint8_t *p;

	p = of_buf_put(&b, GROUP15_DESC_LEN);
	p[2] = g->type;
	of_set32(p + 4, g->group_id);
	for (i = 0; i < g->n_buckets; i++) {
		const struct flowtab_bucket_info *bk = &g->buckets[i];

		start = b.len;
		p = of_buf_put(&b, GROUP15_BUCKET_LEN);
		of_set32(p + 4, bk->bucket_id);
		astart = b.len;
		of_actions13_encode(&b, bk->n_actions, bk->actions);
		if (!b.oom)
			of_set16(b.data + start + 2, (uint16_t)(b.len - astart));
		if (g->type == FLOWTAB_GROUP_TYPE_SELECT) {
			/* A 16-bit property: length 6, padded to 8, as Open vSwitch writes it. */
			p = of_buf_put(&b, 8);
			of_set16(p, OFPGBPT15_WEIGHT);
			of_set16(p + 2, 6);
			of_set16(p + 4, bk->weight);
		}
		if (bk->watch_port != FLOWTAB_PORT_NONE)
			put_prop32(&b, OFPGBPT15_WATCH_PORT, OF13_PORT(bk->watch_port));
		if (bk->watch_group != FLOWTAB_GROUP_ANY)
			put_prop32(&b, OFPGBPT15_WATCH_GROUP, bk->watch_group);
		if (!b.oom)
			of_set16(b.data + start, (uint16_t)(b.len - start));
	}
	if (!b.oom) {
		of_set16(b.data, (uint16_t)b.len);
		of_set16(b.data + 8, (uint16_t)(b.len - GROUP15_DESC_LEN));
	}
	of_mp_add(mp, b.data, b.len, b.oom);
	of_buf_free(&b);
}
