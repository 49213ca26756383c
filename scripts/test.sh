#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Set up and build (scripts/setup.sh), then run the whole test suite, in up
# to three builds, one after another:
#   normal    build/        the suite as shipped (-O2, probes on)
#   sanitize  build-asan/   the suite again under ASan, UBSan and LeakSanitizer
#                           (-Db_sanitize=address,undefined; test/sanitize/):
#                           any report fails the run, whatever the test said
#   fuzz      build-fuzz/   each libFuzzer target for a short bounded time on
#                           its seed corpus (clang; test/fuzz/, scripts/fuzz.sh)
# The last line is the count over all of them, "N passed, N failed, N
# skipped"; the exit code is non-zero if any test failed or a build did.
#
# Usage: scripts/test.sh [--builds LIST] [meson test options, e.g. --suite unit]
#   --builds LIST   comma-separated subset of normal,sanitize,fuzz (default: all)
# Under CI (CI=true) warnings are errors.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builds=normal,sanitize,fuzz
if [ "${1:-}" = "--builds" ]; then
	builds=${2:?--builds needs a list}
	shift 2
fi

setup_opts=()
[ "${CI:-}" = "true" ] && setup_opts+=(-Dwerror=true)

passed=0 failed=0 skipped=0
rc=0

# Add the results of a build's meson test log to the totals.
count() {
	local out
	out=$(python3 - "$1/meson-logs/testlog.json" <<'PY'
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
try:
    with open(sys.argv[1]) as log:
        for line in log:
            result = json.loads(line).get("result")
            if result in ("OK", "EXPECTEDFAIL"):
                counts["passed"] += 1
            elif result == "SKIP":
                counts["skipped"] += 1
            else:
                counts["failed"] += 1
except OSError:
    counts["failed"] += 1
print(counts["passed"], counts["failed"], counts["skipped"])
PY
)
	set -- $out
	passed=$((passed + $1)) failed=$((failed + $2)) skipped=$((skipped + $3))
	echo "test: $(basename "$build"): $1 passed, $2 failed, $3 skipped"
}

# run BUILD_DIR [meson setup options...] -- [meson test options...]
run() {
	build=$1
	shift
	local opts=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		opts+=("$1")
		shift
	done
	shift
	if ! VPMD_BUILD=$build bash "$top/scripts/setup.sh" "${setup_opts[@]}" "${opts[@]}"; then
		echo "test: $(basename "$build"): the build failed"
		failed=$((failed + 1)) rc=1
		return
	fi
	rm -f "$build/meson-logs/testlog.json"
	meson test -C "$build" --print-errorlogs "$@" || rc=1
	count "$build"
}

for b in ${builds//,/ }; do
	case $b in
	normal)
		run "${VPMD_BUILD:-$top/build}" -- "$@"
		;;
	sanitize)
		logs=$top/build-asan/meson-logs/sanitize
		rm -rf "$logs"
		mkdir -p "$logs"
		run "$top/build-asan" -Db_sanitize=address,undefined -Db_lundef=false -- "$@"
		# A report is a failure even where a test missed it (a child's exit code).
		reports=$(find "$logs" -type f | sort)
		if [ -n "$reports" ]; then
			for f in $reports; do
				echo "test: sanitizer report $f:"
				sed -n 1,60p "$f"
			done
			failed=$((failed + $(echo "$reports" | wc -l))) rc=1
		fi
		;;
	fuzz)
		if ! bash "$top/scripts/fuzz.sh" --setup-only; then
			echo "test: build-fuzz: the build failed"
			failed=$((failed + 1)) rc=1
			continue
		fi
		build=$top/build-fuzz
		rm -f "$build/meson-logs/testlog.json"
		meson test -C "$build" --print-errorlogs --suite fuzz || rc=1
		count "$build"
		;;
	*)
		echo "test: unknown build '$b' (normal, sanitize, fuzz)" >&2
		exit 2
		;;
	esac
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] || rc=1
exit $rc
