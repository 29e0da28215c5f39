#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
vlan_host.py IFACE VID SRC_IP DST_IP [COUNT]: a host on 802.1Q VLAN VID behind IFACE, done
with a raw socket (this kernel has no 8021q module, so no VLAN subinterfaces): ARP for DST_IP,
then COUNT ICMP echo requests, every frame sent tagged with VID, every answer required to
come back tagged with VID.  Exit 0 when all COUNT echoes were answered, 1 otherwise.  Run it
inside the namespace that owns IFACE (ip netns exec NS ...).

The kernel takes the tag off received frames and reports it as auxiliary data
(PACKET_AUXDATA); a frame counts only if that tag is VID.
"""
import socket
import struct
import sys
import time

SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 0x10
ETH_P_ALL = 0x0003


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def tagged(dst, src, vid, ethertype, payload):
    return dst + src + struct.pack("!HHH", 0x8100, vid & 0xFFF, ethertype) + payload


def recv_tagged(sock, vid, want, deadline):
    """The next frame tagged 'vid' for which want(ethertype, payload) is true, or None."""
    while time.time() < deadline:
        sock.settimeout(max(0.01, deadline - time.time()))
        try:
            data, anc, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(20))
        except socket.timeout:
            return None
        tci = None
        for level, kind, cdata in anc:
            if level == SOL_PACKET and kind == PACKET_AUXDATA and len(cdata) >= 20:
                status, _, _, _, _, vtci, _ = struct.unpack("IIIHHHH", cdata[:20])
                if status & TP_STATUS_VLAN_VALID:
                    tci = vtci
        etype = struct.unpack("!H", data[12:14])[0]
        payload = data[14:]
        if tci is None and etype == 0x8100:    # the tag left in the frame
            tci, etype = struct.unpack("!HH", data[14:18])
            payload = data[18:]
        if tci is not None and (tci & 0xFFF) == vid and want(etype, payload):
            return payload
    return None


def main():
    iface, vid, src_ip, dst_ip = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    count = int(sys.argv[5]) if len(sys.argv) > 5 else 3
    mac = bytes.fromhex(open("/sys/class/net/%s/address" % iface).read().strip().replace(":", ""))
    sip, dip = socket.inet_aton(src_ip), socket.inet_aton(dst_ip)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.bind((iface, 0))

    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + sip + b"\0" * 6 + dip
    peer = None
    for _ in range(3):
        s.send(tagged(b"\xff" * 6, mac, vid, 0x0806, arp))
        reply = recv_tagged(s, vid, lambda t, p: t == 0x0806 and p[6:8] == b"\0\2"
                            and p[14:18] == dip and p[24:28] == sip, time.time() + 1)
        if reply is not None:
            peer = reply[8:14]
            break
    if peer is None:
        print("vlan_host: no ARP reply from %s on VLAN %d" % (dst_ip, vid))
        return 1
    answered = 0
    for seq in range(1, count + 1):
        icmp = struct.pack("!BBHHH", 8, 0, 0, 0x7E57, seq) + b"vireo-vlan" * 4
        icmp = icmp[:2] + struct.pack("!H", checksum(icmp)) + icmp[4:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), seq, 0, 64, 1, 0, sip, dip)
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        s.send(tagged(peer, mac, vid, 0x0800, ip + icmp))
        if recv_tagged(s, vid, lambda t, p: t == 0x0800 and p[9] == 1 and p[12:16] == dip
                       and p[20] == 0 and struct.unpack("!H", p[26:28])[0] == seq,
                       time.time() + 1) is not None:
            answered += 1
        time.sleep(0.05)
    print("vlan_host: %d/%d echo replies from %s on VLAN %d" % (answered, count, dst_ip, vid))
    return 0 if answered == count else 1


if __name__ == "__main__":
    sys.exit(main())
