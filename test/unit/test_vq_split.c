/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the split virtqueue, driver side (lib/virtio), driven by
 * the device model in model_split.c.
 *
 * Every test gets a fresh queue from its own setup: ring memory is
 * poisoned before vq_create() so a queue that relies on anything but what
 * it wrote shows up. Device addresses are process pointers, so the model
 * reads the rings and indirect tables in place.
 *
 * Expected values are worked out by hand (kick counts, indexes) or by a
 * reference computation written here from the spec (the long runs), never
 * read back from the implementation.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vpmd/virtio_spec.h>
#include <vpmd/virtqueue.h>

#include "model_split.h"
#include "refuse_hook.h"

#define ARENA_SIZE 65536u
#define QUEUE_INDEX 3u
/* Enough chains that both 16-bit indexes overflow at least once. */
#define LAPS_CHAINS 70000u

struct fix {
	struct vq_config cfg;
	void *mem;
	size_t mem_size;
	struct virtqueue *vq;
	struct model_split m;
	struct model_split_chain c; /* scratch for pops (too big for the stack) */
	unsigned int notified;      /* calls of the notify callback */
	uint16_t notify_index;      /* queue index the callback last got */
	int notify_rc;              /* what the callback returns */
	void *scratch;              /* a test's heap state, freed by teardown even if it fails */
	struct refuse_hook refused; /* every refusal, through vq_config's hook */
	uint8_t arena[ARENA_SIZE];  /* buffers handed to the device */
};

static int notify_cb(void *ctx, uint16_t queue_index)
{
	struct fix *f = ctx;

	f->notified++;
	f->notify_index = queue_index;
	return f->notify_rc;
}

static size_t round64(size_t n)
{
	return (n + 63) & ~(size_t)63;
}

/* Ring memory as a transport would hand it over: aligned, never clean. */
static void *ring_alloc(size_t size)
{
	void *mem = aligned_alloc(64, round64(size));

	if (mem != NULL)
		memset(mem, 0xa5, round64(size));
	return mem;
}

static int fix_open(void **state, uint16_t size, uint64_t features, uint16_t indirect_max)
{
	struct fix *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	*state = f;
	f->cfg.layout = VQ_LAYOUT_SPLIT;
	f->cfg.size = size;
	f->cfg.index = QUEUE_INDEX;
	f->cfg.features = features | VIRTIO_BIT(VIRTIO_F_VERSION_1);
	f->cfg.indirect_max = indirect_max;
	f->cfg.notify = notify_cb;
	f->cfg.notify_ctx = f;
	f->cfg.refused = refuse_hook_cb;
	f->cfg.refused_ctx = &f->refused;
	if (size == 0)
		return 0; /* tests that build their own queues */
	f->mem_size = vq_ring_mem_size(&f->cfg);
	if (f->mem_size == 0)
		return -1;
	f->mem = ring_alloc(f->mem_size);
	if (f->mem == NULL)
		return -1;
	if (vq_create(&f->cfg, f->mem, (uintptr_t)f->mem, &f->vq) != 0)
		return -1;
	if (model_split_init(&f->m, f->vq, f->cfg.features) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	if (f == NULL)
		return 0;
	if (f->vq != NULL)
		refuse_hook_check(&f->refused, f->vq);
	model_split_fini(&f->m);
	free(f->scratch);
	vq_destroy(f->vq);
	free(f->mem);
	free(f);
	return 0;
}

static int setup_bare(void **state)
{
	return fix_open(state, 0, 0, 0);
}

static int setup_s4(void **state)
{
	return fix_open(state, 4, 0, 0);
}

static int setup_s8(void **state)
{
	return fix_open(state, 8, 0, 0);
}

static int setup_s8_event(void **state)
{
	return fix_open(state, 8, VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX), 0);
}

static int setup_s8_indirect(void **state)
{
	return fix_open(state, 8, VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC), 4);
}

/* INDIRECT_DESC negotiated, but no tables asked for. */
static int setup_s8_indirect_no_tables(void **state)
{
	return fix_open(state, 8, VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC), 0);
}

static int setup_s8_in_order(void **state)
{
	return fix_open(state, 8, VIRTIO_BIT(VIRTIO_F_IN_ORDER), 0);
}

static int setup_s4_event_indirect(void **state)
{
	return fix_open(state, 4,
			VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) |
				VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC),
			4);
}

static int setup_s8_event_indirect(void **state)
{
	return fix_open(state, 8,
			VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) |
				VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC),
			4);
}

/* ---- helpers ---- */

static struct vq_buf mkbuf(struct fix *f, uint32_t off, uint32_t len)
{
	struct vq_buf b = { .addr = (uintptr_t)&f->arena[off % ARENA_SIZE], .len = len };

	return b;
}

/* Opaque, distinct, non-NULL cookies. */
#define COOKIE(n) ((void *)(uintptr_t)(0x1000u + (n)))

/* Add a chain of @n_out readable and @n_in writable buffers; 1000 bytes each, at off. */
static int add_chain(struct fix *f, uint32_t off, uint16_t n_out, uint16_t n_in, void *cookie,
		     unsigned int flags)
{
	struct vq_buf bufs[16];
	uint16_t i;

	assert_true(n_out + n_in <= 16);
	for (i = 0; i < n_out + n_in; i++)
		bufs[i] = mkbuf(f, off + i * 1000u, 1000u);
	return vq_add(f->vq, bufs, n_out, n_in, cookie, flags);
}

static void pop_ok(struct fix *f, struct model_split_chain *c)
{
	int rc = model_split_pop(&f->m, c);

	if (rc != 1)
		print_error("model_split_pop: %d (%s)\n", rc, f->m.err);
	assert_int_equal(rc, 1);
}

static void expect_used(struct fix *f, void *cookie, uint32_t len)
{
	void *got = NULL;
	uint32_t got_len = 0xdeadbeef;

	assert_int_equal(vq_get_used(f->vq, &got, &got_len), 1);
	assert_ptr_equal(got, cookie);
	assert_int_equal(got_len, len);
}

static void expect_no_used(struct fix *f)
{
	void *got = NULL;
	uint32_t len = 0;

	assert_int_equal(vq_get_used(f->vq, &got, &len), 0);
}

static void check_buf(const struct model_split_buf *b, struct fix *f, uint32_t off, uint32_t len,
		      bool write)
{
	assert_int_equal(b->addr, (uintptr_t)&f->arena[off % ARENA_SIZE]);
	assert_int_equal(b->len, len);
	assert_int_equal(b->write, write);
}

/* One add/kick/pop/push/get cycle of a single writable buffer. */
static void round_trip(struct fix *f, uint32_t n, uint32_t len)
{
	assert_int_equal(add_chain(f, 0, 0, 1, COOKIE(n), 0), 0);
	vq_kick(f->vq);
	pop_ok(f, &f->c);
	model_split_push(&f->m, f->c.head, len);
	expect_used(f, COOKIE(n), len);
}

static uint32_t rng_next(uint32_t *s)
{
	/* xorshift32: deterministic, so a failure replays. */
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* ---- configuration and layout ---- */

static void test_create_bad_size(void **state)
{
	static const uint16_t bad[] = { 0, 3, 6, 12, 100, 1000, 32767, 32769, 40000, 65535 };
	static const uint16_t good[] = { 1, 2, 4, 256, 32768 };
	struct fix *f = *state;
	struct vq_config cfg = f->cfg;
	struct virtqueue *vq;
	size_t i, size;
	void *mem;

	/* Big enough for any queue, so only the size can be the reason. */
	cfg.size = 32768;
	size = vq_ring_mem_size(&cfg);
	assert_true(size > 0);
	mem = ring_alloc(size);
	assert_non_null(mem);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.size = bad[i];
		assert_int_equal(vq_ring_mem_size(&cfg), 0);
		vq = NULL;
		assert_int_equal(vq_create(&cfg, mem, (uintptr_t)mem, &vq), -EINVAL);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct vq_position pos;

		cfg.size = good[i];
		assert_true(vq_ring_mem_size(&cfg) > 0);
		assert_true(vq_ring_mem_size(&cfg) <= size);
		vq = NULL;
		assert_int_equal(vq_create(&cfg, mem, (uintptr_t)mem, &vq), 0);
		assert_non_null(vq);
		assert_int_equal(vq_size(vq), good[i]);
		assert_int_equal(vq_index(vq), QUEUE_INDEX);
		assert_int_equal(vq_get_layout(vq), VQ_LAYOUT_SPLIT);
		assert_int_equal(vq_num_free(vq), good[i]);
		assert_int_equal(vq_num_inflight(vq), 0);
		assert_false(vq_is_broken(vq));
		vq_get_position(vq, &pos);
		assert_int_equal(pos.avail_idx, 0);
		assert_int_equal(pos.used_idx, 0);
		vq_destroy(vq);
	}
	free(mem);
}

/* Check one queue's areas against 2.7: alignment, sizes, no overlap, inside the memory. */
static void check_layout(const struct vq_config *cfg, uint64_t dev_base)
{
	size_t size = vq_ring_mem_size(cfg);
	uint32_t used_align = cfg->used_align ? cfg->used_align : VRING_USED_ALIGN;
	struct vq_ring_addrs a;
	struct virtqueue *vq = NULL;
	uint8_t *mem, *end;
	size_t n = cfg->size;

	assert_true(size > 0);
	mem = ring_alloc(size);
	assert_non_null(mem);
	end = mem + size;
	assert_int_equal(vq_create(cfg, mem, dev_base, &vq), 0);
	vq_ring_addrs(vq, &a);

	/* Process and device views are the same layout at two bases. */
	assert_int_equal(a.desc_dev - dev_base, (uint8_t *)a.desc - mem);
	assert_int_equal(a.driver_area_dev - dev_base, (uint8_t *)a.driver_area - mem);
	assert_int_equal(a.device_area_dev - dev_base, (uint8_t *)a.device_area - mem);

	assert_int_equal(a.desc_dev % VRING_DESC_ALIGN, 0);
	assert_int_equal(a.driver_area_dev % VRING_AVAIL_ALIGN, 0);
	assert_int_equal(a.device_area_dev % used_align, 0);

	/* Each area, event field included (2.7.6, 2.7.8), lies inside the memory. */
	assert_true((uint8_t *)a.desc >= mem);
	assert_true((uint8_t *)a.desc + 16 * n <= end);
	assert_true((uint8_t *)a.driver_area >= mem);
	assert_true((uint8_t *)a.driver_area + 6 + 2 * n <= end);
	assert_true((uint8_t *)a.device_area >= mem);
	assert_true((uint8_t *)a.device_area + 6 + 8 * n <= end);

	/* No two areas overlap. */
	assert_true((uint8_t *)a.desc + 16 * n <= (uint8_t *)a.driver_area ||
		    (uint8_t *)a.driver_area + 6 + 2 * n <= (uint8_t *)a.desc);
	assert_true((uint8_t *)a.desc + 16 * n <= (uint8_t *)a.device_area ||
		    (uint8_t *)a.device_area + 6 + 8 * n <= (uint8_t *)a.desc);
	assert_true((uint8_t *)a.driver_area + 6 + 2 * n <= (uint8_t *)a.device_area ||
		    (uint8_t *)a.device_area + 6 + 8 * n <= (uint8_t *)a.driver_area);

	/* vq_create zeroes the rings: the device must see idx 0 and no flags. */
	assert_int_equal(((struct vring_avail *)a.driver_area)->idx, 0);
	assert_int_equal(((struct vring_used *)a.device_area)->idx, 0);
	assert_int_equal(((struct vring_used *)a.device_area)->flags, 0);

	vq_destroy(vq);
	free(mem);
}

static void test_ring_layout(void **state)
{
	struct fix *f = *state;
	struct vq_config cfg = f->cfg;
	struct vq_config with_tables;

	cfg.size = 256;
	check_layout(&cfg, 0x100000000ull);
	cfg.size = 1;
	check_layout(&cfg, 0x100000040ull);

	cfg.size = 256;
	cfg.used_align = VRING_LEGACY_ALIGN;
	check_layout(&cfg, 0x200000000ull);

	/* Indirect tables are carved out of the same memory, one per descriptor. */
	cfg.used_align = 0;
	with_tables = cfg;
	with_tables.features |= VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC);
	with_tables.indirect_max = 8;
	assert_true(vq_ring_mem_size(&with_tables) >=
		    vq_ring_mem_size(&cfg) + 256u * 8u * sizeof(struct vring_desc));
	check_layout(&with_tables, 0x300000000ull);
}

/* ---- basic traffic ---- */

static void test_round_trip_single(void **state)
{
	struct fix *f = *state;
	const struct vq_stats *st = vq_get_stats(f->vq);
	uint16_t heads[3];
	int i;

	assert_false(vq_has_used(f->vq));
	assert_int_equal(add_chain(f, 0, 1, 0, COOKIE(1), 0), 0);
	assert_int_equal(add_chain(f, 4000, 0, 1, COOKIE(2), 0), 0);
	assert_int_equal(add_chain(f, 8000, 0, 1, COOKIE(3), 0), 0);
	assert_int_equal(vq_num_free(f->vq), 5);
	assert_int_equal(vq_num_inflight(f->vq), 3);
	/* Not published yet: the device must not see them. */
	assert_int_equal(model_split_avail_pending(&f->m), 0);

	assert_true(vq_kick(f->vq));
	assert_int_equal(f->notified, 1);
	assert_int_equal(f->notify_index, QUEUE_INDEX);
	assert_int_equal(model_split_avail_pending(&f->m), 3);

	for (i = 0; i < 3; i++) {
		pop_ok(f, &f->c);
		assert_int_equal(f->c.n_bufs, 1);
		assert_int_equal(f->c.n_descs, 1);
		assert_false(f->c.indirect);
		check_buf(&f->c.bufs[0], f, (uint32_t)i * 4000u, 1000u, i != 0);
		heads[i] = f->c.head;
	}
	assert_int_equal(model_split_pop(&f->m, &f->c), 0);
	assert_false(vq_has_used(f->vq));

	model_split_push(&f->m, heads[0], 0);
	assert_true(vq_has_used(f->vq));
	model_split_push(&f->m, heads[1], 1000);
	model_split_push(&f->m, heads[2], 37);
	expect_used(f, COOKIE(1), 0);
	expect_used(f, COOKIE(2), 1000);
	expect_used(f, COOKIE(3), 37);
	expect_no_used(f);
	assert_false(vq_has_used(f->vq));

	assert_int_equal(vq_num_free(f->vq), 8);
	assert_int_equal(vq_num_inflight(f->vq), 0);
	assert_int_equal(st->chains_added, 3);
	assert_int_equal(st->descs_added, 3);
	assert_int_equal(st->chains_used, 3);
	assert_int_equal(st->kicks, 1);
	assert_int_equal(st->kicks_suppressed, 0);
	assert_int_equal(st->ring_full, 0);
	for (i = 0; i < VQ_REFUSE_MAX; i++)
		assert_int_equal(st->refused[i], 0);
}

static void test_publish_without_kick(void **state)
{
	struct fix *f = *state;

	assert_int_equal(add_chain(f, 0, 1, 1, COOKIE(1), 0), 0);
	vq_publish(f->vq);
	assert_int_equal(model_split_avail_pending(&f->m), 1);
	assert_int_equal(model_split_avail_idx(&f->m), 1);
	assert_int_equal(f->notified, 0);
	assert_int_equal(vq_get_stats(f->vq)->kicks, 0);
	pop_ok(f, &f->c);
	assert_int_equal(f->c.n_bufs, 2);
	model_split_push(&f->m, f->c.head, 5);
	expect_used(f, COOKIE(1), 5);
}

/*
 * A used entry naming a chain added but not yet published (only a device
 * that guesses ids writes one). Taking used chains publishes what is staged
 * first, so the chain comes back once, already the device's, and no later
 * publish moves the avail index over a head given back.
 */
static void test_used_names_unpublished_chain(void **state)
{
	struct fix *f = *state;
	uint16_t staged_head;
	uint16_t avail_idx;

	assert_int_equal(add_chain(f, 0, 1, 1, COOKIE(1), 0), 0);
	vq_publish(f->vq);
	pop_ok(f, &f->c); /* the device holds chain 1 */
	assert_int_equal(add_chain(f, 64, 1, 1, COOKIE(2), 0), 0);
	assert_int_equal(model_split_avail_idx(&f->m), 1); /* chain 2 is staged */
	staged_head = le16toh(f->m.avail->ring[1]);

	/* The device names chain 2 in a used entry. */
	model_split_set_used_elem(&f->m, 0, staged_head, 0);
	model_split_set_used_idx(&f->m, 1);
	expect_used(f, COOKIE(2), 0);
	avail_idx = model_split_avail_idx(&f->m);
	assert_int_equal(avail_idx, 2);
	assert_int_equal(vq_num_inflight(f->vq), 1);

	/* Nothing left staged: a kick publishes nothing more. */
	assert_true(vq_kick_prepare(f->vq));
	assert_int_equal(model_split_avail_idx(&f->m), avail_idx);
	assert_ptr_equal(vq_detach_unused(f->vq), COOKIE(1));
	assert_null(vq_detach_unused(f->vq));
}

static void test_add_invalid(void **state)
{
	struct fix *f = *state;
	struct vq_buf b = mkbuf(f, 0, 64);
	const struct vq_stats *st = vq_get_stats(f->vq);

	assert_int_equal(vq_add(f->vq, &b, 0, 0, COOKIE(1), 0), -EINVAL);
	assert_int_equal(vq_add(f->vq, &b, 1, 0, NULL, 0), -EINVAL);
	assert_int_equal(vq_add(f->vq, &b, 0, 1, NULL, 0), -EINVAL);
	/* No indirect tables on this queue. */
	assert_int_equal(vq_add(f->vq, &b, 1, 0, COOKIE(1), VQ_ADD_INDIRECT), -EINVAL);

	assert_int_equal(vq_num_free(f->vq), 8);
	assert_int_equal(vq_num_inflight(f->vq), 0);
	assert_int_equal(st->chains_added, 0);
	assert_int_equal(st->ring_full, 0);
	vq_publish(f->vq);
	assert_int_equal(model_split_avail_pending(&f->m), 0);
	assert_false(vq_is_broken(f->vq));
	/* And the queue still works. */
	round_trip(f, 2, 10);
}

static void test_ring_full(void **state)
{
	struct fix *f = *state;
	const struct vq_stats *st = vq_get_stats(f->vq);
	uint16_t heads[4];
	int i;

	for (i = 0; i < 4; i++)
		assert_int_equal(add_chain(f, (uint32_t)i * 1000u, 0, 1, COOKIE(i), 0), 0);
	assert_int_equal(vq_num_free(f->vq), 0);
	assert_int_equal(add_chain(f, 0, 0, 1, COOKIE(9), 0), -ENOSPC);
	assert_int_equal(st->ring_full, 1);
	assert_int_equal(add_chain(f, 0, 1, 0, COOKIE(9), 0), -ENOSPC);
	assert_int_equal(st->ring_full, 2);
	assert_int_equal(vq_num_inflight(f->vq), 4);
	assert_int_equal(st->chains_added, 4);

	vq_kick(f->vq);
	for (i = 0; i < 4; i++) {
		pop_ok(f, &f->c);
		heads[i] = f->c.head;
	}
	/* Completing does not free anything until the driver takes the entries. */
	model_split_push(&f->m, heads[2], 3);
	model_split_push(&f->m, heads[0], 1);
	assert_int_equal(vq_num_free(f->vq), 0);
	expect_used(f, COOKIE(2), 3);
	expect_used(f, COOKIE(0), 1);
	assert_int_equal(vq_num_free(f->vq), 2);
	assert_int_equal(vq_num_inflight(f->vq), 2);

	/* Three descriptors do not fit in two; two do. */
	assert_int_equal(add_chain(f, 0, 1, 2, COOKIE(10), 0), -ENOSPC);
	assert_int_equal(st->ring_full, 3);
	assert_int_equal(vq_num_free(f->vq), 2);
	assert_int_equal(add_chain(f, 0, 1, 1, COOKIE(11), 0), 0);
	assert_int_equal(vq_num_free(f->vq), 0);
	vq_kick(f->vq);
	pop_ok(f, &f->c);
	assert_int_equal(f->c.n_bufs, 2);
	model_split_push(&f->m, f->c.head, 1000);
	model_split_push(&f->m, heads[1], 0);
	model_split_push(&f->m, heads[3], 4);
	expect_used(f, COOKIE(11), 1000);
	expect_used(f, COOKIE(1), 0);
	expect_used(f, COOKIE(3), 4);
	expect_no_used(f);
	assert_int_equal(vq_num_free(f->vq), 4);
	assert_int_equal(vq_num_inflight(f->vq), 0);
	assert_int_equal(st->chains_added, 5);
	assert_int_equal(st->chains_used, 5);
	assert_int_equal(st->ring_full, 3);
}

static void test_chain_layout(void **state)
{
	struct fix *f = *state;
	const struct vq_stats *st = vq_get_stats(f->vq);
	struct vq_buf tx_rx[5] = {
		mkbuf(f, 100, 12), mkbuf(f, 2000, 1500), /* readable */
		mkbuf(f, 5000, 64), mkbuf(f, 9000, 200), mkbuf(f, 12000, 36), /* writable */
	};
	struct vq_buf rx[2] = { mkbuf(f, 20000, 12), mkbuf(f, 30000, 4096) };
	struct vq_buf tx[3] = { mkbuf(f, 40000, 12), mkbuf(f, 41000, 60), mkbuf(f, 42000, 1) };
	uint16_t h1, h2;
	int i;

	assert_int_equal(vq_add(f->vq, tx_rx, 2, 3, COOKIE(1), 0), 0);
	assert_int_equal(vq_add(f->vq, rx, 0, 2, COOKIE(2), 0), 0);
	assert_int_equal(vq_num_free(f->vq), 1);
	assert_int_equal(st->descs_added, 7);
	vq_kick(f->vq);

	pop_ok(f, &f->c);
	h1 = f->c.head;
	assert_int_equal(f->c.n_bufs, 5);
	assert_int_equal(f->c.n_descs, 5);
	assert_int_equal(f->c.n_out, 2);
	assert_int_equal(f->c.n_in, 3);
	assert_int_equal(f->c.out_bytes, 1512);
	assert_int_equal(f->c.in_bytes, 300);
	for (i = 0; i < 5; i++) {
		assert_int_equal(f->c.bufs[i].addr, tx_rx[i].addr);
		assert_int_equal(f->c.bufs[i].len, tx_rx[i].len);
		assert_int_equal(f->c.bufs[i].write, i >= 2);
	}
	pop_ok(f, &f->c);
	h2 = f->c.head;
	assert_int_equal(f->c.n_bufs, 2);
	assert_int_equal(f->c.n_out, 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(f->c.bufs[i].addr, rx[i].addr);
		assert_int_equal(f->c.bufs[i].len, rx[i].len);
		assert_true(f->c.bufs[i].write);
	}
	/* Exactly the writable bytes is allowed. */
	model_split_push(&f->m, h2, 4108);
	model_split_push(&f->m, h1, 300);
	expect_used(f, COOKIE(2), 4108);
	expect_used(f, COOKIE(1), 300);
	assert_int_equal(vq_num_free(f->vq), 8);

	/* A readable-only chain, now that there is room; it reuses the freed descriptors. */
	assert_int_equal(vq_add(f->vq, tx, 3, 0, COOKIE(3), 0), 0);
	vq_kick(f->vq);
	pop_ok(f, &f->c);
	assert_int_equal(f->c.n_bufs, 3);
	assert_int_equal(f->c.n_in, 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(f->c.bufs[i].addr, tx[i].addr);
		assert_int_equal(f->c.bufs[i].len, tx[i].len);
		assert_false(f->c.bufs[i].write);
	}
	model_split_push(&f->m, f->c.head, 0);
	expect_used(f, COOKIE(3), 0);
	assert_int_equal(st->descs_added, 10);
	assert_int_equal(st->chains_used, 3);
}

/* ---- indirect ---- */

static void test_indirect(void **state)
{
	struct fix *f = *state;
	const struct vq_stats *st = vq_get_stats(f->vq);
	uint8_t *mem = f->mem;
	uint64_t tables[8];
	uint16_t heads[8];
	int i, j;

	/* Two readable and two writable buffers in one ring descriptor. */
	assert_int_equal(add_chain(f, 0, 2, 2, COOKIE(0), VQ_ADD_INDIRECT), 0);
	assert_int_equal(vq_num_free(f->vq), 7);
	assert_int_equal(st->descs_added, 1);
	/* More than indirect_max (4) buffers cannot go in a table. */
	assert_int_equal(add_chain(f, 0, 2, 3, COOKIE(99), VQ_ADD_INDIRECT), -EINVAL);
	assert_int_equal(vq_num_free(f->vq), 7);
	vq_kick(f->vq);
	pop_ok(f, &f->c);
	heads[0] = f->c.head;
	assert_true(f->c.indirect);
	assert_int_equal(f->c.n_descs, 1);
	assert_int_equal(f->c.n_bufs, 4);
	assert_int_equal(f->c.n_out, 2);
	assert_int_equal(f->c.n_in, 2);
	for (j = 0; j < 4; j++)
		check_buf(&f->c.bufs[j], f, (uint32_t)j * 1000u, 1000u, j >= 2);
	/* The table lives in the queue's ring memory (vq_config.indirect_max). */
	assert_true(f->c.indirect_addr >= (uintptr_t)mem);
	assert_true(f->c.indirect_addr + f->c.indirect_len <= (uintptr_t)mem + f->mem_size);
	tables[0] = f->c.indirect_addr;

	/* Fill the ring: every indirect chain needs its own table. */
	for (i = 1; i < 8; i++)
		assert_int_equal(add_chain(f, (uint32_t)i * 100u, 1, 3, COOKIE(i), VQ_ADD_INDIRECT),
				 0);
	assert_int_equal(vq_num_free(f->vq), 0);
	assert_int_equal(add_chain(f, 0, 1, 0, COOKIE(99), VQ_ADD_INDIRECT), -ENOSPC);
	vq_kick(f->vq);
	for (i = 1; i < 8; i++) {
		pop_ok(f, &f->c);
		heads[i] = f->c.head;
		tables[i] = f->c.indirect_addr;
		assert_true(f->c.indirect);
		assert_int_equal(f->c.n_bufs, 4);
		for (j = 0; j < 4; j++)
			check_buf(&f->c.bufs[j], f, (uint32_t)i * 100u + (uint32_t)j * 1000u, 1000u,
				  j >= 1);
		for (j = 0; j < i; j++)
			assert_true(tables[j] + 4 * 16 <= tables[i] ||
				    tables[i] + 4 * 16 <= tables[j]);
	}
	for (i = 7; i >= 0; i--)
		model_split_push(&f->m, heads[i], (uint32_t)i * 10u);
	for (i = 7; i >= 0; i--)
		expect_used(f, COOKIE(i), (uint32_t)i * 10u);
	assert_int_equal(vq_num_free(f->vq), 8);
	assert_int_equal(st->descs_added, 8);
	assert_int_equal(st->chains_added, 8);

	/* With one descriptor free, an indirect chain fits where a direct one does not. */
	for (i = 0; i < 7; i++)
		assert_int_equal(add_chain(f, 0, 1, 0, COOKIE(10 + i), 0), 0);
	assert_int_equal(add_chain(f, 0, 1, 2, COOKIE(20), 0), -ENOSPC);
	assert_int_equal(add_chain(f, 0, 1, 2, COOKIE(20), VQ_ADD_INDIRECT), 0);
	vq_kick(f->vq);
	for (i = 0; i < 8; i++) {
		pop_ok(f, &f->c);
		assert_int_equal(f->c.indirect, i == 7);
		model_split_push(&f->m, f->c.head, f->c.in_bytes);
	}
	for (i = 0; i < 7; i++)
		expect_used(f, COOKIE(10 + i), 0);
	expect_used(f, COOKIE(20), 2000);
	expect_no_used(f);
}

static void test_indirect_no_tables(void **state)
{
	struct fix *f = *state;

	/* Negotiated, but indirect_max 0: no table to put the chain in. */
	assert_int_equal(add_chain(f, 0, 1, 1, COOKIE(1), VQ_ADD_INDIRECT), -EINVAL);
	assert_int_equal(vq_num_free(f->vq), 8);
	assert_int_equal(vq_num_inflight(f->vq), 0);
	round_trip(f, 2, 1);
}

static void test_indirect_not_negotiated(void **state)
{
	struct fix *f = *state;
	struct vq_config cfg = f->cfg;
	struct virtqueue *vq = NULL;
	struct vq_buf b = mkbuf(f, 0, 10);
	size_t size;
	void *mem;
	int rc;

	/* Tables asked for without INDIRECT_DESC: refused at create or at add. */
	cfg.size = 8;
	cfg.indirect_max = 4;
	size = vq_ring_mem_size(&cfg);
	mem = ring_alloc(size ? size : 4096);
	assert_non_null(mem);
	rc = vq_create(&cfg, mem, (uintptr_t)mem, &vq);
	if (rc == 0) {
		assert_int_equal(vq_add(vq, &b, 1, 0, COOKIE(1), VQ_ADD_INDIRECT), -EINVAL);
		assert_int_equal(vq_num_free(vq), 8);
		vq_destroy(vq);
	} else {
		assert_int_equal(rc, -EINVAL);
	}
	free(mem);
}

/* ---- in-order ---- */

static void test_in_order_each(void **state)
{
	struct fix *f = *state;
	uint32_t n;

	/*
	 * Chains of 1, 2 and 3 descriptors, two at a time, so the table
	 * wraps in odd places. The model checks next == x + 1 (mod size) on
	 * every NEXT (2.7.5.1).
	 */
	for (n = 0; n < 40; n += 2) {
		uint32_t k;

		for (k = n; k < n + 2; k++)
			assert_int_equal(add_chain(f, k * 10u, 1, (uint16_t)(k % 3), COOKIE(k), 0), 0);
		vq_kick(f->vq);
		for (k = n; k < n + 2; k++) {
			pop_ok(f, &f->c);
			assert_int_equal(f->c.n_bufs, 1 + k % 3);
			check_buf(&f->c.bufs[0], f, k * 10u, 1000u, false);
			model_split_push(&f->m, f->c.head, f->c.in_bytes);
		}
		for (k = n; k < n + 2; k++)
			expect_used(f, COOKIE(k), (k % 3) * 1000u);
		expect_no_used(f);
	}
	assert_int_equal(vq_num_free(f->vq), 8);
	assert_int_equal(vq_get_stats(f->vq)->chains_used, 40);
}

static void test_in_order_batch(void **state)
{
	struct fix *f = *state;
	struct vq_position pos;
	uint16_t heads[4];
	int i;

	/* 1 + 2 + 1 + 3 = 7 descriptors. */
	assert_int_equal(add_chain(f, 0, 1, 0, COOKIE(0), 0), 0);
	assert_int_equal(add_chain(f, 0, 1, 1, COOKIE(1), 0), 0);
	assert_int_equal(add_chain(f, 0, 0, 1, COOKIE(2), 0), 0);
	assert_int_equal(add_chain(f, 0, 1, 2, COOKIE(3), 0), 0);
	vq_kick(f->vq);
	for (i = 0; i < 4; i++) {
		pop_ok(f, &f->c);
		heads[i] = f->c.head;
	}
	/* 2.7.9: one used entry for the batch, naming its last chain; used idx += 4. */
	assert_int_equal(model_split_push_in_order(&f->m, heads[3], 55), 4);
	assert_int_equal(f->m.used_idx, 4);
	expect_used(f, COOKIE(0), 0);
	expect_used(f, COOKIE(1), 0);
	expect_used(f, COOKIE(2), 0);
	expect_used(f, COOKIE(3), 55);
	/* The batch covered used entries 0..3: nothing is left to read. */
	assert_false(vq_has_used(f->vq));
	expect_no_used(f);
	assert_int_equal(vq_get_stats(f->vq)->refused[VQ_REFUSE_ID_NOT_INFLIGHT], 0);
	assert_int_equal(vq_num_free(f->vq), 8);
	assert_int_equal(vq_num_inflight(f->vq), 0);
	assert_int_equal(vq_get_stats(f->vq)->chains_used, 4);
	vq_get_position(f->vq, &pos);
	assert_int_equal(pos.used_idx, 4);
	assert_int_equal(pos.avail_idx, 4);

	/* Three 2-descriptor chains: with the table used in order, one wraps 7 -> 0. */
	for (i = 0; i < 3; i++)
		assert_int_equal(add_chain(f, 0, 1, 1, COOKIE(10 + i), 0), 0);
	vq_kick(f->vq);
	for (i = 0; i < 3; i++) {
		pop_ok(f, &f->c);
		heads[i] = f->c.head;
	}
	/* A batch of one, then a batch of two. */
	assert_int_equal(model_split_push_in_order(&f->m, heads[0], 5), 1);
	assert_int_equal(model_split_push_in_order(&f->m, heads[2], 9), 2);
	expect_used(f, COOKIE(10), 5);
	expect_used(f, COOKIE(11), 0);
	expect_used(f, COOKIE(12), 9);
	expect_no_used(f);
	vq_get_position(f->vq, &pos);
	assert_int_equal(pos.used_idx, 7);
	assert_int_equal(vq_num_free(f->vq), 8);

	/* And per-chain entries still work after batches. */
	round_trip(f, 20, 1);
	round_trip(f, 21, 2);
	assert_int_equal(vq_get_stats(f->vq)->chains_used, 9);
	assert_int_equal(vq_get_stats(f->vq)->refused[VQ_REFUSE_ID_NOT_INFLIGHT], 0);
}

/* ---- long runs across the 16-bit index overflow ---- */

enum lap_completion {
	LAP_FIFO,       /* device completes in the order it took */
	LAP_SHUFFLE,    /* any order, random subsets */
	LAP_IN_ORDER,   /* IN_ORDER batches of random size */
};

struct lap_rec {
	bool busy;
	bool indirect;
	uint16_t head;
	uint16_t n_out, n_in;
	uint32_t seq;
	uint32_t in_bytes;
	struct vq_buf bufs[4];
};

struct lap_expect {
	struct lap_rec *rec;
	uint32_t len;
};

struct lap_state {
	struct lap_rec recs[64];
	struct lap_rec *added[64];     /* added, not yet taken by the device */
	uint32_t n_added;
	struct lap_rec *held[64];      /* taken by the device, not yet used */
	uint32_t n_held;
	struct lap_expect exp[64];     /* used, not yet returned to the driver */
	uint32_t n_exp;
};

static struct lap_rec *lap_rec_get(struct lap_state *ls)
{
	unsigned int i;

	for (i = 0; i < 64; i++)
		if (!ls->recs[i].busy)
			return &ls->recs[i];
	fail_msg("no free record");
	return NULL;
}

static void lap_expect(struct lap_state *ls, struct lap_rec *r, uint32_t len)
{
	assert_true(ls->n_exp < 64);
	ls->exp[ls->n_exp].rec = r;
	ls->exp[ls->n_exp].len = len;
	ls->n_exp++;
}

static void lap_drain(struct fix *f, struct lap_state *ls, uint64_t *returned)
{
	void *cookie;
	uint32_t len, k = 0;
	int rc;

	while ((rc = vq_get_used(f->vq, &cookie, &len)) == 1) {
		struct lap_rec *r = cookie;

		assert_true(k < ls->n_exp);
		if (r != ls->exp[k].rec)
			print_error("expected seq %u back\n", ls->exp[k].rec->seq);
		assert_ptr_equal(r, ls->exp[k].rec);
		assert_true(r->busy); /* never returned twice */
		assert_int_equal(len, ls->exp[k].len);
		r->busy = false;
		k++;
		(*returned)++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(k, ls->n_exp);
	ls->n_exp = 0;
}

static void run_laps(struct fix *f, enum lap_completion mode, unsigned int indirect_pct,
		     uint32_t seed)
{
	struct lap_state *ls = f->scratch = calloc(1, sizeof(*ls));
	const bool event_idx = f->cfg.features & VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX);
	const uint16_t size = f->cfg.size;
	const struct vq_stats *st = vq_get_stats(f->vq);
	uint64_t added = 0, returned = 0, descs = 0, ring_full = 0;
	uint64_t kicks = 0, suppressed = 0;
	uint16_t published = 0, last_decision = 0, avail_event = 0;
	bool no_notify = false;
	uint32_t s = seed, seq = 0;
	struct vq_position pos;

	assert_non_null(ls);
	while (added < LAPS_CHAINS || ls->n_held || ls->n_exp || ls->n_added) {
		uint32_t want = added < LAPS_CHAINS ? rng_next(&s) % (size + 1u) : 0;
		uint32_t n_new = 0, k;

		/* Driver: add chains until the wanted number or the ring refuses. */
		while (n_new < want) {
			struct lap_rec *r = lap_rec_get(ls);
			uint16_t nd, j;
			unsigned int flags = 0;
			uint16_t need;
			bool fits;
			int rc;

			r->indirect = indirect_pct && rng_next(&s) % 100 < indirect_pct;
			nd = (uint16_t)(1 + rng_next(&s) % (r->indirect ? 4 : 3));
			r->n_out = (uint16_t)(rng_next(&s) % (nd + 1u));
			r->n_in = (uint16_t)(nd - r->n_out);
			r->in_bytes = 0;
			r->seq = seq;
			for (j = 0; j < nd; j++) {
				uint32_t len = 1 + rng_next(&s) % 1500;

				r->bufs[j] = mkbuf(f, (seq * 64u + j * 16u) % (ARENA_SIZE - 2048), len);
				if (j >= r->n_out)
					r->in_bytes += len;
			}
			if (r->indirect)
				flags = VQ_ADD_INDIRECT;
			need = r->indirect ? 1 : nd;
			/* vq_num_free() counts descriptors: it alone says whether this fits. */
			fits = vq_num_free(f->vq) >= need;
			rc = vq_add(f->vq, r->bufs, r->n_out, r->n_in, r, flags);
			if (!fits) {
				assert_int_equal(rc, -ENOSPC);
				ring_full++;
				break;
			}
			assert_int_equal(rc, 0);
			r->busy = true;
			ls->added[ls->n_added++] = r;
			added++;
			descs += need;
			seq++;
			n_new++;
		}
		assert_int_equal(vq_num_inflight(f->vq), ls->n_added + ls->n_held + ls->n_exp);

		/* Driver: kick; work out the expected decision from the spec (2.7.10). */
		if (n_new > 0) {
			bool expect;

			published = (uint16_t)(published + n_new);
			if (event_idx)
				expect = model_need_event(avail_event, published, last_decision);
			else
				expect = !no_notify;
			last_decision = published;
			kicks += expect;
			suppressed += !expect;
			assert_int_equal(vq_kick(f->vq), expect);
			assert_int_equal(f->notified, kicks);
			assert_int_equal(st->kicks_suppressed, suppressed);
			vq_get_position(f->vq, &pos);
			assert_int_equal(pos.avail_idx, published);
			assert_int_equal(model_split_avail_idx(&f->m), published);
		}

		/* Device: take everything published, checking each chain's buffers. */
		for (k = 0; k < ls->n_added; k++) {
			struct lap_rec *r = ls->added[k];
			uint16_t j;

			pop_ok(f, &f->c);
			assert_int_equal(f->c.indirect, r->indirect);
			assert_int_equal(f->c.n_descs, r->indirect ? 1 : r->n_out + r->n_in);
			assert_int_equal(f->c.n_bufs, r->n_out + r->n_in);
			assert_int_equal(f->c.in_bytes, r->in_bytes);
			for (j = 0; j < f->c.n_bufs; j++) {
				assert_int_equal(f->c.bufs[j].addr, r->bufs[j].addr);
				assert_int_equal(f->c.bufs[j].len, r->bufs[j].len);
				assert_int_equal(f->c.bufs[j].write, j >= r->n_out);
			}
			r->head = f->c.head;
			ls->held[ls->n_held++] = r;
		}
		ls->n_added = 0;
		assert_int_equal(model_split_pop(&f->m, &f->c), 0);

		/* Device: change its notification wishes now and then. */
		switch (rng_next(&s) % 4) {
		case 0:
			avail_event = f->m.last_avail; /* tell me about the next one */
			break;
		case 1:
			avail_event = (uint16_t)(f->m.last_avail + 1 + rng_next(&s) % 3);
			break;
		case 2:
			break;
		default:
			avail_event = (uint16_t)(f->m.last_avail - 1 - rng_next(&s) % 2);
			break;
		}
		/* Written in both modes: without EVENT_IDX the driver must ignore it. */
		model_split_set_avail_event(&f->m, avail_event);
		if (!event_idx) {
			no_notify = rng_next(&s) % 3 == 0;
			model_split_set_no_notify(&f->m, no_notify);
		}

		/* Device: complete some of what it holds. */
		if (ls->n_held > 0) {
			uint32_t n = added < LAPS_CHAINS ? rng_next(&s) % (ls->n_held + 1) : ls->n_held;

			while (n > 0) {
				uint32_t pick = 0, b = 1, len, i;
				struct lap_rec *r;

				if (mode == LAP_SHUFFLE)
					pick = rng_next(&s) % ls->n_held;
				else if (mode == LAP_IN_ORDER)
					b = 1 + rng_next(&s) % n;
				r = ls->held[pick + b - 1];
				len = r->in_bytes ? rng_next(&s) % (r->in_bytes + 1) : 0;
				if (mode == LAP_IN_ORDER) {
					assert_int_equal(model_split_push_in_order(&f->m, r->head, len),
							 (int)b);
					for (i = 0; i + 1 < b; i++)
						lap_expect(ls, ls->held[i], 0);
				} else {
					model_split_push(&f->m, r->head, len);
				}
				lap_expect(ls, r, len);
				memmove(&ls->held[pick], &ls->held[pick + b],
					(ls->n_held - pick - b) * sizeof(ls->held[0]));
				ls->n_held -= b;
				n -= b;
			}
		}

		/* Driver: take what was used, most of the time. */
		if (rng_next(&s) % 4 != 0 || added >= LAPS_CHAINS) {
			lap_drain(f, ls, &returned);
			vq_get_position(f->vq, &pos);
			assert_int_equal(pos.used_idx, f->m.used_idx);
		}
	}

	assert_int_equal(returned, added);
	assert_true(added >= LAPS_CHAINS);
	assert_int_equal(st->chains_added, added);
	assert_int_equal(st->chains_used, added);
	assert_int_equal(st->descs_added, descs);
	assert_int_equal(st->ring_full, ring_full);
	assert_int_equal(st->kicks, kicks);
	assert_int_equal(st->kicks_suppressed, suppressed);
	for (int i = 0; i < VQ_REFUSE_MAX; i++)
		assert_int_equal(st->refused[i], 0);
	assert_int_equal(vq_num_free(f->vq), size);
	assert_int_equal(vq_num_inflight(f->vq), 0);
	assert_false(vq_is_broken(f->vq));
}

static void test_laps_s4_fifo(void **state)
{
	run_laps(*state, LAP_FIFO, 0, 0x1234567u);
}

static void test_laps_s8_shuffle(void **state)
{
	run_laps(*state, LAP_SHUFFLE, 0, 0x9e3779b9u);
}

static void test_laps_s8_event_shuffle(void **state)
{
	run_laps(*state, LAP_SHUFFLE, 0, 0x51ed270bu);
}

static void test_laps_s4_event_indirect_shuffle(void **state)
{
	run_laps(*state, LAP_SHUFFLE, 40, 0x2545f491u);
}

static void test_laps_s8_event_indirect_fifo(void **state)
{
	run_laps(*state, LAP_FIFO, 50, 0xdeadbeefu);
}

static void test_laps_s8_in_order_batches(void **state)
{
	run_laps(*state, LAP_IN_ORDER, 0, 0xcafef00du);
}

/* ---- notifications to the device ---- */

/* Device takes and completes everything, driver takes it back: an empty ring again. */
static void settle(struct fix *f)
{
	void *cookie;
	uint32_t len;
	int rc;

	while ((rc = model_split_pop(&f->m, &f->c)) == 1)
		model_split_push(&f->m, f->c.head, 0);
	if (rc != 0)
		print_error("model_split_pop: %d (%s)\n", rc, f->m.err);
	assert_int_equal(rc, 0);
	while ((rc = vq_get_used(f->vq, &cookie, &len)) == 1)
		;
	assert_int_equal(rc, 0);
	assert_int_equal(vq_num_inflight(f->vq), 0);
}

static void add_n(struct fix *f, unsigned int n)
{
	static uint32_t cookie;

	while (n-- > 0)
		assert_int_equal(add_chain(f, 0, 0, 1, COOKIE(++cookie), 0), 0);
}

static void expect_counts(struct fix *f, unsigned int kicks, unsigned int suppressed)
{
	assert_int_equal(f->notified, kicks);
	assert_int_equal(vq_get_stats(f->vq)->kicks, kicks);
	assert_int_equal(vq_get_stats(f->vq)->kicks_suppressed, suppressed);
}

static void test_kick_no_event_idx(void **state)
{
	struct fix *f = *state;

	add_n(f, 1);
	assert_true(vq_kick(f->vq));
	expect_counts(f, 1, 0);
	assert_int_equal(f->notify_index, QUEUE_INDEX);
	add_n(f, 2);
	assert_true(vq_kick(f->vq));
	expect_counts(f, 2, 0);
	settle(f);

	/* The device says it is polling: "SHOULD NOT send a notification". */
	model_split_set_no_notify(&f->m, true);
	add_n(f, 1);
	assert_false(vq_kick(f->vq));
	expect_counts(f, 2, 1);
	add_n(f, 3);
	assert_false(vq_kick(f->vq));
	expect_counts(f, 2, 2);
	settle(f);

	/* Flag cleared: "MUST send a notification", whatever avail_event says. */
	model_split_set_no_notify(&f->m, false);
	model_split_set_avail_event(&f->m, 1000);
	add_n(f, 1);
	assert_true(vq_kick(f->vq));
	expect_counts(f, 3, 2);
	settle(f);

	/* The two halves of vq_kick, and the callback's result passed through. */
	add_n(f, 1);
	assert_true(vq_kick_prepare(f->vq));
	expect_counts(f, 3, 2);
	assert_int_equal(model_split_avail_pending(&f->m), 1);
	f->notify_rc = -EIO;
	assert_int_equal(vq_notify(f->vq), -EIO);
	assert_int_equal(f->notified, 4);
	f->notify_rc = 0;
	assert_int_equal(vq_notify(f->vq), 0);
	assert_int_equal(f->notified, 5);
	assert_int_equal(vq_get_stats(f->vq)->kicks, 5);
	settle(f);
}

static void expect_kick_info(struct fix *f, uint32_t decided, uint32_t since_notify)
{
	struct vq_kick_info ki;

	vq_get_kick_info(f->vq, &ki);
	assert_int_equal(ki.descs_decided, decided);
	assert_int_equal(ki.descs_since_notify, since_notify);
}

/* What each decision covered, in descriptors, as the kick probes report it. */
static void test_kick_info(void **state)
{
	struct fix *f = *state;

	expect_kick_info(f, 0, 0);
	assert_int_equal(add_chain(f, 0, 0, 2, COOKIE(1), 0), 0);
	assert_true(vq_kick_prepare(f->vq));
	expect_kick_info(f, 2, 2);
	assert_int_equal(vq_notify(f->vq), 0);
	expect_kick_info(f, 2, 0);
	settle(f);

	/* Suppressed decisions add up until a notification is sent. */
	model_split_set_no_notify(&f->m, true);
	assert_int_equal(add_chain(f, 0, 1, 0, COOKIE(2), 0), 0);
	assert_false(vq_kick_prepare(f->vq));
	expect_kick_info(f, 1, 1);
	assert_int_equal(add_chain(f, 0, 1, 2, COOKIE(3), 0), 0);
	assert_false(vq_kick_prepare(f->vq));
	expect_kick_info(f, 3, 4);
	/* Nothing new: no decision, nothing changes. */
	assert_false(vq_kick_prepare(f->vq));
	expect_kick_info(f, 3, 4);
	settle(f);

	model_split_set_no_notify(&f->m, false);
	add_n(f, 1);
	assert_true(vq_kick_prepare(f->vq));
	expect_kick_info(f, 1, 5);
	assert_false(vq_kick(f->vq)); /* already decided: nothing new */
	assert_int_equal(vq_notify(f->vq), 0);
	add_n(f, 2);
	assert_true(vq_kick(f->vq));
	expect_kick_info(f, 2, 0);
	settle(f);
}

static void test_kick_event_idx(void **state)
{
	struct fix *f = *state;

	/* avail_event starts at 0: the first chain (idx 0 -> 1) is wanted. */
	add_n(f, 1);
	assert_true(vq_kick(f->vq)); /* need(0, 1, 0) */
	expect_counts(f, 1, 0);
	add_n(f, 1);
	assert_false(vq_kick(f->vq)); /* need(0, 2, 1): 1 < 1 no */
	expect_counts(f, 1, 1);
	add_n(f, 2);
	assert_false(vq_kick(f->vq)); /* need(0, 4, 2): 3 < 2 no */
	expect_counts(f, 1, 2);
	settle(f);

	/* Device caught up and asks for the next one. */
	model_split_set_avail_event(&f->m, 4);
	add_n(f, 1);
	assert_true(vq_kick(f->vq)); /* need(4, 5, 4) */
	expect_counts(f, 2, 2);
	settle(f);

	/* Device asks to hear only when entry 7 is written. */
	model_split_set_avail_event(&f->m, 7);
	add_n(f, 1);
	assert_false(vq_kick(f->vq)); /* need(7, 6, 5) */
	settle(f);
	add_n(f, 1);
	assert_false(vq_kick(f->vq)); /* need(7, 7, 6) */
	settle(f);
	expect_counts(f, 2, 4);
	add_n(f, 1);
	assert_true(vq_kick(f->vq)); /* need(7, 8, 7) */
	expect_counts(f, 3, 4);
	settle(f);

	/* A batch passing over the event: 8 -> 11 crosses 9. */
	model_split_set_avail_event(&f->m, 9);
	add_n(f, 3);
	assert_true(vq_kick(f->vq)); /* need(9, 11, 8) */
	expect_counts(f, 4, 4);
	settle(f);

	/* An event already behind: nothing more is wanted. */
	model_split_set_avail_event(&f->m, 10);
	add_n(f, 2);
	assert_false(vq_kick(f->vq)); /* need(10, 13, 11) */
	expect_counts(f, 4, 5);
	settle(f);

	/* With EVENT_IDX "the driver MUST ignore the lower bit of flags". */
	model_split_set_no_notify(&f->m, true);
	model_split_set_avail_event(&f->m, 13);
	add_n(f, 1);
	assert_true(vq_kick(f->vq)); /* need(13, 14, 13) */
	expect_counts(f, 5, 5);
	settle(f);
}

static void test_kick_event_idx_wrap(void **state)
{
	struct fix *f = *state;
	uint32_t i;

	/*
	 * Walk the index to 65533 the way vhost does it: after taking the
	 * chains, the device sets avail_event to its next entry, so every
	 * kick is wanted.
	 */
	for (i = 0; i < 65533; i++) {
		add_n(f, 1);
		assert_true(vq_kick(f->vq));
		settle(f);
		model_split_set_avail_event(&f->m, f->m.last_avail);
	}
	expect_counts(f, 65533, 0);
	assert_int_equal(model_split_avail_idx(&f->m), 65533);

	model_split_set_avail_event(&f->m, 65535);
	add_n(f, 1);
	assert_false(vq_kick(f->vq)); /* need(65535, 65534, 65533) */
	expect_counts(f, 65533, 1);
	settle(f);
	add_n(f, 2);
	assert_true(vq_kick(f->vq)); /* need(65535, 0, 65534): 0 < 2 */
	expect_counts(f, 65534, 1);
	settle(f);
	assert_int_equal(model_split_avail_idx(&f->m), 0);

	model_split_set_avail_event(&f->m, 1);
	add_n(f, 1);
	assert_false(vq_kick(f->vq)); /* need(1, 1, 0) */
	settle(f);
	add_n(f, 1);
	assert_true(vq_kick(f->vq)); /* need(1, 2, 1) */
	expect_counts(f, 65535, 2);
	settle(f);

	/* An event just below the wrap, passed by a batch crossing it: 2 -> 5 misses 65535. */
	model_split_set_avail_event(&f->m, 65535);
	add_n(f, 3);
	assert_false(vq_kick(f->vq)); /* need(65535, 5, 2) */
	expect_counts(f, 65535, 3);
	settle(f);
}

/* ---- notifications from the device ---- */

static void test_cb_no_event_idx(void **state)
{
	struct fix *f = *state;

	vq_disable_cb(f->vq);
	assert_true(model_split_avail_flags(&f->m) & VRING_AVAIL_F_NO_INTERRUPT);
	add_n(f, 1);
	vq_kick(f->vq);
	pop_ok(f, &f->c);
	model_split_push(&f->m, f->c.head, 0);
	assert_false(model_split_need_interrupt(&f->m));

	/* Something is pending already: the caller must poll, not wait. */
	assert_true(vq_enable_cb(f->vq));
	assert_int_equal(model_split_avail_flags(&f->m) & VRING_AVAIL_F_NO_INTERRUPT, 0);
	assert_int_equal(vq_get_used(f->vq, &(void *){ NULL }, &(uint32_t){ 0 }), 1);
	assert_false(vq_enable_cb(f->vq));

	add_n(f, 2);
	vq_kick(f->vq);
	pop_ok(f, &f->c);
	model_split_push(&f->m, f->c.head, 0);
	assert_true(model_split_need_interrupt(&f->m));
	vq_disable_cb(f->vq);
	pop_ok(f, &f->c);
	model_split_push(&f->m, f->c.head, 0);
	assert_false(model_split_need_interrupt(&f->m));
	assert_true(vq_enable_cb(f->vq));
	settle(f);
	assert_false(vq_enable_cb(f->vq));
	assert_int_equal(model_split_avail_flags(&f->m), 0);
}

static void test_cb_event_idx(void **state)
{
	struct fix *f = *state;
	struct vq_position pos;
	int i;

	for (i = 0; i < 3; i++)
		round_trip(f, (uint32_t)i, 0);
	model_split_need_interrupt(&f->m); /* the device's decision point after those */

	assert_false(vq_enable_cb(f->vq));
	/* With EVENT_IDX "the driver MUST set flags to 0" and says it with used_event. */
	assert_int_equal(model_split_avail_flags(&f->m), 0);
	vq_get_position(f->vq, &pos);
	assert_int_equal(pos.used_idx, 3);
	assert_int_equal(model_split_used_event(&f->m), 3);

	add_n(f, 1);
	vq_kick(f->vq);
	pop_ok(f, &f->c);
	model_split_push(&f->m, f->c.head, 0);
	assert_true(model_split_need_interrupt(&f->m)); /* need(3, 4, 3) */

	vq_disable_cb(f->vq);
	assert_int_equal(model_split_avail_flags(&f->m), 0);
	/* Entry 3 is still unread: enabling must report it. */
	assert_true(vq_enable_cb(f->vq));
	assert_int_equal(model_split_used_event(&f->m), 3);
	assert_int_equal(model_split_avail_flags(&f->m), 0);
	assert_int_equal(vq_get_used(f->vq, &(void *){ NULL }, &(uint32_t){ 0 }), 1);
	assert_false(vq_enable_cb(f->vq));
	assert_int_equal(model_split_used_event(&f->m), 4);

	add_n(f, 2);
	vq_kick(f->vq);
	pop_ok(f, &f->c);
	model_split_push(&f->m, f->c.head, 0);
	assert_true(model_split_need_interrupt(&f->m)); /* need(4, 5, 4) */
	settle(f);
}

/* vq_cb_enabled() follows the requests: off at creation, after disable, after a reset. */
static void test_cb_state(void **state)
{
	struct fix *f = *state;

	assert_false(vq_cb_enabled(f->vq));
	assert_false(vq_enable_cb(f->vq));
	assert_true(vq_cb_enabled(f->vq));
	assert_false(vq_enable_cb(f->vq)); /* enabling twice is still on */
	assert_true(vq_cb_enabled(f->vq));
	vq_disable_cb(f->vq);
	assert_false(vq_cb_enabled(f->vq));
	assert_false(vq_enable_cb(f->vq));
	vq_reset(f->vq);
	assert_false(vq_cb_enabled(f->vq));
}

static void test_cb_event_idx_wrap(void **state)
{
	struct fix *f = *state;
	uint32_t i;

	/* used_event is a free-running 16-bit index too. */
	for (i = 0; i < 65535; i++)
		round_trip(f, i, 0);
	model_split_need_interrupt(&f->m);
	assert_false(vq_enable_cb(f->vq));
	assert_int_equal(model_split_used_event(&f->m), 65535);
	add_n(f, 2);
	vq_kick(f->vq);
	pop_ok(f, &f->c);
	model_split_push(&f->m, f->c.head, 0);
	assert_true(model_split_need_interrupt(&f->m)); /* need(65535, 0, 65535) */
	assert_int_equal(f->m.used_idx, 0);
	assert_true(vq_enable_cb(f->vq));
	settle(f);
	assert_false(vq_enable_cb(f->vq));
	assert_int_equal(model_split_used_event(&f->m), 1);
}

/* ---- a malicious device ---- */

/* Add @n single writable 100-byte chains, cookies base.., and let the device take them. */
static void inflight_n(struct fix *f, unsigned int n, unsigned int base, uint16_t *heads)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct vq_buf b = mkbuf(f, i * 100u, 100u);

		assert_int_equal(vq_add(f->vq, &b, 0, 1, COOKIE(base + i), 0), 0);
	}
	vq_kick(f->vq);
	for (i = 0; i < n; i++) {
		pop_ok(f, &f->c);
		heads[i] = f->c.head;
	}
}

/* Detach every in-flight cookie; they must be exactly COOKIE(want[0..n)). */
static void detach_expect(struct fix *f, const unsigned int *want, unsigned int n)
{
	bool seen[8] = { false };
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		void *c = vq_detach_unused(f->vq);

		for (j = 0; j < n; j++)
			if (c == COOKIE(want[j]))
				break;
		assert_true(j < n);
		assert_false(seen[j]);
		seen[j] = true;
	}
	assert_null(vq_detach_unused(f->vq));
	assert_int_equal(vq_num_free(f->vq), f->cfg.size);
}

static void test_refuse_id_range(void **state)
{
	struct fix *f = *state;
	const struct vq_stats *st = vq_get_stats(f->vq);
	static const unsigned int left[] = { 0, 2, 3 };
	uint16_t heads[4];

	/*
	 * Bad ids written in place of completions (the device's count of
	 * entries stays right): each is skipped and the next one read.
	 */
	inflight_n(f, 4, 0, heads);
	model_split_push(&f->m, 8, 10);                /* for heads[0]: past the table */
	model_split_push(&f->m, heads[1], 11);
	model_split_push(&f->m, 65536u + heads[2], 0); /* heads[2] if cut to 16 bits */
	model_split_push(&f->m, 0xffffffffu, 0);       /* for heads[3] */
	expect_used(f, COOKIE(1), 11);
	expect_no_used(f);
	assert_int_equal(st->refused[VQ_REFUSE_ID_RANGE], 3);
	assert_int_equal(st->chains_used, 1);
	assert_false(vq_is_broken(f->vq));
	assert_int_equal(vq_num_inflight(f->vq), 3);

	/* The queue goes on. */
	round_trip(f, 5, 1);
	assert_int_equal(st->refused[VQ_REFUSE_ID_RANGE], 3);
	assert_int_equal(st->refused[VQ_REFUSE_ID_NOT_INFLIGHT], 0);
	assert_int_equal(st->refused[VQ_REFUSE_LEN], 0);
	assert_int_equal(st->refused[VQ_REFUSE_IDX_JUMP], 0);
	/* The chains the device never completed are still the driver's to reclaim. */
	detach_expect(f, left, 3);
}

static void test_refuse_id_range_extra(void **state)
{
	struct fix *f = *state;
	const struct vq_stats *st = vq_get_stats(f->vq);
	uint16_t heads[2];

	/*
	 * Bad entries in addition to the real completions: used->idx moves
	 * by 4 for 2 chains, still within the ring size, so this is not an
	 * index jump; the bad entries are skipped.
	 */
	inflight_n(f, 2, 0, heads);
	model_split_push(&f->m, heads[0], 1);
	model_split_push(&f->m, 8, 0);
	model_split_push(&f->m, 0xffffffffu, 0);
	expect_used(f, COOKIE(0), 1);
	expect_no_used(f);
	assert_int_equal(st->refused[VQ_REFUSE_ID_RANGE], 2);
	assert_false(vq_is_broken(f->vq));
	/* The remaining chain completes normally afterwards. */
	model_split_push(&f->m, heads[1], 100);
	expect_used(f, COOKIE(1), 100);
	expect_no_used(f);
	assert_false(vq_is_broken(f->vq));
	assert_int_equal(st->refused[VQ_REFUSE_IDX_JUMP], 0);
	assert_int_equal(vq_num_free(f->vq), 8);
	round_trip(f, 5, 1);
}

static void test_refuse_not_inflight(void **state)
{
	struct fix *f = *state;
	const struct vq_stats *st = vq_get_stats(f->vq);
	static const unsigned int left[] = { 1, 3 };
	uint16_t a, b, d, mid = 0, free_desc = 0, k;

	/* A: 3 descriptors (its second and third are no heads); B, C, D: one each. */
	assert_int_equal(add_chain(f, 0, 1, 2, COOKIE(1), 0), 0);
	assert_int_equal(add_chain(f, 0, 0, 1, COOKIE(2), 0), 0);
	assert_int_equal(add_chain(f, 0, 0, 1, COOKIE(3), 0), 0);
	assert_int_equal(add_chain(f, 0, 0, 1, COOKIE(4), 0), 0);
	vq_kick(f->vq);
	pop_ok(f, &f->c);
	a = f->c.head;
	pop_ok(f, &f->c);
	b = f->c.head;
	pop_ok(f, &f->c); /* C */
	pop_ok(f, &f->c);
	d = f->c.head;
	for (k = 0; k < 8; k++) {
		if (f->m.owner[k] == (uint32_t)a + 1 && k != a)
			mid = k;
		if (f->m.owner[k] == 0)
			free_desc = k;
	}
	assert_int_not_equal(mid, a);
	assert_int_equal(f->m.owner[free_desc], 0);

	/* In place of A, C and D: a non-head, a free descriptor, B a second time. */
	model_split_push(&f->m, mid, 0);
	model_split_push(&f->m, b, 1000);
	model_split_push(&f->m, free_desc, 0);
	model_split_push(&f->m, b, 1000);
	expect_used(f, COOKIE(2), 1000);
	expect_no_used(f);
	assert_int_equal(st->refused[VQ_REFUSE_ID_NOT_INFLIGHT], 3);
	assert_int_equal(st->refused[VQ_REFUSE_ID_RANGE], 0);
	assert_int_equal(st->chains_used, 1);
	assert_int_equal(vq_num_inflight(f->vq), 3);
	assert_int_equal(vq_num_free(f->vq), 3);
	assert_false(vq_is_broken(f->vq));

	/* Goes on; then D completes late and properly. */
	round_trip(f, 9, 3);
	model_split_push(&f->m, d, 7);
	expect_used(f, COOKIE(4), 7);
	expect_no_used(f);
	assert_false(vq_is_broken(f->vq));
	detach_expect(f, left, 2);
}

static void test_refuse_duplicate(void **state)
{
	struct fix *f = *state;
	const struct vq_stats *st = vq_get_stats(f->vq);

	/* The same chain completed twice, nothing else in flight: one cookie, once. */
	assert_int_equal(add_chain(f, 0, 1, 2, COOKIE(1), 0), 0);
	vq_kick(f->vq);
	pop_ok(f, &f->c);
	model_split_push(&f->m, f->c.head, 2000);
	model_split_push(&f->m, f->c.head, 2000);
	expect_used(f, COOKIE(1), 2000);
	expect_no_used(f);
	assert_int_equal(st->refused[VQ_REFUSE_ID_NOT_INFLIGHT], 1);
	assert_int_equal(st->refused[VQ_REFUSE_IDX_JUMP], 0);
	assert_int_equal(st->chains_used, 1);
	assert_int_equal(vq_num_free(f->vq), 8);
	assert_false(vq_is_broken(f->vq));
	round_trip(f, 2, 3);
	round_trip(f, 3, 4);
	assert_false(vq_is_broken(f->vq));
}

static void test_refuse_len(void **state)
{
	struct fix *f = *state;
	const struct vq_stats *st = vq_get_stats(f->vq);
	uint16_t heads[3];
	void *cookie = NULL;
	uint32_t len;

	/* Writable: 2 x 1000 bytes; readable only; writable again. */
	assert_int_equal(add_chain(f, 0, 1, 2, COOKIE(1), 0), 0);
	assert_int_equal(add_chain(f, 0, 2, 0, COOKIE(2), 0), 0);
	assert_int_equal(add_chain(f, 0, 0, 1, COOKIE(3), 0), 0);
	vq_kick(f->vq);
	pop_ok(f, &f->c);
	heads[0] = f->c.head;
	pop_ok(f, &f->c);
	heads[1] = f->c.head;
	pop_ok(f, &f->c);
	heads[2] = f->c.head;

	model_split_push(&f->m, heads[0], 2001);
	model_split_push(&f->m, heads[1], 1);
	model_split_push(&f->m, heads[2], 1000);
	/* Refused, but the chain is known: the cookie comes back to be freed. */
	assert_int_equal(vq_get_used(f->vq, &cookie, &len), -EBADMSG);
	assert_ptr_equal(cookie, COOKIE(1));
	assert_int_equal(vq_get_used(f->vq, &cookie, &len), -EBADMSG);
	assert_ptr_equal(cookie, COOKIE(2));
	expect_used(f, COOKIE(3), 1000);
	expect_no_used(f);
	assert_int_equal(st->refused[VQ_REFUSE_LEN], 2);
	assert_int_equal(st->chains_used, 1);
	assert_int_equal(vq_num_free(f->vq), 8);
	assert_int_equal(vq_num_inflight(f->vq), 0);
	assert_false(vq_is_broken(f->vq));
	round_trip(f, 4, 1000);
	assert_int_equal(st->refused[VQ_REFUSE_LEN], 2);
	assert_int_equal(st->refused[VQ_REFUSE_ID_NOT_INFLIGHT], 0);
}

static void test_refuse_len_indirect(void **state)
{
	struct fix *f = *state;
	const struct vq_stats *st = vq_get_stats(f->vq);
	void *cookie = NULL;
	uint32_t len;

	assert_int_equal(add_chain(f, 0, 1, 3, COOKIE(1), VQ_ADD_INDIRECT), 0);
	assert_int_equal(add_chain(f, 0, 1, 3, COOKIE(2), VQ_ADD_INDIRECT), 0);
	vq_kick(f->vq);
	pop_ok(f, &f->c);
	assert_int_equal(f->c.in_bytes, 3000);
	model_split_push(&f->m, f->c.head, 3001);
	pop_ok(f, &f->c);
	model_split_push(&f->m, f->c.head, 3000);
	assert_int_equal(vq_get_used(f->vq, &cookie, &len), -EBADMSG);
	assert_ptr_equal(cookie, COOKIE(1));
	expect_used(f, COOKIE(2), 3000);
	expect_no_used(f);
	assert_int_equal(st->refused[VQ_REFUSE_LEN], 1);
	assert_int_equal(vq_num_free(f->vq), 8);
	assert_false(vq_is_broken(f->vq));
}

/* After the queue broke: every call fails, teardown still works, reset revives it. */
static void check_broken_then_reset(struct fix *f, unsigned int n_inflight, unsigned int base)
{
	const struct vq_stats *st = vq_get_stats(f->vq);
	bool seen[16] = { false };
	void *cookie = NULL;
	uint32_t len;
	unsigned int i, notified = f->notified;
	struct vq_position pos;

	assert_true(vq_is_broken(f->vq));
	assert_string_equal(vq_broken_reason(f->vq), "idx_jump");
	assert_int_equal(st->refused[VQ_REFUSE_IDX_JUMP], 1);
	/* Totals over rings that come and go (the driver's xstats) add every counter. */
	{
		struct vq_stats sum = *st;

		vq_stats_add(&sum, st);
		assert_int_equal(sum.refused[VQ_REFUSE_IDX_JUMP], 2);
		assert_int_equal(sum.chains_added, 2 * st->chains_added);
		assert_int_equal(sum.kicks, 2 * st->kicks);
	}
	assert_int_equal(vq_get_used(f->vq, &cookie, &len), -ENOTRECOVERABLE);
	assert_int_equal(add_chain(f, 0, 0, 1, COOKIE(99), 0), -ENOTRECOVERABLE);
	assert_int_equal(vq_notify(f->vq), -ENOTRECOVERABLE);
	assert_false(vq_kick(f->vq));
	assert_int_equal(f->notified, notified);

	/* Teardown of a broken queue still gives every cookie back, once. */
	for (i = 0; i < n_inflight; i++) {
		uintptr_t c = (uintptr_t)vq_detach_unused(f->vq);

		assert_true(c >= (uintptr_t)COOKIE(base) && c < (uintptr_t)COOKIE(base + n_inflight));
		assert_false(seen[c - (uintptr_t)COOKIE(base)]);
		seen[c - (uintptr_t)COOKIE(base)] = true;
	}
	assert_null(vq_detach_unused(f->vq));

	vq_reset(f->vq);
	assert_false(vq_is_broken(f->vq));
	assert_null(vq_broken_reason(f->vq));
	assert_int_equal(vq_num_free(f->vq), 8);
	assert_int_equal(vq_num_inflight(f->vq), 0);
	vq_get_position(f->vq, &pos);
	assert_int_equal(pos.avail_idx, 0);
	assert_int_equal(pos.used_idx, 0);
	/* The device resets too and starts over from index 0. */
	assert_int_equal(model_split_init(&f->m, f->vq, f->cfg.features), 0);
	assert_int_equal(model_split_avail_idx(&f->m), 0);
	expect_no_used(f);
	round_trip(f, 50, 7);
	round_trip(f, 51, 8);
	vq_get_position(f->vq, &pos);
	assert_int_equal(pos.avail_idx, 2);
	assert_int_equal(pos.used_idx, 2);
}

static void test_refuse_idx_jump(void **state)
{
	struct fix *f = *state;
	uint16_t heads[3];
	void *cookie = NULL;
	uint32_t len;

	round_trip(f, 0, 1);
	inflight_n(f, 3, 10, heads);
	/* used->idx 1 -> 10: nine entries claimed on a ring of eight. */
	model_split_set_used_elem(&f->m, 1, heads[0], 1);
	model_split_set_used_idx(&f->m, 10);
	assert_int_equal(vq_get_used(f->vq, &cookie, &len), -ENOTRECOVERABLE);
	check_broken_then_reset(f, 3, 10);
}

static void test_refuse_idx_backwards(void **state)
{
	struct fix *f = *state;
	uint16_t heads[2];
	void *cookie = NULL;
	uint32_t len;

	round_trip(f, 0, 1);
	round_trip(f, 1, 1);
	inflight_n(f, 2, 10, heads);
	/* 2 -> 1 is a move of 65535. */
	model_split_set_used_idx(&f->m, 1);
	assert_int_equal(vq_get_used(f->vq, &cookie, &len), -ENOTRECOVERABLE);
	check_broken_then_reset(f, 2, 10);
}

static void test_used_idx_full_ring_ok(void **state)
{
	struct fix *f = *state;
	uint16_t heads[8];
	int i;

	/* Moving used->idx by exactly the ring size is a full ring, not a jump. */
	for (i = 0; i < 3; i++)
		round_trip(f, (uint32_t)i, 0);
	inflight_n(f, 8, 10, heads);
	for (i = 0; i < 8; i++)
		model_split_write_used(&f->m, heads[7 - i], (uint32_t)i);
	model_split_publish(&f->m);
	for (i = 0; i < 8; i++)
		expect_used(f, COOKIE(10 + 7 - i), (uint32_t)i);
	expect_no_used(f);
	assert_false(vq_is_broken(f->vq));
	assert_int_equal(vq_get_stats(f->vq)->refused[VQ_REFUSE_IDX_JUMP], 0);
}

/* ---- teardown and position ---- */

static void test_detach_unused(void **state)
{
	struct fix *f = *state;
	bool seen[6] = { false };
	uint16_t h;
	void *c;
	int i;

	/* Six chains in all the states a chain can be in at teardown. */
	assert_int_equal(add_chain(f, 0, 1, 1, COOKIE(0), 0), 0);
	assert_int_equal(add_chain(f, 0, 1, 2, COOKIE(1), VQ_ADD_INDIRECT), 0);
	assert_int_equal(add_chain(f, 0, 0, 1, COOKIE(2), 0), 0);
	assert_int_equal(add_chain(f, 0, 2, 0, COOKIE(3), 0), 0);
	vq_kick(f->vq);
	pop_ok(f, &f->c);
	h = f->c.head;
	pop_ok(f, &f->c); /* taken by the device, never used */
	model_split_push(&f->m, h, 0);
	expect_used(f, COOKIE(0), 0);            /* returned: not to be detached */
	model_split_push(&f->m, 8, 0); /* refused (id range): changes nothing */
	expect_no_used(f);
	assert_int_equal(add_chain(f, 0, 1, 0, COOKIE(4), 0), 0); /* published, untaken */
	vq_publish(f->vq);
	assert_int_equal(add_chain(f, 0, 0, 1, COOKIE(5), 0), 0); /* not even published */
	assert_int_equal(vq_num_inflight(f->vq), 5);

	for (i = 0; i < 5; i++) {
		uintptr_t n;

		c = vq_detach_unused(f->vq);
		assert_non_null(c);
		n = (uintptr_t)c - (uintptr_t)COOKIE(0);
		assert_true(n >= 1 && n <= 5);
		assert_false(seen[n]);
		seen[n] = true;
	}
	assert_null(vq_detach_unused(f->vq));
	assert_null(vq_detach_unused(f->vq));
	assert_int_equal(vq_num_inflight(f->vq), 0);
	assert_int_equal(vq_num_free(f->vq), 8);

	vq_reset(f->vq);
	assert_int_equal(model_split_init(&f->m, f->vq, f->cfg.features), 0);
	round_trip(f, 9, 9);
}

static void test_position(void **state)
{
	struct fix *f = *state;
	struct vq_position pos;
	uint16_t heads[3];
	int i;

	vq_get_position(f->vq, &pos);
	assert_int_equal(pos.avail_idx, 0);
	assert_int_equal(pos.used_idx, 0);
	for (i = 0; i < 5; i++)
		round_trip(f, (uint32_t)i, 0);
	vq_get_position(f->vq, &pos);
	assert_int_equal(pos.avail_idx, 5);
	assert_int_equal(pos.used_idx, 5);

	inflight_n(f, 3, 10, heads);
	model_split_push(&f->m, heads[1], 1);
	model_split_push(&f->m, heads[0], 2);
	expect_used(f, COOKIE(11), 1);
	vq_get_position(f->vq, &pos);
	/* What the device published and took, and the driver's next used entry. */
	assert_int_equal(pos.avail_idx, model_split_avail_idx(&f->m));
	assert_int_equal(pos.avail_idx, 8);
	assert_int_equal(f->m.last_avail, 8);
	assert_int_equal(pos.used_idx, 6);
	assert_int_equal(f->m.used_idx, 7);
	expect_used(f, COOKIE(10), 2);
	vq_get_position(f->vq, &pos);
	assert_int_equal(pos.used_idx, 7);
}

static void test_position_wrap(void **state)
{
	struct fix *f = *state;
	struct vq_position pos;
	uint32_t i;

	for (i = 0; i < 65536 + 3; i++)
		round_trip(f, i, i & 0xff);
	vq_get_position(f->vq, &pos);
	assert_int_equal(pos.avail_idx, 3);
	assert_int_equal(pos.used_idx, 3);
	assert_int_equal(model_split_avail_idx(&f->m), 3);
	assert_int_equal(vq_get_stats(f->vq)->chains_used, 65536 + 3);
}

/*
 * vq_add_bulk(): one-buffer chains, as many as fit; the device sees each
 * as vq_add() would have made it. vq_get_used_bulk(): the same entries
 * vq_get_used() would give, a refused length marked, in order.
 */
static void test_bulk(void **state)
{
	struct fix *f = *state;
	const struct vq_stats *st = vq_get_stats(f->vq);
	struct vq_buf bufs[10];
	void *cookies[10], *got[16];
	uint32_t lens[16];
	uint16_t heads[8], i;

	for (i = 0; i < 10; i++) {
		bufs[i] = mkbuf(f, i * 1000u, 1000u);
		cookies[i] = COOKIE(i);
	}
	/* A NULL cookie anywhere: nothing added. */
	cookies[2] = NULL;
	assert_int_equal(vq_add_bulk(f->vq, bufs, cookies, 3, true), 0);
	assert_int_equal(vq_num_free(f->vq), 8);
	cookies[2] = COOKIE(2);

	assert_int_equal(vq_add_bulk(f->vq, bufs, cookies, 3, true), 3);
	assert_int_equal(st->ring_full, 0);
	/* Seven more into five free: the first five go. */
	assert_int_equal(vq_add_bulk(f->vq, &bufs[3], &cookies[3], 7, true), 5);
	assert_int_equal(st->ring_full, 1);
	assert_int_equal(vq_num_free(f->vq), 0);
	assert_int_equal(vq_num_inflight(f->vq), 8);
	assert_int_equal(st->chains_added, 8);
	/* Published at once: the kick only notifies. */
	assert_int_equal(model_split_avail_pending(&f->m), 8);

	assert_true(vq_kick(f->vq));
	for (i = 0; i < 8; i++) {
		pop_ok(f, &f->c);
		assert_int_equal(f->c.n_bufs, 1);
		assert_int_equal(f->c.n_in, 1);
		check_buf(&f->c.bufs[0], f, i * 1000u, 1000u, true);
		heads[i] = f->c.head;
	}
	assert_int_equal(model_split_pop(&f->m, &f->c), 0);

	assert_int_equal(vq_get_used_bulk(f->vq, got, lens, 16), 0);
	/* Out of order; one length past its buffer. */
	model_split_push(&f->m, heads[3], 10);
	model_split_push(&f->m, heads[0], 1001);
	model_split_push(&f->m, heads[1], 1000);
	assert_int_equal(vq_get_used_bulk(f->vq, got, lens, 2), 2);
	assert_ptr_equal(got[0], COOKIE(3));
	assert_int_equal(lens[0], 10);
	assert_ptr_equal(got[1], COOKIE(0));
	assert_int_equal(lens[1], VQ_LEN_REFUSED);
	assert_int_equal(st->refused[VQ_REFUSE_LEN], 1);
	for (i = 4; i < 8; i++)
		model_split_push(&f->m, heads[i], i);
	model_split_push(&f->m, heads[2], 0);
	assert_int_equal(vq_get_used_bulk(f->vq, got, lens, 16), 6);
	assert_ptr_equal(got[0], COOKIE(1));
	assert_int_equal(lens[0], 1000);
	for (i = 4; i < 8; i++) {
		assert_ptr_equal(got[i - 3], COOKIE(i));
		assert_int_equal(lens[i - 3], i);
	}
	assert_ptr_equal(got[5], COOKIE(2));
	assert_int_equal(vq_get_used_bulk(f->vq, got, lens, 16), 0);
	assert_int_equal(vq_num_free(f->vq), 8);
	assert_int_equal(vq_num_inflight(f->vq), 0);

	/* Device-readable chains, and single adds after bulk ones. */
	assert_int_equal(vq_add_bulk(f->vq, bufs, cookies, 2, false), 2);
	vq_kick(f->vq);
	pop_ok(f, &f->c);
	assert_int_equal(f->c.n_out, 1);
	assert_int_equal(f->c.n_in, 0);
	model_split_push(&f->m, f->c.head, 0);
	pop_ok(f, &f->c);
	model_split_push(&f->m, f->c.head, 0);
	assert_int_equal(vq_get_used_bulk(f->vq, got, lens, 16), 2);
	round_trip(f, 40, 999);

	/* A garbage used index breaks the ring: bulk takes stop there. */
	assert_int_equal(vq_add_bulk(f->vq, bufs, cookies, 2, true), 2);
	vq_kick(f->vq);
	model_split_set_used_idx(&f->m, (uint16_t)(model_split_avail_idx(&f->m) + 100));
	assert_int_equal(vq_get_used_bulk(f->vq, got, lens, 16), 0);
	assert_true(vq_is_broken(f->vq));
	assert_int_equal(vq_add_bulk(f->vq, bufs, cookies, 1, true), 0);
}

/* In order: a batch completed with one entry comes back whole, in one call. */
static void test_bulk_in_order(void **state)
{
	struct fix *f = *state;
	struct vq_buf bufs[8];
	void *cookies[8], *got[8];
	uint32_t lens[8];
	uint16_t heads[5], i;

	for (i = 0; i < 8; i++) {
		bufs[i] = mkbuf(f, i * 1000u, 1000u);
		cookies[i] = COOKIE(i);
	}
	assert_int_equal(vq_add_bulk(f->vq, bufs, cookies, 5, false), 5);
	vq_kick(f->vq);
	for (i = 0; i < 5; i++) {
		pop_ok(f, &f->c);
		heads[i] = f->c.head;
	}
	assert_int_equal(model_split_push_in_order(&f->m, heads[3], 0), 4);
	assert_int_equal(vq_get_used_bulk(f->vq, got, lens, 8), 4);
	for (i = 0; i < 4; i++)
		assert_ptr_equal(got[i], COOKIE(i));
	assert_int_equal(model_split_push_in_order(&f->m, heads[4], 0), 1);
	assert_int_equal(vq_get_used_bulk(f->vq, got, lens, 8), 1);
	assert_ptr_equal(got[0], COOKIE(4));
	assert_int_equal(vq_num_free(f->vq), 8);
}

/* n one-buffer chains through the ring: added in bulk, taken, used, reclaimed. */
static void bulk_lap(struct fix *f, const struct vq_buf *bufs, uint16_t n, uintptr_t tag)
{
	void *cookies[8], *got[8];
	uint16_t i;

	for (i = 0; i < n; i++)
		cookies[i] = COOKIE(tag + i);
	assert_int_equal(vq_add_bulk(f->vq, bufs, cookies, n, false), n);
	for (i = 0; i < n; i++) {
		pop_ok(f, &f->c);
		assert_int_equal(f->c.n_descs, 1);
		assert_int_equal(f->c.bufs[0].addr, bufs[i].addr);
	}
	assert_int_equal(model_split_push_in_order(&f->m, f->c.head, 0), n);
	assert_int_equal(vq_reclaim_bulk(f->vq, got, 8), n);
	for (i = 0; i < n; i++)
		assert_ptr_equal(got[i], COOKIE(tag + i));
}

/*
 * The driver writes an avail entry only when it names another head than
 * the last time, judged by its private copy of the ring: the device must
 * still read the right head at every slot, after a reset has cleared the
 * ring, and when chains of several descriptors shift the heads from one
 * lap to the next.
 */
static void test_avail_entries_follow_heads(void **state)
{
	struct fix *f = *state;
	struct vq_buf bufs[8];
	void *got[8];
	uint16_t i, lap;

	for (i = 0; i < 8; i++)
		bufs[i] = mkbuf(f, i * 1000u, 1000u);
	/* Slot k names head k; after a reset (as on a reconnect) the ring is cleared, and again. */
	bulk_lap(f, bufs, 8, 10);
	vq_reset(f->vq);
	model_split_fini(&f->m);
	assert_int_equal(model_split_init(&f->m, f->vq, f->cfg.features), 0);
	bulk_lap(f, bufs, 8, 20);
	for (lap = 0; lap < 2; lap++) {
		/* A three-descriptor chain, then singles: heads shift against slots. */
		assert_int_equal(add_chain(f, 0, 3, 0, COOKIE(100), 0), 0);
		vq_kick(f->vq);
		pop_ok(f, &f->c);
		assert_int_equal(f->c.n_descs, 3);
		assert_int_equal(model_split_push_in_order(&f->m, f->c.head, 0), 1);
		assert_int_equal(vq_reclaim_bulk(f->vq, got, 8), 1);
		assert_ptr_equal(got[0], COOKIE(100));
		bulk_lap(f, bufs, 5, 30);
		bulk_lap(f, bufs, 8, 40);
	}
}

/*
 * vq_reclaim_bulk() in order: the used index alone says how many chains
 * are done. The entries are not read, so garbage in them changes nothing.
 */
static void test_reclaim_in_order(void **state)
{
	struct fix *f = *state;
	const struct vq_stats *st = vq_get_stats(f->vq);
	struct vq_buf bufs[4];
	void *cookies[4], *got[8];
	uint16_t heads[4], i;
	uint32_t len;

	for (i = 0; i < 4; i++) {
		bufs[i] = mkbuf(f, i * 1000u, 1000u);
		cookies[i] = COOKIE(i + 1);
	}
	/* A two-descriptor chain, then three bulk ones: 5 descriptors. */
	assert_int_equal(add_chain(f, 0, 2, 0, COOKIE(0), 0), 0);
	assert_int_equal(vq_add_bulk(f->vq, bufs, cookies, 3, false), 3);
	vq_kick(f->vq);
	for (i = 0; i < 4; i++) {
		pop_ok(f, &f->c);
		heads[i] = f->c.head;
	}
	assert_int_equal(vq_reclaim_bulk(f->vq, got, 8), 0);

	/* One entry for the first three chains; then it is overwritten with garbage. */
	assert_int_equal(model_split_push_in_order(&f->m, heads[2], 0), 3);
	model_split_set_used_elem(&f->m, 0, 999, 12345);
	assert_int_equal(vq_reclaim_bulk(f->vq, got, 2), 2);
	assert_ptr_equal(got[0], COOKIE(0));
	assert_ptr_equal(got[1], COOKIE(1));
	assert_int_equal(vq_num_free(f->vq), 6);
	assert_int_equal(vq_reclaim_bulk(f->vq, got, 8), 1);
	assert_ptr_equal(got[0], COOKIE(2));
	assert_int_equal(vq_reclaim_bulk(f->vq, got, 8), 0);
	model_split_push(&f->m, heads[3], 0);
	assert_int_equal(vq_reclaim_bulk(f->vq, got, 8), 1);
	assert_ptr_equal(got[0], COOKIE(3));
	for (i = 0; i < VQ_REFUSE_MAX; i++)
		assert_int_equal(st->refused[i], 0);
	assert_int_equal(st->chains_used, 4);
	assert_int_equal(vq_num_free(f->vq), 8);
	assert_int_equal(vq_num_inflight(f->vq), 0);

	/* A batch vq_get_used() began is finished by a reclaim. */
	assert_int_equal(vq_add_bulk(f->vq, bufs, cookies, 3, false), 3);
	vq_kick(f->vq);
	for (i = 0; i < 3; i++) {
		pop_ok(f, &f->c);
		heads[i] = f->c.head;
	}
	assert_int_equal(model_split_push_in_order(&f->m, heads[2], 0), 3);
	assert_int_equal(vq_get_used(f->vq, &got[0], &len), 1);
	assert_ptr_equal(got[0], COOKIE(1));
	assert_int_equal(vq_reclaim_bulk(f->vq, got, 8), 2);
	assert_ptr_equal(got[0], COOKIE(2));
	assert_ptr_equal(got[1], COOKIE(3));
	assert_int_equal(vq_num_free(f->vq), 8);

	/* An index that says more chains are done than are in flight breaks the ring. */
	assert_int_equal(vq_add_bulk(f->vq, bufs, cookies, 2, false), 2);
	vq_kick(f->vq);
	model_split_set_used_idx(&f->m, (uint16_t)(model_split_avail_idx(&f->m) + 1));
	assert_int_equal(vq_reclaim_bulk(f->vq, got, 8), 0);
	assert_true(vq_is_broken(f->vq));
	assert_int_equal(st->refused[VQ_REFUSE_IDX_JUMP], 1);
	assert_int_equal(vq_reclaim_bulk(f->vq, got, 8), 0);
}

/*
 * vq_get_used() bounds the used index by the ring size only; a reclaim
 * after it must still refuse one that counts more chains than are in flight.
 */
static void test_reclaim_after_get_used_idx_jump(void **state)
{
	struct fix *f = *state;
	struct vq_buf bufs[2];
	void *cookies[2], *got[8], *cookie;
	uint32_t len;
	uint16_t i;

	for (i = 0; i < 2; i++) {
		bufs[i] = mkbuf(f, i * 1000u, 1000u);
		cookies[i] = COOKIE(i);
	}
	assert_int_equal(vq_add_bulk(f->vq, bufs, cookies, 2, false), 2);
	vq_kick(f->vq);
	pop_ok(f, &f->c);
	model_split_push(&f->m, f->c.head, 0);
	/* One entry written, but an index 7 ahead: within the ring, past what is in flight. */
	model_split_set_used_idx(&f->m, 7);
	assert_int_equal(vq_get_used(f->vq, &cookie, &len), 1);
	assert_ptr_equal(cookie, COOKIE(0));
	assert_int_equal(vq_reclaim_bulk(f->vq, got, 8), 0);
	assert_true(vq_is_broken(f->vq));
	assert_int_equal(vq_get_stats(f->vq)->refused[VQ_REFUSE_IDX_JUMP], 1);
}

/* Without IN_ORDER a reclaim reads the entries: any order, refused lengths given back too. */
static void test_reclaim_any_order(void **state)
{
	struct fix *f = *state;
	const struct vq_stats *st = vq_get_stats(f->vq);
	struct vq_buf bufs[3];
	void *cookies[3], *got[8];
	uint16_t heads[3], i;

	for (i = 0; i < 3; i++) {
		bufs[i] = mkbuf(f, i * 1000u, 1000u);
		cookies[i] = COOKIE(i);
	}
	assert_int_equal(vq_add_bulk(f->vq, bufs, cookies, 3, true), 3);
	vq_kick(f->vq);
	for (i = 0; i < 3; i++) {
		pop_ok(f, &f->c);
		heads[i] = f->c.head;
	}
	model_split_push(&f->m, heads[2], 5);
	model_split_push(&f->m, heads[0], 1001); /* past its buffer */
	model_split_push(&f->m, 77, 0);          /* names no chain: skipped */
	model_split_push(&f->m, heads[1], 0);
	assert_int_equal(vq_reclaim_bulk(f->vq, got, 8), 3);
	assert_ptr_equal(got[0], COOKIE(2));
	assert_ptr_equal(got[1], COOKIE(0));
	assert_ptr_equal(got[2], COOKIE(1));
	assert_int_equal(st->refused[VQ_REFUSE_LEN], 1);
	assert_int_equal(st->refused[VQ_REFUSE_ID_RANGE], 1);
	assert_int_equal(vq_num_free(f->vq), 8);
}

#define T(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_create_bad_size, setup_bare),
		T(test_ring_layout, setup_bare),
		T(test_round_trip_single, setup_s8),
		T(test_publish_without_kick, setup_s8),
		T(test_used_names_unpublished_chain, setup_s8),
		T(test_add_invalid, setup_s8),
		T(test_ring_full, setup_s4),
		T(test_chain_layout, setup_s8),
		T(test_indirect, setup_s8_indirect),
		T(test_indirect_no_tables, setup_s8_indirect_no_tables),
		T(test_indirect_not_negotiated, setup_bare),
		T(test_in_order_each, setup_s8_in_order),
		T(test_in_order_batch, setup_s8_in_order),
		T(test_laps_s4_fifo, setup_s4),
		T(test_laps_s8_shuffle, setup_s8),
		T(test_laps_s8_event_shuffle, setup_s8_event),
		T(test_laps_s4_event_indirect_shuffle, setup_s4_event_indirect),
		T(test_laps_s8_event_indirect_fifo, setup_s8_event_indirect),
		T(test_laps_s8_in_order_batches, setup_s8_in_order),
		T(test_kick_no_event_idx, setup_s8),
		T(test_kick_info, setup_s8),
		T(test_kick_event_idx, setup_s8_event),
		T(test_kick_event_idx_wrap, setup_s8_event),
		T(test_cb_no_event_idx, setup_s8),
		T(test_cb_event_idx, setup_s8_event),
		T(test_cb_event_idx_wrap, setup_s8_event),
		T(test_cb_state, setup_s8),
		T(test_cb_state, setup_s8_event),
		T(test_refuse_id_range, setup_s8),
		T(test_refuse_id_range_extra, setup_s8),
		T(test_refuse_not_inflight, setup_s8),
		T(test_refuse_duplicate, setup_s8),
		T(test_refuse_len, setup_s8),
		T(test_refuse_len_indirect, setup_s8_indirect),
		T(test_refuse_idx_jump, setup_s8),
		T(test_refuse_idx_backwards, setup_s8),
		T(test_used_idx_full_ring_ok, setup_s8),
		T(test_detach_unused, setup_s8_indirect),
		T(test_position, setup_s8),
		T(test_position_wrap, setup_s4),
		T(test_bulk, setup_s8),
		T(test_bulk_in_order, setup_s8_in_order),
		T(test_avail_entries_follow_heads, setup_s8_in_order),
		T(test_reclaim_in_order, setup_s8_in_order),
		T(test_reclaim_after_get_used_idx_jump, setup_s8_in_order),
		T(test_reclaim_any_order, setup_s8),
	};

	return cmocka_run_group_tests_name("vq_split", tests, NULL, NULL);
}
