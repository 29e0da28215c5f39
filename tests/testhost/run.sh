#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Tests of scripts/testhost itself: argument errors, the need override, the
# guest-initramfs cache, and L1 boots (a command's exit code, output
# streams, cwd, environment, out directory and isolation; a timeout; a
# kernel panic; a panic and a stalled L1 retried in a fresh L1). Runs on the
# host; takes about 50 s here.

set -u

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
TH="$ROOT/scripts/testhost"
WORK=$(mktemp -d /tmp/testhost-test.XXXXXX)
at_exit 'rm -rf "$WORK"'

# rc_is WANT NAME RC ERR: checks an exit code RC (with the end of the stderr file ERR when
# it is not WANT).
rc_is() {
	if [ "$3" -eq "$1" ]; then
		pass "$2 (exit $3)"
	else
		fail "$2: exit $3, wanted $1"
		sed 's/^/    /' "$4" | tail -n 10
	fi
}

# expect_rc WANT NAME CMD...: runs CMD, checks its exit code.
expect_rc() {
	local want=$1 name=$2
	shift 2
	"$@" >"$WORK/last.out" 2>"$WORK/last.err"
	rc_is "$want" "$name" $? "$WORK/last.err"
}

expect_rc 2 "no subcommand" "$TH"
expect_rc 2 "unknown subcommand" "$TH" frobnicate
expect_rc 2 "run without a command" "$TH" run --
expect_rc 2 "run with a bad --mem" "$TH" run --mem lots -- true
expect_rc 2 "run with a bad --env" "$TH" run --env 1X=2 -- true
expect_rc 2 "run with an unknown option" "$TH" run --fast -- true
expect_rc 2 "run with a bad --retries" "$TH" run --retries -1 -- true
expect_rc 2 "run with a bad TESTHOST_RETRIES" env TESTHOST_RETRIES=many "$TH" run -- true
expect_rc 2 "run with a bad TESTHOST_STALL" env TESTHOST_STALL=2m "$TH" run -- true
expect_rc 2 "guest-kernel with a bad flavour" "$TH" guest-kernel tiny
expect_rc 2 "guest-initramfs with a missing script" \
	"$TH" guest-initramfs --script "$WORK/nonexistent"
left_before=$(ls "${TESTHOST_CACHE:-/var/cache/vireo-testhost}" | grep -c '^tmp\.')
expect_rc 125 "guest-initramfs with an unknown module" \
	"$TH" guest-initramfs --modules no_such_module
left_after=$(ls "${TESTHOST_CACHE:-/var/cache/vireo-testhost}" | grep -c '^tmp\.')
if [ "$left_after" -le "$left_before" ]; then
	pass "guest-initramfs: a failure leaves no temporary file in the cache"
else
	fail "guest-initramfs: $((left_after - left_before)) temporary file(s) left in the cache"
fi
expect_rc 0 "need with TESTHOST_NEED=1" env TESTHOST_NEED=1 "$TH" need
expect_rc 1 "need with TESTHOST_NEED=0" env TESTHOST_NEED=0 "$TH" need
expect_rc 5 "wrap runs directly when the host KVM is good" \
	env TESTHOST_NEED=0 "$TH" wrap --timeout 5 --env WRAPPED=yes -- \
	sh -c 'echo "$WRAPPED" >"$TESTHOST_OUT/w"; exit 5'
outdir=$(sed -n 's/^testhost: out=//p' "$WORK/last.err")
if [ -n "$outdir" ] && [ "$(cat "$outdir/w" 2>/dev/null)" = yes ]; then
	pass "wrap (direct) passes --env and TESTHOST_OUT"
else
	fail "wrap (direct): no 'yes' in '$outdir/w'"
fi
[ -n "$outdir" ] && rm -rf "$(dirname "$outdir")"
expect_rc 124 "wrap (direct) --timeout 1 -- sleep 30" \
	env TESTHOST_NEED=0 "$TH" wrap --timeout 1 -- sleep 30

"$TH" build >/dev/null 2>&1
t0=$(date +%s%N)
out=$("$TH" build 2>&1)
ms=$((($(date +%s%N) - t0) / 1000000))
if [ -z "$out" ] && [ "$ms" -lt 1000 ]; then
	pass "build is quiet and fast when cached (${ms} ms)"
else
	fail "build when cached: ${ms} ms, output '$out'"
fi

a=$("$TH" guest-initramfs)
b=$("$TH" guest-initramfs)
echo 'echo other' >"$WORK/other.sh"
c=$("$TH" guest-initramfs --script "$WORK/other.sh")
if [ -n "$a" ] && [ "$a" = "$b" ] && [ -n "$c" ] && [ "$a" != "$c" ]; then
	pass "guest-initramfs is cached by content"
else
	fail "guest-initramfs cache: '$a' '$b' '$c'"
fi
echo payload-1 >"$WORK/data.txt"
f1=$("$TH" guest-initramfs --file "$WORK/data.txt:/etc/vireo/data.txt")
echo payload-2 >"$WORK/data.txt"
f2=$("$TH" guest-initramfs --file "$WORK/data.txt:/etc/vireo/data.txt")
got=$(cd "$WORK" && cpio -i --quiet --to-stdout etc/vireo/data.txt <"$f2")
if [ -n "$f1" ] && [ "$f1" != "$f2" ] && [ "$got" = payload-2 ]; then
	pass "guest-initramfs --file adds the file and its content keys the cache"
else
	fail "guest-initramfs --file: '$f1' '$f2' content '$got'"
fi
expect_rc 2 "guest-initramfs --file with a relative destination" \
	"$TH" guest-initramfs --file "$WORK/data.txt:etc/x"
expect_rc 2 "guest-initramfs --file over /init" \
	"$TH" guest-initramfs --file "$WORK/data.txt:/init"
expect_rc 2 "guest-initramfs --file with a missing source" \
	"$TH" guest-initramfs --file "$WORK/nonexistent"
d=$("$TH" guest-initramfs --modules virtio_net)
order=$(cd "$WORK" && cpio -i --quiet --to-stdout modules.order <"$d" | tr '\n' ' ')
case "$order" in
*virtio_ring*virtio_net*) pass "guest-initramfs module order: $order" ;;
*) fail "guest-initramfs module order: '$order'" ;;
esac

# An L1 that dies or stalls under the command is booted again (default --retries 1); the
# command's own failure is not retried (exit 7 below came from one L1). The marker in
# $TESTHOST_OUT tells the second attempt from the first.
once='if [ -e "$TESTHOST_OUT/once" ]; then echo second; exit 4; fi; : >"$TESTHOST_OUT/once"'
# The stalled L1 (checked below, in order) spends most of its time idle, until its missing
# heartbeat is noticed: it runs in the background from here, beside the next L1 runs.
stall_t0=$(date +%s)
(
	cd "$ROOT" || exit 1
	TESTHOST_STALL=15 "$TH" run --timeout 200 -- \
		sh -c "$once; kill -STOP \$(cat /run/testhost-heartbeat.pid); sleep 150" \
		>"$WORK/stall.out" 2>"$WORK/stall.err"
	echo "$? $(($(date +%s) - stall_t0))" >"$WORK/stall.rc"
) &
stall_pid=$!

# A full run from a cwd that only exists on the host.
mkdir -p "$WORK/cwd"
cd "$WORK/cwd" || exit 1
export TESTHOST_SECRET_FROM_HOST=1
"$TH" run --smp 1 --hugepages 8 --env GREETING='hello world' --env "TH=$TH" -- \
	bash -c '
	echo "cwd=$PWD"
	echo "greeting=$GREETING"
	echo "secret=${TESTHOST_SECRET_FROM_HOST:-unset}"
	echo "args=$#:$1|$2"
	echo "cpus=$(nproc)"
	echo "hugepages=$(cat /proc/sys/vm/nr_hugepages)"
	echo "softlockup_panic=$(cat /proc/sys/kernel/softlockup_panic)"
	[ -c /dev/kvm ] && echo "kvm=yes"
	touch /testhost-should-not-leak && echo "rootwrite=yes"
	python3 -c "import socket; s = socket.socket(socket.AF_UNIX); s.bind(\"/tmp/th.sock\"); print(\"unixsock=yes\")"
	"$TH" run -- sh -c "exit 3" 2>/dev/null
	echo "nested-run=$?"
	"$TH" need
	echo "need-in-l1=$?"
	echo result >"$TESTHOST_OUT/result.txt"
	echo "to-stderr" >&2
	exit 7' argv0 'a b' "c'd" >"$WORK/run.out" 2>"$WORK/run.err"
rc=$?
cd "$ROOT" || exit 1
if [ "$rc" -eq 7 ]; then
	pass "run returns the command's exit code"
else
	fail "run exit code $rc, wanted 7"
fi
check_line() {
	if grep -qxF "$1" "$WORK/run.out"; then
		pass "run: $1"
	else
		fail "run: no line '$1' in stdout"
	fi
}
check_line "cwd=$WORK/cwd"
check_line "greeting=hello world"
check_line "secret=unset"
check_line "args=2:a b|c'd"
check_line "cpus=1"
check_line "hugepages=8"
check_line "softlockup_panic=1"
check_line "kvm=yes"
check_line "rootwrite=yes"
check_line "unixsock=yes"
check_line "nested-run=3"
check_line "need-in-l1=1"
if grep -qx to-stderr "$WORK/run.err" && ! grep -q to-stderr "$WORK/run.out"; then
	pass "run: stderr kept apart from stdout"
else
	fail "run: stderr not streamed separately"
fi
outdir=$(sed -n 's/^testhost: out=//p' "$WORK/run.err")
if [ -n "$outdir" ] && [ "$(cat "$outdir/result.txt" 2>/dev/null)" = result ]; then
	pass "run: \$TESTHOST_OUT reaches the host ($outdir)"
else
	fail "run: no result.txt in out dir '$outdir'"
fi
[ -n "$outdir" ] && rm -rf "$(dirname "$outdir")"
if [ ! -e /testhost-should-not-leak ]; then
	pass "run: writes to / stay inside the L1"
else
	fail "run: a write to / reached the host"
	rm -f /testhost-should-not-leak
fi

t0=$(date +%s)
expect_rc 124 "run --timeout 4 -- sleep 100" "$TH" run --timeout 4 -- sleep 100
secs=$(($(date +%s) - t0))
if [ "$secs" -lt 30 ]; then
	pass "timeout honoured (${secs}s)"
else
	fail "timeout took ${secs}s"
fi

expect_rc 125 "run --retries 0 with a kernel panic in the L1" \
	"$TH" run --retries 0 --timeout 120 -- sh -c 'echo c >/proc/sysrq-trigger; sleep 30'
if grep -q "panicked (Kernel panic - not syncing: sysrq triggered crash)" "$WORK/last.err"; then
	pass "panic reported with the console's panic line"
else
	fail "panic not reported"
	sed 's/^/    /' "$WORK/last.err" | head -n 3
fi

expect_rc 4 "run: an L1 panic is retried in a fresh L1" \
	"$TH" run --timeout 200 -- sh -c "$once; sync; echo c >/proc/sysrq-trigger; sleep 30"
if grep -q "running it again in a fresh L1 (attempt 2 of 2" "$WORK/last.err" &&
   grep -qx second "$WORK/last.out"; then
	pass "run: the retry is announced and ran the command again"
else
	fail "run: retry after a panic"
	sed 's/^/    /' "$WORK/last.err" | tail -n 10
fi
rm -rf "$(sed -n 's/.*consoles are kept in \([^,]*\),.*/\1/p' "$WORK/last.err")"
wait "$stall_pid"
read -r rc secs <"$WORK/stall.rc" || { rc=-1 secs="?"; }
rc_is 4 "run: an L1 whose heartbeat stops is stopped and retried" "$rc" "$WORK/stall.err"
if grep -q "no heartbeat for 15s" "$WORK/stall.err" && [ "$secs" -lt 120 ]; then
	pass "run: the stall was noticed after the heartbeat stopped (${secs}s in all)"
else
	fail "run: stall not noticed (${secs}s)"
	sed 's/^/    /' "$WORK/stall.err" | tail -n 10
fi
rm -rf "$(sed -n 's/.*consoles are kept in \([^,]*\),.*/\1/p' "$WORK/stall.err")"

mkdir "$WORK/tmpd"
TMPDIR="$WORK/tmpd" "$TH" run -- true 2>"$WORK/quiet.err"
left=$(ls -A "$WORK/tmpd")
if [ ! -s "$WORK/quiet.err" ] && [ -z "$left" ]; then
	pass "run with an empty default out dir prints nothing and leaves nothing"
else
	fail "run -- true: stderr '$(cat "$WORK/quiet.err")', left '$left'"
fi

# A run killed by its caller leaves no QEMU behind.
"$TH" run --out "$WORK/killed" -- sleep 100 >/dev/null 2>&1 &
pid=$!
sleep 5
kill -TERM "$pid"
wait "$pid"
rc=$?
sleep 1
if [ "$rc" -eq 143 ] && ! pgrep -f "path=$WORK/killed" >/dev/null; then
	pass "run killed with TERM exits 143 and stops its QEMU"
else
	fail "run killed with TERM: exit $rc, QEMU left: $(pgrep -f "path=$WORK/killed")"
	pkill -f "path=$WORK/killed"
fi

finish
