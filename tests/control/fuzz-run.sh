#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Build a libFuzzer harness with clang (ASan + UBSan) and run it on a copy of its seed corpus.
# Shared by the fuzz tests of control/, config/ and config/ovsdb/ (see their meson.build).
#
# Usage: fuzz-run.sh NAME SECONDS CORPUS_DIR [MAX_LEN] -- CLANG_ARGS...
#   CLANG_ARGS: the harness and the sources it tests, -I and -l flags.
# Prints one line "PASS fuzz/NAME ...", "FAIL fuzz/NAME ..." or "SKIP fuzz/NAME ..."; on a
# failure, the input that failed is printed and copied to $FUZZ_ARTIFACTS (default /tmp).
# FUZZ_RUNS=N runs N inputs instead of SECONDS (for long runs, see perf/RESULTS-fuzz.md);
# FUZZ_LOG=FILE keeps libFuzzer's log.
set -eu
name=$1
secs=$2
corpus=$3
shift 3
max_len=4096
if [ "${1:-}" != "--" ]; then
	max_len=$1
	shift
fi
[ "${1:-}" = "--" ] && shift
if ! command -v clang >/dev/null; then
	echo "SKIP fuzz/$name: clang not installed"
	exit 0
fi
work=$(mktemp -d "/tmp/fuzz-$name.XXXXXX")
trap 'rm -rf "$work"' EXIT
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-D_GNU_SOURCE "$@" -o "$work/fuzz" > "$work/build.log" 2>&1 || {
	cat "$work/build.log"
	echo "FAIL fuzz/$name: the harness does not build"
	exit 1
}
mkdir "$work/corpus"
cp "$corpus"/* "$work/corpus/"
if [ -n "${FUZZ_RUNS:-}" ]; then
	limit="-runs=$FUZZ_RUNS"
else
	limit="-max_total_time=$secs"
fi
log=${FUZZ_LOG:-$work/log}
ASAN_OPTIONS=detect_leaks=1 "$work/fuzz" "$limit" -max_len="$max_len" -timeout=10 \
	-print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" > "$log" 2>&1 || {
	tail -40 "$log"
	for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
		if [ -e "$f" ]; then
			cp "$f" "${FUZZ_ARTIFACTS:-/tmp}/fuzz-$name-$(basename "$f")"
			echo "fuzz: input that failed (kept as ${FUZZ_ARTIFACTS:-/tmp}/fuzz-$name-$(basename "$f")):"
			od -c "$f" | head -20
		fi
	done
	echo "FAIL fuzz/$name: crash, leak or timeout (input above)"
	exit 1
}
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
echo "PASS fuzz/$name: ${runs:-?} inputs, ${cov:-cov: ?}"
