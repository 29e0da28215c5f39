# SPDX-License-Identifier: BSD-3-Clause
#
# Sourced by the ovs-ofctl tests (ofctl.sh, bundle.sh, groups.sh), after tests/lib.sh: starts
# tests/openflow/of_server (openflow/ + flowtab, no DPDK) at $V/br0.mgmt with ports p1..p3
# and, side by side, ovs-vswitchd with a netdev bridge br0 of the same ports in a private
# namespace and run directory ($have_ovs 1 when it runs); vof/oof run ovs-ofctl on each,
# same/both compare and run on both.  $W is the work directory, removed at exit.

SERVER=$BUILD/tests/openflow/of_server
SCHEMA=${VSWITCH_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}
W=$(mktemp -d /tmp/vireo-ofctl.XXXXXX)
NS=vofctl$$
OVS_D=$W/ovs
at_exit 'rm -rf "$W"'
at_exit 'ip netns del "$NS" 2>/dev/null'
# ovs-vswitchd leaves its netdev bridge's tap devices behind: a later switch could not
# make its own br0.  Run last (at_exit runs the latest registered first).
at_exit 'ip link del br0 2>/dev/null; pgrep -f "^[^ ]*ovs-vswitchd" >/dev/null || ip link del ovs-netdev 2>/dev/null'
at_exit 'ovs-appctl -t "$OVS_D/ovsdb.ctl" exit >/dev/null 2>&1'
at_exit 'ovs-appctl -t "$OVS_D/vswitchd.ctl" exit >/dev/null 2>&1'

command -v ovs-ofctl >/dev/null || skip_all "ovs-ofctl not installed"
[ -x "$SERVER" ] || { fail "$SERVER not built"; finish; }

# vireo: openflow/ over a flowtab with ports p1..p3.
V=$W/vireo
mkdir -p "$V"
"$SERVER" "$V/br0.mgmt" 1:p1 2:p2 3:p3 >"$W/server.log" 2>&1 &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
for _ in $(seq 50); do [ -S "$V/br0.mgmt" ] && break; sleep 0.1; done

# Open vSwitch: ovsdb-server and ovs-vswitchd, private directories, a namespace of their own
# for the netdev datapath's tap devices.
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

# The OpenFlow version option of the round ("" is ovs-ofctl's default: 1.0 + Nicira).
VER=()
# vof|oof CMD [ARGS...]: ovs-ofctl CMD br0 ARGS on vireo / on Open vSwitch.
vof() { local c=$1; shift; OVS_RUNDIR=$V ovs-ofctl "${VER[@]}" "$c" br0 "$@"; }
oof() { local c=$1; shift; OVS_RUNDIR=$OVS_D ovs-ofctl "${VER[@]}" "$c" br0 "$@"; }

# dump-flows without counters, sorted (both list the same rules in different orders).
dump() { # dump vof|oof [MATCH]
	local who=$1
	shift
	$who dump-flows --no-stats "$@" | grep -v "reply" | sed 's/^ *//' | sort
}

# same WHAT N [MATCH]: dump-flows of both show N rules and are equal.
same() {
	local what=$1 n=$2 a b
	shift 2
	a=$(dump vof "$@")
	if [ "$(grep -c . <<<"$a")" != "$n" ]; then
		fail "$what: dump-flows $* shows $(grep -c . <<<"$a") rules, expected $n"
		sed 's/^/    /' <<<"$a"
		return
	fi
	if [ "$have_ovs" = 1 ]; then
		b=$(dump oof "$@")
		if [ "$a" = "$b" ]; then
			pass "$what: dump-flows $* equal to ovs-vswitchd's ($n rules)"
		else
			fail "$what: dump-flows $* differs from ovs-vswitchd's (< ovs, > vireo)"
			diff <(echo "$b") <(echo "$a") | sed 's/^/    /'
		fi
	else
		pass "$what: dump-flows $* shows $n rules"
	fi
}

both() { # both CMD [ARGS...]: run on both, both must succeed
	local out
	out=$(vof "$@" 2>&1) || { fail "vireo: ovs-ofctl $* failed: $out"; return 1; }
	if [ "$have_ovs" = 1 ]; then
		out=$(oof "$@" 2>&1) || { fail "ovs: ovs-ofctl $* failed: $out"; return 1; }
	fi
	return 0
}

# server_stops: of_server is still up, exits 0 on TERM with no sanitizer report.
server_stops() {
	local rc
	kill -0 "$SERVER_PID" 2>/dev/null && pass "the server is still running" ||
		fail "the server died"
	kill -TERM "$SERVER_PID"
	wait "$SERVER_PID"
	rc=$?
	if [ "$rc" -eq 0 ] && ! grep -qE "Sanitizer|runtime error" "$W/server.log"; then
		pass "the server stops cleanly (no sanitizer report: $(tail -1 "$W/server.log"))"
	else
		fail "the server exited $rc"
		cat "$W/server.log"
	fi
}
