/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The borrowing receive of vhost-user ports: see vhost_fast.h for what it does, when, and
 * who may touch what.
 */
/* rte_vhost_vring_call_nonblock(): the only notification that never waits for a lock. */
#define ALLOW_EXPERIMENTAL_API

#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <stdlib.h>
#include <string.h>

#include <rte_atomic.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_memcpy.h>
#include <rte_prefetch.h>
#include <rte_vhost.h>

#include "port.h"
#include "vhost_fast.h"
#include "vhost_fast_int.h"

#ifndef VIRTIO_F_RING_PACKED
#define VIRTIO_F_RING_PACKED 34
#endif
#ifndef VIRTIO_F_ACCESS_PLATFORM
#define VIRTIO_F_ACCESS_PLATFORM 33
#endif
#define FAST_LOG_ALL 26		/* VHOST_F_LOG_ALL: the guest migrates, writes are logged */

struct fast_seg {
	uint8_t *addr;
	uint32_t len;
};

/*
 * Segments one borrowed burst may take: 32 packets of 8 segments.  A packet that finds too
 * few left ends the burst and comes first in the next, where it has VHOST_FAST_MAX_SEGS.
 */
#define FAST_RX_SEGS 256

/* The device this thread borrows from now (a PMD is in at most one burst at a time). */
static __thread const struct vhost_fast *fast_cur;

struct vhost_fast *
vhost_fast_create(unsigned n_rings)
{
	struct vhost_fast *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->n_rings = n_rings;
	f->rings = calloc(n_rings, sizeof(*f->rings));
	f->rx_rings = calloc(n_rings, sizeof(*f->rx_rings));
	f->rxq = rte_zmalloc("vhost_fast", n_rings * sizeof(*f->rxq), RTE_CACHE_LINE_SIZE);
	f->txq = rte_zmalloc("vhost_fast", n_rings * sizeof(*f->txq), RTE_CACHE_LINE_SIZE);
	if (f->rings == NULL || f->rx_rings == NULL || f->rxq == NULL || f->txq == NULL) {
		vhost_fast_destroy(f);
		return NULL;
	}
	for (unsigned i = 0; i < n_rings; i++) {
		f->rxq[i].f = f;
		for (unsigned k = 0; k < PORT_BURST; k++)
			f->rxq[i].pkt[k].rq = &f->rxq[i];
	}
	return f;
}

void
vhost_fast_destroy(struct vhost_fast *f)
{
	if (f == NULL)
		return;
	free(f->mem);
	free(f->rings);
	free(f->rx_rings);
	rte_free(f->rxq);
	rte_free(f->txq);
	free(f);
}

void
vhost_fast_close(struct vhost_fast *f)
{
	__atomic_store_n(&f->gate, 0, __ATOMIC_SEQ_CST);
}

void
vhost_fast_stop(struct vhost_fast *f)
{
	vhost_fast_close(f);
	for (unsigned i = 0; i < f->n_rings; i++)
		while (__atomic_load_n(&f->rxq[i].busy, __ATOMIC_SEQ_CST) != 0 ||
				__atomic_load_n(&f->txq[i].busy, __ATOMIC_SEQ_CST) != 0)
			sched_yield();
}

/* Whether the 'len' bytes at host address 'p' lie wholly within one region of 'mem'. */
static bool
fast_hva_in_memory(const struct rte_vhost_memory *mem, const volatile void *p, uint64_t len)
{
	uint64_t a = (uint64_t)(uintptr_t)p;

	for (uint32_t i = 0; i < mem->nregions; i++) {
		const struct rte_vhost_mem_region *r = &mem->regions[i];

		if (a >= r->host_user_addr && a - r->host_user_addr < r->size)
			return len <= r->size - (a - r->host_user_addr);
	}
	return false;
}

bool
fast_ring_in_memory(const struct rte_vhost_memory *mem, const struct rte_vhost_vring *vr,
	bool event_idx)
{
	uint64_t ev = event_idx ? sizeof(uint16_t) : 0, n = vr->size;

	return fast_hva_in_memory(mem, vr->desc, n * sizeof(struct vring_desc)) &&
		fast_hva_in_memory(mem, vr->avail, 4 + n * sizeof(uint16_t) + ev) &&
		fast_hva_in_memory(mem, vr->used, 4 + n * sizeof(struct vring_used_elem) + ev);
}

/*
 * Ring 'ring' of device 'vid' into 'r' when the fast path may use it ('r->ok'), after
 * 'f''s memory table and features were read.
 */
static void
fast_ring_read(const struct vhost_fast *f, struct fast_ring *r, int vid, uint16_t ring)
{
	struct rte_vhost_vring vr;

	memset(r, 0, sizeof(*r));
	if (rte_vhost_get_vhost_vring(vid, ring, &vr) != 0)
		return;
	if (vr.desc == NULL || vr.avail == NULL || vr.used == NULL || vr.size == 0 ||
			(vr.size & (vr.size - 1)) != 0)
		return;
	if (!fast_ring_in_memory(f->mem, &vr, f->event_idx))
		return;
	r->desc = vr.desc;
	r->avail = vr.avail;
	r->used = vr.used;
	r->size = vr.size;
	r->callfd = vr.callfd;
	r->ok = true;
}

void
vhost_fast_start(struct vhost_fast *f, int vid, const volatile uint8_t *tx_enabled,
	const volatile uint8_t *rx_enabled, unsigned n_qp)
{
	const uint64_t refused = (1ULL << VIRTIO_F_RING_PACKED) | (1ULL << FAST_LOG_ALL) |
		(1ULL << VIRTIO_F_ACCESS_PLATFORM);
	struct rte_vhost_memory *mem = NULL;
	uint64_t features;

	vhost_fast_stop(f);
	free(f->mem);
	f->mem = NULL;
	if (rte_vhost_get_negotiated_features(vid, &features) != 0 || (features & refused))
		return;
	if (rte_vhost_get_mem_table(vid, &mem) != 0)
		return;
	f->mem = mem;
	f->hdr_len = (features & ((1ULL << VIRTIO_F_VERSION_1) |
		(1ULL << VIRTIO_NET_F_MRG_RXBUF))) ? sizeof(struct virtio_net_hdr_mrg_rxbuf) :
		sizeof(struct virtio_net_hdr);
	f->mergeable = (features & (1ULL << VIRTIO_NET_F_MRG_RXBUF)) != 0;
	f->event_idx = (features & (1ULL << VIRTIO_RING_F_EVENT_IDX)) != 0;
	for (unsigned qp = 0; qp < f->n_rings; qp++) {
		f->rings[qp].ok = false;
		f->rx_rings[qp].ok = false;
		if (qp >= n_qp)
			continue;
		if (tx_enabled[qp])
			fast_ring_read(f, &f->rings[qp], vid, (uint16_t)(qp * 2 + 1));
		if (rx_enabled[qp])
			fast_ring_read(f, &f->rx_rings[qp], vid, (uint16_t)(qp * 2));
	}
	__atomic_store_n(&f->gate, 1, __ATOMIC_SEQ_CST);
}

bool
fast_notify_call(int vid, uint16_t ring, const struct fast_ring *r, bool want, uint16_t new,
	uint16_t *synced)
{
	if (likely(rte_vhost_vring_call_nonblock(vid, ring) != -EAGAIN)) {
		*synced = new;
		return false;
	}
	if (!want || r->callfd < 0)
		return false;
	eventfd_write(r->callfd, 1);
	return true;
}

static void
fast_notify(struct fast_rxq *rq)
{
	if (unlikely(fast_notify_ring(rq->f, rq->vid, (uint16_t)(rq->qp * 2 + 1),
			&rq->f->rings[rq->qp], rq->last_used,
			(uint16_t)(rq->last_used + rq->n_pkts), &rq->synced)))
		__atomic_store_n(&rq->calls_direct, rq->calls_direct + 1, __ATOMIC_RELAXED);
}

bool
vhost_fast_enter(struct vhost_fast *f, uint16_t qp)
{
	uint32_t zero = 0;

	return __atomic_compare_exchange_n(&f->rxq[qp].busy, &zero, 1, false, __ATOMIC_SEQ_CST,
		__ATOMIC_RELAXED);
}

void
vhost_fast_leave(struct vhost_fast *f, uint16_t qp)
{
	__atomic_store_n(&f->rxq[qp].busy, 0, __ATOMIC_RELEASE);
}

bool
vhost_fast_borrowing(const struct vhost_fast *f)
{
	return fast_cur == f;
}

void
vhost_fast_packets(const struct vhost_fast *f, uint64_t *rx, uint64_t *tx)
{
	*rx = 0;
	*tx = 0;
	for (unsigned i = 0; i < f->n_rings; i++) {
		*rx += __atomic_load_n(&f->rxq[i].packets, __ATOMIC_RELAXED);
		*tx += __atomic_load_n(&f->txq[i].packets, __ATOMIC_RELAXED);
	}
}

uint64_t
vhost_fast_calls_direct(const struct vhost_fast *f)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < f->n_rings; i++)
		n += __atomic_load_n(&f->rxq[i].calls_direct, __ATOMIC_RELAXED) +
			__atomic_load_n(&f->txq[i].calls_direct, __ATOMIC_RELAXED);
	return n;
}

unsigned
vhost_fast_busy_rings(const struct vhost_fast *f)
{
	unsigned n = 0;

	for (unsigned i = 0; i < f->n_rings; i++)
		n += (__atomic_load_n(&f->rxq[i].busy, __ATOMIC_RELAXED) != 0) +
			(__atomic_load_n(&f->txq[i].busy, __ATOMIC_RELAXED) != 0);
	return n;
}

/*
 * The packet whose chain starts at descriptor 'head' of 'r' as up to 'max_segs' (at most
 * VHOST_FAST_MAX_SEGS) segments of guest memory, the virtio-net header skipped.  Returns
 * the number of segments and the length in '*len', or 0 when it cannot be borrowed (wrong,
 * or unusual: rte_vhost decides; or more than 'max_segs').
 */
static unsigned
fast_chain(const struct vhost_fast *f, const struct fast_ring *r, uint16_t head,
	struct fast_seg *segs, unsigned max_segs, uint32_t *len)
{
	const volatile struct vring_desc *tab;
	uint32_t tab_size, skip = f->hdr_len, total = 0;
	unsigned ns = 0;
	struct vring_desc d;

	if (!fast_chain_first(f, r, head, &tab, &tab_size, &d))
		return 0;
	for (uint32_t count = 1;; count++) {
		uint8_t *host;
		uint32_t l = d.len, s;

		if (d.flags & (VRING_DESC_F_WRITE | VRING_DESC_F_INDIRECT))
			return 0;
		host = fast_gpa(f, d.addr, l);
		if (host == NULL)
			return 0;
		s = RTE_MIN(skip, l);
		skip -= s;
		l -= s;
		if (l > 0) {
			if (ns == max_segs || l > UINT16_MAX)
				return 0;
			segs[ns].addr = host + s;
			segs[ns].len = l;
			ns++;
			total += l;
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		if (count >= tab_size || d.next >= tab_size)
			return 0;	/* a loop, or out of the table */
		d = fast_desc(&tab[d.next]);
	}
	if (skip > 0 || total == 0 || segs[0].len < RTE_MIN(total, (uint32_t)FAST_MIN_HEAD))
		return 0;
	*len = total;
	return ns;
}

static void
fast_close(struct fast_rxq *rq)
{
	struct vhost_fast *f = rq->f;
	const struct fast_ring *r = &f->rings[rq->qp];
	uint16_t mask = r->size - 1, ring = (uint16_t)(rq->qp * 2 + 1);
	int vid = rq->vid;

	for (uint16_t i = 0; i < rq->n_pkts; i++) {
		struct vring_used_elem *e = &r->used->ring[(uint16_t)(rq->last_used + i) & mask];

		e->id = rq->heads[i];
		e->len = 0;
	}
	__atomic_store_n(&r->used->idx, (uint16_t)(rq->last_used + rq->n_pkts), __ATOMIC_RELEASE);
	rte_vhost_set_vring_base(vid, ring, rq->last_avail, (uint16_t)(rq->last_used + rq->n_pkts));
	__atomic_store_n(&rq->packets, rq->packets + rq->n_pkts, __ATOMIC_RELAXED);
	fast_notify(rq);
	fast_cur = NULL;
	__atomic_store_n(&rq->busy, 0, __ATOMIC_RELEASE);
}

/* Called by rte_mbuf when the last segment of a borrowed packet is freed (on its PMD). */
static void
fast_free(void *addr __rte_unused, void *opaque)
{
	struct fast_pkt *fp = opaque;
	struct fast_rxq *rq = fp->rq;

	if (--rq->outstanding == 0)
		fast_close(rq);
}

bool
vhost_fast_head_holds_headers(const uint8_t *p, uint32_t len, uint32_t head)
{
	uint32_t l3 = RTE_ETHER_HDR_LEN;
	uint16_t type;
	uint8_t nh;

	if (len <= head)
		return true;
	if (head < l3 + 4 + sizeof(struct rte_ipv6_hdr))
		return false;
	type = (uint16_t)(p[12] << 8 | p[13]);
	if (type == RTE_ETHER_TYPE_VLAN || type == RTE_ETHER_TYPE_QINQ) {
		type = (uint16_t)(p[16] << 8 | p[17]);
		l3 += 4;
	}
	/* IPv4 with options and TCP ends by byte 18 + 60 + 20: within any head checked here. */
	if (type != RTE_ETHER_TYPE_IPV6)
		return head >= l3 + 60 + 20;
	/* IPv6: extension headers may push the transport header anywhere. */
	nh = p[l3 + 6];
	if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_FRAGMENT ||
			nh == IPPROTO_DSTOPTS)
		return false;
	return head >= l3 + sizeof(struct rte_ipv6_hdr) + 20;
}

/*
 * 'first' and further mbufs from 'mp' over the 'ns' segments of 'segs' ('len' bytes), as
 * packet 'fp'; NULL without mbufs, or when the copied head does not hold every header a
 * rule may read ('first' is then still the caller's, untouched but for its data).  With
 * 'copy_head', the first FAST_MIN_HEAD bytes are copied into the first mbuf, and only the
 * rest is lent.  A packet of at most FAST_MIN_HEAD bytes is always copied whole: lending it
 * (an external buffer attached, detached, its callback) costs more than the copy saves.
 * '*lent' says whether any of it is lent.
 */
static struct rte_mbuf *
fast_attach(struct fast_pkt *fp, struct rte_mempool *mp, struct rte_mbuf *first,
	const struct fast_seg *segs, unsigned ns, uint32_t len, bool copy_head, bool *lent)
{
	struct rte_mbuf *ms[VHOST_FAST_MAX_SEGS + 1];
	struct fast_seg rest[VHOST_FAST_MAX_SEGS];
	uint32_t head = copy_head || len <= FAST_MIN_HEAD ? RTE_MIN(len, (uint32_t)FAST_MIN_HEAD) :
		0;
	unsigned nl = 0, nm;

	/* fast_chain() made the first segment hold at least the head. */
	if (segs[0].len > head)
		rest[nl++] = (struct fast_seg){ segs[0].addr + head, segs[0].len - head };
	for (unsigned i = 1; i < ns; i++)
		rest[nl++] = segs[i];
	nm = nl + (head != 0);
	if (head != 0) {
		rte_memcpy(rte_pktmbuf_mtod(first, void *), segs[0].addr, head);
		first->data_len = (uint16_t)head;
		/* Checked on the copy: the guest may change its buffer at any time. */
		if (copy_head && !vhost_fast_head_holds_headers(rte_pktmbuf_mtod(first,
				const uint8_t *), len, head))
			return NULL;
	}
	ms[0] = first;
	if (nm > 1 && rte_pktmbuf_alloc_bulk(mp, ms + 1, nm - 1) != 0)
		return NULL;
	if (nl != 0) {
		fp->shinfo.free_cb = fast_free;
		fp->shinfo.fcb_opaque = fp;
		rte_mbuf_ext_refcnt_set(&fp->shinfo, (uint16_t)nl);
	}
	for (unsigned i = 0; i < nl; i++) {
		struct rte_mbuf *m = ms[i + (head != 0)];

		rte_pktmbuf_attach_extbuf(m, rest[i].addr, RTE_BAD_IOVA, (uint16_t)rest[i].len,
			&fp->shinfo);
		m->data_len = (uint16_t)rest[i].len;
	}
	for (unsigned i = 0; i + 1 < nm; i++)
		ms[i]->next = ms[i + 1];
	ms[0]->nb_segs = (uint16_t)nm;
	ms[0]->pkt_len = len;
	*lent = nl != 0;
	return ms[0];
}

/*
 * Ask for the lines of a packet's first 'len' bytes at 'p' (at most the head a rule reads),
 * which the guest has just written from another core: every packet of a burst at once,
 * before the first of them is read.
 */
static inline void
fast_prefetch_head(const uint8_t *p, uint32_t len)
{
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)(RTE_CACHE_LINE_SIZE - 1);
	uintptr_t end = (uintptr_t)p + RTE_MIN(len, (uint32_t)FAST_MIN_HEAD);

	for (; a < end; a += RTE_CACHE_LINE_SIZE)
		rte_prefetch0((const void *)a);
}

/*
 * The chains of up to 'n' packets from available entry 'last_avail' on, read in two passes
 * over the burst (the heads, each descriptor prefetched; then the chains, each packet's
 * head prefetched) so that the lines the guest wrote arrive in parallel, not one packet
 * after another.  Packet i's segments are segs[at[i]] to segs[at[i + 1]], its length
 * lens[i], its head rq->heads[i].  Returns how many packets from the first could be
 * borrowed; the burst ends before the first that cannot (or that finds 'segs' too full:
 * it comes first in the next burst).
 */
static uint16_t
fast_rx_chains(const struct vhost_fast *f, const struct fast_ring *r, struct fast_rxq *rq,
	uint16_t last_avail, uint16_t n, struct fast_seg *segs, uint16_t *at, uint32_t *lens)
{
	uint16_t got;

	/* The first packet of a burst always has room for the most a packet may take. */
	RTE_BUILD_BUG_ON(FAST_RX_SEGS < VHOST_FAST_MAX_SEGS);
	for (uint16_t i = 0; i < n; i++) {
		uint16_t head = r->avail->ring[(uint16_t)(last_avail + i) & (r->size - 1)];

		rq->heads[i] = head;
		if (head < r->size)
			rte_prefetch0((const void *)&r->desc[head]);
	}
	at[0] = 0;
	for (got = 0; got < n; got++) {
		unsigned room = RTE_MIN((unsigned)FAST_RX_SEGS - at[got],
			(unsigned)VHOST_FAST_MAX_SEGS);
		unsigned ns = fast_chain(f, r, rq->heads[got], segs + at[got], room, &lens[got]);

		if (ns == 0)
			break;
		fast_prefetch_head(segs[at[got]].addr, lens[got]);
		at[got + 1] = (uint16_t)(at[got] + ns);
	}
	return got;
}

int
vhost_fast_rx(struct vhost_fast *f, int vid, uint16_t qp, struct rte_mempool *mp,
	struct rte_mbuf **pkts, uint16_t n, bool copy_head)
{
	struct fast_rxq *rq = &f->rxq[qp];
	struct fast_seg segs[FAST_RX_SEGS];
	struct rte_mbuf *first[PORT_BURST];
	uint16_t at[PORT_BURST + 1];
	uint32_t lens[PORT_BURST];
	const struct fast_ring *r;
	uint16_t last_avail, last_used, navail, got, lent = 0;

	if (!__atomic_load_n(&f->gate, __ATOMIC_SEQ_CST) || qp >= f->n_rings)
		return -1;
	r = &f->rings[qp];
	if (!r->ok || rte_vhost_get_vring_base(vid, (uint16_t)(qp * 2 + 1), &last_avail,
			&last_used) != 0)
		return -1;
	navail = (uint16_t)(__atomic_load_n(&r->avail->idx, __ATOMIC_ACQUIRE) - last_avail);
	if (navail == 0) {
		vhost_fast_leave(f, qp);
		return 0;
	}
	if (navail > r->size)
		return -1;	/* the guest's index is wrong: rte_vhost refuses it */
	n = RTE_MIN(RTE_MIN(n, navail), (uint16_t)PORT_BURST);
	n = fast_rx_chains(f, r, rq, last_avail, n, segs, at, lens);
	/* Every packet's first mbuf at once: one trip to the pool's cache a burst. */
	if (n == 0 || rte_pktmbuf_alloc_bulk(mp, first, n) != 0)
		return -1;
	for (got = 0; got < n; got++) {
		bool l;

		pkts[got] = fast_attach(&rq->pkt[got], mp, first[got], segs + at[got],
			(unsigned)(at[got + 1] - at[got]), lens[got], copy_head, &l);
		if (pkts[got] == NULL)
			break;
		lent += l;
	}
	if (got < n)
		rte_pktmbuf_free_bulk(first + got, (unsigned)(n - got));
	if (got == 0)
		return -1;
	rq->vid = vid;
	rq->qp = qp;
	rq->n_pkts = got;
	rq->outstanding = lent;
	rq->last_avail = (uint16_t)(last_avail + got);
	rq->last_used = last_used;
	if (lent == 0)
		fast_close(rq);		/* all copied: the descriptors go back now */
	else
		fast_cur = f;
	return got;
}

bool
vhost_fast_is_borrowed(const struct rte_mbuf *m)
{
	return RTE_MBUF_HAS_EXTBUF(m) && m->shinfo->free_cb == fast_free;
}
