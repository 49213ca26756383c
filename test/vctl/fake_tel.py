#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A fake DPDK telemetry server, to drive vctl down its error paths.

usage: fake_tel.py SOCKET MODE

Listens on SOCKET (AF_UNIX, SOCK_SEQPACKET, as DPDK 22.11's telemetry)
until killed, answering each client in its own thread. MODE:
  vpmd       a well-behaved application with one vpmd port (port 0)
  plain      a well-behaved application without vpmd (every /vpmd/ command: null)
  garbage    greets, then answers every request with bytes that are not JSON
  truncated  greets, then answers with a reply cut short (as a 16 KiB overflow would)
  wrongkey   greets, then answers {"/other": 1} whatever the request
  silent     greets, then never answers
  nogreet    accepts and says nothing
  badgreet   greets with bytes that are not JSON
  shortgreet greets with a greeting cut short
  midclose   greets, then sends half a reply and closes
  shape      greets, then answers JSON with the right key but the wrong shape
  hangup     greets, then closes the connection at the first request
  dead       binds SOCKET and exits: a stale socket with no application behind it
"""
import json
import os
import socket
import sys
import threading

VPMD_COMMANDS = ["/", "/help", "/info", "/vpmd/features", "/vpmd/list", "/vpmd/queue",
                 "/vpmd/stats", "/vpmd/status", "/vpmd/xstats"]
LIST = {"count": 1, "ports": {"0": {
    "name": "net_vpmd0", "started": 1, "running": 1, "link": "up", "layout": "split",
    "mode": "client", "path": "/tmp/fake.sock", "queues": 1}}}


def answer(mode, request):
    cmd = request.split(",", 1)[0]
    if mode == "garbage":
        return b"\x00\xffthis is not json"
    if mode == "truncated":
        return json.dumps({cmd: LIST}).encode()[:37]
    if mode == "wrongkey":
        return b'{"/other":1}'
    if mode == "shape" and cmd != "/":
        # JSON and the right key, but nothing where vctl looks.
        value = {"count": "one", "ports": [1, {"name": 7}], "port": None, "queues": "x"}
        return json.dumps({cmd: value}).encode()
    if cmd == "/":
        value = VPMD_COMMANDS if mode == "vpmd" else ["/", "/help", "/info"]
    elif mode == "vpmd" and request == "/vpmd/list":
        value = LIST
    else:
        value = None
    return json.dumps({cmd: value}).encode()


def serve(conn, mode):
    with conn:
        if mode == "nogreet":
            conn.recv(1024)
            return
        greeting = {"version": "DPDK 22.11.11", "pid": os.getpid(), "max_output_len": 16384}
        if mode == "badgreet":
            conn.send(b"\x01\x02 not a greeting")
        elif mode == "shortgreet":
            # The greeting cut short, as a server that dies while greeting leaves it.
            conn.send(json.dumps(greeting).encode()[:25])
        else:
            conn.send(json.dumps(greeting).encode())
        while True:
            request = conn.recv(1024)
            if not request or mode == "hangup":
                return
            if mode == "silent":
                continue
            if mode == "midclose" and request.split(b",", 1)[0] != b"/":
                # Half the reply, then the connection goes.
                conn.send(answer("vpmd", request.decode(errors="replace"))[:20])
                return
            conn.send(answer(mode, request.decode(errors="replace")))


def main():
    path, mode = sys.argv[1], sys.argv[2]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sock.bind(path)
    if mode == "dead":
        sock.close()
        return 0
    sock.listen(16)
    print("ready", flush=True)
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=serve, args=(conn, mode), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
