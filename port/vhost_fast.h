/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VHOST_FAST_H
#define VIREO_VHOST_FAST_H

/*
 * Private to port/: the borrowing receive of vhost-user ports (port_vhost.c).
 *
 * What?
 * =====
 * rte_vhost_dequeue_burst() copies every packet out of the guest's transmit ring into an
 * mbuf, and rte_vhost_enqueue_burst() copies it again into the receiving guest's ring.
 * Both guests' memory is mapped here, so between two vhost-user ports one copy is enough:
 * this module walks the guest's split transmit ring itself (through rte_vhost's public
 * ring and memory-table interfaces) and hands out mbufs whose data stay in the guest's
 * buffers (external buffers, one mbuf segment per descriptor, the virtio-net header
 * skipped).  The receiver's transmit is then the only copy, and it too walks the receiving
 * guest's split ring itself (vhost_fast_tx(): its buffers, mergeable or not, chained or
 * behind indirect tables, filled straight from the packet's segments, wherever they lie,
 * without rte_vhost's lock and with no per-packet call into it).  The
 * descriptors go back to the guest (used ring, in the order they were made available, so
 * VIRTIO_F_IN_ORDER holds) when the last mbuf of the burst is freed; the guest is then
 * notified when its event index or NO_INTERRUPT flag asks, checked here before rte_vhost
 * is called (fast_notify_ring() in vhost_fast_int.h).
 *
 * A burst borrows only when the port's owner allows it (port.rx_borrow: the packets are
 * only read, are sent only to ports that copy at transmit, and are all freed on this PMD
 * before its next quiescent state) and the ring is a split ring without dirty logging or
 * an IOMMU.  When the owner's rules match on the packets (PORT_BORROW_PAYLOAD), the first
 * 128 bytes of each are copied into an mbuf of their own and only the rest is lent: the
 * guest may write to its buffers at any time, and must not change what a rule matched
 * between the match and the copy into the receiver.  A burst of packets that were all
 * copied whole gives its descriptors back at once.  A burst is read in passes (every head,
 * then every chain, then the copies), each prefetching the first line of what the next
 * reads, so that the lines the guest just wrote on another core arrive together.  A packet
 * that cannot be borrowed as it is (a chain crossing memory regions, a segment over 64
 * KiB, more than VHOST_FAST_MAX_SEGS segments, headers split over descriptors, a runt, any
 * descriptor that is wrong) ends the borrowed burst before it; the next burst of the ring
 * then goes through rte_vhost_dequeue_burst(), which handles (or refuses) it as without
 * this module.  One that only finds the burst's segments used up ends it too, and comes
 * first in the next.  Every index, address and length read from the guest is checked
 * before use and read once: descriptor indexes against the ring or indirect table,
 * addresses and lengths against the memory table, chains bounded by the table's size, the
 * avail index against the ring size.  A ring is taken only when its descriptor table,
 * avail ring and used ring each lie wholly within one region of the memory table
 * (rte_vhost keeps the address of an area that runs past its region's end and leaves that
 * ring alone; written to, its used ring would overrun into whatever is mapped next).
 *
 * Thread-safety
 * =============
 * Three parties: the PMD polling an rx queue (or sending into a receive ring), rte_vhost's
 * message thread (one for every device), and rte_vhost's own PMD-side functions, which
 * serialise on locks we cannot reach.  Per ring, 'busy' is a trylock the PMD holds from
 * the start of a receive until its burst is done (rte_vhost path: when
 * rte_vhost_dequeue_burst() returns; borrowed: when the last borrowed mbuf is freed), and
 * for the whole of a vhost_fast_tx() (released before anything is left to
 * rte_vhost_enqueue_burst(), which takes rte_vhost's lock; senders to one ring are
 * serialised by the port's own queue lock).  'gate' says whether the cached memory table and
 * ring addresses may be used; it is closed by the message thread before every message is
 * handled (vhost_fast_stop(): close, then wait for every busy ring), reopened after it
 * (vhost_fast_start(): re-read the table and rings while no PMD can look), and read by the
 * PMD after taking 'busy' (both sequentially consistent, so one of them sees the other).
 * While a ring is borrowed from, the PMD never waits for rte_vhost's lock of that device
 * (the message thread takes it before it waits for 'busy'): the guest's notification
 * only tries the lock (rte_vhost_vring_call_nonblock) and, when it is taken, is written
 * straight to the ring's call eventfd, cached by vhost_fast_start() and valid while the
 * ring is held (not left for later: the message thread holds the lock after the gate
 * reopens, until its reply is sent, and nothing may come later to send it); a transmit to the
 * port being borrowed from is dropped (the owner's rules make it impossible: a MAC
 * learning bridge never sends a packet back to where it came from).
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#define VHOST_FAST_MAX_SEGS 32

struct vhost_fast;

/** Per-port state for 'n_rings' rings; NULL when out of memory. */
struct vhost_fast *vhost_fast_create(unsigned n_rings);
void vhost_fast_destroy(struct vhost_fast *f);

/**
 * Message thread: stop borrowing from device 'f' and wait until no ring is busy.  Called
 * before rte_vhost handles any message, and when the device goes away.
 */
void vhost_fast_stop(struct vhost_fast *f);

/**
 * Stop borrowing from 'f' without waiting: the caller waits for a grace period of the
 * PMDs instead (a PMD holds no ring across its quiescent state).
 */
void vhost_fast_close(struct vhost_fast *f);

/**
 * Message thread: read device 'vid''s memory table, features, transmit rings (the odd
 * rings; 'tx_enabled[qp]' says whether pair qp's is enabled) and receive rings (the even
 * ones, 'rx_enabled'), and let PMDs use them again.
 */
void vhost_fast_start(struct vhost_fast *f, int vid, const volatile uint8_t *tx_enabled,
	const volatile uint8_t *rx_enabled, unsigned n_qp);

/** PMD: take ring 'qp' (its transmit ring) for one receive; false when another PMD has it. */
bool vhost_fast_enter(struct vhost_fast *f, uint16_t qp);

/** PMD: release ring 'qp' after a receive that did not borrow. */
void vhost_fast_leave(struct vhost_fast *f, uint16_t qp);

/**
 * PMD, holding ring 'qp': receive up to 'n' packets of device 'vid' as borrowed mbufs
 * (shells from 'mp'); with 'copy_head', each packet's first 128 bytes (all of a shorter
 * one) are copied into its first mbuf and only the rest is borrowed.  Returns how many; the
 * ring stays held until the borrowed ones are all freed (released at once when none is).
 * Returns -1 when this burst must go through rte_vhost instead (the ring still held).
 */
int vhost_fast_rx(struct vhost_fast *f, int vid, uint16_t qp, struct rte_mempool *mp,
	struct rte_mbuf **pkts, uint16_t n, bool copy_head);

/**
 * PMD, the only one sending to queue pair 'qp' now (the caller serialises): copy up to 'n'
 * packets into that pair's receive ring of device 'vid' (the guest's buffers, mergeable or
 * not, chained or indirect), give them to the guest and notify it.  Returns how many were
 * taken, or -1 when none could be (the gate is closed, the ring is not usable here): then
 * rte_vhost_enqueue_burst() must take them.  '*defer' is set when the packets from the
 * returned count on must go to rte_vhost_enqueue_burst() (one asks for an offload, or the
 * ring's next buffers are wrong or unusual: rte_vhost decides); else fewer than 'n' means
 * the ring is full.  The packets stay the caller's.
 */
int vhost_fast_tx(struct vhost_fast *f, int vid, uint16_t qp, struct rte_mbuf *const *pkts,
	uint16_t n, bool *defer);

/** PMD: true when this thread is borrowing from 'f' right now (a transmit would wait). */
bool vhost_fast_borrowing(const struct vhost_fast *f);

/**
 * True when the first 'head' bytes at 'p' of a 'len'-byte frame hold every header a rule
 * may read (Ethernet, one VLAN tag, IPv4 or IPv6 and the transport header): IPv6 with
 * extension headers does not qualify, as they may push the transport header anywhere.
 */
bool vhost_fast_head_holds_headers(const uint8_t *p, uint32_t len, uint32_t head);

/** True when 'm' is a segment of a borrowed packet (its data in a guest's memory). */
bool vhost_fast_is_borrowed(const struct rte_mbuf *m);

/**
 * Packets received through borrowing ('*rx') and copied into the guest by vhost_fast_tx()
 * ('*tx') so far (any thread; approximate while running).
 */
void vhost_fast_packets(const struct vhost_fast *f, uint64_t *rx, uint64_t *tx);

/** Rings a PMD holds now (any thread; a diagnostic: a stuck ring shows here). */
unsigned vhost_fast_busy_rings(const struct vhost_fast *f);

/**
 * Any thread: how many notifications went straight to a guest's call eventfd because
 * rte_vhost's message thread held the ring's lock.
 */
uint64_t vhost_fast_calls_direct(const struct vhost_fast *f);

#endif /* VIREO_VHOST_FAST_H */
