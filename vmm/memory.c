/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Guest RAM from a memfd or a hugetlb memfd, mapped shared.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/memfd.h>
#include <numa.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "memory.h"
#include "util.h"
#include "vmm.h"

/* Below this the Linux boot protocol layout (16 MiB kernel load address) cannot work. */
#define MEM_MIN (32ULL << 20)

uint64_t
vmm_memory_host_total(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	unsigned long long kb = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb << 10;
}

static long
read_long(const char *path)
{
	FILE *f = fopen(path, "re");
	long v;

	if (f == NULL)
		return -errno;
	if (fscanf(f, "%ld", &v) != 1)
		v = -EINVAL;
	fclose(f);
	return v;
}

long
vmm_memory_free_hugepages(uint64_t page_size, int node)
{
	char path[160];
	long free_pages, resv = 0;

	if (node >= 0)
		snprintf(path, sizeof(path),
			"/sys/devices/system/node/node%d/hugepages/hugepages-%" PRIu64 "kB/free_hugepages",
			node, page_size >> 10);
	else
		snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%" PRIu64
			"kB/free_hugepages", page_size >> 10);
	free_pages = read_long(path);
	if (free_pages < 0)
		return -ENOENT;
	if (node < 0) {
		snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%" PRIu64
			"kB/resv_hugepages", page_size >> 10);
		resv = read_long(path);
		if (resv < 0)
			resv = 0;
	}
	return free_pages > resv ? free_pages - resv : 0;
}

static const char *
page_name(uint64_t page_size)
{
	return page_size == (1ULL << 30) ? "1G" : "2M";
}

static int
hugepage_error(const struct vmm_mem_opts *opts, long free_pages, char **err)
{
	uint64_t need = opts->size / opts->hugepage_size;
	char pool[160];
	long total;

	snprintf(pool, sizeof(pool), "/sys/kernel/mm/hugepages/hugepages-%" PRIu64 "kB",
		opts->hugepage_size >> 10);
	if (free_pages == -ENOENT)
		return vmm_err(err, -VMM_EINPUT,
			"--memory hugepages=%s: this host has no %s hugepage pool (%s is missing); "
			"reserve them at boot with: default_hugepagesz=%s hugepagesz=%s hugepages=%" PRIu64,
			page_name(opts->hugepage_size), page_name(opts->hugepage_size), pool,
			page_name(opts->hugepage_size), page_name(opts->hugepage_size), need);
	snprintf(pool + strlen(pool), sizeof(pool) - strlen(pool), "/nr_hugepages");
	total = read_long(pool);
	if (total < 0)
		total = 0;
	return vmm_err(err, -VMM_EINPUT,
		"--memory hugepages=%s: %" PRIu64 " hugepages of %s needed, %ld free%s; reserve "
		"them with: echo %" PRIu64 " > %s",
		page_name(opts->hugepage_size), need, page_name(opts->hugepage_size), free_pages,
		opts->numa_node >= 0 ? " on that NUMA node" : "",
		(uint64_t)total + need - (uint64_t)free_pages, pool);
}

static int
check_opts(const struct vmm_mem_opts *opts, char **err)
{
	uint64_t host = vmm_memory_host_total();

	if (opts->size < MEM_MIN)
		return vmm_err(err, -VMM_EINPUT, "--memory: %" PRIu64 " KiB is too small (minimum %llu MiB)",
			opts->size >> 10, MEM_MIN >> 20);
	if (opts->size % 4096 != 0)
		return vmm_err(err, -VMM_EINPUT, "--memory: %" PRIu64 " KiB is not a multiple of 4 KiB",
			opts->size >> 10);
	if (host != 0 && opts->size > host)
		return vmm_err(err, -VMM_EINPUT,
			"--memory: %" PRIu64 " MiB is more than this host has (%" PRIu64 " MiB)",
			opts->size >> 20, host >> 20);
	if (opts->hugepage_size != 0) {
		long free_pages;

		if (opts->size % opts->hugepage_size != 0)
			return vmm_err(err, -VMM_EINPUT,
				"--memory: %" PRIu64 " MiB is not a multiple of the hugepage size %s",
				opts->size >> 20, page_name(opts->hugepage_size));
		free_pages = vmm_memory_free_hugepages(opts->hugepage_size, opts->numa_node);
		if (free_pages < 0 || (uint64_t)free_pages < opts->size / opts->hugepage_size)
			return hugepage_error(opts, free_pages, err);
	}
	if (opts->numa_node >= 0) {
		if (numa_available() < 0)
			return vmm_err(err, -VMM_EINPUT, "--memory numa=%d: this host has no NUMA support",
				opts->numa_node);
		if (opts->numa_node > numa_max_node())
			return vmm_err(err, -VMM_EINPUT,
				"--memory numa=%d: no such node (this host has nodes 0-%d)",
				opts->numa_node, numa_max_node());
	}
	return 0;
}

static int
bind_node(struct vmm_memory *mem, int node, char **err)
{
	unsigned long mask[16] = { 0 };

	mask[node / (8 * sizeof(long))] |= 1UL << (node % (8 * sizeof(long)));
	if (mbind(mem->base, mem->size, MPOL_BIND, mask, sizeof(mask) * 8, MPOL_MF_STRICT) < 0)
		return vmm_err(err, -errno, "guest memory: mbind to NUMA node %d: %s", node,
			strerror(errno));
	return 0;
}

static int
prealloc(struct vmm_memory *mem, char **err)
{
	uint64_t off;

	if (madvise(mem->base, mem->size, MADV_POPULATE_WRITE) == 0)
		return 0;
	if (errno == ENOMEM || errno == EFAULT)
		return vmm_err(err, -VMM_EINPUT,
			"--memory prealloc=on: the host could not provide %" PRIu64 " MiB", mem->size >> 20);
	for (off = 0; off < mem->size; off += mem->page_size)
		*(volatile uint8_t *)(mem->base + off) = 0;
	return 0;
}

/* Guest RAM starts on a 2 MiB boundary of the VMM's address space, as the guest-physical
 * addresses of its memory slots do: only then can KVM map a transparent huge page of it
 * with one stage-2 (EPT/NPT) entry, which saves the guest one nested page fault per 4 KiB
 * it touches.  Hugetlb mappings are aligned by the kernel anyway, and shmem ones when
 * shmem THP is on; private anonymous memory is not before Linux 6.7.  A reservation one
 * alignment larger is placed first (no other thread exists yet to map into its holes) and
 * trimmed to the aligned range.
 * 'page' is the hugetlb page size (0 if none): 1 GiB pages need a 1 GiB boundary.
 * Returns the mapping or MAP_FAILED with errno set. */
static uint8_t *
map_aligned(uint64_t size, uint64_t page, int flags, int fd)
{
	const uint64_t align = page > (2ULL << 20) ? page : 2ULL << 20;
	uint8_t *res, *base;
	uint64_t head;

	res = mmap(NULL, size + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		-1, 0);
	if (res == MAP_FAILED)
		return MAP_FAILED;
	head = (align - ((uintptr_t)res & (align - 1))) & (align - 1);
	base = mmap(res + head, size, PROT_READ | PROT_WRITE, flags | MAP_FIXED, fd, 0);
	if (base == MAP_FAILED) {
		int e = errno;

		munmap(res, size + align);
		errno = e;
		return MAP_FAILED;
	}
	if (head != 0)
		munmap(res, head);
	munmap(base + size, align - head);
	return base;
}

static int
map_memory(struct vmm_memory *mem, const struct vmm_mem_opts *opts, char **err)
{
	unsigned int flags = MFD_CLOEXEC;

	if (!opts->shared && opts->hugepage_size == 0) {
		mem->base = map_aligned(mem->size, 0,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1);
		if (mem->base == MAP_FAILED)
			return vmm_err(err, -errno, "guest memory: mmap %" PRIu64 " MiB: %s",
				mem->size >> 20, strerror(errno));
		return 0;
	}
	if (opts->hugepage_size == (2ULL << 20))
		flags |= MFD_HUGETLB | MFD_HUGE_2MB;
	else if (opts->hugepage_size == (1ULL << 30))
		flags |= MFD_HUGETLB | MFD_HUGE_1GB;
	mem->fd = memfd_create("vireo-guest-ram", flags);
	if (mem->fd < 0)
		return vmm_err(err, -errno, "guest memory: memfd_create: %s", strerror(errno));
	if (ftruncate(mem->fd, (off_t)mem->size) < 0)
		return vmm_err(err, -errno, "guest memory: ftruncate %" PRIu64 " MiB: %s",
			mem->size >> 20, strerror(errno));
	mem->base = map_aligned(mem->size, opts->hugepage_size, MAP_SHARED, mem->fd);
	if (mem->base == MAP_FAILED) {
		int e = errno;

		mem->base = NULL;
		if (e == ENOMEM && opts->hugepage_size != 0)
			return hugepage_error(opts, vmm_memory_free_hugepages(opts->hugepage_size,
				opts->numa_node), err);
		return vmm_err(err, -e, "guest memory: mmap %" PRIu64 " MiB: %s", mem->size >> 20,
			strerror(e));
	}
	mem->shareable = true;
	return 0;
}

int
vmm_memory_create(struct vmm_memory *mem, const struct vmm_mem_opts *opts, char **err)
{
	unsigned int i;
	int ret;

	memset(mem, 0, sizeof(*mem));
	mem->fd = -1;
	ret = check_opts(opts, err);
	if (ret < 0)
		return ret;
	mem->size = opts->size;
	mem->page_size = opts->hugepage_size != 0 ? opts->hugepage_size :
		(uint64_t)sysconf(_SC_PAGESIZE);
	ret = map_memory(mem, opts, err);
	if (ret < 0)
		goto err_unmap;
	/* Transparent huge pages where the host allows them (fewer nested page faults). */
	if (opts->hugepage_size == 0)
		madvise(mem->base, mem->size, MADV_HUGEPAGE);
	if (opts->numa_node >= 0) {
		ret = bind_node(mem, opts->numa_node, err);
		if (ret < 0)
			goto err_unmap;
	}
	if (opts->prealloc) {
		ret = prealloc(mem, err);
		if (ret < 0)
			goto err_unmap;
	}
	mem->nr_regions = vmm_memory_layout(mem->size, mem->regions);
	for (i = 0; i < mem->nr_regions; i++) {
		mem->regions[i].fd = mem->fd;
		mem->regions[i].hva = mem->base + mem->regions[i].fd_offset;
	}
	return 0;

err_unmap:
	vmm_memory_destroy(mem);
	return ret;
}

void
vmm_memory_destroy(struct vmm_memory *mem)
{
	if (mem->base != NULL && mem->base != MAP_FAILED)
		munmap(mem->base, mem->size);
	mem->base = NULL;
	if (mem->fd >= 0)
		close(mem->fd);
	mem->fd = -1;
	mem->nr_regions = 0;
}

void *
vmm_memory_ptr(const struct vmm_memory *mem, uint64_t gpa, uint64_t len)
{
	unsigned int i;

	for (i = 0; i < mem->nr_regions; i++) {
		const struct vmm_mem_region *r = &mem->regions[i];

		if (gpa >= r->gpa && gpa - r->gpa <= r->size && len <= r->size - (gpa - r->gpa))
			return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

uint64_t
vmm_memory_low_size(const struct vmm_memory *mem)
{
	return mem->nr_regions > 0 ? mem->regions[0].size : 0;
}
