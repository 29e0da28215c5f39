/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness: arbitrary sequences of guest accesses to every device vireo-vmm's bus
 * dispatches — the legacy port-I/O devices (COM1 UART, RTC, ACPI PM, i8042), PCI
 * configuration cycles (0xCF8/0xCFC) to the host bridge and two virtio-pci devices
 * (virtio-net's shape: 2 and 33 queues), and MMIO to their BARs (common configuration,
 * ISR, device configuration, notifications, MSI-X table and PBA) — with any width (0 to 16
 * bytes) and any alignment, as a hostile guest could make them.
 *
 * Input: records of 14 bytes: op (bit 0 write; bits 1-2 kind: port I/O, configuration
 * cycle, MMIO in a BAR, MMIO anywhere), width (mod 17), 4 address bytes, 8 value bytes.
 *
 * Besides ASan and UBSan, the harness checks what no access may change: each virtio
 * device's host-side fields (eventfds, GSIs, counts, callbacks) and the guard bytes around
 * it, and the bytes of a read buffer past the access width.
 *
 * No KVM: the VM is a bus and a closed VM fd (interrupt ioctls fail, their messages go to
 * stderr: run with -close_fd_mask=2).  Devices are created once; each input starts with
 * the virtio devices reset and their BARs back in place.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "arch.h"
#include "pci.h"
#include "virtio_pci.h"
#include "vm.h"
#include "vp_host.h"

#define NR_VP 2
#define GUARD 64
#define REC 14
#define BAR_SPAN 0x8000

static struct guarded {
	uint8_t pre[GUARD];
	struct vmm_virtio_pci vp;
	uint8_t post[GUARD];
} devs[NR_VP];

/* What no guest access may change, copied once after set-up. */
static struct vp_host host[NR_VP];

static struct vmm_vm vm;
static struct vmm_config cfg;
static uint32_t bar0[NR_VP];

/* Ports the legacy devices decode; an access lands near one of them. */
static const uint16_t ports[] = { 0x3f8, 0x70, 0x600, 0x604, 0x608, 0x60, 0x64, 0xcf8, 0xcfc };

static void
status_cb(struct vmm_virtio_pci *p, uint8_t old, uint8_t status)
{
	(void)p;
	(void)old;
	(void)status;
}

static const struct vmm_virtio_ops ops = { .set_status = status_cb };

static void
check_host(void)
{
	for (unsigned int d = 0; d < NR_VP; d++) {
		struct vp_host now;

		vp_host_save(&devs[d].vp, &now);
		if (memcmp(&now, &host[d], sizeof(now)) != 0) {
			fprintf(stderr, "fuzz_devices: device %u: host-side state changed\n", d);
			abort();
		}
		for (unsigned int i = 0; i < GUARD; i++)
			if (devs[d].pre[i] != 0xc3 || devs[d].post[i] != 0x3c) {
				fprintf(stderr, "fuzz_devices: device %u: guard bytes changed\n", d);
				abort();
			}
	}
}

static void
pio(uint16_t port, const void *v, unsigned int len, bool is_write)
{
	uint8_t d[8];

	memcpy(d, v, len);
	vmm_bus_access(&vm.bus, VMM_BUS_PIO, port, d, len, is_write);
}

static void
cfg_write(unsigned int slot, unsigned int reg, uint32_t v, unsigned int len)
{
	uint32_t a = 0x80000000u | slot << 11 | (reg & 0xfc);

	pio(0xcf8, &a, 4, true);
	pio((uint16_t)(0xcfc + (reg & 3)), &v, len, true);
}

/* The state an input starts from: virtio reset, MSI-X off, BAR 0 decoding where it was. */
static void
reset_devices(void)
{
	for (unsigned int d = 0; d < NR_VP; d++) {
		struct vmm_virtio_pci *vp = &devs[d].vp;
		uint8_t zero = 0;

		cfg_write(vp->pci.slot, PCI_CFG_BAR0, bar0[d], 4);
		cfg_write(vp->pci.slot, PCI_CFG_COMMAND, PCI_CMD_MEMORY | PCI_CMD_MASTER, 2);
		cfg_write(vp->pci.slot, 0x42, 0, 2);	/* MSI-X message control */
		vmm_bus_access(&vm.bus, VMM_BUS_MMIO, bar0[d] + 0x14, &zero, 1, true);
		for (unsigned int v = 0; v < vp->nr_vectors; v++)
			vp->msix[v] = (struct vmm_msix_entry){ .ctrl = 1 };
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *err = NULL;

	(void)argc;
	(void)argv;
	memset(&vm, 0, sizeof(vm));
	vmm_bus_init(&vm.bus);
	pthread_mutex_init(&vm.stop_lock, NULL);
	vm.vm_fd = -1;
	vm.stop_fd = -1;
	vm.epoll_fd = epoll_create1(EPOLL_CLOEXEC);	/* the RTC's timer: never waited on */
	cfg.serial = VMM_SERIAL_FILE;
	cfg.serial_path = "/dev/null";
	cfg.serial_max = VMM_SERIAL_FILE_MAX;
	vm.cfg = &cfg;
	if (vmm_devices_init(&vm, &err) < 0) {
		fprintf(stderr, "fuzz_devices: devices: %s\n", err);
		exit(1);
	}
	for (unsigned int d = 0; d < NR_VP; d++) {
		struct guarded *g = &devs[d];

		memset(g->pre, 0xc3, GUARD);
		memset(g->post, 0x3c, GUARD);
		g->vp.ops = &ops;
		g->vp.pci.name = d == 0 ? "virtio-net0" : "virtio-net1";
		if (vmm_virtio_pci_init(&g->vp, &vm, 1, d == 0 ? 2 : VMM_VIRTIO_MAX_QUEUES,
				0x130000000ULL, 12, &err) < 0) {
			fprintf(stderr, "fuzz_devices: virtio-pci: %s\n", err);
			exit(1);
		}
		memcpy(g->vp.config, "\x52\x54\x00\x12\x34\x56\x01\x00\x01\x00\xdc\x05", 12);
		bar0[d] = vmm_pci_get32(g->vp.pci.cfg + PCI_CFG_BAR0);
		vp_host_save(&g->vp, &host[d]);
	}
	free(err);
	return 0;
}

/* One record: see the header. */
static void
one_access(const uint8_t *r)
{
	bool is_write = r[0] & 1;
	unsigned int kind = (r[0] >> 1) & 3, len = r[1] % 17;
	uint32_t a;
	uint8_t data[32], copy[32];
	uint64_t addr;
	enum vmm_bus_space space = VMM_BUS_MMIO;

	memcpy(&a, r + 2, 4);
	memset(data, 0xa5, sizeof(data));
	memcpy(data, r + 6, 8);
	switch (kind) {
	case 0:		/* near a legacy port */
		space = VMM_BUS_PIO;
		addr = (uint16_t)(ports[a % (sizeof(ports) / sizeof(ports[0]))] +
			((a >> 8) & 15) - 4);
		break;
	case 1: {	/* a configuration cycle: latch, then the data port */
		uint32_t cf8 = 0x80000000u | (a & 0x000100ff) | ((a >> 8) % 4) << 11 |
			((a >> 10) & 7) << 8;

		pio(0xcf8, &cf8, 4, true);
		space = VMM_BUS_PIO;
		addr = 0xcfc + ((a >> 24) & 7) - 2;
		break;
	}
	case 2:		/* inside (or just around) a virtio BAR */
		addr = (uint64_t)bar0[(a >> 31) & 1] + (a & 0xffff) % (BAR_SPAN + 32) - 16;
		break;
	default:	/* anywhere in the PCI hole */
		addr = vmm_arch_pci.mmio_base + (a & 0x0fffffff);
		break;
	}
	memcpy(copy, data, sizeof(copy));
	vmm_bus_access(&vm.bus, space, addr, data, len, is_write);
	if (memcmp(data + len, copy + len, sizeof(data) - len) != 0) {
		fprintf(stderr, "fuzz_devices: a %u-byte access at 0x%llx wrote past its end\n",
			len, (unsigned long long)addr);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	reset_devices();
	for (size_t off = 0; off + REC <= size; off += REC)
		one_access(buf + off);
	check_host();
	return 0;
}
