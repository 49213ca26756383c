#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench/probe_cost.sh — what the USDT probes cost net_vpmd: io-loopback
# throughput of three builds of the same driver, interleaved trial by trial:
#
#   off     built with -Dprobes=false (the probes compiled out)
#   on      built with probes (the default), nobody attached
#   traced  the same .so with "vctl trace" attached, its default mode (the
#           datapath probes sampled on 1 active burst in 128, counts exact;
#           --sample N for another rate)
#
# Each trial starts a fresh pair (scripts/lib/testpmd_pair.sh: net_vhost
# backend on core 0, testpmd + net_vpmd on core 1, io forwarding seeded
# with tx_first 8) and reads the frontend's Rx-pps from testpmd's own
# TSC-timed "Throughput (since last show)" over the measured interval.
# The order of the three rotates from trial to trial.
# See doc/trace.md ("Cost") for results and how noisy they are.
#
# Not a unit test: meson does not know about it. On a shared machine, run
# it alone (e.g. under flock, with every other busy-polling job).

set -euo pipefail

usage() {
	cat <<'EOF'
usage: bench/probe_cost.sh [options]

  --trials N        trials per build and layout (default 7)
  --duration SECS   measured interval (default 2)
  --warmup SECS     traffic before it (default 1)
  --layouts LIST    split,packed (default both)
  --build DIR       build with probes (default build)
  --build-off DIR   build with -Dprobes=false (default build-noprobes; set up
                    and built from --build's configuration when missing)
  --baseline DIR    instead of the probes-off build, any other build of the
                    driver (e.g. a worktree at an earlier commit): what a
                    change costs; rows say "base" for it
  --no-traced       skip the traced runs
  --sample N        vctl trace --sample N (default: the driver's, 128)
  --retries N       run a set again when the core placement moved during it
                    (build/bench/c2c_latency, as bench/run.sh; default 2)
  -v, --verbose     a line per trial
  -h, --help        this text

Prints per layout the median Mpps of each build with its min-max, and the
ratios on/off and traced/off: of the medians, and "paired", the median of
the per-set ratios (a set: the three builds back to back) over the sets
the core placement held for ("sets", matched/all: build/bench/c2c_latency
read before and after each trial within 35 %; a set that failed it was run
again up to --retries times). The last line: did on >= 0.99 and traced
>= 0.90 hold on every layout, by both ratios.
EOF
}

die() {
	echo "probe_cost: $*" >&2
	exit 2
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
trials=7
duration=2
warmup=1
layouts=split,packed
build=$top/build
build_off=$top/build-noprobes
traced=1
verbose=0
baseline=0
sample=
c2c=$top/build/bench/c2c_latency
c2c_tol=35
retries=2

while [ $# -gt 0 ]; do
	case "$1" in
	--trials) trials=${2:?}; shift 2 ;;
	--duration) duration=${2:?}; shift 2 ;;
	--warmup) warmup=${2:?}; shift 2 ;;
	--layouts) layouts=${2:?}; shift 2 ;;
	--build) build=${2:?}; shift 2 ;;
	--build-off) build_off=${2:?}; shift 2 ;;
	--baseline) build_off=${2:?}; baseline=1; shift 2 ;;
	--no-traced) traced=0; shift ;;
	--sample) sample=${2:?}; shift 2 ;;
	--retries) retries=${2:?}; shift 2 ;;
	-v | --verbose) verbose=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown option '$1'" ;;
	esac
done
[[ $trials =~ ^[1-9][0-9]*$ ]] || die "--trials wants a positive integer"
[[ $duration =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--duration wants seconds"
[[ $warmup =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--warmup wants seconds"
[ "$(id -u)" = 0 ] || die "run as root (DPDK's runtime directory, the vhost-user socket, BPF)"
command -v dpdk-testpmd >/dev/null || die "dpdk-testpmd not found (Debian package dpdk-dev)"

so_on=$build/drivers/net/virtio_pmd/librte_net_vpmd.so
so_off=$build_off/drivers/net/virtio_pmd/librte_net_vpmd.so
vctl=$build/app/vctl/vctl
[ -f "$so_on" ] || die "no $so_on: build first (scripts/setup.sh)"
readelf -n "$so_on" | grep -q 'Name: kick$' || die "$so_on has no probes (built with -Dprobes=false?)"
[ "$traced" = 0 ] || [ -x "$vctl" ] || die "no $vctl (-Dbpf needs clang, bpftool, libbpf-dev)"

# The probes-off build: the same configuration, -Dprobes=false.
if [ "$baseline" = 1 ]; then
	[ -f "$build_off/build.ninja" ] || die "--baseline $build_off is not a build directory"
elif [ ! -f "$build_off/build.ninja" ]; then
	sdk=$(meson introspect "$build" --buildoptions |
		python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "dpdk_sdk"))')
	echo "probe_cost: setting up $build_off (-Dprobes=false)" >&2
	meson setup "$build_off" "$top" -Ddriver=enabled "-Ddpdk_sdk=$sdk" -Dprobes=false \
		-Dbpf=disabled >/dev/null
fi
# Only the driver of the other build is used: build just that.
ninja_quiet() { out=$(ninja -C "$@" 2>&1) || { echo "$out" | tail -20 >&2; die "ninja -C $* failed"; }; }
ninja_quiet "$build"
ninja_quiet "$build_off" drivers/net/virtio_pmd/librte_net_vpmd.so
if [ "$baseline" = 0 ] && readelf -n "$so_off" | grep -q 'Provider: vpmd'; then
	die "$so_off has probes: configure it with -Dprobes=false"
fi

# shellcheck source-path=SCRIPTDIR source=../scripts/lib/testpmd_pair.sh
. "$top/scripts/lib/testpmd_pair.sh"
workdir=$(mktemp -d "${TMPDIR:-/tmp}/vpmd-probe-cost.XXXXXX")
trace_pid=
cleanup() {
	if [ -n "$trace_pid" ]; then
		kill -KILL "$trace_pid" 2>/dev/null || true
		wait "$trace_pid" 2>/dev/null || true
	fi
	[ -n "${PAIR_DIR:-}" ] && pair_cleanup
	rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# One trial of BUILD (off|on|traced) on LAYOUT: sets trial_rate, the
# frontend's Rx Mpps. Runs in this shell (not in $(...)), so that the
# EXIT trap knows its processes.
trial() {
	local kind=$1 layout=$2 so=$so_on dir
	[ "$kind" = off ] && so=$so_off
	dir=$(mktemp -d "$workdir/trial.XXXXXX")
	pair_init "$dir" "$so" "$layout" client
	pair_start
	pair_wait_forwarding || { echo "probe_cost: backend did not start" >&2; pair_cleanup; return 1; }
	if [ "$kind" = traced ]; then
		"$vctl" trace -j --pid "$PAIR_FRONT_PID" --interval 1 ${sample:+--sample "$sample"} \
			>"$dir/trace.json" 2>&1 &
		trace_pid=$!
		for _ in $(seq 100); do grep -q '"attached"' "$dir/trace.json" && break; sleep 0.1; done
		grep -q '"attached"' "$dir/trace.json" ||
			{ echo "probe_cost: vctl trace did not attach" >&2; cat "$dir/trace.json" >&2; return 1; }
	fi
	pair_send "start tx_first 8"
	sleep "$warmup"
	pair_send "show port stats 0"
	sleep "$duration"
	pair_send "show port stats 0"
	sleep 0.2
	if [ -n "$trace_pid" ]; then
		kill -INT "$trace_pid"
		wait "$trace_pid" || echo "probe_cost: vctl trace exited with $?" >&2
		trace_pid=
	fi
	pair_send "stop"
	pair_quit || true
	pair_cleanup
	trial_rate=$(awk '/Rx-pps:/ { n++; if (n == 2) { printf "%.3f", $2 / 1e6; exit } }' "$dir/front.log")
	rm -rf "$dir"
	[ -n "$trial_rate" ] || { echo "probe_cost: no rate from testpmd" >&2; return 1; }
}

# The core-to-core round trip between the forwarding CPUs now, in ns, or
# "-" (see doc/bench.md, "Flaky": the host moves the vCPUs, and every
# build's rate follows the placement).
c2c_sample() {
	local out
	if [ -x "$c2c" ] && out=$("$c2c" --cpus 0,1 2>/dev/null) && [[ $out =~ ^[0-9.]+$ ]]; then
		echo "$out"
	else
		echo -
	fi
}

# Did the placement hold over readings "$@" (max / min - 1 within the tolerance)?
c2c_matched() {
	printf '%s\n' "$@" | awk -v tol="$c2c_tol" '
		$1 == "-" { bad = 1 } $1 != "-" { v = $1 + 0; if (!n++ || v < lo) lo = v; if (v > hi) hi = v }
		END { exit !(!bad && n > 0 && lo > 0 && (hi / lo - 1) * 100 <= tol) }'
}

kinds=(off on)
[ "$traced" = 1 ] && kinds+=(traced)
IFS=, read -r -a lays <<<"$layouts"
declare -A vals pairs sets_matched
echo "probe_cost: ${#lays[@]} layouts x $trials trials x ${#kinds[@]} builds, ${duration}s after ${warmup}s warm-up" >&2
[ -x "$c2c" ] || echo "probe_cost: no $c2c: cannot control for core placement, every set is paired" >&2

for layout in "${lays[@]}"; do
	sets_matched[$layout]=0
	for t in $(seq "$trials"); do
		# One set: every build back to back, the order rotating so that no
		# build always runs first; the core placement read before and after
		# each. A set whose readings disagree is run again (--retries).
		n=${#kinds[@]}
		for attempt in $(seq 0 "$retries"); do
			declare -A this=()
			readings=("$(c2c_sample)")
			for ((i = 0; i < n; i++)); do
				k=${kinds[$(((i + t) % n))]}
				trial "$k" "$layout" || { echo "probe_cost: $layout $k trial $t failed" >&2; continue; }
				this[$k]=$trial_rate
				readings+=("$(c2c_sample)")
			done
			matched=0
			c2c_matched "${readings[@]}" && matched=1
			[ "$verbose" = 1 ] && echo "probe_cost: $layout set $t: $(for k in "${kinds[@]}"; do printf '%s %s ' "$k" "${this[$k]:--}"; done)c2c ${readings[*]} ns$([ "$matched" = 1 ] || echo ', placement moved')" >&2
			if [ "$matched" = 1 ] || [ ! -x "$c2c" ]; then
				break
			fi
		done
		for k in "${kinds[@]}"; do
			[ -n "${this[$k]:-}" ] && vals["$layout $k"]+="${this[$k]} "
		done
		if [ "$matched" = 1 ] || [ ! -x "$c2c" ]; then
			sets_matched[$layout]=$((sets_matched[$layout] + 1))
			for k in on traced; do
				[ -n "${this[$k]:-}" ] && [ -n "${this[off]:-}" ] &&
					pairs["$layout $k"]+="$(awk -v a="${this[$k]}" -v b="${this[off]}" 'BEGIN { printf "%.4f", a / b }') "
			done
		fi
		unset this
	done
done

# "median min max" of a list of numbers.
stats() {
	tr ' ' '\n' <<<"$1" | awk 'NF' | sort -g | awk '
		{ v[NR] = $1 }
		END { if (NR == 0) { print "- - -"; exit }
		      m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "%.3f %.3f %.3f\n", m, v[1], v[NR] }'
}

printf '\n%-8s %-7s %8s %15s %10s %10s %6s\n' layout build "Mpps" "min-max" "ratio" "paired" "sets"
for layout in "${lays[@]}"; do
	read -r off_med _ _ <<<"$(stats "${vals["$layout off"]:-}")"
	for k in "${kinds[@]}"; do
		read -r med lo hi <<<"$(stats "${vals["$layout $k"]:-}")"
		ratio=- paired=-
		if [ "$k" != off ]; then
			ratio=$(awk -v a="$med" -v b="$off_med" 'BEGIN { if (b > 0) printf "%.4f", a / b; else print "-" }')
			read -r paired _ _ <<<"$(stats "${pairs["$layout $k"]:-}")"
		fi
		label=$k
		[ "$k" = off ] && [ "$baseline" = 1 ] && label=base
		printf '%-8s %-7s %8s %15s %10s %10s %6s\n' "$layout" "$label" "$med" "$lo-$hi" "$ratio" \
			"$paired" "${sets_matched[$layout]}/$trials"
		[ "$k" = off ] && continue
		# The targets (doc/trace.md): untraced within 1 %, traced within 10 %,
		# by the ratio of the medians and by the paired ratio both.
		want=0.99
		[ "$k" = traced ] && want=0.90
		awk -v r="$ratio" -v p="$paired" -v w="$want" \
			'BEGIN { exit !(r != "-" && p != "-" && r + 0 >= w && p + 0 >= w) }' || verdict=no
	done
done
[ "$baseline" = 1 ] ||
	echo "on >= 0.99 and traced >= 0.90 of off, ratio and paired, every layout: ${verdict:-yes}"
