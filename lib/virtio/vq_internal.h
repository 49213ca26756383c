/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inside a virtqueue: the bookkeeping shared by the split and packed
 * implementations and the JSON renderer. Not part of the API.
 */
#ifndef VPMD_VQ_INTERNAL_H
#define VPMD_VQ_INTERNAL_H

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <vpmd/virtio_spec.h>
#include <vpmd/virtqueue.h>

/*
 * Memory ordering between the driver and a device running on another CPU.
 * The ring lives in ordinary cache-coherent memory shared with the device
 * (vhost-user maps it into the backend process), so C11 fences are the
 * right strength: they are what DPDK's rte_atomic_thread_fence() and
 * Linux's virt_*mb() with weak barriers compile to.
 */

/* Our earlier stores to the ring become visible before later ones. */
static inline void vq_barrier_before_publish(void)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

/*
 * A store followed by a load of another location (publish avail, then read
 * the device's suppression state): only a full fence orders these. On
 * x86 a locked add to the stack is one, as Linux's virt_mb() and DPDK's
 * rte_smp_mb() have it, at a fraction of mfence's cost (which the
 * compiler emits for a seq_cst fence). Adding zero leaves the word as it
 * was; DPDK's offset, away from the stack's top, keeps it off the line the
 * code just stored to.
 */
static inline void vq_barrier_full(void)
{
#if defined(__x86_64__)
	__asm__ volatile("lock addl $0, -128(%%rsp)" ::: "memory", "cc");
#else
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

/*
 * The device can rewrite shared memory at any time. Read each field it
 * owns exactly once into a local, check the local, and use only the local:
 * a second read could see a different, unchecked value.
 */
#define VQ_READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define VQ_WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

/* Per chain: indexed by head descriptor (split) or buffer id (packed). */
struct vq_chain {
	void *cookie;          /* NULL when no chain uses this slot */
	uint32_t writable_len; /* bytes the device may write */
	uint16_t ndescs;       /* ring descriptors held (1 if indirect) */
	uint16_t last;         /* split: last descriptor of the chain */
};

struct vq_split {
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t *next;           /* private copy of each descriptor's next link */
	uint16_t *avail_shadow;   /* private copy of avail->ring, which only we write */
	uint16_t free_head;       /* first free descriptor (in-order: next to use) */
	uint16_t avail_idx;       /* our next avail index, not yet published */
	uint16_t avail_published; /* last value stored to avail->idx */
	uint16_t kick_old_idx;    /* avail index at the previous kick decision */
	uint16_t last_used_idx;   /* next used entry we will read */
	uint16_t used_idx_seen;   /* used->idx when last read: entries before it are known valid */
	uint16_t avail_flags;     /* shadow of avail->flags, which only we write */
	uint16_t oldest_head;     /* in-order: head of the oldest chain in flight */
};

struct vq_packed_pending {
	uint16_t flags;  /* head descriptor flags to store at publish */
	uint16_t ndescs; /* ring slots of that chain */
};

struct vq_packed {
	struct vring_packed_desc *desc;
	struct vring_packed_desc_event *driver_event; /* we write: do we want interrupts */
	struct vring_packed_desc_event *device_event; /* device writes: does it want kicks */
	uint16_t *id_next;          /* free buffer-id list */
	uint16_t free_id;           /* head of that list; size when empty */
	uint16_t next_avail;        /* slot of our next descriptor */
	bool avail_wrap;            /* wrap counter of next_avail */
	uint16_t last_used;         /* slot of the next used descriptor */
	bool used_wrap;             /* wrap counter we expect there */
	uint16_t descs_since_kick;  /* descriptors made available since the last kick decision */
	/*
	 * Chains added but not yet published: their head flags wait in
	 * pending[head slot] until vq_publish() hands them over in order.
	 */
	struct vq_packed_pending *pending;
	uint16_t publish_slot;      /* head slot of the first unpublished chain */
	uint16_t pending_chains;
	uint16_t driver_event_flags; /* shadow of driver_event->flags */
};

struct virtqueue {
	enum vq_layout layout;
	uint16_t size;
	uint16_t index;
	uint16_t num_free;     /* free ring descriptors */
	uint16_t num_inflight; /* chains added and not yet returned */
	bool event_idx;
	bool in_order;
	bool broken;
	/*
	 * The device is asked for used buffer notifications (vq_enable_cb()).
	 * Read by other threads (vq_cb_enabled()): stored whole, atomically.
	 */
	bool cb_enabled;
	uint16_t indirect_max;
	/*
	 * In-order batch: the device returned one entry for several chains.
	 * We hand them back one per call until we reach batch_id.
	 */
	bool batch_pending;
	uint16_t batch_id;
	uint32_t batch_len;
	/* Packed, in order: used entries read with AVX-512 (vq_packed_avx512.c). */
	bool used_avx512;

	void *ring_mem;
	size_t ring_mem_size;
	uint64_t ring_dev_addr;
	size_t indirect_offset; /* of the indirect tables within ring_mem */
	size_t used_offset;     /* split: of the used ring within ring_mem */

	vq_notify_fn notify;
	void *notify_ctx;
	vq_refused_fn refused;
	void *refused_ctx;

	struct vq_stats stats;
	/* stats.descs_added at the last kick decision and at the last notification. */
	uint64_t kick_mark;
	uint64_t notify_mark;
	uint32_t kick_decided; /* descriptors the last decision published */
	enum vq_refuse_reason broken_reason; /* what broke it, while broken */

	union {
		struct vq_split split;
		struct vq_packed packed;
	};
	struct vq_chain chains[];
};

static inline uint64_t vq_dev_addr_of(const struct virtqueue *vq, const void *p)
{
	return vq->ring_dev_addr + (uint64_t)((const char *)p - (const char *)vq->ring_mem);
}

static inline void *vq_indirect_table(const struct virtqueue *vq, uint16_t slot)
{
	return (char *)vq->ring_mem + vq->indirect_offset +
	       (size_t)slot * vq->indirect_max * sizeof(struct vring_desc);
}

static inline void vq_refuse(struct virtqueue *vq, enum vq_refuse_reason reason)
{
	vq->stats.refused[reason]++;
	if (vq->refused != NULL)
		vq->refused(vq->refused_ctx, vq, reason);
}

static inline void vq_mark_broken(struct virtqueue *vq, enum vq_refuse_reason reason)
{
	vq_refuse(vq, reason);
	vq->broken_reason = reason;
	vq->broken = true;
}

/*
 * The outcome of a used entry whose chain is ours again: 1 with @used_len
 * in *len, or -EBADMSG (counted) when the device claims to have written
 * more than the chain's @writable_len: the buffers are back, the data is
 * not to be trusted. Both layouts end every completion here.
 */
static inline int vq_used_outcome(struct virtqueue *vq, uint32_t writable_len, uint32_t used_len,
				  uint32_t *len)
{
	if (used_len > writable_len) {
		vq_refuse(vq, VQ_REFUSE_LEN);
		return -EBADMSG;
	}
	*len = used_len;
	vq->stats.chains_used++;
	return 1;
}

/*
 * In order, a batch the device completed with one entry: the length for
 * its chain @id. The entry's length belongs to the chain it named, the
 * last; the chains before it wrote nothing the entry accounts for. Taking
 * the last ends the batch.
 */
static inline uint32_t vq_batch_take_len(struct virtqueue *vq, uint16_t id)
{
	if (id != vq->batch_id)
		return 0;
	vq->batch_pending = false;
	return vq->batch_len;
}

/*
 * A kick decision found something new to publish: remember what it
 * covered (vq_get_kick_info), before deciding whether to notify.
 */
static inline void vq_kick_decided(struct virtqueue *vq)
{
	vq->kick_decided = (uint32_t)(vq->stats.descs_added - vq->kick_mark);
	vq->kick_mark = vq->stats.descs_added;
}

/*
 * The event-index rule (virtio 1.2, 2.7.10): notify if the index @event
 * the other side asked about lies in (old, new]. 16-bit arithmetic makes
 * it work across index wrap.
 */
static inline bool vq_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

/*
 * The loop of vq_get_used_bulk(): up to @max results of @get_used, a
 * refused length stored as VQ_LEN_REFUSED, lengths dropped when @lens is
 * NULL. Each layout instantiates it with its own get_used, which then
 * inlines into the loop instead of being called once per entry.
 */
static inline __attribute__((always_inline)) uint16_t
vq_get_used_loop(struct virtqueue *vq, int (*get_used)(struct virtqueue *, void **, uint32_t *),
		 void **cookies, uint32_t *lens, uint16_t max)
{
	uint32_t len_unused;
	uint16_t n = 0;

	while (n < max) {
		uint32_t *len = lens != NULL ? &lens[n] : &len_unused;
		int rc = get_used(vq, &cookies[n], len);

		if (rc == 1) {
			n++;
		} else if (rc == -EBADMSG) {
			*len = VQ_LEN_REFUSED;
			n++;
		} else {
			break; /* nothing pending, or (now) broken */
		}
	}
	return n;
}

/* vq_packed_avx512.c: false where it is not built (not x86-64). */
bool vq_packed_avx512_compiled(void);
uint16_t vq_packed_used_lines_avx512(struct virtqueue *vq, void **cookies, uint32_t *lens,
				     uint16_t max);

/* Layout-specific halves, dispatched from virtqueue.c. */
size_t vq_split_mem_layout(uint16_t size, uint32_t used_align, size_t *used_offset);
uint16_t *vq_split_used_event(const struct virtqueue *vq);
uint16_t *vq_split_avail_event(const struct virtqueue *vq);
void vq_split_init(struct virtqueue *vq);
int vq_split_add(struct virtqueue *vq, const struct vq_buf *bufs, uint16_t n_out, uint16_t n_in,
		 void *cookie, bool indirect);
uint16_t vq_split_add_bulk(struct virtqueue *vq, const struct vq_buf *bufs, void *const *cookies,
			   uint16_t n, bool writable);
void vq_split_publish(struct virtqueue *vq);
bool vq_split_kick_prepare(struct virtqueue *vq);
int vq_split_get_used(struct virtqueue *vq, void **cookie, uint32_t *len);
uint16_t vq_split_get_used_bulk(struct virtqueue *vq, void **cookies, uint32_t *lens, uint16_t max);
uint16_t vq_split_reclaim_bulk(struct virtqueue *vq, void **cookies, uint16_t max);
bool vq_split_has_used(const struct virtqueue *vq);
bool vq_split_enable_cb(struct virtqueue *vq);
void vq_split_disable_cb(struct virtqueue *vq);
void *vq_split_detach_unused(struct virtqueue *vq);
void vq_split_position(const struct virtqueue *vq, struct vq_position *pos);

size_t vq_packed_mem_layout(uint16_t size);
void vq_packed_init(struct virtqueue *vq);
int vq_packed_add(struct virtqueue *vq, const struct vq_buf *bufs, uint16_t n_out, uint16_t n_in,
		  void *cookie, bool indirect);
uint16_t vq_packed_add_bulk(struct virtqueue *vq, const struct vq_buf *bufs, void *const *cookies,
			    uint16_t n, bool writable);
void vq_packed_publish(struct virtqueue *vq);
bool vq_packed_kick_prepare(struct virtqueue *vq);
int vq_packed_get_used(struct virtqueue *vq, void **cookie, uint32_t *len);
uint16_t vq_packed_get_used_bulk(struct virtqueue *vq, void **cookies, uint32_t *lens, uint16_t max);
uint16_t vq_packed_reclaim_bulk(struct virtqueue *vq, void **cookies, uint16_t max);
bool vq_packed_has_used(const struct virtqueue *vq);
bool vq_packed_enable_cb(struct virtqueue *vq);
void vq_packed_disable_cb(struct virtqueue *vq);
void *vq_packed_detach_unused(struct virtqueue *vq);
void vq_packed_position(const struct virtqueue *vq, struct vq_position *pos);

#endif /* VPMD_VQ_INTERNAL_H */
