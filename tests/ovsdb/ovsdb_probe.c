/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ovsdb_probe: stands in for vireo-dp's dataplane on top of the OVSDB client.
 *
 * It prints every configuration it receives in a stable text form on stdout, and reports back
 * what a dataplane would: each port gets an ofport (a counter, stable per name; 65534 for a
 * bridge's own internal port), ports whose options hold dpdk-devargs=bad... fail with ofport
 * -1 and an error text, every port gets link/admin state, mtu, status and statistics (the
 * statistics advance every --stats-ms), and cur_cfg follows next_cfg.
 *
 * Usage: ovsdb_probe [--remote unix:PATH|tcp:IP:PORT] [--stats-ms N]
 * Exit: 0 on SIGTERM/SIGINT, 2 when the client reports a fatal error (message on stderr).
 */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "config.h"
#include "ovsdb.h"

#define PROBE_N_STATS 8

struct probe {
	struct vovsdb *db;
	struct vconf conf;	/**< last received configuration */
	int64_t next_cfg;
	char **names;		/**< ofport i+1 belongs to names[i] */
	size_t n_names;
	int64_t ticks;
	bool fatal;
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
cmp_kv(const void *a, const void *b)
{
	return strcmp(((const struct vconf_kv *)a)->key, ((const struct vconf_kv *)b)->key);
}

static void
print_map(const char *prefix, const struct vconf_map *m)
{
	struct vconf_kv *kv = NULL;
	size_t i;

	if (m->n) {
		kv = malloc(m->n * sizeof(*kv));
		if (!kv)
			abort();
		memcpy(kv, m->kv, m->n * sizeof(*kv));
		qsort(kv, m->n, sizeof(*kv), cmp_kv);
	}
	for (i = 0; i < m->n; i++)
		printf("%s%s=%s", prefix, kv[i].key, kv[i].value);
	free(kv);
}

static void
print_conf(const struct vconf *c, int64_t next_cfg)
{
	size_t i, j;

	printf("config next_cfg=%lld source=%s\n", (long long)next_cfg, c->source);
	if (c->other_config.n) {
		printf("  other_config");
		print_map(" ", &c->other_config);
		printf("\n");
	}
	for (i = 0; i < c->n_bridges; i++) {
		const struct vconf_bridge *b = &c->bridges[i];

		printf("  bridge %s datapath_type=%s has_flows=%d\n", b->name,
				b->datapath_type ? b->datapath_type : "", b->has_flows);
		for (j = 0; j < b->n_ports; j++) {
			const struct vconf_port *p = &b->ports[j];

			printf("    port %s type=%s ofport_request=%lld mtu_request=%lld", p->name,
					p->type, (long long)p->ofport_request,
					(long long)p->mtu_request);
			print_map(" options:", &p->options);
			printf("\n");
		}
	}
	printf("end\n");
	fflush(stdout);
}

static int64_t
ofport_of(struct probe *pr, const struct vconf_bridge *b, const struct vconf_port *p)
{
	size_t i;
	char **n;

	if (!strcmp(p->type, "internal") && !strcmp(p->name, b->name))
		return 65534;
	if (p->ofport_request)
		return p->ofport_request;
	for (i = 0; i < pr->n_names; i++)
		if (!strcmp(pr->names[i], p->name))
			return i + 1;
	n = realloc(pr->names, (pr->n_names + 1) * sizeof(*n));
	if (!n)
		abort();
	pr->names = n;
	n[pr->n_names] = strdup(p->name);
	return ++pr->n_names;
}

static void
fill_stats(const struct probe *pr, struct vovsdb_stat *st)
{
	static const char *const names[] = {
		"rx_packets", "rx_bytes", "tx_packets", "tx_bytes",
		"rx_dropped", "tx_dropped", "rx_errors", "tx_errors",
	};
	const int64_t v[] = {
		pr->ticks * 10, pr->ticks * 640, pr->ticks * 20, pr->ticks * 1280,
		0, pr->ticks, 0, 0,
	};
	size_t i;

	for (i = 0; i < PROBE_N_STATS; i++) {
		st[i].name = names[i];
		st[i].value = v[i];
	}
}

static bool
is_bad(const struct vconf_port *p)
{
	const char *devargs = vconf_map_get(&p->options, "dpdk-devargs");

	return devargs && !strncmp(devargs, "bad", 3);
}

/* The periodic refresh: statistics only, of the ports that work. */
static void
report_stats(struct probe *pr)
{
	struct vovsdb_stat stats[PROBE_N_STATS];
	size_t i, j;

	fill_stats(pr, stats);
	for (i = 0; i < pr->conf.n_bridges; i++)
		for (j = 0; j < pr->conf.bridges[i].n_ports; j++)
			if (!is_bad(&pr->conf.bridges[i].ports[j]))
				vovsdb_set_iface_stats(pr->db, pr->conf.bridges[i].ports[j].name,
						stats, PROBE_N_STATS);
}

static void
report(struct probe *pr)
{
	size_t i, j;

	for (i = 0; i < pr->conf.n_bridges; i++) {
		const struct vconf_bridge *b = &pr->conf.bridges[i];

		for (j = 0; j < b->n_ports; j++) {
			const struct vconf_port *p = &b->ports[j];
			const char *devargs = vconf_map_get(&p->options, "dpdk-devargs");
			struct vconf_map status = { 0 };
			struct vovsdb_stat stats[PROBE_N_STATS];
			struct vovsdb_iface_state st = { 0 };
			char err[300];

			fill_stats(pr, stats);
			if (is_bad(p)) {
				snprintf(err, sizeof(err), "could not open port '%s': "
						"dpdk-devargs '%s' names no device", p->name,
						devargs);
				st.ofport = -1;
				st.error = err;
			} else {
				char mtu[32];

				snprintf(mtu, sizeof(mtu), "%lld", (long long)(p->mtu_request ?
							p->mtu_request : 1500));
				st.ofport = ofport_of(pr, b, p);
				st.link_state = "up";
				st.admin_state = "up";
				st.mtu = p->mtu_request ? p->mtu_request : 1500;
				vconf_map_set(&status, "driver_name", "probe", 0);
				vconf_map_set(&status, "numa_id", "0", 0);
				vconf_map_set(&status, "n_rxq", "1", 0);
				vconf_map_set(&status, "configured_mtu", mtu, 0);
				st.status = &status;
				st.stats = stats;
				st.n_stats = PROBE_N_STATS;
			}
			if (vovsdb_set_iface(pr->db, p->name, &st))
				fprintf(stderr, "probe: set_iface %s failed\n", p->name);
			vconf_map_free(&status);
		}
	}
}

static void
on_config(void *aux, const struct vconf *cfg, int64_t next_cfg)
{
	struct probe *pr = aux;

	print_conf(cfg, next_cfg);
	vconf_free(&pr->conf);
	if (vconf_copy(&pr->conf, cfg))
		abort();
	pr->next_cfg = next_cfg;
	report(pr);
	vovsdb_set_cur_cfg(pr->db, next_cfg);
}

static void
on_fatal(void *aux, const char *msg)
{
	struct probe *pr = aux;

	fprintf(stderr, "fatal: %s\n", msg);
	pr->fatal = true;
}

static void
on_log(void *aux, int level, const char *msg)
{
	(void)aux;
	fprintf(stderr, "%s: %s\n", level <= LOG_ERR ? "ERR" : level <= LOG_WARNING ? "WARN" :
			level <= LOG_INFO ? "INFO" : "DBG", msg);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
main(int argc, char **argv)
{
	static const char *const dp_types[] = { "netdev", NULL };
	static const char *const if_types[] = {
		"dpdk", "dpdkvhostuser", "dpdkvhostuserclient", "internal", NULL
	};
	const struct vovsdb_ops ops = { on_config, on_fatal, on_log };
	struct probe pr = { 0 };
	const char *remote = NULL;
	int64_t stats_ms = 1000, next_tick;
	struct sigaction sa = { .sa_handler = on_signal };
	char *err = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--remote") && i + 1 < argc) {
			remote = argv[++i];
		} else if (!strcmp(argv[i], "--stats-ms") && i + 1 < argc) {
			stats_ms = atoll(argv[++i]);
		} else {
			fprintf(stderr, "usage: %s [--remote unix:PATH|tcp:IP:PORT] "
					"[--stats-ms N]\n", argv[0]);
			return 1;
		}
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	pr.db = vovsdb_create(remote, &ops, &pr, &err);
	if (!pr.db) {
		fprintf(stderr, "probe: %s\n", err);
		free(err);
		return 1;
	}
	vovsdb_set_system(pr.db, true, "DPDK 22.11.0", dp_types, if_types);
	next_tick = now_ms() + stats_ms;
	while (!stop && !pr.fatal) {
		struct pollfd pfd = { vovsdb_fd(pr.db), POLLIN, 0 };
		int t = vovsdb_timeout_ms(pr.db);
		int64_t left = next_tick - now_ms();

		if (left < 0)
			left = 0;
		if (t < 0 || t > left)
			t = left;
		if (poll(&pfd, 1, t) < 0 && errno != EINTR)
			break;
		if (now_ms() >= next_tick) {
			pr.ticks++;
			report_stats(&pr);
			next_tick = now_ms() + stats_ms;
		}
		vovsdb_run(pr.db);
	}
	vovsdb_destroy(pr.db);
	vconf_free(&pr.conf);
	for (i = 0; i < (int)pr.n_names; i++)
		free(pr.names[i]);
	free(pr.names);
	return pr.fatal ? 2 : 0;
}
