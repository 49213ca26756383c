/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_vpmd against DPDK's net_vhost in one process, on the ethdev API.
 *
 * Both ports are polled from the main thread: net_vhost is the vhost-user
 * backend (server), net_vpmd the frontend (client). Frames carry a flow id,
 * a sequence number, their own length and a payload derived from
 * (flow, seq, offset), so the receiver checks every byte, the order and the
 * count. Frames of 60 to 9000 bytes go both ways, one direction at a time,
 * then net_vpmd echoes what it receives (each transmit header checked),
 * then net_vpmd's alone with nothing draining the backend until its ring is
 * full, then both at once, then enough small frames to wrap 16-bit ring indexes.
 * Transmitted frames are built as multi-segment mbufs (and, on the net_vpmd
 * side, some shared or without headroom, so the driver must chain a header
 * mbuf in front). Afterwards net_vpmd's stats and xstats must agree with the
 * traffic, and after stop and close every mbuf must be back in its pool.
 *
 * Usage: test_ethdev_loopback split|packed mrg|nomrg [inorder]
 * Exit: 0 pass, 1 fail, 77 skip (cannot initialise EAL without root).
 * net_vpmd is loaded with -d librte_net_vpmd.so: LD_LIBRARY_PATH must name
 * its directory (meson's test environment does).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cpuflags.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "ethdev_env.h"

#define NB_MBUFS	8191
#define RING_SIZE	256
#define BURST		32
#define MAX_FRAME	9000
#define ETHERTYPE_TEST	0x88b5
#define HDR_LEN		22 /* Ethernet header, seq (4), length (2), flow (2) */
#define VNET_HDR_LEN	12 /* the virtio 1.x net header; num_buffers is its last 2 bytes */
#define SEQ_OVERSIZE	0xffffffffu
#define PHASE_TIMEOUT_S 30

/* ---- bursts ---- */

/*
 * Every burst on net_vpmd's queue 0, by the count it returned, in the
 * buckets its xstats keep (0, 1, 2-3, 4-7, 8-15, 16-31, 32 and more), to
 * be checked against them exactly.
 */
#define BURST_BUCKETS 7
static struct {
	uint16_t port; /* net_vpmd's, once known */
	bool on;
	uint64_t rx[BURST_BUCKETS], tx[BURST_BUCKETS];
} bursts;

static unsigned int burst_bucket(uint16_t n)
{
	static const uint16_t lowest[BURST_BUCKETS] = { 0, 1, 2, 4, 8, 16, 32 };
	unsigned int b = 0;

	while (b + 1 < BURST_BUCKETS && n >= lowest[b + 1])
		b++;
	return b;
}

static uint16_t rx_burst(uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t got = rte_eth_rx_burst(port, 0, pkts, n);

	if (bursts.on && port == bursts.port)
		bursts.rx[burst_bucket(got)]++;
	return got;
}

static uint16_t tx_burst(uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = rte_eth_tx_burst(port, 0, pkts, n);

	if (bursts.on && port == bursts.port)
		bursts.tx[burst_bucket(sent)]++;
	return sent;
}

/* ---- frames ---- */

static uint8_t pattern_byte(uint16_t flow, uint32_t seq, uint32_t off)
{
	uint32_t x = (seq * 0x9e3779b1u) ^ (off * 0x85ebca77u) ^ ((uint32_t)flow << 29);

	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	x ^= x >> 12;
	return (uint8_t)(x >> 8);
}

/* The expected byte at @off of frame @seq of @flow, @len bytes long. */
static uint8_t frame_byte(uint16_t flow, uint32_t seq, uint16_t len, uint32_t off)
{
	static const uint8_t dst[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
	static const uint8_t src[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

	if (off < 6)
		return dst[off];
	if (off < 12)
		return src[off - 6];
	switch (off) {
	case 12:
		return ETHERTYPE_TEST >> 8;
	case 13:
		return ETHERTYPE_TEST & 0xff;
	case 14:
		return (uint8_t)(seq >> 24);
	case 15:
		return (uint8_t)(seq >> 16);
	case 16:
		return (uint8_t)(seq >> 8);
	case 17:
		return (uint8_t)seq;
	case 18:
		return (uint8_t)(len >> 8);
	case 19:
		return (uint8_t)len;
	case 20:
		return (uint8_t)(flow >> 8);
	case 21:
		return (uint8_t)flow;
	default:
		return pattern_byte(flow, seq, off);
	}
}

/* Deterministic, so sender and receiver agree on every frame's length. */
static uint32_t lcg_next(uint32_t *state)
{
	*state = *state * 1664525u + 1013904223u;
	return *state >> 8;
}

enum tx_shape {
	SHAPE_FULL,   /* segments filled to their tailroom */
	SHAPE_SMALL,  /* many short segments */
	SHAPE_NOROOM, /* first segment without headroom */
	SHAPE_SHARED, /* refcnt 2 while queued: the driver may not write it */
	SHAPE_MAX,
};

/*
 * Frame @seq of @flow as an mbuf chain from @mp shaped by @shape. For
 * SHAPE_SHARED the caller holds a second reference (*extra_ref is set) and
 * drops it after tx_burst.
 */
static struct rte_mbuf *frame_build(struct rte_mempool *mp, uint16_t flow, uint32_t seq,
				    uint16_t len, enum tx_shape shape, uint32_t *rng,
				    bool *extra_ref)
{
	struct rte_mbuf *head = NULL, *tail = NULL;
	uint32_t off = 0;

	*extra_ref = false;
	while (off < len) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		uint32_t room, n;
		uint8_t *p;

		if (m == NULL) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		if (head == NULL && shape == SHAPE_NOROOM)
			m->data_off = 0;
		room = rte_pktmbuf_tailroom(m);
		n = len - off;
		if (shape == SHAPE_SMALL) {
			uint32_t lo = RTE_MAX(64u, (uint32_t)len / 24);
			uint32_t pick = lo + lcg_next(rng) % (room - lo + 1);

			n = RTE_MIN(n, pick);
		}
		n = RTE_MIN(n, room);
		p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)n);
		for (uint32_t i = 0; i < n; i++)
			p[i] = frame_byte(flow, seq, len, off + i);
		off += n;
		if (head == NULL) {
			head = m;
		} else {
			tail->next = m;
			head->nb_segs++;
			head->pkt_len += n;
		}
		tail = m;
	}
	if (shape == SHAPE_SHARED) {
		/* Every segment: a free walks the chain segment by segment. */
		rte_pktmbuf_refcnt_update(head, 1);
		*extra_ref = true;
	}
	return head;
}

/* ---- flows: one direction of traffic in one phase ---- */

struct flow {
	const char *name;
	uint16_t id;
	struct port *tx, *rx;
	uint32_t count; /* frames to send */
	uint16_t min_len, max_len;
	const uint16_t *fixed; /* sent first, then pseudo-random lengths */
	unsigned int n_fixed;
	uint32_t rng_len_tx, rng_len_rx, rng_shape;
	bool vary_shape; /* shared / no-headroom / other pool's mbufs (the net_vpmd side) */
	/* progress */
	struct rte_mbuf *pending[BURST];
	bool pending_ref[BURST];
	uint16_t pending_len[BURST];
	unsigned int n_pending;
	uint32_t built, sent, rcvd;
	uint64_t sent_bytes, rcvd_bytes;
	uint32_t rcvd_multiseg; /* frames the receiver chained from several buffers */
	uint16_t next_rx_len;
	bool next_rx_len_valid;
};

static uint16_t flow_len(const struct flow *f, uint32_t seq, uint32_t *rng)
{
	if (seq < f->n_fixed)
		return f->fixed[seq];
	return (uint16_t)(f->min_len + lcg_next(rng) % (uint32_t)(f->max_len - f->min_len + 1));
}

/* Build what the pending array lacks, send it; unsent frames stay, in order. */
static int flow_tx(struct flow *f)
{
	uint16_t n;

	while (f->n_pending < BURST && f->built < f->count) {
		uint32_t seq = f->built;
		uint16_t len = flow_len(f, seq, &f->rng_len_tx);
		enum tx_shape shape = SHAPE_FULL;
		struct rte_mbuf *m;

		if (len > MAX_FRAME / 2 || seq % 5 == 1)
			shape = SHAPE_SMALL;
		if (f->vary_shape && seq % 7 == 3)
			shape = SHAPE_NOROOM;
		if (f->vary_shape && seq % 7 == 5)
			shape = SHAPE_SHARED;
		/*
		 * Now and then a frame from the other port's pool: a driver
		 * that puts its completions back to one pool must notice.
		 */
		m = frame_build(f->vary_shape && seq % 11 == 6 ? f->rx->mp : f->tx->mp, f->id, seq,
				len, shape, &f->rng_shape, &f->pending_ref[f->n_pending]);
		if (m == NULL) {
			fail("%s: no mbuf for frame %" PRIu32 " (%u bytes)", f->name, seq, len);
			return -ENOMEM;
		}
		f->pending_len[f->n_pending] = len;
		f->pending[f->n_pending++] = m;
		f->built++;
	}
	if (f->n_pending == 0)
		return 0;
	/* Sent mbufs are the driver's: their lengths were noted before. */
	n = tx_burst(f->tx->id, f->pending, (uint16_t)f->n_pending);
	for (uint16_t i = 0; i < n; i++) {
		f->sent_bytes += f->pending_len[i];
		if (f->pending_ref[i])
			rte_pktmbuf_free(f->pending[i]);
	}
	f->sent += n;
	memmove(f->pending, f->pending + n, (f->n_pending - n) * sizeof(f->pending[0]));
	memmove(f->pending_ref, f->pending_ref + n, (f->n_pending - n) * sizeof(f->pending_ref[0]));
	memmove(f->pending_len, f->pending_len + n, (f->n_pending - n) * sizeof(f->pending_len[0]));
	f->n_pending -= n;
	return 0;
}

/* Check one received frame against the next expected; frees it. */
static int frame_check(struct flow *f, struct rte_mbuf *m)
{
	uint32_t seq = f->rcvd, off = 0, segs = 0;
	uint16_t len;
	int rc = 0;

	if (!f->next_rx_len_valid) {
		f->next_rx_len = flow_len(f, seq, &f->rng_len_rx);
		f->next_rx_len_valid = true;
	}
	len = f->next_rx_len;
	if (seq >= f->count) {
		fail("%s: frame beyond the %" PRIu32 " sent (%u bytes)", f->name, f->count,
		     m->pkt_len);
		rc = -EPROTO;
		goto out;
	}
	if (m->pkt_len >= HDR_LEN) {
		const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
		uint32_t got = (m->data_len >= 18)
				   ? ((uint32_t)p[14] << 24 | (uint32_t)p[15] << 16 |
				      (uint32_t)p[16] << 8 | p[17])
				   : seq;

		if (got == SEQ_OVERSIZE) {
			fail("%s: the oversized frame was delivered (%u bytes)", f->name,
			     m->pkt_len);
			rc = -EPROTO;
			goto out;
		}
		if (got != seq) {
			fail("%s: expected frame %" PRIu32 ", got frame %" PRIu32
			     " (%u bytes): lost, duplicated or reordered",
			     f->name, seq, got, m->pkt_len);
			rc = -EPROTO;
			goto out;
		}
	}
	if (m->pkt_len != len) {
		fail("%s: frame %" PRIu32 " is %u bytes in %u segments, sent %u", f->name, seq,
		     m->pkt_len, m->nb_segs, len);
		rc = -EPROTO;
		goto out;
	}
	for (struct rte_mbuf *s = m; s != NULL; s = s->next, segs++) {
		const uint8_t *p = rte_pktmbuf_mtod(s, const uint8_t *);

		if (off + s->data_len > len) {
			fail("%s: frame %" PRIu32 ": segments hold more than pkt_len %u", f->name,
			     seq, len);
			rc = -EPROTO;
			goto out;
		}
		for (uint32_t i = 0; i < s->data_len; i++) {
			uint8_t want = frame_byte(f->id, seq, len, off + i);

			if (p[i] != want) {
				fail("%s: frame %" PRIu32 " (%u bytes, %u segments): byte %" PRIu32
				     " (segment %" PRIu32 " offset %" PRIu32
				     ") is 0x%02x, sent 0x%02x",
				     f->name, seq, len, m->nb_segs, off + i, segs, i, p[i], want);
				rc = -EPROTO;
				goto out;
			}
		}
		off += s->data_len;
	}
	if (off != len || segs != m->nb_segs) {
		fail("%s: frame %" PRIu32 ": segments hold %" PRIu32 " bytes in %" PRIu32
		     " mbufs, pkt_len %u, nb_segs %u",
		     f->name, seq, off, segs, len, m->nb_segs);
		rc = -EPROTO;
		goto out;
	}
	f->rcvd++;
	f->rcvd_bytes += len;
	f->rcvd_multiseg += m->nb_segs > 1;
	f->next_rx_len_valid = false;
out:
	rte_pktmbuf_free(m);
	return rc;
}

static int port_rx(struct port *p, struct flow *f)
{
	struct rte_mbuf *pkts[BURST];
	uint16_t n = rx_burst(p->id, pkts, BURST);
	int rc = 0;

	for (uint16_t i = 0; i < n; i++) {
		if (rc < 0) {
			rte_pktmbuf_free(pkts[i]);
			continue;
		}
		if (f == NULL) {
			fail("%s: received a frame (%u bytes) when none was sent", p->name,
			     pkts[i]->pkt_len);
			rte_pktmbuf_free(pkts[i]);
			rc = -EPROTO;
			continue;
		}
		rc = frame_check(f, pkts[i]);
	}
	return rc < 0 ? rc : n;
}

static void flow_discard(struct flow *f)
{
	for (unsigned int i = 0; i < f->n_pending; i++) {
		if (f->pending_ref[i])
			rte_pktmbuf_free(f->pending[i]);
		rte_pktmbuf_free(f->pending[i]);
	}
	f->n_pending = 0;
}

/* One receive burst on each port, checked against the flow it receives, if any. */
static int ports_rx(struct flow **flows, unsigned int n, struct port *ports[2])
{
	for (unsigned int pi = 0; pi < 2; pi++) {
		struct flow *f = NULL;
		int rc;

		for (unsigned int i = 0; i < n; i++)
			if (flows[i]->rx == ports[pi])
				f = flows[i];
		rc = port_rx(ports[pi], f);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * Run @n flows (at most one per receiving port) until every frame is
 * received, then poll a little longer: nothing more may arrive.
 */
static int run_flows(const char *phase, struct flow **flows, unsigned int n, struct port *ports[2])
{
	double deadline = now_s() + PHASE_TIMEOUT_S, quiet_until;
	int rc = 0;

	for (;;) {
		bool done = true;

		for (unsigned int i = 0; i < n; i++) {
			rc = flow_tx(flows[i]);
			if (rc < 0)
				goto out;
		}
		rc = ports_rx(flows, n, ports);
		if (rc < 0)
			goto out;
		for (unsigned int i = 0; i < n; i++)
			done = done && flows[i]->rcvd == flows[i]->count;
		if (done)
			break;
		if (now_s() > deadline) {
			for (unsigned int i = 0; i < n; i++)
				fail("%s: %s: after %d s, %" PRIu32 " of %" PRIu32
				     " frames sent, %" PRIu32 " received",
				     phase, flows[i]->name, PHASE_TIMEOUT_S, flows[i]->sent,
				     flows[i]->count, flows[i]->rcvd);
			rc = -ETIMEDOUT;
			goto out;
		}
	}
	/* The count: nothing beyond what was sent. */
	quiet_until = now_s() + 0.05;
	while (now_s() < quiet_until) {
		rc = ports_rx(flows, n, ports);
		if (rc < 0)
			goto out;
	}
	rc = 0;
	for (unsigned int i = 0; i < n; i++)
		printf("%s: %s: %" PRIu32 " frames (%" PRIu32 " multi-segment), %" PRIu64
		       " bytes, every byte checked\n",
		       phase, flows[i]->name, flows[i]->rcvd, flows[i]->rcvd_multiseg,
		       flows[i]->rcvd_bytes);
out:
	for (unsigned int i = 0; i < n; i++)
		flow_discard(flows[i]);
	return rc;
}

/* ---- ports ---- */

static int port_setup(struct port *p, bool scatter, uint16_t max_frame)
{
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	int rc;

	rc = rte_eth_dev_info_get(p->id, &info);
	if (rc < 0) {
		fail("%s: info: %s", p->name, rte_strerror(-rc));
		return rc;
	}
	conf.rxmode.mtu = max_frame - RTE_ETHER_HDR_LEN;
	if (scatter && (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER))
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	return env_port_setup(p, &conf, RING_SIZE);
}

/* ---- stats ---- */

static int xstat_find(uint16_t port, const char *name, uint64_t *value)
{
	uint64_t id;

	if (rte_eth_xstats_get_id_by_name(port, name, &id) != 0)
		return -ENOENT;
	return rte_eth_xstats_get_by_id(port, &id, value, 1) == 1 ? 0 : -EIO;
}

/*
 * net_vpmd's counters against the traffic: @tx/@rx frames and bytes it sent
 * and received; net_vhost must have seen the same from its side.
 */
static void stats_check(struct port *vpmd, struct port *vhost, uint64_t tx, uint64_t tx_bytes,
			uint64_t rx, uint64_t rx_bytes)
{
	static const char *const zero[] = {
	    "rx_q0_errors",
	    "tx_q0_errors",
	    "rx_q0_mbuf_alloc_failed",
	    "tx_q0_mbuf_alloc_failed",
	    "tx_q0_refused_len",
	    "rx_q0_refused_len",
	};
	struct rte_eth_xstat_name *names = NULL;
	struct rte_eth_xstat *xs = NULL;
	struct rte_eth_stats s, hs;
	uint64_t v;
	int n;

	if (rte_eth_stats_get(vpmd->id, &s) != 0 || rte_eth_stats_get(vhost->id, &hs) != 0) {
		fail("stats_get failed");
		return;
	}
	printf("%s stats: ipackets %" PRIu64 " ibytes %" PRIu64 " opackets %" PRIu64
	       " obytes %" PRIu64 " ierrors %" PRIu64 " oerrors %" PRIu64 " rx_nombuf %" PRIu64
	       "\n",
	       vpmd->name, s.ipackets, s.ibytes, s.opackets, s.obytes, s.ierrors, s.oerrors,
	       s.rx_nombuf);
	if (s.opackets != tx || s.obytes != tx_bytes)
		fail("%s: opackets %" PRIu64 " obytes %" PRIu64 ", sent %" PRIu64
		     " frames of %" PRIu64 " bytes",
		     vpmd->name, s.opackets, s.obytes, tx, tx_bytes);
	if (s.ipackets != rx || s.ibytes != rx_bytes)
		fail("%s: ipackets %" PRIu64 " ibytes %" PRIu64 ", received %" PRIu64
		     " frames of %" PRIu64 " bytes",
		     vpmd->name, s.ipackets, s.ibytes, rx, rx_bytes);
	if (s.ierrors != 0 || s.oerrors != 0 || s.rx_nombuf != 0)
		fail("%s: ierrors %" PRIu64 " oerrors %" PRIu64 " rx_nombuf %" PRIu64, vpmd->name,
		     s.ierrors, s.oerrors, s.rx_nombuf);
	if (hs.ipackets != tx)
		fail("%s: ipackets %" PRIu64 ", %s sent %" PRIu64, vhost->name, hs.ipackets,
		     vpmd->name, tx);

	for (size_t i = 0; i < RTE_DIM(zero); i++) {
		if (xstat_find(vpmd->id, zero[i], &v) != 0)
			fail("%s: no xstat %s", vpmd->name, zero[i]);
		else if (v != 0)
			fail("%s: xstat %s is %" PRIu64 ", expected 0", vpmd->name, zero[i], v);
	}
	if (xstat_find(vpmd->id, "rx_q0_kicks", &v) != 0)
		fail("%s: no xstat rx_q0_kicks", vpmd->name);
	else if (v == 0)
		fail("%s: rx_q0_kicks is 0 although the rx ring was refilled", vpmd->name);
	if (xstat_find(vpmd->id, "tx_q0_packets", &v) != 0 || v != tx)
		fail("%s: xstat tx_q0_packets is not %" PRIu64, vpmd->name, tx);
	if (xstat_find(vpmd->id, "rx_q0_packets", &v) != 0 || v != rx)
		fail("%s: xstat rx_q0_packets is not %" PRIu64, vpmd->name, rx);

	/* Every refusal counter, whatever its reason, is 0. */
	n = rte_eth_xstats_get_names(vpmd->id, NULL, 0);
	if (n <= 0) {
		fail("%s: no xstats", vpmd->name);
		return;
	}
	names = calloc((size_t)n, sizeof(*names));
	xs = calloc((size_t)n, sizeof(*xs));
	if (names == NULL || xs == NULL || rte_eth_xstats_get_names(vpmd->id, names, n) != n ||
	    rte_eth_xstats_get(vpmd->id, xs, n) != n) {
		fail("%s: xstats read failed", vpmd->name);
		goto out;
	}
	{
		/* The size buckets of each direction add up to its packets. */
		uint64_t rx_sized = 0, tx_sized = 0;

		for (int i = 0; i < n; i++) {
			const char *name = names[xs[i].id].name;

			if (strstr(name, "_refused_") != NULL && xs[i].value != 0)
				fail("%s: xstat %s is %" PRIu64, vpmd->name, name, xs[i].value);
			if (strncmp(name, "rx_q0_size_", 11) == 0)
				rx_sized += xs[i].value;
			if (strncmp(name, "tx_q0_size_", 11) == 0)
				tx_sized += xs[i].value;
		}
		if (rx_sized != rx || tx_sized != tx)
			fail("%s: size buckets hold %" PRIu64 " rx and %" PRIu64
			     " tx packets, not %" PRIu64 " and %" PRIu64,
			     vpmd->name, rx_sized, tx_sized, rx, tx);
	}
	{
		/* The burst buckets hold every burst the test made, by what it returned. */
		static const char *const rx_names[BURST_BUCKETS] = {
		    "rx_q0_empty_polls", "rx_q0_bursts_1",     "rx_q0_bursts_2_3",
		    "rx_q0_bursts_4_7",  "rx_q0_bursts_8_15",  "rx_q0_bursts_16_31",
		    "rx_q0_bursts_32_plus"};
		static const char *const tx_names[BURST_BUCKETS] = {
		    "tx_q0_bursts_0",   "tx_q0_bursts_1",     "tx_q0_bursts_2_3",
		    "tx_q0_bursts_4_7", "tx_q0_bursts_8_15",  "tx_q0_bursts_16_31",
		    "tx_q0_bursts_32_plus"};

		for (unsigned int b = 0; b < BURST_BUCKETS; b++) {
			if (xstat_find(vpmd->id, rx_names[b], &v) != 0 || v != bursts.rx[b])
				fail("%s: xstat %s is %" PRIu64 ", the test made %" PRIu64 " such bursts",
				     vpmd->name, rx_names[b], v, bursts.rx[b]);
			if (xstat_find(vpmd->id, tx_names[b], &v) != 0 || v != bursts.tx[b])
				fail("%s: xstat %s is %" PRIu64 ", the test made %" PRIu64 " such bursts",
				     vpmd->name, tx_names[b], v, bursts.tx[b]);
		}
		printf("%s bursts rx [0 1 2-3 4-7 8-15 16-31 32+]: %" PRIu64 " %" PRIu64 " %" PRIu64
		       " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
		       vpmd->name, bursts.rx[0], bursts.rx[1], bursts.rx[2], bursts.rx[3],
		       bursts.rx[4], bursts.rx[5], bursts.rx[6]);
	}
out:
	free(names);
	free(xs);
}

/* ---- the test ---- */

static const uint16_t fixed_sizes[] = {
    60, 61, 64, 127, 128, 1500, 1514, 1518, 2047, 2048, 2049, 4000, 4096, 8999, 9000,
};

struct config {
	bool packed;
	bool mrg;
	bool in_order;
};

static unsigned int fixed_upto(uint16_t *out, uint16_t max_len)
{
	unsigned int n = 0;

	for (size_t i = 0; i < RTE_DIM(fixed_sizes); i++)
		if (fixed_sizes[i] <= max_len)
			out[n++] = fixed_sizes[i];
	return n;
}

static void flow_init(struct flow *f, const char *name, uint16_t id, struct port *tx,
		      struct port *rx, uint32_t count, uint16_t min_len, uint16_t max_len,
		      const uint16_t *fixed, unsigned int n_fixed, uint32_t seed)
{
	memset(f, 0, sizeof(*f));
	f->name = name;
	f->id = id;
	f->tx = tx;
	f->rx = rx;
	f->count = count;
	f->min_len = min_len;
	f->max_len = max_len;
	f->fixed = fixed;
	f->n_fixed = n_fixed;
	f->rng_len_tx = f->rng_len_rx = seed;
	f->rng_shape = seed ^ 0x5a5a5a5au;
	f->vary_shape = tx->is_vpmd;
}

/*
 * With mrg_rxbuf off a frame must fit one rx buffer of net_vpmd's: the
 * backend has to refuse a bigger one rather than truncate or split it. It
 * is sent alone; if the backend takes it, net_vpmd must not deliver it.
 */
static int oversize_check(struct port *vhost, struct port *vpmd, uint16_t len)
{
	struct rte_mbuf *m;
	double until;
	uint32_t rng = 1;
	bool ref;
	uint16_t n;

	m = frame_build(vhost->mp, 9, SEQ_OVERSIZE, len, SHAPE_FULL, &rng, &ref);
	if (m == NULL) {
		fail("no mbuf for the oversized frame");
		return -ENOMEM;
	}
	n = tx_burst(vhost->id, &m, 1);
	if (n == 0)
		rte_pktmbuf_free(m);
	printf("oversized frame of %u bytes: %s by %s\n", len, n ? "taken" : "refused",
	       vhost->name);
	until = now_s() + 0.05;
	while (now_s() < until)
		if (port_rx(vpmd, NULL) < 0)
			return -EPROTO;
	return 0;
}

/*
 * Backpressure: net_vpmd sends while nothing drains the backend, until its
 * ring is full and bursts come back short, which tx_q0_ring_full must
 * count; then the backend drains and every frame still arrives, in order.
 */
static int backpressure(struct flow *f, struct port *ports[2])
{
	uint64_t before, after;
	unsigned int stalled = 0;

	if (xstat_find(f->tx->id, "tx_q0_ring_full", &before) != 0) {
		fail("%s: no xstat tx_q0_ring_full", f->tx->name);
		return -ENOENT;
	}
	/* Short bursts in a row, the ring's completions reclaimed in between: it is full. */
	while (stalled < 4 && f->sent < f->count) {
		uint32_t sent = f->sent;
		int rc = flow_tx(f);

		if (rc < 0)
			return rc;
		stalled = f->sent == sent ? stalled + 1 : 0;
	}
	if (f->sent == f->count) {
		fail("%s: all %" PRIu32 " frames went out with nothing draining the backend",
		     f->name, f->count);
		return -EPROTO;
	}
	if (xstat_find(f->tx->id, "tx_q0_ring_full", &after) != 0 || after < before + 4)
		fail("%s: tx_q0_ring_full went from %" PRIu64 " to %" PRIu64
		     " over %u short bursts", f->tx->name, before, after, stalled);
	printf("backpressure: ring full after %" PRIu32 " frames, tx_q0_ring_full +%" PRIu64 "\n",
	       f->sent, after - before);
	return run_flows("after backpressure", &f, 1, ports);
}

/*
 * Echo: net_vpmd sends back what it receives, as io forwarding does. The
 * device wrote a header in front of each received frame (num_buffers 1
 * at least), and the driver prepends its transmit header in the same
 * place, where virtio 1.2 5.1.6.2.1 says num_buffers MUST be zero: every
 * header handed to the device is checked as it leaves, while the mbuf
 * is still the driver's (net_vhost only takes it when polled, below).
 * The echoed frames are checked byte for byte where they land.
 */
static int echo(struct flow *in, struct flow *back, uint64_t *tx_bytes)
{
	static const uint8_t zero_hdr[VNET_HDR_LEN];
	struct port *vhost = in->tx, *vpmd = in->rx;
	struct rte_mbuf *pending[BURST];
	unsigned int n_pending = 0;
	uint32_t device_hdrs = 0;
	double deadline = now_s() + PHASE_TIMEOUT_S;
	int rc = 0;

	while (back->rcvd < back->count) {
		rc = flow_tx(in);
		if (rc < 0)
			break;
		if (n_pending < BURST) {
			uint16_t n = rx_burst(vpmd->id, pending + n_pending,
					      (uint16_t)(BURST - n_pending));

			for (uint16_t i = 0; i < n; i++)
				device_hdrs += memcmp(rte_pktmbuf_mtod(pending[n_pending + i], uint8_t *) -
							      VNET_HDR_LEN,
						      zero_hdr, VNET_HDR_LEN) != 0;
			in->rcvd += n;
			n_pending += n;
		}
		if (n_pending > 0) {
			uint16_t n = tx_burst(vpmd->id, pending, (uint16_t)n_pending);

			for (uint16_t i = 0; i < n; i++) {
				const uint8_t *hdr =
					rte_pktmbuf_mtod(pending[i], const uint8_t *) - VNET_HDR_LEN;

				if (memcmp(hdr, zero_hdr, VNET_HDR_LEN) != 0 && rc == 0) {
					fail("echo: %s sent a header that is not zero (num_buffers %u)",
					     vpmd->name, (unsigned int)(hdr[10] | hdr[11] << 8));
					rc = -EPROTO;
				}
				*tx_bytes += pending[i]->pkt_len;
			}
			back->sent += n;
			memmove(pending, pending + n, (n_pending - n) * sizeof(pending[0]));
			n_pending -= n;
		}
		if (rc == 0)
			rc = port_rx(vhost, back);
		if (rc < 0)
			break;
		rc = 0;
		if (now_s() > deadline) {
			fail("echo: after %d s, %" PRIu32 " of %" PRIu32 " frames back", PHASE_TIMEOUT_S,
			     back->rcvd, back->count);
			rc = -ETIMEDOUT;
			break;
		}
	}
	rte_pktmbuf_free_bulk(pending, n_pending);
	flow_discard(in);
	if (rc < 0)
		return rc;
	/* Otherwise the check above compared zeroes with zeroes. */
	if (device_hdrs == 0) {
		fail("echo: the device wrote no header worth clearing in %" PRIu32 " frames",
		     in->rcvd);
		return -EPROTO;
	}
	printf("echo: %" PRIu32 " frames back, every byte checked; %" PRIu32
	       " came with a device header, every header sent was zero\n",
	       back->rcvd, device_hdrs);
	return 0;
}

/* What net_vpmd sent and received over all phases. */
struct totals {
	uint64_t tx, tx_bytes, rx, rx_bytes;
};

/* Count @f's traffic on net_vpmd's side of it. */
static void totals_add(struct totals *t, const struct flow *f)
{
	if (f->tx->is_vpmd) {
		t->tx += f->sent;
		t->tx_bytes += f->sent_bytes;
	}
	if (f->rx->is_vpmd) {
		t->rx += f->rcvd;
		t->rx_bytes += f->rcvd_bytes;
	}
}

/* run_flows(), its traffic counted in @t whether or not it passed. */
static int phase(struct totals *t, const char *name, struct flow **flows, unsigned int n,
		 struct port *ports[2])
{
	int rc = run_flows(name, flows, n, ports);

	for (unsigned int i = 0; i < n; i++)
		totals_add(t, flows[i]);
	return rc;
}

static int traffic(const struct config *cfg, struct port *vhost, struct port *vpmd)
{
	struct port *ports[2] = {vhost, vpmd};
	uint16_t to_vpmd_fixed[RTE_DIM(fixed_sizes)], to_vhost_fixed[RTE_DIM(fixed_sizes)];
	uint16_t to_vpmd_max, to_vhost_max = MAX_FRAME;
	unsigned int n_to_vpmd, n_to_vhost;
	struct flow out, in, *both[2] = {&out, &in}, *only_out[1] = {&out}, *only_in[1] = {&in};
	struct totals t = {0};
	int rc;

	/* net_vpmd's rx buffers hold a data room each; only mergeable ones chain. */
	to_vpmd_max = cfg->mrg ? MAX_FRAME
			       : (uint16_t)RTE_MIN(MAX_FRAME, rte_pktmbuf_data_room_size(vpmd->mp) -
								  RTE_PKTMBUF_HEADROOM);
	n_to_vpmd = fixed_upto(to_vpmd_fixed, to_vpmd_max);
	n_to_vhost = fixed_upto(to_vhost_fixed, to_vhost_max);

	flow_init(&out, "vpmd->vhost", 1, vpmd, vhost, 2000, 60, to_vhost_max, to_vhost_fixed,
		  n_to_vhost, 11);
	rc = phase(&t, "one way", only_out, 1, ports);
	if (rc < 0)
		return rc;

	flow_init(&in, "vhost->vpmd", 2, vhost, vpmd, 2000, 60, to_vpmd_max, to_vpmd_fixed,
		  n_to_vpmd, 22);
	rc = phase(&t, "one way", only_in, 1, ports);
	if (rc < 0)
		return rc;

	/* The same frames, id and lengths, on their way back. */
	flow_init(&in, "vhost->vpmd", 10, vhost, vpmd, 2 * RING_SIZE, 60, 1500, NULL, 0, 100);
	flow_init(&out, "vpmd->vhost", 10, vpmd, vhost, 2 * RING_SIZE, 60, 1500, NULL, 0, 100);
	rc = echo(&in, &out, &out.sent_bytes);
	in.rcvd_bytes = out.sent_bytes;
	totals_add(&t, &in);
	totals_add(&t, &out);
	if (rc < 0)
		return rc;

	flow_init(&out, "vpmd->vhost", 8, vpmd, vhost, 3 * RING_SIZE, 60, 128, NULL, 0, 88);
	rc = backpressure(&out, ports);
	totals_add(&t, &out);
	if (rc < 0)
		return rc;

	flow_init(&out, "vpmd->vhost", 3, vpmd, vhost, 3000, 60, to_vhost_max, to_vhost_fixed,
		  n_to_vhost, 33);
	flow_init(&in, "vhost->vpmd", 4, vhost, vpmd, 3000, 60, to_vpmd_max, to_vpmd_fixed,
		  n_to_vpmd, 44);
	rc = phase(&t, "both ways", both, 2, ports);
	if (rc < 0)
		return rc;
	/* Frames beyond one data room must have come as chains, or the sweep proved little. */
	if (out.rcvd_multiseg == 0)
		fail("%s received no multi-segment frame", vhost->name);
	if (cfg->mrg && in.rcvd_multiseg == 0)
		fail("%s received no multi-segment frame with mrg_rxbuf on", vpmd->name);
	if (!cfg->mrg && in.rcvd_multiseg != 0)
		fail("%s chained %" PRIu32 " frames with mrg_rxbuf off", vpmd->name,
		     in.rcvd_multiseg);

	/* Past 65536 descriptors each way: split ring indexes wrap, packed ones many times. */
	flow_init(&out, "vpmd->vhost", 5, vpmd, vhost, 70000, 60, 128, NULL, 0, 55);
	flow_init(&in, "vhost->vpmd", 6, vhost, vpmd, 70000, 60, 128, NULL, 0, 66);
	rc = phase(&t, "small, past index wrap", both, 2, ports);
	if (rc < 0)
		return rc;

	if (!cfg->mrg) {
		rc = oversize_check(vhost, vpmd, (uint16_t)(to_vpmd_max + 1));
		if (rc < 0)
			return rc;
		/* Traffic still flows after the refusal. */
		flow_init(&in, "vhost->vpmd", 7, vhost, vpmd, 500, 60, to_vpmd_max, to_vpmd_fixed,
			  n_to_vpmd, 77);
		rc = phase(&t, "after oversize", only_in, 1, ports);
		if (rc < 0)
			return rc;
	}

	stats_check(vpmd, vhost, t.tx, t.tx_bytes, t.rx, t.rx_bytes);
	return failed ? -EPROTO : 0;
}

static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s split|packed mrg|nomrg [inorder|inorder-avx512]\n", prog);
	return EXIT_FAILURE;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct env env;
	char vpmd_args[128], cfg_name[40];
	bool avx512;

	if (argc != 3 && argc != 4)
		return usage(argv[0]);
	if (strcmp(argv[1], "split") == 0)
		cfg.packed = false;
	else if (strcmp(argv[1], "packed") == 0)
		cfg.packed = true;
	else
		return usage(argv[0]);
	if (strcmp(argv[2], "mrg") == 0)
		cfg.mrg = true;
	else if (strcmp(argv[2], "nomrg") == 0)
		cfg.mrg = false;
	else
		return usage(argv[0]);
	cfg.in_order = argc == 4;
	/* inorder-avx512: the receive path of vq_packed_avx512.c, which needs the cap lifted. */
	avx512 = cfg.in_order && strcmp(argv[3], "inorder-avx512") == 0;
	if (cfg.in_order && !avx512 && strcmp(argv[3], "inorder") != 0)
		return usage(argv[0]);
	if (avx512)
		setenv("VPMD_TEST_SIMD_BITWIDTH", "512", 1);
	snprintf(cfg_name, sizeof(cfg_name), "%s,%s%s", argv[1], argv[2],
		 cfg.in_order ? (avx512 ? ",inorder,avx512" : ",inorder") : "");

	if (env_init(&env, argv[0], NB_MBUFS) < 0)
		goto out;
	printf("config %s\n", cfg_name);
	snprintf(vpmd_args, sizeof(vpmd_args),
		 "packed_vq=%d,mrg_rxbuf=%d,in_order=%d,mac=02:00:00:00:00:01", cfg.packed, cfg.mrg,
		 cfg.in_order);
	if (env_probe(&env, "", vpmd_args) < 0)
		goto out;
	if (port_setup(&env.vhost, true, MAX_FRAME) < 0 ||
	    port_setup(&env.vpmd, cfg.mrg, MAX_FRAME) < 0)
		goto out;
	if (env_start(&env) < 0)
		goto out;
	{
		struct rte_eth_burst_mode mode;

		if (rte_eth_rx_burst_mode_get(env.vpmd.id, 0, &mode) == 0)
			printf("%s rx burst mode: %s\n", env.vpmd.name, mode.info);
		if (cfg.packed != (strstr(mode.info, "packed") != NULL) ||
		    cfg.mrg != (strstr(mode.info, "mergeable") != NULL) ||
		    cfg.in_order != (strstr(mode.info, "in-order") != NULL))
			fail("%s runs '%s', asked %s", env.vpmd.name, mode.info, cfg_name);
		if (avx512 && strstr(mode.info, "avx512") == NULL) {
			if (rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512F) == 1 &&
			    rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512BW) == 1 &&
			    rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512VL) == 1) {
				fail("%s runs '%s' on a CPU with AVX-512", env.vpmd.name, mode.info);
			} else {
				printf("SKIP: the CPU has no AVX-512: '%s'\n", mode.info);
				env.skip = true;
				goto out;
			}
		}
	}

	/* Counted from here on, as the xstats are from the start (nothing polled yet). */
	bursts.port = env.vpmd.id;
	bursts.on = true;
	traffic(&cfg, &env.vhost, &env.vpmd);
out:
	return env_finish(&env, cfg_name);
}
