/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where one JSON-RPC message ends in a byte stream.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "control-private.h"

void
control_frame_reset(struct control_frame *f)
{
	memset(f, 0, sizeof(*f));
}

static int
frame_open(struct control_frame *f, char c)
{
	switch (c) {
	case ' ':
	case '\t':
	case '\r':
	case '\n':
		return 0;
	case '{':
	case '[':
		f->start = f->pos;
		f->depth = 1;
		return 0;
	default:
		return -1;
	}
}

static void
frame_string(struct control_frame *f, char c)
{
	if (f->esc)
		f->esc = false;
	else if (c == '\\')
		f->esc = true;
	else if (c == '"')
		f->in_str = false;
}

int
control_frame_next(struct control_frame *f, const char *buf, size_t len,
		size_t *start, size_t *end)
{
	for (; f->pos < len; f->pos++) {
		char c = buf[f->pos];

		if (f->depth == 0) {
			if (frame_open(f, c) < 0)
				return -1;
			continue;
		}
		if (f->in_str) {
			frame_string(f, c);
			continue;
		}
		switch (c) {
		case '"':
			f->in_str = true;
			break;
		case '{':
		case '[':
			f->depth++;
			break;
		case '}':
		case ']':
			if (--f->depth == 0) {
				*start = f->start;
				*end = ++f->pos;
				return 1;
			}
			break;
		default:
			break;
		}
	}
	return 0;
}

int
control_inbuf_next(struct control_inbuf *ib, const char **msg, size_t *len)
{
	size_t start, end;
	int r;

	if (ib->frame.pos < ib->off)
		ib->frame.pos = ib->off;
	r = control_frame_next(&ib->frame, ib->buf, ib->len, &start, &end);
	if (r <= 0)
		return r;
	*msg = ib->buf + start;
	*len = end - start;
	ib->off = end;
	control_frame_reset(&ib->frame);
	ib->frame.pos = end;
	return 1;
}

int
control_inbuf_reserve(struct control_inbuf *ib, size_t room, size_t first, size_t max)
{
	size_t cap = ib->cap ? ib->cap : first;
	char *p;

	if (ib->off > 0) {
		memmove(ib->buf, ib->buf + ib->off, ib->len - ib->off);
		ib->len -= ib->off;
		ib->frame.pos -= ib->off;
		if (ib->frame.depth > 0)
			ib->frame.start -= ib->off;
		ib->off = 0;
	}
	if (ib->buf != NULL && ib->cap - ib->len >= room)
		return 0;
	while (cap - ib->len < room)
		cap *= 2;
	if (cap > max)
		return -EMSGSIZE;
	p = realloc(ib->buf, cap);
	if (p == NULL)
		return -ENOMEM;
	ib->buf = p;
	ib->cap = cap;
	return 0;
}

void
control_inbuf_free(struct control_inbuf *ib)
{
	free(ib->buf);
	memset(ib, 0, sizeof(*ib));
}
