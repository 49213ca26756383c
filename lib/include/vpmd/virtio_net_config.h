/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The network device's configuration space (virtio 1.2, 5.1.4), read
 * through any transport: MAC, link status, queue pairs, MTU, speed and
 * duplex, RSS limits.
 *
 * Errors: every function returns 0 or a negative errno.
 *
 * Threading: control path only (it reads the device through the core).
 */
#ifndef VPMD_VIRTIO_NET_CONFIG_H
#define VPMD_VIRTIO_NET_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio_dev.h"

/* What the device's configuration says; each field only with its feature. */
struct virtio_net_dev_config {
	bool has_mac; /* VIRTIO_NET_F_MAC */
	uint8_t mac[6];
	bool has_status; /* VIRTIO_NET_F_STATUS */
	bool link_up;    /* true without STATUS: 5.1.4.2, assume the link is up */
	uint16_t max_queue_pairs; /* VIRTIO_NET_F_MQ; 1 without */
	uint16_t mtu;             /* VIRTIO_NET_F_MTU; 0 without */
	bool has_speed_duplex;    /* VIRTIO_NET_F_SPEED_DUPLEX */
	uint32_t speed_mbps;      /* 0: unknown (the device's 0xffffffff) */
	int duplex;               /* -1 unknown, 0 half, 1 full */
	uint8_t rss_max_key_size; /* VIRTIO_NET_F_RSS */
	uint16_t rss_max_reta_len; /* VIRTIO_NET_F_RSS */
	uint32_t supported_hash_types; /* VIRTIO_NET_F_RSS or VIRTIO_NET_F_HASH_REPORT */
};

/**
 * Read the fields of struct virtio_net_config whose feature bit is in
 * @features (the negotiated set, or the offered one before negotiation),
 * each with its natural width, converted from little-endian. When the
 * transport has a config_generation op, the fields are read between two
 * generation reads until both agree (2.5.1), at most 8 times.
 * @out always holds defaults for the fields not read.
 * Returns 0; -ENOTSUP when the transport cannot read configuration
 * (@out holds the defaults); -EAGAIN when the configuration kept
 * changing; -EINVAL when max_virtqueue_pairs is outside 1..0x8000
 * (5.1.4.1); or the transport's error.
 */
int virtio_net_config_read(struct virtio_dev *dev, uint64_t features,
			   struct virtio_net_dev_config *out);

#endif /* VPMD_VIRTIO_NET_CONFIG_H */
