/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where one JSON-RPC message ends in a byte stream.
 */
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
