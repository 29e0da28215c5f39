/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The listening socket and its connections.
 *
 * One epoll set holds the listener and every connection; its fd is what the daemon waits
 * on, so the server costs the daemon one fd in its own loop.  Connections are read into a
 * buffer and served one request at a time.  A reply is written at once as far as the socket
 * takes it; the rest waits for EPOLLOUT, and the connection reads nothing until its reply is
 * gone, so a client that does not read holds at most one reply and CONTROL_MAX_INPUT bytes of
 * input, and never blocks the daemon; a client writing requests ahead of its replies waits
 * in its own socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "control-private.h"

/**
 * Connections held at once.  A new one beyond it is served all the same: the connection
 * that moved no byte for longest (idle, or stuck on a partial request or an unread reply)
 * is closed to make room, with a log line, so that idle clients cannot lock others out.
 */
#define CONTROL_MAX_CONNS 64

struct control_server {
	int lfd;
	int epfd;
	char *path;
	dev_t dev;		/**< Identity of the socket file we created, so that */
	ino_t ino;		/**< destroy never removes a successor's socket. */
	struct control_conn *conns;
	unsigned n_conns;
	/*
	 * An fd held in reserve: out of descriptors (EMFILE, ENFILE), the listener stays
	 * readable and accept() keeps failing, a busy loop.  Closing the reserve lets one
	 * accept() take the pending connection off the queue to close it.
	 */
	int reserve_fd;
	/*
	 * When even that fails, the listener is not polled until a connection closes or
	 * 'timer_fd' (in the epoll set, armed for a second) fires.
	 */
	int timer_fd;
	bool paused;
	bool refusing;		/**< Logged the current run of refusals already. */
	bool evicting;		/**< Logged the current run of evictions already. */
	uint64_t activity;	/**< Counts accepts, reads and writes: orders conn->last_active. */
};

static int
sockaddr_fill(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

/* Is a server listening on 'path'?  1 yes, 0 no (stale), -errno when we cannot tell. */
static int
socket_live(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ret;

	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		ret = 1;
	else if (errno == ECONNREFUSED)
		ret = 0;
	else
		ret = -errno;
	close(fd);
	return ret;
}

/* Make room for the socket at 'path': create its directory, remove a stale socket. */
static int
path_prepare(const char *path, const struct sockaddr_un *sa, char **err)
{
	char *copy = strdup(path);
	struct stat st;
	int live;

	if (copy == NULL)
		return -ENOMEM;
	if (mkdir(dirname(copy), 0755) < 0 && errno != EEXIST) {
		*err = control_strf("%s: cannot create directory %s: %s", path, copy, strerror(errno));
		free(copy);
		return -1;
	}
	free(copy);
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		*err = control_strf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		*err = control_strf("%s: exists and is not a socket", path);
		return -1;
	}
	live = socket_live(sa);
	if (live == 1) {
		*err = control_strf("%s: another server is listening on this socket", path);
		return -1;
	}
	if (live < 0) {
		*err = control_strf("%s: cannot probe existing socket: %s", path, strerror(-live));
		return -1;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		*err = control_strf("%s: cannot remove stale socket: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
epoll_set(int epfd, int op, int fd, uint32_t events, void *ptr)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };

	return epoll_ctl(epfd, op, fd, &ev);
}

struct control_server *
control_server_create(const char *path, char **err)
{
	struct control_server *srv;
	struct sockaddr_un sa;
	struct stat st;

	*err = NULL;
	if (sockaddr_fill(&sa, path) < 0) {
		*err = control_strf("%s: socket path longer than %zu bytes", path,
			sizeof(sa.sun_path) - 1);
		return NULL;
	}
	if (path_prepare(path, &sa, err) < 0)
		return NULL;
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL || (srv->path = strdup(path)) == NULL)
		goto err_nomem;
	srv->epfd = -1;
	srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	srv->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	srv->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->lfd < 0)
		goto err_errno;
	if (bind(srv->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto err_errno;
	/* Bound but not yet listening: nobody can connect before the mode is 0600. */
	if (chmod(path, 0600) < 0 || stat(path, &st) < 0)
		goto err_unlink;
	srv->dev = st.st_dev;
	srv->ino = st.st_ino;
	if (listen(srv->lfd, 64) < 0)
		goto err_unlink;
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (srv->epfd < 0 || epoll_set(srv->epfd, EPOLL_CTL_ADD, srv->lfd, EPOLLIN, srv) < 0 ||
	    srv->timer_fd < 0 ||
	    epoll_set(srv->epfd, EPOLL_CTL_ADD, srv->timer_fd, EPOLLIN, &srv->timer_fd) < 0)
		goto err_unlink;
	return srv;

err_unlink:
	*err = control_strf("%s: %s", srv->path, strerror(errno));
	unlink(srv->path);
	goto err_close;
err_errno:
	*err = control_strf("%s: %s", srv->path, strerror(errno));
err_close:
	if (srv->reserve_fd >= 0)
		close(srv->reserve_fd);
	if (srv->timer_fd >= 0)
		close(srv->timer_fd);
	if (srv->epfd >= 0)
		close(srv->epfd);
	if (srv->lfd >= 0)
		close(srv->lfd);
	free(srv->path);
	free(srv);
	return NULL;
err_nomem:
	free(srv);
	*err = control_strf("%s: out of memory", path);
	return NULL;
}

int
control_server_fd(const struct control_server *srv)
{
	return srv->epfd;
}

/* Poll the listener again after a pause (a connection closed, or a second passed). */
static void
server_resume(struct control_server *srv)
{
	if (!srv->paused)
		return;
	if (srv->reserve_fd < 0)
		srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (srv->reserve_fd < 0 ||
	    epoll_set(srv->epfd, EPOLL_CTL_MOD, srv->lfd, EPOLLIN, srv) < 0)
		return;
	timerfd_settime(srv->timer_fd, 0, &(struct itimerspec){ { 0, 0 }, { 0, 0 } }, NULL);
	srv->paused = false;
	fprintf(stderr, "control: %s: accepting connections again\n", srv->path);
}

static void
conn_close(struct control_conn *conn)
{
	struct control_server *srv = conn->srv;

	*conn->pprev = conn->next;
	if (conn->next != NULL)
		conn->next->pprev = conn->pprev;
	epoll_ctl(srv->epfd, EPOLL_CTL_DEL, conn->fd, NULL);
	close(conn->fd);
	json_decref(conn->req_id);
	control_inbuf_free(&conn->in);
	free(conn->out);
	free(conn);
	if (--srv->n_conns < CONTROL_MAX_CONNS)
		srv->refusing = false;
	/* An eviction leaves one fewer open, for the new client: a run of them ends below. */
	if (srv->n_conns < CONTROL_MAX_CONNS - 1)
		srv->evicting = false;
	server_resume(srv);
}

/* Log the first refusal of a run of them ('why'), not every one. */
static void
server_refused(struct control_server *srv, const char *why)
{
	if (srv->refusing)
		return;
	srv->refusing = true;
	fprintf(stderr, "control: %s: refusing connections: %s\n", srv->path, why);
}

/*
 * accept() failed with 'err' while a connection waits.  Out of descriptors: close the
 * reserve, accept the connection and close it, take the reserve back.  Return true when the
 * connection left the queue; otherwise stop polling the listener until a connection closes,
 * so that the daemon does not spin on a listener it cannot serve.
 */
static bool
server_shed(struct control_server *srv, int err)
{
	int fd, accept_err;

	if ((err == EMFILE || err == ENFILE) && srv->reserve_fd >= 0) {
		close(srv->reserve_fd);
		fd = accept4(srv->lfd, NULL, NULL, SOCK_CLOEXEC);
		accept_err = errno;
		if (fd >= 0)
			close(fd);
		srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			server_refused(srv, strerror(err));
			return true;
		}
		/* accept() fails for want of a descriptor even when nobody waits. */
		if (accept_err == EAGAIN || accept_err == EWOULDBLOCK)
			return false;
		err = accept_err;
	}
	fprintf(stderr, "control: %s: accept: %s; not accepting connections for a second\n",
		srv->path, strerror(err));
	if (epoll_set(srv->epfd, EPOLL_CTL_MOD, srv->lfd, 0, srv) == 0) {
		srv->paused = true;
		timerfd_settime(srv->timer_fd, 0, &(struct itimerspec){ { 0, 0 }, { 1, 0 } },
			NULL);
	}
	return false;
}

static void
conn_touch(struct control_conn *conn)
{
	conn->last_active = ++conn->srv->activity;
}

/* At CONTROL_MAX_CONNS: close the connection that moved no byte for longest. */
static void
server_evict(struct control_server *srv)
{
	struct control_conn *oldest = srv->conns;

	for (struct control_conn *c = srv->conns; c != NULL; c = c->next)
		if (c->last_active < oldest->last_active)
			oldest = c;
	if (!srv->evicting)
		fprintf(stderr, "control: %s: %d connections open: closing the one idle "
			"longest for a new client (said once until fewer are open)\n", srv->path,
			CONTROL_MAX_CONNS);
	srv->evicting = true;
	conn_close(oldest);
}

static void
server_accept(struct control_server *srv)
{
	for (int i = 0; i < 16; i++) {
		int fd = accept4(srv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct control_conn *conn;

		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (server_shed(srv, errno))
				continue;
			return;
		}
		if (srv->n_conns >= CONTROL_MAX_CONNS)
			server_evict(srv);
		conn = calloc(1, sizeof(*conn));
		if (conn == NULL || epoll_set(srv->epfd, EPOLL_CTL_ADD, fd, EPOLLIN, conn) < 0) {
			free(conn);
			close(fd);
			continue;
		}
		conn->srv = srv;
		conn->fd = fd;
		conn_touch(conn);
		conn->next = srv->conns;
		conn->pprev = &srv->conns;
		if (srv->conns != NULL)
			srv->conns->pprev = &conn->next;
		srv->conns = conn;
		srv->n_conns++;
	}
}

static void
conn_drop(struct control_conn *conn, const char *why)
{
	fprintf(stderr, "control: %s: dropping client: %s\n", conn->srv->path, why);
	conn->dead = true;
}

/* Input read per event at most, so that a client writing ahead of its replies waits in its
 * socket (its reply pending, the connection is not polled for input) instead of filling
 * CONTROL_MAX_INPUT here. */
#define CONN_READ_BURST (256u << 10)

static void
conn_read(struct control_conn *conn)
{
	size_t total = 0;

	while (total < CONN_READ_BURST) {
		ssize_t n;
		int r = control_inbuf_reserve(&conn->in, 4096, 8192, CONTROL_MAX_INPUT + 8192);

		if (r < 0) {
			conn_drop(conn, r == -EMSGSIZE ? "request too long" : "out of memory");
			return;
		}
		n = recv(conn->fd, conn->in.buf + conn->in.len, conn->in.cap - conn->in.len, 0);
		if (n > 0) {
			conn->in.len += (size_t)n;
			total += (size_t)n;
			conn_touch(conn);
		} else if (n == 0) {
			conn->eof = true;
			return;
		} else if (errno == EINTR) {
			continue;
		} else {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn->dead = true;
			return;
		}
	}
}

static void
conn_flush(struct control_conn *conn)
{
	while (conn->out_off < conn->out_len) {
		ssize_t n = send(conn->fd, conn->out + conn->out_off,
			conn->out_len - conn->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			conn->out_off += (size_t)n;
			conn_touch(conn);
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else {
			if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
				conn->dead = true;
			return;
		}
	}
	conn->out_off = conn->out_len = 0;
}

/* A parsed message: serve it if it is a request, drop the client otherwise. */
static void
conn_serve(struct control_conn *conn, json_t *msg)
{
	json_t *method = json_object_get(msg, "method");
	json_t *params = json_object_get(msg, "params");
	json_t *id = json_object_get(msg, "id");

	if (!json_is_string(method) || !json_is_array(params) || id == NULL || json_is_null(id)) {
		conn_drop(conn, "message is not a JSON-RPC request");
		return;
	}
	conn->req_id = json_incref(id);
	conn->replied = false;
	control_dispatch(conn, json_string_value(method), params);
	if (!conn->replied)
		control_reply_errorf(conn, "internal error: \"%s\" did not reply",
			json_string_value(method));
	json_decref(conn->req_id);
	conn->req_id = NULL;
}

static void
conn_process(struct control_conn *conn)
{
	while (!conn->dead && conn->out_len == 0) {
		const char *text;
		json_error_t jerr;
		json_t *msg;
		size_t len;
		int r = control_inbuf_next(&conn->in, &text, &len);

		if (r < 0) {
			conn_drop(conn, "input is not JSON");
			return;
		}
		if (r == 0) {
			if (control_inbuf_pending(&conn->in) > CONTROL_MAX_INPUT)
				conn_drop(conn, "request too long");
			return;
		}
		msg = json_loadb(text, len, 0, &jerr);
		if (msg == NULL) {
			conn_drop(conn, jerr.text);
			return;
		}
		conn_serve(conn, msg);
		json_decref(msg);
		conn_flush(conn);
	}
}

static void
conn_event(struct control_conn *conn, uint32_t events)
{
	uint32_t want;

	if (conn->out_len > 0)
		conn_flush(conn);
	if (!conn->eof && conn->out_len == 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		conn_read(conn);
	conn_process(conn);
	if (!conn->dead && conn->eof && conn->out_len == 0)
		conn->dead = true;
	if (conn->dead) {
		conn_close(conn);
		return;
	}
	want = conn->out_len > 0 ? EPOLLOUT : conn->eof ? 0 : EPOLLIN;
	if (epoll_set(conn->srv->epfd, EPOLL_CTL_MOD, conn->fd, want, conn) < 0)
		conn_close(conn);
}

void
control_server_run(struct control_server *srv)
{
	struct epoll_event ev[32];
	int n = epoll_wait(srv->epfd, ev, 32, 0);
	bool listener = false;

	for (int i = 0; i < n; i++) {
		if (ev[i].data.ptr == &srv->timer_fd) {
			uint64_t expirations;

			if (read(srv->timer_fd, &expirations, sizeof(expirations)) > 0)
				server_resume(srv);
		} else if (ev[i].data.ptr == srv) {
			listener = true;
		} else {
			conn_event(ev[i].data.ptr, ev[i].events);
		}
	}
	/* Last: accepting may close a connection whose event is still in 'ev'. */
	if (listener)
		server_accept(srv);
}

void
control_server_destroy(struct control_server *srv)
{
	struct stat st;

	if (srv == NULL)
		return;
	while (srv->conns != NULL)
		conn_close(srv->conns);
	close(srv->epfd);
	close(srv->lfd);
	close(srv->timer_fd);
	if (srv->reserve_fd >= 0)
		close(srv->reserve_fd);
	if (stat(srv->path, &st) == 0 && st.st_dev == srv->dev && st.st_ino == srv->ino)
		unlink(srv->path);
	free(srv->path);
	free(srv);
}
