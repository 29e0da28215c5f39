/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_MAC_H
#define VIREO_MAC_H

/*
 * mac: the MAC learning table of one bridge (the NORMAL action).
 *
 * What?
 * =====
 * A table of buckets of MAC_WAYS entries, keyed by MAC and VLAN (Open vSwitch learns per
 * VLAN: the same MAC may sit behind different ports in different VLANs).  Each entry is
 * one 64-bit word plus a separate "last seen" time in seconds.  Entries age out after
 * MAC_AGING_S (300 s, OVS's default).
 *
 * Size
 * ====
 * Open vSwitch bounds its table by other_config:mac-table-size only (default 2048): a host
 * is never evicted while fewer are learnt.  Here a key may live in either of two buckets
 * (two-choice hashing: a new key goes into the one with more free ways), and there are as
 * many buckets as the limit rounded up to a power of two, at least 2048: MAC_WAYS times the
 * room the limit needs, where 2048 or 4096 random keys never overflow a pair of buckets
 * (tests/dp/test_mac.c).  A pair that is full all the same replaces its oldest entry.
 *
 * The limit holds at learning time, as in Open vSwitch, whose mac_learning_insert() evicts
 * an entry before it adds one to a full table: each array counts its entry words
 * ('n_entries'), and a PMD adds a word only after reserving room in that count.  When the
 * count is at the limit, the new host takes the place of an entry already there, as OVS
 * users expect, chosen in one of two ways so that a packet's work stays bounded (at most
 * MAC_EVICT_SCAN_MAX buckets, 8 KiB, and only for a new host in a full table):
 *
 * - When the whole table fits in that bound (every limit up to MAC_EVICT_SCAN_MAX, in the
 *   smallest array), OVS's own choice: the least recently seen entry of the port with the
 *   most entries (its evict_mac_entry_fairly()).  A bitmap beside the buckets ('used', one
 *   bit a bucket, 256 bytes in the smallest array) says which buckets hold entries, so the
 *   PMD reads those only, not the 2048 buckets they are scattered over.  Learners set a
 *   bucket's bit after publishing into it; whoever removes an entry clears the bit when the
 *   bucket is left empty, then reads the bucket again and sets the bit back should an
 *   entry have come meanwhile (both sides sequentially consistent).
 * - Otherwise the least recently seen entry among its own two buckets and a window of
 *   buckets after its first one (a sample of the table standing for OVS's whole-table
 *   choice, which no lock-free packet path can afford).  The window holds about four
 *   entries on average in a full table: MAC_EVICT_SCAN buckets at mac-table-size 2048 and
 *   above, more for a lower limit, never more than MAC_EVICT_SCAN_MAX.  When it holds no
 *   entry all the same (a newcomer or two in a hundred), the PMD raises 'evict_wanted' and
 *   the host is not learnt from this packet; the main thread, within a second
 *   (mac_table_run(), on every tick of its loop), evicts the least recently seen entry of
 *   the whole table, and the host's next packet is learnt.  One entry goes a pass: a flag
 *   cannot tell one new host sending many packets from many hosts, and evicting per
 *   request would let one chatty newcomer empty the table.
 *
 * A lowered limit is applied by the main thread as Open vSwitch's evict_mac_entry_fairly()
 * does: the oldest entries of the ports with the most entries go first (and its aging pass
 * does the same, should a table ever hold more).  A changed limit that needs another
 * number of buckets gets a new array, the entries copied over (as Open vSwitch keeps them;
 * the oldest of the ports with most go when the limit shrank).
 *
 * Keys
 * ====
 * The 60-bit key (MAC << 12 | VLAN) does not fit beside a port slot and a validity marker
 * in 64 bits, so the table stores it by quotient: a keyed bijection of the 60 bits (xor,
 * odd multiplications and xor-shifts, each invertible modulo 2^60) is split into the
 * primary bucket (its low 'bits' bits, at least 11) and a remainder of at most 49 bits.
 * The other bucket is the primary one xor a hash of the remainder (so either gives the
 * other back).  An entry holds remainder | port slot (8 bits) | which bucket (1 bit) |
 * valid marker (6 bits): bucket and entry give the key back exactly, so a look-up compares
 * one word a way, and fdb/show inverts the bijection to print MAC and VLAN.
 *
 * The bijection is keyed with a random secret drawn when an array is created, as Open
 * vSwitch keys its MAC table: with a public hash a guest could choose source MACs that all
 * fall into another guest's buckets and evict its entries (every packet to it would then
 * be flooded).
 *
 * Thread-safety
 * =============
 * Learning happens on the packet path, on every PMD, with no lock and no allocation: each
 * entry word is written atomically, so a reader sees either the old or the new binding of
 * a MAC, never a mix.  Two PMDs learning two MACs into the same way at the same instant
 * leave one of them unlearned; its next packet learns it again.  A learner (a new host, or
 * a host moving to another port) first claims its way, swapping the word it read for a
 * claim word (MAC_CLAIM, not valid), then writes 'seen', then publishes the entry word by
 * a compare-and-swap of its claim (release); a way that holds a claim is written by its
 * claimer only (but for the mark below; the main thread removes valid words only), so no
 * learner's time lands on another's entry, and a reader that loads the entry word with
 * acquire (or a relaxed load and an acquire fence, on the packet path) and then 'seen'
 * gets the time stored with that word or a later one.
 *
 * Two PMDs learning the same new host at the same instant (a broadcast reaching the bridge
 * through two queues) leave one entry of it, never two.  A new host's learner, once it has
 * claimed its way, reads the other ways of the key's two buckets (mac_contend): it yields
 * (empties its way and gives its count back) when the key is bound already or another
 * learner of it claimed a way that comes before its own (bucket, then way), and marks a
 * claim that comes after overruled (MAC_LOST, still its claimer's way); the overruled
 * learner's publishing swap then fails, and it empties its way and gives its count back.
 * The claims and those reads are sequentially consistent, so of two learners of one key at
 * least one sees the other.  A host moving to another port is overruled the same way by a
 * new learner of it whose way comes first (that learner saw its entry or its claim).
 *
 * A refresh on the same port stores 'seen' alone, without a claim: should the host be
 * removed and its way claimed by another learner in between, that learner's entry gets the
 * refreshing PMD's time, which is the same second give or take.  Every change of an entry
 * word that adds or removes an entry is a compare-and-swap, followed (removal) or preceded
 * (addition, a reservation given back if the swap fails) by the change of 'n_entries', so
 * the count is never below the number of entry words and those never exceed the limit.
 * The main thread ages and evicts entries the same way.  A refresh on the same port rewrites only
 * 'seen', which the swap does not compare, so the main thread reads 'seen' again right
 * before each swap and keeps an entry refreshed since it chose it (eviction chooses after
 * a walk and a sort of the whole table); a refresh between that read and the swap still
 * loses the host, a window of a few instructions, and its next packet learns it again.
 * PMDs choose an entry to evict the same way, with the same window.  The main thread
 * flushes a port's entries after the port is unpublished and synchronised (so no PMD can
 * learn on it any more) and before its slot is reused.  The array is reached through
 * 'mac_table.a', an RCU-published pointer: a resize publishes a new array and hands the old
 * one back to be freed after a grace period; what PMDs learn into the old one meanwhile is
 * lost, and learnt again from the host's next packet.
 */

#include <stdbool.h>
#include <stdint.h>

#define MAC_WAYS 4
#define MAC_MIN_BUCKET_BITS 11	/* so that a remainder fits in 49 bits */
#define MAC_AGING_S 300
#define MAC_SLOT_NONE 0xffff
#define MAC_KEY_BITS 60
#define MAC_KEY_MASK ((1ULL << MAC_KEY_BITS) - 1)
/** Open vSwitch's default mac-table-size, and the range it holds the setting to. */
#define MAC_DEFAULT_MAX 2048
#define MAC_MIN_MAX 10
#define MAC_MAX_MAX 1000000
/**
 * Buckets after a new host's first one where a full table looks for an entry to evict: at
 * least MAC_EVICT_SCAN, at most MAC_EVICT_SCAN_MAX (see Size).
 */
#define MAC_EVICT_SCAN 16
#define MAC_EVICT_SCAN_MAX 128
/** Words of the smallest array's 'used' bitmap. */
#define MAC_USED_MIN_WORDS ((1u << MAC_MIN_BUCKET_BITS) / 64)

struct mac_bucket {
	uint64_t entry[MAC_WAYS];
	uint32_t seen[MAC_WAYS];
} __attribute__((aligned(64)));

/** One size of the table; read-only but for its buckets' words once published. */
struct mac_array {
	uint64_t secret[2];		/**< hash key: random, set at creation */
	uint32_t mask;			/**< buckets - 1 */
	uint32_t bits;			/**< log2(buckets), at least MAC_MIN_BUCKET_BITS */
	/**
	 * One bit a bucket, set when it may hold an entry (see Size), after the array's
	 * buckets; its words are atomic: learners set bits, whoever empties a bucket clears its.
	 */
	uint64_t *used;
	/** Valid entry words, aged ones included; atomic, PMDs and main (its own line). */
	uint32_t n_entries __attribute__((aligned(64)));
	/** A full table found nothing to evict for a new host (see Size); atomic, PMDs set
	 * it, main clears it in mac_table_run() (on the line of 'n_entries', which the same
	 * PMDs have just written). */
	uint32_t evict_wanted;
	struct mac_bucket b[] __attribute__((aligned(64)));
};

struct mac_table {
	struct mac_array *a;		/**< atomic pointer: main writes, PMDs read */
	unsigned max_entries;		/**< mac-table-size: main writes, PMDs read (atomic) */
	/* main thread */
	int socket;
};

/**
 * An empty table for 'max_entries' hosts (held to MAC_MIN_MAX..MAC_MAX_MAX) with a fresh
 * random hash key, on NUMA node 'socket'; NULL: no memory.
 */
struct mac_table *mac_table_create(int socket, unsigned max_entries);
void mac_table_destroy(struct mac_table *t);

/**
 * Make 'max_entries' (held as in mac_table_create) the limit of 't' at time 'now' (main
 * thread, mac_now() seconds).  When
 * it needs another number of buckets, a new array with the entries is published and the
 * old one is put in '*old', for the caller to free with mac_array_free() after a grace
 * period; otherwise '*old' is NULL.  Entries over a lower limit are evicted as on aging.
 * @return 0, or -ENOMEM (the limit applies, the buckets stay as they were).
 */
int mac_table_resize(struct mac_table *t, unsigned max_entries, uint32_t now, void **old);
/** The limit of 't' (main thread). */
unsigned mac_table_max(const struct mac_table *t);
/** Free an array mac_table_resize() replaced (an rcu_defer_free() callback). */
void mac_array_free(void *array);

/** The 48-bit MAC at 'p' as an integer. */
static inline uint64_t
mac_from_bytes(const uint8_t *p)
{
	return ((uint64_t)p[0] << 40) | ((uint64_t)p[1] << 32) | ((uint64_t)p[2] << 24) |
		((uint64_t)p[3] << 16) | ((uint64_t)p[4] << 8) | p[5];
}

/**
 * True when 'mac' (as mac_from_bytes() gives it) is one of the addresses Open vSwitch's
 * NORMAL action does not forward unless the bridge's other_config:forward-bpdu is true (its
 * eth_addr_is_reserved(), listed in ovs-vswitchd.conf.db(5)): 01:80:c2:00:00:00 to :0f (STP,
 * pause, LACP, 802.1X, LLDP, ...), Extreme's EDP and EAPS, Cisco's ISL, CDP/VTP/DTP/PAgP,
 * PVST+, Uplink Fast and CFM.  One compare for most frames.
 */
static inline bool
mac_is_reserved(uint64_t mac)
{
	switch (mac >> 24) {
	case 0x0180c2:
		return (mac & ~0xfULL) == 0x0180c2000000ULL;
	case 0x00e02b:
		return mac == 0x00e02b000000ULL || mac == 0x00e02b000004ULL ||
			mac == 0x00e02b000006ULL;
	case 0x01000c:
		return mac == 0x01000c000000ULL || mac == 0x01000cccccccULL ||
			mac == 0x01000ccccccdULL || mac == 0x01000ccdcdcdULL ||
			(mac >= 0x01000cccccc0ULL && mac <= 0x01000cccccc7ULL);
	default:
		return false;
	}
}

#define MAC_MIX1 0x9e3779b97f4a7c15ULL
#define MAC_MIX2 0xc2b2ae3d27d4eb4fULL

/*
 * The keyed bijection of the 60-bit key (MAC, VLAN): without the secret, which keys share
 * a bucket is unknown.  mac.c holds its inverse.
 */
static inline uint64_t
mac_mix(const struct mac_array *a, uint64_t mac, uint16_t vlan)
{
	uint64_t h = ((mac << 12) | (vlan & 0xfff)) ^ (a->secret[0] & MAC_KEY_MASK);

	h = (h * MAC_MIX1) & MAC_KEY_MASK;
	h ^= h >> 29;
	h = (h * (a->secret[1] | 1)) & MAC_KEY_MASK;
	h ^= h >> 32;
	return h;
}

/* Xor of a key's two buckets: odd, so they always differ. */
static inline uint32_t
mac_alt(const struct mac_array *a, uint64_t rem)
{
	return ((uint32_t)((rem * MAC_MIX2) >> 32) | 1) & a->mask;
}

#define MAC_VALID 0x1aULL
#define MAC_CLAIM 0x25ULL		/* a way one learner is writing (Thread-safety) */
#define MAC_LOST 0x33ULL		/* a claim another learner of its key overruled */
#define MAC_VALID_MASK 0x3fULL
#define MAC_ALT_BIT (1ULL << 6)
#define MAC_SLOT_BITS (0xffULL << 7)

static inline uint64_t
mac_entry(uint64_t rem, uint16_t slot, bool alt)
{
	return (rem << 15) | ((uint64_t)(slot & 0xff) << 7) | (alt ? MAC_ALT_BIT : 0) |
		MAC_VALID;
}

static inline int
mac_entry_valid(uint64_t e)
{
	return (e & MAC_VALID_MASK) == MAC_VALID;
}

/* Whether 'e' is a learner's way (claimed, or claimed and overruled): its learner's alone. */
static inline int
mac_entry_claimed(uint64_t e)
{
	return (e & MAC_VALID_MASK) == MAC_CLAIM || (e & MAC_VALID_MASK) == MAC_LOST;
}

/* The claim word of entry word 'e' (the remainder keeps claims of two keys apart). */
static inline uint64_t
mac_claim_of(uint64_t e)
{
	return (e & ~MAC_VALID_MASK) | MAC_CLAIM;
}

static inline uint16_t
mac_entry_slot(uint64_t e)
{
	return (uint16_t)((e >> 7) & 0xff);
}

/*
 * Whether an entry last seen at 'seen' has aged out at 'now'.  PMDs read the clock each at
 * its own moment: an entry another PMD refreshed a second "after" 'now' is fresh.
 */
static inline bool
mac_aged(uint32_t now, uint32_t seen)
{
	return (int32_t)(now - seen) > MAC_AGING_S;
}

/** Where key ('mac', 'vlan') may be: its two buckets and its entry word less the slot. */
struct mac_pos {
	uint32_t bucket[2];
	uint64_t key[2];
};

static inline struct mac_pos
mac_pos_of(const struct mac_array *a, uint64_t mac, uint16_t vlan)
{
	uint64_t h = mac_mix(a, mac, vlan), rem = h >> a->bits;
	uint32_t b0 = (uint32_t)h & a->mask;

	return (struct mac_pos){
		.bucket = { b0, b0 ^ mac_alt(a, rem) },
		.key = { mac_entry(rem, 0, false), mac_entry(rem, 0, true) },
	};
}

/** The primary bucket of ('mac', 'vlan') in 't's current array. */
static inline uint32_t
mac_bucket_of(const struct mac_table *t, uint64_t mac, uint16_t vlan)
{
	return mac_pos_of(__atomic_load_n(&t->a, __ATOMIC_ACQUIRE), mac, vlan).bucket[0];
}

/**
 * Port slot bound to ('mac', 'vlan'), or MAC_SLOT_NONE (PMD or main); '*seen' is then when
 * the binding was last refreshed (mac_now() seconds).
 */
static inline uint16_t
mac_lookup_seen(const struct mac_table *t, uint64_t mac, uint16_t vlan, uint32_t now,
	uint32_t *seen)
{
	const struct mac_array *a = __atomic_load_n(&t->a, __ATOMIC_ACQUIRE);
	struct mac_pos p = mac_pos_of(a, mac, vlan);

	for (int k = 0; k < 2; k++) {
		const struct mac_bucket *b = &a->b[p.bucket[k]];

		for (int w = 0; w < MAC_WAYS; w++) {
			uint64_t e = __atomic_load_n(&b->entry[w], __ATOMIC_RELAXED);

			if ((e & ~MAC_SLOT_BITS) != p.key[k])
				continue;
			/* Acquire on the hit only: free on x86, a load barrier on arm64. */
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			*seen = __atomic_load_n(&b->seen[w], __ATOMIC_RELAXED);
			if (mac_aged(now, *seen))
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

/*
 * Bucket 'b's way for a new entry: '*way' an empty or aged-out one if any (their number is
 * returned), else the oldest ('*oldest' its time, UINT32_MAX when every way is claimed).
 */
static inline int
mac_bucket_room(const struct mac_bucket *b, uint32_t now, int *way, uint32_t *oldest)
{
	int n_free = 0;

	*way = 0;
	*oldest = UINT32_MAX;
	for (int w = 0; w < MAC_WAYS; w++) {
		uint64_t e = __atomic_load_n(&b->entry[w], __ATOMIC_ACQUIRE);
		uint32_t seen = __atomic_load_n(&b->seen[w], __ATOMIC_RELAXED);

		if (!mac_entry_valid(e) && !mac_entry_claimed(e)) {
			if (n_free++ == 0)
				*way = w;
		} else if (!mac_entry_valid(e)) {
			continue;	/* another learner's */
		} else if (mac_aged(now, seen)) {
			if (n_free++ == 0)
				*way = w;
		} else if (n_free == 0 && seen < *oldest) {
			*way = w;
			*oldest = seen;
		}
	}
	return n_free;
}

/*
 * Publish entry word 'e' at way 'w' of 'b', claimed by the caller with mac_claim_of('e'),
 * with time 'seen' (Thread-safety): false when a learner of the same key overruled the
 * claim (mac_contend), the way then emptied, for the caller to give back its place in the
 * count.  The way is the caller's until it is published or emptied: 'seen' written on an
 * overruled claim lands on nobody's entry.
 */
static inline bool
mac_publish(struct mac_bucket *b, int w, uint64_t e, uint32_t seen)
{
	uint64_t claim = mac_claim_of(e);

	__atomic_store_n(&b->seen[w], seen, __ATOMIC_RELAXED);
	if (__atomic_compare_exchange_n(&b->entry[w], &claim, e, false, __ATOMIC_SEQ_CST,
			__ATOMIC_RELAXED))
		return true;
	__atomic_store_n(&b->entry[w], 0, __ATOMIC_RELEASE);
	return false;
}

/*
 * After claiming way 'w' of bucket 'bi' for the key of 'p', whether this learner may
 * publish it, other learners of the same key being at work (Thread-safety): not when the
 * key is already bound, nor when another learner claimed a way that comes before this one
 * (bucket, then way); a claim that comes after is overruled (MAC_LOST).  The claim and
 * these loads are sequentially consistent, so of two learners of one key at least one sees
 * the other's claim: the one after yields, or the one before overrules it.
 */
static inline bool
mac_contend(struct mac_array *a, const struct mac_pos *p, uint32_t bi, int w)
{
	uint64_t mine = (uint64_t)bi * MAC_WAYS + (uint64_t)w;

	for (int k = 0; k < 2; k++) {
		struct mac_bucket *b = &a->b[p->bucket[k]];
		uint64_t key = p->key[k] & ~MAC_VALID_MASK;

		for (int x = 0; x < MAC_WAYS; x++) {
			uint64_t pos = (uint64_t)p->bucket[k] * MAC_WAYS + (uint64_t)x;
			uint64_t e = __atomic_load_n(&b->entry[x], __ATOMIC_SEQ_CST);

			if (pos == mine)
				continue;
			while ((e & ~(MAC_SLOT_BITS | MAC_VALID_MASK)) == key) {
				if (mac_entry_valid(e) ||
				    ((e & MAC_VALID_MASK) == MAC_CLAIM && pos < mine))
					return false;
				if ((e & MAC_VALID_MASK) != MAC_CLAIM)
					break;	/* empty, or overruled already */
				if (__atomic_compare_exchange_n(&b->entry[x], &e,
						(e & ~MAC_VALID_MASK) | MAC_LOST, false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
					break;
			}
		}
	}
	return true;
}

/* Bucket 'bi' of 'a' may hold an entry now: its bit in 'used', set (after the entry). */
static inline void
mac_mark_used(struct mac_array *a, uint32_t bi)
{
	uint64_t bit = 1ULL << (bi & 63), *word = &a->used[bi >> 6];

	if (!(__atomic_load_n(word, __ATOMIC_SEQ_CST) & bit))
		__atomic_fetch_or(word, bit, __ATOMIC_SEQ_CST);
}

static inline bool
mac_bucket_has_entry(const struct mac_bucket *b)
{
	for (int w = 0; w < MAC_WAYS; w++)
		if (mac_entry_valid(__atomic_load_n(&b->entry[w], __ATOMIC_SEQ_CST)))
			return true;
	return false;
}

/*
 * Bucket 'bi' of 'a' lost an entry: its bit in 'used' cleared if it holds none.  Cleared
 * first and the bucket read again after, while a learner publishes first and reads the bit
 * after (all sequentially consistent): a bucket with an entry never stays without its bit.
 */
static inline void
mac_bucket_vacate(struct mac_array *a, uint32_t bi)
{
	uint64_t bit = 1ULL << (bi & 63), *word = &a->used[bi >> 6];

	if (mac_bucket_has_entry(&a->b[bi]))
		return;
	__atomic_fetch_and(word, ~bit, __ATOMIC_SEQ_CST);
	if (mac_bucket_has_entry(&a->b[bi]))
		__atomic_fetch_or(word, bit, __ATOMIC_SEQ_CST);
}

/* An entry word of bucket 'bi' was removed: one fewer in the count, and in the bucket. */
static inline void
mac_gone(struct mac_array *a, uint32_t bi)
{
	__atomic_fetch_sub(&a->n_entries, 1, __ATOMIC_RELAXED);
	mac_bucket_vacate(a, bi);
}

/*
 * Refresh the binding of 'p' if either bucket has it: true when it did.  A host moving to
 * another port claims its way by compare-and-swap, so that an entry the main thread has
 * just removed is not brought back behind the count's back (the host is learnt again from
 * its next packet).
 */
static inline bool
mac_refresh(struct mac_array *a, const struct mac_pos *p, uint16_t slot, uint32_t now)
{
	for (int k = 0; k < 2; k++) {
		struct mac_bucket *b = &a->b[p->bucket[k]];
		uint64_t want = p->key[k] | ((uint64_t)(slot & 0xff) << 7);

		for (int w = 0; w < MAC_WAYS; w++) {
			uint64_t e = __atomic_load_n(&b->entry[w], __ATOMIC_RELAXED);

			if ((e & ~MAC_SLOT_BITS) != p->key[k])
				continue;
			if (e != want) {
				if (__atomic_compare_exchange_n(&b->entry[w], &e,
						mac_claim_of(want), false, __ATOMIC_SEQ_CST,
						__ATOMIC_RELAXED) &&
				    !mac_publish(b, w, want, now))
					mac_gone(a, p->bucket[k]);
				return true;
			}
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if (__atomic_load_n(&b->seen[w], __ATOMIC_RELAXED) != now)
				__atomic_store_n(&b->seen[w], now, __ATOMIC_RELAXED);
			return true;
		}
	}
	return false;
}

/*
 * How many buckets after a new host's first one a full 'a' of limit 'max' searches for an
 * entry to evict: about four entries' worth, within MAC_EVICT_SCAN..MAC_EVICT_SCAN_MAX.
 */
static inline uint32_t
mac_scan_of(const struct mac_array *a, unsigned max)
{
	uint64_t n = 4 * ((uint64_t)a->mask + 1) / (max > 0 ? max : 1);

	return n < MAC_EVICT_SCAN ? MAC_EVICT_SCAN :
		n > MAC_EVICT_SCAN_MAX ? MAC_EVICT_SCAN_MAX : (uint32_t)n;
}

/*
 * The least recently seen entry among bucket 'first', bucket 'second' and the 'n_scan'
 * buckets after 'first' in 'a': its bucket in '*bucket', way in '*way' and time in
 * '*oldest'; false when they hold none.
 */
static inline bool
mac_victim(const struct mac_array *a, uint32_t first, uint32_t second, uint32_t n_scan,
	uint32_t *bucket, int *way, uint32_t *oldest)
{
	bool found = false;

	*bucket = first;
	*way = 0;
	*oldest = 0;
	for (uint32_t i = 0; i < n_scan + 2; i++) {
		uint32_t bi = i == 0 ? first : i == 1 ? second : (first + i - 1) & a->mask;
		const struct mac_bucket *b = &a->b[bi];

		if (i >= 2 && bi == second)
			continue;
		for (int w = 0; w < MAC_WAYS; w++) {
			uint64_t e = __atomic_load_n(&b->entry[w], __ATOMIC_ACQUIRE);
			uint32_t seen;

			if (!mac_entry_valid(e))
				continue;
			seen = __atomic_load_n(&b->seen[w], __ATOMIC_RELAXED);
			if (found && (int32_t)(seen - *oldest) >= 0)
				continue;
			found = true;
			*oldest = seen;
			*bucket = bi;
			*way = w;
		}
	}
	return found;
}

/* Remove the entry word 'e' at 'entry' of 'a' unless it changed: true when it did. */
static inline bool
mac_remove(struct mac_array *a, uint64_t *entry, uint64_t e)
{
	if (!__atomic_compare_exchange_n(entry, &e, 0, false, __ATOMIC_RELAXED,
			__ATOMIC_RELAXED))
		return false;
	mac_gone(a, (uint32_t)(((uintptr_t)entry - (uintptr_t)a->b) / sizeof(a->b[0])));
	return true;
}

/*
 * One bucket 'bi' of mac_victim_fair(): its entries counted per port in 'count', or, with
 * 'choose', weighed against the entry chosen so far (port '*best', -1 for none).
 */
static inline void
mac_fair_bucket(const struct mac_array *a, uint32_t bi, bool choose, uint16_t count[256],
	int *best, uint32_t *bucket, int *way, uint32_t *oldest)
{
	for (int w = 0; w < MAC_WAYS; w++) {
		uint64_t e = __atomic_load_n(&a->b[bi].entry[w], __ATOMIC_ACQUIRE);
		uint16_t s = mac_entry_slot(e);
		uint32_t seen;

		if (!mac_entry_valid(e))
			continue;
		if (!choose) {
			count[s]++;
			continue;
		}
		seen = __atomic_load_n(&a->b[bi].seen[w], __ATOMIC_RELAXED);
		if (*best >= 0 && (count[s] < count[*best] ||
		    (count[s] == count[*best] && (int32_t)(seen - *oldest) >= 0)))
			continue;
		*best = s;
		*oldest = seen;
		*bucket = bi;
		*way = w;
	}
}

/*
 * When every bucket of 'a' that holds an entry is among MAC_EVICT_SCAN_MAX (a limit far
 * below the smallest array's buckets, see Size), the entry Open vSwitch's
 * evict_mac_entry_fairly() evicts: the least recently seen of the port with the most
 * entries (of ports with as many, the one whose entry was seen least recently).  Its
 * bucket in '*bucket', way in '*way' and time in '*oldest'; false when 'a' holds more (or
 * nothing).  The buckets are read twice, counting then choosing: a change in between makes
 * the choice a little less fair, never wrong (the caller checks the entry before it goes).
 */
static inline bool
mac_victim_fair(const struct mac_array *a, uint32_t *bucket, int *way, uint32_t *oldest)
{
	uint64_t used[MAC_USED_MIN_WORDS];
	uint16_t count[256] = { 0 };
	unsigned n = 0;
	int best = -1;

	if (a->mask + 1 != 1u << MAC_MIN_BUCKET_BITS)
		return false;
	for (unsigned i = 0; i < MAC_USED_MIN_WORDS; i++) {
		used[i] = __atomic_load_n(&a->used[i], __ATOMIC_RELAXED);
		n += (unsigned)__builtin_popcountll(used[i]);
	}
	if (n > MAC_EVICT_SCAN_MAX)
		return false;
	for (int choose = 0; choose < 2; choose++)
		for (unsigned i = 0; i < MAC_USED_MIN_WORDS; i++)
			for (uint64_t u = used[i]; u != 0; u &= u - 1)
				mac_fair_bucket(a, i * 64 + (uint32_t)__builtin_ctzll(u), choose,
					count, &best, bucket, way, oldest);
	return best >= 0;
}

/*
 * 'a' is full (limit 'max'): make room for the key at 'p' by evicting an entry, as Open
 * vSwitch does (see Size: mac_victim_fair() in a small table, else mac_victim()).  True
 * with the way to claim: a victim in the key's own buckets ('*k', '*bi', '*w', its word in
 * '*old'), or a victim elsewhere removed, its place in the count now the caller's
 * ('*reserved'); false when nothing could go (a victim seen again meanwhile stays:
 * Thread-safety).
 */
static inline bool
mac_make_room(struct mac_array *a, const struct mac_pos *p, unsigned max, int *k, uint32_t *bi,
	int *w, uint64_t *old, bool *reserved)
{
	uint32_t vb, vseen;
	uint64_t ve;
	int vw;

	if (!mac_victim_fair(a, &vb, &vw, &vseen) &&
	    !mac_victim(a, p->bucket[0], p->bucket[1], mac_scan_of(a, max), &vb, &vw, &vseen)) {
		if (!__atomic_load_n(&a->evict_wanted, __ATOMIC_RELAXED))
			__atomic_store_n(&a->evict_wanted, 1, __ATOMIC_RELAXED);
		return false;
	}
	/* Not if another PMD has seen it since (Thread-safety). */
	ve = __atomic_load_n(&a->b[vb].entry[vw], __ATOMIC_ACQUIRE);
	if (!mac_entry_valid(ve) || __atomic_load_n(&a->b[vb].seen[vw], __ATOMIC_RELAXED) != vseen)
		return false;
	if (vb == p->bucket[0] || vb == p->bucket[1]) {
		*k = vb == p->bucket[1];
		*bi = vb;
		*w = vw;
		*old = ve;
		return true;
	}
	/* The victim's place in the count becomes the newcomer's. */
	if (!__atomic_compare_exchange_n(&a->b[vb].entry[vw], &ve, 0, false, __ATOMIC_RELAXED,
			__ATOMIC_RELAXED))
		return false;
	mac_bucket_vacate(a, vb);
	*reserved = true;
	return true;
}

/*
 * Bind a new key at 'p' to 'slot' at time 'seen' in 'a', which holds at most 'max'
 * entries (PMD, or main on a copy): into an empty or aged-out way of its buckets while
 * the count has room, else in place of an entry mac_make_room() evicts, else not at all,
 * the main thread asked to make room (see Size above).  Once its way is claimed (and
 * counted), the key is published only if no other learner of it wins (mac_contend).
 */
static inline void
mac_insert(struct mac_array *a, const struct mac_pos *p, uint16_t slot, uint32_t seen,
	uint32_t now, unsigned max)
{
	int way[2], n_free[2], k, w;
	uint32_t oldest[2], bi;
	uint64_t old, e;
	bool reserved = false;

	for (k = 0; k < 2; k++)
		n_free[k] = mac_bucket_room(&a->b[p->bucket[k]], now, &way[k], &oldest[k]);
	if (n_free[0] + n_free[1] > 0)
		k = n_free[1] > n_free[0];
	else
		k = oldest[1] < oldest[0];
	bi = p->bucket[k];
	w = way[k];
	old = __atomic_load_n(&a->b[bi].entry[w], __ATOMIC_RELAXED);
	if (mac_entry_claimed(old))
		return;		/* every way another learner's: this host next time */
	if (!mac_entry_valid(old)) {
		reserved = __atomic_fetch_add(&a->n_entries, 1, __ATOMIC_RELAXED) < max;
		if (!reserved) {
			__atomic_fetch_sub(&a->n_entries, 1, __ATOMIC_RELAXED);
			if (!mac_make_room(a, p, max, &k, &bi, &w, &old, &reserved))
				return;
		}
	}
	e = p->key[k] | ((uint64_t)(slot & 0xff) << 7);
	if (!__atomic_compare_exchange_n(&a->b[bi].entry[w], &old, mac_claim_of(e), false,
			__ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
		if (reserved)
			__atomic_fetch_sub(&a->n_entries, 1, __ATOMIC_RELAXED);
		return;
	}
	if (!mac_contend(a, p, bi, w)) {
		/* Another learner's entry of this key stands: the way goes back, and its count. */
		__atomic_store_n(&a->b[bi].entry[w], 0, __ATOMIC_RELEASE);
		mac_gone(a, bi);
	} else if (mac_publish(&a->b[bi], w, e, seen)) {
		mac_mark_used(a, bi);
	} else {
		mac_gone(a, bi);	/* overruled after all: the way is empty */
	}
}

/** Bind ('mac', 'vlan') to 'slot' at time 'now', within the table's limit (PMD). */
static inline void
mac_learn(struct mac_table *t, uint64_t mac, uint16_t vlan, uint16_t slot, uint32_t now)
{
	struct mac_array *a = __atomic_load_n(&t->a, __ATOMIC_ACQUIRE);
	struct mac_pos p = mac_pos_of(a, mac, vlan);

	if (!mac_refresh(a, &p, slot, now))
		mac_insert(a, &p, slot, now, now,
			__atomic_load_n(&t->max_entries, __ATOMIC_RELAXED));
}

/**
 * Remove entries older than the aging time, then, while more than mac-table-size are left,
 * the oldest of the ports with the most (main thread).  Returns how many went.
 */
unsigned mac_table_age(struct mac_table *t, uint32_t now);

/**
 * Make room in 't' if a PMD asked for it (main thread, on every tick of its loop): when a
 * new host found the table full and no entry to evict near its buckets ('evict_wanted',
 * see Size), evict the least recently seen entry of the whole table, so that the host's
 * next packet is learnt.  Returns how many entries went (0 or 1).
 */
unsigned mac_table_run(struct mac_table *t);

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
