/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Guest memory: layout around the 32-bit hole, fd sharing (what a vhost-user backend sees
 * through the fd is what the guest wrote), hugetlb memfds, and the bad requests.
 */
#include <numa.h>
#include <numaif.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "memory.h"
#include "vmm.h"

static void
test_layout(void)
{
	struct vmm_mem_region r[VMM_MEM_MAX_REGIONS];

	CHECK(vmm_memory_layout(512ULL << 20, r) == 1);
	CHECK(r[0].gpa == 0 && r[0].size == 512ULL << 20 && r[0].fd_offset == 0);
	CHECK(vmm_memory_layout(VMM_MEM_HOLE_START, r) == 1);
	CHECK(vmm_memory_layout(4ULL << 30, r) == 2);
	CHECK(r[0].size == VMM_MEM_HOLE_START);
	CHECK(r[1].gpa == VMM_MEM_HIGH_START && r[1].size == (4ULL << 30) - VMM_MEM_HOLE_START);
	CHECK(r[1].fd_offset == VMM_MEM_HOLE_START);
}

static void
test_memfd(void)
{
	struct vmm_mem_opts o = { .size = 64ULL << 20, .shared = true, .numa_node = -1 };
	struct vmm_memory m;
	char *msg = NULL;
	uint8_t *p, c = 0;

	CHECK(vmm_memory_create(&m, &o, &msg) == 0);
	CHECK(m.fd >= 0 && m.shareable && m.nr_regions == 1 && m.regions[0].fd == m.fd);
	CHECK(vmm_memory_low_size(&m) == 64ULL << 20);
	/* On a 2 MiB boundary: KVM maps a huge page of it with one stage-2 entry. */
	CHECK(((uintptr_t)m.base & ((2u << 20) - 1)) == 0);
	p = vmm_memory_ptr(&m, 0x123456, 16);
	CHECK(p == m.base + 0x123456);
	memcpy(p, "vhost", 5);
	/* Another mapping of the same fd (as a backend would make) sees the guest's bytes. */
	{
		uint8_t *other = mmap(NULL, 1 << 21, PROT_READ, MAP_SHARED, m.regions[0].fd, 0);

		CHECK(other != MAP_FAILED && memcmp(other + 0x123456, "vhost", 5) == 0);
		if (other != MAP_FAILED)
			munmap(other, 1 << 21);
	}
	CHECK(pread(m.fd, &c, 1, 0x123457) == 1 && c == 'h');
	CHECK(vmm_memory_ptr(&m, (64ULL << 20) - 8, 8) != NULL);
	CHECK(vmm_memory_ptr(&m, (64ULL << 20) - 8, 9) == NULL);
	CHECK(vmm_memory_ptr(&m, 64ULL << 20, 1) == NULL);
	CHECK(vmm_memory_ptr(&m, UINT64_MAX - 2, 8) == NULL);
	vmm_memory_destroy(&m);
	CHECK(m.fd == -1 && m.base == NULL);

	/* Above the hole: two regions of one fd; nothing is touched, so nothing is allocated. */
	o.size = VMM_MEM_HOLE_START + (64ULL << 20);
	CHECK(vmm_memory_create(&m, &o, &msg) == 0);
	CHECK(m.nr_regions == 2 && m.regions[1].fd == m.fd);
	CHECK(m.regions[1].hva == m.base + VMM_MEM_HOLE_START);
	p = vmm_memory_ptr(&m, VMM_MEM_HIGH_START + 4096, 4);
	CHECK(p == m.base + VMM_MEM_HOLE_START + 4096);
	CHECK(vmm_memory_ptr(&m, VMM_MEM_HOLE_START, 1) == NULL);
	vmm_memory_destroy(&m);

	/* Private anonymous memory when shared=off: not shareable, no fd. */
	o.size = 32ULL << 20;
	o.shared = false;
	o.prealloc = true;
	CHECK(vmm_memory_create(&m, &o, &msg) == 0);
	CHECK(m.fd == -1 && !m.shareable && m.regions[0].fd == -1);
	CHECK(((uintptr_t)m.base & ((2u << 20) - 1)) == 0);
	vmm_memory_destroy(&m);

	/* A size that is not a whole number of pages is refused, naming it. */
	o.size = (32ULL << 20) + 1024;
	o.prealloc = false;
	CHECK(vmm_memory_create(&m, &o, &msg) == -VMM_EINPUT);
	CHECK(msg != NULL && strstr(msg, "32769 KiB") != NULL && strstr(msg, "4 KiB") != NULL);
	free(msg);
}

static void
test_hugepages(void)
{
	struct vmm_mem_opts o = {
		.size = 32ULL << 20, .hugepage_size = 2ULL << 20, .prealloc = true, .shared = true,
		.numa_node = -1,
	};
	struct vmm_memory m;
	long free_pages = vmm_memory_free_hugepages(2ULL << 20, -1);
	char *msg = NULL;

	if (free_pages >= 16) {
		CHECK(vmm_memory_create(&m, &o, &msg) == 0);
		if (msg != NULL)
			fprintf(stderr, "test_memory: %s\n", msg);
		CHECK(m.page_size == 2ULL << 20 && m.shareable && m.fd >= 0);
		CHECK(((uintptr_t)m.base & ((2u << 20) - 1)) == 0);
		CHECK(vmm_memory_free_hugepages(2ULL << 20, -1) <= free_pages - 16);
		memset(m.base, 0x5a, m.size);
		vmm_memory_destroy(&m);
		free(msg);
		msg = NULL;
	} else {
		printf("test_memory: SKIP 2M hugepage guest (%ld free)\n", free_pages);
	}
	/* More hugepages than the pool has: a message that says how to reserve them. */
	o.size = (uint64_t)(free_pages + 1024) * (2ULL << 20);
	o.prealloc = false;
	CHECK(vmm_memory_create(&m, &o, &msg) == -VMM_EINPUT);
	CHECK(msg != NULL && strstr(msg, "nr_hugepages") != NULL && strstr(msg, "echo") != NULL);
	free(msg);
	msg = NULL;
	/* A pool that does not exist (1G here, unless the host has one). */
	if (vmm_memory_free_hugepages(1ULL << 30, -1) < 0) {
		o.size = 1ULL << 30;
		o.hugepage_size = 1ULL << 30;
		CHECK(vmm_memory_create(&m, &o, &msg) == -VMM_EINPUT);
		CHECK(msg != NULL && strstr(msg, "hugepagesz=1G") != NULL);
		free(msg);
		msg = NULL;
	}
	/* Not a multiple of the page size. */
	o.size = 3ULL << 20;
	o.hugepage_size = 2ULL << 20;
	CHECK(vmm_memory_create(&m, &o, &msg) == -VMM_EINPUT);
	free(msg);
}

/* numa=0 binds the guest RAM with MPOL_BIND to node 0, and prealloc faults it in there. */
static void
test_numa(void)
{
	struct vmm_mem_opts o = {
		.size = 32ULL << 20, .shared = true, .prealloc = true, .numa_node = 0,
	};
	struct vmm_memory m;
	unsigned long mask[16] = { 0 };
	char *msg = NULL;
	int mode = -1, node = -1;

	if (numa_available() < 0) {
		printf("test_memory: SKIP numa (no NUMA support)\n");
		return;
	}
	CHECK(vmm_memory_create(&m, &o, &msg) == 0);
	CHECK(get_mempolicy(&mode, mask, sizeof(mask) * 8, m.base, MPOL_F_ADDR) == 0);
	CHECK(mode == MPOL_BIND && (mask[0] & 1));
	CHECK(get_mempolicy(&node, NULL, 0, m.base + (16ULL << 20), MPOL_F_NODE | MPOL_F_ADDR) == 0);
	CHECK(node == 0);
	vmm_memory_destroy(&m);
	free(msg);
}

static void
test_bad_sizes(void)
{
	struct vmm_mem_opts o = { .size = 1ULL << 20, .shared = true, .numa_node = -1 };
	struct vmm_memory m;
	char *msg = NULL;

	CHECK(vmm_memory_create(&m, &o, &msg) == -VMM_EINPUT);
	CHECK(msg != NULL && strstr(msg, "too small") != NULL);
	free(msg);
	msg = NULL;
	o.size = vmm_memory_host_total() + (1ULL << 30);
	CHECK(vmm_memory_create(&m, &o, &msg) == -VMM_EINPUT);
	CHECK(msg != NULL && strstr(msg, "more than this host has") != NULL);
	free(msg);
	msg = NULL;
	o.size = 64ULL << 20;
	o.numa_node = 1000;
	CHECK(vmm_memory_create(&m, &o, &msg) == -VMM_EINPUT);
	CHECK(msg != NULL && strstr(msg, "numa=1000") != NULL);
	free(msg);
	CHECK(vmm_memory_host_total() > (64ULL << 20));
}

int
main(void)
{
	test_layout();
	test_memfd();
	test_hugepages();
	test_numa();
	test_bad_sizes();
	return check_report("test_memory");
}
