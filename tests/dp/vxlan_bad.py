#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# Bad VXLAN packets at a vireo-dp tunnel endpoint, sent with scapy from the underlay peer's
# namespace: vxlan_bad.py IFACE DST_MAC SRC_IP DST_IP KIND COUNT, KIND one of
#   truncated  UDP to port 4789 with 4 bytes of payload (no room for a VXLAN header)
#   noinner    a VXLAN header and no inner Ethernet header
#   badflags   a VXLAN header without the I flag (no valid VNI)
#   vni        a well-formed packet for VNI 99, which no tunnel port has
#   badcsum    a well-formed packet for VNI 42 with a wrong (non-zero) UDP checksum
#   plen       a well-formed packet for VNI 42 whose IP length claims 100 bytes more than
#              were sent (a truncated outer packet)
#   exthdr     IPv6 only: a destination options header before UDP (no tunnel packet: the
#              kernel's)
#   ce         a well-formed packet for VNI 42 whose outer header is marked CE (ECN), its
#              inner IPv4/UDP packet (to port 9999) ECT(0)
#   cenotect   the same with an inner packet that is not ECN-capable
#   good       a well-formed packet for VNI 42, its inner IPv4/UDP packet to port 9999
# SRC_IP and DST_IP are both IPv4 or both IPv6.
import sys

from scapy.all import Ether, IP, IPv6, IPv6ExtHdrDestOpt, UDP, Raw, sendp
from scapy.layers.vxlan import VXLAN

# VXLAN(flags=0x08): scapy's default flags (0x0c, a next protocol byte) are VXLAN-GPE's,
# which Linux's and Open vSwitch's vxlan ports drop.
iface, dst_mac, src, dst, kind, count = sys.argv[1:7]
v6 = ":" in src
l3 = IPv6(src=src, dst=dst) if v6 else IP(src=src, dst=dst)
outer = Ether(dst=dst_mac) / l3 / UDP(sport=40000, dport=4789)
inner = Ether(dst="02:00:00:00:00:99", src="02:00:00:00:00:98") / IP(src="10.9.9.9",
	dst="10.9.9.8") / UDP() / Raw(b"x" * 32)
if kind == "truncated":
	pkt = outer / Raw(b"\x08\x00\x00\x00")
elif kind == "noinner":
	pkt = outer / VXLAN(flags=0x08, vni=42) / Raw(b"\x00\x01")
elif kind == "badflags":
	pkt = outer / VXLAN(flags=0, vni=42) / inner
elif kind == "vni":
	pkt = outer / VXLAN(flags=0x08, vni=99) / inner
elif kind == "badcsum":
	pkt = Ether(bytes(outer / VXLAN(flags=0x08, vni=42) / inner))
	pkt[UDP].chksum ^= 0x5555
	pkt = Ether(bytes(pkt))
elif kind == "plen":
	pkt = Ether(bytes(outer / VXLAN(flags=0x08, vni=42) / inner))
	if v6:
		pkt[IPv6].plen += 100
	else:
		pkt[IP].len += 100
		del pkt[IP].chksum
	pkt = Ether(bytes(pkt))
elif kind == "exthdr" and v6:
	pkt = Ether(dst=dst_mac) / l3 / IPv6ExtHdrDestOpt() / UDP(sport=40000, dport=4789) / \
		VXLAN(flags=0x08, vni=42) / inner
elif kind in ("ce", "cenotect"):
	ce = IPv6(src=src, dst=dst, tc=3) if v6 else IP(src=src, dst=dst, tos=3)
	pkt = Ether(dst=dst_mac) / ce / UDP(sport=40000, dport=4789) / \
		VXLAN(flags=0x08, vni=42) / Ether(dst="02:00:00:00:00:99", src="02:00:00:00:00:98") / \
		IP(src="10.9.9.9", dst="10.9.9.8", tos=2 if kind == "ce" else 0) / \
		UDP(dport=9999) / Raw(b"x" * 32)
elif kind == "good":
	pkt = outer / VXLAN(flags=0x08, vni=42) / Ether(dst="02:00:00:00:00:99",
		src="02:00:00:00:00:98") / IP(src="10.9.9.9", dst="10.9.9.8") / UDP(dport=9999) / \
		Raw(b"x" * 32)
else:
	sys.exit("unknown kind " + kind)
sendp(pkt, iface=iface, count=int(count), verbose=False)
