#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# ovs-vswitchd's process options on vireo-dp: --pidfile, --log-file and its rotation
# (vlog/reopen, SIGHUP), the default control socket that Open vSwitch's own ovs-appctl finds
# without -t, --detach (ready when it returns), --monitor restarting a crashed daemon, and
# exit from ovs-appctl.
. "$(dirname "$0")/lib.sh"

command -v ovs-appctl >/dev/null || skip_all "ovs-appctl (openvswitch-common) is not installed"
export OVS_RUNDIR=$RUN/ovs OVS_LOGDIR=$RUN/log
mkdir -p "$OVS_RUNDIR" "$OVS_LOGDIR"
PIDFILE=$OVS_RUNDIR/ovs-vswitchd.pid
LOG=$OVS_LOGDIR/ovs-vswitchd.log
# Daemons this test detached are not its children: stop them by their pidfile at exit.
# A monitor is the daemon's parent running vireo-dp; anything else there is not ours.
stop_detached() {
	local p m
	p=$(cat "$PIDFILE" 2>/dev/null) || return 0
	m=$(ps -o ppid= -p "$p" | tr -d ' ')
	[ -n "$m" ] && [ "$m" -gt 1 ] && grep -q vireo-dp "/proc/$m/cmdline" 2>/dev/null &&
		kill -KILL "$m"
	kill -KILL "$p" 2>/dev/null
}
at_exit stop_detached

vhost_bridge_yaml 1

# pid_alive PID
pid_alive() { kill -0 "$1" 2>/dev/null; }
pid_gone() { ! kill -0 "$1" 2>/dev/null; }
appctl_ok() { ovs-appctl -T 5 version 2>/dev/null | grep -q vireo-dp; }

# --- foreground, with a pidfile and a log file -----------------------------------------
"$VIREO_DP" --config "$RUN/dp.yaml" --pidfile --log-file >"$RUN/dp.log" 2>&1 &
DP_PID=$!
PIDS+=("$DP_PID")
check "the pidfile appears with the daemon's pid" wait_until 60 grep -qx "$DP_PID" "$PIDFILE"
check "the control socket is ovs-vswitchd's: \$OVS_RUNDIR/ovs-vswitchd.PID.ctl" \
	wait_until 60 test -S "$OVS_RUNDIR/ovs-vswitchd.$DP_PID.ctl"
check "ovs-appctl without -t reaches vireo-dp" wait_until 60 appctl_ok
check "ovs-appctl -t ovs-vswitchd reaches it too" bash -c 'ovs-appctl -t ovs-vswitchd version | grep -q vireo-dp'
check "vireoctl without -t finds it the same way" bash -c 'env -u VIREO_CTL "$0" version | grep -q vireo-dp' "$VIREOCTL"
check "the log file is ovs-vswitchd.log in \$OVS_LOGDIR, in OVS's format" \
	grep -Eq '^[0-9T:.-]+Z\|[0-9]{5}\|dataplane\|INFO\|opened log file '"$LOG" "$LOG"
check "DPDK's own lines go through the log as module dpdk" grep -q '|dpdk|INFO|EAL: ' "$LOG"

"$VIREO_DP" --config "$RUN/dp.yaml" --pidfile --control "$RUN/second.ctl" >"$RUN/second.log" 2>&1
rc=$?
check "a second daemon with the same pidfile is refused (exit $rc)" test "$rc" -eq 2
check "... saying who holds it" grep -q "pidfile is locked by another vireo-dp (pid $DP_PID)" "$RUN/second.log"
check "... and the pidfile still names the first" grep -qx "$DP_PID" "$PIDFILE"

# Log rotation as logrotate does it: rename, then ask for a reopen.
mv "$LOG" "$LOG.1"
out=$(ovs-appctl vlog/reopen 2>&1)
check "vlog/reopen succeeds ($out)" test -z "$out"
check "a new log file is created" test -f "$LOG"
check "new lines go to the new file" grep -q "opened log file $LOG" "$LOG"
n_old=$(wc -l <"$LOG.1")
ovs-appctl add-port br0 vhu1 type=dpdkvhostuser >/dev/null
check "a later message goes to the new file" wait_until 10 grep -q "port vhu1: added" "$LOG"
check "... and not to the renamed one" test "$(wc -l <"$LOG.1")" -eq "$n_old"
# SIGHUP reopens too (and reloads the configuration)
mv "$LOG" "$LOG.2"
kill -HUP "$DP_PID"
check "SIGHUP reopens the log file" wait_until 20 grep -q "reloaded $RUN/dp.yaml" "$LOG"
check "logrotate's own command (ovs-appctl -t ovs-vswitchd vlog/reopen) works" \
	ovs-appctl -t ovs-vswitchd vlog/reopen

out=$(ovs-appctl exit --cleanup 2>&1)
check "ovs-appctl exit --cleanup is accepted ($out)" test -z "$out"
check "vireo-dp exits" wait_until 60 pid_gone "$DP_PID"
wait "$DP_PID"
rc=$?
check "... with status 0 ($rc)" test "$rc" -eq 0
check "the pidfile is removed" test ! -e "$PIDFILE"
check "the control socket is removed" bash -c "! ls '$OVS_RUNDIR'/ovs-vswitchd.*.ctl 2>/dev/null"

# --- a pidfile that cannot be written: a full file system -------------------------------
mkdir -p "$RUN/full"
if mount -t tmpfs -o size=4k tmpfs "$RUN/full" 2>/dev/null; then
	at_exit 'umount "$RUN/full" 2>/dev/null'
	dd if=/dev/zero of="$RUN/full/fill" bs=4k count=1 2>/dev/null
	"$VIREO_DP" --config "$RUN/dp.yaml" --pidfile="$RUN/full/vireo.pid" \
		--control "$RUN/full.ctl" >"$RUN/full.out" 2>&1
	rc=$?
	check "a pidfile on a full file system: exit 2 ($rc), saying why" \
		eval 'test "$rc" -eq 2 &&
		grep -q "vireo.pid: cannot write pidfile: No space left on device" "$RUN/full.out"'
	check "... and no empty pidfile is left behind" test ! -e "$RUN/full/vireo.pid"
else
	skip "a full file system for the pidfile: cannot mount a tmpfs here"
fi

# --- --detach --------------------------------------------------------------------------
"$VIREO_DP" --config "$RUN/dp.yaml" --detach --pidfile --log-file >"$RUN/detach.out" 2>&1
rc=$?
check "--detach returns 0 ($rc)" test "$rc" -eq 0
check "... once the daemon serves: ovs-appctl works at once" appctl_ok
dpid=$(cat "$PIDFILE")
check "the pidfile names the detached daemon ($dpid)" pid_alive "$dpid"
check "the daemon is in its own session" test "$(ps -o sid= -p "$dpid" | tr -d ' ')" -eq "$dpid"
check "its working directory is /" test "$(readlink "/proc/$dpid/cwd")" = /
check "its stdout is /dev/null" test "$(readlink "/proc/$dpid/fd/1")" = /dev/null
check "its stderr is the log file" test "$(readlink "/proc/$dpid/fd/2")" = "$LOG"
ovs-appctl add-port br0 vhu1 type=dpdkvhostuser >/dev/null
check "later messages go to the log file" wait_until 10 grep -q "port vhu1: added" "$LOG"
check "... not to the terminal it was started from" bash -c "! grep -q 'port vhu1: added' '$RUN/detach.out'"
kill -TERM "$dpid"
check "SIGTERM stops the detached daemon" wait_until 60 pid_gone "$dpid"
check "... and removes its pidfile" test ! -e "$PIDFILE"

cat >"$RUN/bad.yaml" <<EOC
$(other_config)
bridges:
  br0:
    ports:
      p0: {type: no-such-type}
EOC
"$VIREO_DP" --config "$RUN/bad.yaml" --detach --pidfile >"$RUN/bad.out" 2>&1
rc=$?
check "--detach with a bad configuration fails as the foreground would (exit $rc)" test "$rc" -eq 2
check "... with the error on the terminal" grep -q "no-such-type" "$RUN/bad.out"

# --- --monitor -------------------------------------------------------------------------
"$VIREO_DP" --config "$RUN/dp.yaml" --detach --monitor --pidfile --log-file >/dev/null 2>&1
rc=$?
check "--detach --monitor returns 0 ($rc)" test "$rc" -eq 0
pid1=$(cat "$PIDFILE")
mon=$(ps -o ppid= -p "$pid1" | tr -d ' ')
check "the daemon ($pid1) runs under a monitor ($mon)" bash -c "[ -n '$mon' ] && [ '$mon' -gt 1 ] && grep -q vireo-dp /proc/$mon/cmdline"
kill -SEGV "$pid1"
newpid() { p=$(cat "$PIDFILE" 2>/dev/null) && [ "$p" != "$pid1" ] && pid_alive "$p"; }
check "after SIGSEGV the monitor starts a new daemon" wait_until 120 newpid
check "... that ovs-appctl reaches" wait_until 60 appctl_ok
check "the monitor logged the crash" grep -q "monitor: daemon pid $pid1 died, killed (Segmentation fault), restarting" "$LOG"
pid2=$(cat "$PIDFILE")
check "the new daemon has the same monitor" test "$(ps -o ppid= -p "$pid2" | tr -d ' ')" = "$mon"
ovs-appctl exit >/dev/null
check "after exit the daemon is gone" wait_until 60 pid_gone "$pid2"
check "... and the monitor with it" wait_until 30 pid_gone "$mon"
check "the monitor logged why it ended" grep -q "monitor: daemon pid $pid2 exited with status 0, exiting" "$LOG"
finish
