#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""slb_frames.py IFACE DST COUNT SRC...: send COUNT frames from each source MAC SRC to DST on
IFACE (a packet socket: the frames leave by IFACE whatever bridge it belongs to), of the
local experimental ethertype 0x88b5 so that a capture can tell them from anything else."""
import socket
import sys


def mac(text):
    return bytes.fromhex(text.replace(":", ""))


def main():
    iface, dst, count = sys.argv[1], mac(sys.argv[2]), int(sys.argv[3])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    for src in sys.argv[4:]:
        for _ in range(count):
            s.send(dst + mac(src) + b"\x88\xb5" + b"vireo-slb".ljust(46, b"\0"))


if __name__ == "__main__":
    main()
