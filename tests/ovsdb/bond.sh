#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Bonds made with ovs-vsctl add-bond (vireo-dp --ovsdb): a bond of two dpdk interfaces
# (net_null devices) comes up as one port with both interfaces reporting its ofport;
# bond/show answers through ovs-appctl; balance-slb, lacp=passive and active-backup with LACP
# are taken; the bond settings vireo-dp cannot run (LACP with balance-slb, balance-tcp
# without LACP, bond_updelay with LACP, a member that is no dpdk interface) fail the bond's
# interfaces with an error naming the setting, and the bond works again once the setting is
# taken back.  Traffic, failover and LACP against
# Linux's bonding driver: tests/dp/bond.sh.
#
# Usage: VIREO_BUILD=BUILD_DIR tests/ovsdb/bond.sh    (PASS/FAIL lines; exit 1 on FAIL)
. "$(dirname "$0")/../dp/lib.sh"
. "$(dirname "$0")/lib-ovsdb.sh"
BR=ob$$   # the bridge's local port is a kernel device: a name no other process holds

check "ovsdb-server and vireo-dp --ovsdb start (DPDK initialised)" ovsdb_dp_start
check "add-br $BR (netdev)" vsctl add-br $BR -- set bridge $BR datapath_type=netdev
out=$(vsctl add-bond $BR bond0 m1 m2 \
	-- set Interface m1 type=dpdk options:dpdk-devargs=net_null1 \
	-- set Interface m2 type=dpdk options:dpdk-devargs=net_null2 \
	-- set Port bond0 bond_mode=active-backup bond_updelay=100 2>&1)
check "add-bond bond0 m1 m2 (active-backup): no 'Error detected' ($out)" \
	test -z "$(grep 'Error detected' <<<"$out")"
of1=$(get Interface m1 ofport)
check "m1 and m2 share the bond's ofport ($of1)" \
	eval 'is_positive "$of1" && test "$(get Interface m2 ofport)" = "$of1"'
check "m1 and m2 have no error" eval 'test -z "$(iface_error m1)$(iface_error m2)"'
show=$(ovs-appctl -t "$CTL" bond/show bond0 2>&1)
echo "$show"
check "bond/show bond0: active-backup, updelay 100 ms" \
	eval 'grep -q "^bond_mode: active-backup" <<<"$show" && grep -q "^updelay: 100 ms" <<<"$show"'
check "bond/show bond0 lists member m1 and member m2" \
	eval 'grep -q "^member m1: " <<<"$show" && grep -q "^member m2: " <<<"$show"'
check "bond/show nosuch: an error" \
	eval '! ovs-appctl -t "$CTL" bond/show nosuch >/dev/null 2>&1'
check "bond/show: active-backup primary: <none>" \
	grep -q "^active-backup primary: <none>$" <<<"$show"
check "other_config:bond-primary=m2: taken, m2 is the active member" \
	eval 'vsctl set Port bond0 other_config:bond-primary=m2 &&
	show=$(ovs-appctl -t "$CTL" bond/show bond0) &&
	grep -q "^active-backup primary: m2$" <<<"$show" &&
	grep -A1 "^member m2: enabled" <<<"$show" | grep -q "active member" &&
	! grep -q "bond-primary.*not applied" "$RUN/dp.log"'
vsctl remove Port bond0 other_config bond-primary >/dev/null

# refused: each names its setting, and the bond comes back when it is taken back
refused() {
	local what=$1 pattern=$2 set=$3 back=$4
	check "$what: the bond fails, the error names it" \
		eval "vsctl $set && test \"\$(get Interface m1 ofport)\" = -1 &&
		iface_error m1 | grep -q -- \"$pattern\" && iface_error m2 | grep -q -- \"$pattern\""
	check "... taken back ($back): the bond works again" \
		eval "vsctl $back && is_positive \"\$(get Interface m1 ofport)\" &&
		test -z \"\$(iface_error m1)\""
}
check "bond_mode=balance-slb: the bond works (ofport kept, no error)" \
	eval 'vsctl set Port bond0 bond_mode=balance-slb && is_positive "$(get Interface m1 ofport)" &&
	test -z "$(iface_error m1)" && ovs-appctl -t "$CTL" bond/show bond0 | grep -q "^bond_mode: balance-slb"'
refused "lacp=active with balance-slb" "lacp.*active.*refused with bond_mode balance-slb" \
	"set Port bond0 lacp=active" "set Port bond0 lacp=off bond_mode=active-backup"
check "lacp=passive with active-backup: the bond works, lacp/show says passive" \
	eval 'vsctl set Port bond0 bond_updelay=0 lacp=passive && is_positive "$(get Interface m1 ofport)" &&
	test -z "$(iface_error m1)" &&
	ovs-appctl -t "$CTL" lacp/show bond0 | grep -q "^  status: passive"'
check "... lacp=off again" vsctl set Port bond0 lacp=off
refused "bond_mode=balance-tcp without LACP" "balance-tcp.*refused.*lacp=active" \
	"set Port bond0 bond_mode=balance-tcp" "set Port bond0 bond_mode=active-backup"
check "lacp=active with active-backup: the bond works (no error)" \
	eval 'vsctl set Port bond0 bond_updelay=0 lacp=active && is_positive "$(get Interface m1 ofport)" &&
	test -z "$(iface_error m1)" && ovs-appctl -t "$CTL" bond/show bond0 | grep -q "^lacp_status: "'
refused "bond_updelay with lacp=active" "bond_updelay.*refused with lacp=active" \
	"set Port bond0 bond_updelay=100" "set Port bond0 bond_updelay=0"
check "... lacp cleared" vsctl clear Port bond0 lacp
refused "a member of type dpdkvhostuser" "interface 'm2': key 'type'.*refused" \
	"set Interface m2 type=dpdkvhostuser" "set Interface m2 type=dpdk"
refused "other_config:lacp-fallback-ab=true" "Port:other_config:lacp-fallback-ab.*refused" \
	"set Port bond0 other_config:lacp-fallback-ab=true" \
	"remove Port bond0 other_config lacp-fallback-ab"
check "bond-rebalance-interval=10000: accepted, logged as not applied" \
	eval 'vsctl set Port bond0 other_config:bond-rebalance-interval=10000 &&
	is_positive "$(get Interface m1 ofport)" &&
	grep -q "bond-rebalance-interval.*accepted but not applied" "$RUN/dp.log"'
check "del-port bond0: the bond goes, bond/show has nothing" \
	eval 'vsctl del-port $BR bond0 && test -z "$(ovs-appctl -t "$CTL" bond/show)"'
finish
