#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Open vSwitch's Geneve option table over OpenFlow (NXT_TLV_TABLE_MOD/REQUEST, as
# `ovs-ofctl add-tlv-map/del-tlv-map/dump-tlv-map` and ovn-controller send them) and the
# tun_metadataN fields it maps, in matches and set_field, in OpenFlow 1.0 (NXM), 1.3 and 1.5:
# against openflow/ + flowtab (of_server, with vireo-dp's limits: tun_metadata0..1 of 4
# bytes) and ovs-vswitchd side by side (ofctl_lib.sh).  The same errors from both: an index
# already mapped, an option mapped twice, a rule naming an unmapped field, unmapping a field
# a rule uses.  vireo-dp's own table behind these messages is checked in openflow-dp.
. "$(dirname "$0")/../lib.sh"
TEST_NAME=openflow-tlv
. "$(dirname "$0")/ofctl_lib.sh"

# The mapping table lines of dump-tlv-map (the capacities differ: 2 fields against 64).
maps() { "$1" dump-tlv-map | awk '/match field/ { on = 1; next } on && !/^ *-/'; }

# refused NAME ERROR CMD ARGS...: ovs-ofctl fails with OpenFlow error ERROR on vireo, and on
# Open vSwitch when it runs.
refused() {
	local name=$1 err=$2 who out
	shift 2
	for who in vof oof; do
		[ "$who" = oof ] && [ "$have_ovs" != 1 ] && continue
		out=$($who "$@" 2>&1)
		if [ $? -ne 0 ] && grep -q "OFPT_ERROR.*: $err\$" <<<"$out"; then
			pass "$name: $err from $([ $who = vof ] && echo vireo || echo ovs-vswitchd)"
		else
			fail "$name: $who $* did not fail with $err: $out"
		fi
	done
}

# same_maps NAME: dump-tlv-map's mappings equal on both (vireo's shown in the message).
same_maps() {
	local a b
	a=$(maps vof)
	if [ "$have_ovs" = 1 ]; then
		b=$(maps oof)
		[ "$a" = "$b" ] && pass "$1: dump-tlv-map equal to ovs-vswitchd's ($(echo $a))" ||
			fail "$1: dump-tlv-map differs: vireo '$a', ovs '$b'"
	else
		pass "$1: dump-tlv-map: $(echo $a)"
	fi
}

check "dump-tlv-map of vireo: 2 fields of 4 bytes, none allocated" \
	bash -c "OVS_RUNDIR=$V ovs-ofctl dump-tlv-map br0 | grep -q 'max option space=8 max fields=2'"
check "an empty table on both" test -z "$(maps vof)"
both add-tlv-map "{class=0xffff,type=0,len=4}->tun_metadata0" &&
	pass "add-tlv-map tun_metadata0"
same_maps "after one add"
refused "the same index again" NXTTMFC_ALREADY_MAPPED \
	add-tlv-map "{class=0xffff,type=1,len=4}->tun_metadata0"
refused "the same option to another index" NXTTMFC_DUP_ENTRY \
	add-tlv-map "{class=0xffff,type=0,len=4}->tun_metadata1"
# Atomic: a message whose second mapping fails (its index taken by the first) adds neither.
refused "two mappings to one index" NXTTMFC_ALREADY_MAPPED \
	add-tlv-map "{class=0x0102,type=0x80,len=4}->tun_metadata1,{class=0xffff,type=0,len=4}->tun_metadata1"
same_maps "after the refused ones (nothing added)"
refused "a rule on an unmapped field" NXFMFC_INVALID_TLV_FIELD \
	add-flow "tun_metadata1=0x5,actions=output:1"
refused "a rule setting an unmapped field" NXFMFC_INVALID_TLV_FIELD \
	add-flow "actions=set_field:0x5->tun_metadata1,output:1"
# OVN's option (class 0x0102, type 0x80): the second field.
both add-tlv-map "{class=0x0102,type=0x80,len=4}->tun_metadata1" &&
	pass "add-tlv-map OVN's option to tun_metadata1"
same_maps "two mappings"

for ver in "" OpenFlow13 OpenFlow15; do
	VER=(${ver:+-O "$ver"})
	name=${ver:-OpenFlow10+NXM}
	vof del-flows
	[ "$have_ovs" = 1 ] && oof del-flows
	both add-flow "priority=10,tun_metadata0=0x1234,actions=set_field:0xabcd->tun_metadata1,output:1" &&
		both add-flow "priority=5,tun_metadata0=0x10/0xf0,actions=output:2" &&
		both add-flow "priority=4,tun_metadata1=0xffffffff,tun_id=0x5,actions=set_field:7->tun_metadata0,output:3" &&
		pass "$name: three rules on tun_metadata0..1"
	# ovs-vswitchd adds reset_counts to 1.3+ dumps (a flag vireo-dp does not keep).
	a=$(dump vof | sed 's/reset_counts //')
	if [ "$have_ovs" = 1 ]; then
		b=$(dump oof | sed 's/reset_counts //')
		[ "$a" = "$b" ] && pass "$name: dump-flows equal to ovs-vswitchd's" ||
			{ fail "$name: dump-flows differ (< ovs, > vireo)"; diff <(echo "$b") <(echo "$a"); }
	fi
	grep -q "tun_metadata0=0x10/0xf0 actions=output:2" <<<"$a" &&
		grep -q "set_field:0xabcd->tun_metadata1" <<<"$a" &&
		pass "$name: vireo dumps the masked match and the set_field" ||
		fail "$name: vireo's dump: $a"
	both del-flows --strict "priority=5,tun_metadata0=0x10/0xf0" &&
		[ "$(dump vof | grep -c .)" = 2 ] && pass "$name: del-flows --strict on a tun_metadata match" ||
		fail "$name: del-flows --strict: $(dump vof)"
done
VER=()

refused "unmapping a field rules use" NXTTMFC_INVALID_TLV_DEL \
	del-tlv-map "{class=0xffff,type=0,len=4}->tun_metadata0"
refused "clearing while rules use the fields" NXTTMFC_INVALID_TLV_DEL del-tlv-map
same_maps "after the refused deletes (both still there)"
vof del-flows
[ "$have_ovs" = 1 ] && oof del-flows
both del-tlv-map "{class=0xffff,type=0,len=4}->tun_metadata0" &&
	pass "del-tlv-map of an unused field"
same_maps "after one delete"
both del-tlv-map && pass "del-tlv-map clears the rest"
check "the table is empty" test -z "$(maps vof)"

# What only vireo-dp refuses: fields past tun_metadata1 and options longer than 4 bytes.
out=$(vof add-tlv-map "{class=0xffff,type=2,len=4}->tun_metadata2" 2>&1)
grep -q "NXTTMFC_BAD_FIELD_IDX" <<<"$out" && pass "tun_metadata2: NXTTMFC_BAD_FIELD_IDX" ||
	fail "tun_metadata2: $out"
out=$(vof add-tlv-map "{class=0xffff,type=2,len=8}->tun_metadata0" 2>&1)
grep -q "NXTTMFC_BAD_OPT_LEN" <<<"$out" && pass "len=8: NXTTMFC_BAD_OPT_LEN" ||
	fail "len=8: $out"
check "nothing was added" test -z "$(maps vof)"
server_stops
finish
