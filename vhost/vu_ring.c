/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost-user frontend rings: checks of the caller's ring layout, per-ring setup
 * (SET_VRING_NUM/ADDR/BASE/CALL/KICK/ENABLE), enable, call fd changes, GET_VRING_BASE.
 */
#include <errno.h>
#include <string.h>

#include "vu_priv.h"

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
	if (!r->enabled && !vu_has_protocol_features(dev))
		return vu_fail(dev, -ENOTSUP,
			"ring %u: cannot start disabled without protocol features", idx);
	return 0;
}

static int
send_fd_req(struct vu_dev *dev, uint32_t req, unsigned int idx, int fd)
{
	uint64_t v = idx;

	if (fd < 0)
		v |= VHOST_WIRE_VRING_NOFD;
	return vu_send_req(dev, req, &v, sizeof(v), &fd, fd < 0 ? 0 : 1, true);
}

int
vu_send_ring(struct vu_dev *dev, unsigned int idx, const struct vu_ring *r)
{
	struct vhost_wire_vring_addr addr = {
		.index = idx,
		.desc = (uint64_t)(uintptr_t)r->desc,
		.used = (uint64_t)(uintptr_t)r->used,
		.avail = (uint64_t)(uintptr_t)r->avail,
	};
	int rc;

	rc = vu_send_state(dev, VHOST_WIRE_SET_VRING_NUM, idx, r->size);
	if (rc == 0)
		rc = vu_send_req(dev, VHOST_WIRE_SET_VRING_ADDR, &addr, sizeof(addr), NULL, 0, true);
	if (rc == 0)
		rc = vu_send_state(dev, VHOST_WIRE_SET_VRING_BASE, idx, r->base);
	if (rc == 0)
		rc = send_fd_req(dev, VHOST_WIRE_SET_VRING_CALL, idx, r->call_fd);
	if (rc == 0)
		rc = send_fd_req(dev, VHOST_WIRE_SET_VRING_KICK, idx, r->kick_fd);
	if (rc == 0 && vu_has_protocol_features(dev))
		rc = vu_send_state(dev, VHOST_WIRE_SET_VRING_ENABLE, idx, r->enabled);
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

	rc = vu_need_connection(dev, "ring start");
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
	rc = vu_send_ring(dev, idx, ring);
	if (rc < 0)
		return rc;
	dev->rings[idx].cfg = *ring;
	dev->rings[idx].started = true;
	return 0;
}

static int
check_started(struct vu_dev *dev, unsigned int idx, const char *what)
{
	int rc = vu_need_connection(dev, what);

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
	if (!vu_has_protocol_features(dev))
		return vu_fail(dev, -ENOTSUP, "SET_VRING_ENABLE: no protocol features");
	rc = vu_send_state(dev, VHOST_WIRE_SET_VRING_ENABLE, idx, enable);
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
	rc = send_fd_req(dev, VHOST_WIRE_SET_VRING_CALL, idx, call_fd);
	if (rc == 0)
		dev->rings[idx].cfg.call_fd = call_fd;
	return rc;
}

int
vu_ring_stop(struct vu_dev *dev, unsigned int idx, uint16_t *base)
{
	struct vhost_wire_vring_state q = { .index = idx }, s;
	int rc = check_started(dev, idx, "GET_VRING_BASE");

	if (rc < 0)
		return rc;
	if (vu_has_protocol_features(dev) && dev->rings[idx].cfg.enabled) {
		rc = vu_send_state(dev, VHOST_WIRE_SET_VRING_ENABLE, idx, 0);
		if (rc < 0)
			return rc;
	}
	rc = vu_get(dev, VHOST_WIRE_GET_VRING_BASE, &q, sizeof(q), &s, sizeof(s));
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
