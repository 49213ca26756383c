/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VLAN strip and insert, done by the driver: virtio-net has no VLAN
 * offload in the header (only CTRL_VLAN's receive filter), so, as DPDK's
 * own virtio PMD does, the tag is moved between the frame and the mbuf's
 * vlan_tci in software. Only the 802.1Q tag (TPID 0x8100) is handled;
 * QinQ is not offered.
 *
 * Errors: vpmd_tx_vlan_insert() returns 0 or a negative errno; the caller
 * counts and drops the packet. vpmd_rx_vlan_strip() cannot fail: a frame
 * it cannot strip is delivered as it came.
 */
#ifndef VPMD_VLAN_H
#define VPMD_VLAN_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <ethdev_driver.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

/* The two MAC addresses that stay in front of the tag. */
#define VPMD_VLAN_MACS_LEN (2 * RTE_ETHER_ADDR_LEN)

/*
 * Is stripping on for @port_id? Read once per burst from the port's
 * configuration: ethdev writes rxmode.offloads there both at configure and
 * in rte_eth_dev_set_vlan_offload() (before calling vlan_offload_set), so
 * this one place follows both, with no copy to keep in step. A relaxed
 * load: a burst that sees the change one burst late is harmless.
 */
static inline bool vpmd_rx_vlan_strip_on(uint16_t port_id)
{
	const struct rte_eth_dev_data *data = rte_eth_devices[port_id].data;

	return (__atomic_load_n(&data->dev_conf.rxmode.offloads, __ATOMIC_RELAXED) &
		RTE_ETH_RX_OFFLOAD_VLAN_STRIP) != 0;
}

/*
 * Take an 802.1Q tag out of @m, a received frame, into vlan_tci with
 * RX_VLAN | RX_VLAN_STRIPPED, as ethdev defines stripping. The MAC
 * addresses move 4 bytes forward over the tag, and the data starts 4
 * bytes later: the payload is not copied. An untagged frame, or one whose
 * first segment does not hold the whole tag (a device may split a
 * mergeable frame anywhere), is left as it is.
 */
static inline void vpmd_rx_vlan_strip(struct rte_mbuf *m)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	const struct rte_vlan_hdr *vh;
	uint16_t tpid;

	if (m->data_len < RTE_ETHER_HDR_LEN + sizeof(struct rte_vlan_hdr))
		return;
	memcpy(&tpid, p + VPMD_VLAN_MACS_LEN, sizeof(tpid));
	if (tpid != RTE_BE16(RTE_ETHER_TYPE_VLAN))
		return;
	vh = (const struct rte_vlan_hdr *)(p + RTE_ETHER_HDR_LEN);
	m->vlan_tci = rte_be_to_cpu_16(vh->vlan_tci);
	m->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
	memmove(p + sizeof(struct rte_vlan_hdr), p, VPMD_VLAN_MACS_LEN);
	m->data_off = (uint16_t)(m->data_off + sizeof(struct rte_vlan_hdr));
	m->data_len = (uint16_t)(m->data_len - sizeof(struct rte_vlan_hdr));
	m->pkt_len -= (uint32_t)sizeof(struct rte_vlan_hdr);
}

/*
 * Put @m's vlan_tci into the frame as an 802.1Q tag, for a packet sent
 * with RTE_MBUF_F_TX_VLAN. The tag takes 4 bytes of headroom and the MAC
 * addresses move 4 bytes back: the frame is written in place, so the
 * first segment must be ours alone (direct, refcnt 1). Clears TX_VLAN and
 * grows l2_len (outer_l2_len for a tunnel) so that a checksum or TSO
 * request still points at its headers, and so that a packet the ring
 * could not take, and the application sends again, is not tagged twice.
 * Returns 0; -EINVAL for a shared or indirect first segment or one too
 * short for the MAC addresses; -ENOSPC when there is no headroom.
 */
static inline int vpmd_tx_vlan_insert(struct rte_mbuf *m)
{
	uint16_t tag[2];
	uint8_t *p;

	if (!RTE_MBUF_DIRECT(m) || rte_mbuf_refcnt_read(m) != 1 ||
	    m->data_len < VPMD_VLAN_MACS_LEN)
		return -EINVAL;
	if (rte_pktmbuf_headroom(m) < sizeof(struct rte_vlan_hdr))
		return -ENOSPC;
	p = rte_pktmbuf_mtod(m, uint8_t *) - sizeof(struct rte_vlan_hdr);
	memmove(p, p + sizeof(struct rte_vlan_hdr), VPMD_VLAN_MACS_LEN);
	/* The tag: TPID, then the TCI, in network order (802.1Q); the frame's own type follows. */
	tag[0] = RTE_BE16(RTE_ETHER_TYPE_VLAN);
	tag[1] = rte_cpu_to_be_16(m->vlan_tci);
	memcpy(p + VPMD_VLAN_MACS_LEN, tag, sizeof(tag));
	m->data_off = (uint16_t)(m->data_off - sizeof(struct rte_vlan_hdr));
	m->data_len = (uint16_t)(m->data_len + sizeof(struct rte_vlan_hdr));
	m->pkt_len += (uint32_t)sizeof(struct rte_vlan_hdr);
	m->ol_flags &= ~RTE_MBUF_F_TX_VLAN;
	if (m->ol_flags & RTE_MBUF_F_TX_TUNNEL_MASK)
		m->outer_l2_len += sizeof(struct rte_vlan_hdr);
	else
		m->l2_len += sizeof(struct rte_vlan_hdr);
	return 0;
}

#endif /* VPMD_VLAN_H */
