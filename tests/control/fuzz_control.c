/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for control/'s JSON-RPC, both ends, over real sockets.  The first byte
 * chooses the end:
 *   even  the rest is what a client writes to the server (framing, request parsing,
 *         dispatch, replies); the client then half-closes, and the server must answer what
 *         it can and close the connection;
 *   odd   the rest is what a server answers to control_call() (reply framing and parsing):
 *         the call must return with a result text, whatever the bytes.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "test_cmds.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct control_server *srv;
static char srv_path[108], fake_path[108];
static int fake_lfd;
static const uint8_t *fake_reply;
static size_t fake_len;
static sem_t fake_go, fake_done;

static void
cmd_json(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	(void)aux;
	control_reply_json(conn, json_pack("{s:i, s:s}", "argc", argc, "first",
		argc > 1 ? argv[1] : ""));
}

static void
cmd_fail(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	(void)argc;
	(void)aux;
	control_reply_errorf(conn, "%s failed", argv[0]);
}

static int
unix_socket(const char *path, bool listening)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0)
		abort();
	if (listening) {
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 8))
			abort();
	} else if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		abort();
	}
	return fd;
}

/* The misbehaving server for control_call(): read the request, answer the fuzz bytes. */
static void *
fake_server(void *arg)
{
	char req[4096];

	(void)arg;
	for (;;) {
		int fd = accept(fake_lfd, NULL, NULL);
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		size_t off = 0;

		if (fd < 0)
			continue;
		sem_wait(&fake_go);
		if (poll(&pfd, 1, 2000) > 0 && recv(fd, req, sizeof(req), 0) >= 0) {
			while (off < fake_len) {
				ssize_t n = send(fd, fake_reply + off, fake_len - off, MSG_NOSIGNAL);

				if (n <= 0)
					break;
				off += (size_t)n;
			}
		}
		close(fd);
		sem_post(&fake_done);
	}
	return NULL;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char dir[] = "/tmp/fuzz-control.XXXXXX";
	pthread_t th;
	char *err = NULL;

	(void)argc;
	(void)argv;
	if (!mkdtemp(dir))
		abort();
	snprintf(srv_path, sizeof(srv_path), "%s/srv.ctl", dir);
	snprintf(fake_path, sizeof(fake_path), "%s/fake.ctl", dir);
	ctltest_register_common();
	control_command_register("json", "[ARG]", 0, 1, cmd_json, NULL);
	control_command_register("fail", "", 0, 0, cmd_fail, NULL);
	control_command_alias("e", "echo");
	srv = control_server_create(srv_path, &err);
	if (!srv)
		abort();
	fake_lfd = unix_socket(fake_path, true);
	sem_init(&fake_go, 0, 0);
	sem_init(&fake_done, 0, 0);
	pthread_create(&th, NULL, fake_server, NULL);
	return 0;
}

static long long
clock_ms(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Write 'data' to the server as a client, half-close, read until the server closes. */
static void
as_client(const uint8_t *data, size_t size)
{
	int fd = unix_socket(srv_path, false);
	/* The server runs in this process: 2 s of its CPU time without an answer or a close is
	 * a hang, whatever else loads the machine; 60 s of wall time bounds a server that
	 * waits without spinning. */
	long long cpu_end = clock_ms(CLOCK_PROCESS_CPUTIME_ID) + 2000;
	long long wall_end = clock_ms(CLOCK_MONOTONIC) + 60000;
	size_t off = 0;
	bool shut = false;
	char buf[65536];

	fcntl(fd, F_SETFL, O_NONBLOCK);
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = control_server_fd(srv), .events = POLLIN },
			{ .fd = fd, .events = POLLIN | (off < size ? POLLOUT : 0) },
		};
		ssize_t n;

		if (clock_ms(CLOCK_PROCESS_CPUTIME_ID) > cpu_end ||
				clock_ms(CLOCK_MONOTONIC) > wall_end)
			abort();	/* the server neither answered nor closed */
		if (off < size) {
			n = send(fd, data + off, size - off, MSG_NOSIGNAL);
			if (n > 0)
				off += (size_t)n;
			else if (n < 0 && errno != EAGAIN)
				break;	/* the server dropped us */
		} else if (!shut) {
			shutdown(fd, SHUT_WR);
			shut = true;
		}
		control_server_run(srv);
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0 || (n < 0 && errno != EAGAIN))
			break;
		if (n < 0)
			poll(pfd, 2, 10);
	}
	close(fd);
	control_server_run(srv);
}

/* control_call() against a server answering 'data'. */
static void
as_server(const uint8_t *data, size_t size)
{
	const char *args[] = { "x" };
	char *res = NULL;
	int rc;

	fake_reply = data;
	fake_len = size;
	sem_post(&fake_go);
	rc = control_call(fake_path, "echo", 1, args, false, 3000, &res);
	sem_wait(&fake_done);
	if (!res || rc < -4095 || rc > 1)
		abort();
	free(res);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		as_server(data + 1, size - 1);
	else
		as_client(data + 1, size - 1);
	return 0;
}
