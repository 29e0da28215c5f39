#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# A VXLAN tunnel port against the Linux kernel's own vxlan device.  Namespace U is the
# remote host: its eth0 (172.31.9.2) is on the underlay bridge, whose LOCAL port holds the
# host's 172.31.9.1, and it has a kernel vxlan device (VNI 42, 10.201.0.2).  Namespace V
# (10.201.0.1, MTU 1450) is on the overlay bridge with the vxlan port.  V and U's vxlan
# device ping and move 4 MB over TCP both ways; the route, the snooped next hop and the
# listening port show in ovs/route/show, tnl/arp/show, tnl/ports/show; bad packets built
# with scapy (truncated, no valid VNI, a wrong UDP checksum, an unknown VNI) are dropped and
# counted; only VXLAN to the internal port's MAC and one of its addresses is popped (a
# second address taken by a port without local_ip; VXLAN between two other hosts flooded
# to the internal port, or to another MAC or address, left to the kernel); ECN (tcpdump in U sees the inner ECN field on the outer header, CE as ECT(0);
# scapy's outer CE reaches V as an inner CE, or drops a not-ECT inner packet); settings
# vireo-dp does not do are refused naming the option.  Then the same through ovs-vsctl.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../ovsdb/lib-ovsdb.sh"
. "$(dirname "$0")/lib-tnl.sh"

BP=bp$$ BN=bn$$ U=vu$$ V=vv$$
netns_add "$U" 172.31.9.2 && netns_add "$V" 10.201.0.1 || { fail "netns"; finish; }
at_exit 'ip link del "$BP" 2>/dev/null'
ip -n "$V" link set eth0 mtu 1450
kernel_vxlan "$U" 172.31.9.2 172.31.9.1 10.201.0.2/24 ||
	{ fail "kernel vxlan device in $U"; finish; }
umac=$(ip -n "$U" -br link show eth0 | awk '{print $3}')
tx_csum_off "$V eth0" "$U eth0" "$U vx0" || { fail "checksum offload off"; finish; }

counter() { ctl tnl/ports/show | sed -n "s/.* $1=\([0-9]*\).*/\1/p" | head -1; }

tnl_yaml 'vx0: {type: vxlan, options: {remote_ip: 172.31.9.2, local_ip: 172.31.9.1, key: 42}}' >"$RUN/dp.yaml"
check "vireo-dp starts with an underlay bridge and a vxlan port" start_dp "$RUN/dp.yaml"
check "the underlay's internal port gets 172.31.9.1" \
	tnl_underlay_up 172.31.9.1/24
check "vx0's link comes up (route through $BP, next hop resolved by ARP)" \
	wait_until 30 eval 'ctl show | grep -q "port vx0: ofport [0-9]*, type vxlan, link up"'
check "ping V -> U's kernel vxlan device through the overlay, 0% loss" \
	wait_until 10 ping_ok "$V" 10.201.0.2 20 0.05
check "ping U's vxlan device -> V, 0% loss" ping_ok "$U" 10.201.0.1 20 0.05
check "inner MTU 1450: 1422-byte pings with DF pass" \
	eval 'ip netns exec "$V" ping -q -c 5 -i 0.1 -s 1422 -M do -W 5 10.201.0.2 | grep -q " 0% packet loss"'
t0=$(counter tx_errors)
check "a frame too long for the underlay's MTU once encapsulated (V at MTU 1500: 1472-byte pings, DF) is dropped, counted as tx_errors" \
	eval 'ip -n "$V" link set eth0 mtu 1500;
	ip netns exec "$V" ping -q -c 3 -i 0.2 -s 1472 -M do -W 1 10.201.0.2 >/dev/null 2>&1; r=$?;
	ip -n "$V" link set eth0 mtu 1450; [ "$r" -ne 0 ] &&
	wait_until 5 eval "test \$(counter tx_errors) -ge $((t0 + 3))" &&
	ctl dump-ports "$BN" vx0 | grep -Eq "tx pkts=.*errs=[1-9]"'
check "TCP, 4 MB V -> U through the overlay, digests equal" tcp_move "$V" "$U" 10.201.0.2
check "TCP, 4 MB U -> V through the overlay, digests equal" tcp_move "$U" "$V" 10.201.0.1
check "rules match tun_id, tun_src, tun_dst of decapsulated packets" \
	eval 'ctl add-flow "$BN" "priority=20,in_port=vx0,tun_id=42,tun_src=172.31.9.2,tun_dst=172.31.9.1,actions=output:vm" >/dev/null &&
	ctl add-flow "$BN" "priority=10,in_port=vx0,actions=drop" >/dev/null &&
	ctl add-flow "$BN" "priority=10,in_port=vm,actions=output:vx0" >/dev/null &&
	ping_ok "$V" 10.201.0.2 10 0.05'
check "... dump-flows shows the tunnel match with its packets" \
	eval 'ctl dump-flows "$BN" | grep "tun_id=0x2a,tun_src=172.31.9.2,tun_dst=172.31.9.1,in_port=vx0" |
	grep -Eq "n_packets=[1-9]"'
check "... ovs-ofctl dump-flows shows it too (Nicira's tunnel fields)" \
	eval 'OVS_RUNDIR=$RUN ovs-ofctl dump-flows "$BN" |
	grep -q "tun_id=0x2a,tun_src=172.31.9.2,tun_dst=172.31.9.1"'
check "... a rule for another tun_id (by ovs-ofctl) does not match them (ping fails)" \
	eval 'ctl del-flows "$BN" >/dev/null &&
	OVS_RUNDIR=$RUN ovs-ofctl add-flow "$BN" "priority=20,in_port=vx0,tun_id=43,actions=output:vm" &&
	ctl dump-flows "$BN" | grep -q "tun_id=0x2b" &&
	ctl add-flow "$BN" "priority=10,in_port=vm,actions=output:vx0" >/dev/null &&
	! ip netns exec "$V" ping -q -c 3 -i 0.2 -W 1 10.201.0.2 >/dev/null 2>&1'
check "... rules gone: MAC learning forwards again" \
	eval 'ctl del-flows "$BN" >/dev/null && ping_ok "$V" 10.201.0.2 5 0.05'
check "ovs/route/show: 172.31.9.0/24 dev $BP SRC 172.31.9.1" \
	eval 'ovs-appctl -t "$CTL" ovs/route/show | grep -q "^Cached: 172.31.9.0/24 dev $BP SRC 172.31.9.1"'
check "tnl/arp/show: U's address with its MAC on $BP" \
	eval 'ctl tnl/arp/show | grep -Eq "^172.31.9.2 +$umac +$BP"'
check "tnl/ports/show: listening on 4789" \
	eval 'ctl tnl/ports/show | grep -q "^vxlan_sys_4789 (4789) ref_cnt=1"'
bmac=$(cat "/sys/class/net/$BP/address")
# Debian's python3, where scripts/deps installs python3-scapy.
bad() { ip netns exec "$U" /usr/bin/python3 "$(dirname "$0")/vxlan_bad.py" eth0 "$bmac" 172.31.9.2 \
	172.31.9.1 "$@"; }
e0=$(counter rx_errors) d0=$(counter rx_dropped)
check "scapy: 10 truncated, 10 without an inner frame, 10 without the I flag sent" \
	eval 'bad truncated 10 && bad noinner 10 && bad badflags 10'
check "... all 30 counted as rx_errors" \
	wait_until 10 eval 'test "$(counter rx_errors)" -ge $((e0 + 30))'
e0=$(counter rx_errors)
check "scapy: 10 for VNI 42 with a wrong UDP checksum: dropped, counted as rx_errors (as OVS, Linux)" \
	eval 'bad badcsum 10 && wait_until 10 eval "test \$(counter rx_errors) -ge $((e0 + 10))"'
check "scapy: 10 packets for VNI 99 counted as rx_dropped (unknown VNI)" \
	eval 'bad vni 10 && wait_until 10 eval "test \$(counter rx_dropped) -ge $((d0 + 10))"'
check "... visible in dump-ports of vx0" \
	eval 'ctl dump-ports "$BN" vx0 | grep -Eq "drop=[1-9][0-9]*, errs=[1-9]"'
check "... and vireo-dp still forwards through the tunnel" ping_ok "$V" 10.201.0.2 5 0.05

# ECN (RFC 6040).  outer_ecn TOS: V pings U's vxlan device with inner TOS TOS, all answered,
# while tcpdump in U sees 3 VXLAN packets from the host whose outer ECN field is ECT(0).
outer_ecn() {
	local p r
	ip netns exec "$U" timeout 10 tcpdump -l -c 3 -nn -i eth0 \
		"udp dst port 4789 and src host 172.31.9.1 and (ip[1] & 3) = 2" \
		>"$RUN/ecn.out" 2>"$RUN/ecn.err" &
	p=$!
	wait_until 10 grep -q "listening on" "$RUN/ecn.err"
	ip netns exec "$V" ping -q -c 5 -i 0.2 -W 1 -Q "$1" 10.201.0.2 >"$RUN/ecn.ping" 2>&1
	r=$?
	wait "$p" && [ "$r" -eq 0 ]
}
check "inner ECT(0) (ping -Q 2): the outer ECN field ECT(0) (tcpdump in U), the kernel answers" \
	outer_ecn 2
check "inner CE (ping -Q 3): the outer ECN field ECT(0), not CE; the kernel answers" outer_ecn 3
# inner_ce: scapy's outer-CE packets with an ECT(0) inner packet reach V marked CE.
inner_ce() {
	local p
	ip netns exec "$V" timeout 10 tcpdump -l -c 3 -nn -i eth0 \
		"udp dst port 9999 and (ip[1] & 3) = 3" >"$RUN/ce.out" 2>"$RUN/ce.err" &
	p=$!
	wait_until 10 grep -q "listening on" "$RUN/ce.err"
	bad ce 5
	wait "$p"
}
check "scapy: outer CE, inner ECT(0): the inner packet reaches V marked CE (tcpdump in V)" \
	inner_ce
e0=$(counter rx_errors)
check "scapy: 10 with outer CE and an inner packet not ECN-capable: dropped, counted as rx_errors" \
	eval 'bad cenotect 10 && wait_until 10 eval "test \$(counter rx_errors) -ge $((e0 + 10))"'

check "--check refuses a gtpu remote_ip that is no address and not 'flow', naming it" \
	refused gtpu "remote_ip: nowhere" "options:remote_ip': bad value 'nowhere'"
check "--check takes an IPv6 remote_ip and local_ip (tnl6.sh runs them)" \
	eval 'printf "bridges:\n  b:\n    ports:\n      t: {type: vxlan, options: {remote_ip: \"fd00::2\", local_ip: \"fd00::1\"}}\n" >"$RUN/v6.yaml" &&
	"$VIREO_DP" --config "$RUN/v6.yaml" --check'
check "--check refuses a gtpu local_ip that is no address" \
	refused gtpu "remote_ip: 1.2.3.4, local_ip: 300.1.1.1" "options:local_ip': bad value"
check "--check refuses a multicast remote_ip, naming it" \
	refused vxlan "remote_ip: 239.1.1.1" "options:remote_ip': '239.1.1.1' refused"
check "--check refuses local_ip 0.0.0.0, naming it" \
	refused vxlan "remote_ip: 1.2.3.4, local_ip: 0.0.0.0" "options:local_ip': '0.0.0.0' refused"
check "--check refuses tos: 1 (an ECN bit), naming it" \
	refused vxlan "remote_ip: 1.2.3.4, tos: 1" "options:tos': '1' refused: invalid TOS"
check "--check refuses csum: 1 (true or false)" refused vxlan "remote_ip: 1.2.3.4, csum: 1" \
	"options:csum': bad value '1'"
check "--check refuses in_key (unknown for vxlan)" refused vxlan "remote_ip: 1.2.3.4, in_key: 5" \
	"options:in_key': unknown option for type vxlan"
check "--check refuses gtpu with packet_type legacy_l2" refused gtpu \
	"remote_ip: 1.2.3.4, packet_type: legacy_l2" "options:packet_type': 'legacy_l2' refused"
check "--check refuses a vxlan port without remote_ip" refused vxlan "key: 1" \
	"options:remote_ip' is required"
stop_dp
check "vireo-dp stops cleanly (status 0)" test "$?" -eq 0
rm -f "$CTL"

# The same through ovs-vsctl.
check "ovsdb-server and vireo-dp start" ovsdb_dp_start
check "add-br $BP (internal port), $BN with a vxlan port" \
	tnl_vsctl_bridges \
	-- add-port "$BN" vx0 -- set Interface vx0 type=vxlan options:remote_ip=172.31.9.2 \
	options:key=42
check "vx0 has an ofport and no error" \
	eval 'is_positive "$(get Interface vx0 ofport)" && test -z "$(iface_error vx0)"'
check "the underlay's internal port gets 172.31.9.1" \
	tnl_underlay_up 172.31.9.1/24
check "ping V -> U through the overlay (ovs-vsctl), 0% loss" \
	wait_until 30 ping_ok "$V" 10.201.0.2 10 0.05

# Which packets are the host's (as Open vSwitch's lib/tnl-ports.c): to its internal port's
# MAC and one of that port's addresses.  seen_in_v MAC SRC DST: scapy in U sends 5 VXLAN
# packets (VNI 42, inner UDP to port 9999) from SRC to DST at MAC; true when tcpdump in V
# sees 3 of their inner packets within 3 seconds.
seen_in_v() {
	local p
	ip netns exec "$V" timeout 3 tcpdump -l -c 3 -nn -i eth0 "udp dst port 9999" \
		>"$RUN/seen.out" 2>"$RUN/seen.err" &
	p=$!
	wait_until 10 grep -q "listening on" "$RUN/seen.err"
	ip netns exec "$U" /usr/bin/python3 "$(dirname "$0")/vxlan_bad.py" eth0 "$1" "$2" "$3" \
		good 5
	wait "$p"
}
# seen_soon MAC SRC DST: seen_in_v, tried 3 times a second apart (for addresses just added).
seen_soon() {
	local _
	for _ in 1 2 3; do
		seen_in_v "$@" && return 0
		sleep 1
	done
	return 1
}
bmac=$(cat "/sys/class/net/$BP/address")
check "vx0 (no local_ip) pops VXLAN to the host's second address on $BP, 172.31.9.5 (tcpdump in V)" \
	eval 'ip addr add 172.31.9.5/24 dev "$BP" && seen_soon "$bmac" 172.31.9.2 172.31.9.5'
check "a remote_ip=flow key=flow port vxf beside vx0: an ofport, no error" \
	eval 'vsctl add-port "$BN" vxf -- set Interface vxf type=vxlan options:remote_ip=flow \
	options:key=flow && is_positive "$(get Interface vxf ofport)" && test -z "$(iface_error vxf)"'
check "vxf pops VXLAN from another remote (172.31.9.3) to the host's 172.31.9.1 at $BP's MAC" \
	seen_soon "$bmac" 172.31.9.3 172.31.9.1
check "... not VXLAN between two other hosts (172.31.9.3 -> 172.31.9.4, another MAC) flooded to $BP" \
	eval '! seen_in_v 02:00:00:00:00:44 172.31.9.3 172.31.9.4'
check "... not VXLAN to the host's 172.31.9.1 at another MAC" \
	eval '! seen_in_v 02:00:00:00:00:44 172.31.9.3 172.31.9.1'
check "... not VXLAN at $BP's MAC to an address that is not the host's (172.31.9.4)" \
	eval '! seen_in_v "$bmac" 172.31.9.3 172.31.9.4'
check "... and pops again once 172.31.9.4 is the host's" \
	eval 'ip addr add 172.31.9.4/24 dev "$BP" && seen_soon "$bmac" 172.31.9.3 172.31.9.4'
check "options:remote_ip=flow on a gtpu port is taken: an ofport, no error (gtpu.sh runs it)" \
	eval 'vsctl add-port "$BN" gt1 -- set Interface gt1 type=gtpu \
	options:remote_ip=flow options:key=5 && is_positive "$(get Interface gt1 ofport)" &&
	test -z "$(iface_error gt1)"'
check "a geneve port on vxlan's UDP port is refused in the error column" \
	eval 'vsctl add-port "$BN" gnv0 -- set Interface gnv0 type=geneve \
	options:remote_ip=172.31.9.3 options:dst_port=4789; iface_error gnv0 | grep -q "4789"'
kill -TERM "$DP_PID"
wait "$DP_PID"
[ "$n_fail" -eq 0 ] || { echo "--- vireo-dp log (tail)"; tail -n 30 "$RUN/dp.log"; }
finish
