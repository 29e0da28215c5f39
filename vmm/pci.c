/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The PCI host bridge: configuration mechanism #1, BAR placement and moves, MSI routes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "arch.h"
#include "pci.h"
#include "util.h"
#include "vm.h"

#define PCI_ADDR_PORT 0xcf8
#define PCI_DATA_PORT 0xcfc
#define PCI_NR_SLOTS 32
#define PCI_CONF1_ENABLE 0x80000000u
/* GSIs 0-23 are the IOAPIC's pins (0-15 also the PICs'); MSI routes start after. */
#define PCI_FIRST_MSI_GSI 24
#define PCI_MAX_MSI_ROUTES 256
#define PCI_NR_DEFAULT_ROUTES VMM_ARCH_MAX_IRQ_ROUTES

static struct {
	pthread_mutex_t lock;		/* configuration cycles */
	struct vmm_vm *vm;		/* the VM the host bridge belongs to */
	uint32_t addr;			/* 0xCF8 latch */
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
		bool set;
	} msi[PCI_MAX_MSI_ROUTES];
	unsigned int nr_msi;
} pci = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.route_lock = PTHREAD_MUTEX_INITIALIZER,
	.next_gsi = PCI_FIRST_MSI_GSI,
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

/* Map or unmap each BAR per the command register and BAR value (pci.lock held). */
static void
update_bars(struct vmm_pci_dev *dev)
{
	bool decode = (vmm_pci_get16(dev->cfg + PCI_CFG_COMMAND) & PCI_CMD_MEMORY) != 0;
	unsigned int i;

	for (i = 0; i < VMM_PCI_NR_BARS; i++) {
		uint64_t size = dev->bar_size[i];
		uint64_t addr = vmm_pci_get32(dev->cfg + PCI_CFG_BAR0 + 4 * i) & ~0xfULL;
		bool want = decode && addr != 0 && addr + size <= VMM_MEM_HIGH_START &&
			addr != (~(size - 1) & 0xfffffff0ULL);

		if (size == 0 || (want == dev->bar_mapped[i] && addr == dev->bar_addr[i]))
			continue;
		if (dev->bar_mapped[i]) {
			vmm_bus_unregister(&pci.vm->bus, VMM_BUS_MMIO, dev->bar_addr[i]);
			dev->bar_mapped[i] = false;
			if (dev->bar_map != NULL)
				dev->bar_map(dev, i, dev->bar_addr[i], false);
		}
		dev->bar_addr[i] = addr;
		if (want && vmm_bus_register(&pci.vm->bus, VMM_BUS_MMIO, addr, size, dev->name,
				dev->bar_cb, dev->opaque) >= 0) {
			dev->bar_mapped[i] = true;
			if (dev->bar_map != NULL)
				dev->bar_map(dev, i, addr, true);
		}
	}
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
	if (reg < PCI_CFG_BAR0 + 4 * VMM_PCI_NR_BARS && reg + len > PCI_CFG_COMMAND)
		update_bars(dev);
	if (dev->cfg_write != NULL)
		dev->cfg_write(dev, reg, len);
}

static void
addr_port(void *opaque, uint64_t offset, uint8_t *data, unsigned int len, bool is_write)
{
	(void)opaque;
	if (offset != 0 || len != 4) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&pci.lock);
	if (is_write)
		pci.addr = vmm_pci_get32(data);
	else
		vmm_pci_set32(data, pci.addr);
	pthread_mutex_unlock(&pci.lock);
}

static void
data_port(void *opaque, uint64_t offset, uint8_t *data, unsigned int len, bool is_write)
{
	struct vmm_pci_dev *dev = NULL;
	unsigned int reg, slot;

	(void)opaque;
	pthread_mutex_lock(&pci.lock);
	reg = (pci.addr & 0xfc) + (unsigned int)offset;
	slot = (pci.addr >> 11) & 0x1f;
	if ((pci.addr & PCI_CONF1_ENABLE) && ((pci.addr >> 16) & 0xff) == 0 &&
	    ((pci.addr >> 8) & 7) == 0 && slot < pci.nr_slots && reg + len <= 256)
		dev = pci.slots[slot];
	if (reg + len <= 256)
		cfg_access(dev, reg, data, len, is_write);
	else if (!is_write)
		memset(data, 0xff, len);
	pthread_mutex_unlock(&pci.lock);
}

static int
host_bridge_init(struct vmm_vm *vm, char **err)
{
	struct vmm_pci_dev *b = &pci.bridge;
	int ret;

	pci.vm = vm;
	pci.next_mmio = VMM_PCI_MMIO_BASE;
	memset(b, 0, sizeof(*b));
	b->name = "pci-host";
	vmm_pci_set16(b->cfg + PCI_CFG_VENDOR, 0x1b36);	/* Red Hat, Inc. */
	vmm_pci_set16(b->cfg + PCI_CFG_DEVICE, 0x0008);	/* PCIe host bridge */
	b->cfg[PCI_CFG_CLASS + 2] = 0x06;		/* bridge */
	b->cfg[PCI_CFG_CLASS + 1] = 0x00;		/* host */
	pci.slots[0] = b;
	pci.nr_slots = 1;
	ret = vmm_bus_register(&vm->bus, VMM_BUS_PIO, PCI_ADDR_PORT, 4, "pci-addr", addr_port,
		NULL);
	if (ret >= 0)
		ret = vmm_bus_register(&vm->bus, VMM_BUS_PIO, PCI_DATA_PORT, 4, "pci-data",
			data_port, NULL);
	if (ret < 0)
		return vmm_err(err, ret, "PCI host bridge: ports 0xcf8-0xcff: %s", strerror(-ret));
	return 0;
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
		if (pci.next_mmio + size > VMM_PCI_MMIO_END) {
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
	if (pci.nr_msi < PCI_MAX_MSI_ROUTES) {
		gsi = (int)pci.next_gsi++;
		pci.msi[pci.nr_msi++].gsi = (unsigned int)gsi;
	}
	pthread_mutex_unlock(&pci.route_lock);
	return gsi;
}

int
vmm_pci_msi_route(struct vmm_vm *vm, unsigned int gsi, uint64_t addr, uint32_t data)
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
		r->entries[n++].u.msi.data = pci.msi[i].data;
	}
	r->nr = n;
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, r) < 0)
		ret = -errno;
	pthread_mutex_unlock(&pci.route_lock);
	free(r);
	return ret;
}
