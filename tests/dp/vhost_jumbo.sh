#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# vhost-user ports with mtu_request 9000: a testpmd virtio_user pair (mergeable rx buffers,
# its default) loops 9000-byte frames through two dpdkvhostuser ports; each frame crosses
# vireo-dp whole (bytes per packet counted by the port).  tx-retries-max: Open vSwitch's
# default 8, the value set shown in the port's status, changed in place by a reload
# (the guest stays connected), out of range refused naming the key.
. "$(dirname "$0")/lib.sh"

conf() { # conf RETRIES: the config, vhu1's tx-retries-max RETRIES
	cat <<EOC
$(other_config)
bridges:
  br0:
    ports:
      vhu0: {type: dpdkvhostuser, mtu_request: 9000}
      vhu1: {type: dpdkvhostuser, mtu_request: 9000, options: {tx-retries-max: "$1"}}
EOC
}
conf 33 >"$RUN/bad.yaml"
check "--check refuses tx-retries-max=33, naming the key" \
	eval '! "$VIREO_DP" --config "$RUN/bad.yaml" --check >"$RUN/check.out" 2>&1 &&
	grep -q "tx-retries-max.*33" "$RUN/check.out"'
conf 4 >"$RUN/dp.yaml"
check "vireo-dp starts" start_dp "$RUN/dp.yaml"
show=$(ctl show -v)
check "vhu0 and vhu1 run with mtu 9000" \
	eval 'grep -q "port vhu0: .*mtu 9000" <<<"$show" && grep -q "port vhu1: .*mtu 9000" <<<"$show"'
check "tx-retries-max: vhu0 the default 8, vhu1 4" \
	eval 'grep -A12 "port vhu0:" <<<"$show" | grep -q "tx_retries_max=8" &&
	grep -A12 "port vhu1:" <<<"$show" | grep -q "tx_retries_max=4"'

# --mbuf-size first: testpmd checks --txpkts against the mbuf size known at that point.
out=$(testpmd_loop 3 "$RUN/vhu0" "$RUN/vhu1" --mbuf-size=10240 --max-pkt-len=9018 \
	--txpkts=9000)
rx1=$(testpmd_rx "$out" 1)
echo "testpmd: port1 rx=$rx1"
[ "${rx1:-0}" -gt 0 ] || echo "$out" | tail -n 40
check "9000-byte frames reached the guest's second port ($rx1)" test "${rx1:-0}" -gt 100
ports=$(ctl dump-ports br0)
echo "$ports"
# pkts=N bytes=M of vhu0's receive side: every frame whole, 9000 bytes.
per_pkt() {
	sed -n "/port $1 /,/tx/ s/.*rx pkts=\([0-9]*\), *bytes=\([0-9]*\).*/\2 \1/p" <<<"$ports" |
		awk '$2 > 0 { print int($1 / $2) }'
}
check "vhu0 received 9000 bytes a frame ($(per_pkt vhu0))" test "$(per_pkt vhu0)" = 9000
check "vhu1 received 9000 bytes a frame ($(per_pkt vhu1))" test "$(per_pkt vhu1)" = 9000

conf 2 >"$RUN/dp.yaml"
kill -HUP "$DP_PID"
check "a reload sets tx-retries-max 2 in place" \
	wait_until 20 eval 'ctl show -v | grep -A12 "port vhu1:" | grep -q "tx_retries_max=2"'
check "... without reopening the port" grep -q "port vhu1: reconfigured in place" "$RUN/dp.log"
check "SIGTERM: vireo-dp exits 0" stop_dp
finish
