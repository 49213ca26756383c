/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device's life under a started port: bring-up, the connection
 * monitor, and recovery when the backend goes away and comes back.
 *
 * A monitor alarm on the control thread checks the vhost-user socket. When
 * the backend hangs up, the link goes down, the datapath is paused (it
 * finishes its burst and then leaves the rings alone), and every mbuf on
 * the rings is freed. The monitor then keeps trying to reconnect (client)
 * or to accept the backend again (server); once it is back, the device is
 * renegotiated, the rings start afresh and the link comes up. The
 * application sees a link-state event each way and never restarts.
 *
 * Starting afresh is the point: whatever the old backend left half done in
 * the rings died with it, and both sides agree on a ring that restarts at
 * index 0 with both wrap counters at 1, split or packed alike.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include <rte_alarm.h>
#include <rte_pause.h>

#include <vpmd/virtio_features.h>
#include <vpmd/virtio_spec.h>

#include "vpmd.h"
#include "vpmd_logs.h"

/* How often the monitor looks at the socket, and how long one reconnect attempt waits. */
#define MONITOR_PERIOD_US (100 * 1000)
#define RECONNECT_WAIT_MS 20

static void log_features(const struct vpmd_adapter *ad)
{
	json_t *names = virtio_features_to_json(ad->vdev.negotiated);
	char *s = names ? json_dumps(names, JSON_COMPACT) : NULL;

	VPMD_INIT_LOG(INFO, "%s: negotiated %s", ad->name, s ? s : "?");
	free(s);
	json_decref(names);
}

/*
 * Wait until no rx burst that began before the caller's last store (made
 * with a full fence after it) is still running: each queue seen outside a
 * burst once. Bursts are short, so the wait is too.
 */
void vpmd_rx_bursts_wait(struct rte_eth_dev *dev)
{
	uint16_t q;

	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		struct vpmd_rxq *rxq = dev->data->rx_queues[q];

		while (rxq != NULL && __atomic_load_n(&rxq->in_burst, __ATOMIC_ACQUIRE))
			rte_pause();
	}
}

void vpmd_datapath_pause(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	uint16_t q;

	/* Pairs with vpmd_burst_enter(): see vpmd.h. */
	__atomic_store_n(&ad->running, false, __ATOMIC_SEQ_CST);
	vpmd_rx_bursts_wait(dev);
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		struct vpmd_txq *txq = dev->data->tx_queues[q];

		while (txq != NULL && __atomic_load_n(&txq->in_burst, __ATOMIC_ACQUIRE))
			rte_pause();
	}
	vpmd_telemetry_readers_wait(ad);
}

static void datapath_resume(struct vpmd_adapter *ad)
{
	__atomic_store_n(&ad->running, true, __ATOMIC_RELEASE);
}

int vpmd_device_up(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	uint64_t required = VIRTIO_BIT(VIRTIO_F_VERSION_1);
	uint16_t q;
	int rc;

	if (ad->args.packed_vq)
		required |= VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	/* A configured offload the device lacks would send bad checksums: refuse. */
	required |= ad->features_offload;
	if (dev->data->nb_rx_queues > vhost_user_queue_num(ad->vu)) {
		VPMD_DRV_LOG(ERR, ad->name, "%u queue pairs asked, the backend has %u",
			     dev->data->nb_rx_queues, vhost_user_queue_num(ad->vu));
		return -EINVAL;
	}
	rc = vpmd_mem_regions_set(ad);
	if (rc < 0)
		return rc;
	rc = virtio_dev_negotiate(&ad->vdev, ad->features_supported, required);
	if (rc < 0) {
		json_t *names = virtio_features_to_json(required & ~ad->vdev.offered);
		char *missing = names ? json_dumps(names, JSON_COMPACT) : NULL;

		VPMD_DRV_LOG(ERR, ad->name,
			     "feature negotiation failed: %s; the device lacks %s (offered 0x%" PRIx64
			     ", asked 0x%" PRIx64 ")",
			     rte_strerror(-rc), missing ? missing : "?", ad->vdev.offered,
			     ad->features_supported);
		free(missing);
		json_decref(names);
		return rc;
	}
	log_features(ad);

	rc = vpmd_queues_start(dev);
	if (rc < 0)
		goto fail;
	rc = vpmd_ctrl_start(dev);
	if (rc < 0)
		goto fail;
	rc = virtio_dev_driver_ok(&ad->vdev);
	if (rc < 0) {
		VPMD_DRV_LOG(ERR, ad->name, "DRIVER_OK refused: %s", rte_strerror(-rc));
		goto fail;
	}
	/* The rx rings were filled before DRIVER_OK: tell the device now. */
	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		struct vpmd_rxq *rxq = dev->data->rx_queues[q];

		vq_notify(rxq->vq);
	}
	/* A device reset forgot rx mode, MAC, VLANs and pairs: tell it again. */
	rc = vpmd_ctrl_replay(dev);
	if (rc < 0)
		goto fail;
	datapath_resume(ad);
	return 0;

fail:
	vpmd_queues_stop(dev);
	vpmd_ctrl_stop(dev);
	virtio_dev_reset(&ad->vdev);
	return rc;
}

void vpmd_device_down(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);

	vpmd_datapath_pause(dev);
	/* With the backend still there, take the rings back properly first. */
	vpmd_queues_stop(dev);
	vpmd_ctrl_stop(dev);
	if (vhost_user_is_connected(ad->vu))
		virtio_dev_reset(&ad->vdev);
}

static void link_set(struct rte_eth_dev *dev, bool up)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	struct rte_eth_link link = {
		.link_speed = up ? ad->args.speed : RTE_ETH_SPEED_NUM_NONE,
		.link_duplex = RTE_ETH_LINK_FULL_DUPLEX,
		.link_autoneg = RTE_ETH_LINK_FIXED,
		.link_status = up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN,
	};

	/* rte_eth_linkstatus_set returns 0 when the status changed. */
	if (rte_eth_linkstatus_set(dev, &link) == 0 && dev->data->dev_conf.intr_conf.lsc)
		rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_LSC, NULL);
}

static void monitor(void *arg)
{
	struct rte_eth_dev *dev = arg;
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	int link = -1; /* the change to report, once the lock is released */
	int rc;

	/* Control-queue ops on the application's thread use the device too. */
	vpmd_ctrl_lock(ad);
	if (ad->device_up) {
		if (vhost_user_check_connection(ad->vu) != 0) {
			VPMD_DRV_LOG(WARNING, ad->name, "vhost-user backend at %s went away: link down",
				     ad->args.path);
			vpmd_device_down(dev);
			ad->device_up = false;
			ad->reconnects++;
			link = 0;
		}
	} else {
		vhost_user_set_connect_timeout(ad->vu, RECONNECT_WAIT_MS);
		rc = vhost_user_connect(ad->vu);
		if (rc == 0) {
			rc = vpmd_device_up(dev);
			if (rc == 0) {
				ad->device_up = true;
				VPMD_DRV_LOG(INFO, ad->name, "vhost-user backend at %s is back: link up",
					     ad->args.path);
				link = 1;
			} else {
				/* Try again from scratch at the next tick. */
				vhost_user_disconnect(ad->vu);
			}
		}
	}
	vpmd_ctrl_unlock(ad);
	/* An LSC callback may call the ops: not under the lock. */
	if (link >= 0)
		link_set(dev, link == 1);
	if (rte_eal_alarm_set(MONITOR_PERIOD_US, monitor, dev) != 0)
		VPMD_DRV_LOG(ERR, ad->name, "cannot re-arm the link monitor: no reconnect");
}

int vpmd_monitor_start(struct rte_eth_dev *dev)
{
	return rte_eal_alarm_set(MONITOR_PERIOD_US, monitor, dev);
}

void vpmd_monitor_stop(struct rte_eth_dev *dev)
{
	/* Waits for a running callback to finish (unless called from it). */
	rte_eal_alarm_cancel(monitor, dev);
}

void vpmd_link_report(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);

	link_set(dev, ad->started && ad->device_up);
}
