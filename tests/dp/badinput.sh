#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Bad input: malformed configurations exit 2 naming file, line and key, and start nothing;
# a port with bad devargs is reported (log, show) while the other ports forward; bad
# control commands get errors and change nothing.
. "$(dirname "$0")/lib.sh"

# --- malformed configurations -------------------------------------------------------
bad_config() { # bad_config NAME EXPECTED-REGEX: config text on stdin
	local name=$1 want=$2 out rc
	cat >"$RUN/bad.yaml"
	out=$("$VIREO_DP" --config "$RUN/bad.yaml" --control "$RUN/bad.ctl" 2>&1)
	rc=$?
	if [ "$rc" -eq 2 ] && grep -Eq "$want" <<<"$out" && [ ! -e "$RUN/bad.ctl" ]; then
		pass "bad config ($name): exit 2, '$out'"
	else
		fail "bad config ($name): exit $rc, '$out' (wanted /$want/)"
	fi
}
bad_config "unknown key" "bad.yaml:5: .*unknown key 'colour'" <<'EOC'
bridges:
  br0:
    ports:
      p0: {type: dpdkvhostuser}
    colour: red
EOC
bad_config "bad pmd-cpu-mask" "bad.yaml:2: key 'other_config:pmd-cpu-mask': bad value 'nope'" <<'EOC'
other_config:
  pmd-cpu-mask: nope
EOC
bad_config "YAML syntax" "bad.yaml:[0-9]+: YAML syntax error" <<'EOC'
bridges:
  br0: {ports: {p0: {type: dpdk
EOC
bad_config "bad flow" "bad.yaml:6:.*(nw_srcx|field)" <<'EOC'
bridges:
  br0:
    ports:
      p0: {type: dpdkvhostuser}
    flows:
      - "priority=10,nw_srcx=1.2.3.4,actions=drop"
EOC
bad_config "flow names a port that does not exist" "bad.yaml:6:.*nosuchport" <<'EOC'
bridges:
  br0:
    ports:
      p0: {type: dpdkvhostuser}
    flows:
      - "in_port=nosuchport,actions=drop"
EOC
bad_config "more rx queues than a port can run" \
	"bad.yaml:6: port 'p0': key 'options:n_rxq': '17' is out of range 1..16" <<'EOC'
bridges:
  br0:
    ports:
      p0:
        type: dpdk
        options: {dpdk-devargs: net_null0, n_rxq: 17}
EOC
bad_config "a second document" "bad.yaml:5: a second YAML document" <<'EOC'
bridges:
  br0:
    ports: {}
---
bridges:
  br1:
    ports: {}
EOC
out=$("$VIREO_DP" --config /nonexistent.yaml 2>&1)
rc=$?
check "missing config file: exit 2 naming it ($out)" \
	bash -c "[ $rc -eq 2 ] && grep -q '/nonexistent.yaml' <<<'$out'"
cat >"$RUN/good.yaml" <<EOC
$(other_config)
bridges:
  br0:
    ports:
      p0: {type: dpdkvhostuser}
EOC
out=$("$VIREO_DP" --config "$RUN/good.yaml" --check 2>&1)
check "--check accepts a good config ($out)" grep -q "configuration OK" <<<"$out"

# --- a bad port among good ones -----------------------------------------------------
netns_add ns1 10.98.0.1 || fail "netns"
netns_add ns2 10.98.0.2 || fail "netns"
cat >"$RUN/dp.yaml" <<EOC
$(other_config)
bridges:
  br0:
    ports:
      p1: {type: dpdk, options: {dpdk-devargs: "net_af_packet1,iface=v-ns1"}}
      bad0: {type: dpdk, options: {dpdk-devargs: "net_af_packet9,iface=no-such-if0"}}
      bad1: {type: dpdk, options: {dpdk-devargs: "0000:ff:1f.7"}}
      p2: {type: dpdk, options: {dpdk-devargs: "net_af_packet2,iface=v-ns2"}}
EOC
check "vireo-dp starts with two bad ports" start_dp "$RUN/dp.yaml"
show=$(ctl show)
echo "$show"
check "show reports bad0 with ofport -1 and its reason" \
	grep -q "port bad0: ofport -1" <<<"$show"
check "show gives bad1's error text" grep -A1 "port bad1:" <<<"$show" | grep -q "error: .*0000:ff:1f.7"
check "the log names the failed port" grep -q "port bad0: error: " "$RUN/dp.log"
check "the good ports forward: ping 0% loss" ping_ok ns1 10.98.0.2 10 0.05

# --- bad control commands change nothing -------------------------------------------
out=$(ctl add-port br0 bad2 type=dpdk options:dpdk-devargs=net_af_packet7,iface=nope 2>&1)
check "add-port with bad devargs: error names the port ($out)" \
	grep -q "Error detected while setting up 'bad2'" <<<"$out"
out=$(ctl add-port br0 x type=bogus 2>&1)
check "add-port of an unknown type is refused ($out)" grep -q "unknown port type 'bogus'" <<<"$out"
out=$(ctl add-port nobr y type=dpdkvhostuser 2>&1)
check "add-port to a missing bridge is refused ($out)" grep -q "no bridge named nobr" <<<"$out"
out=$(ctl add-port br0 p1 type=dpdkvhostuser 2>&1)
check "add-port of an existing name is refused ($out)" grep -q "already exists" <<<"$out"
out=$(ctl del-port nosuch 2>&1)
check "del-port of a missing port is refused ($out)" grep -q "no port named nosuch" <<<"$out"
out=$(ovs-appctl -t "$CTL" no/such/command 2>&1)
check "unknown command: ovs-appctl exits 2" bash -c "ovs-appctl -t '$CTL' no/such/command >/dev/null 2>&1; [ \$? -eq 2 ]"
check "after all that, the good ports still forward" ping_ok ns2 10.98.0.1 10 0.05
check "vireo-dp is still running" kill -0 "$DP_PID"
finish
