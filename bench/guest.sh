#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench/guest.sh — net_vpmd against DPDK's net_virtio on virtio-net PCI
# devices, in one QEMU guest (software emulation, test/pci's image): the
# same two NICs, the same boot, the drivers interleaved (bench/guest_case.sh).
# Absolute rates under TCG mean little; the ratio says which driver costs
# the guest more. Prints, per layout, each driver's median forwarded
# packets per second and busy cycles per packet, the ratio of medians and
# the median of the per-trial ratios (vpmd / virtio; for cycles, lower is
# better).
#
# Usage: bench/guest.sh [--trials N] [--seconds S] [--layouts split,packed]
#                       [--vpmd-args DEVARGS]   (net_vpmd only, e.g. event_idx=1)
# Needs root, qemu-system-x86_64 and a built net_vpmd. Not a unit test.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
trials=4
seconds=3
layouts=split,packed

while [ $# -gt 0 ]; do
	case $1 in
	--trials) trials=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--layouts) layouts=$2; shift 2 ;;
	--vpmd-args) export VPMD_BENCH_VPMD_ARGS=$2; shift 2 ;;
	-h | --help) sed -n '3,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench/guest.sh: unknown option $1" >&2; exit 2 ;;
	esac
done

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for layout in ${layouts//,/ }; do
	echo "== $layout: $trials trials of ${seconds} s, interleaved" >&2
	# Each run: testpmd start (~3 s under TCG), warm-up, the interval, stop.
	VPMD_GUEST_TIMEOUT=$((90 + trials * 2 * (seconds + 12))) \
		VPMD_BENCH_TRIALS=$trials VPMD_BENCH_SECONDS=$seconds VPMD_BENCH_LAYOUT=$layout \
		bash "$top/test/pci/guest_run.sh" "$top/bench/guest_case.sh" >"$results.log" 2>&1 || {
		cat "$results.log" >&2
		echo "bench/guest.sh: the $layout guest run failed" >&2
		exit 1
	}
	sed -n "s/^guest: bench: /$layout /p" "$results.log" >>"$results"
done

python3 - "$results" <<'PY'
import statistics, sys
rows = {}
kicks = {}
for line in open(sys.argv[1]):
    if line.split()[1] == "kicks":  # net_vpmd's ring counters, for reading the ratio
        kicks.setdefault(line.split()[0], []).append(" ".join(line.split()[4:]))
        continue
    layout, _, trial, drv, _, pps, _, cpp = line.split()
    rows.setdefault(layout, {}).setdefault(int(trial), {})[drv] = (float(pps), float(cpp))
print(f"{'layout':8} {'vpmd Mpps':>10} {'virtio Mpps':>12} {'ratio':>6} {'paired':>7}   "
      f"{'vpmd cyc/pkt':>12} {'virtio cyc/pkt':>14} {'ratio':>6} {'paired':>7}")
for layout, trials in rows.items():
    both = [t for t in trials.values() if "net_vpmd" in t and "net_virtio" in t]
    a = [t["net_vpmd"] for t in both]
    b = [t["net_virtio"] for t in both]
    ma, mb = statistics.median(x[0] for x in a), statistics.median(x[0] for x in b)
    pr = statistics.median(x[0] / y[0] for x, y in zip(a, b) if y[0] > 0)
    ca, cb = statistics.median(x[1] for x in a), statistics.median(x[1] for x in b)
    cr = statistics.median(x[1] / y[1] for x, y in zip(a, b) if y[1] > 0) if cb > 0 else 0
    print(f"{layout:8} {ma / 1e6:10.3f} {mb / 1e6:12.3f} {ma / mb:6.3f} {pr:7.3f}   "
          f"{ca:12.1f} {cb:14.1f} {ca / cb if cb else 0:6.3f} {cr:7.3f}")
    spread = lambda xs: f"{min(xs) / 1e6:.3f}..{max(xs) / 1e6:.3f}"
    print(f"{'':8} spread (Mpps): vpmd {spread([x[0] for x in a])}, virtio {spread([x[0] for x in b])}")
    if kicks.get(layout):
        print(f"{'':8} net_vpmd port 0, last trial: {kicks[layout][-1]}")
PY
