#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# vireo-dp --ovsdb end to end: Open vSwitch's real ovsdb-server (private directory) and
# ovs-vsctl drive vireo-dp as they drive ovs-vswitchd.  Every ovs-vsctl call that changes
# the configuration runs WITHOUT --no-wait, so it returns only once vireo-dp wrote cur_cfg.
# Namespaces ping each other through net_af_packet ports added with ovs-vsctl; bad ports,
# del-port and re-add, statistics, dpdkvhostuser sockets, ofport numbers given as Open
# vSwitch gives them (held back, counting up), pmd-cpu-mask at run time,
# ovsdb-server restarted under traffic, a second instance refused by the lock; then
# --detach before dpdk-init (ready at once, SIGHUP while waiting, DPDK started later);
# dpdk-init=try with an EAL that fails (vireo-dp runs on without DPDK).
#
# Usage: VIREO_BUILD=BUILD_DIR tests/ovsdb/dp.sh    (PASS/FAIL lines; exit 1 on any FAIL)
. "$(dirname "$0")/../dp/lib.sh"
BR=db$$   # the bridge's local port is a kernel device: a name no other process holds
command -v ovsdb-server >/dev/null || skip_all "ovsdb-server is not installed"

SCHEMA=${VSWITCH_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}
SOCK=$RUN/db.sock
DB=$RUN/conf.db
NS1=ovd$$a
NS2=ovd$$b
SRV_PID=

# ovs-vsctl waits for vireo-dp to apply a change; DPDK's start takes longest (see
# VIREO_TEST_DP_WAIT in tests/dp/lib.sh: the arm64 test host's TCG needs minutes).
VSCTL_WAIT=$(( ${VIREO_TEST_DP_WAIT:-200} / 10 ))
vsctl() { timeout $((VSCTL_WAIT + 5)) ovs-vsctl --db=unix:"$SOCK" --timeout="$VSCTL_WAIT" "$@"; }
get() { ovs-vsctl --db=unix:"$SOCK" --no-wait --timeout=5 get "$@" 2>/dev/null; }
caught_up() { [ "$(get Open_vSwitch . cur_cfg)" = "$(get Open_vSwitch . next_cfg)" ]; }
is_positive() { [ -n "$1" ] && [ "$1" -gt 0 ] 2>/dev/null; }
# fwd_ok NS DST COUNT: ping with 0% loss; on loss the ping output is shown.
fwd_ok() {
	local out
	out=$(ip netns exec "$1" ping -q -c "$3" -i 0.05 -W 2 "$2" 2>&1)
	grep -q " 0% packet loss" <<<"$out" && return 0
	echo "$out" | tail -n 2
	return 1
}
# fwd_ok2: fwd_ok, once more if the first try lost packets (this machine is shared and
# loaded: a PMD descheduled for half a second loses pings without any fault of the switch).
fwd_ok2() { fwd_ok "$@" || { echo "(retrying once)"; fwd_ok "$@"; }; }
no_ping() { ! ip netns exec "$1" ping -q -c 3 -i 0.2 -W 1 "$2" >/dev/null 2>&1; }

start_server() {
	ovsdb-server --remote=punix:"$SOCK" --pidfile="$RUN/ovsdb.pid" --unixctl="$RUN/ovsdb.ctl" \
		--log-file="$RUN/ovsdb.log" --no-chdir "$DB" >>"$RUN/ovsdb.out" 2>&1 &
	SRV_PID=$!
	PIDS+=("$SRV_PID")
	wait_until 10 test -S "$SOCK"
}

stop_server() {
	kill -TERM "$SRV_PID" 2>/dev/null
	wait "$SRV_PID" 2>/dev/null
	rm -f "$SOCK"
}

# start_ovsdb_dp: vireo-dp --ovsdb in the background (log in $RUN/dp.log), with $RUN as
# Open vSwitch's run directory (where dpdkvhostuser sockets go).
start_ovsdb_dp() {
	OVS_RUNDIR=$RUN "$VIREO_DP" --ovsdb=unix:"$SOCK" --control "$CTL" >"$RUN/dp.log" 2>&1 &
	DP_PID=$!
	PIDS+=("$DP_PID")
}

ovsdb-tool create "$DB" "$SCHEMA" >/dev/null || { fail "ovsdb-tool create"; finish; }
check "ovsdb-server starts" start_server
ovs-vsctl --db=unix:"$SOCK" --no-wait init
netns_add "$NS1" 10.98.0.1 02:00:00:00:01:01 || { fail "netns"; finish; }
netns_add "$NS2" 10.98.0.2 02:00:00:00:01:02 || { fail "netns"; finish; }

# --- before dpdk-init: configurations are answered, ports fail with a clear error ---
ovs-vsctl --db=unix:"$SOCK" --no-wait set Open_vSwitch . other_config:dpdk-lcore-mask=0x1 \
	other_config:pmd-cpu-mask=0x2 \
	other_config:dpdk-extra="--file-prefix=$PREFIX --no-pci -m 512"
start_ovsdb_dp
check "vireo-dp says it waits for dpdk-init=true" \
	wait_until 10 grep -q "waiting for other_config:dpdk-init=true" "$RUN/dp.log"
check "add-br $BR (netdev) completes without --no-wait before DPDK is initialised" \
	vsctl add-br $BR -- set bridge $BR datapath_type=netdev
out=$(vsctl add-port $BR p1 -- set Interface p1 type=dpdk \
	options:dpdk-devargs="net_af_packet1,iface=v-$NS1" 2>&1)
check "add-port before dpdk-init: 'Error detected' naming dpdk-init" \
	eval 'grep -qF "Error detected while setting up '"'p1'"'" <<<"$out" &&
	get Interface p1 error | grep -q "dpdk-init=true"'
check "bridge local port $BR gets ofport 65534" test "$(get Interface $BR ofport)" = 65534

# --- a second instance is refused by the lock ovs_vswitchd ---
timeout 20 "$VIREO_DP" --ovsdb=unix:"$SOCK" --control "$RUN/second.ctl" >"$RUN/second.log" 2>&1
rc=$?
check "second vireo-dp --ovsdb exits non-zero (status $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
check "second vireo-dp says the lock is held" \
	grep -q "vireo-dp: ovsdb lock ovs_vswitchd is held by another process" "$RUN/second.log"
check "second vireo-dp did not touch the first one's control socket" test ! -e "$RUN/second.ctl"

# --- dpdk-init=true: DPDK starts, the waiting port comes up ---
check "set dpdk-init=True completes (DPDK initialised: any case, as ovs-vswitchd reads it)" \
	vsctl set Open_vSwitch . other_config:dpdk-init=True
check "... and the value is not logged as a bad one" \
	eval '! grep -q "dpdk-init=True ignored" "$RUN/dp.log"'
check "p1 now has a positive ofport and no error" \
	eval 'is_positive "$(get Interface p1 ofport)" && test "$(get Interface p1 error)" = "[]"'
check "dpdk_initialized=true and dpdk_version written" \
	eval 'test "$(get Open_vSwitch . dpdk_initialized)" = true &&
	get Open_vSwitch . dpdk_version | grep -q DPDK'
check "datapath_types and iface_types written" \
	eval 'test "$(get Open_vSwitch . datapath_types)" = "[netdev]" &&
	get Open_vSwitch . iface_types | grep -q dpdkvhostuserclient'

# --- forwarding between namespaces ---
check "add-port p2 completes" vsctl add-port $BR p2 -- set Interface p2 type=dpdk \
	options:dpdk-devargs="net_af_packet2,iface=v-$NS2"
check "ping $NS1 -> $NS2 through ports added with ovs-vsctl, 0% loss" \
	fwd_ok2 "$NS1" 10.98.0.2 20
check "cur_cfg caught up with next_cfg" caught_up
check "Interface columns: link_state up, admin_state up, mtu 1500" \
	eval 'test "$(get Interface p2 link_state)" = up &&
	test "$(get Interface p2 admin_state)" = up && test "$(get Interface p2 mtu)" = 1500'
check "status has driver_name net_af_packet, numa_id and n_rxq" \
	eval 'test "$(get Interface p2 status:driver_name)" = "\"net_af_packet\"" ||
	test "$(get Interface p2 status:driver_name)" = net_af_packet &&
	get Interface p2 status | grep -q numa_id && get Interface p2 status | grep -q n_rxq'
check "vireoctl show agrees on the ofports" \
	eval 'ctl show | grep -q "port p2: ofport $(get Interface p2 ofport), type dpdk, link up"'
check "statistics written back (rx_packets > 0 on p1)" \
	wait_until 12 eval 'is_positive "$(get Interface p1 statistics:rx_packets)"'
s1=$(get Interface p1 statistics:rx_packets)
ip netns exec "$NS1" ping -q -c 10 -i 0.05 10.98.0.2 >/dev/null 2>&1
check "statistics advance (rx_packets was $s1)" \
	wait_until 12 eval 'test "$(get Interface p1 statistics:rx_packets)" -gt "$s1"'
check "statistics have the ovs-vswitchd keys" \
	eval 'st=$(get Interface p1 statistics); for k in rx_bytes tx_packets tx_bytes \
	rx_dropped tx_dropped rx_errors tx_errors; do grep -q "$k=" <<<"$st" || exit 1; done'

# --- a port that fails leaves the others forwarding ---
out=$(vsctl add-port $BR bad0 -- set Interface bad0 type=dpdk \
	options:dpdk-devargs=net_nosuchdriver0 2>&1)
check "bad devargs: ovs-vsctl prints \"Error detected while setting up 'bad0'\"" \
	grep -qF "Error detected while setting up 'bad0'" <<<"$out"
check "bad port: ofport -1" test "$(get Interface bad0 ofport)" = -1
check "bad port: error column names the problem" \
	eval 'get Interface bad0 error | grep -qi "net_nosuchdriver0"'
check "other ports keep forwarding next to the bad one" fwd_ok2 "$NS1" 10.98.0.2 10
# A failed port is tried again on each change, as ovs-vswitchd's bridge_reconfigure() runs on
# each: a change vireo-dp does not read (external_ids) still reaches the dataplane while
# bad0 fails, and only then.
n_reconf() { ctl coverage/show | awk '$1 == "bridge_reconfigure" { print $NF }'; }
n0=$(n_reconf)
vsctl set Interface p2 external_ids:retry=1 >/dev/null
n1=$(n_reconf)
check "while bad0 fails, an external_ids change reconfigures the dataplane ($n0 -> $n1)" \
	test "$n1" -gt "$n0"
check "del-port bad0 completes" vsctl del-port $BR bad0
n0=$(n_reconf)
vsctl set Interface p2 external_ids:retry=2 >/dev/null
n1=$(n_reconf)
check "with no port failing, an external_ids change does not ($n0 -> $n1)" test "$n1" = "$n0"

# --- a failed port is opened again on the next change: a tunnel's duplicate deleted ---
vx() { echo "-- add-port $BR $1 -- set Interface $1 type=vxlan options:remote_ip=10.0.0.9 \
	options:key=5"; }
vsctl $(vx vx0) >/dev/null 2>&1
vsctl $(vx vx1) >/dev/null 2>&1
check "vx1 (vx0's remote_ip and key) fails, its error names vx0" \
	eval 'is_positive "$(get Interface vx0 ofport)" && test "$(get Interface vx1 ofport)" = -1 &&
	get Interface vx1 error | grep -q "tunnel port vx0 already receives VNI 5"'
check "del-port vx0: vx1 comes up, its error cleared" \
	eval 'vsctl del-port $BR vx0 && is_positive "$(get Interface vx1 ofport)" &&
	test "$(get Interface vx1 error)" = "[]" && ctl show | grep -q "port vx1: ofport [0-9]*, type vxlan"'
check "del-port vx1 completes" vsctl del-port $BR vx1

# --- del-port stops the traffic, re-adding restores it ---
check "del-port p2 completes" vsctl del-port $BR p2
check "after del-port p2 the ping fails" no_ping "$NS1" 10.98.0.2
check "vireoctl show no longer lists p2" eval '! ctl show | grep -q "port p2:"'
check "re-add p2 completes" vsctl add-port $BR p2 -- set Interface p2 type=dpdk \
	options:dpdk-devargs="net_af_packet2,iface=v-$NS2"
check "after re-adding p2 the ping works again, 0% loss" fwd_ok2 "$NS1" 10.98.0.2 10

# --- dpdkvhostuser: the socket appears in Open vSwitch's run directory ---
check "add-port vhu0 type=dpdkvhostuser completes" \
	vsctl add-port $BR vhu0 -- set Interface vhu0 type=dpdkvhostuser
check "vhu0's socket is \$OVS_RUNDIR/vhu0 (vhost-sock-dir unset), as ovs-vswitchd's" \
	test -S "$RUN/vhu0"
check "vhu0 has an ofport, link_state down (no guest)" \
	eval 'is_positive "$(get Interface vhu0 ofport)" && test "$(get Interface vhu0 link_state)" = down'
check "add-port vhc0 type=dpdkvhostuserclient completes" \
	vsctl add-port $BR vhc0 -- set Interface vhc0 type=dpdkvhostuserclient \
	options:vhost-server-path="$RUN/vm0.sock" ofport_request=7
check "vhc0 gets its ofport_request 7" test "$(get Interface vhc0 ofport)" = 7
of_vhu0=$(get Interface vhu0 ofport)
check "del-port vhu0 and vhc0 complete" vsctl del-port $BR vhu0 -- del-port $BR vhc0

# --- ofport numbers as Open vSwitch gives them: a deleted port's is not given away at once ---
check "add-port vhx0: a number, not vhu0's $of_vhu0 (freed a moment ago)" \
	eval 'vsctl add-port $BR vhx0 -- set Interface vhx0 type=dpdkvhostuser &&
	of=$(get Interface vhx0 ofport) && is_positive "$of" && test "$of" != "$of_vhu0"'
check "add-port vhy0, del-port vhx0: vhy0 keeps a number above the hole" \
	eval 'vsctl add-port $BR vhy0 -- set Interface vhy0 type=dpdkvhostuser &&
	vsctl del-port $BR vhx0 && is_positive "$(get Interface vhy0 ofport)"'
# Open vSwitch keeps no number by name: vhu0 added again is a new Interface row without an
# ofport, and gets a new number, not the one it had a moment ago.
check "add-port vhu0 again: a new number, not its old $of_vhu0 (as Open vSwitch)" \
	eval 'vsctl add-port $BR vhu0 -- set Interface vhu0 type=dpdkvhostuser &&
	of=$(get Interface vhu0 ofport) && is_positive "$of" && test "$of" != "$of_vhu0" &&
	ctl show | grep -q "port vhu0: ofport $of,"'
check "... nor vhc0 its ofport_request'ed 7 when it asks for none" \
	eval 'vsctl add-port $BR vhc0 -- set Interface vhc0 type=dpdkvhostuserclient \
	options:vhost-server-path="$RUN/vm0.sock" && of=$(get Interface vhc0 ofport) &&
	is_positive "$of" && test "$of" != 7'
check "... and with ofport_request=7 again, vhc0 has 7 back" \
	eval 'vsctl set Interface vhc0 ofport_request=7 && test "$(get Interface vhc0 ofport)" = 7'
vsctl del-port $BR vhu0 -- del-port $BR vhc0 >/dev/null
# The same Interface row closed and opened again keeps its number, as in Open vSwitch, even
# when the change comes before that number has come back from the write-back: vireo-dp,
# stopped, finds the add-port and the type change queued and applies them one by one.
added_as() { sed -n "s/.*port vhz0: added to bridge $BR as ofport \([0-9]*\) ($1)$/\1/p" \
	"$RUN/dp.log" | tail -n 1; }
kill -STOP "$DP_PID"
ovs-vsctl --db=unix:"$SOCK" --no-wait add-port $BR vhz0 -- set Interface vhz0 type=dpdkvhostuser
ovs-vsctl --db=unix:"$SOCK" --no-wait set Interface vhz0 type=dpdkvhostuserclient \
	options:vhost-server-path="$RUN/vm1.sock"
kill -CONT "$DP_PID"
# kept_number: vhz0 opened twice (both types) with one number, which the row then shows.
kept_number() {
	local of
	wait_until 10 eval 'test -n "$(added_as dpdkvhostuserclient)"' || return 1
	of=$(added_as dpdkvhostuser)
	if ! is_positive "$of" || [ "$(added_as dpdkvhostuserclient)" != "$of" ]; then
		echo "vhz0: ofport $of, then $(added_as dpdkvhostuserclient)"
		return 1
	fi
	wait_until 10 eval 'test "$(get Interface vhz0 ofport)" = "$of"'
}
check "vhz0 retyped before its ofport came back: reopened with the number it had" kept_number
vsctl del-port $BR vhz0 >/dev/null
# Numbers are given by counting up, as Open vSwitch's alloc_ofp_port() gives them: once a
# freed number may be given again (deleted an hour ago, or no longer among the numbers
# vireo-dp holds back, 64 a bridge), it comes back only when the count comes round to it.
# 65 ports replaced one by one push the first ones out; each new port still gets a number
# above the one before (reusing the lowest free number would go back to oc0's or lower).
counts_up() {
	local i of prev
	vsctl add-port $BR oc0 -- set Interface oc0 type=dpdkvhostuser || return 1
	prev=$(get Interface oc0 ofport)
	for i in $(seq 1 66); do
		vsctl del-port $BR oc$((i - 1)) -- add-port $BR oc$i -- \
			set Interface oc$i type=dpdkvhostuser || return 1
		of=$(get Interface oc$i ofport)
		if ! is_positive "$of" || [ "$of" -le "$prev" ]; then
			echo "oc$i: ofport $of after oc$((i - 1))'s $prev"
			return 1
		fi
		prev=$of
	done
}
check "ports replaced one by one get numbers counting up, none reused (as Open vSwitch)" \
	counts_up
vsctl -- --if-exists del-port $BR oc66 >/dev/null

# --- keys read when DPDK starts: a change is logged, applied at the next start ---
check "vhost-sock-dir=../up is refused naming '..', the run directory kept" \
	eval 'vsctl set Open_vSwitch . other_config:vhost-sock-dir=../up &&
	grep -qF "other_config:vhost-sock-dir=../up ignored" "$RUN/dp.log"'
vsctl set Open_vSwitch . other_config:vhost-sock-dir=vs other_config:dpdk-hugepage-dir=/dev/hugepages
check "a vhost-sock-dir change is logged as taking effect at restart" \
	grep -q "other_config:vhost-sock-dir changed: takes effect when vireo-dp restarts" "$RUN/dp.log"
check "a dpdk-hugepage-dir change is logged as taking effect at restart" \
	grep -q "other_config:dpdk-hugepage-dir changed: takes effect when vireo-dp restarts" "$RUN/dp.log"
check "... and the sockets stay where they are (vhu7 in \$OVS_RUNDIR)" \
	eval 'vsctl add-port $BR vhu7 -- set Interface vhu7 type=dpdkvhostuser &&
	test -S "$RUN/vhu7" && vsctl del-port $BR vhu7'
vsctl remove Open_vSwitch . other_config dpdk-hugepage-dir >/dev/null

# --- pmd-cpu-mask at run time re-places the rx queues ---
rxq_core() { ctl pmd-rxq-show | grep -q "core_id $1:"; }
check "pmd-rxq-show: PMD on core 1 (pmd-cpu-mask 0x2)" rxq_core 1
check "set pmd-cpu-mask=0x1 completes" vsctl set Open_vSwitch . other_config:pmd-cpu-mask=0x1
check "pmd-rxq-show: PMD moved to core 0" eval 'rxq_core 0 && ! rxq_core 1'
check "pmd-rxq-show lists p1 and p2 on the new PMD" \
	eval 'ctl pmd-rxq-show | grep -q "port: p1 " && ctl pmd-rxq-show | grep -q "port: p2 "'
check "traffic flows with pmd-cpu-mask 0x1" fwd_ok2 "$NS1" 10.98.0.2 10
check "set pmd-cpu-mask=0x2 completes" vsctl set Open_vSwitch . other_config:pmd-cpu-mask=0x2
check "pmd-rxq-show: PMD back on core 1" eval 'rxq_core 1 && ! rxq_core 0'
check "traffic flows with pmd-cpu-mask 0x2 again" fwd_ok2 "$NS1" 10.98.0.2 10
check "a pmd-cpu-mask naming a missing core is ignored (call completes)" \
	vsctl set Open_vSwitch . other_config:pmd-cpu-mask=0x8000
check "... and logged, PMD kept on core 1, traffic flows" \
	eval 'grep -q "pmd-cpu-mask .0x8000.: core 15 not on this machine" "$RUN/dp.log" &&
	rxq_core 1 && fwd_ok2 "$NS1" 10.98.0.2 5'
vsctl set Open_vSwitch . other_config:pmd-cpu-mask=0x2 >/dev/null

# --- flows still come through vireoctl, and survive OVSDB changes ---
check "vireoctl add-flow in --ovsdb mode: a drop rule on p1 stops the ping" \
	eval 'ctl add-flow $BR "priority=100,in_port=p1,actions=drop" >/dev/null &&
	no_ping "$NS1" 10.98.0.2'
check "an ovs-vsctl change keeps the vireoctl rule" \
	eval 'vsctl add-port $BR vhu9 -- set Interface vhu9 type=dpdkvhostuser &&
	ctl dump-flows $BR | grep -q "actions=drop" && no_ping "$NS1" 10.98.0.2'
check "vireoctl del-flows: back to MAC learning, forwarding" \
	eval 'ctl del-flows $BR >/dev/null && fwd_ok2 "$NS1" 10.98.0.2 5'
vsctl del-port $BR vhu9 >/dev/null

# --- ovsdb-server restarted under traffic ---
ip netns exec "$NS1" ping -c 100 -i 0.05 -W 2 10.98.0.2 >"$RUN/ping.out" 2>&1 &
ping_pid=$!
sleep 1
stop_server
check "vireo-dp notices the lost connection and keeps running" \
	eval 'wait_until 5 grep -q "reconnecting in" "$RUN/dp.log" && kill -0 "$DP_PID"'
# While the server is away, bump next_cfg and clear p1's ofport in the file.
ovsdb-tool transact "$DB" '["Open_vSwitch",{"op":"mutate","table":"Open_vSwitch","where":[],
	"mutations":[["next_cfg","+=",3]]},{"op":"update","table":"Interface",
	"where":[["name","==","p1"]],"row":{"ofport":["set",[]]}}]' >/dev/null
want=$(ovsdb-tool query "$DB" '["Open_vSwitch",{"op":"select","table":"Open_vSwitch",
	"where":[],"columns":["next_cfg"]}]' | sed 's/.*"next_cfg":\([0-9]*\).*/\1/')
sleep 1
check "ovsdb-server restarts" start_server
wait "$ping_pid"
check "ping through the restart: 0% packet loss ($(grep -o '[0-9]*% packet loss' "$RUN/ping.out"))" \
	grep -q " 0% packet loss" "$RUN/ping.out"
check "after the restart cur_cfg catches up with next_cfg $want" \
	wait_until 15 eval 'test "$(get Open_vSwitch . cur_cfg)" = "$want"'
check "after the restart ofport is written again" \
	wait_until 5 eval 'is_positive "$(get Interface p1 ofport)"'
check "after the restart status (ephemeral) is written again" \
	wait_until 5 eval 'get Interface p1 status | grep -q driver_name'
check "ovs-vsctl works after the restart" vsctl set Interface p2 external_ids:x=1
check "forwarding after the restart" fwd_ok2 "$NS1" 10.98.0.2 5

# --- vireo-dp restarted: each port takes back the number in its Interface row ---
ofports() { ctl show 2>/dev/null | grep -o "port [^:]*: ofport [0-9-]*" | sort; }
before=$(ofports)
kill -TERM "$DP_PID"
wait "$DP_PID"
mv "$RUN/dp.log" "$RUN/dp.log.1"
start_ovsdb_dp
check "vireo-dp restarted: every port has the number it had ($(tr '\n' ' ' <<<"$before"))" \
	wait_until 60 eval 'test "$(ofports)" = "$before"'
check "... and forwards" fwd_ok2 "$NS1" 10.98.0.2 5

# --- teardown through ovs-vsctl ---
check "del-br $BR completes" vsctl del-br $BR
check "vireoctl show has no bridge left" eval '! ctl show | grep -q "bridge $BR"'
kill -TERM "$DP_PID"
wait "$DP_PID"
rc=$?
check "SIGTERM: vireo-dp exits 0 (was $rc)" test "$rc" -eq 0

# --- --detach before dpdk-init: ready once the first configuration is answered, as
# ovs-vswitchd (systemd's Type=forking start must not wait for dpdk-init) ---
DLOG=$RUN/detached.log
DPIDF=$RUN/detached.pid
pid_gone() { ! kill -0 "$1" 2>/dev/null; }
ovs-vsctl --db=unix:"$SOCK" --no-wait remove Open_vSwitch . other_config dpdk-init \
	-- add-br $BR -- set bridge $BR datapath_type=netdev \
	-- add-port $BR p1 -- set Interface p1 type=dpdk \
	options:dpdk-devargs="net_af_packet1,iface=v-$NS1" \
	-- add-port $BR p2 -- set Interface p2 type=dpdk \
	options:dpdk-devargs="net_af_packet2,iface=v-$NS2"
t0=$(date +%s)
timeout 60 env OVS_RUNDIR="$RUN" "$VIREO_DP" --ovsdb=unix:"$SOCK" --control "$CTL" --detach \
	--pidfile="$DPIDF" --log-file="$DLOG" >"$RUN/detach.out" 2>&1
rc=$?
t=$(($(date +%s) - t0))
DP_PID=$(cat "$DPIDF" 2>/dev/null)
[ -n "$DP_PID" ] && PIDS+=("$DP_PID")
check "--ovsdb --detach without dpdk-init returns 0 at once (status $rc after $t s)" \
	test "$rc" -eq 0 -a "$t" -lt 30
check "... the pidfile names the running daemon ($DP_PID)" \
	eval 'test -n "$DP_PID" && kill -0 "$DP_PID"'
check "... its control socket answers before DPDK runs (vlog/list)" \
	eval 'ctl vlog/list | grep -q dataplane'
check "... ovs-vsctl calls return while it waits" \
	vsctl set Interface p1 external_ids:waiting=1
mv "$DLOG" "$DLOG.1"
kill -HUP "$DP_PID" 2>/dev/null
check "SIGHUP while waiting for dpdk-init reopens the log file" wait_until 10 test -f "$DLOG"
check "... and does not stop the daemon" eval 'sleep 1; kill -0 "$DP_PID"'
check "set dpdk-init=true completes: the detached daemon initialises DPDK" \
	eval 'vsctl set Open_vSwitch . other_config:dpdk-init=true &&
	test "$(get Open_vSwitch . dpdk_initialized)" = true'
check "the bridge comes up: p1 has a positive ofport, the namespaces ping" \
	eval 'is_positive "$(get Interface p1 ofport)" && fwd_ok2 "$NS1" 10.98.0.2 5'
check "vhost-sock-dir=vs, set before this start: vhu8's socket is \$OVS_RUNDIR/vs/vhu8" \
	eval 'vsctl add-port $BR vhu8 -- set Interface vhu8 type=dpdkvhostuser &&
	test -S "$RUN/vs/vhu8"'
kill -TERM "$DP_PID" 2>/dev/null
check "SIGTERM stops the detached daemon and removes its pidfile" \
	eval 'wait_until 60 pid_gone "$DP_PID" && test ! -e "$DPIDF"'
check "... nothing in its log from a sanitizer" \
	eval '! grep -q "ERROR: AddressSanitizer\|runtime error:" "$DLOG"'

# --- dpdk-init=try with an EAL that refuses its arguments: vireo-dp runs on without DPDK,
# answering ovs-vsctl, as ovs-vswitchd does (only "true" makes a failed EAL fatal) ---
ovs-vsctl --db=unix:"$SOCK" --no-wait set Open_vSwitch . other_config:dpdk-init=try \
	other_config:dpdk-extra="--file-prefix=$PREFIX --no-pci -m 512 --bogus"
start_ovsdb_dp
check "dpdk-init=try, dpdk-extra=--bogus: the log says DPDK could not be initialised" \
	wait_until 60 grep -q "DPDK could not be initialised" "$RUN/dp.log"
check "... and vireo-dp keeps running" eval 'sleep 1; kill -0 "$DP_PID"'
out=$(vsctl add-port $BR vhu5 -- set Interface vhu5 type=dpdkvhostuser 2>&1)
rc=$?
check "ovs-vsctl add-port returns (status $rc) with \"Error detected while setting up 'vhu5'\"" \
	grep -qF "Error detected while setting up 'vhu5'" <<<"$out"
check "... vhu5's error says DPDK could not be initialised with dpdk-init=try" \
	eval 'get Interface vhu5 error | grep -q "DPDK could not be initialised.*dpdk-init=try"'
check "... dpdk_initialized is false" test "$(get Open_vSwitch . dpdk_initialized)" = false
check "... its control socket answers" eval 'ctl vlog/list | grep -q dataplane'
kill -TERM "$DP_PID"
wait "$DP_PID"
rc=$?
check "SIGTERM: vireo-dp without DPDK exits 0 (was $rc)" test "$rc" -eq 0
ovs-vsctl --db=unix:"$SOCK" --no-wait set Open_vSwitch . other_config:dpdk-init=true
timeout 60 "$VIREO_DP" --ovsdb=unix:"$SOCK" --control "$CTL" >"$RUN/dp-true.log" 2>&1
rc=$?
check "dpdk-init=true with the same EAL: vireo-dp exits 1, as ovs-vswitchd aborts (was $rc)" \
	eval 'test "$rc" -eq 1 && grep -q "cannot initialise DPDK" "$RUN/dp-true.log"'
[ "$n_fail" -eq 0 ] && [ -z "${VIREO_TEST_VERBOSE:-}" ] || { echo "--- vireo-dp log (tail)"; tail -n 60 "$RUN/dp.log"; }
finish
