/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_TESTS_VU_RAW_H
#define VIREO_TESTS_VU_RAW_H

/*
 * Raw vhost-user messages from a test frontend, past every check of vhost/vu_*: for tests
 * that send a backend what a sane frontend never would (tests/vhost/vu_evil.c).  A test
 * NIC connects with vg_nic_connect() (the handshake is the library's), then each request
 * goes on its socket with NEED_REPLY, and the outcome says what the backend made of it.
 * The library is not told: after VR_CLOSED, further requests are VR_CLOSED too.
 * Messages are vhost/vhost_wire.h's.
 *
 * Thread-safety: none; one test thread.  Requests use only the NIC's socket, so one other
 * thread may drive the NIC's rings meanwhile (vu_notify_test.c does).
 */

#include <stdint.h>

#include "vhost_wire.h"
#include "vu_guest.h"

/** What became of a request. */
enum vr_outcome {
	VR_ACK,		/**< REPLY_ACK 0 */
	VR_NACK,	/**< REPLY_ACK non-zero: refused, the connection stays */
	VR_REPLY,	/**< a reply other than an acknowledgement (its payload is skipped) */
	VR_CLOSED,	/**< the backend closed the connection */
	VR_TIMEOUT,	/**< no answer within 3 s */
	VR_IOERR,	/**< anything else: a garbled reply, a failed send */
};

/** GET/SET_INFLIGHT_FD's payload. */
struct vr_inflight {
	uint64_t mmap_size;
	uint64_t mmap_offset;
	uint16_t num_queues;
	uint16_t queue_size;
	uint32_t padding;
};

/** "acknowledged", "refused (NACK)", ... */
const char *vr_outcome_name(enum vr_outcome o);

/** Send 'req' with NEED_REPLY, 'size' payload bytes and 'nfds' fds; wait for the outcome. */
enum vr_outcome vr_send(struct vg_nic *n, uint32_t req, const void *payload, uint32_t size,
	const int *fds, unsigned int nfds);

/** A request whose payload is one u64. */
enum vr_outcome vr_u64(struct vg_nic *n, uint32_t req, uint64_t v);

/** A request whose payload is a ring state (index, num). */
enum vr_outcome vr_state(struct vg_nic *n, uint32_t req, uint32_t index, uint32_t num);

/** SET_VRING_CALL or SET_VRING_KICK of ring 'index' with 'fd' (-1: no fd). */
enum vr_outcome vr_fd(struct vg_nic *n, uint32_t req, uint32_t index, int fd);

/** SET_FEATURES: VERSION_1, MRG_RXBUF, PROTOCOL_FEATURES and 'extra'. */
enum vr_outcome vr_features(struct vg_nic *n, uint64_t extra);

/** SET_MEM_TABLE with the first 'nr' regions of 't' and 'nfds' fds. */
enum vr_outcome vr_mem(struct vg_nic *n, const struct vhost_wire_mem_table *t, unsigned int nr,
	const int *fds, unsigned int nfds);

/**
 * SET_MEM_TABLE with one region of the NIC's guest memory file: guest-physical 0 at the
 * NIC's mapping, 'size' bytes from file offset 'offset' (sane: the file's size and 0).
 */
enum vr_outcome vr_mem_own(struct vg_nic *n, uint64_t size, uint64_t offset);

/**
 * Set up ring 'idx' of 'size' entries at user addresses 'desc', 'avail', 'used': NUM,
 * ADDR, BASE 0, CALL 'call', KICK 'kick', ENABLE 1.  The first outcome that is not
 * VR_ACK, else VR_ACK.
 */
enum vr_outcome vr_ring_at(struct vg_nic *n, uint32_t idx, uint32_t size, uint64_t desc,
	uint64_t avail, uint64_t used, int kick, int call);

/** vr_ring_at() for the NIC's queue 'vq' as laid out in its memory, call fd 'call'. */
enum vr_outcome vr_ring(struct vg_nic *n, uint32_t idx, const struct vg_vq *vq, int call);

#endif /* VIREO_TESTS_VU_RAW_H */
