#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# A pmd-cpu-mask change moves only the PMD threads whose cores change: the PMD of a core
# that stays keeps its thread (same thread id) through a PMD added on another core and
# removed again; the new one appears in pmd-rxq-show and goes; two namespaces ping through
# af_packet ports after each change.  Cores this machine does not have are ignored with a
# warning, as Open vSwitch ignores them, masks may be wider than 64 bits, and a mask left
# with no core keeps the PMDs where they are: the rest of the configuration still applies.
# Cores outside vireo-dp's CPU affinity (taskset) are ignored the same way.
. "$(dirname "$0")/lib.sh"

[ "$(nproc)" -ge 2 ] || skip_all "needs 2 cores"
A=pm$$a B=pm$$b
netns_add "$A" 10.96.0.1 && netns_add "$B" 10.96.0.2 || { fail "netns"; finish; }

conf() { # conf MASK [EXTRA-PORT-LINE]
	other_config | sed "s/pmd-cpu-mask: .*/pmd-cpu-mask: \"$1\"/"
	cat <<EOC
bridges:
  br0:
    ports:
      pa: {type: dpdk, options: {dpdk-devargs: "net_af_packet1,iface=v-$A"}}
      pb: {type: dpdk, options: {dpdk-devargs: "net_af_packet2,iface=v-$B"}}
${2:-}
EOC
}
# tid CORE: the thread id of the PMD on CORE ("" when there is none).
tid() { ps -L -o tid=,comm= -p "$DP_PID" | awk -v n="pmd-c$(printf %02u "$1")" '$2 == n { print $1 }'; }
# reload MASK: the config with MASK, SIGHUP, wait until the PMD threads moved (Nth time).
n_moves=0
reload() {
	conf "$1" >"$RUN/dp.yaml"
	n_moves=$((n_moves + 1))
	kill -HUP "$DP_PID"
	wait_until 30 eval '[ "$(grep -c "PMD threads: " "$RUN/dp.log")" -ge $n_moves ]'
}

conf 0x2 >"$RUN/dp.yaml"
check "vireo-dp starts with one PMD on core 1" start_dp "$RUN/dp.yaml"
t1=$(tid 1)
check "the PMD thread of core 1 exists ($t1)" test -n "$t1"
check "A pings B" ping_ok "$A" 10.96.0.2 5 0.05

check "pmd-cpu-mask 0x3: reloaded" reload 0x3
check "... core 1's PMD kept running, one started" \
	grep -q "PMD threads: 1 kept running, 0 stopped, 1 started" "$RUN/dp.log"
check "... core 1's PMD is the same thread ($t1 -> $(tid 1))" test "$(tid 1)" = "$t1"
check "... a PMD thread on core 0 ($(tid 0)), shown by pmd-rxq-show" \
	eval 'test -n "$(tid 0)" && ctl pmd-rxq-show | grep -q "core_id 0"'
check "... A pings B" ping_ok "$A" 10.96.0.2 5 0.05

check "pmd-cpu-mask 0x2 again: reloaded" reload 0x2
check "... core 1's PMD kept running, core 0's stopped" \
	grep -q "PMD threads: 1 kept running, 1 stopped, 0 started" "$RUN/dp.log"
check "... core 1's PMD is still the same thread ($(tid 1))" test "$(tid 1)" = "$t1"
check "... no PMD thread on core 0 any more" \
	eval 'test -z "$(tid 0)" && ! ctl pmd-rxq-show | grep -q "core_id 0"'
check "... A pings B" ping_ok "$A" 10.96.0.2 5 0.05
# reload_only MASK [EXTRA-PORT-LINE]: the config, SIGHUP, wait until it was reloaded.
reload_only() {
	local before
	before=$(grep -c "reloaded " "$RUN/dp.log")
	conf "$@" >"$RUN/dp.yaml"
	kill -HUP "$DP_PID"
	wait_until 30 eval '[ "$(grep -c "reloaded " "$RUN/dp.log")" -gt $before ]'
}
check "pmd-cpu-mask 0x10 (no core 4 here) and a new port pn: reloaded" \
	reload_only 0x10 "      pn: {type: dpdk, options: {dpdk-devargs: \"net_null0,no-rx=1\"}}"
check "... core 4 said ignored, the PMD kept on core 1 ($(tid 1))" \
	eval 'grep -q "pmd-cpu-mask .0x10.: core 4 not on this machine" "$RUN/dp.log" &&
	grep -q "PMD thread(s) keep running" "$RUN/dp.log" && test "$(tid 1)" = "$t1"'
check "... the new port was added" eval 'ctl show | grep -q "port pn: "'
check "... A pings B" ping_ok "$A" 10.96.0.2 5 0.05
check "pn deleted again (the mask unchanged): reloaded" reload_only 0x10
check "... pn is gone" eval '! ctl show | grep -q "port pn: "'
check "pmd-cpu-mask 0x13, 80 bits wide with core 79: reloaded" \
	reload_only 0x80000000000000000013
check "... PMDs on cores 0 and 1 (core 1's kept), cores 4 and 79 said ignored" \
	eval 'grep -q "PMD threads: 1 kept running, 0 stopped, 1 started" "$RUN/dp.log" &&
	test "$(tid 1)" = "$t1" && test -n "$(tid 0)" &&
	grep -q "cores 4,79 not on this machine" "$RUN/dp.log"'
check "... A pings B" ping_ok "$A" 10.96.0.2 5 0.05
check "SIGTERM: vireo-dp exits 0" stop_dp

# A core the process may not run on (outside its CPU affinity, or offline) is left out as
# one the machine lacks: under taskset -c 0, pmd-cpu-mask 0x2 names no usable core, and
# vireo-dp runs its PMD on the default core instead of failing to start one on core 1.
printf '#!/bin/sh\nexec taskset -c 0 "%s" "$@"\n' "$VIREO_DP" >"$RUN/dp-cpu0"
chmod +x "$RUN/dp-cpu0"
conf 0x2 >"$RUN/dp.yaml"
check "under taskset -c 0 with pmd-cpu-mask 0x2: vireo-dp starts" \
	eval 'VIREO_DP=$RUN/dp-cpu0 start_dp "$RUN/dp.yaml"'
check "... core 1 said not available, the PMD on the default core 0 ($(tid 0))" \
	eval 'grep -q "pmd-cpu-mask .0x2.: core 1 not available" "$RUN/dp.log" &&
	grep -q "PMD threads on the default cores (0x1) instead" "$RUN/dp.log" &&
	test -n "$(tid 0)" && test -z "$(tid 1)"'
check "... A pings B" ping_ok "$A" 10.96.0.2 5 0.05
check "pmd-cpu-mask 0x3 under taskset -c 0: core 1 left out, core 0's PMD kept" \
	eval 'reload_only 0x3 && grep -c "core 1 not available" "$RUN/dp.log" | grep -q 2 &&
	test -n "$(tid 0)" && test -z "$(tid 1)"'
check "SIGTERM: vireo-dp exits 0" stop_dp
finish
