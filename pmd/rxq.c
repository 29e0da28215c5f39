/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rx queue placement: each queue on a PMD of its port's NUMA node, least loaded first.
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

int
pmd_rxq_assign(struct pmd **pmds, unsigned n_pmds, struct port *const *ports,
		unsigned n_ports, struct rcu_defer *defer, char **warn)
{
	unsigned total = 0, k = 0, n_open = 0;
	struct rxq_ref *refs;
	struct pmd_rxq_set **sets;
	uint64_t *pmd_load;
	int rc = 0;

	if (n_pmds == 0)
		return 0;
	for (unsigned i = 0; i < n_ports; i++)
		total += ports[i]->n_rxq;
	refs = calloc(total ? total : 1, sizeof(*refs));
	sets = calloc(n_pmds, sizeof(*sets));
	pmd_load = calloc(n_pmds, sizeof(*pmd_load));
	if (refs == NULL || sets == NULL || pmd_load == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < n_pmds; i++) {
		sets[i] = calloc(1, sizeof(struct pmd_rxq_set) + (total + 1) * sizeof(struct pmd_rxq));
		if (sets[i] == NULL) {
			rc = -ENOMEM;
			goto out;
		}
	}
	for (unsigned i = 0; i < n_pmds; i++)
		pmds[i]->isolated = false;
	for (unsigned i = 0; i < n_ports; i++) {
		for (uint16_t q = 0; q < ports[i]->n_rxq && q < PORT_MAX_RXQ; q++) {
			struct pmd *pin = pinned_pmd(pmds, n_pmds, ports[i], q, warn);

			if (pin != NULL) {
				pin->isolated = true;
				sets[pin->index]->rxq[sets[pin->index]->n++] =
					(struct pmd_rxq){ ports[i], q };
				continue;
			}
			refs[k++] = (struct rxq_ref){ ports[i], q, ports[i]->rxq_stats[q].load };
		}
	}
	qsort(refs, k, sizeof(*refs), cmp_load);
	for (unsigned i = 0; i < n_pmds; i++)
		n_open += !pmds[i]->isolated;
	if (k > 0 && n_open == 0 && warn != NULL)
		append(warn, "warning: every PMD is isolated by pmd-rxq-affinity: queues not "
			"pinned are spread over them all");

	for (unsigned r = 0; r < k; r++) {
		int best = -1;
		bool local = false;

		for (unsigned i = 0; i < n_pmds; i++) {
			bool same = pmds[i]->numa == refs[r].port->socket || refs[r].port->socket < 0;

			if (n_open > 0 && pmds[i]->isolated)
				continue;
			if (best < 0 || (same && !local) ||
					(same == local && (pmd_load[i] < pmd_load[best] ||
					(pmd_load[i] == pmd_load[best] &&
					sets[i]->n < sets[best]->n)))) {
				best = (int)i;
				local = same;
			}
		}
		if (!local && warn != NULL) {
			char line[PORT_NAME_MAX + 160];

			snprintf(line, sizeof(line), "warning: no PMD on NUMA node %d for port '%s' "
				"rx queue %u: polled by core %u on node %d", refs[r].port->socket,
				refs[r].port->name, refs[r].qid, pmds[best]->core, pmds[best]->numa);
			append(warn, line);
		}
		pmd_load[best] += refs[r].load;
		sets[best]->rxq[sets[best]->n++] = (struct pmd_rxq){ refs[r].port, refs[r].qid };
	}

	struct pmd_rxq_set *old[PORT_MAX_PMDS];

	for (unsigned i = 0; i < n_pmds; i++) {
		old[i] = pmds[i]->rxqs;
		__atomic_store_n(&pmds[i]->rxqs, sets[i], __ATOMIC_RELEASE);
		sets[i] = NULL;
	}
	for (unsigned i = 0; i < n_pmds; i++)
		rcu_defer_free(defer, free, old[i]);
out:
	if (sets)
		for (unsigned i = 0; i < n_pmds; i++)
			free(sets[i]);
	free(sets);
	free(refs);
	free(pmd_load);
	return rc;
}
