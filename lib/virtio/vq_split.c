/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Split virtqueue, driver side (virtio 1.2, section 2.7).
 *
 * Three areas: the descriptor table and the available ring, which only we
 * write, and the used ring, which only the device writes. Everything read
 * from the used ring is checked before it is believed.
 */
#include <errno.h>
#include <string.h>

#include "vq_internal.h"

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

size_t vq_split_mem_layout(uint16_t size, uint32_t used_align, size_t *used_offset)
{
	/* flags, idx, ring[size], used_event */
	size_t avail_end = (size_t)size * sizeof(struct vring_desc) + sizeof(struct vring_avail) +
			   (size_t)size * sizeof(uint16_t) + sizeof(uint16_t);

	*used_offset = align_up(avail_end, used_align);
	/* flags, idx, ring[size], avail_event */
	return *used_offset + sizeof(struct vring_used) +
	       (size_t)size * sizeof(struct vring_used_elem) + sizeof(uint16_t);
}

/* With EVENT_IDX, used_event trails the available ring (2.7.6). */
uint16_t *vq_split_used_event(const struct virtqueue *vq)
{
	return &vq->split.avail->ring[vq->size];
}

/* ... and avail_event trails the used ring (2.7.8). */
uint16_t *vq_split_avail_event(const struct virtqueue *vq)
{
	return (uint16_t *)&vq->split.used->ring[vq->size];
}

void vq_split_init(struct virtqueue *vq)
{
	struct vq_split *s = &vq->split;
	char *mem = vq->ring_mem;
	uint16_t i;

	s->desc = (struct vring_desc *)mem;
	s->avail = (struct vring_avail *)(mem + (size_t)vq->size * sizeof(struct vring_desc));
	s->used = (struct vring_used *)(mem + vq->used_offset);

	/*
	 * Free descriptors form a list through next[]. In order, chains are
	 * taken from it in ring order and never spliced back: the oldest chain
	 * is always the next to complete, so the free area stays one run.
	 */
	for (i = 0; i < vq->size; i++)
		s->next[i] = (uint16_t)((i + 1) & (vq->size - 1));
	s->free_head = 0;
	s->oldest_head = 0;

	/* A poll-mode driver never waits for interrupts: start with them off. */
	vq_split_disable_cb(vq);
}

static void fill_desc(struct vring_desc *d, const struct vq_buf *buf, bool writable, bool has_next,
		      uint16_t next)
{
	d->addr = htole64(buf->addr);
	d->len = htole32(buf->len);
	d->flags = htole16((uint16_t)((writable ? VRING_DESC_F_WRITE : 0) |
				      (has_next ? VRING_DESC_F_NEXT : 0)));
	d->next = htole16(has_next ? next : 0);
}

/*
 * Avail entry @pos names the chain at @head. Written only if it changes (in
 * order it never does after the first lap), and checked against our own
 * copy, not the ring: the ring's lines are read by the device's core, and
 * reading one back here can wait on that core; an unwritten line stays
 * shared with it.
 */
static inline void set_avail_slot(struct vq_split *s, uint16_t pos, uint16_t head)
{
	if (s->avail_shadow[pos] != head) {
		s->avail_shadow[pos] = head;
		s->avail->ring[pos] = htole16(head);
	}
}

int vq_split_add(struct virtqueue *vq, const struct vq_buf *bufs, uint16_t n_out, uint16_t n_in,
		 void *cookie, bool indirect)
{
	struct vq_split *s = &vq->split;
	uint16_t total = (uint16_t)(n_out + n_in);
	uint16_t needed = indirect ? 1 : total;
	uint64_t writable = 0;
	uint16_t head, last, i, j;
	struct vq_chain *chain;

	if (vq->num_free < needed) {
		vq->stats.ring_full++;
		return -ENOSPC;
	}

	head = s->free_head;
	if (indirect) {
		struct vring_desc *table = vq_indirect_table(vq, head);

		for (j = 0; j < total; j++) {
			fill_desc(&table[j], &bufs[j], j >= n_out, j + 1 < total, (uint16_t)(j + 1));
			if (j >= n_out)
				writable += bufs[j].len;
		}
		s->desc[head].addr = htole64(vq_dev_addr_of(vq, table));
		s->desc[head].len = htole32((uint32_t)total * sizeof(struct vring_desc));
		s->desc[head].flags = htole16(VRING_DESC_F_INDIRECT);
		s->desc[head].next = 0;
		last = head;
	} else {
		i = head;
		last = head;
		for (j = 0; j < total; j++) {
			fill_desc(&s->desc[i], &bufs[j], j >= n_out, j + 1 < total, s->next[i]);
			if (j >= n_out)
				writable += bufs[j].len;
			last = i;
			i = s->next[i];
		}
	}
	s->free_head = s->next[last];
	vq->num_free -= needed;
	vq->num_inflight++;

	chain = &vq->chains[head];
	chain->cookie = cookie;
	chain->writable_len = writable > UINT32_MAX ? UINT32_MAX : (uint32_t)writable;
	chain->ndescs = needed;
	chain->last = last;

	/* Not visible to the device until avail->idx moves past it. */
	set_avail_slot(s, (uint16_t)(s->avail_idx & (vq->size - 1)), head);
	s->avail_idx++;

	vq->stats.chains_added++;
	vq->stats.descs_added += needed;
	return 0;
}

uint16_t vq_split_add_bulk(struct virtqueue *vq, const struct vq_buf *bufs, void *const *cookies,
			   uint16_t n, bool writable)
{
	struct vq_split *s = &vq->split;
	uint16_t mask = (uint16_t)(vq->size - 1), i;

	if (n > vq->num_free) {
		vq->stats.ring_full++;
		n = vq->num_free;
	}
	/* vq_split_add() for a one-buffer direct chain, n times over. */
	for (i = 0; i < n; i++) {
		uint16_t head = s->free_head;
		struct vq_chain *chain = &vq->chains[head];

		fill_desc(&s->desc[head], &bufs[i], writable, false, 0);
		s->free_head = s->next[head];
		chain->cookie = cookies[i];
		chain->writable_len = writable ? bufs[i].len : 0;
		chain->ndescs = 1;
		chain->last = head;
		set_avail_slot(s, (uint16_t)((s->avail_idx + i) & mask), head);
	}
	s->avail_idx = (uint16_t)(s->avail_idx + n);
	vq->num_free = (uint16_t)(vq->num_free - n);
	vq->num_inflight = (uint16_t)(vq->num_inflight + n);
	vq->stats.chains_added += n;
	vq->stats.descs_added += n;
	/* Published at once, as the packed ring's are (see vq_add_bulk()). */
	vq_split_publish(vq);
	return n;
}

void vq_split_publish(struct virtqueue *vq)
{
	struct vq_split *s = &vq->split;

	if (s->avail_published == s->avail_idx)
		return;
	/*
	 * 2.7.13.3.1: "The driver MUST perform a suitable memory barrier before
	 * the idx update, to ensure the device sees the most up-to-date copy."
	 * A release store is that barrier and the update in one.
	 */
	__atomic_store_n(&s->avail->idx, htole16(s->avail_idx), __ATOMIC_RELEASE);
	s->avail_published = s->avail_idx;
}

bool vq_split_kick_prepare(struct virtqueue *vq)
{
	struct vq_split *s = &vq->split;
	uint16_t old_idx = s->kick_old_idx;
	uint16_t new_idx;
	bool needed;

	vq_split_publish(vq);
	new_idx = s->avail_idx;
	if (new_idx == old_idx)
		return false; /* nothing new: nothing to tell */
	s->kick_old_idx = new_idx;
	vq_kick_decided(vq);

	/*
	 * 2.7.13.4.1: "The driver MUST perform a suitable memory barrier before
	 * reading the flags or avail_event field, to avoid missing a
	 * notification." The idx store above must be seen before we read.
	 */
	vq_barrier_full();
	if (vq->event_idx)
		needed = vq_need_event(le16toh(VQ_READ_ONCE(*vq_split_avail_event(vq))), new_idx,
				       old_idx);
	else
		needed = !(le16toh(VQ_READ_ONCE(s->used->flags)) & VRING_USED_F_NO_NOTIFY);

	if (!needed)
		vq->stats.kicks_suppressed++;
	return needed;
}

static inline void free_chain(struct virtqueue *vq, uint16_t head)
{
	struct vq_split *s = &vq->split;
	struct vq_chain *chain = &vq->chains[head];

	if (vq->in_order) {
		s->oldest_head = (uint16_t)((chain->last + 1) & (vq->size - 1));
	} else {
		s->next[chain->last] = s->free_head;
		s->free_head = head;
	}
	vq->num_free += chain->ndescs;
	vq->num_inflight--;
	chain->cookie = NULL;
}

/* Give back the chain at @head, which the device said it wrote @used_len bytes into. */
static inline int complete_chain(struct virtqueue *vq, uint16_t head, uint32_t used_len,
				 void **cookie, uint32_t *len)
{
	struct vq_chain *chain = &vq->chains[head];
	uint32_t writable_len = chain->writable_len;

	*cookie = chain->cookie;
	free_chain(vq, head);
	return vq_used_outcome(vq, writable_len, used_len, len);
}

/* In order: the next chain of a batch the device completed with one entry. */
static inline int take_from_batch(struct virtqueue *vq, void **cookie, uint32_t *len)
{
	uint16_t head = vq->split.oldest_head;

	return complete_chain(vq, head, vq_batch_take_len(vq, head), cookie, len);
}

/*
 * In order: chains from the oldest in flight up to and including @head,
 * which is in flight; 0 if walking the chains never reaches it.
 */
static uint16_t batch_size(const struct virtqueue *vq, uint16_t head)
{
	uint16_t h = vq->split.oldest_head, n;

	for (n = 1; n <= vq->num_inflight; n++) {
		if (h == head)
			return n;
		h = (uint16_t)((vq->chains[h].last + 1) & (vq->size - 1));
	}
	return 0;
}

/*
 * Entries the device has announced and we have not read, or
 * -ENOTRECOVERABLE when its index is garbage (the queue is then broken).
 *
 * The device's index is read only when the entries it announced last time
 * are used up: it sits on a cache line the device keeps writing, and one
 * load per burst is cheaper than one per entry.
 */
static inline int split_used_pending(struct virtqueue *vq)
{
	struct vq_split *s = &vq->split;

	if (s->last_used_idx == s->used_idx_seen) {
		/*
		 * 2.7.14: the used ring entries are valid once idx covers them;
		 * the acquire orders our reads of them (and our reuse of the
		 * buffers) after this load.
		 */
		uint16_t used_idx = le16toh(__atomic_load_n(&s->used->idx, __ATOMIC_ACQUIRE));

		/*
		 * The device cannot have more entries outstanding than the ring
		 * holds. A larger step (or one backwards) means its index is
		 * garbage, and nothing after it can be trusted.
		 */
		if ((uint16_t)(used_idx - s->last_used_idx) > vq->size) {
			vq_mark_broken(vq, VQ_REFUSE_IDX_JUMP);
			return -ENOTRECOVERABLE;
		}
		s->used_idx_seen = used_idx;
	}
	return (uint16_t)(s->used_idx_seen - s->last_used_idx);
}

/*
 * A used entry may name a chain only the device could have seen. One added
 * but not yet published, given back, would leave its head in the avail
 * ring for the next publish to hand over with its buffers already freed
 * (the device then writing into them). Chains still unpublished when the
 * caller takes used ones are published first: whatever the device says of
 * them is then what it could say of any chain it has.
 */
static inline void split_publish_before_use(struct virtqueue *vq)
{
	if (vq->split.avail_published != vq->split.avail_idx)
		vq_split_publish(vq);
}

static inline int split_get_used(struct virtqueue *vq, void **cookie, uint32_t *len)
{
	struct vq_split *s = &vq->split;
	struct vring_used_elem *elem;
	uint32_t id, used_len;
	int pending;

	if (vq->batch_pending)
		return take_from_batch(vq, cookie, len);
	split_publish_before_use(vq);

	for (;;) {
		pending = split_used_pending(vq);
		if (pending <= 0)
			return pending;

		elem = &s->used->ring[s->last_used_idx & (vq->size - 1)];
		id = le32toh(VQ_READ_ONCE(elem->id));
		used_len = le32toh(VQ_READ_ONCE(elem->len));

		/* Refuse entries that name no chain of ours, and read the next one. */
		if (id >= vq->size) {
			s->last_used_idx++;
			vq_refuse(vq, VQ_REFUSE_ID_RANGE);
			continue;
		}
		if (vq->chains[id].cookie == NULL) {
			s->last_used_idx++;
			vq_refuse(vq, VQ_REFUSE_ID_NOT_INFLIGHT);
			continue;
		}

		if (vq->in_order && id != s->oldest_head) {
			uint16_t batch = batch_size(vq, (uint16_t)id);

			/*
			 * 2.7.8: in order, the device may write one entry for a
			 * batch, naming its last chain, "and increments the used
			 * idx by the size of the batch". An index that did not
			 * move that far cannot be right.
			 */
			if (batch == 0 || batch > pending) {
				vq_mark_broken(vq, VQ_REFUSE_IDX_JUMP);
				return -ENOTRECOVERABLE;
			}
			s->last_used_idx = (uint16_t)(s->last_used_idx + batch);
			vq->batch_pending = true;
			vq->batch_id = (uint16_t)id;
			vq->batch_len = used_len;
			return take_from_batch(vq, cookie, len);
		}
		s->last_used_idx++;
		return complete_chain(vq, (uint16_t)id, used_len, cookie, len);
	}
}

int vq_split_get_used(struct virtqueue *vq, void **cookie, uint32_t *len)
{
	return split_get_used(vq, cookie, len);
}

/*
 * The common case in a run: the entries the used index covers, each
 * naming a chain in flight (in order: the oldest) with a length within
 * it, taken with the counters in locals and stored once. The first entry
 * that is anything else (an id out of range or not in flight, an in-order
 * batch entry, a length past the buffer) ends the run; split_get_used()
 * takes it from there and refuses, skips or breaks as always. Returns the
 * entries taken.
 */
static uint16_t split_used_run(struct virtqueue *vq, void **cookies, uint32_t *lens, uint16_t max)
{
	struct vq_split *s = &vq->split;
	uint16_t last = s->last_used_idx, mask = (uint16_t)(vq->size - 1), n = 0, freed = 0;
	int pending;

	if (vq->batch_pending || vq->broken)
		return 0;
	split_publish_before_use(vq);
	pending = split_used_pending(vq);
	if (pending <= 0)
		return 0;
	if (pending > max)
		pending = max;
	while (n < pending) {
		const struct vring_used_elem *elem = &s->used->ring[(uint16_t)(last + n) & mask];
		uint32_t id = le32toh(VQ_READ_ONCE(elem->id));
		uint32_t used_len = le32toh(VQ_READ_ONCE(elem->len));
		struct vq_chain *chain;

		if (id >= vq->size)
			break;
		chain = &vq->chains[id];
		if (chain->cookie == NULL || (vq->in_order && id != s->oldest_head) ||
		    used_len > chain->writable_len)
			break;
		cookies[n] = chain->cookie;
		if (lens != NULL)
			lens[n] = used_len;
		chain->cookie = NULL;
		if (vq->in_order) {
			s->oldest_head = (uint16_t)((chain->last + 1) & mask);
		} else {
			s->next[chain->last] = s->free_head;
			s->free_head = (uint16_t)id;
		}
		freed = (uint16_t)(freed + chain->ndescs);
		n++;
	}
	s->last_used_idx = (uint16_t)(last + n);
	vq->num_free = (uint16_t)(vq->num_free + freed);
	vq->num_inflight = (uint16_t)(vq->num_inflight - n);
	vq->stats.chains_used += n;
	return n;
}

uint16_t vq_split_get_used_bulk(struct virtqueue *vq, void **cookies, uint32_t *lens, uint16_t max)
{
	uint16_t n = split_used_run(vq, cookies, lens, max);

	if (n == max)
		return n;
	return (uint16_t)(n + vq_get_used_loop(vq, split_get_used, cookies + n,
					      lens != NULL ? lens + n : NULL, (uint16_t)(max - n)));
}

/*
 * In order, the used index alone says how many chains are done, oldest
 * first (2.7.8: a batch moves it by its size whatever entries the device
 * wrote). Counting from it leaves the used ring's entries unread: the
 * cache lines the device keeps writing stay in its core, and nothing they
 * hold can point us at a chain not in flight.
 */
static uint16_t split_reclaim_in_order(struct virtqueue *vq, void **cookies, uint16_t max)
{
	struct vq_split *s = &vq->split;
	uint16_t n = 0, take, i;
	uint32_t len_unused;
	int pending;

	/* A batch vq_get_used() began: its chains are already counted off the index. */
	while (vq->batch_pending && n < max) {
		/* A refused length still gives the chain back: a reclaim frees it all the same. */
		take_from_batch(vq, &cookies[n], &len_unused);
		n++;
	}
	if (n == max)
		return n;

	split_publish_before_use(vq);
	/*
	 * More done than in flight means the index is garbage too. Checked on
	 * every call: vq_get_used() may have read the index, and it only
	 * bounds it by the ring size.
	 */
	pending = split_used_pending(vq);
	if (pending < 0)
		return n;
	if (pending > vq->num_inflight) {
		vq_mark_broken(vq, VQ_REFUSE_IDX_JUMP);
		return n;
	}
	take = pending < max - n ? (uint16_t)pending : (uint16_t)(max - n);
	for (i = 0; i < take; i++) {
		uint16_t head = s->oldest_head;

		cookies[n++] = vq->chains[head].cookie;
		free_chain(vq, head);
	}
	s->last_used_idx = (uint16_t)(s->last_used_idx + take);
	vq->stats.chains_used += take;
	return n;
}

uint16_t vq_split_reclaim_bulk(struct virtqueue *vq, void **cookies, uint16_t max)
{
	if (vq->in_order)
		return split_reclaim_in_order(vq, cookies, max);
	return vq_get_used_loop(vq, split_get_used, cookies, NULL, max);
}

bool vq_split_has_used(const struct virtqueue *vq)
{
	return le16toh(VQ_READ_ONCE(vq->split.used->idx)) != vq->split.last_used_idx;
}

bool vq_split_enable_cb(struct virtqueue *vq)
{
	struct vq_split *s = &vq->split;

	if (vq->event_idx) {
		/*
		 * 2.7.7.2: "The driver MAY use used_event to advise the device that
		 * notifications are unnecessary until the device writes an entry
		 * with an index specified by used_event": the entry we read next.
		 */
		VQ_WRITE_ONCE(*vq_split_used_event(vq), htole16(s->last_used_idx));
	} else {
		s->avail_flags &= (uint16_t)~VRING_AVAIL_F_NO_INTERRUPT;
		VQ_WRITE_ONCE(s->avail->flags, htole16(s->avail_flags));
	}
	__atomic_store_n(&vq->cb_enabled, true, __ATOMIC_RELAXED);
	/*
	 * 2.7, Receiving Used Buffers From The Device: "beware the problem
	 * of missing notifications between emptying the ring and reenabling
	 * notifications. This is usually handled by re-checking for more
	 * used buffers after notifications are re-enabled". The store above and the load of the used index
	 * below are a store then a load of another location: only a full
	 * fence keeps the device from having written an entry we do not see
	 * while it still read the old request (the spec's mb()).
	 */
	vq_barrier_full();
	return vq->batch_pending || vq_split_has_used(vq);
}

void vq_split_disable_cb(struct virtqueue *vq)
{
	struct vq_split *s = &vq->split;

	if (vq->event_idx) {
		/*
		 * 2.7.7.2: with EVENT_IDX "The driver MUST set flags to 0"; instead
		 * name an entry already behind us, so the device's used index will
		 * not reach it again for 65535 entries ("The driver MUST handle
		 * spurious notifications from the device" covers that one).
		 */
		VQ_WRITE_ONCE(*vq_split_used_event(vq), htole16((uint16_t)(s->last_used_idx - 1)));
	} else {
		s->avail_flags |= VRING_AVAIL_F_NO_INTERRUPT;
		VQ_WRITE_ONCE(s->avail->flags, htole16(s->avail_flags));
	}
	/*
	 * No fence: "Neither of these notification suppression methods are
	 * reliable" (2.7.7); a notification the device sends before it sees
	 * this is a spurious one, which the driver must take anyway.
	 */
	__atomic_store_n(&vq->cb_enabled, false, __ATOMIC_RELAXED);
}

void *vq_split_detach_unused(struct virtqueue *vq)
{
	void *cookie;
	uint16_t i;

	if (vq->num_inflight == 0)
		return NULL;
	/* In order, detach oldest first so the ring positions stay consistent. */
	if (vq->in_order) {
		i = vq->split.oldest_head;
		cookie = vq->chains[i].cookie;
		free_chain(vq, i);
		return cookie;
	}
	for (i = 0; i < vq->size; i++) {
		if (vq->chains[i].cookie != NULL) {
			cookie = vq->chains[i].cookie;
			free_chain(vq, i);
			return cookie;
		}
	}
	return NULL;
}

void vq_split_position(const struct virtqueue *vq, struct vq_position *pos)
{
	pos->avail_idx = vq->split.avail_idx;
	pos->avail_wrap = false;
	pos->used_idx = vq->split.last_used_idx;
	pos->used_wrap = false;
}
