/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * x86's CMOS RTC (vmm/arch/x86/rtc.c, arch-neutral C, so checked on any build), as a guest
 * reaches it through ports 0x70-0x71: the time a guest sets (with status B's SET bit, or
 * at once without it) is kept and runs on; binary and 12-hour formats; status C's
 * update-ended, alarm (with don't-care values) and periodic flags, raised for real by the
 * device's timer, run here by this test's own copy of the main loop, with IRQF when
 * enabled, cleared by reading status C.  (The interrupt line itself is an ioctl on a VM this
 * test does not have: its failure messages go to stderr.)
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "check.h"
#include "vm.h"

#define REG_A 0x0a
#define REG_B 0x0b
#define REG_C 0x0c
#define IRQF 0x80
#define PF 0x40
#define AF 0x20
#define UF 0x10

static struct vmm_vm vm;

static uint8_t
rd(uint8_t reg)
{
	uint8_t v = reg;

	vmm_bus_access(&vm.bus, VMM_BUS_PIO, 0x70, &v, 1, true);
	vmm_bus_access(&vm.bus, VMM_BUS_PIO, 0x71, &v, 1, false);
	return v;
}

static void
wr(uint8_t reg, uint8_t v)
{
	vmm_bus_access(&vm.bus, VMM_BUS_PIO, 0x70, &reg, 1, true);
	vmm_bus_access(&vm.bus, VMM_BUS_PIO, 0x71, &v, 1, true);
}

/* The main loop's dispatch (vm.c) for at most 'ms': false if no handler ran. */
static bool
loop_once(int ms)
{
	struct epoll_event ev;
	struct vmm_fd_handler *h;

	if (epoll_wait(vm.epoll_fd, &ev, 1, ms) != 1)
		return false;
	h = &vm.handlers[(uint32_t)ev.data.u64];
	CHECK(h->cb != NULL);
	if (h->cb != NULL)
		h->cb(h->opaque, h->fd);
	return true;
}

/* Run the loop until status C shows 'flag' (read, so cleared) or 'ms' pass: C's value. */
static uint8_t
wait_flag(uint8_t flag, int ms)
{
	uint8_t c = 0;

	for (int i = 0; i < ms / 10 && !(c & flag); i++) {
		loop_once(10);
		c |= rd(REG_C);
	}
	return c;
}

static void
check_set_time(void)
{
	uint8_t s;

	/* SET stops the clock while the guest writes: 2031-02-03 04:05:06, BCD, 24-hour. */
	wr(REG_B, 0x82);
	wr(0x00, 0x06);
	wr(0x02, 0x05);
	wr(0x04, 0x04);
	wr(0x07, 0x03);
	wr(0x08, 0x02);
	wr(0x09, 0x31);
	wr(0x32, 0x20);
	CHECK(rd(0x00) == 0x06 && rd(0x09) == 0x31);
	wr(REG_B, 0x02);
	s = rd(0x00);
	CHECK((s == 0x06 || s == 0x07) && rd(0x02) == 0x05 && rd(0x04) == 0x04 &&
	      rd(0x07) == 0x03 && rd(0x08) == 0x02 && rd(0x09) == 0x31 && rd(0x32) == 0x20,
	      "seconds 0x%02x minutes 0x%02x year 0x%02x", s, rd(0x02), rd(0x09));
	CHECK(rd(0x06) == 2, "weekday %u (a Monday)", rd(0x06));
	/* Binary and 12-hour: 4 a.m. reads 4; set 3 p.m. at once, without SET. */
	wr(REG_B, 0x04);
	CHECK(rd(0x04) == 4 && rd(0x09) == 31 && rd(0x32) == 20, "hours 0x%02x", rd(0x04));
	wr(0x04, 0x83);
	CHECK(rd(0x04) == 0x83 && rd(0x02) == 5, "hours 0x%02x", rd(0x04));
	wr(REG_B, 0x06);
	CHECK(rd(0x04) == 15 && rd(0x07) == 3, "hours %u", rd(0x04));
	wr(REG_B, 0x02);
	CHECK(rd(0x04) == 0x15);
}

static void
check_interrupts(void)
{
	uint8_t c, s;

	/* Polled: the update flag is set without its interrupt; reading C clears it. */
	rd(REG_C);
	c = wait_flag(UF, 2500);
	CHECK((c & (IRQF | UF)) == UF, "C 0x%02x", c);
	CHECK((rd(REG_C) & UF) == 0, "C not cleared by its read");
	/* UIE: an update interrupt within a second, IRQF with it. */
	wr(REG_B, 0x12);
	c = wait_flag(UF, 2500);
	CHECK((c & (IRQF | UF)) == (IRQF | UF), "C 0x%02x with UIE", c);
	/* AIE alone: the alarm two seconds ahead, minutes and hours "don't care". */
	wr(REG_B, 0x02);
	s = rd(0x00);
	s = (uint8_t)(((s >> 4) * 10 + (s & 15) + 2) % 60);
	wr(0x01, (uint8_t)(((s / 10) << 4) | (s % 10)));
	wr(0x03, 0xc0);
	wr(0x05, 0xff);
	wr(REG_B, 0x22);
	rd(REG_C);
	c = wait_flag(AF, 4000);
	CHECK((c & (IRQF | AF)) == (IRQF | AF), "C 0x%02x with AIE", c);
	CHECK(rd(0x00) == (((s / 10) << 4) | (s % 10)), "alarm at 0x%02x, for %u", rd(0x00), s);
	/* An alarm hour that never comes: no alarm flag. */
	wr(0x05, 0x25);
	rd(REG_C);
	c = wait_flag(AF, 1500);
	CHECK(!(c & AF), "C 0x%02x for an hour 25 alarm", c);
	/* PIE at 2 Hz (rate 15). */
	wr(REG_B, 0x42);
	wr(REG_A, 0x2f);
	rd(REG_C);
	c = wait_flag(PF, 1500);
	CHECK((c & (IRQF | PF)) == (IRQF | PF), "C 0x%02x with PIE", c);
	wr(REG_A, 0x26);
	wr(REG_B, 0x02);
}

int
main(void)
{
	char *err = NULL;
	uint8_t s;

	memset(&vm, 0, sizeof(vm));
	vmm_bus_init(&vm.bus);
	vm.vm_fd = -1;
	vm.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	CHECK(vm.epoll_fd >= 0);
	CHECK(vmm_devices_init(&vm, &err) == 0, "%s", err != NULL ? err : "");
	CHECK(rd(REG_A) == 0x26 && rd(REG_B) == 0x02 && rd(0x0d) == 0x80);
	s = rd(0x00);
	CHECK(s < 0x60 && (s & 15) < 10, "seconds 0x%02x", s);
	check_set_time();
	check_interrupts();
	vmm_devices_exit(&vm);
	vmm_bus_destroy(&vm.bus);
	close(vm.epoll_fd);
	free(err);
	return check_report("test_rtc");
}
