/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VMM_VIRTQ_H
#define VIREO_VMM_VIRTQ_H

/*
 * The device side of a split virtqueue that vireo-vmm serves itself (virtio-net's control
 * queue): take requests from the available ring, hand them back on the used ring.
 *
 * What?
 *   virtq_pop() walks the next descriptor chain (direct or, when negotiated, through one
 *   indirect table) into a struct virtq_req: the driver's buffers (out) first, then the
 *   buffers the device writes (in), each as a pointer into the VMM's mapping of guest RAM.
 *   virtq_push() returns the chain with the number of bytes written; virtq_need_notify()
 *   says whether the driver wants an interrupt for what was pushed since 'old' (EVENT_IDX
 *   or the NO_INTERRUPT flag).
 *
 * Never trust the guest
 *   The rings and every buffer are checked against guest RAM (address + length, without
 *   wrapping past 2^64), each descriptor is read exactly once, and a ring that is malformed
 *   — head or next index out of range, a chain longer than the queue (a loop), the avail
 *   index more than a queue size ahead, a readable buffer after a writable one, an indirect
 *   table that is empty, misaligned, nested, combined with NEXT or not negotiated — marks
 *   the queue broken: virtq_pop() then returns -EINVAL until virtq_init() again, and
 *   'error' says what was wrong (the caller logs it once and asks for a device reset).
 *
 * Thread-safety
 *   None: one thread at a time per queue (the caller holds the device's lock).
 */

#include <stdbool.h>
#include <stdint.h>

struct vmm_memory;

/** Most buffers in one request (longer valid chains are refused as malformed). */
#define VIRTQ_MAX_SEGS 32

/** One buffer of a request, inside guest RAM. */
struct virtq_seg {
	uint8_t *hva;
	uint32_t len;
};

/** One descriptor chain taken from the available ring. */
struct virtq_req {
	uint16_t head;			/**< for virtq_push() */
	unsigned int nr_out;		/**< seg[0 .. nr_out): driver -> device */
	unsigned int nr_in;		/**< seg[nr_out .. nr_out + nr_in): device -> driver */
	uint64_t out_len, in_len;	/**< total bytes of each part */
	struct virtq_seg seg[VIRTQ_MAX_SEGS];
};

struct virtq {
	const struct vmm_memory *mem;
	uint16_t size;
	bool event_idx;			/**< VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect;			/**< VIRTIO_RING_F_INDIRECT_DESC negotiated */
	bool ready;			/**< virtq_init() succeeded */
	bool broken;
	uint16_t last_avail;		/**< next available entry to take */
	uint16_t used_idx;		/**< next used entry to fill */
	volatile uint8_t *desc, *avail, *used;
	char error[128];		/**< why the queue is broken (or virtq_init() failed) */
};

/**
 * Set up 'vq' for a queue of 'size' entries at guest-physical 'desc', 'avail' and 'used',
 * with the features of 'features' that concern rings.  Indexes start at 0 (after a device
 * reset).  Returns 0, or -EINVAL with 'vq->error' (bad size, areas outside guest RAM or
 * misaligned).
 */
int virtq_init(struct virtq *vq, const struct vmm_memory *mem, uint16_t size, uint64_t desc,
		uint64_t avail, uint64_t used, uint64_t features);

/**
 * Take the next request: 1 with '*req' filled, 0 when the available ring is empty,
 * -EINVAL when the queue is (now) broken.
 */
int virtq_pop(struct virtq *vq, struct virtq_req *req);

/** Put chain 'head' on the used ring with 'written' bytes written. */
void virtq_push(struct virtq *vq, uint16_t head, uint32_t written);

/**
 * After pops: with EVENT_IDX, tell the driver the next entry wanted (avail_event).  Returns
 * true when more requests arrived meanwhile (pop again).
 */
bool virtq_rearm(struct virtq *vq);

/** True when the driver wants an interrupt for the entries pushed since used index 'old'. */
bool virtq_need_notify(struct virtq *vq, uint16_t old);

/** Copy up to 'len' bytes of the request's driver part from offset 'off'; returns the count. */
uint64_t virtq_req_read(const struct virtq_req *req, uint64_t off, void *buf, uint64_t len);

/** Copy 'len' bytes into the request's device part from its start; returns the count. */
uint64_t virtq_req_write(const struct virtq_req *req, const void *buf, uint64_t len);

#endif /* VIREO_VMM_VIRTQ_H */
