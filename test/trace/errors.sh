#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# vctl trace's errors and exit codes, without testpmd: usage errors exit 2,
# runtime errors exit 1 with a message that says what is missing (no such
# process, no net_vpmd in it, no such prefix, not root), and under -j the
# error is one JSON document on stdout.
#
# Usage: errors.sh VCTL PMD_SO
# Exit 0 pass, 1 fail, 77 skip.
set -uo pipefail

VCTL=$1
pmd_so=$2
say() { printf 'trace_errors: %s\n' "$*"; }

[ "$(id -u)" -eq 0 ] || { say "SKIP: needs root (to compare with an unprivileged run)"; exit 77; }

dir=$(mktemp -d /tmp/vpmd-trace-err.XXXXXX)
chmod 755 "$dir"
pids=()
trap 'for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$dir"' EXIT
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

expect 0 "usage: vctl trace" "$VCTL" trace --help
expect 2 "unknown option" "$VCTL" trace --bogus
expect 2 "invalid value '0' for --interval" "$VCTL" trace --interval 0
expect 2 "invalid value 'x' for --queue" "$VCTL" trace --queue x
expect 2 "name the process twice" "$VCTL" trace --pid 1 --prefix x
expect 2 "unexpected argument" "$VCTL" trace extra
expect 1 "no process 2147483647" "$VCTL" trace --pid 2147483647
expect 1 "no DPDK process with file prefix 'vpmd-no-such-prefix'" \
	"$VCTL" trace --prefix vpmd-no-such-prefix

sleep 60 &
pids+=($!)
expect 1 "process $! has no net_vpmd loaded" "$VCTL" trace --pid $!

# Under -j, the error is a JSON document on stdout.
"$VCTL" trace -j --pid 2147483647 >"$dir/out" 2>/dev/null
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["type"] == "error" and "no process" in d["error"] else 1)' "$dir/out"; then
	say "ok: -j error is JSON: $(cat "$dir/out")"
else
	say "FAIL: -j error is not one JSON document: $(cat "$dir/out")"
	failed=1
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
