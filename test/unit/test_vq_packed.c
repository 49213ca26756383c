/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the packed virtqueue, driver side (lib/virtio), against the
 * device model in model_packed.c.
 *
 * Every test gets a fresh queue from fx_setup(), configured by the
 * fx_params it is registered with, and tears it down itself: no test sees
 * another's ring. Randomised workloads use a fixed seed so that a failure
 * reproduces; nothing depends on time.
 *
 * Chains are described by struct rec: its cookie is the rec itself and its
 * buffers' addresses point into it, so the chain the model pops leads back
 * to the rec that was added and everything can be compared.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vpmd/virtio_spec.h>
#include <vpmd/virtqueue.h>

#include "model_packed.h"
#include "refuse_hook.h"

#define F_BASE	    (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_RING_PACKED))
#define F_EVENT_IDX VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX)
#define F_INDIRECT  VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC)
#define F_IN_ORDER  VIRTIO_BIT(VIRTIO_F_IN_ORDER)

#define QUEUE_INDEX 3
#define MAX_CHAIN   8
#define WRAP_BIT    (1u << VRING_PACKED_EVENT_WRAP_SHIFT)

struct fx_params {
	uint16_t size;
	uint64_t features; /* on top of F_BASE */
	uint16_t indirect_max;
	uint16_t simd_bits; /* vq_config.max_simd_bits */
};

enum rec_state {
	REC_FREE,
	REC_NEW,    /* shaped, not (yet) accepted by vq_add */
	REC_ADDED,  /* in the ring, not yet read by the device */
	REC_HELD,   /* read by the device */
	REC_PUSHED, /* given back by the device, not yet taken by the driver */
};

struct rec {
	struct vq_buf bufs[MAX_CHAIN];
	uint8_t backing[MAX_CHAIN]; /* gives each buffer a distinct address */
	uint16_t n_out;
	uint16_t n_in;
	bool indirect;
	uint64_t writable;
	uint16_t slots; /* ring slots the chain takes */
	enum rec_state state;
	uint16_t id;	       /* buffer id the device saw */
	uint32_t len;	       /* len the device gave back, as the driver must report it */
	unsigned int returned; /* times the driver gave the cookie back */
};

struct fx {
	struct fx_params p;
	struct vq_config cfg;
	void *mem;
	size_t mem_size;
	struct virtqueue *vq;
	struct vq_ring_addrs addrs;
	struct model_packed model;

	unsigned int notify_calls;
	uint16_t notify_index;
	int notify_ret;

	struct rec *recs;
	unsigned int nrecs;
	uint32_t rng;

	/* Expected counters, compared with vq_get_stats(). */
	uint64_t exp_kicks;
	uint64_t exp_suppressed;
	uint64_t exp_ring_full;
	/* Ring slots the driver made available, and that count at the last kick decision. */
	uint64_t drv_slots;
	uint64_t drv_slots_decided;
	struct refuse_hook refused; /* every refusal, through vq_config's hook */
};

/* ---- fixture ---------------------------------------------------------- */

static int fx_notify(void *ctx, uint16_t queue_index)
{
	struct fx *fx = ctx;

	fx->notify_calls++;
	fx->notify_index = queue_index;
	return fx->notify_ret;
}

static size_t round_up64(size_t n)
{
	return (n + 63) & ~(size_t)63;
}

static int fx_setup(void **state)
{
	const struct fx_params *p = *state;
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx->p = *p;
#if defined(__x86_64__)
	/* The AVX-512 path is the caller's to choose only where the CPU has it. */
	if (p->simd_bits >= 512 && !(__builtin_cpu_supports("avx512f") &&
				     __builtin_cpu_supports("avx512bw") &&
				     __builtin_cpu_supports("avx512vl"))) {
		free(fx);
		print_message("no AVX-512 on this CPU: the vector path is not run\n");
		skip();
	}
#endif
	fx->cfg = (struct vq_config){
	    .layout = VQ_LAYOUT_PACKED,
	    .size = p->size,
	    .index = QUEUE_INDEX,
	    .features = F_BASE | p->features,
	    .indirect_max = p->indirect_max,
	    .max_simd_bits = p->simd_bits,
	    .notify = fx_notify,
	    .notify_ctx = fx,
	    .refused = refuse_hook_cb,
	    .refused_ctx = &fx->refused,
	};
	fx->mem_size = vq_ring_mem_size(&fx->cfg);
	assert_true(fx->mem_size >= (size_t)p->size * sizeof(struct vring_packed_desc) + 8);
	fx->mem = aligned_alloc(64, round_up64(fx->mem_size));
	assert_non_null(fx->mem);
	/* Garbage, so that a queue relying on zeroed memory it did not zero shows. */
	memset(fx->mem, 0xa5, round_up64(fx->mem_size));
	assert_int_equal(vq_create(&fx->cfg, fx->mem, (uintptr_t)fx->mem, &fx->vq), 0);
	assert_non_null(fx->vq);
	vq_ring_addrs(fx->vq, &fx->addrs);
	assert_int_equal(model_packed_init(&fx->model, &fx->addrs, p->size, fx->cfg.features), 0);
	fx->nrecs = 2u * p->size + 8;
	fx->recs = calloc(fx->nrecs, sizeof(*fx->recs));
	assert_non_null(fx->recs);
	fx->rng = 0x9e3779b9u ^ p->size ^ (uint32_t)(p->features >> 20);
	*state = fx;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *fx = *state;

	refuse_hook_check(&fx->refused, fx->vq);
	vq_destroy(fx->vq);
	model_packed_fini(&fx->model);
	free(fx->mem);
	free(fx->recs);
	free(fx);
	return 0;
}

static uint32_t rnd(struct fx *fx)
{
	/* xorshift32: deterministic, so a failing run reproduces. */
	uint32_t x = fx->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	fx->rng = x;
	return x;
}

/* ---- chains --------------------------------------------------------------- */

static struct rec *rec_get(struct fx *fx)
{
	for (unsigned int i = 0; i < fx->nrecs; i++) {
		struct rec *r = &fx->recs[i];

		if (r->state == REC_FREE) {
			memset(r, 0, sizeof(*r));
			r->state = REC_NEW;
			return r;
		}
	}
	fail_msg("record pool exhausted");
	return NULL;
}

/* Shape @r as @n_out readable buffers then @n_in writable ones of the given lengths. */
static struct rec *rec_make(struct fx *fx, uint16_t n_out, uint16_t n_in, const uint32_t *lens,
			    bool indirect)
{
	struct rec *r = rec_get(fx);

	assert_true(n_out + n_in <= MAX_CHAIN);
	r->n_out = n_out;
	r->n_in = n_in;
	r->indirect = indirect;
	for (unsigned int i = 0; i < (unsigned int)(n_out + n_in); i++) {
		r->bufs[i].addr = (uintptr_t)&r->backing[i];
		r->bufs[i].len = lens ? lens[i] : 1 + rnd(fx) % 2048;
		if (i >= n_out)
			r->writable += r->bufs[i].len;
	}
	r->slots = indirect ? 1 : (uint16_t)(n_out + n_in);
	return r;
}

static struct rec *rec_simple(struct fx *fx, uint16_t n_out, uint16_t n_in)
{
	return rec_make(fx, n_out, n_in, NULL, false);
}

/* vq_add() of @r; on success it is in the ring. Returns vq_add's result. */
static int rec_add(struct fx *fx, struct rec *r)
{
	int rc = vq_add(fx->vq, r->bufs, r->n_out, r->n_in, r, r->indirect ? VQ_ADD_INDIRECT : 0);

	if (rc == 0) {
		r->state = REC_ADDED;
		fx->drv_slots += r->slots;
	}
	return rc;
}

static struct rec *add_ok(struct fx *fx, uint16_t n_out, uint16_t n_in)
{
	struct rec *r = rec_simple(fx, n_out, n_in);

	assert_int_equal(rec_add(fx, r), 0);
	return r;
}

static struct rec *rec_by_addr(struct fx *fx, uint64_t addr)
{
	for (unsigned int i = 0; i < fx->nrecs; i++) {
		struct rec *r = &fx->recs[i];

		if (r->state != REC_FREE && r->state != REC_NEW && r->n_out + r->n_in > 0 &&
		    r->bufs[0].addr == addr)
			return r;
	}
	return NULL;
}

static bool in_ring_mem(struct fx *fx, uint64_t addr, uint64_t len)
{
	uint64_t base = (uintptr_t)fx->mem;

	return addr >= base && addr + len <= base + fx->mem_size;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* The model reads the next chain; it must be @expect (or any added rec if NULL). */
static struct rec *pop_rec(struct fx *fx, struct rec *expect)
{
	struct model_packed_chain c;
	struct rec *r;
	int rc = model_packed_pop(&fx->model, &c);

	if (rc < 0)
		fail_msg("device model: %s", fx->model.err);
	assert_int_equal(rc, 1);
	assert_true(c.nbufs > 0);
	r = rec_by_addr(fx, c.bufs[0].addr);
	assert_non_null(r);
	if (expect != NULL)
		assert_ptr_equal(r, expect);
	assert_int_equal(r->state, REC_ADDED);
	assert_int_equal(c.nbufs, r->n_out + r->n_in);
	assert_int_equal(c.n_out, r->n_out);
	assert_int_equal(c.n_in, r->n_in);
	for (unsigned int i = 0; i < c.nbufs; i++) {
		assert_int_equal(c.bufs[i].addr, r->bufs[i].addr);
		assert_int_equal(c.bufs[i].len, r->bufs[i].len);
		assert_int_equal(c.bufs[i].write, i >= r->n_out);
	}
	assert_int_equal(c.writable, r->writable);
	assert_int_equal(c.indirect, r->indirect);
	assert_int_equal(c.ndescs, r->slots);
	assert_true(c.id < fx->p.size);
	if (r->indirect) {
		uint64_t ring = fx->addrs.desc_dev;

		assert_true(c.head_flags & VRING_DESC_F_INDIRECT);
		assert_false(c.head_flags & VRING_DESC_F_NEXT);
		assert_int_equal(c.table_len, c.nbufs * sizeof(struct vring_packed_desc));
		/* The tables are carved out of the ring memory, apart from the ring. */
		assert_true(in_ring_mem(fx, c.table_addr, c.table_len));
		assert_false(overlaps(c.table_addr, c.table_len, ring,
				      fx->p.size * sizeof(struct vring_packed_desc)));
		assert_false(overlaps(c.table_addr, c.table_len, fx->addrs.driver_area_dev, 4));
		assert_false(overlaps(c.table_addr, c.table_len, fx->addrs.device_area_dev, 4));
	} else {
		assert_false(c.head_flags & VRING_DESC_F_INDIRECT);
	}
	r->id = c.id;
	r->state = REC_HELD;
	return r;
}

static void pop_none(struct fx *fx)
{
	struct model_packed_chain c;
	int rc = model_packed_pop(&fx->model, &c);

	if (rc < 0)
		fail_msg("device model: %s", fx->model.err);
	assert_int_equal(rc, 0);
}

static void push_rec(struct fx *fx, struct rec *r, uint32_t len)
{
	assert_int_equal(r->state, REC_HELD);
	assert_int_equal(model_packed_push(&fx->model, r->id, len, r->slots), 0);
	r->len = len;
	r->state = REC_PUSHED;
}

/* On an unexpected vq_get_used() result, say what the ring held. */
static void explain_used(struct fx *fx, int rc, int want)
{
	struct vq_position pos;
	const struct vring_packed_desc *d;

	if (rc == want)
		return;
	vq_get_position(fx->vq, &pos);
	d = &((const struct vring_packed_desc *)fx->addrs.desc)[pos.used_idx];
	print_error("vq_get_used returned %d, expected %d: driver used slot %u wrap %d, "
		    "avail slot %u wrap %d, in flight %u; slot flags 0x%04x id %u len %u; "
		    "model used slot %u wrap %d\n",
		    rc, want, pos.used_idx, pos.used_wrap, pos.avail_idx, pos.avail_wrap,
		    vq_num_inflight(fx->vq), d->flags, d->id, d->len, fx->model.used_idx,
		    fx->model.used_wrap);
}

static void get_expect(struct fx *fx, struct rec *r, uint32_t len)
{
	void *cookie = NULL;
	uint32_t got = 0xdeadbeef;
	int rc = vq_get_used(fx->vq, &cookie, &got);

	explain_used(fx, rc, 1);
	assert_int_equal(rc, 1);
	assert_ptr_equal(cookie, r);
	assert_int_equal(got, len);
	assert_int_equal(r->state, REC_PUSHED);
	r->returned++;
	r->state = REC_FREE;
}

static void get_none(struct fx *fx)
{
	void *cookie = NULL;
	uint32_t len = 0;
	int rc = vq_get_used(fx->vq, &cookie, &len);

	explain_used(fx, rc, 0);
	assert_int_equal(rc, 0);
}

/* A full round trip of @r, which must already be in the ring and published. */
static void complete(struct fx *fx, struct rec *r, uint32_t len)
{
	pop_rec(fx, r);
	push_rec(fx, r, len);
	get_expect(fx, r, len);
}

static void kick_expect(struct fx *fx, bool expect)
{
	const struct vq_stats *st = vq_get_stats(fx->vq);

	assert_int_equal(vq_kick(fx->vq), expect);
	if (expect)
		fx->exp_kicks++;
	else
		fx->exp_suppressed++;
	fx->drv_slots_decided = fx->drv_slots;
	assert_int_equal(st->kicks, fx->exp_kicks);
	assert_int_equal(st->kicks_suppressed, fx->exp_suppressed);
	assert_int_equal(fx->notify_calls, fx->exp_kicks);
	if (expect)
		assert_int_equal(fx->notify_index, QUEUE_INDEX);
}

static void assert_position(struct fx *fx, uint16_t avail_idx, bool avail_wrap, uint16_t used_idx,
			    bool used_wrap)
{
	struct vq_position pos;

	memset(&pos, 0x5a, sizeof(pos));
	vq_get_position(fx->vq, &pos);
	assert_int_equal(pos.avail_idx, avail_idx);
	assert_int_equal(pos.avail_wrap, avail_wrap);
	assert_int_equal(pos.used_idx, used_idx);
	assert_int_equal(pos.used_wrap, used_wrap);
}

/* The driver's position equals the model's when both sides are caught up. */
static void assert_position_model(struct fx *fx)
{
	assert_position(fx, fx->model.avail_idx, fx->model.avail_wrap, fx->model.used_idx,
			fx->model.used_wrap);
}

static struct vring_packed_desc_event *driver_event(struct fx *fx)
{
	return fx->addrs.driver_area;
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/*
 * What vq_create and vq_reset leave: a zeroed ring and device area. The
 * driver area is the driver's own to set: zero (ENABLE) or, as a poll-mode
 * driver may choose, DISABLE; never anything the device could misread.
 */
static void assert_ring_zeroed(struct fx *fx)
{
	const struct vring_packed_desc_event *drv = fx->addrs.driver_area;

	assert_true(all_zero(fx->addrs.desc, fx->p.size * sizeof(struct vring_packed_desc)));
	assert_true(all_zero(fx->addrs.device_area, sizeof(struct vring_packed_desc_event)));
	assert_int_equal(drv->off_wrap, 0);
	assert_true(drv->flags == VRING_PACKED_EVENT_FLAG_ENABLE ||
		    drv->flags == VRING_PACKED_EVENT_FLAG_DISABLE);
}

static void assert_no_refusals(struct fx *fx)
{
	const struct vq_stats *st = vq_get_stats(fx->vq);

	for (int i = 0; i < VQ_REFUSE_MAX; i++)
		assert_int_equal(st->refused[i], 0);
}

/* ---- creation --------------------------------------------------------- */

static void test_create_rejects_bad_sizes(void **state)
{
	static const uint16_t bad[] = {0, 32769, 40000, 65535};
	static const uint16_t good[] = {1, 2, 5, 7, 255, 32768};
	struct fx *fx = *state;
	struct vq_config cfg = fx->cfg;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct virtqueue *vq = NULL;

		cfg.size = bad[i];
		assert_int_equal(vq_ring_mem_size(&cfg), 0);
		/* Any 64-aligned memory: a valid call must refuse before touching it. */
		assert_int_equal(vq_create(&cfg, fx->mem, (uintptr_t)fx->mem, &vq), -EINVAL);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct virtqueue *vq = NULL;
		size_t sz;
		void *mem;

		cfg.size = good[i];
		sz = vq_ring_mem_size(&cfg);
		assert_true(sz >= (size_t)good[i] * sizeof(struct vring_packed_desc) + 8);
		mem = aligned_alloc(64, round_up64(sz));
		assert_non_null(mem);
		assert_int_equal(vq_create(&cfg, mem, (uintptr_t)mem, &vq), 0);
		assert_int_equal(vq_size(vq), good[i]);
		assert_int_equal(vq_num_free(vq), good[i]);
		assert_int_equal(vq_get_layout(vq), VQ_LAYOUT_PACKED);
		vq_destroy(vq);
		free(mem);
	}
}

static void test_create_state(void **state)
{
	struct fx *fx = *state;
	const struct vq_ring_addrs *a = &fx->addrs;
	uint64_t ring_len = fx->p.size * sizeof(struct vring_packed_desc);

	assert_int_equal(vq_size(fx->vq), fx->p.size);
	assert_int_equal(vq_index(fx->vq), QUEUE_INDEX);
	assert_int_equal(vq_get_layout(fx->vq), VQ_LAYOUT_PACKED);
	assert_false(vq_is_broken(fx->vq));
	assert_int_equal(vq_num_free(fx->vq), fx->p.size);
	assert_int_equal(vq_num_inflight(fx->vq), 0);
	assert_false(vq_has_used(fx->vq));
	/* 2.8.1: both wrap counters start at 1. */
	assert_position(fx, 0, true, 0, true);

	/* The memory was garbage: vq_create must have zeroed the ring and both events. */
	assert_ring_zeroed(fx);

	/* Device address == process address here, and every area is inside the memory. */
	assert_int_equal(a->desc_dev, (uintptr_t)a->desc);
	assert_int_equal(a->driver_area_dev, (uintptr_t)a->driver_area);
	assert_int_equal(a->device_area_dev, (uintptr_t)a->device_area);
	assert_true(in_ring_mem(fx, a->desc_dev, ring_len));
	assert_true(in_ring_mem(fx, a->driver_area_dev, 4));
	assert_true(in_ring_mem(fx, a->device_area_dev, 4));
	/* 2.8.10.1 alignment: ring 16, event suppression structures 4. */
	assert_int_equal(a->desc_dev % 16, 0);
	assert_int_equal(a->driver_area_dev % 4, 0);
	assert_int_equal(a->device_area_dev % 4, 0);
	assert_false(overlaps(a->desc_dev, ring_len, a->driver_area_dev, 4));
	assert_false(overlaps(a->desc_dev, ring_len, a->device_area_dev, 4));
	assert_false(overlaps(a->driver_area_dev, 4, a->device_area_dev, 4));

	get_none(fx);
	assert_null(vq_detach_unused(fx->vq));
}

static void test_ring_addrs_dev_offset(void **state)
{
	struct fx *fx = *state;
	const uint64_t base = 0x7f0000400000ull; /* not the process address */
	struct virtqueue *vq = NULL;
	struct vq_ring_addrs a;
	void *mem = aligned_alloc(64, round_up64(fx->mem_size));

	assert_non_null(mem);
	assert_int_equal(vq_create(&fx->cfg, mem, base, &vq), 0);
	vq_ring_addrs(vq, &a);
	/* Each device address is the base plus the area's offset in the memory. */
	assert_int_equal(a.desc_dev - base, (uintptr_t)a.desc - (uintptr_t)mem);
	assert_int_equal(a.driver_area_dev - base, (uintptr_t)a.driver_area - (uintptr_t)mem);
	assert_int_equal(a.device_area_dev - base, (uintptr_t)a.device_area - (uintptr_t)mem);
	vq_destroy(vq);
	free(mem);
}

/* ---- basic round trips ------------------------------------------------ */

static void test_single_roundtrip(void **state)
{
	struct fx *fx = *state;
	const struct vq_stats *st = vq_get_stats(fx->vq);
	struct rec *tx, *rx;

	tx = add_ok(fx, 1, 0);
	assert_int_equal(vq_num_free(fx->vq), fx->p.size - 1);
	assert_int_equal(vq_num_inflight(fx->vq), 1);
	assert_int_equal(st->chains_added, 1);
	assert_int_equal(st->descs_added, 1);
	kick_expect(fx, true);
	pop_rec(fx, tx);
	pop_none(fx);
	assert_false(vq_has_used(fx->vq));
	get_none(fx);
	push_rec(fx, tx, 0);
	assert_true(vq_has_used(fx->vq));
	get_expect(fx, tx, 0);
	assert_false(vq_has_used(fx->vq));
	get_none(fx);

	rx = add_ok(fx, 0, 1);
	kick_expect(fx, true);
	pop_rec(fx, rx);
	push_rec(fx, rx, rx->bufs[0].len);
	get_expect(fx, rx, rx->bufs[0].len);
	get_none(fx);

	assert_int_equal(vq_num_free(fx->vq), fx->p.size);
	assert_int_equal(vq_num_inflight(fx->vq), 0);
	assert_int_equal(st->chains_added, 2);
	assert_int_equal(st->descs_added, 2);
	assert_int_equal(st->chains_used, 2);
	assert_int_equal(st->ring_full, 0);
	assert_no_refusals(fx);
	assert_position_model(fx);
	assert_position(fx, 2, true, 2, true);
}

static void test_add_invalid(void **state)
{
	struct fx *fx = *state;
	struct rec *r = rec_simple(fx, 1, 1);
	const struct vq_stats *st = vq_get_stats(fx->vq);

	assert_int_equal(vq_add(fx->vq, r->bufs, 0, 0, r, 0), -EINVAL);
	assert_int_equal(vq_add(fx->vq, r->bufs, 1, 1, NULL, 0), -EINVAL);
	assert_int_equal(vq_num_free(fx->vq), fx->p.size);
	assert_int_equal(vq_num_inflight(fx->vq), 0);
	assert_int_equal(st->chains_added, 0);
	vq_publish(fx->vq);
	pop_none(fx);
}

static void test_add_invisible_until_publish(void **state)
{
	struct fx *fx = *state;
	struct rec *a = add_ok(fx, 1, 0);
	struct rec *b = add_ok(fx, 1, 2);

	/* vq_add only stages: the device must not see either chain yet. */
	pop_none(fx);
	vq_publish(fx->vq);
	pop_rec(fx, a);
	pop_rec(fx, b);
	pop_none(fx);
	assert_int_equal(fx->notify_calls, 0);

	/* vq_kick_prepare publishes as well, without notifying. */
	struct rec *c = add_ok(fx, 2, 0);

	pop_none(fx);
	assert_true(vq_kick_prepare(fx->vq));
	pop_rec(fx, c);
	assert_int_equal(fx->notify_calls, 0);
	assert_int_equal(vq_get_stats(fx->vq)->kicks, 0);
}

/* ---- long runs over small rings -------------------------------------- */

struct laps_opts {
	unsigned int chains; /* chains to complete */
	bool in_order;	     /* the device completes in order, with batches */
	bool indirect;	     /* mix in indirect chains */
	bool random_events;  /* the device changes its event suppression per kick */
};

static void laps_set_device_event(struct fx *fx)
{
	bool event_idx = fx->cfg.features & F_EVENT_IDX;
	uint32_t pick = rnd(fx) % (event_idx ? 4 : 2);

	if (pick == 0) {
		model_packed_set_device_event(&fx->model, VRING_PACKED_EVENT_FLAG_ENABLE, 0);
	} else if (pick == 1) {
		model_packed_set_device_event(&fx->model, VRING_PACKED_EVENT_FLAG_DISABLE, 0);
	} else {
		uint16_t idx;
		bool wrap;

		if (pick == 2 && fx->drv_slots > fx->drv_slots_decided) {
			/* A slot inside what this kick covers: the driver must notify. */
			uint64_t n = fx->drv_slots - fx->drv_slots_decided;

			model_packed_position(fx->p.size, fx->drv_slots_decided + rnd(fx) % n, &idx,
					      &wrap);
		} else {
			idx = (uint16_t)(rnd(fx) % fx->p.size);
			wrap = rnd(fx) & 1;
		}
		model_packed_set_device_event(&fx->model, VRING_PACKED_EVENT_FLAG_DESC,
					      model_packed_off_wrap(idx, wrap));
	}
}

static bool laps_expect_kick(struct fx *fx)
{
	const struct vring_packed_desc_event *ev = fx->addrs.device_area;

	switch (ev->flags) {
	case VRING_PACKED_EVENT_FLAG_ENABLE:
		return true;
	case VRING_PACKED_EVENT_FLAG_DISABLE:
		return false;
	default:
		return model_packed_event_in_range(fx->p.size, ev->off_wrap, fx->drv_slots_decided,
						   fx->drv_slots);
	}
}

static void run_laps(struct fx *fx, const struct laps_opts *o)
{
	const struct vq_stats *st = vq_get_stats(fx->vq);
	uint16_t size = fx->p.size;
	struct rec **held = calloc(fx->nrecs, sizeof(*held));
	struct rec **fifo = calloc(fx->nrecs, sizeof(*fifo));
	unsigned int nheld = 0, fifo_head = 0, fifo_n = 0;
	uint64_t done = 0, added = 0, descs = 0, outstanding_slots = 0;
	unsigned int inflight = 0;
	bool dirty = false;
	uint16_t max_chain = size < 4 ? size : 4;

	assert_non_null(held);
	assert_non_null(fifo);

	while (done < o->chains) {
		/* The driver adds a few chains; some of them may not fit. */
		unsigned int nadd = 1 + rnd(fx) % 3;

		for (unsigned int i = 0; i < nadd; i++) {
			bool ind = o->indirect && (rnd(fx) & 1);
			uint16_t total =
			    (uint16_t)(1 + rnd(fx) % (ind ? fx->p.indirect_max : max_chain));
			uint16_t n_out = (uint16_t)(rnd(fx) % (total + 1));
			struct rec *r = rec_make(fx, n_out, total - n_out, NULL, ind);
			int rc;

			/*
			 * Keep what one kick decision covers within a lap: beyond
			 * that a DESC event matches more than one slot count and
			 * the spec leaves the answer open.
			 */
			if (fx->drv_slots - fx->drv_slots_decided + r->slots > size) {
				r->state = REC_FREE;
				continue;
			}
			assert_int_equal(vq_num_free(fx->vq), size - outstanding_slots);
			assert_int_equal(vq_num_inflight(fx->vq), inflight);
			rc = rec_add(fx, r);
			if (r->slots > size - outstanding_slots) {
				assert_int_equal(rc, -ENOSPC);
				fx->exp_ring_full++;
				r->state = REC_FREE;
			} else {
				assert_int_equal(rc, 0);
				outstanding_slots += r->slots;
				inflight++;
				added++;
				descs += r->slots;
				dirty = true;
			}
			assert_int_equal(st->ring_full, fx->exp_ring_full);
		}

		/* Kick (exactly as the device's event asks) or just publish. */
		if (dirty && rnd(fx) % 4 != 0) {
			if (o->random_events)
				laps_set_device_event(fx);
			kick_expect(fx, laps_expect_kick(fx));
			dirty = false;
		} else {
			vq_publish(fx->vq);
		}

		/* The device reads everything published. */
		while (model_packed_avail_ready(&fx->model))
			held[nheld++] = pop_rec(fx, NULL);
		pop_none(fx);
		assert_int_equal(fx->model.avail_count, fx->drv_slots);
		{
			struct vq_position pos;

			vq_get_position(fx->vq, &pos);
			assert_int_equal(pos.avail_idx, fx->model.avail_idx);
			assert_int_equal(pos.avail_wrap, fx->model.avail_wrap);
		}

		/* The device gives some back. */
		if (nheld > 0 && o->in_order) {
			unsigned int n = 1 + rnd(fx) % nheld;
			struct rec *last = held[n - 1];
			uint32_t len = (uint32_t)(rnd(fx) % (last->writable + 1));

			if ((fx->cfg.features & F_IN_ORDER) && (rnd(fx) & 1)) {
				uint16_t ids[64];

				assert_true(n <= 64);
				for (unsigned int i = 0; i < n; i++) {
					ids[i] = held[i]->id;
					held[i]->state = REC_PUSHED;
					held[i]->len = 0;
					fifo[(fifo_head + fifo_n++) % fx->nrecs] = held[i];
				}
				last->len = len;
				assert_int_equal(model_packed_push_batch(&fx->model, ids, n, len),
						 0);
			} else {
				for (unsigned int i = 0; i < n; i++) {
					struct rec *r = held[i];
					uint32_t l = (uint32_t)(rnd(fx) % (r->writable + 1));

					push_rec(fx, r, l);
					fifo[(fifo_head + fifo_n++) % fx->nrecs] = r;
				}
			}
			memmove(held, held + n, (nheld - n) * sizeof(*held));
			nheld -= n;
		} else if (nheld > 0) {
			unsigned int n = rnd(fx) % (nheld + 1);

			for (unsigned int i = 0; i < n; i++) {
				unsigned int k = rnd(fx) % nheld;
				struct rec *r = held[k];

				push_rec(fx, r, (uint32_t)(rnd(fx) % (r->writable + 1)));
				fifo[(fifo_head + fifo_n++) % fx->nrecs] = r;
				memmove(held + k, held + k + 1, (nheld - k - 1) * sizeof(*held));
				nheld--;
			}
		}

		/* The driver takes some or all of them, in the device's order. */
		assert_int_equal(vq_has_used(fx->vq), fifo_n > 0);
		{
			unsigned int n = (rnd(fx) & 1) ? fifo_n : rnd(fx) % (fifo_n + 1);

			for (unsigned int i = 0; i < n; i++) {
				struct rec *r = fifo[fifo_head];

				fifo_head = (fifo_head + 1) % fx->nrecs;
				fifo_n--;
				outstanding_slots -= r->slots;
				inflight--;
				get_expect(fx, r, r->len);
				done++;
			}
		}
		if (fifo_n == 0) {
			get_none(fx);
			if (nheld == 0)
				assert_position_model(fx);
		}
	}

	/* Drain: everything back, nothing lost, nothing twice. */
	for (unsigned int i = 0; i < nheld; i++) {
		push_rec(fx, held[i], 0);
		fifo[(fifo_head + fifo_n++) % fx->nrecs] = held[i];
	}
	while (fifo_n > 0) {
		struct rec *r = fifo[fifo_head];

		fifo_head = (fifo_head + 1) % fx->nrecs;
		fifo_n--;
		get_expect(fx, r, r->len);
		done++;
	}
	get_none(fx);
	assert_position_model(fx);
	assert_int_equal(vq_num_free(fx->vq), size);
	assert_int_equal(vq_num_inflight(fx->vq), 0);
	assert_null(vq_detach_unused(fx->vq));
	assert_int_equal(st->chains_added, added);
	assert_int_equal(st->descs_added, descs);
	assert_int_equal(st->chains_used, added);
	assert_int_equal(done, added);
	assert_no_refusals(fx);
	assert_false(vq_is_broken(fx->vq));
	/* Many laps really happened. */
	assert_true(fx->model.used_count >= 100u * size);
	free(held);
	free(fifo);
}

static void test_laps_out_of_order(void **state)
{
	const struct laps_opts o = {.chains = 4000, .random_events = true};

	run_laps(*state, &o);
}

static void test_laps_event_idx(void **state)
{
	const struct laps_opts o = {.chains = 4000, .random_events = true};

	run_laps(*state, &o);
}

static void test_laps_in_order(void **state)
{
	const struct laps_opts o = {.chains = 4000, .in_order = true, .random_events = true};

	run_laps(*state, &o);
}

static void test_laps_indirect(void **state)
{
	const struct laps_opts o = {.chains = 4000, .indirect = true, .random_events = true};

	run_laps(*state, &o);
}

/* ---- ring full -------------------------------------------------------------- */

static void test_ring_full_single(void **state)
{
	struct fx *fx = *state;
	const struct vq_stats *st = vq_get_stats(fx->vq);
	struct rec *r[4], *extra;

	assert_int_equal(fx->p.size, 4);
	for (int i = 0; i < 4; i++)
		r[i] = add_ok(fx, 1, 0);
	assert_int_equal(vq_num_free(fx->vq), 0);
	extra = rec_simple(fx, 1, 0);
	assert_int_equal(rec_add(fx, extra), -ENOSPC);
	assert_int_equal(rec_add(fx, extra), -ENOSPC);
	assert_int_equal(st->ring_full, 2);
	assert_int_equal(st->chains_added, 4);
	assert_int_equal(vq_num_inflight(fx->vq), 4);
	kick_expect(fx, true);
	for (int i = 0; i < 4; i++)
		pop_rec(fx, r[i]);
	/* The refused chain must not have reached the ring. */
	pop_none(fx);

	/* One back: exactly one fits again. */
	push_rec(fx, r[2], 0);
	get_expect(fx, r[2], 0);
	assert_int_equal(vq_num_free(fx->vq), 1);
	assert_int_equal(rec_add(fx, extra), 0);
	assert_int_equal(rec_add(fx, rec_simple(fx, 1, 0)), -ENOSPC);
	assert_int_equal(st->ring_full, 3);
	kick_expect(fx, true);
	pop_rec(fx, extra);
	pop_none(fx);
}

static void test_ring_full_chains(void **state)
{
	struct fx *fx = *state;
	const struct vq_stats *st = vq_get_stats(fx->vq);
	struct rec *a, *b, *c, *big;

	assert_int_equal(fx->p.size, 5);
	a = add_ok(fx, 1, 1);
	b = add_ok(fx, 0, 2);
	assert_int_equal(vq_num_free(fx->vq), 1);
	/* A two-descriptor chain does not fit in the one free slot. */
	big = rec_simple(fx, 1, 1);
	assert_int_equal(rec_add(fx, big), -ENOSPC);
	assert_int_equal(st->ring_full, 1);
	assert_int_equal(vq_num_free(fx->vq), 1);
	c = add_ok(fx, 0, 1);
	assert_int_equal(vq_num_free(fx->vq), 0);
	kick_expect(fx, true);
	pop_rec(fx, a);
	pop_rec(fx, b);
	pop_rec(fx, c);
	pop_none(fx);

	/* Freeing a one-slot chain still leaves no room for two slots. */
	push_rec(fx, c, 0);
	get_expect(fx, c, 0);
	assert_int_equal(vq_num_free(fx->vq), 1);
	assert_int_equal(rec_add(fx, big), -ENOSPC);
	assert_int_equal(st->ring_full, 2);
	/* Freeing a two-slot chain makes room for three. */
	push_rec(fx, a, 1);
	get_expect(fx, a, 1);
	assert_int_equal(vq_num_free(fx->vq), 3);
	assert_int_equal(rec_add(fx, big), 0);
	kick_expect(fx, true);
	pop_rec(fx, big);
	assert_int_equal(vq_num_free(fx->vq), 1);
	assert_int_equal(vq_num_inflight(fx->vq), 2);
}

/* ---- chains ----------------------------------------------------------------- */

static void test_chain_read_write(void **state)
{
	struct fx *fx = *state;
	static const uint32_t lens[] = {14, 1500, 64, 2048, 100};
	struct rec *r = rec_make(fx, 2, 3, lens, false);

	assert_int_equal(rec_add(fx, r), 0);
	assert_int_equal(vq_num_free(fx->vq), fx->p.size - 5);
	assert_int_equal(vq_get_stats(fx->vq)->descs_added, 5);
	kick_expect(fx, true);
	/* Look at the ring as the device does, then check the chain's flags. */
	{
		const struct vring_packed_desc *d = fx->addrs.desc;

		for (int i = 0; i < 5; i++) {
			uint16_t f = d[i].flags;

			assert_int_equal((f & VRING_DESC_F_NEXT) != 0, i < 4);
			assert_int_equal((f & VRING_DESC_F_WRITE) != 0, i >= 2);
			assert_int_equal(f & (VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED),
					 VRING_PACKED_DESC_F_AVAIL);
		}
	}
	pop_rec(fx, r);
	assert_int_equal(r->writable, 64 + 2048 + 100);
	push_rec(fx, r, 2212);
	get_expect(fx, r, 2212);
	assert_int_equal(vq_num_free(fx->vq), fx->p.size);
	assert_position(fx, 5, true, 5, true);
	assert_position_model(fx);
}

static void test_chain_across_wrap(void **state)
{
	struct fx *fx = *state;
	struct rec *a, *b, *c;

	assert_int_equal(fx->p.size, 5);
	/* Move both positions to slot 3. */
	a = add_ok(fx, 1, 2);
	kick_expect(fx, true);
	complete(fx, a, 7);
	assert_position(fx, 3, true, 3, true);

	/* Slots 3, 4 with wrap 1, then slot 0 with wrap 0: one chain. */
	b = add_ok(fx, 1, 2);
	assert_position(fx, 1, false, 3, true);
	kick_expect(fx, true);
	{
		const struct vring_packed_desc *d = fx->addrs.desc;
		const uint16_t aw = VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED;

		assert_int_equal(d[3].flags & aw, VRING_PACKED_DESC_F_AVAIL);
		assert_int_equal(d[4].flags & aw, VRING_PACKED_DESC_F_AVAIL);
		/* Slot 0 is in the next lap: AVAIL 0, USED 1. */
		assert_int_equal(d[0].flags & aw, VRING_PACKED_DESC_F_USED);
	}
	pop_rec(fx, b);
	assert_int_equal(fx->model.avail_idx, 1);
	assert_false(fx->model.avail_wrap);
	push_rec(fx, b, (uint32_t)b->writable);
	get_expect(fx, b, (uint32_t)b->writable);
	assert_position(fx, 1, false, 1, false);
	assert_position_model(fx);

	/* And a full-ring chain across the wrap. */
	c = add_ok(fx, 2, 3);
	assert_int_equal(vq_num_free(fx->vq), 0);
	kick_expect(fx, true);
	complete(fx, c, 3);
	assert_position(fx, 1, true, 1, true);
	assert_position_model(fx);
}

/* ---- indirect ------------------------------------------------------------- */

static void test_indirect_basic(void **state)
{
	struct fx *fx = *state;
	const struct vq_stats *st = vq_get_stats(fx->vq);
	static const uint32_t lens[] = {12, 1514, 2048, 512};
	struct rec *ind = rec_make(fx, 2, 2, lens, true);
	struct rec *direct;

	assert_int_equal(rec_add(fx, ind), 0);
	/* One ring slot, whatever the chain's length. */
	assert_int_equal(vq_num_free(fx->vq), fx->p.size - 1);
	assert_int_equal(st->descs_added, 1);
	direct = add_ok(fx, 1, 1);
	kick_expect(fx, true);
	pop_rec(fx, ind);
	pop_rec(fx, direct);
	push_rec(fx, direct, 5);
	push_rec(fx, ind, 2560);
	get_expect(fx, direct, 5);
	get_expect(fx, ind, 2560);
	assert_int_equal(vq_num_free(fx->vq), fx->p.size);
	assert_int_equal(st->chains_used, 2);
	assert_position(fx, 3, true, 3, true);
	assert_position_model(fx);
}

static void test_indirect_limits(void **state)
{
	struct fx *fx = *state;
	const struct vq_stats *st = vq_get_stats(fx->vq);
	struct rec *too_long = rec_make(fx, 2, 3, NULL, true);
	struct rec *fits;

	assert_int_equal(fx->p.indirect_max, 4);
	assert_int_equal(rec_add(fx, too_long), -EINVAL);
	assert_int_equal(vq_num_free(fx->vq), fx->p.size);
	assert_int_equal(st->chains_added, 0);
	assert_int_equal(st->ring_full, 0);
	vq_publish(fx->vq);
	pop_none(fx);

	fits = rec_make(fx, 1, 3, NULL, true);
	assert_int_equal(rec_add(fx, fits), 0);
	kick_expect(fx, true);
	complete(fx, fits, (uint32_t)fits->writable);
}

static void test_indirect_not_configured(void **state)
{
	struct fx *fx = *state;
	struct rec *r = rec_make(fx, 1, 1, NULL, true);

	/* No indirect tables in this queue: the flag is an error, not a hint. */
	assert_int_equal(rec_add(fx, r), -EINVAL);
	assert_int_equal(vq_num_free(fx->vq), fx->p.size);
	assert_int_equal(vq_get_stats(fx->vq)->chains_added, 0);
	vq_publish(fx->vq);
	pop_none(fx);
}

static void test_indirect_fill_tables_intact(void **state)
{
	struct fx *fx = *state;
	struct rec *r[4];

	assert_int_equal(fx->p.size, 4);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 4; i++) {
			r[i] = rec_make(fx, 1, (uint16_t)(1 + (i + round) % 3), NULL, true);
			assert_int_equal(rec_add(fx, r[i]), 0);
		}
		assert_int_equal(vq_num_free(fx->vq), 0);
		assert_int_equal(rec_add(fx, rec_make(fx, 1, 0, NULL, true)), -ENOSPC);
		kick_expect(fx, true);
		/* Read the tables only now: each chain must still have its own. */
		for (int i = 0; i < 4; i++)
			pop_rec(fx, r[i]);
		pop_none(fx);
		for (int i = 3; i >= 0; i--)
			push_rec(fx, r[i], (uint32_t)r[i]->writable);
		for (int i = 3; i >= 0; i--)
			get_expect(fx, r[i], (uint32_t)r[i]->writable);
		get_none(fx);
	}
	assert_int_equal(vq_get_stats(fx->vq)->ring_full, 3);
	assert_position_model(fx);
}

/* ---- in order ------------------------------------------------------------- */

static void test_in_order_batch(void **state)
{
	struct fx *fx = *state;
	const struct vq_stats *st = vq_get_stats(fx->vq);
	struct rec *a, *b, *c, *d;
	uint16_t ids[3];

	assert_int_equal(fx->p.size, 8);
	a = add_ok(fx, 1, 0);
	b = add_ok(fx, 1, 1);
	c = add_ok(fx, 0, 2);
	d = add_ok(fx, 1, 0);
	kick_expect(fx, true);
	pop_rec(fx, a);
	pop_rec(fx, b);
	pop_rec(fx, c);
	pop_rec(fx, d);

	/* One used descriptor, at a's slot, with c's id, for a, b and c. */
	ids[0] = a->id;
	ids[1] = b->id;
	ids[2] = c->id;
	assert_int_equal(model_packed_push_batch(&fx->model, ids, 3, 50), 0);
	{
		const struct vring_packed_desc *desc = fx->addrs.desc;

		assert_int_equal(desc[0].id, c->id);
		assert_int_equal(desc[0].len, 50);
	}
	a->state = b->state = c->state = REC_PUSHED;
	assert_true(vq_has_used(fx->vq));
	get_expect(fx, a, 0);
	get_expect(fx, b, 0);
	get_expect(fx, c, 50);
	get_none(fx);
	assert_int_equal(st->chains_used, 3);
	assert_int_equal(vq_num_inflight(fx->vq), 1);
	assert_int_equal(vq_num_free(fx->vq), 7);
	assert_position(fx, 6, true, 5, true);
	assert_position(fx, fx->model.avail_idx, fx->model.avail_wrap, fx->model.used_idx,
			fx->model.used_wrap);

	/* Then one chain on its own, and a batch across the wrap. */
	push_rec(fx, d, 0);
	get_expect(fx, d, 0);
	a = add_ok(fx, 2, 0);
	b = add_ok(fx, 0, 1);
	kick_expect(fx, true);
	pop_rec(fx, a);
	pop_rec(fx, b);
	ids[0] = a->id;
	ids[1] = b->id;
	assert_int_equal(model_packed_push_batch(&fx->model, ids, 2, 9), 0);
	a->state = b->state = REC_PUSHED;
	get_expect(fx, a, 0);
	get_expect(fx, b, 9);
	get_none(fx);
	assert_position(fx, 1, false, 1, false);
	assert_position_model(fx);
	assert_int_equal(vq_num_free(fx->vq), 8);
	assert_no_refusals(fx);
}

/* ---- kicks ---------------------------------------------------------------- */

/* Device reads everything, gives it all back, driver takes it all. */
static void settle(struct fx *fx)
{
	struct rec *r[64];
	unsigned int n = 0;

	while (model_packed_avail_ready(&fx->model))
		r[n++] = pop_rec(fx, NULL);
	for (unsigned int i = 0; i < n; i++)
		push_rec(fx, r[i], 0);
	for (unsigned int i = 0; i < n; i++)
		get_expect(fx, r[i], 0);
	get_none(fx);
}

static void test_kick_enable_counts(void **state)
{
	struct fx *fx = *state;

	fx->notify_ret = 0;
	add_ok(fx, 1, 0);
	kick_expect(fx, true);
	add_ok(fx, 1, 0);
	add_ok(fx, 0, 1);
	kick_expect(fx, true);
	settle(fx);
	add_ok(fx, 1, 2);
	kick_expect(fx, true);
	settle(fx);
	assert_int_equal(fx->notify_calls, 3);
	assert_int_equal(vq_get_stats(fx->vq)->kicks, 3);
	assert_int_equal(vq_get_stats(fx->vq)->kicks_suppressed, 0);
}

static void test_kick_disable_counts(void **state)
{
	struct fx *fx = *state;

	model_packed_set_device_event(&fx->model, VRING_PACKED_EVENT_FLAG_DISABLE, 0);
	add_ok(fx, 1, 0);
	kick_expect(fx, false);
	add_ok(fx, 1, 0);
	add_ok(fx, 1, 0);
	kick_expect(fx, false);
	/* Suppressed kicks still publish. */
	settle(fx);
	add_ok(fx, 0, 1);
	kick_expect(fx, false);
	settle(fx);
	assert_int_equal(fx->notify_calls, 0);
	assert_int_equal(vq_get_stats(fx->vq)->kicks_suppressed, 3);

	model_packed_set_device_event(&fx->model, VRING_PACKED_EVENT_FLAG_ENABLE, 0);
	add_ok(fx, 1, 0);
	kick_expect(fx, true);
	assert_int_equal(fx->notify_calls, 1);
}

static void expect_kick_info(struct fx *fx, uint32_t decided, uint32_t since_notify)
{
	struct vq_kick_info ki;

	vq_get_kick_info(fx->vq, &ki);
	assert_int_equal(ki.descs_decided, decided);
	assert_int_equal(ki.descs_since_notify, since_notify);
}

/* What each decision covered, in descriptors, as the kick probes report it. */
static void test_kick_info(void **state)
{
	struct fx *fx = *state;

	model_packed_set_device_event(&fx->model, VRING_PACKED_EVENT_FLAG_DISABLE, 0);
	add_ok(fx, 1, 0);
	kick_expect(fx, false);
	expect_kick_info(fx, 1, 1);
	add_ok(fx, 1, 1);
	kick_expect(fx, false);
	expect_kick_info(fx, 2, 3);
	settle(fx);

	model_packed_set_device_event(&fx->model, VRING_PACKED_EVENT_FLAG_ENABLE, 0);
	add_ok(fx, 0, 1);
	assert_true(vq_kick_prepare(fx->vq));
	expect_kick_info(fx, 1, 4);
	assert_int_equal(vq_notify(fx->vq), 0);
	expect_kick_info(fx, 1, 0);
	settle(fx);
}

static void test_kick_toggle_counts(void **state)
{
	struct fx *fx = *state;
	static const uint16_t pattern[] = {
	    VRING_PACKED_EVENT_FLAG_ENABLE,  VRING_PACKED_EVENT_FLAG_DISABLE,
	    VRING_PACKED_EVENT_FLAG_DISABLE, VRING_PACKED_EVENT_FLAG_ENABLE,
	    VRING_PACKED_EVENT_FLAG_DISABLE, VRING_PACKED_EVENT_FLAG_ENABLE,
	    VRING_PACKED_EVENT_FLAG_ENABLE,  VRING_PACKED_EVENT_FLAG_DISABLE,
	    VRING_PACKED_EVENT_FLAG_ENABLE,  VRING_PACKED_EVENT_FLAG_DISABLE,
	};

	for (size_t i = 0; i < sizeof(pattern) / sizeof(pattern[0]); i++) {
		model_packed_set_device_event(&fx->model, pattern[i], 0);
		add_ok(fx, 1, (uint16_t)(i % 2));
		kick_expect(fx, pattern[i] == VRING_PACKED_EVENT_FLAG_ENABLE);
		settle(fx);
	}
	/* Ten decisions over a ring of four: the wrap was crossed twice. */
	assert_int_equal(fx->notify_calls, 5);
	assert_int_equal(vq_get_stats(fx->vq)->kicks, 5);
	assert_int_equal(vq_get_stats(fx->vq)->kicks_suppressed, 5);
}

static void set_desc_event(struct fx *fx, uint16_t off, bool wrap)
{
	model_packed_set_device_event(&fx->model, VRING_PACKED_EVENT_FLAG_DESC,
				      model_packed_off_wrap(off, wrap));
}

static void test_kick_event_idx_sequence(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(fx->p.size, 4);
	/* Lap 0 (wrap 1): the device wants a kick once slot 2 is available. */
	set_desc_event(fx, 2, true);
	add_ok(fx, 1, 0); /* slot 0 */
	add_ok(fx, 1, 0); /* slot 1 */
	kick_expect(fx, false);
	add_ok(fx, 1, 0); /* slot 2 */
	kick_expect(fx, true);
	add_ok(fx, 1, 0); /* slot 3: the event is behind us */
	kick_expect(fx, false);
	settle(fx);
	assert_position(fx, 0, false, 0, false);

	/* Lap 1 (wrap 0). */
	set_desc_event(fx, 1, false);
	add_ok(fx, 1, 0); /* slots 0..2 */
	add_ok(fx, 1, 0);
	add_ok(fx, 1, 0);
	kick_expect(fx, true);
	set_desc_event(fx, 3, true); /* slot 3 of lap 0: long past */
	add_ok(fx, 1, 0);	     /* slot 3, wrap 0 */
	kick_expect(fx, false);
	settle(fx);

	/* Lap 2 (wrap 1 again). */
	set_desc_event(fx, 3, false); /* slot 3 of lap 1, decided already */
	add_ok(fx, 1, 0);	      /* slots 0, 1 */
	add_ok(fx, 1, 0);
	kick_expect(fx, false);
	set_desc_event(fx, 0, true); /* slot 0 of this lap, but the last kick covered it */
	add_ok(fx, 1, 0);	     /* slot 2 */
	kick_expect(fx, false);
	set_desc_event(fx, 3, true);
	add_ok(fx, 1, 0); /* slot 3 */
	kick_expect(fx, true);
	settle(fx);

	assert_int_equal(vq_get_stats(fx->vq)->kicks, 3);
	assert_int_equal(vq_get_stats(fx->vq)->kicks_suppressed, 5);
	assert_int_equal(fx->notify_calls, 3);
}

static void test_kick_event_idx_chains_across_wrap(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(fx->p.size, 5);
	add_ok(fx, 1, 0); /* slots 0..2, ENABLE */
	add_ok(fx, 1, 0);
	add_ok(fx, 1, 0);
	kick_expect(fx, true);
	settle(fx);

	/* A chain over slots 3, 4 (wrap 1) and 0 (wrap 0); the event is its last slot. */
	set_desc_event(fx, 0, false);
	add_ok(fx, 1, 2);
	kick_expect(fx, true);
	settle(fx);

	/* Slot 4 of lap 0 was in the last kick's range: not again. */
	set_desc_event(fx, 4, true);
	add_ok(fx, 1, 0); /* slot 1, wrap 0 */
	add_ok(fx, 0, 1); /* slot 2 */
	kick_expect(fx, false);

	/* The event on a chain's head. */
	set_desc_event(fx, 3, false);
	add_ok(fx, 2, 0); /* slots 3, 4 */
	kick_expect(fx, true);
	settle(fx);

	/* The event on the second slot of a chain, in the next lap. */
	set_desc_event(fx, 1, true);
	add_ok(fx, 1, 1); /* slots 0, 1 with wrap 1 */
	kick_expect(fx, true);
	settle(fx);

	/* An event in the same slot but the other lap does not match. */
	set_desc_event(fx, 3, false);
	add_ok(fx, 1, 1); /* slots 2, 3 with wrap 1 */
	kick_expect(fx, false);
	settle(fx);

	assert_int_equal(vq_get_stats(fx->vq)->kicks, 4);
	assert_int_equal(vq_get_stats(fx->vq)->kicks_suppressed, 2);
}

static void test_kick_prepare_then_notify(void **state)
{
	struct fx *fx = *state;
	const struct vq_stats *st = vq_get_stats(fx->vq);

	add_ok(fx, 1, 0);
	assert_true(vq_kick_prepare(fx->vq));
	assert_int_equal(fx->notify_calls, 0);
	assert_int_equal(st->kicks, 0);
	fx->notify_ret = -EIO;
	assert_int_equal(vq_notify(fx->vq), -EIO);
	assert_int_equal(fx->notify_calls, 1);
	assert_int_equal(fx->notify_index, QUEUE_INDEX);
	assert_int_equal(st->kicks, 1);

	model_packed_set_device_event(&fx->model, VRING_PACKED_EVENT_FLAG_DISABLE, 0);
	add_ok(fx, 1, 0);
	assert_false(vq_kick_prepare(fx->vq));
	assert_int_equal(st->kicks_suppressed, 1);
	assert_int_equal(fx->notify_calls, 1);
}

/* ---- driver event suppression ------------------------------------------ */

static void test_cb_enable_disable(void **state)
{
	struct fx *fx = *state;
	struct rec *a, *b;

	vq_disable_cb(fx->vq);
	assert_int_equal(driver_event(fx)->flags, VRING_PACKED_EVENT_FLAG_DISABLE);
	a = add_ok(fx, 1, 0);
	kick_expect(fx, true);
	pop_rec(fx, a);
	push_rec(fx, a, 0);
	assert_int_equal(model_packed_need_interrupt(&fx->model), 0);

	/* A used descriptor is waiting: enabling must say so. */
	assert_true(vq_enable_cb(fx->vq));
	assert_int_equal(driver_event(fx)->flags, VRING_PACKED_EVENT_FLAG_ENABLE);
	get_expect(fx, a, 0);
	assert_false(vq_enable_cb(fx->vq));
	assert_int_equal(driver_event(fx)->flags, VRING_PACKED_EVENT_FLAG_ENABLE);

	b = add_ok(fx, 0, 1);
	kick_expect(fx, true);
	pop_rec(fx, b);
	push_rec(fx, b, 1);
	assert_int_equal(model_packed_need_interrupt(&fx->model), 1);
	get_expect(fx, b, 1);
}

static void assert_event_at_next_used(struct fx *fx)
{
	struct vq_position pos;
	const struct vring_packed_desc_event *ev = driver_event(fx);

	vq_get_position(fx->vq, &pos);
	assert_int_equal(ev->flags, VRING_PACKED_EVENT_FLAG_DESC);
	assert_int_equal(ev->off_wrap, model_packed_off_wrap(pos.used_idx, pos.used_wrap));
	assert_int_equal(ev->off_wrap,
			 model_packed_off_wrap(fx->model.used_idx, fx->model.used_wrap));
}

/* vq_cb_enabled() follows the requests: off at creation, after disable, after a reset. */
static void test_cb_state(void **state)
{
	struct fx *fx = *state;

	assert_false(vq_cb_enabled(fx->vq));
	assert_false(vq_enable_cb(fx->vq));
	assert_true(vq_cb_enabled(fx->vq));
	assert_int_not_equal(driver_event(fx)->flags, VRING_PACKED_EVENT_FLAG_DISABLE);
	vq_disable_cb(fx->vq);
	assert_false(vq_cb_enabled(fx->vq));
	assert_int_equal(driver_event(fx)->flags, VRING_PACKED_EVENT_FLAG_DISABLE);
	assert_false(vq_enable_cb(fx->vq));
	vq_reset(fx->vq);
	assert_false(vq_cb_enabled(fx->vq));
	assert_int_equal(driver_event(fx)->flags, VRING_PACKED_EVENT_FLAG_DISABLE);
}

static void test_cb_event_idx(void **state)
{
	struct fx *fx = *state;
	struct rec *a, *b, *c;

	assert_int_equal(fx->p.size, 4);
	assert_false(vq_enable_cb(fx->vq));
	assert_event_at_next_used(fx);
	assert_int_equal(driver_event(fx)->off_wrap, WRAP_BIT | 0);

	a = add_ok(fx, 1, 2); /* slots 0..2 */
	kick_expect(fx, true);
	pop_rec(fx, a);
	push_rec(fx, a, 3);
	assert_int_equal(model_packed_need_interrupt(&fx->model), 1);
	get_expect(fx, a, 3);

	assert_false(vq_enable_cb(fx->vq));
	assert_event_at_next_used(fx);
	assert_int_equal(driver_event(fx)->off_wrap, WRAP_BIT | 3);

	b = add_ok(fx, 1, 1); /* slots 3 (wrap 1) and 0 (wrap 0) */
	kick_expect(fx, true);
	pop_rec(fx, b);
	push_rec(fx, b, 0);
	assert_int_equal(model_packed_need_interrupt(&fx->model), 1);
	get_expect(fx, b, 0);

	/* Past the wrap: the event carries wrap 0. */
	assert_false(vq_enable_cb(fx->vq));
	assert_event_at_next_used(fx);
	assert_int_equal(driver_event(fx)->off_wrap, 1);

	vq_disable_cb(fx->vq);
	assert_int_equal(driver_event(fx)->flags, VRING_PACKED_EVENT_FLAG_DISABLE);
	c = add_ok(fx, 0, 1);
	kick_expect(fx, true);
	pop_rec(fx, c);
	push_rec(fx, c, 1);
	assert_int_equal(model_packed_need_interrupt(&fx->model), 0);
	/* Pending already: enable says so, and arms the event at c's slot. */
	assert_true(vq_enable_cb(fx->vq));
	assert_int_equal(driver_event(fx)->flags, VRING_PACKED_EVENT_FLAG_DESC);
	assert_int_equal(driver_event(fx)->off_wrap, 1);
	get_expect(fx, c, 1);
	assert_false(vq_enable_cb(fx->vq));
	assert_event_at_next_used(fx);
	assert_int_equal(driver_event(fx)->off_wrap, 2);
}

/*
 * The smallest case of a normal ring state: nothing in flight, and the
 * next used slot holds the tail of a chain from the previous lap, which the
 * device skipped (2.8.6). Its bits read AVAIL = !wrap, USED = wrap; that is
 * not a used descriptor, and the queue must not call it one.
 */
static void test_stale_chain_tail_is_not_used(void **state)
{
	struct fx *fx = *state;
	struct rec *a, *b, *c;

	assert_int_equal(fx->p.size, 4);
	a = add_ok(fx, 1, 1); /* slots 0, 1 */
	kick_expect(fx, true);
	complete(fx, a, 1);
	b = add_ok(fx, 2, 0); /* slots 2, 3 */
	kick_expect(fx, true);
	complete(fx, b, 0);
	c = add_ok(fx, 1, 0); /* slot 0, wrap 0 */
	kick_expect(fx, true);
	complete(fx, c, 0);
	assert_position(fx, 1, false, 1, false);
	/* Slot 1 still holds a's tail as the driver wrote it in lap 0. */
	{
		const struct vring_packed_desc *d = fx->addrs.desc;

		assert_int_equal(d[1].flags &
				     (VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED),
				 VRING_PACKED_DESC_F_AVAIL);
	}
	assert_false(vq_has_used(fx->vq));
	get_none(fx);
	assert_false(vq_is_broken(fx->vq));
	assert_false(vq_enable_cb(fx->vq));
	assert_no_refusals(fx);
	/*
	 * A chain added but not published over that slot: its head still
	 * holds the stale bits, the device knows nothing of it, and the
	 * driver must neither see a used entry nor call it malformed. Taking
	 * used chains publishes it first (test_used_names_unpublished_chain).
	 */
	a = add_ok(fx, 0, 2); /* slots 1, 2 */
	assert_false(vq_has_used(fx->vq));
	pop_none(fx);
	get_none(fx);
	assert_false(vq_is_broken(fx->vq));
	/* And the ring goes on. */
	kick_expect(fx, true);
	complete(fx, a, 1);
	get_none(fx);
	assert_no_refusals(fx);
	assert_position(fx, 3, false, 3, false);
}

/*
 * The same stale tail, now under a chain that was added but not yet
 * published: the device cannot have seen it, so it is not "in flight" for
 * the wrap check, and polling must neither return it nor break the queue.
 */
static void test_stale_tail_under_unpublished_chain(void **state)
{
	struct fx *fx = *state;
	struct rec *a, *b, *c;

	assert_int_equal(fx->p.size, 4);
	a = add_ok(fx, 1, 1); /* slots 0, 1 */
	kick_expect(fx, true);
	complete(fx, a, 1);
	b = add_ok(fx, 2, 0); /* slots 2, 3 */
	kick_expect(fx, true);
	complete(fx, b, 0);
	/* Slot 0 of lap 1 next; slot 1 still holds a's tail: AVAIL set, USED clear. */
	c = add_ok(fx, 1, 0); /* slot 0, wrap 0, not published */
	get_none(fx);
	assert_false(vq_has_used(fx->vq));
	assert_false(vq_is_broken(fx->vq));
	kick_expect(fx, true);
	complete(fx, c, 0);
	/* Slot 1 is next: its stale tail reads USED == wrap 0 with AVAIL 1. */
	c = add_ok(fx, 1, 0); /* slot 1, not published */
	get_none(fx);
	assert_false(vq_is_broken(fx->vq));
	kick_expect(fx, true);
	complete(fx, c, 0);
	get_none(fx);
	assert_no_refusals(fx);
}

/*
 * 2.8.4: "Element Length is reserved for used descriptors without the
 * VIRTQ_DESC_F_WRITE flag, and is ignored by drivers." DPDK's vhost leaves
 * the driver's own length there when it returns a tx chain: that is no
 * claim of bytes written and must be neither refused nor reported.
 */
/*
 * A used descriptor without WRITE: for a chain with writable buffers its
 * length is what the device wrote (QEMU sets no WRITE flag on used
 * descriptors); for a read-only chain it means nothing (vhost echoes the
 * readable length back).
 */
static void test_used_len_without_write(void **state)
{
	struct fx *fx = *state;
	static const uint32_t lens[] = {60, 1500};
	struct rec *tx = rec_make(fx, 2, 0, lens, false);
	struct rec *rx = add_ok(fx, 0, 1);

	assert_int_equal(rec_add(fx, tx), 0);
	kick_expect(fx, true);
	pop_rec(fx, rx);
	pop_rec(fx, tx);
	/* rx first, without WRITE, as QEMU writes it: 7 bytes received. */
	model_packed_write_desc(&fx->model, fx->model.used_idx, rx->id, 7,
				model_packed_used_flags(fx->model.used_wrap));
	model_packed_skip_used(&fx->model, rx->slots);
	/* tx with its readable length echoed back, as vhost does. */
	model_packed_write_desc(&fx->model, fx->model.used_idx, tx->id, 1560,
				model_packed_used_flags(fx->model.used_wrap));
	model_packed_skip_used(&fx->model, tx->slots);
	rx->state = tx->state = REC_PUSHED;
	get_expect(fx, rx, 7);
	get_expect(fx, tx, 0);
	get_none(fx);
	assert_no_refusals(fx);
	assert_false(vq_is_broken(fx->vq));
	assert_int_equal(vq_get_stats(fx->vq)->chains_used, 2);
	assert_position_model(fx);
}

/* ---- malformed device writes ------------------------------------------ */

/* An array literal of chains, and its length: the last two arguments of assert_breaks(). */
#define RECS(...)                                                                                  \
	(struct rec *[]){__VA_ARGS__},                                                             \
	    (unsigned int)(sizeof((struct rec *[]){__VA_ARGS__}) / sizeof(struct rec *))

/*
 * The device has just written something that must break the queue: the
 * next vq_get_used() refuses it for @reason and breaks it. Then it stays
 * broken, counts nothing more, gives each of the @n cookies still in
 * flight back once through vq_detach_unused, and works again after
 * vq_reset.
 */
static void assert_breaks(struct fx *fx, enum vq_refuse_reason reason, struct rec **inflight,
			  unsigned int n)
{
	const struct vq_stats *st = vq_get_stats(fx->vq);
	void *cookie = NULL;
	uint32_t len = 0;
	struct rec *r;

	assert_null(vq_broken_reason(fx->vq));
	assert_int_equal(vq_get_used(fx->vq, &cookie, &len), -ENOTRECOVERABLE);
	assert_true(vq_is_broken(fx->vq));
	assert_string_equal(vq_broken_reason(fx->vq), vq_refuse_reason_name(reason));
	for (int i = 0; i < VQ_REFUSE_MAX; i++)
		assert_int_equal(st->refused[i], i == (int)reason ? 1 : 0);
	assert_int_equal(vq_get_used(fx->vq, &cookie, &len), -ENOTRECOVERABLE);
	assert_int_equal(vq_get_used(fx->vq, &cookie, &len), -ENOTRECOVERABLE);
	r = rec_simple(fx, 1, 0);
	assert_int_equal(vq_add(fx->vq, r->bufs, 1, 0, r, 0), -ENOTRECOVERABLE);
	for (int i = 0; i < VQ_REFUSE_MAX; i++)
		assert_int_equal(st->refused[i], i == (int)reason ? 1 : 0);

	for (unsigned int k = 0; k < n; k++) {
		void *c = vq_detach_unused(fx->vq);
		bool found = false;

		assert_non_null(c);
		for (unsigned int j = 0; j < n; j++) {
			if (c == inflight[j]) {
				assert_int_equal(inflight[j]->returned, 0);
				inflight[j]->returned++;
				found = true;
			}
		}
		assert_true(found);
	}
	assert_null(vq_detach_unused(fx->vq));
	assert_null(vq_detach_unused(fx->vq));

	vq_reset(fx->vq);
	assert_false(vq_is_broken(fx->vq));
	assert_null(vq_broken_reason(fx->vq));
	assert_int_equal(vq_num_inflight(fx->vq), 0);
	assert_int_equal(vq_num_free(fx->vq), fx->p.size);
	assert_position(fx, 0, true, 0, true);
	assert_ring_zeroed(fx);
	get_none(fx);

	model_packed_reset(&fx->model);
	for (unsigned int i = 0; i < fx->nrecs; i++)
		fx->recs[i].state = REC_FREE;
	fx->drv_slots = fx->drv_slots_decided = 0;
	for (int i = 0; i < 2 * fx->p.size + 1; i++) {
		r = add_ok(fx, 1, 1);
		vq_publish(fx->vq);
		complete(fx, r, 1);
	}
	assert_false(vq_is_broken(fx->vq));
	assert_position_model(fx);
}

static void test_bad_id_range(void **state)
{
	struct fx *fx = *state;
	struct rec *a, *b;

	assert_int_equal(fx->p.size, 5);
	a = add_ok(fx, 1, 0);
	b = add_ok(fx, 0, 1);
	kick_expect(fx, true);
	pop_rec(fx, a);
	pop_rec(fx, b);
	/* id 5 of a 5-entry ring: out of range, though below the next power of two. */
	model_packed_write_desc(&fx->model, 0, 5, 0, model_packed_used_flags(true));
	assert_breaks(fx, VQ_REFUSE_ID_RANGE, RECS(a, b));
}

static void test_bad_id_range_max(void **state)
{
	struct fx *fx = *state;
	struct rec *a, *b;

	a = add_ok(fx, 1, 0);
	b = add_ok(fx, 1, 0);
	kick_expect(fx, true);
	pop_rec(fx, a);
	pop_rec(fx, b);
	/* The first entry is good, the second names id 0xffff. */
	push_rec(fx, a, 0);
	get_expect(fx, a, 0);
	model_packed_write_desc(&fx->model, 1, 0xffff, 0, model_packed_used_flags(true));
	assert_breaks(fx, VQ_REFUSE_ID_RANGE, RECS(b));
	assert_int_equal(a->returned, 1);
}

static void test_bad_id_not_inflight(void **state)
{
	struct fx *fx = *state;
	struct rec *a;

	a = add_ok(fx, 1, 1);
	kick_expect(fx, true);
	pop_rec(fx, a);
	model_packed_write_desc(&fx->model, 0, (uint16_t)((a->id + 1) % fx->p.size), 0,
				model_packed_used_flags(true));
	assert_breaks(fx, VQ_REFUSE_ID_NOT_INFLIGHT, RECS(a));
}

/*
 * A used descriptor naming a chain added but not yet published (only a
 * device that guesses ids writes one). Taking used chains publishes what is
 * staged first, so the chain comes back once, already the device's, and no
 * later publish writes its head's flags over a slot given back.
 */
static void test_used_names_unpublished_chain(void **state)
{
	struct fx *fx = *state;
	struct vring_packed_desc *desc = fx->addrs.desc;
	struct rec *a, *b;
	uint16_t staged_flags;
	void *cookie = NULL;
	uint32_t len = 1;

	a = add_ok(fx, 1, 0); /* slot 0 */
	kick_expect(fx, true);
	pop_rec(fx, a);
	assert_int_equal(a->id, 0);
	b = add_ok(fx, 1, 0); /* slot 1, id 1: staged */
	assert_false(model_packed_avail_ready(&fx->model));

	/* The device names chain b at a's slot. */
	model_packed_write_desc(&fx->model, 0, 1, 0, model_packed_used_flags(true));
	assert_int_equal(vq_get_used(fx->vq, &cookie, &len), 1);
	assert_ptr_equal(cookie, b);
	assert_int_equal(len, 0);
	b->state = REC_FREE;
	assert_int_equal(vq_num_inflight(fx->vq), 1);

	/* b was the device's before it came back: a kick writes no slot again. */
	staged_flags = desc[1].flags;
	assert_true(vq_kick_prepare(fx->vq));
	assert_int_equal(desc[1].flags, staged_flags);
	assert_ptr_equal(vq_detach_unused(fx->vq), a);
	assert_null(vq_detach_unused(fx->vq));
}

static void test_bad_id_duplicate(void **state)
{
	struct fx *fx = *state;
	struct rec *a, *b;

	a = add_ok(fx, 1, 0);
	b = add_ok(fx, 1, 0);
	kick_expect(fx, true);
	pop_rec(fx, a);
	pop_rec(fx, b);
	push_rec(fx, a, 0);
	get_expect(fx, a, 0);
	/* The device gives a's id back a second time, in b's place. */
	model_packed_write_desc(&fx->model, 1, a->id, 0, model_packed_used_flags(true));
	assert_breaks(fx, VQ_REFUSE_ID_NOT_INFLIGHT, RECS(b));
	/* Given back once, by get_expect(), and not again by the detach. */
	assert_int_equal(a->returned, 1);
}

static void test_bad_len(void **state)
{
	struct fx *fx = *state;
	const struct vq_stats *st = vq_get_stats(fx->vq);
	static const uint32_t lens[] = {10, 30, 70};
	struct rec *r = rec_make(fx, 1, 2, lens, false);
	struct rec *ok;
	void *cookie = NULL;
	uint32_t len = 0;

	assert_int_equal(rec_add(fx, r), 0);
	kick_expect(fx, true);
	pop_rec(fx, r);
	/* 101 bytes into 100 writable: refused, but the chain is known. */
	push_rec(fx, r, 101);
	assert_int_equal(vq_get_used(fx->vq, &cookie, &len), -EBADMSG);
	assert_ptr_equal(cookie, r);
	r->state = REC_FREE;
	assert_int_equal(st->refused[VQ_REFUSE_LEN], 1);
	assert_int_equal(st->chains_used, 0);
	assert_false(vq_is_broken(fx->vq));
	assert_int_equal(vq_num_inflight(fx->vq), 0);
	assert_int_equal(vq_num_free(fx->vq), fx->p.size);
	get_none(fx);
	/* The cookie was given back once: teardown must not see it again. */
	assert_null(vq_detach_unused(fx->vq));
	assert_position_model(fx);

	/* The ring goes on; the exact writable length is fine. */
	ok = rec_make(fx, 1, 2, lens, false);
	assert_int_equal(rec_add(fx, ok), 0);
	kick_expect(fx, true);
	complete(fx, ok, 100);
	assert_int_equal(st->refused[VQ_REFUSE_LEN], 1);
	assert_int_equal(st->chains_used, 1);
	for (int i = 0; i < VQ_REFUSE_MAX; i++)
		if (i != VQ_REFUSE_LEN)
			assert_int_equal(st->refused[i], 0);
}

static void test_bad_len_readonly_chain(void **state)
{
	struct fx *fx = *state;
	const struct vq_stats *st = vq_get_stats(fx->vq);
	struct rec *a, *b;
	void *cookie = NULL;
	uint32_t len = 0;

	a = add_ok(fx, 2, 0);
	b = add_ok(fx, 1, 0);
	kick_expect(fx, true);
	pop_rec(fx, a);
	pop_rec(fx, b);
	/* Nothing writable, yet the device claims (with WRITE) to have written a byte. */
	push_rec(fx, a, 1);
	push_rec(fx, b, 0);
	assert_int_equal(vq_get_used(fx->vq, &cookie, &len), -EBADMSG);
	assert_ptr_equal(cookie, a);
	a->state = REC_FREE;
	assert_int_equal(st->refused[VQ_REFUSE_LEN], 1);
	assert_false(vq_is_broken(fx->vq));
	get_expect(fx, b, 0);
	get_none(fx);
	assert_null(vq_detach_unused(fx->vq));
	assert_int_equal(vq_num_free(fx->vq), fx->p.size);
}

static void test_bad_wrap(void **state)
{
	struct fx *fx = *state;
	struct rec *a;

	a = add_ok(fx, 1, 1);
	kick_expect(fx, true);
	pop_rec(fx, a);
	/* USED matches the expected wrap counter (1), AVAIL does not. */
	model_packed_write_desc(&fx->model, 0, a->id, 0, VRING_PACKED_DESC_F_USED);
	assert_breaks(fx, VQ_REFUSE_WRAP, RECS(a));
}

static void test_bad_wrap_second_lap(void **state)
{
	struct fx *fx = *state;
	struct rec *a;

	for (int i = 0; i < fx->p.size; i++) {
		a = add_ok(fx, 1, 0);
		kick_expect(fx, true);
		complete(fx, a, 0);
	}
	assert_position(fx, 0, false, 0, false);
	a = add_ok(fx, 1, 0);
	kick_expect(fx, true);
	pop_rec(fx, a);
	/* Expected used wrap is 0: USED 0 matches, AVAIL 1 does not. */
	model_packed_write_desc(&fx->model, 0, a->id, 0, VRING_PACKED_DESC_F_AVAIL);
	assert_breaks(fx, VQ_REFUSE_WRAP, RECS(a));
}

static void test_bad_used_nothing_inflight(void **state)
{
	struct fx *fx = *state;

	/* A fresh ring, and slot 0 suddenly looks used. */
	model_packed_write_desc(&fx->model, 0, 0, 0, model_packed_used_flags(true));
	assert_breaks(fx, VQ_REFUSE_WRAP, NULL, 0);
}

static void test_bad_used_nothing_inflight_after_lap(void **state)
{
	struct fx *fx = *state;
	struct rec *a;

	assert_int_equal(fx->p.size, 4);
	for (int i = 0; i < 5; i++) {
		a = add_ok(fx, 1, 0);
		kick_expect(fx, true);
		complete(fx, a, 0);
	}
	assert_position(fx, 1, false, 1, false);
	/* Slot 1 holds lap 0's used descriptor; flags 0 look used in lap 1. */
	model_packed_write_desc(&fx->model, 1, a->id, 0, model_packed_used_flags(false));
	assert_breaks(fx, VQ_REFUSE_WRAP, NULL, 0);
}

static void test_bad_in_order_batch_id(void **state)
{
	struct fx *fx = *state;
	struct rec *a, *b;
	uint16_t stranger;

	a = add_ok(fx, 1, 0);
	b = add_ok(fx, 1, 0);
	kick_expect(fx, true);
	pop_rec(fx, a);
	pop_rec(fx, b);
	stranger = 0;
	while (stranger == a->id || stranger == b->id)
		stranger++;
	/* A batch entry naming an id that is not in flight. */
	model_packed_write_desc(&fx->model, 0, stranger, 0, model_packed_used_flags(true));
	assert_breaks(fx, VQ_REFUSE_ID_NOT_INFLIGHT, RECS(a, b));
}

/* ---- teardown, position, reset --------------------------------------- */

static void test_detach_unused(void **state)
{
	struct fx *fx = *state;
	struct rec *r[6];
	unsigned int got = 0;
	void *c;

	for (int i = 0; i < 5; i++)
		r[i] = add_ok(fx, 1, (uint16_t)(i % 2));
	kick_expect(fx, true);
	for (int i = 0; i < 5; i++)
		pop_rec(fx, r[i]);
	push_rec(fx, r[1], 0);
	push_rec(fx, r[3], 0);
	get_expect(fx, r[1], 0);
	get_expect(fx, r[3], 0);
	/* Added but never published counts as in flight too. */
	r[5] = add_ok(fx, 0, 1);
	assert_int_equal(vq_num_inflight(fx->vq), 4);

	while ((c = vq_detach_unused(fx->vq)) != NULL) {
		struct rec *rr = c;

		assert_true(rr == r[0] || rr == r[2] || rr == r[4] || rr == r[5]);
		assert_int_equal(rr->returned, 0);
		rr->returned++;
		got++;
		assert_true(got <= 4);
	}
	assert_int_equal(got, 4);
	assert_null(vq_detach_unused(fx->vq));
	assert_int_equal(vq_num_inflight(fx->vq), 0);
	assert_int_equal(r[1]->returned, 1);
	assert_int_equal(r[3]->returned, 1);
}

static void test_position_tracks_model(void **state)
{
	struct fx *fx = *state;
	struct rec *a, *b, *c;

	assert_int_equal(fx->p.size, 5);
	assert_position(fx, 0, true, 0, true);
	a = add_ok(fx, 1, 1);
	vq_publish(fx->vq);
	assert_position(fx, 2, true, 0, true);
	b = add_ok(fx, 2, 1);
	vq_publish(fx->vq);
	assert_position(fx, 0, false, 0, true);
	pop_rec(fx, a);
	pop_rec(fx, b);
	assert_int_equal(fx->model.avail_idx, 0);
	assert_false(fx->model.avail_wrap);

	/* Out of order: b's descriptor goes to slot 0 and skips b's three slots. */
	push_rec(fx, b, 0);
	get_expect(fx, b, 0);
	assert_position(fx, 0, false, 3, true);
	push_rec(fx, a, 0);
	get_expect(fx, a, 0);
	assert_position(fx, 0, false, 0, false);
	assert_position_model(fx);

	for (int i = 0; i < 7; i++) {
		c = add_ok(fx, 1, 0);
		vq_publish(fx->vq);
		complete(fx, c, 0);
		assert_position_model(fx);
	}
	assert_position(fx, 2, true, 2, true);
}

static void test_reset_clears(void **state)
{
	struct fx *fx = *state;
	struct rec *r[3];

	for (int i = 0; i < 3; i++)
		r[i] = add_ok(fx, 1, 0);
	vq_disable_cb(fx->vq);
	kick_expect(fx, true);
	pop_rec(fx, r[0]);
	push_rec(fx, r[0], 0);
	get_expect(fx, r[0], 0);
	for (int i = 1; i < 3; i++) {
		void *c = vq_detach_unused(fx->vq);

		assert_true(c == r[1] || c == r[2]);
		((struct rec *)c)->returned++;
	}
	assert_null(vq_detach_unused(fx->vq));
	assert_int_equal(r[1]->returned, 1);
	assert_int_equal(r[2]->returned, 1);

	vq_reset(fx->vq);
	assert_false(vq_is_broken(fx->vq));
	assert_position(fx, 0, true, 0, true);
	assert_int_equal(vq_num_free(fx->vq), fx->p.size);
	assert_int_equal(vq_num_inflight(fx->vq), 0);
	assert_ring_zeroed(fx);
	assert_false(vq_has_used(fx->vq));

	model_packed_reset(&fx->model);
	for (unsigned int i = 0; i < fx->nrecs; i++)
		fx->recs[i].state = REC_FREE;
	r[0] = add_ok(fx, 1, 1);
	vq_publish(fx->vq);
	complete(fx, r[0], 1);
	assert_position_model(fx);
}

/* ---- registration ------------------------------------------------------ */

static struct fx_params p1 = {.size = 1};
static struct fx_params p4 = {.size = 4};
static struct fx_params p5 = {.size = 5};
static struct fx_params p7 = {.size = 7};
static struct fx_params p8 = {.size = 8};
static struct fx_params p16 = {.size = 16};
static struct fx_params p16_io = {.size = 16, .features = F_IN_ORDER};
static struct fx_params p16_io512 = {.size = 16, .features = F_IN_ORDER, .simd_bits = 512};
static struct fx_params p8_io512 = {.size = 8, .features = F_IN_ORDER, .simd_bits = 512};
static struct fx_params p5_io512 = {.size = 5, .features = F_IN_ORDER | F_EVENT_IDX, .simd_bits = 512};
static struct fx_params p256 = {.size = 256};
static struct fx_params p4_ev = {.size = 4, .features = F_EVENT_IDX};
static struct fx_params p5_ev = {.size = 5, .features = F_EVENT_IDX};
static struct fx_params p7_ev = {.size = 7, .features = F_EVENT_IDX};
static struct fx_params p8_ev = {.size = 8, .features = F_EVENT_IDX};
static struct fx_params p5_io = {.size = 5, .features = F_IN_ORDER | F_EVENT_IDX};
static struct fx_params p8_io = {.size = 8, .features = F_IN_ORDER};
static struct fx_params p4_ind = {.size = 4, .features = F_INDIRECT, .indirect_max = 4};
static struct fx_params p5_ind = {
    .size = 5, .features = F_INDIRECT | F_EVENT_IDX, .indirect_max = 6};
static struct fx_params p4_ind_none = {.size = 4, .features = F_INDIRECT};

/* vq_add_bulk() of @n one-buffer recs (writable or not); returns how many went in. */
static uint16_t bulk_add(struct fx *fx, struct rec **r, uint16_t n, bool writable)
{
	struct vq_buf bufs[16];
	void *cookies[16];
	uint16_t i, added;

	assert_true(n <= 16);
	for (i = 0; i < n; i++) {
		r[i] = rec_simple(fx, writable ? 0 : 1, writable ? 1 : 0);
		bufs[i] = r[i]->bufs[0];
		cookies[i] = r[i];
	}
	added = vq_add_bulk(fx->vq, bufs, cookies, n, writable);
	for (i = 0; i < n; i++) {
		if (i < added) {
			r[i]->state = REC_ADDED;
			fx->drv_slots++;
		} else {
			r[i]->state = REC_FREE;
		}
	}
	return added;
}

/* vq_get_used_bulk() must give back exactly @want, in that order, with their lengths. */
static void bulk_get_expect(struct fx *fx, struct rec **want, uint16_t n, uint16_t max)
{
	void *got[16];
	uint32_t lens[16];
	uint16_t i;

	assert_int_equal(vq_get_used_bulk(fx->vq, got, lens, max), n);
	for (i = 0; i < n; i++) {
		assert_ptr_equal(got[i], want[i]);
		if (want[i]->len > want[i]->writable)
			assert_int_equal(lens[i], VQ_LEN_REFUSED);
		else
			assert_int_equal(lens[i], want[i]->len);
		want[i]->state = REC_FREE;
	}
}

/*
 * vq_add_bulk() and vq_get_used_bulk() on a ring of 5, around several
 * wraps: what the device sees and what comes back is what one-by-one calls
 * would have made.
 */
static void test_bulk(void **state)
{
	struct fx *fx = *state;
	const struct vq_stats *st = vq_get_stats(fx->vq);
	struct rec *r[16], *order[16];
	void *none[1] = {NULL};
	struct vq_buf buf = {0x1000, 1};

	assert_int_equal(vq_add_bulk(fx->vq, &buf, none, 1, true), 0);
	assert_int_equal(bulk_add(fx, r, 7, true), 5);
	assert_int_equal(st->ring_full, 1);
	assert_int_equal(vq_num_free(fx->vq), 0);
	/* Published at once: the kick only notifies. */
	assert_true(model_packed_avail_ready(&fx->model));
	vq_kick(fx->vq);
	for (int i = 0; i < 5; i++)
		pop_rec(fx, r[i]);
	pop_none(fx);
	bulk_get_expect(fx, NULL, 0, 16);

	push_rec(fx, r[2], 10);
	push_rec(fx, r[0], (uint32_t)r[0]->writable + 1); /* refused: past its buffer */
	order[0] = r[2];
	order[1] = r[0];
	bulk_get_expect(fx, order, 2, 2);
	assert_int_equal(st->refused[VQ_REFUSE_LEN], 1);
	push_rec(fx, r[4], 4);
	push_rec(fx, r[1], 1);
	push_rec(fx, r[3], 3);
	order[0] = r[4];
	order[1] = r[1];
	order[2] = r[3];
	bulk_get_expect(fx, order, 3, 16);
	assert_int_equal(vq_num_free(fx->vq), 5);

	/* Laps of three, readable, so the wrap counters flip under bulk adds. */
	for (int lap = 0; lap < 12; lap++) {
		assert_int_equal(bulk_add(fx, r, 3, false), 3);
		vq_kick(fx->vq);
		for (int i = 0; i < 3; i++) {
			pop_rec(fx, r[i]);
			push_rec(fx, r[i], 0);
		}
		bulk_get_expect(fx, r, 3, 16);
	}
	assert_int_equal(vq_num_inflight(fx->vq), 0);
	assert_int_equal(st->chains_used, 5 - 1 + 36);
	assert_position_model(fx);
}

/* A bulk add publishes what vq_add() staged before it, first, and its own chains. */
static void test_bulk_publishes_staged(void **state)
{
	struct fx *fx = *state;
	struct rec *a = add_ok(fx, 1, 1);
	struct rec *r[2];

	pop_none(fx);
	assert_int_equal(bulk_add(fx, r, 2, true), 2);
	pop_rec(fx, a);
	pop_rec(fx, r[0]);
	pop_rec(fx, r[1]);
	pop_none(fx);
	assert_int_equal(fx->notify_calls, 0);
	kick_expect(fx, true);
}

/* vq_reclaim_bulk() must give back exactly @want, in that order. */
static void reclaim_expect(struct fx *fx, struct rec **want, uint16_t n, uint16_t max)
{
	void *got[16];
	uint16_t i;

	assert_int_equal(vq_reclaim_bulk(fx->vq, got, max), n);
	for (i = 0; i < n; i++) {
		assert_ptr_equal(got[i], want[i]);
		want[i]->state = REC_FREE;
	}
}

/*
 * In order: one used descriptor per batch, the rest of the batch taken
 * without reading, across wraps and across calls; an impossible id breaks
 * the ring.
 */
static void test_reclaim_in_order(void **state)
{
	struct fx *fx = *state;
	const struct vq_stats *st = vq_get_stats(fx->vq);
	struct rec *r[8], *want[8];
	uint16_t ids[8];
	int lap, i;

	want[0] = add_ok(fx, 2, 0); /* two slots */
	assert_int_equal(bulk_add(fx, r, 3, false), 3);
	kick_expect(fx, true);
	pop_rec(fx, want[0]);
	for (i = 0; i < 3; i++)
		want[i + 1] = pop_rec(fx, r[i]);
	reclaim_expect(fx, want, 0, 8);
	for (i = 0; i < 3; i++)
		ids[i] = want[i]->id;
	assert_int_equal(model_packed_push_batch(&fx->model, ids, 3, 0), 0);
	reclaim_expect(fx, want, 2, 2);
	reclaim_expect(fx, &want[2], 1, 8);
	assert_int_equal(vq_num_free(fx->vq), 7);
	push_rec(fx, want[3], 0);
	reclaim_expect(fx, &want[3], 1, 8);
	assert_int_equal(vq_num_inflight(fx->vq), 0);
	assert_position_model(fx);

	/* Laps of three, each completed as one batch: the wrap counters flip. */
	for (lap = 0; lap < 10; lap++) {
		assert_int_equal(bulk_add(fx, r, 3, false), 3);
		kick_expect(fx, true);
		for (i = 0; i < 3; i++)
			ids[i] = pop_rec(fx, r[i])->id;
		assert_int_equal(model_packed_push_batch(&fx->model, ids, 3, 0), 0);
		reclaim_expect(fx, r, 3, 16);
		assert_position_model(fx);
	}
	assert_int_equal(st->chains_used, 4 + 30);
	for (i = 0; i < VQ_REFUSE_MAX; i++)
		assert_int_equal(st->refused[i], 0);

	/* A used descriptor naming a buffer id past the ring. */
	assert_int_equal(bulk_add(fx, r, 2, false), 2);
	kick_expect(fx, true);
	pop_rec(fx, r[0]);
	pop_rec(fx, r[1]);
	model_packed_write_desc(&fx->model, fx->model.used_idx, 200, 0,
				model_packed_used_flags(fx->model.used_wrap));
	reclaim_expect(fx, r, 0, 8);
	assert_true(vq_is_broken(fx->vq));
	assert_int_equal(st->refused[VQ_REFUSE_ID_RANGE], 1);
}

/* Without IN_ORDER a reclaim is vq_get_used_bulk() without the lengths. */
static void test_reclaim_any_order(void **state)
{
	struct fx *fx = *state;
	const struct vq_stats *st = vq_get_stats(fx->vq);
	struct rec *r[3], *want[3];

	assert_int_equal(bulk_add(fx, r, 3, true), 3);
	kick_expect(fx, true);
	for (int i = 0; i < 3; i++)
		pop_rec(fx, r[i]);
	push_rec(fx, r[2], 1);
	push_rec(fx, r[0], (uint32_t)r[0]->writable + 1); /* refused, still given back */
	push_rec(fx, r[1], 0);
	want[0] = r[2];
	want[1] = r[0];
	want[2] = r[1];
	reclaim_expect(fx, want, 3, 8);
	assert_int_equal(st->refused[VQ_REFUSE_LEN], 1);
	assert_int_equal(vq_num_inflight(fx->vq), 0);
	assert_position_model(fx);
}

/*
 * Used entries a cache line at a time (four one-buffer chains): whole
 * lines, a line with a refused length in it, a line cut by the caller's
 * max, and laps across the wrap. What comes back is what one-by-one calls
 * would give: same order, lengths, refusals, counters and ring position.
 */
static void test_bulk_lines(void **state)
{
	struct fx *fx = *state;
	const struct vq_stats *st = vq_get_stats(fx->vq);
	bool in_order = (fx->p.features & F_IN_ORDER) != 0;
	/* Out of order, each line comes back permuted; in order, as it went. */
	static const uint16_t perm[4] = {3, 1, 0, 2};
	struct rec *r[16], *order[16];
	uint16_t i;

	assert_int_equal(bulk_add(fx, r, 16, true), 16);
	vq_kick(fx->vq);
	for (i = 0; i < 16; i++)
		pop_rec(fx, r[i]);
	/* Line 0, whole. */
	for (i = 0; i < 4; i++) {
		order[i] = r[in_order ? i : perm[i]];
		push_rec(fx, order[i], (uint32_t)order[i]->writable - (i & 1));
	}
	bulk_get_expect(fx, order, 4, 16);
	/* Line 1, its second entry past its buffer: refused, the rest delivered. */
	for (i = 0; i < 4; i++) {
		order[i] = r[4 + (in_order ? i : perm[i])];
		push_rec(fx, order[i], (uint32_t)order[i]->writable + (i == 1));
	}
	bulk_get_expect(fx, order, 4, 16);
	assert_int_equal(st->refused[VQ_REFUSE_LEN], 1);
	/* Lines 2 and 3 used, taken 6 then 2. */
	for (i = 0; i < 8; i++) {
		order[i] = r[8 + (in_order ? i : (i & ~3u) + perm[i & 3])];
		push_rec(fx, order[i], (uint32_t)order[i]->writable);
	}
	bulk_get_expect(fx, order, 6, 6);
	bulk_get_expect(fx, order + 6, 2, 16);
	assert_int_equal(vq_num_free(fx->vq), 16);
	assert_int_equal(vq_num_inflight(fx->vq), 0);
	assert_position_model(fx);

	/* Laps of twelve: lines across the wrap, the wrap counter flipping under them. */
	for (int lap = 0; lap < 6; lap++) {
		assert_int_equal(bulk_add(fx, r, 12, true), 12);
		vq_kick(fx->vq);
		for (i = 0; i < 12; i++) {
			pop_rec(fx, r[i]);
			push_rec(fx, r[i], (uint32_t)r[i]->writable - (i & 1));
		}
		bulk_get_expect(fx, r, 12, 16);
		assert_position_model(fx);
	}
	assert_int_equal(st->chains_used, 16 - 1 + 72);
	assert_int_equal(st->refused[VQ_REFUSE_LEN], 1);
}

/*
 * A bad descriptor in the middle of a line of used ones, as a bulk read
 * meets it: the good ones before it come back, then the queue breaks for
 * the bad one's reason, as one-by-one reads would have it. @bad_slot 2 of
 * a 16-entry ring with 8 chains in flight.
 */
static void bulk_line_breaks(struct fx *fx, uint16_t id, uint16_t flags,
			     enum vq_refuse_reason reason)
{
	struct rec *r[16];
	void *got[16];
	uint32_t lens[16];
	uint16_t i;

	assert_int_equal(bulk_add(fx, r, 8, true), 8);
	vq_kick(fx->vq);
	for (i = 0; i < 8; i++)
		pop_rec(fx, r[i]);
	push_rec(fx, r[0], (uint32_t)r[0]->writable);
	push_rec(fx, r[1], 0);
	model_packed_write_desc(&fx->model, 2, id, 1, flags);
	/* A good one after it, in slot 3. */
	model_packed_write_desc(&fx->model, 3, r[3]->id, 1, model_packed_used_flags(true));
	assert_int_equal(vq_get_used_bulk(fx->vq, got, lens, 16), 2);
	assert_ptr_equal(got[0], r[0]);
	assert_int_equal(lens[0], r[0]->writable);
	assert_ptr_equal(got[1], r[1]);
	assert_int_equal(lens[1], 0);
	r[0]->state = r[1]->state = REC_FREE;
	assert_true(vq_is_broken(fx->vq));
	assert_string_equal(vq_broken_reason(fx->vq), vq_refuse_reason_name(reason));
	assert_int_equal(vq_get_stats(fx->vq)->chains_used, 2);
	assert_int_equal(vq_get_used_bulk(fx->vq, got, lens, 16), 0);
}

static void test_bulk_line_bad_id_range(void **state)
{
	bulk_line_breaks(*state, 0xffff, model_packed_used_flags(true), VQ_REFUSE_ID_RANGE);
}

static void test_bulk_line_bad_wrap(void **state)
{
	struct fx *fx = *state;

	/* USED matches the wrap counter, AVAIL does not; the id is its own slot's. */
	bulk_line_breaks(fx, (fx->p.features & F_IN_ORDER) ? 2 : 0xfffe, VRING_PACKED_DESC_F_USED,
			 VQ_REFUSE_WRAP);
}

/* The same with AVX-512: the queue says so, and gives what the scalar path gives. */
static void test_bulk_lines_avx512(void **state)
{
	struct fx *fx = *state;

	assert_string_equal(vq_datapath(fx->vq), "avx512");
	test_bulk_lines(state);
}

#define T(fn, params) cmocka_unit_test_prestate_setup_teardown(fn, fx_setup, fx_teardown, &params)

/* One function per configuration, so that cmocka's report names the ring. */
#define LAPS(body, params)                                                                         \
	static void body##_##params(void **state)                                                  \
	{                                                                                          \
		body(state);                                                                       \
	}
LAPS(test_laps_out_of_order, p1)
LAPS(test_laps_out_of_order, p4)
LAPS(test_laps_out_of_order, p5)
LAPS(test_laps_out_of_order, p7)
LAPS(test_laps_out_of_order, p8)
LAPS(test_laps_event_idx, p4_ev)
LAPS(test_laps_event_idx, p5_ev)
LAPS(test_laps_event_idx, p7_ev)
LAPS(test_laps_event_idx, p8_ev)
LAPS(test_laps_in_order, p5_io)
LAPS(test_laps_in_order, p8_io)
LAPS(test_laps_in_order, p5_io512)
LAPS(test_laps_in_order, p8_io512)
LAPS(test_laps_indirect, p4_ind)
LAPS(test_laps_indirect, p5_ind)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_create_rejects_bad_sizes, p8),
	    T(test_create_state, p5),
	    T(test_create_state, p256),
	    T(test_ring_addrs_dev_offset, p4_ind),
	    T(test_single_roundtrip, p4),
	    T(test_bulk, p5),
	    T(test_bulk_lines, p16),
	    T(test_bulk_lines, p16_io),
	    T(test_bulk_lines_avx512, p16_io512),
	    T(test_bulk_line_bad_id_range, p16),
	    T(test_bulk_line_bad_id_range, p16_io),
	    T(test_bulk_line_bad_id_range, p16_io512),
	    T(test_bulk_line_bad_wrap, p16),
	    T(test_bulk_line_bad_wrap, p16_io),
	    T(test_bulk_line_bad_wrap, p16_io512),
	    T(test_laps_in_order_p5_io512, p5_io512),
	    T(test_laps_in_order_p8_io512, p8_io512),
	    T(test_reclaim_in_order, p8_io512),
	    T(test_add_invalid, p4),
	    T(test_add_invisible_until_publish, p8),
	    T(test_bulk_publishes_staged, p8),
	    T(test_reclaim_in_order, p8_io),
	    T(test_reclaim_any_order, p8),
	    T(test_laps_out_of_order_p1, p1),
	    T(test_laps_out_of_order_p4, p4),
	    T(test_laps_out_of_order_p5, p5),
	    T(test_laps_out_of_order_p7, p7),
	    T(test_laps_out_of_order_p8, p8),
	    T(test_laps_event_idx_p4_ev, p4_ev),
	    T(test_laps_event_idx_p5_ev, p5_ev),
	    T(test_laps_event_idx_p7_ev, p7_ev),
	    T(test_laps_event_idx_p8_ev, p8_ev),
	    T(test_laps_in_order_p5_io, p5_io),
	    T(test_laps_in_order_p8_io, p8_io),
	    T(test_laps_indirect_p4_ind, p4_ind),
	    T(test_laps_indirect_p5_ind, p5_ind),
	    T(test_ring_full_single, p4),
	    T(test_ring_full_chains, p5),
	    T(test_chain_read_write, p8),
	    T(test_chain_across_wrap, p5),
	    T(test_indirect_basic, p4_ind),
	    T(test_indirect_limits, p4_ind),
	    T(test_indirect_not_configured, p4),
	    T(test_indirect_not_configured, p4_ind_none),
	    T(test_indirect_fill_tables_intact, p4_ind),
	    T(test_in_order_batch, p8_io),
	    T(test_kick_enable_counts, p4),
	    T(test_kick_disable_counts, p4),
	    T(test_kick_toggle_counts, p4),
	    T(test_kick_info, p4),
	    T(test_kick_event_idx_sequence, p4_ev),
	    T(test_kick_event_idx_chains_across_wrap, p5_ev),
	    T(test_kick_prepare_then_notify, p4),
	    T(test_cb_enable_disable, p4),
	    T(test_cb_event_idx, p4_ev),
	    T(test_cb_state, p4),
	    T(test_cb_state, p4_ev),
	    T(test_stale_chain_tail_is_not_used, p4),
	    T(test_used_len_without_write, p8),
	    T(test_stale_tail_under_unpublished_chain, p4),
	    T(test_bad_id_range, p5),
	    T(test_bad_id_range_max, p8),
	    T(test_bad_id_not_inflight, p7),
	    T(test_used_names_unpublished_chain, p4),
	    T(test_bad_id_duplicate, p4),
	    T(test_bad_len, p4),
	    T(test_bad_len_readonly_chain, p4),
	    T(test_bad_wrap, p4),
	    T(test_bad_wrap_second_lap, p4),
	    T(test_bad_used_nothing_inflight, p4),
	    T(test_bad_used_nothing_inflight_after_lap, p4),
	    T(test_bad_in_order_batch_id, p5_io),
	    T(test_detach_unused, p8),
	    T(test_position_tracks_model, p5),
	    T(test_reset_clears, p4_ev),
	};

	return cmocka_run_group_tests_name("vq_packed", tests, NULL, NULL);
}
