#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# VLANs in MAC learning, as Open vSwitch's NORMAL: namespaces on access ports (tag 100, tag
# 200), a trunk port whose namespace sends and receives tagged frames (vlan_host.py, a raw
# socket: this kernel has no 8021q module for VLAN subinterfaces), a native-untagged port.
# Isolation (VLAN 100's broadcasts never reach VLAN 200: the receiver's counters stay put),
# access <-> trunk translation (tags pushed and popped), per-VLAN learning in fdb/show, and
# trunks changed by SIGHUP without reopening the port.
. "$(dirname "$0")/lib.sh"

# vlan_ns NS IP: a namespace whose eth0 has IP, IPv6 off (so that it sends nothing unasked).
vlan_ns() {
	netns_add "$1" "$2" || return 1
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$1" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
}
# vhost NS VID SRC DST [COUNT]: a host on VLAN VID behind NS's eth0 pings DST, tags both ways.
vhost() {
	ip netns exec "$1" python3 "$(dirname "$0")/vlan_host.py" eth0 "$2" "$3" "$4" "${5:-5}"
}
vhost2() { vhost "$@" || { echo "(retrying once)"; vhost "$@"; }; }
rx_of() { ip netns exec "$1" cat /sys/class/net/eth0/statistics/rx_packets; }
no_ping() { ! ip netns exec "$1" ping -q -c 3 -i 0.2 -W 1 "$2" >/dev/null 2>&1; }
ping2() { ping_ok "$@" || { echo "(retrying once)"; ping_ok "$@"; }; }

A=vl$$a B=vl$$b C=vl$$c TR=vl$$t N=vl$$n
vlan_ns "$A" 10.97.0.1 || { fail "netns"; finish; }                  # access, VLAN 100
vlan_ns "$B" 10.97.0.2 || { fail "netns"; finish; }                  # access, VLAN 100
vlan_ns "$C" 10.97.0.3 || { fail "netns"; finish; }                  # access, VLAN 200
ip -n "$C" addr add 10.96.0.3/24 dev eth0
vlan_ns "$TR" 10.95.0.4 || { fail "netns"; finish; }                 # trunk 100, 200
vlan_ns "$N" 10.97.0.5 || { fail "netns"; finish; }                  # native-untagged 100

port() { echo "      $1: {type: dpdk, options: {dpdk-devargs: \"net_af_packet$2,iface=v-$3\"}$4}"; }
write_cfg() {
	cat >"$RUN/dp.yaml" <<EOC
$(other_config)
bridges:
  br0:
    ports:
$(port pa 1 "$A" ", tag: 100")
$(port pb 2 "$B" ", tag: 100")
$(port pc 3 "$C" ", tag: 200")
$(port pt 4 "$TR" ", trunks: $1")
$(port pn 5 "$N" ", tag: 100, vlan_mode: native-untagged, trunks: [200]")
EOC
}
write_cfg "[100, 200]"
check "vireo-dp starts with tag/trunks/vlan_mode ports" start_dp "$RUN/dp.yaml"
check "access VLAN 100 <-> access VLAN 100: ping 0% loss" ping2 "$A" 10.97.0.2 10 0.05

# Isolation: A's ARP requests (broadcasts) for 10.97.0.3 (C: same subnet, VLAN 200) must not
# reach C; with IPv6 off nothing else is sent, so C's rx counter must not move.
before=$(rx_of "$C")
check "VLAN 100 cannot reach VLAN 200 (same IP subnet)" no_ping "$A" 10.97.0.3
after=$(rx_of "$C")
check "VLAN 200's port received none of VLAN 100's broadcasts (rx $before -> $after)" \
	test "$after" -eq "$before"
check "... and VLAN 200 cannot reach VLAN 100" no_ping "$C" 10.97.0.1

# Translation: a host on the trunk reaches access ports of each VLAN, tagged both ways.
check "trunk, VLAN 100 -> access VLAN 100: 5/5 echoes (tag popped, and pushed back)" \
	vhost2 "$TR" 100 10.97.0.4 10.97.0.1
check "trunk, VLAN 200 -> access VLAN 200: 5/5 echoes" vhost2 "$TR" 200 10.96.0.4 10.96.0.3
check "trunk, VLAN 300 (not in trunks): no answer" eval '! vhost "$TR" 300 10.96.0.4 10.96.0.3 1'
before=$(rx_of "$A")
vhost "$TR" 200 10.96.0.4 10.96.0.99 1 >/dev/null   # ARP broadcasts in VLAN 200
check "VLAN 200 broadcasts from the trunk do not reach VLAN 100 ($before -> $(rx_of "$A"))" \
	test "$(rx_of "$A")" -eq "$before"

# native-untagged: untagged frames are VLAN 100, VLAN 200 tagged.
check "native-untagged port, untagged -> access VLAN 100: ping 0% loss" \
	ping2 "$N" 10.97.0.1 10 0.05
check "native-untagged port, VLAN 200 tagged -> access VLAN 200: 5/5 echoes" \
	vhost2 "$N" 200 10.96.0.5 10.96.0.3
check "trunk, VLAN 100 -> native-untagged port's untagged host: 5/5 echoes" \
	vhost2 "$TR" 100 10.97.0.4 10.97.0.5

fdb=$(ctl fdb/show br0)
macA=$(ip -n "$A" -br link show eth0 | awk '{print $3}')
macC=$(ip -n "$C" -br link show eth0 | awk '{print $3}')
macT=$(ip -n "$TR" -br link show eth0 | awk '{print $3}')
check "fdb/show: A's MAC learned in VLAN 100 on ofport 1" grep -Eq "^ +1 +100 +$macA" <<<"$fdb"
check "fdb/show: C's MAC learned in VLAN 200 on ofport 3" grep -Eq "^ +3 +200 +$macC" <<<"$fdb"
check "fdb/show: the trunk's MAC learned in both VLANs" \
	eval 'grep -Eq "^ +4 +100 +$macT" <<<"$fdb" && grep -Eq "^ +4 +200 +$macT" <<<"$fdb"'

# trunks changed by SIGHUP: applied in place, the port is not reopened.
write_cfg "[100]"
kill -HUP "$DP_PID"
check "SIGHUP with trunks [100]: applied without reopening the port" \
	bash -c "for i in \$(seq 50); do grep -q 'port pt: VLAN settings changed' '$RUN/dp.log' && exit 0; sleep 0.1; done; exit 1"
check "... the log does not show pt deleted" eval '! grep -q "port pt: deleted" "$RUN/dp.log"'
check "trunk no longer carries VLAN 200" eval '! vhost "$TR" 200 10.96.0.4 10.96.0.3 2'
check "trunk still carries VLAN 100" vhost2 "$TR" 100 10.97.0.4 10.97.0.1

# A YAML error names the line.
printf 'bridges:\n  br0:\n    ports:\n      p: {type: dpdkvhostuser, vlan_mode: access}\n' \
	>"$RUN/bad.yaml"
out=$("$VIREO_DP" --config "$RUN/bad.yaml" --check 2>&1)
check "--check: vlan_mode access without a tag is refused with the line ($out)" \
	grep -q "bad.yaml:4: port 'p': key 'tag': vlan_mode access needs a tag" <<<"$out"
printf 'bridges:\n  br0:\n    ports:\n      p: {type: dpdkvhostuser, tag: 5, trunks: [6]}\n' \
	>"$RUN/warn.yaml"
out=$("$VIREO_DP" --config "$RUN/warn.yaml" --check 2>&1)
check "--check: trunks on an access port accepted with a warning ($out)" \
	grep -q "warn.yaml:4: warning: port 'p': key 'trunks': ignored" <<<"$out"
stop_dp
finish
