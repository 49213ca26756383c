#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The man page and the bash completion kept in the tree are what vctl
# makes from its command table today (refresh them with
# "ninja -C build vctl-docs"); the man page renders without a warning;
# the completion completes commands, options, directions and prefixes.
#
# Usage: docs.sh VCTL MAN_IN_TREE COMPLETION_IN_TREE
set -uo pipefail

vctl=$1
man_tree=$2
completion_tree=$3
failed=0
tmp=$(mktemp -d /tmp/vctl-docs.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*"
	failed=1
}

"$vctl" --gen-man >"$tmp/vctl.1" || fail "vctl --gen-man"
"$vctl" --gen-completion >"$tmp/vctl.bash-completion" || fail "vctl --gen-completion"
diff -u "$man_tree" "$tmp/vctl.1" >"$tmp/man.diff" ||
	fail "$man_tree differs from vctl --gen-man (ninja -C build vctl-docs): $(head -20 "$tmp/man.diff")"
diff -u "$completion_tree" "$tmp/vctl.bash-completion" >"$tmp/completion.diff" ||
	fail "$completion_tree differs from vctl --gen-completion (ninja -C build vctl-docs): $(head -20 "$tmp/completion.diff")"

# Every command of the table is in the man page, with its examples.
while read -r cmd; do
	grep -q "^\.SS \"vctl $cmd" "$tmp/vctl.1" || fail "man page: no section for vctl $cmd"
done < <("$vctl" -j help | python3 -c 'import json,sys; [print(c["name"]) for c in json.load(sys.stdin)["commands"]]')

if command -v groff >/dev/null; then
	warnings=$(groff -man -Tutf8 -ww -z "$tmp/vctl.1" 2>&1)
	[ -z "$warnings" ] || fail "groff warns about the man page: $warnings"
fi

# complete WORDS... : what the completion offers for the last word.
complete_words() {
	bash -c '
		. "$1"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		_vctl
		[ "${#COMPREPLY[@]}" -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}"
	' bash "$tmp/vctl.bash-completion" "$@" | sort | tr '\n' ' '
}

expect_completion() {
	local want=$1 got
	shift
	got=$(complete_words "$@")
	[ "$got" = "$want" ] || fail "completing '$*': got '$got', want '$want'"
}

mkdir -p "$tmp/run/app1" "$tmp/run/app2"
python3 -c 'import socket,sys; [socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET).bind(p) for p in sys.argv[1:]]' \
	"$tmp/run/app1/dpdk_telemetry.v2" "$tmp/run/app2/dpdk_telemetry.v2"
export VCTL_RUNTIME_DIR=$tmp/run
# Every command of the table, as vctl itself lists them (trace only when built with BPF).
commands=$("$vctl" -j help | python3 -c 'import json,sys; print(" ".join(sorted(c["name"] for c in json.load(sys.stdin)["commands"])) + " ")')
case "$commands" in
"export features help list ring stats status top "|"export features help list ring stats status top trace ") ;;
*) fail "vctl help lists '$commands'" ;;
esac
expect_completion "$commands" vctl ""
expect_completion "ring " vctl ri
expect_completion "stats status " vctl -j sta
expect_completion "top " vctl to
expect_completion "--interval " vctl top --int
expect_completion "rx tx " vctl ring 0 0 ""
expect_completion "rx " vctl --prefix app1 ring 0 1 r
expect_completion "--desc " vctl ring 0 0 rx --de
expect_completion "--count " vctl stats 0 --co
expect_completion "" vctl stats 0 --watch ""
expect_completion "app1 app2 " vctl --prefix ""
expect_completion "ring " vctl help ri
expect_completion "--json " vctl --js

[ "$failed" -eq 0 ] || exit 1
echo "PASS"
