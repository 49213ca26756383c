/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive: buffers are whole mbufs whose vnet header lands in the
 * headroom, just in front of the packet, so the data needs no copy. With
 * MRG_RXBUF a packet spans num_buffers buffers, chained into a
 * multi-segment mbuf; the buffers after the first carry no header, so
 * their data starts where the header would have been.
 */
#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>

#include <vpmd/virtio_spec.h>

#include "vpmd.h"
#include "vpmd_offload.h"
#include "vpmd_trace.h"
#include "vpmd_vlan.h"

/* The device's header ends where the packet starts: @hdr_size bytes into the headroom. */
static inline struct virtio_net_hdr *rx_hdr(struct rte_mbuf *m, uint16_t hdr_size)
{
	return (struct virtio_net_hdr *)((char *)m->buf_addr + RTE_PKTMBUF_HEADROOM - hdr_size);
}

uint64_t vpmd_rx_mbuf_rearm(uint16_t port_id)
{
	struct rte_mbuf mb = {
		.data_off = RTE_PKTMBUF_HEADROOM,
		.nb_segs = 1,
		.port = port_id,
	};
	uint64_t rearm;

	rte_mbuf_refcnt_set(&mb, 1);
	memcpy(&rearm, &mb.rearm_data, sizeof(rearm));
	return rearm;
}

/*
 * Fresh buffers for the ring, taken raw from the pool: a pool's mbufs
 * already have next NULL, nb_segs 1 and refcnt 1 (rte_mbuf.h), so what
 * rte_pktmbuf_reset() would write is one 8-byte store of rearm_data here,
 * and the rest of the first cache line at receive. The second line (next,
 * tx_offload) is never written on the way: an mbuf that goes out through
 * us again is not touched there at all (vpmd_tx.c frees it raw).
 */
int vpmd_rx_refill(struct vpmd_rxq *rxq)
{
	struct rte_mbuf *mbufs[VPMD_RX_REFILL_BATCH];
	struct vq_buf bufs[VPMD_RX_REFILL_BATCH];
	void *cookies[VPMD_RX_REFILL_BATCH];
	uint16_t want, i, n;
	int added = 0;

	while ((want = RTE_MIN(vq_num_free(rxq->vq), VPMD_RX_REFILL_BATCH)) > 0) {
		if (rte_mempool_get_bulk(rxq->mp, (void **)mbufs, want) != 0) {
			rxq->stats.mbuf_alloc_failed += want;
			break;
		}
		for (i = 0; i < want; i++) {
			struct rte_mbuf *m = mbufs[i];

			memcpy(&m->rearm_data, &rxq->mbuf_rearm, sizeof(rxq->mbuf_rearm));
			/* Header in the headroom, then the whole data room. */
			bufs[i].addr = vpmd_mbuf_dev_addr(rxq->dev_iova, m,
							  RTE_PKTMBUF_HEADROOM - rxq->hdr_size);
			bufs[i].len = (uint32_t)(m->buf_len - RTE_PKTMBUF_HEADROOM + rxq->hdr_size);
			cookies[i] = m;
		}
		n = vq_add_bulk(rxq->vq, bufs, cookies, want, true);
		added += n;
		if (n < want) {
			/* Only a broken ring refuses what fits: give the rest back. */
			rte_pktmbuf_free_bulk(&mbufs[n], want - n);
			break;
		}
	}
	/* vq_add_bulk() published what it added: the device can fill it already. */
	return added;
}

/*
 * A used buffer as a one-segment mbuf of @len bytes starting at @data_off.
 * It came from the pool through vpmd_rx_refill(): nb_segs is 1 and next
 * NULL already (the second cache line stays untouched).
 */
static inline void rx_seg_init(struct rte_mbuf *m, uint16_t data_off, uint32_t len)
{
	m->data_off = data_off;
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
}

/*
 * The RSS hash the device reported (HASH_REPORT, 5.1.6.4.3.4), into the
 * mbuf as ethdev defines it; none when it computed none.
 */
static inline void rx_hash(struct rte_mbuf *m)
{
	const struct virtio_net_hdr_hash *h =
		(const void *)((char *)m->buf_addr + RTE_PKTMBUF_HEADROOM - VPMD_HDR_HASH_SIZE);
	uint16_t report = rte_le_to_cpu_16(h->hash_report);

	if (report != VIRTIO_NET_HASH_REPORT_NONE && report <= VIRTIO_NET_HASH_REPORT_UDPV6_EX) {
		m->hash.rss = rte_le_to_cpu_32(h->hash_value);
		m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
	}
}

/* Drop the mergeable packet in progress. */
static void rx_merge_abort(struct vpmd_rxq *rxq)
{
	rxq->stats.errors++;
	rte_pktmbuf_free(rxq->partial_head);
	rxq->partial_head = NULL;
	rxq->partial_left = 0;
}

/*
 * A whole packet, about to be delivered: the receive filter (@filter, when
 * not promiscuous), its offload flags, VLAN stripping (@strip) and its
 * size bucket. False when the filter drops it, or its header is one the
 * device had no right to send: the packet is then freed and counted.
 * The tag is stripped last: the filter looks for it in the frame, and the
 * header's checksum positions count from the frame's start as the device
 * saw it.
 */
static inline bool rx_finish(struct vpmd_rxq *rxq, struct rte_mbuf *m,
			     const struct vpmd_rx_filter *filter, bool strip, uint64_t *sizes)
{
	if (unlikely(filter != NULL) &&
	    !vhost_user_ctrl_rx_accept(&filter->st, rte_pktmbuf_mtod(m, const uint8_t *),
				       m->data_len, filter->vlan_filter)) {
		rxq->stats.filtered++;
		rte_pktmbuf_free(m);
		return false;
	}
	if (rxq->hdr_offload &&
	    unlikely(vpmd_rx_offload(m, rx_hdr(m, rxq->hdr_size), rxq->lro) < 0)) {
		rxq->stats.errors++;
		rte_pktmbuf_free(m);
		return false;
	}
	if (rxq->hash_report)
		rx_hash(m);
	if (strip)
		vpmd_rx_vlan_strip(m);
	*sizes = vpmd_size_tally(*sizes, m->pkt_len);
	return true;
}

/*
 * The common case in a short loop: a plain queue (one buffer a packet, no
 * offload or hash in the header), no receive filter, no VLAN to strip.
 * data_off and port were set at refill; one more store of the first cache
 * line's receive fields per packet.
 */
static inline uint16_t rx_plain(struct vpmd_rxq *rxq, struct rte_mbuf **pkts, const uint32_t *lens,
				uint16_t n, uint64_t *bytes, uint64_t *sizes)
{
	uint16_t nb_rx = 0, i;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t len = lens[i];

		if (unlikely(len == VQ_LEN_REFUSED || len <= rxq->hdr_size)) {
			/* Refused by the ring, or too short to hold a frame: drop it. */
			rxq->stats.errors++;
			rte_pktmbuf_free(m);
			continue;
		}
		len -= rxq->hdr_size;
		m->ol_flags = 0;
		m->packet_type = 0;
		m->pkt_len = len;
		m->data_len = (uint16_t)len;
		m->vlan_tci = 0;
		*bytes += len;
		*sizes = vpmd_size_tally(*sizes, len);
		pkts[nb_rx++] = m;
	}
	return nb_rx;
}

/*
 * Every other case, buffer by buffer: mergeable packets chained across
 * bursts, offload and hash fields read from the header, the receive filter
 * and VLAN stripping (rx_finish()). Packets are compacted in place:
 * pkts[nb_rx] is written only once pkts[i >= nb_rx] was read.
 */
static uint16_t rx_general(struct vpmd_rxq *rxq, struct rte_mbuf **pkts, const uint32_t *lens,
			   uint16_t n, const struct vpmd_rx_filter *filter, bool strip,
			   uint64_t *bytes, uint64_t *sizes)
{
	uint16_t nb_rx = 0, i;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t len = lens[i];
		uint16_t num_buffers = 1;

		if (rxq->partial_head != NULL) {
			/* The next buffer of a mergeable packet: no header of its own. */
			if (len == VQ_LEN_REFUSED || len == 0) {
				rte_pktmbuf_free(m);
				rx_merge_abort(rxq);
				continue;
			}
			rx_seg_init(m, RTE_PKTMBUF_HEADROOM - rxq->hdr_size, len);
			rxq->partial_tail->next = m;
			rxq->partial_tail = m;
			rxq->partial_head->nb_segs++;
			rxq->partial_head->pkt_len += len;
			if (--rxq->partial_left > 0)
				continue;
			m = rxq->partial_head;
			rxq->partial_head = NULL;
		} else {
			if (len == VQ_LEN_REFUSED || len <= rxq->hdr_size) {
				/* Refused by the ring, or too short to hold a frame: drop it. */
				rxq->stats.errors++;
				rte_pktmbuf_free(m);
				continue;
			}
			/* port, as data_off, was set at refill (rearm_data). */
			rx_seg_init(m, RTE_PKTMBUF_HEADROOM, len - rxq->hdr_size);
			m->ol_flags = 0;
			m->packet_type = 0;
			m->vlan_tci = 0;
			if (rxq->mrg_rxbuf)
				num_buffers =
				    rte_le_to_cpu_16(rx_hdr(m, rxq->hdr_size)->num_buffers);
			if (num_buffers > 1) {
				if (num_buffers > vq_size(rxq->vq)) {
					rxq->stats.errors++;
					rte_pktmbuf_free(m);
					continue;
				}
				rxq->partial_head = m;
				rxq->partial_tail = m;
				rxq->partial_left = (uint16_t)(num_buffers - 1);
				continue;
			}
		}
		if (!rx_finish(rxq, m, filter, strip, sizes))
			continue;
		pkts[nb_rx++] = m;
		*bytes += m->pkt_len;
	}
	/* A ring the device broke delivers nothing more: nor does a packet half received. */
	if (unlikely(rxq->partial_head != NULL && vq_is_broken(rxq->vq)))
		rx_merge_abort(rxq);
	return nb_rx;
}

uint16_t vpmd_recv_pkts(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct vpmd_rxq *rxq = queue;
	uint32_t lens[VPMD_RX_BURST_MAX];
	uint16_t nb_rx, n;
	uint64_t bytes = 0, sizes = 0;
	struct vpmd_trace_burst tb;
	const struct vpmd_rx_filter *filter;
	bool strip;
	int added;

	if (!vpmd_burst_enter(&rxq->in_burst, rxq->running))
		return 0;
	/* Once per burst; the control thread frees an old one only after the burst (vpmd_ctrl.c). */
	filter = __atomic_load_n(rxq->rx_filter, __ATOMIC_ACQUIRE);
	strip = vpmd_rx_vlan_strip_on(rxq->port_id);
	VPMD_TRACE_BURST_BEGIN(&tb);
	VPMD_TRACE_USED_BEGIN(&tb, &rxq->trace, rxq->vq);
	/*
	 * Never more buffers than packets asked for: each gives at most one.
	 * The ring's cookies, our mbufs, go straight into pkts.
	 */
	n = vq_get_used_bulk(rxq->vq, (void **)pkts, lens, RTE_MIN(nb_pkts, VPMD_RX_BURST_MAX));
	rxq->stats.used_moves += n != 0;
	if (likely(rxq->plain && filter == NULL && !strip))
		nb_rx = rx_plain(rxq, pkts, lens, n, &bytes, &sizes);
	else
		nb_rx = rx_general(rxq, pkts, lens, n, filter, strip, &bytes, &sizes);

	VPMD_TRACE_USED_END(&tb, &rxq->trace, rxq->vq, rxq->port_id, rxq->stats.used_moves);
	rxq->stats.packets += nb_rx;
	rxq->stats.bytes += bytes;
	vpmd_size_tally_flush(&rxq->stats, sizes);
	rxq->stats.burst_bins[vpmd_burst_bin(nb_rx)]++;
	if (vq_num_free(rxq->vq) >= VPMD_RX_REFILL_BATCH || nb_rx == 0) {
		added = vpmd_rx_refill(rxq);
		VPMD_TRACE_REFILL(&tb, &rxq->trace, rxq->vq, rxq->port_id, added);
		if (added > 0)
			VPMD_KICK(&tb, &rxq->trace, rxq->vq, rxq->port_id);
	}
	vpmd_burst_exit(&rxq->in_burst);
	return nb_rx;
}
