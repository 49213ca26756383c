#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Set up and build (scripts/setup.sh), then run the whole test suite.
# The last line is the count, "N passed, N failed, N skipped"; the exit
# code is non-zero if any test failed or the build did.
#
# Usage: scripts/test.sh [meson test options, e.g. --suite unit]
# Under CI (CI=true) warnings are errors.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${VPMD_BUILD:-$top/build}

setup_opts=()
[ "${CI:-}" = "true" ] && setup_opts+=(-Dwerror=true)
if ! bash "$top/scripts/setup.sh" "${setup_opts[@]}"; then
	echo "0 passed, 1 failed"
	exit 1
fi

meson test -C "$build" --print-errorlogs "$@"
rc=$?

# meson's own summary is not what CI reads: count from its JSON log.
python3 - "$build/meson-logs/testlog.json" <<'PY'
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
print(f'{counts["passed"]} passed, {counts["failed"]} failed, {counts["skipped"]} skipped')
PY
exit $rc
