/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_MAC_H
#define VIREO_MAC_H

/*
 * mac: the MAC learning table of one bridge (the NORMAL action).
 *
 * What?
 * =====
 * A fixed-size table of buckets of MAC_WAYS entries.  Each entry is one 64-bit word,
 * MAC (48 bits) | port slot (8 bits) | valid marker (8 bits), plus a separate "last seen"
 * time in seconds.  Entries age out after MAC_AGING_S (300 s, OVS's default); a full
 * bucket replaces its oldest entry.  VLANs are not part of the key: vireo-dp ports are not
 * VLAN access ports.
 *
 * The bucket of a MAC is a hash keyed with a random secret drawn when the table is
 * created, as Open vSwitch keys its MAC table: with a public hash a guest could choose
 * source MACs that all fall into another guest's bucket and evict its entries (every
 * packet to it would then be flooded).
 *
 * Thread-safety
 * =============
 * Learning happens on the packet path, on every PMD, with no lock: each entry word is
 * written with one atomic store, so a reader sees either the old or the new binding of a
 * MAC, never a mix.  Two PMDs learning two MACs into the same way at the same instant
 * leave one of them unlearned; its next packet learns it again.  'seen' words may be
 * stale by a moment, which only shifts aging.  The main thread ages entries with a
 * compare-and-swap, so it never erases a binding a PMD has just refreshed, and flushes a
 * port's entries after the port is unpublished and synchronised (so no PMD can learn on
 * it any more) and before its slot is reused.
 */

#include <stdint.h>

#define MAC_WAYS 4
#define MAC_BUCKETS 2048		/* 8192 entries */
#define MAC_AGING_S 300
#define MAC_SLOT_NONE 0xffff

struct mac_bucket {
	uint64_t entry[MAC_WAYS];
	uint32_t seen[MAC_WAYS];
} __attribute__((aligned(64)));

struct mac_table {
	uint64_t secret[2];		/**< hash key: random, set at creation, then read-only */
	struct mac_bucket b[MAC_BUCKETS];
};

/** An empty table with a fresh random hash key, on NUMA node 'socket'; NULL: no memory. */
struct mac_table *mac_table_create(int socket);
/** Empty 't' and draw its hash key (for tables not allocated by mac_table_create). */
void mac_table_init(struct mac_table *t);
void mac_table_destroy(struct mac_table *t);

/** The 48-bit MAC at 'p' as an integer. */
static inline uint64_t
mac_from_bytes(const uint8_t *p)
{
	return ((uint64_t)p[0] << 40) | ((uint64_t)p[1] << 32) | ((uint64_t)p[2] << 24) |
		((uint64_t)p[3] << 16) | ((uint64_t)p[4] << 8) | p[5];
}

/* A keyed multiply-xorshift mix: without the secret, which MACs share a bucket is unknown. */
static inline uint32_t
mac_bucket_of(const struct mac_table *t, uint64_t mac)
{
	uint64_t h = (mac ^ t->secret[0]) * 0x9e3779b97f4a7c15ULL;

	h ^= h >> 29;
	h *= t->secret[1] | 1;
	h ^= h >> 32;
	return (uint32_t)h & (MAC_BUCKETS - 1);
}

#define MAC_VALID 0xa5ULL

static inline uint64_t
mac_entry(uint64_t mac, uint16_t slot)
{
	return (mac << 16) | ((uint64_t)(slot & 0xff) << 8) | MAC_VALID;
}

/** Port slot bound to 'mac', or MAC_SLOT_NONE (PMD or main). */
static inline uint16_t
mac_lookup(const struct mac_table *t, uint64_t mac, uint32_t now)
{
	const struct mac_bucket *b = &t->b[mac_bucket_of(t, mac)];

	for (int w = 0; w < MAC_WAYS; w++) {
		uint64_t e = __atomic_load_n(&b->entry[w], __ATOMIC_RELAXED);

		if ((e >> 16) == mac && (e & 0xff) == MAC_VALID) {
			if (now - __atomic_load_n(&b->seen[w], __ATOMIC_RELAXED) > MAC_AGING_S)
				return MAC_SLOT_NONE;
			return (uint16_t)((e >> 8) & 0xff);
		}
	}
	return MAC_SLOT_NONE;
}

/** Bind 'mac' to 'slot' at time 'now' (PMD). */
static inline void
mac_learn(struct mac_table *t, uint64_t mac, uint16_t slot, uint32_t now)
{
	struct mac_bucket *b = &t->b[mac_bucket_of(t, mac)];
	uint64_t want = mac_entry(mac, slot);
	int victim = -1;
	uint32_t oldest = UINT32_MAX;

	for (int w = 0; w < MAC_WAYS; w++) {
		uint64_t e = __atomic_load_n(&b->entry[w], __ATOMIC_RELAXED);

		if ((e >> 16) == mac && (e & 0xff) == MAC_VALID) {
			if (e != want)
				__atomic_store_n(&b->entry[w], want, __ATOMIC_RELAXED);
			if (b->seen[w] != now)
				__atomic_store_n(&b->seen[w], now, __ATOMIC_RELAXED);
			return;
		}
		if ((e & 0xff) != MAC_VALID) {
			if (oldest != 0) {	/* an empty way beats any live one */
				victim = w;
				oldest = 0;
			}
		} else if (oldest != 0 && (victim < 0 || b->seen[w] < oldest)) {
			victim = w;
			oldest = b->seen[w];
		}
	}
	__atomic_store_n(&b->seen[victim], now, __ATOMIC_RELAXED);
	__atomic_store_n(&b->entry[victim], want, __ATOMIC_RELEASE);
}

/** Remove entries older than the aging time (main thread). Returns how many. */
unsigned mac_table_age(struct mac_table *t, uint32_t now);

/** Remove every entry of 'slot' (main thread, see Thread-safety). */
void mac_table_flush_slot(struct mac_table *t, uint16_t slot);

/** Remove everything (main thread). */
void mac_table_flush(struct mac_table *t);

/** Call 'cb' for every live entry (main thread). */
void mac_table_foreach(const struct mac_table *t, uint32_t now,
		void (*cb)(void *aux, uint64_t mac, uint16_t slot, uint32_t age), void *aux);

/** Seconds of a monotonic clock, as PMDs compute it from the TSC. */
uint32_t mac_now(void);

#endif /* VIREO_MAC_H */
