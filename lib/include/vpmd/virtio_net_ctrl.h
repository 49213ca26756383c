/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Driver side of the virtio-net control virtqueue (virtio 1.2, 5.1.6.5).
 *
 * A command is one chain on the control queue: the class and command
 * bytes and the command's data, all device-readable, then one
 * device-writable ack byte (VIRTIO_NET_OK or VIRTIO_NET_ERR). The driver
 * makes it available, kicks, and waits for the device to return it.
 *
 * The wait is bounded: a device that never answers costs the caller the
 * timeout it gave and -ETIMEDOUT, never a hang. The chain it did not
 * answer stays the device's: its buffers (owned by this object, in the
 * device-visible memory the caller provided) are not reused until the
 * device returns them, and a late return is recognised as such and only
 * frees them. So a late answer can never be mistaken for the answer to a
 * later command.
 *
 * The caller creates the virtqueue (vq_create) and gives it to the device
 * like any other; this object only adds chains to it and reads them back.
 * A command takes up to 3 descriptors (header, data, ack): a queue of
 * VIRTIO_NET_CTRL_QUEUE_SIZE_MIN holds every slot at once.
 *
 * Threading: one thread at a time per object (the control path). The
 * statistics may be read from another thread (plain loads of whole
 * fields, as for struct vq_stats).
 *
 * No DPDK types.
 */
#ifndef VPMD_VIRTIO_NET_CTRL_H
#define VPMD_VIRTIO_NET_CTRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtqueue.h"

/* Largest command data (after class and command) one command may carry. */
#define VIRTIO_NET_CTRL_DATA_MAX 512u
/*
 * Commands that may be in flight at once: one waited for, the others
 * abandoned after a timeout and still held by the device.
 */
#define VIRTIO_NET_CTRL_SLOTS 4u
#define VIRTIO_NET_CTRL_QUEUE_SIZE_MIN 16u

/** Counters of one control queue. */
struct virtio_net_ctrl_stats {
	uint64_t ok;       /* commands the device acked with VIRTIO_NET_OK */
	uint64_t err;      /* commands acked with anything else, or returned without an ack */
	uint64_t timeout;  /* commands not returned within their timeout */
	uint64_t late;     /* abandoned commands the device returned later */
	uint64_t refused;  /* returned chains the ring refused (bad length) */
};

struct virtio_net_ctrl;

/**
 * Called between two polls of the used ring while a command is waited
 * for, e.g. to let a device emulated in this thread run. NULL: sleep
 * poll_interval_us.
 */
typedef void (*virtio_net_ctrl_poll_fn)(void *ctx);

struct virtio_net_ctrl_config {
	struct virtqueue *vq; /* the control queue; not owned */
	/*
	 * Device-visible memory for the command buffers:
	 * virtio_net_ctrl_mem_size() bytes, 8-byte aligned, and its device
	 * address. It must stay valid until virtio_net_ctrl_destroy(), and
	 * after that until the device has let go of the queue.
	 */
	void *mem;
	uint64_t mem_dev_addr;
	virtio_net_ctrl_poll_fn poll; /* optional */
	void *poll_ctx;
	uint32_t poll_interval_us; /* sleep between polls without @poll; 0: 10 us */
};

/** Bytes of command-buffer memory a control object needs. */
size_t virtio_net_ctrl_mem_size(void);

/**
 * Create a control object over @cfg. Returns 0 and the object in @out;
 * -EINVAL (no queue, no or misaligned memory), -ENOMEM.
 */
int virtio_net_ctrl_create(const struct virtio_net_ctrl_config *cfg, struct virtio_net_ctrl **out);

/**
 * Free the object. Commands still in flight are forgotten: call this only
 * once the device no longer uses the queue (torn down or reset). NULL is
 * fine.
 */
void virtio_net_ctrl_destroy(struct virtio_net_ctrl *ctrl);

/**
 * Send one command and wait at most @timeout_ms for its ack.
 *
 * First takes back whatever the device returned since the last call
 * (late answers to abandoned commands). Then adds the chain
 * [class, cmd | data] + [ack], kicks, and polls the used ring, with a
 * monotonic clock for the deadline.
 *
 * Returns 0 when the device acked VIRTIO_NET_OK;
 * -EIO when it acked VIRTIO_NET_ERR (or anything but OK, or returned the
 *   chain with a length the ring refused);
 * -ETIMEDOUT when it did not return the chain in time: the command is
 *   abandoned, its buffers stay the device's until it returns them;
 * -EBUSY when every slot is held by abandoned commands (the device is
 *   not processing the queue: reset it);
 * -EINVAL for @len over VIRTIO_NET_CTRL_DATA_MAX or data NULL with a length;
 * -ENOSPC when the ring has no room; -ENOTRECOVERABLE when the queue is
 *   broken (the device wrote garbage into it).
 */
int virtio_net_ctrl_send(struct virtio_net_ctrl *ctrl, uint8_t cls, uint8_t cmd,
			 const void *data, uint32_t len, uint32_t timeout_ms);

/** VIRTIO_NET_CTRL_RX_PROMISC / _ALLMULTI (needs CTRL_RX): @cmd on or off. */
int virtio_net_ctrl_rx_mode(struct virtio_net_ctrl *ctrl, uint8_t cmd, bool on,
			    uint32_t timeout_ms);
/** VIRTIO_NET_CTRL_MAC_ADDR_SET (needs CTRL_MAC_ADDR). */
int virtio_net_ctrl_mac_addr_set(struct virtio_net_ctrl *ctrl, const uint8_t mac[6],
				 uint32_t timeout_ms);
/** VIRTIO_NET_CTRL_VLAN_ADD / _DEL of @vid (< 4096; needs CTRL_VLAN). */
int virtio_net_ctrl_vlan(struct virtio_net_ctrl *ctrl, bool add, uint16_t vid,
			 uint32_t timeout_ms);
/** VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET (needs MQ): use @pairs queue pairs. */
int virtio_net_ctrl_mq_pairs_set(struct virtio_net_ctrl *ctrl, uint16_t pairs,
				 uint32_t timeout_ms);

/** Commands waited for or abandoned, still held by the device. */
unsigned int virtio_net_ctrl_inflight(const struct virtio_net_ctrl *ctrl);

const struct virtio_net_ctrl_stats *virtio_net_ctrl_get_stats(const struct virtio_net_ctrl *ctrl);

/** "RX", "MAC", "VLAN", "ANNOUNCE", "MQ", ... or NULL for an unknown class. */
const char *virtio_net_ctrl_class_name(uint8_t cls);

#endif /* VPMD_VIRTIO_NET_CTRL_H */
