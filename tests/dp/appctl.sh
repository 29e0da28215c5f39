#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# ovs-vswitchd's day-2 commands on vireo-dp, typed with Open vSwitch's own ovs-appctl (no
# -t: the default socket): vlog/*, coverage/show, memory/show, list-commands, version, exit,
# dpif-netdev/pmd-perf-show, dpctl/dump-flows, fdb/show, fdb/flush and ofproto/trace, whose
# answer for each rule set is checked against what real packets do (which rules count them,
# whether pings get through).
. "$(dirname "$0")/lib.sh"

command -v ovs-appctl >/dev/null || skip_all "ovs-appctl (openvswitch-common) is not installed"
export OVS_RUNDIR=$RUN/ovs OVS_LOGDIR=$RUN/log
mkdir -p "$OVS_RUNDIR" "$OVS_LOGDIR"
M1=02:00:00:00:0a:01
M2=02:00:00:00:0a:02
M3=02:00:00:00:0a:03
netns_add ap1 10.97.0.1 $M1 || fail "netns"
netns_add ap2 10.97.0.2 $M2 || fail "netns"
netns_add ap3 10.97.0.3 $M3 || fail "netns"
# No IPv6 in the namespaces: router solicitations and MLD reports would be learned again
# right after fdb/flush, which checks that the table is empty.
for a in 1 2 3; do
	ip netns exec ap$a sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.eth0.disable_ipv6=1
done
# Static neighbours: only the IP packets of a ping cross the bridge, so that the rules a
# ping meets are the ones traced for an IP flow.
for a in 1 2 3; do
	for b in 1 2 3; do
		[ $a = $b ] || ip -n ap$a neigh replace 10.97.0.$b lladdr 02:00:00:00:0a:0$b dev eth0
	done
done
cat >"$RUN/dp.yaml" <<EOC
$(other_config)
bridges:
  br0:
    ports:
      p1: {type: dpdk, options: {dpdk-devargs: "net_af_packet1,iface=v-ap1"}}
      p2: {type: dpdk, options: {dpdk-devargs: "net_af_packet2,iface=v-ap2"}}
      p3: {type: dpdk, options: {dpdk-devargs: "net_af_packet3,iface=v-ap3"}}
EOC
appctl() { ovs-appctl -T 10 "$@"; }
# No --control: the socket is ovs-vswitchd's default, where ovs-appctl looks.
"$VIREO_DP" --config "$RUN/dp.yaml" --pidfile --log-file >"$RUN/dp.log" 2>&1 &
DP_PID=$!
PIDS+=("$DP_PID")
check "vireo-dp starts and ovs-appctl reaches it without -t" \
	wait_until 120 bash -c 'ovs-appctl -T 5 show 2>/dev/null | grep -q "port p3: ofport 3"'

# --- plain commands ----------------------------------------------------------------------
check "version" bash -c 'ovs-appctl version | grep -q "^vireo-dp "'
cmds=$(appctl list-commands)
for c in vlog/list vlog/set vlog/reopen coverage/show memory/show list-commands version exit \
		dpif-netdev/pmd-perf-show dpctl/dump-flows ofproto/trace fdb/show fdb/flush; do
	check "list-commands lists $c" grep -q "^  $c " <<<"$cmds"
done
out=$(appctl vlog/list)
check "vlog/list has OVS's header" grep -q "^                 console    syslog    file$" <<<"$out"
check "vlog/list shows module dataplane at its defaults" grep -Eq "^dataplane +INFO +OFF +INFO$" <<<"$out"
check "vlog/set dpdk:file:warn" appctl vlog/set dpdk:file:warn
check "... shows in vlog/list" bash -c 'ovs-appctl vlog/list | grep -Eq "^dpdk +INFO +OFF +WARN$"'
check "vlog/set syslog:dbg (any module)" appctl vlog/set syslog:dbg
check "... sets every module's syslog" test "$(appctl vlog/list | grep -Ec '^[a-z]+ +[A-Z]+ +DBG ')" -eq 2
appctl vlog/set dataplane:file:off >/dev/null
appctl add-port br0 q1 type=dpdkvhostuser >/dev/null
check "with dataplane:file:off a port's message stays out of the log file" \
	bash -c "! grep -q 'port q1: added' '$OVS_LOGDIR/ovs-vswitchd.log'"
appctl vlog/set dataplane:file:info >/dev/null
appctl del-port q1 >/dev/null
check "with dataplane:file:info it is written again" wait_until 10 grep -q 'port q1: deleted' "$OVS_LOGDIR/ovs-vswitchd.log"
out=$(appctl vlog/set nosuchmodule:file:dbg 2>&1)
rc=$?
check "vlog/set with an unknown module fails (exit $rc)" test "$rc" -eq 2
check "... naming it as OVS does" grep -q 'no destination, level, or module "nosuchmodule"' <<<"$out"
out=$(appctl vlog/set dataplane:file:loud 2>&1)
check "vlog/set with an unknown level names it" grep -q 'no destination, level, or module "loud"' <<<"$out"
check "... and changed nothing" bash -c 'ovs-appctl vlog/list | grep -Eq "^dataplane +INFO +DBG +INFO$"'
out=$(appctl exit --bogus 2>&1)
check "exit with an unknown option is refused ($out)" grep -q 'unknown option "--bogus"' <<<"$out"

# --- rule set A: in_port rules ----------------------------------------------------------
appctl add-flow br0 "priority=10,in_port=p1,actions=output:p2" >/dev/null
appctl add-flow br0 "priority=10,in_port=p2,actions=output:p1" >/dev/null
out=$(appctl ofproto/trace br0 in_port=p1,ip,nw_src=10.97.0.1,nw_dst=10.97.0.2)
echo "$out"
check "trace A: starts with the flow" grep -q "^Flow: .*in_port=p1" <<<"$out"
check "trace A: names the bridge" grep -q '^bridge("br0")$' <<<"$out"
check "trace A: the in_port=p1 rule of table 0" grep -q "^ 0\. in_port=p1, priority 10$" <<<"$out"
check "trace A: its action" grep -q "^    output:p2$" <<<"$out"
check "trace A: Datapath actions: 2" grep -q "^Datapath actions: 2$" <<<"$out"
check "trace A: Final flow unchanged" grep -q "^Final flow: unchanged$" <<<"$out"
check "reality A: ap1 pings ap2" ping_ok ap1 10.97.0.2 5 0.1
out=$(appctl ofproto/trace br0 in_port=p3,ip)
check "trace A: p3 has no rule: No match, drop" bash -c 'grep -q "^ 0\. No match\.$" <<<"$0" && grep -q "^Datapath actions: drop$" <<<"$0"' "$out"
check "reality A: ap3 cannot reach ap1" bash -c "! ip netns exec ap3 ping -q -c 2 -i 0.2 -W 1 10.97.0.1 >/dev/null"

out=$(appctl dpctl/dump-flows)
echo "$out"
check "dpctl/dump-flows: one dump per PMD" grep -q "^flow-dump from pmd on cpu core: 1$" <<<"$out"
check "dpctl/dump-flows: the cache entry for p1's packets and its rule" \
	grep -q "^bridge(br0),table=0,in_port=p1, rule priority 10, actions:output:p2$" <<<"$out"
out=$(appctl dpif-netdev/pmd-perf-show)
echo "$out"
check "pmd-perf-show: the PMD's section" grep -q "^pmd thread numa_id [0-9-]* core_id 1:$" <<<"$out"
rx=$(awk '/Rx packets:/ { print $3 }' <<<"$out")
check "pmd-perf-show: Rx packets counted ($rx)" test "${rx:-0}" -ge 10
check "pmd-perf-show: the measurement duration" grep -Eq "^Measurement duration: [0-9]+\.[0-9]{3} s$" <<<"$out"
check "pmd-perf-show: EMC and megaflow lines" bash -c 'grep -q "  - EMC hits: " <<<"$0" && grep -q "  - Megaflow hits: " <<<"$0"' "$out"

# dpif-netdev's commands as Open vSwitch's take them: [-pmd CORE] [DP].
for dpn in netdev@ovs-netdev ovs-netdev; do
	for c in pmd-stats-show pmd-rxq-show; do
		check "$c $dpn: the datapath's name is taken" \
			bash -c "ovs-appctl -T 10 dpif-netdev/$c $dpn | grep -q '^pmd thread numa_id .* core_id 1:'"
	done
	check "pmd-stats-show -pmd 1 $dpn" \
		bash -c "ovs-appctl -T 10 dpif-netdev/pmd-stats-show -pmd 1 $dpn | grep -q 'core_id 1:'"
	check "pmd-stats-clear $dpn" appctl dpif-netdev/pmd-stats-clear "$dpn"
	check "pmd-perf-show -pmd 1 $dpn" \
		bash -c "ovs-appctl -T 10 dpif-netdev/pmd-perf-show -pmd 1 $dpn | grep -q '^pmd thread numa_id .* core_id 1:$'"
	check "pmd-perf-show -nh $dpn (no histograms are printed anyway)" \
		bash -c "ovs-appctl -T 10 dpif-netdev/pmd-perf-show -nh $dpn | grep -q '  Rx packets: '"
	check "pmd-sleep-show $dpn" \
		bash -c "ovs-appctl -T 10 dpif-netdev/pmd-sleep-show $dpn | grep -q '^pmd thread numa_id .* core_id 1:$'"
done
out=$(appctl dpif-netdev/pmd-perf-show -pmd 0 2>&1)
rc=$?
check "pmd-perf-show -pmd 0: no PMD there (exit $rc)" test "$rc" -eq 2
check "... said so ($out)" grep -q "no PMD thread on core 0" <<<"$out"
for opt in -it -ms; do
	out=$(appctl dpif-netdev/pmd-perf-show $opt 10 2>&1)
	rc=$?
	check "pmd-perf-show $opt is refused, not ignored (exit $rc)" test "$rc" -eq 2
	check "... saying no history is kept ($out)" grep -q "^$opt: no [a-z]* history is kept here" <<<"$out"
done
for c in pmd-perf-show pmd-sleep-show; do
	out=$(appctl dpif-netdev/$c netdev@other 2>&1)
	rc=$?
	check "$c: another datapath's name is refused (exit $rc)" \
		bash -c '[ "$0" -eq 2 ] && grep -q "please specify an existing datapath" <<<"$1"' "$rc" "$out"
done
out=$(appctl dpif-netdev/pmd-stats-show netdev@other 2>&1)
rc=$?
check "another datapath's name is refused (exit $rc)" test "$rc" -eq 2
check "... in Open vSwitch's words ($out)" grep -q "please specify an existing datapath" <<<"$out"
out=$(appctl dpif-netdev/pmd-rxq-show -pmd "" 2>&1)
rc=$?
check "-pmd '' is refused (exit $rc)" test "$rc" -eq 2
check "... as no core, not taken as core 0 ($out)" grep -q "invalid pmd core ''" <<<"$out"
out=$(appctl dpif-netdev/pmd-stats-show -pmd " 1" 2>&1)
check "-pmd ' 1' is refused: digits only ($out)" grep -q "invalid pmd core ' 1'" <<<"$out"

# --- rule set B: resubmit to table 1, by destination ------------------------------------
appctl del-flows br0 >/dev/null
appctl add-flow br0 "priority=10,in_port=p1,actions=resubmit(,1)" >/dev/null
appctl add-flow br0 "priority=10,in_port=p2,actions=output:p1" >/dev/null
appctl add-flow br0 "priority=10,in_port=p3,actions=output:p1" >/dev/null
appctl add-flow br0 "table=1,priority=20,ip,nw_dst=10.97.0.3,actions=output:p3" >/dev/null
appctl add-flow br0 "table=1,priority=5,actions=output:p2" >/dev/null
n_of() { appctl dump-flows br0 | grep -F "$1" | grep -o "n_packets=[0-9]*" | cut -d= -f2; }
out=$(appctl ofproto/trace br0 in_port=p1,ip,nw_src=10.97.0.1,nw_dst=10.97.0.3)
echo "$out"
check "trace B: table 0 resubmits" bash -c 'grep -q "^ 0\. in_port=p1, priority 10$" <<<"$0" && grep -q "^    resubmit(,1)$" <<<"$0"' "$out"
check "trace B: table 1's nw_dst rule" grep -q "^ 1\. ip,nw_dst=10.97.0.3, priority 20$" <<<"$out"
check "trace B: Datapath actions: 3" grep -q "^Datapath actions: 3$" <<<"$out"
before=$(n_of "nw_dst=10.97.0.3")
before5=$(n_of "priority=5")
check "reality B: ap1 pings ap3 (through table 1)" ping_ok ap1 10.97.0.3 5 0.1
after=$(n_of "nw_dst=10.97.0.3")
after5=$(n_of "priority=5")
check "reality B: the traced rule counted the pings ($before -> $after)" test "$after" -ge $((before + 5))
check "reality B: the other table-1 rule did not ($before5 -> $after5)" test "$after5" -eq "$before5"
out=$(appctl ofproto/trace br0 in_port=p1,ip,nw_dst=10.97.0.2)
check "trace B: another destination meets priority 5 and goes to 2" bash -c 'grep -q "^ 1\. priority 5$" <<<"$0" && grep -q "^Datapath actions: 2$" <<<"$0"' "$out"
check "reality B: ap1 pings ap2 that way" ping_ok ap1 10.97.0.2 3 0.1
check "... and that rule counted them" test "$(n_of "priority=5")" -ge $((after5 + 3))
out=$(appctl dpctl/dump-flows)
check "dpctl/dump-flows: table 1's entries after the pings" grep -q "^bridge(br0),table=1,.*actions:output:p3$" <<<"$out"

# --- rule set C: rewrites and a table miss ----------------------------------------------
appctl add-flow br0 "table=1,priority=30,ip,nw_dst=10.97.0.99,actions=mod_nw_dst:10.97.0.2,mod_dl_dst:$M2,output:p2" >/dev/null
appctl add-flow br0 "priority=10,in_port=p3,actions=goto_table:2" >/dev/null
out=$(appctl ofproto/trace br0 in_port=p1,ip,nw_dst=10.97.0.99)
echo "$out"
check "trace C: the rewrite rule and its actions, one a line" bash -c 'grep -q "^    mod_nw_dst:10.97.0.2$" <<<"$0" && grep -q "^    output:p2$" <<<"$0"' "$out"
check "trace C: Final flow has the new destination" grep -q "^Final flow: .*dl_dst=$M2.*nw_dst=10.97.0.2" <<<"$out"
out=$(appctl ofproto/trace br0 in_port=p3,ip)
check "trace C: goto_table into an empty table: No match in table 2, drop" \
	bash -c 'grep -q "^ 2\. No match\.$" <<<"$0" && grep -q "^Datapath actions: drop$" <<<"$0"' "$out"
check "reality C: ap3 cannot reach ap1" bash -c "! ip netns exec ap3 ping -q -c 2 -i 0.2 -W 1 10.97.0.1 >/dev/null"

# --- bad input -------------------------------------------------------------------------
out=$(appctl ofproto/trace br0 in_port=p1,nosuchfield=3 2>&1)
rc=$?
check "trace with a bad field fails (exit $rc)" test "$rc" -eq 2
check "... naming it" grep -q "Bad openflow flow syntax: in_port=p1,nosuchfield=3: .*nosuchfield" <<<"$out"
out=$(appctl ofproto/trace nobr in_port=1 2>&1)
check "trace on an unknown bridge names it ($out)" grep -q "^nobr: unknown bridge" <<<"$out"
out=$(appctl ofproto/trace br0 ip,nw_dst=10.0.0.1 2>&1)
check "trace without in_port says so ($out)" grep -q "must give in_port" <<<"$out"
out=$(appctl ofproto/trace br0 in_port=p1,nw_dst=10.0.0.1 2>&1)
check "trace with a missing prerequisite says which ($out)" grep -q "needs ip" <<<"$out"

# --- MAC learning: fdb/show, fdb/flush, and trace of NORMAL -----------------------------
appctl del-flows br0 >/dev/null
check "reality N: without rules ap1 pings ap2 (MAC learning)" ping_ok ap1 10.97.0.2 3 0.1
out=$(appctl fdb/show br0)
echo "$out"
check "fdb/show: OVS's header" grep -q "^ port  VLAN  MAC                Age$" <<<"$out"
check "fdb/show: ap1's MAC on port 1" grep -Eq "^ +1 +0  $M1 " <<<"$out"
check "fdb/show: ap2's MAC on port 2" grep -Eq "^ +2 +0  $M2 " <<<"$out"
out=$(appctl ofproto/trace br0 "in_port=p1,dl_src=$M1,dl_dst=$M2")
echo "$out"
check "trace N: NORMAL forwards to the learned port" bash -c 'grep -q "^    NORMAL$" <<<"$0" && grep -q "forwarding to learned port" <<<"$0" && grep -q "^Datapath actions: 2$" <<<"$0"' "$out"
out=$(appctl fdb/flush br0)
check "fdb/flush: OVS's answer" grep -q "^table successfully flushed$" <<<"$out"
out=$(appctl fdb/show br0)
check "fdb/show is empty after the flush ($(tail -n +2 <<<"$out" | tr '\n' ';'))" test "$(wc -l <<<"$out")" -eq 1
out=$(appctl ofproto/trace br0 "in_port=p1,dl_src=$M1,dl_dst=$M2")
check "trace N: after the flush NORMAL floods to 2 and 3" bash -c 'grep -q "no learned MAC for destination, flooding" <<<"$0" && grep -q "^Datapath actions: 2,3$" <<<"$0"' "$out"
out=$(appctl fdb/flush nobr 2>&1)
check "fdb/flush of an unknown bridge is an error ($out)" grep -q "nobr is not a bridge" <<<"$out"

# --- counters --------------------------------------------------------------------------
out=$(appctl coverage/show)
echo "$out"
check "coverage/show: OVS's header" grep -q "^Event coverage, avg rate over last: 5 seconds, last minute, last hour,  hash=[0-9a-f]\{8\}:$" <<<"$out"
check "coverage/show: port_add counts the 4 ports added" grep -Eq "^port_add +[0-9.]+/sec +[0-9.]+/sec +[0-9.]+/sec   total: 4$" <<<"$out"
check "coverage/show: fdb_flush counts the flush" grep -Eq "^fdb_flush .* total: 1$" <<<"$out"
check "coverage/show: the events never hit" grep -Eq "^[0-9]+ events never hit$" <<<"$out"
out=$(appctl memory/show)
echo "$out"
check "memory/show: KEY:VALUE words, ports and rules" grep -Eq "^bridges:1 .*ports:3 .*rules:0$" <<<"$out"
check "memory/show: packet buffers" grep -Eq "mbufs:[1-9][0-9]* mbufs-in-use:[0-9]+ " <<<"$out"

out=$(ovs-appctl exit 2>&1)
check "exit ($out)" test -z "$out"
check "vireo-dp stops" wait_until 60 bash -c "! kill -0 $DP_PID 2>/dev/null"
finish
