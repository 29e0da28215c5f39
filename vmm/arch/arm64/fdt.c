/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device tree handed to an arm64 kernel, written with libfdt's sequential-write API:
 * memory, CPUs (enable-method psci, reg = MPIDR affinity), PSCI 0.2 over hvc, the GICv3,
 * the arch timer's four PPIs, the 16550A console, the PL031 RTC, the PCI host bridge and the GIC's ITS when
 * the VM has PCI devices, and /chosen (command line, initramfs,
 * stdout-path).  Interrupt specifiers are GIC's three cells: type (0 SPI, 1 PPI), number,
 * flags (1 edge rising, 4 level high, 8 level low).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <libfdt.h>

#include "arm64.h"
#include "util.h"
#include "vm.h"

#define GIC_PHANDLE 1
#define ITS_PHANDLE 2
#define APB_CLK_PHANDLE 3
#define IRQ_SPI 0
#define IRQ_PPI 1
#define IRQ_EDGE_RISING 1
#define IRQ_LEVEL_HIGH 4
#define IRQ_LEVEL_LOW 8

/* Every fdt_* call below returns 0 or a negative FDT_ERR_*: the first error is kept. */
struct fdt_w {
	void *buf;
	int err;
};

static void
w_begin(struct fdt_w *w, const char *name)
{
	if (w->err == 0)
		w->err = fdt_begin_node(w->buf, name);
}

static void
w_end(struct fdt_w *w)
{
	if (w->err == 0)
		w->err = fdt_end_node(w->buf);
}

static void
w_str(struct fdt_w *w, const char *name, const char *val)
{
	if (w->err == 0)
		w->err = fdt_property_string(w->buf, name, val);
}

static void
w_u32(struct fdt_w *w, const char *name, uint32_t val)
{
	if (w->err == 0)
		w->err = fdt_property_u32(w->buf, name, val);
}

static void
w_u64(struct fdt_w *w, const char *name, uint64_t val)
{
	if (w->err == 0)
		w->err = fdt_property_u64(w->buf, name, val);
}

static void
w_empty(struct fdt_w *w, const char *name)
{
	if (w->err == 0)
		w->err = fdt_property(w->buf, name, NULL, 0);
}

/* A property of 'n' 32-bit cells. */
static void
w_cells(struct fdt_w *w, const char *name, const uint32_t *cells, unsigned int n)
{
	fdt32_t be[16];
	unsigned int i;

	for (i = 0; i < n && i < 16; i++)
		be[i] = cpu_to_fdt32(cells[i]);
	if (w->err == 0)
		w->err = fdt_property(w->buf, name, be, (int)(n * sizeof(be[0])));
}

/* reg = <addr size> with two cells each. */
static void
w_reg(struct fdt_w *w, uint64_t addr, uint64_t size)
{
	const uint32_t c[4] = {
		(uint32_t)(addr >> 32), (uint32_t)addr, (uint32_t)(size >> 32), (uint32_t)size,
	};

	w_cells(w, "reg", c, 4);
}

static void
cpus_node(struct fdt_w *w, const uint64_t *mpidr, unsigned int n)
{
	char name[32];
	unsigned int i;

	w_begin(w, "cpus");
	w_u32(w, "#address-cells", 2);
	w_u32(w, "#size-cells", 0);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "cpu@%" PRIx64, mpidr[i]);
		w_begin(w, name);
		w_str(w, "device_type", "cpu");
		w_str(w, "compatible", "arm,arm-v8");
		w_str(w, "enable-method", "psci");
		w_u64(w, "reg", mpidr[i]);
		w_end(w);
	}
	w_end(w);
}

/* The ITS, a child of the GIC node, whose MSI domain the PCI host bridge's msi-map names. */
static void
its_node(struct fdt_w *w)
{
	char name[40];

	snprintf(name, sizeof(name), "msi-controller@%llx", (unsigned long long)ARM64_ITS_BASE);
	w_begin(w, name);
	w_str(w, "compatible", "arm,gic-v3-its");
	w_empty(w, "msi-controller");
	w_u32(w, "#msi-cells", 1);
	w_reg(w, ARM64_ITS_BASE, ARM64_ITS_SIZE);
	w_u32(w, "phandle", ITS_PHANDLE);
	w_end(w);
}

static void
gic_node(struct fdt_w *w, unsigned int ncpus, bool its)
{
	char name[40];
	const uint32_t reg[8] = {
		0, (uint32_t)ARM64_GICD_BASE, 0, (uint32_t)ARM64_GICD_SIZE,
		0, (uint32_t)ARM64_GICR_BASE, 0, (uint32_t)(ARM64_GICR_STRIDE * ncpus),
	};

	snprintf(name, sizeof(name), "intc@%llx", (unsigned long long)ARM64_GICD_BASE);
	w_begin(w, name);
	w_str(w, "compatible", "arm,gic-v3");
	w_u32(w, "#interrupt-cells", 3);
	w_empty(w, "interrupt-controller");
	w_cells(w, "reg", reg, 8);
	w_u32(w, "phandle", GIC_PHANDLE);
	if (its) {
		w_u32(w, "#address-cells", 2);
		w_u32(w, "#size-cells", 2);
		w_empty(w, "ranges");
		its_node(w);
	}
	w_end(w);
}

/*
 * The PCI host bridge: ECAM for bus 0, one 32-bit non-prefetchable memory window mapped 1:1,
 * and MSIs through the ITS with the requester ID as device ID (msi-map: RIDs 0-0xffff to
 * device IDs from 0).  No INTx: devices use MSI-X only, so there is no interrupt-map.
 */
static void
pci_node(struct fdt_w *w)
{
	char name[40];
	const uint32_t bus_range[2] = { 0, ARM64_PCI_NR_BUSES - 1 };
	/* phys.hi (0x02000000: 32-bit memory space), phys.mid, phys.lo; CPU address; size. */
	const uint32_t ranges[7] = {
		0x02000000, 0, (uint32_t)ARM64_PCI_MMIO_BASE,
		0, (uint32_t)ARM64_PCI_MMIO_BASE,
		0, (uint32_t)ARM64_PCI_MMIO_SIZE,
	};
	const uint32_t msi_map[4] = { 0, ITS_PHANDLE, 0, 0x10000 };

	snprintf(name, sizeof(name), "pcie@%llx", (unsigned long long)ARM64_PCI_ECAM_BASE);
	w_begin(w, name);
	w_str(w, "compatible", "pci-host-ecam-generic");
	w_str(w, "device_type", "pci");
	w_u32(w, "#address-cells", 3);
	w_u32(w, "#size-cells", 2);
	w_u32(w, "#interrupt-cells", 1);
	w_reg(w, ARM64_PCI_ECAM_BASE, (uint64_t)ARM64_PCI_NR_BUSES << 20);
	w_cells(w, "bus-range", bus_range, 2);
	w_cells(w, "ranges", ranges, 7);
	w_cells(w, "msi-map", msi_map, 4);
	w_u32(w, "linux,pci-domain", 0);
	w_empty(w, "dma-coherent");
	w_end(w);
}

static void
timer_node(struct fdt_w *w)
{
	const uint32_t irqs[12] = {
		IRQ_PPI, ARM64_TIMER_PPI_SEC, IRQ_LEVEL_LOW,
		IRQ_PPI, ARM64_TIMER_PPI_NONSEC, IRQ_LEVEL_LOW,
		IRQ_PPI, ARM64_TIMER_PPI_VIRT, IRQ_LEVEL_LOW,
		IRQ_PPI, ARM64_TIMER_PPI_HYP, IRQ_LEVEL_LOW,
	};

	w_begin(w, "timer");
	w_str(w, "compatible", "arm,armv8-timer");
	w_cells(w, "interrupts", irqs, 12);
	w_empty(w, "always-on");
	w_end(w);
}

static void
uart_node(struct fdt_w *w, char *path, size_t len)
{
	const uint32_t irq[3] = { IRQ_SPI, ARM64_UART_SPI, IRQ_LEVEL_HIGH };

	snprintf(path, len, "/uart@%llx", (unsigned long long)ARM64_UART_BASE);
	w_begin(w, path + 1);
	w_str(w, "compatible", "ns16550a");
	w_reg(w, ARM64_UART_BASE, 8);
	w_cells(w, "interrupts", irq, 3);
	w_u32(w, "clock-frequency", ARM64_UART_CLOCK);
	w_end(w);
}

/*
 * The PL031 RTC, an AMBA PrimeCell: Linux's AMBA bus wants its bus clock ("apb_pclk"),
 * here a fixed 24 MHz clock node.
 */
static void
rtc_node(struct fdt_w *w)
{
	static const char compat[] = "arm,pl031\0arm,primecell";
	const uint32_t irq[3] = { IRQ_SPI, ARM64_RTC_SPI, IRQ_LEVEL_HIGH };
	char name[40];

	w_begin(w, "apb-pclk");
	w_str(w, "compatible", "fixed-clock");
	w_u32(w, "#clock-cells", 0);
	w_u32(w, "clock-frequency", 24000000);
	w_str(w, "clock-output-names", "clk24mhz");
	w_u32(w, "phandle", APB_CLK_PHANDLE);
	w_end(w);

	snprintf(name, sizeof(name), "pl031@%llx", (unsigned long long)ARM64_RTC_BASE);
	w_begin(w, name);
	if (w->err == 0)
		w->err = fdt_property(w->buf, "compatible", compat, sizeof(compat));
	w_reg(w, ARM64_RTC_BASE, ARM64_RTC_SIZE);
	w_cells(w, "interrupts", irq, 3);
	w_u32(w, "clocks", APB_CLK_PHANDLE);
	w_str(w, "clock-names", "apb_pclk");
	w_end(w);
}

static void
chosen_node(struct fdt_w *w, const struct vmm_vm *vm, const char *stdout_path)
{
	const char *cmdline = vm->cfg->cmdline_buf != NULL ? vm->cfg->cmdline_buf :
		vm->cfg->cmdline;

	w_begin(w, "chosen");
	w_str(w, "bootargs", cmdline != NULL ? cmdline : "");
	w_str(w, "stdout-path", stdout_path);
	if (vm->boot.initramfs_size > 0) {
		w_u64(w, "linux,initrd-start", vm->boot.initramfs_gpa);
		w_u64(w, "linux,initrd-end", vm->boot.initramfs_gpa + vm->boot.initramfs_size);
	}
	w_end(w);
}

int
arm64_fdt_build(struct vmm_vm *vm, const uint64_t *mpidr, unsigned int n, void *buf,
		size_t size, char **err)
{
	struct fdt_w w = { .buf = buf, .err = 0 };
	bool pci = vm->cfg->nr_nets > 0;
	char uart_path[40];
	char memname[32];

	w.err = fdt_create(buf, (int)size);
	if (w.err == 0)
		w.err = fdt_finish_reservemap(buf);
	w_begin(&w, "");
	w_str(&w, "compatible", "linux,dummy-virt");
	w_u32(&w, "#address-cells", 2);
	w_u32(&w, "#size-cells", 2);
	w_u32(&w, "interrupt-parent", GIC_PHANDLE);

	snprintf(memname, sizeof(memname), "memory@%llx", (unsigned long long)ARM64_RAM_BASE);
	w_begin(&w, memname);
	w_str(&w, "device_type", "memory");
	w_reg(&w, ARM64_RAM_BASE, vm->mem.size);
	w_end(&w);

	cpus_node(&w, mpidr, n);

	w_begin(&w, "psci");
	w_str(&w, "compatible", "arm,psci-0.2");
	w_str(&w, "method", "hvc");
	w_end(&w);

	gic_node(&w, n, pci);
	timer_node(&w);
	uart_node(&w, uart_path, sizeof(uart_path));
	rtc_node(&w);
	if (pci)
		pci_node(&w);
	chosen_node(&w, vm, uart_path);
	w_end(&w);
	if (w.err == 0)
		w.err = fdt_finish(buf);
	if (w.err != 0)
		return vmm_err(err, -EINVAL, "device tree: %s", fdt_strerror(w.err));
	return 0;
}
