/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_vpmd: the ethdev control ops, and what the vdev (vpmd_vu.c) and
 * PCI (vpmd_pci.c) probes share.
 *
 * Probe parses and checks the devargs and creates the transport without
 * starting the device. dev_start reaches the device through its bus
 * (vhost-user: connects, or waits for the backend), negotiates, sets up
 * the rings and sets DRIVER_OK; dev_stop takes the rings back.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>
#include <rte_ether.h>
#include <rte_kvargs.h>
#include <rte_malloc.h>

#include <vpmd/virtio_spec.h>

#include "vpmd.h"
#include "vpmd_logs.h"
#include "vpmd_offload.h"
#include "vpmd_secondary.h"

RTE_LOG_REGISTER(vpmd_logtype_init, pmd.net.vpmd.init, NOTICE);
RTE_LOG_REGISTER(vpmd_logtype_driver, pmd.net.vpmd.driver, NOTICE);

#define VPMD_MAX_RX_PKTLEN 9728
/* A coalesced TCP packet: 64 KiB of IP datagram behind its Ethernet header. */
#define VPMD_MAX_LRO_PKTLEN (UINT16_MAX + RTE_ETHER_HDR_LEN)

static uint16_t vpmd_max_mtu(const struct vpmd_adapter *ad);

/* What we ask of the device; devargs may add or remove some. */
static uint64_t supported_features(const struct vpmd_devargs *a)
{
	/*
	 * ACCESS_PLATFORM: descriptors may carry IOVAs behind an IOMMU (PCI
	 * with iommu_platform=on needs it); a vhost-user backend does not offer it.
	 */
	uint64_t f = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_MAC) |
		     VIRTIO_BIT(VIRTIO_NET_F_STATUS) | VIRTIO_BIT(VIRTIO_NET_F_MTU) |
		     VIRTIO_BIT(VIRTIO_NET_F_SPEED_DUPLEX) | VIRTIO_BIT(VIRTIO_F_ACCESS_PLATFORM);

	if (a->packed_vq)
		f |= VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	if (a->mrg_rxbuf)
		f |= VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF);
	if (a->in_order)
		f |= VIRTIO_BIT(VIRTIO_F_IN_ORDER);
	if (a->event_idx)
		f |= VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX);
	if (a->ctrl_vq)
		f |= VIRTIO_BIT(VIRTIO_NET_F_CTRL_VQ) | VIRTIO_BIT(VIRTIO_NET_F_CTRL_RX) |
		     VIRTIO_BIT(VIRTIO_NET_F_CTRL_VLAN) | VIRTIO_BIT(VIRTIO_NET_F_CTRL_MAC_ADDR) |
		     VIRTIO_BIT(VIRTIO_NET_F_MQ);
	return f;
}

static int vpmd_dev_configure(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	const struct rte_eth_conf *conf = &dev->data->dev_conf;
	int rc;

	if (dev->data->nb_rx_queues != dev->data->nb_tx_queues) {
		VPMD_DRV_LOG(ERR, ad->name, "%u rx and %u tx queues: virtio-net queues go in pairs",
			     dev->data->nb_rx_queues, dev->data->nb_tx_queues);
		return -EINVAL;
	}
	if (conf->rxmode.mq_mode & ~RTE_ETH_MQ_RX_RSS_FLAG) {
		VPMD_DRV_LOG(ERR, ad->name, "rx multi-queue mode %d is not supported",
			     conf->rxmode.mq_mode);
		return -ENOTSUP;
	}
	rc = vpmd_rss_configure(dev);
	if (rc < 0)
		return rc;
	/* A coalesced packet needs many buffers: only mergeable ones can hold it. */
	if ((conf->rxmode.offloads & RTE_ETH_RX_OFFLOAD_TCP_LRO) && !ad->args.mrg_rxbuf) {
		VPMD_DRV_LOG(ERR, ad->name, "LRO needs mergeable rx buffers (mrg_rxbuf=1)");
		return -EINVAL;
	}
	/*
	 * ethdev has already made the port's MTU the application's, or 1500
	 * when it left it at 0: the mtu devarg is the port's own default, so
	 * it stands in for 1500 (ethdev checked 1500; the devarg was checked
	 * against the port's largest at probe).
	 */
	if (ad->args.mtu != 0 && conf->rxmode.mtu == RTE_ETHER_MTU &&
	    ad->args.mtu <= vpmd_max_mtu(ad)) {
		dev->data->mtu = ad->args.mtu;
		dev->data->dev_conf.rxmode.mtu = ad->args.mtu;
	}
	ad->features_offload = vpmd_offload_features(conf->rxmode.offloads, conf->txmode.offloads) |
			       vpmd_rss_features(dev);
	ad->features_supported = supported_features(&ad->args) | ad->features_offload;
	return 0;
}

/*
 * The largest MTU: what our receive path takes, or less where the device
 * says so (VIRTIO_NET_F_MTU, 5.1.4.1: "the driver MUST NOT ... use an MTU
 * larger than mtu").
 */
static uint16_t vpmd_max_mtu(const struct vpmd_adapter *ad)
{
	uint16_t max = VPMD_MAX_RX_PKTLEN - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN;

	return ad->device_mtu != 0 && ad->device_mtu < max ? ad->device_mtu : max;
}

static int vpmd_link_update(struct rte_eth_dev *dev, int wait_to_complete)
{
	(void)wait_to_complete;
	vpmd_link_report(dev);
	return 0;
}

static int vpmd_dev_start(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	int rc;

	/*
	 * Under the control lock, as the monitor brings a device up: a memory
	 * event (vpmd_mem.c) must not send its table while the rings are built.
	 */
	vpmd_ctrl_lock(ad);
	rc = ad->bus->attach(dev);
	if (rc == 0) {
		rc = vpmd_device_up(dev);
		ad->device_up = rc == 0;
		if (rc < 0) {
			vpmd_ctrl_unlock(ad);
			return rc;
		}
	}
	vpmd_ctrl_unlock(ad);
	if (rc < 0 && rc != -EAGAIN) /* a device not there yet is waited for */
		return rc;

	dev->rx_pkt_burst = vpmd_recv_pkts;
	dev->tx_pkt_burst = vpmd_xmit_pkts;
	/* Every queue but the deferred ones, and the link (vpmd_qops.c). */
	vpmd_queue_states_start(dev);
	ad->started = true;
	if (ad->device_up)
		VPMD_INIT_LOG(INFO, "%s: %s rings, %s rx buffers", ad->name,
			      virtio_dev_has_feature(&ad->vdev, VIRTIO_F_RING_PACKED) ? "packed"
										     : "split",
			      virtio_dev_has_feature(&ad->vdev, VIRTIO_NET_F_MRG_RXBUF) ? "mergeable"
											 : "single");
	vpmd_link_report(dev);
	rc = vpmd_monitor_start(dev);
	if (rc < 0)
		VPMD_DRV_LOG(WARNING, ad->name, "no link monitor (%s): no recovery",
			     rte_strerror(-rc));
	return 0;
}

static int vpmd_dev_stop(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	uint16_t q;

	if (!ad->started)
		return 0;
	vpmd_monitor_stop(dev);
	/* Not under a memory event's table update (vpmd_mem.c). */
	vpmd_ctrl_lock(ad);
	ad->started = false;
	dev->rx_pkt_burst = rte_eth_pkt_burst_dummy;
	dev->tx_pkt_burst = rte_eth_pkt_burst_dummy;
	vpmd_device_down(dev);
	ad->device_up = false;
	vpmd_ctrl_unlock(ad);
	for (q = 0; q < dev->data->nb_rx_queues; q++)
		dev->data->rx_queue_state[q] = RTE_ETH_QUEUE_STATE_STOPPED;
	for (q = 0; q < dev->data->nb_tx_queues; q++)
		dev->data->tx_queue_state[q] = RTE_ETH_QUEUE_STATE_STOPPED;
	vpmd_link_report(dev);
	return 0;
}

/* Stop, and free what probe and the queue setups made (not mac_addrs: ethdev's). */
static void adapter_release(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	uint16_t q;

	/* Telemetry readers leave the adapter before it is taken apart. */
	vpmd_telemetry_close(ad);
	vpmd_dev_stop(dev);
	for (q = 0; q < dev->data->nb_rx_queues; q++)
		vpmd_rx_queue_release(dev, q);
	for (q = 0; q < dev->data->nb_tx_queues; q++)
		vpmd_tx_queue_release(dev, q);
	vpmd_ctrl_fini(dev);
	ad->bus->transport_fini(ad);
}

/* The transport, the device core and the control queue, as probe leaves them. */
static int adapter_init(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	int rc;

	rc = ad->bus->transport_init(dev);
	if (rc < 0)
		return rc;
	rc = vpmd_ctrl_init(dev);
	if (rc < 0)
		return rc;
	/* The devargs MAC, or the one probe took from the device or drew; no others. */
	memset(dev->data->mac_addrs, 0, VPMD_MAC_ADDRS * RTE_ETHER_ADDR_LEN);
	rte_ether_addr_copy(&ad->args.mac, dev->data->mac_addrs);
	if (ad->args.mtu > vpmd_max_mtu(ad)) {
		VPMD_INIT_LOG(ERR, "%s: mtu=%u is above the largest this port takes, %u", ad->name,
			      ad->args.mtu, vpmd_max_mtu(ad));
		return -EINVAL;
	}
	dev->data->mtu = ad->args.mtu ? ad->args.mtu : RTE_ETHER_MTU;
	ad->reconnects = 0;
	return 0;
}

int vpmd_dev_close(struct rte_eth_dev *dev)
{
	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return 0;
	adapter_release(dev);
	rte_free(vpmd_adapter_of(dev)->ring_totals);
	vpmd_adapter_of(dev)->ring_totals = NULL;
	/* ethdev frees mac_addrs with the port. */
	return 0;
}

/*
 * rte_eth_dev_reset(): ethdev has stopped the port. Back to the state
 * probe left it in: queues released, the transport made anew (a
 * vhost-user backend sees a disconnect, as for a device reset), the
 * probed MAC and MTU. The application configures, sets up queues and
 * starts again; the next start brings the device up.
 */
static int vpmd_dev_reset(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	int rc;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return -ENOTSUP;
	adapter_release(dev);
	rc = adapter_init(dev);
	if (rc < 0) {
		VPMD_DRV_LOG(ERR, ad->name, "reset: %s", rte_strerror(-rc));
		vpmd_ctrl_fini(dev);
		ad->bus->transport_fini(ad);
		return rc;
	}
	/* adapter_release() shut telemetry readers out: the port is theirs again. */
	__atomic_store_n(&ad->closing, false, __ATOMIC_SEQ_CST);
	VPMD_DRV_LOG(INFO, ad->name, "reset to its probed state");
	return 0;
}

static int vpmd_dev_infos_get(struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);

	info->max_rx_queues = ad->args.queues;
	info->max_tx_queues = ad->args.queues;
	/* The primary, and a unicast table with the control queue (CTRL_RX). */
	info->max_mac_addrs = ad->args.ctrl_vq ? VPMD_MAC_ADDRS : 1;
	info->min_rx_bufsize = RTE_ETHER_MIN_LEN;
	info->max_rx_pktlen = VPMD_MAX_RX_PKTLEN;
	info->min_mtu = RTE_ETHER_MIN_MTU;
	info->max_mtu = vpmd_max_mtu(ad);
	info->rx_desc_lim = (struct rte_eth_desc_lim){
		/* More than the ring's queue_size is taken as it (vpmd_queue.c). */
		.nb_max = VIRTQ_MAX_SIZE,
		.nb_min = 64,
		.nb_align = 1,
	};
	info->tx_desc_lim = info->rx_desc_lim;
	info->default_rxportconf.ring_size = RTE_MIN(ad->args.queue_size, 256);
	info->default_txportconf.ring_size = RTE_MIN(ad->args.queue_size, 256);
	/* What we can do if the device offers it; dev_start fails if it does not. */
	info->tx_offload_capa = VPMD_TX_OFFLOAD_CAPA;
	info->rx_offload_capa = VPMD_RX_OFFLOAD_CAPA | vpmd_ctrl_rx_offload_capa(dev);
	info->max_lro_pkt_size = VPMD_MAX_LRO_PKTLEN;
	info->speed_capa = RTE_ETH_LINK_SPEED_FIXED;
	vpmd_rss_infos(dev, info);
	return 0;
}

/*
 * ethdev records the MTU in dev->data once we accept it. A device that
 * can be told (vhost-user NET_SET_MTU) is told now if it is up, else at
 * its next bring-up.
 */
static int vpmd_mtu_set(struct rte_eth_dev *dev, uint16_t mtu)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	int rc = 0;

	if (mtu < RTE_ETHER_MIN_MTU || mtu > vpmd_max_mtu(ad))
		return -EINVAL;
	vpmd_ctrl_lock(ad);
	if (ad->device_up && ad->bus->set_mtu != NULL) {
		rc = ad->bus->set_mtu(ad, mtu);
		if (rc == -ENOTSUP)
			rc = 0;
		else if (rc < 0)
			VPMD_DRV_LOG(ERR, ad->name, "the device refused MTU %u: %s", mtu,
				     rte_strerror(-rc));
	}
	vpmd_ctrl_unlock(ad);
	return rc;
}

void vpmd_burst_describe(struct rte_eth_dev *dev, bool rx, uint16_t queue_id, char *buf,
			 size_t size)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	const char *path = "scalar";

	/* Under the stats lock: the link monitor replaces rings under it. */
	rte_spinlock_lock(&ad->stats_lock);
	if (rx && queue_id < dev->data->nb_rx_queues && dev->data->rx_queues[queue_id] != NULL) {
		const struct vpmd_rxq *rxq = dev->data->rx_queues[queue_id];

		if (rxq->vq != NULL)
			path = vq_datapath(rxq->vq);
	}
	snprintf(buf, size, "%s %s%s%s", ad->args.packed_vq ? "packed" : "split", path,
		 virtio_dev_has_feature(&ad->vdev, VIRTIO_NET_F_MRG_RXBUF) ? " mergeable" : "",
		 virtio_dev_has_feature(&ad->vdev, VIRTIO_F_IN_ORDER) ? " in-order" : "");
	rte_spinlock_unlock(&ad->stats_lock);
}

static int vpmd_rx_burst_mode_get(struct rte_eth_dev *dev, uint16_t queue_id,
				  struct rte_eth_burst_mode *mode)
{
	vpmd_burst_describe(dev, true, queue_id, mode->info, sizeof(mode->info));
	return 0;
}

static int vpmd_tx_burst_mode_get(struct rte_eth_dev *dev, uint16_t queue_id,
				  struct rte_eth_burst_mode *mode)
{
	vpmd_burst_describe(dev, false, queue_id, mode->info, sizeof(mode->info));
	return 0;
}

static const struct eth_dev_ops vpmd_ops = {
	.dev_configure = vpmd_dev_configure,
	.dev_start = vpmd_dev_start,
	.dev_stop = vpmd_dev_stop,
	.dev_close = vpmd_dev_close,
	.dev_reset = vpmd_dev_reset,
	.dev_infos_get = vpmd_dev_infos_get,
	.link_update = vpmd_link_update,
	.rx_queue_setup = vpmd_rx_queue_setup,
	.tx_queue_setup = vpmd_tx_queue_setup,
	.rx_queue_release = vpmd_rx_queue_release,
	.tx_queue_release = vpmd_tx_queue_release,
	.stats_get = vpmd_stats_get,
	.stats_reset = vpmd_stats_reset,
	.xstats_get = vpmd_xstats_get,
	.xstats_get_names = vpmd_xstats_get_names,
	.promiscuous_enable = vpmd_promiscuous_enable,
	.promiscuous_disable = vpmd_promiscuous_disable,
	.allmulticast_enable = vpmd_allmulticast_enable,
	.allmulticast_disable = vpmd_allmulticast_disable,
	.mac_addr_set = vpmd_mac_addr_set,
	.mac_addr_add = vpmd_mac_addr_add,
	.mac_addr_remove = vpmd_mac_addr_remove,
	.set_mc_addr_list = vpmd_set_mc_addr_list,
	.vlan_filter_set = vpmd_vlan_filter_set,
	.vlan_offload_set = vpmd_vlan_offload_set,
	.mtu_set = vpmd_mtu_set,
	.rss_hash_update = vpmd_rss_hash_update,
	.rss_hash_conf_get = vpmd_rss_hash_conf_get,
	.reta_update = vpmd_reta_update,
	.reta_query = vpmd_reta_query,
	.rx_burst_mode_get = vpmd_rx_burst_mode_get,
	.tx_burst_mode_get = vpmd_tx_burst_mode_get,
	.rx_queue_intr_enable = vpmd_rx_queue_intr_enable,
	.rx_queue_intr_disable = vpmd_rx_queue_intr_disable,
	.rx_queue_start = vpmd_rx_queue_start,
	.rx_queue_stop = vpmd_rx_queue_stop,
	.tx_queue_start = vpmd_tx_queue_start,
	.tx_queue_stop = vpmd_tx_queue_stop,
	.rxq_info_get = vpmd_rxq_info_get,
	.txq_info_get = vpmd_txq_info_get,
	.dev_set_link_up = vpmd_dev_set_link_up,
	.dev_set_link_down = vpmd_dev_set_link_down,
	.fw_version_get = vpmd_fw_version_get,
};

/* For a secondary process's allow-list of these ops (vpmd_secondary.c). */
const struct eth_dev_ops *vpmd_ethdev_ops(void)
{
	return &vpmd_ops;
}

/*
 * Ring alignment: a legacy PCI device takes a ring as a page frame number,
 * with its used ring on the next page boundary (4.1.4.8, 2.7).
 */
uint16_t vpmd_ring_align(const struct vpmd_adapter *ad)
{
	return ad->pci != NULL ? 4096 : RTE_CACHE_LINE_SIZE;
}

uint32_t vpmd_ring_used_align(const struct vpmd_adapter *ad)
{
	return ad->vdev.modern ? 0 : VRING_LEGACY_ALIGN;
}

/*
 * What the vdev and PCI probes share, once the ethdev port is allocated:
 * the adapter, the transport (bus->transport_init), the control queue, the
 * ops. The caller finishes probing (rte_eth_dev_probing_finish) on success
 * and releases the port on failure, after vpmd_ethdev_uninit().
 */
int vpmd_ethdev_init(struct rte_eth_dev *dev, const struct vpmd_bus_ops *bus,
		     const struct vpmd_devargs *args, const char *location)
{
	struct vpmd_adapter *ad = dev->data->dev_private;
	int rc;

	snprintf(ad->name, sizeof(ad->name), "%s", dev->data->name);
	snprintf(ad->location, sizeof(ad->location), "%s", location);
	ad->bus = bus;
	ad->args = *args;
	ad->link_speed = args->speed;
	ad->link_full_duplex = true;
	ad->carrier = true;
	ad->features_supported = supported_features(&ad->args);

	rte_spinlock_init(&ad->stats_lock);
	/* Rings' counters for the port's life: an rx and a tx ring per pair. */
	ad->ring_totals = rte_zmalloc(ad->name, 2u * args->queues * sizeof(*ad->ring_totals), 0);
	dev->data->mac_addrs = rte_zmalloc(ad->name, VPMD_MAC_ADDRS * RTE_ETHER_ADDR_LEN, 0);
	if (dev->data->mac_addrs == NULL || ad->ring_totals == NULL)
		return -ENOMEM;
	rc = adapter_init(dev);
	if (rc < 0)
		return rc;
	dev->dev_ops = &vpmd_ops;
	dev->rx_pkt_burst = rte_eth_pkt_burst_dummy;
	dev->tx_pkt_burst = rte_eth_pkt_burst_dummy;
	dev->tx_pkt_prepare = vpmd_tx_prepare;
	/* Link-state events: the monitor raises them when the device goes and comes back. */
	dev->data->dev_flags |= RTE_ETH_DEV_INTR_LSC;
	return 0;
}

/* Undo a failed vpmd_ethdev_init(). */
void vpmd_ethdev_uninit(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = dev->data->dev_private;

	vpmd_ctrl_fini(dev);
	if (ad->bus != NULL)
		ad->bus->transport_fini(ad);
	rte_free(ad->ring_totals);
	ad->ring_totals = NULL;
}
