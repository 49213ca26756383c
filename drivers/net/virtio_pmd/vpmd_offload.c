/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control side of the offloads: which device features a port's
 * configured offloads need, and tx_prepare. The per-packet mapping is in
 * vpmd_offload.h, inlined into the bursts.
 */
#include <rte_errno.h>
#include <rte_net.h>

#include <ethdev_driver.h>

#include "vpmd.h"
#include "vpmd_offload.h"

uint64_t vpmd_offload_features(uint64_t rx_offloads, uint64_t tx_offloads)
{
	uint64_t f = 0;

	if (tx_offloads & (RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM))
		f |= VIRTIO_BIT(VIRTIO_NET_F_CSUM);
	if (tx_offloads & RTE_ETH_TX_OFFLOAD_TCP_TSO)
		f |= VIRTIO_BIT(VIRTIO_NET_F_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4) |
		     VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6);
	if (rx_offloads & (RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM))
		f |= VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM);
	if (rx_offloads & RTE_ETH_RX_OFFLOAD_TCP_LRO)
		f |= VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) |
		     VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6);
	return f;
}

/*
 * rte_eth_tx_prepare(): the pseudo-header sums the device completes, in
 * DPDK's convention (vpmd_tx_offload_hdr() adapts TSO's), and the checks
 * that would otherwise drop the packet in the burst.
 */
uint16_t vpmd_tx_prepare(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	uint16_t i;

	(void)queue;
	for (i = 0; i < nb_pkts; i++) {
		struct rte_mbuf *m = pkts[i];
		int rc;

		/* One descriptor may go to a header mbuf in front. */
		if (m->nb_segs >= VPMD_TX_MAX_SEGS) {
			rte_errno = EINVAL;
			return i;
		}
		if ((m->ol_flags & VPMD_TX_OFFLOAD_MBUF_FLAGS) == 0)
			continue;
		/*
		 * virtio has no IPv4 header checksum, and SCTP's is a CRC. With
		 * TSO, DPDK has the application ask for the IPv4 header checksum
		 * (rte_mbuf_core.h), and the device writes each segment's own
		 * IPv4 header: accept it there.
		 */
		if (((m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM) &&
		     !(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG)) ||
		    (m->ol_flags & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_SCTP_CKSUM) {
			rte_errno = ENOTSUP;
			return i;
		}
		rc = rte_net_intel_cksum_prepare(m);
		if (rc != 0) {
			rte_errno = -rc;
			return i;
		}
		/*
		 * The IPv4 header checksum TSO asks for: the device has no such
		 * offload, so it is done here, once per large packet (each
		 * segment's own is the segmenter's), as DPDK's virtio does.
		 */
		if ((m->ol_flags & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_SEG)) ==
		    (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_SEG)) {
			struct rte_ipv4_hdr *ip =
				rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);

			ip->hdr_checksum = 0;
			ip->hdr_checksum = rte_ipv4_cksum(ip);
		}
	}
	return i;
}
