/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ACPI tables for an x86 guest without firmware: RSDP (revision 2) → XSDT → FADT (with FACS
 * and a DSDT holding only \_S5) and MADT (one local APIC per vCPU, the IOAPIC, the SCI
 * override).  Full (not hardware-reduced) ACPI: the PM1a blocks and PM timer of pm.c, reset
 * through the i8042 (port 0x64, value 0xfe).  Layouts from the ACPI 6.x specification.
 */
#include <errno.h>
#include <string.h>

#include "x86.h"

#define OEM_ID "VIREO "
#define OEM_TABLE "VIREOVMM"
#define CREATOR "VIRO"

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_rsdp {
	char signature[8];
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t ext_checksum;
	uint8_t reserved[3];
} __attribute__((packed));

/* Generic Address Structure. */
struct acpi_gas {
	uint8_t space_id;		/* 1: system I/O */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;		/* 1 byte, 2 word, 3 dword */
	uint64_t address;
} __attribute__((packed));

struct acpi_fadt {
	struct acpi_header h;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	uint64_t hypervisor_id;
} __attribute__((packed));

struct acpi_facs {
	char signature[4];
	uint32_t length;
	uint32_t hw_signature;
	uint32_t waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_waking_vector;
	uint8_t version;
	uint8_t reserved[3];
	uint32_t ospm_flags;
	uint8_t reserved2[24];
} __attribute__((packed));

struct acpi_madt {
	struct acpi_header h;
	uint32_t lapic_addr;
	uint32_t flags;
} __attribute__((packed));

struct madt_lapic {
	uint8_t type;			/* 0 */
	uint8_t length;			/* 8 */
	uint8_t processor_id;
	uint8_t apic_id;
	uint32_t flags;			/* 1: enabled */
} __attribute__((packed));

struct madt_ioapic {
	uint8_t type;			/* 1 */
	uint8_t length;			/* 12 */
	uint8_t ioapic_id;
	uint8_t reserved;
	uint32_t address;
	uint32_t gsi_base;
} __attribute__((packed));

struct madt_override {
	uint8_t type;			/* 2 */
	uint8_t length;			/* 10 */
	uint8_t bus;
	uint8_t source;
	uint32_t gsi;
	uint16_t flags;
} __attribute__((packed));

struct madt_lapic_nmi {
	uint8_t type;			/* 4 */
	uint8_t length;			/* 6 */
	uint8_t processor_id;		/* 0xff: all */
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_header) == 36, "ACPI header");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT");
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS");

#define FADT_WBINVD (1U << 0)
#define FADT_PWR_BUTTON (1U << 4)
#define FADT_SLP_BUTTON (1U << 5)
#define FADT_RESET_REG_SUP (1U << 10)
#define FADT_BOOT_VGA_NOT_PRESENT (1U << 2)
#define MADT_PCAT_COMPAT 1U
#define MPS_INTI_LEVEL_HIGH 0x000d	/* trigger level (3 << 2), polarity high (1) */

/*
 * The DSDT's AML: Name (_S5, Package (4) { 5, 5, 0, 0 }), so that the OS finds the SLP_TYP
 * value (X86_SLP_TYP_S5) for power-off.
 */
static const uint8_t dsdt_aml[] = {
	0x08, '_', 'S', '5', '_',		/* NameOp "_S5_" */
	0x12, 0x08, 0x04,			/* PackageOp, PkgLength 8, 4 elements */
	0x0a, X86_SLP_TYP_S5, 0x0a, X86_SLP_TYP_S5,	/* BytePrefix 5, BytePrefix 5 */
	0x00, 0x00,				/* Zero, Zero */
};

uint8_t
vmm_acpi_checksum(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint8_t sum = 0;

	while (len-- > 0)
		sum += *p++;
	return (uint8_t)(0 - sum);
}

static void
header_init(struct acpi_header *h, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, OEM_ID, 6);
	memcpy(h->oem_table_id, OEM_TABLE, 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, CREATOR, 4);
	h->creator_revision = 1;
	h->checksum = 0;
	h->checksum = vmm_acpi_checksum(h, len);
}

static struct acpi_gas
gas_io(uint64_t port, uint8_t bits, uint8_t access)
{
	return (struct acpi_gas){
		.space_id = 1, .bit_width = bits, .bit_offset = 0, .access_size = access,
		.address = port,
	};
}

static void
fadt_init(struct acpi_fadt *f, uint64_t facs, uint64_t dsdt)
{
	memset(f, 0, sizeof(*f));
	f->firmware_ctrl = (uint32_t)facs;
	f->dsdt = (uint32_t)dsdt;
	f->sci_int = X86_SCI_IRQ;
	f->pm1a_evt_blk = X86_PM_BASE;
	f->pm1a_cnt_blk = X86_PM1_CNT;
	f->pm_tmr_blk = X86_PM_TMR;
	f->pm1_evt_len = X86_PM1_EVT_LEN;
	f->pm1_cnt_len = X86_PM1_CNT_LEN;
	f->pm_tmr_len = X86_PM_TMR_LEN;
	f->p_lvl2_lat = 101;			/* > 100: no C2 */
	f->p_lvl3_lat = 1001;			/* > 1000: no C3 */
	f->century = 0x32;
	f->iapc_boot_arch = FADT_BOOT_VGA_NOT_PRESENT;	/* no legacy devices, no 8042 */
	f->flags = FADT_WBINVD | FADT_PWR_BUTTON | FADT_SLP_BUTTON | FADT_RESET_REG_SUP;
	f->reset_reg = gas_io(0x64, 8, 1);
	f->reset_value = 0xfe;
	f->minor_version = 0;
	f->x_firmware_ctrl = facs;
	f->x_dsdt = dsdt;
	f->x_pm1a_evt_blk = gas_io(X86_PM_BASE, X86_PM1_EVT_LEN * 8, 2);
	f->x_pm1a_cnt_blk = gas_io(X86_PM1_CNT, X86_PM1_CNT_LEN * 8, 2);
	f->x_pm_tmr_blk = gas_io(X86_PM_TMR, X86_PM_TMR_LEN * 8, 3);
	header_init(&f->h, "FACP", sizeof(*f), 6);
}

static size_t
madt_init(uint8_t *buf, unsigned int ncpus)
{
	struct acpi_madt *m = (struct acpi_madt *)buf;
	size_t off = sizeof(*m);
	struct madt_ioapic io;
	struct madt_override iso;
	struct madt_lapic_nmi nmi;
	unsigned int i;

	memset(m, 0, sizeof(*m));
	m->lapic_addr = (uint32_t)X86_LAPIC_ADDR;
	m->flags = MADT_PCAT_COMPAT;
	for (i = 0; i < ncpus; i++) {
		struct madt_lapic l = {
			.type = 0, .length = 8, .processor_id = (uint8_t)i, .apic_id = (uint8_t)i,
			.flags = 1,
		};

		memcpy(buf + off, &l, sizeof(l));
		off += sizeof(l);
	}
	io = (struct madt_ioapic){
		.type = 1, .length = 12, .ioapic_id = (uint8_t)ncpus,
		.address = (uint32_t)X86_IOAPIC_ADDR, .gsi_base = 0,
	};
	memcpy(buf + off, &io, sizeof(io));
	off += sizeof(io);
	iso = (struct madt_override){
		.type = 2, .length = 10, .bus = 0, .source = X86_SCI_IRQ, .gsi = X86_SCI_IRQ,
		.flags = MPS_INTI_LEVEL_HIGH,
	};
	memcpy(buf + off, &iso, sizeof(iso));
	off += sizeof(iso);
	nmi = (struct madt_lapic_nmi){
		.type = 4, .length = 6, .processor_id = 0xff, .flags = 0, .lint = 1,
	};
	memcpy(buf + off, &nmi, sizeof(nmi));
	off += sizeof(nmi);
	header_init(&m->h, "APIC", (uint32_t)off, 5);
	return off;
}

static size_t
align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

int
vmm_acpi_build(uint8_t *buf, uint64_t gpa, size_t size, unsigned int ncpus)
{
	size_t rsdp_off = 0, xsdt_off, facs_off, dsdt_off, fadt_off, madt_off, end;
	size_t madt_len = sizeof(struct acpi_madt) + ncpus * sizeof(struct madt_lapic) +
		sizeof(struct madt_ioapic) + sizeof(struct madt_override) +
		sizeof(struct madt_lapic_nmi);
	size_t xsdt_len = sizeof(struct acpi_header) + 2 * sizeof(uint64_t);
	struct acpi_rsdp *rsdp;
	struct acpi_header *xsdt;
	struct acpi_facs *facs;
	uint64_t entries[2];

	xsdt_off = align_up(rsdp_off + sizeof(struct acpi_rsdp), 16);
	facs_off = align_up(xsdt_off + xsdt_len, 64);
	dsdt_off = align_up(facs_off + sizeof(struct acpi_facs), 16);
	fadt_off = align_up(dsdt_off + sizeof(struct acpi_header) + sizeof(dsdt_aml), 16);
	madt_off = align_up(fadt_off + sizeof(struct acpi_fadt), 16);
	end = madt_off + madt_len;
	if (end > size)
		return -ENOSPC;
	memset(buf, 0, end);

	facs = (struct acpi_facs *)(buf + facs_off);
	memcpy(facs->signature, "FACS", 4);
	facs->length = sizeof(*facs);
	facs->version = 2;

	memcpy(buf + dsdt_off + sizeof(struct acpi_header), dsdt_aml, sizeof(dsdt_aml));
	header_init((struct acpi_header *)(buf + dsdt_off), "DSDT",
		sizeof(struct acpi_header) + sizeof(dsdt_aml), 2);

	fadt_init((struct acpi_fadt *)(buf + fadt_off), gpa + facs_off, gpa + dsdt_off);
	madt_init(buf + madt_off, ncpus);

	xsdt = (struct acpi_header *)(buf + xsdt_off);
	entries[0] = gpa + fadt_off;
	entries[1] = gpa + madt_off;
	memcpy(buf + xsdt_off + sizeof(*xsdt), entries, sizeof(entries));
	header_init(xsdt, "XSDT", (uint32_t)xsdt_len, 1);

	rsdp = (struct acpi_rsdp *)(buf + rsdp_off);
	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, OEM_ID, 6);
	rsdp->revision = 2;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt = gpa + xsdt_off;
	rsdp->checksum = vmm_acpi_checksum(rsdp, 20);
	rsdp->ext_checksum = vmm_acpi_checksum(rsdp, sizeof(*rsdp));
	return (int)end;
}
