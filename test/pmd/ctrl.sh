#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The control queue through an unmodified testpmd: net_vpmd against
# net_vhost, frames circulating. "set promisc 0 off/on", "set allmulti 0
# on", "mac_addr set", "vlan set filter on" and "rx_vlan add 5 0" must
# succeed promptly, and the state the emulated device recorded (logged at
# debug level after each command, read from the transport) must be what
# was asked. The receive filter is enforced: promiscuous off, frames to
# another MAC are dropped and counted (rx_q0_filtered), frames to the
# port's pass, and so do those to an address "mac_addr add" put in the
# unicast table, or to a group "mcast_addr add" listed. Then the backend is killed and
# replaced: after the reconnect the same state must have been replayed.
# Last, with ctrl_vq=0, promiscuous off is refused as before.
#
# Usage: ctrl.sh PMD_SO split|packed [QUEUE_PAIRS]. Exit 0 pass, 1 fail, 77 skip.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../scripts/lib/testpmd_pair.sh
. "$top/scripts/lib/testpmd_pair.sh"

pmd_so=$1
layout=$2
queues=${3:-1}
mac=02:00:00:00:00:42

say() { printf 'ctrl(%s,%sq): %s\n' "$layout" "$queues" "$*"; }
command -v dpdk-testpmd >/dev/null || { say "SKIP: dpdk-testpmd not installed (package dpdk-dev)"; exit 77; }
[ -f "$pmd_so" ] || { say "FAIL: $pmd_so not built"; exit 1; }

dir=$(mktemp -d /tmp/vpmd-ctrl.XXXXXX)
pair_init "$dir" "$pmd_so" "$layout" client "$queues"
trap 'pair_cleanup; rm -rf "$dir"' EXIT
PAIR_LOG_LEVEL="pmd.net.vpmd.*:debug"

fail() {
	say "FAIL: $*"
	echo "--- frontend log"; grep -v "cache_count\[" "$dir/front.log" | tail -60
	echo "--- backend log"; tail -20 "$dir/back.log" 2>/dev/null
	exit 1
}

# wait_for PATTERN FILE SECONDS
wait_for() {
	local i
	for i in $(seq $(($3 * 10))); do grep -q -- "$1" "$2" && return 0; sleep 0.1; done
	return 1
}

last_rx() { awk '/^ +RX-packets: +[0-9]+ +RX-missed/ { v = $2 } END { print v + 0 }' "$dir/front.log"; }
# The last state line the driver logged after a command.
last_state() { grep "ctrl state:" "$dir/front.log" | tail -1; }

pair_start
pair_wait_forwarding || fail "the backend did not start forwarding"
# Its index is 2 * max pairs with MQ: net_vhost answers GET_QUEUE_NUM with 128, whatever queues=.
wait_for "control queue [0-9]" "$dir/front.log" 5 || fail "no control queue was set up"
pair_send "start tx_first"
sleep 1

t0=$(date +%s%N)
pair_send "set promisc 0 off"
wait_for "promisc=0 allmulti=0" "$dir/front.log" 2 || fail "promiscuous off not applied"
pair_send "set promisc 0 on"
pair_send "set allmulti 0 on"
pair_send "mac_addr set 0 $mac"
pair_send "vlan set filter on 0"
pair_send "rx_vlan add 5 0"
want="promisc=1 allmulti=1 mac=$mac vlans=\[5\] pairs=$queues"
wait_for "$want" "$dir/front.log" 2 || fail "state not as asked: $(last_state)"
ms=$((($(date +%s%N) - t0) / 1000000))
say "six commands applied in ${ms} ms: $(last_state | sed 's/.*ctrl state: //')"
[ "$ms" -lt 3000 ] || fail "the commands took ${ms} ms"
grep -q "control command" "$dir/front.log" && fail "a control command failed"
# testpmd says "Error during ..." or "... failed" when an op returns an error.
grep -v "cache_count" "$dir/front.log" | grep -iE "promisc|multicast|mac|vlan" | grep -qiE "failed|error" &&
	fail "testpmd reports a failed command"

# The commands are counted: at least the six above acked, none failed.
pair_send "show port xstats 0"
sleep 0.5
ok=$(grep -E "^ *ctrl_commands_ok:" "$dir/front.log" | tail -1 | awk '{print $2}')
bad=$(grep -E "^ *ctrl_commands_(err|timeout):" "$dir/front.log" | tail -2 | awk '{s += $2} END {print s + 0}')
[ -n "$ok" ] && [ "$ok" -ge 6 ] || fail "xstat ctrl_commands_ok is '${ok}', want at least 6"
[ "$bad" -eq 0 ] || fail "ctrl_commands_err + ctrl_commands_timeout is $bad"
say "xstats: ctrl_commands_ok $ok"

# xstat NAME: its value now. seed ADDR: one burst of frames to ADDR
# circulates (testpmd takes a new peer only while stopped). passes WHAT:
# over a second frames keep coming and none is filtered. dropped WHAT: the
# burst was filtered (32 more in the count since the last look).
xstat() {
	pair_send "show port xstats 0"
	sleep 0.5
	grep -E "^ *$1:" "$dir/front.log" | tail -1 | awk '{print $2}'
}
seed() {
	pair_send "stop"
	pair_send "set eth-peer 0 $1"
	pair_send "start tx_first"
	sleep 0.5
}
passes() {
	local f1 f2 rx1 rx2
	f1=$(xstat rx_q0_filtered)
	pair_send "show port stats 0"
	sleep 0.5
	rx1=$(last_rx)
	sleep 1
	pair_send "show port stats 0"
	sleep 0.5
	rx2=$(last_rx)
	f2=$(xstat rx_q0_filtered)
	[ "$rx2" -gt "$((rx1 + 10000))" ] || fail "$1: rx $rx1 then $rx2"
	[ "$f2" = "$f1" ] || fail "$1: rx_q0_filtered $f1 then $f2"
	say "$1: passes (rx $rx1 then $rx2, none filtered)"
}
dropped() {
	local f
	sleep 0.5
	f=$(xstat rx_q0_filtered)
	[ "$f" -ge "$((filtered + 32))" ] || fail "$1: rx_q0_filtered $filtered then $f"
	say "$1: dropped (rx_q0_filtered $filtered then $f)"
	filtered=$f
}
# Promiscuous off, the first command, dropped the frames then circulating:
# tx_first addressed them to testpmd's default peer, not to this port.
# The drops are counted; seeded again, with promiscuous back on, frames flow.
filtered=$(xstat rx_q0_filtered)
[ -n "$filtered" ] && [ "$filtered" -gt 0 ] ||
	fail "promiscuous off dropped no frame addressed elsewhere: rx_q0_filtered '${filtered}'"
say "promiscuous off: $filtered frames addressed elsewhere dropped (rx_q0_filtered)"
seed 02:00:00:00:00:00
passes "promiscuous on"

# The filter, enforced.
pair_send "set promisc 0 off"
seed "$mac"
filtered=$(xstat rx_q0_filtered)
passes "promiscuous off, frames to the port's MAC"
seed 02:00:00:00:00:99
dropped "frames to another MAC"
# The unicast table (MAC_TABLE_SET): an added address lets its frames in.
pair_send "mac_addr add 0 02:00:00:00:00:99"
seed 02:00:00:00:00:99
passes "02:00:00:00:00:99 added"
pair_send "mac_addr remove 0 02:00:00:00:00:99"
dropped "02:00:00:00:00:99 removed"
# The multicast table: with all-multicast off, only listed groups pass.
pair_send "set allmulti 0 off"
seed 01:00:5e:00:00:07
dropped "all-multicast off, group 01:00:5e:00:00:07"
pair_send "mcast_addr add 0 01:00:5e:00:00:07"
seed 01:00:5e:00:00:07
passes "group 01:00:5e:00:00:07 listed"
pair_send "set allmulti 0 on"
pair_send "stop"
pair_send "set promisc 0 on"
pair_send "start tx_first"

# A reconnect resets the device: the state must come back by itself.
lines=$(wc -l <"$dir/front.log")
pair_kill_backend
wait_for "went away: link down" "$dir/front.log" 5 || fail "the backend's death was not noticed"
pair_start_backend
wait_for "is back: link up" "$dir/front.log" 10 || fail "no reconnect to the new backend"
sleep 0.5
tail -n +"$lines" "$dir/front.log" | grep "ctrl state:" | tail -1 | grep -q -- "$want uc=0 mc=1" ||
	fail "state not replayed after the reconnect (the multicast group too): $(last_state)"
say "replayed after reconnect: $(last_state | sed 's/.*ctrl state: //')"
pair_wait_forwarding || fail "the new backend did not start forwarding"
pair_send "stop"
pair_send "clear port stats 0"
pair_send "start tx_first"
sleep 1
pair_send "show port stats 0"
sleep 0.5
rx3=$(last_rx)
[ "$rx3" -gt 10000 ] || fail "traffic did not resume after the reconnect: rx $rx3"
pair_send "set promisc 0 off"
wait_for "promisc=0 allmulti=1 mac=$mac" "$dir/front.log" 2 || fail "command after reconnect: $(last_state)"

# dev_reset: back to the probed port (its own MAC again), then a start
# with what ethdev kept (rx modes, VLAN table) replayed, and traffic.
pair_send "stop"
pair_send "port stop 0"
pair_send "port reset 0"
wait_for "reset to its probed state" "$dir/front.log" 5 || fail "port reset did not reach the driver"
lines=$(wc -l <"$dir/front.log")
pair_send "port start 0"
wait_for "is back: link up\|split rings\|packed rings" <(tail -n +"$lines" "$dir/front.log") 5 || true
sleep 1
after=$(tail -n +"$lines" "$dir/front.log" | grep "ctrl state:" | tail -1)
echo "$after" | grep -q "promisc=0 allmulti=1 mac=.*vlans=\[5\]" ||
	fail "state after reset and start: ${after:-none}"
echo "$after" | grep -q "mac=$mac" && fail "the MAC set before the reset survived it"
# The frames go to 02:00:00:00:00:99: promiscuous again to let them in.
pair_send "set promisc 0 on"
pair_send "clear port stats 0"
pair_send "start tx_first"
sleep 1
pair_send "show port stats 0"
sleep 0.5
rx4=$(last_rx)
[ "$rx4" -gt 10000 ] || fail "no traffic after port reset: rx $rx4"
say "after port reset and start: rx $rx4, $(echo "$after" | sed 's/.*ctrl state: //')"
pair_send "stop"
pair_quit || fail "testpmd exited with $?"
pair_cleanup

# Without a control queue: promiscuous off is refused, on is accepted, as before.
dir2=$dir/noctrl
mkdir "$dir2"
pair_init "$dir2" "$pmd_so" "$layout" client "$queues"
PAIR_VDEV+=",ctrl_vq=0"
pair_start
pair_wait_forwarding || fail "(ctrl_vq=0) the backend did not start forwarding"
pair_send "set promisc 0 off"
pair_send "set promisc 0 on"
pair_send "show port info 0"
sleep 1
pair_quit || fail "(ctrl_vq=0) testpmd exited with $?"
grep -q "control queue" "$dir2/front.log" && fail "(ctrl_vq=0) a control queue was set up"
grep -q "Error during disabling promiscuous mode for port 0: Operation not supported" \
	"$dir2/front.log" || { dir=$dir2; fail "(ctrl_vq=0) promiscuous off was not refused"; }
say "ctrl_vq=0: promiscuous off refused as before"
say "PASS"
