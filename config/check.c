/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Semantic checks shared by every configuration source: which other_config keys, port types
 * and options exist, and what their values may be.  The YAML loader treats a failure as fatal
 * (nothing starts); the dataplane reports a port that fails them as that port's error.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

/* A key and what its value may be: 'check' for text, else a decimal in [min, max]. */
struct option_rule {
	const char *key;
	int (*check)(const char *value);
	unsigned long min;
	unsigned long max;
};

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

int
vconf_parse_uint(const char *key, const char *val, unsigned long min, unsigned long max,
		unsigned long *out, char **err)
{
	unsigned long x = 0;
	bool over = false;
	const char *p;

	*err = NULL;
	for (p = val; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (x > (ULONG_MAX - d) / 10)
			over = true;
		else
			x = x * 10 + d;
	}
	if (p == val || *p != '\0') {
		*err = fmt("key '%s': '%s' is not a decimal integer", key, val);
		return -EINVAL;
	}
	if (over || x < min || x > max) {
		*err = fmt("key '%s': '%s' is out of range %lu..%lu", key, val, min, max);
		return -EINVAL;
	}
	*out = x;
	return 0;
}

static int
check_mask(const char *v)
{
	const char *p = v;

	if (strncmp(p, "0x", 2) == 0 || strncmp(p, "0X", 2) == 0)
		p += 2;
	if (*p == '\0')
		return -1;
	for (; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') ||
				(*p >= 'A' && *p <= 'F')))
			return -1;
	return 0;
}

/* "MB,MB,...": one amount per NUMA node. */
static int
check_socket_mem(const char *v)
{
	char *copy = strdup(v), *save = NULL, *why = NULL;
	unsigned long mb;
	int rc = 0;

	if (copy == NULL || *v == '\0')
		rc = -1;
	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
		if (vconf_parse_uint("", t, 0, UINT32_MAX, &mb, &why) < 0)
			rc = -1;
		free(why);
	}
	free(copy);
	return rc;
}

static int
check_bool(const char *v)
{
	return (strcmp(v, "true") == 0 || strcmp(v, "false") == 0 ||
		strcmp(v, "try") == 0) ? 0 : -1;
}

static int
check_any(const char *v)
{
	(void)v;
	return 0;
}

static int
check_path(const char *v)
{
	return (*v == '\0' || strlen(v) >= 108) ? -1 : 0;
}

static const struct option_rule other_config_rules[] = {
	{ "dpdk-init", check_bool, 0, 0 },
	{ "dpdk-lcore-mask", check_mask, 0, 0 },
	{ "pmd-cpu-mask", check_mask, 0, 0 },
	{ "dpdk-socket-mem", check_socket_mem, 0, 0 },
	{ "dpdk-socket-limit", check_socket_mem, 0, 0 },
	{ "dpdk-extra", check_any, 0, 0 },
	{ "dpdk-hugepage-dir", check_path, 0, 0 },
	{ "vhost-sock-dir", check_path, 0, 0 },
	{ "pmd-rxq-assign", check_any, 0, 0 },
	{ "openflow-rundir", check_path, 0, 0 },
	{ NULL, NULL, 0, 0 },
};

/*
 * Numeric options as Open vSwitch bounds them: queues up to DPDK's RTE_MAX_QUEUES_PER_PORT,
 * descriptors up to NIC_PORT_MAX_Q_SIZE, vhost enqueue retries up to VHOST_ENQ_RETRY_MAX.
 */
static const struct option_rule dpdk_rules[] = {
	{ "dpdk-devargs", check_any, 0, 0 },
	{ "n_rxq", NULL, 1, 1024 },
	{ "n_rxq_desc", NULL, 1, 4096 },
	{ "n_txq_desc", NULL, 1, 4096 },
	{ "mtu_request", NULL, 68, 9710 },
	{ NULL, NULL, 0, 0 },
};

static const struct option_rule vhost_rules[] = {
	{ "n_rxq", NULL, 1, 1024 },
	{ NULL, NULL, 0, 0 },
};

static const struct option_rule vhost_client_rules[] = {
	{ "vhost-server-path", check_path, 0, 0 },
	{ "n_rxq", NULL, 1, 1024 },
	{ "tx-retries-max", NULL, 0, 32 },
	{ NULL, NULL, 0, 0 },
};

static const struct option_rule internal_rules[] = {
	{ NULL, NULL, 0, 0 },
};

static const struct {
	const char *type;
	const struct option_rule *rules;
	const char *required;
} port_types[] = {
	{ "dpdk", dpdk_rules, "dpdk-devargs" },
	{ "dpdkvhostuser", vhost_rules, NULL },
	{ "dpdkvhostuserclient", vhost_client_rules, "vhost-server-path" },
	{ "internal", internal_rules, NULL },
};

static char *
fmt(const char *f, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static const struct option_rule *
find_rule(const struct option_rule *rules, const char *key)
{
	for (; rules->key; rules++)
		if (strcmp(rules->key, key) == 0)
			return rules;
	return NULL;
}

int
vconf_check_other_config(const struct vconf_kv *kv, char **err)
{
	const struct option_rule *r = find_rule(other_config_rules, kv->key);

	if (r == NULL) {
		*err = fmt("key 'other_config:%s': unknown key", kv->key);
		return -EINVAL;
	}
	if (r->check(kv->value) < 0) {
		*err = fmt("key 'other_config:%s': bad value '%s'", kv->key, kv->value);
		return -EINVAL;
	}
	return 0;
}

const char *const *
vconf_port_types(void)
{
	static const char *const names[] = {
		"dpdk", "dpdkvhostuser", "dpdkvhostuserclient", "internal", NULL
	};
	return names;
}

int
vconf_check_port(const struct vconf_port *p, int *line, char **err)
{
	size_t t;

	*line = p->line;
	if (p->type == NULL || *p->type == '\0') {
		*err = fmt("port '%s': key 'type' is missing (one of dpdk, dpdkvhostuser, "
			"dpdkvhostuserclient)", p->name);
		return -EINVAL;
	}
	for (t = 0; t < sizeof(port_types) / sizeof(port_types[0]); t++)
		if (strcmp(port_types[t].type, p->type) == 0)
			break;
	if (t == sizeof(port_types) / sizeof(port_types[0])) {
		*err = fmt("port '%s': key 'type': unknown port type '%s' (one of dpdk, "
			"dpdkvhostuser, dpdkvhostuserclient)", p->name, p->type);
		return -EINVAL;
	}
	for (size_t i = 0; i < p->options.n; i++) {
		const struct vconf_kv *kv = &p->options.kv[i];
		const struct option_rule *r = find_rule(port_types[t].rules, kv->key);

		if (kv->line)
			*line = kv->line;
		if (r == NULL) {
			*err = fmt("port '%s': key 'options:%s': unknown option for type %s",
				p->name, kv->key, p->type);
			return -EINVAL;
		}
		if (r->check == NULL) {
			char key[128], *why = NULL;
			unsigned long v;

			snprintf(key, sizeof(key), "options:%s", kv->key);
			if (vconf_parse_uint(key, kv->value, r->min, r->max, &v, &why) < 0) {
				*err = fmt("port '%s': %s", p->name, why ? why : "out of memory");
				free(why);
				return -EINVAL;
			}
		} else if (r->check(kv->value) < 0) {
			*err = fmt("port '%s': key 'options:%s': bad value '%s'", p->name,
				kv->key, kv->value);
			return -EINVAL;
		}
	}
	*line = p->line;
	if (port_types[t].required && vconf_map_get(&p->options, port_types[t].required) == NULL) {
		*err = fmt("port '%s': key 'options:%s' is required for type %s", p->name,
			port_types[t].required, p->type);
		return -EINVAL;
	}
	if (p->mtu_request < 0 || p->mtu_request > 9710) {
		*err = fmt("port '%s': key 'mtu_request': %" PRId64 " is out of range 68..9710",
			p->name, p->mtu_request);
		return -EINVAL;
	}
	if (p->ofport_request < 0 || p->ofport_request > 65279) {
		*err = fmt("port '%s': key 'ofport_request': %" PRId64 " is out of range 1..65279",
			p->name, p->ofport_request);
		return -EINVAL;
	}
	return 0;
}
