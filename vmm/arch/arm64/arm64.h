/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VMM_ARM64_H
#define VIREO_VMM_ARM64_H

/*
 * The arm64 machine of vireo-vmm (a subset of QEMU's and kvmtool's "virt" layout):
 *
 *   0x08000000  GICv3 distributor (64 KiB)
 *   0x08080000  GICv3 ITS (128 KiB): MSIs from PCI, translated per device ID
 *   0x080a0000  GICv3 redistributors, 128 KiB per vCPU (up to ARM64_MAX_CPUS)
 *   0x09000000  16550A UART (8 bytes), SPI ARM64_UART_SPI
 *   0x09010000  PL031 RTC (4 KiB), SPI ARM64_RTC_SPI
 *   0x10000000  PCI memory window (32-bit BARs), up to the ECAM window
 *   0x3f000000  PCI ECAM, 1 MiB a bus (bus 0 only)
 *   0x80000000  RAM: the kernel Image at a 2 MiB-aligned base + text_offset, the initramfs
 *               and the device tree at the top
 *
 * vCPUs: KVM_ARM_PREFERRED_TARGET with PSCI 0.2 (hvc); secondaries start powered off and
 * the guest starts them with PSCI CPU_ON, all in KVM.  SYSTEM_OFF and SYSTEM_RESET come back
 * as KVM_EXIT_SYSTEM_EVENT.
 */

#include <stddef.h>
#include <stdint.h>

struct vmm_vm;

#define ARM64_GICD_BASE 0x08000000ULL
#define ARM64_GICD_SIZE 0x10000ULL
#define ARM64_ITS_BASE 0x08080000ULL
#define ARM64_ITS_SIZE 0x20000ULL
#define ARM64_GICR_BASE 0x080a0000ULL
#define ARM64_GICR_STRIDE 0x20000ULL
/* The redistributors end below the UART at 0x09000000. */
#define ARM64_MAX_CPUS 64
#define ARM64_UART_BASE 0x09000000ULL
#define ARM64_UART_SPI 1
#define ARM64_UART_CLOCK 1843200
#define ARM64_RTC_BASE 0x09010000ULL
#define ARM64_RTC_SIZE 0x1000ULL
#define ARM64_RTC_SPI 2
#define ARM64_PCI_MMIO_BASE 0x10000000ULL
#define ARM64_PCI_MMIO_SIZE 0x2f000000ULL
#define ARM64_PCI_ECAM_BASE 0x3f000000ULL
#define ARM64_PCI_NR_BUSES 1
#define ARM64_RAM_BASE 0x80000000ULL
/* The kernel's 2 MiB-aligned base, and room for the device tree (at most 2 MiB, boot
 * protocol) at the top of RAM. */
#define ARM64_KERNEL_ALIGN 0x200000ULL
#define ARM64_FDT_MAX 0x200000ULL
/* arm64 Linux keeps at most this much of /chosen/bootargs (COMMAND_LINE_SIZE, with the NUL). */
#define ARM64_CMDLINE_MAX 2048
/* Linux's arm64 Image header: "ARM\x64" at 0x38. */
#define ARM64_IMAGE_MAGIC 0x644d5241U
#define ARM64_IMAGE_HDR_SIZE 64
/* Interrupt numbers: PPIs 16-31, SPIs from 32; the arch timer's PPIs. */
#define ARM64_SPI_BASE 32
#define ARM64_TIMER_PPI_SEC 13
#define ARM64_TIMER_PPI_NONSEC 14
#define ARM64_TIMER_PPI_VIRT 11
#define ARM64_TIMER_PPI_HYP 10
#define ARM64_NR_IRQS 128

/** What the Image header says (fields little-endian in the file). */
struct arm64_image {
	uint64_t text_offset;
	uint64_t image_size;	/**< bytes from the load address the kernel may use */
	uint64_t file_size;	/**< decompressed bytes */
};

/**
 * Check an Image header ('hdr', 'len' bytes) and fill 'img'.  Returns 0, or -VMM_EINPUT with
 * a message naming 'path' in '*err'.
 */
int arm64_image_parse(const uint8_t *hdr, size_t len, uint64_t file_size, const char *path,
		struct arm64_image *img, char **err);

/**
 * Write the device tree for 'vm' (its CPUs' MPIDRs in 'mpidr', 'n' of them) into 'buf' of
 * 'size' bytes with libfdt.  Returns 0 or a negative libfdt/errno value with '*err' set.
 */
int arm64_fdt_build(struct vmm_vm *vm, const uint64_t *mpidr, unsigned int n, void *buf,
		size_t size, char **err);

/**
 * Register an ECAM window for 'nr_buses' buses at 'base' on 'vm''s bus, passing each
 * well-formed access to vmm_pci_cfg_access().  Returns 0 or -errno with a message in '*err'.
 */
int arm64_pci_ecam_register(struct vmm_vm *vm, uint64_t base, unsigned int nr_buses,
		char **err);

#endif /* VIREO_VMM_ARM64_H */
