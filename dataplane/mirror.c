/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port mirroring as Open vSwitch's Mirror table: the packets a bridge's selected ports
 * receive (select_src_port) or send (select_dst_port), or every port's (select_all), in the
 * selected VLANs (select_vlan; none: all), are copied to the mirror's output_port.  As in
 * Open vSwitch, a mirror's output port is reserved: MAC learning neither forwards to it nor
 * takes what it receives (its VLAN settings in the snapshot carry no VLAN), and a packet
 * reaches each mirror once however many selected ports it crosses, and a copy leaves an
 * output port that is not an access port with its VLAN's 802.1Q tag (none for VLAN 0).
 *
 * The main thread builds the mirrors and the per-slot selection masks of the bridge
 * snapshot; PMDs copy packets in dataplane/fwd.c and count them in the mirror's per-PMD
 * slot.  A copy (rte_pktmbuf_copy from the packet's own pool, no malloc), not a second
 * reference: rules, or the rules of a patch peer's bridge, may still rewrite the packet in
 * place after the copy is queued.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "dp.h"
#include "rcu.h"

static void
mirror_free(struct dp_mirror *m)
{
	if (m == NULL)
		return;
	vconf_mirror_free(&m->cfg);
	rte_free(m);
}

void
dp_mirror_totals(const struct dp_mirror *m, uint64_t *packets, uint64_t *bytes)
{
	*packets = m->base_packets;
	*bytes = m->base_bytes;
	for (unsigned i = 0; i < PORT_MAX_PMDS; i++) {
		*packets += __atomic_load_n(&m->stats[i].packets, __ATOMIC_RELAXED);
		*bytes += __atomic_load_n(&m->stats[i].bytes, __ATOMIC_RELAXED);
	}
}

static struct dp_mirror *
mirror_new(const struct vconf_mirror *cfg)
{
	struct dp_mirror *m = rte_zmalloc("mirror", sizeof(*m), RTE_CACHE_LINE_SIZE);

	if (m == NULL)
		return NULL;
	if (vconf_mirror_copy(&m->cfg, cfg) < 0) {
		mirror_free(m);
		return NULL;
	}
	m->all_vlans = cfg->n_vlans == 0;
	for (size_t i = 0; i < cfg->n_vlans; i++)
		m->vlans[cfg->vlans[i] >> 6] |= 1ULL << (cfg->vlans[i] & 63);
	return m;
}

/* True when 'br' runs exactly the mirrors of 'vb'. */
static bool
mirrors_same(const struct dp_bridge *br, const struct vconf_bridge *vb)
{
	size_t n = RTE_MIN(vb->n_mirrors, (size_t)DP_MIRROR_MAX);

	if (br->n_mirrors != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!vconf_mirror_equal(&br->mirrors[i]->cfg, &vb->mirrors[i]))
			return false;
	return true;
}

int
dp_mirrors_set(struct dp *dp, struct dp_bridge *br, const struct vconf_bridge *vb)
{
	struct dp_mirror *old[DP_MIRROR_MAX], *new[DP_MIRROR_MAX];
	size_t n = RTE_MIN(vb->n_mirrors, (size_t)DP_MIRROR_MAX);
	unsigned n_old = br->n_mirrors;

	if (mirrors_same(br, vb))
		return 0;
	for (size_t i = 0; i < n; i++) {
		new[i] = mirror_new(&vb->mirrors[i]);
		if (new[i] == NULL) {
			while (i-- > 0)
				mirror_free(new[i]);
			return -ENOMEM;
		}
	}
	memcpy(old, br->mirrors, n_old * sizeof(old[0]));
	memcpy(br->mirrors, new, n * sizeof(new[0]));
	br->n_mirrors = n;
	dp_bridge_publish(dp, br);
	/* No PMD counts in the old ones any more: carry their counts over, by name. */
	rcu_synchronize(dp->qsbr);
	for (unsigned i = 0; i < n_old; i++) {
		for (size_t j = 0; j < n; j++) {
			if (strcmp(old[i]->cfg.name, new[j]->cfg.name) == 0) {
				dp_mirror_totals(old[i], &new[j]->base_packets, &new[j]->base_bytes);
				break;
			}
		}
		mirror_free(old[i]);
	}
	dp_log("bridge %s: %zu mirror%s", br->name, n, n == 1 ? "" : "s");
	return 0;
}

void
dp_mirrors_free(struct dp_bridge *br)
{
	for (unsigned i = 0; i < br->n_mirrors; i++)
		mirror_free(br->mirrors[i]);
	br->n_mirrors = 0;
}

static bool
names_have(char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/* True when VLAN settings 'v' make an access port (Open vSwitch's default with a tag). */
static bool
port_is_access(const struct vconf_vlan *v)
{
	return v->mode != NULL ? strcmp(v->mode, "access") == 0 : v->has_tag;
}

void
dp_mirror_snap(const struct dp_bridge *br, struct bridge_snap *s)
{
	s->n_mirrors = 0;
	for (unsigned i = 0; i < br->n_mirrors; i++) {
		const struct vconf_mirror *c = &br->mirrors[i]->cfg;
		struct dp_port *out = NULL;
		uint32_t bit;

		for (uint32_t k = 0; c->output_port != NULL && k < s->n_ports; k++)
			if (strcmp(s->ports[k]->port.name, c->output_port) == 0)
				out = s->ports[k];
		if (out == NULL)
			continue;	/* no output, or its port failed: the mirror sends nothing */
		bit = 1u << s->n_mirrors;
		s->mirror[s->n_mirrors] = br->mirrors[i];
		s->mirror_out[s->n_mirrors] = out;
		s->n_mirrors++;
		for (uint32_t k = 0; k < s->n_ports; k++) {
			const struct dp_port *p = s->ports[k];

			if (p == out)
				continue;
			if (c->select_all || names_have(c->src, c->n_src, p->port.name))
				s->mirror_src[p->port.slot] |= bit;
			if (c->select_all || names_have(c->dst, c->n_dst, p->port.name))
				s->mirror_dst[p->port.slot] |= bit;
		}
		s->mirror_tag[s->n_mirrors - 1] = !port_is_access(&out->cfg.vlan);
		/* Reserved for the mirror: out of MAC learning, as Open vSwitch's. */
		s->vlan[out->port.slot].mode = DP_VLAN_NONE;
		s->vlan[out->port.slot].trunks = NULL;
		s->vlan_plain = false;
	}
}
