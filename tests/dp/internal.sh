#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Internal ports: the bridge's LOCAL port (type internal, named like the bridge, ofport
# 65534) and other internal ports are kernel devices, so the host gets an address on the
# bridge.  The host pings a namespace on a net_af_packet port of the bridge and back, by MAC
# learning and by rules naming LOCAL; a second internal port gets an ordinary ofport; a
# name the kernel cannot take is refused naming the port.  Then the same through ovs-vsctl.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../ovsdb/lib-ovsdb.sh"

BR=bi$$ A=ia$$
netns_add "$A" 10.93.0.2 || { fail "netns"; finish; }
at_exit 'ip link del "$BR" 2>/dev/null; ip link del "ii$$" 2>/dev/null; ip link del "dx$$" 2>/dev/null'

# up_with_addr DEV ADDR: wait for the kernel device, give it ADDR/24, bring it up.
up_with_addr() {
	wait_until 10 ip link show "$1" >/dev/null 2>&1 &&
	ip addr add "$2/24" dev "$1" && ip link set "$1" up
}
host_ping() { ping -q -c "$2" -i 0.05 -W 5 "$1" 2>&1 | grep -q " 0% packet loss"; }

cat >"$RUN/dp.yaml" <<EOC
$(other_config)
bridges:
  $BR:
    ports:
      $BR: {type: internal}
      pa: {type: dpdk, options: {dpdk-devargs: "net_af_packet1,iface=v-$A"}}
EOC
check "vireo-dp starts with the bridge's internal port" start_dp "$RUN/dp.yaml"
check "show: the LOCAL port is ofport 65534, type internal" \
	eval 'ctl show | grep -q "port $BR: ofport 65534, type internal"'
check "the kernel has a device named like the bridge; address and up" \
	up_with_addr "$BR" 10.93.0.1
check "host -> namespace through the bridge, 0% loss" \
	wait_until 10 host_ping 10.93.0.2 20
check "namespace -> host, 0% loss" ping_ok "$A" 10.93.0.1 20 0.05
check "fdb/show learned the host's MAC on LOCAL" \
	eval 'ctl fdb/show "$BR" | grep -Eiq "^ *LOCAL +0 +$(cat /sys/class/net/$BR/address)"'
check "rules: in_port=LOCAL to pa and pa to LOCAL" \
	eval 'ctl add-flow "$BR" "priority=10,in_port=LOCAL,actions=output:pa" >/dev/null &&
	ctl add-flow "$BR" "priority=10,in_port=pa,actions=LOCAL" >/dev/null'
check "host -> namespace by rules, 0% loss" host_ping 10.93.0.2 20
check "the rules counted the packets" \
	eval 'ctl dump-flows "$BR" | grep "in_port=LOCAL" | grep -Eq "n_packets=[1-9]"'
check "a second internal port gets an ordinary ofport and a device" \
	eval 'ctl add-port "$BR" "ii$$" type=internal >/dev/null &&
	ctl show | grep -Eq "port ii$$: ofport [0-9]+, type internal" &&
	wait_until 10 ip link show "ii$$" >/dev/null'
long=internal-port-name-too-long
out=$(ctl add-port "$BR" "$long" type=internal 2>&1; ctl show 2>&1)
check "an internal port name longer than a kernel device's is refused, naming it" \
	grep -q "'$long' is 27" <<<"$out"
check "... while the bridge still forwards" host_ping 10.93.0.2 5
out=$(ip link add "dx$$" type bridge && ctl add-port "$BR" "dx$$" type=internal 2>&1)
check "an internal port named like a kernel device that is not the switch's is refused" \
	eval 'grep -q "already has a device .dx$$. (ifindex [0-9]*)" <<<"$out"'
check "... the kernel's bridge is left alone, vireo-dp's still forwards" \
	eval 'test -d /sys/class/net/dx$$/bridge && host_ping 10.93.0.2 5'
check "an option on an internal port is refused, naming it" \
	eval 'printf "bridges:\n  b:\n    ports:\n      b: {type: internal, options: {x: y}}\n" \
	>"$RUN/bad.yaml" && "$VIREO_DP" --config "$RUN/bad.yaml" --check 2>&1 | grep -q "options:x"'
stop_dp
check "vireo-dp stops cleanly (status 0)" test "$?" -eq 0
check "the kernel device is gone with the port" eval '! ip link show "$BR" >/dev/null 2>&1'
rm -f "$CTL"

# The same through ovs-vsctl: add-br makes the LOCAL port.
check "ovsdb-server and vireo-dp start" ovsdb_dp_start
check "add-br and an af_packet port" \
	vsctl add-br "$BR" -- set bridge "$BR" datapath_type=netdev \
	-- add-port "$BR" pa -- set Interface pa type=dpdk \
	options:dpdk-devargs="net_af_packet1,iface=v-$A"
check "Interface $BR: ofport 65534, no error, admin up" \
	eval 'test "$(get Interface "$BR" ofport)" = 65534 && test -z "$(iface_error "$BR")" &&
	test "$(get Interface "$BR" admin_state)" = up'
check "the kernel device: address and up" up_with_addr "$BR" 10.93.0.1
check "host -> namespace through the bridge (ovs-vsctl), 0% loss" \
	wait_until 10 host_ping 10.93.0.2 20
check "namespace -> host, 0% loss" ping_ok "$A" 10.93.0.1 10 0.05
check "add-port type=internal: ofport > 0, no error" \
	eval 'vsctl add-port "$BR" "ii$$" -- set Interface "ii$$" type=internal &&
	is_positive "$(get Interface "ii$$" ofport)" && test -z "$(iface_error "ii$$")"'
check "add-port type=internal named like a kernel device: the error column says so" \
	eval 'vsctl add-port "$BR" "dx$$" -- set Interface "dx$$" type=internal;
	iface_error "dx$$" | grep -q "already has a device .dx$$."'
check "... the other ports keep working" host_ping 10.93.0.2 5
check "del-br removes the kernel device" \
	eval 'vsctl del-br "$BR" && wait_until 10 eval "! ip link show $BR >/dev/null 2>&1"'
kill -TERM "$DP_PID"
wait "$DP_PID"
[ "$n_fail" -eq 0 ] || { echo "--- vireo-dp log (tail)"; tail -n 30 "$RUN/dp.log"; }
finish
