/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device core: a virtio device seen through a transport, with the
 * status state machine and feature negotiation of virtio 1.2 section 3.1.
 *
 * A transport (vhost-user today, virtio-pci tomorrow, a model in the unit
 * tests) is an ops table, as in Linux's virtio_config_ops and SPDK's
 * virtio_dev_ops. The core never touches the transport's state.
 *
 * Threading: control path only; callers serialise calls on one device.
 */
#ifndef VPMD_VIRTIO_DEV_H
#define VPMD_VIRTIO_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "virtqueue.h"

struct virtio_dev;

/*
 * Every op returns 0 or a negative errno. Ops marked optional may be NULL;
 * the core then answers -ENOTSUP where one is needed.
 */
struct virtio_transport_ops {
	const char *name; /* "vhost-user", "pci", ... */

	/* Device-specific configuration space (optional). */
	int (*read_config)(struct virtio_dev *dev, uint32_t offset, void *buf, uint32_t len);
	int (*write_config)(struct virtio_dev *dev, uint32_t offset, const void *buf,
			    uint32_t len);

	int (*get_status)(struct virtio_dev *dev, uint8_t *status);
	int (*set_status)(struct virtio_dev *dev, uint8_t status);
	/* Bring the device back to status 0 (optional: else set_status(0)). */
	int (*reset)(struct virtio_dev *dev);

	int (*get_features)(struct virtio_dev *dev, uint64_t *features);
	int (*set_features)(struct virtio_dev *dev, uint64_t features);

	/* Largest size of queue @index; 0 if the device has no such queue. */
	int (*get_queue_max)(struct virtio_dev *dev, uint16_t index, uint16_t *max_size);
	/* Tell the device where @vq lives and enable it. */
	int (*setup_queue)(struct virtio_dev *dev, struct virtqueue *vq);
	/* Stop the device using @vq; the ring memory may be freed after. */
	int (*teardown_queue)(struct virtio_dev *dev, struct virtqueue *vq);
	/* Tell the device queue @index has new buffers (a kick). */
	int (*notify_queue)(struct virtio_dev *dev, uint16_t index);

	/* Transport details as JSON, for status output (optional). */
	json_t *(*dump_json)(const struct virtio_dev *dev);

	/*
	 * Configuration generation (optional; virtio 1.2, 2.5.1 and 4.1.4.3):
	 * a counter the device changes when it changes its configuration, so
	 * that a reader of several fields can retry until it reads the same
	 * value before and after.
	 */
	int (*config_generation)(struct virtio_dev *dev, uint8_t *generation);
};

struct virtio_dev {
	const struct virtio_transport_ops *ops;
	void *transport; /* the transport's own state */
	char name[64];   /* for logs */
	/*
	 * Modern transports (everything but legacy PCI) refuse a device
	 * without VERSION_1 (virtio 1.2, 6.1).
	 */
	bool modern;
	uint8_t status;          /* last status written and read back */
	uint64_t offered;        /* features the device offered */
	uint64_t driver_features; /* what the driver asked for */
	uint64_t negotiated;     /* what was accepted (FEATURES_OK) */
};

/**
 * Bind @dev to a transport. Does not talk to the device.
 * Returns 0 or -EINVAL (missing mandatory op).
 */
int virtio_dev_init(struct virtio_dev *dev, const struct virtio_transport_ops *ops,
		    void *transport, const char *name, bool modern);

/**
 * Reset the device (status 0) and check that it reads back 0.
 * Returns 0, -EIO if the device does not reset, or the transport's error.
 */
int virtio_dev_reset(struct virtio_dev *dev);

/**
 * Set status bits on top of the current ones, in the order of 3.1.1, and
 * read the status back. Refuses out-of-order steps (DRIVER before
 * ACKNOWLEDGE, DRIVER_OK before FEATURES_OK, anything after FAILED) with
 * -EPROTO. Returns -EIO if the device does not show the bits written
 * (FEATURES_OK refused, for instance), or the transport's error.
 */
int virtio_dev_set_status(struct virtio_dev *dev, uint8_t bits);

/** Read the status from the device (also updates dev->status). */
int virtio_dev_get_status(struct virtio_dev *dev, uint8_t *status);

/**
 * Steps 1-6 of 3.1.1: reset, ACKNOWLEDGE, DRIVER, read the offered
 * features, accept offered & @supported (less unmet dependencies), write
 * them, set FEATURES_OK and check that the device kept it.
 * Fails with -ENOTSUP when VERSION_1 is missing on a modern transport or a
 * @required bit is not offered; -EIO when FEATURES_OK does not stick.
 * On failure the device is left with FAILED set where it could be written.
 */
int virtio_dev_negotiate(struct virtio_dev *dev, uint64_t supported, uint64_t required);

/** Step 8: DRIVER_OK, read back. */
int virtio_dev_driver_ok(struct virtio_dev *dev);

/** Give up on the device: set FAILED (3.1.1 step 8's failure branch). */
void virtio_dev_fail(struct virtio_dev *dev);

/** True if the device asked to be reset (NEEDS_RESET read from the device). */
bool virtio_dev_needs_reset(struct virtio_dev *dev);

static inline bool virtio_dev_has_feature(const struct virtio_dev *dev, unsigned int bit)
{
	return (dev->negotiated >> bit) & 1;
}

/** Read device configuration space; -ENOTSUP without a read_config op. */
int virtio_dev_read_config(struct virtio_dev *dev, uint32_t offset, void *buf, uint32_t len);

/** Largest queue size the device allows for @index (0: no such queue). */
int virtio_dev_queue_max(struct virtio_dev *dev, uint16_t index, uint16_t *max_size);
int virtio_dev_setup_queue(struct virtio_dev *dev, struct virtqueue *vq);
int virtio_dev_teardown_queue(struct virtio_dev *dev, struct virtqueue *vq);

/**
 * A vq_notify_fn that kicks through the transport: pass the device as
 * notify_ctx in struct vq_config.
 */
int virtio_dev_notify(void *dev, uint16_t queue_index);

/**
 * JSON object with the status (raw and by name), offered, driver and
 * negotiated features (raw and by name) and the transport's own dump.
 */
json_t *virtio_dev_to_json(const struct virtio_dev *dev);

/** JSON array of the names of the status bits in @status. */
json_t *virtio_status_to_json(uint8_t status);

#endif /* VPMD_VIRTIO_DEV_H */
