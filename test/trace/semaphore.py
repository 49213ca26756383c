#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Print the USDT semaphores of net_vpmd in a running process.

usage: semaphore.py PID [PROBE]

For each probe of provider vpmd in the librte_net_vpmd.so that PID has
mapped: "probe value", the semaphore's current value (0 untraced; the
kernel raises it while a uprobe is attached). With PROBE, only that
probe's value. The addresses come from the library's .note.stapsdt notes
(as readelf -n shows them) plus where /proc/PID/maps says it is loaded;
the value is read from /proc/PID/mem (needs root or ptrace rights).
"""
import struct
import sys

NT_STAPSDT = 3


def vpmd_mapping(pid):
    """(path, load bias) of librte_net_vpmd.so in pid."""
    with open(f"/proc/{pid}/maps") as maps:
        for line in maps:
            fields = line.split(maxsplit=5)
            if len(fields) < 6:
                continue
            path = fields[5].strip()
            if not path.rsplit("/", 1)[-1].startswith("librte_net_vpmd.so"):
                continue
            start = int(fields[0].split("-")[0], 16)
            offset = int(fields[2], 16)
            if offset == 0:
                return path, start
    raise SystemExit(f"semaphore.py: no librte_net_vpmd.so mapped in process {pid}")


def elf_sections(data):
    """{name: (addr, offset, size)} of a little-endian ELF64 file."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise SystemExit("semaphore.py: not a little-endian ELF64 file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = []
    for i in range(shnum):
        name, _type, _flags, addr, off, size = struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)
        headers.append((name, addr, off, size))
    stroff = headers[shstrndx][2]
    out = {}
    for name, addr, off, size in headers:
        end = data.index(b"\0", stroff + name)
        out[data[stroff + name:end].decode()] = (addr, off, size)
    return out


def first_load_vaddr(data):
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        p_type, _flags, _off, vaddr = struct.unpack_from("<IIQQ", data, phoff + i * phentsize)
        if p_type == 1:  # PT_LOAD
            return vaddr
    return 0


def semaphores(data):
    """{probe: semaphore address (link time)} for provider vpmd."""
    secs = elf_sections(data)
    if ".note.stapsdt" not in secs:
        return {}
    _addr, off, size = secs[".note.stapsdt"]
    base_sec = secs.get(".stapsdt.base", (0, 0, 0))[0]
    out = {}
    pos = off
    while pos < off + size:
        namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
        pos += 12
        name = data[pos:pos + namesz]
        pos += (namesz + 3) & ~3
        desc = data[pos:pos + descsz]
        pos += (descsz + 3) & ~3
        if ntype != NT_STAPSDT or name.rstrip(b"\0") != b"stapsdt":
            continue
        _pc, base, sema = struct.unpack_from("<QQQ", desc, 0)
        provider, probe = desc[24:].split(b"\0")[:2]
        if provider != b"vpmd" or sema == 0:
            continue
        # Prelinking moves the notes' addresses by base - .stapsdt.base.
        out[probe.decode()] = sema + (base_sec - base if base_sec else 0)
    return out


def main():
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    pid = int(sys.argv[1])
    path, start = vpmd_mapping(pid)
    with open(path, "rb") as f:
        data = f.read()
    bias = start - first_load_vaddr(data)
    sems = semaphores(data)
    if not sems:
        raise SystemExit(f"semaphore.py: {path} has no vpmd probes with semaphores")
    want = sys.argv[2] if len(sys.argv) == 3 else None
    with open(f"/proc/{pid}/mem", "rb") as mem:
        for probe in sorted(sems):
            if want is not None and probe != want:
                continue
            mem.seek(bias + sems[probe])
            value, = struct.unpack("<H", mem.read(2))
            print(f"{probe} {value}" if want is None else value)
    if want is not None and want not in sems:
        raise SystemExit(f"semaphore.py: no probe vpmd:{want}")


if __name__ == "__main__":
    main()
