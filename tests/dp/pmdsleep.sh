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

# pmd_cpu: percent of one CPU the PMD thread used over 2 s (its utime + stime in ticks).
pmd_cpu() {
	local t s0 s1 hz
	hz=$(getconf CLK_TCK)
	t=$(grep -l '^pmd-c' /proc/"$DP_PID"/task/*/comm | head -1)
	t=${t%/comm}
	s0=$(awk '{ print $14 + $15 }' "$t/stat")
	sleep 2
	s1=$(awk '{ print $14 + $15 }' "$t/stat")
	echo $(((s1 - s0) * 100 / (2 * hz)))
}
# cpu_at_most PCT / cpu_at_least PCT: the PMD's share, said when it fails.
cpu_at_most() { local c; c=$(pmd_cpu); FAIL_WHY="PMD used $c% of its core"; [ "$c" -le "$1" ]; }
cpu_at_least() { local c; c=$(pmd_cpu); FAIL_WHY="PMD used $c% of its core"; [ "$c" -ge "$1" ]; }
# max_sleep_of CORE: pmd-sleep-show's "max sleep" of that core's PMD.
max_sleep_of() { ctl dpif-netdev/pmd-sleep-show | awk -v c="core_id $1:" 'index($0, c) { f = 1 }
	f && /max sleep:/ { print $3; exit }'; }
sleep_iterations() { ctl dpif-netdev/pmd-perf-show | awk '/- sleep iterations:/ { print $4 }'; }

write_cfg() {
	{
		other_config
		[ -n "$1" ] && echo "  $1"
		cat <<EOC
bridges:
  $BR:
    ports:
      p1: {type: dpdk, options: {dpdk-devargs: "net_af_packet1,iface=v-$A"}}
      p2: {type: dpdk, options: {dpdk-devargs: "net_af_packet2,iface=v-$B"}}
EOC
	} >"$RUN/dp.yaml"
}
reload() { write_cfg "$1"; kill -HUP "$DP_PID"; }

write_cfg ""
check "vireo-dp starts, one PMD on core 1, no sleep key" start_dp "$RUN/dp.yaml"
check "the log says load based sleeps are disabled (the default)" \
	grep -q "PMD load based sleeps are disabled." "$RUN/dp.log"
check "ping through the bridge" ping_ok "$A" 10.92.0.2 5 0.1
check "without sleeping an idle PMD keeps polling its core (at least 40%)" cpu_at_least 40
check "pmd-sleep-show: max sleep 0 us" eval 'test "$(max_sleep_of 1)" = 0'

reload 'pmd-maxsleep: "1000"'
check "pmd-maxsleep=1000: logged as Open vSwitch logs it" \
	wait_until 10 eval 'grep -q "PMD max sleep request is 1000 usecs." "$RUN/dp.log" &&
	grep -q "PMD load based sleeps are enabled." "$RUN/dp.log"'
check "pmd-sleep-show: max sleep 1000 us on core 1" eval 'test "$(max_sleep_of 1)" = 1000'
check "an idle PMD that may sleep leaves its core (at most 20%)" cpu_at_most 20
check "pmd-perf-show counts sleep iterations" eval 'test "$(sleep_iterations)" -gt 0'
check "ping through the bridge while the PMD sleeps" ping_ok "$A" 10.92.0.2 10 0.05
check "a flood ping of 2000 loses nothing" \
	eval 'ip netns exec "$A" ping -q -f -c 2000 -W 1 10.92.0.2 | grep -q " 0% packet loss"'

reload 'pmd-sleep-max: "20000,1:300"'
check "pmd-sleep-max wins: default capped at 10000 (said), core 1 at 300" \
	wait_until 10 eval 'grep -q "pmd-sleep-max 20000 is above 10000: using 10000" "$RUN/dp.log" &&
	grep -q "PMD max sleep request for core 1 is 300 usecs." "$RUN/dp.log" &&
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

reload ""
check "without the keys: disabled again, the PMD polls its core again" \
	eval 'wait_until 10 test "$(max_sleep_of 1)" = 0 && cpu_at_least 40'
stop_dp
rm -f "$CTL"

check "ovsdb-server and vireo-dp --ovsdb start" ovsdb_dp_start
check "a bridge of two ports with ovs-vsctl" vsctl set Open_vSwitch . \
	other_config:pmd-cpu-mask=0x2 -- add-br $BR -- set bridge $BR datapath_type=netdev \
	-- add-port $BR p1 -- set Interface p1 type=dpdk \
	options:dpdk-devargs="net_af_packet1,iface=v-$A" \
	-- add-port $BR p2 -- set Interface p2 type=dpdk \
	options:dpdk-devargs="net_af_packet2,iface=v-$B"
check "ovs-vsctl set other_config:pmd-maxsleep=500: in force, the PMD leaves its core" \
	eval 'vsctl set Open_vSwitch . other_config:pmd-maxsleep=500 &&
	wait_until 10 test "$(max_sleep_of 1)" = 500 && cpu_at_most 20'
check "ping through the bridge" ping_ok "$A" 10.92.0.2 5 0.1
check "pmd-maxsleep=-1 is ignored with a reason in the log; 500 kept" \
	eval 'vsctl set Open_vSwitch . other_config:pmd-maxsleep=-1 &&
	wait_until 10 grep -q "other_config:pmd-maxsleep=-1 ignored.*keeping 500" "$RUN/dp.log" &&
	test "$(max_sleep_of 1)" = 500'
kill -TERM "$DP_PID"
wait "$DP_PID"
finish
