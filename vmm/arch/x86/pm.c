/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ACPI fixed hardware: the PM1a event block (status, enable), the PM1a control register and
 * the PM timer, as the FADT describes them (x86.h).  Writing SLP_TYP=S5 with SLP_EN to PM1a
 * control powers the VM off.  SCI_EN always reads as set: the machine is in ACPI mode.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vm.h"
#include "x86.h"

#define PM1_SCI_EN 0x0001
#define PM1_SLP_EN 0x2000
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP_MASK 0x7
#define PM_TIMER_HZ 3579545ULL

struct pm_dev {
	struct vmm_vm *vm;
	pthread_mutex_t lock;
	uint16_t sts;
	uint16_t en;
	uint16_t cnt;
};

static uint32_t
pm_timer(void)
{
	unsigned __int128 t = (unsigned __int128)vmm_now_ns() * PM_TIMER_HZ;

	return (uint32_t)(t / 1000000000ULL) & 0xffffff;
}

static uint32_t
pm_read(struct pm_dev *pm, unsigned int reg)
{
	switch (reg) {
	case 0:
		return pm->sts;
	case 2:
		return pm->en;
	case 4:
		return pm->cnt | PM1_SCI_EN;
	case 8:
		return pm_timer();
	default:
		return 0;
	}
}

static void
pm_write(struct pm_dev *pm, unsigned int reg, uint32_t v)
{
	switch (reg) {
	case 0:
		pm->sts &= (uint16_t)~v;
		break;
	case 2:
		pm->en = (uint16_t)v;
		break;
	case 4:
		pm->cnt = (uint16_t)(v & ~PM1_SLP_EN);
		if ((v & PM1_SLP_EN) &&
		    ((v >> PM1_SLP_TYP_SHIFT) & PM1_SLP_TYP_MASK) == X86_SLP_TYP_S5)
			vmm_vm_request_stop(pm->vm, VMM_EXIT_OK, "guest power-off (ACPI S5)");
		break;
	default:
		break;
	}
}

/* Registers are 2 bytes (4 for the timer); accesses may be split or combined. */
static void
pm_io(void *opaque, uint64_t offset, uint8_t *data, unsigned int len, bool is_write)
{
	struct pm_dev *pm = opaque;
	unsigned int reg = (unsigned int)offset & ~1U;
	unsigned int shift = ((unsigned int)offset & 1) * 8;
	uint32_t v = 0;

	if (offset >= 8) {
		reg = 8;
		shift = ((unsigned int)offset - 8) * 8;
	}
	pthread_mutex_lock(&pm->lock);
	if (is_write) {
		memcpy(&v, data, len < 4 ? len : 4);
		if (len == 1)
			v = (pm_read(pm, reg) & ~(0xffU << shift)) | (v << shift);
		pm_write(pm, reg, v);
		if (len == 4 && reg < 4)
			pm_write(pm, reg + 2, v >> 16);
	} else {
		v = pm_read(pm, reg) >> shift;
		if (len == 4 && reg < 4)
			v = (v & 0xffff) | (pm_read(pm, reg + 2) << 16);
		memset(data, 0, len);
		memcpy(data, &v, len < 4 ? len : 4);
	}
	pthread_mutex_unlock(&pm->lock);
}

static int
pm_init(struct vmm_vm *vm, void **state, char **err)
{
	struct pm_dev *pm = calloc(1, sizeof(*pm));
	int ret;

	if (pm == NULL)
		return -ENOMEM;
	pm->vm = vm;
	pthread_mutex_init(&pm->lock, NULL);
	ret = vmm_bus_register(&vm->bus, VMM_BUS_PIO, X86_PM_BASE, X86_PM_LEN, "acpi-pm", pm_io, pm);
	if (ret < 0) {
		pthread_mutex_destroy(&pm->lock);
		free(pm);
		return vmm_err(err, ret, "acpi-pm: ports 0x%x-0x%x are taken", X86_PM_BASE,
			X86_PM_BASE + X86_PM_LEN - 1);
	}
	*state = pm;
	return 0;
}

static void
pm_exit(struct vmm_vm *vm, void *state)
{
	struct pm_dev *pm = state;

	vmm_bus_unregister(&vm->bus, VMM_BUS_PIO, X86_PM_BASE);
	pthread_mutex_destroy(&pm->lock);
	free(pm);
}

static const struct vmm_device_ops pm_ops = {
	.name = "acpi-pm",
	.init = pm_init,
	.exit = pm_exit,
};

VMM_DEVICE_REGISTER(pm_ops)
