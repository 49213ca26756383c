# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# bench/run.sh, one trial: start the net_vhost backend and the frontends
# under test as dpdk-testpmd processes driven over FIFOs, let them forward,
# read what each counted over the interval and the CPU its forwarding
# thread ran, end them by PID. Sourced by bench/run.sh, whose options and
# $workdir, pids, prefixes and fds it uses.

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
	case "$kind" in
	vpmd)
		extra=$vpmd_args
		echo "net_vpmd0,$common${extra:+,$extra}"
		;;
	virtio_user_vec)
		# DPDK's vectorized path (AVX512 packed, SSE/AVX2 split in-order):
		# taken only where the devargs and the CPU allow, see frontend_eal.
		extra=$vu_args
		echo "net_virtio_user0,$common,vectorized=1${extra:+,$extra}"
		;;
	*)
		extra=$vu_args
		echo "net_virtio_user0,$common${extra:+,$extra}"
		;;
	esac
}

# The EAL options of a frontend of KIND, one a line.
frontend_eal() {
	case "$1" in
	# By name: EAL refuses -d PATH below a world-writable directory (a
	# clone under /tmp); LD_LIBRARY_PATH (set once by run.sh) finds it.
	vpmd)
		printf '%s\n' -d "$(basename "$driver")"
		[ -z "$simd_bits" ] || printf '%s\n' "--force-max-simd-bitwidth=$simd_bits"
		;;
	# DPDK's own default caps SIMD at 256 bits: its AVX512 packed path
	# needs the cap lifted.
	virtio_user_vec) printf '%s\n' --force-max-simd-bitwidth=512 ;;
	*) [ -z "$simd_bits" ] || printf '%s\n' "--force-max-simd-bitwidth=$simd_bits" ;;
	esac
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

# Busy cycles per packet of a frontend's forwarding lcore over the
# interval, from the first "CPU cycles/packet" line in its LOG (testpmd's
# --record-core-cycles, cleared when the interval began, shown when it
# ended), or "-". testpmd counts the TSC from the start to the end of
# each poll that moved packets, so a poll the kernel slices away in the
# middle counts the time the thread did not run. Sharing a core
# ("together"), the thread is descheduled for WALL_NS - RUN_NS of the
# interval, at moments that fall inside a busy poll in the proportion of
# its running time those polls take: the counted cycles are the true ones
# times WALL/RUN, and are scaled back by RUN/WALL. With a core of its own
# (--sequential) RUN is WALL and nothing changes.
#
# Printed as "CYCLES BUSY": BUSY is the share of the thread's running time,
# in %, that went to polls which moved packets (the corrected busy cycles
# over the TSC, "at N MHz Clock" in the same line, times RUN). Near 100 %
# the thread never waited for the device: the other side set the rate,
# and cycles per packet is then the clock over that rate (doc/bench.md).
core_cycles() {
	local log=$1 run_ns=$2 wall_ns=$3
	awk -v run="$run_ns" -v wall="$wall_ns" '
		/CPU cycles\/packet=/ && !done {
			done = 1
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^cycles=/) { c = substr($i, 8) + 0 }
				if ($i ~ /^packets=/) { p = substr($i, 9) + 0 }
				if ($i == "MHz") { mhz = $(i - 1) + 0 }
			}
		}
		END {
			if (p > 0 && c > 0 && run > 0 && wall > 0) {
				f = run < wall ? run / wall : 1
				printf "%.1f ", c * f / p
				if (mhz > 0) printf "%.1f\n", 100 * c * f / (mhz * run / 1000)
				else print "-"
			} else print "- -"
		}' "$log"
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
	# Busy cycles per packet of the frontends' forwarding lcores (doc/bench.md,
	# "Cycles per packet"): the driver's own cost, where Mpps mostly
	# measures the backend both drivers wait on.
	local fe_app=("${common_app[@]}" --record-core-cycles)
	local be_fd be_pid vdevs=() fe_logs=() fe_pids=() fe_fds=() cpu_a=() cpu_b=()

	trial_rates=() trial_be_rates=() trial_cycles=() trial_busy=()
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
		mapfile -t fe_eal < <(frontend_eal "${kinds[$i]}")
		prefixes+=("$tag-fe$i")
		start_testpmd "$tag-fe$i" "$fe_log" -l 0,1 --main-lcore 1 "${common_eal[@]}" \
			"${fe_eal[@]}" "--file-prefix=$tag-fe$i" \
			--vdev "$(frontend_vdev "${kinds[$i]}" "$workdir/$tag-$i.sock" "$packed")" -- \
			"${fe_app[@]}" "--forward-mode=$fe_mode"
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
		echo "clear fwd stats all" >&"${fe_fds[$i]}"
		cpu_a[i]=$(fwd_cpu_ns "${fe_pids[$i]}") || cpu_a[i]=
		wall_a[i]=$(date +%s%N)
	done
	echo "show port stats all" >&"$be_fd"
	sleep "$duration"
	for i in "${!kinds[@]}"; do
		echo "show port stats 0" >&"${fe_fds[$i]}"
		echo "show fwd stats all" >&"${fe_fds[$i]}"
		cpu_b[i]=$(fwd_cpu_ns "${fe_pids[$i]}") || cpu_b[i]=
		wall_b[i]=$(date +%s%N)
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
		read -r "trial_cycles[$i]" "trial_busy[$i]" <<<"$(core_cycles "${fe_logs[$i]}" \
			$((cpu_b[i] - cpu_a[i])) $((wall_b[i] - wall_a[i])))"
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

# Sets $floor_cycles to the busy cycles per packet of testpmd's io
# forwarding on DPDK's net_null, a port that does no work: what testpmd's
# own loop costs on this machine, below which no driver goes. "" if it
# cannot be measured.
measure_floor() {
	local log="$workdir/floor.log" prefix fd pid run_a run_b wall_a wall_b
	floor_cycles=
	prefix=$(printf 'vpmdb%d-floor' $$)
	prefixes+=("$prefix")
	start_testpmd floor "$log" -l 0,1 --main-lcore 1 --no-huge -m 1024 --no-pci \
		"--file-prefix=$prefix" --vdev net_null0 -- -i --no-mlockall \
		--total-num-mbufs=16384 --record-core-cycles --forward-mode=io
	pid=$started_pid fd=$started_fd
	if ! wait_for "$log" "testpmd> " 30 "$pid"; then
		trial_error "the net_null floor did not start" "$log"
		return 0
	fi
	echo "start" >&"$fd"
	sleep "$warmup"
	echo "clear fwd stats all" >&"$fd"
	run_a=$(fwd_cpu_ns "$pid") || run_a=
	wall_a=$(date +%s%N)
	sleep "$duration"
	echo "show fwd stats all" >&"$fd"
	run_b=$(fwd_cpu_ns "$pid") || run_b=
	wall_b=$(date +%s%N)
	echo "stop" >&"$fd"
	echo "quit" >&"$fd"
	reap
	if [ -n "$run_a" ] && [ -n "$run_b" ]; then
		read -r floor_cycles _ <<<"$(core_cycles "$log" $((run_b - run_a)) $((wall_b - wall_a)))"
		[ "$floor_cycles" = - ] && floor_cycles=
	fi
	return 0
}
