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

	/*
	 * Fill the table: every key keeps its own count or, when no slot lies within reach of
	 * its hash, counts as overflow; the keys already in keep theirs.
	 */
	{
		uint64_t before = s->overflow;
		unsigned int found = 0;

		for (i = 0; i < VMM_STATS_SLOTS + 10; i++)
			vmm_stats_io(s, VMM_STAT_PIO_IN, 0x1000 + i);
		for (i = 0; i < VMM_STATS_SLOTS + 10; i++)
			found += vmm_stats_io_get(s, VMM_STAT_PIO_IN, 0x1000 + i) == 1;
		CHECK(found + (s->overflow - before) == VMM_STATS_SLOTS + 10, "%u + %llu", found,
			(unsigned long long)(s->overflow - before));
		CHECK(found >= VMM_STATS_SLOTS - 3 - 16, "only %u keys in", found);
		CHECK(vmm_stats_io_get(s, VMM_STAT_PIO_OUT, 0x3f8) == 5);
	}
	/*
	 * A guest touching 1000 unclaimed pages takes a bounded share of the table; the rest
	 * count together, and the devices' keys that come later still find room.
	 */
	memset(s, 0, sizeof(*s));
	for (i = 0; i < 1000; i++)
		vmm_stats_io(s, VMM_STAT_MMIO_UNCLAIMED_READ, 0x100000 + i * 7);
	{
		uint64_t sum = vmm_stats_io_get(s, VMM_STAT_MMIO_UNCLAIMED_READ, VMM_STAT_OTHER_PAGES);
		unsigned int pages = 0;

		for (i = 0; i < 1000; i++) {
			uint64_t c = vmm_stats_io_get(s, VMM_STAT_MMIO_UNCLAIMED_READ, 0x100000 + i * 7);

			pages += c != 0;
			sum += c;
		}
		CHECK(pages == VMM_STATS_UNCLAIMED_PAGES && sum == 1000 && s->overflow == 0,
			"%u pages, %llu counted, %llu overflow", pages, (unsigned long long)sum,
			(unsigned long long)s->overflow);
	}
	for (i = 0; i < 100; i++)
		vmm_stats_io(s, VMM_STAT_MMIO_WRITE, 1000 + i);
	for (i = 0; i < 100; i++)
		CHECK(vmm_stats_io_get(s, VMM_STAT_MMIO_WRITE, 1000 + i) == 1, "range %u", 1000 + i);
	CHECK(s->overflow == 0);
	free(s);
	return check_report("test_stats");
}
