/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost-user frontend connections: listen/accept (server mode) or connect (client mode),
 * the handshake (SET_OWNER, features, protocol features, queue count), watching for the
 * backend to go away.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_config.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vu_priv.h"

#define VU_PROTOCOL_WANTED ((1ull << VU_PROTOCOL_F_MQ) | \
	(1ull << VU_PROTOCOL_F_REPLY_ACK) | (1ull << VU_PROTOCOL_F_STATUS))

static int
fill_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memcpy(sa->sun_path, path, strlen(path));
	return 0;
}

/* True when something accepts connections on 'path'. */
static bool
socket_alive(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	bool alive;

	if (fd < 0)
		return false;
	alive = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 || errno == EAGAIN;
	close(fd);
	return alive;
}

static int
start_listening(struct vu_dev *dev, char **err)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, rc;

	rc = fill_addr(&sa, dev->path);
	if (rc < 0) {
		if (asprintf(err, "vhost-user socket path %s is too long", dev->path) < 0)
			*err = NULL;
		return rc;
	}
	if (lstat(dev->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			if (asprintf(err, "vhost-user socket path %s exists and is not a socket",
					dev->path) < 0)
				*err = NULL;
			return -EEXIST;
		}
		if (socket_alive(&sa)) {
			if (asprintf(err, "vhost-user socket %s is in use by another process",
					dev->path) < 0)
				*err = NULL;
			return -EADDRINUSE;
		}
		unlink(dev->path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		rc = -errno;
	else if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
		rc = -errno;
	if (rc < 0) {
		if (asprintf(err, "vhost-user socket %s: cannot listen: %s", dev->path,
				strerror(-rc)) < 0)
			*err = NULL;
		if (fd >= 0)
			close(fd);
		return rc;
	}
	dev->listen_fd = fd;
	return 0;
}

int
vu_dev_create(struct vu_dev **devp, const struct vu_opts *opts, char **err)
{
	struct vu_dev *dev;
	int rc;

	*err = NULL;
	if (opts->path == NULL || opts->path[0] == '\0') {
		*err = strdup("vhost-user: no socket path");
		return -EINVAL;
	}
	if (opts->timeout_ms < 0 || opts->queue_pairs > VU_MAX_QUEUE_PAIRS) {
		if (asprintf(err, "vhost-user %s: bad %s", opts->path,
				opts->timeout_ms < 0 ? "timeout" : "queue pair count") < 0)
			*err = NULL;
		return -EINVAL;
	}
	dev = calloc(1, sizeof(*dev));
	if (dev == NULL || (dev->path = strdup(opts->path)) == NULL) {
		free(dev);
		*err = strdup("vhost-user: out of memory");
		return -ENOMEM;
	}
	dev->server = opts->server;
	dev->timeout_ms = opts->timeout_ms ? opts->timeout_ms : VU_DEFAULT_TIMEOUT_MS;
	dev->want_qp = opts->queue_pairs ? opts->queue_pairs : 1;
	dev->listen_fd = -1;
	dev->fd = -1;
	dev->queue_pairs = 1;
	if (dev->server) {
		rc = start_listening(dev, err);
		if (rc < 0) {
			free(dev->path);
			free(dev);
			return rc;
		}
	}
	*devp = dev;
	return 0;
}

void
vu_dev_destroy(struct vu_dev *dev)
{
	if (dev == NULL)
		return;
	vu_close_conn(dev);
	if (dev->listen_fd >= 0) {
		close(dev->listen_fd);
		unlink(dev->path);
	}
	free(dev->path);
	free(dev);
}

void
vu_close_conn(struct vu_dev *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	dev->fd = -1;
	dev->connected = false;
	dev->protocol_features = 0;
}

void
vu_dev_disconnect(struct vu_dev *dev)
{
	vu_close_conn(dev);
}

static int
open_client(struct vu_dev *dev)
{
	struct sockaddr_un sa;
	int fd;

	if (fill_addr(&sa, dev->path) < 0)
		return vu_fail(dev, -ENAMETOOLONG, "socket path too long");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return vu_fail(dev, -errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int rc = -errno;

		close(fd);
		return vu_fail(dev, rc, "cannot connect: %s", strerror(-rc));
	}
	dev->fd = fd;
	return 0;
}

static int
accept_backend(struct vu_dev *dev, int wait_ms)
{
	struct pollfd p = { .fd = dev->listen_fd, .events = POLLIN };
	int rc, fd;

	do
		rc = poll(&p, 1, wait_ms);
	while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return vu_fail(dev, -errno, "poll: %s", strerror(errno));
	if (rc == 0)
		return vu_fail(dev, -EAGAIN, "no backend connected yet");
	fd = accept4(dev->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		if (rc == -EWOULDBLOCK)
			rc = -EAGAIN;
		return vu_fail(dev, rc, "accept: %s", strerror(-rc));
	}
	dev->fd = fd;
	return 0;
}

static int
highest_started_ring(const struct vu_dev *dev)
{
	for (int i = VU_MAX_RINGS - 1; i >= 0; i--)
		if (dev->rings[i].started)
			return i;
	return -1;
}

static int
handshake(struct vu_dev *dev)
{
	uint64_t features, pf = 0, qn;
	unsigned int qp = 1;
	int rc, top;

	rc = vu_send_req(dev, VHOST_WIRE_SET_OWNER, NULL, 0, NULL, 0, false);
	if (rc == 0)
		rc = vu_get(dev, VHOST_WIRE_GET_FEATURES, NULL, 0, &features, sizeof(features));
	if (rc < 0)
		return rc;
	if (!(features & (1ull << VIRTIO_F_VERSION_1)))
		return vu_fail_drop(dev, -ENOTSUP,
			"the backend does not offer VIRTIO_F_VERSION_1 (features 0x%llx)",
			(unsigned long long)features);
	if (features & (1ull << VU_F_PROTOCOL_FEATURES)) {
		rc = vu_get(dev, VHOST_WIRE_GET_PROTOCOL_FEATURES, NULL, 0, &pf, sizeof(pf));
		if (rc < 0)
			return rc;
		pf &= VU_PROTOCOL_WANTED;
		rc = vu_send_u64(dev, VHOST_WIRE_SET_PROTOCOL_FEATURES, pf, false);
		if (rc < 0)
			return rc;
		dev->protocol_features = pf;
	}
	if (pf & (1ull << VU_PROTOCOL_F_MQ)) {
		rc = vu_get(dev, VHOST_WIRE_GET_QUEUE_NUM, NULL, 0, &qn, sizeof(qn));
		if (rc < 0)
			return rc;
		if (qn == 0)
			return vu_fail_drop(dev, -EPROTO, "GET_QUEUE_NUM reply: 0 queues");
		qp = qn < dev->want_qp ? (unsigned int)qn : dev->want_qp;
	}
	if (dev->features_set && (features & dev->features) != dev->features)
		return vu_fail_drop(dev, -ENOTSUP,
			"the backend no longer offers features 0x%llx the guest uses",
			(unsigned long long)(dev->features & ~features));
	top = highest_started_ring(dev);
	if (top >= 0 && (unsigned int)top / 2 >= qp)
		return vu_fail_drop(dev, -ENOTSUP,
			"the backend offers %u queue pairs, the guest uses %d", qp, top / 2 + 1);
	dev->backend_features = features;
	dev->queue_pairs = qp;
	dev->connected = true;
	return 0;
}

int
vu_dev_connect(struct vu_dev *dev, int wait_ms)
{
	int rc;

	if (dev->connected)
		return 0;
	vu_close_conn(dev);
	rc = dev->server ? accept_backend(dev, wait_ms) : open_client(dev);
	if (rc < 0)
		return rc;
	return handshake(dev);
}

bool
vu_dev_connected(const struct vu_dev *dev)
{
	return dev->connected;
}

int
vu_dev_fd(const struct vu_dev *dev)
{
	return dev->connected ? dev->fd : -1;
}

int
vu_dev_listen_fd(const struct vu_dev *dev)
{
	return dev->listen_fd;
}

int
vu_dev_poll(struct vu_dev *dev)
{
	char c;
	ssize_t n;

	if (dev->fd < 0)
		return vu_fail(dev, -ENOTCONN, "not connected");
	do
		n = recv(dev->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return vu_fail_drop(dev, -ECONNRESET, "the backend closed the connection");
	if (n > 0)
		return vu_fail_drop(dev, -EPROTO, "unexpected message from the backend");
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return 0;
	return vu_fail_drop(dev, -errno, "connection error: %s", strerror(errno));
}

const char *
vu_dev_error(const struct vu_dev *dev)
{
	return dev->err;
}

const char *
vu_dev_path(const struct vu_dev *dev)
{
	return dev->path;
}

uint64_t
vu_dev_features(const struct vu_dev *dev)
{
	return dev->backend_features;
}

uint64_t
vu_dev_protocol_features(const struct vu_dev *dev)
{
	return dev->protocol_features;
}

unsigned int
vu_dev_queue_pairs(const struct vu_dev *dev)
{
	return dev->queue_pairs;
}
