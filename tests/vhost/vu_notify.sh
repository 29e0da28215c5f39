#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Notifications of the vhost-user fast path (port/vhost_fast.h) while rte_vhost's message
# thread holds a device's ring locks: the PMD cannot notify the guest through rte_vhost
# then, and writes the guest's call eventfd itself.  vu_notify_test sends frames from guest
# A to guest B through vireo-dp, waiting for every interrupt before going on, while it sends
# both devices a stream of messages that take those locks; every interrupt must come, and
# the ports' statistics must show that some went past rte_vhost (else the test would not
# have exercised it).
. "$(dirname "$0")/../dp/lib.sh"

BIN=${VU_BIN:-$BUILD/tests/vhost}

vhost_bridge_yaml 2
check "vireo-dp starts with two dpdkvhostuser ports" start_dp "$RUN/dp.yaml" || finish
# direct_total: the two ports' fast_path_calls_direct, summed
direct_total() {
	ctl show -v | sed -n 's/.*fast_path_calls_direct=\([0-9]*\).*/\1/p' |
		awk '{ s += $1 } END { print s + 0 }'
}
total=0
# It needs the message to land inside a burst: a few seconds of both give hundreds of
# chances; up to three runs before the statistics must show one.
for attempt in 1 2 3; do
	if ! "$BIN/vu_notify_test" "$RUN" 5 >"$RUN/test.log" 2>&1; then
		cat "$RUN/test.log"
		grep -v '^VHOST_CONFIG' "$RUN/dp.log" | tail -20
		fail "run $attempt: an interrupt or a frame was lost (vu_notify_test failed)"
		break
	fi
	pass "run $attempt: $(grep -c '^PASS' "$RUN/test.log") checks; $(tail -1 "$RUN/test.log" | sed 's/^PASS vu-notify: //')"
	total=$(direct_total)
	[ "$total" -gt 0 ] && break
done
check "some notifications went past rte_vhost's lock (fast_path_calls_direct=$total)" \
	test "$total" -gt 0
check "... and the fast path carried the frames (fast_path_rx_packets of vhu0 > 0)" \
	eval 'ctl show -v | sed -n "/port vhu0:/,/port vhu1:/s/.*fast_path_rx_packets=\([1-9][0-9]*\).*/\1/p" | grep -q .'
check "vireo-dp stops cleanly" stop_dp
finish
