#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Helpers for tests of vireo-dp --ovsdb (source after tests/dp/lib.sh, which brings
# tests/lib.sh's check, wait_until and clean-up): Open vSwitch's
# ovsdb-server in this test's private directory, ovs-vsctl against it, vireo-dp in the place
# of ovs-vswitchd.  Changes are made WITHOUT --no-wait, so each returns once vireo-dp wrote
# cur_cfg.

SCHEMA=${VSWITCH_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}
SOCK=$RUN/db.sock
DB=$RUN/conf.db
SRV_PID=

vsctl() { timeout 25 ovs-vsctl --db=unix:"$SOCK" --timeout=20 "$@"; }
get() { ovs-vsctl --db=unix:"$SOCK" --no-wait --timeout=5 get "$@" 2>/dev/null; }
is_positive() { [ -n "$1" ] && [ "$1" -gt 0 ] 2>/dev/null; }

start_server() {
	ovsdb-server --remote=punix:"$SOCK" --pidfile="$RUN/ovsdb.pid" --unixctl="$RUN/ovsdb.ctl" \
		--log-file="$RUN/ovsdb.log" --no-chdir "$DB" >>"$RUN/ovsdb.out" 2>&1 &
	SRV_PID=$!
	PIDS+=("$SRV_PID")
	wait_until 10 test -S "$SOCK"
}

# The switch under test: vireo-dp, or with SWITCH=ovs Open vSwitch's own ovs-vswitchd with
# DPDK (Debian's ovs-vswitchd-dpdk), so that a script checks both behave alike.
SWITCH=${SWITCH:-vireo}
OVS_VSWITCHD=${OVS_VSWITCHD:-/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk}
is_vireo() { [ "$SWITCH" = vireo ]; }

# ovsdb_dp_start [other_config:K=V...]: a fresh database, ovsdb-server, the usual
# other_config (dpdk-init=true, this test's EAL prefix) plus the arguments, then vireo-dp
# --ovsdb (or ovs-vswitchd), waiting until it has initialised DPDK.  Both run with
# OVS_RUNDIR=$RUN, where they put dpdkvhostuser sockets (vhost-sock-dir unset).
ovsdb_dp_start() {
	ovsdb-tool create "$DB" "$SCHEMA" >/dev/null || return 1
	start_server || return 1
	ovs-vsctl --db=unix:"$SOCK" --no-wait init || return 1
	ovs-vsctl --db=unix:"$SOCK" --no-wait set Open_vSwitch . \
		other_config:dpdk-lcore-mask=0x1 other_config:pmd-cpu-mask=0x2 \
		other_config:dpdk-init=true \
		other_config:dpdk-extra="--file-prefix=$PREFIX --no-pci -m 512" "$@" || return 1
	if is_vireo; then
		OVS_RUNDIR=$RUN "$VIREO_DP" --ovsdb=unix:"$SOCK" --control "$CTL" >"$RUN/dp.log" 2>&1 &
	else
		OVS_RUNDIR=$RUN OVS_DBDIR=$RUN OVS_LOGDIR=$RUN OVS_SYSCONFDIR=$RUN \
			"$OVS_VSWITCHD" unix:"$SOCK" --pidfile="$RUN/vswitchd.pid" \
			--unixctl="$RUN/vswitchd.ctl" --log-file="$RUN/dp.log" -vconsole:off \
			>"$RUN/vswitchd.out" 2>&1 &
	fi
	DP_PID=$!
	PIDS+=("$DP_PID")
	wait_until 60 eval 'test "$(get Open_vSwitch . dpdk_initialized)" = true'
}

# iface_error NAME: the Interface's error column ("" when empty).
iface_error() {
	local e
	e=$(get Interface "$1" error)
	[ "$e" = "[]" ] && e=
	echo "$e"
}
