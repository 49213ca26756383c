#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Host side of the 'ctrl' PCI case.

The guest NIC's backend is a `-netdev socket,udp=` endpoint on 127.0.0.1:
each Ethernet frame is one UDP datagram. The guest runs dpdk-testpmd io
forwarding on its one port (--port-topology=loop), so every frame that QEMU's
virtio-net device lets through comes back here; a frame the device filters
never reaches the driver and never comes back.

The guest drives the steps by marker lines on its serial console, which this
reads as the file grows:

  VPMD-CTRL-SEND: STEP NAME COUNT KIND=pass|drop ...
      send COUNT frames of each KIND, then one sentinel (to the port's own
      MAC, untagged: it always passes); once the sentinel is back every frame
      before it was delivered or dropped (one UDP socket, one queue: QEMU
      keeps the order), so each KIND must have come back COUNT times (pass)
      or never (drop).
  VPMD-CTRL-LINK: STEP off|on
      QMP set_link on the NIC's netdev.
  VPMD-CTRL-DONE / VPMD-GUEST-RESULT
      the end.

QEMU's own view of the filter (QMP query-rx-filter) is logged at each step,
for the log of a failure; it is not what is checked.

Exit 0 when every step matched, 1 otherwise; a line per step on stdout.
"""
import argparse
import json
import re
import socket
import struct
import sys
import time

from hostside import Console

ETHERTYPE = 0x88B5  # IEEE 802 local experimental
MAGIC = b"VPCT"
OWN = bytes.fromhex("525400565001")  # the guest NIC's MAC (cases/ctrl.sh)
SRC = bytes.fromhex("020000000001")
SENTINEL = 255

# kind: (destination, VLAN id or None)
KINDS = {
    "own": (OWN, None),
    "foreign": (bytes.fromhex("020000000099"), None),
    "bcast": (b"\xff" * 6, None),
    "mcA": (bytes.fromhex("01005e010203"), None),
    "mcB": (bytes.fromhex("01005e040506"), None),
    "extra": (bytes.fromhex("021122334455"), None),
    "vlan100": (OWN, 100),
    "vlan200": (OWN, 200),
}
KIND_IDS = {k: i for i, k in enumerate(KINDS)}
PAYLOAD = struct.Struct("!4sHBH")  # magic step kind seq


def frame(step, kind_id, seq, dst, vid):
    hdr = dst + SRC
    if vid is not None:
        hdr += struct.pack("!HH", 0x8100, vid)
    data = hdr + struct.pack("!H", ETHERTYPE) + PAYLOAD.pack(MAGIC, step, kind_id, seq)
    return data + bytes(max(0, 60 - len(data)))


def parse(data):
    """(step, kind_id) of one of our frames, or None."""
    off = 12
    if data[off:off + 2] == b"\x81\x00":
        off += 4
    if len(data) < off + 2 + PAYLOAD.size or data[off:off + 2] != struct.pack("!H", ETHERTYPE):
        return None
    magic, step, kind, _ = PAYLOAD.unpack_from(data, off + 2)
    return (step, kind) if magic == MAGIC else None


def addr(text):
    host, port = text.rsplit(":", 1)
    if host != "127.0.0.1":
        raise argparse.ArgumentTypeError("only 127.0.0.1 is used")
    return host, int(port)


START = time.monotonic()


def say(msg):
    print(f"ctrl: [{time.monotonic() - START:6.2f}] {msg}", flush=True)


class Qmp:
    """A QMP client on QEMU's unix socket; events are skipped."""

    def __init__(self, path, deadline):
        self.s = None
        while time.monotonic() < deadline:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                self.s = s
                break
            except OSError:
                s.close()
                time.sleep(0.2)
        if self.s is None:
            raise RuntimeError(f"no QMP socket at {path}")
        self.s.settimeout(10)
        self.f = self.s.makefile("rwb")
        json.loads(self.f.readline())  # greeting
        self.cmd("qmp_capabilities")

    def cmd(self, execute, **args):
        msg = {"execute": execute}
        if args:
            msg["arguments"] = args
        self.f.write(json.dumps(msg).encode() + b"\n")
        self.f.flush()
        while True:
            line = self.f.readline()
            if not line:
                raise RuntimeError("QMP socket closed")
            r = json.loads(line)
            if "return" in r:
                return r["return"]
            if "error" in r:
                raise RuntimeError(f"QMP {execute}: {r['error']}")


def run_step(s, to, step, name, count, spec):
    for k in spec:
        if k not in KINDS:
            say(f"step {step} {name}: FAIL unknown kind {k}")
            return False
    # Leftovers of an earlier step are not counted (they carry its number).
    s.settimeout(0)
    try:
        while True:
            s.recv(65536)
    except (BlockingIOError, socket.timeout):
        pass
    t0 = time.monotonic()
    for seq in range(count):
        for k in spec:
            dst, vid = KINDS[k]
            s.sendto(frame(step, KIND_IDS[k], seq, dst, vid), to)
    s.sendto(frame(step, SENTINEL, 0, OWN, None), to)
    got = {k: 0 for k in spec}
    sentinel_at = None
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        # Once the sentinel is back, a short drain for frames still in flight behind it.
        if sentinel_at is not None and time.monotonic() > sentinel_at + 0.3:
            break
        s.settimeout(0.1)
        try:
            data = s.recv(65536)
        except socket.timeout:
            continue
        p = parse(data)
        if p is None or p[0] != step:
            continue
        if p[1] == SENTINEL:
            sentinel_at = time.monotonic()
            continue
        for k in spec:
            if KIND_IDS[k] == p[1]:
                got[k] += 1
    ok = sentinel_at is not None
    back = f"sentinel back in {sentinel_at - t0:.2f} s" if ok else "the sentinel never came back"
    parts = []
    for k, want in spec.items():
        exp = count if want == "pass" else 0
        good = got[k] == exp
        ok = ok and good
        parts.append(f"{k} {want} {got[k]}/{count}{'' if good else ' WRONG'}")
    say(f"step {step} {name}: {'ok' if ok else 'FAIL'}: " + ", ".join(parts) + f"; {back}")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", type=addr, required=True, help="127.0.0.1:PORT QEMU sends to")
    ap.add_argument("--to", type=addr, required=True, help="127.0.0.1:PORT QEMU listens on")
    ap.add_argument("--serial", required=True, help="the guest's serial log")
    ap.add_argument("--qmp", required=True, help="QEMU's QMP unix socket")
    ap.add_argument("--netdev", default="n0")
    ap.add_argument("--nic", default="nic0")
    ap.add_argument("--timeout", type=float, default=150.0)
    args = ap.parse_args()
    deadline = time.monotonic() + args.timeout

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(args.listen)
    qmp = Qmp(args.qmp, deadline)
    serial = Console(args.serial)
    failed = []
    steps = 0
    send_re = re.compile(r"VPMD-CTRL-SEND: (\d+) (\S+) (\d+) (.*)$")
    link_re = re.compile(r"VPMD-CTRL-LINK: (\d+) (off|on)")
    while time.monotonic() < deadline:
        lines = serial.new_lines()
        if not lines:
            time.sleep(0.05)
            continue
        for line in lines:
            m = send_re.search(line)
            if m:
                step, name, count = int(m[1]), m[2], int(m[3])
                spec = dict(x.split("=", 1) for x in m[4].split())
                try:
                    f = qmp.cmd("query-rx-filter", name=args.nic)[0]
                    say(f"step {step}: QEMU's filter: promiscuous {f['promiscuous']}, "
                        f"multicast {f['multicast']} {f['multicast-table']}, "
                        f"unicast {f['unicast']} {f['unicast-table']}, "
                        f"vlan {f['vlan']} {f['vlan-table']}")
                except (RuntimeError, KeyError, IndexError) as e:
                    say(f"step {step}: query-rx-filter: {e}")
                steps += 1
                if not run_step(s, args.to, step, name, count, spec):
                    failed.append(name)
                continue
            m = link_re.search(line)
            if m:
                qmp.cmd("set_link", name=args.netdev, up=m[2] == "on")
                say(f"link step {m[1]}: set_link {args.netdev} {m[2]}")
                continue
            if "VPMD-CTRL-DONE" in line or "VPMD-GUEST-RESULT" in line:
                if "VPMD-GUEST-RESULT" in line:
                    say(f"the guest ended before VPMD-CTRL-DONE: {line.strip()}")
                    failed.append("guest ended early")
                if failed:
                    say(f"FAIL: {', '.join(failed)}")
                    return 1
                say(f"PASS: {steps} steps")
                return 0
    say(f"FAIL: timed out ({args.timeout:.0f} s) after {steps} steps")
    return 1


if __name__ == "__main__":
    sys.exit(main())
