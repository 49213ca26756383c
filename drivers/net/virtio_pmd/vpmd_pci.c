/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The PCI bus of net_vpmd: a virtio-net PCI function (vendor 0x1af4,
 * device 0x1000 transitional/legacy, 0x1041 modern), its probe and
 * remove, and the vpmd_bus_ops that reach it.
 *
 * The transport logic (capabilities, modern and legacy registers) is
 * lib/virtio_pci, which knows no DPDK: this file only fills its access
 * interface from DPDK's PCI bus (configuration space reads, the mapped
 * memory BARs, the I/O-port BAR of a legacy device).
 *
 * A PCI device does DMA: descriptors carry IOVAs (vpmd_mbuf_dev_addr()),
 * rings live in IOVA-contiguous memzones, and the device is reset before
 * the buffers on its rings are freed (it has no per-queue stop). Without
 * interrupts, the link monitor polls the device: the link STATUS in its
 * configuration space (a change raises an LSC event) and NEEDS_RESET in
 * its status (the device is reset and brought up again, counted in
 * reconnects).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <bus_pci_driver.h>
#include <ethdev_driver.h>
#include <ethdev_pci.h>
#include <rte_ether.h>
#include <rte_io.h>
#include <rte_malloc.h>

#include <vpmd/virtio_net_config.h>
#include <vpmd/virtio_pci.h>
#include <vpmd/virtio_spec.h>

#include "vpmd.h"
#include "vpmd_logs.h"
#include "vpmd_secondary.h"

/* PCI configuration space: the BAR registers, and their I/O-space bit. */
#define PCI_BAR0_OFFSET 0x10
#define PCI_BAR_IO_SPACE 0x1

struct vpmd_pci {
	struct rte_pci_device *pci_dev;
	struct virtio_pci_access access;
	struct rte_pci_ioport ioport; /* BAR 0 of a legacy device */
	bool ioport_mapped;
	struct virtio_pci *vp;
	uint16_t max_pairs; /* the device's queue pairs (max_virtqueue_pairs, or 1) */
};

static int cfg_read(void *ctx, uint32_t offset, void *buf, uint32_t len)
{
	struct vpmd_pci *p = ctx;
	int n = rte_pci_read_config(p->pci_dev, buf, len, offset);

	return n == (int)len ? 0 : -EIO;
}

static int bar_read(void *ctx, unsigned int bar, uint64_t offset, void *buf, uint32_t len)
{
	struct vpmd_pci *p = ctx;
	const volatile uint8_t *reg;

	if (p->access.bar_is_io[bar]) {
		rte_pci_ioport_read(&p->ioport, buf, len, (off_t)offset);
		return 0;
	}
	reg = (const volatile uint8_t *)p->pci_dev->mem_resource[bar].addr + offset;
	switch (len) {
	case 1:
		*(uint8_t *)buf = rte_read8(reg);
		break;
	case 2:
		*(uint16_t *)buf = rte_read16(reg);
		break;
	case 4:
		*(uint32_t *)buf = rte_read32(reg);
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

static int bar_write(void *ctx, unsigned int bar, uint64_t offset, const void *buf, uint32_t len)
{
	struct vpmd_pci *p = ctx;
	volatile uint8_t *reg;

	if (p->access.bar_is_io[bar]) {
		rte_pci_ioport_write(&p->ioport, buf, len, (off_t)offset);
		return 0;
	}
	reg = (volatile uint8_t *)p->pci_dev->mem_resource[bar].addr + offset;
	/* rte_writeN puts an I/O write barrier before the store (a kick after the ring writes). */
	switch (len) {
	case 1:
		rte_write8(*(const uint8_t *)buf, reg);
		break;
	case 2:
		rte_write16(*(const uint16_t *)buf, reg);
		break;
	case 4:
		rte_write32(*(const uint32_t *)buf, reg);
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

/*
 * Length of I/O BAR @bar from sysfs: DPDK records only memory BARs. A
 * line of /sys/bus/pci/devices/ADDR/resource is "start end flags".
 */
static uint64_t io_bar_len(const struct rte_pci_device *pci_dev, unsigned int bar)
{
	char path[PATH_MAX], line[128];
	uint64_t start, end, flags, len = 0;
	unsigned int i;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", pci_dev->name);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	for (i = 0; i <= bar && fgets(line, sizeof(line), f) != NULL; i++)
		if (i == bar && sscanf(line, "%" SCNx64 " %" SCNx64 " %" SCNx64, &start, &end,
				       &flags) == 3 && end > start)
			len = end - start + 1;
	fclose(f);
	return len;
}

/* The access interface over DPDK's view of the function. */
static int access_fill(struct vpmd_pci *p, const char *name)
{
	struct virtio_pci_access *a = &p->access;
	unsigned int bar;
	uint32_t reg;

	a->ctx = p;
	a->cfg_read = cfg_read;
	a->bar_read = bar_read;
	a->bar_write = bar_write;
	for (bar = 0; bar < VIRTIO_PCI_BARS; bar++) {
		if (cfg_read(p, PCI_BAR0_OFFSET + 4 * bar, &reg, sizeof(reg)) < 0)
			return -EIO;
		if (rte_le_to_cpu_32(reg) & PCI_BAR_IO_SPACE) {
			/* Only BAR 0 of a legacy device is driven through ports. */
			if (bar != 0 || rte_pci_ioport_map(p->pci_dev, (int)bar, &p->ioport) < 0)
				continue;
			p->ioport_mapped = true;
			a->bar_is_io[bar] = true;
			a->bar_len[bar] = io_bar_len(p->pci_dev, bar);
			if (a->bar_len[bar] == 0)
				VPMD_INIT_LOG(WARNING, "%s: I/O BAR 0 of unknown length", name);
		} else if (p->pci_dev->mem_resource[bar].addr != NULL) {
			a->bar_len[bar] = p->pci_dev->mem_resource[bar].len;
		}
	}
	return 0;
}

static void pci_transport_fini(struct vpmd_adapter *ad)
{
	struct vpmd_pci *p = ad->pci;

	if (p == NULL)
		return;
	/* Whatever it was doing, the device lets go of our memory now. */
	if (p->vp != NULL)
		virtio_dev_reset(&ad->vdev);
	virtio_pci_destroy(p->vp);
	if (p->ioport_mapped)
		rte_pci_ioport_unmap(&p->ioport);
	rte_free(p);
	ad->pci = NULL;
}

/*
 * What the device has, read once at probe with the device reset: the
 * queue pairs, the queue sizes, the MAC, the MTU. Devargs that ask more
 * than the device has are cut down to it, with a line saying so.
 */
static int device_learn(struct vpmd_adapter *ad)
{
	struct vpmd_devargs *a = &ad->args;
	struct virtio_net_dev_config cfg;
	uint64_t offered = 0;
	uint16_t max = 0, pairs;
	int rc;

	rc = virtio_dev_reset(&ad->vdev);
	if (rc == 0)
		rc = ad->vdev.ops->get_features(&ad->vdev, &offered);
	if (rc == 0)
		rc = virtio_net_config_read(&ad->vdev, offered, &cfg);
	if (rc < 0) {
		VPMD_INIT_LOG(ERR, "%s: cannot read the device: %s", ad->name, rte_strerror(-rc));
		return rc;
	}
	ad->vdev.offered = offered;
	if (a->packed_vq && !(offered & VIRTIO_BIT(VIRTIO_F_RING_PACKED))) {
		VPMD_INIT_LOG(ERR, "%s: packed_vq=1, but the device offers no packed rings%s",
			      ad->name, ad->vdev.modern ? "" : " (legacy device)");
		return -ENOTSUP;
	}
	ad->pci->max_pairs = RTE_MAX(cfg.max_queue_pairs, 1);
	/* More than one pair is VQ_PAIRS_SET's: it takes the control queue (5.1.6.5.5). */
	pairs = (offered & VIRTIO_BIT(VIRTIO_NET_F_MQ)) && a->ctrl_vq ? ad->pci->max_pairs : 1;
	if (!a->queues_set)
		a->queues = RTE_MIN(pairs, 128);
	else if (a->queues > pairs) {
		VPMD_INIT_LOG(NOTICE, "%s: queues=%u, the device has %u pairs: %u", ad->name,
			      a->queues, pairs, pairs);
		a->queues = pairs;
	}

	rc = virtio_dev_queue_max(&ad->vdev, VPMD_RXQ_INDEX(0), &max);
	if (rc == 0 && max == 0)
		rc = -ENODEV;
	if (rc < 0) {
		VPMD_INIT_LOG(ERR, "%s: the device offers no receive queue: %s", ad->name,
			      virtio_pci_error(ad->pci->vp));
		return rc;
	}
	if (!ad->vdev.modern) {
		/* Legacy: the device's size, or nothing (4.1.4.8). */
		if (max & (max - 1)) {
			VPMD_INIT_LOG(ERR, "%s: legacy queue size %u is not a power of two",
				      ad->name, max);
			return -EINVAL;
		}
		a->queue_size = max;
		if (a->ctrl_vq && virtio_dev_queue_max(&ad->vdev, (uint16_t)(2 * pairs),
						       &ad->ctrl_queue_size) < 0)
			ad->ctrl_queue_size = 0;
	} else if (max < a->queue_size) {
		/* Modern: any size up to the device's; split rings a power of two. */
		a->queue_size = a->packed_vq ? max : (uint16_t)rte_align32prevpow2(max);
	}

	if (cfg.has_mac && !a->mac_set) {
		memcpy(a->mac.addr_bytes, cfg.mac, RTE_ETHER_ADDR_LEN);
		a->mac_set = true;
	}
	if (!a->mac_set)
		rte_eth_random_addr(a->mac.addr_bytes);
	ad->device_mtu = cfg.mtu;
	if (cfg.mtu != 0 && a->mtu > cfg.mtu) {
		VPMD_INIT_LOG(NOTICE, "%s: mtu=%u, the device allows %u: %u", ad->name, a->mtu,
			      cfg.mtu, cfg.mtu);
		a->mtu = cfg.mtu;
	}
	if (cfg.mtu != 0 && a->mtu == 0)
		a->mtu = cfg.mtu;
	if (offered & VIRTIO_BIT(VIRTIO_NET_F_RSS))
		ad->rss_limits = (struct virtio_net_rss_limits){
			.max_key_len = cfg.rss_max_key_size,
			.max_reta_len = cfg.rss_max_reta_len,
			.hash_types = cfg.supported_hash_types,
			.max_queue_pairs = ad->pci->max_pairs,
		};
	return 0;
}

static int pci_transport_init(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	struct rte_pci_device *pci_dev = RTE_ETH_DEV_TO_PCI(dev);
	char why[160] = "";
	struct vpmd_pci *p;
	int rc;

	p = rte_zmalloc("vpmd_pci", sizeof(*p), 0);
	if (p == NULL)
		return -ENOMEM;
	ad->pci = p;
	p->pci_dev = pci_dev;
	rc = access_fill(p, ad->name);
	if (rc < 0)
		goto fail;
	rc = virtio_pci_create(&p->access, NULL, &p->vp, why, sizeof(why));
	if (rc < 0) {
		VPMD_INIT_LOG(ERR, "%s: not a usable virtio-net function: %s", ad->name,
			      why[0] ? why : rte_strerror(-rc));
		goto fail;
	}
	rc = virtio_dev_init(&ad->vdev, virtio_pci_ops(p->vp), p->vp, ad->name,
			     virtio_pci_mode(p->vp) == VIRTIO_PCI_MODE_MODERN);
	if (rc < 0)
		goto fail;
	rc = device_learn(ad);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	pci_transport_fini(ad);
	return rc;
}

/* The device is on the bus: there is nothing to reach first. */
static int pci_attach(struct rte_eth_dev *dev)
{
	(void)dev;
	return 0;
}

static bool pci_present(const struct vpmd_adapter *ad)
{
	return ad->pci != NULL && ad->pci->vp != NULL;
}

/*
 * Asked before negotiation (vpmd_device_up): the pairs the device offers,
 * which MQ (asked for with the control queue) will let the port use.
 */
static uint16_t pci_max_queue_pairs(const struct vpmd_adapter *ad)
{
	return (ad->vdev.offered & VIRTIO_BIT(VIRTIO_NET_F_MQ)) && ad->args.ctrl_vq
		       ? ad->pci->max_pairs
		       : 1;
}

/* 5.1.2: the control queue follows the last transmit queue of the pairs the device has. */
static int pci_ctrl_queue_index(const struct vpmd_adapter *ad)
{
	if (!virtio_dev_has_feature(&ad->vdev, VIRTIO_NET_F_CTRL_VQ))
		return -ENOTSUP;
	return virtio_dev_has_feature(&ad->vdev, VIRTIO_NET_F_MQ) ? 2 * ad->pci->max_pairs : 2;
}

static int pci_check(struct rte_eth_dev *dev, bool *carrier)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	uint8_t status;
	int rc;

	rc = virtio_dev_get_status(&ad->vdev, &status);
	/* A function that reads all ones is gone from the bus. */
	if (rc < 0 || status == 0xff) {
		VPMD_DRV_LOG(ERR, ad->name, "device status unreadable: the device is gone");
		return -ENODEV;
	}
	if (status & VIRTIO_STATUS_NEEDS_RESET) {
		VPMD_DRV_LOG(WARNING, ad->name,
			     "device set NEEDS_RESET (status 0x%02x): resetting it", status);
		return -EIO;
	}
	if (!(status & VIRTIO_STATUS_DRIVER_OK)) {
		VPMD_DRV_LOG(WARNING, ad->name, "device reset itself (status 0x%02x)", status);
		return -EIO;
	}
	rc = vpmd_link_config_read(ad, carrier);
	/* A configuration changing under the read is read again at the next tick. */
	return rc == -EAGAIN ? 0 : rc;
}

static int pci_reattach(struct rte_eth_dev *dev)
{
	return pci_present(vpmd_adapter_of(dev)) ? 0 : -ENODEV;
}

const struct vpmd_bus_ops vpmd_bus_pci = {
	.name = "pci",
	.dev_addr_iova = true,
	.reset_before_drain = true,
	.transport_init = pci_transport_init,
	.transport_fini = pci_transport_fini,
	.attach = pci_attach,
	.present = pci_present,
	.max_queue_pairs = pci_max_queue_pairs,
	.ctrl_queue_index = pci_ctrl_queue_index,
	.check = pci_check,
	.reattach = pci_reattach,
};

static int eth_vpmd_pci_init(struct rte_eth_dev *dev)
{
	struct rte_pci_device *pci_dev = RTE_ETH_DEV_TO_PCI(dev);
	const char *devargs = pci_dev->device.devargs != NULL ? pci_dev->device.devargs->args
							      : NULL;
	struct vpmd_devargs args;
	int rc;

	/* The PCI bus attached the primary's port; read it from here (vpmd_secondary.c). */
	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return vpmd_secondary_init(dev);
	rc = vpmd_devargs_parse(pci_dev->name, devargs, VPMD_DEVARGS_PCI, &args);
	if (rc < 0)
		return rc;
	rc = vpmd_ethdev_init(dev, &vpmd_bus_pci, &args, pci_dev->name);
	if (rc < 0) {
		vpmd_ethdev_uninit(dev);
		return rc;
	}
	VPMD_INIT_LOG(INFO,
		      "%s: virtio-net PCI %04x:%04x, %s interface, %u queue pairs of %u, %s rings",
		      pci_dev->name, pci_dev->id.vendor_id, pci_dev->id.device_id,
		      vpmd_adapter_of(dev)->vdev.modern ? "modern" : "legacy",
		      vpmd_adapter_of(dev)->args.queues, vpmd_adapter_of(dev)->args.queue_size,
		      args.packed_vq ? "packed" : "split");
	return 0;
}

static int vpmd_pci_probe(struct rte_pci_driver *drv, struct rte_pci_device *pci_dev)
{
	(void)drv;
	return rte_eth_dev_pci_generic_probe(pci_dev, sizeof(struct vpmd_adapter),
					     eth_vpmd_pci_init);
}

static int vpmd_pci_remove(struct rte_pci_device *pci_dev)
{
	return rte_eth_dev_pci_generic_remove(pci_dev, vpmd_dev_close);
}

static const struct rte_pci_id vpmd_pci_ids[] = {
	{ RTE_PCI_DEVICE(VIRTIO_PCI_VENDOR_ID, VIRTIO_PCI_DEVICE_ID_NET_TRANSITIONAL) },
	{ RTE_PCI_DEVICE(VIRTIO_PCI_VENDOR_ID, VIRTIO_PCI_DEVICE_ID_NET_MODERN) },
	{ .vendor_id = 0 },
};

static struct rte_pci_driver vpmd_pci_driver = {
	.id_table = vpmd_pci_ids,
	/* Memory BARs mapped; the monitor raises link events (no interrupt needed). */
	.drv_flags = RTE_PCI_DRV_NEED_MAPPING,
	.probe = vpmd_pci_probe,
	.remove = vpmd_pci_remove,
};

RTE_PMD_REGISTER_PCI(net_vpmd, vpmd_pci_driver);
RTE_PMD_REGISTER_PCI_TABLE(net_vpmd, vpmd_pci_ids);
RTE_PMD_REGISTER_KMOD_DEP(net_vpmd, "* igb_uio | uio_pci_generic | vfio-pci");
RTE_PMD_REGISTER_PARAM_STRING(net_vpmd, VPMD_PCI_DEVARGS_LIST);
