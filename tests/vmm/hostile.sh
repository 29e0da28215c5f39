#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# A hostile guest against vireo-vmm, in the test host: one guest boot.  The guest
# (hostile_guest.c, static, in its initramfs; hostile_guest.sh as its script) takes its
# virtio-net NIC from the driver and pokes BAR 0, the MSI-X table and PBA, configuration
# space and unclaimed ports at odd widths and offsets, and sets up bad virtqueues (outside
# RAM, descriptor loops, indirect tables outside RAM, huge lengths) on the data rings served
# by vireo-dp and on the control queue served by vireo-vmm; it checks what it can see
# ("hostile: PASS/FAIL" lines, counted here), gives the NIC back to virtio-pci and pings a
# namespace through vireo-dp.  Here: vireo-vmm exits 0 when the guest powers off, answers
# its API socket after the pokes, says why it gave up on the device, logs no failure of its
# own fds; vireo-dp (the NIC's vhost-user backend) stays up and forwards between two other
# ports throughout.
#
# usage: tests/vmm/hostile.sh   (VIREO_BUILD=build directory, default ./build)
HOSTILE_BIN=$(readlink -f "${VIREO_BUILD:-$(dirname "$0")/../../build}")/tests/vmm/hostile_guest
VM_GUEST_SCRIPT=$(dirname "$(readlink -f "$0")")/hostile_guest.sh
VM_GUEST_FILES=(--file "$HOSTILE_BIN:/bin/hostile")
. "$(dirname "$0")/../vhost/lib-vm.sh" 1100

netns_add ns1 10.0.0.1 02:00:00:00:00:01 || { fail "netns"; finish; }
netns_add ns2 10.0.0.3 02:00:00:00:00:03 || { fail "netns"; finish; }
cat >"$RUN/dp.yaml" <<EOC
$(other_config)
bridges:
  br0:
    ports:
      p1: {type: dpdk, options: {dpdk-devargs: "net_af_packet1,iface=v-ns1"}}
      p2: {type: dpdk, options: {dpdk-devargs: "net_af_packet2,iface=v-ns2"}}
      vhu0: {type: dpdkvhostuser}
EOC
check "vireo-dp starts" start_dp "$RUN/dp.yaml" || finish
check "ns1 pings ns2 through vireo-dp before the guest" ping_ok ns1 10.0.0.3 3

# Two queue pairs: the control queue is vireo-vmm's own ring walker.
API=$RUN/vmm.sock
timeout 900 "$VMM" --kernel "$K" --initramfs "$I" --memory 256M,hugepages=2M \
	--net "vhost-user=$RUN/vhu0,mac=52:54:00:00:00:0a,queues=2" --api-socket "$API" \
	--cmdline "$CMDLINE vt.ip=10.0.0.2 vt.peer=10.0.0.1" \
	</dev/null >"$RUN/h.out" 2>"$RUN/h.err" &
vm_pid=$!
PIDS+=("$vm_pid")

# Under the test host's TCG, a process start takes a good part of a second: wait by the clock.
until_line() { # until_line FILE PATTERN SECONDS
	local end=$((SECONDS + $3))
	while [ $SECONDS -lt $end ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$vm_pid" 2>/dev/null || break
		sleep 1
	done
	grep -q "$2" "$1" 2>/dev/null
}
# The guest holds the device with a ring it refused while vireo-dp restarts.
if until_line "$RUN/h.out" "hostile: HOLD" 600; then
	r0=$(grep -c "handing the rings to the backend" "$RUN/h.err")
	stop_dp
	check "vireo-dp restarts while the guest holds refused rings" start_dp "$RUN/dp.yaml"
	until_line "$RUN/h.out" "hostile: phase data rings" 300
	n=$(grep -c "backend $RUN/vhu0 connected" "$RUN/h.err")
	r=$(($(grep -c "handing the rings to the backend" "$RUN/h.err") - r0))
	check "vireo-vmm reconnected once, was refused the rings once, kept the connection ($n connects, $r refusals)" \
		test "$n" -eq 1 -a "$r" -eq 1
fi
if until_line "$RUN/h.out" "hostile: done" 700; then
	# The pokes are over; the guest is rebinding its NIC.
	if "$VIREOCTL" --target "$API" vm-info >"$RUN/info" 2>&1 &&
	   grep -q "^state: running" "$RUN/info"; then
		pass "vireo-vmm's API socket answers after the pokes (state: running)"
	else
		fail "vireo-vmm's API after the pokes: $(head -n 3 "$RUN/info")"
	fi
	check "vireo-dp alive after the pokes" kill -0 "$DP_PID"
	check "ns1 pings ns2 through vireo-dp after the pokes" ping_ok ns1 10.0.0.3 3
else
	fail "the hostile guest did not finish ($(grep "hostile: phase" "$RUN/h.out" | tail -n 1))"
	show_vm h
	kill -TERM "$vm_pid" 2>/dev/null
fi
wait "$vm_pid"
rc=$?
check "vireo-vmm exits 0 when the guest powers off (exit $rc)" test "$rc" -eq 0

# The guest's own checks, one result each.
n=0
sed -n 's/\r$//; s/^.*hostile: \(PASS\|FAIL\) /\1 /p' "$RUN/h.out" >"$RUN/checks"
while read -r word what; do
	case "$word" in
	PASS) pass "guest: $what"; n=$((n + 1)) ;;
	FAIL) fail "guest: $what" ;;
	esac
done <"$RUN/checks"
check "the guest ran all its checks ($n passed, 33 expected)" test "$n" -ge 33
check "the guest program exits 0" grep -q "hostile: exit=0" "$RUN/h.out"
if grep -q "vm-ping: 5 packets transmitted, 5 packets received" "$RUN/h.out"; then
	pass "the NIC works again after the pokes: the guest pings ns1 through vireo-dp, 5/5"
else
	fail "the guest's ping after the pokes"
	show_vm h
fi

# vireo-vmm said why it gave up on the device, and nothing of its own failed.
check "vireo-vmm: rings outside guest RAM refused" grep -q "lies outside guest RAM" "$RUN/h.err"
check "vireo-vmm: the broken control queue named, device needs a reset" \
	grep -q "control queue: .*the device needs a reset" "$RUN/h.err"
if grep -E "Bad file descriptor|KVM_IRQFD|KVM_IOEVENTFD|KVM_SET_GSI_ROUTING|AddressSanitizer|runtime error" \
	"$RUN/h.err" >"$RUN/bad" 2>&1; then
	fail "vireo-vmm logged failures of its own: $(head -n 3 "$RUN/bad")"
else
	pass "vireo-vmm logged no failure of its own fds, routes or memory"
fi

check "vireo-dp alive after the guest left" kill -0 "$DP_PID"
check "ns1 pings ns2 through vireo-dp after the guest left" ping_ok ns1 10.0.0.3 3
if ctl show 2>&1 | grep -q "port vhu0: ofport [0-9]"; then
	pass "vireo-dp still runs vhu0"
else
	fail "vireo-dp still runs vhu0: $(ctl show 2>&1 | grep vhu0)"
fi
finish
