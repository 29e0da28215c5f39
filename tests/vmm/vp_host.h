/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_TESTS_VMM_VP_HOST_H
#define VIREO_TESTS_VMM_VP_HOST_H

/*
 * The host-owned fields of a virtio-pci device (what the VMM sets up and no guest access may
 * change), copied and put back by the tests that throw guest accesses at the device
 * (test_pci_sweep.c, fuzz/fuzz_devices.c).  A copy is zeroed first, so two copies compare
 * with memcmp().
 */

#include <string.h>

#include "pci.h"
#include "virtio_pci.h"

struct vp_host {
	struct vmm_vm *vm;
	const struct vmm_virtio_ops *ops;
	void *opaque;
	unsigned int nr_queues, nr_vectors, config_len;
	uint64_t device_features;
	uint8_t config[VMM_VIRTIO_CFG_SIZE];
	int kick_fd[VMM_VIRTIO_MAX_QUEUES];
	int vec_fd[VMM_VIRTIO_MAX_QUEUES + 1];
	int vec_gsi[VMM_VIRTIO_MAX_QUEUES + 1];
	const char *name;
	uint32_t bar_size[VMM_PCI_NR_BARS];
	vmm_bus_cb *bar_cb;
	void *pci_opaque;
	void (*cfg_write)(struct vmm_pci_dev *dev, unsigned int off, unsigned int len);
	void (*bar_map)(struct vmm_pci_dev *dev, unsigned int bar, uint64_t addr, bool mapped);
	unsigned int slot;
};

static inline void
vp_host_save(const struct vmm_virtio_pci *vp, struct vp_host *h)
{
	memset(h, 0, sizeof(*h));
	h->vm = vp->vm;
	h->ops = vp->ops;
	h->opaque = vp->opaque;
	h->nr_queues = vp->nr_queues;
	h->nr_vectors = vp->nr_vectors;
	h->config_len = vp->config_len;
	h->device_features = vp->device_features;
	memcpy(h->config, vp->config, sizeof(h->config));
	for (unsigned int i = 0; i < VMM_VIRTIO_MAX_QUEUES; i++)
		h->kick_fd[i] = vp->queues[i].kick_fd;
	for (unsigned int i = 0; i <= VMM_VIRTIO_MAX_QUEUES; i++) {
		h->vec_fd[i] = vp->vectors[i].fd;
		h->vec_gsi[i] = vp->vectors[i].gsi;
	}
	h->name = vp->pci.name;
	memcpy(h->bar_size, vp->pci.bar_size, sizeof(h->bar_size));
	h->bar_cb = vp->pci.bar_cb;
	h->pci_opaque = vp->pci.opaque;
	h->cfg_write = vp->pci.cfg_write;
	h->bar_map = vp->pci.bar_map;
	h->slot = vp->pci.slot;
}

static inline void
vp_host_restore(struct vmm_virtio_pci *vp, const struct vp_host *h)
{
	vp->vm = h->vm;
	vp->ops = h->ops;
	vp->opaque = h->opaque;
	vp->nr_queues = h->nr_queues;
	vp->nr_vectors = h->nr_vectors;
	vp->config_len = h->config_len;
	vp->device_features = h->device_features;
	memcpy(vp->config, h->config, sizeof(h->config));
	for (unsigned int i = 0; i < VMM_VIRTIO_MAX_QUEUES; i++)
		vp->queues[i].kick_fd = h->kick_fd[i];
	for (unsigned int i = 0; i <= VMM_VIRTIO_MAX_QUEUES; i++) {
		vp->vectors[i].fd = h->vec_fd[i];
		vp->vectors[i].gsi = h->vec_gsi[i];
	}
	vp->pci.name = h->name;
	memcpy(vp->pci.bar_size, h->bar_size, sizeof(h->bar_size));
	vp->pci.bar_cb = h->bar_cb;
	vp->pci.opaque = h->pci_opaque;
	vp->pci.cfg_write = h->cfg_write;
	vp->pci.bar_map = h->bar_map;
	vp->pci.slot = h->slot;
}

#endif
