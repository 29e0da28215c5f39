#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Build the libFuzzer harness of openflow/ (tests/openflow/fuzz_openflow.c) with clang and run
# it for a while from the seed corpus of recorded ovs-ofctl sessions (tests/openflow/corpus).
# Usage: tests/openflow/fuzz.sh [SECONDS]   (default 30).  Exits non-zero on a crash.
# Prints one line "PASS openflow/fuzz ...", "FAIL openflow/fuzz ..." or "SKIP openflow/fuzz ...".
set -eu
secs=${1:-30}
here=$(cd "$(dirname "$0")" && pwd)
of=$here/../../openflow
ft=$here/../../flowtab
work=$(mktemp -d /tmp/of-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
if ! command -v clang >/dev/null; then
	echo "SKIP openflow/fuzz: clang not installed"
	exit 0
fi
cflags=$(pkg-config --cflags libdpdk)
libs=$(pkg-config --libs libdpdk)
# shellcheck disable=SC2086
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-D_GNU_SOURCE -DVIREO_VERSION='"fuzz"' $cflags -I"$of" -I"$ft" \
	"$here/fuzz_openflow.c" "$of"/of_*.c "$ft"/*.c $libs -o "$work/fuzz_openflow" \
	>"$work/build.log" 2>&1 || {
	cat "$work/build.log"
	echo "FAIL openflow/fuzz: the harness does not build"
	exit 1
}
mkdir "$work/corpus"
cp "$here"/corpus/*.bin "$work/corpus/"
"$work/fuzz_openflow" -max_total_time="$secs" -max_len=4096 -print_final_stats=1 \
	-artifact_prefix="$work/" "$work/corpus" >"$work/log" 2>&1 || {
	tail -40 "$work/log"
	for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
		if [ -e "$f" ]; then
			echo "fuzz: input that failed:"
			od -A x -t x1 "$f" | head -20
		fi
	done
	echo "FAIL openflow/fuzz: openflow/ crashed or broke an invariant (input above)"
	exit 1
}
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
echo "PASS openflow/fuzz: ${secs} s, ${runs:-?} inputs from $(ls "$here"/corpus | wc -l) seeds"
