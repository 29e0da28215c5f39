/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenFlow port numbers of a bridge's ports (ofport.h); main thread.
 */
#include <stddef.h>

#include "ofport.h"

/* The held entry of number 'of', or NULL. */
static struct dp_ofport_held *
held_of(struct dp_ofports *o, uint32_t of)
{
	for (unsigned i = 0; i < DP_OFPORT_HELD; i++)
		if (o->held[i].ofport == of)
			return &o->held[i];
	return NULL;
}

/* Number 'of' goes to a port: no longer held. */
static uint32_t
take(struct dp_ofports *o, uint32_t of)
{
	struct dp_ofport_held *h = held_of(o, of);

	if (h != NULL)
		h->ofport = 0;
	return of;
}

uint32_t
dp_ofports_alloc(struct dp_ofports *o, const int64_t *want, unsigned n_want, uint32_t now,
	dp_ofport_used_fn *used, const void *aux)
{
	uint32_t lru = 0, lru_since = 0;

	for (unsigned i = 0; i < n_want; i++)
		if (want[i] > 0 && want[i] <= DP_OFPORT_MAX && !used(aux, (uint32_t)want[i]))
			return take(o, (uint32_t)want[i]);
	/* Once round at most, as Open vSwitch's alloc_ofp_port() stops where it began. */
	for (uint32_t n = 0; n < DP_OFPORT_AUTO_MAX; n++) {
		uint32_t of = o->next = o->next % DP_OFPORT_AUTO_MAX + 1;
		const struct dp_ofport_held *h;

		if (used(aux, of))
			continue;
		h = held_of(o, of);
		if (h == NULL || now - h->since_s >= DP_OFPORT_HOLD_S)
			return take(o, of);
		if (lru == 0 || (int32_t)(h->since_s - lru_since) < 0) {
			lru = of;
			lru_since = h->since_s;
		}
	}
	return lru != 0 ? take(o, lru) : UINT32_MAX;
}

void
dp_ofports_release(struct dp_ofports *o, uint32_t of, uint64_t key, uint32_t now)
{
	struct dp_ofport_held *slot = held_of(o, of);

	for (unsigned i = 0; slot == NULL && i < DP_OFPORT_HELD; i++)
		if (o->held[i].ofport == 0)
			slot = &o->held[i];
	if (slot == NULL) {
		slot = &o->held[0];
		for (unsigned i = 1; i < DP_OFPORT_HELD; i++)
			if ((int32_t)(o->held[i].since_s - slot->since_s) < 0)
				slot = &o->held[i];
	}
	*slot = (struct dp_ofport_held){ of, now, key };
}

uint32_t
dp_ofports_given_up(const struct dp_ofports *o, uint64_t key)
{
	const struct dp_ofport_held *best = NULL;

	for (unsigned i = 0; key != 0 && i < DP_OFPORT_HELD; i++) {
		const struct dp_ofport_held *h = &o->held[i];

		if (h->ofport != 0 && h->key == key &&
				(best == NULL || (int32_t)(h->since_s - best->since_s) > 0))
			best = h;
	}
	return best != NULL ? best->ofport : 0;
}
