/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmm_main(): build the VM, run it, report why it ended.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "util.h"
#include "vm.h"

static int
status_of(int ret)
{
	return ret == -VMM_EINPUT ? VMM_EXIT_INPUT : VMM_EXIT_INTERNAL;
}

int
vmm_main(const struct vmm_config *cfg)
{
	struct control_server *srv = NULL;
	struct vmm_vm vm;
	char *err = NULL;
	int ret, status;

	/* A console reader that goes away must not kill the VM: writes then fail with EPIPE. */
	signal(SIGPIPE, SIG_IGN);
	ret = vmm_vm_create(&vm, cfg, &err);
	if (ret == 0)
		ret = vmm_devices_init(&vm, &err);
	if (ret == 0 && cfg->api_socket != NULL)
		ret = vmm_api_start(&vm, cfg->api_socket, &srv, &err);
	if (ret == 0)
		ret = vmm_vcpus_create(&vm, &err);
	if (ret < 0) {
		fprintf(stderr, "vireo-vmm: %s\n", err != NULL ? err : strerror(-ret));
		free(err);
		status = status_of(ret);
		goto out;
	}
	status = vmm_vm_run(&vm);
	fprintf(stderr, "vireo-vmm: %s\n", vm.reason);
	if (cfg->exit_stats)
		vmm_stats_print(&vm, stderr);
out:
	vmm_api_stop(&vm, srv);
	vmm_devices_exit(&vm);
	vmm_vm_destroy(&vm);
	return status;
}
