#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# The far end of a Geneve tunnel, in scapy, from the underlay peer's namespace.
#
#   geneve_peer.py respond IFACE DST_MAC SRC_IP DST_IP VNI OPT SECONDS LOG
#     Decode every Geneve packet sent to SRC_IP:6081 for SECONDS; write one line per packet
#     to LOG ("vni=.. ver=.. proto=.. optlen=.. inner=SRC_MAC>DST_MAC TYPE opts=CLASS:TYPE:HEX,..
#     outer=OUTER", OUTER "ipv4" or, over IPv6, "ipv6 tc=.. fl=.. hlim=.. csum=ok|bad|zero"); answer ARP
#     requests for 10.202.0.2 and ICMP echo requests to it, as host 02:00:00:00:02:02 behind
#     the tunnel, encapsulated to DST_IP/DST_MAC with VNI and one option (class 0xffff,
#     type 0, value OPT, 4 bytes).  LOG.ready appears once it listens.  SRC_IP and DST_IP are
#     both IPv4 or both IPv6 addresses (the underlay's family).  A packet with the O (OAM)
#     bit set has " oam" at the end of its line; with GENEVE_PEER_OAM=1 in the environment
#     the answers carry the O bit.
#   geneve_peer.py bad IFACE DST_MAC SRC_IP DST_IP KIND COUNT
#     COUNT packets of KIND to DST_IP:6081:
#       truncated  4 bytes of UDP payload (no Geneve header)
#       version    version 1
#       optlen     an option length reaching past the packet
#       tlvlen     an option TLV longer than the options
#       proto      a payload other than Ethernet (0x0800)
#       critical   a critical option (class 0x0102, type 0x80) nobody mapped
#       vni        well formed, for VNI 99 which no port has
import os
import sys

from scapy.all import ARP, ICMP, IP, IPv6, UDP, Ether, Raw, in6_chksum, sendp, sniff
from scapy.contrib.geneve import GENEVE, GeneveOptions

PEER_IP, PEER_MAC = "10.202.0.2", "02:00:00:00:02:02"


def outer_ip(src, dst):
    return IPv6(src=src, dst=dst) if ":" in src else IP(src=src, dst=dst)


def outer_desc(p):
    """The outer header as the log shows it; over IPv6 with the UDP checksum checked."""
    if IPv6 not in p:
        return "ipv4"
    u = p[UDP]
    raw = bytearray(bytes(u))
    raw[6:8] = b"\0\0"
    want = in6_chksum(17, p[IPv6], bytes(raw)) or 0xffff
    csum = "zero" if u.chksum == 0 else "ok" if u.chksum == want else "bad"
    return "ipv6 tc=%d fl=%d hlim=%d csum=%s" % (p[IPv6].tc, p[IPv6].fl, p[IPv6].hlim, csum)


def respond(iface, dst_mac, src, dst, vni, opt, seconds, log):
    vni, opt = int(vni), int(opt, 0)
    out = open(log, "w", buffering=1)
    outer = Ether(dst=dst_mac) / outer_ip(src, dst) / UDP(sport=45678, dport=6081)
    tun = GENEVE(vni=vni, proto=0x6558, optionlen=2,
                 oam=int(os.environ.get("GENEVE_PEER_OAM", "0")), options=[GeneveOptions(
        classid=0xffff, type=0, length=1, data=opt.to_bytes(4, "big"))])

    def ready():
        open(log + ".ready", "w").close()

    def seen(p):
        top = p[IPv6] if IPv6 in p else p[IP] if IP in p else None
        if top is None or top.dst != src or not p.haslayer(GENEVE):
            return
        g = p[GENEVE]
        inner = g.payload
        kind = "other"
        if ARP in inner:
            kind = "arp-op%d" % inner[ARP].op
        elif ICMP in inner:
            kind = "icmp-type%d" % inner[ICMP].type
        opts = ",".join("%04x:%02x:%s" % (o.classid, o.type, o.data.hex()) for o in g.options)
        out.write("vni=%d ver=%d proto=0x%04x optlen=%d inner=%s>%s %s opts=%s outer=%s%s\n" % (
            g.vni, g.version, g.proto, g.optionlen,
            inner.src if Ether in inner else "-", inner.dst if Ether in inner else "-", kind, opts,
            outer_desc(p), " oam" if g.oam else ""))
        if g.proto != 0x6558 or g.vni != vni or Ether not in inner:
            return
        e = inner[Ether]
        if ARP in e and e[ARP].op == 1 and e[ARP].pdst == PEER_IP:
            ans = Ether(src=PEER_MAC, dst=e.src) / ARP(op=2, hwsrc=PEER_MAC, psrc=PEER_IP,
                                                      hwdst=e[ARP].hwsrc, pdst=e[ARP].psrc)
        elif IP in e and ICMP in e and e[IP].dst == PEER_IP and e[ICMP].type == 8:
            ans = Ether(src=PEER_MAC, dst=e.src) / IP(src=PEER_IP, dst=e[IP].src) / ICMP(
                type=0, id=e[ICMP].id, seq=e[ICMP].seq) / e[ICMP].payload
        else:
            return
        sendp(outer / tun / ans, iface=iface, verbose=False)

    sniff(iface=iface, filter="udp dst port 6081", prn=seen, timeout=float(seconds),
          store=False, started_callback=ready)


def bad(iface, dst_mac, src, dst, kind, count):
    outer = Ether(dst=dst_mac) / outer_ip(src, dst) / UDP(sport=40000, dport=6081)
    inner = Ether(dst="02:00:00:00:00:99", src="02:00:00:00:00:98") / IP(
        src="10.9.9.9", dst="10.9.9.8") / UDP() / Raw(b"x" * 32)
    opt = GeneveOptions(classid=0xffff, type=0, length=1, data=b"\0\0\0\1")
    if kind == "truncated":
        pkt = outer / Raw(b"\x00\x00\x65\x58")
    elif kind == "version":
        pkt = outer / GENEVE(version=1, vni=77, proto=0x6558) / inner
    elif kind == "optlen":
        # 63 words of options announced, 2 present: the options reach past the packet.
        pkt = outer / Raw(bytes([0x3f, 0, 0x65, 0x58, 0, 0, 77, 0])) / Raw(bytes(opt)) / inner
    elif kind == "tlvlen":
        # One word of options whose TLV says 31 words follow.
        pkt = outer / GENEVE(vni=77, proto=0x6558, optionlen=1) / Raw(
            b"\xff\xff\x00\x1f") / inner
    elif kind == "proto":
        pkt = outer / GENEVE(vni=77, proto=0x0800) / inner[IP]
    elif kind == "critical":
        pkt = outer / GENEVE(vni=77, proto=0x6558, optionlen=2, critical=1, options=[
            GeneveOptions(classid=0x0102, type=0x80, length=1, data=b"\0\0\0\1")]) / inner
    elif kind == "vni":
        pkt = outer / GENEVE(vni=99, proto=0x6558, optionlen=2, options=[opt]) / inner
    else:
        sys.exit("unknown kind " + kind)
    sendp(pkt, iface=iface, count=int(count), verbose=False)


if sys.argv[1] == "respond":
    respond(*sys.argv[2:10])
elif sys.argv[1] == "bad":
    bad(*sys.argv[2:8])
else:
    sys.exit("usage: geneve_peer.py respond|bad ...")
