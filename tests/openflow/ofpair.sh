# SPDX-License-Identifier: BSD-3-Clause
#
# Sourced by tests/openflow scripts (after tests/lib.sh): openflow/ + flowtab behind
# tests/openflow/of_server and, side by side, Open vSwitch's own ovs-vswitchd (a netdev
# bridge br0 with internal ports p1..p3 = ofports 1..3, in a private network namespace and
# run directory), so that the same ovs-ofctl commands can be run against both.
#
# Sets: W (a scratch directory), V and OVS_D (the run directories), SERVER_PID, have_ovs
# (1 when ovs-vswitchd runs), VER (the ovs-ofctl version options of the round).
# Defines: vof/oof CMD [ARGS...] (ovs-ofctl CMD br0 ARGS on vireo / on Open vSwitch).
SERVER=$BUILD/tests/openflow/of_server
SCHEMA=${VSWITCH_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}
W=$(mktemp -d /tmp/vireo-ofpair.XXXXXX)
NS=vofp$$
OVS_D=$W/ovs
at_exit 'rm -rf "$W"'
at_exit 'ip netns del "$NS" 2>/dev/null'
# ovs-vswitchd leaves its netdev bridge's tap devices behind (at_exit runs the latest first).
at_exit 'ip link del br0 2>/dev/null; pgrep -f "^[^ ]*ovs-vswitchd" >/dev/null || ip link del ovs-netdev 2>/dev/null'
at_exit 'ovs-appctl -t "$OVS_D/ovsdb.ctl" exit >/dev/null 2>&1'
at_exit 'ovs-appctl -t "$OVS_D/vswitchd.ctl" exit >/dev/null 2>&1'

command -v ovs-ofctl >/dev/null || skip_all "ovs-ofctl not installed"
[ -x "$SERVER" ] || { fail "$SERVER not built"; finish; }

V=$W/vireo
mkdir -p "$V"
"$SERVER" "$V/br0.mgmt" 1:p1 2:p2 3:p3 >"$W/server.log" 2>&1 &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
for _ in $(seq 50); do [ -S "$V/br0.mgmt" ] && break; sleep 0.1; done

mkdir -p "$OVS_D"
have_ovs=0
if command -v ovs-vswitchd >/dev/null && [ -r "$SCHEMA" ] && ip netns add "$NS" 2>/dev/null; then
	export OVS_DBDIR=$OVS_D OVS_LOGDIR=$OVS_D OVS_SYSCONFDIR=$OVS_D
	ovsdb-tool create "$OVS_D/conf.db" "$SCHEMA" >/dev/null &&
	OVS_RUNDIR=$OVS_D ovsdb-server "$OVS_D/conf.db" --remote="punix:$OVS_D/db.sock" \
		--unixctl="$OVS_D/ovsdb.ctl" --pidfile="$OVS_D/ovsdb.pid" \
		--log-file="$OVS_D/ovsdb.log" --detach -vconsole:off 2>/dev/null &&
	ovs-vsctl --db="unix:$OVS_D/db.sock" --no-wait init &&
	OVS_RUNDIR=$OVS_D ip netns exec "$NS" ovs-vswitchd "unix:$OVS_D/db.sock" \
		--pidfile="$OVS_D/vswitchd.pid" --unixctl="$OVS_D/vswitchd.ctl" \
		--log-file="$OVS_D/vswitchd.log" --detach -vconsole:off 2>/dev/null &&
	ovs-vsctl --db="unix:$OVS_D/db.sock" --timeout=20 add-br br0 -- \
		set bridge br0 datapath_type=netdev fail_mode=secure -- \
		add-port br0 p1 -- set Interface p1 type=internal ofport_request=1 -- \
		add-port br0 p2 -- set Interface p2 type=internal ofport_request=2 -- \
		add-port br0 p3 -- set Interface p3 type=internal ofport_request=3 &&
	have_ovs=1
fi
[ "$have_ovs" = 1 ] || echo "note: ovs-vswitchd could not be started; vireo alone is checked"

VER=()
vof() { local c=$1; shift; OVS_RUNDIR=$V ovs-ofctl "${VER[@]}" "$c" br0 "$@"; }
oof() { local c=$1; shift; OVS_RUNDIR=$OVS_D ovs-ofctl "${VER[@]}" "$c" br0 "$@"; }
