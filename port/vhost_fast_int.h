/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_VHOST_FAST_INT_H
#define VIREO_VHOST_FAST_INT_H

/*
 * Internal to vhost_fast.c (the device state and the borrowing receive) and vhost_fast_tx.c
 * (the receive rings filled by the switch itself): what both read of a device.  Ownership
 * as in vhost_fast.h: the message thread writes the cache while 'gate' is closed and no
 * ring is busy; a PMD reads it while it holds a ring's 'busy' and has seen 'gate' open.
 */
#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_ring.h>

#include <rte_atomic.h>
#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_vhost.h>

#include "port.h"

/*
 * The first segment holds at least this much of a packet (all of a shorter one): switching
 * reads the Ethernet and VLAN headers from it, as from an mbuf rte_vhost filled.
 */
#define FAST_MIN_HEAD 128

/* A guest ring as the message thread found it (used while 'gate' is open). */
struct fast_ring {
	const volatile struct vring_desc *desc;
	const volatile struct vring_avail *avail;
	struct vring_used *used;
	uint16_t size;
	int callfd;			/* the guest's notification eventfd, or -1 */
	bool ok;
};

struct fast_rxq;

/* One borrowed packet: its segments share 'shinfo', freed together. */
struct fast_pkt {
	struct rte_mbuf_ext_shared_info shinfo;
	struct fast_rxq *rq;
};

/* Ring state of one borrowed burst; written only by the PMD holding 'busy'. */
struct fast_rxq {
	uint32_t busy;			/* atomic: a PMD receives from this ring */
	struct vhost_fast *f;
	int vid;
	uint16_t qp;
	uint16_t n_pkts;		/* packets of the burst */
	uint16_t outstanding;		/* not yet freed */
	uint16_t last_avail;		/* after the burst */
	uint16_t last_used;		/* before the burst */
	uint16_t heads[PORT_BURST];	/* in the order the guest made them available */
	struct fast_pkt pkt[PORT_BURST];
	uint64_t packets;		/* borrowed so far */
	uint64_t calls_direct;		/* notifications past rte_vhost (fast_notify_ring) */
	uint16_t synced;		/* used index rte_vhost last checked (fast_notify_ring) */
} __rte_cache_aligned;

/* A guest receive ring the switch fills itself; written only by the PMD holding 'busy'. */
struct fast_txq {
	uint32_t busy;			/* atomic: a PMD fills this ring */
	uint64_t packets;		/* filled so far */
	uint64_t calls_direct;		/* notifications past rte_vhost (fast_notify_ring) */
	uint16_t synced;		/* used index rte_vhost last checked (fast_notify_ring) */
} __rte_cache_aligned;

struct vhost_fast {
	uint32_t gate;			/* atomic: the cache below may be used */
	/* message thread, while 'gate' is closed and no ring busy */
	struct rte_vhost_memory *mem;
	uint16_t hdr_len;
	bool mergeable;			/* VIRTIO_NET_F_MRG_RXBUF */
	bool event_idx;			/* VIRTIO_RING_F_EVENT_IDX */
	unsigned n_rings;
	struct fast_ring *rings;	/* per queue pair: its transmit ring */
	struct fast_ring *rx_rings;	/* per queue pair: its receive ring */
	/* per queue pair, see struct fast_rxq and struct fast_txq */
	struct fast_rxq *rxq;
	struct fast_txq *txq;
};

/* Guest memory at guest-physical 'gpa' for exactly 'len' bytes within one region, or NULL. */
static inline uint8_t *
fast_gpa(const struct vhost_fast *f, uint64_t gpa, uint32_t len)
{
	const struct rte_vhost_memory *mem = f->mem;

	for (uint32_t i = 0; i < mem->nregions; i++) {
		const struct rte_vhost_mem_region *r = &mem->regions[i];

		if (gpa >= r->guest_phys_addr && gpa - r->guest_phys_addr < r->size) {
			if (len > r->size - (gpa - r->guest_phys_addr))
				return NULL;
			return (uint8_t *)(uintptr_t)(gpa - r->guest_phys_addr +
				r->host_user_addr);
		}
	}
	return NULL;
}

/*
 * Whether ring 'vr''s three areas (its descriptor table, avail ring and used ring, with the
 * event index fields when 'event_idx') each lie wholly within one region of 'mem', by host
 * address.  rte_vhost keeps the address of an area that runs past the end of its region
 * (and never uses that ring itself): the fast path must not take such a ring.
 */
bool fast_ring_in_memory(const struct rte_vhost_memory *mem, const struct rte_vhost_vring *vr,
	bool event_idx);

/* Read descriptor 'd' once: the guest may change it meanwhile. */
static inline struct vring_desc
fast_desc(const volatile struct vring_desc *d)
{
	struct vring_desc c;

	c.addr = d->addr;
	c.len = d->len;
	c.flags = d->flags;
	c.next = d->next;
	return c;
}

/*
 * The first descriptor of the chain at 'head' of 'r' into '*d', and the table the chain
 * goes on in ('*tab', '*tab_size' entries): the ring's, or the indirect table '*d' pointed
 * to.  False when 'head' is out of the ring or the indirect table is wrong (chained on,
 * not a whole number of descriptors, outside the guest's memory, or longer than the ring:
 * a chain is at most the queue's size, and the walk over empty descriptors is bounded by
 * nothing else).
 */
static inline bool
fast_chain_first(const struct vhost_fast *f, const struct fast_ring *r, uint16_t head,
	const volatile struct vring_desc **tab, uint32_t *tab_size, struct vring_desc *d)
{
	if (head >= r->size)
		return false;
	*tab = r->desc;
	*tab_size = r->size;
	*d = fast_desc(&r->desc[head]);
	if (!(d->flags & VRING_DESC_F_INDIRECT))
		return true;
	if ((d->flags & VRING_DESC_F_NEXT) || d->len < sizeof(*d) || d->len % sizeof(*d) != 0 ||
			d->len / sizeof(*d) > r->size)
		return false;
	*tab = (const volatile struct vring_desc *)fast_gpa(f, d->addr, d->len);
	if (*tab == NULL)
		return false;
	*tab_size = d->len / sizeof(*d);
	*d = fast_desc(&(*tab)[0]);
	return true;
}

/*
 * Whether the guest asked to hear of used entries 'old'..'new' - 1 of 'r': its used_event
 * index among them (VIRTIO_RING_F_EVENT_IDX), else no VRING_AVAIL_F_NO_INTERRUPT.  The
 * fence orders the caller's used->idx store before these loads, as the guest orders its
 * flag or index store before it reads used->idx again: one side sees the other.
 */
static inline bool
fast_guest_wants_call(const struct vhost_fast *f, const struct fast_ring *r, uint16_t old,
	uint16_t new)
{
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (f->event_idx) {
		uint16_t ev = ((const volatile uint16_t *)r->avail->ring)[r->size];

		return (uint16_t)(new - ev - 1) < (uint16_t)(new - old);
	}
	return !(r->avail->flags & VRING_AVAIL_F_NO_INTERRUPT);
}

/* fast_notify_ring()'s call into rte_vhost; true when it wrote the eventfd itself. */
bool fast_notify_call(int vid, uint16_t ring, const struct fast_ring *r, bool want,
	uint16_t new, uint16_t *synced);

/*
 * PMD holding ring 'ring' ('r' of 'f') after publishing used entries 'old'..'new' - 1:
 * notify the guest when its event index or flags ask, decided and sent within the burst.
 * rte_vhost decides too, behind its lock, from the used index it last checked ('*synced',
 * the ring's own): it is called when the guest wants a call, and at least every 32768
 * entries even when not, so that its 16-bit window never wraps and hides an event (from
 * this path or from rte_vhost's own enqueue and dequeue on the same ring).  The message
 * thread may hold that lock while it waits for this ring, or from the moment the gate
 * reopens until it unlocks, so the lock is only tried; when it is taken and the guest wants
 * a call, the guest's call eventfd is written here (valid while the ring is held:
 * vhost_fast.h) and true is returned.
 */
static inline bool
fast_notify_ring(const struct vhost_fast *f, int vid, uint16_t ring, const struct fast_ring *r,
	uint16_t old, uint16_t new, uint16_t *synced)
{
	bool want = fast_guest_wants_call(f, r, old, new);

	if (likely(!want && (uint16_t)(new - *synced) < 0x8000))
		return false;
	return fast_notify_call(vid, ring, r, want, new, synced);
}

#endif /* VIREO_VHOST_FAST_INT_H */
