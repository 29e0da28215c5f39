#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A misbehaving ovsdb-server, to check that the OVSDB client survives what it should not get.

Usage: fake_server.py MODE LISTEN LOG
  LISTEN  unix:PATH or tcp:IP:PORT
  LOG     file that receives one JSON line per event (connection, request received)
Modes:
  garbage     send bytes that are not JSON, then wait
  badjson     send a JSON-looking message that does not parse
  badschema   answer get_schema with a number
  badsnap     answer monitor_cond with a snapshot whose rows are not objects
  nolock      answer lock with {"locked": false}
  silent      read requests, never answer (the client's TCP inactivity probe must fire)
  v1          refuse monitor_cond, serve RFC 7047 monitor, send an update, odd messages,
              an echo request, and record the client's transactions
Every mode serves connections one after another until killed.
"""

import json
import os
import socket
import sys
import time

SCHEMA = os.environ.get("VSWITCH_SCHEMA", "/usr/share/openvswitch/vswitch.ovsschema")


def log(path, **event):
    with open(path, "a") as f:
        f.write(json.dumps(event) + "\n")


def listen(spec):
    if spec.startswith("unix:"):
        path = spec[5:]
        if os.path.exists(path):
            os.unlink(path)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
    else:
        host, port = spec[4:].rsplit(":", 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, int(port)))
    s.listen(4)
    return s


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.dec = json.JSONDecoder()

    def send(self, obj):
        self.sock.sendall(json.dumps(obj).encode())

    def recv(self, timeout=30.0):
        """Next message from the client, or None on EOF/timeout."""
        self.sock.settimeout(timeout)
        while True:
            text = self.buf.decode(errors="replace").lstrip()
            if text:
                try:
                    obj, end = self.dec.raw_decode(text)
                    self.buf = text[end:].encode()
                    return obj
                except ValueError:
                    pass
            try:
                data = self.sock.recv(65536)
            except (socket.timeout, OSError):
                return None
            if not data:
                return None
            self.buf += data


def reply(conn, req, result=None, error=None):
    conn.send({"id": req["id"], "result": result, "error": error})


def v1_snapshot():
    return {
        "Open_vSwitch": {"o1": {"new": {
            "next_cfg": 4,
            "bridges": ["uuid", "b1"],
            "other_config": ["map", [["dpdk-init", "true"]]]}}},
        "Bridge": {"b1": {"new": {"name": "br9", "datapath_type": "netdev",
                                  "ports": ["set", [["uuid", "p1"]]]}}},
        "Port": {"p1": {"new": {"name": "vhu9", "interfaces": ["uuid", "i1"]}}},
        "Interface": {"i1": {"new": {"name": "vhu9", "type": "dpdkvhostuser",
                                     "options": ["map", []], "ofport_request": ["set", []],
                                     "mtu_request": ["set", []]}}},
    }


def serve(mode, conn, logpath):
    schema = json.load(open(SCHEMA))
    if mode == "garbage":
        conn.sock.sendall(b"this is not JSON-RPC\n")
    elif mode == "badjson":
        conn.sock.sendall(b'{"id": 1, "result": [1, 2,, ]}')
    while True:
        req = conn.recv()
        if req is None:
            return
        log(logpath, event="request", method=req.get("method"), id=req.get("id"),
            params=req.get("params") if req.get("method") == "transact" else None)
        method = req.get("method")
        if mode == "silent":
            continue
        if method == "get_schema":
            reply(conn, req, 42 if mode == "badschema" else schema)
        elif method == "lock":
            reply(conn, req, {"locked": mode != "nolock"})
        elif method == "monitor_cond":
            if mode == "badsnap":
                reply(conn, req, {"Interface": {"i1": [1, 2, 3]}})
            elif mode == "v1":
                reply(conn, req, error={"error": "unknown method"})
            else:
                reply(conn, req, {})
        elif method == "monitor":
            reply(conn, req, v1_snapshot())
            # Unexpected traffic the client must shrug off.
            conn.send({"id": 12345, "result": {}, "error": None})
            conn.send({"method": "no_such_notification", "params": [], "id": None})
            conn.send({"method": "no_such_request", "params": [], "id": "q1"})
            conn.send({"method": "update", "params": ["other-monitor", {}], "id": None})
            conn.send({"method": 7, "params": [], "id": None})
            conn.send({"method": "echo", "params": ["ping"], "id": "e1"})
            time.sleep(0.3)
            conn.send({"method": "update", "params": ["vireo", {"Interface": {"i1": {
                "old": {"options": ["map", []]},
                "new": {"name": "vhu9", "type": "dpdkvhostuser",
                        "options": ["map", [["n_rxq", "2"]]],
                        "ofport_request": ["set", []], "mtu_request": ["set", []]}}}}],
                "id": None})
        elif method == "transact":
            reply(conn, req, [{} for _ in req.get("params", [])[1:]])
        elif method == "echo":
            reply(conn, req, req.get("params"))
        elif method is None:
            log(logpath, event="reply", id=req.get("id"), result=req.get("result"),
                error=req.get("error"))


def main():
    mode, spec, logpath = sys.argv[1:4]
    srv = listen(spec)
    log(logpath, event="listening")
    while True:
        sock, _ = srv.accept()
        log(logpath, event="connection")
        try:
            serve(mode, Conn(sock), logpath)
        except OSError:
            pass
        sock.close()


if __name__ == "__main__":
    main()
