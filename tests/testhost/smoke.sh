#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Smoke test of the test host: /dev/kvm exists and QEMU, as the reference VMM,
# boots Debian's cloud kernel with a busybox initramfs under KVM and reaches
# its userspace with the right CPU count. On a host whose KVM cannot boot
# Linux it runs itself inside `scripts/testhost run`; on a host with good KVM
# (or already inside the test host) it runs directly.

set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TH="$ROOT/scripts/testhost"

if [ -z "${SMOKE_KERNEL:-}" ]; then
	SMOKE_KERNEL=$("$TH" guest-kernel cloud) || exit 1
	SMOKE_STD_KERNEL=$("$TH" guest-kernel standard) || exit 1
	SMOKE_INITRD=$("$TH" guest-initramfs) || exit 1
	script=$(mktemp /tmp/smoke-script.XXXXXX)
	cat >"$script" <<'EOS'
echo "vireo-guest: cpus=$(grep -c ^processor /proc/cpuinfo) mem=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
echo "vireo-guest: eth0=$(cat /sys/class/net/eth0/address 2>/dev/null || echo none)"
EOS
	SMOKE_NET_INITRD=$("$TH" guest-initramfs --script "$script" \
		--modules virtio_pci,virtio_net) || exit 1
	rm -f "$script"
	if [ -z "${TESTHOST:-}" ] && "$TH" need; then
		exec "$TH" run --timeout 400 \
			--env "SMOKE_KERNEL=$SMOKE_KERNEL" \
			--env "SMOKE_STD_KERNEL=$SMOKE_STD_KERNEL" \
			--env "SMOKE_INITRD=$SMOKE_INITRD" \
			--env "SMOKE_NET_INITRD=$SMOKE_NET_INITRD" -- "$0" "$@"
	fi
fi

. "$ROOT/tests/lib.sh"

now() {
	date +%s.%N
}

elapsed() {
	awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'
}

# boot_guest NAME KERNEL SMP [QEMU ARGS...]: boots KERNEL under QEMU with KVM
# and checks that the guest printed its CPU count and exit line. With
# WANT_LINE set, the guest's output must also hold that exact line.
boot_guest() {
	local name=$1 kernel=$2 smp=$3 log t0 secs initrd=${INITRD:-$SMOKE_INITRD}
	shift 3

	log=$(mktemp /tmp/smoke-guest.XXXXXX)
	t0=$(now)
	timeout 120 qemu-system-x86_64 -enable-kvm -M pc -cpu host \
		-bios /usr/share/qemu/qboot.rom -smp "$smp" -m 256 \
		-nodefaults -no-user-config -no-reboot -display none \
		-serial stdio -kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 quiet panic=-1" "$@" </dev/null >"$log" 2>&1
	local rc=$?
	secs=$(elapsed "$t0")
	if [ "$rc" -ne 0 ]; then
		fail "$name: qemu exited $rc after ${secs}s"
		tail -n 20 "$log" | sed 's/^/    /'
	elif ! grep -q "^vireo-guest: cpus=$smp mem=[0-9]" "$log"; then
		fail "$name: no 'vireo-guest: cpus=$smp' line after ${secs}s"
		tail -n 20 "$log" | sed 's/^/    /'
	elif ! grep -q '^vireo-guest: exit=0' "$log"; then
		fail "$name: the guest script did not exit 0"
	elif [ -n "${WANT_LINE:-}" ] && ! tr -d '\r' <"$log" | grep -qxF "$WANT_LINE"; then
		fail "$name: no line '$WANT_LINE'"
		tail -n 20 "$log" | sed 's/^/    /'
	else
		pass "$name: $(grep '^vireo-guest: cpus' "$log" | tr -d '\r') in ${secs}s"
	fi
	rm -f "$log"
}

if [ -c /dev/kvm ]; then
	pass "/dev/kvm exists"
else
	fail "/dev/kvm missing"
fi
if [ -r /sys/module/kvm_amd/parameters/nested ] &&
	grep -qE '^(1|Y)$' /sys/module/kvm_amd/parameters/nested; then
	pass "kvm_amd nested=1"
elif [ -n "${TESTHOST:-}" ]; then
	fail "kvm_amd is not loaded with nested=1 in the test host"
fi
if [ -c /dev/kvm ]; then
	boot_guest "qemu+kvm cloud kernel 1 vCPU" "$SMOKE_KERNEL" 1
	boot_guest "qemu+kvm cloud kernel 2 vCPUs" "$SMOKE_KERNEL" 2
	boot_guest "qemu+kvm standard kernel 2 vCPUs" "$SMOKE_STD_KERNEL" 2
	boot_guest "qemu+kvm cloud kernel, shared hugepage RAM" "$SMOKE_KERNEL" 1 \
		-object memory-backend-file,id=m0,size=256M,mem-path=/dev/hugepages,share=on,prealloc=on \
		-numa node,memdev=m0
	INITRD=$SMOKE_NET_INITRD WANT_LINE="vireo-guest: eth0=52:54:00:12:34:56" \
		boot_guest "qemu+kvm cloud kernel, virtio-net modules" "$SMOKE_KERNEL" 1 \
		-netdev user,id=n0 -device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56
fi

finish
