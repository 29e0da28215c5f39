#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Unmodified ovs-ofctl against openflow/ + flowtab (tests/openflow/of_server, no DPDK) and,
# side by side, against Open vSwitch's own ovs-vswitchd (a netdev bridge in a private
# network namespace and run directory): the same add-flows, mod-flows and del-flows must
# leave tables that dump-flows prints identically, with OpenFlow 1.0 + Nicira extensions
# (ovs-ofctl's default) and with -O OpenFlow13.  Rules flowtab cannot run are refused with
# an OpenFlow error and leave the table as it was.
#
# usage: tests/openflow/ofctl.sh   (VIREO_BUILD: the build directory, default build/)
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ofctl_lib.sh"

cat >"$W/rules" <<'EOC'
priority=100,in_port=1,ip,nw_src=10.0.0.0/8,actions=output:2
table=1,priority=5,tcp,nw_dst=10.1.2.3,tp_dst=80,actions=mod_nw_dst:10.9.9.9,output:3
priority=7,dl_src=00:00:00:00:00:01/ff:ff:ff:ff:ff:00,actions=mod_dl_dst:00:11:22:33:44:55,output:2
priority=8,ipv6,ipv6_dst=2001:db8::/32,actions=set_field:2001:db8::1->ipv6_src,dec_ttl,NORMAL
priority=9,arp,arp_op=1,arp_spa=10.0.0.1,actions=FLOOD
priority=11,dl_vlan=10,dl_vlan_pcp=3,actions=strip_vlan,output:2
priority=12,in_port=2,actions=resubmit(,1),resubmit(3,2)
priority=13,tcp6,tcp_flags=+syn-ack,actions=drop
priority=14,icmp,icmp_type=8,icmp_code=0,nw_tos=32,nw_ttl=5,actions=ALL
cookie=0x10,priority=15,tcp,tp_src=0x50/0xfff0,actions=mod_tp_src:99,IN_PORT
cookie=0x20,priority=16,udp,nw_dst=192.168.0.0/16,udp_dst=53,actions=output:LOCAL
priority=17,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=output:1,output:3
table=2,priority=18,ip,nw_src=10.0.0.1,actions=mod_nw_ttl:9,mod_nw_tos:16,output:1
table=2,priority=19,icmp6,icmp_type=135,actions=NORMAL
EOC
cat >"$W/rules13" <<'EOC'
table=3,priority=1,actions=push_vlan:0x8100,set_field:4103->vlan_vid,goto_table:5
table=3,priority=2,ip,actions=set_field:4->nw_ttl,set_field:10->ip_dscp,output:1
table=4,priority=3,vlan_vid=0x1000/0x1000,actions=pop_vlan,goto_table:6
table=4,priority=4,udp,udp_src=67,actions=set_field:68->udp_src,output:2
EOC

for ver in "" OpenFlow13; do
	name=${ver:-"OpenFlow10+NXM"}
	VER=()
	[ -n "$ver" ] && VER=(-O "$ver")
	both del-flows
	both add-flows "$W/rules" && pass "$name: add-flows of $(wc -l <"$W/rules") rules"
	same "$name" 14
	if [ -z "$ver" ]; then
		# The 1.0 match (OFPST_FLOW): what it cannot say is left out, as by ovs-vswitchd.
		VER=(-F openflow10)
		same "OFPST_FLOW (-F openflow10)" 14
		VER=()
	fi
	# diff-flows compares text: the file's mod_* read back as set_field or load are
	# differences, the same ones ovs-vswitchd's table shows.
	out=$(vof diff-flows "$W/rules" 2>&1 | sort)
	if [ "$have_ovs" = 1 ]; then
		[ "$out" = "$(oof diff-flows "$W/rules" 2>&1 | sort)" ] &&
			pass "$name: diff-flows FILE shows what it shows with ovs-vswitchd" ||
			fail "$name: diff-flows differs from ovs-vswitchd's: $out"
	fi
	n13=0
	if [ -n "$ver" ]; then
		both add-flows "$W/rules13" && pass "$name: add-flows of 1.3 instructions"
		n13=4
		same "$name instructions" 18
		# The same table through 1.0 + NXM: goto_table, push_vlan and 1.3's set_fields
		# as 1.0 says them, as ovs-vswitchd says them.
		VER=()
		same "1.3 instructions dumped with OpenFlow10+NXM" 18
		VER=(-O "$ver")
	fi
	same "$name table=1 filter" 1 table=1
	same "$name cookie filter" 1 cookie=0x10/0xf0
	same "$name out_port filter" $((3 + n13 / 4)) out_port=2
	# Reserved ports select the rules whose actions output there.
	same "$name out_port=NORMAL filter" 2 out_port=NORMAL
	same "$name out_port=FLOOD filter" 1 out_port=FLOOD
	same "$name out_port=IN_PORT filter" 1 out_port=IN_PORT
	both mod-flows "in_port=2,actions=output:3"
	both mod-flows --strict "priority=9,arp,arp_op=1,arp_spa=10.0.0.1,actions=drop"
	same "$name after mod-flows" $((14 + n13))
	same "$name after mod-flows, out_port=3" 3 out_port=3
	both del-flows --strict "priority=100,in_port=1,ip,nw_src=10.0.0.0/8"
	both del-flows --strict "priority=99,in_port=1,ip,nw_src=10.0.0.0/8"
	same "$name after del-flows --strict" $((13 + n13))
	both del-flows "cookie=0x20/0xff"
	both del-flows "table=2,ip"
	both del-flows "out_port=3"
	same "$name after del-flows cookie, table, out_port" $((8 + n13))
	if [ -n "$ver" ]; then
		# (With 1.0, ovs-ofctl cannot dump by table id: replace-flows of several
		# tables needs 1.1 or later, against ovs-vswitchd too.)
		both replace-flows "$W/rules" && pass "$name: replace-flows"
		same "$name after replace-flows" 14
		both del-flows "out_port=3"
	fi
	n_left=$((8 + n13))
	[ -n "$ver" ] && n_left=12
	agg=$(vof dump-aggregate)
	if grep -q "flow_count=$n_left\b" <<<"$agg"; then
		pass "$name: dump-aggregate counts the $n_left rules"
	else
		fail "$name: dump-aggregate '$agg'"
	fi
done

# What flowtab cannot do is refused with an OpenFlow error; the table stays as it was.
VER=(-O OpenFlow13)
before=$(dump vof)
for bad in "actions=group:1" "metadata=0x1,actions=drop" \
	"actions=write_actions(output:1)" "actions=output:1,clear_actions" "actions=meter:1,output:1" \
	"ip,nw_ecn=1,actions=drop" "actions=push_mpls:0x8847,output:1" "actions=set_queue:1"; do
	out=$(vof add-flow "$bad" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ] && grep -q "OFPT_ERROR" <<<"$out"; then
		pass "refused with $(grep -o 'OFP[A-Z]*_[A-Z_]*' <<<"$out" | head -1): $bad"
	else
		fail "not refused with an OpenFlow error: $bad (rc $rc: $out)"
	fi
done
# The CONTROLLER action goes in with its max_len and reads back as ovs-vswitchd prints it.
for ver in OpenFlow10 OpenFlow13; do
	VER=(-O "$ver")
	vof add-flow "priority=7,udp,actions=controller:100,output:1" 2>&1 &&
		vof dump-flows udp 2>&1 | grep -q "priority=7,udp actions=CONTROLLER:100,output:" &&
		pass "$ver: actions=controller:100 added and dumped" ||
		fail "$ver: actions=controller:100 ($(vof dump-flows 2>&1))"
	vof del-flows --strict "priority=7,udp"
done
VER=(-O OpenFlow13)
after=$(dump vof)
[ "$before" = "$after" ] && pass "the refused rules left the table unchanged" ||
	fail "the table changed after refused rules"

# Flow-based tunnel endpoints: set_field to tun_dst and tun_src (NXM_NX_TUN_IPV4_DST/SRC,
# a reg_load in 1.0, a set-field in 1.3) beside a tun_src match, sent and dumped as by
# ovs-vswitchd.
for ver in "" OpenFlow13; do
	VER=()
	[ -n "$ver" ] && VER=(-O "$ver")
	both del-flows
	both add-flow "priority=21,in_port=1,tun_src=172.31.13.2,tun_id=100,actions=set_field:172.31.13.3->tun_dst,set_field:172.31.13.11->tun_src,set_field:200->tun_id,output:2" &&
		both add-flow "priority=22,in_port=2,actions=set_field:172.31.13.2->tun_dst,output:1,set_field:172.31.13.3->tun_dst,output:3" &&
		same "${ver:-OpenFlow10+NXM}: set_field to tun_dst and tun_src" 2
	# The same over an IPv6 underlay (NXM_NX_TUN_IPV6_SRC/DST: two 64-bit loads in 1.0).
	both del-flows
	both add-flow "priority=23,in_port=1,tun_ipv6_src=fd00:13::2,tun_ipv6_dst=fd00:13::/64,tun_id=100,actions=set_field:fd00:13::3->tun_ipv6_dst,set_field:fd00:13::11->tun_ipv6_src,output:2" &&
		same "${ver:-OpenFlow10+NXM}: tun_ipv6_src/tun_ipv6_dst matched and set" 1
done
VER=()
both del-flows

# flow_mod flags: check_overlap refuses an add that a rule of the same priority overlaps
# (OFPFMFC_OVERLAP), but not the same match (a replace), another priority or a disjoint
# match; reset_counts and the no_*_counts hints are taken.  As ovs-vswitchd does.
for ver in "" OpenFlow13; do
	name=${ver:-"OpenFlow10+NXM"}
	VER=()
	[ -n "$ver" ] && VER=(-O "$ver")
	both add-flow "priority=40,ip,nw_src=10.0.0.0/8,actions=output:1"
	for f in "priority=40,ip,nw_dst=10.1.0.0/16" "priority=40,ip,nw_src=10.1.0.0/16" \
		"priority=40,ip" "priority=40,actions=drop"; do
		case $f in *actions=*) ;; *) f="$f,actions=output:2" ;; esac
		for who in vof oof; do
			[ "$who" = oof ] && [ "$have_ovs" != 1 ] && continue
			out=$($who add-flow "check_overlap,$f" 2>&1)
			if grep -q "OFPFMFC_OVERLAP" <<<"$out"; then
				pass "$name: $who refuses check_overlap,$f with OFPFMFC_OVERLAP"
			else
				fail "$name: $who: check_overlap,$f not refused (${out:-accepted})"
			fi
		done
	done
	for f in "priority=41,ip,nw_dst=10.1.0.0/16" "priority=40,ip,nw_src=11.0.0.0/8" \
		"priority=40,ip,nw_src=10.0.0.0/8"; do
		both add-flow "check_overlap,$f,actions=output:3" &&
			pass "$name: check_overlap,$f accepted"
	done
	# Compared through NXST_FLOW, which has no flags: a 1.3 dump of ovs-vswitchd shows
	# them (check_overlap) and vireo's does not keep them.
	VER=()
	same "$name: after the check_overlap adds" 3 ip
	both del-flows ip
done
VER=(-O OpenFlow13)
both add-flow "priority=42,ip,actions=output:1" &&
	both mod-flows "reset_counts,ip,actions=output:2" &&
	both add-flow "no_packet_counts,no_byte_counts,priority=43,ip,actions=output:1" &&
	pass "OpenFlow13: reset_counts, no_packet_counts, no_byte_counts taken"
VER=()
same "OpenFlow13: after reset_counts and no_*_counts" 2 ip
both del-flows ip

# The rest of what ovs-ofctl asks, in both versions.
for ver in OpenFlow10 OpenFlow13; do
	VER=(-O "$ver")
	out=$(vof show 2>&1)
	grep -q " 2(p2): addr:" <<<"$out" && pass "$ver: show lists the ports" ||
		fail "$ver: show: $out"
	out=$(vof dump-ports 2 2>&1)
	grep -q "port  2: rx pkts=20, bytes=2000" <<<"$out" && pass "$ver: dump-ports br0 2" ||
		fail "$ver: dump-ports: $out"
	out=$(vof dump-ports-desc 2>&1)
	[ "$(grep -c "(p[123])" <<<"$out")" = 3 ] &&
		[ "$(grep -c "current: *10GB-FD COPPER$" <<<"$out")" = 3 ] &&
		pass "$ver: dump-ports-desc (10GB-FD COPPER in this version's bits)" ||
		fail "$ver: dump-ports-desc: $out"
	out=$(vof dump-tables 2>&1)
	grep -q "table 0" <<<"$out" && pass "$ver: dump-tables" || fail "$ver: dump-tables: $out"
	out=$(vof dump-desc 2>&1)
	grep -q "Hardware: vireo-dp" <<<"$out" && pass "$ver: dump-desc" ||
		fail "$ver: dump-desc: $out"
done
out=$(vof dump-table-features 2>&1 | head -12)
grep -q "next tables: 1-254" <<<"$out" && pass "OpenFlow13: dump-table-features" ||
	fail "OpenFlow13: dump-table-features: $out"
# 3000 rules: dumps span several multipart messages (64 kB each).
VER=()
vof del-flows
for i in $(seq 0 2999); do
	echo "priority=$((100 + i % 50)),ip,nw_dst=10.$((i / 256)).$((i % 256)).0/24,actions=output:$((1 + i % 3))"
done >"$W/big"
vof add-flows "$W/big" && pass "add-flows of 3000 rules"
for ver in OpenFlow10 OpenFlow13; do
	VER=(-O "$ver")
	n=$(vof dump-flows | grep -c "priority=")
	[ "$n" = 3000 ] && pass "$ver: dump-flows of 3000 rules in several messages" ||
		fail "$ver: dump-flows shows $n of 3000 rules"
done
VER=()
n=$(vof dump-flows | grep -c "priority=")
[ "$n" = 3000 ] && pass "NXST_FLOW: dump-flows of 3000 rules" || fail "NXST_FLOW: $n of 3000"
VER=(-F openflow10)
out=$(vof dump-flows)
n=$(grep -c "priority=" <<<"$out")
[ "$n" = 3000 ] && grep -q "priority=149,ip,nw_dst=10.11.183.0/24 actions=output:3" <<<"$out" &&
	pass "OFPST_FLOW (-F openflow10, the 1.0 match): 3000 rules" ||
	fail "OFPST_FLOW (-F openflow10): $n of 3000"

for v in OpenFlow11 OpenFlow12; do
	VER=(-O "$v")
	out=$(vof show 2>&1)
	grep -q "version negotiation failed" <<<"$out" &&
		pass "$v alone: version negotiation fails cleanly" || fail "$v: $out"
done
server_stops
finish
