/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Queue-level ethdev ops: stopping and starting one queue (and deferred
 * start), queue info, setting the link down and up, and the "firmware
 * version" (what the port runs over).
 *
 * virtio has no way to stop one queue of a running device: a per-queue
 * reset needs VIRTIO_F_RING_RESET, which neither the vhost-user backends
 * here nor the PCI devices we meet offer. So stopping a queue stops us,
 * not the device: the ring stays as it is, with the device.
 *  - A stopped rx queue keeps its posted buffers; the device fills them
 *    and then, with none left, drops what it has for that queue (DPDK's
 *    vhost counts them in its own drops). Started again, the queue hands
 *    up what waited in the ring (at most its nb_desc) and goes on.
 *  - A stopped tx queue sends nothing (the application's packets are not
 *    taken: rte_eth_tx_burst returns 0), and what the device had finished
 *    is reclaimed at the stop; what it finishes later, at the next reclaim.
 * Setting the link down does both to every queue and reports the link
 * down; the device, its negotiation and rings stay. dev_start starts
 * every queue that did not ask for deferred start, and the link.
 *
 * How a burst is kept off a ring: each queue has its own run flag, which
 * its burst reads through rxq/txq->running (vpmd_burst_enter, vpmd.h). It
 * is the adapter's running, less a stopped queue, less a link set down;
 * only the control thread writes it (under the control lock when the
 * port is started, the monitor's lock), and clearing it waits for bursts
 * already in. All ops here return 0 or a negative errno.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_pause.h>

#include <vpmd/virtio_spec.h>

#include "vpmd.h"
#include "vpmd_logs.h"

static bool queue_may_run(const struct vpmd_adapter *ad, const struct vpmd_queue_ctl *ctl)
{
	return __atomic_load_n(&ad->running, __ATOMIC_RELAXED) && !ctl->stopped &&
	       !ad->link_set_down;
}

static void in_burst_wait(const uint32_t *in_burst)
{
	while (__atomic_load_n(in_burst, __ATOMIC_ACQUIRE))
		rte_pause();
}

void vpmd_queue_runs_update(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	uint16_t q;

	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		struct vpmd_rxq *rxq = dev->data->rx_queues[q];

		if (rxq != NULL)
			__atomic_store_n(&rxq->ctl.run, queue_may_run(ad, &rxq->ctl),
					 __ATOMIC_SEQ_CST);
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		struct vpmd_txq *txq = dev->data->tx_queues[q];

		if (txq != NULL)
			__atomic_store_n(&txq->ctl.run, queue_may_run(ad, &txq->ctl),
					 __ATOMIC_SEQ_CST);
	}
	/*
	 * Pairs with vpmd_burst_enter() (vpmd.h): a burst that read a flag
	 * set before it was cleared has announced itself by now.
	 */
	vpmd_bursts_barrier();
	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		struct vpmd_rxq *rxq = dev->data->rx_queues[q];

		if (rxq != NULL && !rxq->ctl.run)
			in_burst_wait(&rxq->in_burst);
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		struct vpmd_txq *txq = dev->data->tx_queues[q];

		if (txq != NULL && !txq->ctl.run)
			in_burst_wait(&txq->in_burst);
	}
}

/*
 * Free what the device has finished sending on @txq, whose bursts are
 * kept off (its run flag clear). The ring is live only while running.
 */
static void txq_reclaim(const struct vpmd_adapter *ad, struct vpmd_txq *txq)
{
	void *done[64];
	uint16_t n, i;

	if (!__atomic_load_n(&ad->running, __ATOMIC_RELAXED) || txq->vq == NULL)
		return;
	while ((n = vq_reclaim_bulk(txq->vq, done, RTE_DIM(done))) > 0)
		for (i = 0; i < n; i++)
			rte_pktmbuf_free(vpmd_tx_cookie_mbuf(done[i]));
}

void vpmd_queue_states_start(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	uint16_t q;

	/* A NIC's start brings its link up: so does ours after set_link_down. */
	ad->link_set_down = false;
	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		struct vpmd_rxq *rxq = dev->data->rx_queues[q];

		rxq->ctl.stopped = rxq->ctl.deferred_start;
		dev->data->rx_queue_state[q] = rxq->ctl.stopped ? RTE_ETH_QUEUE_STATE_STOPPED
								: RTE_ETH_QUEUE_STATE_STARTED;
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		struct vpmd_txq *txq = dev->data->tx_queues[q];

		txq->ctl.stopped = txq->ctl.deferred_start;
		dev->data->tx_queue_state[q] = txq->ctl.stopped ? RTE_ETH_QUEUE_STATE_STOPPED
								: RTE_ETH_QUEUE_STATE_STARTED;
	}
	vpmd_queue_runs_update(dev);
}

/* ethdev checked the port is started and the queue exists and is in the other state. */
static int queue_set(struct rte_eth_dev *dev, uint16_t queue_id, bool rx, bool stop)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	struct vpmd_rxq *rxq = rx ? dev->data->rx_queues[queue_id] : NULL;
	struct vpmd_txq *txq = rx ? NULL : dev->data->tx_queues[queue_id];
	struct vpmd_queue_ctl *ctl = rx ? (rxq ? &rxq->ctl : NULL) : (txq ? &txq->ctl : NULL);
	uint8_t state = stop ? RTE_ETH_QUEUE_STATE_STOPPED : RTE_ETH_QUEUE_STATE_STARTED;

	if (ctl == NULL)
		return -EINVAL;
	/* The monitor recomputes the flags when the device goes and comes back. */
	vpmd_ctrl_lock(ad);
	ctl->stopped = stop;
	vpmd_queue_runs_update(dev);
	if (stop && txq != NULL)
		txq_reclaim(ad, txq);
	vpmd_ctrl_unlock(ad);
	if (rx)
		dev->data->rx_queue_state[queue_id] = state;
	else
		dev->data->tx_queue_state[queue_id] = state;
	VPMD_DRV_LOG(INFO, ad->name, "%s queue %u %s", rx ? "rx" : "tx", queue_id,
		     stop ? "stopped" : "started");
	return 0;
}

int vpmd_rx_queue_start(struct rte_eth_dev *dev, uint16_t queue_id)
{
	return queue_set(dev, queue_id, true, false);
}

int vpmd_rx_queue_stop(struct rte_eth_dev *dev, uint16_t queue_id)
{
	return queue_set(dev, queue_id, true, true);
}

int vpmd_tx_queue_start(struct rte_eth_dev *dev, uint16_t queue_id)
{
	return queue_set(dev, queue_id, false, false);
}

int vpmd_tx_queue_stop(struct rte_eth_dev *dev, uint16_t queue_id)
{
	return queue_set(dev, queue_id, false, true);
}

/* Mergeable buffers: a packet may come in a chain of mbufs. */
static bool rx_scattered(const struct vpmd_adapter *ad)
{
	return ad->device_up ? virtio_dev_has_feature(&ad->vdev, VIRTIO_NET_F_MRG_RXBUF)
			     : ad->args.mrg_rxbuf;
}

void vpmd_rxq_info_get(struct rte_eth_dev *dev, uint16_t queue_id, struct rte_eth_rxq_info *qinfo)
{
	const struct vpmd_rxq *rxq = dev->data->rx_queues[queue_id];

	if (rxq == NULL)
		return;
	qinfo->mp = rxq->mp;
	qinfo->nb_desc = rxq->nb_desc; /* the ring's size, after any clamp */
	qinfo->scattered_rx = rx_scattered(vpmd_adapter_of(dev));
	qinfo->rx_buf_size = rte_pktmbuf_data_room_size(rxq->mp) - RTE_PKTMBUF_HEADROOM;
	qinfo->conf.rx_free_thresh = VPMD_RX_REFILL_BATCH;
	qinfo->conf.rx_deferred_start = rxq->ctl.deferred_start;
	qinfo->conf.offloads = rxq->ctl.offloads;
	qinfo->queue_state = dev->data->rx_queue_state[queue_id];
}

void vpmd_txq_info_get(struct rte_eth_dev *dev, uint16_t queue_id, struct rte_eth_txq_info *qinfo)
{
	const struct vpmd_txq *txq = dev->data->tx_queues[queue_id];

	if (txq == NULL)
		return;
	qinfo->nb_desc = txq->nb_desc;
	qinfo->conf.tx_free_thresh = txq->free_thresh;
	qinfo->conf.tx_deferred_start = txq->ctl.deferred_start;
	qinfo->conf.offloads = txq->ctl.offloads;
	qinfo->queue_state = dev->data->tx_queue_state[queue_id];
}

static int link_admin_set(struct rte_eth_dev *dev, bool down)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	uint16_t q;

	vpmd_ctrl_lock(ad);
	ad->link_set_down = down;
	vpmd_queue_runs_update(dev);
	if (down)
		for (q = 0; q < dev->data->nb_tx_queues; q++)
			if (dev->data->tx_queues[q] != NULL)
				txq_reclaim(ad, dev->data->tx_queues[q]);
	vpmd_ctrl_unlock(ad);
	VPMD_DRV_LOG(INFO, ad->name, "link set %s", down ? "down: no traffic either way" : "up");
	/* An LSC callback may call the ops: not under the lock. */
	vpmd_link_report(dev);
	return 0;
}

int vpmd_dev_set_link_up(struct rte_eth_dev *dev)
{
	return link_admin_set(dev, false);
}

int vpmd_dev_set_link_down(struct rte_eth_dev *dev)
{
	return link_admin_set(dev, true);
}

/*
 * What the port runs over, for someone looking at "show port info":
 * "vhost-user split", "virtio-pci modern packed"; the layout the device
 * took once it is up, the one asked for until then. ethdev wants the
 * size needed (with the NUL) when @fw_size is too small.
 */
int vpmd_fw_version_get(struct rte_eth_dev *dev, char *fw_version, size_t fw_size)
{
	const struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	bool packed = ad->device_up ? virtio_dev_has_feature(&ad->vdev, VIRTIO_F_RING_PACKED)
				    : ad->args.packed_vq;
	int n;

	if (ad->pci != NULL)
		n = snprintf(fw_version, fw_size, "virtio-pci %s %s%s",
			     ad->vdev.modern ? "modern" : "legacy", packed ? "packed" : "split",
			     ad->device_up ? "" : " (down)");
	else
		n = snprintf(fw_version, fw_size, "%s %s%s", ad->bus->name,
			     packed ? "packed" : "split", ad->device_up ? "" : " (down)");
	if (n < 0)
		return -EINVAL;
	return (size_t)n < fw_size ? 0 : n + 1;
}
