/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packets between two guests on one vireo-dp bridge, laid out every way a virtio driver
 * may lay them out: guest A (vhu0, memory in two regions) sends frames of 60 to 9000 bytes
 * as one descriptor, as a chain with the virtio-net header alone in the first descriptor,
 * through indirect tables, with a first segment too short to switch on (the borrowing
 * receive leaves those to rte_vhost), and in batches that fill its whole transmit ring and
 * guest B's whole receive ring; B (vhu1) receives them into 2 KiB mergeable buffers.
 * Every frame must arrive complete and byte-identical, in order.  What B received (the
 * virtio-net header as written, then the frame) is written to OUT, so that a run with
 * vhost-fast-path on and one with it off can be compared byte for byte.
 *
 * With "refused" after OUT, A first sends a message the backend refuses (a memory table
 * past the end of its file) and then only a few batches: a refused message changes nothing,
 * so they must be borrowed as before it (the shell script reads the count).
 *
 * With "frames", only the frames (no reconnects afterwards).  "frames-rxind" posts B's
 * receive buffers through indirect tables, each split into pieces (the virtio-net header
 * alone, then the rest; 100 bytes, then the rest; three pieces; one), as a driver that
 * chains its receive buffers; "frames-nomrg" has B decline mergeable buffers (each frame in
 * one buffer, so only frames that fit 2 KiB are sent).  "frames-rewrite" expects every
 * frame with its Ethernet source rewritten to REWRITE_SRC (the bridge's rules set it).
 *
 * usage: vu_fast_test RUNDIR OUT [refused|frames|frames-rxind|frames-nomrg|frames-rewrite]
 * (vireo-dp
 * runs with ports vhu0 and vhu1 in RUNDIR)
 */
#include <errno.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vu_guest.h"
#include "vu_raw.h"

#define CONNECT_MS 20000
#define WAIT_MS 20000
#define N_LAYOUTS 6
#define PIECE 300
#define MAX_FRAME 9000

enum layout {
	LAY_FLAT,		/* header and frame in consecutive 2 KiB descriptors */
	LAY_HDR_ALONE,		/* the header in its own descriptor, then the frame */
	LAY_INDIRECT,		/* LAY_HDR_ALONE through an indirect table */
	LAY_SHORT_HEAD,		/* header + 10 bytes, then the rest: rte_vhost's to take */
	LAY_INDIRECT_FLAT,	/* LAY_FLAT through an indirect table */
	LAY_PIECES,		/* through an indirect table: the header and 128 bytes, then
				 * pieces of PIECE bytes (up to 32 for 9000), in consecutive
				 * buffers (a piece ends where a buffer does) */
};

struct pkt {
	uint32_t len;
	enum layout lay;
};

enum rx_mode {
	RX_FLAT,		/* one 2 KiB descriptor a buffer, mergeable */
	RX_INDIRECT,		/* the same 2 KiB through an indirect table, in pieces */
	RX_NOMRG,		/* one 2 KiB descriptor a buffer, not mergeable */
};

static enum rx_mode rx_mode;
static uint8_t *rx_tables;	/* RX_INDIRECT: B's tables, 64 bytes a buffer */
static FILE *out;
static uint32_t n_sent, n_recv, n_bad;
/* "frames-rewrite": the source address every frame must arrive with. */
#define REWRITE_SRC "\x02\x00\x00\x00\x00\x0b"
static bool rewrite;
static uint32_t n_nb1;		/* RX_NOMRG: frames whose num_buffers the backend set to 1 */
static uint32_t sent_len[1u << 16];

/* Guest-physical address of 'p' in 'vq''s memory (as vu_guest.c lays it out). */
static uint64_t
gpa_of(const struct vg_vq *vq, const void *p)
{
	const struct vg_mem *m = vq->mem;
	uint64_t off = (uint64_t)((const uint8_t *)p - m->base);

	return m->split && off >= m->split ? VG_HIGH_GPA + (off - m->split) : off;
}

static uint8_t
byte_at(uint32_t seq, uint32_t i)
{
	return (uint8_t)(seq * 7u + i * 13u + (i >> 8));
}

/* The virtio-net header and frame 'seq' of 'len' bytes, as A sends them. */
static void
stream(uint8_t *s, uint32_t seq, uint32_t len)
{
	memset(s, 0, VG_HDR_LEN);
	s += VG_HDR_LEN;
	memset(s, 0xff, 6);
	memcpy(s + 6, "\x02\x00\x00\x00\x00\x0a\x88\xb5", 8);
	memcpy(s + 14, &seq, 4);
	for (uint32_t i = 18; i < len; i++)
		s[i] = byte_at(seq, i);
}

/* Piece lengths of a packet of 'len' bytes in layout 'lay'; returns how many. */
static unsigned
pieces(uint32_t len, enum layout lay, uint32_t *pl)
{
	uint32_t left = VG_HDR_LEN + len;
	unsigned n = 0;

	if (lay == LAY_HDR_ALONE || lay == LAY_INDIRECT) {
		pl[n++] = VG_HDR_LEN;
		left -= VG_HDR_LEN;
	} else if (lay == LAY_SHORT_HEAD) {
		pl[n++] = VG_HDR_LEN + 10;
		left -= VG_HDR_LEN + 10;
	} else if (lay == LAY_PIECES) {
		uint32_t off = 0;

		while (left > 0) {
			uint32_t k = n == 0 ? VG_HDR_LEN + 128 : PIECE;

			k = k < left ? k : left;
			if (k > VG_BUF_LEN - off % VG_BUF_LEN)
				k = VG_BUF_LEN - off % VG_BUF_LEN;
			pl[n++] = k;
			off += k;
			left -= k;
		}
		return n;
	}
	while (left > 0) {
		pl[n] = left < VG_BUF_LEN ? left : VG_BUF_LEN;
		left -= pl[n++];
	}
	return n;
}

struct batch {
	struct vg_vq *vq;
	uint16_t desc;		/* next free descriptor */
	uint16_t buf;		/* next free 2 KiB buffer */
	uint16_t n;		/* packets */
};

/* Put packet 'p' (frame n_sent) on the ring; false when the batch has no room for it. */
static bool
put(struct batch *b, const struct pkt *p)
{
	static uint8_t s[VG_HDR_LEN + MAX_FRAME];
	struct vg_vq *vq = b->vq;
	bool ind = p->lay == LAY_INDIRECT || p->lay == LAY_INDIRECT_FLAT || p->lay == LAY_PIECES;
	bool packed = p->lay == LAY_PIECES;
	uint32_t pl[48], off = 0;
	unsigned n = pieces(p->len, p->lay, pl);
	/* 2 KiB buffers taken: one a piece, or (packed) as many as the bytes fill */
	unsigned nbuf = packed ? (VG_HDR_LEN + p->len + VG_BUF_LEN - 1) / VG_BUF_LEN : n;
	struct vring_desc *tab;
	uint16_t head = b->desc;
	uint8_t *area;

	if (b->buf + nbuf + ind > vq->size || b->desc + (ind ? 1 : n) > vq->size)
		return false;
	stream(s, n_sent, p->len);
	tab = ind ? (struct vring_desc *)(vq->bufs + (size_t)b->buf++ * VG_BUF_LEN) :
		&vq->desc[b->desc];
	area = vq->bufs + (size_t)b->buf * VG_BUF_LEN;
	if (packed)
		b->buf = (uint16_t)(b->buf + nbuf);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *buf = packed ? area + off : vq->bufs + (size_t)b->buf++ * VG_BUF_LEN;

		memcpy(buf, s + off, pl[i]);
		off += pl[i];
		tab[i].addr = gpa_of(vq, buf);
		tab[i].len = pl[i];
		tab[i].flags = i + 1 < n ? VRING_DESC_F_NEXT : 0;
		tab[i].next = (uint16_t)(ind ? i + 1 : head + i + 1);
	}
	if (ind) {
		vq->desc[head].addr = gpa_of(vq, tab);
		vq->desc[head].len = (uint32_t)(n * sizeof(*tab));
		vq->desc[head].flags = VRING_DESC_F_INDIRECT;
		vq->desc[head].next = 0;
		b->desc++;
	} else {
		b->desc = (uint16_t)(b->desc + n);
	}
	vq->avail->ring[vq->avail_idx % vq->size] = head;
	vq->avail_idx++;
	sent_len[n_sent & 0xffff] = p->len;
	n_sent++;
	b->n++;
	return true;
}

/*
 * B: buffer 'id' (2 KiB at vq->bufs + id * 2 KiB) into descriptor 'id', as 'rx_mode' lays
 * it out; the caller makes it available.
 */
static void
post_rx(struct vg_vq *vq, uint16_t id)
{
	static const uint32_t split[4][4] = {
		{ VG_HDR_LEN, VG_BUF_LEN - VG_HDR_LEN },
		{ 100, VG_BUF_LEN - 100 },
		{ VG_HDR_LEN, 500, VG_BUF_LEN - VG_HDR_LEN - 500 },
		{ VG_BUF_LEN },
	};
	uint8_t *buf = vq->bufs + (size_t)id * VG_BUF_LEN;
	struct vring_desc *tab;
	uint32_t off = 0;
	unsigned n = 0;

	if (rx_mode != RX_INDIRECT) {
		vq->desc[id].addr = gpa_of(vq, buf);
		vq->desc[id].len = VG_BUF_LEN;
		vq->desc[id].flags = VRING_DESC_F_WRITE;
		return;
	}
	tab = (struct vring_desc *)(rx_tables + (size_t)id * 64);
	for (; n < 4 && split[id % 4][n] != 0; n++) {
		tab[n].addr = gpa_of(vq, buf + off);
		tab[n].len = split[id % 4][n];
		tab[n].flags = VRING_DESC_F_WRITE;
		tab[n].next = (uint16_t)(n + 1);
		off += split[id % 4][n];
		if (off < VG_BUF_LEN)
			tab[n].flags |= VRING_DESC_F_NEXT;
	}
	vq->desc[id].addr = gpa_of(vq, tab);
	vq->desc[id].len = (uint32_t)(n * sizeof(*tab));
	vq->desc[id].flags = VRING_DESC_F_INDIRECT;
}

/* B: take what arrived, check it, write it to 'out', give the buffers back. */
static void
drain(struct vg_vq *vq)
{
	static uint8_t frame[VG_HDR_LEN + MAX_FRAME + VG_BUF_LEN];
	static uint32_t have, bufs_left, bufs;
	uint16_t idx = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);

	while (vq->last_used != idx) {
		struct vring_used_elem *e = &vq->used->ring[vq->last_used % vq->size];
		uint16_t id = (uint16_t)e->id;
		uint32_t len = e->len;
		uint8_t *buf;

		vq->last_used++;
		if (id >= vq->size || len > VG_BUF_LEN) {
			n_bad++;
			continue;
		}
		buf = vq->bufs + (size_t)id * VG_BUF_LEN;
		if (bufs_left == 0) {
			uint16_t nb;

			memcpy(&nb, buf + 10, 2);
			if (rx_mode == RX_NOMRG) {
				/* The spec says 1; rte_vhost leaves it: counted, not compared. */
				n_nb1 += nb == 1;
				memset(buf + 10, 0, 2);
				nb = 1;
			}
			bufs_left = bufs = nb;
			have = 0;
			if (nb == 0 || nb > 8)
				bufs_left = bufs = 1;
		}
		if (have + len <= sizeof(frame)) {
			memcpy(frame + have, buf, len);
			have += len;
		}
		post_rx(vq, id);
		vq->avail->ring[vq->avail_idx % vq->size] = id;
		vq->avail_idx++;
		__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
		if (--bufs_left > 0)
			continue;
		/* one frame complete: it must be frame n_recv as sent */
		{
			static uint8_t want[VG_HDR_LEN + MAX_FRAME];
			uint32_t flen = have - VG_HDR_LEN, seq = n_recv;
			uint32_t wbufs = (VG_HDR_LEN + sent_len[seq & 0xffff] + VG_BUF_LEN - 1) /
				VG_BUF_LEN;

			stream(want, seq, sent_len[seq & 0xffff]);
			if (rewrite)
				memcpy(want + VG_HDR_LEN + 6, REWRITE_SRC, 6);
			if (have < VG_HDR_LEN || flen != sent_len[seq & 0xffff] || bufs != wbufs ||
					memcmp(frame + VG_HDR_LEN, want + VG_HDR_LEN, flen) != 0 ||
					memcmp(frame, want, 10) != 0) {
				if (n_bad++ < 5)
					printf("frame %u: %u bytes in %u buffers, want %u in %u\n",
						seq, have, bufs, sent_len[seq & 0xffff] + VG_HDR_LEN,
						wbufs);
			}
			fwrite(frame, 1, have, out);
			n_recv++;
		}
	}
}

/* B: give back whatever arrived, unchecked, until nothing came for 300 ms. */
static void
discard(struct vg_vq *vq)
{
	int64_t quiet = vg_now_ms() + 300;

	while (vg_now_ms() < quiet) {
		uint16_t idx = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);

		if (vq->last_used == idx) {
			usleep(1000);
			continue;
		}
		while (vq->last_used != idx) {
			uint16_t id = (uint16_t)vq->used->ring[vq->last_used % vq->size].id;

			vq->last_used++;
			if (id >= vq->size)
				continue;
			post_rx(vq, id);
			vq->avail->ring[vq->avail_idx % vq->size] = id;
			vq->avail_idx++;
		}
		__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
		quiet = vg_now_ms() + 300;
	}
}

static void
reconnect(struct vg_nic *nic)
{
	int rc;

	vu_dev_disconnect(nic->dev);
	rc = vg_nic_connect(nic, CONNECT_MS);
	if (rc == 0)
		rc = vg_nic_restore(nic);
	vg_check(rc == 0, "%s reconnects and restores its rings %s", nic->name,
		rc == 0 ? "" : vu_dev_error(nic->dev));
}

/*
 * Guests going and coming while A's buffers are lent: A posts a full ring of frames and at
 * once disconnects (its memory is unmapped while vireo-dp may be inside the burst), or B
 * does, or A sends a stream of ring enables (each makes vireo-dp stop lending and re-read
 * the rings); then every ring must be usable again.
 */
static void
churn(struct vg_nic *a, struct vg_nic *b, unsigned rounds)
{
	static struct pkt p[256];
	uint64_t one = 1;

	for (unsigned n = 0; n < 256; n++)
		p[n] = (struct pkt){ 60 + (n * 37) % 1400, (enum layout)(n % N_LAYOUTS) };
	for (unsigned r = 0; r < rounds; r++) {
		struct batch bt = { .vq = &a->tx };
		int64_t end = vg_now_ms() + WAIT_MS;

		while (__atomic_load_n(&a->tx.used->idx, __ATOMIC_ACQUIRE) != a->tx.avail_idx &&
				vg_now_ms() < end) {
			discard(&b->rx);
			usleep(1000);
		}
		for (unsigned i = 0; i < 256 && put(&bt, &p[i]); i++)
			;
		__atomic_store_n(&a->tx.avail->idx, a->tx.avail_idx, __ATOMIC_RELEASE);
		if (write(a->tx.kick, &one, sizeof(one)) != sizeof(one))
			vg_check(false, "kick");
		switch (r % 3) {
		case 0:
			reconnect(a);
			break;
		case 1:
			reconnect(b);
			break;
		default:
			for (unsigned i = 0; i < 20; i++)
				vu_ring_enable(a->dev, 1, true);
			break;
		}
		discard(&b->rx);
	}
}

/*
 * True when the backend signals call eventfd 'fd' within 'ms' (and clears it): a guest
 * that asked for interrupts (no event index, no VRING_AVAIL_F_NO_INTERRUPT) must get one
 * after its descriptors are used, or a driver waiting for them to free its buffers stalls.
 */
static bool
notified(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t v;

	if (poll(&pfd, 1, ms) != 1)
		return false;
	return read(fd, &v, sizeof(v)) == sizeof(v) && v > 0;
}

/*
 * Send 'n' packets of 'p' in ring-sized batches; true when all arrived and A was notified
 * of its used descriptors after every batch.
 */
static bool
send_all(struct vg_nic *a, struct vg_nic *b, const struct pkt *p, unsigned n)
{
	unsigned i = 0;
	uint64_t one = 1, v;

	while (i < n) {
		struct batch bt = { .vq = &a->tx };
		uint32_t want;
		int64_t end;

		while (i < n && put(&bt, &p[i]))
			i++;
		if (bt.n == 0)
			return false;
		want = n_sent;
		while (read(a->tx.call, &v, sizeof(v)) == sizeof(v))
			;
		__atomic_store_n(&a->tx.avail->idx, a->tx.avail_idx, __ATOMIC_RELEASE);
		if (write(a->tx.kick, &one, sizeof(one)) != sizeof(one))
			return false;
		end = vg_now_ms() + WAIT_MS;
		while (vg_now_ms() < end && (n_recv != want ||
				__atomic_load_n(&a->tx.used->idx, __ATOMIC_ACQUIRE) !=
				a->tx.avail_idx)) {
			drain(&b->rx);
			usleep(200);
		}
		if (n_recv != want) {
			printf("batch of %u: %u of them arrived within %d ms\n", bt.n,
				bt.n - (want - n_recv), WAIT_MS);
			return false;
		}
		if (!notified(a->tx.call, WAIT_MS)) {
			printf("batch of %u: used, but A's transmit ring was not notified\n", bt.n);
			return false;
		}
	}
	return true;
}

/* The last line, and everything released (the ASan build checks for leaks). */
static int
finish(struct vg_nic *a, struct vg_nic *b)
{
	printf("%s vu-fast: %u frames sent, %u received\n", vg_failures ? "FAIL" : "PASS",
		n_sent, n_recv);
	fclose(out);
	vg_nic_fini(a);
	vg_nic_fini(b);
	return vg_failures ? 1 : 0;
}

static void
count_rewritten(void *aux, const uint8_t *f, uint32_t len)
{
	if (len >= 22 && memcmp(f + 6, REWRITE_SRC, 6) == 0 && memcmp(f + 14, "vireo-vu", 8) == 0)
		(*(unsigned *)aux)++;
}

/* vg_flow() for "frames-rewrite": A's probes reach B with their source rewritten. */
static bool
flow_rewritten(struct vg_nic *a, struct vg_nic *b, int timeout_ms)
{
	int64_t end = vg_now_ms() + timeout_ms;
	unsigned got = 0;

	while (got == 0 && vg_now_ms() < end) {
		vg_send(a, a->seq++);
		vg_sleep_ms(20);
		vg_recv_raw(b, count_rewritten, &got);
	}
	return got > 0;
}

int
main(int argc, char **argv)
{
	static const uint32_t sizes[] = {
		60, 61, 64, 100, 127, 128, 129, 500, 1024, 1500, 1514, 2000, 2024, 2035,
		2036, 2037, 3000, 4096, 6000, 8000, 9000,
	};
	static struct pkt p[512];
	struct vg_nic a, b, *to[1] = { &b };
	char pa[256], pb[256];
	unsigned n, bad = 0;

	vg_test_name = "vu-fast";
	if (argc != 3 && !(argc == 4 && (strcmp(argv[3], "refused") == 0 ||
			strncmp(argv[3], "frames", 6) == 0))) {
		fprintf(stderr, "usage: %s RUNDIR OUT "
			"[refused|frames|frames-rxind|frames-nomrg|frames-rewrite]\n", argv[0]);
		return 2;
	}
	if (argc == 4 && strcmp(argv[3], "frames-rxind") == 0)
		rx_mode = RX_INDIRECT;
	else if (argc == 4 && strcmp(argv[3], "frames-nomrg") == 0)
		rx_mode = RX_NOMRG;
	else if (argc == 4 && strcmp(argv[3], "frames-rewrite") == 0)
		rewrite = true;
	else if (argc == 4 && strcmp(argv[3], "frames") != 0 && strcmp(argv[3], "refused") != 0)
		return 2;
	out = fopen(argv[2], "w");
	snprintf(pa, sizeof(pa), "%s/vhu0", argv[1]);
	snprintf(pb, sizeof(pb), "%s/vhu1", argv[1]);
	struct vu_opts oa = { .path = pa }, ob = { .path = pb };

	if (out == NULL || vg_nic_init_mem(&a, "A", 0xa, &oa, VG_MEM_SPLIT) < 0 ||
			vg_nic_init(&b, "B", 0xb, &ob) < 0) {
		printf("FAIL vu-fast: set-up\n");
		return 1;
	}
	vg_check(vg_nic_connect(&a, CONNECT_MS) == 0 && vg_nic_connect(&b, CONNECT_MS) == 0,
		"A and B connect");
	if (rx_mode == RX_NOMRG)
		b.features_off = 1ull << VIRTIO_NET_F_MRG_RXBUF;
	vg_check(vg_nic_start(&a) == 0 && vg_nic_start(&b) == 0, "A and B start");
	/* B never sends: its transmit buffers hold its receive tables. */
	rx_tables = b.tx.bufs;
	for (uint16_t i = 0; i < b.rx.size; i++)
		post_rx(&b.rx, i);	/* nothing was sent yet: the backend has not read them */
	if (argc == 4 && strcmp(argv[3], "refused") == 0) {
		enum vr_outcome o = vr_mem_own(&a, a.mem.size + (2u << 20), 0);

		vg_check(o == VR_NACK, "a memory table past the end of A's file: %s",
			vr_outcome_name(o));
	}
	if (rewrite)
		vg_check(flow_rewritten(&a, &b, WAIT_MS), "A reaches B, its source rewritten");
	else
		vg_check(vg_flow(&a, to, 1, WAIT_MS, &bad), "A reaches B");
	vg_sleep_ms(500);
	{
		unsigned g = 0;

		vg_recv(&b, a.id, &g, &bad);
		vg_recv(&b, a.id, &g, &bad);
	}
	if (vg_failures)
		return 1;
	if (argc == 4 && strcmp(argv[3], "refused") == 0) {
		for (n = 0; n < 256; n++)
			p[n] = (struct pkt){ 60 + n, LAY_FLAT };
		vg_check(send_all(&a, &b, p, n) && send_all(&a, &b, p, n) && n_bad == 0,
			"after it, 512 frames arrive intact");
		return finish(&a, &b);
	}

	/* every size in every layout */
	n = 0;
	for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		for (unsigned l = 0; l < N_LAYOUTS; l++)
			if (rx_mode != RX_NOMRG || sizes[s] + VG_HDR_LEN <= VG_BUF_LEN)
				p[n++] = (struct pkt){ sizes[s], (enum layout)l };
	vg_check(send_all(&a, &b, p, n), "%u frames of 60..%u bytes in %u layouts", n, N_LAYOUTS,
		rx_mode == RX_NOMRG ? VG_BUF_LEN - VG_HDR_LEN : MAX_FRAME);
	/* full rings: A's 256 descriptors, B's 256 buffers */
	for (n = 0; n < 256; n++)
		p[n] = (struct pkt){ 60 + n % 4, LAY_FLAT };
	vg_check(send_all(&a, &b, p, n), "256 frames filling both rings");
	for (n = 0; n < 128; n++)
		p[n] = (struct pkt){ 1500, LAY_HDR_ALONE };
	vg_check(send_all(&a, &b, p, n), "128 two-descriptor chains filling A's ring");
	for (n = 0; n < 256; n++)
		p[n] = (struct pkt){ 64 + n, LAY_INDIRECT };
	vg_check(send_all(&a, &b, p, n), "256 indirect frames");
	for (n = 0; n < 102 && rx_mode != RX_NOMRG; n++)
		p[n] = (struct pkt){ 9000 - n, n % 2 ? LAY_FLAT : LAY_INDIRECT_FLAT };
	if (n > 0)
		vg_check(send_all(&a, &b, p, n), "102 jumbo frames into mergeable buffers");
	/* more pieces in a burst than the borrowing receive takes at once (vhost_fast.c) */
	for (n = 0; n < 96 && rx_mode != RX_NOMRG; n++)
		p[n] = (struct pkt){ 4000 + (n * 523) % 5001, LAY_PIECES };
	if (n > 0)
		vg_check(send_all(&a, &b, p, n), "96 frames of 4000..9000 bytes in %u-byte pieces",
			PIECE);
	vg_check(n_bad == 0, "%u frames received, %u wrong", n_recv, n_bad);
	if (rx_mode == RX_NOMRG)
		printf("num_buffers set to 1 in %u of %u frames\n", n_nb1, n_recv);
	if (argc == 4)
		return finish(&a, &b);
	fclose(out);
	out = fopen("/dev/null", "w");

	churn(&a, &b, 12);
	{
		int64_t end = vg_now_ms() + WAIT_MS;

		while (__atomic_load_n(&a.tx.used->idx, __ATOMIC_ACQUIRE) != a.tx.avail_idx &&
				vg_now_ms() < end)
			usleep(1000);
		vg_check(__atomic_load_n(&a.tx.used->idx, __ATOMIC_ACQUIRE) == a.tx.avail_idx,
			"after the churn, vireo-dp gave back all of A's descriptors");
	}
	discard(&b.rx);
	n_recv = n_sent;
	n_bad = 0;
	for (n = 0; n < 100; n++)
		p[n] = (struct pkt){ sizes[n % 21], (enum layout)(n % N_LAYOUTS) };
	vg_check(send_all(&a, &b, p, n) && n_bad == 0,
		"after 12 rounds of reconnects and ring enables under traffic, 100 frames arrive intact");
	return finish(&a, &b);
}
