#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The borrowing receive of vhost-user ports (port/vhost_fast.h) against rte_vhost's own
# receive: vu_fast_test sends the same frames (60..9000 bytes, chained, indirect, rings
# filled, mergeable receive buffers) from guest A to guest B through vireo-dp, once with
# other_config:vhost-fast-path on and once off (the default).  Both runs must deliver
# every frame byte-identical, B must have received the same bytes both times, and the
# port statistics must show that the first run took the fast path and the second did not.
# The frames are broadcast and a third port, vhu2, has no guest: every frame is flooded to
# two ports, so a chain (a frame over several descriptors or mbufs) is sent twice and must
# stay whole until both sends are done.  The guest must be notified after every batch
# its descriptors come back from.  A third run sends a message the backend refuses first:
# borrowing must go on after it.
. "$(dirname "$0")/../dp/lib.sh"

BIN=${VU_BIN:-$BUILD/tests/vhost}

# run FAST OUT [refused]: one vireo-dp with vhost-fast-path FAST, vu_fast_test writing
# OUT; sets FAST to the fast-path packet count of vhu0.  $RULES, when set, are br0's rules.
run() {
	local flows=
	[ -n "${RULES:-}" ] && flows=$(printf '    flows:\n'; sed 's/^/      - "/; s/$/"/' <<<"$RULES")
	cat >"$RUN/dp.yaml" <<EOC
$(other_config)
  vhost-fast-path: "$1"
bridges:
  br0:
    ports:
      vhu0: {type: dpdkvhostuser}
      vhu1: {type: dpdkvhostuser}
      vhu2: {type: dpdkvhostuser}
$flows
EOC
	start_dp "$RUN/dp.yaml" || { fail "vireo-dp (vhost-fast-path=$1) did not start"; return 1; }
	if "$BIN/vu_fast_test" "$RUN" "$2" ${3:-} >"$RUN/test-$1.log" 2>&1; then
		pass "vhost-fast-path=$1 ${3:-}: $(tail -1 "$RUN/test-$1.log")"
	else
		cat "$RUN/test-$1.log"
		grep -v '^VHOST_CONFIG' "$RUN/dp.log" | tail -20
		fail "vhost-fast-path=$1 ${3:-}: vu_fast_test failed"
	fi
	FAST=$(ctl show -v | sed -n '/port vhu0:/,/port vhu1:/s/.*fast_path_rx_packets=\([0-9]*\).*/\1/p')
	stop_dp
}

run true "$RUN/fast.out"
fast_on=$FAST
run false "$RUN/slow.out"
fast_off=$FAST
check "the fast run borrowed packets (vhu0 fast_path_rx_packets=$fast_on)" \
	test "${fast_on:-0}" -gt 700
check "the run without it borrowed none (vhu0 fast_path_rx_packets=$fast_off)" \
	test "${fast_off:-1}" -eq 0
check "B received the same $(stat -c %s "$RUN/fast.out" 2>/dev/null) bytes both times" \
	cmp "$RUN/fast.out" "$RUN/slow.out"
# Rules that only read and send on: the payload is still borrowed, the headers the rules
# match on are copied first; B gets the same bytes.
RULES="in_port=vhu0,actions=output:vhu1,output:vhu2
in_port=vhu1,actions=output:vhu0
in_port=vhu2,actions=drop" run true "$RUN/rules.out" frames
check "with rules that only read, the fast path borrows (vhu0 fast_path_rx_packets=$FAST)" \
	test "${FAST:-0}" -gt 700
check "... and B received the same bytes as without rules" cmp "$RUN/rules.out" "$RUN/slow.out"
# A rule that could write to a packet or keep it: nothing is borrowed, nothing changes.
RULES="in_port=vhu0,actions=output:vhu1,output:vhu2
in_port=vhu1,actions=CONTROLLER
in_port=vhu2,actions=drop" run true "$RUN/keep.out" frames
check "with a CONTROLLER rule nothing is borrowed (vhu0 fast_path_rx_packets=$FAST)" \
	test "${FAST:-1}" -eq 0
check "... and B received the same bytes" cmp "$RUN/keep.out" "$RUN/slow.out"
# A message refused by the backend's checks must leave borrowing on.
run true "$RUN/refused.out" refused
check "after a refused message the ring is still borrowed from (vhu0 fast_path_rx_packets=$FAST)" \
	test "${FAST:-0}" -gt 400
finish
