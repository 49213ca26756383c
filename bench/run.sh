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
  --a KIND          driver in column A: vpmd | virtio_user (default vpmd)
  --b KIND          driver in column B: vpmd | virtio_user (default virtio_user)
                    (--a virtio_user validates the method: ratios near 1.0)
  --queue-size N    queue_size devarg for both drivers (default 256)
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
mrg_rxbuf=1
in_order=1
vpmd_args=
vu_args=
tx_first=8
max_foreign=5
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
[[ $mrg_rxbuf =~ ^[01]$ ]] || die "--mrg-rxbuf wants 0 or 1"
[[ $in_order =~ ^[01]$ ]] || die "--in-order wants 0 or 1"
[[ $tx_first =~ ^[1-9][0-9]*$ ]] || die "--tx-first wants a positive integer"
isnum "$max_foreign" || die "--max-other-cpu wants a percentage"
isnum "$c2c_tol" || die "--c2c-tolerance wants a percentage"
[[ $retries =~ ^[0-9]+$ ]] || die "--retries wants a number"
[[ $quiet_wait =~ ^[0-9]+$ ]] || die "--quiet-wait wants a number of seconds"
for k in "$kind_a" "$kind_b"; do
	case "$k" in vpmd | virtio_user) ;; *) die "unknown driver kind '$k'" ;; esac
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

# The vpmd .so: testpmd refuses -d under a world-writable directory, so pass
# the absolute path of the build tree's file.
vpmd_missing=0
if [ "$kind_a" = vpmd ] || [ "$kind_b" = vpmd ]; then
	if [ -f "$driver" ]; then
		driver=$(realpath "$driver")
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

# ---- process bookkeeping -------------------------------------------------

workdir=$(mktemp -d "${TMPDIR:-/tmp}/vpmd-bench.XXXXXX")
chmod 700 "$workdir"
pids=()       # testpmd processes of the current trial
prefixes=()   # EAL file prefixes of the current trial
fds=()        # FIFO write ends of the current trial

close_fds() {
	local fd
	for fd in "${fds[@]}"; do
		# (no other redirection here: exec would keep it for the shell)
		exec {fd}>&-
	done
	fds=()
}

# Ends the current trial's processes: ask nicely (EOF on stdin makes testpmd
# quit), then TERM, then KILL, by PID only.
reap() {
	local pid i
	close_fds
	for pid in "${pids[@]}"; do
		for i in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null || true
			for i in $(seq 20); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
			kill -KILL "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	done
	pids=()
	for p in "${prefixes[@]}"; do
		[ -n "$p" ] && rm -rf "/var/run/dpdk/$p"
	done
	prefixes=()
}

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

# Waits until FILE contains STRING, for at most SECS; fails if PID dies.
wait_for() {
	local file=$1 string=$2 secs=$3 pid=$4 i
	for i in $(seq $((secs * 20))); do
		grep -qF -- "$string" "$file" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# Starts dpdk-testpmd in interactive mode with its stdin on a FIFO; sets
# $started_pid and $started_fd (the FIFO's write end).
start_testpmd() {
	local name=$1 log=$2
	shift 2
	local fifo="$workdir/$name.in"
	mkfifo "$fifo"
	# stdbuf: testpmd prints through stdio; line buffering keeps the log
	# current while the process runs.
	stdbuf -oL -eL dpdk-testpmd "$@" <"$fifo" >"$log" 2>&1 &
	started_pid=$!
	pids+=("$started_pid")
	exec {started_fd}>"$fifo"
	fds+=("$started_fd")
	rm -f "$fifo"
}

# The frontend's devargs for KIND on SOCK.
frontend_vdev() {
	local kind=$1 sock=$2 packed=$3 extra
	local common="path=$sock,queues=1,packed_vq=$packed,queue_size=$queue_size"
	common+=",mrg_rxbuf=$mrg_rxbuf,in_order=$in_order"
	if [ "$kind" = vpmd ]; then
		extra=$vpmd_args
		echo "net_vpmd0,$common${extra:+,$extra}"
	else
		extra=$vu_args
		echo "net_virtio_user0,$common${extra:+,$extra}"
	fi
}

# The CPUs of the two forwarding lcores: the backend's main lcore is 0, so it
# forwards on 1; the frontend's is 1, so it forwards on 0.
fwd_cpus=0,1

# Nanoseconds the forwarding thread of testpmd PID has run (schedstat's first
# field): testpmd's one forwarding lcore is its thread "rte-worker-N".
fwd_cpu_ns() {
	local t
	for t in /proc/"$1"/task/*; do
		case "$(cat "$t/comm" 2>/dev/null)" in
		rte-worker-*) awk '{ print $1; exit }' "$t/schedstat" 2>/dev/null && return 0 ;;
		esac
	done
	return 1
}

# The port 0 counters of the first two "show port stats 0" in a frontend's
# log: "RX1 TX1 RX2 TX2" packets.
show_counts() {
	awk '
		/NIC statistics for port/ { n++; inblk = 1 }
		inblk && /RX-packets:/ { rx[n] = $2 }
		inblk && /TX-packets:/ { tx[n] = $2 }
		/Throughput/ { inblk = 0 }
		END { if (n >= 2) print rx[1], tx[1], rx[2], tx[2] }' "$1"
}

# The backend's own rate on port P over the interval: "RXPPS TXPPS" from the
# last Throughput block of that port (only a cross-check), or "null null".
backend_rates() {
	awk -v want="$2" '
		/NIC statistics for port/ { port = $(NF - 1) + 0; inblk = (port == want) }
		inblk && /Rx-pps:/ { rx = $2 }
		inblk && /Tx-pps:/ { tx = $2; got = 1 }
		END { if (got) print rx, tx; else print "null null" }' "$1"
}

# One trial of ROW with the frontends KIND... at once: one net_vhost backend
# port per frontend, each frontend its own testpmd forwarding on CPU 0, so
# two frontends share that core, time-sliced by the kernel, at the same
# moments of the host's placement and load (see "Together" in doc/bench.md).
# For frontend i it sets trial_rates[i] to "RXPPS TXPPS": packets counted by
# its port over the interval, per second its forwarding thread ran; and
# trial_be_rates[i] to the backend's rate on that frontend's port. Sets
# $trial_c2c_before and $trial_c2c_after to the core-to-core round trip
# before the first testpmd starts and after the last has ended, and
# $trial_foreign, or fails. Runs in the main shell (not in $(...)) so that
# the EXIT trap knows its processes.
seq_no=0
run_trial() {
	local row=$1
	shift
	local kinds=("$@")
	local layout=${row%%-*} rest=${row#*-}
	local size=${rest%%-*} mode=${rest#*-}
	local packed=0 fe_mode be_mode i
	[ "$layout" = packed ] && packed=1
	case "$mode" in
	io) fe_mode=io; be_mode=io ;;
	txonly) fe_mode=txonly; be_mode=rxonly ;;
	rxonly) fe_mode=rxonly; be_mode=txonly ;;
	esac

	seq_no=$((seq_no + 1))
	local tag
	tag=$(printf 'vpmdb%d-%03d' $$ "$seq_no")
	local be_log="$workdir/$tag-$row-backend.log"
	local be_prefix="$tag-be"
	local common_eal=(--no-huge -m 1024 --no-pci)
	local common_app=(-i --no-mlockall --total-num-mbufs=16384 "--txpkts=$size")
	local be_fd be_pid vdevs=() fe_logs=() fe_pids=() fe_fds=() cpu_a=() cpu_b=()

	trial_rates=() trial_be_rates=()
	c2c_sample
	trial_c2c_before=$c2c_ns
	trial_c2c_after=-

	for i in "${!kinds[@]}"; do
		vdevs+=(--vdev "net_vhost$i,iface=$workdir/$tag-$i.sock,queues=1")
	done
	prefixes+=("$be_prefix")
	# --port-topology=loop: each backend port forwards to itself.
	start_testpmd "$tag-be" "$be_log" -l 0,1 --main-lcore 0 "${common_eal[@]}" \
		"--file-prefix=$be_prefix" "${vdevs[@]}" -- \
		"${common_app[@]}" --port-topology=loop "--forward-mode=$be_mode"
	be_pid=$started_pid be_fd=$started_fd
	if ! wait_for "$be_log" "testpmd> " 30 "$be_pid"; then
		trial_error "backend did not start" "$be_log"
		return 1
	fi

	for i in "${!kinds[@]}"; do
		local fe_eal=() fe_log="$workdir/$tag-$row-${kinds[$i]}-$i-frontend.log"
		[ "${kinds[$i]}" = vpmd ] && fe_eal=(-d "$driver")
		prefixes+=("$tag-fe$i")
		start_testpmd "$tag-fe$i" "$fe_log" -l 0,1 --main-lcore 1 "${common_eal[@]}" \
			"${fe_eal[@]}" "--file-prefix=$tag-fe$i" \
			--vdev "$(frontend_vdev "${kinds[$i]}" "$workdir/$tag-$i.sock" "$packed")" -- \
			"${common_app[@]}" "--forward-mode=$fe_mode"
		fe_pids+=("$started_pid") fe_fds+=("$started_fd") fe_logs+=("$fe_log")
		if ! wait_for "$fe_log" "testpmd> " 30 "$started_pid"; then
			trial_error "frontend did not start" "$fe_log"
			return 1
		fi
	done

	# The backend forwards first so that nothing the frontends seed is lost.
	echo "start" >&"$be_fd"
	for i in "${!kinds[@]}"; do
		if [ "$mode" = io ]; then
			echo "start tx_first $tx_first" >&"${fe_fds[$i]}"
		else
			echo "start" >&"${fe_fds[$i]}"
		fi
	done
	sleep "$warmup"
	# Each frontend's counters are read as close as may be to its
	# thread's CPU time; the backend's Throughput is only a cross-check.
	local cpu0
	cpu0=$(cpu_sample "$be_pid" "${fe_pids[@]}")
	for i in "${!kinds[@]}"; do
		echo "show port stats 0" >&"${fe_fds[$i]}"
		cpu_a[i]=$(fwd_cpu_ns "${fe_pids[$i]}") || cpu_a[i]=
	done
	echo "show port stats all" >&"$be_fd"
	sleep "$duration"
	for i in "${!kinds[@]}"; do
		echo "show port stats 0" >&"${fe_fds[$i]}"
		cpu_b[i]=$(fwd_cpu_ns "${fe_pids[$i]}") || cpu_b[i]=
	done
	echo "show port stats all" >&"$be_fd"
	trial_foreign=$(foreign_cpu "$cpu0" "$(cpu_sample "$be_pid" "${fe_pids[@]}")")
	for i in "${!kinds[@]}"; do
		echo "stop" >&"${fe_fds[$i]}"
		echo "quit" >&"${fe_fds[$i]}"
	done
	echo "stop" >&"$be_fd"
	echo "quit" >&"$be_fd"
	reap
	c2c_sample
	trial_c2c_after=$c2c_ns

	for i in "${!kinds[@]}"; do
		local counts
		counts=$(show_counts "${fe_logs[$i]}")
		if [ -z "$counts" ] || [ -z "${cpu_a[i]}" ] || [ -z "${cpu_b[i]}" ]; then
			trial_error "no counters or no forwarding thread in the frontend" "${fe_logs[$i]}"
			return 1
		fi
		trial_rates[i]=$(echo "$counts" | awk -v ns=$((cpu_b[i] - cpu_a[i])) \
			'{ if (ns <= 0) exit 1; printf "%.0f %.0f\n", ($3 - $1) * 1e9 / ns, ($4 - $2) * 1e9 / ns }') || {
			trial_error "the frontend's forwarding thread did not run" "${fe_logs[$i]}"
			return 1
		}
		trial_be_rates[i]=$(backend_rates "$be_log" "$i")
	done
}

# CPU time of the whole machine and of the processes given, in clock ticks:
# "BUSY TOTAL OURS".
cpu_sample() {
	local ours=0 pid t
	for pid in "$@"; do
		# utime and stime, fields 14 and 15; the text after the last ')'
		# starts at field 3.
		t=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
		ours=$((ours + ${t:-0}))
	done
	awk -v ours="$ours" '/^cpu / {
		busy = $2 + $3 + $4 + $7 + $8 + $9
		print busy, busy + $5 + $6, ours
		exit }' /proc/stat
}

# Percent of the machine's CPU time that went to anything but our two
# processes between two samples. Both testpmd busy-poll a core each, so on
# this 2-core machine any other work is taken from the trial.
foreign_cpu() {
	local a b
	read -r -a a <<<"$1"
	read -r -a b <<<"$2"
	awk -v busy=$((b[0] - a[0])) -v total=$((b[1] - a[1])) -v ours=$((b[2] - a[2])) \
		'BEGIN { f = total > 0 ? 100 * (busy - ours) / total : 0; if (f < 0) f = 0; printf "%.1f", f }'
}

trial_error() {
	echo "bench: trial failed: $1; last lines of $2:" >&2
	tail -n 15 "$2" | sed 's/^/    /' >&2
	reap
}

# ---- core placement --------------------------------------------------------

# The host of this VM places the two vCPUs, and moves them, without the guest
# seeing it (no steal time): the round trip of a cache line between the two
# forwarding cores goes from about 60 ns to 110 or 350 ns and back, and the
# packet rate of either driver follows. c2c_latency measures that round trip
# in some 40 ms, before and after each trial, when no testpmd runs.
c2c_ok=0   # 1 while the program answers
c2c_used=0 # 1 once it has given a reading

# Says, once, that the run goes on without the control.
c2c_off() {
	c2c_ok=0
	echo "bench: cannot control for core placement: $1;" \
		"trials are not checked for a change of the core-to-core latency" >&2
}

# Sets $c2c_ns to the round trip between the forwarding cores now, in ns,
# or to "-" without the program.
c2c_sample() {
	local out rc=0 msg
	c2c_ns=-
	[ "$c2c_ok" = 1 ] || return 0
	out=$("$c2c" --cpus "$fwd_cpus" 2>"$workdir/c2c.err") || rc=$?
	if [ "$rc" = 0 ] && isnum "$out"; then
		c2c_ns=$out
		c2c_used=1
	elif [ "$rc" = 0 ]; then
		c2c_off "$c2c printed '$out', not a number of ns"
	else
		msg=$(head -n 1 "$workdir/c2c.err")
		c2c_off "$c2c failed (exit $rc)${msg:+: $msg}"
	fi
}

# max/min of the readings given, as a percentage above 1 ("-" are skipped);
# prints nothing with fewer than two readings.
c2c_spread() {
	echo "$*" | awk '{
		for (i = 1; i <= NF; i++) {
			if ($i == "-") continue
			if (n == 0 || $i < lo) lo = $i
			if (n == 0 || $i > hi) hi = $i
			n++
		} }
		END { if (n >= 2 && lo > 0) printf "%.0f", 100 * (hi / lo - 1) }'
}

# ---- the runs --------------------------------------------------------------

declare -A vals   # "row side" -> space-separated Mpps of each trial
declare -A rawrx rawtx berx betx foreign
declare -A c2cb c2ca # "row side" -> round trips before and after each trial, ns
declare -A pairs  # row -> A/B of each trial whose A and B both ran
declare -A pair_ok # row -> for each of those: true (readings agree), false, - (none)
# side -> this attempt's Mpps, rates, other CPU and readings of the trial
declare -A cur_mpps cur_rx cur_tx cur_brx cur_btx cur_foreign cur_c2cb cur_c2ca

n_runs=$(( ${#rows[@]} * trials * (together ? 1 : ${#sides[@]}) ))
est=$(awk -v n="$n_runs" -v d="$duration" -v w="$warmup" 'BEGIN{printf "%d", n * (d + w + 2.5) / 60 + 1}')
echo "bench: ${#rows[@]} rows x $trials trials x ${#sides[@]} drivers$([ "$together" = 1 ] && echo " together"), ${duration}s each after ${warmup}s warm-up (about $est min)" >&2
echo "bench: A=$kind_a B=$kind_b queue_size=$queue_size mrg_rxbuf=$mrg_rxbuf in_order=$in_order" >&2
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

# Succeeds if $1 > $2 (decimals).
gt() { awk -v a="$1" -v b="$2" 'BEGIN{exit !(a > b)}'; }

# Takes frontend I of the trial just run as side S of the current attempt.
record_side() {
	local s=$1 i=$2 rx tx brx btx pps mpps again c2c_v
	read -r rx tx <<<"${trial_rates[$i]}"
	read -r brx btx <<<"${trial_be_rates[$i]}"
	if [ "$mode" = txonly ]; then pps=$tx; else pps=$rx; fi
	mpps=$(awk -v p="$pps" 'BEGIN{printf "%.3f", p / 1e6}')
	cur_mpps[$s]=$mpps cur_rx[$s]=$rx cur_tx[$s]=$tx
	cur_brx[$s]=$brx cur_btx[$s]=$btx cur_foreign[$s]=$trial_foreign
	cur_c2cb[$s]=$trial_c2c_before cur_c2ca[$s]=$trial_c2c_after
	if [ "$verbose" = 1 ]; then
		again=
		[ "$attempt" -gt 0 ] && again=" (rerun $attempt)"
		c2c_v=
		[ "$trial_c2c_before$trial_c2c_after" != -- ] &&
			c2c_v="; c2c $trial_c2c_before->$trial_c2c_after ns"
		echo "bench: $row $s($(kind_of "$s")) trial $t$again: $mpps Mpps (frontend rx $rx tx $tx, backend rx $brx tx $btx pps; other CPU ${trial_foreign}%$c2c_v)" >&2
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
			cur_mpps=() cur_rx=() cur_tx=() cur_brx=() cur_btx=() cur_foreign=()
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

# stats "v1 v2 ..." -> "median min max" (empty input -> "- - -")
stats() {
	echo "$1" | tr ' ' '\n' | grep -v '^$' | sort -g | awk '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { print "- - -"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.3f %.3f %.3f\n", m, v[1], v[NR]
		}'
}

jl() { # "v1 - v2 " -> "[v1, null, v2]"
	echo "$1" | awk '{ for (i = 1; i <= NF; i++) s = s (i > 1 ? ", " : "") ($i == "-" ? "null" : $i) }
		END { print "[" s "]" }'
}
jn() { if [ "$1" = - ]; then echo null; else echo "$1"; fi; }
# Median of the core-to-core readings of one side of a row, before and
# after each of its trials, in ns ("-" without any).
c2c_median() {
	local m
	read -r m _ _ <<<"$(stats "$(echo "${c2cb["$1 $2"]:-} ${c2ca["$1 $2"]:-}" | sed "s/-//g")")"
	[ "$m" = - ] || m=$(awk -v m="$m" 'BEGIN{printf "%.0f", m}')
	echo "$m"
}

# The A/B ratios of a row's pairs that "paired" takes: all but those whose
# core-to-core readings disagree (without the program, all of them). Run
# together, trials 2k-1 and 2k had the drivers in swapped places: each such
# couple gives the geometric mean of its two ratios, in which the place
# cancels out.
paired_used() {
	local row=$1
	paste -d' ' <(echo "${pairs["$row"]:-}" | xargs -n 1) <(echo "${pair_ok["$row"]:-}" | xargs -n 1) |
		awk -v fold="$together" '
		{ r[NR] = ($1 != "-" && $1 != "" && $2 != "false") ? $1 : "" }
		END {
			for (i = 1; i <= NR; i += 1 + fold) {
				a = r[i]
				b = fold ? r[i + 1] : ""
				if (a != "" && b != "") printf "%.3f\n", sqrt(a * b)
				else if (a != "") print a
				else if (b != "") print b
			}
		}' | xargs
}

# How many of a row's pairs count in "paired".
paired_count() {
	paste -d' ' <(echo "${pairs["$1"]:-}" | xargs -n 1) <(echo "${pair_ok["$1"]:-}" | xargs -n 1) |
		awk '$1 != "-" && $1 != "" && $2 != "false" { n++ } END { print n + 0 }'
}

# One side of a row as a JSON object.
json_side() {
	local row=$1 s=$2
	printf '{"driver": "%s", "median_mpps": %s, "min_mpps": %s, "max_mpps": %s, "trials_mpps": %s, "rx_pps": %s, "tx_pps": %s, "backend_rx_pps": %s, "backend_tx_pps": %s, "other_cpu_pct": %s, "c2c_before_ns": %s, "c2c_after_ns": %s, "c2c_median_ns": %s}' \
		"$(kind_of "$s")" "$(jn "$3")" "$(jn "$4")" "$(jn "$5")" "$(jl "${vals["$row $s"]:-}")" \
		"$(jl "${rawrx["$row $s"]:-}")" "$(jl "${rawtx["$row $s"]:-}")" \
		"$(jl "${berx["$row $s"]:-}")" "$(jl "${betx["$row $s"]:-}")" \
		"$(jl "${foreign["$row $s"]:-}")" "$(jl "${c2cb["$row $s"]:-}")" \
		"$(jl "${c2ca["$row $s"]:-}")" "$(jn "$(c2c_median "$row" "$s")")"
}

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

	json_rows+=("$(printf '    {"row": "%s", "layout": "%s", "size": %s, "mode": "%s",\n     "a": %s,\n     "b": %s,\n     "ratio": %s, "paired_ratios": %s, "paired_matched": %s, "paired_ratio_median": %s, "pairs_in_paired": %s}' \
		"$row" "${row%%-*}" "$(echo "$row" | cut -d- -f2)" "${row##*-}" \
		"$(json_side "$row" A "$ma" "$lo_a" "$hi_a")" \
		"$(json_side "$row" B "$mb" "$lo_b" "$hi_b")" "$(jn "$ratio")" \
		"$(jl "${pairs["$row"]:-}")" "$(jl "${pair_ok["$row"]:-}")" "$(jn "$pmed")" "$n_used")")
done

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
