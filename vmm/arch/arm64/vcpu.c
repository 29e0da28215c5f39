/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * arm64's part of a vCPU (arch.h): KVM_ARM_VCPU_INIT with KVM's preferred target and PSCI
 * 0.2, secondaries powered off (the guest starts them with PSCI CPU_ON, handled by KVM);
 * once all exist, the GIC's initialisation, the device tree (which needs their MPIDRs) and
 * the boot vCPU's registers: pc = the Image, x0 = the tree, x1-x3 = 0, EL1h with interrupts
 * masked (KVM's reset state).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "arch.h"
#include "arm64.h"
#include "util.h"
#include "vm.h"

#define CORE_REG(r) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
		     (offsetof(struct kvm_regs, r) / sizeof(uint32_t)))
/* MPIDR_EL1: op0 3, op1 0, CRn 0, CRm 0, op2 5. */
#define REG_MPIDR_EL1 ARM64_SYS_REG(3, 0, 0, 0, 5)
#define MPIDR_AFF_MASK 0xff00ffffffULL

static int
get_reg(struct vmm_vcpu *vcpu, uint64_t id, uint64_t *val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uint64_t)(uintptr_t)val };

	return ioctl(vcpu->fd, KVM_GET_ONE_REG, &r);
}

static int
set_reg(struct vmm_vcpu *vcpu, uint64_t id, uint64_t val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uint64_t)(uintptr_t)&val };

	return ioctl(vcpu->fd, KVM_SET_ONE_REG, &r);
}

int
vmm_arch_vcpu_init(struct vmm_vcpu *vcpu, char **err)
{
	struct kvm_vcpu_init init;

	memset(&init, 0, sizeof(init));
	if (ioctl(vcpu->vm->vm_fd, KVM_ARM_PREFERRED_TARGET, &init) < 0)
		return vmm_err(err, -errno, "KVM_ARM_PREFERRED_TARGET: %s", strerror(errno));
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (vcpu->id > 0)
		init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
	if (ioctl(vcpu->fd, KVM_ARM_VCPU_INIT, &init) < 0)
		return vmm_err(err, -errno, "vCPU %u: KVM_ARM_VCPU_INIT: %s", vcpu->id,
			strerror(errno));
	return 0;
}

static int
gic_init(struct vmm_vm *vm, char **err)
{
	struct kvm_device_attr a = {
		.group = KVM_DEV_ARM_VGIC_GRP_CTRL,
		.attr = KVM_DEV_ARM_VGIC_CTRL_INIT,
	};

	if (ioctl(vm->irqchip_fd, KVM_SET_DEVICE_ATTR, &a) < 0)
		return vmm_err(err, -errno, "GICv3: KVM_DEV_ARM_VGIC_CTRL_INIT: %s", strerror(errno));
	if (vm->msi_fd >= 0 && ioctl(vm->msi_fd, KVM_SET_DEVICE_ATTR, &a) < 0)
		return vmm_err(err, -errno, "GICv3 ITS: KVM_DEV_ARM_VGIC_CTRL_INIT: %s",
			strerror(errno));
	return 0;
}

int
vmm_arch_vcpus_ready(struct vmm_vm *vm, char **err)
{
	struct vmm_vcpu *boot = &vm->vcpus[0];
	uint64_t *mpidr;
	unsigned int i;
	void *fdt;
	int ret;

	if ((ret = gic_init(vm, err)) < 0)
		return ret;
	mpidr = calloc(vm->nr_vcpus, sizeof(*mpidr));
	if (mpidr == NULL)
		return -ENOMEM;
	for (i = 0; i < vm->nr_vcpus; i++) {
		if (get_reg(&vm->vcpus[i], REG_MPIDR_EL1, &mpidr[i]) < 0) {
			ret = vmm_err(err, -errno, "vCPU %u: MPIDR_EL1: %s", i, strerror(errno));
			goto out;
		}
		mpidr[i] &= MPIDR_AFF_MASK;
	}
	fdt = vmm_memory_ptr(&vm->mem, vm->boot.fdt_gpa, ARM64_FDT_MAX);
	ret = arm64_fdt_build(vm, mpidr, vm->nr_vcpus, fdt, ARM64_FDT_MAX, err);
	if (ret < 0)
		goto out;
	if (set_reg(boot, CORE_REG(regs.pc), vm->boot.entry) < 0 ||
	    set_reg(boot, CORE_REG(regs.regs[0]), vm->boot.fdt_gpa) < 0 ||
	    set_reg(boot, CORE_REG(regs.regs[1]), 0) < 0 ||
	    set_reg(boot, CORE_REG(regs.regs[2]), 0) < 0 ||
	    set_reg(boot, CORE_REG(regs.regs[3]), 0) < 0)
		ret = vmm_err(err, -errno, "vCPU 0: KVM_SET_ONE_REG: %s", strerror(errno));
out:
	free(mpidr);
	return ret;
}

void
vmm_arch_vcpu_dump(struct vmm_vcpu *vcpu)
{
	uint64_t pc = 0, pstate = 0, sp = 0, x0 = 0;

	if (get_reg(vcpu, CORE_REG(regs.pc), &pc) < 0 ||
	    get_reg(vcpu, CORE_REG(regs.pstate), &pstate) < 0 ||
	    get_reg(vcpu, CORE_REG(sp_el1), &sp) < 0 ||
	    get_reg(vcpu, CORE_REG(regs.regs[0]), &x0) < 0)
		return;
	fprintf(stderr, "vireo-vmm: vCPU %u: pc=0x%llx pstate=0x%llx sp_el1=0x%llx x0=0x%llx\n",
		vcpu->id, (unsigned long long)pc, (unsigned long long)pstate,
		(unsigned long long)sp, (unsigned long long)x0);
}
