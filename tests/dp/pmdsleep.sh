#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Load-based PMD sleeping (Open_vSwitch other_config:pmd-maxsleep, and pmd-sleep-max with
# per-core values): an idle PMD that may sleep leaves most of its core free, one that may not
# keeps polling it; traffic still flows while it sleeps; the log says what is in force (Open
# vSwitch's lines), values above 10000 us are capped and said so, a bad value is refused
# naming the key and the setting in force stays.  From YAML (SIGHUP) and ovs-vsctl.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../ovsdb/lib-ovsdb.sh"
BR=sl$$
A=sl$$a B=sl$$b
netns_add "$A" 10.92.0.1 && netns_add "$B" 10.92.0.2 || { fail "netns"; finish; }

# pmd_cpu: percent of 2 s in which the PMD thread wanted its core: running or waiting for
# it (schedstat's run and run-queue times), so that other threads on the core do not
# change the figure: a polling PMD always wants it, a sleeping one seldom.
pmd_cpu() {
	local t a b
	t=$(grep -l '^pmd-c' /proc/"$DP_PID"/task/*/comm | head -1)
	t=${t%/comm}
	a=$(awk '{ printf "%.0f\n", $1 + $2 }' "$t/schedstat")
	sleep 2
	b=$(awk '{ printf "%.0f\n", $1 + $2 }' "$t/schedstat")
	echo $(((b - a) / 20000000))
}
# cpu_at_most PCT / cpu_at_least PCT: the PMD's share, said when it fails.
cpu_at_most() { local c; c=$(pmd_cpu); FAIL_WHY="PMD used $c% of its core"; [ "$c" -le "$1" ]; }
cpu_at_least() { local c; c=$(pmd_cpu); FAIL_WHY="PMD used $c% of its core"; [ "$c" -ge "$1" ]; }
# max_sleep_of CORE: pmd-sleep-show's "max sleep" of that core's PMD.
max_sleep_of() { ctl dpif-netdev/pmd-sleep-show | awk -v c="core_id $1:" 'index($0, c) { f = 1 }
	f && /max sleep:/ { print $3; exit }'; }
sleep_iterations() { ctl dpif-netdev/pmd-perf-show | awk '/- sleep iterations:/ { print $4 }'; }
# avg_sleep: pmd-perf-show's microseconds a sleep, on average, since the last clear.
avg_sleep() { ctl dpif-netdev/pmd-perf-show | awk '/Sleep time \(us\):/ && match($0, /\( *[0-9]+/) {
	print int(substr($0, RSTART + 1, RLENGTH - 1)) }'; }

write_cfg() {
	{
		other_config
		for kv in "$@"; do echo "  $kv"; done
		cat <<EOC
bridges:
  $BR:
    ports:
      p1: {type: dpdk, options: {dpdk-devargs: "net_af_packet1,iface=v-$A"}}
      p2: {type: dpdk, options: {dpdk-devargs: "net_af_packet2,iface=v-$B"}}
EOC
	} >"$RUN/dp.yaml"
}
reload() { write_cfg "$@"; kill -HUP "$DP_PID"; }

write_cfg
check "vireo-dp starts, one PMD on core 1, no sleep key" start_dp "$RUN/dp.yaml"
check "the log says load based sleeps are disabled (the default)" \
	grep -q "PMD load based sleeps are disabled." "$RUN/dp.log"
check "ping through the bridge" ping_ok "$A" 10.92.0.2 5 0.1
check "without sleeping an idle PMD keeps wanting its core (at least 90% of the time)" \
	cpu_at_least 90
check "pmd-sleep-show: max sleep 0 us" eval 'test "$(max_sleep_of 1)" = 0'

reload 'pmd-maxsleep: "1000"'
check "pmd-maxsleep=1000: logged as Open vSwitch logs it" \
	wait_until 10 eval 'grep -q "PMD max sleep request is 1000 usecs." "$RUN/dp.log" &&
	grep -q "PMD load based sleeps are enabled." "$RUN/dp.log"'
check "pmd-sleep-show: max sleep 1000 us on core 1" eval 'test "$(max_sleep_of 1)" = 1000'
check "an idle PMD that may sleep leaves its core (wants it at most 20% of the time)" \
	cpu_at_most 20
check "pmd-perf-show counts sleep iterations" eval 'test "$(sleep_iterations)" -gt 0'
check "ping through the bridge while the PMD sleeps" ping_ok "$A" 10.92.0.2 10 0.05
check "a flood ping of 2000 loses nothing" \
	eval 'ip netns exec "$A" ping -q -f -c 2000 -W 1 10.92.0.2 | grep -q " 0% packet loss"'
# With 64 requests in flight a poll after a sleep finds half a burst or more, which ends the
# sleeping: the sleeps stay short (tens of us).  A PMD that slept its maximum whatever the load would
# average 10000 us here.
reload 'pmd-maxsleep: "10000"'
check "pmd-maxsleep=10000 in force" wait_until 10 eval 'test "$(max_sleep_of 1)" = 10000'
ctl dpif-netdev/pmd-stats-clear >/dev/null
check "under a flood of 64 requests in flight the sleeps stay short (under 2000 us)" \
	eval 'ip netns exec "$A" ping -q -f -l 64 -c 20000 -W 1 10.92.0.2 >/dev/null;
	a=$(avg_sleep); echo "flood: $a us a sleep"; FAIL_WHY="$a us a sleep";
	test -n "$a" && test "$a" -lt 2000'
ctl dpif-netdev/pmd-stats-clear >/dev/null
sleep 3
# 10 us longer a pass: after 3 s about 7700 us a sleep, 3900 on average.
check "idle again, the sleeps grow towards the maximum (over 1000 us on average)" \
	eval 'a=$(avg_sleep); echo "idle: $a us a sleep"; FAIL_WHY="$a us a sleep";
	test -n "$a" && test "$a" -gt 1000'

# packet_outs are PMD 0's to send: 1000 of them back to back (the queue to PMD 0 holds
# 256) reach p2's namespace while the PMD sleeps up to 10 ms between looks, none dropped.
rx_b() { ip netns exec "$B" cat /sys/class/net/eth0/statistics/rx_packets; }
pkt_outs() { # pkt_outs N: OpenFlow 1.0 packet_outs to output:2 on the bridge's socket, then a barrier
	python3 - "$RUN/$BR.mgmt" "$1" <<'EOP'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(20)
s.connect(sys.argv[1])
s.sendall(struct.pack("!BBHI", 1, 0, 8, 1))                       # hello, OpenFlow 1.0
frame = bytes.fromhex("ffffffffffff020000009201" "88b5") + bytes(46)  # a local experimental type
act = struct.pack("!HHHH", 0, 8, 2, 0)                            # output:2
body = struct.pack("!IHH", 0xFFFFFFFF, 0xFFFD, len(act)) + act + frame
po = struct.pack("!BBHI", 1, 13, 8 + len(body), 2) + body          # packet_out
s.sendall(po * int(sys.argv[2]) + struct.pack("!BBHI", 1, 18, 8, 3))  # then a barrier
buf = b""
while True:
    while len(buf) < 8:
        d = s.recv(65536)
        if not d:
            sys.exit("connection closed")
        buf += d
    _, t, n, _ = struct.unpack("!BBHI", buf[:8])
    while len(buf) < n:
        buf += s.recv(65536)
    if t == 1:
        sys.exit("error reply: " + buf[8:n].hex())
    if t == 19:
        break
    buf = buf[n:]
EOP
}
before=$(rx_b)
sleep 2
check "1000 packet_outs sent to a sleeping PMD: the barrier is answered" pkt_outs 1000
outs_arrived() {
	local d
	wait_until 5 eval 'test $(($(rx_b) - before)) -ge 1000'
	d=$(ctl openflow/show | sed -n 's/^packet_out dropped (queue full or no buffer): //p')
	FAIL_WHY="$(($(rx_b) - before)) arrived, $d dropped"
	[ $(($(rx_b) - before)) -ge 1000 ] && [ "$d" = 0 ]
}
check "all 1000 reach p2's namespace, none dropped" outs_arrived

reload 'pmd-maxsleep: "50"' 'pmd-sleep-max: "20000,1:300"'
check "pmd-sleep-max wins over pmd-maxsleep (said): default capped at 10000 (said), core 1 at 300" \
	wait_until 10 eval 'grep -q "pmd-sleep-max 20000 is above 10000: using 10000" "$RUN/dp.log" &&
	grep -q "pmd-maxsleep=50 is not used: pmd-sleep-max, its successor, is set" "$RUN/dp.log" &&
	grep -q "PMD thread on numa_id: [0-9]*, core id:  1, max sleep:  300 us." "$RUN/dp.log" &&
	test "$(max_sleep_of 1)" = 300'
check "pmd-sleep-show: the default is 10000 us" \
	eval 'ctl dpif-netdev/pmd-sleep-show | grep -q "Default max sleep: 10000 us"'

reload 'pmd-maxsleep: "lots"'
check "a bad pmd-maxsleep is refused naming the key; 300 us stays" \
	wait_until 10 eval 'grep -q "other_config:pmd-maxsleep.*lots" "$RUN/dp.log" &&
	test "$(max_sleep_of 1)" = 300'
reload 'pmd-sleep-max: "1:-5"'
check "a bad pmd-sleep-max is refused naming the key; 300 us stays" \
	wait_until 10 eval 'grep -q "other_config:pmd-sleep-max.*1:-5" "$RUN/dp.log" &&
	test "$(max_sleep_of 1)" = 300'

reload
check "without the keys: disabled again, the PMD polls its core again" \
	eval 'wait_until 10 eval "test \"\$(max_sleep_of 1)\" = 0" && cpu_at_least 90'
stop_dp
rm -f "$CTL"

check "ovsdb-server and vireo-dp --ovsdb start" ovsdb_dp_start
check "a bridge of two ports with ovs-vsctl" vsctl_two_afpacket "$BR" 0x2 "$A" "$B"
check "ovs-vsctl set other_config:pmd-maxsleep=500: in force, the PMD leaves its core" \
	eval 'vsctl set Open_vSwitch . other_config:pmd-maxsleep=500 &&
	wait_until 10 eval "test \"\$(max_sleep_of 1)\" = 500" && cpu_at_most 20'
check "ping through the bridge" ping_ok "$A" 10.92.0.2 5 0.1
check "pmd-maxsleep=-1 is ignored with a reason in the log; 500 kept" \
	eval 'vsctl set Open_vSwitch . other_config:pmd-maxsleep=-1 &&
	wait_until 10 grep -q "other_config:pmd-maxsleep=-1 ignored.*keeping 500" "$RUN/dp.log" &&
	test "$(max_sleep_of 1)" = 500'
kill -TERM "$DP_PID"
wait "$DP_PID"
finish
