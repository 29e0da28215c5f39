/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the tunnel unit tests (test_tnl6.c, test_tnl_flow.c) share: a sink for the packets
 * a tunnel port delivers (port_env.deliver), with the port each came in on, and a quiet
 * log.  One test file includes it once; everything here is that file's own.
 */
#ifndef VIREO_TESTS_TNL_SINK_H
#define VIREO_TESTS_TNL_SINK_H

#include <rte_mbuf.h>

#include "port.h"

#define MAX_GOT 8

static struct rte_mbuf *got[MAX_GOT];	/* what was delivered, in order */
static struct port *got_on[MAX_GOT];	/* the port each came in on */
static unsigned n_got;

/* port_env.deliver: keep up to MAX_GOT packets, free the rest. */
static inline uint16_t
deliver(void *aux, struct port *in, unsigned pmd, struct rte_mbuf **pkts, uint16_t n)
{
	(void)aux;
	(void)pmd;
	for (uint16_t i = 0; i < n; i++) {
		if (n_got < MAX_GOT) {
			got_on[n_got] = in;
			got[n_got++] = pkts[i];
		} else {
			rte_pktmbuf_free(pkts[i]);
		}
	}
	return 0;
}

static inline void
logf_quiet(const char *fmt, ...)
{
	(void)fmt;
}

static inline void
got_free(void)
{
	for (unsigned i = 0; i < n_got; i++)
		rte_pktmbuf_free(got[i]);
	n_got = 0;
}

#endif
