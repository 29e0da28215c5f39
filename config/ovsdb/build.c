/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * From the replica to a struct vconf: the Open_vSwitch row's other_config and next_cfg, its
 * netdev bridges sorted by name, their ports sorted by name (a Port of several Interfaces
 * becomes a port of type "bond").  Interfaces vireo-dp cannot run (in a bridge of another
 * datapath_type) are collected with the error text the
 * client writes for them.  Every other monitored column that holds more than its default
 * goes, as text, into the 'extra' map of its bridge or port, for config/check.c to judge.
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

/* An atom as text (malloc'd): a string as it is, a number, a boolean, a uuid. */
static char *
atom_text(const json_t *a)
{
	char *s = NULL;

	if (json_is_string(a))
		return strdup(json_string_value(a));
	if (json_is_integer(a) && asprintf(&s, "%lld", (long long)json_integer_value(a)) >= 0)
		return s;
	if (json_is_real(a) && asprintf(&s, "%g", json_real_value(a)) >= 0)
		return s;
	if (json_is_boolean(a))
		return strdup(json_is_true(a) ? "true" : "false");
	if (vovsdb_uuid_of(a) != NULL)
		return strdup(vovsdb_uuid_of(a));
	return strdup("?");
}

/* True when the atom is a column's default: "", 0, false. */
static bool
atom_is_default(const json_t *a)
{
	return (json_is_string(a) && *json_string_value(a) == '\0') ||
		(json_is_integer(a) && json_integer_value(a) == 0) ||
		(json_is_real(a) && json_real_value(a) == 0) || json_is_false(a);
}

/*
 * Column 'col' of a row of 'table' holding 'v' into 'm' unless it is the default: a map as
 * one entry a key ("TABLE:COL:KEY"), anything else as "TABLE:COL" -> comma-joined atoms.
 */
static int
extra_from(struct vconf_map *m, const char *table, const char *col, const json_t *v)
{
	const json_t *pairs = vovsdb_map_pairs(v), *e;
	json_t *elems;
	char key[160], *text = NULL;
	size_t i;
	int rc = 0;

	if (pairs != NULL) {
		json_array_foreach(pairs, i, e) {
			char *val = atom_text(json_array_get(e, 1));
			char *k = atom_text(json_array_get(e, 0));	/* flow_tables: integers */

			snprintf(key, sizeof(key), "%s:%s:%s", table, col, k ? k : "?");
			if (k == NULL || val == NULL || vconf_map_set(m, key, val, 0) < 0)
				rc = -ENOMEM;
			free(k);
			free(val);
		}
		return rc;
	}
	elems = vovsdb_set_elems(v);
	if (elems == NULL)
		return 0;
	if (json_array_size(elems) == 1 && atom_is_default(json_array_get(elems, 0))) {
		json_decref(elems);
		return 0;
	}
	json_array_foreach(elems, i, e) {
		char *a = atom_text(e), *joined = NULL;

		if (a == NULL || (text != NULL && asprintf(&joined, "%s,%s", text, a) < 0))
			rc = -ENOMEM;
		free(text);
		text = joined ? joined : a;
		if (joined)
			free(a);
	}
	json_decref(elems);
	snprintf(key, sizeof(key), "%s:%s", table, col);
	if (text != NULL && vconf_map_set(m, key, text, 0) < 0)
		rc = -ENOMEM;
	free(text);
	return rc;
}

/* Every column of 'row' not named in 'handled' (NULL-terminated) into 'm'. */
static int
extras_of(struct vconf_map *m, const char *table, const json_t *row,
		const char *const *handled)
{
	const char *col;
	json_t *v;

	json_object_foreach((json_t *)row, col, v) {
		bool skip = !strcmp(col, "external_ids") || !strcmp(col, "_uuid") ||
			!strcmp(col, "_version");

		for (size_t i = 0; handled[i] && !skip; i++)
			skip = !strcmp(col, handled[i]);
		if (!skip && extra_from(m, table, col, v) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int
cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* Port columns tag, trunks, vlan_mode into 'vl'; a malformed value is left out. */
static int
vlan_from(struct vconf_vlan *vl, const json_t *prow)
{
	json_t *e = vovsdb_set_elems(json_object_get(prow, "trunks")), *t;
	size_t i, n = e ? json_array_size(e) : 0;
	const char *mode;

	vl->tag = (uint16_t)opt_int_col(prow, "tag");
	vl->has_tag = json_is_integer(json_object_get(prow, "tag"));
	mode = str_col(prow, "vlan_mode");
	if (*mode != '\0' && (vl->mode = strdup(mode)) == NULL)
		goto nomem;
	if (n > 0) {
		vl->trunks = calloc(n, sizeof(*vl->trunks));
		if (vl->trunks == NULL)
			goto nomem;
		json_array_foreach(e, i, t)
			if (json_is_integer(t) && json_integer_value(t) >= 0 &&
					json_integer_value(t) <= 4095)
				vl->trunks[vl->n_trunks++] = (uint16_t)json_integer_value(t);
		qsort(vl->trunks, vl->n_trunks, sizeof(*vl->trunks), cmp_u16);
	}
	json_decref(e);
	return 0;
nomem:
	json_decref(e);
	return -ENOMEM;
}

static void
fail_iface(struct vovsdb_view *view, const json_t *iface, const char *why)
{
	json_object_set_new(view->foreign, str_col(iface, "name"), json_string(why));
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

/*
 * Port column qos: the QoS row's columns as "QoS:type", "QoS:other_config:KEY", ...; the
 * row's uuid as "Port:qos" when the replica does not hold it (a schema without QoS).
 */
static int
qos_from(struct vconf_map *m, const struct vovsdb_replica *r, const json_t *prow)
{
	static const char *const none[] = { NULL };
	json_t *rows = deref(r, VOVSDB_T_QOS, prow, "qos");
	int rc;

	if (rows == NULL)
		return -ENOMEM;
	if (json_array_size(rows) == 1)
		rc = extras_of(m, "QoS", json_array_get(rows, 0), none);
	else
		rc = extra_from(m, "Port", "qos", json_object_get(prow, "qos"));
	json_decref(rows);
	return rc;
}

/*
 * Into 'out': the uuid of the Interface row 'irow' of Port row 'prow', or with 'irow' NULL
 * of the first Interface of 'prow' ("" when there is none).
 */
static void
iface_uuid_into(const struct vovsdb_replica *r, const json_t *prow, const json_t *irow,
	char *out, size_t size)
{
	json_t *elems = vovsdb_set_elems(json_object_get(prow, "interfaces")), *e;
	size_t i;

	out[0] = '\0';
	json_array_foreach(elems, i, e) {
		const char *u = vovsdb_uuid_of(e);
		const json_t *row = u ? json_object_get(r->rows[VOVSDB_T_IFACE], u) : NULL;

		if (row != NULL && (irow == NULL || row == irow)) {
			snprintf(out, size, "%s", u);
			break;
		}
	}
	json_decref(elems);
}

static int
add_port(const struct vovsdb_replica *r, struct vconf_bridge *br, const json_t *prow,
	const json_t *iface)
{
	static const char *const port_cols[] = { "name", "interfaces", "tag", "trunks",
		"vlan_mode", "qos", NULL };
	static const char *const iface_cols[] = { "name", "type", "options", "ofport_request",
		"ofport", "mtu_request", NULL };
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
	p->ofport_last = opt_int_col(iface, "ofport");
	iface_uuid_into(r, prow, iface, p->row_uuid, sizeof(p->row_uuid));
	p->mtu_request = opt_int_col(iface, "mtu_request");
	if (vlan_from(&p->vlan, prow) < 0 || extras_of(&p->extra, "Port", prow, port_cols) < 0 ||
			qos_from(&p->extra, r, prow) < 0 ||
			extras_of(&p->extra, "Interface", iface, iface_cols) < 0)
		return -ENOMEM;
	return map_from(&p->options, json_object_get(iface, "options"));
}

/* Controller columns add_controllers() reads itself. */
static const char *const ctrl_cols[] = { "target", "inactivity_probe", "max_backoff", NULL };

/*
 * A Controller target vireo-dp cannot use (ssl:, pssl:, malformed): left to the checks as the
 * bridge's "Controller:target", every such target of the bridge comma-separated, so that it
 * is refused on the bridge's interface instead of dropped.
 */
static int
bad_target(struct vconf_bridge *br, const char *target)
{
	const char *had = vconf_map_get(&br->extra, "Controller:target");
	char *all = NULL;
	int rc;

	if (had != NULL && asprintf(&all, "%s,%s", had, target) < 0)
		return -ENOMEM;
	rc = vconf_map_set(&br->extra, "Controller:target", all ? all : target, 0);
	free(all);
	return rc;
}

/* The Controller rows of bridge row 'brow', in uuid order (a set has no other). */
static int
add_controllers(const struct vovsdb_replica *r, struct vovsdb_view *view,
		struct vconf_bridge *br, const json_t *brow)
{
	json_t *elems = vovsdb_set_elems(json_object_get(brow, "controller")), *e;
	size_t i, n = json_array_size(elems);
	int rc = 0;

	br->controllers = calloc(n ? n : 1, sizeof(*br->controllers));
	if (!br->controllers) {
		json_decref(elems);
		return -ENOMEM;
	}
	json_array_foreach(elems, i, e) {
		const char *u = vovsdb_uuid_of(e);
		const json_t *row = u ? json_object_get(r->rows[VOVSDB_T_CTRL], u) : NULL;
		struct vconf_controller *c = &br->controllers[br->n_controllers];
		json_t *v;

		if (!row)
			continue;
		if (!vconf_controller_target_ok(str_col(row, "target"))) {
			if (bad_target(br, str_col(row, "target")) < 0) {
				rc = -ENOMEM;
				break;
			}
			continue;
		}
		c->target = strdup(str_col(row, "target"));
		c->uuid = strdup(u);
		br->n_controllers++;
		if (!c->target || !c->uuid ||
				json_object_set_new(view->ctrl_uuid, u, json_true()) < 0) {
			rc = -ENOMEM;
			break;
		}
		/* Empty: Open vSwitch's defaults; values below its minimums are raised. */
		v = vovsdb_set_elems(json_object_get(row, "inactivity_probe"));
		c->inactivity_probe = json_array_size(v) == 1 ?
			json_integer_value(json_array_get(v, 0)) : -1;
		json_decref(v);
		if (c->inactivity_probe > 0 && c->inactivity_probe < 1000)
			c->inactivity_probe = 1000;
		v = vovsdb_set_elems(json_object_get(row, "max_backoff"));
		c->max_backoff = json_array_size(v) == 1 ?
			json_integer_value(json_array_get(v, 0)) : -1;
		json_decref(v);
		if (c->max_backoff >= 0 && c->max_backoff < 1000)
			c->max_backoff = 1000;
		/* The Controller's other settings go to the checks as the bridge's (shown on
		 * its local interface), as the Bridge columns do. */
		if (extras_of(&br->extra, "Controller", row, ctrl_cols) < 0) {
			rc = -ENOMEM;
			break;
		}
		/* false is a boolean's default atom, which extras_of() leaves out; here it is
		 * not the default (empty means true). */
		v = vovsdb_set_elems(json_object_get(row, "enable_async_messages"));
		if (json_array_size(v) == 1 && json_is_false(json_array_get(v, 0)) &&
				vconf_map_set(&br->extra, "Controller:enable_async_messages", "false",
				0) < 0)
			rc = -ENOMEM;
		json_decref(v);
		if (rc < 0)
			break;
	}
	json_decref(elems);
	return rc;
}

/*
 * The name vireo-dp knows Port row 'prow' by (a vconf_port's): its Interface's for a Port of
 * one, the Port's for a bond.  Malloc'd; NULL when out of memory.
 */
static char *
port_name_of(const struct vovsdb_replica *r, const json_t *prow)
{
	json_t *ifaces = deref(r, VOVSDB_T_IFACE, prow, "interfaces");
	char *name;

	if (ifaces != NULL && json_array_size(ifaces) == 1)
		name = strdup(str_col(json_array_get(ifaces, 0), "name"));
	else
		name = strdup(str_col(prow, "name"));
	json_decref(ifaces);
	return name;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the Port rows the uuid set 'row':'col' refers to, sorted. */
static int
port_names(const struct vovsdb_replica *r, const json_t *row, const char *col, char ***out,
		size_t *n)
{
	json_t *rows = deref(r, VOVSDB_T_PORT, row, col), *prow;
	size_t i;

	*n = 0;
	*out = calloc(json_array_size(rows) ? json_array_size(rows) : 1, sizeof(**out));
	if (rows == NULL || *out == NULL) {
		json_decref(rows);
		return -ENOMEM;
	}
	json_array_foreach(rows, i, prow) {
		if (((*out)[*n] = port_name_of(r, prow)) == NULL) {
			json_decref(rows);
			return -ENOMEM;
		}
		(*n)++;
	}
	json_decref(rows);
	qsort(*out, *n, sizeof(**out), cmp_str);
	return 0;
}

/* Mirror columns add_mirror() reads itself. */
static const char *const mirror_cols[] = { "name", "select_all", "select_src_port",
	"select_dst_port", "select_vlan", "output_port", "statistics", NULL };

/* Mirror row 'row' (uuid 'u') into 'm'. */
static int
add_mirror(const struct vovsdb_replica *r, struct vconf_mirror *m, const char *u,
		const json_t *row)
{
	json_t *e = vovsdb_set_elems(json_object_get(row, "select_vlan")), *v, *out;
	size_t i;
	int rc = 0;

	m->name = strdup(str_col(row, "name"));
	m->uuid = strdup(u);
	m->select_all = json_is_true(json_object_get(row, "select_all"));
	m->vlans = calloc(e && json_array_size(e) ? json_array_size(e) : 1, sizeof(*m->vlans));
	if (m->name == NULL || m->uuid == NULL || m->vlans == NULL)
		rc = -ENOMEM;
	json_array_foreach(e, i, v)
		if (m->vlans && json_is_integer(v) && json_integer_value(v) >= 0 &&
				json_integer_value(v) <= 4095)
			m->vlans[m->n_vlans++] = (uint16_t)json_integer_value(v);
	json_decref(e);
	if (m->n_vlans > 0)
		qsort(m->vlans, m->n_vlans, sizeof(*m->vlans), cmp_u16);
	out = deref(r, VOVSDB_T_PORT, row, "output_port");
	if (out != NULL && json_array_size(out) == 1 &&
			(m->output_port = port_name_of(r, json_array_get(out, 0))) == NULL)
		rc = -ENOMEM;
	json_decref(out);
	if (rc == 0)
		rc = port_names(r, row, "select_src_port", &m->src, &m->n_src);
	if (rc == 0)
		rc = port_names(r, row, "select_dst_port", &m->dst, &m->n_dst);
	if (rc == 0)
		rc = extras_of(&m->extra, "Mirror", row, mirror_cols);
	return rc;
}

static int
cmp_mirror(const void *a, const void *b)
{
	return strcmp(((const struct vconf_mirror *)a)->name,
			((const struct vconf_mirror *)b)->name);
}

/* The Mirror rows of bridge row 'brow', sorted by name. */
static int
add_mirrors(const struct vovsdb_replica *r, struct vovsdb_view *view,
		struct vconf_bridge *br, const json_t *brow)
{
	json_t *elems = vovsdb_set_elems(json_object_get(brow, "mirrors")), *e;
	size_t i, n = json_array_size(elems);
	int rc = 0;

	br->mirrors = calloc(n ? n : 1, sizeof(*br->mirrors));
	if (br->mirrors == NULL) {
		json_decref(elems);
		return -ENOMEM;
	}
	json_array_foreach(elems, i, e) {
		const char *u = vovsdb_uuid_of(e);
		const json_t *row = u && r->rows[VOVSDB_T_MIRROR] ?
			json_object_get(r->rows[VOVSDB_T_MIRROR], u) : NULL;

		if (row == NULL)
			continue;
		rc = add_mirror(r, &br->mirrors[br->n_mirrors++], u, row);
		if (rc == 0 && json_object_set_new(view->mirror_uuid, u, json_true()) < 0)
			rc = -ENOMEM;
		if (rc < 0)
			break;
	}
	json_decref(elems);
	if (br->n_mirrors > 1)
		qsort(br->mirrors, br->n_mirrors, sizeof(*br->mirrors), cmp_mirror);
	return rc;
}

/* A Port of several Interfaces: a bond port of type "bond" with its members. */
static int
add_bond(const struct vovsdb_replica *r, struct vconf_bridge *br, const json_t *prow,
	const json_t *ifaces)
{
	static const char *const port_cols[] = { "name", "interfaces", "tag", "trunks",
		"vlan_mode", "qos", NULL };
	static const char *const iface_cols[] = { "name", "type", "options", "ofport", NULL };
	struct vconf_port *ports, *p;
	const json_t *irow;
	size_t j;

	ports = realloc(br->ports, (br->n_ports + 1) * sizeof(*ports));
	if (!ports)
		return -ENOMEM;
	br->ports = ports;
	p = &ports[br->n_ports++];
	memset(p, 0, sizeof(*p));
	p->name = strdup(str_col(prow, "name"));
	p->type = strdup("bond");
	p->ifaces = calloc(json_array_size(ifaces), sizeof(*p->ifaces));
	if (!p->name || !p->type || !p->ifaces)
		return -ENOMEM;
	if (vlan_from(&p->vlan, prow) < 0 || extras_of(&p->extra, "Port", prow, port_cols) < 0 ||
			qos_from(&p->extra, r, prow) < 0)
		return -ENOMEM;
	iface_uuid_into(r, prow, NULL, p->row_uuid, sizeof(p->row_uuid));
	json_array_foreach(ifaces, j, irow) {
		struct vconf_iface *f = &p->ifaces[p->n_ifaces++];
		const char *type = str_col(irow, "type");

		/* The members share the bond's number: any one's will do. */
		if (p->ofport_last <= 0)
			p->ofport_last = opt_int_col(irow, "ofport");
		f->name = strdup(str_col(irow, "name"));
		f->type = strdup(*type ? type : "system");
		if (!f->name || !f->type ||
				extras_of(&f->extra, "Interface", irow, iface_cols) < 0 ||
				map_from(&f->options, json_object_get(irow, "options")) < 0)
			return -ENOMEM;
	}
	return 0;
}

/*
 * Why vireo-dp does not run bridge row 'brow' (malloc'd; its interfaces fail with it), or
 * NULL when it does.  '*rc' is -ENOMEM when out of memory.
 */
static char *
bridge_refusal(const json_t *brow, int *rc)
{
	const char *name = str_col(brow, "name"), *dpt = str_col(brow, "datapath_type");
	char *why = NULL;
	int n = 0;

	if (!vconf_name_ok(name))
		n = asprintf(&why, "bridge '%s': a bridge name is 1 to %d characters without '/' "
			"(it names the file BRIDGE.mgmt)", name, VCONF_NAME_MAX);
	else if (strcmp(dpt, "netdev") != 0)
		n = asprintf(&why, "bridge '%s' has datapath_type '%s': vireo-dp runs only "
			"bridges with datapath_type=netdev", name, *dpt ? dpt : "system");
	if (n < 0) {
		why = NULL;
		*rc = -ENOMEM;
	}
	return why;
}

static int
add_bridge(const struct vovsdb_replica *r, struct vovsdb_view *view, const json_t *brow,
		json_t *log)
{
	const char *name = str_col(brow, "name"), *dpt = str_col(brow, "datapath_type");
	struct vconf_bridge *bridges, *br = NULL;
	json_t *ports, *prow;
	size_t i;
	int rc = 0;
	char *why = bridge_refusal(brow, &rc);
	bool ours = why == NULL;

	if (rc < 0)
		return rc;
	/* Another datapath_type is another switch's business; a bad name is an error. */
	if (why != NULL && strcmp(dpt, "netdev") == 0)
		json_array_append_new(log, json_string(why));
	if (ours) {
		bridges = realloc(view->conf.bridges,
				(view->conf.n_bridges + 1) * sizeof(*bridges));
		if (!bridges)
			return -ENOMEM;
		view->conf.bridges = bridges;
		br = &bridges[view->conf.n_bridges++];
		memset(br, 0, sizeof(*br));
		static const char *const bridge_cols[] = { "name", "ports", "datapath_type",
			"fail_mode", "controller", "mirrors", NULL };
		const char *fm = str_col(brow, "fail_mode");

		br->name = strdup(name);
		br->datapath_type = strdup(dpt);
		if (!br->name || !br->datapath_type || (*fm && !(br->fail_mode = strdup(fm))) ||
				extras_of(&br->extra, "Bridge", brow, bridge_cols) < 0 ||
				add_controllers(r, view, br, brow) < 0 ||
				add_mirrors(r, view, br, brow) < 0)
			return -ENOMEM;
	}
	ports = deref(r, VOVSDB_T_PORT, brow, "ports");
	json_array_foreach(ports, i, prow) {
		json_t *ifaces = deref(r, VOVSDB_T_IFACE, prow, "interfaces"), *irow;
		size_t j;

		if (ours && json_array_size(ifaces) > 1)
			rc = add_bond(r, br, prow, ifaces);
		else
			json_array_foreach(ifaces, j, irow) {
				if (!ours)
					fail_iface(view, irow, why);
				else
					rc = add_port(r, br, prow, irow);
			}
		json_decref(ifaces);
		if (rc)
			break;
	}
	json_decref(ports);
	free(why);
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
	view->ctrl_uuid = json_object();
	view->mirror_uuid = json_object();
	view->bridge_uuid = json_object();
	view->conf.source = strdup(source);
	view->conf.ofports_in_source = true;
	if (!view->iface_uuid || !view->foreign || !view->ctrl_uuid || !view->mirror_uuid ||
			!view->bridge_uuid || !view->conf.source)
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
		rc = add_bridge(r, view, brow, log);
		if (rc)
			break;
	}
	json_decref(bridges);
	/* Our bridges' rows, for their status columns (datapath_id, datapath_version). */
	json_object_foreach(r->rows[VOVSDB_T_BRIDGE], uuid, brow)
		if (rc == 0 && vconf_find_bridge(&view->conf, str_col(brow, "name")) &&
				json_object_set_new(view->bridge_uuid, str_col(brow, "name"),
					json_string(uuid)) < 0)
			rc = -ENOMEM;
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
	json_decref(view->ctrl_uuid);
	json_decref(view->mirror_uuid);
	json_decref(view->bridge_uuid);
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

bool
vovsdb_conf_equal(const struct vconf *a, const struct vconf *b)
{
	size_t i, j;

	if (a->n_bridges != b->n_bridges || !vconf_map_equal(&a->other_config, &b->other_config))
		return false;
	for (i = 0; i < a->n_bridges; i++) {
		const struct vconf_bridge *x = &a->bridges[i], *y = &b->bridges[i];

		if (!str_eq(x->name, y->name) || !str_eq(x->datapath_type, y->datapath_type) ||
		    x->n_ports != y->n_ports || !vconf_bridge_settings_equal(x, y))
			return false;
		for (j = 0; j < x->n_ports; j++)
			if (!vconf_port_equal(&x->ports[j], &y->ports[j]))
				return false;
	}
	return true;
}
