#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# SET_CONFIG and GET_CONFIG through ovs-ofctl, against of_server and ovs-vswitchd side by
# side (ofctl_lib.sh): fragment handling is the switch's (a new connection reads back what
# another set), normal and drop are taken, reassemble and nx-match are refused where
# ovs-ofctl shows it.
#
# usage: tests/openflow/config.sh   (VIREO_BUILD: the build directory, default build/)
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ofctl_lib.sh"

for ver in "" OpenFlow13; do
	name=${ver:-"OpenFlow10"}
	VER=()
	[ -n "$ver" ] && VER=(-O "$ver")
	for mode in drop normal; do
		both set-frags "$mode" && pass "$name: set-frags $mode taken"
		out=$(vof get-frags 2>&1)
		[ "$out" = "$mode" ] &&
			pass "$name: get-frags on a new connection says $mode" ||
			fail "$name: get-frags says '$out' after set-frags $mode"
		if [ "$have_ovs" = 1 ]; then
			[ "$out" = "$(oof get-frags 2>&1)" ] &&
				pass "$name: ovs-vswitchd says the same" ||
				fail "$name: ovs-vswitchd says '$(oof get-frags 2>&1)'"
		fi
	done
	for mode in reassemble nx-match; do
		out=$(vof set-frags "$mode" 2>&1)
		rc=$?
		if [ "$rc" -ne 0 ] && [ "$(vof get-frags 2>&1)" = normal ]; then
			pass "$name: set-frags $mode refused, normal kept (${out//$'\n'/ })"
		else
			fail "$name: set-frags $mode not refused (rc $rc: $out)"
		fi
	done
done
server_stops
finish
