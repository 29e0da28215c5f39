/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pmd-auto-lb: Open vSwitch's automatic re-placement of rx queues.
 *
 * Every pmd-auto-lb-rebal-interval minutes (default 1; 0 means 1) the main thread looks at
 * each PMD's busy share of its cycles over the interval.  When a PMD that is not isolated
 * was busier than pmd-auto-lb-load-threshold percent (default 95) and a dry run of the
 * placement with the queues' measured loads (pmd_rxq_improvement) spreads the load better by
 * at least pmd-auto-lb-improvement-threshold percent (default 25), the queues are placed
 * anew with the current pmd-rxq-assign.  "roundrobin" ignores loads, so it never moves.
 *
 * Who touches what: the main thread only (dp_run, dp_reconfigure); the PMD counters are
 * read with pmd_stats_read(), which copies what each PMD writes.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dp.h"

static unsigned long
key_uint(const struct vconf *cfg, const char *key, unsigned long max, unsigned long dflt)
{
	const char *v = vconf_map_get(&cfg->other_config, key);
	unsigned long x;
	char *err = NULL;

	if (v == NULL)
		return dflt;
	if (vconf_parse_uint(key, v, 0, max, &x, &err) < 0) {
		/* vconf_check_other_config() refuses it first; should one get here: */
		dp_log("other_config:%s: %s: using %lu", key, err, dflt);
		free(err);
		return dflt;
	}
	return x;
}

void
dp_auto_lb_configure(struct dp *dp, const struct vconf *cfg)
{
	const char *on = vconf_map_get(&cfg->other_config, "pmd-auto-lb");
	struct dp_auto_lb lb = dp->auto_lb;

	lb.enabled = on != NULL && strcasecmp(on, "true") == 0;	/* as smap_get_bool() */
	lb.load_pct = (unsigned)key_uint(cfg, "pmd-auto-lb-load-threshold", 100, 95);
	lb.improve_pct = (unsigned)key_uint(cfg, "pmd-auto-lb-improvement-threshold", 100, 25);
	lb.interval_min = (unsigned)key_uint(cfg, "pmd-auto-lb-rebal-interval", 20000, 1);
	if (lb.interval_min == 0)
		lb.interval_min = 1;
	if (lb.enabled != dp->auto_lb.enabled || (lb.enabled &&
			(lb.load_pct != dp->auto_lb.load_pct ||
			lb.improve_pct != dp->auto_lb.improve_pct ||
			lb.interval_min != dp->auto_lb.interval_min))) {
		if (lb.enabled)
			dp_log("PMD auto load balance is enabled, interval %u mins, pmd load "
				"threshold %u%%, improvement threshold %u%%", lb.interval_min,
				lb.load_pct, lb.improve_pct);
		else if (dp->auto_lb.enabled)
			dp_log("PMD auto load balance is disabled");
		lb.next_check = 0;	/* start a new interval */
	}
	dp->auto_lb = lb;
}

/*
 * The busiest PMD that is not isolated since the last snapshot: its busy share in percent
 * (rounded down) and its core, and in '*over' whether that share is above the threshold
 * (compared exactly: with threshold 0, any busy cycle is above); -1 when there is no usable
 * interval (PMDs restarted, stats cleared).  Takes a new snapshot.
 */
static int
busiest(struct dp *dp, unsigned *core, bool *over)
{
	struct dp_auto_lb *lb = &dp->auto_lb;
	bool usable = lb->n_snap == dp->n_pmds;
	int best = -1;

	*over = false;

	for (unsigned i = 0; i < dp->n_pmds && i < PORT_MAX_PMDS; i++) {
		struct pmd_stats st;
		uint64_t busy, idle;

		pmd_stats_read(dp->pmds[i], &st);
		if (st.busy_cycles < lb->busy[i] || st.idle_cycles + st.sleep_cycles < lb->idle[i])
			usable = false;
		/* Time asleep is time the PMD could have worked: its share of the whole. */
		busy = st.busy_cycles - lb->busy[i];
		idle = st.idle_cycles + st.sleep_cycles - lb->idle[i];
		lb->busy[i] = st.busy_cycles;
		lb->idle[i] = st.idle_cycles + st.sleep_cycles;
		if (!usable || dp->pmds[i]->isolated || busy + idle == 0)
			continue;
		*over |= busy * 100 > (uint64_t)lb->load_pct * (busy + idle);
		if ((int)(busy * 100 / (busy + idle)) > best) {
			best = (int)(busy * 100 / (busy + idle));
			*core = dp->pmds[i]->core;
		}
	}
	lb->n_snap = dp->n_pmds;
	return usable ? best : -1;
}

void
dp_auto_lb_run(struct dp *dp, uint64_t now_s)
{
	struct dp_auto_lb *lb = &dp->auto_lb;
	struct port *ports[PORT_MAX_SLOTS];
	unsigned n = 0, core = 0, pct;
	bool over;
	int busy;

	if (!lb->enabled || dp->rxq_policy.algo == PMD_RXQ_ROUNDROBIN)
		return;
	if (lb->next_check == 0) {
		lb->n_snap = 0;
		(void)busiest(dp, &core, &over);
		lb->next_check = now_s + lb->interval_min * 60ull;
		return;
	}
	if (now_s < lb->next_check)
		return;
	lb->next_check = now_s + lb->interval_min * 60ull;
	busy = busiest(dp, &core, &over);
	if (busy < 0 || !over)
		return;
	for (unsigned i = 0; i < PORT_MAX_SLOTS; i++)
		if (dp->slots[i] != NULL && dp->slots[i]->error == NULL &&
				dp->slots[i]->port.priv != NULL)
			ports[n++] = &dp->slots[i]->port;
	if (pmd_rxq_improvement(dp->pmds, dp->n_pmds, ports, n, &dp->rxq_policy, &pct) < 0 ||
			pct < lb->improve_pct) {
		dp_log("PMD auto load balance: core %u was %d%% busy, but re-placing the rx queues "
			"would improve the load variance by %u%% only: not done", core, busy, pct);
		return;
	}
	dp_log("PMD auto load balance: core %u was %d%% busy; re-placing the rx queues "
		"improves the load variance by %u%%", core, busy, pct);
	dp_rxq_reassign(dp);
}
