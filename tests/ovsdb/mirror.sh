#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Mirrors set with ovs-vsctl (the Mirror table) on vireo-dp --ovsdb: three hosts in
# namespaces on af_packet ports pa, pb and pc, pc the mirror's output port with tcpdump
# behind it.  A known ping from A to B is mirrored exactly as selected: requests only
# (select_src_port=pa), requests and replies once each (select_src_port and
# select_dst_port=pa), nothing outside select_vlan, everything in it (select_all);
# the output port is reserved (no flooded ARP reaches it), copies of VLAN 100 leave it
# tagged; the Mirror's statistics count
# what it sent; no mirror, nothing.
# SWITCH=ovs runs the same checks against Open vSwitch's ovs-vswitchd with DPDK (those about
# vireo-dp's own refusals are skipped there; its mirror statistics are checked loosely).
. "$(dirname "$0")/../dp/lib.sh"
. "$(dirname "$0")/lib-ovsdb.sh"

command -v tcpdump >/dev/null || skip_all "no tcpdump"

mns() { # mns NS IP
	netns_add "$1" "$2" || return 1
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
}
af() { echo "type=dpdk options:dpdk-devargs=net_af_packet$1,iface=v-$2"; }

A=om$$a B=om$$b C=om$$c
BR=mb$$   # the name of the netdev datapath's tap device under Open vSwitch: unique
mns "$A" 10.95.0.1 && mns "$B" 10.95.0.2 && mns "$C" 10.95.0.3 || { fail "netns"; finish; }

# capture: tcpdump on C's eth0 into a fresh file, packet-buffered; returns once it listens.
CAP_PID=
capture() {
	stop_capture
	rm -f "$RUN/cap.pcap" "$RUN/cap.err"
	ip netns exec "$C" tcpdump -i eth0 -nn -U -w "$RUN/cap.pcap" >"$RUN/cap.err" 2>&1 &
	CAP_PID=$!
	PIDS+=("$CAP_PID")
	wait_until 20 grep -q "listening on" "$RUN/cap.err"
}
stop_capture() {
	[ -n "$CAP_PID" ] || return 0
	kill -INT "$CAP_PID" 2>/dev/null
	wait "$CAP_PID" 2>/dev/null
	CAP_PID=
}
# n_cap FILTER: packets of the capture so far matching FILTER.
n_cap() { tcpdump -r "$RUN/cap.pcap" -nn "$@" 2>/dev/null | wc -l; }
no_icmp() { ! wait_until 2 eval '[ "$(n_cap "icmp or (vlan and icmp)")" -gt 0 ]'; }
# Echo requests A->B and replies B->A; in VLAN 100 (set later) the copies leave the trunk pc
# tagged, as in Open vSwitch.
req="icmp[icmptype] == 8 and src 10.95.0.1 and dst 10.95.0.2"
rep="icmp[icmptype] == 0 and src 10.95.0.2 and dst 10.95.0.1"
# seen REQ REP: the capture holds exactly REQ echo requests A->B and REP replies B->A (it
# waits for the expected count, then checks no other was mirrored meanwhile).
seen() {
	want_req=$1 want_rep=$2
	wait_until 20 eval '[ "$(n_cap "$req")" -ge "$want_req" ] &&
		[ "$(n_cap "$rep")" -ge "$want_rep" ]' &&
		[ "$(n_cap "$req")" -eq "$want_req" ] && [ "$(n_cap "$rep")" -eq "$want_rep" ] ||
		{ echo "capture: $(n_cap "$req") requests, $(n_cap "$rep") replies" \
			"(expected $want_req, $want_rep); its first frames:"
			tcpdump -r "$RUN/cap.pcap" -nn -e 2>/dev/null | head -n 4; return 1; }
}
# Under Open vSwitch, datapath flows cached before a mirror change may be used until its
# revalidators run: purge them so that the reference applies the change at once, as
# vireo-dp does (it has no such cache to lag).
settle() { is_vireo || ovs-appctl -t "$RUN/vswitchd.ctl" revalidator/purge >/dev/null; }
ping10() { settle; ping_ok "$A" 10.95.0.2 10 0.05; }
mstat() { # mstat KEY: the Mirror m0's statistics:KEY (0 when absent)
	local v
	v=$(get Mirror m0 statistics:"$1" | tr -d '"')
	echo "${v:-0}"
}

check "ovsdb-server and vireo-dp --ovsdb start" ovsdb_dp_start
check "add-br with ports pa, pb, pc" \
	eval 'vsctl add-br $BR -- set bridge $BR datapath_type=netdev \
	-- add-port $BR pa -- set Interface pa $(af 1 "$A") \
	-- add-port $BR pb -- set Interface pb $(af 2 "$B") \
	-- add-port $BR pc -- set Interface pc $(af 3 "$C")'
check "A pings B: 0% loss (MACs learnt)" ping_ok "$A" 10.95.0.2 5 0.05

check "create Mirror m0 select_src_port=pa output_port=pc, set Bridge mirrors=@m" \
	eval 'vsctl -- --id=@pa get Port pa -- --id=@pc get Port pc \
	-- --id=@m create Mirror name=m0 select_src_port=@pa output_port=@pc \
	-- set Bridge "$BR" mirrors=@m >/dev/null'
check "... tcpdump listens behind pc" capture
check "... ping A -> B, 10 echoes: 0% loss" ping10
check "... pc saw the 10 requests and none of the replies" seen 10 0
if is_vireo; then
	check "... Mirror statistics: tx_packets = what pc received, tx_bytes counted" \
		wait_until 30 eval '[ "$(mstat tx_packets)" -eq "$(n_cap)" ] &&
		[ "$(mstat tx_bytes)" -gt 0 ]'
else
	check "... Mirror statistics: tx_packets >= 10" \
		wait_until 30 eval '[ "$(mstat tx_packets)" -ge 10 ]'
fi

check "select_dst_port=pa added: requests and replies, each once" \
	eval 'vsctl -- --id=@pa get Port pa -- set Mirror m0 select_dst_port=@pa &&
	capture && ping10 && seen 10 10'

check "select_all=true, select_vlan=200, pa and pb in VLAN 100: nothing mirrored" \
	eval 'vsctl clear Mirror m0 select_src_port select_dst_port -- set Mirror m0 \
	select_all=true select_vlan=200 -- set Port pa tag=100 -- set Port pb tag=100 &&
	capture && ping10 && no_icmp'
check "... and pc, the output port, gets no flooded ARP (reserved for the mirror)" \
	eval '! ip netns exec "$A" ping -c 2 -i 0.2 -W 1 10.95.0.9 >/dev/null 2>&1;
	[ "$(n_cap "arp or (vlan and arp)")" -eq 0 ]'
req="vlan 100 and $req" rep="vlan 100 and $rep"
check "select_vlan=100: requests and replies, each once, tagged 100" \
	eval 'vsctl set Mirror m0 select_vlan=100 && capture && ping10 && seen 10 10'

if is_vireo; then
	check "output_vlan=10 refused: Interface $BR's error names Mirror:output_vlan" \
		eval 'vsctl set Mirror m0 output_vlan=10 &&
		vsctl list Interface $BR | grep -E "^error" | grep -q "Mirror:output_vlan.*refused"'
	check "... cleared: no error" \
		eval 'vsctl clear Mirror m0 output_vlan && test -z "$(iface_error $BR)"'
fi

check "clear Bridge mirrors: nothing mirrored any more" \
	eval 'vsctl clear Bridge $BR mirrors && capture && ping10 && no_icmp'
stop_capture
kill -TERM "$DP_PID"
wait "$DP_PID"
rc=$?
is_vireo && check "SIGTERM: vireo-dp exits 0 (was $rc)" test "$rc" -eq 0
# Open vSwitch's netdev datapath leaves its tap devices behind.
is_vireo || { ip link del "$BR" 2>/dev/null; pgrep -f "^[^ ]*ovs-vswitchd" >/dev/null ||
	ip link del ovs-netdev 2>/dev/null; }
[ "$n_fail" -eq 0 ] || { echo "--- switch log (tail)"; tail -n 30 "$RUN/dp.log"; }
finish
