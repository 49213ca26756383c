// SPDX-License-Identifier: BSD-3-Clause
/*
 * hostile_backend's device side of the rings: guest memory, taking chains
 * the driver made available, giving them back used (split and packed),
 * and the one bad used entry a fault asks for.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hostile.h"

const char *const fault_names[] = {
    [FAULT_NONE] = "none",
    [FAULT_ID_RANGE] = "id_range",
    [FAULT_NOT_INFLIGHT] = "not_inflight",
    [FAULT_LEN_PAST] = "len_past",
    [FAULT_WRAP] = "wrap",
    [FAULT_IDX_JUMP] = "idx_jump",
};

bool packed(const struct backend *be)
{
	return (be->features & VIRTIO_BIT(VIRTIO_F_RING_PACKED)) != 0;
}

const char *ring_name(unsigned int q)
{
	return q == RX ? "rx" : "tx";
}

void mem_unmap(struct backend *be)
{
	unsigned int i;

	for (i = 0; i < be->nregions; i++)
		munmap(be->mem[i].map, be->mem[i].map_len);
	be->nregions = 0;
}

/* Descriptors carry guest addresses (the driver's IOVA, its VA here). */
static void *gpa_to_host(const struct backend *be, uint64_t gpa, uint64_t len)
{
	unsigned int i;

	for (i = 0; i < be->nregions; i++) {
		const struct region *r = &be->mem[i];

		if (gpa >= r->gpa && gpa - r->gpa <= r->size && len <= r->size - (gpa - r->gpa))
			return r->host + (gpa - r->gpa);
	}
	return NULL;
}

/* Ring addresses in SET_VRING_ADDR are the driver's user addresses. */
static void *uva_to_host(const struct backend *be, uint64_t uva, uint64_t len)
{
	unsigned int i;

	for (i = 0; i < be->nregions; i++) {
		const struct region *r = &be->mem[i];

		if (uva >= r->uva && uva - r->uva <= r->size && len <= r->size - (uva - r->uva))
			return r->host + (uva - r->uva);
	}
	return NULL;
}

int set_mem_table(struct backend *be, const struct vu_memory *m, uint32_t size, const int *fds,
		  unsigned int nfds)
{
	unsigned int i;

	if (size < VU_MEM_TABLE_SIZE(0) || m->nregions > VHOST_USER_MAX_MEM_REGIONS ||
	    size < VU_MEM_TABLE_SIZE(m->nregions) || nfds != m->nregions)
		return -EINVAL;
	mem_unmap(be);
	for (i = 0; i < m->nregions; i++) {
		const struct vu_mem_region *src = &m->regions[i];
		struct region *r = &be->mem[i];

		r->map_len = src->memory_size + src->mmap_offset;
		r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i], 0);
		if (r->map == MAP_FAILED) {
			int err = -errno;

			say("mmap region %u: %s", i, strerror(errno));
			be->nregions = i;
			mem_unmap(be);
			return err;
		}
		r->gpa = src->guest_phys_addr;
		r->size = src->memory_size;
		r->uva = src->userspace_addr;
		r->host = (uint8_t *)r->map + src->mmap_offset;
		be->nregions = i + 1;
	}
	return 0;
}

/* ---- rings ---- */

bool ring_live(const struct backend *be, const struct vq *vq)
{
	return vq->enabled && vq->addr_set && vq->size != 0 && be->nregions != 0 &&
	       (packed(be) ? vq->pdesc != NULL : vq->used != NULL);
}

/* Map the ring addresses once memory and size are both known. */
int ring_map(struct backend *be, struct vq *vq)
{
	if (!vq->addr_set || vq->size == 0)
		return 0;
	if (packed(be)) {
		vq->pdesc = uva_to_host(be, vq->desc_uva, (uint64_t)vq->size * sizeof(*vq->pdesc));
		return vq->pdesc ? 0 : -EFAULT;
	}
	vq->desc = uva_to_host(be, vq->desc_uva, (uint64_t)vq->size * sizeof(*vq->desc));
	vq->avail = uva_to_host(be, vq->avail_uva, sizeof(*vq->avail) + 2u * vq->size);
	vq->used = uva_to_host(be, vq->used_uva,
			       sizeof(*vq->used) + sizeof(struct vring_used_elem) * vq->size);
	return vq->desc && vq->avail && vq->used ? 0 : -EFAULT;
}

void ring_reset(struct vq *vq)
{
	if (vq->kick_fd >= 0)
		close(vq->kick_fd);
	if (vq->call_fd >= 0)
		close(vq->call_fd);
	memset(vq, 0, sizeof(*vq));
	vq->kick_fd = -1;
	vq->call_fd = -1;
	vq->avail_wrap = vq->used_wrap = true;
}

static bool add_seg(const struct backend *be, struct chain *c, uint64_t addr, uint32_t len,
		    uint16_t flags)
{
	uint8_t *p = gpa_to_host(be, addr, len);

	if (!p || c->nseg == MAX_SEGS)
		return false;
	c->seg[c->nseg].p = p;
	c->seg[c->nseg].len = len;
	c->seg[c->nseg].write = (flags & VRING_DESC_F_WRITE) != 0;
	if (flags & VRING_DESC_F_WRITE)
		c->writable += len;
	c->nseg++;
	return true;
}

/*
 * Take the next available chain. A chain we cannot map is still taken
 * (and given back empty): the driver, not us, is under test.
 */
static bool take_split(struct backend *be, struct vq *vq, struct chain *c)
{
	uint16_t avail_idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	uint16_t i, n;

	if (avail_idx == vq->last_avail)
		return false;
	memset(c, 0, offsetof(struct chain, seg));
	c->id = vq->avail->ring[vq->last_avail & (vq->size - 1)];
	vq->last_avail++;
	c->slots = 1;
	for (i = c->id, n = 0; i < vq->size && n < vq->size; n++) {
		const struct vring_desc *d = &vq->desc[i];

		if (!add_seg(be, c, d->addr, d->len, d->flags))
			break;
		if (!(d->flags & VRING_DESC_F_NEXT))
			break;
		i = d->next;
	}
	return true;
}

static bool packed_avail(const struct vq *vq, uint16_t slot, bool wrap)
{
	uint16_t flags = __atomic_load_n(&vq->pdesc[slot].flags, __ATOMIC_ACQUIRE);
	bool a = (flags & VRING_PACKED_DESC_F_AVAIL) != 0,
	     u = (flags & VRING_PACKED_DESC_F_USED) != 0;

	return a == wrap && u != wrap;
}

static bool take_packed(struct backend *be, struct vq *vq, struct chain *c)
{
	uint16_t slot = vq->last_avail;

	if (!packed_avail(vq, slot, vq->avail_wrap))
		return false;
	memset(c, 0, offsetof(struct chain, seg));
	/* The driver writes the head's flags last: the rest of the chain is there. */
	for (;;) {
		const struct vring_packed_desc *d = &vq->pdesc[slot];

		add_seg(be, c, d->addr, d->len, d->flags);
		c->id = d->id; /* the last descriptor's id names the buffer */
		c->slots++;
		if (++slot == vq->size) {
			slot = 0;
			vq->avail_wrap = !vq->avail_wrap;
		}
		if (!(d->flags & VRING_DESC_F_NEXT) || c->slots == vq->size)
			break;
	}
	vq->last_avail = slot;
	return true;
}

static bool take(struct backend *be, struct vq *vq, struct chain *c)
{
	return packed(be) ? take_packed(be, vq, c) : take_split(be, vq, c);
}

static void arm_done(struct vq *vq, unsigned int q, const char *detail)
{
	say("fault applied: %s %s (%s)", fault_names[vq->fault], ring_name(q), detail);
	vq->fault = FAULT_NONE;
}

/*
 * Give a chain back on a split ring. id_range and not_inflight add an
 * entry after the good one, written with it: the driver must refuse it and
 * can go on.
 */
static void put_split(struct vq *vq, unsigned int q, const struct chain *c, uint32_t len)
{
	struct vring_used_elem *e = &vq->used->ring[vq->used_idx & (vq->size - 1)];
	uint16_t publish;
	char detail[64];

	if (vq->withhold) {
		vq->withhold = false;
		return;
	}
	e->id = c->id;
	e->len = len;
	vq->used_idx++;
	publish = vq->used_idx;
	switch (vq->fault) {
	case FAULT_NONE:
	case FAULT_WRAP: /* packed only: stays armed, never fires */
		break;
	case FAULT_ID_RANGE:
	case FAULT_NOT_INFLIGHT:
		/*
		 * The extra entry takes a used slot no chain paid for. Written
		 * only while a chain is still available to us (so the driver's
		 * in-flight chains, at most the ring size, include one we have
		 * not given back and the unread entries leave a slot free), and
		 * paid back by never giving back the next chain we take (the
		 * driver frees it at reset or close). Otherwise a driver that
		 * reclaims lazily could see the index move past its ring: an
		 * idx_jump, not this fault.
		 */
		if (__atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE) == vq->last_avail)
			break;
		vq->withhold = true;
		e = &vq->used->ring[vq->used_idx & (vq->size - 1)];
		/* A duplicate of the entry just written: that chain is no longer in flight. */
		e->id = vq->fault == FAULT_ID_RANGE ? vq->size : c->id;
		e->len = 0;
		vq->used_idx++;
		publish = vq->used_idx;
		snprintf(detail, sizeof(detail), "id %u", e->id);
		arm_done(vq, q, detail);
		break;
	case FAULT_LEN_PAST:
		e->len = c->writable + 1;
		snprintf(detail, sizeof(detail), "id %u len %u of %u", c->id, e->len, c->writable);
		arm_done(vq, q, detail);
		break;
	case FAULT_IDX_JUMP:
		/* One past what a ring of this size can ever have outstanding. */
		publish = (uint16_t)(vq->used_idx + vq->size + 1);
		vq->poisoned = true;
		snprintf(detail, sizeof(detail), "used idx %u instead of %u", publish,
			 vq->used_idx);
		arm_done(vq, q, detail);
		break;
	}
	/* 2.7.14 (device side): the entries are written before the index that covers them. */
	__atomic_store_n(&vq->used->idx, publish, __ATOMIC_RELEASE);
}

static void packed_write_used(struct vq *vq, uint16_t slot, uint16_t id, uint32_t len,
			      uint16_t flags)
{
	vq->pdesc[slot].id = id;
	vq->pdesc[slot].len = len;
	/* 2.8.21.2: the flags go last, so the driver never reads a half-written descriptor. */
	__atomic_store_n(&vq->pdesc[slot].flags, flags, __ATOMIC_RELEASE);
}

static uint16_t packed_used_flags(bool wrap, bool wrote)
{
	return (wrap ? VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED : 0) |
	       (wrote ? VRING_DESC_F_WRITE : 0);
}

static void packed_advance_used(struct vq *vq, uint16_t slots)
{
	vq->used_idx = (uint16_t)(vq->used_idx + slots);
	if (vq->used_idx >= vq->size) {
		vq->used_idx = (uint16_t)(vq->used_idx - vq->size);
		vq->used_wrap = !vq->used_wrap;
	}
}

/*
 * Give a chain back on a packed ring. Used descriptors go where the chain
 * began, so a bad one cannot be added after a good one without taking the
 * slot of the next chain: not_inflight takes that chain and writes the
 * just-returned id there (it waits, armed, for a ring with two chains).
 */
static void put_packed(struct backend *be, struct vq *vq, unsigned int q, const struct chain *c,
		       uint32_t len)
{
	uint16_t slot = vq->used_idx, flags;
	bool wrote = len != 0;
	char detail[64];
	struct chain next;

	flags = packed_used_flags(vq->used_wrap, wrote);
	switch (vq->fault) {
	case FAULT_NONE:
	case FAULT_IDX_JUMP: /* split only: stays armed, never fires */
		break;
	case FAULT_ID_RANGE:
		snprintf(detail, sizeof(detail), "id 0xffff for %u", c->id);
		packed_write_used(vq, slot, 0xffff, len, flags);
		packed_advance_used(vq, c->slots);
		arm_done(vq, q, detail);
		return;
	case FAULT_LEN_PAST:
		snprintf(detail, sizeof(detail), "id %u len %u of %u", c->id, c->writable + 1,
			 c->writable);
		packed_write_used(vq, slot, c->id, c->writable + 1,
				  packed_used_flags(vq->used_wrap, true));
		packed_advance_used(vq, c->slots);
		arm_done(vq, q, detail);
		return;
	case FAULT_WRAP:
		/* USED says this lap, AVAIL the last: no descriptor can be both. */
		flags = (uint16_t)((vq->used_wrap ? VRING_PACKED_DESC_F_USED
						  : VRING_PACKED_DESC_F_AVAIL) |
				   (wrote ? VRING_DESC_F_WRITE : 0));
		snprintf(detail, sizeof(detail), "id %u flags 0x%x", c->id, flags);
		packed_write_used(vq, slot, c->id, len, flags);
		packed_advance_used(vq, c->slots);
		arm_done(vq, q, detail);
		return;
	case FAULT_NOT_INFLIGHT:
		if (!take_packed(be, vq, &next))
			break;
		{
			uint16_t slot2 = (uint16_t)((slot + c->slots) % vq->size);
			bool wrap2 = slot + c->slots >= vq->size ? !vq->used_wrap : vq->used_wrap;

			/* The duplicate first, then the good one: the driver sees both at once. */
			packed_write_used(vq, slot2, c->id, 0, packed_used_flags(wrap2, false));
			packed_write_used(vq, slot, c->id, len, flags);
			packed_advance_used(vq, (uint16_t)(c->slots + next.slots));
			snprintf(detail, sizeof(detail), "id %u twice, buffer %u dropped", c->id,
				 next.id);
			arm_done(vq, q, detail);
			return;
		}
	}
	packed_write_used(vq, slot, c->id, len, flags);
	packed_advance_used(vq, c->slots);
}

static void put(struct backend *be, unsigned int q, const struct chain *c, uint32_t len)
{
	struct vq *vq = &be->vq[q];

	if (vq->poisoned)
		return;
	if (packed(be))
		put_packed(be, vq, q, c, len);
	else
		put_split(vq, q, c, len);
}

/*
 * One frame from tx to rx. With no rx buffer the frame is dropped, as a
 * switch would: tx must keep moving whatever the rx ring does.
 */
bool echo_one(struct backend *be)
{
	struct chain tc, rc;
	uint32_t n = 0, off = 0, i;

	if (!take(be, &be->vq[TX], &tc))
		return false;
	for (i = 0; i < tc.nseg && n + tc.seg[i].len <= FRAME_MAX; i++) {
		memcpy(be->frame + n, tc.seg[i].p, tc.seg[i].len);
		n += tc.seg[i].len;
	}
	if (n >= sizeof(struct virtio_net_hdr)) {
		/* One buffer per frame (no MRG_RXBUF), nothing to offload. */
		memset(be->frame, 0, sizeof(struct virtio_net_hdr));
		((struct virtio_net_hdr *)be->frame)->num_buffers = 1;
	}
	if (ring_live(be, &be->vq[RX]) && !be->vq[RX].poisoned && take(be, &be->vq[RX], &rc)) {
		for (i = 0; i < rc.nseg && off < n; i++) {
			uint32_t k = rc.seg[i].len < n - off ? rc.seg[i].len : n - off;

			if (!rc.seg[i].write)
				continue;
			memcpy(rc.seg[i].p, be->frame + off, k);
			off += k;
		}
		put(be, RX, &rc, off);
		be->vq[RX].frames++;
	}
	put(be, TX, &tc, 0);
	be->vq[TX].frames++;
	return true;
}
