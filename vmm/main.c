/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vireo-vmm: parse the command line and run the VM.
 */
#include <stdio.h>
#include <stdlib.h>

#include "vmm.h"

int
main(int argc, char **argv)
{
	struct vmm_config cfg;
	char *err = NULL;
	int ret;

	ret = vmm_config_parse(&cfg, argc, argv, &err);
	if (ret != 0) {
		if (ret < 0)
			fprintf(stderr, "vireo-vmm: %s\n", err != NULL ? err : "bad command line");
		free(err);
		vmm_config_free(&cfg);
		return ret > 0 ? VMM_EXIT_OK : VMM_EXIT_INPUT;
	}
	ret = vmm_main(&cfg);
	vmm_config_free(&cfg);
	return ret;
}
