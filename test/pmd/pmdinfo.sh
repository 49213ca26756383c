#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# dpdk-pmdinfo.py (Debian's, as users run it) on the built driver lists
# net_vpmd as it lists DPDK's own drivers, once per bus it registers on:
#   - the vdev: its parameters string is VPMD_DEVARGS_LIST, no PCI ids, no
#     kernel module;
#   - the PCI driver: VPMD_PCI_DEVARGS_LIST, the kernel modules of its
#     RTE_PMD_REGISTER_KMOD_DEP, and the virtio-net PCI ids: vendor 0x1af4,
#     device 0x1000 (transitional) and 0x1041 (modern, 0x1040 + net's
#     device id 1; virtio 1.2 section 4.1.2), any subsystem.
# The expected strings are read from the driver's source, not copied here.
#
# Usage: pmdinfo.sh PMD_SO DRIVER_SRC_DIR [SKIP_REASON]. SKIP_REASON is set
# by meson.build when the build could not generate the records.
# Exit 0 pass, 1 fail, 77 skip.
set -uo pipefail

pmd_so=$1
src=$2
skip_reason=${3:-}
say() { printf 'pmdinfo: %s\n' "$*"; }

[ -z "$skip_reason" ] || { say "SKIP: the build has no PMD info: $skip_reason"; exit 77; }
command -v dpdk-pmdinfo.py >/dev/null ||
	{ say "SKIP: dpdk-pmdinfo.py not installed (package dpdk)"; exit 77; }
command -v python3 >/dev/null || { say "SKIP: python3 not installed"; exit 77; }

out=$(mktemp /tmp/vpmd-pmdinfo.XXXXXX)
trap 'rm -f "$out"' EXIT

if ! dpdk-pmdinfo.py "$pmd_so" >"$out" 2>&1; then
	# The tool itself needs pyelftools, which the dpdk package only suggests.
	if grep -q "No module named 'elftools'" "$out"; then
		say "SKIP: dpdk-pmdinfo.py cannot run: no elftools (package python3-pyelftools)"
		exit 77
	fi
	say "FAIL: dpdk-pmdinfo.py $pmd_so failed:"
	cat "$out"
	exit 1
fi
echo "--- dpdk-pmdinfo.py $(basename "$pmd_so")"
cat "$out"
echo "---"

python3 - "$out" "$src/vpmd_devargs.h" "$src/vpmd_pci.c" <<'EOF'
import json
import re
import sys

out_path, devargs_h, pci_c = sys.argv[1:]
failures = 0


def check(ok, what):
    global failures
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failures += 1


def c_strings(text):
    """The value of adjacent C string literals (none of ours has escapes)."""
    return "".join(re.findall(r'"([^"\\]*)"', text))


def define(path, name):
    """The string a #define NAME "..." "..." (with continuation lines) expands to."""
    text = open(path).read().replace("\\\n", " ")
    m = re.search(r"^#define\s+%s\s+(.*)$" % name, text, re.M)
    if not m:
        sys.exit("pmdinfo: FAIL: no #define %s in %s" % (name, path))
    return c_strings(m.group(1))


vdev_params = define(devargs_h, "VPMD_DEVARGS_LIST")
pci_params = define(devargs_h, "VPMD_PCI_DEVARGS_LIST")
m = re.search(r"RTE_PMD_REGISTER_KMOD_DEP\(\s*net_vpmd\s*,\s*((?:\"[^\"]*\"\s*)+)\)",
              open(pci_c).read())
if not m:
    sys.exit("pmdinfo: FAIL: no RTE_PMD_REGISTER_KMOD_DEP(net_vpmd, ...) in " + pci_c)
kmod = c_strings(m.group(1))

info = json.load(open(out_path))
ours = [d for d in info if d.get("name") == "net_vpmd"]
check(len(ours) == 2, "net_vpmd listed twice, vdev and PCI (found %d)" % len(ours))
vdev = [d for d in ours if "pci_ids" not in d]
pci = [d for d in ours if "pci_ids" in d]
check(len(vdev) == 1 and len(pci) == 1, "one record without PCI ids, one with")

if vdev:
    d = vdev[0]
    check(d.get("params") == vdev_params,
          "vdev params == VPMD_DEVARGS_LIST %r (listed: %r)" % (vdev_params, d.get("params")))
    check("kmod" not in d, "vdev: no kernel module")
if pci:
    d = pci[0]
    check(d.get("params") == pci_params,
          "PCI params == VPMD_PCI_DEVARGS_LIST %r (listed: %r)" % (pci_params, d.get("params")))
    check(d.get("kmod") == kmod, "PCI kmod == %r (listed: %r)" % (kmod, d.get("kmod")))
    # dpdk-pmdinfo.py drops wildcard (0xffff) fields: no subsystem ids left.
    want = [{"vendor": "1af4", "device": "1000"}, {"vendor": "1af4", "device": "1041"}]
    got = sorted(d["pci_ids"], key=lambda i: sorted(i.items()))
    check(got == want, "PCI ids are virtio-net's, 1af4:1000 and 1af4:1041 (listed: %s)"
          % ", ".join("%s:%s" % (i.get("vendor"), i.get("device")) for i in got))

sys.exit(1 if failures else 0)
EOF
rc=$?
if [ "$rc" -eq 0 ]; then say "PASS"; else say "FAIL"; fi
exit "$rc"
