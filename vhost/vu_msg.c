/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost-user messages on the socket: send with file descriptors, read replies with a
 * deadline, check every reply before anyone looks at it.  Any failure here leaves the
 * stream in an unknown state, so the connection is closed (vu_fail_drop).
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vu_priv.h"

static const char *const request_names[VHOST_WIRE_REQUEST_MAX] = {
	[VHOST_WIRE_GET_FEATURES] = "GET_FEATURES",
	[VHOST_WIRE_SET_FEATURES] = "SET_FEATURES",
	[VHOST_WIRE_SET_OWNER] = "SET_OWNER",
	[VHOST_WIRE_RESET_OWNER] = "RESET_OWNER",
	[VHOST_WIRE_SET_MEM_TABLE] = "SET_MEM_TABLE",
	[VHOST_WIRE_SET_VRING_NUM] = "SET_VRING_NUM",
	[VHOST_WIRE_SET_VRING_ADDR] = "SET_VRING_ADDR",
	[VHOST_WIRE_SET_VRING_BASE] = "SET_VRING_BASE",
	[VHOST_WIRE_GET_VRING_BASE] = "GET_VRING_BASE",
	[VHOST_WIRE_SET_VRING_KICK] = "SET_VRING_KICK",
	[VHOST_WIRE_SET_VRING_CALL] = "SET_VRING_CALL",
	[VHOST_WIRE_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
	[VHOST_WIRE_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
	[VHOST_WIRE_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
	[VHOST_WIRE_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
	[VHOST_WIRE_SET_STATUS] = "SET_STATUS",
	[VHOST_WIRE_GET_STATUS] = "GET_STATUS",
};

const char *
vu_request_name(uint32_t req)
{
	if (req < VHOST_WIRE_REQUEST_MAX && request_names[req] != NULL)
		return request_names[req];
	return "?";
}

static void
vu_vrecord(struct vu_dev *dev, const char *fmt, va_list ap)
{
	int n = snprintf(dev->err, sizeof(dev->err), "vhost-user %s: ", dev->path);

	if (n < 0 || (size_t)n >= sizeof(dev->err))
		return;
	vsnprintf(dev->err + n, sizeof(dev->err) - (size_t)n, fmt, ap);
}

int
vu_fail(struct vu_dev *dev, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vu_vrecord(dev, fmt, ap);
	va_end(ap);
	return rc;
}

int
vu_fail_drop(struct vu_dev *dev, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vu_vrecord(dev, fmt, ap);
	va_end(ap);
	vu_close_conn(dev);
	return rc;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for 'events' on the socket until 'deadline'; 0, -ETIMEDOUT or -errno. */
static int
wait_sock(struct vu_dev *dev, short events, int64_t deadline)
{
	struct pollfd p = { .fd = dev->fd, .events = events };

	for (;;) {
		int64_t left = deadline - now_ms();
		int rc;

		if (left < 0)
			left = 0;
		rc = poll(&p, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -errno;
		if (rc == 0)
			return -ETIMEDOUT;
		if (p.revents & POLLNVAL)
			return -EBADF;
		if ((events & POLLOUT) && (p.revents & (POLLERR | POLLHUP)))
			return -EPIPE;
		if (p.revents & (events | POLLHUP | POLLERR))
			return 0;
	}
}

static int
send_all(struct vu_dev *dev, const void *buf, size_t len, const int *fds, unsigned int nfds,
	int64_t deadline)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VU_MAX_MEM_REGIONS)];
		struct cmsghdr align;
	} ctl;
	const char *p = buf;

	if (nfds > VU_MAX_MEM_REGIONS)
		return -EINVAL;
	while (len > 0) {
		struct iovec iov = { .iov_base = (void *)p, .iov_len = len };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;

		if (nfds > 0) {
			struct cmsghdr *c;

			memset(&ctl, 0, sizeof(ctl));
			mh.msg_control = ctl.buf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
			memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
		}
		n = sendmsg(dev->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			int rc;

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -errno;
			rc = wait_sock(dev, POLLOUT, deadline);
			if (rc < 0)
				return rc;
			continue;
		}
		nfds = 0;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Close every descriptor the peer smuggled in: replies never carry any. */
static unsigned int
close_passed_fds(struct msghdr *mh)
{
	unsigned int closed = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
				c->cmsg_len < CMSG_LEN(0))
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			close(fd);
			closed++;
		}
	}
	return closed;
}

static int
recv_all(struct vu_dev *dev, void *buf, size_t len, int64_t deadline, unsigned int *nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr align;
	} ctl;
	char *p = buf;

	while (len > 0) {
		struct iovec iov = { .iov_base = p, .iov_len = len };
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
		};
		ssize_t n = recvmsg(dev->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n < 0) {
			int rc;

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -errno;
			rc = wait_sock(dev, POLLIN, deadline);
			if (rc < 0)
				return rc;
			continue;
		}
		*nfds += close_passed_fds(&mh);
		if (mh.msg_flags & MSG_CTRUNC)
			(*nfds)++;
		if (n == 0)
			return -ECONNRESET;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static const char *
io_error(int rc)
{
	switch (rc) {
	case -ETIMEDOUT:
		return "no reply in time";
	case -ECONNRESET:
		return "connection closed by the backend";
	default:
		return strerror(-rc);
	}
}

/* Send one message. */
static int
send_msg(struct vu_dev *dev, uint32_t req, uint32_t flags, const void *payload,
	uint32_t size, const int *fds, unsigned int nfds)
{
	struct vu_msg msg;
	int rc;

	if (dev->fd < 0)
		return vu_fail(dev, -ENOTCONN, "%s: not connected", vu_request_name(req));
	if (size > VU_MAX_PAYLOAD)
		return vu_fail(dev, -EINVAL, "%s: payload of %u bytes", vu_request_name(req), size);
	memset(&msg, 0, sizeof(msg));
	msg.hdr.request = req;
	msg.hdr.flags = VHOST_WIRE_FLAG_VERSION | flags;
	msg.hdr.size = size;
	if (size > 0)
		memcpy(msg.u.bytes, payload, size);
	rc = send_all(dev, &msg, sizeof(msg.hdr) + size, fds, nfds,
		now_ms() + dev->timeout_ms);
	/* A backend that hung up is reported alike whether the send or the reply finds out. */
	if (rc == -EPIPE)
		rc = -ECONNRESET;
	if (rc < 0)
		return vu_fail_drop(dev, rc, "%s: send: %s", vu_request_name(req),
			io_error(rc));
	return 0;
}

/* Read the reply to 'req': exactly 'size' payload bytes into 'reply'. */
static int
recv_reply(struct vu_dev *dev, uint32_t req, void *reply, uint32_t size)
{
	const char *name = vu_request_name(req);
	int64_t deadline = now_ms() + dev->timeout_ms;
	unsigned int nfds = 0;
	struct vu_msg msg;
	int rc;

	rc = recv_all(dev, &msg.hdr, sizeof(msg.hdr), deadline, &nfds);
	if (rc < 0)
		return vu_fail_drop(dev, rc, "%s reply: %s", name, io_error(rc));
	if ((msg.hdr.flags & VHOST_WIRE_FLAG_VERSION_MASK) != VHOST_WIRE_FLAG_VERSION)
		return vu_fail_drop(dev, -EPROTO, "%s reply: version %u, expected 1", name,
			msg.hdr.flags & VHOST_WIRE_FLAG_VERSION_MASK);
	if (!(msg.hdr.flags & VHOST_WIRE_FLAG_REPLY))
		return vu_fail_drop(dev, -EPROTO, "%s reply: reply flag not set (flags 0x%x)",
			name, msg.hdr.flags);
	if (msg.hdr.request != req)
		return vu_fail_drop(dev, -EPROTO, "%s reply: request %u (%s) instead", name,
			msg.hdr.request, vu_request_name(msg.hdr.request));
	if (msg.hdr.size != size)
		return vu_fail_drop(dev, -EPROTO, "%s reply: %u bytes, expected %u", name,
			msg.hdr.size, size);
	rc = recv_all(dev, reply, size, deadline, &nfds);
	if (rc < 0)
		return vu_fail_drop(dev, rc, "%s reply: %s", name, io_error(rc));
	if (nfds > 0)
		return vu_fail_drop(dev, -EPROTO, "%s reply: came with %u file descriptors",
			name, nfds);
	return 0;
}

int
vu_send_req(struct vu_dev *dev, uint32_t req, const void *payload, uint32_t size,
	const int *fds, unsigned int nfds, bool ack)
{
	bool need = ack && (dev->protocol_features & (1ull << VU_PROTOCOL_F_REPLY_ACK));
	uint64_t result;
	int rc;

	rc = send_msg(dev, req, need ? VHOST_WIRE_FLAG_NEED_REPLY : 0, payload, size, fds, nfds);
	if (rc < 0 || !need)
		return rc;
	rc = recv_reply(dev, req, &result, sizeof(result));
	if (rc < 0)
		return rc;
	if (result != 0)
		return vu_fail(dev, -EIO, "%s: the backend refused it (REPLY_ACK %llu)",
			vu_request_name(req), (unsigned long long)result);
	return 0;
}

int
vu_get(struct vu_dev *dev, uint32_t req, const void *payload, uint32_t psize, void *reply,
	uint32_t size)
{
	int rc = send_msg(dev, req, 0, payload, psize, NULL, 0);

	if (rc < 0)
		return rc;
	return recv_reply(dev, req, reply, size);
}

int
vu_send_u64(struct vu_dev *dev, uint32_t req, uint64_t v, bool ack)
{
	return vu_send_req(dev, req, &v, sizeof(v), NULL, 0, ack);
}

int
vu_send_state(struct vu_dev *dev, uint32_t req, uint32_t index, uint32_t num)
{
	struct vhost_wire_vring_state s = { .index = index, .num = num };

	return vu_send_req(dev, req, &s, sizeof(s), NULL, 0, true);
}
