#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# A Geneve tunnel port against the Linux kernel's own geneve device (geneve.sh checks the
# protocol field by field against scapy).  Namespace U is the remote host: its eth0
# (172.31.12.2) is on the underlay bridge, whose LOCAL port holds the host's 172.31.12.1,
# and it has a kernel geneve device (VNI 77, 10.206.0.2).  Namespace V (10.206.0.1, MTU
# 1450) is on the overlay bridge with the geneve port.  V and U's geneve device ping and
# move 4 MB over TCP both ways; 1422-byte pings with DF pass.  Then U's device is replaced by
# one in external (collect_md) mode whose route adds a Geneve option (class 0xffff, type 0,
# value 0xabcd) to what it sends: a rule on tun_metadata0 (add-tlv-map) sees the kernel's
# option, a rule on another value does not, and the kernel takes vireo-dp's packets with an
# option of its own (set_field to tun_metadata0) as well.
# This machine's kernel may have no geneve device: then the test runs in scripts/testhost's
# L1 (a Debian kernel with the geneve module), at TCG speed.
if [ -z "${GENEVE_INNER:-}" ] && ! ip link add gnprobe$$ type geneve id 1 remote 127.0.0.2 2>/dev/null; then
	ROOT=$(cd "$(dirname "$0")/../.." && pwd)
	exec "$ROOT/scripts/testhost" run --timeout 600 --hugepages 600 --mem 2048 --smp 2 \
		--env GENEVE_INNER=1 --env VIREO_BUILD="$(readlink -f "${VIREO_BUILD:-$ROOT/build}")" \
		-- "$(readlink -f "$0")"
fi
ip link del gnprobe$$ 2>/dev/null
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../ovsdb/lib-ovsdb.sh"
. "$(dirname "$0")/lib-tnl.sh"

BP=kp$$ BN=kn$$ U=ku$$ V=kv$$
netns_add "$U" 172.31.12.2 && netns_add "$V" 10.206.0.1 || { fail "netns"; finish; }
at_exit 'ip link del "$BP" 2>/dev/null'
ip -n "$V" link set eth0 mtu 1450
ip -n "$U" link add gnv0 type geneve id 77 remote 172.31.12.1 &&
	ip -n "$U" addr add 10.206.0.2/24 dev gnv0 && ip -n "$U" link set gnv0 up ||
	{ fail "kernel geneve device in $U"; finish; }
tx_csum_off "$V eth0" "$U eth0" "$U gnv0" || { fail "checksum offload off"; finish; }

tnl_yaml 'gnv: {type: geneve, options: {remote_ip: 172.31.12.2, local_ip: 172.31.12.1, key: 77}}' >"$RUN/dp.yaml"
check "vireo-dp starts with an underlay bridge and a geneve port" start_dp "$RUN/dp.yaml"
check "the underlay's internal port gets 172.31.12.1" tnl_underlay_up 172.31.12.1/24
check "gnv's link comes up (route through $BP, next hop resolved by ARP)" \
	wait_until 60 eval 'ctl show | grep -q "port gnv: ofport [0-9]*, type geneve, link up"'
check "ping V -> U's kernel geneve device through the overlay, 0% loss" \
	wait_until 20 ping_ok "$V" 10.206.0.2 10 0.1
check "ping U's geneve device -> V, 0% loss" ping_ok "$U" 10.206.0.1 10 0.1
check "inner MTU 1450: 1422-byte pings with DF pass both ways" \
	eval 'ip netns exec "$V" ping -q -c 3 -i 0.2 -s 1422 -M do -W 5 10.206.0.2 | grep -q " 0% packet loss" &&
	ip netns exec "$U" ping -q -c 3 -i 0.2 -s 1422 -M do -W 5 10.206.0.1 | grep -q " 0% packet loss"'
check "TCP, 4 MB V -> U through the overlay, digests equal" tcp_move "$V" "$U" 10.206.0.2
check "TCP, 4 MB U -> V through the overlay, digests equal" tcp_move "$U" "$V" 10.206.0.1
check "U's geneve device counted what vireo-dp sent it, without errors" \
	eval 'ip -n "$U" -s link show gnv0 | awk "/RX:/ { getline; exit !(\$2 > 2000 && \$3 == 0) }"'

# The kernel as a Geneve end that sends options: a collect_md device, the option in its
# route's encapsulation.  Neighbours are static: ARP through a collect_md device would need
# tunnel metadata of its own.
umac=
ip -n "$U" link del gnv0
ip -n "$U" link add gnvx type geneve external && ip -n "$U" link set gnvx mtu 1450 &&
	ip -n "$U" addr add 10.206.0.2/24 dev gnvx && ip -n "$U" link set gnvx up &&
	ip netns exec "$U" ethtool -K gnvx tx off >/dev/null 2>&1 &&
	ip -n "$U" route replace 10.206.0.0/24 dev gnvx \
		encap ip id 77 dst 172.31.12.1 geneve_opts 0xffff:0x0:0000abcd &&
	umac=$(ip -n "$U" -br link show gnvx | awk '{print $3}')
vmac=$(ip -n "$V" -br link show eth0 | awk '{print $3}')
check "U: a collect_md geneve device whose route adds option 0xffff/0 = 0xabcd" \
	eval 'test -n "$umac" && ip -n "$U" neigh replace 10.206.0.1 lladdr "$vmac" dev gnvx &&
	ip -n "$V" neigh replace 10.206.0.2 lladdr "$umac" dev eth0 &&
	ip -n "$U" route show 10.206.0.0/24 | grep -q "geneve_opts"'
check "add-tlv-map maps class 0xffff type 0 to tun_metadata0" \
	ctl add-tlv-map "$BN" "{class=0xffff,type=0,len=4}->tun_metadata0"
check "a rule on tun_metadata0=0xabcd passes the kernel's packets: ping V -> U, 0% loss" \
	eval 'ctl add-flow "$BN" "priority=20,in_port=gnv,tun_id=77,tun_metadata0=0xabcd,actions=output:vm" >/dev/null &&
	ctl add-flow "$BN" "priority=10,in_port=gnv,actions=drop" >/dev/null &&
	ctl add-flow "$BN" "priority=10,in_port=vm,actions=output:gnv" >/dev/null &&
	wait_until 20 ping_ok "$V" 10.206.0.2 5 0.1'
check "... dump-flows shows the replies on that rule" \
	eval 'ctl dump-flows "$BN" | grep "tun_metadata0=0xabcd" | grep -Eq "n_packets=[1-9]"'
check "... a rule on tun_metadata0=0xabce instead does not match them (ping fails)" \
	eval 'ctl del-flows "$BN" "in_port=gnv,tun_metadata0=0xabcd" >/dev/null &&
	ctl add-flow "$BN" "priority=20,in_port=gnv,tun_metadata0=0xabce,actions=output:vm" >/dev/null &&
	! ip netns exec "$V" ping -q -c 3 -i 0.2 -W 2 10.206.0.2 >/dev/null 2>&1'
# opts_seen: tcpdump -vv's decoding of two Geneve packets vireo-dp sends U while V pings.
opts_seen() {
	ip netns exec "$U" timeout 15 tcpdump -l -c 2 -vv -nn -i eth0 \
		"udp dst port 6081 and src host 172.31.12.1" >"$RUN/opts" 2>"$RUN/opts.err" &
	local p=$!
	wait_until 10 grep -q "listening on" "$RUN/opts.err"
	ping_ok "$V" 10.206.0.2 5 0.1
	local r=$?
	wait "$p"
	cat "$RUN/opts"
	return $r
}
check "vireo-dp's own option (set_field:0x1234->tun_metadata0): the kernel takes the packets" \
	eval 'ctl del-flows "$BN" >/dev/null &&
	ctl add-flow "$BN" "priority=20,in_port=gnv,tun_metadata0=0xabcd,actions=output:vm" >/dev/null &&
	ctl add-flow "$BN" "priority=10,in_port=vm,actions=set_field:0x1234->tun_metadata0,output:gnv" >/dev/null &&
	opts_seen && ctl dump-flows "$BN" | grep "set_field:0x1234->tun_metadata0" | grep -Eq "n_packets=[1-9]" &&
	grep -q "(0xffff) type 0x0 len 8 data 00001234" "$RUN/opts"'
finish
