#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Open vSwitch (Debian's openvswitch-switch-dpdk, on the same DPDK) forwards
# through net_vpmd: ovs-vswitchd loads the driver with dpdk-extra's -d, and
# a netdev bridge joins two net_vpmd ports, each a vhost-user frontend to a
# net_vhost port of one dpdk-testpmd (the backend, io forwarding between
# its two ports). Frames seeded by the backend (start tx_first) go round:
# backend port 0 -> vpmd0 -> OVS -> vpmd1 -> backend port 1 -> backend
# port 0 ..., and the other way from port 1's seed. Checked: both
# directions counted by the backend and by OVS (ovs-ofctl dump-ports), and
# vctl, given OVS's EAL file prefix, sees the ports inside ovs-vswitchd.
#
# Everything is private to the run: ovsdb-server and ovs-vswitchd with their
# own database, sockets, pidfiles and logs in a temp dir, ended by PID; the
# hugepages added for the run on a private hugetlbfs mount, given back.
#
# Usage: ovs.sh PMD_SO VCTL
# Exit 0 pass, 1 fail, 77 skip.
set -uo pipefail

pmd_so=$1
vctl=$2
vswitchd=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
schema=/usr/share/openvswitch/vswitch.ovsschema
pages=512 # OVS's per-port pools and its own heap; 1 GB
nr=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages

say() { printf 'ovs: %s\n' "$*"; }
skip() { say "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "OVS with DPDK and hugepages need root"
[ -x "$vswitchd" ] || skip "no $vswitchd (package openvswitch-switch-dpdk)"
for t in ovsdb-tool ovsdb-server ovs-vsctl ovs-ofctl ovs-appctl dpdk-testpmd; do
	command -v "$t" >/dev/null || skip "$t not installed"
done
[ -f "$schema" ] || skip "no $schema"
[ -w "$nr" ] || skip "no 2 MB hugepages here ($nr)"

dir=$(mktemp -d /tmp/vpmd-ovs.XXXXXX)
prefix=vpmd-ovs-$$
prev=$(cat "$nr")
mounted= back_pid= db_pid= vs_pid=
stop_pid() {
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
	exec 3>&- 2>/dev/null
	stop_pid "$vs_pid"
	stop_pid "$db_pid"
	stop_pid "$back_pid"
	wait 2>/dev/null
	[ -n "$mounted" ] && umount "$dir/huge"
	echo "$prev" >"$nr"
	rm -rf "$dir" "/var/run/dpdk/$prefix" "/var/run/dpdk/$prefix-back"
}
trap cleanup EXIT

fail() {
	say "FAIL: $*"
	echo "--- ovs-vswitchd log"; grep -v "^$" "$dir/vswitchd.log" | tail -30
	echo "--- backend"; tail -30 "$dir/back.log"
	exit 1
}

# ---- hugepages for ovs-vswitchd, on a mount of our own ----
echo $((prev + pages)) >"$nr"
[ "$(cat "$nr")" -ge $((prev + pages)) ] || skip "could not get $pages hugepages"
mkdir "$dir/huge" "$dir/run" "$dir/db"
mount -t hugetlbfs -o pagesize=2M nodev "$dir/huge" || skip "cannot mount hugetlbfs"
mounted=1

# ---- the backend: two net_vhost ports, io forwarding between them, on core 0 ----
mkfifo "$dir/back.in"
stdbuf -oL dpdk-testpmd -l 0,1 --main-lcore 1 --no-huge -m 512 --no-pci \
	--file-prefix="$prefix-back" \
	--vdev "net_vhost0,iface=$dir/vh0.sock,queues=1" \
	--vdev "net_vhost1,iface=$dir/vh1.sock,queues=1" \
	-- -i --no-mlockall --total-num-mbufs=16384 --forward-mode=io \
	<"$dir/back.in" >"$dir/back.log" 2>&1 &
back_pid=$!
exec 3>"$dir/back.in"
back() { (trap '' PIPE; printf '%s\n' "$*" >&3) 2>/dev/null; }
for _ in $(seq 100); do [ -S "$dir/vh1.sock" ] && break; sleep 0.1; done
[ -S "$dir/vh1.sock" ] || fail "the backend made no sockets"

# ---- OVS: a private database and daemons ----
export OVS_RUNDIR=$dir/run OVS_DBDIR=$dir/db OVS_LOGDIR=$dir
db=unix:$dir/run/db.sock
vsctl() { ovs-vsctl --db="$db" --timeout=20 "$@"; }
ovsdb-tool create "$dir/db/conf.db" "$schema" || fail "ovsdb-tool create"
ovsdb-server "$dir/db/conf.db" --remote="punix:$dir/run/db.sock" \
	--unixctl="$dir/run/ovsdb-server.ctl" --pidfile="$dir/run/ovsdb-server.pid" \
	--log-file="$dir/ovsdb-server.log" >/dev/null 2>&1 &
db_pid=$!
for _ in $(seq 50); do [ -S "$dir/run/db.sock" ] && break; sleep 0.1; done
vsctl --no-wait init || fail "ovs-vsctl init"
# EAL refuses -d below a world-writable directory: the driver by name, found
# through LD_LIBRARY_PATH. One file per memory list (--single-file-segments)
# keeps the vhost-user memory table within its 8 regions.
vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true \
	other_config:dpdk-lcore-mask=0x2 other_config:pmd-cpu-mask=0x2 \
	other_config:per-port-memory=true \
	other_config:dpdk-extra="--single-file-segments --file-prefix=$prefix --huge-dir=$dir/huge --no-pci -d $(basename "$pmd_so")" ||
	fail "ovs-vsctl set other_config"
# Under the sanitized setup (test/sanitize/) the driver is instrumented and
# ovs-vswitchd is not: ASan's runtime must be the process's first library.
LD_PRELOAD="${VPMD_ASAN_RUNTIME:-}${LD_PRELOAD:+:$LD_PRELOAD}" \
	LD_LIBRARY_PATH="$(dirname "$pmd_so")" "$vswitchd" "$db" \
	--unixctl="$dir/run/ovs-vswitchd.ctl" --pidfile="$dir/run/ovs-vswitchd.pid" \
	--log-file="$dir/vswitchd.log" >/dev/null 2>&1 &
vs_pid=$!
for _ in $(seq 100); do
	[ "$(vsctl get Open_vSwitch . dpdk_initialized 2>/dev/null)" = true ] && break
	kill -0 "$vs_pid" 2>/dev/null || fail "ovs-vswitchd exited"
	sleep 0.1
done
[ "$(vsctl get Open_vSwitch . dpdk_initialized)" = true ] || fail "DPDK not initialised in ovs-vswitchd"

vsctl add-br br0 -- set bridge br0 datapath_type=netdev || fail "add-br"
for i in 0 1; do
	vsctl add-port br0 "vpmd$i" -- set Interface "vpmd$i" type=dpdk \
		"options:dpdk-devargs=net_vpmd$i,path=$dir/vh$i.sock" ||
		fail "add-port vpmd$i"
done
for i in 0 1; do
	err=$(vsctl get Interface "vpmd$i" error 2>/dev/null)
	[ -z "$err" ] || [ "$err" = '[]' ] || fail "vpmd$i: $err"
done
ovs-ofctl del-flows br0 || fail "del-flows"
ovs-ofctl add-flow br0 in_port=vpmd0,actions=output:vpmd1 || fail "add-flow"
ovs-ofctl add-flow br0 in_port=vpmd1,actions=output:vpmd0 || fail "add-flow"
for _ in $(seq 50); do
	[ "$(vsctl get Interface vpmd0 link_state)" = up ] &&
		[ "$(vsctl get Interface vpmd1 link_state)" = up ] && break
	sleep 0.1
done
say "ports: vpmd0 $(vsctl get Interface vpmd0 link_state), vpmd1 $(vsctl get Interface vpmd1 link_state)"

# ---- traffic: both ways round the loop ----
back "start tx_first"
sleep 3
back "show port stats all"
sleep 0.5
back "stop"
# Port N's RX and TX packets in the backend's last stats.
stat() {
	awk -v port="$1" -v what="$2" '
		/NIC statistics for port/ { p = $(NF - 1) }
		p == port && what == "rx" && /RX-packets:/ { v = $2 }
		p == port && what == "tx" && /TX-packets:/ { v = $2 }
		END { print v + 0 }' "$dir/back.log"
}
ofstat() {
	ovs-ofctl dump-ports br0 "$1" | awk -v what="$2" '
		$0 ~ what " pkts=" { sub(/.*pkts=/, ""); sub(/,.*/, ""); print; exit }'
}
b0rx=$(stat 0 rx) b0tx=$(stat 0 tx) b1rx=$(stat 1 rx) b1tx=$(stat 1 tx)
o0rx=$(ofstat vpmd0 rx) o0tx=$(ofstat vpmd0 tx) o1rx=$(ofstat vpmd1 rx) o1tx=$(ofstat vpmd1 tx)
say "backend port 0 rx $b0rx tx $b0tx, port 1 rx $b1rx tx $b1tx"
say "OVS vpmd0 rx ${o0rx:-?} tx ${o0tx:-?}, vpmd1 rx ${o1rx:-?} tx ${o1tx:-?}"
min=1000
[ "$b0tx" -gt $min ] && [ "$b1rx" -gt $min ] || fail "backend 0 -> OVS -> backend 1: tx $b0tx, rx $b1rx"
[ "$b1tx" -gt $min ] && [ "$b0rx" -gt $min ] || fail "backend 1 -> OVS -> backend 0: tx $b1tx, rx $b0rx"
[ "${o0rx:-0}" -gt $min ] && [ "${o1tx:-0}" -gt $min ] || fail "OVS vpmd0 -> vpmd1: rx ${o0rx:-0}, tx ${o1tx:-0}"
[ "${o1rx:-0}" -gt $min ] && [ "${o0tx:-0}" -gt $min ] || fail "OVS vpmd1 -> vpmd0: rx ${o1rx:-0}, tx ${o0tx:-0}"
# What went into OVS on one port came out of the other (less what is in flight).
[ "$o0rx" -ge "$o1tx" ] || fail "vpmd1 sent more ($o1tx) than vpmd0 received ($o0rx)"

# ---- vctl sees the ports inside ovs-vswitchd ----
"$vctl" --prefix "$prefix" list >"$dir/vctl.txt" 2>&1 || { cat "$dir/vctl.txt"; fail "vctl list"; }
sed 's/^/  /' "$dir/vctl.txt"
grep -q "pid $vs_pid" "$dir/vctl.txt" || fail "vctl list names another process than ovs-vswitchd ($vs_pid)"
for i in 0 1; do
	grep -q "net_vpmd$i .*running .*up .*$dir/vh$i.sock" "$dir/vctl.txt" || fail "vctl list: no running net_vpmd$i"
done
"$vctl" --prefix "$prefix" status 0 >"$dir/status.txt" 2>&1 || { cat "$dir/status.txt"; fail "vctl status"; }
grep -q "DRIVER_OK" "$dir/status.txt" || fail "vctl status 0: the device is not DRIVER_OK"
say "pass"
