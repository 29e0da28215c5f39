/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MAC learning table: creation, resizing, aging, the mac-table-size limit and walks (main
 * thread).  Look-up and learning are inline in mac.h for the PMDs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <rte_cycles.h>
#include <rte_random.h>
#include <rte_malloc.h>

#include "mac.h"

static unsigned
clamp_max(unsigned max_entries)
{
	return max_entries < MAC_MIN_MAX ? MAC_MIN_MAX :
		max_entries > MAC_MAX_MAX ? MAC_MAX_MAX : max_entries;
}

/* Bucket bits for a limit of 'max_entries': MAC_WAYS times the room it needs (mac.h). */
static uint32_t
bits_for(unsigned max_entries)
{
	uint32_t bits = MAC_MIN_BUCKET_BITS;

	while ((1u << bits) < max_entries)
		bits++;
	return bits;
}

static struct mac_array *
array_create(int socket, uint32_t bits)
{
	size_t n = (size_t)1 << bits;
	struct mac_array *a = rte_zmalloc_socket("mac_table",
		sizeof(*a) + n * sizeof(a->b[0]) + n / 8, 64, socket);

	if (a == NULL)
		return NULL;
	a->used = (uint64_t *)&a->b[n];
	a->bits = bits;
	a->mask = (uint32_t)(n - 1);
	if (getrandom(a->secret, sizeof(a->secret), 0) != sizeof(a->secret)) {
		a->secret[0] = rte_rand();
		a->secret[1] = rte_rand();
	}
	return a;
}

void
mac_array_free(void *array)
{
	rte_free(array);
}

struct mac_table *
mac_table_create(int socket, unsigned max_entries)
{
	struct mac_table *t = rte_zmalloc_socket("mac_table", sizeof(*t), 64, socket);

	if (t == NULL)
		return NULL;
	t->max_entries = clamp_max(max_entries);
	t->socket = socket;
	t->a = array_create(socket, bits_for(t->max_entries));
	if (t->a == NULL) {
		rte_free(t);
		return NULL;
	}
	return t;
}

void
mac_table_destroy(struct mac_table *t)
{
	if (t != NULL)
		rte_free(t->a);
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

static struct mac_array *
array_of(const struct mac_table *t)
{
	return __atomic_load_n(&t->a, __ATOMIC_ACQUIRE);
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
key_of(const struct mac_array *a, uint32_t bucket, uint64_t e)
{
	uint64_t rem = e >> 15;
	uint32_t primary = e & MAC_ALT_BIT ? bucket ^ mac_alt(a, rem) : bucket;
	uint64_t h = (rem << a->bits) | primary;

	h = unshift(h, 32);
	h = (h * inverse_odd(a->secret[1] | 1)) & MAC_KEY_MASK;
	h = unshift(h, 29);
	h = (h * inverse_odd(MAC_MIX1)) & MAC_KEY_MASK;
	return h ^ (a->secret[0] & MAC_KEY_MASK);
}

/* One live entry, as mac-table-size's eviction sorts them. */
struct live {
	uint64_t e;
	uint64_t *where;
	uint32_t *seen_at;
	uint32_t seen;
	uint32_t bucket;
	uint16_t slot;
};

static int
live_cmp(const void *x, const void *y)
{
	const struct live *a = x, *b = y;

	if (a->slot != b->slot)
		return a->slot < b->slot ? -1 : 1;
	return a->seen < b->seen ? -1 : a->seen > b->seen;
}

static bool
is_live(const struct mac_array *a, size_t i, int w, uint32_t now, uint64_t *e, uint32_t *seen)
{
	*e = __atomic_load_n(&a->b[i].entry[w], __ATOMIC_ACQUIRE);
	*seen = __atomic_load_n(&a->b[i].seen[w], __ATOMIC_RELAXED);
	return mac_entry_valid(*e) && !mac_aged(now, *seen);
}

/*
 * The live entries of 'a' (malloc'd, '*n' of them), or NULL when there are no more than
 * 'min' (or no memory).
 */
static struct live *
live_entries(struct mac_array *a, uint32_t now, size_t min, size_t *n)
{
	struct live *v;
	uint64_t e;
	uint32_t seen;
	size_t cap = 0;

	*n = 0;
	for (size_t i = 0; i <= a->mask; i++)
		for (int w = 0; w < MAC_WAYS; w++)
			cap += is_live(a, i, w, now, &e, &seen);
	if (cap <= min || (v = malloc(cap * sizeof(*v))) == NULL)
		return NULL;
	for (size_t i = 0; i <= a->mask; i++)
		for (int w = 0; w < MAC_WAYS && *n < cap; w++)
			if (is_live(a, i, w, now, &e, &seen))
				v[(*n)++] = (struct live){ e, &a->b[i].entry[w],
					&a->b[i].seen[w], seen, (uint32_t)i, mac_entry_slot(e) };
	return v;
}

/*
 * How many entries port slot 's' keeps when the ports, with 'count[s]' entries each, are
 * brought to 'max' in all by taking from the port with the most, one at a time (Open
 * vSwitch's evict_mac_entry_fairly): every port keeps at most a level L, and the ports
 * above it share what is left of 'max' one each, lowest slot first.
 */
static void
fair_shares(const unsigned count[256], unsigned max, unsigned keep[256])
{
	unsigned lo = 0, hi = max, sum = 0, left;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo + 1) / 2, s = 0;

		for (int i = 0; i < 256; i++)
			s += count[i] < mid ? count[i] : mid;
		if (s <= max)
			lo = mid;
		else
			hi = mid - 1;
	}
	for (int i = 0; i < 256; i++) {
		keep[i] = count[i] < lo ? count[i] : lo;
		sum += keep[i];
	}
	left = max - sum;
	for (int i = 0; i < 256 && left > 0; i++)
		if (count[i] > keep[i]) {
			keep[i]++;
			left--;
		}
}

/*
 * Remove the entry 'l' unless a PMD refreshed or replaced it since it was read: true when
 * it went.  A refresh on the same port rewrites 'seen' only, not the entry word, so the
 * compare-and-swap alone would remove a host a PMD has just seen again; 'seen' is read
 * again right before it.  A refresh between that read and the swap still loses: a window
 * of a few instructions, and the host is learnt again from its next packet.
 */
static bool
remove_unless_seen(struct mac_array *a, const struct live *l)
{
	if ((int32_t)(__atomic_load_n(l->seen_at, __ATOMIC_RELAXED) - l->seen) > 0)
		return false;
	return mac_remove(a, l->where, l->e);
}

/*
 * Bring 'a' down to 'max' live entries as fair_shares() says, oldest first.  An entry
 * refreshed since the walk stays (remove_unless_seen), leaving the table over 'max' until
 * the next pass: meanwhile PMDs only replace entries, the count being at the limit.
 */
static unsigned
evict_over(struct mac_array *a, unsigned max, uint32_t now)
{
	unsigned count[256] = { 0 }, keep[256], n_evicted = 0;
	size_t n;
	struct live *v = live_entries(a, now, max, &n);

	if (v == NULL || n <= max) {
		free(v);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		count[v[i].slot]++;
	fair_shares(count, max, keep);
	qsort(v, n, sizeof(*v), live_cmp);
	for (size_t i = 0; i < n;) {
		uint16_t s = v[i].slot;

		for (unsigned k = count[s] - keep[s]; k > 0; k--, i++)
			n_evicted += remove_unless_seen(a, &v[i]);
		i += keep[s];
	}
	free(v);
	return n_evicted;
}

unsigned
mac_table_age(struct mac_table *t, uint32_t now)
{
	struct mac_array *a = array_of(t);
	unsigned n = 0;

	for (size_t i = 0; i <= a->mask; i++) {
		struct mac_bucket *b = &a->b[i];

		for (int w = 0; w < MAC_WAYS; w++) {
			uint64_t e = __atomic_load_n(&b->entry[w], __ATOMIC_ACQUIRE);

			if (!mac_entry_valid(e))
				continue;
			/* 'seen' read right before the swap: see remove_unless_seen(). */
			if (mac_aged(now, __atomic_load_n(&b->seen[w], __ATOMIC_RELAXED)))
				n += mac_remove(a, &b->entry[w], e);
		}
	}
	return n + evict_over(a, mac_table_max(t), now);
}

unsigned
mac_table_run(struct mac_table *t)
{
	struct mac_array *a = array_of(t);
	uint64_t *where = NULL, e = 0;
	uint32_t *seen_at = NULL, oldest = 0;

	if (!__atomic_load_n(&a->evict_wanted, __ATOMIC_RELAXED))
		return 0;
	__atomic_store_n(&a->evict_wanted, 0, __ATOMIC_RELAXED);
	if (__atomic_load_n(&a->n_entries, __ATOMIC_RELAXED) < mac_table_max(t))
		return 0;	/* room was made meanwhile (aging, a flush) */
	for (size_t i = 0; i <= a->mask; i++)
		for (int w = 0; w < MAC_WAYS; w++) {
			uint64_t x = __atomic_load_n(&a->b[i].entry[w], __ATOMIC_ACQUIRE);
			uint32_t seen = __atomic_load_n(&a->b[i].seen[w], __ATOMIC_RELAXED);

			if (!mac_entry_valid(x) || (where != NULL && (int32_t)(seen - oldest) >= 0))
				continue;
			where = &a->b[i].entry[w];
			seen_at = &a->b[i].seen[w];
			e = x;
			oldest = seen;
		}
	if (where == NULL)
		return 0;
	if (remove_unless_seen(a, &(struct live){ .e = e, .where = where, .seen_at = seen_at,
			.seen = oldest }))
		return 1;
	/* The oldest entry was refreshed or replaced under the scan: the next pass tries again. */
	__atomic_store_n(&a->evict_wanted, 1, __ATOMIC_RELAXED);
	return 0;
}

/* Copy the live entries of 'from' into the empty 'to' (not yet published), 'max' at most. */
static void
array_copy(struct mac_array *to, struct mac_array *from, uint32_t now, unsigned max)
{
	size_t n;
	struct live *v = live_entries(from, now, 0, &n);

	for (size_t i = 0; v != NULL && i < n; i++) {
		uint64_t key = key_of(from, v[i].bucket, v[i].e);
		struct mac_pos p = mac_pos_of(to, key >> 12, (uint16_t)(key & 0xfff));

		mac_insert(to, &p, v[i].slot, v[i].seen, now, max);
	}
	free(v);
}

int
mac_table_resize(struct mac_table *t, unsigned max_entries, uint32_t now, void **old)
{
	struct mac_array *a = array_of(t), *n;

	*old = NULL;
	max_entries = clamp_max(max_entries);
	__atomic_store_n(&t->max_entries, max_entries, __ATOMIC_RELAXED);
	evict_over(a, max_entries, now);
	if (bits_for(max_entries) == a->bits)
		return 0;
	n = array_create(t->socket, bits_for(max_entries));
	if (n == NULL)
		return -ENOMEM;
	array_copy(n, a, now, max_entries);
	__atomic_store_n(&t->a, n, __ATOMIC_RELEASE);
	*old = a;
	return 0;
}

unsigned
mac_table_max(const struct mac_table *t)
{
	return t->max_entries;
}

void
mac_table_flush_slot(struct mac_table *t, uint16_t slot)
{
	struct mac_array *a = array_of(t);

	for (size_t i = 0; i <= a->mask; i++)
		for (int w = 0; w < MAC_WAYS; w++) {
			uint64_t e = __atomic_load_n(&a->b[i].entry[w], __ATOMIC_RELAXED);

			if (mac_entry_valid(e) && mac_entry_slot(e) == (slot & 0xff))
				mac_remove(a, &a->b[i].entry[w], e);
		}
}

void
mac_table_flush(struct mac_table *t)
{
	struct mac_array *a = array_of(t);

	for (size_t i = 0; i <= a->mask; i++)
		for (int w = 0; w < MAC_WAYS; w++) {
			uint64_t e = __atomic_load_n(&a->b[i].entry[w], __ATOMIC_RELAXED);

			/* A claimed way is its learner's: learnt right after the flush. */
			if (mac_entry_valid(e))
				mac_remove(a, &a->b[i].entry[w], e);
		}
}

void
mac_table_foreach(const struct mac_table *t, uint32_t now,
		void (*cb)(void *aux, uint64_t mac, uint16_t vlan, uint16_t slot, uint32_t age),
		void *aux)
{
	const struct mac_array *a = array_of(t);

	for (size_t i = 0; i <= a->mask; i++)
		for (int w = 0; w < MAC_WAYS; w++) {
			uint64_t e = __atomic_load_n(&a->b[i].entry[w], __ATOMIC_ACQUIRE), key;
			uint32_t seen = __atomic_load_n(&a->b[i].seen[w], __ATOMIC_RELAXED);
			uint32_t age = (int32_t)(now - seen) < 0 ? 0 : now - seen;

			if (!mac_entry_valid(e) || mac_aged(now, seen))
				continue;
			key = key_of(a, (uint32_t)i, e);
			cb(aux, key >> 12, (uint16_t)(key & 0xfff), mac_entry_slot(e), age);
		}
}
