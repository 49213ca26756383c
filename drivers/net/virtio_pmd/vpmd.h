/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_vpmd internals: the adapter behind one ethdev port and its queues.
 */
#ifndef VPMD_H
#define VPMD_H

#include <stdbool.h>
#include <stdint.h>

#include <ethdev_driver.h>
#include <rte_memzone.h>
#include <rte_spinlock.h>

#include <vpmd/vhost_user.h>
#include <vpmd/virtio_dev.h>
#include <vpmd/virtio_net_rss.h>
#include <vpmd/virtqueue.h>

#include "vpmd_bus.h"
#include "vpmd_trace.h"
#include "vpmd_devargs.h"

/* virtio-net queue numbering (5.1.2): receiveq N is 2N, transmitq N is 2N+1. */
#define VPMD_RXQ_INDEX(q) ((uint16_t)(2 * (q)))
#define VPMD_TXQ_INDEX(q) ((uint16_t)(2 * (q) + 1))

#define VPMD_HDR_SIZE ((uint16_t)sizeof(struct virtio_net_hdr))
/* The header with HASH_REPORT negotiated: the hash follows (rxq/txq->hdr_size). */
#define VPMD_HDR_HASH_SIZE ((uint16_t)sizeof(struct virtio_net_hdr_hash))
/* Segments one tx chain may take: a packet of more goes out as an error. */
#define VPMD_TX_MAX_SEGS 64
#define VPMD_RX_REFILL_BATCH 64
/* Used buffers one rx burst takes at most (a larger burst gets this many). */
#define VPMD_RX_BURST_MAX 64

/* Packet sizes counted per queue, RFC 2819's buckets as other PMDs name them. */
enum vpmd_size_bin {
	VPMD_SIZE_64,        /* up to 64 bytes */
	VPMD_SIZE_65_127,
	VPMD_SIZE_128_255,
	VPMD_SIZE_256_511,
	VPMD_SIZE_512_1023,
	VPMD_SIZE_1024_1518,
	VPMD_SIZE_1519_MAX,
	VPMD_SIZE_BINS
};

/*
 * Bursts counted per queue by the packets they moved, in buckets of the
 * count's bit length (as OVS's pmd-perf-show has them): how full the
 * application's bursts are, and how often an rx poll found nothing.
 */
enum vpmd_burst_bin {
	VPMD_BURST_0,        /* rx: an empty poll; tx: nothing could go */
	VPMD_BURST_1,
	VPMD_BURST_2_3,
	VPMD_BURST_4_7,
	VPMD_BURST_8_15,
	VPMD_BURST_16_31,
	VPMD_BURST_32_PLUS,
	VPMD_BURST_BINS
};

struct vpmd_queue_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t errors;      /* rx: refused or malformed; tx: could not be sent */
	uint64_t mbuf_alloc_failed;
	uint64_t size_bins[VPMD_SIZE_BINS];
	uint64_t burst_bins[VPMD_BURST_BINS];
	uint64_t filtered;    /* rx: dropped by the device's receive filter (vpmd_ctrl.c) */
	uint64_t used_moves;  /* rx bursts, tx reclaims, that took used entries */
};

/*
 * The receive filter the rx bursts enforce for the emulated device: what
 * its control queue was told, while that is not "promiscuous". Published
 * whole (a new object per change) in the adapter; NULL lets every frame in.
 */
struct vpmd_rx_filter {
	struct vhost_user_ctrl_state st;
	bool vlan_filter; /* RTE_ETH_RX_OFFLOAD_VLAN_FILTER is on: the VLAN table applies */
};

/*
 * The address the device uses for @off bytes into @m's buffer: a
 * vhost-user backend maps our memory at our virtual addresses
 * (vpmd_mem.c); a PCI device, or the IOMMU in front of it, sees IO
 * virtual addresses. The one place that choice is spelled.
 */
static inline uint64_t vpmd_mbuf_dev_addr(bool iova, const struct rte_mbuf *m, uint32_t off)
{
	return (iova ? (uint64_t)m->buf_iova : (uint64_t)(uintptr_t)m->buf_addr) + off;
}

/* The same for memory a memzone holds, @off bytes into it. */
static inline uint64_t vpmd_mz_dev_addr(bool iova, const struct rte_memzone *mz, size_t off)
{
	return (iova ? (uint64_t)mz->iova : (uint64_t)(uintptr_t)mz->addr) + off;
}

/* The bucket of a burst of @n packets: its bit length, 32 and more in the last. */
static inline unsigned int vpmd_burst_bin(uint16_t n)
{
	unsigned int bits = n != 0 ? 32u - (unsigned int)__builtin_clz(n) : 0u;

	return bits < VPMD_BURST_32_PLUS ? bits : VPMD_BURST_32_PLUS;
}

/* The bucket of a @len-byte packet: its bit length, clamped at both ends. */
static inline unsigned int vpmd_size_bin(uint32_t len)
{
	unsigned int bits;

	if (len <= 64)
		return VPMD_SIZE_64;
	if (len > 1518)
		return VPMD_SIZE_1519_MAX;
	bits = 32u - (unsigned int)__builtin_clz(len); /* 65..127 -> 7, ..., 1024..1518 -> 11 */
	return bits - 6u;
}

/*
 * Size buckets tallied in a register through a burst and added to the
 * queue's counters once at its end: 32 increments of one counter in
 * memory are a chain of store-to-load forwards, several cycles each. One
 * byte per bucket, so at most 255 packets go between flushes (a burst
 * takes at most 64 at a time).
 */
static inline uint64_t vpmd_size_tally(uint64_t tally, uint32_t len)
{
	return tally + (1ull << (8u * vpmd_size_bin(len)));
}

static inline void vpmd_size_tally_flush(struct vpmd_queue_stats *stats, uint64_t tally)
{
	unsigned int bin;

	for (bin = 0; tally != 0; bin++, tally >>= 8)
		stats->size_bins[bin] += tally & 0xff;
}

/*
 * A queue's own on/off state (vpmd_qops.c). The burst reads run, through
 * the queue's running pointer: the adapter's running, less a stopped
 * queue, less a link set down. Only the control thread writes these.
 */
struct vpmd_queue_ctl {
	bool run;            /* the burst may use the ring */
	bool stopped;        /* rte_eth_dev_rx/tx_queue_stop, or deferred start */
	bool deferred_start; /* the queue setup asked for it: stopped at dev_start */
	uint64_t offloads;   /* the queue's offloads as set up (rxq/txq_info_get) */
};

struct vpmd_rxq {
	struct virtqueue *vq;
	uint32_t in_burst;    /* set while a burst uses the ring (see vpmd_burst_enter) */
	const bool *running;  /* &run: may the datapath use the ring */
	struct vpmd_rx_filter *const *rx_filter; /* the adapter's; read once per burst */
	const struct rte_memzone *mz; /* ring memory, sized for nb_desc */
	struct rte_mempool *mp;
	/* rearm_data of a fresh rx mbuf: data_off, refcnt 1, nb_segs 1, port (vpmd_rx.c). */
	uint64_t mbuf_rearm;
	uint16_t port_id;
	uint16_t queue_id;
	uint16_t nb_desc;
	bool dev_iova;        /* descriptors carry IOVAs: vpmd_mbuf_dev_addr() */
	bool hash_report;     /* HASH_REPORT: the header carries the RSS hash */
	uint16_t hdr_size;    /* VPMD_HDR_SIZE, or VPMD_HDR_HASH_SIZE with hash_report */
	bool mrg_rxbuf;
	bool hdr_offload;     /* GUEST_CSUM: the device may send checksum and GSO fields */
	bool lro;             /* GUEST_TSO4/6 asked: coalesced packets are expected */
	bool plain;           /* none of the three above: a packet is its buffer, the header unread */
	/* A mergeable packet whose buffers have not all arrived yet. */
	struct rte_mbuf *partial_head;
	struct rte_mbuf *partial_tail;
	uint16_t partial_left;
	bool broken_said;     /* the ring's breakage was announced (vpmd_link.c) */
	bool intr_on;         /* the application asked for rx interrupts (vpmd_intr.c) */
	struct vpmd_queue_ctl ctl; /* queue stop/start (vpmd_qops.c) */
	struct vpmd_queue_stats stats;
	struct vpmd_trace_queue trace; /* which bursts fire the probes (vpmd_trace.h) */
};

struct vpmd_txq {
	struct virtqueue *vq;
	uint32_t in_burst;
	const bool *running;
	const struct rte_memzone *mz;
	uint16_t port_id;
	uint16_t queue_id;
	uint16_t nb_desc;
	uint16_t free_thresh; /* reclaim completions when fewer descriptors are free */
	bool dev_iova;        /* descriptors carry IOVAs: vpmd_mbuf_dev_addr() */
	uint16_t hdr_size;    /* VPMD_HDR_SIZE, or VPMD_HDR_HASH_SIZE with HASH_REPORT */
	bool hdr_offload;     /* CSUM: checksum and TSO requests go in the header */
	/* Pool of the packets a completion may put back raw; see vpmd_tx.c. */
	struct rte_mempool *raw_free_pool;
	bool broken_said;     /* the ring's breakage was announced (vpmd_link.c) */
	struct vpmd_queue_ctl ctl; /* queue stop/start (vpmd_qops.c) */
	struct vpmd_queue_stats stats;
	struct vpmd_trace_queue trace; /* which bursts fire the probes (vpmd_trace.h) */
};

/*
 * A tx cookie is the packet's first mbuf, with bit 0 set when freeing it
 * takes rte_pktmbuf_free() (more than one segment, a header mbuf in front,
 * another pool); clear, the mbuf goes back to raw_free_pool as it is.
 * mbufs are cache-line aligned: bit 0 of their address is always free.
 */
#define VPMD_TX_COOKIE_FULL_FREE ((uintptr_t)1)

static inline void *vpmd_tx_cookie(struct rte_mbuf *m, bool full_free)
{
	return (void *)((uintptr_t)m | (full_free ? VPMD_TX_COOKIE_FULL_FREE : 0));
}

static inline struct rte_mbuf *vpmd_tx_cookie_mbuf(void *cookie)
{
	return (struct rte_mbuf *)((uintptr_t)cookie & ~VPMD_TX_COOKIE_FULL_FREE);
}

static inline bool vpmd_tx_cookie_full_free(const void *cookie)
{
	return ((uintptr_t)cookie & VPMD_TX_COOKIE_FULL_FREE) != 0;
}

struct vpmd_pci;

struct vpmd_adapter {
	char name[RTE_DEV_NAME_MAX_LEN];
	struct vpmd_devargs args;
	const struct vpmd_bus_ops *bus; /* how the device is reached (vpmd_bus.h) */
	/* Where: the vhost-user socket path, or the PCI address. */
	char location[sizeof(((struct vpmd_devargs *)0)->path)];
	struct vhost_user *vu;  /* vhost-user ports (vpmd_vu.c) */
	struct vpmd_pci *pci;   /* PCI ports (vpmd_pci.c) */
	struct virtio_dev vdev;
	uint64_t features_supported; /* what we ask of the device */
	uint64_t features_offload;   /* of those, what the configured offloads need */
	bool started;     /* between dev_start and dev_stop */
	bool device_up;   /* negotiated, rings live (false while the backend is away) */
	bool running;     /* the datapath may touch the rings; see vpmd_burst_enter() */
	bool link_set_down; /* rte_eth_dev_set_link_down: no traffic, link down (vpmd_qops.c) */
	uint64_t reconnects; /* times the device was lost under a started port (backend gone, reset) */
	uint32_t reattach_failures; /* monitor ticks the lost device did not come back in */
	uint32_t reattach_timeouts; /* of those, in a row, the device connected and did not answer */
	uint64_t rings_broken; /* rings given up on since probe: the device wrote what it must not */
	bool ctrl_broken_said; /* the control ring's breakage was announced */
	bool intr_refused_said; /* rx interrupts asked of a bus without them, logged (vpmd_intr.c) */
	/* The link as the device reports it (config STATUS), and its speed and duplex. */
	bool carrier;
	uint32_t link_speed;  /* Mbit/s */
	bool link_full_duplex;
	bool link_speed_from_device; /* the device said it (SPEED_DUPLEX), not the speed devarg */
	struct vpmd_ctrl *ctrl; /* the control queue (vpmd_ctrl.c) */
	uint16_t device_mtu;      /* the device's mtu (VIRTIO_NET_F_MTU, PCI); 0: none said */
	uint16_t ctrl_queue_size; /* legacy PCI: the size the device gives the control queue */
	/* RSS (vpmd_rss.c): what the device can do (zeroes: none), and what was asked. */
	struct virtio_net_rss_limits rss_limits;
	bool rss_on;      /* configured with an RSS mq_mode on a device that has RSS */
	uint64_t rss_hf;
	struct virtio_net_rss rss;
	struct vpmd_rx_filter *rx_filter; /* NULL: no filtering (vpmd_ctrl.c) */
	/*
	 * The ring counters of virtqueues gone (each reconnect, stop and reset
	 * makes new ones), by virtio queue index (2 * args.queues), so that
	 * xstats count for the port's life. stats_lock keeps a stats reader
	 * (xstats and stats on any thread) off a queue or a ring being
	 * replaced: whoever frees or swaps one takes it (vpmd_queue.c).
	 */
	struct vq_stats *ring_totals;
	rte_spinlock_t stats_lock;
	/* Telemetry readers inside the adapter; see vpmd_telemetry.c. */
	uint32_t readers;
	bool closing;     /* dev_close has begun: readers keep out */
};

/*
 * The datapath runs on its own lcores while the control thread may take the
 * rings away (the backend went away). A burst announces itself in in_burst,
 * then checks running; the control thread clears running, then waits for
 * in_burst to drop. Each side's store-then-load (Dekker style) needs a full
 * barrier between them for one side to see the other's store: the control
 * side's vpmd_bursts_barrier() (vpmd_burst.c) runs one on every thread of
 * the process, so a burst needs only the compiler's order, unless the
 * kernel has no membarrier(2) (vpmd_burst_fence_needed).
 */
extern bool vpmd_burst_fence_needed;
void vpmd_bursts_barrier(void);

static inline bool vpmd_burst_enter(uint32_t *in_burst, const bool *running)
{
	__atomic_store_n(in_burst, 1, __ATOMIC_RELAXED);
	if (unlikely(__atomic_load_n(&vpmd_burst_fence_needed, __ATOMIC_RELAXED)))
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	else
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (likely(__atomic_load_n(running, __ATOMIC_RELAXED)))
		return true;
	__atomic_store_n(in_burst, 0, __ATOMIC_RELEASE);
	return false;
}
static inline void vpmd_burst_exit(uint32_t *in_burst)
{
	__atomic_store_n(in_burst, 0, __ATOMIC_RELEASE);
}

static inline struct vpmd_adapter *vpmd_adapter_of(const struct rte_eth_dev *dev)
{
	return dev->data->dev_private;
}

/* vpmd_link.c */
int vpmd_link_config_read(struct vpmd_adapter *ad, bool *carrier);
int vpmd_device_up(struct rte_eth_dev *dev);
void vpmd_device_down(struct rte_eth_dev *dev);
void vpmd_datapath_pause(struct rte_eth_dev *dev);
void vpmd_rx_bursts_wait(struct rte_eth_dev *dev);
int vpmd_monitor_start(struct rte_eth_dev *dev);
void vpmd_monitor_stop(struct rte_eth_dev *dev);
void vpmd_link_report(struct rte_eth_dev *dev);
/* Each broken ring's name ("rx0", "tx0", "ctrl") to @fn; the rings must be live. */
void vpmd_broken_rings(const struct rte_eth_dev *dev, void (*fn)(void *arg, const char *name),
		       void *arg);

/* vpmd_ctrl.c: control queue, rx mode, MAC and VLAN filter ops */
struct vpmd_ctrl;
struct virtio_net_ctrl_stats;
int vpmd_ctrl_init(struct rte_eth_dev *dev);
void vpmd_ctrl_fini(struct rte_eth_dev *dev);
int vpmd_ctrl_start(struct rte_eth_dev *dev);
void vpmd_ctrl_stop(struct rte_eth_dev *dev);
int vpmd_ctrl_replay(struct rte_eth_dev *dev);
/* One command: sent now if the device is up with a control queue, else 0 (replayed later). */
int vpmd_ctrl_send(struct rte_eth_dev *dev, const char *what, uint8_t cls, uint8_t cmd,
		   const void *data, uint32_t len);
/* The same with the control lock held and the device up (replay). */
int vpmd_ctrl_send_locked(struct vpmd_adapter *ad, const char *what, uint8_t cls, uint8_t cmd,
			  const void *data, uint32_t len);
void vpmd_ctrl_lock(struct vpmd_adapter *ad);
void vpmd_ctrl_unlock(struct vpmd_adapter *ad);
bool vpmd_ctrl_trylock(struct vpmd_adapter *ad); /* for the memory-event callback (vpmd_mem.c) */
uint64_t vpmd_ctrl_rx_offload_capa(const struct rte_eth_dev *dev);
void vpmd_ctrl_stats(const struct rte_eth_dev *dev, struct virtio_net_ctrl_stats *out);
/* The control queue's ring while the device is up with one, else NULL. */
const struct virtqueue *vpmd_ctrl_vq(const struct vpmd_adapter *ad);
int vpmd_promiscuous_enable(struct rte_eth_dev *dev);
int vpmd_promiscuous_disable(struct rte_eth_dev *dev);
int vpmd_allmulticast_enable(struct rte_eth_dev *dev);
int vpmd_allmulticast_disable(struct rte_eth_dev *dev);
int vpmd_mac_addr_set(struct rte_eth_dev *dev, struct rte_ether_addr *addr);
/* Addresses a port has: the primary, then the unicast table (MAC_TABLE_SET). */
#define VPMD_MAC_ADDRS 16
#define VPMD_MC_ADDRS 32 /* multicast table entries */
int vpmd_mac_addr_add(struct rte_eth_dev *dev, struct rte_ether_addr *addr, uint32_t index,
		      uint32_t vmdq);
void vpmd_mac_addr_remove(struct rte_eth_dev *dev, uint32_t index);
int vpmd_set_mc_addr_list(struct rte_eth_dev *dev, struct rte_ether_addr *mc_addr_set,
			  uint32_t nb_mc_addr);
int vpmd_vlan_filter_set(struct rte_eth_dev *dev, uint16_t vlan_id, int on);
int vpmd_vlan_offload_set(struct rte_eth_dev *dev, int mask);

/* vpmd_rss.c */
int vpmd_rss_configure(struct rte_eth_dev *dev);
int vpmd_rss_replay_locked(struct rte_eth_dev *dev);
void vpmd_rss_infos(const struct rte_eth_dev *dev, struct rte_eth_dev_info *info);
uint64_t vpmd_rss_features(const struct rte_eth_dev *dev);
int vpmd_rss_hash_update(struct rte_eth_dev *dev, struct rte_eth_rss_conf *conf);
int vpmd_rss_hash_conf_get(struct rte_eth_dev *dev, struct rte_eth_rss_conf *conf);
int vpmd_reta_update(struct rte_eth_dev *dev, struct rte_eth_rss_reta_entry64 *reta_conf,
		     uint16_t reta_size);
int vpmd_reta_query(struct rte_eth_dev *dev, struct rte_eth_rss_reta_entry64 *reta_conf,
		    uint16_t reta_size);

/* vpmd_intr.c: rx interrupts through the queues' call eventfds (vhost-user) */
int vpmd_intr_init(struct rte_eth_dev *dev);
void vpmd_intr_fini(struct vpmd_adapter *ad);
void vpmd_intr_rearm_check(struct rte_eth_dev *dev);
int vpmd_rx_queue_intr_enable(struct rte_eth_dev *dev, uint16_t queue_id);
int vpmd_rx_queue_intr_disable(struct rte_eth_dev *dev, uint16_t queue_id);

/* vpmd_mem.c */
int vpmd_mem_regions_set(struct vpmd_adapter *ad);

/* vpmd_ethdev.c: what the vdev and PCI probes share */
uint16_t vpmd_ring_align(const struct vpmd_adapter *ad);
uint32_t vpmd_ring_used_align(const struct vpmd_adapter *ad);
int vpmd_ethdev_init(struct rte_eth_dev *dev, const struct vpmd_bus_ops *bus,
		     const struct vpmd_devargs *args, const char *location);
void vpmd_ethdev_uninit(struct rte_eth_dev *dev);
int vpmd_dev_close(struct rte_eth_dev *dev);

/* vpmd_queue.c */
int vpmd_rx_queue_setup(struct rte_eth_dev *dev, uint16_t queue_id, uint16_t nb_desc,
			unsigned int socket_id, const struct rte_eth_rxconf *conf,
			struct rte_mempool *mp);
int vpmd_tx_queue_setup(struct rte_eth_dev *dev, uint16_t queue_id, uint16_t nb_desc,
			unsigned int socket_id, const struct rte_eth_txconf *conf);
void vpmd_rx_queue_release(struct rte_eth_dev *dev, uint16_t queue_id);
void vpmd_tx_queue_release(struct rte_eth_dev *dev, uint16_t queue_id);
int vpmd_queues_start(struct rte_eth_dev *dev);
void vpmd_queues_stop(struct rte_eth_dev *dev);

/* vpmd_qops.c: queue stop/start, queue info, link up/down, firmware version */
void vpmd_queue_runs_update(struct rte_eth_dev *dev);
void vpmd_queue_states_start(struct rte_eth_dev *dev);
int vpmd_rx_queue_start(struct rte_eth_dev *dev, uint16_t queue_id);
int vpmd_rx_queue_stop(struct rte_eth_dev *dev, uint16_t queue_id);
int vpmd_tx_queue_start(struct rte_eth_dev *dev, uint16_t queue_id);
int vpmd_tx_queue_stop(struct rte_eth_dev *dev, uint16_t queue_id);
void vpmd_rxq_info_get(struct rte_eth_dev *dev, uint16_t queue_id,
		       struct rte_eth_rxq_info *qinfo);
void vpmd_txq_info_get(struct rte_eth_dev *dev, uint16_t queue_id,
		       struct rte_eth_txq_info *qinfo);
int vpmd_dev_set_link_up(struct rte_eth_dev *dev);
int vpmd_dev_set_link_down(struct rte_eth_dev *dev);
int vpmd_fw_version_get(struct rte_eth_dev *dev, char *fw_version, size_t fw_size);

/*
 * vpmd_ethdev.c: how queue @queue_id's bursts run, as burst_mode_get and
 * /vpmd/status say it: "packed avx512 in-order", "split scalar mergeable".
 * The path is the ring's (vq_datapath(); tx is scalar).
 */
void vpmd_burst_describe(struct rte_eth_dev *dev, bool rx, uint16_t queue_id, char *buf,
			 size_t size);

/* vpmd_rx.c / vpmd_tx.c */
uint16_t vpmd_recv_pkts(void *rxq, struct rte_mbuf **pkts, uint16_t nb_pkts);
uint16_t vpmd_xmit_pkts(void *txq, struct rte_mbuf **pkts, uint16_t nb_pkts);
int vpmd_rx_refill(struct vpmd_rxq *rxq);
/* The rearm_data of a fresh rx mbuf of port @port_id (vpmd_rxq.mbuf_rearm). */
uint64_t vpmd_rx_mbuf_rearm(uint16_t port_id);

/*
 * vpmd_telemetry.c. The control thread calls these before it frees what a
 * telemetry reader may be looking at: readers_wait after clearing running
 * (vpmd_datapath_pause), close first thing in dev_close.
 */
void vpmd_telemetry_readers_wait(struct vpmd_adapter *ad);
void vpmd_telemetry_close(struct vpmd_adapter *ad);

/* vpmd_stats.c */
int vpmd_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *stats);
int vpmd_stats_reset(struct rte_eth_dev *dev);
int vpmd_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xstats, unsigned int n);
int vpmd_xstats_get_names(struct rte_eth_dev *dev, struct rte_eth_xstat_name *names,
			  unsigned int size);
/*
 * A queue's own counters as a JSON object (jansson's json_t), named as its
 * xstats are without the "rx_qN_" prefix; NULL when out of memory. Read
 * as they are: the caller keeps the queue from being freed meanwhile.
 */
struct json_t *vpmd_queue_stats_json(const struct vpmd_queue_stats *qs, bool rx);

#endif /* VPMD_H */
