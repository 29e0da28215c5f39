#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# A gtpu tunnel port (a 5G user plane's N3 side) against a base station played by scapy's
# GTP layer (gtpu_peer.py).  Namespace U is the base station: its eth0 (172.31.9.2) is on
# the underlay bridge, whose LOCAL port holds the host's 172.31.9.1.  Namespace V
# (10.45.0.1) is the data network on the overlay bridge with the gtpu port.  Uplink G-PDUs
# (TEID 100, from the UE 10.60.0.2) are popped and forwarded to V by a rule on tun_id and
# the inner source address; V's echo replies go back down in G-PDUs with the TEID a rule
# sets (200, key=flow), checked by scapy; the same with a PDU session container (QFI) on
# the way up.  Only G-PDUs are popped: an echo request reaches the rules whole with
# tun_gtpu_msgtype=1 (as in Open vSwitch).  Malformed packets are dropped and counted in
# tnl/ports/show and dump-ports.  Then the same through ovs-vsctl and ovs-ofctl, with a
# fixed TEID (unknown TEIDs dropped and counted).
#
# The kernel's own gtp device is not used: this machine's kernel has no gtp module
# ("ip link add type gtp": unknown device type) and Debian has no libgtpnl tools.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../ovsdb/lib-ovsdb.sh"
. "$(dirname "$0")/lib-tnl.sh"

BP=bp$$ BN=bn$$ U=gu$$ V=gv$$
netns_add "$U" 172.31.9.2 && netns_add "$V" 10.45.0.1 || { fail "netns"; finish; }
at_exit 'ip link del "$BP" 2>/dev/null'
# V answers the UE 10.60.0.2 through the overlay bridge (a neighbour entry: nothing there
# answers ARP for it, as on a real N6 interface where the UPF routes).
ip -n "$V" route add 10.60.0.0/24 dev eth0 &&
	ip -n "$V" neigh add 10.60.0.2 lladdr 02:00:00:00:60:02 dev eth0 ||
	{ fail "routes in $V"; finish; }
vmac=$(ip -n "$V" -br link show eth0 | awk '{print $3}')
counter() { ctl tnl/ports/show | sed -n "s/.* $1=\([0-9]*\).*/\1/p" | head -1; }
# peer KIND COUNT [TEID [UE DN [DL_TEID]]]: gtpu_peer.py from U (Debian's python3: scapy).
peer() {
	local k=$1 c=$2
	shift 2
	ip netns exec "$U" /usr/bin/python3 "$(dirname "$0")/gtpu_peer.py" eth0 "$bmac" \
		172.31.9.2 172.31.9.1 "$k" "$c" "$@"
}
# ping_up KIND N TEID DL_TEID: N uplink pings, all N replies come back down, checked.
ping_up() {
	local out
	out=$(peer "$1" "$2" "$3" 10.60.0.2 10.45.0.1 "$4")
	echo "$out"
	echo "$out" | grep -qx "ok $2"
}
# n_packets RULE-TEXT: the packets of the first dump-flows line containing RULE-TEXT.
n_packets() {
	ctl dump-flows "$BN" | grep -F "$1" | sed -n 's/.*n_packets=\([0-9]*\).*/\1/p' | head -1
}

tnl_yaml 'gtp0: {type: gtpu, options: {remote_ip: 172.31.9.2, local_ip: 172.31.9.1, key: flow, '\
	'packet_type: legacy_l3}}' >"$RUN/dp.yaml"
check "vireo-dp starts with an underlay bridge and a gtpu port (key=flow)" \
	start_dp "$RUN/dp.yaml"
check "the underlay's internal port gets 172.31.9.1" \
	tnl_underlay_up 172.31.9.1/24
bmac=$(cat "/sys/class/net/$BP/address")
check "gtp0's link comes up (route through $BP, next hop resolved by ARP)" \
	wait_until 30 eval 'ctl show | grep -q "port gtp0: ofport [0-9]*, type gtpu, link up"'
check "tnl/ports/show: listening on 2152, gtp0 with key=flow" \
	eval 'ctl tnl/ports/show | grep -q "^gtpu_sys_2152 (2152) ref_cnt=1" &&
	ctl tnl/ports/show | grep -q "^gtp0: gtpu key=flow remote_ip=172.31.9.2 dst_port=2152 up"'
UP="priority=20,in_port=gtp0,tun_id=100,tun_gtpu_msgtype=255,ip,nw_src=10.60.0.2"
check "rules: uplink on TEID 100 and the UE's address to V, downlink with TEID 200" \
	eval 'ctl add-flow "$BN" "$UP,actions=mod_dl_dst:$vmac,output:vm" >/dev/null &&
	ctl add-flow "$BN" "priority=20,in_port=vm,ip,nw_dst=10.60.0.2,actions=set_field:200->tun_id,output:gtp0" >/dev/null &&
	ctl add-flow "$BN" "priority=15,in_port=gtp0,tun_gtpu_msgtype=1,actions=drop" >/dev/null &&
	ctl add-flow "$BN" "priority=10,actions=drop" >/dev/null'
check "scapy: 10 uplink pings (TEID 100), 10 replies down with TEID 200, flags 0x30, G-PDU" \
	ping_up ping 10 100 200
check "... the uplink rule counted them; dump-flows prints the GTP-U fields" \
	eval 'test "$(n_packets "tun_id=0x64,tun_gtpu_msgtype=255")" -ge 10'
check "... and the downlink rule's set_field" \
	eval 'ctl dump-flows "$BN" | grep -q "actions=set_field:0xc8->tun_id,output:gtp0"'
check "scapy: uplink with a PDU session container (QFI 9): popped, replies come back" \
	ping_up ping-qfi 5 100 200
check "... rules see tun_gtpu_flags=0x34 (E set) for them" \
	eval 'ctl add-flow "$BN" "priority=30,in_port=gtp0,tun_gtpu_flags=0x34,tun_id=100,ip,nw_src=10.60.0.2,actions=mod_dl_dst:$vmac,output:vm" >/dev/null &&
	ping_up ping-qfi 3 100 200 && test "$(n_packets "tun_gtpu_flags=0x34")" -ge 3'
# A check that expects no replies waits 3 s for them (a forwarded one comes in milliseconds).
check "a TEID no rule has (101) reaches V not (no replies)" \
	eval 'GTPU_PEER_WAIT=3 peer ping 3 101 10.60.0.2 10.45.0.1 200 | grep -qx "ok 0"'
g0=$(n_packets "tun_gtpu_msgtype=255") e0=$(n_packets "tun_gtpu_msgtype=1")
check "only G-PDUs are popped: 5 echo requests hit the msgtype=1 rule, not the G-PDU one" \
	eval 'peer echo 5 && wait_until 10 eval "test \$(n_packets tun_gtpu_msgtype=1) -ge $((e0 + 5))" &&
	test "$(n_packets "tun_gtpu_msgtype=255")" -eq "$g0"'
e0=$(counter rx_errors)
check "scapy: truncated, bad version, GTP' (PT=0), an extension header past the end, a length past the end, a non-IP payload: 5 each" \
	peer truncated,version,pt,extlen,length,nonip 5 100
check "... all 30 dropped and counted as rx_errors (tnl/ports/show)" \
	wait_until 10 eval 'test "$(counter rx_errors)" -ge $((e0 + 30))'
check "... visible in dump-ports of gtp0" \
	eval 'ctl dump-ports "$BN" gtp0 | grep -Eq "errs=[1-9]"'
check "... and vireo-dp still forwards through the tunnel" ping_up ping 5 100 200

# A second base station (172.31.9.3, also U) on a gtpu port with remote_ip=flow beside
# gtp0 (remote 172.31.9.2): a UPF's N3 side facing many base stations.  Rules pick the
# base station by tun_src on the way up and set tun_dst and the TEID on the way down.
peer3() {
	ip netns exec "$U" /usr/bin/python3 "$(dirname "$0")/gtpu_peer.py" eth0 "$bmac" \
		172.31.9.3 172.31.9.1 "$@"
}
check "add-port gtf type=gtpu remote_ip=flow key=flow beside gtp0" \
	eval 'ip -n "$U" addr add 172.31.9.3/24 dev eth0 &&
	ip -n "$V" neigh add 10.60.0.3 lladdr 02:00:00:00:60:03 dev eth0 &&
	ctl add-port "$BN" gtf type=gtpu options:remote_ip=flow options:key=flow &&
	wait_until 30 eval "ctl show | grep -q \"port gtf: ofport [0-9]*, type gtpu, link up\"" &&
	ctl tnl/ports/show | grep -q "^gtf: gtpu key=flow remote_ip=flow"'
check "rules: uplink from 172.31.9.3 (tun_src) TEID 300, downlink set_field tun_dst and TEID 301" \
	eval 'ctl add-flow "$BN" "priority=20,in_port=gtf,tun_src=172.31.9.3,tun_id=300,ip,nw_src=10.60.0.3,actions=mod_dl_dst:$vmac,output:vm" >/dev/null &&
	ctl add-flow "$BN" "priority=20,in_port=vm,ip,nw_dst=10.60.0.3,actions=set_field:172.31.9.3->tun_dst,set_field:301->tun_id,output:gtf" >/dev/null'
# The first replies to a new tun_dst are dropped while vireo-dp resolves its next hop (as
# Open vSwitch does): one round to start that, then every reply must come.
check "scapy from 172.31.9.3: 5 uplink pings, 5 replies down to 172.31.9.3 with TEID 301" \
	eval 'GTPU_PEER_WAIT=2 peer3 ping 2 300 10.60.0.3 10.45.0.1 301 >/dev/null;
	out=$(peer3 ping 5 300 10.60.0.3 10.45.0.1 301); echo "$out"; echo "$out" | grep -qx "ok 5"'
g0=$(n_packets "tun_id=0x64,tun_gtpu_msgtype=255")
check "TEID 100 from 172.31.9.3 goes to gtf, not to gtp0 (whose remote is 172.31.9.2)" \
	eval 'GTPU_PEER_WAIT=3 peer3 ping 3 100 10.60.0.2 10.45.0.1 200 | grep -qx "ok 0" &&
	test "$(n_packets "tun_id=0x64,tun_gtpu_msgtype=255")" -eq "$g0" &&
	ctl dump-ports "$BN" gtf | grep -Eq "rx pkts=[1-9]"'
t0=$(counter tx_errors)
check "an ARP frame sent to gtp0 (no IP payload) is dropped and counted as tx_errors" \
	eval 'ctl add-flow "$BN" "priority=25,in_port=vm,arp,actions=output:gtp0" >/dev/null &&
	ip netns exec "$V" ping -c 1 -W 2 10.60.0.9 >/dev/null 2>&1;
	wait_until 10 eval "test \$(counter tx_errors) -ge $((t0 + 1))"'

check "--check refuses packet_type=legacy_l2 for gtpu, naming the option" \
	refused gtpu "remote_ip: 1.2.3.4, packet_type: legacy_l2" \
	"options:packet_type': 'legacy_l2' refused"
check "--check refuses a TEID over 32 bits" refused gtpu "remote_ip: 1.2.3.4, key: 4294967296" \
	"options:key': bad value"
check "--check refuses in_key (unknown for gtpu)" refused gtpu "remote_ip: 1.2.3.4, in_key: 5" \
	"options:in_key': unknown option for type gtpu"
stop_dp
check "vireo-dp stops cleanly (status 0)" test "$?" -eq 0
rm -f "$CTL"

# The same through ovs-vsctl and ovs-ofctl, with a fixed TEID on the port.
check "ovsdb-server and vireo-dp start" ovsdb_dp_start other_config:openflow-rundir="$RUN"
check "add-br $BP (internal port), $BN with a gtpu port, key=100" \
	tnl_vsctl_bridges \
	-- add-port "$BN" gtp0 -- set Interface gtp0 type=gtpu options:remote_ip=172.31.9.2 \
	options:key=100
check "gtp0 has an ofport and no error" \
	eval 'is_positive "$(get Interface gtp0 ofport)" && test -z "$(iface_error gtp0)"'
check "the underlay's internal port gets 172.31.9.1" \
	tnl_underlay_up 172.31.9.1/24
bmac=$(cat "/sys/class/net/$BP/address")
ofctl() { OVS_RUNDIR=$RUN ovs-ofctl "$@"; }
check "ovs-ofctl rules on tun_id, tun_gtpu_msgtype, tun_gtpu_flags (OpenFlow 1.3)" \
	eval 'ofctl -O OpenFlow13 add-flow "$BN" "priority=20,in_port=gtp0,tun_id=100,tun_gtpu_msgtype=255,tun_gtpu_flags=0x30,ip,nw_src=10.60.0.2,actions=mod_dl_dst:$vmac,output:vm" &&
	ofctl -O OpenFlow13 add-flow "$BN" "priority=20,in_port=vm,ip,nw_dst=10.60.0.2,actions=output:gtp0" &&
	ofctl add-flow "$BN" "priority=10,actions=drop"'
check "... ovs-ofctl dump-flows reads them back" \
	eval 'ofctl -O OpenFlow13 dump-flows "$BN" | tee "$RUN/of.out" | grep "tun_id=0x64" |
	grep "gtpu_flags=0x30" | grep -q "gtpu_msgtype=255" || { cat "$RUN/of.out"; false; }'
check "scapy: uplink pings with TEID 100, replies down with the port's TEID 100" \
	wait_until 30 ping_up ping 5 100 100
d0=$(counter rx_dropped)
check "scapy: 10 G-PDUs for TEID 999 (no such port) dropped and counted as rx_dropped" \
	eval 'GTPU_PEER_WAIT=3 peer ping 10 999 10.60.0.2 10.45.0.1 100 | grep -qx "ok 0" &&
	wait_until 10 eval "test \$(counter rx_dropped) -ge $((d0 + 10))"'
check "options:packet_type=ptap is refused in the error column, naming the option" \
	eval 'vsctl add-port "$BN" gtp1 -- set Interface gtp1 type=gtpu \
	options:remote_ip=172.31.9.3 options:packet_type=ptap; iface_error gtp1 | grep -q "options:packet_type"'
kill -TERM "$DP_PID"
wait "$DP_PID"
[ "$n_fail" -eq 0 ] || { echo "--- vireo-dp log (tail)"; tail -n 30 "$RUN/dp.log"; }
finish
