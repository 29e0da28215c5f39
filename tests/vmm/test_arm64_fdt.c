/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * arm64's boot data, checked on any host: the device tree that arm64_fdt_build() writes (read
 * back with libfdt: memory, one cpu node per MPIDR with PSCI, GICv3 with its redistributors
 * sized for the vCPUs, the timer's PPIs, the UART, /chosen with the command line and the
 * initramfs), a tree that does not fit, and the Image header parser on good, legacy and bad
 * headers.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libfdt.h>

#include "arch.h"
#include "arm64.h"
#include "check.h"
#include "memory.h"
#include "vm.h"

static uint64_t
prop_u64(const void *fdt, int node, const char *name, int idx)
{
	int len;
	const uint8_t *p = fdt_getprop(fdt, node, name, &len);
	fdt64_t v;

	if (p == NULL || len < (int)((idx + 1) * sizeof(v)))
		return ~0ULL;
	/* Properties are only 4-byte aligned in the blob: copy before converting. */
	memcpy(&v, p + idx * sizeof(v), sizeof(v));
	return fdt64_to_cpu(v);
}

static void
test_fdt(void)
{
	static uint8_t buf[ARM64_FDT_MAX];
	const uint64_t mpidr[3] = { 0, 1, 0x100 };
	struct vmm_config cfg = { .cmdline = "console=ttyS0 quiet" };
	struct vmm_vm vm;
	char *msg = NULL;
	const char *s;
	int node, len;
	const fdt32_t *cells;

	memset(&vm, 0, sizeof(vm));
	vm.cfg = &cfg;
	vm.mem.size = 256ULL << 20;
	vm.boot.initramfs_gpa = 0x8f000000;
	vm.boot.initramfs_size = 0x123456;
	CHECK(arm64_fdt_build(&vm, mpidr, 3, buf, sizeof(buf), &msg) == 0);
	CHECK(fdt_check_header(buf) == 0);

	node = fdt_path_offset(buf, "/memory@80000000");
	CHECK(node >= 0 && prop_u64(buf, node, "reg", 0) == ARM64_RAM_BASE &&
	      prop_u64(buf, node, "reg", 1) == 256ULL << 20);
	node = fdt_path_offset(buf, "/cpus/cpu@100");
	CHECK(node >= 0 && prop_u64(buf, node, "reg", 0) == 0x100);
	s = fdt_getprop(buf, node, "enable-method", NULL);
	CHECK(s != NULL && strcmp(s, "psci") == 0);
	CHECK(fdt_path_offset(buf, "/cpus/cpu@1") >= 0 && fdt_path_offset(buf, "/cpus/cpu@2") < 0);
	node = fdt_path_offset(buf, "/psci");
	s = node >= 0 ? fdt_getprop(buf, node, "method", NULL) : NULL;
	CHECK(s != NULL && strcmp(s, "hvc") == 0);

	node = fdt_node_offset_by_compatible(buf, -1, "arm,gic-v3");
	CHECK(node >= 0 && prop_u64(buf, node, "reg", 0) == ARM64_GICD_BASE &&
	      prop_u64(buf, node, "reg", 2) == ARM64_GICR_BASE &&
	      prop_u64(buf, node, "reg", 3) == 3 * ARM64_GICR_STRIDE);
	CHECK(node >= 0 && fdt_get_phandle(buf, node) == fdt32_to_cpu(*(const fdt32_t *)
		fdt_getprop(buf, 0, "interrupt-parent", NULL)));

	node = fdt_node_offset_by_compatible(buf, -1, "arm,armv8-timer");
	cells = node >= 0 ? fdt_getprop(buf, node, "interrupts", &len) : NULL;
	CHECK(cells != NULL && len == 12 * 4 && fdt32_to_cpu(cells[1]) == ARM64_TIMER_PPI_SEC &&
	      fdt32_to_cpu(cells[7]) == ARM64_TIMER_PPI_VIRT);

	node = fdt_node_offset_by_compatible(buf, -1, "ns16550a");
	cells = node >= 0 ? fdt_getprop(buf, node, "interrupts", &len) : NULL;
	CHECK(node >= 0 && prop_u64(buf, node, "reg", 0) == ARM64_UART_BASE);
	CHECK(cells != NULL && len == 12 && fdt32_to_cpu(cells[0]) == 0 &&
	      fdt32_to_cpu(cells[1]) == ARM64_UART_SPI);

	node = fdt_path_offset(buf, "/chosen");
	s = node >= 0 ? fdt_getprop(buf, node, "bootargs", NULL) : NULL;
	CHECK(s != NULL && strcmp(s, cfg.cmdline) == 0);
	s = node >= 0 ? fdt_getprop(buf, node, "stdout-path", NULL) : NULL;
	CHECK(s != NULL && strcmp(s, "/uart@9000000") == 0);
	CHECK(prop_u64(buf, node, "linux,initrd-start", 0) == 0x8f000000 &&
	      prop_u64(buf, node, "linux,initrd-end", 0) == 0x8f000000 + 0x123456);

	/* The PL031 RTC, an AMBA PrimeCell with its bus clock. */
	node = fdt_path_offset(buf, "/pl031@9010000");
	CHECK(node >= 0 && prop_u64(buf, node, "reg", 0) == ARM64_RTC_BASE);
	CHECK(fdt_node_check_compatible(buf, node, "arm,pl031") == 0 &&
	      fdt_node_check_compatible(buf, node, "arm,primecell") == 0);
	cells = fdt_getprop(buf, node, "clocks", &len);
	CHECK(cells != NULL && len == 4 && fdt_node_offset_by_phandle(buf,
		fdt32_to_cpu(cells[0])) == fdt_path_offset(buf, "/apb-pclk"));
	s = fdt_getprop(buf, node, "clock-names", NULL);
	CHECK(s != NULL && strcmp(s, "apb_pclk") == 0);

	/* No PCI device: neither the host bridge nor the ITS. */
	CHECK(fdt_node_offset_by_compatible(buf, -1, "pci-host-ecam-generic") < 0);
	CHECK(fdt_node_offset_by_compatible(buf, -1, "arm,gic-v3-its") < 0);

	/* Too small a buffer: an error naming the device tree, not a write past it. */
	CHECK(arm64_fdt_build(&vm, mpidr, 3, buf, 256, &msg) < 0);
	CHECK(msg != NULL && strstr(msg, "device tree") != NULL);
	free(msg);
}

/* With a PCI device: the ECAM host bridge, its window, and MSIs through the GIC's ITS. */
static void
test_fdt_pci(void)
{
	static uint8_t buf[ARM64_FDT_MAX];
	const uint64_t mpidr[1] = { 0 };
	struct vmm_config cfg = { .cmdline = "quiet", .nr_nets = 1 };
	struct vmm_vm vm;
	char *msg = NULL;
	int pci, its, len;
	const fdt32_t *c;

	memset(&vm, 0, sizeof(vm));
	vm.cfg = &cfg;
	vm.mem.size = 256ULL << 20;
	CHECK(arm64_fdt_build(&vm, mpidr, 1, buf, sizeof(buf), &msg) == 0);
	pci = fdt_path_offset(buf, "/pcie@3f000000");
	its = fdt_path_offset(buf, "/intc@8000000/msi-controller@8080000");
	CHECK(pci >= 0 && its >= 0);
	CHECK(fdt_node_check_compatible(buf, pci, "pci-host-ecam-generic") == 0);
	CHECK(fdt_node_check_compatible(buf, its, "arm,gic-v3-its") == 0);
	CHECK(fdt_getprop(buf, its, "msi-controller", NULL) != NULL);
	CHECK(prop_u64(buf, pci, "reg", 0) == ARM64_PCI_ECAM_BASE &&
	      prop_u64(buf, pci, "reg", 1) == (uint64_t)ARM64_PCI_NR_BUSES << 20);
	CHECK(prop_u64(buf, its, "reg", 0) == ARM64_ITS_BASE);
	c = fdt_getprop(buf, pci, "ranges", &len);
	CHECK(c != NULL && len == 7 * 4 && fdt32_to_cpu(c[0]) == 0x02000000 &&
	      fdt32_to_cpu(c[2]) == ARM64_PCI_MMIO_BASE && fdt32_to_cpu(c[4]) == ARM64_PCI_MMIO_BASE &&
	      fdt32_to_cpu(c[6]) == ARM64_PCI_MMIO_SIZE);
	/* The window ends below the ECAM window and the whole of it is 32-bit. */
	CHECK(ARM64_PCI_MMIO_BASE + ARM64_PCI_MMIO_SIZE <= ARM64_PCI_ECAM_BASE);
	c = fdt_getprop(buf, pci, "msi-map", &len);
	CHECK(c != NULL && len == 4 * 4 && fdt32_to_cpu(c[0]) == 0 &&
	      fdt32_to_cpu(c[1]) == fdt_get_phandle(buf, its) && fdt32_to_cpu(c[2]) == 0 &&
	      fdt32_to_cpu(c[3]) == 0x10000);
	c = fdt_getprop(buf, pci, "bus-range", &len);
	CHECK(c != NULL && len == 8 && fdt32_to_cpu(c[0]) == 0 &&
	      fdt32_to_cpu(c[1]) == ARM64_PCI_NR_BUSES - 1);
	free(msg);
}

static void
put_le64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
test_image(void)
{
	uint8_t hdr[ARM64_IMAGE_HDR_SIZE];
	struct arm64_image img;
	char *msg = NULL;

	memset(hdr, 0, sizeof(hdr));
	put_le64(hdr + 0x08, 0);
	put_le64(hdr + 0x10, 40 << 20);
	memcpy(hdr + 0x38, "ARM\x64", 4);
	CHECK(arm64_image_parse(hdr, sizeof(hdr), 30 << 20, "K", &img, &msg) == 0);
	CHECK(img.text_offset == 0 && img.image_size == 40 << 20);
	/* Pre-3.17: image_size 0 means text_offset 0x80000 and the file's size. */
	put_le64(hdr + 0x10, 0);
	CHECK(arm64_image_parse(hdr, sizeof(hdr), 30 << 20, "K", &img, &msg) == 0);
	CHECK(img.text_offset == 0x80000 && img.image_size == 30 << 20);
	/* A text_offset beyond the 2 MiB alignment, or an image_size below the file. */
	put_le64(hdr + 0x08, ARM64_KERNEL_ALIGN);
	put_le64(hdr + 0x10, 40 << 20);
	CHECK(arm64_image_parse(hdr, sizeof(hdr), 30 << 20, "K", &img, &msg) == -VMM_EINPUT);
	free(msg);
	msg = NULL;
	put_le64(hdr + 0x08, 0);
	put_le64(hdr + 0x10, 1 << 20);
	CHECK(arm64_image_parse(hdr, sizeof(hdr), 30 << 20, "K", &img, &msg) == -VMM_EINPUT);
	free(msg);
	msg = NULL;
	/* No magic (an x86 bzImage, a text file), or too short. */
	memcpy(hdr + 0x38, "HdrS", 4);
	CHECK(arm64_image_parse(hdr, sizeof(hdr), 30 << 20, "K", &img, &msg) == -VMM_EINPUT);
	CHECK(msg != NULL && strstr(msg, "--kernel K: not an arm64 Linux Image") != NULL);
	free(msg);
	msg = NULL;
	CHECK(arm64_image_parse(hdr, 10, 10, "K", &img, &msg) == -VMM_EINPUT);
	free(msg);
}

/*
 * An Image whose image_size, added to the RAM base, wraps past zero: refused as too big for
 * the guest's RAM, naming the kernel, before anything else is placed over it.
 */
static void
test_image_wrap(void)
{
	char path[] = "/tmp/vireo-arm64-wrap-XXXXXX";
	struct vmm_mem_opts mo = { .size = 64ULL << 20, .numa_node = -1 };
	struct vmm_config cfg = { .cmdline = "" };
	size_t size = 4 << 20;
	uint8_t *img = calloc(1, size);
	struct vmm_vm vm;
	char *msg = NULL;
	int fd = mkstemp(path);

	CHECK(img != NULL && fd >= 0);
	if (img == NULL || fd < 0)
		return;
	put_le64(img + 0x10, 0ULL - 0x80000000ULL);
	memcpy(img + 0x38, "ARM\x64", 4);
	CHECK(write(fd, img, size) == (ssize_t)size);
	close(fd);
	memset(&vm, 0, sizeof(vm));
	cfg.kernel = path;
	vm.cfg = &cfg;
	CHECK(vmm_memory_create(&vm.mem, &mo, &msg) == 0);
	/* This binary's memory layout is the host's: put the RAM where arm64 has it. */
	vm.mem.nr_regions = 1;
	vm.mem.regions[0].gpa = ARM64_RAM_BASE;
	vm.mem.regions[0].size = vm.mem.size;
	vm.mem.regions[0].hva = vm.mem.base;
	CHECK(vmm_boot_load(&vm, &msg) == -VMM_EINPUT);
	CHECK(msg != NULL && strstr(msg, "too small for the kernel") != NULL &&
	      strstr(msg, path) != NULL);
	free(msg);
	vmm_memory_destroy(&vm.mem);
	unlink(path);
	free(img);
}

int
main(void)
{
	test_fdt();
	test_fdt_pci();
	test_image();
	test_image_wrap();
	return check_report("test_arm64_fdt");
}
