/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost-user frontend device configuration: features, memory table, rings, status; device
 * reset and the replay of all of it after a reconnect.
 */
#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <string.h>

#include "vu_priv.h"

#define BIT(n) (1ull << (n))
#define VHOST_LOG_ALL_BIT 26

/* Features the backend implements: offered to the guest only when the backend offers them. */
#define RING_FEATURES (BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_ANY_LAYOUT) | \
	BIT(VIRTIO_RING_F_INDIRECT_DESC) | BIT(VIRTIO_RING_F_EVENT_IDX) | \
	BIT(VIRTIO_NET_F_MRG_RXBUF) | BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM) | \
	BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6) | \
	BIT(VIRTIO_NET_F_GUEST_ECN) | BIT(VIRTIO_NET_F_GUEST_UFO) | \
	BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6) | \
	BIT(VIRTIO_NET_F_HOST_ECN) | BIT(VIRTIO_NET_F_HOST_UFO))

/* Features the VMM's device implements itself (config space, control queue). */
#define DEVICE_FEATURES (BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS) | \
	BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_CTRL_RX))

/* Of the guest's features, those passed on to a backend that offers them. */
#define SENT_FEATURES (RING_FEATURES | BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS) | \
	BIT(VIRTIO_NET_F_MQ))

/* Features the frontend cannot honour at all. */
#define REFUSED_FEATURES (BIT(VIRTIO_F_RING_PACKED) | BIT(VIRTIO_F_ACCESS_PLATFORM) | \
	BIT(VHOST_LOG_ALL_BIT))

uint64_t
vu_net_offer(const struct vu_dev *dev, uint64_t supported)
{
	uint64_t offer = (dev->backend_features & RING_FEATURES) | DEVICE_FEATURES;

	if (dev->queue_pairs > 1)
		offer |= BIT(VIRTIO_NET_F_MQ);
	return supported & offer;
}

static bool
has_protocol_features(const struct vu_dev *dev)
{
	return (dev->features & BIT(VU_F_PROTOCOL_FEATURES)) != 0;
}

static int
need_connection(struct vu_dev *dev, const char *what)
{
	if (!dev->connected)
		return vu_fail(dev, -ENOTCONN, "%s: not connected", what);
	return 0;
}

int
vu_dev_set_features(struct vu_dev *dev, uint64_t acked)
{
	uint64_t missing = acked & RING_FEATURES & ~dev->backend_features;
	uint64_t send;
	int rc;

	rc = need_connection(dev, "SET_FEATURES");
	if (rc < 0)
		return rc;
	if (!(acked & BIT(VIRTIO_F_VERSION_1)))
		return vu_fail(dev, -EINVAL, "SET_FEATURES: VIRTIO_F_VERSION_1 not acked");
	if (acked & REFUSED_FEATURES)
		return vu_fail(dev, -EINVAL, "SET_FEATURES: unsupported features 0x%llx",
			(unsigned long long)(acked & REFUSED_FEATURES));
	if (missing)
		return vu_fail(dev, -EINVAL,
			"SET_FEATURES: features 0x%llx not offered by the backend",
			(unsigned long long)missing);
	send = (acked & dev->backend_features & SENT_FEATURES) |
		(dev->backend_features & BIT(VU_F_PROTOCOL_FEATURES));
	rc = vu_send_u64(dev, VU_REQ_SET_FEATURES, send, true);
	if (rc < 0)
		return rc;
	dev->features = send;
	dev->features_set = true;
	return 0;
}

static int
send_mem_table(struct vu_dev *dev)
{
	struct vu_wire_mem mem;
	int fds[VU_MAX_MEM_REGIONS];

	memset(&mem, 0, sizeof(mem));
	mem.nregions = dev->nregions;
	for (unsigned int i = 0; i < dev->nregions; i++) {
		const struct vu_mem_region *r = &dev->regions[i];

		mem.regions[i].gpa = r->gpa;
		mem.regions[i].size = r->size;
		mem.regions[i].uaddr = (uint64_t)(uintptr_t)r->hva;
		mem.regions[i].mmap_offset = r->fd_offset;
		fds[i] = r->fd;
	}
	return vu_send_req(dev, VU_REQ_SET_MEM_TABLE, &mem,
		(uint32_t)(offsetof(struct vu_wire_mem, regions) +
			dev->nregions * sizeof(struct vu_wire_region)),
		fds, dev->nregions, true);
}

int
vu_dev_set_mem_table(struct vu_dev *dev, const struct vu_mem_region *regions, unsigned int n)
{
	int rc;

	rc = need_connection(dev, "SET_MEM_TABLE");
	if (rc < 0)
		return rc;
	if (n == 0 || n > VU_MAX_MEM_REGIONS)
		return vu_fail(dev, -EINVAL, "SET_MEM_TABLE: %u regions (1..%d)", n,
			VU_MAX_MEM_REGIONS);
	for (unsigned int i = 0; i < n; i++) {
		const struct vu_mem_region *r = &regions[i];

		if (r->size == 0 || r->hva == NULL || r->fd < 0 ||
				r->gpa + r->size < r->gpa ||
				(uintptr_t)r->hva + r->size < (uintptr_t)r->hva ||
				r->fd_offset + r->size < r->fd_offset)
			return vu_fail(dev, -EINVAL,
				"SET_MEM_TABLE: region %u (gpa 0x%llx size 0x%llx fd %d) invalid",
				i, (unsigned long long)r->gpa, (unsigned long long)r->size, r->fd);
	}
	memcpy(dev->regions, regions, n * sizeof(*regions));
	dev->nregions = n;
	rc = send_mem_table(dev);
	if (rc < 0)
		dev->nregions = 0;
	return rc;
}

/* True when ['p', 'p' + 'len') lies inside one memory region. */
static bool
in_memory(const struct vu_dev *dev, const void *p, uint64_t len)
{
	uintptr_t a = (uintptr_t)p;

	for (unsigned int i = 0; i < dev->nregions; i++) {
		uintptr_t base = (uintptr_t)dev->regions[i].hva;

		if (a >= base && a - base <= dev->regions[i].size &&
				len <= dev->regions[i].size - (a - base))
			return true;
	}
	return false;
}

static int
check_ring(struct vu_dev *dev, unsigned int idx, const struct vu_ring *r)
{
	uint64_t n = r->size;

	if (n == 0 || n > VU_MAX_RING_SIZE || (n & (n - 1)) != 0)
		return vu_fail(dev, -EINVAL, "ring %u: size %u is not a power of two <= %d", idx,
			r->size, VU_MAX_RING_SIZE);
	if ((uintptr_t)r->desc % 16 || (uintptr_t)r->avail % 2 || (uintptr_t)r->used % 4)
		return vu_fail(dev, -EINVAL, "ring %u: misaligned ring areas", idx);
	if (!in_memory(dev, r->desc, 16 * n) || !in_memory(dev, r->avail, 6 + 2 * n) ||
			!in_memory(dev, r->used, 6 + 8 * n))
		return vu_fail(dev, -EINVAL, "ring %u: ring areas outside the memory table",
			idx);
	if (r->kick_fd < -1 || r->call_fd < -1)
		return vu_fail(dev, -EINVAL, "ring %u: bad eventfd", idx);
	if (!r->enabled && !has_protocol_features(dev))
		return vu_fail(dev, -ENOTSUP,
			"ring %u: cannot start disabled without protocol features", idx);
	return 0;
}

static int
send_fd_req(struct vu_dev *dev, uint32_t req, unsigned int idx, int fd)
{
	uint64_t v = idx;

	if (fd < 0)
		v |= VU_VRING_NOFD;
	return vu_send_req(dev, req, &v, sizeof(v), &fd, fd < 0 ? 0 : 1, true);
}

static int
send_ring(struct vu_dev *dev, unsigned int idx, const struct vu_ring *r)
{
	struct vu_vring_addr addr = {
		.index = idx,
		.desc = (uint64_t)(uintptr_t)r->desc,
		.used = (uint64_t)(uintptr_t)r->used,
		.avail = (uint64_t)(uintptr_t)r->avail,
	};
	int rc;

	rc = vu_send_state(dev, VU_REQ_SET_VRING_NUM, idx, r->size);
	if (rc == 0)
		rc = vu_send_req(dev, VU_REQ_SET_VRING_ADDR, &addr, sizeof(addr), NULL, 0, true);
	if (rc == 0)
		rc = vu_send_state(dev, VU_REQ_SET_VRING_BASE, idx, r->base);
	if (rc == 0)
		rc = send_fd_req(dev, VU_REQ_SET_VRING_CALL, idx, r->call_fd);
	if (rc == 0)
		rc = send_fd_req(dev, VU_REQ_SET_VRING_KICK, idx, r->kick_fd);
	if (rc == 0 && has_protocol_features(dev))
		rc = vu_send_state(dev, VU_REQ_SET_VRING_ENABLE, idx, r->enabled);
	return rc;
}

static int
check_idx(struct vu_dev *dev, unsigned int idx, const char *what)
{
	if (idx >= 2 * dev->queue_pairs)
		return vu_fail(dev, -EINVAL, "%s: ring %u, the backend has %u", what, idx,
			2 * dev->queue_pairs);
	return 0;
}

int
vu_ring_start(struct vu_dev *dev, unsigned int idx, const struct vu_ring *ring)
{
	int rc;

	rc = need_connection(dev, "ring start");
	if (rc == 0)
		rc = check_idx(dev, idx, "ring start");
	if (rc < 0)
		return rc;
	if (!dev->features_set || dev->nregions == 0)
		return vu_fail(dev, -EINVAL, "ring %u: features and memory table come first",
			idx);
	if (dev->rings[idx].started)
		return vu_fail(dev, -EBUSY, "ring %u: already started", idx);
	rc = check_ring(dev, idx, ring);
	if (rc < 0)
		return rc;
	rc = send_ring(dev, idx, ring);
	if (rc < 0)
		return rc;
	dev->rings[idx].cfg = *ring;
	dev->rings[idx].started = true;
	return 0;
}

static int
check_started(struct vu_dev *dev, unsigned int idx, const char *what)
{
	int rc = need_connection(dev, what);

	if (rc < 0)
		return rc;
	if (idx >= VU_MAX_RINGS || !dev->rings[idx].started)
		return vu_fail(dev, -EINVAL, "%s: ring %u is not started", what, idx);
	return 0;
}

int
vu_ring_enable(struct vu_dev *dev, unsigned int idx, bool enable)
{
	int rc = check_started(dev, idx, "SET_VRING_ENABLE");

	if (rc < 0)
		return rc;
	if (!has_protocol_features(dev))
		return vu_fail(dev, -ENOTSUP, "SET_VRING_ENABLE: no protocol features");
	rc = vu_send_state(dev, VU_REQ_SET_VRING_ENABLE, idx, enable);
	if (rc == 0)
		dev->rings[idx].cfg.enabled = enable;
	return rc;
}

int
vu_ring_set_call(struct vu_dev *dev, unsigned int idx, int call_fd)
{
	int rc = check_started(dev, idx, "SET_VRING_CALL");

	if (rc < 0)
		return rc;
	if (call_fd < -1)
		return vu_fail(dev, -EINVAL, "ring %u: bad call eventfd %d", idx, call_fd);
	rc = send_fd_req(dev, VU_REQ_SET_VRING_CALL, idx, call_fd);
	if (rc == 0)
		dev->rings[idx].cfg.call_fd = call_fd;
	return rc;
}

int
vu_ring_stop(struct vu_dev *dev, unsigned int idx, uint16_t *base)
{
	struct vu_vring_state q = { .index = idx }, s;
	int rc = check_started(dev, idx, "GET_VRING_BASE");

	if (rc < 0)
		return rc;
	if (has_protocol_features(dev) && dev->rings[idx].cfg.enabled) {
		rc = vu_send_state(dev, VU_REQ_SET_VRING_ENABLE, idx, 0);
		if (rc < 0)
			return rc;
	}
	rc = vu_get(dev, VU_REQ_GET_VRING_BASE, &q, sizeof(q), &s, sizeof(s));
	if (rc < 0)
		return rc;
	if (s.index != idx || s.num > UINT16_MAX)
		return vu_fail_drop(dev, -EPROTO, "GET_VRING_BASE reply: ring %u index %u",
			s.index, s.num);
	dev->rings[idx].started = false;
	if (base != NULL)
		*base = (uint16_t)s.num;
	return 0;
}

bool
vu_ring_started(const struct vu_dev *dev, unsigned int idx)
{
	return idx < VU_MAX_RINGS && dev->rings[idx].started;
}

uint16_t
vu_ring_used_idx(const struct vu_dev *dev, unsigned int idx)
{
	const uint16_t *used;

	if (!vu_ring_started(dev, idx))
		return 0;
	used = dev->rings[idx].cfg.used;
	return __atomic_load_n(&used[1], __ATOMIC_ACQUIRE);
}

static int
send_status(struct vu_dev *dev, uint8_t status)
{
	if (!(dev->protocol_features & BIT(VU_PROTOCOL_F_STATUS)))
		return 0;
	return vu_send_u64(dev, VU_REQ_SET_STATUS, status, true);
}

int
vu_dev_set_status(struct vu_dev *dev, uint8_t status)
{
	int rc = need_connection(dev, "SET_STATUS");

	dev->status = status;
	dev->status_set = true;
	if (rc < 0)
		return rc;
	return send_status(dev, status);
}

int
vu_dev_stop(struct vu_dev *dev)
{
	int first = 0;

	for (unsigned int i = 0; i < VU_MAX_RINGS && dev->connected; i++) {
		int rc;

		if (!dev->rings[i].started)
			continue;
		rc = vu_ring_stop(dev, i, NULL);
		if (rc < 0 && first == 0)
			first = rc;
	}
	if (dev->connected && dev->status_set) {
		int rc = send_status(dev, 0);

		if (rc < 0 && first == 0)
			first = rc;
	}
	memset(dev->rings, 0, sizeof(dev->rings));
	dev->features_set = false;
	dev->features = 0;
	dev->nregions = 0;
	dev->status_set = false;
	dev->status = 0;
	return first;
}

int
vu_dev_restore(struct vu_dev *dev, const uint16_t *bases, unsigned int n)
{
	int rc = need_connection(dev, "restore");

	if (rc < 0)
		return rc;
	for (unsigned int i = 0; i < VU_MAX_RINGS && bases != NULL; i++)
		if (dev->rings[i].started && i >= n)
			return vu_fail(dev, -EINVAL, "restore: no index given for ring %u", i);
	if (dev->features_set) {
		rc = vu_send_u64(dev, VU_REQ_SET_FEATURES, dev->features, true);
		if (rc < 0)
			return rc;
	}
	if (dev->nregions > 0) {
		rc = send_mem_table(dev);
		if (rc < 0)
			return rc;
	}
	for (unsigned int i = 0; i < VU_MAX_RINGS; i++) {
		struct vu_ring_state *r = &dev->rings[i];

		if (!r->started)
			continue;
		r->cfg.base = bases != NULL ? bases[i] : vu_ring_used_idx(dev, i);
		rc = send_ring(dev, i, &r->cfg);
		if (rc < 0)
			return rc;
	}
	if (dev->status_set)
		return send_status(dev, dev->status);
	return 0;
}
