/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness: vmm/virtq.c (the device side of a split virtqueue, as virtio-net's
 * control queue uses it) on guest RAM the input fills: descriptor table, available ring,
 * indirect tables and buffers are all the guest's.
 *
 * Input: queue size (2 bytes), flags (1: bit 0 EVENT_IDX, bit 1 INDIRECT_DESC), the
 * offsets in RAM of the descriptor table, available and used rings (2 bytes each), then
 * the RAM image (64 KiB at guest-physical 1 MiB; the rest zero).  The harness pops every
 * request it is given, reads its driver part, writes its device part and pushes it, as the
 * control queue does.  Besides ASan and UBSan it checks that every buffer a request hands
 * out lies inside guest RAM and that a request's lengths add up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"
#include "virtq.h"

#define RAM_GPA 0x100000ULL
#define RAM_SIZE 0x10000ULL
#define HDR 9
#define BUDGET 300

static uint8_t *ram;
static struct vmm_memory mem;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ram = malloc(RAM_SIZE);
	if (ram == NULL)
		exit(1);
	mem.nr_regions = 1;
	mem.regions[0] = (struct vmm_mem_region){ .gpa = RAM_GPA, .size = RAM_SIZE, .hva = ram };
	mem.base = ram;
	mem.size = RAM_SIZE;
	return 0;
}

static void
check_req(const struct virtq_req *req)
{
	uint64_t out = 0, in = 0;

	if (req->nr_out + req->nr_in > VIRTQ_MAX_SEGS)
		abort();
	for (unsigned int i = 0; i < req->nr_out + req->nr_in; i++) {
		const struct virtq_seg *s = &req->seg[i];

		if (s->hva < ram || s->len > RAM_SIZE || s->hva + s->len > ram + RAM_SIZE) {
			fprintf(stderr, "fuzz_virtq: segment %u outside guest RAM\n", i);
			abort();
		}
		if (i < req->nr_out)
			out += s->len;
		else
			in += s->len;
	}
	if (out != req->out_len || in != req->in_len)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	static uint8_t scratch[RAM_SIZE];
	struct virtq vq;
	struct virtq_req req;
	uint16_t qsize, d, a, u;
	uint64_t features = 0;
	uint16_t old;
	int n = 0, r;

	if (size < HDR)
		return 0;
	memcpy(&qsize, buf, 2);
	if (buf[2] & 1)
		features |= 1ULL << 29;
	if (buf[2] & 2)
		features |= 1ULL << 28;
	memcpy(&d, buf + 3, 2);
	memcpy(&a, buf + 5, 2);
	memcpy(&u, buf + 7, 2);
	memset(ram, 0, RAM_SIZE);
	memcpy(ram, buf + HDR, size - HDR < RAM_SIZE ? size - HDR : RAM_SIZE);
	if (virtq_init(&vq, &mem, qsize, RAM_GPA + d, RAM_GPA + a, RAM_GPA + u, features) < 0)
		return 0;
	old = vq.used_idx;
	while (n++ < BUDGET && (r = virtq_pop(&vq, &req)) != 0) {
		uint64_t got;

		if (r < 0)
			break;
		check_req(&req);
		got = virtq_req_read(&req, 0, scratch, sizeof(scratch));
		if (got > req.out_len)
			abort();
		got = virtq_req_write(&req, scratch, req.in_len < 64 ? req.in_len : 64);
		virtq_push(&vq, req.head, (uint32_t)got);
		if (n % 8 == 0 && virtq_rearm(&vq))
			continue;
	}
	virtq_need_notify(&vq, old);
	return 0;
}
