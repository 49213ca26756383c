/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive: buffers are whole mbufs whose vnet header lands in the
 * headroom, just in front of the packet, so the data needs no copy. With
 * MRG_RXBUF a packet spans num_buffers buffers, chained into a
 * multi-segment mbuf; the buffers after the first carry no header, so
 * their data starts where the header would have been.
 */
#include <errno.h>

#include <rte_mbuf.h>

#include <vpmd/virtio_spec.h>

#include "vpmd.h"
#include "vpmd_trace.h"

static inline struct virtio_net_hdr *rx_hdr(struct rte_mbuf *m)
{
	return (struct virtio_net_hdr *)((char *)m->buf_addr + RTE_PKTMBUF_HEADROOM -
					 VPMD_HDR_SIZE);
}

int vpmd_rx_refill(struct vpmd_rxq *rxq)
{
	struct rte_mbuf *mbufs[VPMD_RX_REFILL_BATCH];
	struct vq_buf buf;
	uint16_t want, i;
	int added = 0;

	while ((want = RTE_MIN(vq_num_free(rxq->vq), VPMD_RX_REFILL_BATCH)) > 0) {
		if (rte_pktmbuf_alloc_bulk(rxq->mp, mbufs, want) != 0) {
			rxq->stats.mbuf_alloc_failed += want;
			break;
		}
		for (i = 0; i < want; i++) {
			struct rte_mbuf *m = mbufs[i];

			/* Header in the headroom, then the whole data room. */
			buf.addr = (uint64_t)(uintptr_t)rx_hdr(m);
			buf.len = (uint32_t)(m->buf_len - RTE_PKTMBUF_HEADROOM + VPMD_HDR_SIZE);
			if (vq_add(rxq->vq, &buf, 0, 1, m, 0) != 0) {
				rte_pktmbuf_free_bulk(&mbufs[i], want - i);
				goto publish;
			}
			added++;
		}
	}
publish:
	/* What was added reaches the device even when the ring refused more. */
	vq_publish(rxq->vq);
	VPMD_TRACE_REFILL(rxq->vq, rxq->port_id, added);
	return added;
}

/* A used buffer as a one-segment mbuf of @len bytes starting at @data_off. */
static inline void rx_seg_init(struct rte_mbuf *m, uint16_t data_off, uint32_t len)
{
	m->data_off = data_off;
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	m->nb_segs = 1;
	m->next = NULL;
}

/*
 * Add buffers to the mergeable packet in progress until it is whole.
 * Returns 1 when complete, 0 when the device has not published the rest
 * yet, -1 when the packet had to be dropped.
 */
static int rx_continue_merge(struct vpmd_rxq *rxq)
{
	void *cookie;
	uint32_t len;
	int rc;

	while (rxq->partial_left > 0) {
		struct rte_mbuf *seg;

		rc = vq_get_used(rxq->vq, &cookie, &len);
		if (rc == 0)
			return 0;
		if (rc == -ENOTRECOVERABLE)
			goto drop;
		seg = cookie;
		if (rc < 0 || len == 0) {
			if (seg != NULL)
				rte_pktmbuf_free(seg);
			goto drop;
		}
		rx_seg_init(seg, RTE_PKTMBUF_HEADROOM - VPMD_HDR_SIZE, len);
		rxq->partial_tail->next = seg;
		rxq->partial_tail = seg;
		rxq->partial_head->nb_segs++;
		rxq->partial_head->pkt_len += len;
		rxq->partial_left--;
	}
	return 1;
drop:
	rxq->stats.errors++;
	rte_pktmbuf_free(rxq->partial_head);
	rxq->partial_head = NULL;
	rxq->partial_left = 0;
	return -1;
}

uint16_t vpmd_recv_pkts(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct vpmd_rxq *rxq = queue;
	uint16_t nb_rx = 0;
	uint64_t bytes = 0;
	void *cookie;
	uint32_t len;
	int rc;
	struct vpmd_trace_used tr;

	if (!vpmd_burst_enter(&rxq->in_burst, rxq->running))
		return 0;
	VPMD_TRACE_USED_BEGIN(&tr, rxq->vq);
	while (nb_rx < nb_pkts) {
		struct rte_mbuf *m;
		uint16_t num_buffers = 1;

		if (rxq->partial_head != NULL) {
			rc = rx_continue_merge(rxq);
			if (rc == 0)
				break;
			if (rc > 0) {
				m = rxq->partial_head;
				rxq->partial_head = NULL;
				pkts[nb_rx++] = m;
				bytes += m->pkt_len;
			}
			continue;
		}

		rc = vq_get_used(rxq->vq, &cookie, &len);
		if (rc == 0 || rc == -ENOTRECOVERABLE)
			break;
		m = cookie;
		if (rc < 0 || len <= VPMD_HDR_SIZE) {
			/* Refused by the ring, or too short to hold a frame: drop it. */
			rxq->stats.errors++;
			if (m != NULL)
				rte_pktmbuf_free(m);
			continue;
		}
		rx_seg_init(m, RTE_PKTMBUF_HEADROOM, len - VPMD_HDR_SIZE);
		m->port = rxq->port_id;
		m->ol_flags = 0;
		m->packet_type = 0;
		m->vlan_tci = 0;
		if (rxq->mrg_rxbuf)
			num_buffers = rte_le_to_cpu_16(rx_hdr(m)->num_buffers);
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
		pkts[nb_rx++] = m;
		bytes += m->pkt_len;
	}

	VPMD_TRACE_USED_END(&tr, rxq->vq, rxq->port_id);
	rxq->stats.packets += nb_rx;
	rxq->stats.bytes += bytes;
	if (vq_num_free(rxq->vq) >= VPMD_RX_REFILL_BATCH || nb_rx == 0) {
		if (vpmd_rx_refill(rxq) > 0)
			VPMD_KICK(rxq->vq, rxq->port_id);
	}
	vpmd_burst_exit(&rxq->in_burst);
	return nb_rx;
}
