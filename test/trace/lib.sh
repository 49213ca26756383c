# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# What the trace tests share: the skip rules, xstats blocks from the
# frontend's log, and the vctl trace process.

# Exit 77 (meson's skip) with the reason unless tracing can work here.
trace_require() {
	[ "$(id -u)" -eq 0 ] || { say "SKIP: BPF and uprobes need root"; exit 77; }
	command -v dpdk-testpmd >/dev/null || { say "SKIP: dpdk-testpmd not installed (package dpdk-dev)"; exit 77; }
	[ -e /sys/bus/event_source/devices/uprobe ] ||
		{ say "SKIP: the kernel has no uprobe support (CONFIG_UPROBE_EVENTS)"; exit 77; }
	command -v python3 >/dev/null || { say "SKIP: python3 missing"; exit 77; }
}

# Value of xstat NAME in the Nth (1-based) "show port xstats" block of LOG.
xstat() {
	awk -v n="$2" -v k="$3:" '
		/NIC extended statistics for port/ { b++ }
		b == n && $1 == k { print $2; exit }' "$1"
}

# Wait until the Nth xstats block of LOG is complete (its last entry printed).
wait_xstats() {
	local log=$1 n=$2 last=$3 i
	for i in $(seq 50); do
		[ -n "$(xstat "$log" "$n" "$last")" ] && return 0
		sleep 0.1
	done
	return 1
}

# Start vctl trace in the background with ARGS, JSON lines into FILE;
# waits for its "attached" line. Sets TRACE_PID.
trace_start() {
	local file=$1 i
	shift
	"$VCTL" trace -j "$@" >"$file" 2>"$file.err" &
	TRACE_PID=$!
	for i in $(seq 100); do
		grep -q '"type":"attached"' "$file" && return 0
		kill -0 "$TRACE_PID" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

# Stop it as Ctrl-C would and wait; returns its exit code.
trace_stop() {
	local rc=0
	kill -INT "$TRACE_PID" 2>/dev/null
	wait "$TRACE_PID" || rc=$?
	TRACE_PID=
	return $rc
}

trace_kill() {
	if [ -n "${TRACE_PID:-}" ]; then
		kill -KILL "$TRACE_PID" 2>/dev/null || true
		wait "$TRACE_PID" 2>/dev/null || true
		TRACE_PID=
	fi
}
