/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * x86's CMOS RTC (vmm/arch/x86/rtc.c, arch-neutral C, so checked on any build), as a guest
 * reaches it through ports 0x70-0x71: the time a guest sets (with status B's SET bit, or
 * at once without it) is kept and runs on; binary and 12-hour formats; status C's
 * update-ended, alarm (with don't-care values) and periodic flags, raised for real by the
 * device's timer, run here by the main loop's dispatch (vmm_vm_dispatch()), with IRQF
 * when enabled, cleared by reading status C; when the host's clock steps back (or forward), the
 * next update interrupt still comes within a second, and only one.  (The interrupt line
 * itself is an ioctl on a VM this test does not have: its failure messages go to stderr.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>

#include "check.h"
#include "rtc.h"
#include "vm.h"

#define REG_A 0x0a
#define REG_B 0x0b
#define REG_C 0x0c
#define IRQF 0x80
#define PF 0x40
#define AF 0x20
#define UF 0x10
#define NSEC 1000000000LL

static struct vmm_vm vm;
static unsigned int unhandled;	/* events the loop found no live handler for: none expected */
static int64_t step_ns;		/* the host's clock as the device reads it: CLOCK_REALTIME + this */

static int64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

static int64_t
stepped_ns(void)
{
	return clock_ns(CLOCK_REALTIME) + step_ns;
}

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

/* Run the loop until status C shows 'flag' (read, so cleared) or 'ms' pass: C's value. */
static uint8_t
wait_flag(uint8_t flag, int ms)
{
	uint8_t c = 0;

	for (int i = 0; i < ms / 10 && !(c & flag); i++) {
		vmm_vm_dispatch(&vm, 10, &unhandled);
		c |= rd(REG_C);
	}
	return c;
}

/*
 * Step the host's clock by 'd' ns, as the device sees it, and do to the device's timer what
 * the kernel does when the clock a timer runs on steps: one armed for an absolute
 * CLOCK_REALTIME time fires 'd' sooner (later for a step back); any other is left alone.
 */
static void
step_clock(int64_t d)
{
	struct itimerspec its;
	char path[64], line[128];
	unsigned int flags = 0;
	int fd = -1, clock = -1;
	int64_t at;
	FILE *f;

	step_ns += d;
	for (unsigned int i = 0; i < VMM_MAX_FD_HANDLERS; i++)
		if (vm.handlers[i].cb != NULL)
			fd = vm.handlers[i].fd;		/* the RTC's timer, the only one */
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	CHECK(f != NULL, "%s", path);
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		sscanf(line, "clockid: %d", &clock);
		sscanf(line, "settime flags: %o", &flags);
	}
	if (f != NULL)
		fclose(f);
	if (clock != CLOCK_REALTIME || !(flags & TFD_TIMER_ABSTIME) ||
	    timerfd_gettime(fd, &its) != 0 || (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0))
		return;
	at = clock_ns(CLOCK_REALTIME) + its.it_value.tv_sec * NSEC + its.it_value.tv_nsec - d;
	if (at <= clock_ns(CLOCK_REALTIME))
		at = clock_ns(CLOCK_REALTIME) + 1;
	its.it_value.tv_sec = (time_t)(at / NSEC);
	its.it_value.tv_nsec = (long)(at % NSEC);
	timerfd_settime(fd, (int)flags, &its, NULL);
}

/* Run the loop until the device's timer runs or 'ms' pass: the milliseconds it took, or -1. */
static int
wait_timer(int ms)
{
	int64_t t0 = clock_ns(CLOCK_MONOTONIC);

	while (vmm_vm_dispatch(&vm, 10, &unhandled) <= 0)
		if (clock_ns(CLOCK_MONOTONIC) - t0 > ms * 1000000LL)
			return -1;
	return (int)((clock_ns(CLOCK_MONOTONIC) - t0) / 1000000);
}

static void
check_clock_step(void)
{
	uint8_t c, s0, s1;
	int ms, runs = 0;

	/*
	 * UIE, right after an update the timer raised: it waits for the next second.  The
	 * host's clock steps back 30 s (and a quarter, off the second boundary): the device's
	 * timer comes within a second, with the update flag, not 30 s later; the seconds read
	 * 30 back.  (Status C is read only after the timer ran: a read brings the flags up to
	 * date by itself.)
	 */
	wr(REG_B, 0x12);
	rd(REG_C);
	ms = wait_timer(1500);
	c = rd(REG_C);
	CHECK(ms >= 0 && (c & UF), "%d ms, C 0x%02x", ms, c);
	s0 = rd(0x00);
	step_clock(-30 * NSEC - NSEC / 4);
	ms = wait_timer(1500);
	c = rd(REG_C);
	CHECK(ms >= 0, "no timer in 1.5 s after the host's clock stepped back 30 s");
	CHECK((c & (IRQF | UF)) == (IRQF | UF), "C 0x%02x after the step back", c);
	s1 = rd(0x00);
	s0 = (uint8_t)((s0 >> 4) * 10 + (s0 & 15));
	s1 = (uint8_t)((s1 >> 4) * 10 + (s1 & 15));
	CHECK((s0 + 60 - s1) % 60 >= 28 && (s0 + 60 - s1) % 60 <= 30, "seconds %u then %u", s0,
		s1);
	/* On the new clock's seconds from then on: the next update within a second. */
	ms = wait_timer(1500);
	c = rd(REG_C);
	CHECK(ms >= 0 && ms <= 1100 && (c & UF), "next update after %d ms, C 0x%02x", ms, c);
	/* A step forward of an hour: one update within a second, no storm of timers. */
	step_clock(3600 * NSEC);
	ms = wait_timer(1500);
	c = rd(REG_C);
	CHECK(ms >= 0 && (c & (IRQF | UF)) == (IRQF | UF), "after the step forward: %d ms, C 0x%02x",
		ms, c);
	for (int64_t end = clock_ns(CLOCK_MONOTONIC) + NSEC; clock_ns(CLOCK_MONOTONIC) < end;)
		runs += vmm_vm_dispatch(&vm, 10, &unhandled);
	CHECK(runs <= 2, "%d timer runs in the second after the step forward", runs);
	wr(REG_B, 0x02);
	rd(REG_C);
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

	rtc_host_ns = stepped_ns;
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
	check_clock_step();
	CHECK(unhandled == 0, "%u events found no live handler", unhandled);
	vmm_devices_exit(&vm);
	vmm_bus_destroy(&vm.bus);
	close(vm.epoll_fd);
	free(err);
	return check_report("test_rtc");
}
