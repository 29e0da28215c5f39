#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A vhost-user frontend that asks vireo-dp's port how many queue pairs it may use, then
sets up the last ring offered and the first one beyond.  Prints one line per finding:
"queue_num N", "ring R ack|nack|closed".  Numbers from the vhost-user specification."""
import socket
import struct
import sys

GET_FEATURES, SET_FEATURES, SET_OWNER = 1, 2, 3
GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES, GET_QUEUE_NUM = 15, 16, 17
SET_VRING_NUM = 8
VERSION, NEED_REPLY = 0x1, 0x8
F_PROTOCOL_FEATURES = 1 << 30
PF_MQ, PF_REPLY_ACK = 1 << 0, 1 << 3


def send(s, req, payload=b"", flags=VERSION):
    s.sendall(struct.pack("<III", req, flags, len(payload)) + payload)


def recv(s):
    hdr = b""
    while len(hdr) < 12:
        chunk = s.recv(12 - len(hdr))
        if not chunk:
            return None, None
        hdr += chunk
    req, _, size = struct.unpack("<III", hdr)
    body = b""
    while len(body) < size:
        chunk = s.recv(size - len(body))
        if not chunk:
            return None, None
        body += chunk
    return req, body


def main():
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(sys.argv[1])
    send(s, SET_OWNER)
    send(s, GET_FEATURES)
    _, body = recv(s)
    features = struct.unpack("<Q", body)[0]
    send(s, SET_FEATURES, struct.pack("<Q", features & ((1 << 32) | F_PROTOCOL_FEATURES)))
    send(s, GET_PROTOCOL_FEATURES)
    _, body = recv(s)
    pf = struct.unpack("<Q", body)[0]
    send(s, SET_PROTOCOL_FEATURES, struct.pack("<Q", pf & (PF_MQ | PF_REPLY_ACK)))
    send(s, GET_QUEUE_NUM)
    _, body = recv(s)
    qn = struct.unpack("<Q", body)[0]
    print("queue_num", qn, flush=True)
    for ring in (2 * qn - 1, 2 * qn):
        try:
            send(s, SET_VRING_NUM, struct.pack("<II", ring, 256), VERSION | NEED_REPLY)
            _, body = recv(s)
        except OSError:
            body = None
        if body is None:
            print("ring", ring, "closed", flush=True)
            return
        print("ring", ring, "ack" if struct.unpack("<Q", body)[0] == 0 else "nack", flush=True)


main()
