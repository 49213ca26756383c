#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# vctl against a live dpdk-testpmd forwarding through net_vpmd (1024-entry
# rings) and DPDK's net_vhost: every command's JSON validated against its
# schema and checked against the driver and testpmd (live_check.py):
# features as negotiated and logged, the 1024-entry ring paged and
# assembled, indexes moving while frames flow, counters equal to testpmd's
# once forwarding stops, bad parameters answered null with the application
# unharmed; then the backend killed (rings down, said so), and vctl kept
# reading while the port is stopped, started and closed under it.
#
# Usage: live.sh VCTL PMD_SO split|packed
# Exit 0 pass, 1 fail, 77 skip (no dpdk-testpmd, no python3-jsonschema).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../../scripts/lib/testpmd_pair.sh
. "$top/scripts/lib/testpmd_pair.sh"

vctl=$1
pmd_so=$2
layout=$3
schema=$here/schema

say() { printf 'vctl live(%s): %s\n' "$layout" "$*"; }
command -v dpdk-testpmd >/dev/null || { say "SKIP: dpdk-testpmd not installed (package dpdk-dev)"; exit 77; }
python3 -c 'import jsonschema' 2>/dev/null ||
	{ say "SKIP: python3-jsonschema is not installed (scripts/setup.sh installs it)"; exit 77; }

dir=$(mktemp -d /tmp/vctl-live.XXXXXX)
pair_init "$dir" "$pmd_so" "$layout" client
PAIR_VDEV+=",queue_size=1024"
PAIR_APP+=(--rxd=1024 --txd=1024)
hammer_pid=
trap '[ -n "$hammer_pid" ] && kill "$hammer_pid" 2>/dev/null; pair_cleanup; rm -rf "$dir"' EXIT
prefix=vpmd-front-$PAIR_ID

fail() {
	say "FAIL: $*"
	echo "--- frontend log"; grep -v "cache_count\[" "$dir/front.log" | tail -30
	exit 1
}

V() { "$vctl" --prefix "$prefix" "$@"; }

# json NAME SCHEMA ARGS...: vctl -j ARGS into NAME.json, exit 0, valid.
json() {
	local name=$1 sch=$2
	shift 2
	V -j "$@" >"$dir/$name.json" || fail "vctl $* exited $?: $(head -c 500 "$dir/$name.json")"
	python3 "$here/check_schema.py" "$schema/$sch.json" "$dir/$name.json" ||
		fail "vctl $*: output does not match schema/$sch.json"
}

check() { python3 "$here/live_check.py" "$1" "$dir" "$layout" || fail "consistency ($1)"; }

# until_json FIELD VALUE ARGS...: poll vctl -j ARGS until .ports."0".FIELD is VALUE (list).
until_port() {
	local i
	for i in $(seq 50); do
		V -j list 2>/dev/null | python3 -c 'import json,sys; p=json.load(sys.stdin)["ports"]["0"]; sys.exit(p[sys.argv[1]] != sys.argv[2] and str(p[sys.argv[1]]) != sys.argv[2])' "$1" "$2" && return 0
		sleep 0.1
	done
	return 1
}

# Keep vctl reading the port in the background: each run must end 0 or 1
# with one JSON document, whatever the port is going through.
hammer_start() {
	(
		set +e
		for i in $(seq 400); do
			for args in "ring 0 0 rx" "status 0" "stats 0" "ring 0 0 tx --desc 0:8"; do
				# shellcheck disable=SC2086
				out=$(V -j $args 2>&1)
				rc=$?
				if [ "$rc" -gt 1 ] || ! python3 -c 'import json,sys; json.loads(sys.stdin.read())' <<<"$out"; then
					echo "vctl $args: exit $rc: ${out:0:300}" >>"$dir/hammer.err"
				fi
			done
			[ -e "$dir/hammer.stop" ] && break
		done
	) &
	hammer_pid=$!
}

hammer_stop() {
	touch "$dir/hammer.stop"
	wait "$hammer_pid"
	hammer_pid=
	rm -f "$dir/hammer.stop"
	[ ! -s "$dir/hammer.err" ] || fail "vctl under a changing port: $(head -5 "$dir/hammer.err")"
}

pair_start
pair_wait_forwarding || fail "the backend did not start forwarding"
until_port running 1 || fail "port 0 never ran"
pair_send "start tx_first"
sleep 1

say "forwarding: every command, checked against its schema and the driver"
json list list list
json status status status 0
json features features features 0
json ring_rx ring ring 0 0 rx
json ring_tx_tail ring ring 0 0 tx --desc 1000:100
for q in tx rx; do
	json "${q}_1" ring ring 0 0 "$q" --desc 0:0
	sleep 0.3
	json "${q}_2" ring ring 0 0 "$q" --desc 0:0
done
json stats_watch stats stats 0 --watch 1 --count 2
check forwarding

say "bad parameters straight to the socket: null replies, the application unharmed"
long=$(printf '0%.0s' $(seq 900))
python3 "$here/tel_raw.py" "/var/run/dpdk/$prefix" \
	"/vpmd/status" "/vpmd/status," "/vpmd/status,x" "/vpmd/status,-1" "/vpmd/status,0x0" \
	"/vpmd/status,99999999999999" "/vpmd/status,0,1" "/vpmd/status,7" "/vpmd/status,$long" \
	"/vpmd/features,1" "/vpmd/list,0" "/vpmd/stats,0,0" "/vpmd/xstats,0,99999" "/vpmd/xstats,0,,1" \
	"/vpmd/queue" "/vpmd/queue,0" "/vpmd/queue,0,0" "/vpmd/queue,0,0,up" "/vpmd/queue,0,1,rx" \
	"/vpmd/queue,0,0,rx,1024" "/vpmd/queue,0,0,rx,0,65537" "/vpmd/queue,0,0,rx,0,1,2" \
	"/vpmd/queue,0,0,rx,,1" "/vpmd/queue,0,0,rx,1,x" "/vpmd/queue,,0,rx" "/vpmd/queue,0,0,rx,0,1," \
	"/vpmd/trace,0" "/vpmd/trace,65537" "/vpmd/trace,x" "/vpmd/trace,1,2" "/vpmd/trace,-1" \
	"/vpmd/list" "/vpmd/queue,0,0,rx,0,65536" "/vpmd/xstats,0" "/vpmd/trace,100" "/vpmd/trace" \
	"/vpmd/trace,64" >"$dir/raw.json" ||
	fail "raw requests"
check raw

say "forwarding stopped: vctl's counters are testpmd's"
pair_send "stop"
sleep 0.5
pair_send "show port stats 0"
for _ in $(seq 50); do grep -q "NIC statistics for port 0" "$dir/front.log" && break; sleep 0.1; done
json stats_stopped stats stats 0
json rx_stopped ring ring 0 0 rx --desc 0:0
check stopped

say "vctl reading while the port is stopped and started under it"
hammer_start
for cmd in "port stop 0" "port start 0" "port stop 0" "port start 0"; do
	pair_send "$cmd"
	sleep 0.5
done
hammer_stop
until_port running 1 || fail "port 0 did not run again after port start"

say "backend gone: the rings are down, and vctl says so"
pair_kill_backend
until_port running 0 || fail "port 0 still runs without its backend"
json status_down status status 0
json stats_down stats stats 0
out=$(V ring 0 0 rx 2>&1)
rc=$?
[ "$rc" -eq 1 ] && grep -q "the rings are down (port started, backend away)" <<<"$out" ||
	fail "ring with the backend gone: exit $rc, $out"
check down

say "vctl reading while the port is stopped and closed under it"
hammer_start
pair_send "port stop 0"
sleep 0.5
pair_send "port close 0"
sleep 0.5
hammer_stop
out=$(V status 0 2>&1)
rc=$?
[ "$rc" -eq 1 ] && grep -q "port 0 is not a vpmd port" <<<"$out" ||
	fail "status of a closed port: exit $rc, $out"

pair_quit || fail "testpmd exited with $?"
say "PASS"
