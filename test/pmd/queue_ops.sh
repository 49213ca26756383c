#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Queue-level ethdev ops through dpdk-testpmd's own commands, against
# DPDK's net_vhost, on a port of two queue pairs:
#  - 2048 descriptors asked (as Open vSwitch does): taken as the ring's
#    1024 (queue_size), shown by "show rxq/txq info", and the port forwards;
#  - "show port info" names the transport and layout (Firmware-version);
#  - "port 0 rxq 0 stop": that queue's counters stop, queue 1's go on;
#    start: they move again; the same for a tx queue;
#  - "set link-down port 0": the link is down and no packet moves either
#    way; "set link-up port 0": traffic again;
#  - rx queue 1 with deferred start: stopped after "port start", flowing
#    after "port 0 rxq 1 start";
#  - the port reconfigured to 1 queue pair, 2, then 1 between stop and
#    start, forwarding each time;
#  - every mbuf back in the pool after close.
#
# Usage: queue_ops.sh PMD_SO split|packed
# Exit 0 pass, 1 fail, 77 skip.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../scripts/lib/testpmd_pair.sh
. "$top/scripts/lib/testpmd_pair.sh"

pmd_so=$1
layout=$2

say() { printf 'queue_ops(%s): %s\n' "$layout" "$*"; }
command -v dpdk-testpmd >/dev/null || { say "SKIP: dpdk-testpmd not installed (package dpdk-dev)"; exit 77; }

dir=$(mktemp -d /tmp/vpmd-qops.XXXXXX) || { say "FAIL: no temp dir"; exit 1; }
pair_init "$dir" "$pmd_so" "$layout" client 2
trap 'pair_cleanup; rm -rf "$dir"' EXIT

fail() {
	say "FAIL: $*"
	echo "--- frontend log"; grep -v "cache_count\[" "$dir/front.log" | tail -60
	exit 1
}

# Send a command and print what testpmd answered: the log from here to
# its next prompts. Two empty lines follow it: stdout is line-buffered, so
# a prompt ("testpmd> ", no newline) shows only once the next line is read.
out() {
	local off i
	off=$(stat -c %s "$dir/front.log")
	pair_send "$*"
	pair_send ""
	pair_send ""
	for i in $(seq 50); do
		[ "$(tail -c +$((off + 1)) "$dir/front.log" | grep -o "testpmd> " | wc -l)" -ge 2 ] &&
			break
		sleep 0.1
	done
	tail -c +$((off + 1)) "$dir/front.log"
}

# The value of xstat $1 now.
xstat() { out "show port xstats 0" | awk -v k="$1:" '$1 == k { print $2; exit }'; }

# Whether xstat $1 moves over half a second: prints "moves" or "still".
motion() {
	local a b
	a=$(xstat "$1")
	sleep 0.5
	b=$(xstat "$1")
	[ -n "$a" ] && [ -n "$b" ] || { echo "missing"; return; }
	[ "$b" -gt "$a" ] && echo moves || echo still
}

expect() { # expect XSTAT moves|still WHEN
	local m
	m=$(motion "$1")
	[ "$m" = "$2" ] || fail "$3: $1 is $m, expected $2"
	say "$3: $1 $m"
}

# The backend keeps testpmd's default rings; the frontend asks for 2048.
pair_start_backend
for i in $(seq 50); do [ -S "$PAIR_SOCK" ] && break; sleep 0.1; done
# --no-flush-rx: testpmd's "start" would otherwise eat what waits in the rx rings.
PAIR_APP+=(--rxd=2048 --txd=2048 --no-flush-rx)
pair_start_frontend
pair_wait_forwarding || fail "the backend did not start forwarding"
for i in $(seq 100); do grep -q "testpmd> " "$dir/front.log" && break; sleep 0.1; done
grep -q "nb_desc 2048 is more than the ring's 1024 entries" "$dir/front.log" ||
	fail "no log line for the clamped descriptor count"

info=$(out "show rxq info 0 0")
grep -q "Number of RXDs: 1024" <<<"$info" || { echo "$info"; fail "rxq info: not 1024 RXDs"; }
grep -q "Rx queue state: started" <<<"$info" || { echo "$info"; fail "rxq info: not started"; }
grep -q "Mempool: mb_pool_0" <<<"$info" || { echo "$info"; fail "rxq info: no mempool"; }
info=$(out "show txq info 0 1")
grep -q "Number of TXDs: 1024" <<<"$info" || { echo "$info"; fail "txq info: not 1024 TXDs"; }
say "2048 descriptors asked, 1024 taken (rxq and txq info)"
fw=$(out "show port info 0" | sed -n 's/^Firmware-version: //p')
[ "$fw" = "vhost-user $layout" ] || fail "Firmware-version '$fw', expected 'vhost-user $layout'"
say "Firmware-version: $fw"

out "start tx_first" >/dev/null
sleep 0.5
expect rx_q0_packets moves "forwarding"
expect rx_q1_packets moves "forwarding"

# testpmd stops a queue only with forwarding stopped, and then leaves a
# stopped queue's stream alone: what is checked is the queue's state, that
# the other queue flows, and that a started queue flows again with the
# packets its ring kept (rx) or that waited for it (tx), without a reseed.
# (Link-down below checks that the driver itself refuses bursts.)
# An rx queue stopped: its ring keeps the backend's packets; the other flows.
out "stop" >/dev/null
out "port 0 rxq 0 stop" >/dev/null
out "start" >/dev/null
info=$(out "show rxq info 0 0")
grep -q "Rx queue state: stopped" <<<"$info" || { echo "$info"; fail "rxq 0 not stopped"; }
expect rx_q0_packets still "rxq 0 stopped"
expect rx_q1_packets moves "rxq 0 stopped"
out "stop" >/dev/null
out "port 0 rxq 0 start" >/dev/null
out "start" >/dev/null
expect rx_q0_packets moves "rxq 0 started"

# A tx queue stopped: nothing goes on it; the other flows.
out "stop" >/dev/null
out "port 0 txq 1 stop" >/dev/null
out "start" >/dev/null
info=$(out "show txq info 0 1")
grep -q "Tx queue state: stopped" <<<"$info" || { echo "$info"; fail "txq 1 not stopped"; }
expect tx_q1_packets still "txq 1 stopped"
expect tx_q0_packets moves "txq 1 stopped"
out "stop" >/dev/null
out "port 0 txq 1 start" >/dev/null
out "start" >/dev/null
expect tx_q1_packets moves "txq 1 started"

# Link down: no traffic either way, the device stays; up: traffic again.
out "set link-down port 0" >/dev/null
link=$(out "show port info 0" | sed -n 's/^Link status: //p')
[ "$link" = "down" ] || fail "link '$link' after set link-down"
expect rx_good_packets still "link down"
expect tx_good_packets still "link down"
out "set link-up port 0" >/dev/null
link=$(out "show port info 0" | sed -n 's/^Link status: //p')
[ "$link" = "up" ] || fail "link '$link' after set link-up"
expect rx_good_packets moves "link up"
expect tx_good_packets moves "link up"

# Deferred start: rx queue 1 set up to wait for its own start. The port
# starts with it stopped, and testpmd's stream 1 (rxq 1 to txq 1) with it,
# so nothing circulates there; once started, a new seed flows on it.
out "stop" >/dev/null
out "port stop 0" >/dev/null
out "port 0 rxq 1 deferred_start on" >/dev/null
out "port start 0" >/dev/null
info=$(out "show rxq info 0 1")
grep -q "Rx queue state: stopped" <<<"$info" || { echo "$info"; fail "deferred rxq 1 not stopped after port start"; }
grep -q "RX deferred start: on" <<<"$info" || { echo "$info"; fail "rxq info: deferred start not on"; }
out "start tx_first" >/dev/null
sleep 0.3
expect rx_q1_packets still "rxq 1 deferred"
expect rx_q0_packets moves "rxq 1 deferred"
out "stop" >/dev/null
out "port 0 rxq 1 start" >/dev/null
out "start tx_first" >/dev/null
sleep 0.3
expect rx_q1_packets moves "deferred rxq 1 started"
out "stop" >/dev/null
out "port stop 0" >/dev/null
out "port 0 rxq 1 deferred_start off" >/dev/null
out "port start 0" >/dev/null

# Reconfigured between stop and start: 1, 2, then 1 queue pair.
for n in 1 2 1; do
	out "stop" >/dev/null
	out "port stop 0" >/dev/null
	out "port config all rxq $n" >/dev/null
	out "port config all txq $n" >/dev/null
	out "port start 0" >/dev/null
	out "start tx_first" >/dev/null
	sleep 0.3
	expect "rx_q$((n - 1))_packets" moves "$n queue pair(s)"
	nq=$(out "show port info 0" | sed -n 's/^Current number of RX queues: //p')
	[ "$nq" = "$n" ] || fail "'$nq' rx queues on the port, not $n"
done

out "stop" >/dev/null
out "port stop all" >/dev/null
out "port close all" >/dev/null
out "dump_mempool" >/dev/null
pair_quit || fail "testpmd exited with $?"
read -r in_use size < <(pair_mbufs_in_use)
[ -n "${size:-}" ] || fail "no mempool dump"
say "mbufs in use after close: $in_use of $size"
[ "$in_use" -eq 0 ] || fail "$in_use mbufs leaked"
say "PASS"
