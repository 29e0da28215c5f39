# SPDX-License-Identifier: BSD-3-Clause
#
# Sourced by every shell test (bash), before anything else:   . "$ROOT/tests/lib.sh"
#
# Results: one line a check, "PASS NAME: what", "FAIL NAME: what" or "SKIP NAME: what", NAME
# being the script's file name without .sh (TEST_NAME); scripts/test counts those lines.
# finish ends the test: exit 1 when any check failed, else 0.  skip_all ends it as skipped
# (exit 77, meson's SKIP).
#
# Clean-up: one EXIT trap (test_cleanup), also run on INT and TERM.  It stops the processes
# in PIDS (TERM, then KILL after 5 s), runs what the test registered with at_exit (last
# first) and deletes the namespaces made by netns_add.  A test never sets its own EXIT trap.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${VIREO_BUILD:-$ROOT/build}
TEST_NAME=$(basename "$0" .sh)
n_pass=0
n_fail=0
PIDS=()
NS_LIST=()
AT_EXIT=()

pass() { echo "PASS $TEST_NAME: $*"; n_pass=$((n_pass + 1)); }
fail() { echo "FAIL $TEST_NAME: $*"; n_fail=$((n_fail + 1)); }
skip() { echo "SKIP $TEST_NAME: $*"; }

# fuzz_limits SECONDS: libFuzzer's limits for a harness run: SECONDS, and FUZZ_RUNS inputs
# when that is set (whichever comes first; the long runs of perf/RESULTS-fuzz.md).
fuzz_limits() {
	echo "-max_total_time=$1"
	[ -z "${FUZZ_RUNS:-}" ] || echo "-runs=$FUZZ_RUNS"
}

# skip_all WHY: the whole test cannot run here.
skip_all() {
	skip "$*"
	exit 77
}

# check WHAT CMD...: PASS when CMD succeeds, FAIL otherwise.  A CMD that sets FAIL_WHY
# (a shell function, or eval) has it added to its FAIL line: what it saw.
check() {
	local what=$1
	shift
	FAIL_WHY=
	if "$@"; then pass "$what"; else fail "$what${FAIL_WHY:+ [$FAIL_WHY]}"; fi
}

# thread_cpus PID: " NAME=CPUS" for each thread of PID (its comm and Cpus_allowed_list).
thread_cpus() {
	local t

	for t in /proc/"$1"/task/*; do
		printf ' %s=%s' "$(cat "$t/comm")" "$(awk '/^Cpus_allowed_list/ {print $2}' "$t/status")"
	done
}

# vmm_pins_ok PINS: vireo-vmm's threads (thread_cpus) pinned as --cpu-pin 0:1,1:0
# --emulator-pin 0 asks: vCPU 0 on CPU 1, vCPU 1 on CPU 0, and every other thread (at least
# two: the main loop and the console writer) on CPU 0.
vmm_pins_ok() {
	local others

	others=$(tr ' ' '\n' <<<"$1" | grep -v '^vcpu' | grep .)
	case "$1" in *" vcpu0=1"*" vcpu1=0"*) ;; *) return 1 ;; esac
	[ "$(grep -c . <<<"$others")" -ge 2 ] && ! grep -qv '=0$' <<<"$others"
}

# wait_until SECONDS CMD...: run CMD every 0.1 s until it succeeds; fails after SECONDS.
wait_until() {
	local n=$(($1 * 10))
	shift
	for _ in $(seq "$n"); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# finish: the end of the test; its exit status says whether every check passed.
finish() {
	echo "$TEST_NAME: $n_pass passed, $n_fail failed"
	[ "$n_fail" -eq 0 ]
	exit $?
}

# at_exit CMD: run CMD (a string, evaluated) when the test exits, before the ones registered
# earlier.
at_exit() {
	AT_EXIT=("$1" "${AT_EXIT[@]}")
}

# netns_add NAME IP [MAC]: namespace NAME with interface "eth0" (IP/24); its peer "v-NAME"
# stays in the root namespace, up (for a net_af_packet port), and both go at exit.
netns_add() {
	local ns=$1 ip=$2 mac=${3:-}
	ip netns del "$ns" 2>/dev/null
	ip link del "v-$ns" 2>/dev/null
	ip netns add "$ns" || return 1
	NS_LIST+=("$ns")
	ip link add "v-$ns" type veth peer name "p-$ns" || return 1
	ip link set "p-$ns" netns "$ns"
	ip -n "$ns" link set "p-$ns" name eth0
	[ -n "$mac" ] && ip -n "$ns" link set eth0 address "$mac"
	ip -n "$ns" addr add "$ip/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" link set lo up
	ip link set "v-$ns" up
	# keep the kernel from answering on the root side of the veth: no IPv6, and ARP
	# only for addresses of that device (it has none), not for every address of the host
	# (an internal port's, which the namespace must learn behind the switch)
	sysctl -qw "net.ipv6.conf.v-$ns.disable_ipv6=1" 2>/dev/null
	sysctl -qw "net.ipv4.conf.v-$ns.arp_ignore=1" 2>/dev/null
	return 0
}

test_cleanup() {
	local c p ns
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	for c in "${AT_EXIT[@]}"; do
		eval "$c"
	done
	for ns in "${NS_LIST[@]}"; do
		ip netns del "$ns" 2>/dev/null
		ip link del "v-$ns" 2>/dev/null
	done
}
trap test_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
