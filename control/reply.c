/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Replies: JSON-RPC encoding of results and errors, in the connection's format.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control-private.h"

static void
out_append(struct control_conn *conn, const char *s, size_t n)
{
	if (conn->out_off == conn->out_len)
		conn->out_off = conn->out_len = 0;
	if (conn->out_len + n > conn->out_cap) {
		size_t cap = conn->out_cap ? conn->out_cap : 4096;
		char *p;

		while (cap < conn->out_len + n)
			cap *= 2;
		p = realloc(conn->out, cap);
		if (p == NULL)
			abort();
		conn->out = p;
		conn->out_cap = cap;
	}
	memcpy(conn->out + conn->out_len, s, n);
	conn->out_len += n;
}

void
control_conn_send_reply(struct control_conn *conn, json_t *result, json_t *error)
{
	json_t *msg;
	char *text;

	if (conn->req_id == NULL || conn->replied) {
		fprintf(stderr, "control: a command replied twice; reply dropped\n");
		json_decref(result);
		json_decref(error);
		return;
	}
	conn->replied = true;
	msg = json_pack("{s:o, s:o, s:O}",
		"result", result ? result : json_null(),
		"error", error ? error : json_null(),
		"id", conn->req_id);
	if (msg == NULL)
		abort();
	text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (text == NULL)
		abort();
	out_append(conn, text, strlen(text));
	free(text);
}

/* OVS's unixctl ends every non-empty text reply with a newline; so do we. */
static json_t *
text_body(const char *text)
{
	size_t n;
	json_t *j;

	if (text == NULL)
		text = "";
	n = strlen(text);
	if (n == 0 || text[n - 1] == '\n') {
		j = json_string(text);
	} else {
		char *s = malloc(n + 2);

		if (s == NULL)
			abort();
		memcpy(s, text, n);
		s[n] = '\n';
		s[n + 1] = '\0';
		j = json_string(s);
		free(s);
	}
	if (j == NULL)
		j = json_string("(reply was not valid UTF-8)\n");
	return j;
}

void
control_reply(struct control_conn *conn, const char *text)
{
	control_conn_send_reply(conn, text_body(text), NULL);
}

void
control_reply_error(struct control_conn *conn, const char *text)
{
	control_conn_send_reply(conn, NULL, text_body(text));
}

void
control_reply_json(struct control_conn *conn, json_t *result)
{
	char *text;

	if (result == NULL) {
		control_reply_error(conn, "internal error: no result");
		return;
	}
	if (conn->format == CONTROL_FMT_JSON) {
		control_conn_send_reply(conn, result, NULL);
		return;
	}
	text = json_dumps(result, JSON_INDENT(2) | JSON_ENCODE_ANY);
	json_decref(result);
	control_reply(conn, text);
	free(text);
}

static char *
vformat(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	return s;
}

void
control_replyf(struct control_conn *conn, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vformat(fmt, ap);
	va_end(ap);
	control_reply(conn, s);
	free(s);
}

void
control_reply_errorf(struct control_conn *conn, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vformat(fmt, ap);
	va_end(ap);
	control_reply_error(conn, s);
	free(s);
}

enum control_format
control_conn_format(const struct control_conn *conn)
{
	return conn->format;
}

void
control_conn_set_format(struct control_conn *conn, enum control_format fmt)
{
	conn->format = fmt;
}

char *
control_request_encode(const char *method, int argc, const char *argv[], int id)
{
	json_t *params = json_array();
	json_t *msg;
	char *text;

	if (params == NULL)
		return NULL;
	for (int i = 0; i < argc; i++) {
		if (json_array_append_new(params, json_string(argv[i])) < 0) {
			json_decref(params);
			return NULL;
		}
	}
	msg = json_pack("{s:s, s:o, s:i}", "method", method, "params", params, "id", id);
	if (msg == NULL)
		return NULL;
	text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	return text;
}
