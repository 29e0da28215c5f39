/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Groups and meters: group_mod and meter_mod decoded into flowtab_gm.h's specs (bucket
 * actions through the same action decoder as flow_mod, so as the same text), and the group
 * desc/stats/features and meter config/stats/features multiparts.  OpenFlow 1.3 layouts,
 * which 1.4 keeps and 1.5 keeps but for the group_mod and group desc (of_group15.c).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flowtab_gm.h"
#include "of_gm.h"

#define GROUP_BUCKET_LEN 16
#define METER_BAND_LEN 16
#define OFPMBT_DROP 1
#define OF_ERROR_DATA 64             /* bytes of the bad request in an error, as of_conn.c */

void
of_gm_send_error(struct of_conn *c, uint16_t type, uint16_t code, const uint8_t *msg, size_t len)
{
	size_t n = len < OF_ERROR_DATA ? len : OF_ERROR_DATA;
	uint8_t *p;

	p = of_reply_start(c, OFPT_ERROR, of_get32(msg + 4), 12 + n);
	of_set16(p + 8, type);
	of_set16(p + 10, code);
	if (!c->out.oom)
		memcpy(p + 12, msg, n);
}

void
of_gm_error(struct of_conn *c, enum flowtab_gm_error why, bool meter, const uint8_t *msg,
		size_t len)
{
	static const uint8_t group_codes[] = {
		[FLOWTAB_GM_EXISTS] = 0, [FLOWTAB_GM_INVALID] = 1, [FLOWTAB_GM_WEIGHT] = 2,
		[FLOWTAB_GM_OUT_OF_GROUPS] = 3, [FLOWTAB_GM_OUT_OF_BUCKETS] = 4,
		[FLOWTAB_GM_CHAINING] = 5, [FLOWTAB_GM_LOOP] = 7, [FLOWTAB_GM_UNKNOWN] = 8,
		[FLOWTAB_GM_UNKNOWN_GROUP] = 8, [FLOWTAB_GM_CHAINED] = 9, [FLOWTAB_GM_BAD_TYPE] = 10,
		[FLOWTAB_GM_BAD_BUCKET] = 12, [FLOWTAB_GM_BAD_WATCH] = 13,
		[FLOWTAB_GM_UNKNOWN_BUCKET] = 15, [FLOWTAB_GM_BUCKET_EXISTS] = 16,
	};
	static const uint8_t meter_codes[] = {
		[FLOWTAB_GM_EXISTS] = 1, [FLOWTAB_GM_INVALID] = 2, [FLOWTAB_GM_UNKNOWN] = 3,
		[FLOWTAB_GM_BAD_FLAGS] = 5, [FLOWTAB_GM_BAD_RATE] = 6, [FLOWTAB_GM_BAD_BURST] = 7,
		[FLOWTAB_GM_BAD_BAND] = 8, [FLOWTAB_GM_OUT_OF_METERS] = 10,
		[FLOWTAB_GM_OUT_OF_BANDS] = 11,
	};
	uint16_t code = 0;

	if (meter && (size_t)why < sizeof(meter_codes))
		code = meter_codes[why];
	else if (!meter && (size_t)why < sizeof(group_codes))
		code = group_codes[why];
	of_gm_send_error(c, meter ? OFPET13_METER_MOD_FAILED : OFPET13_GROUP_MOD_FAILED, code,
			msg, len);
}

int
of_gm_watch_port(uint32_t p, uint32_t *out)
{
	if (p == OF13_ANY) {
		*out = FLOWTAB_PORT_NONE;
		return 0;
	}
	if (p == 0xfffffffeu) {
		*out = OFPP_LOCAL;
		return 0;
	}
	if (p == 0 || p >= OFPP_MAX)
		return -EINVAL;
	*out = p;
	return 0;
}

int
of_gm_check_buckets(const struct flowtab_group_spec *s, bool insert)
{
	enum { INVALID_GROUP = 1, WATCH_UNSUPPORTED = 6 };
	unsigned i, n = s->n_buckets < FLOWTAB_GROUP_MAX_BUCKETS ? s->n_buckets :
			FLOWTAB_GROUP_MAX_BUCKETS;

	if (s->type > FLOWTAB_GROUP_TYPE_FF ||
	    (s->type == FLOWTAB_GROUP_TYPE_INDIRECT && s->n_buckets != 1))
		return -1;
	for (i = 0; i < n; i++) {
		const struct flowtab_bucket_spec *b = &s->buckets[i];
		bool live = b->watch_port != FLOWTAB_PORT_NONE ||
			    b->watch_group != FLOWTAB_GROUP_ANY;

		if (b->weight && s->type != FLOWTAB_GROUP_TYPE_SELECT && !insert)
			return INVALID_GROUP;
		if (live && (s->type == FLOWTAB_GROUP_TYPE_ALL ||
			     s->type == FLOWTAB_GROUP_TYPE_INDIRECT))
			return WATCH_UNSUPPORTED;
		if (!live && s->type == FLOWTAB_GROUP_TYPE_FF)
			return INVALID_GROUP;
	}
	return -1;
}

/* The buckets of a group_mod into 'spec'; their action texts into 'texts'. */
static enum of_err
decode_buckets(uint8_t version, const uint8_t *p, size_t len, struct flowtab_group_spec *spec,
		struct of_text *texts, bool *bad_watch)
{
	size_t off = 0, blen;
	enum of_err e;

	while (off < len) {
		struct flowtab_bucket_spec *b;

		if (len - off < GROUP_BUCKET_LEN)
			return OFE_BAD_LEN;
		blen = of_get16(p + off);
		if (blen < GROUP_BUCKET_LEN || blen % 8 || blen > len - off)
			return OFE_BAD_LEN;
		if (spec->n_buckets == FLOWTAB_GROUP_MAX_BUCKETS) {
			spec->n_buckets++;    /* flowtab refuses: out of buckets */
			return OF_OK;
		}
		b = &spec->buckets[spec->n_buckets];
		b->weight = of_get16(p + off + 2);
		if (of_gm_watch_port(of_get32(p + off + 4), &b->watch_port)) {
			*bad_watch = true;
			return OF_OK;
		}
		b->watch_group = of_get32(p + off + 8);
		e = of_actions13_decode(version, p + off + GROUP_BUCKET_LEN, blen - GROUP_BUCKET_LEN,
				&texts[spec->n_buckets]);
		if (e)
			return e;
		if (texts[spec->n_buckets].oom)
			return OFE_FMFC_UNKNOWN;
		b->actions = texts[spec->n_buckets].s ? texts[spec->n_buckets].s : "";
		spec->n_buckets++;
		off += blen;
	}
	return OF_OK;
}

/* Group change 'cmd' of 'spec' to the table, or to bundle batch 'b' when not NULL. */
static int
group_apply(struct flowtab *ft, struct flowtab_batch *b, enum flowtab_gm_command cmd,
		const struct flowtab_group_spec *spec, enum flowtab_gm_error *why, char **err)
{
	return b ? flowtab_batch_group_mod(b, cmd, spec, why, err) :
		flowtab_group_mod(ft, cmd, spec, why, err);
}

static int
group_apply_del(struct flowtab *ft, struct flowtab_batch *b, uint32_t id,
		enum flowtab_gm_error *why, char **err)
{
	return b ? flowtab_batch_group_del(b, id, why, err) : flowtab_group_del(ft, id, why, err);
}

/* A 1.1-1.4 group_mod, to the table or to bundle batch 'b'; errors are sent.  @return
 * whether it was taken. */
static bool
group_mod(struct of_conn *c, struct flowtab_batch *b, const uint8_t *msg, size_t len)
{
	struct flowtab *ft = c->sw.flowtab(c->sw.aux);
	struct of_text texts[FLOWTAB_GROUP_MAX_BUCKETS];
	struct flowtab_group_spec *spec;
	enum flowtab_gm_error why = FLOWTAB_GM_OK;
	bool bad_watch = false;
	uint16_t command;
	char *err = NULL;
	enum of_err e;
	unsigned i;
	int rc, code;

	if (len < 16) {
		of_send_error(c, OFE_BAD_LEN, msg, len);
		return false;
	}
	command = of_get16(msg + 8);
	if (command == 2) {
		rc = group_apply_del(ft, b, of_get32(msg + 12), &why, &err);
		goto done;
	}
	if (command > 1 && command != OFPGC_ADD_OR_MOD) {
		of_gm_send_error(c, OFPET13_GROUP_MOD_FAILED, 11, msg, len);  /* BAD_COMMAND */
		return false;
	}
	spec = calloc(1, sizeof(*spec));
	if (spec == NULL) {
		of_send_error(c, OFE_FMFC_UNKNOWN, msg, len);
		return false;
	}
	memset(texts, 0, sizeof(texts));
	spec->type = msg[10];
	spec->group_id = of_get32(msg + 12);
	e = decode_buckets(c->version, msg + 16, len - 16, spec, texts, &bad_watch);
	if (e) {
		of_send_error(c, e, msg, len);
		rc = 1;
	} else if (bad_watch) {
		why = FLOWTAB_GM_BAD_WATCH;
		rc = -EINVAL;
	} else if ((code = of_gm_check_buckets(spec, false)) >= 0) {
		of_gm_send_error(c, OFPET13_GROUP_MOD_FAILED, (uint16_t)code, msg, len);
		rc = 1;
	} else {
		rc = group_apply(ft, b, command == 0 ? FLOWTAB_GM_ADD : command == 1 ?
				FLOWTAB_GM_MODIFY : FLOWTAB_GM_ADD_OR_MODIFY, spec, &why, &err);
	}
	for (i = 0; i < FLOWTAB_GROUP_MAX_BUCKETS; i++)
		of_text_free(&texts[i]);
	free(spec);
done:
	free(err);
	if (rc == -EINVAL)
		of_gm_error(c, why, false, msg, len);
	else if (rc < 0)
		of_send_error(c, OFE_FMFC_UNKNOWN, msg, len);
	return rc == 0;
}

static void
meter_mod(struct of_conn *c, const uint8_t *msg, size_t len)
{
	struct flowtab *ft = c->sw.flowtab(c->sw.aux);
	enum flowtab_gm_error why = FLOWTAB_GM_OK;
	struct flowtab_meter_spec spec;
	size_t off = 16, blen;
	uint16_t command;
	char *err = NULL;
	int rc;

	if (len < 16) {
		of_send_error(c, OFE_BAD_LEN, msg, len);
		return;
	}
	memset(&spec, 0, sizeof(spec));
	command = of_get16(msg + 8);
	spec.flags = of_get16(msg + 10);
	spec.meter_id = of_get32(msg + 12);
	if (command == 2) {
		rc = flowtab_meter_del(ft, spec.meter_id);
		goto done;
	}
	if (command > 1) {
		of_gm_send_error(c, OFPET13_METER_MOD_FAILED, 4, msg, len);   /* BAD_COMMAND */
		return;
	}
	while (off < len) {
		if (len - off < 4) {
			of_send_error(c, OFE_BAD_LEN, msg, len);
			return;
		}
		blen = of_get16(msg + off + 2);
		if (blen < METER_BAND_LEN || blen % 8 || blen > len - off) {
			of_send_error(c, OFE_BAD_LEN, msg, len);
			return;
		}
		if (of_get16(msg + off) != OFPMBT_DROP || blen != METER_BAND_LEN) {
			of_gm_error(c, FLOWTAB_GM_BAD_BAND, true, msg, len);
			return;
		}
		if (spec.n_bands == FLOWTAB_METER_MAX_BANDS) {
			of_gm_error(c, FLOWTAB_GM_OUT_OF_BANDS, true, msg, len);
			return;
		}
		spec.bands[spec.n_bands].rate = of_get32(msg + off + 4);
		spec.bands[spec.n_bands].burst = of_get32(msg + off + 8);
		spec.n_bands++;
		off += blen;
	}
	rc = flowtab_meter_mod(ft, command == 0 ? FLOWTAB_GM_ADD : FLOWTAB_GM_MODIFY, &spec,
			&why, &err);
done:
	free(err);
	if (rc == -EINVAL)
		of_gm_error(c, why, true, msg, len);
	else if (rc)
		of_send_error(c, OFE_FMFC_UNKNOWN, msg, len);
}

void
of_handle_gm_mod(struct of_conn *c, const uint8_t *msg, size_t len)
{
	if (c->role == OF_ROLE_SLAVE) {
		of_send_error(c, OFE_IS_SLAVE, msg, len);
		return;
	}
	if (msg[1] == OF13_GROUP_MOD && c->version >= OF15)
		of_group_mod15(c, NULL, msg, len);
	else if (msg[1] == OF13_GROUP_MOD)
		group_mod(c, NULL, msg, len);
	else
		meter_mod(c, msg, len);
	if (c->sw.flows_changed)
		c->sw.flows_changed(c->sw.aux);
}

bool
of_group_mod_bundled(struct of_conn *c, struct flowtab_batch *b, const uint8_t *msg, size_t len)
{
	return c->version >= OF15 ? of_group_mod15(c, b, msg, len) : group_mod(c, b, msg, len);
}

/* --- multiparts --- */

static void
put_duration(uint8_t *p, uint64_t ms)
{
	of_set32(p, (uint32_t)(ms / 1000));
	of_set32(p + 4, (uint32_t)(ms % 1000 * 1000000));
}

static void
group_desc_one(void *aux, const struct flowtab_group_info *g)
{
	struct of_mp *mp = aux;
	struct of_buf b = { 0 };
	size_t start;
	unsigned i;
	uint8_t *p;

	p = of_buf_put(&b, 8);
	p[2] = g->type;
	of_set32(p + 4, g->group_id);
	for (i = 0; i < g->n_buckets; i++) {
		const struct flowtab_bucket_info *bk = &g->buckets[i];

		start = b.len;
		p = of_buf_put(&b, GROUP_BUCKET_LEN);
		of_set16(p + 2, bk->weight);
		of_set32(p + 4, bk->watch_port == FLOWTAB_PORT_NONE ? OF13_ANY :
				OF13_PORT(bk->watch_port));
		of_set32(p + 8, bk->watch_group);
		of_actions13_encode(&b, bk->n_actions, bk->actions);
		if (!b.oom)
			of_set16(b.data + start, (uint16_t)(b.len - start));
	}
	if (!b.oom)
		of_set16(b.data, (uint16_t)b.len);
	of_mp_add(mp, b.data, b.len, b.oom);
	of_buf_free(&b);
}

static void
group_stats_one(void *aux, const struct flowtab_group_info *g)
{
	struct of_mp *mp = aux;
	struct of_buf b = { 0 };
	unsigned i;
	uint8_t *p;

	p = of_buf_put(&b, 40 + 16 * g->n_buckets);
	of_set16(p, (uint16_t)(40 + 16 * g->n_buckets));
	of_set32(p + 4, g->group_id);
	of_set32(p + 8, g->ref_count);
	of_set64(p + 16, g->packets);
	of_set64(p + 24, g->bytes);
	put_duration(p + 32, g->duration_ms);
	for (i = 0; i < g->n_buckets; i++) {
		of_set64(p + 40 + 16 * i, g->buckets[i].packets);
		of_set64(p + 48 + 16 * i, g->buckets[i].bytes);
	}
	of_mp_add(mp, b.data, b.len, b.oom);
	of_buf_free(&b);
}

static void
meter_config_one(void *aux, const struct flowtab_meter_info *m)
{
	struct of_mp *mp = aux;
	uint8_t e[8 + METER_BAND_LEN * FLOWTAB_METER_MAX_BANDS] = { 0 };
	size_t n = 8 + METER_BAND_LEN * m->n_bands;
	unsigned i;

	of_set16(e, (uint16_t)n);
	of_set16(e + 2, m->flags);
	of_set32(e + 4, m->meter_id);
	for (i = 0; i < m->n_bands; i++) {
		uint8_t *p = e + 8 + METER_BAND_LEN * i;

		of_set16(p, OFPMBT_DROP);
		of_set16(p + 2, METER_BAND_LEN);
		of_set32(p + 4, m->bands[i].rate);
		of_set32(p + 8, m->bands[i].burst);
	}
	of_mp_add(mp, e, n, false);
}

static void
meter_stats_one(void *aux, const struct flowtab_meter_info *m)
{
	struct of_mp *mp = aux;
	uint8_t e[40 + 16 * FLOWTAB_METER_MAX_BANDS] = { 0 };
	size_t n = 40 + 16 * m->n_bands;
	unsigned i;

	of_set32(e, m->meter_id);
	of_set16(e + 4, (uint16_t)n);
	of_set32(e + 12, m->flow_count);
	of_set64(e + 16, m->packets);
	of_set64(e + 24, m->bytes);
	put_duration(e + 32, m->duration_ms);
	for (i = 0; i < m->n_bands; i++) {
		of_set64(e + 40 + 16 * i, m->bands[i].packets);
		of_set64(e + 48 + 16 * i, m->bands[i].bytes);
	}
	of_mp_add(mp, e, n, false);
}

/* What ovs-ofctl dump-group-features shows: every type, weights, liveness, chaining. */
static void
group_features(struct of_mp *mp)
{
	uint32_t actions = 1u << 0 | 1u << 17 | 1u << 18 | 1u << 22 | 1u << 23 | 1u << 24 |
			   1u << 25;
	uint8_t e[40] = { 0 };
	unsigned i;

	of_set32(e, 0xf);
	of_set32(e + 4, 1 | 2 | 4 | 8);
	for (i = 0; i < 4; i++) {
		of_set32(e + 8 + 4 * i, FLOWTAB_MAX_GROUPS);
		of_set32(e + 24 + 4 * i, actions);
	}
	of_mp_add(mp, e, sizeof(e), false);
}

static void
meter_features(struct of_mp *mp)
{
	uint8_t e[16] = { 0 };

	of_set32(e, FLOWTAB_MAX_METERS);
	of_set32(e + 4, 1u << OFPMBT_DROP);
	of_set32(e + 8, FLOWTAB_METER_KBPS | FLOWTAB_METER_PKTPS | FLOWTAB_METER_BURST |
			FLOWTAB_METER_STATS);
	e[12] = FLOWTAB_METER_MAX_BANDS;
	of_mp_add(mp, e, sizeof(e), false);
}

bool
of_gm_stats(struct of_mp *mp, const uint8_t *body, size_t len)
{
	struct of_conn *c = mp->c;
	struct flowtab *ft;
	size_t want;

	if (mp->type < OFPMP_GROUP || mp->type > OFPMP_METER_FEATURES)
		return false;
	/* Their bodies are 1.3's in 1.4 and 1.5 but 1.5's group desc (request and reply). */
	if (c->version < OF13) {
		of_send_error(c, OFE_BAD_STAT, mp->req, mp->req_len);
		return true;
	}
	want = mp->type == OFPMP_GROUP || mp->type == OFPMP_METER ||
	       mp->type == OFPMP_METER_CONFIG ||
	       (mp->type == OFPMP_GROUP_DESC && c->version >= OF15) ? 8 : 0;
	if (len != want) {
		of_send_error(c, OFE_BAD_LEN, mp->req, mp->req_len);
		return true;
	}
	ft = c->sw.flowtab(c->sw.aux);
	of_mp_begin(mp);
	switch (mp->type) {
	case OFPMP_GROUP:
		flowtab_dump_groups(ft, of_get32(body), group_stats_one, mp);
		break;
	case OFPMP_GROUP_DESC:
		if (c->version >= OF15)
			flowtab_dump_groups(ft, of_get32(body), of_group_desc15_one, mp);
		else
			flowtab_dump_groups(ft, FLOWTAB_GROUP_ALL, group_desc_one, mp);
		break;
	case OFPMP_GROUP_FEATURES:
		group_features(mp);
		break;
	case OFPMP_METER:
		flowtab_dump_meters(ft, of_get32(body), meter_stats_one, mp);
		break;
	case OFPMP_METER_CONFIG:
		flowtab_dump_meters(ft, of_get32(body), meter_config_one, mp);
		break;
	default:
		meter_features(mp);
		break;
	}
	of_mp_end(mp);
	return true;
}
