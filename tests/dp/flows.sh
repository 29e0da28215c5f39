#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# OpenFlow rules in vireo-dp: rules from the config forward, dump-flows counts, add-flow and
# add-flows FILE at run time, a bad rule is refused without touching the table, del-flows.
. "$(dirname "$0")/lib.sh"

netns_add fl1 10.96.0.1 02:00:00:00:01:01 || fail "netns"
netns_add fl2 10.96.0.2 02:00:00:00:01:02 || fail "netns"
netns_add fl3 10.96.0.3 02:00:00:00:01:03 || fail "netns"
cat >"$RUN/dp.yaml" <<EOC
$(other_config)
bridges:
  br0:
    ports:
      p1: {type: dpdk, options: {dpdk-devargs: "net_af_packet1,iface=v-fl1"}}
      p2: {type: dpdk, options: {dpdk-devargs: "net_af_packet2,iface=v-fl2"}}
      p3: {type: dpdk, options: {dpdk-devargs: "net_af_packet3,iface=v-fl3"}}
    flows:
      - "priority=10,in_port=p1,actions=output:p2"
      - "priority=10,in_port=p2,actions=output:p1"
EOC
check "vireo-dp starts with flows" start_dp "$RUN/dp.yaml"
check "p1 <-> p2 by in_port rules: ping 0% loss" ping_ok fl1 10.96.0.2 10 0.05
check "p3 has no rule: fl3 cannot reach fl1" \
	bash -c "! ip netns exec fl3 ping -q -c 2 -i 0.2 -W 1 10.96.0.1 >/dev/null"
dump=$(ctl dump-flows br0)
echo "$dump"
check "dump-flows shows the p1 rule with n_packets" \
	grep -Eq "n_packets=[1-9][0-9]*, n_bytes=[1-9][0-9]*.*priority=10,in_port=(p1|1) actions=output:(p2|2)" <<<"$dump"
out=$(ctl add-flow br0 "priority=20,in_port=p3,nw_srcx=1,actions=drop" 2>&1)
check "a bad rule is refused naming the field ($out)" grep -q "nw_srcx" <<<"$out"
n=$(ctl dump-flows br0 | grep -c "priority=")
check "the table is unchanged after the bad rule ($n rules)" test "$n" -eq 2
cat >"$RUN/more.flows" <<'EOC'
# p3 joins: everything from p3 goes to p1, ARP and IP from p1 to 10.96.0.3 go to p3
priority=20,in_port=p3,actions=output:p1
priority=30,in_port=p1,arp,arp_tpa=10.96.0.3,actions=output:p3
priority=30,in_port=p1,ip,nw_dst=10.96.0.3,actions=output:p3
EOC
out=$(ctl add-flows br0 "$RUN/more.flows" 2>&1)
check "add-flows FILE ($out)" test -z "$out"
# The PMD takes the new table at its next burst, and fl3's neighbour entry for fl1 failed
# a moment ago: under emulation (the arm64 test host) the first replies may come late.
check "fl3 now reaches fl1 through the new rules" \
	eval 'for _ in 1 2 3; do ping_ok fl3 10.96.0.1 5 0.1 && break; done'
printf 'priority=5,in_port=p2,actions=drop\npriority=5,in_port=p2,bogus=1,actions=drop\n' \
	>"$RUN/bad.flows"
out=$(ctl add-flows br0 "$RUN/bad.flows" 2>&1)
check "add-flows with a bad line 2: refused naming file and line ($out)" \
	grep -q "bad.flows:2" <<<"$out"
n=$(ctl dump-flows br0 | grep -c "priority=")
check "add-flows is atomic: no rule of the bad file was added ($n rules)" test "$n" -eq 5
ctl del-flows br0 "in_port=p3" >/dev/null
n=$(ctl dump-flows br0 | grep -c "priority=")
check "del-flows in_port=p3 removed one rule ($n left)" test "$n" -eq 4
check "p1 <-> p2 still forward after the changes" ping_ok fl2 10.96.0.1 5 0.1
ctl del-flows br0 >/dev/null
show=$(ctl show)
check "del-flows without match empties the table: MAC learning" grep -q "no flows (MAC learning)" <<<"$show"
check "MAC learning forwards fl3 <-> fl2" ping_ok fl3 10.96.0.2 5 0.1
ovs=$(ovs-appctl -t "$CTL" dpif-netdev/pmd-stats-show)
check "pmd-stats-show counts MAC learning and classifier hits" \
	bash -c "grep -Eq 'mac learning hits: [1-9]' <<<'$ovs' && grep -Eq '(emc|megaflow) hits: [1-9]' <<<'$ovs'"
# A rule whose action is NORMAL: the classifier hands the packets to MAC learning.
out=$(ctl add-flow br0 "priority=0,actions=NORMAL" 2>&1)
check "add-flow actions=NORMAL ($out)" test -z "$out"
check "actions=NORMAL forwards fl3 <-> fl1" ping_ok fl3 10.96.0.1 5 0.1
check "the NORMAL rule counted the packets" \
	grep -Eq "n_packets=[1-9][0-9]*,.*actions=NORMAL" <<<"$(ctl dump-flows br0)"
# Groups and meters changed with vireoctl reach the PMDs as rules do: deleting a group or a
# meter deletes the rules that use it, and a bridge left without rules learns MACs again.
ctl del-flows br0 >/dev/null
check "add-group 1: every packet to p1" ctl add-group br0 "group_id=1,type=all,bucket=output:1"
check "add-flow actions=group:1" ctl add-flow br0 "priority=0,actions=group:1"
check "through group 1, fl3 cannot reach fl2" \
	bash -c "! ip netns exec fl3 ping -q -c 2 -i 0.2 -W 1 10.96.0.2 >/dev/null"
check "del-groups" ctl del-groups br0
check "... deleted the group's rule: show says MAC learning" \
	grep -q "no flows (MAC learning)" <<<"$(ctl show)"
check "... and the PMDs learn MACs again: fl3 <-> fl2" ping_ok fl3 10.96.0.2 5 0.1
check "add-meter 1" ctl add-meter br0 "meter=1,pktps,bands=type=drop,rate=1"
check "add-flow actions=meter:1 (no output)" ctl add-flow br0 "priority=0,actions=meter:1"
check "under the meter rule, fl3 cannot reach fl2" \
	bash -c "! ip netns exec fl3 ping -q -c 2 -i 0.2 -W 1 10.96.0.2 >/dev/null"
check "del-meters" ctl del-meters br0
check "... deleted the meter's rule: show says MAC learning" \
	grep -q "no flows (MAC learning)" <<<"$(ctl show)"
check "... and the PMDs learn MACs again: fl3 <-> fl1" ping_ok fl3 10.96.0.1 5 0.1
# mod-flows can turn rules that only read packets into rules that write them: the snapshot
# (its 'borrow') is made again, which coverage/show's bridge_publish counts.
published() { ovs-appctl -t "$CTL" coverage/show | awk '$1 == "bridge_publish" { print $NF }'; }
ctl add-flow br0 "priority=0,actions=NORMAL" >/dev/null
before=$(published)
check "mod-flows to a rewrite" ctl mod-flows br0 "actions=mod_dl_src:02:00:00:00:01:09,NORMAL"
after=$(published)
check "mod-flows publishes the bridge again (bridge_publish $before -> $after)" \
	test "${after:-0}" -gt "${before:-0}"
finish
