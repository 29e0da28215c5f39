#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# A port whose configuration changes is changed in place when its type can (an MTU that
# fits the packet pool it has: the device keeps running, traffic is not interrupted) and
# closed and opened again otherwise (a new ring size): both through SIGHUP reloads.
. "$(dirname "$0")/lib.sh"

netns_add rc1 10.95.0.1 || fail "netns rc1"
netns_add rc2 10.95.0.2 || fail "netns rc2"
write_config() { # write_config P1-EXTRA
	cat >"$RUN/dp.yaml" <<EOC
$(other_config)
bridges:
  br0:
    ports:
      p1: {type: dpdk, options: {dpdk-devargs: "net_af_packet1,iface=v-rc1"$1}}
      p2: {type: dpdk, options: {dpdk-devargs: "net_af_packet2,iface=v-rc2"}}
EOC
}
write_config ""
check "vireo-dp starts" start_dp "$RUN/dp.yaml"
check "warm-up ping" ping_ok rc1 10.95.0.2 3 0.1
sed -i 's/^      p1: {type: dpdk, /      p1: {type: dpdk, mtu_request: 1400, /' "$RUN/dp.yaml"
ip netns exec rc1 ping -q -c 200 -i 0.01 -W 1 10.95.0.2 >"$RUN/ping.out" 2>&1 &
PING=$!
sleep 0.5
kill -HUP "$DP_PID"
wait "$PING"
check "mtu_request changed in place (log)" \
	wait_until 5 grep -q "port p1: reconfigured in place (mtu 1400)" "$RUN/dp.log"
check "show reports mtu 1400 for p1" grep -q "port p1: ofport 1, .*mtu 1400" <(ctl show)
check "the device was not reopened" test "$(grep -c 'port p1: added' "$RUN/dp.log")" -eq 1
check "the interface has the new MTU" grep -q "mtu 1400" <(ip link show v-rc1)
check "no ping lost while the MTU changed" grep -q " 0% packet loss" "$RUN/ping.out"

write_config ", n_rxq_desc: 512"
sed -i 's/^      p1: {type: dpdk, /      p1: {type: dpdk, mtu_request: 1400, /' "$RUN/dp.yaml"
kill -HUP "$DP_PID"
check "a new ring size reopens the port" wait_until 10 \
	bash -c "test \$(grep -c 'port p1: added' '$RUN/dp.log') -eq 2"
check "it forwards after reopening" ping_ok rc1 10.95.0.2 5 0.1

sed -i 's/n_rxq_desc: 512/n_rxq_desc: 70000/' "$RUN/dp.yaml"
kill -HUP "$DP_PID"
check "a ring size out of range: the reload is refused, naming the option" wait_until 10 \
	grep -q "n_rxq_desc.*70000" "$RUN/dp.log"
check "the running configuration is kept: p1 forwards" ping_ok rc1 10.95.0.2 3 0.1
check "the other port is untouched" grep -q "port p2: ofport 2" <(ctl show)

# OpenFlow port numbers: a port reopened by a reload keeps its own (rules compiled from its
# name hold it); a deleted port's is not given to another one at once.
check "p1, reopened by the ring size change, still has ofport 1" \
	grep -q "port p1: ofport 1," <(ctl show)
cat >"$RUN/dp.yaml" <<EOC
$(other_config)
bridges:
  br0:
    ports:
      p1: {type: dpdk, mtu_request: 1400, options: {dpdk-devargs: "net_af_packet1,iface=v-rc1", n_rxq_desc: 512}}
      p3: {type: dpdkvhostuser}
EOC
kill -HUP "$DP_PID"
check "a reload deletes p2 and adds p3" wait_until 10 eval '! ctl show | grep -q "port p2:" &&
	ctl show | grep -q "port p3: ofport"'
check "p3 does not get p2's number 2, freed by the same reload ($(ctl show | grep -o 'port p3: ofport [0-9]*'))" \
	eval '! ctl show | grep -q "port p3: ofport 2,"'
check "p1 was not reopened by that reload" \
	test "$(grep -c 'port p1: added' "$RUN/dp.log")" -eq 2
finish
