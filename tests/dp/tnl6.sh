#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Tunnel ports over an IPv6 underlay, one vireo-dp for the three types.  Namespace U is the
# remote host: its eth0 (fd00:9::2) is on the underlay bridge, whose LOCAL port holds the
# host's fd00:9::1.  U has the Linux kernel's own vxlan device over IPv6 (VNI 42,
# 10.201.0.2, inner MTU 1430), and plays with scapy the far end of a Geneve tunnel
# (geneve_peer.py) and a GTP-U base station (gtpu_peer.py).  Namespaces V (10.201.0.1),
# G (10.202.0.1) and D (10.45.0.1) are on the overlay bridges of the vxlan, geneve and gtpu
# ports.  Pings and TCP cross the kernel's vxlan device both ways; scapy checks the outer
# IPv6 header (hop limit 64, traffic class 0, flow label 0) and the UDP checksum of what
# vireo-dp sends; the next hop is learnt by Neighbor Discovery and shows in tnl/arp/show,
# the route in ovs/route/show; bad IPv6 outer packets are dropped and counted.  A
# remote_ip=flow port over IPv6 (bridge $BF, namespace W 10.203.0.1; UDP 4790, so that
# unknown VNIs on 4789 stay vx6's to count) reaches U's second vxlan device (VNI 43,
# 10.203.0.2) by rules that set tun_ipv6_dst and match tun_ipv6_src.  Then vxlan ports over IPv6 through ovs-vsctl.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../ovsdb/lib-ovsdb.sh"
. "$(dirname "$0")/lib-tnl.sh"

BP=tp$$ BN=tn$$ BG=tg$$ BT=tt$$ BF=tf$$ U=tu$$ V=tv$$ G=tw$$ D=td$$ W=tx$$
netns_add "$U" 172.31.12.2 && netns_add "$V" 10.201.0.1 && netns_add "$G" 10.202.0.1 &&
	netns_add "$D" 10.45.0.1 && netns_add "$W" 10.203.0.1 || { fail "netns"; finish; }
at_exit 'ip link del "$BP" 2>/dev/null'
ip -n "$V" link set eth0 mtu 1430
ip -n "$G" link set eth0 mtu 1430
ip -n "$W" link set eth0 mtu 1430
ip -n "$U" addr add fd00:9::2/64 dev eth0 nodad &&
	ip -n "$U" link add vx0 type vxlan id 42 remote fd00:9::1 local fd00:9::2 dstport 4789 \
	dev eth0 && ip -n "$U" addr add 10.201.0.2/24 dev vx0 && ip -n "$U" link set vx0 up &&
	ip -n "$U" link add vx1 type vxlan id 43 remote fd00:9::1 local fd00:9::2 dstport 4790 \
	dev eth0 && ip -n "$U" addr add 10.203.0.2/24 dev vx1 && ip -n "$U" link set vx1 up ||
	{ fail "kernel vxlan devices over IPv6 in $U"; finish; }
# D answers the UE 10.60.0.2 through the gtpu port's bridge (nothing there answers ARP).
ip -n "$D" route add 10.60.0.0/24 dev eth0 &&
	ip -n "$D" neigh add 10.60.0.2 lladdr 02:00:00:00:60:02 dev eth0 ||
	{ fail "routes in $D"; finish; }
umac=$(ip -n "$U" -br link show eth0 | awk '{print $3}')
gmac=$(ip -n "$G" -br link show eth0 | awk '{print $3}')
dmac=$(ip -n "$D" -br link show eth0 | awk '{print $3}')
# Checksums in software: af_packet ports see what a namespace queued (tx_csum_off).
tx_csum_off "$V eth0" "$U eth0" "$U vx0" "$W eth0" "$U vx1" ||
	{ fail "checksum offload off"; finish; }
counter() { ctl tnl/ports/show | grep -A1 "^$1:" | sed -n "s/.* $2=\([0-9]*\).*/\1/p"; }
bad() { ip netns exec "$U" /usr/bin/python3 "$(dirname "$0")/vxlan_bad.py" eth0 "$bmac" \
	fd00:9::2 fd00:9::1 "$@"; }

{
	tnl_yaml 'vx6: {type: vxlan, options: {remote_ip: "fd00:9::2", local_ip: "fd00:9::1", key: 42}}'
	cat <<EOC
  $BG:
    ports:
      gm: {type: dpdk, options: {dpdk-devargs: "net_af_packet3,iface=v-$G"}}
      gnv6: {type: geneve, options: {remote_ip: "fd00:9::2", key: 77}}
  $BT:
    ports:
      dn: {type: dpdk, options: {dpdk-devargs: "net_af_packet4,iface=v-$D"}}
      gtp6: {type: gtpu, options: {remote_ip: "fd00:9::2", local_ip: "fd00:9::1", key: flow}}
  $BF:
    ports:
      wm: {type: dpdk, options: {dpdk-devargs: "net_af_packet5,iface=v-$W"}}
      vxf6: {type: vxlan, options: {remote_ip: flow, local_ip: "fd00:9::1", key: flow, dst_port: 4790}}
EOC
} >"$RUN/dp.yaml"
check "vireo-dp starts with vxlan, geneve and gtpu ports over IPv6" start_dp "$RUN/dp.yaml"
check "the underlay's internal port gets fd00:9::1" \
	tnl_underlay_up fd00:9::1/64 nodad
bmac=$(cat "/sys/class/net/$BP/address")
check "the three links come up (route through $BP, next hop by Neighbor Discovery)" \
	wait_until 30 eval 'test "$(ctl show | grep -cE "port (vx6|gnv6|gtp6): .* link up")" -eq 3'
check "show: MTU 1430 for vxlan and geneve, 1444 for gtpu over IPv6 (20 less than IPv4)" \
	eval 'ctl show | grep -q "port vx6: .*mtu 1430," && ctl show | grep -q "port gnv6: .*mtu 1430," &&
	ctl show | grep -q "port gtp6: .*mtu 1444,"'
check "ping V -> U's kernel vxlan device over IPv6, 0% loss" \
	wait_until 10 ping_ok "$V" 10.201.0.2 20 0.05
check "ping U's vxlan device -> V, 0% loss" ping_ok "$U" 10.201.0.1 20 0.05
check "inner MTU 1430: 1402-byte pings with DF pass" \
	eval 'ip netns exec "$V" ping -q -c 5 -i 0.1 -s 1402 -M do -W 5 10.201.0.2 | grep -q " 0% packet loss"'
check "TCP, 4 MB V -> U over the IPv6 underlay, digests equal" tcp_move "$V" "$U" 10.201.0.2
check "TCP, 4 MB U -> V, digests equal (Linux checked every UDP checksum)" \
	tcp_move "$U" "$V" 10.201.0.1
check "tnl/arp/show: fd00:9::2 with U's MAC on $BP" \
	eval 'ctl tnl/arp/show | grep -Eq "^fd00:9::2 +$umac +$BP"'
check "ovs/route/show: fd00:9::/64 dev $BP SRC fd00:9::1" \
	eval 'ovs-appctl -t "$CTL" ovs/route/show | grep -q "^Cached: fd00:9::/64 dev $BP SRC fd00:9::1$"'
check "tnl/ports/show: vx6 remote_ip=fd00:9::2 up" \
	eval 'ctl tnl/ports/show | grep -q "^vx6: vxlan key=42 remote_ip=fd00:9::2 dst_port=4789 up"'

# Geneve against scapy over IPv6.
rm -f "$RUN/peer.log" "$RUN/peer.log.ready"
ip netns exec "$U" timeout 40 /usr/bin/python3 "$(dirname "$0")/geneve_peer.py" respond eth0 \
	"$bmac" fd00:9::2 fd00:9::1 77 0xabcd 30 "$RUN/peer.log" &
PIDS+=("$!")
check "the scapy Geneve peer listens" wait_until 20 test -e "$RUN/peer.log.ready"
check "ping G -> 10.202.0.2 (scapy behind the geneve port), 0% loss" \
	wait_until 10 ping_ok "$G" 10.202.0.2 10 0.05
check "scapy decoded vireo-dp's Geneve: VNI 77, G's frames, outer IPv6 hlim 64, UDP checksum right" \
	eval 'grep -q "^vni=77 ver=0 proto=0x6558 optlen=0 inner=$gmac>.* icmp-type8 opts= outer=ipv6 tc=0 fl=0 hlim=64 csum=ok$" "$RUN/peer.log" &&
	! grep -v "outer=ipv6 tc=0 fl=0 hlim=64 csum=ok$" "$RUN/peer.log"'

# GTP-U against scapy over IPv6: uplink TEID 100 to D, downlink TEID 200 by a rule.
check "gtpu rules: uplink on TEID 100 to D, downlink set_field:200->tun_id" \
	eval 'ctl add-flow "$BT" "priority=20,in_port=gtp6,tun_id=100,ip,nw_src=10.60.0.2,actions=mod_dl_dst:$dmac,output:dn" >/dev/null &&
	ctl add-flow "$BT" "priority=20,in_port=dn,ip,nw_dst=10.60.0.2,actions=set_field:200->tun_id,output:gtp6" >/dev/null'
check "scapy: 10 uplink G-PDUs over IPv6, 10 replies with TEID 200, outer IPv6 and UDP checksum right" \
	eval 'out=$(ip netns exec "$U" /usr/bin/python3 "$(dirname "$0")/gtpu_peer.py" eth0 "$bmac" \
	fd00:9::2 fd00:9::1 ping 10 100 10.60.0.2 10.45.0.1 200); echo "$out"; echo "$out" | grep -qx "ok 10"'

# Bad IPv6 outer packets at the vxlan endpoint.
e0=$(counter vx6 rx_errors)
check "scapy: 10 truncated (payload length past the packet), 10 with a wrong UDP checksum" \
	eval 'bad plen 10 && bad badcsum 10 && bad truncated 10'
check "... all 30 dropped and counted as vx6's rx_errors" \
	wait_until 10 eval 'test "$(counter vx6 rx_errors)" -ge $((e0 + 30))'
e1=$(counter vx6 rx_errors) d1=$(counter vx6 rx_dropped)
check "scapy: 10 with a destination options header before UDP: left to the kernel, not counted" \
	eval 'bad exthdr 10 && bad vni 1 && wait_until 10 eval "test \$(counter vx6 rx_dropped) -ge $((d1 + 1))" &&
	test "$(counter vx6 rx_errors)" -eq "$e1"'
check "... and vireo-dp still forwards over IPv6" ping_ok "$V" 10.201.0.2 5 0.05

check "a vxlan port with an IPv6 remote_ip and an IPv4 local_ip is refused, naming both" \
	eval '! ctl add-port "$BN" vx7 type=vxlan options:remote_ip=fd00:9::3 \
	options:local_ip=172.31.12.1 2>"$RUN/e"; cat "$RUN/e"; grep -q "not of the same address family" "$RUN/e"'

# remote_ip=flow over IPv6: the destination and VNI from the rule, the way back matched on
# the outer source.
check "rules on $BF: set_field to tun_ipv6_dst and tun_id out, tun_ipv6_src and tun_id in" \
	eval 'ctl add-flow "$BF" "priority=10,in_port=wm,actions=set_field:fd00:9::2->tun_ipv6_dst,set_field:43->tun_id,output:vxf6" >/dev/null &&
	ctl add-flow "$BF" "priority=10,in_port=vxf6,tun_ipv6_src=fd00:9::2,tun_ipv6_dst=fd00:9::1,tun_id=43,actions=output:wm" >/dev/null'
check "ping W -> U's second vxlan device (VNI 43) through remote_ip=flow over IPv6, 0% loss" \
	wait_until 20 ping_ok "$W" 10.203.0.2 10 0.05
check "ping U's second vxlan device -> W, 0% loss" ping_ok "$U" 10.203.0.1 10 0.05
check "dump-flows: the tun_ipv6_src rule counted the replies, printed as Open vSwitch does" \
	eval 'ctl dump-flows "$BF" | grep "tun_ipv6_src=fd00:9::2,tun_ipv6_dst=fd00:9::1" |
	grep -Eq "n_packets=([2-9][0-9]|1[0-9])"'
check "a packet from another remote does not match tun_ipv6_src: the rule with it is not hit" \
	eval 'ctl add-flow "$BF" "priority=20,in_port=vxf6,tun_ipv6_src=fd00:9::3,actions=drop" >/dev/null &&
	ping_ok "$W" 10.203.0.2 5 0.05 &&
	ctl dump-flows "$BF" | grep "tun_ipv6_src=fd00:9::3" | grep -q "n_packets=0,"'
stop_dp
check "vireo-dp stops cleanly (status 0)" test "$?" -eq 0
rm -f "$CTL"

check "ovsdb-server and vireo-dp start" ovsdb_dp_start
check "add-br $BP (internal port), $BN with a vxlan port to fd00:9::2" \
	tnl_vsctl_bridges \
	-- add-port "$BN" vx6 -- set Interface vx6 type=vxlan options:remote_ip=fd00:9::2 \
	options:key=42
check "vx6 has an ofport and no error" \
	eval 'is_positive "$(get Interface vx6 ofport)" && test -z "$(iface_error vx6)"'
check "the underlay's internal port gets fd00:9::1" \
	tnl_underlay_up fd00:9::1/64 nodad
check "ping V -> U over IPv6 (ovs-vsctl), 0% loss" wait_until 30 ping_ok "$V" 10.201.0.2 10 0.05
check "options:remote_ip=flow with an IPv6 local_ip (ovs-vsctl): an ofport, no error" \
	eval 'vsctl add-port "$BN" vx1 -- set Interface vx1 type=vxlan \
	options:remote_ip=flow options:local_ip=fd00:9::1 options:key=5 &&
	is_positive "$(get Interface vx1 ofport)" && test -z "$(iface_error vx1)"'
kill -TERM "$DP_PID"
wait "$DP_PID"
[ "$n_fail" -eq 0 ] || { echo "--- vireo-dp log (tail)"; tail -n 30 "$RUN/dp.log";
	echo "--- peer log"; tail -n 5 "$RUN/peer.log"; }
finish
