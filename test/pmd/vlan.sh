#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# VLAN offloads in software, as DPDK's virtio-user test plans use them:
# the frontend is started with "--tx-offloads=0x0 --enable-hw-vlan-strip
# --rss-ip" and must configure. Then, against DPDK's net_vhost (which
# inserts and strips in software too):
#   strip on:  the backend sends 32 frames tagged 100; the frontend's
#              application sees each with vlan_tci 0x64, RX_VLAN_STRIPPED,
#              4 bytes shorter than sent;
#   strip off: the same frames arrive with the tag in the frame (type 0x8100);
#   insert:    the frontend sends 32 frames with tx_vlan 200; the backend,
#              stripping, sees tci 0xc8 on each;
# and the port forwards in io mode with those options.
#
# Usage: vlan.sh PMD_SO split|packed
# Exit 0 pass, 1 fail, 77 skip.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../scripts/lib/testpmd_pair.sh
. "$top/scripts/lib/testpmd_pair.sh"

pmd_so=$1
layout=$2

say() { printf 'vlan(%s): %s\n' "$layout" "$*"; }
command -v dpdk-testpmd >/dev/null || { say "SKIP: dpdk-testpmd not installed (package dpdk-dev)"; exit 77; }

dir=$(mktemp -d /tmp/vpmd-vlan.XXXXXX)
pair_init "$dir" "$pmd_so" "$layout" client
trap 'pair_cleanup; rm -rf "$dir"' EXIT

fail() {
	say "FAIL: $*"
	echo "--- frontend log"; grep -v "cache_count\[" "$dir/front.log" | tail -30
	echo "--- backend log"; tail -30 "$dir/back.log"
	exit 1
}

# The backend here takes commands too (fd 4), and strips what it receives,
# so that what our port inserted shows as its vlan_tci.
back_start() {
	mkfifo "$dir/back.in"
	stdbuf -oL dpdk-testpmd -l 0,1 --main-lcore 0 "${PAIR_EAL[@]}" \
		--file-prefix="vpmd-back-$PAIR_ID" --vdev "$PAIR_VHOST" -- -i \
		--no-mlockall --total-num-mbufs=16384 --enable-hw-vlan-strip \
		<"$dir/back.in" >"$dir/back.log" 2>&1 &
	PAIR_BACK_PID=$!
	exec 4>"$dir/back.in"
}
back_send() { (trap '' PIPE; printf '%s\n' "$*" >&4) 2>/dev/null; }

# Lines of @log after mark @from (a line count) that match @re.
count_after() { tail -n +"$(($2 + 1))" "$1" | grep -c -- "$3"; }
lines() { wc -l <"$1"; }

# Until the frontend's log, after line @1, shows @2 received packets (rxonly, verbose).
wait_rx() {
	local from=$1 want=$2 i
	for i in $(seq 50); do
		[ "$(count_after "$dir/front.log" "$from" "src=")" -ge "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

# The DTS virtio-user command line, plus rxonly: frames are counted, not echoed.
PAIR_APP=(--no-mlockall --total-num-mbufs=16384 --tx-offloads=0x0 --enable-hw-vlan-strip
	--rss-ip --rxq=1 --txq=1 --txd=1024 --rxd=1024 --forward-mode=rxonly)
back_start
for i in $(seq 50); do [ -S "$PAIR_SOCK" ] && break; sleep 0.1; done
pair_start_frontend
for i in $(seq 100); do grep -q "^testpmd> " "$dir/front.log" && break; sleep 0.1; done
grep -q "doesn't match Rx offloads capabilities\|Fail to configure port" "$dir/front.log" &&
	fail "the frontend refused --enable-hw-vlan-strip --rss-ip"
pair_send "show port 0 rx_offload configuration"
sleep 0.5
grep -A1 "Rx Offloading Configuration of port 0" "$dir/front.log" | grep -q VLAN_STRIP ||
	fail "VLAN_STRIP is not configured on the port"
say "configured with --tx-offloads=0x0 --enable-hw-vlan-strip --rss-ip"

# Strip on: the backend's txonly burst, tagged 100 by net_vhost.
pair_send "set verbose 1"
pair_send "start"
back_send "port stop 0"
back_send "tx_vlan set 0 100"
back_send "port start 0"
back_send "set fwd rxonly"
sleep 1
mark=$(lines "$dir/front.log")
back_send "start tx_first"
wait_rx "$mark" 32 || fail "strip on: 32 frames did not arrive"
sleep 0.3
tagged=$(count_after "$dir/front.log" "$mark" "VLAN tci=0x64")
stripped=$(count_after "$dir/front.log" "$mark" "RTE_MBUF_F_RX_VLAN_STRIPPED")
short=$(count_after "$dir/front.log" "$mark" "type=0x0800 - length=64 ")
say "strip on: $tagged frames with tci 0x64, $stripped flagged stripped, $short of 64 bytes"
[ "$tagged" -eq 32 ] && [ "$stripped" -eq 32 ] && [ "$short" -eq 32 ] ||
	fail "strip on: expected 32 stripped frames of tci 0x64 and 64 bytes"

# Strip off, at runtime: the tag stays in the frame.
back_send "stop"
pair_send "vlan set strip off 0"
sleep 0.5
mark=$(lines "$dir/front.log")
back_send "start tx_first"
wait_rx "$mark" 32 || fail "strip off: 32 frames did not arrive"
sleep 0.3
intact=$(count_after "$dir/front.log" "$mark" "type=0x8100 - length=68 ")
flagged=$(count_after "$dir/front.log" "$mark" "VLAN tci=\|RTE_MBUF_F_RX_VLAN")
say "strip off: $intact frames of 68 bytes with the tag in, $flagged with a VLAN flag"
[ "$intact" -eq 32 ] && [ "$flagged" -eq 0 ] || fail "strip off: the tag did not stay in the frame"

# Strip on again at runtime, as testpmd's "vlan set strip on 0".
back_send "stop"
pair_send "vlan set strip on 0"
sleep 0.5
mark=$(lines "$dir/front.log")
back_send "start tx_first"
wait_rx "$mark" 32 || fail "strip on again: 32 frames did not arrive"
sleep 0.3
tagged=$(count_after "$dir/front.log" "$mark" "VLAN tci=0x64")
say "strip on again: $tagged frames with tci 0x64"
[ "$tagged" -eq 32 ] || fail "strip on at runtime: expected 32 stripped frames"

# Insert: our port tags 200; the backend strips and shows it.
back_send "stop"
back_send "set verbose 1"
back_send "start"
pair_send "stop"
pair_send "set verbose 0"
pair_send "port stop 0"
pair_send "tx_vlan set 0 200"
pair_send "port start 0"
sleep 1.5
bmark=$(lines "$dir/back.log")
pair_send "start tx_first"
for i in $(seq 50); do
	[ "$(count_after "$dir/back.log" "$bmark" "src=")" -ge 32 ] && break
	sleep 0.1
done
sleep 0.3
tagged=$(count_after "$dir/back.log" "$bmark" "VLAN tci=0xc8")
seen=$(count_after "$dir/back.log" "$bmark" "src=")
say "insert: the backend saw $seen frames, $tagged with tci 0xc8"
[ "$seen" -eq 32 ] && [ "$tagged" -eq 32 ] || fail "insert: expected 32 frames tagged 200 at the backend"

# And the DTS command line forwards: io both ways, no tag.
pair_send "stop"
back_send "stop"
back_send "set verbose 0"
back_send "set fwd io"
back_send "start"
pair_send "port stop 0"
pair_send "tx_vlan reset 0"
pair_send "port start 0"
pair_send "set fwd io"
sleep 1.5
pair_send "start tx_first"
sleep 1
pair_send "show port stats 0"
sleep 0.5
rx=$(awk '/^ +RX-packets: +[0-9]+ +RX-missed/ { v = $2 } END { print v + 0 }' "$dir/front.log")
say "io forwarding: rx $rx"
[ "$rx" -gt 10000 ] || fail "no forwarding: rx $rx"
pair_send "stop"
pair_quit || fail "testpmd exited with $?"
say "PASS"
