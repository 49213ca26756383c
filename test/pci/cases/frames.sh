# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034,SC2054 # WANT_* are read by lib/guest.sh; QEMU args have commas
#
# frames: data integrity through the driver. One NIC whose backend is a UDP
# socket on 127.0.0.1 (QEMU carries each frame as one datagram); the guest
# runs dpdk-testpmd io forwarding on that single port (--port-topology=loop)
# and the host (lib/frames.py) sends FRAMES numbered frames of 60..1514
# bytes, each with its length and a CRC32 in the payload, and checks that
# every one comes back unchanged: count, bytes, content. The guest checks
# the driver name and that its counters saw them all.

FRAMES=${VPMD_GUEST_FRAMES:-2000}

case_qemu_args() {
	local ports
	ports=$(udp_ports 2)
	read -r FRAMES_HOST FRAMES_QEMU <<<"$ports"
	CASE_QEMU+=(-M pc
		-netdev "socket,id=n0,udp=127.0.0.1:$FRAMES_HOST,localaddr=127.0.0.1:$FRAMES_QEMU"
		-device "virtio-net-pci,netdev=n0,addr=3,mac=52:54:00:56:50:01,romfile=")
	CASE_ENV+=("FRAMES=$FRAMES")
}

# Runs on the host, beside QEMU; its status joins the guest's verdict.
case_host() {
	python3 "$PCI_DIR/lib/frames.py" --listen "127.0.0.1:$FRAMES_HOST" \
		--to "127.0.0.1:$FRAMES_QEMU" --count "$FRAMES" --timeout "$((CASE_TIMEOUT - 30))"
}

case_guest() {
	local nics=() rx last=-1 stable=0 i tx
	mapfile -t nics < <(virtio_nics)
	[ "${#nics[@]}" -eq 1 ] || fail "found ${#nics[@]} virtio-net functions, expected 1"
	load_kmod uio_pci_generic
	hugepages 256
	bind uio_pci_generic "${nics[0]}"
	tp_start frames "${nics[0]}" -- --huge-dir=/dev/hugepages -- \
		--total-num-mbufs=16384 --forward-mode=io --port-topology=loop
	tp_wait_for 'testpmd> ' 60 || tp_fail "testpmd did not reach its prompt"
	tp_send "show port info all"
	tp_send "start"
	# Forward until the host's frames have all passed and the counters rest.
	for ((i = 0; i < 120; i++)); do
		sleep 1
		tp_send "show port stats 0"
		sleep 0.2
		rx=$(tp_stat 0 RX-packets)
		if [ "$rx" -ge "$FRAMES" ] && [ "$rx" -eq "$last" ]; then
			stable=$((stable + 1))
			[ $stable -ge 3 ] && break
		else
			stable=0
		fi
		last=$rx
		[ "$i" -eq 0 ] && check_vctl 1
	done
	tp_send "stop"
	tp_quit || tp_fail "testpmd exited with $?"
	check_drivers 1
	rx=$(tp_stat 0 RX-packets)
	tx=$(tp_stat 0 TX-packets)
	say "frames port 0: rx $rx tx $tx (host sent $FRAMES and probes)"
	[ "$rx" -ge "$FRAMES" ] || tp_fail "received $rx frames, expected >= $FRAMES"
	[ "$tx" -ge "$FRAMES" ] || tp_fail "sent back $tx frames, expected >= $FRAMES"
}
