/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio over PCI (virtio 1.2, 4.1): the transport of a virtio NIC in a
 * virtual machine, exposed as a virtio transport ops table.
 *
 * Two register interfaces, as in Linux (virtio_pci_modern_dev.c and
 * virtio_pci_legacy_dev.c) and DPDK (modern and legacy ops behind one
 * struct):
 *   - modern (virtio 1.x, 4.1.4): vendor capabilities in the PCI
 *     capability list locate the common configuration, the notification
 *     area (with its offset multiplier), the ISR status and the
 *     device-specific configuration, each inside a BAR. Every capability
 *     is bounds-checked against its BAR before it is used;
 *   - legacy (4.1.4.8): fixed registers at the start of the I/O-port
 *     BAR 0, device configuration after them (at 20, or 24 while MSI-X is
 *     enabled).
 * A transitional device (both interfaces) is driven as modern; a device
 * with only the legacy interface is driven as legacy (32 feature bits, no
 * FEATURES_OK, split rings only, queue size fixed by the device, rings
 * laid out with VRING_LEGACY_ALIGN and given as a page frame number).
 *
 * No DPDK types: the transport sees the function through struct
 * virtio_pci_access, which the PMD fills from DPDK's PCI bus and the unit
 * tests from a model of a PCI function.
 *
 * Errors: every function returns 0 or a negative errno. -ENODEV: not a
 * virtio function, or neither interface usable; -EINVAL: a capability
 * outside its BAR, a queue size the device cannot take, a ring the device
 * cannot address; -EIO: a register that does not read back what was
 * written (a queue that will not enable, a status refused). The reason
 * for a failed create or queue setup is a sentence in virtio_pci_error(),
 * for the caller to log once.
 *
 * Threading: control path only (callers serialise), except the notify op,
 * which only writes the queue's notification register and may run on the
 * datapath thread while no control call changes that queue.
 */
#ifndef VPMD_VIRTIO_PCI_H
#define VPMD_VIRTIO_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio_dev.h"

#define VIRTIO_PCI_VENDOR_ID 0x1af4
/* Network device: transitional/legacy id (4.1.2.3) and modern id (0x1040 + 1). */
#define VIRTIO_PCI_DEVICE_ID_NET_TRANSITIONAL 0x1000
#define VIRTIO_PCI_DEVICE_ID_NET_MODERN 0x1041
/* 4.1.2.1: every virtio function has a device id in this range... */
#define VIRTIO_PCI_DEVICE_ID_MIN 0x1000
#define VIRTIO_PCI_DEVICE_ID_MAX 0x107f
/* ...and 4.1.2.3: a transitional one (with the legacy interface) in this one. */
#define VIRTIO_PCI_DEVICE_ID_TRANSITIONAL_MAX 0x103f

#define VIRTIO_PCI_BARS 6

/* Vendor capability types (4.1.4). */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG 5

/* ISR status bits (4.1.4.5). */
#define VIRTIO_PCI_ISR_QUEUE 0x1
#define VIRTIO_PCI_ISR_CONFIG 0x2

/* MSI-X vector "none" (4.1.4.3): a poll-mode driver uses no vectors. */
#define VIRTIO_MSI_NO_VECTOR 0xffff

/*
 * How the transport reaches one PCI function. The caller fills it and
 * keeps it alive as long as the transport. Accessors return 0 or a
 * negative errno; device registers are little-endian and the accessors
 * move them as they are (the transport converts).
 */
struct virtio_pci_access {
	void *ctx; /* passed to every accessor */
	/* Read @len bytes (1, 2 or 4, naturally aligned) of PCI configuration space. */
	int (*cfg_read)(void *ctx, uint32_t offset, void *buf, uint32_t len);
	/*
	 * Read or write @len bytes (1, 2 or 4, naturally aligned) at @offset
	 * in BAR @bar, as one access of that width (device registers have
	 * side effects: never split, merge or repeat an access).
	 */
	int (*bar_read)(void *ctx, unsigned int bar, uint64_t offset, void *buf, uint32_t len);
	int (*bar_write)(void *ctx, unsigned int bar, uint64_t offset, const void *buf,
			 uint32_t len);
	/* Bytes of each BAR the accessors can reach; 0 for a BAR absent or not mapped. */
	uint64_t bar_len[VIRTIO_PCI_BARS];
	/* True for an I/O-port BAR (legacy registers live in BAR 0, an I/O BAR). */
	bool bar_is_io[VIRTIO_PCI_BARS];
};

enum virtio_pci_mode {
	VIRTIO_PCI_MODE_MODERN,
	VIRTIO_PCI_MODE_LEGACY,
};

struct virtio_pci_options {
	/* Drive a transitional device through its legacy interface (for tests). */
	bool force_legacy;
};

struct virtio_pci;

/**
 * Look at the function through @access (copied): vendor and device id,
 * the capability list, the BARs. Does not touch the device's state.
 * @opts may be NULL. On failure @why (if not NULL) holds one sentence of
 * @why_len bytes at most saying what was wrong, e.g. "notify capability:
 * offset 0x3000 + 0x1000 bytes is past BAR 4 (0x4000 bytes)".
 * Returns 0 and the transport in @out; -ENODEV, -EINVAL, -ENOMEM, or the
 * accessor's error.
 */
int virtio_pci_create(const struct virtio_pci_access *access,
		      const struct virtio_pci_options *opts, struct virtio_pci **out, char *why,
		      size_t why_len);

/** Free the transport (does not reset the device). NULL is fine. */
void virtio_pci_destroy(struct virtio_pci *vp);

enum virtio_pci_mode virtio_pci_mode(const struct virtio_pci *vp);

/**
 * The ops table for this function's interface: pass to virtio_dev_init()
 * with @vp as transport and modern = (mode == VIRTIO_PCI_MODE_MODERN).
 * Owned by @vp. read_config/write_config are NULL on a modern device
 * without a device configuration capability; config_generation is NULL
 * on legacy. Modern teardown_queue cannot stop a queue (no RING_RESET):
 * it only forgets the queue's notify address; reset the device before
 * freeing ring memory.
 */
const struct virtio_transport_ops *virtio_pci_ops(const struct virtio_pci *vp);

/**
 * The last error of a failed op, one sentence (never NULL; "" if none).
 * Ops that fail set it; the caller logs it once.
 */
const char *virtio_pci_error(const struct virtio_pci *vp);

/**
 * Read (and so acknowledge) the ISR status byte: VIRTIO_PCI_ISR_QUEUE,
 * VIRTIO_PCI_ISR_CONFIG. A driver without interrupts polls it to learn of
 * configuration changes. Returns the byte (>= 0) or a negative errno.
 */
int virtio_pci_isr_read(struct virtio_pci *vp);

/**
 * The configuration generation (modern; 4.1.4.3): it changes when the
 * device changes its configuration. Legacy devices have none: 0.
 * The ops table offers the same as its config_generation op (modern only).
 */
int virtio_pci_config_generation(struct virtio_pci *vp, uint8_t *generation);

/**
 * Number of queues the device has: num_queues of the common configuration
 * (modern), 0 for legacy (which has no such register: probe with the
 * core's virtio_dev_queue_max() until it answers 0).
 */
uint16_t virtio_pci_num_queues(const struct virtio_pci *vp);

#endif /* VPMD_VIRTIO_PCI_H */
