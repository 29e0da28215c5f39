/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VMM_API_H
#define VIREO_VMM_API_H

/*
 * The API socket of vireo-vmm (control/'s JSON-RPC server) and its commands:
 * vm-info, exit-stats, shutdown.
 *
 * Thread-safety: main thread only (the commands read vCPU counters with atomic loads).
 */

struct vmm_vm;
struct control_server;

/** Listen on 'path' and register the VM's commands.  Returns 0 or -VMM_EINPUT. */
int vmm_api_start(struct vmm_vm *vm, const char *path, struct control_server **srv,
		char **err);

/** Close the socket and unregister the commands. */
void vmm_api_stop(struct vmm_vm *vm, struct control_server *srv);

#endif /* VIREO_VMM_API_H */
