#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# /init script of perf/pvp's guests (busybox sh, run by scripts/testhost's guest /init).
# Parameters come from the kernel command line:
#   pvp.role=send|recv   sender (the kernel's pktgen) or receiver (counts)
#   pvp.ip=A.B.C.D       this guest's address (/24)
# sender:
#   pvp.to=NAME/MAC/IP[,NAME/MAC/IP...]   targets, in order; each is pinged first (so that
#                        the switch learns its MAC), then gets one phase per size
#   pvp.sizes=60,1514    pktgen pkt_size values (frame without FCS: 60 = 64 B on the wire)
#   pvp.secs=10          seconds of traffic per phase
#   pvp.dst=A.B.C.D      destination IP of the traffic: an address nobody owns, so that the
#                        receiver drops it in IP input (no ICMP, no socket)
#   pvp.clone=N pvp.burst=N   pktgen clone_skb and burst
# receiver:
#   pvp.wait=SECONDS     how long to keep counting
#
# Every line meant for perf/pvp starts with "pvp-":
#   pvp-guest: role=R mac=M driver=D carrier=C      after set-up
#   pvp-reach: NAME ok|fail TRIES                     sender, per target
#   pvp-ready NAME SIZE                               sender: set up, waiting for the host's
#                        go, at most about 2 minutes: once it has read its counters the
#                        host sends a UDP packet to this guest's MAC but to pvp.dst, which
#                        IP input drops and counts as InAddrErrors (nothing else does that)
#   pvp-begin NAME SIZE                               sender: traffic starts now
#   pvp-end NAME SIZE sent=N usec=U errors=E          sender: traffic stopped 2 s ago
#   pvp-skip NAME [SIZE] reason                       sender: that target (or point) not run
#   pvp-done                                          sender: all phases run
#   pvp-rx: PACKETS BYTES DROPPED                     receiver, about once a second
#   pvp-error: TEXT
arg() { sed -n "s/.*pvp\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
role=$(arg role)
ip=$(arg ip)
S=/sys/class/net/eth0/statistics

if [ ! -e /sys/class/net/eth0 ]; then
	echo "pvp-error: no eth0"
	exit 1
fi
# Nothing but the measured traffic: no IPv6 neighbour discovery or router solicitations.
for f in /proc/sys/net/ipv6/conf/*/disable_ipv6; do
	[ -e "$f" ] && echo 1 >"$f"
done
ip addr add "$ip/24" dev eth0
ip link set eth0 up
for _ in $(seq 100); do
	[ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" = 1 ] && break
	sleep 0.1
done
echo "pvp-guest: role=$role mac=$(cat /sys/class/net/eth0/address)" \
	"driver=$(basename "$(readlink /sys/class/net/eth0/device/driver)")" \
	"carrier=$(cat /sys/class/net/eth0/carrier)"

if [ "$role" = recv ]; then
	wait=$(arg wait)
	read -r up _ </proc/uptime
	end=$((${up%.*} + ${wait:-900}))
	while :; do
		read -r p <$S/rx_packets
		read -r b <$S/rx_bytes
		read -r d <$S/rx_dropped
		echo "pvp-rx: $p $b $d"
		sleep 1
		read -r up _ </proc/uptime
		[ "${up%.*}" -ge "$end" ] && break
	done
	exit 0
fi

# --- sender -------------------------------------------------------------------------------
secs=$(arg secs)
sizes=$(arg sizes)
dst=$(arg dst)
clone=$(arg clone)
burst=$(arg burst)
secs=${secs:-10}
PG=/proc/net/pktgen
if [ ! -d $PG ]; then
	echo "pvp-error: no /proc/net/pktgen (pktgen.ko not loaded)"
	exit 1
fi
DEV=$PG/eth0
# Ip InAddrErrors from /proc/net/snmp: packets dropped for a destination that is not ours.
addr_errors() {
	awk '/^Ip:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "InAddrErrors") c = i; h = 1 }
		else print $c }' /proc/net/snmp
}
pgset() {
	echo "$1" >"$DEV" 2>/dev/null || echo "pvp-warn: pktgen refused '$1'"
}
echo "rem_device_all" >$PG/kpktgend_0
echo "add_device eth0" >$PG/kpktgend_0
pgset "count 0"
pgset "delay 0"
pgset "clone_skb ${clone:-1000}"
pgset "burst ${burst:-1}"
pgset "src_min $ip"
pgset "src_max $ip"
pgset "dst ${dst:-10.0.0.250}"
pgset "udp_src_min 9"
pgset "udp_src_max 9"
pgset "udp_dst_min 9"
pgset "udp_dst_max 9"

# Ping every target until it answers: the switch learns the MACs of both ends, and a
# receiver that is still booting gets time to come up.
for t in $(arg to | tr , ' '); do
	name=${t%%/*}
	rest=${t#*/}
	tip=${rest#*/}
	ok=fail
	for i in $(seq 120); do
		if ping -c 1 -W 1 "$tip" >/dev/null 2>&1; then
			ok=ok
			break
		fi
	done
	echo "pvp-reach: $name $ok $i"
done

for t in $(arg to | tr , ' '); do
	name=${t%%/*}
	rest=${t#*/}
	tmac=${rest%%/*}
	tip=${rest#*/}
	# one more ping right before the phases: refreshes the switch's MAC table
	if ! ping -c 1 -W 2 "$tip" >/dev/null 2>&1; then
		echo "pvp-skip $name unreachable"
		continue
	fi
	for size in $(echo "$sizes" | tr , ' '); do
		pgset "pkt_size $size"
		pgset "dst_mac $tmac"
		echo "pvp-ready $name $size"
		r0=$(addr_errors)
		go=0
		for _ in $(seq 600); do
			r1=$(addr_errors)
			if [ "$r1" != "$r0" ]; then
				go=1
				break
			fi
			sleep 0.2
		done
		if [ "$go" = 0 ]; then
			echo "pvp-skip $name $size no go from the host"
			continue
		fi
		echo "pvp-begin $name $size"
		echo start >$PG/pgctrl &
		pid=$!
		sleep "$secs"
		echo stop >$PG/pgctrl
		wait $pid
		sent=$(sed -n 's/.*pkts-sofar: \([0-9]*\).*/\1/p' $DEV)
		errs=$(sed -n 's/.*pkts-sofar: [0-9]*  errors: \([0-9]*\).*/\1/p' $DEV)
		t0=$(sed -n 's/.*started: \([0-9]*\)us.*/\1/p' $DEV)
		t1=$(sed -n 's/.*stopped: \([0-9]*\)us.*/\1/p' $DEV)
		usec=$(sed -n 's/^Result: OK: \([0-9]*\)(.*/\1/p' $DEV)
		if [ -z "$usec" ] && [ -n "$t0" ] && [ -n "$t1" ]; then
			usec=$((t1 - t0))
		fi
		sleep 2
		echo "pvp-end $name $size sent=${sent:-0} usec=${usec:-0} errors=${errs:-0}"
	done
done
echo "pvp-done"
exit 0
