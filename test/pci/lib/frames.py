#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Host side of the 'frames' PCI case.

QEMU's `-netdev socket,udp=...` carries each Ethernet frame of the guest NIC
as one UDP datagram on 127.0.0.1. The guest runs dpdk-testpmd io forwarding
on that single port (--port-topology=loop), so every frame sent here must
come back unchanged. This sends COUNT numbered frames of varied sizes
(60..1514 bytes; a sequence number, the length and a CRC32 in the payload)
and checks that each one returns intact: count, bytes, content.

Before the numbered frames it sends probes until one comes back, so that
nothing is sent before the guest forwards. At most WINDOW frames are in
flight, so neither QEMU's queue nor the socket buffers overflow. Every wait
is bounded (--timeout overall).

Exit 0 when all came back intact, 1 otherwise; the verdict on stdout.
"""
import argparse
import random
import socket
import struct
import sys
import time
import zlib

ETHERTYPE = 0x88B5  # IEEE 802 local experimental
MAGIC = b"VPMD"
PROBE = 0xFFFFFFFF
DST = bytes.fromhex("525400565001")  # the guest NIC's MAC (case frames.sh)
SRC = bytes.fromhex("525400565002")
HEADER = struct.Struct("!6s6sH4sIHI")  # dst src type magic seq len crc


def frame(seq, size, rng):
    body_len = size - HEADER.size
    body = bytes(rng.getrandbits(8) for _ in range(body_len))
    crc = zlib.crc32(body)
    return HEADER.pack(DST, SRC, ETHERTYPE, MAGIC, seq, size, crc) + body


def parse(data):
    """(seq, intact) of one of our frames, or None for anything else."""
    if len(data) < HEADER.size:
        return None
    _, _, etype, magic, seq, size, crc = HEADER.unpack_from(data)
    if etype != ETHERTYPE or magic != MAGIC:
        return None
    return seq, size == len(data) and zlib.crc32(data[HEADER.size:]) == crc


def addr(text):
    host, port = text.rsplit(":", 1)
    if host != "127.0.0.1":
        raise argparse.ArgumentTypeError("only 127.0.0.1 is used")
    return host, int(port)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", type=addr, required=True, help="127.0.0.1:PORT QEMU sends to")
    ap.add_argument("--to", type=addr, required=True, help="127.0.0.1:PORT QEMU listens on")
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--window", type=int, default=32)
    ap.add_argument("--timeout", type=float, default=150.0, help="overall bound, seconds")
    ap.add_argument("--stall", type=float, default=10.0,
                    help="fail when nothing comes back for this long once forwarding")
    args = ap.parse_args()

    rng = random.Random(1234)
    sizes = [60 + (i * 7919) % (1514 - 60 + 1) for i in range(args.count)]
    sizes[:2] = [60, 1514]
    frames = [frame(i, s, rng) for i, s in enumerate(sizes)]
    deadline = time.monotonic() + args.timeout

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(args.listen)

    def say(msg):
        print(f"frames: {msg}", flush=True)

    # Probes until the guest forwards.
    probe = frame(PROBE, 60, rng)
    start = time.monotonic()
    forwarding = False
    while not forwarding and time.monotonic() < deadline:
        s.sendto(probe, args.to)
        s.settimeout(0.5)
        try:
            while True:
                p = parse(s.recv(65536))
                if p and p[0] == PROBE:
                    forwarding = True
                    break
        except socket.timeout:
            pass
    if not forwarding:
        say(f"FAIL: no probe came back in {args.timeout:.0f} s")
        return 1
    say(f"guest forwards after {time.monotonic() - start:.1f} s")

    sent = 0
    got = {}
    bad = []
    dups = 0
    rx_bytes = 0
    last_rx = time.monotonic()
    t0 = time.monotonic()
    while len(got) < args.count:
        now = time.monotonic()
        if now > deadline or now - last_rx > args.stall:
            break
        while sent < args.count and sent - len(got) < args.window:
            s.sendto(frames[sent], args.to)
            sent += 1
        s.settimeout(0.2)
        try:
            data = s.recv(65536)
        except socket.timeout:
            continue
        p = parse(data)
        if p is None or p[0] == PROBE:
            continue
        last_rx = time.monotonic()
        seq, intact = p
        if seq >= args.count or not intact or data != frames[seq]:
            bad.append(seq)
            continue
        if seq in got:
            dups += 1
            continue
        got[seq] = True
        rx_bytes += len(data)
    elapsed = time.monotonic() - t0
    want_bytes = sum(sizes)
    say(f"sent {sent}/{args.count} frames ({want_bytes} bytes), back intact {len(got)} "
        f"({rx_bytes} bytes), corrupt {len(bad)}, duplicates {dups}, in {elapsed:.1f} s")
    if len(got) != args.count or rx_bytes != want_bytes or bad:
        missing = [i for i in range(args.count) if i not in got][:10]
        say(f"FAIL: missing (first 10) {missing}, corrupt (first 10) {bad[:10]}")
        return 1
    say("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
