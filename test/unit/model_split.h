/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device side of a split virtqueue (virtio 1.2, section 2.7), for tests.
 *
 * The model plays the device against a driver-side struct virtqueue: it
 * reads the available ring and the descriptor tables the driver wrote,
 * checks every driver requirement it can see (bounds, loops, descriptor
 * ownership, flag rules) and writes used entries. It trusts nothing the
 * driver wrote, so a driver bug shows up as a model error rather than as a
 * wild read.
 *
 * Addresses: in tests the device address of ring memory and buffers is the
 * process pointer, so the model dereferences device addresses directly.
 *
 * Besides the well-behaved operations, the model gives raw access (used
 * entries with any id/len, any used->idx) so tests can play a malicious
 * device. It is also meant for other tests (e.g. the JSON snapshot), so it
 * keeps its state in plain fields a test may read.
 *
 * Threading: none; one test drives both sides.
 */
#ifndef VPMD_TEST_MODEL_SPLIT_H
#define VPMD_TEST_MODEL_SPLIT_H

#include <stdbool.h>
#include <stdint.h>

#include <vpmd/virtio_spec.h>
#include <vpmd/virtqueue.h>

/* Longest chain (in buffers) model_split_pop() reports. */
#define MODEL_SPLIT_MAX_BUFS 256

/** One buffer of a chain as the device sees it. */
struct model_split_buf {
	uint64_t addr;
	uint32_t len;
	bool write; /* device-writable */
};

/** A chain the device took from the available ring. */
struct model_split_chain {
	uint16_t head;      /* descriptor index: the id to put in the used entry */
	uint16_t avail_idx; /* free-running available index it was read from */
	uint16_t n_descs;   /* descriptors of the ring table it occupies */
	bool indirect;      /* ended in an indirect table */
	uint64_t indirect_addr;
	uint32_t indirect_len; /* bytes of the table */
	uint16_t n_out;        /* readable buffers (they come first) */
	uint16_t n_in;         /* writable buffers */
	uint32_t out_bytes;
	uint32_t in_bytes;
	uint16_t n_bufs;
	struct model_split_buf bufs[MODEL_SPLIT_MAX_BUFS];
};

struct model_split {
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t size;
	uint64_t features;

	uint16_t last_avail; /* next available entry the device will read */
	uint16_t used_idx;   /* device's copy of used->idx, including unpublished entries */
	/* used->idx at the last interrupt decision (EVENT_IDX "old"). */
	uint16_t signalled_used;

	/*
	 * Ownership, to catch a driver reusing a descriptor the device still
	 * holds: owner[i] is head + 1 of the in-flight chain holding
	 * descriptor i, 0 when the driver owns it.
	 */
	uint32_t *owner;
	uint32_t *in_bytes; /* writable bytes of the in-flight chain by head */
	/* Heads taken and not yet used, in the order they were taken. */
	uint16_t *taken;
	uint32_t n_taken;

	char err[160]; /* why the last call failed */
};

/**
 * Attach @m to the rings of @vq, as a device would after the transport
 * gave it the addresses and the negotiated @features. The model starts at
 * index 0 on both rings (a fresh or reset queue). @m must be zeroed or
 * previously initialised (it is re-initialised then).
 * Returns 0, -ENOMEM.
 */
int model_split_init(struct model_split *m, const struct virtqueue *vq, uint64_t features);

/** Free the model's bookkeeping. Safe on a zeroed model. */
void model_split_fini(struct model_split *m);

/** Entries the driver published and the device has not taken. */
uint16_t model_split_avail_pending(const struct model_split *m);

/**
 * Take the next available chain into @c, following NEXT links and an
 * indirect table, checking the driver's side of section 2.7.
 * Returns 1 with @c filled; 0 when nothing is available; -EPROTO when the
 * driver broke a rule (m->err says which), -E2BIG for a chain longer than
 * MODEL_SPLIT_MAX_BUFS. On error the available entry is not consumed.
 */
int model_split_pop(struct model_split *m, struct model_split_chain *c);

/**
 * Return chain @id with @len bytes written: write the used entry, then
 * publish used->idx. If @id is a chain the model took, its descriptors go
 * back to the driver; any other id is written as is (for malformed-entry
 * tests), without complaint.
 */
void model_split_push(struct model_split *m, uint32_t id, uint32_t len);

/** Write a used entry without publishing it (see model_split_publish). */
void model_split_write_used(struct model_split *m, uint32_t id, uint32_t len);

/** Publish used->idx up to every entry written so far. */
void model_split_publish(struct model_split *m);

/**
 * In-order batch (2.7.9): complete every taken chain up to and including
 * @id with one used entry, written at the slot of the batch's first chain,
 * and move used->idx by the batch size. Returns the batch size, or
 * -ENOENT when @id is not a taken head (nothing written).
 */
int model_split_push_in_order(struct model_split *m, uint16_t id, uint32_t len);

/** Raw: write used entry @slot (taken mod size) without bookkeeping. */
void model_split_set_used_elem(struct model_split *m, uint16_t slot, uint32_t id, uint32_t len);

/** Raw: set and publish used->idx, e.g. to jump it. */
void model_split_set_used_idx(struct model_split *m, uint16_t idx);

/** Set or clear VRING_USED_F_NO_NOTIFY. */
void model_split_set_no_notify(struct model_split *m, bool no_notify);

/** Write avail_event (after used->ring[size]); meaningful with EVENT_IDX. */
void model_split_set_avail_event(struct model_split *m, uint16_t event);

/** used_event as the driver wrote it (after avail->ring[size]). */
uint16_t model_split_used_event(const struct model_split *m);

/** avail->flags as the driver wrote it. */
uint16_t model_split_avail_flags(const struct model_split *m);

/** avail->idx as the driver published it. */
uint16_t model_split_avail_idx(const struct model_split *m);

/**
 * The device's decision, after publishing used entries, whether to send a
 * used buffer notification (2.7.7.2): without EVENT_IDX, unless the driver
 * set VRING_AVAIL_F_NO_INTERRUPT; with it, when used->idx passed
 * used_event since the previous decision. Records this decision's index.
 */
bool model_split_need_interrupt(struct model_split *m);

/** vring_need_event() of the spec: true if @event is in [old, new). */
static inline bool model_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

#endif /* VPMD_TEST_MODEL_SPLIT_H */
