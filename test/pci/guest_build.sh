#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Build, once, the guest the PCI tests boot in QEMU: Debian 12's cloud
# kernel and a minbase bookworm root with DPDK, packed as a gzip'd cpio
# initramfs whose /init is guest_init.sh. Each test run appends a second,
# small archive with the driver under test and the case (guest_run.sh).
#
# The image is cached outside git, in ${VPMD_GUEST_CACHE:-/var/cache/vpmd-guest}/rN
# (N = RECIPE below), and rebuilt only when missing or when RECIPE changes.
# Builds happen in a temporary directory renamed into place, under a lock, so
# concurrent callers wait for one build and never see half an image.
#
# Usage: guest_build.sh [--check]
#   prints the image directory (vmlinuz, base.cpio.gz) on stdout; logs go to stderr.
#   --check: build nothing, exit 0 if the image is there, 1 if not.
# Exit 0 built or cached, 1 build failure, 77 not root.
# Environment: VPMD_GUEST_CACHE, VPMD_GUEST_MIRROR (default: the host's
# bookworm apt source).
# Needs root (debootstrap, device nodes) and the host packages
# qemu-system-x86, debootstrap, cpio (installed here when missing).
set -euo pipefail

# Bump when anything below changes what ends up in the image.
RECIPE=1
SUITE=bookworm
GUEST_PACKAGES=dpdk,dpdk-dev,kmod,pciutils,iproute2,libjansson4,python3,libbpf1
HOST_PACKAGES=(qemu-system-x86 debootstrap cpio)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${VPMD_GUEST_CACHE:-/var/cache/vpmd-guest}
image=$cache/r$RECIPE

log() { printf 'guest_build: %s\n' "$*" >&2; }
die() { printf 'guest_build: error: %s\n' "$*" >&2; exit 1; }

image_ok() { [ -f "$image/vmlinuz" ] && [ -f "$image/base.cpio.gz" ] && [ -f "$image/RECIPE" ]; }

if [ "${1:-}" = --check ]; then
	image_ok && { echo "$image"; exit 0; }
	exit 1
fi
if image_ok; then
	echo "$image"
	exit 0
fi

# As a meson test, a machine that cannot build the image skips.
[ "$(id -u)" -eq 0 ] || { log "SKIP: building the guest image needs root"; exit 77; }

# dpkg serialises installs with its lock; wait for another install
# (scripts/setup.sh, say) rather than fail.
install_host_packages() {
	local missing=() p
	for p in "${HOST_PACKAGES[@]}"; do
		dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
	done
	[ "${#missing[@]}" -eq 0 ] && return 0
	log "installing host packages: ${missing[*]}"
	local apt=(apt-get -o DPkg::Lock::Timeout=900 -y -q --no-install-recommends)
	DEBIAN_FRONTEND=noninteractive "${apt[@]}" install "${missing[@]}" >/dev/null ||
		{ apt-get -o DPkg::Lock::Timeout=900 update -q >/dev/null &&
			DEBIAN_FRONTEND=noninteractive "${apt[@]}" install "${missing[@]}" >/dev/null; } ||
		die "could not install ${missing[*]}"
}

# The archive the host itself uses for bookworm, from deb822 .sources or
# one-line .list files; never a host name of our own.
host_mirror() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri=$(awk -v suite="$SUITE" 'BEGIN { RS = ""; FS = "\n" }
			{
				t = ""; u = ""; s = ""
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^Types:/) t = $i
					if ($i ~ /^URIs:/) u = $i
					if ($i ~ /^Suites:/) s = $i
				}
				if (t ~ /[ \t]deb([ \t]|$)/ && (" " s " ") ~ ("[ \t]" suite "[ \t]")) {
					sub(/^URIs:[ \t]*/, "", u); split(u, a, /[ \t]+/); print a[1]; exit
				}
			}' "$f")
		[ -n "$uri" ] && { echo "$uri"; return 0; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		uri=$(sed -E 's/\[[^]]*\]//' "$f" |
			awk -v suite="$SUITE" '$1 == "deb" && $3 == suite { print $2; exit }')
		[ -n "$uri" ] && { echo "$uri"; return 0; }
	done
	return 1
}

# Debian's cloud kernel: the meta package names the versioned image.
fetch_kernel() {
	local dir=$1 dep
	# A machine whose apt lists are old or missing gets them once.
	(cd "$dir" && apt-get download -q linux-image-cloud-amd64 >/dev/null 2>&1) ||
		{ apt-get update -q >/dev/null 2>&1 &&
			(cd "$dir" && apt-get download -q linux-image-cloud-amd64 >/dev/null 2>&1); } ||
		die "apt-get download linux-image-cloud-amd64 failed"
	dep=$(dpkg-deb -f "$dir"/linux-image-cloud-amd64_*.deb Depends |
		tr ',' '\n' | sed -n 's/^ *\(linux-image-[0-9][^ ]*\).*/\1/p' | head -1)
	[ -n "$dep" ] || die "linux-image-cloud-amd64 names no versioned kernel"
	(cd "$dir" && apt-get download -q "$dep" >/dev/null 2>&1) || die "apt-get download $dep failed"
	dpkg -x "$dir/${dep}"_*.deb "$dir/kernel"
	KVER=${dep#linux-image-}
}

# The modules DPDK's tests load, and what they depend on; depmod makes
# modprobe find them.
install_modules() {
	local root=$1 kdir=$2 src dst sub
	src=$kdir/lib/modules/$KVER
	dst=$root/lib/modules/$KVER
	mkdir -p "$dst/kernel"
	cp -a "$src"/modules.order "$src"/modules.builtin* "$dst/"
	for sub in drivers/uio drivers/vfio virt/lib; do
		[ -d "$src/kernel/$sub" ] || continue
		mkdir -p "$dst/kernel/$(dirname "$sub")"
		cp -a "$src/kernel/$sub" "$dst/kernel/$sub"
	done
	# The guest's own depmod: the host may have no kmod.
	chroot "$root" /sbin/depmod "$KVER" || die "depmod failed"
}

# What a test never reads: docs, locales, headers, static libraries, apt's
# lists and caches, byte code.
strip_root() {
	local root=$1
	rm -rf "$root"/usr/share/{doc,man,info,locale,lintian,bug,bash-completion} \
		"$root"/usr/include "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* \
		"$root"/var/cache/debconf/*-old "$root"/var/log/* "${root:?}"/boot/*
	find "$root" -name '__pycache__' -type d -prune -exec rm -rf {} +
	find "$root"/usr/lib -name '*.a' -type f -delete
}

build() {
	local start tmp mirror root
	start=$(date +%s)
	install_host_packages
	mirror=${VPMD_GUEST_MIRROR:-$(host_mirror)} || die "no $SUITE apt source found on the host"
	tmp=$(mktemp -d "$cache/.build.XXXXXX")
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" EXIT
	root=$tmp/root
	log "kernel: linux-image-cloud-amd64"
	fetch_kernel "$tmp"
	log "root: debootstrap --variant=minbase $SUITE from $mirror (a few minutes)"
	debootstrap --variant=minbase --include="$GUEST_PACKAGES" "$SUITE" "$root" "$mirror" \
		>"$tmp/debootstrap.log" 2>&1 || {
		tail -20 "$tmp/debootstrap.log" >&2
		die "debootstrap failed"
	}
	install_modules "$root" "$tmp/kernel"
	strip_root "$root"
	install -m 0755 "$here/guest_init.sh" "$root/init"
	mkdir -p "$tmp/out"
	cp "$tmp/kernel/boot/vmlinuz-$KVER" "$tmp/out/vmlinuz"
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
		gzip -6 >"$tmp/out/base.cpio.gz"
	printf 'recipe %s\nkernel %s\nbuilt %s\n' "$RECIPE" "$KVER" "$(date -u +%FT%TZ)" \
		>"$tmp/out/RECIPE"
	chmod 0755 "$tmp/out"
	# Old recipes go; the new one appears in one rename.
	rm -rf "$cache"/r[0-9]*
	mv -T "$tmp/out" "$image"
	rm -rf "$tmp"
	trap - EXIT
	log "built $image (kernel $KVER, $(du -sh "$image/base.cpio.gz" | cut -f1) initramfs)" \
		"in $(($(date +%s) - start)) s"
}

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
# Another caller may have built it while this one waited.
image_ok || build
echo "$image"
