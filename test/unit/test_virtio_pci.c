/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The virtio-pci transport against a model PCI function (model_pci.c):
 * interface choice, capability checks, full bring-up through the device
 * core, and each way the model can misbehave.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vpmd/virtio_dev.h>
#include <vpmd/virtio_pci.h>
#include <vpmd/virtio_spec.h>
#include <vpmd/virtqueue.h>

#include "model_pci.h"

#define RING_DEV_ADDR 0x123456000ull /* above 4 GiB: the hi halves matter */
#define LEGACY_RING_DEV_ADDR 0x12345000ull
#define NET_FEATURES (VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_STATUS) | \
		      VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF))

struct ring {
	void *mem;
	struct virtqueue *vq;
};

struct fixture {
	struct model_pci m;
	struct virtio_pci_access access;
	struct virtio_pci *vp;
	struct virtio_dev dev;
	struct ring rings[3];
	char why[256];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	model_pci_init(&f->m, MODEL_PCI_TRANSITIONAL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		vq_destroy(f->rings[i].vq);
		free(f->rings[i].mem);
	}
	virtio_pci_destroy(f->vp);
	free(f);
	return 0;
}

/* Create over the model as it is now; returns create's result. */
static int create(struct fixture *f, bool force_legacy)
{
	struct virtio_pci_options opts = { .force_legacy = force_legacy };

	model_pci_access(&f->m, &f->access);
	return virtio_pci_create(&f->access, &opts, &f->vp, f->why, sizeof(f->why));
}

/* Create and bind the core to the transport. */
static void create_dev(struct fixture *f, bool force_legacy)
{
	assert_int_equal(create(f, force_legacy), 0);
	assert_int_equal(virtio_dev_init(&f->dev, virtio_pci_ops(f->vp), f->vp, "pci0",
					 virtio_pci_mode(f->vp) == VIRTIO_PCI_MODE_MODERN),
			 0);
}

static int make_ring(struct fixture *f, unsigned int slot, enum vq_layout layout, uint16_t size,
		     uint16_t index, uint64_t dev_addr)
{
	struct vq_config cfg = {
		.layout = layout,
		.size = size,
		.index = index,
		.used_align = f->dev.modern ? 0 : VRING_LEGACY_ALIGN,
		.notify = virtio_dev_notify,
		.notify_ctx = &f->dev,
	};
	size_t len = vq_ring_mem_size(&cfg);
	struct ring *r = &f->rings[slot];

	assert_true(len > 0);
	r->mem = aligned_alloc(4096, (len + 4095) & ~(size_t)4095);
	assert_non_null(r->mem);
	return vq_create(&cfg, r->mem, dev_addr, &r->vq);
}

static void test_transitional_prefers_modern(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(create(f, false), 0);
	assert_int_equal(virtio_pci_mode(f->vp), VIRTIO_PCI_MODE_MODERN);
	assert_non_null(virtio_pci_ops(f->vp)->config_generation);
	assert_int_equal(virtio_pci_num_queues(f->vp), 3);
	assert_string_equal(virtio_pci_error(f->vp), "");
	/* Create only looks: nothing written to the device. */
	assert_int_equal(f->m.n_status, 0);
	assert_int_equal(f->m.bad_accesses, 0);
}

static void test_modern_only(void **state)
{
	struct fixture *f = *state;

	model_pci_init(&f->m, MODEL_PCI_MODERN_ONLY);
	assert_int_equal(create(f, false), 0);
	assert_int_equal(virtio_pci_mode(f->vp), VIRTIO_PCI_MODE_MODERN);
}

static void test_legacy_only(void **state)
{
	struct fixture *f = *state;

	model_pci_init(&f->m, MODEL_PCI_LEGACY_ONLY);
	assert_int_equal(create(f, false), 0);
	assert_int_equal(virtio_pci_mode(f->vp), VIRTIO_PCI_MODE_LEGACY);
	assert_null(virtio_pci_ops(f->vp)->config_generation);
	assert_int_equal(virtio_pci_num_queues(f->vp), 0);
}

static void test_force_legacy(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(create(f, true), 0);
	assert_int_equal(virtio_pci_mode(f->vp), VIRTIO_PCI_MODE_LEGACY);
}

static void test_force_legacy_without_io_bar(void **state)
{
	struct fixture *f = *state;

	model_pci_init(&f->m, MODEL_PCI_MODERN_ONLY);
	assert_int_equal(create(f, true), -ENODEV);
	assert_null(f->vp);
	assert_non_null(strstr(f->why, "legacy"));
}

static void test_not_virtio(void **state)
{
	struct fixture *f = *state;

	f->m.vendor_id = 0x8086;
	model_pci_build(&f->m);
	assert_int_equal(create(f, false), -ENODEV);
	assert_non_null(strstr(f->why, "8086:1000"));

	f->m.vendor_id = VIRTIO_PCI_VENDOR_ID;
	f->m.device_id = 0x1080;
	model_pci_build(&f->m);
	assert_int_equal(create(f, false), -ENODEV);
}

static void test_no_caps_and_no_legacy_is_nodev(void **state)
{
	struct fixture *f = *state;

	model_pci_init(&f->m, MODEL_PCI_MODERN_ONLY);
	f->m.caps[model_pci_find_cap(&f->m, VIRTIO_PCI_CAP_ISR_CFG)].cfg_type = 7; /* reserved */
	model_pci_build(&f->m);
	assert_int_equal(create(f, false), -ENODEV);
	assert_non_null(strstr(f->why, "ISR"));
}

static void test_first_usable_cap_wins(void **state)
{
	struct fixture *f = *state;
	int common = model_pci_find_cap(&f->m, VIRTIO_PCI_CAP_COMMON_CFG);
	json_t *info;

	/* A common cap on a reserved BAR first: skipped for the real one after it. */
	memmove(&f->m.caps[common + 1], &f->m.caps[common],
		(f->m.n_caps - (unsigned int)common) * sizeof(f->m.caps[0]));
	f->m.n_caps++;
	f->m.caps[common].bar = 7;
	f->m.caps[common].offset = 0x500;
	/* And a second ISR cap after the first: ignored. */
	f->m.caps[f->m.n_caps++] = (struct model_pci_cap){ .id = 0x09,
		.cfg_type = VIRTIO_PCI_CAP_ISR_CFG, .bar = 4, .offset = 0x3800, .length = 4 };
	model_pci_build(&f->m);
	create_dev(f, false);
	info = virtio_dev_to_json(&f->dev);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(
				 json_object_get(info, "transport_info"), "caps"), "common"), "offset")),
			 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(
				 json_object_get(info, "transport_info"), "caps"), "isr"), "offset")),
			 MODEL_ISR_OFF);
	json_decref(info);
}

/* Negotiate, set up @n rings of @layout, DRIVER_OK; check what the device saw. */
static void bring_up(struct fixture *f, enum vq_layout layout, uint64_t base)
{
	bool packed = layout == VQ_LAYOUT_PACKED;
	uint64_t want = NET_FEATURES | (packed ? VIRTIO_BIT(VIRTIO_F_RING_PACKED) : 0);
	struct vq_ring_addrs a;
	uint16_t max;
	unsigned int i;

	assert_int_equal(virtio_dev_negotiate(&f->dev, want, 0), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(virtio_dev_queue_max(&f->dev, (uint16_t)i, &max), 0);
		assert_int_equal(max, 256);
		assert_int_equal(make_ring(f, i, layout, 256, (uint16_t)i, base + i * 0x10000), 0);
		assert_int_equal(virtio_dev_setup_queue(&f->dev, f->rings[i].vq), 0);
	}
	assert_int_equal(virtio_dev_driver_ok(&f->dev), 0);
	assert_int_equal(f->m.bad_accesses, 0);

	for (i = 0; i < 3; i++) {
		vq_ring_addrs(f->rings[i].vq, &a);
		if (f->dev.modern) {
			assert_int_equal(f->m.q[i].size, 256);
			assert_int_equal(f->m.q[i].enable, 1);
			assert_int_equal(f->m.q[i].desc, a.desc_dev);
			assert_int_equal(f->m.q[i].driver, a.driver_area_dev);
			assert_int_equal(f->m.q[i].device, a.device_area_dev);
			assert_int_equal(f->m.q[i].msix, VIRTIO_MSI_NO_VECTOR);
		} else {
			assert_int_equal(f->m.q[i].pfn, a.desc_dev >> 12);
		}
	}
}

static void test_bringup_modern_split(void **state)
{
	struct fixture *f = *state;
	const uint8_t A = VIRTIO_STATUS_ACKNOWLEDGE, D = VIRTIO_STATUS_DRIVER,
		      F = VIRTIO_STATUS_FEATURES_OK, OK = VIRTIO_STATUS_DRIVER_OK;

	create_dev(f, false);
	bring_up(f, VQ_LAYOUT_SPLIT, RING_DEV_ADDR);
	/* 3.1.1: reset, ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK. */
	assert_int_equal(f->m.n_status, 5);
	assert_memory_equal(f->m.status_log, ((uint8_t[]){ 0, A, A | D, A | D | F, A | D | F | OK }),
			    5);
	assert_int_equal(f->m.driver_features, NET_FEATURES | VIRTIO_BIT(VIRTIO_F_VERSION_1));
	/* The hi half of a ring above 4 GiB reached the device. */
	assert_int_equal(f->m.q[0].desc >> 32, 1);
	assert_int_equal(f->m.msix_config, VIRTIO_MSI_NO_VECTOR);
}

static void test_bringup_modern_packed(void **state)
{
	struct fixture *f = *state;

	create_dev(f, false);
	bring_up(f, VQ_LAYOUT_PACKED, RING_DEV_ADDR);
	assert_true(f->m.driver_features & VIRTIO_BIT(VIRTIO_F_RING_PACKED));
	assert_int_equal(f->m.status & VIRTIO_STATUS_DRIVER_OK, VIRTIO_STATUS_DRIVER_OK);
}

static void test_bringup_legacy_split(void **state)
{
	struct fixture *f = *state;
	const uint8_t A = VIRTIO_STATUS_ACKNOWLEDGE, D = VIRTIO_STATUS_DRIVER;

	model_pci_init(&f->m, MODEL_PCI_LEGACY_ONLY);
	create_dev(f, false);
	bring_up(f, VQ_LAYOUT_SPLIT, LEGACY_RING_DEV_ADDR);
	/* No FEATURES_OK on legacy. */
	assert_int_equal(f->m.n_status, 4);
	assert_memory_equal(f->m.status_log,
			    ((uint8_t[]){ 0, A, A | D, A | D | VIRTIO_STATUS_DRIVER_OK }), 4);
	assert_int_equal(f->m.driver_features, NET_FEATURES);
	assert_int_equal(f->m.q[0].pfn, LEGACY_RING_DEV_ADDR >> 12);

	/* Teardown gives the device page number 0. */
	assert_int_equal(virtio_dev_teardown_queue(&f->dev, f->rings[1].vq), 0);
	assert_int_equal(f->m.q[1].pfn, 0);
	assert_int_equal(f->m.q[0].pfn, LEGACY_RING_DEV_ADDR >> 12);
}

static void test_notify_modern(void **state)
{
	struct fixture *f = *state;
	unsigned int i;

	f->m.q[2].notify_off = 7;
	create_dev(f, false);
	bring_up(f, VQ_LAYOUT_SPLIT, RING_DEV_ADDR);
	for (i = 0; i < 3; i++) {
		assert_int_equal(vq_notify(f->rings[i].vq), 0);
		assert_int_equal(f->m.last_notify_value, i);
		/* 4.1.4.4: cap.offset + queue_notify_off * notify_off_multiplier. */
		assert_int_equal(f->m.last_notify_offset,
				 MODEL_NOTIFY_OFF + f->m.q[i].notify_off * MODEL_NOTIFY_MULT);
	}
	assert_int_equal(f->m.notifies, 3);
	assert_int_equal(f->m.bad_accesses, 0);
	/* A queue never set up has no address. */
	assert_int_equal(virtio_dev_notify(&f->dev, 3), -EINVAL);
}

/*
 * num_queues may grow once the features are negotiated (QEMU's virtio-net
 * shows one pair and the control queue until MQ is): the queue past the
 * first count is found, set up and kicked.
 */
static void test_num_queues_grows(void **state)
{
	struct fixture *f = *state;
	uint16_t max = 0;

	f->m.num_queues = 2;
	create_dev(f, false);
	assert_int_equal(virtio_dev_negotiate(&f->dev, NET_FEATURES, 0), 0);
	assert_int_equal(virtio_dev_queue_max(&f->dev, 2, &max), 0);
	assert_int_equal(max, 0); /* not there yet */
	f->m.num_queues = 3;
	assert_int_equal(virtio_dev_queue_max(&f->dev, 2, &max), 0);
	assert_int_equal(max, 256);
	assert_int_equal(make_ring(f, 2, VQ_LAYOUT_SPLIT, 256, 2, RING_DEV_ADDR), 0);
	assert_int_equal(virtio_dev_setup_queue(&f->dev, f->rings[2].vq), 0);
	assert_int_equal(f->m.q[2].enable, 1);
	assert_int_equal(vq_notify(f->rings[2].vq), 0);
	assert_int_equal(f->m.last_notify_value, 2);
	assert_int_equal(f->m.bad_accesses, 0);
}

static void test_notify_legacy(void **state)
{
	struct fixture *f = *state;

	model_pci_init(&f->m, MODEL_PCI_LEGACY_ONLY);
	create_dev(f, false);
	bring_up(f, VQ_LAYOUT_SPLIT, LEGACY_RING_DEV_ADDR);
	assert_int_equal(vq_notify(f->rings[1].vq), 0);
	assert_int_equal(f->m.last_notify_offset, 16);
	assert_int_equal(f->m.last_notify_value, 1);
}

static void test_cap_past_bar(void **state)
{
	struct fixture *f = *state;
	int notify;

	model_pci_init(&f->m, MODEL_PCI_MODERN_ONLY);
	notify = model_pci_find_cap(&f->m, VIRTIO_PCI_CAP_NOTIFY_CFG);
	f->m.caps[notify].length = 0x1001; /* 0x3000 + 0x1001 > 0x4000 */
	model_pci_build(&f->m);
	assert_int_equal(create(f, false), -EINVAL);
	assert_null(f->vp);
	assert_string_equal(f->why,
			    "notify capability: offset 0x3000 + 0x1001 bytes is past BAR 4 "
			    "(0x4000 bytes)");
}

static void test_cap_offset_overflow(void **state)
{
	struct fixture *f = *state;
	int common = model_pci_find_cap(&f->m, VIRTIO_PCI_CAP_COMMON_CFG);

	/* offset + length wraps in 32 bits: must not pass as small. */
	f->m.caps[common].offset = 0xfffff000;
	f->m.caps[common].length = 0x2000;
	model_pci_build(&f->m);
	assert_int_equal(create(f, false), -EINVAL);
	assert_non_null(strstr(f->why, "common configuration capability"));
}

static void test_common_cap_too_short(void **state)
{
	struct fixture *f = *state;

	f->m.caps[model_pci_find_cap(&f->m, VIRTIO_PCI_CAP_COMMON_CFG)].length = 0x20;
	model_pci_build(&f->m);
	assert_int_equal(create(f, false), -EINVAL);
	assert_non_null(strstr(f->why, "less than"));
}

static void test_cap_loop_terminates(void **state)
{
	struct fixture *f = *state;

	f->m.cap_loop = true;
	model_pci_build(&f->m);
	/* Every cap is still found once; the walk stops on its own. */
	assert_int_equal(create(f, false), 0);
	assert_int_equal(virtio_pci_mode(f->vp), VIRTIO_PCI_MODE_MODERN);
	assert_true(f->m.cfg_reads < 48 * 8);

	/* A loop that hides the notify cap: modern-only → -ENODEV, no hang. */
	virtio_pci_destroy(f->vp);
	f->vp = NULL;
	model_pci_init(&f->m, MODEL_PCI_MODERN_ONLY);
	f->m.n_caps = 3; /* MSI-X, common, ISR */
	f->m.cap_loop = true;
	model_pci_build(&f->m);
	assert_int_equal(create(f, false), -ENODEV);
	assert_non_null(strstr(f->why, "broken"));
}

static void test_cap_pointer_into_header(void **state)
{
	struct fixture *f = *state;

	f->m.cfg[0x34] = 0x10; /* inside the 64-byte header */
	model_pci_access(&f->m, &f->access);
	assert_int_equal(virtio_pci_create(&f->access, NULL, &f->vp, f->why, sizeof(f->why)), 0);
	/* No capabilities seen: the transitional device falls back to legacy. */
	assert_int_equal(virtio_pci_mode(f->vp), VIRTIO_PCI_MODE_LEGACY);
}

static void test_modern_smaller_queue_size(void **state)
{
	struct fixture *f = *state;

	f->m.q[0].max = 1000;
	f->m.q[0].size = 1000;
	create_dev(f, false);
	assert_int_equal(virtio_dev_negotiate(&f->dev, NET_FEATURES, 0), 0);
	assert_int_equal(make_ring(f, 0, VQ_LAYOUT_SPLIT, 1024, 0, RING_DEV_ADDR), 0);
	assert_int_equal(virtio_dev_setup_queue(&f->dev, f->rings[0].vq), -EINVAL);
	assert_non_null(strstr(virtio_pci_error(f->vp), "at most 1000"));
	assert_int_equal(f->m.q[0].enable, 0);

	assert_int_equal(make_ring(f, 1, VQ_LAYOUT_SPLIT, 512, 0, RING_DEV_ADDR), 0);
	assert_int_equal(virtio_dev_setup_queue(&f->dev, f->rings[1].vq), 0);
	/* 4.1.4.3: the driver may write a smaller queue_size. */
	assert_int_equal(f->m.q[0].size, 512);
	assert_int_equal(f->m.q[0].enable, 1);
	assert_int_equal(f->m.bad_accesses, 0);
}

static void test_legacy_size_must_match(void **state)
{
	struct fixture *f = *state;

	model_pci_init(&f->m, MODEL_PCI_LEGACY_ONLY);
	f->m.q[0].max = 1000;
	create_dev(f, false);
	assert_int_equal(virtio_dev_negotiate(&f->dev, NET_FEATURES, 0), 0);
	assert_int_equal(make_ring(f, 0, VQ_LAYOUT_SPLIT, 1024, 0, LEGACY_RING_DEV_ADDR), 0);
	assert_int_equal(virtio_dev_setup_queue(&f->dev, f->rings[0].vq), -EINVAL);
	assert_string_equal(virtio_pci_error(f->vp),
			    "legacy device: queue 0 has 1000 entries, the ring has 1024 "
			    "(and a split ring needs a power of two)");
	assert_int_equal(f->m.q[0].pfn, 0);

	/* Smaller than the device's fixed size: refused too. */
	f->m.q[1].max = 256;
	assert_int_equal(make_ring(f, 1, VQ_LAYOUT_SPLIT, 128, 1, LEGACY_RING_DEV_ADDR), 0);
	assert_int_equal(virtio_dev_setup_queue(&f->dev, f->rings[1].vq), -EINVAL);
	assert_string_equal(virtio_pci_error(f->vp),
			    "legacy device: queue 1 has 256 entries, the ring has 128");
}

static void test_legacy_ring_layout_checked(void **state)
{
	struct fixture *f = *state;

	model_pci_init(&f->m, MODEL_PCI_LEGACY_ONLY);
	create_dev(f, false);
	assert_int_equal(virtio_dev_negotiate(&f->dev, NET_FEATURES, 0), 0);
	/* A modern layout (used ring at 4-byte alignment) is not where legacy looks. */
	f->dev.modern = true;
	assert_int_equal(make_ring(f, 0, VQ_LAYOUT_SPLIT, 256, 0, LEGACY_RING_DEV_ADDR), 0);
	f->dev.modern = false;
	assert_int_equal(virtio_dev_setup_queue(&f->dev, f->rings[0].vq), -EINVAL);
	assert_non_null(strstr(virtio_pci_error(f->vp), "legacy expects"));
	/* Not page aligned, and above a 32-bit page number. */
	assert_int_equal(make_ring(f, 1, VQ_LAYOUT_SPLIT, 256, 0, LEGACY_RING_DEV_ADDR + 64), 0);
	assert_int_equal(virtio_dev_setup_queue(&f->dev, f->rings[1].vq), -EINVAL);
	assert_int_equal(make_ring(f, 2, VQ_LAYOUT_SPLIT, 256, 0, 1ull << 45), 0);
	assert_int_equal(virtio_dev_setup_queue(&f->dev, f->rings[2].vq), -EINVAL);
	assert_non_null(strstr(virtio_pci_error(f->vp), "32-bit page number"));
}

static void test_zero_size_queue(void **state)
{
	struct fixture *f = *state;
	uint16_t max = 1;

	f->m.q[1].max = 0;
	f->m.q[1].size = 0;
	create_dev(f, false);
	assert_int_equal(virtio_dev_negotiate(&f->dev, NET_FEATURES, 0), 0);
	assert_int_equal(virtio_dev_queue_max(&f->dev, 1, &max), 0);
	assert_int_equal(max, 0);
	assert_int_equal(make_ring(f, 0, VQ_LAYOUT_SPLIT, 256, 1, RING_DEV_ADDR), 0);
	assert_int_equal(virtio_dev_setup_queue(&f->dev, f->rings[0].vq), -EINVAL);
	assert_non_null(strstr(virtio_pci_error(f->vp), "not available"));
	/* Beyond num_queues: no such queue either. */
	assert_int_equal(virtio_dev_queue_max(&f->dev, 3, &max), 0);
	assert_int_equal(max, 0);
}

static void test_features_ok_cleared(void **state)
{
	struct fixture *f = *state;

	f->m.refuse_features_ok = true;
	create_dev(f, false);
	assert_int_equal(virtio_dev_negotiate(&f->dev, NET_FEATURES, 0), -EIO);
	assert_true(f->m.status & VIRTIO_STATUS_FAILED);
}

static void test_needs_reset(void **state)
{
	struct fixture *f = *state;

	create_dev(f, false);
	assert_false(virtio_dev_needs_reset(&f->dev));
	f->m.needs_reset = true;
	assert_true(virtio_dev_needs_reset(&f->dev));
}

static void test_queue_enable_not_sticky(void **state)
{
	struct fixture *f = *state;

	f->m.enable_not_sticky = true;
	create_dev(f, false);
	assert_int_equal(virtio_dev_negotiate(&f->dev, NET_FEATURES, 0), 0);
	assert_int_equal(make_ring(f, 0, VQ_LAYOUT_SPLIT, 256, 0, RING_DEV_ADDR), 0);
	assert_int_equal(virtio_dev_setup_queue(&f->dev, f->rings[0].vq), -EIO);
	assert_string_equal(virtio_pci_error(f->vp), "queue 0: queue_enable reads 0 after writing 1");
	assert_int_equal(virtio_dev_notify(&f->dev, 0), -EINVAL);
}

static void test_notify_off_past_bar(void **state)
{
	struct fixture *f = *state;

	f->m.q[0].notify_off = 0x400; /* 0x400 * 4 = 0x1000: the area's end */
	create_dev(f, false);
	assert_int_equal(virtio_dev_negotiate(&f->dev, NET_FEATURES, 0), 0);
	assert_int_equal(make_ring(f, 0, VQ_LAYOUT_SPLIT, 256, 0, RING_DEV_ADDR), 0);
	assert_int_equal(virtio_dev_setup_queue(&f->dev, f->rings[0].vq), -EINVAL);
	assert_non_null(strstr(virtio_pci_error(f->vp), "past the notify area"));
	assert_int_equal(f->m.q[0].enable, 0);

	/* The last two bytes of the area are fine. */
	f->m.q[0].notify_off = 0x3ff;
	assert_int_equal(virtio_dev_setup_queue(&f->dev, f->rings[0].vq), 0);
	assert_int_equal(virtio_dev_notify(&f->dev, 0), 0);
	assert_int_equal(f->m.last_notify_offset, MODEL_NOTIFY_OFF + 0xffc);
}

static void test_notify_off_past_cap_length(void **state)
{
	struct fixture *f = *state;

	/* A notify area shorter than what is left of its BAR: its own length bounds it. */
	f->m.caps[model_pci_find_cap(&f->m, VIRTIO_PCI_CAP_NOTIFY_CFG)].length = 0x800;
	model_pci_build(&f->m);
	f->m.q[0].notify_off = 0x200; /* 0x800: two bytes past the area */
	create_dev(f, false);
	assert_int_equal(virtio_dev_negotiate(&f->dev, NET_FEATURES, 0), 0);
	assert_int_equal(make_ring(f, 0, VQ_LAYOUT_SPLIT, 256, 0, RING_DEV_ADDR), 0);
	assert_int_equal(virtio_dev_setup_queue(&f->dev, f->rings[0].vq), -EINVAL);
	assert_string_equal(virtio_pci_error(f->vp),
			    "queue 0: queue_notify_off 512 x multiplier 4 is past the notify area "
			    "(0x800 bytes)");
	f->m.q[0].notify_off = 0x1ff;
	assert_int_equal(virtio_dev_setup_queue(&f->dev, f->rings[0].vq), 0);
}

static void test_ring_layout_must_match_features(void **state)
{
	struct fixture *f = *state;

	create_dev(f, false);
	assert_int_equal(virtio_dev_negotiate(&f->dev, NET_FEATURES, 0), 0);
	assert_int_equal(make_ring(f, 0, VQ_LAYOUT_PACKED, 256, 0, RING_DEV_ADDR), 0);
	assert_int_equal(virtio_dev_setup_queue(&f->dev, f->rings[0].vq), -EINVAL);
	assert_non_null(strstr(virtio_pci_error(f->vp), "was not negotiated"));
}

static void test_legacy_feature_above_31(void **state)
{
	struct fixture *f = *state;

	model_pci_init(&f->m, MODEL_PCI_LEGACY_ONLY);
	create_dev(f, false);
	assert_int_equal(f->dev.ops->set_features(&f->dev, VIRTIO_BIT(VIRTIO_F_VERSION_1)),
			 -EINVAL);
	assert_non_null(strstr(virtio_pci_error(f->vp), "above bit 31"));
	assert_int_equal(f->dev.ops->set_features(&f->dev, NET_FEATURES), 0);
	assert_int_equal(f->m.driver_features, NET_FEATURES);
}

static void test_legacy_packed_not_supported(void **state)
{
	struct fixture *f = *state;

	model_pci_init(&f->m, MODEL_PCI_LEGACY_ONLY);
	create_dev(f, false);
	assert_int_equal(make_ring(f, 0, VQ_LAYOUT_PACKED, 256, 0, LEGACY_RING_DEV_ADDR), 0);
	assert_int_equal(virtio_dev_setup_queue(&f->dev, f->rings[0].vq), -ENOTSUP);
}

static void test_notification_data_refused(void **state)
{
	struct fixture *f = *state;

	create_dev(f, false);
	assert_int_equal(f->dev.ops->set_features(&f->dev,
						  VIRTIO_BIT(VIRTIO_F_NOTIFICATION_DATA)),
			 -EINVAL);
}

static void test_read_config_natural_widths(void **state)
{
	struct fixture *f = *state;
	uint8_t mac[6], b;
	uint16_t w;
	uint32_t d;
	uint64_t q;

	create_dev(f, false);
	assert_int_equal(virtio_dev_read_config(&f->dev, 6, &w, 2), 0); /* status */
	assert_int_equal(w, VIRTIO_NET_S_LINK_UP);
	assert_int_equal(virtio_dev_read_config(&f->dev, 12, &d, 4), 0); /* speed */
	assert_int_equal(virtio_dev_read_config(&f->dev, 1, &b, 1), 0);
	assert_int_equal(b, 0x54);
	assert_int_equal(f->m.n_dev_log, 3);
	assert_int_equal(f->m.dev_log[0].len, 2);
	assert_int_equal(f->m.dev_log[0].offset, MODEL_DEVICE_OFF + 6);
	assert_int_equal(f->m.dev_log[1].len, 4);
	assert_int_equal(f->m.dev_log[2].len, 1);

	/* Six 8-bit fields: six byte reads. */
	f->m.n_dev_log = 0;
	assert_int_equal(virtio_dev_read_config(&f->dev, 0, mac, 6), 0);
	assert_memory_equal(mac, ((uint8_t[]){ 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 }), 6);
	assert_int_equal(f->m.n_dev_log, 6);
	assert_int_equal(f->m.dev_log[5].len, 1);

	/* A 64-bit field: two 32-bit halves. An unaligned 16 bits: two bytes. */
	f->m.n_dev_log = 0;
	assert_int_equal(virtio_dev_read_config(&f->dev, 8, &q, 8), 0);
	assert_int_equal(f->m.n_dev_log, 2);
	assert_int_equal(f->m.dev_log[1].len, 4);
	f->m.n_dev_log = 0;
	assert_int_equal(virtio_dev_read_config(&f->dev, 3, &w, 2), 0);
	assert_int_equal(f->m.n_dev_log, 2);

	/* Past the structure's length. */
	assert_int_equal(virtio_dev_read_config(&f->dev, MODEL_REGION_LEN - 2, &d, 4), -EINVAL);
	assert_int_equal(virtio_dev_read_config(&f->dev, UINT32_MAX, &b, 1), -EINVAL);
	assert_int_equal(f->m.bad_accesses, 0);
}

static void test_no_device_cfg_cap(void **state)
{
	struct fixture *f = *state;
	uint8_t b;

	f->m.caps[model_pci_find_cap(&f->m, VIRTIO_PCI_CAP_DEVICE_CFG)].cfg_type = 5; /* PCI_CFG */
	model_pci_build(&f->m);
	create_dev(f, false);
	assert_null(f->dev.ops->read_config);
	assert_int_equal(virtio_dev_read_config(&f->dev, 0, &b, 1), -ENOTSUP);
}

static void test_legacy_config_moves_with_msix(void **state)
{
	struct fixture *f = *state;
	uint16_t status;
	uint8_t b;

	/* Transitional: it has an MSI-X capability to turn on. */
	create_dev(f, true);
	assert_int_equal(virtio_dev_read_config(&f->dev, 6, &status, 2), 0);
	assert_int_equal(status, VIRTIO_NET_S_LINK_UP);
	assert_int_equal(f->m.dev_log[0].offset, 20 + 6);
	assert_int_equal(f->m.dev_log[0].len, 2);

	model_pci_set_msix(&f->m, true);
	f->m.n_dev_log = 0;
	assert_int_equal(virtio_dev_read_config(&f->dev, 6, &status, 2), 0);
	assert_int_equal(status, VIRTIO_NET_S_LINK_UP);
	assert_int_equal(f->m.dev_log[0].offset, 24 + 6);
	assert_int_equal(virtio_dev_read_config(&f->dev, 0, &b, 1), 0);
	assert_int_equal(b, 0x52);
	/* The end of BAR 0 comes 4 bytes sooner. */
	assert_int_equal(virtio_dev_read_config(&f->dev, MODEL_LEGACY_BAR_LEN - 24, &b, 1),
			 -EINVAL);
	model_pci_set_msix(&f->m, false);
	assert_int_equal(virtio_dev_read_config(&f->dev, MODEL_LEGACY_BAR_LEN - 24, &b, 1), 0);
	assert_int_equal(f->m.bad_accesses, 0);
}

static void test_isr_read_clears(void **state)
{
	struct fixture *f = *state;

	create_dev(f, false);
	f->m.isr = VIRTIO_PCI_ISR_CONFIG;
	assert_int_equal(virtio_pci_isr_read(f->vp), VIRTIO_PCI_ISR_CONFIG);
	assert_int_equal(virtio_pci_isr_read(f->vp), 0);

	virtio_pci_destroy(f->vp);
	f->vp = NULL;
	create_dev(f, true);
	f->m.isr = VIRTIO_PCI_ISR_QUEUE;
	assert_int_equal(virtio_pci_isr_read(f->vp), VIRTIO_PCI_ISR_QUEUE);
	assert_int_equal(virtio_pci_isr_read(f->vp), 0);
}

static void test_config_generation(void **state)
{
	struct fixture *f = *state;
	uint8_t gen = 0xff;

	create_dev(f, false);
	f->m.generation = 5;
	assert_int_equal(virtio_pci_config_generation(f->vp, &gen), 0);
	assert_int_equal(gen, 5);
	gen = 0;
	assert_int_equal(f->dev.ops->config_generation(&f->dev, &gen), 0);
	assert_int_equal(gen, 5);

	virtio_pci_destroy(f->vp);
	f->vp = NULL;
	create_dev(f, true);
	assert_int_equal(virtio_pci_config_generation(f->vp, &gen), 0);
	assert_int_equal(gen, 0);
}

static void test_dump_json(void **state)
{
	struct fixture *f = *state;
	json_t *info, *t;

	create_dev(f, false);
	info = virtio_dev_to_json(&f->dev);
	t = json_object_get(info, "transport_info");
	assert_string_equal(json_string_value(json_object_get(t, "interface")), "modern");
	assert_int_equal(json_integer_value(json_object_get(t, "notify_off_multiplier")),
			 MODEL_NOTIFY_MULT);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
				 json_object_get(t, "caps"), "notify"), "bar")),
			 4);
	json_decref(info);

	virtio_pci_destroy(f->vp);
	f->vp = NULL;
	create_dev(f, true);
	info = virtio_dev_to_json(&f->dev);
	t = json_object_get(info, "transport_info");
	assert_string_equal(json_string_value(json_object_get(t, "interface")), "legacy");
	assert_int_equal(json_integer_value(json_object_get(t, "config_offset")), 20);
	json_decref(info);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_transitional_prefers_modern),
		T(test_modern_only),
		T(test_legacy_only),
		T(test_force_legacy),
		T(test_force_legacy_without_io_bar),
		T(test_not_virtio),
		T(test_no_caps_and_no_legacy_is_nodev),
		T(test_first_usable_cap_wins),
		T(test_bringup_modern_split),
		T(test_bringup_modern_packed),
		T(test_bringup_legacy_split),
		T(test_notify_modern),
		T(test_num_queues_grows),
		T(test_notify_legacy),
		T(test_cap_past_bar),
		T(test_cap_offset_overflow),
		T(test_common_cap_too_short),
		T(test_cap_loop_terminates),
		T(test_cap_pointer_into_header),
		T(test_modern_smaller_queue_size),
		T(test_legacy_size_must_match),
		T(test_legacy_ring_layout_checked),
		T(test_zero_size_queue),
		T(test_features_ok_cleared),
		T(test_needs_reset),
		T(test_queue_enable_not_sticky),
		T(test_notify_off_past_bar),
		T(test_notify_off_past_cap_length),
		T(test_ring_layout_must_match_features),
		T(test_legacy_feature_above_31),
		T(test_legacy_packed_not_supported),
		T(test_notification_data_refused),
		T(test_read_config_natural_widths),
		T(test_no_device_cfg_cap),
		T(test_legacy_config_moves_with_msix),
		T(test_isr_read_clears),
		T(test_config_generation),
		T(test_dump_json),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
