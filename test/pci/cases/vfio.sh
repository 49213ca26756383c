# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034,SC2054 # WANT_* are read by lib/guest.sh; QEMU args have commas
#
# vfio: the driver under vfio-pci behind a (virtual) IOMMU. Debian's kernels
# have no VFIO no-IOMMU mode, so QEMU provides an Intel IOMMU on q35 and the
# NICs (modern only) translate their DMA through it (iommu_platform=on); the
# guest boots with intel_iommu=on. Two io-forwarding runs in one boot, on
# the same bound devices: with hugepages, then --no-huge -m 512 (IOVA as VA,
# which only an IOMMU allows). Proves the driver's DMA addresses are IOVAs
# and that it works without physically contiguous memory.

case_qemu_args() {
	# The IOMMU must come before the devices it translates for. Under ASan
	# every address below 2^44 is shadow, so EAL's memory lands above the
	# default 39-bit IOMMU width and EAL refuses it (DMA mask): a sanitized
	# run asks for the 48 bits server IOMMUs have.
	local iommu=intel-iommu,intremap=on
	[ -n "${VPMD_SANITIZE:-}" ] && iommu+=",aw-bits=48"
	CASE_QEMU+=(-M q35 -device "$iommu")
	hub_nics 2 "disable-legacy=on,iommu_platform=on"
	CASE_CMDLINE+=" intel_iommu=on"
}

# VIRTIO_F_VERSION_1 (32) and VIRTIO_F_ACCESS_PLATFORM (33): DMA through the IOMMU.
WANT_FEATURES="+32 +33"

case_guest() {
	local nics=() groups
	mapfile -t nics < <(virtio_nics)
	[ "${#nics[@]}" -eq 2 ] || fail "found ${#nics[@]} virtio-net functions, expected 2"
	groups=$(find /sys/kernel/iommu_groups -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	[ "$groups" -gt 0 ] || fail "no IOMMU groups: the guest IOMMU is not on"
	say "$groups IOMMU groups"
	load_kmod vfio-pci
	hugepages 256
	bind vfio-pci "${nics[@]}"
	fwd_run fwd_huge "" --huge-dir=/dev/hugepages
	fwd_run fwd_nohuge "" --no-huge -m 512
}
