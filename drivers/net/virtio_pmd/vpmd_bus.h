/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How a port reaches its device: the part of the PMD that differs between
 * a vhost-user socket (vpmd_vu.c, a vdev) and a virtio PCI function
 * (vpmd_pci.c). The ethdev ops, the rings, the datapath, xstats and
 * telemetry are the same for both; they ask the port's bus through this
 * table, never a transport directly.
 *
 * Every op runs on the control path (probe, dev_start/stop, the link
 * monitor), under the control lock where the monitor runs. Ops return 0 or
 * a negative errno and log what went wrong themselves.
 */
#ifndef VPMD_BUS_H
#define VPMD_BUS_H

#include <stdbool.h>
#include <stdint.h>

struct rte_eth_dev;
struct vpmd_adapter;
struct vhost_user_ctrl_state;

struct vpmd_bus_ops {
	const char *name; /* "vhost-user", "pci": the mode telemetry shows */
	/*
	 * Descriptors carry IO virtual addresses (the device does DMA) rather
	 * than this process's virtual addresses (a backend that mapped our
	 * memory): see vpmd_mbuf_dev_addr().
	 */
	bool dev_addr_iova;
	/*
	 * The device keeps using the rings until it is reset (a PCI device has
	 * no per-queue stop): reset it before the rings' buffers are freed.
	 * Else the queues are torn down one by one, then the device reset.
	 */
	bool reset_before_drain;

	/* Make the transport and bind ad->vdev to it (probe, dev_reset). */
	int (*transport_init)(struct rte_eth_dev *dev);
	/* Undo transport_init. */
	void (*transport_fini)(struct vpmd_adapter *ad);
	/*
	 * dev_start: reach the device. 0: go on and bring it up; -EAGAIN: not
	 * yet, the link stays down and the monitor keeps trying; else fail.
	 */
	int (*attach)(struct rte_eth_dev *dev);
	/* Can the device be talked to now (for teardown and reset). */
	bool (*present)(const struct vpmd_adapter *ad);
	/* Before negotiation (vhost-user: the memory table). Optional. */
	int (*prepare)(struct vpmd_adapter *ad);
	/*
	 * Tell the device the MTU the port uses, where the bus has a way
	 * (vhost-user: NET_SET_MTU). Optional; -ENOTSUP when this device
	 * cannot be told.
	 */
	int (*set_mtu)(struct vpmd_adapter *ad, uint16_t mtu);
	/* Queue pairs the device has. */
	uint16_t (*max_queue_pairs)(const struct vpmd_adapter *ad);
	/* Index of the control queue for the negotiated features, or -ENOTSUP. */
	int (*ctrl_queue_index)(const struct vpmd_adapter *ad);
	/*
	 * Monitor tick while the device is up: 0 while it is fine, and
	 * *carrier set to the link it reports; < 0 when it is lost (gone, or
	 * asking to be reset): the monitor brings it down.
	 */
	int (*check)(struct rte_eth_dev *dev, bool *carrier);
	/* Monitor tick while the device is down: 0 when it can be brought up again. */
	int (*reattach)(struct rte_eth_dev *dev);
	/* After a failed bring-up from the monitor: start again from scratch. Optional. */
	void (*detach)(struct vpmd_adapter *ad);
	/*
	 * The receive filter the driver must enforce because the device
	 * delivers every frame (the vhost-user control queue is emulated
	 * here). Optional: without it the device filters.
	 */
	int (*rx_filter_state)(const struct vpmd_adapter *ad, struct vhost_user_ctrl_state *st);
};

extern const struct vpmd_bus_ops vpmd_bus_vhost_user;
extern const struct vpmd_bus_ops vpmd_bus_pci;

#endif /* VPMD_BUS_H */
