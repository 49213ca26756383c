/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checksum and TSO offloads through the vnet header, net_vpmd against
 * DPDK's net_vhost in one process (see ethdev_env.h).
 *
 * net_vhost runs with legacy-ol-flags=1 and tso=1: it then turns a header
 * it receives back into mbuf tx flags only when csum_start and csum_offset
 * are exactly where the packet's TCP or UDP checksum is, and a GSO header
 * into TX_TCP_SEG with its segment size, so the flags it reports check what
 * net_vpmd wrote. The other way, net_vhost writes the header from the
 * mbuf's tx flags, and net_vpmd must map it to rx flags (L4_CKSUM_NONE,
 * LRO with the segment size). Every packet's bytes are checked, and the
 * checksum field must hold the pseudo-header sum the device completes
 * (with the TCP length, also for TSO, whose DPDK convention leaves it out).
 *
 * With "missing", net_vhost runs with tso=0 and so does not offer
 * HOST_TSO4/6: a net_vpmd port configured for TSO must then refuse to
 * start (rather than send headers the device does not understand), and
 * start once TSO is configured away.
 *
 * VLAN (done by the driver, vpmd_vlan.h): a packet sent with TX_VLAN, one
 * segment or several, reaches net_vhost with the tag in the frame; one
 * whose first segment is shared or has no headroom is dropped and counted,
 * and no mbuf is lost (the teardown counts them); with strip turned on at
 * run time a frame net_vhost tags arrives untagged with vlan_tci and
 * RX_VLAN_STRIPPED, a large one over mergeable buffers too; with strip off
 * it arrives as sent.
 *
 * Usage: test_ethdev_offload split|packed [missing]
 * Exit: 0 pass, 1 fail, 77 skip.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "ethdev_env.h"

#define NB_MBUFS 4095
#define RING_SIZE 256
#define RX_TIMEOUT_S 5
#define TSO_PAYLOAD 8000
#define SEG_DATA 1500 /* bytes of payload per mbuf segment of a TSO packet */

enum l4 { L4_TCP, L4_UDP };

struct pkt_spec {
	const char *name;
	bool ipv6;
	enum l4 l4;
	uint32_t payload;
	uint64_t tx_flags; /* offload requests; 0 for none */
	uint16_t mss;
};

static uint16_t l3_len(const struct pkt_spec *s)
{
	return s->ipv6 ? sizeof(struct rte_ipv6_hdr) : sizeof(struct rte_ipv4_hdr);
}

static uint16_t l4_len(const struct pkt_spec *s)
{
	return s->l4 == L4_TCP ? sizeof(struct rte_tcp_hdr) : sizeof(struct rte_udp_hdr);
}

static uint8_t payload_byte(uint32_t off)
{
	return (uint8_t)(off * 7 + (off >> 8) + 1);
}

/*
 * An Ethernet/IP/TCP-or-UDP packet: headers in the first segment, the
 * payload in segments of SEG_DATA bytes. The checksum field is zero: the
 * sender's tx_prepare (net_vpmd) or its enqueue (net_vhost) writes the
 * pseudo-header sum, as DPDK's convention has it (without the length for
 * TSO).
 */
static struct rte_mbuf *pkt_build(struct rte_mempool *mp, const struct pkt_spec *s)
{
	uint16_t hlen = RTE_ETHER_HDR_LEN + l3_len(s) + l4_len(s);
	struct rte_mbuf *head = rte_pktmbuf_alloc(mp), *tail;
	struct rte_ether_hdr *eth;
	uint32_t off = 0;
	char *p;

	if (head == NULL)
		return NULL;
	p = rte_pktmbuf_append(head, hlen);
	memset(p, 0, hlen);
	eth = (struct rte_ether_hdr *)p;
	eth->dst_addr.addr_bytes[0] = 0x02;
	eth->dst_addr.addr_bytes[5] = 0x01;
	eth->src_addr.addr_bytes[0] = 0x02;
	eth->src_addr.addr_bytes[5] = 0x02;
	if (s->ipv6) {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip6->payload_len = rte_cpu_to_be_16((uint16_t)(l4_len(s) + s->payload));
		ip6->proto = s->l4 == L4_TCP ? IPPROTO_TCP : IPPROTO_UDP;
		ip6->hop_limits = 64;
		ip6->src_addr[0] = 0xfd;
		ip6->src_addr[15] = 1;
		ip6->dst_addr[0] = 0xfd;
		ip6->dst_addr[15] = 2;
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(l3_len(s) + l4_len(s) + s->payload));
		ip->time_to_live = 64;
		ip->next_proto_id = s->l4 == L4_TCP ? IPPROTO_TCP : IPPROTO_UDP;
		ip->src_addr = rte_cpu_to_be_32(0x0a000001);
		ip->dst_addr = rte_cpu_to_be_32(0x0a000002);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	if (s->l4 == L4_TCP) {
		struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(p + RTE_ETHER_HDR_LEN + l3_len(s));

		tcp->src_port = rte_cpu_to_be_16(1000);
		tcp->dst_port = rte_cpu_to_be_16(2000);
		tcp->sent_seq = rte_cpu_to_be_32(1);
		tcp->data_off = (sizeof(*tcp) / 4) << 4;
		tcp->tcp_flags = RTE_TCP_ACK_FLAG;
		tcp->rx_win = rte_cpu_to_be_16(65535);
	} else {
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(p + RTE_ETHER_HDR_LEN + l3_len(s));

		udp->src_port = rte_cpu_to_be_16(1000);
		udp->dst_port = rte_cpu_to_be_16(2000);
		udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + s->payload));
	}
	tail = head;
	while (off < s->payload) {
		uint32_t n = RTE_MIN(s->payload - off, (uint32_t)SEG_DATA);
		struct rte_mbuf *seg = rte_pktmbuf_alloc(mp);

		if (seg == NULL) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		p = rte_pktmbuf_append(seg, (uint16_t)n);
		for (uint32_t i = 0; i < n; i++)
			p[i] = (char)payload_byte(off + i);
		tail->next = seg;
		tail = seg;
		head->nb_segs++;
		head->pkt_len += n;
		off += n;
	}
	head->l2_len = RTE_ETHER_HDR_LEN;
	head->l3_len = l3_len(s);
	head->l4_len = l4_len(s);
	head->tso_segsz = s->mss;
	head->ol_flags = s->tx_flags;
	return head;
}

/* The pseudo-header sum a device completes: with the layer-4 length. */
static uint16_t pseudo_sum(const struct rte_mbuf *m, const struct pkt_spec *s)
{
	const void *ip = rte_pktmbuf_mtod_offset(m, const void *, RTE_ETHER_HDR_LEN);

	return s->ipv6 ? rte_ipv6_phdr_cksum(ip, 0) : rte_ipv4_phdr_cksum(ip, 0);
}

static uint16_t l4_cksum_field(const struct rte_mbuf *m, const struct pkt_spec *s)
{
	uint32_t off = RTE_ETHER_HDR_LEN + l3_len(s) +
		       (s->l4 == L4_TCP ? offsetof(struct rte_tcp_hdr, cksum)
					: offsetof(struct rte_udp_hdr, dgram_cksum));
	uint16_t v;

	rte_memcpy(&v, rte_pktmbuf_mtod_offset(m, const char *, off), sizeof(v));
	return v;
}

/* The payload, read across segments. */
static bool payload_ok(const struct rte_mbuf *m, const struct pkt_spec *s)
{
	uint32_t hlen = RTE_ETHER_HDR_LEN + l3_len(s) + l4_len(s);
	uint8_t buf[256];

	if (m->pkt_len != hlen + s->payload)
		return false;
	for (uint32_t off = 0; off < s->payload; off += sizeof(buf)) {
		uint32_t n = RTE_MIN((uint32_t)sizeof(buf), s->payload - off);
		const uint8_t *p = rte_pktmbuf_read(m, hlen + off, n, buf);

		for (uint32_t i = 0; i < n; i++)
			if (p == NULL || p[i] != payload_byte(off + i))
				return false;
	}
	return true;
}

/* Send one packet from @tx and receive it at @rx. NULL on failure (reported). */
static struct rte_mbuf *pass(struct port *tx, struct port *rx, struct rte_mbuf *m,
			     bool prepare, const char *what)
{
	struct rte_mbuf *got = NULL;
	double deadline;
	uint16_t n;

	if (prepare && rte_eth_tx_prepare(tx->id, 0, &m, 1) != 1) {
		fail("%s: tx_prepare refused it: %s", what, rte_strerror(rte_errno));
		rte_pktmbuf_free(m);
		return NULL;
	}
	if (rte_eth_tx_burst(tx->id, 0, &m, 1) != 1) {
		fail("%s: %s did not take it", what, tx->name);
		rte_pktmbuf_free(m);
		return NULL;
	}
	deadline = now_s() + RX_TIMEOUT_S;
	do {
		/* Poll both: each side's tx completions and rx refills move on its own bursts. */
		struct rte_mbuf *none[4];

		n = rte_eth_rx_burst(rx->id, 0, &got, 1);
		if (n == 1)
			return got;
		n = rte_eth_rx_burst(tx->id, 0, none, RTE_DIM(none));
		if (n > 0) {
			fail("%s: %u frames came back to %s", what, n, tx->name);
			rte_pktmbuf_free_bulk(none, n);
		}
		rte_eth_tx_burst(tx->id, 0, NULL, 0);
	} while (now_s() < deadline);
	fail("%s: not received by %s within %d s", what, rx->name, RX_TIMEOUT_S);
	return NULL;
}

/* net_vpmd transmits; net_vhost reports what the header said. */
static void vpmd_to_vhost(struct env *env, const struct pkt_spec *s)
{
	struct rte_mbuf *m = pkt_build(env->vpmd.mp, s), *got;
	uint64_t want = 0, have;

	if (m == NULL) {
		fail("%s: no mbufs", s->name);
		return;
	}
	got = pass(&env->vpmd, &env->vhost, m, true, s->name);
	if (got == NULL)
		return;
	/* A GSO header also asks for the checksum (NEEDS_CSUM), and legacy mode says so. */
	if (s->tx_flags & RTE_MBUF_F_TX_TCP_SEG)
		want = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM;
	else if (s->tx_flags & RTE_MBUF_F_TX_L4_MASK)
		want = s->tx_flags & RTE_MBUF_F_TX_L4_MASK;
	have = got->ol_flags & (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG);
	if (have != want)
		fail("vpmd->vhost %s: net_vhost read offload flags 0x%llx, want 0x%llx", s->name,
		     (unsigned long long)have, (unsigned long long)want);
	if ((s->tx_flags & RTE_MBUF_F_TX_TCP_SEG) &&
	    (got->tso_segsz != s->mss || got->l4_len != l4_len(s)))
		fail("vpmd->vhost %s: segment size %u l4_len %u, want %u and %u", s->name,
		     got->tso_segsz, got->l4_len, s->mss, l4_len(s));
	if (s->tx_flags != 0 && l4_cksum_field(got, s) != pseudo_sum(got, s))
		fail("vpmd->vhost %s: checksum field 0x%04x, want the pseudo-header sum 0x%04x",
		     s->name, l4_cksum_field(got, s), pseudo_sum(got, s));
	if (!payload_ok(got, s))
		fail("vpmd->vhost %s: %u bytes, payload differs", s->name, got->pkt_len);
	printf("vpmd->vhost %-22s %5u bytes, flags read back 0x%llx\n", s->name, got->pkt_len,
	       (unsigned long long)have);
	rte_pktmbuf_free(got);
}

/* net_vhost writes the header from the tx flags; net_vpmd maps it to rx flags. */
static void vhost_to_vpmd(struct env *env, const struct pkt_spec *s)
{
	struct rte_mbuf *m = pkt_build(env->vhost.mp, s), *got;
	uint64_t want_l4 = RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN, have_l4;
	bool want_lro = (s->tx_flags & RTE_MBUF_F_TX_TCP_SEG) != 0;

	if (m == NULL) {
		fail("%s: no mbufs", s->name);
		return;
	}
	got = pass(&env->vhost, &env->vpmd, m, false, s->name);
	if (got == NULL)
		return;
	if (s->tx_flags != 0)
		want_l4 = RTE_MBUF_F_RX_L4_CKSUM_NONE;
	have_l4 = got->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	if (have_l4 != want_l4)
		fail("vhost->vpmd %s: rx L4 checksum flags 0x%llx, want 0x%llx", s->name,
		     (unsigned long long)have_l4, (unsigned long long)want_l4);
	if (want_lro != ((got->ol_flags & RTE_MBUF_F_RX_LRO) != 0))
		fail("vhost->vpmd %s: LRO flag %s", s->name, want_lro ? "missing" : "unexpected");
	if (want_lro && got->tso_segsz != s->mss)
		fail("vhost->vpmd %s: segment size %u, want %u", s->name, got->tso_segsz, s->mss);
	/* net_vhost leaves a coalesced packet's sum in DPDK's form: only the others. */
	if (s->tx_flags != 0 && !want_lro && l4_cksum_field(got, s) != pseudo_sum(got, s))
		fail("vhost->vpmd %s: checksum field 0x%04x, want the pseudo-header sum 0x%04x",
		     s->name, l4_cksum_field(got, s), pseudo_sum(got, s));
	if (!payload_ok(got, s))
		fail("vhost->vpmd %s: %u bytes, payload differs", s->name, got->pkt_len);
	printf("vhost->vpmd %-22s %5u bytes in %u segments, rx flags 0x%llx\n", s->name,
	       got->pkt_len, got->nb_segs, (unsigned long long)got->ol_flags);
	rte_pktmbuf_free(got);
}

/* What net_vpmd must refuse or drop rather than send wrong. */
static void bad_requests(struct env *env)
{
	static const struct pkt_spec tcp = {
		"tcp4", false, L4_TCP, 100, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM, 0};
	struct rte_eth_stats before, after;
	struct rte_mbuf *m;

	/* tx_prepare: no IPv4 header checksum in virtio. */
	m = pkt_build(env->vpmd.mp, &tcp);
	if (m == NULL) {
		fail("bad requests: no mbufs");
		return;
	}
	m->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
	if (rte_eth_tx_prepare(env->vpmd.id, 0, &m, 1) != 0 || rte_errno != ENOTSUP)
		fail("tx_prepare took an IPv4 header checksum request");
	rte_pktmbuf_free(m);

	/* The burst: a checksum position past the first segment is dropped and counted. */
	m = pkt_build(env->vpmd.mp, &tcp);
	if (m == NULL) {
		fail("bad requests: no mbufs");
		return;
	}
	m->l3_len = 200;
	rte_eth_stats_get(env->vpmd.id, &before);
	if (rte_eth_tx_burst(env->vpmd.id, 0, &m, 1) != 1) {
		fail("a malformed offload request was left to the application");
		rte_pktmbuf_free(m);
	}
	rte_eth_stats_get(env->vpmd.id, &after);
	if (after.oerrors != before.oerrors + 1 || after.opackets != before.opackets)
		fail("a malformed offload request: oerrors %llu -> %llu, opackets %llu -> %llu",
		     (unsigned long long)before.oerrors, (unsigned long long)after.oerrors,
		     (unsigned long long)before.opackets, (unsigned long long)after.opackets);
	else
		printf("malformed offload request dropped and counted\n");
}

/* @m's frame holds an 802.1Q tag @tci behind the MAC addresses. */
static bool frame_tagged(const struct rte_mbuf *m, uint16_t tci)
{
	uint8_t buf[4];
	const uint8_t *p = rte_pktmbuf_read(m, 2 * RTE_ETHER_ADDR_LEN, sizeof(buf), buf);

	return p != NULL && p[0] == 0x81 && p[1] == 0x00 && p[2] == (tci >> 8) &&
	       p[3] == (tci & 0xff);
}

/* net_vpmd inserts: the tag is in the frame net_vhost gets, 4 bytes longer. */
static void vlan_insert(struct env *env, const struct pkt_spec *s, uint16_t tci)
{
	struct rte_mbuf *m = pkt_build(env->vpmd.mp, s), *got;
	uint32_t len;

	if (m == NULL) {
		fail("vlan insert: no mbufs");
		return;
	}
	len = m->pkt_len;
	m->ol_flags |= RTE_MBUF_F_TX_VLAN;
	m->vlan_tci = tci;
	got = pass(&env->vpmd, &env->vhost, m, false, "vlan insert");
	if (got == NULL)
		return;
	if (got->pkt_len != len + 4 || !frame_tagged(got, tci))
		fail("vlan insert %s: %u bytes (sent %u), tag 0x%x not in the frame", s->name,
		     got->pkt_len, len, tci);
	else
		printf("vlan insert %-16s %5u bytes in %u segments, tag 0x%x in the frame\n",
		       s->name, got->pkt_len, got->nb_segs, tci);
	rte_pktmbuf_free(got);
}

/* Insert impossible (shared first segment, no headroom): dropped and counted, not sent. */
static void vlan_insert_refused(struct env *env, const struct pkt_spec *s, bool shared)
{
	struct rte_mbuf *m = pkt_build(env->vpmd.mp, s);
	struct rte_eth_stats before, after;
	const char *what = shared ? "shared" : "no headroom";

	if (m == NULL) {
		fail("vlan insert refused: no mbufs");
		return;
	}
	m->ol_flags |= RTE_MBUF_F_TX_VLAN;
	m->vlan_tci = 7;
	if (shared) {
		rte_mbuf_refcnt_update(m, 1); /* the application keeps a reference */
	} else {
		/* Move the frame to the start of the buffer: no headroom left. */
		memmove(m->buf_addr, rte_pktmbuf_mtod(m, void *), m->data_len);
		m->data_off = 0;
	}
	rte_eth_stats_get(env->vpmd.id, &before);
	if (rte_eth_tx_burst(env->vpmd.id, 0, &m, 1) != 1) {
		fail("vlan insert (%s): the burst left the packet to the application", what);
		rte_pktmbuf_free(m);
	}
	rte_eth_stats_get(env->vpmd.id, &after);
	if (after.oerrors != before.oerrors + 1 || after.opackets != before.opackets)
		fail("vlan insert (%s): oerrors %llu -> %llu, opackets %llu -> %llu", what,
		     (unsigned long long)before.oerrors, (unsigned long long)after.oerrors,
		     (unsigned long long)before.opackets, (unsigned long long)after.opackets);
	else
		printf("vlan insert (%s) dropped and counted\n", what);
	if (shared) {
		if (rte_mbuf_refcnt_read(m) != 1)
			fail("vlan insert (shared): the driver kept %u references",
			     rte_mbuf_refcnt_read(m) - 1);
		rte_pktmbuf_free(m);
	}
}

/* net_vhost tags; net_vpmd strips when @strip, else delivers the frame as sent. */
static void vlan_strip(struct env *env, const struct pkt_spec *s, uint16_t tci, bool strip)
{
	struct rte_mbuf *m = pkt_build(env->vhost.mp, s), *got;
	uint64_t vlan_flags;
	int rc;

	rc = rte_eth_dev_set_vlan_offload(env->vpmd.id, strip ? RTE_ETH_VLAN_STRIP_OFFLOAD : 0);
	if (rc != 0) {
		fail("vlan strip %s: %s", strip ? "on" : "off", rte_strerror(-rc));
		rte_pktmbuf_free(m);
		return;
	}
	if (m == NULL) {
		fail("vlan strip: no mbufs");
		return;
	}
	m->ol_flags |= RTE_MBUF_F_TX_VLAN;
	m->vlan_tci = tci;
	got = pass(&env->vhost, &env->vpmd, m, false, "vlan strip");
	if (got == NULL)
		return;
	vlan_flags = got->ol_flags & (RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED);
	if (strip && (vlan_flags != (RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED) ||
		      got->vlan_tci != tci || !payload_ok(got, s) || frame_tagged(got, tci)))
		fail("vlan strip on %s: flags 0x%llx tci 0x%x, %u bytes: not stripped as sent",
		     s->name, (unsigned long long)vlan_flags, got->vlan_tci, got->pkt_len);
	else if (!strip && (vlan_flags != 0 || !frame_tagged(got, tci)))
		fail("vlan strip off %s: flags 0x%llx, the tag not in the frame", s->name,
		     (unsigned long long)vlan_flags);
	else
		printf("vlan strip %-3s %-16s %5u bytes in %u segments, vlan_tci 0x%x\n",
		       strip ? "on" : "off", s->name, got->pkt_len, got->nb_segs, got->vlan_tci);
	rte_pktmbuf_free(got);
}

static void vlan_cases(struct env *env)
{
	static const struct pkt_spec small = {"tcp4", false, L4_TCP, 100, 0, 0};
	static const struct pkt_spec large = {"tcp4 large", false, L4_TCP, 5000, 0, 0};

	vlan_insert(env, &small, 0x123);
	vlan_insert(env, &large, 0xfff);
	vlan_insert_refused(env, &small, true);
	vlan_insert_refused(env, &small, false);
	vlan_strip(env, &small, 0x456, true);
	vlan_strip(env, &large, 0x457, true);
	vlan_strip(env, &small, 0x458, false);
}

static int port_setup(struct port *p, uint64_t rx_offloads, uint64_t tx_offloads)
{
	struct rte_eth_conf conf = {0};

	conf.rxmode.mtu = 9000;
	conf.rxmode.offloads = rx_offloads;
	conf.rxmode.max_lro_pkt_size = UINT16_MAX;
	conf.txmode.offloads = tx_offloads;
	return env_port_setup(p, &conf, RING_SIZE);
}

/* The device lacks HOST_TSO: TSO configured, the start fails; without it, traffic flows. */
static void missing_feature(struct env *env, uint64_t vpmd_rx, uint64_t vpmd_tx)
{
	static const struct pkt_spec tcp = {
		"tcp4 checksum", false, L4_TCP, 500,
		RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM, 0};
	int rc;

	if (port_setup(&env->vhost, 0, RTE_ETH_TX_OFFLOAD_MULTI_SEGS) < 0 ||
	    port_setup(&env->vpmd, vpmd_rx, vpmd_tx) < 0)
		return;
	rc = rte_eth_dev_start(env->vhost.id);
	if (rc < 0) {
		fail("start %s: %s", env->vhost.name, rte_strerror(-rc));
		return;
	}
	env->vhost.started = true;
	rc = rte_eth_dev_start(env->vpmd.id);
	if (rc == 0) {
		env->vpmd.started = true;
		fail("%s started with TSO configured and no HOST_TSO offered", env->vpmd.name);
		return;
	}
	printf("start with TSO and no HOST_TSO offered: %s\n", rte_strerror(-rc));
	if (port_setup(&env->vpmd, vpmd_rx, vpmd_tx & ~RTE_ETH_TX_OFFLOAD_TCP_TSO) < 0)
		return;
	/* net_vhost saw the device reset: restart it too, as after any frontend restart. */
	if (rte_eth_dev_stop(env->vhost.id) != 0)
		fail("stop %s", env->vhost.name);
	env->vhost.started = false;
	if (env_start(env) < 0)
		return;
	vpmd_to_vhost(env, &tcp);
	vhost_to_vpmd(env, &tcp);
}

static const uint64_t tcp4 = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
static const uint64_t udp4 = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM;
static const uint64_t tcp6 = RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_TCP_CKSUM;
static const uint64_t udp6 = RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM;
static const uint64_t tso4 = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_SEG;
static const uint64_t tso6 = RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_TCP_SEG;

int main(int argc, char **argv)
{
	const struct pkt_spec specs[] = {
		{"plain tcp4", false, L4_TCP, 200, 0, 0},
		{"tcp4 checksum", false, L4_TCP, 1000, tcp4, 0},
		{"udp4 checksum", false, L4_UDP, 333, udp4, 0},
		{"tcp6 checksum", true, L4_TCP, 1400, tcp6, 0},
		{"udp6 checksum", true, L4_UDP, 77, udp6, 0},
		{"tcp4 tso", false, L4_TCP, TSO_PAYLOAD, tso4, 1448},
		{"tcp6 tso", true, L4_TCP, TSO_PAYLOAD, tso6, 1000},
	};
	const uint64_t vpmd_rx = RTE_ETH_RX_OFFLOAD_SCATTER | RTE_ETH_RX_OFFLOAD_TCP_CKSUM |
				 RTE_ETH_RX_OFFLOAD_UDP_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_LRO;
	const uint64_t vpmd_tx = RTE_ETH_TX_OFFLOAD_MULTI_SEGS | RTE_ETH_TX_OFFLOAD_TCP_CKSUM |
				 RTE_ETH_TX_OFFLOAD_UDP_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_TSO |
				 RTE_ETH_TX_OFFLOAD_VLAN_INSERT;
	struct env env;
	char vpmd_args[64], what[32];
	bool packed, missing = false;

	if (argc < 2 || argc > 3 ||
	    (strcmp(argv[1], "split") != 0 && strcmp(argv[1], "packed") != 0) ||
	    (argc == 3 && !(missing = strcmp(argv[2], "missing") == 0))) {
		fprintf(stderr, "usage: %s split|packed [missing]\n", argv[0]);
		return EXIT_FAILURE;
	}
	packed = strcmp(argv[1], "packed") == 0;
	snprintf(what, sizeof(what), "%s%s", argv[1], missing ? ",missing" : "");
	if (env_init(&env, argv[0], NB_MBUFS) < 0)
		goto out;
	snprintf(vpmd_args, sizeof(vpmd_args), "packed_vq=%d,mrg_rxbuf=1", packed);
	if (env_probe(&env, missing ? "tso=0,legacy-ol-flags=1" : "tso=1,legacy-ol-flags=1",
		      vpmd_args) < 0)
		goto out;
	if (missing) {
		missing_feature(&env, vpmd_rx, vpmd_tx);
		goto out;
	}
	/* net_vhost writes headers from the mbuf flags whatever it is configured for. */
	if (port_setup(&env.vhost, 0, RTE_ETH_TX_OFFLOAD_MULTI_SEGS) < 0 ||
	    port_setup(&env.vpmd, vpmd_rx, vpmd_tx) < 0)
		goto out;
	if (env_start(&env) < 0)
		goto out;

	for (size_t i = 0; i < RTE_DIM(specs); i++)
		vpmd_to_vhost(&env, &specs[i]);
	for (size_t i = 0; i < RTE_DIM(specs); i++)
		vhost_to_vpmd(&env, &specs[i]);
	bad_requests(&env);
	vlan_cases(&env);
out:
	return env_finish(&env, what);
}
