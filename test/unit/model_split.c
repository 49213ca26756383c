/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device side of a split virtqueue, for the unit tests. See model_split.h.
 *
 * Section numbers refer to virtio 1.2. The model is strict on purpose:
 * anything the spec says the driver MUST (NOT) do and that the device can
 * observe is checked, so a test fails at the first driver mistake.
 */
#include "model_split.h"

#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *dev_ptr(uint64_t addr)
{
	/* Tests hand the device process pointers as device addresses. */
	return (void *)(uintptr_t)addr;
}

static int fail(struct model_split *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct model_split *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
	return -EPROTO;
}

static bool has(const struct model_split *m, unsigned int bit)
{
	return (m->features & VIRTIO_BIT(bit)) != 0;
}

/* used_event sits right after avail->ring[size] (2.7.6). */
static uint16_t *used_event_ptr(const struct model_split *m)
{
	return &m->avail->ring[m->size];
}

/* avail_event sits right after used->ring[size] (2.7.8). */
static uint16_t *avail_event_ptr(const struct model_split *m)
{
	return (uint16_t *)(void *)&m->used->ring[m->size];
}

int model_split_init(struct model_split *m, const struct virtqueue *vq, uint64_t features)
{
	struct vq_ring_addrs addrs;

	model_split_fini(m);
	vq_ring_addrs(vq, &addrs);
	m->desc = dev_ptr(addrs.desc_dev);
	m->avail = dev_ptr(addrs.driver_area_dev);
	m->used = dev_ptr(addrs.device_area_dev);
	m->size = vq_size(vq);
	m->features = features;
	m->owner = calloc(m->size, sizeof(*m->owner));
	m->in_bytes = calloc(m->size, sizeof(*m->in_bytes));
	m->taken = calloc(m->size, sizeof(*m->taken));
	if (m->owner == NULL || m->in_bytes == NULL || m->taken == NULL) {
		model_split_fini(m);
		return -ENOMEM;
	}
	return 0;
}

void model_split_fini(struct model_split *m)
{
	free(m->owner);
	free(m->in_bytes);
	free(m->taken);
	memset(m, 0, sizeof(*m));
}

uint16_t model_split_avail_idx(const struct model_split *m)
{
	/*
	 * 2.7.13.3: the driver writes the ring entry, then idx, with a
	 * barrier between; the acquire pairs with it so the entries read
	 * after this load are the ones the index covers.
	 */
	return le16toh(__atomic_load_n(&m->avail->idx, __ATOMIC_ACQUIRE));
}

uint16_t model_split_avail_pending(const struct model_split *m)
{
	return (uint16_t)(model_split_avail_idx(m) - m->last_avail);
}

static int add_buf(struct model_split *m, struct model_split_chain *c,
		   const struct vring_desc *d)
{
	uint16_t flags = le16toh(d->flags);
	bool write = (flags & VRING_DESC_F_WRITE) != 0;
	uint32_t len = le32toh(d->len);

	if (c->n_bufs == MODEL_SPLIT_MAX_BUFS) {
		snprintf(m->err, sizeof(m->err), "chain longer than %u buffers",
			 MODEL_SPLIT_MAX_BUFS);
		return -E2BIG;
	}
	/* 2.7.4.2: writable buffers come after all readable ones. */
	if (!write && c->n_in > 0)
		return fail(m, "head %u: readable buffer after a writable one", c->head);
	c->bufs[c->n_bufs].addr = le64toh(d->addr);
	c->bufs[c->n_bufs].len = len;
	c->bufs[c->n_bufs].write = write;
	c->n_bufs++;
	if (write) {
		c->n_in++;
		c->in_bytes += len;
	} else {
		c->n_out++;
		c->out_bytes += len;
	}
	return 0;
}

/* Read the indirect table @d points to (2.7.5.3). */
static int walk_indirect(struct model_split *m, struct model_split_chain *c,
			 const struct vring_desc *d)
{
	const struct vring_desc *table;
	uint32_t n, i, seen;
	int rc;

	if (!has(m, VIRTIO_RING_F_INDIRECT_DESC))
		return fail(m, "head %u: INDIRECT without VIRTIO_RING_F_INDIRECT_DESC", c->head);
	/* 2.7.5.3.1: "MUST NOT set both VIRTQ_DESC_F_INDIRECT and VIRTQ_DESC_F_NEXT". */
	if (le16toh(d->flags) & VRING_DESC_F_NEXT)
		return fail(m, "head %u: INDIRECT with NEXT", c->head);
	c->indirect = true;
	c->indirect_addr = le64toh(d->addr);
	c->indirect_len = le32toh(d->len);
	if (c->indirect_len == 0 || c->indirect_len % sizeof(struct vring_desc) != 0)
		return fail(m, "head %u: indirect table length %u", c->head, c->indirect_len);
	if (c->indirect_addr % 16 != 0)
		return fail(m, "head %u: indirect table not 16-byte aligned", c->head);
	n = c->indirect_len / sizeof(struct vring_desc);
	table = dev_ptr(c->indirect_addr);

	/* 2.7.5.3.2: the table starts at its entry 0; seen bounds loops. */
	for (i = 0, seen = 0;; seen++) {
		const struct vring_desc *e = &table[i];
		uint16_t flags = le16toh(e->flags);

		if (seen == n)
			return fail(m, "head %u: loop in indirect table", c->head);
		if (flags & VRING_DESC_F_INDIRECT)
			return fail(m, "head %u: INDIRECT inside an indirect table", c->head);
		rc = add_buf(m, c, e);
		if (rc < 0)
			return rc;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		i = le16toh(e->next);
		if (i >= n)
			return fail(m, "head %u: indirect next %u beyond table of %u", c->head, i, n);
	}
	return 0;
}

int model_split_pop(struct model_split *m, struct model_split_chain *c)
{
	uint16_t avail_idx = model_split_avail_idx(m);
	uint16_t pending = (uint16_t)(avail_idx - m->last_avail);
	uint16_t head, i;
	uint32_t k;
	int rc;

	if (pending == 0)
		return 0;
	if (pending > m->size)
		return fail(m, "avail idx moved from %u to %u, beyond size %u", m->last_avail,
			    avail_idx, m->size);

	memset(c, 0, offsetof(struct model_split_chain, bufs));
	head = le16toh(m->avail->ring[m->last_avail & (m->size - 1)]);
	c->head = head;
	c->avail_idx = m->last_avail;
	if (head >= m->size)
		return fail(m, "avail entry %u: head %u >= size %u", m->last_avail, head, m->size);

	for (i = head;;) {
		const struct vring_desc *d = &m->desc[i];
		uint16_t flags = le16toh(d->flags);

		/* 2.7.5.1: a chain is never longer than the queue size, so this bounds loops. */
		if (c->n_descs == m->size)
			return fail(m, "head %u: loop in descriptor chain", head);
		if (m->owner[i] != 0)
			return fail(m, "head %u: descriptor %u still held by chain %u", head, i,
				    m->owner[i] - 1);
		c->n_descs++;
		/* Mark now so a chain that loops back onto itself is caught too. */
		m->owner[i] = (uint32_t)head + 1;
		if (flags & VRING_DESC_F_INDIRECT) {
			rc = walk_indirect(m, c, d);
			if (rc < 0)
				goto undo;
			break;
		}
		rc = add_buf(m, c, d);
		if (rc < 0)
			goto undo;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		/* 2.7.5.1: with IN_ORDER, next is the following slot, wrapping to 0. */
		if (has(m, VIRTIO_F_IN_ORDER) && le16toh(d->next) != ((i + 1) & (m->size - 1))) {
			rc = fail(m, "head %u: IN_ORDER but desc %u next is %u", head, i,
				  le16toh(d->next));
			goto undo;
		}
		i = le16toh(d->next);
		if (i >= m->size) {
			rc = fail(m, "head %u: next %u >= size %u", head, i, m->size);
			goto undo;
		}
	}

	m->in_bytes[head] = c->in_bytes;
	m->taken[m->n_taken++] = head;
	m->last_avail++;
	return 1;

undo:
	for (k = 0; k < m->size; k++)
		if (m->owner[k] == (uint32_t)head + 1)
			m->owner[k] = 0;
	return rc;
}

/* Give the descriptors of taken chain @head back; false if it is not taken. */
static bool release(struct model_split *m, uint32_t head)
{
	uint32_t k;

	for (k = 0; k < m->n_taken; k++)
		if (m->taken[k] == head)
			break;
	if (k == m->n_taken)
		return false;
	memmove(&m->taken[k], &m->taken[k + 1], (m->n_taken - k - 1) * sizeof(*m->taken));
	m->n_taken--;
	for (k = 0; k < m->size; k++)
		if (m->owner[k] == head + 1)
			m->owner[k] = 0;
	return true;
}

void model_split_set_used_elem(struct model_split *m, uint16_t slot, uint32_t id, uint32_t len)
{
	struct vring_used_elem *e = &m->used->ring[slot & (m->size - 1)];

	e->id = htole32(id);
	e->len = htole32(len);
}

void model_split_write_used(struct model_split *m, uint32_t id, uint32_t len)
{
	model_split_set_used_elem(m, m->used_idx, id, len);
	m->used_idx++;
	release(m, id);
}

void model_split_set_used_idx(struct model_split *m, uint16_t idx)
{
	m->used_idx = idx;
	/*
	 * 2.7.8.2 / 2.7.14: the device writes the used entries before it
	 * updates idx; the release store orders them for the driver's
	 * acquire (or read barrier).
	 */
	__atomic_store_n(&m->used->idx, htole16(idx), __ATOMIC_RELEASE);
}

void model_split_publish(struct model_split *m)
{
	model_split_set_used_idx(m, m->used_idx);
}

void model_split_push(struct model_split *m, uint32_t id, uint32_t len)
{
	model_split_write_used(m, id, len);
	model_split_publish(m);
}

int model_split_push_in_order(struct model_split *m, uint16_t id, uint32_t len)
{
	uint32_t k, n;

	for (k = 0; k < m->n_taken; k++)
		if (m->taken[k] == id)
			break;
	if (k == m->n_taken)
		return -ENOENT;
	n = k + 1;
	/*
	 * 2.7.9: one entry, at the offset of the batch's first chain, and
	 * used idx advanced by the batch size.
	 */
	model_split_set_used_elem(m, m->used_idx, id, len);
	while (n-- > 0)
		release(m, m->taken[0]);
	m->used_idx = (uint16_t)(m->used_idx + k + 1);
	model_split_publish(m);
	return (int)(k + 1);
}

void model_split_set_no_notify(struct model_split *m, bool no_notify)
{
	uint16_t flags = le16toh(m->used->flags);

	if (no_notify)
		flags |= VRING_USED_F_NO_NOTIFY;
	else
		flags &= (uint16_t)~VRING_USED_F_NO_NOTIFY;
	m->used->flags = htole16(flags);
	/*
	 * A real device must make this visible before it looks at avail->idx
	 * again, or it misses the chains the driver did not kick for.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void model_split_set_avail_event(struct model_split *m, uint16_t event)
{
	*avail_event_ptr(m) = htole16(event);
	/* Same reason as in model_split_set_no_notify(). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

uint16_t model_split_used_event(const struct model_split *m)
{
	return le16toh(__atomic_load_n(used_event_ptr(m), __ATOMIC_RELAXED));
}

uint16_t model_split_avail_flags(const struct model_split *m)
{
	return le16toh(__atomic_load_n(&m->avail->flags, __ATOMIC_RELAXED));
}

bool model_split_need_interrupt(struct model_split *m)
{
	uint16_t old = m->signalled_used;
	uint16_t now = m->used_idx;

	/*
	 * 2.7.7.2 (device side): the used idx store must be visible before
	 * the device reads the driver's suppression fields, or a driver that
	 * just re-enabled interrupts could be missed.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	m->signalled_used = now;
	if (has(m, VIRTIO_RING_F_EVENT_IDX))
		return model_need_event(model_split_used_event(m), now, old);
	return !(model_split_avail_flags(m) & VRING_AVAIL_F_NO_INTERRUPT);
}
