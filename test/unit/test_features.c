/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Feature names and negotiation.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <vpmd/virtio_features.h>
#include <vpmd/virtio_spec.h>

static void test_names_of_known_bits(void **state)
{
	(void)state;
	assert_string_equal(virtio_feature_name(VIRTIO_NET_F_CSUM), "CSUM");
	assert_string_equal(virtio_feature_name(VIRTIO_NET_F_MRG_RXBUF), "MRG_RXBUF");
	assert_string_equal(virtio_feature_name(VIRTIO_F_VERSION_1), "VERSION_1");
	assert_string_equal(virtio_feature_name(VIRTIO_F_RING_PACKED), "RING_PACKED");
	assert_string_equal(virtio_feature_name(VIRTIO_RING_F_EVENT_IDX), "RING_EVENT_IDX");
	assert_string_equal(virtio_feature_name(VIRTIO_NET_F_SPEED_DUPLEX), "SPEED_DUPLEX");
	assert_null(virtio_feature_name(4));  /* reserved in virtio-net */
	assert_null(virtio_feature_name(64)); /* out of range */
}

static void test_format_falls_back_to_bit_n(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(virtio_feature_format(VIRTIO_NET_F_MQ, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "MQ");
	assert_int_equal(virtio_feature_format(4, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "bit_4");
	virtio_feature_format(50, buf, sizeof(buf));
	assert_string_equal(buf, "bit_50");
	assert_int_equal(virtio_feature_format(64, buf, sizeof(buf)), -EINVAL);
}

/* Every bit formats to a string that looks up back to the same bit. */
static void test_lookup_round_trips_every_bit(void **state)
{
	char buf[32];
	unsigned int bit;

	(void)state;
	for (bit = 0; bit < 64; bit++) {
		virtio_feature_format(bit, buf, sizeof(buf));
		assert_int_equal(virtio_feature_lookup(buf), (int)bit);
	}
	assert_int_equal(virtio_feature_lookup("NO_SUCH_FEATURE"), -ENOENT);
	assert_int_equal(virtio_feature_lookup("bit_64"), -ENOENT);
	assert_int_equal(virtio_feature_lookup("bit_"), -ENOENT);
	assert_int_equal(virtio_feature_lookup("bit_3x"), -ENOENT);
	assert_int_equal(virtio_feature_lookup(NULL), -ENOENT);
}

static void test_features_to_json_lists_names_in_bit_order(void **state)
{
	uint64_t f = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_MAC) |
		     VIRTIO_BIT(4) | VIRTIO_BIT(VIRTIO_NET_F_SPEED_DUPLEX);
	json_t *arr = virtio_features_to_json(f);

	(void)state;
	assert_non_null(arr);
	assert_int_equal(json_array_size(arr), 4);
	assert_string_equal(json_string_value(json_array_get(arr, 0)), "bit_4");
	assert_string_equal(json_string_value(json_array_get(arr, 1)), "MAC");
	assert_string_equal(json_string_value(json_array_get(arr, 2)), "VERSION_1");
	assert_string_equal(json_string_value(json_array_get(arr, 3)), "SPEED_DUPLEX");
	json_decref(arr);

	arr = virtio_features_to_json(0);
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
}

static void test_negotiate_is_the_intersection(void **state)
{
	struct virtio_negotiation neg;
	uint64_t offered = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_MAC) |
			   VIRTIO_BIT(VIRTIO_NET_F_STATUS) | VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	uint64_t supported = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_MAC) |
			     VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF);

	(void)state;
	assert_int_equal(virtio_features_negotiate(offered, supported, 0, &neg), 0);
	assert_int_equal(neg.offered, offered);
	assert_int_equal(neg.driver, supported);
	assert_int_equal(neg.negotiated,
			 VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_NET_F_MAC));
	assert_int_equal(neg.dropped, 0);
}

static void test_negotiate_required_missing(void **state)
{
	struct virtio_negotiation neg;
	uint64_t offered = VIRTIO_BIT(VIRTIO_NET_F_MAC);

	(void)state;
	assert_int_equal(virtio_features_negotiate(offered, ~0ULL, VIRTIO_BIT(VIRTIO_F_VERSION_1),
						   &neg),
			 -ENOTSUP);
	/* Still filled, so the caller can say what was missing. */
	assert_int_equal(neg.negotiated, VIRTIO_BIT(VIRTIO_NET_F_MAC));
}

/* 5.1.3.1: dependent bits go when what they need is absent, transitively. */
static void test_negotiate_drops_unmet_dependencies(void **state)
{
	struct virtio_negotiation neg;
	uint64_t offered = VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4) | VIRTIO_BIT(VIRTIO_NET_F_HOST_ECN) |
			   VIRTIO_BIT(VIRTIO_NET_F_CTRL_RX) | VIRTIO_BIT(VIRTIO_NET_F_CTRL_RX_EXTRA) |
			   VIRTIO_BIT(VIRTIO_NET_F_MQ) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) |
			   VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_CSUM) |
			   VIRTIO_BIT(VIRTIO_NET_F_CTRL_VQ);
	/* The driver does not take CSUM or CTRL_VQ. */
	uint64_t supported = offered & ~(VIRTIO_BIT(VIRTIO_NET_F_CSUM) |
					 VIRTIO_BIT(VIRTIO_NET_F_CTRL_VQ));

	(void)state;
	assert_int_equal(virtio_features_negotiate(offered, supported, 0, &neg), 0);
	/* HOST_TSO4 needs CSUM, HOST_ECN then loses HOST_TSO4; CTRL_* and MQ need CTRL_VQ. */
	assert_int_equal(neg.negotiated,
			 VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM));
	assert_int_equal(neg.dropped,
			 VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4) | VIRTIO_BIT(VIRTIO_NET_F_HOST_ECN) |
				 VIRTIO_BIT(VIRTIO_NET_F_CTRL_RX) |
				 VIRTIO_BIT(VIRTIO_NET_F_CTRL_RX_EXTRA) |
				 VIRTIO_BIT(VIRTIO_NET_F_MQ));
}

static void test_negotiate_dependency_satisfied_by_either(void **state)
{
	struct virtio_negotiation neg;
	uint64_t offered = VIRTIO_BIT(VIRTIO_NET_F_GUEST_ECN) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6) |
			   VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM);

	(void)state;
	assert_int_equal(virtio_features_negotiate(offered, offered, 0, &neg), 0);
	assert_int_equal(neg.negotiated, offered);
	assert_int_equal(neg.dropped, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_of_known_bits),
		cmocka_unit_test(test_format_falls_back_to_bit_n),
		cmocka_unit_test(test_lookup_round_trips_every_bit),
		cmocka_unit_test(test_features_to_json_lists_names_in_bit_order),
		cmocka_unit_test(test_negotiate_is_the_intersection),
		cmocka_unit_test(test_negotiate_required_missing),
		cmocka_unit_test(test_negotiate_drops_unmet_dependencies),
		cmocka_unit_test(test_negotiate_dependency_satisfied_by_either),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
