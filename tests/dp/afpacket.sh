#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Two network namespaces wired through vireo-dp by net_af_packet ports: MAC learning,
# ping with 0% loss, fdb/show, statistics, frames over the output port's MTU dropped and
# counted, ovs-appctl against the control socket, a clean SIGTERM shutdown.
. "$(dirname "$0")/lib.sh"

netns_add ns1 10.99.0.1 02:00:00:00:00:01 || { fail "netns"; finish; }
netns_add ns2 10.99.0.2 02:00:00:00:00:02 || { fail "netns"; finish; }
cat >"$RUN/dp.yaml" <<EOC
$(other_config)
bridges:
  br0:
    ports:
      p1: {type: dpdk, options: {dpdk-devargs: "net_af_packet1,iface=v-ns1"}}
      p2: {type: dpdk, options: {dpdk-devargs: "net_af_packet2,iface=v-ns2"}}
EOC
check "vireo-dp starts" start_dp "$RUN/dp.yaml"
check "ping ns1 -> ns2 through MAC learning, 0% loss" ping_ok ns1 10.99.0.2 20 0.05
check "ping ns2 -> ns1, 0% loss" ping_ok ns2 10.99.0.1 10 0.05
fdb=$(ctl fdb/show br0)
check "fdb/show learned ns1's MAC on ofport 1" grep -Eq "^ +1 +0 +02:00:00:00:00:01" <<<"$fdb"
check "fdb/show learned ns2's MAC on ofport 2" grep -Eq "^ +2 +0 +02:00:00:00:00:02" <<<"$fdb"
ports=$(ctl dump-ports br0)
check "dump-ports counts packets on p1" \
	bash -c "grep -A0 'port p1' <<<\"$ports\" | grep -Eq 'rx pkts=[1-9]'"
stats=$(ovs-appctl -t "$CTL" dpif-netdev/pmd-stats-show 2>&1)
check "ovs-appctl -t SOCKET dpif-netdev/pmd-stats-show answers" \
	grep -q "pmd thread numa_id 0 core_id 1:" <<<"$stats"
for line in "packets received" "avg cycles per packet" "avg processing cycles per packet" \
		"idle cycles" "processing cycles" "avg. packets per output batch"; do
	check "pmd-stats-show has '$line'" grep -q "  $line: " <<<"$stats"
done
check "pmd-stats-show -pmd 1 selects the PMD on core 1" \
	bash -c "ovs-appctl -t '$CTL' dpif-netdev/pmd-stats-show -pmd 1 | grep -q 'core_id 1:'"
check "pmd-stats-show -pmd 0: no PMD there, exit 2" \
	bash -c "ovs-appctl -t '$CTL' dpif-netdev/pmd-stats-show -pmd 0 >/dev/null 2>&1; [ \$? -eq 2 ]"
rx=$(sed -n 's/^  packets received: \([0-9]*\)$/\1/p' <<<"$stats")
check "pmd-stats-show counted the pings (packets received: $rx >= 60)" test "${rx:-0}" -ge 60
check "vireoctl pmd-stats-show (short name) answers" bash -c "ctl() { \"$VIREOCTL\" -t \"$CTL\" \"\$@\"; }; ctl pmd-stats-show | grep -q 'avg processing cycles per packet'"
ctl pmd-stats-clear >/dev/null
rx=$(ctl pmd-stats-show | sed -n 's/^  packets received: \([0-9]*\)$/\1/p')
check "pmd-stats-clear resets packets received ($rx)" test "${rx:-1}" -lt 5
rxq=$(ovs-appctl -t "$CTL" dpif-netdev/pmd-rxq-show)
check "pmd-rxq-show lists p1 and p2 on the PMD" \
	bash -c "grep -q 'port: p1 ' <<<\"$rxq\" && grep -q 'port: p2 ' <<<\"$rxq\""
check "show lists both ports with link state" bash -c "\"$VIREOCTL\" -t \"$CTL\" show | grep -q 'port p2: ofport 2, type dpdk, link up'"
json=$(ctl --json pmd-stats-show)
check "--json pmd-stats-show is JSON with packets_received" \
	python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert 'packets_received' in d['pmds'][0]" "$json"
# A frame over the output port's MTU is dropped and counted at transmit, as Open vSwitch's
# netdev-dpdk does (not handed to a device that would send or lose it unseen): ns2's side
# takes 2000 bytes, p1 keeps the default 1500.
ip -n ns2 link set eth0 mtu 2000
ip link set v-ns2 mtu 2000
txdrop() { ctl dump-ports br0 | sed -n '/port p1 /,/tx pkts/s/.*tx pkts=.*, drop=\([0-9]*\),.*/\1/p'; }
d0=$(txdrop)
ip netns exec ns2 ping -c 5 -i 0.05 -W 1 -M do -s 1600 10.99.0.1 >/dev/null 2>&1
d1=$(txdrop)
check "frames over p1's MTU are dropped at its transmit and counted (tx drop $d0 -> $d1)" \
	test "$(( ${d1:-0} - ${d0:-0} ))" -ge 5
check "... and frames within it still pass" ping_ok ns2 10.99.0.1 5 0.05
ver=$(ovs-appctl -t "$CTL" version)
check "version names vireo-dp and DPDK" grep -q "vireo-dp .*DPDK" <<<"$ver"
kill -TERM "$DP_PID"
wait "$DP_PID"
rc=$?
check "SIGTERM: exit status 0 (was $rc)" test "$rc" -eq 0
check "SIGTERM: control socket removed" test ! -e "$CTL"
finish
