/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The meter table (flowtab_gm.h): OpenFlow 1.3 meters with drop bands on rte_meter's srTCM.
 * The main thread adds, modifies, deletes and dumps; PMDs call ft_meter_pass().
 */

/* rte_atomic128_cmp_exchange() is experimental in DPDK 22.11 (stable since). */
#define ALLOW_EXPERIMENTAL_API

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_atomic.h>
#include <rte_cycles.h>

#include "ft_gm.h"
#include "ft_private.h"
#include "ft_value.h"

/*
 * One band's token bucket for a packet of 'len' (bytes, or 1 for pktps): the time and the
 * committed tokens are read, advanced by rte_meter's srTCM check on a private copy and
 * written back with a 128-bit compare-and-swap, retried when another PMD got there first.
 * Green passes.  The excess bucket is configured empty, so te stays 0 and nothing is yellow.
 */
static bool
band_pass(struct ft_band *b, uint32_t len, uint64_t now)
{
	struct rte_meter_srtcm m;
	rte_int128_t exp, upd;
	enum rte_color c;

	exp.val[0] = __atomic_load_n(&b->tb.time, __ATOMIC_RELAXED);
	exp.val[1] = __atomic_load_n(&b->tb.tc, __ATOMIC_RELAXED);
	for (;;) {
		m.time = exp.val[0];
		m.tc = exp.val[1];
		m.te = 0;
		/* A PMD whose clock read is older than the bucket's last update. */
		c = rte_meter_srtcm_color_blind_check(&m, &b->prof, now > m.time ? now : m.time,
				len);
		upd.val[0] = m.time;
		upd.val[1] = m.tc;
		if (rte_atomic128_cmp_exchange((rte_int128_t *)&b->tb, &exp, &upd, 0,
				__ATOMIC_RELAXED, __ATOMIC_RELAXED))
			return c == RTE_COLOR_GREEN;
	}
}

bool
ft_meter_pass(struct ft_meter *m, uint32_t len, uint64_t now)
{
	uint32_t units = m->flags & FLOWTAB_METER_PKTPS ? 1 : len;
	uint32_t i;

	__atomic_fetch_add(&m->packets, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&m->bytes, len, __ATOMIC_RELAXED);
	for (i = 0; i < m->n_bands; i++) {
		struct ft_band *b = &m->bands[i];

		if (unlikely(!b->configured))
			continue;
		if (!band_pass(b, units, now)) {
			__atomic_fetch_add(&b->packets, 1, __ATOMIC_RELAXED);
			__atomic_fetch_add(&b->bytes, len, __ATOMIC_RELAXED);
			return false;
		}
	}
	return true;
}

/* --- changes --- */

static char *
mm_error(uint32_t id, const char *msg)
{
	char *s = NULL;

	if (asprintf(&s, "meter %u: %s", id, msg) < 0)
		return NULL;
	return s;
}

static int
refuse(enum flowtab_gm_error *why, enum flowtab_gm_error w, char **err, uint32_t id,
		const char *msg)
{
	*why = w;
	*err = mm_error(id, msg);
	return -EINVAL;
}

static int
band_cmp(const void *a, const void *b)
{
	const struct flowtab_band_spec *x = a, *y = b;

	return x->rate < y->rate ? -1 : x->rate > y->rate;
}

/*
 * Configure 'b' from its rate and burst in the units of 'flags': bytes per second and bytes
 * (kbps), or packets (pktps, each packet one "byte").  Without a burst, one second's worth.
 * Without the TSC rate (no EAL: tests of the control path) the band stays unconfigured and
 * passes everything.
 */
static int
band_config(struct ft_band *b, uint16_t flags)
{
	struct rte_meter_srtcm_params p = { 0 };
	struct rte_meter_srtcm m;
	uint64_t burst = flags & FLOWTAB_METER_BURST && b->burst ? b->burst : b->rate;

	if (flags & FLOWTAB_METER_KBPS) {
		p.cir = (uint64_t)b->rate * 1000 / 8;
		p.cbs = burst * 1000 / 8;
	} else {
		p.cir = b->rate;
		p.cbs = burst;
	}
	if (rte_get_tsc_hz() == 0)
		return 0;
	if (rte_meter_srtcm_profile_config(&b->prof, &p) != 0 ||
	    rte_meter_srtcm_config(&m, &b->prof) != 0)
		return -EINVAL;
	b->tb.time = rte_get_tsc_cycles();
	b->tb.tc = m.tc;
	b->configured = true;
	return 0;
}

static int
meter_check(const struct flowtab_meter_spec *spec, enum flowtab_gm_error *why, char **err)
{
	uint16_t units = spec->flags & (FLOWTAB_METER_KBPS | FLOWTAB_METER_PKTPS);
	unsigned i;

	if (spec->meter_id == 0 || spec->meter_id > FLOWTAB_METER_MAX_ID)
		return refuse(why, FLOWTAB_GM_INVALID, err, spec->meter_id, "not a meter number");
	if (units == (FLOWTAB_METER_KBPS | FLOWTAB_METER_PKTPS) ||
	    (spec->flags & ~(FLOWTAB_METER_KBPS | FLOWTAB_METER_PKTPS | FLOWTAB_METER_BURST |
			     FLOWTAB_METER_STATS)))
		return refuse(why, FLOWTAB_GM_BAD_FLAGS, err, spec->meter_id,
			"flags: kbps or pktps, burst, stats");
	if (spec->n_bands == 0)
		return refuse(why, FLOWTAB_GM_BAD_BAND, err, spec->meter_id, "no band");
	if (spec->n_bands > FLOWTAB_METER_MAX_BANDS)
		return refuse(why, FLOWTAB_GM_OUT_OF_BANDS, err, spec->meter_id,
			"more than 8 bands");
	for (i = 0; i < spec->n_bands; i++) {
		if (spec->bands[i].rate == 0)
			return refuse(why, FLOWTAB_GM_BAD_RATE, err, spec->meter_id,
				"a band's rate is 0");
		if (spec->bands[i].burst && !(spec->flags & FLOWTAB_METER_BURST))
			return refuse(why, FLOWTAB_GM_BAD_BURST, err, spec->meter_id,
				"a burst_size without the burst flag");
	}
	return 0;
}

static void
mtab_publish(struct flowtab *ft, struct ft_mtab *next, struct ft_meter *const *dead, size_t n_dead)
{
	struct ft_mtab *old = ft->gm->meters;
	size_t i;

	__atomic_store_n(&ft->gm->meters, next, __ATOMIC_RELEASE);
	ft_wait_readers(ft);
	for (i = 0; i < n_dead; i++)
		free(dead[i]);
	free(old);
}

int
flowtab_meter_mod(struct flowtab *ft, enum flowtab_gm_command cmd,
		const struct flowtab_meter_spec *spec, enum flowtab_gm_error *why, char **err)
{
	struct flowtab_band_spec bands[FLOWTAB_METER_MAX_BANDS];
	struct ft_gm *gm = ft_gm_get(ft);
	struct ft_meter *m, *old;
	struct ft_mtab *t, *next;
	uint32_t i, n, pos;
	int rc;

	*why = FLOWTAB_GM_OK;
	*err = NULL;
	if (gm == NULL)
		return -ENOMEM;
	rc = meter_check(spec, why, err);
	if (rc)
		return rc;
	t = gm->meters;
	n = t ? t->n : 0;
	old = ft_mtab_find(t, spec->meter_id);
	if (old && cmd == FLOWTAB_GM_ADD)
		return refuse(why, FLOWTAB_GM_EXISTS, err, spec->meter_id, "exists");
	if (!old && cmd == FLOWTAB_GM_MODIFY)
		return refuse(why, FLOWTAB_GM_UNKNOWN, err, spec->meter_id, "does not exist");
	if (!old && n >= FLOWTAB_MAX_METERS)
		return refuse(why, FLOWTAB_GM_OUT_OF_METERS, err, spec->meter_id,
			"the meter table is full");
	m = ft_zalloc(sizeof(*m) + spec->n_bands * sizeof(m->bands[0]));
	if (m == NULL)
		return -ENOMEM;
	m->id = spec->meter_id;
	m->flags = spec->flags;
	m->n_bands = spec->n_bands;
	m->created_ms = old ? old->created_ms : ft->clock(ft->clock_aux);
	if (!(m->flags & FLOWTAB_METER_PKTPS))
		m->flags |= FLOWTAB_METER_KBPS;
	memcpy(bands, spec->bands, spec->n_bands * sizeof(bands[0]));
	qsort(bands, spec->n_bands, sizeof(bands[0]), band_cmp);
	for (i = 0; i < m->n_bands; i++) {
		m->bands[i].rate = bands[i].rate;
		m->bands[i].burst = bands[i].burst;
		if (band_config(&m->bands[i], m->flags) != 0) {
			free(m);
			return refuse(why, FLOWTAB_GM_BAD_BURST, err, spec->meter_id,
				"rate or burst out of range");
		}
	}
	next = malloc(sizeof(*next) + (n + 1) * sizeof(next->m[0]));
	if (next == NULL) {
		free(m);
		return -ENOMEM;
	}
	for (pos = 0; pos < n && t->m[pos]->id < m->id; pos++)
		;
	for (i = 0; i < pos; i++)
		next->m[i] = t->m[i];
	next->m[pos] = m;
	for (i = pos + (old ? 1 : 0); i < n; i++)
		next->m[i + (old ? 0 : 1)] = t->m[i];
	next->n = n + (old ? 0 : 1);
	mtab_publish(ft, next, &old, old ? 1 : 0);
	return 0;
}

static bool
rule_uses_meter(const struct ft_rule *r, void *aux)
{
	const struct ft_meter *m = aux;

	return ft_actions_use_meter(r->acts, m->id);
}

int
flowtab_meter_del(struct flowtab *ft, uint32_t meter_id)
{
	struct ft_gm *gm = ft_gm_get(ft);
	struct ft_meter **dead;
	struct ft_mtab *t, *next;
	uint32_t i, n = 0, n_dead = 0;

	if (gm == NULL)
		return -ENOMEM;
	t = gm->meters;
	if (t == NULL || (meter_id != FLOWTAB_METER_ALL && !ft_mtab_find(t, meter_id)))
		return 0;
	next = malloc(sizeof(*next) + t->n * sizeof(next->m[0]));
	dead = malloc(t->n * sizeof(*dead));
	if (next == NULL || dead == NULL) {
		free(next);
		free(dead);
		return -ENOMEM;
	}
	for (i = 0; i < t->n; i++) {
		if (meter_id == FLOWTAB_METER_ALL || t->m[i]->id == meter_id)
			dead[n_dead++] = t->m[i];
		else
			next->m[n++] = t->m[i];
	}
	next->n = n;
	/* As OpenFlow says: the rules that use a deleted meter go with it. */
	for (i = 0; i < n_dead; i++) {
		int rc = ft_del_rules_if(ft, rule_uses_meter, dead[i]);

		if (rc) {
			free(next);
			free(dead);
			return rc;
		}
	}
	mtab_publish(ft, next, dead, n_dead);
	free(dead);
	return 0;
}

/* --- dumps --- */

unsigned
flowtab_dump_meters(struct flowtab *ft, uint32_t meter_id,
		void (*cb)(void *aux, const struct flowtab_meter_info *info), void *aux)
{
	struct flowtab_band_info bi[FLOWTAB_METER_MAX_BANDS];
	const struct ft_mtab *t = ft->gm ? ft->gm->meters : NULL;
	uint64_t now = ft->clock(ft->clock_aux);
	struct flowtab_meter_info info;
	unsigned n = 0;
	uint32_t i, k;
	size_t r;

	for (i = 0; t && i < t->n; i++) {
		const struct ft_meter *m = t->m[i];

		if (meter_id != FLOWTAB_METER_ALL && m->id != meter_id)
			continue;
		memset(&info, 0, sizeof(info));
		info.meter_id = m->id;
		info.flags = m->flags;
		for (r = 0; r < ft->n_rules; r++)
			if (ft_actions_use_meter(ft->rules[r]->acts, m->id))
				info.flow_count++;
		info.packets = __atomic_load_n(&m->packets, __ATOMIC_RELAXED);
		info.bytes = __atomic_load_n(&m->bytes, __ATOMIC_RELAXED);
		info.duration_ms = now - m->created_ms;
		for (k = 0; k < m->n_bands; k++) {
			bi[k].rate = m->bands[k].rate;
			bi[k].burst = m->bands[k].burst;
			bi[k].packets = __atomic_load_n(&m->bands[k].packets, __ATOMIC_RELAXED);
			bi[k].bytes = __atomic_load_n(&m->bands[k].bytes, __ATOMIC_RELAXED);
		}
		info.n_bands = m->n_bands;
		info.bands = bi;
		cb(aux, &info);
		n++;
	}
	return n;
}

struct text_aux {
	struct ft_str s;
	bool stats;
};

static void
meter_text(void *aux, const struct flowtab_meter_info *info)
{
	struct text_aux *ta = aux;
	struct ft_str *s = &ta->s;
	unsigned k;

	if (ta->stats) {
		ft_str_printf(s, "meter:%u flow_count:%u packet_in_count:%lu byte_in_count:%lu "
			"duration:%.3fs bands:\n", info->meter_id, info->flow_count,
			(unsigned long)info->packets, (unsigned long)info->bytes,
			info->duration_ms / 1000.0);
		for (k = 0; k < info->n_bands; k++)
			ft_str_printf(s, "%u: packet_count:%lu byte_count:%lu\n", k,
				(unsigned long)info->bands[k].packets,
				(unsigned long)info->bands[k].bytes);
		return;
	}
	ft_str_printf(s, "meter=%u %s%s%s bands=\n", info->meter_id,
		info->flags & FLOWTAB_METER_PKTPS ? "pktps" : "kbps",
		info->flags & FLOWTAB_METER_BURST ? " burst" : "",
		info->flags & FLOWTAB_METER_STATS ? " stats" : "");
	for (k = 0; k < info->n_bands; k++) {
		ft_str_printf(s, "type=drop rate=%u", info->bands[k].rate);
		if (info->flags & FLOWTAB_METER_BURST)
			ft_str_printf(s, " burst_size=%u", info->bands[k].burst);
		ft_str_printf(s, "\n");
	}
}

char *
flowtab_dump_meters_text(struct flowtab *ft, uint32_t meter_id, bool stats)
{
	struct text_aux ta = { .stats = stats };

	ft_str_printf(&ta.s, "%s", "");
	flowtab_dump_meters(ft, meter_id, meter_text, &ta);
	return ta.s.s;
}

/* --- text --- */

int
flowtab_meter_parse(const char *text, struct flowtab_meter_spec *spec, char **err)
{
	struct flowtab_band_spec *band = NULL;
	char *buf = strdup(text), *p, *item, *val;
	bool have_id = false, in_bands = false;
	uint64_t v;
	int rc = -EINVAL;

	memset(spec, 0, sizeof(*spec));
	*err = NULL;
	if (buf == NULL)
		return -ENOMEM;
	for (p = buf; (item = strsep(&p, ", \t")) != NULL;) {
		if (!*item)
			continue;
		val = strchr(item, '=');
		if (val)
			*val++ = '\0';
		if (!strcmp(item, "bands")) {
			in_bands = true;
			if (!val || !*val)
				continue;
			item = val;
			val = strchr(item, '=');
			if (val)
				*val++ = '\0';
		}
		if (!strcmp(item, "meter") && val) {
			if (!strcmp(val, "all"))
				v = FLOWTAB_METER_ALL;
			else if (ft_parse_uint(val, FLOWTAB_METER_MAX_ID, &v) || v == 0)
				goto bad;
			spec->meter_id = (uint32_t)v;
			have_id = true;
		} else if (!in_bands && !val && !strcmp(item, "kbps")) {
			spec->flags |= FLOWTAB_METER_KBPS;
		} else if (!in_bands && !val && !strcmp(item, "pktps")) {
			spec->flags |= FLOWTAB_METER_PKTPS;
		} else if (!in_bands && !val && !strcmp(item, "burst")) {
			spec->flags |= FLOWTAB_METER_BURST;
		} else if (!in_bands && !val && !strcmp(item, "stats")) {
			spec->flags |= FLOWTAB_METER_STATS;
		} else if (in_bands && !strcmp(item, "type") && val) {
			if (strcmp(val, "drop") != 0) {
				*err = ft_field_error("type", "'%s': only drop bands", val);
				goto out;
			}
			if (spec->n_bands == FLOWTAB_METER_MAX_BANDS) {
				*err = ft_field_error("bands", "more than %d",
					FLOWTAB_METER_MAX_BANDS);
				goto out;
			}
			band = &spec->bands[spec->n_bands++];
		} else if (band && !strcmp(item, "rate") && val) {
			if (ft_parse_uint(val, UINT32_MAX, &v))
				goto bad;
			band->rate = (uint32_t)v;
		} else if (band && !strcmp(item, "burst_size") && val) {
			if (ft_parse_uint(val, UINT32_MAX, &v))
				goto bad;
			band->burst = (uint32_t)v;
		} else {
			*err = ft_field_error(item, "unknown meter field");
			goto out;
		}
	}
	if (!have_id) {
		*err = ft_field_error("meter", "missing");
		goto out;
	}
	rc = 0;
	goto out;
bad:
	*err = ft_field_error(item, "'%s': expected a number", val ? val : "");
out:
	free(buf);
	return rc;
}
