/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vhost-user bus of net_vpmd: the vdev (--vdev net_vpmd0,path=SOCK),
 * its probe and remove, and the vpmd_bus_ops that reach a backend over a
 * vhost-user socket.
 *
 * dev_start connects (client) or waits for the backend (server). The
 * link monitor checks the socket every tick; when the backend hangs up it
 * reconnects (client) or accepts the backend again (server). Descriptors
 * carry this process's virtual addresses: the backend maps DPDK's memory
 * from the memory table (vpmd_mem.c). The control queue's device side is
 * emulated in the transport, so the rx bursts enforce the receive filter
 * it recorded.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>
#include <rte_ether.h>

#include "vpmd.h"
#include "vpmd_logs.h"
#include "vpmd_secondary.h"
#include "vpmd_mem.h"

/* dev_start waits this long for the backend (server: to connect to us). */
#define VU_CONNECT_WAIT_MS 2000
/* One reconnect attempt from the monitor waits this long. */
#define VU_RECONNECT_WAIT_MS 20

static int vu_transport_init(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	struct vhost_user_config vcfg;
	int rc;

	vhost_user_config_init(&vcfg);
	vcfg.path = ad->args.path;
	vcfg.mode = ad->args.server ? VHOST_USER_MODE_SERVER : VHOST_USER_MODE_CLIENT;
	vcfg.queue_size_max = ad->args.queue_size;
	vcfg.ctrl_queue = ad->args.ctrl_vq;
	rc = vhost_user_create(&vcfg, &ad->vu);
	if (rc < 0) {
		VPMD_INIT_LOG(ERR, "%s: vhost-user transport for %s: %s", ad->name, ad->args.path,
			      rte_strerror(-rc));
		return rc;
	}
	rc = virtio_dev_init(&ad->vdev, &vhost_user_ops, ad->vu, ad->name, true);
	if (rc < 0)
		return rc;
	/* Rx interrupts: the queues' call eventfds, which outlive connections. */
	rc = vpmd_intr_init(dev);
	if (rc < 0)
		return rc;
	/* Memory that comes (or goes) after dev_start goes to the backend too. */
	return vpmd_mem_events_register(ad);
}

static void vu_transport_fini(struct vpmd_adapter *ad)
{
	vpmd_mem_events_unregister(ad);
	vpmd_intr_fini(ad);
	vhost_user_destroy(ad->vu);
	ad->vu = NULL;
}

static int vu_attach(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	int rc;

	if (vhost_user_is_connected(ad->vu))
		return 0;
	vhost_user_set_connect_timeout(ad->vu, VU_CONNECT_WAIT_MS);
	rc = vhost_user_connect(ad->vu);
	if (rc == 0)
		return 0;
	if (ad->args.server && rc == -ETIMEDOUT) {
		/* Server mode: the backend comes when it comes; the link is down till then. */
		VPMD_DRV_LOG(NOTICE, ad->name, "waiting for a vhost-user backend on %s",
			     ad->args.path);
		return -EAGAIN;
	}
	VPMD_DRV_LOG(ERR, ad->name, "cannot reach the vhost-user backend at %s: %s",
		     ad->args.path, rte_strerror(-rc));
	return rc == -EAGAIN ? -ECONNREFUSED : rc;
}

static bool vu_present(const struct vpmd_adapter *ad)
{
	return vhost_user_is_connected(ad->vu);
}

static uint16_t vu_max_queue_pairs(const struct vpmd_adapter *ad)
{
	uint32_t n = vhost_user_queue_num(ad->vu);

	return n > UINT16_MAX ? UINT16_MAX : (uint16_t)n;
}

static int vu_ctrl_queue_index(const struct vpmd_adapter *ad)
{
	return vhost_user_ctrl_queue_index(ad->vu);
}

static int vu_check(struct rte_eth_dev *dev, bool *carrier)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	bool up = *carrier;

	if (vhost_user_check_connection(ad->vu) != 0)
		return -ECONNRESET;
	/* A memory event that found the control lock taken left its table to us. */
	vpmd_mem_refresh(ad);
	/* Rings made anew since the application armed its rx interrupts. */
	vpmd_intr_rearm_check(dev);
	/*
	 * The link is the device's STATUS where the backend lets us read its
	 * configuration (the CONFIG protocol feature); else a connected
	 * backend is a link up. A failed read is not a lost device: the
	 * connection check says that.
	 */
	if (vpmd_link_config_read(ad, &up) == 0)
		*carrier = up;
	return 0;
}

static int vu_set_mtu(struct vpmd_adapter *ad, uint16_t mtu)
{
	return vhost_user_set_mtu(ad->vu, mtu);
}

static int vu_reattach(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);

	vhost_user_set_connect_timeout(ad->vu, VU_RECONNECT_WAIT_MS);
	return vhost_user_connect(ad->vu);
}

static void vu_detach(struct vpmd_adapter *ad)
{
	vhost_user_disconnect(ad->vu);
}

static int vu_rx_filter_state(const struct vpmd_adapter *ad, struct vhost_user_ctrl_state *st)
{
	return vhost_user_ctrl_get_state(ad->vu, st);
}

const struct vpmd_bus_ops vpmd_bus_vhost_user = {
	.name = "vhost-user",
	.dev_addr_iova = false,
	.reset_before_drain = false,
	.transport_init = vu_transport_init,
	.transport_fini = vu_transport_fini,
	.attach = vu_attach,
	.present = vu_present,
	.prepare = vpmd_mem_regions_set,
	.set_mtu = vu_set_mtu,
	.max_queue_pairs = vu_max_queue_pairs,
	.ctrl_queue_index = vu_ctrl_queue_index,
	.check = vu_check,
	.reattach = vu_reattach,
	.detach = vu_detach,
	.rx_filter_state = vu_rx_filter_state,
};

static int vpmd_vdev_probe(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct vpmd_devargs args;
	struct rte_eth_dev *dev;
	int rc;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		/* The primary's port, read from here (vpmd_secondary.c): no transport, no devargs. */
		dev = rte_eth_dev_attach_secondary(name);
		if (dev == NULL) {
			VPMD_INIT_LOG(ERR, "%s: not a port of the primary process", name);
			return -ENODEV;
		}
		dev->device = &vdev->device;
		rc = vpmd_secondary_init(dev);
		if (rc < 0) {
			rte_eth_dev_release_port(dev);
			return rc;
		}
		rte_eth_dev_probing_finish(dev);
		return 0;
	}
	rc = vpmd_devargs_parse(name, rte_vdev_device_args(vdev), VPMD_DEVARGS_VHOST_USER, &args);
	if (rc < 0)
		return rc;
	/* Drawn once: a dev_reset goes back to this MAC, not to a new one. */
	if (!args.mac_set)
		rte_eth_random_addr(args.mac.addr_bytes);

	dev = rte_eth_vdev_allocate(vdev, sizeof(struct vpmd_adapter));
	if (dev == NULL)
		return -ENOMEM;
	rc = vpmd_ethdev_init(dev, &vpmd_bus_vhost_user, &args, args.path);
	if (rc < 0) {
		vpmd_ethdev_uninit(dev);
		rte_eth_dev_release_port(dev);
		return rc;
	}
	rte_eth_dev_probing_finish(dev);
	VPMD_INIT_LOG(INFO, "%s: vhost-user %s %s, %s rings", name,
		      args.server ? "server" : "client", args.path,
		      args.packed_vq ? "packed" : "split");
	return 0;
}

static int vpmd_vdev_remove(struct rte_vdev_device *vdev)
{
	struct rte_eth_dev *dev = rte_eth_dev_allocated(rte_vdev_device_name(vdev));

	if (dev == NULL)
		return 0; /* already closed */
	vpmd_dev_close(dev);
	return rte_eth_dev_release_port(dev);
}

static struct rte_vdev_driver vpmd_vdev_driver = {
	.probe = vpmd_vdev_probe,
	.remove = vpmd_vdev_remove,
};

RTE_PMD_REGISTER_VDEV(net_vpmd, vpmd_vdev_driver);
RTE_PMD_REGISTER_PARAM_STRING(net_vpmd, VPMD_DEVARGS_LIST);
