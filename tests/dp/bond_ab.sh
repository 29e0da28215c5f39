#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# active-backup without LACP: vireo-dp alone chooses the member that sends and receives, as
# Open vSwitch does: the active member stays while it is enabled unless
# other_config:bond-primary names another that is; bond_updelay keeps a member whose link
# came back out for that long, bond_downdelay keeps one whose link went for that long.
# Member a is net_af_packet on a veth (its link as vireo-dp reads it: the kernel's carrier,
# set with `ip link` on the veth's peer).  Member b is a net_vhost device whose guest is a
# dpdk-testpmd (virtio_user, receiving only): the guest's start and end are link up and down
# to DPDK's bonding driver too (DPDK 22.11's net_af_packet and net_tap never tell it of a
# link change), whose own active-backup (mode 1) would move to another member at once,
# whatever the delays, and back to the member last made primary when that one's link
# returns.  A namespace behind the third port sends 500 pings a second to a MAC no one has:
# the bridge floods them out of the bond, and the kernel rx counter of a's veth peer and
# testpmd's count show which member sends.  A frame arriving on the backup member is not
# forwarded.
. "$(dirname "$0")/lib.sh"

VA=va$$ KA=ka$$ NS=abh$$	# KA: a's veth peer, where what a sends arrives
DELAY=2000
at_exit 'ip link del "$VA" 2>/dev/null'
netns_add "$NS" 10.99.0.1 02:00:00:00:99:01 || { fail "netns"; finish; }
ip -n "$NS" neigh add 10.99.0.9 lladdr 02:00:00:00:99:09 dev eth0
ip link add "$VA" type veth peer name "$KA" || { fail "veth"; finish; }
for d in "$VA" "$KA"; do
	sysctl -qw "net.ipv6.conf.$d.disable_ipv6=1" 2>/dev/null
	ip link set "$d" up
done

# bond_yaml [PORT-EXTRA]: the namespace's port and bond0 over a veth and a vhost device
bond_yaml() {
	cat >"$RUN/dp.yaml" <<EOC
$(other_config)
bridges:
  br0:
    ports:
      host: {type: dpdk, options: {dpdk-devargs: "net_af_packet1,iface=v-$NS"}}
      bond0:
        bond_mode: active-backup
        bond_updelay: $DELAY
        bond_downdelay: $DELAY
${1:-}
        interfaces:
          a: {type: dpdk, options: {dpdk-devargs: "net_af_packet2,iface=$VA"}}
          b: {type: dpdk, options: {dpdk-devargs: "net_vhost0,iface=$RUN/b.sock,queues=1"}}
EOC
}
started() {
	start_dp "$RUN/dp.yaml" || return 1
	FAIL_WHY=$(ctl show | grep -A1 "port bond0" | tr '\n' ' ')
	! grep -q error <<<"$FAIL_WHY"
}

# guest_start: testpmd on b's socket, receiving only (b's link comes up)
guest_start() {
	rm -f "$RUN/g.fifo" "$RUN/g.out"
	mkfifo "$RUN/g.fifo"
	timeout 120 stdbuf -oL -eL dpdk-testpmd --lcores '0@0,1@0' --no-pci \
		--single-file-segments --file-prefix="tp$PREFIX" -m 256 \
		--vdev "net_virtio_user0,path=$RUN/b.sock,queues=1" -- \
		--forward-mode=rxonly --stats-period 0 --nb-cores=1 \
		<"$RUN/g.fifo" >"$RUN/g.out" 2>&1 &
	GPID=$!
	PIDS+=("$GPID")
	exec 5>"$RUN/g.fifo"
	wait_until 60 grep -q "Press enter to exit" "$RUN/g.out"
}
# guest_stop: testpmd ends (b's link goes); GOT: what b sent it
guest_stop() {
	echo >&5
	exec 5>&-
	wait "$GPID"
	GOT=$(testpmd_rx "$(cat "$RUN/g.out")" 0)
}

# member_is M STATE [LINE]: bond/show says member M is STATE (enabled, disabled), and LINE
# follows among its lines ("active member", "downdelay expires in", ...)
member_is() {
	ctl bond/show bond0 >"$RUN/show" 2>&1
	FAIL_WHY=$(tr '\n' ' ' <"$RUN/show")
	grep -q "^member $1: $2\$" "$RUN/show" || return 1
	[ -z "${3:-}" ] || sed -n "/^member $1:/,/^\$/p" "$RUN/show" | grep -q "^  $3"
}
a_rx() { cat "/sys/class/net/$KA/statistics/rx_packets"; }
# a_sent SECS: a sent something in SECS s; a_quiet SECS: nothing
a_count() { local n=$(a_rx); sleep "$1"; A_SENT=$(($(a_rx) - n)); FAIL_WHY="a sent $A_SENT"; }
a_sent() { a_count "$1"; [ "$A_SENT" -gt 0 ]; }
a_quiet() { a_count "$1"; [ "$A_SENT" -eq 0 ]; }
# stream SECS: the pings, in the background
stream() {
	ip netns exec "$NS" ping -q -i 0.002 -w "$1" 10.99.0.9 >/dev/null 2>&1 &
	PIDS+=($!)
}
# inject IF: a broadcast frame from the kernel side of IF (received by its member)
inject() {
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
s.send(b"\xff" * 6 + b"\x02\x00\x00\x00\x99\x0b\x88\xb5" + b"x" * 50)' "$1"
}
ns_rx() { ip netns exec "$NS" cat /sys/class/net/eth0/statistics/rx_packets; }

# --- no bond-primary ---
bond_yaml
check "vireo-dp starts with bond0 over a net_af_packet and a net_vhost member" started
check "bond/show: no guest on b: a active, no primary" \
	wait_until 10 eval 'member_is a enabled "active member" && member_is b disabled &&
	grep -q "^active-backup primary: <none>$" "$RUN/show"'
stream 90
check "a sends" a_sent 1
n0=$(ns_rx)
inject "$KA"
check "a broadcast arriving on active member a is forwarded" \
	wait_until 5 eval 'test "$(ns_rx)" -gt "$n0"'
check "b's guest starts: after bond_updelay b enabled, a still active" \
	eval 'guest_start && wait_until 5 member_is b enabled &&
	member_is a enabled "active member"'
ip link set "$KA" down
check "a's carrier goes: after bond_downdelay b is active" \
	wait_until 5 member_is b enabled "active member"
ip link set "$KA" up
check "a's carrier returns: after bond_updelay a is enabled, b still active" \
	eval 'sleep 2.5; member_is a enabled && member_is b enabled "active member"'
check "... a sends nothing" a_quiet 1
guest_stop
check "b sent its guest what came ($GOT)" test "${GOT:-0}" -gt 0
sleep 0.3
check "b's guest gone: within bond_downdelay bond/show has b enabled and active" \
	member_is b enabled "active member"
check "... its downdelay running" member_is b enabled "downdelay expires in"
check "... a sends nothing" a_quiet 0.8
check "after bond_downdelay a is active, b disabled" \
	wait_until 5 eval 'member_is a enabled "active member" && member_is b disabled'
check "... a sends" a_sent 0.5
guest_start
sleep 0.3
check "b's guest back: within bond_updelay b is disabled, its updelay running, a active" \
	eval 'member_is b disabled "updelay expires in" && member_is a enabled "active member"'
check "... a sends through b's bond_updelay and after it" a_sent 3
check "... b enabled, a still active" \
	eval 'member_is b enabled && member_is a enabled "active member"'
guest_stop
check "b sent its guest nothing ($GOT)" test "${GOT:-x}" = 0
stop_dp

# --- bond-primary b: b active whenever enabled ---
bond_yaml "        other_config: {bond-primary: b}"
check "vireo-dp starts with bond-primary b" started
check "bond/show: active-backup primary: b; no guest on b: a active" \
	wait_until 10 eval 'member_is a enabled "active member" &&
	grep -q "^active-backup primary: b$" "$RUN/show"'
stream 30
guest_start
sleep 0.3
check "b's guest starts: within bond_updelay a active" member_is a enabled "active member"
check "after bond_updelay the primary b is active" \
	wait_until 5 member_is b enabled "active member"
check "... a sends nothing" a_quiet 0.5
n0=$(ns_rx)
inject "$KA"
sleep 0.5
check "a broadcast arriving on backup member a is not forwarded" test "$(ns_rx)" -eq "$n0"
guest_stop
check "b sent its guest what came ($GOT)" test "${GOT:-0}" -gt 0
stop_dp
finish
