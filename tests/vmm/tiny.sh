#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# vireo-vmm with tiny guests: bzImages whose 64-bit entry point holds a few instructions
# (no Linux), to check each way a guest can end the VM and what vireo-vmm reports:
# ACPI power-off, i8042 reset, triple fault, console output, a signal, the API shutdown.
# Needs a working /dev/kvm; runs in the test host when this machine has none.
#
# usage: tests/vmm/tiny.sh [VIREO-VMM [VIREOCTL]]

set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VMM=$(readlink -f "${1:-${VIREO_VMM:-$ROOT/build/vmm/vireo-vmm}}")
CTL=$(readlink -f "${2:-${VIREOCTL:-$(dirname "$VMM")/../control/vireoctl}}")

if [ -z "${VMM_TINY_INNER:-}" ]; then
	exec "$ROOT/scripts/testhost" wrap --timeout 540 --env VMM_TINY_INNER=1 \
		-- "$ROOT/tests/vmm/tiny.sh" "$VMM" "$CTL"
fi

. "$ROOT/tests/lib.sh"
T=$(mktemp -d /tmp/vmm-tiny.XXXXXX)
at_exit 'rm -rf "$T"'

# mkimage NAME HEX-CODE: a bzImage (protocol 2.15, 64-bit) whose entry (kernel + 0x200)
# runs the code.
mkimage() {
	python3 "$(dirname "$0")/mkbzimage.py" "$T/$1" --code "$2"
}

# hlt; jmp back to the hlt
HLT_LOOP="f4ebfd"
# mov ax, 0x3400 (SLP_TYP 5 | SLP_EN); mov dx, 0x604 (PM1a control); out dx, ax
POWEROFF="66b8003466ba040666ef$HLT_LOOP"
mkimage poweroff "$POWEROFF"
# mov al, 0xfe; out 0x64, al
mkimage reboot "b0fee664$HLT_LOOP"
# ud2 with an empty IDT: #UD, #GP, #DF, shutdown
mkimage triple "0f0b"
# "hi\n" on COM1, then power-off.
mkimage hello "66baf803b068eeb069eeb00aee$POWEROFF"
# cli; hlt forever
mkimage idle "fa$HLT_LOOP"
# Echo COM1 input to COM1 output until a newline, then power-off:
#   mov dx, 0x3fd; in al, dx; test al, 1; jz -5; mov dx, 0x3f8; in al, dx; out dx, al;
#   cmp al, 10; jne -19
mkimage echo "66bafd03eca80174fb66baf803ecee3c0a75ed$POWEROFF"
# 4 KiB at a time on COM1 forever (one exit per 4 KiB, fast even nested):
#   mov dx, 0x3f8; again: mov rsi, 0x100000; mov rcx, 0x1000; rep outsb; jmp again
mkimage flood "66baf80348c7c60000100048c7c100100000f36eebee"

# run NAME EXPECTED-STATUS REASON-PATTERN VMM-ARGS...
run() {
	name=$1
	want=$2
	pattern=$3
	shift 3
	timeout 60 "$VMM" --memory 64M "$@" </dev/null >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -eq "$want" ] && grep -q "^vireo-vmm: $pattern" "$T/err"; then
		pass "$name: $(grep '^vireo-vmm: ' "$T/err" | head -n 1)"
	else
		fail "$name: exit $rc (expected $want)"
		sed 's/^/    /' "$T/err" | head -n 20
	fi
}

run "ACPI power-off" 0 "guest power-off (ACPI S5)" --kernel "$T/poweroff"
run "i8042 reset" 0 "guest reboot (i8042 reset)" --kernel "$T/reboot"
run "triple fault" 0 "guest triple fault" --kernel "$T/triple"
run "console output" 0 "guest power-off" --kernel "$T/hello" --exit-stats
if [ "$(cat "$T/out")" = "hi" ]; then
	pass "console output reaches stdout"
else
	fail "console output: '$(cat "$T/out")'"
fi
if grep -q "^pio 0x3f8 serial out .* 3 *3$" "$T/err" &&
   grep -q "^pio 0x604 acpi-pm out" "$T/err"; then
	pass "exit statistics count the guest's 3 serial writes and the power-off write"
else
	fail "exit statistics:"
	sed 's/^/    /' "$T/err" | head -n 20
fi
# Nobody reads the console: the VMM must not die of SIGPIPE.
( timeout 60 "$VMM" --memory 64M --kernel "$T/hello" </dev/null 2>"$T/err"; echo $? >"$T/rc" ) |
	true
if [ "$(cat "$T/rc")" = 0 ] && grep -q "^vireo-vmm: guest power-off" "$T/err"; then
	pass "console reader gone: the guest still runs to power-off"
else
	fail "console reader gone: exit $(cat "$T/rc"), $(cat "$T/err")"
fi
printf 'ping\n' | timeout 60 "$VMM" --memory 64M --kernel "$T/echo" >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 0 ] && [ "$(cat "$T/out")" = "ping" ]; then
	pass "stdin reaches the guest's UART (guest echoed 'ping')"
else
	fail "stdin to the guest: exit $rc, output '$(cat "$T/out")', $(cat "$T/err")"
fi
run "4 vCPUs, power-off from the BSP" 0 "guest power-off" --kernel "$T/poweroff" --cpus 4

# A guest that idles forever: SIGTERM stops it (128+15), so does the API's shutdown (0).
timeout 60 "$VMM" --memory 64M --kernel "$T/idle" </dev/null >"$T/out" 2>"$T/err" &
pid=$!
sleep 2
vpid=$(pgrep -P $pid -x vireo-vmm)
kill -TERM "$vpid"
wait $pid
rc=$?
if [ $rc -eq 143 ] && grep -q "^vireo-vmm: stopped by signal" "$T/err"; then
	pass "SIGTERM: exit 143, $(cat "$T/err")"
else
	fail "SIGTERM: exit $rc: $(cat "$T/err")"
fi
timeout 60 "$VMM" --memory 64M --kernel "$T/idle" --cpus 2 --api-socket /run/vmm-tiny.sock \
	</dev/null >"$T/out" 2>"$T/err" &
pid=$!
i=0
while [ $i -lt 50 ] && [ ! -S /run/vmm-tiny.sock ]; do
	sleep 0.2
	i=$((i + 1))
done
if "$CTL" --target /run/vmm-tiny.sock --json exit-stats >"$T/json" 2>&1 &&
   python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["vcpus"] == 2 and "reasons" in d and "kvm_vcpu" in d' "$T/json" &&
   "$CTL" --target /run/vmm-tiny.sock --json vm-info >"$T/json" 2>&1 &&
   python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["vcpus"] == 2 and d["memory_mib"] == 64 and d["shared"] and d["memory_regions"][0]["size"] == 64 << 20' "$T/json"; then
	pass "API JSON replies (exit-stats, vm-info)"
else
	fail "API JSON replies: $(head -c 300 "$T/json")"
fi
"$CTL" --target /run/vmm-tiny.sock shutdown >/dev/null 2>&1
wait $pid
rc=$?
if [ $rc -eq 0 ] && grep -q "^vireo-vmm: shutdown requested on the API socket" "$T/err" &&
   [ ! -e /run/vmm-tiny.sock ]; then
	pass "API shutdown of an idle 2-vCPU guest (socket removed)"
else
	fail "API shutdown: exit $rc: $(cat "$T/err")"
fi

# A console nobody reads (stdout a pipe to 'sleep') and a guest that prints without end:
# once output is being dropped (vm-info counts it; a nested guest is slow to fill the pipe
# and the ring), SIGTERM and the API's shutdown still stop vireo-vmm within seconds; the
# drops are logged once and summed up at exit.
# flood_run NAME EXPECTED-STATUS STOP-COMMAND
flood_run() {
	name=$1
	want=$2
	stop=$3
	sock=/run/vmm-flood.sock
	rm -f "$T/rc" "$T/json"
	# The reader shrinks its pipe to one page (F_SETPIPE_SZ), then becomes a 'sleep' that
	# never reads: less for a slow nested guest to fill before the ring overflows.
	( timeout 280 "$VMM" --memory 64M --kernel "$T/flood" --api-socket $sock </dev/null \
		2>"$T/err"; echo $? >"$T/rc" ) |
		python3 -c 'import fcntl, os; fcntl.fcntl(0, 1031, 4096); os.execvp("sleep", ["sleep", "300"])' &
	i=0
	dropped=0
	info="no reply"
	while [ $i -lt 200 ] && [ "$dropped" = 0 ] && [ ! -s "$T/rc" ]; do
		sleep 1
		i=$((i + 1))
		"$CTL" --target $sock --json vm-info >"$T/json" 2>&1 || { info=$(head -c 200 "$T/json"); continue; }
		info=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["console"])' "$T/json" 2>&1)
		dropped=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["console"]["dropped"])' "$T/json" 2>/dev/null || echo 0)
	done
	t0=$(date +%s)
	eval "$stop"
	i=0
	while [ $i -lt 100 ] && [ ! -s "$T/rc" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	t1=$(date +%s)
	rc=$(cat "$T/rc" 2>/dev/null || echo "still running")
	# $! is the pipeline's last command, the 'sleep' (or, in some shells, its parent)
	kill $! 2>/dev/null
	pkill -P $! -x sleep 2>/dev/null
	if [ "$dropped" != 0 ] && [ "$rc" = "$want" ] &&
	   [ "$(grep -c "stdout does not keep up" "$T/err")" = 1 ] &&
	   grep -q "bytes of guest output dropped" "$T/err"; then
		pass "$name: $dropped bytes dropped after ${i} s; exit $rc $((t1 - t0)) s after the request"
	else
		fail "$name: dropped $dropped after ${i} s (console: $info), exit $rc after $((t1 - t0)) s: $(head -c 600 "$T/err")"
	fi
	wait
}
flood_run "unread console, SIGTERM" 143 \
	'pkill -TERM -x -f "$VMM --memory 64M --kernel $T/flood --api-socket $sock"'
flood_run "unread console, API shutdown" 0 '"$CTL" --target $sock shutdown >/dev/null 2>&1'

# A bad API socket path is bad input (exit 2), found before the guest runs.
run "API socket in a missing directory" 2 "--api-socket /nonexistent/dir/vm.sock" \
	--kernel "$T/idle" --api-socket /nonexistent/dir/vm.sock

finish
