/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The PCI host bridge: configuration space (reached through the architecture's mechanism),
 * BAR placement and moves, MSI routes.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "arch.h"
#include "pci.h"
#include "util.h"
#include "vm.h"

#define PCI_NR_SLOTS 32
#define PCI_MAX_MSI_ROUTES 256
#define PCI_NR_DEFAULT_ROUTES VMM_ARCH_MAX_IRQ_ROUTES

static struct {
	pthread_mutex_t lock;		/* configuration cycles */
	struct vmm_vm *vm;		/* the VM the host bridge belongs to */
	struct vmm_pci_dev bridge;
	struct vmm_pci_dev *slots[PCI_NR_SLOTS];
	unsigned int nr_slots;
	uint64_t next_mmio;

	pthread_mutex_t route_lock;	/* the MSI routes below */
	unsigned int next_gsi;
	struct {
		unsigned int gsi;
		uint64_t addr;
		uint32_t data;
		uint32_t devid;
		bool set;
	} msi[PCI_MAX_MSI_ROUTES];
	unsigned int nr_msi;
} pci = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.route_lock = PTHREAD_MUTEX_INITIALIZER,
};

void
vmm_pci_set16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

void
vmm_pci_set32(uint8_t *p, uint32_t v)
{
	vmm_pci_set16(p, v);
	vmm_pci_set16(p + 2, v >> 16);
}

uint16_t
vmm_pci_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t
vmm_pci_get32(const uint8_t *p)
{
	return vmm_pci_get16(p) | (uint32_t)vmm_pci_get16(p + 2) << 16;
}

/*
 * Map or unmap each BAR per the command register and BAR value (pci.lock held).  A BAR the
 * guest put over another range stays unmapped, but wanted: each later call tries again.
 * Returns true if a BAR was unmapped (its range may be what another BAR waits for).
 */
static bool
update_bars(struct vmm_pci_dev *dev)
{
	bool decode = (vmm_pci_get16(dev->cfg + PCI_CFG_COMMAND) & PCI_CMD_MEMORY) != 0;
	bool freed = false;
	unsigned int i;
	int ret;

	for (i = 0; i < VMM_PCI_NR_BARS; i++) {
		uint64_t size = dev->bar_size[i];
		uint64_t addr = vmm_pci_get32(dev->cfg + PCI_CFG_BAR0 + 4 * i) & ~0xfULL;
		bool want = decode && addr != 0 && addr + size <= 1ULL << 32 &&
			addr != (~(size - 1) & 0xfffffff0ULL);

		if (size == 0 || (want == dev->bar_mapped[i] && addr == dev->bar_addr[i]))
			continue;
		if (dev->bar_mapped[i]) {
			vmm_bus_unregister(&pci.vm->bus, VMM_BUS_MMIO, dev->bar_addr[i]);
			dev->bar_mapped[i] = false;
			freed = true;
			if (dev->bar_map != NULL)
				dev->bar_map(dev, i, dev->bar_addr[i], false);
		}
		dev->bar_addr[i] = addr;
		if (!want)
			continue;
		ret = vmm_bus_register(&pci.vm->bus, VMM_BUS_MMIO, addr, size, dev->name,
			dev->bar_cb, dev->opaque);
		if (ret >= 0) {
			dev->bar_mapped[i] = true;
			if (dev->bar_map != NULL)
				dev->bar_map(dev, i, addr, true);
		} else if (!dev->bar_clash_logged) {
			dev->bar_clash_logged = true;
			fprintf(stderr, "vireo-vmm: %s: BAR %u at 0x%" PRIx64 " (0x%" PRIx64 " bytes): "
				"%s; unmapped until it or the other range moves (logged once)\n",
				dev->name, i, addr, size, ret == -EEXIST ?
				"overlaps another device's range" : strerror(-ret));
		}
	}
	return freed;
}

/* Another BAR left its place: map the BARs that wait for a free range (pci.lock held). */
static void
retry_bars(void)
{
	for (unsigned int s = 0; s < pci.nr_slots; s++)
		if (pci.slots[s] != NULL)
			update_bars(pci.slots[s]);
}

static void
cfg_access(struct vmm_pci_dev *dev, unsigned int reg, uint8_t *data, unsigned int len,
		bool is_write)
{
	unsigned int i;

	if (!is_write) {
		for (i = 0; i < len; i++)
			data[i] = dev != NULL ? dev->cfg[reg + i] : 0xff;
		return;
	}
	if (dev == NULL)
		return;
	for (i = 0; i < len; i++)
		dev->cfg[reg + i] = (dev->cfg[reg + i] & ~dev->wmask[reg + i]) |
			(data[i] & dev->wmask[reg + i]);
	if (reg < PCI_CFG_BAR0 + 4 * VMM_PCI_NR_BARS && reg + len > PCI_CFG_COMMAND &&
	    update_bars(dev))
		retry_bars();
	if (dev->cfg_write != NULL)
		dev->cfg_write(dev, reg, len);
}

void
vmm_pci_cfg_access(unsigned int bus, unsigned int slot, unsigned int fn, unsigned int reg,
		uint8_t *data, unsigned int len, bool is_write)
{
	struct vmm_pci_dev *dev = NULL;

	if (len == 0 || len > 4 || reg >= VMM_PCI_CFG_SPACE || len > VMM_PCI_CFG_SPACE - reg ||
	    (reg < 256 && reg + len > 256)) {
		if (!is_write && len <= 4)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&pci.lock);
	if (bus == 0 && fn == 0 && slot < pci.nr_slots)
		dev = pci.slots[slot];
	if (reg < 256)
		cfg_access(dev, reg, data, len, is_write);
	else if (!is_write)
		/* No extended capabilities: a function's extended space reads as zeros. */
		memset(data, dev != NULL ? 0 : 0xff, len);
	pthread_mutex_unlock(&pci.lock);
}

static int
host_bridge_init(struct vmm_vm *vm, char **err)
{
	struct vmm_pci_dev *b = &pci.bridge;

	pci.vm = vm;
	pci.next_mmio = vmm_arch_pci.mmio_base;
	memset(b, 0, sizeof(*b));
	b->name = "pci-host";
	vmm_pci_set16(b->cfg + PCI_CFG_VENDOR, 0x1b36);	/* Red Hat, Inc. */
	vmm_pci_set16(b->cfg + PCI_CFG_DEVICE, 0x0008);	/* PCIe host bridge */
	b->cfg[PCI_CFG_CLASS + 2] = 0x06;		/* bridge */
	b->cfg[PCI_CFG_CLASS + 1] = 0x00;		/* host */
	pci.slots[0] = b;
	pci.nr_slots = 1;
	return vmm_arch_pci_init(vm, err);
}

int
vmm_pci_dev_add(struct vmm_vm *vm, struct vmm_pci_dev *dev, char **err)
{
	unsigned int i;
	int ret = 0;

	pthread_mutex_lock(&pci.lock);
	if (pci.vm != vm)
		ret = host_bridge_init(vm, err);
	if (ret == 0 && pci.nr_slots == PCI_NR_SLOTS)
		ret = vmm_err(err, -ENOSPC, "%s: no free PCI slot", dev->name);
	if (ret < 0)
		goto out;
	vmm_pci_set16(dev->wmask + PCI_CFG_COMMAND, PCI_CMD_MEMORY | PCI_CMD_MASTER | 0x400);
	dev->wmask[PCI_CFG_INT_LINE] = 0xff;
	for (i = 0; i < VMM_PCI_NR_BARS; i++) {
		uint64_t size = dev->bar_size[i];

		if (size == 0)
			continue;
		pci.next_mmio = (pci.next_mmio + size - 1) & ~(size - 1);
		if (pci.next_mmio + size > vmm_arch_pci.mmio_end) {
			ret = vmm_err(err, -ENOSPC, "%s: no room for a %llu KiB BAR", dev->name,
				(unsigned long long)size >> 10);
			goto out;
		}
		vmm_pci_set32(dev->cfg + PCI_CFG_BAR0 + 4 * i, (uint32_t)pci.next_mmio);
		vmm_pci_set32(dev->wmask + PCI_CFG_BAR0 + 4 * i, ~((uint32_t)size - 1) & ~0xfu);
		pci.next_mmio += size;
	}
	dev->slot = pci.nr_slots;
	pci.slots[pci.nr_slots++] = dev;
out:
	pthread_mutex_unlock(&pci.lock);
	return ret;
}

int
vmm_pci_msi_gsi(struct vmm_vm *vm)
{
	int gsi = -ENOSPC;

	(void)vm;
	pthread_mutex_lock(&pci.route_lock);
	if (pci.next_gsi < vmm_arch_pci.first_msi_gsi)
		pci.next_gsi = vmm_arch_pci.first_msi_gsi;
	if (pci.nr_msi < PCI_MAX_MSI_ROUTES) {
		gsi = (int)pci.next_gsi++;
		pci.msi[pci.nr_msi++].gsi = (unsigned int)gsi;
	}
	pthread_mutex_unlock(&pci.route_lock);
	return gsi;
}

int
vmm_pci_msi_route(struct vmm_vm *vm, const struct vmm_pci_dev *dev, unsigned int gsi,
		uint64_t addr, uint32_t data)
{
	struct kvm_irq_routing *r;
	unsigned int i, n;
	int ret = 0;

	r = calloc(1, sizeof(*r) + (PCI_NR_DEFAULT_ROUTES + PCI_MAX_MSI_ROUTES) *
		sizeof(r->entries[0]));
	if (r == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&pci.route_lock);
	for (i = 0; i < pci.nr_msi; i++)
		if (pci.msi[i].gsi == gsi) {
			pci.msi[i].addr = addr;
			pci.msi[i].data = data;
			pci.msi[i].devid = vmm_pci_devid(dev);
			pci.msi[i].set = true;
		}
	n = vmm_arch_irq_routes(r->entries);
	for (i = 0; i < pci.nr_msi; i++) {
		if (!pci.msi[i].set)
			continue;
		r->entries[n].gsi = pci.msi[i].gsi;
		r->entries[n].type = KVM_IRQ_ROUTING_MSI;
		r->entries[n].u.msi.address_lo = (uint32_t)pci.msi[i].addr;
		r->entries[n].u.msi.address_hi = (uint32_t)(pci.msi[i].addr >> 32);
		r->entries[n].u.msi.data = pci.msi[i].data;
		if (vmm_arch_pci.msi_devid) {
			r->entries[n].flags = KVM_MSI_VALID_DEVID;
			r->entries[n].u.msi.devid = pci.msi[i].devid;
		}
		n++;
	}
	r->nr = n;
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, r) < 0)
		ret = -errno;
	pthread_mutex_unlock(&pci.route_lock);
	free(r);
	return ret;
}
