# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Guest-side helpers of the PCI tests, sourced by /case/run.sh inside the
# QEMU guest (guest_run.sh ships this file in the per-run archive as
# /case/lib.sh, next to the case as /case/case.sh and /case/env).
#
#   say MSG / fail WHY / skip WHY      log; end the case (exit 1 / 77) with the reason
#   virtio_nics                        BDFs of the virtio-net functions, in bus order
#   load_kmod MOD [PARAM=V...]         modprobe, fail if it does not load
#   hugepages N                        N 2 MB pages on /dev/hugepages, or fail
#   bind KMOD BDF...                   dpdk-devbind.py, then check each link
#   tp_start NAME ALLOW... -- EAL... -- APP...   dpdk-testpmd -i fed from a FIFO
#   tp_send CMD / tp_quit              a command; quit and wait (bounded)
#   tp_drivers / tp_stat PORT KEY      parse the log: "Driver name"s; a NIC counter
#   check_drivers N / check_vctl N     N ports, every one ours; vctl list shows them
#   fwd_case KMOD MEM...               the two-port io-forwarding check (most cases)
#
# The driver under test: VPMD_GUEST_DRIVER (net_vpmd loads /case/lib/librte_net_vpmd.so
# with -d; net_virtio is DPDK's own, Debian's testpmd loads it from its plugin dir).

[ -f /case/env ] && . /case/env
DRIVER=${VPMD_GUEST_DRIVER:-net_vpmd}
PMD_SO=/case/lib/librte_net_vpmd.so
VCTL=/case/bin/vctl
# Packets each port must have received and sent while forwarding.
MIN_PKTS=${VPMD_GUEST_MIN_PKTS:-1000}
FWD_SECONDS=${VPMD_GUEST_FWD_SECONDS:-3}
TP_PID=
TP_LOG=
TP_NAME=

say() { printf 'case: %s\n' "$*"; }
fail() {
	say "FAIL: $*"
	printf '%s\n' "$*" >/tmp/vpmd-why
	exit 1
}
skip() {
	say "SKIP: $*"
	printf '%s\n' "$*" >/tmp/vpmd-why
	exit 77
}

# virtio-net is vendor 0x1af4, device 0x1000 (transitional or legacy) or 0x1041 (modern).
virtio_nics() {
	local d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = 0x1af4 ] || continue
		case $(cat "$d/device") in 0x1000 | 0x1041) basename "$d" ;; esac
	done
}

load_kmod() {
	modprobe "$@" || fail "modprobe $* failed"
}

hugepages() {
	local n=$1 got
	echo "$n" >/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
	got=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)
	[ "$got" -ge "$n" ] || fail "asked for $n hugepages, got $got"
	mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages ||
		fail "cannot mount hugetlbfs"
}

bind() {
	local kmod=$1 bdf drv
	shift
	dpdk-devbind.py -b "$kmod" "$@" || fail "dpdk-devbind.py -b $kmod $* failed"
	for bdf in "$@"; do
		drv=$(basename "$(readlink "/sys/bus/pci/devices/$bdf/driver" 2>/dev/null)")
		[ "$drv" = "$kmod" ] || fail "$bdf is bound to '${drv:-nothing}', not $kmod"
	done
	say "bound to $kmod: $*"
}

# The devargs the allow-list entries take for the driver under test:
# packed_vq=1 is net_vpmd's; DPDK's net_virtio refuses unknown keys (and
# negotiates packed rings by itself when the device offers them).
devargs() {
	[ "$DRIVER" = net_vpmd ] && [ -n "${1:-}" ] && printf ',%s' "$1"
	return 0
}

# tp_start NAME BDF[,args]... -- EAL_ARGS... -- APP_ARGS...
# testpmd reads its commands from a FIFO held open on fd 3; its output goes
# to /tmp/NAME.log.
tp_start() {
	local name=$1 allow=() eal=() app=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do allow+=(-a "$1"); shift; done
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do eal+=("$1"); shift; done
	shift
	app=("$@")
	[ "$DRIVER" = net_vpmd ] && eal+=(-d "$PMD_SO" --log-level="${VPMD_GUEST_LOG_LEVEL:-pmd.net.vpmd.*:info}")
	# net_virtio says what it negotiated at debug level (check_features).
	[ "$DRIVER" = net_virtio ] && eal+=(--log-level=pmd.net.virtio.init:debug)
	TP_NAME=$name
	TP_LOG=/tmp/$name.log
	rm -f "/tmp/$name.in"
	mkfifo "/tmp/$name.in"
	say "dpdk-testpmd -l 0,1 --file-prefix=$name ${allow[*]} ${eal[*]} -- -i ${app[*]}"
	stdbuf -oL dpdk-testpmd -l 0,1 --file-prefix="$name" "${allow[@]}" "${eal[@]}" \
		-- -i "${app[@]}" <"/tmp/$name.in" >"$TP_LOG" 2>&1 &
	TP_PID=$!
	exec 3>"/tmp/$name.in"
}

tp_send() {
	(trap '' PIPE; printf '%s\n' "$*" >&3) 2>/dev/null
}

# Waits for a pattern in the log, at most $2 seconds (default 30).
tp_wait_for() {
	local i
	for ((i = 0; i < ${2:-30} * 10; i++)); do
		grep -q "$1" "$TP_LOG" && return 0
		kill -0 "$TP_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

tp_quit() {
	local i rc
	tp_send quit
	exec 3>&-
	for ((i = 0; i < 200; i++)); do kill -0 "$TP_PID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$TP_PID" 2>/dev/null; then
		kill -KILL "$TP_PID"
		wait "$TP_PID" 2>/dev/null
		TP_PID=
		return 124
	fi
	wait "$TP_PID"
	rc=$?
	TP_PID=
	return $rc
}

# The log, or its head (probe) and tail (stats, close) when long.
tp_show_log() {
	local max=${1:-160} n
	n=$(grep -vc 'cache_count\[' "$TP_LOG")
	echo "--- testpmd log ($TP_LOG, $n lines)"
	if [ "$n" -le "$max" ]; then
		grep -v 'cache_count\[' "$TP_LOG"
	else
		grep -v 'cache_count\[' "$TP_LOG" | head -$((max / 3))
		echo "[... $((n - max)) lines ...]"
		grep -v 'cache_count\[' "$TP_LOG" | tail -$((max - max / 3))
	fi
	echo "---"
}

tp_fail() {
	tp_show_log
	fail "$*"
}

# "Driver name: X" of each "show port info", in order.
tp_drivers() {
	awk -F': *' '/^Driver name:/ { print $2 }' "$TP_LOG"
}

# tp_stat PORT RX-packets|RX-bytes|RX-errors|TX-packets|TX-bytes: the last
# "show port stats" block of that port.
tp_stat() {
	awk -v port="$1" -v key="$2:" '
		/NIC statistics for port/ { p = ""; for (i = 1; i <= NF; i++) if ($i == "port") p = $(i + 1); next }
		/^ *#+ *$/ { p = ""; next }
		p != "" && p == port { for (i = 1; i < NF; i++) if ($i == key) v = $(i + 1) }
		END { print v + 0 }
	' "$TP_LOG"
}

# Every port probed, and by the driver under test.
check_drivers() {
	local want=$1 names n bad
	names=$(tp_drivers)
	n=$(printf '%s\n' "$names" | grep -c .)
	say "driver names: $(echo $names)"
	[ "$n" -eq "$want" ] || tp_fail "$n ports reported a driver name, expected $want"
	bad=$(printf '%s\n' "$names" | grep -vx "$DRIVER" | head -1)
	[ -z "$bad" ] || tp_fail "a port is driven by $bad, not $DRIVER"
}

# Feature bits every port must have negotiated (+N) or not (-N), from
# WANT_FEATURES (set by the case): for net_virtio from its debug log
# ("features after negotiate = HEX", one line per port); for net_vpmd
# through the LAYOUT column of vctl list (check_vctl), when WANT_LAYOUT is set.
check_features() {
	local want=$1 hex n=0 w bit
	[ "$DRIVER" = net_virtio ] && [ -n "${WANT_FEATURES:-}" ] || return 0
	while read -r hex; do
		n=$((n + 1))
		for w in $WANT_FEATURES; do
			bit=$(((0x$hex >> ${w:1}) & 1))
			case $w in
			+*) [ "$bit" = 1 ] || tp_fail "port $((n - 1)): feature bit ${w:1} not negotiated (0x$hex)" ;;
			-*) [ "$bit" = 0 ] || tp_fail "port $((n - 1)): feature bit ${w:1} negotiated (0x$hex)" ;;
			esac
		done
	done < <(sed -n 's/.*features after negotiate = \(0x\)*\([0-9a-fA-F]*\).*/\2/p' "$TP_LOG")
	[ "$n" -ge "$want" ] || tp_fail "$n ports logged their negotiated features, expected $want"
	say "negotiated features of $n ports match: $WANT_FEATURES"
}

# vctl list, while testpmd runs: only for net_vpmd, whose telemetry vctl reads.
# A vctl that cannot start (a library missing from the image) is reported,
# not failed.
check_vctl() {
	local want=$1 out rc n
	[ "$DRIVER" = net_vpmd ] || return 0
	[ -x "$VCTL" ] || { say "vctl: not in the archive, not checked"; return 0; }
	out=$("$VCTL" --prefix "$TP_NAME" list 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/vctl: /'
	if [ $rc -ne 0 ] && printf '%s\n' "$out" | grep -q 'error while loading shared libraries'; then
		say "vctl: cannot start here (missing library), not checked"
		return 0
	fi
	[ $rc -eq 0 ] || tp_fail "vctl list exited with $rc"
	n=$(printf '%s\n' "$out" | sed -n 's/.*: \([0-9][0-9]*\) vpmd port.*/\1/p')
	[ "${n:-0}" -eq "$want" ] || tp_fail "vctl list shows ${n:-no} vpmd ports, expected $want"
	if [ -n "${WANT_LAYOUT:-}" ]; then
		n=$(printf '%s\n' "$out" | grep -cw -- "$WANT_LAYOUT")
		[ "$n" -eq "$want" ] || tp_fail "vctl list shows $n ports with layout $WANT_LAYOUT, expected $want"
	fi
}

# Two NICs joined by a hub on the host: io forwarding seeded by tx_first
# makes frames circulate between them. Both ports must move MIN_PKTS each
# way, with no receive errors.
# fwd_run NAME DEVARGS EAL_MEM...
fwd_run() {
	local name=$1 dargs=$2 nics=() allow=() bdf p rx tx errs
	shift 2
	mapfile -t nics < <(virtio_nics)
	for bdf in "${nics[@]}"; do allow+=("$bdf$(devargs "$dargs")"); done
	tp_start "$name" "${allow[@]}" -- "$@" -- \
		--total-num-mbufs=16384 --forward-mode=io --port-topology=paired
	tp_wait_for 'testpmd> ' 60 || tp_fail "testpmd did not reach its prompt"
	tp_send "show port info all"
	tp_send "start tx_first"
	sleep "$FWD_SECONDS"
	check_vctl "${#nics[@]}"
	tp_send "show port stats all"
	# Not checked: the driver's own counters, for the log of a failure.
	tp_send "show port xstats all"
	tp_send "stop"
	tp_quit || tp_fail "testpmd exited with $?"
	[ "${VPMD_GUEST_VERBOSE:-0}" = 1 ] && tp_show_log 100000
	check_drivers "${#nics[@]}"
	check_features "${#nics[@]}"
	for ((p = 0; p < ${#nics[@]}; p++)); do
		rx=$(tp_stat $p RX-packets)
		tx=$(tp_stat $p TX-packets)
		errs=$(tp_stat $p RX-errors)
		say "$name port $p (${nics[$p]}): rx $rx tx $tx rx-errors $errs in ${FWD_SECONDS}s"
		[ "$rx" -gt "$MIN_PKTS" ] || tp_fail "port $p received $rx packets, expected > $MIN_PKTS"
		[ "$tx" -gt "$MIN_PKTS" ] || tp_fail "port $p sent $tx packets, expected > $MIN_PKTS"
		[ "$errs" -eq 0 ] || tp_fail "port $p: $errs rx errors"
	done
	rm -rf "/run/dpdk/$name"
}

# The cases with uio_pci_generic: IOVA as PA needs hugepages.
fwd_case_uio() {
	local dargs=${1:-} nics=()
	mapfile -t nics < <(virtio_nics)
	[ "${#nics[@]}" -eq 2 ] || fail "found ${#nics[@]} virtio-net functions, expected 2"
	load_kmod uio_pci_generic
	hugepages 256
	bind uio_pci_generic "${nics[@]}"
	fwd_run fwd "$dargs" --huge-dir=/dev/hugepages
}

# --- helpers of the ctrl case (cases/ctrl.sh) ---

# tp_cmd_wait CMD PATTERN [SECONDS]: send CMD and wait (default 10 s) until
# one more log line matches PATTERN (grep -E) than before: its output is in.
tp_cmd_wait() {
	local before i
	before=$(grep -cE -- "$2" "$TP_LOG")
	tp_send "$1"
	for ((i = 0; i < ${3:-10} * 20; i++)); do
		[ "$(grep -cE -- "$2" "$TP_LOG")" -gt "$before" ] && return 0
		kill -0 "$TP_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# tp_xstat PORT NAME: NAME's value in the last "show port xstats" of PORT (0 if absent).
tp_xstat() {
	awk -v port="$1" -v key="$2:" '
		/NIC extended statistics for port/ { p = ""; for (i = 1; i <= NF; i++) if ($i == "port") p = $(i + 1); next }
		/NIC statistics for port/ { p = ""; next }
		p != "" && p == port && $1 == key { v = $2 }
		END { print v + 0 }
	' "$TP_LOG"
}

# tp_port_info PORT KEY: KEY's value ("Link status", "MTU", ...) in the last
# "show port info" of PORT.
tp_port_info() {
	awk -v port="$1" -v key="$2" '
		/Infos for port/ { p = ""; for (i = 1; i <= NF; i++) if ($i == "port") p = $(i + 1); next }
		p == port { i = index($0, key ":"); if (i == 1) { v = substr($0, length(key) + 2); sub(/^ */, "", v) } }
		END { print v }
	' "$TP_LOG"
}
