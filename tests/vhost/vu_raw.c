/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Raw vhost-user messages from a test frontend (see vu_raw.h).
 */
#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vu_raw.h"

#define REPLY_MS 3000

struct vr_msg {
	struct vhost_wire_hdr hdr;
	union {
		uint64_t u64;
		struct vhost_wire_vring_addr addr;
		struct vhost_wire_mem_table mem;
		uint8_t bytes[sizeof(struct vhost_wire_mem_table)];
	} u;
} __attribute__((packed));

static const char *const outcome_names[] = {
	[VR_ACK] = "acknowledged", [VR_NACK] = "refused (NACK)", [VR_REPLY] = "answered",
	[VR_CLOSED] = "connection closed", [VR_TIMEOUT] = "no answer", [VR_IOERR] = "I/O error",
};

const char *
vr_outcome_name(enum vr_outcome o)
{
	return o <= VR_IOERR ? outcome_names[o] : "?";
}

static int
read_full(int fd, void *buf, size_t len, int64_t deadline)
{
	uint8_t *p = buf;

	while (len > 0) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - vg_now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pf, 1, (int)left) != 1)
			return -ETIMEDOUT;
		n = recv(fd, p, len, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return -ECONNRESET;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		}
	}
	return 0;
}

enum vr_outcome
vr_send(struct vg_nic *n, uint32_t req, const void *payload, uint32_t size, const int *fds,
	unsigned int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} ctl;
	struct vr_msg m = {
		.hdr = {
			.request = req,
			.flags = VHOST_WIRE_FLAG_VERSION | VHOST_WIRE_FLAG_NEED_REPLY,
			.size = size,
		},
	};
	struct iovec iov = { .iov_base = &m, .iov_len = VHOST_WIRE_HDR_SIZE + size };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fd = vu_dev_fd(n->dev);
	int64_t deadline = vg_now_ms() + REPLY_MS;
	uint32_t hdr[3];
	uint64_t v = 0;
	int rc;

	if (fd < 0)
		return VR_CLOSED;
	if (size > sizeof(m.u) || nfds > 8)
		abort();
	if (size > 0)
		memcpy(&m.u, payload, size);
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
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) != (ssize_t)(VHOST_WIRE_HDR_SIZE + size))
		return errno == EPIPE || errno == ECONNRESET ? VR_CLOSED : VR_IOERR;
	rc = read_full(fd, hdr, sizeof(hdr), deadline);
	if (rc == -ECONNRESET)
		return VR_CLOSED;
	if (rc < 0)
		return rc == -ETIMEDOUT ? VR_TIMEOUT : VR_IOERR;
	if (hdr[0] != req)
		return VR_IOERR;
	if (hdr[2] == sizeof(v)) {
		rc = read_full(fd, &v, sizeof(v), deadline);
		return rc < 0 ? VR_IOERR : v == 0 ? VR_ACK : VR_NACK;
	}
	for (uint32_t left = hdr[2]; left > 0;) {
		uint8_t junk[64];
		uint32_t k = left < sizeof(junk) ? left : sizeof(junk);

		if (read_full(fd, junk, k, deadline) < 0)
			return VR_IOERR;
		left -= k;
	}
	return VR_REPLY;
}

enum vr_outcome
vr_u64(struct vg_nic *n, uint32_t req, uint64_t v)
{
	return vr_send(n, req, &v, sizeof(v), NULL, 0);
}

enum vr_outcome
vr_state(struct vg_nic *n, uint32_t req, uint32_t index, uint32_t num)
{
	uint32_t s[2] = { index, num };

	return vr_send(n, req, s, sizeof(s), NULL, 0);
}

enum vr_outcome
vr_fd(struct vg_nic *n, uint32_t req, uint32_t index, int fd)
{
	uint64_t v = index | (fd < 0 ? VHOST_WIRE_VRING_NOFD : 0);

	return vr_send(n, req, &v, sizeof(v), &fd, fd < 0 ? 0 : 1);
}

enum vr_outcome
vr_features(struct vg_nic *n, uint64_t extra)
{
	return vr_u64(n, VHOST_WIRE_SET_FEATURES, (1ull << VIRTIO_F_VERSION_1) |
		(1ull << VIRTIO_NET_F_MRG_RXBUF) | (1ull << VHOST_WIRE_F_PROTOCOL_FEATURES) | extra);
}

enum vr_outcome
vr_mem(struct vg_nic *n, const struct vhost_wire_mem_table *t, unsigned int nr, const int *fds,
	unsigned int nfds)
{
	if (nr > 8)
		abort();
	return vr_send(n, VHOST_WIRE_SET_MEM_TABLE, t, 8 + nr * (uint32_t)sizeof(struct vhost_wire_region),
		fds, nfds);
}

enum vr_outcome
vr_mem_own(struct vg_nic *n, uint64_t size, uint64_t offset)
{
	struct vhost_wire_mem_table t = {
		.nregions = 1,
		.regions[0] = {
			.gpa = 0, .size = size, .uaddr = (uintptr_t)n->mem.base, .mmap_offset = offset,
		},
	};

	return vr_mem(n, &t, 1, &n->mem.fd, 1);
}

enum vr_outcome
vr_ring_at(struct vg_nic *n, uint32_t idx, uint32_t size, uint64_t desc, uint64_t avail,
	uint64_t used, int kick, int call)
{
	struct vr_msg m;
	enum vr_outcome o;

	memset(&m, 0, sizeof(m));
	m.u.addr.index = idx;
	m.u.addr.desc = desc;
	m.u.addr.avail = avail;
	m.u.addr.used = used;
	o = vr_state(n, VHOST_WIRE_SET_VRING_NUM, idx, size);
	if (o == VR_ACK)
		o = vr_send(n, VHOST_WIRE_SET_VRING_ADDR, &m.u, sizeof(m.u.addr), NULL, 0);
	if (o == VR_ACK)
		o = vr_state(n, VHOST_WIRE_SET_VRING_BASE, idx, 0);
	if (o == VR_ACK)
		o = vr_fd(n, VHOST_WIRE_SET_VRING_CALL, idx, call);
	if (o == VR_ACK)
		o = vr_fd(n, VHOST_WIRE_SET_VRING_KICK, idx, kick);
	if (o == VR_ACK)
		o = vr_state(n, VHOST_WIRE_SET_VRING_ENABLE, idx, 1);
	return o;
}

enum vr_outcome
vr_ring(struct vg_nic *n, uint32_t idx, const struct vg_vq *vq, int call)
{
	return vr_ring_at(n, idx, vq->size, (uintptr_t)vq->desc, (uintptr_t)vq->avail,
		(uintptr_t)vq->used, vq->kick, call);
}
