/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MSI-X masking of a virtio-pci device, on the host's /dev/kvm (no guest code runs): a
 * vector's eventfd (the backend's "call" fd) reaches vCPU 0's local APIC only while the
 * vector is deliverable.  While it is masked (entry mask bit, function mask) the signal
 * stays pending, shows in the PBA, and arrives when the guest unmasks, as the PCI spec
 * says.  The guest's accesses go through the device bus exactly as a vCPU's exits would:
 * configuration space through ports 0xCF8/0xCFC (the MSI-X capability found on the
 * capability list, as a guest finds it), the MSI-X table and PBA through BAR 0.
 *
 * Exit 77 (skipped) without a usable /dev/kvm.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include <linux/pci_regs.h>

#include "check.h"
#include "fake_bzimage.h"
#include "pci.h"
#include "virtio_pci.h"
#include "vm.h"

#define VECTOR 0x45		/* the guest's IDT vector for MSI-X entry 0 */

static struct vmm_vm vm;
static struct vmm_virtio_pci vp;
static int vcpu_fd;
static unsigned int cap_msix;			/* configuration space offsets, as found */
static uint64_t table_off, pba_off;		/* BAR 0 offsets */

static void
status_cb(struct vmm_virtio_pci *p, uint8_t old, uint8_t status)
{
	(void)p;
	(void)old;
	(void)status;
}

static const struct vmm_virtio_ops ops = { .set_status = status_cb };

/* One configuration access of 'len' bytes at 'reg' through ports 0xCF8/0xCFC. */
static uint32_t
cfg_access(unsigned int reg, unsigned int len, uint32_t v, bool is_write)
{
	uint8_t a[4], d[4];

	vmm_pci_set32(a, 0x80000000u | vp.pci.slot << 11 | (reg & 0xfc));
	vmm_bus_access(&vm.bus, VMM_BUS_PIO, 0xcf8, a, 4, true);
	vmm_pci_set32(d, v);
	vmm_bus_access(&vm.bus, VMM_BUS_PIO, 0xcfc + (reg & 3), d, len, is_write);
	return len == 1 ? d[0] : len == 2 ? vmm_pci_get16(d) : vmm_pci_get32(d);
}

static void
cfg_write16(unsigned int reg, uint16_t v)
{
	cfg_access(reg, 2, v, true);
}

/* Walk the capability list to the MSI-X capability; note where its table and PBA are. */
static bool
find_msix(void)
{
	unsigned int at = cfg_access(PCI_CAPABILITY_LIST, 1, 0, false);

	for (int hops = 0; at != 0 && hops < 48; hops++) {
		if (cfg_access(at, 1, 0, false) == PCI_CAP_ID_MSIX) {
			cap_msix = at;
			table_off = cfg_access(at + PCI_MSIX_TABLE, 4, 0, false);
			pba_off = cfg_access(at + PCI_MSIX_PBA, 4, 0, false);
			/* both in BAR 0 (BIR bits 0-2 clear) */
			return (table_off & PCI_MSIX_TABLE_BIR) == 0 && (pba_off & PCI_MSIX_PBA_BIR) == 0;
		}
		at = cfg_access(at + PCI_CAP_LIST_NEXT, 1, 0, false);
	}
	return false;
}

static void
bar_write32(uint64_t off, uint32_t v)
{
	uint8_t d[4];

	vmm_pci_set32(d, v);
	vmm_bus_access(&vm.bus, VMM_BUS_MMIO, vp.pci.bar_addr[0] + off, d, 4, true);
}

static uint32_t
bar_read32(uint64_t off)
{
	uint8_t d[4];

	vmm_bus_access(&vm.bus, VMM_BUS_MMIO, vp.pci.bar_addr[0] + off, d, 4, false);
	return vmm_pci_get32(d);
}

/* Is VECTOR requested in vCPU 0's IRR?  'clear' takes it back out. */
static bool
irr_has(bool clear)
{
	struct kvm_lapic_state s;
	unsigned int at = 0x200 + (VECTOR / 32) * 0x10;
	uint32_t bit = 1u << (VECTOR % 32), w;
	bool set;

	if (ioctl(vcpu_fd, KVM_GET_LAPIC, &s) < 0)
		return false;
	memcpy(&w, s.regs + at, 4);
	set = (w & bit) != 0;
	if (clear && set) {
		w &= ~bit;
		memcpy(s.regs + at, &w, 4);
		ioctl(vcpu_fd, KVM_SET_LAPIC, &s);
	}
	return set;
}

/* Wait up to 'ms' for the interrupt (irqfd injection runs on a kernel worker). */
static bool
delivered_within(int ms)
{
	for (int i = 0; i < ms; i++) {
		if (irr_has(true))
			return true;
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	return false;
}

/* A minimal bzImage for vmm_vm_create() to accept. */
static void
write_bzimage(const char *path)
{
	static uint8_t b[5 * 512 + 0x1000];
	FILE *f = fopen(path, "wb");

	fake_bzimage_header(b);
	CHECK(f != NULL && fwrite(b, sizeof(b), 1, f) == 1);
	if (f != NULL)
		fclose(f);
}

static void
signal_vector(void)
{
	eventfd_write(vp.vectors[0].fd, 1);
}

int
main(void)
{
	struct vmm_config cfg;
	struct kvm_lapic_state apic;
	char kernel[] = "/tmp/test_msix.XXXXXX";
	char *argv[] = { "vireo-vmm", "--kernel", kernel, "--memory", "32M", NULL };
	char *err = NULL;
	uint32_t svr;
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		printf("test_msix: no /dev/kvm: skipped\n");
		return 77;
	}
	close(fd);
	fd = mkstemp(kernel);
	CHECK(fd >= 0);
	close(fd);
	write_bzimage(kernel);
	memset(&cfg, 0, sizeof(cfg));
	CHECK(vmm_config_parse(&cfg, 5, argv, &err) == 0);
	if (vmm_vm_create(&vm, &cfg, &err) < 0) {
		printf("test_msix: cannot create a VM: %s\n", err ? err : "?");
		unlink(kernel);
		return 1;
	}
	vcpu_fd = ioctl(vm.vm_fd, KVM_CREATE_VCPU, 0);
	CHECK(vcpu_fd >= 0);
	/* Software-enable the local APIC (SVR bit 8), as the guest kernel would. */
	CHECK(ioctl(vcpu_fd, KVM_GET_LAPIC, &apic) == 0);
	memcpy(&svr, apic.regs + 0xf0, 4);
	svr |= 0x1ff;
	memcpy(apic.regs + 0xf0, &svr, 4);
	CHECK(ioctl(vcpu_fd, KVM_SET_LAPIC, &apic) == 0);

	vp.ops = &ops;
	vp.pci.name = "virtio-test";
	CHECK(vmm_virtio_pci_init(&vp, &vm, 1, 2, 1ULL << 32, 8, &err) == 0);
	/* Guest set-up: memory decoding on, entry 0 to APIC 0 vector VECTOR, MSI-X on. */
	cfg_write16(PCI_CFG_COMMAND, PCI_CMD_MEMORY | PCI_CMD_MASTER);
	CHECK(vp.pci.bar_addr[0] != 0);
	CHECK(find_msix());
	bar_write32(table_off + 0, 0xfee00000u);
	bar_write32(table_off + 4, 0);
	bar_write32(table_off + 8, VECTOR);
	bar_write32(table_off + 12, 1);		/* still masked */
	cfg_write16(cap_msix + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE);
	signal_vector();
	CHECK(!delivered_within(100));			/* masked since reset */
	CHECK(bar_read32(pba_off) & 1);		/* ... and pending */
	bar_write32(table_off + 12, 0);		/* unmask: the pending one arrives */
	CHECK(delivered_within(2000));
	CHECK(!(bar_read32(pba_off) & 1));

	signal_vector();				/* unmasked: delivered */
	CHECK(delivered_within(2000));

	bar_write32(table_off + 12, 1);		/* entry mask */
	signal_vector();
	CHECK(!delivered_within(200));
	CHECK(bar_read32(pba_off) & 1);
	/* The guest moves the vector while it is masked (as Linux does on an affinity change). */
	bar_write32(table_off + 8, VECTOR);
	bar_write32(table_off + 12, 0);
	CHECK(delivered_within(2000));

	cfg_write16(cap_msix + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);	/* function mask */
	signal_vector();
	CHECK(!delivered_within(200));
	CHECK(bar_read32(pba_off) & 1);
	cfg_write16(cap_msix + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE);
	CHECK(delivered_within(2000));

	cfg_write16(cap_msix + PCI_MSIX_FLAGS, 0);			/* MSI-X off: nothing delivered */
	signal_vector();
	CHECK(!delivered_within(200));

	vmm_virtio_pci_exit(&vp);
	close(vcpu_fd);
	vmm_vm_destroy(&vm);
	vmm_config_free(&cfg);
	unlink(kernel);
	free(err);
	return check_report("test_msix");
}
