#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# pmd-rxq-show's "pmd usage", as Open vSwitch computes it: a queue's processing cycles over
# all the cycles (busy and idle) of its PMD in the last measurement interval (10 s).  Two
# af_packet ports carrying a slow ping on one PMD are a few percent each, not shares of
# 100 %; a net_null port, which receives as fast as it is polled, is most of its PMD.
# pmd-rxq-rebalance places by the last full interval and leaves the loads as they were:
# called twice in a row it does not shrink n0's figure to the moments between the calls.
. "$(dirname "$0")/lib.sh"

A=ru$$a B=ru$$b
netns_add "$A" 10.95.0.1 && netns_add "$B" 10.95.0.2 || { fail "netns"; finish; }
conf() { # conf [EXTRA-BRIDGE-LINES]
	other_config
	cat <<EOC
bridges:
  br0:
    ports:
      pa: {type: dpdk, options: {dpdk-devargs: "net_af_packet1,iface=v-$A"}}
      pb: {type: dpdk, options: {dpdk-devargs: "net_af_packet2,iface=v-$B"}}
${1:-}
EOC
}
# usage PORT: its "pmd usage" figure ("NOT AVAIL" before the first interval).
usage() { ctl pmd-rxq-show | awk -v p="$1" '$1 == "port:" && $2 == p {
	sub(/.*pmd usage: */, ""); sub(/ *%$/, ""); print; exit }'; }
# measured PORT...: every PORT has a figure.
measured() { for p in "$@"; do [[ "$(usage "$p")" =~ ^\ *[0-9]+$ ]] || return 1; done; }

conf >"$RUN/dp.yaml"
check "vireo-dp starts: two af_packet ports on the PMD of core 1" start_dp "$RUN/dp.yaml"
ip netns exec "$A" ping -q -c 75 -i 0.2 10.95.0.2 >/dev/null 2>&1 &
PIDS+=($!)
# The first sample is taken at start-up: wait for one whole interval under the ping.
sleep 11
check "a measurement interval passes under a slow ping" wait_until 15 measured pa pb
check "a slow ping is a small part of the PMD (pa $(usage pa) %, pb $(usage pb) %)" \
	eval 'test "$(usage pa)" -le 5 && test "$(usage pb)" -le 5'

conf "  br1:
    ports:
      n0: {type: dpdk, options: {dpdk-devargs: net_null0}}" >"$RUN/dp.yaml"
kill -HUP "$DP_PID"
check "net_null port n0 added" wait_until 30 eval 'ctl show | grep -q "port n0: "'
check "after an interval, n0 is most of its PMD ($(usage n0) %)" \
	wait_until 25 eval 'measured n0 && test "$(usage n0)" -ge 40'
u0=$(usage n0)
ctl pmd-rxq-rebalance >/dev/null && ctl pmd-rxq-rebalance >/dev/null
u1=$(usage n0)
check "pmd-rxq-rebalance twice: n0's usage stays that of the interval ($u0 % -> $u1 %)" \
	test "$((u1 * 10))" -ge "$((u0 * 8))"
check "SIGTERM: vireo-dp exits 0" stop_dp
finish
