/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The scripted vhost-user backend of the frontend's unit tests (see vu_fake.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vu_fake.h"

#define REQ_GET_FEATURES 1
#define REQ_SET_FEATURES 2
#define REQ_SET_OWNER 3
#define REQ_SET_MEM_TABLE 5
#define REQ_GET_VRING_BASE 11
#define REQ_GET_PROTOCOL_FEATURES 15
#define REQ_GET_QUEUE_NUM 17
#define F_REPLY 0x4u
#define F_NEED_REPLY 0x8u

static int
recv_fds(int fd, void *buf, size_t len, unsigned int *nfds)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr align;
	} ctl;
	size_t got = 0;

	while (got < len) {
		struct iovec iov = { .iov_base = (char *)buf + got, .iov_len = len - got };
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.b, .msg_controllen = sizeof(ctl.b),
		};
		ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);

		if (n <= 0)
			return -1;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (size_t i = 0; i < k; i++) {
				int x;

				memcpy(&x, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				close(x);
			}
			*nfds += (unsigned int)k;
		}
		got += (size_t)n;
	}
	return 0;
}

static void
send_raw(struct vu_fake *f, uint32_t req, uint32_t flags, uint32_t size, const void *p,
	uint32_t plen, int pass_fd)
{
	uint8_t buf[12 + 64];
	struct iovec iov = { .iov_base = buf, .iov_len = 12 + plen };
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	memcpy(buf, &req, 4);
	memcpy(buf + 4, &flags, 4);
	memcpy(buf + 8, &size, 4);
	memcpy(buf + 12, p, plen);
	if (pass_fd >= 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.b;
		mh.msg_controllen = sizeof(ctl.b);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	if (sendmsg(f->fd, &mh, MSG_NOSIGNAL) < 0)
		perror("fake backend: sendmsg");
}

static void
reply_u64(struct vu_fake *f, uint32_t req, uint64_t v)
{
	send_raw(f, req, 1 | F_REPLY, 8, &v, 8, -1);
}

/* Answer 'm' per the mode; false to hang up. */
static bool
answer(struct vu_fake *f, const struct vu_fake_msg *m)
{
	uint64_t features = FAKE_FEATURES;

	if (f->mode == FAKE_NO_VERSION_1)
		features &= ~(1ull << 32);
	if (f->mode == FAKE_FEWER_FEATURES)
		features &= ~(1ull << 15);
	if (f->mode == FAKE_NO_PROTOCOL)
		features &= ~(1ull << 30);
	switch (m->req) {
	case REQ_SET_OWNER:
		return f->mode != FAKE_HANGUP;
	case REQ_GET_FEATURES:
		switch (f->mode) {
		case FAKE_SILENT:
			return true;
		case FAKE_WRONG_REQ:
			reply_u64(f, REQ_GET_PROTOCOL_FEATURES, features);
			return true;
		case FAKE_SHORT:
			send_raw(f, m->req, 1 | F_REPLY, 4, &features, 4, -1);
			return true;
		case FAKE_HUGE:
			send_raw(f, m->req, 1 | F_REPLY, 0xffffffffu, &features, 8, -1);
			return true;
		case FAKE_NO_REPLY_FLAG:
			send_raw(f, m->req, 1, 8, &features, 8, -1);
			return true;
		case FAKE_BAD_VERSION:
			send_raw(f, m->req, 2 | F_REPLY, 8, &features, 8, -1);
			return true;
		case FAKE_FDS: {
			int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

			send_raw(f, m->req, 1 | F_REPLY, 8, &features, 8, fd);
			close(fd);
			return true;
		}
		case FAKE_GARBAGE: {
			uint8_t junk[40];

			for (unsigned int i = 0; i < sizeof(junk); i++)
				junk[i] = (uint8_t)(i * 37 + 11);
			if (write(f->fd, junk, sizeof(junk)) < 0)
				return false;
			return true;
		}
		default:
			reply_u64(f, m->req, features);
			return true;
		}
	case REQ_GET_PROTOCOL_FEATURES:
		reply_u64(f, m->req, FAKE_PROTOCOL);
		return true;
	case REQ_GET_QUEUE_NUM:
		reply_u64(f, m->req, f->mode == FAKE_ZERO_QUEUES ? 0 : FAKE_QUEUES);
		if (f->mode == FAKE_UNSOLICITED)
			send_raw(f, REQ_GET_FEATURES, 1, 8, &features, 8, -1);
		return true;
	case REQ_GET_VRING_BASE: {
		uint32_t s[2];

		memcpy(s, m->payload, sizeof(s));
		if (f->mode == FAKE_BAD_BASE)
			s[0]++;
		s[1] = FAKE_BASE;
		send_raw(f, m->req, 1 | F_REPLY, 8, s, 8, -1);
		return true;
	}
	default:
		break;
	}
	if (m->flags & F_NEED_REPLY) {
		if (m->req == REQ_SET_FEATURES && f->mode == FAKE_SILENT_ACK)
			return true;
		reply_u64(f, m->req, m->req == REQ_SET_MEM_TABLE && f->mode == FAKE_NACK_MEM);
	}
	return true;
}

static void *
fake_main(void *arg)
{
	struct vu_fake *f = arg;
	struct pollfd p = { .events = POLLIN };
	int64_t waited = 0;

	if (f->connect) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		memcpy(sa.sun_path, f->path, strlen(f->path) + 1);
		f->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (connect(f->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			perror("fake backend: connect");
			return NULL;
		}
	} else {
		p.fd = f->lfd;
		if (poll(&p, 1, 5000) != 1)
			return NULL;
		f->fd = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (f->fd < 0)
			return NULL;
	}
	p.fd = f->fd;
	while (waited < 5000) {
		struct vu_fake_msg m;
		uint8_t hdr[12];

		if (poll(&p, 1, 100) == 0) {
			waited += 100;
			continue;
		}
		memset(&m, 0, sizeof(m));
		if (recv_fds(f->fd, hdr, sizeof(hdr), &m.nfds) < 0)
			break;
		memcpy(&m.req, hdr, 4);
		memcpy(&m.flags, hdr + 4, 4);
		memcpy(&m.size, hdr + 8, 4);
		if (m.size > sizeof(m.payload) ||
				recv_fds(f->fd, m.payload, m.size, &m.nfds) < 0)
			break;
		if (f->n < FAKE_LOG)
			f->log[f->n++] = m;
		if (!answer(f, &m))
			break;
	}
	close(f->fd);
	f->fd = -1;
	return NULL;
}

int
vu_fake_start(struct vu_fake *f, enum vu_fake_mode mode, const char *dir, bool connect)
{
	static unsigned int serial;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(f, 0, sizeof(*f));
	f->mode = mode;
	f->connect = connect;
	f->lfd = -1;
	f->fd = -1;
	if (connect)
		snprintf(f->path, sizeof(f->path), "%s", dir);
	else
		snprintf(f->path, sizeof(f->path), "%s/fake%u.sock", dir, serial++);
	if (!connect) {
		memcpy(sa.sun_path, f->path, strlen(f->path) + 1);
		f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (f->lfd < 0 || bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
				listen(f->lfd, 4) < 0)
			return -errno;
	}
	return pthread_create(&f->thread, NULL, fake_main, f) == 0 ? 0 : -EAGAIN;
}

void
vu_fake_join(struct vu_fake *f)
{
	pthread_join(f->thread, NULL);
	if (f->lfd >= 0) {
		close(f->lfd);
		unlink(f->path);
	}
}

int
vu_fake_find(const struct vu_fake *f, uint32_t req, unsigned int from)
{
	for (unsigned int i = from; i < f->n; i++)
		if (f->log[i].req == req)
			return (int)i;
	return -1;
}
