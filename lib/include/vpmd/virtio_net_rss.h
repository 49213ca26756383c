/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive-side scaling of a virtio-net device (virtio 1.2, 5.1.6.5.7): the
 * RSS_CONFIG command's data, built from a plain description, and its
 * checks against what the device said it supports (config
 * rss_max_key_size, rss_max_indirection_table_length,
 * supported_hash_types).
 *
 * Errors: functions return the length written or 0, or a negative errno.
 * No DPDK types.
 */
#ifndef VPMD_VIRTIO_NET_RSS_H
#define VPMD_VIRTIO_NET_RSS_H

#include <stddef.h>
#include <stdint.h>

/* Largest indirection table and key the driver keeps (QEMU: 128 and 40). */
#define VIRTIO_NET_RSS_RETA_MAX 128u
#define VIRTIO_NET_RSS_KEY_MAX 40u

struct virtio_net_rss {
	uint32_t hash_types;       /* VIRTIO_NET_RSS_HASH_TYPE_* */
	uint16_t reta_len;         /* entries of reta: a power of two, 1 to RETA_MAX */
	uint16_t reta[VIRTIO_NET_RSS_RETA_MAX]; /* receive queue (pair) numbers */
	uint16_t unclassified_queue; /* where packets with no hash go */
	uint16_t max_tx_vq;        /* transmit queues the driver uses */
	uint8_t key_len;
	uint8_t key[VIRTIO_NET_RSS_KEY_MAX];
};

/** What the device supports, from its configuration space. */
struct virtio_net_rss_limits {
	uint8_t max_key_len;
	uint16_t max_reta_len;
	uint32_t hash_types;
	uint16_t max_queue_pairs;
};

/**
 * Check @rss against @lim: reta length a power of two within both limits,
 * every reta entry and the unclassified queue below max_queue_pairs (and
 * below max_tx_vq, the pairs in use), max_tx_vq 1 to max_queue_pairs, key
 * within the limits, no hash type the device lacks.
 * Returns 0 or -EINVAL.
 */
int virtio_net_rss_check(const struct virtio_net_rss *rss, const struct virtio_net_rss_limits *lim);

/**
 * The RSS_CONFIG command data for @rss (5.1.6.5.7.1: le32 hash_types,
 * le16 indirection_table_mask, le16 unclassified_queue, le16
 * indirection_table[mask + 1], le16 max_tx_vq, u8 hash_key_length,
 * u8 hash_key_data[]) into @buf of @cap bytes.
 * Table entries and the unclassified queue are receive queue numbers
 * (receiveqN is N, as QEMU checks them against the pairs in use), not
 * virtqueue indexes.
 * Returns the length, or -ENOSPC, -EINVAL (reta_len not a power of two).
 */
int virtio_net_rss_encode(const struct virtio_net_rss *rss, uint8_t *buf, size_t cap);

/** A table spreading @reta_len entries over @queues queues round robin. */
void virtio_net_rss_reta_spread(struct virtio_net_rss *rss, uint16_t reta_len, uint16_t queues);

#endif /* VPMD_VIRTIO_NET_RSS_H */
