#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Bridge other_config:forward-bpdu, as Open vSwitch's NORMAL action: unset or false, frames to
# the reserved addresses (an STP BPDU to 01:80:c2:00:00:00, LLDP's 01:80:c2:00:00:0e, Cisco's
# 01:00:0c:cc:cc:cc) are neither forwarded nor learned from, while other multicast
# (01:80:c2:00:00:20) floods; true, they flood too.  Frames sent with scapy from namespace A;
# what B's veth received is counted (IPv6 off, static ARP entries: nothing else is sent).  From YAML (changed by
# SIGHUP) and from OVSDB (ovs-vsctl); SWITCH=ovs runs the OVSDB half against Open vSwitch's
# ovs-vswitchd with DPDK.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../ovsdb/lib-ovsdb.sh"

/usr/bin/python3 -c 'import scapy' 2>/dev/null || skip_all "no python3-scapy (scripts/deps)"

A=bp$$a B=bp$$b
for ns in "$A:10.93.0.1" "$B:10.93.0.2"; do
	netns_add "${ns%%:*}" "${ns#*:}" || { fail "netns"; finish; }
	ip netns exec "${ns%%:*}" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "${ns%%:*}" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done
# Permanent ARP entries: no neighbour probe after a ping lands in a count.
mac_a=$(ip -n "$A" -br link show eth0 | awk '{print $3}')
mac_b=$(ip -n "$B" -br link show eth0 | awk '{print $3}')
ip -n "$A" neigh replace 10.93.0.2 lladdr "$mac_b" dev eth0 nud permanent &&
	ip -n "$B" neigh replace 10.93.0.1 lladdr "$mac_a" dev eth0 nud permanent ||
	{ fail "static ARP entries"; finish; }
SRC_R=02:00:00:00:bb:01   # the source of the reserved frames
SRC_M=02:00:00:00:bb:02   # the source of the ordinary multicast ones

# send COUNT KIND:SRC...: COUNT frames of each KIND (tests/dp/bpdu_send.py) from A.
send() { ip netns exec "$A" /usr/bin/python3 "$(dirname "$0")/bpdu_send.py" eth0 "$@"; }
rx_b() { ip netns exec "$B" cat /sys/class/net/eth0/statistics/rx_packets; }
# delivered N: after 3 STP BPDUs, LLDP and CDP frames each (9 reserved), then 3 ordinary
# multicast frames (their arrival says the earlier frames had their turn), B received N more
# frames than before: 3 when reserved frames are dropped, 12 when they are forwarded.
delivered() {
	local before=$(rx_b) want=$1
	send 3 "stp:$SRC_R" "lldp:$SRC_R" "cdp:$SRC_R" "gmrp:$SRC_M" ||
		{ FAIL_WHY="scapy failed"; return 1; }
	wait_until 10 eval 'test $(($(rx_b) - before)) -ge $want'
	sleep 0.5
	FAIL_WHY="B received $(($(rx_b) - before)), expected $want"
	test $(($(rx_b) - before)) -eq "$want"
}
ping2() { ping_ok "$@" || { echo "(retrying once)"; ping_ok "$@"; }; }

write_cfg() {
	cat >"$RUN/dp.yaml" <<EOC
$(other_config)
bridges:
  br0:
$1
    ports:
      p1: {type: dpdk, options: {dpdk-devargs: "net_af_packet1,iface=v-$A"}}
      p2: {type: dpdk, options: {dpdk-devargs: "net_af_packet2,iface=v-$B"}}
EOC
}
# reload: SIGHUP, wait until the new file is applied.
reload() {
	local done_before
	done_before=$(grep -c "reloaded" "$RUN/dp.log")
	kill -HUP "$DP_PID"
	wait_until 10 eval 'test $(grep -c "reloaded" "$RUN/dp.log") -gt $done_before'
}

if is_vireo; then
	write_cfg ""
	check "vireo-dp starts, no forward-bpdu" start_dp "$RUN/dp.yaml"
	check "A pings B: the ports forward" ping2 "$A" 10.93.0.2 5 0.05
	check "default: STP, LLDP and CDP frames are not delivered, other multicast is" delivered 3
	check "... the reserved frames' source was not learned, the other one was" \
		eval 'fdb=$(ctl fdb/show br0); ! grep -qi "$SRC_R" <<<"$fdb" &&
		grep -qi "$SRC_M" <<<"$fdb"'
	check "ofproto/trace: a BPDU is dropped, saying why" \
		eval 'ctl ofproto/trace br0 in_port=1,dl_dst=01:80:c2:00:00:00 |
		grep -q "reserved destination MAC, dropping"'
	write_cfg "    other_config: {forward-bpdu: false}"
	check "SIGHUP with forward-bpdu: false is taken" reload
	check "forward-bpdu false: not delivered" delivered 3
	write_cfg "    other_config: {forward-bpdu: true}"
	check "SIGHUP with forward-bpdu: true is taken" reload
	check "forward-bpdu true: STP, LLDP and CDP frames are flooded" delivered 12
	check "... and their source learned" eval 'ctl fdb/show br0 | grep -qi "$SRC_R"'
	write_cfg "    fail_mode: secure
    flows: [\"actions=NORMAL\"]"
	check "SIGHUP: rules (actions=NORMAL), forward-bpdu unset" reload
	check "the NORMAL action drops the reserved frames too" delivered 3
	printf 'bridges:\n  br0:\n    other_config: {forward-bpdu: yes}\n' >"$RUN/bad.yaml"
	check "--check refuses forward-bpdu: yes, naming the key" \
		eval '"$VIREO_DP" --config "$RUN/bad.yaml" --check 2>&1 |
		grep -q "forward-bpdu.: bad value .yes."'
	stop_dp
	rm -f "$CTL"
fi

# OVSDB: the Bridge column, as ovs-vsctl sets it.
BR=bp$$
# Under Open vSwitch, datapath flows cached before a change may be used until its
# revalidators run: purge them, as tests/ovsdb/mirror.sh does.
settle() { is_vireo || ovs-appctl -t "$RUN/vswitchd.ctl" revalidator/purge >/dev/null; }
check "ovsdb-server and the switch start ($SWITCH)" ovsdb_dp_start
check "add-br, two ports" vsctl add-br "$BR" -- set bridge "$BR" datapath_type=netdev \
	-- add-port "$BR" p1 -- set Interface p1 type=dpdk \
	options:dpdk-devargs="net_af_packet1,iface=v-$A" \
	-- add-port "$BR" p2 -- set Interface p2 type=dpdk \
	options:dpdk-devargs="net_af_packet2,iface=v-$B"
# The bridge's LOCAL port is a kernel device: IPv6 off there too, or its neighbour
# discovery floods to B and spoils the counts.
check "the bridge's local device $BR, IPv6 off" \
	eval 'wait_until 10 test -e /proc/sys/net/ipv6/conf/$BR &&
	sysctl -qw net.ipv6.conf.$BR.disable_ipv6=1'
check "A pings B: the ports forward" ping2 "$A" 10.93.0.2 10 0.05
check "no forward-bpdu: reserved frames not delivered" delivered 3
check "set bridge other_config:forward-bpdu=true: delivered" \
	eval 'vsctl set bridge "$BR" other_config:forward-bpdu=true && settle && delivered 12'
check "... no error on the bridge's interface" test -z "$(iface_error "$BR")"
check "other_config:forward-bpdu=false: not delivered" \
	eval 'vsctl set bridge "$BR" other_config:forward-bpdu=false && settle && delivered 3'
check "... no error on the bridge's interface" test -z "$(iface_error "$BR")"
check "forward-bpdu=true, then removed: not delivered" \
	eval 'vsctl set bridge "$BR" other_config:forward-bpdu=true && settle && delivered 12 &&
	vsctl remove bridge "$BR" other_config forward-bpdu && settle && delivered 3'
kill -TERM "$DP_PID"
wait "$DP_PID"
is_vireo || { ip link del "$BR" 2>/dev/null; pgrep -f "^[^ ]*ovs-vswitchd" >/dev/null ||
	ip link del ovs-netdev 2>/dev/null; }
finish
