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

# Guests boot two at a time: a Linux boot keeps about one of the test host's two vCPUs
# busy, so the second one would otherwise idle.  Each is checked on its own, in order.
GUESTS=$(mktemp -d /tmp/smoke-guest.XXXXXX)
at_exit 'rm -rf "$GUESTS"'
declare -A GUEST_PID

# guest_start ID KERNEL SMP [QEMU ARGS...]: boots KERNEL under QEMU with KVM in the
# background (initramfs $INITRD, default $SMOKE_INITRD); its output in $GUESTS/ID.log, its
# exit status and seconds in $GUESTS/ID.rc.
guest_start() {
	local id=$1 kernel=$2 smp=$3 initrd=${INITRD:-$SMOKE_INITRD}
	shift 3

	(
		t0=$(now)
		timeout 120 qemu-system-x86_64 -enable-kvm -M pc -cpu host \
			-bios /usr/share/qemu/qboot.rom -smp "$smp" -m 256 \
			-nodefaults -no-user-config -no-reboot -display none \
			-serial stdio -kernel "$kernel" -initrd "$initrd" \
			-append "console=ttyS0 quiet panic=-1" "$@" </dev/null >"$GUESTS/$id.log" 2>&1
		echo "$? $(elapsed "$t0")" >"$GUESTS/$id.rc"
	) &
	GUEST_PID[$id]=$!
}

# guest_check ID NAME SMP: waits for guest ID and checks that it printed its CPU count
# (SMP) and exit line. With WANT_LINE set, the guest's output must also hold that exact
# line.
guest_check() {
	local id=$1 name=$2 smp=$3 log=$GUESTS/$1.log rc secs

	wait "${GUEST_PID[$id]}"
	read -r rc secs <"$GUESTS/$id.rc" || { rc=-1 secs="?"; }
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
	guest_start cloud1 "$SMOKE_KERNEL" 1
	guest_start cloud2 "$SMOKE_KERNEL" 2
	guest_check cloud1 "qemu+kvm cloud kernel 1 vCPU" 1
	guest_start std2 "$SMOKE_STD_KERNEL" 2
	guest_check cloud2 "qemu+kvm cloud kernel 2 vCPUs" 2
	guest_start huge "$SMOKE_KERNEL" 1 \
		-object memory-backend-file,id=m0,size=256M,mem-path=/dev/hugepages,share=on,prealloc=on \
		-numa node,memdev=m0
	guest_check std2 "qemu+kvm standard kernel 2 vCPUs" 2
	INITRD=$SMOKE_NET_INITRD guest_start net "$SMOKE_KERNEL" 1 \
		-netdev user,id=n0 -device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56
	guest_check huge "qemu+kvm cloud kernel, shared hugepage RAM" 1
	WANT_LINE="vireo-guest: eth0=52:54:00:12:34:56" \
		guest_check net "qemu+kvm cloud kernel, virtio-net modules" 1
fi

finish
