#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Integration test of the control socket against Debian's real ovs-appctl and vireoctl.
# usage: appctl.sh CONTROL_TEST_SERVER VIREOCTL
# Prints PASS/FAIL lines; exits non-zero when any check fails.

SERVER=${1:?usage: appctl.sh CONTROL_TEST_SERVER VIREOCTL}
VIREOCTL=${2:?usage: appctl.sh CONTROL_TEST_SERVER VIREOCTL}
. "$(dirname "$0")/../lib.sh"
DIR=$(mktemp -d /tmp/vireo-appctl.XXXXXX)
SOCK=$DIR/test.ctl
at_exit 'rm -rf "$DIR"'

# expect NAME EXPECTED_STATUS PATTERN CMD...: run CMD, want its status and PATTERN in its
# stdout+stderr.
expect() {
	local name=$1 want=$2 pattern=$3 out st
	shift 3
	out=$("$@" 2>&1)
	st=$?
	if [ "$st" -ne "$want" ]; then
		fail "$name: exit $st, wanted $want; output: $out"
	elif ! printf '%s\n' "$out" | grep -q -e "$pattern"; then
		fail "$name: output lacks '$pattern': $out"
	else
		pass "$name"
	fi
}

start_server() {
	"$SERVER" "$1" &
	last_pid=$!
	PIDS+=("$last_pid")
	# Wait until it answers: a stale socket file may be there before the server is.
	i=0
	until ovs-appctl -t "$1" version >/dev/null 2>&1; do
		if [ $i -ge 100 ] || ! kill -0 "$last_pid" 2>/dev/null; then
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
}

if ! command -v ovs-appctl >/dev/null; then
	fail "ovs-appctl not found (apt-get install openvswitch-common)"
	finish
fi

if start_server "$SOCK"; then pass server-starts; else fail server-starts; finish; fi
first_pid=$last_pid

mode=$(stat -c %a "$SOCK")
if [ "$mode" = 600 ]; then pass socket-mode-0600; else fail "socket-mode-0600: mode $mode"; fi

expect ovs-appctl-pmd-stats-show 0 '^  packets received: 42$' \
	ovs-appctl -t "$SOCK" dpif-netdev/pmd-stats-show
expect ovs-appctl-list-commands 0 'dpif-netdev/pmd-stats-show' \
	ovs-appctl -t "$SOCK" list-commands
expect ovs-appctl-list-commands-builtin 0 '^  version ' ovs-appctl -t "$SOCK" list-commands
expect ovs-appctl-version 0 '(vireo) ' ovs-appctl -t "$SOCK" version
expect ovs-appctl-args 0 '^a b c$' ovs-appctl -t "$SOCK" echo a b c
expect ovs-appctl-unknown-command 2 '"nosuch" is not a valid command' \
	ovs-appctl -t "$SOCK" nosuch
expect ovs-appctl-too-many-args 2 '"dpif-netdev/pmd-stats-show" command takes at most 3 arguments' \
	ovs-appctl -t "$SOCK" dpif-netdev/pmd-stats-show 1 2 3 4
expect ovs-appctl-json-as-text 0 '"packets": 42' ovs-appctl -t "$SOCK" stats

expect vireoctl-pmd-stats-show-short 0 '^  packets received: 42$' \
	"$VIREOCTL" -t "$SOCK" pmd-stats-show
expect vireoctl-pmd-stats-show-full 0 'avg processing cycles per packet' \
	"$VIREOCTL" --target "$SOCK" dpif-netdev/pmd-stats-show
expect vireoctl-unknown-command 2 '"nosuch" is not a valid command' \
	"$VIREOCTL" -t "$SOCK" nosuch
expect vireoctl-error-names-socket 2 "$SOCK: server returned an error" \
	"$VIREOCTL" -t "$SOCK" nosuch
expect vireoctl-json 0 '"packets": 42' "$VIREOCTL" --json -t "$SOCK" stats
expect vireoctl-json-trailing 0 '"name": "pmd1"' "$VIREOCTL" -t "$SOCK" stats --json
out=$("$VIREOCTL" -t "$SOCK" --json stats | python3 -c \
	'import json, sys; d = json.load(sys.stdin); print(d["packets"])' 2>&1)
if [ "$out" = 42 ]; then pass vireoctl-json-parses; else fail "vireoctl-json-parses: $out"; fi
expect vireoctl-target-name 0 'packets received' \
	env VIREO_RUNDIR="$DIR" "$VIREOCTL" -t test pmd-stats-show
expect vireoctl-env-target 0 '^x y$' env VIREO_CTL="$SOCK" "$VIREOCTL" echo x y
expect vireoctl-unreachable 2 "cannot connect to \"$DIR/none.ctl\"" \
	"$VIREOCTL" -t "$DIR/none.ctl" version
expect vireoctl-usage 1 'non-option argument' "$VIREOCTL" -t "$SOCK"

expect live-socket-refused 2 'another server is listening' "$SERVER" "$SOCK"
expect live-server-still-answers 0 'packets received' \
	ovs-appctl -t "$SOCK" dpif-netdev/pmd-stats-show

kill -9 "$first_pid"
wait "$first_pid" 2>/dev/null
if [ -S "$SOCK" ]; then pass stale-socket-left; else fail stale-socket-left; fi
if start_server "$SOCK"; then
	pass stale-socket-replaced
else
	fail stale-socket-replaced
fi
second_pid=$last_pid

expect ovs-appctl-exit 0 '' ovs-appctl -t "$SOCK" exit
i=0
while kill -0 "$second_pid" 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
if ! kill -0 "$second_pid" 2>/dev/null && [ ! -e "$SOCK" ]; then
	pass exit-removes-socket
else
	fail exit-removes-socket
fi
wait "$second_pid"
st=$?
if [ "$st" -eq 0 ]; then pass server-exit-status; else fail "server-exit-status: exit $st"; fi

finish
