#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A bare OpenFlow controller for controller.sh: listens on 127.0.0.1:PORT, takes the
switch's connection in VERSION (1: 1.0, 4: 1.3), deletes every rule, adds a table-miss rule
(priority 0, all wildcards, output:CONTROLLER) when asked, answers echo requests, and for
SECS seconds prints the reason of each packet_in it gets ("reasons: 0 0 1")."""
import socket, struct, sys, time

port, version, secs, table_miss = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), \
    sys.argv[4] == "table-miss"
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(1)
ls.settimeout(20)
s, _ = ls.accept()
s.sendall(struct.pack('!BBHIHHI', version, 0, 16, 1, 1, 8, 1 << version))
if version == 1:
    # OFPFC_DELETE of everything, then (priority 0, match all) output:CONTROLLER.
    s.sendall(struct.pack('!BBHII', 1, 14, 72, 2, (1 << 22) - 1) + bytes(36) +
              struct.pack('!QHHHHIHH', 0, 3, 0, 0, 0, 0xffffffff, 0xffff, 0))
    if table_miss:
        s.sendall(struct.pack('!BBHII', 1, 14, 80, 3, (1 << 22) - 1) + bytes(36) +
                  struct.pack('!QHHHHIHH', 0, 0, 0, 0, 0, 0xffffffff, 0xffff, 0) +
                  struct.pack('!HHHH', 0, 8, 0xfffd, 0xffff))
else:
    s.sendall(struct.pack('!BBHIQQBBHHHIIIHH', 4, 14, 56, 2, 0, 0, 0xff, 3, 0, 0, 0,
                          0xffffffff, 0xffffffff, 0xffffffff, 0, 0) +
              struct.pack('!HHI', 1, 4, 0))
    if table_miss:
        s.sendall(struct.pack('!BBHIQQBBHHHIIIHH', 4, 14, 80, 3, 0, 0, 0, 0, 0, 0, 0,
                              0xffffffff, 0xffffffff, 0xffffffff, 0, 0) +
                  struct.pack('!HHI', 1, 4, 0) +
                  struct.pack('!HH4xHHIH6x', 4, 24, 0, 16, 0xfffffffd, 0xffff))
s.settimeout(0.2)
buf, reasons, end = b'', [], time.time() + secs
while time.time() < end:
    try:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    except socket.timeout:
        continue
    while len(buf) >= 8 and len(buf) >= struct.unpack('!H', buf[2:4])[0]:
        n = struct.unpack('!H', buf[2:4])[0]
        m, buf = buf[:n], buf[n:]
        if m[1] == 2:
            s.sendall(struct.pack('!BBHI', version, 3, 8, struct.unpack('!I', m[4:8])[0]))
        elif m[1] == 10:
            reasons.append(m[16] if version == 1 else m[14])
        elif m[1] == 1:
            print("error %d,%d" % struct.unpack('!HH', m[8:12]), flush=True)
print("reasons:", " ".join(str(r) for r in reasons), flush=True)
