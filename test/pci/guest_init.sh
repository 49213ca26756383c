#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# /init of the PCI test guest. guest_build.sh bakes it into the image and
# guest_run.sh ships the current one in every per-run archive, which Linux
# unpacks over the image: a change here needs no rebuild. It prepares the mounts, runs
# /case/run.sh from the per-run archive guest_run.sh appends, prints one
# result line on the serial console and leaves QEMU through isa-debug-exit:
#
#   VPMD-GUEST-RESULT: PASS | FAIL <why> | SKIP <why>
#
# Exit codes seen by the host: writing V to port 0xf4 makes QEMU exit with
# (V << 1) | 1, so PASS = 3, FAIL = 5, SKIP = 7. Anything else (0 from a
# power-off, 124 from the host's timeout) means the guest gave no verdict.
#
# Kernel command line: vpmd.case=NAME (informational), vpmd.timeout=SECONDS
# (bound on /case/run.sh, default 150).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# devtmpfs has no /dev/fd: bash's process substitution needs it.
ln -sfn /proc/self/fd /dev/fd
ln -sfn /proc/self/fd/0 /dev/stdin
ln -sfn /proc/self/fd/1 /dev/stdout
ln -sfn /proc/self/fd/2 /dev/stderr
mkdir -p /dev/pts /dev/shm /dev/hugepages /run /tmp
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t hugetlbfs nodev /dev/hugepages
ln -sfn /run /var/run 2>/dev/null
exec </dev/console >/dev/console 2>&1

cmdline_arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -1; }

# Never returns: the verdict on the console, then QEMU's exit.
finish() {
	local verdict=$1 code
	case $verdict in
	PASS*) code=1 ;;
	SKIP*) code=3 ;;
	*) code=2 ;;
	esac
	echo "VPMD-GUEST-RESULT: $verdict"
	sync
	# Debian's cloud kernel has no /dev/port: a tiny outb helper
	# (lib/debug_exit.c) comes with the per-run archive.
	[ -x /case/bin/vpmd-debug-exit ] && /case/bin/vpmd-debug-exit $code
	# No debug-exit device: power off, the host reads the line.
	echo o >/proc/sysrq-trigger
	sleep 10
}

case_name=$(cmdline_arg vpmd.case)
limit=$(cmdline_arg vpmd.timeout)
echo "VPMD-GUEST-START: case ${case_name:-?} at $(cut -d' ' -f1 /proc/uptime) s," \
	"kernel $(uname -r), $(nproc) cpus"

[ -x /case/run.sh ] || finish "FAIL no /case/run.sh (the per-run archive is missing)"
rm -f /tmp/vpmd-why
(cd /case && exec timeout -k 5 "${limit:-150}" ./run.sh)
rc=$?
why=$(tail -1 /tmp/vpmd-why 2>/dev/null)
case $rc in
0) finish PASS ;;
77) finish "SKIP ${why:-the case skipped}" ;;
124 | 137) finish "FAIL the case timed out after ${limit:-150} s" ;;
*) finish "FAIL ${why:-/case/run.sh exited with $rc}" ;;
esac
