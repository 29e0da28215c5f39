#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# vireo-vmm on arm64, in the arm64 test host (scripts/testhost --arch arm64): Debian's arm64
# cloud kernel with the project's busybox initramfs boots to userspace with 1 vCPU (the
# Image) and 2 vCPUs (the same Image gzip-compressed, inflated by the VMM; the second vCPU
# started by PSCI CPU_ON), the standard kernel with 2 vCPUs on 2 MiB hugetlb RAM, each
# checked in /proc/cpuinfo, and the guest's poweroff (PSCI SYSTEM_OFF) ends vireo-vmm with
# status 0; a waiting guest with pinned vCPUs and emulator thread, halt polling off and its
# console in a file answers the API socket (vm-info, exit-stats, shutdown: exit 0); bad
# input exits 2 with its message.  The binary is
# cross-built by scripts/build --arch arm64 (build-arm64/, or $VIREO_BUILD_ARM64).  One L1
# boot runs every case.  Prints PASS/FAIL lines; exit 0 only when all pass.

set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
TEST_NAME=vmm-arm64
TH="$ROOT/scripts/testhost"

if [ -z "${TESTHOST:-}" ]; then
	B=${VIREO_BUILD_ARM64:-$ROOT/build-arm64}
	log=$(mktemp)
	if ! VIREO_BUILD_ARM64=$B "$ROOT/scripts/build" --arch arm64 >"$log" 2>&1; then
		tail -30 "$log"
		fail "scripts/build --arch arm64"
		finish
	fi
	rm -f "$log"
	kernel=$("$TH" --arch arm64 guest-kernel cloud) || exit 1
	kernel_std=$("$TH" --arch arm64 guest-kernel standard) || exit 1
	initrd=$("$TH" --arch arm64 guest-initramfs) || exit 1
	initrd_wait=$("$TH" --arch arm64 guest-initramfs --script "$ROOT/tests/vmm/guest-wait.sh") ||
		exit 1
	work=$(mktemp -d /tmp/vmm-arm64.XXXXXX)
	gzip -1 -c "$kernel" >"$work/vmlinuz.gz"
	t0=$(date +%s)
	"$TH" --arch arm64 run --timeout 900 --mem 2048 --hugepages 160 \
		--env "VMM=$B/vmm/vireo-vmm" --env "KERNEL=$kernel" --env "KERNEL_STD=$kernel_std" \
		--env "KERNEL_GZ=$work/vmlinuz.gz" --env "INITRD=$initrd" \
		--env "INITRD_WAIT=$initrd_wait" --env "CTL=$B/control/vireoctl" -- "$0"
	rc=$?
	echo "arm64 test host: $(($(date +%s) - t0)) s in all"
	rm -rf "$work"
	exit "$rc"
fi

CMDLINE="console=ttyS0 quiet panic=-1 vireo.exit=poweroff"

# boot NAME CPUS KERNEL [MEMORY]: a guest to userspace and power-off.
boot() {
	local name=$1 cpus=$2 kernel=$3 mem=${4:-256M} out rc t0 t1

	out=$(mktemp)
	t0=$(date +%s.%N)
	timeout 300 "$VMM" --kernel "$kernel" --initramfs "$INITRD" --cpus "$cpus" \
		--memory "$mem" --cmdline "$CMDLINE" >"$out" 2>&1
	rc=$?
	t1=$(date +%s.%N)
	if [ "$rc" -eq 0 ] && grep -q "^vireo-guest: cpus=$cpus " "$out" &&
	   grep -q 'vireo-vmm: guest power-off' "$out"; then
		pass "$name: $cpus vCPU(s) in /proc/cpuinfo, power-off, exit 0 ($(awk \
			"BEGIN { printf \"%.1f\", $t1 - $t0 }") s)"
	else
		fail "$name: exit $rc, $cpus vCPU(s) expected"
		tail -30 "$out" | sed 's/^/    /'
	fi
	rm -f "$out"
}

# bad NAME PATTERN ARGS...: exit 2 with a message matching PATTERN.
bad() {
	local name=$1 pat=$2 out rc
	shift 2

	out=$(timeout 60 "$VMM" "$@" 2>&1)
	rc=$?
	if [ "$rc" -eq 2 ] && grep -q -- "$pat" <<<"$out"; then
		pass "bad input: $name (exit 2: $(head -1 <<<"$out"))"
	else
		fail "bad input: $name: exit $rc, '$out'"
	fi
}

uname -m | grep -qx aarch64 || fail "not an arm64 test host: $(uname -m)"
boot "Image" 1 "$KERNEL"
boot "gzip vmlinuz" 2 "$KERNEL_GZ"
boot "standard kernel, RAM in 2 MiB hugetlb pages" 2 "$KERNEL_STD" 256M,hugepages=2M

# The API socket (vm-info, exit-stats, shutdown) while the guest waits, with its vCPUs
# pinned crosswise, the emulator thread pinned, halt polling off and the console in a file.
SOCK=/run/vireo-vmm-arm64-test.sock
T=$(mktemp -d)
timeout 300 "$VMM" --kernel "$KERNEL" --initramfs "$INITRD_WAIT" --cpus 2 \
	--cmdline "console=ttyS0 quiet panic=-1" --api-socket "$SOCK" --cpu-pin 0:1,1:0 \
	--emulator-pin 0 --halt-poll-ns 0 --serial "file=$T/console" </dev/null >"$T/out" \
	2>"$T/err" &
pid=$!
PIDS+=("$pid")
for _ in $(seq 240); do
	grep -q "vireo-guest: cpus=2 waiting" "$T/console" 2>/dev/null && break
	kill -0 $pid 2>/dev/null || break
	sleep 1
done
check "--serial file=: the guest's console in the file, nothing on stdout" \
	eval 'grep -q "vireo-guest: cpus=2 waiting" "$T/console" && [ ! -s "$T/out" ]'
pins=$(thread_cpus "$(pgrep -P $pid -x vireo-vmm)")
check "--cpu-pin 0:1,1:0 and --emulator-pin 0 on every other thread ($pins )" \
	vmm_pins_ok "$pins"
"$CTL" --target "$SOCK" vm-info >"$T/info" 2>&1
check "API vm-info: 2 vCPUs, running" \
	eval 'grep -q "^vcpus: 2" "$T/info" && grep -q "^state: running" "$T/info"'
"$CTL" --target "$SOCK" exit-stats >"$T/stats" 2>&1
check "API exit-stats: both vCPUs, the console's MMIO" \
	eval 'grep -q "vcpu1" "$T/stats" && grep -q "serial write" "$T/stats"'
check "--halt-poll-ns 0: the vCPUs halt and KVM does not poll ($(grep '^halt' "$T/stats" |
	tr -s ' ' | tr '\n' ';'))" \
	eval 'grep -q "^halt_wait_ns" "$T/stats" && ! grep -q "^halt_attempted_poll" "$T/stats"'
"$CTL" --target "$SOCK" shutdown >/dev/null 2>&1
wait $pid
rc=$?
check "API shutdown: exit 0 (was $rc)" \
	eval '[ $rc -eq 0 ] && grep -q "^vireo-vmm: shutdown requested on the API socket" "$T/err"'
rm -rf "$T"
bad "not an Image" "not an arm64 Linux Image" --kernel "$INITRD" --memory 64M
head -c 100000 "$KERNEL_GZ" >/tmp/truncated.gz
bad "truncated gzip" "truncated (the gzip stream ends early)" --kernel /tmp/truncated.gz \
	--memory 64M
cp "$KERNEL_GZ" /tmp/corrupt.gz
printf 'XXXXXXXX' | dd of=/tmp/corrupt.gz bs=1 seek=5000000 conv=notrunc status=none
bad "corrupt gzip" "--kernel /tmp/corrupt.gz: invalid\|incorrect" --kernel /tmp/corrupt.gz \
	--memory 64M
# The standard kernel (32.9 MB, image_size 32 MiB) does not fit below the device tree in 32 MiB.
bad "memory below the kernel" "too small for the kernel" --kernel "$KERNEL_STD" --memory 32M
bad "--net without its socket" "no such socket" --kernel "$KERNEL" \
	--net vhost-user=/run/none.sock
bad "too many vCPUs" "at most 64 vCPUs" --kernel "$KERNEL" --cpus 65
bad "command line over 2047 bytes" "--cmdline: 2100 bytes, the kernel takes at most 2047" \
	--kernel "$KERNEL" --cmdline "$(printf '%02100d' 0)"
finish
