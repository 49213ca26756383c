#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# vctl trace's errors and exit codes, without testpmd, the same as every
# vctl command's: usage errors exit 2, runtime errors exit 1 with a
# message that says what is missing (no such process, no net_vpmd in it,
# no such prefix, not root); the text is "vctl: ..." on stderr, and under
# -j (or -p) the error is one JSON document on stdout, vctl's error shape
# (test/vctl/schema/error.json); an error while tracing (the process
# exited) follows the totals. And trace's options are its table's: every
# option trace --help and the completion list is accepted.
#
# Usage: errors.sh VCTL PMD_SO
# Exit 0 pass, 1 fail, 77 skip.
set -uo pipefail

VCTL=$1
pmd_so=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
schema=$here/../vctl/schema/error.json
say() { printf 'trace_errors: %s\n' "$*"; }

[ "$(id -u)" -eq 0 ] || { say "SKIP: needs root (to compare with an unprivileged run)"; exit 77; }

dir=$(mktemp -d /tmp/vpmd-trace-err.XXXXXX)
chmod 755 "$dir"
pids=()
# The sleepers started here, ended by PID, and the scratch directory.
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$dir"
}
trap cleanup EXIT
failed=0

# expect CODE PATTERN ARGS...: exit code CODE, and PATTERN in stderr.
expect() {
	local code=$1 pattern=$2 rc=0
	shift 2
	"$@" >"$dir/out" 2>"$dir/err" || rc=$?
	if [ "$rc" -ne "$code" ] || ! grep -qE -- "$pattern" "$dir/err" "$dir/out"; then
		say "FAIL: '$*': exit $rc (want $code), output:"
		sed 's/^/    /' "$dir/out" "$dir/err" | head -5
		failed=1
	else
		say "ok: '${*#"$VCTL" }' -> $rc: $(head -1 "$dir/err")"
	fi
}

expect 0 "usage: vctl .*trace" "$VCTL" trace --help
expect 2 "unknown option" "$VCTL" trace --bogus
expect 2 "invalid value '0' for --interval" "$VCTL" trace --interval 0
expect 2 "invalid value 'x' for --queue" "$VCTL" trace --queue x
expect 2 "invalid value '0' for --pid" "$VCTL" trace --pid 0
expect 2 "option --duration needs an argument" "$VCTL" trace --duration
expect 2 "name the process twice" "$VCTL" trace --pid 1 --prefix x
expect 2 "name the process twice" "$VCTL" --prefix x trace --pid 1
expect 2 "a file prefix is a name" "$VCTL" trace --prefix a/b
expect 2 "takes no arguments \('extra'\)" "$VCTL" trace extra
expect 1 "no process 2147483647" "$VCTL" trace --pid 2147483647
expect 1 "no DPDK process with file prefix 'vpmd-no-such-prefix'" \
	"$VCTL" trace --prefix vpmd-no-such-prefix
expect 1 "no DPDK process with file prefix 'vpmd-no-such-prefix'" \
	"$VCTL" --prefix vpmd-no-such-prefix trace

sleep 60 &
pids+=($!)
expect 1 "process $! has no net_vpmd loaded" "$VCTL" trace --pid $!

# Text errors: "vctl: MESSAGE" on stderr, nothing on stdout; a usage
# error adds the way to help.
"$VCTL" trace --pid 2147483647 >"$dir/out" 2>"$dir/err"
if [ -s "$dir/out" ] || [ "$(cat "$dir/err")" != "vctl: no process 2147483647" ]; then
	say "FAIL: text error: stdout '$(cat "$dir/out")', stderr '$(cat "$dir/err")'"
	failed=1
fi
"$VCTL" trace --queue x >/dev/null 2>"$dir/err"
grep -qx "try 'vctl trace --help'" "$dir/err" || { say "FAIL: usage error without the way to help: $(cat "$dir/err")"; failed=1; }

# json_error CODE PATTERN ARGS...: exit CODE, stdout one JSON document of
# vctl's error shape saying PATTERN, with that exit code and "command":
# "trace"; nothing on stderr.
json_error() {
	local code=$1 pattern=$2 rc=0 schema_rc=0
	shift 2
	"$@" >"$dir/out" 2>"$dir/err" || rc=$?
	python3 "$here/../vctl/check_schema.py" "$schema" "$dir/out" >"$dir/schema.log" 2>&1 || schema_rc=$?
	if [ "$schema_rc" -ne 0 ] && [ "$schema_rc" -ne 77 ]; then
		say "FAIL: '$*': not vctl's error shape: $(cat "$dir/out" "$dir/schema.log")"
		failed=1
	elif [ "$rc" -ne "$code" ] || [ -s "$dir/err" ] ||
		! python3 - "$dir/out" "$code" "$pattern" <<'PY'; then
import json, re, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d.get("exit_code") == int(sys.argv[2]) and d.get("command") == "trace"
         and re.search(sys.argv[3], d.get("error", "")) else 1)
PY
		say "FAIL: '$*': exit $rc (want $code), stdout '$(cat "$dir/out")', stderr '$(cat "$dir/err")'"
		failed=1
	else
		say "ok: '${*#"$VCTL" }' -> $rc: $(tr -d '\n' <"$dir/out")"
	fi
}
json_error 1 "no process 2147483647" "$VCTL" trace -j --pid 2147483647
json_error 1 "no process 2147483647" "$VCTL" -j trace --pid 2147483647
json_error 1 "no DPDK process with file prefix" "$VCTL" trace --prefix vpmd-no-such-prefix --json
json_error 2 "invalid value 'x' for --queue" "$VCTL" trace -j --queue x
json_error 2 "unknown option --bogus" "$VCTL" trace --bogus -j
# -p: the same document, indented.
json_error 1 "no process 2147483647" "$VCTL" trace -p --pid 2147483647
grep -q '^  "error": ' "$dir/out" || { say "FAIL: -p did not indent: $(cat "$dir/out")"; failed=1; }
# --help under -j: help.json, as every command's.
"$VCTL" trace --help -j >"$dir/out" 2>"$dir/err"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["command"] == "trace" and "--interval S" in d["usage"] else 1)' "$dir/out" ||
	{ say "FAIL: trace --help -j: $(cat "$dir/out")"; failed=1; }

# One table: every option trace --help lists (from its vctl_opt table),
# long and short (the completion's words), is one trace parses and
# handles: with it, trace goes on to look for the process. An option in
# the table without a handler would stop it before; one handled but not
# in the table is not listed, and does not compile (cmd_trace.c).
sample() {
	case $1 in
	PID) echo 2147483647 ;;
	NAME) echo vpmd-no-such-prefix ;;
	N | Q | S) echo 1 ;;
	*) return 1 ;;
	esac
}
declare -A arg_of=()
while read -r name arg; do
	arg_of[$name]=$arg
done < <("$VCTL" trace --help | sed -n 's/^  --\([a-z-]*\)\( \([A-Z]*\)\)\{0,1\} .*/\1 \3/p')
[ "${#arg_of[@]}" -ge 9 ] || { say "FAIL: trace --help lists ${#arg_of[@]} options: $(declare -p arg_of)"; failed=1; }
# The completion's words for trace: "--pid --prefix ... -j --json -v --verbose --help".
words=$("$VCTL" --gen-completion | awk '/^\ttrace\)/ { getline; sub(/.*opts="/, ""); sub(/".*/, ""); print }')
[ -n "$words" ] || { say "FAIL: no options of trace in the completion"; failed=1; }
checked=0
prev=
for w in $words; do
	case $w in
	--help) continue ;;
	--*) long=${w#--} ;;
	-?) long= ;; # the next word is its long name
	*) say "FAIL: completion word '$w'"; failed=1; continue ;;
	esac
	if [ -z "$long" ]; then
		prev=$w
		continue
	fi
	[ -n "${arg_of[$long]+set}" ] || { say "FAIL: --$long completes but trace --help does not list it"; failed=1; continue; }
	for form in "--$long" ${prev:+"$prev"}; do
		argv=("$form")
		if [ -n "${arg_of[$long]}" ]; then
			v=$(sample "${arg_of[$long]}") || { say "FAIL: --$long ${arg_of[$long]}: no sample value here; add one"; failed=1; continue; }
			argv+=("$v")
		fi
		case $long in
		pid | prefix) ;;
		*) argv+=(--pid 2147483647) ;;
		esac
		rc=0
		"$VCTL" trace "${argv[@]}" >"$dir/out" 2>"$dir/err" || rc=$?
		if [ "$rc" -ne 1 ] || ! grep -Eq "no process 2147483647|no DPDK process with file prefix" "$dir/out" "$dir/err"; then
			say "FAIL: trace ${argv[*]}: exit $rc, not parsed and handled: $(cat "$dir/out" "$dir/err")"
			failed=1
		fi
		checked=$((checked + 1))
	done
	prev=
done
say "tried $checked forms of trace's ${#arg_of[@]} options"

# An error while tracing comes after the totals, in the same shape: a
# process of our own with net_vpmd mapped (its probes attach; nothing
# fires), traced until it exits.
if [ -e /sys/bus/event_source/devices/uprobe ]; then
	LD_PRELOAD="${VPMD_ASAN_RUNTIME:+$VPMD_ASAN_RUNTIME:}$pmd_so" sleep 2 &
	pids+=($!)
	for _ in $(seq 50); do grep -q librte_net_vpmd "/proc/$!/maps" 2>/dev/null && break; sleep 0.1; done
	rc=0
	"$VCTL" trace -j --pid $! --interval 0.5 >"$dir/out" 2>"$dir/err" || rc=$?
	if [ "$rc" -eq 1 ] && [ ! -s "$dir/err" ] && python3 - "$dir/out" "$!" <<'PY'; then
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
types = [d.get("type") for d in docs]
last = docs[-1]
ok = (types[0] == "attached" and types[-2] == "total" and docs[-2]["end"] == "exited"
      and set(types[1:-2]) <= {"interval"}
      and last == {"error": "process %s has exited" % sys.argv[2], "exit_code": 1, "command": "trace"})
sys.exit(0 if ok else 1)
PY
		say "ok: traced process exits -> 1: $(tail -1 "$dir/out")"
	else
		say "FAIL: tracing a process that exits: exit $rc, stdout $(cut -c1-200 "$dir/out"), stderr $(cat "$dir/err")"
		failed=1
	fi
else
	say "not checked: an error while tracing (the kernel has no uprobes)"
fi

# Not root: a process of its own with net_vpmd mapped, traced by the same
# unprivileged user. The library's dependencies resolve from the system
# DPDK; its constructors only register the driver.
if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	cp "$pmd_so" "$dir/librte_net_vpmd.so"
	cp "$VCTL" "$dir/vctl"
	chmod 755 "$dir/librte_net_vpmd.so" "$dir/vctl"
	# A sanitized build's library needs ASan's runtime first (test/sanitize/).
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env LD_PRELOAD="${VPMD_ASAN_RUNTIME:+$VPMD_ASAN_RUNTIME:}$dir/librte_net_vpmd.so" sleep 60 &
	pids+=($!)
	for _ in $(seq 50); do grep -q librte_net_vpmd "/proc/$!/maps" 2>/dev/null && break; sleep 0.1; done
	expect 1 "needs root" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$dir/vctl" trace --pid $!
else
	say "not checked: the unprivileged run (no setpriv or no user nobody)"
fi

[ "$failed" -eq 0 ] || exit 1
say "PASS"
