#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# One fuzz target for a bounded time, as a meson test (suite fuzz):
# libFuzzer on a temporary COPY of the seed corpus (the tree is never
# written), for ${VPMD_FUZZ_SECONDS:-20} s; any crash, leak or broken
# invariant fails the test, and the input that did it is kept in
# ARTIFACT_DIR (under the build dir) with the command to replay it.
#
# Usage: run_fuzz.sh TARGET CORPUS_DIR ARTIFACT_DIR libfuzzer|standalone
set -uo pipefail

target=$1 corpus=$2 artifacts=$3 mode=$4
seconds=${VPMD_FUZZ_SECONDS:-20}

if [ "$mode" = standalone ]; then
	# gcc build: no fuzzing, the seeds as a regression test.
	exec "$target" "$corpus"
fi

work=$(mktemp -d /tmp/vpmd-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -r "$corpus/." "$work/"
mkdir -p "$artifacts"
"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$artifacts/" "$work" 2>&1 | tail -n 40
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ]; then
	echo "FAIL: $(basename "$target") exited $rc; reproduce with: $target $artifacts/<crash-file>"
	ls -l "$artifacts" 2>/dev/null
fi
exit "$rc"
