/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vconf value: maps, copies, look-ups.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

const char *
vconf_map_get(const struct vconf_map *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->kv[i].key, key) == 0)
			return m->kv[i].value;
	return NULL;
}

int
vconf_map_set(struct vconf_map *m, const char *key, const char *value, int line)
{
	char *v = strdup(value);

	if (v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < m->n; i++) {
		if (strcmp(m->kv[i].key, key) == 0) {
			free(m->kv[i].value);
			m->kv[i].value = v;
			m->kv[i].line = line;
			return 0;
		}
	}
	struct vconf_kv *kv = realloc(m->kv, (m->n + 1) * sizeof(*kv));
	char *k = strdup(key);

	if (kv == NULL || k == NULL) {
		if (kv != NULL)
			m->kv = kv;
		free(k);
		free(v);
		return -ENOMEM;
	}
	m->kv = kv;
	kv[m->n].key = k;
	kv[m->n].value = v;
	kv[m->n].line = line;
	m->n++;
	return 0;
}

bool
vconf_map_equal(const struct vconf_map *a, const struct vconf_map *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const char *v = vconf_map_get(b, a->kv[i].key);

		if (v == NULL || strcmp(v, a->kv[i].value) != 0)
			return false;
	}
	return true;
}

void
vconf_map_free(struct vconf_map *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->kv[i].key);
		free(m->kv[i].value);
	}
	free(m->kv);
	m->kv = NULL;
	m->n = 0;
}

static int
map_copy(struct vconf_map *dst, const struct vconf_map *src)
{
	memset(dst, 0, sizeof(*dst));
	for (size_t i = 0; i < src->n; i++)
		if (vconf_map_set(dst, src->kv[i].key, src->kv[i].value, src->kv[i].line) < 0)
			return -ENOMEM;
	return 0;
}

void
vconf_vlan_free(struct vconf_vlan *v)
{
	free(v->mode);
	free(v->trunks);
	memset(v, 0, sizeof(*v));
}

int
vconf_vlan_copy(struct vconf_vlan *dst, const struct vconf_vlan *src)
{
	*dst = *src;
	dst->mode = NULL;
	dst->trunks = NULL;
	if (src->mode != NULL && (dst->mode = strdup(src->mode)) == NULL)
		goto nomem;
	if (src->n_trunks > 0) {
		dst->trunks = malloc(src->n_trunks * sizeof(*dst->trunks));
		if (dst->trunks == NULL)
			goto nomem;
		memcpy(dst->trunks, src->trunks, src->n_trunks * sizeof(*dst->trunks));
	}
	return 0;
nomem:
	vconf_vlan_free(dst);
	return -ENOMEM;
}

void
vconf_port_free(struct vconf_port *p)
{
	free(p->name);
	free(p->type);
	vconf_map_free(&p->options);
	vconf_vlan_free(&p->vlan);
	vconf_map_free(&p->extra);
	for (size_t i = 0; i < p->n_ifaces; i++) {
		free(p->ifaces[i].name);
		free(p->ifaces[i].type);
		vconf_map_free(&p->ifaces[i].options);
		vconf_map_free(&p->ifaces[i].extra);
	}
	free(p->ifaces);
	memset(p, 0, sizeof(*p));
}

static void
names_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
vconf_mirror_free(struct vconf_mirror *m)
{
	free(m->name);
	names_free(m->src, m->n_src);
	names_free(m->dst, m->n_dst);
	free(m->vlans);
	free(m->output_port);
	vconf_map_free(&m->extra);
	free(m->uuid);
	memset(m, 0, sizeof(*m));
}

static void
bridge_free(struct vconf_bridge *b)
{
	for (size_t i = 0; i < b->n_mirrors; i++)
		vconf_mirror_free(&b->mirrors[i]);
	free(b->mirrors);
	for (size_t i = 0; i < b->n_ports; i++)
		vconf_port_free(&b->ports[i]);
	free(b->ports);
	for (size_t i = 0; i < b->n_flows; i++)
		free(b->flows[i].text);
	free(b->flows);
	free(b->name);
	free(b->datapath_type);
	free(b->fail_mode);
	for (size_t i = 0; i < b->n_controllers; i++) {
		free(b->controllers[i].target);
		free(b->controllers[i].uuid);
	}
	free(b->controllers);
	vconf_map_free(&b->extra);
	memset(b, 0, sizeof(*b));
}

void
vconf_free(struct vconf *c)
{
	for (size_t i = 0; i < c->n_bridges; i++)
		bridge_free(&c->bridges[i]);
	free(c->bridges);
	vconf_map_free(&c->other_config);
	free(c->source);
	memset(c, 0, sizeof(*c));
}

static char *
dup_or_null(const char *s, int *failed)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*failed = 1;
	return d;
}

int
vconf_port_copy(struct vconf_port *dst, const struct vconf_port *src)
{
	int failed = 0;

	*dst = *src;
	dst->name = dup_or_null(src->name, &failed);
	dst->type = dup_or_null(src->type, &failed);
	if (vconf_vlan_copy(&dst->vlan, &src->vlan) < 0)
		failed = 1;
	if (map_copy(&dst->options, &src->options) < 0 || map_copy(&dst->extra, &src->extra) < 0)
		failed = 1;
	dst->ifaces = NULL;
	dst->n_ifaces = 0;
	if (src->n_ifaces > 0) {
		dst->ifaces = calloc(src->n_ifaces, sizeof(*dst->ifaces));
		if (dst->ifaces == NULL)
			return -ENOMEM;
		dst->n_ifaces = src->n_ifaces;
	}
	for (size_t i = 0; i < src->n_ifaces; i++) {
		struct vconf_iface *d = &dst->ifaces[i];
		const struct vconf_iface *s = &src->ifaces[i];

		d->line = s->line;
		d->name = dup_or_null(s->name, &failed);
		d->type = dup_or_null(s->type, &failed);
		if (map_copy(&d->options, &s->options) < 0 || map_copy(&d->extra, &s->extra) < 0)
			failed = 1;
	}
	return failed ? -ENOMEM : 0;
}

static char **
names_copy(char *const *src, size_t n, int *failed)
{
	char **d = calloc(n ? n : 1, sizeof(*d));

	if (d == NULL) {
		*failed = 1;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		d[i] = dup_or_null(src[i], failed);
	return d;
}

int
vconf_mirror_copy(struct vconf_mirror *dst, const struct vconf_mirror *src)
{
	int failed = 0;

	*dst = *src;
	dst->name = dup_or_null(src->name, &failed);
	dst->output_port = dup_or_null(src->output_port, &failed);
	dst->uuid = dup_or_null(src->uuid, &failed);
	dst->src = names_copy(src->src, src->n_src, &failed);
	dst->dst = names_copy(src->dst, src->n_dst, &failed);
	if (dst->src == NULL)
		dst->n_src = 0;
	if (dst->dst == NULL)
		dst->n_dst = 0;
	dst->vlans = calloc(src->n_vlans ? src->n_vlans : 1, sizeof(*dst->vlans));
	if (dst->vlans == NULL) {
		dst->n_vlans = 0;
		failed = 1;
	} else if (src->n_vlans > 0) {
		memcpy(dst->vlans, src->vlans, src->n_vlans * sizeof(*dst->vlans));
	}
	if (map_copy(&dst->extra, &src->extra) < 0)
		failed = 1;
	return failed ? -ENOMEM : 0;
}

static int
bridge_copy(struct vconf_bridge *dst, const struct vconf_bridge *src)
{
	int failed = 0;

	*dst = *src;
	dst->name = dup_or_null(src->name, &failed);
	dst->datapath_type = dup_or_null(src->datapath_type, &failed);
	dst->fail_mode = dup_or_null(src->fail_mode, &failed);
	if (map_copy(&dst->extra, &src->extra) < 0)
		failed = 1;
	dst->controllers = calloc(src->n_controllers ? src->n_controllers : 1,
			sizeof(*dst->controllers));
	if (dst->controllers == NULL) {
		dst->n_controllers = 0;
		failed = 1;
	}
	for (size_t i = 0; dst->controllers != NULL && i < src->n_controllers; i++) {
		dst->controllers[i] = src->controllers[i];
		dst->controllers[i].target = dup_or_null(src->controllers[i].target, &failed);
		dst->controllers[i].uuid = dup_or_null(src->controllers[i].uuid, &failed);
	}
	dst->mirrors = calloc(src->n_mirrors ? src->n_mirrors : 1, sizeof(*dst->mirrors));
	if (dst->mirrors == NULL) {
		dst->n_mirrors = 0;
		failed = 1;
	}
	for (size_t i = 0; dst->mirrors != NULL && i < src->n_mirrors; i++)
		if (vconf_mirror_copy(&dst->mirrors[i], &src->mirrors[i]) < 0)
			failed = 1;
	dst->ports = calloc(src->n_ports ? src->n_ports : 1, sizeof(*dst->ports));
	dst->flows = calloc(src->n_flows ? src->n_flows : 1, sizeof(*dst->flows));
	if (dst->ports == NULL || dst->flows == NULL) {
		dst->n_ports = dst->n_flows = 0;
		return -ENOMEM;
	}
	for (size_t i = 0; i < src->n_ports; i++)
		if (vconf_port_copy(&dst->ports[i], &src->ports[i]) < 0)
			failed = 1;
	for (size_t i = 0; i < src->n_flows; i++) {
		dst->flows[i].line = src->flows[i].line;
		dst->flows[i].text = dup_or_null(src->flows[i].text, &failed);
	}
	return failed ? -ENOMEM : 0;
}

int
vconf_copy(struct vconf *dst, const struct vconf *src)
{
	int failed = 0;

	memset(dst, 0, sizeof(*dst));
	dst->source = dup_or_null(src->source, &failed);
	dst->ofports_in_source = src->ofports_in_source;
	if (map_copy(&dst->other_config, &src->other_config) < 0)
		failed = 1;
	dst->bridges = calloc(src->n_bridges ? src->n_bridges : 1, sizeof(*dst->bridges));
	if (dst->bridges == NULL) {
		vconf_free(dst);
		return -ENOMEM;
	}
	dst->n_bridges = src->n_bridges;
	for (size_t i = 0; i < src->n_bridges; i++)
		if (bridge_copy(&dst->bridges[i], &src->bridges[i]) < 0)
			failed = 1;
	if (failed) {
		vconf_free(dst);
		return -ENOMEM;
	}
	return 0;
}

struct vconf_bridge *
vconf_find_bridge(const struct vconf *c, const char *name)
{
	for (size_t i = 0; i < c->n_bridges; i++)
		if (strcmp(c->bridges[i].name, name) == 0)
			return &c->bridges[i];
	return NULL;
}

struct vconf_port *
vconf_find_port(const struct vconf *c, const char *name, struct vconf_bridge **bridge)
{
	for (size_t i = 0; i < c->n_bridges; i++) {
		struct vconf_bridge *b = &c->bridges[i];

		for (size_t j = 0; j < b->n_ports; j++) {
			if (strcmp(b->ports[j].name, name) == 0) {
				if (bridge != NULL)
					*bridge = b;
				return &b->ports[j];
			}
		}
	}
	return NULL;
}

static bool
str_equal(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

bool
vconf_vlan_equal(const struct vconf_vlan *a, const struct vconf_vlan *b)
{
	return a->has_tag == b->has_tag && (!a->has_tag || a->tag == b->tag) &&
		str_equal(a->mode, b->mode) && a->n_trunks == b->n_trunks &&
		(a->n_trunks == 0 ||
		memcmp(a->trunks, b->trunks, a->n_trunks * sizeof(*a->trunks)) == 0);
}

static bool
ifaces_equal(const struct vconf_port *a, const struct vconf_port *b)
{
	if (a->n_ifaces != b->n_ifaces)
		return false;
	for (size_t i = 0; i < a->n_ifaces; i++) {
		const struct vconf_iface *x = &a->ifaces[i], *y = &b->ifaces[i];

		if (!str_equal(x->name, y->name) || !str_equal(x->type, y->type) ||
				!vconf_map_equal(&x->options, &y->options) ||
				!vconf_map_equal(&x->extra, &y->extra))
			return false;
	}
	return true;
}

bool
vconf_port_equal(const struct vconf_port *a, const struct vconf_port *b)
{
	return str_equal(a->name, b->name) && str_equal(a->type, b->type) &&
		a->ofport_request == b->ofport_request && a->mtu_request == b->mtu_request &&
		vconf_map_equal(&a->options, &b->options) && vconf_vlan_equal(&a->vlan, &b->vlan) &&
		vconf_map_equal(&a->extra, &b->extra) && ifaces_equal(a, b);
}

static bool
names_equal(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!str_equal(a[i], b[i]))
			return false;
	return true;
}

bool
vconf_mirror_equal(const struct vconf_mirror *a, const struct vconf_mirror *b)
{
	return str_equal(a->name, b->name) && a->select_all == b->select_all &&
		names_equal(a->src, a->n_src, b->src, b->n_src) &&
		names_equal(a->dst, a->n_dst, b->dst, b->n_dst) &&
		a->n_vlans == b->n_vlans && (a->n_vlans == 0 ||
		memcmp(a->vlans, b->vlans, a->n_vlans * sizeof(*a->vlans)) == 0) &&
		str_equal(a->output_port, b->output_port) && str_equal(a->uuid, b->uuid) &&
		vconf_map_equal(&a->extra, &b->extra);
}

bool
vconf_bridge_settings_equal(const struct vconf_bridge *a, const struct vconf_bridge *b)
{
	if (a->n_controllers != b->n_controllers || a->n_mirrors != b->n_mirrors)
		return false;
	for (size_t i = 0; i < a->n_mirrors; i++)
		if (!vconf_mirror_equal(&a->mirrors[i], &b->mirrors[i]))
			return false;
	for (size_t i = 0; i < a->n_controllers; i++) {
		const struct vconf_controller *x = &a->controllers[i], *y = &b->controllers[i];

		if (!str_equal(x->target, y->target) || x->inactivity_probe != y->inactivity_probe ||
				x->max_backoff != y->max_backoff)
			return false;
	}
	return str_equal(a->fail_mode, b->fail_mode) && vconf_map_equal(&a->extra, &b->extra);
}

bool
vconf_controller_target_ok(const char *t)
{
	static const char *const kinds[] = { "tcp:", "unix:", "ptcp:", "punix:" };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i]);

		if (strncmp(t, kinds[i], n) == 0)
			return t[n] != '\0' || strcmp(kinds[i], "ptcp:") == 0;
	}
	return false;
}

bool
vconf_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= VCONF_NAME_MAX && strchr(name, '/') == NULL;
}

int
vconf_dpid_parse(const char *s, uint64_t *out)
{
	const char *hex = s;
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		hex = s + 2;
	else if (strlen(s) != 16)
		return -EINVAL;
	if (*hex == '\0' || strlen(hex) > 16)
		return -EINVAL;
	for (const char *p = hex; *p != '\0'; p++) {
		int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 :
			*p >= 'A' && *p <= 'F' ? *p - 'A' + 10 : -1;

		if (d < 0)
			return -EINVAL;
		v = v << 4 | (uint64_t)d;
	}
	if (v == 0)
		return -EINVAL;
	*out = v;
	return 0;
}

int
vconf_bridge_dpid(const struct vconf_bridge *b, uint64_t *out)
{
	const char *v = vconf_map_get(&b->extra, "Bridge:other_config:datapath-id");

	return v == NULL ? -ENOENT : vconf_dpid_parse(v, out);
}

static int
cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

int
vconf_vlan_parse_list(const char *s, uint16_t **out, size_t *n)
{
	uint16_t *v = NULL;
	size_t k = 0;
	const char *p = s;

	*out = NULL;
	*n = 0;
	while (*p != '\0') {
		char *end;
		long lo, hi;

		while (*p == ' ')
			p++;
		lo = strtol(p, &end, 10);
		if (end == p || lo < 0 || lo > 4095)
			goto bad;
		hi = lo;
		p = end;
		if (*p == '-') {
			hi = strtol(p + 1, &end, 10);
			if (end == p + 1 || hi < lo || hi > 4095)
				goto bad;
			p = end;
		}
		while (*p == ' ')
			p++;
		if (*p == ',')
			p++;
		else if (*p != '\0')
			goto bad;
		for (long x = lo; x <= hi; x++) {
			uint16_t *nv;

			if (k % 64 == 0) {
				nv = realloc(v, (k + 64) * sizeof(*v));
				if (nv == NULL) {
					free(v);
					return -ENOMEM;
				}
				v = nv;
			}
			v[k++] = (uint16_t)x;
		}
	}
	if (k > 0) {
		size_t w = 1;

		qsort(v, k, sizeof(*v), cmp_u16);
		for (size_t i = 1; i < k; i++)
			if (v[i] != v[w - 1])
				v[w++] = v[i];
		k = w;
	}
	*out = v;
	*n = k;
	return 0;
bad:
	free(v);
	return -EINVAL;
}

int
vconf_rxq_affinity_parse(const char *s, int16_t *core, size_t n)
{
	const char *p = s;

	for (size_t q = 0; q < n; q++)
		core[q] = -1;
	while (*p != '\0') {
		char *end;
		long q, c;

		q = strtol(p, &end, 10);
		if (end == p || *end != ':' || q < 0 || (size_t)q >= n)
			return -EINVAL;
		p = end + 1;
		c = strtol(p, &end, 10);
		if (end == p || c < 0 || c > 1023)
			return -EINVAL;
		core[q] = (int16_t)c;
		p = end;
		if (*p == ',')
			p++;
		else if (*p != '\0')
			return -EINVAL;
	}
	return 0;
}
