#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Build the libFuzzer harness of the dataplane's vhost-user message checks
# (tests/vhost/fuzz_guard.c, port/vhost_guard.c) with clang and run it for a while from the
# seed corpus in tests/vhost/fuzz_guard_corpus/.
# Usage: tests/vhost/fuzz_guard.sh SECONDS [WORKDIR]   (WORKDIR kept: the grown corpus)
# Exits non-zero on a finding, 77 without clang.  Prints "PASS/FAIL/SKIP fuzz-guard: ...".
set -u
. "$(dirname "$0")/../lib.sh"
secs=${1:?usage: fuzz_guard.sh SECONDS [WORKDIR]}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ -n "${2:-}" ]; then
	work=$2
	mkdir -p "$work"
else
	work=$(mktemp -d /tmp/guard-fuzz.XXXXXX)
	at_exit 'rm -rf "$work"'
fi
command -v clang >/dev/null || skip_all "clang not installed"
cflags=$(pkg-config --cflags libdpdk) && libs=$(pkg-config --libs libdpdk) || {
	fail "pkg-config libdpdk"
	finish
}
# shellcheck disable=SC2086
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-D_GNU_SOURCE $cflags -I"$root/port" -I"$root/vhost" "$here/fuzz_guard.c" \
	"$root/port/vhost_guard.c" $libs -o "$work/fuzz_guard" || {
	fail "the harness does not build"
	finish
}
mkdir -p "$work/corpus"
cp "$here"/fuzz_guard_corpus/* "$work/corpus/"
"$work/fuzz_guard" -max_total_time="$secs" -max_len=720 -print_final_stats=1 \
	-artifact_prefix="$work/" "$work/corpus" >"$work/log" 2>&1 || {
	tail -40 "$work/log"
	for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
		[ -e "$f" ] && { echo "input that failed: $f"; od -A d -t x1 "$f" | head -20; }
	done
	fail "the vhost-user message checks crashed or broke an invariant (input above)"
	finish
}
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -1)
pass "vhost-user message checks, ${secs} s, ${runs:-?} inputs, ${cov:-cov: ?}"
finish
