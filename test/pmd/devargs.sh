#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Bad devargs: each must fail the probe with one log line that names the
# offending key, and a good set must probe. No backend needed: probe does
# not touch the socket.
#
# Usage: devargs.sh PMD_SO. Exit 0 pass, 1 fail, 77 skip.
set -uo pipefail

pmd_so=$1
command -v dpdk-testpmd >/dev/null || { echo "SKIP: dpdk-testpmd not installed"; exit 77; }
dir=$(mktemp -d /tmp/vpmd-devargs.XXXXXX)
prefix=vpmd-devargs-$$
trap 'rm -rf "$dir" "/var/run/dpdk/$prefix"' EXIT
failures=0

# probe ARGS: runs testpmd with net_vpmd0,ARGS and quits; log in $dir/log.
probe() {
	# -d by name: EAL refuses a path below a world-writable directory such as /tmp.
	echo quit | LD_LIBRARY_PATH="$(dirname "$pmd_so")" timeout 60 dpdk-testpmd -l 0 --no-huge \
		-m 256 --no-pci --file-prefix="$prefix" -d "$(basename "$pmd_so")" --vdev "net_vpmd0,$1" --log-level="pmd.net.vpmd.*:info" \
		-- -i --no-mlockall --total-num-mbufs=2048 >"$dir/log" 2>&1
}

# expect_refused ARGS PATTERN: the probe fails, and one net_vpmd error line matches PATTERN.
expect_refused() {
	probe "$1"
	if grep -q "vpmd_probe(): net_vpmd0: vhost-user" "$dir/log"; then
		echo "FAIL: '$1' was accepted"; failures=$((failures + 1)); return
	fi
	local lines
	lines=$(grep -c "net_vpmd: .*net_vpmd0: " "$dir/log")
	if ! grep -q -- "$2" "$dir/log" || [ "$lines" -ne 1 ]; then
		echo "FAIL: '$1': expected one line matching '$2', got:"
		grep "net_vpmd" "$dir/log"; failures=$((failures + 1)); return
	fi
	echo "ok: '$1' -> $(grep "net_vpmd: " "$dir/log")"
}

sock=$dir/none.sock
expect_refused "path=$sock,bogus=1" "unknown devarg 'bogus'"
expect_refused "server=0" "devarg 'path' (the vhost-user socket) is required"
expect_refused "path=$sock,queues=0" "invalid devarg queues=0"
expect_refused "path=$sock,queues=abc" "invalid devarg queues=abc"
expect_refused "path=$sock,queue_size=100" "queue_size=100: split rings need a power of two"
expect_refused "path=$sock,queue_size=65536" "invalid devarg queue_size=65536"
expect_refused "path=$sock,packed_vq=2" "invalid devarg packed_vq=2"
expect_refused "path=$sock,server=yes" "invalid devarg server=yes"
expect_refused "path=$sock,mac=01:00:00:00:00:01" "invalid devarg mac=01:00:00:00:00:01"
expect_refused "path=$sock,mac=zz" "invalid devarg mac=zz"
expect_refused "path=$sock,mtu=20" "invalid devarg mtu=20"
expect_refused "path=$sock,speed=-1" "invalid devarg speed=-1"
expect_refused "path=$sock,ctrl_vq=on" "invalid devarg ctrl_vq=on"
expect_refused "path=" "invalid devarg path="

# A good set probes (packed rings allow any queue size).
probe "path=$sock,packed_vq=1,queue_size=1000,queues=2,mac=02:00:00:00:00:01,mtu=9000,speed=25000,mrg_rxbuf=0,in_order=1,event_idx=1,ctrl_vq=0"
if grep -q "net_vpmd0: vhost-user client $sock, packed rings" "$dir/log"; then
	echo "ok: a full good set probes"
else
	echo "FAIL: good devargs refused:"; grep "net_vpmd" "$dir/log"; failures=$((failures + 1))
fi
[ "$failures" -eq 0 ] && echo PASS
exit $((failures > 0))
