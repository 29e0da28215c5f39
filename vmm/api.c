/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The API socket: the unixctl JSON-RPC server of control/, with the VM's commands
 * vm-info, exit-stats and shutdown.  It runs in the main loop, so `vireoctl --target
 * VM.sock exit-stats` (or ovs-appctl -t VM.sock) works like against vireo-dp.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "control.h"
#include "util.h"
#include "vm.h"

static void
api_readable(void *opaque, int fd)
{
	(void)fd;
	control_server_run(opaque);
}

static json_t *
vm_info_json(struct vmm_vm *vm)
{
	const struct vmm_config *cfg = vm->cfg;
	json_t *o = json_object(), *regions = json_array();
	unsigned int i;

	json_object_set_new(o, "pid", json_integer(getpid()));
	json_object_set_new(o, "state", json_string(
		__atomic_load_n(&vm->stop_requested, __ATOMIC_ACQUIRE) ? "stopping" : "running"));
	json_object_set_new(o, "uptime_s", json_real((double)(vmm_now_ns() - vm->start_ns) / 1e9));
	json_object_set_new(o, "vcpus", json_integer(vm->nr_vcpus));
	json_object_set_new(o, "memory_mib", json_integer((json_int_t)(vm->mem.size >> 20)));
	json_object_set_new(o, "page_size", json_integer((json_int_t)vm->mem.page_size));
	json_object_set_new(o, "shared", json_boolean(vm->mem.shareable));
	json_object_set_new(o, "kernel", json_string(cfg->kernel));
	json_object_set_new(o, "initramfs", cfg->initramfs != NULL ?
		json_string(cfg->initramfs) : json_null());
	json_object_set_new(o, "cmdline", json_string(cfg->cmdline));
	json_object_set_new(o, "kernel_boot", json_string(vm->boot.decompressed ?
		"decompressed" : "bzimage"));
	json_object_set_new(o, "payload_format", vm->boot.payload_format != NULL ?
		json_string(vm->boot.payload_format) : json_null());
	if (vm->boot.decompressed) {
		json_object_set_new(o, "decompress_s", json_real((double)vm->boot.decompress_ns / 1e9));
		json_object_set_new(o, "read_s", json_real((double)vm->boot.read_ns / 1e9));
	} else
		json_object_set_new(o, "bzimage_reason", json_string(vm->boot.boot_note));
	for (i = 0; i < vm->mem.nr_regions; i++) {
		json_t *r = json_object();

		json_object_set_new(r, "gpa", json_integer((json_int_t)vm->mem.regions[i].gpa));
		json_object_set_new(r, "size", json_integer((json_int_t)vm->mem.regions[i].size));
		json_object_set_new(r, "fd_offset",
			json_integer((json_int_t)vm->mem.regions[i].fd_offset));
		json_array_append_new(regions, r);
	}
	json_object_set_new(o, "memory_regions", regions);
	if (vm->console != NULL) {
		struct vmm_conout_stats cs;
		json_t *c = json_object();

		vmm_conout_stats(vm->console, &cs);
		json_object_set_new(c, "written", json_integer((json_int_t)cs.written));
		json_object_set_new(c, "dropped", json_integer((json_int_t)cs.dropped));
		json_object_set_new(c, "queued", json_integer((json_int_t)cs.queued));
		json_object_set_new(c, "limit", cs.limit != UINT64_MAX ?
			json_integer((json_int_t)cs.limit) : json_null());
		json_object_set_new(o, "console", c);
	}
	return o;
}

static void
cmd_vm_info(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct vmm_vm *vm = aux;
	struct control_buf b = { 0 };
	unsigned int i;
	char *text;

	(void)argc;
	(void)argv;
	if (control_conn_format(conn) == CONTROL_FMT_JSON) {
		control_reply_json(conn, vm_info_json(vm));
		return;
	}
	control_buf_printf(&b, "state: %s\n",
		__atomic_load_n(&vm->stop_requested, __ATOMIC_ACQUIRE) ? "stopping" : "running");
	control_buf_printf(&b, "pid: %d\n", (int)getpid());
	control_buf_printf(&b, "uptime: %.3f s\n", (double)(vmm_now_ns() - vm->start_ns) / 1e9);
	control_buf_printf(&b, "vcpus: %u\n", vm->nr_vcpus);
	control_buf_printf(&b, "memory: %" PRIu64 " MiB, page size %" PRIu64 " KiB, %s\n",
		vm->mem.size >> 20, vm->mem.page_size >> 10,
		vm->mem.shareable ? "shared" : "private");
	for (i = 0; i < vm->mem.nr_regions; i++)
		control_buf_printf(&b, "  region %u: gpa 0x%" PRIx64 " size 0x%" PRIx64
			" fd offset 0x%" PRIx64 "\n", i, vm->mem.regions[i].gpa,
			vm->mem.regions[i].size, vm->mem.regions[i].fd_offset);
	control_buf_printf(&b, "kernel: %s\n", vm->cfg->kernel);
	if (vm->cfg->initramfs != NULL)
		control_buf_printf(&b, "initramfs: %s\n", vm->cfg->initramfs);
	control_buf_printf(&b, "cmdline: %s\n", vm->cfg->cmdline);
	if (vm->boot.decompressed)
		control_buf_printf(&b, "kernel boot: decompressed by vireo-vmm (%s payload, %" PRIu64
			" bytes in %.3f s, %.3f s of it reading, entry 0x%" PRIx64 ")\n",
			vm->boot.payload_format, vm->boot.kernel_size,
			(double)vm->boot.decompress_ns / 1e9, (double)vm->boot.read_ns / 1e9,
			vm->boot.entry);
	else
		control_buf_printf(&b, "kernel boot: bzimage, decompressed by the guest (%s)\n",
			vm->boot.boot_note[0] != '\0' ? vm->boot.boot_note : "no reason recorded");
	if (vm->console != NULL) {
		struct vmm_conout_stats cs;

		vmm_conout_stats(vm->console, &cs);
		control_buf_printf(&b, "console: %" PRIu64 " bytes written, %" PRIu64
			" dropped, %" PRIu64 " queued\n", cs.written, cs.dropped, cs.queued);
	}
	text = control_buf_steal(&b);
	control_reply(conn, text);
	free(text);
}

static void
cmd_exit_stats(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct vmm_vm *vm = aux;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)argc;
	(void)argv;
	if (control_conn_format(conn) == CONTROL_FMT_JSON) {
		control_reply_json(conn, vmm_stats_json(vm));
		return;
	}
	f = open_memstream(&text, &len);
	if (f == NULL) {
		control_reply_errorf(conn, "exit-stats: %s", strerror(errno));
		return;
	}
	vmm_stats_print(vm, f);
	fclose(f);
	control_reply(conn, text);
	free(text);
}

static void
cmd_shutdown(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct vmm_vm *vm = aux;

	(void)argc;
	(void)argv;
	vmm_vm_request_stop(vm, VMM_EXIT_OK, "shutdown requested on the API socket");
	control_reply(conn, "shutting down\n");
}

int
vmm_api_start(struct vmm_vm *vm, const char *path, struct control_server **srv, char **err)
{
	char *msg = NULL;
	int ret;

	control_command_register("vm-info", "", 0, 0, cmd_vm_info, vm);
	control_command_register("exit-stats", "", 0, 0, cmd_exit_stats, vm);
	control_command_register("shutdown", "", 0, 0, cmd_shutdown, vm);
	*srv = control_server_create(path, &msg);
	if (*srv == NULL) {
		ret = vmm_err(err, -VMM_EINPUT, "--api-socket %s: %s", path,
			msg != NULL ? msg : "cannot listen");
		free(msg);
		control_commands_clear();
		return ret;
	}
	ret = vmm_vm_add_fd(vm, control_server_fd(*srv), api_readable, *srv);
	if (ret < 0) {
		control_server_destroy(*srv);
		*srv = NULL;
		control_commands_clear();
		return vmm_err(err, ret, "--api-socket %s: %s", path, strerror(-ret));
	}
	return 0;
}

void
vmm_api_stop(struct vmm_vm *vm, struct control_server *srv)
{
	if (srv == NULL)
		return;
	vmm_vm_del_fd(vm, control_server_fd(srv));
	control_server_destroy(srv);
	control_commands_clear();
}
