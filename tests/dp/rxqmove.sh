#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Rx queues moving between two PMDs under traffic: two net_null ports of two rx queues each
# (they receive as fast as they are polled), their queues swapped between the PMDs of cores 0
# and 1 by pmd-rxq-affinity (pmd-rxq-isolate=false) over and over, pmd-rxq-rebalance between
# the swaps.  A queue is never polled by two PMDs at once: the debug builds' check (pmd.c:
# "in another PMD's pass") would abort vireo-dp; in the ASan build a queue polled twice can
# also corrupt the driver's state.  vireo-dp keeps running, each queue is shown once, and
# its PMDs keep receiving.
. "$(dirname "$0")/lib.sh"

[ "$(nproc)" -ge 2 ] || skip_all "needs 2 cores"
ROUNDS=${VIREO_RXQMOVE_ROUNDS:-20}

# conf PINS: n0's pmd-rxq-affinity.
conf() {
	cat <<EOC
other_config:
  dpdk-lcore-mask: "0x1"
  pmd-cpu-mask: "0x3"
  pmd-rxq-isolate: "false"
  dpdk-extra: "--file-prefix=$PREFIX --no-pci -m 512"
  openflow-rundir: $RUN
bridges:
  br0:
    ports:
      n0: {type: dpdk, options: {dpdk-devargs: net_null0, n_rxq: "2"}, other_config: {pmd-rxq-affinity: "$1"}}
      n1: {type: dpdk, options: {dpdk-devargs: net_null1, n_rxq: "2"}}
EOC
}
# core_of PORT QUEUE: the core whose PMD polls it, as pmd-rxq-show says.
core_of() { ctl pmd-rxq-show | awk -v p="$1" -v q="$2" '/core_id/ { c = $NF; sub(":", "", c) }
	$1 == "port:" && $2 == p && $4 == q { print c }'; }
rx() { ctl pmd-stats-show | awk '/packets received/ { n += $3 } END { print n + 0 }'; }

conf "0:0,1:1" >"$RUN/dp.yaml"
check "vireo-dp starts: two PMDs, two net_null ports of two queues" start_dp "$RUN/dp.yaml"
check "n0's queue 0 on core 0, queue 1 on core 1" \
	eval 'test "$(core_of n0 0)" = 0 && test "$(core_of n0 1)" = 1'
moved=0
for ((i = 1; i <= ROUNDS; i++)); do
	if ((i % 2)); then pins="0:1,1:0" want=1; else pins="0:0,1:1" want=0; fi
	conf "$pins" >"$RUN/dp.yaml"
	kill -HUP "$DP_PID"
	wait_until 30 eval 'test "$(grep -c "reloaded " "$RUN/dp.log")" -ge $i' || break
	[ "$(core_of n0 0)" = "$want" ] && moved=$((moved + 1))
	for _ in 1 2 3; do ctl pmd-rxq-rebalance >/dev/null || break 2; done
	kill -0 "$DP_PID" 2>/dev/null || break
done
check "$ROUNDS swaps of n0's queues between the PMDs, each followed by pmd-rxq-rebalance" \
	test "$moved" = "$ROUNDS"
check "no rx queue was in two PMDs' passes at once" \
	eval '! grep -q "in another PMD.s pass" "$RUN/dp.log"'
check "vireo-dp is still running" kill -0 "$DP_PID"
check "pmd-rxq-show: each of the four queues on exactly one PMD" \
	eval 'test "$(ctl pmd-rxq-show | grep -c "port: n[01] ")" = 4'
r0=$(rx)
sleep 1
check "the PMDs still receive ($r0 -> $(rx) packets)" eval 'test "$(rx)" -gt "$r0"'
check "SIGTERM: vireo-dp exits 0" stop_dp
finish
