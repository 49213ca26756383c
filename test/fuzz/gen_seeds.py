#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpora of test/fuzz/corpus/ (doc/fuzz.md says what each holds).

usage: gen_seeds.py [--capture DIR]...

The vq, vu and devargs seeds are built here from the wire formats. The
vctl_tel seeds are real telemetry replies: DIR is a capture of raw replies
from a live testpmd running net_vpmd (one file per request, "greeting"
first; see doc/fuzz.md), assembled into the sessions each vctl command has.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    d = os.path.join(HERE, "corpus", "fuzz_" + target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# --- fuzz_vq_split / fuzz_vq_packed: see fuzz_vq.c for the operations.
ADD, BULK, KICK, CB, DONE, DONE2, RAW, IDX, GET, GETB, RECLAIM, RESET = range(12)


def add(n_out, n_in, lens, indirect=False):
    return bytes([ADD, n_out | n_in << 2 | (0x10 if indirect else 0)] + lens)


def done(n):
    return bytes([DONE]) + struct.pack("<H", n)


def raw(slot, vid, flags, length):
    return bytes([RAW, slot]) + struct.pack("<HHI", vid, flags, length)


def vq_seeds():
    seeds = {
        # size 8: one rx chain, the device fills 100 bytes of it.
        "one_chain": bytes([0x02]) + add(1, 1, [4, 8]) + bytes([KICK]) + done(100) + bytes([GET, 0]),
        # in order: a burst, two completions, bulk and reclaim.
        "in_order_burst": bytes([0x0a, BULK, 0x0b, KICK]) + done(64) + done(64) + bytes([GETB, 7, RECLAIM, 7]),
        # indirect chain of four buffers.
        "indirect": bytes([0x12]) + add(2, 2, [1, 2, 3, 4], True) + bytes([KICK]) + done(20) + bytes([GET, 0]),
        # the device names a chain that does not exist, then jumps its index.
        "bad_id": bytes([0x01]) + add(1, 1, [1, 1]) + raw(0, 99, 0x8080, 4) + bytes([IDX, 1, 0, GET, 3]) +
        bytes([IDX, 0x40, 0, GET, 3]),
        # event idx: fill, wrap around twice with resets between.
        "event_idx_wrap": bytes([0x04]) + (bytes([BULK, 0x0f, KICK, CB, 1]) + done(10) * 4 + bytes([GETB, 15])) * 3 +
        bytes([RESET, BULK, 0x03]) + done(1) + bytes([GET, 1]),
        # a length larger than the chain's writable bytes.
        "len_too_big": bytes([0x02]) + add(1, 1, [1, 1]) + bytes([KICK]) + done(0xffff) + bytes([GET, 0]),
    }
    for layout in ("vq_split", "vq_packed"):
        for name, data in seeds.items():
            put(layout, name, data)


# --- fuzz_vu_reply: byte 0 which ops, byte 1 config length, then the backend's stream.
def reply(request, payload):
    return struct.pack("<III", request, 0x5, len(payload)) + payload


def u64(v):
    return struct.pack("<Q", v)


def vu_seeds():
    version1 = 1 << 32
    proto = (1 << 0) | (1 << 3) | (1 << 9) | (1 << 16)  # MQ REPLY_ACK CONFIG STATUS
    plain = reply(1, u64(version1 | (1 << 15)))  # GET_FEATURES, no protocol features
    full = (reply(1, u64(version1 | (1 << 30) | (1 << 15) | (1 << 22)))  # PROTOCOL_FEATURES
            + reply(15, u64(proto))  # GET_PROTOCOL_FEATURES
            + reply(17, u64(2))  # GET_QUEUE_NUM
            + reply(3, u64(0)))  # SET_OWNER acked
    put("vu_reply", "handshake_plain", bytes([0, 0]) + plain)
    put("vu_reply", "handshake_full", bytes([0, 0]) + full)
    put("vu_reply", "get_features", bytes([0x10, 0]) + plain + reply(1, u64(version1)))
    put("vu_reply", "get_status", bytes([0x08, 0]) + full + reply(40, u64(0x0f)))
    cfg = struct.pack("<III", 0, 4, 0) + bytes([2, 0, 0, 1])
    put("vu_reply", "get_config", bytes([0x04, 0]) + full + reply(24, cfg))
    put("vu_reply", "ctrl_queue", bytes([0x80 | 0x20, 0]) + full)
    put("vu_reply", "wrong_size", bytes([0, 0]) + struct.pack("<III", 1, 0x5, 4) + b"\0\0\0\0")
    put("vu_reply", "truncated", bytes([0, 0]) + reply(1, u64(version1))[:15])


# --- fuzz_vu_ctrl: byte 0 the scene, then operations (fuzz_vu_ctrl.c).
RINGRAW, BUFRAW, DESC, AVAIL, NOTIFY = range(5)
BUF_OFF = 64 * 1024


def desc(idx, off, length, flags, nxt):
    return bytes([DESC, idx]) + struct.pack("<iHHH", off, length, flags, nxt)


def bufraw(off, data):
    return bytes([BUFRAW]) + struct.pack("<H", off) + bytes([len(data)]) + data


def ctrl_chain(cmd, data, packed):
    """Three descriptors: class+command, data, ack; then publish and kick."""
    # Packed: AVAIL (bit 7) set with the first lap's wrap counter 1.
    avail = 0x80 if packed else 0
    out = bufraw(0, bytes(cmd)) + bufraw(16, bytes(data))
    out += desc(0, BUF_OFF, 2, 1 | avail, 1 if not packed else 0)
    out += desc(1, BUF_OFF + 16, len(data), 1 | avail, 2 if not packed else 0)
    out += desc(2, BUF_OFF + 64, 1, 2 | avail, 0)
    if not packed:
        out += bytes([AVAIL]) + struct.pack("<H", 1)
    return out + bytes([NOTIFY])


def vu_ctrl_seeds():
    cases = {
        "promisc": ([0, 0], [1]),
        "mac_addr_set": ([1, 1], [2, 0, 0, 0, 0, 1]),
        "vlan_add": ([2, 0], [5, 0]),
        "vq_pairs_set": ([4, 0], [2, 0]),
        "mac_table_set": ([1, 0], [1, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0]),
    }
    # size 16, CTRL_RX+VLAN, MAC_ADDR+MQ, rings live, protocol features on.
    scene = 0x06 | 0x08 | 0x10 | 0x20 | 0x40
    for name, (cmd, data) in cases.items():
        put("vu_ctrl", "split_" + name, bytes([scene]) + ctrl_chain(cmd, data, False))
        put("vu_ctrl", "packed_" + name, bytes([scene | 1]) + ctrl_chain(cmd, data, True))
    put("vu_ctrl", "split_gone_backend", bytes([scene | 0x80]) + ctrl_chain([4, 0], [3, 0], False))
    put("vu_ctrl", "split_outside", bytes([scene]) + desc(0, -4096, 2, 0, 0) + bytes([AVAIL, 1, 0, NOTIFY]))


def devargs_seeds():
    seeds = {
        "path": b"\0path=/tmp/vh.sock",
        "all_keys": b"\0path=/tmp/vh.sock,server=1,queues=2,queue_size=256,packed_vq=1,mrg_rxbuf=0,"
                    b"in_order=1,event_idx=1,mac=02:00:00:00:00:01,mtu=9000,speed=25000,ctrl_vq=0",
        "pci": b"\1queues=4,queue_size=1000,packed_vq=1,mac=02:11:22:33:44:55",
        "pci_path": b"\1path=/x",
        "twice": b"\0path=a,path=b",
        "split_not_pow2": b"\0path=/s,queue_size=1000",
        "list_value": b"\0path=/s,queues=[1,2]",
    }
    for name, data in seeds.items():
        put("devargs", name, data)


# --- fuzz_vctl_tel: byte 0 the command line (fuzz_vctl_tel.c), then the messages.
SEP = b"\n--\n"
SESSIONS = {
    0: ["vpmd_list"],
    1: ["vpmd_list", "vpmd_status-0", "vpmd_queue-0-0-rx", "vpmd_queue-0-1-rx",
        "vpmd_queue-0-0-tx", "vpmd_queue-0-1-tx"],
    2: ["vpmd_list", "vpmd_features-0"],
    3: ["vpmd_list", "vpmd_queue-0-0-rx"],
    4: ["vpmd_list", "vpmd_queue-0-0-tx", "vpmd_queue-0-0-tx-0-8"],
    5: ["vpmd_list", "vpmd_stats-0", "vpmd_xstats-0-0", "vpmd_xstats-0-64", "vpmd_xstats-0-128"],
    6: ["vpmd_list", "root"],
}
NAMES = {0: "list", 1: "status", 2: "features", 3: "ring", 4: "ring_desc", 5: "stats", 6: "no_port"}


def vctl_seeds(capture, tag):
    def msg(name):
        with open(os.path.join(capture, name), "rb") as f:
            return f.read()

    for mode, names in SESSIONS.items():
        data = SEP.join([msg("greeting")] + [msg(n) for n in names])
        put("vctl_tel", "%s_%s" % (NAMES[mode], tag), bytes([mode]) + data)
        put("vctl_tel", "%s_%s_json" % (NAMES[mode], tag), bytes([mode | 8]) + data)


def main():
    vq_seeds()
    vu_seeds()
    vu_ctrl_seeds()
    devargs_seeds()
    args = sys.argv[1:]
    while args[:1] == ["--capture"]:
        vctl_seeds(args[1], os.path.basename(os.path.normpath(args[1])).split("-")[-1])
        args = args[2:]
    return 0


if __name__ == "__main__":
    sys.exit(main())
