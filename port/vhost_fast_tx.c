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

#include "vhost_fast.h"
#include "vhost_fast_int.h"

/*
 * Buffers (descriptor chains) one packet may take from a mergeable ring, and pieces of
 * guest memory they may hold: a 9000-byte frame in 2 KiB buffers takes 5.  More goes to
 * rte_vhost.
 */
#define TX_MAX_BUFS 32
#define TX_MAX_IOVS 64

struct tx_iov {
	uint8_t *addr;
	uint32_t len;
};

/* The buffers of the packet being placed. */
struct tx_place {
	struct tx_iov iov[TX_MAX_IOVS];
	unsigned n_iov;
	uint16_t head[TX_MAX_BUFS];	/* each buffer's first descriptor */
	uint32_t cap[TX_MAX_BUFS];	/* and the bytes it holds */
	unsigned n_buf;
	uint64_t room;			/* bytes of all of them */
};

/*
 * The writable buffer whose chain starts at descriptor 'head' of 'r', appended to 'pl'.
 * False when it is wrong or unusual (rte_vhost decides): a descriptor the guest did not
 * mark writable, an address outside its memory, a loop, a nested indirect table, more
 * pieces than TX_MAX_IOVS.  Every descriptor is read once.
 */
static bool
tx_chain(const struct vhost_fast *f, const struct fast_ring *r, uint16_t head,
	struct tx_place *pl)
{
	const volatile struct vring_desc *tab = r->desc;
	uint32_t tab_size = r->size, cap = 0;
	struct vring_desc d;

	if (head >= r->size || pl->n_buf == TX_MAX_BUFS)
		return false;
	d = fast_desc(&tab[head]);
	if (d.flags & VRING_DESC_F_INDIRECT) {
		if ((d.flags & VRING_DESC_F_NEXT) || d.len < sizeof(d) || d.len % sizeof(d) != 0)
			return false;
		tab = (const volatile struct vring_desc *)fast_gpa(f, d.addr, d.len);
		if (tab == NULL)
			return false;
		tab_size = d.len / sizeof(d);
		d = fast_desc(&tab[0]);
	}
	for (uint32_t count = 1;; count++) {
		if ((d.flags & (VRING_DESC_F_WRITE | VRING_DESC_F_INDIRECT)) != VRING_DESC_F_WRITE)
			return false;
		if (d.len > 0) {
			uint8_t *host = fast_gpa(f, d.addr, d.len);

			if (host == NULL || pl->n_iov == TX_MAX_IOVS)
				return false;
			pl->iov[pl->n_iov++] = (struct tx_iov){ host, d.len };
			cap += d.len;
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		if (count >= tab_size || d.next >= tab_size)
			return false;	/* a loop, or out of the table */
		d = fast_desc(&tab[d.next]);
	}
	pl->head[pl->n_buf] = head;
	pl->cap[pl->n_buf++] = cap;
	pl->room += cap;
	return true;
}

/*
 * Copy 'm' (its virtio-net header first) into the buffers of 'pl', which hold at least
 * 'need' bytes, the first piece at least the header.
 */
static void
tx_copy(const struct vhost_fast *f, const struct rte_mbuf *m, const struct tx_place *pl)
{
	const struct tx_iov *iov = pl->iov;
	uint8_t *dst = iov->addr + f->hdr_len;
	uint32_t room = iov->len - f->hdr_len;

	/*
	 * No offloads asked (vhost_fast_tx checks): an all-zero header, as rte_vhost's.
	 * num_buffers only with mergeable buffers: QEMU, Linux's vhost-net and rte_vhost leave
	 * it alone otherwise, and drivers then ignore it.
	 */
	memset(iov->addr, 0, sizeof(struct virtio_net_hdr));
	if (f->mergeable) {
		uint16_t nb = (uint16_t)pl->n_buf;

		memcpy(iov->addr + sizeof(struct virtio_net_hdr), &nb, sizeof(nb));
	}
	for (; m != NULL; m = m->next) {
		const uint8_t *src = rte_pktmbuf_mtod(m, const uint8_t *);
		uint32_t left = m->data_len;

		while (left > 0) {
			uint32_t k;

			while (room == 0) {
				iov++;
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
 * Buffers for 'need' bytes from the ring's available entries 'avail' on ('navail' of them
 * left).  Returns 1 when placed, 0 when the ring has too few, -1 when rte_vhost must decide.
 */
static int
tx_place(const struct vhost_fast *f, const struct fast_ring *r, uint16_t avail,
	uint16_t navail, uint32_t need, struct tx_place *pl)
{
	pl->n_iov = 0;
	pl->n_buf = 0;
	pl->room = 0;
	while (pl->room < need) {
		if (pl->n_buf == navail)
			return 0;
		if (pl->n_buf > 0 && !f->mergeable)
			return -1;	/* one buffer too small: rte_vhost's way with it */
		if (!tx_chain(f, r, r->avail->ring[(uint16_t)(avail + pl->n_buf) & (r->size - 1)],
				pl))
			return -1;
	}
	/* The header in one piece (rte_vhost also takes it split: its way, then). */
	return pl->iov[0].len >= f->hdr_len ? 1 : -1;
}

int
vhost_fast_tx(struct vhost_fast *f, int vid, uint16_t qp, struct rte_mbuf *const *pkts,
	uint16_t n, bool *defer)
{
	struct fast_txq *tq;
	const struct fast_ring *r;
	uint16_t ring = (uint16_t)(qp * 2), last_avail, last_used, navail, taken = 0, nused = 0;
	uint32_t zero = 0;
	struct tx_place pl;
	uint16_t i;

	*defer = false;
	if (qp >= f->n_rings)
		return -1;
	tq = &f->txq[qp];
	if (!__atomic_compare_exchange_n(&tq->busy, &zero, 1, false, __ATOMIC_SEQ_CST,
			__ATOMIC_RELAXED))
		return -1;
	r = &f->rx_rings[qp];
	if (!__atomic_load_n(&f->gate, __ATOMIC_SEQ_CST) || !r->ok ||
			rte_vhost_get_vring_base(vid, ring, &last_avail, &last_used) != 0) {
		__atomic_store_n(&tq->busy, 0, __ATOMIC_RELEASE);
		return -1;
	}
	if (unlikely(tq->call_pending))
		tq->call_pending = fast_notify_ring(tq->vid, ring);
	navail = (uint16_t)(__atomic_load_n(&r->avail->idx, __ATOMIC_ACQUIRE) - last_avail);
	if (navail > r->size) {
		/* The guest's index is wrong: rte_vhost refuses it. */
		__atomic_store_n(&tq->busy, 0, __ATOMIC_RELEASE);
		*defer = true;
		return 0;
	}
	for (i = 0; i < n; i++) {
		const struct rte_mbuf *m = pkts[i];
		uint32_t left = f->hdr_len + m->pkt_len;
		int got;

		if (m->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK) {
			*defer = true;
			break;
		}
		got = tx_place(f, r, (uint16_t)(last_avail + taken), (uint16_t)(navail - taken),
			left, &pl);
		if (got <= 0) {
			*defer = got < 0;
			break;
		}
		tx_copy(f, m, &pl);
		for (unsigned b = 0; b < pl.n_buf; b++) {
			struct vring_used_elem *e =
				&r->used->ring[(uint16_t)(last_used + nused++) & (r->size - 1)];
			uint32_t len = RTE_MIN(left, pl.cap[b]);

			e->id = pl.head[b];
			e->len = len;
			left -= len;
		}
		taken = (uint16_t)(taken + pl.n_buf);
	}
	if (nused > 0) {
		__atomic_store_n(&r->used->idx, (uint16_t)(last_used + nused), __ATOMIC_RELEASE);
		rte_vhost_set_vring_base(vid, ring, (uint16_t)(last_avail + taken),
			(uint16_t)(last_used + nused));
		tq->vid = vid;
		tq->call_pending = fast_notify_ring(vid, ring);
		__atomic_store_n(&tq->packets, tq->packets + i, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&tq->busy, 0, __ATOMIC_RELEASE);
	return i;
}

uint64_t
vhost_fast_tx_packets(const struct vhost_fast *f)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < f->n_rings; i++)
		n += __atomic_load_n(&f->txq[i].packets, __ATOMIC_RELAXED);
	return n;
}
