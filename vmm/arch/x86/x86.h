/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VMM_X86_H
#define VIREO_VMM_X86_H

/*
 * The x86-64 machine: guest-physical layout, the Linux boot protocol, firmware tables (ACPI,
 * MP) and CPUID.  The table builders write into a caller's buffer that stands for guest
 * memory at a given guest-physical address, so tests can check them without a VM.
 *
 * Guest-physical layout (low memory):
 *   0x00500  GDT                       0x07000  boot_params (zero page)
 *   0x09000  PML4, 0x0a000 PDPT, 0x0b000-0x0efff four PDs (identity map of 4 GiB, 2 MiB pages)
 *   0x20000  kernel command line       0x9fc00-0xfffff  reserved (EBDA, VGA, BIOS)
 *   0xe0000  ACPI tables (RSDP first)  0xf0000  MP floating pointer and MP table
 *   0x1000000 the protected-mode kernel; the initramfs at the top of low RAM.
 * Legacy ports: ACPI PM1a event block 0x600, PM1a control 0x604, PM timer 0x608, SCI IRQ 9.
 *
 * Thread-safety: these are set-up functions for the main thread, before vCPUs run.
 */

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#define X86_GDT_ADDR 0x500ULL
#define X86_BOOT_PARAMS_ADDR 0x7000ULL
#define X86_PML4_ADDR 0x9000ULL
#define X86_PDPT_ADDR 0xa000ULL
#define X86_PD_ADDR 0xb000ULL
#define X86_CMDLINE_ADDR 0x20000ULL
#define X86_CMDLINE_MAX 0x10000ULL
#define X86_EBDA_START 0x9fc00ULL
#define X86_HIGH_MEM 0x100000ULL
#define X86_ACPI_ADDR 0xe0000ULL
#define X86_ACPI_SIZE 0x10000ULL
#define X86_MPTABLE_ADDR 0xf0000ULL
#define X86_MPTABLE_SIZE 0x10000ULL
#define X86_KERNEL_ADDR 0x1000000ULL

#define X86_BOOT_CS 0x10
#define X86_BOOT_DS 0x18

#define X86_IOAPIC_ADDR 0xfec00000ULL
#define X86_LAPIC_ADDR 0xfee00000ULL
#define X86_IOAPIC_PINS 24

#define X86_PM_BASE 0x600
#define X86_PM1_EVT_LEN 4
#define X86_PM1_CNT (X86_PM_BASE + 4)
#define X86_PM1_CNT_LEN 2
#define X86_PM_TMR (X86_PM_BASE + 8)
#define X86_PM_TMR_LEN 4
#define X86_PM_LEN 12
#define X86_SCI_IRQ 9
#define X86_SLP_TYP_S5 5

/** xAPIC IDs are 8 bits and 0xff is broadcast; the MP table holds one entry per CPU. */
#define X86_MAX_CPUS 254

/** What the bzImage header says. */
struct vmm_bzimage {
	uint16_t version;		/**< boot protocol version */
	uint32_t setup_size;		/**< real-mode part, bytes: file offset of the kernel */
	size_t kernel_size;		/**< protected-mode part, bytes */
	uint64_t init_size;		/**< memory the kernel needs from its load address */
	uint32_t initrd_max;		/**< highest address for the initramfs */
	uint32_t cmdline_max;		/**< longest command line, without the NUL */
	uint32_t kernel_align;
	uint16_t xloadflags;
	uint32_t payload_offset;	/**< compressed kernel, from the protected-mode part (2.08) */
	uint32_t payload_length;	/**< 0: not given */
	const uint8_t *setup_header;	/**< bytes 0x1f1.. of the file */
	size_t setup_header_len;
};

/** The largest real-mode setup (255 sectors + the boot sector): read this much to parse. */
#define X86_SETUP_MAX (256 * 512)

/**
 * Check and parse the header of a bzImage of 'file_size' bytes whose first 'len' bytes are
 * in 'buf' (at least min(file_size, X86_SETUP_MAX)).  Returns 0, or -VMM_EINPUT with a
 * message in '*err' that names 'path'.
 */
int vmm_bzimage_parse(const uint8_t *buf, size_t len, size_t file_size, const char *path,
		struct vmm_bzimage *bz, char **err);

/** Guest RAM as the e820 map sees it. */
struct vmm_e820 {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/**
 * Fill 'e' (room for 'max') with the map for RAM regions 'low' bytes at 0 and 'high' bytes
 * at 4 GiB.  Returns the number of entries.
 */
unsigned int vmm_e820_build(uint64_t low, uint64_t high, struct vmm_e820 *e, unsigned int max);

/**
 * Write the ACPI tables for 'ncpus' CPUs into 'buf', which is guest memory at 'gpa' with
 * 'size' bytes of room.  The RSDP is at 'gpa'.  Returns the bytes used or -ENOSPC.
 */
int vmm_acpi_build(uint8_t *buf, uint64_t gpa, size_t size, unsigned int ncpus);

/**
 * Write the MP floating pointer and the MP configuration table for 'ncpus' CPUs into
 * 'buf' (guest memory at 'gpa', 'size' bytes).  Returns the bytes used or -ENOSPC.
 */
int vmm_mptable_build(uint8_t *buf, uint64_t gpa, size_t size, unsigned int ncpus);

/**
 * Adapt CPUID entries from KVM_GET_SUPPORTED_CPUID for vCPU 'apic_id' of 'ncpus' (one
 * socket, one thread per core): APIC IDs and CPU counts in leaves 1, 4, 0xb, 0x1f,
 * 0x80000008 and 0x8000001e, the hypervisor bit.
 */
void vmm_cpuid_patch(struct kvm_cpuid_entry2 *e, unsigned int n, unsigned int apic_id,
		unsigned int ncpus);

/** Write the 4 GiB identity map and the GDT into low guest memory 'mem'. */
void vmm_x86_page_tables(uint8_t *mem);

struct vmm_vm;

/**
 * Register configuration mechanism #1 (ports 0xCF8-0xCFF) on 'vm''s bus, passing each
 * access to vmm_pci_cfg_access().  Returns 0 or -errno with a message in '*err'.
 */
int x86_pci_conf1_register(struct vmm_vm *vm, char **err);

/** The ACPI checksum: the byte that makes 'len' bytes sum to zero. */
uint8_t vmm_acpi_checksum(const void *buf, size_t len);

#endif /* VIREO_VMM_X86_H */
