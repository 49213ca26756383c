#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# libFuzzer targets of test/fuzz/ (doc/fuzz.md), built with clang in their
# own build dir: -Dfuzz=true, ASan and UBSan, and -fsanitize=fuzzer-no-link
# on everything so the code under test gives coverage feedback. The driver
# and BPF are off there: fuzz_devargs needs only libdpdk's public headers.
#
# Usage: scripts/fuzz.sh [--runs N | --seconds S | --build-only] [--build DIR] [target...]
#   --runs N     the long campaign: each target (default: all) in turn for N
#                executions (default 10000000)
#   --seconds S  the short bounded run CI wants: S seconds per target
#   --build-only configure and build, run nothing (then, in CI:
#                flock /tmp/vpmd-cpu.lock meson test -C build-fuzz --suite fuzz)
#   --build DIR  the fuzz build dir (default build-fuzz)
#   --setup-only configure and build, run nothing (scripts/test.sh then runs
#                meson test -C build-fuzz --suite fuzz)
# Each target runs on a temporary copy of its seed corpus (the tree is never
# written), one after another, under flock /tmp/vpmd-cpu.lock (the machine's
# CPUs are shared; VPMD_CPU_LOCK names another lock, for a campaign run
# niced beside other work). Prints per target: executions, seconds, exec/s, corpus
# size at the end, outcome. Crash reproducers and logs are kept in
# DIR/fuzz-artifacts/<target>/. Exit status: 0 if no target crashed.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$top/build-fuzz
targets_all=(vq_split vq_packed vu_reply vu_ctrl vctl_tel devargs)

die() { printf 'fuzz: error: %s\n' "$*" >&2; exit 1; }

setup() {
	local log
	command -v clang >/dev/null 2>&1 || die "clang is not installed (apt-get install clang)"
	log=$(mktemp)
	if [ ! -f "$build/build.ninja" ]; then
		if ! CC=clang meson setup "$build" "$top" -Dfuzz=true -Db_sanitize=address,undefined \
			-Dc_args=-fsanitize=fuzzer-no-link -Ddriver=disabled -Dbpf=disabled \
			>"$log" 2>&1; then
			cat "$log" >&2
			rm -f "$log"
			die "meson setup failed"
		fi
	fi
	if ! ninja -C "$build" >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		die "the build failed"
	fi
	rm -f "$log"
}

runs=10000000
seconds=
setup_only=
build_only=
targets=()
while [ $# -gt 0 ]; do
	case $1 in
	--runs)
		runs=${2:?--runs needs a number}
		shift 2
		;;
	--seconds)
		seconds=${2:?--seconds needs a number}
		shift 2
		;;
	--build-only)
		build_only=1
		shift
		;;
	--setup-only)
		setup_only=1
		shift
		;;
	--build)
		build=$(realpath -m "${2:?--build needs a directory}")
		shift 2
		;;
	-h | --help)
		sed -n '4,20p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	-*)
		die "unknown option $1"
		;;
	*)
		targets+=("${1#fuzz_}")
		shift
		;;
	esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${targets_all[@]}")

setup
[ -z "$setup_only" ] || exit 0
[ -z "$build_only" ] || exit 0

if [ -n "$seconds" ]; then
	bound=(-max_total_time="$seconds")
else
	bound=(-runs="$runs")
fi

rc=0
printf '%-10s %12s %8s %8s %7s  %s\n' target executions seconds exec/s corpus outcome
for t in "${targets[@]}"; do
	exe=$build/test/fuzz/fuzz_$t
	if [ ! -x "$exe" ]; then
		printf '%-10s %12s %8s %8s %7s  %s\n' "$t" - - - - "not built"
		rc=1
		continue
	fi
	work=$(mktemp -d "${TMPDIR:-/tmp}/vpmd-fuzz-$t.XXXXXX")
	artifacts=$build/fuzz-artifacts/$t
	mkdir -p "$work/corpus" "$artifacts"
	[ -d "$top/test/fuzz/corpus/fuzz_$t" ] && cp -R "$top/test/fuzz/corpus/fuzz_$t/." "$work/corpus/"
	start=$(date +%s.%N)
	outcome=ok
	flock "${VPMD_CPU_LOCK:-/tmp/vpmd-cpu.lock}" "$exe" "${bound[@]}" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$artifacts/" "$work/corpus" \
		>"$work/log" 2>&1 || outcome=crash
	end=$(date +%s.%N)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
	secs=$(sed -n 's/^stat::.*//; s/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\2/p' "$work/log" | tail -1)
	[ -n "$secs" ] || secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", b - a }')
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -1)
	ncorpus=$(find "$work/corpus" -type f | wc -l)
	if [ "$outcome" = crash ]; then
		rc=1
		cp "$work/log" "$artifacts/log"
		outcome="CRASH: $(grep -m1 -E 'ERROR|invariant failed|runtime error' "$work/log" || echo see log); log and reproducer in $artifacts"
	fi
	printf '%-10s %12s %8s %8s %7s  %s\n' "$t" "${execs:-?}" "$secs" "${rate:-?}" "$ncorpus" "$outcome"
	rm -rf "$work"
done
exit $rc
