/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * arm64's way into PCI configuration space (arch.h): an ECAM window (PCIe's Enhanced
 * Configuration Access Mechanism), which the device tree's pci-host-ecam-generic node
 * names.  Each function's 4 KiB space sits at bus << 20 | device << 15 | function << 12
 * from the window's base.  What the guest may send is checked here before it reaches the
 * common configuration code: accesses of 1, 2 or 4 bytes aligned to their width (PCIe's
 * rule for ECAM; anything else reads all ones and writes nothing), buses within the window.
 * The code is arch-neutral C, so the x86 build's PCI sweep test covers it too.
 */
#include <errno.h>
#include <string.h>

#include "arm64.h"
#include "bus.h"
#include "pci.h"
#include "util.h"
#include "vm.h"

#define ECAM_BUS_SHIFT 20
#define ECAM_DEV_SHIFT 15
#define ECAM_FN_SHIFT 12

static void
ecam_access(void *opaque, uint64_t offset, uint8_t *data, unsigned int len, bool is_write)
{
	uint64_t nr_buses = (uint64_t)(uintptr_t)opaque;

	if ((len != 1 && len != 2 && len != 4) || offset % len != 0 ||
	    offset >> ECAM_BUS_SHIFT >= nr_buses) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	vmm_pci_cfg_access((unsigned int)(offset >> ECAM_BUS_SHIFT),
		(unsigned int)(offset >> ECAM_DEV_SHIFT) & 0x1f,
		(unsigned int)(offset >> ECAM_FN_SHIFT) & 7,
		(unsigned int)offset & (VMM_PCI_CFG_SPACE - 1), data, len, is_write);
}

int
arm64_pci_ecam_register(struct vmm_vm *vm, uint64_t base, unsigned int nr_buses, char **err)
{
	int ret;

	if (nr_buses == 0 || nr_buses > 256)
		return vmm_err(err, -EINVAL, "PCI ECAM: %u buses", nr_buses);
	ret = vmm_bus_register(&vm->bus, VMM_BUS_MMIO, base, (uint64_t)nr_buses << ECAM_BUS_SHIFT,
		"pci-ecam", ecam_access, (void *)(uintptr_t)nr_buses);
	if (ret < 0)
		return vmm_err(err, ret, "PCI ECAM at 0x%llx: %s", (unsigned long long)base,
			strerror(-ret));
	return 0;
}
