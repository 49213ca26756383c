#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Consistency of vctl's output with the driver and with testpmd (live.sh).

usage: live_check.py CHECK DIR LAYOUT

DIR holds what live.sh collected: vctl's JSON (NAME.json), testpmd's log
(front.log), raw telemetry replies (raw.json). Prints what it checked;
exits 1 at the first inconsistency.
"""
import json
import re
import sys


def load(d, name):
    with open(f"{d}/{name}.json") as f:
        text = f.read()
    dec, i, docs = json.JSONDecoder(), 0, []
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        doc, i = dec.raw_decode(text, i)
        docs.append(doc)
    return docs[0] if len(docs) == 1 else docs


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}")
        sys.exit(1)
    print(f"ok: {what}")


def negotiated_in_log(d):
    # net_vpmd logs "net_vpmd0: negotiated [...]" at every bring-up: the last one counts.
    found = re.findall(r"net_vpmd0: negotiated (\[.*\])", open(f"{d}/front.log").read())
    return json.loads(found[-1]) if found else None


def forwarding(d, layout):
    lst, st, ft = load(d, "list"), load(d, "status"), load(d, "features")
    port = lst["ports"]["0"]
    check(lst["count"] == 1 and port["running"] == 1 and port["link"] == "up", "list: port 0 runs, link up")
    check(port["layout"] == layout and st["layout"] == layout, f"list and status: {layout} rings")
    check(port["queues"] == 1 and st["rx_queues"] == 1 and st["tx_queues"] == 1, "one queue pair")
    ti = st["device"]["transport_info"]
    check(ti["connected"] == 1 and ti["mode"] == "client" and ti["path"] == port["path"],
          "status: vhost-user client, connected, on the list's socket")
    check(st["device"]["status"]["names"] == ["ACKNOWLEDGE", "DRIVER", "FEATURES_OK", "DRIVER_OK"],
          "status: device status ACKNOWLEDGE DRIVER FEATURES_OK DRIVER_OK")
    neg = st["device"]["features"]["negotiated"]["names"]
    check(neg == ft["sets"]["negotiated"]["names"], "status and features agree on the negotiated set")
    check(neg == negotiated_in_log(d), f"negotiated {neg} is what the driver logged at bring-up")
    bits = ft["bits"]
    by_bits = [n for n, g in zip(bits["name"], bits["negotiated"]) if g]
    check(by_bits == neg, "the bit table's negotiated column is the negotiated set")
    off = ft["sets"]["offered"]["names"]
    drv = ft["sets"]["driver"]["names"]
    check(all(n in off and n in drv for n in neg), "negotiated is within offered and driver")
    check(("RING_PACKED" in neg) == (layout == "packed") and "VERSION_1" in neg,
          "VERSION_1 negotiated; RING_PACKED exactly when packed")
    raw = int(ft["sets"]["negotiated"]["raw"], 16)
    check(sorted(bits["bit"][i] for i in range(len(bits["bit"])) if bits["negotiated"][i])
          == [b for b in range(64) if raw >> b & 1], "negotiated raw bits match the names")
    for q in st["queues"]:
        check(q["running"] == 1 and q["size"] == 1024 and q["layout"] == layout,
              f"status: {q['dir']} queue {q['queue']} runs a {layout} ring of 1024")

    # The whole rx ring, paged and assembled.
    rx = load(d, "ring_rx")
    descs = rx["descs"]
    check(rx["size"] == 1024 and rx["desc_start"] == 0 and rx["desc_count"] == 1024,
          "ring rx: 1024 descriptors from 0")
    check(rx["pages"] >= 2, f"ring rx: assembled from {rx['pages']} pages (16 KiB replies)")
    check(descs["index"] == list(range(1024)), "ring rx: indexes 0..1023, each once, in order")
    check(all(len(col) == 1024 for col in descs.values()), "ring rx: every column has 1024 rows")
    if layout == "split":
        check(all("WRITE" in f.split("|") for f in descs["flags"]),
              "ring rx (split): every descriptor device-writable")
    tail = load(d, "ring_tx_tail")
    check(tail["desc_start"] == 1000 and tail["desc_count"] == 24 and tail["pages"] == 1
          and tail["descs"]["index"] == list(range(1000, 1024)),
          "ring tx --desc 1000:100: clamped to 1000..1023")

    # The indexes move while frames flow.
    for q in ("tx", "rx"):
        a, b = load(d, f"{q}_1"), load(d, f"{q}_2")
        check(b["stats"]["chains_added"] > a["stats"]["chains_added"]
              and b["stats"]["chains_used"] > a["stats"]["chains_used"],
              f"{q}: chains added and used grow between two snapshots")
        pos = lambda s: (s["avail_idx"], s["used_idx"], s.get("avail_wrap"), s.get("used_wrap"))
        check(pos(a) != pos(b), f"{q}: avail/used indexes moved ({pos(a)} -> {pos(b)})")

    samples = load(d, "stats_watch")
    check(isinstance(samples, list) and len(samples) == 2, "stats --watch 1 --count 2: two samples")
    r = samples[1]["rates"]
    check("rates" not in samples[0] and r["ipackets"] > 1000 and r["opackets"] > 1000,
          f"stats: rates per second while forwarding (rx {r['ipackets']:.0f}/s, tx {r['opackets']:.0f}/s)")


def nic_stats(d):
    """testpmd's last "show port stats 0": RX-packets, RX-bytes, TX-packets, TX-bytes."""
    log = open(f"{d}/front.log").read()
    block = log[log.rindex("NIC statistics for port 0"):]
    num = lambda key: int(re.search(key + r":\s+(\d+)", block).group(1))
    return num("RX-packets"), num("RX-bytes"), num("TX-packets"), num("TX-bytes")


def stopped(d, layout):
    rx, rxb, tx, txb = nic_stats(d)
    s = load(d, "stats_stopped")
    st, xs = s["stats"], s["xstats"]
    check(rx > 0 and tx > 0, f"testpmd counted rx {rx}, tx {tx}")
    check((st["ipackets"], st["ibytes"], st["opackets"], st["obytes"]) == (rx, rxb, tx, txb),
          "forwarding stopped: vctl stats equal testpmd's show port stats")
    check(xs["rx_q0_packets"] == rx and xs["tx_q0_packets"] == tx,
          "xstats rx_q0_packets and tx_q0_packets agree")
    ring = load(d, "rx_stopped")
    check(ring["pmd"]["packets"] == rx, "ring rx: the queue's packet counter agrees")


def raw(d, layout):
    replies = load(d, "raw")
    good = ("/vpmd/list", "/vpmd/queue,0,0,rx,0,65536", "/vpmd/xstats,0", "/vpmd/trace,100",
            "/vpmd/trace", "/vpmd/trace,64")
    bad = [r for r in replies if r["request"] not in good]
    for r in bad:
        check(r["reply"] is None, f"bad request {r['request'][:60]!r}: null reply")
    ok = {r["request"]: r for r in replies if r not in bad}
    check(ok["/vpmd/list"]["reply"]["count"] == 1, "the application still answers after them")
    page = ok["/vpmd/queue,0,0,rx,0,65536"]
    check(page["bytes"] < 16384 and 0 < page["reply"]["desc_count"] <= 256,
          f"a page asked for 65536 descriptors: {page['reply']['desc_count']}, {page['bytes']} bytes")
    xs = ok["/vpmd/xstats,0"]["reply"]
    check(xs["start"] == 0 and xs["count"] == xs["total"] == len(xs["xstats"]) and xs["total"] > 20,
          f"xstats: {xs['total']} in one page")
    # The probes' sampling: set, read back, set back; nobody traces, so no totals fire.
    tr = [ok[r]["reply"] for r in ("/vpmd/trace,100", "/vpmd/trace", "/vpmd/trace,64")]
    check([t["sample_every"] for t in tr] == [100, 100, 64] and all(t["totals_fired"] == 0 for t in tr),
          f"trace: sampling set to 100, read back, set to 64: {tr}")


def down(d, layout):
    st, s = load(d, "status_down"), load(d, "stats_down")
    check(st["started"] == 1 and st["running"] == 0 and st["device_up"] == 0
          and st["link"]["status"] == "down", "backend gone: started, rings down, link down")
    check(all(q["running"] == 0 for q in st["queues"]), "backend gone: no queue is read")
    check(s["started"] == 1 and s["running"] == 0 and s["stats"]["ipackets"] > 0
          and s["xstats"] == {}, "backend gone: counters, no ring xstats")


if __name__ == "__main__":
    globals()[sys.argv[1]](sys.argv[2], sys.argv[3])
