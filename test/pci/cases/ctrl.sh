# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034,SC2054,SC2154 # QEMU args have commas; dir, PCI_DIR, CASE_TIMEOUT are guest_run.sh's
#
# ctrl: the control queue against QEMU's device, by behaviour; link state; MTU.
# One NIC (host_mtu=4000) whose backend is a UDP socket on 127.0.0.1, and
# QEMU's QMP on a unix socket in the run's temp dir. The guest runs
# dpdk-testpmd io forwarding on that one port (--port-topology=loop): a
# frame the device lets through comes back to the host, one it filters does
# not. On PCI QEMU filters (receive_filter() of virtio-net), the driver
# drops nothing itself.
#
# Each step: the guest sets the port up with testpmd commands, then prints
# "VPMD-CTRL-SEND: STEP NAME COUNT KIND=pass|drop..." on the console; the
# host (lib/ctrl.py) sends COUNT frames of each kind and a sentinel, and
# checks by what comes back that each kind passed or was dropped. The guest
# checks the same from its side: RX-packets and rx_q0_chains_used (the
# device's used chains: a frame dropped by the device never uses one) move
# by exactly the frames that must pass, plus the sentinel.
# Then the link: the guest asks (VPMD-CTRL-LINK) for QMP set_link off, then
# on; each must raise an LSC event in testpmd and show in "show port info".
# The MTU: the device's (host_mtu=4000) is the port's at probe, and the
# most it takes afterwards.

CTRL_COUNT=8
CTRL_MTU=4000

case_qemu_args() {
	local ports
	ports=$(udp_ports 2)
	read -r CTRL_HOST CTRL_QEMU <<<"$ports"
	CTRL_QMP=$dir/qmp.sock
	CASE_QEMU+=(-M pc -qmp "unix:$CTRL_QMP,server=on,wait=off"
		-netdev "socket,id=n0,udp=127.0.0.1:$CTRL_HOST,localaddr=127.0.0.1:$CTRL_QEMU"
		-device "virtio-net-pci,id=nic0,netdev=n0,addr=3,mac=52:54:00:56:50:01,host_mtu=$CTRL_MTU,romfile=")
}

# Runs on the host, beside QEMU; its status joins the guest's verdict.
case_host() {
	python3 "$PCI_DIR/lib/ctrl.py" --listen "127.0.0.1:$CTRL_HOST" \
		--to "127.0.0.1:$CTRL_QEMU" --serial "$dir/serial.log" --qmp "$CTRL_QMP" \
		--netdev n0 --nic nic0 --timeout "$((CASE_TIMEOUT - 30))"
}

CTRL_STEP=0
CTRL_RX=0
CTRL_USED=0

# The port's counters now: RX-packets and, with XSTATS=1, the device's used
# rx chains. The stats come after any command sent before: those are done.
ctrl_counters() {
	[ "${1:-0}" = 1 ] && tp_send "show port xstats 0"
	tp_cmd_wait "show port stats 0" '^ *#+ *$' || tp_fail "testpmd did not show its stats"
	CTRL_RX=$(tp_stat 0 RX-packets)
	[ "${1:-0}" = 1 ] && CTRL_USED=$(tp_xstat 0 rx_q0_chains_used)
	return 0
}

# ctrl_step NAME KIND=pass|drop...: the host sends COUNT frames of each
# KIND and a sentinel; both sides check what passed.
ctrl_step() {
	local name=$1 spec npass rx0 used0 want t0 t1
	shift
	t0=$(cut -d' ' -f1 /proc/uptime)
	spec="$*"
	npass=$(printf '%s\n' "$@" | grep -c '=pass$')
	want=$((npass * CTRL_COUNT + 1))
	ctrl_counters 1
	rx0=$CTRL_RX used0=$CTRL_USED
	CTRL_STEP=$((CTRL_STEP + 1))
	say "VPMD-CTRL-SEND: $CTRL_STEP $name $CTRL_COUNT $spec"
	# At most 15 s (SECONDS counts whole seconds: 16).
	t1=$SECONDS
	while [ $((SECONDS - t1)) -le 15 ]; do
		sleep 0.1
		ctrl_counters
		[ $((CTRL_RX - rx0)) -ge "$want" ] && break
	done
	# The sentinel was sent last: anything else would be in by now.
	sleep 0.3
	ctrl_counters 1
	say "step $CTRL_STEP $name: port 0 rx +$((CTRL_RX - rx0)), rx_q0_chains_used +$((CTRL_USED - used0)), want +$want ($spec), from $t0 s to $(cut -d' ' -f1 /proc/uptime) s"
	[ $((CTRL_RX - rx0)) -eq "$want" ] ||
		tp_fail "step $name: port 0 received $((CTRL_RX - rx0)) frames, expected $want ($spec)"
	# DPDK's net_virtio has no such counter.
	[ "$DRIVER" != net_vpmd ] || [ $((CTRL_USED - used0)) -eq "$want" ] ||
		tp_fail "step $name: the device used $((CTRL_USED - used0)) rx chains, expected $want"
}

# ctrl_link off|on: QMP set_link by the host; an LSC event and the link in show port info.
ctrl_link() {
	local want=$1 events i status
	[ "$want" = off ] && status=down || status=up
	events=$(grep -c 'link state change event' "$TP_LOG")
	CTRL_STEP=$((CTRL_STEP + 1))
	say "VPMD-CTRL-LINK: $CTRL_STEP $want"
	for ((i = 0; i < 150; i++)); do
		[ "$(grep -c 'link state change event' "$TP_LOG")" -gt "$events" ] && break
		sleep 0.1
	done
	[ "$i" -lt 150 ] || tp_fail "link $want: no link state change event in 15 s"
	tp_cmd_wait "show port info 0" '^Link status:' || tp_fail "testpmd did not show port info"
	say "link $want: port 0 got an LSC event, Link status: $(tp_port_info 0 'Link status')"
	[ "$(tp_port_info 0 'Link status')" = "$status" ] ||
		tp_fail "link $want: show port info says '$(tp_port_info 0 'Link status')', expected $status"
}

case_guest() {
	local nics=() mtu listed fails
	mapfile -t nics < <(virtio_nics)
	[ "${#nics[@]}" -eq 1 ] || fail "found ${#nics[@]} virtio-net functions, expected 1"
	load_kmod uio_pci_generic
	hugepages 256
	bind uio_pci_generic "${nics[0]}"
	# The port as probed: not configured yet (rte_eth_dev_configure sets the
	# MTU testpmd asks for, RTE_ETHER_MTU by default).
	tp_start ctrl "${nics[0]}" -- --huge-dir=/dev/hugepages -- \
		--total-num-mbufs=8192 --forward-mode=io --port-topology=loop --disable-device-start
	tp_wait_for 'testpmd> ' 60 || tp_fail "testpmd did not reach its prompt"
	tp_cmd_wait "show port info 0" '^Link status:' || tp_fail "testpmd did not show port info"
	check_drivers 1
	mtu=$(tp_port_info 0 MTU)
	say "port 0: MTU $mtu at probe (the device's host_mtu $CTRL_MTU), at $(cut -d' ' -f1 /proc/uptime) s"
	[ "$mtu" = "$CTRL_MTU" ] || tp_fail "port 0: MTU $mtu at probe, expected the device's $CTRL_MTU"
	tp_cmd_wait "port start 0" '^Done' 30 || tp_fail "port start 0 did not finish"
	# Configured, the port took testpmd's MTU (1500); the device's is its
	# maximum (ethdev checks max_mtu): one byte more is refused, its own taken.
	fails=$(grep -cE 'Set MTU failed|> device max MTU' "$TP_LOG")
	tp_send "port config mtu 0 $((CTRL_MTU + 1))"
	tp_cmd_wait "show port info 0" '^Link status:' || tp_fail "testpmd did not show port info"
	[ "$(grep -cE 'Set MTU failed|> device max MTU' "$TP_LOG")" -gt "$fails" ] ||
		tp_fail "port 0 took MTU $((CTRL_MTU + 1)), above the device's $CTRL_MTU"
	tp_send "port config mtu 0 $CTRL_MTU"
	tp_cmd_wait "show port info 0" '^Link status:' || tp_fail "testpmd did not show port info"
	mtu=$(tp_port_info 0 MTU)
	say "port 0: MTU $((CTRL_MTU + 1)) refused; MTU $CTRL_MTU asked: show port info says $mtu"
	# DPDK's net_virtio refuses an MTU its rx buffers (2 KB mbufs, no scatter) cannot take.
	[ "$mtu" = "$CTRL_MTU" ] || [ "$DRIVER" = net_virtio ] ||
		tp_fail "port 0: MTU $mtu after setting the device's $CTRL_MTU"
	tp_send "start"
	say "port 0 started at $(cut -d' ' -f1 /proc/uptime) s"
	check_vctl 1

	# testpmd starts promiscuous: the device delivers everything.
	ctrl_step promisc-on own=pass foreign=pass bcast=pass mcA=pass vlan200=pass
	tp_send "set promisc 0 off"
	# Tagged frames too: with CTRL_VLAN negotiated QEMU's VLAN table starts empty
	# and applies whenever not promiscuous; untagged frames are not looked at.
	ctrl_step promisc-off own=pass foreign=drop bcast=pass mcA=drop extra=drop vlan100=drop
	tp_send "set allmulti 0 on"
	ctrl_step allmulti-on mcA=pass mcB=pass foreign=drop own=pass
	# allmulti off again, and one group listed: only that one. DPDK's
	# net_virtio has no set_mc_addr_list (testpmd says so): nothing listed.
	listed=pass
	[ "$DRIVER" = net_virtio ] && listed=drop
	tp_send "set allmulti 0 off"
	tp_send "mcast_addr add 0 01:00:5e:01:02:03"
	ctrl_step mc-list mcA=$listed mcB=drop foreign=drop bcast=pass
	# The group removed, an extra unicast address: each takes one MAC_TABLE_SET.
	tp_send "mcast_addr remove 0 01:00:5e:01:02:03"
	tp_send "mac_addr add 0 02:11:22:33:44:55"
	ctrl_step mc-del-mac-add mcA=drop mcB=drop extra=pass foreign=drop own=pass
	tp_send "mac_addr remove 0 02:11:22:33:44:55"
	tp_send "vlan set filter on 0"
	tp_send "rx_vlan add 100 0"
	ctrl_step mac-del-vlan-100 extra=drop vlan100=pass vlan200=drop own=pass
	tp_send "rx_vlan rm 100 0"
	ctrl_step vlan-del vlan100=drop own=pass

	ctrl_link off
	ctrl_link on
	# Frames flow after the link came back; promiscuous again: everything passes.
	tp_send "set promisc 0 on"
	ctrl_step promisc-on-again foreign=pass mcB=pass vlan200=pass own=pass

	say "VPMD-CTRL-DONE"
	tp_send "stop"
	tp_quit || tp_fail "testpmd exited with $?"
	[ "${VPMD_GUEST_VERBOSE:-0}" = 1 ] && tp_show_log 100000
	rm -rf /run/dpdk/ctrl
}
