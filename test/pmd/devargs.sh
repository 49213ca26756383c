#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Bad devargs: each must fail the probe with one log line that names the
# offending key, and a good set must probe. No backend needed: probe does
# not touch the socket. Then a hostile table: empty values, huge values,
# a key given twice, numbers out of range or not plain decimal, unknown
# and malformed keys; none may crash testpmd, each is refused naming its
# key.
#
# Last, a `path` that is not a socket (a regular file, a directory, a
# dangling symlink) in client and server mode: the probe takes it (it does
# not look at the socket), the port start fails naming the path and why,
# and whatever sat at `path` is still there after the port's close and
# testpmd's exit: same type, same inode, same content or link target.
#
# Usage: devargs.sh PMD_SO. Exit 0 pass, 1 fail, 77 skip.
set -uo pipefail

pmd_so=$1
command -v dpdk-testpmd >/dev/null || { echo "SKIP: dpdk-testpmd not installed"; exit 77; }
dir=$(mktemp -d /tmp/vpmd-devargs.XXXXXX)
prefix=vpmd-devargs-$$
trap 'rm -rf "$dir" "/var/run/dpdk/$prefix"' EXIT
failures=0

# probe ARGS [COMMANDS]: runs testpmd with net_vpmd0,ARGS, feeds it
# COMMANDS (default: quit); log in $dir/log, exit status in $rc. testpmd
# starts its ports before reading its first command.
probe() {
	# -d by name: EAL refuses a path below a world-writable directory such as /tmp.
	printf '%b' "${2:-quit\n}" | LD_LIBRARY_PATH="$(dirname "$pmd_so")" timeout 60 dpdk-testpmd \
		-l 0,1 --no-huge -m 256 --no-pci --file-prefix="$prefix" -d "$(basename "$pmd_so")" \
		--vdev "net_vpmd0,$1" --log-level="pmd.net.vpmd.*:info" \
		-- -i --no-mlockall --total-num-mbufs=2048 >"$dir/log" 2>&1
	rc=$?
}

# A crash or a hang is a failure whatever the case expects: a refused
# probe ends EAL's init with status 1 (or testpmd's own exit code), a
# signal gives 128+N, timeout 124.
crashed() {
	if [ "$rc" -ge 124 ] || grep -qE "Segmentation fault|Aborted|AddressSanitizer|core dumped" "$dir/log"; then
		echo "FAIL: '$(short "$1")' crashed or hung (status $rc):"; tail -5 "$dir/log"
		failures=$((failures + 1))
		return 0
	fi
	return 1
}

# Long arguments shown shortened.
short() { local s=$1; [ ${#s} -gt 100 ] && s="${s:0:60}...(${#1} chars)"; printf '%s' "$s"; }

# expect_refused ARGS PATTERN: the probe fails, and one net_vpmd error line matches PATTERN.
expect_refused() {
	probe "$1"
	crashed "$1" && return
	if grep -q "net_vpmd0: vhost-user \(client\|server\) " "$dir/log"; then
		echo "FAIL: '$(short "$1")' was accepted"; failures=$((failures + 1)); return
	fi
	local lines
	lines=$(grep -c "net_vpmd: .*net_vpmd0: " "$dir/log")
	if ! grep -q -- "$2" "$dir/log" || [ "$lines" -ne 1 ]; then
		echo "FAIL: '$(short "$1")': expected one line matching '$(short "$2")', got:"
		grep "net_vpmd" "$dir/log" | cut -c1-200; failures=$((failures + 1)); return
	fi
	echo "ok: '$(short "$1")' -> $(grep "net_vpmd: " "$dir/log" | cut -c1-160)"
}

sock=$dir/none.sock
expect_refused "path=$sock,bogus=1" "unknown devarg 'bogus'"
expect_refused "server=0" "devarg 'path' (the vhost-user socket) is required"
expect_refused "path=$sock,queues=0" "invalid devarg queues=0"
expect_refused "path=$sock,queues=abc" "invalid devarg queues=abc"
expect_refused "path=$sock,queue_size=100" "queue_size=100: split rings need a power of two"
expect_refused "path=$sock,queue_size=65536" "invalid devarg queue_size=65536"
expect_refused "path=$sock,packed_vq=2" "invalid devarg packed_vq=2"
expect_refused "path=$sock,server=yes" "invalid devarg server=yes"
expect_refused "path=$sock,mac=01:00:00:00:00:01" "invalid devarg mac=01:00:00:00:00:01"
expect_refused "path=$sock,mac=zz" "invalid devarg mac=zz"
expect_refused "path=$sock,mtu=20" "invalid devarg mtu=20"
expect_refused "path=$sock,speed=-1" "invalid devarg speed=-1"
expect_refused "path=$sock,ctrl_vq=on" "invalid devarg ctrl_vq=on"
expect_refused "path=" "invalid devarg path="

# --- The hostile table.
# Empty values, and a key with no '=' at all (kvargs gives it no value).
for key in server queues queue_size packed_vq mrg_rxbuf in_order event_idx mac mtu speed ctrl_vq; do
	expect_refused "path=$sock,$key=" "invalid devarg $key=\$"
done
expect_refused "path=$sock,queues" "invalid devarg queues=\$"
expect_refused "path" "invalid devarg path=\$"

# Huge values: a 5000-byte path (a socket path holds 107), one byte over
# the limit, and numbers of 30 digits (beyond unsigned long).
long=$dir/$(printf 'p%.0s' $(seq 5000))
expect_refused "path=$long" "invalid devarg path=$dir/ppp"
over=$dir/$(printf 'q%.0s' $(seq $((108 - ${#dir} - 1))))
expect_refused "path=$over" "invalid devarg path=$over\$"
big=123456789012345678901234567890
for key in queues queue_size mtu speed; do
	expect_refused "path=$sock,$key=$big" "invalid devarg $key=$big"
done

# A key given twice: the last would silently win (another socket, other
# queues); refused, even with the same value.
expect_refused "path=$sock,path=$dir/other.sock" "devarg 'path' given twice"
expect_refused "path=$sock,queues=2,queues=2" "devarg 'queues' given twice"
expect_refused "path=$sock,server=1,mtu=1500,server=0" "devarg 'server' given twice"

# Out of range, each bound.
expect_refused "path=$sock,queues=129" "invalid devarg queues=129"
expect_refused "path=$sock,queues=65536" "invalid devarg queues=65536"
expect_refused "path=$sock,queue_size=63" "invalid devarg queue_size=63"
expect_refused "path=$sock,queue_size=0" "invalid devarg queue_size=0"
expect_refused "path=$sock,queue_size=1000" "queue_size=1000: split rings need a power of two"
expect_refused "path=$sock,queue_size=32769,packed_vq=1" "invalid devarg queue_size=32769"
expect_refused "path=$sock,mtu=0" "invalid devarg mtu=0"
expect_refused "path=$sock,mtu=67" "invalid devarg mtu=67"
expect_refused "path=$sock,mtu=70000" "invalid devarg mtu=70000"
expect_refused "path=$sock,speed=0" "invalid devarg speed=0"
expect_refused "path=$sock,speed=4294967296" "invalid devarg speed=4294967296"

# Numbers are plain decimal: no hex, no sign, no blank (strtoul would take
# them all, and read a leading 0 as octal).
expect_refused "path=$sock,mtu=0x5dc" "invalid devarg mtu=0x5dc"
expect_refused "path=$sock,queues=+2" "invalid devarg queues=+2"
expect_refused "path=$sock,queues= 2" "invalid devarg queues= 2"
expect_refused "path=$sock,queues=2 " "invalid devarg queues=2 "
expect_refused "path=$sock,speed=-0" "invalid devarg speed=-0"
expect_refused "path=$sock,queues=[1,2]" "invalid devarg queues=\[1,2\]"

# Unknown, misspelt and malformed keys.
expect_refused "path=$sock,Path=$sock" "unknown devarg 'Path'"
expect_refused "path=$sock,queue=2" "unknown devarg 'queue'"
expect_refused "path=$sock,iface=$sock" "unknown devarg 'iface'"
expect_refused "path=$sock,=1" "unknown devarg ''"
# kvargs cuts "queues=1=2" at the second '=' into a pair of its own: its
# key '1' is refused.
expect_refused "path=$sock,queues=1=2" "unknown devarg '1'"

# A good set probes (packed rings allow any queue size); so do decimals
# with leading zeros (decimal, not octal) and a path of 107 bytes.
probe "path=$sock,packed_vq=1,queue_size=1000,queues=2,mac=02:00:00:00:00:01,mtu=9000,speed=25000,mrg_rxbuf=0,in_order=1,event_idx=1,ctrl_vq=0"
if grep -q "net_vpmd0: vhost-user client $sock, packed rings" "$dir/log"; then
	echo "ok: a full good set probes"
else
	echo "FAIL: good devargs refused:"; grep "net_vpmd" "$dir/log"; failures=$((failures + 1))
fi
# An empty pair (",,") is no pair at all to kvargs: the rest probes.
probe "path=$sock,,queues=1,"
if grep -q "net_vpmd0: vhost-user client $sock, split rings" "$dir/log"; then
	echo "ok: empty pairs are skipped"
else
	echo "FAIL: empty pairs:"; grep "net_vpmd" "$dir/log"; failures=$((failures + 1))
fi
max=${over%?}
probe "path=$max,queues=01,mtu=01500"
if grep -q "net_vpmd0: vhost-user client $max, split rings" "$dir/log"; then
	echo "ok: a path of ${#max} bytes and queues=01,mtu=01500 probe"
else
	echo "FAIL: a ${#max}-byte path or leading zeros refused:"; grep "net_vpmd" "$dir/log"
	failures=$((failures + 1))
fi

# --- A path that is not a socket. ident PATH: type, inode, and the content
# digest of a regular file or the target of a symlink.
ident() {
	local t
	t=$(stat -c '%F %i' -- "$1" 2>/dev/null) || { echo missing; return; }
	if [ -L "$1" ]; then
		echo "$t -> $(readlink -- "$1")"
	elif [ -f "$1" ]; then
		echo "$t $(sha256sum <"$1" | cut -c1-16)"
	elif [ -d "$1" ]; then
		echo "$t [$(find "$1" -mindepth 1 -maxdepth 1 -printf '%f ')]"
	else
		echo "$t"
	fi
}

# expect_path_kept MODE KIND PATH REASON: the probe takes PATH, the start
# fails with one line naming PATH and REASON, and PATH is untouched after
# the port's close and testpmd's exit.
expect_path_kept() {
	local mode=$1 kind=$2 path=$3 reason=$4 before after args="path=$3"
	[ "$mode" = server ] && args+=",server=1"
	before=$(ident "$path")
	probe "$args" 'port stop 0\nport close 0\nquit\n'
	after=$(ident "$path")
	crashed "$args" && return
	if ! grep -q "net_vpmd0: vhost-user $mode $path, split rings" "$dir/log"; then
		echo "FAIL: $mode, $kind at path: the probe refused it"; grep "net_vpmd" "$dir/log"
		failures=$((failures + 1)); return
	fi
	if ! grep -q "net_vpmd0: cannot reach the vhost-user backend at $path: $reason" "$dir/log" ||
		! grep -q "Fail to start port 0" "$dir/log"; then
		echo "FAIL: $mode, $kind at path: no start failure naming the path and '$reason':"
		grep "net_vpmd\|port 0" "$dir/log"; failures=$((failures + 1)); return
	fi
	if [ "$after" != "$before" ]; then
		echo "FAIL: $mode, $kind at path: it was '$before', after close '$after'"
		failures=$((failures + 1)); return
	fi
	echo "ok: $mode, $kind at path: start refused ($reason), left as it was: $after"
}

printf 'someone else'"'"'s data\n' >"$dir/file"
mkdir "$dir/dir"
touch "$dir/dir/inside"
ln -s "$dir/nowhere" "$dir/dangling"
# A symlink to a socket nobody listens on: the link is not ours to remove
# or replace either (a client connects through it: refused).
python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$dir/stale.sock"
ln -s "$dir/stale.sock" "$dir/link.sock"
for mode in client server; do
	if [ "$mode" = client ]; then refused="Connection refused"; else refused="Address already in use"; fi
	expect_path_kept "$mode" "a regular file" "$dir/file" "$refused"
	expect_path_kept "$mode" "a directory" "$dir/dir" "$refused"
	if [ "$mode" = client ]; then
		expect_path_kept client "a dangling symlink" "$dir/dangling" "No such file or directory"
	else
		expect_path_kept server "a dangling symlink" "$dir/dangling" "$refused"
	fi
	expect_path_kept "$mode" "a symlink to a stale socket" "$dir/link.sock" "$refused"
	[ "$(ident "$dir/stale.sock")" != missing ] || {
		echo "FAIL: $mode: the socket behind the symlink was removed"; failures=$((failures + 1)); }
done

[ "$failures" -eq 0 ] && echo PASS
exit $((failures > 0))
