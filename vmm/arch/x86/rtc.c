/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A CMOS RTC (MC146818): port 0x70 selects a register, 0x71 reads or writes it.
 *
 * Time: the host's UTC clock (CLOCK_REALTIME) plus a whole-second offset the guest sets
 * through the time registers, as the PL031's load register does: with status B's SET bit
 * the clock stands still while the guest writes and takes the new time when SET is
 * cleared; without it a write takes effect at once.  Status A's divider held in reset
 * stops the clock the same way (Linux does both around a set).  Registers read in the
 * format status B selects: BCD or binary, 24- or 12-hour.  The day of the week follows
 * from the date.
 *
 * Interrupts, on IRQ 8: status C's flags - update ended (UF, each second), alarm (AF, a
 * second matching the three alarm registers, a value 0xC0-0xFF matching anything) and
 * periodic (PF, at the rate status A selects) - are set whether enabled or not, as the
 * chip does; IRQF and the line rise with a flag whose enable bit (UIE, AIE, PIE in status
 * B) is set; reading status C returns and clears them and lowers the line.  The flags are
 * brought up to date at each read of status C (for guests that poll) and by a timerfd in
 * the main loop, armed only while an interrupt is enabled, for the next second or period.
 *
 * That timer runs on CLOCK_MONOTONIC, armed for "the next boundary of the host's UTC clock
 * minus now", not at an absolute CLOCK_REALTIME time: when the host's clock steps back by D
 * (an NTP step, `date -s`), an absolute timer would wait for the old boundary, D seconds of
 * silence for a guest waiting for its update interrupt.  A relative timer fires within a
 * second of the step whichever way it went; the update it finds counts once (one UF, an
 * alarm skipped by a step forward, one PF), and the next arming is on the new clock's
 * boundaries.  (TFD_TIMER_CANCEL_ON_SET would do as much, with an ECANCELED path to handle
 * and a window between reading the clock and arming where a step goes unseen.)
 *
 * Not emulated, logged once when the guest asks for it: daylight saving (status B's DSE)
 * and dividers other than 32.768 kHz.  The square wave (SQWE) has no pin to drive.  Status
 * A never shows an update in progress; status D says the battery is good.  Other
 * registers are plain CMOS bytes.
 *
 * Who touches what: vCPU threads (port accesses) and the main thread (the timer) share
 * everything in struct rtc_dev under 'lock', re-arming the timer included (which also
 * clears its pending expirations, so a handler never acts on a stale arming).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/timerfd.h>

#include "rtc.h"
#include "util.h"
#include "vm.h"

#define RTC_PORT 0x70
#define RTC_IRQ 8
#define RTC_SECONDS 0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES 0x02
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS 0x04
#define RTC_HOURS_ALARM 0x05
#define RTC_WEEKDAY 0x06
#define RTC_DAY 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_REG_A 0x0a
#define RTC_REG_B 0x0b
#define RTC_REG_C 0x0c
#define RTC_REG_D 0x0d
#define RTC_CENTURY 0x32	/* the FADT's century register (acpi.c) */

#define RTC_A_DV 0x70		/* divider */
#define RTC_A_DV_32K 0x20
#define RTC_A_DV_RESET 0x60	/* 0x60 and 0x70: held in reset */
#define RTC_A_RS 0x0f		/* periodic rate */
#define RTC_B_SET 0x80
#define RTC_B_PIE 0x40
#define RTC_B_AIE 0x20
#define RTC_B_UIE 0x10
#define RTC_B_BINARY 0x04
#define RTC_B_24H 0x02
#define RTC_B_DSE 0x01
#define RTC_C_IRQF 0x80
#define RTC_C_PF 0x40		/* each flag is its enable bit in status B */
#define RTC_C_AF 0x20
#define RTC_C_UF 0x10
#define RTC_D_VRT 0x80

#define NSEC 1000000000LL
/* Seconds of missed updates searched for an alarm: each alarm matches once a day. */
#define RTC_CATCH_UP 86400

struct rtc_dev {
	pthread_mutex_t lock;
	struct vmm_vm *vm;
	int timer_fd;		/* CLOCK_MONOTONIC, armed while an interrupt is enabled */
	uint8_t index;
	uint8_t cmos[128];	/* status A and B, alarms; the time registers while stopped */
	int64_t offset;		/* guest time minus host time, in seconds */
	int64_t last_sec;	/* the guest second last updated */
	int64_t last_tick;	/* the periodic tick last counted */
	uint8_t flags;		/* status C */
	bool stopped;		/* SET or divider reset: no updates, time registers as written */
	int irq_level;
	bool dse_logged;
	bool dv_logged;
};

static int64_t
host_utc_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

int64_t (*rtc_host_ns)(void) = host_utc_ns;

static int64_t
rtc_guest_sec(const struct rtc_dev *rtc, int64_t now)
{
	return now / NSEC + rtc->offset;
}

static uint8_t
rtc_to_reg(const struct rtc_dev *rtc, int v)
{
	if (rtc->cmos[RTC_REG_B] & RTC_B_BINARY)
		return (uint8_t)v;
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static int
rtc_from_reg(const struct rtc_dev *rtc, uint8_t v)
{
	if (rtc->cmos[RTC_REG_B] & RTC_B_BINARY)
		return v;
	return (v >> 4) * 10 + (v & 0x0f);
}

/* Write the guest time 'sec' in the current format into the time registers of 'regs'. */
static void
rtc_encode(const struct rtc_dev *rtc, int64_t sec, uint8_t *regs)
{
	time_t t = (time_t)sec;
	struct tm tm;
	int h;

	memset(&tm, 0, sizeof(tm));
	gmtime_r(&t, &tm);
	h = tm.tm_hour;
	regs[RTC_SECONDS] = rtc_to_reg(rtc, tm.tm_sec);
	regs[RTC_MINUTES] = rtc_to_reg(rtc, tm.tm_min);
	if (rtc->cmos[RTC_REG_B] & RTC_B_24H)
		regs[RTC_HOURS] = rtc_to_reg(rtc, h);
	else
		regs[RTC_HOURS] = (uint8_t)(rtc_to_reg(rtc, h % 12 == 0 ? 12 : h % 12) |
			(h >= 12 ? 0x80 : 0));
	regs[RTC_WEEKDAY] = rtc_to_reg(rtc, tm.tm_wday + 1);
	regs[RTC_DAY] = rtc_to_reg(rtc, tm.tm_mday);
	regs[RTC_MONTH] = rtc_to_reg(rtc, tm.tm_mon + 1);
	regs[RTC_YEAR] = rtc_to_reg(rtc, (tm.tm_year + 1900) % 100);
	regs[RTC_CENTURY] = rtc_to_reg(rtc, (tm.tm_year + 1900) / 100);
}

/* The guest time the time registers hold (out-of-range values wrap as timegm() does). */
static int64_t
rtc_decode(const struct rtc_dev *rtc)
{
	const uint8_t *r = rtc->cmos;
	struct tm tm;
	int h;

	memset(&tm, 0, sizeof(tm));
	tm.tm_sec = rtc_from_reg(rtc, r[RTC_SECONDS]);
	tm.tm_min = rtc_from_reg(rtc, r[RTC_MINUTES]);
	if (rtc->cmos[RTC_REG_B] & RTC_B_24H) {
		tm.tm_hour = rtc_from_reg(rtc, r[RTC_HOURS]);
	} else {
		h = rtc_from_reg(rtc, r[RTC_HOURS] & 0x7f) % 12;
		tm.tm_hour = (r[RTC_HOURS] & 0x80) ? h + 12 : h;
	}
	tm.tm_mday = rtc_from_reg(rtc, r[RTC_DAY]);
	tm.tm_mon = rtc_from_reg(rtc, r[RTC_MONTH]) - 1;
	tm.tm_year = rtc_from_reg(rtc, r[RTC_CENTURY]) * 100 + rtc_from_reg(rtc, r[RTC_YEAR]) -
		1900;
	return (int64_t)timegm(&tm);
}

static bool
rtc_is_time_reg(uint8_t index)
{
	switch (index) {
	case RTC_SECONDS:
	case RTC_MINUTES:
	case RTC_HOURS:
	case RTC_WEEKDAY:
	case RTC_DAY:
	case RTC_MONTH:
	case RTC_YEAR:
	case RTC_CENTURY:
		return true;
	default:
		return false;
	}
}

/* Periodic interrupts per second at status A's rate (0: none). */
static int64_t
rtc_freq(const struct rtc_dev *rtc)
{
	unsigned int rs = rtc->cmos[RTC_REG_A] & RTC_A_RS;

	if (rs == 0)
		return 0;
	if (rs < 3)
		rs += 7;	/* 256 and 128 Hz */
	return 65536 >> rs;
}

/*
 * The periodic ticks since the epoch at 'now', on the host's clock: the offset is whole
 * seconds and every period divides a second, so guest and host ticks coincide.
 */
static int64_t
rtc_tick(int64_t now, int64_t freq)
{
	return now / NSEC * freq + now % NSEC * freq / NSEC;
}

static bool
rtc_alarm_match(const struct rtc_dev *rtc, int64_t sec)
{
	static const uint8_t alarm[3] = { RTC_SECONDS_ALARM, RTC_MINUTES_ALARM, RTC_HOURS_ALARM };
	uint8_t regs[128];

	rtc_encode(rtc, sec, regs);
	for (unsigned int i = 0; i < 3; i++) {
		uint8_t a = rtc->cmos[alarm[i]];

		if ((a & 0xc0) != 0xc0 && a != regs[alarm[i] - 1])
			return false;
	}
	return true;
}

/* Set the flags of the updates and periodic ticks that happened up to 'now'. */
static void
rtc_update(struct rtc_dev *rtc, int64_t now)
{
	int64_t sec = rtc_guest_sec(rtc, now), freq = rtc_freq(rtc), s;

	if (rtc->stopped)
		return;
	if (freq != 0 && rtc_tick(now, freq) != rtc->last_tick) {
		rtc->flags |= RTC_C_PF;
		rtc->last_tick = rtc_tick(now, freq);
	}
	if (sec == rtc->last_sec)
		return;
	rtc->flags |= RTC_C_UF;
	if (sec < rtc->last_sec)
		rtc->last_sec = sec - 1;	/* the host's clock stepped back: one update */
	s = sec - rtc->last_sec > RTC_CATCH_UP ? sec - RTC_CATCH_UP : rtc->last_sec;
	while (++s <= sec && !(rtc->flags & RTC_C_AF))
		if (rtc_alarm_match(rtc, s))
			rtc->flags |= RTC_C_AF;
	rtc->last_sec = sec;
}

static void
rtc_update_irq(struct rtc_dev *rtc)
{
	int level;

	if (rtc->flags & rtc->cmos[RTC_REG_B] & (RTC_C_PF | RTC_C_AF | RTC_C_UF))
		rtc->flags |= RTC_C_IRQF;
	level = (rtc->flags & RTC_C_IRQF) != 0;
	if (level != rtc->irq_level) {
		rtc->irq_level = level;
		vmm_vm_irq_line(rtc->vm, RTC_IRQ, level);
	}
}

/*
 * Arm the timer for the next second of the host's clock at 'now', or periodic tick with PIE,
 * if an interrupt is on: relative, on CLOCK_MONOTONIC (see the top of this file).
 */
static void
rtc_arm(struct rtc_dev *rtc, int64_t now)
{
	uint8_t b = rtc->cmos[RTC_REG_B];
	int64_t next = 0, freq = rtc_freq(rtc), k;
	struct itimerspec its;

	if (!rtc->stopped && (b & (RTC_B_PIE | RTC_B_AIE | RTC_B_UIE))) {
		next = (now / NSEC + 1) * NSEC;
		if ((b & RTC_B_PIE) && freq != 0) {
			k = rtc_tick(now, freq) + 1;
			k = k / freq * NSEC + (k % freq * NSEC + freq - 1) / freq;
			if (k < next)
				next = k;
		}
	}
	memset(&its, 0, sizeof(its));
	if (next != 0) {
		next -= now;	/* > 0: a zero it_value would disarm */
		its.it_value.tv_sec = (time_t)(next / NSEC);
		its.it_value.tv_nsec = (long)(next % NSEC);
	}
	if (timerfd_settime(rtc->timer_fd, 0, &its, NULL) < 0)
		fprintf(stderr, "vireo-vmm: rtc: timerfd_settime: %s\n", strerror(errno));
}

/* Take the time the registers hold as the guest's time from now on. */
static void
rtc_set_time(struct rtc_dev *rtc, int64_t now)
{
	int64_t freq = rtc_freq(rtc);

	rtc->offset = rtc_decode(rtc) - now / NSEC;
	rtc->last_sec = rtc_guest_sec(rtc, now);
	if (freq != 0)
		rtc->last_tick = rtc_tick(now, freq);
}

/* After a write to status A or B: stop or restart the clock. */
static void
rtc_set_stopped(struct rtc_dev *rtc, int64_t now)
{
	bool stop = (rtc->cmos[RTC_REG_B] & RTC_B_SET) ||
		(rtc->cmos[RTC_REG_A] & RTC_A_DV_RESET) == RTC_A_DV_RESET;

	if (stop && !rtc->stopped) {
		rtc_update(rtc, now);
		rtc_encode(rtc, rtc_guest_sec(rtc, now), rtc->cmos);
	} else if (!stop && rtc->stopped) {
		rtc_set_time(rtc, now);
	}
	rtc->stopped = stop;
}

static uint8_t
rtc_read(struct rtc_dev *rtc, int64_t now)
{
	uint8_t v;

	switch (rtc->index) {
	case RTC_REG_C:
		rtc_update(rtc, now);
		rtc_update_irq(rtc);
		v = rtc->flags;
		rtc->flags = 0;
		rtc_update_irq(rtc);
		return v;
	case RTC_REG_D:
		return RTC_D_VRT;
	default:
		if (rtc_is_time_reg(rtc->index) && !rtc->stopped)
			rtc_encode(rtc, rtc_guest_sec(rtc, now), rtc->cmos);
		return rtc->cmos[rtc->index];
	}
}

static void
rtc_write(struct rtc_dev *rtc, uint8_t v, int64_t now)
{
	int64_t freq;

	switch (rtc->index) {
	case RTC_REG_A:
		rtc->cmos[RTC_REG_A] = v & 0x7f;	/* UIP is read-only */
		if ((v & RTC_A_DV) != RTC_A_DV_32K && (v & RTC_A_DV_RESET) != RTC_A_DV_RESET &&
		    !rtc->dv_logged) {
			rtc->dv_logged = true;
			fprintf(stderr, "vireo-vmm: rtc: divider 0x%02x (status A) is not emulated; "
				"the clock keeps 32.768 kHz time\n", v & RTC_A_DV);
		}
		freq = rtc_freq(rtc);
		if (freq != 0)
			rtc->last_tick = rtc_tick(now, freq);
		rtc_set_stopped(rtc, now);
		break;
	case RTC_REG_B:
		if (v & RTC_B_SET)
			v &= (uint8_t)~RTC_B_UIE;	/* as the chip does */
		if ((v & RTC_B_DSE) && !rtc->dse_logged) {
			rtc->dse_logged = true;
			fprintf(stderr, "vireo-vmm: rtc: daylight saving (status B DSE) is not "
				"emulated; the clock keeps the time it was set to\n");
		}
		rtc->cmos[RTC_REG_B] = v;
		rtc_set_stopped(rtc, now);
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break;		/* read-only */
	default:
		if (rtc_is_time_reg(rtc->index) && !rtc->stopped) {
			rtc_update(rtc, now);
			rtc_encode(rtc, rtc_guest_sec(rtc, now), rtc->cmos);
			rtc->cmos[rtc->index] = v;
			rtc_set_time(rtc, now);
		} else {
			rtc->cmos[rtc->index] = v;
		}
		break;
	}
	rtc_update_irq(rtc);
	rtc_arm(rtc, now);
}

static void
rtc_io(void *opaque, uint64_t offset, uint8_t *data, unsigned int len, bool is_write)
{
	struct rtc_dev *rtc = opaque;

	pthread_mutex_lock(&rtc->lock);
	if (offset == 0) {
		if (is_write)
			rtc->index = data[0] & 0x7f;
		else
			memset(data, 0xff, len);
	} else if (is_write) {
		rtc_write(rtc, data[0], rtc_host_ns());
	} else {
		memset(data, 0, len);
		data[0] = rtc_read(rtc, rtc_host_ns());
	}
	pthread_mutex_unlock(&rtc->lock);
}

/* The main loop: a second or a periodic tick has passed. */
static void
rtc_timer(void *opaque, int fd)
{
	struct rtc_dev *rtc = opaque;
	uint64_t expirations;
	int64_t now;

	pthread_mutex_lock(&rtc->lock);
	if (read(fd, &expirations, sizeof(expirations)) == (ssize_t)sizeof(expirations)) {
		now = rtc_host_ns();
		rtc_update(rtc, now);
		rtc_update_irq(rtc);
		rtc_arm(rtc, now);
	}
	pthread_mutex_unlock(&rtc->lock);
}

static int
rtc_init(struct vmm_vm *vm, void **state, char **err)
{
	struct rtc_dev *rtc = calloc(1, sizeof(*rtc));
	int ret;

	if (rtc == NULL)
		return -ENOMEM;
	pthread_mutex_init(&rtc->lock, NULL);
	rtc->vm = vm;
	rtc->cmos[RTC_REG_A] = RTC_A_DV_32K | 0x06;	/* 1024 Hz, the PC's default */
	rtc->cmos[RTC_REG_B] = RTC_B_24H;
	rtc->last_sec = rtc_guest_sec(rtc, rtc_host_ns());
	rtc->timer_fd = vmm_vm_add_timer(vm, CLOCK_MONOTONIC, rtc_timer, rtc, "rtc", err);
	if (rtc->timer_fd < 0) {
		ret = rtc->timer_fd;
		goto err_free;
	}
	ret = vmm_bus_register(&vm->bus, VMM_BUS_PIO, RTC_PORT, 2, "rtc", rtc_io, rtc);
	if (ret < 0) {
		ret = vmm_err(err, ret, "rtc: ports 0x70-0x71 are taken");
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
rtc_exit(struct vmm_vm *vm, void *state)
{
	struct rtc_dev *rtc = state;

	vmm_bus_unregister(&vm->bus, VMM_BUS_PIO, RTC_PORT);
	vmm_vm_del_timer(vm, rtc->timer_fd);
	pthread_mutex_destroy(&rtc->lock);
	free(rtc);
}

static const struct vmm_device_ops rtc_ops = {
	.name = "rtc",
	.init = rtc_init,
	.exit = rtc_exit,
};

VMM_DEVICE_REGISTER(rtc_ops)
