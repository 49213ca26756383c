#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The backend dies under a running application and a new one takes its
# place: net_vpmd must take the link down, give every mbuf back from the
# rings, reconnect (client) or accept the new backend (server),
# renegotiate, and carry traffic again, all without the application
# restarting the port. Then port stop/close must find every mbuf home.
#
# The ring counters (xstats) count for the port's life: a reconnect makes
# new rings, and the counts must carry on from where they were, never go
# back. While the backend dies and comes back, a telemetry client reads
# the port's xstats without a pause: a reader must never see a ring the
# reconnect is freeing (the sanitized build turns such a read into a
# failure).
#
# Usage: reconnect.sh PMD_SO split|packed client|server
# Exit 0 pass, 1 fail, 77 skip.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../scripts/lib/testpmd_pair.sh
. "$top/scripts/lib/testpmd_pair.sh"

pmd_so=$1
layout=$2
mode=$3

say() { printf 'reconnect(%s,%s): %s\n' "$layout" "$mode" "$*"; }
command -v dpdk-testpmd >/dev/null || { say "SKIP: dpdk-testpmd not installed (package dpdk-dev)"; exit 77; }

dir=$(mktemp -d /tmp/vpmd-reconnect.XXXXXX)
pair_init "$dir" "$pmd_so" "$layout" "$mode"
trap 'pair_cleanup; rm -rf "$dir"' EXIT

fail() {
	say "FAIL: $*"
	echo "--- frontend log"; grep -v "cache_count\[" "$dir/front.log" | tail -50
	echo "--- backend log"; tail -20 "$dir/back.log" 2>/dev/null
	exit 1
}

# wait_for PATTERN FILE SECONDS
wait_for() {
	local i
	for i in $(seq $(($3 * 10))); do grep -q -- "$1" "$2" && return 0; sleep 0.1; done
	return 1
}

# RX-packets of the last "show port stats".
last_rx() { awk '/^ +RX-packets: +[0-9]+ +RX-missed/ { v = $2 } END { print v + 0 }' "$dir/front.log"; }
# xstat NAME in the last "show port xstats".
last_xstat() { awk -v n="$1:" '$1 == n { v = $2 } END { print v + 0 }' "$dir/front.log"; }

# Read /ethdev/xstats,0 through the frontend's telemetry socket until the
# file $dir/hammer.stop appears; print how many replies came.
xstats_hammer() {
	python3 - "/var/run/dpdk/vpmd-front-$PAIR_ID" "$dir/hammer.stop" <<'PY'
import glob, os, socket, sys, time
rundir, stop = sys.argv[1], sys.argv[2]
replies = 0
while not os.path.exists(stop):
    paths = glob.glob(rundir + "/dpdk_telemetry.v2*")
    if not paths:
        time.sleep(0.05)
        continue
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5)
    try:
        s.connect(paths[0])
        s.recv(4096)
        while not os.path.exists(stop):
            s.send(b"/ethdev/xstats,0")
            if s.recv(1 << 20):
                replies += 1
    except OSError:
        time.sleep(0.05)
    finally:
        s.close()
print(replies)
PY
}

pair_start
pair_wait_forwarding || fail "the backend did not start forwarding"
pair_send "start tx_first"
sleep 2
pair_send "show port stats 0"
pair_send "show port xstats 0"
sleep 0.5
rx1=$(last_rx)
used1=$(last_xstat rx_q0_chains_used)
say "before: rx $rx1, rx ring chains used $used1"
[ "$rx1" -gt 100000 ] || fail "no traffic before the backend died: rx $rx1"
[ "$used1" -ge "$rx1" ] || fail "rx_q0_chains_used $used1 is below the packets received, $rx1"

xstats_hammer >"$dir/hammer.out" 2>&1 &
hammer=$!
pair_kill_backend
wait_for "went away: link down" "$dir/front.log" 5 || fail "the backend's death was not noticed"
say "backend killed: link down seen"

pair_start_backend
pair_wait_forwarding || fail "the new backend did not start forwarding"
wait_for "is back: link up" "$dir/front.log" 10 || fail "no reconnect to the new backend"
say "new backend: link up"

# Frames in flight died with the old backend: seed the loop again.
pair_send "stop"
pair_send "clear port stats 0"
pair_send "start tx_first"
sleep 2
pair_send "show port stats 0"
pair_send "show port xstats 0"
sleep 0.5
rx2=$(last_rx)
used2=$(last_xstat rx_q0_chains_used)
touch "$dir/hammer.stop"
wait "$hammer"
say "after reconnect: rx $rx2, rx ring chains used $used2; $(cat "$dir/hammer.out") xstats replies read meanwhile"
[ "$rx2" -gt 100000 ] || fail "traffic did not resume: rx $rx2"
# The stats were cleared since, the ring counters not: they go on from used1.
[ "$used2" -ge $((used1 + rx2)) ] ||
	fail "the ring counters went back on reconnect: rx_q0_chains_used $used2 < $used1 + $rx2"
grep -Eq '^[0-9]+$' "$dir/hammer.out" && [ "$(cat "$dir/hammer.out")" -gt 0 ] ||
	fail "the xstats reader got no reply: $(cat "$dir/hammer.out")"

pair_send "stop"
pair_send "port stop all"
pair_send "port close all"
pair_send "dump_mempool"
pair_quit || fail "testpmd exited with $?"
read -r in_use size < <(pair_mbufs_in_use)
[ -n "${size:-}" ] || fail "no mempool dump"
say "mbufs in use after close: $in_use of $size"
[ "$in_use" -eq 0 ] || fail "$in_use mbufs leaked"
say "PASS"
