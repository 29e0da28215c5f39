#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# No setting ignored without a word (vireo-dp --ovsdb driven by ovs-vsctl): settings Open
# vSwitch accepts for a port type but vireo-dp does not apply leave the port working and are
# logged; settings that would change the switch's behaviour and are not implemented fail the
# port with an error naming the column (ovs-vsctl list Interface, ovs-vsctl show); a
# bridge's refused settings show on its local interface; other_config keys are logged.
#
# Usage: VIREO_BUILD=BUILD_DIR tests/ovsdb/settings.sh    (PASS/FAIL lines; exit 1 on FAIL)
. "$(dirname "$0")/../dp/lib.sh"
. "$(dirname "$0")/lib-ovsdb.sh"

BR=sb$$   # the bridge's local port is a kernel device: a name no other process holds

# no_error IFACE: IFACE's error column is empty (FAIL_WHY: what it holds, with the bridge's
# settings and what vireo-dp last logged).
no_error() {
	local e
	e=$(iface_error "$1")
	[ -z "$e" ] && return 0
	FAIL_WHY="error: $e; Bridge $BR: $(vsctl --columns=stp_enable,mirrors,controller list Bridge $BR |
		tr -s ' \n' ' '); log: $(tail -n 3 "$RUN/dp.log" | tr '\n' ' ')"
	return 1
}

check "ovsdb-server and vireo-dp --ovsdb start (DPDK initialised)" ovsdb_dp_start \
	other_config:hw-offload=true other_config:tx-flush-interval=50 \
	other_config:no-such-key=1 other_config:openflow-rundir="$RUN"
check "add-br $BR (netdev)" vsctl add-br $BR -- set bridge $BR datapath_type=netdev
check "... its local interface: ofport 65534, no error" \
	eval 'test "$(get Interface $BR ofport)" = 65534 && no_error $BR'

# --- accepted, not applied: the port works, the log says why ---
out=$(vsctl add-port $BR vhu0 -- set Interface vhu0 type=dpdkvhostuser \
	options:tx-retries-max=5 2>&1)
check "tx-retries-max on dpdkvhostuser: no 'Error detected' ($out)" \
	test -z "$(grep 'Error detected' <<<"$out")"
check "... vhu0 has an ofport and no error" \
	eval 'is_positive "$(get Interface vhu0 ofport)" && test -z "$(iface_error vhu0)"'
check "... tx-retries-max applied: Interface vhu0's status holds tx_retries_max=5" \
	wait_until 10 eval 'test "$(get Interface vhu0 status:tx_retries_max)" = "\"5\""'
check "tx-retries-max=40 on vhu0: refused, the error names the key" \
	eval 'vsctl set Interface vhu0 options:tx-retries-max=40;
	iface_error vhu0 | grep -q "tx-retries-max.*40"'
check "... back to 5: vhu0 works again" \
	eval 'vsctl set Interface vhu0 options:tx-retries-max=5 &&
	is_positive "$(get Interface vhu0 ofport)" && test -z "$(iface_error vhu0)"'

check "dpdk-lsc-interrupt on a dpdk port: the port works" \
	eval 'vsctl add-port $BR null0 -- set Interface null0 type=dpdk \
	options:dpdk-devargs=net_null0 options:dpdk-lsc-interrupt=true &&
	is_positive "$(get Interface null0 ofport)" && test -z "$(iface_error null0)"'
check "Neutron's Port other_config (net_uuid): the port works, the key is logged" \
	eval 'vsctl set Port vhu0 other_config:net_uuid=abc &&
	is_positive "$(get Interface vhu0 ofport)" &&
	grep -q "Port:other_config:net_uuid" "$RUN/dp.log"'

# --- refused: the port fails with the column's name in its error ---
# --- implemented: policing leaves the port working ---
check "ingress_policing_rate=10000 (implemented): vhu0 keeps its ofport, no error" \
	eval 'vsctl set Interface vhu0 ingress_policing_rate=10000 ingress_policing_burst=1000 &&
	is_positive "$(get Interface vhu0 ofport)" && test -z "$(iface_error vhu0)"'
check "ingress_policing_rate=0 again: vhu0 works" \
	eval 'vsctl set Interface vhu0 ingress_policing_rate=0 ingress_policing_burst=0 &&
	is_positive "$(get Interface vhu0 ofport)" && test -z "$(iface_error vhu0)"'
check "QoS egress-policer (implemented): vhu0 keeps its ofport, no error" \
	eval 'vsctl set Port vhu0 qos=@q -- --id=@q create QoS type=egress-policer \
	other_config:cir=125000 other_config:cbs=12500 &&
	is_positive "$(get Interface vhu0 ofport)" && test -z "$(iface_error vhu0)"'
vsctl clear Port vhu0 qos >/dev/null
# A tunnel port receives through its carrier's deliver call, which no ingress policer sees.
check "ingress_policing_rate on a vxlan port: refused, the error and the log say so" \
	eval 'vsctl add-port $BR vxp -- set Interface vxp type=vxlan options:remote_ip=10.0.0.9 \
	ingress_policing_rate=1000;
	iface_error vxp | grep -q "ingress_policing_rate.: refused on a vxlan port" &&
	grep -q "port vxp: error: .*ingress_policing_rate.: refused on a vxlan port" "$RUN/dp.log"'
check "... ingress_policing_rate=0 again: vxp works" \
	eval 'vsctl set Interface vxp ingress_policing_rate=0 &&
	is_positive "$(get Interface vxp ofport)" && test -z "$(iface_error vxp)"'
vsctl del-port $BR vxp >/dev/null

# --- refused: the port fails with the column's name in its error ---
out=$(vsctl add-port $BR vhu1 -- set Interface vhu1 type=dpdkvhostuser \
	-- set Port vhu1 qos=@q -- --id=@q create QoS type=linux-htb 2>&1)
check "a Port with qos: ovs-vsctl prints \"Error detected while setting up 'vhu1'\"" \
	grep -qF "Error detected while setting up 'vhu1'" <<<"$out"
check "... the error names QoS:type linux-htb" \
	eval 'iface_error vhu1 | grep -q "QoS:type.*linux-htb.*refused"'
check "lacp=active refused, naming Port:lacp" \
	eval 'vsctl clear Port vhu1 qos -- set Port vhu1 lacp=active &&
	iface_error vhu1 | grep -q "Port:lacp.*active.*refused" && ! iface_error vhu1 | grep -q qos'
check "lacp=off (the default) accepted: vhu1 works" \
	eval 'vsctl set Port vhu1 lacp=off && is_positive "$(get Interface vhu1 ofport)"'
check "bfd:enable=true refused, naming Interface:bfd:enable" \
	eval 'vsctl set Interface vhu1 bfd:enable=true &&
	iface_error vhu1 | grep -q "Interface:bfd:enable"'
vsctl remove Interface vhu1 bfd enable >/dev/null

# --- bridge settings: refused ones show on the bridge's local interface ---
check "stp_enable=true on $BR completes" vsctl set Bridge $BR stp_enable=true
check "... Interface $BR's error names Bridge:stp_enable" \
	eval 'iface_error $BR | grep -q "Bridge:stp_enable.*refused: STP is not implemented"'
check "... ovs-vsctl show shows it under Interface $BR" \
	eval 'vsctl show | grep -A3 "Interface $BR" | grep -q "error:.*stp_enable"'
check "... the bridge's ports keep working" is_positive "$(get Interface vhu0 ofport)"
check "a mirror to output_vlan on $BR: Interface $BR's error names Mirror:output_vlan" \
	eval 'vsctl -- --id=@m create Mirror name=m0 select-all=true output_vlan=10 \
	-- add Bridge $BR mirrors @m &&
	iface_error $BR | grep -q "mirror .m0.: key .Mirror:output_vlan.: .10. refused"'
check "set-controller is taken: Interface $BR's error does not name Bridge:controller" \
	eval 'vsctl set-controller $BR tcp:127.0.0.1:1 && iface_error $BR | grep -q output_vlan &&
	! iface_error $BR | grep -q "Bridge:controller"'
check "... cleared again: no error on Interface $BR" \
	eval 'out=$(vsctl del-controller $BR -- clear Bridge $BR mirrors -- set Bridge $BR \
	stp_enable=false 2>&1) || { FAIL_WHY="ovs-vsctl: $out"; false; } && no_error $BR'

# --- Bridge datapath_id, datapath_version: written back as ovs-vswitchd writes them ---
# dpid_of: what ovs-ofctl show says; db_dpid: the Bridge's datapath_id column.
dpid_of() { OVS_RUNDIR=$RUN ovs-ofctl show $BR | sed -n 's/.*dpid:\([0-9a-f]*\).*/\1/p'; }
db_dpid() { get Bridge $BR datapath_id | tr -d '"'; }
same_dpid() {
	FAIL_WHY="datapath_id '$(db_dpid)', ovs-ofctl show: dpid '$(dpid_of)'"
	[ -n "$(dpid_of)" ] && [ "$(db_dpid)" = "$(dpid_of)" ]
}
check "Bridge datapath_id: 16 hex digits, the dpid ovs-ofctl show says" \
	eval 'wait_until 5 same_dpid && [[ "$(db_dpid)" =~ ^[0-9a-f]{16}$ ]]'
check "Bridge datapath_version: <built-in>, as the userspace datapath's" \
	test "$(get Bridge $BR datapath_version)" = '"<built-in>"'

# --- Bridge other_config:datapath-id: what OpenFlow's features reply says ---
check "other_config:datapath-id=0000000000000abc: ovs-ofctl show says dpid:0000000000000abc" \
	eval 'vsctl set Bridge $BR other_config:datapath-id=0000000000000abc &&
	OVS_RUNDIR=$RUN ovs-ofctl show $BR | grep -q "dpid:0000000000000abc" && no_error $BR'
check "... ovs-vsctl get bridge $BR datapath_id says 0000000000000abc" \
	wait_until 5 eval 'test "$(db_dpid)" = 0000000000000abc'
check "... removed: back to the one derived from the name" \
	eval 'vsctl remove Bridge $BR other_config datapath-id &&
	! OVS_RUNDIR=$RUN ovs-ofctl show $BR | grep -q "dpid:0000000000000abc"'
check "... and datapath_id follows: ovs-ofctl show's dpid again" \
	eval 'wait_until 5 same_dpid && test "$(db_dpid)" != 0000000000000abc'
check "other_config:datapath-id=xyz: refused on Interface $BR, naming the key" \
	eval 'vsctl set Bridge $BR other_config:datapath-id=xyz &&
	iface_error $BR | grep -q "other_config:datapath-id.: bad value .xyz." &&
	vsctl remove Bridge $BR other_config datapath-id && no_error $BR'

# --- every refused column, one by one: the error names it, clearing it clears the error ---
# refused IFACE WHAT SET-ARGS... // CLEAR-ARGS...: the setting shown as
# "WHAT ... refused" on CHECK-IFACE's error column and in ovs-vsctl show, then cleared.
refused() {
	local iface=$1 what=$2 set=() clr=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != "//" ]; do set+=("$1"); shift; done
	shift
	clr=("$@")
	local out
	out=$(vsctl "${set[@]}" 2>&1 >/dev/null) ||
		{ FAIL_WHY="setting it: $out"; return 1; }
	vsctl list Interface "$iface" | grep -E "^error" | grep -q "$what.*refused" ||
		{ FAIL_WHY="error column: $(iface_error "$iface")"; return 1; }
	vsctl show | grep -A4 "Interface $iface\$" | grep -q "error:.*$what" ||
		{ FAIL_WHY="not in ovs-vsctl show"; return 1; }
	out=$(vsctl "${clr[@]}" 2>&1 >/dev/null) ||
		{ FAIL_WHY="clearing it: $out"; return 1; }
	no_error "$iface"
}

check "add-port vhu2 for the refused columns" \
	vsctl add-port $BR vhu2 -- set Interface vhu2 type=dpdkvhostuser
for col in "cfm_mpid=1:cfm_mpid=[]" "bfd:enable=true:bfd={}" "lldp:enable=true:lldp={}" \
		"other_config:tx-steering=hash:other_config={}"; do
	key=${col%%[=]*}
	check "Interface $key refused, shown, cleared" \
		refused vhu2 "Interface:$key" set Interface vhu2 "${col%:*}" // \
		set Interface vhu2 "${col##*:}"
done
for col in "cvlans=5:cvlans=[]" "fake_bridge=true:fake_bridge=false" \
		"protected=true:protected=false" "lacp=passive:lacp=[]" \
		"other_config:priority-tags=always:other_config={}"; do
	key=${col%%[=]*}
	check "Port $key refused, shown, cleared" \
		refused vhu2 "Port:$key" set Port vhu2 "${col%:*}" // set Port vhu2 "${col##*:}"
done
check "Port vlan_mode=dot1q-tunnel refused, shown, cleared" \
	refused vhu2 "vlan_mode" set Port vhu2 vlan_mode=dot1q-tunnel tag=5 // \
	clear Port vhu2 vlan_mode tag
check "options:rx-flow-ctrl on a dpdk port refused, shown, cleared" \
	refused null0 "options:rx-flow-ctrl" set Interface null0 options:rx-flow-ctrl=true // \
	remove Interface null0 options rx-flow-ctrl
check "options:mtu_request on null0 (the column is mtu_request): unknown option; cleared" \
	eval 'vsctl set Interface null0 options:mtu_request=1400 >/dev/null 2>&1;
	iface_error null0 | grep -q "options:mtu_request.: unknown option for type dpdk" &&
	vsctl remove Interface null0 options mtu_request && test -z "$(iface_error null0)"'
check "mtu_request=67 on null0 (below RTE_ETHER_MIN_MTU): refused naming it; cleared" \
	eval 'vsctl set Interface null0 mtu_request=67 >/dev/null 2>&1;
	iface_error null0 | grep -q "key .mtu_request.: 67 is out of range 68..9710" &&
	vsctl clear Interface null0 mtu_request && test -z "$(iface_error null0)"'
# Receive queues beyond what the port layer runs: refused by the checks, as --check does.
check "options:n_rxq=17 on null0: the error says 17 is out of range 1..16; cleared" \
	eval 'vsctl set Interface null0 options:n_rxq=17 >/dev/null 2>&1;
	iface_error null0 | grep -q "options:n_rxq.: .17. is out of range 1..16" &&
	vsctl remove Interface null0 options n_rxq && test -z "$(iface_error null0)"'
check "pmd-rxq-affinity naming queue 16 on null0: refused, naming it; cleared" \
	eval 'vsctl set Interface null0 other_config:pmd-rxq-affinity=16:1 >/dev/null 2>&1;
	iface_error null0 | grep -q "pmd-rxq-affinity.: bad value .16:1." &&
	vsctl remove Interface null0 other_config pmd-rxq-affinity &&
	test -z "$(iface_error null0)"'
check "Bridge flow_tables refused on Interface $BR, shown, cleared" \
	refused $BR "Bridge:flow_tables:0" -- --id=@t create Flow_Table name=t0 -- \
	set Bridge $BR flow_tables:0=@t // clear Bridge $BR flow_tables
for key in "hwaddr=02:00:00:00:00:01"; do
	check "Bridge other_config:${key%%=*} refused on Interface $BR, shown, cleared" \
		refused $BR "Bridge:other_config:${key%%=*}" set Bridge $BR "other_config:$key" // \
		remove Bridge $BR other_config "${key%%=*}"
done
for col in "rstp_enable=true:rstp_enable=false" \
		"mcast_snooping_enable=true:mcast_snooping_enable=false" \
		"flood_vlans=100:flood_vlans=[]"; do
	key=${col%%[=]*}
	check "Bridge $key refused on Interface $BR, shown, cleared" \
		refused $BR "Bridge:$key" set Bridge $BR "${col%:*}" // set Bridge $BR "${col##*:}"
done
# A controller's own settings that vireo-dp does not implement: refused on the bridge's
# interface like the Bridge columns; the controller itself stays taken.
for col in "connection_mode=in-band" "controller_rate_limit=1000" \
		"enable_async_messages=false" "local_ip=192.0.2.1"; do
	key=${col%%[=]*}
	check "Controller $key refused on Interface $BR, shown, cleared" \
		refused $BR "Controller:$key" set-controller $BR tcp:127.0.0.1:1 -- \
		set Controller $BR "$col" // del-controller $BR
done
# Targets vireo-dp cannot connect to are refused on the bridge's interface, not dropped.
for t in "ssl:127.0.0.1:6653" "pssl:6653" "nonsense"; do
	check "Controller target $t refused on Interface $BR, shown, cleared" \
		refused $BR "Controller:target.: .$t" set-controller $BR "$t" // del-controller $BR
done
check "Controller connection_mode=out-of-band (what vireo-dp does) is no error" \
	eval 'vsctl set-controller $BR tcp:127.0.0.1:1 -- set Controller $BR \
	connection_mode=out-of-band && test -z "$(iface_error $BR)" && vsctl del-controller $BR'
for t in "NetFlow:netflow:targets=\"127.0.0.1:5566\"" "sFlow:sflow:targets=\"127.0.0.1:6343\"" \
		"IPFIX:ipfix:targets=\"127.0.0.1:4739\""; do
	IFS=: read -r table col args <<<"$t"
	check "Bridge $col refused on Interface $BR, shown, cleared" \
		refused $BR "Bridge:$col" -- --id=@x create "$table" "$args" -- \
		set Bridge $BR "$col=@x" // clear Bridge $BR "$col"
done

# --- a bridge name with '/' (it would name RUNDIR/BRIDGE.mgmt elsewhere): not run ---
out=$(vsctl add-br "$BR/x" -- set bridge "$BR/x" datapath_type=netdev 2>&1)
check "add-br $BR/x: its interface's error says why (ovs-vsctl: $out)" \
	eval 'iface_error "$BR/x" | grep -q "a bridge name is 1 to 255 characters without ./."'
check "... the log says so, nothing was made under $RUN/$BR, vireo-dp runs on" \
	eval 'grep -q "bridge .$BR/x.: a bridge name" "$RUN/dp.log" && test ! -e "$RUN/$BR" &&
	kill -0 "$DP_PID"'
check "... del-br $BR/x" vsctl del-br "$BR/x"

# --- implemented: Bridge other_config:mac-table-size sizes the MAC table ---
check "mac-table-size=4096: applied, as the log says" \
	eval 'vsctl set Bridge $BR other_config:mac-table-size=4096 &&
	wait_until 10 grep -q "bridge $BR: MAC table holds 4096 entries" "$RUN/dp.log"'
check "... not reported as ignored" \
	bash -c "! grep -q 'mac-table-size.*accepted but not applied' '$RUN/dp.log'"
check "mac-table-size=5: held to 10, as Open vSwitch holds it" \
	eval 'vsctl set Bridge $BR other_config:mac-table-size=5 &&
	wait_until 10 grep -q "bridge $BR: MAC table holds 10 entries" "$RUN/dp.log"'
check "mac-table-size removed: back to the default 2048" \
	eval 'vsctl remove Bridge $BR other_config mac-table-size &&
	wait_until 10 grep -q "bridge $BR: MAC table holds 2048 entries" "$RUN/dp.log"'

# --- other_config: refused and not applied keys are logged ---
check "the log refuses other_config:hw-offload=true" \
	grep -q "other_config:hw-offload=true ignored (key 'other_config:hw-offload': 'true' refused" \
	"$RUN/dp.log"
check "the log says other_config:tx-flush-interval is not applied" \
	grep -q "warning: key 'other_config:tx-flush-interval': '50' accepted but not applied" \
	"$RUN/dp.log"
check "the log says other_config:no-such-key is not read" \
	grep -q "warning: key 'other_config:no-such-key': not read by vireo-dp" "$RUN/dp.log"
check "each is said once" test "$(grep -c "tx-flush-interval" "$RUN/dp.log")" -eq 1

kill -TERM "$DP_PID"
wait "$DP_PID"
rc=$?
check "SIGTERM: vireo-dp exits 0 (was $rc)" test "$rc" -eq 0
[ "$n_fail" -eq 0 ] || { echo "--- vireo-dp log (tail)"; tail -n 40 "$RUN/dp.log"; }
finish
