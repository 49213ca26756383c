/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A model of a virtio-net PCI function, for the virtio-pci transport's
 * unit tests: PCI configuration space with a capability list the test can
 * shape, BARs, and the register semantics of the modern common
 * configuration, notification area, ISR and device configuration, and of
 * the legacy I/O register block. Knobs make it misbehave.
 *
 * The real layout of the modern BAR is fixed (QEMU's): common 0x0000,
 * ISR 0x1000, device configuration 0x2000, notify 0x3000, BAR 4 of 0x4000
 * bytes. The capabilities only say where it is, and may lie.
 *
 * Little-endian host assumed (the tests run on x86 and arm64).
 */
#ifndef VPMD_TEST_MODEL_PCI_H
#define VPMD_TEST_MODEL_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include <vpmd/virtio_pci.h>

#define MODEL_PCI_QUEUES 4
#define MODEL_PCI_MAX_CAPS 8
#define MODEL_PCI_LOG 32

#define MODEL_MODERN_BAR 4
#define MODEL_COMMON_OFF 0x0000u
#define MODEL_ISR_OFF 0x1000u
#define MODEL_DEVICE_OFF 0x2000u
#define MODEL_NOTIFY_OFF 0x3000u
#define MODEL_REGION_LEN 0x1000u
#define MODEL_MODERN_BAR_LEN 0x4000u
#define MODEL_NOTIFY_MULT 4u
#define MODEL_LEGACY_BAR_LEN 0x40u
#define MODEL_CAP_BASE 0x40u
#define MODEL_CAP_STRIDE 0x14u

enum model_pci_kind {
	MODEL_PCI_TRANSITIONAL, /* 0x1000, modern capabilities and legacy I/O BAR 0 */
	MODEL_PCI_MODERN_ONLY,  /* 0x1041, capabilities only */
	MODEL_PCI_LEGACY_ONLY,  /* 0x1000, I/O BAR 0 only, no capabilities */
};

/* One capability of the list, in list order. */
struct model_pci_cap {
	uint8_t id; /* 0x09 vendor, 0x11 MSI-X */
	uint8_t cfg_type;
	uint8_t bar;
	uint32_t offset;
	uint32_t length;
	uint32_t mult; /* notify only */
};

struct model_pci_queue {
	uint16_t max;  /* what queue_size reads after reset */
	uint16_t size; /* what the driver wrote (modern) */
	uint16_t enable;
	uint16_t notify_off;
	uint16_t msix;
	uint64_t desc, driver, device;
	uint32_t pfn; /* legacy */
	unsigned int notifies;
};

/* One access to the device configuration, as the driver made it. */
struct model_pci_access_rec {
	uint64_t offset; /* in the BAR */
	uint32_t len;
	bool write;
};

struct model_pci {
	/* Identity and the capability list; model_pci_build() lays them out. */
	uint16_t vendor_id, device_id;
	struct model_pci_cap caps[MODEL_PCI_MAX_CAPS];
	unsigned int n_caps;
	bool cap_loop; /* the last capability points back at the first */
	uint8_t cfg[256];
	uint8_t msix_pos;
	uint64_t bar_len[VIRTIO_PCI_BARS];
	bool bar_io[VIRTIO_PCI_BARS];

	/* Device state. */
	uint8_t status;
	uint64_t features;        /* offered */
	uint64_t driver_features; /* written */
	uint32_t dfselect, gfselect;
	uint16_t msix_config, num_queues, queue_select;
	uint16_t cfg_vector; /* legacy with MSI-X */
	uint8_t generation;
	uint8_t isr;
	struct model_pci_queue q[MODEL_PCI_QUEUES];
	uint8_t devcfg[64];

	/* Knobs. */
	bool refuse_features_ok; /* clears FEATURES_OK when written */
	bool needs_reset;        /* status reads with NEEDS_RESET */
	bool enable_not_sticky;  /* queue_enable stays 0 */

	/* What the driver did. */
	uint8_t status_log[16];
	unsigned int n_status;
	unsigned int notifies;
	uint16_t last_notify_value;
	uint64_t last_notify_offset; /* in the BAR */
	unsigned int bad_accesses;   /* wrong width, read-only written, outside a region */
	unsigned int cfg_reads;      /* PCI configuration space reads */
	struct model_pci_access_rec dev_log[MODEL_PCI_LOG];
	unsigned int n_dev_log;
};

/* A device of @kind with three queues of 256, a MAC, link up, MTU 1500. */
void model_pci_init(struct model_pci *m, enum model_pci_kind kind);

/* Lay out configuration space from the ids and caps[] (call after changing them). */
void model_pci_build(struct model_pci *m);

/* Turn MSI-X enable on or off in configuration space (needs an MSI-X cap). */
void model_pci_set_msix(struct model_pci *m, bool enabled);

/* Index in caps[] of the first vendor capability of @cfg_type, or -1. */
int model_pci_find_cap(const struct model_pci *m, uint8_t cfg_type);

/* Fill @a with the model's accessors and BARs. */
void model_pci_access(struct model_pci *m, struct virtio_pci_access *a);

#endif /* VPMD_TEST_MODEL_PCI_H */
