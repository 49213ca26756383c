#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Host side of the 'offload' PCI case.

QEMU creates a tap (NAME, vnet header on, vhost off) in the host's
namespace; this moves it into a network namespace of its own (NETNS,
created here, deleted at the end even on failure or SIGTERM), brings it up
with IPv6 off and no addresses, and talks to the guest NIC through an
AF_PACKET socket with PACKET_VNET_HDR: every frame carries a struct
virtio_net_hdr both ways, so the host both asks for offloads and sees what
the device was asked to do by the guest's driver.

The guest (cases/offload.sh) runs testpmd's csum engine on the one port,
TCP checksum and TSO (1400) in hardware, LRO on the receive side, and says
"OFFLOAD-READY" on the serial console. Then, each phase waited for:

 1. csum: small IPv4 and IPv6 TCP frames whose vnet header says NEEDS_CSUM
    (checksum field: the pseudo-header sum). Each must come back with
    NEEDS_CSUM, csum_start at the TCP header, csum_offset 16, and the
    checksum completed here equal to the right one; payload intact.
 2. tso6: one IPv6 TCP frame of TSO_PAYLOAD bytes, GSO_TCPV6, gso_size 1400.
    It must come back as one GSO_TCPV6 frame, gso_size 1400, NEEDS_CSUM,
    checksum right, payload intact (LRO in, TSO out: no segmentation).
 3. tso4: the same over IPv4 (GSO_TCPV4); testpmd's csum engine also sets
    RTE_MBUF_F_TX_IP_CKSUM there, as DPDK's TSO contract says.
 4. a marker frame (ethertype 0x88b5) that tells the guest the host is done.

Exit 0 when every judged phase passed, 1 otherwise.
"""
import argparse
import select
import struct
import sys
import time

from hostside import Console, TapNetns

PACKET_OUTGOING = 4
NEEDS_CSUM = 1
GSO_NONE, GSO_TCPV4, GSO_TCPV6 = 0, 1, 4
MSS = 1400
TSO_PAYLOAD = 6000
SRC_MAC = bytes.fromhex("020000ee0001")
MARK_TYPE = 0x88B5
SMALL = 8  # frames of each family in phase 1


def say(msg):
    print(f"offload.py: {msg}", flush=True)


def fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def sum16(data):
    if len(data) % 2:
        data += b"\0"
    return fold(sum(struct.unpack(f"!{len(data) // 2}H", data)))


def csum(data):
    return ~sum16(data) & 0xFFFF


class Tcp:
    """One TCP segment over IPv4 or IPv6, told by its source port."""

    def __init__(self, v6, sport, payload):
        self.v6, self.sport, self.payload = v6, sport, payload
        if v6:
            self.src = bytes.fromhex("20010db8000000000000000000000001")
            self.dst = bytes.fromhex("20010db8000000000000000000000002")
        else:
            self.src, self.dst = bytes([10, 9, 8, 1]), bytes([10, 9, 8, 2])
        self.l3_len = 40 if v6 else 20
        self.l4_off = 14 + self.l3_len

    def pseudo(self, l4_len):
        if self.v6:
            return self.src + self.dst + struct.pack("!IxxxB", l4_len, 6)
        return self.src + self.dst + struct.pack("!xBH", 6, l4_len)

    def frame(self, dst_mac, partial):
        """The frame; with @partial, the TCP checksum holds the pseudo-header sum."""
        l4 = struct.pack("!HHIIBBHHH", self.sport, 5001, 1000, 0, 5 << 4, 0x18, 65535, 0, 0)
        l4 += self.payload
        if partial:
            c = sum16(self.pseudo(len(l4)))
        else:
            c = csum(self.pseudo(len(l4)) + l4)
        l4 = l4[:16] + struct.pack("!H", c) + l4[18:]
        if self.v6:
            l3 = struct.pack("!IHBB", 6 << 28, len(l4), 6, 64) + self.src + self.dst
            etype = 0x86DD
        else:
            hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), self.sport, 0x4000, 64, 6,
                              0, self.src, self.dst)
            l3 = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
            etype = 0x0800
        return dst_mac + SRC_MAC + struct.pack("!H", etype) + l3 + l4

    def vnet(self, gso):
        hdr_len = self.l4_off + 20
        if gso:
            return struct.pack("<BBHHHH", NEEDS_CSUM, GSO_TCPV6 if self.v6 else GSO_TCPV4,
                               hdr_len, MSS, self.l4_off, 16)
        return struct.pack("<BBHHHH", NEEDS_CSUM, GSO_NONE, 0, 0, self.l4_off, 16)


def pattern(seed, n):
    return bytes((seed * 7 + i * 13 + (i >> 8)) & 0xFF for i in range(n))


def check_back(t, vh, frame, want_gso):
    """Problems of a frame that came back (vnet header @vh) for segment @t."""
    bad = []
    flags, gso_type, _hdr_len, gso_size, cstart, coff = struct.unpack("<BBHHHH", vh)
    if not flags & NEEDS_CSUM:
        bad.append(f"vnet flags {flags:#x}: no NEEDS_CSUM (checksum done in software?)")
    if want_gso and (gso_type & 0x7F) != want_gso:
        bad.append(f"gso_type {gso_type} (want {want_gso}): not segmented by the device")
    if not want_gso and gso_type != GSO_NONE:
        bad.append(f"gso_type {gso_type} on a small frame")
    if want_gso and gso_size != MSS:
        bad.append(f"gso_size {gso_size}, want {MSS}")
    etype = struct.unpack("!H", frame[12:14])[0]
    if etype != (0x86DD if t.v6 else 0x0800):
        return bad + [f"ethertype {etype:#x}"]
    l4 = bytearray(frame[t.l4_off:])
    if not t.v6:
        ip = frame[14:34]
        tot = struct.unpack("!H", ip[2:4])[0]
        l4 = l4[:tot - 20]
        if csum(ip) != 0:
            bad.append("bad IPv4 header checksum")
    else:
        plen = struct.unpack("!H", frame[18:20])[0]
        l4 = l4[:plen]
    if flags & NEEDS_CSUM:
        if cstart != t.l4_off or coff != 16:
            bad.append(f"csum_start {cstart} csum_offset {coff}, want {t.l4_off} 16")
        else:
            # Complete it as the device's peer would: the sum from csum_start on.
            partial = struct.unpack("!H", l4[16:18])[0]
            done = csum(bytes(l4))
            l4[16:18] = struct.pack("!H", done)
            right = csum(t.pseudo(len(l4)) + bytes(l4[:16]) + b"\0\0" + bytes(l4[18:]))
            if done != right:
                bad.append(f"checksum completed {done:#06x} (field held {partial:#06x}), "
                           f"right one {right:#06x}")
    if bytes(l4[20:]) != t.payload:
        bad.append(f"payload differs ({len(l4) - 20} bytes back, {len(t.payload)} sent)")
    return bad


class Port:
    def __init__(self, sock):
        self.sock = sock
        self.back = {}  # sport -> [(vnet header, frame)]

    def send(self, vh, frame):
        self.sock.send(vh + frame)

    def drain(self, until, want):
        """Reads what comes back until @want(self.back) or @until."""
        while True:
            if want(self.back):
                return True
            left = until - time.monotonic()
            if left <= 0:
                return False
            r, _, _ = select.select([self.sock], [], [], min(left, 0.2))
            if not r:
                continue
            data, addr = self.sock.recvfrom(65600)
            if addr[2] == PACKET_OUTGOING or len(data) < 10 + 14:
                continue
            vh, frame = data[:10], data[10:]
            etype = struct.unpack("!H", frame[12:14])[0]
            if etype == 0x0800 and frame[23] == 6:
                off = 14 + (frame[14] & 0xF) * 4
            elif etype == 0x86DD and frame[20] == 6:
                off = 54
            else:
                continue
            sport = struct.unpack("!H", frame[off:off + 2])[0]
            self.back.setdefault(sport, []).append((vh, frame))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--netns", required=True)
    ap.add_argument("--tap", required=True)
    ap.add_argument("--serial", required=True)
    ap.add_argument("--mac", required=True)
    ap.add_argument("--driver", default="net_vpmd")
    ap.add_argument("--timeout", type=float, default=170.0)
    args = ap.parse_args()
    deadline = time.monotonic() + args.timeout
    return TapNetns(args.netns, args.tap, say).run(lambda tn: session(args, tn, deadline))


def session(args, tn, deadline):
    sock = tn.socket(deadline, vnet_hdr=True)
    port = Port(sock)
    dst = bytes.fromhex(args.mac.replace(":", ""))

    console = Console(args.serial)
    if console.wait(r"OFFLOAD-READY", deadline) is None:
        raise RuntimeError("the guest never said OFFLOAD-READY")
    try:
        rc = phases(port, dst, deadline, args.driver)
    finally:
        # The marker: the guest stops waiting, whatever happened here.
        port.send(b"\0" * 10, dst + SRC_MAC + struct.pack("!H", MARK_TYPE) + b"OFFLOAD-DONE".ljust(46, b"\0"))
    sock.close()
    # Leave the tap to QEMU: wait (bounded) for it to close before the netns goes.
    console.wait(r"VPMD-GUEST-RESULT:", deadline)
    tn.wait_tap_gone()
    return rc


def phases(port, dst, deadline, driver):
    bad = []
    # 1: checksums. At most MSS bytes of payload each: more and testpmd asks for TSO.
    small = [Tcp(i >= SMALL, 20000 + i, pattern(i, 64 + 88 * i)) for i in range(2 * SMALL)]
    t0 = time.monotonic()
    for t in small:
        port.send(t.vnet(False), t.frame(dst, partial=True))
        time.sleep(0.002)
    ok = port.drain(min(deadline, time.monotonic() + 20),
                    lambda b: all(t.sport in b for t in small))
    for t in small:
        got = port.back.get(t.sport, [])
        fam = "IPv6" if t.v6 else "IPv4"
        if len(got) != 1:
            bad.append(f"csum {fam} sport {t.sport}: {len(got)} frames back, want 1")
            continue
        bad += [f"csum {fam} sport {t.sport}: {p}" for p in check_back(t, *got[0], GSO_NONE)]
    say(f"phase csum: {sum(1 for t in small if t.sport in port.back)}/{len(small)} frames back "
        f"in {time.monotonic() - t0:.2f} s{'' if ok else ' (timed out)'}")
    if not bad:
        say(f"phase csum: every frame back with NEEDS_CSUM, csum_start at TCP, offset 16, "
            f"checksum right, payload intact")

    # 2 and 3: TSO, v6 then v4.
    for v6, sport in ((True, 30006), (False, 30004)):
        t = Tcp(v6, sport, pattern(sport, TSO_PAYLOAD))
        name = "tso6" if v6 else "tso4"
        t0 = time.monotonic()
        port.send(t.vnet(True), t.frame(dst, partial=True))
        total = lambda b, s=sport: sum(len(f) - t.l4_off - 20 for _, f in b.get(s, []))  # noqa: E731
        ok = port.drain(min(deadline, time.monotonic() + (20 if v6 else 8)),
                        lambda b, tot=total: tot(b) >= TSO_PAYLOAD)
        got = port.back.get(sport, [])
        desc = ", ".join(f"{len(f)}B gso_type {vh[1]} gso_size {struct.unpack('<H', vh[4:6])[0]} "
                         f"flags {vh[0]:#x}" for vh, f in got)
        say(f"phase {name}: {len(got)} frames back in {time.monotonic() - t0:.2f} s: "
            f"{desc or 'none'}{'' if ok else ' (timed out)'}")
        probs = []
        if len(got) != 1:
            probs.append(f"{len(got)} frames back, want 1 GSO frame")
        else:
            probs = check_back(t, *got[0], GSO_TCPV6 if v6 else GSO_TCPV4)
        bad += [f"{name}: {p}" for p in probs]
        if not probs:
            say(f"phase {name}: one GSO_TCPV{6 if v6 else 4} frame, gso_size {MSS}, "
                f"{TSO_PAYLOAD} bytes intact, checksum right")
    for b in bad[:30]:
        say(f"mismatch: {b}")
    if bad:
        say(f"FAIL: {len(bad)} mismatches")
        return 1
    say("PASS: checksum offload (IPv4, IPv6) and TSO done by the device")
    return 0


if __name__ == "__main__":
    sys.exit(main())
