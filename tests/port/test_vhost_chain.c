/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fast_chain_first() (port/vhost_fast_int.h): where both directions of the vhost-user fast
 * path start walking a descriptor chain a guest made.  A head outside the ring, and an
 * indirect table that is chained on, not a whole number of descriptors, outside the
 * guest's memory or longer than the ring (a chain is at most the queue's size; a longer
 * table of empty descriptors would be walked to its end, and nothing else would stop it)
 * are refused before anything is read from them.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "vhost_fast_int.h"

#define GPA 0x100000ull
#define MEM (1u << 20)
#define RING 256

int
main(void)
{
	uint8_t *mem = aligned_alloc(4096, MEM);
	struct rte_vhost_memory *vm = calloc(1, sizeof(*vm) + sizeof(vm->regions[0]));
	struct vring_desc *ring = (struct vring_desc *)mem, *tab = (struct vring_desc *)(mem + 8192);
	struct vhost_fast f = { .mem = vm };
	struct fast_ring r = { .desc = ring, .size = RING, .ok = true };
	const volatile struct vring_desc *t;
	struct vring_desc d;
	uint32_t n;

	if (mem == NULL || vm == NULL)
		return 1;
	memset(mem, 0, MEM);
	vm->nregions = 1;
	vm->regions[0].guest_phys_addr = GPA;
	vm->regions[0].size = MEM;
	vm->regions[0].host_user_addr = (uint64_t)(uintptr_t)mem;

	ring[3] = (struct vring_desc){ GPA + 65536, 2048, VRING_DESC_F_WRITE, 0 };
	CHECK(fast_chain_first(&f, &r, 3, &t, &n, &d) && t == ring && n == RING &&
		d.addr == GPA + 65536 && d.len == 2048, "a direct chain starts in the ring");
	CHECK(!fast_chain_first(&f, &r, RING, &t, &n, &d), "head 256 of 256: refused");
	CHECK(!fast_chain_first(&f, &r, 40000, &t, &n, &d), "head 40000 of 256: refused");

	tab[0] = (struct vring_desc){ GPA + 65536, 100, VRING_DESC_F_NEXT, 1 };
	ring[4] = (struct vring_desc){ GPA + 8192, 4 * 16, VRING_DESC_F_INDIRECT, 0 };
	CHECK(fast_chain_first(&f, &r, 4, &t, &n, &d) && t == tab && n == 4 && d.len == 100 &&
		d.next == 1, "an indirect table of 4: its first entry, 4 entries");
	ring[4].len = RING * 16;
	CHECK(fast_chain_first(&f, &r, 4, &t, &n, &d) && n == RING, "... of 256 (the ring's size)");
	ring[4].len = (RING + 1) * 16;
	CHECK(!fast_chain_first(&f, &r, 4, &t, &n, &d), "... of 257: longer than the ring, refused");
	ring[4].len = 40000 * 16;
	CHECK(!fast_chain_first(&f, &r, 4, &t, &n, &d), "... of 40000 (inside memory): refused");
	ring[4].len = 7;
	CHECK(!fast_chain_first(&f, &r, 4, &t, &n, &d), "... of 7 bytes: refused");
	ring[4].len = 24;
	CHECK(!fast_chain_first(&f, &r, 4, &t, &n, &d), "... of 1.5 descriptors: refused");
	ring[4] = (struct vring_desc){ GPA + 8192, 4 * 16,
		VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 5 };
	CHECK(!fast_chain_first(&f, &r, 4, &t, &n, &d), "... chained on (NEXT): refused");
	ring[4] = (struct vring_desc){ GPA + MEM - 32, 4 * 16, VRING_DESC_F_INDIRECT, 0 };
	CHECK(!fast_chain_first(&f, &r, 4, &t, &n, &d), "... across the end of memory: refused");
	ring[4] = (struct vring_desc){ 1ull << 40, 4 * 16, VRING_DESC_F_INDIRECT, 0 };
	CHECK(!fast_chain_first(&f, &r, 4, &t, &n, &d), "... outside memory: refused");
	free(vm);
	free(mem);
	return check_report("test_vhost_chain");
}
