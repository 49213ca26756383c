/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The virtio-pci transport's front: identify the function, choose the
 * modern or the legacy interface, and hand out its ops table.
 *
 * Like DPDK's virtio_pci.c, both interfaces sit behind one ops struct;
 * like Linux, each lives in its own file (pci_modern.c, pci_legacy.c) and
 * every capability is bounds-checked before use (pci_caps.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pci_internal.h"

static void say(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || why_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
}

static bool access_valid(const struct virtio_pci_access *a)
{
	return a != NULL && a->cfg_read != NULL && a->bar_read != NULL && a->bar_write != NULL;
}

/* Modern needs these three; the device configuration is optional. */
static bool modern_present(const struct vpci_caps *caps)
{
	return caps->region[VPCI_REGION_COMMON].present &&
	       caps->region[VPCI_REGION_NOTIFY].present && caps->region[VPCI_REGION_ISR].present;
}

/*
 * 4.1.4.8: the legacy registers are in BAR 0, an I/O BAR, 20 bytes before
 * the device configuration; and 4.1.2.3: only a transitional device id
 * (0x1000-0x103f) promises them.
 */
static bool legacy_possible(const struct virtio_pci *vp)
{
	return vp->device_id <= VIRTIO_PCI_DEVICE_ID_TRANSITIONAL_MAX &&
	       vp->access.bar_is_io[0] && vp->access.bar_len[0] >= VPCI_LEGACY_CONFIG;
}

static int choose_interface(struct virtio_pci *vp, const struct virtio_pci_options *opts,
			    char *why, size_t why_len)
{
	bool force_legacy = opts != NULL && opts->force_legacy;
	int rc;

	if (modern_present(&vp->caps) && !force_legacy) {
		/* A device that shows broken structures is refused, not driven as legacy. */
		rc = vpci_modern_init(vp, why, why_len);
		if (rc == 0)
			vp->mode = VIRTIO_PCI_MODE_MODERN;
		return rc;
	}
	if (legacy_possible(vp)) {
		vpci_legacy_init(vp);
		vp->mode = VIRTIO_PCI_MODE_LEGACY;
		return 0;
	}
	if (force_legacy)
		say(why, why_len,
		    "legacy interface asked for, but device 0x%04x has no I/O BAR 0 of 20 bytes "
		    "or more, or is not transitional (0x1000-0x103f)",
		    vp->device_id);
	else
		say(why, why_len,
		    "device 0x%04x has neither the common, notify and ISR capabilities on a memory "
		    "BAR%s nor a legacy I/O BAR 0",
		    vp->device_id, vp->caps.list_cut ? " (its capability list is broken)" : "");
	return -ENODEV;
}

int virtio_pci_create(const struct virtio_pci_access *access,
		      const struct virtio_pci_options *opts, struct virtio_pci **out, char *why,
		      size_t why_len)
{
	struct virtio_pci *vp;
	uint16_t vendor;
	int rc;

	say(why, why_len, "%s", "");
	if (out == NULL || !access_valid(access)) {
		say(why, why_len, "no access functions given");
		return -EINVAL;
	}
	*out = NULL;
	vp = calloc(1, sizeof(*vp));
	if (vp == NULL)
		return -ENOMEM;
	vp->access = *access;

	rc = vpci_cfg_read16(vp, PCI_CFG_VENDOR_ID, &vendor);
	if (rc == 0)
		rc = vpci_cfg_read16(vp, PCI_CFG_DEVICE_ID, &vp->device_id);
	if (rc < 0) {
		say(why, why_len, "cannot read the PCI ids");
		goto fail;
	}
	/*
	 * 4.1.2.1: "Any PCI device with PCI Vendor ID 0x1AF4, and PCI Device
	 * ID 0x1000 through 0x107F inclusive is a virtio device."
	 */
	if (vendor != VIRTIO_PCI_VENDOR_ID || vp->device_id < VIRTIO_PCI_DEVICE_ID_MIN ||
	    vp->device_id > VIRTIO_PCI_DEVICE_ID_MAX) {
		say(why, why_len, "%04x:%04x is not a virtio function", vendor, vp->device_id);
		rc = -ENODEV;
		goto fail;
	}
	rc = vpci_caps_find(vp, &vp->caps);
	if (rc < 0) {
		say(why, why_len, "cannot read the PCI capability list");
		goto fail;
	}
	rc = choose_interface(vp, opts, why, why_len);
	if (rc < 0)
		goto fail;
	*out = vp;
	return 0;

fail:
	virtio_pci_destroy(vp);
	return rc;
}

void virtio_pci_destroy(struct virtio_pci *vp)
{
	if (vp == NULL)
		return;
	free(vp->notify_addr);
	free(vp);
}

enum virtio_pci_mode virtio_pci_mode(const struct virtio_pci *vp)
{
	return vp->mode;
}

const struct virtio_transport_ops *virtio_pci_ops(const struct virtio_pci *vp)
{
	return &vp->ops;
}

const char *virtio_pci_error(const struct virtio_pci *vp)
{
	return vp->err;
}

uint16_t virtio_pci_num_queues(const struct virtio_pci *vp)
{
	return vp->mode == VIRTIO_PCI_MODE_MODERN ? vp->num_queues : 0;
}

/* 4.1.4.5.1: "The device MUST reset ISR status to 0 on driver read." */
int virtio_pci_isr_read(struct virtio_pci *vp)
{
	const struct vpci_region *isr = &vp->caps.region[VPCI_REGION_ISR];
	uint8_t v;
	int rc;

	if (vp->mode == VIRTIO_PCI_MODE_MODERN)
		rc = vpci_read8(vp, isr->bar, isr->offset, &v);
	else
		rc = vpci_read8(vp, 0, VPCI_LEGACY_ISR, &v);
	return rc < 0 ? rc : v;
}

int virtio_pci_config_generation(struct virtio_pci *vp, uint8_t *generation)
{
	const struct vpci_region *common = &vp->caps.region[VPCI_REGION_COMMON];

	*generation = 0;
	if (vp->mode != VIRTIO_PCI_MODE_MODERN)
		return 0;
	return vpci_read8(vp, common->bar, common->offset + VPCI_COMMON_CFGGEN, generation);
}
