#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The OVSDB client against a misbehaving server (fake_server.py): garbage, broken JSON, a
# broken schema or snapshot must be logged and survived (the client reconnects); a refused
# lock must end it with the clear message; a server without monitor_cond must be served with
# RFC 7047 monitor, over TCP, with stray replies, requests and notifications ignored.
#
# Usage: fake.sh PATH/TO/ovsdb_probe       (prints PASS/FAIL lines; exit 1 on any FAIL)

set -u
. "$(dirname "$0")/../lib.sh"
PROBE=${1:?usage: fake.sh PATH/TO/ovsdb_probe}
HERE=$(cd "$(dirname "$0")" && pwd)
D=$(mktemp -d /tmp/vireo-ovsdb-fake.XXXXXX)
fake_pid=
probe_pid=

stop_all() {
	[ -n "$probe_pid" ] && kill "$probe_pid" 2>/dev/null && wait "$probe_pid" 2>/dev/null
	[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null
	probe_pid=
	fake_pid=
}

# stop_probe NAME: SIGTERM must end the client with status 0 (also under ASan: no leaks).
stop_probe() {
	kill "$probe_pid"
	wait "$probe_pid"
	local rc=$?
	probe_pid=
	check "$1: the client exits cleanly on SIGTERM" test "$rc" = 0
}

cleanup() {
	stop_all
	if [ "$n_fail" -ne 0 ]; then
		for f in "$D"/*.log "$D"/*.out "$D"/*.err; do echo "--- $f"; tail -n 20 "$f"; done
		echo "--- kept $D"
	else
		rm -rf "$D"
	fi
}
at_exit cleanup

# start MODE REMOTE: the fake server, then the probe against it.
start() {
	local mode=$1 remote=$2
	: >"$D/$mode.log"
	python3 "$HERE/fake_server.py" "$mode" "$remote" "$D/$mode.log" &
	fake_pid=$!
	wait_until 5 grep -q listening "$D/$mode.log"
	"$PROBE" --remote "$remote" >"$D/$mode.out" 2>"$D/$mode.err" &
	probe_pid=$!
}

connections() { grep -c '"connection"' "$D/$1.log"; }

# Garbage-type modes: logged, connection dropped, retried, process alive.
for spec in "garbage|input is not a JSON object" "badjson|invalid JSON" \
	    "badschema|schema has no 'tables'" "badsnap|malformed snapshot"; do
	mode=${spec%%|*}
	msg=${spec#*|}
	start "$mode" "unix:$D/$mode.sock"
	check "$mode: the client reconnects" wait_until 5 eval '[ "$(connections '"$mode"')" -ge 3 ]'
	check "$mode: the problem is logged" grep -qsF "$msg" "$D/$mode.err"
	check "$mode: the client backs off (100, 200, 400 ms)" \
		eval 'grep -q "reconnecting in 100 ms" "$D/$mode.err" &&
		grep -q "reconnecting in 400 ms" "$D/$mode.err"'
	check "$mode: no config from a broken server" eval '! grep -q "^config" "$D/$mode.out"'
	check "$mode: the client survives" kill -0 "$probe_pid"
	stop_probe "$mode"
	stop_all
done

# Lock refused: one clear fatal message, exit status 2.
start nolock "unix:$D/nolock.sock"
wait "$probe_pid"
rc=$?
probe_pid=
check "nolock: the client stops with status 2" test "$rc" = 2
check "nolock: the message says why" grep -qsF \
	"fatal: ovsdb lock ovs_vswitchd is held by another process (is ovs-vswitchd running?)" \
	"$D/nolock.err"
check "nolock: no config delivered without the lock" eval '! grep -q "^config" "$D/nolock.out"'
stop_all

# RFC 7047 monitor over TCP, with noise.
port=$((20000 + $$ % 20000))
start v1 "tcp:127.0.0.1:$port"
check "v1: falls back to monitor" wait_until 5 grep -qsF \
	"monitor_cond refused (unknown method): using monitor" "$D/v1.err"
check "v1: config from the RFC 7047 snapshot" wait_until 5 grep -qsF \
	"port vhu9 type=dpdkvhostuser ofport_request=0 mtu_request=0" "$D/v1.out"
check "v1: other_config from the snapshot" grep -qsF "other_config dpdk-init=true" "$D/v1.out"
check "v1: an update is applied" wait_until 5 grep -qsF "options:n_rxq=2" "$D/v1.out"
check "v1: echo answered" wait_until 5 grep -qsF '"id": "e1", "result": ["ping"]' "$D/v1.log"
check "v1: unknown request refused" grep -qsF '"id": "q1", "result": null, "error": "unknown method"' \
	"$D/v1.log"
check "v1: write-back asserts the lock" wait_until 5 grep -qsF \
	'{"op": "assert", "lock": "ovs_vswitchd"}' "$D/v1.log"
check "v1: write-back sets cur_cfg" grep -qsF '"cur_cfg": 4' "$D/v1.log"
check "v1: write-back sets the port's ofport" grep -qsF '"ofport": 1' "$D/v1.log"
check "v1: stray messages logged" grep -qsF "ignoring a reply to unknown request 12345" "$D/v1.err"
check "v1: one connection only" test "$(connections v1)" = 1
check "v1: the client survives" kill -0 "$probe_pid"
stop_probe v1
stop_all

# A server that accepts and then says nothing: after 5 s of silence the client sends an
# echo, after 10 s it gives up on the connection and reconnects (TCP only, as OVS does).
port=$((port + 1))
start silent "tcp:127.0.0.1:$port"
check "silent: the client probes with echo" wait_until 9 grep -qs '"method": "echo"' \
	"$D/silent.log"
check "silent: then drops the connection" wait_until 8 grep -qs \
	"no reply to the inactivity probe" "$D/silent.err"
check "silent: and reconnects" wait_until 3 eval '[ "$(connections silent)" -ge 2 ]'
stop_probe silent
stop_all

finish
