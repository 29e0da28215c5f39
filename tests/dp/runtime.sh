#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Ports added and deleted at run time, by command and by SIGHUP reload, while other ports
# carry traffic: no packet of that traffic may be lost.
. "$(dirname "$0")/lib.sh"

for i in 1 2 3; do
	netns_add "rt$i" "10.97.0.$i" || fail "netns rt$i"
done
write_config() {
	cat >"$RUN/dp.yaml" <<EOC
$(other_config)
bridges:
  br0:
    ports:
      p1: {type: dpdk, options: {dpdk-devargs: "net_af_packet1,iface=v-rt1"}}
      p2: {type: dpdk, options: {dpdk-devargs: "net_af_packet2,iface=v-rt2"}}
$1
EOC
}
write_config ""
check "vireo-dp starts" start_dp "$RUN/dp.yaml"
check "warm-up ping" ping_ok rt1 10.97.0.2 3 0.1

# 600 pings at 10 ms while the port table changes underneath
ip netns exec rt1 ping -q -c 600 -i 0.01 -W 1 10.97.0.2 >"$RUN/ping.out" 2>&1 &
PING=$!
sleep 0.5
out=$(ctl add-port br0 p3 type=dpdk options:dpdk-devargs=net_af_packet3,iface=v-rt3 2>&1)
check "add-port p3 under traffic ($out)" test -z "$out"
check "the new port forwards: rt3 -> rt1" ping_ok rt3 10.97.0.1 5 0.1
for k in 1 2 3; do
	ctl add-port br0 "vhu$k" type=dpdkvhostuser >/dev/null 2>&1 || fail "add-port vhu$k"
done
check "vhost-user ports added at run time" test -S "$RUN/vhu3"
for k in 1 2 3; do
	ctl del-port br0 "vhu$k" >/dev/null 2>&1 || fail "del-port vhu$k"
done
check "deleted vhost-user ports remove their sockets" test ! -e "$RUN/vhu3"
ctl del-port br0 p3 >/dev/null
check "del-port p3: rt3 is cut off" bash -c "! ip netns exec rt3 ping -q -c 3 -i 0.2 -W 1 10.97.0.1 >/dev/null"
ctl add-port br0 p3 type=dpdk options:dpdk-devargs=net_af_packet3,iface=v-rt3 >/dev/null
check "re-added p3 forwards again" ping_ok rt3 10.97.0.1 5 0.1

# SIGHUP: a config file that adds a port, then one that removes it
write_config "      vhx: {type: dpdkvhostuser}"
kill -HUP "$DP_PID"
for _ in $(seq 50); do [ -S "$RUN/vhx" ] && break; sleep 0.1; done
check "SIGHUP reload added port vhx" test -S "$RUN/vhx"
write_config "      vhx: {type: dpdkvhostuser, colour: blue}"
kill -HUP "$DP_PID"
sleep 1
check "a bad reload is refused and the running config kept" \
	bash -c "grep -q 'reload of .* refused' '$RUN/dp.log' && test -S '$RUN/vhx'"
# SIGHUP with the file gone (moved away by an admin or a package upgrade)
mv "$RUN/dp.yaml" "$RUN/dp.yaml.away"
kill -HUP "$DP_PID"
check "SIGHUP with the file gone: the reload is refused, saying it cannot open the file" \
	wait_until 10 grep -q "reload of $RUN/dp.yaml refused, running configuration kept: .*cannot open" "$RUN/dp.log"
check "... vireo-dp keeps running with its configuration" \
	eval 'kill -0 "$DP_PID" && ctl show | grep -q "port vhx:"'
rm -f "$RUN/dp.yaml.away"
write_config ""
kill -HUP "$DP_PID"
for _ in $(seq 50); do [ -e "$RUN/vhx" ] || break; sleep 0.1; done
check "SIGHUP reload removed port vhx" test ! -e "$RUN/vhx"
show=$(ctl show)
check "a reload applies the file as it is: p3, added by command, is gone" \
	bash -c "! grep -q 'port p3:' <<<'$show'"

wait "$PING"
loss=$(grep -o '[0-9.]*% packet loss' "$RUN/ping.out")
check "traffic between p1 and p2 lost nothing during all changes ($loss)" \
	grep -q " 0% packet loss" "$RUN/ping.out"
finish
