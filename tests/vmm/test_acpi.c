/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ACPI and MP tables: follow the pointers the way an OS does and check every checksum,
 * the CPU count, the power-off and reset registers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "x86.h"

#define BASE 0xe0000ULL

static uint8_t buf[0x10000];

static uint8_t
sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n-- > 0)
		s += *p++;
	return s;
}

static uint32_t
u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t
u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static const uint8_t *
at(uint64_t gpa)
{
	if (gpa < BASE || gpa >= BASE + sizeof(buf))
		return NULL;
	return buf + (gpa - BASE);
}

static void
check_acpi(unsigned int ncpus)
{
	const uint8_t *rsdp, *xsdt, *fadt = NULL, *madt = NULL, *dsdt, *facs;
	unsigned int i, n, lapics = 0, ioapics = 0;
	size_t off;
	int used;

	memset(buf, 0xee, sizeof(buf));
	used = vmm_acpi_build(buf, BASE, sizeof(buf), ncpus);
	CHECK(used > 0);
	rsdp = buf;
	CHECK(memcmp(rsdp, "RSD PTR ", 8) == 0);
	CHECK(sum(rsdp, 20) == 0);
	CHECK(rsdp[15] == 2);
	CHECK(u32(rsdp + 20) == 36 && sum(rsdp, 36) == 0);
	xsdt = at(u64(rsdp + 24));
	CHECK(xsdt != NULL);
	if (xsdt == NULL)
		return;
	CHECK(memcmp(xsdt, "XSDT", 4) == 0 && sum(xsdt, u32(xsdt + 4)) == 0);
	n = (u32(xsdt + 4) - 36) / 8;
	CHECK(n == 2);
	for (i = 0; i < n; i++) {
		const uint8_t *t = at(u64(xsdt + 36 + 8 * i));

		CHECK(t != NULL);
		if (t == NULL)
			continue;
		CHECK(sum(t, u32(t + 4)) == 0);
		if (memcmp(t, "FACP", 4) == 0)
			fadt = t;
		if (memcmp(t, "APIC", 4) == 0)
			madt = t;
	}
	CHECK(fadt != NULL && madt != NULL);
	if (fadt == NULL || madt == NULL)
		return;
	/* FADT: 276 bytes, DSDT and FACS both ways, PM1a blocks, reset through the i8042. */
	CHECK(u32(fadt + 4) == 276);
	CHECK(u32(fadt + 40) == u64(fadt + 140));
	CHECK(u32(fadt + 36) == u64(fadt + 132));
	CHECK(fadt[46] == X86_SCI_IRQ);
	CHECK(u32(fadt + 56) == X86_PM_BASE && fadt[88] == X86_PM1_EVT_LEN);
	CHECK(u32(fadt + 64) == X86_PM1_CNT && fadt[89] == X86_PM1_CNT_LEN);
	CHECK(u32(fadt + 76) == X86_PM_TMR && fadt[91] == X86_PM_TMR_LEN);
	CHECK(u64(fadt + 172 + 4) == X86_PM1_CNT && fadt[172] == 1);
	CHECK(u32(fadt + 112) & (1U << 10));
	CHECK(fadt[116] == 1 && u64(fadt + 120) == 0x64 && fadt[128] == 0xfe);
	dsdt = at(u64(fadt + 140));
	CHECK(dsdt != NULL && memcmp(dsdt, "DSDT", 4) == 0 && sum(dsdt, u32(dsdt + 4)) == 0);
	/* The \_S5 package gives SLP_TYP 5. */
	CHECK(dsdt != NULL && u32(dsdt + 4) > 36 + 10 && memcmp(dsdt + 37, "_S5_", 4) == 0 &&
		dsdt[44] == 0x0a && dsdt[45] == X86_SLP_TYP_S5);
	facs = at(u64(fadt + 132));
	CHECK(facs != NULL && memcmp(facs, "FACS", 4) == 0 && u32(facs + 4) == 64);
	CHECK(((uintptr_t)(u64(fadt + 132))) % 64 == 0);
	/* MADT: one enabled local APIC per CPU with APIC ID = index, one IOAPIC. */
	CHECK(u32(madt + 36) == X86_LAPIC_ADDR);
	for (off = 44; off < u32(madt + 4); off += madt[off + 1]) {
		CHECK(madt[off + 1] >= 2);
		if (madt[off + 1] < 2)
			break;
		if (madt[off] == 0) {
			CHECK(madt[off + 3] == lapics && (u32(madt + off + 4) & 1));
			lapics++;
		} else if (madt[off] == 1) {
			CHECK(u32(madt + off + 4) == X86_IOAPIC_ADDR);
			CHECK(madt[off + 2] == ncpus);
			ioapics++;
		}
	}
	CHECK(off == u32(madt + 4));
	CHECK(lapics == ncpus);
	CHECK(ioapics == 1);
	CHECK((size_t)used >= (size_t)(madt - buf) + u32(madt + 4));
}

static void
check_mptable(unsigned int ncpus)
{
	const uint8_t *mpf = buf, *mpc;
	unsigned int i, count, cpus = 0, bsp = 0;
	size_t off;
	int used;

	memset(buf, 0xee, sizeof(buf));
	used = vmm_mptable_build(buf, 0xf0000, sizeof(buf), ncpus);
	CHECK(used > 0);
	CHECK(memcmp(mpf, "_MP_", 4) == 0 && sum(mpf, 16) == 0 && mpf[8] == 1 && mpf[9] == 4);
	CHECK(u32(mpf + 4) == 0xf0000 + 16);
	mpc = buf + (u32(mpf + 4) - 0xf0000);
	CHECK(memcmp(mpc, "PCMP", 4) == 0);
	CHECK(sum(mpc, (uint16_t)(mpc[4] | (mpc[5] << 8))) == 0);
	count = (unsigned int)(mpc[34] | (mpc[35] << 8));
	off = 44;
	for (i = 0; i < count; i++) {
		uint8_t type = mpc[off];

		if (type == 0) {
			CHECK(mpc[off + 1] == cpus);
			if (mpc[off + 3] & 2)
				bsp++;
			cpus++;
			off += 20;
		} else {
			CHECK(type <= 4);
			off += 8;
		}
	}
	CHECK(off == (size_t)(mpc[4] | (mpc[5] << 8)));
	CHECK(cpus == ncpus);
	CHECK(bsp == 1);
}

int
main(void)
{
	static const unsigned int counts[] = { 1, 2, 4, 64, X86_MAX_CPUS };
	unsigned int i;

	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		check_acpi(counts[i]);
		check_mptable(counts[i]);
	}
	CHECK(vmm_acpi_build(buf, BASE, 64, 1) == -ENOSPC);
	CHECK(vmm_mptable_build(buf, 0xf0000, 64, 4) == -ENOSPC);
	CHECK(vmm_acpi_checksum("\x01\x02", 2) == 0xfd);
	return check_report("test_acpi");
}
