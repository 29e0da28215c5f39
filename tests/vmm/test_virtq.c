/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VMM's own virtqueue walker (vmm/virtq.c) against good and malicious rings in a
 * malloc'd "guest RAM": buffers outside RAM, a length that wraps past 2^64, loops, chains
 * longer than the ring, index jumps, bad heads, indirect tables (good, not negotiated,
 * nested, with NEXT, bad length, outside RAM, looping), readable after writable, too many
 * buffers, the used ring and notification logic for good requests, and 20000 random rings.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "memory.h"
#include "virtq.h"

#define RAM_GPA 0x100000ULL
#define RAM_SIZE 0x10000ULL
#define DESC (RAM_GPA + 0x0000)
#define AVAIL (RAM_GPA + 0x1000)
#define USED (RAM_GPA + 0x2000)
#define TABLE (RAM_GPA + 0x3000)	/* an indirect table */
#define BUF (RAM_GPA + 0x4000)
#define F_NEXT 1
#define F_WRITE 2
#define F_INDIRECT 4
#define FEAT_INDIRECT (1ULL << 28)
#define FEAT_EVENT_IDX (1ULL << 29)

static uint8_t *ram;
static struct vmm_memory mem;

static uint8_t *
at(uint64_t gpa)
{
	return ram + (gpa - RAM_GPA);
}

static void
put16(uint64_t gpa, uint16_t v)
{
	memcpy(at(gpa), &v, 2);
}

static uint16_t
get16(uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, at(gpa), 2);
	return v;
}

static uint32_t
get32(uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, at(gpa), 4);
	return v;
}

static void
set_desc(uint64_t table, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		uint16_t next)
{
	uint8_t *d = at(table + 16u * i);

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

/* Fresh RAM and a queue of 'size' entries; entry 0 of the available ring is 'head'. */
static void
setup(struct virtq *vq, uint16_t size, uint64_t features, uint16_t head, uint16_t nr_avail)
{
	memset(ram, 0, RAM_SIZE);
	CHECK(virtq_init(vq, &mem, size, DESC, AVAIL, USED, features) == 0);
	put16(AVAIL + 4, head);
	put16(AVAIL + 2, nr_avail);
}

/* Pop once and expect a broken queue whose message contains 'what'. */
static void
expect_broken(struct virtq *vq, const char *what)
{
	struct virtq_req req;

	CHECK(virtq_pop(vq, &req) == -EINVAL);
	CHECK(vq->broken);
	CHECK(strstr(vq->error, what) != NULL);
	if (strstr(vq->error, what) == NULL)
		fprintf(stderr, "  error was: '%s', expected '%s'\n", vq->error, what);
	CHECK(virtq_pop(vq, &req) == -EINVAL);	/* stays broken */
}

static void
test_init(void)
{
	struct virtq vq;

	memset(ram, 0, RAM_SIZE);
	CHECK(virtq_init(&vq, &mem, 0, DESC, AVAIL, USED, 0) == -EINVAL);
	CHECK(virtq_init(&vq, &mem, 3, DESC, AVAIL, USED, 0) == -EINVAL);
	CHECK(virtq_init(&vq, &mem, 8, DESC + 8, AVAIL, USED, 0) == -EINVAL);
	CHECK(virtq_init(&vq, &mem, 8, DESC, AVAIL + 1, USED, 0) == -EINVAL);
	CHECK(virtq_init(&vq, &mem, 8, 0x1000, AVAIL, USED, 0) == -EINVAL);
	CHECK(strstr(vq.error, "outside guest RAM") != NULL);
	/* the used ring would end past the end of RAM */
	CHECK(virtq_init(&vq, &mem, 256, DESC, AVAIL, RAM_GPA + RAM_SIZE - 8, 0) == -EINVAL);
	CHECK(virtq_init(&vq, &mem, 8, DESC, AVAIL, 0xfffffffffffffff0ULL, 0) == -EINVAL);
	CHECK(virtq_init(&vq, &mem, 8, DESC, AVAIL, USED, 0) == 0);
}

static void
test_good(void)
{
	struct virtq vq;
	struct virtq_req req;
	uint8_t hdr[2] = { 4, 0 }, got[8], ack = 0;

	/* ctrl-style request: header (2 bytes), data (2 bytes), ack (1 writable byte) */
	setup(&vq, 8, 0, 5, 0);
	CHECK(virtq_pop(&vq, &req) == 0);	/* empty */
	memcpy(at(BUF), hdr, 2);
	put16(BUF + 0x100, 2);
	set_desc(DESC, 5, BUF, 2, F_NEXT, 2);
	set_desc(DESC, 2, BUF + 0x100, 2, F_NEXT, 7);
	set_desc(DESC, 7, BUF + 0x200, 1, F_WRITE, 0);
	put16(AVAIL + 2, 1);
	CHECK(virtq_pop(&vq, &req) == 1);
	CHECK(req.head == 5 && req.nr_out == 2 && req.nr_in == 1);
	CHECK(req.out_len == 4 && req.in_len == 1);
	CHECK(virtq_req_read(&req, 0, got, sizeof(got)) == 4);
	CHECK(got[0] == 4 && got[1] == 0 && got[2] == 2 && got[3] == 0);
	CHECK(virtq_req_read(&req, 3, got, 1) == 1 && got[0] == 0);
	CHECK(virtq_req_read(&req, 9, got, 1) == 0);
	CHECK(virtq_req_write(&req, &ack, 1) == 1);
	CHECK(virtq_pop(&vq, &req) == 0);
	virtq_push(&vq, 5, 1);
	CHECK(get16(USED + 2) == 1 && get32(USED + 4) == 5 && get32(USED + 8) == 1);
	CHECK(virtq_need_notify(&vq, 0));
	put16(AVAIL, 1);			/* VRING_AVAIL_F_NO_INTERRUPT */
	CHECK(!virtq_need_notify(&vq, 0));
	CHECK(!virtq_rearm(&vq));

	/* avail index wraps around 65535 */
	setup(&vq, 8, 0, 0, 0);
	vq.last_avail = 65535;
	vq.used_idx = 65535;
	put16(AVAIL + 4 + 2 * 7, 1);
	set_desc(DESC, 1, BUF, 16, F_WRITE, 0);
	put16(AVAIL + 2, 65535);
	CHECK(virtq_pop(&vq, &req) == 0);
	put16(AVAIL + 2, 0);
	CHECK(virtq_pop(&vq, &req) == 1 && req.head == 1 && req.nr_in == 1);
	virtq_push(&vq, 1, 16);
	CHECK(get16(USED + 2) == 0 && get32(USED + 4 + 8 * 7) == 1);

	/* EVENT_IDX: avail_event written on rearm, used_event honoured */
	setup(&vq, 8, FEAT_EVENT_IDX, 0, 0);
	set_desc(DESC, 0, BUF, 1, F_WRITE, 0);
	put16(AVAIL + 2, 1);
	CHECK(virtq_pop(&vq, &req) == 1);
	CHECK(!virtq_rearm(&vq));
	CHECK(get16(USED + 4 + 8 * 8) == 1);
	virtq_push(&vq, 0, 0);
	put16(AVAIL + 4 + 2 * 8, 0);		/* used_event 0: wants this one */
	CHECK(virtq_need_notify(&vq, 0));
	put16(AVAIL + 4 + 2 * 8, 5);		/* wants entry 5 only */
	CHECK(!virtq_need_notify(&vq, 0));
	put16(AVAIL + 2, 2);
	CHECK(virtq_rearm(&vq));		/* more arrived: pop again */

	/* a zero-length buffer is valid */
	setup(&vq, 8, 0, 0, 1);
	set_desc(DESC, 0, BUF, 0, 0, 0);
	CHECK(virtq_pop(&vq, &req) == 1 && req.nr_out == 1 && req.out_len == 0);
}

static void
test_bad_buffers(void)
{
	struct virtq vq;

	/* address below RAM */
	setup(&vq, 8, 0, 0, 1);
	set_desc(DESC, 0, 0x1000, 16, 0, 0);
	expect_broken(&vq, "outside guest RAM");

	/* address past RAM */
	setup(&vq, 8, 0, 0, 1);
	set_desc(DESC, 0, RAM_GPA + RAM_SIZE, 1, 0, 0);
	expect_broken(&vq, "outside guest RAM");

	/* straddles the end of RAM */
	setup(&vq, 8, 0, 0, 1);
	set_desc(DESC, 0, RAM_GPA + RAM_SIZE - 8, 16, 0, 0);
	expect_broken(&vq, "outside guest RAM");

	/* addr + len wraps past 2^64 into RAM */
	setup(&vq, 8, 0, 0, 1);
	set_desc(DESC, 0, 0xffffffffffff0000ULL, 0xffffffffu, 0, 0);
	expect_broken(&vq, "outside guest RAM");

	/* huge length from inside RAM */
	setup(&vq, 8, 0, 0, 1);
	set_desc(DESC, 0, BUF, 0xffffffffu, F_WRITE, 0);
	expect_broken(&vq, "outside guest RAM");

	/* a readable buffer after a writable one */
	setup(&vq, 8, 0, 0, 1);
	set_desc(DESC, 0, BUF, 1, F_WRITE | F_NEXT, 1);
	set_desc(DESC, 1, BUF, 1, 0, 0);
	expect_broken(&vq, "readable buffer after a writable one");
}

static void
test_bad_chains(void)
{
	struct virtq vq;
	uint16_t i;

	/* a two-descriptor loop */
	setup(&vq, 8, 0, 0, 1);
	set_desc(DESC, 0, BUF, 1, F_NEXT, 1);
	set_desc(DESC, 1, BUF, 1, F_NEXT, 0);
	expect_broken(&vq, "a loop");

	/* a descriptor pointing at itself */
	setup(&vq, 8, 0, 3, 1);
	set_desc(DESC, 3, BUF, 1, F_NEXT, 3);
	expect_broken(&vq, "a loop");

	/* a chain through the whole ring and back: longer than the ring */
	setup(&vq, 8, 0, 0, 1);
	for (i = 0; i < 8; i++)
		set_desc(DESC, i, BUF, 1, F_NEXT, (uint16_t)((i + 1) % 8));
	expect_broken(&vq, "longer than its table");

	/* next index out of range */
	setup(&vq, 8, 0, 0, 1);
	set_desc(DESC, 0, BUF, 1, F_NEXT, 8);
	expect_broken(&vq, "out of range");

	/* head index out of range */
	setup(&vq, 8, 0, 8, 1);
	expect_broken(&vq, "head 8 out of range");

	/* avail index more than a queue size ahead */
	setup(&vq, 8, 0, 0, 9);
	expect_broken(&vq, "jumped from 0 to 9");
	setup(&vq, 8, 0, 0, 0x8000);
	expect_broken(&vq, "jumped");

	/* a valid chain with more buffers than a request may have */
	memset(ram, 0, RAM_SIZE);
	CHECK(virtq_init(&vq, &mem, 64, DESC, AVAIL + 0x800, USED, 0) == 0);
	for (i = 0; i < 40; i++)
		set_desc(DESC, i, BUF, 1, F_NEXT, (uint16_t)(i + 1));
	put16(AVAIL + 0x800 + 2, 1);
	expect_broken(&vq, "more than 32 buffers");
}

static void
test_indirect(void)
{
	struct virtq vq;
	struct virtq_req req;

	/* good: one indirect descriptor with a table of three */
	setup(&vq, 8, FEAT_INDIRECT, 0, 1);
	set_desc(DESC, 0, TABLE, 48, F_INDIRECT, 0);
	set_desc(TABLE, 0, BUF, 2, F_NEXT, 2);
	set_desc(TABLE, 2, BUF + 2, 6, F_NEXT, 1);
	set_desc(TABLE, 1, BUF + 8, 1, F_WRITE, 0);
	CHECK(virtq_pop(&vq, &req) == 1);
	CHECK(req.head == 0 && req.nr_out == 2 && req.nr_in == 1 && req.out_len == 8);

	/* not negotiated */
	setup(&vq, 8, 0, 0, 1);
	set_desc(DESC, 0, TABLE, 48, F_INDIRECT, 0);
	expect_broken(&vq, "not negotiated");

	/* table outside RAM, and one wrapping past 2^64 */
	setup(&vq, 8, FEAT_INDIRECT, 0, 1);
	set_desc(DESC, 0, 0x2000, 48, F_INDIRECT, 0);
	expect_broken(&vq, "outside guest RAM");
	setup(&vq, 8, FEAT_INDIRECT, 0, 1);
	set_desc(DESC, 0, 0xfffffffffffffff0ULL, 0x20, F_INDIRECT, 0);
	expect_broken(&vq, "outside guest RAM");

	/* length not a multiple of 16, and zero */
	setup(&vq, 8, FEAT_INDIRECT, 0, 1);
	set_desc(DESC, 0, TABLE, 40, F_INDIRECT, 0);
	expect_broken(&vq, "indirect table of 40 bytes");
	setup(&vq, 8, FEAT_INDIRECT, 0, 1);
	set_desc(DESC, 0, TABLE, 0, F_INDIRECT, 0);
	expect_broken(&vq, "indirect table of 0 bytes");

	/* with NEXT */
	setup(&vq, 8, FEAT_INDIRECT, 0, 1);
	set_desc(DESC, 0, TABLE, 48, F_INDIRECT | F_NEXT, 1);
	expect_broken(&vq, "indirect with NEXT");

	/* nested */
	setup(&vq, 8, FEAT_INDIRECT, 0, 1);
	set_desc(DESC, 0, TABLE, 32, F_INDIRECT, 0);
	set_desc(TABLE, 0, TABLE + 0x100, 32, F_INDIRECT, 0);
	expect_broken(&vq, "nested");

	/* a loop inside the table */
	setup(&vq, 8, FEAT_INDIRECT, 0, 1);
	set_desc(DESC, 0, TABLE, 32, F_INDIRECT, 0);
	set_desc(TABLE, 0, BUF, 1, F_NEXT, 1);
	set_desc(TABLE, 1, BUF, 1, F_NEXT, 0);
	expect_broken(&vq, "a loop");

	/* next out of the table */
	setup(&vq, 8, FEAT_INDIRECT, 0, 1);
	set_desc(DESC, 0, TABLE, 32, F_INDIRECT, 0);
	set_desc(TABLE, 0, BUF, 1, F_NEXT, 2);
	expect_broken(&vq, "out of range");

	/* a buffer in the table outside RAM */
	setup(&vq, 8, FEAT_INDIRECT, 0, 1);
	set_desc(DESC, 0, TABLE, 16, F_INDIRECT, 0);
	set_desc(TABLE, 0, 0xfffffffffffff000ULL, 0x2000, 0, 0);
	expect_broken(&vq, "outside guest RAM");
}

/* Random rings, biased towards almost-valid values: never a buffer outside RAM, no crash. */
static void
test_random(void)
{
	struct virtq vq;
	struct virtq_req req;
	unsigned int iter, k, pops, taken = 0, broken = 0;
	bool inside = true;

	srand(12345);
	for (iter = 0; iter < 20000; iter++) {
		uint16_t size = (uint16_t)(1u << (rand() % 6));

		memset(ram, 0, RAM_SIZE);
		CHECK(virtq_init(&vq, &mem, size, DESC, AVAIL, USED,
			(rand() & 1 ? FEAT_INDIRECT : 0) | (rand() & 1 ? FEAT_EVENT_IDX : 0)) == 0);
		for (k = 0; k < 2u * size; k++) {
			uint64_t table = k < size ? DESC : TABLE;
			uint64_t addr = rand() % 4 ? BUF + (uint64_t)(rand() % 0x2000) :
				(uint64_t)rand() << 33 | (uint64_t)rand();

			if (rand() % 8 == 0)
				addr = k < size ? TABLE : RAM_GPA + RAM_SIZE - 16;
			set_desc(table, (uint16_t)(k % size), addr,
				rand() % 4 ? (uint32_t)(rand() % 0x100) : (uint32_t)rand() * 16u,
				(uint16_t)(rand() % 8), (uint16_t)(rand() % (size + 2)));
		}
		for (k = 0; k < size; k++)
			put16(AVAIL + 4 + 2 * k, (uint16_t)(rand() % (size + 1)));
		put16(AVAIL + 2, (uint16_t)(rand() % (2 * size + 2)));
		for (pops = 0; pops < 2u * size + 2 && virtq_pop(&vq, &req) == 1; pops++) {
			for (k = 0; k < req.nr_out + req.nr_in; k++)
				if (req.seg[k].hva < ram ||
				    req.seg[k].hva + req.seg[k].len > ram + RAM_SIZE)
					inside = false;
			virtq_push(&vq, req.head, 0);
		}
		CHECK(pops <= size);
		taken += pops;
		broken += vq.broken;
	}
	CHECK(inside);
	printf("random rings: %u requests taken, %u of 20000 rings found malformed\n", taken,
		broken);
}

int
main(void)
{
	ram = malloc(RAM_SIZE);
	if (ram == NULL)
		return 1;
	mem.nr_regions = 1;
	mem.regions[0] = (struct vmm_mem_region){ .gpa = RAM_GPA, .size = RAM_SIZE, .hva = ram,
		.fd = -1 };
	test_init();
	test_good();
	test_bad_buffers();
	test_bad_chains();
	test_indirect();
	test_random();
	free(ram);
	return check_report("test_virtq");
}
