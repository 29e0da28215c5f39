/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dataplane/mac: learning, look-up, aging, replacement, flushing, the mac-table-size limit,
 * resizing, and concurrent learners that must never produce a binding nobody learned.
 */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mac.h"

/*
 * No EAL here: the table's hugepage allocations come from the heap (the link wraps
 * rte_zmalloc_socket and rte_free, -Wl,--wrap).
 */
void *__wrap_rte_zmalloc_socket(const char *type, size_t size, unsigned align, int socket);
void __wrap_rte_free(void *ptr);

void *
__wrap_rte_zmalloc_socket(const char *type, size_t size, unsigned align, int socket)
{
	void *p = aligned_alloc(align, (size + align - 1) / align * align);

	(void)type;
	(void)socket;
	if (p != NULL)
		memset(p, 0, size);
	return p;
}

void
__wrap_rte_free(void *ptr)
{
	free(ptr);
}

/*
 * The main thread's eviction sorts the entries it walked before it removes the oldest:
 * 'after_sort', when set, runs in between, as a PMD would (-Wl,--wrap=qsort).
 */
void __real_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
void __wrap_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
static void (*after_sort)(void);

void
__wrap_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	__real_qsort(base, n, size, cmp);
	if (after_sort != NULL)
		after_sort();
}

static uint64_t rng = 0x0123456789abcdefULL;

static uint64_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
test_basic(struct mac_table *t)
{
	const uint8_t a[6] = { 0x52, 0x54, 0, 0, 0, 1 };
	uint64_t m = mac_from_bytes(a);

	CHECK(m == 0x525400000001ULL, "mac_from_bytes %llx", (unsigned long long)m);
	CHECK(mac_lookup(t, m, 0, 100) == MAC_SLOT_NONE, "empty table");
	mac_learn(t, m, 0, 3, 100);
	CHECK(mac_lookup(t, m, 0, 100) == 3, "learned");
	mac_learn(t, m, 0, 5, 110);
	CHECK(mac_lookup(t, m, 0, 110) == 5, "moved to another port");
	CHECK(mac_lookup(t, m, 0, 110 + MAC_AGING_S) == 5, "still alive at the aging limit");
	CHECK(mac_lookup(t, m, 0, 111 + MAC_AGING_S) == MAC_SLOT_NONE, "aged out on look-up");
	CHECK(mac_table_age(t, 111 + MAC_AGING_S) == 1, "aging removes it");
	mac_learn(t, m, 0, 0, 200);
	CHECK(mac_lookup(t, m, 0, 200) == 0, "slot 0 is a valid slot");
}

/* Keys whose two buckets are those of 'first' (the search takes a few million hashes). */
static unsigned
same_pair(struct mac_table *t, uint64_t first, uint64_t *out, unsigned want)
{
	struct mac_pos p = mac_pos_of(t->a, first, 0);
	unsigned n = 0;

	out[n++] = first;
	for (uint64_t m = first + 1; n < want && m < first + (1ULL << 30); m++) {
		struct mac_pos q = mac_pos_of(t->a, m, 0);

		if ((q.bucket[0] == p.bucket[0] && q.bucket[1] == p.bucket[1]) ||
		    (q.bucket[0] == p.bucket[1] && q.bucket[1] == p.bucket[0]))
			out[n++] = m;
	}
	return n;
}

/* Both buckets of a key full: the oldest of their entries makes room. */
static void
test_replacement(struct mac_table *t)
{
	uint64_t pair[2 * MAC_WAYS + 1];
	unsigned n;

	mac_table_flush(t);
	n = same_pair(t, 0x020000000001ULL, pair, 2 * MAC_WAYS + 1);
	CHECK(n == 2 * MAC_WAYS + 1, "found %u keys of one bucket pair", n);
	if (n < 2 * MAC_WAYS + 1)
		return;
	for (unsigned i = 0; i < 2 * MAC_WAYS; i++)
		mac_learn(t, pair[i], 0, (uint16_t)i, 1000 + i);
	for (unsigned i = 0; i < 2 * MAC_WAYS; i++)
		CHECK(mac_lookup(t, pair[i], 0, 1010) == i, "entry %u fits the pair", i);
	mac_learn(t, pair[2 * MAC_WAYS], 0, 9, 1100);
	CHECK(mac_lookup(t, pair[0], 0, 1100) == MAC_SLOT_NONE, "oldest entry replaced");
	for (unsigned i = 1; i < 2 * MAC_WAYS; i++)
		CHECK(mac_lookup(t, pair[i], 0, 1100) == i, "newer entry %u kept", i);
	CHECK(mac_lookup(t, pair[2 * MAC_WAYS], 0, 1100) == 9, "newcomer learned");
	mac_table_flush_slot(t, 9);
	CHECK(mac_lookup(t, pair[2 * MAC_WAYS], 0, 1100) == MAC_SLOT_NONE, "flushed by slot");
	CHECK(mac_lookup(t, pair[1], 0, 1100) == 1, "other slots survive a slot flush");
}

/*
 * A guest that knows the hash picks source MACs that share a victim's bucket and evicts
 * it.  Here the attacker assumes the table's key is zero or public (a fixed multiplier, as
 * an unkeyed hash would be): with a random key its MACs scatter and the victim stays.
 */
static uint32_t
public_bucket(uint64_t mac)
{
	static const struct mac_array pub = { .secret = { 0, 1 }, .mask = 2047, .bits = 11 };

	return mac_pos_of(&pub, mac, 0).bucket[0];
}

static uint32_t
old_unkeyed_bucket(uint64_t mac)
{
	return (uint32_t)((mac * 0x9e3779b97f4a7c15ULL) >> 40) & 2047;
}

static void
test_keyed(void)
{
	const uint64_t victim = 0x525400abcdefULL;
	uint32_t (*guesses[])(uint64_t) = { public_bucket, old_unkeyed_bucket };
	struct mac_table *t = mac_table_create(0, MAC_DEFAULT_MAX);
	struct mac_table *u = mac_table_create(0, MAC_DEFAULT_MAX);

	CHECK(t->a->secret[0] != u->a->secret[0] || t->a->secret[1] != u->a->secret[1],
		"two tables drew the same key");
	for (size_t g = 0; g < sizeof(guesses) / sizeof(guesses[0]); g++) {
		unsigned n = 0;

		mac_table_flush(t);
		mac_learn(t, victim, 0, 7, 100);
		for (uint64_t m = 0x020000000000ULL; n < 8 * MAC_WAYS; m++) {
			if (guesses[g](m) != guesses[g](victim))
				continue;
			mac_learn(t, m, 0, 1, (uint32_t)(101 + n));
			n++;
		}
		CHECK(mac_lookup(t, victim, 0, 200) == 7,
			"%u MACs aimed at the victim's bucket (guess %zu) evicted it", n, g);
	}
	mac_table_destroy(t);
	mac_table_destroy(u);
}

/* Entry words in 't', aged or not. */
static unsigned
n_valid(const struct mac_table *t)
{
	unsigned n = 0;

	for (size_t i = 0; i <= t->a->mask; i++)
		for (int w = 0; w < MAC_WAYS; w++)
			n += mac_entry_valid(t->a->b[i].entry[w]);
	return n;
}

struct racer {
	struct mac_table *t;
	unsigned id;
	volatile int *stop;
	unsigned bad;
	unsigned rounds;	/* of 4096 hosts each */
};

/* Learner 'id' binds MACs (id << 32 | k) to slot id; readers check every hit. */
static void *
racer_main(void *arg)
{
	struct racer *r = arg;
	uint32_t now = 5000;

	for (unsigned round = 0; round < r->rounds; round++) {
		for (uint64_t k = 0; k < 4096; k++) {
			uint64_t mac = ((uint64_t)(r->id + 1) << 32) | k;
			uint64_t other = ((uint64_t)(2 - r->id) << 32) | k;
			uint16_t s;

			mac_learn(r->t, mac, 0, (uint16_t)r->id, now);
			s = mac_lookup(r->t, other, 0, now);
			if (s != MAC_SLOT_NONE && s != 1 - r->id)
				r->bad++;
		}
	}
	return NULL;
}

static void
test_concurrent(struct mac_table *t)
{
	pthread_t th[2];
	struct racer r[2];
	volatile int stop = 0;

	mac_table_flush(t);
	for (unsigned i = 0; i < 2; i++) {
		r[i] = (struct racer){ t, i, &stop, 0, 200 };
		pthread_create(&th[i], NULL, racer_main, &r[i]);
	}
	for (unsigned i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK(r[0].bad == 0 && r[1].bad == 0, "torn bindings seen: %u %u", r[0].bad, r[1].bad);
	CHECK(n_valid(t) <= mac_table_max(t) && t->a->n_entries == n_valid(t),
		"two learners of 8192 hosts: %u entries, counted %u, limit %u", n_valid(t),
		t->a->n_entries, mac_table_max(t));
}

/* Valid entry words of ('mac', 'vlan') in 't', wherever they are. */
static unsigned
n_bound(const struct mac_table *t, uint64_t mac, uint16_t vlan)
{
	struct mac_pos p = mac_pos_of(t->a, mac, vlan);
	unsigned n = 0;

	for (int k = 0; k < 2; k++)
		for (int w = 0; w < MAC_WAYS; w++) {
			uint64_t e = t->a->b[p.bucket[k]].entry[w];

			n += mac_entry_valid(e) && (e & ~MAC_SLOT_BITS) == p.key[k];
		}
	return n;
}

/*
 * The other learner of test_same_host_claimed() finishes as mac_insert() does: its time,
 * then its claim turned into the entry word; a claim overruled meanwhile empties the way
 * and gives its place in the count back.
 */
static void
other_publish(struct mac_array *a, uint32_t bi, int w, uint64_t e, uint32_t seen)
{
	uint64_t claim = mac_claim_of(e);

	a->b[bi].seen[w] = seen;
	if (!__atomic_compare_exchange_n(&a->b[bi].entry[w], &claim, e, false,
			__ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
		a->b[bi].entry[w] = 0;
		a->n_entries--;
	}
}

/*
 * test_same_host()'s instant held still: a PMD has claimed a way for a new host (counted
 * it, not yet published it) when another learns the same host, into the other bucket of
 * the host's pair, before or after the first in the table's order.  One entry of the host
 * is left either way, counted once.
 */
static void
test_same_host_claimed(struct mac_table *t)
{
	const uint64_t m = 0x525400000077ULL;

	for (int k = 0; k < 2; k++) {
		struct mac_array *a = t->a;
		struct mac_pos p = mac_pos_of(a, m, 0);
		uint64_t e = p.key[k] | (1ULL << 7);	/* slot 1 */
		uint16_t s;

		mac_table_flush(t);
		a->n_entries++;
		a->b[p.bucket[k]].entry[0] = mac_claim_of(e);
		mac_learn(t, m, 0, 2, 100);
		other_publish(a, p.bucket[k], 0, e, 100);
		s = mac_lookup(t, m, 0, 100);
		CHECK(n_bound(t, m, 0) == 1 && (s == 1 || s == 2),
			"claim in bucket %d (%s): the host bound %u times, to slot %u", k,
			p.bucket[k] < p.bucket[1 - k] ? "first" : "second", n_bound(t, m, 0), s);
		CHECK(a->n_entries == n_valid(t), "claim in bucket %d: counted %u, %u there", k,
			a->n_entries, n_valid(t));
	}
	mac_table_flush(t);
}

/*
 * Learners of test_same_host(): each binds the same new hosts, in the same order, between
 * two spin barriers, so that two PMDs meet on one host at the same instant; learner 0
 * checks the table between rounds while the others wait.
 */
#define SAME_HOST_LEARNERS 2
#ifdef __SANITIZE_THREAD__
#define SAME_HOST_ROUNDS 100	/* ThreadSanitizer checks the accesses; each is slow there */
#else
#define SAME_HOST_ROUNDS 1000
#endif
#define SAME_HOST_KEYS 128

struct same_host {
	struct mac_table *t;
	unsigned arrived;	/* atomic: learners at the barrier */
	unsigned phase;		/* atomic: barriers passed */
	unsigned dup;		/* hosts bound twice or more (learner 0) */
	unsigned lost;		/* hosts not bound at all (learner 0) */
	unsigned char count[SAME_HOST_KEYS];
};

static void
same_host_barrier(struct same_host *s)
{
	unsigned phase = __atomic_load_n(&s->phase, __ATOMIC_ACQUIRE);

	if (__atomic_add_fetch(&s->arrived, 1, __ATOMIC_ACQ_REL) == SAME_HOST_LEARNERS) {
		__atomic_store_n(&s->arrived, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&s->phase, phase + 1, __ATOMIC_RELEASE);
		return;
	}
	/* Spin first: a learner put to sleep here would start its round late. */
	for (unsigned spins = 0; __atomic_load_n(&s->phase, __ATOMIC_ACQUIRE) == phase; spins++)
		if (spins > 100000)
			sched_yield();
}

static void
same_host_count(void *aux, uint64_t mac, uint16_t vlan, uint16_t slot, uint32_t age)
{
	struct same_host *s = aux;

	(void)vlan;
	(void)slot;
	(void)age;
	s->count[mac & (SAME_HOST_KEYS - 1)]++;
}

static uint64_t
same_host_mac(unsigned round, unsigned i)
{
	return 0x060000000000ULL | ((uint64_t)round << 16) | i;
}

struct same_host_arg {
	struct same_host *s;
	unsigned id;
};

static void *
same_host_main(void *arg)
{
	struct same_host_arg *l = arg;
	struct same_host *s = l->s;

	for (unsigned round = 0; round < SAME_HOST_ROUNDS; round++) {
		same_host_barrier(s);
		for (unsigned i = 0; i < SAME_HOST_KEYS; i++)
			mac_learn(s->t, same_host_mac(round, i), 7, 1, 300);
		same_host_barrier(s);
		if (l->id != 0)
			continue;
		memset(s->count, 0, sizeof(s->count));
		mac_table_foreach(s->t, 300, same_host_count, s);
		for (unsigned i = 0; i < SAME_HOST_KEYS; i++) {
			s->dup += s->count[i] > 1;
			s->lost += s->count[i] == 0;
		}
		mac_table_flush(s->t);
	}
	return NULL;
}

/*
 * PMDs that see the same new host at the same instant (a broadcast from it reaching the
 * bridge through two ports' queues, or two queues of one port) bind it once: the table
 * never holds two entries of one (MAC, VLAN), whose look-up would answer with either and
 * whose eviction would leave the other behind.
 */
static void
test_same_host(void)
{
	struct same_host s = { .t = mac_table_create(0, MAC_DEFAULT_MAX) };
	struct same_host_arg l[SAME_HOST_LEARNERS];
	pthread_t th[SAME_HOST_LEARNERS];

	for (unsigned i = 0; i < SAME_HOST_LEARNERS; i++) {
		l[i] = (struct same_host_arg){ &s, i };
		pthread_create(&th[i], NULL, same_host_main, &l[i]);
	}
	for (unsigned i = 0; i < SAME_HOST_LEARNERS; i++)
		pthread_join(th[i], NULL);
	CHECK(s.dup == 0, "%u of %u hosts learnt by %d PMDs at once bound twice", s.dup,
		SAME_HOST_ROUNDS * SAME_HOST_KEYS, SAME_HOST_LEARNERS);
	/* Two hosts meeting on one way leave one unlearnt (mac.h): rare, never the rule. */
	CHECK(s.lost <= SAME_HOST_ROUNDS * SAME_HOST_KEYS / 1000,
		"%u of %u hosts learnt by %d PMDs at once not bound", s.lost,
		SAME_HOST_ROUNDS * SAME_HOST_KEYS, SAME_HOST_LEARNERS);
	CHECK(s.t->a->n_entries == 0 && n_valid(s.t) == 0, "counted %u after a flush",
		s.t->a->n_entries);
	mac_table_destroy(s.t);
}

/*
 * A way another learner has claimed and not yet published is left alone, its time
 * included: a new host whose pair is otherwise full takes the place of the oldest entry.
 */
static void
test_claimed_way(struct mac_table *t)
{
	uint64_t pair[2 * MAC_WAYS + 1];
	struct mac_pos p;
	uint64_t *claimed = NULL, word, was;
	uint32_t *claimed_seen = NULL;

	mac_table_flush(t);
	if (same_pair(t, 0x020000000001ULL, pair, 2 * MAC_WAYS + 1) < 2 * MAC_WAYS + 1)
		return;		/* test_replacement failed already */
	for (unsigned i = 0; i < 2 * MAC_WAYS; i++)
		mac_learn(t, pair[i], 0, (uint16_t)i, 1000 + i);
	/* The way of pair[3]: as if a PMD had swapped in its claim and not written 'seen'. */
	p = mac_pos_of(t->a, pair[3], 0);
	for (int k = 0; k < 2; k++)
		for (int w = 0; w < MAC_WAYS; w++)
			if ((t->a->b[p.bucket[k]].entry[w] & ~MAC_SLOT_BITS) == p.key[k]) {
				claimed = &t->a->b[p.bucket[k]].entry[w];
				claimed_seen = &t->a->b[p.bucket[k]].seen[w];
			}
	CHECK(claimed != NULL, "pair[3] not found");
	if (claimed == NULL)
		return;
	was = *claimed;
	word = mac_claim_of(was);
	*claimed = word;
	*claimed_seen = 555;
	mac_learn(t, pair[2 * MAC_WAYS], 0, 9, 1100);
	CHECK(*claimed == word && *claimed_seen == 555,
		"a claimed way written: word %#" PRIx64 " (was %#" PRIx64 "), seen %u", *claimed,
		word, *claimed_seen);
	CHECK(mac_lookup(t, pair[2 * MAC_WAYS], 0, 1100) == 9 &&
		mac_lookup(t, pair[0], 0, 1100) == MAC_SLOT_NONE,
		"the newcomer did not take the place of the oldest entry");
	*claimed = was;		/* the claimer publishes */
	mac_table_flush(t);
	CHECK(t->a->n_entries == 0 && n_valid(t) == 0, "counted %u after a flush",
		t->a->n_entries);
}

/* Learner 'id' of test_seen_owner(): keys[id * MAC_WAYS...], slot 'id', time 1000 + 100 id. */
struct owner {
	struct mac_table *t;
	const uint64_t *keys;
	unsigned id;
	unsigned *done;
};

static void *
owner_main(void *arg)
{
	struct owner *o = arg;

	for (unsigned round = 0; round < 50000; round++)
		for (unsigned i = 0; i < MAC_WAYS; i++)
			mac_learn(o->t, o->keys[o->id * MAC_WAYS + i], 0, (uint16_t)o->id,
				1000 + 100 * o->id);
	__atomic_fetch_add(o->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Entries of 'b' whose time is not their learner's; '*n' counts the entries looked at. */
static unsigned
wrong_seen(const struct mac_bucket *b, unsigned *n)
{
	unsigned bad = 0;

	for (int w = 0; w < MAC_WAYS; w++) {
		uint64_t e = __atomic_load_n(&b->entry[w], __ATOMIC_ACQUIRE);
		uint32_t seen = __atomic_load_n(&b->seen[w], __ATOMIC_ACQUIRE);

		if (!mac_entry_valid(e) || __atomic_load_n(&b->entry[w], __ATOMIC_RELAXED) != e)
			continue;
		(*n)++;
		bad += seen != 1000 + 100u * mac_entry_slot(e);
	}
	return bad;
}

/*
 * Two learners, each with its own clock, keep replacing each other's entries in one pair
 * of buckets: every entry read with its word, and every one at the end, carries the time
 * of the learner that wrote the word.  A learner whose swap fails must leave no time behind
 * (it used to store its time first, onto whatever the way held by then).
 */
static void
test_seen_owner(struct mac_table *t)
{
	uint64_t keys[2 * MAC_WAYS];
	struct owner o[2];
	pthread_t th[2];
	struct mac_pos p;
	unsigned bad = 0, n = 0, done = 0;

	mac_table_flush(t);
	if (same_pair(t, 0x040000000001ULL, keys, 2 * MAC_WAYS) < 2 * MAC_WAYS) {
		CHECK(0, "no %d keys of one bucket pair", 2 * MAC_WAYS);
		return;
	}
	p = mac_pos_of(t->a, keys[0], 0);
	for (unsigned i = 0; i < 2; i++) {
		o[i] = (struct owner){ t, keys, i, &done };
		pthread_create(&th[i], NULL, owner_main, &o[i]);
	}
	while (__atomic_load_n(&done, __ATOMIC_ACQUIRE) < 2)
		for (int k = 0; k < 2; k++)
			bad += wrong_seen(&t->a->b[p.bucket[k]], &n);
	for (unsigned i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK(bad == 0, "%u of %u entries read had another learner's time", bad, n);
	n = 0;
	bad = wrong_seen(&t->a->b[p.bucket[0]], &n) + wrong_seen(&t->a->b[p.bucket[1]], &n);
	CHECK(bad == 0 && n == 2 * MAC_WAYS, "at the end, %u of %u entries had another "
		"learner's time", bad, n);
	CHECK(t->a->n_entries == n_valid(t), "counted %u, %u there", t->a->n_entries,
		n_valid(t));
	mac_table_flush(t);
}

static unsigned n_walked;

static void
walk(void *aux, uint64_t mac, uint16_t vlan, uint16_t slot, uint32_t age)
{
	(void)aux;
	(void)mac;
	(void)vlan;
	(void)slot;
	(void)age;
	n_walked++;
}

/* Open vSwitch learns per VLAN: one MAC, two VLANs, two ports. */
static void
test_vlans(struct mac_table *t)
{
	const uint64_t m = 0x525400000042ULL;

	mac_table_flush(t);
	mac_learn(t, m, 100, 3, 10);
	CHECK(mac_lookup(t, m, 100, 10) == 3, "learned in VLAN 100");
	CHECK(mac_lookup(t, m, 200, 10) == MAC_SLOT_NONE, "VLAN 100's binding seen in VLAN 200");
	CHECK(mac_lookup(t, m, 0, 10) == MAC_SLOT_NONE, "VLAN 100's binding seen untagged");
	mac_learn(t, m, 200, 4, 11);
	CHECK(mac_lookup(t, m, 100, 11) == 3 && mac_lookup(t, m, 200, 11) == 4,
		"VLAN 200's binding replaced VLAN 100's: %u %u", mac_lookup(t, m, 100, 11),
		mac_lookup(t, m, 200, 11));
	/* VLANs that differ only above their low 8 bits stay apart too. */
	mac_learn(t, m, 100 + 256, 5, 12);
	CHECK(mac_lookup(t, m, 100, 12) == 3 && mac_lookup(t, m, 356, 12) == 5, "VLAN 356");
	mac_table_flush_slot(t, 3);
	CHECK(mac_lookup(t, m, 100, 12) == MAC_SLOT_NONE && mac_lookup(t, m, 200, 12) == 4,
		"slot flush");
}

struct walked {
	uint64_t mac;
	uint16_t vlan, slot;
	unsigned n;
	unsigned bad;
};

static void
walk_one(void *aux, uint64_t mac, uint16_t vlan, uint16_t slot, uint32_t age)
{
	struct walked *w = aux;

	(void)age;
	w->n++;
	if (mac != w->mac || vlan != w->vlan || slot != w->slot)
		w->bad++;
}

/* The table keeps (MAC, VLAN) by quotient: fdb/show must get every key back exactly. */
static void
test_walk_keys(struct mac_table *t)
{
	struct walked w = { 0 };
	uint64_t x = 0x0123456789abcdefULL;
	unsigned bad = 0;

	for (unsigned i = 0; i < 2000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		mac_table_flush(t);
		w = (struct walked){ (x >> 8) & 0xfeffffffffffULL, (uint16_t)(x & 0xfff),
			(uint16_t)(i & 0xff), 0, 0 };
		mac_learn(t, w.mac, w.vlan, w.slot, 20);
		mac_table_foreach(t, 20, walk_one, &w);
		bad += w.bad + (w.n != 1);
	}
	CHECK(bad == 0, "%u of 2000 keys came back wrong from mac_table_foreach", bad);
}

/* 'n' random keys (MAC, VLAN), distinct, each bound to slot i % 200. */
struct keyset {
	uint64_t *mac;
	uint16_t *vlan;
	unsigned n;
};

static void
keys_make(struct keyset *k, unsigned n)
{
	k->mac = malloc(n * sizeof(*k->mac));
	k->vlan = malloc(n * sizeof(*k->vlan));
	k->n = n;
	for (unsigned i = 0; i < n; i++) {
		uint64_t x = next_rand();

		/* distinct: the index in the low 16 bits */
		k->mac[i] = ((x << 16) & 0xfeff00000000ULL) | (x & 0xffff0000ULL) | i;
		k->vlan[i] = (uint16_t)((x >> 48) & 0xfff);
	}
}

static unsigned
keys_lost(struct mac_table *t, const struct keyset *k, uint32_t now)
{
	unsigned lost = 0;

	for (unsigned i = 0; i < k->n; i++)
		lost += mac_lookup(t, k->mac[i], k->vlan[i], now) != i % 200;
	return lost;
}

struct tally {
	const struct keyset *k;
	unsigned n;
	unsigned bad;
	unsigned per_slot[256];
};

static void
tally_one(void *aux, uint64_t mac, uint16_t vlan, uint16_t slot, uint32_t age)
{
	struct tally *y = aux;
	unsigned i = (unsigned)(mac & 0xffff);

	(void)age;
	y->n++;
	y->per_slot[slot]++;
	if (y->k != NULL && (i >= y->k->n || y->k->mac[i] != mac || y->k->vlan[i] != vlan ||
			slot != i % 200))
		y->bad++;
}

/* Entries in the second bucket of their key (whose key fdb/show must invert too). */
static unsigned
n_alt(const struct mac_table *t)
{
	unsigned n = 0;

	for (size_t i = 0; i <= t->a->mask; i++)
		for (int w = 0; w < MAC_WAYS; w++)
			n += mac_entry_valid(t->a->b[i].entry[w]) &&
				(t->a->b[i].entry[w] & MAC_ALT_BIT);
	return n;
}

/*
 * As many random hosts as mac-table-size (Open vSwitch's default 2048, and 4096) are all
 * learnt: none evicted by another, and fdb/show's walk gives every key back.
 */
static void
test_capacity(void)
{
	for (unsigned max = 2048; max <= 4096; max *= 2) {
		struct mac_table *t = mac_table_create(0, max);
		struct tally y = { 0 };
		struct keyset k;

		keys_make(&k, max);
		for (unsigned i = 0; i < max; i++)
			mac_learn(t, k.mac[i], k.vlan[i], (uint16_t)(i % 200), 100);
		CHECK(keys_lost(t, &k, 100) == 0, "%u random hosts: %u not found", max,
			keys_lost(t, &k, 100));
		y.k = &k;
		mac_table_foreach(t, 100, tally_one, &y);
		CHECK(y.n == max && y.bad == 0, "%u hosts: the walk gave %u, %u wrong", max, y.n,
			y.bad);
		CHECK(n_alt(t) > 0, "%u hosts: none in a second bucket", max);
		CHECK(mac_table_age(t, 100) == 0, "%u hosts: none over the limit", max);
		free(k.mac);
		free(k.vlan);
		mac_table_destroy(t);
	}
}

/*
 * A lowered mac-table-size brings the table down to it as Open vSwitch does: the oldest
 * entries of the port with the most go, a port with few keeps them.
 */
static void
test_limit(void)
{
	struct mac_table *t = mac_table_create(0, 200);
	struct tally y = { 0 };
	void *old;

	CHECK(mac_table_max(t) == 200, "limit %u", mac_table_max(t));
	for (unsigned i = 0; i < 5; i++)
		mac_learn(t, 0x020000000100ULL + i, 0, 2, 50 + i);
	for (unsigned i = 0; i < 110; i++)
		mac_learn(t, 0x020000001000ULL + i, 0, 1, 60 + i);
	CHECK(mac_table_resize(t, 100, 200, &old) == 0 && old == NULL, "200 -> 100");
	mac_table_foreach(t, 200, tally_one, &y);
	CHECK(y.n == 100 && y.per_slot[2] == 5 && y.per_slot[1] == 95,
		"left: %u (slot 1: %u, slot 2: %u)", y.n, y.per_slot[1], y.per_slot[2]);
	for (unsigned i = 0; i < 15; i++)
		CHECK(mac_lookup(t, 0x020000001000ULL + i, 0, 200) == MAC_SLOT_NONE,
			"slot 1's oldest entry %u evicted", i);
	CHECK(mac_lookup(t, 0x020000001000ULL + 15, 0, 200) == 1, "slot 1's newer ones kept");
	CHECK(t->a->n_entries == 100, "counted %u", t->a->n_entries);
	mac_table_destroy(t);
	t = mac_table_create(0, 3);
	CHECK(mac_table_max(t) == MAC_MIN_MAX, "a limit below %d is %d (%u)", MAC_MIN_MAX,
		MAC_MIN_MAX, mac_table_max(t));
	mac_table_destroy(t);
}

/* Set by test_evict_refreshed() for refresh_oldest(). */
static struct mac_table *refresh_table;

static void
refresh_oldest(void)
{
	mac_learn(refresh_table, 0x020000001000ULL, 0, 1, 200);
}

/*
 * A host a PMD sees again while the main thread is choosing what to evict stays: the
 * refresh rewrites only its time, not its entry word, and eviction reads that time again
 * before it removes the entry.
 */
static void
test_evict_refreshed(void)
{
	struct mac_table *t = mac_table_create(0, 200);
	struct tally y = { 0 };
	void *old;

	for (unsigned i = 0; i < 110; i++)
		mac_learn(t, 0x020000001000ULL + i, 0, 1, 60 + i);
	refresh_table = t;
	after_sort = refresh_oldest;
	CHECK(mac_table_resize(t, 100, 200, &old) == 0 && old == NULL, "200 -> 100");
	after_sort = NULL;
	CHECK(mac_lookup(t, 0x020000001000ULL, 0, 200) == 1,
		"the oldest host, refreshed after the walk, evicted");
	for (unsigned i = 1; i < 10; i++)
		CHECK(mac_lookup(t, 0x020000001000ULL + i, 0, 200) == MAC_SLOT_NONE,
			"old host %u kept", i);
	CHECK(n_valid(t) == 101 && t->a->n_entries == 101, "left: %u, counted %u", n_valid(t),
		t->a->n_entries);
	CHECK(mac_table_age(t, 200) == 1 && mac_lookup(t, 0x020000001000ULL + 10, 0, 200) ==
		MAC_SLOT_NONE && mac_lookup(t, 0x020000001000ULL + 11, 0, 200) == 1 &&
		mac_lookup(t, 0x020000001000ULL, 0, 200) == 1,
		"the next pass did not evict the next oldest (only)");
	mac_table_foreach(t, 200, tally_one, &y);
	CHECK(y.n == 100 && t->a->n_entries == 100, "at the limit: %u, counted %u", y.n,
		t->a->n_entries);
	mac_table_destroy(t);
}

/*
 * Learning never takes a table over mac-table-size, with no aging pass in between: what
 * fdb/show lists right after learning stays within the limit.  A full table makes room for
 * a newcomer by evicting a host seen less recently, as Open vSwitch does.
 */
static void
test_limit_on_learn(void)
{
	static const unsigned sizes[] = { 16, 100, MAC_DEFAULT_MAX };
	unsigned newcomers = 0, lost_new = 0;
	struct keyset k;

	/* Sixteen hosts a second, so that none ages out meanwhile. */
	keys_make(&k, 3 * MAC_DEFAULT_MAX);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct mac_table *t = mac_table_create(0, sizes[s]);
		unsigned max = sizes[s], n_learn = max + max / 2 + 50, over = 0;

		for (unsigned i = 0; i < n_learn; i++) {
			struct tally y = { 0 };

			mac_learn(t, k.mac[i], k.vlan[i], (uint16_t)(i % 200), 100 + i / 16);
			if (max < MAC_DEFAULT_MAX || i % 64 == 0 || i == n_learn - 1) {
				mac_table_foreach(t, 100 + i / 16, tally_one, &y);
				over += y.n > max;
			}
			if (i == n_learn - 1)
				CHECK(y.n == max, "limit %u: %u entries after %u hosts", max, y.n,
					n_learn);
		}
		CHECK(over == 0, "limit %u: over it %u times right after learning", max, over);
		CHECK(t->a->n_entries == n_valid(t), "limit %u: counted %u, %u there", max,
			t->a->n_entries, n_valid(t));
		if (max == MAC_DEFAULT_MAX) {
			/* The newcomers evict the hosts seen first. */
			for (unsigned i = max; i < n_learn; i++, newcomers++)
				lost_new += mac_lookup(t, k.mac[i], k.vlan[i], 100 + n_learn / 16) !=
					i % 200;
			CHECK(lost_new <= newcomers / 100, "a full table: %u of %u newcomers "
				"not learnt", lost_new, newcomers);
			CHECK(mac_lookup(t, k.mac[max - 1], k.vlan[max - 1], 100 + n_learn / 16) ==
				(max - 1) % 200, "the last host before the newcomers kept");
		}
		CHECK(mac_table_age(t, 100 + n_learn / 16) == 0, "limit %u: nothing left for aging",
			max);
		mac_table_destroy(t);
	}
	free(k.mac);
	free(k.vlan);
}

/*
 * A full table far smaller than its 2048 buckets learns every newcomer from its first
 * packet, as Open vSwitch does, in place of a host already there: the PMD reads the whole
 * table, with no pass of the main thread in between.
 */
static void
test_small_limit(void)
{
	static const unsigned sizes[] = { MAC_MIN_MAX, 16, 100 };
	struct keyset k;

	keys_make(&k, 4 * 100);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		unsigned max = sizes[s], n = 3 * max, lost = 0, over = 0;
		struct mac_table *t = mac_table_create(0, max);

		for (unsigned i = 0; i < max; i++)
			mac_learn(t, k.mac[i], k.vlan[i], (uint16_t)(i % 200), 100 + i / 16);
		for (unsigned i = max; i < max + n; i++) {
			uint32_t now = 100 + i / 16;

			mac_learn(t, k.mac[i], k.vlan[i], (uint16_t)(i % 200), now);
			over += n_valid(t) > max;
			lost += mac_lookup(t, k.mac[i], k.vlan[i], now) != i % 200;
		}
		CHECK(lost == 0, "limit %u: %u of %u newcomers not learnt from their first packet",
			max, lost, n);
		CHECK(over == 0 && n_valid(t) == max && t->a->n_entries == max,
			"limit %u: over it %u times, %u entries at the end, counted %u", max, over,
			n_valid(t), t->a->n_entries);
		CHECK(mac_table_run(t) == 0, "limit %u: the main thread was asked to evict", max);
		mac_table_destroy(t);
	}
	free(k.mac);
	free(k.vlan);
}

/*
 * Two learners of new hosts in a full table of OVS's smallest size, each evicting for its
 * newcomers: bindings stay whole, the count right and within the limit, and every bucket
 * holding an entry keeps its bit in 'used' (else eviction would not see it).
 */
static void
test_concurrent_small(void)
{
	struct mac_table *t = mac_table_create(0, MAC_MIN_MAX);
	unsigned unmarked = 0;
	pthread_t th[2];
	struct racer r[2];
	volatile int stop = 0;

	for (unsigned i = 0; i < 2; i++) {
		r[i] = (struct racer){ t, i, &stop, 0, 20 };
		pthread_create(&th[i], NULL, racer_main, &r[i]);
	}
	for (unsigned i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (size_t i = 0; i <= t->a->mask; i++)
		for (int w = 0; w < MAC_WAYS; w++)
			unmarked += mac_entry_valid(t->a->b[i].entry[w]) &&
				!(t->a->used[i / 64] & (1ULL << (i % 64)));
	CHECK(r[0].bad == 0 && r[1].bad == 0, "torn bindings seen: %u %u", r[0].bad, r[1].bad);
	CHECK(n_valid(t) <= MAC_MIN_MAX && t->a->n_entries == n_valid(t),
		"two learners in a table of %d: %u entries, counted %u", MAC_MIN_MAX, n_valid(t),
		t->a->n_entries);
	CHECK(unmarked == 0, "%u entries in buckets not marked used", unmarked);
	mac_table_destroy(t);
}

/*
 * Which host a newcomer to a full small table evicts: Open vSwitch's choice
 * (evict_mac_entry_fairly), the least recently seen of the port with the most entries, not
 * the least recently seen of all.  Port 1 has 6 hosts, port 2 has 4 seen before any of
 * them: the first two newcomers (port 3) evict port 1's two oldest; port 2 keeps all.
 */
static void
test_small_fair(void)
{
	struct mac_table *t = mac_table_create(0, MAC_MIN_MAX);
	unsigned kept2 = 0;

	for (unsigned i = 0; i < 4; i++)
		mac_learn(t, 0x020000002000ULL + i, 0, 2, 90 + i);
	for (unsigned i = 0; i < 6; i++)
		mac_learn(t, 0x020000001000ULL + i, 0, 1, 100 + i);
	mac_learn(t, 0x020000003000ULL, 0, 3, 110);
	CHECK(mac_lookup(t, 0x020000003000ULL, 0, 110) == 3, "first newcomer not learnt");
	CHECK(mac_lookup(t, 0x020000001000ULL, 0, 110) == MAC_SLOT_NONE,
		"port 1 (6 hosts) kept its oldest host");
	mac_learn(t, 0x020000003001ULL, 0, 3, 111);
	CHECK(mac_lookup(t, 0x020000003001ULL, 0, 111) == 3, "second newcomer not learnt");
	CHECK(mac_lookup(t, 0x020000001001ULL, 0, 111) == MAC_SLOT_NONE,
		"port 1 (5 hosts) kept its second oldest host");
	for (unsigned i = 0; i < 4; i++)
		kept2 += mac_lookup(t, 0x020000002000ULL + i, 0, 111) == 2;
	CHECK(kept2 == 4, "port 2 (4 hosts, seen first) lost %u", 4 - kept2);
	CHECK(n_valid(t) == MAC_MIN_MAX && t->a->n_entries == MAC_MIN_MAX, "%u entries, "
		"counted %u", n_valid(t), t->a->n_entries);
	mac_table_destroy(t);
}

/* A changed mac-table-size: a new array with the entries, the limit applied. */
static void
test_resize(void)
{
	struct mac_table *t = mac_table_create(0, MAC_DEFAULT_MAX);
	struct mac_array *first = t->a;
	struct keyset k, half;
	struct tally y = { 0 };
	void *old;

	keys_make(&k, 4096);
	half = (struct keyset){ k.mac, k.vlan, 2048 };
	for (unsigned i = 0; i < 2048; i++)
		mac_learn(t, k.mac[i], k.vlan[i], (uint16_t)(i % 200), 100);
	CHECK(mac_table_resize(t, 2000, 100, &old) == 0 && old == NULL && t->a == first,
		"2048 -> 2000 keeps the buckets");
	CHECK(mac_table_age(t, 100) == 0, "... and evicted the 48 over it already");
	CHECK(mac_table_resize(t, 2048, 100, &old) == 0 && old == NULL, "back to 2048");
	for (unsigned i = 0; i < 2048; i++)
		mac_learn(t, k.mac[i], k.vlan[i], (uint16_t)(i % 200), 101);
	CHECK(mac_table_resize(t, 4096, 101, &old) == 0 && old == first && t->a != first,
		"2048 -> 4096: a new array, the old one handed back");
	mac_array_free(old);
	CHECK(keys_lost(t, &half, 101) == 0, "the entries came along: %u lost",
		keys_lost(t, &half, 101));
	for (unsigned i = 2048; i < 4096; i++)
		mac_learn(t, k.mac[i], k.vlan[i], (uint16_t)(i % 200), 102);
	CHECK(keys_lost(t, &k, 102) == 0, "4096 hosts in the new array: %u lost",
		keys_lost(t, &k, 102));
	CHECK(mac_table_resize(t, 1000, 102, &old) == 0 && old != NULL, "4096 -> 1000");
	mac_array_free(old);
	y.k = &k;
	mac_table_foreach(t, 102, tally_one, &y);
	CHECK(y.n == 1000 && y.bad == 0, "1000 entries left, as they were: %u, %u wrong", y.n,
		y.bad);
	CHECK(mac_table_resize(t, 5000000, 102, &old) == 0 && mac_table_max(t) == MAC_MAX_MAX,
		"a limit above %d is %d", MAC_MAX_MAX, MAC_MAX_MAX);
	mac_array_free(old);
	free(k.mac);
	free(k.vlan);
	mac_table_destroy(t);
}

/*
 * mac_is_reserved(): the addresses of Open vSwitch's eth_addr_is_reserved(), and their
 * neighbours, which are not.
 */
static void
test_reserved(void)
{
	static const uint64_t yes[] = { 0x0180c2000000ULL, 0x0180c2000002ULL, 0x0180c200000eULL,
		0x0180c200000fULL, 0x00e02b000000ULL, 0x00e02b000004ULL, 0x00e02b000006ULL,
		0x01000c000000ULL, 0x01000cccccccULL, 0x01000ccccccdULL, 0x01000ccdcdcdULL,
		0x01000cccccc0ULL, 0x01000cccccc7ULL };
	static const uint64_t no[] = { 0x0180c2000010ULL, 0x0180c2000020ULL, 0x0180c2000100ULL,
		0x0180c3000000ULL, 0x00e02b000001ULL, 0x00e02b000005ULL, 0x01000cccccc8ULL,
		0x01000cccccceULL, 0x01000c000001ULL, 0xffffffffffffULL, 0x01005e000001ULL, 0 };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		CHECK(mac_is_reserved(yes[i]), "%012" PRIx64 " is reserved", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		CHECK(!mac_is_reserved(no[i]), "%012" PRIx64 " is not reserved", no[i]);
}

int
main(void)
{
	struct mac_table *t = mac_table_create(0, MAC_DEFAULT_MAX);

	test_basic(t);
	test_keyed();
	test_replacement(t);
	test_concurrent(t);
	test_same_host_claimed(t);
	test_same_host();
	test_claimed_way(t);
	test_seen_owner(t);
	test_vlans(t);
	test_walk_keys(t);
	mac_table_flush(t);
	mac_learn(t, 0x1, 0, 1, 10);
	mac_learn(t, 0x2, 0, 2, 10);
	mac_table_foreach(t, 10, walk, NULL);
	CHECK(n_walked == 2, "walk saw %u", n_walked);
	mac_table_destroy(t);
	test_capacity();
	test_limit();
	test_evict_refreshed();
	test_limit_on_learn();
	test_small_limit();
	test_small_fair();
	test_concurrent_small();
	test_resize();
	test_reserved();
	return check_report("test_mac");
}
