#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# vctl trace --queue and --port on a two-queue net_vpmd port in testpmd:
# --queue 1 reports virtqueues 2 and 3 (rx and tx queue 1) and nothing of
# queue 0, both with traffic; --queue 0 the other two; --port 1 (no such
# port) nothing. Also --prefix finds the process by its EAL file prefix,
# the table mode prints a row per queue, and -p indents the JSON.
#
# Usage: queues.sh PMD_SO VCTL
# Exit 0 pass, 1 fail, 77 skip.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=../../scripts/lib/testpmd_pair.sh
. "$top/scripts/lib/testpmd_pair.sh"
# shellcheck source=lib.sh
. "$here/lib.sh"

pmd_so=$1
VCTL=$2

say() { printf 'trace_queues: %s\n' "$*"; }
trace_require

dir=$(mktemp -d /tmp/vpmd-trace.XXXXXX)
pair_init "$dir" "$pmd_so" split client 2
TRACE_PID=
trap 'trace_kill; pair_cleanup; rm -rf "$dir"' EXIT

fail() {
	say "FAIL: $*"
	for f in "$dir"/q*.json "$dir"/p1.json "$dir"/table.txt; do
		[ -f "$f" ] && { echo "--- $f"; cut -c1-300 "$f" | tail -8; cat "$f.err" 2>/dev/null; }
	done
	echo "--- frontend log"; grep -v "cache_count\[" "$dir/front.log" | tail -20
	exit 1
}

pair_start
pair_wait_forwarding || fail "the backend did not start forwarding"
pair_send "start tx_first 4"
sleep 1

# The virtqueues in the totals of FILE with traffic, e.g. "2 3".
vqs_with_traffic() {
	python3 - "$1" <<'PY'
import json, sys
total = [json.loads(l) for l in open(sys.argv[1]) if '"type":"total"' in l][-1]
print(" ".join(str(q["vq"]) for q in total["queues"]
               if q["used_entries"] > 1000 and q["kicks"] + q["kicks_suppressed"] > 10))
PY
}
vqs_any() {
	python3 -c 'import json,sys; t=[json.loads(l) for l in open(sys.argv[1]) if "\"type\":\"total\"" in l][-1]; print(" ".join(str(q["vq"]) for q in t["queues"]))' "$1"
}

"$VCTL" trace -j --pid "$PAIR_FRONT_PID" --queue 1 --duration 1.5 >"$dir/q1.json" 2>"$dir/q1.json.err" ||
	fail "vctl trace --queue 1 exited with $?"
got=$(vqs_any "$dir/q1.json"); busy=$(vqs_with_traffic "$dir/q1.json")
say "--queue 1: virtqueues $got, with traffic $busy"
{ [ "$got" = "2 3" ] && [ "$busy" = "2 3" ]; } || fail "--queue 1 should show virtqueues 2 and 3, both busy"

prefix=$(tr '\0' '\n' <"/proc/$PAIR_FRONT_PID/cmdline" | sed -n 's/^--file-prefix=//p')
"$VCTL" trace -j --prefix "$prefix" --queue 0 --duration 1.5 >"$dir/q0.json" 2>"$dir/q0.json.err" ||
	fail "vctl trace --prefix $prefix --queue 0 exited with $?"
got=$(vqs_any "$dir/q0.json"); busy=$(vqs_with_traffic "$dir/q0.json")
say "--prefix $prefix --queue 0: virtqueues $got, with traffic $busy"
{ [ "$got" = "0 1" ] && [ "$busy" = "0 1" ]; } || fail "--queue 0 should show virtqueues 0 and 1, both busy"
grep -q "\"pid\":$PAIR_FRONT_PID," "$dir/q0.json" || fail "--prefix found another process"

"$VCTL" trace -j --pid "$PAIR_FRONT_PID" --port 1 --duration 1 >"$dir/p1.json" 2>"$dir/p1.json.err" ||
	fail "vctl trace --port 1 exited with $?"
got=$(vqs_any "$dir/p1.json")
say "--port 1: virtqueues '${got}'"
[ -z "$got" ] || fail "--port 1 should show nothing"

# -p: the same documents, each indented over several lines.
"$VCTL" trace -p --pid "$PAIR_FRONT_PID" --queue 0 --interval 0.5 --duration 1.2 >"$dir/qp.json" 2>"$dir/qp.json.err" ||
	fail "vctl trace -p exited with $?"
types=$(python3 - "$dir/qp.json" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
dec, at, types = json.JSONDecoder(), 0, []
while text[at:].strip():
    while text[at].isspace():
        at += 1
    doc, end = dec.raw_decode(text, at)
    if "\n  \"type\": " not in text[at:end]:
        sys.exit("not indented: " + text[at:end][:80])
    types.append(doc["type"])
    at = end
print(" ".join(types))
PY
) || fail "vctl trace -p: not indented JSON documents"
say "-p: $types"
[ "$types" = "attached interval interval total" ] || fail "-p should print attached, two intervals, total"

# The table: a row per queue each interval, then the totals.
"$VCTL" trace --pid "$PAIR_FRONT_PID" --interval 0.5 --duration 1.2 >"$dir/table.txt" 2>"$dir/table.txt.err" ||
	fail "vctl trace (table) exited with $?"
rows=$(grep -cE '^ +[0-9.]+ +0 (rx|tx)[01] ' "$dir/table.txt")
say "table: $rows rows in 2 intervals"
[ "$rows" -eq 8 ] || fail "expected 8 rows (4 queues x 2 intervals), got $rows"
grep -q '^-- totals' "$dir/table.txt" || fail "no totals in the table output"

pair_send "stop"
pair_quit || fail "testpmd exited with $?"
say "PASS"
