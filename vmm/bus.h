/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VMM_BUS_H
#define VIREO_VMM_BUS_H

/*
 * The device bus: port-I/O and MMIO address ranges.
 *
 * A device registers each range it decodes with a callback; a vCPU thread that exits on an
 * I/O or MMIO access asks the bus for the range holding the address and calls the callback
 * with the offset inside the range.  Ranges never overlap (registration fails with -EEXIST).
 * An access nobody claims reads as all ones and writes are dropped.
 *
 * Thread-safety: lookups take a read lock, so vCPU threads dispatch concurrently;
 * registration and removal take the write lock, so ranges can move while the guest runs
 * (PCI BARs move when the guest reprograms them, vmm/pci.c).  Callbacks run on the vCPU
 * thread without the bus lock held (the range is copied out first), so each device
 * serialises its own state.  A device must
 * not be freed while vCPUs run unless its ranges were removed first and no callback can be
 * in flight (vCPUs paused).
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

enum vmm_bus_space {
	VMM_BUS_PIO,
	VMM_BUS_MMIO,
	VMM_BUS_NR_SPACES,
};

/** The widest access the bus passes on (a vCPU's MMIO exit carries at most 8 bytes). */
#define VMM_BUS_MAX_LEN 8

/**
 * Access callback: 'offset' is from the start of the range, 'data' holds 'len' bytes
 * (1 to VMM_BUS_MAX_LEN, little endian; not only 1, 2, 4 and 8: callbacks must cope with
 * any width in that range and any alignment); on a read the callback fills it.
 */
typedef void vmm_bus_cb(void *opaque, uint64_t offset, uint8_t *data, unsigned int len,
		bool is_write);

struct vmm_bus_range {
	uint64_t base;
	uint64_t len;
	const char *name;	/**< for exit statistics */
	unsigned int id;	/**< stable index for statistics, unique per bus */
	vmm_bus_cb *cb;
	void *opaque;
};

struct vmm_bus {
	pthread_rwlock_t lock;
	struct vmm_bus_range *ranges[VMM_BUS_NR_SPACES];	/* sorted by base */
	unsigned int nr[VMM_BUS_NR_SPACES];
	unsigned int next_id;	/* where the search for a free id starts; 0..INT_MAX */
};

/** Initialise an empty bus. */
void vmm_bus_init(struct vmm_bus *bus);

/** Free the range tables. */
void vmm_bus_destroy(struct vmm_bus *bus);

/**
 * Claim ['base', 'base' + 'len') in 'space' for 'cb'.  Returns the range's id (>= 0), or
 * -EEXIST when it overlaps a registered range, -EINVAL for an empty or wrapping range.
 */
int vmm_bus_register(struct vmm_bus *bus, enum vmm_bus_space space, uint64_t base,
		uint64_t len, const char *name, vmm_bus_cb *cb, void *opaque);

/** Release the range of 'space' that starts at 'base'.  Returns 0 or -ENOENT. */
int vmm_bus_unregister(struct vmm_bus *bus, enum vmm_bus_space space, uint64_t base);

/**
 * Dispatch one access.  Returns the id of the range that took it, or -ENOENT when nobody
 * claims 'addr' (reads then return all ones).  An access that starts inside a range but runs
 * past its end is refused like an unclaimed one; one of 0 or more than VMM_BUS_MAX_LEN bytes
 * reaches no device (-EINVAL, reads all ones).
 */
int vmm_bus_access(struct vmm_bus *bus, enum vmm_bus_space space, uint64_t addr,
		uint8_t *data, unsigned int len, bool is_write);

/**
 * Copy the name of range 'id' into 'buf' (for statistics).  Returns false if no such range.
 */
bool vmm_bus_range_name(struct vmm_bus *bus, unsigned int id, char *buf, unsigned int size,
		uint64_t *base, uint64_t *len, enum vmm_bus_space *space);

#endif /* VIREO_VMM_BUS_H */
