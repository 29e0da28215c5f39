#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The borrowing receive and the switch's own filling of receive rings of vhost-user ports
# (port/vhost_fast.h) against rte_vhost's dequeue and enqueue: vu_fast_test sends the same
# frames (60..9000 bytes, chained, indirect, rings filled) from guest A to guest B through
# vireo-dp, once with other_config:vhost-fast-path on (the default) and once off, into B's
# mergeable 2 KiB buffers, into buffers in pieces behind indirect tables, and into
# buffers that are not mergeable.  Both runs must deliver every frame byte-identical, B must
# have received the same bytes (virtio-net headers included) both times, and the port
# statistics must show that the first run took the fast path both ways and the second did
# not.
# The frames are broadcast and a third port, vhu2, has no guest: every frame is flooded to
# two ports, so a chain (a frame over several descriptors or mbufs) is sent twice and must
# stay whole until both sends are done.  With rules that rewrite headers (mod_dl_src), the
# payload is still lent and B must get the same rewritten frames either way.  The guest must be notified after every batch
# its descriptors come back from.  A third run sends a message the backend refuses first:
# borrowing must go on after it.
. "$(dirname "$0")/../dp/lib.sh"

BIN=${VU_BIN:-$BUILD/tests/vhost}

# run FAST OUT [refused]: one vireo-dp with vhost-fast-path FAST, vu_fast_test writing
# OUT; sets FAST to the fast-path packet count of vhu0 (received) and FASTTX to vhu1's (sent
# into B's ring by the switch itself).  $RULES, when set, are br0's rules.
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
	FASTTX=$(ctl show -v | sed -n '/port vhu1:/,/port vhu2:/s/.*fast_path_tx_packets=\([0-9]*\).*/\1/p')
	stop_dp
}

run true "$RUN/fast.out"
fast_on=$FAST tx_on=$FASTTX
run false "$RUN/slow.out"
fast_off=$FAST tx_off=$FASTTX
check "the fast run borrowed packets (vhu0 fast_path_rx_packets=$fast_on)" \
	test "${fast_on:-0}" -gt 700
check "... and filled B's ring itself (vhu1 fast_path_tx_packets=$tx_on)" \
	test "${tx_on:-0}" -gt 700
check "the run without it borrowed none (vhu0 fast_path_rx_packets=$fast_off)" \
	test "${fast_off:-1}" -eq 0
check "... and filled no ring itself (vhu1 fast_path_tx_packets=$tx_off)" \
	test "${tx_off:-1}" -eq 0
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
# Rules that rewrite headers: the payload is still borrowed, the rewrite made in the
# switch's copy of the headers; B gets the same rewritten frames either way.
REWRITE="in_port=vhu0,actions=mod_dl_src:02:00:00:00:00:0b,output:vhu1,output:vhu2
in_port=vhu1,actions=output:vhu0
in_port=vhu2,actions=drop"
RULES=$REWRITE run true "$RUN/rewrite-fast.out" frames-rewrite
check "with rules that rewrite headers, the fast path borrows (vhu0 fast_path_rx_packets=$FAST)" \
	test "${FAST:-0}" -gt 700
RULES=$REWRITE run false "$RUN/rewrite-slow.out" frames-rewrite
check "... and B received the same rewritten bytes as through rte_vhost" \
	cmp "$RUN/rewrite-fast.out" "$RUN/rewrite-slow.out"
# A rule that could keep a packet: nothing is borrowed, nothing changes.
RULES="in_port=vhu0,actions=output:vhu1,output:vhu2
in_port=vhu1,actions=CONTROLLER
in_port=vhu2,actions=drop" run true "$RUN/keep.out" frames
check "with a CONTROLLER rule nothing is borrowed (vhu0 fast_path_rx_packets=$FAST)" \
	test "${FAST:-1}" -eq 0
check "... and B received the same bytes" cmp "$RUN/keep.out" "$RUN/slow.out"
check "... filling B's ring itself still (vhu1 fast_path_tx_packets=$FASTTX)" \
	test "${FASTTX:-0}" -gt 700
# B's receive buffers in pieces behind indirect tables, then not mergeable: the same bytes
# through the switch's own ring filling as through rte_vhost's.
for mode in rxind nomrg; do
	run true "$RUN/$mode-fast.out" "frames-$mode"
	tx_on=$FASTTX
	run false "$RUN/$mode-slow.out" "frames-$mode"
	check "frames-$mode: B's ring filled by the switch itself (vhu1 fast_path_tx_packets=$tx_on)" \
		test "${tx_on:-0}" -gt 700
	check "frames-$mode: B received the same $(stat -c %s "$RUN/$mode-fast.out" 2>/dev/null) bytes both ways" \
		cmp "$RUN/$mode-fast.out" "$RUN/$mode-slow.out"
done
# Not mergeable: the header's num_buffers is 1 (the spec's rule; rte_vhost leaves it alone,
# so the comparison above skips those two bytes).
nb=$(sed -n 's/^num_buffers set to 1 in \([0-9]*\) of \([0-9]*\) frames$/\1 \2/p' "$RUN/test-true.log")
check "frames-nomrg: the switch set num_buffers to 1 in every frame ($nb)" \
	eval '[ -n "$nb" ] && [ "${nb% *}" = "${nb#* }" ] && [ "${nb% *}" -gt 0 ]'
# A message refused by the backend's checks must leave borrowing on.
run true "$RUN/refused.out" refused
check "after a refused message the ring is still borrowed from (vhu0 fast_path_rx_packets=$FAST)" \
	test "${FAST:-0}" -gt 400
finish
