#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# OpenFlow 1.4 and 1.5 and bundles, with unmodified ovs-ofctl against openflow/ + flowtab
# (tests/openflow/of_server) and, side by side, ovs-vswitchd: the descriptions and flow
# commands of -O OpenFlow14/15 (packet_out with 1.5's match), an unsupported message
# refused with the connection and table intact; --bundle add-flows and replace-flows in
# 1.3 (ONF's extension), 1.4 and 1.5 leave the tables ovs-vswitchd has, and so do --bundle
# mod-flows and del-flows (--strict too) and a bundle mixing adds, modifies and deletes; a
# bundle with one rule flowtab refuses, or a modify to a group that does not exist, changes
# nothing and its error names that rule (a modify flowtab refuses only at the commit, a
# resubmit loop, fails the commit: OFPBFC_MSG_FAILED, nothing changed); rules replace-flows removes
# send flow_removed (reason delete) when they asked for it.
#
# usage: tests/openflow/bundle.sh   (VIREO_BUILD: the build directory, default build/)
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ofctl_lib.sh"

# The replies' headers, without xids ("OFPST_PORT_DESC reply (OF1.5):").
heads() { sed -n 's/ (xid=0x[0-9a-f]*)//; s/^\(OFP[A-Z_]* [a-z]* *(OF1\.[0-9])\).*/\1/p'; }

cat >"$W/rules" <<'EOC'
priority=100,in_port=1,ip,nw_src=10.0.0.0/8,actions=output:2
table=1,priority=5,tcp,nw_dst=10.1.2.3,tp_dst=80,actions=mod_nw_dst:10.9.9.9,output:3
priority=8,ipv6,ipv6_dst=2001:db8::/32,actions=set_field:2001:db8::1->ipv6_src,dec_ttl,NORMAL
priority=12,in_port=2,actions=resubmit(,1)
cookie=0x20,priority=16,udp,nw_dst=192.168.0.0/16,udp_dst=53,actions=output:LOCAL
table=3,priority=1,actions=push_vlan:0x8100,set_field:4103->vlan_vid,goto_table:5
EOC
PKT=ffffffffffff0000000000010800450000140001000040000000c0a80001c0a80002

for ver in OpenFlow14 OpenFlow15; do
	VER=(-O "$ver")
	v=${ver#OpenFlow}
	v="OF${v:0:1}.${v:1}"
	for cmd in show dump-desc dump-tables dump-ports dump-ports-desc; do
		out=$(vof "$cmd" 2>&1)
		if [ $? != 0 ] || grep -q OFPT_ERROR <<<"$out" || ! grep -q "($v)" <<<"$out"; then
			fail "$ver: $cmd: $out"
			continue
		fi
		if [ "$have_ovs" = 1 ]; then
			a=$(heads <<<"$out")
			b=$(oof "$cmd" 2>&1 | heads)
			[ "$a" = "$b" ] || { fail "$ver: $cmd replies differ: [$a] vs ovs [$b]"; continue; }
		fi
		pass "$ver: $cmd answered ($(heads <<<"$out" | tr '\n' ' '))"
	done
	check "$ver: dump-ports-desc lists p1..p3 with their speed" \
		bash -c "[ \$(OVS_RUNDIR=$V ovs-ofctl -O $ver dump-ports-desc br0 | grep -c 'speed: 10000 Mbps now') = 3 ]"
	check "$ver: dump-ports counts p2's packets" \
		bash -c "OVS_RUNDIR=$V ovs-ofctl -O $ver dump-ports br0 2 | grep -q 'port  2: rx pkts=20'"

	both del-flows
	both add-flows "$W/rules" && pass "$ver: add-flows"
	same "$ver add-flows" 6
	a=$(vof dump-aggregate | sed 's/.*: //')
	[ "$a" = "packet_count=0 byte_count=0 flow_count=6" ] && pass "$ver: dump-aggregate: $a" ||
		fail "$ver: dump-aggregate: $a"
	both mod-flows "in_port=2,actions=output:3" && same "$ver mod-flows" 6
	VER=(-O "$ver" --strict)
	both del-flows "priority=100,in_port=1,ip,nw_src=10.0.0.0/8" &&
		{ VER=(-O "$ver"); same "$ver del-flows --strict" 5; }
	VER=(-O "$ver")
	both del-flows "table=3" && same "$ver del-flows table=3" 4
	both replace-flows "$W/rules" && same "$ver replace-flows" 6
	# diff-flows compares text: mod_nw_dst reads back as set_field, on both switches.
	out=$(vof diff-flows "$W/rules" 2>&1 | sort)
	if [ "$have_ovs" = 1 ]; then
		[ "$out" = "$(oof diff-flows "$W/rules" 2>&1 | sort)" ] &&
			pass "$ver: diff-flows as ovs-vswitchd's" || fail "$ver: diff-flows: $out"
	else
		[ "$(grep -c '^[-+]' <<<"$out")" = 2 ] && pass "$ver: diff-flows" ||
			fail "$ver: diff-flows: $out"
	fi

	# The 1.5 packet_out carries in_port in a match; of_server prints what it would send.
	before=$(grep -c "packet_out in_port=1 actions=output:2 len=34" "$W/server.log")
	check "$ver: packet-out in_port=1" vof packet-out "in_port=1 packet=$PKT actions=output:2"
	wait_until 10 bash -c "[ \$(grep -c 'packet_out in_port=1 actions=output:2 len=34' \
		$W/server.log) -gt $before ]" && pass "$ver: packet-out reached the switch with in_port=1" ||
		fail "$ver: packet-out not seen: $(tail -3 "$W/server.log")"

	# A message vireo does not support: an error, the connection and table intact.
	out=$(vof mod-port p1 down 2>&1) && fail "$ver: mod-port accepted: $out" ||
		{ grep -q "OFPT_ERROR\|OFPBRC_BAD_TYPE" <<<"$out" && pass "$ver: mod-port refused with an error"; } ||
		fail "$ver: mod-port: $out"
	same "$ver table intact after the refused message" 6
done

# Bundles: ONF's extension in 1.3, the standard messages in 1.4 and 1.5.
seq 1 300 | awk '{ printf "priority=%d,udp,nw_src=10.1.%d.%d,tp_dst=%d,actions=output:%d\n", \
	$1 % 7, int($1 / 256), $1 % 256, 1000 + $1, 1 + $1 % 3 }' >"$W/many"
awk 'NR == 150 { print "priority=4,in_port=3,actions=resubmit(,0)"; next } { print }' \
	"$W/many" >"$W/bad"
sed -n '1,100p' "$W/many" >"$W/fewer"
# A loose modify or delete in ovs-vswitchd 3.1's bundles misses a rule an earlier add of the
# bundle put in a subtable of its own (its classifier publishes those at the commit), where
# vireo's sees it (flowtab's batch applies each change to what the earlier ones left; the
# flowtab tests check that): this bundle's loose commands touch older rules only.
cat >"$W/mixed" <<'EOC'
add priority=50,in_port=2,actions=output:1
modify udp,tp_dst=1020,actions=output:3
modify_strict priority=3,udp,nw_src=10.1.0.3,tp_dst=1003,actions=mod_nw_dst:10.9.9.9,output:2
delete udp,tp_dst=1010
delete_strict priority=4,udp,nw_src=10.1.0.4,tp_dst=1004
add priority=51,in_port=3,actions=output:2
delete_strict priority=51,in_port=3
add priority=52,in_port=1,actions=output:2
modify_strict priority=52,in_port=1,actions=output:3
EOC
printf 'add priority=60,in_port=1,actions=drop\nmodify udp,tp_dst=1001,actions=group:99\n' >"$W/mixed-bad"
printf 'delete in_port=2\nmodify udp,tp_dst=1001,actions=resubmit(,0)\n' >"$W/mixed-loop"
whos=(vof)
[ "$have_ovs" = 1 ] && whos+=(oof)
for ver in OpenFlow13 OpenFlow14 OpenFlow15; do
	VER=(-O "$ver")
	both del-flows
	VER=(-O "$ver" --bundle)
	both add-flows "$W/many" && same "$ver --bundle add-flows" 300
	before=$(dump vof)
	out=$(vof add-flows "$W/bad" 2>&1) && fail "$ver: bundle with a looping rule accepted"
	grep -q "OFPBAC_BAD_ARGUMENT for: OFPT_FLOW_MOD.*resubmit(,0)" <<<"$out" &&
		pass "$ver: the bad bundle fails, the error naming the rule" ||
		fail "$ver: bad bundle: $out"
	[ "$(dump vof)" = "$before" ] && pass "$ver: the failed bundle changed nothing" ||
		fail "$ver: the failed bundle changed the table"
	both replace-flows "$W/fewer" && same "$ver --bundle replace-flows" 100
	both diff-flows "$W/fewer" && pass "$ver: diff-flows after the bundle: none"
	# Modifies and deletes, alone and mixed with adds in one bundle.
	both mod-flows "udp,tp_dst=1005,actions=output:3" && same "$ver --bundle mod-flows" 100
	VER=(-O "$ver" --bundle --strict)
	both mod-flows "priority=6,udp,nw_src=10.1.0.6,tp_dst=1006,actions=drop" &&
		same "$ver --bundle --strict mod-flows" 100
	VER=(-O "$ver" --bundle)
	both add-flows "$W/mixed" && same "$ver --bundle add/modify/delete" 100
	before=$(dump vof)
	for who in "${whos[@]}"; do
		out=$($who add-flows "$W/mixed-bad" 2>&1) && fail "$ver: $who took a bundle with a bad modify"
		grep -q "OFPBAC_BAD_OUT_GROUP" <<<"$out" &&
			pass "$ver: $who: a bundle with a modify to no group fails" ||
			fail "$ver: $who: bad modify bundle: $out"
	done
	[ "$(dump vof)" = "$before" ] && same "$ver: the failed modify bundle changed nothing" 100
	# A loop only vireo refuses (ovs-vswitchd stops it per packet): at the commit.
	out=$(vof add-flows "$W/mixed-loop" 2>&1) && fail "$ver: a bundle with a looping modify accepted"
	grep -q "OFPBFC_MSG_FAILED" <<<"$out" && pass "$ver: a looping modify fails the commit" ||
		fail "$ver: looping modify: $out"
	[ "$(dump vof)" = "$before" ] && pass "$ver: the failed commit changed nothing" ||
		fail "$ver: the failed commit changed the table"
	both del-flows "udp,nw_src=10.1.0.0/26" && same "$ver --bundle del-flows" 39
	VER=(-O "$ver" --bundle --strict)
	both del-flows "priority=50,in_port=2" && same "$ver --bundle --strict del-flows" 38
done

# flow_removed: rules replace-flows removes and del-flows deletes, reason delete.
VER=(-O OpenFlow15)
both del-flows
# probe WHO: a send_flow_rem rule added and deleted; true once WHO's monitor reported it
# (so the monitor is connected before the rules the test is about come).
probe() {
	local who=$1
	$who add-flow "priority=77,in_port=1,send_flow_rem,actions=drop" &&
		$who del-flows "in_port=1" && grep -qs "priority=77" "$W/mon.$who"
}
printf 'priority=9,in_port=3,send_flow_rem,actions=output:1\npriority=8,in_port=3,actions=output:2\n' >"$W/two"
printf 'priority=1,in_port=1,actions=output:2\n' >"$W/one"
for who in "${whos[@]}"; do
	# A miss_send_len: service connections get asynchronous messages only then (OVS).
	$who monitor 65535 >"$W/mon.$who" 2>&1 &
	PIDS+=($!)
	wait_until 20 probe "$who" || fail "$who: ovs-ofctl monitor never saw a flow_removed"
	$who add-flows "$W/two"
	VER=(-O OpenFlow15 --bundle)
	$who replace-flows "$W/one"
	VER=(-O OpenFlow15)
	wait_until 10 grep -q "priority=9,in_port=3" "$W/mon.$who"
done
got=$(grep -o "OFPT_FLOW_REMOVED.*reason=[a-z_]* table_id=0" "$W/mon.vof" | grep -v priority=77)
[ "$(grep -c "priority=9,in_port=3 reason=delete" <<<"$got")" = 1 ] &&
	[ "$(grep -c priority=8 <<<"$got")" = 0 ] &&
	pass "flow_removed of the rule --bundle replace-flows removed: $got" ||
	fail "flow_removed: $(cat "$W/mon.vof")"
if [ "$have_ovs" = 1 ]; then
	want=$(grep -o "OFPT_FLOW_REMOVED.*reason=[a-z_]* table_id=0" "$W/mon.oof" | grep -v priority=77)
	[ "$got" = "$want" ] && pass "flow_removed as ovs-vswitchd's" ||
		fail "flow_removed differs: vireo [$got] ovs [$want]"
fi
server_stops
finish
