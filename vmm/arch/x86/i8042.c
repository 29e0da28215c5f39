/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The i8042 keyboard controller, reduced to what a VMM needs: its reset line.  Writing
 * command 0xfe to port 0x64 pulses the CPU reset: the guest reboots, so the VM ends.
 * There is no keyboard: the status register reads 0 (no data, input buffer empty).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vm.h"

#define I8042_DATA 0x60
#define I8042_CMD 0x64
#define I8042_CMD_RESET 0xfe

static void
i8042_io(void *opaque, uint64_t offset, uint8_t *data, unsigned int len, bool is_write)
{
	struct vmm_vm *vm = opaque;

	(void)offset;
	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	if (data[0] == I8042_CMD_RESET)
		vmm_vm_request_stop(vm, VMM_EXIT_OK, "guest reboot (i8042 reset)");
}

static void
i8042_data_io(void *opaque, uint64_t offset, uint8_t *data, unsigned int len, bool is_write)
{
	(void)opaque;
	(void)offset;
	if (!is_write)
		memset(data, 0, len);
}

static int
i8042_init(struct vmm_vm *vm, void **state, char **err)
{
	int ret;

	ret = vmm_bus_register(&vm->bus, VMM_BUS_PIO, I8042_DATA, 1, "i8042", i8042_data_io, vm);
	if (ret < 0)
		return vmm_err(err, ret, "i8042: port 0x%x is taken", I8042_DATA);
	ret = vmm_bus_register(&vm->bus, VMM_BUS_PIO, I8042_CMD, 1, "i8042", i8042_io, vm);
	if (ret < 0) {
		vmm_bus_unregister(&vm->bus, VMM_BUS_PIO, I8042_DATA);
		return vmm_err(err, ret, "i8042: port 0x%x is taken", I8042_CMD);
	}
	*state = NULL;
	return 0;
}

static void
i8042_exit(struct vmm_vm *vm, void *state)
{
	(void)state;
	vmm_bus_unregister(&vm->bus, VMM_BUS_PIO, I8042_DATA);
	vmm_bus_unregister(&vm->bus, VMM_BUS_PIO, I8042_CMD);
}

static const struct vmm_device_ops i8042_ops = {
	.name = "i8042",
	.init = i8042_init,
	.exit = i8042_exit,
};

VMM_DEVICE_REGISTER(i8042_ops)
