/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Policers of any port type: Open vSwitch's ingress policing (by bytes and by packets) and
 * its egress-policer QoS type, on rte_meter's srTCM with an excess burst of 0, so that a
 * packet passes only while the committed bucket holds it (green), as netdev-dpdk does.
 *
 * Open vSwitch serialises a port's policer with a spinlock; here each rx queue (ingress) or
 * sending PMD (egress) has a meter of its own with an even share of the rate, so the packet
 * path takes no lock.  A policer is replaced, never changed: the control thread publishes a
 * new one with an atomic store and frees the old one after a grace period.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_malloc.h>
#include <rte_meter.h>
#include <rte_rcu_qsbr.h>

#include "port-private.h"
#include "rcu.h"

#define IN_BURST_KB_DEFAULT 8000
#define IN_BURST_KPKTS_DEFAULT 16

struct police_meter {
	struct rte_meter_srtcm bytes;
	struct rte_meter_srtcm pkts;
} __rte_cache_aligned;

struct port_policer {
	struct rte_meter_srtcm_profile bytes_prof;
	struct rte_meter_srtcm_profile pkts_prof;
	bool by_bytes, by_pkts;
	unsigned n;				/* meters */
	struct police_meter m[];
};

uint16_t
port_police(struct port_policer *pol, unsigned idx, struct rte_mbuf **pkts, uint16_t n)
{
	struct police_meter *m = &pol->m[idx % pol->n];
	uint64_t now = rte_rdtsc();
	uint16_t kept = 0;

	for (uint16_t i = 0; i < n; i++) {
		uint32_t len = rte_pktmbuf_pkt_len(pkts[i]);
		bool pass = true;

		len = len > RTE_ETHER_HDR_LEN ? len - RTE_ETHER_HDR_LEN : 0;
		if (pol->by_bytes && rte_meter_srtcm_color_blind_check(&m->bytes, &pol->bytes_prof,
				now, len) != RTE_COLOR_GREEN)
			pass = false;
		if (pass && pol->by_pkts && rte_meter_srtcm_color_blind_check(&m->pkts,
				&pol->pkts_prof, now, 1) != RTE_COLOR_GREEN)
			pass = false;
		if (pass)
			pkts[kept++] = pkts[i];
		else
			rte_pktmbuf_free(pkts[i]);
	}
	return kept;
}

/*
 * A policer of 'n' meters sharing 'bytes_s' bytes/s with bucket 'bytes_burst' and 'pkts_s'
 * packets/s with bucket 'pkts_burst' (0 rates: not metered that way); NULL with '*rc'.
 */
static struct port_policer *
policer_new(uint64_t bytes_s, uint64_t bytes_burst, uint64_t pkts_s, uint64_t pkts_burst,
	unsigned n, int *rc)
{
	struct rte_meter_srtcm_params bp = { 0 }, pp = { 0 };
	struct port_policer *pol;

	pol = rte_zmalloc("port_policer", sizeof(*pol) + n * sizeof(pol->m[0]),
		RTE_CACHE_LINE_SIZE);
	if (pol == NULL) {
		*rc = -ENOMEM;
		return NULL;
	}
	pol->n = n;
	pol->by_bytes = bytes_s > 0;
	pol->by_pkts = pkts_s > 0;
	/* Each meter gets its share of the rate; the bucket is not split (a burst may come
	 * in on any queue). */
	bp.cir = RTE_MAX(bytes_s / n, (uint64_t)1);
	bp.cbs = RTE_MAX(bytes_burst, (uint64_t)1);
	pp.cir = RTE_MAX(pkts_s / n, (uint64_t)1);
	pp.cbs = RTE_MAX(pkts_burst, (uint64_t)1);
	*rc = 0;
	if (pol->by_bytes)
		*rc = rte_meter_srtcm_profile_config(&pol->bytes_prof, &bp);
	if (*rc == 0 && pol->by_pkts)
		*rc = rte_meter_srtcm_profile_config(&pol->pkts_prof, &pp);
	for (unsigned i = 0; *rc == 0 && i < n; i++) {
		if (pol->by_bytes)
			*rc = rte_meter_srtcm_config(&pol->m[i].bytes, &pol->bytes_prof);
		if (*rc == 0 && pol->by_pkts)
			*rc = rte_meter_srtcm_config(&pol->m[i].pkts, &pol->pkts_prof);
	}
	if (*rc != 0) {
		rte_free(pol);
		return NULL;
	}
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
egress_new(const struct port_policing *pol, unsigned n_pmds, int *rc)
{
	*rc = 0;
	if (pol->out_cir == 0)
		return NULL;
	return policer_new(pol->out_cir, pol->out_cbs, 0, 0, RTE_MAX(n_pmds, 1u), rc);
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
			burst_kp * 1000, RTE_MAX(port_rxq_enabled_count(p), 1u), &rc);
		if (in == NULL) {
			port_errf(err, "ingress policing: %s", rte_strerror(-rc));
			return rc;
		}
	}
	out = egress_new(pol, env->n_pmds, &rc);
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
port_policing_set_n_pmds(struct port *p, unsigned n_pmds)
{
	int rc;
	struct port_policer *out = egress_new(&p->policing, n_pmds, &rc);

	if (rc == 0)
		policer_publish(&p->egress, out, NULL);
}

void
port_policing_free(struct port *p)
{
	policer_publish(&p->ingress, NULL, NULL);
	policer_publish(&p->egress, NULL, NULL);
	memset(&p->policing, 0, sizeof(p->policing));
}
