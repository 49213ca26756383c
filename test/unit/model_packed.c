/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device side of a packed virtqueue for the unit tests. See model_packed.h.
 *
 * Written from the virtio 1.2 text (2.8), not from lib/: sharing code with
 * the driver would let one misreading of the spec pass its own test.
 */
#include "model_packed.h"

#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void model_fail(struct model_packed *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void model_fail(struct model_packed *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
}

static void *dev_ptr(uint64_t dev_addr)
{
	/* Tests give the device the process's own addresses. */
	return (void *)(uintptr_t)dev_addr;
}

int model_packed_init(struct model_packed *m, const struct vq_ring_addrs *addrs, uint16_t size,
		      uint64_t features)
{
	memset(m, 0, sizeof(*m));
	m->desc = dev_ptr(addrs->desc_dev);
	m->driver_event = dev_ptr(addrs->driver_area_dev);
	m->device_event = dev_ptr(addrs->device_area_dev);
	m->size = size;
	m->features = features;
	m->held = calloc(size ? size : 1, sizeof(*m->held));
	if (m->held == NULL)
		return -ENOMEM;
	model_packed_reset(m);
	return 0;
}

void model_packed_fini(struct model_packed *m)
{
	free(m->held);
	m->held = NULL;
}

void model_packed_reset(struct model_packed *m)
{
	/* 2.8.1: both wrap counters start at 1, positions at slot 0. */
	m->avail_idx = 0;
	m->avail_wrap = true;
	m->used_idx = 0;
	m->used_wrap = true;
	m->avail_count = 0;
	m->used_count = 0;
	m->signalled_count = 0;
	memset(m->held, 0, (size_t)(m->size ? m->size : 1) * sizeof(*m->held));
	m->nheld = 0;
	m->chains_popped = 0;
	m->used_written = 0;
	m->err[0] = '\0';
}

void model_packed_position(uint16_t size, uint64_t count, uint16_t *idx, bool *wrap)
{
	*idx = (uint16_t)(count % size);
	*wrap = ((count / size) & 1) == 0;
}

static uint16_t load_flags(const struct vring_packed_desc *d, int order)
{
	return le16toh(__atomic_load_n(&d->flags, order));
}

/*
 * 2.8.1: a descriptor is available when its AVAIL bit equals the wrap
 * counter the reader expects at that slot and its USED bit does not.
 */
static bool is_avail(uint16_t flags, bool wrap)
{
	bool avail = (flags & VRING_PACKED_DESC_F_AVAIL) != 0;
	bool used = (flags & VRING_PACKED_DESC_F_USED) != 0;

	return avail == wrap && used != wrap;
}

bool model_packed_avail_ready(const struct model_packed *m)
{
	return is_avail(load_flags(&m->desc[m->avail_idx], __ATOMIC_ACQUIRE), m->avail_wrap);
}

static int add_buf(struct model_packed *m, struct model_packed_chain *c, uint64_t addr,
		   uint32_t len, bool write)
{
	if (c->nbufs == MODEL_PACKED_MAX_BUFS) {
		model_fail(m, "chain longer than the model's %d buffers", MODEL_PACKED_MAX_BUFS);
		return -EPROTO;
	}
	/* 2.8.6 (and 2.7.4): device-writable buffers follow the readable ones. */
	if (!write && c->n_in > 0) {
		model_fail(m, "readable buffer %u after a writable one", c->nbufs);
		return -EPROTO;
	}
	c->bufs[c->nbufs].addr = addr;
	c->bufs[c->nbufs].len = len;
	c->bufs[c->nbufs].write = write;
	c->nbufs++;
	if (write) {
		c->n_in++;
		c->writable += len;
	} else {
		c->n_out++;
		c->readable += len;
	}
	return 0;
}

static int read_indirect(struct model_packed *m, struct model_packed_chain *c, uint64_t addr,
			 uint32_t len)
{
	const struct vring_packed_desc *table = dev_ptr(addr);
	uint32_t i, n;
	int rc;

	if (!(m->features & VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC))) {
		model_fail(m, "INDIRECT descriptor without VIRTIO_RING_F_INDIRECT_DESC");
		return -EPROTO;
	}
	if (len == 0 || len % sizeof(*table) != 0) {
		model_fail(m, "indirect table length %u is not a multiple of 16", len);
		return -EPROTO;
	}
	if (addr % 16 != 0) {
		model_fail(m, "indirect table at 0x%llx is not 16-byte aligned",
			   (unsigned long long)addr);
		return -EPROTO;
	}
	n = len / sizeof(*table);
	c->table_addr = addr;
	c->table_len = len;
	for (i = 0; i < n; i++) {
		uint16_t f = le16toh(table[i].flags);

		/* 2.8.7: the driver MUST NOT set INDIRECT within an indirect table. */
		if (f & VRING_DESC_F_INDIRECT) {
			model_fail(m, "INDIRECT inside indirect table entry %u", i);
			return -EPROTO;
		}
		/* WRITE is the only valid flag there; the rest is ignored. */
		rc = add_buf(m, c, le64toh(table[i].addr), le32toh(table[i].len),
			     (f & VRING_DESC_F_WRITE) != 0);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int model_packed_pop(struct model_packed *m, struct model_packed_chain *c)
{
	uint16_t idx = m->avail_idx;
	bool wrap = m->avail_wrap;
	uint16_t flags, id = 0, first_id = 0;
	uint16_t n = 0;
	int rc;

	memset(c, 0, sizeof(*c));
	/*
	 * 2.8.21.1: the device reads the head's flags before the rest of the
	 * descriptor; the acquire pairs with the driver's release of the
	 * head flags, so the chain's other fields are visible once it is.
	 */
	flags = load_flags(&m->desc[idx], __ATOMIC_ACQUIRE);
	if (!is_avail(flags, wrap))
		return 0;
	c->head = idx;
	c->head_wrap = wrap;
	c->head_flags = flags;

	for (;;) {
		const struct vring_packed_desc *d = &m->desc[idx];

		if (n > 0) {
			/* Tails are written before the head: plain loads suffice. */
			flags = load_flags(d, __ATOMIC_RELAXED);
			if (!is_avail(flags, wrap)) {
				model_fail(m,
					   "chain at slot %u continues into slot %u which is not "
					   "available (flags 0x%04x, wrap %d)",
					   c->head, idx, flags, wrap);
				return -EPROTO;
			}
		}
		if (n == m->size) {
			model_fail(m, "chain at slot %u is longer than the ring", c->head);
			return -EPROTO;
		}
		id = le16toh(d->id);
		if (n == 0)
			first_id = id;
		else if (id != first_id)
			c->ids_differ = true;

		if (flags & VRING_DESC_F_INDIRECT) {
			/* 2.8.7: an indirect descriptor stands alone in the ring. */
			if (n > 0 || (flags & VRING_DESC_F_NEXT)) {
				model_fail(m, "INDIRECT descriptor at slot %u inside a chain", idx);
				return -EPROTO;
			}
			rc = read_indirect(m, c, le64toh(d->addr), le32toh(d->len));
			if (rc < 0)
				return rc;
			c->indirect = true;
		} else {
			rc = add_buf(m, c, le64toh(d->addr), le32toh(d->len),
				     (flags & VRING_DESC_F_WRITE) != 0);
			if (rc < 0)
				return rc;
		}
		n++;
		if (++idx == m->size) {
			idx = 0;
			wrap = !wrap;
		}
		if (!(flags & VRING_DESC_F_NEXT))
			break;
	}

	/* 2.8.6: the buffer id is the one in the chain's last descriptor. */
	if (id >= m->size) {
		model_fail(m, "chain at slot %u has buffer id %u >= size %u", c->head, id, m->size);
		return -EPROTO;
	}
	if (m->held[id]) {
		model_fail(m, "chain at slot %u reuses buffer id %u the device still holds",
			   c->head, id);
		return -EPROTO;
	}
	c->id = id;
	c->ndescs = n;
	m->held[id] = n;
	m->nheld++;
	m->avail_idx = idx;
	m->avail_wrap = wrap;
	m->avail_count += n;
	m->chains_popped++;
	return 1;
}

uint16_t model_packed_used_flags(bool wrap)
{
	/* 2.8.1: a used descriptor has AVAIL == USED == the used wrap counter. */
	return wrap ? (uint16_t)(VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED) : 0;
}

void model_packed_write_desc(struct model_packed *m, uint16_t slot, uint16_t id, uint32_t len,
			     uint16_t flags)
{
	struct vring_packed_desc *d = &m->desc[slot];

	d->id = htole16(id);
	d->len = htole32(len);
	/*
	 * 2.8.21.2: the device writes id and len before the flags that make
	 * the descriptor used; the release orders them for the driver's
	 * acquire of the flags.
	 */
	__atomic_store_n(&d->flags, htole16(flags), __ATOMIC_RELEASE);
}

void model_packed_skip_used(struct model_packed *m, uint16_t ndescs)
{
	m->used_count += ndescs;
	model_packed_position(m->size, m->used_count, &m->used_idx, &m->used_wrap);
}

int model_packed_push(struct model_packed *m, uint16_t id, uint32_t len, uint16_t ndescs)
{
	uint16_t flags = model_packed_used_flags(m->used_wrap);

	if (ndescs == 0 || m->used_count + ndescs > m->avail_count) {
		model_fail(m, "push of %u slots, but only %llu read and not given back", ndescs,
			   (unsigned long long)(m->avail_count - m->used_count));
		return -ERANGE;
	}
	/* DPDK's vhost does the same: WRITE tells the driver that len means something. */
	if (len != 0)
		flags |= VRING_DESC_F_WRITE;
	model_packed_write_desc(m, m->used_idx, id, len, flags);
	if (id < m->size && m->held[id]) {
		m->held[id] = 0;
		m->nheld--;
	}
	m->used_written++;
	model_packed_skip_used(m, ndescs);
	return 0;
}

int model_packed_push_batch(struct model_packed *m, const uint16_t *ids, unsigned int n,
			    uint32_t len)
{
	uint32_t slots = 0;
	unsigned int i;

	if (n == 0)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (ids[i] >= m->size || !m->held[ids[i]]) {
			model_fail(m, "batch names id %u which the device does not hold", ids[i]);
			return -EINVAL;
		}
		slots += m->held[ids[i]];
	}
	if (slots > UINT16_MAX)
		return -ERANGE;
	/* The earlier chains are given back by the one descriptor of the last. */
	for (i = 0; i + 1 < n; i++) {
		m->held[ids[i]] = 0;
		m->nheld--;
	}
	return model_packed_push(m, ids[n - 1], len, (uint16_t)slots);
}

uint16_t model_packed_off_wrap(uint16_t off, bool wrap)
{
	return (uint16_t)(off | (wrap ? 1u << VRING_PACKED_EVENT_WRAP_SHIFT : 0));
}

void model_packed_set_device_event(struct model_packed *m, uint16_t flags, uint16_t off_wrap)
{
	m->device_event->off_wrap = htole16(off_wrap);
	/*
	 * The offset must be visible no later than the DESC flag that makes
	 * the driver read it; a release store of the flags orders the two.
	 */
	__atomic_store_n(&m->device_event->flags, htole16(flags), __ATOMIC_RELEASE);
}

bool model_packed_event_in_range(uint16_t size, uint16_t off_wrap, uint64_t from, uint64_t to)
{
	uint16_t off = off_wrap & (uint16_t) ~(1u << VRING_PACKED_EVENT_WRAP_SHIFT);
	bool wrap = (off_wrap >> VRING_PACKED_EVENT_WRAP_SHIFT) != 0;
	uint64_t period = 2 * (uint64_t)size;
	uint64_t x;

	if (size == 0 || off >= size || from >= to)
		return false;
	/* Slot counts whose slot is @off and whose lap has wrap counter @wrap. */
	x = (wrap ? 0 : size) + (uint64_t)off;
	if (x < from)
		x += (from - x + period - 1) / period * period;
	return x < to;
}

int model_packed_need_interrupt(struct model_packed *m)
{
	uint16_t flags, off_wrap;
	uint64_t from = m->signalled_count;
	int rc;

	/*
	 * 2.8.21.3 (and Linux's virtqueue_enable_cb_delayed): the device
	 * must see the driver's event suppression after its used
	 * descriptors are visible, or it may miss a just-enabled event. A
	 * full fence, because this orders a store before a load.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	flags = le16toh(__atomic_load_n(&m->driver_event->flags, __ATOMIC_ACQUIRE));
	off_wrap = le16toh(m->driver_event->off_wrap);
	m->signalled_count = m->used_count;

	switch (flags) {
	case VRING_PACKED_EVENT_FLAG_ENABLE:
		rc = 1;
		break;
	case VRING_PACKED_EVENT_FLAG_DISABLE:
		rc = 0;
		break;
	case VRING_PACKED_EVENT_FLAG_DESC:
		if (!(m->features & VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX))) {
			model_fail(m, "driver event DESC without VIRTIO_RING_F_EVENT_IDX");
			return -EPROTO;
		}
		rc = model_packed_event_in_range(m->size, off_wrap, from, m->used_count);
		break;
	default:
		model_fail(m, "driver event flags 0x%x are reserved", flags);
		return -EPROTO;
	}
	return rc;
}
