/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_MAC_H
#define VIREO_MAC_H

/*
 * mac: the MAC learning table of one bridge (the NORMAL action).
 *
 * What?
 * =====
 * A fixed-size table of buckets of MAC_WAYS entries, keyed by MAC and VLAN (Open vSwitch
 * learns per VLAN: the same MAC may sit behind different ports in different VLANs).  Each
 * entry is one 64-bit word plus a separate "last seen" time in seconds.  Entries age out
 * after MAC_AGING_S (300 s, OVS's default); a full bucket replaces its oldest entry.
 *
 * The 60-bit key (MAC << 12 | VLAN) does not fit beside a port slot and a validity marker
 * in 64 bits, so the table stores it by quotient: a keyed bijection of the 60 bits (xor,
 * odd multiplications and xor-shifts, each invertible modulo 2^60) is split into the bucket
 * number (its low 11 bits) and a 49-bit remainder, which is what the entry holds:
 * remainder (49 bits) | port slot (8 bits) | valid marker (7 bits).  Bucket and remainder
 * together give the key back exactly, so a look-up compares one word, and fdb/show inverts
 * the bijection to print MAC and VLAN.
 *
 * The bijection is keyed with a random secret drawn when the table is created, as Open
 * vSwitch keys its MAC table: with a public hash a guest could choose source MACs that all
 * fall into another guest's bucket and evict its entries (every packet to it would then be
 * flooded).
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
#define MAC_BUCKET_BITS 11
#define MAC_BUCKETS (1u << MAC_BUCKET_BITS)	/* 8192 entries */
#define MAC_AGING_S 300
#define MAC_SLOT_NONE 0xffff
#define MAC_KEY_BITS 60
#define MAC_KEY_MASK ((1ULL << MAC_KEY_BITS) - 1)

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

#define MAC_MIX1 0x9e3779b97f4a7c15ULL

/*
 * The keyed bijection of the 60-bit key (MAC, VLAN): without the secret, which keys share
 * a bucket is unknown.  mac.c holds its inverse.
 */
static inline uint64_t
mac_mix(const struct mac_table *t, uint64_t mac, uint16_t vlan)
{
	uint64_t h = ((mac << 12) | (vlan & 0xfff)) ^ (t->secret[0] & MAC_KEY_MASK);

	h = (h * MAC_MIX1) & MAC_KEY_MASK;
	h ^= h >> 29;
	h = (h * (t->secret[1] | 1)) & MAC_KEY_MASK;
	h ^= h >> 32;
	return h;
}

/** The bucket of ('mac', 'vlan'). */
static inline uint32_t
mac_bucket_of(const struct mac_table *t, uint64_t mac, uint16_t vlan)
{
	return (uint32_t)mac_mix(t, mac, vlan) & (MAC_BUCKETS - 1);
}

#define MAC_VALID 0x5aULL
#define MAC_VALID_MASK 0x7fULL

static inline uint64_t
mac_entry(uint64_t rem, uint16_t slot)
{
	return (rem << 15) | ((uint64_t)(slot & 0xff) << 7) | MAC_VALID;
}

static inline int
mac_entry_valid(uint64_t e)
{
	return (e & MAC_VALID_MASK) == MAC_VALID;
}

static inline uint16_t
mac_entry_slot(uint64_t e)
{
	return (uint16_t)((e >> 7) & 0xff);
}

/**
 * Port slot bound to ('mac', 'vlan'), or MAC_SLOT_NONE (PMD or main); '*seen' is then when
 * the binding was last refreshed (mac_now() seconds).
 */
static inline uint16_t
mac_lookup_seen(const struct mac_table *t, uint64_t mac, uint16_t vlan, uint32_t now,
	uint32_t *seen)
{
	uint64_t h = mac_mix(t, mac, vlan), rem = h >> MAC_BUCKET_BITS;
	const struct mac_bucket *b = &t->b[h & (MAC_BUCKETS - 1)];

	for (int w = 0; w < MAC_WAYS; w++) {
		uint64_t e = __atomic_load_n(&b->entry[w], __ATOMIC_RELAXED);

		if ((e >> 15) == rem && mac_entry_valid(e)) {
			*seen = __atomic_load_n(&b->seen[w], __ATOMIC_RELAXED);
			if (now - *seen > MAC_AGING_S)
				return MAC_SLOT_NONE;
			return mac_entry_slot(e);
		}
	}
	return MAC_SLOT_NONE;
}

/** Port slot bound to ('mac', 'vlan'), or MAC_SLOT_NONE (PMD or main). */
static inline uint16_t
mac_lookup(const struct mac_table *t, uint64_t mac, uint16_t vlan, uint32_t now)
{
	uint32_t seen;

	return mac_lookup_seen(t, mac, vlan, now, &seen);
}

/** Bind ('mac', 'vlan') to 'slot' at time 'now' (PMD). */
static inline void
mac_learn(struct mac_table *t, uint64_t mac, uint16_t vlan, uint16_t slot, uint32_t now)
{
	uint64_t h = mac_mix(t, mac, vlan), rem = h >> MAC_BUCKET_BITS;
	struct mac_bucket *b = &t->b[h & (MAC_BUCKETS - 1)];
	uint64_t want = mac_entry(rem, slot);
	int victim = -1;
	uint32_t oldest = UINT32_MAX;

	for (int w = 0; w < MAC_WAYS; w++) {
		uint64_t e = __atomic_load_n(&b->entry[w], __ATOMIC_RELAXED);

		if ((e >> 15) == rem && mac_entry_valid(e)) {
			if (e != want)
				__atomic_store_n(&b->entry[w], want, __ATOMIC_RELAXED);
			if (__atomic_load_n(&b->seen[w], __ATOMIC_RELAXED) != now)
				__atomic_store_n(&b->seen[w], now, __ATOMIC_RELAXED);
			return;
		}
		if (!mac_entry_valid(e)) {
			if (oldest != 0) {	/* an empty way beats any live one */
				victim = w;
				oldest = 0;
			}
		} else if (oldest != 0) {
			uint32_t seen = __atomic_load_n(&b->seen[w], __ATOMIC_RELAXED);

			if (victim < 0 || seen < oldest) {
				victim = w;
				oldest = seen;
			}
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
		void (*cb)(void *aux, uint64_t mac, uint16_t vlan, uint16_t slot, uint32_t age),
		void *aux);

/** Seconds of a monotonic clock, as PMDs compute it from the TSC. */
uint32_t mac_now(void);

#endif /* VIREO_MAC_H */
