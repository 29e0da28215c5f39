/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The YAML configuration file: OVSDB's names, libyaml's document API.
 *
 *   other_config: {KEY: VALUE, ...}
 *   bridges:
 *     NAME:
 *       datapath_type: netdev          (optional)
 *       fail_mode: standalone|secure   (optional)
 *       controller: TARGET             (optional; or a list of TARGETs or of
 *                                       {target: T, inactivity_probe: MS, max_backoff: MS})
 *       ports:
 *         NAME: {type: T, options: {K: V}, ofport_request: N, mtu_request: N (68..9710),
 *                tag: N, trunks: [N, ...], vlan_mode: M,
 *                other_config: {pmd-rxq-affinity: "0:3"}}
 *       other_config: {datapath-id: "0000000000000abc"}   (optional; the Bridge column)
 *       mirrors:                       (optional; Open vSwitch's Mirror columns)
 *         NAME: {select_all: BOOL, select_src_port: [PORT, ...],
 *                select_dst_port: [PORT, ...], select_vlan: [N, ...], output_port: PORT}
 *       flows:                         (optional; ovs-ofctl syntax)
 *         - "priority=10,in_port=p0,actions=output:p1"
 *
 * Every error names the file, the line and the key; unknown keys are errors.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config.h"

struct loader {
	const char *name;
	yaml_document_t doc;
	struct vconf *out;
	char *err;
};

static int
fail(struct loader *ld, const yaml_node_t *node, const char *f, ...)
{
	va_list ap;
	char *msg = NULL;

	if (ld->err != NULL)
		return -EINVAL;
	va_start(ap, f);
	if (vasprintf(&msg, f, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (asprintf(&ld->err, "%s:%zu: %s", ld->name,
			node ? node->start_mark.line + 1 : 0, msg ? msg : "error") < 0)
		ld->err = NULL;
	free(msg);
	return -EINVAL;
}

static int
line_of(const yaml_node_t *node)
{
	return (int)node->start_mark.line + 1;
}

static const char *
scalar(struct loader *ld, yaml_node_t *node, const char *what)
{
	if (node == NULL || node->type != YAML_SCALAR_NODE) {
		fail(ld, node, "key '%s': expected a scalar value", what);
		return NULL;
	}
	return (const char *)node->data.scalar.value;
}

static int
expect_mapping(struct loader *ld, yaml_node_t *node, const char *what)
{
	if (node == NULL)
		return fail(ld, NULL, "key '%s': missing value", what);
	if (node->type == YAML_SCALAR_NODE && node->data.scalar.length == 0)
		return 1;	/* "key:" with nothing: an empty mapping */
	if (node->type != YAML_MAPPING_NODE)
		return fail(ld, node, "key '%s': expected a mapping", what);
	return 0;
}

/* Iterate a mapping; reports duplicate keys. */
#define FOR_PAIRS(ld, node, pair) \
	for (yaml_node_pair_t *pair = (node)->data.mapping.pairs.start; \
		pair < (node)->data.mapping.pairs.top; pair++)

static int
check_duplicates(struct loader *ld, yaml_node_t *map, const char *where)
{
	FOR_PAIRS(ld, map, a) {
		yaml_node_t *ka = yaml_document_get_node(&ld->doc, a->key);

		if (ka->type != YAML_SCALAR_NODE)
			return fail(ld, ka, "%s: keys must be scalars", where);
		for (yaml_node_pair_t *b = map->data.mapping.pairs.start; b < a; b++) {
			yaml_node_t *kb = yaml_document_get_node(&ld->doc, b->key);

			if (strcmp((char *)ka->data.scalar.value, (char *)kb->data.scalar.value) == 0)
				return fail(ld, ka, "key '%s%s': duplicate key (first on line %d)",
					where, (char *)ka->data.scalar.value, line_of(kb));
		}
	}
	return 0;
}

static int
load_map(struct loader *ld, yaml_node_t *node, const char *what, struct vconf_map *m)
{
	int rc = expect_mapping(ld, node, what);

	if (rc != 0)
		return rc < 0 ? rc : 0;
	char where[128];

	snprintf(where, sizeof(where), "%s:", what);
	if (check_duplicates(ld, node, where) < 0)
		return -EINVAL;
	FOR_PAIRS(ld, node, p) {
		yaml_node_t *k = yaml_document_get_node(&ld->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&ld->doc, p->value);
		char key[160];

		snprintf(key, sizeof(key), "%s:%s", what, (char *)k->data.scalar.value);
		const char *val = scalar(ld, v, key);

		if (val == NULL)
			return -EINVAL;
		if (vconf_map_set(m, (char *)k->data.scalar.value, val, line_of(k)) < 0)
			return fail(ld, k, "out of memory");
	}
	return 0;
}

static int
parse_int(struct loader *ld, yaml_node_t *node, const char *what, int64_t *out)
{
	const char *s = scalar(ld, node, what);
	char *end;

	if (s == NULL)
		return -EINVAL;
	errno = 0;
	*out = strtoll(s, &end, 10);
	/* Digits with an optional '-': no blanks, '+' or base prefix, nothing wrapped. */
	if (errno || !((*s >= '0' && *s <= '9') || *s == '-') || *end != '\0')
		return fail(ld, node, "key '%s': '%s' is not an integer", what, s);
	return 0;
}

/* A VLAN list (trunks, select_vlan): a list of VLANs or a string "100,200,300-310". */
static int
load_vlans(struct loader *ld, yaml_node_t *node, const char *what, uint16_t **out, size_t *n)
{
	char *text = NULL;
	int rc;

	if (node->type == YAML_SEQUENCE_NODE) {
		size_t len = 1;

		for (yaml_node_item_t *it = node->data.sequence.items.start;
				it < node->data.sequence.items.top; it++) {
			const char *v = scalar(ld, yaml_document_get_node(&ld->doc, *it), what);
			char *t;

			if (v == NULL || (t = realloc(text, len + strlen(v) + 1)) == NULL) {
				free(text);
				return v == NULL ? -EINVAL : fail(ld, node, "out of memory");
			}
			if (text == NULL)
				t[0] = '\0';
			text = t;
			if (len > 1)
				strcat(text, ",");
			strcat(text, v);
			len += strlen(v) + 1;
		}
	} else {
		const char *v = scalar(ld, node, what);

		if (v == NULL || (text = strdup(v)) == NULL)
			return -EINVAL;
	}
	rc = vconf_vlan_parse_list(text ? text : "", out, n);
	if (rc < 0)
		rc = fail(ld, node, "key '%s': '%s' is not a list of VLANs 0..4095",
			what, text ? text : "");
	free(text);
	return rc;
}

/* A bond's "interfaces:" mapping: NAME -> {type, options}. */
static int
load_ifaces(struct loader *ld, struct vconf_port *p, yaml_node_t *node)
{
	char where[2 * VCONF_NAME_MAX + 32];
	int rc = expect_mapping(ld, node, "interfaces");

	if (rc != 0)
		return rc < 0 ? rc : fail(ld, node, "port '%s': key 'interfaces' is empty", p->name);
	if (check_duplicates(ld, node, "interfaces:") < 0)
		return -EINVAL;
	p->ifaces = calloc((size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start),
		sizeof(*p->ifaces));
	if (p->ifaces == NULL)
		return fail(ld, node, "out of memory");
	FOR_PAIRS(ld, node, pr) {
		yaml_node_t *k = yaml_document_get_node(&ld->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(&ld->doc, pr->value);
		struct vconf_iface *f = &p->ifaces[p->n_ifaces++];

		f->line = line_of(k);
		f->name = strdup((const char *)k->data.scalar.value);
		if (f->name == NULL)
			return fail(ld, k, "out of memory");
		if (expect_mapping(ld, v, "interfaces") != 0)
			return fail(ld, k, "port '%s': interface '%s': expected {type, options}",
				p->name, f->name);
		snprintf(where, sizeof(where), "ports:%s:interfaces:%s:", p->name, f->name);
		if (check_duplicates(ld, v, where) < 0)
			return -EINVAL;
		FOR_PAIRS(ld, v, ipr) {
			yaml_node_t *ik = yaml_document_get_node(&ld->doc, ipr->key);
			yaml_node_t *iv = yaml_document_get_node(&ld->doc, ipr->value);
			const char *key = (const char *)ik->data.scalar.value;

			if (strcmp(key, "type") == 0) {
				const char *t = scalar(ld, iv, "type");

				if (t == NULL || (f->type = strdup(t)) == NULL)
					return -EINVAL;
			} else if (strcmp(key, "options") == 0) {
				if (load_map(ld, iv, "options", &f->options) < 0)
					return -EINVAL;
			} else {
				return fail(ld, ik, "port '%s': interface '%s': unknown key '%s' "
					"(expected type, options)", p->name, f->name, key);
			}
		}
	}
	return 0;
}

/* qos: {type: egress-policer, other_config: {cir: BYTES_S, cbs: BYTES}} (OVSDB's QoS row). */
static int
load_qos(struct loader *ld, struct vconf_port *p, yaml_node_t *node)
{
	int rc = expect_mapping(ld, node, "qos");

	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (check_duplicates(ld, node, "qos:") < 0)
		return -EINVAL;
	FOR_PAIRS(ld, node, pr) {
		yaml_node_t *k = yaml_document_get_node(&ld->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(&ld->doc, pr->value);
		const char *key = (const char *)k->data.scalar.value;
		struct vconf_map oc = { 0 };
		char ek[160];

		if (strcmp(key, "type") == 0) {
			const char *t = scalar(ld, v, "qos:type");

			if (t == NULL || vconf_map_set(&p->extra, "QoS:type", t, line_of(k)) < 0)
				return -EINVAL;
			continue;
		}
		if (strcmp(key, "other_config") != 0)
			return fail(ld, k, "port '%s': key 'qos:%s': unknown key (expected type, "
				"other_config)", p->name, key);
		rc = load_map(ld, v, "qos:other_config", &oc);
		for (size_t i = 0; rc == 0 && i < oc.n; i++) {
			snprintf(ek, sizeof(ek), "QoS:other_config:%s", oc.kv[i].key);
			if (vconf_map_set(&p->extra, ek, oc.kv[i].value, oc.kv[i].line) < 0)
				rc = fail(ld, k, "out of memory");
		}
		vconf_map_free(&oc);
		if (rc < 0)
			return -EINVAL;
	}
	if (vconf_map_get(&p->extra, "QoS:type") == NULL)
		return fail(ld, node, "port '%s': key 'qos:type' is missing (egress-policer)",
			p->name);
	return 0;
}

/* other_config of a port: the Interface's (a bond's become the Port's once it is loaded). */
static int
set_other_config(struct loader *ld, struct vconf_port *p, const struct vconf_map *oc,
	yaml_node_t *k)
{
	char ek[160];

	for (size_t i = 0; i < oc->n; i++) {
		snprintf(ek, sizeof(ek), "Interface:other_config:%s", oc->kv[i].key);
		if (vconf_map_set(&p->extra, ek, oc->kv[i].value, oc->kv[i].line) < 0)
			return fail(ld, k, "out of memory");
	}
	return 0;
}

/*
 * One key of a port's mapping each ('k' the key, 'v' its value).  They return 0, or a
 * negative value with the message in 'ld' (set by them or by what they called).
 */
typedef int port_key_loader(struct loader *ld, struct vconf_port *p, yaml_node_t *k,
	yaml_node_t *v);

static int
port_type(struct loader *ld, struct vconf_port *p, yaml_node_t *k, yaml_node_t *v)
{
	const char *t = scalar(ld, v, "type");

	(void)k;
	if (t == NULL || (p->type = strdup(t)) == NULL)
		return -EINVAL;
	return 0;
}

static int
port_options(struct loader *ld, struct vconf_port *p, yaml_node_t *k, yaml_node_t *v)
{
	(void)k;
	return load_map(ld, v, "options", &p->options) < 0 ? -EINVAL : 0;
}

/* The vconf's 0 means unset; OVSDB's column cannot hold 0 either. */
static int
port_ofport_request(struct loader *ld, struct vconf_port *p, yaml_node_t *k, yaml_node_t *v)
{
	(void)k;
	if (parse_int(ld, v, "ofport_request", &p->ofport_request) < 0)
		return -EINVAL;
	if (p->ofport_request == 0)
		return fail(ld, v, "port '%s': key 'ofport_request': 0 is out of range "
			"1..65279 (leave the key out for a number chosen by vireo-dp)", p->name);
	return 0;
}

/* The vconf's 0 means unset; OVSDB's column cannot hold 0 either. */
static int
port_mtu_request(struct loader *ld, struct vconf_port *p, yaml_node_t *k, yaml_node_t *v)
{
	(void)k;
	if (parse_int(ld, v, "mtu_request", &p->mtu_request) < 0)
		return -EINVAL;
	if (p->mtu_request == 0)
		return fail(ld, v, "port '%s': key 'mtu_request': 0 is out of range "
			"68..9710 (leave the key out for the device's default)", p->name);
	return 0;
}

static int
port_tag(struct loader *ld, struct vconf_port *p, yaml_node_t *k, yaml_node_t *v)
{
	int64_t tag;

	p->vlan.line = line_of(k);
	if (parse_int(ld, v, "tag", &tag) < 0)
		return -EINVAL;
	if (tag < 0 || tag > 4095)
		return fail(ld, v, "port '%s': key 'tag': %lld is out of range 0..4095",
			p->name, (long long)tag);
	p->vlan.tag = (uint16_t)tag;
	p->vlan.has_tag = true;
	return 0;
}

static int
port_trunks(struct loader *ld, struct vconf_port *p, yaml_node_t *k, yaml_node_t *v)
{
	p->vlan.line = line_of(k);
	if (load_vlans(ld, v, "trunks", &p->vlan.trunks, &p->vlan.n_trunks) < 0)
		return -EINVAL;
	return 0;
}

static int
port_vlan_mode(struct loader *ld, struct vconf_port *p, yaml_node_t *k, yaml_node_t *v)
{
	const char *m = scalar(ld, v, "vlan_mode");

	p->vlan.line = line_of(k);
	if (m == NULL || (p->vlan.mode = strdup(m)) == NULL)
		return -EINVAL;
	return 0;
}

static int
port_other_config(struct loader *ld, struct vconf_port *p, yaml_node_t *k, yaml_node_t *v)
{
	struct vconf_map oc = { 0 };
	int rc = load_map(ld, v, "other_config", &oc);

	if (rc == 0)
		rc = set_other_config(ld, p, &oc, k);
	vconf_map_free(&oc);
	return rc < 0 ? -EINVAL : 0;
}

static int
port_interfaces(struct loader *ld, struct vconf_port *p, yaml_node_t *k, yaml_node_t *v)
{
	(void)k;
	if (p->n_ifaces > 0 || load_ifaces(ld, p, v) < 0)
		return -EINVAL;
	return 0;
}

static int
port_qos(struct loader *ld, struct vconf_port *p, yaml_node_t *k, yaml_node_t *v)
{
	(void)k;
	return load_qos(ld, p, v) < 0 ? -EINVAL : 0;
}

/* 'val', the scalar of key 'k' (NULL: not a scalar), kept in the port's 'extra' map as
 * the OVSDB column "'table':KEY". */
static int
port_column(struct vconf_port *p, yaml_node_t *k, const char *val, const char *table)
{
	char ek[64];

	snprintf(ek, sizeof(ek), "%s:%s", table, (const char *)k->data.scalar.value);
	if (val == NULL || vconf_map_set(&p->extra, ek, val, line_of(k)) < 0)
		return -EINVAL;
	return 0;
}

/* bond_mode, lacp, bond_updelay, bond_downdelay: the Port's columns. */
static int
port_bond_column(struct loader *ld, struct vconf_port *p, yaml_node_t *k, yaml_node_t *v)
{
	return port_column(p, k, scalar(ld, v, (const char *)k->data.scalar.value), "Port");
}

static const struct {
	const char *key;
	port_key_loader *load;
} port_keys[] = {
	{ "type", port_type },
	{ "options", port_options },
	{ "ofport_request", port_ofport_request },
	{ "mtu_request", port_mtu_request },
	{ "tag", port_tag },
	{ "trunks", port_trunks },
	{ "other_config", port_other_config },
	{ "interfaces", port_interfaces },
	{ "qos", port_qos },
	{ "bond_mode", port_bond_column },
	{ "lacp", port_bond_column },
	{ "bond_updelay", port_bond_column },
	{ "bond_downdelay", port_bond_column },
	{ "vlan_mode", port_vlan_mode },
};

/*
 * ingress_policing_{rate,burst,kpkts_rate,kpkts_burst}: the Interface's columns.  The
 * value is read before the name is judged, so a non-scalar value under a misspelt name
 * reports the value.
 */
static int
port_policing(struct loader *ld, struct vconf_port *p, yaml_node_t *k, yaml_node_t *v)
{
	const char *key = (const char *)k->data.scalar.value;
	const char *val = scalar(ld, v, key);

	if (strcmp(key + 17, "rate") != 0 && strcmp(key + 17, "burst") != 0 &&
			strcmp(key + 17, "kpkts_rate") != 0 && strcmp(key + 17, "kpkts_burst") != 0)
		return fail(ld, k, "port '%s': unknown key '%s'", p->name, key);
	return port_column(p, k, val, "Interface");
}

static int
load_port_key(struct loader *ld, struct vconf_port *p, yaml_node_t *k, yaml_node_t *v)
{
	const char *key = (const char *)k->data.scalar.value;

	for (size_t i = 0; i < sizeof(port_keys) / sizeof(port_keys[0]); i++)
		if (strcmp(key, port_keys[i].key) == 0)
			return port_keys[i].load(ld, p, k, v);
	if (strncmp(key, "ingress_policing_", 17) == 0)
		return port_policing(ld, p, k, v);
	return fail(ld, k, "port '%s': unknown key '%s' (expected type, options, "
		"ofport_request, mtu_request, tag, trunks, vlan_mode, other_config, "
		"ingress_policing_rate, ingress_policing_burst, "
		"ingress_policing_kpkts_rate, ingress_policing_kpkts_burst, qos; "
		"a bond: interfaces, bond_mode, lacp, bond_updelay, bond_downdelay)",
		p->name, key);
}

/* A bond's other_config is its Port's: lacp-time, bond-rebalance-interval. */
static int
bond_other_config(struct loader *ld, struct vconf_port *p, yaml_node_t *knode)
{
	for (size_t i = 0; i < p->extra.n; i++) {
		char *ek = p->extra.kv[i].key;
		char *pk;

		if (strncmp(ek, "Interface:", 10) != 0)
			continue;
		if (asprintf(&pk, "Port:%s", ek + 10) < 0)
			return fail(ld, knode, "out of memory");
		free(ek);
		p->extra.kv[i].key = pk;
	}
	return 0;
}

/* vconf_check_port() on the loaded port, its message placed at the line it names. */
static int
check_port(struct loader *ld, const struct vconf_port *p)
{
	char *msg = NULL;
	int line = 0;

	if (vconf_check_port(p, &line, &msg) < 0) {
		if (asprintf(&ld->err, "%s:%d: %s", ld->name, line, msg) < 0)
			ld->err = NULL;
		free(msg);
		return -EINVAL;
	}
	return 0;
}

/*
 * The port 'knode': 'node' into the bridge's next slot.  The slot counts as used from the
 * moment the name is copied, so that a failure further on frees what was loaded.
 */
static int
load_port(struct loader *ld, struct vconf_bridge *br, yaml_node_t *knode, yaml_node_t *node)
{
	struct vconf_port *p = &br->ports[br->n_ports];
	const char *name = (const char *)knode->data.scalar.value;
	char where[VCONF_NAME_MAX + 64];
	int rc;

	memset(p, 0, sizeof(*p));
	p->line = line_of(knode);
	p->name = strdup(name);
	if (p->name == NULL)
		return fail(ld, knode, "out of memory");
	br->n_ports++;
	if (!vconf_name_ok(name))
		return fail(ld, knode, "port '%s': a port name is 1 to %d characters without '/'",
			name, VCONF_NAME_MAX);
	snprintf(where, sizeof(where), "ports:%s", name);
	rc = expect_mapping(ld, node, where);
	if (rc != 0)
		return rc < 0 ? rc : fail(ld, knode, "port '%s': key 'type' is missing", name);
	snprintf(where, sizeof(where), "ports:%s:", name);
	if (check_duplicates(ld, node, where) < 0)
		return -EINVAL;
	FOR_PAIRS(ld, node, pr) {
		if (load_port_key(ld, p, yaml_document_get_node(&ld->doc, pr->key),
				yaml_document_get_node(&ld->doc, pr->value)) < 0)
			return -EINVAL;
	}
	if (p->n_ifaces > 0 && bond_other_config(ld, p, knode) < 0)
		return -EINVAL;
	if (p->n_ifaces > 0 && p->type == NULL && (p->type = strdup("bond")) == NULL)
		return fail(ld, knode, "out of memory");
	return check_port(ld, p);
}

static int
load_ports(struct loader *ld, struct vconf_bridge *br, yaml_node_t *node)
{
	int rc = expect_mapping(ld, node, "ports");

	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (check_duplicates(ld, node, "ports:") < 0)
		return -EINVAL;
	size_t n = node->data.mapping.pairs.top - node->data.mapping.pairs.start;

	br->ports = calloc(n ? n : 1, sizeof(*br->ports));
	if (br->ports == NULL)
		return fail(ld, node, "out of memory");
	FOR_PAIRS(ld, node, p) {
		yaml_node_t *k = yaml_document_get_node(&ld->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&ld->doc, p->value);

		if (vconf_find_port(ld->out, (char *)k->data.scalar.value, NULL) != NULL)
			return fail(ld, k, "port '%s': a port of that name already exists",
				(char *)k->data.scalar.value);
		if (load_port(ld, br, k, v) < 0)
			return -EINVAL;
	}
	return 0;
}

static int
load_flows(struct loader *ld, struct vconf_bridge *br, yaml_node_t *node)
{
	br->has_flows = true;
	if (node->type == YAML_SCALAR_NODE && node->data.scalar.length == 0)
		return 0;
	if (node->type != YAML_SEQUENCE_NODE)
		return fail(ld, node, "key 'flows': expected a list of rules in ovs-ofctl syntax");
	size_t n = node->data.sequence.items.top - node->data.sequence.items.start;

	br->flows = calloc(n ? n : 1, sizeof(*br->flows));
	if (br->flows == NULL)
		return fail(ld, node, "out of memory");
	for (yaml_node_item_t *it = node->data.sequence.items.start;
			it < node->data.sequence.items.top; it++) {
		yaml_node_t *f = yaml_document_get_node(&ld->doc, *it);
		const char *text = scalar(ld, f, "flows");

		if (text == NULL)
			return -EINVAL;
		br->flows[br->n_flows].line = line_of(f);
		br->flows[br->n_flows].text = strdup(text);
		if (br->flows[br->n_flows].text == NULL)
			return fail(ld, f, "out of memory");
		br->n_flows++;
	}
	return 0;
}

/* One controller: a target, or a mapping with target, inactivity_probe and max_backoff. */
static int
load_controller(struct loader *ld, struct vconf_controller *c, yaml_node_t *node)
{
	const char *t = NULL;

	c->inactivity_probe = -1;
	c->max_backoff = -1;
	if (node->type == YAML_SCALAR_NODE) {
		t = scalar(ld, node, "controller");
	} else if (node->type == YAML_MAPPING_NODE) {
		if (check_duplicates(ld, node, "controller:") < 0)
			return -EINVAL;
		FOR_PAIRS(ld, node, p) {
			yaml_node_t *k = yaml_document_get_node(&ld->doc, p->key);
			yaml_node_t *v = yaml_document_get_node(&ld->doc, p->value);
			const char *key = (const char *)k->data.scalar.value;

			if (strcmp(key, "target") == 0)
				t = scalar(ld, v, "target");
			else if (strcmp(key, "inactivity_probe") == 0) {
				if (parse_int(ld, v, "inactivity_probe", &c->inactivity_probe) < 0)
					return -EINVAL;
			} else if (strcmp(key, "max_backoff") == 0) {
				if (parse_int(ld, v, "max_backoff", &c->max_backoff) < 0)
					return -EINVAL;
			} else {
				return fail(ld, k, "key 'controller': unknown key '%s' (expected "
					"target, inactivity_probe, max_backoff)", key);
			}
		}
	} else {
		return fail(ld, node, "key 'controller': expected a target or a mapping");
	}
	if (t == NULL)
		return fail(ld, node, "key 'controller': no target");
	if (!vconf_controller_target_ok(t))
		return fail(ld, node, "key 'controller': bad target '%s' (tcp:IP[:PORT], "
			"unix:PATH, ptcp:[PORT][:IP] or punix:PATH)", t);
	if (c->inactivity_probe > 0 && c->inactivity_probe < 1000)
		c->inactivity_probe = 1000;     /* Open vSwitch's minimum */
	if (c->max_backoff >= 0 && c->max_backoff < 1000)
		c->max_backoff = 1000;
	c->target = strdup(t);
	return c->target == NULL ? fail(ld, node, "out of memory") : 0;
}

static int
load_controllers(struct loader *ld, struct vconf_bridge *br, yaml_node_t *node)
{
	size_t n = node->type == YAML_SEQUENCE_NODE ?
		(size_t)(node->data.sequence.items.top - node->data.sequence.items.start) : 1;

	br->controllers = calloc(n ? n : 1, sizeof(*br->controllers));
	if (br->controllers == NULL)
		return fail(ld, node, "out of memory");
	if (node->type != YAML_SEQUENCE_NODE) {
		br->n_controllers = 1;
		return load_controller(ld, &br->controllers[0], node);
	}
	for (yaml_node_item_t *it = node->data.sequence.items.start;
			it < node->data.sequence.items.top; it++) {
		if (load_controller(ld, &br->controllers[br->n_controllers++],
				yaml_document_get_node(&ld->doc, *it)) < 0)
			return -EINVAL;
	}
	return 0;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A list of port names (select_src_port, select_dst_port), sorted; a scalar is a list of one. */
static int
load_names(struct loader *ld, yaml_node_t *node, const char *what, char ***out, size_t *n)
{
	size_t max = node->type == YAML_SEQUENCE_NODE ?
		(size_t)(node->data.sequence.items.top - node->data.sequence.items.start) : 1;

	*out = calloc(max ? max : 1, sizeof(**out));
	if (*out == NULL)
		return fail(ld, node, "out of memory");
	if (node->type != YAML_SEQUENCE_NODE) {
		const char *v = scalar(ld, node, what);

		if (v == NULL || ((*out)[0] = strdup(v)) == NULL)
			return -EINVAL;
		*n = 1;
		return 0;
	}
	for (yaml_node_item_t *it = node->data.sequence.items.start;
			it < node->data.sequence.items.top; it++) {
		const char *v = scalar(ld, yaml_document_get_node(&ld->doc, *it), what);

		if (v == NULL || ((*out)[*n] = strdup(v)) == NULL)
			return -EINVAL;
		(*n)++;
	}
	qsort(*out, *n, sizeof(**out), cmp_name);
	return 0;
}

/* One mirror: NAME: {select_all, select_src_port, select_dst_port, select_vlan, output_port,
 * output_vlan}, the Mirror columns of Open vSwitch. */
static int
load_mirror(struct loader *ld, struct vconf_mirror *m, yaml_node_t *knode, yaml_node_t *node)
{
	int rc;

	m->name = strdup((const char *)knode->data.scalar.value);
	m->line = line_of(knode);
	if (m->name == NULL)
		return fail(ld, knode, "out of memory");
	rc = expect_mapping(ld, node, m->name);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (check_duplicates(ld, node, "mirrors:") < 0)
		return -EINVAL;
	FOR_PAIRS(ld, node, p) {
		yaml_node_t *k = yaml_document_get_node(&ld->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&ld->doc, p->value);
		const char *key = (const char *)k->data.scalar.value, *t;

		if (strcmp(key, "select_all") == 0) {
			if ((t = scalar(ld, v, "select_all")) == NULL)
				return -EINVAL;
			if (strcmp(t, "true") != 0 && strcmp(t, "false") != 0)
				return fail(ld, v, "mirror '%s': key 'select_all': '%s' is not "
					"true or false", m->name, t);
			m->select_all = strcmp(t, "true") == 0;
		} else if (strcmp(key, "select_src_port") == 0) {
			rc = load_names(ld, v, key, &m->src, &m->n_src);
		} else if (strcmp(key, "select_dst_port") == 0) {
			rc = load_names(ld, v, key, &m->dst, &m->n_dst);
		} else if (strcmp(key, "select_vlan") == 0) {
			rc = load_vlans(ld, v, key, &m->vlans, &m->n_vlans);
		} else if (strcmp(key, "output_port") == 0) {
			if ((t = scalar(ld, v, key)) == NULL || (m->output_port = strdup(t)) == NULL)
				return -EINVAL;
		} else if (strcmp(key, "output_vlan") == 0) {
			/* Judged by vconf_check_bridge(), as the OVSDB column is. */
			if ((t = scalar(ld, v, key)) == NULL ||
					vconf_map_set(&m->extra, "Mirror:output_vlan", t, line_of(k)))
				return -EINVAL;
		} else {
			return fail(ld, k, "mirror '%s': unknown key '%s' (expected select_all, "
				"select_src_port, select_dst_port, select_vlan, output_port, "
				"output_vlan)", m->name, key);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
load_mirrors(struct loader *ld, struct vconf_bridge *br, yaml_node_t *node)
{
	int rc = expect_mapping(ld, node, "mirrors");

	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (check_duplicates(ld, node, "mirrors:") < 0)
		return -EINVAL;
	size_t n = node->data.mapping.pairs.top - node->data.mapping.pairs.start;

	br->mirrors = calloc(n ? n : 1, sizeof(*br->mirrors));
	if (br->mirrors == NULL)
		return fail(ld, node, "out of memory");
	FOR_PAIRS(ld, node, p) {
		if (load_mirror(ld, &br->mirrors[br->n_mirrors++],
				yaml_document_get_node(&ld->doc, p->key),
				yaml_document_get_node(&ld->doc, p->value)) < 0)
			return -EINVAL;
	}
	return 0;
}

/* True when 'name' is a port of 'br'. */
static bool
bridge_has_port(const struct vconf_bridge *br, const char *name)
{
	for (size_t i = 0; i < br->n_ports; i++)
		if (strcmp(br->ports[i].name, name) == 0)
			return true;
	return false;
}

/* Every port a mirror names is a port of its bridge (a typo would select nothing). */
static int
check_mirror_ports(struct loader *ld, const struct vconf_bridge *br)
{
	for (size_t i = 0; i < br->n_mirrors; i++) {
		const struct vconf_mirror *m = &br->mirrors[i];
		const char *bad = m->output_port && !bridge_has_port(br, m->output_port) ?
			m->output_port : NULL;
		const char *key = "output_port";

		for (size_t j = 0; bad == NULL && j < m->n_src; j++)
			if (!bridge_has_port(br, m->src[j])) {
				bad = m->src[j];
				key = "select_src_port";
			}
		for (size_t j = 0; bad == NULL && j < m->n_dst; j++)
			if (!bridge_has_port(br, m->dst[j])) {
				bad = m->dst[j];
				key = "select_dst_port";
			}
		if (bad != NULL) {
			if (asprintf(&ld->err, "%s:%d: bridge '%s': mirror '%s': key '%s': '%s' is "
					"not a port of the bridge", ld->name, m->line, br->name,
					m->name, key, bad) < 0)
				ld->err = NULL;
			return -EINVAL;
		}
	}
	return 0;
}

/* A bridge's other_config: the Bridge column's keys, judged by vconf_check_bridge(). */
static int
load_bridge_other_config(struct loader *ld, struct vconf_bridge *br, yaml_node_t *node)
{
	struct vconf_map oc = { 0 };
	char ek[160];
	int rc = load_map(ld, node, "other_config", &oc);

	for (size_t i = 0; rc == 0 && i < oc.n; i++) {
		snprintf(ek, sizeof(ek), "Bridge:other_config:%s", oc.kv[i].key);
		if (vconf_map_set(&br->extra, ek, oc.kv[i].value, oc.kv[i].line) < 0)
			rc = fail(ld, node, "out of memory");
	}
	vconf_map_free(&oc);
	return rc;
}

static int
load_bridge(struct loader *ld, yaml_node_t *knode, yaml_node_t *node)
{
	struct vconf_bridge *br = &ld->out->bridges[ld->out->n_bridges];
	const char *name = (const char *)knode->data.scalar.value;
	int rc;

	memset(br, 0, sizeof(*br));
	br->line = line_of(knode);
	br->name = strdup(name);
	ld->out->n_bridges++;
	if (br->name == NULL)
		return fail(ld, knode, "out of memory");
	if (!vconf_name_ok(name))
		return fail(ld, knode, "bridge '%s': a bridge name is 1 to %d characters without "
			"'/' (it names the file BRIDGE.mgmt)", name, VCONF_NAME_MAX);
	rc = expect_mapping(ld, node, name);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	char where[VCONF_NAME_MAX + 64];

	snprintf(where, sizeof(where), "bridges:%s:", name);
	if (check_duplicates(ld, node, where) < 0)
		return -EINVAL;
	FOR_PAIRS(ld, node, p) {
		yaml_node_t *k = yaml_document_get_node(&ld->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&ld->doc, p->value);
		const char *key = (const char *)k->data.scalar.value;

		if (strcmp(key, "ports") == 0) {
			if (load_ports(ld, br, v) < 0)
				return -EINVAL;
		} else if (strcmp(key, "flows") == 0) {
			if (load_flows(ld, br, v) < 0)
				return -EINVAL;
		} else if (strcmp(key, "datapath_type") == 0) {
			const char *t = scalar(ld, v, "datapath_type");

			if (t == NULL)
				return -EINVAL;
			if (strcmp(t, "netdev") != 0)
				return fail(ld, v, "bridge '%s': key 'datapath_type': only 'netdev' "
					"is supported, not '%s'", name, t);
			br->datapath_type = strdup(t);
		} else if (strcmp(key, "fail_mode") == 0) {
			const char *t = scalar(ld, v, "fail_mode");

			if (t == NULL || (br->fail_mode = strdup(t)) == NULL)
				return -EINVAL;
		} else if (strcmp(key, "controller") == 0) {
			if (load_controllers(ld, br, v) < 0)
				return -EINVAL;
		} else if (strcmp(key, "mirrors") == 0) {
			if (load_mirrors(ld, br, v) < 0)
				return -EINVAL;
		} else if (strcmp(key, "other_config") == 0) {
			if (load_bridge_other_config(ld, br, v) < 0)
				return -EINVAL;
		} else {
			return fail(ld, k, "bridge '%s': unknown key '%s' (expected ports, flows, "
				"datapath_type, fail_mode, controller, mirrors, other_config)", name,
				key);
		}
	}
	if (check_mirror_ports(ld, br) < 0)
		return -EINVAL;
	char *msg = NULL, *warn = NULL;

	if (vconf_check_bridge(br, &msg, &warn) < 0) {
		rc = fail(ld, knode, "%s", msg ? msg : "out of memory");
		free(msg);
		free(warn);
		return rc;
	}
	free(msg);
	free(warn);
	return 0;
}

static int
load_root(struct loader *ld)
{
	yaml_node_t *root = yaml_document_get_root_node(&ld->doc);

	if (root == NULL)
		return fail(ld, NULL, "the file is empty");
	if (root->type != YAML_MAPPING_NODE)
		return fail(ld, root, "expected a mapping with keys other_config and bridges");
	if (check_duplicates(ld, root, "") < 0)
		return -EINVAL;
	FOR_PAIRS(ld, root, p) {
		yaml_node_t *k = yaml_document_get_node(&ld->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&ld->doc, p->value);
		const char *key = (const char *)k->data.scalar.value;

		if (strcmp(key, "other_config") == 0) {
			if (load_map(ld, v, "other_config", &ld->out->other_config) < 0)
				return -EINVAL;
			for (size_t i = 0; i < ld->out->other_config.n; i++) {
				char *msg = NULL;
				struct vconf_kv *kv = &ld->out->other_config.kv[i];

				if (vconf_check_other_config(kv, &msg) < 0) {
					if (asprintf(&ld->err, "%s:%d: %s", ld->name, kv->line, msg) < 0)
						ld->err = NULL;
					free(msg);
					return -EINVAL;
				}
				free(msg);	/* a warning: said by --check and at start */
			}
		} else if (strcmp(key, "bridges") == 0) {
			int rc = expect_mapping(ld, v, "bridges");

			if (rc < 0)
				return rc;
			if (rc > 0)
				continue;
			if (check_duplicates(ld, v, "bridges:") < 0)
				return -EINVAL;
			size_t n = v->data.mapping.pairs.top - v->data.mapping.pairs.start;

			ld->out->bridges = calloc(n, sizeof(*ld->out->bridges));
			if (ld->out->bridges == NULL)
				return fail(ld, v, "out of memory");
			FOR_PAIRS(ld, v, b) {
				if (load_bridge(ld, yaml_document_get_node(&ld->doc, b->key),
						yaml_document_get_node(&ld->doc, b->value)) < 0)
					return -EINVAL;
			}
		} else {
			return fail(ld, k, "unknown key '%s' (expected other_config, bridges)", key);
		}
	}
	return 0;
}

static void
syntax_error(const char *name, const yaml_parser_t *parser, char **err)
{
	if (asprintf(err, "%s:%zu: YAML syntax error: %s", name, parser->problem_mark.line + 1,
			parser->problem ? parser->problem : "unknown") < 0)
		*err = NULL;
}

/*
 * What follows the first document: nothing, or documents with nothing in them ('---' alone).
 * A document with content would be configuration nobody reads, so it is refused.
 */
static int
check_rest_empty(struct loader *ld, yaml_parser_t *parser)
{
	for (;;) {
		yaml_document_t doc;
		yaml_node_t *root;
		bool empty;

		if (!yaml_parser_load(parser, &doc)) {
			syntax_error(ld->name, parser, &ld->err);
			return -EINVAL;
		}
		root = yaml_document_get_root_node(&doc);
		empty = root == NULL || (root->type == YAML_SCALAR_NODE &&
			root->data.scalar.length == 0);
		if (!empty)
			fail(ld, root, "a second YAML document: vireo-dp reads the first document "
				"of a file only (put everything in one, without '---' between)");
		yaml_document_delete(&doc);
		if (!empty)
			return -EINVAL;
		if (root == NULL)
			return 0;	/* the end of the stream */
	}
}

int
vconf_parse_yaml(const char *name, const char *text, size_t len, struct vconf *out, char **err)
{
	struct loader ld = { .name = name, .out = out };
	yaml_parser_t parser;
	int rc;

	memset(out, 0, sizeof(*out));
	*err = NULL;
	if (!yaml_parser_initialize(&parser)) {
		*err = strdup("cannot initialise the YAML parser");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &ld.doc)) {
		syntax_error(name, &parser, err);
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	out->source = strdup(name);
	rc = load_root(&ld);
	if (rc == 0 && ld.err == NULL)
		rc = check_rest_empty(&ld, &parser);
	yaml_document_delete(&ld.doc);
	yaml_parser_delete(&parser);
	if (rc < 0 || ld.err != NULL) {
		*err = ld.err ? ld.err : strdup("invalid configuration");
		vconf_free(out);
		return -EINVAL;
	}
	return 0;
}

int
vconf_load_yaml(const char *path, struct vconf *out, char **err)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	int rc;

	memset(out, 0, sizeof(*out));
	*err = NULL;
	if (f == NULL) {
		if (asprintf(err, "%s: cannot open: %s", path, strerror(errno)) < 0)
			*err = NULL;
		return -errno;
	}
	do {
		if (len + 4096 > cap) {
			char *nb = realloc(buf, cap = cap * 2 + 8192);

			if (nb == NULL) {
				free(buf);
				fclose(f);
				*err = strdup("out of memory");
				return -ENOMEM;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	rc = vconf_parse_yaml(path, buf ? buf : "", len, out, err);
	free(buf);
	return rc;
}
