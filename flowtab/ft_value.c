/* SPDX-License-Identifier: BSD-3-Clause */
/* Parsing of numbers, addresses and ports in rule text. */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ft_value.h"

int
ft_parse_uint(const char *s, uint64_t max, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *end || x > max)
		return -EINVAL;
	*v = x;
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
ft_parse_mac(const char *s, uint8_t mac[6])
{
	int i, hi, lo;

	for (i = 0; i < 6; i++) {
		hi = hexval(s[0]);
		lo = hi < 0 ? -1 : hexval(s[1]);
		if (lo < 0)
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i < 5 && *s++ != ':')
			return -EINVAL;
	}
	return *s ? -EINVAL : 0;
}

int
ft_parse_ipv4(const char *s, uint32_t *be)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*be = a.s_addr;
	return 0;
}

int
ft_parse_ipv6(const char *s, uint8_t a[16])
{
	return inet_pton(AF_INET6, s, a) == 1 ? 0 : -EINVAL;
}

int
ft_parse_port(const char *s, const struct flowtab_port_ops *ports, uint32_t *port,
		const char **why)
{
	uint64_t v;

	if (isdigit((unsigned char)s[0])) {
		if (ft_parse_uint(s, UINT32_MAX - 1, &v)) {
			*why = "not a valid port number";
			return -EINVAL;
		}
		*port = (uint32_t)v;
		return 0;
	}
	if (!strcasecmp(s, "LOCAL")) {
		*port = FLOWTAB_OFPP_LOCAL;
		return 0;
	}
	if (ports && ports->by_name && ports->by_name(ports->aux, s, port) == 0)
		return 0;
	*why = "no such port";
	return -EINVAL;
}

char *
ft_field_error(const char *field, const char *fmt, ...)
{
	char *why = NULL, *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&why, fmt, ap) < 0)
		why = NULL;
	va_end(ap);
	if (asprintf(&msg, "field '%s': %s", field, why ? why : "out of memory") < 0)
		msg = NULL;
	free(why);
	return msg;
}
