/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vCPUs: creation (CPUID, MSRs, local APIC, 64-bit boot registers for vCPU 0), one thread
 * each running KVM_RUN, and the exit dispatch to the bus.  Secondary vCPUs wait in the
 * in-kernel local APIC for the guest's INIT/SIPI.
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

#include "util.h"
#include "vm.h"
#include "x86.h"

#define SIGKICK SIGUSR1
/* vCPU threads need little stack; small stacks also never get a transparent huge page. */
#define VCPU_STACK_SIZE (256 * 1024)

#define MSR_IA32_TSC 0x10
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102

#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_MODE_NMI 0x4
#define APIC_MODE_EXTINT 0x7

#define CR0_PE (1ULL << 0)
#define CR0_MP (1ULL << 1)
#define CR0_ET (1ULL << 4)
#define CR0_NE (1ULL << 5)
#define CR0_WP (1ULL << 16)
#define CR0_PG (1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)

static struct kvm_cpuid2 *
supported_cpuid(int kvm_fd, char **err)
{
	unsigned int n = 64;

	for (;;) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

		if (c == NULL)
			return NULL;
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG || n >= 4096) {
			vmm_err(err, -errno, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
			return NULL;
		}
		n *= 2;
	}
}

static int
set_cpuid(struct vmm_vcpu *vcpu, const struct kvm_cpuid2 *sup, char **err)
{
	size_t size = sizeof(*sup) + sup->nent * sizeof(sup->entries[0]);
	struct kvm_cpuid2 *c = malloc(size);
	int ret = 0;

	if (c == NULL)
		return -ENOMEM;
	memcpy(c, sup, size);
	vmm_cpuid_patch(c->entries, c->nent, vcpu->id, vcpu->vm->nr_vcpus);
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, c) < 0)
		ret = vmm_err(err, -errno, "vCPU %u: KVM_SET_CPUID2: %s", vcpu->id, strerror(errno));
	free(c);
	return ret;
}

static int
set_msrs(struct vmm_vcpu *vcpu, char **err)
{
	static const struct {
		uint32_t index;
		uint64_t data;
	} init[] = {
		{ MSR_IA32_SYSENTER_CS, 0 }, { MSR_IA32_SYSENTER_ESP, 0 },
		{ MSR_IA32_SYSENTER_EIP, 0 }, { MSR_STAR, 0 }, { MSR_CSTAR, 0 },
		{ MSR_KERNEL_GS_BASE, 0 }, { MSR_SYSCALL_MASK, 0 }, { MSR_LSTAR, 0 },
		{ MSR_IA32_MISC_ENABLE, 1 },			/* fast strings */
		{ MSR_MTRR_DEF_TYPE, (1ULL << 11) | 6 },	/* MTRRs on, write-back */
	};
	const unsigned int n = sizeof(init) / sizeof(init[0]);
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[sizeof(init) / sizeof(init[0])];
	} msrs;
	unsigned int i;
	int ret;

	memset(&msrs, 0, sizeof(msrs));
	msrs.hdr.nmsrs = n;
	for (i = 0; i < n; i++) {
		msrs.e[i].index = init[i].index;
		msrs.e[i].data = init[i].data;
	}
	ret = ioctl(vcpu->fd, KVM_SET_MSRS, &msrs);
	if (ret < 0)
		return vmm_err(err, -errno, "vCPU %u: KVM_SET_MSRS: %s", vcpu->id, strerror(errno));
	if ((unsigned int)ret < n)
		return vmm_err(err, -EINVAL, "vCPU %u: KVM_SET_MSRS refused MSR 0x%x", vcpu->id,
			init[ret].index);
	return 0;
}

static void
lvt_mode(struct kvm_lapic_state *l, unsigned int reg, uint32_t mode)
{
	uint32_t v;

	memcpy(&v, &l->regs[reg], sizeof(v));
	v = (v & ~0x700U) | (mode << 8);
	memcpy(&l->regs[reg], &v, sizeof(v));
}

static int
set_lapic(struct vmm_vcpu *vcpu, char **err)
{
	struct kvm_lapic_state l;

	if (ioctl(vcpu->fd, KVM_GET_LAPIC, &l) < 0)
		return vmm_err(err, -errno, "vCPU %u: KVM_GET_LAPIC: %s", vcpu->id, strerror(errno));
	lvt_mode(&l, APIC_LVT_LINT0, APIC_MODE_EXTINT);
	lvt_mode(&l, APIC_LVT_LINT1, APIC_MODE_NMI);
	if (ioctl(vcpu->fd, KVM_SET_LAPIC, &l) < 0)
		return vmm_err(err, -errno, "vCPU %u: KVM_SET_LAPIC: %s", vcpu->id, strerror(errno));
	return 0;
}

static int
set_fpu(struct vmm_vcpu *vcpu, char **err)
{
	struct kvm_fpu fpu;

	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	if (ioctl(vcpu->fd, KVM_SET_FPU, &fpu) < 0)
		return vmm_err(err, -errno, "vCPU %u: KVM_SET_FPU: %s", vcpu->id, strerror(errno));
	return 0;
}

/* The boot vCPU enters the kernel's 64-bit entry point (boot protocol, "64-bit BOOT"). */
static int
set_boot_regs(struct vmm_vcpu *vcpu, char **err)
{
	struct vmm_vm *vm = vcpu->vm;
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = X86_BOOT_CS, .type = 11, .present = 1,
		.dpl = 0, .db = 0, .s = 1, .l = 1, .g = 1,
	};
	struct kvm_segment data = {
		.base = 0, .limit = 0xffffffff, .selector = X86_BOOT_DS, .type = 3, .present = 1,
		.dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
	};
	struct kvm_segment tss = {
		.base = 0, .limit = 0x67, .selector = 0x20, .type = 11, .present = 1, .s = 0,
	};
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return vmm_err(err, -errno, "vCPU %u: KVM_GET_SREGS: %s", vcpu->id, strerror(errno));
	sregs.cs = code;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.tr = tss;
	sregs.gdt.base = X86_GDT_ADDR;
	sregs.gdt.limit = 5 * 8 - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cr3 = X86_PML4_ADDR;
	sregs.cr4 = CR4_PAE;
	sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	sregs.efer = EFER_LME | EFER_LMA;
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0)
		return vmm_err(err, -errno, "vCPU %u: KVM_SET_SREGS: %s", vcpu->id, strerror(errno));

	memset(&regs, 0, sizeof(regs));
	regs.rflags = 0x2;
	regs.rip = vm->boot.entry;
	regs.rsi = vm->boot.boot_params;
	regs.rsp = 0x8ff0;
	regs.rbp = 0x8ff0;
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0)
		return vmm_err(err, -errno, "vCPU %u: KVM_SET_REGS: %s", vcpu->id, strerror(errno));
	return 0;
}

static int
vcpu_create(struct vmm_vcpu *vcpu, const struct kvm_cpuid2 *cpuid, char **err)
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
	if ((ret = set_cpuid(vcpu, cpuid, err)) < 0 || (ret = set_msrs(vcpu, err)) < 0 ||
	    (ret = set_lapic(vcpu, err)) < 0 || (ret = set_fpu(vcpu, err)) < 0)
		return ret;
	if (vcpu->id == 0 && (ret = set_boot_regs(vcpu, err)) < 0)
		return ret;
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD) > 0)
		vcpu->stats_fd = ioctl(vcpu->fd, KVM_GET_STATS_FD, 0);
	return 0;
}

int
vmm_vcpus_create(struct vmm_vm *vm, char **err)
{
	struct kvm_cpuid2 *cpuid;
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
	cpuid = supported_cpuid(vm->kvm_fd, err);
	if (cpuid == NULL)
		return -EIO;
	for (i = 0; i < vm->nr_vcpus && ret == 0; i++)
		ret = vcpu_create(&vm->vcpus[i], cpuid, err);
	free(cpuid);
	return ret;
}

static void
dump_regs(struct vmm_vcpu *vcpu)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &r) < 0 || ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0)
		return;
	fprintf(stderr, "vireo-vmm: vCPU %u: rip=0x%llx rsp=0x%llx rflags=0x%llx cr0=0x%llx "
		"cr3=0x%llx cr4=0x%llx efer=0x%llx cs=0x%x\n", vcpu->id, r.rip, r.rsp, r.rflags,
		s.cr0, s.cr3, s.cr4, s.efer, s.cs.selector);
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
		dump_regs(vcpu);
		vmm_vm_request_stop(vm, VMM_EXIT_INTERNAL,
			"vCPU %u: KVM entry failed, hardware reason 0x%llx", vcpu->id,
			(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		dump_regs(vcpu);
		vmm_vm_request_stop(vm, VMM_EXIT_INTERNAL, "vCPU %u: KVM internal error, suberror %u",
			vcpu->id, run->internal.suberror);
		return false;
	default:
		dump_regs(vcpu);
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
	cpu_set_t all;
	unsigned int i;
	int ret;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGKICK, &sa, NULL);
	if (sched_getaffinity(0, sizeof(all), &all) < 0)
		CPU_ZERO(&all);
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
		} else if (CPU_COUNT(&all) > 0) {
			pthread_attr_setaffinity_np(&attr, sizeof(all), &all);
		}
		ret = pthread_create(&vcpu->thread, &attr, vcpu_thread, vcpu);
		pthread_attr_destroy(&attr);
		if (ret != 0)
			return vmm_err(err, -ret, "vCPU %u: pthread_create%s: %s", i,
				vcpu->pin_cpu >= 0 ? " (pinned)" : "", strerror(ret));
		vcpu->started = true;
	}
	if (vm->cfg->emulator_pin &&
	    sched_setaffinity(0, sizeof(vm->cfg->emulator_cpus), &vm->cfg->emulator_cpus) < 0)
		return vmm_err(err, -VMM_EINPUT, "--emulator-pin: %s", strerror(errno));
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
