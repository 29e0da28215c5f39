/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * x86's way into PCI configuration space (arch.h): configuration mechanism #1, an address
 * latch at port 0xCF8 (enable bit, bus, device, function, dword register) and the data
 * window at 0xCFC-0xCFF.  The latch is one for the machine, as on real chipsets: vCPUs that
 * race on it get what the hardware would give them.
 */
#include <pthread.h>
#include <string.h>

#include "bus.h"
#include "pci.h"
#include "util.h"
#include "vm.h"
#include "x86.h"

#define CONF1_ADDR_PORT 0xcf8
#define CONF1_DATA_PORT 0xcfc
#define CONF1_ENABLE 0x80000000u

static struct {
	pthread_mutex_t lock;
	uint32_t addr;
} conf1 = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static void
addr_port(void *opaque, uint64_t offset, uint8_t *data, unsigned int len, bool is_write)
{
	(void)opaque;
	if (offset != 0 || len != 4) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&conf1.lock);
	if (is_write)
		conf1.addr = vmm_pci_get32(data);
	else
		vmm_pci_set32(data, conf1.addr);
	pthread_mutex_unlock(&conf1.lock);
}

static void
data_port(void *opaque, uint64_t offset, uint8_t *data, unsigned int len, bool is_write)
{
	uint32_t a;

	(void)opaque;
	pthread_mutex_lock(&conf1.lock);
	a = conf1.addr;
	pthread_mutex_unlock(&conf1.lock);
	if (!(a & CONF1_ENABLE) || offset + len > 4) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	vmm_pci_cfg_access((a >> 16) & 0xff, (a >> 11) & 0x1f, (a >> 8) & 7,
		(a & 0xfc) + (unsigned int)offset, data, len, is_write);
}

int
x86_pci_conf1_register(struct vmm_vm *vm, char **err)
{
	int ret;

	ret = vmm_bus_register(&vm->bus, VMM_BUS_PIO, CONF1_ADDR_PORT, 4, "pci-addr", addr_port,
		NULL);
	if (ret >= 0)
		ret = vmm_bus_register(&vm->bus, VMM_BUS_PIO, CONF1_DATA_PORT, 4, "pci-data",
			data_port, NULL);
	if (ret < 0)
		return vmm_err(err, ret, "PCI host bridge: ports 0xcf8-0xcff: %s", strerror(-ret));
	return 0;
}
