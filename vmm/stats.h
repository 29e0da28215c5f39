/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VMM_STATS_H
#define VIREO_VMM_STATS_H

/*
 * VM-exit statistics.
 *
 * Each vCPU counts its exits by KVM exit reason, and port-I/O exits by port and direction
 * and MMIO exits by device range (or by 4 KiB page when no device claims the address) in a
 * small open-addressing table.  A key sits at most a few slots from its hash, or counts as
 * overflow; unclaimed pages take at most VMM_STATS_UNCLAIMED_PAGES keys, later pages count
 * under VMM_STAT_OTHER_PAGES, so a guest touching pages at random leaves room for the rest.  KVM's own counters come from its binary statistics file
 * descriptors (KVM_GET_STATS_FD, Linux 5.14+) on the VM and on each vCPU.
 *
 * Thread-safety: a vCPU's counters have one writer, its own thread, which updates them with
 * relaxed atomic stores; readers (the main thread: API, exit table) use relaxed atomic
 * loads, so a reader sees each counter whole, but the set is not a snapshot.  A table slot's
 * key is published after its counter is zeroed and never changes afterwards.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#define VMM_STATS_REASONS 64
#define VMM_STATS_SLOTS 256
#define VMM_STATS_UNCLAIMED_PAGES 32
/** The 'where' of unclaimed accesses to pages beyond the first VMM_STATS_UNCLAIMED_PAGES. */
#define VMM_STAT_OTHER_PAGES ((1ULL << 56) - 1)

enum vmm_stat_kind {
	VMM_STAT_PIO_IN = 1,
	VMM_STAT_PIO_OUT,
	VMM_STAT_MMIO_READ,
	VMM_STAT_MMIO_WRITE,
	VMM_STAT_MMIO_UNCLAIMED_READ,
	VMM_STAT_MMIO_UNCLAIMED_WRITE,
};

/** The table key of an I/O exit: kind in the top byte, port, range id or page below. */
static inline uint64_t
vmm_stat_key(enum vmm_stat_kind kind, uint64_t where)
{
	return ((uint64_t)kind << 56) | (where & ((1ULL << 56) - 1));
}

static inline unsigned int
vmm_stat_key_kind(uint64_t key)
{
	return (unsigned int)(key >> 56);
}

static inline uint64_t
vmm_stat_key_where(uint64_t key)
{
	return key & ((1ULL << 56) - 1);
}

struct vmm_stat_slot {
	uint64_t key;		/* kind << 56 | port, range id or page; 0 = free */
	uint64_t count;
};

struct vmm_exit_stats {
	uint64_t reasons[VMM_STATS_REASONS];
	uint64_t other_reasons;
	struct vmm_stat_slot slots[VMM_STATS_SLOTS];
	uint64_t overflow;	/* I/O exits that found no free slot */
	unsigned int unclaimed_pages;	/* unclaimed page keys taken (the vCPU's own) */
};

/** Count one exit with KVM reason 'reason'.  The vCPU thread only. */
void vmm_stats_reason(struct vmm_exit_stats *s, unsigned int reason);

/** Count one I/O exit of 'kind' at 'where' (port, range id or page).  The vCPU thread only. */
void vmm_stats_io(struct vmm_exit_stats *s, enum vmm_stat_kind kind, uint64_t where);

/** Read the count of 'kind'/'where' (any thread).  0 when never seen. */
uint64_t vmm_stats_io_get(const struct vmm_exit_stats *s, enum vmm_stat_kind kind,
		uint64_t where);

/** Name of KVM exit reason 'reason' ("io", "mmio", "hlt", ...), or NULL. */
const char *vmm_stats_reason_name(unsigned int reason);

struct vmm_vm;

/** Print the exit table of every vCPU (and KVM's counters) to 'f'. */
void vmm_stats_print(struct vmm_vm *vm, FILE *f);

/** The same as a JSON object. */
json_t *vmm_stats_json(struct vmm_vm *vm);

/**
 * Call 'cb' for each single-valued counter of a KVM binary statistics fd.  Returns the
 * number of counters or -errno.
 */
int vmm_kvm_stats_each(int fd, void (*cb)(void *aux, const char *name, uint64_t value),
		void *aux);

#endif /* VIREO_VMM_STATS_H */
