#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A paced-as-fast-as-it-can UDP sender and a counting receiver, for the policing test.

  udp_rate.py send DST_IP PORT SECONDS SIZE   sends SIZE-byte datagrams for SECONDS
  udp_rate.py recv PORT IDLE                  counts until IDLE seconds without a datagram;
                                              prints "PACKETS BYTES SECONDS" (first to last)
"""
import socket
import sys
import time


def send(dst, port, seconds, size):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    # No UDP checksum (SO_NO_CHECK): the veth leaves it to an offload that net_af_packet's
    # path through vireo-dp never does, and the receiving kernel would drop the datagram.
    s.setsockopt(socket.SOL_SOCKET, 11, 1)
    payload = b"v" * size
    end = time.monotonic() + seconds
    sent = 0
    while time.monotonic() < end:
        for _ in range(64):
            try:
                s.sendto(payload, (dst, port))
                sent += 1
            except (BlockingIOError, OSError):
                pass
    print(sent)


def recv(port, idle):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(("0.0.0.0", port))
    s.settimeout(30)
    packets = nbytes = 0
    first = last = None
    while True:
        try:
            data = s.recv(65535)
        except socket.timeout:
            break
        now = time.monotonic()
        if first is None:
            first = now
            s.settimeout(idle)
        last = now
        packets += 1
        nbytes += len(data)
    span = (last - first) if first is not None else 0.0
    print(packets, nbytes, "%.3f" % span)


if __name__ == "__main__":
    if sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
    else:
        recv(int(sys.argv[2]), float(sys.argv[3]))
