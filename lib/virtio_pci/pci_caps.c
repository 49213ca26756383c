/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The PCI capability walk: where the virtio structures of a modern device
 * live (4.1.4), and whether MSI-X is on (which moves the legacy device
 * configuration).
 *
 * Configuration space comes from the device, so the walk trusts nothing:
 * a pointer outside the space or into the header ends it, and so does a
 * list longer than the space could hold (a loop). A structure is only
 * used after its offset and length were checked against its BAR, as
 * Linux's vp_modern_map_capability does before mapping.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pci_internal.h"

/* The first capability may sit right after the 64-byte header. */
#define PCI_CAP_MIN_POS 0x40
/*
 * 192 bytes after the header hold at most 48 four-byte capabilities: a
 * longer walk is going round a loop (Linux's PCI_FIND_CAP_TTL).
 */
#define PCI_CAP_WALK_TTL 48

static const char *const region_names[VPCI_REGION_MAX] = {
	[VPCI_REGION_COMMON] = "common configuration",
	[VPCI_REGION_NOTIFY] = "notify",
	[VPCI_REGION_ISR] = "ISR",
	[VPCI_REGION_DEVICE] = "device configuration",
};

/*
 * Smallest structure we can use: the common configuration up to
 * queue_device; a notification register is a le16 (4.1.4.4: "cap.length
 * >= queue_notify_off * notify_off_multiplier + 2"); one ISR byte; one
 * byte of device configuration.
 */
static const uint32_t region_min_len[VPCI_REGION_MAX] = {
	[VPCI_REGION_COMMON] = VPCI_COMMON_CFG_MIN_LEN,
	[VPCI_REGION_NOTIFY] = 2,
	[VPCI_REGION_ISR] = 1,
	[VPCI_REGION_DEVICE] = 1,
};

static enum vpci_region_type region_of_cfg_type(uint8_t cfg_type)
{
	switch (cfg_type) {
	case VIRTIO_PCI_CAP_COMMON_CFG:
		return VPCI_REGION_COMMON;
	case VIRTIO_PCI_CAP_NOTIFY_CFG:
		return VPCI_REGION_NOTIFY;
	case VIRTIO_PCI_CAP_ISR_CFG:
		return VPCI_REGION_ISR;
	case VIRTIO_PCI_CAP_DEVICE_CFG:
		return VPCI_REGION_DEVICE;
	default:
		/*
		 * PCI_CFG (an access window for firmware) and the types 1.2
		 * added (shared memory, vendor data) are not ours: 4.1.4 "The
		 * driver MUST ignore any vendor-specific capability structure
		 * which has a reserved cfg_type value."
		 */
		return VPCI_REGION_MAX;
	}
}

/*
 * 4.1.4: "bar values 0x0 to 0x5 specify a Base Address register"; a
 * reserved one is ignored. We also skip a BAR the caller could not map
 * and an I/O BAR: the modern interface is driven through memory BARs
 * only (an I/O BAR is the legacy interface's), as DPDK's driver does.
 */
static bool bar_usable_modern(const struct virtio_pci *vp, uint8_t bar)
{
	return bar < VIRTIO_PCI_BARS && vp->access.bar_len[bar] > 0 && !vp->access.bar_is_io[bar];
}

static int read_vendor_cap(const struct virtio_pci *vp, struct vpci_caps *caps, uint8_t pos)
{
	struct vpci_region r = { .present = true, .cap_pos = pos };
	enum vpci_region_type type;
	uint8_t cap_len, cfg_type;
	uint32_t mult = 0;
	int rc;

	rc = vpci_cfg_read8(vp, pos + VPCI_CAP_LEN, &cap_len);
	if (rc == 0)
		rc = vpci_cfg_read8(vp, pos + VPCI_CAP_CFG_TYPE, &cfg_type);
	if (rc < 0)
		return rc;
	type = region_of_cfg_type(cfg_type);
	if (type == VPCI_REGION_MAX)
		return 0;
	/* 4.1.4.1: "The driver SHOULD use the first instance of each virtio
	 * structure type they can support." */
	if (caps->region[type].present)
		return 0;
	if (cap_len < (type == VPCI_REGION_NOTIFY ? VPCI_NOTIFY_CAP_SIZE : VPCI_CAP_SIZE) ||
	    pos + (uint32_t)cap_len > PCI_CFG_SPACE_SIZE)
		return 0; /* not a structure we can read whole: not one we can support */
	rc = vpci_cfg_read8(vp, pos + VPCI_CAP_BAR, &r.bar);
	if (rc == 0)
		rc = vpci_cfg_read32(vp, pos + VPCI_CAP_OFFSET, &r.offset);
	if (rc == 0)
		rc = vpci_cfg_read32(vp, pos + VPCI_CAP_LENGTH, &r.length);
	if (rc == 0 && type == VPCI_REGION_NOTIFY)
		rc = vpci_cfg_read32(vp, pos + VPCI_NOTIFY_CAP_MULT, &mult);
	if (rc < 0)
		return rc;
	if (!bar_usable_modern(vp, r.bar))
		return 0;
	caps->region[type] = r;
	if (type == VPCI_REGION_NOTIFY)
		caps->notify_off_multiplier = mult;
	return 0;
}

int vpci_caps_find(const struct virtio_pci *vp, struct vpci_caps *caps)
{
	uint16_t status;
	uint8_t pos, id;
	unsigned int ttl;
	int rc;

	memset(caps, 0, sizeof(*caps));
	rc = vpci_cfg_read16(vp, PCI_CFG_STATUS, &status);
	if (rc < 0)
		return rc;
	if (!(status & PCI_STATUS_CAP_LIST))
		return 0;
	rc = vpci_cfg_read8(vp, PCI_CFG_CAP_PTR, &pos);
	if (rc < 0)
		return rc;

	for (ttl = 0; pos != 0; ttl++) {
		/*
		 * PCI 3.0, 6.7: "The bottom two bits are Reserved and must be
		 * set to 00b. Software must mask these bits off before using
		 * this register as a pointer."
		 */
		pos &= (uint8_t)~3u;
		if (ttl == PCI_CAP_WALK_TTL || pos < PCI_CAP_MIN_POS ||
		    pos + (uint32_t)VPCI_CAP_SIZE > PCI_CFG_SPACE_SIZE) {
			caps->list_cut = true;
			break;
		}
		rc = vpci_cfg_read8(vp, pos, &id);
		if (rc < 0)
			return rc;
		if (id == PCI_CAP_ID_VNDR)
			rc = read_vendor_cap(vp, caps, pos);
		else if (id == PCI_CAP_ID_MSIX && caps->msix_pos == 0)
			caps->msix_pos = pos;
		if (rc < 0)
			return rc;
		rc = vpci_cfg_read8(vp, pos + 1, &pos);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int vpci_caps_check(const struct virtio_pci *vp, const struct vpci_caps *caps, char *why,
		    size_t why_len)
{
	const struct vpci_region *r;
	uint64_t bar_len;
	int t;

	for (t = 0; t < VPCI_REGION_MAX; t++) {
		r = &caps->region[t];
		if (!r->present)
			continue;
		bar_len = vp->access.bar_len[r->bar];
		/* Both are 32-bit: their sum cannot overflow 64 bits. */
		if ((uint64_t)r->offset + r->length > bar_len) {
			snprintf(why, why_len,
				 "%s capability: offset 0x%" PRIx32 " + 0x%" PRIx32
				 " bytes is past BAR %u (0x%" PRIx64 " bytes)",
				 region_names[t], r->offset, r->length, r->bar, bar_len);
			return -EINVAL;
		}
		if (r->length < region_min_len[t]) {
			snprintf(why, why_len,
				 "%s capability: 0x%" PRIx32 " bytes, less than the 0x%" PRIx32
				 " the structure needs",
				 region_names[t], r->length, region_min_len[t]);
			return -EINVAL;
		}
	}
	return 0;
}

const char *vpci_region_name(enum vpci_region_type type)
{
	return type < VPCI_REGION_MAX ? region_names[type] : "unknown";
}

int vpci_msix_enabled(const struct virtio_pci *vp, bool *enabled)
{
	uint16_t flags;
	int rc;

	*enabled = false;
	if (vp->caps.msix_pos == 0)
		return 0;
	rc = vpci_cfg_read16(vp, vp->caps.msix_pos + PCI_MSIX_FLAGS, &flags);
	if (rc == 0)
		*enabled = (flags & PCI_MSIX_FLAGS_ENABLE) != 0;
	return rc;
}
