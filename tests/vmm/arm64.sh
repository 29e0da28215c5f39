#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# vireo-vmm on arm64, in the arm64 test host (scripts/testhost --arch arm64): Debian's arm64
# cloud kernel with the project's busybox initramfs boots to userspace with 1 vCPU (the
# Image) and 2 vCPUs (the same Image gzip-compressed, inflated by the VMM; the second vCPU
# started by PSCI CPU_ON), each checked in /proc/cpuinfo, and the guest's poweroff (PSCI
# SYSTEM_OFF) ends vireo-vmm with status 0; bad input exits 2 with its message.  The binary is
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
	work=$(mktemp -d /tmp/vmm-arm64.XXXXXX)
	gzip -1 -c "$kernel" >"$work/vmlinuz.gz"
	t0=$(date +%s)
	"$TH" --arch arm64 run --timeout 900 --mem 2048 \
		--env "VMM=$B/vmm/vireo-vmm" --env "KERNEL=$kernel" --env "KERNEL_STD=$kernel_std" \
		--env "KERNEL_GZ=$work/vmlinuz.gz" --env "INITRD=$initrd" -- "$0"
	rc=$?
	echo "arm64 test host: $(($(date +%s) - t0)) s in all"
	rm -rf "$work"
	exit "$rc"
fi

CMDLINE="console=ttyS0 quiet panic=-1 vireo.exit=poweroff"

# boot NAME CPUS KERNEL: a guest to userspace and power-off.
boot() {
	local name=$1 cpus=$2 kernel=$3 out rc t0 t1

	out=$(mktemp)
	t0=$(date +%s.%N)
	timeout 300 "$VMM" --kernel "$kernel" --initramfs "$INITRD" --cpus "$cpus" \
		--memory 256M --cmdline "$CMDLINE" >"$out" 2>&1
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
finish
