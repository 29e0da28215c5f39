#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# A Geneve tunnel port against scapy's Geneve layer (this kernel has no geneve device).
# Namespace U is the remote host: its eth0 (172.31.10.2) is on the underlay bridge, whose
# LOCAL port holds the host's 172.31.10.1; geneve_peer.py in U decodes what vireo-dp
# encapsulates and answers ARP and ping for 10.202.0.2 behind the tunnel with VNI 77 and an
# option (class 0xffff, type 0).  Namespace V (10.202.0.1) is on the overlay bridge with the
# geneve port.  Rules match the option as tun_metadata0 once add-tlv-map maps it; bad
# packets (truncated, version, option lengths, protocol, unmapped critical option, unknown
# VNI) are dropped and counted; settings vireo-dp does not do are refused.  Then the same
# port through ovs-vsctl.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../ovsdb/lib-ovsdb.sh"
. "$(dirname "$0")/lib-tnl.sh"

BP=gp$$ BN=gn$$ U=gu$$ V=gv$$
PEER=$(dirname "$0")/geneve_peer.py
netns_add "$U" 172.31.10.2 && netns_add "$V" 10.202.0.1 || { fail "netns"; finish; }
at_exit 'ip link del "$BP" 2>/dev/null'
ip -n "$V" link set eth0 mtu 1450
vmac=$(ip -n "$V" -br link show eth0 | awk '{print $3}')
counter() { ctl tnl/ports/show | sed -n "s/.* $1=\([0-9]*\).*/\1/p" | head -1; }

# peer_start OPT: the scapy end answers for 30 s with option value OPT (Debian's python3,
# where scripts/deps installs python3-scapy); waits until it listens.
peer_start() {
	rm -f "$RUN/peer.log" "$RUN/peer.log.ready"
	ip netns exec "$U" timeout 40 /usr/bin/python3 "$PEER" respond eth0 "$bmac" 172.31.10.2 \
		172.31.10.1 77 "$1" 30 "$RUN/peer.log" &
	PEER_PID=$!
	PIDS+=("$!")
	wait_until 20 test -e "$RUN/peer.log.ready"
}
bad() { ip netns exec "$U" /usr/bin/python3 "$PEER" bad eth0 "$bmac" 172.31.10.2 172.31.10.1 "$@"; }

tnl_yaml 'gnv0: {type: geneve, options: {remote_ip: 172.31.10.2, key: 77}}' >"$RUN/dp.yaml"
check "vireo-dp starts with an underlay bridge and a geneve port" start_dp "$RUN/dp.yaml"
check "the underlay's internal port gets 172.31.10.1" \
	tnl_underlay_up 172.31.10.1/24
check "gnv0's link comes up (route through $BP, next hop resolved by ARP)" \
	wait_until 30 eval 'ctl show | grep -q "port gnv0: ofport [0-9]*, type geneve, link up"'
check "tnl/ports/show: listening on 6081 as genev_sys_6081" \
	eval 'ctl tnl/ports/show | grep -q "^genev_sys_6081 (6081) ref_cnt=1"'
bmac=$(cat "/sys/class/net/$BP/address")
check "the scapy peer listens" peer_start 0xabcd
check "ping V -> 10.202.0.2 (scapy behind the tunnel), 0% loss" \
	wait_until 10 ping_ok "$V" 10.202.0.2 10 0.05
check "scapy decoded vireo-dp's packets: VNI 77, version 0, Ethernet, no options, V's frames" \
	eval 'grep -q "^vni=77 ver=0 proto=0x6558 optlen=0 inner=$vmac>.* icmp-type8 opts= outer=ipv4$" "$RUN/peer.log" &&
	! grep -v "^vni=77 ver=0 proto=0x6558 optlen=0 " "$RUN/peer.log"'
check "add-tlv-map maps class 0xffff type 0 to tun_metadata0; dump-tlv-map shows it" \
	eval 'ctl add-tlv-map "$BN" "{class=0xffff,type=0,len=4}->tun_metadata0" &&
	ctl dump-tlv-map "$BN" | grep -Pq "^  0xffff\t0x0\t4\ttun_metadata0"'
check "a rule on tun_metadata0=0xabcd forwards the option's packets" \
	eval 'ctl add-flow "$BN" "priority=20,in_port=gnv0,tun_id=77,tun_metadata0=0xabcd,actions=output:vm" >/dev/null &&
	ctl add-flow "$BN" "priority=10,in_port=gnv0,actions=drop" >/dev/null &&
	ctl add-flow "$BN" "priority=10,in_port=vm,actions=output:gnv0" >/dev/null &&
	ping_ok "$V" 10.202.0.2 10 0.05'
check "... dump-flows shows it with its packets" \
	eval 'ctl dump-flows "$BN" | grep "tun_id=0x4d,tun_metadata0=0xabcd,in_port=gnv0" |
	grep -Eq "n_packets=[1-9]"'
check "... a rule for another value does not match them (ping fails)" \
	eval 'ctl del-flows "$BN" "in_port=gnv0" >/dev/null &&
	ctl add-flow "$BN" "priority=20,in_port=gnv0,tun_metadata0=0xabce,actions=output:vm" >/dev/null &&
	! ip netns exec "$V" ping -q -c 3 -i 0.2 -W 1 10.202.0.2 >/dev/null 2>&1'
check "set_field:0x1234->tun_metadata0 on the way out: scapy decodes the option" \
	eval 'ctl del-flows "$BN" >/dev/null &&
	ctl add-flow "$BN" "priority=10,in_port=vm,actions=set_field:0x1234->tun_metadata0,output:gnv0" >/dev/null &&
	ctl add-flow "$BN" "priority=10,in_port=gnv0,actions=output:vm" >/dev/null &&
	ctl dump-flows "$BN" | grep -q "actions=set_field:0x1234->tun_metadata0,output:gnv0" &&
	ping_ok "$V" 10.202.0.2 5 0.05 &&
	grep -q "^vni=77 ver=0 proto=0x6558 optlen=2 inner=$vmac>.* icmp-type8 opts=ffff:00:00001234 outer=ipv4$" "$RUN/peer.log"'
check "... ovs-ofctl dump-flows shows the action (set_field:0x1234->tun_metadata0, as OVS)" \
	eval 'OVS_RUNDIR=$RUN ovs-ofctl dump-flows "$BN" >"$RUN/of.out" 2>&1 ||  cat "$RUN/of.out";
	grep -q "actions=set_field:0x1234->tun_metadata0,output:" "$RUN/of.out" ||
	{ cat "$RUN/of.out"; false; }'
check "add-tlv-map refuses a field vireo-dp lacks and an 8-byte option" \
	eval '! ctl add-tlv-map "$BN" "{class=0x102,type=0x80,len=4}->tun_metadata9" 2>/dev/null &&
	! ctl add-tlv-map "$BN" "{class=0x102,type=0x80,len=8}->tun_metadata1" 2>/dev/null'
check "del-tlv-map is refused while a rule sets tun_metadata0" \
	eval 'ctl del-tlv-map "$BN" 2>&1 | grep -q "tun_metadata0 is used by rules" &&
	ctl dump-tlv-map "$BN" | grep -q tun_metadata0'
check "del-tlv-map forgets the mapping: tun_metadata0 is 0 again" \
	eval 'ctl del-flows "$BN" >/dev/null &&
	ctl del-tlv-map "$BN" "{class=0xffff,type=0,len=4}->tun_metadata0" &&
	! ctl dump-tlv-map "$BN" | grep -q tun_metadata0 &&
	ctl add-flow "$BN" "priority=20,in_port=gnv0,tun_metadata0=0,actions=output:vm" >/dev/null &&
	ctl add-flow "$BN" "priority=10,in_port=vm,actions=output:gnv0" >/dev/null &&
	ping_ok "$V" 10.202.0.2 5 0.05 && ctl del-flows "$BN" >/dev/null'

# tun_flags: OAM, Geneve's O bit, matched and set.
peer_oam() {
	kill "$PEER_PID" 2>/dev/null
	wait "$PEER_PID" 2>/dev/null
	GENEVE_PEER_OAM=1 peer_start 0x1
}
ofctl() { OVS_RUNDIR=$RUN ovs-ofctl "$@"; }
check "the scapy peer answers with the O (OAM) bit set" peer_oam
check "a rule on tun_flags=oam passes them (ping V -> 10.202.0.2); dump-flows: tun_flags=+oam" \
	eval 'ctl add-flow "$BN" "priority=20,in_port=gnv0,tun_flags=oam,actions=output:vm" >/dev/null &&
	ctl add-flow "$BN" "priority=10,in_port=gnv0,actions=drop" >/dev/null &&
	ctl add-flow "$BN" "priority=10,in_port=vm,actions=output:gnv0" >/dev/null &&
	ping_ok "$V" 10.202.0.2 5 0.05 &&
	ctl dump-flows "$BN" | grep "tun_flags=+oam" | grep -Eq "n_packets=[1-9]"'
check "... ovs-ofctl shows tun_flags=+oam (OpenFlow 1.0 with NXM, and 1.3)" \
	eval 'ofctl dump-flows "$BN" >"$RUN/of10.out" 2>&1; ofctl -O OpenFlow13 dump-flows "$BN" >"$RUN/of13.out" 2>&1;
	grep -q "tun_flags=+oam" "$RUN/of10.out" && grep -q "tun_flags=+oam" "$RUN/of13.out" ||
	{ cat "$RUN/of10.out" "$RUN/of13.out"; false; }'
check "... a rule on tun_flags=-oam (ovs-ofctl) instead does not match them (ping fails)" \
	eval 'ctl del-flows "$BN" "in_port=gnv0,tun_flags=+oam" >/dev/null &&
	ofctl add-flow "$BN" "priority=20,in_port=gnv0,tun_flags=-oam,actions=output:vm" &&
	ctl dump-flows "$BN" | grep -q "tun_flags=-oam," &&
	! ip netns exec "$V" ping -q -c 3 -i 0.2 -W 1 10.202.0.2 >/dev/null 2>&1'
check "... tun_flags=2 is refused, naming the field" \
	eval 'ctl add-flow "$BN" "in_port=gnv0,tun_flags=2,actions=drop" 2>&1 | grep -q "tun_flags"'
check "set_field:oam->tun_flags (ovs-ofctl -O OpenFlow13): scapy sees the O bit on the requests" \
	eval 'ctl del-flows "$BN" >/dev/null &&
	ofctl -O OpenFlow13 add-flow "$BN" "priority=10,in_port=vm,actions=set_field:oam->tun_flags,output:gnv0" &&
	ofctl add-flow "$BN" "priority=10,in_port=gnv0,actions=output:vm" &&
	ctl dump-flows "$BN" | grep -q "actions=set_field:oam->tun_flags,output:gnv0" &&
	ping_ok "$V" 10.202.0.2 5 0.05 &&
	grep -q "icmp-type8 opts= outer=ipv4 oam$" "$RUN/peer.log"'
check "... ovs-ofctl dumps the action as ovs-vswitchd's (1.3: set_field; 1.0: a load of the bit)" \
	eval 'ofctl -O OpenFlow13 dump-flows "$BN" | tee "$RUN/of13.out" | grep -q "set_field:oam->tun_flags" &&
	ofctl dump-flows "$BN" | tee "$RUN/of10.out" | grep -q "load:0x1->NXM_NX_TUN_FLAGS\[\]" ||
	{ cat "$RUN/of13.out" "$RUN/of10.out"; false; }'
check "... set to oam, then cleared by a load of 0 (ovs-ofctl 1.0): the O bit is clear again" \
	eval 'ctl del-flows "$BN" "in_port=vm" >/dev/null && : >"$RUN/peer.log" &&
	ofctl add-flow "$BN" "priority=10,in_port=vm,actions=set_field:oam->tun_flags,load:0->NXM_NX_TUN_FLAGS[],output:gnv0" &&
	ctl dump-flows "$BN" | grep -q "actions=set_field:oam->tun_flags,set_field:0->tun_flags,output:gnv0" &&
	ping_ok "$V" 10.202.0.2 5 0.05 && grep -q "icmp-type8 opts= outer=ipv4$" "$RUN/peer.log" &&
	! grep -q "icmp-type8 .*oam$" "$RUN/peer.log" && ctl del-flows "$BN" >/dev/null'

e0=$(counter rx_errors) d0=$(counter rx_dropped)
check "scapy: 5 each truncated, version 1, options past the packet, TLV past the options, IPv4 payload, unmapped critical option sent" \
	eval 'for k in truncated version optlen tlvlen proto critical; do bad $k 5 || exit 1; done'
check "... all 30 counted as rx_errors" \
	wait_until 10 eval 'test "$(counter rx_errors)" -ge $((e0 + 30))'
check "scapy: 10 packets for VNI 99 counted as rx_dropped (unknown VNI)" \
	eval 'bad vni 10 && wait_until 10 eval "test \$(counter rx_dropped) -ge $((d0 + 10))"'
check "... visible in dump-ports of gnv0" \
	eval 'ctl dump-ports "$BN" gnv0 | grep -Eq "drop=[1-9][0-9]*, errs=[1-9]"'
check "... and vireo-dp still forwards through the tunnel" ping_ok "$V" 10.202.0.2 5 0.05

# key=flow: the VNI of what is sent comes from set_field:...->tun_id, and the port takes
# the VNIs no port has by number (tun_id in its rules).
check "add-port gnvf type=geneve key=flow beside gnv0 (key 77) on the same endpoint" \
	eval 'ctl add-port "$BN" gnvf type=geneve options:remote_ip=172.31.10.2 options:key=flow &&
	wait_until 30 eval "ctl show | grep -q \"port gnvf: ofport [0-9]*, type geneve, link up\"" &&
	ctl tnl/ports/show | grep -q "^gnvf: geneve key=flow"'
check "set_field:88->tun_id,output:gnvf: scapy decodes VNI 88" \
	eval 'peer_start 0x1 && ctl del-flows "$BN" >/dev/null &&
	ctl add-flow "$BN" "in_port=vm,actions=set_field:88->tun_id,output:gnvf" >/dev/null &&
	ctl dump-flows "$BN" | grep -q "actions=set_field:0x58->tun_id,output:gnvf" &&
	{ ip netns exec "$V" ping -q -c 3 -i 0.2 -W 1 10.202.0.2 >/dev/null 2>&1; true; } &&
	wait_until 10 grep -q "^vni=88 ver=0 proto=0x6558 optlen=0 inner=$vmac>" "$RUN/peer.log"'
check "... the same rule by ovs-ofctl (NXM_NX_TUN_ID): VNI 89" \
	eval 'ctl del-flows "$BN" >/dev/null &&
	OVS_RUNDIR=$RUN ovs-ofctl add-flow "$BN" "in_port=vm,actions=set_field:89->tun_id,output:gnvf" &&
	ctl dump-flows "$BN" | grep -q "actions=set_field:0x59->tun_id,output:gnvf" &&
	OVS_RUNDIR=$RUN ovs-ofctl dump-flows "$BN" >"$RUN/of.out" 2>&1 &&
	{ grep -q "actions=load:0x59->NXM_NX_TUN_ID\[\],output:" "$RUN/of.out" ||
	{ cat "$RUN/of.out"; false; }; } &&
	{ ip netns exec "$V" ping -q -c 3 -i 0.2 -W 1 10.202.0.2 >/dev/null 2>&1; true; } &&
	wait_until 10 grep -q "^vni=89 " "$RUN/peer.log"'
check "scapy's VNI 99 reaches gnvf, tun_id=99 in its rules (not dropped as unknown)" \
	eval 'd1=$(counter rx_dropped) &&
	ctl add-flow "$BN" "in_port=gnvf,tun_id=99,actions=drop" >/dev/null && bad vni 4 &&
	wait_until 10 eval "ctl dump-flows \"$BN\" | grep \"tun_id=0x63,in_port=gnvf\" | grep -q n_packets=4" &&
	test "$(counter rx_dropped)" -eq "$d1"'
check "a second key=flow port on the endpoint is refused" \
	eval '! ctl add-port "$BN" gnvg type=geneve options:remote_ip=172.31.10.2 options:key=flow \
	2>"$RUN/e"; cat "$RUN/e"; grep -q "already has key=flow" "$RUN/e"'

check "--check refuses csum: maybe (true or false), takes csum: true" \
	eval 'refused geneve "remote_ip: 1.2.3.4, csum: maybe" "options:csum.: bad value .maybe." &&
	printf "bridges:\n  b:\n    ports:\n      t: {type: geneve, options: {remote_ip: 1.2.3.4, csum: \"true\"}}\n" >"$RUN/cs.yaml" &&
	"$VIREO_DP" --config "$RUN/cs.yaml" --check'
check "--check takes local_ip: flow and remote_ip: flow (tnl_flow.sh runs them)" \
	eval 'printf "bridges:\n  b:\n    ports:\n      t: {type: geneve, options: {remote_ip: flow, local_ip: flow}}\n" >"$RUN/fl.yaml" &&
	"$VIREO_DP" --config "$RUN/fl.yaml" --check'
check "--check takes an IPv6 remote_ip and local_ip (tnl6.sh runs them)" \
	eval 'printf "bridges:\n  b:\n    ports:\n      t: {type: geneve, options: {remote_ip: \"fd00::2\", local_ip: \"fd00::1\"}}\n" >"$RUN/v6.yaml" &&
	"$VIREO_DP" --config "$RUN/v6.yaml" --check'
check "--check refuses a geneve port without remote_ip" refused geneve "key: 1" \
	"options:remote_ip' is required"
stop_dp
check "vireo-dp stops cleanly (status 0)" test "$?" -eq 0
rm -f "$CTL"

# The same port through ovs-vsctl.
check "ovsdb-server and vireo-dp start" ovsdb_dp_start
check "add-br $BP (internal port), $BN with a geneve port" \
	tnl_vsctl_bridges \
	-- add-port "$BN" gnv0 -- set Interface gnv0 type=geneve options:remote_ip=172.31.10.2 \
	options:key=77
check "gnv0 has an ofport and no error" \
	eval 'is_positive "$(get Interface gnv0 ofport)" && test -z "$(iface_error gnv0)"'
check "the underlay's internal port gets 172.31.10.1" \
	tnl_underlay_up 172.31.10.1/24
bmac=$(cat "/sys/class/net/$BP/address")
check "the scapy peer listens" peer_start 0x1
check "ping V -> 10.202.0.2 through the geneve port (ovs-vsctl), 0% loss" \
	wait_until 30 ping_ok "$V" 10.202.0.2 10 0.05
check "options:csum=maybe is refused in the error column, naming the option" \
	eval 'vsctl add-port "$BN" gnv1 -- set Interface gnv1 type=geneve \
	options:remote_ip=172.31.10.3 options:csum=maybe; iface_error gnv1 | grep -q "options:csum"'
kill -TERM "$DP_PID"
wait "$DP_PID"
[ "$n_fail" -eq 0 ] || { echo "--- vireo-dp log (tail)"; tail -n 30 "$RUN/dp.log";
	echo "--- peer log"; tail -n 20 "$RUN/peer.log"; }
finish
