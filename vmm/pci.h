/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VMM_PCI_H
#define VIREO_VMM_PCI_H

/*
 * PCI: one host bridge, bus 0, configuration space reached through the architecture's
 * mechanism (arch.h: x86 ports 0xCF8/0xCFC, arm64 ECAM), memory BARs in the architecture's
 * 32-bit window, and MSI routes into KVM.
 *
 * What?
 *   The host bridge sits at 00:00.0 (class 0x0600, what Linux's conf1 probe looks for).
 *   Devices take the next free slot, function 0 only.  Each device owns a 256-byte
 *   configuration space and a write mask: a configuration write changes only the masked
 *   bits.  BARs are 32-bit memory BARs placed by the VMM in the architecture's window
 *   (vmm_arch_pci); when the guest moves one or turns memory decoding off (BAR sizing) the
 *   device's bus range moves with it and the device's bar_map callback runs (to move
 *   ioeventfds).
 *
 *   How the guest finds the bridge is the architecture's: x86's DSDT has no PCI root, so
 *   the guest is told to scan buses 0-1 itself ("pci=lastbus=1", vmm_arch_pci.cmdline,
 *   added by config.c when PCI devices exist); arm64's device tree names the ECAM window.
 *
 * Interrupts
 *   Only MSI/MSI-X.  vmm_pci_msi_gsi() hands out GSIs above the irqchip's own
 *   (vmm_arch_pci.first_msi_gsi) and vmm_pci_msi_route() points one at an MSI address/data
 *   pair, with the device's requester ID where the MSI controller translates per device
 *   (arm64's ITS).  KVM's routing table is replaced whole on each change, so the default
 *   irqchip routes are sent with it.
 *
 * Thread-safety
 *   Configuration cycles are serialised by one lock; device callbacks (cfg_write, bar_map) run with it held and may take
 *   their device's lock, which may in turn call vmm_pci_msi_route() (the routing lock is
 *   last in that order).  Devices are added before the vCPUs start.
 */

#include <stdbool.h>
#include <stdint.h>

#include "bus.h"

struct vmm_vm;

#define VMM_PCI_NR_BARS 6
/** A PCIe function's configuration space (ECAM reaches all of it; 256 bytes are kept). */
#define VMM_PCI_CFG_SPACE 4096

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
	bool bar_clash_logged;		/* a BAR over another range was logged */
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

/**
 * One guest configuration access, from the architecture's mechanism (arch.h), which decoded
 * 'bus', 'slot', 'fn' and register 'reg'.  Anything but 1 to 4 bytes inside one function's
 * 4 KiB space (not straddling its first 256 bytes) reads all ones and writes nothing; an
 * absent function reads all ones; a present one's extended space (256 and up) reads zeros.
 * The mechanism checks its own rules (alignment, widths) first.
 */
void vmm_pci_cfg_access(unsigned int bus, unsigned int slot, unsigned int fn, unsigned int reg,
		uint8_t *data, unsigned int len, bool is_write);

/** The requester ID (bus 0, function 0) that 'dev' signs its MSI writes with. */
static inline uint32_t
vmm_pci_devid(const struct vmm_pci_dev *dev)
{
	return dev->slot << 3;
}

/** A fresh GSI for an MSI route, or -ENOSPC. */
int vmm_pci_msi_gsi(struct vmm_vm *vm);

/**
 * Route 'gsi' to the MSI message 'addr'/'data' sent by 'dev' (KVM_SET_GSI_ROUTING; with its
 * requester ID where the architecture's MSI controller needs one).  0 or -errno.
 */
int vmm_pci_msi_route(struct vmm_vm *vm, const struct vmm_pci_dev *dev, unsigned int gsi,
		uint64_t addr, uint32_t data);

#endif /* VIREO_VMM_PCI_H */
