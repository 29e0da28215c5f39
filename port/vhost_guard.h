/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VHOST_GUARD_H
#define VIREO_VHOST_GUARD_H

/*
 * Private to port/: the dataplane's vhost-user port type (port_vhost.c) installs these.
 *
 * What rte_vhost (DPDK 22.11) takes on trust from a vhost-user frontend, checked by
 * vireo-dp before it can hurt the dataplane.  A frontend (a VMM, or anything that can open
 * the socket) must never be able to crash or stall vireo-dp; rte_vhost already refuses bad
 * ring sizes, ring areas and descriptors outside the memory table, descriptor loops and
 * features it did not offer.  It does not check:
 *
 * - SET_MEM_TABLE regions against the size of their file: a region past the end of a
 *   memfd maps fine, and the first access there (rte_vhost reading the used index, or a
 *   PMD copying a packet) is a SIGBUS.  Refused.
 * - SET_MEM_TABLE regions it cannot map (size 0, an fd that is not a file mappable
 *   read-write and shared, such as a pipe or a read-only file, file offset + size
 *   overflowing): rte_vhost unmaps the table in use first, fails, and leaves a running
 *   device's rings pointing into memory it no longer has, for its own receive and transmit
 *   to follow.  Refused after a trial mapping (unmapped at once), so the table in use stays.
 * - SET_LOG_BASE: the same for the dirty log; and with a non-zero mmap offset rte_vhost
 *   22.11 maps the log at that offset but writes it at (mapping + offset), outside the
 *   mapping.  Both refused (QEMU always sends offset 0).
 * - SET_VRING_NUM on a ring in use: rte_vhost keeps the areas it mapped for the old size
 *   and its PMDs index them with the new one, past their end (up to 32768 entries).  A
 *   size changes only while the ring is unmapped (after GET_VRING_BASE, as QEMU restarts
 *   rings).
 * - Requests of protocol features it never offered.  POSTCOPY_LISTEN makes the next
 *   SET_MEM_TABLE wait, on rte_vhost's one message thread, for an answer the frontend may
 *   never send (no other vhost-user port can then connect or reconnect); SET_INFLIGHT_FD
 *   writes one word per ring at offsets the frontend chooses, past the end of its mapping
 *   and past the end of the ring table; GET_INFLIGHT_FD allocates and clears as much memory
 *   as the frontend asks (up to 32 GiB).  Refused unless offered (vireo-dp offers neither
 *   PAGEFAULT nor INFLIGHT_SHMFD).
 * - The call "eventfd" of a ring: any fd is accepted, and a PMD writes it after each burst.
 *   A pipe nobody reads blocks the PMD for good (every port on it stops): call fds are
 *   made non-blocking whenever a ring becomes ready.  (A pipe with no reader raises
 *   SIGPIPE: vireo-dp ignores SIGPIPE.)
 *
 * - How many queue pairs to offer: rte_vhost answers GET_QUEUE_NUM with its own limit
 *   (128), and a guest that takes more queue pairs than a port polls sends on rings nobody
 *   drains.  The guard answers VHOST_GUARD_MAX_QP, and refuses ring requests beyond it.
 *
 * Not covered: a frontend that shrinks a memory file after SET_MEM_TABLE still gets
 * vireo-dp a SIGBUS on the next access (as with OVS-DPDK).  A table that passes the trial
 * mapping but that rte_vhost still fails to take (out of memory) leaves the device without
 * memory: the port then no longer reads the table (its fast path stays off until a memory
 * table is taken), but rte_vhost's own receive and transmit are not protected.
 *
 * Thread-safety: everything runs on rte_vhost's message thread; the message checks with
 * the device's queues locked (no PMD is inside them), so a ring's call fd is non-blocking
 * before a PMD can write it.
 */

#include <stdint.h>

/** Queue pairs a vhost-user port polls, and offers (GET_QUEUE_NUM). */
#define VHOST_GUARD_MAX_QP 16

/** What the port's hooks are told of a message. */
struct vhost_guard_msg_info {
	uint32_t request;	/**< enum vhost_wire_request */
	int64_t ring;		/**< the ring a ring request names, else -1 */
	uint64_t num;		/**< SET_VRING_ENABLE: the state asked for, else 0 */
};

/**
 * Install the message checks on the new connection 'vid' (its new_connection callback);
 * refusals are logged through 'log'.  'before' runs before rte_vhost handles a message of
 * the device that the checks let through, 'after' once rte_vhost has handled it without
 * failing (NULL: nothing).
 */
void vhost_guard_connection(int vid, void (*log)(const char *fmt, ...),
	void (*before)(int vid, const struct vhost_guard_msg_info *mi),
	void (*after)(int vid, const struct vhost_guard_msg_info *mi));

/** Size of the message context rte_vhost hands its external handlers (DPDK 22.11). */
#define VHOST_GUARD_MSG_SIZE 680

/**
 * Run the message checks on one message context 'msg' of VHOST_GUARD_MSG_SIZE bytes, as
 * rte_vhost's pre-message handler does; returns an enum rte_vhost_msg_result.  For the
 * fuzzer (tests/vhost/fuzz_guard.c): vireo-dp reaches the checks only through rte_vhost.
 */
int vhost_guard_check(int vid, void *msg);

/** Make the call fd of ring 'q' of 'vid' non-blocking (a ring became ready). */
void vhost_guard_vring(int vid, uint16_t q);

#endif /* VIREO_VHOST_GUARD_H */
