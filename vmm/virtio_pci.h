/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VMM_VIRTIO_PCI_H
#define VIREO_VMM_VIRTIO_PCI_H

/*
 * virtio 1.x PCI transport (modern only), for devices whose queues a vhost-user backend
 * serves.
 *
 * What?
 *   One 32 KiB memory BAR holds the common configuration, the ISR byte, the device
 *   configuration, the notification area (one 4-byte slot per queue) and the MSI-X table
 *   and PBA; vendor capabilities in configuration space point at each.  Every queue has
 *   an eventfd bound by KVM_IOEVENTFD to its notification address (the backend's kick) and
 *   every MSI-X vector has an eventfd bound by KVM_IRQFD to a GSI routed to the vector's
 *   message (the backend's call): a backend and the guest talk without the VMM.
 *
 *   The device (virtio_net.c) gets a callback when the guest changes the device status
 *   (DRIVER_OK: hand the rings over; 0: reset) and owns the device configuration bytes.
 *
 * Limits
 *   No INTx, no legacy interface, no VIRTIO_PCI_CAP_PCI_CFG window.  A masked MSI-X vector
 *   keeps its route (an interrupt may arrive while masked; Linux tolerates it).  The MSI-X
 *   table and PBA take only naturally aligned 4- and 8-byte accesses, as the PCI spec
 *   says; other accesses read as all ones and write nothing (QEMU does the same).
 *
 * Thread-safety
 *   'lock' guards everything below it; vCPU threads take it on BAR and configuration
 *   accesses, the main thread when it changes the device configuration.  The status
 *   callback runs with it held.  Lock order: PCI configuration lock, then 'lock', then the
 *   PCI routing lock.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "pci.h"

/* 16 queue pairs and a control queue (virtio-net multi-queue). */
#define VMM_VIRTIO_MAX_QUEUES 33
#define VMM_VIRTIO_QUEUE_SIZE 256
#define VMM_VIRTIO_CFG_SIZE 64
#define VMM_VIRTIO_NO_VECTOR 0xffff

#define VIRTIO_STATUS_ACK 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 0x40

struct vmm_vm;
struct vmm_virtio_pci;

/** What the transport asks of the device. */
struct vmm_virtio_ops {
	/** The guest wrote device status 'status' (was 'old'); 0 is a reset.  Lock held. */
	void (*set_status)(struct vmm_virtio_pci *vp, uint8_t old, uint8_t status);
	/**
	 * Optional: false refuses FEATURES_OK for the guest's 'features' (a combination the
	 * device cannot serve).  Lock held.
	 */
	bool (*features_ok)(struct vmm_virtio_pci *vp, uint64_t features);
	/**
	 * Optional: the guest moved queue 'q' to another MSI-X vector (vmm_virtio_pci_call_fd()
	 * tells the new eventfd), possibly after DRIVER_OK, when a backend already signals the
	 * old one.  Lock held.
	 */
	void (*queue_vector)(struct vmm_virtio_pci *vp, unsigned int q);
};

/** One MSI-X table entry (PCI Local Bus 3.0, 6.8.2): what the guest wrote. */
struct vmm_msix_entry {
	uint32_t addr_lo;
	uint32_t addr_hi;
	uint32_t data;
	uint32_t ctrl;			/* bit 0: masked; the other bits read 0 */
};

/** One virtqueue as the guest configured it. */
struct vmm_virtio_queue {
	uint16_t size;
	uint16_t vector;
	bool enabled;
	uint64_t desc, avail, used;	/* guest-physical */
	int kick_fd;			/* eventfd, KVM_IOEVENTFD on the notify address */
};

struct vmm_virtio_pci {
	struct vmm_pci_dev pci;
	struct vmm_vm *vm;
	const struct vmm_virtio_ops *ops;
	void *opaque;			/**< the device's */
	unsigned int nr_queues;
	unsigned int nr_vectors;
	uint64_t bar;			/**< where BAR 0 decodes, 0 when it does not */

	pthread_mutex_t lock;
	uint64_t device_features;
	uint64_t driver_features;
	uint32_t dfselect, gfselect;
	uint16_t msix_config;
	uint16_t queue_select;
	uint8_t status;
	uint8_t config_generation;
	uint8_t isr;
	bool late_enable_logged;	/**< a queue enabled after DRIVER_OK was logged */
	uint8_t config[VMM_VIRTIO_CFG_SIZE];	/**< device configuration (read-only) */
	unsigned int config_len;
	struct vmm_virtio_queue queues[VMM_VIRTIO_MAX_QUEUES];
	/*
	 * The MSI-X table as the guest sees it, apart from the host's state of each vector:
	 * guest accesses are decoded into (vector, field) and reach only this array.
	 */
	struct vmm_msix_entry msix[VMM_VIRTIO_MAX_QUEUES + 1];
	/* Host-private, per vector: never addressed by a guest offset. */
	struct {
		int fd;			/* eventfd, KVM_IRQFD on 'gsi' */
		int gsi;
		bool irqfd;
	} vectors[VMM_VIRTIO_MAX_QUEUES + 1];
};

/**
 * Set up 'vp' as virtio device 'device_id' with 'nr_queues' queues, 'features' offered
 * and 'config_len' bytes of device configuration, and add it to the PCI bus.  The caller
 * set vp->ops, vp->opaque and vp->pci.name.  Returns 0 or -errno with '*err'.
 */
int vmm_virtio_pci_init(struct vmm_virtio_pci *vp, struct vmm_vm *vm, uint16_t device_id,
		unsigned int nr_queues, uint64_t features, unsigned int config_len, char **err);

/** Close the eventfds (vCPUs stopped). */
void vmm_virtio_pci_exit(struct vmm_virtio_pci *vp);

/** The eventfd the backend signals for queue 'q' (its MSI-X vector's), or -1.  Lock held. */
int vmm_virtio_pci_call_fd(struct vmm_virtio_pci *vp, unsigned int q);

/** The device configuration changed: new generation, ISR bit 1, config interrupt (lock held). */
void vmm_virtio_pci_config_changed(struct vmm_virtio_pci *vp);

#endif /* VIREO_VMM_VIRTIO_PCI_H */
