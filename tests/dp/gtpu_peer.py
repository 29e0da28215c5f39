#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# The base station's side of a GTP-U tunnel to vireo-dp, with scapy's GTP layer, from the
# underlay peer's namespace:
#   gtpu_peer.py IFACE DST_MAC SRC_IP DST_IP KIND COUNT [TEID [UE_IP DN_IP [DL_TEID]]]
# SRC_IP and DST_IP are both IPv4 or both IPv6 (the underlay's family); over IPv6 a reply
# passes the checks only with hop limit 64, traffic class 0, flow label 0 and a right UDP
# checksum.
# KIND:
#   ping      COUNT G-PDUs with TEID carrying ICMP echo requests UE_IP -> DN_IP; waits for
#             the replies in G-PDUs and checks them: TEID DL_TEID, flags 0x30 (version 1,
#             GTP, no optional fields), message type 255, inner echo reply DN_IP -> UE_IP.
#             Prints "ok N" with N the replies that passed the checks.  It waits up to
#             10 s for COUNT replies, or $GTPU_PEER_WAIT s (a check that expects none).
#   ping-qfi  the same, each request with a PDU session container (uplink, QFI 9): the
#             replies carry none (Open vSwitch does not add one either).
#   echo      COUNT echo requests (message type 1, TEID 0).
#   truncated UDP to 2152 with 4 bytes of payload.
#   version   a G-PDU with version 2 in its flags (0x50).
#   pt        a G-PDU with the protocol type bit clear (GTP', 0x20).
#   extlen    a G-PDU whose extension header claims more bytes than the packet has.
#   length    a G-PDU whose length field claims more bytes than the UDP payload has.
#   nonip     a G-PDU whose payload is not IP.
# The kinds from echo on may be given as a comma-separated list: COUNT of each, in order
# (one scapy start-up for all).
import os
import sys
import time

from scapy.all import AsyncSniffer, Ether, ICMP, IP, IPv6, UDP, Raw, in6_chksum, sendp
from scapy.contrib.gtp import GTP_U_Header, GTPPDUSessionContainer

iface, dst_mac, src, dst, kind, count = sys.argv[1:7]
count = int(count)
teid = int(sys.argv[7]) if len(sys.argv) > 7 else 0
ue, dn = (sys.argv[8], sys.argv[9]) if len(sys.argv) > 9 else ("10.60.0.2", "10.45.0.1")
dl_teid = int(sys.argv[10]) if len(sys.argv) > 10 else teid
v6 = ":" in src
outer = Ether(dst=dst_mac) / (IPv6(src=src, dst=dst) if v6 else IP(src=src, dst=dst)) / UDP(
    sport=2152, dport=2152)
inner = IP(src=ue, dst=dn) / ICMP(id=0x4242) / Raw(b"vireo" * 8)


def request(seq):
    return IP(src=ue, dst=dn) / ICMP(id=0x4242, seq=seq) / Raw(b"vireo" * 8)


def raw_gtp(flags, msgtype, length, teid_, payload):
    return Raw(bytes([flags, msgtype]) + length.to_bytes(2, "big") + teid_.to_bytes(4, "big")
               + payload)


def outer_ok(p):
    """Over IPv6: vireo-dp's outer header as Open vSwitch builds it, the checksum right."""
    if not v6:
        return IP in p
    if IPv6 not in p or p[IPv6].hlim != 64 or p[IPv6].tc != 0 or p[IPv6].fl != 0:
        return False
    raw = bytearray(bytes(p[UDP]))
    raw[6:8] = b"\0\0"
    return p[UDP].chksum == (in6_chksum(17, p[IPv6], bytes(raw)) or 0xffff)


def replies(pkts):
    good = 0
    for p in pkts:
        if UDP not in p or p[UDP].dport != 2152 or GTP_U_Header not in p:
            continue
        if not outer_ok(p):
            print("bad outer:", p.summary())
            continue
        g = p[GTP_U_Header]
        if g.teid != dl_teid or g.gtp_type != 255 or bytes(g)[0] != 0x30 or g.E:
            print("bad reply:", p.summary(), hex(bytes(g)[0]), g.teid, g.gtp_type)
            continue
        ip = g.payload
        if IP in ip and ip[IP].src == dn and ip[IP].dst == ue and ICMP in ip and \
                ip[ICMP].type == 0 and ip[ICMP].id == 0x4242:
            good += 1
    return good


if kind in ("ping", "ping-qfi"):
    # AsyncSniffer's results exist only once it stops: the callback keeps what came so far.
    seen = []
    sn = AsyncSniffer(iface=iface, filter="udp dst port 2152 and src host " + dst,
                      prn=seen.append, store=False)
    sn.start()
    time.sleep(0.5)
    for seq in range(count):
        if kind == "ping":
            g = GTP_U_Header(teid=teid, gtp_type=255)
        else:
            g = GTP_U_Header(teid=teid, gtp_type=255, E=1, next_ex=0x85) / \
                GTPPDUSessionContainer(type=1, QFI=9, NextExtHdr=0)
        sendp(outer / g / request(seq), iface=iface, verbose=False)
        time.sleep(0.05)
    deadline = time.time() + float(os.environ.get("GTPU_PEER_WAIT", "10"))
    while time.time() < deadline and replies(list(seen)) < count:
        time.sleep(0.2)
    sn.stop()
    print("ok", replies(seen))
    sys.exit(0)


def malformed(kind):
    """The packet of one of the send-only kinds."""
    if kind == "echo":
        return outer / GTP_U_Header(teid=0, gtp_type=1, S=1, seq=1)
    if kind == "truncated":
        return outer / Raw(b"\x30\xff\x00\x00")
    if kind == "version":
        return outer / raw_gtp(0x50, 255, len(inner), teid, bytes(inner))
    if kind == "pt":
        return outer / raw_gtp(0x20, 255, len(inner), teid, bytes(inner))
    if kind == "extlen":
        # E set; the next extension header type 0x85 claims 64 * 4 bytes.
        body = b"\x00\x00\x00\x85" + b"\x40\x10\x09\x00" + bytes(inner)
        return outer / raw_gtp(0x34, 255, len(body), teid, body)
    if kind == "length":
        return outer / raw_gtp(0x30, 255, len(inner) + 100, teid, bytes(inner))
    if kind == "nonip":
        return outer / raw_gtp(0x30, 255, 40, teid, b"\x00" * 40)
    sys.exit("unknown kind " + kind)


pkts = [malformed(k) for k in kind.split(",")]
for pkt in pkts:
    sendp(pkt, iface=iface, count=count, verbose=False)
