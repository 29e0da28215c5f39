/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Intel MultiProcessor Specification 1.4 tables: a floating pointer in the BIOS area and
 * a configuration table listing every CPU, one ISA bus, the IOAPIC, the ISA interrupts wired
 * to it and the local interrupts (LINT0 ExtINT, LINT1 NMI).  Kernels built with MPPARSE use
 * it when ACPI is off; ACPI's MADT says the same thing.
 */
#include <errno.h>
#include <string.h>

#include "x86.h"

struct mpf {
	char signature[4];		/* "_MP_" */
	uint32_t physptr;
	uint8_t length;			/* in 16-byte units */
	uint8_t spec_rev;
	uint8_t checksum;
	uint8_t feature[5];
} __attribute__((packed));

struct mpc_header {
	char signature[4];		/* "PCMP" */
	uint16_t length;
	uint8_t spec_rev;
	uint8_t checksum;
	char oem[8];
	char product[12];
	uint32_t oem_ptr;
	uint16_t oem_size;
	uint16_t count;
	uint32_t lapic;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

struct mpc_cpu {
	uint8_t type;			/* 0 */
	uint8_t apic_id;
	uint8_t apic_ver;
	uint8_t flags;			/* 1 enabled, 2 boot processor */
	uint32_t signature;
	uint32_t features;
	uint32_t reserved[2];
} __attribute__((packed));

struct mpc_bus {
	uint8_t type;			/* 1 */
	uint8_t bus_id;
	char bus_type[6];
} __attribute__((packed));

struct mpc_ioapic {
	uint8_t type;			/* 2 */
	uint8_t apic_id;
	uint8_t apic_ver;
	uint8_t flags;
	uint32_t address;
} __attribute__((packed));

struct mpc_intsrc {
	uint8_t type;			/* 3: I/O interrupt, 4: local interrupt */
	uint8_t irq_type;		/* 0 INT, 1 NMI, 3 ExtINT */
	uint16_t flags;
	uint8_t src_bus;
	uint8_t src_irq;
	uint8_t dst_apic;
	uint8_t dst_pin;
} __attribute__((packed));

_Static_assert(sizeof(struct mpf) == 16, "MP floating pointer");
_Static_assert(sizeof(struct mpc_header) == 44, "MP config header");
_Static_assert(sizeof(struct mpc_cpu) == 20, "MP processor entry");

#define MP_IRQ_INT 0
#define MP_IRQ_NMI 1
#define MP_IRQ_EXTINT 3
#define ISA_IRQS 16

static void
put(uint8_t *buf, size_t *off, const void *e, size_t len)
{
	memcpy(buf + *off, e, len);
	*off += len;
}

int
vmm_mptable_build(uint8_t *buf, uint64_t gpa, size_t size, unsigned int ncpus)
{
	size_t need = sizeof(struct mpf) + sizeof(struct mpc_header) +
		ncpus * sizeof(struct mpc_cpu) + sizeof(struct mpc_bus) +
		sizeof(struct mpc_ioapic) + (ISA_IRQS + 2) * sizeof(struct mpc_intsrc);
	struct mpf *mpf = (struct mpf *)buf;
	struct mpc_header *hdr = (struct mpc_header *)(buf + sizeof(*mpf));
	size_t off = sizeof(*mpf) + sizeof(*hdr);
	uint8_t ioapic_id = (uint8_t)ncpus;
	unsigned int i, count = 0;

	if (need > size)
		return -ENOSPC;
	memset(buf, 0, need);
	for (i = 0; i < ncpus; i++) {
		struct mpc_cpu c = {
			.type = 0, .apic_id = (uint8_t)i, .apic_ver = 0x14,
			.flags = (uint8_t)(1 | (i == 0 ? 2 : 0)),
			.signature = 0x600, .features = 0x201,	/* family 6; FPU, APIC */
		};

		put(buf, &off, &c, sizeof(c));
		count++;
	}
	{
		struct mpc_bus b = { .type = 1, .bus_id = 0 };
		struct mpc_ioapic io = {
			.type = 2, .apic_id = ioapic_id, .apic_ver = 0x11, .flags = 1,
			.address = (uint32_t)X86_IOAPIC_ADDR,
		};

		memcpy(b.bus_type, "ISA   ", 6);
		put(buf, &off, &b, sizeof(b));
		put(buf, &off, &io, sizeof(io));
		count += 2;
	}
	for (i = 0; i < ISA_IRQS; i++) {
		struct mpc_intsrc s = {
			.type = 3, .irq_type = MP_IRQ_INT, .flags = 0, .src_bus = 0,
			.src_irq = (uint8_t)i, .dst_apic = ioapic_id, .dst_pin = (uint8_t)i,
		};

		put(buf, &off, &s, sizeof(s));
		count++;
	}
	{
		struct mpc_intsrc lint0 = {
			.type = 4, .irq_type = MP_IRQ_EXTINT, .src_bus = 0, .src_irq = 0,
			.dst_apic = 0xff, .dst_pin = 0,
		};
		struct mpc_intsrc lint1 = {
			.type = 4, .irq_type = MP_IRQ_NMI, .src_bus = 0, .src_irq = 0,
			.dst_apic = 0xff, .dst_pin = 1,
		};

		put(buf, &off, &lint0, sizeof(lint0));
		put(buf, &off, &lint1, sizeof(lint1));
		count += 2;
	}
	memcpy(hdr->signature, "PCMP", 4);
	hdr->length = (uint16_t)(off - sizeof(*mpf));
	hdr->spec_rev = 4;
	memcpy(hdr->oem, "VIREO   ", 8);
	memcpy(hdr->product, "VIREO-VMM   ", 12);
	hdr->count = (uint16_t)count;
	hdr->lapic = (uint32_t)X86_LAPIC_ADDR;
	hdr->checksum = vmm_acpi_checksum(hdr, hdr->length);

	memcpy(mpf->signature, "_MP_", 4);
	mpf->physptr = (uint32_t)(gpa + sizeof(*mpf));
	mpf->length = 1;
	mpf->spec_rev = 4;
	mpf->checksum = vmm_acpi_checksum(mpf, sizeof(*mpf));
	return (int)off;
}
