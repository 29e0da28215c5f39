/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MAC learning table: creation, aging and walks (main thread).  Look-up and learning are
 * inline in mac.h for the PMDs.
 */
#include <string.h>
#include <sys/random.h>

#include <rte_cycles.h>
#include <rte_random.h>
#include <rte_malloc.h>

#include "mac.h"

void
mac_table_init(struct mac_table *t)
{
	memset(t, 0, sizeof(*t));
	if (getrandom(t->secret, sizeof(t->secret), 0) != sizeof(t->secret)) {
		t->secret[0] = rte_rand();
		t->secret[1] = rte_rand();
	}
}

struct mac_table *
mac_table_create(int socket)
{
	struct mac_table *t = rte_malloc_socket("mac_table", sizeof(*t), 64, socket);

	if (t != NULL)
		mac_table_init(t);
	return t;
}

void
mac_table_destroy(struct mac_table *t)
{
	rte_free(t);
}

/*
 * 'tsc_hz' is written by whichever thread first asks, always with the same value, so the
 * race between PMDs is harmless.
 */
uint32_t
mac_now(void)
{
	static uint64_t tsc_hz;

	if (unlikely(tsc_hz == 0))
		tsc_hz = rte_get_tsc_hz();
	return (uint32_t)(rte_rdtsc() / tsc_hz) + 1;
}

static void
clear_if(uint64_t *entry, uint64_t seen_value)
{
	uint64_t expected = seen_value;

	__atomic_compare_exchange_n(entry, &expected, 0, false, __ATOMIC_RELAXED,
		__ATOMIC_RELAXED);
}

unsigned
mac_table_age(struct mac_table *t, uint32_t now)
{
	unsigned n = 0;

	for (unsigned i = 0; i < MAC_BUCKETS; i++) {
		struct mac_bucket *b = &t->b[i];

		for (int w = 0; w < MAC_WAYS; w++) {
			uint64_t e = __atomic_load_n(&b->entry[w], __ATOMIC_RELAXED);

			if ((e & 0xff) != MAC_VALID)
				continue;
			if (now - __atomic_load_n(&b->seen[w], __ATOMIC_RELAXED) > MAC_AGING_S) {
				clear_if(&b->entry[w], e);
				n++;
			}
		}
	}
	return n;
}

void
mac_table_flush_slot(struct mac_table *t, uint16_t slot)
{
	for (unsigned i = 0; i < MAC_BUCKETS; i++)
		for (int w = 0; w < MAC_WAYS; w++) {
			uint64_t e = __atomic_load_n(&t->b[i].entry[w], __ATOMIC_RELAXED);

			if ((e & 0xff) == MAC_VALID && ((e >> 8) & 0xff) == (slot & 0xff))
				clear_if(&t->b[i].entry[w], e);
		}
}

void
mac_table_flush(struct mac_table *t)
{
	for (unsigned i = 0; i < MAC_BUCKETS; i++)
		for (int w = 0; w < MAC_WAYS; w++)
			__atomic_store_n(&t->b[i].entry[w], 0, __ATOMIC_RELAXED);
}

void
mac_table_foreach(const struct mac_table *t, uint32_t now,
		void (*cb)(void *aux, uint64_t mac, uint16_t slot, uint32_t age), void *aux)
{
	for (unsigned i = 0; i < MAC_BUCKETS; i++)
		for (int w = 0; w < MAC_WAYS; w++) {
			uint64_t e = __atomic_load_n(&t->b[i].entry[w], __ATOMIC_RELAXED);
			uint32_t age = now - t->b[i].seen[w];

			if ((e & 0xff) == MAC_VALID && age <= MAC_AGING_S)
				cb(aux, e >> 16, (uint16_t)((e >> 8) & 0xff), age);
		}
}
