# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034,SC2054 # WANT_* are read by lib/guest.sh; QEMU args have commas
#
# rss: receive-side scaling through the device, against QEMU's software RSS.
# One modern NIC (mq=on, rss=on, hash=on) on a 2-queue tap that QEMU creates
# in the host's namespace; the host side (lib/rss.py) moves it into a network
# namespace of its own (deleted at the end), and injects RSS_FLOWS flows
# (IPv4 TCP/UDP/other, IPv6 TCP/UDP; each its own source MAC) RSS_PER_FLOW
# times each, twice, with an AF_PACKET socket: no address, no route.
# The guest runs dpdk-testpmd rxonly on 2 queues, 'port config all rss all',
# verbose; for net_vpmd also the RSS_HASH rx offload (HASH_REPORT). Between
# the two batches it sets the complement of the default RETA (entry i to
# queue (i+1)%2) and reads it back. It checks the driver, the RSS flow
# types, the key and both RETAs it reads back, and that the per-queue
# counts (xstats) are both non-zero and add up to what the host sent; it
# prints what testpmd saw per flow (queue, hash) on the console, and the
# host checks each flow against its Toeplitz hash and the RETA of its batch.
#
# Host: case_qemu_args, case_host. Guest: case_guest. Skips (77) without
# /dev/net/tun or ip.

RSS_FLOWS=64
RSS_PER_FLOW=3
RSS_MAC=52:54:00:56:52:01
RSS_RETA_LEN=128

case_qemu_args() {
	[ -c /dev/net/tun ] || skip "no /dev/net/tun: no tap for a multi-queue backend"
	command -v ip >/dev/null || skip "no ip (package iproute2): cannot make the tap's namespace"
	# Unique per run; QEMU creates the tap and it goes when QEMU exits.
	RSS_TAP=vpmdrss$$
	RSS_NETNS=vpmd-rss-$$
	CASE_QEMU+=(-M pc
		-netdev "tap,id=n0,ifname=$RSS_TAP,queues=2,script=no,downscript=no,vhost=off"
		-device "virtio-net-pci,netdev=n0,mq=on,vectors=6,rss=on,hash=on,disable-legacy=on,addr=3,mac=$RSS_MAC,romfile=")
}

# Runs on the host, beside QEMU; its status joins the guest's verdict.
# shellcheck disable=SC2154 # dir: guest_run.sh's run directory, where serial.log grows
case_host() {
	exec python3 "$PCI_DIR/lib/rss.py" --netns "$RSS_NETNS" --tap "$RSS_TAP" \
		--serial "$dir/serial.log" --mac "$RSS_MAC" --flows "$RSS_FLOWS" \
		--per-flow "$RSS_PER_FLOW" --driver "$DRIVER" --timeout "$((CASE_TIMEOUT - 30))"
}

# Waits until RX-packets of port 0 reaches $1 and rests (bounded).
rss_wait_rx() {
	local want=$1 rx last=-1 end=$((SECONDS + 40))
	while [ "$SECONDS" -lt "$end" ]; do
		sleep 0.5
		tp_send "show port stats 0"
		sleep 0.3
		rx=$(tp_stat 0 RX-packets)
		[ "$rx" -ge "$want" ] && [ "$rx" -eq "$last" ] && return 0
		last=$rx
	done
	tp_fail "port 0 received $rx packets, waited for $want"
}

# The Nth (1-based) RETA testpmd printed, as 128 queue numbers.
rss_reta() {
	awk -v n="$1" '
		/RSS RETA configuration: hash index=0,/ { k++ }
		k == n && /RSS RETA configuration: hash index=/ {
			split($0, a, "queue="); printf "%s ", a[2] + 0 }
	' "$TP_LOG"
}

# Packets received on queue $1, from the last "show port xstats": rx_qN_packets
# (ethdev's, and net_vpmd's), or net_virtio's rx_qN_good_packets.
rss_xstat() {
	awk -v a="rx_q$1_packets:" -v b="rx_q$1_good_packets:" '
		/NIC extended statistics/ { v = "" }
		($1 == a || $1 == b) && v == "" { v = $2 }
		END { print v + 0 }' "$TP_LOG"
}

# One line per (source, queue, hash, RSS queue) of testpmd's verbose rxonly
# output, with its count; hash and RSS queue "-" when the mbuf had no hash.
rss_observations() {
	awk '
		# A line may follow the prompt ("testpmd> port 0/queue 1: ...").
		/port [0-9]+\/queue [0-9]+: received/ {
			s = $0; sub(/.*port [0-9]+\/queue /, "", s); q = s + 0; next }
		/ src=/ {
			src = ""; h = "-"; rq = "-"
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^src=/) src = substr($i, 5)
				if ($i == "RSS" && $(i + 1) ~ /^hash=/) h = substr($(i + 1), 6)
				if ($i == "RSS" && $(i + 1) ~ /^queue=/) rq = substr($(i + 1), 7)
			}
			n[src " " q " " h " " rq]++
		}
		END { for (k in n) print k, n[k] }
	' "$TP_LOG" | sort
}

case_guest() {
	local nics=() sent=$((RSS_FLOWS * RSS_PER_FLOW)) rxoffs=() key want got i cmd q0 q1 rx
	mapfile -t nics < <(virtio_nics)
	[ "${#nics[@]}" -eq 1 ] || fail "found ${#nics[@]} virtio-net functions, expected 1"
	load_kmod uio_pci_generic
	hugepages 256
	bind uio_pci_generic "${nics[0]}"
	# RSS_HASH (bit 19): the device's hash in the mbuf (HASH_REPORT); net_virtio has no such offload.
	[ "$DRIVER" = net_vpmd ] && rxoffs=(--rx-offloads=0x80000)
	tp_start rss "${nics[0]}" -- --huge-dir=/dev/hugepages -- \
		--total-num-mbufs=16384 --rxq=2 --txq=2 --forward-mode=rxonly "${rxoffs[@]}"
	tp_wait_for 'testpmd> ' 60 || tp_fail "testpmd did not reach its prompt"
	grep -q '^Fail to start port' "$TP_LOG" && tp_fail "testpmd could not start port 0 with 2 queues"
	tp_send "show port info 0"
	tp_send "port config all rss all"
	tp_send "set verbose 1"
	tp_send "start"
	tp_send "show port 0 rss-hash key"
	tp_send "show port 0 rss reta $RSS_RETA_LEN (0xffffffffffffffff,0xffffffffffffffff)"
	tp_wait_for "hash index=$((RSS_RETA_LEN - 1))," 30 || tp_fail "no RETA from testpmd"
	check_drivers 1
	grep -q '^Supported RSS offload flow types:' "$TP_LOG" || tp_fail "show port info lists no RSS flow types"
	for i in ipv4-tcp ipv4-udp ipv6-tcp ipv6-udp; do
		sed -n '/^Supported RSS offload flow types:/,/^[A-Z]/p' "$TP_LOG" | grep -qw -- "$i" ||
			tp_fail "show port info: no RSS flow type $i"
	done
	say "port info: $(grep -E '^(Redirection table size|Hash key size in bytes):' "$TP_LOG" | tr '\n' ' ')"
	grep -q 'modified RSS hash function' "$TP_LOG" && say "$(grep 'modified RSS hash function' "$TP_LOG" | head -1)"
	key=$(awk '/^RSS key:/ { getline; print; exit }' "$TP_LOG")
	[ -n "$key" ] || tp_fail "show port 0 rss-hash key printed no key"
	say "RSS functions: $(sed -n '/^RSS functions:/,/^RSS key:/p' "$TP_LOG" | sed '1d;$d' | tr -s ' \n' ' ')"
	want=$(for ((i = 0; i < RSS_RETA_LEN; i++)); do printf '%s ' $((i % 2)); done)
	got=$(rss_reta 1)
	[ "$got" = "$want" ] || tp_fail "the default RETA is not round robin over 2 queues: $got"
	check_vctl 1
	say "RSS-READY 1 key=$key"
	rss_wait_rx "$sent"

	# The complement of the default table, 8 entries a command (testpmd's token is short).
	for ((i = 0; i < RSS_RETA_LEN; i++)); do
		cmd+="($i,$(((i + 1) % 2)))"
		if (((i + 1) % 8 == 0)); then
			tp_send "port config 0 rss reta $cmd"
			cmd=
		fi
	done
	tp_send "show port 0 rss reta $RSS_RETA_LEN (0xffffffffffffffff,0xffffffffffffffff)"
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c "hash index=$((RSS_RETA_LEN - 1))," "$TP_LOG")" -ge 2 ] && break
		sleep 0.1
	done
	want=$(for ((i = 0; i < RSS_RETA_LEN; i++)); do printf '%s ' $(((i + 1) % 2)); done)
	got=$(rss_reta 2)
	[ "$got" = "$want" ] || tp_fail "the RETA read back is not the one set: $got"
	grep -qi 'reta update failed\|Bad arguments' "$TP_LOG" && tp_fail "testpmd refused a RETA update"
	say "RSS-READY 2"
	rss_wait_rx $((2 * sent))

	tp_send "show port xstats 0"
	tp_send "stop"
	tp_quit || tp_fail "testpmd exited with $?"
	[ "${VPMD_GUEST_VERBOSE:-0}" = 1 ] && tp_show_log 100000
	rx=$(tp_stat 0 RX-packets)
	q0=$(rss_xstat 0)
	q1=$(rss_xstat 1)
	say "rss port 0 (${nics[0]}): rx $rx: queue 0 $q0, queue 1 $q1; host sent $((2 * sent))"
	rss_observations | sed 's/^/RSS-OBS /' | while read -r line; do say "$line"; done
	say "RSS-DONE"
	[ "$rx" -eq $((2 * sent)) ] || tp_fail "received $rx packets, the host sent $((2 * sent))"
	{ [ "$q0" -gt 0 ] && [ "$q1" -gt 0 ]; } || tp_fail "a queue received nothing: $q0 and $q1"
	[ $((q0 + q1)) -eq "$rx" ] || tp_fail "queues 0 and 1 received $q0 + $q1, the port $rx"
	[ "$(tp_stat 0 RX-errors)" -eq 0 ] || tp_fail "rx errors"
	rm -rf /run/dpdk/rss
}
