/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of control/: a server runs in a thread, clients talk to it with control_call()
 * and with raw sockets that write exactly the bytes a test wants.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "control.h"
#include "test_cmds.h"
#include "control-private.h"

/*
 * Bytes moved by memmove() anywhere in this program (the control library's calls included):
 * the link wraps memmove (-Wl,--wrap=memmove) so that framing's work can be counted.
 */
static atomic_size_t memmoved;

void *__real_memmove(void *dst, const void *src, size_t n);
void *__wrap_memmove(void *dst, const void *src, size_t n);

void *
__wrap_memmove(void *dst, const void *src, size_t n)
{
	atomic_fetch_add(&memmoved, n);
	return __real_memmove(dst, src, n);
}

#define BIG_REPLY (4u << 20)

static char dir[64];
static char sock_path[128];
static struct control_server *srv;
static atomic_bool srv_stop;

/* Commands. */

static void
cmd_need2(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	(void)aux;
	control_replyf(conn, "%d %s %s", argc, argv[1], argv[2]);
}

static void
cmd_fail(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	(void)argc;
	(void)aux;
	control_reply_errorf(conn, "%s failed", argv[0]);
}

static void
cmd_big(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	char *s = malloc(BIG_REPLY + 1);

	(void)argc;
	(void)argv;
	(void)aux;
	memset(s, 'x', BIG_REPLY - 1);
	s[BIG_REPLY - 1] = '\n';
	s[BIG_REPLY] = '\0';
	control_reply(conn, s);
	free(s);
}

static void
cmd_silent(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	(void)conn;
	(void)argc;
	(void)argv;
	(void)aux;
}

static void
cmd_twice(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	(void)argc;
	(void)argv;
	(void)aux;
	control_reply(conn, "first");
	control_reply(conn, "second");
}

/* Times the server's fd woke its loop up: a spinning server wakes up without end. */
static atomic_ulong srv_wakeups;

static void *
server_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&srv_stop)) {
		struct pollfd pfd = { .fd = control_server_fd(srv), .events = POLLIN };

		if (poll(&pfd, 1, 10) > 0) {
			atomic_fetch_add(&srv_wakeups, 1);
			control_server_run(srv);
		}
	}
	return NULL;
}

/* Raw client helpers. */

static void
sun_set(struct sockaddr_un *sa, const char *path)
{
	size_t n = strlen(path);

	if (n >= sizeof(sa->sun_path))
		abort();
	memcpy(sa->sun_path, path, n + 1);
}

static int
raw_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	sun_set(&sa, path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
raw_send(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		if (w < 0)
			return -errno;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

struct reader {
	int fd;
	char *buf;
	size_t len;
};

/* Next JSON message from 'r', or NULL on EOF, error or after 'timeout_ms'. */
static json_t *
raw_recv(struct reader *r, int timeout_ms)
{
	for (;;) {
		json_error_t jerr;
		json_t *j = NULL;
		char tmp[65536];
		ssize_t n;

		if (r->len > 0)
			j = json_loadb(r->buf, r->len, JSON_DISABLE_EOF_CHECK, &jerr);
		if (j != NULL) {
			memmove(r->buf, r->buf + jerr.position, r->len - jerr.position);
			r->len -= jerr.position;
			return j;
		}
		struct pollfd pfd = { .fd = r->fd, .events = POLLIN };

		if (poll(&pfd, 1, timeout_ms) <= 0)
			return NULL;
		n = recv(r->fd, tmp, sizeof(tmp), 0);
		if (n <= 0)
			return NULL;
		r->buf = realloc(r->buf, r->len + (size_t)n);
		memcpy(r->buf + r->len, tmp, (size_t)n);
		r->len += (size_t)n;
	}
}

/* Wait until the server closes 'fd': 1 closed, 0 still open after 'timeout_ms'. */
static int
raw_closed(int fd, int timeout_ms)
{
	char tmp[4096];

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, timeout_ms) <= 0)
			return 0;
		n = recv(fd, tmp, sizeof(tmp), 0);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return 1;
		if (n < 0)
			return 0;
	}
}

static const char *
reply_str(json_t *reply, const char *key)
{
	return json_string_value(json_object_get(reply, key));
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Call 'method' on the test server; returns control_call()'s status, frees nothing. */
static int
call(const char *method, int argc, const char **argv, bool json, char **res)
{
	return control_call(sock_path, method, argc, argv, json, 5000, res);
}

/* Tests. */

static void
test_text_roundtrip(void)
{
	const char *args[] = { "a", "b" };
	char *res;
	int r = call("echo", 2, args, false, &res);

	CHECK(r == 0, "r=%d", r);
	CHECK(strcmp(res, "a b\n") == 0, "result '%s'", res);
	free(res);
	r = call("echo", 0, NULL, false, &res);
	CHECK(r == 0 && strcmp(res, "") == 0, "empty reply: r=%d '%s'", r, res);
	free(res);
	r = call("fail", 0, NULL, false, &res);
	CHECK(r == 1 && strcmp(res, "fail failed\n") == 0, "error reply: r=%d '%s'", r, res);
	free(res);
}

static void
test_json_reply(void)
{
	json_error_t jerr;
	char *res;
	json_t *j;
	int r = call("stats", 0, NULL, true, &res);

	CHECK(r == 0, "r=%d res=%s", r, res);
	j = json_loads(res, 0, &jerr);
	CHECK(j != NULL, "not JSON: %s", res);
	CHECK(json_integer_value(json_object_get(j, "packets")) == 42, "%s", res);
	CHECK(strcmp(json_string_value(json_object_get(j, "name")) ?: "", "pmd1") == 0, "%s",
		res);
	json_decref(j);
	free(res);

	r = call("stats", 0, NULL, false, &res);
	CHECK(r == 0 && strstr(res, "\"packets\": 42") != NULL, "text of JSON: %s", res);
	CHECK(res[strlen(res) - 1] == '\n', "text ends with a newline: %s", res);
	free(res);

	/* The format belongs to the connection that set it; "JSON" is accepted as "json". */
	const char *reqs = "{\"method\":\"set-options\",\"params\":[\"--format\",\"JSON\"],"
		"\"id\":1}{\"method\":\"stats\",\"params\":[],\"id\":2}";
	struct reader rd = { .fd = raw_connect(sock_path) };
	json_t *a;

	CHECK(raw_send(rd.fd, reqs, strlen(reqs)) == 0, "send");
	a = raw_recv(&rd, 2000);
	CHECK(a && json_is_null(json_object_get(a, "error")), "set-options accepted");
	json_decref(a);
	a = raw_recv(&rd, 2000);
	CHECK(a && json_integer_value(json_object_get(json_object_get(a, "result"),
		"packets")) == 42, "JSON object result after set-options");
	json_decref(a);
	close(rd.fd);
	free(rd.buf);
	rd = (struct reader){ .fd = raw_connect(sock_path) };
	CHECK(raw_send(rd.fd, strchr(reqs, '}') + 1, strlen(strchr(reqs, '}') + 1)) == 0, "send");
	a = raw_recv(&rd, 2000);
	CHECK(a && json_is_string(json_object_get(a, "result")), "another client still text");
	json_decref(a);
	close(rd.fd);
	free(rd.buf);

	/* A text command in JSON mode still replies with its text. */
	const char *args[] = { "hi" };

	r = call("echo", 1, args, true, &res);
	CHECK(r == 0 && strcmp(res, "hi\n") == 0, "r=%d '%s'", r, res);
	free(res);
}

static void
test_two_in_one_write(void)
{
	const char *req = "{\"method\":\"echo\",\"params\":[\"one\"],\"id\":7}"
		"\n{\"method\":\"echo\",\"params\":[\"two\"],\"id\":8}";
	struct reader rd = { .fd = raw_connect(sock_path) };
	json_t *a, *b;

	CHECK(rd.fd >= 0, "connect");
	CHECK(raw_send(rd.fd, req, strlen(req)) == 0, "send");
	a = raw_recv(&rd, 2000);
	b = raw_recv(&rd, 2000);
	CHECK(a && json_integer_value(json_object_get(a, "id")) == 7, "first id");
	CHECK(a && strcmp(reply_str(a, "result") ?: "", "one\n") == 0, "first result");
	CHECK(a && json_is_null(json_object_get(a, "error")), "first error is null");
	CHECK(b && json_integer_value(json_object_get(b, "id")) == 8, "second id");
	CHECK(b && strcmp(reply_str(b, "result") ?: "", "two\n") == 0, "second result");
	json_decref(a);
	json_decref(b);
	close(rd.fd);
	free(rd.buf);
}

static void
test_split_request(void)
{
	/* Brackets and an escaped quote inside a string must not end the message. */
	const char *req = "{\"method\":\"echo\",\"params\":[\"a}\\\"{b]\"],\"id\":\"x\"}";
	struct reader rd = { .fd = raw_connect(sock_path) };
	json_t *a;

	CHECK(rd.fd >= 0, "connect");
	for (const char *p = req; *p; p++) {
		CHECK(raw_send(rd.fd, p, 1) == 0, "send");
		if (p - req == 10 || (p[1] != '\0' && p[2] == '\0'))
			CHECK(raw_recv(&rd, 30) == NULL, "reply before the request was complete");
	}
	a = raw_recv(&rd, 2000);
	CHECK(a != NULL, "no reply");
	CHECK(a && strcmp(reply_str(a, "result") ?: "", "a}\"{b]\n") == 0, "result");
	CHECK(a && strcmp(reply_str(a, "id") ?: "", "x") == 0, "string id echoed");
	json_decref(a);

	/* The tail of one request and a whole second one in the same write. */
	const char *two = "{\"method\":\"echo\",\"params\":[\"p\"],\"id\":1} {\"method\":"
		"\"echo\",\"params\":[\"q\"],\"id\":2}";
	size_t cut = 20;

	CHECK(raw_send(rd.fd, two, cut) == 0, "send head");
	usleep(20000);
	CHECK(raw_send(rd.fd, two + cut, strlen(two) - cut) == 0, "send tail");
	a = raw_recv(&rd, 2000);
	CHECK(a && strcmp(reply_str(a, "result") ?: "", "p\n") == 0, "first of split pair");
	json_decref(a);
	a = raw_recv(&rd, 2000);
	CHECK(a && strcmp(reply_str(a, "result") ?: "", "q\n") == 0, "second of split pair");
	json_decref(a);
	close(rd.fd);
	free(rd.buf);
}

static void
test_arg_counts(void)
{
	const char *args[] = { "1", "2", "3" };
	char *res;
	int r;

	r = call("need2", 1, args, false, &res);
	CHECK(r == 1, "r=%d", r);
	CHECK(strcmp(res, "\"need2\" command requires at least 2 arguments\n") == 0, "'%s'", res);
	free(res);
	r = call("need2", 3, args, false, &res);
	CHECK(r == 1, "r=%d", r);
	CHECK(strcmp(res, "\"need2\" command takes at most 2 arguments\n") == 0, "'%s'", res);
	free(res);
	r = call("need2", 2, args, false, &res);
	CHECK(r == 0 && strcmp(res, "3 1 2\n") == 0, "r=%d '%s'", r, res);
	free(res);
	r = call("version", 1, args, false, &res);
	CHECK(r == 1 && strstr(res, "\"version\" command takes at most 0 arguments"),
		"'%s'", res);
	free(res);
}

static void
test_unknown_command(void)
{
	char *res;
	int r = call("nosuch", 0, NULL, false, &res);

	CHECK(r == 1, "r=%d", r);
	CHECK(strcmp(res, "\"nosuch\" is not a valid command (use \"list-commands\" to see a "
		"list of valid commands)\n") == 0, "'%s'", res);
	free(res);
}

static void
test_nonstring_argument(void)
{
	const char *req = "{\"method\":\"echo\",\"params\":[\"a\",1],\"id\":5}";
	struct reader rd = { .fd = raw_connect(sock_path) };
	json_t *a;

	CHECK(raw_send(rd.fd, req, strlen(req)) == 0, "send");
	a = raw_recv(&rd, 2000);
	CHECK(a && strcmp(reply_str(a, "error") ?: "",
		"\"echo\" command has non-string argument\n") == 0, "error");
	CHECK(a && json_is_null(json_object_get(a, "result")), "result is null");
	json_decref(a);
	close(rd.fd);
	free(rd.buf);
}

static void
test_garbage_client(void)
{
	static const char *bad[] = {
		"hello world\n",
		"{\"method\":\"echo\",\"params\":[],\"id\":1}}",
		"{\"foo\":1}",
		"{\"method\":\"echo\",\"params\":\"notarray\",\"id\":1}",
		"{\"method\":\"echo\",\"params\":[],\"id\":null}",
		"{\"method\":\"echo\",\"params\":[],}",
		"[1,2]",
	};
	struct reader good = { .fd = raw_connect(sock_path) };
	const char *req = "{\"method\":\"echo\",\"params\":[\"ok\"],\"id\":1}";

	CHECK(good.fd >= 0, "connect");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fd = raw_connect(sock_path);
		struct reader rd = { .fd = fd };
		json_t *a;

		CHECK(fd >= 0, "connect");
		raw_send(fd, bad[i], strlen(bad[i]));
		/* A well-formed prefix may be answered before the garbage is seen. */
		if (i == 1) {
			a = raw_recv(&rd, 2000);
			CHECK(a != NULL, "reply to the valid request before the garbage");
			json_decref(a);
		}
		CHECK(raw_closed(fd, 2000), "garbage client %zu not dropped: %s", i, bad[i]);
		close(fd);
		free(rd.buf);

		json_t *ok;

		CHECK(raw_send(good.fd, req, strlen(req)) == 0, "good client send");
		ok = raw_recv(&good, 2000);
		CHECK(ok && strcmp(reply_str(ok, "result") ?: "", "ok\n") == 0,
			"good client harmed after garbage %zu", i);
		json_decref(ok);
	}
	close(good.fd);
	free(good.buf);
}

static void
test_oversized_request(void)
{
	size_t n = 6u << 20;
	char *s = malloc(n);
	int fd = raw_connect(sock_path);
	char *res;

	memset(s, '[', n);
	raw_send(fd, s, n);
	CHECK(raw_closed(fd, 5000), "client sending %zu bytes of unfinished JSON kept", n);
	close(fd);
	free(s);
	CHECK(call("echo", 0, NULL, false, &res) == 0, "server still answers");
	free(res);
}

static void
test_slow_reader(void)
{
	const char *req = "{\"method\":\"big\",\"params\":[],\"id\":1}"
		"{\"method\":\"echo\",\"params\":[\"after\"],\"id\":2}";
	struct reader rd = { .fd = raw_connect(sock_path) };
	long long t0;
	json_t *a;
	char *res;
	int r;

	CHECK(raw_send(rd.fd, req, strlen(req)) == 0, "send");
	usleep(100000);
	t0 = now_ms();
	r = call("echo", 0, NULL, false, &res);
	/* A server stuck writing to the reader would let call() run into its 5 s timeout;
	 * half of that tells the two apart on a slow (sanitized, loaded) machine. */
	CHECK(r == 0, "server blocked by a client that does not read: r=%d %s", r, res);
	CHECK(now_ms() - t0 < 2500, "took %lld ms", now_ms() - t0);
	free(res);
	a = raw_recv(&rd, 5000);
	CHECK(a && strlen(reply_str(a, "result") ?: "") == BIG_REPLY, "big reply incomplete");
	json_decref(a);
	a = raw_recv(&rd, 2000);
	CHECK(a && strcmp(reply_str(a, "result") ?: "", "after\n") == 0, "pipelined reply");
	json_decref(a);
	close(rd.fd);
	free(rd.buf);
}

static void
test_half_close(void)
{
	const char *req = "{\"method\":\"echo\",\"params\":[\"bye\"],\"id\":1}";
	struct reader rd = { .fd = raw_connect(sock_path) };
	json_t *a;

	raw_send(rd.fd, req, strlen(req));
	shutdown(rd.fd, SHUT_WR);
	a = raw_recv(&rd, 2000);
	CHECK(a && strcmp(reply_str(a, "result") ?: "", "bye\n") == 0, "reply after SHUT_WR");
	json_decref(a);
	CHECK(raw_closed(rd.fd, 2000), "server closes after serving a half-closed client");
	close(rd.fd);
	free(rd.buf);
}

/*
 * 8 MiB of small requests on one connection, written as fast as the server takes them while
 * the replies are read: every reply comes back, in order, and framing moves each input byte
 * at most once (the server and this client each compact once per read) instead of moving
 * the rest of the buffer for every message.
 */
static void
test_framing_linear(void)
{
	enum { TOTAL = 8u << 20, ROOM = 3 * TOTAL };
	struct control_frame fr = { 0 };
	size_t sent = 0, len = 0, got = 0, n_req = 0, in_len = 0, moved, start, end;
	long long deadline = now_ms() + 50000;
	char *reqs = malloc(TOTAL + 64), *in = malloc(ROOM);
	int fd = raw_connect(sock_path), bad = 0;

	while (len < TOTAL) {
		len += (size_t)sprintf(reqs + len,
			"{\"method\":\"echo\",\"params\":[\"m%zu\"],\"id\":%zu}", n_req, n_req);
		n_req++;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	atomic_store(&memmoved, 0);
	while (got < n_req && now_ms() < deadline && !bad) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN | (sent < len ? POLLOUT : 0) };
		ssize_t n;

		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		if (sent < len) {
			n = send(fd, reqs + sent, len - sent, MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
		}
		/* Replies accumulate without compaction: only the library moves bytes. */
		n = recv(fd, in + in_len, ROOM - in_len, 0);
		if (n == 0)
			break;
		if (n > 0)
			in_len += (size_t)n;
		while (!bad && control_frame_next(&fr, in, in_len, &start, &end) > 0) {
			json_t *r = json_loadb(in + start, end - start, 0, NULL);
			char want[32];

			snprintf(want, sizeof(want), "m%zu\n", got);
			if (!r || json_integer_value(json_object_get(r, "id")) != (json_int_t)got ||
			    strcmp(reply_str(r, "result") ?: "", want) != 0) {
				bad = 1;
				CHECK(0, "reply %zu is not the echo of request %zu", got, got);
			}
			json_decref(r);
			control_frame_reset(&fr);
			fr.pos = end;
			got++;
		}
	}
	moved = atomic_load(&memmoved);
	CHECK(got == n_req, "%zu of %zu replies", got, n_req);
	CHECK(moved <= len, "framing moved %zu bytes for %zu bytes of requests", moved, len);
	printf("framing: %zu requests, %zu bytes, %zu bytes moved\n", n_req, len, moved);
	close(fd);
	free(in);
	free(reqs);
}

/* Wakeups of the server loop during 'ms' of silence. */
static unsigned long
idle_wakeups(int ms)
{
	unsigned long before = atomic_load(&srv_wakeups);

	usleep((useconds_t)ms * 1000);
	return atomic_load(&srv_wakeups) - before;
}

/* An echo on a fresh connection works: 1, else 0. */
static int
answers(void)
{
	char *res = NULL;
	const char *args[] = { "alive" };
	int ok = call("echo", 1, args, false, &res) == 0 && res && !strcmp(res, "alive\n");

	free(res);
	return ok;
}

/*
 * 64 connections are held.  With 70 idle ones open (one stuck on a partial request), a new
 * client is still served: the connections idle longest are closed to make room, so no more
 * than 64 stay open.  Out of file descriptors, a waiting connection is taken off the queue
 * and closed, and the loop does not spin on a listener that stays readable.
 */
static void
test_connection_limits(void)
{
	enum { CAP = 64, IDLE = 70 };
	struct reader rd[IDLE];
	int extra, fds[4096], n_fds = 0, n_closed = 0;
	struct rlimit lim, low;
	unsigned long wk;
	json_t *a;

	for (int i = 0; i < IDLE; i++) {
		rd[i] = (struct reader){ .fd = raw_connect(sock_path) };
		CHECK(rd[i].fd >= 0, "connect %d", i);
		if (i == 0)
			raw_send(rd[i].fd, "{\"method\":\"echo\",", 16);
		/* One at a time, so that the server sees them in this order. */
		usleep(2000);
	}
	usleep(100 * 1000);
	CHECK(answers(), "a new client is served with %d idle connections open", IDLE);
	for (int i = 0; i < IDLE; i++)
		n_closed += raw_closed(rd[i].fd, i < IDLE + 1 - CAP ? 2000 : 0);
	CHECK(n_closed == IDLE + 1 - CAP, "%d connections closed to stay at %d (%d)",
		IDLE + 1 - CAP, CAP, n_closed);
	for (int i = 0; i < IDLE + 1 - CAP; i++)
		CHECK(raw_closed(rd[i].fd, 0), "connection %d, idle longest, closed",
			i);
	wk = idle_wakeups(300);
	CHECK(wk < 10, "server loop idle at the limit: %lu wakeups in 300 ms", wk);
	raw_send(rd[IDLE - 1].fd, "{\"method\":\"echo\",\"params\":[\"x\"],\"id\":1}", 40);
	a = raw_recv(&rd[IDLE - 1], 2000);
	CHECK(a && !strcmp(reply_str(a, "result") ?: "", "x\n"), "open connections still served");
	json_decref(a);
	for (int i = 0; i < IDLE; i++) {
		close(rd[i].fd);
		free(rd[i].buf);
	}
	usleep(100 * 1000);
	CHECK(answers(), "served below the limit");

	/* Out of descriptors: use up the process's, leaving one for the client's socket. */
	getrlimit(RLIMIT_NOFILE, &lim);
	low = lim;
	if (low.rlim_cur > 1024)
		low.rlim_cur = 1024;
	setrlimit(RLIMIT_NOFILE, &low);
	extra = -1;
	/*
	 * Twice, 200 ms apart: the server thread may close the last check's connection only
	 * after a first pass took every descriptor, and the one it frees would let it accept
	 * the waiting connection as an ordinary one.
	 */
	for (int pass = 0; pass < 2; pass++) {
		while (n_fds < (int)(sizeof(fds) / sizeof(fds[0]))) {
			int fd = open("/dev/null", O_RDONLY);

			if (fd < 0)
				break;
			fds[n_fds++] = fd;
		}
		if (pass == 0)
			usleep(200 * 1000);
	}
	CHECK(n_fds > 0 && n_fds < (int)(sizeof(fds) / sizeof(fds[0])), "ran out of fds (%d)",
		n_fds);
	if (n_fds > 0) {
		close(fds[--n_fds]);
		extra = raw_connect(sock_path);
	}
	CHECK(extra >= 0, "client socket");
	if (extra >= 0) {
		wk = idle_wakeups(300);
		CHECK(wk < 10, "server loop idle out of fds: %lu wakeups in 300 ms", wk);
		CHECK(raw_closed(extra, 2000) == 1, "the waiting connection is closed");
		close(extra);
	}
	while (n_fds > 0)
		close(fds[--n_fds]);
	setrlimit(RLIMIT_NOFILE, &lim);
	usleep(100 * 1000);
	CHECK(answers(), "served again with descriptors free");
}

static void
test_many_clients(void)
{
	enum { N = 40 };
	struct reader rd[N];
	char req[128];

	for (int i = 0; i < N; i++) {
		rd[i] = (struct reader){ .fd = raw_connect(sock_path) };
		CHECK(rd[i].fd >= 0, "connect %d", i);
	}
	for (int i = N - 1; i >= 0; i--) {
		snprintf(req, sizeof(req), "{\"method\":\"echo\",\"params\":[\"c%d\"],\"id\":%d}",
			i, i);
		raw_send(rd[i].fd, req, strlen(req));
	}
	for (int i = 0; i < N; i++) {
		json_t *a = raw_recv(&rd[i], 2000);
		char want[16];

		snprintf(want, sizeof(want), "c%d\n", i);
		CHECK(a && strcmp(reply_str(a, "result") ?: "", want) == 0, "client %d", i);
		json_decref(a);
		close(rd[i].fd);
		free(rd[i].buf);
	}
}

static void
test_builtins_and_alias(void)
{
	const char *args[] = { "--format", "xml" };
	char *res;
	int r;

	r = call("list-commands", 0, NULL, false, &res);
	CHECK(r == 0, "r=%d", r);
	CHECK(strncmp(res, "The available commands are:\n", 28) == 0, "%s", res);
	CHECK(strstr(res, "\n  echo                    [ARG...]\n") != NULL, "%s", res);
	CHECK(strstr(res, "\n  need2                   A B\n") != NULL, "%s", res);
	CHECK(strstr(res, "\n  pss ") != NULL, "alias listed: %s", res);
	CHECK(strstr(res, "\n  version ") != NULL && strstr(res, "\n  list-commands ") != NULL,
		"built-ins listed: %s", res);
	CHECK(strstr(res, "  echo") < strstr(res, "  need2"), "sorted: %s", res);
	free(res);

	r = call("version", 0, NULL, false, &res);
	CHECK(r == 0 && strstr(res, "(vireo) " VIREO_VERSION "\n") != NULL, "'%s'", res);
	free(res);

	r = call("pss", 0, NULL, false, &res);
	CHECK(r == 0 && strcmp(res, "fail failed\n") != 0, "alias: r=%d '%s'", r, res);
	free(res);
	r = call("pss", 1, args, false, &res);
	CHECK(r == 1 && strstr(res, "\"pss\" command takes at most 0 arguments"),
		"alias keeps argument counts: '%s'", res);
	free(res);

	r = call("set-options", 2, args, false, &res);
	CHECK(r == 1 && strcmp(res, "option --format has invalid value xml\n") == 0, "'%s'", res);
	free(res);
	r = call("set-options", 1, args, false, &res);
	CHECK(r == 1 && strcmp(res, "option requires an argument -- --format\n") == 0, "'%s'",
		res);
	free(res);
	args[0] = "--pretty";
	r = call("set-options", 1, args, false, &res);
	CHECK(r == 1 && strcmp(res, "invalid option -- --pretty\n") == 0, "'%s'", res);
	free(res);
}

static void
test_bad_callbacks(void)
{
	char *res;
	int r;

	r = call("silent", 0, NULL, false, &res);
	CHECK(r == 1 && strcmp(res, "internal error: \"silent\" did not reply\n") == 0,
		"r=%d '%s'", r, res);
	free(res);
	r = call("twice", 0, NULL, false, &res);
	CHECK(r == 0 && strcmp(res, "first\n") == 0, "r=%d '%s'", r, res);
	free(res);
	r = call("echo", 0, NULL, false, &res);
	CHECK(r == 0, "server fine after a double reply");
	free(res);
}

static void
test_live_socket_refused(void)
{
	struct control_server *s2;
	char *err = NULL, *res;

	s2 = control_server_create(sock_path, &err);
	CHECK(s2 == NULL, "second server on a live socket");
	CHECK(err && strstr(err, sock_path) && strstr(err, "another server is listening"),
		"'%s'", err);
	free(err);
	control_server_destroy(s2);
	CHECK(call("echo", 0, NULL, false, &res) == 0, "first server still answers");
	free(res);
}

static void
test_stale_socket_replaced(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct control_server *s2;
	char path[160], *err = NULL;
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/stale.ctl", dir);
	sun_set(&sa, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "bind stale");
	close(fd);
	CHECK(stat(path, &st) == 0 && S_ISSOCK(st.st_mode), "stale socket file exists");

	s2 = control_server_create(path, &err);
	CHECK(s2 != NULL, "stale socket not replaced: %s", err);
	free(err);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "mode %o", st.st_mode & 0777);
	control_server_destroy(s2);
	CHECK(stat(path, &st) < 0 && errno == ENOENT, "destroy removes the socket");
}

static void
test_bad_paths(void)
{
	struct control_server *s2;
	char path[300], *err = NULL;
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/file", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	close(fd);
	s2 = control_server_create(path, &err);
	CHECK(s2 == NULL && err && strstr(err, "exists and is not a socket"), "'%s'", err);
	CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode), "regular file left alone");
	free(err);
	unlink(path);

	memset(path, 'a', 200);
	path[0] = '/';
	path[200] = '\0';
	err = NULL;
	s2 = control_server_create(path, &err);
	CHECK(s2 == NULL && err && strstr(err, "longer than"), "'%s'", err);
	free(err);

	snprintf(path, sizeof(path), "%s/no/such/dir/x.ctl", dir);
	err = NULL;
	s2 = control_server_create(path, &err);
	CHECK(s2 == NULL && err && strstr(err, path), "'%s'", err);
	free(err);
}

static void
test_client_errors(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[160], *res;
	long long t0;
	int r, fd;

	snprintf(path, sizeof(path), "%s/none.ctl", dir);
	r = control_call(path, "version", 0, NULL, false, 1000, &res);
	CHECK(r == -ENOENT, "r=%d", r);
	CHECK(res && strstr(res, path), "message names the socket: '%s'", res);
	free(res);

	/* A listener that never answers: the call must time out. */
	snprintf(path, sizeof(path), "%s/mute.ctl", dir);
	sun_set(&sa, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(fd, 4) == 0, "listen");
	t0 = now_ms();
	r = control_call(path, "version", 0, NULL, false, 200, &res);
	CHECK(r == -ETIMEDOUT, "r=%d '%s'", r, res);
	CHECK(now_ms() - t0 >= 150 && now_ms() - t0 < 2000, "took %lld ms", now_ms() - t0);
	free(res);
	close(fd);
	unlink(path);
}

/* A listener whose backlog is full: 'n_fill' connections queued, none accepted. */
struct full_listener {
	int lfd;
	int fill[16];
	int n_fill;
	int delay_ms;		/**< late_server: when it starts accepting */
};

static int
full_listener_open(struct full_listener *fl, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	sun_set(&sa, path);
	fl->n_fill = 0;
	fl->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fl->lfd < 0 || bind(fl->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fl->lfd, 1) < 0)
		return -1;
	while (fl->n_fill < 16) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			int err = errno;

			close(fd);
			return err == EAGAIN ? 0 : -1;
		}
		fl->fill[fl->n_fill++] = fd;
	}
	return -1;
}

static void
full_listener_close(struct full_listener *fl)
{
	while (fl->n_fill > 0)
		close(fl->fill[--fl->n_fill]);
	close(fl->lfd);
}

/* After 'delay_ms', take the queued connections off, then answer one request. */
static void *
late_server(void *arg)
{
	struct full_listener *fl = arg;
	struct reader rd = { .fd = -1 };
	json_t *req, *reply;
	char *out;

	usleep((useconds_t)fl->delay_ms * 1000);
	for (int i = 0; i < fl->n_fill; i++)
		close(accept(fl->lfd, NULL, NULL));
	/* A client that gave up never comes: do not wait for it for ever. */
	if (poll(&(struct pollfd){ .fd = fl->lfd, .events = POLLIN }, 1, 3000) <= 0)
		return NULL;
	rd.fd = accept(fl->lfd, NULL, NULL);
	req = raw_recv(&rd, 5000);
	reply = json_pack("{s:O?, s:s, s:n}", "id", json_object_get(req, "id"), "result",
		"late\n", "error");
	out = json_dumps(reply, JSON_COMPACT);
	if (out != NULL)
		raw_send(rd.fd, out, strlen(out));
	free(out);
	json_decref(reply);
	json_decref(req);
	raw_closed(rd.fd, 5000);
	close(rd.fd);
	free(rd.buf);
	return NULL;
}

/*
 * A server whose listen backlog is full: the client waits for room until its deadline and
 * then says it timed out; it is served when the server takes connections off in time.
 */
static void
test_client_backlog(void)
{
	struct full_listener fl;
	char path[160], *res = NULL;
	pthread_t th;
	long long t0, took;
	int r;

	snprintf(path, sizeof(path), "%s/full.ctl", dir);
	CHECK(full_listener_open(&fl, path) == 0, "backlog filled (%d queued)", fl.n_fill);
	t0 = now_ms();
	r = control_call(path, "version", 0, NULL, false, 2000, &res);
	took = now_ms() - t0;
	CHECK(r == -ETIMEDOUT, "full backlog: r=%d '%s'", r, res);
	CHECK(res && strstr(res, "timed out"), "full backlog: says it timed out: '%s'", res);
	CHECK(took >= 1900 && took < 4000, "full backlog: waited the 2 s (%lld ms)", took);
	free(res);

	fl.delay_ms = 500;
	res = NULL;
	pthread_create(&th, NULL, late_server, &fl);
	t0 = now_ms();
	r = control_call(path, "version", 0, NULL, false, 2000, &res);
	took = now_ms() - t0;
	CHECK(r == 0 && res && strcmp(res, "late\n") == 0,
		"served once the backlog has room: r=%d '%s'", r, res);
	CHECK(took >= 400 && took < 2000, "... after the server started accepting (%lld ms)", took);
	free(res);
	pthread_join(th, NULL);
	full_listener_close(&fl);
	unlink(path);
}

static void
test_buf(void)
{
	struct control_buf b = { 0 };
	char *s;

	s = control_buf_steal(&b);
	CHECK(strcmp(s, "") == 0, "empty buffer gives \"\"");
	free(s);
	for (int i = 0; i < 1000; i++)
		control_buf_printf(&b, "%d,", i);
	CHECK(b.len == strlen(b.s), "len");
	CHECK(strncmp(b.s, "0,1,2,", 6) == 0 && strstr(b.s, ",999,") != NULL, "content");
	control_buf_free(&b);
	CHECK(b.s == NULL && b.len == 0, "free resets");
}

int
main(void)
{
	pthread_t th;
	char *err = NULL;

	snprintf(dir, sizeof(dir), "/tmp/vireo-test-control.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sock_path, sizeof(sock_path), "%s/sub/test.ctl", dir);
	ctltest_register_common();
	control_command_register("need2", "A B", 2, 2, cmd_need2, NULL);
	control_command_register("fail", "", 0, 0, cmd_fail, NULL);
	control_command_register("big", "", 0, 0, cmd_big, NULL);
	control_command_register("silent", "", 0, 0, cmd_silent, NULL);
	control_command_register("twice", "", 0, 0, cmd_twice, NULL);
	control_command_alias("pss", "stats");
	srv = control_server_create(sock_path, &err);
	if (srv == NULL) {
		printf("FAIL server: %s\n", err);
		free(err);
		return 1;
	}
	pthread_create(&th, NULL, server_thread, NULL);

	test_buf();
	test_text_roundtrip();
	test_json_reply();
	test_two_in_one_write();
	test_split_request();
	test_arg_counts();
	test_unknown_command();
	test_nonstring_argument();
	test_garbage_client();
	test_oversized_request();
	test_slow_reader();
	test_half_close();
	test_many_clients();
	test_framing_linear();
	test_connection_limits();
	test_builtins_and_alias();
	test_bad_callbacks();
	test_live_socket_refused();
	test_stale_socket_replaced();
	test_bad_paths();
	test_client_errors();
	test_client_backlog();

	atomic_store(&srv_stop, true);
	pthread_join(th, NULL);
	control_server_destroy(srv);
	control_commands_clear();
	{
		struct stat st;

		CHECK(stat(sock_path, &st) != 0, "destroy left %s", sock_path);
	}
	snprintf(sock_path, sizeof(sock_path), "%s/sub", dir);
	rmdir(sock_path);
	rmdir(dir);
	return check_report("test_control");
}
