/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vireo-dp under ovsdb-server: configurations from the OVSDB client applied to the dataplane,
 * and the dataplane's state written back (see ovsdb_glue.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <rte_version.h>

#include "daemon.h"
#include "dp.h"
#include "ovsdb.h"
#include "ovsdb_glue.h"

#define LOCAL_OFPORT 65534
#define STATS_MIN_MS 5000
#define N_STATS 10
#define SLOW_APPLY_MS 100	/* log applications slower than this */

extern bool dp_exit_requested;

struct dp_ovsdb {
	struct vovsdb *db;
	struct dp *dp;			/**< NULL until dp_ovsdb_attach() */
	bool failed;
	/* before attach: the latest configuration and its next_cfg */
	struct vconf pending;
	int64_t pending_cfg;
	bool have_pending;
	bool said_waiting;
	char *no_dpdk;		/**< why DPDK did not start (dpdk-init=try), NULL if it did */
	/* after attach: the configuration last applied, as received (with local ports) */
	struct vconf cur;
	uint64_t next_stats_ms;
	/* other_config pairs already logged ("key=value"), so each is said once */
	char *said_bad[32];
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* other_config:dpdk-init as ovs-vswitchd reads it: "true" or "try" in any case. */
static bool
dpdk_init_is(const struct vconf *cfg, const char *word)
{
	const char *v = vconf_map_get(&cfg->other_config, "dpdk-init");

	return v != NULL && strcasecmp(v, word) == 0;
}

static bool
dpdk_init_wanted(const struct vconf *cfg)
{
	return dpdk_init_is(cfg, "true") || dpdk_init_is(cfg, "try");
}

/* dpdk-init's value in the case config/check.c knows ("True" is "true"), else 'v'. */
static const char *
dpdk_init_canonical(const char *v)
{
	static const char *const words[] = { "true", "false", "try" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(v, words[i]) == 0)
			return words[i];
	return v;
}

static bool
is_local_port(const struct vconf_bridge *b, const struct vconf_port *p)
{
	return p->type != NULL && strcmp(p->type, "internal") == 0 &&
		strcmp(p->name, b->name) == 0;
}

/* Log 'what' about other_config:'key'='value' unless it was already said. */
static void
say_bad_once(struct dp_ovsdb *o, const char *key, const char *value, const char *what)
{
	char *kv;
	size_t i;

	if (asprintf(&kv, "%s=%s", key, value) < 0)
		return;
	for (i = 0; i < sizeof(o->said_bad) / sizeof(o->said_bad[0]) && o->said_bad[i]; i++) {
		if (strcmp(o->said_bad[i], kv) == 0) {
			free(kv);
			return;
		}
	}
	dp_log("%s", what);
	if (i == sizeof(o->said_bad) / sizeof(o->said_bad[0])) {
		free(o->said_bad[0]);
		memmove(&o->said_bad[0], &o->said_bad[1], (i - 1) * sizeof(o->said_bad[0]));
		i--;
	}
	o->said_bad[i] = kv;
}

/*
 * Check every other_config key (config/check.c): a bad or refused value of a key vireo-dp
 * reads is replaced by the one in force ('running', may be NULL) or dropped; keys vireo-dp
 * accepts without applying them, or does not know, are kept and said once in the log.
 * Returns 0, or -ENOMEM with 'm' unchanged.
 */
static int
sanitize_other_config(struct dp_ovsdb *o, struct vconf_map *m, const struct vconf_map *running)
{
	struct vconf_map out = { 0 };

	for (size_t i = 0; i < m->n; i++) {
		struct vconf_kv one = m->kv[i];
		const struct vconf_kv *kv = &one;
		const char *keep;
		char *err = NULL, *msg;
		int rc;
		bool bad;

		if (strcmp(one.key, "dpdk-init") == 0)
			one.value = (char *)dpdk_init_canonical(one.value);
		keep = kv->value;
		rc = vconf_check_other_config(kv, &err);
		bad = rc == -EINVAL;

		if (bad) {
			keep = running ? vconf_map_get(running, kv->key) : NULL;
			if (asprintf(&msg, "other_config:%s=%s ignored (%s); %s%s", kv->key,
					kv->value, err ? err : "bad value",
					keep ? "keeping " : "using the default", keep ? keep : "") >= 0) {
				say_bad_once(o, kv->key, kv->value, msg);
				free(msg);
			}
		} else if (rc == -ENOENT || rc == 1) {
			if (rc == -ENOENT && asprintf(&msg, "warning: key 'other_config:%s': not "
					"read by vireo-dp", kv->key) >= 0) {
				say_bad_once(o, kv->key, kv->value, msg);
				free(msg);
			} else if (rc == 1 && asprintf(&msg, "warning: %s", err) >= 0) {
				say_bad_once(o, kv->key, kv->value, msg);
				free(msg);
			}
		}
		free(err);
		if (keep != NULL && vconf_map_set(&out, kv->key, keep, 0) < 0) {
			vconf_map_free(&out);
			return -ENOMEM;
		}
	}
	vconf_map_free(m);
	*m = out;
	return 0;
}

/*
 * vhost-sock-dir as ovs-vswitchd reads it (lib/dpdk.c): a directory under its run directory
 * ($OVS_RUNDIR, else /var/run/openvswitch), or that run directory itself when the key is
 * unset or its value holds "..", which is said once.  Written into 'm' as the absolute
 * path the dataplane takes.  Returns 0 or -ENOMEM.
 */
static int
ovs_sock_dir(struct dp_ovsdb *o, struct vconf_map *m)
{
	const char *v = vconf_map_get(m, "vhost-sock-dir");
	const char *run = daemon_rundir();
	char *dir, *msg;
	int n, rc;

	if (v != NULL && strstr(v, "..") != NULL) {
		if (asprintf(&msg, "other_config:vhost-sock-dir=%s ignored (it may not contain "
				"'..', as in Open vSwitch); using %s", v, run) >= 0) {
			say_bad_once(o, "vhost-sock-dir", v, msg);
			free(msg);
		}
		v = NULL;
	}
	n = v != NULL ? asprintf(&dir, "%s/%s", run, v) : asprintf(&dir, "%s", run);
	if (n < 0)
		return -ENOMEM;
	rc = vconf_map_set(m, "vhost-sock-dir", dir, 0);
	free(dir);
	return rc;
}

/* What the dataplane is given: 'in' with other_config checked. */
static int
filter_config(struct dp_ovsdb *o, const struct vconf *in, struct vconf *out)
{
	if (vconf_copy(out, in) < 0)
		return -ENOMEM;
	if (ovs_sock_dir(o, &out->other_config) < 0 ||
			sanitize_other_config(o, &out->other_config, o->dp != NULL &&
			o->dp->cfg.source != NULL ? &o->dp->cfg.other_config : NULL) < 0) {
		vconf_free(out);
		return -ENOMEM;
	}
	return 0;
}

static bool
str_equal(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/*
 * True when applying 'a' over 'b' would change nothing: the same other_config, bridges and
 * ports (OVSDB delivers both sorted by name).  Lets a change the dataplane does not read
 * (external_ids, a bare next_cfg bump) be acknowledged without touching the PMDs.
 */
static bool
config_equal(const struct vconf *a, const struct vconf *b)
{
	if (a->n_bridges != b->n_bridges || !vconf_map_equal(&a->other_config, &b->other_config))
		return false;
	for (size_t i = 0; i < a->n_bridges; i++) {
		const struct vconf_bridge *x = &a->bridges[i], *y = &b->bridges[i];

		if (!str_equal(x->name, y->name) || x->n_ports != y->n_ports ||
				x->has_flows != y->has_flows || !vconf_bridge_settings_equal(x, y))
			return false;
		for (size_t k = 0; k < x->n_ports; k++)
			if (!vconf_port_equal(&x->ports[k], &y->ports[k]))
				return false;
	}
	return true;
}

/*
 * True while a port of 'cfg' does not work in the dataplane (its device failed, or it could
 * not be added): every configuration must then reach dp_reconfigure(), which tries it again,
 * as ovs-vswitchd's bridge_reconfigure() does on every change.
 */
static bool
any_port_failed(struct dp *dp, const struct vconf *cfg)
{
	for (size_t b = 0; b < cfg->n_bridges; b++) {
		for (size_t k = 0; k < cfg->bridges[b].n_ports; k++) {
			const struct dp_port *p = dp_find_port(dp, cfg->bridges[b].ports[k].name);

			if (p == NULL || p->error != NULL)
				return true;
		}
	}
	return false;
}

/* "key=value\n" lines (ops->status) into 'm': 0, or -ENOMEM with some left out. */
static int
status_parse(struct vconf_map *m, char *text)
{
	char *save = NULL;

	for (char *t = strtok_r(text, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(t, '=');

		if (eq == NULL || eq == t)
			continue;
		*eq = '\0';
		if (vconf_map_set(m, t, eq + 1, 0) < 0)
			return -ENOMEM;
	}
	return 0;
}

static size_t
port_stats(struct dp_port *p, struct vovsdb_stat *st)
{
	struct port_pmd_stats sw;
	struct port_dev_stats dev = { 0 };
	size_t n = 0;

	port_sw_stats(&p->port, &sw);
	port_dev_stats(&p->port, &dev);
	st[n++] = (struct vovsdb_stat){ "rx_packets", (int64_t)sw.rx_packets };
	st[n++] = (struct vovsdb_stat){ "rx_bytes", (int64_t)sw.rx_bytes };
	st[n++] = (struct vovsdb_stat){ "tx_packets", (int64_t)sw.tx_packets };
	st[n++] = (struct vovsdb_stat){ "tx_bytes", (int64_t)sw.tx_bytes };
	st[n++] = (struct vovsdb_stat){ "rx_dropped", (int64_t)(dev.rx_dropped + sw.rx_policed) };
	st[n++] = (struct vovsdb_stat){ "tx_dropped", (int64_t)sw.tx_dropped };
	st[n++] = (struct vovsdb_stat){ "rx_errors", (int64_t)dev.rx_errors };
	st[n++] = (struct vovsdb_stat){ "tx_errors", (int64_t)dev.tx_errors };
	/* Open vSwitch's names for its policers' drops (counted in rx/tx_dropped too). */
	st[n++] = (struct vovsdb_stat){ "ovs_rx_qos_drops", (int64_t)sw.rx_policed };
	st[n++] = (struct vovsdb_stat){ "ovs_tx_qos_drops", (int64_t)sw.tx_policed };
	return n;
}

/* Report Interface 'vp' of bridge 'vb' (dataplane attached); statistics too if 'stats'. */
static void
report_port(struct dp_ovsdb *o, const struct vconf_bridge *vb, const struct vconf_port *vp,
		bool stats)
{
	struct vovsdb_iface_state st = { 0 };
	struct vovsdb_stat sv[N_STATS];
	struct vconf_map status = { 0 };
	struct dp_port *p = NULL;
	char text[1024], *bridge_err = NULL, *both = NULL;

	if (is_local_port(vb, vp)) {
		char *warn = NULL;

		/* The bridge has no row of its own to show an error: its local interface does. */
		vconf_check_bridge(vb, &bridge_err, &warn);
		free(warn);
	}
	if ((p = dp_find_port(o->dp, vp->name)) == NULL || p->bridge == NULL ||
			strcmp(p->bridge->name, vb->name) != 0) {
		st.ofport = -1;
		st.error = "vireo-dp could not add the port (see its log)";
	} else if (p->error != NULL) {
		st.ofport = -1;
		st.error = p->error;
		/* The bridge's refusals still show on its local port when the device failed. */
		if (bridge_err != NULL && asprintf(&both, "%s; %s", bridge_err, p->error) > 0)
			st.error = both;
	} else {
		st.error = bridge_err;
		st.ofport = p->ofport == UINT32_MAX ? -1 : (int64_t)p->ofport;
		st.link_state = port_link_up(&p->port) ? "up" : "down";
		st.admin_state = "up";
		st.mtu = p->port.mtu;
		port_status(&p->port, text, sizeof(text));
		if (status_parse(&status, text) < 0)
			dp_log("ovsdb: interface %s: status not all written: out of memory", vp->name);
		st.status = &status;
		if (stats) {
			st.n_stats = port_stats(p, sv);
			st.stats = sv;
		}
	}
	/* A bond's interfaces share its OpenFlow port (DPDK bonds them into one ethdev). */
	for (size_t i = 0; i < (vp->n_ifaces ? vp->n_ifaces : 1); i++) {
		const char *name = vp->n_ifaces ? vp->ifaces[i].name : vp->name;

		if (vovsdb_set_iface(o->db, name, &st) < 0)
			dp_log("ovsdb: interface %s: cannot queue its state: out of memory", name);
	}
	vconf_map_free(&status);
	free(bridge_err);
	free(both);
}

static void
report_all(struct dp_ovsdb *o, bool stats)
{
	for (size_t b = 0; b < o->cur.n_bridges; b++) {
		const struct vconf_bridge *vb = &o->cur.bridges[b];

		for (size_t k = 0; k < vb->n_ports; k++)
			report_port(o, vb, &vb->ports[k], stats);
		/* ovs-vswitchd's Bridge status: the userspace datapath's version is "<built-in>". */
		if (o->dp != NULL && dp_find_bridge(o->dp, vb->name) != NULL &&
				vovsdb_set_bridge(o->db, vb->name, dp_bridge_datapath_id(vb, vb->name),
					"<built-in>") < 0)
			dp_log("ovsdb: bridge %s: cannot queue its datapath_id: out of memory",
				vb->name);
	}
	for (unsigned b = 0; stats && o->dp != NULL && b < o->dp->n_bridges; b++) {
		const struct dp_bridge *br = o->dp->bridges[b];

		/* Mirror statistics, as ovs-vswitchd's: what each mirror sent. */
		for (unsigned i = 0; i < br->n_mirrors; i++) {
			const struct dp_mirror *m = br->mirrors[i];
			uint64_t pk, by;

			if (m->cfg.uuid == NULL)
				continue;
			dp_mirror_totals(m, &pk, &by);
			struct vovsdb_stat st[] = {
				{ "tx_bytes", (int64_t)by }, { "tx_packets", (int64_t)pk },
			};
			if (vovsdb_set_mirror_stats(o->db, m->cfg.uuid, st, 2) < 0)
				dp_log("ovsdb: mirror %s: cannot queue its statistics: out of memory",
					m->cfg.name);
		}
	}
}

/*
 * Without DPDK: every port failed with 'error' (the bridge's local port excepted), cur_cfg
 * written.
 */
static void
report_waiting(struct dp_ovsdb *o, const struct vconf *cfg, int64_t next_cfg, const char *error)
{
	for (size_t b = 0; b < cfg->n_bridges; b++) {
		const struct vconf_bridge *vb = &cfg->bridges[b];

		for (size_t k = 0; k < vb->n_ports; k++) {
			struct vovsdb_iface_state st = { 0 };

			if (is_local_port(vb, &vb->ports[k])) {
				st.ofport = LOCAL_OFPORT;
				st.link_state = "down";
				st.admin_state = "down";
			} else {
				st.ofport = -1;
				st.error = error;
			}
			for (size_t i = 0; i < vb->ports[k].n_ifaces; i++)
				vovsdb_set_iface(o->db, vb->ports[k].ifaces[i].name, &st);
			if (vb->ports[k].n_ifaces == 0)
				vovsdb_set_iface(o->db, vb->ports[k].name, &st);
		}
	}
	vovsdb_set_cur_cfg(o->db, next_cfg);
}

static void
apply(struct dp_ovsdb *o, const struct vconf *cfg, int64_t next_cfg)
{
	struct vconf f;
	char *err = NULL;
	uint64_t t0, t1;

	if (filter_config(o, cfg, &f) < 0) {
		dp_log("ovsdb: configuration %" PRId64 " not applied: out of memory", next_cfg);
		return;
	}
	if (!dpdk_init_wanted(cfg))
		say_bad_once(o, "dpdk-init", "false", "other_config:dpdk-init is no longer true: "
			"DPDK stays initialised until vireo-dp restarts");
	if (o->dp->cfg.source != NULL && config_equal(&f, &o->dp->cfg) &&
			!any_port_failed(o->dp, &f)) {
		vconf_free(&f);
		vovsdb_set_cur_cfg(o->db, next_cfg);
		return;
	}
	t0 = now_ms();
	if (dp_reconfigure(o->dp, &f, &err) < 0) {
		dp_log("ovsdb: configuration %" PRId64 " not fully applied: %s", next_cfg,
			err ? err : "failed");
		free(err);
	}
	t1 = now_ms();
	vconf_free(&f);
	vconf_free(&o->cur);
	if (vconf_copy(&o->cur, cfg) < 0)
		dp_log("ovsdb: out of memory keeping configuration %" PRId64, next_cfg);
	report_all(o, true);
	vovsdb_set_cur_cfg(o->db, next_cfg);
	if (now_ms() - t0 >= SLOW_APPLY_MS)
		dp_log("ovsdb: configuration %" PRId64 " took %" PRIu64 " ms to apply "
			"(reconfigure %" PRIu64 " ms, write-back %" PRIu64 " ms)", next_cfg,
			now_ms() - t0, t1 - t0, now_ms() - t1);
}

static void
on_config(void *aux, const struct vconf *cfg, int64_t next_cfg)
{
	struct dp_ovsdb *o = aux;

	if (o->dp != NULL) {
		apply(o, cfg, next_cfg);
		return;
	}
	vconf_free(&o->pending);
	if (vconf_copy(&o->pending, cfg) < 0) {
		dp_log("ovsdb: out of memory keeping configuration %" PRId64, next_cfg);
		return;
	}
	o->pending_cfg = next_cfg;
	o->have_pending = true;
	if (o->no_dpdk != NULL) {
		report_waiting(o, cfg, next_cfg, o->no_dpdk);
	} else if (!dpdk_init_wanted(cfg)) {
		if (!o->said_waiting)
			dp_log("ovsdb: waiting for other_config:dpdk-init=true before initialising "
				"DPDK (as ovs-vswitchd does); until then every port fails");
		o->said_waiting = true;
		report_waiting(o, cfg, next_cfg, "DPDK is not initialised: vireo-dp waits for "
			"other_config:dpdk-init=true");
	}
}

static void
on_fatal(void *aux, const char *msg)
{
	struct dp_ovsdb *o = aux;

	fprintf(stderr, "vireo-dp: %s\n", msg);
	o->failed = true;
	dp_exit_requested = true;
}

static void
on_log(void *aux, int level, const char *msg)
{
	(void)aux;
	if (level <= LOG_INFO)
		dp_log("ovsdb: %s", msg);
}

struct dp_ovsdb *
dp_ovsdb_create(const char *remote, char **err)
{
	static const struct vovsdb_ops ops = { on_config, on_fatal, on_log };
	static const char *const dp_types[] = { "netdev", NULL };
	struct dp_ovsdb *o = calloc(1, sizeof(*o));

	if (o == NULL) {
		*err = strdup("out of memory");
		return NULL;
	}
	o->db = vovsdb_create(remote, &ops, o, err);
	if (o->db == NULL) {
		free(o);
		return NULL;
	}
	vovsdb_set_system(o->db, false, NULL, dp_types, vconf_port_types());
	return o;
}

void
dp_ovsdb_destroy(struct dp_ovsdb *o)
{
	if (o == NULL)
		return;
	vovsdb_destroy(o->db);
	vconf_free(&o->pending);
	vconf_free(&o->cur);
	free(o->no_dpdk);
	for (size_t i = 0; i < sizeof(o->said_bad) / sizeof(o->said_bad[0]); i++)
		free(o->said_bad[i]);
	free(o);
}

void
dp_ovsdb_report_controller(void *aux, const char *uuid, bool connected, const char *role,
	const char *state, const char *last_error)
{
	struct dp_ovsdb *o = aux;
	struct vconf_map status = { 0 };

	if (vconf_map_set(&status, "state", state, 0) == 0 &&
	    (last_error == NULL || vconf_map_set(&status, "last_error", last_error, 0) == 0))
		vovsdb_set_controller(o->db, uuid, connected, role, &status);
	vconf_map_free(&status);
}

int
dp_ovsdb_fd(const struct dp_ovsdb *o)
{
	return vovsdb_fd(o->db);
}

int
dp_ovsdb_timeout_ms(const struct dp_ovsdb *o)
{
	int t = vovsdb_timeout_ms(o->db);

	return t < 0 || t > 1000 ? 1000 : t;
}

void
dp_ovsdb_run(struct dp_ovsdb *o)
{
	if (!o->failed)
		vovsdb_run(o->db);
}

bool
dp_ovsdb_failed(const struct dp_ovsdb *o)
{
	return o->failed;
}

bool
dp_ovsdb_configured(const struct dp_ovsdb *o)
{
	return o->have_pending;
}

bool
dp_ovsdb_wants_dpdk(const struct dp_ovsdb *o)
{
	return !o->failed && o->dp == NULL && o->no_dpdk == NULL && o->have_pending &&
		dpdk_init_wanted(&o->pending);
}

bool
dp_ovsdb_dpdk_failed(struct dp_ovsdb *o, const char *why)
{
	if (!dpdk_init_is(&o->pending, "try"))
		return false;
	if (asprintf(&o->no_dpdk, "DPDK could not be initialised (%s): with "
			"other_config:dpdk-init=try vireo-dp runs without it until it restarts",
			why ? why : "see the log") < 0) {
		o->no_dpdk = NULL;
		return false;
	}
	dp_log("ovsdb: %s", o->no_dpdk);
	report_waiting(o, &o->pending, o->pending_cfg, o->no_dpdk);
	return true;
}

const struct vconf *
dp_ovsdb_startup_config(struct dp_ovsdb *o)
{
	vconf_free(&o->cur);
	if (filter_config(o, &o->pending, &o->cur) < 0)
		return NULL;
	return &o->cur;
}

void
dp_ovsdb_attach(struct dp_ovsdb *o, struct dp *dp)
{
	static const char *const dp_types[] = { "netdev", NULL };
	struct vconf first = o->pending;

	o->dp = dp;
	memset(&o->pending, 0, sizeof(o->pending));
	o->have_pending = false;
	vconf_free(&o->cur);
	apply(o, &first, o->pending_cfg);
	vconf_free(&first);
	vovsdb_set_system(o->db, true, rte_version(), dp_types, vconf_port_types());
	o->next_stats_ms = now_ms() + STATS_MIN_MS;
	dp_log("ovsdb: DPDK initialised, configuration %" PRId64 " applied", o->pending_cfg);
}

void
dp_ovsdb_periodic(struct dp_ovsdb *o)
{
	const char *iv;
	uint64_t now = now_ms(), interval = STATS_MIN_MS;
	bool stats;

	if (o->dp == NULL || o->failed)
		return;
	iv = vconf_map_get(&o->cur.other_config, "stats-update-interval");
	if (iv != NULL && strtoull(iv, NULL, 10) > interval)
		interval = strtoull(iv, NULL, 10);
	stats = now >= o->next_stats_ms;
	if (stats)
		o->next_stats_ms = now + interval;
	report_all(o, stats);
}
