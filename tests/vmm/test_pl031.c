/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * arm64's PL031 RTC (vmm/arch/arm64/pl031.c, arch-neutral C, so checked on any build), as a
 * guest reaches it through the bus: the data register tells the host's time, a load moves
 * it, the PrimeCell IDs are what Linux's AMBA bus matches (0x00041031), and accesses other
 * than aligned 32-bit ones read all ones and change nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arm64.h"
#include "check.h"
#include "vm.h"

static struct vmm_vm vm;

static uint32_t
rd(uint64_t off, unsigned int len)
{
	uint8_t b[8];
	uint32_t v = 0;

	memset(b, 0, sizeof(b));
	vmm_bus_access(&vm.bus, VMM_BUS_MMIO, ARM64_RTC_BASE + off, b, len, false);
	for (unsigned int i = 0; i < 4 && i < len; i++)
		v |= (uint32_t)b[i] << (8 * i);
	return v;
}

static void
wr(uint64_t off, unsigned int len, uint32_t v)
{
	uint8_t b[8] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	vmm_bus_access(&vm.bus, VMM_BUS_MMIO, ARM64_RTC_BASE + off, b, len, true);
}

int
main(void)
{
	char *err = NULL;
	uint32_t id = 0, t;

	memset(&vm, 0, sizeof(vm));
	vmm_bus_init(&vm.bus);
	CHECK(vmm_devices_init(&vm, &err) == 0);
	t = rd(0x00, 4);
	CHECK(t + 1 >= (uint32_t)time(NULL) && t <= (uint32_t)time(NULL), "DR %u", t);
	CHECK(rd(0x0c, 4) == 1);				/* started */
	for (unsigned int i = 0; i < 4; i++)
		id |= (rd(0xfe0 + 4 * i, 4) & 0xff) << (8 * i);
	CHECK((id & 0x000fffff) == 0x00041031, "PeriphID 0x%08x", id);
	CHECK(rd(0xff0, 4) == 0x0d && rd(0xff4, 4) == 0xf0 && rd(0xff8, 4) == 0x05 &&
	      rd(0xffc, 4) == 0xb1);
	/* A load sets the time; the data register is read-only. */
	wr(0x08, 4, 1000000000u);
	t = rd(0x00, 4);
	CHECK(t >= 1000000000u && t <= 1000000001u, "DR %u after a load", t);
	wr(0x00, 4, 5);
	CHECK(rd(0x00, 4) >= 1000000000u);
	/* Match and mask keep what the guest writes; no alarm ever shows raised. */
	wr(0x04, 4, 1000000001u);
	wr(0x10, 4, 0xffffffffu);
	CHECK(rd(0x04, 4) == 1000000001u && rd(0x10, 4) == 1);
	CHECK(rd(0x14, 4) == 0 && rd(0x18, 4) == 0);
	/* Other widths and misaligned words: all ones, no effect. */
	CHECK(rd(0x00, 2) == 0xffff && rd(0x01, 4) == 0xffffffff && rd(0x00, 1) == 0xff);
	wr(0x08, 2, 0);
	wr(0x09, 4, 0);
	CHECK(rd(0x00, 4) >= 1000000000u);
	vmm_devices_exit(&vm);
	vmm_bus_destroy(&vm.bus);
	free(err);
	return check_report("test_pl031");
}
