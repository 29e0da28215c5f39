#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# vireo-vmm guests with virtio-net NICs served by vireo-dp over vhost-user, inside the test
# host: the guest sees a virtio-net PCI device (1af4:1041) and eth0 with its MAC; it pings a
# network namespace through vireo-dp (dpdkvhostuser port + net_af_packet port); two guests
# ping each other; vireo-dp is killed and restarted while a guest pings and the ping
# resumes without a guest reboot; vireo-vmm in server mode with a dpdkvhostuserclient port;
# two guests on a bridge of vhost-user ports only (the one-copy path, vhost_fast.h).
# Bad input: missing socket, bad MAC, no shared RAM, unknown key, bad mode, not a socket.
#
# usage: tests/vhost/vm_net.sh   (VIREO_BUILD=build directory, default ./build)
. "$(dirname "$0")/lib-vm.sh" 900

# vm NAME SOCKET MAC GUEST-ARGS [VMM-ARGS...]: run a guest in the background, output in
# $RUN/NAME.out and NAME.err, pid in VM_PID.
vm() {
	local name=$1 sock=$2 mac=$3 args=$4
	shift 4
	timeout 300 "$VMM" --kernel "$K" --initramfs "$I" --memory 256M,hugepages=2M \
		--net "vhost-user=$sock,mac=$mac" --cmdline "$CMDLINE $args" "$@" \
		</dev/null >"$RUN/$name.out" 2>"$RUN/$name.err" &
	VM_PID=$!
	PIDS+=("$VM_PID")
}

badinput "missing socket" "no such socket" --net "vhost-user=$RUN/nope.sock"
badinput "bad MAC" "bad MAC 'zz:00'" --net "vhost-user=$RUN/x.sock,mac=zz:00"
badinput "multicast MAC" "bad MAC" --net "vhost-user=$RUN/x.sock,mac=01:00:5e:00:00:01"
badinput "no shared RAM" "needs shared guest RAM" --memory 256M,shared=off \
	--net "vhost-user=$RUN/x.sock"
badinput "unknown key" "unknown key 'foo'" --net "vhost-user=$RUN/x.sock,foo=1"
badinput "bad mode" "mode 'peer'" --net "vhost-user=$RUN/x.sock,mode=peer"
: >"$RUN/plain"
badinput "not a socket" "vhost-user=$RUN/plain" --net "vhost-user=$RUN/plain"
badinput "server socket over a plain file" "exists and is not a socket" \
	--net "vhost-user=$RUN/plain,mode=server"
badinput "socket path under a plain file" "vhost-user=$RUN/plain/s.sock" \
	--net "vhost-user=$RUN/plain/s.sock"
badinput "socket path too long" "too long" --net "vhost-user=$RUN/$(printf '%0120d' 0).sock"

# --- vireo-dp with two vhost-user ports and a namespace ---------------------------------
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
check "vireo-dp starts" start_dp "$RUN/dp.yaml" || finish

# --- one guest pings the namespace ------------------------------------------------------
vm a "$RUN/vhu0" 52:54:00:00:00:0a "vt.ip=10.0.0.2 vt.peer=10.0.0.1 vt.mode=ping"
wait "$VM_PID"
rc=$?
check "guest A: vireo-vmm exits 0 (exit $rc)" test "$rc" -eq 0
check "guest A: PCI device 1af4:1041 (virtio-net, modern)" \
	grep -q "vm-pci: .* 0x1af4 0x1041 0x020000" "$RUN/a.out"
check "guest A: eth0 with the MAC from --net, virtio_net driver" \
	bash -c "grep -q 'vm-mac: 52:54:00:00:00:0a' $RUN/a.out && grep -q 'vm-driver: virtio_net' $RUN/a.out"
check "guest A: carrier up" grep -q "vm-carrier: 1" "$RUN/a.out"
if grep -q "vm-ping: 5 packets transmitted, 5 packets received" "$RUN/a.out"; then
	pass "guest A pings ns1 through vireo-dp, 5/5"
else
	fail "guest A pings ns1 through vireo-dp"
	show_vm a
	sed 's/^/    dp: /' "$RUN/dp.log" | tail -n 20
fi
check "ns1 pings the guest's address back after it left: no reply (it is gone)" \
	bash -c "! ip netns exec ns1 ping -c 1 -W 1 10.0.0.2 >/dev/null"

# guests_ping WHAT: guest B waits, guest A pings it five times; B is left running ($pid_b).
guests_ping() {
	local pid_a
	vm b "$RUN/vhu1" 52:54:00:00:00:0b "vt.ip=10.0.0.3 vt.mode=wait vt.wait=600"
	pid_b=$VM_PID
	vm a "$RUN/vhu0" 52:54:00:00:00:0a "vt.ip=10.0.0.2 vt.peer=10.0.0.3 vt.mode=ping"
	pid_a=$VM_PID
	wait "$pid_a"
	if grep -q "vm-ping: 5 packets transmitted, 5 packets received" "$RUN/a.out"; then
		pass "$1, 5/5"
	else
		fail "$1"
		show_vm a
		show_vm b
	fi
}

# --- two guests ping each other ---------------------------------------------------------
guests_ping "guest A pings guest B through vireo-dp"
check "ns1 pings guest B, 0% loss" ping_ok ns1 10.0.0.3 5
kill -KILL "$pid_b" 2>/dev/null
wait "$pid_b" 2>/dev/null

# --- vireo-vmm in server mode, vireo-dp's dpdkvhostuserclient port connects --------------
timeout 300 "$VMM" --kernel "$K" --initramfs "$I" --memory 256M,hugepages=2M \
	--net "vhost-user=$RUN/vm-srv.sock,mode=server,mac=52:54:00:00:00:0c" \
	--cmdline "$CMDLINE vt.ip=10.0.0.4 vt.peer=10.0.0.1 vt.mode=ping" \
	</dev/null >"$RUN/c.out" 2>"$RUN/c.err" &
pid_c=$!
PIDS+=("$pid_c")
for _ in $(seq 100); do [ -S "$RUN/vm-srv.sock" ] && break; sleep 0.1; done
ctl add-port br0 vhc0 type=dpdkvhostuserclient "options:vhost-server-path=$RUN/vm-srv.sock" \
	>/dev/null
wait "$pid_c"
rc=$?
if [ "$rc" -eq 0 ] && grep -q "vm-ping: 5 packets transmitted, 5 packets received" "$RUN/c.out"; then
	pass "server mode: guest C (vireo-vmm listening, dpdkvhostuserclient port) pings ns1, 5/5"
else
	fail "server mode: guest C pings ns1 (exit $rc)"
	show_vm c
fi
ctl del-port br0 vhc0 >/dev/null 2>&1

# --- vireo-dp killed and restarted while a guest pings ----------------------------------
vm a "$RUN/vhu0" 52:54:00:00:00:0a "vt.ip=10.0.0.2 vt.peer=10.0.0.1 vt.mode=reconnect"
pid_a=$VM_PID
if wait_line "$RUN/a.out" "vm-ping: ok" 120; then
	kill -KILL "$DP_PID"
	wait "$DP_PID" 2>/dev/null
	sleep 2
	check "vireo-dp restarts" start_dp "$RUN/dp.yaml"
fi
wait "$pid_a"
check_reconnect "$RUN/a.out" "$RUN/a.err" $? || show_vm a

# --- a bridge of vhost-user ports only: between two guests, the one-copy path -------------
ctl del-port br0 p1 >/dev/null
guests_ping "vhost-user ports only: guest A pings guest B"
fast=$(ctl show -v | sed -n '/port vhu0:/,/port vhu1:/s/.*fast_path_rx_packets=\([0-9]*\).*/\1/p')
check "... through the one-copy path, on by default (vhu0 fast_path_rx_packets=$fast)" \
	test "${fast:-0}" -gt 0
# Linux's driver: event index, mergeable buffers; the switch fills B's ring itself.
fast_tx=$(ctl show -v | sed -n '/port vhu1:/,$s/.*fast_path_tx_packets=\([0-9]*\).*/\1/p' | head -1)
check "... into B's ring filled by the switch itself (vhu1 fast_path_tx_packets=$fast_tx)" \
	test "${fast_tx:-0}" -gt 0
kill -KILL "$pid_b" 2>/dev/null
wait "$pid_b" 2>/dev/null
finish
