#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# DPDK secondary processes against an application that uses net_vpmd: a
# testpmd pair whose frontend (net_vpmd) runs on hugepages, forwarding.
#  1. dpdk-proc-info --stats --xstats: the port's counters and the ring
#     xstats (read from the virtqueues in shared memory); with forwarding
#     stopped, equal to what testpmd itself shows.
#  2. dpdk-pdump captures rx and tx while frames cross the port in an io
#     loopback: the two pcap files hold about as many frames (rx.pcap
#     also what crossed while its callback was in and tx's not yet), 64
#     bytes each; after pdump exits the application forwards on.
#     dpdk-dumpcap the same, by count; the port closes with every mbuf home.
#  3. What a secondary cannot do is answered with an error, never a crash:
#     proc-info asking for the RSS table and the private dump; the primary
#     forwards on.
#
# Usage: secondary.sh PMD_SO split|packed
# Needs root and 256 free 2 MB hugepages (taken here, given back at exit).
# Exit 0 pass, 1 fail, 77 skip.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../scripts/lib/testpmd_pair.sh
. "$top/scripts/lib/testpmd_pair.sh"

pmd_so=$1
layout=$2
HP_PAGES=256
hp_sys=/sys/kernel/mm/hugepages/hugepages-2048kB

say() { printf 'secondary(%s): %s\n' "$layout" "$*"; }
skip() { say "SKIP: $*"; exit 77; }
for tool in dpdk-testpmd dpdk-proc-info dpdk-pdump python3; do
	command -v $tool >/dev/null || skip "$tool not installed (package dpdk-dev)"
done
[ "$(id -u)" -eq 0 ] || skip "hugepages need root (secondaries cannot attach to a --no-huge primary)"
[ -w "$hp_sys/nr_hugepages" ] || skip "no 2 MB hugepages on this kernel"

dir=$(mktemp -d /tmp/vpmd-secondary.XXXXXX)
huge=$dir/huge
hp_before=
sec_pid=
cleanup() {
	[ -n "$sec_pid" ] && { kill -KILL "$sec_pid" 2>/dev/null; wait "$sec_pid" 2>/dev/null; }
	pair_cleanup
	if mountpoint -q "$huge"; then
		rm -f "$huge"/*
		umount "$huge"
	fi
	[ -n "$hp_before" ] && echo "$hp_before" >"$hp_sys/nr_hugepages"
	rm -rf "$dir"
}
trap cleanup EXIT

# Pages of our own on a mount of our own: nothing else's files are touched.
hp_before=$(cat "$hp_sys/nr_hugepages")
echo $((hp_before + HP_PAGES)) >"$hp_sys/nr_hugepages" 2>/dev/null
free=$(cat "$hp_sys/free_hugepages")
[ "$free" -ge "$HP_PAGES" ] || skip "only $free free 2 MB hugepages, $HP_PAGES needed"
mkdir "$huge"
mount -t hugetlbfs -o pagesize=2M nodev "$huge" || skip "cannot mount hugetlbfs"

pair_init "$dir" "$pmd_so" "$layout" client
pair_front_hugepages "$huge"
# A secondary maps DPDK's memory at the primary's addresses, and the range
# EAL picks near the libraries may be taken in the secondary (under ASan,
# whose allocator and shadow move things, it was): a base far from both.
PAIR_FRONT_EAL+=(--base-virtaddr=0x200000000000)
front_prefix="vpmd-front-$PAIR_ID"

fail() {
	say "FAIL: $*"
	echo "--- frontend log"; grep -v "cache_count\[" "$dir/front.log" | tail -40
	echo "--- backend log"; tail -15 "$dir/back.log"
	for f in "$dir"/sec-*.log; do [ -f "$f" ] && { echo "--- $f"; tail -30 "$f"; }; done
	exit 1
}

# A secondary tool on the frontend's prefix. A mempool records its
# driver as an index into a per-process table, filled as libraries load:
# pdump's pool, made in the secondary, is used by the primary's callbacks,
# so the secondary must register the same mempool drivers in the same
# order. Debian's testpmd links librte_mempool_dpaa directly (first in its
# table), the tools load it from the plugin directory: preloading what
# testpmd links puts it first in theirs too. Without this the primary's
# copies went to the dpaa2 driver and failed, and nothing was captured.
# The real testpmd's: under the sanitized setup the first in PATH is a
# wrapper script (test/sanitize/bin).
testpmd_elf=
for t in $(type -ap dpdk-testpmd); do
	[ "$(head -c 4 "$t" | tr -d '\0' | tail -c 3)" = ELF ] && { testpmd_elf=$t; break; }
done
[ -n "$testpmd_elf" ] || skip "no dpdk-testpmd executable in PATH"
mempool_libs=$(ldd "$testpmd_elf" | grep -o '/[^ ]*librte_mempool_[a-z0-9_]*\.so[.0-9]*' |
	sort -u | tr '\n' ' ')
[ -n "$mempool_libs" ] || skip "dpdk-testpmd links no mempool driver: nothing to match"
# Under the sanitized setup (test/sanitize/) the driver is instrumented and
# the tools are not: ASan's runtime goes first in their preload, as
# test/sanitize/bin/dpdk-testpmd does for testpmd.
mempool_libs="${VPMD_ASAN_RUNTIME:+$VPMD_ASAN_RUNTIME }$mempool_libs"
secondary() {
	LD_PRELOAD="$mempool_libs${SECONDARY_PRELOAD:-}" \
		LD_LIBRARY_PATH="$(dirname "$pmd_so")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"
}
# proc-info shows --stats or --xstats, one a run. Its global log level hides
# the driver's info lines unless raised.
proc_info() {
	secondary timeout 20 dpdk-proc-info --no-pci --file-prefix="$front_prefix" \
		-d "$(basename "$pmd_so")" --log-level=7 --log-level='pmd.net.vpmd.*:info' -- "$@"
}

# testpmd's "show port stats 0": the last RX-packets and TX-packets.
count() { grep -c -- "$1" "$dir/front.log"; }
wait_count() { # PATTERN BEFORE: until the log has more lines matching
	local i
	for i in $(seq 50); do [ "$(count "$1")" -gt "$2" ] && return 0; sleep 0.1; done
	return 1
}
port_stats() {
	local n
	n=$(count "RX-packets:")
	pair_send "show port stats 0"
	wait_count "RX-packets:" "$n" || fail "no port stats from testpmd"
	sleep 0.1
	awk '/^ +RX-packets: +[0-9]+ +RX-missed/ { rx = $2 } /^ +TX-packets: +[0-9]+ +TX-errors/ { tx = $2 }
		END { print rx + 0, tx + 0 }' "$dir/front.log"
}

pair_start
pair_wait_forwarding || fail "the backend did not start forwarding"
pair_send "start tx_first"
sleep 1
read -r rx tx < <(port_stats)
[ "$rx" -gt 10000 ] || fail "no traffic: rx $rx"
say "forwarding on hugepages: rx $rx tx $tx"

# 1. proc-info, forwarding stopped: the same counters as testpmd's own.
pair_send "stop"
sleep 0.5
read -r rx tx < <(port_stats)
n=$(count "rx_q0_chains_used:")
pair_send "show port xstats 0"
wait_count "rx_q0_chains_used:" "$n" || fail "no xstats from testpmd"
sleep 0.2
tp_chains=$(awk '/^rx_q0_chains_used: / { v = $2 } END { print v + 0 }' "$dir/front.log")
proc_info --stats >"$dir/sec-proc-info.log" 2>&1 || fail "dpdk-proc-info --stats exited with $?"
proc_info --xstats >>"$dir/sec-proc-info.log" 2>&1 || fail "dpdk-proc-info --xstats exited with $?"
pi_rx=$(awk '/RX-packets:/ { for (i = 1; i < NF; i++) if ($i == "RX-packets:") print $(i + 1); exit }' "$dir/sec-proc-info.log")
pi_tx=$(awk '/TX-packets:/ { for (i = 1; i < NF; i++) if ($i == "TX-packets:") print $(i + 1); exit }' "$dir/sec-proc-info.log")
pi_chains=$(awk '$1 == "rx_q0_chains_used:" { print $2; exit }' "$dir/sec-proc-info.log")
pi_kicks=$(grep -c "_q0_kicks_suppressed:" "$dir/sec-proc-info.log")
say "proc-info: rx ${pi_rx:-none} tx ${pi_tx:-none}, rx_q0_chains_used ${pi_chains:-none}; testpmd: rx $rx tx $tx, rx_q0_chains_used $tp_chains"
[ "${pi_rx:-x}" = "$rx" ] && [ "${pi_tx:-x}" = "$tx" ] ||
	fail "proc-info's packet counts differ from testpmd's"
[ "${pi_chains:-x}" = "$tp_chains" ] && [ "$tp_chains" -gt 0 ] ||
	fail "proc-info's ring counter rx_q0_chains_used differs from testpmd's"
[ "$pi_kicks" -eq 2 ] || fail "proc-info shows no ring kick counters"
grep -q "attached in a secondary process" "$dir/sec-proc-info.log" ||
	fail "the driver did not say it attached in the secondary"

# 2. pdump while frames cross the port. pdump's pcap devices become ports
# of the primary too (hotplug goes through it), and testpmd will not start
# forwarding while a port of its is not started: so io forwarding runs
# before pdump attaches, and stops before pdump does; every frame testpmd
# took in in between it sent back out, so the two files hold as many
# frames, less what was in flight as the callbacks went in (a burst or
# two). The window is kept short: some 5 million frames a second.
pair_send "start tx_first"
sleep 0.5
# pdump writes until SIGINT, and honours it only if it was not ignored: a
# background job of a script starts with SIGINT ignored, so env restores it.
# A simple command, so that $! is pdump itself (env and stdbuf exec it);
# line-buffered, so that its "capture for" line shows when it starts.
LD_PRELOAD="$mempool_libs" LD_LIBRARY_PATH="$(dirname "$pmd_so")" \
	env --default-signal=INT stdbuf -oL dpdk-pdump -l 0 --no-pci --file-prefix="$front_prefix" \
	-d "$(basename "$pmd_so")" -- \
	--pdump "port=0,queue=*,rx-dev=$dir/rx.pcap,tx-dev=$dir/tx.pcap" \
	>"$dir/sec-pdump.log" 2>&1 &
sec_pid=$!
for i in $(seq 100); do grep -q "capture for" "$dir/sec-pdump.log" && break; sleep 0.1; done
grep -q "capture for" "$dir/sec-pdump.log" || fail "dpdk-pdump did not start capturing"
sleep 0.05 # its callbacks are in the primary once it says so
pair_send "stop"
sleep 0.5 # pdump's ring to its files
kill -INT "$sec_pid" 2>/dev/null
for i in $(seq 50); do kill -0 "$sec_pid" 2>/dev/null || break; sleep 0.1; done
kill -KILL "$sec_pid" 2>/dev/null && say "dpdk-pdump did not stop on SIGINT: killed"
wait "$sec_pid"
rc=$?
sec_pid=
[ "$rc" -eq 0 ] || fail "dpdk-pdump exited with $rc"
# FILE: "PACKETS BYTES MIN_LEN MAX_LEN" of a pcap or pcapng file (lengths on the wire).
pcap_summary() {
	python3 - "$1" <<'EOF'
import struct, sys
data = open(sys.argv[1], 'rb').read()
lens = []
if data[:4] == b'\x0a\x0d\x0d\x0a':  # pcapng: blocks; an Enhanced Packet Block is type 6
    off = 0
    while off + 12 <= len(data):
        btype, blen = struct.unpack('<II', data[off:off + 8])
        if blen < 12:
            sys.exit('bad pcapng block')
        if btype == 6:
            lens.append(struct.unpack('<I', data[off + 24:off + 28])[0])
        off += blen
else:
    magic = struct.unpack('<I', data[:4])[0]
    if magic not in (0xa1b2c3d4, 0xa1b23c4d):
        sys.exit('not a pcap file: magic %#x' % magic)
    off = 24
    while off + 16 <= len(data):
        _, _, caplen, origlen = struct.unpack('<IIII', data[off:off + 16])
        off += 16 + caplen
        lens.append(origlen)
print(len(lens), sum(lens), min(lens, default=0), max(lens, default=0))
EOF
}
read -r rxp rxb rxmin rxmax < <(pcap_summary "$dir/rx.pcap") || fail "rx.pcap unreadable"
read -r txp txb txmin txmax < <(pcap_summary "$dir/tx.pcap") || fail "tx.pcap unreadable"
say "pdump: rx.pcap $rxp frames $rxb bytes, tx.pcap $txp frames $txb bytes"
[ "$rxp" -gt 1000 ] || fail "pdump captured $rxp frames"
# pdump puts its rx callback in before its tx callback, while frames
# circulate at some 5 million a second: what crosses in between is in
# rx.pcap only. That window is microseconds, unless the primary's
# multi-process thread is preempted there (two cores, both busy-polled):
# rx.pcap may hold up to a tenth more. tx.pcap can hold more only by what
# was already in the loop as the rx callback went in: the two tx_first
# bursts, 64 frames (forwarding stops before the callbacks come out).
# Under the sanitizers the instrumented dpdk-pdump drains its capture ring
# slower than the loop fills it, and the primary drops what does not fit
# (counted as ringfull in rte_pdump_stats, not a loss of traffic: the port
# counters above agree): there either file may hold a tenth more.
more_rx=$((rxp / 10)) more_tx=64
[ "${VPMD_SANITIZE:-0}" = 1 ] && more_tx=$((rxp / 10))
[ $((rxp - txp)) -le "$more_rx" ] && [ $((txp - rxp)) -le "$more_tx" ] ||
	fail "pdump captured $rxp frames in and $txp out of an io loopback (allowed: $more_rx more in, $more_tx more out)"
# testpmd's tx_first frames are 64 bytes (60 without the CRC DPDK does not count).
[ "$rxmin" -eq "$rxmax" ] && [ "$rxb" -eq $((rxp * rxmin)) ] && [ "$rxmin" -ge 60 ] &&
	[ "$rxmin" -le 64 ] || fail "rx.pcap frames of unexpected sizes: $rxmin..$rxmax"
[ "$txmin" -eq "$rxmin" ] && [ "$txmax" -eq "$rxmin" ] || fail "tx.pcap frames of unexpected sizes"
pair_send "set fwd io"
pair_send "start tx_first"
sleep 0.5
read -r rx1 _ < <(port_stats)
sleep 1
read -r rx2 _ < <(port_stats)
say "after pdump: rx $rx1 -> $rx2"
[ "$rx2" -gt $((rx1 + 10000)) ] || fail "the application stopped forwarding after the capture"

# dpdk-dumpcap has no -d: the driver goes in by preload. It stops after -c frames.
if command -v dpdk-dumpcap >/dev/null; then
	SECONDARY_PRELOAD=" $(readlink -f "$pmd_so")" secondary timeout 20 dpdk-dumpcap \
		--file-prefix="$front_prefix" -i net_vpmd0 -c 2000 -a duration:10 -w "$dir/cap.pcapng" \
		>"$dir/sec-dumpcap.log" 2>&1 || fail "dpdk-dumpcap exited with $?"
	read -r cp cb cmin cmax < <(pcap_summary "$dir/cap.pcapng") || fail "cap.pcapng unreadable"
	say "dumpcap: cap.pcapng $cp frames $cb bytes"
	[ "$cp" -ge 2000 ] || fail "dumpcap captured $cp frames, not the 2000 asked"
	[ "$cmin" -eq "$rxmin" ] && [ "$cmax" -eq "$rxmin" ] || fail "cap.pcapng frames of unexpected sizes"
	read -r rx1 _ < <(port_stats)
	sleep 1
	read -r rx2 _ < <(port_stats)
	say "after dumpcap: rx $rx1 -> $rx2"
	[ "$rx2" -gt $((rx1 + 10000)) ] || fail "the application stopped forwarding after dumpcap"
else
	say "dpdk-dumpcap not installed: not run"
fi

# 3. What needs the primary, or the driver does not offer here: an error, no crash.
proc_info --show-rss-reta --show-port-private >"$dir/sec-refused.log" 2>&1
rc=$?
[ "$rc" -lt 128 ] || fail "dpdk-proc-info died of signal $((rc - 128))"
grep -qi "segmentation\|panic" "$dir/sec-refused.log" && fail "dpdk-proc-info crashed"
grep -q "Error getting RSS RETA" "$dir/sec-refused.log" || fail "proc-info got an RSS table from the secondary"
say "proc-info --show-rss-reta --show-port-private: exit $rc, $(grep -c "Error" "$dir/sec-refused.log") error lines, no crash"
read -r rx3 _ < <(port_stats)
sleep 0.5
read -r rx4 _ < <(port_stats)
[ "$rx4" -gt "$rx3" ] || fail "the application stopped forwarding after the refused requests"

# Every mbuf home once the port is closed.
pair_send "stop"
pair_send "port stop all"
pair_send "port close all"
n=$(count "common_pool_count=")
pair_send "dump_mempool"
wait_count "common_pool_count=" "$n" || fail "no mempool dump"
sleep 0.2
read -r inuse size < <(pair_mbufs_in_use)
say "mbufs in use after close: ${inuse:-?} of ${size:-?}"
[ "${inuse:-1}" -eq 0 ] || fail "mbufs not home after close"
pair_quit || fail "testpmd exited with $?"
say "PASS"
