/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The JSON snapshot of a virtqueue, field by field, for both layouts,
 * with the ring driven into a known state by the device models.
 */
#include <errno.h>
#include <inttypes.h>
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
#include "model_split.h"

#define QSIZE 8

struct fixture {
	struct vq_config cfg;
	void *mem;
	struct virtqueue *vq;
	struct model_split split;
	struct model_packed packed;
	uint8_t bufs[QSIZE][256];
	int cookies[QSIZE];
};

static int setup_layout(void **state, enum vq_layout layout, uint64_t features, uint16_t indirect)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct vq_ring_addrs addrs;
	size_t bytes;

	if (f == NULL)
		return -1;
	f->cfg = (struct vq_config){ .layout = layout, .size = QSIZE, .index = 3,
				     .features = features, .indirect_max = indirect };
	bytes = vq_ring_mem_size(&f->cfg);
	f->mem = aligned_alloc(64, bytes);
	if (f->mem == NULL || vq_create(&f->cfg, f->mem, (uintptr_t)f->mem, &f->vq) != 0)
		return -1;
	if (layout == VQ_LAYOUT_SPLIT) {
		if (model_split_init(&f->split, f->vq, features) != 0)
			return -1;
	} else {
		vq_ring_addrs(f->vq, &addrs);
		if (model_packed_init(&f->packed, &addrs, QSIZE, features) != 0)
			return -1;
	}
	*state = f;
	return 0;
}

static int setup_split(void **state)
{
	return setup_layout(state, VQ_LAYOUT_SPLIT, 0, 0);
}

static int setup_split_event_idx(void **state)
{
	return setup_layout(state, VQ_LAYOUT_SPLIT, VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX), 0);
}

static int setup_packed(void **state)
{
	return setup_layout(state, VQ_LAYOUT_PACKED,
			    VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) |
				    VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX),
			    4);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	model_split_fini(&f->split);
	model_packed_fini(&f->packed);
	vq_destroy(f->vq);
	free(f->mem);
	free(f);
	return 0;
}

static json_int_t jint(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	assert_non_null(v);
	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static const char *jstr(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	assert_non_null(v);
	assert_true(json_is_string(v));
	return json_string_value(v);
}

static bool jbool(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	assert_non_null(v);
	assert_true(json_is_boolean(v));
	return json_is_true(v);
}

static void assert_flags(const json_t *desc, const char *const *names, size_t n)
{
	const json_t *arr = json_object_get(desc, "flags");
	size_t i;

	assert_non_null(arr);
	assert_int_equal(json_array_size(arr), n);
	for (i = 0; i < n; i++)
		assert_string_equal(json_string_value(json_array_get(arr, i)), names[i]);
}

static void assert_hex(const char *s, uint64_t want)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, want);
	assert_string_equal(s, buf);
}

/* A 2-buffer chain (readable, writable) and a single writable buffer, then one returned. */
static void test_split_snapshot_fields(void **state)
{
	struct fixture *f = *state;
	struct vq_buf chain[2] = { { (uintptr_t)f->bufs[0], 64 }, { (uintptr_t)f->bufs[1], 200 } };
	struct vq_buf one = { (uintptr_t)f->bufs[2], 128 };
	struct model_split_chain c;
	struct vq_ring_addrs addrs;
	json_t *js;
	void *cookie;
	uint32_t len;

	assert_int_equal(vq_add(f->vq, chain, 1, 1, &f->cookies[0], 0), 0);
	assert_int_equal(vq_add(f->vq, &one, 0, 1, &f->cookies[1], 0), 0);
	vq_kick(f->vq);
	assert_int_equal(model_split_pop(&f->split, &c), 1);
	model_split_push(&f->split, c.head, 50);
	assert_int_equal(vq_get_used(f->vq, &cookie, &len), 1);

	js = vq_to_json(f->vq, 0, QSIZE);
	assert_non_null(js);
	assert_int_equal(jint(js, "index"), 3);
	assert_string_equal(jstr(js, "layout"), "split");
	assert_int_equal(jint(js, "size"), QSIZE);
	assert_false(jbool(js, "broken"));
	assert_int_equal(jint(js, "inflight"), 1);
	assert_int_equal(jint(js, "free"), QSIZE - 1);
	assert_int_equal(jint(js, "avail_idx"), 2);
	assert_int_equal(jint(js, "avail_idx_published"), 2);
	assert_int_equal(jint(js, "used_idx"), 1);
	assert_int_equal(jint(js, "last_used_idx"), 1);
	/* A poll-mode queue starts with interrupts off. */
	assert_int_equal(jint(js, "avail_flags"), VRING_AVAIL_F_NO_INTERRUPT);
	assert_string_equal(jstr(json_object_get(js, "notifications"), "device_to_driver"),
			    "disabled");
	assert_string_equal(jstr(json_object_get(js, "notifications"), "driver_to_device"),
			    "enabled");
	assert_false(jbool(json_object_get(js, "features"), "event_idx"));

	vq_ring_addrs(f->vq, &addrs);
	assert_hex(jstr(json_object_get(js, "addrs"), "desc"), addrs.desc_dev);
	assert_hex(jstr(json_object_get(js, "addrs"), "driver_area"), addrs.driver_area_dev);
	assert_hex(jstr(json_object_get(js, "addrs"), "device_area"), addrs.device_area_dev);

	assert_int_equal(jint(json_object_get(js, "stats"), "chains_added"), 2);
	assert_int_equal(jint(json_object_get(js, "stats"), "chains_used"), 1);
	assert_int_equal(jint(json_object_get(js, "stats"), "kicks"), 1);
	assert_int_equal(jint(json_object_get(json_object_get(js, "stats"), "refused"), "len"), 0);
	assert_int_equal(json_object_size(json_object_get(json_object_get(js, "stats"), "refused")),
			 VQ_REFUSE_MAX);

	/* Descriptors: the whole ring as asked. */
	assert_int_equal(jint(js, "desc_start"), 0);
	assert_int_equal(jint(js, "desc_count"), QSIZE);
	assert_int_equal(json_array_size(json_object_get(js, "descs")), QSIZE);
	/* Each written descriptor shows its address, length, flags and link. */
	for (size_t i = 0; i < QSIZE; i++) {
		const json_t *e = json_array_get(json_object_get(js, "descs"), i);

		assert_int_equal(jint(e, "index"), (json_int_t)i);
		if (strcmp(jstr(e, "addr"), "0x0") == 0)
			continue;
		if (jint(e, "len") == 64) {
			static const char *const names[] = { "NEXT" };

			assert_hex(jstr(e, "addr"), (uintptr_t)f->bufs[0]);
			assert_flags(e, names, 1);
			assert_int_equal(jint(e, "flags_raw"), VRING_DESC_F_NEXT);
			assert_int_equal(jint(e, "next"), (json_int_t)i + 1);
		} else if (jint(e, "len") == 128) {
			static const char *const names[] = { "WRITE" };

			assert_hex(jstr(e, "addr"), (uintptr_t)f->bufs[2]);
			assert_flags(e, names, 1);
		}
	}
	json_decref(js);
}

static void test_split_event_idx_fields(void **state)
{
	struct fixture *f = *state;
	struct vq_buf one = { (uintptr_t)f->bufs[0], 100 };
	json_t *js;

	model_split_set_avail_event(&f->split, 7);
	assert_int_equal(vq_add(f->vq, &one, 0, 1, &f->cookies[0], 0), 0);
	vq_kick(f->vq);
	js = vq_to_json(f->vq, 0, 0);
	assert_non_null(js);
	assert_true(jbool(json_object_get(js, "features"), "event_idx"));
	assert_string_equal(jstr(json_object_get(js, "notifications"), "driver_to_device"),
			    "event_idx");
	assert_int_equal(jint(json_object_get(js, "notifications"), "avail_event"), 7);
	/* Disabled with EVENT_IDX: used_event names the entry just behind us. */
	assert_int_equal(jint(json_object_get(js, "notifications"), "used_event"), 0xffff);
	assert_int_equal(jint(json_object_get(js, "stats"), "kicks_suppressed"), 1);
	assert_int_equal(json_array_size(json_object_get(js, "descs")), 0);
	json_decref(js);
}

static void test_packed_snapshot_fields(void **state)
{
	struct fixture *f = *state;
	struct vq_buf pair[2] = { { (uintptr_t)f->bufs[0], 32 }, { (uintptr_t)f->bufs[1], 96 } };
	struct vq_buf ind[3] = { { (uintptr_t)f->bufs[2], 10 }, { (uintptr_t)f->bufs[3], 20 },
				 { (uintptr_t)f->bufs[4], 30 } };
	struct model_packed_chain c;
	const json_t *descs, *e, *ev;
	json_t *js;
	void *cookie;
	uint32_t len;
	int i;

	/* Eight slots: fill 3 laps' worth so the wrap counters have flipped. */
	for (i = 0; i < 12; i++) {
		assert_int_equal(vq_add(f->vq, pair, 1, 1, &f->cookies[0], 0), 0);
		vq_kick(f->vq);
		assert_int_equal(model_packed_pop(&f->packed, &c), 1);
		assert_int_equal(model_packed_push(&f->packed, c.id, 40, c.ndescs), 0);
		assert_int_equal(vq_get_used(f->vq, &cookie, &len), 1);
	}
	/* 24 slots used: both positions at slot 0 of lap 3, wrap counter 0. */
	assert_int_equal(vq_add(f->vq, ind, 1, 2, &f->cookies[1], VQ_ADD_INDIRECT), 0);
	vq_publish(f->vq);
	vq_enable_cb(f->vq);

	js = vq_to_json(f->vq, 0, 2);
	assert_non_null(js);
	assert_string_equal(jstr(js, "layout"), "packed");
	assert_int_equal(jint(js, "avail_idx"), 1);
	assert_false(jbool(js, "avail_wrap"));
	assert_int_equal(jint(js, "used_idx"), 0);
	assert_false(jbool(js, "used_wrap"));
	assert_int_equal(jint(js, "inflight"), 1);
	assert_int_equal(jint(js, "free"), QSIZE - 1);
	assert_true(jbool(json_object_get(js, "features"), "indirect"));
	assert_int_equal(jint(json_object_get(js, "features"), "indirect_max"), 4);

	/* enable_cb with EVENT_IDX: DESC at the next used slot and wrap. */
	ev = json_object_get(json_object_get(js, "notifications"), "driver_event");
	assert_string_equal(jstr(ev, "flags"), "desc");
	assert_int_equal(jint(ev, "offset"), 0);
	assert_false(jbool(ev, "wrap"));
	ev = json_object_get(json_object_get(js, "notifications"), "device_event");
	assert_string_equal(jstr(ev, "flags"), "enable");

	descs = json_object_get(js, "descs");
	assert_int_equal(jint(js, "desc_count"), 2);
	assert_int_equal(json_array_size(descs), 2);
	/* Slot 0: the indirect chain, available in a lap whose wrap counter is 0. */
	e = json_array_get(descs, 0);
	{
		static const char *const names[] = { "INDIRECT", "USED" };

		assert_flags(e, names, 2);
		assert_int_equal(jint(e, "len"), 3 * 16);
		assert_int_equal(jint(e, "flags_raw"),
				 VRING_DESC_F_INDIRECT | VRING_PACKED_DESC_F_USED);
	}
	/*
	 * Slot 1: second descriptor of the previous lap's last chain (wrap 1).
	 * The device wrote its used descriptor at the chain's first slot only,
	 * so this one still reads as the driver made it available.
	 */
	e = json_array_get(descs, 1);
	{
		static const char *const names[] = { "WRITE", "AVAIL" };

		assert_int_equal(jint(e, "index"), 1);
		assert_hex(jstr(e, "addr"), (uintptr_t)f->bufs[1]);
		assert_int_equal(jint(e, "len"), 96);
		assert_int_equal(jint(e, "id"), 0);
		assert_flags(e, names, 2);
	}
	json_decref(js);
}

/* Pages of the ring, as vctl will fetch them, put back together. */
static void test_paging_covers_the_ring_exactly(void **state)
{
	struct fixture *f = *state;
	json_t *page;
	uint32_t start;
	int seen = 0;

	for (start = 0; start < QSIZE; start += 3) {
		page = vq_to_json(f->vq, start, 3);
		assert_non_null(page);
		assert_int_equal(jint(page, "desc_start"), start);
		for (size_t i = 0; i < json_array_size(json_object_get(page, "descs")); i++) {
			assert_int_equal(jint(json_array_get(json_object_get(page, "descs"), i),
					      "index"),
					 seen);
			seen++;
		}
		json_decref(page);
	}
	assert_int_equal(seen, QSIZE);

	/* A count past the end is clamped; a start past the end is an error. */
	page = vq_to_json(f->vq, QSIZE - 1, 100);
	assert_non_null(page);
	assert_int_equal(jint(page, "desc_count"), 1);
	json_decref(page);
	page = vq_to_json(f->vq, QSIZE, 0);
	assert_non_null(page);
	assert_int_equal(jint(page, "desc_count"), 0);
	json_decref(page);
	errno = 0;
	assert_null(vq_to_json(f->vq, QSIZE, 1));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(vq_to_json(f->vq, QSIZE + 1, 0));
	assert_int_equal(errno, EINVAL);
}

static void test_broken_queue_and_refusals_show(void **state)
{
	struct fixture *f = *state;
	struct vq_buf one = { (uintptr_t)f->bufs[0], 100 };
	struct model_split_chain c;
	void *cookie;
	uint32_t len;
	json_t *js;

	assert_int_equal(vq_add(f->vq, &one, 0, 1, &f->cookies[0], 0), 0);
	vq_kick(f->vq);
	assert_int_equal(model_split_pop(&f->split, &c), 1);
	model_split_push(&f->split, c.head, 101); /* longer than the buffer */
	assert_int_equal(vq_get_used(f->vq, &cookie, &len), -EBADMSG);
	model_split_set_used_idx(&f->split, 40); /* jumps past the ring */
	assert_int_equal(vq_get_used(f->vq, &cookie, &len), -ENOTRECOVERABLE);

	js = vq_to_json(f->vq, 0, 0);
	assert_true(jbool(js, "broken"));
	assert_int_equal(jint(json_object_get(json_object_get(js, "stats"), "refused"), "len"), 1);
	assert_int_equal(jint(json_object_get(json_object_get(js, "stats"), "refused"), "idx_jump"),
			 1);
	json_decref(js);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_split_snapshot_fields, setup_split, teardown),
		cmocka_unit_test_setup_teardown(test_split_event_idx_fields, setup_split_event_idx,
						teardown),
		cmocka_unit_test_setup_teardown(test_packed_snapshot_fields, setup_packed, teardown),
		cmocka_unit_test_setup_teardown(test_paging_covers_the_ring_exactly, setup_split,
						teardown),
		cmocka_unit_test_setup_teardown(test_paging_covers_the_ring_exactly, setup_packed,
						teardown),
		cmocka_unit_test_setup_teardown(test_broken_queue_and_refusals_show, setup_split,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
