/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flowtab microbenchmark: TSC cycles per packet spent in flowtab_process_burst() for the rule
 * sets of perf/p2p (in_port rules; an L3 set of drop rules over several masks plus a catch-all
 * forward rule per port) with 10 to 1M distinct flows, and the time and memory it takes to
 * install 100k rules.
 *
 * Usage: flowtab_bench [--quick] [--no-huge] [--only SET:FLOWS] [--install]
 * cycles/pkt is the median over bursts (robust to preemption on a shared machine) of the best
 * of three runs; the mean over all bursts is shown next to it.
 * Packets are built outside the timed region (as a vhost copy or NIC DMA would leave them);
 * the timed region is classification, actions and the output callback (which only collects).
 */

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include "flowtab.h"

#define BURST 32

static struct rte_mempool *mp;
static struct rte_mbuf *sent[BURST * 4];
static unsigned n_sent;
static bool quick;
static int only_set = -1;
static long only_flows = -1;

static void
out_output(void *ctx, uint32_t port, struct rte_mbuf *m)
{
	(void)ctx;
	(void)port;
	sent[n_sent++] = m;
}

static void
out_normal(void *ctx, uint32_t in_port, struct rte_mbuf *m)
{
	out_output(ctx, in_port, m);
}

static void
out_flood(void *ctx, uint32_t in_port, struct rte_mbuf *m, bool all)
{
	(void)all;
	out_output(ctx, in_port, m);
}

static const struct flowtab_out out = {
	.output = out_output, .normal = out_normal, .flood = out_flood,
};

static int
by_name(void *aux, const char *name, uint32_t *ofport)
{
	(void)aux;
	if (!strcmp(name, "vhu0") || !strcmp(name, "vhu1")) {
		*ofport = (uint32_t)(name[3] - '0' + 1);
		return 0;
	}
	return -1;
}

static const struct flowtab_port_ops ports = { by_name, NULL, NULL };

/* A 64-byte UDP frame 10.F.F.F:F -> 192.0.2.1:9 for flow F. */
static uint8_t tmpl[64] = {
	0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00,
	0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 0, 192, 0, 2, 1,
	0, 0, 0, 9, 0, 26, 0, 0,
};

static void
build(struct rte_mbuf **pkts, uint64_t *flow_seq, uint64_t n_flows)
{
	unsigned i;

	for (i = 0; i < BURST; i++) {
		uint8_t *d = (uint8_t *)rte_pktmbuf_append(pkts[i], 64);
		uint64_t f = (*flow_seq)++ * 0x9e3779b1ull % n_flows;

		memcpy(d, tmpl, 64);
		d[27] = (uint8_t)(f >> 16);
		d[28] = (uint8_t)(f >> 8);
		d[29] = (uint8_t)f;
		d[34] = (uint8_t)(f >> 24);
		d[35] = (uint8_t)(f >> 32);
	}
}

struct result {
	double cycles;          /**< median over bursts, per packet: robust to preemption */
	double mean;            /**< mean over all bursts, per packet */
	double emc_rate;
};

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static struct result
run(struct flowtab *ft, uint64_t n_flows, uint64_t n_pkts)
{
	struct flowtab_pmd *pmd = flowtab_pmd_create(0, (int)rte_socket_id());
	struct rte_mbuf *pkts[BURST];
	uint64_t seq = 0, cycles = 0, done = 0, warm = n_flows < 100000 ? n_flows * 2 : n_flows;
	uint64_t emc0 = 0, pass0 = 0, t;
	const struct flowtab_pmd_stats *st = flowtab_pmd_stats(pmd);
	struct result r;
	uint32_t *per_burst = malloc((n_pkts / BURST + 1) * sizeof(*per_burst));
	size_t nb = 0;

	if (!per_burst)
		exit(1);
	if (warm < 4096)
		warm = 4096;
	while (done < warm + n_pkts) {
		if (done == warm - warm % BURST || (done < warm + BURST && done >= warm)) {
			if (!cycles && !emc0) {
				emc0 = st->emc_hits;
				pass0 = st->passes;
			}
		}
		if (rte_pktmbuf_alloc_bulk(mp, pkts, BURST)) {
			fprintf(stderr, "mbuf pool empty\n");
			exit(1);
		}
		build(pkts, &seq, n_flows);
		n_sent = 0;
		t = rte_rdtsc_precise();
		flowtab_process_burst(pmd, ft, pkts, BURST, 1, &out);
		t = rte_rdtsc_precise() - t;
		if (done >= warm) {
			cycles += t;
			per_burst[nb++] = t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
		}
		rte_pktmbuf_free_bulk(sent, n_sent);
		done += BURST;
	}
	qsort(per_burst, nb, sizeof(*per_burst), cmp_u32);
	r.cycles = (double)per_burst[nb / 2] / BURST;
	r.mean = (double)cycles / (double)(nb * BURST);
	free(per_burst);
	r.emc_rate = st->passes > pass0 ?
		100.0 * (double)(st->emc_hits - emc0) / (double)(st->passes - pass0) : 0;
	flowtab_pmd_destroy(pmd);
	return r;
}

static void
add_texts(struct flowtab *ft, char **texts, size_t n)
{
	char *err = NULL;

	if (flowtab_add_flows(ft, (const char *const *)texts, NULL, n, "bench", &err)) {
		fprintf(stderr, "add: %s\n", err);
		exit(1);
	}
}

static struct flowtab *
ruleset_in_port(void)
{
	struct flowtab *ft = flowtab_create("br0", &ports, NULL);
	char *t[] = { "in_port=vhu0,actions=output:vhu1", "in_port=vhu1,actions=output:vhu0" };

	add_texts(ft, t, 2);
	return ft;
}

/* 800 drop rules over 4 masks that the traffic never hits, plus a catch-all per port. */
static struct flowtab *
ruleset_l3(void)
{
	struct flowtab *ft = flowtab_create("br0", &ports, NULL);
	char *t[802];
	int i;

	for (i = 0; i < 200; i++) {
		if (asprintf(&t[i], "priority=100,ip,nw_dst=198.0.%d.0/24,actions=drop", i) < 0 ||
		    asprintf(&t[200 + i], "priority=110,ip,nw_src=172.16.0.%d,actions=drop", i) < 0 ||
		    asprintf(&t[400 + i], "priority=120,udp,tp_dst=%d,actions=drop", 1000 + i) < 0 ||
		    asprintf(&t[600 + i], "priority=130,ip,nw_src=11.%d.0.0/16,"
				    "nw_dst=12.%d.0.0/16,actions=drop", i, i) < 0)
			exit(1);
	}
	t[800] = strdup("priority=1,in_port=vhu0,actions=output:vhu1");
	t[801] = strdup("priority=1,in_port=vhu1,actions=output:vhu0");
	add_texts(ft, t, 802);
	for (i = 0; i < 802; i++)
		free(t[i]);
	return ft;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
bench_install(void)
{
	const size_t n = 100000;
	char **t = malloc(n * sizeof(*t));
	struct flowtab *ft = flowtab_create("br0", &ports, NULL);
	struct mallinfo2 before, after;
	double t0, t1, t2;
	char *err = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		/* Four masks, 25k rules each. */
		int r;

		switch (i % 4) {
		case 0:
			r = asprintf(&t[i], "priority=%zu,ip,nw_src=10.%zu.%zu.%zu,actions=output:vhu1",
					i % 1000, i >> 16 & 255, i >> 8 & 255, i & 255);
			break;
		case 1:
			r = asprintf(&t[i], "priority=%zu,ip,nw_dst=10.%zu.%zu.0/24,actions=drop",
					i % 1000, i >> 16 & 255, i >> 8 & 255);
			break;
		case 2:
			r = asprintf(&t[i], "priority=%zu,udp,nw_dst=10.%zu.%zu.%zu,tp_dst=%zu,actions=drop",
					i % 1000, i >> 16 & 255, i >> 8 & 255, i & 255, i % 65536);
			break;
		default:
			r = asprintf(&t[i], "priority=%zu,in_port=vhu0,dl_src=02:00:00:%02zx:%02zx:%02zx,"
					"actions=output:vhu1", i % 1000, i >> 16 & 255, i >> 8 & 255, i & 255);
			break;
		}
		if (r < 0)
			exit(1);
	}
	before = mallinfo2();
	t0 = now_s();
	add_texts(ft, t, n);
	t1 = now_s();
	after = mallinfo2();
	for (i = 0; i < 20; i++) {
		char text[128];
		const char *p = text;

		/* Into the 25k rules of the nw_src mask (a controller's exact-match rules). */
		snprintf(text, sizeof(text), "priority=5,ip,nw_src=1.2.3.%zu,actions=drop", i);
		if (flowtab_add_flows(ft, &p, NULL, 1, NULL, &err))
			exit(1);
	}
	t2 = now_s();
	printf("\ninstall %zu rules (4 masks) with one add-flows: %.3f s, %.0f MiB (%.0f bytes/rule)\n",
			flowtab_n_rules(ft) - 20, t1 - t0,
			(double)(after.uordblks + after.hblkhd - before.uordblks - before.hblkhd) / 1048576.0,
			(double)(after.uordblks + after.hblkhd - before.uordblks - before.hblkhd) / (double)n);
	printf("then one add-flow at a time into that table (a mask of 25k rules): %.2f ms each\n",
			(t2 - t1) * 1e3 / 20);
	for (i = 0; i < n; i++)
		free(t[i]);
	free(t);
	flowtab_destroy(ft);
}

int
main(int argc, char **argv)
{
	static const uint64_t flows[] = { 10, 1000, 100000, 1000000 };
	char prefix[64], *eal[16] = { argv[0], "--no-pci", "-m", "1024", "--file-prefix", prefix,
		"--log-level=lib.eal:error", "--no-telemetry", "-l", "0" };
	int n_eal = 10, i, s, rep;
	unsigned f;

	snprintf(prefix, sizeof(prefix), "ft-bench-%d", (int)getpid());
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			quick = true;
		else if (!strcmp(argv[i], "--no-huge"))
			eal[n_eal++] = "--no-huge";
		else if (!strcmp(argv[i], "--install"))
			only_set = 99;
		else if (!strcmp(argv[i], "--only") && i + 1 < argc &&
			 sscanf(argv[++i], "%d:%ld", &only_set, &only_flows) == 2)
			continue;
		else {
			fprintf(stderr, "usage: %s [--quick] [--no-huge] [--only SET:FLOWS] [--install]\n",
					argv[0]);
			return 2;
		}
	}
	if (rte_eal_init(n_eal, eal) < 0) {
		fprintf(stderr, "rte_eal_init failed (try --no-huge)\n");
		return 1;
	}
	mp = rte_pktmbuf_pool_create("bench", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
			(int)rte_socket_id());
	if (!mp)
		return 1;
	printf("flowtab_process_burst, bursts of %d 64-byte UDP packets, TSC %.2f GHz\n", BURST,
			(double)rte_get_tsc_hz() / 1e9);
	printf("%-34s %10s %12s %12s %10s %12s\n", "rule set", "flows", "cycles/pkt", "(mean)",
			"EMC hit%", "Mpps/core");
	for (s = 0; s < 2; s++) {
		if (only_set >= 0 && s != only_set)
			continue;
		struct flowtab *ft = s == 0 ? ruleset_in_port() : ruleset_l3();

		for (f = 0; f < RTE_DIM(flows); f++) {
			uint64_t n_pkts = quick ? 200000 : 4000000;
			struct result r;

			if (only_flows >= 0 && (uint64_t)only_flows != flows[f])
				continue;
			if (only_flows >= 0)
				n_pkts *= 5;
			if (n_pkts < flows[f] * 3 && !quick)
				n_pkts = flows[f] * 3;
			r = run(ft, flows[f], n_pkts);
			for (rep = 1; rep < (quick ? 1 : 3); rep++) {
				struct result r2 = run(ft, flows[f], n_pkts);

				if (r2.cycles < r.cycles)
					r = r2;
			}
			printf("%-34s %10" PRIu64 " %12.1f %12.1f %10.1f %12.1f\n",
					s == 0 ? "in_port (2 rules)" : "L3: 800 drops/4 masks + catch-all",
					flows[f], r.cycles, r.mean, r.emc_rate,
					(double)rte_get_tsc_hz() / r.cycles / 1e6);
		}
		flowtab_destroy(ft);
	}
	if (only_set < 0 || only_set == 99)
		bench_install();
	rte_eal_cleanup();
	return 0;
}
