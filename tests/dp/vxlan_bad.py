#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# Bad VXLAN packets at a vireo-dp tunnel endpoint, sent with scapy from the underlay peer's
# namespace: vxlan_bad.py IFACE DST_MAC SRC_IP DST_IP KIND COUNT, KIND one of
#   truncated  UDP to port 4789 with 4 bytes of payload (no room for a VXLAN header)
#   noinner    a VXLAN header and no inner Ethernet header
#   badflags   a VXLAN header without the I flag (no valid VNI)
#   vni        a well-formed packet for VNI 99, which no tunnel port has
import sys

from scapy.all import Ether, IP, UDP, Raw, sendp
from scapy.layers.vxlan import VXLAN

iface, dst_mac, src, dst, kind, count = sys.argv[1:7]
outer = Ether(dst=dst_mac) / IP(src=src, dst=dst) / UDP(sport=40000, dport=4789)
inner = Ether(dst="02:00:00:00:00:99", src="02:00:00:00:00:98") / IP(src="10.9.9.9",
	dst="10.9.9.8") / UDP() / Raw(b"x" * 32)
if kind == "truncated":
	pkt = outer / Raw(b"\x08\x00\x00\x00")
elif kind == "noinner":
	pkt = outer / VXLAN(vni=42) / Raw(b"\x00\x01")
elif kind == "badflags":
	pkt = outer / VXLAN(flags=0, vni=42) / inner
elif kind == "vni":
	pkt = outer / VXLAN(vni=99) / inner
else:
	sys.exit("unknown kind " + kind)
sendp(pkt, iface=iface, count=int(count), verbose=False)
