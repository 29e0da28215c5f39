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

static uint8_t
pm_read_byte(struct pm_dev *pm, unsigned int b, uint32_t timer)
{
	if (b >= 8)
		return (uint8_t)(timer >> (8 * (b - 8)));
	return (uint8_t)(pm_read(pm, b & ~1U) >> (8 * (b & 1)));
}

/*
 * A byte changes its own half of a register: PM1_STS clears only the bits of the byte
 * written (write 1 to clear); enable and control keep their other byte; the timer is
 * read-only.
 */
static void
pm_write_byte(struct pm_dev *pm, unsigned int b, uint8_t v)
{
	unsigned int reg = b & ~1U, shift = 8 * (b & 1);

	if (reg == 0)
		pm_write(pm, 0, (uint32_t)v << shift);
	else if (reg < 8)
		pm_write(pm, reg, (pm_read(pm, reg) & ~(0xffU << shift)) | (uint32_t)v << shift);
}

/*
 * Registers are 2 bytes (4 for the timer); an access of any width at any offset is one
 * access per byte, each to the register it falls in, so a guest's split or combined
 * accesses mean what they would on hardware.  The timer is read once per access.
 */
static void
pm_io(void *opaque, uint64_t offset, uint8_t *data, unsigned int len, bool is_write)
{
	struct pm_dev *pm = opaque;
	uint32_t timer = is_write ? 0 : pm_timer();

	pthread_mutex_lock(&pm->lock);
	for (unsigned int i = 0; i < len; i++) {
		unsigned int b = (unsigned int)offset + i;

		if (is_write)
			pm_write_byte(pm, b, data[i]);
		else
			data[i] = pm_read_byte(pm, b, timer);
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
