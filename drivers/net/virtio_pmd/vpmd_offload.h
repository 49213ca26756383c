/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checksum and TSO offloads, mapped between mbuf flags and the vnet header
 * (virtio 1.2, 5.1.6.2 and 5.1.6.4).
 *
 * Which offloads a port uses is decided at configure: each asks the device
 * for its feature (tx checksums: CSUM; TSO: HOST_TSO4/6; rx checksums:
 * GUEST_CSUM; LRO: GUEST_TSO4/6), and a device that does not offer one
 * fails the start rather than silently sending bad checksums. The queues
 * then look at the header only when the feature was negotiated: otherwise
 * the header is all zeroes and the datapath does not touch it.
 */
#ifndef VPMD_OFFLOAD_H
#define VPMD_OFFLOAD_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include <vpmd/virtio_spec.h>

/*
 * VLAN insert and strip are the driver's own work (vpmd_vlan.h), offered
 * whatever the device, as DPDK's virtio offers them; they need no feature.
 */
#define VPMD_TX_OFFLOAD_CAPA                                                                   \
	(RTE_ETH_TX_OFFLOAD_MULTI_SEGS | RTE_ETH_TX_OFFLOAD_TCP_CKSUM |                         \
	 RTE_ETH_TX_OFFLOAD_UDP_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_TSO |                            \
	 RTE_ETH_TX_OFFLOAD_VLAN_INSERT)
#define VPMD_RX_OFFLOAD_CAPA                                                                   \
	(RTE_ETH_RX_OFFLOAD_SCATTER | RTE_ETH_RX_OFFLOAD_TCP_CKSUM |                            \
	 RTE_ETH_RX_OFFLOAD_UDP_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_LRO |                            \
	 RTE_ETH_RX_OFFLOAD_VLAN_STRIP)

/* The mbuf flags a tx header carries. */
#define VPMD_TX_OFFLOAD_MBUF_FLAGS (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG)

/* vpmd_offload.c */
uint64_t vpmd_offload_features(uint64_t rx_offloads, uint64_t tx_offloads);
uint16_t vpmd_tx_prepare(void *txq, struct rte_mbuf **pkts, uint16_t nb_pkts);

/*
 * Fill @hdr for @m's checksum and TSO requests, without touching the
 * packet. Returns 0, or -EINVAL for a request that cannot be expressed (a
 * layer-4 header outside the first segment, SCTP's CRC), which the caller
 * counts and drops.
 */
static inline int vpmd_tx_offload_hdr(const struct rte_mbuf *m, struct virtio_net_hdr *hdr)
{
	uint64_t flags = m->ol_flags;
	uint32_t l4_off = (uint32_t)m->l2_len + m->l3_len;

	memset(hdr, 0, sizeof(*hdr));
	if (flags & RTE_MBUF_F_TX_TCP_SEG) {
		uint32_t hdr_len = l4_off + m->l4_len;

		if (m->tso_segsz == 0 || m->l4_len < sizeof(struct rte_tcp_hdr) ||
		    hdr_len > m->data_len || m->pkt_len - l4_off > UINT16_MAX)
			return -EINVAL;
		hdr->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		hdr->gso_type = (flags & RTE_MBUF_F_TX_IPV6) ? VIRTIO_NET_HDR_GSO_TCPV6
							     : VIRTIO_NET_HDR_GSO_TCPV4;
		hdr->gso_size = rte_cpu_to_le_16(m->tso_segsz);
		hdr->hdr_len = rte_cpu_to_le_16((uint16_t)hdr_len);
		hdr->csum_start = rte_cpu_to_le_16((uint16_t)l4_off);
		hdr->csum_offset = rte_cpu_to_le_16(offsetof(struct rte_tcp_hdr, cksum));
		return 0;
	}
	switch (flags & RTE_MBUF_F_TX_L4_MASK) {
	case RTE_MBUF_F_TX_TCP_CKSUM:
		if (l4_off + sizeof(struct rte_tcp_hdr) > m->data_len)
			return -EINVAL;
		hdr->csum_offset = rte_cpu_to_le_16(offsetof(struct rte_tcp_hdr, cksum));
		break;
	case RTE_MBUF_F_TX_UDP_CKSUM:
		if (l4_off + sizeof(struct rte_udp_hdr) > m->data_len)
			return -EINVAL;
		hdr->csum_offset = rte_cpu_to_le_16(offsetof(struct rte_udp_hdr, dgram_cksum));
		break;
	default: /* SCTP's is a CRC, not an Internet checksum: virtio cannot do it. */
		return -EINVAL;
	}
	hdr->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	hdr->csum_start = rte_cpu_to_le_16((uint16_t)l4_off);
	return 0;
}

/*
 * TSO's pseudo-header sum comes from the application without the length
 * (DPDK's convention, as rte_net_intel_cksum_prepare() writes it); the
 * device, like Linux, expects it with the TCP length: add it. Called once
 * the packet is on the ring and before it is published, so that a packet
 * the ring refused, and which the application sends again, is not fixed
 * twice. vpmd_tx_offload_hdr() checked that the TCP header is in reach.
 */
static inline void vpmd_tx_tso_fix_cksum(struct rte_mbuf *m)
{
	uint32_t l4_off = (uint32_t)m->l2_len + m->l3_len;
	struct rte_tcp_hdr *tcp = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, l4_off);
	uint32_t sum = (uint32_t)rte_be_to_cpu_16(tcp->cksum) + (m->pkt_len - l4_off);

	/* One's-complement addition: fold the carry back in. */
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	tcp->cksum = rte_cpu_to_be_16((uint16_t)sum);
}

/*
 * Map a received packet's header to mbuf flags. NEEDS_CSUM means the
 * checksum field holds only the pseudo-header sum but the data is known
 * good, which is DPDK's L4_CKSUM_NONE; DATA_VALID is L4_CKSUM_GOOD. A
 * coalesced (GSO) packet is LRO with its segment size. Returns -EINVAL for
 * a header the device had no right to send (a checksum position past the
 * packet, a GSO type or size we did not ask for): the caller drops it.
 */
static inline int vpmd_rx_offload(struct rte_mbuf *m, const struct virtio_net_hdr *hdr,
				  bool lro)
{
	if (hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		uint32_t end = (uint32_t)rte_le_to_cpu_16(hdr->csum_start) +
			       rte_le_to_cpu_16(hdr->csum_offset) + sizeof(uint16_t);

		if (end > m->pkt_len)
			return -EINVAL;
		m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_NONE;
	} else if (hdr->flags & VIRTIO_NET_HDR_F_DATA_VALID) {
		m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	}
	if (hdr->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		uint16_t gso_size = rte_le_to_cpu_16(hdr->gso_size);

		if (!lro || gso_size == 0 ||
		    (hdr->gso_type != VIRTIO_NET_HDR_GSO_TCPV4 &&
		     hdr->gso_type != VIRTIO_NET_HDR_GSO_TCPV6))
			return -EINVAL;
		m->ol_flags |= RTE_MBUF_F_RX_LRO;
		m->tso_segsz = gso_size;
	}
	return 0;
}

#endif /* VPMD_OFFLOAD_H */
