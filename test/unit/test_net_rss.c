/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RSS_CONFIG: the command's bytes as the spec lays them out, and the
 * checks against the limits a device gives in its configuration space.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <vpmd/virtio_net_rss.h>
#include <vpmd/virtio_spec.h>

/* QEMU 7.2's software RSS: 40-byte key, 128 entries, every hash type. */
static const struct virtio_net_rss_limits qemu = {
	.max_key_len = 40,
	.max_reta_len = 128,
	.hash_types = VIRTIO_NET_RSS_HASH_TYPES_ALL,
	.max_queue_pairs = 2,
};

static struct virtio_net_rss two_queues(void)
{
	struct virtio_net_rss rss = {
		.hash_types = VIRTIO_NET_RSS_HASH_TYPE_IPV4 | VIRTIO_NET_RSS_HASH_TYPE_TCPV4,
		.max_tx_vq = 2,
		.key_len = 4,
		.key = { 0x6d, 0x5a, 0x56, 0xda },
	};

	virtio_net_rss_reta_spread(&rss, 4, 2);
	return rss;
}

static void test_layout(void **state)
{
	struct virtio_net_rss rss = two_queues();
	static const uint8_t want[] = {
		0x03, 0x00, 0x00, 0x00, /* hash_types */
		0x03, 0x00,             /* indirection_table_mask: 4 - 1 */
		0x00, 0x00,             /* unclassified_queue */
		0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, /* table: 0 1 0 1 */
		0x02, 0x00,             /* max_tx_vq */
		0x04,                   /* hash_key_length */
		0x6d, 0x5a, 0x56, 0xda,
	};
	uint8_t buf[64];

	(void)state;
	assert_int_equal(virtio_net_rss_encode(&rss, buf, sizeof(buf)), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(virtio_net_rss_check(&rss, &qemu), 0);
}

static void test_full_table_fits_a_command(void **state)
{
	struct virtio_net_rss rss = two_queues();
	uint8_t buf[512];

	(void)state;
	virtio_net_rss_reta_spread(&rss, VIRTIO_NET_RSS_RETA_MAX, 2);
	rss.key_len = VIRTIO_NET_RSS_KEY_MAX;
	assert_int_equal(virtio_net_rss_encode(&rss, buf, sizeof(buf)),
			 4 + 2 + 2 + 2 * 128 + 2 + 1 + 40);
	assert_int_equal(virtio_net_rss_encode(&rss, buf, 100), -ENOSPC);
}

static void test_refusals(void **state)
{
	struct virtio_net_rss rss;
	struct virtio_net_rss_limits small = qemu;
	uint8_t buf[64];

	(void)state;
	rss = two_queues();
	rss.reta_len = 3; /* not a power of two */
	assert_int_equal(virtio_net_rss_check(&rss, &qemu), -EINVAL);
	assert_int_equal(virtio_net_rss_encode(&rss, buf, sizeof(buf)), -EINVAL);

	rss = two_queues();
	rss.reta[2] = 2; /* a queue not in use */
	assert_int_equal(virtio_net_rss_check(&rss, &qemu), -EINVAL);

	rss = two_queues();
	rss.unclassified_queue = 2;
	assert_int_equal(virtio_net_rss_check(&rss, &qemu), -EINVAL);

	rss = two_queues();
	rss.max_tx_vq = 3; /* more pairs than the device has */
	assert_int_equal(virtio_net_rss_check(&rss, &qemu), -EINVAL);

	rss = two_queues();
	small.hash_types = VIRTIO_NET_RSS_HASH_TYPE_IPV4;
	assert_int_equal(virtio_net_rss_check(&rss, &small), -EINVAL);

	rss = two_queues();
	small = qemu;
	small.max_key_len = 2;
	assert_int_equal(virtio_net_rss_check(&rss, &small), -EINVAL);

	rss = two_queues();
	small = qemu;
	small.max_reta_len = 2;
	assert_int_equal(virtio_net_rss_check(&rss, &small), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_full_table_fits_a_command),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
