/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Open vSwitch's load-based PMD sleeping: other_config:pmd-maxsleep (3.1) and its successor
 * pmd-sleep-max (3.2: one value; 3.3: a default and "CORE:US" items per PMD core).  A PMD whose
 * passes find every queue less than half a burst full sleeps a little longer after each,
 * up to its maximum (pmd/pmd.c); the core is then free for other threads and draws less
 * power, at the cost of up to that much latency when traffic resumes.
 *
 * Who touches what: the main thread only (dp_init, dp_reconfigure, the show command); the
 * PMDs read their own maximum, stored with pmd_set_max_sleep().
 */
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "control.h"
#include "dp.h"

/* The maximum for 'core' under 's', capped. */
static uint32_t
sleep_for_core(const struct dp_pmd_sleep *s, unsigned core)
{
	unsigned long us = s->dflt;

	for (unsigned i = 0; i < s->n; i++)
		if (s->per[i].core == core)
			us = s->per[i].us;
	return (uint32_t)RTE_MIN(us, (unsigned long)PMD_MAX_SLEEP_US);
}

/*
 * 's' from 'cfg': pmd-sleep-max when set, else pmd-maxsleep, else 0.  A bad value (refused
 * before it gets here: config/check.c) leaves the default and is logged.
 */
static void
sleep_of(const struct vconf *cfg, struct dp_pmd_sleep *s)
{
	const char *list = vconf_map_get(&cfg->other_config, "pmd-sleep-max");
	const char *one = vconf_map_get(&cfg->other_config, "pmd-maxsleep");
	char *err = NULL;

	memset(s, 0, sizeof(*s));
	if (list != NULL) {
		s->key = "pmd-sleep-max";
		if (one != NULL)
			snprintf(s->shadowed, sizeof(s->shadowed), "%s", one);
		if (vconf_sleep_max_parse(list, &s->dflt, s->per, VCONF_SLEEP_CORES, &s->n) < 0) {
			dp_log("other_config:pmd-sleep-max '%s' is not a list of US or CORE:US: "
				"PMDs do not sleep", list);
			memset(s, 0, sizeof(*s));
		}
	} else if (one != NULL) {
		s->key = "pmd-maxsleep";
		if (vconf_parse_uint("other_config:pmd-maxsleep", one, 0, ULONG_MAX, &s->dflt,
				&err) < 0) {
			dp_log("%s: PMDs do not sleep", err ? err : "bad pmd-maxsleep");
			s->dflt = 0;
		}
		free(err);
	}
}

/*
 * Logged with Open vSwitch 3.1's lines for the default (each PMD's own change is logged by
 * dp_pmd_sleep_apply()), and what the cap changed, which Open vSwitch does silently.
 */
static void
sleep_log(const struct dp_pmd_sleep *s)
{
	uint32_t d = sleep_for_core(s, UINT32_MAX);

	if (s->dflt > PMD_MAX_SLEEP_US)
		dp_log("other_config:%s %lu is above %u: using %u", s->key, s->dflt,
			PMD_MAX_SLEEP_US, PMD_MAX_SLEEP_US);
	for (unsigned i = 0; i < s->n; i++)
		if (s->per[i].us > PMD_MAX_SLEEP_US)
			dp_log("other_config:%s: core %u: %lu is above %u: using %u", s->key,
				s->per[i].core, s->per[i].us, PMD_MAX_SLEEP_US, PMD_MAX_SLEEP_US);
	if (s->shadowed[0] != '\0')
		dp_log("other_config:pmd-maxsleep=%s is not used: pmd-sleep-max, its successor, "
			"is set", s->shadowed);
	dp_log("PMD max sleep request is %" PRIu32 " usecs.", d);
	dp_log("PMD load based sleeps are %s.", d ? "enabled" : "disabled");
}

static bool
sleep_same(const struct dp_pmd_sleep *a, const struct dp_pmd_sleep *b)
{
	if (a->dflt != b->dflt || a->n != b->n || strcmp(a->shadowed, b->shadowed) != 0)
		return false;
	for (unsigned i = 0; i < a->n; i++)
		if (a->per[i].core != b->per[i].core || a->per[i].us != b->per[i].us)
			return false;
	return true;
}

void
dp_pmd_sleep_configure(struct dp *dp, const struct vconf *cfg)
{
	struct dp_pmd_sleep s;

	sleep_of(cfg, &s);
	s.configured = true;
	/* Logged at start and on every change, as Open vSwitch does. */
	if (!dp->sleep.configured || !sleep_same(&s, &dp->sleep))
		sleep_log(&s);
	dp->sleep = s;
	dp_pmd_sleep_apply(dp);
}

/* Each PMD whose maximum changes (a new one starts at 0) says so with Open vSwitch 3.3's line. */
void
dp_pmd_sleep_apply(struct dp *dp)
{
	for (unsigned i = 0; i < dp->n_pmds; i++) {
		struct pmd *pmd = dp->pmds[i];
		uint32_t us = sleep_for_core(&dp->sleep, pmd->core);

		if (us == __atomic_load_n(&pmd->max_sleep_us, __ATOMIC_RELAXED))
			continue;
		dp_log("PMD thread on numa_id: %d, core id: %2u, max sleep: %4" PRIu32 " us.",
			pmd->numa, pmd->core, us);
		pmd_set_max_sleep(pmd, us);
	}
}

char *
dp_pmd_sleep_show(const struct dp *dp)
{
	struct control_buf b = { 0 };
	uint64_t hz = rte_get_tsc_hz();

	control_buf_printf(&b, "Default max sleep: %4" PRIu32 " us\n",
		sleep_for_core(&dp->sleep, UINT32_MAX));
	for (unsigned i = 0; i < dp->n_pmds; i++) {
		const struct pmd *pmd = dp->pmds[i];
		struct pmd_stats st;

		pmd_stats_read(pmd, &st);
		control_buf_printf(&b, "pmd thread numa_id %d core_id %u:\n", pmd->numa,
			pmd->core);
		control_buf_printf(&b, "  max sleep: %4" PRIu32 " us\n",
			__atomic_load_n(&pmd->max_sleep_us, __ATOMIC_RELAXED));
		control_buf_printf(&b, "  sleep iterations: %" PRIu64 " (%.1f%% of iterations)\n",
			st.sleep_iterations, st.iterations ?
			100.0 * (double)st.sleep_iterations / (double)st.iterations : 0.0);
		control_buf_printf(&b, "  time asleep: %.0f us\n",
			hz ? (double)st.sleep_cycles * 1e6 / (double)hz : 0.0);
	}
	return control_buf_steal(&b);
}
