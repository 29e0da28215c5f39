#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# VLANs set with ovs-vsctl (Port tag, trunks, vlan_mode) on vireo-dp --ovsdb: access ports
# of one VLAN reach each other and not another VLAN's; a host on a trunk port reaches them
# with tagged frames (tests/dp/vlan_host.py: this kernel has no 8021q module); changing a tag moves the port at once without reopening it;
# dot1q-tunnel is refused with its error in ovs-vsctl list Interface.
# SWITCH=ovs runs the same checks against Open vSwitch's ovs-vswitchd with DPDK (those
# about vireo-dp's own log and refusals are skipped there).
. "$(dirname "$0")/../dp/lib.sh"
. "$(dirname "$0")/lib-ovsdb.sh"

vlan_ns() { # vlan_ns NS IP
	netns_add "$1" "$2" || return 1
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
}
# vhost NS VID SRC DST [COUNT]: a host on VLAN VID behind NS's eth0 pings DST, tags both ways.
vhost() {
	ip netns exec "$1" python3 "$(dirname "$0")/../dp/vlan_host.py" eth0 "$2" "$3" "$4" "${5:-5}"
}
vhost2() { vhost "$@" || { echo "(retrying once)"; vhost "$@"; }; }
no_ping() { ! ip netns exec "$1" ping -q -c 3 -i 0.2 -W 1 "$2" >/dev/null 2>&1; }
ping2() { ping_ok "$@" || { echo "(retrying once)"; ping_ok "$@"; }; }
af() { echo "type=dpdk options:dpdk-devargs=net_af_packet$1,iface=v-$2"; }

A=ov$$a B=ov$$b C=ov$$c TR=ov$$t
BR=vb$$   # the name of the netdev datapath's tap device under Open vSwitch: unique
vlan_ns "$A" 10.94.0.1 && vlan_ns "$B" 10.94.0.2 && vlan_ns "$C" 10.94.0.3 &&
	vlan_ns "$TR" 10.93.0.4 || { fail "netns"; finish; }

check "ovsdb-server and vireo-dp --ovsdb start" ovsdb_dp_start
check "add-br, ports with tag=100, tag=100, tag=200, trunks=100,200" \
	eval 'vsctl add-br $BR -- set bridge $BR datapath_type=netdev \
	-- add-port $BR pa tag=100 -- set Interface pa $(af 1 "$A") \
	-- add-port $BR pb tag=100 -- set Interface pb $(af 2 "$B") \
	-- add-port $BR pc tag=200 -- set Interface pc $(af 3 "$C") \
	-- add-port $BR pt trunks=100,200 -- set Interface pt $(af 4 "$TR")'
check "VLAN 100 access <-> access: ping 0% loss" ping2 "$A" 10.94.0.2 10 0.05
check "VLAN 100 cannot reach tag=200 in the same subnet" no_ping "$A" 10.94.0.3
check "trunk, VLAN 100 -> VLAN 100 access: 5/5 echoes, tagged both ways" \
	vhost2 "$TR" 100 10.94.0.4 10.94.0.1
ofport=$(get Interface pc ofport)
check "set Port pc tag=100 completes" vsctl set Port pc tag=100
check "... pc now reaches VLAN 100: ping 0% loss" ping2 "$A" 10.94.0.3 10 0.05
is_vireo && check "... without reopening the port (same ofport $ofport, not deleted)" \
	eval 'test "$(get Interface pc ofport)" = "$ofport" && ! grep -q "port pc: deleted" "$RUN/dp.log"'
check "set Port pb tag=300: pb leaves VLAN 100" \
	eval 'vsctl set Port pb tag=300 && no_ping "$A" 10.94.0.2'
check "trunks=200 on pt: the trunk no longer carries VLAN 100" \
	eval 'vsctl set Port pt trunks=200 && ! vhost "$TR" 100 10.94.0.4 10.94.0.1 2'
if is_vireo; then
	check "vlan_mode=dot1q-tunnel refused: error names vlan_mode" \
		eval 'vsctl set Port pc vlan_mode=dot1q-tunnel &&
		test "$(get Interface pc ofport)" = -1 && vsctl list Interface pc |
		grep -E "^error" | grep -q "vlan_mode.*dot1q-tunnel.*refused"'
	check "vlan_mode cleared: pc works again in VLAN 100" \
		eval 'vsctl clear Port pc vlan_mode && ping2 "$A" 10.94.0.3 5 0.05'
fi
kill -TERM "$DP_PID"
wait "$DP_PID"
rc=$?
is_vireo && check "SIGTERM: vireo-dp exits 0 (was $rc)" test "$rc" -eq 0
# Open vSwitch's netdev datapath leaves its tap devices behind.
is_vireo || { ip link del "$BR" 2>/dev/null; pgrep -f "^[^ ]*ovs-vswitchd" >/dev/null ||
	ip link del ovs-netdev 2>/dev/null; }
[ "$n_fail" -eq 0 ] || { echo "--- switch log (tail)"; tail -n 30 "$RUN/dp.log"; }
finish
