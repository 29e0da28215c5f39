#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# /init script of the vireo-vmm network guests (tests/vhost/vm_net.sh).  Parameters come
# from the kernel command line: vt.ip=A.B.C.D (this guest), vt.peer=A.B.C.D (ping target,
# optional), vt.mode=ping|wait|reconnect, vt.wait=SECONDS.
arg() { sed -n "s/.*vt\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
ip=$(arg ip)
peer=$(arg peer)
mode=$(arg mode)

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
esac
exit 0
