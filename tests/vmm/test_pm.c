/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * x86's ACPI PM1 block (vmm/arch/x86/pm.c) as a guest reaches it through ports
 * 0x600-0x60b: any width at any offset is one access per byte, each to its own register
 * (enable, control, timer); PM1_STS's write-1-to-clear touches only the bytes written; the
 * timer is read-only; SLP_TYP=S5 with SLP_EN, written a byte at a time, powers off.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "vm.h"
#include "x86.h"

static struct vmm_vm vm;

static uint32_t
rd(unsigned int off, unsigned int len)
{
	uint8_t b[4] = { 0 };
	uint32_t v = 0;

	vmm_bus_access(&vm.bus, VMM_BUS_PIO, X86_PM_BASE + off, b, len, false);
	for (unsigned int i = 0; i < len; i++)
		v |= (uint32_t)b[i] << (8 * i);
	return v;
}

static void
wr(unsigned int off, unsigned int len, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	vmm_bus_access(&vm.bus, VMM_BUS_PIO, X86_PM_BASE + off, b, len, true);
}

int
main(void)
{
	char *err = NULL;
	uint32_t t;

	memset(&vm, 0, sizeof(vm));
	vmm_bus_init(&vm.bus);
	pthread_mutex_init(&vm.stop_lock, NULL);
	vm.vm_fd = vm.stop_fd = vm.epoll_fd = -1;
	CHECK(vmm_devices_init(&vm, &err) == 0, "%s", err != NULL ? err : "");
	/* PM1_EN: words, bytes, and a word straddling into PM1_CNT. */
	wr(2, 2, 0x0120);
	CHECK(rd(2, 2) == 0x0120 && rd(3, 1) == 0x01 && rd(2, 1) == 0x20);
	wr(3, 1, 0x03);
	CHECK(rd(2, 2) == 0x0320, "PM1_EN 0x%04x after a byte write to its high half", rd(2, 2));
	wr(3, 2, 0x0000);			/* EN's high byte, CNT's low byte */
	CHECK(rd(2, 2) == 0x0020, "PM1_EN 0x%04x after a word at offset 3", rd(2, 2));
	/* A dword at offset 0: status (write 1 to clear, nothing set) and enable. */
	wr(0, 4, 0x0101ffff);
	CHECK(rd(0, 4) == 0x01010000, "PM1_EVT 0x%08x", rd(0, 4));
	CHECK(rd(1, 2) == 0x0100 && rd(1, 4) == 0x01010100, "odd reads 0x%08x", rd(1, 4));
	/* PM1_CNT: SCI_EN reads set; the timer is read-only and counts. */
	CHECK(rd(4, 2) == 0x0001);
	t = rd(8, 4);
	wr(8, 4, 0);
	CHECK(rd(8, 4) != 0 || t != 0);
	CHECK(rd(8, 4) < (1u << 24) && (rd(10, 2) & 0xff00) == 0);
	/* S5 a byte at a time: SLP_TYP alone does nothing, SLP_EN with it powers off. */
	wr(5, 1, X86_SLP_TYP_S5 << 2);
	CHECK(!vm.stop_requested && rd(5, 1) == X86_SLP_TYP_S5 << 2);
	wr(5, 1, X86_SLP_TYP_S5 << 2 | 0x20);
	CHECK(vm.stop_requested && vm.exit_status == VMM_EXIT_OK);
	vmm_devices_exit(&vm);
	vmm_bus_destroy(&vm.bus);
	free(err);
	return check_report("test_pm");
}
