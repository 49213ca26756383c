#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Host side of the 'rss' PCI case.

QEMU creates a multi-queue tap (NAME) in the host's namespace; this moves it
into a network namespace of its own (NETNS, created here, deleted at the end
even on failure or SIGTERM), brings it up there with IPv6 off and no
addresses, and injects Ethernet frames into it through an AF_PACKET socket:
QEMU reads them and its software RSS steers each to a receive queue of the
guest NIC. Nothing has an address or a route; nothing leaves the namespace.

The guest (cases/rss.sh) says on the serial console when it is ready for a
batch ("RSS-READY B ...", with the key the port reports), counts what came
in, and at the end prints one "RSS-OBS SRC QUEUE HASH RSSQUEUE COUNT" line per
distinct observation from testpmd's verbose rxonly output and "RSS-DONE".
Each flow is told by its source MAC 02:00:00:BB:FF:FF (BB the batch, FFFF the
flow). This predicts, for every flow, the Toeplitz hash (the key the guest
reported; for net_vpmd it must be the default key) over the tuple the
device hashes with testpmd's 'rss all' (IPv4/IPv6 TCP and UDP: addresses and
ports; other IPv4: addresses), and the queue from the RETA of that batch:
round robin over 2 queues, then its complement (the guest sets it between the
batches), and checks every packet: queue, hash, count.

Exit 0 when every flow matched, 1 otherwise, 77 never (the case skips first).
"""
import argparse
import random
import re
import socket
import struct
import sys
import time

from hostside import Console, TapNetns

DEFAULT_KEY = bytes.fromhex(
    "6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c"
    "6a42b73bbeac01fa")
RETA_LEN = 128
QUEUES = 2


def say(msg):
    print(f"rss.py: {msg}", flush=True)


def toeplitz(key, data):
    """The Toeplitz hash of @data with @key (Microsoft's RSS definition)."""
    k = int.from_bytes(key, "big")
    klen = len(key) * 8
    h = 0
    for i, byte in enumerate(data):
        for b in range(8):
            if byte & (0x80 >> b):
                h ^= (k >> (klen - 32 - (i * 8 + b))) & 0xFFFFFFFF
    return h


def selftest():
    """Microsoft's verification vectors (IPv4, IPv4 with TCP ports)."""
    src, dst = socket.inet_aton("66.9.149.187"), socket.inet_aton("161.142.100.80")
    assert toeplitz(DEFAULT_KEY, src + dst) == 0x323E8FC2
    assert toeplitz(DEFAULT_KEY, src + dst + struct.pack("!HH", 2794, 1766)) == 0x51CCC178
    src6 = socket.inet_pton(socket.AF_INET6, "3ffe:2501:200:1fff::7")
    dst6 = socket.inet_pton(socket.AF_INET6, "3ffe:2501:200:3::1")
    assert toeplitz(DEFAULT_KEY, src6 + dst6 + struct.pack("!HH", 2794, 1766)) == 0x40207D3D


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Flow:
    """One flow: its frame and the bytes the device hashes."""

    def __init__(self, idx, kind, rng):
        self.idx, self.kind = idx, kind
        self.sport, self.dport = rng.randrange(1024, 65536), rng.randrange(1, 65536)
        if kind.endswith("6"):
            self.src = bytes([0x20, 0x01, 0x0d, 0xb8]) + rng.randbytes(12)
            self.dst = bytes([0x20, 0x01, 0x0d, 0xb8]) + rng.randbytes(12)
        else:
            self.src = bytes([10, rng.randrange(256), rng.randrange(256), rng.randrange(1, 255)])
            self.dst = bytes([172, 16 + rng.randrange(16), rng.randrange(256), rng.randrange(1, 255)])

    def hash_input(self):
        if self.kind == "ip4":
            return self.src + self.dst  # IPv4 "other": addresses only
        return self.src + self.dst + struct.pack("!HH", self.sport, self.dport)

    def describe(self):
        fam = socket.AF_INET6 if self.kind.endswith("6") else socket.AF_INET
        a, b = socket.inet_ntop(fam, self.src), socket.inet_ntop(fam, self.dst)
        if self.kind == "ip4":
            return f"{self.kind} {a} > {b}"
        return f"{self.kind} {a}:{self.sport} > {b}:{self.dport}"

    def mac(self, batch):
        return bytes([0x02, 0, 0, batch, self.idx >> 8, self.idx & 0xFF])

    def frame(self, batch, dst_mac):
        payload = b"vpmd-rss" + struct.pack("!BH", batch, self.idx)
        if self.kind in ("tcp4", "tcp6"):
            l4 = struct.pack("!HHIIBBHHH", self.sport, self.dport, 1, 0, 5 << 4, 0x02,
                             65535, 0, 0) + payload
            proto = 6
        elif self.kind in ("udp4", "udp6"):
            l4 = struct.pack("!HHHH", self.sport, self.dport, 8 + len(payload), 0) + payload
            proto = 17
        else:
            l4, proto = payload, 253  # RFC 3692 experimentation
        if self.kind.endswith("6"):
            pseudo = self.src + self.dst + struct.pack("!IxxxB", len(l4), proto)
            l3 = struct.pack("!IHBB", 6 << 28, len(l4), proto, 64) + self.src + self.dst
            etype = 0x86DD
        else:
            pseudo = self.src + self.dst + struct.pack("!xBH", proto, len(l4))
            hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), self.idx, 0, 64, proto, 0,
                              self.src, self.dst)
            l3 = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
            etype = 0x0800
        if proto == 6:
            l4 = l4[:16] + struct.pack("!H", csum(pseudo + l4)) + l4[18:]
        elif proto == 17:
            c = csum(pseudo + l4) or 0xFFFF
            l4 = l4[:6] + struct.pack("!H", c) + l4[8:]
        f = dst_mac + self.mac(batch) + struct.pack("!H", etype) + l3 + l4
        return f + b"\0" * max(0, 60 - len(f))


def flows_of(n):
    rng = random.Random(20240611)
    kinds = ["tcp4", "udp4", "tcp4", "udp4", "ip4", "tcp6", "udp6"]
    return [Flow(i, kinds[i % len(kinds)], rng) for i in range(n)]


def reta_of(batch):
    """Batch 1: the driver's default, round robin; batch 2: its complement, set by the guest."""
    return [(i + (batch - 1)) % QUEUES for i in range(RETA_LEN)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--netns", required=True)
    ap.add_argument("--tap", required=True)
    ap.add_argument("--serial", required=True, help="the guest's serial log")
    ap.add_argument("--mac", required=True, help="the guest NIC's MAC")
    ap.add_argument("--flows", type=int, default=64)
    ap.add_argument("--per-flow", type=int, default=3)
    ap.add_argument("--driver", default="net_vpmd")
    ap.add_argument("--timeout", type=float, default=170.0)
    args = ap.parse_args()

    selftest()
    deadline = time.monotonic() + args.timeout
    return TapNetns(args.netns, args.tap, say).run(lambda tn: session(args, tn, deadline))


def session(args, tn, deadline):
    sock = tn.socket(deadline)

    dst_mac = bytes.fromhex(args.mac.replace(":", ""))
    flows = flows_of(args.flows)
    console = Console(args.serial)
    key = None
    for batch in (1, 2):
        m = console.wait(rf"RSS-READY {batch}(?: key=([0-9A-Fa-f]+))?", deadline)
        if m is None:
            raise RuntimeError(f"the guest never said RSS-READY {batch}")
        if batch == 1:
            key = bytes.fromhex(m.group(1)) if m.group(1) else b""
            if args.driver == "net_vpmd" and key != DEFAULT_KEY:
                raise RuntimeError(f"the port's key is {key.hex()}, not the default")
            if len(key) != 40:
                raise RuntimeError(f"the guest reported a key of {len(key)} bytes")
        t0 = time.monotonic()
        for rep in range(args.per_flow):
            for f in flows:
                sock.send(f.frame(batch, dst_mac))
                time.sleep(0.0005)
        say(f"batch {batch}: sent {args.per_flow} x {len(flows)} flows in "
            f"{time.monotonic() - t0:.2f} s")
    if console.wait(r"RSS-DONE", deadline) is None:
        raise RuntimeError("the guest never said RSS-DONE")
    sock.close()
    rc = verify(args, flows, key, console.lines)
    tn.wait_tap_gone()
    return rc


def verify(args, flows, key, lines):
    # RSS-OBS SRC QUEUE HASH RSSQUEUE COUNT (HASH and RSSQUEUE "-" when the mbuf had none)
    obs = {}
    for line in lines:
        m = re.search(r"RSS-OBS (\S+) (\d+) (\S+) (\S+) (\d+)", line)
        if m:
            src = bytes.fromhex(m.group(1).replace(":", ""))
            obs.setdefault(src, []).append((int(m.group(2)), m.group(3), m.group(4),
                                            int(m.group(5))))
    bad, hashed, per_queue = [], 0, {}
    for batch in (1, 2):
        reta = reta_of(batch)
        for f in flows:
            h = toeplitz(key, f.hash_input())
            q = reta[h & (RETA_LEN - 1)]
            per_queue[(batch, q)] = per_queue.get((batch, q), 0) + args.per_flow
            got = obs.pop(f.mac(batch), [])
            what = f"batch {batch} flow {f.idx} ({f.describe()}): hash {h:#010x} queue {q}"
            n = sum(o[3] for o in got)
            if n != args.per_flow:
                bad.append(f"{what}: {n} packets seen, sent {args.per_flow}: {got}")
                continue
            for gq, gh, grq, cnt in got:
                if gq != q:
                    bad.append(f"{what}: {cnt} on queue {gq}")
                if gh == "-":
                    if args.driver == "net_vpmd":
                        bad.append(f"{what}: {cnt} without RTE_MBUF_F_RX_RSS_HASH")
                    continue
                hashed += cnt
                if int(gh, 16) != h:
                    bad.append(f"{what}: {cnt} with hash {gh}")
                if int(grq, 16) != gq:
                    bad.append(f"{what}: RSS queue {grq} on queue {gq}")
    for src, got in obs.items():
        bad.append(f"unexpected frames from {src.hex(':')}: {got}")
    for batch in (1, 2):
        say(f"batch {batch}: predicted queue 0 {per_queue.get((batch, 0), 0)}, "
            f"queue 1 {per_queue.get((batch, 1), 0)} packets")
        if not per_queue.get((batch, 0)) or not per_queue.get((batch, 1)):
            bad.append(f"batch {batch}: the flows do not cover both queues")
    total = 2 * len(flows) * args.per_flow
    say(f"{total} packets of {2 * len(flows)} flows checked, {hashed} carried the hash, "
        f"key {key.hex()}")
    for b in bad[:40]:
        say(f"mismatch: {b}")
    if bad:
        say(f"FAIL: {len(bad)} mismatches")
        return 1
    say("PASS: every packet on the queue RETA[toeplitz & 127] says"
        + (", with that hash" if hashed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
