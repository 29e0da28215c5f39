/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interrupts under rte_vhost's message traffic.  Guest A (vhu0) sends batches of 1 to 32
 * frames to guest B (vhu1) through vireo-dp and, as a driver that does not poll, waits for
 * the interrupts before its next batch: B's receive call for the frames, A's transmit call
 * for its descriptors.  Meanwhile a second thread sends, on both NICs' sockets, a message for
 * which rte_vhost takes every ring's lock (SET_VRING_ENABLE of a ring already enabled).  A
 * notification the switch cannot send through rte_vhost while that lock is held must still
 * reach the guest (port/vhost_fast.h); a guest waiting for it would otherwise wait forever.
 * A wait of 3 s fails the test, saying whether the ring had been used (the notification
 * was lost) or not (the frames were).  A signal left over from a round's earlier burst can
 * stand in for a lost one once; a path that loses notifications is caught in the next
 * rounds.
 *
 * Thread-safety: an exception to vu_guest.h's one thread: the message thread only uses the
 * NICs' sockets (vu_raw.h: vu_dev_fd() and the socket), the main thread only their rings,
 * eventfds and sequence numbers, and no vu_* call of one overlaps the other's.
 *
 * usage: vu_notify_test RUNDIR SECONDS   (vireo-dp runs with ports vhu0 and vhu1 in RUNDIR)
 */
#include <linux/virtio_ring.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "vu_guest.h"
#include "vu_raw.h"

#define CONNECT_MS 20000
#define IRQ_MS 3000
#define MAX_BATCH 32

static struct vg_nic a, b;
static int stop;			/* main thread writes, message thread reads */
static unsigned long n_msgs;		/* message thread writes, main reads after join */
static enum vr_outcome msg_err = VR_ACK;	/* likewise */

static void *
messages(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		enum vr_outcome o = vr_state(&a, VHOST_WIRE_SET_VRING_ENABLE, 1, 1);

		if (o == VR_ACK)
			o = vr_state(&b, VHOST_WIRE_SET_VRING_ENABLE, 0, 1);
		if (o != VR_ACK) {
			msg_err = o;
			break;
		}
		n_msgs += 2;
	}
	return NULL;
}

/*
 * B takes frames until 'want' in all arrived, on interrupts only; false (and why) when an
 * interrupt does not come.
 */
static bool
b_receive(unsigned *good, unsigned want, unsigned *bad, unsigned round)
{
	for (;;) {
		vg_recv(&b, a.id, good, bad);
		if (*good >= want)
			return true;
		if (vg_irq(b.rx.call, IRQ_MS))
			continue;
		if (vg_used_idx(&b.rx) != b.rx.last_used)
			printf("round %u: B's receive ring was used but B was not notified in %d ms\n",
				round, IRQ_MS);
		else
			printf("round %u: %u of %u frames never reached B\n", round, want - *good,
				want);
		return false;
	}
}

/* A's descriptors all come back, on interrupts only; false (and why) when one does not come. */
static bool
a_reclaim(unsigned round)
{
	while (vg_used_idx(&a.tx) != a.tx.avail_idx) {
		uint16_t before = vg_used_idx(&a.tx);

		if (vg_irq(a.tx.call, IRQ_MS))
			continue;
		if (vg_used_idx(&a.tx) == a.tx.avail_idx || vg_used_idx(&a.tx) != before)
			printf("round %u: A's descriptors came back but A was not notified in %d ms\n",
				round, IRQ_MS);
		else
			printf("round %u: %u of A's descriptors never came back\n", round,
				(uint16_t)(a.tx.avail_idx - vg_used_idx(&a.tx)));
		return false;
	}
	return true;
}

int
main(int argc, char **argv)
{
	struct vg_nic *to[1] = { &b };
	char pa[256], pb[256];
	unsigned good = 0, bad = 0, sent = 0, round = 0;
	pthread_t th;
	bool ok = true;
	int64_t end;

	vg_test_name = "vu-notify";
	if (argc != 3 || atoi(argv[2]) <= 0) {
		fprintf(stderr, "usage: %s RUNDIR SECONDS\n", argv[0]);
		return 2;
	}
	snprintf(pa, sizeof(pa), "%s/vhu0", argv[1]);
	snprintf(pb, sizeof(pb), "%s/vhu1", argv[1]);
	struct vu_opts oa = { .path = pa }, ob = { .path = pb };

	if (vg_nic_init(&a, "A", 0xa, &oa) < 0 || vg_nic_init(&b, "B", 0xb, &ob) < 0) {
		printf("FAIL vu-notify: set-up\n");
		return 1;
	}
	vg_check(vg_nic_connect(&a, CONNECT_MS) == 0 && vg_nic_connect(&b, CONNECT_MS) == 0,
		"A and B connect");
	vg_check(vg_nic_start(&a) == 0 && vg_nic_start(&b) == 0, "A and B start");
	vg_check(vg_flow(&a, to, 1, CONNECT_MS, &bad), "A reaches B");
	if (vg_failures)
		return 1;
	/* What vg_flow() left: drained, its interrupts consumed, its descriptors back. */
	vg_sleep_ms(300);
	vg_recv(&b, a.id, &good, &bad);
	vg_eventfd_read(b.rx.call);
	vg_eventfd_read(a.tx.call);
	vg_check(vg_used_idx(&a.tx) == a.tx.avail_idx, "A's descriptors of the first frames are back");
	good = 0;

	if (pthread_create(&th, NULL, messages, NULL) != 0) {
		printf("FAIL vu-notify: thread\n");
		return 1;
	}
	end = vg_now_ms() + 1000LL * atoi(argv[2]);
	while (ok && vg_now_ms() < end) {
		unsigned k = 1 + round % MAX_BATCH;

		for (unsigned i = 0; i < k; i++)
			ok = ok && vg_send(&a, a.seq++) == 0;
		sent += k;
		ok = ok && b_receive(&good, sent, &bad, round) && a_reclaim(round);
		round++;
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	vg_check(msg_err == VR_ACK, "%lu messages taking every ring's lock, each acknowledged%s%s",
		n_msgs, msg_err == VR_ACK ? "" : ": then ", msg_err == VR_ACK ? "" :
		vr_outcome_name(msg_err));
	vg_check(ok && good == sent && bad == 0,
		"%u rounds, %u frames: every frame and every descriptor announced by an interrupt "
		"(%u received, %u corrupt)", round, sent, good, bad);
	vg_nic_fini(&a);
	vg_nic_fini(&b);
	return vg_failures ? 1 : 0;
}
