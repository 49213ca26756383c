/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_vpmd in a DPDK secondary process (dpdk-proc-info, dpdk-pdump,
 * dpdk-dumpcap): the port is the primary's; a secondary reads it.
 *
 * Errors: negative errno, logged here.
 */
#ifndef VPMD_SECONDARY_H
#define VPMD_SECONDARY_H

#include <ethdev_driver.h>

/*
 * Make @dev, a port the primary probed and this secondary has attached
 * (rte_eth_dev_attach_secondary, or the PCI bus's generic probe), usable
 * here: the secondary's ops table, burst functions that move nothing.
 * The caller finishes probing. 0, or -ENOTSUP if @dev is no vpmd port.
 */
int vpmd_secondary_init(struct rte_eth_dev *dev);

/* The primary's ops table (vpmd_ethdev.c), for the secondary's allow-list. */
const struct eth_dev_ops *vpmd_ethdev_ops(void);

#endif /* VPMD_SECONDARY_H */
