/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device core: status state machine and feature negotiation over a
 * transport ops table (virtio 1.2, 2.1 and 3.1).
 *
 * Every status write is followed by a read-back (SPDK's
 * virtio_dev_reset/start do the same): a device that silently drops a bit,
 * FEATURES_OK above all, must be caught here rather than misbehave later.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <vpmd/virtio_dev.h>
#include <vpmd/virtio_features.h>
#include <vpmd/virtio_spec.h>

/* How long a device may take to show status 0 after a reset. */
#define RESET_POLL_TRIES 100
#define RESET_POLL_NS 1000000L

int virtio_dev_init(struct virtio_dev *dev, const struct virtio_transport_ops *ops,
		    void *transport, const char *name, bool modern)
{
	if (dev == NULL || ops == NULL || ops->get_status == NULL || ops->set_status == NULL ||
	    ops->get_features == NULL || ops->set_features == NULL)
		return -EINVAL;
	memset(dev, 0, sizeof(*dev));
	dev->ops = ops;
	dev->transport = transport;
	dev->modern = modern;
	snprintf(dev->name, sizeof(dev->name), "%s", name != NULL ? name : "virtio");
	return 0;
}

int virtio_dev_get_status(struct virtio_dev *dev, uint8_t *status)
{
	int rc = dev->ops->get_status(dev, status);

	if (rc == 0)
		dev->status = *status;
	return rc;
}

int virtio_dev_reset(struct virtio_dev *dev)
{
	uint8_t status = 0xff;
	int rc, i;

	rc = dev->ops->reset != NULL ? dev->ops->reset(dev) : dev->ops->set_status(dev, 0);
	if (rc < 0)
		return rc;

	/* 4.1.4.3.2: the driver waits for the status to read 0 before reusing the device. */
	for (i = 0; i < RESET_POLL_TRIES; i++) {
		rc = dev->ops->get_status(dev, &status);
		if (rc < 0)
			return rc;
		if (status == 0)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = RESET_POLL_NS }, NULL);
	}
	dev->status = status;
	if (status != 0)
		return -EIO;
	dev->negotiated = 0;
	dev->driver_features = 0;
	return 0;
}

/* 3.1.1: each step needs the ones before it; after FAILED only a reset helps. */
static bool status_step_allowed(const struct virtio_dev *dev, uint8_t old, uint8_t new_status)
{
	if (new_status & VIRTIO_STATUS_NEEDS_RESET)
		return false; /* the device's bit, never ours to set */
	if ((old & VIRTIO_STATUS_FAILED) && new_status != old)
		return false;
	if ((new_status & VIRTIO_STATUS_DRIVER) && !(new_status & VIRTIO_STATUS_ACKNOWLEDGE))
		return false;
	if ((new_status & VIRTIO_STATUS_FEATURES_OK) && !(new_status & VIRTIO_STATUS_DRIVER))
		return false;
	if (new_status & VIRTIO_STATUS_DRIVER_OK) {
		if (!(new_status & VIRTIO_STATUS_DRIVER))
			return false;
		if (dev->modern && !(new_status & VIRTIO_STATUS_FEATURES_OK))
			return false;
	}
	return true;
}

int virtio_dev_set_status(struct virtio_dev *dev, uint8_t bits)
{
	/* The device may have added NEEDS_RESET; we never write it back. */
	uint8_t old = dev->status & (uint8_t)~VIRTIO_STATUS_NEEDS_RESET;
	uint8_t want = old | bits;
	uint8_t seen;
	int rc;

	if (bits & VIRTIO_STATUS_FAILED) {
		want = old | VIRTIO_STATUS_FAILED;
	} else if (!status_step_allowed(dev, old, want)) {
		return -EPROTO;
	}

	rc = dev->ops->set_status(dev, want);
	if (rc < 0)
		return rc;
	rc = virtio_dev_get_status(dev, &seen);
	if (rc < 0)
		return rc;
	if ((seen & want) != want)
		return -EIO;
	return 0;
}

void virtio_dev_fail(struct virtio_dev *dev)
{
	/* Best effort: the device may be gone, and we are giving up anyway. */
	(void)virtio_dev_set_status(dev, VIRTIO_STATUS_FAILED);
}

int virtio_dev_negotiate(struct virtio_dev *dev, uint64_t supported, uint64_t required)
{
	struct virtio_negotiation neg;
	uint64_t offered;
	int rc;

	rc = virtio_dev_reset(dev);
	if (rc < 0)
		return rc;
	rc = virtio_dev_set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE);
	if (rc < 0)
		goto fail;
	rc = virtio_dev_set_status(dev, VIRTIO_STATUS_DRIVER);
	if (rc < 0)
		goto fail;

	rc = dev->ops->get_features(dev, &offered);
	if (rc < 0)
		goto fail;
	dev->offered = offered;

	/* 6.1: a modern transport's driver MUST refuse a device without VERSION_1. */
	if (dev->modern) {
		supported |= VIRTIO_BIT(VIRTIO_F_VERSION_1);
		required |= VIRTIO_BIT(VIRTIO_F_VERSION_1);
	}
	dev->driver_features = supported;
	rc = virtio_features_negotiate(offered, supported, required, &neg);
	if (rc < 0)
		goto fail;

	rc = dev->ops->set_features(dev, neg.negotiated);
	if (rc < 0)
		goto fail;
	dev->negotiated = neg.negotiated;

	/* Legacy devices have no FEATURES_OK step. */
	if (!dev->modern)
		return 0;
	/*
	 * 3.1.1 step 6: "Re-read device status to ensure the FEATURES_OK bit
	 * is still set: otherwise, the device does not support our subset of
	 * features and the device is unusable." set_status reads it back.
	 */
	rc = virtio_dev_set_status(dev, VIRTIO_STATUS_FEATURES_OK);
	if (rc < 0)
		goto fail;
	return 0;

fail:
	virtio_dev_fail(dev);
	return rc;
}

int virtio_dev_driver_ok(struct virtio_dev *dev)
{
	return virtio_dev_set_status(dev, VIRTIO_STATUS_DRIVER_OK);
}

bool virtio_dev_needs_reset(struct virtio_dev *dev)
{
	uint8_t status;

	if (virtio_dev_get_status(dev, &status) < 0)
		return false;
	return (status & VIRTIO_STATUS_NEEDS_RESET) != 0;
}

int virtio_dev_read_config(struct virtio_dev *dev, uint32_t offset, void *buf, uint32_t len)
{
	if (dev->ops->read_config == NULL)
		return -ENOTSUP;
	return dev->ops->read_config(dev, offset, buf, len);
}

int virtio_dev_queue_max(struct virtio_dev *dev, uint16_t index, uint16_t *max_size)
{
	if (dev->ops->get_queue_max == NULL)
		return -ENOTSUP;
	return dev->ops->get_queue_max(dev, index, max_size);
}

int virtio_dev_setup_queue(struct virtio_dev *dev, struct virtqueue *vq)
{
	if (dev->ops->setup_queue == NULL)
		return -ENOTSUP;
	return dev->ops->setup_queue(dev, vq);
}

int virtio_dev_teardown_queue(struct virtio_dev *dev, struct virtqueue *vq)
{
	if (dev->ops->teardown_queue == NULL)
		return -ENOTSUP;
	return dev->ops->teardown_queue(dev, vq);
}

int virtio_dev_notify(void *ctx, uint16_t queue_index)
{
	struct virtio_dev *dev = ctx;

	if (dev->ops->notify_queue == NULL)
		return -ENOTSUP;
	return dev->ops->notify_queue(dev, queue_index);
}

json_t *virtio_status_to_json(uint8_t status)
{
	static const struct {
		uint8_t bit;
		const char *name;
	} names[] = {
		{ VIRTIO_STATUS_ACKNOWLEDGE, "ACKNOWLEDGE" },
		{ VIRTIO_STATUS_DRIVER, "DRIVER" },
		{ VIRTIO_STATUS_FEATURES_OK, "FEATURES_OK" },
		{ VIRTIO_STATUS_DRIVER_OK, "DRIVER_OK" },
		{ VIRTIO_STATUS_NEEDS_RESET, "NEEDS_RESET" },
		{ VIRTIO_STATUS_FAILED, "FAILED" },
	};
	uint8_t known = 0;
	json_t *arr = json_array();
	char buf[16];
	size_t i;

	if (arr == NULL)
		return NULL;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		known |= names[i].bit;
		if (status & names[i].bit)
			json_array_append_new(arr, json_string(names[i].name));
	}
	for (i = 0; i < 8; i++) {
		if ((status & ~known) & (1u << i)) {
			snprintf(buf, sizeof(buf), "bit_%zu", i);
			json_array_append_new(arr, json_string(buf));
		}
	}
	return arr;
}

static json_t *feature_set_json(uint64_t features)
{
	char raw[24];

	snprintf(raw, sizeof(raw), "0x%016" PRIx64, features);
	return json_pack("{s:s, s:o}", "raw", raw, "names", virtio_features_to_json(features));
}

json_t *virtio_dev_to_json(const struct virtio_dev *dev)
{
	json_t *obj, *transport;

	obj = json_pack("{s:s, s:s, s:b, s:{s:i, s:o}, s:{s:o, s:o, s:o}}",
			"name", dev->name,
			"transport", dev->ops->name != NULL ? dev->ops->name : "unknown",
			"modern", dev->modern,
			"status", "raw", dev->status, "names", virtio_status_to_json(dev->status),
			"features",
			"offered", feature_set_json(dev->offered),
			"driver", feature_set_json(dev->driver_features),
			"negotiated", feature_set_json(dev->negotiated));
	if (obj == NULL)
		return NULL;
	if (dev->ops->dump_json != NULL) {
		transport = dev->ops->dump_json(dev);
		if (transport != NULL)
			json_object_set_new(obj, "transport_info", transport);
	}
	return obj;
}
