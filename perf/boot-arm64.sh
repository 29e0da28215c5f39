#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# perf/boot --arch arm64: boot time and memory overhead of vireo-vmm for arm64 against
# Debian's arm64 QEMU (-M virt, GICv3), on the same arm64 kernel (Debian's cloud kernel) and
# busybox initramfs, alternately, several rounds, in one run.  Both run inside the arm64 test
# host (scripts/testhost --arch arm64: a TCG L1 whose KVM runs the guests), which has no
# Python: this script measures as perf/boot does, in bash.  For each boot: the wall time
# from starting the VMM to the guest's first userspace line ("vireo-guest: cpus=") and to the
# VMM's exit after the guest powers off; the VMM's own memory, the peak of VmRSS minus
# RssShmem sampled every 50 ms (both VMMs get their guest RAM as a shared memfd, so guest
# pages are RssShmem; hugetlb pages are in neither).  Figures from the test host compare side by side within one run only.
#
# With --hugepages both VMMs get their guest RAM from 2 MiB hugetlb pages (vireo-vmm
# hugepages=2M, QEMU memory-backend-memfd hugetlb=on), as NFV hosts give vhost-user guests:
# KVM then maps the guest's RAM in 2 MiB blocks and the guest takes about a tenth of the
# nested stage-2 faults of 4 KiB pages.
#
# usage: perf/boot --arch arm64 [--rounds N] [--cpus N] [--memory MB] [--hugepages]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TH=$ROOT/scripts/testhost
ROUNDS=3 CPUS=1 MEMORY=256 HUGE=
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) ROUNDS=$2; shift ;;
	--cpus) CPUS=$2; shift ;;
	--memory) MEMORY=$2; shift ;;
	--hugepages) HUGE=--hugepages ;;
	*) echo "usage: perf/boot --arch arm64 [--rounds N] [--cpus N] [--memory MB] [--hugepages]" >&2
		exit 2 ;;
	esac
	shift
done
case $MEMORY in
''|*[!0-9]*) echo "perf/boot: --memory '$MEMORY': a number of MiB" >&2; exit 2 ;;
esac
if [ -n "$HUGE" ] && [ $((MEMORY % 2)) -ne 0 ]; then
	echo "perf/boot: --memory $MEMORY with --hugepages: not a multiple of 2 MiB" >&2
	exit 2
fi

if [ -z "${TESTHOST:-}" ]; then
	B=${VIREO_BUILD_ARM64:-$ROOT/build-arm64}
	log=$(mktemp)
	if ! VIREO_BUILD_ARM64=$B "$ROOT/scripts/build" --arch arm64 >"$log" 2>&1; then
		tail -30 "$log"
		echo "perf/boot: scripts/build --arch arm64 failed" >&2
		exit 1
	fi
	rm -f "$log"
	kernel=$("$TH" --arch arm64 guest-kernel cloud) || exit 1
	initrd=$("$TH" --arch arm64 guest-initramfs) || exit 1
	qemu=$("$TH" --arch arm64 guest-qemu) || exit 1
	# One VMM runs at a time: its RAM in 2 MiB pages, and a few to spare.
	hp=()
	[ -n "$HUGE" ] && hp=(--hugepages $((MEMORY / 2 + 16)))
	exec "$TH" --arch arm64 run --timeout 1500 --mem $((2048 + MEMORY)) "${hp[@]}" \
		--env "VMM=$B/vmm/vireo-vmm" --env "KERNEL=$kernel" --env "INITRD=$initrd" \
		--env "QEMU_DIR=$qemu" -- "$0" --rounds "$ROUNDS" --cpus "$CPUS" --memory "$MEMORY" $HUGE
fi

BOOT_TIMEOUT=240
TAIL="quiet panic=-1 vireo.exit=poweroff"
VMEM=${MEMORY}M,shared=on QHUGE= RAMKIND=memfd
if [ -n "$HUGE" ]; then
	VMEM=$VMEM,hugepages=2M QHUGE=,hugetlb=on,hugetlbsize=2M RAMKIND="memfd, 2 MiB hugetlb pages"
fi
export LD_LIBRARY_PATH=$QEMU_DIR/usr/lib/aarch64-linux-gnu:$QEMU_DIR/lib/aarch64-linux-gnu

# vmm_argv NAME: the command line of VMM NAME, in the array ARGV.
vmm_argv() {
	case $1 in
	vireo-vmm)
		ARGV=("$VMM" --kernel "$KERNEL" --initramfs "$INITRD" --cpus "$CPUS"
			--memory "$VMEM" --cmdline "console=ttyS0 $TAIL") ;;
	qemu-virt)
		ARGV=("$QEMU_DIR/usr/bin/qemu-system-aarch64" -L "$QEMU_DIR/usr/share/qemu"
			-M virt,gic-version=3,memory-backend=ram -accel kvm -cpu host
			-m "${MEMORY}M" -smp "$CPUS" -nodefaults -no-user-config -display none
			-serial stdio -no-reboot -kernel "$KERNEL" -initrd "$INITRD"
			-append "console=ttyAMA0 $TAIL"
			-object "memory-backend-memfd,id=ram,size=${MEMORY}M,share=on$QHUGE") ;;
	esac
}

# stamp: each line of stdin with the time it arrived (bash's own clock, no process started),
# so that the guest's userspace line is timed when it is printed, not when the polling loop
# below next looks (a loop pass costs tens of milliseconds under TCG, and the guest may
# power off within one).
stamp() {
	local line
	while IFS= read -r line; do
		printf '%s %s\n' "$EPOCHREALTIME" "$line"
	done
}

# The sampling loop below starts no process while a guest boots, so that the measurement
# takes as little as it can from the VMM measured: it waits with read's timeout on a FIFO no
# one writes, and compares EPOCHREALTIME in microseconds with shell arithmetic.
NAP=$(mktemp -u)
mkfifo "$NAP"
exec {NAP_FD}<>"$NAP"
rm -f "$NAP"

# measure NAME: one boot; prints "NAME userspace_s exit_s overhead_kib rc".
measure() {
	local out t0 t0us now t_user=- t_exit pid spid peak=0 rss shm k v rc
	out=$(mktemp)
	# a FIFO, not a process substitution: the test host has no /dev/fd
	rm -f "$out.fifo"
	mkfifo "$out.fifo"
	stamp <"$out.fifo" >"$out" &
	spid=$!
	vmm_argv "$1"
	t0=$EPOCHREALTIME
	t0us=${t0/./}
	"${ARGV[@]}" </dev/null >"$out.fifo" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		rss= shm=
		while read -r k v _; do
			case $k in
			VmRSS:) rss=$v ;;
			RssShmem:) shm=$v ;;
			esac
		done <"/proc/$pid/status" 2>/dev/null
		[ -n "$rss" ] && [ -n "$shm" ] && [ $((rss - shm)) -gt "$peak" ] &&
			peak=$((rss - shm))
		now=${EPOCHREALTIME/./}
		[ $((now - t0us)) -gt $((BOOT_TIMEOUT * 1000000)) ] && kill -9 "$pid"
		read -r -t 0.05 -u "$NAP_FD" _
	done
	wait "$pid"
	rc=$?
	t_exit=$EPOCHREALTIME
	wait "$spid"	# the last lines through stamp()
	rm -f "$out.fifo"
	t_user=$(awk -v a="$t0" '$2 == "vireo-guest:" && $3 ~ /^cpus=/ { printf "%.2f", $1 - a; exit }' "$out")
	[ -n "$t_user" ] || t_user=-
	if [ "$rc" != 0 ] || [ "$t_user" = - ]; then
		echo "perf/boot: $1 failed (exit $rc); last output:" >&2
		tail -20 "$out" >&2
	fi
	echo "$1 $t_user $(awk -v a="$t0" -v b="$t_exit" 'BEGIN { printf "%.2f", b - a }') $peak $rc"
	rm -f "$out"
}

# stat FILE COLUMN: "median (min-max)" of COLUMN over the good boots in FILE.
stat() {
	awk -v c="$2" '$5 == 0 && $2 ~ /^[0-9.]+$/ { print $c }' "$1" | sort -g |
		awk '{ v[NR] = $1 } END {
			if (NR == 0) { print "failed"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.2f (%.2f-%.2f)", m, v[1], v[NR] }'
}

res=$(mktemp)
for r in $(seq "$ROUNDS"); do
	for name in vireo-vmm qemu-virt; do
		line=$(measure "$name")
		echo "round $r $line"
		echo "$line" >>"$res"
	done
done
echo
echo "perf/boot --arch arm64: $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -n) $(uname -r)," \
	"$(nproc) CPUs, arm64 test host (KVM in a TCG L1)"
echo "guest: $(basename "$KERNEL"), $CPUS vCPU, $MEMORY MiB ($RAMKIND), $ROUNDS rounds;" \
	"median (min-max); QEMU $("${QEMU_DIR}/usr/bin/qemu-system-aarch64" --version | head -1)"
printf '%-12s %24s %24s %28s\n' VMM "to userspace (s)" "to exit (s)" "VMM memory (RSS-guest, KiB)"
for name in vireo-vmm qemu-virt; do
	grep "^$name " "$res" >"$res.$name"
	printf '%-12s %24s %24s %28s\n' "$name" "$(stat "$res.$name" 2)" "$(stat "$res.$name" 3)" \
		"$(stat "$res.$name" 4)"
done
failed=$(awk '$5 != 0 || $2 !~ /^[0-9.]+$/' "$res" | wc -l)
echo "failed or timed-out boots: $failed"
v=$(stat "$res.vireo-vmm" 2 | cut -d' ' -f1) q=$(stat "$res.qemu-virt" 2 | cut -d' ' -f1)
[ "$v" != failed ] && [ "$q" != failed ] &&
	awk -v v="$v" -v q="$q" 'BEGIN { printf "vireo-vmm/qemu-virt to userspace: %.2fx\n", v / q }'
rm -f "$res" "$res".*
[ "$v" != failed ]
