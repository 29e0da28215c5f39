/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * x86's part of the VM (arch.h): KVM_CREATE_VM with the in-kernel PIC, IOAPIC and PIT, the
 * TSS and identity-map pages, GSI lines, the RAM layout around the 32-bit MMIO hole, the
 * console on COM1.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "arch.h"
#include "bus.h"
#include "memory.h"
#include "util.h"
#include "vm.h"
#include "x86.h"

#define TSS_ADDR 0xfffbd000UL
#define IDENTITY_MAP_ADDR 0xfffbc000ULL

const struct vmm_arch_console vmm_arch_console = {
	.bus = VMM_BUS_PIO,
	.base = 0x3f8,		/* COM1 */
	.irq = 4,
};

int
vmm_arch_check(const struct vmm_config *cfg, char **err)
{
	if (cfg->cpus > X86_MAX_CPUS)
		return vmm_err(err, -VMM_EINPUT,
			"--cpus %u: at most %d vCPUs (8-bit xAPIC IDs; KVM_CAP_MAX_VCPUS may allow "
			"fewer)", cfg->cpus, X86_MAX_CPUS);
	return 0;
}

static int
need_cap(struct vmm_vm *vm, int cap, const char *name, char **err)
{
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, cap) <= 0)
		return vmm_err(err, -VMM_EINPUT, "KVM device %s lacks %s", vm->cfg->kvm_dev, name);
	return 0;
}

static int
create_vm_retry(int kvm_fd)
{
	int ret;

	do {
		ret = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	} while (ret < 0 && errno == EINTR);
	return ret;
}

int
vmm_arch_vm_create(struct vmm_vm *vm, char **err)
{
	struct kvm_pit_config pit = { .flags = 0 };
	uint64_t idmap = IDENTITY_MAP_ADDR;
	int ret;

	if ((ret = need_cap(vm, KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP", err)) < 0 ||
	    (ret = need_cap(vm, KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY", err)) < 0 ||
	    (ret = need_cap(vm, KVM_CAP_PIT2, "KVM_CAP_PIT2", err)) < 0)
		return ret;
	vm->vm_fd = create_vm_retry(vm->kvm_fd);
	if (vm->vm_fd < 0)
		return vmm_err(err, -errno, "KVM_CREATE_VM: %s", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, TSS_ADDR) < 0)
		return vmm_err(err, -errno, "KVM_SET_TSS_ADDR: %s", strerror(errno));
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0 &&
	    ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
		return vmm_err(err, -errno, "KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return vmm_err(err, -errno, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return vmm_err(err, -errno, "KVM_CREATE_PIT2: %s", strerror(errno));
	return 0;
}


void
vmm_vm_irq_line(struct vmm_vm *vm, unsigned int gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = (uint32_t)level };

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		fprintf(stderr, "vireo-vmm: KVM_IRQ_LINE %u: %s\n", gsi, strerror(errno));
}

unsigned int
vmm_memory_layout(uint64_t size, struct vmm_mem_region *regions)
{
	uint64_t low = size < VMM_MEM_HOLE_START ? size : VMM_MEM_HOLE_START;

	regions[0] = (struct vmm_mem_region){ .gpa = 0, .size = low, .fd = -1, .fd_offset = 0 };
	if (size == low)
		return 1;
	regions[1] = (struct vmm_mem_region){
		.gpa = VMM_MEM_HIGH_START,
		.size = size - low,
		.fd = -1,
		.fd_offset = low,
	};
	return 2;
}

/* KVM's default routes: GSI n to IOAPIC pin n, and GSIs 0-15 also to the PICs. */
unsigned int
vmm_arch_irq_routes(struct kvm_irq_routing_entry *e)
{
	unsigned int n = 0, i;

	for (i = 0; i < 24; i++) {
		e[n].gsi = i;
		e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		e[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		e[n++].u.irqchip.pin = i;
		if (i >= 16)
			continue;
		e[n].gsi = i;
		e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		e[n].u.irqchip.irqchip = i < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
		e[n++].u.irqchip.pin = i % 8;
	}
	return n;
}

/* GSIs 0-23 are the IOAPIC's pins (0-15 also the PICs'); MSI routes start after. */
const struct vmm_arch_pci vmm_arch_pci = {
	.mmio_base = 0xe0000000ULL,
	.mmio_end = 0xfe000000ULL,	/* below the IOAPIC at 0xfec00000 */
	.first_msi_gsi = 24,
	.msi_devid = false,
	.cmdline = "pci=lastbus=1",
};

int
vmm_arch_pci_init(struct vmm_vm *vm, char **err)
{
	return x86_pci_conf1_register(vm, err);
}
