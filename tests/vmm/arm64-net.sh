#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# vireo-vmm's PCI and PL031 on arm64, in the arm64 test host (scripts/testhost --arch arm64):
# an arm64 guest with a virtio-net NIC (--net vhost-user, served by the arm64 vireo-dp in
# the test host) sees the device on the ECAM host bridge (1af4:1041 in /sys/bus/pci), binds
# virtio_net to eth0 with the MAC from --net (its MSI-X vectors through the ITS), and pings a
# network namespace through vireo-dp (dpdkvhostuser port + net_af_packet port) and a second
# guest (2 vCPUs) on another vhost-user port; its RTC
# (/sys/class/rtc/rtc0, the PL031) reads the test host's time within a minute; vireo-dp is
# killed and restarted under a guest's ping, which resumes once vireo-vmm has reconnected.
# Binaries are cross-built by scripts/build --arch arm64 (build-arm64/, or
# $VIREO_BUILD_ARM64).
# Prints PASS/FAIL lines; exit 0 only when all pass.

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TH=$ROOT/scripts/testhost

if [ -z "${TESTHOST:-}" ]; then
	B=${VIREO_BUILD_ARM64:-$ROOT/build-arm64}
	log=$(mktemp)
	if ! VIREO_BUILD_ARM64=$B "$ROOT/scripts/build" --arch arm64 >"$log" 2>&1; then
		tail -30 "$log"
		echo "FAIL vmm-arm64-net: scripts/build --arch arm64"
		exit 1
	fi
	rm -f "$log"
	kernel=$("$TH" --arch arm64 guest-kernel cloud) || exit 1
	initrd=$("$TH" --arch arm64 guest-initramfs --modules virtio_pci,virtio_net \
		--script "$ROOT/tests/vhost/vm_guest.sh") || exit 1
	t0=$(date +%s)
	"$TH" --arch arm64 run --timeout 1100 --mem 3072 --hugepages 600 \
		--env "VIREO_BUILD=$B" --env "K=$kernel" --env "I=$initrd" -- "$0"
	rc=$?
	echo "arm64 test host: $(($(date +%s) - t0)) s in all"
	exit "$rc"
fi

BUILD=$VIREO_BUILD
. "$ROOT/tests/dp/lib.sh"
TEST_NAME=vmm-arm64-net
VMM=$BUILD/vmm/vireo-vmm

uname -m | grep -qx aarch64 || { fail "not an arm64 test host: $(uname -m)"; finish; }

# vireo-dp under TCG takes far longer to initialise DPDK than on a real machine.
dp_start() {
	"$VIREO_DP" --config "$1" --control "$CTL" >"$RUN/dp.log" 2>&1 &
	DP_PID=$!
	PIDS+=("$DP_PID")
	for _ in $(seq 1800); do
		if [ -S "$CTL" ] && "$VIREOCTL" -t "$CTL" show >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$DP_PID" 2>/dev/null || break
		sleep 0.1
	done
	tail -20 "$RUN/dp.log"
	return 1
}

netns_add ns1 10.0.0.1 02:00:00:00:00:01 || { fail "netns"; finish; }
cat >"$RUN/dp.yaml" <<EOC
$(other_config)
bridges:
  br0:
    ports:
      p1: {type: dpdk, options: {dpdk-devargs: "net_af_packet1,iface=v-ns1"}}
      vhu0: {type: dpdkvhostuser}
      vhu1: {type: dpdkvhostuser}
EOC
t=$(date +%s)
if dp_start "$RUN/dp.yaml"; then
	pass "vireo-dp (arm64) starts ($(($(date +%s) - t)) s)"
else
	fail "vireo-dp (arm64) starts"
	finish
fi

t0=$(date +%s)
timeout 600 "$VMM" --kernel "$K" --initramfs "$I" --memory 256M,hugepages=2M \
	--net "vhost-user=$RUN/vhu0,mac=52:54:00:00:00:0a" --exit-stats \
	--cmdline "console=ttyS0 panic=-1 quiet vireo.exit=poweroff vt.ip=10.0.0.2 vt.peer=10.0.0.1 vt.mode=ping" \
	</dev/null >"$RUN/a.out" 2>&1
rc=$?
t1=$(date +%s)
check "guest: vireo-vmm exits 0 (exit $rc, $((t1 - t0)) s)" test "$rc" -eq 0
check "guest: PCI device 1af4:1041 (virtio-net, modern) on the ECAM host bridge" \
	grep -q "vm-pci: 0000:00:01.0 0x1af4 0x1041 0x020000" "$RUN/a.out"
check "guest: eth0 with the MAC from --net, virtio_net driver" \
	bash -c "grep -q 'vm-mac: 52:54:00:00:00:0a' $RUN/a.out && grep -q 'vm-driver: virtio_net' $RUN/a.out"
check "guest: carrier up" grep -q "vm-carrier: 1" "$RUN/a.out"
if grep -q "vm-ping: 5 packets transmitted, 5 packets received" "$RUN/a.out"; then
	pass "guest pings ns1 through vireo-dp, 5/5"
else
	fail "guest pings ns1 through vireo-dp"
	tail -40 "$RUN/a.out" | sed 's/^/    guest: /'
	tail -20 "$RUN/dp.log" | sed 's/^/    dp: /'
fi
rtc=$(sed -n 's/^vm-rtc: \([0-9]*\).*/\1/p' "$RUN/a.out")
if [ -n "$rtc" ] && [ "$rtc" -ge $((t0 - 60)) ] && [ "$rtc" -le $((t1 + 60)) ]; then
	pass "guest: /sys/class/rtc/rtc0 (PL031) reads $rtc, the host's time within a minute" \
		"(the guest ran from $t0 to $t1)"
else
	fail "guest: RTC '$rtc' not within a minute of the host's time ($t0 to $t1)"
	grep -i rtc "$RUN/a.out" | head -5 | sed 's/^/    guest: /'
fi
# --exit-stats on arm64: exit reasons, MMIO by device (the guest probed PCI through ECAM and
# read the PL031), and KVM's arm64 counters from its binary statistics.
if grep -q "^vireo-vmm exit statistics: 1 vCPU" "$RUN/a.out" &&
   grep -q "^mmio " "$RUN/a.out" && grep -q "^system_event " "$RUN/a.out" &&
   grep -q " pci-ecam read" "$RUN/a.out" && grep -q " pl031 read" "$RUN/a.out"; then
	pass "--exit-stats: exit reasons (mmio, system_event), MMIO by device (pci-ecam, pl031)"
else
	fail "--exit-stats: exit reasons and MMIO by device"
	sed -n '/^vireo-vmm exit statistics/,$p' "$RUN/a.out" | head -40 | sed 's/^/    /'
fi
missing=
for c in exits mmio_exit_user hvc_exit_stat wfi_exit_stat; do
	grep -q "^$c " "$RUN/a.out" || missing="$missing $c"
done
what="KVM's arm64 counters (exits, mmio_exit_user, hvc_exit_stat, wfi_exit_stat)"
check "--exit-stats: $what${missing:+; missing:$missing}" test -z "$missing"

# Two guests ping each other; B has 2 vCPUs (its MSI-X vectors spread over both through the
# ITS).  B waits until A is done, then is stopped.
timeout 600 "$VMM" --kernel "$K" --initramfs "$I" --memory 256M,hugepages=2M --cpus 2 \
	--net "vhost-user=$RUN/vhu1,mac=52:54:00:00:00:0b" \
	--cmdline "console=ttyS0 panic=-1 quiet vireo.exit=poweroff vt.ip=10.0.0.3 vt.mode=wait vt.wait=500" \
	</dev/null >"$RUN/b.out" 2>&1 &
pid_b=$!
PIDS+=("$pid_b")
# A starts once B's eth0 is up (a loaded test host boots a 2-vCPU guest slowly).
for _ in $(seq 2400); do
	grep -q "vm-carrier:" "$RUN/b.out" 2>/dev/null && break
	kill -0 "$pid_b" 2>/dev/null || break
	sleep 0.1
done
t0=$(date +%s)
timeout 600 "$VMM" --kernel "$K" --initramfs "$I" --memory 256M,hugepages=2M \
	--net "vhost-user=$RUN/vhu0,mac=52:54:00:00:00:0a" \
	--cmdline "console=ttyS0 panic=-1 quiet vireo.exit=poweroff vt.ip=10.0.0.2 vt.peer=10.0.0.3 vt.mode=ping" \
	</dev/null >"$RUN/a2.out" 2>&1
rc=$?
t1=$(date +%s)
if [ "$rc" -eq 0 ] && grep -q "vm-ping: 5 packets transmitted, 5 packets received" "$RUN/a2.out"; then
	pass "guest A pings guest B (2 vCPUs) through vireo-dp, 5/5 ($((t1 - t0)) s)"
else
	fail "guest A pings guest B through vireo-dp (exit $rc)"
	tail -20 "$RUN/a2.out" | sed 's/^/    guest A: /'
	tail -20 "$RUN/b.out" | sed 's/^/    guest B: /'
fi
check "guest B: eth0 up with its MAC on virtio_net" \
	bash -c "grep -q 'vm-mac: 52:54:00:00:00:0b' $RUN/b.out && grep -q 'vm-carrier: 1' $RUN/b.out"
kill -TERM "$pid_b" 2>/dev/null
wait "$pid_b" 2>/dev/null

# vireo-dp killed and restarted while a guest pings ns1: vireo-vmm's vhost-user frontend
# reconnects and the guest's ping resumes, the guest never rebooted.  DPDK's start under
# TCG can take minutes: the frontend keeps trying for ten (reconnect=600).
timeout 600 "$VMM" --kernel "$K" --initramfs "$I" --memory 256M,hugepages=2M \
	--net "vhost-user=$RUN/vhu0,mac=52:54:00:00:00:0a,reconnect=600" \
	--cmdline "console=ttyS0 panic=-1 quiet vireo.exit=poweroff vt.ip=10.0.0.2 vt.peer=10.0.0.1 vt.mode=reconnect" \
	</dev/null >"$RUN/a3.out" 2>&1 &
pid_a=$!
PIDS+=("$pid_a")
for _ in $(seq 2400); do
	grep -q "vm-ping: ok" "$RUN/a3.out" 2>/dev/null && break
	kill -0 "$pid_a" 2>/dev/null || break
	sleep 0.1
done
if grep -q "vm-ping: ok" "$RUN/a3.out"; then
	kill -KILL "$DP_PID"
	wait "$DP_PID" 2>/dev/null
	sleep 2
	check "vireo-dp restarts" dp_start "$RUN/dp.yaml"
fi
wait "$pid_a"
check_reconnect "$RUN/a3.out" "$RUN/a3.out" $? || tail -30 "$RUN/a3.out" | sed 's/^/    guest: /'
stop_dp
finish
