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
vconf_port_free(struct vconf_port *p)
{
	free(p->name);
	free(p->type);
	vconf_map_free(&p->options);
	memset(p, 0, sizeof(*p));
}

static void
bridge_free(struct vconf_bridge *b)
{
	for (size_t i = 0; i < b->n_ports; i++)
		vconf_port_free(&b->ports[i]);
	free(b->ports);
	for (size_t i = 0; i < b->n_flows; i++)
		free(b->flows[i].text);
	free(b->flows);
	free(b->name);
	free(b->datapath_type);
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
	if (map_copy(&dst->options, &src->options) < 0)
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
