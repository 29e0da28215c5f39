/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VMM_ARCH_H
#define VIREO_VMM_ARCH_H

/*
 * What each architecture provides to the common VMM (kvmtool's shape: vmm/arch/x86/ and
 * vmm/arch/arm64/ beside the common core; meson links the host's one).  The common code
 * (vm.c, vcpu.c, memory.c, the devices) calls only these for anything that differs between
 * architectures.
 *
 * Order: vmm_arch_check() → memory → vmm_boot_load() → vmm_arch_vm_create() → devices →
 * vmm_arch_vcpu_init() for each vCPU (after KVM_CREATE_VCPU and the kvm_run mapping) →
 * vmm_arch_vcpus_ready() → the vCPU threads.  Errors as in vmm.h.
 */

#include <stdbool.h>
#include <stdint.h>

struct vmm_config;
struct vmm_vcpu;
struct vmm_vm;

/** Where the console UART sits: a bus (VMM_BUS_PIO or VMM_BUS_MMIO), its base, its IRQ. */
struct vmm_arch_console {
	int bus;
	uint64_t base;
	unsigned int irq;
};

/** The console UART's place on this architecture's machine. */
extern const struct vmm_arch_console vmm_arch_console;

/**
 * The PCI host bridge's place on this architecture's machine (pci.h): the window the VMM
 * places memory BARs in, the first GSI free for MSI routes (above the irqchip's own), and
 * whether an MSI route must name its requester (arm64's ITS translates per device ID).
 */
struct vmm_arch_pci {
	uint64_t mmio_base;
	uint64_t mmio_end;
	unsigned int first_msi_gsi;
	bool msi_devid;
	const char *cmdline;	/**< appended to the kernel command line when PCI is used */
};

/** The PCI host bridge's parameters on this architecture. */
extern const struct vmm_arch_pci vmm_arch_pci;

/**
 * Give the guest its way into PCI configuration space (x86: ports 0xCF8/0xCFC; arm64: an
 * ECAM window), each access passed to vmm_pci_cfg_access().  Called once, when the first PCI
 * device is added.  Returns 0 or -errno with a message in '*err'.
 */
int vmm_arch_pci_init(struct vmm_vm *vm, char **err);

/** Refuse what this architecture cannot do ('cfg' as parsed): -VMM_EINPUT with a message. */
int vmm_arch_check(const struct vmm_config *cfg, char **err);

/**
 * Create the VM (vm->vm_fd) on the open /dev/kvm (vm->kvm_fd) with what the architecture
 * needs before memory slots and vCPUs: x86 the irqchip, PIT, TSS; arm64 the IPA size and the
 * GIC.
 */
int vmm_arch_vm_create(struct vmm_vm *vm, char **err);

/**
 * Load the kernel, initramfs and command line into guest memory and the architecture's boot
 * tables; record the entry point in vm->boot.
 */
int vmm_boot_load(struct vmm_vm *vm, char **err);

/** Set up one vCPU (created and its kvm_run mapped): registers, CPU model, boot state. */
int vmm_arch_vcpu_init(struct vmm_vcpu *vcpu, char **err);

/** Everything created: last set-up that needs all vCPUs (arm64: GIC init, device tree). */
int vmm_arch_vcpus_ready(struct vmm_vm *vm, char **err);

struct kvm_irq_routing_entry;

/**
 * Fill 'e' with KVM's default interrupt routes (x86: GSI n to IOAPIC pin n and GSIs 0-15 to
 * the PICs; arm64: GSI n to SPI n), which a KVM_SET_GSI_ROUTING table must keep beside the
 * MSI routes; at most VMM_ARCH_MAX_IRQ_ROUTES.  Returns their count.
 */
unsigned int vmm_arch_irq_routes(struct kvm_irq_routing_entry *e);
#define VMM_ARCH_MAX_IRQ_ROUTES 40

/** Print a vCPU's main registers on stderr (after a failed entry or an unknown exit). */
void vmm_arch_vcpu_dump(struct vmm_vcpu *vcpu);

#endif /* VIREO_VMM_ARCH_H */
