#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Build a libFuzzer harness of the vhost-user code with clang and run it for a while from
# its seed corpus in tests/vhost/fuzz_NAME_corpus/:
#   guard:    the dataplane's vhost-user message checks (fuzz_guard.c, port/vhost_guard.c):
#             what a frontend sends;
#   frontend: vireo-vmm's vhost-user frontend (fuzz_frontend.c, vhost/vu_*.c): what a
#             backend answers.
# Usage: tests/vhost/fuzz.sh NAME SECONDS [WORKDIR]   (WORKDIR kept: the grown corpus)
# FUZZ_RUNS=N also stops after N inputs (whichever comes first; for the long runs of
# perf/RESULTS-fuzz.md).
# Exits non-zero on a finding, 77 without clang.  Prints "PASS/FAIL/SKIP fuzz-NAME: ...".
set -u
. "$(dirname "$0")/../lib.sh"
name=${1:-}
secs=${2:-}
case $name in
guard) what="vhost-user message checks"; maxlen=720 ;;
frontend) what="vhost-user frontend"; maxlen=4096 ;;
*) echo "usage: fuzz.sh guard|frontend SECONDS [WORKDIR]" >&2; exit 2 ;;
esac
[ -n "$secs" ] || { echo "usage: fuzz.sh guard|frontend SECONDS [WORKDIR]" >&2; exit 2; }
TEST_NAME=fuzz-$name
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ -n "${3:-}" ]; then
	work=$3
	mkdir -p "$work"
else
	work=$(mktemp -d /tmp/vhost-fuzz.XXXXXX)
	at_exit 'rm -rf "$work"'
fi
command -v clang >/dev/null || skip_all "clang not installed"
case $name in
guard)
	cflags=$(pkg-config --cflags libdpdk) && libs=$(pkg-config --libs libdpdk) || {
		fail "pkg-config libdpdk"
		finish
	}
	srcs="$root/port/vhost_guard.c"
	cflags="$cflags -I$root/port -I$root/vhost" ;;
frontend)
	libs=
	srcs=$(ls "$root"/vhost/vu_*.c)
	cflags="-I$root/vhost" ;;
esac
# shellcheck disable=SC2086
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-D_GNU_SOURCE $cflags "$here/fuzz_$name.c" $srcs $libs -o "$work/fuzz_$name" || {
	fail "the harness does not build"
	finish
}
mkdir -p "$work/corpus"
cp "$here/fuzz_${name}_corpus"/* "$work/corpus/"
# shellcheck disable=SC2046 # one limit a word
"$work/fuzz_$name" $(fuzz_limits "$secs") -max_len=$maxlen -print_final_stats=1 \
	-artifact_prefix="$work/" "$work/corpus" >"$work/log" 2>&1 || {
	tail -40 "$work/log"
	for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
		[ -e "$f" ] && { echo "input that failed: $f"; od -A d -t x1 "$f" | head -20; }
	done
	fail "the $what crashed or broke an invariant (input above)"
	finish
}
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -1)
pass "$what, ${secs} s, ${runs:-?} inputs, ${cov:-cov: ?}"
finish
