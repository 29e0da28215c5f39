#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Policing: UDP sent as fast as a Python sender can from ns1 to ns2 (net_af_packet ports
# p1, p2) for 3 s, without a policer, then with each kind set by a SIGHUP reload: p1's
# ingress_policing_rate (kbit/s), its ingress_policing_kpkts_rate (kpkt/s), and p2's QoS
# egress-policer (cir in bytes/s).  The unpoliced path carries at least four times a
# policer's rate, so a policer is saturated: what arrives through it is its burst plus its
# rate times the time the datagrams took to arrive, within 5 % (counted at the receiver,
# whatever rate the sender managed); the policers' drops are counted in dump-ports.
. "$(dirname "$0")/lib.sh"

RATE=$(dirname "$0")/udp_rate.py
SECS=3

netns_add ns1 10.96.0.1 02:00:00:00:0c:01 || { fail "netns"; finish; }
netns_add ns2 10.96.0.2 02:00:00:00:0c:02 || { fail "netns"; finish; }

# config P1_EXTRA P2_EXTRA: the YAML with extra keys for p1 and p2
config() {
	cat >"$RUN/dp.yaml" <<EOC
$(other_config)
bridges:
  br0:
    ports:
      p1: {type: dpdk, options: {dpdk-devargs: "net_af_packet1,iface=v-ns1"}$1}
      p2: {type: dpdk, options: {dpdk-devargs: "net_af_packet2,iface=v-ns2"}$2}
EOC
}

# measure SIZE: sends for SECS s; prints "PACKETS BYTES SPAN" received (SPAN: seconds from
# the first to the last datagram)
measure() {
	ip netns exec ns2 python3 "$RATE" recv 5001 1.5 >"$RUN/recv.out" &
	local rpid=$!
	sleep 0.5
	ip netns exec ns1 python3 "$RATE" send 10.96.0.2 5001 "$SECS" "$1" >/dev/null
	wait "$rpid"
	awk '{ print $1, $2, $3 }' "$RUN/recv.out"
}

# within5 NAME GOT SPAN RATE BURST UNIT: a policer of RATE UNITs/s and BURST UNITs,
# saturated for SPAN s, lets BURST + RATE * SPAN through: GOT is that within 5 %.  Byte
# policers count IP bytes (rte_meter's and Open vSwitch's length: the frame without its
# Ethernet header; a SIZE-byte datagram is SIZE + 28 of them).
within5() {
	local name=$1 got=$2 want
	want=$(awk -v s="$3" -v r="$4" -v b="$5" 'BEGIN { printf "%d", b + r * s }')
	if [ "$want" -gt 0 ] && [ $((got * 100)) -ge $((want * 95)) ] &&
	   [ $((got * 100)) -le $((want * 105)) ]; then
		pass "$name: $got $6 in $3 s, $(awk -v g="$got" -v w="$want" \
			'BEGIN { printf "%.1f", 100 * g / w }') % of burst + rate x time ($want)"
	else
		fail "$name: $got $6 in $3 s; burst + rate x time is $want (5 % band)"
	fi
}

# reload P1_EXTRA P2_EXTRA: write the configuration, SIGHUP, wait until it is in force
reload() {
	config "$1" "$2"
	local before
	before=$(grep -c 'reconfigured in place\|added to bridge' "$RUN/dp.log")
	kill -HUP "$DP_PID"
	wait_until 20 bash -c "[ \$(grep -c 'reconfigured in place\|added to bridge' '$RUN/dp.log') -gt $before ]"
}

# kbit/s of BYTES over SECS
kbps() { echo $(($1 * 8 / 1000 / SECS)); }

config "" ""
check "vireo-dp starts" start_dp "$RUN/dp.yaml"
check "ping ns1 -> ns2, 0% loss" ping_ok ns1 10.96.0.2 5 0.1
read -r pk0 by0 _ <<<"$(measure 1000)"
base=$(kbps "${by0:-0}")
echo "unpoliced: $pk0 packets, $base kbit/s"

# --- ingress_policing_rate: 5000 kbit/s, burst 500 kbit ---
LIMIT=5000
check "the unpoliced path carries at least 4x the limit ($base >= $((4 * LIMIT)) kbit/s)" \
	test "$base" -ge $((4 * LIMIT))
check "reload: p1 ingress_policing_rate=$LIMIT, ingress_policing_burst=500" \
	reload ", ingress_policing_rate: $LIMIT, ingress_policing_burst: 500" ""
read -r pk1 by1 span1 <<<"$(measure 1000)"
got=$(kbps "${by1:-0}")
echo "ingress policed: $pk1 packets, $got kbit/s"
within5 "ingress policer holds its rate" $((${pk1:-0} * 1028)) "${span1:-0}" $((LIMIT * 125)) \
	62500 "bytes of IP packets"
ports=$(ctl dump-ports br0 p1)
echo "$ports"
rxdrop=$(sed -n 's/.*policed: rx drop=\([0-9]*\),.*/\1/p' <<<"$ports")
check "dump-ports counts p1's ingress policer drops (${rxdrop:-none} > 0)" \
	test "${rxdrop:-0}" -gt 0
check "dump-ports p1's rx drop includes them" \
	bash -c "grep -Eq 'rx pkts=.*drop=([0-9]+)' <<<\"$ports\" &&
		[ \$(sed -n 's/.*rx pkts=.*drop=\([0-9]*\),.*/\1/p' <<<\"$ports\") -ge ${rxdrop:-1} ]"

# --- ingress_policing_kpkts_rate: 1 kpkt/s, burst 1 kpkt ---
check "reload: p1 ingress_policing_kpkts_rate=1, ingress_policing_kpkts_burst=1" \
	reload ", ingress_policing_kpkts_rate: 1, ingress_policing_kpkts_burst: 1" ""
read -r pk2 by2 span2 <<<"$(measure 64)"
echo "kpkts policed: $pk2 packets in $span2 s (unpoliced: $pk0 of 1000 bytes)"
within5 "kpkts policer holds its rate" "${pk2:-0}" "${span2:-0}" 1000 1000 packets
check "the unpoliced path carried at least 4 kpkt/s ($pk0)" test "${pk0:-0}" -ge $((4000 * SECS))

# --- QoS egress-policer on p2: cir 625000 bytes/s (5000 kbit/s), cbs 62500 bytes ---
check "reload: p1 unpoliced, p2 qos egress-policer cir=625000 cbs=62500" \
	reload "" ", qos: {type: egress-policer, other_config: {cir: 625000, cbs: 62500}}"
read -r pk3 by3 span3 <<<"$(measure 1000)"
got=$(kbps "${by3:-0}")
echo "egress policed: $pk3 packets, $got kbit/s"
within5 "egress-policer holds its rate" $((${pk3:-0} * 1028)) "${span3:-0}" 625000 62500 \
	"bytes of IP packets"
ports=$(ctl dump-ports br0 p2)
echo "$ports"
txdrop=$(sed -n 's/.*policed: rx drop=[0-9]*, tx drop=\([0-9]*\)$/\1/p' <<<"$ports")
check "dump-ports counts p2's egress policer drops (${txdrop:-none} > 0)" \
	test "${txdrop:-0}" -gt 0

# --- refused: another QoS type names itself ---
config "" ", qos: {type: linux-htb}"
check "vireo-dp --check refuses qos type linux-htb, naming it" \
	bash -c "\"$VIREO_DP\" --check --config '$RUN/dp.yaml' 2>&1 | grep -q \"QoS:type': 'linux-htb' refused\""
stop_dp
finish
