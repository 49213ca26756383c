#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# net_vpmd in dpdk-testpmd against hostile_backend, a live vhost-user
# backend that echoes tx into rx and turns bad on command.
#
# A ring fault (FAULT = KIND_RING, e.g. id_range_rx): frames circulate;
# the backend writes one bad used entry on that ring; the driver must
# refuse and count it (xstat <ring>_q0_refused_<reason>), stay alive, and,
# where the ring cannot go on, say "queue broken" once, raise the reset
# event and show the ring in vctl status. A port reset then makes new
# rings that carry traffic, and closing the port brings every mbuf home.
#
# stall: the backend stops reading mid-negotiation. The driver must give
# up within its reply timeout and say why, testpmd must stay responsive,
# and a well-behaved backend must then be able to take over. stall_again:
# one that stalls on every try after a reconnect is tried less and less often.
#
# Usage: hostile.sh PMD_SO split|packed FAULT
# Exit 0 pass, 1 fail, 77 skip.
set -uo pipefail

pmd_so=$1
layout=$2
fault=$3
# The driver's receive path: scalar (what the defaults give), or avx512
# (packed, in order, 512-bit vectors allowed: lib/virtio/vq_packed_avx512.c).
path=${4:-scalar}

say() { printf 'hostile(%s,%s%s): %s\n' "$layout" "$fault" "${4:+,$4}" "$*"; }
command -v dpdk-testpmd >/dev/null || { say "SKIP: dpdk-testpmd not installed (package dpdk-dev)"; exit 77; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../trace/lib.sh
. "$here/../trace/lib.sh"
build=$(cd "$(dirname "$pmd_so")/../../.." && pwd)
backend_bin=$build/test/hostile/hostile_backend
VCTL=$build/app/vctl/vctl
vctl=$VCTL
[ -x "$backend_bin" ] || { say "FAIL: no $backend_bin"; exit 1; }
[ -x "$vctl" ] || { say "FAIL: no $vctl"; exit 1; }
# The used_refused probe is watched with vctl trace where BPF can be had.
TRACE_PID=
probe_skip=
if [ "$(id -u)" -ne 0 ]; then
	probe_skip="not root: BPF and uprobes need it"
elif [ ! -e /sys/bus/event_source/devices/uprobe ]; then
	probe_skip="the kernel has no uprobe support"
fi

dir=$(mktemp -d /tmp/vpmd-hostile.XXXXXX)
prefix=vpmd-hostile-$$-$RANDOM
sock=$dir/vhost.sock
front_pid=
back_pid=

cleanup() {
	local pid
	trace_kill
	exec 3>&- 2>/dev/null
	for pid in $front_pid $back_pid; do
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	# HOSTILE_KEEP=DIR keeps the logs of a run, to read what happened.
	[ -n "${HOSTILE_KEEP:-}" ] && mkdir -p "$HOSTILE_KEEP" && cp "$dir"/*.log "$HOSTILE_KEEP/" 2>/dev/null
	rm -rf "/var/run/dpdk/$prefix" "$dir"
}
trap cleanup EXIT

fail() {
	say "FAIL: $*"
	echo "--- frontend log"; grep -v "cache_count\[" "$dir/front.log" | grep -v "^hostile" | tail -60
	echo "--- backend log"; grep -v "msg [0-9]*: request" "$dir"/back*.log 2>/dev/null | tail -30
	exit 1
}

# wait_for PATTERN FILE SECONDS
wait_for() {
	local _
	for _ in $(seq $(($3 * 10))); do grep -q -- "$1" "$2" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

# A frontend that died must fail the test, not kill it with SIGPIPE.
send() { (trap '' PIPE; printf '%s\n' "$*" >&3) 2>/dev/null; }

# ask CMD PATTERN: send a command and wait until one more PATTERN line than
# before is in the log, so what follows reads this command's answer. Fails
# when testpmd does not answer: it must stay responsive whatever the device does.
ask() {
	local before _
	before=$(grep -c -- "$2" "$dir/front.log")
	send "$1"
	for _ in $(seq 100); do
		[ "$(grep -c -- "$2" "$dir/front.log")" -gt "$before" ] && { sleep 0.2; return 0; }
		sleep 0.1
	done
	fail "testpmd did not answer '$1'"
}

# RX-packets of the last "show port stats".
last_rx() { awk '/^ +RX-packets: +[0-9]+ +RX-missed/ { v = $2 } END { print v + 0 }' "$dir/front.log"; }
# xstat NAME in the last "show port xstats".
last_xstat() { awk -v n="$1:" '$1 == n { v = $2 } END { print v + 0 }' "$dir/front.log"; }
stats() { ask "show port stats 0" "RX-packets:"; }
xstats() { ask "show port xstats 0" "NIC extended statistics"; }

# vctl's view of the broken rings: a JSON array, compact.
broken_rings() {
	"$vctl" -j --prefix "$prefix" status 0 | jq -c '.broken // "missing"'
}

# The backend offers the packed layout only when the driver asks for it.
packed_opt=()
[ "$layout" = packed ] && packed_opt=(--packed)
front_eal=()
front_devargs=
if [ "$path" = avx512 ]; then
	for f in avx512f avx512bw avx512vl; do
		grep -qw "$f" /proc/cpuinfo || { say "SKIP: the CPU has no $f: the AVX-512 path cannot run"; exit 77; }
	done
	packed_opt+=(--in-order)
	front_eal=(--force-max-simd-bitwidth=512)
	front_devargs=",in_order=1"
fi

# start_backend LOG ARGS...
start_backend() {
	local log=$1
	shift
	"$backend_bin" "$@" 2>"$dir/$log" &
	back_pid=$!
}

stop_backend() {
	kill -TERM "$back_pid" 2>/dev/null
	wait "$back_pid" 2>/dev/null
	back_pid=
}

# start_frontend EXTRA_DEVARGS
start_frontend() {
	local vdev="net_vpmd0,path=$sock$1$front_devargs"
	[ "$layout" = packed ] && vdev+=",packed_vq=1"
	mkfifo "$dir/front.in"
	# EAL refuses -d PATH below a world-writable directory: load by name.
	LD_LIBRARY_PATH="$(dirname "$pmd_so")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
		stdbuf -oL dpdk-testpmd -l 0,1 --no-huge -m 1024 --no-pci --file-prefix="$prefix" \
		"${front_eal[@]}" -d "$(basename "$pmd_so")" --vdev "$vdev" --log-level='pmd.net.vpmd.*:info' \
		-- -i --no-mlockall --total-num-mbufs=16384 --forward-mode=io \
		--print-event intr_reset <"$dir/front.in" >"$dir/front.log" 2>&1 &
	front_pid=$!
	exec 3>"$dir/front.in"
}

# Frames go round: seed them, let them run, and read the count.
# Sets rx (not a subshell: a failure in it must end the test).
traffic() {
	send "clear port stats 0"
	send "start tx_first"
	sleep 2
	stats
	rx=$(last_rx)
}

finish() {
	local in_use size
	send "stop"
	send "port stop all"
	send "port close all"
	send "dump_mempool"
	send "quit"
	exec 3>&-
	for _ in $(seq 100); do kill -0 "$front_pid" 2>/dev/null || break; sleep 0.1; done
	wait "$front_pid" || fail "testpmd exited with $?"
	front_pid=
	read -r in_use size < <(awk '
		/^mempool <mb_pool_0>/ { on = 1 }
		on && /^  size=/ { split($0, a, "="); s = a[2] }
		on && /total_cache_count=/ { split($0, a, "="); c = a[2] }
		on && /common_pool_count=/ { split($0, a, "="); print s - c - a[2], s; exit }
	' "$dir/front.log")
	[ -n "${size:-}" ] || fail "no mempool dump"
	say "mbufs in use after close: $in_use of $size"
	[ "$in_use" -eq 0 ] || fail "$in_use mbufs leaked"
}

# ---- stall_again ----
# The backend dies under a forwarding port and what comes back at its path
# accepts every connection and stops answering on each (after the protocol
# features). Each try then costs the driver's interrupt thread a reply
# timeout (1.5 s) under its control lock: the monitor must space them out
# (100 ms doubling to 3.2 s; every 100 ms would be about 12 in 20 s), say
# once why the device is not back, and take a good backend as soon as one
# is there again.
if [ "$fault" = stall_again ]; then
	start_backend back.log --server "$sock" "${packed_opt[@]}"
	for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
	start_frontend ""
	wait_for "ring 1 live" "$dir/back.log" 20 || fail "the rings never went live"
	ask "show port info 0" "Infos for port 0"
	traffic
	[ "$rx" -gt 1000 ] || fail "no traffic before the stalls: rx $rx"
	kill -KILL "$back_pid"; wait "$back_pid" 2>/dev/null; back_pid=
	start_backend back2.log --server "$sock" --stall-after 3 "${packed_opt[@]}"
	sleep 20
	tries=$(grep -c "stalled after 3 messages" "$dir/back2.log")
	say "tries at a backend that stalls, in 20 s: $tries"
	[ "$tries" -ge 3 ] || fail "only $tries tries in 20 s: the monitor gave up?"
	[ "$tries" -le 8 ] || fail "$tries tries in 20 s: no backoff"
	said=$(grep -c "is not back" "$dir/front.log")
	[ "$said" -eq 1 ] || fail "'is not back' said $said times in one outage"
	say "driver says: $(grep -m1 "is not back" "$dir/front.log" | sed 's/^.*net_vpmd0: //')"
	ask "show port info 0" "Infos for port 0"
	stop_backend
	t0=$(date +%s)
	start_backend back3.log --server "$sock" "${packed_opt[@]}"
	wait_for "ring 1 live" "$dir/back3.log" 15 || fail "a good backend was not taken in 15 s"
	say "a good backend taken after $(($(date +%s) - t0)) s"
	wait_for "is back: link up" "$dir/front.log" 5 || fail "no 'is back' in the log"
	# The frames in flight died with the first backend: seed new ones.
	send "stop"
	traffic
	[ "$rx" -gt 1000 ] || fail "no traffic through the good backend: rx $rx"
	finish
	stop_backend
	say "PASS"
	exit 0
fi

# ---- stall ----
# The driver listens, so a stalled backend can be replaced by another that
# connects. stall: after GET_FEATURES and the protocol features, the driver
# waits for the ack (REPLY_ACK) of SET_OWNER. stall_rings: the memory table
# and the first ring's size and base are in, its addresses never read.
case $fault in
stall) stall_n=3 stall_req=SET_OWNER ;;
stall_rings) stall_n=9 stall_req=SET_VRING_ADDR ;;
esac
if [ -n "${stall_n:-}" ]; then
	start_frontend ",server=1"
	for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
	[ -S "$sock" ] || fail "net_vpmd did not listen on $sock"
	start_backend back.log --client "$sock" --stall-after "$stall_n" "${packed_opt[@]}"
	wait_for "stalled after $stall_n messages" "$dir/back.log" 10 || fail "the backend did not stall"
	t0=$(date +%s)
	# testpmd must come back to its prompt and answer: the stall is bounded.
	send "port start 0"
	ask "show port info 0" "Infos for port 0"
	t1=$(date +%s)
	say "testpmd answers $((t1 - t0)) s after the stall"
	[ $((t1 - t0)) -le 15 ] || fail "testpmd took $((t1 - t0)) s to answer"
	kill -0 "$front_pid" 2>/dev/null || fail "testpmd died"
	# A stall in the rings' setup fails the port start testpmd began at launch, in bounded time.
	if [ "$fault" = stall_rings ]; then
		grep -q "Fail to start port 0: Connection timed out" "$dir/front.log" ||
			fail "testpmd's port start did not fail with the timeout"
	fi
	wait_for "net_vpmd0.*\(timed out\|timeout\|ETIMEDOUT\|Connection timed\)" "$dir/front.log" 10 ||
		fail "no error in the log for the backend that stopped answering"
	say "driver says: $(grep -m1 'net_vpmd0.*\(timed out\|timeout\|ETIMEDOUT\|Connection timed\)' "$dir/front.log")"
	grep -q "ring 1 live" "$dir/back.log" && fail "the rings went live through a stalled negotiation"
	# What the driver tells about it: which request went unanswered.
	"$vctl" -j --prefix "$prefix" status 0 >"$dir/status.log"
	# (Not whether it is connected: the backend connects again after each
	# timeout, and stalls again.)
	st=$(jq -c '[.device_up, .device.transport_info.last_error,
		.device.transport_info.last_error_request]' "$dir/status.log")
	say "vctl status [device_up, last_error, last_error_request]: $st"
	[ "$st" = "[0,\"Connection timed out\",\"$stall_req\"]" ] ||
		fail "vctl status does not show the $stall_req timeout: $st"

	# A well-behaved backend takes over: the monitor's while the port is
	# started (stall), the application's next port start after a start
	# that failed (stall_rings). The stalled backend's last connection,
	# dead now, is queued before it: the driver must skip it.
	stop_backend
	start_backend back2.log --client "$sock" "${packed_opt[@]}"
	[ "$fault" = stall_rings ] && send "port start 0"
	wait_for "ring 1 live" "$dir/back2.log" 15 || fail "the new backend's rings never went live"
	traffic
	say "after the new backend: rx $rx"
	[ "$rx" -gt 1000 ] || fail "no traffic through the new backend: rx $rx"
	finish
	stop_backend
	say "PASS"
	exit 0
fi

# ---- a ring fault ----
kind=${fault%_*}
ring=${fault##*_}
case $kind in
id_range) reason=id_range ;;
not_inflight) reason=id_not_inflight ;;
len_past) reason=len ;;
wrap) reason=wrap ;;
idx_jump) reason=idx_jump ;;
*) say "FAIL: unknown fault $fault"; exit 1 ;;
esac
case $ring in rx | tx) ;; *) say "FAIL: unknown ring in $fault"; exit 1 ;; esac
# What the driver does with it (lib/virtio): a split ring skips an entry
# that names no chain of its own and goes on; a packed ring cannot (where
# the next used descriptor sits depends on the chain), nor can either
# layout after a used index or wrap counter that is garbage. A length past
# the buffer costs that buffer only.
breaks=no
case $layout-$kind in
packed-id_range | packed-not_inflight | packed-wrap | split-idx_jump) breaks=yes ;;
esac

mkfifo "$dir/ctl"
start_backend back.log --server "$sock" --ctl "$dir/ctl" "${packed_opt[@]}"
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || fail "the backend did not listen on $sock"
start_frontend ""
wait_for "ring 1 live" "$dir/back.log" 20 || fail "the rings never went live"
ask "show port info 0" "Infos for port 0"
mode=$("$vctl" -j --prefix "$prefix" status 0 | jq -r '.burst_mode.rx')
say "receive path: $mode"
case "$mode" in *" $path"*) ;; *) fail "the receive path is '$mode', not $path" ;; esac

traffic
xstats
xname=${ring}_q0_refused_$reason
before=$(last_xstat "$xname")
say "before the fault: rx $rx, $xname $before"
[ "$rx" -gt 1000 ] || fail "no traffic before the fault: rx $rx"
[ "$before" -eq 0 ] || fail "$xname is $before before any fault"

if [ -z "$probe_skip" ]; then
	trace_start "$dir/trace.json" --prefix "$prefix" --interval 60 || fail "vctl trace did not attach"
fi
printf '%s %s\n' "${kind}" "$ring" >"$dir/ctl"
wait_for "fault applied: $kind $ring" "$dir/back.log" 10 || fail "the backend did not apply $kind on $ring"
say "backend: $(grep -m1 "fault applied" "$dir/back.log" | sed 's/^hostile: //')"
sleep 1
xstats
after=$(last_xstat "$xname")
say "after the fault: $xname $after"
[ "$after" -ge 1 ] || fail "$xname did not count the bad entry"
kill -0 "$front_pid" 2>/dev/null || fail "testpmd died"
# Every frame is 64 bytes: one delivered with the length the device claimed
# (past its buffer) would show in the largest size bucket.
big=$(last_xstat rx_q0_size_1519_max_packets)
[ "$big" -eq 0 ] || fail "the application got $big frames of 1519 bytes or more"
# The used_refused probe fired for the same entries, with the same reason.
if [ -z "$probe_skip" ]; then
	trace_stop || fail "vctl trace exited with $? on SIGINT"
	vq=0
	[ "$ring" = tx ] && vq=1
	probed=$(jq -r --argjson vq "$vq" --arg r "$reason" \
		'select(.type == "total") | .queues[] | select(.port == 0 and .vq == $vq) | .refused[$r]' \
		"$dir/trace.json")
	say "used_refused probe: ${probed:-nothing} $reason on ${ring}0"
	[ "${probed:-0}" -eq "$after" ] ||
		fail "the used_refused probe counted ${probed:-nothing}, $xname $after"
else
	say "SKIP part: the used_refused probe ($probe_skip)"
fi

broken=$(broken_rings)
nbroken=$(grep -c "queue broken: ring ${ring}0" "$dir/front.log")
if [ $breaks = yes ]; then
	wait_for "queue broken: ring ${ring}0" "$dir/front.log" 5 || fail "no 'queue broken: ring ${ring}0' in the log"
	wait_for "Port 0: reset event" "$dir/front.log" 5 || fail "testpmd saw no reset event"
	sleep 1
	nbroken=$(grep -c "queue broken: ring ${ring}0" "$dir/front.log")
	[ "$nbroken" -eq 1 ] || fail "'queue broken: ring ${ring}0' logged $nbroken times"
	broken=$(broken_rings)
	[ "$broken" = "[\"${ring}0\"]" ] || fail "vctl status broken is $broken, not [\"${ring}0\"]"
	say "broken: logged once, reset event, vctl $broken"
else
	[ "$nbroken" -eq 0 ] || fail "the ring broke on a fault it can go on from"
	[ "$broken" = "[]" ] || fail "vctl status broken is $broken, not []"
	traffic
	say "ring not broken, traffic goes on: rx $rx"
	[ "$rx" -gt 1000 ] || fail "traffic stopped after a fault the ring survives: rx $rx"
fi

# The application's answer to the reset event: new rings.
send "stop"
send "port stop 0"
send "port reset 0"
send "port start 0"
ask "show port info 0" "Infos for port 0"
traffic
broken=$(broken_rings)
say "after port reset: rx $rx, broken $broken"
[ "$rx" -gt 1000 ] || fail "no traffic after the port reset: rx $rx"
[ "$broken" = "[]" ] || fail "vctl status broken is $broken after the reset"
finish
stop_backend
say "PASS"
