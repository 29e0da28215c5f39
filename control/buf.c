/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * control_buf: a growable text buffer for building replies, and control_strf().
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"

static void
buf_reserve(struct control_buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 256;
	char *s;

	if (b->len + more + 1 <= b->cap)
		return;
	while (cap < b->len + more + 1)
		cap *= 2;
	s = realloc(b->s, cap);
	if (s == NULL)
		abort();
	b->s = s;
	b->cap = cap;
}

void
control_buf_printf(struct control_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *
control_buf_steal(struct control_buf *b)
{
	char *s = b->s;

	if (s == NULL) {
		s = strdup("");
		if (s == NULL)
			abort();
	}
	memset(b, 0, sizeof(*b));
	return s;
}

void
control_buf_free(struct control_buf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

char *
control_strf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}
