/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every access a guest can make to the PCI devices, of every width and at every offset:
 * the whole of each virtio-pci BAR (common configuration, ISR, device configuration,
 * notifications, MSI-X table and PBA, the holes between them) and a little past both ends,
 * every register of every function's configuration space through ports 0xCF8/0xCFC (x86's
 * mechanism, where the build's architecture has it) and every byte of each function's 4 KiB
 * ECAM page (arm64's mechanism, vmm/arch/arm64/pci_ecam.c: arch-neutral C, compiled into
 * this test on every architecture), with widths 0, 1, 2, 3, 4, 5, 8 and 16, reads and
 * writes of pseudo-random values.
 *
 * After each access nothing the guest must not reach may have changed: the devices'
 * host-side fields (eventfds, GSIs, queue and vector counts, callbacks, the read-only
 * device configuration), the read-only bits of configuration space, guard bytes around
 * each device.  A read must not depend on host-side state: each read is repeated after the
 * host-side values were swapped for others (a dup'ed eventfd, another GSI) and must return
 * the same bytes.
 *
 * No KVM is needed: the VM is a bus and a closed VM fd (the MSI route and irqfd ioctls
 * then fail; their messages go to /dev/null while the sweep runs).  The devices are the
 * virtio-pci transport as virtio-net instantiates it (device ID 1, 12 bytes of device
 * configuration, 2 queues, and 33 queues: the largest MSI-X table) and the host bridge.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "arm64.h"
#include "check.h"
#include "pci.h"
#include "virtio_pci.h"
#include "vm.h"
#include "vp_host.h"

#define GUARD 64
#define NR_DEVS 2
#define BAR_SPAN 0x8000		/* virtio_pci.c's BAR 0 */
#define ISR_OFFSET 0x1000	/* its ISR byte */
#define MSIX_TABLE 0x4000		/* ... and where it puts the MSI-X table */
#define MSIX_PBA 0x5000
#define MAX_FAIL_PRINTS 20
#define ECAM_BASE 0x4000000000ULL	/* anywhere free on the test's bus */
#define ECAM_BUSES 2

/* A device with guard bytes on both sides (ASan does not see overflows inside a struct). */
static struct guarded {
	uint8_t pre[GUARD];
	struct vmm_virtio_pci vp;
	uint8_t post[GUARD];
} devs[NR_DEVS];

static const unsigned int dev_queues[NR_DEVS] = { 2, VMM_VIRTIO_MAX_QUEUES };
static const unsigned int widths[] = { 0, 1, 2, 3, 4, 5, 8, 16 };

/* What a guest must never change: host-side fields, copied field by field. */
struct host_state {
	struct vp_host vp;
	bool vec_irqfd[VMM_VIRTIO_MAX_QUEUES + 1];
	uint8_t cfg_ro[256];		/* the configuration bits the guest cannot write */
	uint8_t wmask[256];
	uint8_t pre[GUARD], post[GUARD];
};

static struct vmm_vm vm;
static unsigned int failures;
static int status_calls;
static uint8_t status_last;	/* the last status the device model was told of */

static void
status_cb(struct vmm_virtio_pci *p, uint8_t old, uint8_t status)
{
	(void)p;
	(void)old;
	status_last = status;
	status_calls++;
}

static int vector_calls;
static unsigned int vector_queue;	/* the queue of the last vector change */

static void
vector_cb(struct vmm_virtio_pci *p, unsigned int q)
{
	(void)p;
	vector_queue = q;
	vector_calls++;
}

static const struct vmm_virtio_ops ops = { .set_status = status_cb, .queue_vector = vector_cb };

static void
save(const struct guarded *g, struct host_state *h)
{
	const struct vmm_virtio_pci *vp = &g->vp;

	memset(h, 0, sizeof(*h));
	vp_host_save(vp, &h->vp);
	for (unsigned int i = 0; i <= VMM_VIRTIO_MAX_QUEUES; i++)
		h->vec_irqfd[i] = vp->vectors[i].irqfd;
	for (unsigned int i = 0; i < 256; i++)
		h->cfg_ro[i] = vp->pci.cfg[i] & ~vp->pci.wmask[i];
	memcpy(h->wmask, vp->pci.wmask, sizeof(h->wmask));
	memcpy(h->pre, g->pre, GUARD);
	memcpy(h->post, g->post, GUARD);
}

/* Put the host-side fields back (after a detected corruption, so the sweep goes on). */
static void
restore(struct guarded *g, const struct host_state *h)
{
	struct vmm_virtio_pci *vp = &g->vp;

	vp_host_restore(vp, &h->vp);
	for (unsigned int i = 0; i <= VMM_VIRTIO_MAX_QUEUES; i++)
		vp->vectors[i].irqfd = h->vec_irqfd[i];
	for (unsigned int i = 0; i < 256; i++)
		vp->pci.cfg[i] = (vp->pci.cfg[i] & h->wmask[i]) | h->cfg_ro[i];
	memcpy(vp->pci.wmask, h->wmask, sizeof(h->wmask));
	memcpy(g->pre, h->pre, GUARD);
	memcpy(g->post, h->post, GUARD);
}

static void
fail(const char *what, unsigned int d, uint64_t off, unsigned int len, bool is_write)
{
	if (failures++ < MAX_FAIL_PRINTS)
		printf("FAIL device %u: %s after a %u-byte %s at 0x%llx\n", d, what, len,
			is_write ? "write" : "read", (unsigned long long)off);
}

/* Compare every device's host state with 'before'; put it back when it changed. */
static void
verify(struct host_state *before, uint64_t off, unsigned int len, bool is_write)
{
	for (unsigned int d = 0; d < NR_DEVS; d++) {
		struct host_state now;

		save(&devs[d], &now);
		if (memcmp(&now, &before[d], sizeof(now)) != 0) {
			fail("host-side state changed", d, off, len, is_write);
			restore(&devs[d], &before[d]);
		}
	}
}

/* A dup of each eventfd (same file: same PBA bits), made once; perturb() swaps them in. */
static int alt_fd[NR_DEVS][2][VMM_VIRTIO_MAX_QUEUES + 1];

static void
make_alt_fds(void)
{
	for (unsigned int d = 0; d < NR_DEVS; d++) {
		struct vmm_virtio_pci *vp = &devs[d].vp;

		for (unsigned int i = 0; i < vp->nr_vectors; i++)
			alt_fd[d][0][i] = dup(vp->vectors[i].fd);
		for (unsigned int i = 0; i < vp->nr_queues; i++)
			alt_fd[d][1][i] = dup(vp->queues[i].kick_fd);
	}
}

static void
swap_fd(int *a, int *b)
{
	int t = *a;

	*a = *b;
	*b = t;
}

/*
 * Give every device other host-side values that a read could leak (each eventfd swapped
 * for its dup, each GSI moved), or the real ones back: call twice.
 */
static void
perturb(bool on)
{
	for (unsigned int d = 0; d < NR_DEVS; d++) {
		struct vmm_virtio_pci *vp = &devs[d].vp;

		for (unsigned int i = 0; i < vp->nr_vectors; i++) {
			swap_fd(&vp->vectors[i].fd, &alt_fd[d][0][i]);
			vp->vectors[i].gsi += on ? 0x5a5a : -0x5a5a;
		}
		for (unsigned int i = 0; i < vp->nr_queues; i++)
			swap_fd(&vp->queues[i].kick_fd, &alt_fd[d][1][i]);
	}
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint8_t
rnd8(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint8_t)rng;
}

/*
 * One access of 'len' bytes at 'addr' in 'space', with the checks above.  A read is made
 * twice, the second time with the host-side values perturbed.
 */
static void
access_checked(enum vmm_bus_space space, uint64_t addr, unsigned int len, bool is_write)
{
	struct host_state before[NR_DEVS];
	uint8_t data[32], again[32];
	unsigned int i;

	for (unsigned int d = 0; d < NR_DEVS; d++)
		save(&devs[d], &before[d]);
	for (i = 0; i < sizeof(data); i++)
		data[i] = is_write ? rnd8() : 0xa5;
	memcpy(again, data, sizeof(again));
	vmm_bus_access(&vm.bus, space, addr, data, len, is_write);
	if (memcmp(data + len, again + len, sizeof(data) - len) != 0)
		fail("bytes past the access changed", 0, addr, len, is_write);
	verify(before, addr, len, is_write);
	if (is_write)
		return;
	/* The ISR is read-to-clear (the device raises it when it refuses a status write). */
	for (unsigned int d = 0; d < NR_DEVS; d++)
		if (space == VMM_BUS_MMIO && addr == devs[d].vp.pci.bar_addr[0] + ISR_OFFSET)
			return;
	perturb(true);
	vmm_bus_access(&vm.bus, space, addr, again, len, false);
	perturb(false);
	if (memcmp(data, again, len) != 0)
		fail("a read depends on host-side state", 0, addr, len, false);
}

/* Every offset of BAR 0 of device 'd' and 16 bytes either side, every width, both ways. */
static void
sweep_bar(unsigned int d, bool writes)
{
	uint64_t base = devs[d].vp.pci.bar_addr[0];

	for (uint64_t a = base - 16; a < base + BAR_SPAN + 16; a++)
		for (unsigned int w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
			access_checked(VMM_BUS_MMIO, a, widths[w], false);
			if (writes)
				access_checked(VMM_BUS_MMIO, a, widths[w], true);
		}
}

/* Latch configuration address 'cf8' (a 4-byte write, as a guest does). */
static void
latch(uint32_t cf8)
{
	uint8_t a[4];

	vmm_pci_set32(a, cf8);
	vmm_bus_access(&vm.bus, VMM_BUS_PIO, 0xcf8, a, 4, true);
}

/*
 * Every configuration register of 'slot' (function 'fn', bus 'bus'): each of the 8 ports
 * 0xCF8-0xCFF at every width, both ways.  Writes to the BARs and the command register move
 * or unmap the BARs, so those are restored after each access to keep the devices decoding.
 */
static void
sweep_cfg(unsigned int bus, unsigned int slot, unsigned int fn)
{
	for (unsigned int reg = 0; reg < 256; reg += 4)
		for (unsigned int port = 0; port < 8; port++)
			for (unsigned int w = 0; w < sizeof(widths) / sizeof(widths[0]); w++)
				for (int wr = 0; wr < 2; wr++) {
					uint32_t cf8 = 0x80000000u | bus << 16 | slot << 11 | fn << 8 | reg;

					latch(cf8);
					access_checked(VMM_BUS_PIO, 0xcf8 + port, widths[w], wr);
				}
}

/* The 256 configuration bytes of 'slot', one byte at a time. */
static void
read_cfg(unsigned int slot, uint8_t *out)
{
	for (unsigned int reg = 0; reg < 256; reg++) {
		latch(0x80000000u | slot << 11 | (reg & 0xfc));
		vmm_bus_access(&vm.bus, VMM_BUS_PIO, 0xcfc + (reg & 3), &out[reg], 1, false);
	}
}

static uint64_t
ecam_addr(unsigned int bus, unsigned int slot, unsigned int fn, unsigned int reg)
{
	return ECAM_BASE + ((uint64_t)bus << 20 | slot << 15 | fn << 12 | reg);
}

/*
 * Every offset of the 4 KiB ECAM page of 'slot' (function 'fn', bus 'bus') and 16 bytes
 * past it, every width, both ways.
 */
static void
sweep_ecam(unsigned int bus, unsigned int slot, unsigned int fn)
{
	uint64_t base = ecam_addr(bus, slot, fn, 0);

	for (uint64_t a = base; a < base + VMM_PCI_CFG_SPACE + 16; a++)
		for (unsigned int w = 0; w < sizeof(widths) / sizeof(widths[0]); w++)
			for (int wr = 0; wr < 2; wr++)
				access_checked(VMM_BUS_MMIO, a, widths[w], wr);
}

/* One ECAM access; returns what a read gave (all ones past 'len' bytes: none). */
static uint32_t
ecam_rw(unsigned int slot, unsigned int reg, unsigned int len, uint32_t v, bool is_write)
{
	uint8_t b[8];

	memset(b, 0, sizeof(b));
	vmm_pci_set32(b, v);
	vmm_bus_access(&vm.bus, VMM_BUS_MMIO, ecam_addr(0, slot, 0, reg), b, len, is_write);
	return len == 1 ? b[0] : len == 2 ? vmm_pci_get16(b) : vmm_pci_get32(b);
}

/*
 * What ECAM gives a guest: each device's configuration space as it is, aligned accesses of
 * 1, 2 and 4 bytes only, zeros in a present function's extended space, all ones for absent
 * functions and buses, and writes that reach the device (a BAR moved through ECAM moves).
 */
static void
ecam_rules(void)
{
	struct vmm_pci_dev *p = &devs[0].vp.pci;
	unsigned int slot = p->slot;
	uint8_t b[8];

	for (unsigned int reg = 0; reg < 256; reg += 4)
		CHECK(ecam_rw(slot, reg, 4, 0, false) == vmm_pci_get32(p->cfg + reg));
	CHECK(ecam_rw(slot, 0, 2, 0, false) == 0x1af4 && ecam_rw(slot, 2, 2, 0, false) == 0x1041);
	CHECK(ecam_rw(slot, 3, 1, 0, false) == 0x10);
	CHECK(ecam_rw(0, 0x0b, 1, 0, false) == 0x06);		/* the host bridge */
	/* Unaligned, 3 or 8 bytes: all ones. */
	CHECK(ecam_rw(slot, 1, 2, 0, false) == 0xffff);
	CHECK(ecam_rw(slot, 2, 4, 0, false) == 0xffffffff);
	CHECK(ecam_rw(slot, 1, 4, 0, false) == 0xffffffff);
	memset(b, 0, sizeof(b));
	vmm_bus_access(&vm.bus, VMM_BUS_MMIO, ecam_addr(0, slot, 0, 0), b, 8, false);
	CHECK(memcmp(b, "\xff\xff\xff\xff\xff\xff\xff\xff", 8) == 0);
	memset(b, 0, sizeof(b));
	vmm_bus_access(&vm.bus, VMM_BUS_MMIO, ecam_addr(0, slot, 0, 0), b, 3, false);
	CHECK(memcmp(b, "\xff\xff\xff\0", 4) == 0);
	/* Extended space, absent slots, functions and buses. */
	CHECK(ecam_rw(slot, 0x100, 4, 0, false) == 0 && ecam_rw(slot, 0xffc, 4, 0, false) == 0);
	CHECK(ecam_rw(NR_DEVS + 1, 0, 4, 0, false) == 0xffffffff);
	CHECK(ecam_rw(NR_DEVS + 1, 0x100, 4, 0, false) == 0xffffffff);
	CHECK(ecam_rw(31, 0, 4, 0, false) == 0xffffffff);
	memset(b, 0, sizeof(b));
	vmm_bus_access(&vm.bus, VMM_BUS_MMIO, ecam_addr(0, slot, 1, 0), b, 4, false);
	CHECK(vmm_pci_get32(b) == 0xffffffff);
	memset(b, 0, sizeof(b));
	vmm_bus_access(&vm.bus, VMM_BUS_MMIO, ecam_addr(1, slot, 0, 0), b, 4, false);
	CHECK(vmm_pci_get32(b) == 0xffffffff);
	/* Writes: a misaligned one changes nothing, an aligned one moves BAR 0. */
	ecam_rw(slot, PCI_CFG_BAR0 + 2, 4, 0x12345678, true);
	ecam_rw(slot, PCI_CFG_COMMAND + 1, 2, 0, true);
	CHECK(ecam_rw(slot, PCI_CFG_COMMAND, 2, 0, false) & PCI_CMD_MEMORY);
	CHECK(p->bar_mapped[0] && p->bar_addr[0] == vmm_pci_get32(p->cfg + PCI_CFG_BAR0));
	ecam_rw(slot, PCI_CFG_BAR0, 4, 0xc0000000u, true);
	CHECK(p->bar_mapped[0] && p->bar_addr[0] == 0xc0000000u);
	/* The requester ID an MSI route names (arm64's ITS translates per device ID). */
	CHECK(vmm_pci_devid(p) == slot << 3);
}

/*
 * Memory decoding on, BAR 0 back where vmm_pci_dev_add() put it ('bar'), MSI-X on and
 * unmasked (through ECAM, which every architecture's build of this test has).
 */
static void
guest_setup(unsigned int d, uint32_t bar)
{
	unsigned int slot = devs[d].vp.pci.slot;

	ecam_rw(slot, PCI_CFG_BAR0, 4, bar, true);
	ecam_rw(slot, PCI_CFG_COMMAND, 2, PCI_CMD_MEMORY | PCI_CMD_MASTER, true);
	ecam_rw(slot, 0x42, 2, 0x8000, true);		/* MSI-X enable */
}

static uint64_t
bar_rw(unsigned int d, uint64_t off, unsigned int len, uint64_t v, bool is_write)
{
	uint8_t b[8];
	uint64_t r = 0;

	for (unsigned int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	vmm_bus_access(&vm.bus, VMM_BUS_MMIO, devs[d].vp.pci.bar_addr[0] + off, b, len,
		is_write);
	for (unsigned int i = 0; i < len && i < 8; i++)
		r |= (uint64_t)b[i] << (8 * i);
	return r;
}

/* The MSI-X access rules themselves: what a guest may do works, the rest does nothing. */
static void
msix_rules(void)
{
	uint64_t e1 = MSIX_TABLE + 16;

	bar_rw(0, e1, 8, 0x00000000fee01000ULL, true);
	bar_rw(0, e1 + 8, 8, 0xfffffffe00000041ULL, true);	/* data; ctrl: unmasked */
	CHECK(bar_rw(0, e1, 8, 0, false) == 0x00000000fee01000ULL);
	CHECK(bar_rw(0, e1 + 8, 4, 0, false) == 0x41);
	CHECK(bar_rw(0, e1 + 12, 4, 0, false) == 0);		/* reserved bits read 0 */
	bar_rw(0, e1 + 12, 4, 0xffffffff, true);
	CHECK(bar_rw(0, e1 + 12, 4, 0, false) == 1);		/* masked */
	CHECK(devs[0].vp.msix[1].ctrl == 1 && devs[0].vp.msix[1].addr_lo == 0xfee01000u);
	/* Unaligned or other widths: all ones, and no write. */
	CHECK(bar_rw(0, e1 + 12, 8, 0, false) == UINT64_MAX);
	CHECK(bar_rw(0, e1 + 4, 8, 0, false) == UINT64_MAX);
	CHECK(bar_rw(0, e1, 2, 0, false) == 0xffff);
	CHECK(bar_rw(0, e1 + 1, 4, 0, false) == 0xffffffff);
	bar_rw(0, e1, 2, 0x1234, true);
	bar_rw(0, e1 + 2, 4, 0x12345678, true);
	bar_rw(0, e1 + 12, 8, 0, true);
	CHECK(bar_rw(0, e1, 8, 0, false) == 0x00000000fee01000ULL);
	CHECK(bar_rw(0, e1 + 12, 4, 0, false) == 1);
	/* Past the last vector; the PBA: aligned reads only, writes ignored. */
	CHECK(bar_rw(0, MSIX_TABLE + 16 * devs[0].vp.nr_vectors, 4, 0, false) == 0);
	CHECK(bar_rw(0, MSIX_PBA, 8, 0, false) == 0);
	CHECK(bar_rw(0, MSIX_PBA + 4, 4, 0, false) == 0);
	CHECK(bar_rw(0, MSIX_PBA + 2, 4, 0, false) == 0xffffffff);
	/* The bus itself: no device sees an access of 0 or more than 8 bytes. */
	CHECK(vmm_bus_access(&vm.bus, VMM_BUS_MMIO, devs[0].vp.pci.bar_addr[0],
		(uint8_t[16]){ 0 }, 0, false) == -EINVAL);
	CHECK(vmm_bus_access(&vm.bus, VMM_BUS_MMIO, devs[0].vp.pci.bar_addr[0],
		(uint8_t[16]){ 0 }, 16, false) == -EINVAL);
}

/* Write 'val' ('len' bytes) at offset 'off' of device 'd''s common configuration. */
static void
common_w(unsigned int d, unsigned int off, uint32_t val, unsigned int len)
{
	uint8_t b[4] = { (uint8_t)val, (uint8_t)(val >> 8), (uint8_t)(val >> 16),
		(uint8_t)(val >> 24) };

	vmm_bus_access(&vm.bus, VMM_BUS_MMIO, devs[d].vp.pci.bar_addr[0] + off, b, len, true);
}

/*
 * The status protocol (virtio 1.2, 2.1.2 and 3.1.1): the device model hears of DRIVER_OK
 * only after FEATURES_OK was accepted for features the device offered, and a write that
 * clears a bit without a reset is refused with NEEDS_RESET.
 */
static void
status_rules(void)
{
	struct vmm_virtio_pci *vp = &devs[0].vp;
	int calls;

	common_w(0, 0x14, 0, 1);			/* reset */
	common_w(0, 0x14, 0x03, 1);			/* ACKNOWLEDGE | DRIVER */
	common_w(0, 0x08, 0, 4);			/* every feature bit acked */
	common_w(0, 0x0c, 0xffffffff, 4);
	common_w(0, 0x08, 1, 4);
	common_w(0, 0x0c, 0xffffffff, 4);
	calls = status_calls;
	common_w(0, 0x14, 0x07, 1);			/* DRIVER_OK, no FEATURES_OK */
	CHECK(status_calls == calls && vp->status == (0x03 | VIRTIO_STATUS_NEEDS_RESET));
	common_w(0, 0x14, 0x0f, 1);			/* FEATURES_OK | DRIVER_OK, bad features */
	CHECK(status_calls == calls && !(vp->status & VIRTIO_STATUS_DRIVER_OK));
	common_w(0, 0x14, 0, 1);
	common_w(0, 0x14, 0x03, 1);
	common_w(0, 0x08, 1, 4);
	common_w(0, 0x0c, (uint32_t)(vp->device_features >> 32), 4);
	common_w(0, 0x08, 0, 4);
	common_w(0, 0x0c, (uint32_t)vp->device_features, 4);
	common_w(0, 0x14, 0x0b, 1);
	CHECK(vp->status == 0x0b);
	common_w(0, 0x14, 0x0f, 1);
	CHECK(vp->status == 0x0f && status_last == 0x0f);
	calls = status_calls;
	common_w(0, 0x14, 0x0b, 1);			/* DRIVER_OK cleared without a reset */
	CHECK(status_calls == calls && vp->status == (0x0f | VIRTIO_STATUS_NEEDS_RESET));
	common_w(0, 0x14, 0x0f, 1);			/* a write without NEEDS_RESET keeps it */
	CHECK(vp->status == (0x0f | VIRTIO_STATUS_NEEDS_RESET));
	common_w(0, 0x14, 0, 1);
	CHECK(vp->status == 0 && status_last == 0);
}

/*
 * The ring addresses take any width at any offset byte by byte: an 8-byte write at a high
 * half is that half and the next field's low half, a 1- or 2-byte write changes only its
 * bytes, and reads give the bytes they cover.
 */
static void
ring_addr_rules(void)
{
	struct vmm_virtio_queue *vq = &devs[0].vp.queues[0];

	common_w(0, 0x14, 0, 1);			/* reset: queue 0 selected, not enabled */
	bar_rw(0, 0x20, 8, 0x1122334455667788ULL, true);
	bar_rw(0, 0x28, 8, 0x0102030405060708ULL, true);
	bar_rw(0, 0x30, 8, 0x1020304050607080ULL, true);
	CHECK(vq->desc == 0x1122334455667788ULL && bar_rw(0, 0x20, 8, 0, false) == vq->desc);
	bar_rw(0, 0x24, 8, 0xaaaaaaaabbbbbbbbULL, true);
	CHECK(vq->desc == 0xbbbbbbbb55667788ULL && vq->avail == 0x01020304aaaaaaaaULL,
		"desc 0x%016llx avail 0x%016llx after 8 bytes at desc_hi",
		(unsigned long long)vq->desc, (unsigned long long)vq->avail);
	bar_rw(0, 0x30, 1, 0xee, true);
	bar_rw(0, 0x36, 2, 0xccdd, true);
	CHECK(vq->used == 0xccdd3040506070eeULL, "used 0x%016llx after byte writes",
		(unsigned long long)vq->used);
	CHECK(bar_rw(0, 0x22, 2, 0, false) == 0x5566 && bar_rw(0, 0x35, 1, 0, false) == 0x30 &&
	      bar_rw(0, 0x34, 8, 0, false) == 0xccdd3040ULL, "reads 0x%llx 0x%llx 0x%llx",
	      (unsigned long long)bar_rw(0, 0x22, 2, 0, false),
	      (unsigned long long)bar_rw(0, 0x35, 1, 0, false),
	      (unsigned long long)bar_rw(0, 0x34, 8, 0, false));
	common_w(0, 0x14, 0, 1);
}

/*
 * A BAR moved over another device's BAR stays unmapped, logged once with the device and
 * the address, and is mapped as soon as the other one moves away.
 */
static void
bar_clash_rules(const uint32_t *bar0)
{
	struct vmm_pci_dev *p0 = &devs[0].vp.pci, *p1 = &devs[1].vp.pci;
	static char log[1 << 16];
	char want[96];
	FILE *f = tmpfile();
	int saved = dup(2);
	ssize_t n = 0;

	CHECK(f != NULL && saved >= 0);
	if (f == NULL || saved < 0)
		return;
	guest_setup(0, bar0[0]);
	guest_setup(1, bar0[1]);
	dup2(fileno(f), 2);
	p1->bar_clash_logged = false;	/* the sweep's random BARs may have clashed already */
	ecam_rw(p1->slot, PCI_CFG_BAR0, 4, bar0[0], true);
	ecam_rw(p1->slot, PCI_CFG_BAR0, 4, bar0[0], true);	/* again: no second message */
	CHECK(!p1->bar_mapped[0] && p0->bar_mapped[0] && p0->bar_addr[0] == bar0[0]);
	ecam_rw(p0->slot, PCI_CFG_BAR0, 4, 0xc8000000u, true);
	CHECK(p0->bar_mapped[0] && p0->bar_addr[0] == 0xc8000000u);
	CHECK(p1->bar_mapped[0] && p1->bar_addr[0] == bar0[0],
		"the waiting BAR was not mapped when the other one left");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	memset(log, 0, sizeof(log));
	if (fseek(f, 0, SEEK_SET) == 0)
		n = (ssize_t)fread(log, 1, sizeof(log) - 1, f);
	fclose(f);
	snprintf(want, sizeof(want), "virtio-net1: BAR 0 at 0x%x", bar0[0]);
	CHECK(n > 0 && strstr(log, want) != NULL && strstr(log, "logged once") != NULL &&
	      strstr(strstr(log, want) + 1, want) == NULL, "log: %.300s", log);
	/* Both back, device 1 first, out of device 0's way. */
	guest_setup(1, bar0[1]);
	guest_setup(0, bar0[0]);
	CHECK(p0->bar_mapped[0] && p0->bar_addr[0] == bar0[0] && p1->bar_mapped[0] &&
	      p1->bar_addr[0] == bar0[1]);
}

/*
 * After DRIVER_OK: a queue's new MSI-X vector reaches the device model (a backend running
 * the ring must signal the new one), the same vector again does not; a queue enabled then
 * is refused with NEEDS_RESET, since its ring would never run.
 */
static void
late_queue_rules(void)
{
	struct vmm_virtio_pci *vp = &devs[0].vp;
	int calls;

	common_w(0, 0x14, 0, 1);
	common_w(0, 0x16, 0, 2);
	common_w(0, 0x1c, 1, 2);			/* queue 0 enabled, queue 1 not */
	common_w(0, 0x14, 0x03, 1);
	common_w(0, 0x08, 1, 4);
	common_w(0, 0x0c, (uint32_t)(vp->device_features >> 32), 4);
	common_w(0, 0x08, 0, 4);
	common_w(0, 0x0c, (uint32_t)vp->device_features, 4);
	common_w(0, 0x14, 0x0b, 1);
	common_w(0, 0x14, 0x0f, 1);
	CHECK(vp->status == 0x0f);
	calls = vector_calls;
	common_w(0, 0x1a, 1, 2);
	CHECK(vector_calls == calls + 1 && vector_queue == 0 && vp->queues[0].vector == 1);
	common_w(0, 0x1a, 1, 2);
	CHECK(vector_calls == calls + 1, "the same vector told again");
	common_w(0, 0x1a, 0xffff, 2);
	CHECK(vector_calls == calls + 2 && vp->queues[0].vector == VMM_VIRTIO_NO_VECTOR);
	common_w(0, 0x16, 1, 2);
	common_w(0, 0x1c, 1, 2);
	CHECK(!vp->queues[1].enabled && (vp->status & VIRTIO_STATUS_NEEDS_RESET),
		"queue 1 enabled after DRIVER_OK: enabled %d, status 0x%02x",
		vp->queues[1].enabled, vp->status);
	common_w(0, 0x14, 0, 1);
	CHECK(vp->status == 0);
}

int
main(void)
{
	char *err = NULL;
	int quiet = open("/dev/null", O_WRONLY | O_CLOEXEC), saved_stderr = dup(2);
	uint32_t bar0[NR_DEVS];
	uint8_t bridge[256], bridge_after[256];
	bool conf1;

	CHECK(quiet >= 0 && saved_stderr >= 0);
	dup2(quiet, 2);
	memset(&vm, 0, sizeof(vm));
	vmm_bus_init(&vm.bus);
	vm.vm_fd = -1;
	CHECK(arm64_pci_ecam_register(&vm, ECAM_BASE, ECAM_BUSES, &err) == 0);
	for (unsigned int d = 0; d < NR_DEVS; d++) {
		struct guarded *g = &devs[d];

		memset(g->pre, 0xc3, GUARD);
		memset(g->post, 0x3c, GUARD);
		g->vp.ops = &ops;
		g->vp.pci.name = d == 0 ? "virtio-net0" : "virtio-net1";
		CHECK(vmm_virtio_pci_init(&g->vp, &vm, 1, dev_queues[d], 0x130000000ULL, 12,
			&err) == 0);
		memcpy(g->vp.config, "\x52\x54\x00\x12\x34\x56\x01\x00\x01\x00\xdc\x05", 12);
		bar0[d] = vmm_pci_get32(g->vp.pci.cfg + PCI_CFG_BAR0);
		guest_setup(d, bar0[d]);
		CHECK(bar0[d] != 0 && g->vp.pci.bar_addr[0] == bar0[d]);
	}
	/* Configuration mechanism #1 where the architecture has it (x86). */
	conf1 = vmm_bus_access(&vm.bus, VMM_BUS_PIO, 0xcf8, (uint8_t[4]){ 0 }, 4, false) >= 0;
	make_alt_fds();
	if (conf1) {
		read_cfg(0, bridge);
		CHECK(bridge[0] != 0xff && bridge[0x0b] == 0x06);	/* the host bridge answers */
	}
	for (unsigned int d = 0; d < NR_DEVS; d++) {
		sweep_bar(d, true);
		guest_setup(d, bar0[d]);
	}
	/* The host bridge, both devices, an empty slot, another function and another bus. */
	if (conf1) {
		for (unsigned int slot = 0; slot < 4; slot++)
			sweep_cfg(0, slot, 0);
		sweep_cfg(0, 1, 1);
		sweep_cfg(1, 1, 0);
		read_cfg(0, bridge_after);
		if (memcmp(bridge, bridge_after, sizeof(bridge)) != 0)
			fail("the host bridge's configuration changed", 0, 0xcfc, 0, true);
	}
	for (unsigned int reg = 0; reg < 256; reg += 4)
		vmm_pci_set32(bridge + reg, ecam_rw(0, reg, 4, 0, false));
	for (unsigned int d = 0; d < NR_DEVS; d++)
		guest_setup(d, bar0[d]);
	for (unsigned int slot = 0; slot < 4; slot++)
		sweep_ecam(0, slot, 0);
	sweep_ecam(0, 1, 1);
	sweep_ecam(1, 1, 0);
	sweep_ecam(ECAM_BUSES - 1, 31, 7);	/* the window's last page, and past its end */
	for (unsigned int reg = 0; reg < 256; reg += 4)
		vmm_pci_set32(bridge_after + reg, ecam_rw(0, reg, 4, 0, false));
	if (memcmp(bridge, bridge_after, sizeof(bridge)) != 0 || bridge[0x0b] != 0x06)
		fail("the host bridge's configuration changed (ECAM)", 0, ECAM_BASE, 0, true);
	for (unsigned int d = 0; d < NR_DEVS; d++) {
		guest_setup(d, bar0[d]);
		CHECK(devs[d].vp.pci.bar_addr[0] == bar0[d]);
	}
	/* The BARs once more, now that the configuration sweep left MSI-X in some state. */
	for (unsigned int d = 0; d < NR_DEVS; d++)
		sweep_bar(d, true);

	dup2(saved_stderr, 2);
	msix_rules();
	for (unsigned int d = 0; d < NR_DEVS; d++)
		guest_setup(d, bar0[d]);
	ecam_rules();
	status_rules();
	ring_addr_rules();
	late_queue_rules();
	bar_clash_rules(bar0);
	printf("test_pci_sweep: %d status writes, %u failures\n", status_calls, failures);
	CHECK(failures == 0);
	for (unsigned int d = 0; d < NR_DEVS; d++) {
		for (unsigned int i = 0; i < devs[d].vp.nr_vectors; i++)
			close(alt_fd[d][0][i]);
		for (unsigned int i = 0; i < devs[d].vp.nr_queues; i++)
			close(alt_fd[d][1][i]);
		vmm_virtio_pci_exit(&devs[d].vp);
	}
	vmm_bus_destroy(&vm.bus);
	free(err);
	close(quiet);
	close(saved_stderr);
	return check_report("test_pci_sweep");
}
