/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_FT_VALUE_H
#define VIREO_FT_VALUE_H

/* Value syntax shared by the match and action parsers.  All return 0 or -EINVAL. */

#include <stdint.h>

#include "flowtab.h"

/** Unsigned integer, decimal or 0x-hex, at most 'max'. */
int ft_parse_uint(const char *s, uint64_t max, uint64_t *v);
int ft_parse_mac(const char *s, uint8_t mac[6]);
/** Dotted quad, result in network order. */
int ft_parse_ipv4(const char *s, uint32_t *be);
int ft_parse_ipv6(const char *s, uint8_t a[16]);
/** A port number or name; '*why' is set (static text) on failure. */
int ft_parse_port(const char *s, const struct flowtab_port_ops *ports, uint32_t *port,
		const char **why);
/** malloc'd "field 'F': why" (printf-style 'why'). */
char *ft_field_error(const char *field, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* VIREO_FT_VALUE_H */
