#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Patch ports (Interface type=patch, options:peer) between two bridges: namespaces on each
# bridge ping across; MAC learning sees the far side behind the patch port; deleting one
# end stops forwarding cleanly (link down, the switch and the other ports go on) and adding
# it back restores it; a loop of two patch pairs does not hang the PMD.  Then the same wire
# made with ovs-vsctl (SWITCH=ovs: against Open vSwitch's ovs-vswitchd with DPDK).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../ovsdb/lib-ovsdb.sh"

no_ping() { ! ip netns exec "$1" ping -q -c 3 -i 0.2 -W 1 "$2" >/dev/null 2>&1; }
ping2() { ping_ok "$@" || { echo "(retrying once)"; ping_ok "$@"; }; }
A=pa$$a B=pa$$b C=pa$$c
netns_add "$A" 10.91.0.1 && netns_add "$B" 10.91.0.2 && netns_add "$C" 10.91.0.3 ||
	{ fail "netns"; finish; }
macB=$(ip -n "$B" -br link show eth0 | awk '{print $3}')

if is_vireo; then
	cat >"$RUN/dp.yaml" <<EOC
$(other_config)
bridges:
  br0:
    ports:
      pa: {type: dpdk, options: {dpdk-devargs: "net_af_packet1,iface=v-$A"}}
      pc: {type: dpdk, options: {dpdk-devargs: "net_af_packet3,iface=v-$C"}}
      patch0: {type: patch, options: {peer: patch1}, ofport_request: 10}
  br1:
    ports:
      pb: {type: dpdk, options: {dpdk-devargs: "net_af_packet2,iface=v-$B"}}
      patch1: {type: patch, options: {peer: patch0}}
EOC
	check "vireo-dp starts with a patch pair between br0 and br1" start_dp "$RUN/dp.yaml"
	check "show: patch0 and patch1 have their link up" \
		eval 'ctl show | grep -q "port patch0: ofport 10, type patch, link up" &&
		ctl show | grep -q "port patch1: ofport [0-9]*, type patch, link up"'
	check "ping br0's namespace -> br1's across the patch ports, 0% loss" \
		ping2 "$A" 10.91.0.2 20 0.05
	check "ping back, 0% loss" ping2 "$B" 10.91.0.1 10 0.05
	check "br0 learned br1's namespace behind patch0 (ofport 10)" \
		eval 'ctl fdb/show br0 | grep -Eq "^ +10 +0 +$macB"'
	check "dump-ports: patch0 sent and patch1 received packets" \
		eval 'ctl dump-ports br0 patch0 | grep -Eq "tx pkts=[1-9]" &&
		ctl dump-ports br1 patch1 | grep -Eq "rx pkts=[1-9]"'
	check "--check refuses a patch port without peer, naming the option" \
		eval 'printf "bridges:\n  b:\n    ports:\n      x: {type: patch}\n" >"$RUN/bad.yaml" &&
		"$VIREO_DP" --config "$RUN/bad.yaml" --check 2>&1 | grep -q "options:peer. is required"'

	check "del-port patch1 completes" eval 'ctl del-port patch1 >/dev/null'
	check "... br0 no longer reaches br1" no_ping "$A" 10.91.0.2
	check "... patch0's link is down, br0's other ports still forward" \
		eval 'ctl show | grep -q "port patch0: ofport 10, type patch, link down" &&
		ping2 "$A" 10.91.0.3 5 0.05'
	check "add-port patch1 back: forwarding across resumes" \
		eval 'ctl add-port br1 patch1 type=patch options:peer=patch0 >/dev/null &&
		ping2 "$A" 10.91.0.2 10 0.05'

	# Two patch pairs between the same bridges: every broadcast loops, as a cable loop
	# would.  The budget per received burst ends each loop; the PMD and the control
	# socket stay alive.
	check "a second patch pair (a loop) is added" \
		eval 'ctl add-port br0 loop0 type=patch options:peer=loop1 >/dev/null &&
		ctl add-port br1 loop1 type=patch options:peer=loop0 >/dev/null'
	ip netns exec "$A" ping -q -c 5 -i 0.2 -W 1 10.91.0.99 >/dev/null 2>&1
	check "... the loop does not hang vireo-dp (it answers, its PMD runs)" \
		eval 'timeout 5 "$VIREOCTL" -t "$CTL" pmd-stats-show | grep -q "packets received"'
	check "... loop removed: forwarding across again" \
		eval 'ctl del-port loop0 >/dev/null && ctl fdb/flush >/dev/null &&
		wait_until 5 ping_ok "$A" 10.91.0.2 5 0.05'
	stop_dp
	check "vireo-dp stops cleanly (status 0)" test "$?" -eq 0
	rm -f "$CTL"
fi

# The same wire made with ovs-vsctl.
B0=pb$$x B1=pb$$y
check "ovsdb-server and the switch start ($SWITCH)" ovsdb_dp_start
check "two bridges joined by a patch pair, made with ovs-vsctl" \
	vsctl add-br "$B0" -- set bridge "$B0" datapath_type=netdev \
	-- add-br "$B1" -- set bridge "$B1" datapath_type=netdev \
	-- add-port "$B0" pa -- set Interface pa type=dpdk \
	options:dpdk-devargs="net_af_packet1,iface=v-$A" \
	-- add-port "$B1" pb -- set Interface pb type=dpdk \
	options:dpdk-devargs="net_af_packet2,iface=v-$B" \
	-- add-port "$B0" patch0 -- set Interface patch0 type=patch options:peer=patch1 \
	-- add-port "$B1" patch1 -- set Interface patch1 type=patch options:peer=patch0
check "patch0 has an ofport and no error" \
	eval 'is_positive "$(get Interface patch0 ofport)" && test -z "$(iface_error patch0)"'
check "ping across the patch pair, 0% loss" ping2 "$A" 10.91.0.2 10 0.05
check "del-port patch1: forwarding across stops" \
	eval 'vsctl del-port "$B1" patch1 && no_ping "$A" 10.91.0.2'
kill -TERM "$DP_PID"
wait "$DP_PID"
is_vireo || { ip link del "$B0" 2>/dev/null; ip link del "$B1" 2>/dev/null
	pgrep -f "^[^ ]*ovs-vswitchd" >/dev/null || ip link del ovs-netdev 2>/dev/null; }
[ "$n_fail" -eq 0 ] || { echo "--- switch log (tail)"; tail -n 30 "$RUN/dp.log"; }
finish
