/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * arm64's part of the VM (arch.h): KVM_CREATE_VM with the largest IPA size KVM offers
 * (KVM_CAP_ARM_VM_IPA_SIZE), the in-kernel GICv3 (distributor and redistributors; its
 * initialisation once the vCPUs exist is in vcpu.c) and its ITS for PCI MSIs, SPI lines,
 * the RAM layout (one region at 2 GiB) and the console UART on MMIO.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "arch.h"
#include "arm64.h"
#include "bus.h"
#include "memory.h"
#include "util.h"
#include "vm.h"

const struct vmm_arch_console vmm_arch_console = {
	.bus = VMM_BUS_MMIO,
	.base = ARM64_UART_BASE,
	.irq = ARM64_UART_SPI,
};

/*
 * PCI: ECAM (pci_ecam.c) and the 32-bit BAR window of arm64.h.  The default routes take
 * GSIs 0-31 for SPIs (vmm_arch_irq_routes() below), so MSI routes start above them; the
 * ITS translates an MSI by the device's requester ID, so routes carry it.
 */
const struct vmm_arch_pci vmm_arch_pci = {
	.mmio_base = ARM64_PCI_MMIO_BASE,
	.mmio_end = ARM64_PCI_MMIO_BASE + ARM64_PCI_MMIO_SIZE,
	.first_msi_gsi = 32,
	.msi_devid = true,
	.cmdline = NULL,
};

int
vmm_arch_check(const struct vmm_config *cfg, char **err)
{
	if (cfg->cpus > ARM64_MAX_CPUS)
		return vmm_err(err, -VMM_EINPUT,
			"--cpus %u: at most %d vCPUs on arm64 (GICv3 redistributor space)",
			cfg->cpus, ARM64_MAX_CPUS);
	if (strlen(cfg->cmdline) >= ARM64_CMDLINE_MAX)
		return vmm_err(err, -VMM_EINPUT, "--cmdline: %zu bytes, the kernel takes at most %d",
			strlen(cfg->cmdline), ARM64_CMDLINE_MAX - 1);
	return 0;
}

unsigned int
vmm_memory_layout(uint64_t size, struct vmm_mem_region *regions)
{
	regions[0] = (struct vmm_mem_region){
		.gpa = ARM64_RAM_BASE,
		.size = size,
		.fd = -1,
		.fd_offset = 0,
	};
	return 1;
}

static int
gic_addr(int fd, uint64_t type, uint64_t addr, char **err)
{
	struct kvm_device_attr a = {
		.group = KVM_DEV_ARM_VGIC_GRP_ADDR,
		.attr = type,
		.addr = (uint64_t)(uintptr_t)&addr,
	};

	if (ioctl(fd, KVM_SET_DEVICE_ATTR, &a) < 0)
		return vmm_err(err, -errno, "GICv3: KVM_DEV_ARM_VGIC_GRP_ADDR %" PRIu64 ": %s", type,
			strerror(errno));
	return 0;
}

static int
create_gic(struct vmm_vm *vm, char **err)
{
	struct kvm_create_device dev = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	uint32_t nr_irqs = ARM64_NR_IRQS;
	struct kvm_device_attr a = {
		.group = KVM_DEV_ARM_VGIC_GRP_NR_IRQS,
		.addr = (uint64_t)(uintptr_t)&nr_irqs,
	};
	int ret;

	if (ioctl(vm->vm_fd, KVM_CREATE_DEVICE, &dev) < 0)
		return vmm_err(err, errno == ENODEV ? -VMM_EINPUT : -errno,
			"KVM device %s: cannot create an in-kernel GICv3 (KVM_DEV_TYPE_ARM_VGIC_V3): %s",
			vm->cfg->kvm_dev, strerror(errno));
	vm->irqchip_fd = (int)dev.fd;
	if ((ret = gic_addr(vm->irqchip_fd, KVM_VGIC_V3_ADDR_TYPE_DIST, ARM64_GICD_BASE, err)) < 0 ||
	    (ret = gic_addr(vm->irqchip_fd, KVM_VGIC_V3_ADDR_TYPE_REDIST, ARM64_GICR_BASE, err)) < 0)
		return ret;
	if (ioctl(vm->irqchip_fd, KVM_SET_DEVICE_ATTR, &a) < 0)
		return vmm_err(err, -errno, "GICv3: KVM_DEV_ARM_VGIC_GRP_NR_IRQS %u: %s", nr_irqs,
			strerror(errno));
	return 0;
}

/*
 * The ITS, through which PCI devices' MSIs (writes to its GITS_TRANSLATER with the device's
 * requester ID) become LPIs; KVM's irqfds inject them directly.  Only needed, and so only
 * required, when the VM has PCI devices.  Initialised with the GIC (vcpu.c).
 */
static int
create_its(struct vmm_vm *vm, char **err)
{
	struct kvm_create_device dev = { .type = KVM_DEV_TYPE_ARM_VGIC_ITS };
	uint64_t base = ARM64_ITS_BASE;
	struct kvm_device_attr a = {
		.group = KVM_DEV_ARM_VGIC_GRP_ADDR,
		.attr = KVM_VGIC_ITS_ADDR_TYPE,
		.addr = (uint64_t)(uintptr_t)&base,
	};

	if (vm->cfg->nr_nets == 0)
		return 0;
	if (ioctl(vm->vm_fd, KVM_CREATE_DEVICE, &dev) < 0)
		return vmm_err(err, errno == ENODEV ? -VMM_EINPUT : -errno,
			"KVM device %s: cannot create a GICv3 ITS (KVM_DEV_TYPE_ARM_VGIC_ITS), which "
			"--net's MSI-X needs: %s", vm->cfg->kvm_dev, strerror(errno));
	vm->msi_fd = (int)dev.fd;
	if (ioctl(vm->msi_fd, KVM_SET_DEVICE_ATTR, &a) < 0)
		return vmm_err(err, -errno, "GICv3 ITS: KVM_VGIC_ITS_ADDR_TYPE: %s", strerror(errno));
	return 0;
}

int
vmm_arch_vm_create(struct vmm_vm *vm, char **err)
{
	int ipa, ret, type = 0;

	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_PSCI_0_2) <= 0)
		return vmm_err(err, -VMM_EINPUT, "KVM device %s lacks PSCI 0.2", vm->cfg->kvm_dev);
	ipa = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE);
	if (ipa > 0) {
		if (ARM64_RAM_BASE + vm->mem.size > (1ULL << ipa))
			return vmm_err(err, -VMM_EINPUT,
				"--memory: RAM would end at 0x%" PRIx64 ", beyond this KVM's %d-bit "
				"guest physical addresses", (uint64_t)(ARM64_RAM_BASE + vm->mem.size), ipa);
		type = (int)KVM_VM_TYPE_ARM_IPA_SIZE(ipa);
	}
	do {
		vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, type);
	} while (vm->vm_fd < 0 && errno == EINTR);
	if (vm->vm_fd < 0)
		return vmm_err(err, -errno, "KVM_CREATE_VM (IPA %d bits): %s", ipa, strerror(errno));
	ret = create_gic(vm, err);
	return ret < 0 ? ret : create_its(vm, err);
}

void
vmm_vm_irq_line(struct vmm_vm *vm, unsigned int spi, int level)
{
	struct kvm_irq_level irq = {
		.irq = (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | (ARM64_SPI_BASE + spi),
		.level = (uint32_t)level,
	};

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		fprintf(stderr, "vireo-vmm: KVM_IRQ_LINE SPI %u: %s\n", spi, strerror(errno));
}

unsigned int
vmm_arch_irq_routes(struct kvm_irq_routing_entry *e)
{
	unsigned int i;

	for (i = 0; i < 32; i++) {
		e[i].gsi = i;
		e[i].type = KVM_IRQ_ROUTING_IRQCHIP;
		e[i].u.irqchip.irqchip = 0;
		e[i].u.irqchip.pin = i;
	}
	return i;
}

int
vmm_arch_pci_init(struct vmm_vm *vm, char **err)
{
	return arm64_pci_ecam_register(vm, ARM64_PCI_ECAM_BASE, ARM64_PCI_NR_BUSES, err);
}
