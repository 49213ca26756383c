#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The mtu devarg is the port's MTU until the application sets another:
# dpdk-testpmd, which configures the port without one, must show it; the
# vhost-user backend must be told it (NET_SET_MTU, where it has the
# NET_MTU protocol feature, as DPDK's vhost library has); traffic flows.
# An mtu above the largest the port takes is refused at probe, by name.
#
# Usage: mtu.sh PMD_SO split|packed
# Exit 0 pass, 1 fail, 77 skip.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../scripts/lib/testpmd_pair.sh
. "$top/scripts/lib/testpmd_pair.sh"

pmd_so=$1
layout=$2

say() { printf 'mtu(%s): %s\n' "$layout" "$*"; }
command -v dpdk-testpmd >/dev/null || { say "SKIP: dpdk-testpmd not installed (package dpdk-dev)"; exit 77; }

dir=$(mktemp -d /tmp/vpmd-mtu.XXXXXX)
pair_init "$dir" "$pmd_so" "$layout" client
PAIR_VDEV+=",mtu=9000"
# DPDK's vhost library names each message it reads at debug level.
PAIR_BACK_LOG_LEVEL=lib.vhost.config:debug
trap 'pair_cleanup; rm -rf "$dir" "/var/run/dpdk/vpmd-mtu-$$"' EXIT

fail() {
	say "FAIL: $*"
	echo "--- frontend log"; grep -v "cache_count\[" "$dir/front.log" | tail -40
	echo "--- backend log"; grep -i mtu "$dir/back.log" | tail -10
	exit 1
}

pair_start
pair_wait_forwarding || fail "the backend did not start forwarding"
pair_send "start tx_first"
sleep 1
pair_send "show port info 0"
pair_send "show port stats 0"
sleep 0.5
mtu=$(awk '/^MTU: / { v = $2 } END { print v + 0 }' "$dir/front.log")
rx=$(awk '/^ +RX-packets: +[0-9]+ +RX-missed/ { v = $2 } END { print v + 0 }' "$dir/front.log")
say "port MTU $mtu, rx $rx"
[ "$mtu" -eq 9000 ] || fail "the port's MTU is $mtu, not the devarg's 9000"
[ "$rx" -gt 10000 ] || fail "no traffic: rx $rx"
grep -q "NET_SET_MTU" "$dir/back.log" || fail "the backend was not told the MTU (no NET_SET_MTU)"
say "the backend read NET_SET_MTU"
pair_send "stop"
pair_quit || fail "testpmd exited with $?"

# Above the largest the port takes (9728-byte frames: 9710): refused at probe.
echo quit | LD_LIBRARY_PATH="$(dirname "$pmd_so")" timeout 60 dpdk-testpmd -l 0 --no-huge \
	-m 256 --no-pci --file-prefix="vpmd-mtu-$$" -d "$(basename "$pmd_so")" \
	--vdev "net_vpmd0,path=$dir/none.sock,mtu=9711" -- -i --no-mlockall \
	--total-num-mbufs=2048 >"$dir/big.log" 2>&1
grep -q "mtu=9711 is above the largest this port takes, 9710" "$dir/big.log" ||
	{ cat "$dir/big.log"; fail "mtu=9711 was not refused by name"; }
grep -q "Port 0:" "$dir/big.log" && fail "a port was made with mtu=9711"
say "mtu=9711 refused at probe"
say "PASS"
