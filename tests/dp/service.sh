#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The systemd unit (dataplane/vireo-dp.service.in): systemd accepts it, meson installs it,
# and what systemd does with it works: ExecStart forks and returns once vireo-dp serves,
# the pid is in PIDFile, ExecReload reloads and reopens the log, SIGTERM (systemctl stop)
# stops it and removes the pidfile.  systemd is not PID 1 here, so the test plays its part
# with the unit's own lines.
. "$(dirname "$0")/lib.sh"

UNIT=$BUILD/dataplane/vireo-dp.service
check "the build generates the unit" test -f "$UNIT"
check "meson installs it under lib/systemd/system" \
	bash -c "meson introspect '$BUILD' --installed | grep -q 'lib/systemd/system/vireo-dp.service'"
# unit_value KEY: the value of the unit's first KEY= line
unit_value() { sed -n "s/^$1=//p" "$UNIT" | head -1; }
check "Type=forking" test "$(unit_value Type)" = forking
exec_start=$(unit_value ExecStart)
check "ExecStart runs the installed vireo-dp" grep -q '/bin/vireo-dp \$VIREO_DP_OPTS ' <<<"$exec_start"
rundir=$(grep -o 'OVS_RUNDIR=[^ ]*' "$UNIT" | head -1 | cut -d= -f2)
check "PIDFile is ovs-vswitchd.pid in the unit's OVS_RUNDIR ($rundir)" \
	test "$(unit_value PIDFile)" = "$rundir/ovs-vswitchd.pid"
if command -v systemd-analyze >/dev/null; then
	sed "s|^ExecStart=[^ ]*|ExecStart=$VIREO_DP|" "$UNIT" >"$RUN/vireo-dp.service"
	out=$(systemd-analyze verify "$RUN/vireo-dp.service" 2>&1)
	check "systemd-analyze verify accepts it ($out)" test -z "$out"
else
	skip "systemd-analyze is not installed"
fi

vhost_bridge_yaml 1
export OVS_RUNDIR=$RUN/ovs OVS_LOGDIR=$RUN/log VIREO_DP_OPTS="--config $RUN/dp.yaml"
mkdir -p "$OVS_RUNDIR" "$OVS_LOGDIR"
PIDFILE=$OVS_RUNDIR/ovs-vswitchd.pid
at_exit 'kill -KILL "$(cat "$PIDFILE" 2>/dev/null)" 2>/dev/null'
# ExecStart with the unit's options, the binary from this build.
cmd=${exec_start/#*\/vireo-dp/$VIREO_DP}
eval "$cmd" </dev/null >"$RUN/start.out" 2>&1
rc=$?
check "ExecStart returns 0 ($rc)" test "$rc" -eq 0
main=$(cat "$PIDFILE" 2>/dev/null)
check "PIDFile names a running vireo-dp (MAINPID $main)" bash -c "[ -n '$main' ] && grep -q vireo-dp /proc/$main/cmdline"
check "it already serves" bash -c 'ovs-appctl -T 5 version | grep -q vireo-dp'
MAINPID=$main
eval "$(unit_value ExecReload)"
check "ExecReload reloads the configuration" wait_until 20 grep -q "reloaded $RUN/dp.yaml" "$OVS_LOGDIR/ovs-vswitchd.log"
kill -TERM "$main"
check "SIGTERM stops it" wait_until 60 bash -c "! kill -0 $main 2>/dev/null"
check "... and the pidfile is gone" test ! -e "$PIDFILE"
finish
