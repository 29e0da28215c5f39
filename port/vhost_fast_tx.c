/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The receive rings of vhost-user ports filled by the switch itself: see vhost_fast.h for
 * when, and who may touch what.  What rte_vhost_enqueue_burst() does for a split ring, less
 * what a switch never asks of it here (offloads, dirty logging, an IOMMU, packed rings:
 * those bursts go to rte_vhost), and without its lock: the gate and the ring's 'busy' of
 * vhost_fast.c keep the message thread away instead.
 */
#include <string.h>
#include <linux/virtio_net.h>

#include <rte_memcpy.h>
#include <rte_prefetch.h>

#include "vhost_fast.h"
#include "vhost_fast_int.h"

/*
 * Buffers (descriptor chains) and pieces of guest memory one burst may take: 32 frames of
 * 9000 bytes in 2 KiB buffers take 160.  A packet that would need more goes (with the rest
 * of the burst) to rte_vhost.
 */
#define TX_MAX_BUFS 256
#define TX_MAX_IOVS 256

struct tx_iov {
	uint8_t *addr;
	uint32_t len;
};

/*
 * Where a burst goes: packet i takes buffers buf_at[i] to buf_at[i + 1] (the first
 * descriptor of each and the bytes it holds) and pieces iov_at[i] to iov_at[i + 1].
 */
struct tx_burst {
	struct tx_iov iov[TX_MAX_IOVS];
	uint16_t head[TX_MAX_BUFS];
	uint32_t cap[TX_MAX_BUFS];
	uint16_t iov_at[PORT_BURST + 1];
	uint16_t buf_at[PORT_BURST + 1];
	unsigned n_iov;
	unsigned n_buf;
};

/*
 * The writable buffer whose chain starts at descriptor 'head' of 'r', appended to 'b';
 * returns the bytes it holds.  0 when it is wrong or unusual (rte_vhost decides): a
 * descriptor the guest did not mark writable, an address outside its memory, a loop, a
 * nested indirect table, no room left in 'b', no bytes.  Every descriptor is read once.
 */
static uint32_t
tx_chain(const struct vhost_fast *f, const struct fast_ring *r, uint16_t head,
	struct tx_burst *b)
{
	const volatile struct vring_desc *tab;
	uint32_t tab_size;
	uint64_t cap = 0;
	struct vring_desc d;

	if (b->n_buf == TX_MAX_BUFS || !fast_chain_first(f, r, head, &tab, &tab_size, &d))
		return 0;
	for (uint32_t count = 1;; count++) {
		if ((d.flags & (VRING_DESC_F_WRITE | VRING_DESC_F_INDIRECT)) != VRING_DESC_F_WRITE)
			return 0;
		if (d.len > 0) {
			uint8_t *host = fast_gpa(f, d.addr, d.len);

			if (host == NULL || b->n_iov == TX_MAX_IOVS)
				return 0;
			/* Its lines are the guest's: ask for them before the copy needs them. */
			__builtin_prefetch(host, 1, 3);
			b->iov[b->n_iov++] = (struct tx_iov){ host, d.len };
			cap += d.len;
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		if (count >= tab_size || d.next >= tab_size)
			return 0;	/* a loop, or out of the table */
		d = fast_desc(&tab[d.next]);
	}
	if (cap == 0 || cap > UINT32_MAX)
		return 0;
	b->head[b->n_buf] = head;
	b->cap[b->n_buf++] = (uint32_t)cap;
	return (uint32_t)cap;
}

/*
 * Copy packet 'i' of the burst, 'm' (its virtio-net header first), into its pieces, which
 * hold at least its bytes, the first at least the header.
 */
static void
tx_copy(const struct vhost_fast *f, const struct rte_mbuf *m, const struct tx_burst *b,
	unsigned i)
{
	const struct tx_iov *iov = &b->iov[b->iov_at[i]], *end = &b->iov[b->iov_at[i + 1]];
	uint8_t *dst = iov->addr + f->hdr_len;
	uint32_t room = iov->len - f->hdr_len;

	/*
	 * No offloads asked (vhost_fast_tx checks): an all-zero header, as rte_vhost's, and
	 * num_buffers wherever the header has it: the buffers taken, 1 when they are not
	 * mergeable (the virtio spec's rule; rte_vhost 22.11 leaves it as the guest wrote it
	 * then, and drivers ignore it).
	 */
	memset(iov->addr, 0, sizeof(struct virtio_net_hdr));
	if (f->hdr_len == sizeof(struct virtio_net_hdr_mrg_rxbuf)) {
		uint16_t nb = (uint16_t)(b->buf_at[i + 1] - b->buf_at[i]);

		memcpy(iov->addr + sizeof(struct virtio_net_hdr), &nb, sizeof(nb));
	}
	for (; m != NULL; m = m->next) {
		const uint8_t *src = rte_pktmbuf_mtod(m, const uint8_t *);
		uint32_t left = m->data_len;

		while (left > 0) {
			uint32_t k;

			while (room == 0) {
				/* Placed for pkt_len bytes: a chain longer than that stops here. */
				if (++iov == end)
					return;
				dst = iov->addr;
				room = iov->len;
			}
			k = RTE_MIN(left, room);
			rte_memcpy(dst, src, k);
			dst += k;
			src += k;
			room -= k;
			left -= k;
		}
	}
}

/*
 * Buffers for 'need' bytes into 'b' from the ring's available entries from 'avail' on
 * ('navail' of them left; the first 'nheads' already read into 'heads').  Returns the
 * number of buffers taken, 0 when the ring has too few, -1 when rte_vhost must decide.
 */
static int
tx_place(const struct vhost_fast *f, const struct fast_ring *r, const uint16_t *heads,
	uint16_t nheads, uint16_t avail, uint16_t navail, uint32_t need, struct tx_burst *b)
{
	uint16_t first_iov = (uint16_t)b->n_iov;
	uint64_t room = 0;
	uint16_t k = 0;

	while (room < need) {
		uint16_t head;
		uint32_t cap;

		if (k == navail)
			return 0;
		if (k > 0 && !f->mergeable)
			return -1;	/* one buffer too small: rte_vhost's way with it */
		head = k < nheads ? heads[k] :
			r->avail->ring[(uint16_t)(avail + k) & (r->size - 1)];
		cap = tx_chain(f, r, head, b);
		if (cap == 0)
			return -1;
		room += cap;
		k++;
	}
	/* The header in one piece (rte_vhost also takes it split: its way, then). */
	return b->iov[first_iov].len >= f->hdr_len ? k : -1;
}

/*
 * Buffers for packets 'pkts' (up to 'n') into 'b', from available entry 'last_avail' on
 * ('navail' of them).  Returns how many packets have their buffers; '*defer' as for
 * vhost_fast_tx().
 */
static uint16_t
tx_place_burst(const struct vhost_fast *f, const struct fast_ring *r,
	struct rte_mbuf *const *pkts, uint16_t n, uint16_t last_avail, uint16_t navail,
	struct tx_burst *b, bool *defer)
{
	uint16_t heads[PORT_BURST], nheads = RTE_MIN(RTE_MIN(n, navail), (uint16_t)PORT_BURST);
	uint16_t taken = 0, i;

	/* The heads first, their descriptors asked for: the guest wrote both lately. */
	for (i = 0; i < nheads; i++) {
		heads[i] = r->avail->ring[(uint16_t)(last_avail + i) & (r->size - 1)];
		rte_prefetch0((const void *)&r->desc[heads[i] & (r->size - 1)]);
	}
	b->n_iov = 0;
	b->n_buf = 0;
	for (i = 0; i < n; i++) {
		const struct rte_mbuf *m = pkts[i];
		int got;

		b->iov_at[i] = (uint16_t)b->n_iov;
		b->buf_at[i] = (uint16_t)b->n_buf;
		if (m->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK) {
			*defer = true;
			break;
		}
		got = tx_place(f, r, heads + RTE_MIN(taken, nheads),
			(uint16_t)(nheads - RTE_MIN(taken, nheads)), (uint16_t)(last_avail + taken),
			(uint16_t)(navail - taken), f->hdr_len + m->pkt_len, b);
		if (got <= 0) {
			*defer = got < 0;
			b->n_iov = b->iov_at[i];
			b->n_buf = b->buf_at[i];
			break;
		}
		taken = (uint16_t)(taken + got);
	}
	b->iov_at[i] = (uint16_t)b->n_iov;
	b->buf_at[i] = (uint16_t)b->n_buf;
	return i;
}

int
vhost_fast_tx(struct vhost_fast *f, int vid, uint16_t qp, struct rte_mbuf *const *pkts,
	uint16_t n, bool *defer)
{
	struct fast_txq *tq;
	const struct fast_ring *r;
	uint16_t ring = (uint16_t)(qp * 2), last_avail, last_used, navail, placed;
	uint32_t zero = 0;
	struct tx_burst b;

	*defer = false;
	if (qp >= f->n_rings)
		return -1;
	n = RTE_MIN(n, (uint16_t)PORT_BURST);
	tq = &f->txq[qp];
	/*
	 * The caller serialises senders to a ring: busy taken means a bug, and rte_vhost must
	 * not fill the ring meanwhile either, so nothing is sent.
	 */
	if (!__atomic_compare_exchange_n(&tq->busy, &zero, 1, false, __ATOMIC_SEQ_CST,
			__ATOMIC_RELAXED))
		return 0;
	r = &f->rx_rings[qp];
	if (!__atomic_load_n(&f->gate, __ATOMIC_SEQ_CST) || !r->ok ||
			rte_vhost_get_vring_base(vid, ring, &last_avail, &last_used) != 0) {
		__atomic_store_n(&tq->busy, 0, __ATOMIC_RELEASE);
		return -1;
	}
	navail = (uint16_t)(__atomic_load_n(&r->avail->idx, __ATOMIC_ACQUIRE) - last_avail);
	if (navail > r->size) {
		/* The guest's index is wrong: rte_vhost's way with it, as without this module. */
		__atomic_store_n(&tq->busy, 0, __ATOMIC_RELEASE);
		*defer = true;
		return 0;
	}
	placed = tx_place_burst(f, r, pkts, n, last_avail, navail, &b, defer);
	for (uint16_t i = 0; i < placed; i++)
		tx_copy(f, pkts[i], &b, i);
	for (uint16_t i = 0; i < placed; i++) {
		uint32_t left = f->hdr_len + pkts[i]->pkt_len;

		for (unsigned k = b.buf_at[i]; k < b.buf_at[i + 1]; k++) {
			struct vring_used_elem *e =
				&r->used->ring[(uint16_t)(last_used + k) & (r->size - 1)];
			uint32_t len = RTE_MIN(left, b.cap[k]);

			e->id = b.head[k];
			e->len = len;
			left -= len;
		}
	}
	if (b.n_buf > 0) {
		__atomic_store_n(&r->used->idx, (uint16_t)(last_used + b.n_buf), __ATOMIC_RELEASE);
		rte_vhost_set_vring_base(vid, ring, (uint16_t)(last_avail + b.n_buf),
			(uint16_t)(last_used + b.n_buf));
		if (unlikely(fast_notify_ring(f, vid, ring, r, last_used,
				(uint16_t)(last_used + b.n_buf), &tq->synced)))
			__atomic_store_n(&tq->calls_direct, tq->calls_direct + 1,
				__ATOMIC_RELAXED);
		__atomic_store_n(&tq->packets, tq->packets + placed, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&tq->busy, 0, __ATOMIC_RELEASE);
	return placed;
}
