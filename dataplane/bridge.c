/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bridges: creation, the snapshot PMDs forward with, and the port names flowtab resolves.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "coverage.h"
#include "dp.h"
#include "flowtab.h"
#include "rcu.h"

static int
bridge_port_by_name(void *aux, const char *name, uint32_t *ofport)
{
	struct dp_bridge *br = aux;

	for (unsigned i = 0; i < br->n_ports; i++) {
		if (strcmp(br->ports[i]->port.name, name) == 0 && br->ports[i]->ofport != UINT32_MAX) {
			*ofport = br->ports[i]->ofport;
			return 0;
		}
	}
	return -ENOENT;
}

static const char *
bridge_port_name(void *aux, uint32_t ofport)
{
	struct dp_bridge *br = aux;

	for (unsigned i = 0; i < br->n_ports; i++)
		if (br->ports[i]->ofport == ofport)
			return br->ports[i]->port.name;
	return NULL;
}

struct dp_bridge *
dp_bridge_create(struct dp *dp, const char *name, char **err)
{
	struct dp_bridge *br;

	if (strlen(name) >= sizeof(br->name)) {
		if (asprintf(err, "bridge '%.32s...': a name is at most %zu bytes", name,
				sizeof(br->name) - 1) < 0)
			*err = NULL;
		return NULL;
	}
	br = rte_zmalloc("bridge", sizeof(*br), RTE_CACHE_LINE_SIZE);
	if (br == NULL || dp->n_bridges == sizeof(dp->bridges) / sizeof(dp->bridges[0])) {
		rte_free(br);
		if (asprintf(err, "bridge '%s': cannot create (too many bridges or no memory)",
				name) < 0)
			*err = NULL;
		return NULL;
	}
	snprintf(br->name, sizeof(br->name), "%s", name);
	br->mac = mac_table_create(SOCKET_ID_ANY, MAC_DEFAULT_MAX);
	struct flowtab_port_ops ops = {
		.by_name = bridge_port_by_name,
		.name = bridge_port_name,
		.aux = br,
	};
	br->ft = flowtab_create(name, &ops, dp->qsbr);
	if (br->mac == NULL || br->ft == NULL) {
		if (br->ft)
			flowtab_destroy(br->ft);
		mac_table_destroy(br->mac);
		rte_free(br);
		if (asprintf(err, "bridge '%s': out of memory", name) < 0)
			*err = NULL;
		return NULL;
	}
	dp->bridges[dp->n_bridges++] = br;
	if (dp_bridge_publish(dp, br) < 0) {
		*err = strdup("out of memory");
		return NULL;
	}
	return br;
}

static void
snap_free(void *ptr)
{
	struct bridge_snap *s = ptr;

	if (s != NULL) {
		free(s->by_ofport);
		free(s->trunk_sets);
		free(s);
	}
}

/* Free a bridge that has no ports left and is no longer reachable by PMDs. */
void
dp_bridge_destroy(struct dp *dp, struct dp_bridge *br)
{
	for (unsigned i = 0; i < dp->n_bridges; i++) {
		if (dp->bridges[i] == br) {
			dp->bridges[i] = dp->bridges[--dp->n_bridges];
			break;
		}
	}
	dp_punt_forget_bridge(dp, br);
	rcu_synchronize(dp->qsbr);
	/* Queued packet_ins may name 'br': none of them is delivered. */
	dp_punt_drop_pins(dp);
	snap_free(br->snap);
	dp_mirrors_free(br);
	flowtab_destroy(br->ft);
	mac_table_destroy(br->mac);
	rte_free(br);
}

/*
 * Port 'p's VLAN settings for the PMDs, with Open vSwitch's defaults: no vlan_mode means
 * access when a tag is set, trunk otherwise; an access port ignores trunks, a trunk its tag;
 * a native port's trunks include its native VLAN.  'set' is 64 words for the trunks.
 */
static void
vlan_of(const struct vconf_vlan *cv, struct dp_vlan *v, uint64_t *set)
{
	const char *m = cv->mode;

	v->tag = cv->has_tag ? cv->tag : 0;
	v->trunks = NULL;
	if (m == NULL)
		v->mode = cv->has_tag ? DP_VLAN_ACCESS : DP_VLAN_TRUNK;
	else if (strcmp(m, "access") == 0)
		v->mode = DP_VLAN_ACCESS;
	else if (strcmp(m, "native-tagged") == 0)
		v->mode = DP_VLAN_NATIVE_TAGGED;
	else if (strcmp(m, "native-untagged") == 0)
		v->mode = DP_VLAN_NATIVE_UNTAGGED;
	else
		v->mode = DP_VLAN_TRUNK;
	if (v->mode == DP_VLAN_ACCESS || cv->n_trunks == 0)
		return;
	memset(set, 0, 64 * sizeof(*set));
	for (size_t i = 0; i < cv->n_trunks; i++)
		set[cv->trunks[i] >> 6] |= 1ULL << (cv->trunks[i] & 63);
	if (v->mode != DP_VLAN_TRUNK)
		set[v->tag >> 6] |= 1ULL << (v->tag & 63);
	v->trunks = set;
}

int
dp_bridge_publish(struct dp *dp, struct dp_bridge *br)
{
	struct bridge_snap *s, *old;
	uint32_t max_ofport = 0, n = 0;

	coverage_inc(COV_BRIDGE_PUBLISH);
	for (unsigned i = 0; i < br->n_ports; i++)
		if (br->ports[i]->error == NULL && br->ports[i]->ofport > max_ofport)
			max_ofport = br->ports[i]->ofport;
	s = calloc(1, sizeof(*s) + br->n_ports * sizeof(s->ports[0]));
	if (s == NULL)
		return -ENOMEM;
	s->by_ofport = calloc(max_ofport + 1, sizeof(*s->by_ofport));
	s->trunk_sets = calloc(64 * (br->n_ports ? br->n_ports : 1), sizeof(uint64_t));
	if (s->by_ofport == NULL || s->trunk_sets == NULL) {
		snap_free(s);
		return -ENOMEM;
	}
	s->vlan_plain = true;
	for (unsigned i = 0; i < br->n_ports; i++) {
		struct dp_port *p = br->ports[i];

		if (p->error != NULL)
			continue;
		vlan_of(&p->cfg.vlan, &s->vlan[p->port.slot], &s->trunk_sets[64 * n]);
		s->vlan_plain &= s->vlan[p->port.slot].mode == DP_VLAN_TRUNK &&
			s->vlan[p->port.slot].trunks == NULL;
		s->ports[n++] = p;
		s->by_ofport[p->ofport] = p;
		s->by_slot[p->port.slot] = p;
	}
	s->n_ports = n;
	s->max_ofport = max_ofport;
	dp_mirror_snap(br, s);
	/*
	 * Open vSwitch's fail modes.  With no controller configured, a bridge without rules
	 * learns MACs (standalone) or drops (secure).  With controllers, the rules decide and
	 * misses go to a connected controller of OpenFlow 1.0 (else they are dropped: from 1.3
	 * only a table-miss rule sends them), until a standalone bridge has been without any
	 * for long: then it fails open, a MAC learning switch.
	 */
	if (br->of_fail_open)
		s->use_flows = false;
	else
		s->use_flows = flowtab_n_rules(br->ft) > 0 || br->of_controllers > 0;
	s->drop_all = !s->use_flows && br->fail_secure && !br->of_fail_open;
	s->miss_to_controller = br->of_miss_to_controller;
	s->frag_drop = br->frag_drop;
	s->forward_bpdu = br->forward_bpdu;
	/*
	 * Lending (see bridge_snap.borrow): rules, if any, that read packets, rewrite at most
	 * their headers and send them on (flowtab_lends(); the PMD checks again with the rules a
	 * burst meets), no controller a packet could go to, and no fragments to drop.
	 */
	s->borrow = dp->vhost_fast && (!s->use_flows || flowtab_lends(br->ft)) && !s->drop_all &&
		s->vlan_plain && !s->miss_to_controller && br->of_controllers == 0 &&
		s->n_mirrors == 0 && !s->frag_drop;
	for (uint32_t i = 0; i < n; i++)
		s->borrow &= port_tx_copies(&s->ports[i]->port);
	for (uint32_t i = 0; i < n; i++) {
		__atomic_store_n(&s->ports[i]->port.rx_borrow, !s->borrow ? PORT_BORROW_NONE :
			s->use_flows ? PORT_BORROW_PAYLOAD : PORT_BORROW_ALL, __ATOMIC_RELAXED);
		__atomic_store_n(&s->ports[i]->port.tx_fast, dp->vhost_fast, __ATOMIC_RELAXED);
	}
	old = br->snap;
	__atomic_store_n(&br->snap, s, __ATOMIC_RELEASE);
	rcu_defer_free(dp->defer, snap_free, old);
	return 0;
}

/*
 * Bridge other_config:mac-table-size as Open vSwitch reads it: a decimal int, anything else
 * the default; held to 10..1000000, a negative one (an unsigned size there) to the most.
 */
static unsigned
mac_size_of(const struct vconf_bridge *vb)
{
	const char *v = vconf_map_get(&vb->extra, "Bridge:other_config:mac-table-size");
	char *end;
	long n;

	if (v == NULL)
		return MAC_DEFAULT_MAX;
	errno = 0;
	n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || n > INT_MAX || n < INT_MIN)
		return MAC_DEFAULT_MAX;
	return n < 0 || n > MAC_MAX_MAX ? MAC_MAX_MAX : n < MAC_MIN_MAX ? MAC_MIN_MAX : (unsigned)n;
}

uint64_t
dp_bridge_datapath_id(const struct vconf_bridge *vb, const char *name)
{
	uint64_t id;

	if (vb != NULL && vconf_bridge_dpid(vb, &id) == 0)
		return id;
	id = 1469598103934665603ull;
	while (*name)
		id = (id ^ (uint8_t)*name++) * 1099511628211ull;
	return id & 0xffffffffffffull;
}

bool
dp_bridge_forward_bpdu(const struct vconf_bridge *vb)
{
	const char *v = vconf_map_get(&vb->extra, "Bridge:other_config:forward-bpdu");

	return v != NULL && strcasecmp(v, "true") == 0;
}

void
dp_bridge_set_mac_size(struct dp *dp, struct dp_bridge *br, const struct vconf_bridge *vb)
{
	unsigned n = mac_size_of(vb), was = mac_table_max(br->mac);
	void *old = NULL;

	if (n == was)
		return;
	if (mac_table_resize(br->mac, n, mac_now(), &old) < 0)
		dp_log("error: bridge %s: mac-table-size %u: out of memory for the buckets: "
			"the table keeps its size", br->name, mac_table_max(br->mac));
	else
		dp_log("bridge %s: MAC table holds %u entries", br->name, mac_table_max(br->mac));
	if (old != NULL)
		rcu_defer_free(dp->defer, mac_array_free, old);
}

int
dp_tlv_mod(struct dp *dp, enum port_tlv_cmd cmd, const struct port_tlv_map *maps, unsigned n,
	char **err)
{
	struct port_tlv_map cur[32];
	unsigned fields, space, k, used = 0;

	k = cmd == PORT_TLV_ADD ? 0 : port_tnl_tlv_get(cur, 32, &fields, &space);
	for (unsigned i = 0; i < dp->n_bridges && k > 0; i++)
		used |= flowtab_tun_metadata_used(dp->bridges[i]->ft);
	for (unsigned i = 0; i < k && i < 32; i++) {
		bool gone = cmd == PORT_TLV_CLEAR;

		for (unsigned j = 0; j < n && !gone; j++)
			gone = maps[j].index == cur[i].index;
		if (gone && cur[i].index < 32 && (used & 1u << cur[i].index)) {
			if (asprintf(err, "tun_metadata%u is used by rules: delete them first",
					cur[i].index) < 0)
				*err = NULL;
			return -EBUSY;
		}
	}
	return port_tnl_tlv_mod(cmd, maps, n, err);
}

struct dp_bridge *
dp_find_bridge(struct dp *dp, const char *name)
{
	for (unsigned i = 0; i < dp->n_bridges; i++)
		if (strcmp(dp->bridges[i]->name, name) == 0)
			return dp->bridges[i];
	return NULL;
}

bool
dp_port_is_local(const struct dp_bridge *br, const struct vconf_port *cfg)
{
	return cfg->type != NULL && strcmp(cfg->type, "internal") == 0 &&
		strcmp(cfg->name, br->name) == 0;
}

struct dp_port *
dp_find_port(struct dp *dp, const char *name)
{
	for (unsigned i = 0; i < PORT_MAX_SLOTS; i++)
		if (dp->slots[i] != NULL && strcmp(dp->slots[i]->port.name, name) == 0)
			return dp->slots[i];
	return NULL;
}
