/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Basic stats and xstats. The xstats come from one table of
 * {name, offset} per queue kind (as DPDK's virtio does), so names and
 * values cannot drift apart. The ring's own counters (kicks, refusals)
 * count for the port's life: each reconnect, stop or reset makes new
 * virtqueues, and the old ones' counts are kept in the port's totals
 * (vpmd_queue.c). A stats reset clears the queue counters only.
 *
 * Readers run on any thread (the application's, telemetry's) while the
 * link monitor may replace the rings: they read under the stats lock,
 * which whoever frees or swaps a queue or a ring holds.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include <vpmd/virtio_net_ctrl.h>

#include "vpmd.h"

struct xstat_def {
	const char *name;
	size_t offset; /* into struct vpmd_queue_stats */
};

#define QSTAT(n, f) { n, offsetof(struct vpmd_queue_stats, f) }
static const struct xstat_def queue_xstats[] = {
	QSTAT("packets", packets),
	QSTAT("bytes", bytes),
	QSTAT("errors", errors),
	QSTAT("mbuf_alloc_failed", mbuf_alloc_failed),
	QSTAT("size_64_packets", size_bins[VPMD_SIZE_64]),
	QSTAT("size_65_127_packets", size_bins[VPMD_SIZE_65_127]),
	QSTAT("size_128_255_packets", size_bins[VPMD_SIZE_128_255]),
	QSTAT("size_256_511_packets", size_bins[VPMD_SIZE_256_511]),
	QSTAT("size_512_1023_packets", size_bins[VPMD_SIZE_512_1023]),
	QSTAT("size_1024_1518_packets", size_bins[VPMD_SIZE_1024_1518]),
	QSTAT("size_1519_max_packets", size_bins[VPMD_SIZE_1519_MAX]),
	QSTAT("bursts_1", burst_bins[VPMD_BURST_1]),
	QSTAT("bursts_2_3", burst_bins[VPMD_BURST_2_3]),
	QSTAT("bursts_4_7", burst_bins[VPMD_BURST_4_7]),
	QSTAT("bursts_8_15", burst_bins[VPMD_BURST_8_15]),
	QSTAT("bursts_16_31", burst_bins[VPMD_BURST_16_31]),
	QSTAT("bursts_32_plus", burst_bins[VPMD_BURST_32_PLUS]),
	QSTAT("used_moves", used_moves),
};
/* Receive queues only: a burst of none is a poll that found nothing. */
static const struct xstat_def rx_only_xstats[] = {
	QSTAT("empty_polls", burst_bins[VPMD_BURST_0]),
	QSTAT("filtered", filtered),
};
/* Transmit queues only: a burst of none is one that could send nothing (ring full). */
static const struct xstat_def tx_only_xstats[] = {
	QSTAT("bursts_0", burst_bins[VPMD_BURST_0]),
};
#undef QSTAT

#define VSTAT(n, f) { n, offsetof(struct vq_stats, f) }
static const struct xstat_def ring_xstats[] = {
	VSTAT("kicks", kicks),
	VSTAT("kicks_suppressed", kicks_suppressed),
	VSTAT("ring_full", ring_full),
	VSTAT("chains_added", chains_added),
	VSTAT("chains_used", chains_used),
};
#undef VSTAT

/* The port's control queue: commands by outcome. */
#define CSTAT(n, f) { n, offsetof(struct virtio_net_ctrl_stats, f) }
static const struct xstat_def ctrl_xstats[] = {
	CSTAT("ctrl_commands_ok", ok),
	CSTAT("ctrl_commands_err", err),
	CSTAT("ctrl_commands_timeout", timeout),
	CSTAT("ctrl_commands_late", late),
	CSTAT("ctrl_commands_refused", refused),
};
#undef CSTAT

#define N_CTRL RTE_DIM(ctrl_xstats)
#define N_QUEUE RTE_DIM(queue_xstats)
#define N_RING RTE_DIM(ring_xstats)
#define N_RX_ONLY RTE_DIM(rx_only_xstats)
#define N_TX_ONLY RTE_DIM(tx_only_xstats)
#define PER_QUEUE (N_QUEUE + N_RING + VQ_REFUSE_MAX)
#define PER_RX_QUEUE (PER_QUEUE + N_RX_ONLY)
#define PER_TX_QUEUE (PER_QUEUE + N_TX_ONLY)

static unsigned int xstats_count(const struct rte_eth_dev *dev)
{
	return N_CTRL + dev->data->nb_rx_queues * PER_RX_QUEUE +
	       dev->data->nb_tx_queues * PER_TX_QUEUE;
}

static uint64_t u64_at(const void *base, size_t offset)
{
	uint64_t v;

	memcpy(&v, (const char *)base + offset, sizeof(v));
	return v;
}

/*
 * Entries k.. of one queue from table @defs[@n]: names "KIND_qQ_NAME" if
 * @names, values read at the offsets into @base (0 without one) if @values.
 */
static void table_entries(const char *kind, uint16_t q, const struct xstat_def *defs,
			  unsigned int n, const void *base, struct rte_eth_xstat_name *names,
			  struct rte_eth_xstat *values, unsigned int *k)
{
	unsigned int i;

	for (i = 0; i < n; i++, (*k)++) {
		if (names)
			snprintf(names[*k].name, sizeof(names[*k].name), "%s_q%u_%s", kind, q,
				 defs[i].name);
		if (values)
			values[*k] = (struct rte_eth_xstat){
				*k, base ? u64_at(base, defs[i].offset) : 0 };
	}
}

/*
 * The entries every queue has, from *k on (moved past them); names if
 * @names, values if @values.
 */
static void queue_entries(const char *kind, uint16_t q, const struct vpmd_queue_stats *qs,
			  const struct vq_stats *vs, struct rte_eth_xstat_name *names,
			  struct rte_eth_xstat *values, unsigned int *first)
{
	unsigned int i, k = *first;

	table_entries(kind, q, queue_xstats, N_QUEUE, qs, names, values, &k);
	table_entries(kind, q, ring_xstats, N_RING, vs, names, values, &k);
	for (i = 0; i < VQ_REFUSE_MAX; i++, k++) {
		if (names)
			snprintf(names[k].name, sizeof(names[k].name), "%s_q%u_refused_%s", kind, q,
				 vq_refuse_reason_name(i));
		if (values)
			values[k] = (struct rte_eth_xstat){ k, vs->refused[i] };
	}
	*first = k;
}

/* Ring counters of virtio queue @index: the totals, and the live ring's if there is one. */
static struct vq_stats ring_counts(const struct vpmd_adapter *ad, uint16_t index,
				   const struct virtqueue *vq)
{
	struct vq_stats sum = ad->ring_totals[index];

	if (vq != NULL)
		vq_stats_add(&sum, vq_get_stats(vq));
	return sum;
}

/* With the stats lock held when @values (names never change under a reader). */
static void all_entries(struct rte_eth_dev *dev, const struct virtio_net_ctrl_stats *ctrl,
			struct rte_eth_xstat_name *names, struct rte_eth_xstat *values)
{
	const struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	static const struct vpmd_queue_stats none;
	unsigned int first = 0;
	struct vq_stats vs;
	uint16_t q;

	for (; first < N_CTRL; first++) {
		if (names)
			snprintf(names[first].name, sizeof(names[first].name), "%s",
				 ctrl_xstats[first].name);
		if (values)
			values[first] = (struct rte_eth_xstat){
				first, u64_at(ctrl, ctrl_xstats[first].offset) };
	}

	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		const struct vpmd_rxq *rxq = dev->data->rx_queues[q];
		const struct vpmd_queue_stats *qs = rxq ? &rxq->stats : &none;

		vs = ring_counts(ad, VPMD_RXQ_INDEX(q), rxq ? rxq->vq : NULL);
		queue_entries("rx", q, qs, &vs, names, values, &first);
		table_entries("rx", q, rx_only_xstats, N_RX_ONLY, qs, names, values, &first);
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		const struct vpmd_txq *txq = dev->data->tx_queues[q];
		const struct vpmd_queue_stats *qs = txq ? &txq->stats : &none;

		vs = ring_counts(ad, VPMD_TXQ_INDEX(q), txq ? txq->vq : NULL);
		queue_entries("tx", q, qs, &vs, names, values, &first);
		table_entries("tx", q, tx_only_xstats, N_TX_ONLY, qs, names, values, &first);
	}
}

int vpmd_xstats_get_names(struct rte_eth_dev *dev, struct rte_eth_xstat_name *names,
			  unsigned int size)
{
	unsigned int n = xstats_count(dev);

	if (names == NULL || size < n)
		return (int)n;
	all_entries(dev, NULL, names, NULL);
	return (int)n;
}

int vpmd_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xstats, unsigned int n)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	unsigned int count = xstats_count(dev);
	struct virtio_net_ctrl_stats cs;

	if (xstats == NULL || n < count)
		return (int)count;
	vpmd_ctrl_stats(dev, &cs); /* takes the control lock: not under the spinlock */
	rte_spinlock_lock(&ad->stats_lock);
	all_entries(dev, &cs, NULL, xstats);
	rte_spinlock_unlock(&ad->stats_lock);
	return (int)count;
}

static int table_json(json_t *o, const struct xstat_def *defs, unsigned int n,
		      const struct vpmd_queue_stats *qs)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (json_object_set_new(o, defs[i].name,
					json_integer((json_int_t)u64_at(qs, defs[i].offset))) < 0)
			return -ENOMEM;
	return 0;
}

json_t *vpmd_queue_stats_json(const struct vpmd_queue_stats *qs, bool rx)
{
	json_t *o = json_object();

	if (o == NULL || table_json(o, queue_xstats, N_QUEUE, qs) < 0 ||
	    (rx ? table_json(o, rx_only_xstats, N_RX_ONLY, qs)
		: table_json(o, tx_only_xstats, N_TX_ONLY, qs)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int vpmd_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *stats)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	uint16_t q;

	rte_spinlock_lock(&ad->stats_lock);
	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		const struct vpmd_rxq *rxq = dev->data->rx_queues[q];

		if (rxq == NULL)
			continue;
		stats->ipackets += rxq->stats.packets;
		stats->ibytes += rxq->stats.bytes;
		stats->ierrors += rxq->stats.errors;
		stats->rx_nombuf += rxq->stats.mbuf_alloc_failed;
		if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			stats->q_ipackets[q] = rxq->stats.packets;
			stats->q_ibytes[q] = rxq->stats.bytes;
			stats->q_errors[q] = rxq->stats.errors;
		}
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		const struct vpmd_txq *txq = dev->data->tx_queues[q];

		if (txq == NULL)
			continue;
		stats->opackets += txq->stats.packets;
		stats->obytes += txq->stats.bytes;
		stats->oerrors += txq->stats.errors;
		if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			stats->q_opackets[q] = txq->stats.packets;
			stats->q_obytes[q] = txq->stats.bytes;
		}
	}
	rte_spinlock_unlock(&ad->stats_lock);
	return 0;
}

int vpmd_stats_reset(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	uint16_t q;

	rte_spinlock_lock(&ad->stats_lock);
	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		struct vpmd_rxq *rxq = dev->data->rx_queues[q];

		if (rxq != NULL)
			memset(&rxq->stats, 0, sizeof(rxq->stats));
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		struct vpmd_txq *txq = dev->data->tx_queues[q];

		if (txq != NULL)
			memset(&txq->stats, 0, sizeof(txq->stats));
	}
	rte_spinlock_unlock(&ad->stats_lock);
	return 0;
}
