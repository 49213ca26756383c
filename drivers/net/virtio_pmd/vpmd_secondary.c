/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_vpmd in a DPDK secondary process. dpdk-proc-info reads a port's
 * stats and xstats, dpdk-pdump and dpdk-dumpcap have the primary copy its
 * packets to them (their callbacks run in the primary, installed over
 * DPDK's IPC). None of them needs more of the driver than reading.
 *
 * What a secondary may dereference is what lives in DPDK's shared memory,
 * mapped at the primary's addresses: the ethdev data, the adapter
 * (dev_private), the queue structs and their counters (vpmd_queue.c), the
 * port's ring totals, and the virtqueues and control-queue state, which
 * the virtio core allocates through the hook set below for that reason
 * (vpmd/virtio_alloc.h). Not shared: the primary's libc heap (the
 * vhost-user transport's state), and function pointers, which are
 * addresses of code in the process that stored them (ad->bus, the
 * transport's ops, a virtqueue's notify). So the secondary gets its own
 * ops table, an allow-list of the ops that only read the adapter, the
 * queues' counters and the ring counters under the stats spinlock (plain
 * atomics in shared memory, which work across processes; the control
 * lock is a process-private mutex and is not taken here, vpmd_ctrl.c).
 * Everything else is refused: configure, start, stop and reset with
 * -ENOTSUP and one log line; the rest by ethdev itself (-ENOTSUP), since
 * the table does not have them. Close only lets go of this process's view.
 *
 * The burst functions are the dummy ones: the rings are the primary's
 * datapath lcores' alone (their state is not locked), and a secondary
 * that polled or sent would race them. Packet capture does not need them:
 * pdump's callbacks run in the primary's bursts.
 *
 * Telemetry (/vpmd/...) is the primary's: DPDK 22.11 opens the telemetry
 * socket in the primary only, so the commands this library registers from
 * its constructor in a secondary are never called there.
 */
#include <errno.h>

#include <ethdev_driver.h>
#include <rte_malloc.h>

#include <vpmd/virtio_alloc.h>

#include "vpmd.h"
#include "vpmd_logs.h"
#include "vpmd_secondary.h"

static void *shared_zalloc(size_t size)
{
	return rte_zmalloc("vpmd_virtio", size, 0);
}

/*
 * Before any virtqueue exists: the core's objects in DPDK's memory, so
 * that a secondary can read a ring's counters. In every process alike
 * (a secondary makes none; the pointers are this process's own).
 */
RTE_INIT(vpmd_virtio_alloc_init)
{
	virtio_alloc_set(shared_zalloc, rte_free);
}

static int refuse(struct rte_eth_dev *dev, const char *what)
{
	VPMD_DRV_LOG(ERR, dev->data->name,
		     "%s: not from a secondary process, the port belongs to the primary",
		     what);
	return -ENOTSUP;
}

static int sec_configure(struct rte_eth_dev *dev)
{
	return refuse(dev, "configure");
}

static int sec_start(struct rte_eth_dev *dev)
{
	return refuse(dev, "start");
}

static int sec_stop(struct rte_eth_dev *dev)
{
	return refuse(dev, "stop");
}

static int sec_reset(struct rte_eth_dev *dev)
{
	return refuse(dev, "reset");
}

/*
 * ethdev closes a port in a secondary to release what that process holds
 * of it (rte_eth_dev_close, then the port's release, which frees nothing
 * shared there); the device stays the primary's, untouched.
 */
static int sec_close(struct rte_eth_dev *dev)
{
	(void)dev;
	return 0;
}

/* The link as the primary last set it in the shared ethdev data: nothing to ask. */
static int sec_link_update(struct rte_eth_dev *dev, int wait_to_complete)
{
	(void)dev;
	(void)wait_to_complete;
	return 0;
}

static struct eth_dev_ops sec_ops;

int vpmd_secondary_init(struct rte_eth_dev *dev)
{
	const struct eth_dev_ops *full = vpmd_ethdev_ops();

	if (dev->data->dev_private == NULL) {
		VPMD_INIT_LOG(ERR, "%s: the primary has no such vpmd port", dev->data->name);
		return -ENOTSUP;
	}
	/* Probes run one at a time on the main thread: filling the table twice is harmless. */
	sec_ops = (struct eth_dev_ops){
		.dev_configure = sec_configure,
		.dev_start = sec_start,
		.dev_stop = sec_stop,
		.dev_reset = sec_reset,
		.dev_close = sec_close,
		.link_update = sec_link_update,
		/* Read only the adapter, the queues' and rings' counters (see above). */
		.dev_infos_get = full->dev_infos_get,
		.stats_get = full->stats_get,
		.stats_reset = full->stats_reset,
		.xstats_get = full->xstats_get,
		.xstats_get_names = full->xstats_get_names,
		.rx_burst_mode_get = full->rx_burst_mode_get,
		.tx_burst_mode_get = full->tx_burst_mode_get,
	};
	dev->dev_ops = &sec_ops;
	dev->rx_pkt_burst = rte_eth_pkt_burst_dummy;
	dev->tx_pkt_burst = rte_eth_pkt_burst_dummy;
	VPMD_INIT_LOG(INFO, "%s: attached in a secondary process: stats and xstats only",
		      dev->data->name);
	return 0;
}
