#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The backend dies under a running application and a new one takes its
# place: net_vpmd must take the link down, give every mbuf back from the
# rings, reconnect (client) or accept the new backend (server),
# renegotiate, and carry traffic again, all without the application
# restarting the port. Then port stop/close must find every mbuf home.
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

pair_start
pair_wait_forwarding || fail "the backend did not start forwarding"
pair_send "start tx_first"
sleep 2
pair_send "show port stats 0"
sleep 0.5
rx1=$(last_rx)
say "before: rx $rx1"
[ "$rx1" -gt 100000 ] || fail "no traffic before the backend died: rx $rx1"

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
say "after reconnect: rx $rx2"
[ "$rx2" -gt 100000 ] || fail "traffic did not resume: rx $rx2"

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
