/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rx queue placement (pmd.h: "Placement").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmd.h"
#include "rcu.h"

struct rxq_ref {
	struct port *port;
	uint16_t qid;
	uint64_t load;
};

static int
cmp_load(const void *a, const void *b)
{
	const struct rxq_ref *x = a, *y = b;

	if (x->load != y->load)
		return x->load < y->load ? 1 : -1;
	if (x->port->slot != y->port->slot)
		return x->port->slot < y->port->slot ? -1 : 1;
	return x->qid - y->qid;
}

static void
append(char **warn, const char *line)
{
	size_t old = *warn ? strlen(*warn) : 0;
	char *n = realloc(*warn, old + strlen(line) + 2);

	if (n == NULL)
		return;
	memcpy(n + old, line, strlen(line));
	n[old + strlen(line)] = '\n';
	n[old + strlen(line) + 1] = '\0';
	*warn = n;
}

/* The PMD that queue 'q' of 'p' is pinned to, or NULL (not pinned, or no PMD on that core). */
static struct pmd *
pinned_pmd(struct pmd **pmds, unsigned n_pmds, const struct port *p, uint16_t q, char **warn)
{
	char line[PORT_NAME_MAX + 160];

	if (p->rxq_pin[q] == 0)
		return NULL;
	for (unsigned i = 0; i < n_pmds; i++)
		if (pmds[i]->core + 1 == p->rxq_pin[q])
			return pmds[i];
	if (warn != NULL) {
		snprintf(line, sizeof(line), "warning: port '%s' rx queue %u is pinned to core %u, "
			"which has no PMD (pmd-cpu-mask): placed as if not pinned", p->name, q,
			p->rxq_pin[q] - 1u);
		append(warn, line);
	}
	return NULL;
}

void
pmd_rxq_measure(struct port *const *ports, unsigned n_ports)
{
	for (unsigned i = 0; i < n_ports; i++) {
		for (unsigned q = 0; q < ports[i]->n_rxq && q < PORT_MAX_RXQ; q++) {
			struct port_rxq_stats *s = &ports[i]->rxq_stats[q];
			uint64_t now = __atomic_load_n(&s->cycles, __ATOMIC_RELAXED);

			s->load = now - s->cycles_prev;
			s->cycles_prev = now;
		}
	}
}

/* Where queues not pinned may go: PMDs that are not isolated, or every PMD when all are. */
static bool
pmd_open(const bool *iso, unsigned i, unsigned n_open)
{
	return n_open == 0 || !iso[i];
}

/* The order in which "cycles" and "roundrobin" visit the open PMDs of one NUMA node (or of
 * every node, 'numa' -1, for queues with no PMD on theirs): a cursor per node. */
struct rr_cursor {
	int numa;
	unsigned pos;		/* index into that node's open PMDs, in core order */
	bool down;		/* "cycles": going back down (0,1,2,2,1,0,0,1,...) */
};

static unsigned
rr_next(struct rr_cursor *c, unsigned n, bool updown)
{
	unsigned at;

	if (n == 1)
		return 0;
	at = c->pos;
	if (!updown) {
		c->pos = (c->pos + 1) % n;
		return at;
	}
	if (!c->down && c->pos == n - 1)
		c->down = true;
	else if (c->down && c->pos == 0)
		c->down = false;
	else
		c->pos += c->down ? -1 : 1;
	return at;
}

/*
 * The PMD for queue 'ref' under 'algo': on the queue's NUMA node if an open PMD is there,
 * else any open PMD ('*cross' set).  "group" takes the least loaded (ties: fewer queues,
 * lower core); "cycles" and "roundrobin" the next of the node's cursor.
 */
static int
pick_pmd(struct pmd *const *pmds, unsigned n_pmds, const bool *iso, unsigned n_open,
		const struct rxq_ref *ref, enum pmd_rxq_algo algo, const uint64_t *load,
		struct pmd_rxq_set *const *sets, struct rr_cursor *cur, unsigned *n_cur,
		bool *cross)
{
	unsigned cand[PORT_MAX_PMDS], n = 0;
	int numa = ref->port->socket;
	struct rr_cursor *c = NULL;
	int best = -1;

	for (unsigned i = 0; i < n_pmds; i++)
		if (pmd_open(iso, i, n_open) && (numa < 0 || pmds[i]->numa == numa))
			cand[n++] = i;
	*cross = n == 0;
	if (n == 0) {
		numa = -1;
		for (unsigned i = 0; i < n_pmds; i++)
			if (pmd_open(iso, i, n_open))
				cand[n++] = i;
	}
	if (algo == PMD_RXQ_GROUP) {
		for (unsigned k = 0; k < n; k++) {
			unsigned i = cand[k];

			if (best < 0 || load[i] < load[best] ||
					(load[i] == load[best] && sets[i]->n < sets[best]->n))
				best = (int)i;
		}
		return best;
	}
	for (unsigned k = 0; k < *n_cur; k++)
		if (cur[k].numa == numa)
			c = &cur[k];
	if (c == NULL) {
		c = &cur[(*n_cur)++];
		*c = (struct rr_cursor){ .numa = numa };
	}
	return (int)cand[rr_next(c, n, algo == PMD_RXQ_CYCLES)];
}

static void
warn_cross(char **warn, const struct rxq_ref *ref, const struct pmd *pmd)
{
	char line[PORT_NAME_MAX + 160];

	if (warn == NULL)
		return;
	snprintf(line, sizeof(line), "warning: no PMD on NUMA node %d for port '%s' rx queue "
		"%u: polled by core %u on node %d", ref->port->socket, ref->port->name, ref->qid,
		pmd->core, pmd->numa);
	append(warn, line);
}

const char *
pmd_rxq_algo_name(enum pmd_rxq_algo algo)
{
	return algo == PMD_RXQ_ROUNDROBIN ? "roundrobin" : algo == PMD_RXQ_GROUP ? "group" :
		"cycles";
}

int
pmd_rxq_algo_parse(const char *s, enum pmd_rxq_algo *algo)
{
	if (s == NULL || strcmp(s, "cycles") == 0)
		*algo = PMD_RXQ_CYCLES;
	else if (strcmp(s, "roundrobin") == 0)
		*algo = PMD_RXQ_ROUNDROBIN;
	else if (strcmp(s, "group") == 0)
		*algo = PMD_RXQ_GROUP;
	else
		return -EINVAL;
	return 0;
}

/* Queues pinned to a PMD go there (the PMD isolated in 'iso' under pmd-rxq-isolate); the
 * others are listed in 'refs' ('*k' of them). */
static void
place_pinned(struct pmd **pmds, unsigned n_pmds, struct port *const *ports, unsigned n_ports,
		const struct pmd_rxq_policy *pol, struct pmd_rxq_set **sets, uint64_t *load,
		bool *iso, struct rxq_ref *refs, unsigned *k, char **warn)
{
	for (unsigned i = 0; i < n_pmds; i++)
		iso[i] = false;
	for (unsigned i = 0; i < n_ports; i++) {
		for (uint16_t q = 0; q < ports[i]->n_rxq && q < PORT_MAX_RXQ; q++) {
			struct pmd *pin = pinned_pmd(pmds, n_pmds, ports[i], q, warn);
			uint64_t l = ports[i]->rxq_stats[q].load;

			if (pin != NULL) {
				iso[pin->index] = pol->isolate;
				load[pin->index] += l;
				sets[pin->index]->rxq[sets[pin->index]->n++] =
					(struct pmd_rxq){ ports[i], q };
				continue;
			}
			refs[(*k)++] = (struct rxq_ref){ ports[i], q, l };
		}
	}
}

/*
 * Plan a placement under 'pol' into 'sets' (one per PMD, room for every queue), 'load'
 * (each PMD's summed queue load) and 'iso' (which PMDs poll pinned queues only).  Changes
 * nothing in the PMDs.
 */
static int
rxq_plan(struct pmd **pmds, unsigned n_pmds, struct port *const *ports, unsigned n_ports,
		const struct pmd_rxq_policy *pol, struct pmd_rxq_set **sets, uint64_t *load,
		bool *iso, char **warn)
{
	struct rr_cursor cur[PORT_MAX_PMDS + 1];
	unsigned total = 0, k = 0, n_open = 0, n_cur = 0;
	struct rxq_ref *refs;

	for (unsigned i = 0; i < n_ports; i++)
		total += ports[i]->n_rxq;
	refs = calloc(total ? total : 1, sizeof(*refs));
	if (refs == NULL)
		return -ENOMEM;
	place_pinned(pmds, n_pmds, ports, n_ports, pol, sets, load, iso, refs, &k, warn);
	/* "roundrobin" keeps the ports' order; the others go by load, heaviest first. */
	if (pol->algo != PMD_RXQ_ROUNDROBIN)
		qsort(refs, k, sizeof(*refs), cmp_load);
	for (unsigned i = 0; i < n_pmds; i++)
		n_open += !iso[i];
	if (k > 0 && n_open == 0 && warn != NULL)
		append(warn, "warning: every PMD is isolated by pmd-rxq-affinity: queues not "
			"pinned are spread over them all");
	for (unsigned r = 0; r < k; r++) {
		bool cross;
		int best = pick_pmd(pmds, n_pmds, iso, n_open, &refs[r], pol->algo, load, sets,
			cur, &n_cur, &cross);

		if (cross)
			warn_cross(warn, &refs[r], pmds[best]);
		load[best] += refs[r].load;
		sets[best]->rxq[sets[best]->n++] = (struct pmd_rxq){ refs[r].port, refs[r].qid };
	}
	free(refs);
	return 0;
}

static void
free_sets(struct pmd_rxq_set **sets, unsigned n)
{
	for (unsigned i = 0; sets != NULL && i < n; i++)
		free(sets[i]);
	free(sets);
}

static struct pmd_rxq_set **
alloc_sets(unsigned n_pmds, struct port *const *ports, unsigned n_ports)
{
	struct pmd_rxq_set **sets = calloc(n_pmds, sizeof(*sets));
	unsigned total = 0;

	for (unsigned i = 0; i < n_ports; i++)
		total += ports[i]->n_rxq;
	for (unsigned i = 0; sets != NULL && i < n_pmds; i++) {
		sets[i] = calloc(1, sizeof(struct pmd_rxq_set) + (total + 1) * sizeof(struct pmd_rxq));
		if (sets[i] == NULL) {
			free_sets(sets, n_pmds);
			return NULL;
		}
	}
	return sets;
}

static bool
set_has(const struct pmd_rxq_set *set, const struct port *port, uint16_t qid)
{
	for (uint32_t k = 0; set != NULL && k < set->n; k++)
		if (set->rxq[k].port == port && set->rxq[k].qid == qid)
			return true;
	return false;
}

/* Whether some PMD would be given a queue its published set does not have. */
static bool
rxq_gained(struct pmd **pmds, unsigned n_pmds, struct pmd_rxq_set *const *sets)
{
	for (unsigned i = 0; i < n_pmds; i++)
		for (uint32_t k = 0; k < sets[i]->n; k++)
			if (!set_has(pmds[i]->rxqs, sets[i]->rxq[k].port, sets[i]->rxq[k].qid))
				return true;
	return false;
}

/* Publish 'set' (may be NULL: nothing to poll) for 'pmd'; the old one goes to 'defer'. */
static void
publish_set(struct pmd *pmd, struct pmd_rxq_set *set, struct rcu_defer *defer)
{
	struct pmd_rxq_set *old = pmd->rxqs;

	__atomic_store_n(&pmd->rxqs, set, __ATOMIC_RELEASE);
	rcu_defer_free(defer, free, old);
}

/*
 * Step one of a placement that gives some PMD a queue: each PMD that loses a queue is left
 * with the queues it keeps ('sets' are the new ones).  A PMD without memory for that is
 * left with nothing to poll for the grace period.
 */
static void
publish_kept(struct pmd **pmds, unsigned n_pmds, struct pmd_rxq_set *const *sets,
		struct rcu_defer *defer)
{
	for (unsigned i = 0; i < n_pmds; i++) {
		const struct pmd_rxq_set *old = pmds[i]->rxqs;
		struct pmd_rxq_set *kept;

		if (old == NULL)
			continue;
		kept = calloc(1, sizeof(*kept) + old->n * sizeof(kept->rxq[0]));
		for (uint32_t k = 0; kept != NULL && k < old->n; k++)
			if (set_has(sets[i], old->rxq[k].port, old->rxq[k].qid))
				kept->rxq[kept->n++] = old->rxq[k];
		if (kept != NULL && kept->n == old->n) {
			free(kept);
			continue;
		}
		publish_set(pmds[i], kept, defer);
	}
}

/*
 * A PMD polls every queue of the set it loaded until its next quiescent state, and an
 * ethdev rx queue must not be polled by two threads at once: a queue may join a PMD's set
 * only once no PMD can still be in a pass over an older set that has it.  So when some PMD
 * gains a queue, the queues that leave a PMD are taken out first, a grace period is waited
 * for, and only then are the new sets published, as Open vSwitch reloads its PMDs in two
 * steps.  A placement that gives no PMD a new queue is published at once: nobody starts
 * polling anything (the grace period also covers queues taken away by such a placement).
 */
int
pmd_rxq_assign(struct pmd **pmds, unsigned n_pmds, struct port *const *ports,
		unsigned n_ports, const struct pmd_rxq_policy *pol, struct rcu_defer *defer,
		char **warn)
{
	struct pmd_rxq_set **sets;
	uint64_t load[PORT_MAX_PMDS] = { 0 };
	bool iso[PORT_MAX_PMDS];
	int rc;

	if (n_pmds == 0)
		return 0;
	sets = alloc_sets(n_pmds, ports, n_ports);
	if (sets == NULL)
		return -ENOMEM;
	rc = rxq_plan(pmds, n_pmds, ports, n_ports, pol, sets, load, iso, warn);
	if (rc == 0 && rxq_gained(pmds, n_pmds, sets)) {
		publish_kept(pmds, n_pmds, sets, defer);
		rcu_defer_synchronize(defer);
	}
	for (unsigned i = 0; rc == 0 && i < n_pmds; i++) {
		pmds[i]->isolated = iso[i];
		publish_set(pmds[i], sets[i], defer);
		sets[i] = NULL;
	}
	free_sets(sets, n_pmds);
	return rc;
}

/* The variance of the loads of the PMDs that are not isolated (times n squared: only
 * compared with another of the same PMDs). */
static double
spread(const bool *iso, unsigned n_pmds, const uint64_t *load)
{
	double sum = 0, sq = 0;
	unsigned n = 0;

	for (unsigned i = 0; i < n_pmds; i++) {
		if (iso[i])
			continue;
		sum += (double)load[i];
		sq += (double)load[i] * (double)load[i];
		n++;
	}
	return n == 0 ? 0 : (double)n * sq - sum * sum;
}

int
pmd_rxq_improvement(struct pmd **pmds, unsigned n_pmds, struct port *const *ports,
		unsigned n_ports, const struct pmd_rxq_policy *pol, unsigned *pct)
{
	uint64_t now[PORT_MAX_PMDS] = { 0 }, plan[PORT_MAX_PMDS] = { 0 };
	bool iso[PORT_MAX_PMDS];
	struct pmd_rxq_set **sets;
	double before, after;
	int rc;

	*pct = 0;
	if (n_pmds < 2)
		return 0;
	for (unsigned i = 0; i < n_pmds; i++) {
		const struct pmd_rxq_set *set = pmds[i]->rxqs;

		for (uint32_t q = 0; set != NULL && q < set->n; q++)
			now[i] += set->rxq[q].port->rxq_stats[set->rxq[q].qid].load;
	}
	sets = alloc_sets(n_pmds, ports, n_ports);
	if (sets == NULL)
		return -ENOMEM;
	rc = rxq_plan(pmds, n_pmds, ports, n_ports, pol, sets, plan, iso, NULL);
	free_sets(sets, n_pmds);
	before = spread(iso, n_pmds, now);
	after = spread(iso, n_pmds, plan);
	if (rc == 0 && before > 0 && after < before)
		*pct = (unsigned)((before - after) * 100.0 / before);
	return rc;
}
