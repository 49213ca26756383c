#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# vctl trace against a live testpmd forwarding through net_vpmd: over one
# window the BPF counts equal the driver's own xstats exactly (kicks,
# kicks_suppressed, chains given back, used moves), although the probes
# fire on 1 active burst in 128: they carry the running totals, and vctl
# closes the window with the "totals" probe; the probe semaphores read 0
# untraced, non-zero while traced and 0 again after detach; the process
# keeps forwarding after detach.
#
# The window is made quiet at both ends: forwarding is stopped, xstats
# read, vctl trace attached, forwarding started, stopped again, xstats
# read, vctl trace stopped with SIGINT. The datapath runs only in between,
# so the two counts must agree to the unit.
#
# With event_idx=1 in DEVARGS the device asks for a notification once per
# lap of the 16-bit index (DPDK's vhost leaves avail_event where it was),
# so real kicks happen in the window and must be counted too.
#
# Usage: xstats.sh PMD_SO VCTL split|packed [DEVARGS]
# Exit 0 pass, 1 fail, 77 skip.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../../scripts/lib/testpmd_pair.sh
. "$top/scripts/lib/testpmd_pair.sh"
# shellcheck source=lib.sh
. "$here/lib.sh"

pmd_so=$1
VCTL=$2
layout=$3
devargs=${4:-}
seconds=${VPMD_TEST_SECONDS:-2}

say() { printf 'trace_xstats(%s%s): %s\n' "$layout" "${devargs:+,$devargs}" "$*"; }
trace_require

dir=$(mktemp -d /tmp/vpmd-trace.XXXXXX)
pair_init "$dir" "$pmd_so" "$layout" client
[ -n "$devargs" ] && PAIR_VDEV+=",$devargs"
TRACE_PID=
trap 'trace_kill; pair_cleanup; rm -rf "$dir"' EXIT

fail() {
	say "FAIL: $*"
	echo "--- vctl trace"; cat "$dir/trace.json" "$dir/trace.json.err" 2>/dev/null | cut -c1-300 | tail -20
	echo "--- frontend log"; grep -v "cache_count\[" "$dir/front.log" | tail -30
	exit 1
}

semaphores() { python3 "$here/semaphore.py" "$PAIR_FRONT_PID" | tr '\n' ' '; }

pair_start
pair_wait_forwarding || fail "the backend did not start forwarding"
pair_send "start tx_first"
sleep 1

sems=$(semaphores) || fail "cannot read the semaphores"
say "semaphores untraced: $sems"
[[ $sems =~ ^(kick|kick_suppressed|refill|totals|used|used_refused)\ 0\ ([a-z_]+\ 0\ )*$ ]] ||
	fail "a semaphore is not 0 untraced: $sems"

# Quiet start of the window.
pair_send "stop"
sleep 0.5
pair_send "show port xstats 0"
wait_xstats "$dir/front.log" 1 tx_q0_refused_idx_jump || fail "no xstats"

trace_start "$dir/trace.json" --pid "$PAIR_FRONT_PID" --interval 0.5 ||
	fail "vctl trace did not attach"
sems=$(semaphores)
say "semaphores traced: $sems"
for p in kick kick_suppressed used used_refused totals; do
	v=$(python3 "$here/semaphore.py" "$PAIR_FRONT_PID" "$p")
	[ "${v:-0}" -gt 0 ] || fail "semaphore of $p is ${v:-unreadable} while traced"
done

# testpmd's start drops what waits in the rx rings: seed new frames.
pair_send "start tx_first 8"
sleep "$seconds"
pair_send "stop"
sleep 0.5
pair_send "show port xstats 0"
wait_xstats "$dir/front.log" 2 tx_q0_refused_idx_jump || fail "no xstats after the window"
trace_stop || fail "vctl trace exited with $? on SIGINT"
grep -q '"type":"total"' "$dir/trace.json" || fail "no totals from vctl trace"

sems=$(semaphores)
say "semaphores after detach: $sems"
[[ $sems =~ ^(kick|kick_suppressed|refill|totals|used|used_refused)\ 0\ ([a-z_]+\ 0\ )*$ ]] ||
	fail "a semaphore is not back to 0 after detach: $sems"

# Still forwarding after detach.
pair_send "show port stats 0"
pair_send "start tx_first 8"
sleep 1
pair_send "stop"
pair_send "show port stats 0"
sleep 0.5
# RX-packets of each "show port stats": the first and the last.
nic_rx() { awk '/NIC statistics for port/ { f = 1 } f && /RX-packets:/ { print $2; f = 0 }' "$dir/front.log"; }
rx_before=$(nic_rx | head -1)
rx_after=$(nic_rx | tail -1)
say "rx packets after detach: $rx_before -> $rx_after"
[ "${rx_after:-0}" -gt $((${rx_before:-0} + 100000)) ] || fail "not forwarding after detach"
pair_quit || fail "testpmd exited with $?"

# The comparison, per virtqueue: BPF totals against xstats deltas.
declare -A xs
for dirn in rx tx; do
	for k in kicks kicks_suppressed chains_used refused_len used_moves; do
		a=$(xstat "$dir/front.log" 1 "${dirn}_q0_$k")
		b=$(xstat "$dir/front.log" 2 "${dirn}_q0_$k")
		xs[$dirn.$k]=$((b - a))
	done
done
want_kicks=0
[[ $devargs == *event_idx=1* ]] && want_kicks=1
python3 - "$dir/trace.json" "$want_kicks" "${xs[rx.kicks]}" "${xs[rx.kicks_suppressed]}" \
	"$((xs[rx.chains_used] + xs[rx.refused_len]))" "${xs[rx.used_moves]}" "${xs[tx.kicks]}" \
	"${xs[tx.kicks_suppressed]}" "$((xs[tx.chains_used] + xs[tx.refused_len]))" \
	"${xs[tx.used_moves]}" <<'PY' || fail "BPF counts and xstats disagree"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
total = [l for l in lines if l["type"] == "total"][-1]
want_kicks = sys.argv[2] == "1"
keys = ("kicks", "kicks_suppressed", "used_entries", "used")
want = {0: dict(zip(keys, map(int, sys.argv[3:7]))), 1: dict(zip(keys, map(int, sys.argv[7:11])))}
got = {q["vq"]: q for q in total["queues"]}
ok = True
print(f"  sampling: 1 active burst in {total.get('sample_every')}, counts to the report: {total.get('counts_to_report')}")
if not total.get("counts_to_report"):
    print("  vctl could not close the window through telemetry")
    ok = False
for vq, counts in want.items():
    for k, x in counts.items():
        b = got.get(vq, {}).get(k, 0)
        good = b == x
        ok &= good
        print(f"  vq {vq} {k:17s} bpf {b:10d} xstats {x:10d} diff {b - x:+d}{'' if good else '  <-- not equal'}")
    # The sampled part saw something: latency and the histogram are not empty.
    q = got.get(vq, {})
    dec, lat = q.get("sampled_decisions", 0), (q.get("latency_ns") or {}).get("count", 0)
    print(f"  vq {vq} sampled: {dec} kick decisions, {lat} latency samples")
    if dec == 0 or lat == 0:
        print(f"  vq {vq}: the sampled part is empty")
        ok = False
if min(want[0]["used_entries"], want[1]["used_entries"]) < 10000:
    print("  too little traffic in the window")
    ok = False
if want_kicks and want[0]["kicks"] + want[1]["kicks"] == 0:
    print("  no notification was sent in the window: the kick probe went untested")
    ok = False
sys.exit(0 if ok else 1)
PY
say "PASS"
