/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VHOST_VU_PROTO_H
#define VIREO_VHOST_VU_PROTO_H

/*
 * The frontend's message buffer (private to vhost/vu_*.c); the wire format itself is
 * vhost_wire.h's.
 */

#include <stdint.h>

#include "vhost_user.h"
#include "vhost_wire.h"

_Static_assert(VU_MAX_MEM_REGIONS == VHOST_WIRE_MAX_FDS, "one region per fd");

/** The largest payload the frontend ever sends or accepts. */
#define VU_MAX_PAYLOAD	sizeof(struct vhost_wire_mem_table)

/** A message on its way out or just read. */
struct vu_msg {
	struct vhost_wire_hdr hdr;
	union {
		uint64_t u64;
		struct vhost_wire_vring_state state;
		struct vhost_wire_vring_addr addr;
		struct vhost_wire_mem_table mem;
		uint8_t bytes[VU_MAX_PAYLOAD];
	} u;
} __attribute__((packed));

/** The name of request 'req' for messages ("SET_VRING_ADDR"), "?" when unknown. */
const char *vu_request_name(uint32_t req);

#endif /* VIREO_VHOST_VU_PROTO_H */
