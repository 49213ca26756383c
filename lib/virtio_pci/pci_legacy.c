/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The legacy virtio-pci interface (virtio 1.2, 4.1.4.8): a fixed block of
 * registers at the start of I/O BAR 0, then the device configuration.
 *
 * What legacy cannot do, we refuse rather than approximate: only feature
 * bits 0-31 exist, there is no FEATURES_OK (the core skips it when
 * modern is false), the queue size is the device's and cannot be changed,
 * rings are split and laid out with VRING_LEGACY_ALIGN, and the device
 * learns where a ring is from one 32-bit page frame number.
 */
#include <errno.h>
#include <inttypes.h>

#include <vpmd/virtio_spec.h>

#include "pci_internal.h"

/* The legacy registers are all in BAR 0 (4.1.4.8). */
#define LEGACY_BAR 0
#define LEGACY_PAGE (1u << VPCI_LEGACY_PFN_SHIFT)

static int legacy_get_status(struct virtio_dev *dev, uint8_t *status)
{
	return vpci_read8(vpci_of(dev), LEGACY_BAR, VPCI_LEGACY_STATUS, status);
}

static int legacy_set_status(struct virtio_dev *dev, uint8_t status)
{
	return vpci_write8(vpci_of(dev), LEGACY_BAR, VPCI_LEGACY_STATUS, status);
}

/* 4.1.4.8: "Note that only Feature Bits 0 to 31 are accessible through the Legacy Interface." */
static int legacy_get_features(struct virtio_dev *dev, uint64_t *features)
{
	uint32_t host;
	int rc = vpci_read32(vpci_of(dev), LEGACY_BAR, VPCI_LEGACY_HOST_FEATURES, &host);

	if (rc == 0)
		*features = host;
	return rc;
}

static int legacy_set_features(struct virtio_dev *dev, uint64_t features)
{
	struct virtio_pci *vp = vpci_of(dev);

	if (features >> 32)
		return vpci_fail(vp, -EINVAL,
				 "legacy device: feature bits 0x%" PRIx64
				 " are above bit 31, which legacy cannot carry",
				 features & ~(uint64_t)UINT32_MAX);
	return vpci_write32(vp, LEGACY_BAR, VPCI_LEGACY_GUEST_FEATURES, (uint32_t)features);
}

/* Queue Size is read-only in legacy: the device's size is the ring's. 0: no queue. */
static int legacy_get_queue_max(struct virtio_dev *dev, uint16_t index, uint16_t *max_size)
{
	struct virtio_pci *vp = vpci_of(dev);
	int rc = vpci_write16(vp, LEGACY_BAR, VPCI_LEGACY_QUEUE_SELECT, index);

	return rc < 0 ? rc : vpci_read16(vp, LEGACY_BAR, VPCI_LEGACY_QUEUE_SIZE, max_size);
}

/*
 * 2.7.2 (legacy interfaces): the driver gives the device only the
 * descriptor table's page; the available ring follows the table and the
 * used ring starts at the next VRING_LEGACY_ALIGN boundary after it. Check
 * that the ring really sits where the device will look.
 */
static int check_legacy_layout(struct virtio_pci *vp, const struct virtqueue *vq)
{
	uint16_t index = vq_index(vq), size = vq_size(vq);
	uint64_t avail_end, used_off;
	struct vq_ring_addrs a;

	vq_ring_addrs(vq, &a);
	avail_end = (uint64_t)size * sizeof(struct vring_desc) + sizeof(struct vring_avail) +
		    (uint64_t)size * sizeof(uint16_t) + sizeof(uint16_t);
	used_off = (avail_end + VRING_LEGACY_ALIGN - 1) & ~(uint64_t)(VRING_LEGACY_ALIGN - 1);
	if (a.desc_dev % LEGACY_PAGE != 0)
		return vpci_fail(vp, -EINVAL,
				 "legacy device: queue %u's ring at 0x%" PRIx64
				 " is not aligned to a 4096-byte page",
				 index, a.desc_dev);
	if ((a.desc_dev >> VPCI_LEGACY_PFN_SHIFT) > UINT32_MAX)
		return vpci_fail(vp, -EINVAL,
				 "legacy device: queue %u's ring at 0x%" PRIx64
				 " is above what a 32-bit page number reaches",
				 index, a.desc_dev);
	if (a.driver_area_dev != a.desc_dev + (uint64_t)size * sizeof(struct vring_desc) ||
	    a.device_area_dev != a.desc_dev + used_off)
		return vpci_fail(vp, -EINVAL,
				 "legacy device: queue %u's used ring is at +0x%" PRIx64
				 ", legacy expects +0x%" PRIx64 " (used_align %u)",
				 index, a.device_area_dev - a.desc_dev, used_off, VRING_LEGACY_ALIGN);
	return 0;
}

static int legacy_setup_queue(struct virtio_dev *dev, struct virtqueue *vq)
{
	struct virtio_pci *vp = vpci_of(dev);
	uint16_t index = vq_index(vq), size = vq_size(vq), dev_size;
	struct vq_ring_addrs a;
	uint32_t pfn, seen;
	int rc;

	if (vq_get_layout(vq) != VQ_LAYOUT_SPLIT)
		return vpci_fail(vp, -ENOTSUP, "legacy device: queue %u: packed rings need virtio 1.x",
				 index);
	rc = legacy_get_queue_max(dev, index, &dev_size);
	if (rc < 0)
		return rc;
	if (dev_size == 0)
		return vpci_fail(vp, -EINVAL, "legacy device: queue %u is not available (size 0)",
				 index);
	if (size != dev_size)
		return vpci_fail(vp, -EINVAL,
				 "legacy device: queue %u has %u entries, the ring has %u%s", index,
				 dev_size, size,
				 (dev_size & (dev_size - 1)) ? " (and a split ring needs a power of two)"
							     : "");
	rc = check_legacy_layout(vp, vq);
	if (rc < 0)
		return rc;

	vq_ring_addrs(vq, &a);
	pfn = (uint32_t)(a.desc_dev >> VPCI_LEGACY_PFN_SHIFT);
	rc = vpci_write32(vp, LEGACY_BAR, VPCI_LEGACY_QUEUE_PFN, pfn);
	if (rc == 0)
		rc = vpci_read32(vp, LEGACY_BAR, VPCI_LEGACY_QUEUE_PFN, &seen);
	if (rc < 0)
		return rc;
	if (seen != pfn)
		return vpci_fail(vp, -EIO,
				 "legacy device: queue %u's page number reads 0x%" PRIx32
				 " after writing 0x%" PRIx32,
				 index, seen, pfn);
	return 0;
}

/* A page number of 0 tells a legacy device the queue is gone. */
static int legacy_teardown_queue(struct virtio_dev *dev, struct virtqueue *vq)
{
	struct virtio_pci *vp = vpci_of(dev);
	int rc = vpci_write16(vp, LEGACY_BAR, VPCI_LEGACY_QUEUE_SELECT, vq_index(vq));

	return rc < 0 ? rc : vpci_write32(vp, LEGACY_BAR, VPCI_LEGACY_QUEUE_PFN, 0);
}

static int legacy_notify_queue(struct virtio_dev *dev, uint16_t index)
{
	return vpci_write16(vpci_of(dev), LEGACY_BAR, VPCI_LEGACY_QUEUE_NOTIFY, index);
}

/*
 * The device configuration follows the registers at 20, or at 24 while
 * MSI-X is enabled (two vector registers come in between). The driver
 * does not own MSI-X enable, so it is read at each access.
 */
static int legacy_config_access(struct virtio_dev *dev, uint32_t offset, void *buf,
				uint32_t len, bool write)
{
	struct virtio_pci *vp = vpci_of(dev);
	uint64_t base, bar_len = vp->access.bar_len[LEGACY_BAR];
	bool msix;
	int rc;

	rc = vpci_msix_enabled(vp, &msix);
	if (rc < 0)
		return rc;
	base = msix ? VPCI_LEGACY_CONFIG_MSIX : VPCI_LEGACY_CONFIG;
	if (len == 0 || base + offset + len > bar_len)
		return vpci_fail(vp, -EINVAL,
				 "legacy device configuration: %u bytes at 0x%x are past BAR 0 "
				 "(0x%" PRIx64 " bytes, configuration at %" PRIu64 ")",
				 len, offset, bar_len, base);
	return vpci_config_rw(vp, LEGACY_BAR, base + offset, buf, len, write);
}

static int legacy_read_config(struct virtio_dev *dev, uint32_t offset, void *buf, uint32_t len)
{
	return legacy_config_access(dev, offset, buf, len, false);
}

static int legacy_write_config(struct virtio_dev *dev, uint32_t offset, const void *buf,
			       uint32_t len)
{
	return legacy_config_access(dev, offset, (void *)(uintptr_t)buf, len, true);
}

static json_t *legacy_dump_json(const struct virtio_dev *dev)
{
	const struct virtio_pci *vp = vpci_of(dev);
	bool msix = false;

	(void)vpci_msix_enabled(vp, &msix);
	return json_pack("{s:s, s:i, s:I, s:b, s:i}", "interface", "legacy", "device_id",
			 vp->device_id, "bar0_length", (json_int_t)vp->access.bar_len[LEGACY_BAR],
			 "msix_enabled", msix, "config_offset",
			 msix ? VPCI_LEGACY_CONFIG_MSIX : VPCI_LEGACY_CONFIG);
}

/* No reset op: writing status 0 resets a legacy device. No config generation. */
const struct virtio_transport_ops vpci_legacy_ops = {
	.name = "pci",
	.read_config = legacy_read_config,
	.write_config = legacy_write_config,
	.get_status = legacy_get_status,
	.set_status = legacy_set_status,
	.get_features = legacy_get_features,
	.set_features = legacy_set_features,
	.get_queue_max = legacy_get_queue_max,
	.setup_queue = legacy_setup_queue,
	.teardown_queue = legacy_teardown_queue,
	.notify_queue = legacy_notify_queue,
	.dump_json = legacy_dump_json,
};

void vpci_legacy_init(struct virtio_pci *vp)
{
	vp->ops = vpci_legacy_ops;
}
