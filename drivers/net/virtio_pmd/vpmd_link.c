/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device's life under a started port: bring-up, the link monitor, and
 * recovery when the device is lost and comes back.
 *
 * A monitor alarm on the control thread asks the port's bus how the device
 * is (vpmd_bus.h): a vhost-user socket still connected, a PCI function's
 * link STATUS and NEEDS_RESET. When the device is lost (the backend hangs
 * up, the device asks to be reset), the link goes down, the datapath is
 * paused (it finishes its burst and then leaves the rings alone), and
 * every mbuf on the rings is freed. The monitor then keeps trying to get
 * the device back (reconnect, accept, reset); once it is back, the device
 * is renegotiated, the rings start afresh and the link comes up. The
 * application sees a link-state event each way and never restarts.
 *
 * Starting afresh is the point: whatever the old device left half done in
 * the rings died with it, and both sides agree on a ring that restarts at
 * index 0 with both wrap counters at 1, split or packed alike.
 *
 * A device that writes into a ring what it must not (vq_refuse_reason)
 * has that entry refused and counted; when the ring cannot go on, the
 * ring code gives up on it (broken) and the datapath leaves it. The
 * monitor says so once per ring: in the log, and by an
 * RTE_ETH_EVENT_INTR_RESET event, the application's cue to reset the
 * port (rte_eth_dev_reset), which makes new rings; a reconnect does too.
 * The link stays as the device reports it: the other rings still work.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_alarm.h>
#include <rte_pause.h>

#include <vpmd/virtio_features.h>
#include <vpmd/virtio_net_config.h>
#include <vpmd/virtio_spec.h>

#include "vpmd.h"
#include "vpmd_logs.h"

/* How often the monitor looks at the device. */
#define MONITOR_PERIOD_US (100 * 1000)
/* Tries at a device that connects and does not answer: 100 ms doubled up to 3.2 s. */
#define MONITOR_BACKOFF_MAX_SHIFT 5

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

/*
 * The bursts read each queue's own flag (vpmd_qops.c), which follows
 * running: clearing it there waits for the bursts to leave every ring.
 */
void vpmd_datapath_pause(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);

	/* Pairs with vpmd_burst_enter(): see vpmd.h. */
	__atomic_store_n(&ad->running, false, __ATOMIC_SEQ_CST);
	vpmd_queue_runs_update(dev);
	vpmd_telemetry_readers_wait(ad);
}

static void datapath_resume(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);

	__atomic_store_n(&ad->running, true, __ATOMIC_RELEASE);
	vpmd_queue_runs_update(dev);
}

/*
 * The link as the device's configuration space says it (STATUS), and its
 * speed and duplex (SPEED_DUPLEX), into the adapter, for either bus: a
 * PCI device always has one; a vhost-user backend only with the CONFIG
 * protocol feature (-ENOTSUP otherwise, and the link is the connection).
 */
int vpmd_link_config_read(struct vpmd_adapter *ad, bool *carrier)
{
	struct virtio_net_dev_config cfg;
	int rc;

	rc = virtio_net_config_read(&ad->vdev, ad->vdev.negotiated, &cfg);
	if (rc < 0)
		return rc;
	*carrier = cfg.link_up;
	if (cfg.has_speed_duplex) {
		if (cfg.speed_mbps != 0)
			ad->link_speed = cfg.speed_mbps;
		if (cfg.duplex >= 0)
			ad->link_full_duplex = cfg.duplex == 1;
		ad->link_speed_from_device = cfg.speed_mbps != 0;
	}
	return 0;
}

/*
 * What the negotiated device says of itself in its configuration, at each
 * bring-up (a backend that reconnects may be another one): its MAC, taken
 * as the port's while the port still has the one probe chose and devargs
 * did not set one; and its MTU, the largest the port may use (5.1.4.1).
 * Then the port's MTU is offered to the device where the bus can
 * (vhost-user NET_SET_MTU). A device that cannot be read is no error:
 * a vhost-user backend needs the CONFIG protocol feature for it.
 */
static void device_config_learn(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	struct rte_ether_addr *primary = &dev->data->mac_addrs[0];
	struct virtio_net_dev_config cfg;
	int rc;

	if (virtio_net_config_read(&ad->vdev, ad->vdev.negotiated, &cfg) == 0) {
		if (cfg.has_mac && !ad->args.mac_set &&
		    rte_is_same_ether_addr(primary, &ad->args.mac)) {
			memcpy(ad->args.mac.addr_bytes, cfg.mac, RTE_ETHER_ADDR_LEN);
			rte_ether_addr_copy(&ad->args.mac, primary);
		}
		if (cfg.mtu != 0) {
			ad->device_mtu = cfg.mtu;
			if (dev->data->mtu > cfg.mtu) {
				VPMD_DRV_LOG(WARNING, ad->name,
					     "MTU %u is above the device's %u: %u taken",
					     dev->data->mtu, cfg.mtu, cfg.mtu);
				dev->data->mtu = cfg.mtu;
			}
		}
	}
	if (ad->bus->set_mtu != NULL) {
		rc = ad->bus->set_mtu(ad, dev->data->mtu);
		if (rc < 0 && rc != -ENOTSUP)
			VPMD_DRV_LOG(WARNING, ad->name, "the device did not take MTU %u: %s",
				     dev->data->mtu, rte_strerror(-rc));
	}
}

/*
 * Take the rings back from the device and free what is on them. A device
 * that has a per-queue stop (vhost-user) has each queue torn down while
 * it is still there, then is reset; one that has not (PCI: it may write a
 * used ring until reset, 4.1.4.3.2) is reset first.
 */
static void rings_take_back(struct vpmd_adapter *ad, struct rte_eth_dev *dev)
{
	bool present = ad->bus->present(ad);

	if (present && ad->bus->reset_before_drain)
		virtio_dev_reset(&ad->vdev);
	vpmd_queues_stop(dev);
	vpmd_ctrl_stop(dev);
	if (present && !ad->bus->reset_before_drain)
		virtio_dev_reset(&ad->vdev);
}

int vpmd_device_up(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	uint64_t required = 0; /* the core requires VERSION_1 of a modern device */
	bool carrier = true;
	uint16_t q;
	int rc;

	if (ad->args.packed_vq)
		required |= VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	/* A configured offload the device lacks would send bad checksums: refuse. */
	required |= ad->features_offload;
	if (dev->data->nb_rx_queues > ad->bus->max_queue_pairs(ad)) {
		VPMD_DRV_LOG(ERR, ad->name, "%u queue pairs asked, the device has %u",
			     dev->data->nb_rx_queues, ad->bus->max_queue_pairs(ad));
		return -EINVAL;
	}
	if (ad->bus->prepare != NULL) {
		rc = ad->bus->prepare(ad);
		if (rc < 0)
			return rc;
	}
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
	device_config_learn(dev);

	rc = vpmd_queues_start(dev);
	if (rc < 0)
		goto fail;
	ad->ctrl_broken_said = false;
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
	/* The link as the device reports it; the monitor follows it from here. */
	if (vpmd_link_config_read(ad, &carrier) == 0)
		ad->carrier = carrier;
	datapath_resume(dev);
	return 0;

fail:
	rings_take_back(ad, dev);
	return rc;
}

void vpmd_device_down(struct rte_eth_dev *dev)
{
	vpmd_datapath_pause(dev);
	rings_take_back(vpmd_adapter_of(dev), dev);
}

static void link_set(struct rte_eth_dev *dev, bool up)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	struct rte_eth_link link = {
		.link_speed = up ? ad->link_speed : RTE_ETH_SPEED_NUM_NONE,
		.link_duplex = ad->link_full_duplex ? RTE_ETH_LINK_FULL_DUPLEX
						    : RTE_ETH_LINK_HALF_DUPLEX,
		/*
		 * virtio has no negotiation of its own: a speed the device
		 * reports is the one it settled on, as a negotiated link's
		 * would be; one the speed devarg set is fixed by us.
		 */
		.link_autoneg = ad->link_speed_from_device ? RTE_ETH_LINK_AUTONEG
							   : RTE_ETH_LINK_FIXED,
		.link_status = up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN,
	};

	/* rte_eth_linkstatus_set returns 0 when the status changed. */
	if (rte_eth_linkstatus_set(dev, &link) == 0 && dev->data->dev_conf.intr_conf.lsc)
		rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_LSC, NULL);
}

void vpmd_broken_rings(const struct rte_eth_dev *dev, void (*fn)(void *arg, const char *name),
		       void *arg)
{
	const struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	const struct virtqueue *cvq = vpmd_ctrl_vq(ad);
	char name[16];
	uint16_t q;

	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		const struct vpmd_rxq *rxq = dev->data->rx_queues[q];

		if (rxq != NULL && rxq->vq != NULL && vq_is_broken(rxq->vq)) {
			snprintf(name, sizeof(name), "rx%u", q);
			fn(arg, name);
		}
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		const struct vpmd_txq *txq = dev->data->tx_queues[q];

		if (txq != NULL && txq->vq != NULL && vq_is_broken(txq->vq)) {
			snprintf(name, sizeof(name), "tx%u", q);
			fn(arg, name);
		}
	}
	if (cvq != NULL && vq_is_broken(cvq))
		fn(arg, "ctrl");
}

/* Say once that @vq (ring @name) is broken; true if that is news. */
static bool broken_news(struct vpmd_adapter *ad, const char *name,
			const struct virtqueue *vq, bool *said)
{
	if (vq == NULL || !vq_is_broken(vq) || *said)
		return false;
	*said = true;
	ad->rings_broken++;
	VPMD_DRV_LOG(ERR, ad->name,
		     "queue broken: ring %s, the device wrote a used entry it must not (%s); "
		     "its packets stop until the port is reset or the device reconnects",
		     name, vq_broken_reason(vq));
	return true;
}

/* Announce rings that broke since the last tick; true if any did. */
static bool broken_rings_news(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	bool news = false;
	char name[16];
	uint16_t q;

	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		struct vpmd_rxq *rxq = dev->data->rx_queues[q];

		snprintf(name, sizeof(name), "rx%u", q);
		if (rxq != NULL && broken_news(ad, name, rxq->vq, &rxq->broken_said))
			news = true;
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		struct vpmd_txq *txq = dev->data->tx_queues[q];

		snprintf(name, sizeof(name), "tx%u", q);
		if (txq != NULL && broken_news(ad, name, txq->vq, &txq->broken_said))
			news = true;
	}
	if (broken_news(ad, "ctrl", vpmd_ctrl_vq(ad), &ad->ctrl_broken_said))
		news = true;
	return news;
}

/* Until the monitor's next look: one tick, or longer after tries that timed out. */
static uint64_t monitor_delay_us(const struct vpmd_adapter *ad)
{
	uint32_t shift = ad->device_up ? 0 : ad->reattach_timeouts;

	if (shift > MONITOR_BACKOFF_MAX_SHIFT)
		shift = MONITOR_BACKOFF_MAX_SHIFT;
	return (uint64_t)MONITOR_PERIOD_US << shift;
}

static void monitor(void *arg)
{
	struct rte_eth_dev *dev = arg;
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	int link = -1; /* the change to report, once the lock is released */
	bool broken = false; /* the same for a ring newly broken */
	int rc;

	/* Control-queue ops on the application's thread use the device too. */
	vpmd_ctrl_lock(ad);
	if (ad->device_up) {
		bool carrier = ad->carrier;

		if (ad->bus->check(dev, &carrier) != 0) {
			VPMD_DRV_LOG(WARNING, ad->name, "%s device at %s went away: link down",
				     ad->bus->name, ad->location);
			vpmd_device_down(dev);
			ad->device_up = false;
			ad->reconnects++;
			ad->reattach_failures = 0; /* a new outage */
			ad->reattach_timeouts = 0;
			link = 0;
		} else if (carrier != ad->carrier) {
			ad->carrier = carrier;
			VPMD_DRV_LOG(INFO, ad->name, "device reports link %s", carrier ? "up" : "down");
			link = carrier;
		}
		if (ad->device_up)
			broken = broken_rings_news(dev);
	} else {
		rc = ad->bus->reattach(dev);
		if (rc == 0) {
			rc = vpmd_device_up(dev);
			if (rc < 0 && ad->bus->detach != NULL)
				ad->bus->detach(ad); /* try again from scratch at the next tick */
		}
		if (rc == 0) {
			ad->device_up = true;
			VPMD_DRV_LOG(INFO, ad->name, "%s device at %s is back: link up%s",
				     ad->bus->name, ad->location,
				     ad->reattach_failures ? " (after failed attempts)" : "");
			ad->reattach_failures = 0;
			ad->reattach_timeouts = 0;
			link = 1;
		} else {
			/*
			 * A device that is not there costs a try nothing, and is
			 * tried every tick so that it is seen within one when it
			 * comes back. One that connects and then does not answer
			 * costs this thread a whole reply timeout under the control
			 * lock (the application's control calls wait on it): such
			 * tries are spaced out, twice as far each time.
			 */
			if (rc == -ETIMEDOUT)
				ad->reattach_timeouts++;
			else
				ad->reattach_timeouts = 0;
			/* Said once per outage, not every tick. */
			if (ad->reattach_failures++ == 0)
				VPMD_DRV_LOG(NOTICE, ad->name,
					     "%s device at %s is not back (%s): trying again every %u ms, up to %u ms apart while it does not answer",
					     ad->bus->name, ad->location, rte_strerror(-rc),
					     MONITOR_PERIOD_US / 1000,
					     (MONITOR_PERIOD_US << MONITOR_BACKOFF_MAX_SHIFT) / 1000);
		}
	}
	vpmd_ctrl_unlock(ad);
	/* An LSC callback may call the ops: not under the lock. */
	if (link >= 0)
		vpmd_link_report(dev);
	if (broken)
		rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_RESET, NULL);
	if (rte_eal_alarm_set(monitor_delay_us(ad), monitor, dev) != 0)
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

	link_set(dev, ad->started && ad->device_up && ad->carrier && !ad->link_set_down);
}
