#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The bpftrace one-liners of doc/trace.md ("bpftrace one-liners"), run as
# written there against a live testpmd forwarding through net_vpmd, each
# checked against the driver's xstats over the same window:
#
#   kicks        (sampling 64, totals fired at both ends) kicks and
#                suppressed kicks per virtqueue equal the xstats differences;
#   kicks_every  (sampling 1) the same, by counting hits;
#   entries      (sampling 1) the histogram holds one value per used move
#                (*_used_moves) and @chains is *_chains_used + *_refused_len;
#                (sampling 64) it holds about *_used_moves / 64;
#   latency      (sampling 64) samples, every value between 100 ns and
#                100 ms.
#
# The blocks are taken from the doc by their "<!-- bpftrace.sh: NAME -->"
# markers, so the doc cannot drift from what is tested. Each window is
# quiet at both ends: forwarding stopped, xstats read, bpftrace attached
# (its "Attaching N probes..." line), forwarding started and stopped,
# xstats read, bpftrace ended with SIGINT and its maps read. The probes'
# semaphores read 0 before, non-zero while attached, 0 after.
#
# Usage: bpftrace.sh PMD_SO [split|packed]
# Environment: VPMD_TEST_SECONDS (window, default 2).
# Exit 0 pass, 1 fail, 77 skip.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../../scripts/lib/testpmd_pair.sh
. "$top/scripts/lib/testpmd_pair.sh"
# shellcheck source=lib.sh
. "$here/lib.sh"

pmd_so=$1
layout=${2:-split}
seconds=${VPMD_TEST_SECONDS:-2}
doc=$top/doc/trace.md

say() { printf 'trace_bpftrace(%s): %s\n' "$layout" "$*"; }
trace_require
command -v bpftrace >/dev/null || { say "SKIP: bpftrace not installed (package bpftrace)"; exit 77; }
command -v dpdk-telemetry.py >/dev/null ||
	{ say "SKIP: dpdk-telemetry.py not installed (package dpdk)"; exit 77; }

dir=$(mktemp -d /tmp/vpmd-bpftrace.XXXXXX)
pair_init "$dir" "$pmd_so" "$layout" client
BT_PIDS=()
failed=0

# bpftrace processes end by their PID, then testpmd's pair.
bt_kill() {
	local pid
	for pid in "${BT_PIDS[@]}"; do
		kill -INT "$pid" 2>/dev/null && sleep 1
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	BT_PIDS=()
}
trap 'bt_kill; pair_cleanup; rm -rf "$dir"' EXIT

fail() {
	say "FAIL: $*"
	local f
	for f in "$dir"/*.bt "$dir"/*.bt.err; do
		[ -f "$f" ] && { echo "--- $(basename "$f")"; tail -20 "$f"; }
	done
	echo "--- frontend log"; grep -v "cache_count\[" "$dir/front.log" | tail -20
	exit 1
}

# The fenced block after "<!-- bpftrace.sh: NAME -->" in the doc.
doc_block() {
	awk -v m="<!-- bpftrace.sh: $1 -->" '
		$0 == m { f = 1; next }
		f == 1 && /^```/ { f = 2; next }
		f == 2 && /^```/ { exit }
		f == 2 { print }' "$doc"
}
for b in setup sample totals kicks kicks_every entries latency; do
	[ -n "$(doc_block "$b")" ] || fail "doc/trace.md has no block \"$b\""
done

# Run doc block NAME as a user would, in bash, with the doc's variables.
run_block() {
	PID=$PAIR_FRONT_PID PREFIX="vpmd-front-$PAIR_ID" N=${N:-} \
		bash -c "$(doc_block setup)
$(doc_block "$1")"
}

# Sampling: 1 active burst in N.
set_sampling() {
	local reply
	reply=$(N=$1 run_block sample 2>&1) || fail "dpdk-telemetry.py: $reply"
	[[ $reply =~ \"sample_every\":\ $1[,}] ]] || fail "sampling not set to $1: $reply"
}

fire_totals() {
	local reply
	reply=$(run_block totals 2>&1) || fail "dpdk-telemetry.py: $reply"
	[[ $reply =~ \"totals_fired\":\ [1-9] ]] || fail "totals did not fire: $reply"
}

# Start doc block NAME under bpftrace (exec'd: its PID is bpftrace's), output
# in $dir/NAME.bt; wait until it has attached.
bt_start() {
	local name=$1 i pid
	PID=$PAIR_FRONT_PID PREFIX="vpmd-front-$PAIR_ID" \
		bash -c "$(doc_block setup)
exec $(doc_block "$name")" >"$dir/$name.bt" 2>"$dir/$name.bt.err" &
	pid=$!
	BT_PIDS+=("$pid")
	for i in $(seq 300); do
		grep -qs '^Attaching [0-9]* probe' "$dir/$name.bt" && return 0
		kill -0 "$pid" 2>/dev/null || fail "bpftrace ($name) exited before attaching"
		sleep 0.1
	done
	fail "bpftrace ($name) did not attach within 30 s"
}

# SIGINT every bpftrace, as Ctrl-C: each prints its maps and exits. A
# SIGINT that lands while bpftrace is busy can go unheeded: repeat it.
bt_stop() {
	local pid i
	for pid in "${BT_PIDS[@]}"; do
		for i in $(seq 100); do
			[ $((i % 20)) -eq 1 ] && kill -INT "$pid" 2>/dev/null
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && say "bpftrace $pid ignored SIGINT for 10 s"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	BT_PIDS=()
}

# Value FIELD of map MAP, key KEY, in the output of block NAME (0 if absent).
btv() {
	python3 "$here/bpftrace_maps.py" "$dir/$1.bt" |
		awk -v m="$2" -v k="$3" -v f="$4" '$1 == m && $2 == k && $3 == f { v = $4 } END { print v + 0 }'
}

semaphores() { python3 "$here/semaphore.py" "$PAIR_FRONT_PID" | tr '\n' ' '; }
zero_sems='^(kick|kick_suppressed|refill|totals|used|used_refused) 0 ([a-z_]+ 0 )*$'

# xstats deltas of the last window: XS[rx.kicks], ...
xn=0
declare -A XS
read_xstats() {
	xn=$((xn + 1))
	pair_send "show port xstats 0"
	wait_xstats "$dir/front.log" "$xn" tx_q0_refused_idx_jump || fail "no xstats (block $xn)"
}

# The probes block NAME attaches to: their semaphores must be up.
block_probes() {
	case $1 in
	kicks) echo totals ;;
	kicks_every) echo kick kick_suppressed ;;
	entries) echo used ;;
	latency) echo kick kick_suppressed used ;;
	esac
}

# One window: names of blocks to run, sampling N, whether to fire totals.
window() {
	local sampling=$1 totals=$2 b probe v d k a c
	shift 2
	set_sampling "$sampling"
	pair_send "stop"
	sleep 0.5
	read_xstats
	for b in "$@"; do bt_start "$b"; done
	# bpftrace says "Attaching" before it has raised every semaphore: give it 5 s.
	for b in "$@"; do
		for probe in $(block_probes "$b"); do
			for _ in $(seq 50); do
				v=$(python3 "$here/semaphore.py" "$PAIR_FRONT_PID" "$probe")
				[ "${v:-0}" -gt 0 ] && break
				sleep 0.1
			done
			[ "${v:-0}" -gt 0 ] || fail "semaphore of $probe is ${v:-unreadable} while $b is attached"
		done
	done
	[ "$totals" = yes ] && fire_totals
	# testpmd's start drops what waits in the rx rings: seed new frames.
	pair_send "start tx_first 8"
	sleep "$seconds"
	pair_send "stop"
	sleep 0.5
	read_xstats
	[ "$totals" = yes ] && fire_totals
	bt_stop
	v=$(semaphores)
	[[ $v =~ $zero_sems ]] || fail "a semaphore is not back to 0 after bpftrace: $v"
	for d in rx tx; do
		for k in kicks kicks_suppressed chains_used refused_len used_moves; do
			a=$(xstat "$dir/front.log" $((xn - 1)) "${d}_q0_$k")
			c=$(xstat "$dir/front.log" "$xn" "${d}_q0_$k")
			XS[$d.$k]=$((c - a))
		done
	done
}

check() {
	if [ "$1" = ok ]; then
		say "  ok: $2"
	else
		say "  NOT OK: $2"
		failed=1
	fi
}

pair_start
pair_wait_forwarding || fail "the backend did not start forwarding"
pair_send "start tx_first"
sleep 1
grep -q 'librte_net_vpmd\.so.* (deleted)$' "/proc/$PAIR_FRONT_PID/maps" &&
	fail "librte_net_vpmd.so was rebuilt while testpmd started: run again"
v=$(semaphores) || fail "cannot read the semaphores"
[[ $v =~ $zero_sems ]] || fail "a semaphore is not 0 untraced: $v"
say "semaphores untraced: $v"

# Kicks per queue, from the totals at both ends (default sampling).
window 64 yes kicks
say "kicks (sampling 64, totals at both ends):"
for vq in 0 1; do
	d=rx; [ "$vq" = 1 ] && d=tx
	for m in kicks:kicks suppressed:kicks_suppressed; do
		got=$(btv kicks "${m%%:*}" "0,$vq" value)
		want=${XS[$d.${m#*:}]}
		[ "$got" = "$want" ] && r=ok || r=no
		check "$r" "vq $vq @${m%%:*} $got = ${d}_q0_${m#*:} delta $want"
	done
done
[ "${XS[rx.kicks_suppressed]}" -gt 1000 ] || fail "too little traffic in the window"

# Every active burst: the hit counts and the histogram are exact.
window 1 no kicks_every entries
say "kicks_every and entries (sampling 1):"
for vq in 0 1; do
	d=rx; [ "$vq" = 1 ] && d=tx
	for m in kicks:kicks suppressed:kicks_suppressed; do
		got=$(btv kicks_every "${m%%:*}" "0,$vq" value)
		want=${XS[$d.${m#*:}]}
		[ "$got" = "$want" ] && r=ok || r=no
		check "$r" "vq $vq @${m%%:*} hits $got = ${d}_q0_${m#*:} delta $want"
	done
	got=$(btv entries entries "0,$vq" count)
	want=${XS[$d.used_moves]}
	[ "$got" = "$want" ] && [ "$got" -gt 0 ] && r=ok || r=no
	check "$r" "vq $vq @entries count $got = ${d}_q0_used_moves delta $want"
	got=$(btv entries chains "0,$vq" value)
	want=$((XS[$d.chains_used] + XS[$d.refused_len]))
	[ "$got" = "$want" ] && r=ok || r=no
	check "$r" "vq $vq @chains $got = ${d}_q0_chains_used + refused_len delta $want"
done

# At sampling 64: about one used move in 64 makes each queue's
# histogram, and each queue has plausible latency samples. (A fixed
# countdown once locked onto one kind of burst, rx bursts alternating a
# used move and a refill: the driver's countdown is random now.)
window 64 no entries
say "entries (sampling 64):"
any=0
for vq in 0 1; do
	d=rx; [ "$vq" = 1 ] && d=tx
	got=$(btv entries entries "0,$vq" count)
	want=${XS[$d.used_moves]}
	any=$((any + got))
	awk -v g="$got" -v w="$want" 'BEGIN { exit !(w > 0 && g >= w / 128 && g <= w / 32) }' &&
		r=ok || r=no
	check "$r" "vq $vq @entries count $got in [0.5, 2] x ${d}_q0_used_moves delta $want / 64"
done
[ "$any" -gt 0 ] && r=ok || r=no
check "$r" "the histograms hold $any sampled moves"

window 64 no latency
say "latency (sampling 64):"
any=0
for vq in 0 1; do
	n=$(btv latency latency_ns "0,$vq" count)
	lo=$(btv latency min_ns "0,$vq" value)
	hi=$(btv latency max_ns "0,$vq" value)
	any=$((any + n))
	if [ "$n" -gt 0 ]; then
		[ "$lo" -ge 100 ] && [ "$hi" -le 100000000 ] && r=ok || r=no
		check "$r" "vq $vq @latency_ns $n samples, $lo..$hi ns within 100 ns..100 ms"
	else
		check no "vq $vq @latency_ns has no sample"
	fi
done
[ "$any" -gt 0 ] && r=ok || r=no
check "$r" "the latency histograms hold $any samples"

set_sampling 64
pair_quit || fail "testpmd exited with $?"
[ "$failed" -eq 0 ] || fail "a one-liner disagrees with the xstats"
say "PASS"
