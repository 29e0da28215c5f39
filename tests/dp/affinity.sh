#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# pmd-rxq-affinity (Interface other_config "QUEUE:CORE,..."): a pinned rx queue is polled by
# that core's PMD, which is then isolated (pmd-rxq-show: "isolated : true") and polls no
# other queue; unpinned queues go to the other PMDs; a pin to a core without a PMD is
# placed as unpinned with a warning.  From YAML (a port's other_config) and ovs-vsctl.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../ovsdb/lib-ovsdb.sh"
BR=ab$$   # the bridge's local port is a kernel device: a name no other process holds

A=af$$a B=af$$b
netns_add "$A" 10.90.0.1 && netns_add "$B" 10.90.0.2 || { fail "netns"; finish; }
# core_of PORT: the core whose PMD polls PORT's queue 0; isolated_of CORE: true/false.
core_of() { ctl pmd-rxq-show | awk -v p="$1" '/core_id/ { c = $NF; sub(":", "", c) }
	$1 == "port:" && $2 == p { print c; exit }'; }
isolated_of() { ctl pmd-rxq-show | awk -v c="core_id $1:" 'index($0, c) { f = 1; next }
	f && /isolated/ { print $3; exit }'; }

write_cfg() {
	cat >"$RUN/dp.yaml" <<EOC
other_config:
  dpdk-lcore-mask: "0x1"
  pmd-cpu-mask: "0x3"
  dpdk-extra: "--file-prefix=$PREFIX --no-pci -m 512"
bridges:
  $BR:
    ports:
      p1: {type: dpdk, options: {dpdk-devargs: "net_af_packet1,iface=v-$A"}$1}
      p2: {type: dpdk, options: {dpdk-devargs: "net_af_packet2,iface=v-$B"}}
EOC
}
write_cfg ", other_config: {pmd-rxq-affinity: \"0:1\"}"
check "vireo-dp starts with p1's queue 0 pinned to core 1" start_dp "$RUN/dp.yaml"
check "pmd-rxq-show: p1 on core 1, p2 on core 0" \
	eval 'test "$(core_of p1)" = 1 && test "$(core_of p2)" = 0'
check "pmd-rxq-show: core 1 isolated : true, core 0 isolated : false" \
	eval 'test "$(isolated_of 1)" = true && test "$(isolated_of 0)" = false'
check "traffic flows between the pinned and the unpinned port" \
	eval 'ping_ok "$A" 10.90.0.2 10 0.05 || ping_ok "$A" 10.90.0.2 10 0.05'
write_cfg ", other_config: {pmd-rxq-affinity: \"0:7\"}"
kill -HUP "$DP_PID"
check "SIGHUP, pinned to core 7 (no PMD): warning, no PMD isolated" \
	eval 'wait_until 5 grep -q "pinned to core 7, which has no PMD" "$RUN/dp.log" &&
	test "$(isolated_of 1)" = false && test "$(isolated_of 0)" = false'
write_cfg ""
kill -HUP "$DP_PID"
check "SIGHUP without the pin: no PMD isolated" \
	wait_until 5 eval 'test "$(isolated_of 1)" = false && test "$(isolated_of 0)" = false &&
	test -n "$(core_of p1)"'
stop_dp
rm -f "$CTL"

check "ovsdb-server and vireo-dp --ovsdb start" ovsdb_dp_start
check "ports added with ovs-vsctl, two PMDs" vsctl_two_afpacket "$BR" 0x3 "$A" "$B"
check "set Interface p2 other_config:pmd-rxq-affinity=0:0: p2 on core 0, isolated" \
	eval 'vsctl set Interface p2 other_config:pmd-rxq-affinity=0:0 &&
	test "$(core_of p2)" = 0 && test "$(isolated_of 0)" = true && test "$(core_of p1)" = 1'
check "a malformed value fails the port, naming the key" \
	eval 'vsctl set Interface p2 other_config:pmd-rxq-affinity=zero &&
	iface_error p2 | grep -q "Interface:other_config:pmd-rxq-affinity.*bad value"'

# pmd-rxq-assign and pmd-rxq-isolate (Open_vSwitch other_config).  Two queues a port;
# "roundrobin" deals them in port order whatever their load: p1 q0, p1 q1, p2 q0, p2 q1 to
# cores 0, 1, 0, 1, or 1, 0, 1, 0 when the bridge's LOCAL port (an internal port with one
# queue) was dealt first.  (The load-driven "cycles" and "group" are checked in tests/pmd.)
# qcore PORT QUEUE: the core whose PMD polls that queue.
qcore() { ctl pmd-rxq-show | awk -v p="$1" -v q="$2" '/core_id/ { c = $NF; sub(":", "", c) }
	$1 == "port:" && $2 == p && $4 + 0 == q { print c; exit }'; }
placement() { echo "$(qcore p1 0)$(qcore p1 1)$(qcore p2 0)$(qcore p2 1)"; }
# n_on_core CORE: how many queues that core's PMD polls.
n_on_core() { ctl pmd-rxq-show | awk -v c="core_id $1:" '/core_id/ { f = index($0, c) > 0; next }
	f && $1 == "port:" { n++ } END { print n + 0 }'; }
alternating() { case $(placement) in 0101|1010) return 0 ;; esac; return 1; }
check "n_rxq=2 on both ports, pmd-rxq-assign=roundrobin: queues dealt alternately" \
	eval 'vsctl remove Interface p2 other_config pmd-rxq-affinity -- \
	set Interface p1 options:dpdk-devargs="net_af_packet1,iface=v-$A,qpairs=2" \
	options:n_rxq=2 -- set Interface p2 options:n_rxq=2 \
	options:dpdk-devargs="net_af_packet2,iface=v-$B,qpairs=2" -- \
	set Open_vSwitch . other_config:pmd-rxq-assign=roundrobin &&
	wait_until 10 alternating'
alternating || { ctl pmd-rxq-show; iface_error p1; iface_error p2; }
check "the log says how queues are placed" \
	grep -q "pmd-rxq-assign=roundrobin, pmd-rxq-isolate=true: re-placing" "$RUN/dp.log"
check "p1 q0 pinned to core 1: core 1 isolated, the other three queues on core 0" \
	eval 'vsctl set Interface p1 other_config:pmd-rxq-affinity=0:1 &&
	wait_until 10 eval "test \"\$(placement)\" = 1000" && test "$(isolated_of 1)" = true'
check "pmd-rxq-isolate=false: core 1 keeps its pin and polls other queues too" \
	eval 'vsctl set Open_vSwitch . other_config:pmd-rxq-isolate=false &&
	wait_until 10 eval "test \"\$(isolated_of 1)\" = false && test \"\$(qcore p1 0)\" = 1 &&
	test \"\$(n_on_core 1)\" -gt 1"'
check "traffic still flows" \
	eval 'ping_ok "$A" 10.90.0.2 10 0.05 || ping_ok "$A" 10.90.0.2 10 0.05'
check "pmd-rxq-assign=cygles is refused in the log, naming it; roundrobin kept" \
	eval 'vsctl set Open_vSwitch . other_config:pmd-rxq-assign=cygles &&
	wait_until 10 grep -q "other_config:pmd-rxq-assign=cygles ignored.*keeping roundrobin" \
	"$RUN/dp.log" && test "$(qcore p1 0)" = 1'
kill -TERM "$DP_PID"
wait "$DP_PID"
finish
