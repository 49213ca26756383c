#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Memory added after dev_start is forwarded: test_ethdev_memhotplug (the
# frontend, EAL on hugepages) creates a big mbuf pool after its port
# started and transmits from it to DPDK's net_vhost in a dpdk-testpmd
# (rxonly); the backend must count every frame. "limit": without
# --single-file-segments the new pages need more files than a memory table
# has regions: refused with a count and a clear error, the port goes on.
#
# Hugepages are added for the run (on a private hugetlbfs mount) and given
# back after.
#
# Usage: memhotplug.sh TEST_BIN PMD_SO single|limit
# Exit 0 pass, 1 fail, 77 skip.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../scripts/lib/testpmd_pair.sh
. "$top/scripts/lib/testpmd_pair.sh"

bin=$1
pmd_so=$2
mode=$3
pages=160 # 320 MB: the frontend's heap grows to about 100 MB
nr=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages

say() { printf 'memhotplug(%s): %s\n' "$mode" "$*"; }
command -v dpdk-testpmd >/dev/null || { say "SKIP: dpdk-testpmd not installed (package dpdk-dev)"; exit 77; }
[ "$(id -u)" -eq 0 ] || { say "SKIP: hugepages need root"; exit 77; }
[ -w "$nr" ] || { say "SKIP: no 2 MB hugepages here ($nr)"; exit 77; }

dir=$(mktemp -d /tmp/vpmd-memhp.XXXXXX)
prefix=vpmd-memhp-$$-$mode
prev=$(cat "$nr")
mounted=
cleanup() {
	pair_cleanup
	[ -n "$mounted" ] && umount "$dir/huge"
	echo "$prev" >"$nr"
	rm -rf "$dir" "/var/run/dpdk/$prefix"
}
trap cleanup EXIT

fail() {
	say "FAIL: $*"
	echo "--- frontend"; tail -40 "$dir/front.log"
	echo "--- backend"; tail -20 "$dir/back.log"
	exit 1
}

echo $((prev + pages)) >"$nr"
if [ "$(cat "$nr")" -lt $((prev + pages)) ]; then
	say "SKIP: could not get $pages hugepages (have $(cat "$nr") of $((prev + pages)))"
	exit 77
fi
mkdir "$dir/huge"
mount -t hugetlbfs -o pagesize=2M nodev "$dir/huge" || { say "SKIP: cannot mount hugetlbfs"; exit 77; }
mounted=1

pair_init "$dir" "$pmd_so" split client
PAIR_APP=(--no-mlockall --total-num-mbufs=8192 --forward-mode=rxonly)
PAIR_EAL=(--no-huge -m 512 --no-pci)
pair_start_backend
for _ in $(seq 50); do [ -S "$PAIR_SOCK" ] && break; sleep 0.1; done
pair_wait_forwarding || fail "the backend did not start"

LD_LIBRARY_PATH="$(dirname "$pmd_so")" timeout 60 "$bin" "$mode" "$PAIR_SOCK" "$dir/huge" \
	"$prefix" >"$dir/front.log" 2>&1
rc=$?
cat "$dir/front.log" | grep -E "^(started|big pool|sent|SENT|FAIL)|memory table|cannot share" | sed 's/^/  /'
[ $rc -eq 0 ] || fail "the frontend exited with $rc"
sent=$(awk '/^SENT / { print $2 }' "$dir/front.log")

# Stdin closed: testpmd stops forwarding, prints its counters and exits.
exec 4>&-
for _ in $(seq 100); do kill -0 "$PAIR_BACK_PID" 2>/dev/null || break; sleep 0.1; done
got=$(awk '/RX-packets:/ { print $2; exit }' "$dir/back.log")
say "frontend sent ${sent:-?}, backend received ${got:-?}"
[ -n "$sent" ] && [ "$sent" -gt 0 ] || fail "nothing sent"
[ "${got:-0}" -eq "$sent" ] || fail "the backend received ${got:-0} of $sent frames"
if [ "$mode" = limit ]; then
	grep -q "run EAL with --single-file-segments" "$dir/front.log" ||
		fail "no error naming --single-file-segments"
fi
say "pass"
