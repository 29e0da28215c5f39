/* SPDX-License-Identifier: BSD-3-Clause */
/* ovs-ofctl's group text ("group_id=1,type=select,bucket=weight:2,actions=output:1,...")
 * into a 'struct flowtab_group_spec' (flowtab_gm.h). */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ft_gm.h"
#include "ft_value.h"

/* The next "key=value" or "key:value" item of 'p' (commas split, parentheses nest). */
static char *
next_item(char **p)
{
	char *start, *q;
	int depth = 0;

	while (**p == ',' || isspace((unsigned char)**p))
		(*p)++;
	if (!**p)
		return NULL;
	start = *p;
	for (q = start; *q && (depth > 0 || *q != ','); q++) {
		if (*q == '(')
			depth++;
		else if (*q == ')')
			depth--;
	}
	if (*q)
		*q++ = '\0';
	*p = q;
	return start;
}

/* Split "key=value" / "key:value" at the first '=' or ':'; NULL value when neither. */
static char *
split_kv(char *item)
{
	char *sep = item + strcspn(item, "=:");

	if (!*sep)
		return NULL;
	*sep = '\0';
	return sep + 1;
}

/* One bucket: its properties, then the rest of the text up to the next "bucket=" as actions. */
static const char *
parse_bucket(char *text, const struct flowtab_port_ops *ports, struct flowtab_bucket_spec *b,
		bool *weight_given)
{
	const char *why = NULL;
	char *p = text, *item, *val, sepc;
	uint64_t v;
	size_t klen;

	b->watch_port = FLOWTAB_PORT_NONE;
	b->watch_group = FLOWTAB_GROUP_ANY;
	b->actions = "";
	for (;;) {
		item = next_item(&p);
		if (item == NULL)
			return NULL;
		klen = strcspn(item, "=:");
		sepc = item[klen];
		val = split_kv(item);
		if (!strcmp(item, "actions")) {
			b->actions = val;
			if (*p)
				p[-1] = ',';   /* the actions run to the end */
			return NULL;
		}
		if (!strcmp(item, "weight") && val) {
			if (ft_parse_uint(val, UINT16_MAX, &v))
				return "weight: expected 0..65535";
			b->weight = (uint16_t)v;
			*weight_given = true;
		} else if (!strcmp(item, "watch_port") && val) {
			if (ft_parse_port(val, ports, &b->watch_port, &why))
				return why;
		} else if (!strcmp(item, "watch_group") && val) {
			if (ft_parse_uint(val, FLOWTAB_GROUP_MAX_ID, &v))
				return "watch_group: expected a group number";
			b->watch_group = (uint32_t)v;
		} else if (!strcmp(item, "bucket_id") && val) {
			if (ft_parse_uint(val, UINT32_MAX, &v))
				return "bucket_id: expected a number";
		} else {
			/* No property: this and the rest are the actions. */
			item[klen] = sepc;
			b->actions = item;
			if (*p)
				p[-1] = ',';
			return NULL;
		}
	}
}

int
flowtab_group_parse(const char *text, const struct flowtab_port_ops *ports,
		struct flowtab_group_spec *spec, char **buf, char **err)
{
	bool weight_given[FLOWTAB_GROUP_MAX_BUCKETS] = { false };
	char *p, *b, *item, *val, *next;
	bool have_id = false;
	const char *why;
	unsigned i;
	uint64_t v;

	memset(spec, 0, sizeof(*spec));
	*err = NULL;
	*buf = strdup(text);
	if (*buf == NULL)
		return -ENOMEM;
	/* Buckets first: cut the text at each "bucket=". */
	p = *buf;
	b = strstr(p, "bucket=");
	if (b) {
		*b = '\0';
		b += strlen("bucket=");
	}
	while ((item = next_item(&p)) != NULL) {
		val = split_kv(item);
		if (!strcmp(item, "group_id") && val) {
			if (!strcasecmp(val, "all"))
				v = FLOWTAB_GROUP_ALL;
			else if (ft_parse_uint(val, FLOWTAB_GROUP_MAX_ID, &v))
				goto bad_id;
			spec->group_id = (uint32_t)v;
			have_id = true;
		} else if (!strcmp(item, "type") && val) {
			for (i = 0; i < 4 && strcmp(val, ft_group_types[i]); i++)
				;
			if (i == 4 && !strcmp(val, "fast_failover"))
				i = FLOWTAB_GROUP_TYPE_FF;
			if (i == 4) {
				*err = ft_field_error("type", "'%s': expected all, select, "
					"indirect or ff", val);
				return -EINVAL;
			}
			spec->type = (uint8_t)i;
		} else {
			*err = ft_field_error(item, "unknown group field");
			return -EINVAL;
		}
	}
	if (!have_id) {
		*err = ft_field_error("group_id", "missing");
		return -EINVAL;
	}
	while (b) {
		next = strstr(b, ",bucket=");
		if (next) {
			*next = '\0';
			next += strlen(",bucket=");
		}
		if (spec->n_buckets == FLOWTAB_GROUP_MAX_BUCKETS) {
			*err = ft_field_error("bucket", "more than %d", FLOWTAB_GROUP_MAX_BUCKETS);
			return -EINVAL;
		}
		why = parse_bucket(b, ports, &spec->buckets[spec->n_buckets],
				&weight_given[spec->n_buckets]);
		if (why) {
			*err = ft_field_error("bucket", "%s", why);
			return -EINVAL;
		}
		spec->n_buckets++;
		b = next;
	}
	for (i = 0; i < spec->n_buckets; i++)
		if (!weight_given[i] && spec->type == FLOWTAB_GROUP_TYPE_SELECT)
			spec->buckets[i].weight = 1;
	return 0;
bad_id:
	*err = ft_field_error("group_id", "'%s': expected a group number", val);
	return -EINVAL;
}
