/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device side of a packed virtqueue (virtio 1.2, section 2.8), written
 * for the unit tests so that the driver side in lib/ can be checked against
 * an independent reading of the spec.
 *
 * The model assumes device address == process address: tests create the
 * queue with ring_dev_addr = (uintptr_t)ring_mem and buffers whose addr is
 * a pointer. It reads the ring through the *_dev addresses of
 * vq_ring_addrs(), so a queue that reports wrong device addresses is caught
 * as well.
 *
 * It checks what a strict device would check of the driver (descriptors of
 * a chain all available with the right wrap counters, writable buffers after
 * readable ones, no NEXT beside INDIRECT, no id reused while the device
 * holds it) and reports a violation as -EPROTO with a message, rather than
 * trusting the driver. It also offers raw writers so that tests can play a
 * malicious device.
 *
 * Threading: none. A model is driven by the test's thread, interleaved with
 * the driver's calls; the fences are there because a real device runs
 * concurrently and the model should read and write in the spec's order.
 */
#ifndef VPMD_TEST_MODEL_PACKED_H
#define VPMD_TEST_MODEL_PACKED_H

#include <stdbool.h>
#include <stdint.h>

#include <vpmd/virtio_spec.h>
#include <vpmd/virtqueue.h>

/* Longest chain the model records, direct or indirect. */
#define MODEL_PACKED_MAX_BUFS 64

/** One buffer of a chain as the device sees it. */
struct model_packed_buf {
	uint64_t addr;
	uint32_t len;
	bool write; /* device-writable */
};

/** A chain read by model_packed_pop(). */
struct model_packed_chain {
	uint16_t id;	     /* buffer id, from the chain's last ring descriptor */
	bool ids_differ;     /* the chain's ring descriptors carry different ids */
	uint16_t head;	     /* ring slot of the first descriptor */
	bool head_wrap;	     /* avail wrap counter the head was read with */
	uint16_t ndescs;     /* ring slots the chain takes: 1 when indirect */
	uint16_t head_flags; /* flags of the first ring descriptor, as read */
	bool indirect;
	uint64_t table_addr; /* indirect: device address and length of the table */
	uint32_t table_len;
	uint16_t nbufs;
	uint16_t n_out;	   /* device-readable buffers */
	uint16_t n_in;	   /* device-writable buffers */
	uint64_t readable; /* bytes */
	uint64_t writable;
	struct model_packed_buf bufs[MODEL_PACKED_MAX_BUFS];
};

struct model_packed {
	struct vring_packed_desc *desc;
	struct vring_packed_desc_event *driver_event; /* the driver writes it */
	struct vring_packed_desc_event *device_event; /* the model writes it */
	uint16_t size;
	uint64_t features; /* negotiated: INDIRECT_DESC and EVENT_IDX matter */

	/* Next slot the device reads, and the wrap counter it expects there. */
	uint16_t avail_idx;
	bool avail_wrap;
	/* Next slot the device writes a used descriptor to, and its wrap counter. */
	uint16_t used_idx;
	bool used_wrap;

	/*
	 * Free-running counts of ring slots read and given back since reset.
	 * Slot n of this count is ring slot n % size in lap n / size, whose
	 * wrap counter is 1 for even laps: the positions above follow from
	 * them, and event checks compare them without modular puzzles.
	 */
	uint64_t avail_count;
	uint64_t used_count;
	uint64_t signalled_count; /* used_count at the last interrupt decision */

	/* Per buffer id: ring slots of the chain the device holds, 0 when none. */
	uint16_t *held;
	uint32_t nheld;

	uint64_t chains_popped;
	uint64_t used_written;
	char err[192]; /* why the last call returned -EPROTO */
};

/**
 * Attach a model to a queue's ring, as the device would after the
 * transport gave it @addrs. The device event suppression is left as the
 * ring holds it (zeroed by vq_create: ENABLE). Returns 0 or -ENOMEM.
 */
int model_packed_init(struct model_packed *m, const struct vq_ring_addrs *addrs, uint16_t size,
		      uint64_t features);
void model_packed_fini(struct model_packed *m);

/** Back to the start state (both wrap counters 1, slot 0), as after a device reset. */
void model_packed_reset(struct model_packed *m);

/** Ring slot and wrap counter of the free-running slot count @count. */
void model_packed_position(uint16_t size, uint64_t count, uint16_t *idx, bool *wrap);

/** True if a descriptor is available at the device's next avail slot. */
bool model_packed_avail_ready(const struct model_packed *m);

/**
 * Read the next available chain into @chain and advance past it.
 * Returns 1, 0 when nothing is available, or -EPROTO when the driver broke
 * the spec (message in m->err; nothing consumed).
 */
int model_packed_pop(struct model_packed *m, struct model_packed_chain *chain);

/**
 * Write a used descriptor for buffer @id with @len written bytes at the
 * device's used slot and skip @ndescs slots. VRING_DESC_F_WRITE is set
 * when @len is not 0 (2.8.4: the driver may ignore len without it).
 * Releases @id if the device held it. Returns 0, or -ERANGE if that would
 * give back slots the device never read.
 */
int model_packed_push(struct model_packed *m, uint16_t id, uint32_t len, uint16_t ndescs);

/**
 * In-order batch (2.8.9 with VIRTIO_F_IN_ORDER): one used descriptor with
 * the id of the last of @ids and @len, skipping the slots of all of them.
 * Every id must be held. Returns 0, -EINVAL or -ERANGE.
 */
int model_packed_push_batch(struct model_packed *m, const uint16_t *ids, unsigned int n,
			    uint32_t len);

/** Flags a used descriptor carries when written with wrap counter @wrap. */
uint16_t model_packed_used_flags(bool wrap);

/**
 * Raw writer for malformed cases: store @id, @len, then @flags (release)
 * into ring slot @slot, without moving any position.
 */
void model_packed_write_desc(struct model_packed *m, uint16_t slot, uint16_t id, uint32_t len,
			     uint16_t flags);

/** Move the used position by @ndescs slots without writing. */
void model_packed_skip_used(struct model_packed *m, uint16_t ndescs);

/** off_wrap value for slot @off with wrap counter @wrap. */
uint16_t model_packed_off_wrap(uint16_t off, bool wrap);

/** Write the device event suppression (2.8.10): whether the device wants kicks. */
void model_packed_set_device_event(struct model_packed *m, uint16_t flags, uint16_t off_wrap);

/**
 * The device's decision whether to interrupt the driver for the used
 * descriptors written since the last decision, from the driver event
 * suppression: ENABLE yes, DISABLE no, DESC iff its slot/wrap was written
 * in that range. Starts a new range. Returns 1, 0, or -EPROTO for flags the
 * driver may not write (DESC without EVENT_IDX, reserved values).
 */
int model_packed_need_interrupt(struct model_packed *m);

/** True if DESC event @off_wrap names a slot in the counts [from, to). */
bool model_packed_event_in_range(uint16_t size, uint16_t off_wrap, uint64_t from, uint64_t to);

#endif /* VPMD_TEST_MODEL_PACKED_H */
