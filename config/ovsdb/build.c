/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * From the replica to a struct vconf: the Open_vSwitch row's other_config and next_cfg, its
 * netdev bridges sorted by name, their ports sorted by name.  Interfaces vireo-dp cannot run
 * (in a bridge of another datapath_type, or in a bond) are collected with the error text the
 * client writes for them.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ovsdb-private.h"

static const char *
str_col(const json_t *row, const char *col)
{
	const json_t *v = json_object_get(row, col);

	return json_is_string(v) ? json_string_value(v) : "";
}

/* An optional integer column: its value, or 0 when empty or malformed. */
static int64_t
opt_int_col(const json_t *row, const char *col)
{
	json_t *e = vovsdb_set_elems(json_object_get(row, col));
	int64_t v = 0;

	if (e && json_array_size(e) == 1 && json_is_integer(json_array_get(e, 0)))
		v = json_integer_value(json_array_get(e, 0));
	json_decref(e);
	return v;
}

/* The rows of table 't' referenced by the uuid set in 'row':'col', as a new array. */
static json_t *
deref(const struct vovsdb_replica *r, int t, const json_t *row, const char *col)
{
	const json_t *v = json_object_get(row, col);
	json_t *elems, *out = json_array(), *e;
	size_t i;

	if (!v || !out)
		return out;
	elems = vovsdb_set_elems(v);
	json_array_foreach(elems, i, e) {
		const char *u = vovsdb_uuid_of(e);
		json_t *target = u ? json_object_get(r->rows[t], u) : NULL;

		if (target)
			json_array_append(out, target);
	}
	json_decref(elems);
	return out;
}

static int
map_from(struct vconf_map *m, const json_t *v)
{
	const json_t *pairs = vovsdb_map_pairs(v), *p;
	size_t i;

	json_array_foreach(pairs, i, p) {
		const json_t *k = json_array_get(p, 0), *val = json_array_get(p, 1);

		if (!json_is_string(k) || !json_is_string(val))
			continue;
		if (vconf_map_set(m, json_string_value(k), json_string_value(val), 0))
			return -ENOMEM;
	}
	return 0;
}

static void
fail_iface(struct vovsdb_view *view, const json_t *iface, const char *fmt, const char *a,
		const char *b)
{
	char *s;

	if (asprintf(&s, fmt, a, b) < 0)
		return;
	json_object_set_new(view->foreign, str_col(iface, "name"), json_string(s));
	free(s);
}

static int
cmp_port(const void *a, const void *b)
{
	return strcmp(((const struct vconf_port *)a)->name, ((const struct vconf_port *)b)->name);
}

static int
cmp_bridge(const void *a, const void *b)
{
	return strcmp(((const struct vconf_bridge *)a)->name,
			((const struct vconf_bridge *)b)->name);
}

static int
add_port(struct vconf_bridge *br, const json_t *iface)
{
	struct vconf_port *ports, *p;
	const char *type = str_col(iface, "type");

	ports = realloc(br->ports, (br->n_ports + 1) * sizeof(*ports));
	if (!ports)
		return -ENOMEM;
	br->ports = ports;
	p = &ports[br->n_ports];
	memset(p, 0, sizeof(*p));
	p->name = strdup(str_col(iface, "name"));
	p->type = strdup(*type ? type : "system");
	br->n_ports++;
	if (!p->name || !p->type)
		return -ENOMEM;
	p->ofport_request = opt_int_col(iface, "ofport_request");
	p->mtu_request = opt_int_col(iface, "mtu_request");
	return map_from(&p->options, json_object_get(iface, "options"));
}

static int
add_bridge(const struct vovsdb_replica *r, struct vovsdb_view *view, const json_t *brow)
{
	const char *name = str_col(brow, "name"), *dpt = str_col(brow, "datapath_type");
	bool ours = !strcmp(dpt, "netdev");
	struct vconf_bridge *bridges, *br = NULL;
	json_t *ports, *prow;
	size_t i;
	int rc = 0;

	if (ours) {
		bridges = realloc(view->conf.bridges,
				(view->conf.n_bridges + 1) * sizeof(*bridges));
		if (!bridges)
			return -ENOMEM;
		view->conf.bridges = bridges;
		br = &bridges[view->conf.n_bridges++];
		memset(br, 0, sizeof(*br));
		br->name = strdup(name);
		br->datapath_type = strdup(dpt);
		if (!br->name || !br->datapath_type)
			return -ENOMEM;
	}
	ports = deref(r, VOVSDB_T_PORT, brow, "ports");
	json_array_foreach(ports, i, prow) {
		json_t *ifaces = deref(r, VOVSDB_T_IFACE, prow, "interfaces"), *irow;
		size_t j;

		json_array_foreach(ifaces, j, irow) {
			if (!ours)
				fail_iface(view, irow, "bridge '%s' has datapath_type '%s': vireo-dp "
						"runs only bridges with datapath_type=netdev",
						name, *dpt ? dpt : "system");
			else if (json_array_size(ifaces) != 1)
				fail_iface(view, irow, "port '%s' has several interfaces%s: bonds "
						"are not supported by vireo-dp",
						str_col(prow, "name"), "");
			else
				rc = add_port(br, irow);
		}
		json_decref(ifaces);
		if (rc)
			break;
	}
	json_decref(ports);
	if (br && br->n_ports)
		qsort(br->ports, br->n_ports, sizeof(*br->ports), cmp_port);
	return rc;
}

int
vovsdb_view_build(const struct vovsdb_replica *r, const char *source,
		struct vovsdb_view *view, json_t *log)
{
	const json_t *ovs = NULL, *row;
	json_t *bridges, *brow;
	const char *uuid;
	size_t i;
	int rc = 0;

	memset(view, 0, sizeof(*view));
	view->iface_uuid = json_object();
	view->foreign = json_object();
	view->conf.source = strdup(source);
	if (!view->iface_uuid || !view->foreign || !view->conf.source)
		return -ENOMEM;
	json_object_foreach(r->rows[VOVSDB_T_IFACE], uuid, row)
		json_object_set_new(view->iface_uuid, str_col(row, "name"), json_string(uuid));
	json_object_foreach(r->rows[VOVSDB_T_OVS], uuid, row) {
		if (ovs) {
			json_array_append_new(log, json_string("table Open_vSwitch has more than "
						"one row: using the first"));
			break;
		}
		ovs = row;
		view->ovs_uuid = strdup(uuid);
		if (!view->ovs_uuid)
			return -ENOMEM;
	}
	if (!ovs)
		return 0;
	if (json_is_integer(json_object_get(ovs, "next_cfg")))
		view->next_cfg = json_integer_value(json_object_get(ovs, "next_cfg"));
	if (map_from(&view->conf.other_config, json_object_get(ovs, "other_config")))
		return -ENOMEM;
	bridges = deref(r, VOVSDB_T_BRIDGE, ovs, "bridges");
	json_array_foreach(bridges, i, brow) {
		rc = add_bridge(r, view, brow);
		if (rc)
			break;
	}
	json_decref(bridges);
	if (view->conf.n_bridges)
		qsort(view->conf.bridges, view->conf.n_bridges, sizeof(*view->conf.bridges),
				cmp_bridge);
	return rc;
}

void
vovsdb_view_free(struct vovsdb_view *view)
{
	vconf_free(&view->conf);
	json_decref(view->iface_uuid);
	json_decref(view->foreign);
	free(view->ovs_uuid);
	memset(view, 0, sizeof(*view));
}

static bool
str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

static bool
port_equal(const struct vconf_port *a, const struct vconf_port *b)
{
	return str_eq(a->name, b->name) && str_eq(a->type, b->type) &&
		a->ofport_request == b->ofport_request && a->mtu_request == b->mtu_request &&
		vconf_map_equal(&a->options, &b->options);
}

bool
vovsdb_conf_equal(const struct vconf *a, const struct vconf *b)
{
	size_t i, j;

	if (a->n_bridges != b->n_bridges || !vconf_map_equal(&a->other_config, &b->other_config))
		return false;
	for (i = 0; i < a->n_bridges; i++) {
		const struct vconf_bridge *x = &a->bridges[i], *y = &b->bridges[i];

		if (!str_eq(x->name, y->name) || !str_eq(x->datapath_type, y->datapath_type) ||
		    x->n_ports != y->n_ports)
			return false;
		for (j = 0; j < x->n_ports; j++)
			if (!port_equal(&x->ports[j], &y->ports[j]))
				return false;
	}
	return true;
}
