/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The connection to ovsdb-server: remote syntax, non-blocking connect, framing of the input
 * into JSON-RPC messages and buffered output.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ovsdb-private.h"

static char *
msg_printf(const char *fmt, const char *arg)
{
	char *s;

	if (asprintf(&s, fmt, arg) < 0)
		return NULL;
	return s;
}

static int
parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > 65535)
		return -1;
	*port = v;
	return 0;
}

int
vovsdb_remote_parse(const char *s, struct vovsdb_remote *r, char **err)
{
	const char *hp, *colon;
	struct in6_addr a6;
	struct in_addr a4;

	memset(r, 0, sizeof(*r));
	if (!strncmp(s, "unix:", 5)) {
		if (!s[5] || strlen(s + 5) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			*err = msg_printf("remote '%s': bad or too long socket path", s);
			return -EINVAL;
		}
		r->family = AF_UNIX;
		r->path = strdup(s + 5);
		return r->path ? 0 : -ENOMEM;
	}
	if (strncmp(s, "tcp:", 4)) {
		*err = msg_printf("remote '%s': expected unix:PATH or tcp:IP:PORT", s);
		return -EINVAL;
	}
	hp = s + 4;
	if (*hp == '[') {
		const char *close = strchr(hp, ']');

		if (!close || close[1] != ':')
			goto bad;
		r->host = strndup(hp + 1, close - hp - 1);
		colon = close + 1;
		r->family = AF_INET6;
	} else {
		colon = strrchr(hp, ':');
		if (!colon)
			goto bad;
		r->host = strndup(hp, colon - hp);
		r->family = AF_INET;
	}
	if (!r->host)
		return -ENOMEM;
	if (parse_port(colon + 1, &r->port))
		goto bad;
	if (r->family == AF_INET ? inet_pton(AF_INET, r->host, &a4) != 1
	    : inet_pton(AF_INET6, r->host, &a6) != 1)
		goto bad;
	return 0;
bad:
	vovsdb_remote_free(r);
	*err = msg_printf("remote '%s': expected tcp:IP:PORT with a numeric IP address", s);
	return -EINVAL;
}

void
vovsdb_remote_free(struct vovsdb_remote *r)
{
	free(r->path);
	free(r->host);
	memset(r, 0, sizeof(*r));
}

int
vovsdb_conn_open(struct vovsdb_conn *c, const struct vovsdb_remote *r)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (r->family == AF_UNIX) {
		struct sockaddr_un *un = (struct sockaddr_un *)&ss;

		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, r->path, strlen(r->path) + 1);
		len = sizeof(*un);
	} else if (r->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(r->port);
		inet_pton(AF_INET, r->host, &in->sin_addr);
		len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(r->port);
		inet_pton(AF_INET6, r->host, &in6->sin6_addr);
		len = sizeof(*in6);
	}
	fd = socket(r->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (r->family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	c->connecting = false;
	c->in_off = 0;
	c->in_len = 0;
	c->out_len = 0;
	c->out_off = 0;
	memset(&c->frame, 0, sizeof(c->frame));
	if (connect(fd, (struct sockaddr *)&ss, len) == 0)
		return 0;
	if (errno == EINPROGRESS) {
		c->connecting = true;
		return 0;
	}
	{
		int e = -errno;

		close(fd);
		c->fd = -1;
		return e;
	}
}

int
vovsdb_conn_finish(struct vovsdb_conn *c)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		return -errno;
	if (soerr)
		return -soerr;
	if (getpeername(c->fd, (struct sockaddr *)&peer, &plen) < 0)
		return errno == ENOTCONN ? 0 : -errno;
	c->connecting = false;
	return 1;
}

void
vovsdb_conn_close(struct vovsdb_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->connecting = false;
	c->in_off = 0;
	c->in_len = 0;
	c->out_len = 0;
	c->out_off = 0;
	memset(&c->frame, 0, sizeof(c->frame));
}

int
vovsdb_conn_read(struct vovsdb_conn *c)
{
	int rounds, total = 0;

	if (c->in_off > 0) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->frame.pos -= c->in_off;
		if (c->frame.depth > 0)
			c->frame.start -= c->in_off;
		c->in_off = 0;
	}
	for (rounds = 0; rounds < 64; rounds++) {
		ssize_t n;

		if (c->in_cap - c->in_len < 65536) {
			size_t cap = c->in_cap ? c->in_cap * 2 : 131072;
			char *p;

			if (cap > VOVSDB_MAX_MSG + 131072u)
				return -EMSGSIZE;
			p = realloc(c->in, cap);
			if (!p)
				return -ENOMEM;
			c->in = p;
			c->in_cap = cap;
		}
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
		if (n == 0)
			return -EPIPE;
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return total;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c->in_len += n;
		total += n;
		if ((unsigned)total >= VOVSDB_READ_BURST)
			return total;	/* serve these first: the socket holds the rest */
		if (c->in_len - c->frame.start > VOVSDB_MAX_MSG)
			return -EMSGSIZE;
	}
	return total;
}

int
vovsdb_frame_next(struct vovsdb_frame *f, const char *buf, size_t len, size_t *start,
		size_t *end)
{
	for (; f->pos < len; f->pos++) {
		char ch = buf[f->pos];

		if (f->depth == 0) {
			if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
				continue;
			if (ch != '{' && ch != '[')
				return -1;
			f->start = f->pos;
			f->depth = 1;
			continue;
		}
		if (f->in_str) {
			if (f->esc)
				f->esc = false;
			else if (ch == '\\')
				f->esc = true;
			else if (ch == '"')
				f->in_str = false;
			continue;
		}
		if (ch == '"') {
			f->in_str = true;
		} else if (ch == '{' || ch == '[') {
			f->depth++;
		} else if (ch == '}' || ch == ']') {
			if (--f->depth == 0) {
				*start = f->start;
				*end = ++f->pos;
				return 1;
			}
		}
	}
	return 0;
}

int
vovsdb_conn_next(struct vovsdb_conn *c, json_t **msg, char *why, size_t why_len)
{
	size_t start = 0, end = 0;
	json_error_t jerr;
	json_t *v;
	int rc;

	if (c->frame.pos < c->in_off)
		c->frame.pos = c->in_off;
	rc = vovsdb_frame_next(&c->frame, c->in, c->in_len, &start, &end);
	if (rc < 0) {
		snprintf(why, why_len, "input is not a JSON object (byte 0x%02x)",
				(unsigned char)c->in[c->frame.pos]);
		return -EPROTO;
	}
	if (rc == 0) {
		if (c->frame.depth == 0) {	/* only blanks left */
			c->in_off = c->in_len = 0;
			memset(&c->frame, 0, sizeof(c->frame));
		}
		return 0;
	}
	v = json_loadb(c->in + start, end - start, JSON_DECODE_ANY, &jerr);
	c->in_off = end;
	memset(&c->frame, 0, sizeof(c->frame));
	c->frame.pos = end;
	if (!v) {
		snprintf(why, why_len, "invalid JSON: %s", jerr.text);
		return -EPROTO;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		snprintf(why, why_len, "JSON-RPC message is not an object");
		return -EPROTO;
	}
	*msg = v;
	return 1;
}

int
vovsdb_conn_send(struct vovsdb_conn *c, const json_t *msg)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	size_t n;

	if (!s)
		return -ENOMEM;
	n = strlen(s);
	if (c->out_len + n > VOVSDB_MAX_OUT) {
		free(s);
		return -ENOBUFS;
	}
	if (c->out_off && c->out_off == c->out_len) {
		c->out_len = 0;
		c->out_off = 0;
	}
	{
		char *p = realloc(c->out, c->out_len + n);

		if (!p) {
			free(s);
			return -ENOMEM;
		}
		c->out = p;
	}
	memcpy(c->out + c->out_len, s, n);
	c->out_len += n;
	free(s);
	return 0;
}

int
vovsdb_conn_flush(struct vovsdb_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c->out_off += n;
	}
	c->out_len = 0;
	c->out_off = 0;
	return 0;
}
