#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Event indexes over the 16-bit wrap on the vhost-user fast path (port/vhost_fast.h):
# vu_event_test sends 65,553 frames from guest A to guest B through vireo-dp, both guests
# with VIRTIO_RING_F_EVENT_IDX, asking for an interrupt for the first, none for the next
# 65,520, and then one at an entry of a burst that crosses the 65,536 mark past rte_vhost's
# last check; the interrupts must come, on B's receive ring and A's transmit ring.  The
# port statistics must show that the switch's fast path carried every frame A sent both
# ways: one burst through rte_vhost's enqueue or dequeue would renew its record, and the
# test would not check the fast path.
. "$(dirname "$0")/../dp/lib.sh"

BIN=${VU_BIN:-$BUILD/tests/vhost}

vhost_bridge_yaml 2
check "vireo-dp starts with two dpdkvhostuser ports" start_dp "$RUN/dp.yaml" || finish
if "$BIN/vu_event_test" "$RUN" >"$RUN/test.log" 2>&1; then
	pass "$(grep -c '^PASS' "$RUN/test.log") checks: $(sed -n 's/^PASS vu-event: \(.*frames sent.*\)/\1/p' "$RUN/test.log")"
else
	cat "$RUN/test.log"
	grep -v '^VHOST_CONFIG' "$RUN/dp.log" | tail -20
	fail "vu_event_test failed"
fi
sent=$(sed -n 's/^A sent \([0-9]*\) frames in all$/\1/p' "$RUN/test.log")
rx=$(ctl show -v | sed -n '/port vhu0:/,/port vhu1:/s/.*fast_path_rx_packets=\([0-9]*\).*/\1/p')
tx=$(ctl show -v | sed -n '/port vhu1:/,$s/.*fast_path_tx_packets=\([0-9]*\).*/\1/p' | head -1)
check "the fast path took every frame A sent (${sent:-?}; vhu0 fast_path_rx_packets=$rx)" \
	test "${rx:-0}" -ge "${sent:-999999999}"
check "... and put every one into B's ring itself (vhu1 fast_path_tx_packets=$tx)" \
	test "${tx:-0}" -ge "${sent:-999999999}"
check "vireo-dp stops cleanly" stop_dp
finish
