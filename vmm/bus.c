/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port-I/O and MMIO range registration and dispatch.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"

void
vmm_bus_init(struct vmm_bus *bus)
{
	memset(bus, 0, sizeof(*bus));
	pthread_rwlock_init(&bus->lock, NULL);
}

void
vmm_bus_destroy(struct vmm_bus *bus)
{
	unsigned int s;

	for (s = 0; s < VMM_BUS_NR_SPACES; s++) {
		free(bus->ranges[s]);
		bus->ranges[s] = NULL;
		bus->nr[s] = 0;
	}
	pthread_rwlock_destroy(&bus->lock);
}

/* Index of the first range whose base is > 'addr'. */
static unsigned int
upper_bound(const struct vmm_bus_range *r, unsigned int n, uint64_t addr)
{
	unsigned int lo = 0, hi = n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (r[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool
bus_id_in_use(const struct vmm_bus *bus, unsigned int id)
{
	for (unsigned int s = 0; s < VMM_BUS_NR_SPACES; s++)
		for (unsigned int i = 0; i < bus->nr[s]; i++)
			if (bus->ranges[s][i].id == id)
				return true;
	return false;
}

/*
 * The next id no registered range has, in 0..INT_MAX: vmm_bus_access() returns it as a
 * non-negative int, and a guest moving a BAR again and again registers without end
 * (bus->lock held for writing).
 */
static unsigned int
bus_take_id(struct vmm_bus *bus)
{
	unsigned int id;

	do {
		id = bus->next_id;
		bus->next_id = id == INT_MAX ? 0 : id + 1;
	} while (bus_id_in_use(bus, id));
	return id;
}

int
vmm_bus_register(struct vmm_bus *bus, enum vmm_bus_space space, uint64_t base,
		uint64_t len, const char *name, vmm_bus_cb *cb, void *opaque)
{
	struct vmm_bus_range *r, *nr;
	unsigned int n, pos, id;
	int ret;

	if (len == 0 || base + len - 1 < base || space >= VMM_BUS_NR_SPACES || cb == NULL)
		return -EINVAL;
	pthread_rwlock_wrlock(&bus->lock);
	r = bus->ranges[space];
	n = bus->nr[space];
	pos = upper_bound(r, n, base);
	if ((pos > 0 && r[pos - 1].base + r[pos - 1].len > base) ||
	    (pos < n && base + len > r[pos].base)) {
		ret = -EEXIST;
		goto out;
	}
	id = bus_take_id(bus);		/* before realloc() may move the table it reads */
	nr = realloc(r, (n + 1) * sizeof(*nr));
	if (nr == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	memmove(&nr[pos + 1], &nr[pos], (n - pos) * sizeof(*nr));
	nr[pos] = (struct vmm_bus_range){
		.base = base, .len = len, .name = name, .id = id, .cb = cb, .opaque = opaque,
	};
	ret = (int)id;
	bus->ranges[space] = nr;
	bus->nr[space] = n + 1;
out:
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

int
vmm_bus_unregister(struct vmm_bus *bus, enum vmm_bus_space space, uint64_t base)
{
	struct vmm_bus_range *r;
	unsigned int i, n;
	int ret = -ENOENT;

	if (space >= VMM_BUS_NR_SPACES)
		return -EINVAL;
	pthread_rwlock_wrlock(&bus->lock);
	r = bus->ranges[space];
	n = bus->nr[space];
	for (i = 0; i < n; i++) {
		if (r[i].base == base) {
			memmove(&r[i], &r[i + 1], (n - i - 1) * sizeof(*r));
			bus->nr[space] = n - 1;
			ret = 0;
			break;
		}
	}
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

int
vmm_bus_access(struct vmm_bus *bus, enum vmm_bus_space space, uint64_t addr,
		uint8_t *data, unsigned int len, bool is_write)
{
	struct vmm_bus_range range;
	unsigned int pos;
	bool found = false;

	if (space >= VMM_BUS_NR_SPACES)
		return -EINVAL;
	if (len == 0 || len > VMM_BUS_MAX_LEN) {
		if (!is_write)
			memset(data, 0xff, len);
		return -EINVAL;
	}
	pthread_rwlock_rdlock(&bus->lock);
	pos = upper_bound(bus->ranges[space], bus->nr[space], addr);
	if (pos > 0) {
		range = bus->ranges[space][pos - 1];
		found = addr - range.base < range.len && len <= range.len - (addr - range.base);
	}
	pthread_rwlock_unlock(&bus->lock);
	if (!found) {
		if (!is_write)
			memset(data, 0xff, len);
		return -ENOENT;
	}
	range.cb(range.opaque, addr - range.base, data, len, is_write);
	return (int)range.id;
}

bool
vmm_bus_range_name(struct vmm_bus *bus, unsigned int id, char *buf, unsigned int size,
		uint64_t *base, uint64_t *len, enum vmm_bus_space *space)
{
	unsigned int s, i;
	bool found = false;

	pthread_rwlock_rdlock(&bus->lock);
	for (s = 0; s < VMM_BUS_NR_SPACES && !found; s++) {
		for (i = 0; i < bus->nr[s]; i++) {
			const struct vmm_bus_range *r = &bus->ranges[s][i];

			if (r->id != id)
				continue;
			snprintf(buf, size, "%s", r->name != NULL ? r->name : "?");
			*base = r->base;
			*len = r->len;
			*space = (enum vmm_bus_space)s;
			found = true;
			break;
		}
	}
	pthread_rwlock_unlock(&bus->lock);
	return found;
}
