/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Driver side of a virtqueue, split or packed layout.
 *
 * The caller owns the ring memory (it must be visible to the device, e.g. a
 * DPDK memzone) and tells us both its address in this process and the
 * address the device uses for it. The virtqueue owns only its bookkeeping.
 *
 * Usage, as in Linux's virtio_ring: add chains with vq_add(), then
 * vq_kick() once per batch; poll completions with vq_get_used().
 *
 * Everything the device writes (used ids, lengths, indexes, wrap counters)
 * is validated before use. A bad entry is refused and counted by reason in
 * struct vq_stats; when the queue cannot go on it is marked broken and
 * every call fails with -ENOTRECOVERABLE until it is reset.
 *
 * Threading: one virtqueue is used by one thread at a time. vq_stats and
 * the JSON snapshot may be read from another thread: they see plain loads
 * of fields that are only ever stored whole, so a reader gets a value that
 * was true recently, never a torn one.
 */
#ifndef VPMD_VIRTQUEUE_H
#define VPMD_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum vq_layout {
	VQ_LAYOUT_SPLIT,
	VQ_LAYOUT_PACKED,
};

/** Why a used entry was refused. Indexes vq_stats.refused[]. */
enum vq_refuse_reason {
	VQ_REFUSE_ID_RANGE,     /* used id >= queue size */
	VQ_REFUSE_ID_NOT_INFLIGHT, /* used id names no chain we made available */
	VQ_REFUSE_LEN,          /* used length > the chain's writable bytes */
	VQ_REFUSE_WRAP,         /* packed: used descriptor with the wrong wrap counter,
				   or a used descriptor where none was available */
	VQ_REFUSE_IDX_JUMP,     /* split: used index moved by more than the ring size */
	VQ_REFUSE_MAX,
};

/** Short stable name of a refuse reason ("id_range", ...), for xstats and JSON. */
const char *vq_refuse_reason_name(enum vq_refuse_reason reason);

/** Counters of one virtqueue. Only the queue's thread writes them. */
struct vq_stats {
	uint64_t chains_added;   /* chains made available */
	uint64_t descs_added;    /* ring descriptors used by those chains */
	uint64_t chains_used;    /* chains returned by the device and accepted */
	uint64_t kicks;          /* notifications sent */
	uint64_t kicks_suppressed; /* kick checks where the device asked not to be told */
	uint64_t ring_full;      /* adds refused or cut short: no room (vq_count_ring_full()) */
	uint64_t refused[VQ_REFUSE_MAX];
};

/** Device notification callback, usually the transport's notify op. */
typedef int (*vq_notify_fn)(void *ctx, uint16_t queue_index);

struct virtqueue;

/**
 * Called for each used entry the queue refuses, after vq_stats counted it,
 * on the queue's thread inside the call that read the entry. Refusals are
 * rare (a buggy or hostile device): the hook costs nothing until one comes.
 */
typedef void (*vq_refused_fn)(void *ctx, const struct virtqueue *vq,
			      enum vq_refuse_reason reason);

/* Features the virtqueue itself acts upon (bits of the negotiated set). */
struct vq_config {
	enum vq_layout layout;
	uint16_t size;     /* descriptors; power of two for split, <= 32768 */
	uint16_t index;    /* queue index on the device, passed to notify */
	uint64_t features; /* negotiated features: EVENT_IDX, INDIRECT_DESC, IN_ORDER */
	/*
	 * Split only: alignment of the used ring. 0 means the virtio 1.x
	 * minimum (4); legacy transports pass VRING_LEGACY_ALIGN.
	 */
	uint32_t used_align;
	/*
	 * Room for one indirect table of this many descriptors per chain,
	 * carved out of the ring memory. 0: no indirect chains. Needs
	 * INDIRECT_DESC in features.
	 */
	uint16_t indirect_max;
	vq_notify_fn notify;
	void *notify_ctx;
	vq_refused_fn refused; /* NULL: none */
	void *refused_ctx;
	/*
	 * The widest vector instructions the queue may use, in bits: 0 for
	 * none. The caller's to decide from what the CPU has and what the
	 * application allows (DPDK: rte_vect_get_max_simd_bitwidth()); at 512
	 * a packed in-order queue reads used descriptors with AVX-512.
	 */
	uint16_t max_simd_bits;
};

/** One buffer of a chain. */
struct vq_buf {
	uint64_t addr; /* device address */
	uint32_t len;
};

/** Flags of vq_add(). */
#define VQ_ADD_INDIRECT 1u /* put the chain in an indirect table */

/** Addresses the transport gives the device. */
struct vq_ring_addrs {
	void *desc;            /* descriptor table / packed ring */
	void *driver_area;     /* split: available ring; packed: driver event suppression */
	void *device_area;     /* split: used ring; packed: device event suppression */
	uint64_t desc_dev;     /* the same three, as device addresses */
	uint64_t driver_area_dev;
	uint64_t device_area_dev;
};

struct virtqueue;

/**
 * Bytes of ring memory a queue needs for @cfg (layout, size, used_align,
 * indirect_max), including its indirect tables. The memory must be
 * aligned to 64 bytes. Returns 0 for an invalid configuration.
 */
size_t vq_ring_mem_size(const struct vq_config *cfg);

/**
 * Create a virtqueue over @ring_mem (vq_ring_mem_size() bytes, 64-byte
 * aligned, zeroed by this call) whose device address is @ring_dev_addr.
 * The queue starts with device-to-driver notifications disabled, as a
 * poll-mode driver wants; vq_enable_cb() turns them on.
 * On success stores the queue in @out and returns 0; -EINVAL for a bad
 * configuration, -ENOMEM.
 */
int vq_create(const struct vq_config *cfg, void *ring_mem, uint64_t ring_dev_addr,
	      struct virtqueue **out);

/** Free the bookkeeping (not the ring memory, not the cookies). NULL is fine. */
void vq_destroy(struct virtqueue *vq);

/**
 * Forget all state and zero the ring memory, as after a device reset.
 * In-flight cookies are lost: detach them first with vq_detach_unused().
 * The counters (vq_get_stats) are kept across resets.
 */
void vq_reset(struct virtqueue *vq);

/**
 * Make a chain available: @n_out device-readable buffers followed by
 * @n_in device-writable ones, tagged with @cookie (not NULL), which
 * vq_get_used() gives back. The device does not see it until vq_kick()
 * or vq_publish().
 *
 * Returns 0; -ENOSPC when the ring has no room (counted in ring_full);
 * -EINVAL for an empty chain, a NULL cookie, or VQ_ADD_INDIRECT without
 * indirect tables or with more than indirect_max buffers;
 * -ENOTRECOVERABLE when the queue is broken.
 */
int vq_add(struct virtqueue *vq, const struct vq_buf *bufs, uint16_t n_out, uint16_t n_in,
	   void *cookie, unsigned int flags);

/**
 * Add @n chains of one buffer each, bufs[i] tagged with cookies[i] (not
 * NULL), all device-writable if @writable, and publish them: what vq_add()
 * one by one and then vq_publish() would do, in one call (a burst of rx
 * buffers, or of packets whose header sits in their headroom). Chains
 * vq_add() left unpublished are published too, first. The device may see
 * each chain as soon as it is written: a packed ring is written a cache
 * line at a time, the flags of its descriptors last (the first slot's
 * last of all), so that the line is fetched from the device once and
 * handed over whole. Notifying is still the caller's (vq_kick()). Returns how
 * many were added, from the first: fewer than @n when the ring fills
 * (counted once in ring_full), 0 when the queue is broken or a cookie is
 * NULL.
 */
uint16_t vq_add_bulk(struct virtqueue *vq, const struct vq_buf *bufs, void *const *cookies,
		     uint16_t n, bool writable);

/** Make the chains added so far visible to the device, without notifying. */
void vq_publish(struct virtqueue *vq);

/**
 * Publish, then decide whether the device wants a notification for what
 * was published since the last decision (VRING_USED_F_NO_NOTIFY, or the
 * avail_event rule with EVENT_IDX; the packed ring's device event
 * suppression). Counts kicks_suppressed when it does not. With nothing
 * new since the last decision it returns false and counts nothing.
 */
bool vq_kick_prepare(struct virtqueue *vq);

/**
 * Notify the device through the callback, counting the kick. Returns its
 * result, or -ENOTRECOVERABLE (nothing sent) when the queue is broken.
 */
int vq_notify(struct virtqueue *vq);

/** vq_kick_prepare() then vq_notify() if needed. Returns true if it notified. */
bool vq_kick(struct virtqueue *vq);

/**
 * What the kick decisions covered, in ring descriptors, for tracing.
 * @decided: made available since the decision before the last one, i.e.
 * what the last vq_kick_prepare() that found something new published.
 * @since_notify: made available since the last notification, up to the
 * last decision: what a notification sent now tells the device of.
 * Call on the queue's thread, after vq_kick_prepare() and before
 * vq_notify(). Costs the datapath nothing: the marks are two stores per
 * decision on a line the decision writes anyway.
 */
struct vq_kick_info {
	uint32_t descs_decided;
	uint32_t descs_since_notify;
};
void vq_get_kick_info(const struct virtqueue *vq, struct vq_kick_info *info);

/**
 * Take the next used chain.
 *
 * Returns 1 with @cookie and @len (bytes the device wrote) filled;
 * 0 when nothing is pending;
 * -EBADMSG when the entry was refused but its chain is known: @cookie is
 *   given back so its buffers can be freed, and must not be delivered;
 * -ENOTRECOVERABLE when the queue is (now) broken.
 * Entries that name no chain are refused, counted and skipped.
 *
 * With IN_ORDER, a device may complete a batch with one entry naming its
 * last chain (split: written at the batch's first slot, the used index
 * moved by the batch size, 2.7.8; packed: one descriptor, the rest of the
 * batch's slots skipped, 2.8.9); the chains before it come back with @len
 * 0 (the device said nothing of them).
 *
 * Chains vq_add() left unpublished are published first (as by vq_publish(),
 * without notifying): a chain given back is then one the device had, and
 * no later publish hands it over again. The same holds for
 * vq_get_used_bulk() and vq_reclaim_bulk().
 */
int vq_get_used(struct virtqueue *vq, void **cookie, uint32_t *len);

/** A vq_get_used_bulk() length for an entry vq_get_used() returns -EBADMSG for. */
#define VQ_LEN_REFUSED UINT32_MAX

/**
 * Up to @max used chains, as vq_get_used() would return them one by one:
 * cookies[i] and lens[i]. An entry whose length was refused (-EBADMSG)
 * comes back with lens[i] == VQ_LEN_REFUSED: its buffers are free again,
 * their data not to be trusted. Returns the count; it stops early when
 * nothing more is pending or the queue is (now) broken (vq_is_broken()).
 */
uint16_t vq_get_used_bulk(struct virtqueue *vq, void **cookies, uint32_t *lens, uint16_t max);

/**
 * Up to @max chains the device is done with, oldest first, for a caller
 * that frees them without looking at lengths (transmit completions):
 * cookies only, refused lengths included. With IN_ORDER a split ring reads
 * only the device's used index, which counts the chains done, and never its
 * entries; a packed ring reads one descriptor per batch the device
 * completed. Without IN_ORDER it is vq_get_used_bulk() without the lengths.
 * Returns the count; it stops early as vq_get_used_bulk() does.
 */
uint16_t vq_reclaim_bulk(struct virtqueue *vq, void **cookies, uint16_t max);

/** True if vq_get_used() would find an entry now (it may still refuse it). */
bool vq_has_used(const struct virtqueue *vq);

/**
 * Ask the device to (not) interrupt for used buffers. With EVENT_IDX,
 * enabling arms used_event (split) or the DESC event (packed) at the
 * next entry. Returns true if entries are already pending after enabling,
 * so the caller must poll again rather than wait (Linux's
 * virtqueue_enable_cb race; the virtio spec's "re-checking for more used
 * buffers after notifications are re-enabled"). Disabling is advice the
 * device may see late: a notification can still come (a spurious one).
 * On the queue's thread, as the other calls.
 */
bool vq_enable_cb(struct virtqueue *vq);
void vq_disable_cb(struct virtqueue *vq);
/**
 * True while the device is asked for used buffer notifications: after
 * vq_enable_cb() and until vq_disable_cb() or vq_reset(); a queue is
 * created with them off. Safe from another thread: a recent value.
 */
bool vq_cb_enabled(const struct virtqueue *vq);

/**
 * Remove and return one in-flight cookie, for teardown; NULL when none is
 * left. Call only when the device no longer uses the queue.
 */
void *vq_detach_unused(struct virtqueue *vq);

/**
 * The path the queue's bulk calls take, for a reader: "avx512" (packed,
 * in order, max_simd_bits 512) or "scalar". Both make the same checks.
 */
const char *vq_datapath(const struct virtqueue *vq);

/** Free descriptors: how many single-buffer chains vq_add() would accept now. */
uint16_t vq_num_free(const struct virtqueue *vq);
/**
 * Count a ring-full event (stats.ring_full) for a caller that checks
 * vq_num_free() itself and stops short, rather than let vq_add() or
 * vq_add_bulk() refuse (they count their own).
 */
void vq_count_ring_full(struct virtqueue *vq);
/** Chains made available and not yet returned. */
uint16_t vq_num_inflight(const struct virtqueue *vq);
uint16_t vq_size(const struct virtqueue *vq);
uint16_t vq_index(const struct virtqueue *vq);
enum vq_layout vq_get_layout(const struct virtqueue *vq);
bool vq_is_broken(const struct virtqueue *vq);
/** The refuse reason's name that broke the queue ("idx_jump", ...), NULL if it is not broken. */
const char *vq_broken_reason(const struct virtqueue *vq);
const struct vq_stats *vq_get_stats(const struct virtqueue *vq);
/** Add every counter of @s to @sum (totals over virtqueues that came and went). */
void vq_stats_add(struct vq_stats *sum, const struct vq_stats *s);
void vq_ring_addrs(const struct virtqueue *vq, struct vq_ring_addrs *addrs);

/**
 * Driver-side ring position, as a transport needs to (re)start a device
 * on this queue (vhost-user SET_VRING_BASE) or as a reader shows it.
 * For split, avail_idx is the free-running 16-bit index; for packed it is
 * the next descriptor slot, with its wrap counter.
 */
struct vq_position {
	uint16_t avail_idx;
	bool avail_wrap;
	uint16_t used_idx; /* next used entry / slot the driver will read */
	bool used_wrap;
};
void vq_get_position(const struct virtqueue *vq, struct vq_position *pos);

/**
 * JSON snapshot: layout, size, indexes, wrap counters, notification
 * state, in-flight count, counters, and descriptors [start, start+count)
 * clamped to the ring (count 0: none). Safe to call from another thread
 * while the queue runs (values are recent, not atomic as a whole).
 * Returns a new reference, or NULL (errno set: EINVAL for start beyond
 * the ring, ENOMEM).
 */
json_t *vq_to_json(const struct virtqueue *vq, uint32_t start, uint32_t count);

#endif /* VPMD_VIRTQUEUE_H */
