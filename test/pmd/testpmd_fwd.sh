#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# net_vpmd in an unmodified dpdk-testpmd (loaded with -d), io forwarding
# against a second testpmd running DPDK's vhost-user backend (net_vhost),
# also in io forwarding: frames circulate between the two. After a few
# seconds both directions must have moved traffic with no errors, and after
# "port stop" and "port close" every mbuf must be back in its pool.
#
# Usage: testpmd_fwd.sh PMD_SO split|packed [client|server] [QUEUE_PAIRS]
# Exit 0 pass, 1 fail, 77 skip (no dpdk-testpmd).
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../scripts/lib/testpmd_pair.sh
. "$top/scripts/lib/testpmd_pair.sh"

pmd_so=$1
layout=$2
mode=${3:-client}
queues=${4:-1}
seconds=${VPMD_TEST_SECONDS:-3}

say() { printf 'testpmd_fwd(%s,%s,%sq): %s\n' "$layout" "$mode" "$queues" "$*"; }
command -v dpdk-testpmd >/dev/null || { say "SKIP: dpdk-testpmd not installed (package dpdk-dev)"; exit 77; }
[ -f "$pmd_so" ] || { say "FAIL: $pmd_so not built"; exit 1; }

dir=$(mktemp -d /tmp/vpmd-fwd.XXXXXX)
pair_init "$dir" "$pmd_so" "$layout" "$mode" "$queues"
trap 'pair_cleanup; rm -rf "$dir"' EXIT

fail() {
	say "FAIL: $*"
	echo "--- frontend log"; grep -v "cache_count\[" "$dir/front.log" | tail -40
	echo "--- backend log"; tail -20 "$dir/back.log"
	exit 1
}

pair_start
pair_wait_forwarding || fail "the backend did not start forwarding"
pair_send "start tx_first"
sleep "$seconds"
pair_send "show port stats 0"
pair_send "show port xstats 0"
pair_send "stop"
pair_send "port stop all"
pair_send "port close all"
pair_send "dump_mempool"
pair_quit || fail "testpmd exited with $?"

grep -q "net_vpmd0: vhost-user" "$dir/front.log" || fail "net_vpmd was not probed"

# "show port stats 0": the first RX-packets/TX-packets/RX-errors lines.
rx=$(awk '/RX-packets:/ { print $2; exit }' "$dir/front.log")
tx=$(awk '/TX-packets:/ { for (i = 1; i <= NF; i++) if ($i == "TX-packets:") print $(i + 1); exit }' "$dir/front.log")
errs=$(awk '/RX-errors:/ { print $2; exit }' "$dir/front.log")
say "after ${seconds}s: rx $rx, tx $tx, rx errors $errs"
[ "${rx:-0}" -gt 100000 ] || fail "too few packets received: ${rx:-none}"
[ "${tx:-0}" -gt 100000 ] || fail "too few packets sent: ${tx:-none}"
[ "${errs:-1}" -eq 0 ] || fail "rx errors: $errs"
# Every queue pair carried its share.
for ((q = 0; q < queues; q++)); do
	for dirn in rx tx; do
		n=$(awk -v k="${dirn}_q${q}_packets:" '$1 == k { print $2; exit }' "$dir/front.log")
		[ "${n:-0}" -gt 10000 ] || fail "queue $q $dirn carried ${n:-no} packets"
	done
done

# Every mbuf back in the pool.
read -r in_use size < <(pair_mbufs_in_use)
[ -n "${size:-}" ] || fail "no mempool dump"
say "mbufs in use after close: $in_use of $size"
[ "$in_use" -eq 0 ] || fail "$in_use mbufs leaked"
say "PASS"
