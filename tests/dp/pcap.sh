#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dpdk ports on net_pcap vdevs (what perf/p2p and perf/tunnel measure with): the driver's
# probe registers an 8-byte, 8-byte aligned mbuf dynamic field for its receive timestamp,
# so vireo-dp's own per-packet fields must leave it room.  Two namespaces ping each other
# through two net_pcap ports on their veths (live capture, iface=).
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
EOC
check "vireo-dp starts with two net_pcap ports" start_dp "$RUN/dp.yaml"
show=$(ctl show 2>&1)
check "neither port has an error" bash -c "! grep -q error <<<\"\$1\"" _ "$show"
check "net_pcap's timestamp field was registered" bash -c "! grep -q 'Failed to register' '$RUN/dp.log'"
check "ping pc1 -> pc2 through the net_pcap ports, 0% loss" ping_ok pc1 10.98.0.2 20 0.05
finish
