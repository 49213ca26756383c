#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench/run.sh — net_vpmd against DPDK's net_virtio_user, A/B, on the same
# kind of net_vhost backend with the same devargs.
#
# Every trial starts fresh dpdk-testpmd processes (the net_vhost backend and
# the frontends under test) and drives them through their interactive prompt
# over a FIFO. By default A and B run together: one backend with a port for
# each, both frontends forwarding on CPU 0, time-sliced by the kernel, so
# both are measured at the same moments of whatever the host does to this
# VM's cores; they swap places from one trial to the next. --sequential runs
# one frontend at a time. A frontend's rate is its port's packet count over
# the interval per second of CPU its forwarding thread ran. Before and after
# each trial, build/bench/c2c_latency measures the core-to-core cache-line
# round trip, which the host changes under us; run sequentially, a pair of
# trials whose readings disagree is rerun. See doc/bench.md for the method.
#
# Not a unit test: meson does not know about it.

set -euo pipefail

usage() {
	cat <<'EOF'
usage: bench/run.sh [options]

  --duration SECS   measured interval per trial (default 2)
  --warmup SECS     traffic before the measured interval (default 1)
  --trials N        trials per row (default 6); together, A and B swap places
                    each trial; --sequential, interleaved A B A B...
  --sequential      one frontend at a time, each with a core to itself,
                    instead of A and B together on one core
  --rows LIST       comma-separated rows or shell patterns, e.g.
                    'split-64-io,packed-*-txonly' (default: all 12)
  --driver PATH     the net_vpmd shared object
                    (default build/drivers/net/virtio_pmd/librte_net_vpmd.so)
  --json FILE       also write the results as JSON
  --quick           smoke test: 1 trial of 2 s, 0.5 s warm-up
  --a KIND          driver in column A: vpmd | virtio_user | virtio_user_vec
                    (default vpmd)
  --b KIND          driver in column B, as --a (default virtio_user);
                    virtio_user_vec is DPDK's vectorized path: vectorized=1,
                    --force-max-simd-bitwidth=512 (with --in-order 1
                    --mrg-rxbuf 0 for its fastest paths)
                    (--a virtio_user validates the method: ratios near 1.0)
  --queue-size N    queue_size devarg for both drivers (default 256)
  --simd-bits N     EAL --force-max-simd-bitwidth=N for both frontends
                    (DPDK caps vectors at 256 bits unless told: 512 lets
                    net_vpmd's AVX-512 path run too; virtio_user_vec
                    always gets 512)
  --mrg-rxbuf 0|1   mrg_rxbuf devarg for both drivers (default 1)
  --in-order 0|1    in_order devarg for both drivers (default 1)
                    (the defaults are net_virtio_user's own)
  --vpmd-args STR   extra devargs appended for net_vpmd only
  --vu-args STR     extra devargs appended for net_virtio_user only
  --tx-first N      bursts of 32 that seed io loopback (default 8)
  --max-other-cpu P a trial in which more than P% of the machine's CPU went
                    to anything but its two testpmd is rerun (default 5)
  --c2c PATH        the core-to-core latency program, run before and after
                    each trial (default build/bench/c2c_latency); without it
                    the bench runs but cannot control for core placement
  --c2c-tolerance PCT
                    --sequential: A and B of a trial (both before and after
                    readings) must agree within PCT% on the core-to-core
                    round trip, else the pair is rerun (default 35)
  --retries N       reruns of a disturbed pair, for either reason (default
                    2); after that it is kept and flagged
  --quiet-wait SECS before each trial, wait up to SECS for other
                    dpdk-testpmd processes to end, and before a rerun also
                    for the machine to be idle (default 120)
  --keep-logs DIR   keep every testpmd log under DIR
  -v, --verbose     print each trial as it completes
  -h, --help        this text

Rows are LAYOUT-SIZE-MODE: layout split|packed, size 64|1518, mode
  io      frontend io forward, backend io forward (loopback, seeded with
          tx_first); measures the frontend's Rx pps
  txonly  frontend txonly, backend rxonly; measures the frontend's Tx pps
  rxonly  backend txonly, frontend rxonly; measures the frontend's Rx pps

Output: per row, the median Mpps (per second of forwarding CPU) of each
driver over its trials and their min-max; "ratio" is median A / median B
over every trial kept; "paired" compares the drivers within trials: together,
the median over couples of trials (which swapped places) of the geometric
mean of their two A/B; sequential, the median of A/B over the pairs whose
core-to-core readings agree ("pairs": those / all); "c2c A/B" is the median
round trip in ns of each driver's readings. The last line says whether every
"ratio" is >= 1.0. Exit code 0, or 1 if a trial failed, 2 on bad usage.
EOF
}

die() {
	echo "bench: $*" >&2
	exit 2
}

# ---- options -------------------------------------------------------------

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
# One trial (its testpmd processes and what they count), the core-to-core
# control, and the statistics of the report: each in its own file.
# shellcheck source=bench/lib/trial.sh
. "$here/lib/trial.sh"
# shellcheck source=bench/lib/c2c.sh
. "$here/lib/c2c.sh"
# shellcheck source=bench/lib/report.sh
. "$here/lib/report.sh"

# 12 rows x 6 trials x (2 s + 1 s warm-up + ~2.5 s start and stop), both
# drivers at once, keeps the default run under 10 minutes. Within a trial the
# count is exact (millions of packets over nanoseconds of CPU); the spread comes from
# one trial to the next, so trials are worth more than longer intervals.
duration=2
warmup=1
trials=6
rows_arg=
driver="$top/build/drivers/net/virtio_pmd/librte_net_vpmd.so"
json=
kind_a=vpmd
kind_b=virtio_user
queue_size=256
simd_bits=
mrg_rxbuf=1
in_order=1
vpmd_args=
vu_args=
tx_first=8
max_foreign=5
# A txonly forwarding thread busy this much of its run time never waited
# for the device: the backend set the rate (the report says so, per row).
saturation_pct=97
c2c="$top/build/bench/c2c_latency"
c2c_tol=35
retries=2
together=1
quiet_wait=120
keep_logs=
verbose=0

while [ $# -gt 0 ]; do
	case "$1" in
	--duration) duration=${2:?}; shift 2 ;;
	--warmup) warmup=${2:?}; shift 2 ;;
	--trials) trials=${2:?}; shift 2 ;;
	--rows) rows_arg=${2:?}; shift 2 ;;
	--driver) driver=${2:?}; shift 2 ;;
	--json) json=${2:?}; shift 2 ;;
	--quick) trials=1; duration=2; warmup=0.5; shift ;;
	--a) kind_a=${2:?}; shift 2 ;;
	--b) kind_b=${2:?}; shift 2 ;;
	--queue-size) queue_size=${2:?}; shift 2 ;;
	--simd-bits) simd_bits=${2:?}; shift 2 ;;
	--mrg-rxbuf) mrg_rxbuf=${2:?}; shift 2 ;;
	--in-order) in_order=${2:?}; shift 2 ;;
	--vpmd-args) vpmd_args=$2; shift 2 ;;
	--vu-args) vu_args=$2; shift 2 ;;
	--tx-first) tx_first=${2:?}; shift 2 ;;
	--max-other-cpu) max_foreign=${2:?}; shift 2 ;;
	--c2c) c2c=${2:?}; shift 2 ;;
	--c2c-tolerance) c2c_tol=${2:?}; shift 2 ;;
	--retries) retries=${2:?}; shift 2 ;;
	--sequential) together=0; shift ;;
	--quiet-wait) quiet_wait=${2:?}; shift 2 ;;
	--keep-logs) keep_logs=${2:?}; shift 2 ;;
	-v | --verbose) verbose=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown option '$1'" ;;
	esac
done

isnum() { [[ $1 =~ ^[0-9]+([.][0-9]+)?$ ]]; }
if ! isnum "$duration" || [ "$(awk -v d="$duration" 'BEGIN{print (d > 0)}')" != 1 ]; then
	die "--duration wants a positive number of seconds"
fi
isnum "$warmup" || die "--warmup wants a number of seconds"
[[ $trials =~ ^[1-9][0-9]*$ ]] || die "--trials wants a positive integer"
[[ $queue_size =~ ^[1-9][0-9]*$ ]] || die "--queue-size wants a positive integer"
[[ -z $simd_bits || $simd_bits =~ ^(64|128|256|512)$ ]] || die "--simd-bits wants 64, 128, 256 or 512"
[[ $mrg_rxbuf =~ ^[01]$ ]] || die "--mrg-rxbuf wants 0 or 1"
[[ $in_order =~ ^[01]$ ]] || die "--in-order wants 0 or 1"
[[ $tx_first =~ ^[1-9][0-9]*$ ]] || die "--tx-first wants a positive integer"
isnum "$max_foreign" || die "--max-other-cpu wants a percentage"
isnum "$c2c_tol" || die "--c2c-tolerance wants a percentage"
[[ $retries =~ ^[0-9]+$ ]] || die "--retries wants a number"
[[ $quiet_wait =~ ^[0-9]+$ ]] || die "--quiet-wait wants a number of seconds"
for k in "$kind_a" "$kind_b"; do
	case "$k" in vpmd | virtio_user | virtio_user_vec) ;; *) die "unknown driver kind '$k'" ;; esac
done

command -v dpdk-testpmd >/dev/null || die "dpdk-testpmd not found (Debian package dpdk-dev)"
command -v stdbuf >/dev/null || die "stdbuf not found (coreutils)"
[ "$(id -u)" = 0 ] || die "run as root (DPDK needs /var/run/dpdk and the vhost-user socket)"

# All rows, in the order they are printed.
all_rows=()
for layout in split packed; do
	for size in 64 1518; do
		for mode in io txonly rxonly; do
			all_rows+=("$layout-$size-$mode")
		done
	done
done

rows=()
if [ -z "$rows_arg" ]; then
	rows=("${all_rows[@]}")
else
	IFS=, read -r -a pats <<<"$rows_arg"
	for r in "${all_rows[@]}"; do
		for p in "${pats[@]}"; do
			# shellcheck disable=SC2053 # the pattern is meant to glob
			if [[ $r == $p ]]; then
				rows+=("$r")
				break
			fi
		done
	done
	[ ${#rows[@]} -gt 0 ] || die "--rows '$rows_arg' matches none of: ${all_rows[*]}"
fi

# The vpmd .so. EAL refuses -d PATH below a world-writable directory (a
# clone under /tmp), so frontends load it by name from LD_LIBRARY_PATH.
vpmd_missing=0
if [ "$kind_a" = vpmd ] || [ "$kind_b" = vpmd ]; then
	if [ -f "$driver" ]; then
		driver=$(realpath "$driver")
		LD_LIBRARY_PATH="$(dirname "$driver")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
		export LD_LIBRARY_PATH
	else
		vpmd_missing=1
		echo "bench: vpmd is missing: no $driver (build it first); running virtio_user only" >&2
	fi
fi

# Sides to run: A then B, dropping vpmd when it is not built.
sides=()
for s in A B; do
	k=$kind_a
	[ "$s" = B ] && k=$kind_b
	[ "$k" = vpmd ] && [ "$vpmd_missing" = 1 ] && continue
	sides+=("$s")
done
[ ${#sides[@]} -gt 0 ] || die "nothing to run"
[ ${#sides[@]} = 2 ] || together=0

kind_of() { if [ "$1" = A ]; then echo "$kind_a"; else echo "$kind_b"; fi; }

# ---- process bookkeeping (the trials themselves: bench/lib/trial.sh) ------

workdir=$(mktemp -d "${TMPDIR:-/tmp}/vpmd-bench.XXXXXX")
chmod 700 "$workdir"
pids=()       # testpmd processes of the current trial
prefixes=()   # EAL file prefixes of the current trial
fds=()        # FIFO write ends of the current trial

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	reap
	if [ -n "$keep_logs" ]; then
		mkdir -p "$keep_logs"
		cp "$workdir"/*.log "$keep_logs"/ 2>/dev/null || true
	fi
	rm -rf "$workdir"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- the runs --------------------------------------------------------------

declare -A vals   # "row side" -> space-separated Mpps of each trial
declare -A rawrx rawtx berx betx foreign
declare -A cycles # "row side" -> busy cycles per packet of each trial ("-": none)
declare -A busy   # "row side" -> % of the forwarding thread's run time busy, each trial
declare -A cpairs # row -> A/B cycles per packet of each trial where both have them
declare -A c2cb c2ca # "row side" -> round trips before and after each trial, ns
declare -A pairs  # row -> A/B of each trial whose A and B both ran
declare -A pair_ok # row -> for each of those: true (readings agree), false, - (none)
# side -> this attempt's Mpps, rates, other CPU and readings of the trial
declare -A cur_mpps cur_rx cur_tx cur_brx cur_btx cur_foreign cur_c2cb cur_c2ca cur_cyc cur_busy

n_runs=$(( ${#rows[@]} * trials * (together ? 1 : ${#sides[@]}) ))
est=$(awk -v n="$n_runs" -v d="$duration" -v w="$warmup" 'BEGIN{printf "%d", n * (d + w + 2.5) / 60 + 1}')
echo "bench: ${#rows[@]} rows x $trials trials x ${#sides[@]} drivers$([ "$together" = 1 ] && echo " together"), ${duration}s each after ${warmup}s warm-up (about $est min)" >&2
echo "bench: A=$kind_a B=$kind_b queue_size=$queue_size mrg_rxbuf=$mrg_rxbuf in_order=$in_order${simd_bits:+ simd_bits=$simd_bits}" >&2
if [ "$together" = 1 ]; then
	echo "bench: A and B run together, their frontends time-sliced on one core (--sequential: one after the other)" >&2
fi

# Another dpdk-testpmd on this 2-core machine takes a core from the trial.
others_running() {
	local pid mine
	for pid in $(pgrep -x dpdk-testpmd || true); do
		mine=0
		for p in "${pids[@]}"; do [ "$p" = "$pid" ] && mine=1; done
		[ "$mine" = 0 ] && return 0
	done
	return 1
}
if others_running; then
	echo "bench: warning: other dpdk-testpmd processes are running; numbers may be disturbed" >&2
fi

# Percent of the machine's CPU busy over half a second.
busy_now() {
	local a b
	a=$(cpu_sample)
	sleep 0.5
	b=$(cpu_sample)
	foreign_cpu "$a" "$b"
}

# Waits until no other dpdk-testpmd runs, for at most $quiet_wait seconds;
# with "idle", also until the machine is nearly idle (used before a rerun).
wait_quiet() {
	local what=$1 i said=0
	for i in $(seq "$quiet_wait"); do
		if ! others_running; then
			[ "$what" != idle ] && return 0
			awk -v b="$(busy_now)" -v m="$max_foreign" 'BEGIN{exit !(b <= m)}' && return 0
		fi
		if [ "$said" = 0 ]; then
			echo "bench: waiting up to ${quiet_wait}s for other work to end" >&2
			said=1
		fi
		sleep 1
	done
}

if [ -x "$c2c" ]; then
	c2c=$(realpath "$c2c")
	c2c_ok=1
	c2c_sample
	if [ "$c2c_ok" = 1 ] && [ "$together" = 1 ]; then
		echo "bench: core-to-core round trip now $c2c_ns ns (CPUs $fwd_cpus); recorded, as a move hits A and B alike" >&2
	elif [ "$c2c_ok" = 1 ]; then
		echo "bench: core-to-core round trip now $c2c_ns ns (CPUs $fwd_cpus); a pair whose readings differ by over ${c2c_tol}% is rerun" >&2
	fi
else
	c2c_off "no $c2c (ninja -C build builds it)"
fi

sides_txt="${sides[*]}"

wait_quiet testpmd
measure_floor
if [ -n "$floor_cycles" ]; then
	echo "bench: floor: testpmd io on net_null costs $floor_cycles cycles/packet here" >&2
fi

# Succeeds if $1 > $2 (decimals).
gt() { awk -v a="$1" -v b="$2" 'BEGIN{exit !(a > b)}'; }

# Takes frontend I of the trial just run as side S of the current attempt.
record_side() {
	local s=$1 i=$2 rx tx brx btx pps mpps again c2c_v
	read -r rx tx <<<"${trial_rates[$i]}"
	read -r brx btx <<<"${trial_be_rates[$i]}"
	if [ "$mode" = txonly ]; then pps=$tx; else pps=$rx; fi
	mpps=$(awk -v p="$pps" 'BEGIN{printf "%.3f", p / 1e6}')
	cur_mpps[$s]=$mpps cur_rx[$s]=$rx cur_tx[$s]=$tx cur_cyc[$s]=${trial_cycles[$i]:--}
	cur_busy[$s]=${trial_busy[$i]:--}
	cur_brx[$s]=$brx cur_btx[$s]=$btx cur_foreign[$s]=$trial_foreign
	cur_c2cb[$s]=$trial_c2c_before cur_c2ca[$s]=$trial_c2c_after
	if [ "$verbose" = 1 ]; then
		again=
		[ "$attempt" -gt 0 ] && again=" (rerun $attempt)"
		c2c_v=
		[ "$trial_c2c_before$trial_c2c_after" != -- ] &&
			c2c_v="; c2c $trial_c2c_before->$trial_c2c_after ns"
		echo "bench: $row $s($(kind_of "$s")) trial $t$again: $mpps Mpps, ${cur_cyc[$s]} cycles/packet, busy ${cur_busy[$s]}% (frontend rx $rx tx $tx, backend rx $brx tx $btx pps; other CPU ${trial_foreign}%$c2c_v)" >&2
	fi
}

failures=0
disturbed=0  # side trials kept although other work took CPU
straddled=0  # pairs kept although the core-to-core latency moved
retried_cpu=0
retried_c2c=0
for row in "${rows[@]}"; do
	mode=${row##*-}
	for t in $(seq "$trials"); do
		# A and B of a trial run back to back and are judged together: a
		# rerun reruns both, so they stay back to back, and neither side
		# is rerun more often than the other.
		attempt=0
		while :; do
			cur_mpps=() cur_rx=() cur_tx=() cur_brx=() cur_btx=() cur_foreign=() cur_cyc=() cur_busy=()
			cur_c2cb=() cur_c2ca=()
			failed=0
			if [ "$attempt" = 0 ]; then wait_quiet testpmd; else wait_quiet idle; fi
			if [ "$together" = 1 ]; then
				# Both frontends in one trial. They swap places (backend
				# port, start order) from one trial to the next: the
				# first place runs a few per cent faster in some rows,
				# whichever the driver.
				first=A second=B
				[ $((t % 2)) = 0 ] && first=B second=A
				if run_trial "$row" "$(kind_of $first)" "$(kind_of $second)"; then
					record_side $first 0
					record_side $second 1
				else
					failures=$((failures + 1))
					failed=1
					echo "bench: $row trial $t failed" >&2
				fi
			else
				for s in "${sides[@]}"; do
					k=$(kind_of "$s")
					[ "$s" != "${sides[0]}" ] && wait_quiet testpmd
					if ! run_trial "$row" "$k"; then
						failures=$((failures + 1))
						failed=1
						echo "bench: $row $s($k) trial $t failed" >&2
						continue
					fi
					record_side "$s" 0
				done
			fi

			# What disturbed this attempt: other work on the CPUs, or a
			# move of the cores between or during the trials, seen as
			# readings that disagree.
			why=
			cpu_bad=0
			readings=
			c2c_txt=
			c2c_all=1 # every side that ran has both readings
			for s in "${sides[@]}"; do
				[ -n "${cur_mpps[$s]:-}" ] || continue
				if gt "${cur_foreign[$s]}" "$max_foreign"; then
					cpu_bad=1
					why+="${why:+; }$s($(kind_of "$s")): ${cur_foreign[$s]}% of the CPU went elsewhere"
				fi
				readings+="${cur_c2cb[$s]} ${cur_c2ca[$s]} "
				[ "${cur_c2cb[$s]}" = - ] || [ "${cur_c2ca[$s]}" = - ] && c2c_all=0
				c2c_txt+="${c2c_txt:+, }$s ${cur_c2cb[$s]}->${cur_c2ca[$s]}"
			done
			spread=$(c2c_spread "$readings")
			c2c_bad=0
			# Together, a move hits both drivers at the same moments.
			if [ "$together" = 0 ] && [ -n "$spread" ] && gt "$spread" "$c2c_tol"; then
				c2c_bad=1
				why+="${why:+; }core-to-core round trip ($c2c_txt ns) differs by ${spread}%"
			fi
			if [ -n "$why" ] && [ "$failed" = 0 ] && [ "$attempt" -lt "$retries" ]; then
				attempt=$((attempt + 1))
				[ "$cpu_bad" = 1 ] && retried_cpu=$((retried_cpu + 1))
				[ "$c2c_bad" = 1 ] && retried_c2c=$((retried_c2c + 1))
				echo "bench: $row trial $t: $why; rerunning ${sides_txt// / and }" >&2
				continue
			fi
			for s in "${sides[@]}"; do
				[ -n "${cur_mpps[$s]:-}" ] || continue
				if gt "${cur_foreign[$s]}" "$max_foreign"; then
					disturbed=$((disturbed + 1))
					echo "bench: $row $s($(kind_of "$s")) trial $t: ${cur_foreign[$s]}% of the CPU went elsewhere; kept, flagged" >&2
				fi
				vals["$row $s"]+="${cur_mpps[$s]} "
				rawrx["$row $s"]+="${cur_rx[$s]} "
				cycles["$row $s"]+="${cur_cyc[$s]} "
				busy["$row $s"]+="${cur_busy[$s]} "
				rawtx["$row $s"]+="${cur_tx[$s]} "
				berx["$row $s"]+="${cur_brx[$s]} "
				betx["$row $s"]+="${cur_btx[$s]} "
				foreign["$row $s"]+="${cur_foreign[$s]} "
				c2cb["$row $s"]+="${cur_c2cb[$s]} "
				c2ca["$row $s"]+="${cur_c2ca[$s]} "
			done
			if [ "$c2c_bad" = 1 ]; then
				straddled=$((straddled + 1))
				echo "bench: $row trial $t: core-to-core round trip ($c2c_txt ns) differs by ${spread}%; kept, flagged, not in \"paired\"" >&2
			fi
			# A and B of one trial ran back to back; with readings that
			# agree, at one placement of the cores too.
			if [ -n "${cur_mpps[A]:-}" ] && [ -n "${cur_mpps[B]:-}" ]; then
				pairs["$row"]+="$(awk -v a="${cur_mpps[A]}" -v b="${cur_mpps[B]}" \
					'BEGIN{if (b > 0) printf "%.3f", a / b; else print "-"}') "
				if [ "${cur_cyc[A]}" != - ] && [ "${cur_cyc[B]}" != - ]; then
					cpairs["$row"]+="$(awk -v a="${cur_cyc[A]}" -v b="${cur_cyc[B]}" \
						'BEGIN{if (b > 0) printf "%.3f", a / b}') "
				fi
				if [ "$c2c_bad" = 1 ]; then
					pair_ok["$row"]+="false "
				elif [ "$c2c_all" = 1 ] || [ "$together" = 1 ]; then
					pair_ok["$row"]+="true "
				else
					pair_ok["$row"]+="- "
				fi
			elif [ "$together" = 1 ]; then
				# Keeps trial t at place t, for the couples of swapped places.
				pairs["$row"]+="- "
				pair_ok["$row"]+="- "
			fi
			break
		done
	done
done

# ---- the report ------------------------------------------------------------

label_a="$kind_a"
label_b="$kind_b"
if [ "$kind_a" = "$kind_b" ]; then
	label_a="A:$kind_a"
	label_b="B:$kind_b"
fi

echo
printf '%-18s %9s %15s   %9s %15s   %6s %7s %5s %9s\n' "row (Mpps)" "$label_a" "min-max" "$label_b" "min-max" "ratio" "paired" "pairs" "c2c A/B"
all_ok=1
any_ratio=0
json_rows=()
for row in "${rows[@]}"; do
	read -r ma lo_a hi_a <<<"$(stats "${vals["$row A"]:-}")"
	read -r mb lo_b hi_b <<<"$(stats "${vals["$row B"]:-}")"
	if [ "$ma" = - ] && [ "$kind_a" = vpmd ] && [ "$vpmd_missing" = 1 ]; then
		a_txt="missing"
		a_rng=""
	elif [ "$ma" = - ]; then
		a_txt="failed"
		a_rng=""
	else
		a_txt=$ma
		a_rng="$lo_a-$hi_a"
	fi
	if [ "$mb" = - ] && [ "$kind_b" = vpmd ] && [ "$vpmd_missing" = 1 ]; then
		b_txt="missing"
		b_rng=""
	elif [ "$mb" = - ]; then
		b_txt="failed"
		b_rng=""
	else
		b_txt=$mb
		b_rng="$lo_b-$hi_b"
	fi
	if [ "$ma" != - ] && [ "$mb" != - ] && awk -v b="$mb" 'BEGIN{exit !(b > 0)}'; then
		ratio=$(awk -v a="$ma" -v b="$mb" 'BEGIN{printf "%.3f", a / b}')
		any_ratio=1
		awk -v r="$ratio" 'BEGIN{exit !(r < 1.0)}' && all_ok=0
	else
		ratio="-"
		all_ok=0
	fi
	used=$(paired_used "$row")
	read -r pmed _ _ <<<"$(stats "$used")"
	n_used=$(paired_count "$row")
	n_pairs=$(echo "${pairs["$row"]:-}" | wc -w)
	c2c_a=$(c2c_median "$row" A)
	c2c_b=$(c2c_median "$row" B)
	printf '%-18s %9s %15s   %9s %15s   %6s %7s %5s %9s\n' "$row" "$a_txt" "$a_rng" "$b_txt" "$b_rng" \
		"$ratio" "$pmed" "$n_used/$n_pairs" "$c2c_a/$c2c_b"

	json_rows+=("$(printf '    {"row": "%s", "layout": "%s", "size": %s, "mode": "%s",\n     "a": %s,\n     "b": %s,\n     "ratio": %s, "paired_ratios": %s, "paired_matched": %s, "paired_ratio_median": %s, "pairs_in_paired": %s,\n     "cycles_ratio": %s, "cycles_paired_ratios": %s, "cycles_paired_median": %s}' \
		"$row" "${row%%-*}" "$(echo "$row" | cut -d- -f2)" "${row##*-}" \
		"$(json_side "$row" A "$ma" "$lo_a" "$hi_a")" \
		"$(json_side "$row" B "$mb" "$lo_b" "$hi_b")" "$(jn "$ratio")" \
		"$(jl "${pairs["$row"]:-}")" "$(jl "${pair_ok["$row"]:-}")" "$(jn "$pmed")" "$n_used" \
		"$(jn "$(cycles_ratio "$row")")" "$(jl "${cpairs["$row"]:-}")" \
		"$(jn "$(stats "${cpairs["$row"]:-}" | cut -d' ' -f1)")")")
done

# The driver's own cost: busy cycles per packet of each frontend's
# forwarding lcore, lower is better; "ratio" A / B of the medians,
# "paired" the median of A / B within each trial; "busy%" the median share
# of each forwarding thread's run time that those cycles are.
echo
printf '%-18s %9s %15s   %9s %15s   %6s %7s  %s\n' "row (cycles/pkt)" "$label_a" "min-max" "$label_b" "min-max" "ratio" "paired" "busy% A/B"
saturated=()
for row in "${rows[@]}"; do
	read -r ca lo_a hi_a <<<"$(stats "$(cycles_of "$row" A)")"
	read -r cb lo_b hi_b <<<"$(stats "$(cycles_of "$row" B)")"
	read -r cpmed _ _ <<<"$(stats "${cpairs["$row"]:-}")"
	ba=$(busy_median "$row" A) bb=$(busy_median "$row" B)
	printf '%-18s %9s %15s   %9s %15s   %6s %7s  %s\n' "$row" "$(one_decimal "$ca")" \
		"$(one_decimal "$lo_a")-$(one_decimal "$hi_a")" "$(one_decimal "$cb")" \
		"$(one_decimal "$lo_b")-$(one_decimal "$hi_b")" "$(cycles_ratio "$row")" "$cpmed" "$ba/$bb"
	# Only txonly counts the polls that moved nothing (a full ring): in io
	# and rxonly a thread busy all the time is itself what sets the rate.
	if [ "${row##*-}" = txonly ] && [ "$ba" != - ] && [ "$bb" != - ] &&
		! gt "$saturation_pct" "$ba" && ! gt "$saturation_pct" "$bb"; then
		saturated+=("$row")
	fi
done
if [ "${#saturated[@]}" -gt 0 ]; then
	echo "saturated: ${saturated[*]}: both frontends busy >= ${saturation_pct}% of their run time;"
	echo "  the backend set the rate, and cycles/pkt there is the clock over it: its ratio is"
	echo "  about 1 / the Mpps ratio, whatever the drivers cost (doc/bench.md, \"Saturated rows\")"
fi
[ -n "$floor_cycles" ] && echo "floor: testpmd io on net_null, $floor_cycles cycles/packet"

echo
if [ "$any_ratio" = 0 ]; then
	if [ "$vpmd_missing" = 1 ]; then
		verdict="no ratio: vpmd is missing ($driver)"
	else
		verdict="no ratio: trials failed"
	fi
elif [ "$all_ok" = 1 ]; then
	verdict="every ratio $label_a/$label_b >= 1.0: yes"
else
	verdict="every ratio $label_a/$label_b >= 1.0: NO"
fi
[ "$failures" -gt 0 ] && echo "bench: $failures trial(s) failed" >&2
[ "$retried_cpu" -gt 0 ] && echo "bench: $retried_cpu pair(s) rerun because other work took CPU" >&2
[ "$retried_c2c" -gt 0 ] &&
	echo "bench: $retried_c2c pair(s) rerun because the core-to-core round trip moved (over ${c2c_tol}%)" >&2
[ "$disturbed" -gt 0 ] &&
	echo "bench: warning: $disturbed trial(s) kept although other work took over ${max_foreign}% of the CPU; rerun when the machine is quiet" >&2
[ "$straddled" -gt 0 ] &&
	echo "bench: warning: $straddled pair(s) kept although the core-to-core round trip moved; they count in the medians and \"ratio\", not in \"paired\"" >&2

if [ -n "$json" ]; then
	{
		echo "{"
		printf '  "a": "%s", "b": "%s", "vpmd_missing": %s, "driver": "%s",\n' \
			"$kind_a" "$kind_b" "$([ "$vpmd_missing" = 1 ] && echo true || echo false)" "$driver"
		printf '  "duration_s": %s, "warmup_s": %s, "trials": %s, "queue_size": %s, "mrg_rxbuf": %s, "in_order": %s, "tx_first": %s,\n' \
			"$duration" "$warmup" "$trials" "$queue_size" "$mrg_rxbuf" "$in_order" "$tx_first"
		printf '  "simd_bits": %s, "floor_cycles_per_packet": %s,\n' "${simd_bits:-null}" "$(jn "${floor_cycles:--}")"
		printf '  "failures": %s, "disturbed_trials": %s, "all_ratios_ge_1": %s,\n' "$failures" "$disturbed" \
			"$([ "$any_ratio" = 1 ] && [ "$all_ok" = 1 ] && echo true || echo false)"
		printf '  "c2c_program": %s, "c2c_controlled": %s, "c2c_cpus": [%s], "c2c_tolerance_pct": %s,\n' \
			"$([ "$c2c_used" = 1 ] && echo "\"$c2c\"" || echo null)" \
			"$([ "$c2c_used" = 1 ] && [ "$c2c_ok" = 1 ] && echo true || echo false)" "$fwd_cpus" "$c2c_tol"
		printf '  "pairs_rerun_cpu": %s, "pairs_rerun_c2c": %s, "straddled_pairs": %s, "retries": %s,\n' \
			"$retried_cpu" "$retried_c2c" "$straddled" "$retries"
		echo '  "rows": ['
		for i in "${!json_rows[@]}"; do
			sep=,
			[ "$i" = $((${#json_rows[@]} - 1)) ] && sep=
			echo "${json_rows[$i]}$sep"
		done
		echo '  ]'
		echo "}"
	} >"$json"
fi

echo "$verdict"
# The ratios are the result, not the exit code; a failed trial is.
[ "$failures" = 0 ]
