/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The virtqueue scenario the two vq targets share. Input layout:
 *
 *   byte 0: queue size (2 << (b & 3)), EVENT_IDX (bit 2), IN_ORDER (bit 3),
 *           indirect tables of 4 (bit 4)
 *   then operations, one byte each followed by its arguments:
 *     add a chain, add a burst, kick, enable/disable notifications,
 *     device: complete the next available chain as a good device would,
 *     device: write any used entry / descriptor, or any used index,
 *     driver: vq_get_used, vq_get_used_bulk, vq_reclaim_bulk, reset.
 *
 * What must hold whatever the device writes: every cookie given back was
 * in flight and comes back once; a length handed out never exceeds the
 * chain's writable bytes; the queue's in-flight count is ours; at the end
 * vq_detach_unused returns exactly the chains still in flight.
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <vpmd/virtio_spec.h>

#include "fuzz_input.h"
#include "fuzz_vq.h"

#define MAX_TOKENS 4096 /* chains one input may add */
#define MAX_BURST 8

struct token {
	bool inflight;
	uint32_t writable; /* bytes the device may write */
};

/* The device's side: where it reads and writes next. */
struct dev {
	uint16_t last_avail; /* split: free-running; packed: slot */
	bool avail_wrap;
	uint16_t used_idx;   /* split: free-running; packed: slot */
	bool used_wrap;
};

struct scen {
	enum vq_layout layout;
	struct virtqueue *vq;
	struct vq_ring_addrs ra;
	uint16_t size;
	bool in_order;
	uint16_t indirect_max;
	struct token tok[MAX_TOKENS];
	unsigned int n_tok;
	unsigned int n_inflight;
	struct dev dev;
};

static int notify_ok(void *ctx, uint16_t queue_index)
{
	(void)ctx;
	(void)queue_index;
	return 0;
}

static unsigned int tok_index(const struct scen *s, void *cookie)
{
	uintptr_t p = (uintptr_t)cookie, base = (uintptr_t)s->tok;

	FZ_CHECK(p >= base && p < base + sizeof(s->tok) && (p - base) % sizeof(s->tok[0]) == 0,
		 "cookie %p is none of ours", cookie);
	return (unsigned int)((p - base) / sizeof(s->tok[0]));
}

/* A chain came back: it must have been in flight, and its length within bounds. */
static void returned(struct scen *s, void *cookie, uint32_t len, bool len_valid)
{
	unsigned int i = tok_index(s, cookie);

	FZ_CHECK(s->tok[i].inflight, "cookie %u returned but not in flight", i);
	if (len_valid)
		FZ_CHECK(len <= s->tok[i].writable, "cookie %u: len %u > writable %u", i, len,
			 s->tok[i].writable);
	s->tok[i].inflight = false;
	s->n_inflight--;
}

static void check_count(const struct scen *s)
{
	FZ_CHECK(vq_num_inflight(s->vq) == s->n_inflight, "queue says %u in flight, we count %u",
		 vq_num_inflight(s->vq), s->n_inflight);
}

static void op_add(struct scen *s, struct fz *f)
{
	struct vq_buf bufs[8];
	uint8_t b = fz_u8(f);
	uint16_t n_out = b & 3, n_in = (b >> 2) & 3, i;
	unsigned int flags = (b & 0x10) ? VQ_ADD_INDIRECT : 0;
	uint32_t writable = 0;
	int rc;

	if (s->n_tok == MAX_TOKENS)
		return;
	for (i = 0; i < n_out + n_in; i++) {
		bufs[i].addr = 0x100000u + (uint64_t)s->n_tok * 0x10000u + i * 0x1000u;
		bufs[i].len = (uint32_t)fz_u8(f) * 16u + 1u;
		if (i >= n_out)
			writable += bufs[i].len;
	}
	rc = vq_add(s->vq, bufs, n_out, n_in, &s->tok[s->n_tok], flags);
	if (rc == 0) {
		s->tok[s->n_tok] = (struct token){ .inflight = true, .writable = writable };
		s->n_tok++;
		s->n_inflight++;
	}
}

static void op_add_bulk(struct scen *s, struct fz *f)
{
	struct vq_buf bufs[MAX_BURST];
	void *cookies[MAX_BURST];
	uint8_t b = fz_u8(f);
	uint16_t n = (b & 7) + 1, i, added;
	bool writable = (b & 8) != 0;

	if (s->n_tok + n > MAX_TOKENS)
		return;
	for (i = 0; i < n; i++) {
		bufs[i].addr = 0x100000u + (uint64_t)(s->n_tok + i) * 0x10000u;
		bufs[i].len = 2048;
		cookies[i] = &s->tok[s->n_tok + i];
	}
	added = vq_add_bulk(s->vq, bufs, cookies, n, writable);
	FZ_CHECK(added <= n, "added %u of %u", added, n);
	for (i = 0; i < added; i++) {
		s->tok[s->n_tok] = (struct token){ .inflight = true,
						   .writable = writable ? bufs[i].len : 0 };
		s->n_tok++;
		s->n_inflight++;
	}
}

/* Split: a well-behaved device completes the next available chain. */
static void dev_complete_split(struct scen *s, uint32_t len)
{
	struct vring_avail *avail = s->ra.driver_area;
	struct vring_used *used = s->ra.device_area;
	uint16_t avail_idx = le16toh(__atomic_load_n(&avail->idx, __ATOMIC_ACQUIRE));
	uint16_t head;

	if (avail_idx == s->dev.last_avail)
		return;
	head = le16toh(avail->ring[s->dev.last_avail % s->size]);
	s->dev.last_avail++;
	used->ring[s->dev.used_idx % s->size].id = htole32(head);
	used->ring[s->dev.used_idx % s->size].len = htole32(len);
	s->dev.used_idx++;
	__atomic_store_n(&used->idx, htole16(s->dev.used_idx), __ATOMIC_RELEASE);
}

static void advance(uint16_t size, uint16_t *slot, bool *wrap, uint16_t by)
{
	*slot = (uint16_t)(*slot + by);
	while (*slot >= size) {
		*slot = (uint16_t)(*slot - size);
		*wrap = !*wrap;
	}
}

static bool packed_avail(uint16_t flags, bool wrap)
{
	return !!(flags & VRING_PACKED_DESC_F_AVAIL) == wrap &&
	       !!(flags & VRING_PACKED_DESC_F_USED) != wrap;
}

/* Packed: a well-behaved device completes the next available chain. */
static void dev_complete_packed(struct scen *s, uint32_t len)
{
	struct vring_packed_desc *d = s->ra.desc;
	uint16_t slot = s->dev.last_avail, n = 0, flags, id = 0;
	bool wrap = s->dev.avail_wrap;

	/* Walk the chain: its ids are the last descriptor's. */
	do {
		flags = le16toh(__atomic_load_n(&d[slot].flags, __ATOMIC_ACQUIRE));
		if (!packed_avail(flags, wrap))
			return;
		id = le16toh(d[slot].id);
		n++;
		advance(s->size, &slot, &wrap, 1);
	} while ((flags & VRING_DESC_F_NEXT) && n < s->size);
	s->dev.last_avail = slot;
	s->dev.avail_wrap = wrap;
	d[s->dev.used_idx].id = htole16(id);
	d[s->dev.used_idx].len = htole32(len);
	flags = VRING_DESC_F_WRITE |
		(s->dev.used_wrap ? VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED : 0);
	__atomic_store_n(&d[s->dev.used_idx].flags, htole16(flags), __ATOMIC_RELEASE);
	advance(s->size, &s->dev.used_idx, &s->dev.used_wrap, n);
}

/* The device writes anything into one slot: id, length, flags of its choosing. */
static void dev_raw(struct scen *s, struct fz *f)
{
	uint16_t slot = fz_u8(f) % s->size, id = fz_u16(f), flags = fz_u16(f);
	uint32_t len = fz_u32(f);

	if (s->layout == VQ_LAYOUT_SPLIT) {
		struct vring_used *used = s->ra.device_area;

		used->ring[slot].id = htole32((uint32_t)id | (flags & 0x8000u ? 0x10000u : 0));
		used->ring[slot].len = htole32(len);
	} else {
		struct vring_packed_desc *d = s->ra.desc;

		d[slot].id = htole16(id);
		d[slot].len = htole32(len);
		__atomic_store_n(&d[slot].flags, htole16(flags), __ATOMIC_RELEASE);
	}
}

/* Split: the device publishes any used index; packed: it moves its own cursor. */
static void dev_idx(struct scen *s, struct fz *f)
{
	uint16_t v = fz_u16(f);

	if (s->layout == VQ_LAYOUT_SPLIT) {
		struct vring_used *used = s->ra.device_area;

		s->dev.used_idx = v;
		__atomic_store_n(&used->idx, htole16(v), __ATOMIC_RELEASE);
	} else {
		advance(s->size, &s->dev.used_idx, &s->dev.used_wrap, v % (2 * s->size));
	}
}

static void drv_get_used(struct scen *s, struct fz *f)
{
	unsigned int n = (fz_u8(f) & 15) + 1;
	uint32_t len;
	void *cookie;
	int rc;

	while (n--) {
		cookie = NULL;
		rc = vq_get_used(s->vq, &cookie, &len);
		if (rc == 1)
			returned(s, cookie, len, true);
		else if (rc == -EBADMSG)
			returned(s, cookie, 0, false);
		else
			FZ_CHECK(rc == 0 || rc == -ENOTRECOVERABLE, "vq_get_used: %d", rc);
		if (rc <= 0 && rc != -EBADMSG)
			break;
	}
}

static void drv_get_used_bulk(struct scen *s, struct fz *f)
{
	void *cookies[MAX_BURST * 2];
	uint32_t lens[MAX_BURST * 2];
	uint16_t max = (fz_u8(f) & 15) + 1, n, i;

	n = vq_get_used_bulk(s->vq, cookies, lens, max);
	FZ_CHECK(n <= max, "bulk gave %u of %u", n, max);
	for (i = 0; i < n; i++)
		returned(s, cookies[i], lens[i], lens[i] != VQ_LEN_REFUSED);
}

static void drv_reclaim(struct scen *s, struct fz *f)
{
	void *cookies[MAX_BURST * 2];
	uint16_t max = (fz_u8(f) & 15) + 1, n, i;

	n = vq_reclaim_bulk(s->vq, cookies, max);
	FZ_CHECK(n <= max, "reclaim gave %u of %u", n, max);
	for (i = 0; i < n; i++)
		returned(s, cookies[i], 0, false);
}

/* Teardown: what is left in flight comes back once, and nothing else. */
static void detach_all(struct scen *s)
{
	void *cookie;

	while ((cookie = vq_detach_unused(s->vq)) != NULL)
		returned(s, cookie, 0, false);
	FZ_CHECK(s->n_inflight == 0, "%u chains in flight never detached", s->n_inflight);
}

static void dev_reset(struct scen *s)
{
	memset(&s->dev, 0, sizeof(s->dev));
	s->dev.avail_wrap = true;
	s->dev.used_wrap = true;
}

void fuzz_vq_run(enum vq_layout layout, const uint8_t *data, size_t size)
{
	static struct scen s;
	struct fz f = { data, size };
	uint8_t b = fz_u8(&f);
	struct vq_config cfg = {
		.layout = layout,
		.size = (uint16_t)(2u << (b & 3)),
		.notify = notify_ok,
	};
	void *mem = NULL;
	size_t len;

	memset(&s, 0, sizeof(s));
	s.layout = layout;
	if (b & 4)
		cfg.features |= VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX);
	if (b & 8)
		cfg.features |= VIRTIO_BIT(VIRTIO_F_IN_ORDER);
	if (b & 16) {
		cfg.features |= VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC);
		cfg.indirect_max = 4;
	}
	len = vq_ring_mem_size(&cfg);
	FZ_CHECK(len != 0, "size %u refused", cfg.size);
	mem = aligned_alloc(64, (len + 63) & ~(size_t)63);
	FZ_CHECK(mem != NULL, "out of memory");
	FZ_CHECK(vq_create(&cfg, mem, (uintptr_t)mem, &s.vq) == 0, "vq_create");
	vq_ring_addrs(s.vq, &s.ra);
	s.size = cfg.size;
	dev_reset(&s);

	while (!fz_done(&f)) {
		switch (fz_u8(&f) % 12) {
		case 0:
			op_add(&s, &f);
			break;
		case 1:
			op_add_bulk(&s, &f);
			break;
		case 2:
			vq_kick(s.vq);
			break;
		case 3:
			if (fz_u8(&f) & 1)
				vq_enable_cb(s.vq);
			else
				vq_disable_cb(s.vq);
			(void)vq_has_used(s.vq);
			break;
		case 4:
		case 5:
			if (layout == VQ_LAYOUT_SPLIT)
				dev_complete_split(&s, fz_u16(&f));
			else
				dev_complete_packed(&s, fz_u16(&f));
			break;
		case 6:
			dev_raw(&s, &f);
			break;
		case 7:
			dev_idx(&s, &f);
			break;
		case 8:
			drv_get_used(&s, &f);
			break;
		case 9:
			drv_get_used_bulk(&s, &f);
			break;
		case 10:
			drv_reclaim(&s, &f);
			break;
		case 11:
			/* A device reset: hand back what is in flight, start over. */
			detach_all(&s);
			vq_reset(s.vq);
			dev_reset(&s);
			break;
		}
		check_count(&s);
		/* The snapshot reads every field the device wrote: it must cope too. */
		if (f.n == 1)
			json_decref(vq_to_json(s.vq, 0, s.size));
	}
	detach_all(&s);
	vq_destroy(s.vq);
	free(mem);
}
