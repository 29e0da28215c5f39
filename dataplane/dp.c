/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane's state: start-up, ports added and removed at run time, and applying a
 * new configuration as a difference.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "dp.h"
#include "flowtab.h"
#include "coverage.h"
#include "rcu.h"
#include "vlog.h"

struct dp *dp_main;

void
dp_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_msg_va(VLM_DATAPLANE, VLL_INFO, fmt, ap);
	va_end(ap);
}

static void
set_sock_dir(struct dp *dp, const struct vconf *cfg)
{
	const char *d = vconf_map_get(&cfg->other_config, "vhost-sock-dir");

	if (d == NULL)
		snprintf(dp->vhost_sock_dir, sizeof(dp->vhost_sock_dir), "/run/vireo");
	else if (d[0] == '/')
		snprintf(dp->vhost_sock_dir, sizeof(dp->vhost_sock_dir), "%s", d);
	else
		snprintf(dp->vhost_sock_dir, sizeof(dp->vhost_sock_dir), "/run/vireo/%s", d);
}

/* Each PMD's flowtab caches (exact-match and subtable caches are per PMD). */
static void *
pmd_ctx_create(unsigned index, int numa, void *aux)
{
	struct dp_pmd_ctx *c = rte_zmalloc_socket("pmd-ctx", sizeof(*c), RTE_CACHE_LINE_SIZE,
		numa);

	(void)aux;
	if (c == NULL)
		return NULL;
	c->ft = flowtab_pmd_create(index, numa);
	if (c->ft == NULL) {
		rte_free(c);
		return NULL;
	}
	return c;
}

static void
pmd_ctx_destroy(void *ctx, void *aux)
{
	struct dp_pmd_ctx *c = ctx;

	(void)aux;
	flowtab_pmd_destroy(c->ft);
	rte_free(c);
}

/* The default pmd-cpu-mask of 'cfg': the lowest core of each node not in dpdk-lcore-mask. */
static void
default_mask_of(const struct vconf *cfg, char *def, size_t len)
{
	const char *lc = vconf_map_get(&cfg->other_config, "dpdk-lcore-mask");

	pmd_default_mask(lc ? strtoull(lc, NULL, 16) : 1, def, len);
}

/* 'cfg's pmd-cpu-mask, or the default. */
static const char *
pmd_mask_of(const struct vconf *cfg, char *def, size_t len)
{
	const char *mask = vconf_map_get(&cfg->other_config, "pmd-cpu-mask");

	if (mask == NULL) {
		default_mask_of(cfg, def, len);
		mask = def;
	}
	return mask;
}

/* Log each line of 'text' (may be NULL) and free it. */
static void
log_lines(char *text)
{
	for (char *save = NULL, *l = text ? strtok_r(text, "\n", &save) : NULL; l != NULL;
			l = strtok_r(NULL, "\n", &save))
		dp_log("%s", l);
	free(text);
}

static struct pmd_hooks
pmd_hooks_of(struct dp *dp)
{
	return (struct pmd_hooks) {
		.process = dp_process,
		.ctx_create = pmd_ctx_create,
		.ctx_destroy = pmd_ctx_destroy,
		.poll_extra = dp_punt_pmd_run,
		.stopped = dp_coverage_pmd_stopped,
		.aux = dp,
	};
}

/*
 * Start the PMDs of 'cfg's pmd-cpu-mask.  vireo-dp needs one PMD at least: a mask that names
 * no core of this machine (Open vSwitch would then start none) gives the default cores.
 */
static int
start_pmds(struct dp *dp, const struct vconf *cfg, char **err)
{
	char def[32], *warn = NULL;
	const struct pmd_hooks hooks = pmd_hooks_of(dp);
	int rc = pmd_start_all(pmd_mask_of(cfg, def, sizeof(def)), dp->qsbr, &hooks, &dp->pmds,
		&dp->n_pmds, &warn, err);

	log_lines(warn);
	if (rc == -ENODEV) {
		default_mask_of(cfg, def, sizeof(def));
		dp_log("warning: %s: PMD threads on the default cores (%s) instead",
			*err ? *err : "pmd-cpu-mask names no core", def);
		free(*err);
		*err = NULL;
		rc = pmd_start_all(def, dp->qsbr, &hooks, &dp->pmds, &dp->n_pmds, &warn, err);
		log_lines(warn);
	}
	dp->port_env.n_pmds = dp->n_pmds;
	dp_pmd_sleep_apply(dp);
	return rc;
}

/*
 * The placement policy of 'cfg': other_config:pmd-rxq-assign (cycles, roundrobin, group)
 * and pmd-rxq-isolate (true, false, in any case, as Open vSwitch's smap_get_bool() reads
 * it).  vconf_check_other_config() refuses other values; should one get here, the default
 * stands and the log says so.
 */
static struct pmd_rxq_policy
rxq_policy_of(const struct vconf *cfg)
{
	const char *algo = vconf_map_get(&cfg->other_config, "pmd-rxq-assign");
	const char *iso = vconf_map_get(&cfg->other_config, "pmd-rxq-isolate");
	struct pmd_rxq_policy pol = { PMD_RXQ_CYCLES, true };

	if (pmd_rxq_algo_parse(algo, &pol.algo) < 0)
		dp_log("other_config:pmd-rxq-assign '%s' is not cycles, roundrobin or group: "
			"using cycles", algo);
	if (iso != NULL && strcasecmp(iso, "false") == 0)
		pol.isolate = false;
	else if (iso != NULL && strcasecmp(iso, "true") != 0)
		dp_log("other_config:pmd-rxq-isolate '%s' is not true or false: using true", iso);
	return pol;
}

int
dp_init(struct dp *dp, const struct vconf *cfg, char **err)
{
	size_t sz = rte_rcu_qsbr_get_memsize(PORT_MAX_PMDS);
	int rc;

	memset(dp, 0, sizeof(*dp));
	dp_main = dp;
	dp->qsbr = rte_zmalloc("qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (dp->qsbr == NULL || rte_rcu_qsbr_init(dp->qsbr, PORT_MAX_PMDS) != 0) {
		*err = strdup("cannot allocate the RCU state (hugepages?)");
		return -ENOMEM;
	}
	dp->defer = rcu_defer_create(dp->qsbr, err);
	if (dp->defer == NULL)
		return -ENOMEM;
	set_sock_dir(dp, cfg);
	dp->rxq_policy = rxq_policy_of(cfg);
	dp_auto_lb_configure(dp, cfg);
	dp_pmd_sleep_configure(dp, cfg);
	/* Without it rules can still be used, but tun_id, tun_src, tun_dst match zero only. */
	rc = flowtab_tnl_md_register();
	if (rc < 0)
		dp_log("warning: no mbuf field for tunnel metadata: %s", strerror(-rc));
	dp->port_env = (struct port_env){
		.vhost_sock_dir = dp->vhost_sock_dir,
		.qsbr = dp->qsbr,
		.mempool = dp_mempool_get,
		.log = dp_log,
		.deliver = dp_patch_deliver,
		.deliver_aux = dp,
	};
	rc = dp_punt_init(dp, err);
	if (rc < 0)
		return rc;
	rc = start_pmds(dp, cfg, err);
	if (rc < 0)
		return rc;
	dp->flows_origin = cfg->source ? strdup(cfg->source) : NULL;
	return 0;
}

/* Collect every working port for rx-queue placement. */
void
dp_rxq_reassign(struct dp *dp)
{
	struct port *ports[PORT_MAX_SLOTS];
	unsigned n = 0;
	char *warn = NULL;

	for (unsigned i = 0; i < PORT_MAX_SLOTS; i++)
		if (dp->slots[i] != NULL && dp->slots[i]->error == NULL &&
				dp->slots[i]->port.priv != NULL)
			ports[n++] = &dp->slots[i]->port;
	pmd_rxq_assign(dp->pmds, dp->n_pmds, ports, n, &dp->rxq_policy, dp->defer, &warn);
	if (warn != NULL) {
		dp_log("%s", warn);
		free(warn);
	}
}

/* Whether number 'of' is a port's of bridge 'aux' (a dp_ofport_used_fn). */
static bool
ofport_used(const void *aux, uint32_t of)
{
	const struct dp_bridge *br = aux;

	for (unsigned i = 0; i < br->n_ports; i++)
		if (br->ports[i]->ofport == of)
			return true;
	return false;
}

static uint64_t
ofport_name_hash(const char *name)
{
	uint64_t h = 1469598103934665603ull;

	while (*name)
		h = (h ^ (uint8_t)*name++) * 1099511628211ull;
	return h;
}

/*
 * What may take back the number port 'cfg' gives up: its OVSDB row (the same Interface row,
 * while it lives), else with 'by_name' (YAML) its name; 0 for nothing.
 */
static uint64_t
ofport_key(const struct vconf_port *cfg, bool by_name)
{
	if (cfg->row_uuid[0] != '\0')
		return ofport_name_hash(cfg->row_uuid);
	return by_name ? ofport_name_hash(cfg->name) : 0;
}

/*
 * Port 'p' is deleted: its number is held back from other ports (ofport.h); 'by_name' as
 * for alloc_ofport().
 */
static void
ofport_release(const struct dp_port *p, bool by_name)
{
	if (p->ofport == 0 || p->ofport > DP_OFPORT_MAX)
		return;		/* none (a failed port), or LOCAL */
	dp_ofports_release(&p->bridge->ofports, p->ofport, ofport_key(&p->cfg, by_name),
		mac_now());
}

/*
 * The OpenFlow port number of port 'cfg', chosen as Open vSwitch chooses it (ofport.h):
 * the one asked for (ofport_request); else the one the port had (OVSDB's Interface ofport,
 * so that numbers survive a restart); else the one it gave up here, recognised by
 * ofport_key(); else the next one counted up.
 *
 * From OVSDB the Interface row is what remembers a given-up number, as in Open vSwitch: the
 * same row closed and opened again (its type changed, a failed port retried) keeps its
 * number even when its ofport column has not come back from the write-back yet, while a
 * port deleted and added again is a new row, and gets a new number.  'by_name' (a YAML
 * configuration, which has no rows) keys the number by port name instead.  On purpose, and
 * unlike Open vSwitch: a YAML port closed and opened again (its type changed, a reload that
 * dropped it for a while) keeps its number, which the file's rules, compiled from port
 * names, still hold.
 */
static uint32_t
alloc_ofport(struct dp_bridge *br, const struct vconf_port *cfg, bool by_name)
{
	const int64_t want[] = { cfg->ofport_request, cfg->ofport_last,
		dp_ofports_given_up(&br->ofports, ofport_key(cfg, by_name)) };

	return dp_ofports_alloc(&br->ofports, want, RTE_DIM(want), mac_now(), ofport_used, br);
}

/*
 * Open 'p's device as 'cfg' says ('reconf': change the open port in place instead, if its
 * type can).  The port layer gets the options as plain strings.
 */
static int
port_apply_cfg(struct dp *dp, struct dp_port *p, uint16_t slot, const struct vconf_port *cfg,
	bool reconf, char **err)
{
	static const char *const bond_keys[] = { "bond_mode", "lacp", "lacp-time", "bond_updelay",
		"bond_downdelay", "bond-primary" };
	size_t n_bond = cfg->n_ifaces ? cfg->n_ifaces + RTE_DIM(bond_keys) : 0;
	struct port_option opts[cfg->options.n + n_bond + 1];
	char member_keys[cfg->n_ifaces + 1][PORT_NAME_MAX + 8];
	struct port_args args = {
		.options = opts,
		.n_options = (unsigned)(cfg->options.n + n_bond),
		.mtu_request = cfg->mtu_request > 0 ? (unsigned)cfg->mtu_request : 0,
	};
	const char *aff = vconf_map_get(&cfg->extra, "Interface:other_config:pmd-rxq-affinity");
	int16_t core[PORT_MAX_RXQ];
	struct vconf_policing vpol;
	struct port_policing pol;
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < cfg->options.n; i++)
		opts[n++] = (struct port_option){ cfg->options.kv[i].key, cfg->options.kv[i].value };
	/* A bond: its members' devargs as "member:NAME", its settings as values in force. */
	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		snprintf(member_keys[i], sizeof(member_keys[i]), "member:%s", cfg->ifaces[i].name);
		opts[n++] = (struct port_option){ member_keys[i],
			vconf_map_get(&cfg->ifaces[i].options, "dpdk-devargs") };
	}
	for (size_t i = 0; n_bond > 0 && i < RTE_DIM(bond_keys); i++)
		opts[n++] = (struct port_option){ bond_keys[i],
			vconf_bond_setting(cfg, bond_keys[i]) };
	rc = reconf ? port_reconfigure(&p->port, &args, &dp->port_env, err) :
		port_open(&p->port, cfg->name, cfg->type, slot, &args, &dp->port_env, err);
	if (rc < 0)
		return rc;
	vconf_port_policing(cfg, &vpol);
	pol = (struct port_policing){ vpol.in_kbps, vpol.in_burst_kb, vpol.in_kpps,
		vpol.in_burst_kpkts, vpol.out_cir, vpol.out_cbs };
	if (memcmp(&pol, &p->port.policing, sizeof(pol)) != 0) {
		rc = port_set_policing(&p->port, &pol, &dp->port_env, err);
		if (rc < 0)
			return rc;
	}
	memset(p->port.rxq_pin, 0, sizeof(p->port.rxq_pin));
	if (aff == NULL)
		return 0;
	/*
	 * Both callers ran vconf_check_port() first, which refuses an affinity this cannot
	 * parse (a queue from PORT_MAX_RXQ on, or bad syntax); queues the device does not have
	 * are said once here.
	 */
	(void)vconf_rxq_affinity_parse(aff, core, PORT_MAX_RXQ);
	for (unsigned q = 0; q < PORT_MAX_RXQ; q++) {
		if (core[q] >= 0 && q >= p->port.n_rxq)
			dp_log("port %s: warning: pmd-rxq-affinity pins queue %u, which the port does "
				"not have (%u rx queues)", cfg->name, q, p->port.n_rxq);
		p->port.rxq_pin[q] = core[q] >= 0 ? (uint16_t)(core[q] + 1) : 0;
	}
	return 0;
}

/* Log what port 'cfg' sets that vireo-dp accepts but does not apply. */
static void
port_log_warnings(const struct vconf_port *cfg)
{
	char *warn = vconf_port_warnings(cfg);

	for (char *save = NULL, *l = warn ? strtok_r(warn, "\n", &save) : NULL; l != NULL;
			l = strtok_r(NULL, "\n", &save))
		dp_log("warning: %s", l);
	free(warn);
}

/*
 * 'p' (working, same bridge) is now configured as 'np': true when the change was made in
 * place, false when the port must be deleted and added again.
 */
static bool
port_changed_in_place(struct dp *dp, struct dp_port *p, const struct vconf_port *np)
{
	struct vconf_port copy;
	char *err = NULL;
	int line = 0;

	if (p->error != NULL || strcmp(np->type ? np->type : "", p->cfg.type ? p->cfg.type : "")
			!= 0 || np->ofport_request != p->cfg.ofport_request ||
			vconf_check_port(np, &line, &err) < 0 || vconf_port_copy(&copy, np) < 0) {
		free(err);
		return false;
	}
	if (port_apply_cfg(dp, p, p->port.slot, np, true, &err) < 0) {
		vconf_port_free(&copy);
		free(err);
		return false;
	}
	vconf_port_free(&p->cfg);
	p->cfg = copy;
	dp_log("port %s: reconfigured in place (mtu %d)", p->port.name, p->port.mtu);
	port_log_warnings(&p->cfg);
	return true;
}

/*
 * Check 'cfg' and open 'p's device as it says (unpublished 'p' of a bridge, closed or
 * failed).  On failure 'p' keeps the error and ofport -1; the error is logged unless it
 * is the one 'p' already had.  Returns true when 'p' works.
 */
static bool
port_try_open(struct dp *dp, struct dp_port *p, const struct vconf_port *cfg)
{
	char *err = NULL;
	int line = 0;

	if (vconf_check_port(cfg, &line, &err) == 0) {
		if (port_apply_cfg(dp, p, p->port.slot, cfg, false, &err) == 0)
			p->ofport = dp_port_is_local(p->bridge, cfg) ? DP_OFPORT_LOCAL :
				alloc_ofport(p->bridge, cfg, !dp->ofports_in_source);
		else if (err == NULL)
			err = strdup("could not open the device");
	}
	if (err != NULL) {
		if (p->error == NULL || strcmp(p->error, err) != 0)
			dp_log("port %s: error: %s", cfg->name, err);
		free(p->error);
		p->error = err;
		return false;
	}
	free(p->error);
	p->error = NULL;
	coverage_inc(COV_PORT_ADD);
	dp_log("port %s: added to bridge %s as ofport %u (%s)", cfg->name, p->bridge->name,
		p->ofport, cfg->type);
	port_log_warnings(cfg);
	return true;
}

/*
 * Open the failed port 'p' (configured as 'cfg', unchanged) again, as Open vSwitch retries
 * a failed interface on every reconfiguration: what failed it may have gone since (a
 * tunnel port's duplicate deleted, a device plugged in).  A failed port was never
 * published, so a device it left open is closed here at once.  True when it now works.
 */
static bool
port_retry(struct dp *dp, struct dp_port *p, const struct vconf_port *cfg)
{
	port_close(&p->port);
	p->ofport = UINT32_MAX;
	return port_try_open(dp, p, cfg);
}

/*
 * Create the port and open its device; on failure the port still joins the bridge, with
 * its error and ofport -1, and carries no traffic.  Does not publish.
 */
static struct dp_port *
port_add_unpublished(struct dp *dp, struct dp_bridge *br, const struct vconf_port *cfg)
{
	struct dp_port *p;
	unsigned slot;

	if (strlen(cfg->name) >= PORT_NAME_MAX) {
		dp_log("port %.32s...: not added: a port name is at most %d bytes", cfg->name,
			PORT_NAME_MAX - 1);
		return NULL;
	}
	for (slot = 0; slot < PORT_MAX_SLOTS && dp->slots[slot] != NULL; slot++)
		;
	if (slot == PORT_MAX_SLOTS || br->n_ports == PORT_MAX_SLOTS) {
		dp_log("port %s: not added: too many ports (at most %d)", cfg->name, PORT_MAX_SLOTS);
		return NULL;
	}
	p = rte_zmalloc("port", sizeof(*p), RTE_CACHE_LINE_SIZE);
	if (p == NULL) {
		dp_log("port %s: not added: out of memory", cfg->name);
		return NULL;
	}
	snprintf(p->port.name, sizeof(p->port.name), "%s", cfg->name);
	p->port.slot = (uint16_t)slot;
	p->bridge = br;
	p->ofport = UINT32_MAX;
	if (vconf_port_copy(&p->cfg, cfg) < 0) {
		rte_free(p);
		return NULL;
	}
	port_try_open(dp, p, cfg);
	dp->slots[slot] = p;
	br->ports[br->n_ports++] = p;
	return p;
}

/* Take 'p' out of its bridge's list (not yet unpublished). */
static void
port_unlink(struct dp_port *p)
{
	struct dp_bridge *br = p->bridge;

	for (unsigned i = 0; i < br->n_ports; i++) {
		if (br->ports[i] == p) {
			br->ports[i] = br->ports[--br->n_ports];
			break;
		}
	}
}

/* Close and free ports already unlinked, unpublished and synchronised. */
static void
port_free(struct dp *dp, struct dp_port *p)
{
	uint16_t slot = p->port.slot;

	port_close(&p->port);
	mac_table_flush_slot(p->bridge->mac, slot);
	ofport_release(p, !dp->ofports_in_source);
	dp->slots[slot] = NULL;
	vconf_port_free(&p->cfg);
	free(p->error);
	rte_free(p);
}

/* Remove a set of ports: unpublish all, one grace period, then close. */
static void
ports_remove(struct dp *dp, struct dp_port **ps, unsigned n)
{
	struct dp_bridge *touched[64];
	unsigned nt = 0;

	if (n == 0)
		return;
	for (unsigned i = 0; i < n; i++) {
		bool seen = false;

		port_unlink(ps[i]);
		for (unsigned k = 0; k < nt; k++)
			seen |= touched[k] == ps[i]->bridge;
		if (!seen && nt < 64)
			touched[nt++] = ps[i]->bridge;
		dp->slots[ps[i]->port.slot] = NULL;	/* out of rxq placement */
	}
	dp_rxq_reassign(dp);
	for (unsigned k = 0; k < nt; k++)
		dp_bridge_publish(dp, touched[k]);
	/* No PMD may still hold one of these ports (rx set or bridge snapshot). */
	rcu_synchronize(dp->qsbr);
	for (unsigned i = 0; i < n; i++) {
		dp->slots[ps[i]->port.slot] = ps[i];
		coverage_inc(COV_PORT_DEL);
		dp_log("port %s: deleted", ps[i]->port.name);
		port_free(dp, ps[i]);
	}
}

int
dp_add_port(struct dp *dp, const char *brname, const struct vconf_port *cfg, char **err)
{
	struct dp_bridge *br = dp_find_bridge(dp, brname);
	struct vconf_bridge *vb;
	struct dp_port *p;

	if (br == NULL) {
		if (asprintf(err, "no bridge named %s", brname) < 0)
			*err = NULL;
		return -ENOENT;
	}
	if (strlen(cfg->name) >= PORT_NAME_MAX) {
		if (asprintf(err, "port name '%.32s...' is %zu characters: at most %d",
				cfg->name, strlen(cfg->name), PORT_NAME_MAX - 1) < 0)
			*err = NULL;
		return -ENAMETOOLONG;
	}
	if (dp_find_port(dp, cfg->name) != NULL) {
		if (asprintf(err, "cannot create a port named %s because a port named %s "
				"already exists", cfg->name, cfg->name) < 0)
			*err = NULL;
		return -EEXIST;
	}
	p = port_add_unpublished(dp, br, cfg);
	if (p == NULL) {
		if (asprintf(err, "port %s: could not be added", cfg->name) < 0)
			*err = NULL;
		return -ENOMEM;
	}
	dp_bridge_publish(dp, br);
	dp_rxq_reassign(dp);
	vb = vconf_find_bridge(&dp->cfg, brname);
	if (vb != NULL) {
		struct vconf_port *np = realloc(vb->ports, (vb->n_ports + 1) * sizeof(*np));

		if (np != NULL) {
			vb->ports = np;
			if (vconf_port_copy(&vb->ports[vb->n_ports], cfg) == 0)
				vb->n_ports++;
		}
	}
	if (p->error != NULL) {
		*err = strdup(p->error);
		return -EIO;
	}
	return 0;
}

int
dp_del_port(struct dp *dp, const char *name, char **err)
{
	struct dp_port *p = dp_find_port(dp, name);
	struct vconf_bridge *vb = NULL;
	struct vconf_port *vp;

	if (p == NULL) {
		if (asprintf(err, "no port named %s", name) < 0)
			*err = NULL;
		return -ENOENT;
	}
	ports_remove(dp, &p, 1);
	vp = vconf_find_port(&dp->cfg, name, &vb);
	if (vp != NULL) {
		size_t i = (size_t)(vp - vb->ports);

		vconf_port_free(vp);
		memmove(&vb->ports[i], &vb->ports[i + 1], (vb->n_ports - i - 1) * sizeof(*vp));
		vb->n_ports--;
	}
	return 0;
}

static bool
port_cfg_equal(const struct vconf_port *a, const struct vconf_port *b)
{
	return vconf_port_equal(a, b);
}

/* True when 'a' and 'b' differ in their VLAN settings only (no need to reopen the device). */
static bool
port_cfg_vlan_only(const struct vconf_port *a, const struct vconf_port *b)
{
	struct vconf_port x = *a;

	x.vlan = b->vlan;
	return vconf_port_equal(&x, b) && !vconf_vlan_equal(&a->vlan, &b->vlan);
}

/*
 * Give the working port 'p' the VLAN settings of 'np' without closing it: the next
 * snapshot of its bridge carries them; what it learned in its old VLANs is forgotten.
 */
static int
port_set_vlan(struct dp *dp, struct dp_port *p, const struct vconf_port *np)
{
	struct vconf_vlan v;
	int line = 0;
	char *err = NULL;

	if (vconf_check_port(np, &line, &err) < 0) {
		free(err);
		return -EINVAL;
	}
	if (vconf_vlan_copy(&v, &np->vlan) < 0)
		return -ENOMEM;
	vconf_vlan_free(&p->cfg.vlan);
	p->cfg.vlan = v;
	dp_bridge_publish(dp, p->bridge);
	mac_table_flush_slot(p->bridge->mac, p->port.slot);
	dp_log("port %s: VLAN settings changed (vlan_mode %s)", p->port.name,
		v.mode ? v.mode : v.has_tag ? "access, implied by tag" : "trunk, the default");
	return 0;
}

/* Say what vireo-dp refuses or does not apply of bridge 'vb's own settings. */
static void
bridge_settings_log(const struct vconf_bridge *vb)
{
	char *err = NULL, *warn = NULL;

	vconf_check_bridge(vb, &err, &warn);
	if (err != NULL)
		dp_log("error: %s", err);
	for (char *save = NULL, *l = warn ? strtok_r(warn, "\n", &save) : NULL; l != NULL;
			l = strtok_r(NULL, "\n", &save))
		dp_log("warning: %s", l);
	free(err);
	free(warn);
}

static bool
flows_equal(const struct vconf_bridge *a, const struct vconf_bridge *b)
{
	if (a->has_flows != b->has_flows || a->n_flows != b->n_flows)
		return false;
	for (size_t i = 0; i < a->n_flows; i++)
		if (strcmp(a->flows[i].text, b->flows[i].text) != 0)
			return false;
	return true;
}

static int
apply_flows(struct dp *dp, struct dp_bridge *br, const struct vconf_bridge *vb, char **err)
{
	const char **texts = calloc(vb->n_flows + 1, sizeof(*texts));
	int *lines = calloc(vb->n_flows + 1, sizeof(*lines));
	int rc;

	if (texts == NULL || lines == NULL) {
		free(texts);
		free(lines);
		return -ENOMEM;
	}
	for (size_t i = 0; i < vb->n_flows; i++) {
		texts[i] = vb->flows[i].text;
		lines[i] = vb->flows[i].line;
	}
	rc = flowtab_replace_flows(br->ft, texts, lines, vb->n_flows, dp->flows_origin, err);
	free(texts);
	free(lines);
	if (rc == 0)
		dp_bridge_publish(dp, br);
	return rc;
}

/*
 * A new pmd-cpu-mask: only the PMDs whose cores change are stopped or started (see
 * pmd_reconfigure()); the others keep their threads, rx queues and caches.  When the
 * number of PMDs changes, the ports learn it (port_ops.set_n_pmds wants no PMD polling):
 * the kept PMDs are given nothing to poll for one grace period, then everything is
 * re-placed by the caller ('*replace' set when a PMD stopped or started).  Cores this
 * machine does not have are ignored, as Open vSwitch ignores them; a mask left with no
 * core keeps the PMDs as they are.
 */
static int
restart_pmds(struct dp *dp, const struct vconf *cfg, bool *replace, char **err)
{
	char def[32], *warn = NULL;
	const struct pmd_hooks hooks = pmd_hooks_of(dp);
	unsigned old_n = dp->n_pmds;
	struct pmd_change chg;
	int rc = pmd_reconfigure(pmd_mask_of(cfg, def, sizeof(def)), dp->qsbr, &hooks,
		&dp->pmds, &dp->n_pmds, &chg, &warn, err);

	log_lines(warn);
	if (rc == -ENODEV) {
		dp_log("warning: %s: the %u PMD thread(s) keep running where they are",
			*err ? *err : "pmd-cpu-mask names no core", dp->n_pmds);
		free(*err);
		*err = NULL;
		return 0;
	}
	dp->port_env.n_pmds = dp->n_pmds;
	dp_pmd_sleep_apply(dp);
	dp_log("PMD threads: %u kept running, %u stopped, %u started", chg.kept, chg.stopped,
		chg.started);
	if (dp->n_pmds != old_n) {
		pmd_rxq_assign(dp->pmds, dp->n_pmds, NULL, 0, &dp->rxq_policy, dp->defer, NULL);
		rcu_synchronize(dp->qsbr);
		for (unsigned i = 0; i < PORT_MAX_SLOTS; i++)
			if (dp->slots[i] != NULL && dp->slots[i]->error == NULL)
				port_set_n_pmds(&dp->slots[i]->port, dp->n_pmds);
	}
	*replace |= chg.stopped > 0 || chg.started > 0;
	return rc;
}

/*
 * The switch-wide settings of 'cfg': PMD cores (the PMDs move now), the keys that need a
 * restart (said in the log), rx queue placement and auto load balancing.  '*replace' is set
 * when rx queues must be placed anew.  Every setting is applied even when PMD threads
 * could not be started: the error (-errno, '*err') is returned after.
 */
static int
reconfigure_switch(struct dp *dp, const struct vconf *cfg, bool *replace, char **err)
{
	static const char *const restart_keys[] = {
		"dpdk-lcore-mask", "dpdk-socket-mem", "dpdk-extra", "dpdk-socket-limit",
		"dpdk-hugepage-dir", "vhost-sock-dir", NULL
	};
	const char *old_mask = vconf_map_get(&dp->cfg.other_config, "pmd-cpu-mask");
	const char *new_mask = vconf_map_get(&cfg->other_config, "pmd-cpu-mask");
	struct pmd_rxq_policy pol = rxq_policy_of(cfg);
	int rc = 0;

	if (dp->cfg.source != NULL && ((old_mask == NULL) != (new_mask == NULL) ||
			(old_mask && strcmp(old_mask, new_mask) != 0))) {
		dp_log("pmd-cpu-mask changed to %s: moving PMD threads",
			new_mask ? new_mask : "(default)");
		rc = restart_pmds(dp, cfg, replace, err);
		if (rc < 0)
			dp_log("error: PMD threads: %s", *err ? *err : "cannot start");
	}
	for (int i = 0; dp->cfg.source != NULL && restart_keys[i]; i++) {
		const char *a = vconf_map_get(&dp->cfg.other_config, restart_keys[i]);
		const char *b = vconf_map_get(&cfg->other_config, restart_keys[i]);

		if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
			dp_log("other_config:%s changed: takes effect when vireo-dp restarts",
				restart_keys[i]);
	}
	if (pol.algo != dp->rxq_policy.algo || pol.isolate != dp->rxq_policy.isolate) {
		dp_log("rx queue placement: pmd-rxq-assign=%s, pmd-rxq-isolate=%s: re-placing",
			pmd_rxq_algo_name(pol.algo), pol.isolate ? "true" : "false");
		dp->rxq_policy = pol;
		*replace = true;
	}
	dp_auto_lb_configure(dp, cfg);
	dp_pmd_sleep_configure(dp, cfg);
	return rc;
}

/*
 * Ports that left 'cfg' or moved to another bridge go; changed ones change in place where
 * they can (VLAN settings, queues and pins: '*replace' set), else go to be added again.
 */
static void
reconfigure_remove_ports(struct dp *dp, const struct vconf *cfg, bool *replace)
{
	struct dp_port *gone[PORT_MAX_SLOTS];
	unsigned n_gone = 0;

	for (unsigned i = 0; i < PORT_MAX_SLOTS; i++) {
		struct dp_port *p = dp->slots[i];
		struct vconf_bridge *vb = NULL;
		const struct vconf_port *np;

		if (p == NULL)
			continue;
		np = vconf_find_port(cfg, p->port.name, &vb);
		if (np == NULL || strcmp(vb->name, p->bridge->name) != 0)
			gone[n_gone++] = p;
		else if (p->error == NULL && port_cfg_vlan_only(&p->cfg, np)) {
			if (port_set_vlan(dp, p, np) < 0)
				gone[n_gone++] = p;
		} else if (!port_cfg_equal(np, &p->cfg)) {
			if (port_changed_in_place(dp, p, np))
				*replace = true;
			else
				gone[n_gone++] = p;
		}
		/* Kept, perhaps under a row that replaced its own: that row now holds its number. */
		if (n_gone == 0 || gone[n_gone - 1] != p)
			memcpy(p->cfg.row_uuid, np->row_uuid, sizeof(p->cfg.row_uuid));
	}
	ports_remove(dp, gone, n_gone);
}

/*
 * Bridges that left 'cfg' go; new bridges and new ports come, failed ports are opened
 * again (once each); every bridge's settings, mirrors and snapshot are published again.
 * '*replace' is set when a port came or a failed one now works.
 */
static int
reconfigure_bridges(struct dp *dp, const struct vconf *cfg, bool *replace, char **err)
{
	const char *f = vconf_map_get(&cfg->other_config, "vhost-fast-path");

	for (unsigned i = 0; i < dp->n_bridges;) {
		if (vconf_find_bridge(cfg, dp->bridges[i]->name) == NULL) {
			dp_log("bridge %s: deleted", dp->bridges[i]->name);
			dp_bridge_destroy(dp, dp->bridges[i]);
			continue;
		}
		i++;
	}
	/* On unless turned off: the choice is made per burst and shows only in statistics. */
	dp->vhost_fast = f == NULL || strcmp(f, "false") != 0;
	for (size_t b = 0; b < cfg->n_bridges; b++) {
		const struct vconf_bridge *vb = &cfg->bridges[b];
		const struct vconf_bridge *ob = vconf_find_bridge(&dp->cfg, vb->name);
		struct dp_bridge *br = dp_find_bridge(dp, vb->name);

		if (br == NULL) {
			br = dp_bridge_create(dp, vb->name, err);
			if (br == NULL)
				return -ENOMEM;
			dp_log("bridge %s: created", vb->name);
		}
		if (ob == NULL || !vconf_bridge_settings_equal(ob, vb))
			bridge_settings_log(vb);
		br->fail_secure = vb->fail_mode != NULL && strcmp(vb->fail_mode, "secure") == 0;
		br->forward_bpdu = dp_bridge_forward_bpdu(vb);
		dp_bridge_set_mac_size(dp, br, vb);
		for (size_t k = 0; k < vb->n_ports; k++) {
			struct dp_port *p = dp_find_port(dp, vb->ports[k].name);

			if (p == NULL) {
				port_add_unpublished(dp, br, &vb->ports[k]);
				*replace = true;
			} else if (p->error != NULL && port_retry(dp, p, &vb->ports[k])) {
				*replace = true;
			}
		}
		if (dp_mirrors_set(dp, br, vb) < 0)
			dp_log("error: bridge %s: mirrors not changed: out of memory", vb->name);
		dp_bridge_publish(dp, br);
	}
	return 0;
}

int
dp_reconfigure(struct dp *dp, const struct vconf *cfg, char **err)
{
	/* Rx queues are placed anew only when what they are placed on changed: new PMDs, a
	 * new policy, new ports (removed ones re-place in ports_remove); an unrelated change
	 * must not move queues between PMDs under traffic. */
	bool replace = false;
	struct vconf copy;
	char *pmd_err = NULL;
	int rc, pmd_rc;

	coverage_inc(COV_BRIDGE_RECONFIGURE);
	dp->ofports_in_source = cfg->ofports_in_source;
	/* PMD threads that could not start stop nothing else: ports and flows still apply. */
	pmd_rc = reconfigure_switch(dp, cfg, &replace, &pmd_err);
	reconfigure_remove_ports(dp, cfg, &replace);
	rc = reconfigure_bridges(dp, cfg, &replace, err);
	if (rc < 0) {
		free(pmd_err);
		return rc;
	}
	if (replace)
		dp_rxq_reassign(dp);
	/* Flows of bridges configured with a flows: list. */
	for (size_t b = 0; b < cfg->n_bridges; b++) {
		const struct vconf_bridge *vb = &cfg->bridges[b];
		const struct vconf_bridge *ob = vconf_find_bridge(&dp->cfg, vb->name);

		if (!vb->has_flows || (ob != NULL && flows_equal(ob, vb)))
			continue;
		rc = apply_flows(dp, dp_find_bridge(dp, vb->name), vb, err);
		if (rc < 0)
			break;
	}
	if (vconf_copy(&copy, cfg) == 0) {
		vconf_free(&dp->cfg);
		dp->cfg = copy;
	}
	if (rc == 0 && pmd_rc < 0) {
		*err = pmd_err;
		return pmd_rc;
	}
	free(pmd_err);
	return rc;
}

void
dp_run_periodic(struct dp *dp)
{
	static uint32_t last_age;
	uint32_t now = mac_now();

	rcu_defer_reclaim(dp->defer);
	port_tnl_run();
	dp_gm_liveness_run(dp);

	for (unsigned i = 0; i < dp->n_bridges; i++) {
		size_t before = flowtab_n_rules(dp->bridges[i]->ft);

		flowtab_run_timeouts(dp->bridges[i]->ft);
		mac_table_run(dp->bridges[i]->mac);
		if ((before > 0) != (flowtab_n_rules(dp->bridges[i]->ft) > 0))
			dp_bridge_publish(dp, dp->bridges[i]);
	}
	if (now - last_age >= 10) {
		struct port *ports[PORT_MAX_SLOTS];
		unsigned n = 0;

		last_age = now;
		for (unsigned i = 0; i < dp->n_bridges; i++)
			mac_table_age(dp->bridges[i]->mac, now);
		for (unsigned i = 0; i < PORT_MAX_SLOTS; i++)
			if (dp->slots[i] != NULL && dp->slots[i]->error == NULL)
				ports[n++] = &dp->slots[i]->port;
		pmd_rxq_measure(ports, n);
		pmd_measure(dp->pmds, dp->n_pmds);
		dp_auto_lb_run(dp, now);
	}
}

void
dp_fini(struct dp *dp)
{
	struct dp_port *all[PORT_MAX_SLOTS];
	unsigned n = 0;

	for (unsigned i = 0; i < PORT_MAX_SLOTS; i++)
		if (dp->slots[i] != NULL)
			all[n++] = dp->slots[i];
	ports_remove(dp, all, n);
	while (dp->n_bridges > 0)
		dp_bridge_destroy(dp, dp->bridges[0]);
	pmd_stop_all(dp->pmds, dp->n_pmds);
	dp->pmds = NULL;
	dp->n_pmds = 0;
	dp_punt_fini(dp);
	rcu_defer_destroy(dp->defer);
	dp->defer = NULL;
	rte_free(dp->qsbr);
	free(dp->flows_origin);
	vconf_free(&dp->cfg);
	dp_main = NULL;
}
