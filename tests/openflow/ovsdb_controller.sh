#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Controllers from OVSDB, as ovs-vsctl sets them: set-controller connects vireo-dp to
# ovs-testcontroller, the Controller row's inactivity_probe and max_backoff are used, and
# is_connected, role and status:state are written back as ovs-vswitchd writes them; pings
# go through the controller; del-controller returns the bridge to MAC learning.  Starts DPDK
# PMD threads: run it under `flock /tmp/vireo-heavy.lock`.
. "$(dirname "$0")/../dp/lib.sh"
. "$(dirname "$0")/../ovsdb/lib-ovsdb.sh"
BR=cb$$   # the bridge's local port is a kernel device: a name no other process holds
TEST_NAME=openflow-ovsdb-controller

command -v ovs-testcontroller >/dev/null || {
	echo "SKIP: ovs-testcontroller (package openvswitch-testcontroller) is not installed"
	exit 77
}
A=od$$a B=od$$b
netns_add "$A" 10.95.0.1 02:00:00:00:04:01 && netns_add "$B" 10.95.0.2 02:00:00:00:04:02 ||
	{ fail "netns"; finish; }
CPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export OVS_RUNDIR=$RUN

ovs-testcontroller "ptcp:$CPORT:127.0.0.1" --no-chdir --unixctl="$RUN/tc.ctl" \
	--pidfile="$RUN/tc.pid" >>"$RUN/tc.log" 2>&1 &
CTRL_PID=$!
PIDS+=("$CTRL_PID")
ctrl() { get Controller $BR "$1"; }
check "ovsdb-server and vireo-dp start" ovsdb_dp_start other_config:openflow-rundir="$RUN"
check "add-br $BR with two ports" vsctl add-br $BR -- set bridge $BR datapath_type=netdev \
	fail_mode=secure -- add-port $BR p1 -- set Interface p1 type=dpdk \
	options:dpdk-devargs="net_af_packet1,iface=v-$A" \
	-- add-port $BR p2 -- set Interface p2 type=dpdk \
	options:dpdk-devargs="net_af_packet2,iface=v-$B"
check "set-controller $BR tcp:127.0.0.1:PORT is taken (no error on Interface $BR)" \
	eval 'vsctl set-controller $BR "tcp:127.0.0.1:$CPORT" -- set Controller $BR \
	inactivity_probe=1000 max_backoff=1000 && test -z "$(iface_error $BR)"'
check "Controller is_connected becomes true" wait_until 20 eval 'test "$(ctrl is_connected)" = true'
check "... role other, status:state ACTIVE" \
	eval 'test "$(ctrl role)" = other && ctrl status | grep -q "state=ACTIVE"'
check "ping through ovs-testcontroller" wait_until 30 ping_ok "$A" 10.95.0.2 3 0.1
check "the controller's flows are in the table" \
	eval 'ovs-ofctl dump-flows $BR | grep -q "actions=output:"'
kill -TERM "$CTRL_PID"
wait "$CTRL_PID" 2>/dev/null
check "the controller stops: is_connected false" \
	wait_until 20 eval 'test "$(ctrl is_connected)" = false'
check "... status:state BACKOFF or CONNECTING, last_error set" \
	eval 'ctrl status | grep -Eq "state=(BACKOFF|CONNECTING)" && ctrl status | grep -q last_error'
check "del-controller: the bridge has no controller" vsctl del-controller $BR
ovs-ofctl del-flows $BR
check "del-fail-mode, no controller, no rules: MAC learning forwards" \
	eval 'vsctl del-fail-mode $BR && wait_until 30 ping_ok "$A" 10.95.0.2 3 0.1'
check "vireo-dp still runs" kill -0 "$DP_PID"
kill -TERM "$DP_PID"
wait "$DP_PID"
[ "$n_fail" -gt 0 ] && { echo "--- vireo-dp's log"; cat "$RUN/dp.log"; }
finish
