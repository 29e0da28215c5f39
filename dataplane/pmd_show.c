/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PMD statistics as dpif-netdev/pmd-stats-show and pmd-rxq-show print them, with Open
 * vSwitch's line names (scripts parse them): the PMD's own counters and its flowtab's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <rte_cycles.h>

#include "control.h"
#include "dp.h"

struct pmd_view {
	struct pmd_stats s;
	struct flowtab_pmd_stats f;
};

static void
view(const struct pmd *pmd, struct pmd_view *v)
{
	const struct dp_pmd_ctx *c = pmd->ctx;
	const uint64_t *src = (const uint64_t *)flowtab_pmd_stats(c->ft);
	const uint64_t *clr = (const uint64_t *)&c->ft_cleared;
	uint64_t *dst = (uint64_t *)&v->f;

	pmd_stats_read(pmd, &v->s);
	for (size_t i = 0; i < sizeof(v->f) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED) - clr[i];
}

static double
ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

char *
dp_pmd_stats_show(struct pmd **pmds, unsigned n)
{
	struct control_buf b = { 0 };

	for (unsigned i = 0; i < n; i++) {
		struct pmd_view v;
		uint64_t total, passes;

		view(pmds[i], &v);
		total = v.s.idle_cycles + v.s.busy_cycles;
		/* MAC learning is one pass; flowtab counts its own (resubmits add passes). */
		passes = v.s.mac_hits + v.f.passes;
		if (passes < v.s.packets_rx)
			passes = v.s.packets_rx;
		control_buf_printf(&b, "pmd thread numa_id %d core_id %u:\n", pmds[i]->numa,
			pmds[i]->core);
		control_buf_printf(&b, "  packets received: %" PRIu64 "\n", v.s.packets_rx);
		control_buf_printf(&b, "  packet recirculations: %" PRIu64 "\n",
			passes - v.s.packets_rx);
		control_buf_printf(&b, "  avg. datapath passes per packet: %.02f\n",
			ratio(passes, v.s.packets_rx));
		control_buf_printf(&b, "  mac learning hits: %" PRIu64 "\n", v.s.mac_hits);
		control_buf_printf(&b, "  emc hits: %" PRIu64 "\n", v.f.emc_hits);
		control_buf_printf(&b, "  smc hits: %" PRIu64 "\n", v.f.smc_hits);
		control_buf_printf(&b, "  megaflow hits: %" PRIu64 "\n", v.f.megaflow_hits);
		control_buf_printf(&b, "  avg. subtable lookups per megaflow hit: %.02f\n",
			ratio(v.f.subtable_lookups, v.f.megaflow_hits));
		control_buf_printf(&b, "  table misses: %" PRIu64 "\n", v.f.misses);
		control_buf_printf(&b, "  resubmit limit drops: %" PRIu64 "\n",
			v.f.too_many_resubmits + v.f.recursion_too_deep);
		control_buf_printf(&b, "  avg. packets per output batch: %.02f\n",
			ratio(v.s.out_packets, v.s.out_batches));
		control_buf_printf(&b, "  idle cycles: %" PRIu64 " (%.02f%%)\n", v.s.idle_cycles,
			100.0 * ratio(v.s.idle_cycles, total));
		control_buf_printf(&b, "  processing cycles: %" PRIu64 " (%.02f%%)\n",
			v.s.busy_cycles, 100.0 * ratio(v.s.busy_cycles, total));
		control_buf_printf(&b, "  avg cycles per packet: %.02f (%" PRIu64 "/%" PRIu64 ")\n",
			ratio(total, v.s.packets_rx), total, v.s.packets_rx);
		control_buf_printf(&b, "  avg processing cycles per packet: %.02f (%" PRIu64 "/%"
			PRIu64 ")\n", ratio(v.s.busy_cycles, v.s.packets_rx), v.s.busy_cycles,
			v.s.packets_rx);
	}
	return control_buf_steal(&b);
}

void *
dp_pmd_stats_json(struct pmd **pmds, unsigned n)
{
	json_t *arr = json_array();

	for (unsigned i = 0; i < n; i++) {
		struct pmd_view v;
		uint64_t total;

		view(pmds[i], &v);
		total = v.s.idle_cycles + v.s.busy_cycles;
		json_array_append_new(arr, json_pack("{s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
			" s:I, s:I, s:f, s:f}",
			"numa_id", pmds[i]->numa, "core_id", (int)pmds[i]->core,
			"packets_received", (json_int_t)v.s.packets_rx,
			"mac_learning_hits", (json_int_t)v.s.mac_hits,
			"emc_hits", (json_int_t)v.f.emc_hits,
			"smc_hits", (json_int_t)v.f.smc_hits,
			"megaflow_hits", (json_int_t)v.f.megaflow_hits,
			"table_misses", (json_int_t)v.f.misses,
			"idle_cycles", (json_int_t)v.s.idle_cycles,
			"processing_cycles", (json_int_t)v.s.busy_cycles,
			"output_batches", (json_int_t)v.s.out_batches,
			"avg_cycles_per_packet", ratio(total, v.s.packets_rx),
			"avg_processing_cycles_per_packet", ratio(v.s.busy_cycles, v.s.packets_rx)));
	}
	return json_pack("{s:o}", "pmds", arr);
}

void
dp_pmd_stats_clear(struct pmd **pmds, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct dp_pmd_ctx *c = pmds[i]->ctx;
		const uint64_t *src = (const uint64_t *)flowtab_pmd_stats(c->ft);
		uint64_t *dst = (uint64_t *)&c->ft_cleared;

		pmd_stats_clear(pmds[i]);
		for (size_t k = 0; k < sizeof(c->ft_cleared) / sizeof(uint64_t); k++)
			dst[k] = __atomic_load_n(&src[k], __ATOMIC_RELAXED);
	}
}

/*
 * pmd-rxq-show: a queue's "pmd usage" is, as in Open vSwitch, its processing cycles over all
 * the cycles (busy and idle) of its PMD in the last measurement interval, so a queue alone on
 * an idle PMD shows little; "NOT AVAIL" before the first interval.
 */
char *
dp_pmd_rxq_show(struct pmd **pmds, unsigned n)
{
	struct control_buf b = { 0 };

	for (unsigned i = 0; i < n; i++) {
		const struct pmd_rxq_set *set = __atomic_load_n(&pmds[i]->rxqs, __ATOMIC_ACQUIRE);
		uint64_t total = pmds[i]->interval_cycles;

		control_buf_printf(&b, "pmd thread numa_id %d core_id %u:\n", pmds[i]->numa,
			pmds[i]->core);
		control_buf_printf(&b, "  isolated : %s\n", pmds[i]->isolated ? "true" : "false");
		for (uint32_t q = 0; set && q < set->n; q++) {
			const struct port *p = set->rxq[q].port;
			uint16_t qid = set->rxq[q].qid;
			uint64_t load = p->rxq_stats[qid].load;

			control_buf_printf(&b, "  port: %-16s queue-id: %2u (%s)  pmd usage: ",
				p->name, qid, p->rxq_enabled[qid] ? "enabled" : "disabled");
			if (total)
				control_buf_printf(&b, "%3.0f %%\n",
					RTE_MIN(100.0, 100.0 * (double)load / (double)total));
			else
				control_buf_printf(&b, "NOT AVAIL\n");
		}
	}
	return control_buf_steal(&b);
}

/* pmd-perf-show's lines for one PMD, over its last 'secs' seconds. */
static void
perf_show_one(struct control_buf *b, const struct pmd *pmd, double secs, uint64_t hz)
{
	struct pmd_view v;
	uint64_t used, passes, total_tsc = (uint64_t)(secs * (double)hz);

	view(pmd, &v);
	used = v.s.idle_cycles + v.s.busy_cycles;
	passes = v.s.mac_hits + v.f.passes;
	if (passes < v.s.packets_rx)
		passes = v.s.packets_rx;
	control_buf_printf(b, "  Iterations:        %12" PRIu64 "  (%.2f us/it)\n",
		v.s.iterations, v.s.iterations ? secs * 1e6 / (double)v.s.iterations : 0.0);
	control_buf_printf(b, "  - Used TSC cycles: %12" PRIu64 "  (%5.1f %% of total "
		"cycles)\n", used, 100.0 * ratio(used, total_tsc));
	control_buf_printf(b, "  - idle cycles:     %12" PRIu64 "  (%5.1f %% of used "
		"cycles)\n", v.s.idle_cycles, 100.0 * ratio(v.s.idle_cycles, used));
	control_buf_printf(b, "  - busy cycles:     %12" PRIu64 "  (%5.1f %% of used "
		"cycles)\n", v.s.busy_cycles, 100.0 * ratio(v.s.busy_cycles, used));
	control_buf_printf(b, "  - sleep iterations:%12" PRIu64 "  (%5.1f %% of "
		"iterations)\n", v.s.sleep_iterations,
		100.0 * ratio(v.s.sleep_iterations, v.s.iterations));
	control_buf_printf(b, "  Sleep time (us):   %12.0f  (%3.0f us/iteration avg.)\n",
		hz ? (double)v.s.sleep_cycles * 1e6 / (double)hz : 0.0,
		hz ? (double)v.s.sleep_cycles * 1e6 / (double)hz /
		(double)(v.s.sleep_iterations ? v.s.sleep_iterations : 1) : 0.0);
	control_buf_printf(b, "  Rx packets:        %12" PRIu64 "  (%.0f Kpps, %.0f "
		"cycles/pkt)\n", v.s.packets_rx,
		secs > 0 ? (double)v.s.packets_rx / secs / 1000.0 : 0.0,
		ratio(v.s.busy_cycles, v.s.packets_rx));
	control_buf_printf(b, "  Datapath passes:   %12" PRIu64 "  (%.2f passes/pkt)\n",
		passes, ratio(passes, v.s.packets_rx));
	control_buf_printf(b, "  - MAC learning:    %12" PRIu64 "  (%5.1f %%)\n",
		v.s.mac_hits, 100.0 * ratio(v.s.mac_hits, passes));
	control_buf_printf(b, "  - EMC hits:        %12" PRIu64 "  (%5.1f %%)\n",
		v.f.emc_hits, 100.0 * ratio(v.f.emc_hits, passes));
	control_buf_printf(b, "  - SMC hits:        %12" PRIu64 "  (%5.1f %%)\n",
		v.f.smc_hits, 100.0 * ratio(v.f.smc_hits, passes));
	control_buf_printf(b, "  - Megaflow hits:   %12" PRIu64 "  (%5.1f %%, %.2f "
		"subtbl lookups/hit)\n", v.f.megaflow_hits,
		100.0 * ratio(v.f.megaflow_hits, passes),
		ratio(v.f.subtable_lookups, v.f.megaflow_hits));
	control_buf_printf(b, "  - Upcalls:         %12d  (%5.1f %%, %.1f us/upcall)\n",
		0, 0.0, 0.0);
	control_buf_printf(b, "  - Table misses:    %12" PRIu64 "  (%5.1f %%)\n",
		v.f.misses, 100.0 * ratio(v.f.misses, passes));
	control_buf_printf(b, "  Tx packets:        %12" PRIu64 "  (%.0f Kpps)\n",
		v.s.out_packets, secs > 0 ? (double)v.s.out_packets / secs / 1000.0 : 0.0);
	control_buf_printf(b, "  Tx batches:        %12" PRIu64 "  (%.2f pkts/batch)\n",
		v.s.out_batches, ratio(v.s.out_packets, v.s.out_batches));
}

/*
 * pmd-perf-show, in Open vSwitch's layout: each PMD with its own time and measurement
 * duration, from its start or its last pmd-stats-clear.  The PMD counts iterations and
 * idle/busy cycles but not idle and busy iterations apart, so those two lines give cycles;
 * there are no upcalls (a miss is a table miss, dropped as OpenFlow 1.3 says).
 */
char *
dp_pmd_perf_show(struct pmd **pmds, unsigned n)
{
	struct control_buf b = { 0 };
	uint64_t hz = rte_get_tsc_hz(), now = rte_get_tsc_cycles();
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	for (unsigned i = 0; i < n; i++) {
		double secs = hz ? (double)(now - pmds[i]->since_tsc) / (double)hz : 0.0;

		control_buf_printf(&b, "Time: %02d:%02d:%02d\nMeasurement duration: %.3f s\n\n",
			tm.tm_hour, tm.tm_min, tm.tm_sec, secs);
		control_buf_printf(&b, "pmd thread numa_id %d core_id %u:\n\n", pmds[i]->numa,
			pmds[i]->core);
		perf_show_one(&b, pmds[i], secs, hz);
		control_buf_printf(&b, "\n");
	}
	return control_buf_steal(&b);
}
