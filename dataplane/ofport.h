/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_OFPORT_H
#define VIREO_OFPORT_H

/*
 * ofport: how a bridge gives its ports OpenFlow port numbers, as Open vSwitch's ofproto
 * gives them (alloc_ofp_port(), dealloc_ofp_port()).
 *
 * A port asks for numbers in order of preference (its ofport_request, the number it had,
 * the one it gave up here); the first that no port uses is its.  Otherwise numbers are
 * counted up from the last one so given, wrapping from DP_OFPORT_AUTO_MAX to 1 (the upper
 * half is left to ofport_request), skipping those in use and those a deleted port gave up
 * in the last DP_OFPORT_HOLD_S, so that a controller's rules for a deleted port do not
 * catch its successor; a number freed longer ago comes back only when the count comes
 * round to it.  When every free number is that recent, the one given up longest ago is
 * given.  Which numbers are in use is the caller's to say (a callback): this module knows
 * no ports, and takes the time as an argument, so that it is tested alone
 * (tests/dp/test_ofport.c).
 *
 * Thread-safety: a 'struct dp_ofports' belongs to its bridge's main thread.
 */

#include <stdbool.h>
#include <stdint.h>

/** Highest OpenFlow port number of a port (OFPP_MAX - 1: above are LOCAL and the like). */
#define DP_OFPORT_MAX 65279
/** OpenFlow port numbers auto-assigned: below 32768, the upper half left to ofport_request. */
#define DP_OFPORT_AUTO_MAX 32767
/** Numbers of deleted ports held back from other ports for this long (Open vSwitch's hour). */
#define DP_OFPORT_HOLD_S 3600
/** Deleted ports' numbers remembered per bridge (beyond: the oldest is forgotten). */
#define DP_OFPORT_HELD 64

/** A number a deleted port gave up. */
struct dp_ofport_held {
	uint32_t ofport;		/**< 0: an empty entry */
	uint32_t since_s;		/**< when (seconds of the caller's clock) */
	uint64_t key;			/**< who may take it back (the caller's key); 0: none */
};

/** A bridge's numbers: zeroed, a bridge that gave none yet. */
struct dp_ofports {
	struct dp_ofport_held held[DP_OFPORT_HELD];
	uint32_t next;			/**< the number last given by counting, 0 at first */
};

/** Whether number 'of' is some port's (the caller's callback). */
typedef bool dp_ofport_used_fn(const void *aux, uint32_t of);

/**
 * A number for a port at time 'now' (seconds): the first of 'want' (its 'n_want'
 * preferences, each 1..DP_OFPORT_MAX or ignored) not in use, else the next one counted up
 * (see above).  The number is no longer held.
 * @return the number, or UINT32_MAX when every one up to DP_OFPORT_AUTO_MAX is in use.
 */
uint32_t dp_ofports_alloc(struct dp_ofports *o, const int64_t *want, unsigned n_want,
		uint32_t now, dp_ofport_used_fn *used, const void *aux);

/**
 * A port gave up number 'of' at time 'now': held back from other ports, and remembered as
 * the one a port of key 'key' (0: none) may take back (the oldest entry is forgotten when
 * DP_OFPORT_HELD are held).
 */
void dp_ofports_release(struct dp_ofports *o, uint32_t of, uint64_t key, uint32_t now);

/** The number a port of key 'key' gave up most recently, or 0. */
uint32_t dp_ofports_given_up(const struct dp_ofports *o, uint64_t key);

#endif /* VIREO_OFPORT_H */
