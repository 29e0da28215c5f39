#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bond_mode=balance-slb, set with ovs-vsctl (vireo-dp --ovsdb; SWITCH=ovs: Open vSwitch's
# ovs-vswitchd with DPDK, configured by the same commands).  The bond's two members
# (net_af_packet) are cabled to a plain Linux bridge in namespace "up" (a switch that knows
# nothing of the bond, which is what balance-slb is for), with host "far" behind it; host
# "near" sits on the switch's other port.  The bridge floods broadcasts to both members and
# sends the switch's own packets back on the other member: the loop the bond must not make.
#   - ping near -> far through the bond;
#   - 16 source MACs from near: each leaves by one member only, and both members carry some;
#   - a broadcast on the backup member is not delivered, one on the active member is; a
#     broadcast on the active member whose source is near's (learned on the near port: a
#     reflection) is not delivered either;
#   - failover under a 20 pps ping when the member carrying near's traffic loses its link,
#     then the member back: its share of source MACs returns.  Not with SWITCH=ovs: Open
#     vSwitch reads the link from DPDK 22.11's net_af_packet, which reports it up whatever
#     the veth does (vireo-dp reads the kernel's carrier for af_packet members).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../ovsdb/lib-ovsdb.sh"
command -v tcpdump >/dev/null || skip_all "no tcpdump"
is_vireo || [ -x "$OVS_VSWITCHD" ] || skip_all "no $OVS_VSWITCHD"
FRAMES="python3 $(cd "$(dirname "$0")" && pwd)/slb_frames.py"

N=$$
UP=su$N NEAR=sn$N FAR=sf$N BR=sl$N
NEAR_MAC=02:00:00:00:5b:01 FAR_MAC=02:00:00:00:5b:02
actl() {
	if is_vireo; then ovs-appctl -t "$CTL" "$@"; else ovs-appctl -t "$RUN/vswitchd.ctl" "$@"; fi
}
quiet_ns() { ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
	net.ipv6.conf.default.disable_ipv6=1; }

# The upstream switch: bridge "upbr" in $UP over uA, uB (to the members' sA$N, sB$N) and far.
topology() {
	ip netns add "$UP" || return 1
	NS_LIST+=("$UP")
	quiet_ns "$UP"
	ip -n "$UP" link add upbr type bridge stp_state 0 || return 1
	for m in A B; do
		ip link add "s$m$N" type veth peer name "u$m" || return 1
		at_exit "ip link del s$m$N 2>/dev/null"
		sysctl -qw "net.ipv6.conf.s$m$N.disable_ipv6=1"
		ip link set "u$m" netns "$UP"
		ip -n "$UP" link set "u$m" master upbr up || return 1
		ip link set "s$m$N" up
	done
	netns_add "$FAR" 10.96.0.2 "$FAR_MAC" && quiet_ns "$FAR" || return 1
	ip link set "v-$FAR" netns "$UP"
	ip -n "$UP" link set "v-$FAR" master upbr up || return 1
	ip -n "$UP" link set upbr up
	netns_add "$NEAR" 10.96.0.1 "$NEAR_MAC" && quiet_ns "$NEAR"
}

# capture NAME NS IFACE: tcpdump of frames IFACE receives from its peer (ethertype 0x88b5),
# into $RUN/NAME.pcap; returns once it listens.  stop_captures ends them all.
CAPS=()
capture() {
	rm -f "$RUN/$1.pcap" "$RUN/$1.err"
	ip netns exec "$2" tcpdump -i "$3" -Q in -nn -e -U -w "$RUN/$1.pcap" \
		ether proto 0x88b5 >"$RUN/$1.err" 2>&1 &
	CAPS+=($!)
	PIDS+=($!)
	wait_until 20 grep -q "listening on" "$RUN/$1.err"
}
stop_captures() {
	for p in "${CAPS[@]}"; do kill -INT "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	CAPS=()
}
# srcs NAME: the source MACs of capture NAME, one per frame.
# (tcpdump adds hex lines for an unknown ethertype: only the header lines count)
srcs() {
	tcpdump -r "$RUN/$1.pcap" -nn -e 2>/dev/null |
		awk '$2 ~ /^..:..:..:..:..:..$/ && $3 == ">" {print $2}'
}
n_from() { srcs "$1" | grep -c "^$2\$"; }

# spread WHAT: 4 frames from each of 16 source MACs near -> far; all 64 reach uA or uB,
# each source by one member only, and both members carry some.
MACS=$(for i in $(seq 16); do printf '02:00:00:00:5d:%02x ' "$i"; done)
spread() {
	local a b both
	capture ma "$UP" uA && capture mb "$UP" uB || return 1
	ip netns exec "$NEAR" $FRAMES eth0 "$FAR_MAC" 4 $MACS
	wait_until 20 eval '[ $(($(srcs ma | wc -l) + $(srcs mb | wc -l))) -ge 64 ]'
	sleep 0.5
	stop_captures
	a=$(srcs ma | sort -u | wc -l)
	b=$(srcs mb | sort -u | wc -l)
	both=$(comm -12 <(srcs ma | sort -u) <(srcs mb | sort -u) | wc -l)
	echo "    $1: $(srcs ma | wc -l) frames from $a sources on member a, $(srcs mb | wc -l) from $b on member b, $both sources on both"
	check "$1: all 64 frames leave by the bond" \
		test $(($(srcs ma | wc -l) + $(srcs mb | wc -l))) -eq 64
	check "$1: each source MAC by one member only" test "$both" -eq 0
	check "$1: both members carry some of the 16 sources ($a on a, $b on b)" \
		eval "[ $a -ge 1 ] && [ $b -ge 1 ] && [ $((a + b)) -eq 16 ]"
}

active_member() {
	actl bond/show bond0 | awk '/^member / {m = $2; sub(":", "", m)} /active member$/ {print m}'
}
# rx_count IFACE: frames uA/uB received from the bond so far.
rx_count() { ip netns exec "$UP" cat "/sys/class/net/$1/statistics/rx_packets"; }

topology || { fail "namespaces and the upstream bridge"; finish; }
check "ovsdb-server and the switch ($SWITCH) start" ovsdb_dp_start
check "add-br, a port to near, add-bond bond0 a b with bond_mode=balance-slb" \
	vsctl add-br "$BR" -- set bridge "$BR" datapath_type=netdev \
	-- add-port "$BR" host -- set Interface host type=dpdk \
		options:dpdk-devargs="net_af_packet1,iface=v-$NEAR" \
	-- add-bond "$BR" bond0 a b \
	-- set Interface a type=dpdk options:dpdk-devargs="net_af_packet2,iface=sA$N" \
	-- set Interface b type=dpdk options:dpdk-devargs="net_af_packet3,iface=sB$N" \
	-- set Port bond0 bond_mode=balance-slb
check "interfaces a, b, host without error" \
	eval 'test -z "$(iface_error a)$(iface_error b)$(iface_error host)"'
ping2() { ping_ok "$@" || { echo "(retrying once)"; ping_ok "$@"; }; }
check "ping near -> far through the bond: 0% loss" ping2 "$NEAR" 10.96.0.2 20 0.05
show=$(actl bond/show bond0)
echo "$show"
check "bond/show: bond_mode balance-slb, both members enabled" \
	eval 'grep -q "^bond_mode: balance-slb" <<<"$show" &&
	test "$(grep -c "^member [ab]: enabled" <<<"$show")" -eq 2'
ACT=$(active_member)
check "bond/show: one active member (${ACT:-none})" eval '[ "$ACT" = a ] || [ "$ACT" = b ]'
[ "$ACT" = a ] && BACKUP=b || BACKUP=a
ua=u${ACT^^} ub=u${BACKUP^^}

spread "transmit"

# --- loop protection ------------------------------------------------------------------
capture near "$NEAR" eth0
ip netns exec "$UP" $FRAMES "$ub" ff:ff:ff:ff:ff:ff 3 02:00:00:00:5c:01
ip netns exec "$UP" $FRAMES "$ua" ff:ff:ff:ff:ff:ff 3 "$NEAR_MAC"
sleep 1
ip netns exec "$UP" $FRAMES "$ua" ff:ff:ff:ff:ff:ff 3 02:00:00:00:5c:02
check "a broadcast on the active member $ACT reaches near (3 frames)" \
	wait_until 20 eval '[ "$(n_from near 02:00:00:00:5c:02)" -ge 3 ]'
sleep 1
stop_captures
check "a broadcast on the backup member $BACKUP is not delivered (0 of 3)" \
	test "$(n_from near 02:00:00:00:5c:01)" -eq 0
check "a broadcast from near's own MAC on the active member (a reflection) is not delivered" \
	test "$(n_from near "$NEAR_MAC")" -eq 0
check "... and near's MAC stays learned on its port: ping near -> far 0% loss" \
	ping2 "$NEAR" 10.96.0.2 10 0.05

# --- failover ----------------------------------------------------------------------------
if is_vireo; then
	a0=$(rx_count uA) b0=$(rx_count uB)
	ping_ok "$NEAR" 10.96.0.2 20 0.05
	da=$(($(rx_count uA) - a0)) db=$(($(rx_count uB) - b0))
	[ "$da" -ge "$db" ] && M=a || M=b
	echo "    near's pings left by member $M (a: $da frames, b: $db)"
	ip netns exec "$NEAR" ping -q -c 200 -i 0.05 -W 1 10.96.0.2 >"$RUN/ping.out" 2>&1 &
	pid=$!
	sleep 3
	ip -n "$UP" link set "u${M^^}" down
	wait "$pid"
	got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$RUN/ping.out")
	lost=$((200 - ${got:-0}))
	check "member $M's link down under a 20 pps ping: at most 20 of 200 lost ($lost)" \
		test "$lost" -le 20
	check "after the failover: ping near -> far 0% loss" ping2 "$NEAR" 10.96.0.2 20 0.05
	check "bond/show: member $M disabled" \
		wait_until 10 eval 'actl bond/show bond0 | grep -q "^member $M: disabled"'
	ip -n "$UP" link set "u${M^^}" up
	check "member $M back: bond/show has it enabled" \
		wait_until 20 eval 'actl bond/show bond0 | grep -q "^member $M: enabled"'
	spread "after member $M came back"
else
	skip "failover: Open vSwitch takes DPDK 22.11's net_af_packet link as up whatever the veth does"
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
