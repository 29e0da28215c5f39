#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# vireo-dp between VMs of two VMMs, inside the test host: QEMU guests with vhost-user NICs
# (memory-backend-file share=on on hugepages) ping a namespace through a dpdkvhostuser port,
# ping a vireo-vmm guest, and serve a dpdkvhostuserclient port (QEMU as vhost-user server).
# A vireo-vmm guest, then a QEMU guest, is killed (SIGKILL) while a namespace pings another
# guest and two namespaces ping each other through net_af_packet ports: no ping is lost,
# `show` keeps the port, and the guest restarted on the same socket forwards again.  A
# guest that reboots (vireo-vmm exits 0) and is started again forwards again.
#
# usage: tests/vhost/vm_peers.sh   (VIREO_BUILD=build directory, default ./build)
. "$(dirname "$0")/lib-vm.sh" 1800
PING5="vm-ping: 5 packets transmitted, 5 packets received"

# vm NAME SOCKET MAC GUEST-ARGS: a vireo-vmm guest in the background (ended after
# VM_TIMEOUT seconds, default 300), output in $RUN/NAME.out and NAME.err, pid in VM_PID (the
# pid of `timeout`: kill_vm kills the VMM itself).
vm() {
	local name=$1 sock=$2 mac=$3 args=$4
	timeout "${VM_TIMEOUT:-300}" "$VMM" --kernel "$K" --initramfs "$I" --memory 256M,hugepages=2M \
		--net "vhost-user=$sock,mac=$mac" --cmdline "$CMDLINE $args" \
		</dev/null >"$RUN/$name.out" 2>"$RUN/$name.err" &
	VM_PID=$!
	PIDS+=("$VM_PID")
}

# qvm NAME CHARDEV MAC GUEST-ARGS: a QEMU guest whose NIC is vhost-user over the socket
# chardev options CHARDEV ("path=...[,server=on,wait=off]"); output and pid as for vm.
qvm() {
	local name=$1 chardev=$2 mac=$3 args=$4
	timeout 300 qemu-system-x86_64 -enable-kvm -M pc -cpu host \
		-bios /usr/share/qemu/qboot.rom -smp 1 -m 256 \
		-nodefaults -no-reboot -display none -serial stdio \
		-object memory-backend-file,id=m0,size=256M,mem-path=/dev/hugepages,share=on \
		-numa node,memdev=m0 \
		-chardev "socket,id=c0,$chardev" -netdev vhost-user,id=n0,chardev=c0 \
		-device "virtio-net-pci,netdev=n0,mac=$mac" \
		-kernel "$K" -initrd "$I" -append "$CMDLINE $args" \
		</dev/null >"$RUN/$name.out" 2>"$RUN/$name.err" &
	VM_PID=$!
	PIDS+=("$VM_PID")
}

# kill_vm PID: SIGKILL the VMM started by vm or qvm as PID, and reap it.
kill_vm() {
	local child
	child=$(pgrep -P "$1")
	[ -n "$child" ] && kill -KILL $child
	wait "$1" 2>/dev/null
}

show_dp() {
	grep -v '^VHOST_CONFIG' "$RUN/dp.log" | sed 's/^/    dp: /' | tail -n 20
}

# pinged NAME WHAT: guest NAME's 5 pings all came back
pinged() {
	if grep -q "$PING5" "$RUN/$1.out"; then
		pass "$2, 5/5"
	else
		fail "$2"
		show_vm "$1"
		show_dp
	fi
}

# wait_ping NS IP SECONDS: until IP answers a ping from NS
wait_ping() {
	local end=$((SECONDS + $3))
	while [ $SECONDS -lt $end ]; do
		ip netns exec "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1 && return 0
	done
	return 1
}

# received FILE COUNT: the ping output in FILE says COUNT sent, COUNT received
received() {
	grep -q "^$2 packets transmitted, $2 received" "$1"
}

netns_add ns1 10.0.0.1 02:00:00:00:00:01 || { fail "netns ns1"; finish; }
netns_add ns2 10.0.0.9 02:00:00:00:00:09 || { fail "netns ns2"; finish; }
cat >"$RUN/dp.yaml" <<EOC
$(other_config)
bridges:
  br0:
    ports:
      p1: {type: dpdk, options: {dpdk-devargs: "net_af_packet1,iface=v-ns1"}}
      p2: {type: dpdk, options: {dpdk-devargs: "net_af_packet2,iface=v-ns2"}}
      vhu0: {type: dpdkvhostuser}
      vhu1: {type: dpdkvhostuser}
EOC
check "vireo-dp starts" start_dp "$RUN/dp.yaml" || finish
check "ns2 pings ns1 through the af_packet ports" wait_ping ns2 10.0.0.1 20

# --- QEMU against vireo-dp ----------------------------------------------------------------
qvm q "path=$RUN/vhu0" 52:54:00:00:00:05 "vt.ip=10.0.0.5 vt.peer=10.0.0.1 vt.mode=ping"
wait "$VM_PID"
rc=$?
check "QEMU guest: powers off, QEMU exits 0 (exit $rc)" test "$rc" -eq 0
check "QEMU guest: eth0 with the MAC given, virtio_net driver" bash -c \
	"grep -q 'vm-mac: 52:54:00:00:00:05' $RUN/q.out && grep -q 'vm-driver: virtio_net' $RUN/q.out"
pinged q "QEMU guest pings ns1 through vireo-dp (dpdkvhostuser)"

VM_TIMEOUT=1000 vm b "$RUN/vhu1" 52:54:00:00:00:0b "vt.ip=10.0.0.3 vt.mode=wait vt.wait=900"
pid_b=$VM_PID
qvm q "path=$RUN/vhu0" 52:54:00:00:00:05 "vt.ip=10.0.0.5 vt.peer=10.0.0.3 vt.mode=ping"
wait "$VM_PID"
pinged q "QEMU guest pings vireo-vmm guest B through vireo-dp"

# --- guests killed and restarted while the others forward ---------------------------------
# killed WHO NAME PID IP: once guest NAME (vhu0, address IP) and guest B answer ns1, SIGKILL
# its VMM (started as PID) while ns1 pings B and ns2 pings ns1 (af_packet): nothing lost,
# vireo-dp runs, vhu0 still listed with its link down.
killed() {
	local who=$1 name=$2 pid=$3 ip=$4 ping_b ping_ns
	if ! wait_ping ns1 "$ip" 120 || ! wait_ping ns1 10.0.0.3 30; then
		fail "$who and guest B answer ns1"
		show_vm "$name"
		show_vm b
		kill_vm "$pid"
		return
	fi
	pass "$who and guest B answer ns1"
	ip netns exec ns1 ping -c 40 -i 0.25 -W 2 10.0.0.3 >"$RUN/ping-b" 2>&1 &
	ping_b=$!
	ip netns exec ns2 ping -c 40 -i 0.25 -W 2 10.0.0.1 >"$RUN/ping-ns" 2>&1 &
	ping_ns=$!
	sleep 3
	kill_vm "$pid"
	wait "$ping_b" "$ping_ns"
	if received "$RUN/ping-b" 40; then
		pass "$who killed: ns1 -> guest B lost nothing (40/40)"
	else
		fail "$who killed: ns1 -> guest B lost pings"
		sed 's/^/    ping: /' "$RUN/ping-b" | tail -n 5
	fi
	if received "$RUN/ping-ns" 40; then
		pass "$who killed: ns2 -> ns1 (af_packet) lost nothing (40/40)"
	else
		fail "$who killed: ns2 -> ns1 lost pings"
		sed 's/^/    ping: /' "$RUN/ping-ns" | tail -n 5
	fi
	check "$who killed: vireo-dp still runs" kill -0 "$DP_PID"
	check "$who killed: show still lists vhu0, link down" \
		bash -c "'$VIREOCTL' -t '$CTL' show | grep -q 'port vhu0: .*link down'"
	check "$who killed: ns1 still reaches guest B" ping_ok ns1 10.0.0.3 5
}

vm a "$RUN/vhu0" 52:54:00:00:00:0a "vt.ip=10.0.0.2 vt.mode=wait vt.wait=280"
killed "guest A (vireo-vmm)" a "$VM_PID" 10.0.0.2
vm a "$RUN/vhu0" 52:54:00:00:00:0a "vt.ip=10.0.0.2 vt.peer=10.0.0.1 vt.mode=ping"
wait "$VM_PID"
rc=$?
check "guest A restarted on the same socket: exits 0 (exit $rc)" test "$rc" -eq 0
pinged a "guest A restarted on the same socket pings ns1"

qvm q "path=$RUN/vhu0" 52:54:00:00:00:05 "vt.ip=10.0.0.5 vt.mode=wait vt.wait=280"
killed "QEMU guest" q "$VM_PID" 10.0.0.5
qvm q "path=$RUN/vhu0" 52:54:00:00:00:05 "vt.ip=10.0.0.5 vt.peer=10.0.0.3 vt.mode=ping"
wait "$VM_PID"
pinged q "QEMU guest restarted on the same socket pings guest B"

# --- a guest that reboots, started again ---------------------------------------------------
vm a "$RUN/vhu0" 52:54:00:00:00:0a \
	"vt.ip=10.0.0.2 vt.peer=10.0.0.1 vt.mode=ping vireo.exit=reboot"
wait "$VM_PID"
rc=$?
if [ "$rc" -eq 0 ] && grep -q "guest reboot" "$RUN/a.err"; then
	pass "guest A reboots: vireo-vmm exits 0 (guest reboot)"
else
	fail "guest A reboots (exit $rc)"
	show_vm a
fi
pinged a "guest A before its reboot pings ns1"
vm a "$RUN/vhu0" 52:54:00:00:00:0a "vt.ip=10.0.0.2 vt.peer=10.0.0.3 vt.mode=ping"
wait "$VM_PID"
pinged a "guest A started again after its reboot pings guest B"
kill_vm "$pid_b"

# --- QEMU as the vhost-user server: a dpdkvhostuserclient port ----------------------------
qvm qs "path=$RUN/qemu.sock,server=on,wait=off" 52:54:00:00:00:06 \
	"vt.ip=10.0.0.6 vt.peer=10.0.0.1 vt.mode=ping"
pid_qs=$VM_PID
for _ in $(seq 100); do [ -S "$RUN/qemu.sock" ] && break; sleep 0.1; done
ctl add-port br0 vhc0 type=dpdkvhostuserclient "options:vhost-server-path=$RUN/qemu.sock" \
	>/dev/null
wait "$pid_qs"
rc=$?
check "QEMU server mode: exits 0 (exit $rc)" test "$rc" -eq 0
pinged qs "QEMU guest (vhost-user server, dpdkvhostuserclient port) pings ns1"
ctl del-port br0 vhc0 >/dev/null 2>&1
check "vireo-dp still runs at the end" kill -0 "$DP_PID"
finish
