#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Event indexes over the 16-bit wrap on the vhost-user fast path (port/vhost_fast.h):
# vu_event_test sends 65,553 frames from guest A to guest B through vireo-dp, both guests
# with VIRTIO_RING_F_EVENT_IDX, asking for no interrupt through the first 65,521 and then
# for one at an entry of a burst that crosses the 65,536 mark past rte_vhost's last check;
# the interrupts must come, on B's receive ring and A's transmit ring.  The port statistics
# must show that the switch's fast path carried the frames both ways (else the test would
# have checked rte_vhost's enqueue and dequeue, not the fast path).
. "$(dirname "$0")/../dp/lib.sh"

BIN=${VU_BIN:-$BUILD/tests/vhost}

vhost_bridge_yaml 2
check "vireo-dp starts with two dpdkvhostuser ports" start_dp "$RUN/dp.yaml" || finish
if "$BIN/vu_event_test" "$RUN" >"$RUN/test.log" 2>&1; then
	pass "$(grep -c '^PASS' "$RUN/test.log") checks: $(tail -1 "$RUN/test.log" | sed 's/^PASS vu-event: //')"
else
	cat "$RUN/test.log"
	grep -v '^VHOST_CONFIG' "$RUN/dp.log" | tail -20
	fail "vu_event_test failed"
fi
rx=$(ctl show -v | sed -n '/port vhu0:/,/port vhu1:/s/.*fast_path_rx_packets=\([0-9]*\).*/\1/p')
tx=$(ctl show -v | sed -n '/port vhu1:/,$s/.*fast_path_tx_packets=\([0-9]*\).*/\1/p' | head -1)
check "the fast path took A's frames (vhu0 fast_path_rx_packets=$rx)" test "${rx:-0}" -gt 65536
check "... and filled B's ring itself (vhu1 fast_path_tx_packets=$tx)" test "${tx:-0}" -gt 65536
check "vireo-dp stops cleanly" stop_dp
finish
