#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# Frames to reserved and ordinary multicast addresses, sent with scapy from a namespace, in
# one process (scapy takes seconds to import):
# bpdu_send.py IFACE COUNT KIND:SRC_MAC..., COUNT frames of each KIND, one of
#   stp    an IEEE 802.1D configuration BPDU to 01:80:c2:00:00:00 (802.3, LLC, STP)
#   lldp   an LLDP-typed frame (0x88cc) to 01:80:c2:00:00:0e
#   cdp    an 802.3/SNAP frame to Cisco's 01:00:0c:cc:cc:cc (CDP, VTP, ...)
#   gmrp   a frame to 01:80:c2:00:00:20 (GARP: not reserved in Open vSwitch's list)
import sys

from scapy.all import Dot3, Ether, LLC, SNAP, STP, Raw, sendp


def frame_of(kind, src):
	if kind == "stp":
		return Dot3(dst="01:80:c2:00:00:00", src=src) / LLC(dsap=0x42, ssap=0x42, ctrl=3) / \
			STP()
	if kind == "lldp":
		return Ether(dst="01:80:c2:00:00:0e", src=src, type=0x88cc) / \
			Raw(b"\x02\x07\x04" + 46 * b"\0")
	if kind == "cdp":
		return Dot3(dst="01:00:0c:cc:cc:cc", src=src) / LLC(dsap=0xaa, ssap=0xaa, ctrl=3) / \
			SNAP(OUI=0x00000c, code=0x2000) / Raw(46 * b"\0")
	if kind == "gmrp":
		return Dot3(dst="01:80:c2:00:00:20", src=src) / LLC(dsap=0x42, ssap=0x42, ctrl=3) / \
			Raw(46 * b"\0")
	sys.exit("unknown kind " + kind)


iface, count = sys.argv[1], int(sys.argv[2])
frames = []
for arg in sys.argv[3:]:
	kind, src = arg.split(":", 1)
	frames += count * [frame_of(kind, src)]
sendp(frames, iface=iface, inter=0.01, verbose=False)
