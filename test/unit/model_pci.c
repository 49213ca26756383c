/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The model of a virtio-net PCI function (see model_pci.h). Registers
 * check the width of every access and count what a driver must not do
 * (bad_accesses), so the tests can assert a clean bring-up.
 */
#include <errno.h>
#include <string.h>

#include <vpmd/virtio_spec.h>

#include "model_pci.h"

/* Common configuration registers (4.1.4.3). */
enum {
	C_DFSELECT = 0x00, C_DF = 0x04, C_GFSELECT = 0x08, C_GF = 0x0c, C_MSIX = 0x10,
	C_NUMQ = 0x12, C_STATUS = 0x14, C_CFGGEN = 0x15, C_QSELECT = 0x16, C_QSIZE = 0x18,
	C_QMSIX = 0x1a, C_QENABLE = 0x1c, C_QNOFF = 0x1e, C_QDESC = 0x20, C_QDRIVER = 0x28,
	C_QDEVICE = 0x30, C_END = 0x38,
};

/* Legacy registers (4.1.4.8). */
enum {
	L_HOSTF = 0, L_GUESTF = 4, L_PFN = 8, L_QSIZE = 12, L_QSELECT = 14, L_NOTIFY = 16,
	L_STATUS = 18, L_ISR = 19, L_CFG = 20, L_CFG_MSIX = 24,
};

static void put8(uint8_t *p, uint8_t v)
{
	p[0] = v;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void add_cap(struct model_pci *m, uint8_t id, uint8_t type, uint8_t bar, uint32_t off,
		    uint32_t len, uint32_t mult)
{
	m->caps[m->n_caps++] = (struct model_pci_cap){
		.id = id, .cfg_type = type, .bar = bar, .offset = off, .length = len, .mult = mult,
	};
}

static void device_reset(struct model_pci *m)
{
	unsigned int i;

	m->status = 0;
	m->driver_features = 0;
	m->dfselect = m->gfselect = 0;
	m->queue_select = 0;
	m->msix_config = VIRTIO_MSI_NO_VECTOR;
	for (i = 0; i < MODEL_PCI_QUEUES; i++) {
		struct model_pci_queue *q = &m->q[i];

		q->size = q->max;
		q->enable = 0;
		q->msix = VIRTIO_MSI_NO_VECTOR;
		q->desc = q->driver = q->device = 0;
		q->pfn = 0;
	}
}

void model_pci_init(struct model_pci *m, enum model_pci_kind kind)
{
	struct virtio_net_config *nc;
	unsigned int i;

	memset(m, 0, sizeof(*m));
	m->vendor_id = VIRTIO_PCI_VENDOR_ID;
	m->device_id = kind == MODEL_PCI_MODERN_ONLY ? VIRTIO_PCI_DEVICE_ID_NET_MODERN
						     : VIRTIO_PCI_DEVICE_ID_NET_TRANSITIONAL;
	if (kind != MODEL_PCI_LEGACY_ONLY) {
		/* QEMU lists MSI-X first, then the vendor capabilities. */
		add_cap(m, 0x11, 0, 0, 0, 0, 0);
		add_cap(m, 0x09, VIRTIO_PCI_CAP_COMMON_CFG, MODEL_MODERN_BAR, MODEL_COMMON_OFF,
			MODEL_REGION_LEN, 0);
		add_cap(m, 0x09, VIRTIO_PCI_CAP_ISR_CFG, MODEL_MODERN_BAR, MODEL_ISR_OFF,
			MODEL_REGION_LEN, 0);
		add_cap(m, 0x09, VIRTIO_PCI_CAP_DEVICE_CFG, MODEL_MODERN_BAR, MODEL_DEVICE_OFF,
			MODEL_REGION_LEN, 0);
		add_cap(m, 0x09, VIRTIO_PCI_CAP_NOTIFY_CFG, MODEL_MODERN_BAR, MODEL_NOTIFY_OFF,
			MODEL_REGION_LEN, MODEL_NOTIFY_MULT);
		m->bar_len[MODEL_MODERN_BAR] = MODEL_MODERN_BAR_LEN;
		m->bar_len[1] = 0x1000; /* the MSI-X table */
	}
	if (kind != MODEL_PCI_MODERN_ONLY) {
		m->bar_len[0] = MODEL_LEGACY_BAR_LEN;
		m->bar_io[0] = true;
	}

	m->features = VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_STATUS) |
		      VIRTIO_BIT(VIRTIO_NET_F_MTU) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF);
	if (kind != MODEL_PCI_LEGACY_ONLY)
		m->features |= VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	m->num_queues = 3;
	for (i = 0; i < MODEL_PCI_QUEUES; i++) {
		m->q[i].max = i < m->num_queues ? 256 : 0;
		m->q[i].notify_off = (uint16_t)i;
	}
	device_reset(m);

	nc = (struct virtio_net_config *)(void *)m->devcfg;
	memcpy(nc->mac, (uint8_t[]){ 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 }, 6);
	nc->status = VIRTIO_NET_S_LINK_UP;
	nc->max_virtqueue_pairs = 1;
	nc->mtu = 1500;
	model_pci_build(m);
}

void model_pci_build(struct model_pci *m)
{
	unsigned int i;
	uint8_t *c;

	memset(m->cfg, 0, sizeof(m->cfg));
	put16(&m->cfg[0x00], m->vendor_id);
	put16(&m->cfg[0x02], m->device_id);
	m->msix_pos = 0;
	if (m->n_caps == 0)
		return;
	put16(&m->cfg[0x06], 0x10); /* capabilities list */
	put8(&m->cfg[0x34], MODEL_CAP_BASE);
	for (i = 0; i < m->n_caps; i++) {
		const struct model_pci_cap *cap = &m->caps[i];
		uint8_t pos = (uint8_t)(MODEL_CAP_BASE + i * MODEL_CAP_STRIDE);
		uint8_t next = (uint8_t)(pos + MODEL_CAP_STRIDE);

		if (i + 1 == m->n_caps)
			next = m->cap_loop ? MODEL_CAP_BASE : 0;
		c = &m->cfg[pos];
		put8(c, cap->id);
		put8(c + 1, next);
		if (cap->id == 0x11) {
			if (m->msix_pos == 0)
				m->msix_pos = pos;
			put16(c + 2, 3); /* table size 4, disabled */
			put32(c + 4, 1); /* table in BAR 1 */
			put32(c + 8, 0x801);
			continue;
		}
		put8(c + 2, cap->cfg_type == VIRTIO_PCI_CAP_NOTIFY_CFG ? 20 : 16);
		put8(c + 3, cap->cfg_type);
		put8(c + 4, cap->bar);
		put32(c + 8, cap->offset);
		put32(c + 12, cap->length);
		if (cap->cfg_type == VIRTIO_PCI_CAP_NOTIFY_CFG)
			put32(c + 16, cap->mult);
	}
}

void model_pci_set_msix(struct model_pci *m, bool enabled)
{
	uint8_t *flags = &m->cfg[m->msix_pos + 2];

	if (m->msix_pos == 0)
		return;
	put16(flags, (uint16_t)((flags[0] | flags[1] << 8) & 0x7fff) | (enabled ? 0x8000 : 0));
}

int model_pci_find_cap(const struct model_pci *m, uint8_t cfg_type)
{
	unsigned int i;

	for (i = 0; i < m->n_caps; i++)
		if (m->caps[i].id == 0x09 && m->caps[i].cfg_type == cfg_type)
			return (int)i;
	return -1;
}

static bool msix_on(const struct model_pci *m)
{
	return m->msix_pos != 0 && (m->cfg[m->msix_pos + 3] & 0x80);
}

static int cfg_read(void *ctx, uint32_t offset, void *buf, uint32_t len)
{
	struct model_pci *m = ctx;

	m->cfg_reads++;
	if ((len != 1 && len != 2 && len != 4) || offset % len || offset + len > sizeof(m->cfg)) {
		m->bad_accesses++;
		return -EINVAL;
	}
	memcpy(buf, &m->cfg[offset], len);
	return 0;
}

static void status_write(struct model_pci *m, uint8_t v)
{
	if (m->n_status < sizeof(m->status_log))
		m->status_log[m->n_status] = v;
	m->n_status++;
	if (v == 0) {
		device_reset(m);
		return;
	}
	if ((v & VIRTIO_STATUS_FEATURES_OK) && m->refuse_features_ok)
		v &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	m->status = v;
}

static uint8_t status_read(const struct model_pci *m)
{
	return m->status | (m->needs_reset ? VIRTIO_STATUS_NEEDS_RESET : 0);
}

static struct model_pci_queue *selected(struct model_pci *m)
{
	return m->queue_select < m->num_queues && m->queue_select < MODEL_PCI_QUEUES
		       ? &m->q[m->queue_select]
		       : NULL;
}

/* Set or get 32 bits of a 64-bit register, @hi selecting the half. */
static void half64(uint64_t *r, bool hi, uint32_t *v, bool write)
{
	unsigned int shift = hi ? 32 : 0;

	if (write)
		*r = (*r & ~((uint64_t)UINT32_MAX << shift)) | (uint64_t)*v << shift;
	else
		*v = (uint32_t)(*r >> shift);
}

static unsigned int common_width(uint32_t reg)
{
	switch (reg) {
	case C_STATUS:
	case C_CFGGEN:
		return 1;
	case C_MSIX:
	case C_NUMQ:
	case C_QSELECT:
	case C_QSIZE:
	case C_QMSIX:
	case C_QENABLE:
	case C_QNOFF:
		return 2;
	default:
		return reg < C_END && reg % 4 == 0 ? 4 : 0;
	}
}

static int common_access(struct model_pci *m, uint32_t reg, uint32_t len, uint32_t *v,
			 bool write)
{
	struct model_pci_queue *q = selected(m);
	uint16_t v16 = (uint16_t)*v;

	if (common_width(reg) != len)
		goto bad;
	switch (reg) {
	case C_DFSELECT:
		if (write)
			m->dfselect = *v;
		else
			*v = m->dfselect;
		return 0;
	case C_DF:
		if (write)
			goto bad;
		*v = m->dfselect < 2 ? (uint32_t)(m->features >> (32 * m->dfselect)) : 0;
		return 0;
	case C_GFSELECT:
		if (write)
			m->gfselect = *v;
		else
			*v = m->gfselect;
		return 0;
	case C_GF:
		if (m->gfselect < 2)
			half64(&m->driver_features, m->gfselect == 1, v, write);
		else if (!write)
			*v = 0;
		return 0;
	case C_MSIX:
		if (write)
			m->msix_config = v16;
		else
			*v = m->msix_config;
		return 0;
	case C_NUMQ:
		if (write)
			goto bad;
		*v = m->num_queues;
		return 0;
	case C_STATUS:
		if (write)
			status_write(m, (uint8_t)*v);
		else
			*v = status_read(m);
		return 0;
	case C_CFGGEN:
		if (write)
			goto bad;
		*v = m->generation;
		return 0;
	case C_QSELECT:
		if (write)
			m->queue_select = v16;
		else
			*v = m->queue_select;
		return 0;
	default:
		break;
	}
	/* Per-queue registers: an absent queue reads 0 and ignores writes. */
	if (q == NULL) {
		if (!write)
			*v = 0;
		return 0;
	}
	switch (reg) {
	case C_QSIZE:
		if (!write) {
			*v = q->size;
		} else {
			if (v16 > q->max || q->enable)
				m->bad_accesses++;
			q->size = v16;
		}
		return 0;
	case C_QMSIX:
		if (write)
			q->msix = v16;
		else
			*v = q->msix;
		return 0;
	case C_QENABLE:
		if (!write) {
			*v = q->enable;
			return 0;
		}
		/* 4.1.4.3.2: "The driver MUST NOT write a 0 to queue_enable." */
		if (v16 != 1)
			goto bad;
		q->enable = m->enable_not_sticky ? 0 : 1;
		return 0;
	case C_QNOFF:
		if (write)
			goto bad;
		*v = q->notify_off;
		return 0;
	case C_QDESC:
	case C_QDESC + 4:
		half64(&q->desc, reg & 4, v, write);
		return 0;
	case C_QDRIVER:
	case C_QDRIVER + 4:
		half64(&q->driver, reg & 4, v, write);
		return 0;
	case C_QDEVICE:
	case C_QDEVICE + 4:
		half64(&q->device, reg & 4, v, write);
		return 0;
	default:
		break;
	}
bad:
	m->bad_accesses++;
	return -EINVAL;
}

static void log_dev_access(struct model_pci *m, uint64_t offset, uint32_t len, bool write)
{
	if (m->n_dev_log < MODEL_PCI_LOG)
		m->dev_log[m->n_dev_log++] = (struct model_pci_access_rec){
			.offset = offset, .len = len, .write = write,
		};
}

static int devcfg_access(struct model_pci *m, uint64_t bar_off, uint64_t cfg_off, uint32_t len,
			 uint32_t *v, bool write)
{
	log_dev_access(m, bar_off, len, write);
	if (cfg_off + len > sizeof(m->devcfg)) {
		if (!write)
			*v = 0;
		return 0;
	}
	if (write)
		memcpy(&m->devcfg[cfg_off], v, len);
	else
		memcpy(v, &m->devcfg[cfg_off], len);
	return 0;
}

static void notify(struct model_pci *m, uint64_t offset, uint16_t value)
{
	m->notifies++;
	m->last_notify_offset = offset;
	m->last_notify_value = value;
	if (value < MODEL_PCI_QUEUES)
		m->q[value].notifies++;
}

static int modern_access(struct model_pci *m, uint64_t off, uint32_t len, uint32_t *v,
			 bool write)
{
	if (off < MODEL_COMMON_OFF + MODEL_REGION_LEN)
		return common_access(m, (uint32_t)(off - MODEL_COMMON_OFF), len, v, write);
	if (off >= MODEL_ISR_OFF && off < MODEL_ISR_OFF + MODEL_REGION_LEN) {
		if (write || len != 1)
			goto bad;
		*v = m->isr;
		m->isr = 0; /* 4.1.4.5: read clears */
		return 0;
	}
	if (off >= MODEL_DEVICE_OFF && off < MODEL_DEVICE_OFF + MODEL_REGION_LEN)
		return devcfg_access(m, off, off - MODEL_DEVICE_OFF, len, v, write);
	if (off >= MODEL_NOTIFY_OFF && off < MODEL_NOTIFY_OFF + MODEL_REGION_LEN) {
		if (!write || len != 2)
			goto bad;
		notify(m, off, (uint16_t)*v);
		return 0;
	}
bad:
	m->bad_accesses++;
	return -EINVAL;
}

static int legacy_access(struct model_pci *m, uint64_t off, uint32_t len, uint32_t *v,
			 bool write)
{
	struct model_pci_queue *q = selected(m);
	uint64_t cfg = msix_on(m) ? L_CFG_MSIX : L_CFG;

	if (off >= cfg)
		return devcfg_access(m, off, off - cfg, len, v, write);
	if (msix_on(m) && off >= L_CFG) {
		/* config and queue vectors; we keep only the config one */
		if (len != 2)
			goto bad;
		if (write)
			m->cfg_vector = (uint16_t)*v;
		else
			*v = m->cfg_vector;
		return 0;
	}
	switch (off) {
	case L_HOSTF:
		if (write || len != 4)
			goto bad;
		*v = (uint32_t)m->features;
		return 0;
	case L_GUESTF:
		if (len != 4)
			goto bad;
		half64(&m->driver_features, false, v, write);
		return 0;
	case L_PFN:
		if (len != 4)
			goto bad;
		if (q == NULL) {
			if (!write)
				*v = 0;
		} else if (write) {
			q->pfn = *v;
		} else {
			*v = q->pfn;
		}
		return 0;
	case L_QSIZE:
		if (write || len != 2)
			goto bad;
		*v = q != NULL ? q->max : 0;
		return 0;
	case L_QSELECT:
		if (len != 2)
			goto bad;
		if (write)
			m->queue_select = (uint16_t)*v;
		else
			*v = m->queue_select;
		return 0;
	case L_NOTIFY:
		if (!write || len != 2)
			goto bad;
		notify(m, off, (uint16_t)*v);
		return 0;
	case L_STATUS:
		if (len != 1)
			goto bad;
		if (write)
			status_write(m, (uint8_t)*v);
		else
			*v = status_read(m);
		return 0;
	case L_ISR:
		if (write || len != 1)
			goto bad;
		*v = m->isr;
		m->isr = 0;
		return 0;
	default:
		break;
	}
bad:
	m->bad_accesses++;
	return -EINVAL;
}

static int bar_access(struct model_pci *m, unsigned int bar, uint64_t off, void *buf,
		      uint32_t len, bool write)
{
	uint32_t v = 0;
	int rc;

	if (bar >= VIRTIO_PCI_BARS || (len != 1 && len != 2 && len != 4) || off % len ||
	    off + len > m->bar_len[bar]) {
		m->bad_accesses++;
		return -EINVAL;
	}
	if (write)
		memcpy(&v, buf, len);
	if (bar == 0 && m->bar_io[0])
		rc = legacy_access(m, off, len, &v, write);
	else if (bar == MODEL_MODERN_BAR)
		rc = modern_access(m, off, len, &v, write);
	else
		rc = (m->bad_accesses++, -EINVAL);
	if (rc == 0 && !write)
		memcpy(buf, &v, len);
	return rc;
}

static int bar_read(void *ctx, unsigned int bar, uint64_t offset, void *buf, uint32_t len)
{
	return bar_access(ctx, bar, offset, buf, len, false);
}

static int bar_write(void *ctx, unsigned int bar, uint64_t offset, const void *buf, uint32_t len)
{
	return bar_access(ctx, bar, offset, (void *)(uintptr_t)buf, len, true);
}

void model_pci_access(struct model_pci *m, struct virtio_pci_access *a)
{
	memset(a, 0, sizeof(*a));
	a->ctx = m;
	a->cfg_read = cfg_read;
	a->bar_read = bar_read;
	a->bar_write = bar_write;
	memcpy(a->bar_len, m->bar_len, sizeof(a->bar_len));
	memcpy(a->bar_is_io, m->bar_io, sizeof(a->bar_is_io));
}
