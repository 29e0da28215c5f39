/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The EAL command line, from other_config as Open vSwitch builds it: dpdk-lcore-mask (the
 * main lcore; default core 0), dpdk-socket-mem / dpdk-socket-limit, dpdk-hugepage-dir,
 * then dpdk-extra split on white space.  PMD threads are not EAL lcores: they register
 * themselves (rte_thread_register), so pmd-cpu-mask can change at run time.
 * Unless dpdk-extra names one, a --file-prefix of "vireo" keeps vireo-dp's hugepage files
 * apart from other DPDK processes on the machine (testpmd, ovs-vswitchd).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dp.h"

static int
push(int *argc, char ***argv, const char *s)
{
	char **n = realloc(*argv, (size_t)(*argc + 2) * sizeof(char *));

	if (n == NULL)
		return -ENOMEM;
	*argv = n;
	n[*argc] = strdup(s);
	if (n[*argc] == NULL)
		return -ENOMEM;
	(*argc)++;
	n[*argc] = NULL;
	return 0;
}

int
dp_eal_args(const struct vconf *cfg, int *argc, char ***argv, char **err)
{
	const struct vconf_map *oc = &cfg->other_config;
	const char *lcore = vconf_map_get(oc, "dpdk-lcore-mask");
	const char *mem = vconf_map_get(oc, "dpdk-socket-mem");
	const char *limit = vconf_map_get(oc, "dpdk-socket-limit");
	const char *hpdir = vconf_map_get(oc, "dpdk-hugepage-dir");
	const char *extra = vconf_map_get(oc, "dpdk-extra");
	bool has_prefix = false, has_lcores = false;
	int rc = 0;

	*argc = 0;
	*argv = NULL;
	rc |= push(argc, argv, "vireo-dp");
	if (extra != NULL) {
		has_prefix = strstr(extra, "--file-prefix") != NULL ||
			strstr(extra, "--in-memory") != NULL;
		has_lcores = strstr(extra, "--lcores") != NULL || strstr(extra, "-l ") != NULL ||
			strstr(extra, "-c ") != NULL;
	}
	if (!has_lcores) {
		rc |= push(argc, argv, "-c");
		rc |= push(argc, argv, lcore ? lcore : "0x1");
	}
	if (mem != NULL) {
		rc |= push(argc, argv, "--socket-mem");
		rc |= push(argc, argv, mem);
	}
	if (limit != NULL) {
		rc |= push(argc, argv, "--socket-limit");
		rc |= push(argc, argv, limit);
	}
	if (hpdir != NULL) {
		rc |= push(argc, argv, "--huge-dir");
		rc |= push(argc, argv, hpdir);
	}
	if (!has_prefix)
		rc |= push(argc, argv, "--file-prefix=vireo");
	if (extra != NULL) {
		char *copy = strdup(extra), *save = NULL;

		if (copy == NULL)
			return -ENOMEM;
		for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
			rc |= push(argc, argv, t);
		free(copy);
	}
	if (rc != 0) {
		*err = strdup("out of memory building the EAL arguments");
		return -ENOMEM;
	}
	return 0;
}
