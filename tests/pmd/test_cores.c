/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pmd-cpu-mask read into cores (pmd/pmd.c's pmd_mask_cores()) against a given set of usable
 * cores: a core the process may not run on (offline, or outside its CPU affinity) is left
 * out and named, as one the machine does not have; the others still count.  No threads, no
 * EAL.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "pmd.h"

/* Into 'set': the cores of 'list' ('n' of them). */
static void
usable_of(cpu_set_t *set, const unsigned *list, unsigned n)
{
	CPU_ZERO(set);
	for (unsigned i = 0; i < n; i++)
		CPU_SET(list[i], set);
}

static void
test_usable_only(void)
{
	static const unsigned only0[] = { 0 };
	unsigned cores[PORT_MAX_PMDS];
	cpu_set_t set;
	char *warn = NULL;
	unsigned n;

	if (sysconf(_SC_NPROCESSORS_CONF) < 2)
		return;		/* core 1 would be one the machine lacks */
	/* Core 1 configured but not usable: left out, said; nothing else is. */
	usable_of(&set, only0, 1);
	n = pmd_mask_cores("0x2", &set, cores, &warn);
	CHECK(n == 0, "0x2 with core 1 unusable: %u cores", n);
	CHECK(warn != NULL && strstr(warn, "pmd-cpu-mask '0x2': core 1 not available") &&
		strstr(warn, "CPU affinity") && !strstr(warn, "not on this machine"),
		"0x2: warning '%s'", warn ? warn : "(none)");
	free(warn);

	/* The usable core of the mask stays: the rest of the mask applies. */
	n = pmd_mask_cores("0x3", &set, cores, &warn);
	CHECK(n == 1 && cores[0] == 0, "0x3 with core 1 unusable: %u cores, first %u", n,
		n ? cores[0] : 0);
	CHECK(warn != NULL && strstr(warn, "core 1 not available"), "0x3: warning '%s'",
		warn ? warn : "(none)");
	free(warn);
}

static void
test_all_usable(void)
{
	static const unsigned both[] = { 0, 1 };
	unsigned cores[PORT_MAX_PMDS];
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	char mask[64], *warn = NULL;
	cpu_set_t set;
	unsigned n;

	usable_of(&set, both, 2);
	if (ncpu >= 2) {
		n = pmd_mask_cores("3", &set, cores, &warn);
		CHECK(n == 2 && cores[0] == 0 && cores[1] == 1 && warn == NULL,
			"3: %u cores, warning '%s'", n, warn ? warn : "(none)");
		free(warn);
	}
	/* A core beyond the machine's: named as such, not as unavailable. */
	if (ncpu >= 60)
		return;
	snprintf(mask, sizeof(mask), "0x%llx", 1ULL << ncpu);
	n = pmd_mask_cores(mask, &set, cores, &warn);
	CHECK(n == 0 && warn && strstr(warn, "not on this machine") &&
		!strstr(warn, "not available"), "%s: %u cores, warning '%s'", mask, n,
		warn ? warn : "(none)");
	free(warn);
}

/* NULL: the calling thread's affinity, whose cores are all taken. */
static void
test_own_affinity(void)
{
	unsigned cores[PORT_MAX_PMDS], n;
	cpu_set_t own;
	char mask[32], *warn = NULL;
	int first = -1;

	CHECK(sched_getaffinity(0, sizeof(own), &own) == 0, "sched_getaffinity");
	for (int c = 0; c < 64 && first < 0; c++)
		if (CPU_ISSET(c, &own))
			first = c;
	if (first < 0)
		return;
	snprintf(mask, sizeof(mask), "0x%llx", 1ULL << first);
	n = pmd_mask_cores(mask, NULL, cores, &warn);
	CHECK(n == 1 && cores[0] == (unsigned)first && warn == NULL,
		"%s (own core): %u cores, warning '%s'", mask, n, warn ? warn : "(none)");
	free(warn);
}

int
main(void)
{
	test_usable_only();
	test_all_usable();
	test_own_affinity();
	return check_report("test_cores");
}
