#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Set up, build and run the main job.
#
# Until the net_vpmd PMD exists (issue 3), the main job is the virtio core
# of lib/ against DPDK's real vhost-user backend: a program with no DPDK in
# it brings up a device over our vhost-user frontend, with split and then
# packed rings, against net_vhost in dpdk-testpmd (io forwarding), checks
# that thousands of frames come back byte for byte, and prints the device
# and its queues as JSON.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${VPMD_BUILD:-$top/build}

bash "$top/scripts/setup.sh"
for layout in split packed; do
	echo "== $layout rings through DPDK's net_vhost"
	"$build/test/vhost_user/test_vu_testpmd" "$layout" --show
done
