#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Reconnect soak: testpmd forwards (io) through net_vpmd against net_vhost;
# the backend is SIGKILLed and started again CYCLES times under the running
# port. Each time traffic must resume: the loop is seeded again (stop,
# start tx_first, as reconnect.sh does) and the frontend's RX counter must
# move within SOAK_RESUME_S seconds (default 15) of the new backend's start.
#
# In the frontend testpmd, at a baseline (after the first traffic) and at
# the end (after the last cycle's traffic), in the same state: forwarding
# stopped, then the backend killed and the link seen down, so that the
# driver has taken every mbuf back from its rings. It measures:
#   - mbufs out of mb_pool_0 (dump_mempool): must be equal. (With the
#     backend up and forwarding stopped the count also holds the tx ring's
#     completed but not yet reclaimed mbufs, which the driver frees 32 at a
#     time on a later burst: it varies by multiples of 32 from one stop to
#     the next, seen 288, 352 and 448, so it is printed, not compared.)
#   - open fds (/proc/PID/fd): must be equal;
#   - VmRSS: may grow by at most SOAK_RSS_KIB (default 2048 KiB).
# The baseline's kill is cycle 1's; the end's is one more, not counted.
# After the end measurement the port is stopped and closed: every mbuf home.
#
# One line per cycle (cycle, resume ms, fds, RSS KiB) and a summary line.
#
# Usage: soak.sh PMD_SO split|packed client|server CYCLES
# Exit 0 pass, 1 fail, 77 skip.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib/testpmd_pair.sh
. "$top/scripts/lib/testpmd_pair.sh"

pmd_so=$1
layout=$2
mode=$3
cycles=$4
resume_s=${SOAK_RESUME_S:-15}
rss_tol=${SOAK_RSS_KIB:-2048}

say() { printf 'soak(%s,%s): %s\n' "$layout" "$mode" "$*"; }
command -v dpdk-testpmd >/dev/null || { say "SKIP: dpdk-testpmd not installed (package dpdk-dev)"; exit 77; }
if ! [[ "$cycles" =~ ^[0-9]+$ ]] || [ "$cycles" -eq 0 ]; then
	say "FAIL: CYCLES must be a positive number: $cycles"
	exit 1
fi

dir=$(mktemp -d /tmp/vpmd-soak.XXXXXX)
pair_init "$dir" "$pmd_so" "$layout" "$mode"
trap 'pair_cleanup; rm -rf "$dir"' EXIT

fail() {
	say "FAIL: $*"
	echo "--- frontend log"; grep -v "cache_count\[" "$dir/front.log" | tail -40
	echo "--- backend log"; tail -20 "$dir/back.log" 2>/dev/null
	exit 1
}

now_ms() { date +%s%3N; }

# count PATTERN: its lines in the frontend log so far.
count() { grep -c -- "$1" "$dir/front.log"; }

# wait_count PATTERN N SECONDS: until the frontend log holds more than N such lines.
wait_count() {
	local _
	for _ in $(seq $(($3 * 10))); do [ "$(count "$1")" -gt "$2" ] && return 0; sleep 0.1; done
	return 1
}

# RX-packets of the last "show port stats".
last_rx() { awk '/^ +RX-packets: +[0-9]+ +RX-missed/ { v = $2 } END { print v + 0 }' "$dir/front.log"; }

# The frontend's RX counter, fresh.
read_rx() {
	local n
	n=$(count "RX-missed")
	pair_send "show port stats 0"
	wait_count "RX-missed" "$n" 5 || fail "testpmd did not answer 'show port stats'"
	last_rx
}

fds() { find "/proc/$PAIR_FRONT_PID/fd" -mindepth 1 -maxdepth 1 | wc -l; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$PAIR_FRONT_PID/status"; }

# mbufs: a dump_mempool now; prints "IN_USE SIZE" from that dump alone
# (pair_mbufs_in_use reads the first dump of a log: give it a log that
# starts at this one).
mbufs() {
	local off n
	off=$(stat -c %s "$dir/front.log")
	n=$(count "common_pool_count=")
	pair_send "dump_mempool"
	wait_count "common_pool_count=" "$n" 5 || fail "no mempool dump"
	sleep 0.2
	mkdir -p "$dir/snap"
	tail -c +$((off + 1)) "$dir/front.log" >"$dir/snap/front.log"
	PAIR_DIR=$dir/snap pair_mbufs_in_use
}

# Seed the loop, then until RX moves (or RESUME deadline from $1 ms).
reseed_and_wait() {
	local since=$1 rx0 rx
	pair_send "stop"
	pair_send "start tx_first"
	rx0=$(read_rx)
	while :; do
		sleep 0.1
		rx=$(read_rx)
		[ "$rx" -gt $((rx0 + 1000)) ] && return 0
		[ $(($(now_ms) - since)) -lt $((resume_s * 1000)) ] || return 1
	done
}

# Forwarding stopped, and the stop's summary printed: the measuring state.
stop_fwd() {
	local n
	n=$(count "Done.")
	pair_send "stop"
	wait_count "Done." "$n" 5 || fail "forwarding did not stop"
	sleep 0.5
}

# kill_backend WHAT: SIGKILL the backend and wait for the port to see it.
kill_backend() {
	local downs
	downs=$(count "went away: link down")
	pair_kill_backend
	wait_count "went away: link down" "$downs" 5 || fail "$1: the backend's death was not noticed"
}

# measure WHEN: the mbufs with the backend up (shown only), then the
# backend killed and the compared numbers; sets mb, mb_up, fd, rss.
measure() {
	stop_fwd
	read -r mb_up _ < <(mbufs)
	kill_backend "$1"
	sleep 0.3
	read -r mb size < <(mbufs)
	[ -n "${size:-}" ] || fail "no mempool dump at the $1"
	fd=$(fds)
	rss=$(rss_kib)
}

pair_start
pair_wait_forwarding || fail "the backend did not start forwarding"
t=$(now_ms)
reseed_and_wait "$t" || fail "no traffic at the start"
sleep 1
measure baseline
mb0=$mb fd0=$fd rss0=$rss
say "baseline: mbufs in use $mb0 of $size (backend up, stopped: $mb_up), fds $fd0, RSS $rss0 KiB"

resumes=()
for c in $(seq "$cycles"); do
	[ "$c" -eq 1 ] || kill_backend "cycle $c"
	ups=$(count "is back: link up")
	t=$(now_ms)
	pair_start_backend
	pair_wait_forwarding || fail "cycle $c: the new backend did not start forwarding"
	wait_count "is back: link up" "$ups" 10 || fail "cycle $c: no reconnect to the new backend"
	reseed_and_wait "$t" || fail "cycle $c: traffic did not resume within ${resume_s} s"
	ms=$(($(now_ms) - t))
	resumes+=("$ms")
	printf 'cycle %d resume_ms %d fds %d rss_kib %d\n' "$c" "$ms" "$(fds)" "$(rss_kib)"
	sleep 0.3
done

measure end
mb1=$mb fd1=$fd rss1=$rss
say "end: mbufs in use $mb1 (backend up, stopped: $mb_up), fds $fd1, RSS $rss1 KiB"
read -r rmin rmed rmax < <(printf '%s\n' "${resumes[@]}" | sort -n |
	awk '{ a[NR] = $1 } END { print a[1], a[int((NR + 1) / 2)], a[NR] }')

pair_send "port stop all"
pair_send "port close all"
read -r mb2 _ < <(mbufs)
pair_quit || fail "testpmd exited with $?"

verdict=PASS
why=
[ "$mb1" -eq "$mb0" ] || { verdict=FAIL; why+=" mbufs in use $mb0 -> $mb1;"; }
[ "$fd1" -eq "$fd0" ] || { verdict=FAIL; why+=" fds $fd0 -> $fd1;"; }
[ "$rss1" -le $((rss0 + rss_tol)) ] || { verdict=FAIL; why+=" RSS grew $((rss1 - rss0)) KiB > $rss_tol;"; }
[ "${mb2:-1}" -eq 0 ] || { verdict=FAIL; why+=" ${mb2:-?} mbufs not home after close;"; }
printf 'summary %s %s %s cycles %d resumed %d mbufs %d->%d (after close %s) fds %d->%d rss_kib %d->%d (%+d, limit +%d) resume_ms min %d median %d max %d\n' \
	"$verdict" "$layout" "$mode" "$cycles" "${#resumes[@]}" "$mb0" "$mb1" "${mb2:-?}" "$fd0" "$fd1" \
	"$rss0" "$rss1" $((rss1 - rss0)) "$rss_tol" "$rmin" "$rmed" "$rmax"
[ "$verdict" = PASS ] || fail "$why"
say "PASS"
