/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transmit: when the mbuf is ours alone to write, the vnet header goes in
 * its headroom, just in front of the data, and header and packet go out as
 * one buffer; the mbuf itself is not modified (but for a VLAN tag the
 * application asked to have inserted, vpmd_vlan.h). Otherwise (shared, indirect, or no headroom) the header goes in
 * a small mbuf of its own chained in front. Segments become a descriptor
 * chain. Completions are reclaimed lazily, when descriptors run short,
 * and the device is kicked at most once per burst, when it asks.
 */
#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include <vpmd/virtio_spec.h>

#include "vpmd.h"
#include "vpmd_offload.h"
#include "vpmd_trace.h"
#include "vpmd_vlan.h"

#define RECLAIM_BATCH 64
#define TX_RUN_MAX 64 /* packets one bulk add takes */
#define TX_HDR_PREFETCH 4 /* packets ahead whose header line is fetched */

/*
 * Free what one reclaim gave back. A one-segment packet we checked at
 * transmit (direct, refcnt 1, from raw_free_pool) is owned by us alone
 * since: it goes straight back to its pool with the others, without
 * rte_pktmbuf_free()'s per-mbuf look at both of its cache lines. The
 * rest are freed the long way.
 */
static inline void tx_free_done(struct vpmd_txq *txq, void **done, uint16_t n)
{
	uint16_t i, raw = 0;

	for (i = 0; i < n; i++) {
		if (likely(!vpmd_tx_cookie_full_free(done[i])))
			done[raw++] = done[i];
		else
			rte_pktmbuf_free(vpmd_tx_cookie_mbuf(done[i]));
	}
	if (raw > 0)
		rte_mempool_put_bulk(txq->raw_free_pool, done, raw);
}

static void tx_reclaim(struct vpmd_txq *txq, struct vpmd_trace_burst *tb)
{
	void *done[RECLAIM_BATCH];
	uint16_t n;
	bool took = false;

	VPMD_TRACE_USED_BEGIN(tb, &txq->trace, txq->vq);
	/* Lengths mean nothing on tx: in order, the ring's entries are not even read. */
	while ((n = vq_reclaim_bulk(txq->vq, done, RECLAIM_BATCH)) > 0) {
		took = true;
		tx_free_done(txq, done, n);
		if (n < RECLAIM_BATCH)
			break;
	}
	txq->stats.used_moves += took;
	VPMD_TRACE_USED_END(tb, &txq->trace, txq->vq, txq->port_id, txq->stats.used_moves);
}

/* The header can go in @m's own headroom: it is ours alone to write. */
static inline bool tx_can_prepend(const struct vpmd_txq *txq, const struct rte_mbuf *m)
{
	return rte_pktmbuf_headroom(m) >= txq->hdr_size && RTE_MBUF_DIRECT(m) &&
	       rte_mbuf_refcnt_read(m) == 1;
}

/*
 * Make the 12 header bytes at @p zero. For a packet the application built
 * they almost always are already, from the buffer's previous trip: the
 * device's core has read that cache line, so writing it would pull it
 * back across cores on every packet, where reading it leaves it shared.
 * A packet received and sent back still holds the device's receive
 * header, num_buffers 1, which virtio 1.2 5.1.6.2.1 says MUST be zero on
 * transmit: that store costs a cache line per forwarded packet (see
 * doc/bench.md, split-64-io), and a device that checks may drop the packet.
 */
static inline void tx_hdr_clear(void *p, uint16_t hdr_size)
{
	uint64_t head, hash;
	uint32_t tail;

	memcpy(&head, p, sizeof(head));
	memcpy(&tail, (char *)p + sizeof(head), sizeof(tail));
	if (head != 0)
		memset(p, 0, sizeof(head));
	if (tail != 0)
		memset((char *)p + sizeof(head), 0, sizeof(tail));
	/* With HASH_REPORT the hash fields follow: the device ignores them on transmit. */
	if (unlikely(hdr_size > VPMD_HDR_SIZE)) {
		memcpy(&hash, (char *)p + VPMD_HDR_SIZE, sizeof(hash));
		if (hash != 0)
			memset((char *)p + VPMD_HDR_SIZE, 0, sizeof(hash));
	}
}

/*
 * The header mbuf for a packet whose own headroom cannot take it: chained
 * in front, and the cookie the ring gives back (freeing it frees all).
 * It carries @hdr, or zeroes without one.
 */
static struct rte_mbuf *tx_header_mbuf(struct vpmd_txq *txq, struct rte_mbuf *m,
				       const struct virtio_net_hdr *hdr)
{
	struct rte_mbuf *h = rte_pktmbuf_alloc(m->pool);
	char *p;

	if (h == NULL) {
		txq->stats.mbuf_alloc_failed++;
		return NULL;
	}
	p = rte_pktmbuf_append(h, txq->hdr_size);
	memset(p, 0, txq->hdr_size);
	if (hdr != NULL)
		memcpy(p, hdr, VPMD_HDR_SIZE);
	h->next = m;
	h->nb_segs = (uint16_t)(m->nb_segs + 1);
	h->pkt_len = m->pkt_len + txq->hdr_size;
	return h;
}

/* Undo tx_header_mbuf() for a packet that could not be queued. */
static void tx_header_mbuf_free(struct rte_mbuf *h)
{
	h->next = NULL;
	h->nb_segs = 1;
	rte_pktmbuf_free(h);
}

/* One buffer: the packet behind its header, in its own headroom, with no tag to insert. */
static inline bool tx_is_simple(const struct vpmd_txq *txq, const struct rte_mbuf *m)
{
	return m->nb_segs == 1 && tx_can_prepend(txq, m) &&
	       !(m->ol_flags & RTE_MBUF_F_TX_VLAN) &&
	       !(txq->hdr_offload && (m->ol_flags & VPMD_TX_OFFLOAD_MBUF_FLAGS));
}

/*
 * The common case, in bulk: the run of simple packets from pkts[*nb_tx],
 * as far as the ring has room, goes to the ring in one call. Returns true
 * if it added any (and moved *nb_tx past them).
 */
static inline bool tx_simple_run(struct vpmd_txq *txq, struct rte_mbuf **pkts, uint16_t *nb_tx,
				 uint16_t nb_pkts, uint64_t *bytes, bool *reclaimed,
				 struct vpmd_trace_burst *tb)
{
	struct vq_buf bufs[TX_RUN_MAX];
	void *cookies[TX_RUN_MAX];
	uint16_t room = vq_num_free(txq->vq), n = 0, added, i;
	uint16_t first = *nb_tx;
	uint64_t run_bytes = 0, sizes = 0;

	if (room < nb_pkts - first && !*reclaimed) {
		tx_reclaim(txq, tb);
		*reclaimed = true;
		room = vq_num_free(txq->vq);
	}
	while (first + n < nb_pkts && n < room && n < TX_RUN_MAX) {
		struct rte_mbuf *m = pkts[first + n];
		char *hdr;

		/*
		 * The header line a few packets on: for a packet forwarded as
		 * received the device's core wrote it last, and tx_hdr_clear()
		 * waits for it; asked for early, the misses overlap.
		 */
		if (first + n + TX_HDR_PREFETCH < nb_pkts)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[first + n + TX_HDR_PREFETCH], char *) -
				      txq->hdr_size);
		if (!tx_is_simple(txq, m))
			break;
		hdr = rte_pktmbuf_mtod(m, char *) - txq->hdr_size;
		tx_hdr_clear(hdr, txq->hdr_size);
		bufs[n].addr = vpmd_mbuf_dev_addr(txq->dev_iova, m, m->data_off - txq->hdr_size);
		bufs[n].len = (uint32_t)m->data_len + txq->hdr_size;
		/* One segment, direct, refcnt 1: raw back to its pool, if it is the queue's. */
		if (unlikely(txq->raw_free_pool == NULL))
			txq->raw_free_pool = m->pool;
		cookies[n] = vpmd_tx_cookie(m, m->pool != txq->raw_free_pool);
		/* Counted now, while the mbuf is in cache: this is our last look at it. */
		run_bytes += m->pkt_len;
		sizes = vpmd_size_tally(sizes, m->pkt_len);
		n++;
	}
	if (n == 0)
		return false;
	added = vq_add_bulk(txq->vq, bufs, cookies, n, false);
	if (unlikely(added < n)) {
		/* Only a queue that broke under us takes fewer than it had room for. */
		for (i = added; i < n; i++) {
			run_bytes -= pkts[first + i]->pkt_len;
			sizes -= 1ull << (8u * vpmd_size_bin(pkts[first + i]->pkt_len));
		}
	}
	vpmd_size_tally_flush(&txq->stats, sizes);
	*bytes += run_bytes;
	*nb_tx = (uint16_t)(first + added);
	return added > 0;
}

uint16_t vpmd_xmit_pkts(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct vpmd_txq *txq = queue;
	struct vq_buf bufs[VPMD_TX_MAX_SEGS];
	uint16_t nb_tx = 0, dropped = 0;
	bool reclaimed = false;
	uint64_t bytes = 0;
	struct vpmd_trace_burst tb;

	if (!vpmd_burst_enter(&txq->in_burst, txq->running))
		return 0;
	VPMD_TRACE_BURST_BEGIN(&tb);
	if (vq_num_free(txq->vq) < txq->free_thresh) {
		tx_reclaim(txq, &tb);
		reclaimed = true;
	}

	while (nb_tx < nb_pkts) {
		struct rte_mbuf *m, *h, *seg;
		struct virtio_net_hdr vhdr;
		bool offload = false;
		uint16_t nsegs = 0;
		uint32_t pkt_len;
		bool prepend;
		uint16_t need;
		int rc;

		if (tx_simple_run(txq, pkts, &nb_tx, nb_pkts, &bytes, &reclaimed, &tb))
			continue;
		if (nb_tx == nb_pkts || vq_is_broken(txq->vq))
			break;
		/* Not one buffer, or no headroom to use, or an offload header: one by one. */
		m = pkts[nb_tx];
		/*
		 * VLAN insert is done here, in the burst, not in tx_prepare (where
		 * DPDK's virtio does it): applications that never call
		 * rte_eth_tx_prepare() (testpmd's txonly, io and mac engines, most
		 * forwarders) get their tag all the same. It comes before the
		 * header is built, as it moves l2_len, and clears TX_VLAN: a packet
		 * the ring cannot take now goes out tagged once when sent again.
		 * A packet that cannot take the tag (shared, indirect, no headroom)
		 * is a counted drop, as one sent as it is would leave the VLAN.
		 */
		if (unlikely(m->ol_flags & RTE_MBUF_F_TX_VLAN) && vpmd_tx_vlan_insert(m) < 0) {
			txq->stats.errors++;
			rte_pktmbuf_free(m);
			nb_tx++;
			dropped++;
			continue;
		}
		pkt_len = m->pkt_len;
		prepend = tx_can_prepend(txq, m);
		need = (uint16_t)(m->nb_segs + !prepend);

		if (txq->hdr_offload && (m->ol_flags & VPMD_TX_OFFLOAD_MBUF_FLAGS)) {
			offload = true;
			if (vpmd_tx_offload_hdr(m, &vhdr) < 0)
				need = UINT16_MAX; /* malformed request: dropped below */
		}
		if (need > VPMD_TX_MAX_SEGS) {
			/* Never fits, or cannot be sent as asked: drop it rather than block the queue. */
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
				tx_reclaim(txq, &tb);
				reclaimed = true;
			}
			if (vq_num_free(txq->vq) < need) {
				/* Backpressure an operator must see: the burst stops short. */
				vq_count_ring_full(txq->vq);
				break;
			}
		}
		if (prepend) {
			/* The first buffer starts at the header, in the headroom; the mbuf is left as is. */
			char *hdr = rte_pktmbuf_mtod(m, char *) - txq->hdr_size;

			tx_hdr_clear(hdr, txq->hdr_size);
			if (offload)
				memcpy(hdr, &vhdr, VPMD_HDR_SIZE);
			bufs[0].addr = vpmd_mbuf_dev_addr(txq->dev_iova, m,
							  m->data_off - txq->hdr_size);
			bufs[0].len = (uint32_t)m->data_len + txq->hdr_size;
			nsegs = 1;
			seg = m->next;
			h = m;
		} else {
			h = tx_header_mbuf(txq, m, offload ? &vhdr : NULL);
			if (h == NULL)
				break;
			seg = h;
		}
		for (; seg != NULL; seg = seg->next) {
			bufs[nsegs].addr = vpmd_mbuf_dev_addr(txq->dev_iova, seg, seg->data_off);
			bufs[nsegs].len = seg->data_len;
			nsegs++;
		}
		rc = vq_add(txq->vq, bufs, nsegs, 0, vpmd_tx_cookie(h, true), 0);
		if (rc != 0) {
			if (h != m)
				tx_header_mbuf_free(h);
			if (rc != -ENOSPC)
				txq->stats.errors++;
			break;
		}
		if (offload && (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG))
			vpmd_tx_tso_fix_cksum(m);
		txq->stats.size_bins[vpmd_size_bin(pkt_len)]++;
		bytes += pkt_len;
		nb_tx++;
	}

	if (nb_tx > dropped)
		VPMD_KICK(&tb, &txq->trace, txq->vq, txq->port_id);
	txq->stats.packets += nb_tx - dropped;
	txq->stats.bytes += bytes;
	txq->stats.burst_bins[vpmd_burst_bin(nb_tx)]++; /* what the burst took, as it returns */
	vpmd_burst_exit(&txq->in_burst);
	return nb_tx;
}
