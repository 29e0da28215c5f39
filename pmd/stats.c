/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PMD counters as the main thread reads them: "clear" keeps a snapshot to subtract, so
 * that no counter is written by two threads.  Their text (pmd-stats-show) is the command
 * layer's.
 */
#include <string.h>

#include <rte_cycles.h>

#include "pmd.h"

void
pmd_stats_read(const struct pmd *pmd, struct pmd_stats *out)
{
	const uint64_t *src = (const uint64_t *)&pmd->stats;
	const uint64_t *clr = (const uint64_t *)&pmd->cleared;
	uint64_t *dst = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED) - clr[i];
}

void
pmd_stats_clear(struct pmd *pmd)
{
	const uint64_t *src = (const uint64_t *)&pmd->stats;
	uint64_t *dst = (uint64_t *)&pmd->cleared;

	for (size_t i = 0; i < sizeof(pmd->cleared) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	pmd->since_tsc = rte_get_tsc_cycles();
}

void
pmd_measure(struct pmd **pmds, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t now = __atomic_load_n(&pmds[i]->stats.busy_cycles, __ATOMIC_RELAXED) +
			__atomic_load_n(&pmds[i]->stats.idle_cycles, __ATOMIC_RELAXED);

		pmds[i]->interval_cycles = now - pmds[i]->cycles_prev;
		pmds[i]->cycles_prev = now;
	}
}
