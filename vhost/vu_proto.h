/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VHOST_VU_PROTO_H
#define VIREO_VHOST_VU_PROTO_H

/*
 * The vhost-user wire format (private to the frontend in vhost/vu_*.c).
 *
 * Every message is a 12-byte header (request, flags, payload size, all native-endian u32)
 * followed by 'size' bytes of payload; file descriptors ride along in one SCM_RIGHTS
 * control message.  Replies repeat the request code and set VU_FLAG_REPLY.  The numbers
 * come from the vhost-user specification (QEMU's docs/interop/vhost-user.rst).
 */

#include <stdint.h>

#include "vhost_user.h"

#define VU_FLAG_VERSION		0x1u
#define VU_FLAG_VERSION_MASK	0x3u
#define VU_FLAG_REPLY		0x4u
#define VU_FLAG_NEED_REPLY	0x8u

/** SET_VRING_CALL/KICK: "no file descriptor" in the u64 payload. */
#define VU_VRING_INDEX_MASK	0xffull
#define VU_VRING_NOFD		(1ull << 8)

/** Requests the frontend sends. */
enum vu_request {
	VU_REQ_GET_FEATURES = 1,
	VU_REQ_SET_FEATURES = 2,
	VU_REQ_SET_OWNER = 3,
	VU_REQ_RESET_OWNER = 4,
	VU_REQ_SET_MEM_TABLE = 5,
	VU_REQ_SET_VRING_NUM = 8,
	VU_REQ_SET_VRING_ADDR = 9,
	VU_REQ_SET_VRING_BASE = 10,
	VU_REQ_GET_VRING_BASE = 11,
	VU_REQ_SET_VRING_KICK = 12,
	VU_REQ_SET_VRING_CALL = 13,
	VU_REQ_GET_PROTOCOL_FEATURES = 15,
	VU_REQ_SET_PROTOCOL_FEATURES = 16,
	VU_REQ_GET_QUEUE_NUM = 17,
	VU_REQ_SET_VRING_ENABLE = 18,
	VU_REQ_SET_STATUS = 39,
	VU_REQ_GET_STATUS = 40,
	VU_REQ_MAX = 41,
};

struct vu_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
} __attribute__((packed));

struct vu_vring_state {
	uint32_t index;
	uint32_t num;
} __attribute__((packed));

struct vu_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc;
	uint64_t used;
	uint64_t avail;
	uint64_t log;
} __attribute__((packed));

struct vu_wire_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t uaddr;
	uint64_t mmap_offset;
} __attribute__((packed));

struct vu_wire_mem {
	uint32_t nregions;
	uint32_t padding;
	struct vu_wire_region regions[VU_MAX_MEM_REGIONS];
} __attribute__((packed));

/** The largest payload the frontend ever sends or accepts. */
#define VU_MAX_PAYLOAD	sizeof(struct vu_wire_mem)

/** A message on its way out or just read. */
struct vu_msg {
	struct vu_hdr hdr;
	union {
		uint64_t u64;
		struct vu_vring_state state;
		struct vu_vring_addr addr;
		struct vu_wire_mem mem;
		uint8_t bytes[VU_MAX_PAYLOAD];
	} u;
} __attribute__((packed));

/** The name of request 'req' for messages ("SET_VRING_ADDR"), "?" when unknown. */
const char *vu_request_name(uint32_t req);

#endif /* VIREO_VHOST_VU_PROTO_H */
