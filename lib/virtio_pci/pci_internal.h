/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * State of a virtio-pci transport, shared by the files of lib/virtio_pci:
 * the capability walk (pci_caps.c), the two register interfaces
 * (pci_modern.c, pci_legacy.c) and the front (virtio_pci.c).
 */
#ifndef VPMD_PCI_INTERNAL_H
#define VPMD_PCI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vpmd/virtio_pci.h>

/* PCI configuration space header (PCI Local Bus 3.0, 6.1). */
#define PCI_CFG_VENDOR_ID 0x00
#define PCI_CFG_DEVICE_ID 0x02
#define PCI_CFG_STATUS 0x06
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_CFG_CAP_PTR 0x34
#define PCI_CFG_SPACE_SIZE 256u
#define PCI_CAP_ID_MSIX 0x11
#define PCI_CAP_ID_VNDR 0x09
#define PCI_MSIX_FLAGS 2 /* message control, le16 */
#define PCI_MSIX_FLAGS_ENABLE 0x8000

/* struct virtio_pci_cap (4.1.4): field offsets inside the capability. */
#define VPCI_CAP_LEN 2
#define VPCI_CAP_CFG_TYPE 3
#define VPCI_CAP_BAR 4
#define VPCI_CAP_OFFSET 8
#define VPCI_CAP_LENGTH 12
#define VPCI_CAP_SIZE 16
/* struct virtio_pci_notify_cap adds notify_off_multiplier. */
#define VPCI_NOTIFY_CAP_MULT 16
#define VPCI_NOTIFY_CAP_SIZE 20

/* struct virtio_pci_common_cfg (4.1.4.3): register offsets. */
#define VPCI_COMMON_DFSELECT 0x00  /* le32 device_feature_select */
#define VPCI_COMMON_DF 0x04        /* le32 device_feature (ro) */
#define VPCI_COMMON_GFSELECT 0x08  /* le32 driver_feature_select */
#define VPCI_COMMON_GF 0x0c        /* le32 driver_feature */
#define VPCI_COMMON_MSIX 0x10      /* le16 msix_config */
#define VPCI_COMMON_NUMQ 0x12      /* le16 num_queues (ro) */
#define VPCI_COMMON_STATUS 0x14    /* u8 device_status */
#define VPCI_COMMON_CFGGEN 0x15    /* u8 config_generation (ro) */
#define VPCI_COMMON_Q_SELECT 0x16  /* le16 queue_select */
#define VPCI_COMMON_Q_SIZE 0x18    /* le16 queue_size */
#define VPCI_COMMON_Q_MSIX 0x1a    /* le16 queue_msix_vector */
#define VPCI_COMMON_Q_ENABLE 0x1c  /* le16 queue_enable */
#define VPCI_COMMON_Q_NOFF 0x1e    /* le16 queue_notify_off (ro) */
#define VPCI_COMMON_Q_DESCLO 0x20  /* le64 queue_desc, as two le32 */
#define VPCI_COMMON_Q_DESCHI 0x24
#define VPCI_COMMON_Q_AVAILLO 0x28 /* le64 queue_driver */
#define VPCI_COMMON_Q_AVAILHI 0x2c
#define VPCI_COMMON_Q_USEDLO 0x30  /* le64 queue_device */
#define VPCI_COMMON_Q_USEDHI 0x34
/*
 * Virtio 1.0's structure ends after queue_device; 1.2 appends
 * queue_notify_data and queue_reset, which we do not use. Requiring the
 * 1.0 size keeps 1.0 devices usable.
 */
#define VPCI_COMMON_CFG_MIN_LEN 0x38

/* The legacy register block at the start of I/O BAR 0 (4.1.4.8). */
#define VPCI_LEGACY_HOST_FEATURES 0  /* le32 (ro) */
#define VPCI_LEGACY_GUEST_FEATURES 4 /* le32 */
#define VPCI_LEGACY_QUEUE_PFN 8      /* le32 */
#define VPCI_LEGACY_QUEUE_SIZE 12    /* le16 (ro) */
#define VPCI_LEGACY_QUEUE_SELECT 14  /* le16 */
#define VPCI_LEGACY_QUEUE_NOTIFY 16  /* le16 */
#define VPCI_LEGACY_STATUS 18        /* u8 */
#define VPCI_LEGACY_ISR 19           /* u8, read clears */
#define VPCI_LEGACY_CONFIG 20        /* device config without MSI-X */
#define VPCI_LEGACY_CONFIG_MSIX 24   /* ... and with MSI-X enabled */
#define VPCI_LEGACY_PFN_SHIFT 12

/* One virtio structure located by a vendor capability. */
struct vpci_region {
	bool present;
	uint8_t cap_pos; /* where the capability sits in configuration space */
	uint8_t bar;
	uint32_t offset; /* inside the BAR */
	uint32_t length;
};

enum vpci_region_type {
	VPCI_REGION_COMMON,
	VPCI_REGION_NOTIFY,
	VPCI_REGION_ISR,
	VPCI_REGION_DEVICE,
	VPCI_REGION_MAX,
};

/* What the capability walk saw. */
struct vpci_caps {
	struct vpci_region region[VPCI_REGION_MAX];
	uint32_t notify_off_multiplier;
	uint8_t msix_pos; /* 0: no MSI-X capability */
	bool list_cut;    /* the walk stopped on a loop or a bad pointer */
};

struct virtio_pci {
	struct virtio_pci_access access;
	enum virtio_pci_mode mode;
	uint16_t device_id;
	struct vpci_caps caps;
	/* The ops for this function: a copy, so absent parts can be NULL. */
	struct virtio_transport_ops ops;

	/* Modern: num_queues, and each queue's notification offset in its BAR. */
	uint16_t num_queues;
	uint64_t *notify_addr; /* per queue; 0 until set up (never a valid address) */

	char err[192];
};

/* Record the sentence of a failed op; returns @rc for "return vpci_fail(...)". */
int vpci_fail(struct virtio_pci *vp, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline struct virtio_pci *vpci_of(const struct virtio_dev *dev)
{
	return dev->transport;
}

/* Register access with little-endian conversion, one access of the width. */
int vpci_cfg_read8(const struct virtio_pci *vp, uint32_t off, uint8_t *v);
int vpci_cfg_read16(const struct virtio_pci *vp, uint32_t off, uint16_t *v);
int vpci_cfg_read32(const struct virtio_pci *vp, uint32_t off, uint32_t *v);
int vpci_read8(const struct virtio_pci *vp, unsigned int bar, uint64_t off, uint8_t *v);
int vpci_read16(const struct virtio_pci *vp, unsigned int bar, uint64_t off, uint16_t *v);
int vpci_read32(const struct virtio_pci *vp, unsigned int bar, uint64_t off, uint32_t *v);
int vpci_write8(const struct virtio_pci *vp, unsigned int bar, uint64_t off, uint8_t v);
int vpci_write16(const struct virtio_pci *vp, unsigned int bar, uint64_t off, uint16_t v);
int vpci_write32(const struct virtio_pci *vp, unsigned int bar, uint64_t off, uint32_t v);

/*
 * Device configuration access in natural widths (4.1.3.1): one access for
 * 1, 2 or 4 aligned bytes, 4-byte halves for 8 aligned bytes, bytes
 * otherwise. The caller has bounds-checked [off, off + len) in @bar.
 */
int vpci_config_rw(const struct virtio_pci *vp, unsigned int bar, uint64_t off, void *buf,
		   uint32_t len, bool write);

/*
 * Walk the capability list into @caps: the first instance of each virtio
 * structure on a usable memory BAR, and the MSI-X capability. Returns 0
 * (also when nothing was found) or the accessor's error.
 */
int vpci_caps_find(const struct virtio_pci *vp, struct vpci_caps *caps);

/*
 * Check each structure found against its BAR and its minimum size.
 * Returns 0, or -EINVAL with one sentence in @why.
 */
int vpci_caps_check(const struct virtio_pci *vp, const struct vpci_caps *caps, char *why,
		    size_t why_len);

const char *vpci_region_name(enum vpci_region_type type);

/* Whether MSI-X is enabled in the function's configuration space now. */
int vpci_msix_enabled(const struct virtio_pci *vp, bool *enabled);

/* Set up each interface's state after create chose it; fill vp->ops. */
int vpci_modern_init(struct virtio_pci *vp, char *why, size_t why_len);
void vpci_legacy_init(struct virtio_pci *vp);

extern const struct virtio_transport_ops vpci_modern_ops;
extern const struct virtio_transport_ops vpci_legacy_ops;

#endif /* VPMD_PCI_INTERNAL_H */
