#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Bridge fail_mode, as Open vSwitch without a controller: "secure" forwards only by rules (no
# rules: everything dropped, nothing learned or flooded); "standalone" (the default) is the
# MAC learning switch.  From YAML (fail_mode: key, changed by SIGHUP) and from OVSDB
# (ovs-vsctl set-fail-mode / del-fail-mode); SWITCH=ovs runs the OVSDB half against Open
# vSwitch's ovs-vswitchd with DPDK.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../ovsdb/lib-ovsdb.sh"

no_ping() { ! ip netns exec "$1" ping -q -c 3 -i 0.2 -W 1 "$2" >/dev/null 2>&1; }
ping2() { ping_ok "$@" || { echo "(retrying once)"; ping_ok "$@"; }; }
A=fm$$a B=fm$$b
netns_add "$A" 10.92.0.1 && netns_add "$B" 10.92.0.2 || { fail "netns"; finish; }

write_cfg() {
	cat >"$RUN/dp.yaml" <<EOC
$(other_config)
bridges:
  br0:
    fail_mode: $1
    ports:
      p1: {type: dpdk, options: {dpdk-devargs: "net_af_packet1,iface=v-$A"}}
      p2: {type: dpdk, options: {dpdk-devargs: "net_af_packet2,iface=v-$B"}}
EOC
}

if is_vireo; then
	write_cfg secure
	check "vireo-dp starts with fail_mode: secure" start_dp "$RUN/dp.yaml"
	check "secure, no rules: nothing forwards" no_ping "$A" 10.92.0.2
	check "... nothing was learned (fdb/show empty)" \
		test "$(ctl fdb/show br0 | wc -l)" -eq 1
	check "... show says so" eval 'ctl show | grep -q "no flows (fail_mode secure"'
	check "a rule (actions=NORMAL) from the controller's side forwards" \
		eval 'ctl add-flow br0 "actions=NORMAL" >/dev/null && ping2 "$A" 10.92.0.2 10 0.05'
	check "del-flows: back to forwarding nothing" \
		eval 'ctl del-flows br0 >/dev/null && no_ping "$A" 10.92.0.2'
	write_cfg standalone
	kill -HUP "$DP_PID"
	check "SIGHUP with fail_mode: standalone: MAC learning forwards" \
		wait_until 5 ping_ok "$A" 10.92.0.2 5 0.05
	write_cfg secure
	kill -HUP "$DP_PID"
	check "SIGHUP back to secure: nothing forwards" \
		wait_until 5 no_ping "$A" 10.92.0.2
	printf 'bridges:\n  br0:\n    fail_mode: open\n' >"$RUN/bad.yaml"
	check "--check refuses fail_mode: open, naming the key" \
		eval '"$VIREO_DP" --config "$RUN/bad.yaml" --check 2>&1 |
		grep -q "bad.yaml:2: bridge .br0.: key .fail_mode.: bad value .open."'
	stop_dp
	rm -f "$CTL"
fi

# OVSDB: the Bridge column, as ovs-vsctl sets it.
BR=fb$$
check "ovsdb-server and the switch start ($SWITCH)" ovsdb_dp_start
check "add-br, two ports" vsctl add-br "$BR" -- set bridge "$BR" datapath_type=netdev \
	-- add-port "$BR" p1 -- set Interface p1 type=dpdk \
	options:dpdk-devargs="net_af_packet1,iface=v-$A" \
	-- add-port "$BR" p2 -- set Interface p2 type=dpdk \
	options:dpdk-devargs="net_af_packet2,iface=v-$B"
check "standalone (no fail_mode): forwards" ping2 "$A" 10.92.0.2 10 0.05
check "set-fail-mode secure completes" vsctl set-fail-mode "$BR" secure
if ! is_vireo; then
	# Open vSwitch keeps the NORMAL flow it installed while standalone: remove it.
	ovs-ofctl del-flows unix:"$RUN/$BR.mgmt"
fi
check "secure, no rules: nothing forwards" no_ping "$A" 10.92.0.2
check "del-fail-mode: forwards again" \
	eval 'vsctl del-fail-mode "$BR" && wait_until 5 ping_ok "$A" 10.92.0.2 5 0.05'
kill -TERM "$DP_PID"
wait "$DP_PID"
is_vireo || { ip link del "$BR" 2>/dev/null; pgrep -f "^[^ ]*ovs-vswitchd" >/dev/null ||
	ip link del ovs-netdev 2>/dev/null; }
finish
