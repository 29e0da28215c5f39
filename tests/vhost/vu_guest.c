/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The test guest: memfd guest memory, split virtqueues, frames, process helpers.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vu_guest.h"

#define MEM_SIZE (8u << 20)
#define STATUS_DRIVER_OK 0x0f	/* ACKNOWLEDGE | DRIVER | DRIVER_OK | FEATURES_OK */

int vg_failures;
const char *vg_test_name = "vu";

void
vg_check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %s: ", ok ? "PASS" : "FAIL", vg_test_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		vg_failures++;
}

int64_t
vg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
vg_sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static int
mem_init(struct vg_mem *m, uint64_t size, unsigned int flags)
{
	memset(m, 0, sizeof(*m));
	m->fd = memfd_create("vu-guest", MFD_CLOEXEC | (flags & VG_MEM_HUGE ? MFD_HUGETLB : 0));
	if (m->fd < 0)
		return -errno;
	if (ftruncate(m->fd, (off_t)size) < 0)
		return -errno;
	m->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	if (m->base == MAP_FAILED)
		return -errno;
	m->size = size;
	if (flags & VG_MEM_SPLIT) {
		m->split = size / 2;
		m->next_high = m->split;
	}
	return 0;
}

static void *
mem_alloc(struct vg_mem *m, uint64_t len, uint64_t align, bool high)
{
	uint64_t *next = high && m->split ? &m->next_high : &m->next;
	uint64_t limit = m->split && !high ? m->split : m->size;
	uint64_t at = (*next + align - 1) & ~(align - 1);

	if (at + len > limit)
		abort();
	*next = at + len;
	return m->base + at;
}

static uint64_t
gpa(const struct vg_vq *vq, const void *p)
{
	const struct vg_mem *m = vq->mem;
	uint64_t off = (uint64_t)((const uint8_t *)p - m->base);

	if (m->split && off >= m->split)
		return VG_HIGH_GPA + (off - m->split);
	return off;
}

static int
vq_init(struct vg_vq *vq, struct vg_mem *mem)
{
	uint16_t n = VG_QUEUE_SIZE;

	vq->mem = mem;
	vq->size = n;
	vq->desc = mem_alloc(mem, 16u * n, 4096, false);
	vq->avail = mem_alloc(mem, 6u + 2u * n, 2, false);
	vq->used = mem_alloc(mem, 6u + 8u * n, 4096, false);
	vq->bufs = mem_alloc(mem, (uint64_t)VG_BUF_LEN * n, 4096, true);
	vq->avail_idx = 0;
	vq->last_used = 0;
	vq->kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	vq->call = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return vq->kick < 0 || vq->call < 0 ? -errno : 0;
}

static void
vq_ring(const struct vg_vq *vq, struct vu_ring *r)
{
	memset(r, 0, sizeof(*r));
	r->size = vq->size;
	r->desc = vq->desc;
	r->avail = vq->avail;
	r->used = vq->used;
	r->base = 0;
	r->kick_fd = vq->kick;
	r->call_fd = vq->call;
	r->enabled = true;
}

/* Make descriptor 'id' available (one buffer, 'len' bytes, device-writable when 'w'). */
static void
vq_put(struct vg_vq *vq, uint16_t id, uint32_t len, bool w)
{
	struct vring_desc *d = &vq->desc[id];

	d->addr = gpa(vq, vq->bufs + (size_t)id * VG_BUF_LEN);
	d->len = len;
	d->flags = w ? VRING_DESC_F_WRITE : 0;
	d->next = 0;
	vq->avail->ring[vq->avail_idx % vq->size] = id;
	vq->avail_idx++;
}

static void
vq_post(struct vg_vq *vq, uint16_t id, uint32_t len, bool w)
{
	vq_put(vq, id, len, w);
	__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
}

/* The next used element, or false. */
static bool
vq_used(struct vg_vq *vq, uint16_t *id, uint32_t *len)
{
	uint16_t idx = vg_used_idx(vq);
	struct vring_used_elem *e;

	if (idx == vq->last_used)
		return false;
	e = &vq->used->ring[vq->last_used % vq->size];
	*id = (uint16_t)e->id;
	*len = e->len;
	vq->last_used++;
	return true;
}

int
vg_nic_init(struct vg_nic *nic, const char *name, uint8_t id, const struct vu_opts *opts)
{
	return vg_nic_init_mem(nic, name, id, opts, 0);
}

int
vg_nic_init_mem(struct vg_nic *nic, const char *name, uint8_t id, const struct vu_opts *opts,
	unsigned int flags)
{
	char *err = NULL;
	int rc;

	memset(nic, 0, sizeof(*nic));
	nic->name = name;
	nic->id = id;
	nic->nqp = opts->queue_pairs > 1 ? 2 : 1;
	rc = vu_dev_create(&nic->dev, opts, &err);
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", name, err ? err : strerror(-rc));
		free(err);
		return rc;
	}
	rc = mem_init(&nic->mem, MEM_SIZE, flags);
	if (rc < 0)
		fprintf(stderr, "%s: guest memory: %s\n", name, strerror(-rc));
	if (rc == 0)
		rc = vq_init(&nic->rx, &nic->mem);
	if (rc == 0)
		rc = vq_init(&nic->tx, &nic->mem);
	if (rc == 0 && nic->nqp > 1)
		rc = vq_init(&nic->rx1, &nic->mem);
	if (rc == 0 && nic->nqp > 1)
		rc = vq_init(&nic->tx1, &nic->mem);
	return rc;
}

void
vg_nic_fini(struct vg_nic *nic)
{
	vu_dev_destroy(nic->dev);
	nic->dev = NULL;
	close(nic->rx.kick);
	close(nic->rx.call);
	close(nic->tx.kick);
	close(nic->tx.call);
	if (nic->nqp > 1) {
		close(nic->rx1.kick);
		close(nic->rx1.call);
		close(nic->tx1.kick);
		close(nic->tx1.call);
	}
	munmap(nic->mem.base, nic->mem.size);
	close(nic->mem.fd);
}

int
vg_nic_connect(struct vg_nic *nic, int timeout_ms)
{
	int64_t end = vg_now_ms() + timeout_ms;
	int rc;

	if (vu_dev_listen_fd(nic->dev) >= 0)
		return vu_dev_connect(nic->dev, timeout_ms);
	for (;;) {
		rc = vu_dev_connect(nic->dev, 0);
		if (rc == 0 || vg_now_ms() >= end)
			return rc;
		if (rc != -ECONNREFUSED && rc != -ENOENT && rc != -EAGAIN)
			return rc;
		vg_sleep_ms(100);
	}
}

int
vg_nic_start(struct vg_nic *nic)
{
	uint64_t want = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_NET_F_MRG_RXBUF) |
		(1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_STATUS);
	struct vg_mem *m = &nic->mem;
	struct vu_mem_region r[2] = {
		{
			.gpa = 0, .size = m->split ? m->split : m->size, .hva = m->base,
			.fd = m->fd, .fd_offset = 0,
		}, {
			.gpa = VG_HIGH_GPA, .size = m->size - m->split, .hva = m->base + m->split,
			.fd = m->fd, .fd_offset = m->split,
		},
	};
	struct vu_ring ring;
	int rc;

	if (nic->nqp > 1)	/* a driver needs the control queue to use more pairs */
		want |= (1ull << VIRTIO_NET_F_MQ) | (1ull << VIRTIO_NET_F_CTRL_VQ);
	want |= nic->features_on;
	want &= ~nic->features_off;
	rc = vu_dev_set_features(nic->dev, vu_net_offer(nic->dev, want));
	if (rc == 0)
		rc = vu_dev_set_mem_table(nic->dev, r, m->split ? 2 : 1);
	if (rc < 0)
		return rc;
	for (unsigned int q = 0; q < 2 * nic->nqp; q++) {
		struct vg_vq *vq = q == 0 ? &nic->rx : q == 1 ? &nic->tx : q == 2 ? &nic->rx1 :
			&nic->tx1;

		if (q % 2 == 0)
			for (uint16_t i = 0; i < vq->size; i++)
				vq_post(vq, i, VG_BUF_LEN, true);
		vq_ring(vq, &ring);
		rc = vu_ring_start(nic->dev, q, &ring);
		if (rc < 0)
			return rc;
	}
	return vu_dev_set_status(nic->dev, STATUS_DRIVER_OK);
}

int
vg_nic_restore(struct vg_nic *nic)
{
	uint16_t bases[4];

	for (unsigned int q = 0; q < 4; q++)
		bases[q] = vu_ring_used_idx(nic->dev, q);
	return vu_dev_restore(nic->dev, bases, 2 * nic->nqp);
}

void
vg_frame(uint8_t *buf, uint8_t id, uint32_t seq)
{
	static const uint8_t head[14] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x88, 0xb5,
	};

	memcpy(buf, head, sizeof(head));
	buf[11] = id;
	memcpy(buf + 14, "vireo-vu", 8);
	memcpy(buf + 22, &seq, sizeof(seq));
	for (unsigned int i = 26; i < VG_FRAME_LEN; i++)
		buf[i] = (uint8_t)(i * 7 + seq + id);
}

int
vg_send(struct vg_nic *nic, uint32_t seq)
{
	return vg_send_vq(nic, &nic->tx, seq);
}

/*
 * Frames 'seq' to 'seq' + 'n' - 1 from 'nic' onto transmit queue 'vq', made available at
 * once (one avail index store) and kicked once; -ENOSPC when they do not all fit.
 */
static int
send_frames(struct vg_nic *nic, struct vg_vq *vq, uint32_t seq, unsigned int n)
{
	uint16_t used = vg_used_idx(vq);
	uint64_t one = 1;

	if ((uint16_t)(vq->avail_idx - used) + n > vq->size)
		return -ENOSPC;
	vq->last_used = used;
	for (unsigned int i = 0; i < n; i++) {
		uint16_t id = vq->avail_idx % vq->size;
		uint8_t *buf = vq->bufs + (size_t)id * VG_BUF_LEN;

		memset(buf, 0, VG_HDR_LEN);
		vg_frame(buf + VG_HDR_LEN, nic->id, seq + i);
		vq_put(vq, id, VG_HDR_LEN + VG_FRAME_LEN, false);
	}
	__atomic_store_n(&vq->avail->idx, vq->avail_idx, __ATOMIC_RELEASE);
	if (write(vq->kick, &one, sizeof(one)) != sizeof(one))
		return -errno;
	return 0;
}

int
vg_send_vq(struct vg_nic *nic, struct vg_vq *vq, uint32_t seq)
{
	return send_frames(nic, vq, seq, 1);
}

int
vg_send_burst(struct vg_nic *nic, unsigned int n)
{
	int rc = send_frames(nic, &nic->tx, nic->seq, n);

	if (rc != -ENOSPC)
		nic->seq += n;
	return rc;
}

/* What drain() found in a used receive buffer. */
enum verdict {
	V_OTHER,	/* not one of vg_frame()'s frames (too short, no marker, bad id) */
	V_BAD,		/* one of them, but not byte-identical (or its length or header wrong) */
	V_GOOD,
};

/*
 * Every used buffer of 'nic''s receive ring, judged against vg_frame() of its sender and
 * sequence number, to 'fn'; the buffers are posted again.
 */
static void
drain(struct vg_nic *nic, void (*fn)(void *aux, enum verdict v, uint8_t from, uint32_t seq),
	void *aux)
{
	struct vg_vq *vq = &nic->rx;
	uint8_t want[VG_FRAME_LEN];
	uint16_t id;
	uint32_t len;

	while (vq_used(vq, &id, &len)) {
		const uint8_t *buf = vq->bufs + (size_t)(id % vq->size) * VG_BUF_LEN;
		const uint8_t *f = buf + VG_HDR_LEN;
		uint16_t nbufs;
		uint32_t seq;

		if (id >= vq->size || len < VG_HDR_LEN + 26 || memcmp(f + 14, "vireo-vu", 8) != 0) {
			fn(aux, V_OTHER, 0, 0);
			if (id < vq->size)
				vq_post(vq, id, VG_BUF_LEN, true);
			continue;
		}
		memcpy(&nbufs, buf + 10, sizeof(nbufs));
		memcpy(&seq, f + 22, sizeof(seq));
		/* num_buffers: set only with mergeable buffers (as QEMU, Linux, rte_vhost) */
		if (nic->features_off & (1ull << VIRTIO_NET_F_MRG_RXBUF))
			nbufs = 1;
		vg_frame(want, f[11], seq);
		fn(aux, len == VG_HDR_LEN + VG_FRAME_LEN && nbufs == 1 &&
			memcmp(f, want, VG_FRAME_LEN) == 0 ? V_GOOD : V_BAD, f[11], seq);
		vq_post(vq, id, VG_BUF_LEN, true);
	}
}

struct from_one {
	uint8_t from;
	unsigned int *good, *bad;
};

static void
count_from_one(void *aux, enum verdict v, uint8_t from, uint32_t seq)
{
	struct from_one *c = aux;

	(void)seq;
	if (v == V_OTHER || from != c->from)
		return;
	if (v == V_GOOD)
		(*c->good)++;
	else
		(*c->bad)++;
}

void
vg_recv(struct vg_nic *nic, uint8_t from, unsigned int *good, unsigned int *bad)
{
	struct from_one c = { from, good, bad };

	drain(nic, count_from_one, &c);
}

struct from_any {
	void (*fn)(void *aux, uint8_t from, uint32_t seq);
	void *aux;
	unsigned int *bad;
};

static void
count_from_any(void *aux, enum verdict v, uint8_t from, uint32_t seq)
{
	struct from_any *c = aux;

	if (v == V_GOOD)
		c->fn(c->aux, from, seq);
	else
		(*c->bad)++;
}

void
vg_recv_each(struct vg_nic *nic, void (*fn)(void *aux, uint8_t from, uint32_t seq), void *aux,
	unsigned int *bad)
{
	struct from_any c = { fn, aux, bad };

	drain(nic, count_from_any, &c);
}

void
vg_recv_raw(struct vg_nic *nic, void (*fn)(void *aux, const uint8_t *frame, uint32_t len),
	void *aux)
{
	struct vg_vq *vq = &nic->rx;
	uint16_t id;
	uint32_t len;

	while (vq_used(vq, &id, &len)) {
		if (id >= vq->size)
			continue;
		if (len > VG_HDR_LEN && len <= VG_BUF_LEN)
			fn(aux, vq->bufs + (size_t)id * VG_BUF_LEN + VG_HDR_LEN, len - VG_HDR_LEN);
		vq_post(vq, id, VG_BUF_LEN, true);
	}
}

bool
vg_flow(struct vg_nic *from, struct vg_nic **to, unsigned int n, int timeout_ms,
	unsigned int *bad)
{
	int64_t end = vg_now_ms() + timeout_ms;
	unsigned int good[8] = { 0 };

	if (n > 8)
		abort();
	while (vg_now_ms() < end) {
		bool all = true;

		vg_send(from, from->seq++);
		vg_sleep_ms(20);
		for (unsigned int i = 0; i < n; i++) {
			vg_recv(to[i], from->id, &good[i], bad);
			all = all && good[i] > 0;
		}
		if (all)
			return true;
	}
	return false;
}

bool
vg_irq(int fd, int ms)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };

	if (poll(&pf, 1, ms) != 1)
		return false;
	vg_eventfd_read(fd);
	return true;
}

uint16_t
vg_used_idx(const struct vg_vq *vq)
{
	return __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
}

uint64_t
vg_eventfd_read(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

pid_t
vg_spawn(char *const argv[], const char *log, int *in)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* never outlive a crashed test */
		dup2(p[0], 0);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[0]);
	if (pid < 0) {
		close(p[1]);
		return -1;
	}
	*in = p[1];
	return pid;
}

void
vg_kill(pid_t pid, bool gentle)
{
	if (pid <= 0)
		return;
	kill(pid, gentle ? SIGTERM : SIGKILL);
	for (int i = 0; i < 100; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		vg_sleep_ms(50);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}
