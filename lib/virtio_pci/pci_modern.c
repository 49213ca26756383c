/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The modern virtio-pci interface (virtio 1.2, 4.1.4): the common
 * configuration structure drives status, features and queues; each queue
 * is kicked through its own address in the notification area.
 *
 * Every structure was bounds-checked against its BAR by pci_caps.c; what
 * the device tells us later (queue sizes, notify offsets, enables) is
 * checked here before it is used.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include <vpmd/virtio_spec.h>

#include "pci_internal.h"

/* A queue that was not set up has no notification address. */
#define NOTIFY_ADDR_NONE UINT64_MAX

static const struct vpci_region *common_of(const struct virtio_pci *vp)
{
	return &vp->caps.region[VPCI_REGION_COMMON];
}

static int common_read8(const struct virtio_pci *vp, uint32_t reg, uint8_t *v)
{
	return vpci_read8(vp, common_of(vp)->bar, common_of(vp)->offset + (uint64_t)reg, v);
}

static int common_read16(const struct virtio_pci *vp, uint32_t reg, uint16_t *v)
{
	return vpci_read16(vp, common_of(vp)->bar, common_of(vp)->offset + (uint64_t)reg, v);
}

static int common_read32(const struct virtio_pci *vp, uint32_t reg, uint32_t *v)
{
	return vpci_read32(vp, common_of(vp)->bar, common_of(vp)->offset + (uint64_t)reg, v);
}

static int common_write8(const struct virtio_pci *vp, uint32_t reg, uint8_t v)
{
	return vpci_write8(vp, common_of(vp)->bar, common_of(vp)->offset + (uint64_t)reg, v);
}

static int common_write16(const struct virtio_pci *vp, uint32_t reg, uint16_t v)
{
	return vpci_write16(vp, common_of(vp)->bar, common_of(vp)->offset + (uint64_t)reg, v);
}

static int common_write32(const struct virtio_pci *vp, uint32_t reg, uint32_t v)
{
	return vpci_write32(vp, common_of(vp)->bar, common_of(vp)->offset + (uint64_t)reg, v);
}

/*
 * 4.1.4.3: "For 64-bit fields, the driver MAY access each of the high and
 * low 32-bit parts of the field independently." Low half first, as Linux's
 * vp_iowrite64_twopart does.
 */
static int common_write64(const struct virtio_pci *vp, uint32_t reg_lo, uint64_t v)
{
	int rc = common_write32(vp, reg_lo, (uint32_t)v);

	return rc < 0 ? rc : common_write32(vp, reg_lo + 4, (uint32_t)(v >> 32));
}

static int modern_get_status(struct virtio_dev *dev, uint8_t *status)
{
	return common_read8(vpci_of(dev), VPCI_COMMON_STATUS, status);
}

static int modern_set_status(struct virtio_dev *dev, uint8_t status)
{
	return common_write8(vpci_of(dev), VPCI_COMMON_STATUS, status);
}

/*
 * 4.1.4.3.1: "Writing 0 into this field resets the device." The core then
 * polls device_status until it reads 0 (4.1.4.3.2: "After writing 0 to
 * device_status, the driver MUST wait for a read of device_status to
 * return 0 before reinitializing the device").
 */
static int modern_reset(struct virtio_dev *dev)
{
	struct virtio_pci *vp = vpci_of(dev);
	uint16_t i;

	for (i = 0; i < vp->num_queues; i++)
		vp->notify_addr[i] = NOTIFY_ADDR_NONE;
	return common_write8(vp, VPCI_COMMON_STATUS, 0);
}

/* device_feature shows 32 bits at a time, chosen by device_feature_select. */
static int modern_get_features(struct virtio_dev *dev, uint64_t *features)
{
	struct virtio_pci *vp = vpci_of(dev);
	uint32_t lo, hi;
	int rc;

	rc = common_write32(vp, VPCI_COMMON_DFSELECT, 0);
	if (rc == 0)
		rc = common_read32(vp, VPCI_COMMON_DF, &lo);
	if (rc == 0)
		rc = common_write32(vp, VPCI_COMMON_DFSELECT, 1);
	if (rc == 0)
		rc = common_read32(vp, VPCI_COMMON_DF, &hi);
	if (rc == 0)
		*features = (uint64_t)hi << 32 | lo;
	return rc;
}

static int modern_set_features(struct virtio_dev *dev, uint64_t features)
{
	struct virtio_pci *vp = vpci_of(dev);
	int rc;

	/*
	 * With NOTIFICATION_DATA a kick carries ring positions (4.1.5.2); we
	 * write only the queue index, so we never accept it.
	 */
	if (features & VIRTIO_BIT(VIRTIO_F_NOTIFICATION_DATA))
		return vpci_fail(vp, -EINVAL,
				 "VIRTIO_F_NOTIFICATION_DATA is not supported by this transport");
	rc = common_write32(vp, VPCI_COMMON_GFSELECT, 0);
	if (rc == 0)
		rc = common_write32(vp, VPCI_COMMON_GF, (uint32_t)features);
	if (rc == 0)
		rc = common_write32(vp, VPCI_COMMON_GFSELECT, 1);
	if (rc == 0)
		rc = common_write32(vp, VPCI_COMMON_GF, (uint32_t)(features >> 32));
	return rc;
}

/*
 * num_queues as the device says it now: it may grow once features are
 * negotiated (QEMU's virtio-net shows one pair and the control queue
 * until MQ is, then all of its pairs).
 */
static int refresh_num_queues(struct virtio_pci *vp)
{
	uint64_t *a;
	uint16_t n, i;
	int rc = common_read16(vp, VPCI_COMMON_NUMQ, &n);

	if (rc < 0 || n <= vp->num_queues)
		return rc;
	a = realloc(vp->notify_addr, ((size_t)n + 1) * sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	for (i = vp->num_queues; i <= n; i++)
		a[i] = NOTIFY_ADDR_NONE;
	vp->notify_addr = a;
	vp->num_queues = n;
	return 0;
}

/* 4.1.4.3: queue_size "A 0 means the queue is unavailable." */
static int modern_get_queue_max(struct virtio_dev *dev, uint16_t index, uint16_t *max_size)
{
	struct virtio_pci *vp = vpci_of(dev);
	int rc;

	*max_size = 0;
	if (index >= vp->num_queues && refresh_num_queues(vp) < 0)
		return -EIO;
	if (index >= vp->num_queues)
		return 0;
	rc = common_write16(vp, VPCI_COMMON_Q_SELECT, index);
	return rc < 0 ? rc : common_read16(vp, VPCI_COMMON_Q_SIZE, max_size);
}

/* The ring's layout must be the one the features told the device to expect. */
static int check_queue_shape(struct virtio_pci *vp, const struct virtio_dev *dev,
			     const struct virtqueue *vq, uint16_t max)
{
	bool packed = vq_get_layout(vq) == VQ_LAYOUT_PACKED;
	uint16_t index = vq_index(vq), size = vq_size(vq);

	if (packed != virtio_dev_has_feature(dev, VIRTIO_F_RING_PACKED))
		return vpci_fail(vp, -EINVAL, "queue %u: a %s ring, but VIRTIO_F_RING_PACKED %s",
				 index, packed ? "packed" : "split",
				 packed ? "was not negotiated" : "was negotiated");
	if (max == 0)
		return vpci_fail(vp, -EINVAL, "queue %u is not available (queue_size reads 0)",
				 index);
	/*
	 * queue_size "can be modified by the driver to reduce memory
	 * requirements" (4.1.4.3), never raised above what the device said.
	 */
	if (size > max)
		return vpci_fail(vp, -EINVAL,
				 "queue %u: the ring has %u entries, the device takes at most %u",
				 index, size, max);
	/*
	 * 4.1.4.3.2: "If VIRTIO_F_RING_PACKED has not been negotiated, the
	 * driver MUST NOT write a value which is not a power of 2 to
	 * queue_size." vq_create() refuses such rings already.
	 */
	if (!packed && (size & (size - 1)) != 0)
		return vpci_fail(vp, -EINVAL,
				 "queue %u: a split ring of %u entries (not a power of two)", index,
				 size);
	return 0;
}

/*
 * 4.1.4.4: "The queue's notification address is cap.offset +
 * queue_notify_off * notify_off_multiplier", and "cap.length >=
 * queue_notify_off * notify_off_multiplier + 2" for a 16-bit kick: a
 * device that breaks it would have us write outside the area.
 */
static int notify_addr_of(struct virtio_pci *vp, uint16_t index, uint16_t notify_off,
			  uint64_t *addr)
{
	const struct vpci_region *n = &vp->caps.region[VPCI_REGION_NOTIFY];
	/* 16 bits times 32 bits: no overflow in 64. */
	uint64_t rel = (uint64_t)notify_off * vp->caps.notify_off_multiplier;

	if (rel + 2 > n->length || n->offset + rel + 2 > vp->access.bar_len[n->bar])
		return vpci_fail(vp, -EINVAL,
				 "queue %u: queue_notify_off %u x multiplier %" PRIu32
				 " is past the notify area (0x%" PRIx32 " bytes)",
				 index, notify_off, vp->caps.notify_off_multiplier, n->length);
	*addr = n->offset + rel;
	return 0;
}

static int modern_setup_queue(struct virtio_dev *dev, struct virtqueue *vq)
{
	struct virtio_pci *vp = vpci_of(dev);
	uint16_t index = vq_index(vq), max, notify_off, enabled;
	struct vq_ring_addrs a;
	uint64_t notify = 0;
	int rc;

	if (index >= vp->num_queues)
		refresh_num_queues(vp);
	if (index >= vp->num_queues)
		return vpci_fail(vp, -EINVAL, "queue %u: the device has %u queues", index,
				 vp->num_queues);
	rc = common_write16(vp, VPCI_COMMON_Q_SELECT, index);
	if (rc == 0)
		rc = common_read16(vp, VPCI_COMMON_Q_SIZE, &max);
	if (rc < 0)
		return rc;
	rc = check_queue_shape(vp, dev, vq, max);
	if (rc < 0)
		return rc;

	vq_ring_addrs(vq, &a);
	rc = common_write16(vp, VPCI_COMMON_Q_SIZE, vq_size(vq));
	if (rc == 0)
		rc = common_write64(vp, VPCI_COMMON_Q_DESCLO, a.desc_dev);
	if (rc == 0)
		rc = common_write64(vp, VPCI_COMMON_Q_AVAILLO, a.driver_area_dev);
	if (rc == 0)
		rc = common_write64(vp, VPCI_COMMON_Q_USEDLO, a.device_area_dev);
	/* A poll-mode driver takes no interrupts: no vector for the queue or the config. */
	if (rc == 0)
		rc = common_write16(vp, VPCI_COMMON_Q_MSIX, VIRTIO_MSI_NO_VECTOR);
	if (rc == 0)
		rc = common_write16(vp, VPCI_COMMON_MSIX, VIRTIO_MSI_NO_VECTOR);
	if (rc == 0)
		rc = common_read16(vp, VPCI_COMMON_Q_NOFF, &notify_off);
	if (rc < 0)
		return rc;
	rc = notify_addr_of(vp, index, notify_off, &notify);
	if (rc < 0)
		return rc;

	/*
	 * 4.1.4.3.2: "The driver MUST configure the other virtqueue fields
	 * before enabling the virtqueue with queue_enable." Then read it
	 * back: a device that cannot take the queue leaves it 0.
	 */
	rc = common_write16(vp, VPCI_COMMON_Q_ENABLE, 1);
	if (rc == 0)
		rc = common_read16(vp, VPCI_COMMON_Q_ENABLE, &enabled);
	if (rc < 0)
		return rc;
	if (enabled != 1)
		return vpci_fail(vp, -EIO, "queue %u: queue_enable reads %u after writing 1",
				 index, enabled);
	vp->notify_addr[index] = notify;
	return 0;
}

/*
 * Virtio 1.x has no way to stop one queue without VIRTIO_F_RING_RESET
 * (4.1.4.3.2: "The driver MUST NOT write a 0 to queue_enable"), which we
 * do not offer: the device keeps using the ring until it is reset, and
 * the caller resets the device before freeing ring memory. We only forget
 * the queue's notification address, so a late kick fails rather than
 * reaches a queue the caller thinks is gone.
 */
static int modern_teardown_queue(struct virtio_dev *dev, struct virtqueue *vq)
{
	struct virtio_pci *vp = vpci_of(dev);
	uint16_t index = vq_index(vq);

	if (index < vp->num_queues)
		vp->notify_addr[index] = NOTIFY_ADDR_NONE;
	return 0;
}

/*
 * 4.1.5.2: "When VIRTIO_F_NOTIFICATION_DATA has not been negotiated, the
 * driver sends an available buffer notification to the device by writing
 * the 16-bit virtqueue index of this virtqueue to the Queue Notify
 * address."
 */
static int modern_notify_queue(struct virtio_dev *dev, uint16_t index)
{
	struct virtio_pci *vp = vpci_of(dev);
	const struct vpci_region *n = &vp->caps.region[VPCI_REGION_NOTIFY];

	if (index >= vp->num_queues || vp->notify_addr[index] == NOTIFY_ADDR_NONE)
		return -EINVAL; /* datapath: no sentence, the caller counts */
	return vpci_write16(vp, n->bar, vp->notify_addr[index], index);
}

static int device_cfg_access(struct virtio_dev *dev, uint32_t offset, void *buf, uint32_t len,
			     bool write)
{
	struct virtio_pci *vp = vpci_of(dev);
	const struct vpci_region *d = &vp->caps.region[VPCI_REGION_DEVICE];

	if (len == 0 || (uint64_t)offset + len > d->length)
		return vpci_fail(vp, -EINVAL,
				 "device configuration: %u bytes at 0x%x are past its 0x%" PRIx32
				 " bytes",
				 len, offset, d->length);
	return vpci_config_rw(vp, d->bar, d->offset + (uint64_t)offset, buf, len, write);
}

static int modern_read_config(struct virtio_dev *dev, uint32_t offset, void *buf, uint32_t len)
{
	return device_cfg_access(dev, offset, buf, len, false);
}

static int modern_write_config(struct virtio_dev *dev, uint32_t offset, const void *buf,
			       uint32_t len)
{
	return device_cfg_access(dev, offset, (void *)(uintptr_t)buf, len, true);
}

static int modern_config_generation(struct virtio_dev *dev, uint8_t *generation)
{
	return common_read8(vpci_of(dev), VPCI_COMMON_CFGGEN, generation);
}

static json_t *region_json(const struct vpci_region *r)
{
	return json_pack("{s:i, s:I, s:I}", "bar", r->bar, "offset", (json_int_t)r->offset,
			 "length", (json_int_t)r->length);
}

static json_t *modern_dump_json(const struct virtio_dev *dev)
{
	static const char *const keys[VPCI_REGION_MAX] = {
		[VPCI_REGION_COMMON] = "common",
		[VPCI_REGION_NOTIFY] = "notify",
		[VPCI_REGION_ISR] = "isr",
		[VPCI_REGION_DEVICE] = "device",
	};
	const struct virtio_pci *vp = vpci_of(dev);
	json_t *obj, *caps;
	int t;

	caps = json_object();
	if (caps == NULL)
		return NULL;
	for (t = 0; t < VPCI_REGION_MAX; t++)
		if (vp->caps.region[t].present)
			json_object_set_new(caps, keys[t], region_json(&vp->caps.region[t]));
	obj = json_pack("{s:s, s:i, s:I, s:i, s:o}", "interface", "modern", "device_id",
			vp->device_id, "notify_off_multiplier",
			(json_int_t)vp->caps.notify_off_multiplier, "num_queues", vp->num_queues,
			"caps", caps);
	return obj;
}

const struct virtio_transport_ops vpci_modern_ops = {
	.name = "pci",
	.read_config = modern_read_config,
	.write_config = modern_write_config,
	.get_status = modern_get_status,
	.set_status = modern_set_status,
	.reset = modern_reset,
	.get_features = modern_get_features,
	.set_features = modern_set_features,
	.get_queue_max = modern_get_queue_max,
	.setup_queue = modern_setup_queue,
	.teardown_queue = modern_teardown_queue,
	.notify_queue = modern_notify_queue,
	.dump_json = modern_dump_json,
	.config_generation = modern_config_generation,
};

int vpci_modern_init(struct virtio_pci *vp, char *why, size_t why_len)
{
	uint16_t i;
	int rc;

	rc = vpci_caps_check(vp, &vp->caps, why, why_len);
	if (rc < 0)
		return rc;
	rc = common_read16(vp, VPCI_COMMON_NUMQ, &vp->num_queues);
	if (rc < 0)
		return rc;
	/* One more than needed, so that a device with no queues still allocates. */
	vp->notify_addr = calloc((size_t)vp->num_queues + 1, sizeof(*vp->notify_addr));
	if (vp->notify_addr == NULL)
		return -ENOMEM;
	for (i = 0; i < vp->num_queues; i++)
		vp->notify_addr[i] = NOTIFY_ADDR_NONE;
	vp->ops = vpci_modern_ops;
	/*
	 * Only devices with a device-specific configuration have its
	 * structure (4.1.4.6); without one the core answers -ENOTSUP.
	 */
	if (!vp->caps.region[VPCI_REGION_DEVICE].present) {
		vp->ops.read_config = NULL;
		vp->ops.write_config = NULL;
	}
	return 0;
}
