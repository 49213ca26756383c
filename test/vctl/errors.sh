#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# vctl's failures, each with a clear message and the right exit code, and
# under -j one JSON document (schema/error.json): no application, a wrong
# prefix, a stale socket, an application without vpmd, several to choose
# from, garbage, a truncated reply, the wrong key, no reply, no greeting, a
# hang-up; and the usage errors. The applications are fake telemetry
# servers (fake_tel.py) in a private runtime directory (VCTL_RUNTIME_DIR),
# so nothing running on the machine is seen or disturbed.
#
# Usage: errors.sh VCTL
set -uo pipefail

vctl=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
schema=$here/schema
tmp=$(mktemp -d /tmp/vctl-errors.XXXXXX)
export VCTL_RUNTIME_DIR=$tmp/run
pids=()
failed=0

# The fake applications started so far, ended by PID.
stop_fakes() {
	local pid
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	pids=()
}
trap 'stop_fakes; rm -rf "$tmp"' EXIT

python3 -c 'import jsonschema' 2>/dev/null ||
	{ echo "SKIP: python3-jsonschema is not installed (scripts/setup.sh installs it)"; exit 77; }

# fake PREFIX MODE: an application with that file prefix, behaving so.
fake() {
	local sock=$VCTL_RUNTIME_DIR/$1/dpdk_telemetry.v2 i
	python3 "$here/fake_tel.py" "$sock" "$2" >/dev/null &
	pids+=($!)
	for i in $(seq 50); do [ -S "$sock" ] && return 0; sleep 0.1; done
	echo "FAIL: fake telemetry server $1 ($2) did not start"
	exit 1
}

unfake_all() {
	stop_fakes
	rm -rf "$VCTL_RUNTIME_DIR"
	mkdir -p "$VCTL_RUNTIME_DIR"
}

# expect CODE PATTERN ARGS...: vctl ARGS exits CODE and says PATTERN (an
# extended regex) on stdout or stderr; under -j its stdout validates
# against error.json (or, when CODE is 0, is left to the caller).
expect() {
	local code=$1 pattern=$2 out rc
	shift 2
	out=$("$vctl" "$@" 2>&1)
	rc=$?
	if [ "$rc" -ne "$code" ]; then
		echo "FAIL: vctl $* exited $rc, not $code: $out"
		failed=1
		return
	fi
	if ! grep -Eq -- "$pattern" <<<"$out"; then
		echo "FAIL: vctl $*: no /$pattern/ in: $out"
		failed=1
		return
	fi
	if [ "$code" -ne 0 ] && [[ " $* " == *" -j "* ]]; then
		out=$("$vctl" "$@" 2>/dev/null)
		if ! python3 "$here/check_schema.py" "$schema/error.json" <<<"$out"; then
			echo "FAIL: vctl $*: error output is not error.json"
			failed=1
			return
		fi
		if ! python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(d["exit_code"] != int(sys.argv[1]))' "$code" <<<"$out"; then
			echo "FAIL: vctl $*: exit_code in the JSON is not $code"
			failed=1
			return
		fi
	fi
	echo "ok: vctl $* -> $rc"
}

mkdir -p "$VCTL_RUNTIME_DIR"

# Usage errors: exit 2, before any socket is touched.
expect 2 "usage: vctl" 
expect 2 "no command given" -j
expect 2 "unknown command 'bogus'" bogus
expect 2 "unknown command 'bogus'" -j bogus
expect 2 "unknown option --bogus" --bogus list
expect 2 "unknown option --bogus" list --bogus -j
expect 2 "option --prefix needs an argument" list --prefix
expect 2 "a file prefix is a name" --prefix a/b list
expect 2 "--timeout" --timeout 0 list
expect 2 "takes no arguments" list 0
expect 2 "takes one argument: PORT" status
expect 2 "port 'x'" -j status x
expect 2 "port '70000'" status 70000
expect 2 "unknown option -1" features -1
expect 2 "takes three arguments" ring 0 0
expect 2 "direction 'up'" ring 0 0 up -j
expect 2 "queue '1x'" ring 0 1x rx
expect 2 "--desc COUNT" ring 0 0 rx --desc 1:x
expect 2 "--watch '0'" stats 0 --watch 0
expect 2 "--count goes with --watch" stats 0 --count 2 -j
expect 2 "unknown command 'nope'" help nope
# Help and version: exit 0, JSON under -j.
expect 0 "^usage: vctl" --help
expect 0 "vctl [0-9]" --version
expect 0 '"version"' -j --version
for cmd in list status features ring stats help; do
	expect 0 "usage: vctl \[GLOBAL OPTIONS\] $cmd" "$cmd" --help
	"$vctl" "$cmd" --help -j | python3 "$here/check_schema.py" "$schema/help.json" ||
		{ echo "FAIL: vctl $cmd --help -j"; failed=1; }
done
"$vctl" help -j | python3 "$here/check_schema.py" "$schema/help.json" || { echo "FAIL: vctl help -j"; failed=1; }

# No application at all.
expect 1 "no DPDK application is running: no telemetry socket under $VCTL_RUNTIME_DIR" list
expect 1 "no DPDK application is running" -j list
rmdir "$VCTL_RUNTIME_DIR"
expect 1 "no DPDK application is running" list -j

# A stale socket: the process died, its runtime directory stayed.
unfake_all
fake stale dead
expect 1 "refuse connections .*stale prefixes of processes that died: stale" list
expect 1 "refuses connections: no application behind it" --prefix stale -j status 0

# A wrong prefix names those there are.
fake app vpmd
expect 1 "no DPDK application with file prefix 'wrong' .*found: app, stale" --prefix wrong list
expect 1 "file prefix 'wrong'" --prefix wrong -j list
mkdir -p "$VCTL_RUNTIME_DIR/nosock"
expect 1 "'nosock' has no telemetry socket" --prefix nosock list

# The only live one is taken; a port it does not have is named as such.
expect 0 "net_vpmd0" list
expect 0 "net_vpmd0" --prefix app list
"$vctl" list -j | python3 "$here/check_schema.py" "$schema/list.json" || { echo "FAIL: list -j schema"; failed=1; }
expect 1 "port 3 is not a vpmd port of 'app' .*its vpmd ports are 0" status 3
expect 1 "port 3 is not a vpmd port" -j ring 3 0 rx
expect 1 "port 0 has 1 rx queue: there is no queue 2" ring 0 2 rx

# Several: the only one with vpmd is taken; else the user must choose.
fake plain plain
expect 0 "application 'app'" list
expect 1 "has no /vpmd/list telemetry command: net_vpmd is not loaded" --prefix plain list
expect 1 "net_vpmd is not loaded" --prefix plain -j stats 0
fake app2 vpmd
expect 1 "3 DPDK applications are running, several with vpmd's telemetry commands: choose one with --prefix \(app \(pid [0-9]+\), app2 \(pid [0-9]+\), plain \(pid [0-9]+\)\)" list
expect 1 "choose one with --prefix" -j list

# Replies that are not telemetry's.
fake garbage garbage
expect 1 "the reply to /vpmd/list is not JSON .*garbage or a truncated reply" --prefix garbage list
expect 1 "is not JSON" --prefix garbage -j list
fake truncated truncated
expect 1 "the reply to /vpmd/list is not JSON .*truncated" --prefix truncated list
expect 1 "truncated" --prefix truncated -j status 0
fake wrongkey wrongkey
expect 1 "the reply to /vpmd/list is not \{\"/vpmd/list\": ...\}" --prefix wrongkey list
fake silent silent
expect 1 "no reply to /vpmd/list within 300 ms" --prefix silent --timeout 300 list
expect 1 "no reply" --prefix silent --timeout 300 -j list
fake nogreet nogreet
expect 1 "no greeting within 300 ms" --prefix nogreet --timeout 300 list
fake hangup hangup
expect 1 "closed the connection instead of answering /vpmd/list" --prefix hangup list -j
fake midclose midclose
expect 1 "the reply to /vpmd/list is not JSON .*truncated" --prefix midclose list
expect 1 "is not JSON" --prefix midclose -j status 0
fake badgreet badgreet
expect 1 "the greeting is not DPDK telemetry's" --prefix badgreet list
expect 1 "greeting" --prefix badgreet -j stats 0
fake shortgreet shortgreet
expect 1 "the greeting is not DPDK telemetry's" --prefix shortgreet list
expect 1 "greeting" --prefix shortgreet -j status 0
fake shape shape
for c in list "status 0" "stats 0" "ring 0 0 rx" "features 0"; do
	# shellcheck disable=SC2086 # the command's words
	expect 1 "the reply to /vpmd/list is not a port list" --prefix shape $c
done

# A server that stalls costs --timeout, not more: bounded per request.
for m in silent nogreet; do
	t0=$(date +%s%N)
	expect 1 "within 300 ms" --prefix $m --timeout 300 status 0
	ms=$((($(date +%s%N) - t0) / 1000000))
	if [ "$ms" -gt 2000 ]; then
		echo "FAIL: vctl against a stalling server ($m) took $ms ms with --timeout 300"
		failed=1
	else
		echo "ok: vctl against a stalling server ($m): $ms ms with --timeout 300"
	fi
done

if [ "$failed" -ne 0 ]; then
	echo "FAIL"
	exit 1
fi
echo "PASS"
