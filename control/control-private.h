/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_CONTROL_PRIVATE_H
#define VIREO_CONTROL_PRIVATE_H

/*
 * Internals of control/, shared by its files only.
 *
 * Framing: a message is one JSON object or array.  The scanner finds where it ends by
 * counting brackets outside strings, so a message split across reads waits for its tail and
 * several messages in one read are served one by one; jansson then parses exactly that span.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "control.h"

/** Input a connection may buffer before it is dropped. */
#define CONTROL_MAX_INPUT (4u << 20)

/** The bracket scanner's state over one growing input buffer. */
struct control_frame {
	size_t pos;		/**< Next byte to scan. */
	size_t start;		/**< Offset of the message's first byte. */
	int depth;		/**< Open brackets; 0 before the message starts. */
	bool in_str;		/**< Inside a string literal. */
	bool esc;		/**< The previous byte was a backslash in a string. */
};

/**
 * Scan 'buf' ('len' bytes) from where the last call stopped.
 * @return 1 with the message in ['*start', '*end') (the caller then drops the bytes up to
 *   '*end' and resets 'f'), 0 when the message is incomplete, -1 when the input cannot be
 *   JSON-RPC (it does not start with '{' or '[', or closes a bracket it never opened).
 */
int control_frame_next(struct control_frame *f, const char *buf, size_t len,
		size_t *start, size_t *end);

/** Forget the scan state after the caller consumed bytes. */
void control_frame_reset(struct control_frame *f);

/**
 * Input of one connection: bytes [off, len) of 'buf' are not consumed yet.  Taking a message
 * only moves 'off'; the unconsumed tail moves to the front once per read (in
 * control_inbuf_reserve()), so the work stays linear in the input however many messages one
 * read brings.  Only the tail of an incomplete message is ever moved, and at most once
 * before it completes.
 */
struct control_inbuf {
	char *buf;
	size_t off;
	size_t len;
	size_t cap;
	struct control_frame frame;	/**< Positions are offsets in 'buf'. */
};

/**
 * The next complete message of 'ib': 1 with it in ['*msg', '*msg' + '*len') (valid until the
 * next reserve), 0 when none is complete, -1 when the input cannot be JSON-RPC.
 */
int control_inbuf_next(struct control_inbuf *ib, const char **msg, size_t *len);
/**
 * Compact 'ib' and make room for at least 'room' more bytes at 'buf' + 'len', growing the
 * buffer (by doubling, from 'first') to at most 'max' bytes.  @return 0, -EMSGSIZE when that
 * needs more than 'max', or -ENOMEM.
 */
int control_inbuf_reserve(struct control_inbuf *ib, size_t room, size_t first, size_t max);
/** Bytes not consumed yet. */
static inline size_t
control_inbuf_pending(const struct control_inbuf *ib)
{
	return ib->len - ib->off;
}
void control_inbuf_free(struct control_inbuf *ib);

/** One connection of a server. */
struct control_conn {
	struct control_conn *next;
	struct control_conn **pprev;
	struct control_server *srv;
	int fd;
	enum control_format format;
	bool eof;		/**< The peer closed its side: serve what is left, then close. */
	bool dead;		/**< An I/O or protocol error: close at the end of this event. */
	bool replied;		/**< The current request has been answered. */
	uint64_t last_active;	/**< The server's activity count when it last moved bytes. */
	json_t *req_id;		/**< Id of the request being served, NULL between requests. */
	struct control_inbuf in;
	char *out;
	size_t out_len;
	size_t out_off;		/**< Bytes of 'out' already written. */
	size_t out_cap;
};

/** Queue the JSON-RPC reply ('result' or 'error', whichever is not NULL; both stolen). */
void control_conn_send_reply(struct control_conn *conn, json_t *result, json_t *error);

/**
 * Run the command 'method' with 'params' (a JSON array) on 'conn'.  Replies with an error
 * for an unknown command, a wrong argument count or a non-string argument.
 */
void control_dispatch(struct control_conn *conn, const char *method, json_t *params);

/** Set the format of 'conn' (used by the "set-options" built-in). */
void control_conn_set_format(struct control_conn *conn, enum control_format fmt);

/** Build the request {"method","params","id"} as compact JSON text (malloc'd, or NULL). */
char *control_request_encode(const char *method, int argc, const char *argv[], int id);

#endif /* VIREO_CONTROL_PRIVATE_H */
