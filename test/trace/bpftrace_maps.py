#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Flatten the maps bpftrace printed at exit into lines a shell test can grep.

usage: bpftrace_maps.py FILE

FILE is bpftrace's text output. One line per map entry and field:
  MAP KEY value V          a plain value (count(), sum(), min(), max(), ...)
  MAP KEY count N          a hist(): the number of values in it,
  MAP KEY low L            the lower bound of its lowest non-empty bucket,
  MAP KEY high H           the upper bound of its highest non-empty bucket.
KEY is the map's key without spaces ("0,1"), or "-" for a map without one.
Bucket bounds are bpftrace's, with K, M, G, T read as powers of 1024.
"""
import re
import sys

ENTRY = re.compile(r"^@(\w+)(?:\[(.*)\])?:\s*(.*)$")
BUCKET = re.compile(r"^\[([^,\])]+)(?:,\s*([^\])]+))?[\])]\s+(\d+)\s*\|")
UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def bound(text):
    m = re.fullmatch(r"(-?\d+)([KMGT]?)", text.strip())
    if not m:
        raise ValueError(f"bucket bound {text!r}")
    return int(m.group(1)) * UNITS[m.group(2)]


def parse(lines):
    """[(map, key, {field: value})] in the order printed."""
    out = []
    hist = None
    for line in lines:
        line = line.rstrip("\n")
        m = ENTRY.match(line)
        if m:
            name, key, value = m.group(1), (m.group(2) or "-").replace(" ", ""), m.group(3)
            if value.strip():
                out.append((name, key, {"value": int(value)}))
                hist = None
            else:
                hist = {"count": 0}
                out.append((name, key, hist))
            continue
        b = BUCKET.match(line)
        if b and hist is not None:
            lo = bound(b.group(1))
            hi = bound(b.group(2)) if b.group(2) else lo + 1
            n = int(b.group(3))
            if n:
                hist["count"] += n
                hist.setdefault("low", lo)
                hist["high"] = hi
            continue
        if not line.strip():
            hist = None
    return out


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    with open(sys.argv[1]) as f:
        for name, key, fields in parse(f):
            for field, value in fields.items():
                print(f"{name} {key} {field} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
