#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Groups and meters through unmodified ovs-ofctl (-O OpenFlow13; OpenFlow15 where vireo
# negotiates it), against openflow/ + flowtab (of_server) and ovs-vswitchd side by side:
# add-group, mod-group, del-groups, dump-groups, dump-group-stats, add-meter, mod-meter,
# del-meters, dump-meters, meter-stats and --bundle add-groups print the same for both, and
# bad requests get the same OpenFlow errors.
#
# usage: tests/openflow/groups.sh   (VIREO_BUILD: the build directory, default build/)
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ofctl_lib.sh"

# The reply body without its header line, durations and ages, sorted.
norm() {
	grep -v "reply\|^OFPST" | sed -e 's/^ *//' -e 's/duration[=:][0-9.]*s,\? *//' \
		-e 's/\(idle\|hard\)_age=[0-9]*, //g' | sort
}

# same WHAT CMD [ARGS...]: CMD's output is the same on both (or, without OVS, not empty).
same() {
	local what=$1 a b
	shift
	a=$(vof "$@" 2>&1 | norm)
	if [ "$have_ovs" = 1 ]; then
		b=$(oof "$@" 2>&1 | norm)
		if [ "$a" = "$b" ]; then
			pass "$what: $1 equal to ovs-vswitchd's ($(grep -c . <<<"$a") lines)"
		else
			fail "$what: $1 differs from ovs-vswitchd's (< ovs, > vireo)"
			diff <(echo "$b") <(echo "$a") | sed 's/^/    /'
		fi
	elif [ -n "$a" ]; then
		pass "$what: $1 ($(grep -c . <<<"$a") lines)"
	else
		fail "$what: $1 printed nothing"
	fi
}

both() { # both CMD [ARGS...]: succeeds on both
	local out
	out=$(vof "$@" 2>&1) || { fail "vireo: ovs-ofctl $* failed: $out"; return 1; }
	if [ "$have_ovs" = 1 ]; then
		out=$(oof "$@" 2>&1) || { fail "ovs: ovs-ofctl $* failed: $out"; return 1; }
	fi
	return 0
}

# refused WHAT ERROR CMD [ARGS...]: both answer with OpenFlow error ERROR ('refused_vireo':
# vireo does, where ovs-vswitchd accepts and leaves it to its per-packet limits).
refused() { refusers="vof oof" refused_by "$@"; }
refused_vireo() { refusers=vof refused_by "$@"; }
refused_by() {
	local what=$1 want=$2 out who
	shift 2
	for who in $refusers; do
		[ "$who" = oof ] && [ "$have_ovs" != 1 ] && continue
		out=$($who "$@" 2>&1)
		if grep -q "$want" <<<"$out"; then
			pass "$what: $who $want"
		else
			fail "$what: $who answered '$(head -1 <<<"$out")', expected $want"
		fi
	done
}

# OpenFlow 1.5's bucket ids and bucket commands (insert-buckets, remove-buckets): the order
# buckets land in, the ids ovs-ofctl gives, the errors, and the weight an inserted bucket of
# a select group gets (ovs-ofctl sends no type with it: 0 unless given, on both).
buckets15() {
	both add-group "group_id=20,type=select,bucket=bucket_id:5,weight:3,actions=output:1,bucket=bucket_id:9,actions=output:2"
	both add-group "group_id=21,type=ff,bucket=watch_port:1,actions=output:1,bucket=watch_group:3,actions=output:2"
	same "$ver bucket ids" dump-groups
	both insert-buckets "group_id=20,command_bucket_id=last,bucket=bucket_id:12,actions=output:3"
	both insert-buckets "group_id=20,command_bucket_id=first,bucket=bucket_id:1,actions=output:3"
	both insert-buckets "group_id=20,command_bucket_id=5,bucket=bucket_id:6,actions=output:1,bucket=bucket_id:7,actions=mod_dl_src:00:00:00:00:00:07,output:2"
	same "$ver insert-buckets first, last, after 5" dump-groups 20
	refused "$ver: insert of a bucket id in use" OFPGMFC_BUCKET_EXISTS \
		insert-buckets "group_id=20,command_bucket_id=last,bucket=bucket_id:9,actions=output:3"
	refused "$ver: insert of a bucket without id where 0 is in use" OFPGMFC_BUCKET_EXISTS \
		insert-buckets "group_id=21,command_bucket_id=last,bucket=actions=output:3"
	refused "$ver: insert after a bucket that does not exist" OFPGMFC_UNKNOWN_BUCKET \
		insert-buckets "group_id=20,command_bucket_id=44,bucket=bucket_id:45,actions=output:3"
	refused "$ver: insert into a group that does not exist" OFPGMFC_UNKNOWN_GROUP \
		insert-buckets "group_id=29,command_bucket_id=last,bucket=bucket_id:45,actions=output:3"
	both insert-buckets "group_id=20,command_bucket_id=last,bucket=bucket_id:45,weight:2,actions=output:3"
	same "$ver insert-buckets with a weight" dump-groups 20
	refused "$ver: insert of a watching bucket (no type: not ff)" OFPGMFC_WATCH_UNSUPPORTED \
		insert-buckets "group_id=21,command_bucket_id=last,bucket=bucket_id:45,watch_port:2,actions=output:3"
	refused "$ver: a bucket id twice" OFPGMFC_BAD_BUCKET \
		add-group "group_id=31,type=all,bucket=bucket_id:1,actions=output:1,bucket=bucket_id:1,actions=output:2"
	# ovs-vswitchd takes Netronome's selection_method property; flowtab's hash is its own.
	refused_vireo "$ver: a group property (selection_method)" OFPBPC_BAD_TYPE \
		add-group "group_id=32,type=select,selection_method=hash,bucket=output:1"
	# ovs-vswitchd 3.1 gives an indirect group a second bucket here.
	both add-group "group_id=22,type=indirect,bucket=bucket_id:1,actions=output:1"
	refused_vireo "$ver: a second bucket into an indirect group" OFPGMFC_INVALID_GROUP \
		insert-buckets "group_id=22,command_bucket_id=last,bucket=bucket_id:2,actions=output:2"
	both del-groups group_id=22
	both remove-buckets "group_id=20,command_bucket_id=first"
	both remove-buckets "group_id=20,command_bucket_id=9"
	both remove-buckets "group_id=20,command_bucket_id=last"
	same "$ver remove-buckets first, 9, last" dump-groups 20
	refused "$ver: remove of a bucket that does not exist" OFPGMFC_UNKNOWN_BUCKET \
		remove-buckets "group_id=20,command_bucket_id=9"
	both remove-buckets "group_id=21,command_bucket_id=0"
	both remove-buckets "group_id=21,command_bucket_id=first"
	both remove-buckets "group_id=21,command_bucket_id=first"
	both insert-buckets "group_id=21,command_bucket_id=first,bucket=bucket_id:3,actions=output:3"
	same "$ver remove-buckets to none, insert into none" dump-groups 21
	both remove-buckets "group_id=20"
	same "$ver remove-buckets all" dump-groups
	both add-flow "priority=14,in_port=3,actions=group:20"
	same "$ver group-stats after bucket commands" dump-group-stats
	both del-groups group_id=20
	both del-groups group_id=21
	same "$ver del-groups with bucket ids" dump-groups
}

# --bundle add-groups: adds (one to a group of the same bundle), a modify, an add_or_mod and
# deletes (of a group the bundle made and of one it did not, with the rule that uses it) in
# one atomic bundle; a bundle with a modify of a group that does not exist changes nothing.
bundled_groups() {
	local before out who
	both add-group "group_id=30,type=all,bucket=output:3"
	both add-flow "priority=30,in_port=3,actions=group:30"
	cat >"$W/gbundle" <<-'EOC'
	add group_id=20,type=all,bucket=output:1,bucket=output:3
	add group_id=21,type=indirect,bucket=actions=group:20
	modify group_id=1,type=all,bucket=output:2,bucket=output:3
	add_or_mod group_id=22,type=select,bucket=weight:3,actions=output:1
	add group_id=23,type=indirect,bucket=actions=output:2
	delete group_id=23
	delete group_id=30
	EOC
	printf '%s\n' "add group_id=40,type=all,bucket=output:1" \
		"modify group_id=41,type=all,bucket=output:2" >"$W/gbundle-bad"
	VER=(-O "$ver" --bundle)
	both add-groups "$W/gbundle" && pass "$ver: --bundle add-groups"
	VER=(-O "$ver")
	same "$ver --bundle add-groups" dump-groups
	same "$ver --bundle delete takes the group's rule" dump-flows
	before=$(vof dump-groups | norm)
	VER=(-O "$ver" --bundle)
	refused "$ver: a bundle with a modify of no group" OFPGMFC_UNKNOWN_GROUP \
		add-groups "$W/gbundle-bad"
	VER=(-O "$ver")
	[ "$(vof dump-groups | norm)" = "$before" ] &&
		pass "$ver: the failed group bundle changed nothing" ||
		fail "$ver: the failed group bundle changed the groups"
	same "$ver after the failed group bundle" dump-groups
	both del-groups group_id=21
	both del-groups group_id=20
	both del-groups group_id=22
}

for ver in OpenFlow13 OpenFlow14 OpenFlow15; do
	VER=(-O "$ver")
	if ! vof show >/dev/null 2>&1; then
		skip "$ver: vireo does not negotiate it"
		continue
	fi
	both del-flows
	both del-groups
	both del-meters
	both add-group "group_id=1,type=all,bucket=output:1,bucket=output:2"
	both add-group "group_id=2,type=select,bucket=weight:10,actions=output:1,bucket=weight:20,actions=mod_nw_dst:10.1.2.3,output:2"
	both add-group "group_id=3,type=ff,bucket=watch_port:1,actions=output:1,bucket=watch_port:2,actions=output:2"
	both add-group "group_id=4,type=indirect,bucket=actions=group:3"
	both add-group "group_id=5,type=select,bucket=output:3,bucket=output:1"
	same "$ver add-group" dump-groups
	both mod-group "group_id=1,type=all,bucket=output:3"
	both mod-group --may-create "group_id=6,type=indirect,bucket=output:2"
	same "$ver mod-group" dump-groups
	same "$ver one group" dump-groups 2
	both del-groups group_id=6
	same "$ver del-groups group_id=6" dump-groups
	refused "$ver: add of a group that exists" OFPGMFC_GROUP_EXISTS \
		add-group "group_id=1,type=all,bucket=output:1"
	refused "$ver: modify of a group that does not exist" OFPGMFC_UNKNOWN_GROUP \
		mod-group "group_id=9,type=all,bucket=output:1"
	refused "$ver: a rule to a group that does not exist" OFPBAC_BAD_OUT_GROUP \
		add-flow "in_port=1,actions=group:9"
	# ovs-vswitchd 3.1 accepts both (and stops such packets at its translation limits).
	refused_vireo "$ver: a loop of groups" OFPGMFC_LOOP \
		mod-group "group_id=3,type=ff,bucket=watch_port:1,actions=group:4"
	refused_vireo "$ver: a bucket to a group that does not exist" OFPGMFC_UNKNOWN_GROUP \
		add-group "group_id=7,type=all,bucket=actions=group:99"
	both add-group "group_id=10,type=indirect,bucket=actions=group:4"
	both add-group "group_id=11,type=indirect,bucket=actions=group:10"
	refused_vireo "$ver: groups chained 5 deep" OFPGMFC_CHAINING_UNSUPPORTED \
		add-group "group_id=12,type=indirect,bucket=actions=group:11"
	refused_vireo "$ver: delete of a group another chains to" OFPGMFC_CHAINED_GROUP \
		del-groups group_id=10
	both del-groups group_id=11
	both del-groups group_id=10
	[ "$ver" = OpenFlow15 ] && buckets15
	both add-flow "priority=10,in_port=1,actions=group:1"
	both add-flow "priority=11,in_port=2,actions=group:2"
	same "$ver flows with groups" dump-flows
	same "$ver out_group filter" dump-flows out_group=2
	same "$ver dump-group-stats" dump-group-stats
	# Deleting a group deletes the rules that use it.
	both del-groups group_id=2
	same "$ver del-groups takes its rules" dump-flows
	bundled_groups

	both add-meter "meter=1,kbps,burst,stats,bands=type=drop,rate=1000,burst_size=100"
	both add-meter "meter=2,pktps,stats,bands=type=drop,rate=500"
	both add-meter "meter=3,kbps,bands=type=drop,rate=20000"
	same "$ver add-meter" dump-meters
	both mod-meter "meter=3,pktps,burst,bands=type=drop,rate=100,burst_size=10"
	same "$ver mod-meter" dump-meters
	same "$ver one meter" dump-meters meter=2
	both add-flow "priority=12,in_port=3,actions=meter:2,output:1"
	same "$ver flows with meters" dump-flows
	VER=()
	same "$ver flows with meters, dumped with OpenFlow10+NXM" dump-flows
	both add-flow "priority=13,in_port=2,actions=group:1"
	same "OpenFlow10+NXM add-flow with a group" dump-flows
	both del-flows --strict "priority=13,in_port=2"
	VER=(-O "$ver")
	same "$ver meter-stats" meter-stats
	refused "$ver: a rule to a meter that does not exist" OFPMMFC_INVALID_METER \
		add-flow "in_port=3,actions=meter:9,output:1"
	refused "$ver: add of a meter that exists" OFPMMFC_METER_EXISTS \
		add-meter "meter=1,kbps,bands=type=drop,rate=10"
	refused "$ver: modify of a meter that does not exist" OFPMMFC_UNKNOWN_METER \
		mod-meter "meter=9,kbps,bands=type=drop,rate=10"
	out=$(vof add-meter "meter=8,kbps,bands=type=dscp_remark,rate=10,prec_level=1" 2>&1)
	grep -q OFPMMFC_BAD_BAND <<<"$out" && pass "$ver: a dscp_remark band: OFPMMFC_BAD_BAND" ||
		fail "$ver: a dscp_remark band: $out"
	both del-meters meter=2
	same "$ver del-meters takes its rules" dump-flows
	same "$ver del-meters meter=2" dump-meters
	out=$(vof dump-group-features 2>&1)
	grep -q "fast failover group" <<<"$out" && pass "$ver: dump-group-features" ||
		fail "$ver: dump-group-features: $out"
	out=$(vof meter-features 2>&1)
	grep -q "band_types: drop" <<<"$out" && pass "$ver: meter-features" ||
		fail "$ver: meter-features: $out"
	both del-groups
	both del-meters
	same "$ver del-groups, del-meters" dump-groups
done

kill -0 "$SERVER_PID" 2>/dev/null && pass "the server is still running" || fail "the server died"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
rc=$?
if [ "$rc" -eq 0 ] && ! grep -qE "Sanitizer|runtime error" "$W/server.log"; then
	pass "the server stops cleanly"
else
	fail "the server exited $rc"
	cat "$W/server.log"
fi
finish
