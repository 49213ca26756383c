# SPDX-License-Identifier: BSD-3-Clause
"""Host-side pieces the PCI cases share: the guest's serial log read as it
grows, and a QEMU tap moved into a network namespace of the case's own and
reached through AF_PACKET (cases rss and offload).

QEMU creates its tap in the host's namespace when it starts; the case moves
it into its namespace, so the frames it injects never meet the host's
stack, and nothing is left once the namespace is deleted after QEMU has let
go of the tap.
"""

import ctypes
import os
import re
import signal
import socket
import subprocess
import time

CLONE_NEWNET = 0x40000000
ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_VNET_HDR = 15


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip() or r.returncode}")
    return r.stdout


class Console:
    """The guest's serial log, read as it grows: every line in self.lines."""

    def __init__(self, path):
        self.path, self.pos, self.lines, self.seen = path, 0, [], 0

    def poll(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                data = f.read()
        except FileNotFoundError:
            return
        end = data.rfind(b"\n")
        if end < 0:
            return
        self.pos += end + 1
        for line in data[:end].decode("utf-8", "replace").split("\n"):
            self.lines.append(line.replace("\r", ""))

    def new_lines(self):
        """The lines that arrived since the last call."""
        self.poll()
        new, self.seen = self.lines[self.seen:], len(self.lines)
        return new

    def wait(self, pattern, deadline):
        """The first match of @pattern (from the start), or None once the guest ended or time ran out."""
        rx = re.compile(pattern)
        i = 0
        while True:
            self.poll()
            for line in self.lines[i:]:
                m = rx.search(line)
                if m:
                    return m
            i = len(self.lines)
            if any("VPMD-GUEST-RESULT:" in line for line in self.lines):
                return None
            if time.monotonic() > deadline:
                return None
            time.sleep(0.2)


class TapNetns:
    """A network namespace of the case's own, holding QEMU's tap @tap."""

    def __init__(self, netns, tap, say):
        self.netns, self.tap, self.say = netns, tap, say
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.host_fd = os.open("/proc/self/ns/net", os.O_RDONLY)

    def run(self, body):
        """Create the namespace, return body(self), delete it whatever happened (SIGTERM too)."""
        created = False

        def on_term(signum, _frame):
            raise SystemExit(128 + signum)

        signal.signal(signal.SIGTERM, on_term)
        try:
            run(["ip", "netns", "add", self.netns])
            created = True
            self.say(f"netns {self.netns}")
            return body(self)
        except SystemExit as e:
            self.say(f"stopped ({e.code})")
            return 1
        except Exception as e:  # noqa: BLE001 - the verdict says what broke
            self.say(f"FAIL: {e}")
            return 1
        finally:
            if created:
                subprocess.run(["ip", "netns", "del", self.netns], capture_output=True)
                self.say(f"netns {self.netns} deleted")

    def _enter(self):
        fd = os.open(f"/run/netns/{self.netns}", os.O_RDONLY)
        try:
            if self.libc.setns(fd, CLONE_NEWNET) != 0:
                raise RuntimeError(f"setns: {os.strerror(ctypes.get_errno())}")
        finally:
            os.close(fd)

    def _leave(self):
        self.libc.setns(self.host_fd, CLONE_NEWNET)

    def socket(self, deadline, vnet_hdr=False):
        """Wait for QEMU's tap, move it in and up; an AF_PACKET socket bound to it."""
        # No IPv6 on the tap (no router solicitation, no DAD): the guest sees only our frames.
        run(["ip", "netns", "exec", self.netns, "sysctl", "-qw",
             "net.ipv6.conf.default.disable_ipv6=1", "net.ipv6.conf.all.disable_ipv6=1"])
        while not os.path.exists(f"/sys/class/net/{self.tap}"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"no tap {self.tap}: did QEMU start?")
            time.sleep(0.1)
        run(["ip", "link", "set", "dev", self.tap, "netns", self.netns])
        run(["ip", "-n", self.netns, "link", "set", "dev", self.tap, "up"])
        self.say(f"tap {self.tap} moved into {self.netns}, up")
        self._enter()
        try:
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
            if vnet_hdr:
                sock.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
            sock.bind((self.tap, 0))
        finally:
            self._leave()
        return sock

    def wait_tap_gone(self):
        """The tap goes with QEMU; deleting the namespace under a live QEMU would
        leave it polling a dead tap: wait (at most 30 s) for QEMU to close it."""
        self._enter()
        try:
            for _ in range(300):
                try:
                    socket.if_nametoindex(self.tap)
                except OSError:
                    break
                time.sleep(0.1)
        finally:
            self._leave()
