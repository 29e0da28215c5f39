/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Policers of any port type: Open vSwitch's ingress policing (by bytes and by packets) and
 * its egress-policer QoS type.  Open vSwitch runs rte_meter's srTCM with an excess burst
 * of 0, so that a packet passes only while the committed bucket holds it (green), and
 * serialises the meter with a spinlock: its rate is the whole interface's, whatever queue
 * or thread a packet comes by.
 *
 * Here a meter is that same token bucket written as the generic cell rate algorithm, whose
 * whole state is one word (the time at which the bucket will be full again), so that the
 * PMDs receiving from a port's queues, or sending to it, share one meter by compare and
 * swap, once a burst, without a lock.  The rate then holds however many rx queues are
 * enabled and however they are spread over PMDs: a meter per queue or per PMD would have
 * to guess how the traffic is shared between them.  A policer is replaced, never changed:
 * the control thread publishes a new one with an atomic store and frees the old one after
 * a grace period.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "port-private.h"
#include "rcu.h"

#define IN_BURST_KB_DEFAULT 8000
#define IN_BURST_KPKTS_DEFAULT 16

/* A meter's time is TSC cycles << its 'shift', the least (up to METER_SHIFT_MAX) that
 * makes a unit cost at least METER_COST_MIN: its cost is then exact to 1/4096. */
#define METER_SHIFT_MAX 16
#define METER_COST_MIN 4096
/* No cost or bucket is larger, so that a sum of two never overflows. */
#define METER_LIMIT (UINT64_C(1) << 62)

/*
 * A token bucket of 'cbs' units (bytes or packets) filled at 'cir' units/s, as the
 * generic cell rate algorithm: 'tat' is when the bucket will be full again, so the bucket
 * is empty while 'tat' is 'tau' ahead of now.  A packet of L units passes when the bucket
 * holds L, i.e. when max(tat, now) + L * cost is at most now + tau, and then moves 'tat'
 * there.
 *
 * Times wrap, after 2^(64 - shift) cycles (at 3 GHz: 195 years unshifted, 35 days for a
 * meter of 10 Gbit/s, a day at the largest shift).  'tat' may be ahead of a PMD's 'now' by
 * 'tau', and by a little more when another PMD read the clock later; one ahead by more
 * than 'tau' and a second ('slack') was left far in the past, and the bucket is full.
 * Only a meter idle for nearly a multiple of the wrap period can be judged wrongly, and it
 * then polices as if empty for 'tau' and a second at most.
 */
struct police_meter {
	uint64_t tat;		/* any PMD, atomic (compare and swap) */
	uint64_t cost;		/* time a unit takes at 'cir' */
	uint64_t tau;		/* cbs * cost */
	uint64_t slack;		/* one second */
	uint64_t max_units;	/* a packet of more units would cost more than METER_LIMIT */
	unsigned shift;
};

struct port_policer {
	struct police_meter bytes;
	struct police_meter pkts;
	bool by_bytes, by_pkts;
};

/* What of the packets of 'pkts' that 'keep' (a bit each) names meter 'm' lets pass at
 * TSC time 'now' (a bit each), the meter taking their tokens. */
static uint64_t
meter_run(struct police_meter *m, uint64_t now, struct rte_mbuf **pkts, uint16_t n,
	uint64_t keep, bool bytes)
{
	uint64_t tat = __atomic_load_n(&m->tat, __ATOMIC_RELAXED), t, pass;

	now <<= m->shift;
	do {
		uint64_t lead = tat - now;

		/* Where the bucket stands: 'lead' of it spent. */
		t = (int64_t)lead > 0 && lead <= m->tau + m->slack ? tat : now;
		pass = 0;
		for (uint16_t i = 0; i < n; i++) {
			uint64_t units = 1;

			if (!(keep >> i & 1))
				continue;
			if (bytes) {
				units = rte_pktmbuf_pkt_len(pkts[i]);
				units = units > RTE_ETHER_HDR_LEN ? units - RTE_ETHER_HDR_LEN : 0;
			}
			if (units <= m->max_units && t - now <= m->tau &&
					t - now + units * m->cost <= m->tau) {
				t += units * m->cost;
				pass |= UINT64_C(1) << i;
			}
		}
	} while (pass != 0 && !__atomic_compare_exchange_n(&m->tat, &tat, t, false,
		__ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return pass;
}

uint16_t
port_police(struct port_policer *pol, struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t now = rte_rdtsc();
	uint16_t kept = 0;

	for (uint16_t off = 0; off < n; off += 64) {
		uint16_t k = RTE_MIN(n - off, 64);
		uint64_t pass = k == 64 ? UINT64_MAX : (UINT64_C(1) << k) - 1;

		if (pol->by_bytes)
			pass = meter_run(&pol->bytes, now, pkts + off, k, pass, true);
		if (pol->by_pkts && pass != 0)
			pass = meter_run(&pol->pkts, now, pkts + off, k, pass, false);
		for (uint16_t i = 0; i < k; i++) {
			if (pass >> i & 1)
				pkts[kept++] = pkts[off + i];
			else
				rte_pktmbuf_free(pkts[off + i]);
		}
	}
	return kept;
}

/* Meter 'm' of 'cir' units/s and a bucket of 'cbs' units, full. */
static void
meter_init(struct police_meter *m, uint64_t cir, uint64_t cbs)
{
	uint64_t hz = rte_get_tsc_hz();

	cir = RTE_MAX(cir, (uint64_t)1);
	for (m->shift = 0; m->shift < METER_SHIFT_MAX; m->shift++)
		if ((hz << m->shift) / cir >= METER_COST_MIN)
			break;
	m->cost = RTE_MAX((hz << m->shift) / cir, (uint64_t)1);
	m->max_units = METER_LIMIT / m->cost;
	m->tau = cbs > m->max_units ? METER_LIMIT : cbs * m->cost;
	m->slack = hz << m->shift;
	m->tat = rte_rdtsc() << m->shift;
}

/*
 * A policer of 'bytes_s' bytes/s with bucket 'bytes_burst' and 'pkts_s' packets/s with
 * bucket 'pkts_burst' (0 rates: not metered that way); NULL with '*rc'.
 */
static struct port_policer *
policer_new(uint64_t bytes_s, uint64_t bytes_burst, uint64_t pkts_s, uint64_t pkts_burst,
	int *rc)
{
	struct port_policer *pol;

	pol = rte_zmalloc("port_policer", sizeof(*pol), RTE_CACHE_LINE_SIZE);
	if (pol == NULL) {
		*rc = -ENOMEM;
		return NULL;
	}
	pol->by_bytes = bytes_s > 0;
	pol->by_pkts = pkts_s > 0;
	meter_init(&pol->bytes, bytes_s, bytes_burst);
	meter_init(&pol->pkts, pkts_s, pkts_burst);
	*rc = 0;
	return pol;
}

/* Publish 'pol' in '*slot' and free what was there after a grace period (or at once when
 * no PMD can hold it: 'qsbr' NULL). */
static void
policer_publish(struct port_policer **slot, struct port_policer *pol, struct rte_rcu_qsbr *qsbr)
{
	struct port_policer *old = __atomic_exchange_n(slot, pol, __ATOMIC_ACQ_REL);

	if (old == NULL)
		return;
	if (qsbr != NULL)
		rcu_synchronize(qsbr);
	rte_free(old);
}

static struct port_policer *
egress_new(const struct port_policing *pol, int *rc)
{
	*rc = 0;
	if (pol->out_cir == 0)
		return NULL;
	return policer_new(pol->out_cir, pol->out_cbs, 0, 0, rc);
}

int
port_set_policing(struct port *p, const struct port_policing *pol,
	const struct port_env *env, char **err)
{
	struct port_policer *in = NULL, *out;
	int rc = 0;

	if (pol->in_kbps > 0 || pol->in_kpps > 0) {
		uint64_t burst_kb = pol->in_burst_kb ? pol->in_burst_kb : IN_BURST_KB_DEFAULT;
		uint64_t burst_kp = pol->in_burst_kpkts ? pol->in_burst_kpkts :
			IN_BURST_KPKTS_DEFAULT;

		in = policer_new(pol->in_kbps * 1000 / 8, burst_kb * 1000 / 8, pol->in_kpps * 1000,
			burst_kp * 1000, &rc);
		if (in == NULL) {
			port_errf(err, "ingress policing: %s", rte_strerror(-rc));
			return rc;
		}
	}
	out = egress_new(pol, &rc);
	if (rc < 0) {
		rte_free(in);
		port_errf(err, "qos egress-policer: %s", rte_strerror(-rc));
		return rc;
	}
	/* One grace period for both when both change. */
	in = __atomic_exchange_n(&p->ingress, in, __ATOMIC_ACQ_REL);
	out = __atomic_exchange_n(&p->egress, out, __ATOMIC_ACQ_REL);
	if ((in != NULL || out != NULL) && env->qsbr != NULL)
		rcu_synchronize(env->qsbr);
	rte_free(in);
	rte_free(out);
	p->policing = *pol;
	return 0;
}

void
port_policing_free(struct port *p)
{
	policer_publish(&p->ingress, NULL, NULL);
	policer_publish(&p->egress, NULL, NULL);
	memset(&p->policing, 0, sizeof(p->policing));
}
