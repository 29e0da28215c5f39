/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PMD threads: start, the poll loop, stop.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>

#include <numa.h>
#include <rte_atomic.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "pmd.h"
#include "rcu.h"

/* A pass is light (may be followed by a sleep) when no queue gave this many packets. */
#define PMD_SLEEP_THRESH (PORT_BURST / 2)
/* How much longer each light pass sleeps than the last: Open vSwitch 3.1's step (3.3: 1). */
#define PMD_SLEEP_STEP_US 10

#ifndef NDEBUG
/*
 * Debug builds (the sanitizer builds the tests run) check what pmd_rxq_assign() promises:
 * no rx queue is in two PMDs' passes at once, as an ethdev rx queue is not thread-safe.  A
 * PMD claims every queue of its set for the pass and gives them back before its quiescent
 * state; claiming one that another PMD holds aborts.  Written by the PMDs only.
 */
static uint32_t rxq_users[PORT_MAX_SLOTS][PORT_MAX_RXQ];

static void
rxq_claim(const struct pmd *pmd, const struct pmd_rxq_set *set)
{
	for (uint32_t i = 0; i < set->n; i++) {
		const struct port *p = set->rxq[i].port;
		uint16_t q = set->rxq[i].qid;

		if (__atomic_fetch_add(&rxq_users[p->slot][q], 1, __ATOMIC_ACQ_REL) != 0) {
			fprintf(stderr, "vireo-dp: BUG: pmd on core %u: port %s rx queue %u is in "
				"another PMD's pass at the same time\n", pmd->core, p->name, q);
			abort();
		}
	}
}

static void
rxq_unclaim(const struct pmd_rxq_set *set)
{
	for (uint32_t i = 0; i < set->n; i++)
		__atomic_fetch_sub(&rxq_users[set->rxq[i].port->slot][set->rxq[i].qid], 1,
			__ATOMIC_RELEASE);
}
#else
static inline void
rxq_claim(const struct pmd *pmd, const struct pmd_rxq_set *set)
{
	(void)pmd;
	(void)set;
}

static inline void
rxq_unclaim(const struct pmd_rxq_set *set)
{
	(void)set;
}
#endif

/*
 * One pass over the PMD's rx queues.  Cycles are counted as OVS counts them: a poll that
 * returns packets, and the processing of those packets, is busy ("processing cycles");
 * a poll that returns nothing is idle.  One TSC read per poll.  Returns whether the pass
 * was light (every queue under PMD_SLEEP_THRESH packets).
 */
static bool
pmd_poll(struct pmd *pmd, const struct pmd_rxq_set *set)
{
	struct rte_mbuf *pkts[PORT_BURST];
	uint64_t last = rte_rdtsc(), now;
	bool light = true;

	rxq_claim(pmd, set);
	for (uint32_t i = 0; i < set->n; i++) {
		struct port *port = set->rxq[i].port;
		uint16_t qid = set->rxq[i].qid;
		struct port_pmd_stats *ps;
		uint64_t bytes = 0;
		uint16_t n;

		if (!port->rxq_enabled[qid])
			continue;
		n = port_rx(port, qid, pkts, PORT_BURST);
		if (n == 0) {
			now = rte_rdtsc();
			pmd->stats.idle_cycles += now - last;
			last = now;
			continue;
		}
		ps = &port->pmd_stats[pmd->index];
		light = light && n < PMD_SLEEP_THRESH;
		pmd->stats.packets_rx += n;
		ps->rx_packets += n;
		for (uint16_t k = 0; k < n; k++)
			bytes += rte_pktmbuf_pkt_len(pkts[k]);
		ps->rx_bytes += bytes;
		pmd->process(pmd, port, pkts, n);
		pmd_flush(pmd);
		now = rte_rdtsc();
		pmd->stats.busy_cycles += now - last;
		port->rxq_stats[qid].cycles += now - last;
		port->rxq_stats[qid].packets += n;
		last = now;
	}
	now = rte_rdtsc();
	pmd->stats.idle_cycles += now - last;
	rxq_unclaim(set);
	return light;
}

void
pmd_set_max_sleep(struct pmd *pmd, uint32_t us)
{
	__atomic_store_n(&pmd->max_sleep_us, RTE_MIN(us, (uint32_t)PMD_MAX_SLEEP_US),
		__ATOMIC_RELAXED);
}

/*
 * Load-based sleeping after a pass ('light' as pmd_poll() says): '*sleep_us' is how long
 * the next light pass sleeps, grown by PMD_SLEEP_STEP_US a light pass up to the PMD's
 * maximum and reset by a heavy one.  The PMD is offline for RCU while it sleeps (it holds
 * no reference between passes), so a sleeping PMD never holds up a grace period.  The time
 * asleep is counted apart, neither idle nor busy, as Open vSwitch counts it.
 */
static void
pmd_sleep(struct pmd *pmd, bool light, uint32_t *sleep_us)
{
	uint32_t max = __atomic_load_n(&pmd->max_sleep_us, __ATOMIC_RELAXED);
	uint64_t t0;

	if (max == 0 || !light) {
		*sleep_us = 0;
		return;
	}
	if (*sleep_us > 0) {
		struct timespec ts = { 0, (long)RTE_MIN(*sleep_us, max) * 1000 };

		rcu_offline(pmd->qsbr, pmd->index);
		t0 = rte_rdtsc();
		nanosleep(&ts, NULL);
		t0 = rte_rdtsc() - t0;
		rcu_online(pmd->qsbr, pmd->index);
		pmd->stats.sleep_iterations++;
		pmd->stats.sleep_cycles += t0;
	}
	*sleep_us = RTE_MIN(*sleep_us + PMD_SLEEP_STEP_US, max);
}

static void *
pmd_main(void *arg)
{
	struct pmd *pmd = arg;
	uint32_t sleep_us = 0;
	cpu_set_t set;
	char name[16];

	CPU_ZERO(&set);
	CPU_SET(pmd->core, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	snprintf(name, sizeof(name), "pmd-c%02u", pmd->core);
	pthread_setname_np(pthread_self(), name);
	/* A load-based sleep of a few microseconds must not become the default 50 us slack. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	if (rte_thread_register() < 0) {
		fprintf(stderr, "vireo-dp: pmd on core %u: rte_thread_register failed: %s\n",
			pmd->core, rte_strerror(rte_errno));
		pmd->lcore = LCORE_ID_ANY;
	} else {
		pmd->lcore = rte_lcore_id();
	}
	rte_rcu_qsbr_thread_register(pmd->qsbr, pmd->index);
	rcu_online(pmd->qsbr, pmd->index);
	__atomic_store_n(&pmd->started, true, __ATOMIC_RELEASE);

	while (!__atomic_load_n(&pmd->exit, __ATOMIC_ACQUIRE)) {
		const struct pmd_rxq_set *rx = __atomic_load_n(&pmd->rxqs, __ATOMIC_ACQUIRE);
		bool extra = false;

		pmd->stats.iterations++;
		if (pmd->poll_extra != NULL)
			extra = pmd->poll_extra(pmd) != 0;
		if (rx == NULL || rx->n == 0) {
			/* Nothing to poll: go offline and nap instead of burning the core. */
			rcu_offline(pmd->qsbr, pmd->index);
			usleep(1000);
			rcu_online(pmd->qsbr, pmd->index);
			continue;
		}
		/* Work of the hook is never light: its producer waits on it. */
		pmd_sleep(pmd, pmd_poll(pmd, rx) && !extra, &sleep_us);
		rcu_quiescent(pmd->qsbr, pmd->index);
	}
	rcu_offline(pmd->qsbr, pmd->index);
	rte_rcu_qsbr_thread_unregister(pmd->qsbr, pmd->index);
	if (pmd->lcore != LCORE_ID_ANY)
		rte_thread_unregister();
	return NULL;
}

/*
 * Into 'set': the cores PMD threads may run on, those of the calling thread's CPU affinity
 * (the main thread has the process's), which the kernel gives without offline cores.
 */
static void
usable_cores(cpu_set_t *set)
{
	if (sched_getaffinity(0, sizeof(*set), set) == 0)
		return;
	CPU_ZERO(set);
	for (long c = 0; c < sysconf(_SC_NPROCESSORS_ONLN) && c < CPU_SETSIZE; c++)
		CPU_SET((int)c, set);
}

void
pmd_default_mask(uint64_t exclude, char *buf, size_t len)
{
	uint64_t mask = 0;
	int nodes = numa_available() < 0 ? 1 : numa_max_node() + 1;
	cpu_set_t usable;

	usable_cores(&usable);
	for (int node = 0; node < nodes && node < 64; node++) {
		int chosen = -1, fallback = -1;

		for (int c = 0; c < 64; c++) {
			int n = numa_available() < 0 ? 0 : numa_node_of_cpu(c);

			if (!CPU_ISSET(c, &usable) || n != node)
				continue;
			if (fallback < 0)
				fallback = c;
			if (!(exclude & (1ULL << c))) {
				chosen = c;
				break;
			}
		}
		if (chosen < 0)
			chosen = fallback;
		if (chosen >= 0)
			mask |= 1ULL << chosen;
	}
	snprintf(buf, len, "0x%llx", (unsigned long long)mask);
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Up to 8 cores to name in a warning, and how many there were in all. */
struct core_list {
	unsigned core[8], n;
};

static void
core_list_add(struct core_list *l, unsigned core)
{
	if (l->n < RTE_DIM(l->core))
		l->core[l->n] = core;
	l->n++;
}

/* Append to '*w' (malloc'd or NULL) a warning that 'cpu_mask' names the cores of 'l', 'why'. */
static void
say_cores(char **w, const char *cpu_mask, const struct core_list *l, const char *why)
{
	char list[64] = "";
	size_t at = 0;
	char *v = NULL;

	if (l->n == 0)
		return;
	for (unsigned i = 0; i < l->n && i < RTE_DIM(l->core); i++)
		at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%u", i ? "," : "",
			l->core[i]);
	if (asprintf(&v, "%s%swarning: pmd-cpu-mask '%s': core%s %s%s %s: ignored",
			*w ? *w : "", *w ? "\n" : "", cpu_mask, l->n > 1 ? "s" : "", list,
			l->n > RTE_DIM(l->core) ? ",..." : "", why) < 0)
		v = NULL;
	free(*w);
	*w = v;
}

unsigned
pmd_mask_cores(const char *cpu_mask, const cpu_set_t *usable, unsigned *cores, char **warn)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	const char *p = cpu_mask;
	struct core_list missing = { .n = 0 }, unusable = { .n = 0 };
	unsigned n = 0, core = 0, n_over = 0;
	cpu_set_t own;
	char why[48], *w = NULL;

	if (usable == NULL) {
		usable_cores(&own);
		usable = &own;
	}
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	for (size_t i = strlen(p); i-- > 0;) {
		int v = hex_value(p[i]);

		for (int bit = 0; bit < 4; bit++, core++) {
			if (v < 0 || !((v >> bit) & 1))
				continue;
			if ((long)core >= ncpu)
				core_list_add(&missing, core);
			else if (core >= CPU_SETSIZE || !CPU_ISSET(core, usable))
				core_list_add(&unusable, core);
			else if (n == PORT_MAX_PMDS)
				n_over++;
			else
				cores[n++] = core;
		}
	}
	snprintf(why, sizeof(why), "not on this machine (%ld cores)", ncpu);
	say_cores(&w, cpu_mask, &missing, why);
	say_cores(&w, cpu_mask, &unusable,
		"not available (offline, or outside vireo-dp's CPU affinity)");
	if (n_over > 0) {
		char *v = NULL;

		if (asprintf(&v, "%s%swarning: pmd-cpu-mask '%s': %u core%s beyond the first %d "
				"ignored (at most %d PMD threads)", w ? w : "", w ? "\n" : "", cpu_mask,
				n_over, n_over > 1 ? "s" : "", PORT_MAX_PMDS, PORT_MAX_PMDS) < 0)
			v = NULL;
		free(w);
		w = v;
	}
	*warn = w;
	return n;
}

/* The error when 'cpu_mask' leaves no core: -ENODEV. */
static int
no_core(const char *cpu_mask, char **err)
{
	if (asprintf(err, "pmd-cpu-mask '%s' names no core of this machine (%ld cores) "
			"that vireo-dp may use", cpu_mask, sysconf(_SC_NPROCESSORS_CONF)) < 0)
		*err = NULL;
	return -ENODEV;
}

/*
 * Start a PMD thread on core 'c' with index 'index', stored in '*slot' before the thread
 * starts (the thread may read its own slot at once).  Returns 0, or -EAGAIN with '*slot'
 * NULL and '*err' set.
 */
static int
pmd_create(unsigned c, unsigned index, struct rte_rcu_qsbr *qsbr,
		const struct pmd_hooks *hooks, struct pmd **slot, char **err)
{
	struct pmd *pmd = rte_zmalloc_socket("pmd", sizeof(*pmd), RTE_CACHE_LINE_SIZE,
		numa_available() < 0 ? SOCKET_ID_ANY : numa_node_of_cpu(c));

	if (pmd == NULL) {
		*err = strdup("out of memory for a PMD thread");
		return -EAGAIN;
	}
	pmd->index = index;
	pmd->core = c;
	pmd->numa = numa_available() < 0 ? 0 : numa_node_of_cpu(c);
	pmd->qsbr = qsbr;
	pmd->process = hooks->process;
	pmd->aux = hooks->aux;
	pmd->ctx_destroy = hooks->ctx_destroy;
	pmd->poll_extra = hooks->poll_extra;
	pmd->stopped = hooks->stopped;
	pmd->since_tsc = rte_get_tsc_cycles();
	pmd->ctx = hooks->ctx_create(index, pmd->numa, hooks->aux);
	*slot = pmd;
	if (pmd->ctx == NULL || pthread_create(&pmd->thread, NULL, pmd_main, pmd) != 0) {
		*slot = NULL;
		if (asprintf(err, "cannot start the PMD thread for core %u", c) < 0)
			*err = NULL;
		if (pmd->ctx)
			hooks->ctx_destroy(pmd->ctx, hooks->aux);
		rte_free(pmd);
		return -EAGAIN;
	}
	return 0;
}

/* Stop and free the PMDs at the indices 'idx' ('n' of them) of 'pmds', emptying their slots
 * once their threads are gone. */
static void
pmd_stop(struct pmd **pmds, const unsigned *idx, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		__atomic_store_n(&pmds[idx[i]]->exit, true, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < n; i++) {
		struct pmd *pmd = pmds[idx[i]];

		pthread_join(pmd->thread, NULL);
		pmds[idx[i]] = NULL;
		if (pmd->stopped != NULL)
			pmd->stopped(pmd);
		free(pmd->rxqs);
		pmd->ctx_destroy(pmd->ctx, pmd->aux);
		rte_free(pmd);
	}
}

static void
pmd_wait_started(struct pmd **pmds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		while (!__atomic_load_n(&pmds[i]->started, __ATOMIC_ACQUIRE))
			usleep(100);
}

int
pmd_start_all(const char *cpu_mask, struct rte_rcu_qsbr *qsbr, const struct pmd_hooks *hooks,
		struct pmd ***out, unsigned *n_out, char **warn, char **err)
{
	unsigned cores[PORT_MAX_PMDS], n = pmd_mask_cores(cpu_mask, NULL, cores, warn);
	struct pmd **pmds;

	if (n == 0)
		return no_core(cpu_mask, err);
	pmds = calloc(PORT_MAX_PMDS, sizeof(*pmds));
	if (pmds == NULL)
		return -ENOMEM;
	*out = pmds;
	*n_out = 0;
	for (unsigned i = 0; i < n; i++) {
		if (pmd_create(cores[i], i, qsbr, hooks, &pmds[i], err) < 0) {
			pmd_stop_all(pmds, i);
			*out = NULL;
			return -EAGAIN;
		}
	}
	pmd_wait_started(pmds, n);
	*n_out = n;
	return 0;
}

/* After a failed start: what is left must be indices 0..k-1, so kept PMDs after the first
 * empty slot go too.  Returns k. */
static unsigned
pmd_close_gap(struct pmd **pmds, unsigned n, struct pmd_change *chg)
{
	unsigned k = 0;

	while (k < n && pmds[k] != NULL)
		k++;
	for (unsigned i = k; i < n; i++) {
		if (pmds[i] != NULL) {
			pmd_stop(pmds, &i, 1);
			chg->kept--;
			chg->stopped++;
		}
	}
	return k;
}

static bool
has_core(const unsigned *cores, unsigned n, unsigned core)
{
	for (unsigned i = 0; i < n; i++)
		if (cores[i] == core)
			return true;
	return false;
}

/*
 * The array is changed in place and never freed here: slot i is written only while no
 * thread of index i runs (before it starts, after it is joined), so a PMD may read its own
 * slot at any time without RCU (dp_patch_deliver does, on every patch port burst).
 */
int
pmd_reconfigure(const char *cpu_mask, struct rte_rcu_qsbr *qsbr,
		const struct pmd_hooks *hooks, struct pmd ***pmds, unsigned *n,
		struct pmd_change *chg, char **warn, char **err)
{
	struct pmd **arr = *pmds;
	unsigned cores[PORT_MAX_PMDS], gone[PORT_MAX_PMDS], started[PORT_MAX_PMDS];
	unsigned n_new = pmd_mask_cores(cpu_mask, NULL, cores, warn), n_gone = 0, n_started = 0, idx = 0;
	bool kept[PORT_MAX_PMDS] = { false };
	int rc = 0;

	memset(chg, 0, sizeof(*chg));
	if (n_new == 0)
		return no_core(cpu_mask, err);
	/* A PMD stays, at its index, when its core stays and its index is still in range. */
	for (unsigned i = 0; i < *n; i++) {
		if (i < n_new && has_core(cores, n_new, arr[i]->core)) {
			for (unsigned k = 0; k < n_new; k++)
				kept[k] |= cores[k] == arr[i]->core;
			chg->kept++;
		} else {
			gone[n_gone++] = i;
		}
	}
	/* Stopped first: a new PMD may take the index (and RCU thread id) of one that went. */
	pmd_stop(arr, gone, n_gone);
	chg->stopped = n_gone;
	for (unsigned k = 0; k < n_new; k++) {
		if (kept[k])
			continue;
		while (idx < n_new && arr[idx] != NULL)
			idx++;
		if (idx == n_new)
			break;
		if (pmd_create(cores[k], idx, qsbr, hooks, &arr[idx], err) < 0) {
			/* The kept ones keep running; the ones started so far are stopped. */
			pmd_stop(arr, started, n_started);
			n_started = 0;
			rc = -EAGAIN;
			break;
		}
		started[n_started++] = idx;
	}
	if (rc < 0)
		n_new = pmd_close_gap(arr, n_new, chg);
	pmd_wait_started(arr, n_new);
	chg->started = n_started;
	*n = n_new;
	return rc;
}

void
pmd_stop_all(struct pmd **pmds, unsigned n)
{
	unsigned idx[PORT_MAX_PMDS];

	for (unsigned i = 0; i < n; i++)
		idx[i] = i;
	pmd_stop(pmds, idx, n);
	free(pmds);
}
