#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Flow-based tunnel endpoints (options:remote_ip=flow, local_ip=flow) against two hosts with
# the Linux kernel's own vxlan devices.  Namespaces U1 (172.31.13.2, VNI 100, 10.203.0.2)
# and U2 (172.31.13.3, VNI 200, 10.203.0.3) are on the underlay bridge, whose LOCAL port
# holds the host's 172.31.13.1; V (10.203.0.1) is on the overlay bridge with one vxlan port
# vxf {remote_ip: flow, key: flow} and one vxl {remote_ip: flow, local_ip: flow, key: flow}.
# Rules choose the outer destination and VNI by the inner destination MAC (set_field to
# tun_dst and tun_id), and match tun_src and tun_id on receive.  Checked: pings to both
# peers, the outer headers each peer sees (tcpdump: destination, VNI, and the source a rule
# set with tun_src on vxl), that each receive rule counts its own peer's packets, that
# U2's replies to that source (the host has it too) are popped by vxf, that output with no
# tun_dst is dropped and counted, and the options still refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tnl.sh"	# refused

BP=fp$$ BN=fn$$ U1=fa$$ U2=fb$$ V=fv$$
netns_add "$U1" 172.31.13.2 && netns_add "$U2" 172.31.13.3 && netns_add "$V" 10.203.0.1 ||
	{ fail "netns"; finish; }
at_exit 'ip link del "$BP" 2>/dev/null'
ip -n "$V" link set eth0 mtu 1450
M1=02:00:00:cb:00:02 M2=02:00:00:cb:00:03
for p in "$U1 172.31.13.2 100 10.203.0.2 $M1" "$U2 172.31.13.3 200 10.203.0.3 $M2"; do
	set -- $p
	ip -n "$1" link add vx0 type vxlan id "$3" remote 172.31.13.1 local "$2" dstport 4789 \
		dev eth0 && ip -n "$1" link set vx0 address "$5" &&
		ip -n "$1" addr add "$4/24" dev vx0 && ip -n "$1" link set vx0 up ||
		{ fail "kernel vxlan device in $1"; finish; }
done
tx_csum_off "$V eth0" "$U1 eth0" "$U1 vx0" "$U2 eth0" "$U2 vx0" ||
	{ fail "checksum offload off"; finish; }
vmac=$(ip -n "$V" -br link show eth0 | awk '{print $3}')
counter() { ctl tnl/ports/show | grep -A1 "^$1:" | sed -n "s/.* $2=\([0-9]*\).*/\1/p"; }

cat >"$RUN/dp.yaml" <<EOC
$(other_config)
bridges:
  $BP:
    ports:
      $BP: {type: internal}
      p1: {type: dpdk, options: {dpdk-devargs: "net_af_packet1,iface=v-$U1"}}
      p2: {type: dpdk, options: {dpdk-devargs: "net_af_packet2,iface=v-$U2"}}
  $BN:
    ports:
      vm: {type: dpdk, options: {dpdk-devargs: "net_af_packet3,iface=v-$V"}}
      vxf: {type: vxlan, options: {remote_ip: flow, key: flow}}
      vxl: {type: vxlan, options: {remote_ip: flow, local_ip: flow, key: flow}}
EOC
check "vireo-dp starts with vxlan ports remote_ip=flow (and local_ip=flow)" \
	start_dp "$RUN/dp.yaml"
# 172.31.13.11 is the source vxl's rule sets: U2's kernel vxlan device learns V's MAC
# behind it and answers there, so the host has it too (vxf takes any local address).
check "the underlay's internal port gets 172.31.13.1 and 172.31.13.11" \
	eval 'wait_until 10 ip link show "$BP" >/dev/null 2>&1 &&
	ip addr add 172.31.13.1/24 dev "$BP" && ip addr add 172.31.13.11/24 dev "$BP" &&
	ip link set "$BP" up'
check "tnl/ports/show: vxf remote_ip=flow" \
	eval 'ctl tnl/ports/show | grep -q "^vxf: vxlan key=flow remote_ip=flow dst_port=4789"'
# Out: by inner destination MAC; broadcast (ARP) to both peers in one action list.
# In: each peer by its underlay address and VNI; anything else from the tunnel dropped.
check "rules: set_field tun_dst and tun_id per peer; tun_src and tun_id matched on receive" \
	eval 'ctl add-flow "$BN" "priority=20,in_port=vm,dl_dst=$M1,actions=set_field:172.31.13.2->tun_dst,set_field:100->tun_id,output:vxf" >/dev/null &&
	ctl add-flow "$BN" "priority=20,in_port=vm,dl_dst=$M2,actions=set_field:172.31.13.11->tun_src,set_field:172.31.13.3->tun_dst,set_field:200->tun_id,output:vxl" >/dev/null &&
	ctl add-flow "$BN" "priority=20,in_port=vm,dl_dst=ff:ff:ff:ff:ff:ff,actions=set_field:172.31.13.2->tun_dst,set_field:100->tun_id,output:vxf,set_field:172.31.13.3->tun_dst,set_field:200->tun_id,output:vxf" >/dev/null &&
	ctl add-flow "$BN" "priority=20,in_port=vxf,tun_src=172.31.13.2,tun_id=100,actions=output:vm" >/dev/null &&
	ctl add-flow "$BN" "priority=20,in_port=vxf,tun_src=172.31.13.3,tun_id=200,actions=output:vm" >/dev/null &&
	ctl add-flow "$BN" "priority=10,in_port=vxf,actions=drop" >/dev/null &&
	ctl add-flow "$BN" "priority=10,in_port=vxl,actions=drop" >/dev/null &&
	ctl add-flow "$BN" "priority=10,in_port=vm,dl_dst=02:00:00:cb:00:09,actions=output:vxf" >/dev/null'
check "dump-flows prints the actions back as set_field:IP->tun_dst, ->tun_src" \
	eval 'ctl dump-flows "$BN" | grep -q "actions=set_field:172.31.13.11->tun_src,set_field:172.31.13.3->tun_dst,set_field:0xc8->tun_id,output:vxl"'
check "... ovs-ofctl shows them as with ovs-vswitchd (1.3: set_field, 1.0: load to NXM_NX_TUN_IPV4_DST)" \
	eval 'OVS_RUNDIR=$RUN ovs-ofctl -O OpenFlow13 dump-flows "$BN" | grep -q "set_field:172.31.13.2->tun_dst,set_field:0x64->tun_id,output:" &&
	OVS_RUNDIR=$RUN ovs-ofctl dump-flows "$BN" | grep -q "load:0xac1f0d02->NXM_NX_TUN_IPV4_DST\[\],load:0x64->NXM_NX_TUN_ID\[\],output:"'

rm -f "$RUN/cap1" "$RUN/cap2"
for c in "$U1 172.31.13.2 cap1" "$U2 172.31.13.3 cap2"; do
	set -- $c
	ip netns exec "$1" timeout 60 tcpdump -l -nn -i eth0 -c 6 udp port 4789 and dst host "$2" \
		>"$RUN/$3" 2>"$RUN/$3.err" &
	PIDS+=("$!")
done
check "tcpdump listens in U1 and U2" \
	wait_until 20 eval 'grep -q listening "$RUN/cap1.err" && grep -q listening "$RUN/cap2.err"'
check "ping V -> U1 (tun_dst 172.31.13.2, VNI 100), 0% loss" \
	wait_until 30 ping_ok "$V" 10.203.0.2 10 0.05
check "ping V -> U2 (tun_dst 172.31.13.3, VNI 200, tun_src 172.31.13.11), 0% loss" \
	wait_until 30 ping_ok "$V" 10.203.0.3 10 0.05
check "ping U1 -> V and U2 -> V, 0% loss" \
	eval 'ping_ok "$U1" 10.203.0.1 10 0.05 && ping_ok "$U2" 10.203.0.1 10 0.05'
check "tcpdump in U1: vireo-dp's packets to 172.31.13.2 from 172.31.13.1 carry VNI 100" \
	eval 'wait_until 10 eval "test \$(grep -c \"4789: VXLAN\" $RUN/cap1) -ge 6"; cat "$RUN/cap1";
	grep -q "172.31.13.1.[0-9]* > 172.31.13.2.4789: VXLAN.* vni 100" "$RUN/cap1" &&
	! grep "4789: VXLAN" "$RUN/cap1" | grep -v "172.31.13.1.[0-9]* > 172.31.13.2.4789: VXLAN.* vni 100$"'
check "tcpdump in U2: vireo-dp's packets to 172.31.13.3 carry VNI 200; unicast ones from 172.31.13.11 (tun_src)" \
	eval 'wait_until 10 eval "test \$(grep -c \"4789: VXLAN\" $RUN/cap2) -ge 6"; cat "$RUN/cap2";
	grep -q "172.31.13.11.[0-9]* > 172.31.13.3.4789: VXLAN.* vni 200" "$RUN/cap2" &&
	! grep "4789: VXLAN" "$RUN/cap2" | grep -v " > 172.31.13.3.4789: VXLAN.* vni 200$"'
check "U2's replies to 172.31.13.11 were popped (vxf: any local address)" \
	eval 'ctl add-flow "$BN" "priority=30,in_port=vxf,tun_src=172.31.13.3,tun_dst=172.31.13.11,actions=output:vm" >/dev/null &&
	ping_ok "$V" 10.203.0.3 5 0.05 &&
	ctl dump-flows "$BN" | grep "tun_src=172.31.13.3,tun_dst=172.31.13.11,in_port=vxf" | grep -Eq "n_packets=[1-9]"'
check "each receive rule counted its own peer's packets (tun_src and tun_id matched)" \
	eval 'ctl dump-flows "$BN" | grep "tun_id=0x64,tun_src=172.31.13.2,in_port=vxf" | grep -Eq "n_packets=[1-9]" &&
	ctl dump-flows "$BN" | grep "tun_id=0xc8,tun_src=172.31.13.3,in_port=vxf" | grep -Eq "n_packets=[1-9]"'
check "tnl/arp/show: both peers' underlay addresses resolved on $BP" \
	eval 'ctl tnl/arp/show | grep -q "^172.31.13.2 .*$BP" && ctl tnl/arp/show | grep -q "^172.31.13.3 .*$BP"'

d0=$(counter vxf tx_no_dst)
check "V sends 5 packets to a MAC whose rule sets no tun_dst" \
	eval 'ip -n "$V" neigh replace 10.203.0.9 lladdr 02:00:00:cb:00:09 dev eth0 &&
	! ip netns exec "$V" ping -q -c 5 -i 0.1 -W 1 10.203.0.9 >/dev/null 2>&1'
check "... dropped and counted as vxf's tx_no_dst (5 more)" \
	wait_until 10 eval 'test "$(counter vxf tx_no_dst)" -ge $((d0 + 5))'
check "... and in dump-ports' tx drop" \
	eval 'ctl dump-ports "$BN" vxf | grep -A1 "port *\"*vxf" | grep -Eq "tx .*drop=[1-9]"'
check "... and the peers still answer" ping_ok "$V" 10.203.0.2 5 0.05

check "a second vxlan port remote_ip=flow key=flow on 4789 is refused, naming vxf" \
	eval '! ctl add-port "$BN" vx2 type=vxlan options:remote_ip=flow options:key=flow 2>"$RUN/e";
	cat "$RUN/e"; grep -q "vxf" "$RUN/e"'
stop_dp
check "vireo-dp stops cleanly (status 0)" test "$?" -eq 0

check "--check takes vxlan, geneve and gtpu with remote_ip: flow and local_ip: flow" \
	eval 'printf "bridges:\n  b:\n    ports:\n      t: {type: vxlan, options: {remote_ip: flow, local_ip: flow, key: flow}}\n      g: {type: geneve, options: {remote_ip: flow}}\n      u: {type: gtpu, options: {remote_ip: flow, local_ip: flow}}\n" >"$RUN/ok.yaml" &&
	"$VIREO_DP" --config "$RUN/ok.yaml" --check'
[ "$n_fail" -eq 0 ] || { echo "--- vireo-dp log (tail)"; tail -n 30 "$RUN/dp.log"; }
finish
