/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An ARM PrimeCell PL031 RTC that tells the time: the data register counts seconds since
 * the epoch from the host's clock, plus whatever offset the guest set by writing the load
 * register; the load register reads back the value last written (the TRM), not the time.
 * When the data register reaches the match register the raw interrupt status is set
 * (whatever the mask, as the TRM says); the SPI of the device tree's node is high while
 * raw status and mask are both set, until the guest writes the clear register.  A timerfd
 * in the main loop, armed for the second of the next match, makes the match happen: no
 * polling.  The PrimeCell ID registers let Linux's AMBA bus find the driver.  Accesses are
 * 32-bit and aligned; anything else reads all ones and writes nothing.
 *
 * Who touches what: vCPU threads (register accesses) and the main thread (the timer)
 * share everything below under 'lock', including re-arming the timerfd, so that a match
 * register written after the timer fired but before its handler ran is never matched
 * against the old value (timerfd_settime clears the pending expirations).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/timerfd.h>

#include "arm64.h"
#include "util.h"
#include "vm.h"

#define RTC_DR 0x00	/* data: the time (read-only) */
#define RTC_MR 0x04	/* match */
#define RTC_LR 0x08	/* load: sets the time */
#define RTC_CR 0x0c	/* control: bit 0, started (always) */
#define RTC_IMSC 0x10	/* interrupt mask */
#define RTC_RIS 0x14	/* raw interrupt status */
#define RTC_MIS 0x18	/* masked interrupt status */
#define RTC_ICR 0x1c	/* interrupt clear (write-only) */
#define RTC_ID 0xfe0	/* PeriphID0-3, PCellID0-3: one byte in each word */

static const uint8_t pl031_id[8] = { 0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

struct pl031 {
	pthread_mutex_t lock;
	struct vmm_vm *vm;
	int timer_fd;		/* CLOCK_REALTIME, armed for the next match */
	int64_t offset;		/* guest time minus host time, in seconds */
	uint32_t load;		/* the last value written to the load register */
	uint32_t match;
	uint32_t imsc;
	uint32_t ris;		/* bit 0: the data register reached the match register */
	int irq_level;
};

/*
 * The host's seconds from the clock the timerfd runs on: time() reads a coarser clock that
 * can still show the previous second when the timer fires.
 */
static time_t
host_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

static uint32_t
now(const struct pl031 *rtc)
{
	return (uint32_t)(host_now() + rtc->offset);
}

static void
pl031_update_irq(struct pl031 *rtc)
{
	int level = (rtc->ris & rtc->imsc) != 0;

	if (level != rtc->irq_level) {
		rtc->irq_level = level;
		vmm_vm_irq_line(rtc->vm, ARM64_RTC_SPI, level);
	}
}

/*
 * Arm the timer for the host second at which the data register will equal the match
 * register (the offset is whole seconds, so the data register ticks on the host's second
 * boundaries); a match now sets the raw status at once.  An absolute CLOCK_REALTIME time on
 * purpose: the data register is the host's clock plus an offset fixed when the guest loads
 * it, so when the host's clock steps the match's host second stays the same, and the timer
 * follows the step (one step forward past the match fires at once, as the data register
 * passed it).  The x86 RTC's timer is relative instead: it waits for the host's next second,
 * whatever that is after a step.
 */
static void
pl031_arm(struct pl031 *rtc)
{
	struct itimerspec its;
	time_t host = host_now();
	uint32_t ahead = rtc->match - (uint32_t)(host + rtc->offset);

	memset(&its, 0, sizeof(its));
	if (ahead == 0)
		rtc->ris = 1;
	else
		its.it_value.tv_sec = host + (time_t)ahead;
	if (timerfd_settime(rtc->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		fprintf(stderr, "vireo-vmm: pl031: timerfd_settime: %s\n", strerror(errno));
}

/* The main loop: the match time came. */
static void
pl031_timer(void *opaque, int fd)
{
	struct pl031 *rtc = opaque;
	uint64_t expirations;

	pthread_mutex_lock(&rtc->lock);
	if (read(fd, &expirations, sizeof(expirations)) == (ssize_t)sizeof(expirations)) {
		rtc->ris = 1;
		pl031_update_irq(rtc);
	}
	pthread_mutex_unlock(&rtc->lock);
}

static uint32_t
pl031_read(struct pl031 *rtc, uint64_t off)
{
	if (off >= RTC_ID && off < RTC_ID + 4 * sizeof(pl031_id))
		return pl031_id[(off - RTC_ID) / 4];
	switch (off) {
	case RTC_DR: return now(rtc);
	case RTC_MR: return rtc->match;
	case RTC_LR: return rtc->load;
	case RTC_CR: return 1;
	case RTC_IMSC: return rtc->imsc;
	case RTC_RIS: return rtc->ris;
	case RTC_MIS: return rtc->ris & rtc->imsc;
	default: return 0;	/* ICR (write-only), reserved registers */
	}
}

static void
pl031_write(struct pl031 *rtc, uint64_t off, uint32_t v)
{
	switch (off) {
	case RTC_MR:
		rtc->match = v;
		pl031_arm(rtc);
		break;
	case RTC_LR:
		rtc->load = v;
		rtc->offset = (int64_t)v - (int64_t)host_now();
		pl031_arm(rtc);
		break;
	case RTC_IMSC: rtc->imsc = v & 1; break;
	case RTC_ICR: rtc->ris &= ~v & 1; break;
	/* DR, RIS, MIS are read-only; CR's start bit, once set (always), ignores writes. */
	default: break;
	}
	pl031_update_irq(rtc);
}

static void
pl031_access(void *opaque, uint64_t off, uint8_t *data, unsigned int len, bool is_write)
{
	struct pl031 *rtc = opaque;

	if (len != 4 || off % 4 != 0) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&rtc->lock);
	if (is_write) {
		pl031_write(rtc, off, (uint32_t)data[0] | (uint32_t)data[1] << 8 |
			(uint32_t)data[2] << 16 | (uint32_t)data[3] << 24);
	} else {
		uint32_t v = pl031_read(rtc, off);

		for (unsigned int i = 0; i < 4; i++)
			data[i] = (uint8_t)(v >> (8 * i));
	}
	pthread_mutex_unlock(&rtc->lock);
}

static int
pl031_init(struct vmm_vm *vm, void **state, char **err)
{
	struct pl031 *rtc = calloc(1, sizeof(*rtc));
	int ret;

	if (rtc == NULL)
		return -ENOMEM;
	pthread_mutex_init(&rtc->lock, NULL);
	rtc->vm = vm;
	/* Unarmed until the guest writes the match or load register, as after a reset. */
	rtc->timer_fd = vmm_vm_add_timer(vm, CLOCK_REALTIME, pl031_timer, rtc, "pl031", err);
	if (rtc->timer_fd < 0) {
		ret = rtc->timer_fd;
		goto err_free;
	}
	ret = vmm_bus_register(&vm->bus, VMM_BUS_MMIO, ARM64_RTC_BASE, ARM64_RTC_SIZE, "pl031",
		pl031_access, rtc);
	if (ret < 0) {
		ret = vmm_err(err, ret, "pl031: 0x%llx is taken", (unsigned long long)ARM64_RTC_BASE);
		goto err_watch;
	}
	*state = rtc;
	return 0;

err_watch:
	vmm_vm_del_timer(vm, rtc->timer_fd);
err_free:
	pthread_mutex_destroy(&rtc->lock);
	free(rtc);
	return ret;
}

static void
pl031_exit(struct vmm_vm *vm, void *state)
{
	struct pl031 *rtc = state;

	vmm_bus_unregister(&vm->bus, VMM_BUS_MMIO, ARM64_RTC_BASE);
	vmm_vm_del_timer(vm, rtc->timer_fd);
	pthread_mutex_destroy(&rtc->lock);
	free(rtc);
}

static const struct vmm_device_ops pl031_ops = {
	.name = "pl031",
	.init = pl031_init,
	.exit = pl031_exit,
};

VMM_DEVICE_REGISTER(pl031_ops)
