#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# pmd-auto-lb (Open_vSwitch other_config): four ports on two PMDs, placed while idle by
# "cycles" (p1 and p4 on core 0, p2 and p3 on core 1); then a flood ping between p1's and
# p4's namespaces loads core 0 alone.  With the thresholds at 0 % the next check (after the
# 1-minute interval) finds the load better spread by a new placement, says so in the log and
# moves one of them to core 1; with pmd-auto-lb off nothing moves.
. "$(dirname "$0")/lib.sh"

for i in 1 2 3 4; do
	netns_add "al$$$i" "10.91.0.$i" "02:00:00:00:91:0$i" || { fail "netns"; finish; }
done
# core_of PORT: the core whose PMD polls PORT's queue 0.
core_of() { ctl pmd-rxq-show | awk -v p="$1" '/core_id/ { c = $NF; sub(":", "", c) }
	$1 == "port:" && $2 == p { print c; exit }'; }
write_cfg() {
	cat >"$RUN/dp.yaml" <<EOC
other_config:
  dpdk-lcore-mask: "0x1"
  pmd-cpu-mask: "0x3"
  dpdk-extra: "--file-prefix=$PREFIX --no-pci -m 512"
  pmd-auto-lb: "$1"
  pmd-auto-lb-load-threshold: "0"
  pmd-auto-lb-improvement-threshold: "0"
  pmd-auto-lb-rebal-interval: "1"
bridges:
  br0:
    ports:
EOC
	for i in 1 2 3 4; do
		echo "      p$i: {type: dpdk, options: {dpdk-devargs: \"net_af_packet$i,iface=v-al$$$i\"}}"
	done >>"$RUN/dp.yaml"
}

write_cfg false
check "vireo-dp starts with four ports on two PMDs" start_dp "$RUN/dp.yaml"
started=$EPOCHREALTIME
check "placed while idle: p1 and p4 on core 0, p2 and p3 on core 1" \
	eval 'test "$(core_of p1)$(core_of p2)$(core_of p3)$(core_of p4)" = 0110'
check "ping through the bridge" ping_ok "al${$}1" 10.91.0.4 5 0.1
ip netns exec "al${$}1" ping -f -W 1 10.91.0.4 >/dev/null 2>&1 &
FLOOD=$!
PIDS+=("$FLOOD")
# pmd-auto-lb off: nothing moves.  vireo-dp's main thread looks every 10 s, the first time
# within a second of serving (its 1 s timer); had it taken pmd-auto-lb as on, it would have
# re-placed the queues at its look one interval (60 s) after that first one.  The check comes
# 66 s after the start, with the flood loading core 0: past that look, with margin, and
# before the next one (at 70 s), where pmd-auto-lb, turned on just after the check, starts
# its first interval.
sleep "$(awk -v s="$started" -v n="$EPOCHREALTIME" 'BEGIN { d = s + 66 - n; print (d > 0 ? d : 0) }')"
check "pmd-auto-lb off: 66 s after the start, under load on core 0, the queues stay" \
	eval 'test "$(core_of p1)$(core_of p4)" = 00 && ! grep -q "auto load balance:" "$RUN/dp.log"'
write_cfg true
kill -HUP "$DP_PID"
check "pmd-auto-lb on: the log says so, with the interval and thresholds" \
	wait_until 10 grep -q "PMD auto load balance is enabled, interval 1 mins, pmd load threshold 0%, improvement threshold 0%" "$RUN/dp.log"
# Which of the two moves depends on which carried more in the last measurement.
check "within a few intervals p1 and p4 are on different PMDs" \
	wait_until 240 eval 'test -n "$(core_of p1)" && test "$(core_of p1)" != "$(core_of p4)"' ||
	{ ctl pmd-rxq-show; grep "auto load" "$RUN/dp.log"; }
check "the log says why" grep -q "PMD auto load balance: core 0 was [0-9]*% busy; re-placing the rx queues improves the load variance by [0-9]*%" "$RUN/dp.log"
check "traffic still flows" ping_ok "al${$}4" 10.91.0.1 5 0.1
kill "$FLOOD" 2>/dev/null
write_cfg false
kill -HUP "$DP_PID"
check "pmd-auto-lb off again: logged" \
	wait_until 10 grep -q "PMD auto load balance is disabled" "$RUN/dp.log"
stop_dp
finish
