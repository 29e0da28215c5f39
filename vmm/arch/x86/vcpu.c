/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * x86's part of a vCPU (arch.h): CPUID from KVM with the topology leaves patched per vCPU,
 * boot MSRs, the local APIC's LINT0/LINT1 modes, the FPU, and for vCPU 0 the 64-bit boot
 * protocol's registers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "arch.h"
#include "util.h"
#include "vm.h"
#include "x86.h"

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


void
vmm_arch_vcpu_dump(struct vmm_vcpu *vcpu)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &r) < 0 || ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0)
		return;
	fprintf(stderr, "vireo-vmm: vCPU %u: rip=0x%llx rsp=0x%llx rflags=0x%llx cr0=0x%llx "
		"cr3=0x%llx cr4=0x%llx efer=0x%llx cs=0x%x\n", vcpu->id, r.rip, r.rsp, r.rflags,
		s.cr0, s.cr3, s.cr4, s.efer, s.cs.selector);
}

int
vmm_arch_vcpu_init(struct vmm_vcpu *vcpu, char **err)
{
	struct kvm_cpuid2 *cpuid;
	int ret;

	cpuid = supported_cpuid(vcpu->vm->kvm_fd, err);
	if (cpuid == NULL)
		return -EIO;
	ret = set_cpuid(vcpu, cpuid, err);
	free(cpuid);
	if (ret < 0 || (ret = set_msrs(vcpu, err)) < 0 || (ret = set_lapic(vcpu, err)) < 0 ||
	    (ret = set_fpu(vcpu, err)) < 0)
		return ret;
	if (vcpu->id == 0 && (ret = set_boot_regs(vcpu, err)) < 0)
		return ret;
	return 0;
}

int
vmm_arch_vcpus_ready(struct vmm_vm *vm, char **err)
{
	(void)vm;
	(void)err;
	return 0;
}
