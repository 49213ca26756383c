#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Set up a Debian 12 machine for vpmd and build it:
#   1. install the Debian packages the project uses (needs root, once);
#   2. fetch the DPDK driver-SDK headers (not in libdpdk-dev) from the Debian
#      source package of the installed DPDK, into .cache/ (git ignores it);
#   3. configure and build with meson.
# Idempotent: a second run only checks, and rebuilds what changed.
#
# Usage: scripts/setup.sh [extra meson options...]
# Environment: VPMD_BUILD (build dir, default ./build), VPMD_CACHE (default ./.cache).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${VPMD_BUILD:-$top/build}
cache=${VPMD_CACHE:-$top/.cache}

packages=(
	gcc pkg-config meson ninja-build python3
	dpdk dpdk-dev libdpdk-dev dpkg-dev python3-pyelftools
	libjansson-dev libcmocka-dev python3-jsonschema tmux
	libbpf-dev clang llvm bpftool systemtap-sdt-dev bpftrace
	qemu-system-x86 debootstrap cpio
	openvswitch-switch-dpdk
	libmicrohttpd-dev prometheus curl
)

log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "'$*' needs root; run this script as root"
	fi
}

apt_updated=0
apt_update() {
	if [ "$apt_updated" -eq 0 ]; then
		as_root apt-get update -q >/dev/null
		apt_updated=1
	fi
}

install_packages() {
	local missing=() p
	for p in "${packages[@]}"; do
		dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
	done
	[ "${#missing[@]}" -eq 0 ] && return 0
	log "installing ${missing[*]}"
	apt_update
	# No service starts from a package (openvswitch-switch would start the
	# system's OVS): tests run their own daemons. policy-rc.d says no while
	# apt runs, unless the machine has one of its own.
	local policy=/usr/sbin/policy-rc.d own_policy=0
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
		as_root chmod 0755 "$policy"
		own_policy=1
	fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >/dev/null || { [ "$own_policy" -eq 0 ] || as_root rm -f "$policy"; return 1; }
	[ "$own_policy" -eq 0 ] || as_root rm -f "$policy"
}

# ovs-vswitchd is an alternative: the DPDK build is the one test/ovs drives.
ovs_select_dpdk() {
	local dpdk=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
	[ -x "$dpdk" ] || return 0
	[ "$(readlink -f /etc/alternatives/ovs-vswitchd 2>/dev/null)" = "$dpdk" ] && return 0
	as_root update-alternatives --set ovs-vswitchd "$dpdk" >/dev/null
}

# A deb-src entry for every deb entry already configured, so that
# 'apt-get source' fetches from the same archive the binaries came from.
enable_deb_src() {
	local list=/etc/apt/sources.list.d/vpmd-deb-src.sources
	local legacy=/etc/apt/sources.list.d/vpmd-deb-src.list
	[ -f "$list" ] || [ -f "$legacy" ] && return 0
	log "adding deb-src entries derived from the configured apt sources"
	local f tmp
	tmp=$(mktemp)
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# deb822: copy the stanzas whose Types include deb, as deb-src.
		awk 'BEGIN { RS=""; ORS="\n\n" }
		     /(^|\n)Types:[^\n]*(^|[ \t])deb([ \t]|\n|$)/ {
		         sub(/Types:[^\n]*/, "Types: deb-src"); print }' "$f" >>"$tmp"
	done
	if [ -s "$tmp" ]; then
		as_root install -m 0644 "$tmp" "$list"
	fi
	: >"$tmp"
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >>"$tmp"
	done
	if [ -s "$tmp" ]; then
		as_root install -m 0644 "$tmp" "$legacy"
	fi
	rm -f "$tmp"
	apt_updated=0
}

# The driver-SDK headers of exactly the installed DPDK.
fetch_sdk() {
	local version debver sdk work
	version=$(pkg-config --modversion libdpdk) || die "pkg-config finds no libdpdk"
	debver=$(dpkg-query -W -f='${Version}' libdpdk-dev)
	sdk="$cache/dpdk-sdk/$debver"
	if [ -f "$sdk/VERSION" ] && [ "$(tr -d '[:space:]' <"$sdk/VERSION")" = "$version" ] &&
		[ -f "$sdk/buildtools/pmdinfogen.py" ]; then
		SDK_DIR=$sdk
		return 0
	fi
	log "fetching the DPDK $debver source package for its driver-SDK headers"
	enable_deb_src
	apt_update
	work=$(mktemp -d "$cache/dpdk-src.XXXXXX")
	# shellcheck disable=SC2064
	trap "rm -rf '$work'" EXIT
	(cd "$work" && apt-get source -q --download-only "dpdk=$debver" >/dev/null 2>&1) ||
		die "apt-get source dpdk=$debver failed (is a deb-src entry reachable?)"
	(cd "$work" && dpkg-source --no-check -x ./*.dsc src >/dev/null) ||
		die "could not unpack the dpdk source package"
	[ -f "$work/src/VERSION" ] || die "the dpdk source package has no VERSION file"
	# Keep only what the driver build uses, the tree is large: the headers,
	# and buildtools/ for pmdinfogen.py (the PMD_INFO_STRING dpdk-pmdinfo.py reads).
	mkdir -p "$sdk.new"
	cp -a "$work/src/VERSION" "$work/src/lib" "$work/src/buildtools" "$sdk.new/"
	mkdir -p "$sdk.new/drivers"
	cp -a "$work/src/drivers/bus" "$sdk.new/drivers/"
	rm -rf "$sdk" && mv "$sdk.new" "$sdk"
	rm -rf "$work"
	trap - EXIT
	SDK_DIR=$sdk
}

configure_and_build() {
	local opts=(-Ddriver=enabled "-Ddpdk_sdk=$SDK_DIR" "$@")
	if [ -f "$build/build.ninja" ]; then
		meson configure "$build" "${opts[@]}" >/dev/null
	else
		meson setup "$build" "$top" "${opts[@]}" >/dev/null ||
			die "meson setup failed; see $build/meson-logs/meson-log.txt"
	fi
	ninja -C "$build" >/dev/null || { ninja -C "$build"; die "build failed"; }
	log "built in $build"
}

mkdir -p "$cache"
install_packages
ovs_select_dpdk
fetch_sdk
configure_and_build "$@"
