/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dataplane/mac: learning, look-up, aging, replacement, flushing, and concurrent learners
 * that must never produce a binding nobody learned.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mac.h"


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

static void
test_replacement(struct mac_table *t)
{
	uint64_t same_bucket[MAC_WAYS + 1];
	unsigned n = 0;
	uint32_t b0 = mac_bucket_of(t, 0x020000000001ULL, 0);

	mac_table_flush(t);
	for (uint64_t m = 0x020000000001ULL; n < MAC_WAYS + 1; m++)
		if (mac_bucket_of(t, m, 0) == b0)
			same_bucket[n++] = m;
	for (unsigned i = 0; i < MAC_WAYS; i++)
		mac_learn(t, same_bucket[i], 0, (uint16_t)i, 1000 + i);
	mac_learn(t, same_bucket[MAC_WAYS], 0, 9, 1100);
	CHECK(mac_lookup(t, same_bucket[0], 0, 1100) == MAC_SLOT_NONE, "oldest entry replaced");
	for (unsigned i = 1; i < MAC_WAYS; i++)
		CHECK(mac_lookup(t, same_bucket[i], 0, 1100) == i, "newer entry %u kept", i);
	CHECK(mac_lookup(t, same_bucket[MAC_WAYS], 0, 1100) == 9, "newcomer learned");
	mac_table_flush_slot(t, 9);
	CHECK(mac_lookup(t, same_bucket[MAC_WAYS], 0, 1100) == MAC_SLOT_NONE, "flushed by slot");
	CHECK(mac_lookup(t, same_bucket[1], 0, 1100) == 1, "other slots survive a slot flush");
}

/*
 * A guest that knows the hash picks source MACs that share a victim's bucket and evicts
 * it.  Here the attacker assumes the table's key is zero or public (a fixed multiplier, as
 * an unkeyed hash would be): with a random key its MACs scatter and the victim stays.
 */
static uint32_t
public_bucket(uint64_t mac)
{
	struct mac_table pub = { .secret = { 0, 1 } };

	return mac_bucket_of(&pub, mac, 0);
}

static uint32_t
old_unkeyed_bucket(uint64_t mac)
{
	return (uint32_t)((mac * 0x9e3779b97f4a7c15ULL) >> 40) & (MAC_BUCKETS - 1);
}

static void
test_keyed(void)
{
	const uint64_t victim = 0x525400abcdefULL;
	uint32_t (*guesses[])(uint64_t) = { public_bucket, old_unkeyed_bucket };
	struct mac_table *t = aligned_alloc(64, sizeof(*t)), *u = aligned_alloc(64, sizeof(*u));

	mac_table_init(t);
	mac_table_init(u);
	CHECK(t->secret[0] != u->secret[0] || t->secret[1] != u->secret[1],
		"two tables drew the same key");
	for (size_t g = 0; g < sizeof(guesses) / sizeof(guesses[0]); g++) {
		unsigned n = 0;

		mac_table_flush(t);
		mac_learn(t, victim, 0, 7, 100);
		for (uint64_t m = 0x020000000000ULL; n < 4 * MAC_WAYS; m++) {
			if (guesses[g](m) != guesses[g](victim))
				continue;
			mac_learn(t, m, 0, 1, (uint32_t)(101 + n));
			n++;
		}
		CHECK(mac_lookup(t, victim, 0, 200) == 7,
			"%u MACs aimed at the victim's bucket (guess %zu) evicted it", n, g);
	}
	free(t);
	free(u);
}

struct racer {
	struct mac_table *t;
	unsigned id;
	volatile int *stop;
	unsigned bad;
};

/* Learner 'id' binds MACs (id << 32 | k) to slot id; readers check every hit. */
static void *
racer_main(void *arg)
{
	struct racer *r = arg;
	uint32_t now = 5000;

	for (unsigned round = 0; round < 200; round++) {
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
		r[i] = (struct racer){ t, i, &stop, 0 };
		pthread_create(&th[i], NULL, racer_main, &r[i]);
	}
	for (unsigned i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK(r[0].bad == 0 && r[1].bad == 0, "torn bindings seen: %u %u", r[0].bad, r[1].bad);
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

int
main(void)
{
	struct mac_table *t = aligned_alloc(64, sizeof(*t));

	mac_table_init(t);
	test_basic(t);
	test_keyed();
	test_replacement(t);
	test_concurrent(t);
	test_vlans(t);
	test_walk_keys(t);
	mac_table_flush(t);
	mac_learn(t, 0x1, 0, 1, 10);
	mac_learn(t, 0x2, 0, 2, 10);
	mac_table_foreach(t, 10, walk, NULL);
	CHECK(n_walked == 2, "walk saw %u", n_walked);
	free(t);
	return check_report("test_mac");
}
