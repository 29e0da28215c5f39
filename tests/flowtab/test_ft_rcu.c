/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rule changes while another thread classifies: every packet leaves exactly once, and what a
 * reader sees of versioned rules never goes backwards or mixes two versions of an atomic
 * add-flows, of a batch that deletes them and adds the next, or of a batch that modifies
 * both, within one burst.  Adding and deleting rules does not wait for a reader that is
 * still in its burst (what they retire is freed after it, checked by LeakSanitizer).
 */

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_rcu_qsbr.h>

#include "ft_test_util.h"
#include "rcu.h"

#define N_UPDATES 150

static struct rte_mempool *mp;
static struct flowtab *ft;
static struct rte_rcu_qsbr *qsbr;
static int stop;	/* set by main, read by the threads: atomic */

struct reader_result {
	unsigned long packets;
	unsigned long bursts;
	unsigned errors;
	char first_error[256];
};

static void
fail(struct reader_result *res, const char *msg, unsigned a, unsigned b)
{
	if (!res->errors++)
		snprintf(res->first_error, sizeof(res->first_error), "%s (%u, %u)", msg, a, b);
}

static void *
reader(void *arg)
{
	struct reader_result *res = arg;
	struct flowtab_pmd *pmd = flowtab_pmd_create(0, -1);
	static struct ft_capture cap;
	struct flowtab_out out;
	struct ft_test_pkt kinds[4] = {
		{ .vlan = -1, .dl_type = 0x0800, .proto = 17, .nw_src = 0x0a000001, .dport = 53 },
		{ .vlan = -1, .dl_type = 0x0800, .proto = 6, .nw_src = 0x0a000002, .dport = 80 },
		{ .vlan = -1, .dl_type = 0x0800, .proto = 6, .nw_src = 0x0b000001, .dport = 80 },
		{ .vlan = -1, .dl_type = 0x0806, .arp_op = 1 },
	};
	struct rte_mbuf *burst[32];
	unsigned last_ver = 0, last_arp = 0, i, kind[32];

	ft_capture_init(&cap, &out, false);
	rte_rcu_qsbr_thread_register(qsbr, 0);
	rcu_online(qsbr, 0);
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		unsigned burst_ver = 0;

		for (i = 0; i < 32; i++) {
			kind[i] = (i * 7 + (unsigned)res->bursts) % 4;
			kinds[kind[i]].sport = (uint16_t)(i + res->bursts * 3);   /* many flows */
			burst[i] = ft_test_build(mp, &kinds[kind[i]]);
			if (!burst[i]) {
				fail(res, "mbuf leak: pool empty", i, 0);
				__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
				break;
			}
		}
		if (i < 32)
			break;
		ft_capture_reset(&cap);
		flowtab_process_burst(pmd, ft, burst, 32, 7, &out);
		rcu_quiescent(qsbr, 0);
		if (cap.n != 32) {
			fail(res, "packets lost or duplicated in a burst", cap.n, 32);
			continue;
		}
		for (i = 0; i < 32; i++) {
			uint32_t port = cap.rec[i].port;

			switch (kind[i]) {
			case 0:
			case 1:
				if (port < 1000 || port >= 5000)
					fail(res, "versioned flow misclassified", port, kind[i]);
				else if (burst_ver && port != burst_ver)
					fail(res, "two versions of one atomic add in a burst", port, burst_ver);
				else if (port < last_ver)
					fail(res, "version went backwards", port, last_ver);
				burst_ver = port;
				break;
			case 2:
				if (port != 1)
					fail(res, "catch-all flow misclassified", port, 1);
				break;
			case 3:
				if (port < 5000 || port < last_arp)
					fail(res, "mod-flows version went backwards", port, last_arp);
				last_arp = port;
				break;
			}
		}
		if (burst_ver)
			last_ver = burst_ver;
		res->packets += 32;
		__atomic_store_n(&res->bursts, res->bursts + 1, __ATOMIC_RELAXED);
	}
	rcu_offline(qsbr, 0);
	rte_rcu_qsbr_thread_unregister(qsbr, 0);
	flowtab_pmd_destroy(pmd);
	return NULL;
}

static void
writer(void)
{
	char r1[128], r2[128], junk[128], mod[64], *err = NULL;
	const char *texts[2] = { r1, r2 };
	size_t n_del;
	int i;

	for (i = 1; i <= N_UPDATES; i++) {
		snprintf(r1, sizeof(r1), "priority=200,udp,tp_dst=53,actions=output:%d", 1000 + i);
		snprintf(r2, sizeof(r2), "priority=150,ip,nw_src=10.0.0.0/8,actions=output:%d", 1000 + i);
		if (i % 3 == 1) {
			CHECK(flowtab_add_flows(ft, texts, NULL, 2, NULL, &err) == 0, "add: %s", err);
		} else if (i % 3 == 2) {
			/* A batch of two modifies: a reader between them would see the two
			 * versioned flows leave by different versions in one burst. */
			struct flowtab_batch *b = flowtab_batch_create(ft);

			CHECK(b && !flowtab_batch_mod(b, r1, true, &err) &&
				!flowtab_batch_mod(b, r2, true, &err) &&
				!flowtab_batch_commit(b, &err), "batch of modifies: %s", err);
			flowtab_batch_destroy(b);
		} else {
			/* A batch (an OpenFlow bundle): both old versions deleted, the new
			 * ones added; a reader between the deletes and the adds would send
			 * the versioned flows to the catch-all. */
			struct flowtab_batch *b = flowtab_batch_create(ft);

			CHECK(b && !flowtab_batch_del(b, "priority=200,udp,tp_dst=53", true, &err) &&
				!flowtab_batch_del(b, "priority=150,ip,nw_src=10.0.0.0/8", true, &err) &&
				!flowtab_batch_add(b, r1, &err) && !flowtab_batch_add(b, r2, &err) &&
				!flowtab_batch_commit(b, &err), "batch: %s", err);
			flowtab_batch_destroy(b);
		}
		snprintf(mod, sizeof(mod), "arp,actions=output:%d", 5000 + i);
		CHECK(flowtab_mod_flows(ft, mod, false, &err) == 0, "mod: %s", err);
		/* Subtables come and go: rules with other masks that match nothing sent. */
		snprintf(junk, sizeof(junk), "priority=%d,tcp,nw_dst=192.168.%d.0/24,tp_dst=%d,actions=drop",
				300 + i % 50, i % 200, i % 7);
		ft_test_add(ft, junk);
		if (i % 10 == 0) {
			CHECK(flowtab_del_flows(ft, "tcp,nw_dst=192.168.0.0/16", false, &n_del, &err) == 0,
					"del: %s", err);
		}
	}
}

/*
 * mod-flows to actions that rewrite L3 while only L2 rules exist: a PMD must never run the
 * new actions with a snapshot that parsed the packet for L2 only (the rewrite would silently
 * not happen).  The filler rules make publishing a snapshot take a while.
 */
#define MOD_ROUNDS 100

static struct flowtab *mod_ft;

static void *
mod_reader(void *arg)
{
	struct reader_result *res = arg;
	struct flowtab_pmd *pmd = flowtab_pmd_create(0, -1);
	static struct ft_capture cap;
	struct flowtab_out out;
	struct ft_test_pkt p = { .vlan = -1, .dl_type = 0x0800, .proto = 17,
		.nw_src = 0x0a000001, .nw_dst = 0x0a000002, .dport = 53 };
	struct rte_mbuf *burst[32];
	unsigned i;

	ft_capture_init(&cap, &out, true);
	rte_rcu_qsbr_thread_register(qsbr, 0);
	rcu_online(qsbr, 0);
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		for (i = 0; i < 32; i++) {
			p.sport = (uint16_t)(i + res->bursts);
			burst[i] = ft_test_build(mp, &p);
		}
		flowtab_process_burst(pmd, mod_ft, burst, 32, 7, &out);
		for (i = 0; i < cap.n; i++) {
			const uint8_t *d = rte_pktmbuf_mtod(cap.rec[i].m, const uint8_t *);
			const char *why;

			/* IPv4 destination at 30..33. */
			if (cap.rec[i].port == 2 && !(d[30] == 10 && d[31] == 9 && d[32] == 9 &&
						      d[33] == 9))
				fail(res, "output:2 without the mod_nw_dst before it", d[33], i);
			else if (cap.rec[i].port == 1 && d[33] != 2)
				fail(res, "output:1 rewritten", d[33], i);
			else if (!ft_test_csum_ok(cap.rec[i].m, &why))
				fail(res, "bad checksum", cap.rec[i].port, i);
		}
		if (cap.n != 32)
			fail(res, "packets lost or duplicated", cap.n, 32);
		ft_capture_reset(&cap);
		rcu_quiescent(qsbr, 0);
		res->packets += 32;
		__atomic_store_n(&res->bursts, res->bursts + 1, __ATOMIC_RELAXED);
	}
	rcu_offline(qsbr, 0);
	rte_rcu_qsbr_thread_unregister(qsbr, 0);
	flowtab_pmd_destroy(pmd);
	return NULL;
}

static void
test_mod_to_l3(void)
{
	struct reader_result res = { 0 };
	char rule[96], *err = NULL;
	pthread_t th;
	int i;

	mod_ft = flowtab_create("br1", &ft_test_ports, qsbr);
	ft_test_add(mod_ft, "priority=100,in_port=7,actions=output:1");
	for (i = 0; i < 4000; i++) {
		snprintf(rule, sizeof(rule), "priority=50,dl_dst=02:00:00:00:%02x:%02x,actions=drop",
				i >> 8, i & 0xff);
		ft_test_add(mod_ft, rule);
	}
	__atomic_store_n(&stop, 0, __ATOMIC_RELAXED);
	pthread_create(&th, NULL, mod_reader, &res);
	while (__atomic_load_n(&res.bursts, __ATOMIC_RELAXED) < 10)
		sched_yield();
	for (i = 0; i < MOD_ROUNDS; i++) {
		CHECK(flowtab_mod_flows(mod_ft, "in_port=7,actions=mod_nw_dst:10.9.9.9,output:2",
				false, &err) == 0, "mod: %s", err);
		CHECK(flowtab_mod_flows(mod_ft, "in_port=7,actions=output:1", false, &err) == 0,
				"mod back: %s", err);
	}
	/* replace-flows keeps an identical rule (and its counters) and swaps its actions. */
	{
		static char texts[4001][64];
		const char *ptr[4001];

		for (i = 0; i < 4000; i++) {
			snprintf(texts[i + 1], sizeof(texts[i + 1]),
					"priority=50,dl_dst=02:00:00:00:%02x:%02x,actions=drop", i >> 8,
					i & 0xff);
			ptr[i + 1] = texts[i + 1];
		}
		ptr[0] = texts[0];
		for (i = 0; i < 2 * MOD_ROUNDS / 10; i++) {
			snprintf(texts[0], sizeof(texts[0]), "priority=100,in_port=7,actions=%s",
					i % 2 ? "output:1" : "mod_nw_dst:10.9.9.9,output:2");
			CHECK(flowtab_replace_flows(mod_ft, ptr, NULL, 4001, NULL, &err) == 0,
					"replace: %s", err);
		}
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	printf("mod to L3: %lu packets in %lu bursts during %d mod-flows, %d replace-flows\n",
			res.packets, res.bursts, 2 * MOD_ROUNDS, 2 * MOD_ROUNDS / 10);
	CHECK(res.errors == 0, "%u reader error(s), first: %s", res.errors, res.first_error);
	flowtab_destroy(mod_ft);
}

/* Counters from several PMDs at once: own slots (0, 1) and shared slots (9 and 17 share 1). */
struct counter_arg {
	unsigned pmd_index;
	unsigned long sent;
	struct rte_mempool *mp;   /* one per thread: no contention on a shared ring */
};

#define COUNT_BURSTS 2000

static void *
counter_thread(void *arg)
{
	struct counter_arg *ca = arg;
	struct flowtab_pmd *pmd = flowtab_pmd_create(ca->pmd_index, -1);
	struct ft_test_pkt p = { .vlan = -1, .dl_type = 0x0800, .proto = 17, .payload = 10 };
	static __thread struct ft_capture cap;
	struct flowtab_out out;
	struct rte_mbuf *burst[32];
	unsigned b, i;

	ft_capture_init(&cap, &out, false);
	for (b = 0; b < COUNT_BURSTS; b++) {
		for (i = 0; i < 32; i++) {
			p.sport = (uint16_t)(i + b);
			burst[i] = ft_test_build(ca->mp, &p);
		}
		flowtab_process_burst(pmd, ft, burst, 32, 3, &out);
		ca->sent += 32;
	}
	flowtab_pmd_destroy(pmd);
	return NULL;
}

static void
test_counters(void)
{
	struct counter_arg args[4] = { { 0, 0, NULL }, { 1, 0, NULL }, { 9, 0, NULL },
		{ 17, 0, NULL } };
	pthread_t th[4];
	char *dump = NULL, *err = NULL, expect[64], name[32];
	unsigned long total = 0;
	unsigned i;

	ft_test_add(ft, "priority=300,in_port=3,udp,actions=output:4");
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "ft_cnt%u", i);
		args[i].mp = rte_pktmbuf_pool_create(name, 512, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				SOCKET_ID_ANY);
		if (!args[i].mp) {
			CHECK(0, "mempool %s", name);
			return;
		}
	}
	for (i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, counter_thread, &args[i]);
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		total += args[i].sent;
	}
	snprintf(expect, sizeof(expect), "n_packets=%lu, n_bytes=%lu,", total, total * 60);
	CHECK(flowtab_dump_flows(ft, "in_port=3,udp", &dump, &err) == 0 && dump &&
	      strstr(dump, expect), "4 PMDs' counters: want %s in %s", expect, dump ? dump : err);
	free(dump);
	for (i = 0; i < 4; i++)
		rte_mempool_free(args[i].mp);
}

/* A reader inside a long burst: online without a quiescent state until main releases it,
 * or until 10 s have passed (then it says so: a writer waited for it that long). */
static int held_online, held_release, held_timed_out;

static void *
held_reader(void *arg)
{
	struct rte_rcu_qsbr *q = arg;
	uint64_t end = rte_get_timer_cycles() + 10 * rte_get_timer_hz();

	rte_rcu_qsbr_thread_register(q, 0);
	rcu_online(q, 0);
	__atomic_store_n(&held_online, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&held_release, __ATOMIC_ACQUIRE)) {
		if (rte_get_timer_cycles() > end) {
			__atomic_store_n(&held_timed_out, 1, __ATOMIC_RELEASE);
			break;
		}
		sched_yield();
	}
	rcu_offline(q, 0);
	rte_rcu_qsbr_thread_unregister(q, 0);
	return NULL;
}

/* A controller's flow_mods one by one: each add and delete returns without a grace period. */
static void
test_no_wait(void)
{
	struct rte_rcu_qsbr *q = calloc(1, rte_rcu_qsbr_get_memsize(1));
	char text[128], *err = NULL;
	struct flowtab *t;
	size_t n_del = 0;
	int timed_out, rc;
	pthread_t th;

	rte_rcu_qsbr_init(q, 1);
	t = flowtab_create("br1", &ft_test_ports, q);
	pthread_create(&th, NULL, held_reader, q);
	while (!__atomic_load_n(&held_online, __ATOMIC_ACQUIRE))
		sched_yield();
	for (unsigned i = 0; i < 50; i++) {
		snprintf(text, sizeof(text), "priority=5,udp,tp_src=%u,actions=output:1", 1000 + i);
		ft_test_add(t, text);
	}
	ft_test_add(t, "priority=5,udp,tp_src=1000,actions=output:2");    /* replaces one */
	rc = flowtab_del_flows(t, "udp,tp_src=1001", false, &n_del, &err);
	timed_out = __atomic_load_n(&held_timed_out, __ATOMIC_ACQUIRE);
	__atomic_store_n(&held_release, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	CHECK(rc == 0 && n_del == 1, "delete of one rule: %d, %zu deleted (%s)", rc, n_del,
			err ? err : "");
	CHECK(flowtab_n_rules(t) == 49, "49 rules left: %zu", flowtab_n_rules(t));
	CHECK(!timed_out, "51 adds and a delete returned while a reader was in its burst");
	free(err);
	flowtab_destroy(t);
	free(q);
}

int
main(int argc, char **argv)
{
	struct reader_result res = { 0 };
	pthread_t th;

	(void)argc;
	mp = ft_test_eal_init(argv[0], 8192);
	qsbr = calloc(1, rte_rcu_qsbr_get_memsize(1));
	rte_rcu_qsbr_init(qsbr, 1);
	ft = flowtab_create("br0", &ft_test_ports, qsbr);
	ft_test_add(ft, "priority=1,actions=output:1");
	ft_test_add(ft, "priority=200,udp,tp_dst=53,actions=output:1000");
	ft_test_add(ft, "priority=150,ip,nw_src=10.0.0.0/8,actions=output:1000");
	ft_test_add(ft, "priority=100,arp,actions=output:5000");
	pthread_create(&th, NULL, reader, &res);
	/* Start changing rules once the reader is classifying. */
	while (__atomic_load_n(&res.bursts, __ATOMIC_RELAXED) < 10 &&
	       !__atomic_load_n(&stop, __ATOMIC_RELAXED))
		sched_yield();
	writer();
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	printf("reader: %lu packets in %lu bursts during %d updates\n", res.packets, res.bursts,
			N_UPDATES);
	CHECK(res.errors == 0, "%u reader error(s), first: %s", res.errors, res.first_error);
	CHECK(res.bursts > 100, "reader ran during the updates (%lu bursts)", res.bursts);
	CHECK(rte_mempool_in_use_count(mp) == 0, "mbufs leaked: %u",
			rte_mempool_in_use_count(mp));
	test_counters();
	test_mod_to_l3();
	test_no_wait();
	CHECK(rte_mempool_in_use_count(mp) == 0, "mbufs leaked: %u",
			rte_mempool_in_use_count(mp));
	flowtab_destroy(ft);
	free(qsbr);
	return check_report("test_ft_rcu");
}
