#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# A flooded tunnel packet is one mbuf shared by every port it goes to: the port that pops
# or pushes its outer headers must not change what the others send.  Namespace U
# (172.31.17.2) is the remote host on the underlay bridge, whose internal port holds the
# host's 172.31.17.1; namespace V (10.207.0.1) is on the overlay bridge with the vxlan port
# (VNI 42).  Each bridge also has net_pcap ports that only send, into capture files: w1
# before the internal port and w2 after it, w3 before the vxlan port (a PMD sends its
# queued batches last port first, so the ones before are sent after the pop or push).  A
# patch port pa after w1 leads to a third bridge whose rule rewrites the source MAC of
# what comes across before its capture port w4.
#   Pop: scapy in U sends VXLAN packets to a MAC nobody has: the underlay floods them to
#   w1, pa, the internal port and w2.  w1 and w2 write the VXLAN packet as sent, byte for
#   byte; V still receives the inner frame; w4 writes it with the rule's source MAC.
#   Push: scapy in V sends broadcast frames: the overlay floods them to w3 and the vxlan
#   port.  w3 writes the frame as sent; U still receives it encapsulated.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tnl.sh"	# tnl_underlay_up

BP=sp$$ BN=sn$$ RW=sr$$ U=su$$ V=sv$$ N=5
netns_add "$U" 172.31.17.2 && netns_add "$V" 10.207.0.1 || { fail "netns"; finish; }
at_exit 'ip link del "$BP" 2>/dev/null'
umac=$(ip -n "$U" -br link show eth0 | awk '{print $3}')
vmac=$(ip -n "$V" -br link show eth0 | awk '{print $3}')
# an empty capture file (the global header alone) for the capture ports' receive side
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\0\0\0\0\0\0\0\0\xff\xff\0\0\x01\0\0\0' >"$RUN/empty.pcap"
cap() { echo "{type: dpdk, options: {dpdk-devargs: \"net_pcap$1,rx_pcap=$RUN/empty.pcap,tx_pcap=$RUN/$2.pcap\"}}"; }
cat >"$RUN/dp.yaml" <<EOC
$(other_config)
bridges:
  $BP:
    ports:
      w1: $(cap 3 w1)
      pa: {type: patch, options: {peer: pb}}
      $BP: {type: internal}
      phy: {type: dpdk, options: {dpdk-devargs: "net_af_packet1,iface=v-$U"}}
      w2: $(cap 4 w2)
  $BN:
    ports:
      w3: $(cap 5 w3)
      vm: {type: dpdk, options: {dpdk-devargs: "net_af_packet2,iface=v-$V"}}
      vx0: {type: vxlan, options: {remote_ip: 172.31.17.2, local_ip: 172.31.17.1, key: 42}}
  $RW:
    ports:
      pb: {type: patch, options: {peer: pa}}
      w4: $(cap 6 w4)
EOC
# Debian's python3, where scripts/deps installs python3-scapy.
py() { /usr/bin/python3 "$(dirname "$0")/tnl_shared.py" "$@"; }
# same PCAP HEXFILE: py same, quiet (the checks poll it; what each port wrote is printed at
# the end).
same() { py same "$1" "$2" "$N" >/dev/null; }
# capture NS FILTER: tcpdump in NS until $N packets match FILTER (10 s at most), in the
# background ($cap_pid), once it listens.
capture() {
	ip netns exec "$1" timeout 10 tcpdump -l -c "$N" -nn -i eth0 "$2" \
		>"$RUN/$1.out" 2>"$RUN/$1.err" &
	cap_pid=$!
	wait_until 10 grep -q "listening on" "$RUN/$1.err"
}

check "vireo-dp starts: underlay and overlay bridges, a rewriting bridge behind a patch port, four capture ports" start_dp "$RUN/dp.yaml"
check "$RW rewrites what comes across the patch (mod_dl_src) before its capture port" \
	eval 'ctl add-flow "$RW" "in_port=pb,actions=mod_dl_src:02:00:00:00:00:55,output:w4" >/dev/null'
check "the underlay's internal port gets 172.31.17.1" tnl_underlay_up 172.31.17.1/24
check "vx0's link comes up (route through $BP, next hop resolved by ARP)" \
	wait_until 30 eval 'ctl show | grep -q "port vx0: ofport [0-9]*, type vxlan, link up"'

capture "$V" "udp dst port 9999"
check "pop: U sends $N VXLAN packets to an unknown MAC (flooded to w1, $BP, w2)" \
	ip netns exec "$U" /usr/bin/python3 "$(dirname "$0")/tnl_shared.py" send eth0 vxlan "$N" \
	"$RUN/vxlan.hex" "$umac" 172.31.17.2 172.31.17.1
# the frame as $RW's rule leaves it: its source MAC (bytes 6 to 11) replaced
sed 's/^\(.\{12\}\).\{12\}/\1020000000055/' "$RUN/vxlan.hex" >"$RUN/rw.hex"
check "... V receives the $N inner frames (popped by the internal port)" wait "$cap_pid"
check "... w1 (sent after the pop and the rewrite) sent the $N VXLAN packets as U sent them" \
	wait_until 5 same "$RUN/w1.pcap" "$RUN/vxlan.hex"
check "... w2 (sent before the pop and the rewrite) sent them as U sent them" \
	wait_until 5 same "$RUN/w2.pcap" "$RUN/vxlan.hex"
check "... w4 (across the patch) sent them with the source MAC the rule set" \
	wait_until 5 eval 'py same "$RUN/w4.pcap" "$RUN/rw.hex" "$N" >/dev/null'

capture "$U" "udp dst port 4789 and src host 172.31.17.1"
check "push: V sends $N broadcast frames (flooded to w3 and vx0)" \
	ip netns exec "$V" /usr/bin/python3 "$(dirname "$0")/tnl_shared.py" send eth0 inner "$N" \
	"$RUN/inner.hex" "$vmac"
check "... U receives $N VXLAN packets from the host (pushed by vx0)" wait "$cap_pid"
check "... w3 (sent after the push) sent the $N frames as V sent them" \
	wait_until 5 same "$RUN/w3.pcap" "$RUN/inner.hex"
# What each capture port wrote, for the log.
py same "$RUN/w1.pcap" "$RUN/vxlan.hex" "$N"
py same "$RUN/w2.pcap" "$RUN/vxlan.hex" "$N"
py same "$RUN/w3.pcap" "$RUN/inner.hex" "$N"
py same "$RUN/w4.pcap" "$RUN/rw.hex" "$N"

stop_dp
check "vireo-dp stops cleanly (status 0)" test "$?" -eq 0
finish
