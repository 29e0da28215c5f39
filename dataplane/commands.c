/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vireo-dp's control commands (unixctl, OVS names where OVS has one).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <rte_version.h>

#include "control.h"
#include "dp.h"
#include "coverage.h"
#include "flowtab.h"

bool dp_exit_requested;

static struct dp_bridge *
bridge_arg(struct control_conn *conn, struct dp *dp, const char *name)
{
	struct dp_bridge *br = dp_find_bridge(dp, name);

	if (br == NULL)
		control_reply_errorf(conn, "%s is not a bridge", name);
	return br;
}

static void
cmd_version(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	(void)argc;
	(void)argv;
	(void)aux;
	control_replyf(conn, "vireo-dp %s (%s)\n", VIREO_VERSION, rte_version());
}

static void
port_show(struct control_buf *b, struct dp_port *p, bool with_status)
{
	char status[512] = "";

	if (p->error != NULL) {
		control_buf_printf(b, "    port %s: ofport -1, type %s\n      error: %s\n",
			p->port.name, p->cfg.type ? p->cfg.type : "?", p->error);
		return;
	}
	control_buf_printf(b, "    port %s: ofport %u, type %s, link %s, mtu %d, numa %d, "
		"rxq %u, txq %u%s\n", p->port.name, p->ofport, port_type(&p->port),
		port_link_up(&p->port) ? "up" : "down", p->port.mtu, p->port.socket,
		port_rxq_enabled_count(&p->port), p->port.n_txq,
		p->port.tx_locked ? " (locked)" : "");
	if (!with_status)
		return;
	port_status(&p->port, status, sizeof(status));
	for (char *save = NULL, *t = strtok_r(status, "\n", &save); t; t = strtok_r(NULL, "\n", &save))
		control_buf_printf(b, "      %s\n", t);
}

static void
cmd_show(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct dp *dp = aux;
	struct control_buf b = { 0 };

	(void)argc;
	(void)argv;
	if (control_conn_format(conn) == CONTROL_FMT_JSON) {
		json_t *bridges = json_object();

		for (unsigned i = 0; i < dp->n_bridges; i++) {
			struct dp_bridge *br = dp->bridges[i];
			json_t *ports = json_object();

			for (unsigned k = 0; k < br->n_ports; k++) {
				struct dp_port *p = br->ports[k];

				json_object_set_new(ports, p->port.name,
					json_pack("{s:s?, s:I, s:s?, s:b}",
					"type", p->cfg.type,
					"ofport", p->error ? (json_int_t)-1 : (json_int_t)p->ofport,
					"error", p->error,
					"link_up", p->error == NULL && port_link_up(&p->port)));
			}
			json_object_set_new(bridges, br->name, json_pack("{s:o, s:I}", "ports", ports,
				"n_flows", (json_int_t)flowtab_n_rules(br->ft)));
		}
		control_reply_json(conn, json_pack("{s:s, s:i, s:o}", "version", VIREO_VERSION,
			"n_pmds", (int)dp->n_pmds, "bridges", bridges));
		return;
	}
	control_buf_printf(&b, "vireo-dp %s (%s)\n", VIREO_VERSION, rte_version());
	control_buf_printf(&b, "  pmd threads: %u (cores", dp->n_pmds);
	for (unsigned i = 0; i < dp->n_pmds; i++)
		control_buf_printf(&b, " %u", dp->pmds[i]->core);
	control_buf_printf(&b, ")\n");
	for (unsigned i = 0; i < dp->n_bridges; i++) {
		struct dp_bridge *br = dp->bridges[i];
		size_t nr = flowtab_n_rules(br->ft);

		if (nr)
			control_buf_printf(&b, "  bridge %s: %zu flows\n", br->name, nr);
		else if (br->fail_secure)
			control_buf_printf(&b, "  bridge %s: no flows (fail_mode secure: drops "
				"everything)\n", br->name);
		else
			control_buf_printf(&b, "  bridge %s: no flows (MAC learning)\n", br->name);
		for (unsigned k = 0; k < br->n_ports; k++)
			port_show(&b, br->ports[k], argc > 1 && strcmp(argv[1], "-v") == 0);
	}
	char *s = control_buf_steal(&b);

	control_reply(conn, s);
	free(s);
}

static void
cmd_dump_ports(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct dp *dp = aux;
	struct control_buf b = { 0 };
	struct dp_bridge *only = NULL;

	if (argc > 1 && (only = bridge_arg(conn, dp, argv[1])) == NULL)
		return;
	for (unsigned i = 0; i < dp->n_bridges; i++) {
		struct dp_bridge *br = dp->bridges[i];

		if (only != NULL && br != only)
			continue;
		control_buf_printf(&b, "bridge %s: %u ports\n", br->name, br->n_ports);
		for (unsigned k = 0; k < br->n_ports; k++) {
			struct dp_port *p = br->ports[k];
			struct port_pmd_stats sw;
			struct port_dev_stats dev = { 0 };

			if (argc > 2 && strcmp(argv[2], p->port.name) != 0)
				continue;
			port_sw_stats(&p->port, &sw);
			if (p->error == NULL)
				port_dev_stats(&p->port, &dev);
			control_buf_printf(&b, "  port %s (ofport %d): rx pkts=%" PRIu64 ", bytes=%"
				PRIu64 ", drop=%" PRIu64 ", errs=%" PRIu64 "\n", p->port.name,
				p->error ? -1 : (int)p->ofport, sw.rx_packets, sw.rx_bytes,
				dev.rx_dropped + sw.rx_policed, dev.rx_errors);
			control_buf_printf(&b, "           tx pkts=%" PRIu64 ", bytes=%" PRIu64
				", drop=%" PRIu64 ", errs=%" PRIu64 "\n", sw.tx_packets, sw.tx_bytes,
				sw.tx_dropped, dev.tx_errors);
			if (sw.rx_policed + sw.tx_policed > 0)
				control_buf_printf(&b, "           policed: rx drop=%" PRIu64
					", tx drop=%" PRIu64 "\n", sw.rx_policed, sw.tx_policed);
		}
	}
	char *s = control_buf_steal(&b);

	control_reply(conn, s);
	free(s);
}

/*
 * Open vSwitch's one userspace datapath: its dpif-netdev commands know it as "ovs-netdev",
 * dpctl's as "netdev@ovs-netdev".  vireo-dp has that one datapath only.
 */
static bool
is_ovs_dp_name(const char *s)
{
	return strcmp(s, "ovs-netdev") == 0 || strcmp(s, "netdev@ovs-netdev") == 0;
}

/* A core id: decimal digits only (no sign, no blank, not empty). */
static int
pmd_core_parse(const char *s, long *core)
{
	size_t n = strspn(s, "0123456789");

	if (n == 0 || n > 9 || s[n] != '\0')
		return -EINVAL;
	*core = strtol(s, NULL, 10);
	return 0;
}

int
dp_pmd_filter(struct control_conn *conn, struct dp *dp, int argc, const char *argv[],
		struct pmd **out)
{
	long core = -1;
	int n = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-pmd") == 0) {
			if (i + 1 == argc) {
				control_reply_error(conn, "-pmd needs a core id");
				return -1;
			}
			if (pmd_core_parse(argv[++i], &core) < 0) {
				control_reply_errorf(conn, "invalid pmd core '%s'", argv[i]);
				return -1;
			}
		} else if (!is_ovs_dp_name(argv[i])) {
			control_reply_error(conn, "please specify an existing datapath");
			return -1;
		}
	}
	for (unsigned i = 0; i < dp->n_pmds; i++)
		if (core < 0 || dp->pmds[i]->core == (unsigned)core)
			out[n++] = dp->pmds[i];
	if (core >= 0 && n == 0) {
		control_reply_errorf(conn, "no PMD thread on core %ld", core);
		return -1;
	}
	return n;
}

static void
cmd_pmd_stats_show(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct dp *dp = aux;
	struct pmd *sel[PORT_MAX_PMDS];
	int n = dp_pmd_filter(conn, dp, argc, argv, sel);

	if (n < 0)
		return;
	if (control_conn_format(conn) == CONTROL_FMT_JSON) {
		control_reply_json(conn, dp_pmd_stats_json(sel, (unsigned)n));
		return;
	}
	char *s = dp_pmd_stats_show(sel, (unsigned)n);

	control_reply(conn, s);
	free(s);
}

static void
cmd_pmd_stats_clear(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct dp *dp = aux;
	struct pmd *sel[PORT_MAX_PMDS];
	int n = dp_pmd_filter(conn, dp, argc, argv, sel);

	if (n < 0)
		return;
	dp_pmd_stats_clear(sel, (unsigned)n);
	control_reply(conn, "");
}

static void
cmd_pmd_rxq_show(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct dp *dp = aux;
	struct pmd *sel[PORT_MAX_PMDS];
	int n = dp_pmd_filter(conn, dp, argc, argv, sel);

	if (n < 0)
		return;
	char *s = dp_pmd_rxq_show(sel, (unsigned)n);

	control_reply(conn, s);
	free(s);
}

static void
cmd_pmd_rxq_rebalance(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct dp *dp = aux;

	(void)argc;
	(void)argv;
	/* By the loads of the last full measurement interval (dp_run_periodic), as Open vSwitch
	 * places by its stored intervals: measuring now would weigh each queue by the few
	 * seconds since the last sample, and leave that short interval as its load. */
	dp_rxq_reassign(dp);
	control_reply(conn, "pmd rxq rebalance requested.\n");
}

/* add-port BRIDGE PORT [type=T] [options:K=V]... [ofport_request=N] [mtu_request=N] */
static void
cmd_add_port(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct dp *dp = aux;
	struct vconf_port p = { 0 };
	char *err = NULL;
	int line = 0;

	p.name = strdup(argv[2]);
	for (int i = 3; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');

		if (eq == NULL) {
			control_reply_errorf(conn, "argument '%s': expected KEY=VALUE", argv[i]);
			goto out;
		}
		if (strncmp(argv[i], "type=", 5) == 0) {
			free(p.type);
			p.type = strdup(eq + 1);
		} else if (strncmp(argv[i], "options:", 8) == 0) {
			char *key = strndup(argv[i] + 8, (size_t)(eq - argv[i] - 8));

			vconf_map_set(&p.options, key, eq + 1, 0);
			free(key);
		} else if (strncmp(argv[i], "ofport_request=", 15) == 0) {
			p.ofport_request = strtoll(eq + 1, NULL, 0);
		} else if (strncmp(argv[i], "mtu_request=", 12) == 0) {
			p.mtu_request = strtoll(eq + 1, NULL, 0);
		} else {
			control_reply_errorf(conn, "argument '%s': unknown column (expected type=, "
				"options:KEY=, ofport_request=, mtu_request=)", argv[i]);
			goto out;
		}
	}
	if (vconf_check_port(&p, &line, &err) < 0) {
		control_reply_error(conn, err);
		goto out;
	}
	if (dp_add_port(dp, argv[1], &p, &err) < 0)
		control_reply_errorf(conn, "Error detected while setting up '%s': %s", p.name,
			err ? err : "failed");
	else
		control_reply(conn, "");
out:
	free(err);
	vconf_port_free(&p);
}

static void
cmd_del_port(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct dp *dp = aux;
	const char *name = argv[argc - 1];
	char *err = NULL;

	if (argc == 3) {
		struct dp_port *p = dp_find_port(dp, name);

		if (bridge_arg(conn, dp, argv[1]) == NULL)
			return;
		if (p != NULL && strcmp(p->bridge->name, argv[1]) != 0) {
			control_reply_errorf(conn, "bridge %s does not have a port %s", argv[1], name);
			return;
		}
	}
	if (dp_del_port(dp, name, &err) < 0)
		control_reply_error(conn, err);
	else
		control_reply(conn, "");
	free(err);
}

/* Read a flow file: one rule a line; blank lines and '#' comments skipped. */
static int
read_flow_file(const char *path, char ***texts, int **lines, size_t *n, char **err)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;
	int lineno = 0;

	*texts = NULL;
	*lines = NULL;
	*n = 0;
	if (f == NULL) {
		if (asprintf(err, "%s: cannot open: %s", path, strerror(errno)) < 0)
			*err = NULL;
		return -errno;
	}
	while (getline(&buf, &cap, f) >= 0) {
		char *s = buf, *e;

		lineno++;
		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strlen(s);
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' '))
			*--e = '\0';
		if (*s == '\0' || *s == '#')
			continue;
		char **nt = realloc(*texts, (*n + 1) * sizeof(char *));
		int *nl = realloc(*lines, (*n + 1) * sizeof(int));

		if (nt != NULL)
			*texts = nt;
		if (nl != NULL)
			*lines = nl;
		if (nt == NULL || nl == NULL)
			break;
		(*texts)[*n] = strdup(s);
		(*lines)[*n] = lineno;
		(*n)++;
	}
	free(buf);
	fclose(f);
	return 0;
}

static void
free_texts(char **texts, int *lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(texts[i]);
	free(texts);
	free(lines);
}

static void
reply_rc(struct control_conn *conn, int rc, char *err)
{
	if (rc < 0)
		control_reply_error(conn, err ? err : "failed");
	else
		control_reply(conn, "");
	free(err);
}

static void
cmd_add_flow(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct dp *dp = aux;
	struct dp_bridge *br = bridge_arg(conn, dp, argv[1]);
	const char *text = argv[2];
	int line = 0;
	char *err = NULL;
	int rc;

	(void)argc;
	if (br == NULL)
		return;
	rc = flowtab_add_flows(br->ft, &text, &line, 1, NULL, &err);
	if (rc == 0)
		dp_bridge_publish(dp, br);
	reply_rc(conn, rc, err);
}

static void
flows_from_file(struct control_conn *conn, int argc, const char *argv[], void *aux,
		bool replace)
{
	struct dp *dp = aux;
	struct dp_bridge *br = bridge_arg(conn, dp, argv[1]);
	char **texts;
	int *lines;
	size_t n;
	char *err = NULL;
	int rc;

	(void)argc;
	if (br == NULL)
		return;
	rc = read_flow_file(argv[2], &texts, &lines, &n, &err);
	if (rc == 0) {
		if (replace)
			rc = flowtab_replace_flows(br->ft, (const char *const *)texts, lines, n,
				argv[2], &err);
		else
			rc = flowtab_add_flows(br->ft, (const char *const *)texts, lines, n, argv[2],
				&err);
	}
	free_texts(texts, lines, n);
	if (rc == 0)
		dp_bridge_publish(dp, br);
	reply_rc(conn, rc, err);
}

static void
cmd_add_flows(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	flows_from_file(conn, argc, argv, aux, false);
}

static void
cmd_replace_flows(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	flows_from_file(conn, argc, argv, aux, true);
}

/* Split "--strict" out of the arguments; returns the match/flow text or NULL. */
static const char *
strict_args(int argc, const char *argv[], bool *strict)
{
	const char *text = NULL;

	*strict = false;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--strict") == 0)
			*strict = true;
		else
			text = argv[i];
	}
	return text;
}

static void
cmd_del_flows(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct dp *dp = aux;
	struct dp_bridge *br = bridge_arg(conn, dp, argv[1]);
	bool strict;
	const char *match = strict_args(argc, argv, &strict);
	size_t n = 0;
	char *err = NULL;
	int rc;

	if (br == NULL)
		return;
	rc = flowtab_del_flows(br->ft, match, strict, &n, &err);
	if (rc == 0)
		dp_bridge_publish(dp, br);
	reply_rc(conn, rc, err);
}

static void
cmd_mod_flows(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct dp *dp = aux;
	struct dp_bridge *br = bridge_arg(conn, dp, argv[1]);
	bool strict;
	const char *text = strict_args(argc, argv, &strict);
	char *err = NULL;
	int rc;

	if (br == NULL)
		return;
	if (text == NULL) {
		control_reply_error(conn, "mod-flows needs a flow");
		return;
	}
	rc = flowtab_mod_flows(br->ft, text, strict, &err);
	/* New actions may change whether the rules only read packets (the snapshot's 'borrow'). */
	if (rc == 0)
		dp_bridge_publish(dp, br);
	reply_rc(conn, rc, err);
}

static void
cmd_dump_flows(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct dp *dp = aux;
	struct dp_bridge *br = bridge_arg(conn, dp, argv[1]);
	char *out = NULL, *err = NULL;

	if (br == NULL)
		return;
	if (flowtab_dump_flows(br->ft, argc > 2 ? argv[2] : NULL, &out, &err) < 0) {
		control_reply_error(conn, err ? err : "failed");
	} else {
		control_reply(conn, out ? out : "");
	}
	free(out);
	free(err);
}

struct fdb_walk {
	struct control_buf *b;
	struct dp_bridge *br;
};

static void
fdb_entry(void *aux, uint64_t mac, uint16_t vlan, uint16_t slot, uint32_t age)
{
	struct fdb_walk *w = aux;
	const struct bridge_snap *s = w->br->snap;
	const struct dp_port *p = s->by_slot[slot];

	char port[12];

	if (p == NULL)
		return;
	/* Open vSwitch names the bridge's own port LOCAL here. */
	if (p->ofport == DP_OFPORT_LOCAL)
		snprintf(port, sizeof(port), "LOCAL");
	else
		snprintf(port, sizeof(port), "%u", p->ofport);
	control_buf_printf(w->b, "%5s  %4u  %02x:%02x:%02x:%02x:%02x:%02x  %3u\n", port, vlan,
		(unsigned)(mac >> 40) & 0xff, (unsigned)(mac >> 32) & 0xff,
		(unsigned)(mac >> 24) & 0xff, (unsigned)(mac >> 16) & 0xff,
		(unsigned)(mac >> 8) & 0xff, (unsigned)mac & 0xff, age);
}

static void
cmd_fdb_show(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct dp *dp = aux;
	struct dp_bridge *br = bridge_arg(conn, dp, argv[1]);
	struct control_buf b = { 0 };
	struct fdb_walk w = { &b, br };

	(void)argc;
	if (br == NULL)
		return;
	control_buf_printf(&b, " port  VLAN  MAC                Age\n");
	mac_table_foreach(br->mac, mac_now(), fdb_entry, &w);
	char *s = control_buf_steal(&b);

	control_reply(conn, s);
	free(s);
}

static void
cmd_fdb_flush(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct dp *dp = aux;

	if (argc > 1 && bridge_arg(conn, dp, argv[1]) == NULL)
		return;
	for (unsigned i = 0; i < dp->n_bridges; i++)
		if (argc < 2 || strcmp(dp->bridges[i]->name, argv[1]) == 0)
			mac_table_flush(dp->bridges[i]->mac);
	coverage_inc(COV_FDB_FLUSH);
	control_reply(conn, "table successfully flushed\n");
}

/* bond/show [PORT], lacp/show [PORT]: every bond's state (or PORT's), as Open vSwitch's. */
static void
bond_show_all(struct control_conn *conn, int argc, const char *argv[], struct dp *dp,
	bool lacp)
{
	struct control_buf b = { 0 };
	char text[8192];
	bool found = false;

	for (unsigned i = 0; i < dp->n_bridges; i++) {
		struct dp_bridge *br = dp->bridges[i];

		for (unsigned k = 0; k < br->n_ports; k++) {
			struct port *p = &br->ports[k]->port;

			if (argc > 1 && strcmp(p->name, argv[1]) != 0)
				continue;
			if (port_bond_show(p, lacp, text, sizeof(text)) < 0 || text[0] == '\0')
				continue;
			control_buf_printf(&b, "%s%s", found ? "\n" : "", text);
			found = true;
		}
	}
	char *s = control_buf_steal(&b);

	if (argc > 1 && !found)
		control_reply_errorf(conn, "%s", lacp ? "no such lacp object" : "no such bond");
	else
		control_reply(conn, s ? s : "");
	free(s);
}

static void
cmd_bond_show(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	bond_show_all(conn, argc, argv, aux, false);
}

static void
cmd_lacp_show(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	bond_show_all(conn, argc, argv, aux, true);
}

/* ovs/route/show, tnl/arp/show, tnl/ports/show: the port layer's tunnel tables. */
static void
cmd_tnl_show(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	char *(*show)(void) = (char *(*)(void))aux;
	char *s = show();

	(void)argc;
	(void)argv;
	if (s == NULL) {
		control_reply_error(conn, "out of memory");
		return;
	}
	control_reply(conn, s);
	free(s);
}

/* tnl/arp/set BRIDGE IP MAC: a neighbour as if snooped (Open vSwitch's command). */
static void
cmd_tnl_arp_set(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	char *err = NULL;

	(void)argc;
	(void)aux;
	if (port_tnl_arp_set(argv[1], argv[2], argv[3], &err) < 0) {
		control_reply_error(conn, err != NULL ? err : "out of memory");
		free(err);
		return;
	}
	control_reply(conn, "OK\n");
}

/*
 * add-tlv-map BRIDGE MAP, del-tlv-map BRIDGE [MAP], dump-tlv-map BRIDGE: Geneve option
 * mappings (tun_metadataN), as ovs-ofctl's commands of those names.  They are the
 * datapath's, shared by every bridge, as the decapsulating tunnel port does not know the
 * bridge the packet goes to; a field a rule uses keeps its mapping (as Open vSwitch).
 */
static void
cmd_tlv_map(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	struct dp *dp = aux;
	struct port_tlv_map m[8];
	unsigned n = 0;
	char *err = NULL, *s;
	int rc;

	if (bridge_arg(conn, dp, argv[1]) == NULL)
		return;
	if (strcmp(argv[0], "dump-tlv-map") == 0) {
		s = port_tnl_tlv_show();
		if (s == NULL) {
			control_reply_error(conn, "out of memory");
			return;
		}
		control_reply(conn, s);
		free(s);
		return;
	}
	rc = argc > 2 ? port_tnl_tlv_parse(argv[2], m, 8, &n, &err) : 0;
	if (rc == 0)
		rc = dp_tlv_mod(dp, strcmp(argv[0], "add-tlv-map") == 0 ? PORT_TLV_ADD :
			argc > 2 ? PORT_TLV_DELETE : PORT_TLV_CLEAR, m, n, &err);
	reply_rc(conn, rc, err);
}

void
dp_commands_register(struct dp *dp)
{
	control_command_register("version", "", 0, 0, cmd_version, dp);
	control_command_register("show", "[-v]", 0, 1, cmd_show, dp);
	control_command_register("dump-ports", "[BRIDGE [PORT]]", 0, 2, cmd_dump_ports, dp);
	control_command_alias("port-stats", "dump-ports");
	control_command_register("dpif-netdev/pmd-stats-show", "[-pmd CORE] [DP]", 0, 3,
		cmd_pmd_stats_show, dp);
	control_command_alias("pmd-stats-show", "dpif-netdev/pmd-stats-show");
	control_command_register("dpif-netdev/pmd-stats-clear", "[-pmd CORE] [DP]", 0, 3,
		cmd_pmd_stats_clear, dp);
	control_command_alias("pmd-stats-clear", "dpif-netdev/pmd-stats-clear");
	control_command_register("dpif-netdev/pmd-rxq-show", "[-pmd CORE] [DP]", 0, 3,
		cmd_pmd_rxq_show, dp);
	control_command_alias("pmd-rxq-show", "dpif-netdev/pmd-rxq-show");
	control_command_register("dpif-netdev/pmd-rxq-rebalance", "", 0, 0,
		cmd_pmd_rxq_rebalance, dp);
	control_command_alias("pmd-rxq-rebalance", "dpif-netdev/pmd-rxq-rebalance");
	control_command_register("add-port",
		"BRIDGE PORT [type=TYPE] [options:KEY=VALUE]... [ofport_request=N] [mtu_request=N]",
		2, 32, cmd_add_port, dp);
	control_command_register("del-port", "[BRIDGE] PORT", 1, 2, cmd_del_port, dp);
	control_command_register("add-flow", "BRIDGE FLOW", 2, 2, cmd_add_flow, dp);
	control_command_register("add-flows", "BRIDGE FILE", 2, 2, cmd_add_flows, dp);
	control_command_register("replace-flows", "BRIDGE FILE", 2, 2, cmd_replace_flows, dp);
	control_command_register("mod-flows", "BRIDGE [--strict] FLOW", 2, 3, cmd_mod_flows, dp);
	control_command_register("del-flows", "BRIDGE [--strict] [MATCH]", 1, 3, cmd_del_flows, dp);
	control_command_register("dump-flows", "BRIDGE [MATCH]", 1, 2, cmd_dump_flows, dp);
	control_command_register("fdb/show", "BRIDGE", 1, 1, cmd_fdb_show, dp);
	control_command_register("ovs/route/show", "", 0, 0, cmd_tnl_show,
		(void *)port_tnl_route_show);
	control_command_register("tnl/arp/show", "", 0, 0, cmd_tnl_show,
		(void *)port_tnl_arp_show);
	control_command_register("tnl/ports/show", "", 0, 0, cmd_tnl_show,
		(void *)port_tnl_ports_show);
	control_command_register("tnl/arp/set", "BRIDGE IP MAC", 3, 3, cmd_tnl_arp_set, dp);
	control_command_register("add-tlv-map", "BRIDGE MAP", 2, 2, cmd_tlv_map, dp);
	control_command_register("del-tlv-map", "BRIDGE [MAP]", 1, 2, cmd_tlv_map, dp);
	control_command_register("dump-tlv-map", "BRIDGE", 1, 1, cmd_tlv_map, dp);
	control_command_register("fdb/flush", "[BRIDGE]", 0, 1, cmd_fdb_flush, dp);
	dp_appctl_register(dp);
	dp_gm_commands_register(dp);
	control_command_register("bond/show", "[PORT]", 0, 1, cmd_bond_show, dp);
	control_command_register("lacp/show", "[PORT]", 0, 1, cmd_lacp_show, dp);
}
