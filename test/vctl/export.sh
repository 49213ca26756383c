#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# vctl export against live dpdk-testpmd forwarding through net_vpmd and
# net_vhost, checked by Prometheus' own tools:
#   - usage errors; with no application, a scrape that still lints;
#   - two applications at once (a forwarding pair and a second pair whose
#     frontend does not forward), both exported with their own app and pid
#     labels; a dead socket skipped silently, a socket that never greets
#     left out and counted in vpmd_export_errors_total;
#   - `vctl export --once` passes `promtool check metrics` (errors and
#     lint warnings alike);
#   - forwarding stopped: the port's packet counters equal testpmd's and
#     vctl stats', the queue's equal the port's;
#   - served: GET /metrics answers a fresh scrape; a bad path gets 404, a
#     bad method 405, a malformed request 400 (or 505, or the connection
#     closed), bytes that are no request do not block it; a real prometheus
#     (own config, storage and port) scrapes it, and its HTTP API returns
#     vpmd_port_packets_total with the application's labels and a value > 0.
#
# Usage: export.sh VCTL PMD_SO
# Exit 0 pass, 1 fail, 77 skip (no dpdk-testpmd, prometheus, promtool, curl).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../../scripts/lib/testpmd_pair.sh
. "$top/scripts/lib/testpmd_pair.sh"

vctl=$1
pmd_so=$2

say() { printf 'vctl export: [%s] %s\n' "$SECONDS" "$*"; }
for tool in dpdk-testpmd prometheus promtool curl; do
	command -v "$tool" >/dev/null ||
		{ say "SKIP: $tool is not installed (scripts/setup.sh installs it)"; exit 77; }
done

dir=$(mktemp -d /tmp/vctl-export.XXXXXX)
pair_init "$dir" "$pmd_so" split client
rundir=/var/run/dpdk
dead=$rundir/vpmd-export-dead-$PAIR_ID
mute=$rundir/vpmd-export-mute-$PAIR_ID
b_pid=
export_pid=
prom_pid=
mute_pid=

# The second pair, the exporter, prometheus, the mute socket's holder: by PID.
cleanup() {
	local pid
	for pid in $export_pid $prom_pid $mute_pid; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ -n "$b_pid" ]; then
		touch "$dir/b/stop"
		for _ in $(seq 50); do kill -0 "$b_pid" 2>/dev/null || break; sleep 0.1; done
		kill "$b_pid" 2>/dev/null
		wait "$b_pid" 2>/dev/null
	fi
	pair_cleanup
	rm -rf "$dir" "$dead" "$mute"
}
trap cleanup EXIT

fail() {
	say "FAIL: $*"
	[ -s "$dir/export.err" ] && { echo "--- vctl export's stderr"; tail -20 "$dir/export.err"; }
	[ -s "$dir/prom.log" ] && { echo "--- prometheus"; tail -20 "$dir/prom.log"; }
	echo "--- frontend log"; grep -v "cache_count\[" "$dir/front.log" 2>/dev/null | tail -10
	exit 1
}

# expect CODE PATTERN ARGS...: vctl ARGS exits CODE and says PATTERN.
expect() {
	local code=$1 pattern=$2 out rc
	shift 2
	out=$("$vctl" "$@" 2>&1)
	rc=$?
	[ "$rc" -eq "$code" ] || fail "vctl $* exited $rc, not $code: $out"
	grep -Eq -- "$pattern" <<<"$out" || fail "vctl $*: no /$pattern/ in: $out"
}

# lint FILE: promtool finds nothing to say about the exposition.
lint() {
	local out
	out=$(promtool check metrics <"$1" 2>&1) || fail "promtool check metrics: $out"
	[ -z "$out" ] || fail "promtool check metrics warns: $out"
}

# value FILE FAMILY APP [LABEL...]: the value of FAMILY's one sample of APP with every LABEL (k="v").
value() {
	local file=$1 family=$2 app=$3 line
	shift 3
	line=$(grep "^$family{" "$file" | grep -F "app=\"$app\"")
	for l in "$@"; do line=$(grep -F "$l" <<<"$line"); done
	[ "$(grep -c . <<<"$line")" -eq 1 ] || return 1
	awk '{print $NF}' <<<"$line"
}

# scrape FILE: vctl export --once into FILE, its stderr beside it.
scrape() {
	"$vctl" --timeout 500 export --once >"$1" 2>"$dir/export.err" ||
		fail "vctl export --once exited $?"
	lint "$1"
}

say "usage errors, and no application"
expect 2 "takes no arguments" export 0
expect 2 "--listen 'nope'" export --listen nope
expect 2 "--listen '1.2.3:80'" export --listen 1.2.3:80
expect 2 "takes no --listen" export --once --listen 127.0.0.1:1
expect 2 "takes no --prefix" --prefix x export --once
mkdir -p "$dir/empty"
VCTL_RUNTIME_DIR=$dir/empty "$vctl" export --once >"$dir/none.prom" || fail "export with no application"
lint "$dir/none.prom"
grep -qx "vpmd_export_applications 0" "$dir/none.prom" || fail "no application, yet not 0 exported"

say "two applications, a dead socket and a mute one"
pair_start
pair_wait_forwarding || fail "the backend did not start forwarding"
a=vpmd-front-$PAIR_ID
# The second pair in a subshell of its own (the pair's state is global): its
# frontend starts its port but does not forward. It stops when told.
mkdir "$dir/b"
(
	exec 3>&- 4>&-
	pair_init "$dir/b" "$pmd_so" packed client
	echo "$PAIR_ID" >"$dir/b/id.tmp" && mv "$dir/b/id.tmp" "$dir/b/id"
	trap pair_cleanup EXIT
	pair_start
	pair_wait_forwarding && touch "$dir/b/ready"
	while [ ! -e "$dir/b/stop" ]; do sleep 0.2; done
) >/dev/null 2>&1 &
b_pid=$!
# A socket file nobody listens on (an application that died), and one
# whose listener never answers (it hangs): only the second is an error.
mkdir -p "$dead" "$mute"
python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.bind(sys.argv[1]); s.close()' \
	"$dead/dpdk_telemetry.v2" || fail "making the dead socket"
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.bind(sys.argv[1]); s.listen(8)
open(sys.argv[2], "w").close()
time.sleep(120)' "$mute/dpdk_telemetry.v2" "$dir/mute.ready" &
mute_pid=$!
for _ in $(seq 100); do [ -e "$dir/b/ready" ] && [ -e "$dir/mute.ready" ] && break; sleep 0.1; done
[ -e "$dir/b/ready" ] || fail "the second pair did not start"
b=vpmd-front-$(cat "$dir/b/id")
for _ in $(seq 50); do
	"$vctl" --prefix "$a" -j list 2>/dev/null | grep -q '"running":1' &&
		"$vctl" --prefix "$b" -j list 2>/dev/null | grep -q '"running":1' && break
	sleep 0.1
done
pair_send "start tx_first"
sleep 1
scrape "$dir/two.prom"
for app in "$a" "$b"; do
	pid=$(value "$dir/two.prom" vpmd_port_info "$app" 'layout=') || fail "no vpmd_port_info of $app"
	[ "$pid" = 1 ] || fail "vpmd_port_info of $app is $pid"
	grep "^vpmd_port_info{" "$dir/two.prom" | grep -F "app=\"$app\"" | grep -Eq 'pid="[0-9]+"' ||
		fail "$app has no pid label"
	[ "$(value "$dir/two.prom" vpmd_port_running "$app")" = 1 ] || fail "$app's port is not running"
	[ "$(value "$dir/two.prom" vpmd_port_link_up "$app")" = 1 ] || fail "$app's link is not up"
	[ "$(value "$dir/two.prom" vpmd_queue_ring_size "$app" 'queue="0"' 'direction="rx"')" -gt 0 ] ||
		fail "$app: no ring size of rx queue 0"
done
grep "^vpmd_port_info{" "$dir/two.prom" | grep -F "app=\"$b\"" | grep -Fq 'layout="packed"' ||
	fail "the second application's port is not labelled packed"
[ "$(grep "^vpmd_port_info{" "$dir/two.prom" | grep -F "app=\"$a\"" | grep -o 'pid="[0-9]*"')" != \
	"$(grep "^vpmd_port_info{" "$dir/two.prom" | grep -F "app=\"$b\"" | grep -o 'pid="[0-9]*"')" ] ||
	fail "the two applications have the same pid label"
rx=$(value "$dir/two.prom" vpmd_queue_bursts_total "$a" 'queue="0"' 'direction="rx"' 'size="32_plus"')
[ "${rx:-0}" -gt 0 ] || fail "no rx bursts of 32+ while forwarding"
grep -F "$(basename "$dead")" "$dir/export.err" && fail "the dead socket was reported as an error"
grep -qF "$(basename "$mute")" "$dir/export.err" || fail "the mute socket was not reported"
[ "$(awk '$1 == "vpmd_export_errors_total" {print $2}' "$dir/two.prom")" -ge 1 ] ||
	fail "the mute application is not counted in vpmd_export_errors_total"
grep -qF "app=\"$(basename "$mute")\"" "$dir/two.prom" && fail "the mute application was exported"
say "$(grep -c '^vpmd_' "$dir/two.prom") samples, $(grep -c '^# TYPE' "$dir/two.prom") families; promtool: clean"

# The second pair and the mute socket have done their part: free the cores, and the scrapes of their wait.
touch "$dir/b/stop"
for _ in $(seq 50); do kill -0 "$b_pid" 2>/dev/null || break; sleep 0.1; done
kill "$mute_pid" 2>/dev/null
wait "$mute_pid" 2>/dev/null
mute_pid=
rm -rf "$mute"

say "forwarding stopped: the counters are testpmd's"
pair_send "stop"
sleep 0.5
pair_send "show port stats 0"
for _ in $(seq 50); do grep -q "TX-packets" "$dir/front.log" && break; sleep 0.1; done
scrape "$dir/stopped.prom"
"$vctl" --prefix "$a" -j stats 0 >"$dir/stats.json" || fail "vctl stats"
t_rx=$(grep -o "RX-packets: *[0-9]*" "$dir/front.log" | tail -1 | tr -dc '0-9')
t_tx=$(grep -o "TX-packets: *[0-9]*" "$dir/front.log" | tail -1 | tr -dc '0-9')
v_rx=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["stats"]["ipackets"])' "$dir/stats.json")
e_rx=$(value "$dir/stopped.prom" vpmd_port_packets_total "$a" 'direction="rx"')
e_tx=$(value "$dir/stopped.prom" vpmd_port_packets_total "$a" 'direction="tx"')
q_rx=$(value "$dir/stopped.prom" vpmd_queue_packets_total "$a" 'queue="0"' 'direction="rx"')
say "rx packets: export $e_rx, queue 0 $q_rx, vctl stats $v_rx, testpmd $t_rx; tx: export $e_tx, testpmd $t_tx"
[ -n "$t_rx" ] && [ "$t_rx" -gt 0 ] || fail "testpmd shows no rx packets"
[ "$e_rx" = "$t_rx" ] && [ "$e_rx" = "$v_rx" ] && [ "$q_rx" = "$e_rx" ] ||
	fail "rx packets differ"
[ "$e_tx" = "$t_tx" ] || fail "tx packets differ"
pair_send "start tx_first"

say "served: /metrics, 404, 405, garbage, and prometheus scraping it"
"$vctl" --timeout 500 export --listen 127.0.0.1:0 >"$dir/serve.out" 2>"$dir/export.err" &
export_pid=$!
for _ in $(seq 50); do grep -q "serving" "$dir/serve.out" && break; sleep 0.1; done
addr=$(grep -o "http://[0-9.:]*" "$dir/serve.out" | sed 's|http://||')
[ -n "$addr" ] || fail "vctl export --listen did not say where it serves: $(cat "$dir/serve.out")"
http() { curl -s -o "$dir/body" -w '%{http_code}' --max-time 5 "$@"; }
[ "$(http "http://$addr/metrics")" = 200 ] || fail "GET /metrics"
lint "$dir/body"
first=$(value "$dir/body" vpmd_port_packets_total "$a" 'direction="rx"') || fail "GET /metrics has no $a"
[ "$(http "http://$addr/")" = 404 ] || fail "GET / is not 404"
[ "$(http "http://$addr/metrics/x")" = 404 ] || fail "GET /metrics/x is not 404"
[ "$(http -X POST -d x=1 "http://$addr/metrics")" = 405 ] || fail "POST /metrics is not 405"
[ "$(http -X DELETE "http://$addr/metrics")" = 405 ] || fail "DELETE /metrics is not 405"
# raw BYTES: what the server answers to BYTES on a connection of its own ("closed" if nothing).
raw() {
	python3 -c 'import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
s.sendall(sys.argv[3].encode().decode("unicode_escape").encode("latin1"))
r = s.recv(100)
print(r.split(b" ")[1].decode() if r else "closed")' "${addr%:*}" "${addr##*:}" "$1" 2>&1
}
[ "$(raw 'GET  HTTP/1.1\r\n\r\n')" = 400 ] || fail "a request line without a path is not 400"
[ "$(raw 'GET /metrics HTTP/9.9\r\nHost: x\r\n\r\n')" = 505 ] || fail "HTTP/9.9 is not 505"
[ "$(raw 'GARBAGE\r\n\r\n')" = closed ] || fail "a garbage line did not close the connection"
# Bytes that are no request at all, on a connection left open: others are still served.
python3 -c 'import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
s.sendall(b"\x00\xff\xfe garbage")
time.sleep(2)' "${addr%:*}" "${addr##*:}" &
garbage_pid=$!
sleep 0.3
[ "$(http "http://$addr/metrics")" = 200 ] || fail "GET /metrics after the bad requests"
again=$(value "$dir/body" vpmd_port_packets_total "$a" 'direction="rx"')
[ "$again" -gt "$first" ] || fail "a second scrape is not fresh: rx packets $first then $again"
kill -0 "$export_pid" || fail "vctl export died"
wait "$garbage_pid"

prom_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$dir/prometheus.yml" <<-EOF
	global:
	  scrape_interval: 1s
	  scrape_timeout: 1s
	scrape_configs:
	  - job_name: vpmd
	    static_configs:
	      - targets: ['$addr']
EOF
promtool check config "$dir/prometheus.yml" >/dev/null || fail "promtool check config"
prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/tsdb" \
	--web.listen-address="127.0.0.1:$prom_port" >"$dir/prom.log" 2>&1 &
prom_pid=$!
query="vpmd_port_packets_total{app=\"$a\",direction=\"rx\",port=\"0\",port_name=\"net_vpmd0\"}"
got=
for _ in $(seq 100); do
	kill -0 "$prom_pid" 2>/dev/null || fail "prometheus exited"
	curl -s --max-time 2 -G "http://127.0.0.1:$prom_port/api/v1/query" \
		--data-urlencode "query=$query" >"$dir/query.json" 2>/dev/null
	got=$(python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["data"]["result"]
print(r[0]["value"][1] if len(r) == 1 else "")' "$dir/query.json" 2>/dev/null)
	[ -n "$got" ] && break
	sleep 0.2
done
[ -n "$got" ] || fail "prometheus has no $query: $(cat "$dir/query.json")"
python3 -c 'import sys; sys.exit(not float(sys.argv[1]) > 0)' "$got" || fail "prometheus says $query = $got"
say "prometheus: $query = $got"
curl -s --max-time 2 -G "http://127.0.0.1:$prom_port/api/v1/query" \
	--data-urlencode "query=up{job=\"vpmd\"}" | grep -q '"value":\[[0-9.]*,"1"\]' ||
	fail "prometheus does not see the exporter up"
kill -0 "$export_pid" || fail "vctl export died while prometheus scraped it"
kill "$export_pid"
wait "$export_pid"
rc=$?
export_pid=
[ "$rc" -eq 0 ] || fail "vctl export exited $rc on SIGTERM"
say "PASS"
