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

			if (!mac_entry_valid(e))
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

			if (mac_entry_valid(e) && mac_entry_slot(e) == (slot & 0xff))
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

/* The inverse of x * a modulo 2^64 for odd 'a' (Newton's iteration doubles the bits). */
static uint64_t
inverse_odd(uint64_t a)
{
	uint64_t x = a;

	for (int i = 0; i < 5; i++)
		x *= 2 - a * x;
	return x;
}

/* Undo h ^= h >> s on MAC_KEY_BITS bits. */
static uint64_t
unshift(uint64_t h, unsigned s)
{
	uint64_t x = h;

	for (unsigned k = s; k < MAC_KEY_BITS; k += s)
		x = h ^ (x >> s);
	return x & MAC_KEY_MASK;
}

/* The key (MAC << 12 | VLAN) of the entry word 'e' in bucket 'bucket': mac_mix inverted. */
static uint64_t
key_of(const struct mac_table *t, uint32_t bucket, uint64_t e)
{
	uint64_t h = ((e >> 15) << MAC_BUCKET_BITS) | bucket;

	h = unshift(h, 32);
	h = (h * inverse_odd(t->secret[1] | 1)) & MAC_KEY_MASK;
	h = unshift(h, 29);
	h = (h * inverse_odd(MAC_MIX1)) & MAC_KEY_MASK;
	return h ^ (t->secret[0] & MAC_KEY_MASK);
}

void
mac_table_foreach(const struct mac_table *t, uint32_t now,
		void (*cb)(void *aux, uint64_t mac, uint16_t vlan, uint16_t slot, uint32_t age),
		void *aux)
{
	for (unsigned i = 0; i < MAC_BUCKETS; i++)
		for (int w = 0; w < MAC_WAYS; w++) {
			uint64_t e = __atomic_load_n(&t->b[i].entry[w], __ATOMIC_RELAXED), key;
			uint32_t age = now - __atomic_load_n(&t->b[i].seen[w], __ATOMIC_RELAXED);

			if (!mac_entry_valid(e) || age > MAC_AGING_S)
				continue;
			key = key_of(t, i, e);
			cb(aux, key >> 12, (uint16_t)(key & 0xfff), mac_entry_slot(e), age);
		}
}
