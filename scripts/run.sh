#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Set up, build and run the main job: dpdk-testpmd forwarding through
# net_vpmd (loaded with -d) against a local vhost-user backend (DPDK's
# net_vhost in a second testpmd), showing the port's counters as they move.
#
# Usage: scripts/run.sh [split|packed] [seconds]
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${VPMD_BUILD:-$top/build}
layout=${1:-split}
seconds=${2:-5}

bash "$top/scripts/setup.sh"

# shellcheck source=lib/testpmd_pair.sh
. "$top/scripts/lib/testpmd_pair.sh"
dir=$(mktemp -d /tmp/vpmd-run.XXXXXX)
pair_init "$dir" "$build/drivers/net/virtio_pmd/librte_net_vpmd.so" "$layout" client
trap 'pair_cleanup; rm -rf "$dir"' EXIT

echo "== testpmd + net_vpmd ($layout rings) <-> vhost-user <-> testpmd + net_vhost, io forwarding"
pair_start
pair_wait_forwarding || { echo "backend did not start:"; tail "$dir/back.log"; exit 1; }
pair_send "show port info 0"
pair_send "start tx_first"
for _ in $(seq "$seconds"); do
	sleep 1
	pair_send "show port stats 0"
done
# vctl, from outside, while frames flow: the port and a few descriptors.
vctl=("$build/app/vctl/vctl" --prefix "vpmd-front-$PAIR_ID")
{
	echo "\$ vctl list"; "${vctl[@]}" list
	echo "\$ vctl status 0"; "${vctl[@]}" status 0
	echo "\$ vctl ring 0 0 rx --desc 0:4"; "${vctl[@]}" ring 0 0 rx --desc 0:4
} >"$dir/vctl.txt" 2>&1
pair_send "stop"
pair_send "show port xstats 0"
pair_quit || true
# What a user would have seen at the testpmd prompt, less the noise: the
# driver's own lines, the port's counters each second, and its ring xstats.
grep -E 'net_vpmd: |Link status:|Link speed:|burst mode' "$dir/front.log" | sort -u
echo "-- port 0 counters, once a second:"
# "show port stats": RX-packets (with RX-missed), TX-packets (with TX-errors), Rx-pps, Tx-pps.
grep -E '^ +RX-packets: +[0-9]+ +RX-missed|^ +TX-packets: +[0-9]+ +TX-errors|^ +(Rx|Tx)-pps:' \
	"$dir/front.log" | paste - - - - | awk '{
	printf "rx %12s pkts  tx %12s pkts  rx %10s pps  tx %10s pps\n", $2, $8, $14, $18 }'
echo "-- ring xstats at the end:"
grep -E '^(rx|tx)_q0_(packets|errors|kicks|kicks_suppressed|refused_[a-z_]+):' "$dir/front.log" | sort -u
echo "-- vctl, from another shell, while it forwards (vctl --prefix vpmd-front-... ):"
cat "$dir/vctl.txt"
