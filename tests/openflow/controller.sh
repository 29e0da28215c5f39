#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# vireo-dp under a real OpenFlow controller, no rules of its own: Open vSwitch's
# ovs-testcontroller (an OpenFlow 1.0 learning switch) or, with CTRL=osken, os-ken's
# osken-manager running tests/openflow/osken_switch.py (an OpenFlow 1.3 learning switch on
# os-ken's API) connects over tcp, learns from packet_ins and
# installs flows, and two namespaces ping each other through vireo-dp.  `ovs-ofctl monitor`
# on the management socket sees packet_ins; `ovs-ofctl packet-out` sends a frame that a
# namespace receives.  The controller is killed: a secure bridge keeps its rules and drops
# misses; a standalone one fails open into a MAC learning switch; the controller restarts
# and vireo-dp reconnects.  Starts DPDK PMD threads: run it under
# `flock /tmp/vireo-heavy.lock`.  Last, table misses with and without a table-miss rule
# in OpenFlow 1.0 and 1.3 (miss_ctl.py as the controller).
. "$(dirname "$0")/../dp/lib.sh"
CTRL=${CTRL:-testcontroller}
TEST_NAME=openflow-controller
[ "$CTRL" = osken ] && TEST_NAME=openflow-osken

if [ "$CTRL" = osken ]; then
	command -v osken-manager >/dev/null || {
		echo "SKIP: osken-manager (package python3-os-ken) is not installed"
		exit 77
	}
else
	command -v ovs-testcontroller >/dev/null || {
		echo "SKIP: ovs-testcontroller (package openvswitch-testcontroller) is not installed"
		exit 77
	}
fi
A=oc$$a B=oc$$b
netns_add "$A" 10.96.0.1 02:00:00:00:03:01 && netns_add "$B" 10.96.0.2 02:00:00:00:03:02 ||
	{ fail "netns"; finish; }
# A free TCP port for the controller.
CPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export OVS_RUNDIR=$RUN

write_cfg() { # write_cfg FAIL_MODE
	cat >"$RUN/dp.yaml" <<EOC
$(other_config)
bridges:
  br0:
    fail_mode: $1
    controller:
      - {target: "tcp:127.0.0.1:$CPORT", inactivity_probe: 1000, max_backoff: 1000}
    ports:
      p1: {type: dpdk, options: {dpdk-devargs: "net_af_packet1,iface=v-$A"}}
      p2: {type: dpdk, options: {dpdk-devargs: "net_af_packet2,iface=v-$B"}}
EOC
}

CTRL_PID=
start_controller() {
	if [ "$CTRL" = osken ]; then
		osken-manager --ofp-listen-host 127.0.0.1 --ofp-tcp-listen-port "$CPORT" \
			"$(dirname "$0")/osken_switch.py" >>"$RUN/tc.log" 2>&1 &
	else
		ovs-testcontroller "ptcp:$CPORT:127.0.0.1" --no-chdir --unixctl="$RUN/tc.ctl" \
			--pidfile="$RUN/tc.pid" >>"$RUN/tc.log" 2>&1 &
	fi
	CTRL_PID=$!
	PIDS+=("$CTRL_PID")
}
stop_controller() {
	kill -TERM "$CTRL_PID" 2>/dev/null
	wait "$CTRL_PID" 2>/dev/null
}
connected() { [ "$(grep -c "controller tcp:127.0.0.1:$CPORT connected" "$RUN/dp.log")" -ge "$1" ]; }
disconnected() { [ "$(grep -c "controller tcp:127.0.0.1:$CPORT disconnected" "$RUN/dp.log")" -ge "$1" ]; }
# eventually SECS CMD...: CMD succeeds within SECS seconds (of wall time, however long each
# try takes).
eventually() {
	local end=$((SECONDS + $1))
	shift
	while :; do
		"$@" && return 0
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}
no_ping() { ! ip netns exec "$1" ping -q -c 3 -i 0.2 -W 1 "$2" >/dev/null 2>&1; }
n_flows() { ovs-ofctl dump-flows br0 | grep -c "actions="; }

write_cfg secure
start_controller
check "vireo-dp starts with a controller and fail_mode secure" start_dp "$RUN/dp.yaml"
check "it connects to the controller (logged)" wait_until 20 connected 1
check "openflow/show: 1 controller connected, nothing dropped" \
	eval 'ctl openflow/show | grep -q "fail_mode secure, 1 controller(s), 1 connected" &&
	ctl openflow/show | grep -q "packet_in dropped (queue full): 0"'
check "ping through the controller's learning switch: 0% loss" \
	eventually 20 ping_ok "$A" 10.96.0.2 5 0.1
flows=$(ovs-ofctl dump-flows br0)
echo "$flows"
check "the controller installed flows (vireo-dp had none)" \
	grep -q "actions=output:" <<<"$flows"
pins_sent() { ctl openflow/show br0 | sed -n 's/.*packet_in sent: \([0-9]*\),.*/\1/p'; }
n=$(pins_sent)
check "openflow/show counts the packet_ins sent ($n > 0)" test "${n:-0}" -gt 0
if [ "$CTRL" != osken ]; then
		# What ovs-testcontroller read: the packet_ins and a few others (hello, replies).
		ctrl_got() {
			[ "$(ovs-appctl -t "$RUN/tc.ctl" coverage/read-counter vconn_received)" -ge \
				"$(pins_sent)" ]
		}
		check "... and the controller read at least as many messages" wait_until 10 ctrl_got
fi

# ovs-ofctl monitor: a service connection gets table-miss packet_ins once it sets a
# miss_send_len, as on ovs-vswitchd.  Both controllers add a table-miss rule (priority 0,
# CONTROLLER), whose packet_ins are misses from OpenFlow 1.3 and actions before, as
# ovs-vswitchd sends them: the monitor speaks 1.3.
ovs-ofctl -O OpenFlow13 monitor br0 65535 >"$RUN/monitor.log" 2>&1 &
MON_PID=$!
PIDS+=("$MON_PID")
sleep 1
# An ARP request for an absent host: a broadcast, which the learning switch floods by
# packet_out without installing a flow, so each one is a table miss.
ip netns exec "$A" ping -q -c 2 -i 0.3 -W 1 10.96.0.77 >/dev/null 2>&1
check "ovs-ofctl monitor sees the table-miss packet_in" \
	wait_until 10 grep -q "OFPT_PACKET_IN.*no_match" "$RUN/monitor.log"
kill "$MON_PID" 2>/dev/null
head -5 "$RUN/monitor.log"

# ovs-ofctl packet-out: a frame from the controller's side leaves on port 2.
FRAME=ffffffffffff02000000039908004500002000010000401164ab0a6000630a6000ff00090009000c0000deadbeef
ip netns exec "$B" tcpdump -n -l -c 1 -i eth0 ether src 02:00:00:00:03:99 \
	>"$RUN/tcpdump.log" 2>&1 &
TD_PID=$!
PIDS+=("$TD_PID")
wait_until 10 grep -q "listening on" "$RUN/tcpdump.log"
check "ovs-ofctl packet-out in_port=NONE actions=output:2 is accepted" \
	ovs-ofctl packet-out br0 "in_port=NONE,packet=$FRAME,actions=output:2"
check "... and the frame arrives in the namespace on port 2 (tcpdump)" \
	wait_until 10 grep -q "10.96.0.99.9 > 10.96.0.255.9: UDP" "$RUN/tcpdump.log"
cat "$RUN/tcpdump.log"
check "packet-out with output:TABLE: accepted (runs the table)" \
	ovs-ofctl packet-out br0 "in_port=1,packet=$FRAME,actions=output:TABLE"
out=$(ovs-ofctl packet-out br0 "in_port=1,packet=$FRAME,actions=set_queue:1,output:2" 2>&1)
check "packet-out with an action vireo-dp lacks: an OpenFlow error ($out)" \
	grep -q "OFPT_ERROR\|OFPBAC" <<<"$out"
check "... and the channel still works" ovs-ofctl show br0

# flow_removed: rules added with send_flow_rem are reported when they time out or are deleted
# (to a service connection once it set a miss_send_len, as on ovs-vswitchd).
ovs-ofctl monitor br0 65535 >"$RUN/monitor2.log" 2>&1 &
MON_PID=$!
PIDS+=("$MON_PID")
sleep 1
check "add-flow hard_timeout=1,send_flow_rem and one to delete" \
	eval 'ovs-ofctl add-flow br0 "cookie=0x71,priority=3,hard_timeout=1,send_flow_rem,udp,actions=drop" &&
	ovs-ofctl -O OpenFlow13 add-flow br0 "cookie=0x72,priority=3,send_flow_rem,tcp,actions=drop"'
check "ovs-ofctl monitor sees OFPT_FLOW_REMOVED for the hard timeout" \
	wait_until 10 grep -q "OFPT_FLOW_REMOVED.*reason=hard cookie:0x71" "$RUN/monitor2.log"
ovs-ofctl -O OpenFlow13 del-flows br0 "tcp"
check "... and for the deleted one" \
	wait_until 10 grep -q "OFPT_FLOW_REMOVED.*reason=delete cookie:0x72" "$RUN/monitor2.log"
kill "$MON_PID" 2>/dev/null
grep FLOW_REMOVED "$RUN/monitor2.log"

# The controller goes away: secure keeps the rules and sends misses nowhere.
stop_controller
check "the controller's loss is noticed (logged)" wait_until 10 disconnected 1
ovs-ofctl del-flows br0
check "secure, no controller, no rules: nothing forwards (no fallback)" no_ping "$A" 10.96.0.2
sleep 4
check "... still nothing after 3 probe intervals (secure never fails open)" \
	no_ping "$A" 10.96.0.2
start_controller
check "the controller is back: vireo-dp reconnects within its backoff" \
	wait_until 20 connected 2
check "ping through the controller again" eventually 20 ping_ok "$A" 10.96.0.2 5 0.1

# Standalone: without a controller for 3 probe intervals, a MAC learning switch.
write_cfg standalone
kill -HUP "$DP_PID"
check "reload as standalone (logged)" wait_until 20 grep -q "reloaded" "$RUN/dp.log"
check "... the controller's connection is kept (only fail_mode changed)" \
	eval '! disconnected 2 && ping_ok "$A" 10.96.0.2 3 0.1'
stop_controller
check "the controller's loss is noticed again" wait_until 10 disconnected 2
ovs-ofctl del-flows br0
check "standalone fails open after 3 probe intervals (logged)" \
	wait_until 15 grep -q "failing open" "$RUN/dp.log"
check "... and forwards as a MAC learning switch with no rules" \
	eventually 15 ping_ok "$A" 10.96.0.2 5 0.1
start_controller
check "the controller returns: fail-open ends" \
	wait_until 20 grep -q "leaving fail-open" "$RUN/dp.log"
check "ping through the controller once more" eventually 20 ping_ok "$A" 10.96.0.2 5 0.1

# Table misses as Open vSwitch sends them: to an OpenFlow 1.0 controller with no rule at
# all (reason no_match, 0); from 1.3 only through a table-miss rule (priority 0, match all,
# output:CONTROLLER: no_match too), whose packet_ins a 1.0 controller gets as actions (1).
# tests/openflow/miss_ctl.py is the controller, one connection a round, whichever $CTRL
# the rest of the script ran: once, in the testcontroller run.
if [ "$CTRL" != osken ]; then
stop_controller
miss_round() { # miss_round VERSION table-miss|none: prints the packet_in reasons
	local n pid
	n=$(grep -c "controller tcp:127.0.0.1:$CPORT connected" "$RUN/dp.log")
	python3 "$(dirname "$0")/miss_ctl.py" "$CPORT" "$1" 5 "$2" >"$RUN/miss.log" 2>&1 &
	pid=$!
	wait_until 20 connected $((n + 1))
	sleep 1
	ip netns exec "$A" ping -q -c 3 -i 0.3 -W 1 10.96.0.77 >/dev/null 2>&1
	wait "$pid"
	grep "^reasons:" "$RUN/miss.log" || cat "$RUN/miss.log"
}
out=$(miss_round 4 none)
check "OpenFlow 1.3, no table-miss rule: a miss is dropped, no packet_in ($out)" \
	test "$out" = "reasons: "
out=$(miss_round 4 table-miss)
check "OpenFlow 1.3, a table-miss rule: packet_ins of reason no_match ($out)" \
	grep -Eq "^reasons:( 0)+$" <<<"$out"
out=$(miss_round 1 none)
check "OpenFlow 1.0, no rule: packet_ins of reason no_match ($out)" \
	grep -Eq "^reasons:( 0)+$" <<<"$out"
out=$(miss_round 1 table-miss)
check "OpenFlow 1.0, a table-miss rule: packet_ins of reason action ($out)" \
	grep -Eq "^reasons:( 1)+$" <<<"$out"
fi
check "vireo-dp still runs" kill -0 "$DP_PID"
stop_dp
if [ "$n_fail" -gt 0 ]; then
	echo "--- vireo-dp's log"; cat "$RUN/dp.log"
	echo "--- the controller's log"; tail -50 "$RUN/tc.log"
fi
finish
