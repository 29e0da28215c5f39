#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# lacp=passive against Linux's bonding driver, set with ovs-vsctl (vireo-dp --ovsdb; SWITCH=ovs:
# Open vSwitch's ovs-vswitchd with DPDK, configured by the same commands).  A namespace
# "bpeer" holds a kernel 802.3ad bond (lacp_rate fast) over two veth pairs whose other ends
# are the switch's bond members (net_af_packet, balance-tcp, lacp=passive, lacp-time=fast);
# host "bhost" hangs off the same bridge.  What 802.1AX asks of a passive actor:
#   1. against a passive kernel bond (lacp_active off): the switch sends no LACPDU over 8 s,
#      the bond does not come up (no ping; the kernel knows no partner; lacp/show "passive",
#      no member current);
#   2. the kernel bond turned active (lacp_active on: the bond is set down, changed, set up):
#      LACP negotiates, ping passes, the switch's LACPDUs carry Actor LACP_Activity = 0,
#      lacp/show "passive negotiated";
#   3. the switch turned lacp=active against the passive kernel bond: negotiates, ping passes,
#      its LACPDUs carry LACP_Activity = 1.
# This machine's kernel may have no bonding driver: then the test runs in scripts/testhost's
# L1 (a Debian kernel with the bonding module), at TCG speed.
if [ -z "${BOND_INNER:-}" ] && ! ip link add vbprobe type bond 2>/dev/null; then
	ROOT=$(cd "$(dirname "$0")/../.." && pwd)
	exec "$ROOT/scripts/testhost" run --timeout 500 --hugepages 600 --mem 2048 --smp 2 \
		--env BOND_INNER=1 --env SWITCH="${SWITCH:-vireo}" \
		--env VIREO_BUILD="$(readlink -f "${VIREO_BUILD:-$ROOT/build}")" \
		-- "$(readlink -f "$0")"
fi
ip link del vbprobe 2>/dev/null
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../ovsdb/lib-ovsdb.sh"
BR=bp$$   # the bridge's local port is a kernel device: a name no other process holds
command -v tcpdump >/dev/null || skip_all "no tcpdump"
is_vireo || [ -x "$OVS_VSWITCHD" ] || skip_all "no $OVS_VSWITCHD"

# within SECONDS CMD...: CMD until it succeeds, for at most SECONDS of wall time (in the
# L1 each try of an ovs-appctl takes a good part of a second: wait_until counts tries).
within() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}

actl() {
	if is_vireo; then ovs-appctl -t "$CTL" "$@"; else ovs-appctl -t "$RUN/vswitchd.ctl" "$@"; fi
}

# kernel_bond on|off: the kernel's 802.3ad bond in bpeer over kbA, kbB (peers vbA, vbB).
kernel_bond() {
	ip netns add bpeer || return 1
	NS_LIST+=(bpeer)
	ip netns exec bpeer sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	ip -n bpeer link add bond0 type bond mode 802.3ad lacp_rate fast lacp_active "$1" \
		miimon 50 xmit_hash_policy layer3+4 || return 1
	for m in A B; do
		ip link add "vb$m" type veth peer name "kb$m" || return 1
		at_exit "ip link del vb$m 2>/dev/null"
		sysctl -qw "net.ipv6.conf.vb$m.disable_ipv6=1"
		ip link set "kb$m" netns bpeer
		ip -n bpeer link set "kb$m" master bond0 || return 1
		ip link set "vb$m" up
	done
	ip -n bpeer link set bond0 address 02:00:00:00:0b:01
	ip -n bpeer addr add 10.97.0.1/24 dev bond0
	ip -n bpeer link set bond0 up
	ip -n bpeer link set lo up
}

# capture NAME: tcpdump of the slow-protocol frames kbA and kbB receive from the switch,
# into $RUN/NAME-A.pcap and -B.pcap; returns once both listen.  stop_captures ends them.
# Immediate mode: otherwise frames wait in a block of the capture ring until it fills or
# times out, and those of the last block are lost when tcpdump is stopped (a run stopped
# right after the negotiation found none).
CAPS=()
capture() {
	for m in A B; do
		rm -f "$RUN/$1-$m.pcap" "$RUN/$1-$m.err"
		ip netns exec bpeer tcpdump -i "kb$m" -Q in -nn -U --immediate-mode \
			-w "$RUN/$1-$m.pcap" \
			ether proto 0x8809 >"$RUN/$1-$m.err" 2>&1 &
		CAPS+=($!)
		PIDS+=($!)
		wait_until 20 grep -q "listening on" "$RUN/$1-$m.err" || return 1
	done
}
stop_captures() {
	for p in "${CAPS[@]}"; do kill -INT "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	CAPS=()
}
# lacpdus NAME: one line per LACPDU in both captures of NAME: the Actor State byte in hex.
lacpdus() {
	python3 - "$RUN/$1-A.pcap" "$RUN/$1-B.pcap" <<'EOP'
import struct, sys
for path in sys.argv[1:]:
    try:
        data = open(path, 'rb').read()
    except OSError:
        continue
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack_from('<I', data, off + 8)[0]
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        # ethertype 0x8809, subtype 1 (LACP); Actor State at offset 32
        if len(frame) > 32 and frame[12:14] == b'\x88\x09' and frame[14] == 1:
            print('%02x' % frame[32])
EOP
}

# The kernel's view: the partner system MAC each member learnt (00:... when none).
kernel_partners() {
	ip netns exec bpeer cat /proc/net/bonding/bond0 |
		awk '/details partner lacp pdu:/ {p = 1} p && /system mac address:/ {print $4; p = 0}'
}
# The kernel's members that distribute (their actor state has the bit 0x20).
kernel_distributing() {
	ip netns exec bpeer cat /proc/net/bonding/bond0 |
		awk '/details actor lacp pdu:/ {p = 1} p && /port state:/ {print $3; p = 0}' |
		while read -r st; do [ $((st & 0x20)) -ne 0 ] && echo yes; done
}
# negotiated: the kernel has the switch as partner on both members and distributes on
# both; both members of the switch's bond have a current partner, are attached, collect
# and distribute.
negotiated() {
	local lacp
	[ "$(kernel_partners | grep -vc '00:00:00:00:00:00')" -eq 2 ] &&
		[ "$(kernel_distributing | wc -l)" -eq 2 ] &&
		lacp=$(actl lacp/show bond0) &&
		[ "$(grep -c '^member: .*: current attached' <<<"$lacp")" -eq 2 ] &&
		[ "$(grep -c '^  actor state:.*collecting distributing' <<<"$lacp")" -eq 2 ]
}
# kernel_lacp_active on|off: the kernel bond's lacp_active (it must be down to change it).
kernel_lacp_active() {
	ip -n bpeer link set bond0 down &&
		ip -n bpeer link set bond0 type bond lacp_active "$1" &&
		ip -n bpeer link set bond0 up
}
# ping_through: 20 pings bpeer -> bhost, at least 10 answered, in one of three rounds (each
# round is shown).  What is checked is that the bond forwards (one that does not answers
# none); loss is tests/dp/bond.sh's.  In the test host's emulated L1 on a loaded machine
# rounds lost 5 to 9 of 20 in both directions of the negotiation, active and passive alike.
ping_through() {
	local out got
	for round in 1 2 3; do
		out=$(ip netns exec bpeer ping -q -c 20 -i 0.1 -W 5 10.97.0.2 2>&1)
		got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
		echo "    round $round: $(grep transmitted <<<"$out")"
		[ "${got:-0}" -ge 10 ] && return 0
	done
	return 1
}
# passive_counts: vireo-dp's count of LACPDUs sent and withheld per member ("show -v").
passive_counts() { actl show -v | sed -n 's/^ *lacp_passive_\([ab]\)=/\1 /p'; }
show_all() {
	actl bond/show bond0
	actl lacp/show bond0
	ip netns exec bpeer cat /proc/net/bonding/bond0
	tail -n 30 "$RUN/dp.log"
}

netns_add bhost 10.97.0.2 02:00:00:00:0b:02 || { fail "netns"; finish; }
kernel_bond off || { fail "kernel bond 802.3ad lacp_active off"; finish; }
check "ovsdb-server and the switch ($SWITCH) start" ovsdb_dp_start
capture passive || fail "tcpdump on kbA, kbB"
check "add-br, a port to bhost, add-bond bond0 a b: balance-tcp, lacp=passive, lacp-time fast" \
	vsctl add-br $BR -- set bridge $BR datapath_type=netdev \
	-- add-port $BR host -- set Interface host type=dpdk \
		options:dpdk-devargs="net_af_packet1,iface=v-bhost" \
	-- add-bond $BR bond0 a b \
	-- set Interface a type=dpdk options:dpdk-devargs="net_af_packet2,iface=vbA" \
	-- set Interface b type=dpdk options:dpdk-devargs="net_af_packet3,iface=vbB" \
	-- set Port bond0 bond_mode=balance-tcp lacp=passive other_config:lacp-time=fast
errs=$(iface_error a)$(iface_error b)$(iface_error host)
check "interfaces a, b, host without error${errs:+: $errs}" test -z "$errs"
[ -z "$errs" ] || finish

# --- 1. passive against passive: silence ---------------------------------------------------
echo "    [${SECONDS} s]"
check "the bond's members are up in the switch" \
	within 30 eval 'actl lacp/show bond0 | grep -q "^member: b:"'
sleep 8
stop_captures
n=$(lacpdus passive | wc -l)
check "passive against passive: the switch sent no LACPDU in 8 s ($n)" test "$n" -eq 0
check "passive against passive: the kernel knows no partner on either member" \
	eval '[ "$(kernel_partners | grep -c "00:00:00:00:00:00")" -eq 2 ]'
lacp=$(actl lacp/show bond0)
echo "$lacp"
check "lacp/show: status passive, not negotiated" grep -q '^  status: passive$' <<<"$lacp"
check "lacp/show: both members defaulted, none current" \
	eval '[ "$(grep -c "^member: .*: defaulted" <<<"$lacp")" -eq 2 ]'
check "lacp/show: the actor's state has no 'activity'" \
	eval '! grep -q "actor state: activity" <<<"$lacp"'
check "bond/show: lacp_status configured" \
	eval 'actl bond/show bond0 | grep -q "^lacp_status: configured$"'
check "passive against passive: no ping bpeer -> bhost through the bond" \
	eval '! ip netns exec bpeer ping -q -c 3 -i 0.2 -W 1 10.97.0.2 >/dev/null'
if is_vireo; then
	counts=$(passive_counts)
	echo "$counts"
	check "show -v: both members sent 0 LACPDUs, withheld some" \
		eval '[ "$(grep -c "sent 0, withheld [1-9]" <<<"$counts")" -eq 2 ]'
fi

# --- 2. the kernel turned active: negotiates -------------------------------------------
echo "    [${SECONDS} s]"
capture active || fail "tcpdump on kbA, kbB"
check "kernel bond: lacp_active on" kernel_lacp_active on
if within 60 negotiated; then
	pass "kernel lacp_active on: LACP negotiated on both members within 60 s"
else
	fail "kernel lacp_active on: LACP negotiated on both members within 60 s"
	show_all
fi
within 20 eval '[ "$(lacpdus active | wc -l)" -ge 2 ]'
stop_captures
check "passive against active: ping bpeer -> bhost through the bond" ping_through
states=$(lacpdus active | sort | uniq -c | tr '\n' ' ')
echo "    the switch's LACPDUs by Actor State: $states"
check "passive against active: the switch sent LACPDUs ($(lacpdus active | wc -l))" \
	eval '[ "$(lacpdus active | wc -l)" -ge 2 ]'
check "... each with Actor LACP_Activity = 0" \
	eval '! lacpdus active | grep -q "[13579bdf]$"'
lacp=$(actl lacp/show bond0)
echo "$lacp"
check "lacp/show: status passive negotiated" grep -q '^  status: passive negotiated$' <<<"$lacp"
check "lacp/show: the partner's state has 'activity'" \
	test "$(grep -c '^  partner state: activity' <<<"$lacp")" -eq 2
check "bond/show: lacp_status negotiated" \
	eval 'actl bond/show bond0 | grep -q "^lacp_status: negotiated$"'
if is_vireo; then
	counts=$(passive_counts)
	echo "$counts"
	check "show -v: both members sent LACPDUs" \
		eval '[ "$(grep -c "sent [1-9]" <<<"$counts")" -eq 2 ]'
fi

# --- 3. the switch active against the kernel passive: negotiates ------------------------
echo "    [${SECONDS} s]"
check "kernel bond: lacp_active off" kernel_lacp_active off
check "set Port bond0 lacp=active" vsctl set Port bond0 lacp=active
capture act || fail "tcpdump on kbA, kbB"
if within 60 negotiated; then
	pass "active against passive: LACP negotiated on both members within 60 s"
else
	fail "active against passive: LACP negotiated on both members within 60 s"
	show_all
fi
within 20 eval '[ "$(lacpdus act | wc -l)" -ge 2 ]'
stop_captures
check "active against passive: ping bpeer -> bhost through the bond" ping_through
check "active against passive: the switch's LACPDUs carry LACP_Activity = 1" \
	eval '[ "$(lacpdus act | wc -l)" -ge 2 ] && ! lacpdus act | grep -q "[02468ace]$"'
check "lacp/show: status active negotiated" \
	eval 'actl lacp/show bond0 | grep -q "^  status: active negotiated$"'

kill -TERM "$DP_PID"
wait "$DP_PID"
rc=$?
is_vireo && check "SIGTERM: vireo-dp exits 0 (was $rc)" test "$rc" -eq 0
is_vireo || { ip link del $BR 2>/dev/null; ip link del ovs-netdev 2>/dev/null; }
[ "$n_fail" -eq 0 ] || show_all
echo "    $SWITCH: ${SECONDS} s"
finish
