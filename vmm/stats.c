/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-vCPU exit counters (the vCPU threads' hot path) and the reader of KVM's binary
 * statistics file descriptors.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stats.h"

#define KEY(kind, where) vmm_stat_key(kind, where)
/* How far from its hash a key may sit. */
#define STATS_PROBE_MAX 16

static const char *const reason_names[] = {
	[KVM_EXIT_UNKNOWN] = "unknown",
	[KVM_EXIT_EXCEPTION] = "exception",
	[KVM_EXIT_IO] = "io",
	[KVM_EXIT_HYPERCALL] = "hypercall",
	[KVM_EXIT_DEBUG] = "debug",
	[KVM_EXIT_HLT] = "hlt",
	[KVM_EXIT_MMIO] = "mmio",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "irq_window_open",
	[KVM_EXIT_SHUTDOWN] = "shutdown",
	[KVM_EXIT_FAIL_ENTRY] = "fail_entry",
	[KVM_EXIT_INTR] = "intr",
	[KVM_EXIT_SET_TPR] = "set_tpr",
	[KVM_EXIT_TPR_ACCESS] = "tpr_access",
	[KVM_EXIT_NMI] = "nmi",
	[KVM_EXIT_INTERNAL_ERROR] = "internal_error",
	[KVM_EXIT_SYSTEM_EVENT] = "system_event",
	[KVM_EXIT_IOAPIC_EOI] = "ioapic_eoi",
	[KVM_EXIT_HYPERV] = "hyperv",
	[KVM_EXIT_X86_RDMSR] = "x86_rdmsr",
	[KVM_EXIT_X86_WRMSR] = "x86_wrmsr",
	[KVM_EXIT_DIRTY_RING_FULL] = "dirty_ring_full",
	[KVM_EXIT_AP_RESET_HOLD] = "ap_reset_hold",
	[KVM_EXIT_X86_BUS_LOCK] = "x86_bus_lock",
	[KVM_EXIT_NOTIFY] = "notify",
};

const char *
vmm_stats_reason_name(unsigned int reason)
{
	if (reason < sizeof(reason_names) / sizeof(reason_names[0]))
		return reason_names[reason];
	return NULL;
}

static void
bump(uint64_t *c)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

void
vmm_stats_reason(struct vmm_exit_stats *s, unsigned int reason)
{
	if (reason < VMM_STATS_REASONS)
		bump(&s->reasons[reason]);
	else
		bump(&s->other_reasons);
}

static unsigned int
slot_hash(uint64_t key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (unsigned int)key % VMM_STATS_SLOTS;
}

/*
 * The slot of 'key' ('*found') or the free slot it would take, or -1 when neither lies
 * within STATS_PROBE_MAX slots of its hash: every exit's work stays bounded, even with the
 * table full of keys a guest made up (unclaimed pages, BARs moved again and again).
 */
static int
stats_probe(const struct vmm_exit_stats *s, uint64_t key, bool *found)
{
	unsigned int i, h = slot_hash(key);

	for (i = 0; i < STATS_PROBE_MAX; i++) {
		unsigned int j = (h + i) % VMM_STATS_SLOTS;
		uint64_t k = __atomic_load_n(&s->slots[j].key, __ATOMIC_ACQUIRE);

		if (k == key || k == 0) {
			*found = k == key;
			return (int)j;
		}
	}
	return -1;
}

/* Count one exit under 'key' if it has or can take a slot; false if not. */
static bool
stats_count(struct vmm_exit_stats *s, uint64_t key, bool may_add, bool *added)
{
	bool found;
	int j = stats_probe(s, key, &found);

	*added = false;
	if (j < 0 || (!found && !may_add))
		return false;
	if (found) {
		bump(&s->slots[j].count);
	} else {
		__atomic_store_n(&s->slots[j].count, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&s->slots[j].key, key, __ATOMIC_RELEASE);
		*added = true;
	}
	return true;
}

void
vmm_stats_io(struct vmm_exit_stats *s, enum vmm_stat_kind kind, uint64_t where)
{
	bool unclaimed = kind == VMM_STAT_MMIO_UNCLAIMED_READ ||
		kind == VMM_STAT_MMIO_UNCLAIMED_WRITE;
	bool added;

	/* Unclaimed pages get a share of the table; the rest count together. */
	if (stats_count(s, KEY(kind, where),
			!unclaimed || s->unclaimed_pages < VMM_STATS_UNCLAIMED_PAGES, &added)) {
		if (unclaimed && added)
			s->unclaimed_pages++;
		return;
	}
	if (!unclaimed || !stats_count(s, KEY(kind, VMM_STAT_OTHER_PAGES), true, &added))
		bump(&s->overflow);
}

uint64_t
vmm_stats_io_get(const struct vmm_exit_stats *s, enum vmm_stat_kind kind, uint64_t where)
{
	bool found;
	int j = stats_probe(s, KEY(kind, where), &found);

	return j >= 0 && found ? __atomic_load_n(&s->slots[j].count, __ATOMIC_RELAXED) : 0;
}

int
vmm_kvm_stats_each(int fd, void (*cb)(void *aux, const char *name, uint64_t value), void *aux)
{
	struct kvm_stats_header h;
	size_t desc_size;
	uint8_t *descs;
	uint32_t i;
	int n = 0;

	if (fd < 0)
		return -EBADF;
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return -EIO;
	desc_size = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = malloc(desc_size * h.num_desc);
	if (descs == NULL)
		return -ENOMEM;
	if (pread(fd, descs, desc_size * h.num_desc, h.desc_offset) !=
	    (ssize_t)(desc_size * h.num_desc)) {
		free(descs);
		return -EIO;
	}
	for (i = 0; i < h.num_desc; i++) {
		struct kvm_stats_desc *d = (struct kvm_stats_desc *)(descs + i * desc_size);
		uint32_t type = d->flags & KVM_STATS_TYPE_MASK;
		uint64_t v;

		if (d->size != 1 || type > KVM_STATS_TYPE_PEAK)
			continue;
		if (pread(fd, &v, sizeof(v), h.data_offset + d->offset) != (ssize_t)sizeof(v))
			continue;
		d->name[h.name_size - 1] = '\0';
		cb(aux, d->name, v);
		n++;
	}
	free(descs);
	return n;
}
