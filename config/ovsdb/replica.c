/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The replica: the column kinds learnt from the schema and the rows of the four monitored
 * tables, kept up to date from "update" (RFC 7047) and "update2" (monitor_cond) messages.
 * Columns absent from a row hold their default value (update2 leaves defaults out of
 * "initial" and "insert").
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ovsdb-private.h"

const char *const vovsdb_table_names[VOVSDB_N_TABLES] = {
	[VOVSDB_T_OVS] = "Open_vSwitch",
	[VOVSDB_T_BRIDGE] = "Bridge",
	[VOVSDB_T_PORT] = "Port",
	[VOVSDB_T_IFACE] = "Interface",
	[VOVSDB_T_CTRL] = "Controller",
	[VOVSDB_T_QOS] = "QoS",
	[VOVSDB_T_MIRROR] = "Mirror",
};

/*
 * The monitored columns; the first ones of each table (up to the NULL) are required.  The
 * rest are read when the schema has them: every setting an Open vSwitch user may give a
 * bridge, port or interface, so that build.c can hand each one that is set to the checks
 * (config/check.c), which implement, accept or refuse it; none is ignored unseen.
 */
#define VOVSDB_MAX_COLS 32
static const char *const monitored[VOVSDB_N_TABLES][VOVSDB_MAX_COLS] = {
	[VOVSDB_T_OVS] = { "bridges", "next_cfg", NULL, "other_config" },
	[VOVSDB_T_BRIDGE] = { "name", "ports", NULL, "datapath_type", "fail_mode", "controller",
		"mirrors", "stp_enable", "rstp_enable", "mcast_snooping_enable", "netflow",
		"sflow", "ipfix", "flood_vlans", "auto_attach", "protocols", "other_config",
		"flow_tables" },
	[VOVSDB_T_PORT] = { "name", "interfaces", NULL, "tag", "trunks", "vlan_mode", "cvlans",
		"bond_mode", "lacp", "bond_updelay", "bond_downdelay", "bond_fake_iface", "qos",
		"mac", "fake_bridge", "protected", "other_config" },
	[VOVSDB_T_IFACE] = { "name", NULL, "type", "options", "ofport_request", "ofport",
		"mtu_request",
		"ingress_policing_rate", "ingress_policing_burst",
		"ingress_policing_kpkts_rate", "ingress_policing_kpkts_burst", "bfd",
		"cfm_mpid", "lldp", "mac", "other_config" },
	[VOVSDB_T_CTRL] = { "target", NULL, "inactivity_probe", "max_backoff", "connection_mode",
		"controller_rate_limit", "controller_burst_limit", "enable_async_messages",
		"local_ip", "local_netmask", "local_gateway", "controller_queue_size",
		"other_config" },
	[VOVSDB_T_QOS] = { NULL, "type", "other_config", "queues" },
	[VOVSDB_T_MIRROR] = { NULL, "name", "select_all", "select_src_port", "select_dst_port",
		"select_vlan", "output_port", "output_vlan", "snaplen", "filter", "other_config" },
};

static char *
fmt_err(const char *fmt, const char *a, const char *b)
{
	char *s;

	if (asprintf(&s, fmt, a, b) < 0)
		return NULL;
	return s;
}

int
vovsdb_replica_schema(struct vovsdb_replica *r, const json_t *schema, char **err)
{
	const json_t *tables = json_object_get(schema, "tables");
	int t;

	if (!json_is_object(tables)) {
		*err = fmt_err("schema has no 'tables' object%s%s", "", "");
		return -EPROTO;
	}
	for (t = 0; t < VOVSDB_N_TABLES; t++) {
		const char *name = vovsdb_table_names[t], *col;
		const json_t *cols = json_object_get(json_object_get(tables, name), "columns");
		json_t *kinds, *def;
		int i;

		if (!json_is_object(cols) && (t == VOVSDB_T_CTRL || t == VOVSDB_T_QOS ||
				t == VOVSDB_T_MIRROR)) {
			/* Optional: without them, no controllers, QoS or mirror rows to
			 * follow. */
			json_decref(r->kinds[t]);
			r->kinds[t] = NULL;
			continue;
		}
		if (!json_is_object(cols)) {
			*err = fmt_err("schema lacks table '%s'%s", name, "");
			return -EPROTO;
		}
		kinds = json_object();
		if (!kinds)
			return -ENOMEM;
		json_object_foreach((json_t *)cols, col, def) {
			int kind = vovsdb_kind_of_type(json_object_get(def, "type"));

			if (kind >= 0)
				json_object_set_new(kinds, col, json_integer(kind));
		}
		json_decref(r->kinds[t]);
		r->kinds[t] = kinds;
		for (i = 0; monitored[t][i]; i++) {
			if (!json_object_get(kinds, monitored[t][i])) {
				*err = fmt_err("schema lacks column '%s' of table '%s'",
						monitored[t][i], name);
				return -EPROTO;
			}
		}
	}
	return 0;
}

json_t *
vovsdb_replica_monitor_requests(const struct vovsdb_replica *r)
{
	json_t *req = json_object();
	int t, i;

	for (t = 0; req && t < VOVSDB_N_TABLES; t++) {
		json_t *cols;

		if (r->kinds[t] == NULL)
			continue;       /* an optional table the schema lacks */
		cols = json_array();
		for (i = 0; i < VOVSDB_MAX_COLS; i++) {
			const char *c = monitored[t][i];

			if (c && json_object_get(r->kinds[t], c))
				json_array_append_new(cols, json_string(c));
		}
		json_object_set_new(req, vovsdb_table_names[t],
				json_pack("[{so}]", "columns", cols));
	}
	return req;
}

int
vovsdb_replica_kind(const struct vovsdb_replica *r, enum vovsdb_table t, const char *col)
{
	const json_t *k = json_object_get(r->kinds[t], col);

	return k ? (int)json_integer_value(k) : -1;
}

void
vovsdb_replica_clear(struct vovsdb_replica *r)
{
	int t;

	for (t = 0; t < VOVSDB_N_TABLES; t++) {
		json_decref(r->rows[t]);
		r->rows[t] = json_object();
	}
}

void
vovsdb_replica_free(struct vovsdb_replica *r)
{
	int t;

	for (t = 0; t < VOVSDB_N_TABLES; t++) {
		json_decref(r->rows[t]);
		json_decref(r->kinds[t]);
		r->rows[t] = NULL;
		r->kinds[t] = NULL;
	}
}

static int
table_index(const char *name)
{
	int t;

	for (t = 0; t < VOVSDB_N_TABLES; t++)
		if (!strcmp(name, vovsdb_table_names[t]))
			return t;
	return -1;
}

/* Merge the columns of 'src' into the row 'uuid' of table 't' (creating it). */
static int
row_set(struct vovsdb_replica *r, int t, const char *uuid, const json_t *src, bool fresh)
{
	json_t *row = fresh ? NULL : json_object_get(r->rows[t], uuid);
	const char *col;
	json_t *v;

	if (!json_is_object(src))
		return -EPROTO;
	if (!row) {
		row = json_object();
		if (!row || json_object_set_new(r->rows[t], uuid, row))
			return -ENOMEM;
	}
	json_object_foreach((json_t *)src, col, v)
		json_object_set(row, col, v);
	return 0;
}

static int
row_modify2(struct vovsdb_replica *r, int t, const char *uuid, const json_t *diff)
{
	json_t *row = json_object_get(r->rows[t], uuid), *nv;
	const char *col;
	json_t *d;

	if (!row || !json_is_object(diff))
		return -EPROTO;
	json_object_foreach((json_t *)diff, col, d) {
		int kind = vovsdb_replica_kind(r, t, col);

		if (kind < 0)
			return -EPROTO;
		nv = vovsdb_apply_diff(kind, json_object_get(row, col), d);
		if (!nv)
			return -EPROTO;
		json_object_set_new(row, col, nv);
	}
	return 0;
}

static int
apply_row(struct vovsdb_replica *r, int t, const char *uuid, const json_t *u, bool v2)
{
	const json_t *v;

	if (!json_is_object(u))
		return -EPROTO;
	if (!v2) {
		v = json_object_get(u, "new");
		if (!v) {
			json_object_del(r->rows[t], uuid);
			return 0;
		}
		return row_set(r, t, uuid, v, !json_object_get(u, "old"));
	}
	if ((v = json_object_get(u, "initial")) || (v = json_object_get(u, "insert")))
		return row_set(r, t, uuid, v, true);
	if ((v = json_object_get(u, "modify")))
		return row_modify2(r, t, uuid, v);
	if (json_object_get(u, "delete")) {
		json_object_del(r->rows[t], uuid);
		return 0;
	}
	return -EPROTO;
}

int
vovsdb_replica_apply(struct vovsdb_replica *r, const json_t *updates, bool v2,
		bool *changed, size_t *n_bad)
{
	const char *tname, *uuid;
	json_t *tu, *u;

	if (!json_is_object(updates))
		return -EPROTO;
	json_object_foreach((json_t *)updates, tname, tu) {
		int t = table_index(tname);

		if (t < 0 || !json_is_object(tu)) {
			(*n_bad)++;
			continue;
		}
		json_object_foreach(tu, uuid, u) {
			if (apply_row(r, t, uuid, u, v2))
				(*n_bad)++;
			else
				*changed = true;
		}
	}
	return 0;
}
