#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Boot real guests with vireo-vmm: Debian's cloud kernel with 1 vCPU, Debian's standard
# kernel with 2 vCPUs (found in ACPI's MADT, and with acpi=off in the MP table), a
# hugepage-backed guest with prealloc, a reboot through the i8042, the CMOS RTC (its alarm
# interrupt, hwclock) and the API socket (vm-info, exit-stats, shutdown).  Both kernel boot
# paths: decompressed by vireo-vmm (the default: the cloud kernel's payload is lz4, the
# standard kernel's xz) and the bzImage's own decompressor (--kernel-boot bzimage).  Each
# guest's busybox /init prints "vireo-guest: cpus=N mem=KB" and ends the VM.
#
# On a host whose /dev/kvm cannot boot Linux, the guest part runs inside the test host
# (scripts/testhost); the kernels and initramfs are prepared on the host first.
#
# usage: tests/vmm/boot.sh [VIREO-VMM [VIREOCTL]]

set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VMM=$(readlink -f "${1:-${VIREO_VMM:-$ROOT/build/vmm/vireo-vmm}}")
CTL=$(readlink -f "${2:-${VIREOCTL:-$(dirname "$VMM")/../control/vireoctl}}")
TESTHOST="$ROOT/scripts/testhost"

if [ -z "${VMM_BOOT_INNER:-}" ]; then
	K_CLOUD=$("$TESTHOST" guest-kernel cloud) || exit 1
	K_STD=$("$TESTHOST" guest-kernel standard) || exit 1
	INITRD=$("$TESTHOST" guest-initramfs) || exit 1
	INITRD_WAIT=$("$TESTHOST" guest-initramfs --script "$ROOT/tests/vmm/guest-wait.sh") || exit 1
	INITRD_RTC=$("$TESTHOST" guest-initramfs --script "$ROOT/tests/vmm/guest-rtc.sh") || exit 1
	exec "$TESTHOST" wrap --timeout 2400 --hugepages 256 --mem 6144 \
		--env VMM_BOOT_INNER=1 --env K_CLOUD="$K_CLOUD" --env K_STD="$K_STD" \
		--env INITRD="$INITRD" --env INITRD_WAIT="$INITRD_WAIT" \
		--env INITRD_RTC="$INITRD_RTC" \
		-- "$ROOT/tests/vmm/boot.sh" "$VMM" "$CTL"
fi

. "$ROOT/tests/lib.sh"
T=$(mktemp -d /tmp/vmm-boot.XXXXXX)
at_exit 'rm -rf "$T"'
CMDLINE="console=ttyS0 panic=-1 quiet"

# fail_vm WHAT: a failed check, with the last lines of the guest's console and vireo-vmm's
# messages (of the guest last checked: $O and $E).
fail_vm() {
	fail "$1"
	for f in "$O" "$E"; do
		[ -s "$f" ] && tail -n 30 "$f" | sed 's/^/    /'
	done
}

# Guests boot two at a time: a Linux boot keeps about one of the test host's two vCPUs
# busy, so the second one would otherwise idle.  Each guest has its own files; the checks
# still run one guest at a time, in the order below.
# boot_start ID VMM-ARGS...: start guest ID in the background: its console in $T/ID.out,
# vireo-vmm's messages in $T/ID.err, exit status and seconds in $T/ID.rc.
declare -A BOOT_PID
boot_start() {
	local id=$1
	shift
	(
		start=$(date +%s.%N)
		timeout 300 "$VMM" "$@" </dev/null >"$T/$id.out" 2>"$T/$id.err"
		rc=$?
		echo "$rc $(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo "?")" >"$T/$id.rc"
	) &
	BOOT_PID[$id]=$!
}

# boot_check ID NAME EXPECTED-CPUS EXPECTED-REASON: wait for guest ID and check it; its
# files are then $O and $E.
boot_check() {
	local id=$1 name=$2 cpus=$3 reason=$4 rc secs
	wait "${BOOT_PID[$id]}"
	O=$T/$id.out
	E=$T/$id.err
	read -r rc secs <"$T/$id.rc" || { rc=-1 secs="?"; }
	if [ "$rc" != 0 ]; then
		fail_vm "$name: vireo-vmm exited $rc"
	elif ! grep -q "vireo-guest: cpus=$cpus " "$O"; then
		fail_vm "$name: guest did not report cpus=$cpus"
	elif ! grep -q "vireo-guest: exit=0" "$O"; then
		fail_vm "$name: guest script did not finish"
	elif ! grep -q "^vireo-vmm: $reason" "$E"; then
		fail_vm "$name: no '$reason' exit reason"
	else
		pass "$name ($(grep -o 'vireo-guest: cpus=[^ ]* mem=[0-9]*' "$O"), ${secs}s)"
	fi
}

# Each guest is started while the one before it still boots, and checked before the next
# one starts.
boot_start cloud --kernel "$K_CLOUD" --initramfs "$INITRD" --cpus 1 --memory 256M \
	--cmdline "$CMDLINE" --exit-stats
# The CMOS RTC: its alarm interrupt reaches the guest, and hwclock's time stays set.
boot_start rtc --kernel "$K_CLOUD" --initramfs "$INITRD_RTC" --cpus 1 --memory 256M \
	--cmdline "$CMDLINE"

boot_check cloud "cloud kernel, 1 vCPU" 1 "guest power-off"
if grep -q "^vireo-vmm exit statistics: 1 vCPU" "$E" &&
   grep -q "^io " "$E" && grep -q "^pio 0x3f8 serial out" "$E"; then
	pass "--exit-stats table (exit reasons, I/O by port)"
else
	fail_vm "--exit-stats table"
fi
if grep -q "^exits " "$E"; then
	pass "--exit-stats includes KVM's binary statistics"
else
	fail_vm "--exit-stats has no KVM binary statistics"
fi
boot_start std --kernel "$K_STD" --initramfs "$INITRD" --cpus 2 --memory 256M \
	--cmdline "$CMDLINE" --kernel-boot decompressed

boot_check rtc "cloud kernel, RTC alarm and hwclock" 1 "guest power-off"
if grep -q "vireo-guest: rtc alarm interrupt" "$O"; then
	pass "the RTC's alarm raises IRQ 8 ($(grep -o 'rtc0 interrupts .*' "$O"))"
else
	fail_vm "no RTC alarm interrupt in the guest"
fi
if grep -q "vireo-guest: hwclock .*2031" "$O"; then
	pass "hwclock -w then -r keeps the guest's time ($(grep -o 'hwclock .*' "$O"))"
else
	fail_vm "hwclock did not keep the time the guest set"
fi
# The classic path, still the fallback: the guest decompresses the kernel itself.
boot_start cloud-bz --kernel "$K_CLOUD" --initramfs "$INITRD" --cpus 1 --memory 256M \
	--cmdline "$CMDLINE" --kernel-boot bzimage

boot_check std "standard kernel, 2 vCPUs" 2 "guest power-off"
boot_start std-bz --kernel "$K_STD" --initramfs "$INITRD" --cpus 2 --memory 256M \
	--cmdline "$CMDLINE" --kernel-boot bzimage

boot_check cloud-bz "cloud kernel, 1 vCPU, --kernel-boot bzimage" 1 "guest power-off"
# Without ACPI the standard kernel finds the CPUs in the MP table, and reboots to end.
boot_start acpi-off --kernel "$K_STD" --initramfs "$INITRD" --cpus 2 --memory 256M \
	--cmdline "$CMDLINE acpi=off"

boot_check std-bz "standard kernel, 2 vCPUs, --kernel-boot bzimage" 2 "guest power-off"
boot_start huge --kernel "$K_CLOUD" --initramfs "$INITRD" --cpus 2 \
	--memory 256M,hugepages=2M,prealloc=on --cmdline "$CMDLINE"

boot_check acpi-off "standard kernel, acpi=off, 2 vCPUs from the MP table" 2 "guest reboot"
# 3.5 GiB: 3 GiB below the hole, 0.5 GiB at 4 GiB (two regions of one memfd); the guest can
# only see more than 3 GiB through the region above 4 GiB.
boot_start big --kernel "$K_CLOUD" --initramfs "$INITRD" --memory 3584M --cmdline "$CMDLINE"

boot_check huge "cloud kernel, 2 vCPUs, 2M hugepages, prealloc" 2 "guest power-off"
boot_start reboot --kernel "$K_CLOUD" --initramfs "$INITRD" --cmdline "$CMDLINE vireo.exit=reboot"

boot_check big "cloud kernel, 3584 MiB (RAM above 4 GiB)" 1 "guest power-off"
kb=$(sed -n 's/.*vireo-guest: cpus=[0-9]* mem=\([0-9]*\).*/\1/p' "$O")
if [ -n "$kb" ] && [ "$kb" -gt 3145728 ]; then
	pass "the guest sees more than 3 GiB ($kb KiB), so RAM above 4 GiB works"
else
	fail_vm "the guest sees ${kb:-no} KiB, expected more than 3 GiB"
fi

boot_check reboot "cloud kernel, reboot through the i8042" 1 "guest reboot"

# The API socket: vm-info and exit-stats while the guest waits, then shutdown.  This guest
# also has its vCPUs pinned crosswise, the emulator thread pinned, halt polling off and its
# console in a file.
SOCK=/run/vireo-vmm-boot-test.sock
timeout 300 "$VMM" --kernel "$K_CLOUD" --initramfs "$INITRD_WAIT" --cpus 2 \
	--cmdline "$CMDLINE" --api-socket "$SOCK" --cpu-pin 0:1,1:0 --emulator-pin 0 \
	--halt-poll-ns 0 --serial "file=$T/console" </dev/null >"$T/out" 2>"$T/err" &
pid=$!
O=$T/out
E=$T/err
i=0
while [ $i -lt 240 ] && ! grep -q "vireo-guest: cpus=2 waiting" "$T/console" 2>/dev/null; do
	kill -0 $pid 2>/dev/null || break
	sleep 1
	i=$((i + 1))
done
if grep -q "vireo-guest: cpus=2 waiting" "$T/console" 2>/dev/null && [ ! -s "$T/out" ]; then
	pass "--serial file= (console in the file, nothing on stdout)"
else
	fail_vm "--serial file="
fi
# vireo-vmm is the child of timeout
pins=$(thread_cpus "$(pgrep -P $pid -x vireo-vmm)")
if vmm_pins_ok "$pins"; then
	pass "--cpu-pin and --emulator-pin, every non-vCPU thread ($pins )"
else
	fail_vm "--cpu-pin 0:1,1:0 --emulator-pin 0:$pins"
fi
if "$CTL" --target "$SOCK" vm-info >"$T/info" 2>&1 && grep -q "^vcpus: 2" "$T/info" &&
   grep -q "^state: running" "$T/info"; then
	pass "API vm-info"
else
	fail_vm "API vm-info: $(cat "$T/info")"
fi
if grep -q "^kernel boot: decompressed by vireo-vmm (lz4 payload" "$T/info"; then
	pass "API vm-info: $(grep "^kernel boot" "$T/info")"
else
	fail_vm "API vm-info does not say the kernel was decompressed: $(grep "^kernel" "$T/info")"
fi
if "$CTL" --target "$SOCK" exit-stats >"$T/stats" 2>&1 && grep -q "vcpu1" "$T/stats" &&
   grep -q "serial out" "$T/stats"; then
	pass "API exit-stats"
else
	fail_vm "API exit-stats: $(head -5 "$T/stats")"
fi
# --halt-poll-ns 0: KVM blocks halted vCPUs without polling (its counters say so).
if grep -q "^halt_wait_ns" "$T/stats" && ! grep -q "^halt_attempted_poll" "$T/stats"; then
	pass "--halt-poll-ns 0: halts, no halt polling in KVM's counters"
else
	fail_vm "--halt-poll-ns 0: $(grep '^halt' "$T/stats" | tr -s ' ')"
fi
"$CTL" --target "$SOCK" shutdown >/dev/null 2>&1
wait $pid
rc=$?
if [ $rc -eq 0 ] && grep -q "^vireo-vmm: shutdown requested on the API socket" "$T/err"; then
	pass "API shutdown (exit 0)"
else
	fail_vm "API shutdown: exit $rc"
fi

finish
