/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Queue setup and release, and bringing the virtqueues up and down with
 * the device.
 *
 * Ring memory is reserved at queue setup, sized for the queue's nb_desc.
 * The virtqueue itself is created at dev_start, once the features are
 * negotiated, since EVENT_IDX, IN_ORDER and the layout shape it.
 */
/*
 * rte_vect_get_max_simd_bitwidth() is marked experimental in 22.11, yet it
 * is how EAL's --force-max-simd-bitwidth reaches a driver; DPDK's own
 * vector paths read it.
 */
#define ALLOW_EXPERIMENTAL_API

#include <errno.h>
#include <stdio.h>

#include <rte_cpuflags.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>
#include <rte_vect.h>

#include <vpmd/virtio_spec.h>

#include "vpmd.h"
#include "vpmd_logs.h"

/*
 * Ring size for @nb_desc: split rings need a power of two; a legacy PCI
 * device has one size it cannot change (4.1.4.8), which every ring takes.
 * More than the queue_size devarg is taken as queue_size, as DPDK's own
 * virtio does (silently there): applications such as Open vSwitch ask
 * for 2048 whatever the device, and a refusal would fail their port.
 * rxq/txq_info_get report the size taken.
 */
static int ring_size(const struct vpmd_adapter *ad, uint16_t nb_desc, uint16_t *size)
{
	uint32_t n = nb_desc;

	if (ad->pci != NULL && !ad->vdev.modern) {
		if (nb_desc != ad->args.queue_size)
			VPMD_DRV_LOG(INFO, ad->name,
				     "nb_desc %u: a legacy device's rings have %u entries, taken",
				     nb_desc, ad->args.queue_size);
		*size = ad->args.queue_size;
		return 0;
	}
	if (!ad->args.packed_vq)
		n = rte_align32pow2(n);
	if (n == 0 || n > ad->args.queue_size) {
		VPMD_DRV_LOG(INFO, ad->name,
			     "nb_desc %u is more than the ring's %u entries: %u taken; devarg queue_size (up to %u) makes rings larger",
			     nb_desc, ad->args.queue_size, ad->args.queue_size, VIRTQ_MAX_SIZE);
		n = ad->args.queue_size;
	}
	*size = (uint16_t)n;
	return 0;
}

/*
 * Set queue slot @slot to @q (a queue whole, or NULL before the caller
 * frees what it held) as stats readers see it: under their lock.
 */
static void slot_set(struct vpmd_adapter *ad, void **slot, void *q)
{
	rte_spinlock_lock(&ad->stats_lock);
	*slot = q;
	rte_spinlock_unlock(&ad->stats_lock);
}

static const struct rte_memzone *ring_reserve(const struct rte_eth_dev *dev, const char *kind,
					      uint16_t queue_id, uint16_t size,
					      unsigned int socket_id)
{
	const struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	struct vq_config cfg = {
		.layout = ad->args.packed_vq ? VQ_LAYOUT_PACKED : VQ_LAYOUT_SPLIT,
		.size = size,
		.used_align = vpmd_ring_used_align(ad),
	};
	char name[RTE_MEMZONE_NAMESIZE];

	snprintf(name, sizeof(name), "vpmd%u_%s%u", dev->data->port_id, kind, queue_id);
	/* A device doing DMA reads the ring by IOVA: one contiguous range. */
	return rte_memzone_reserve_aligned(name, vq_ring_mem_size(&cfg), (int)socket_id,
					   ad->bus->dev_addr_iova ? RTE_MEMZONE_IOVA_CONTIG : 0,
					   vpmd_ring_align(ad));
}

int vpmd_rx_queue_setup(struct rte_eth_dev *dev, uint16_t queue_id, uint16_t nb_desc,
			unsigned int socket_id, const struct rte_eth_rxconf *conf,
			struct rte_mempool *mp)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	struct vpmd_rxq *rxq;
	uint16_t size;
	int rc;

	rc = ring_size(ad, nb_desc, &size);
	if (rc < 0)
		return rc;
	if (rte_pktmbuf_data_room_size(mp) < RTE_PKTMBUF_HEADROOM + RTE_ETHER_MIN_LEN) {
		VPMD_DRV_LOG(ERR, ad->name, "rx queue %u: mbufs of %u bytes are too small", queue_id,
			     rte_pktmbuf_data_room_size(mp));
		return -EINVAL;
	}
	/* The vnet header goes in the headroom, in front of the packet. */
	if (RTE_PKTMBUF_HEADROOM < VPMD_HDR_HASH_SIZE)
		return -EINVAL;

	vpmd_rx_queue_release(dev, queue_id);
	rxq = rte_zmalloc_socket("vpmd_rxq", sizeof(*rxq), RTE_CACHE_LINE_SIZE, (int)socket_id);
	if (rxq == NULL)
		return -ENOMEM;
	rxq->mz = ring_reserve(dev, "rx", queue_id, size, socket_id);
	if (rxq->mz == NULL) {
		VPMD_DRV_LOG(ERR, ad->name, "rx queue %u: no memory for a ring of %u", queue_id,
			     size);
		rte_free(rxq);
		return -ENOMEM;
	}
	rxq->mp = mp;
	rxq->dev_iova = ad->bus->dev_addr_iova;
	/* Set from the adapter's and the queue's own state (vpmd_qops.c). */
	rxq->running = &rxq->ctl.run;
	rxq->ctl.deferred_start = conf != NULL && conf->rx_deferred_start;
	rxq->ctl.offloads = conf != NULL ? conf->offloads : 0;
	rxq->rx_filter = &ad->rx_filter;
	rxq->port_id = dev->data->port_id;
	rxq->mbuf_rearm = vpmd_rx_mbuf_rearm(rxq->port_id);
	rxq->queue_id = queue_id;
	rxq->nb_desc = size;
	slot_set(ad, &dev->data->rx_queues[queue_id], rxq);
	return 0;
}

int vpmd_tx_queue_setup(struct rte_eth_dev *dev, uint16_t queue_id, uint16_t nb_desc,
			unsigned int socket_id, const struct rte_eth_txconf *conf)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	struct vpmd_txq *txq;
	uint16_t size;
	int rc;

	rc = ring_size(ad, nb_desc, &size);
	if (rc < 0)
		return rc;

	vpmd_tx_queue_release(dev, queue_id);
	txq = rte_zmalloc_socket("vpmd_txq", sizeof(*txq), RTE_CACHE_LINE_SIZE, (int)socket_id);
	if (txq == NULL)
		return -ENOMEM;
	txq->mz = ring_reserve(dev, "tx", queue_id, size, socket_id);
	if (txq->mz == NULL) {
		VPMD_DRV_LOG(ERR, ad->name, "tx queue %u: no memory for a ring of %u", queue_id,
			     size);
		rte_free(txq);
		return -ENOMEM;
	}
	txq->running = &txq->ctl.run;
	txq->ctl.deferred_start = conf != NULL && conf->tx_deferred_start;
	txq->ctl.offloads = conf != NULL ? conf->offloads : 0;
	txq->dev_iova = ad->bus->dev_addr_iova;
	txq->port_id = dev->data->port_id;
	txq->queue_id = queue_id;
	txq->nb_desc = size;
	/*
	 * Reclaim when fewer than this many descriptors are free. It follows
	 * the queue's nb_desc, not the device's largest ring (DPDK bug 1716:
	 * a threshold from the ring size left small queues never reclaimed).
	 */
	txq->free_thresh = conf != NULL && conf->tx_free_thresh != 0 ? conf->tx_free_thresh
								     : RTE_MIN(size / 4, 32);
	if (txq->free_thresh >= size)
		txq->free_thresh = size / 2;
	slot_set(ad, &dev->data->tx_queues[queue_id], txq);
	return 0;
}

static void rxq_drain(struct vpmd_rxq *rxq)
{
	void *m;

	if (rxq->vq != NULL)
		while ((m = vq_detach_unused(rxq->vq)) != NULL)
			rte_pktmbuf_free(m);
	if (rxq->partial_head != NULL)
		rte_pktmbuf_free(rxq->partial_head);
	rxq->partial_head = NULL;
	rxq->partial_tail = NULL;
	rxq->partial_left = 0;
}

static void txq_drain(struct vpmd_txq *txq)
{
	void *m;

	if (txq->vq != NULL)
		while ((m = vq_detach_unused(txq->vq)) != NULL)
			rte_pktmbuf_free(vpmd_tx_cookie_mbuf(m));
}

/*
 * Put @vq's counters into the port's totals for queue @index and destroy
 * it; the datapath has left it. Under the stats lock, so that a reader
 * sees the counts either in the ring or in the totals, never both or none.
 */
static void vq_retire(struct vpmd_adapter *ad, struct virtqueue **vq, uint16_t index)
{
	struct virtqueue *old = *vq;

	if (old == NULL)
		return;
	rte_spinlock_lock(&ad->stats_lock);
	vq_stats_add(&ad->ring_totals[index], vq_get_stats(old));
	*vq = NULL;
	rte_spinlock_unlock(&ad->stats_lock);
	vq_destroy(old);
}

void vpmd_rx_queue_release(struct rte_eth_dev *dev, uint16_t queue_id)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	struct vpmd_rxq *rxq = dev->data->rx_queues[queue_id];

	if (rxq == NULL)
		return;
	slot_set(ad, &dev->data->rx_queues[queue_id], NULL);
	rxq_drain(rxq);
	vq_retire(ad, &rxq->vq, VPMD_RXQ_INDEX(queue_id));
	rte_memzone_free(rxq->mz);
	rte_free(rxq);
}

void vpmd_tx_queue_release(struct rte_eth_dev *dev, uint16_t queue_id)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	struct vpmd_txq *txq = dev->data->tx_queues[queue_id];

	if (txq == NULL)
		return;
	slot_set(ad, &dev->data->tx_queues[queue_id], NULL);
	txq_drain(txq);
	vq_retire(ad, &txq->vq, VPMD_TXQ_INDEX(queue_id));
	rte_memzone_free(txq->mz);
	rte_free(txq);
}

/*
 * The widest vectors a ring may use: what the CPU has, within what the
 * application allows (EAL's --force-max-simd-bitwidth; DPDK's default cap
 * is 256 bits, so AVX-512 is taken only when the cap is lifted, as for
 * DPDK's own vector paths).
 */
static uint16_t vq_simd_bits(void)
{
#ifdef RTE_ARCH_X86
	if (rte_vect_get_max_simd_bitwidth() >= RTE_VECT_SIMD_512 &&
	    rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512F) == 1 &&
	    rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512BW) == 1 &&
	    rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512VL) == 1)
		return 512;
#endif
	return 0;
}

/*
 * (Re)create @vq of port @port over @mz with the negotiated features and
 * give it to the device. Its refusals fire the used_refused probe.
 */
static int vq_bring_up(struct vpmd_adapter *ad, uint16_t port, struct virtqueue **vq,
		       const struct rte_memzone *mz, uint16_t size, uint16_t index)
{
	struct vq_config cfg = {
		.layout = virtio_dev_has_feature(&ad->vdev, VIRTIO_F_RING_PACKED) ? VQ_LAYOUT_PACKED
										    : VQ_LAYOUT_SPLIT,
		.size = size,
		.index = index,
		.features = ad->vdev.negotiated,
		.used_align = vpmd_ring_used_align(ad),
		.notify = virtio_dev_notify,
		.notify_ctx = &ad->vdev,
		.refused = vpmd_trace_refused,
		.refused_ctx = (void *)(uintptr_t)port,
		.max_simd_bits = vq_simd_bits(),
	};
	struct virtqueue *fresh;
	int rc;

	vq_retire(ad, vq, index);
	rc = vq_create(&cfg, mz->addr, vpmd_mz_dev_addr(ad->bus->dev_addr_iova, mz, 0), &fresh);
	if (rc < 0) {
		VPMD_DRV_LOG(ERR, ad->name, "queue %u: %s", index, rte_strerror(-rc));
		return rc;
	}
	rte_spinlock_lock(&ad->stats_lock);
	*vq = fresh;
	rte_spinlock_unlock(&ad->stats_lock);
	rc = virtio_dev_setup_queue(&ad->vdev, *vq);
	if (rc < 0)
		VPMD_DRV_LOG(ERR, ad->name, "queue %u: device setup: %s", index,
			     rte_strerror(-rc));
	return rc;
}

int vpmd_queues_start(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	uint16_t q;
	int rc;

	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		struct vpmd_rxq *rxq = dev->data->rx_queues[q];

		rxq->mrg_rxbuf = virtio_dev_has_feature(&ad->vdev, VIRTIO_NET_F_MRG_RXBUF);
		rxq->hash_report = virtio_dev_has_feature(&ad->vdev, VIRTIO_NET_F_HASH_REPORT);
		rxq->hdr_size = rxq->hash_report ? VPMD_HDR_HASH_SIZE : VPMD_HDR_SIZE;
		rxq->hdr_offload = virtio_dev_has_feature(&ad->vdev, VIRTIO_NET_F_GUEST_CSUM);
		rxq->lro = virtio_dev_has_feature(&ad->vdev, VIRTIO_NET_F_GUEST_TSO4) ||
			   virtio_dev_has_feature(&ad->vdev, VIRTIO_NET_F_GUEST_TSO6);
		/* One buffer a packet, a header with nothing in it for us: vpmd_rx.c's short loop. */
		rxq->plain = !rxq->mrg_rxbuf && !rxq->hdr_offload && !rxq->hash_report;
		rxq->broken_said = false;
		rc = vq_bring_up(ad, rxq->port_id, &rxq->vq, rxq->mz, rxq->nb_desc, VPMD_RXQ_INDEX(q));
		if (rc < 0)
			return rc;
		/* Fill the ring; the device is told at the first kick, after DRIVER_OK. */
		vpmd_rx_refill(rxq);
		if (vq_num_inflight(rxq->vq) == 0) {
			VPMD_DRV_LOG(ERR, ad->name, "rx queue %u: no mbufs to fill the ring", q);
			return -ENOMEM;
		}
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		struct vpmd_txq *txq = dev->data->tx_queues[q];

		txq->hdr_offload = virtio_dev_has_feature(&ad->vdev, VIRTIO_NET_F_CSUM);
		txq->hdr_size = virtio_dev_has_feature(&ad->vdev, VIRTIO_NET_F_HASH_REPORT)
					? VPMD_HDR_HASH_SIZE
					: VPMD_HDR_SIZE;
		txq->broken_said = false;
		rc = vq_bring_up(ad, txq->port_id, &txq->vq, txq->mz, txq->nb_desc, VPMD_TXQ_INDEX(q));
		if (rc < 0)
			return rc;
	}
	return 0;
}

void vpmd_queues_stop(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	uint16_t q;

	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		struct vpmd_rxq *rxq = dev->data->rx_queues[q];

		if (rxq == NULL || rxq->vq == NULL)
			continue;
		/* The device must be done with the ring before its buffers are freed. */
		if (ad->bus->present(ad))
			virtio_dev_teardown_queue(&ad->vdev, rxq->vq);
		rxq_drain(rxq);
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		struct vpmd_txq *txq = dev->data->tx_queues[q];

		if (txq == NULL || txq->vq == NULL)
			continue;
		if (ad->bus->present(ad))
			virtio_dev_teardown_queue(&ad->vdev, txq->vq);
		txq_drain(txq);
	}
}
