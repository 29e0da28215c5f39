/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device bus: registration, overlap, dispatch, unclaimed accesses.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "bus.h"
#include "check.h"

struct rec {
	uint64_t offset;
	unsigned int len;
	bool is_write;
	uint8_t last;
	int calls;
};

static void
cb(void *opaque, uint64_t offset, uint8_t *data, unsigned int len, bool is_write)
{
	struct rec *r = opaque;

	r->offset = offset;
	r->len = len;
	r->is_write = is_write;
	r->calls++;
	if (is_write)
		r->last = data[0];
	else
		memset(data, 0x42, len);
}

int
main(void)
{
	struct vmm_bus bus;
	struct rec a = { 0 }, b = { 0 }, m = { 0 };
	uint8_t d[8];
	int id_a, id_b, id_m, ret;
	char name[32];
	uint64_t base, len;
	enum vmm_bus_space space;

	vmm_bus_init(&bus);
	id_a = vmm_bus_register(&bus, VMM_BUS_PIO, 0x3f8, 8, "a", cb, &a);
	CHECK(id_a >= 0);
	id_b = vmm_bus_register(&bus, VMM_BUS_PIO, 0x400, 0x10, "b", cb, &b);
	CHECK(id_b >= 0 && id_b != id_a);
	/* Overlaps: inside, straddling either end, covering. */
	CHECK(vmm_bus_register(&bus, VMM_BUS_PIO, 0x3fc, 1, "x", cb, &a) == -EEXIST);
	CHECK(vmm_bus_register(&bus, VMM_BUS_PIO, 0x3f0, 9, "x", cb, &a) == -EEXIST);
	CHECK(vmm_bus_register(&bus, VMM_BUS_PIO, 0x3ff, 2, "x", cb, &a) == -EEXIST);
	CHECK(vmm_bus_register(&bus, VMM_BUS_PIO, 0x300, 0x200, "x", cb, &a) == -EEXIST);
	CHECK(vmm_bus_register(&bus, VMM_BUS_PIO, 0x500, 0, "x", cb, &a) == -EINVAL);
	CHECK(vmm_bus_register(&bus, VMM_BUS_MMIO, UINT64_MAX - 1, 4, "x", cb, &a) == -EINVAL);
	/* Adjacent ranges are fine; the same address in the other space too. */
	CHECK(vmm_bus_register(&bus, VMM_BUS_PIO, 0x3f0, 8, "c", cb, &a) >= 0);
	id_m = vmm_bus_register(&bus, VMM_BUS_MMIO, 0x3f8, 0x1000, "m", cb, &m);
	CHECK(id_m >= 0);

	/* Dispatch with the offset inside the range. */
	d[0] = 0x77;
	CHECK(vmm_bus_access(&bus, VMM_BUS_PIO, 0x3fd, d, 1, true) == id_a);
	CHECK(a.offset == 5 && a.len == 1 && a.is_write && a.last == 0x77);
	CHECK(vmm_bus_access(&bus, VMM_BUS_PIO, 0x40e, d, 2, false) == id_b);
	CHECK(b.offset == 0xe && d[0] == 0x42 && d[1] == 0x42);
	CHECK(vmm_bus_access(&bus, VMM_BUS_MMIO, 0x3f8 + 0x10, d, 8, false) == id_m);
	CHECK(m.offset == 0x10 && m.len == 8);

	/*
	 * After 2^31 registrations (a guest moving a BAR again and again) ids stay
	 * non-negative, so accesses still count as claimed, and no two live ranges share one.
	 */
	{
		unsigned int saved = bus.next_id;
		int id_hi, id_lo;

		bus.next_id = INT_MAX;
		id_hi = vmm_bus_register(&bus, VMM_BUS_MMIO, 0x100000, 0x1000, "hi", cb, &m);
		id_lo = vmm_bus_register(&bus, VMM_BUS_MMIO, 0x200000, 0x1000, "lo", cb, &m);
		CHECK(id_hi == INT_MAX && id_lo >= 0, "ids %d %d", id_hi, id_lo);
		CHECK(id_lo != id_a && id_lo != id_b && id_lo != id_m, "id %d reused", id_lo);
		CHECK(vmm_bus_access(&bus, VMM_BUS_MMIO, 0x100004, d, 4, false) == id_hi);
		CHECK(vmm_bus_access(&bus, VMM_BUS_MMIO, 0x200004, d, 4, false) == id_lo);
		CHECK(vmm_bus_unregister(&bus, VMM_BUS_MMIO, 0x100000) == 0 &&
		      vmm_bus_unregister(&bus, VMM_BUS_MMIO, 0x200000) == 0);
		bus.next_id = saved;
	}

	/* Unclaimed: reads are all ones, nobody is called. */
	memset(d, 0, sizeof(d));
	CHECK(vmm_bus_access(&bus, VMM_BUS_PIO, 0x80, d, 4, false) == -ENOENT);
	CHECK(d[0] == 0xff && d[3] == 0xff);
	/* An access running past the end of a range is refused. */
	a.calls = 0;
	CHECK(vmm_bus_access(&bus, VMM_BUS_PIO, 0x3ff, d, 2, false) == -ENOENT);
	CHECK(a.calls == 0);

	CHECK(vmm_bus_range_name(&bus, (unsigned int)id_b, name, sizeof(name), &base, &len, &space));
	CHECK(strcmp(name, "b") == 0 && base == 0x400 && len == 0x10 && space == VMM_BUS_PIO);
	CHECK(!vmm_bus_range_name(&bus, 999, name, sizeof(name), &base, &len, &space));

	/* Unregister frees the range for someone else. */
	CHECK(vmm_bus_unregister(&bus, VMM_BUS_PIO, 0x400) == 0);
	CHECK(vmm_bus_unregister(&bus, VMM_BUS_PIO, 0x400) == -ENOENT);
	CHECK(vmm_bus_access(&bus, VMM_BUS_PIO, 0x400, d, 1, false) == -ENOENT);
	ret = vmm_bus_register(&bus, VMM_BUS_PIO, 0x400, 4, "d", cb, &b);
	CHECK(ret >= 0 && ret != id_b);

	vmm_bus_destroy(&bus);
	return check_report("test_bus");
}
