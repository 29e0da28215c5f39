/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vCPUs: creation (the architecture's set-up: vmm_arch_vcpu_init()), one thread each
 * running KVM_RUN, and the exit dispatch to the bus.  Secondary vCPUs wait in the kernel
 * (x86: the local APIC's INIT/SIPI; arm64: powered off until PSCI CPU_ON).
 *
 * Stopping: the main thread sets kvm_run.immediate_exit and sends SIGKICK to the thread;
 * KVM_RUN returns EINTR, the thread sees vm->stop_requested and returns.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch.h"
#include "util.h"
#include "vm.h"

#define SIGKICK SIGUSR1
/* vCPU threads need little stack; small stacks also never get a transparent huge page. */
#define VCPU_STACK_SIZE (256 * 1024)

static int
vcpu_create(struct vmm_vcpu *vcpu, char **err)
{
	struct vmm_vm *vm = vcpu->vm;
	int ret;

	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, vcpu->id);
	if (vcpu->fd < 0)
		return vmm_err(err, -errno, "KVM_CREATE_VCPU %u: %s", vcpu->id, strerror(errno));
	vcpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		vcpu->run = NULL;
		return vmm_err(err, -errno, "vCPU %u: mmap kvm_run: %s", vcpu->id, strerror(errno));
	}
	ret = vmm_arch_vcpu_init(vcpu, err);
	if (ret < 0)
		return ret;
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD) > 0)
		vcpu->stats_fd = ioctl(vcpu->fd, KVM_GET_STATS_FD, 0);
	return 0;
}

int
vmm_vcpus_create(struct vmm_vm *vm, char **err)
{
	unsigned int i;
	int size, ret = 0;

	size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0)
		return vmm_err(err, -errno, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	vm->run_size = (size_t)size;
	vm->vcpus = calloc(vm->nr_vcpus, sizeof(*vm->vcpus));
	if (vm->vcpus == NULL)
		return -ENOMEM;
	for (i = 0; i < vm->nr_vcpus; i++) {
		vm->vcpus[i].vm = vm;
		vm->vcpus[i].id = i;
		vm->vcpus[i].fd = -1;
		vm->vcpus[i].stats_fd = -1;
		vm->vcpus[i].pin_cpu = -1;
	}
	for (i = 0; i < vm->cfg->nr_pins; i++)
		vm->vcpus[vm->cfg->pins[i].vcpu].pin_cpu = vm->cfg->pins[i].cpu;
	for (i = 0; i < vm->nr_vcpus && ret == 0; i++)
		ret = vcpu_create(&vm->vcpus[i], err);
	if (ret == 0)
		ret = vmm_arch_vcpus_ready(vm, err);
	return ret;
}

static void
handle_io(struct vmm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *p = (uint8_t *)run + run->io.data_offset;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;
	uint32_t i;

	vmm_stats_io(&vcpu->stats, out ? VMM_STAT_PIO_OUT : VMM_STAT_PIO_IN, run->io.port);
	for (i = 0; i < run->io.count; i++, p += run->io.size)
		vmm_bus_access(&vcpu->vm->bus, VMM_BUS_PIO, run->io.port, p, run->io.size, out);
}

static void
handle_mmio(struct vmm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	bool w = run->mmio.is_write;
	int id;

	id = vmm_bus_access(&vcpu->vm->bus, VMM_BUS_MMIO, run->mmio.phys_addr, run->mmio.data,
		run->mmio.len, w);
	if (id >= 0)
		vmm_stats_io(&vcpu->stats, w ? VMM_STAT_MMIO_WRITE : VMM_STAT_MMIO_READ,
			(uint64_t)id);
	else
		vmm_stats_io(&vcpu->stats, w ? VMM_STAT_MMIO_UNCLAIMED_WRITE :
			VMM_STAT_MMIO_UNCLAIMED_READ, run->mmio.phys_addr >> 12);
}

static void
handle_system_event(struct vmm_vcpu *vcpu)
{
	struct vmm_vm *vm = vcpu->vm;

	switch (vcpu->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vmm_vm_request_stop(vm, VMM_EXIT_OK, "guest power-off (vCPU %u)", vcpu->id);
		break;
	case KVM_SYSTEM_EVENT_RESET:
		vmm_vm_request_stop(vm, VMM_EXIT_OK, "guest reboot (vCPU %u)", vcpu->id);
		break;
	case KVM_SYSTEM_EVENT_CRASH:
		vmm_vm_request_stop(vm, VMM_EXIT_OK, "guest crash (vCPU %u)", vcpu->id);
		break;
	default:
		vmm_vm_request_stop(vm, VMM_EXIT_INTERNAL, "vCPU %u: unknown system event %u",
			vcpu->id, vcpu->run->system_event.type);
		break;
	}
}

/* Returns false when the vCPU must stop. */
static bool
handle_exit(struct vmm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct vmm_vm *vm = vcpu->vm;
	const char *name;

	vmm_stats_reason(&vcpu->stats, run->exit_reason);
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(vcpu);
		return true;
	case KVM_EXIT_MMIO:
		handle_mmio(vcpu);
		return true;
	case KVM_EXIT_INTR:
	case KVM_EXIT_HLT:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		return true;
	case KVM_EXIT_SHUTDOWN:
		vmm_vm_request_stop(vm, VMM_EXIT_OK, "guest triple fault (vCPU %u shutdown)",
			vcpu->id);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		handle_system_event(vcpu);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		vmm_arch_vcpu_dump(vcpu);
		vmm_vm_request_stop(vm, VMM_EXIT_INTERNAL,
			"vCPU %u: KVM entry failed, hardware reason 0x%llx", vcpu->id,
			(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		vmm_arch_vcpu_dump(vcpu);
		vmm_vm_request_stop(vm, VMM_EXIT_INTERNAL, "vCPU %u: KVM internal error, suberror %u",
			vcpu->id, run->internal.suberror);
		return false;
	default:
		vmm_arch_vcpu_dump(vcpu);
		name = vmm_stats_reason_name(run->exit_reason);
		vmm_vm_request_stop(vm, VMM_EXIT_INTERNAL, "vCPU %u: unhandled exit %s (%u)",
			vcpu->id, name != NULL ? name : "?", run->exit_reason);
		return false;
	}
}

static void *
vcpu_thread(void *arg)
{
	struct vmm_vcpu *vcpu = arg;
	struct vmm_vm *vm = vcpu->vm;
	char name[16];

	snprintf(name, sizeof(name), "vcpu%u", vcpu->id);
	pthread_setname_np(pthread_self(), name);
	while (!__atomic_load_n(&vm->stop_requested, __ATOMIC_ACQUIRE)) {
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_RELAXED);
				vmm_stats_reason(&vcpu->stats, KVM_EXIT_INTR);
				continue;
			}
			vmm_vm_request_stop(vm, VMM_EXIT_INTERNAL, "vCPU %u: KVM_RUN: %s", vcpu->id,
				strerror(errno));
			break;
		}
		if (!handle_exit(vcpu))
			break;
	}
	return NULL;
}

static void
kick_handler(int sig)
{
	(void)sig;
}

int
vmm_vcpus_start(struct vmm_vm *vm, char **err)
{
	struct sigaction sa;
	unsigned int i;
	int ret;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGKICK, &sa, NULL);
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vmm_vcpu *vcpu = &vm->vcpus[i];
		pthread_attr_t attr;

		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, VCPU_STACK_SIZE);
		if (vcpu->pin_cpu >= 0) {
			cpu_set_t one;

			CPU_ZERO(&one);
			CPU_SET(vcpu->pin_cpu, &one);
			pthread_attr_setaffinity_np(&attr, sizeof(one), &one);
		} else if (CPU_COUNT(&vm->host_cpus) > 0) {
			/* not the emulator threads' set, which this thread has */
			pthread_attr_setaffinity_np(&attr, sizeof(vm->host_cpus), &vm->host_cpus);
		}
		ret = pthread_create(&vcpu->thread, &attr, vcpu_thread, vcpu);
		pthread_attr_destroy(&attr);
		if (ret != 0)
			return vmm_err(err, -ret, "vCPU %u: pthread_create%s: %s", i,
				vcpu->pin_cpu >= 0 ? " (pinned)" : "", strerror(ret));
		vcpu->started = true;
	}
	return 0;
}

void
vmm_vcpus_stop(struct vmm_vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vmm_vcpu *vcpu = &vm->vcpus[i];

		if (!vcpu->started)
			continue;
		__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_RELEASE);
		pthread_kill(vcpu->thread, SIGKICK);
	}
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vmm_vcpu *vcpu = &vm->vcpus[i];

		if (!vcpu->started)
			continue;
		pthread_join(vcpu->thread, NULL);
		vcpu->started = false;
	}
}

void
vmm_vcpus_destroy(struct vmm_vm *vm)
{
	unsigned int i;

	if (vm->vcpus == NULL)
		return;
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vmm_vcpu *vcpu = &vm->vcpus[i];

		if (vcpu->stats_fd >= 0)
			close(vcpu->stats_fd);
		if (vcpu->run != NULL)
			munmap(vcpu->run, vm->run_size);
		if (vcpu->fd >= 0)
			close(vcpu->fd);
	}
	free(vm->vcpus);
	vm->vcpus = NULL;
}
