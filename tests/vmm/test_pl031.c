/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * arm64's PL031 RTC (vmm/arch/arm64/pl031.c, arch-neutral C, so checked on any build), as a
 * guest reaches it through the bus: the data register tells the host's time, a load moves
 * it (and the load register keeps the value loaded), the PrimeCell IDs are what Linux's AMBA bus matches (0x00041031), and accesses other
 * than aligned 32-bit ones read all ones and change nothing.  The match register raises the
 * interrupt: the device's timer, run by the main loop's dispatch (vmm_vm_dispatch()), sets
 * the raw status when the data register reaches the match; the masked status follows the
 * mask; the clear register clears it.  (The interrupt line itself is an ioctl on a VM this
 * test does not have: its failure messages go to stderr.)
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "arm64.h"
#include "check.h"
#include "vm.h"

static struct vmm_vm vm;
static unsigned int unhandled;	/* events the loop found no live handler for: none expected */

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

static uint32_t
host_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint32_t)ts.tv_sec;
}

static void
check_match(void)
{
	uint32_t t;

	/* A match already reached raises at once; the clear register clears it. */
	t = rd(0x00, 4);
	wr(0x10, 4, 1);
	wr(0x04, 4, t);
	CHECK(rd(0x14, 4) == 1 && rd(0x18, 4) == 1, "RIS %u MIS %u", rd(0x14, 4), rd(0x18, 4));
	wr(0x1c, 4, 1);
	CHECK(rd(0x14, 4) == 0 && rd(0x18, 4) == 0);
	/* A match 2 s ahead: nothing before, the timer raises it then (masked or not). */
	wr(0x10, 4, 0);
	t = rd(0x00, 4);
	wr(0x04, 4, t + 2);
	CHECK(rd(0x14, 4) == 0);
	CHECK(vmm_vm_dispatch(&vm, 500, &unhandled) <= 0 || rd(0x00, 4) >= t + 2,
		"the timer fired early");
	while (rd(0x14, 4) == 0 && vmm_vm_dispatch(&vm, 4000, &unhandled) > 0)
		;
	CHECK(rd(0x14, 4) == 1 && rd(0x00, 4) >= t + 2, "RIS %u at %u, match %u", rd(0x14, 4),
		rd(0x00, 4), t + 2);
	CHECK(rd(0x18, 4) == 0, "MIS set with the interrupt masked");
	wr(0x10, 4, 1);
	CHECK(rd(0x18, 4) == 1);
	wr(0x1c, 4, 1);
	CHECK(rd(0x14, 4) == 0 && rd(0x18, 4) == 0);
	/* A load moves the match: a match in the guest's past is 136 years away. */
	wr(0x04, 4, t + 1);
	wr(0x08, 4, t + 100);
	CHECK(vmm_vm_dispatch(&vm, 2500, &unhandled) <= 0 && rd(0x14, 4) == 0,
		"a match before the loaded time fired");
	/* The load register reads what was loaded, seconds later, not the time. */
	CHECK(rd(0x08, 4) == t + 100 && rd(0x00, 4) >= t + 102, "LR %u DR %u after loading %u",
		rd(0x08, 4), rd(0x00, 4), t + 100);
	wr(0x10, 4, 0);
}

int
main(void)
{
	char *err = NULL;
	uint32_t id = 0, t;

	memset(&vm, 0, sizeof(vm));
	vmm_bus_init(&vm.bus);
	vm.vm_fd = -1;
	vm.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	CHECK(vm.epoll_fd >= 0);
	CHECK(vmm_devices_init(&vm, &err) == 0, "%s", err != NULL ? err : "");
	t = rd(0x00, 4);
	CHECK(t + 1 >= host_now() && t <= host_now(), "DR %u", t);
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
	/* Match and mask keep what the guest writes. */
	wr(0x04, 4, 1000000100u);
	wr(0x10, 4, 0xffffffffu);
	CHECK(rd(0x04, 4) == 1000000100u && rd(0x10, 4) == 1);
	CHECK(rd(0x14, 4) == 0 && rd(0x18, 4) == 0);
	/* Other widths and misaligned words: all ones, no effect. */
	CHECK(rd(0x00, 2) == 0xffff && rd(0x01, 4) == 0xffffffff && rd(0x00, 1) == 0xff);
	wr(0x08, 2, 0);
	wr(0x09, 4, 0);
	CHECK(rd(0x00, 4) >= 1000000000u);
	check_match();
	CHECK(unhandled == 0, "%u events found no live handler", unhandled);
	vmm_devices_exit(&vm);
	vmm_bus_destroy(&vm.bus);
	close(vm.epoll_fd);
	free(err);
	return check_report("test_pl031");
}
