#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# Frames for tnl_shared.sh, and what the switch's capture ports wrote:
#   tnl_shared.py send IFACE FRAME COUNT HEXFILE   send FRAME COUNT times from IFACE with
#                                                  scapy, its bytes (hex) into HEXFILE
#   tnl_shared.py same PCAP HEXFILE COUNT          PCAP (a net_pcap port's tx_pcap) holds
#                                                  the frame of HEXFILE, byte for byte,
#                                                  COUNT times; else says what it holds
# FRAME is one of
#   vxlan SRC_MAC SRC_IP DST_IP   a VXLAN packet (VNI 42) to an unknown destination MAC,
#                                 which the underlay bridge floods, from SRC_IP to DST_IP;
#                                 its inner frame is a broadcast UDP packet to port 9999
#   inner SRC_MAC                 a broadcast UDP packet to port 9998 (the overlay's flood)
import struct
import sys


def frame(kind, args):
	# scapy only here: "same" runs in a polling loop, and importing scapy takes seconds.
	from scapy.all import Ether, IP, UDP, Raw
	from scapy.layers.vxlan import VXLAN

	if kind == "vxlan":
		mac, src, dst = args
		# VXLAN(flags=0x08): scapy's default flags (0x0c) are VXLAN-GPE's.
		return Ether(dst="02:00:00:00:00:77", src=mac) / IP(src=src, dst=dst) / \
			UDP(sport=40000, dport=4789) / VXLAN(flags=0x08, vni=42) / \
			Ether(dst="ff:ff:ff:ff:ff:ff", src="02:00:00:00:00:98") / \
			IP(src="10.207.0.9", dst="10.207.0.1", tos=2) / UDP(sport=1234, dport=9999) / \
			Raw(b"vireo-shared" * 8)
	if kind == "inner":
		(mac,) = args
		return Ether(dst="ff:ff:ff:ff:ff:ff", src=mac) / \
			IP(src="10.207.0.1", dst="10.207.0.2") / UDP(sport=1234, dport=9998) / \
			Raw(b"vireo-shared" * 8)
	sys.exit("unknown frame " + kind)


def pcap_frames(path):
	with open(path, "rb") as f:
		data = f.read()
	if len(data) < 24:
		return []
	magic = struct.unpack("<I", data[:4])[0]
	end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
	out, at = [], 24
	while at + 16 <= len(data):
		incl = struct.unpack(end + "I", data[at + 8:at + 12])[0]
		out.append(data[at + 16:at + 16 + incl])
		at += 16 + incl
	return out


if sys.argv[1] == "send":
	iface, kind, count, hexfile = sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
	pkt = frame(kind, sys.argv[6:])
	with open(hexfile, "w") as f:
		f.write(bytes(pkt).hex())
	from scapy.all import sendp
	sendp(pkt, iface=iface, count=count, verbose=False)
elif sys.argv[1] == "same":
	pcap, hexfile, count = sys.argv[2], sys.argv[3], int(sys.argv[4])
	want = bytes.fromhex(open(hexfile).read())
	got = pcap_frames(pcap)
	same = sum(1 for g in got if g == want)
	# A frame that is the sent one's tail: its outer headers were popped under this port.
	tails = sum(1 for g in got if g != want and len(g) < len(want) and want.endswith(g))
	# One that ends with the sent frame: outer headers were pushed under this port.
	heads = sum(1 for g in got if g != want and len(g) > len(want) and g.endswith(want))
	print("%s: %d frames, %d the frame sent, %d its inner part, %d it with headers pushed"
		% (pcap, len(got), same, tails, heads))
	sys.exit(0 if same == count else 1)
else:
	sys.exit("usage: tnl_shared.py send|same ...")
