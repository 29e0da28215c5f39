#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# pmd-cpu-mask changes while patch ports carry traffic: what a net_null port receives goes
# out of br0's patch port, which hands every burst to br1 on the sending PMD (dp_patch_deliver finds that
# PMD by its index).  The mask goes round 0x2, 0x3, 0x1, 0x3 so that PMDs are kept, stopped
# and started at every index; vireo-dp keeps running (in the ASan build: no report), and the
# patch port keeps delivering.  Counters survive PMDs that stop: coverage/show's totals
# never go down, and pmd-perf-show measures each PMD from its own start or its own
# pmd-stats-clear.
. "$(dirname "$0")/lib.sh"

[ "$(nproc)" -ge 2 ] || skip_all "needs 2 cores"
ROUNDS=${VIREO_PATCHMASK_ROUNDS:-16}

conf() { # conf MASK
	cat <<EOC
other_config:
  dpdk-lcore-mask: "0x1"
  pmd-cpu-mask: "$1"
  dpdk-extra: "--file-prefix=$PREFIX --no-pci -m 512"
  openflow-rundir: $RUN
bridges:
  br0:
    ports:
      n0: {type: dpdk, options: {dpdk-devargs: net_null0}}
      p0: {type: patch, options: {peer: p1}}
    flows:
      - "in_port=n0,actions=output:p0"
  br1:
    ports:
      p1: {type: patch, options: {peer: p0}}
      n1: {type: dpdk, options: {dpdk-devargs: net_null1}}
    flows:
      - "in_port=p1,actions=output:n1"
EOC
}
# p1_rx: what br1's patch port received.
p1_rx() { ctl dump-ports br1 p1 | sed -n 's/.*rx pkts=\([0-9]*\),.*/\1/p'; }
# cov_rx: coverage/show's total of datapath_rx_packets (0 before the first sample).
cov_rx() { ctl coverage/show | awk '$1 == "datapath_rx_packets" { t = $NF } END { print t + 0 }'; }
# duration CORE: pmd-perf-show's measurement duration of the PMD on CORE, in whole seconds.
duration() { ctl dpif-netdev/pmd-perf-show | awk -v c="core_id $1:" '
	/^Measurement duration:/ { d = $3 } index($0, c) { printf "%d\n", d; exit }'; }

conf 0x2 >"$RUN/dp.yaml"
check "vireo-dp starts: net_null into br0, patched to br1" start_dp "$RUN/dp.yaml"
masks=(0x3 0x1 0x3 0x2)
cov_last=0 cov_back=
for ((i = 1; i <= ROUNDS; i++)); do
	conf "${masks[$(((i - 1) % 4))]}" >"$RUN/dp.yaml"
	kill -HUP "$DP_PID"
	wait_until 30 eval 'test "$(grep -c "PMD threads: " "$RUN/dp.log")" -ge $i' || break
	sleep 1.1	# a coverage sample after the change
	cov=$(cov_rx)
	[ "$cov" -ge "$cov_last" ] || cov_back="$cov_back $cov_last->$cov"
	cov_last=$cov
done
check "$ROUNDS pmd-cpu-mask changes applied" \
	test "$(grep -c "PMD threads: " "$RUN/dp.log")" -ge "$ROUNDS"
check "vireo-dp is still running" kill -0 "$DP_PID"
check "no sanitizer report" eval '! grep -q "Sanitizer" "$RUN/dp.log"'
r0=$(p1_rx)
sleep 1
check "the patch port still delivers ($r0 -> $(p1_rx) packets)" eval 'test "$(p1_rx)" -gt "$r0"'
check "coverage/show: datapath_rx_packets never went down (last $cov_last)" \
	eval 'test -z "$cov_back" && test "$cov_last" -gt 0'
[ -n "$cov_back" ] && echo "went down:$cov_back"

# The mask ends at 0x2: a PMD on core 0 started now measures from now.
sleep 2
conf 0x3 >"$RUN/dp.yaml"
kill -HUP "$DP_PID"
wait_until 30 eval 'test "$(grep -c "PMD threads: " "$RUN/dp.log")" -gt $ROUNDS'
sleep 1
check "pmd-perf-show: core 0's new PMD measured from its start ($(duration 0) s, core 1 $(duration 1) s)" \
	eval 'test "$(duration 0)" -lt 3 && test "$(duration 1)" -ge 3'
sleep 2
ctl dpif-netdev/pmd-stats-clear -pmd 1 >/dev/null
sleep 1
check "pmd-stats-clear -pmd 1 restarts core 1's measurement only (core 0 $(duration 0) s, core 1 $(duration 1) s)" \
	eval 'test "$(duration 1)" -lt "$(duration 0)"'
check "SIGTERM: vireo-dp exits 0" stop_dp
finish
