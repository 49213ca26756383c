#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Run one PCI test case in a QEMU guest (software emulation): the driver
# under test drives real virtio-net-pci devices there, through dpdk-testpmd.
#
# The guest is the cached image of guest_build.sh (built here when missing)
# plus a per-run archive appended to its initramfs, holding /case/run.sh,
# the case (cases/CASE.sh as /case/case.sh), the guest helpers (lib/guest.sh
# as /case/lib.sh), /case/env, and from the build dir the freshly built
# librte_net_vpmd.so and vctl. The guest's /init runs the case and prints
# "VPMD-GUEST-RESULT: ..." on the serial console, then exits QEMU with a
# code that says the same (see guest_init.sh).
#
# A case file defines, for the host: case_qemu_args (adds to CASE_QEMU and
# CASE_CMDLINE; hub_nics below helps) and optionally case_host (runs beside
# QEMU, must exec its program; its status joins the verdict); for the guest:
# case_guest.
#
# Usage: guest_run.sh CASE | FILE (a case file elsewhere, e.g. bench/guest_case.sh)
# Environment: VPMD_GUEST_DRIVER (net_vpmd, default, or net_virtio: DPDK's own),
#   VPMD_BUILD (build dir, default ./build), VPMD_GUEST_CACHE (image cache),
#   VPMD_GUEST_TIMEOUT (QEMU's bound, seconds, default 200), VPMD_GUEST_KEEP=1
#   (keep the temp dir), VPMD_GUEST_MIN_PKTS, VPMD_GUEST_FWD_SECONDS,
#   VPMD_GUEST_FRAMES, VPMD_GUEST_VERBOSE=1 (whole testpmd logs) (passed to the guest).
# Exit 0 pass, 1 fail, 77 skip (with the reason).
set -uo pipefail

PCI_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$PCI_DIR/../.." && pwd)
build=${VPMD_BUILD:-$top/build}
case_name=${1:-}
DRIVER=${VPMD_GUEST_DRIVER:-net_vpmd}
CASE_TIMEOUT=${VPMD_GUEST_TIMEOUT:-200}
pmd_so=$build/drivers/net/virtio_pmd/librte_net_vpmd.so
vctl=$build/app/vctl/vctl

say() { printf 'guest_run(%s,%s): %s\n' "$case_name" "$DRIVER" "$*"; }
skip() { say "SKIP: $*"; exit 77; }

# A case by name (cases/CASE.sh), or a case file of another part (bench/).
case $case_name in
*/*) case_file=$case_name; case_name=$(basename "$case_name" .sh) ;;
*) case_file=$PCI_DIR/cases/$case_name.sh ;;
esac
[ -n "$case_name" ] && [ -f "$case_file" ] || {
	echo "usage: guest_run.sh CASE|FILE   (CASE: $(cd "$PCI_DIR/cases" && ls -- *.sh | sed 's/\.sh$//' | tr '\n' ' '))" >&2
	exit 1
}
[ "$(id -u)" -eq 0 ] || skip "needs root (the guest image is built as root, under /var/cache)"
command -v qemu-system-x86_64 >/dev/null || skip "no qemu-system-x86_64 (package qemu-system-x86)"
case $DRIVER in
net_vpmd) [ -f "$pmd_so" ] || { say "FAIL: $pmd_so not built"; exit 1; } ;;
net_virtio) ;;
*) say "FAIL: VPMD_GUEST_DRIVER=$DRIVER: net_vpmd or net_virtio"; exit 1 ;;
esac

if ! image=$("$PCI_DIR/guest_build.sh" --check); then
	say "no guest image: building it (once, a few minutes)"
	image=$("$PCI_DIR/guest_build.sh") || skip "no guest image, and guest_build.sh could not build it"
fi

dir=$(mktemp -d "/tmp/vpmd-pci-$case_name.XXXXXX")
QEMU_PID=
HOST_PID=
cleanup() {
	local pid
	# QEMU_PID is timeout(1)'s: it passes TERM on to QEMU, and KILLs it 5 s
	# later if need be. HOST_PID is the case's host program (exec'd).
	for pid in $QEMU_PID $HOST_PID; do
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ "${VPMD_GUEST_KEEP:-0}" = 1 ]; then
		say "kept $dir"
	else
		rm -rf "$dir"
	fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# N NICs on hub 0, at 00:03.0, 00:04.0, ... with PROPS added to each; no
# option ROM (iPXE only slows the boot).
hub_nics() {
	local n=$1 props=${2:-} i
	for ((i = 0; i < n; i++)); do
		CASE_QEMU+=(-netdev "hubport,id=n$i,hubid=0"
			-device "virtio-net-pci,netdev=n$i,addr=$((3 + i)),mac=52:54:00:56:00:0$i,romfile=${props:+,$props}")
	done
}

# N free UDP ports on 127.0.0.1, for a socket netdev and the host side
# that talks to it (the kernel picks them; the sockets close right after).
udp_ports() {
	python3 -c '
import socket, sys
s = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(int(sys.argv[1]))]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])' "$1"
}

CASE_QEMU=()
CASE_CMDLINE=
# shellcheck source=/dev/null
. "$case_file"
case_qemu_args

# The per-run archive: its entries are init and case/..., so the root's own
# mode is left as the image has it.
stage=$dir/stage/case
mkdir -p "$stage/lib" "$stage/bin"
install -m 0755 /dev/stdin "$stage/run.sh" <<'EOF'
#!/bin/bash
. /case/lib.sh
. /case/case.sh
case_guest
EOF
install -m 0644 "$PCI_DIR/lib/guest.sh" "$stage/lib.sh"
install -m 0644 "$case_file" "$stage/case.sh"
{
	printf 'VPMD_GUEST_DRIVER=%q\n' "$DRIVER"
	# The guest's knobs: VPMD_GUEST_* (the cases') and VPMD_BENCH_* (bench/guest.sh's).
	for v in $(compgen -v | grep -E '^VPMD_(GUEST|BENCH)_' | grep -v '^VPMD_GUEST_DRIVER$'); do
		printf '%s=%q\n' "$v" "${!v}"
	done
} >"$stage/env"
[ -f "$pmd_so" ] && install -m 0755 "$pmd_so" "$stage/lib/"
[ -x "$vctl" ] && install -m 0755 "$vctl" "$stage/bin/"
# A sanitized build (test/sanitize/): the driver and vctl need ASan's and
# UBSan's runtimes, and testpmd must preload ASan's. The guest runs the
# same Debian 12 as the host, so the host's libraries serve. A report
# aborts testpmd (or fails its exit code, for a leak): the case fails.
if [ -f "$pmd_so" ] && readelf -d "$pmd_so" 2>/dev/null | grep -q 'NEEDED.*libasan'; then
	for lib in libasan.so.8 libubsan.so.1; do
		install -m 0755 "$(readlink -f "$(gcc -print-file-name=$lib)")" "$stage/lib/$lib" ||
			{ say "FAIL: no $lib to stage for the sanitized driver"; exit 1; }
	done
	install -m 0755 "$top/test/sanitize/bin/dpdk-testpmd" "$stage/bin/dpdk-testpmd"
	install -m 0644 "$top/test/sanitize/lsan.supp" "$stage/lsan.supp"
	cat >>"$stage/env" <<'ENV'
export PATH=/case/bin:$PATH LD_LIBRARY_PATH=/case/lib VPMD_ASAN_RUNTIME=/case/lib/libasan.so.8
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1:detect_stack_use_after_return=0
export LSAN_OPTIONS=suppressions=/case/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ENV
	say "sanitized driver: ASan and UBSan runtimes staged in the guest"
fi
# The guest's way to set QEMU's exit code. Without a compiler the verdict
# still comes from the serial log, and QEMU's exit code is not checked.
debug_exit=0
if cc -O2 -Wall -o "$stage/bin/vpmd-debug-exit" "$PCI_DIR/lib/debug_exit.c" 2>"$dir/cc.log"; then
	debug_exit=1
else
	say "no vpmd-debug-exit ($(head -1 "$dir/cc.log")): QEMU's exit code not checked"
fi
# The current /init too: a change to guest_init.sh needs no image rebuild.
install -m 0755 "$PCI_DIR/guest_init.sh" "$dir/stage/init"
(cd "$dir/stage" && find init case | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -1 >"$dir/case.cpio.gz" || { say "FAIL: cannot pack the case archive"; exit 1; }
# Linux unpacks concatenated archives in order: the case lands on the image.
cat "$image/base.cpio.gz" "$dir/case.cpio.gz" >"$dir/initrd.gz"

cmdline="console=ttyS0 quiet panic=1 vpmd.case=$case_name vpmd.timeout=$((CASE_TIMEOUT - 30))$CASE_CMDLINE"
# -cpu max: DPDK needs SSE4.2 at least, which the default qemu64 lacks.
# shellcheck disable=SC2054 # QEMU's own commas
qemu=(qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 2048 -nographic -nodefaults -no-reboot
	-monitor none -serial "file:$dir/serial.log"
	-kernel "$image/vmlinuz" -initrd "$dir/initrd.gz" -append "$cmdline"
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 "${CASE_QEMU[@]}")
printf '%q ' "${qemu[@]}" >"$dir/qemu.cmd"
start=$(date +%s)
timeout -k 5 "$CASE_TIMEOUT" "${qemu[@]}" </dev/null >"$dir/qemu.out" 2>&1 &
QEMU_PID=$!
if declare -F case_host >/dev/null; then
	case_host >"$dir/host.log" 2>&1 &
	HOST_PID=$!
fi
wait "$QEMU_PID"
qrc=$?
QEMU_PID=
elapsed=$(($(date +%s) - start))

host_rc=0
if [ -n "$HOST_PID" ]; then
	# The host side ends with the guest's traffic; a few seconds of grace.
	for ((i = 0; i < 100; i++)); do kill -0 "$HOST_PID" 2>/dev/null || break; sleep 0.1; done
	kill -TERM "$HOST_PID" 2>/dev/null
	wait "$HOST_PID"
	host_rc=$?
	HOST_PID=
fi

# The console's escape sequences may precede a marker on its line.
result=$(tr -d '\r' <"$dir/serial.log" | sed -n 's/.*VPMD-GUEST-RESULT: //p' | tail -1)
boot=$(tr -d '\r' <"$dir/serial.log" | sed -n 's/.*VPMD-GUEST-START: .* at \([0-9.]*\) s.*/\1/p' | tail -1)
# Without the exit helper, QEMU exits 0 after the guest powers off.
if [ "$debug_exit" = 0 ] && [ "$qrc" = 0 ]; then
	case $result in PASS*) qrc=3 ;; SKIP*) qrc=7 ;; ?*) qrc=5 ;; esac
fi

show_logs() {
	echo "--- QEMU: $(cat "$dir/qemu.cmd")"
	sed 's/^/qemu: /' "$dir/qemu.out" | tail -20
	if grep -q 'VPMD-GUEST-START' "$dir/serial.log" 2>/dev/null; then
		echo "--- serial console, from the case's start (last 150 lines)"
		tr -d '\r' <"$dir/serial.log" | sed -n '/VPMD-GUEST-START/,$p' | tail -150
	else
		echo "--- serial console (last 60 lines)"
		tr -d '\r' <"$dir/serial.log" 2>/dev/null | tail -60
	fi
	if [ -f "$dir/host.log" ]; then
		echo "--- host side"
		cat "$dir/host.log"
	fi
	echo "---"
}

timing="${elapsed} s (guest userspace at ${boot:-?} s)"
[ -f "$dir/host.log" ] && sed 's/^/host: /' "$dir/host.log"
case "$qrc:$result" in
3:PASS)
	if [ "$host_rc" -ne 0 ]; then
		show_logs
		say "FAIL: the host side failed ($host_rc) in $timing"
		exit 1
	fi
	tr -d '\r' <"$dir/serial.log" |
		grep '^\(case: .*\(port\|driver names\|vctl\|features\)\|vctl: \|bench: \)' |
		sed 's/^/guest: /'
	say "PASS in $timing"
	exit 0
	;;
7:SKIP*)
	say "SKIP: in the guest: ${result#SKIP }"
	exit 77
	;;
esac
show_logs
case $qrc in
124 | 137) why="QEMU timed out after $CASE_TIMEOUT s" ;;
*) why="QEMU exited with $qrc" ;;
esac
say "FAIL: ${result:-no result line}; $why, in $timing"
exit 1
