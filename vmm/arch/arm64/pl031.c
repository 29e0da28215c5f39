/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An ARM PrimeCell PL031 RTC that tells the time: the data register counts seconds since
 * the epoch from the host's clock, plus whatever offset the guest set by writing the load
 * register.  The match, mask and interrupt registers keep what the guest writes but no
 * alarm ever fires (no timer behind it), so the interrupt line stays low.  The PrimeCell
 * ID registers let Linux's AMBA bus find the driver.  Accesses are 32-bit and aligned;
 * anything else reads all ones and writes nothing.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	int64_t offset;		/* guest time minus host time, in seconds */
	uint32_t match;
	uint32_t imsc;
};

static uint32_t
now(const struct pl031 *rtc)
{
	return (uint32_t)(time(NULL) + rtc->offset);
}

static uint32_t
pl031_read(struct pl031 *rtc, uint64_t off)
{
	if (off >= RTC_ID && off < RTC_ID + 4 * sizeof(pl031_id))
		return pl031_id[(off - RTC_ID) / 4];
	switch (off) {
	case RTC_DR: return now(rtc);
	case RTC_MR: return rtc->match;
	case RTC_LR: return now(rtc);
	case RTC_CR: return 1;
	case RTC_IMSC: return rtc->imsc;
	default: return 0;	/* RIS, MIS: no alarm fires; reserved registers */
	}
}

static void
pl031_write(struct pl031 *rtc, uint64_t off, uint32_t v)
{
	switch (off) {
	case RTC_MR: rtc->match = v; break;
	case RTC_LR: rtc->offset = (int64_t)v - (int64_t)time(NULL); break;
	case RTC_IMSC: rtc->imsc = v & 1; break;
	default: break;		/* DR, CR, RIS, MIS read-only; ICR: nothing pending */
	}
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
	ret = vmm_bus_register(&vm->bus, VMM_BUS_MMIO, ARM64_RTC_BASE, ARM64_RTC_SIZE, "pl031",
		pl031_access, rtc);
	if (ret < 0) {
		pthread_mutex_destroy(&rtc->lock);
		free(rtc);
		return vmm_err(err, ret, "pl031: 0x%llx is taken", (unsigned long long)ARM64_RTC_BASE);
	}
	*state = rtc;
	return 0;
}

static void
pl031_exit(struct vmm_vm *vm, void *state)
{
	struct pl031 *rtc = state;

	vmm_bus_unregister(&vm->bus, VMM_BUS_MMIO, ARM64_RTC_BASE);
	pthread_mutex_destroy(&rtc->lock);
	free(rtc);
}

static const struct vmm_device_ops pl031_ops = {
	.name = "pl031",
	.init = pl031_init,
	.exit = pl031_exit,
};

VMM_DEVICE_REGISTER(pl031_ops)
