/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The frontend's device side of the virtio-net control queue (vu_ctrl.c).
 * The backend never sees this queue: the frontend plays the device for
 * it, as QEMU and DPDK's virtio_user do.
 */
#ifndef VPMD_VU_CTRL_H
#define VPMD_VU_CTRL_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include <vpmd/vhost_user.h>
#include <vpmd/virtio_spec.h>
#include <vpmd/virtqueue.h>

/* Largest control queue get_queue_max reports (QEMU's size for it). */
#define VU_CTRL_QUEUE_SIZE_MAX 64
/* Readable bytes of one command we gather; longer ones are refused. */
#define VU_CTRL_CMD_MAX 1024

/* Features the frontend itself implements when it emulates the control queue. */
#define VU_CTRL_FEATURES                                                                   \
	(VIRTIO_BIT(VIRTIO_NET_F_CTRL_VQ) | VIRTIO_BIT(VIRTIO_NET_F_CTRL_RX) |               \
	 VIRTIO_BIT(VIRTIO_NET_F_CTRL_VLAN) | VIRTIO_BIT(VIRTIO_NET_F_CTRL_MAC_ADDR))
/* Bits that need a control queue: hidden from the driver when nobody serves one. */
#define VU_CTRL_DEPENDENT_FEATURES                                                         \
	(VU_CTRL_FEATURES | VIRTIO_BIT(VIRTIO_NET_F_CTRL_RX_EXTRA) |                          \
	 VIRTIO_BIT(VIRTIO_NET_F_GUEST_ANNOUNCE) | VIRTIO_BIT(VIRTIO_NET_F_MQ) |              \
	 VIRTIO_BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) | VIRTIO_BIT(VIRTIO_NET_F_RSS) |        \
	 VIRTIO_BIT(VIRTIO_NET_F_HASH_REPORT))

struct vu_ctrl {
	bool enabled;     /* cfg.ctrl_queue */
	uint64_t features; /* what the driver set (SET_FEATURES), before we strip ours */

	/* The queue, while set up. Ring pointers are in this process. */
	bool active;
	bool broken;
	enum vq_layout layout;
	uint16_t size;
	void *desc;
	void *driver_area;
	void *device_area;
	uint16_t last_avail; /* split: free-running avail index; packed: slot */
	bool avail_wrap;
	uint16_t used_idx;   /* split: free-running used index; packed: slot */
	bool used_wrap;

	struct vhost_user_ctrl_state st;
	uint8_t cmd[VU_CTRL_CMD_MAX]; /* the command being gathered */
};

struct vhost_user;

/* Back to the state after a device reset; the counters stay. */
void vu_ctrl_reset(struct vhost_user *vu);
/* Features offered to the driver, from what the backend offered (vhost bits removed). */
uint64_t vu_ctrl_offer(const struct vhost_user *vu, uint64_t backend);
/* Record the driver's features; returns what the backend is told. */
uint64_t vu_ctrl_set_features(struct vhost_user *vu, uint64_t features);
/* True if @index is the control queue under the negotiated features. */
bool vu_ctrl_is_queue(const struct vhost_user *vu, uint16_t index);
/* First queue index that is not a data queue: the control queue's, or 2 * queue_num. */
uint16_t vu_ctrl_data_queue_limit(const struct vhost_user *vu);
/* Should data ring @index start enabled (MQ: only the pairs VQ_PAIRS_SET allows)? */
bool vu_ctrl_ring_allowed(const struct vhost_user *vu, uint16_t index);
int vu_ctrl_setup(struct vhost_user *vu, struct virtqueue *vq);
void vu_ctrl_teardown(struct vhost_user *vu);
/* The driver kicked the control queue: answer everything available. */
int vu_ctrl_notify(struct vhost_user *vu);
json_t *vu_ctrl_to_json(const struct vhost_user *vu);

#endif /* VPMD_VU_CTRL_H */
