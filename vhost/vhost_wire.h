/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VHOST_WIRE_H
#define VIREO_VHOST_WIRE_H

/*
 * The vhost-user wire format, written once for every user of the protocol: the VMM's
 * frontend (vhost/vu_*.c), the dataplane's message checks on rte_vhost (port/vhost_guard.c)
 * and the tests that speak raw vhost-user (tests/vhost/vu_raw.c).
 *
 * Every message is a 12-byte header (request, flags, payload size, all native-endian u32)
 * followed by 'size' bytes of payload; file descriptors ride along in one SCM_RIGHTS
 * control message.  Replies repeat the request code and set VHOST_WIRE_FLAG_REPLY.  The
 * numbers come from the vhost-user specification (QEMU's docs/interop/vhost-user.rst).
 * Nothing here allocates or does I/O: definitions only.
 */

#include <stdint.h>

/** Header flags. */
#define VHOST_WIRE_FLAG_VERSION		0x1u
#define VHOST_WIRE_FLAG_VERSION_MASK	0x3u
#define VHOST_WIRE_FLAG_REPLY		0x4u
#define VHOST_WIRE_FLAG_NEED_REPLY	0x8u

/** Size of the header on the wire. */
#define VHOST_WIRE_HDR_SIZE		12u

/** Most file descriptors, and memory regions, in one message. */
#define VHOST_WIRE_MAX_FDS		8

/** SET_VRING_CALL/KICK/ERR: the ring index, and "no file descriptor", in the u64 payload. */
#define VHOST_WIRE_VRING_INDEX_MASK	0xffull
#define VHOST_WIRE_VRING_NOFD		(1ull << 8)

/** Requests from the frontend ("front-end message types" of the specification). */
enum vhost_wire_request {
	VHOST_WIRE_GET_FEATURES = 1,
	VHOST_WIRE_SET_FEATURES = 2,
	VHOST_WIRE_SET_OWNER = 3,
	VHOST_WIRE_RESET_OWNER = 4,
	VHOST_WIRE_SET_MEM_TABLE = 5,
	VHOST_WIRE_SET_LOG_BASE = 6,
	VHOST_WIRE_SET_LOG_FD = 7,
	VHOST_WIRE_SET_VRING_NUM = 8,
	VHOST_WIRE_SET_VRING_ADDR = 9,
	VHOST_WIRE_SET_VRING_BASE = 10,
	VHOST_WIRE_GET_VRING_BASE = 11,
	VHOST_WIRE_SET_VRING_KICK = 12,
	VHOST_WIRE_SET_VRING_CALL = 13,
	VHOST_WIRE_SET_VRING_ERR = 14,
	VHOST_WIRE_GET_PROTOCOL_FEATURES = 15,
	VHOST_WIRE_SET_PROTOCOL_FEATURES = 16,
	VHOST_WIRE_GET_QUEUE_NUM = 17,
	VHOST_WIRE_SET_VRING_ENABLE = 18,
	VHOST_WIRE_SEND_RARP = 19,
	VHOST_WIRE_POSTCOPY_ADVISE = 28,
	VHOST_WIRE_POSTCOPY_LISTEN = 29,
	VHOST_WIRE_POSTCOPY_END = 30,
	VHOST_WIRE_GET_INFLIGHT_FD = 31,
	VHOST_WIRE_SET_INFLIGHT_FD = 32,
	VHOST_WIRE_SET_STATUS = 39,
	VHOST_WIRE_GET_STATUS = 40,
	VHOST_WIRE_REQUEST_MAX = 41,
};

/** Virtio feature bits the protocol itself defines. */
#define VHOST_WIRE_F_LOG_ALL		26	/**< VHOST_F_LOG_ALL: dirty logging */
#define VHOST_WIRE_F_PROTOCOL_FEATURES	30	/**< VHOST_USER_F_PROTOCOL_FEATURES */

/** Protocol feature bits (GET/SET_PROTOCOL_FEATURES). */
#define VHOST_WIRE_PF_MQ		0
#define VHOST_WIRE_PF_LOG_SHMFD		1
#define VHOST_WIRE_PF_REPLY_ACK		3
#define VHOST_WIRE_PF_PAGEFAULT		8
#define VHOST_WIRE_PF_INFLIGHT_SHMFD	12
#define VHOST_WIRE_PF_STATUS		16

/** The virtio device status of a driver that is ready (ACK | DRIVER | FEATURES_OK | DRIVER_OK). */
#define VHOST_WIRE_STATUS_DRIVER_READY	0x0f

struct vhost_wire_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
} __attribute__((packed));

/** SET_VRING_NUM, SET/GET_VRING_BASE, SET_VRING_ENABLE. */
struct vhost_wire_vring_state {
	uint32_t index;
	uint32_t num;
} __attribute__((packed));

/** SET_VRING_ADDR: the ring's parts as frontend virtual addresses. */
struct vhost_wire_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc;
	uint64_t used;
	uint64_t avail;
	uint64_t log;
} __attribute__((packed));

/** One region of SET_MEM_TABLE; its fd is the region's place in the fd list. */
struct vhost_wire_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t uaddr;
	uint64_t mmap_offset;
} __attribute__((packed));

/** SET_MEM_TABLE's payload (a message may claim more regions than it carries). */
struct vhost_wire_mem_table {
	uint32_t nregions;
	uint32_t padding;
	struct vhost_wire_region regions[VHOST_WIRE_MAX_FDS];
} __attribute__((packed));

/** SET_LOG_BASE's payload (the log's fd comes with the message). */
struct vhost_wire_log {
	uint64_t mmap_size;
	uint64_t mmap_offset;
} __attribute__((packed));

_Static_assert(sizeof(struct vhost_wire_hdr) == VHOST_WIRE_HDR_SIZE, "vhost-user header");
_Static_assert(sizeof(struct vhost_wire_region) == 32, "vhost-user memory region");
_Static_assert(sizeof(struct vhost_wire_vring_addr) == 40, "vhost-user vring address");

#endif /* VIREO_VHOST_WIRE_H */
