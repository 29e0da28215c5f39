/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fast_ring_in_memory() (port/vhost_fast.c): which guest rings both directions of the
 * vhost-user fast path may take.  Each of a ring's three areas (descriptor table, avail
 * ring, used ring, with the event index fields under VIRTIO_RING_F_EVENT_IDX) must lie
 * wholly within one region of the memory table; an area that starts inside a region and
 * runs past its end (rte_vhost keeps its address) or that spans two regions that happen
 * to be adjacent is refused.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "vhost_fast_int.h"

#define MEM (1u << 20)
#define RING 256

int
main(void)
{
	uint8_t *mem = aligned_alloc(4096, 2 * MEM);
	struct rte_vhost_memory *vm = calloc(1, sizeof(*vm) + 2 * sizeof(vm->regions[0]));
	uint8_t *end = mem + MEM;
	struct rte_vhost_vring vr = { .size = RING };

	if (mem == NULL || vm == NULL)
		return 1;
	vm->nregions = 2;
	vm->regions[0].guest_phys_addr = 0;
	vm->regions[0].size = MEM;
	vm->regions[0].host_user_addr = (uint64_t)(uintptr_t)mem;
	/* the second region right after the first in host memory */
	vm->regions[1].guest_phys_addr = 1ull << 32;
	vm->regions[1].size = MEM;
	vm->regions[1].host_user_addr = (uint64_t)(uintptr_t)end;

	vr.desc = (struct vring_desc *)mem;
	vr.avail = (struct vring_avail *)(mem + 4096);
	vr.used = (struct vring_used *)(mem + 8192);
	CHECK(fast_ring_in_memory(vm, &vr, false) && fast_ring_in_memory(vm, &vr, true),
		"a ring at the start of a region: taken");
	vr.desc = (struct vring_desc *)(end - RING * 16);
	vr.avail = (struct vring_avail *)(end - RING * 16 - 4096);
	vr.used = (struct vring_used *)(end - 4 - RING * 8 - 2);
	CHECK(fast_ring_in_memory(vm, &vr, true), "areas ending exactly at the region's end: taken");
	vr.used = (struct vring_used *)(end - 4 - RING * 8);
	CHECK(fast_ring_in_memory(vm, &vr, false), "a used ring without its event field, to the end: "
		"taken");
	CHECK(!fast_ring_in_memory(vm, &vr, true), "... with EVENT_IDX, 2 bytes past the end: refused");
	vr.used = (struct vring_used *)(end - 1024);
	CHECK(!fast_ring_in_memory(vm, &vr, false), "a used ring 1 KiB before the end (2052 bytes): "
		"refused, though the next region follows it");
	vr.used = (struct vring_used *)(mem + 8192);
	vr.avail = (struct vring_avail *)(end - 4 - RING * 2);
	CHECK(fast_ring_in_memory(vm, &vr, false), "an avail ring to the end: taken");
	CHECK(!fast_ring_in_memory(vm, &vr, true), "... with EVENT_IDX: refused");
	vr.avail = (struct vring_avail *)(mem + 4096);
	vr.desc = (struct vring_desc *)(end - RING * 16 + 16);
	CHECK(!fast_ring_in_memory(vm, &vr, false), "a descriptor table 16 bytes over: refused");
	vr.desc = (struct vring_desc *)(mem + 2 * MEM + 4096);
	CHECK(!fast_ring_in_memory(vm, &vr, false), "a descriptor table outside memory: refused");
	vr.desc = (struct vring_desc *)(end + 4096);
	CHECK(fast_ring_in_memory(vm, &vr, false), "areas in different regions: taken");
	vm->nregions = 0;
	CHECK(!fast_ring_in_memory(vm, &vr, false), "no memory table entries: refused");
	free(vm);
	free(mem);
	return check_report("test_vhost_ring");
}
