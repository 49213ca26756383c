/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transmit: when the mbuf is ours alone to write, the vnet header goes in
 * its headroom, just in front of the data, and header and packet go out as
 * one buffer; the mbuf itself is not modified. Otherwise (shared, indirect, or no headroom) the header goes in
 * a small mbuf of its own chained in front. Segments become a descriptor
 * chain. Completions are reclaimed lazily, when descriptors run short,
 * and the device is kicked at most once per burst, when it asks.
 */
#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>

#include <vpmd/virtio_spec.h>

#include "vpmd.h"
#include "vpmd_trace.h"

#define RECLAIM_BATCH 64

void vpmd_tx_reclaim(struct vpmd_txq *txq)
{
	struct rte_mbuf *done[RECLAIM_BATCH];
	unsigned int n = 0;
	void *cookie;
	uint32_t len;
	int rc;
	struct vpmd_trace_used tr;

	VPMD_TRACE_USED_BEGIN(&tr, txq->vq);
	while ((rc = vq_get_used(txq->vq, &cookie, &len)) != 0) {
		if (rc == -ENOTRECOVERABLE)
			break;
		/* A refused length still gives the mbuf back: free it all the same. */
		if (cookie == NULL)
			continue;
		done[n++] = cookie;
		if (n == RECLAIM_BATCH) {
			rte_pktmbuf_free_bulk(done, n);
			n = 0;
		}
	}
	if (n > 0)
		rte_pktmbuf_free_bulk(done, n);
	VPMD_TRACE_USED_END(&tr, txq->vq, txq->port_id);
}

/* The header can go in @m's own headroom: it is ours alone to write. */
static inline bool tx_can_prepend(const struct rte_mbuf *m)
{
	return rte_pktmbuf_headroom(m) >= VPMD_HDR_SIZE && RTE_MBUF_DIRECT(m) &&
	       rte_mbuf_refcnt_read(m) == 1;
}

/*
 * Make the 12 header bytes at @p zero. They almost always are already, from
 * the buffer's previous trip; the device's core has just read that cache
 * line, so writing it would pull it back across cores on every packet,
 * where reading it leaves it shared (DPDK's virtio does the same).
 */
static inline void tx_hdr_clear(void *p)
{
	uint64_t head;
	uint32_t tail;

	memcpy(&head, p, sizeof(head));
	memcpy(&tail, (char *)p + sizeof(head), sizeof(tail));
	if (head != 0)
		memset(p, 0, sizeof(head));
	if (tail != 0)
		memset((char *)p + sizeof(head), 0, sizeof(tail));
}

/*
 * The header mbuf for a packet whose own headroom cannot take it: chained
 * in front, and the cookie the ring gives back (freeing it frees all).
 */
static struct rte_mbuf *tx_header_mbuf(struct vpmd_txq *txq, struct rte_mbuf *m)
{
	struct rte_mbuf *h = rte_pktmbuf_alloc(m->pool);

	if (h == NULL) {
		txq->stats.mbuf_alloc_failed++;
		return NULL;
	}
	memset(rte_pktmbuf_append(h, VPMD_HDR_SIZE), 0, VPMD_HDR_SIZE);
	h->next = m;
	h->nb_segs = (uint16_t)(m->nb_segs + 1);
	h->pkt_len = m->pkt_len + VPMD_HDR_SIZE;
	return h;
}

/* Undo tx_header_mbuf() for a packet that could not be queued. */
static void tx_header_mbuf_free(struct rte_mbuf *h)
{
	h->next = NULL;
	h->nb_segs = 1;
	rte_pktmbuf_free(h);
}

uint16_t vpmd_xmit_pkts(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct vpmd_txq *txq = queue;
	struct vq_buf bufs[VPMD_TX_MAX_SEGS];
	uint16_t nb_tx = 0, dropped = 0;
	bool reclaimed = false;
	uint64_t bytes = 0;

	if (!vpmd_burst_enter(&txq->in_burst, txq->running))
		return 0;
	if (vq_num_free(txq->vq) < txq->free_thresh) {
		vpmd_tx_reclaim(txq);
		reclaimed = true;
	}

	while (nb_tx < nb_pkts) {
		struct rte_mbuf *m = pkts[nb_tx], *h, *seg;
		uint16_t nsegs = 0;
		uint32_t pkt_len = m->pkt_len;
		bool prepend = tx_can_prepend(m);
		uint16_t need = (uint16_t)(m->nb_segs + !prepend);
		int rc;

		if (need > VPMD_TX_MAX_SEGS) {
			/* Never fits: drop it rather than block the queue behind it. */
			txq->stats.errors++;
			rte_pktmbuf_free(m);
			nb_tx++;
			dropped++;
			continue;
		}
		/*
		 * Short of descriptors: reclaim, but once per burst at most; the
		 * device's index is a contended cache line, not a thing to poll
		 * per packet when the ring is full.
		 */
		if (vq_num_free(txq->vq) < need) {
			if (!reclaimed) {
				vpmd_tx_reclaim(txq);
				reclaimed = true;
			}
			if (vq_num_free(txq->vq) < need)
				break;
		}
		if (prepend) {
			/* The first buffer starts at the header, in the headroom; the mbuf is left as is. */
			char *hdr = rte_pktmbuf_mtod(m, char *) - VPMD_HDR_SIZE;

			tx_hdr_clear(hdr);
			bufs[0].addr = (uint64_t)(uintptr_t)hdr;
			bufs[0].len = (uint32_t)m->data_len + VPMD_HDR_SIZE;
			nsegs = 1;
			seg = m->next;
			h = m;
		} else {
			h = tx_header_mbuf(txq, m);
			if (h == NULL)
				break;
			seg = h;
		}
		for (; seg != NULL; seg = seg->next) {
			bufs[nsegs].addr = rte_pktmbuf_mtod(seg, uint64_t);
			bufs[nsegs].len = seg->data_len;
			nsegs++;
		}
		rc = vq_add(txq->vq, bufs, nsegs, 0, h, 0);
		if (rc != 0) {
			if (h != m)
				tx_header_mbuf_free(h);
			if (rc != -ENOSPC)
				txq->stats.errors++;
			break;
		}
		bytes += pkt_len;
		nb_tx++;
	}

	if (nb_tx > dropped)
		VPMD_KICK(txq->vq, txq->port_id);
	txq->stats.packets += nb_tx - dropped;
	txq->stats.bytes += bytes;
	vpmd_burst_exit(&txq->in_burst);
	return nb_tx;
}
