/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Policers (port/port_police.c) against the clock, on a port whose receive makes packets
 * as fast as it is polled and whose transmit frees them: what passes an ingress or egress
 * policer saturated for SECS seconds is its burst plus its rate times that time, within
 * 5 %, the rate being the port's whatever its rx queues and PMDs do:
 *   - policing set before the rx queues are enabled (a vhost-user port before its guest),
 *     then two threads polling a queue each;
 *   - policing set with four queues enabled, only one of them carrying traffic;
 *   - egress with two PMDs of which one sends.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "check.h"
#include "port.h"

#define FRAME 1014		/* 1000 bytes once the Ethernet header is left out */
#define SECS 0.5
#define RATE_KBPS 8000		/* 1 MB/s */
/* 100 kB: 100 ms of the rate, longer than a busy host keeps a thread off its core */
#define BURST_KB 800

/* A pool for each thread: a ring shared by threads that a busy host preempts stalls them
 * all, and the policers would then be measured below their rate. */
static struct rte_mempool *pools[2];
static struct port port;

static uint16_t
stub_rx(struct port *p, uint16_t qid, struct rte_mbuf **pkts, uint16_t n)
{
	(void)p;
	if (rte_pktmbuf_alloc_bulk(pools[qid % 2], pkts, n) != 0)
		return 0;
	for (uint16_t i = 0; i < n; i++)
		rte_pktmbuf_append(pkts[i], FRAME);
	return n;
}

static uint16_t
stub_tx(struct port *p, uint16_t qid, struct rte_mbuf **pkts, uint16_t n,
	uint64_t *failed_bytes)
{
	(void)p;
	(void)qid;
	(void)failed_bytes;
	rte_pktmbuf_free_bulk(pkts, n);
	return 0;
}

static const struct port_ops stub_ops = {
	.type = "stub",
	.rx = stub_rx,
	.tx = stub_tx,
};

struct poller {
	pthread_t thread;
	uint16_t qid;		/* the rx queue it polls, or (egress) its PMD index */
	bool egress;
	uint64_t end;		/* TSC */
	uint64_t passed;	/* packets */
};

/* A PMD's loop: receive from its queue, or send what it makes, until 'end'. */
static void *
poll_loop(void *arg)
{
	struct poller *w = arg;
	struct rte_mbuf *pkts[PORT_BURST];

	while (rte_rdtsc() < w->end) {
		if (!w->egress) {
			uint16_t got = port_rx(&port, w->qid, pkts, PORT_BURST);

			w->passed += got;
			rte_pktmbuf_free_bulk(pkts, got);
		} else if (rte_pktmbuf_alloc_bulk(pools[w->qid % 2], pkts, PORT_BURST) == 0) {
			for (unsigned i = 0; i < PORT_BURST; i++)
				rte_pktmbuf_append(pkts[i], FRAME);
			w->passed += PORT_BURST - port_tx_burst(&port, w->qid, pkts, PORT_BURST);
		}
	}
	return NULL;
}

/*
 * Run 'n' pollers on queues (or PMD indices) 'qids' for SECS s; check that the bytes that
 * passed are burst + rate x time within 5 %.
 */
static void
saturate(const char *what, const uint16_t *qids, unsigned n, bool egress, double rate_bps,
	double burst_bytes)
{
	struct poller w[4] = { 0 };
	uint64_t t0 = rte_rdtsc(), passed = 0;
	double secs, want, got;

	for (unsigned i = 0; i < n; i++) {
		w[i] = (struct poller){ .qid = qids[i], .egress = egress,
			.end = t0 + (uint64_t)(SECS * (double)rte_get_tsc_hz()) };
		if (pthread_create(&w[i].thread, NULL, poll_loop, &w[i]) != 0) {
			CHECK(false, "%s: pthread_create", what);
			return;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		pthread_join(w[i].thread, NULL);
		passed += w[i].passed;
	}
	/* The threads poll until 'end' (a late one finds the bucket full, as it was at t0). */
	secs = (double)(w[0].end - t0) / (double)rte_get_tsc_hz();
	want = burst_bytes + rate_bps * secs;
	got = (double)passed * (FRAME - 14);
	printf("%s: %.0f bytes in %.3f s, %.1f %% of burst + rate x time (%.0f)\n", what, got,
		secs, 100 * got / want, want);
	CHECK(got >= 0.95 * want && got <= 1.05 * want,
		"%s: %.0f bytes passed, burst + rate x time is %.0f", what, got, want);
}

/* Policing 'pol' on a port of 4 rx queues, of which 'n_enabled' are enabled, 2 PMDs. */
static void
set_policing(const struct port_policing *pol, unsigned n_enabled)
{
	const struct port_policing none = { 0 };
	struct port_env env = { .n_pmds = 2 };
	char *err = NULL;

	/* The previous test's policers go. */
	port_set_policing(&port, &none, &env, &err);
	memset(&port, 0, sizeof(port));
	port.ops = &stub_ops;
	port.priv = &port;
	port.n_rxq = 4;
	port.n_txq = 2;
	for (unsigned q = 0; q < n_enabled; q++)
		port.rxq_enabled[q] = 1;
	CHECK(port_set_policing(&port, pol, &env, &err) == 0, "port_set_policing: %s",
		err ? err : "");
	free(err);
}

int
main(int argc, char **argv)
{
	const struct port_policing in = { .in_kbps = RATE_KBPS, .in_burst_kb = BURST_KB };
	const struct port_policing out = { .out_cir = RATE_KBPS * 125, .out_cbs = BURST_KB * 125 };
	static const uint16_t q01[] = { 0, 1 }, q0[] = { 0 };
	char prefix[64];
	char *eal[] = { argv[0], "--no-huge", "--no-pci", "-m", "128", "--file-prefix", prefix,
		"--log-level=lib.eal:error", "--no-telemetry", "-l", "0", NULL };

	(void)argc;
	snprintf(prefix, sizeof(prefix), "police-test-%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	pools[0] = rte_pktmbuf_pool_create("police0", 1024, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	pools[1] = rte_pktmbuf_pool_create("police1", 1024, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	if (!CHECK(pools[0] != NULL && pools[1] != NULL, "mbuf pools"))
		return check_report("test_police");

	/* A vhost-user port policed before its guest enables four queues, polled by two PMDs. */
	set_policing(&in, 0);
	for (unsigned q = 0; q < 4; q++)
		port.rxq_enabled[q] = 1;
	saturate("ingress, queues enabled after policing, 2 PMDs", q01, 2, false,
		RATE_KBPS * 125.0, BURST_KB * 125.0);

	/* Four queues enabled when policing is set, traffic on one. */
	set_policing(&in, 4);
	saturate("ingress, 4 queues enabled, traffic on queue 0", q0, 1, false,
		RATE_KBPS * 125.0, BURST_KB * 125.0);

	/* Egress: two PMDs, one sends. */
	set_policing(&out, 4);
	saturate("egress-policer, 2 PMDs, one sends", q0, 1, true, RATE_KBPS * 125.0,
		BURST_KB * 125.0);

	set_policing(&(struct port_policing){ 0 }, 0);
	rte_mempool_free(pools[0]);
	rte_mempool_free(pools[1]);
	rte_eal_cleanup();
	return check_report("test_police");
}
