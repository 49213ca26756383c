# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2054 # QEMU args have commas
#
# The guest side of bench/guest.sh, a case file for test/pci/guest_run.sh:
# two virtio-net-pci NICs on one QEMU hub, and dpdk-testpmd io forwarding
# between them, run in turn by net_vpmd and by DPDK's net_virtio on the same
# devices in the same boot, VPMD_BENCH_TRIALS times, the order swapped each
# trial. Each run prints one line on the console:
#   bench: trial T DRIVER pps N cpp C
# (forwarded packets per second over the measured interval; testpmd's busy
# cycles per packet, --record-core-cycles). Under software emulation the
# rates mean little in themselves: the ratio between the drivers is what
# bench/guest.sh reports.

TRIALS=${VPMD_BENCH_TRIALS:-4}
SECONDS_MEASURED=${VPMD_BENCH_SECONDS:-3}
WARMUP=${VPMD_BENCH_WARMUP:-1}
LAYOUT=${VPMD_BENCH_LAYOUT:-split}
# Extra devargs for net_vpmd only (net_virtio refuses ours), e.g. event_idx=1.

case_qemu_args() {
	CASE_QEMU+=(-M pc)
	if [ "$LAYOUT" = packed ]; then
		hub_nics 2 "disable-legacy=on,packed=on"
	else
		hub_nics 2 "disable-legacy=on"
	fi
}

# One run of DRIVER: start, warm up, clear, measure, stop.
bench_run() {
	local trial=$1 drv=$2 nics=("${@:3}") allow=() bdf rx0 rx1 cpp
	DRIVER=$drv
	local dargs=${VPMD_BENCH_VPMD_ARGS:-}
	[ "$LAYOUT" = packed ] && dargs=packed_vq=1${dargs:+,$dargs}
	for bdf in "${nics[@]}"; do allow+=("$bdf$(devargs "$dargs")"); done
	tp_start "bench$trial$drv" "${allow[@]}" -- --huge-dir=/dev/hugepages -- \
		--total-num-mbufs=16384 --forward-mode=io --port-topology=paired --record-core-cycles
	tp_wait_for 'testpmd> ' 60 || tp_fail "$drv: testpmd did not reach its prompt"
	tp_send "show port info all"
	tp_send "start tx_first 4"
	sleep "$WARMUP"
	tp_send "clear port stats all"
	sleep "$SECONDS_MEASURED"
	tp_send "show port stats all"
	[ "$drv" = net_vpmd ] && tp_send "show port xstats 0"
	sleep 0.5
	tp_send "stop"
	tp_quit || tp_fail "$drv: testpmd exited with $?"
	[ "$(tp_drivers | sort -u)" = "$drv" ] || tp_fail "$drv: ports driven by '$(tp_drivers | sort -u | tr '\n' ' ')'"
	rx0=$(tp_stat 0 RX-packets)
	rx1=$(tp_stat 1 RX-packets)
	cpp=$(sed -n 's/.*CPU cycles\/packet=\([0-9.]*\).*/\1/p' "$TP_LOG" | tail -1)
	printf 'bench: trial %s %s pps %s cpp %s\n' "$trial" "$drv" \
		"$(((rx0 + rx1) / SECONDS_MEASURED))" "${cpp:-0}"
	# Kicks that reached the device, per forwarded packet, for reading the ratio.
	if [ "$drv" = net_vpmd ]; then
		printf 'bench: kicks trial %s %s\n' "$trial" \
			"$(grep -E '^ *(rx|tx)_q0_kicks(_suppressed)?:' "$TP_LOG" | tr -d ' ' | tr '\n' ' ')"
	fi
	rm -rf "/run/dpdk/bench$trial$drv"
}

case_guest() {
	local nics=() t
	mapfile -t nics < <(virtio_nics)
	[ "${#nics[@]}" -eq 2 ] || fail "found ${#nics[@]} virtio-net functions, expected 2"
	load_kmod uio_pci_generic
	hugepages 256
	bind uio_pci_generic "${nics[@]}"
	for ((t = 1; t <= TRIALS; t++)); do
		if ((t % 2)); then
			bench_run "$t" net_vpmd "${nics[@]}"
			bench_run "$t" net_virtio "${nics[@]}"
		else
			bench_run "$t" net_virtio "${nics[@]}"
			bench_run "$t" net_vpmd "${nics[@]}"
		fi
	done
}
