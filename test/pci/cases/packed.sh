# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034,SC2054 # WANT_* are read by lib/guest.sh; QEMU args have commas
#
# packed: a modern device offering VIRTIO_F_RING_PACKED, driven with packed rings (net_vpmd: devarg packed_vq=1)
# Two virtio-net-pci NICs (disable-legacy=on,packed=on) on one QEMU hub,
# uio_pci_generic and 256 x 2 MB hugepages in the guest; dpdk-testpmd io
# forwarding seeded with tx_first. Passes when every port is driven by the
# driver under test and each port received and sent > MIN_PKTS frames.
#
# Host side (guest_run.sh): case_qemu_args. Guest side (/case/run.sh): case_guest.

case_qemu_args() {
	CASE_QEMU+=(-M pc)
	hub_nics 2 "disable-legacy=on,packed=on"
}

# VIRTIO_F_VERSION_1 (32) and VIRTIO_F_RING_PACKED (34) negotiated.
WANT_FEATURES="+32 +34"
WANT_LAYOUT="packed"

case_guest() {
	fwd_case_uio "packed_vq=1"
}
