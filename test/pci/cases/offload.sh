# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2054 # QEMU args have commas
#
# offload: checksum and TSO offloads against QEMU's device, by behaviour.
# One modern NIC on a tap with a vnet header (vhost off), so QEMU offers
# CSUM, GUEST_CSUM, HOST_TSO4/6 and GUEST_TSO4/6; the host side
# (lib/offload.py) moves the tap into a network namespace of its own and
# talks to the NIC through AF_PACKET with PACKET_VNET_HDR: it sends TCP
# frames whose vnet header says NEEDS_CSUM, and one big GSO frame per family,
# and checks what comes back carries the offload requests (NEEDS_CSUM at the
# TCP checksum, GSO_TCPV6 with gso_size 1400), completing the checksum itself.
# The guest runs testpmd's csum engine on the one port (loop): rx TCP
# checksum and LRO, tx TCP checksum and TSO 1400 in hardware, IP checksum in
# software. It checks the driver, that the port started with the offloads
# (no "the device lacks"), that the frames arrived with RX_L4_CKSUM_NONE and
# the big one with RX_LRO, and no rx/tx errors.
#
# testpmd's csum engine sets RTE_MBUF_F_TX_IP_CKSUM on every IPv4 TSO packet
# (DPDK's TSO contract): tx_prepare must let it through, and the IPv4 TSO
# frame is judged like the IPv6 one.
#
# Host: case_qemu_args, case_host. Guest: case_guest. Skips (77) without
# /dev/net/tun or ip.

OFF_MAC=52:54:00:56:4f:01

case_qemu_args() {
	[ -c /dev/net/tun ] || skip "no /dev/net/tun: no tap with a vnet header"
	command -v ip >/dev/null || skip "no ip (package iproute2): cannot make the tap's namespace"
	OFF_TAP=vpmdoff$$
	OFF_NETNS=vpmd-off-$$
	CASE_QEMU+=(-M pc
		-netdev "tap,id=n0,ifname=$OFF_TAP,script=no,downscript=no,vhost=off"
		-device "virtio-net-pci,netdev=n0,disable-legacy=on,addr=3,mac=$OFF_MAC,romfile=")
}

# shellcheck disable=SC2154 # dir: guest_run.sh's run directory
case_host() {
	exec python3 "$PCI_DIR/lib/offload.py" --netns "$OFF_NETNS" --tap "$OFF_TAP" \
		--serial "$dir/serial.log" --mac "$OFF_MAC" --driver "$DRIVER" --timeout "$((CASE_TIMEOUT - 30))"
}

# testpmd's verbose csum engine: "port=0, mbuf=.., pkt_len=N, nb_segs=S:", then
# "rx: ... flags=..." and "tx: flags=...": one line a packet.
off_packets() {
	awk '
		function out() { if (len != "") print "len=" len, "segs=" segs, "rx=" rxf, "tx=" txf, tso }
		/^port=[0-9]+, mbuf=.*pkt_len=/ {
			out(); s = $0; sub(/.*pkt_len=/, "", s); len = s + 0
			s = $0; sub(/.*nb_segs=/, "", s); segs = s + 0; rxf = ""; txf = ""; tso = ""; next }
		/^rx: .*flags=/ { s = $0; sub(/.*flags=/, "", s); gsub(/RTE_MBUF_F_| +$/, "", s); gsub(/ /, ",", s); rxf = s; next }
		/^tx: flags=/ { s = $0; sub(/.*flags=/, "", s); gsub(/RTE_MBUF_F_| +$/, "", s); gsub(/ /, ",", s); txf = s; next }
		/tso_segsz=/ { s = $0; sub(/.*tso_segsz=/, "", s); tso = "tso_segsz=" (s + 0); next }
		END { out() }
	' "$TP_LOG"
}

case_guest() {
	local nics=() rx tx rxerr txerr n_none n_lro n_seg n_prep
	mapfile -t nics < <(virtio_nics)
	[ "${#nics[@]}" -eq 1 ] || fail "found ${#nics[@]} virtio-net functions, expected 1"
	load_kmod uio_pci_generic
	hugepages 256
	bind uio_pci_generic "${nics[0]}"
	# rx: TCP_CKSUM 0x8, TCP_LRO 0x10, SCATTER 0x2000 (not --enable-rx-cksum: it asks for
	# IPV4_CKSUM too, which virtio lacks); tx: TCP_CKSUM 0x8, TCP_TSO 0x20, MULTI_SEGS 0x8000.
	tp_start off "${nics[0]}" -- --huge-dir=/dev/hugepages -- \
		--total-num-mbufs=16384 --port-topology=loop --forward-mode=csum \
		--rx-offloads=0x2018 --tx-offloads=0x8028
	tp_wait_for 'testpmd> ' 60 || tp_fail "testpmd did not reach its prompt"
	grep -q '^Fail to start port\|Fail to configure port' "$TP_LOG" && tp_fail "testpmd could not start port 0"
	tp_send "port stop 0"
	tp_send "csum set ip sw 0"
	tp_send "csum set tcp hw 0"
	tp_send "tso set 1400 0"
	tp_send "port start 0"
	tp_send "show port info 0"
	tp_send "show port 0 rx_offload configuration"
	tp_send "show port 0 tx_offload configuration"
	tp_send "csum show 0"
	tp_send "set verbose 1"
	tp_send "start"
	tp_wait_for '^Tx Offloading Configuration' 30 || tp_fail "no tx offload configuration from testpmd"
	sleep 1
	grep -q 'the device lacks\|Fail to start port\|Fail to configure port' "$TP_LOG" &&
		tp_fail "the port did not start with the offloads"
	check_drivers 1
	for o in TCP_CKSUM TCP_LRO; do
		sed -n '/^Rx Offloading Configuration/,/^Tx Offloading/p' "$TP_LOG" | grep -qw "$o" ||
			tp_fail "rx offload $o not configured"
	done
	for o in TCP_CKSUM TCP_TSO; do
		sed -n '/^Tx Offloading Configuration/,$p' "$TP_LOG" | grep -qw "$o" ||
			tp_fail "tx offload $o not configured"
	done
	say "offloads: rx $(grep -A3 '^Rx Offloading Configuration' "$TP_LOG" | sed -n 's/^ *Port : *//p' | tail -1);" \
		"tx $(grep -A3 '^Tx Offloading Configuration' "$TP_LOG" | sed -n 's/^ *Port : *//p' | tail -1)"
	check_vctl 1
	say "OFFLOAD-READY"
	tp_wait_for 'type=0x88b5' 90 || tp_fail "no end marker from the host"
	sleep 1
	tp_send "show port stats 0"
	tp_send "show port xstats 0"
	tp_send "stop"
	tp_quit || tp_fail "testpmd exited with $?"
	[ "${VPMD_GUEST_VERBOSE:-0}" = 1 ] && tp_show_log 100000
	rx=$(tp_stat 0 RX-packets)
	tx=$(tp_stat 0 TX-packets)
	rxerr=$(tp_stat 0 RX-errors)
	txerr=$(tp_stat 0 TX-errors)
	# One line per packet the csum engine handled: length, segments, rx and tx flags.
	off_packets >/tmp/off.pkts
	sed 's/^/case: pkt: /' /tmp/off.pkts
	n_none=$(grep -c 'rx=.*RX_L4_CKSUM_NONE' /tmp/off.pkts)
	n_lro=$(grep -c 'rx=.*RX_LRO' /tmp/off.pkts)
	n_seg=$(grep -c 'tx=.*TX_TCP_SEG' /tmp/off.pkts)
	n_prep=$(grep -c 'Preparing packet burst to transmit failed' "$TP_LOG")
	say "offload port 0 (${nics[0]}): rx $rx tx $tx rx-errors $rxerr tx-errors $txerr;" \
		"RX_L4_CKSUM_NONE $n_none, RX_LRO $n_lro, TX_TCP_SEG $n_seg, tx_prepare refusals $n_prep"
	grep 'Preparing packet burst to transmit failed' "$TP_LOG" | sort | uniq -c | sed 's/^/case: testpmd: /'
	[ "$rxerr" -eq 0 ] || tp_fail "rx errors: $rxerr"
	[ "$txerr" -eq 0 ] || tp_fail "tx errors: $txerr"
	[ "$n_prep" -eq 0 ] || tp_fail "tx_prepare refused $n_prep bursts"
	# 16 small frames with NEEDS_CSUM, and the two GSO ones, each in one piece (LRO).
	[ "$n_none" -ge 18 ] || tp_fail "$n_none frames with RX_L4_CKSUM_NONE, want >= 18"
	[ "$n_lro" -ge 2 ] || tp_fail "$n_lro frames with RX_LRO, want 2"
	[ "$n_seg" -ge 2 ] || tp_fail "testpmd asked TSO of $n_seg frames, want 2"
	rm -rf /run/dpdk/off
}
