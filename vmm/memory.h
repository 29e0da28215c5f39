/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VMM_MEMORY_H
#define VIREO_VMM_MEMORY_H

/*
 * Guest RAM.
 *
 * All guest RAM lives in one file: a memfd, or a hugetlb memfd (2 MiB or 1 GiB pages) for
 * --memory ...,hugepages=.  The file is mapped once into the VMM; guest-physical regions are
 * windows of that mapping.  On x86 the RAM is split around the 32-bit MMIO hole
 * [VMM_MEM_HOLE_START, 4 GiB): region 0 is [0, min(size, hole)) at file offset 0, region 1
 * is [4 GiB, ...) at file offset VMM_MEM_HOLE_START.
 *
 * For vhost-user (SET_MEM_TABLE) each region exposes its guest-physical address, size,
 * host virtual address, file descriptor and offset in that file.  The backend can map the
 * same pages only when the mapping is shared (shared=on, or hugepages: see 'shareable').
 *
 * Thread-safety: a struct vmm_memory is built before any vCPU runs and is read-only after,
 * so any thread may translate addresses without locking.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Start of the 32-bit PCI/IOAPIC/LAPIC hole: RAM above it moves to 4 GiB. */
#define VMM_MEM_HOLE_START 0xC0000000ULL
#define VMM_MEM_HIGH_START 0x100000000ULL
#define VMM_MEM_MAX_REGIONS 2

/** One guest-physical window of guest RAM. */
struct vmm_mem_region {
	uint64_t gpa;		/**< guest-physical start */
	uint64_t size;		/**< bytes */
	uint8_t *hva;		/**< where the VMM sees it */
	int fd;			/**< the backing file (same for every region) */
	uint64_t fd_offset;	/**< offset of 'gpa' in 'fd' */
};

/** What --memory asks for. */
struct vmm_mem_opts {
	uint64_t size;
	uint64_t hugepage_size;	/**< 0, 2 MiB or 1 GiB */
	bool prealloc;
	bool shared;
	int numa_node;		/**< -1: no binding */
};

struct vmm_memory {
	int fd;
	uint8_t *base;		/**< the whole file, mapped */
	uint64_t size;
	uint64_t page_size;
	bool shareable;		/**< MAP_SHARED: a vhost-user backend can map 'fd' */
	unsigned int nr_regions;
	struct vmm_mem_region regions[VMM_MEM_MAX_REGIONS];
};

/**
 * Create guest RAM per 'opts'.  Bad requests (too small, more than the host has, hugepages
 * not reserved, unknown NUMA node) return -VMM_EINPUT with a message in '*err' that says
 * how to fix it; system failures return -errno.
 */
int vmm_memory_create(struct vmm_memory *mem, const struct vmm_mem_opts *opts, char **err);

/** Unmap and close. */
void vmm_memory_destroy(struct vmm_memory *mem);

/**
 * The VMM's pointer to guest-physical ['gpa', 'gpa' + 'len'), or NULL when that range is not
 * entirely inside one RAM region.
 */
void *vmm_memory_ptr(const struct vmm_memory *mem, uint64_t gpa, uint64_t len);

/** Size of RAM below the hole (region 0). */
uint64_t vmm_memory_low_size(const struct vmm_memory *mem);

/**
 * Lay out the regions for 'size' bytes of RAM: fills 'regions' (gpa, size, fd_offset only)
 * and returns their count.  Exposed for tests.
 */
unsigned int vmm_memory_layout(uint64_t size, struct vmm_mem_region *regions);

/** MemTotal of the host in bytes (0 when unknown).  Exposed for tests. */
uint64_t vmm_memory_host_total(void);

/**
 * Free hugepages of 'page_size' on the host (or on NUMA node 'node' when >= 0);
 * -ENOENT when the kernel has no pool of that size.
 */
long vmm_memory_free_hugepages(uint64_t page_size, int node);

#endif /* VIREO_VMM_MEMORY_H */
