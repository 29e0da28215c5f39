#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The arm64 test host: scripts/build --arch arm64 cross-builds (build-arm64/, or
# $VIREO_BUILD_ARM64), then `scripts/testhost --arch arm64 run` boots the arm64 L1 and runs
# build-arm64/tests/testhost/kvm_arm64 in it: a vCPU runs a loop, an MMIO store and PSCI SYSTEM_OFF
# on the L1's /dev/kvm.  Prints PASS/FAIL lines; exit 0 only when all pass.

set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
TEST_NAME=testhost-arm64
B=${VIREO_BUILD_ARM64:-$ROOT/build-arm64}

log=$(mktemp)
if ! VIREO_BUILD_ARM64=$B "$ROOT/scripts/build" --arch arm64 >"$log" 2>&1; then
	tail -30 "$log"
	fail "scripts/build --arch arm64"
	finish
fi
pass "scripts/build --arch arm64 ($B)"

t0=$(date +%s)
"$ROOT/scripts/testhost" --arch arm64 run --timeout 300 -- \
	sh -c 'uname -m; test -c /dev/kvm && echo kvm=yes; "$0" 20000000' "$B/tests/testhost/kvm_arm64" \
	>"$log" 2>&1
rc=$?
t1=$(date +%s)
sed 's/^/    /' "$log"
if [ "$rc" -eq 0 ] && grep -qx aarch64 "$log" && grep -qx kvm=yes "$log" &&
   grep -q '^kvm_arm64: ok:' "$log"; then
	pass "arm64 L1 with /dev/kvm runs a guest vCPU to PSCI SYSTEM_OFF ($((t1 - t0)) s)"
else
	fail "arm64 L1 / kvm_arm64 (exit $rc)"
fi
rm -f "$log"
finish
