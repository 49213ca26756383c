#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The reconnect soak (test/pmd/soak.sh) for split and packed rings, client
# and server mode, CYCLES backend kills each (default 100), with the
# driver from build/. One summary line per combination; exit 1 if any
# failed. Output of each run in $SOAK_OUT (default build/soak/).
#
# Both testpmds busy-poll two cores: run nothing else meanwhile. With
# SOAK_LOCK=FILE, each combination holds flock FILE while it runs (so other
# users of the lock can go between them); without it, the caller holds it.
#
# Usage: scripts/soak.sh [CYCLES]
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cycles=${1:-100}
pmd=$top/build/drivers/net/virtio_pmd/librte_net_vpmd.so
out=${SOAK_OUT:-$top/build/soak}
[ -f "$pmd" ] || { echo "no driver at $pmd: build first (ninja -C build)"; exit 1; }
mkdir -p "$out"

rc=0
for layout in split packed; do
	for mode in client server; do
		log=$out/soak_${layout}_${mode}.log
		if [ -n "${SOAK_LOCK:-}" ]; then
			flock "$SOAK_LOCK" "$top/test/pmd/soak.sh" "$pmd" "$layout" "$mode" "$cycles" >"$log" 2>&1
		else
			"$top/test/pmd/soak.sh" "$pmd" "$layout" "$mode" "$cycles" >"$log" 2>&1
		fi
		r=$?
		[ "$r" -eq 0 ] || rc=1
		grep -h '^summary' "$log" || echo "summary FAIL $layout $mode (exit $r; see $log)"
	done
done
exit $rc
