#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# End-to-end test of the OVSDB client against Open vSwitch's real ovsdb-server and ovs-vsctl.
# tests/ovsdb/ovsdb_probe stands in for the dataplane: it prints each configuration it gets
# and writes back ofport, error, status, statistics and cur_cfg.  Every ovs-vsctl call below
# runs WITHOUT --no-wait, so it only returns when cur_cfg caught up with next_cfg.
#
# Usage: client.sh PATH/TO/ovsdb_probe       (prints PASS/FAIL lines; exit 1 on any FAIL)

set -u
. "$(dirname "$0")/../lib.sh"
command -v ovsdb-server >/dev/null || skip_all "ovsdb-server is not installed"
PROBE=${1:?usage: client.sh PATH/TO/ovsdb_probe}
SCHEMA=${VSWITCH_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}
D=$(mktemp -d /tmp/vireo-ovsdb-test.XXXXXX)
DB=$D/conf.db
SOCK=$D/db.sock
probe_pid=

server_pid() { cat "$D/pid" 2>/dev/null; }

start_server() {
	ovsdb-server --remote=punix:"$SOCK" --pidfile="$D/pid" --unixctl="$D/ctl" \
		--log-file="$D/server.log" --no-chdir --detach "$DB"
}

stop_server() {
	local pid
	pid=$(server_pid)
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	rm -f "$D/pid"
}

cleanup() {
	[ -n "$probe_pid" ] && kill "$probe_pid" 2>/dev/null
	stop_vswitchd
	stop_server
	if [ "$n_fail" -ne 0 ]; then
		echo "--- probe stdout (tail)"; tail -n 30 "$D/probe.out"
		echo "--- probe stderr (tail)"; tail -n 30 "$D/probe.err"
		echo "--- kept $D"
	else
		rm -rf "$D"
	fi
}
at_exit cleanup

# ovs-vsctl without --no-wait: fails if cur_cfg does not catch up within 10 s.
vsctl() { timeout 15 ovs-vsctl --db=unix:"$SOCK" --timeout=10 "$@"; }
get() { ovs-vsctl --db=unix:"$SOCK" --no-wait --timeout=5 get "$@" 2>/dev/null; }

# The last configuration the probe printed (between the last "config" line and "end").
last_config() { awk '/^config /{buf=""} {buf=buf $0 "\n"} END{printf "%s", buf}' "$D/probe.out"; }
config_has() { last_config | grep -qF -- "$1"; }
config_lacks() { ! last_config | grep -qF -- "$1"; }
cfg_caught_up() { [ "$(get Open_vSwitch . cur_cfg)" = "$(get Open_vSwitch . next_cfg)" ]; }
is_positive() { [ -n "$1" ] && [ "$1" -gt 0 ] 2>/dev/null; }

ovsdb-tool create "$DB" "$SCHEMA" || { fail "ovsdb-tool create"; finish; }
start_server || { fail "ovsdb-server did not start"; finish; }
ovs-vsctl --db=unix:"$SOCK" --no-wait init

# The real ovs-vswitchd holds the lock: the client must refuse to run next to it.
VSWITCHD=${OVS_VSWITCHD:-/usr/sbin/ovs-vswitchd}
vswitchd_pid=
# In the foreground of a background job: with --detach it would wait for the lock to start.
start_vswitchd() {
	OVS_RUNDIR=$D OVS_LOGDIR=$D "$VSWITCHD" unix:"$SOCK" --pidfile="$D/vsw.pid" \
		--unixctl="$D/vsw.ctl" --log-file="$D/vsw.log" --no-chdir \
		>>"$D/vsw.out" 2>&1 </dev/null &
	vswitchd_pid=$!
}
stop_vswitchd() {
	[ -n "$vswitchd_pid" ] || return 0
	kill "$vswitchd_pid" 2>/dev/null
	wait "$vswitchd_pid" 2>/dev/null
	vswitchd_pid=
}
if [ -x "$VSWITCHD" ]; then
	start_vswitchd
	# ovs-vsctl without --no-wait returns once ovs-vswitchd (holding the lock) reconfigured.
	vsctl set Open_vSwitch . external_ids:vireo-test=1
	timeout 10 "$PROBE" --remote unix:"$SOCK" >"$D/vsw-probe.out" 2>"$D/vsw-probe.err"
	rc=$?
	check "next to a running ovs-vswitchd the client exits with status 2" test "$rc" = 2
	check "... and says that the lock is held" grep -qF \
		"ovsdb lock ovs_vswitchd is held by another process (is ovs-vswitchd running?)" \
		"$D/vsw-probe.err"
	stop_vswitchd
else
	echo "SKIP: no $VSWITCHD to hold the lock"
fi

"$PROBE" --remote unix:"$SOCK" --stats-ms 300 >"$D/probe.out" 2>"$D/probe.err" &
probe_pid=$!
check "probe connects and receives the first config" wait_until 5 grep -q '^config ' "$D/probe.out"

# --- bridges and ports, each call waits for cur_cfg ---
check "add-br br0 (netdev) completes without --no-wait" \
	vsctl add-br br0 -- set bridge br0 datapath_type=netdev
check "probe sees bridge br0 with its internal port" \
	eval 'config_has "bridge br0 datapath_type=netdev" && config_has "port br0 type=internal"'
check "bridge local port gets ofport 65534" test "$(get Interface br0 ofport)" = 65534

check "add-port dpdk0 type=dpdk completes" \
	vsctl add-port br0 dpdk0 -- set Interface dpdk0 type=dpdk options:dpdk-devargs=0000:01:00.0
check "probe sees dpdk0 with its devargs" \
	config_has "port dpdk0 type=dpdk ofport_request=0 mtu_request=0 options:dpdk-devargs=0000:01:00.0"
check "dpdk0 has a positive ofport" is_positive "$(get Interface dpdk0 ofport)"

check "add-port vhu0 type=dpdkvhostuser completes" \
	vsctl add-port br0 vhu0 -- set Interface vhu0 type=dpdkvhostuser
check "add-port vhc0 type=dpdkvhostuserclient completes" \
	vsctl add-port br0 vhc0 -- set Interface vhc0 type=dpdkvhostuserclient \
	options:vhost-server-path=/run/vm0.sock ofport_request=7
check "probe sees vhc0 with vhost-server-path and ofport_request" \
	config_has "port vhc0 type=dpdkvhostuserclient ofport_request=7 mtu_request=0 options:vhost-server-path=/run/vm0.sock"
check "vhc0 gets its requested ofport" test "$(get Interface vhc0 ofport)" = 7

check "set Interface options completes" \
	vsctl set Interface vhc0 options:vhost-server-path=/run/vm1.sock options:n_rxq=2
check "probe sees the new options" \
	config_has "options:n_rxq=2 options:vhost-server-path=/run/vm1.sock"
check "set mtu_request completes" vsctl set Interface dpdk0 mtu_request=9000
check "mtu written back" test "$(get Interface dpdk0 mtu)" = 9000

check "other_config reaches the probe" \
	eval 'vsctl set Open_vSwitch . other_config:pmd-cpu-mask=0x2 other_config:dpdk-init=true &&
	config_has "other_config dpdk-init=true pmd-cpu-mask=0x2"'

# --- a port that fails ---
out=$(vsctl add-port br0 bad0 -- set Interface bad0 type=dpdk options:dpdk-devargs=bad:00.0 2>&1)
check "bad port: ovs-vsctl prints 'Error detected while setting up'" \
	grep -qF "Error detected while setting up 'bad0'" <<<"$out"
check "bad port: the message carries the error text" grep -qF "bad:00.0" <<<"$out"
check "bad port: ofport -1" test "$(get Interface bad0 ofport)" = -1
check "bad port: error column set" eval 'get Interface bad0 error | grep -qF "bad:00.0"'
check "other ports keep their ofport" is_positive "$(get Interface dpdk0 ofport)"
check "error cleared when the port is fixed" \
	eval 'vsctl set Interface bad0 options:dpdk-devargs=0000:02:00.0 &&
	is_positive "$(get Interface bad0 ofport)" && test "$(get Interface bad0 error)" = "[]"'

# --- state written back ---
check "status written" test "$(get Interface dpdk0 status:driver_name)" = probe
check "link_state and admin_state written" \
	eval 'test "$(get Interface vhu0 link_state)" = up && test "$(get Interface vhu0 admin_state)" = up'
check "statistics written and refreshed" \
	wait_until 5 eval 'is_positive "$(get Interface vhu0 statistics:rx_packets)"'
s1=$(get Interface vhu0 statistics:tx_packets)
check "statistics advance" \
	wait_until 5 eval 'test "$(get Interface vhu0 statistics:tx_packets)" -gt "$s1"'
check "list Interface shows statistics" \
	eval 'ovs-vsctl --db=unix:"$SOCK" list Interface dpdk0 | grep -q "^statistics .*rx_bytes="'
check "cur_cfg equals next_cfg" cfg_caught_up
check "dpdk_initialized and datapath_types written" \
	eval 'test "$(get Open_vSwitch . dpdk_initialized)" = true &&
	test "$(get Open_vSwitch . datapath_types)" = "[netdev]" &&
	get Open_vSwitch . iface_types | grep -q dpdkvhostuserclient'

# --- a bridge of another datapath type is not ours ---
out=$(vsctl add-br brs 2>&1)
check "system bridge: its port is reported failed" \
	grep -qF "Error detected while setting up 'brs'" <<<"$out"
check "system bridge: error names the datapath type" \
	eval 'get Interface brs error | grep -qF "datapath_type"'
check "system bridge: not in the config" config_lacks "bridge brs"
check "del-br brs completes" vsctl del-br brs

# --- deletions ---
check "del-port vhu0 completes" vsctl del-port br0 vhu0
check "vhu0 gone from the config" config_lacks "port vhu0"

# --- one writer: a second client is refused by the lock ---
timeout 10 "$PROBE" --remote unix:"$SOCK" >"$D/second.out" 2>"$D/second.err"
rc=$?
check "second instance exits with status 2" test "$rc" = 2
check "second instance says why" \
	grep -qF "ovsdb lock ovs_vswitchd is held by another process (is ovs-vswitchd running?)" \
	"$D/second.err"
check "first instance still serves" vsctl set Interface dpdk0 options:n_rxq=4
if [ -x "$VSWITCHD" ]; then
	start_vswitchd
	check "a later ovs-vswitchd finds the lock taken and stands by" \
		wait_until 5 grep -q "another ovs-vswitchd process is running" "$D/vsw.log"
	stop_vswitchd
	check "the client still serves after ovs-vswitchd gave up" \
		vsctl set Interface dpdk0 options:n_rxq=3
fi

# --- ovsdb-server restart: reconnect and resynchronise ---
stop_server
# While the server is away, bump next_cfg in the file: the client must catch up after.
ovsdb-tool transact "$DB" '["Open_vSwitch",{"op":"mutate","table":"Open_vSwitch","where":[],
	"mutations":[["next_cfg","+=",5]]}]' >/dev/null
want=$(ovsdb-tool query "$DB" '["Open_vSwitch",{"op":"select","table":"Open_vSwitch",
	"where":[],"columns":["next_cfg"]}]' | sed 's/.*"next_cfg":\([0-9]*\).*/\1/')
sleep 0.5
check "probe survives the server's death" kill -0 "$probe_pid"
check "probe logged the lost connection" grep -q "reconnecting in" "$D/probe.err"
start_server
check "after restart the client re-sends cur_cfg" \
	wait_until 12 eval 'test "$(get Open_vSwitch . cur_cfg)" = "$want"'
check "after restart the client re-writes status (ephemeral)" \
	wait_until 5 eval 'test "$(get Interface dpdk0 status:driver_name)" = probe'
check "after restart the config is delivered again" \
	grep -q "^config next_cfg=$want " "$D/probe.out"
check "ovs-vsctl works after the restart" vsctl add-port br0 vhu1 -- set Interface vhu1 type=dpdkvhostuser
check "vhu1 has an ofport" is_positive "$(get Interface vhu1 ofport)"

check "del-br br0 completes" vsctl del-br br0
check "config has no bridge left" config_lacks "bridge "
check "probe still running at the end" kill -0 "$probe_pid"
kill "$probe_pid"
wait "$probe_pid"
rc=$?
probe_pid=
check "probe exits cleanly on SIGTERM" test "$rc" = 0

finish
