/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Log types of net_vpmd: pmd.net.vpmd.init (probe, devargs, bring-up) and
 * pmd.net.vpmd.driver (ethdev ops at run time). The datapath never logs:
 * it counts.
 */
#ifndef VPMD_LOGS_H
#define VPMD_LOGS_H

#include <rte_log.h>

extern int vpmd_logtype_init;
extern int vpmd_logtype_driver;

#define VPMD_INIT_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, vpmd_logtype_init, "net_vpmd: %s(): " fmt "\n", __func__, \
		##__VA_ARGS__)

#define VPMD_DRV_LOG(level, dev_name, fmt, ...) \
	rte_log(RTE_LOG_##level, vpmd_logtype_driver, "%s: " fmt "\n", dev_name, ##__VA_ARGS__)

#endif /* VPMD_LOGS_H */
