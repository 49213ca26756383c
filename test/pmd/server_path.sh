#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Server mode owns only the socket it bound. Whatever else sits at `path`
# belongs to someone else and must outlive the port:
#   1. the port is up (listening), then a regular file is renamed onto the
#      socket path; testpmd quits; the file is still there, same inode,
#      same content;
#   2. a stale socket (its listener gone) is replaced: the port binds, and
#      removes its own socket at quit;
#   3. a live socket (another process listens on it) is neither replaced nor
#      removed: the port refuses to start, the listener keeps its socket.
#
# Usage: server_path.sh PMD_SO. Exit 0 pass, 1 fail, 77 skip.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../scripts/lib/testpmd_pair.sh
. "$top/scripts/lib/testpmd_pair.sh"

pmd_so=$1
say() { printf 'server_path: %s\n' "$*"; }
command -v dpdk-testpmd >/dev/null || { say "SKIP: dpdk-testpmd not installed (package dpdk-dev)"; exit 77; }
command -v python3 >/dev/null || { say "SKIP: python3 not installed"; exit 77; }

dir=$(mktemp -d /tmp/vpmd-srvpath.XXXXXX)
listener=
trap 'pair_cleanup; [ -n "$listener" ] && { kill "$listener" 2>/dev/null; wait "$listener" 2>/dev/null; }; rm -rf "$dir"' EXIT

fail() {
	say "FAIL: $*"
	echo "--- frontend log"; tail -30 "$dir/front.log" 2>/dev/null
	exit 1
}

# ident PATH: inode, type and a digest of the content (a regular file's).
ident() {
	local t
	t=$(stat -c '%i %F' -- "$1" 2>/dev/null) || { echo missing; return; }
	if [ -f "$1" ] && [ ! -L "$1" ]; then echo "$t $(sha256sum <"$1" | cut -c1-16)"; else echo "$t"; fi
}

# A fresh frontend in server mode on $dir/vhost.sock (no backend: its
# port starts with the link down, listening).
start_front() {
	# The previous case's EAL prefix goes with it: the EXIT trap knows only the last.
	if [ -n "${PAIR_ID:-}" ]; then pair_cleanup; fi
	rm -f "$dir/front.in"
	pair_init "$dir" "$pmd_so" split server
	pair_start_frontend
}

wait_log() {
	local i
	for i in $(seq $(($2 * 10))); do grep -q -- "$1" "$dir/front.log" && return 0; sleep 0.1; done
	return 1
}

sock=$dir/vhost.sock

# 1. A file renamed onto the socket path while the port is up.
start_front
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || fail "case 1: the port did not listen on $sock"
wait_log "waiting for a vhost-user backend" 10 || fail "case 1: the port did not start"
printf 'not yours\n' >"$dir/precious"
mv -f "$dir/precious" "$sock"
before=$(ident "$sock")
pair_quit || fail "case 1: testpmd exited with $?"
after=$(ident "$sock")
say "case 1: file renamed onto the socket path: before quit '$before', after '$after'"
[ "$after" = "$before" ] || fail "case 1: the file at the socket path was removed or replaced at close"
rm -f "$sock"

# 2. A stale socket: bound by a process that is gone.
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$sock"
[ -S "$sock" ] || fail "case 2: no stale socket made"
stale=$(ident "$sock")
start_front
wait_log "waiting for a vhost-user backend" 10 || fail "case 2: the port did not replace a stale socket"
# The inode number may come back after an unlink: ask the kernel who listens.
awk -v p="$sock" '$NF == p && $4 == "00010000" { f = 1 } END { exit !f }' /proc/net/unix ||
	fail "case 2: nobody listens on $sock after the port started"
pair_quit || fail "case 2: testpmd exited with $?"
[ -e "$sock" ] && fail "case 2: the port left its own socket behind: $(ident "$sock")"
say "case 2: stale socket ('$stale') replaced by a listening one, removed at quit"

# 3. A live socket: someone listens on it.
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
open(sys.argv[1] + ".ready", "w").close()
time.sleep(120)' "$sock" &
listener=$!
for _ in $(seq 50); do [ -e "$sock.ready" ] && break; sleep 0.1; done
[ -S "$sock" ] || fail "case 3: no live socket made"
live=$(ident "$sock")
start_front
wait_log "Fail to start port\|waiting for a vhost-user backend\|cannot reach" 15 ||
	fail "case 3: the port start did not end"
pair_quit || fail "case 3: testpmd exited with $?"
now=$(ident "$sock")
say "case 3: live socket '$live', after quit '$now'; $(grep -m1 "net_vpmd0: cannot reach\|waiting for" "$dir/front.log")"
[ "$now" = "$live" ] || fail "case 3: another process's listening socket was replaced or removed"
grep -q "cannot reach the vhost-user backend at $sock: Address already in use" "$dir/front.log" ||
	fail "case 3: no refusal naming the path and EADDRINUSE"
say "PASS"
