#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Build the libFuzzer harness of flowtab's rule parser with clang and run it for a while.
# Usage: tests/flowtab/fuzz.sh SECONDS FLOWTAB-SOURCE...
# FUZZ_RUNS=N also stops after N inputs (whichever comes first; for the long runs of
# perf/RESULTS-fuzz.md); FUZZ_LOG=FILE keeps libFuzzer's log.
# The sources are flowtab's own list (flowtab_sources in flowtab/meson.build, passed by
# tests/flowtab/meson.build): whatever compiler the build uses, the fuzzer needs clang.
# Exits non-zero on a crash, 77 without clang.  Prints one line "PASS fuzz: ...",
# "FAIL fuzz: ..." or "SKIP fuzz: ...".
set -u
. "$(dirname "$0")/../lib.sh"
secs=${1:?usage: fuzz.sh SECONDS FLOWTAB-SOURCE...}
shift
[ $# -gt 0 ] || { echo "usage: fuzz.sh SECONDS FLOWTAB-SOURCE..." >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$1")
work=$(mktemp -d /tmp/ft-fuzz.XXXXXX)
at_exit 'rm -rf "$work"'
command -v clang >/dev/null || skip_all "clang not installed"
cflags=$(pkg-config --cflags libdpdk) && libs=$(pkg-config --libs libdpdk) || {
	fail "pkg-config libdpdk"
	finish
}
# shellcheck disable=SC2086
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-D_GNU_SOURCE $cflags -I"$src" -I"$src/../rcu" "$here/fuzz_parse.c" "$@" $libs \
	-o "$work/fuzz_parse" || {
	fail "the harness does not build"
	finish
}
mkdir "$work/corpus"
log=${FUZZ_LOG:-$work/log}
i=0
for rule in \
	'priority=100,in_port=p1,actions=output:vhu0' \
	'tcp,nw_src=10.0.0.0/8,tp_dst=0x50/0xfff0,actions=mod_nw_src:1.2.3.4,resubmit(,1)' \
	'table=2,ipv6,ipv6_dst=2001:db8::/32,actions=set_field:2001:db8::1->ipv6_src,dec_ttl,NORMAL' \
	'arp,arp_op=1,arp_spa=10.0.0.1,actions=FLOOD' \
	'dl_vlan=10,dl_vlan_pcp=3,actions=strip_vlan,push_vlan:0x8100,mod_vlan_vid:5,output:2' \
	'cookie=0x10/0xf0,udp6,tcp_flags=+syn-ack,icmp_type=3,actions=goto_table:3'; do
	printf '%s' "$rule" > "$work/corpus/seed$i"
	i=$((i + 1))
done
# shellcheck disable=SC2046 # one limit a word
"$work/fuzz_parse" $(fuzz_limits "$secs") -max_len=512 -print_final_stats=1 \
	-artifact_prefix="$work/" "$work/corpus" > "$log" 2>&1 || {
	tail -40 "$log"
	for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
		if [ -e "$f" ]; then
			echo "fuzz: input that failed:"
			od -c "$f" | head -20
		fi
	done
	fail "the rule parser crashed or broke its round trip (input above)"
	finish
}
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
pass "rule parser, ${secs} s, ${runs:-?} inputs"
finish
