/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two PMDs filling one receive ring: guests A (vhu0) and C (vhu2), whose queues vu_shared.sh
 * pins to PMDs on different cores, send as fast as their rings allow to guest B (vhu1),
 * which has one queue pair, so both PMDs transmit into B's single receive ring at the same
 * time.  B drains it all along.  Every frame B gets must be byte-identical to what its
 * sender sent, and each sender's frames must arrive in the order sent, none twice (frames
 * B had no room for may be missing: the switch drops what does not fit, as Open vSwitch
 * does).  Two PMDs writing the same descriptors or used entries would show as corrupt,
 * repeated or reordered frames.
 *
 * usage: vu_shared_test RUNDIR SECONDS
 */
#include <linux/virtio_ring.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vu_guest.h"

#define CONNECT_MS 20000
#define WAIT_MS 10000

struct tally {
	uint8_t id[2];
	uint32_t next[2];	/* the lowest sequence number still acceptable */
	unsigned int got[2];
	unsigned int repeated;	/* a frame at or below one already received */
	unsigned int foreign;	/* a frame from neither sender */
	unsigned int switches;	/* consecutive frames from different senders */
	int last;
};

static void
count(void *aux, uint8_t from, uint32_t seq)
{
	struct tally *t = aux;
	int i = from == t->id[0] ? 0 : from == t->id[1] ? 1 : -1;

	if (i < 0) {
		t->foreign++;
		return;
	}
	if (seq < t->next[i])
		t->repeated++;
	else
		t->next[i] = seq + 1;
	t->got[i]++;
	if (t->last >= 0 && t->last != i)
		t->switches++;
	t->last = i;
}

/* Whether the backend has given back every descriptor of 'nic''s transmit ring. */
static bool
returned(struct vg_nic *nic)
{
	return __atomic_load_n(&nic->tx.used->idx, __ATOMIC_ACQUIRE) == nic->tx.avail_idx;
}

/* Put up to 64 frames on 'nic''s transmit ring (B is drained between). */
static void
fill(struct vg_nic *nic)
{
	for (int i = 0; i < 64 && vg_send(nic, nic->seq) == 0; i++)
		nic->seq++;
}

int
main(int argc, char **argv)
{
	struct vg_nic a, b, c;
	struct tally t = { .id = { 0xa, 0xc }, .last = -1 };
	char pa[256], pb[256], pc[256];
	unsigned int bad = 0;
	int64_t end;

	vg_test_name = "vu-shared";
	if (argc != 3 || atoi(argv[2]) <= 0) {
		fprintf(stderr, "usage: %s RUNDIR SECONDS\n", argv[0]);
		return 2;
	}
	snprintf(pa, sizeof(pa), "%s/vhu0", argv[1]);
	snprintf(pb, sizeof(pb), "%s/vhu1", argv[1]);
	snprintf(pc, sizeof(pc), "%s/vhu2", argv[1]);
	struct vu_opts oa = { .path = pa }, ob = { .path = pb }, oc = { .path = pc };

	if (vg_nic_init(&a, "A", 0xa, &oa) < 0 || vg_nic_init(&b, "B", 0xb, &ob) < 0 ||
			vg_nic_init(&c, "C", 0xc, &oc) < 0) {
		printf("FAIL vu-shared: set-up\n");
		return 1;
	}
	vg_check(vg_nic_connect(&a, CONNECT_MS) == 0 && vg_nic_connect(&b, CONNECT_MS) == 0 &&
		vg_nic_connect(&c, CONNECT_MS) == 0, "A, B and C connect");
	vg_check(vg_nic_start(&a) == 0 && vg_nic_start(&b) == 0 && vg_nic_start(&c) == 0,
		"A, B and C start");
	if (vg_failures)
		return 1;
	{
		uint32_t first_a = a.seq, first_c = c.seq;

		/* Counted from the first frame on: vu_shared.sh compares B's total with what
		 * vireo-dp says it delivered to vhu1. */
		end = vg_now_ms() + atoi(argv[2]) * 1000;
		while (vg_now_ms() < end) {
			fill(&a);
			fill(&c);
			vg_recv_each(&b, count, &t, &bad);
		}
		/* what is in flight: until both transmit rings are given back */
		end = vg_now_ms() + WAIT_MS;
		while (vg_now_ms() < end && !(returned(&a) && returned(&c)))
			vg_recv_each(&b, count, &t, &bad);
		vg_check(returned(&a) && returned(&c),
			"vireo-dp gave back every descriptor of A and C");
		vg_sleep_ms(100);
		vg_recv_each(&b, count, &t, &bad);
		printf("sent A %u, C %u; B received A %u, C %u; sender changes %u\n",
			a.seq - first_a, c.seq - first_c, t.got[0], t.got[1], t.switches);
		printf("B received %u in all\n", t.got[0] + t.got[1] + bad + t.foreign);
		vg_check(bad == 0, "every frame B received is byte-identical to one sent (%u not)",
			bad);
		vg_check(t.repeated == 0 && t.foreign == 0,
			"each sender's frames in order, none twice (%u repeated or reordered, "
			"%u from no sender)", t.repeated, t.foreign);
		vg_check(t.got[0] <= a.seq - first_a && t.got[1] <= c.seq - first_c,
			"B received no more than was sent");
		vg_check(t.got[0] > 10000 && t.got[1] > 10000,
			"B received frames from both senders (A %u, C %u, more than 10000 each)",
			t.got[0], t.got[1]);
		/* Runs of one sender's frames in B's ring: both PMDs kept filling it. */
		vg_check(t.switches > 100, "B's ring alternated between the senders %u times "
			"(more than 100)", t.switches);
	}
	vg_nic_fini(&a);
	vg_nic_fini(&b);
	vg_nic_fini(&c);
	return vg_failures ? 1 : 0;
}
