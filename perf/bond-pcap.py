#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""bond-pcap.py SRC.pcap PREFIX REPEAT: the replay files of a bond's two members for
perf/p2p's bond sets: PREFIX-b0.pcap and PREFIX-b1.pcap hold SRC's frames REPEAT times and
then one LACPDU of a partner "switch" (system 02:00:00:00:aa:00, key 1, port 1 or 2) that is
in sync, collecting and distributing, so that an 802.3ad bond (balance-tcp) over the replay
negotiates; PREFIX-s0.pcap and PREFIX-s1.pcap hold the frames alone (balance-slb).

The partner aggregates and its view of us is vireo-dp's actor as DPDK's 802.3ad makes it in
perf/p2p (system 02:70:63:61:70:00, the MAC net_pcap gives the first member it probes;
priorities 65535 and 255; port numbers 1 and 2, the members' ethdev ids plus one): DPDK's
rx machine unselects a member whose partner's aggregation bit differs from its own, at
every LACPDU, and calls the partner in sync only when the partner's view of it matches.
Open vSwitch's LACP does not compare the partner's view, so one static LACPDU serves both
switches.  With REPEAT 64 and 256 frames, one frame in 16385 is a
LACPDU (Open vSwitch handles each one in its slow path)."""
import struct
import sys


def lacpdu(port):
    src = bytes([2, 0, 0, 0, 0xaa, port])
    # activity, aggregation, synchronized, collecting, distributing
    state = 0x01 | 0x04 | 0x08 | 0x10 | 0x20
    actor = struct.pack("!BBH6sHHHB3x", 1, 20, 0x8000, bytes([2, 0, 0, 0, 0xaa, 0]), 1,
                        0x8000, port, state)
    partner = struct.pack("!BBH6sHHHB3x", 2, 20, 0xffff, bytes.fromhex("027063617000"), 33,
                          0x00ff, port, state)
    collector = struct.pack("!BBH12x", 3, 16, 0)
    return (bytes.fromhex("0180c2000002") + src + b"\x88\x09" + b"\x01\x01" + actor +
            partner + collector + b"\x00\x00" + bytes(50))


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    off, out = 24, []
    while off + 16 <= len(data):
        incl = struct.unpack_from("<I", data, off + 8)[0]
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out


def write(path, pkts):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, p in enumerate(pkts):
            f.write(struct.pack("<IIII", i // 1000000, i % 1000000, len(p), len(p)))
            f.write(p)


def main():
    src, prefix, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
    data = frames(src) * repeat
    for m in (0, 1):
        write("%s-b%d.pcap" % (prefix, m), data + [lacpdu(m + 1)])
        write("%s-s%d.pcap" % (prefix, m), data)


if __name__ == "__main__":
    main()
