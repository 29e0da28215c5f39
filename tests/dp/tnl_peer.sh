#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# One ovs-vsctl and ovs-ofctl script for native VXLAN tunnelling, run against vireo-dp
# --ovsdb and (SWITCH=ovs) Open vSwitch's ovs-vswitchd with DPDK, the same checks for both.
# Namespace U is the remote host: its eth0 (172.31.14.2) is cabled to the underlay bridge
# $BP (af_packet port "phy"), whose internal port holds the host's 172.31.14.1, and it has
# the kernel's own vxlan device (VNI 42, 10.207.0.2).  Namespace V (10.207.0.1, MTU 1450) is
# on the overlay bridge $BN with the vxlan port vx0 (options remote_ip, local_ip, key).
# Checked: pings both ways with the default NORMAL rules, then through OpenFlow rules that
# ovs-ofctl adds (receive matched on tun_id, a rule for another tun_id matching nothing);
# the route, the next hop learnt by ARP and the listening port in ovs/route/show,
# tnl/arp/show and tnl/ports/show; TCP both ways; no outer UDP checksum over IPv4 until
# options:csum=true, then a right one (tcpdump judges).  Then a gtpu port (key=flow,
# packet_type=legacy_l3) against a base station played by scapy (gtpu_peer.py): uplink
# G-PDUs on TEID 100 popped to V by an ovs-ofctl rule, V's replies pushed with the TEID
# another rule sets (200), checked by scapy.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../ovsdb/lib-ovsdb.sh"
is_vireo || [ -x "$OVS_VSWITCHD" ] || skip_all "no $OVS_VSWITCHD"

BP=tp$$ BN=tn$$ U=tu$$ V=tv$$
netns_add "$U" 172.31.14.2 && netns_add "$V" 10.207.0.1 || { fail "netns"; finish; }
at_exit 'ip link del "$BP" 2>/dev/null'
ip -n "$V" link set eth0 mtu 1450
kernel_vxlan "$U" 172.31.14.2 172.31.14.1 10.207.0.2/24 ||
	{ fail "kernel vxlan device in $U"; finish; }
umac=$(ip -n "$U" -br link show eth0 | awk '{print $3}')
tx_csum_off "$V eth0" "$U eth0" "$U vx0" || { fail "checksum offload off"; finish; }
actl() {
	if is_vireo; then ovs-appctl -t "$CTL" "$@"; else ovs-appctl -t "$RUN/vswitchd.ctl" "$@"; fi
}
ofctl() { OVS_RUNDIR=$RUN ovs-ofctl "$@"; }
# vireo-dp puts its OpenFlow sockets where ovs-vswitchd, started with OVS_RUNDIR=$RUN, does.
if is_vireo; then extra=(other_config:openflow-rundir="$RUN"); else extra=(); fi

check "ovsdb-server and the switch ($SWITCH) start" ovsdb_dp_start "${extra[@]}"
check "ovs-vsctl: underlay bridge $BP with phy, overlay bridge $BN with vm and vxlan port vx0" \
	vsctl add-br "$BP" -- set bridge "$BP" datapath_type=netdev \
	-- add-port "$BP" phy -- set Interface phy type=dpdk \
		options:dpdk-devargs="net_af_packet1,iface=v-$U" \
	-- add-br "$BN" -- set bridge "$BN" datapath_type=netdev \
	-- add-port "$BN" vm -- set Interface vm type=dpdk \
		options:dpdk-devargs="net_af_packet2,iface=v-$V" \
	-- add-port "$BN" vx0 -- set Interface vx0 type=vxlan ofport_request=10 \
		options:remote_ip=172.31.14.2 options:local_ip=172.31.14.1 options:key=42
check "interfaces phy, vm, vx0 without error" \
	wait_until 30 eval 'test -z "$(iface_error phy)$(iface_error vm)$(iface_error vx0)" &&
	test "$(get Interface vx0 ofport)" = 10'
check "the underlay's internal port $BP gets 172.31.14.1" \
	eval 'wait_until 30 ip link show "$BP" >/dev/null 2>&1 &&
	ip addr add 172.31.14.1/24 dev "$BP" && ip link set "$BP" up'
check "ping V -> U's kernel vxlan device through the overlay (NORMAL), 0% loss" \
	wait_until 30 ping_ok "$V" 10.207.0.2 10 0.1
check "ping U's vxlan device -> V, 0% loss" ping_ok "$U" 10.207.0.1 10 0.1
check "ovs-ofctl: receive on tun_id=42 to vm, vm to vx0, anything else from vx0 dropped" \
	eval 'ofctl del-flows "$BN" &&
	ofctl add-flow "$BN" "priority=20,in_port=vx0,tun_id=42,actions=output:vm" &&
	ofctl add-flow "$BN" "priority=10,in_port=vx0,actions=drop" &&
	ofctl add-flow "$BN" "priority=10,in_port=vm,actions=output:vx0" &&
	ping_ok "$V" 10.207.0.2 5 0.1'
# Open vSwitch reads its datapath's counters into the rules about once a second.
check "... ovs-ofctl dump-flows counts the replies on tun_id=0x2a" \
	wait_until 10 eval 'ofctl dump-flows "$BN" | grep "tun_id=0x2a" | grep -Eq "n_packets=[1-9]"'
check "... a rule on tun_id=43 instead matches nothing (ping fails)" \
	eval 'ofctl del-flows --strict "$BN" "priority=20,in_port=vx0,tun_id=42" &&
	ofctl add-flow "$BN" "priority=20,in_port=vx0,tun_id=43,actions=output:vm" &&
	! ip netns exec "$V" ping -q -c 3 -i 0.2 -W 1 10.207.0.2 >/dev/null 2>&1'
check "... back to tun_id=42: TCP, 4 MB V -> U and U -> V, digests equal" \
	eval 'ofctl add-flow "$BN" "priority=30,in_port=vx0,tun_id=42,actions=output:vm" &&
	tcp_move "$V" "$U" 10.207.0.2 && tcp_move "$U" "$V" 10.207.0.1'
check "ovs/route/show: 172.31.14.0/24 dev $BP SRC 172.31.14.1" \
	eval 'actl ovs/route/show | grep -q "^Cached: 172.31.14.0/24 dev $BP SRC 172.31.14.1"'
check "tnl/arp/show: U's address with its MAC on $BP" \
	eval 'actl tnl/arp/show | grep -Eq "^172.31.14.2 +$umac +$BP"'
# In parentheses Open vSwitch has its datapath's port number, vireo-dp the UDP port (README).
check "tnl/ports/show: listening on 4789 as vxlan_sys_4789, one tunnel port on it" \
	eval 'actl tnl/ports/show | grep -Eq "^vxlan_sys_4789 \([0-9]+\) ref_cnt=1$"'
# sums: what tcpdump -vv in U says of the UDP checksums of three VXLAN packets from the host
# (V pings U meanwhile): "[no cksum]", "[udp sum ok]" or "[bad udp cksum ...]".
sums() {
	rm -f "$RUN/sums"
	ip netns exec "$U" timeout 15 tcpdump -l -c 3 -vv -nn -i eth0 \
		"udp dst port 4789 and src host 172.31.14.1" >"$RUN/sums" 2>"$RUN/sums.err" &
	local p=$!
	wait_until 10 grep -q "listening on" "$RUN/sums.err"
	ip netns exec "$V" ping -q -c 5 -i 0.2 -W 1 10.207.0.2 >/dev/null 2>&1
	wait "$p"
	grep -o "\[no cksum\]\|\[udp sum ok\]\|\[bad udp cksum[^]]*\]" "$RUN/sums" | sort | uniq -c
}
# sums_are WHAT: three packets in a row judged WHAT (up to 5 tries: a port being set anew).
sums_are() {
	local i
	for i in 1 2 3 4 5; do
		sums >"$RUN/sums.out"
		cat "$RUN/sums.out"
		grep -qF " 3 $1" "$RUN/sums.out" && return 0
		sleep 1
	done
	return 1
}
check "no outer UDP checksum over IPv4 by default (tcpdump: [no cksum])" sums_are "[no cksum]"
check "ovs-vsctl set Interface vx0 options:csum=true: the outer UDP checksum is right ([udp sum ok])" \
	eval 'vsctl set Interface vx0 options:csum=true && sums_are "[udp sum ok]" &&
	test -z "$(iface_error vx0)" && ping_ok "$V" 10.207.0.2 5 0.1'
check "ovs-vsctl del-port vx0: the overlay no longer reaches U" \
	eval 'vsctl del-port "$BN" vx0 && ! ip netns exec "$V" ping -q -c 2 -i 0.2 -W 1 10.207.0.2 >/dev/null 2>&1'

# GTP-U (a 5G user plane's N3 side): U plays the base station with scapy (gtpu_peer.py),
# V is the data network and answers the UE 10.60.0.2 through a neighbour entry.
ip -n "$V" route add 10.60.0.0/24 dev eth0 &&
	ip -n "$V" neigh add 10.60.0.2 lladdr 02:00:00:00:60:02 dev eth0 ||
	fail "routes in $V"
vmac=$(ip -n "$V" -br link show eth0 | awk '{print $3}')
bmac=$(cat "/sys/class/net/$BP/address")
# ping_up N TEID DL_TEID: N uplink pings from the UE, all N replies back down, checked.
ping_up() {
	local out
	out=$(ip netns exec "$U" /usr/bin/python3 "$(dirname "$0")/gtpu_peer.py" eth0 "$bmac" \
		172.31.14.2 172.31.14.1 ping "$1" "$2" 10.60.0.2 10.207.0.1 "$3")
	echo "$out"
	echo "$out" | grep -qx "ok $1"
}
check "ovs-vsctl: gtpu port gtp0 (key=flow, packet_type=legacy_l3)" \
	eval 'vsctl add-port "$BN" gtp0 -- set Interface gtp0 type=gtpu ofport_request=11 \
		options:remote_ip=172.31.14.2 options:local_ip=172.31.14.1 options:key=flow \
		options:packet_type=legacy_l3 &&
	wait_until 30 eval "test -z \"\$(iface_error gtp0)\" && test \"\$(get Interface gtp0 ofport)\" = 11"'
check "ovs-ofctl: uplink on TEID 100 from the UE to V, downlink with TEID 200" \
	eval 'ofctl del-flows "$BN" &&
	ofctl add-flow "$BN" "priority=20,in_port=gtp0,tun_id=100,ip,nw_src=10.60.0.2,actions=mod_dl_dst:$vmac,output:vm" &&
	ofctl add-flow "$BN" "priority=20,in_port=vm,ip,nw_dst=10.60.0.2,actions=set_field:200->tun_id,output:gtp0" &&
	ofctl add-flow "$BN" "priority=10,actions=drop"'
check "scapy: 10 uplink pings (TEID 100), 10 replies down with TEID 200, flags 0x30, G-PDU" \
	wait_until 20 ping_up 10 100 200
check "... ovs-ofctl dump-flows counts them on the uplink rule" \
	wait_until 10 eval 'ofctl dump-flows "$BN" | grep "tun_id=0x64" | grep -Eq "n_packets=([1-9][0-9]+)"'
check "scapy: uplink on TEID 101 matches no rule: no reply" \
	eval '! GTPU_PEER_WAIT=2 ping_up 3 101 200'
check "tnl/ports/show: listening on 2152 as gtpu_sys_2152" \
	eval 'actl tnl/ports/show | grep -Eq "^gtpu_sys_2152 \([0-9]+\) ref_cnt=1$"'
finish
