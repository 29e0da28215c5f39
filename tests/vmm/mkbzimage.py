#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write a minimal, well-formed bzImage (boot protocol 2.15, 64-bit entry, 4 setup sectors)
for tests that need one without a real kernel.

usage: mkbzimage.py OUT [--code HEX] [--init-size BYTES] [--size BYTES]
  --code HEX        machine code at the 64-bit entry (kernel + 0x200)
  --init-size BYTES the header's init_size (default 1 MiB)
  --size BYTES      the whole file's size (default: the setup plus 4 KiB)
"""
import argparse
import struct

SETUP = 5 * 512  # the boot sector and 4 setup sectors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--code", default="")
    ap.add_argument("--init-size", type=int, default=0x100000)
    ap.add_argument("--size", type=int, default=SETUP + 0x1000)
    a = ap.parse_args()
    b = bytearray(a.size)
    b[0x1F1] = 4  # setup_sects
    b[0x201] = 0x66  # a jump at 0x200, as real images have
    b[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", b, 0x206, 0x020F)  # protocol 2.15
    b[0x211] = 1  # loadflags: LOADED_HIGH
    struct.pack_into("<I", b, 0x22C, 0x7FFFFFFF)  # initrd_addr_max
    struct.pack_into("<I", b, 0x230, 0x200000)  # kernel_alignment
    struct.pack_into("<H", b, 0x236, 3)  # xloadflags: 64-bit entry, above 4G
    struct.pack_into("<I", b, 0x238, 2047)  # cmdline_size
    struct.pack_into("<I", b, 0x260, a.init_size)
    code = bytes.fromhex(a.code)
    b[SETUP + 0x200:SETUP + 0x200 + len(code)] = code
    with open(a.out, "wb") as f:
        f.write(b)


main()
