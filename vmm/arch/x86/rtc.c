/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A CMOS RTC (MC146818) that tells the time: port 0x70 selects a register, 0x71 reads it.
 * Time registers come from the host's UTC clock in BCD, 24-hour mode; status A never shows
 * an update in progress; status D says the battery is good.  Other registers are plain
 * CMOS bytes.  No alarms, no periodic interrupt.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"
#include "vm.h"

#define RTC_PORT 0x70
#define RTC_SECONDS 0x00
#define RTC_MINUTES 0x02
#define RTC_HOURS 0x04
#define RTC_WEEKDAY 0x06
#define RTC_DAY 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_REG_A 0x0a
#define RTC_REG_B 0x0b
#define RTC_REG_C 0x0c
#define RTC_REG_D 0x0d
#define RTC_CENTURY 0x32

#define RTC_B_24H 0x02
#define RTC_D_VRT 0x80

struct rtc_dev {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t cmos[128];
};

static uint8_t
bcd(int v)
{
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static uint8_t
rtc_read(struct rtc_dev *rtc)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	switch (rtc->index) {
	case RTC_SECONDS: return bcd(tm.tm_sec);
	case RTC_MINUTES: return bcd(tm.tm_min);
	case RTC_HOURS: return bcd(tm.tm_hour);
	case RTC_WEEKDAY: return bcd(tm.tm_wday + 1);
	case RTC_DAY: return bcd(tm.tm_mday);
	case RTC_MONTH: return bcd(tm.tm_mon + 1);
	case RTC_YEAR: return bcd(tm.tm_year % 100);
	case RTC_CENTURY: return bcd((tm.tm_year + 1900) / 100);
	case RTC_REG_A: return 0x26;
	case RTC_REG_B: return RTC_B_24H;
	case RTC_REG_C: return 0;
	case RTC_REG_D: return RTC_D_VRT;
	default: return rtc->cmos[rtc->index];
	}
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
		if (rtc->index > RTC_REG_D)
			rtc->cmos[rtc->index] = data[0];
	} else {
		memset(data, 0, len);
		data[0] = rtc_read(rtc);
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
	ret = vmm_bus_register(&vm->bus, VMM_BUS_PIO, RTC_PORT, 2, "rtc", rtc_io, rtc);
	if (ret < 0) {
		pthread_mutex_destroy(&rtc->lock);
		free(rtc);
		return vmm_err(err, ret, "rtc: ports 0x70-0x71 are taken");
	}
	*state = rtc;
	return 0;
}

static void
rtc_exit(struct vmm_vm *vm, void *state)
{
	struct rtc_dev *rtc = state;

	vmm_bus_unregister(&vm->bus, VMM_BUS_PIO, RTC_PORT);
	pthread_mutex_destroy(&rtc->lock);
	free(rtc);
}

static const struct vmm_device_ops rtc_ops = {
	.name = "rtc",
	.init = rtc_init,
	.exit = rtc_exit,
};

VMM_DEVICE_REGISTER(rtc_ops)
