/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VMM_PCI_H
#define VIREO_VMM_PCI_H

/*
 * PCI: one host bridge, bus 0, configuration mechanism #1 (ports 0xCF8/0xCFC), memory BARs
 * in the 32-bit hole, and MSI routes into KVM.
 *
 * What?
 *   The host bridge sits at 00:00.0 (class 0x0600, what Linux's conf1 probe looks for).
 *   Devices take the next free slot, function 0 only.  Each device owns a 256-byte
 *   configuration space and a write mask: a configuration write changes only the masked
 *   bits.  BARs are 32-bit memory BARs placed by the VMM from VMM_PCI_MMIO_BASE up; when the
 *   guest moves one or turns memory decoding off (BAR sizing) the device's bus range moves
 *   with it and the device's bar_map callback runs (to move ioeventfds).
 *
 *   The DSDT has no PCI root, so the guest is told to scan buses 0-1 itself (Linux skips
 *   the scan for lastbus=0; bus 1 is empty; pci=noacpi would leave no MSI domain):
 *   vireo-vmm adds
 *   "pci=lastbus=1" to the kernel command line when PCI devices exist (config.c).
 *
 * Interrupts
 *   Only MSI/MSI-X.  vmm_pci_msi_gsi() hands out GSIs above the IOAPIC's 24 pins and
 *   vmm_pci_msi_route() points one at an MSI address/data pair.  KVM's routing table is
 *   replaced whole on each change, so the default PIC/IOAPIC routes are sent with it.
 *
 * Thread-safety
 *   Configuration cycles are serialised by one lock (the address latch at 0xCF8 is
 *   global anyway); device callbacks (cfg_write, bar_map) run with it held and may take
 *   their device's lock, which may in turn call vmm_pci_msi_route() (the routing lock is
 *   last in that order).  Devices are added before the vCPUs start.
 */

#include <stdbool.h>
#include <stdint.h>

#include "bus.h"

struct vmm_vm;

/** Where the VMM places memory BARs (below the IOAPIC at 0xFEC00000). */
#define VMM_PCI_MMIO_BASE 0xE0000000ULL
#define VMM_PCI_MMIO_END 0xFE000000ULL
#define VMM_PCI_NR_BARS 6

/** Standard configuration header offsets used by the VMM. */
#define PCI_CFG_VENDOR 0x00
#define PCI_CFG_DEVICE 0x02
#define PCI_CFG_COMMAND 0x04
#define PCI_CFG_STATUS 0x06
#define PCI_CFG_REVISION 0x08
#define PCI_CFG_CLASS 0x09
#define PCI_CFG_HEADER 0x0e
#define PCI_CFG_BAR0 0x10
#define PCI_CFG_SUBVENDOR 0x2c
#define PCI_CFG_SUBSYSTEM 0x2e
#define PCI_CFG_CAP_PTR 0x34
#define PCI_CFG_INT_LINE 0x3c
#define PCI_CMD_MEMORY 0x2
#define PCI_CMD_MASTER 0x4
#define PCI_STATUS_CAPS 0x10

/** One PCI function. */
struct vmm_pci_dev {
	const char *name;		/**< for the bus ranges */
	uint8_t cfg[256];		/**< configuration space */
	uint8_t wmask[256];		/**< guest-writable bits */
	uint32_t bar_size[VMM_PCI_NR_BARS];	/**< 0: no BAR; else a power of two >= 4 KiB */
	vmm_bus_cb *bar_cb;		/**< accesses to any BAR ('offset' from that BAR) */
	void *opaque;
	/** After a guest configuration write of 'len' bytes at 'off' (lock held). */
	void (*cfg_write)(struct vmm_pci_dev *dev, unsigned int off, unsigned int len);
	/** BAR 'bar' now decodes at 'addr' ('mapped') or no longer decodes. */
	void (*bar_map)(struct vmm_pci_dev *dev, unsigned int bar, uint64_t addr, bool mapped);
	/* Private to pci.c. */
	uint64_t bar_addr[VMM_PCI_NR_BARS];
	bool bar_mapped[VMM_PCI_NR_BARS];
	unsigned int slot;
};

/** Little-endian accessors on a configuration space. */
void vmm_pci_set16(uint8_t *p, uint16_t v);
void vmm_pci_set32(uint8_t *p, uint32_t v);
uint16_t vmm_pci_get16(const uint8_t *p);
uint32_t vmm_pci_get32(const uint8_t *p);

/**
 * Add 'dev' to bus 0 of 'vm' (creating the host bridge on first use): give each BAR an
 * address, register it on the MMIO bus, and make the standard fields writable (command,
 * BARs, interrupt line).  The caller filled IDs, class and capabilities.  Returns 0 or
 * -errno with a message in '*err'.
 */
int vmm_pci_dev_add(struct vmm_vm *vm, struct vmm_pci_dev *dev, char **err);

/** A fresh GSI for an MSI route, or -ENOSPC. */
int vmm_pci_msi_gsi(struct vmm_vm *vm);

/** Route 'gsi' to the MSI message 'addr'/'data' (KVM_SET_GSI_ROUTING).  0 or -errno. */
int vmm_pci_msi_route(struct vmm_vm *vm, unsigned int gsi, uint64_t addr, uint32_t data);

#endif /* VIREO_VMM_PCI_H */
