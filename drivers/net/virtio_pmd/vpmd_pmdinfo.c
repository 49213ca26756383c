/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The PMD_INFO_STRING records dpdk-pmdinfo.py reads from the .so: one per
 * driver registration, with its name, devargs, PCI ids and kernel modules.
 * DPDK's buildtools/pmdinfogen.py writes them at build time, from what the
 * RTE_PMD_* macros left in our objects (meson.build), into the header
 * included below.
 *
 * net_vpmd is registered twice under the one name, as a vdev (vpmd_vu.c,
 * vhost-user devargs) and as a PCI driver (vpmd_pci.c, PCI ids, kernel
 * modules and its own devargs). pmdinfogen names each record's array after
 * the driver, so both would be net_vpmd_pmd_info and the second a
 * redefinition. Each use of the name is renamed here with a counter, so
 * both records are kept, byte for byte as pmdinfogen wrote them; the names
 * of the arrays matter to no one, dpdk-pmdinfo.py finds the strings by
 * their prefix.
 */
#define VPMD_PMDINFO_PASTE(a, b) a##b
#define VPMD_PMDINFO_NAME(n) VPMD_PMDINFO_PASTE(vpmd_pmd_info_, n)
#define net_vpmd_pmd_info VPMD_PMDINFO_NAME(__COUNTER__)

#include "librte_net_vpmd.pmd.h"
