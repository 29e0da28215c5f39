/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Event indexes (VIRTIO_RING_F_EVENT_IDX) over more than 65,536 used entries.  Guest A
 * (vhu0) sends frames to guest B (vhu1) through vireo-dp; both negotiate event indexes.
 * The vhost fast path (port/vhost_fast.h) decides from the guest's used_event whether a
 * notification is wanted and only then asks rte_vhost, which decides again from the used
 * index it last checked: a window of 16 bits that must not wrap.
 *
 * 1. Both guests ask to hear of the next used entry; one frame; both interrupts must come
 *    (rte_vhost's own record is now this entry).
 * 2. 65,520 frames in bursts of 32, each guest keeping its used_event 0x4000 entries ahead
 *    (a driver with interrupts off, as Linux's virtio-net under NAPI polling): no interrupt
 *    may come.
 * 3. Each guest asks to hear of the entry 15 into the next burst (65,535 after rte_vhost's
 *    record), and 32 frames are made available at once, so that the switch uses entries
 *    65,520 to 65,551 on both rings, and whichever of its bursts holds entry 15 also crosses
 *    the 65,536 mark: both interrupts must come.  A switch that left rte_vhost's
 *    record 65,536 entries behind would see the window wrap to 16 entries, which do not hold
 *    the guest's event, and stay silent: the guest would sleep forever.
 *
 * usage: vu_event_test RUNDIR   (vireo-dp runs with ports vhu0 and vhu1 in RUNDIR)
 */
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <stdlib.h>

#include "vu_guest.h"

#define CONNECT_MS 20000
#define WAIT_MS 3000
#define BURST 32
#define QUIET 65520u		/* frames of phase 2: 16 short of the 16-bit wrap */
#define EVENT_AT 15u		/* the entry of phase 3's burst each guest asks about: the last
				 * before the mark, so that any burst of the switch that holds it
				 * also crosses the mark */

static struct vg_nic a, b;

/* The guest's used_event of 'vq': the used index whose use it wants to hear of. */
static void
set_used_event(struct vg_vq *vq, uint16_t ev)
{
	__atomic_store_n(&((volatile uint16_t *)vq->avail->ring)[vq->size], ev,
		__ATOMIC_SEQ_CST);
}

/*
 * 'n' frames from A at once; true when B received them all (polling) and A's descriptors
 * came back within WAIT_MS.
 */
static bool
burst(unsigned n, unsigned *good, unsigned *bad)
{
	unsigned want = *good + n;
	int64_t end = vg_now_ms() + WAIT_MS;

	if (vg_send_burst(&a, n) != 0)
		return false;
	while (vg_now_ms() < end) {
		vg_recv(&b, a.id, good, bad);
		if (*good >= want && vg_used_idx(&a.tx) == a.tx.avail_idx)
			return true;
	}
	printf("a burst of %u: %u received, %u of A's descriptors back\n", n,
		*good >= want ? n : n - (want - *good),
		(uint16_t)(n - (a.tx.avail_idx - vg_used_idx(&a.tx))));
	return false;
}

int
main(int argc, char **argv)
{
	struct vg_nic *to[1] = { &b };
	char pa[256], pb[256];
	unsigned good = 0, bad = 0, quiet_irqs = 0, sent = 0;
	bool ok = true;

	vg_test_name = "vu-event";
	if (argc != 2) {
		fprintf(stderr, "usage: %s RUNDIR\n", argv[0]);
		return 2;
	}
	snprintf(pa, sizeof(pa), "%s/vhu0", argv[1]);
	snprintf(pb, sizeof(pb), "%s/vhu1", argv[1]);
	struct vu_opts oa = { .path = pa }, ob = { .path = pb };

	if (vg_nic_init(&a, "A", 0xa, &oa) < 0 || vg_nic_init(&b, "B", 0xb, &ob) < 0) {
		printf("FAIL vu-event: set-up\n");
		return 1;
	}
	a.features_on = b.features_on = 1ull << VIRTIO_RING_F_EVENT_IDX;
	vg_check(vg_nic_connect(&a, CONNECT_MS) == 0 && vg_nic_connect(&b, CONNECT_MS) == 0,
		"A and B connect");
	vg_check(vu_net_offer(a.dev, 1ull << VIRTIO_RING_F_EVENT_IDX) != 0 &&
		vu_net_offer(b.dev, 1ull << VIRTIO_RING_F_EVENT_IDX) != 0,
		"vireo-dp offers VIRTIO_RING_F_EVENT_IDX");
	vg_check(vg_nic_start(&a) == 0 && vg_nic_start(&b) == 0, "A and B start with it");
	vg_check(vg_flow(&a, to, 1, CONNECT_MS, &bad), "A reaches B");
	if (vg_failures)
		return 1;
	vg_sleep_ms(300);
	vg_recv(&b, a.id, &good, &bad);
	good = 0;

	/* 1: rte_vhost checks both rings at a known entry */
	set_used_event(&b.rx, vg_used_idx(&b.rx));
	set_used_event(&a.tx, vg_used_idx(&a.tx));
	vg_irq(b.rx.call, 0);
	vg_irq(a.tx.call, 0);
	ok = burst(1, &good, &bad);
	sent += 1;
	vg_check(ok && vg_irq(b.rx.call, WAIT_MS) && vg_irq(a.tx.call, WAIT_MS),
		"asked for the next entry, both guests are notified of one frame");

	/* 2: 65,520 entries that nobody wants to hear of */
	for (unsigned n = 0; ok && n < QUIET; n += BURST) {
		unsigned k = QUIET - n < BURST ? QUIET - n : BURST;

		set_used_event(&b.rx, (uint16_t)(vg_used_idx(&b.rx) + 0x4000));
		set_used_event(&a.tx, (uint16_t)(vg_used_idx(&a.tx) + 0x4000));
		ok = burst(k, &good, &bad);
		sent += k;
		quiet_irqs += vg_irq(b.rx.call, 0) + vg_irq(a.tx.call, 0);
	}
	/* an interrupt sent late for the last of them must not count for phase 3 */
	quiet_irqs += vg_irq(b.rx.call, 100) + vg_irq(a.tx.call, 100);
	vg_check(ok && quiet_irqs == 0,
		"%u frames with the event indexes 0x4000 ahead: no interrupt (%u came)", QUIET,
		quiet_irqs);

	/* 3: one burst over the 16-bit mark, the event inside it */
	set_used_event(&b.rx, (uint16_t)(vg_used_idx(&b.rx) + EVENT_AT));
	set_used_event(&a.tx, (uint16_t)(vg_used_idx(&a.tx) + EVENT_AT));
	ok = ok && burst(BURST, &good, &bad);
	sent += BURST;
	vg_check(ok && vg_irq(b.rx.call, WAIT_MS),
		"B asked for entry %u of a burst of %u, 65,536 entries after rte_vhost's last "
		"check, and is notified", EVENT_AT, BURST);
	vg_check(ok && vg_irq(a.tx.call, WAIT_MS),
		"A likewise, for its transmit ring");
	vg_check(good == sent && bad == 0, "%u frames sent, %u received intact, %u corrupt", sent,
		good, bad);
	/* for the script: every one of them must have taken the fast path */
	printf("A sent %u frames in all\n", a.seq);
	vg_nic_fini(&a);
	vg_nic_fini(&b);
	return vg_failures ? 1 : 0;
}
