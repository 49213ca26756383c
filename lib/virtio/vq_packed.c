/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packed virtqueue, driver side (virtio 1.2, section 2.8).
 *
 * One ring of descriptors that both sides write: we mark a descriptor
 * available by setting its AVAIL bit to our wrap counter and USED to the
 * inverse; the device marks it used by making both equal to its counter.
 * Each side flips its counter when it passes the end of the ring.
 *
 * Buffer ids are ours to choose and are what the device hands back, so we
 * keep a free list of ids beside the ring. In order, the id of a chain is
 * the slot of its first descriptor: the oldest chain then starts where the
 * next used descriptor will be written.
 */
#include <errno.h>
#include <string.h>

#include "vq_internal.h"

size_t vq_packed_mem_layout(uint16_t size)
{
	/* ring, then the driver and the device event suppression areas (4-aligned) */
	return (size_t)size * sizeof(struct vring_packed_desc) +
	       2 * sizeof(struct vring_packed_desc_event);
}

static void write_driver_event(struct virtqueue *vq, uint16_t flags)
{
	vq->packed.driver_event_flags = flags;
	VQ_WRITE_ONCE(vq->packed.driver_event->flags, htole16(flags));
}

void vq_packed_init(struct virtqueue *vq)
{
	struct vq_packed *p = &vq->packed;
	char *mem = vq->ring_mem;
	size_t ring = (size_t)vq->size * sizeof(struct vring_packed_desc);
	uint16_t i;

	p->desc = (struct vring_packed_desc *)mem;
	p->driver_event = (struct vring_packed_desc_event *)(mem + ring);
	p->device_event = p->driver_event + 1;

	for (i = 0; i < vq->size; i++)
		p->id_next[i] = (uint16_t)(i + 1);
	p->free_id = 0;
	/* 2.8.1: both wrap counters start at 1. */
	p->avail_wrap = true;
	p->used_wrap = true;

	/* A poll-mode driver never waits for interrupts: start with them off. */
	vq_packed_disable_cb(vq);
}

/* AVAIL/USED bits that make a descriptor available under wrap counter @wrap. */
static uint16_t avail_bits(bool wrap)
{
	return wrap ? VRING_PACKED_DESC_F_AVAIL : VRING_PACKED_DESC_F_USED;
}

static void advance_slot(const struct virtqueue *vq, uint16_t *slot, bool *wrap)
{
	if (++*slot == vq->size) {
		*slot = 0;
		*wrap = !*wrap;
	}
}

int vq_packed_add(struct virtqueue *vq, const struct vq_buf *bufs, uint16_t n_out, uint16_t n_in,
		  void *cookie, bool indirect)
{
	struct vq_packed *p = &vq->packed;
	uint16_t total = (uint16_t)(n_out + n_in);
	uint16_t needed = indirect ? 1 : total;
	uint16_t head = p->next_avail, id, slot, j;
	uint16_t head_flags = 0;
	bool wrap = p->avail_wrap;
	uint64_t writable = 0;
	struct vq_chain *chain;

	if (vq->num_free < needed) {
		vq->stats.ring_full++;
		return -ENOSPC;
	}

	if (vq->in_order) {
		id = head;
	} else {
		id = p->free_id;
		p->free_id = p->id_next[id];
	}

	if (indirect) {
		struct vring_packed_desc *table = vq_indirect_table(vq, id);

		/* 2.8.19: no NEXT in an indirect table; its length gives the count. */
		for (j = 0; j < total; j++) {
			table[j].addr = htole64(bufs[j].addr);
			table[j].len = htole32(bufs[j].len);
			table[j].id = 0;
			table[j].flags = htole16(j >= n_out ? VRING_DESC_F_WRITE : 0);
			if (j >= n_out)
				writable += bufs[j].len;
		}
		p->desc[head].addr = htole64(vq_dev_addr_of(vq, table));
		p->desc[head].len = htole32((uint32_t)total * sizeof(struct vring_packed_desc));
		p->desc[head].id = htole16(id);
		head_flags = (uint16_t)(VRING_DESC_F_INDIRECT | avail_bits(wrap));
		advance_slot(vq, &p->next_avail, &p->avail_wrap);
	} else {
		slot = head;
		for (j = 0; j < total; j++) {
			uint16_t flags = (uint16_t)((j >= n_out ? VRING_DESC_F_WRITE : 0) |
						    (j + 1 < total ? VRING_DESC_F_NEXT : 0) |
						    avail_bits(wrap));

			p->desc[slot].addr = htole64(bufs[j].addr);
			p->desc[slot].len = htole32(bufs[j].len);
			p->desc[slot].id = htole16(id);
			if (j >= n_out)
				writable += bufs[j].len;
			/* The head's flags go last, at publish. */
			if (j == 0)
				head_flags = flags;
			else
				p->desc[slot].flags = htole16(flags);
			advance_slot(vq, &slot, &wrap);
		}
		p->next_avail = slot;
		p->avail_wrap = wrap;
	}

	/* The head's flags hand the chain over: they wait for vq_publish(). */
	p->pending[head].flags = head_flags;
	p->pending[head].ndescs = needed;
	if (p->pending_chains++ == 0)
		p->publish_slot = head;

	vq->num_free -= needed;
	vq->num_inflight++;
	p->descs_since_kick += needed;

	chain = &vq->chains[id];
	chain->cookie = cookie;
	chain->writable_len = writable > UINT32_MAX ? UINT32_MAX : (uint32_t)writable;
	chain->ndescs = needed;

	vq->stats.chains_added++;
	vq->stats.descs_added += needed;
	return 0;
}

/* Descriptors per 64-byte cache line; the ring starts on a line (vq_create). */
#define DESCS_PER_LINE (64 / sizeof(struct vring_packed_desc))

uint16_t vq_packed_add_bulk(struct virtqueue *vq, const struct vq_buf *bufs, void *const *cookies,
			    uint16_t n, bool writable)
{
	struct vq_packed *p = &vq->packed;
	uint16_t slot = p->next_avail, i = 0, wrap_flags;
	bool wrap = p->avail_wrap;

	if (n > vq->num_free) {
		vq->stats.ring_full++;
		n = vq->num_free;
	}
	if (n == 0)
		return 0;
	/* Chains vq_add() left unpublished go first: the device reads heads in ring order. */
	vq_packed_publish(vq);

	/*
	 * A cache line of the ring at a time: the bodies of its descriptors,
	 * then their flags from the last to the first. The line is fetched
	 * from the device's core once and left complete, and a device that
	 * polls the first slot finds the whole line available at once (DPDK's
	 * vhost then takes four in one go) instead of pulling the line back
	 * for every descriptor. Slots after the first are never looked at
	 * before it: the device reads the ring in order.
	 */
	wrap_flags = (uint16_t)((writable ? VRING_DESC_F_WRITE : 0) | avail_bits(wrap));
	while (i < n) {
		uint16_t group = (uint16_t)(DESCS_PER_LINE - (slot % DESCS_PER_LINE)), j;

		if (group > n - i)
			group = (uint16_t)(n - i);
		if (group > vq->size - slot)
			group = (uint16_t)(vq->size - slot); /* the wrap counter flips at the end */
		for (j = 0; j < group; j++) {
			uint16_t s = (uint16_t)(slot + j), id;
			struct vq_chain *chain;

			if (vq->in_order) {
				id = s;
			} else {
				id = p->free_id;
				p->free_id = p->id_next[id];
			}
			p->desc[s].addr = htole64(bufs[i + j].addr);
			p->desc[s].len = htole32(bufs[i + j].len);
			p->desc[s].id = htole16(id);
			chain = &vq->chains[id];
			chain->cookie = cookies[i + j];
			chain->writable_len = writable ? bufs[i + j].len : 0;
			chain->ndescs = 1;
		}
		/* 2.8.21.1: the bodies before any of the flags. */
		vq_barrier_before_publish();
		for (j = group; j-- > 0;)
			VQ_WRITE_ONCE(p->desc[slot + j].flags, htole16(wrap_flags));
		i = (uint16_t)(i + group);
		slot = (uint16_t)(slot + group);
		if (slot == vq->size) {
			slot = 0;
			wrap = !wrap;
			wrap_flags =
			    (uint16_t)((writable ? VRING_DESC_F_WRITE : 0) | avail_bits(wrap));
		}
	}
	p->next_avail = slot;
	p->avail_wrap = wrap;
	p->publish_slot = slot;
	vq->num_free = (uint16_t)(vq->num_free - n);
	vq->num_inflight = (uint16_t)(vq->num_inflight + n);
	p->descs_since_kick = (uint16_t)(p->descs_since_kick + n);
	vq->stats.chains_added += n;
	vq->stats.descs_added += n;
	return n;
}

void vq_packed_publish(struct virtqueue *vq)
{
	struct vq_packed *p = &vq->packed;
	uint16_t slot = p->publish_slot;

	/* Oldest first: the device reads heads in ring order. */
	while (p->pending_chains > 0) {
		/*
		 * 2.8.21.1: "The driver MUST perform a suitable memory barrier
		 * before the flags update, to ensure the device sees the most
		 * up-to-date copy" of the chain. The release store is that barrier.
		 */
		__atomic_store_n(&p->desc[slot].flags, htole16(p->pending[slot].flags),
				 __ATOMIC_RELEASE);
		slot = (uint16_t)(slot + p->pending[slot].ndescs);
		if (slot >= vq->size)
			slot = (uint16_t)(slot - vq->size);
		p->pending_chains--;
	}
	p->publish_slot = slot;
}

bool vq_packed_kick_prepare(struct virtqueue *vq)
{
	struct vq_packed *p = &vq->packed;
	uint16_t added = p->descs_since_kick;
	uint16_t new_idx, old_idx, off_wrap, event_idx, flags;
	bool needed;

	vq_packed_publish(vq);
	if (added == 0)
		return false; /* nothing new: nothing to tell */
	p->descs_since_kick = 0;
	vq_kick_decided(vq);

	/*
	 * 2.8.21.3.1: the descriptor stores must be seen before we read the
	 * device's event suppression, or we could miss its request for a kick.
	 */
	vq_barrier_full();
	off_wrap = le16toh(VQ_READ_ONCE(p->device_event->off_wrap));
	flags = le16toh(VQ_READ_ONCE(p->device_event->flags));

	if (flags == VRING_PACKED_EVENT_FLAG_DESC && vq->event_idx) {
		/*
		 * Kick if the slot the device named lies among those made
		 * available since the last decision. Express every position on
		 * one line (a slot of the previous lap is slot - size) so the
		 * 16-bit event-index rule applies, as Linux does.
		 */
		new_idx = p->next_avail;
		old_idx = (uint16_t)(new_idx - added);
		event_idx = off_wrap & (uint16_t)~(1u << VRING_PACKED_EVENT_WRAP_SHIFT);
		if ((bool)(off_wrap >> VRING_PACKED_EVENT_WRAP_SHIFT) != p->avail_wrap)
			event_idx = (uint16_t)(event_idx - vq->size);
		needed = vq_need_event(event_idx, new_idx, old_idx);
	} else {
		/* DESC without EVENT_IDX is undefined; treat it as ENABLE. */
		needed = flags != VRING_PACKED_EVENT_FLAG_DISABLE;
	}

	if (!needed)
		vq->stats.kicks_suppressed++;
	return needed;
}

static inline void free_id(struct virtqueue *vq, uint16_t id)
{
	struct vq_packed *p = &vq->packed;

	if (!vq->in_order) {
		p->id_next[id] = p->free_id;
		p->free_id = id;
	}
	vq->chains[id].cookie = NULL;
}

/*
 * Return the chain @id, which starts at the next used slot: the device
 * skips the rest of the chain's slots (2.8.7), and so do we.
 */
static inline void *release_chain(struct virtqueue *vq, uint16_t id)
{
	struct vq_packed *p = &vq->packed;
	struct vq_chain *chain = &vq->chains[id];
	void *cookie = chain->cookie;

	p->last_used = (uint16_t)(p->last_used + chain->ndescs);
	if (p->last_used >= vq->size) {
		p->last_used = (uint16_t)(p->last_used - vq->size);
		p->used_wrap = !p->used_wrap;
	}
	vq->num_free += chain->ndescs;
	vq->num_inflight--;
	free_id(vq, id);
	return cookie;
}

/* Hand back chain @id, which the device said it wrote @used_len bytes into. */
static inline int complete_chain(struct virtqueue *vq, uint16_t id, uint32_t used_len,
				 void **cookie, uint32_t *len)
{
	uint32_t writable_len = vq->chains[id].writable_len;

	*cookie = release_chain(vq, id);
	return vq_used_outcome(vq, writable_len, used_len, len);
}

/* In order: the next chain of a batch the device completed with one descriptor. */
static inline int take_from_batch(struct virtqueue *vq, void **cookie, uint32_t *len)
{
	uint16_t id = vq->packed.last_used;

	return complete_chain(vq, id, vq_batch_take_len(vq, id), cookie, len);
}

/*
 * State of the descriptor at the next used slot: 1 used, 0 not (yet),
 * -1 marked used in a way that cannot be right.
 *
 * Used means AVAIL == USED == our used wrap counter (2.8.1). With chains in
 * flight, this slot is the head of the oldest one, which we made available
 * as AVAIL = wrap, USED = !wrap; the device may only turn it into
 * AVAIL = USED = wrap, so USED = wrap with AVAIL != wrap is a wrong wrap
 * counter. With nothing published in flight the slot holds what the previous lap left
 * (an unused chain tail reads AVAIL != USED legitimately), and only a
 * descriptor that is fully "used" in this lap is wrong.
 */
static int next_used_state(const struct virtqueue *vq, uint16_t flags)
{
	const struct vq_packed *p = &vq->packed;
	bool avail = (flags & VRING_PACKED_DESC_F_AVAIL) != 0;
	bool used = (flags & VRING_PACKED_DESC_F_USED) != 0;

	/* Chains added but not published are not in flight as far as the device knows. */
	if (vq->num_inflight == p->pending_chains)
		return (avail == p->used_wrap && used == p->used_wrap) ? -1 : 0;
	if (used != p->used_wrap)
		return 0;
	if (avail != used)
		return -1;
	return 1;
}

/*
 * Read the next used descriptor: 1 with the id of a chain in flight and
 * the length the device wrote, 0 when there is none yet, or
 * -ENOTRECOVERABLE when it cannot be right (the queue is then broken).
 */
static inline int packed_next_used(struct virtqueue *vq, uint16_t *id_out, uint32_t *len_out)
{
	struct vq_packed *p = &vq->packed;
	struct vring_packed_desc *desc = &p->desc[p->last_used];
	uint16_t flags, id;
	int state;

	/*
	 * A used descriptor may name a chain only the device could have seen.
	 * One added but not published, given back, would be handed over by the
	 * next publish with its buffers already freed (in order, a batch naming
	 * it would free those before it too). Chains still unpublished when the
	 * caller takes used ones are published first.
	 */
	if (p->pending_chains > 0)
		vq_packed_publish(vq);
	/* 2.8.21.2: read the descriptor only after its flags say it is used. */
	flags = le16toh(__atomic_load_n(&desc->flags, __ATOMIC_ACQUIRE));
	state = next_used_state(vq, flags);
	if (state == 0)
		return 0;
	if (state < 0) {
		vq_mark_broken(vq, VQ_REFUSE_WRAP);
		return -ENOTRECOVERABLE;
	}

	id = le16toh(VQ_READ_ONCE(desc->id));
	/*
	 * Where the next used descriptor sits depends on how many slots this
	 * chain took: with an id we cannot map to a chain we cannot go on.
	 */
	if (id >= vq->size) {
		vq_mark_broken(vq, VQ_REFUSE_ID_RANGE);
		return -ENOTRECOVERABLE;
	}
	if (vq->chains[id].cookie == NULL) {
		vq_mark_broken(vq, VQ_REFUSE_ID_NOT_INFLIGHT);
		return -ENOTRECOVERABLE;
	}
	*id_out = id;
	/*
	 * 2.8.4: "Element Length is reserved for used descriptors without the
	 * VIRTQ_DESC_F_WRITE flag, and is ignored by drivers." Which chains had
	 * device-writable buffers is the driver's own knowledge, not the
	 * device's flag: QEMU writes used descriptors with no WRITE flag and
	 * the length in them (as Linux and DPDK read it), while DPDK's vhost
	 * leaves the driver's length there on tx, meaning nothing written. A
	 * length the device flags as written is read whatever the chain, so
	 * that one claimed for a read-only chain is refused.
	 */
	*len_out = (vq->chains[id].writable_len != 0 || (flags & VRING_DESC_F_WRITE))
			   ? le32toh(VQ_READ_ONCE(desc->len))
			   : 0;
	return 1;
}

static inline int packed_get_used(struct virtqueue *vq, void **cookie, uint32_t *len)
{
	uint32_t used_len;
	uint16_t id;
	int rc;

	if (vq->batch_pending)
		return take_from_batch(vq, cookie, len);
	rc = packed_next_used(vq, &id, &used_len);
	if (rc <= 0)
		return rc;
	if (vq->in_order && id != vq->packed.last_used) {
		/* 2.8.9: one used descriptor for a batch, naming its last buffer. */
		vq->batch_pending = true;
		vq->batch_id = id;
		vq->batch_len = used_len;
		return take_from_batch(vq, cookie, len);
	}
	return complete_chain(vq, id, used_len, cookie, len);
}

int vq_packed_get_used(struct virtqueue *vq, void **cookie, uint32_t *len)
{
	return packed_get_used(vq, cookie, len);
}

/*
 * The common case of a receive ring, a cache line at a time: four used
 * descriptors of one-buffer chains, each naming its own chain, none
 * refused. The four flags are checked together with one barrier after
 * them; each entry then gets every check packed_next_used() and
 * complete_chain() make (id in range and in flight, length within the
 * chain's), and the ring position and counters are kept in locals and
 * stored once. Anything else (a slot not yet used, a wrong wrap, a chain
 * of several descriptors, an in-order batch entry, a bad id or length)
 * stops here, and the entry-at-a-time path takes it from there, to
 * deliver, refuse or break as always. Returns the entries taken.
 */
static uint16_t packed_used_lines(struct virtqueue *vq, void **cookies, uint32_t *lens,
				  uint16_t max)
{
	struct vq_packed *p = &vq->packed;
	const uint16_t used_bits = p->used_wrap
				       ? (uint16_t)(VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED)
				       : 0;
	const uint16_t mask = VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED;
	const unsigned int line = DESCS_PER_LINE;
	uint16_t slot = p->last_used, n = 0;

	if (vq->batch_pending || p->pending_chains > 0 || vq->broken)
		return 0;
	while (n + line <= max && slot + line <= vq->size && vq->num_inflight - n >= (int)line) {
		struct vring_packed_desc *d = &p->desc[slot];
		uint16_t f[DESCS_PER_LINE], i;

		for (i = 0; i < DESCS_PER_LINE; i++)
			f[i] = le16toh(VQ_READ_ONCE(d[i].flags));
		if ((((f[0] & mask) ^ used_bits) | ((f[1] & mask) ^ used_bits) |
		     ((f[2] & mask) ^ used_bits) | ((f[3] & mask) ^ used_bits)) != 0)
			break;
		/* 2.8.21.2: the descriptors only after their flags said used. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		for (i = 0; i < DESCS_PER_LINE; i++) {
			uint16_t id = le16toh(VQ_READ_ONCE(d[i].id));
			struct vq_chain *chain;
			uint32_t len;

			if (vq->in_order ? id != slot + i : id >= vq->size)
				goto done;
			chain = &vq->chains[id];
			if (chain->cookie == NULL || chain->ndescs != 1)
				goto done;
			/* As packed_next_used(): a length read for writable chains, or one the device flags. */
			len = (chain->writable_len != 0 || (f[i] & VRING_DESC_F_WRITE))
				  ? le32toh(VQ_READ_ONCE(d[i].len))
				  : 0;
			if (len > chain->writable_len)
				goto done;
			cookies[n] = chain->cookie;
			if (lens != NULL)
				lens[n] = len;
			chain->cookie = NULL;
			if (!vq->in_order) {
				p->id_next[id] = p->free_id;
				p->free_id = id;
			}
			n++;
		}
		slot = (uint16_t)(slot + line);
		if (slot == vq->size) {
			slot = 0;
			p->used_wrap = !p->used_wrap;
			break; /* the flags we look for change: the next call */
		}
	}
done:
	/* n entries taken, from the old last_used on; slot may be mid-line after a stop. */
	slot = (uint16_t)(p->last_used + n);
	if (slot >= vq->size)
		slot = (uint16_t)(slot - vq->size);
	p->last_used = slot;
	vq->num_free = (uint16_t)(vq->num_free + n);
	vq->num_inflight = (uint16_t)(vq->num_inflight - n);
	vq->stats.chains_used += n;
	return n;
}

uint16_t vq_packed_get_used_bulk(struct virtqueue *vq, void **cookies, uint32_t *lens, uint16_t max)
{
	uint16_t n;

	/*
	 * Whole lines, with vectors where allowed, else a line at a time; then
	 * one by one from where that stopped. Not the scalar lines after the
	 * vector ones: they stop at the same line (the vector path takes every
	 * line the scalar one does but for read-only chains, which receive
	 * never has), and reading it again is one more transfer of the line
	 * the device is writing.
	 */
	if (vq->used_avx512)
		n = vq_packed_used_lines_avx512(vq, cookies, lens, max);
	else
		n = packed_used_lines(vq, cookies, lens, max);

	if (n == max)
		return n;
	return (uint16_t)(n + vq_get_used_loop(vq, packed_get_used, cookies + n,
					      lens != NULL ? lens + n : NULL, (uint16_t)(max - n)));
}

/*
 * In order, one used descriptor names the last chain of a batch, and the
 * chains before it are the ones from the next used slot on (2.8.9): take
 * them in a tight loop, lengths unread.
 */
static uint16_t packed_reclaim_in_order(struct virtqueue *vq, void **cookies, uint16_t max)
{
	uint16_t n = 0;

	while (n < max) {
		bool last = false;

		if (!vq->batch_pending) {
			uint32_t len_unused;
			uint16_t id;

			if (packed_next_used(vq, &id, &len_unused) <= 0)
				break;
			vq->batch_pending = true;
			vq->batch_id = id;
			vq->batch_len = 0;
		}
		/* release_chain() for each, with the ring position and counts in locals. */
		uint16_t head = vq->packed.last_used, taken = 0, freed = 0;
		bool wrap = vq->packed.used_wrap;

		while (n < max && !last) {
			struct vq_chain *chain = &vq->chains[head];

			last = head == vq->batch_id;
			cookies[n++] = chain->cookie;
			chain->cookie = NULL; /* in order: the id is the slot, no free list */
			freed = (uint16_t)(freed + chain->ndescs);
			taken++;
			head = (uint16_t)(head + chain->ndescs);
			if (head >= vq->size) {
				head = (uint16_t)(head - vq->size);
				wrap = !wrap;
			}
		}
		vq->packed.last_used = head;
		vq->packed.used_wrap = wrap;
		vq->num_free = (uint16_t)(vq->num_free + freed);
		vq->num_inflight = (uint16_t)(vq->num_inflight - taken);
		if (last)
			vq->batch_pending = false;
	}
	vq->stats.chains_used += n;
	return n;
}

/* Packed rings have no index to count: the next used descriptor must be read. */
uint16_t vq_packed_reclaim_bulk(struct virtqueue *vq, void **cookies, uint16_t max)
{
	if (vq->in_order)
		return packed_reclaim_in_order(vq, cookies, max);
	return vq_get_used_loop(vq, packed_get_used, cookies, NULL, max);
}

bool vq_packed_has_used(const struct virtqueue *vq)
{
	uint16_t flags = le16toh(VQ_READ_ONCE(vq->packed.desc[vq->packed.last_used].flags));

	return next_used_state(vq, flags) != 0;
}

bool vq_packed_enable_cb(struct virtqueue *vq)
{
	struct vq_packed *p = &vq->packed;

	if (vq->event_idx) {
		/*
		 * 2.8.10, RING_EVENT_FLAGS_DESC: "Event will only trigger when this
		 * descriptor is made available/used": the slot we read next, with
		 * the wrap counter it will be used under.
		 */
		VQ_WRITE_ONCE(p->driver_event->off_wrap,
			      htole16((uint16_t)(p->last_used |
						 (p->used_wrap << VRING_PACKED_EVENT_WRAP_SHIFT))));
		/* off_wrap must be in place before flags tell the device to look at it. */
		vq_barrier_before_publish();
		write_driver_event(vq, VRING_PACKED_EVENT_FLAG_DESC);
	} else {
		write_driver_event(vq, VRING_PACKED_EVENT_FLAG_ENABLE);
	}
	__atomic_store_n(&vq->cb_enabled, true, __ATOMIC_RELAXED);
	/*
	 * 2.8, Receiving Used Buffers From The Device: "beware the problem
	 * of missing notifications between emptying the ring and reenabling
	 * used buffer notifications. This is usually handled by re-checking for more used
	 * buffers after notifications are re-enabled". The flags store, then
	 * the load of the next descriptor's flags: the spec's memory_barrier(),
	 * a full fence.
	 */
	vq_barrier_full();
	return vq->batch_pending || vq_packed_has_used(vq);
}

void vq_packed_disable_cb(struct virtqueue *vq)
{
	/* No fence: a notification sent before the device sees this is a spurious one. */
	write_driver_event(vq, VRING_PACKED_EVENT_FLAG_DISABLE);
	__atomic_store_n(&vq->cb_enabled, false, __ATOMIC_RELAXED);
}

void *vq_packed_detach_unused(struct virtqueue *vq)
{
	void *cookie;
	uint16_t id;

	if (vq->num_inflight == 0)
		return NULL;
	/* Tearing down: chains not yet published never will be. */
	vq->packed.pending_chains = 0;
	/* In order, the oldest chain is the one at the next used slot. */
	if (vq->in_order)
		return release_chain(vq, vq->packed.last_used);
	/*
	 * Otherwise chains are not contiguous from the used slot: free the id
	 * and the count only. The ring positions are stale until vq_reset(),
	 * which is what a caller tearing a queue down does next.
	 */
	for (id = 0; id < vq->size; id++) {
		if (vq->chains[id].cookie != NULL) {
			cookie = vq->chains[id].cookie;
			vq->num_free += vq->chains[id].ndescs;
			vq->num_inflight--;
			free_id(vq, id);
			return cookie;
		}
	}
	return NULL;
}

void vq_packed_position(const struct virtqueue *vq, struct vq_position *pos)
{
	pos->avail_idx = vq->packed.next_avail;
	pos->avail_wrap = vq->packed.avail_wrap;
	pos->used_idx = vq->packed.last_used;
	pos->used_wrap = vq->packed.used_wrap;
}
