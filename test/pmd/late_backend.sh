#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Server mode with no backend yet: the port must start anyway with its link
# down, bring the link up when a backend connects seconds later, and then
# carry traffic; after close every mbuf is home.
#
# Usage: late_backend.sh PMD_SO split|packed
# Exit 0 pass, 1 fail, 77 skip.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../scripts/lib/testpmd_pair.sh
. "$top/scripts/lib/testpmd_pair.sh"

pmd_so=$1
layout=$2

say() { printf 'late_backend(%s): %s\n' "$layout" "$*"; }
command -v dpdk-testpmd >/dev/null || { say "SKIP: dpdk-testpmd not installed (package dpdk-dev)"; exit 77; }

dir=$(mktemp -d /tmp/vpmd-late.XXXXXX)
pair_init "$dir" "$pmd_so" "$layout" server
trap 'pair_cleanup; rm -rf "$dir"' EXIT

fail() {
	say "FAIL: $*"
	echo "--- frontend log"; grep -v "cache_count\[" "$dir/front.log" | tail -40
	exit 1
}

pair_start_frontend
# Longer than dev_start's 2 s wait for a backend.
sleep 4
pair_send "show port info 0"
sleep 0.5
grep -q "waiting for a vhost-user backend" "$dir/front.log" || fail "no word of waiting for the backend"
grep -q "Link status: down" "$dir/front.log" || fail "link not down without a backend"
say "no backend: port started, link down"

pair_start_backend
pair_wait_forwarding || fail "the backend did not start forwarding"
for _ in $(seq 50); do grep -q "is back: link up" "$dir/front.log" && break; sleep 0.1; done
grep -q "is back: link up" "$dir/front.log" || fail "the late backend was not accepted"
pair_send "start tx_first"
sleep 2
pair_send "show port stats 0"
pair_send "stop"
pair_send "port stop all"
pair_send "port close all"
pair_send "dump_mempool"
pair_quit || fail "testpmd exited with $?"

rx=$(awk '/^ +RX-packets: +[0-9]+ +RX-missed/ { v = $2 } END { print v + 0 }' "$dir/front.log")
say "backend connected later: rx $rx"
[ "$rx" -gt 100000 ] || fail "no traffic after the backend came: rx $rx"
read -r in_use size < <(pair_mbufs_in_use)
[ -n "${size:-}" ] || fail "no mempool dump"
say "mbufs in use after close: $in_use of $size"
[ "$in_use" -eq 0 ] || fail "$in_use mbufs leaked"
say "PASS"
