#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dpdk ports on net_pcap vdevs (what perf/p2p and perf/tunnel measure with): the driver's
# probe registers an 8-byte, 8-byte aligned mbuf dynamic field for its receive timestamp,
# so vireo-dp's own per-packet fields must leave it room.  Two namespaces ping each other
# through two net_pcap ports on their veths (live capture, iface=).  A balance-slb bond of
# net_pcap members is refused with the member named: DPDK's balance mode gives its members
# the bond's MAC address, which net_pcap cannot take.
. "$(dirname "$0")/lib.sh"

netns_add pc1 10.98.0.1 02:00:00:00:00:01 || { fail "netns"; finish; }
netns_add pc2 10.98.0.2 02:00:00:00:00:02 || { fail "netns"; finish; }
cat >"$RUN/dp.yaml" <<EOC
$(other_config)
bridges:
  br0:
    ports:
      p1: {type: dpdk, options: {dpdk-devargs: "net_pcap1,iface=v-pc1"}}
      p2: {type: dpdk, options: {dpdk-devargs: "net_pcap2,iface=v-pc2"}}
      slb0:
        bond_mode: balance-slb
        interfaces:
          s0: {type: dpdk, options: {dpdk-devargs: "net_pcap3,rx_pcap=$RUN/empty.pcap"}}
          s1: {type: dpdk, options: {dpdk-devargs: "net_pcap4,rx_pcap=$RUN/empty.pcap"}}
EOC
# an empty capture file: the global header alone
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\0\0\0\0\0\0\0\0\xff\xff\0\0\x01\0\0\0' >"$RUN/empty.pcap"
check "vireo-dp starts with two net_pcap ports" start_dp "$RUN/dp.yaml"
show=$(ctl show 2>&1)
check "neither net_pcap port has an error" bash -c "! grep -A1 'port p[12]:' <<<\"\$1\" | grep -q error" _ "$show"
check "the balance-slb bond of net_pcap members is refused, naming the member" \
	bash -c "grep -A1 'port slb0:' <<<\"\$1\" | grep -q \"error: interface 's0': balance-slb needs members whose MAC address can be set\"" _ "$show"
check "net_pcap's timestamp field was registered" bash -c "! grep -q 'Failed to register' '$RUN/dp.log'"
check "ping pc1 -> pc2 through the net_pcap ports, 0% loss" ping_ok pc1 10.98.0.2 20 0.05
finish
