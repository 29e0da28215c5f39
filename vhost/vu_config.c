/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost-user frontend device configuration: features, memory table, status; device reset
 * and the replay of the whole configuration after a reconnect.
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

int
vu_dev_set_features(struct vu_dev *dev, uint64_t acked)
{
	uint64_t missing = acked & RING_FEATURES & ~dev->backend_features;
	uint64_t send;
	int rc;

	rc = vu_need_connection(dev, "SET_FEATURES");
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
	rc = vu_send_u64(dev, VHOST_WIRE_SET_FEATURES, send, true);
	if (rc < 0)
		return rc;
	dev->features = send;
	dev->features_set = true;
	return 0;
}

int
vu_send_mem_table(struct vu_dev *dev)
{
	struct vhost_wire_mem_table mem;
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
	return vu_send_req(dev, VHOST_WIRE_SET_MEM_TABLE, &mem,
		(uint32_t)(offsetof(struct vhost_wire_mem_table, regions) +
			dev->nregions * sizeof(struct vhost_wire_region)),
		fds, dev->nregions, true);
}

int
vu_dev_set_mem_table(struct vu_dev *dev, const struct vu_mem_region *regions, unsigned int n)
{
	int rc;

	rc = vu_need_connection(dev, "SET_MEM_TABLE");
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
	rc = vu_send_mem_table(dev);
	if (rc < 0)
		dev->nregions = 0;
	return rc;
}

static int
send_status(struct vu_dev *dev, uint8_t status)
{
	if (!(dev->protocol_features & BIT(VU_PROTOCOL_F_STATUS)))
		return 0;
	return vu_send_u64(dev, VHOST_WIRE_SET_STATUS, status, true);
}

int
vu_dev_set_status(struct vu_dev *dev, uint8_t status)
{
	int rc = vu_need_connection(dev, "SET_STATUS");

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
	int rc = vu_need_connection(dev, "restore");

	if (rc < 0)
		return rc;
	for (unsigned int i = 0; i < VU_MAX_RINGS && bases != NULL; i++)
		if (dev->rings[i].started && i >= n)
			return vu_fail(dev, -EINVAL, "restore: no index given for ring %u", i);
	if (dev->features_set) {
		rc = vu_send_u64(dev, VHOST_WIRE_SET_FEATURES, dev->features, true);
		if (rc < 0)
			return rc;
	}
	if (dev->nregions > 0) {
		rc = vu_send_mem_table(dev);
		if (rc < 0)
			return rc;
	}
	for (unsigned int i = 0; i < VU_MAX_RINGS; i++) {
		struct vu_ring_state *r = &dev->rings[i];

		if (!r->started)
			continue;
		r->cfg.base = bases != NULL ? bases[i] : vu_ring_used_idx(dev, i);
		rc = vu_send_ring(dev, i, &r->cfg);
		if (rc < 0)
			return rc;
	}
	if (dev->status_set)
		return send_status(dev, dev->status);
	return 0;
}
