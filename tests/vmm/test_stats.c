/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exit counters: reasons, the I/O table, overflow.
 */
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "stats.h"

int
main(void)
{
	struct vmm_exit_stats *s = calloc(1, sizeof(*s));
	unsigned int i;

	if (s == NULL)
		return 2;
	vmm_stats_reason(s, KVM_EXIT_IO);
	vmm_stats_reason(s, KVM_EXIT_IO);
	vmm_stats_reason(s, KVM_EXIT_HLT);
	vmm_stats_reason(s, 1000);
	CHECK(s->reasons[KVM_EXIT_IO] == 2);
	CHECK(s->reasons[KVM_EXIT_HLT] == 1);
	CHECK(s->other_reasons == 1);
	CHECK(strcmp(vmm_stats_reason_name(KVM_EXIT_IO), "io") == 0);
	CHECK(strcmp(vmm_stats_reason_name(KVM_EXIT_SHUTDOWN), "shutdown") == 0);
	CHECK(vmm_stats_reason_name(1000) == NULL);

	for (i = 0; i < 5; i++)
		vmm_stats_io(s, VMM_STAT_PIO_OUT, 0x3f8);
	vmm_stats_io(s, VMM_STAT_PIO_IN, 0x3f8);
	vmm_stats_io(s, VMM_STAT_MMIO_WRITE, 3);
	CHECK(vmm_stats_io_get(s, VMM_STAT_PIO_OUT, 0x3f8) == 5);
	CHECK(vmm_stats_io_get(s, VMM_STAT_PIO_IN, 0x3f8) == 1);
	CHECK(vmm_stats_io_get(s, VMM_STAT_MMIO_WRITE, 3) == 1);
	CHECK(vmm_stats_io_get(s, VMM_STAT_MMIO_READ, 3) == 0);
	CHECK(vmm_stats_io_get(s, VMM_STAT_PIO_OUT, 0x3f9) == 0);

	/* Fill the table: every key keeps its own count, the excess goes to overflow. */
	for (i = 0; i < VMM_STATS_SLOTS + 10; i++)
		vmm_stats_io(s, VMM_STAT_PIO_IN, 0x1000 + i);
	CHECK(s->overflow == 10 + 3);
	CHECK(vmm_stats_io_get(s, VMM_STAT_PIO_OUT, 0x3f8) == 5);
	{
		unsigned int found = 0;

		for (i = 0; i < VMM_STATS_SLOTS + 10; i++)
			found += vmm_stats_io_get(s, VMM_STAT_PIO_IN, 0x1000 + i) == 1;
		CHECK(found == VMM_STATS_SLOTS - 3);
	}
	free(s);
	return check_report("test_stats");
}
