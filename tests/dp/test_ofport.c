/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dataplane/ofport: OpenFlow port numbers given as Open vSwitch's alloc_ofp_port() gives
 * them: counted up from the last one given, wrapping below 32768, skipping numbers in use
 * and those given up in the last hour, and a number freed longer ago not taken back before
 * the count comes round to it.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ofport.h"

/* The numbers in use: the test's ports. */
static bool in_use[DP_OFPORT_MAX + 1];

static bool
used(const void *aux, uint32_t of)
{
	(void)aux;
	return of <= DP_OFPORT_MAX && in_use[of];
}

/* A port with no preference added at 'now': its number, now in use. */
static uint32_t
add(struct dp_ofports *o, uint32_t now)
{
	uint32_t of = dp_ofports_alloc(o, NULL, 0, now, used, NULL);

	if (of <= DP_OFPORT_MAX)
		in_use[of] = true;
	return of;
}

static void
del(struct dp_ofports *o, uint32_t of, uint32_t now)
{
	in_use[of] = false;
	dp_ofports_release(o, of, 0, now);
}

/*
 * 1, 2, 3; 2 deleted: the next port gets 4, and after the hour has passed still 5, not 2
 * (a number freed an hour ago waits for the count to come round).
 */
static void
test_counts_up(void)
{
	struct dp_ofports o = { 0 };
	uint32_t a, b, c, d;

	memset(in_use, 0, sizeof(in_use));
	a = add(&o, 100);
	b = add(&o, 100);
	c = add(&o, 100);
	CHECK(a == 1 && b == 2 && c == 3, "first numbers %u %u %u", a, b, c);
	del(&o, 2, 110);
	d = add(&o, 111);
	CHECK(d == 4, "right after 2 was deleted: %u", d);
	d = add(&o, 110 + DP_OFPORT_HOLD_S);
	CHECK(d == 5, "an hour after 2 was deleted: %u, not 5", d);
	del(&o, 1, 200);
	d = add(&o, 200 + 2 * DP_OFPORT_HOLD_S);
	CHECK(d == 6, "two hours after 1 was deleted: %u, not 6", d);
}

/* The count wraps from 32767 to 1, skipping numbers in use and numbers held. */
static void
test_wraps(void)
{
	struct dp_ofports o = { .next = DP_OFPORT_AUTO_MAX - 1 };
	uint32_t a, b;

	memset(in_use, 0, sizeof(in_use));
	in_use[1] = true;
	dp_ofports_release(&o, 2, 0, 500);
	a = add(&o, 510);
	b = add(&o, 510);
	CHECK(a == DP_OFPORT_AUTO_MAX && b == 3, "after 32766: %u then %u (1 in use, 2 held)",
		a, b);
}

/*
 * Every free number held: the one given up longest ago; none free at all: UINT32_MAX.
 * A preference not in use wins, held or not (ofport_request, the number a port had).
 */
static void
test_full(void)
{
	struct dp_ofports o = { 0 };
	const int64_t want[] = { 0, 70000, 9 };
	uint32_t of;

	for (uint32_t i = 1; i <= DP_OFPORT_AUTO_MAX; i++)
		in_use[i] = true;
	del(&o, 10, 300);
	del(&o, 20, 200);
	del(&o, 30, 400);
	CHECK(add(&o, 500) == 20, "every free number held: not the one held longest");
	CHECK(add(&o, 500) == 10 && add(&o, 500) == 30 && add(&o, 500) == UINT32_MAX,
		"the rest, then none");
	in_use[9] = false;
	dp_ofports_release(&o, 9, 77, 600);
	CHECK(dp_ofports_given_up(&o, 77) == 9 && dp_ofports_given_up(&o, 78) == 0,
		"the number given up by key 77");
	of = dp_ofports_alloc(&o, want, 3, 601, used, NULL);
	CHECK(of == 9, "asked for 9 (held, free): %u", of);
}

int
main(void)
{
	test_counts_up();
	test_wraps();
	test_full();
	return check_report("test_ofport");
}
