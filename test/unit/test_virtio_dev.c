/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device core's status state machine and negotiation, against a model
 * transport whose device can be told to misbehave.
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
#include <vpmd/virtio_spec.h>

/* The device side, as a transport would reach it. */
struct model_dev {
	uint8_t status;
	uint64_t offered;
	uint64_t accepted;
	uint64_t refuse_if_accepted; /* FEATURES_OK does not stick if any of these were taken */
	int reset_reads_left;        /* reads of a non-zero status before reset completes */
	uint8_t sticky_drop;         /* status bits the device never shows */
	int fail_get_features;       /* errno to return from get_features */
	unsigned int status_writes;
	uint8_t writes[16];
	uint16_t notified[8];
	unsigned int notifies;
};

static int m_get_status(struct virtio_dev *dev, uint8_t *status)
{
	struct model_dev *m = dev->transport;

	if (m->reset_reads_left > 0) {
		m->reset_reads_left--;
		*status = VIRTIO_STATUS_ACKNOWLEDGE;
		return 0;
	}
	*status = m->status;
	return 0;
}

static int m_set_status(struct virtio_dev *dev, uint8_t status)
{
	struct model_dev *m = dev->transport;

	if (m->status_writes < sizeof(m->writes))
		m->writes[m->status_writes] = status;
	m->status_writes++;
	if ((status & VIRTIO_STATUS_FEATURES_OK) && (m->accepted & m->refuse_if_accepted))
		status &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	m->status = status & (uint8_t)~m->sticky_drop;
	if (status == 0)
		m->accepted = 0;
	return 0;
}

static int m_get_features(struct virtio_dev *dev, uint64_t *features)
{
	struct model_dev *m = dev->transport;

	if (m->fail_get_features)
		return -m->fail_get_features;
	*features = m->offered;
	return 0;
}

static int m_set_features(struct virtio_dev *dev, uint64_t features)
{
	struct model_dev *m = dev->transport;

	m->accepted = features;
	return 0;
}

static int m_notify(struct virtio_dev *dev, uint16_t index)
{
	struct model_dev *m = dev->transport;

	if (m->notifies < 8)
		m->notified[m->notifies] = index;
	m->notifies++;
	return 0;
}

static json_t *m_dump(const struct virtio_dev *dev)
{
	(void)dev;
	return json_pack("{s:s}", "kind", "model");
}

static const struct virtio_transport_ops model_ops = {
	.name = "model",
	.get_status = m_get_status,
	.set_status = m_set_status,
	.get_features = m_get_features,
	.set_features = m_set_features,
	.notify_queue = m_notify,
	.dump_json = m_dump,
};

struct fixture {
	struct model_dev model;
	struct virtio_dev dev;
};

#define MODERN_NET (VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_MAC) | \
		    VIRTIO_BIT(VIRTIO_NET_F_STATUS) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF))

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	f->model.offered = MODERN_NET;
	if (virtio_dev_init(&f->dev, &model_ops, &f->model, "model0", true) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void test_init_rejects_missing_ops(void **state)
{
	struct virtio_transport_ops ops = model_ops;
	struct virtio_dev dev;

	(void)state;
	ops.set_features = NULL;
	assert_int_equal(virtio_dev_init(&dev, &ops, NULL, "x", true), -EINVAL);
	assert_int_equal(virtio_dev_init(&dev, NULL, NULL, "x", true), -EINVAL);
}

static void test_negotiate_walks_the_status_sequence(void **state)
{
	struct fixture *f = *state;
	const uint8_t A = VIRTIO_STATUS_ACKNOWLEDGE, D = VIRTIO_STATUS_DRIVER,
		      F = VIRTIO_STATUS_FEATURES_OK;

	assert_int_equal(virtio_dev_negotiate(&f->dev, MODERN_NET, 0), 0);
	/* 3.1.1: reset, ACKNOWLEDGE, DRIVER, (features), FEATURES_OK. */
	assert_int_equal(f->model.status_writes, 4);
	assert_int_equal(f->model.writes[0], 0);
	assert_int_equal(f->model.writes[1], A);
	assert_int_equal(f->model.writes[2], A | D);
	assert_int_equal(f->model.writes[3], A | D | F);
	assert_int_equal(f->model.accepted, MODERN_NET);
	assert_int_equal(f->dev.negotiated, MODERN_NET);
	assert_int_equal(f->dev.offered, MODERN_NET);

	assert_int_equal(virtio_dev_driver_ok(&f->dev), 0);
	assert_int_equal(f->model.status, A | D | F | VIRTIO_STATUS_DRIVER_OK);
	assert_true(virtio_dev_has_feature(&f->dev, VIRTIO_NET_F_MAC));
	assert_false(virtio_dev_has_feature(&f->dev, VIRTIO_F_RING_PACKED));
}

static void test_negotiate_accepts_only_what_both_want(void **state)
{
	struct fixture *f = *state;

	f->model.offered |= VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	/* VERSION_1 is added by the core on a modern transport. */
	assert_int_equal(virtio_dev_negotiate(&f->dev, VIRTIO_BIT(VIRTIO_NET_F_MAC), 0), 0);
	assert_int_equal(f->model.accepted,
			 VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_MAC));
}

static void test_modern_transport_requires_version_1(void **state)
{
	struct fixture *f = *state;

	f->model.offered = VIRTIO_BIT(VIRTIO_NET_F_MAC);
	assert_int_equal(virtio_dev_negotiate(&f->dev, MODERN_NET, 0), -ENOTSUP);
	/* It gave up on the device, visibly. */
	assert_true(f->model.status & VIRTIO_STATUS_FAILED);
	assert_false(f->model.status & VIRTIO_STATUS_FEATURES_OK);
}

static void test_legacy_transport_skips_features_ok(void **state)
{
	struct fixture *f = *state;

	f->dev.modern = false;
	f->model.offered = VIRTIO_BIT(VIRTIO_NET_F_MAC);
	assert_int_equal(virtio_dev_negotiate(&f->dev, MODERN_NET, 0), 0);
	assert_int_equal(f->model.status, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	/* Legacy: DRIVER_OK straight after DRIVER is allowed. */
	assert_int_equal(virtio_dev_driver_ok(&f->dev), 0);
}

static void test_required_feature_missing(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(virtio_dev_negotiate(&f->dev, MODERN_NET | VIRTIO_BIT(VIRTIO_NET_F_MQ),
					      VIRTIO_BIT(VIRTIO_NET_F_MQ)),
			 -ENOTSUP);
	assert_true(f->model.status & VIRTIO_STATUS_FAILED);
}

/* 3.1.1 step 6: the device may refuse our subset by clearing FEATURES_OK. */
static void test_features_ok_refused_is_caught_by_read_back(void **state)
{
	struct fixture *f = *state;

	f->model.refuse_if_accepted = VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF);
	assert_int_equal(virtio_dev_negotiate(&f->dev, MODERN_NET, 0), -EIO);
	assert_true(f->model.status & VIRTIO_STATUS_FAILED);
	/* Without the feature it objects to, the same device is fine. */
	assert_int_equal(virtio_dev_negotiate(&f->dev, MODERN_NET &
					      ~VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF), 0), 0);
	assert_true(f->model.status & VIRTIO_STATUS_FEATURES_OK);
}

static void test_status_written_then_verified(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(virtio_dev_reset(&f->dev), 0);
	f->model.sticky_drop = VIRTIO_STATUS_DRIVER;
	assert_int_equal(virtio_dev_set_status(&f->dev, VIRTIO_STATUS_ACKNOWLEDGE), 0);
	assert_int_equal(virtio_dev_set_status(&f->dev, VIRTIO_STATUS_DRIVER), -EIO);
}

static void test_out_of_order_steps_are_refused(void **state)
{
	struct fixture *f = *state;
	unsigned int writes;

	assert_int_equal(virtio_dev_reset(&f->dev), 0);
	writes = f->model.status_writes;
	assert_int_equal(virtio_dev_set_status(&f->dev, VIRTIO_STATUS_DRIVER), -EPROTO);
	assert_int_equal(virtio_dev_set_status(&f->dev, VIRTIO_STATUS_DRIVER_OK), -EPROTO);
	assert_int_equal(virtio_dev_set_status(&f->dev, VIRTIO_STATUS_NEEDS_RESET), -EPROTO);
	assert_int_equal(virtio_dev_set_status(&f->dev, VIRTIO_STATUS_ACKNOWLEDGE), 0);
	assert_int_equal(virtio_dev_set_status(&f->dev, VIRTIO_STATUS_FEATURES_OK), -EPROTO);
	assert_int_equal(virtio_dev_set_status(&f->dev, VIRTIO_STATUS_DRIVER), 0);
	/* Modern: DRIVER_OK needs FEATURES_OK first. */
	assert_int_equal(virtio_dev_driver_ok(&f->dev), -EPROTO);
	/* Refused steps never reached the device. */
	assert_int_equal(f->model.status_writes, writes + 2);
}

static void test_failed_allows_only_reset(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(virtio_dev_negotiate(&f->dev, MODERN_NET, 0), 0);
	virtio_dev_fail(&f->dev);
	assert_true(f->model.status & VIRTIO_STATUS_FAILED);
	assert_int_equal(virtio_dev_driver_ok(&f->dev), -EPROTO);
	assert_int_equal(virtio_dev_reset(&f->dev), 0);
	assert_int_equal(f->model.status, 0);
	assert_int_equal(f->dev.negotiated, 0);
	assert_int_equal(virtio_dev_negotiate(&f->dev, MODERN_NET, 0), 0);
}

static void test_reset_waits_for_zero(void **state)
{
	struct fixture *f = *state;

	f->model.status = VIRTIO_STATUS_ACKNOWLEDGE;
	f->model.reset_reads_left = 3;
	assert_int_equal(virtio_dev_reset(&f->dev), 0);
	assert_int_equal(f->dev.status, 0);
}

static void test_reset_that_never_completes(void **state)
{
	struct fixture *f = *state;

	f->model.reset_reads_left = 1 << 30;
	assert_int_equal(virtio_dev_reset(&f->dev), -EIO);
}

static void test_transport_error_is_passed_up(void **state)
{
	struct fixture *f = *state;

	f->model.fail_get_features = ECONNRESET;
	assert_int_equal(virtio_dev_negotiate(&f->dev, MODERN_NET, 0), -ECONNRESET);
}

static void test_needs_reset_is_seen_and_never_written(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(virtio_dev_negotiate(&f->dev, MODERN_NET, 0), 0);
	assert_false(virtio_dev_needs_reset(&f->dev));
	f->model.status |= VIRTIO_STATUS_NEEDS_RESET;
	assert_true(virtio_dev_needs_reset(&f->dev));
	assert_int_equal(virtio_dev_driver_ok(&f->dev), 0);
	assert_false(f->model.writes[f->model.status_writes - 1] & VIRTIO_STATUS_NEEDS_RESET);
}

static void test_notify_reaches_the_transport(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(virtio_dev_notify(&f->dev, 3), 0);
	assert_int_equal(f->model.notifies, 1);
	assert_int_equal(f->model.notified[0], 3);
	/* Optional ops answer -ENOTSUP when the transport has none. */
	assert_int_equal(virtio_dev_read_config(&f->dev, 0, NULL, 0), -ENOTSUP);
	assert_int_equal(virtio_dev_setup_queue(&f->dev, NULL), -ENOTSUP);
}

static void test_json_names_status_and_feature_sets(void **state)
{
	struct fixture *f = *state;
	json_t *obj, *names;

	f->model.offered |= VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	assert_int_equal(virtio_dev_negotiate(&f->dev, VIRTIO_BIT(VIRTIO_NET_F_MAC) |
					      VIRTIO_BIT(VIRTIO_NET_F_CTRL_VQ), 0), 0);
	obj = virtio_dev_to_json(&f->dev);
	assert_non_null(obj);
	assert_string_equal(json_string_value(json_object_get(obj, "transport")), "model");
	assert_string_equal(json_string_value(json_object_get(obj, "name")), "model0");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(obj, "status"), "raw")),
			 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK);
	names = json_object_get(json_object_get(obj, "status"), "names");
	assert_int_equal(json_array_size(names), 3);
	assert_string_equal(json_string_value(json_array_get(names, 2)), "FEATURES_OK");

	/* Offered, driver and negotiated sets printed apart. */
	names = json_object_get(json_object_get(json_object_get(obj, "features"), "offered"), "names");
	assert_int_equal(json_array_size(names), 5);
	names = json_object_get(json_object_get(json_object_get(obj, "features"), "driver"), "names");
	assert_int_equal(json_array_size(names), 3); /* MAC, CTRL_VQ, VERSION_1 */
	names = json_object_get(json_object_get(json_object_get(obj, "features"), "negotiated"),
				"names");
	assert_int_equal(json_array_size(names), 2);
	assert_string_equal(json_string_value(json_array_get(names, 0)), "MAC");
	assert_string_equal(json_string_value(json_array_get(names, 1)), "VERSION_1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
				    json_object_get(obj, "features"), "negotiated"), "raw")),
			    "0x0000000100000020");
	assert_string_equal(json_string_value(json_object_get(json_object_get(obj, "transport_info"),
								 "kind")),
			    "model");
	json_decref(obj);
}

static void test_status_json_unknown_bits(void **state)
{
	json_t *arr = virtio_status_to_json(VIRTIO_STATUS_FAILED | 0x20);

	(void)state;
	assert_int_equal(json_array_size(arr), 2);
	assert_string_equal(json_string_value(json_array_get(arr, 0)), "FAILED");
	assert_string_equal(json_string_value(json_array_get(arr, 1)), "bit_5");
	json_decref(arr);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_init_rejects_missing_ops),
		T(test_negotiate_walks_the_status_sequence),
		T(test_negotiate_accepts_only_what_both_want),
		T(test_modern_transport_requires_version_1),
		T(test_legacy_transport_skips_features_ok),
		T(test_required_feature_missing),
		T(test_features_ok_refused_is_caught_by_read_back),
		T(test_status_written_then_verified),
		T(test_out_of_order_steps_are_refused),
		T(test_failed_allows_only_reset),
		T(test_reset_waits_for_zero),
		T(test_reset_that_never_completes),
		T(test_transport_error_is_passed_up),
		T(test_needs_reset_is_seen_and_never_written),
		T(test_notify_reaches_the_transport),
		T(test_json_names_status_and_feature_sets),
		T(test_status_json_unknown_bits),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
