#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# /init script of the vireo-vmm network guests (tests/vhost/vm_net.sh, vm_mq.sh).
# Parameters come from the kernel command line: vt.ip=A.B.C.D (this guest), vt.peer=A.B.C.D
# (ping target, optional), vt.mode=ping|wait|reconnect|mq|queues, vt.wait=SECONDS; for mq:
# vt.secs=SECONDS of traffic per phase, vt.reconnect=1 for a second phase after the backend
# restarted, which starts when vt.go=A.B.C.D (optional) answers.
arg() { sed -n "s/.*vt\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
ip=$(arg ip)
peer=$(arg peer)
mode=$(arg mode)

echo "vm-rtc: $(cat /sys/class/rtc/rtc0/since_epoch 2>/dev/null || echo none)"
for d in /sys/bus/pci/devices/*; do
	echo "vm-pci: ${d##*/} $(cat "$d/vendor") $(cat "$d/device") $(cat "$d/class")"
done
if [ ! -e /sys/class/net/eth0 ]; then
	echo "vm-net: no eth0"
	dmesg | grep -iE "pci|virtio|msi" | head -n 40 | sed 's/^/vm-dmesg: /'
	exit 1
fi
echo "vm-mac: $(cat /sys/class/net/eth0/address)"
echo "vm-driver: $(basename "$(readlink /sys/class/net/eth0/device/driver)")"
ip addr add "$ip/24" dev eth0
ip link set eth0 up
for _ in $(seq 50); do
	[ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" = 1 ] && break
	sleep 0.1
done
echo "vm-carrier: $(cat /sys/class/net/eth0/carrier)"

case "$mode" in
wait)
	sleep "$(arg wait)"
	;;
ping)
	# The peer may still be booting: try for up to 40 s, then 5 pings in a row.
	for i in $(seq 40); do
		ping -c 1 -W 1 "$peer" >/dev/null 2>&1 && break
	done
	ping -c 5 -i 0.2 -W 2 "$peer" | grep -E "transmitted|rtt" | sed 's/^/vm-ping: /'
	;;
reconnect)
	# Ping once every 0.3 s: "ok" until the backend goes away, "fail" while it is gone,
	# "resumed" at the first reply after a failure.
	failed=0
	for i in $(seq 200); do
		if ping -c 1 -W 1 "$peer" >/dev/null 2>&1; then
			echo "vm-ping: ok $i"
			if [ "$failed" = 1 ]; then
				echo "vm-ping: resumed"
				ping -c 5 -i 0.2 -W 2 "$peer" | grep transmitted | sed 's/^/vm-ping: /'
				break
			fi
		else
			echo "vm-ping: fail $i"
			failed=1
		fi
		sleep 0.3
	done
	echo "vm-carrier: $(cat /sys/class/net/eth0/carrier)"
	;;
queues)
	echo "vm-queues: $(ls /sys/class/net/eth0/queues | tr '\n' ' ')"
	;;
mq)
	# Multi-queue: one ping flow per vCPU, each pinned (taskset) to its CPU, and transmit
	# queue N mapped to CPU N (XPS), so that each flow leaves through its own queue pair.
	q=/sys/class/net/eth0/queues
	echo "vm-queues: $(ls $q | tr '\n' ' ')"
	echo 1 >$q/tx-0/xps_cpus 2>/dev/null
	echo 2 >$q/tx-1/xps_cpus 2>/dev/null
	for t in $q/tx-*; do
		echo "vm-xps: ${t##*/} $(cat "$t/xps_cpus" 2>/dev/null)"
	done
	for i in $(seq 40); do
		ping -c 1 -W 1 "$peer" >/dev/null 2>&1 && break
	done
	flows() {
		echo "vm-flows: start $1"
		for cpu in 0 1; do
			taskset $((1 << cpu)) ping -q -A -w "$(arg secs)" "$peer" 2>&1 |
				grep transmitted | sed "s/^/vm-flow$1-cpu$cpu: /" &
		done
		wait
		echo "vm-flows: done $1"
	}
	flows 1
	if [ "$(arg reconnect)" = 1 ]; then
		# The host restarts the backend now: wait for a failure, then for a reply (from
		# vt.go, an address the host adds once it is ready, else from the peer).
		go=$(arg go)
		failed=0
		for i in $(seq 300); do
			if ping -c 1 -W 1 "${go:-$peer}" >/dev/null 2>&1; then
				[ "$failed" = 1 ] && echo "vm-ping: resumed" && break
			else
				failed=1
			fi
			sleep 0.3
		done
		flows 2
	fi
	grep virtio /proc/interrupts | tr -s ' ' | sed 's/^/vm-irq: /'
	;;
esac
exit 0
