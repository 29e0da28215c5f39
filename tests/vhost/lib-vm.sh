# SPDX-License-Identifier: BSD-3-Clause
#
# Shared by the vireo-vmm guest tests (tests/vhost/vm_*.sh).  Sourced with the test host's
# timeout in seconds:   . "$(dirname "$0")/lib-vm.sh" 900
# On the host it builds the guest kernel and initramfs (tests/vhost/vm_guest.sh as /init,
# or the caller's VM_GUEST_SCRIPT, with the extra guest-initramfs arguments of the array
# VM_GUEST_FILES, e.g. (--file SRC:DST)) and re-runs the calling script inside scripts/testhost (directly where KVM can boot
# Linux); inside, it loads tests/dp/lib.sh (and so tests/lib.sh) and defines VMM, CMDLINE, show_vm, wait_line
# and badinput.  VM_KEEP=1 keeps the run directory's logs (guest consoles, vireo-vmm's and
# vireo-dp's messages) and the test host kernel's in the out directory named at the end.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$(readlink -f "${VIREO_BUILD:-$ROOT/build}")
TESTHOST=$ROOT/scripts/testhost

if [ -z "${VM_TEST_INNER:-}" ]; then
	K=$("$TESTHOST" guest-kernel cloud) || exit 1
	I=$("$TESTHOST" guest-initramfs --modules virtio_pci,virtio_net \
		--script "${VM_GUEST_SCRIPT:-$ROOT/tests/vhost/vm_guest.sh}" \
		${VM_GUEST_FILES[@]+"${VM_GUEST_FILES[@]}"}) || exit 1
	exec "$TESTHOST" wrap --timeout "${1:-900}" --hugepages 700 --mem 4096 \
		--env VM_TEST_INNER=1 --env K="$K" --env I="$I" --env VIREO_BUILD="$BUILD" \
		--env VM_KEEP="${VM_KEEP:-}" \
		-- "$(readlink -f "$0")"
fi

. "$ROOT/tests/dp/lib.sh"
if [ -n "${VM_KEEP:-}" ] && [ -n "${TESTHOST_OUT:-}" ]; then
	at_exit 'find "$RUN" -maxdepth 1 -type f -exec cp {} "$TESTHOST_OUT/" \; ;
		dmesg >"$TESTHOST_OUT/host-dmesg.txt" 2>&1'
fi
VMM=$BUILD/vmm/vireo-vmm
CMDLINE="console=ttyS0 panic=-1 quiet"

# show_vm NAME: the last lines of a guest's console and vireo-vmm's messages.
show_vm() {
	sed "s/^/    $1: /" "$RUN/$1.out" "$RUN/$1.err" | tail -n 40
}

# wait_line FILE PATTERN SECONDS [PID]: wait until FILE has a line matching PATTERN; with
# PID, stop waiting when that process (the guest's vireo-vmm) has ended.
wait_line() {
	for _ in $(seq $(($3 * 10))); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		if [ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null; then
			grep -q "$2" "$1" 2>/dev/null
			return
		fi
		sleep 0.1
	done
	return 1
}

# guest_deaths: the lines of the guests' consoles and vireo-vmm's messages that say a
# guest kernel died (a panic, an oops' first line, a triple fault), at most 12.
guest_deaths() {
	grep -h -E "Kernel panic|double fault|BUG: |Oops|RIP: |triple fault" \
		"$RUN"/*.out "$RUN"/*.err 2>/dev/null | head -n 12
}

badinput() { # badinput NAME PATTERN ARGS...: exit 2 and PATTERN on stderr
	local name=$1 pat=$2 out rc
	shift 2
	out=$("$VMM" --kernel "$K" "$@" 2>&1 </dev/null)
	rc=$?
	if [ "$rc" -eq 2 ] && grep -q "$pat" <<<"$out"; then
		pass "bad input: $name"
	else
		fail "bad input: $name (exit $rc: $out)"
	fi
}
