#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Send raw requests to a DPDK telemetry socket, bypassing vctl's checks.

usage: tel_raw.py RUNDIR/PREFIX REQUEST...

Prints one JSON line per request: {"request": R, "bytes": N, "reply": VALUE},
VALUE being the reply's value (null when the application said null).
"""
import glob
import json
import socket
import sys


def main():
    path = sorted(glob.glob(sys.argv[1] + "/dpdk_telemetry.v2*"))[0]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sock.settimeout(5)
    sock.connect(path)
    sock.recv(4096)  # greeting
    for request in sys.argv[2:]:
        sock.send(request.encode())
        raw = sock.recv(1 << 20)
        reply = json.loads(raw)
        (value,) = reply.values()
        print(json.dumps({"request": request, "bytes": len(raw), "reply": value}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
