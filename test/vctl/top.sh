#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# vctl top against a live dpdk-testpmd forwarding through net_vpmd and
# net_vhost. On a real terminal (tmux, on a server socket of its own):
# the port's rx and tx rows, an rx rate testpmd agrees with (0.5x to 2x
# of its own "show port stats" rate over the same seconds), the burst bar,
# p freezing the screen and p again resuming it, s moving the sort order,
# a resize, q leaving with status 0 and the terminal as it was. Through a
# pipe: plain tables without an escape byte; -j: JSON lines that validate
# against schema/top.json with a non-zero rx rate. As root, --trace: the
# latency columns become numbers. Last, the application quits under a
# running top: it says so and exits 1, the terminal restored. Usage
# errors and "no application" first, without testpmd.
#
# Usage: top.sh VCTL PMD_SO
# Exit 0 pass, 1 fail, 77 skip (no tmux, no dpdk-testpmd, no python3-jsonschema).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../../scripts/lib/testpmd_pair.sh
. "$top/scripts/lib/testpmd_pair.sh"

vctl=$1
pmd_so=$2
schema=$here/schema

say() { printf 'vctl top: %s\n' "$*"; }
command -v tmux >/dev/null || { say "SKIP: tmux is not installed (scripts/setup.sh installs it)"; exit 77; }
command -v dpdk-testpmd >/dev/null || { say "SKIP: dpdk-testpmd not installed (package dpdk-dev)"; exit 77; }
python3 -c 'import jsonschema' 2>/dev/null ||
	{ say "SKIP: python3-jsonschema is not installed (scripts/setup.sh installs it)"; exit 77; }

dir=$(mktemp -d /tmp/vctl-top.XXXXXX)
pair_init "$dir" "$pmd_so" split client
tmux_sock=vctl-top-$PAIR_ID
tmux_pid=
tmux_path=
runs=0

# The tmux server (by its socket, then by PID should it linger), testpmd, the files.
cleanup() {
	local i
	if [ -n "$tmux_pid" ]; then
		tmux -L "$tmux_sock" kill-server 2>/dev/null
		for i in $(seq 20); do kill -0 "$tmux_pid" 2>/dev/null || break; sleep 0.1; done
		kill "$tmux_pid" 2>/dev/null
		rm -f "$tmux_path"
	fi
	pair_cleanup
	rm -rf "$dir"
}
trap cleanup EXIT

fail() {
	say "FAIL: $*"
	if [ -n "$tmux_pid" ]; then
		echo "--- screen, with its history"
		T capture-pane -p -S -200 -t top 2>/dev/null | grep -v '^$'
	fi
	echo "--- frontend log"; grep -v "cache_count\[" "$dir/front.log" 2>/dev/null | tail -20
	exit 1
}

T() { tmux -L "$tmux_sock" "$@"; }
screen() { T capture-pane -p -t top; }
# With the history: what a run printed after leaving its screen may have scrolled off the visible part.
screen_all() { T capture-pane -p -S -200 -t top; }

# expect CODE PATTERN ARGS...: vctl ARGS exits CODE and says PATTERN.
expect() {
	local code=$1 pattern=$2 out rc
	shift 2
	out=$("$vctl" "$@" 2>&1)
	rc=$?
	[ "$rc" -eq "$code" ] || fail "vctl $* exited $rc, not $code: $out"
	grep -Eq -- "$pattern" <<<"$out" || fail "vctl $*: no /$pattern/ in: $out"
}

say "usage errors, and no application"
expect 2 "--count '0'" top -n 0
expect 2 "--interval 'x'" top -i x
expect 2 "--sort 'nope'" top --sort nope
expect 2 "takes no arguments" top 0
mkdir -p "$dir/empty"
VCTL_RUNTIME_DIR=$dir/empty expect 1 "no DPDK application is running" top
VCTL_RUNTIME_DIR=$dir/empty "$vctl" -j top >"$dir/noapp.json"
python3 "$here/check_schema.py" "$schema/error.json" "$dir/noapp.json" ||
	fail "vctl -j top without an application: not error.json"

pair_start
pair_wait_forwarding || fail "the backend did not start forwarding"
prefix=vpmd-front-$PAIR_ID
for _ in $(seq 50); do
	"$vctl" --prefix "$prefix" -j list 2>/dev/null | grep -q '"running":1' && break
	sleep 0.1
done
pair_send "start tx_first"
sleep 1

# run_top ARGS...: vctl top in the tmux pane, its exit status and the
# terminal's settings before and after written beside it. The pane stays
# (remain-on-exit) to be looked at once vctl is gone.
run_top() {
	rm -f "$dir/top.rc" "$dir/stty.before" "$dir/stty.after"
	runs=$((runs + 1))
	cat >"$dir/run_top.sh" <<-EOF
		stty -g >"$dir/stty.before"
		LC_ALL=C.UTF-8 "$vctl" --prefix "$prefix" top $*
		rc=\$?
		stty -g >"$dir/stty.after"
		echo "vctl top ended (run $runs)"
		echo \$rc >"$dir/top.rc"
	EOF
	if [ -z "$tmux_pid" ]; then
		printf 'set -g remain-on-exit on\n' >"$dir/tmux.conf"
		T -u -f "$dir/tmux.conf" new-session -d -s top -x 160 -y 40 "bash $dir/run_top.sh" ||
			fail "tmux new-session"
		tmux_pid=$(T display-message -p '#{pid}')
		tmux_path=$(T display-message -p '#{socket_path}')
	else
		T respawn-pane -k -t top "bash $dir/run_top.sh" || fail "tmux respawn-pane"
	fi
}

# until_screen REGEX [TENTHS]: until the screen matches.
until_screen() {
	local i
	for i in $(seq "${2:-50}"); do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.1
	done
	return 1
}

# ended CODE: vctl top has exited with CODE and left the terminal as it found it.
ended() {
	local i
	for i in $(seq 100); do [ -s "$dir/top.rc" ] && break; sleep 0.1; done
	[ -s "$dir/top.rc" ] || fail "vctl top did not exit"
	[ "$(cat "$dir/top.rc")" = "$1" ] || fail "vctl top exited $(cat "$dir/top.rc"), not $1"
	cmp -s "$dir/stty.before" "$dir/stty.after" ||
		fail "the terminal settings differ after vctl top: $(cat "$dir/stty.before") / $(cat "$dir/stty.after")"
	screen | grep -q "PORT QUEUE" && fail "the top screen is still shown after exit (alternate screen not left)"
	screen_all | grep -q "vctl top ended (run $runs)" || fail "the shell's screen did not come back"
}

# The packets per second of port 0's rx queue 0 on the screen now ("4.85M" -> 4850000).
rx_pps_on_screen() {
	screen | python3 -c '
import re, sys
for line in sys.stdin:
    m = re.match(r"\s*0\s+0 rx\s+(\S+)", line)
    if m:
        v = m.group(1)
        mult = {"k": 1e3, "M": 1e6, "G": 1e9}.get(v[-1], 1)
        print(int(float(v.rstrip("kMG")) * mult) if v != "-" else 0)
        break
'
}

# testpmd's own rx rate since its last "show port stats 0".
testpmd_rx_pps() {
	local n i
	n=$(grep -c "Rx-pps:" "$dir/front.log")
	pair_send "show port stats 0"
	for i in $(seq 50); do
		[ "$(grep -c "Rx-pps:" "$dir/front.log")" -gt "$n" ] && break
		sleep 0.1
	done
	grep -o "Rx-pps: *[0-9]*" "$dir/front.log" | tail -1 | tr -dc '0-9'
}

# One window of 3 s: testpmd's rate over it against the median of top's refreshes in it.
rate_agrees() {
	local ours=() theirs median
	testpmd_rx_pps >/dev/null
	for _ in 1 2 3; do
		sleep 1
		ours+=("$(rx_pps_on_screen)")
	done
	theirs=$(testpmd_rx_pps)
	median=$(printf '%s\n' "${ours[@]}" | sort -n | sed -n 2p)
	say "rx: vctl top ${ours[*]} (median $median), testpmd $theirs packets/s"
	python3 -c 'import sys; a, b = float(sys.argv[1] or 0), float(sys.argv[2] or 0); sys.exit(not (b > 0 and 0.5 * b <= a <= 2 * b))' \
		"$median" "$theirs"
}

say "on a terminal: rows, rates, bursts"
run_top
until_screen "^ +0 +0 rx +[0-9.]+[kMG]? " || fail "no rx row with a rate on the screen"
until_screen "^ +0 +0 tx +[0-9.]+[kMG]? " || fail "no tx row with a rate on the screen"
[ "$(rx_pps_on_screen)" -gt 0 ] || fail "rx packets per second is 0 while testpmd forwards"
# The bar: 7 cells between brackets, at least one of them not blank.
screen | grep -Eq "^ +0 +0 rx .*\[[^]]{7}\]" || fail "no burst bar on the rx row"
screen | grep -E "^ +0 +0 rx " | grep -Eq "\[ *[^] ][^]]*\]" || fail "the rx burst bar is empty"
rate_agrees || rate_agrees || fail "vctl top's rx rate and testpmd's differ by more than 2x, twice"

say "p pauses, p resumes"
T send-keys -t top p
until_screen "PAUSED" 20 || fail "p: no PAUSED on the screen"
a=$(screen)
sleep 2
b=$(screen)
[ "$a" = "$b" ] || fail "the screen changed while paused"
T send-keys -t top p
until_screen "p pause" 20 || fail "p again: still paused"
sleep 2
c=$(screen)
[ "$c" != "$b" ] || fail "the screen did not change after resuming"
grep -q PAUSED <<<"$c" && fail "PAUSED still shown after resuming"

say "s sorts"
screen | grep -q "sort queue" || fail "the default order is not shown as 'sort queue'"
T send-keys -t top s
until_screen "sort rx_pps" 20 || fail "s: the sort indicator did not move to rx_pps"
T send-keys -t top s
until_screen "sort tx_pps" 20 || fail "s again: the sort indicator did not move to tx_pps"

say "resize"
T resize-window -t top -x 90 -y 12 || fail "tmux resize-window"
sleep 1.5
until_screen "^ +0 +0 rx " 20 || fail "no rx row after the resize"
long=$(screen | awk 'length($0) > 90' | head -1)
[ -z "$long" ] || fail "a line wider than the resized screen: $long"
T resize-window -t top -x 160 -y 40

say "q quits"
T send-keys -t top q
ended 0

say "plain: a table per refresh, no escapes"
"$vctl" --prefix "$prefix" top -n 2 | cat >"$dir/plain.txt" || fail "vctl top -n 2 | cat: exit $?"
[ "$(grep -c '^vctl top:' "$dir/plain.txt")" -eq 2 ] || fail "not two tables: $(cat "$dir/plain.txt")"
[ "$(grep -c '^PORT QUEUE DIR' "$dir/plain.txt")" -eq 2 ] || fail "not two headers: $(cat "$dir/plain.txt")"
[ "$(grep -Ec '^ +0 +0 (rx|tx) ' "$dir/plain.txt")" -eq 4 ] || fail "not two rows per table: $(cat "$dir/plain.txt")"
python3 -c 'import sys; sys.exit(b"\x1b" in open(sys.argv[1], "rb").read())' "$dir/plain.txt" ||
	fail "escape bytes in the plain output"

say "-j: JSON lines, valid, rx moving"
"$vctl" --prefix "$prefix" -j top -n 2 >"$dir/top.json" || fail "vctl -j top -n 2: exit $?"
[ "$(wc -l <"$dir/top.json")" -eq 2 ] || fail "not two JSON lines: $(cat "$dir/top.json")"
python3 "$here/check_schema.py" "$schema/top.json" "$dir/top.json" || fail "vctl -j top: not schema/top.json"
python3 -c '
import json, sys
for line in open(sys.argv[1]):
    q = json.loads(line)["queues"][0]
    if not (q["port"] == 0 and q["rx"]["packets_per_s"] > 0):
        sys.exit("rx packets_per_s is not > 0: %r" % q)
' "$dir/top.json" || fail "-j: no rx rate"

if [ "$(id -u)" -ne 0 ]; then
	say "--trace: skipped (BPF and uprobes need root)"
elif [ ! -e /sys/bus/event_source/devices/uprobe ]; then
	say "--trace: skipped (no uprobe support in this kernel)"
elif ! "$vctl" top --help | grep -q -- --trace; then
	say "--trace: skipped (vctl built without BPF)"
else
	say "--trace: the latency columns are numbers"
	"$vctl" --prefix "$prefix" top --trace -n 3 | cat >"$dir/trace.txt" ||
		fail "vctl top --trace: exit $?: $(cat "$dir/trace.txt")"
	grep -q "LAT-P50  LAT-P99  ENT/U" "$dir/trace.txt" || fail "no BPF columns: $(cat "$dir/trace.txt")"
	# Some queue's latency is a number (rx may have no sample in an interval), and both move entries.
	grep -Eq "^ +0 +0 (rx|tx) .* [0-9.]+(ns|us|ms) +[0-9.]+(ns|us|ms) +[0-9.]+$" "$dir/trace.txt" ||
		fail "no latency numbers: $(cat "$dir/trace.txt")"
	[ "$(grep -Ec '^ +0 +0 (rx|tx) .* [0-9.]+$' "$dir/trace.txt")" -ge 4 ] ||
		fail "entries per used move not numbers: $(cat "$dir/trace.txt")"
	"$vctl" --prefix "$prefix" -j top --trace -n 2 >"$dir/trace.json" || fail "vctl -j top --trace: exit $?"
	python3 "$here/check_schema.py" "$schema/top.json" "$dir/trace.json" ||
		fail "vctl -j top --trace: not schema/top.json"
fi

say "the application quits under vctl top"
run_top -i 0.5
until_screen "^ +0 +0 rx +[0-9.]+[kMG]? " || fail "no rx row on the screen"
pair_quit || fail "testpmd exited with $?"
ended 1
screen_all | grep -q "vctl: the application '$prefix' (pid [0-9]*) has exited" ||
	fail "vctl top did not say the application exited"

say "PASS"
