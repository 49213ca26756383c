/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transmit: the vnet header is prepended in the mbuf's headroom when the
 * mbuf is ours alone to write, so header and packet go out as one
 * buffer. Otherwise (shared, indirect, or no headroom) the header goes in
 * a small mbuf of its own chained in front. Segments become a descriptor
 * chain. Completions are reclaimed lazily, when descriptors run short,
 * and the device is kicked at most once per burst, when it asks.
 */
#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>

#include <vpmd/virtio_spec.h>

#include "vpmd.h"

void vpmd_tx_reclaim(struct vpmd_txq *txq)
{
	void *cookie;
	uint32_t len;
	int rc;

	while ((rc = vq_get_used(txq->vq, &cookie, &len)) != 0) {
		if (rc == -ENOTRECOVERABLE)
			break;
		/* A refused length still gives the mbuf back: free it all the same. */
		if (cookie != NULL)
			rte_pktmbuf_free(cookie);
	}
}

/* The mbuf that carries the header: @m itself, or a new one in front of it. */
static struct rte_mbuf *tx_with_header(struct vpmd_txq *txq, struct rte_mbuf *m)
{
	struct virtio_net_hdr *hdr;
	struct rte_mbuf *h;

	if (rte_pktmbuf_headroom(m) >= VPMD_HDR_SIZE && RTE_MBUF_DIRECT(m) &&
	    rte_mbuf_refcnt_read(m) == 1) {
		hdr = (struct virtio_net_hdr *)rte_pktmbuf_prepend(m, VPMD_HDR_SIZE);
		memset(hdr, 0, sizeof(*hdr));
		return m;
	}
	h = rte_pktmbuf_alloc(m->pool);
	if (h == NULL) {
		txq->stats.mbuf_alloc_failed++;
		return NULL;
	}
	hdr = (struct virtio_net_hdr *)rte_pktmbuf_append(h, VPMD_HDR_SIZE);
	memset(hdr, 0, sizeof(*hdr));
	h->next = m;
	h->nb_segs = (uint16_t)(m->nb_segs + 1);
	h->pkt_len = m->pkt_len + VPMD_HDR_SIZE;
	return h;
}

/* Undo tx_with_header() for a packet that could not be queued. */
static void tx_without_header(struct rte_mbuf *h, struct rte_mbuf *m)
{
	if (h == m) {
		rte_pktmbuf_adj(m, VPMD_HDR_SIZE);
		return;
	}
	h->next = NULL;
	h->nb_segs = 1;
	rte_pktmbuf_free(h);
}

uint16_t vpmd_xmit_pkts(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct vpmd_txq *txq = queue;
	struct vq_buf bufs[VPMD_TX_MAX_SEGS];
	uint16_t nb_tx = 0, dropped = 0;
	uint64_t bytes = 0;

	if (!vpmd_burst_enter(&txq->in_burst, txq->running))
		return 0;
	if (vq_num_free(txq->vq) < txq->free_thresh)
		vpmd_tx_reclaim(txq);

	while (nb_tx < nb_pkts) {
		struct rte_mbuf *m = pkts[nb_tx], *h, *seg;
		uint16_t nsegs = 0;
		uint32_t pkt_len = m->pkt_len;
		int rc;

		if (m->nb_segs + 1 > VPMD_TX_MAX_SEGS) {
			/* Never fits: drop it rather than block the queue behind it. */
			txq->stats.errors++;
			rte_pktmbuf_free(m);
			nb_tx++;
			dropped++;
			continue;
		}
		/* Enough descriptors for a header mbuf too, reclaiming if need be. */
		if (vq_num_free(txq->vq) < m->nb_segs + 1) {
			vpmd_tx_reclaim(txq);
			if (vq_num_free(txq->vq) < m->nb_segs + 1)
				break;
		}
		h = tx_with_header(txq, m);
		if (h == NULL)
			break;
		for (seg = h; seg != NULL; seg = seg->next) {
			bufs[nsegs].addr = rte_pktmbuf_mtod(seg, uint64_t);
			bufs[nsegs].len = seg->data_len;
			nsegs++;
		}
		rc = vq_add(txq->vq, bufs, nsegs, 0, h, 0);
		if (rc != 0) {
			tx_without_header(h, m);
			if (rc != -ENOSPC)
				txq->stats.errors++;
			break;
		}
		bytes += pkt_len;
		nb_tx++;
	}

	if (nb_tx > dropped)
		vq_kick(txq->vq);
	txq->stats.packets += nb_tx - dropped;
	txq->stats.bytes += bytes;
	vpmd_burst_exit(&txq->in_burst);
	return nb_tx;
}
