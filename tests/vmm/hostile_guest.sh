#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# /init script of the hostile guest (tests/vmm/hostile.sh): /bin/hostile pokes the
# virtio-net device and gives it back to its driver; then the NIC must work: vt.ip=A.B.C.D
# (this guest) pings vt.peer=A.B.C.D.
arg() { sed -n "s/.*vt\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
ip=$(arg ip)
peer=$(arg peer)

/bin/hostile
echo "hostile: exit=$?"
dev=""
for _ in $(seq 100); do
	dev=$(ls /sys/class/net | grep -v '^lo$' | head -n 1)
	[ -n "$dev" ] && break
	sleep 0.1
done
echo "vm-net: ${dev:-none} driver $(basename "$(readlink "/sys/class/net/$dev/device/driver")")"
ip addr add "$ip/24" dev "$dev"
ip link set "$dev" up
for _ in $(seq 50); do
	[ "$(cat "/sys/class/net/$dev/carrier" 2>/dev/null)" = 1 ] && break
	sleep 0.1
done
for _ in $(seq 40); do
	ping -c 1 -W 1 "$peer" >/dev/null 2>&1 && break
done
ping -c 5 -i 0.2 -W 2 "$peer" | grep -E "transmitted" | sed 's/^/vm-ping: /'
