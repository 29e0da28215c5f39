/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device side of a split virtqueue served by the VMM itself, with every guest-written
 * value checked (see virtq.h).  Layout (virtio 1.x, little-endian):
 *   descriptor table  16 bytes each: addr u64, len u32, flags u16, next u16
 *   available ring    flags u16, idx u16, ring[size] u16, used_event u16
 *   used ring         flags u16, idx u16, ring[size] {id u32, len u32}, avail_event u16
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "memory.h"
#include "virtq.h"

#define DESC_F_NEXT 1
#define DESC_F_WRITE 2
#define DESC_F_INDIRECT 4
#define AVAIL_F_NO_INTERRUPT 1
#define F_INDIRECT_DESC 28
#define F_EVENT_IDX 29
#define MAX_SIZE 32768

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static int __attribute__((format(printf, 2, 3)))
fail(struct virtq *vq, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vq->error, sizeof(vq->error), fmt, ap);
	va_end(ap);
	vq->broken = true;
	return -EINVAL;
}

static uint16_t
ld16(const volatile uint8_t *p)
{
	return le16toh(*(const volatile uint16_t *)p);
}

static void
st16(volatile uint8_t *p, uint16_t v)
{
	*(volatile uint16_t *)p = htole16(v);
}

static void
st32(volatile uint8_t *p, uint32_t v)
{
	*(volatile uint32_t *)p = htole32(v);
}

/* Read descriptor 'i' of 'table' once: the guest may change it while we look. */
static struct desc
read_desc(const volatile uint8_t *table, uint16_t i)
{
	uint8_t raw[16];
	struct desc d;

	memcpy(raw, (const void *)(table + 16u * i), sizeof(raw));
	__asm__ __volatile__("" ::: "memory");
	memcpy(&d.addr, raw, 8);
	memcpy(&d.len, raw + 8, 4);
	memcpy(&d.flags, raw + 12, 2);
	memcpy(&d.next, raw + 14, 2);
	d.addr = le64toh(d.addr);
	d.len = le32toh(d.len);
	d.flags = le16toh(d.flags);
	d.next = le16toh(d.next);
	return d;
}

int
virtq_init(struct virtq *vq, const struct vmm_memory *mem, uint16_t size, uint64_t desc,
		uint64_t avail, uint64_t used, uint64_t features)
{
	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
	vq->size = size;
	vq->event_idx = (features >> F_EVENT_IDX) & 1;
	vq->indirect = (features >> F_INDIRECT_DESC) & 1;
	if (size == 0 || size > MAX_SIZE || (size & (size - 1)))
		return fail(vq, "queue size %u is not a power of two up to %u", size, MAX_SIZE);
	if (desc % 16 || avail % 2 || used % 4)
		return fail(vq, "misaligned ring (desc 0x%llx avail 0x%llx used 0x%llx)",
			(unsigned long long)desc, (unsigned long long)avail,
			(unsigned long long)used);
	vq->desc = vmm_memory_ptr(mem, desc, 16ULL * size);
	vq->avail = vmm_memory_ptr(mem, avail, 6 + 2ULL * size);
	vq->used = vmm_memory_ptr(mem, used, 6 + 8ULL * size);
	if (vq->desc == NULL || vq->avail == NULL || vq->used == NULL)
		return fail(vq, "ring outside guest RAM (desc 0x%llx avail 0x%llx used 0x%llx)",
			(unsigned long long)desc, (unsigned long long)avail,
			(unsigned long long)used);
	vq->ready = true;
	return 0;
}

static int
add_seg(struct virtq *vq, struct virtq_req *req, const struct desc *d, uint16_t i)
{
	uint8_t *p = vmm_memory_ptr(vq->mem, d->addr, d->len);
	unsigned int n = req->nr_out + req->nr_in;

	if (p == NULL)
		return fail(vq, "descriptor %u: buffer 0x%llx+%u outside guest RAM", i,
			(unsigned long long)d->addr, d->len);
	if (n == VIRTQ_MAX_SEGS)
		return fail(vq, "chain from head %u has more than %d buffers", req->head,
			VIRTQ_MAX_SEGS);
	req->seg[n] = (struct virtq_seg){ .hva = p, .len = d->len };
	if (d->flags & DESC_F_WRITE) {
		req->nr_in++;
		req->in_len += d->len;
	} else {
		if (req->nr_in > 0)
			return fail(vq, "descriptor %u: readable buffer after a writable one", i);
		req->nr_out++;
		req->out_len += d->len;
	}
	return 0;
}

/* Walk the chain from 'req->head' (direct, then at most one indirect table). */
static int
walk(struct virtq *vq, struct virtq_req *req)
{
	const volatile uint8_t *table = vq->desc;
	uint32_t n = vq->size, count = 0;
	uint16_t i = req->head;
	bool in_table = false;
	struct desc d;
	int rc;

	for (;;) {
		if (i >= n)
			return fail(vq, "chain from head %u: descriptor index %u out of range (%u)",
				req->head, i, n);
		if (++count > n)
			return fail(vq, "chain from head %u is longer than its table (%u): a loop",
				req->head, n);
		d = read_desc(table, i);
		if (d.flags & DESC_F_INDIRECT) {
			if (!vq->indirect)
				return fail(vq, "descriptor %u: indirect, not negotiated", i);
			if (in_table)
				return fail(vq, "descriptor %u: nested indirect table", i);
			if (d.flags & DESC_F_NEXT)
				return fail(vq, "descriptor %u: indirect with NEXT", i);
			if (d.len == 0 || d.len % 16 || d.len / 16 > MAX_SIZE)
				return fail(vq, "descriptor %u: indirect table of %u bytes", i, d.len);
			table = vmm_memory_ptr(vq->mem, d.addr, d.len);
			if (table == NULL)
				return fail(vq, "descriptor %u: indirect table 0x%llx+%u outside "
					"guest RAM", i, (unsigned long long)d.addr, d.len);
			n = d.len / 16;
			count = 0;
			i = 0;
			in_table = true;
			continue;
		}
		rc = add_seg(vq, req, &d, i);
		if (rc < 0)
			return rc;
		if (!(d.flags & DESC_F_NEXT))
			return 0;
		i = d.next;
	}
}

int
virtq_pop(struct virtq *vq, struct virtq_req *req)
{
	uint16_t avail_idx, pending;
	int rc;

	if (vq->broken)
		return -EINVAL;
	if (!vq->ready)
		return 0;
	avail_idx = ld16(vq->avail + 2);
	pending = (uint16_t)(avail_idx - vq->last_avail);
	if (pending == 0)
		return 0;
	if (pending > vq->size)
		return fail(vq, "available index jumped from %u to %u (queue size %u)",
			vq->last_avail, avail_idx, vq->size);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	memset(req, 0, offsetof(struct virtq_req, seg));
	req->head = ld16(vq->avail + 4 + 2u * (vq->last_avail & (vq->size - 1)));
	if (req->head >= vq->size)
		return fail(vq, "available entry %u: head %u out of range (%u)", vq->last_avail,
			req->head, vq->size);
	rc = walk(vq, req);
	if (rc < 0)
		return rc;
	vq->last_avail++;
	return 1;
}

void
virtq_push(struct virtq *vq, uint16_t head, uint32_t written)
{
	volatile uint8_t *e = vq->used + 4 + 8u * (vq->used_idx & (vq->size - 1));

	st32(e, head);
	st32(e + 4, written);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	vq->used_idx++;
	st16(vq->used + 2, vq->used_idx);
}

bool
virtq_rearm(struct virtq *vq)
{
	if (!vq->ready || vq->broken)
		return false;
	if (vq->event_idx)
		st16(vq->used + 4 + 8u * vq->size, vq->last_avail);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return ld16(vq->avail + 2) != vq->last_avail;
}

bool
virtq_need_notify(struct virtq *vq, uint16_t old)
{
	uint16_t event;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(ld16(vq->avail) & AVAIL_F_NO_INTERRUPT);
	event = ld16(vq->avail + 4 + 2u * vq->size);
	return (uint16_t)(vq->used_idx - event - 1) < (uint16_t)(vq->used_idx - old);
}

uint64_t
virtq_req_read(const struct virtq_req *req, uint64_t off, void *buf, uint64_t len)
{
	uint64_t done = 0;

	for (unsigned int s = 0; s < req->nr_out && done < len; s++) {
		uint64_t l = req->seg[s].len, n;

		if (off >= l) {
			off -= l;
			continue;
		}
		n = l - off < len - done ? l - off : len - done;
		memcpy((uint8_t *)buf + done, req->seg[s].hva + off, n);
		done += n;
		off = 0;
	}
	return done;
}

uint64_t
virtq_req_write(const struct virtq_req *req, const void *buf, uint64_t len)
{
	uint64_t done = 0;

	for (unsigned int s = req->nr_out; s < req->nr_out + req->nr_in && done < len; s++) {
		uint64_t n = req->seg[s].len < len - done ? req->seg[s].len : len - done;

		memcpy(req->seg[s].hva, (const uint8_t *)buf + done, n);
		done += n;
	}
	return done;
}
