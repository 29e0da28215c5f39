/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * control_call(): the client side, one connection per call.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control-private.h"

struct client {
	int fd;
	const char *path;
	long long deadline_ms;
	int next_id;
	struct control_inbuf in;
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for 'events' on the client's socket until the deadline: 0, or -ETIMEDOUT. */
static int
client_wait(struct client *c, short events)
{
	for (;;) {
		struct pollfd pfd = { .fd = c->fd, .events = events };
		long long left = c->deadline_ms - now_ms();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/*
 * A full listen backlog makes a non-blocking AF_UNIX connect() fail with EAGAIN at once
 * (where a blocking one, ovs-appctl's, would wait): try again after a short sleep, 1 ms
 * doubling up to 50 ms, until the deadline.  0 to try again, or -ETIMEDOUT.
 */
static int
client_backoff(struct client *c, long *sleep_ms)
{
	long long left = c->deadline_ms - now_ms();
	long ms = *sleep_ms < left ? *sleep_ms : (long)left;

	if (left <= 0)
		return -ETIMEDOUT;
	nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000 }, NULL);
	*sleep_ms = *sleep_ms < 25 ? *sleep_ms * 2 : 50;
	return 0;
}

/* A connect() in progress: wait for it, then take its outcome from SO_ERROR. */
static int
client_connect_wait(struct client *c)
{
	socklen_t len = sizeof(int);
	int r = client_wait(c, POLLOUT), soerr = 0;

	if (r < 0)
		return r;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		return -errno;
	return -soerr;
}

static int
client_connect(struct client *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	long sleep_ms = 1;

	if (strlen(c->path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, c->path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	for (;;) {
		int r;

		if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return 0;
		if (errno == EINPROGRESS)
			return client_connect_wait(c);
		if (errno != EAGAIN)
			return -errno;
		r = client_backoff(c, &sleep_ms);
		if (r < 0)
			return r;
	}
}

static int
client_send(struct client *c, const char *text)
{
	size_t len = strlen(text), off = 0;

	while (off < len) {
		ssize_t n = send(c->fd, text + off, len - off, MSG_NOSIGNAL);
		int r;

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		r = client_wait(c, POLLOUT);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Read one whole message into '*msg'. */
static int
client_recv(struct client *c, json_t **msg)
{
	for (;;) {
		const char *text;
		json_error_t jerr;
		size_t len;
		int r = control_inbuf_next(&c->in, &text, &len);
		ssize_t n;

		if (r < 0)
			return -EPROTO;
		if (r > 0) {
			*msg = json_loadb(text, len, 0, &jerr);
			return *msg ? 0 : -EPROTO;
		}
		r = control_inbuf_reserve(&c->in, 4096, 16384, SIZE_MAX / 2);
		if (r < 0)
			return r;
		n = recv(c->fd, c->in.buf + c->in.len, c->in.cap - c->in.len, 0);
		if (n > 0) {
			c->in.len += (size_t)n;
		} else if (n == 0) {
			return -ECONNRESET;
		} else if (errno != EINTR) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -errno;
			r = client_wait(c, POLLIN);
			if (r < 0)
				return r;
		}
	}
}

static char *
json_text(json_t *j)
{
	if (json_is_string(j))
		return strdup(json_string_value(j));
	return json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY);
}

/* One request and its reply: 0 with the result, 1 with the server's error, or -errno. */
static int
client_transact(struct client *c, const char *method, int argc, const char *argv[],
		char **result)
{
	int id = c->next_id++;
	char *req = control_request_encode(method, argc, argv, id);
	json_t *reply = NULL, *err, *res, *rid;
	int r;

	if (req == NULL) {
		*result = control_strf("%s: cannot encode request (arguments must be UTF-8)", c->path);
		return -EINVAL;
	}
	r = client_send(c, req);
	free(req);
	if (r == 0)
		r = client_recv(c, &reply);
	if (r < 0) {
		*result = control_strf("%s: %s", c->path, r == -ETIMEDOUT ? "timed out waiting for a reply"
			: r == -EPROTO ? "invalid reply" : strerror(-r));
		return r;
	}
	err = json_object_get(reply, "error");
	res = json_object_get(reply, "result");
	rid = json_object_get(reply, "id");
	if (!json_is_integer(rid) || json_integer_value(rid) != id) {
		*result = control_strf("%s: reply does not match the request id", c->path);
		r = -EPROTO;
	} else if (err != NULL && !json_is_null(err)) {
		*result = json_text(err);
		r = 1;
	} else {
		*result = json_text(res ? res : json_null());
		r = 0;
	}
	json_decref(reply);
	if (*result == NULL) {
		*result = control_strf("%s: out of memory", c->path);
		return -ENOMEM;
	}
	return r;
}

int
control_call(const char *path, const char *method, int argc, const char *argv[],
		bool json, int timeout_ms, char **result)
{
	struct client c = {
		.fd = -1,
		.path = path,
		.deadline_ms = now_ms() + (timeout_ms > 0 ? timeout_ms : 1000LL * 86400 * 365),
	};
	static const char *fmt_json[] = { "--format", "json" };
	int r;

	*result = NULL;
	r = client_connect(&c);
	if (r < 0) {
		*result = control_strf("cannot connect to \"%s\": %s", path, r == -ETIMEDOUT ?
			"timed out" : strerror(-r));
		goto out;
	}
	if (json) {
		r = client_transact(&c, "set-options", 2, fmt_json, result);
		if (r != 0)
			goto out;
		free(*result);
		*result = NULL;
	}
	r = client_transact(&c, method, argc, argv, result);
out:
	if (c.fd >= 0)
		close(c.fd);
	control_inbuf_free(&c.in);
	return r;
}
