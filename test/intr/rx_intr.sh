#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Rx interrupts on net_vpmd (intr_conf.rxq = 1), as DPDK's l3fwd-power uses
# them: rx_intr (rx_intr.c) sleeps in rte_epoll_wait on rx queue 0's event
# fd while DPDK's net_vhost (a dpdk-testpmd of its own) is idle, and must
# (1) use next to no CPU while asleep, (2) wake and take every packet the
# backend sends in a burst, (3) go back to sleep; again after the backend
# is killed and a new one connects (the rings are made anew: the driver
# wakes the sleeper so that it arms the new ring).
#
# Usage: rx_intr.sh RX_INTR_BIN PMD_SO split|packed [event_idx]
# Exit 0 pass, 1 fail, 77 skip.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../scripts/lib/testpmd_pair.sh
. "$top/scripts/lib/testpmd_pair.sh"

bin=$1
pmd_so=$2
layout=$3
extra=${4:-}
name="rx_intr($layout${extra:+,$extra})"

say() { printf '%s: %s\n' "$name" "$*"; }
command -v dpdk-testpmd >/dev/null || { say "SKIP: dpdk-testpmd not installed (package dpdk-dev)"; exit 77; }

dir=$(mktemp -d /tmp/vpmd-intr.XXXXXX)
pair_init "$dir" "$pmd_so" "$layout" client
vdev=$PAIR_VDEV
[ "$extra" = event_idx ] && vdev+=",event_idx=1"
app_pid=
app_prefix="vpmd-intr-$$-$RANDOM"
cleanup() {
	exec 5>&- 2>/dev/null
	if [ -n "$app_pid" ]; then
		kill -KILL "$app_pid" 2>/dev/null
		wait "$app_pid" 2>/dev/null
	fi
	pair_cleanup
	rm -rf "$dir" "/var/run/dpdk/$app_prefix"
}
trap cleanup EXIT

fail() {
	say "FAIL: $*"
	echo "--- rx_intr log"; tail -30 "$dir/app.log"
	echo "--- backend log"; tail -30 "$dir/back.log"
	exit 1
}

# One command to rx_intr; its one-line answer, which must start "ok".
answers=0
ask() {
	local i line
	printf '%s\n' "$1" >&5 || fail "rx_intr is gone (asked: $1)"
	answers=$((answers + 1))
	for i in $(seq 200); do
		line=$(grep -E '^(ok|FAIL) ' "$dir/app.log" | sed -n "${answers}p")
		[ -n "$line" ] && break
		sleep 0.05
	done
	[ -n "$line" ] || fail "no answer to '$1'"
	say "$1: $line"
	[[ $line == ok* ]] || fail "$1"
}

back() { (trap '' PIPE; printf '%s\n' "$*" >&4) 2>/dev/null; }

# What the backend sent in the forwarding round it just stopped.
back_sent() {
	local i v
	for i in $(seq 40); do
		v=$(awk '/Accumulated forward statistics/ { acc = 1; next }
			acc && /TX-packets:/ { v = $2; acc = 0 } END { print v }' "$dir/back.log")
		[ -n "$v" ] && [ "$(grep -c 'Accumulated forward statistics' "$dir/back.log")" -ge "$1" ] &&
			{ echo "$v"; return; }
		sleep 0.05
	done
	echo -1
}

# The backend sends 4 bursts of 32 and stops; rx_intr must take them all.
rounds=0
burst_round() {
	local sent
	ask mark
	back "start tx_first 4"
	ask "wait 128 2000"
	back stop
	rounds=$((rounds + 1))
	sent=$(back_sent "$rounds")
	[ "$sent" = 128 ] || fail "the backend says it sent $sent packets, not 128"
	say "the backend sent $sent: all received"
}

# The backend takes commands on stdin: interactive, so that a line does
# not end it, and not forwarding until a round starts it. Its ports are up
# (the socket listening) once the socket file is there.
backend_start() {
	rm -f "$PAIR_DIR/back.in"
	mkfifo "$PAIR_DIR/back.in"
	stdbuf -oL dpdk-testpmd -l 0,1 --main-lcore 0 "${PAIR_EAL[@]}" \
		--file-prefix="vpmd-back-$PAIR_ID" --vdev "$PAIR_VHOST" -- -i "${PAIR_APP[@]}" \
		<"$PAIR_DIR/back.in" >"$PAIR_DIR/back.log" 2>&1 &
	PAIR_BACK_PID=$!
	exec 4>"$PAIR_DIR/back.in"
	for i in $(seq 100); do [ -S "$PAIR_SOCK" ] && return 0; sleep 0.1; done
	fail "the backend made no socket"
}

backend_start

mkfifo "$dir/app.in"
# stdbuf preloads its own library: under the sanitized setup (test/sanitize/)
# ASan's runtime must still come first.
LD_PRELOAD="${VPMD_ASAN_RUNTIME:-}${LD_PRELOAD:+:$LD_PRELOAD}" \
	LD_LIBRARY_PATH="$(dirname "$pmd_so")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
	stdbuf -oL "$bin" -l 0,1 --main-lcore 1 --no-huge -m 512 --no-pci \
	--file-prefix="$app_prefix" -d "$(basename "$pmd_so")" --vdev "$vdev" \
	--log-level="pmd.net.vpmd.*:info" <"$dir/app.in" >"$dir/app.log" 2>&1 &
app_pid=$!
exec 5>"$dir/app.in"
for i in $(seq 200); do grep -q '^READY' "$dir/app.log" && break; sleep 0.05; done
grep -q '^READY' "$dir/app.log" || fail "rx_intr did not come up"
grep -E '^(ok|FAIL) ' "$dir/app.log" | while read -r l; do say "$l"; done
grep -q '^FAIL' "$dir/app.log" && fail "rx_intr setup"
answers=$(grep -cE '^(ok|FAIL) ' "$dir/app.log")

ask "idle 2000"
burst_round
ask "idle 1500"
burst_round
ask "idle 1500"

# A new backend: new rings under the sleeping application.
say "backend killed and started again"
pair_kill_backend
# shellcheck disable=SC2034 # the next backend log starts empty
rounds=0
backend_start
ask "link 5000"
ask "idle 1500"
burst_round
ask "idle 1500"

printf 'quit\n' >&5
exec 5>&-
for i in $(seq 100); do kill -0 "$app_pid" 2>/dev/null || break; sleep 0.1; done
wait "$app_pid"
rc=$?
app_pid=
[ $rc -eq 0 ] || fail "rx_intr exited with $rc"
say "PASS"
