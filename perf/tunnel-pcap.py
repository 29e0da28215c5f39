#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# perf/tunnel's traffic: a libpcap file of FLOWS packets for a switch to replay (net_pcap,
# infinite_rx).  usage: tunnel-pcap.py OUT KIND SIZE FLOWS [TEID_STEP]
#   KIND inner  UDP frames of SIZE bytes (without FCS), source address and port per flow
#        vxlan  the same frames in VXLAN (VNI 42) to 172.31.9.1:4789 from 172.31.9.2
#        gtpu   the same frames' IP packets in GTP-U G-PDUs to 172.31.9.1:2152, TEID 100,
#               or with TEID_STEP, TEID 1 + flow * TEID_STEP (one TEID per flow)
# The outer destination MAC is 02:00:00:00:00:01 (the tunnel bridge's internal port).
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4(src, dst, proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, proto, 0,
                    bytes(src), bytes(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def eth(dst, src, etype, payload):
    return bytes(dst) + bytes(src) + struct.pack("!H", etype) + payload


def inner(flow, size):
    pay = b"\x00" * max(0, size - 14 - 20 - 8)
    ip = ipv4([10, 1, (flow >> 8) & 0xff, flow & 0xff], [10, 2, 0, 1], 17,
              udp(1024 + flow % 60000, 5001, pay))
    return eth([2, 0, 0, 0, 0x10, 2], [2, 0, 0, 0, 0x10, 1], 0x0800, ip)


def main():
    out, kind, size, flows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    step = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    local, remote = [172, 31, 9, 1], [172, 31, 9, 2]
    bmac, rmac = [2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(flows):
            fr = inner(i, size)
            if kind == "vxlan":
                vx = struct.pack("!II", 0x08000000, 42 << 8) + fr
                fr = eth(bmac, rmac, 0x0800, ipv4(remote, local, 17, udp(49152 + i % 8192, 4789, vx)))
            elif kind == "gtpu":
                teid = 1 + i * step if step else 100
                pkt = fr[14:]
                g = struct.pack("!BBHI", 0x30, 255, len(pkt), teid) + pkt
                fr = eth(bmac, rmac, 0x0800, ipv4(remote, local, 17, udp(2152, 2152, g)))
            elif kind != "inner":
                sys.exit("unknown kind " + kind)
            f.write(struct.pack("<IIII", 0, 0, len(fr), len(fr)) + fr)


main()
