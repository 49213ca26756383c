/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio_net_config_read() against a tiny model transport: which fields
 * are read (only those with their feature), at what width, and the
 * configuration-generation retry loop (2.5.1).
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
#include <vpmd/virtio_net_config.h>
#include <vpmd/virtio_spec.h>

#define MAX_READS 64

struct cfg_model {
	struct virtio_net_config cfg; /* little-endian host: as on the wire */
	uint8_t generation;
	unsigned int gen_reads;
	unsigned int bump_at;  /* bump the generation (and the MTU) at this generation read; 0 never */
	bool bump_always;      /* bump at every generation read */
	int fail_read;         /* errno for read_config */
	uint32_t offsets[MAX_READS];
	uint32_t lens[MAX_READS];
	unsigned int n_reads;
};

static int m_read_config(struct virtio_dev *dev, uint32_t offset, void *buf, uint32_t len)
{
	struct cfg_model *m = dev->transport;

	if (m->fail_read)
		return -m->fail_read;
	if (m->n_reads < MAX_READS) {
		m->offsets[m->n_reads] = offset;
		m->lens[m->n_reads] = len;
	}
	m->n_reads++;
	if ((uint64_t)offset + len > sizeof(m->cfg))
		return -EINVAL;
	memcpy(buf, (uint8_t *)&m->cfg + offset, len);
	return 0;
}

static int m_generation(struct virtio_dev *dev, uint8_t *gen)
{
	struct cfg_model *m = dev->transport;

	m->gen_reads++;
	if (m->bump_always || m->gen_reads == m->bump_at) {
		m->generation++;
		m->cfg.mtu = 9000;
	}
	*gen = m->generation;
	return 0;
}

static int m_get_status(struct virtio_dev *dev, uint8_t *status)
{
	(void)dev;
	*status = 0;
	return 0;
}

static int m_set_status(struct virtio_dev *dev, uint8_t status)
{
	(void)dev;
	(void)status;
	return 0;
}

static int m_get_features(struct virtio_dev *dev, uint64_t *features)
{
	(void)dev;
	*features = 0;
	return 0;
}

static int m_set_features(struct virtio_dev *dev, uint64_t features)
{
	(void)dev;
	(void)features;
	return 0;
}

static const struct virtio_transport_ops model_ops = {
	.name = "cfg-model",
	.read_config = m_read_config,
	.get_status = m_get_status,
	.set_status = m_set_status,
	.get_features = m_get_features,
	.set_features = m_set_features,
	.config_generation = m_generation,
};

struct fixture {
	struct cfg_model m;
	struct virtio_transport_ops ops;
	struct virtio_dev dev;
	struct virtio_net_dev_config out;
};

#define ALL_FIELDS (VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_STATUS) | \
		    VIRTIO_BIT(VIRTIO_NET_F_MQ) | VIRTIO_BIT(VIRTIO_NET_F_MTU) |     \
		    VIRTIO_BIT(VIRTIO_NET_F_SPEED_DUPLEX) | VIRTIO_BIT(VIRTIO_NET_F_RSS))
/* Reads one pass of ALL_FIELDS makes: 6 MAC bytes + 8 fields. */
#define ALL_FIELDS_READS 14

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	static const uint8_t mac[6] = { 0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc };

	if (f == NULL)
		return -1;
	memcpy(f->m.cfg.mac, mac, sizeof(mac));
	f->m.cfg.status = VIRTIO_NET_S_LINK_UP;
	f->m.cfg.max_virtqueue_pairs = 4;
	f->m.cfg.mtu = 1500;
	f->m.cfg.speed = 10000;
	f->m.cfg.duplex = 1;
	f->m.cfg.rss_max_key_size = 40;
	f->m.cfg.rss_max_indirection_table_length = 128;
	f->m.cfg.supported_hash_types = 0x3f;
	f->ops = model_ops;
	if (virtio_dev_init(&f->dev, &f->ops, &f->m, "cfg0", true) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void test_defaults_without_features(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(virtio_net_config_read(&f->dev, 0, &f->out), 0);
	assert_int_equal(f->m.n_reads, 0);
	assert_false(f->out.has_mac);
	assert_false(f->out.has_status);
	assert_true(f->out.link_up); /* 5.1.4.2: assume the link is up */
	assert_int_equal(f->out.max_queue_pairs, 1);
	assert_int_equal(f->out.mtu, 0);
	assert_false(f->out.has_speed_duplex);
	assert_int_equal(f->out.duplex, -1);
	assert_int_equal(f->out.supported_hash_types, 0);
}

static void test_all_fields_natural_widths(void **state)
{
	static const struct {
		uint32_t off, len;
	} want[ALL_FIELDS_READS] = {
		{ 0, 1 }, { 1, 1 }, { 2, 1 }, { 3, 1 }, { 4, 1 }, { 5, 1 }, /* mac */
		{ 6, 2 },  /* status */
		{ 8, 2 },  /* max_virtqueue_pairs */
		{ 10, 2 }, /* mtu */
		{ 12, 4 }, /* speed */
		{ 16, 1 }, /* duplex */
		{ 17, 1 }, /* rss_max_key_size */
		{ 18, 2 }, /* rss_max_indirection_table_length */
		{ 20, 4 }, /* supported_hash_types */
	};
	struct fixture *f = *state;
	unsigned int i;

	assert_int_equal(virtio_net_config_read(&f->dev, ALL_FIELDS, &f->out), 0);
	assert_int_equal(f->m.n_reads, ALL_FIELDS_READS);
	for (i = 0; i < ALL_FIELDS_READS; i++) {
		assert_int_equal(f->m.offsets[i], want[i].off);
		assert_int_equal(f->m.lens[i], want[i].len);
	}
	assert_true(f->out.has_mac);
	assert_memory_equal(f->out.mac, f->m.cfg.mac, 6);
	assert_true(f->out.has_status);
	assert_true(f->out.link_up);
	assert_int_equal(f->out.max_queue_pairs, 4);
	assert_int_equal(f->out.mtu, 1500);
	assert_true(f->out.has_speed_duplex);
	assert_int_equal(f->out.speed_mbps, 10000);
	assert_int_equal(f->out.duplex, 1);
	assert_int_equal(f->out.rss_max_key_size, 40);
	assert_int_equal(f->out.rss_max_reta_len, 128);
	assert_int_equal(f->out.supported_hash_types, 0x3f);
	/* One pass, bracketed by two generation reads. */
	assert_int_equal(f->m.gen_reads, 2);
}

static void test_fields_without_their_bit_are_not_read(void **state)
{
	struct fixture *f = *state;
	unsigned int i;

	assert_int_equal(virtio_net_config_read(&f->dev, VIRTIO_BIT(VIRTIO_NET_F_MAC), &f->out), 0);
	assert_int_equal(f->m.n_reads, 6);
	for (i = 0; i < 6; i++)
		assert_true(f->m.offsets[i] < 6);
	assert_int_equal(f->out.mtu, 0);
	assert_int_equal(f->out.max_queue_pairs, 1);
	assert_false(f->out.has_status);
}

static void test_hash_report_reads_only_hash_types(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(virtio_net_config_read(&f->dev, VIRTIO_BIT(VIRTIO_NET_F_HASH_REPORT),
						&f->out),
			 0);
	assert_int_equal(f->m.n_reads, 1);
	assert_int_equal(f->m.offsets[0], offsetof(struct virtio_net_config, supported_hash_types));
	assert_int_equal(f->out.supported_hash_types, 0x3f);
	assert_int_equal(f->out.rss_max_key_size, 0);
}

static void test_link_down_and_unknown_speed(void **state)
{
	struct fixture *f = *state;

	f->m.cfg.status = VIRTIO_NET_S_ANNOUNCE;
	f->m.cfg.speed = 0xffffffff;
	f->m.cfg.duplex = 0xff;
	assert_int_equal(virtio_net_config_read(&f->dev, ALL_FIELDS, &f->out), 0);
	assert_true(f->out.has_status);
	assert_false(f->out.link_up);
	assert_true(f->out.has_speed_duplex);
	assert_int_equal(f->out.speed_mbps, 0);
	assert_int_equal(f->out.duplex, -1);

	f->m.cfg.duplex = 0;
	assert_int_equal(virtio_net_config_read(&f->dev, ALL_FIELDS, &f->out), 0);
	assert_int_equal(f->out.duplex, 0);
}

static void test_generation_change_rereads(void **state)
{
	struct fixture *f = *state;

	/* The second generation read (after the first pass) sees a change. */
	f->m.bump_at = 2;
	assert_int_equal(virtio_net_config_read(&f->dev, ALL_FIELDS, &f->out), 0);
	assert_int_equal(f->m.n_reads, 2 * ALL_FIELDS_READS);
	assert_int_equal(f->m.gen_reads, 4);
	/* The values of the settled pass. */
	assert_int_equal(f->out.mtu, 9000);
}

static void test_generation_never_settles(void **state)
{
	struct fixture *f = *state;

	f->m.bump_always = true;
	assert_int_equal(virtio_net_config_read(&f->dev, ALL_FIELDS, &f->out), -EAGAIN);
	assert_int_equal(f->m.n_reads, 8 * ALL_FIELDS_READS);
	assert_false(f->out.has_mac);
	assert_int_equal(f->out.mtu, 0);
}

static void test_without_generation_one_pass(void **state)
{
	struct fixture *f = *state;

	f->ops.config_generation = NULL;
	assert_int_equal(virtio_net_config_read(&f->dev, ALL_FIELDS, &f->out), 0);
	assert_int_equal(f->m.n_reads, ALL_FIELDS_READS);
	assert_int_equal(f->m.gen_reads, 0);
}

static void test_without_read_config(void **state)
{
	struct fixture *f = *state;

	f->ops.read_config = NULL;
	assert_int_equal(virtio_net_config_read(&f->dev, ALL_FIELDS, &f->out), -ENOTSUP);
	assert_int_equal(f->out.max_queue_pairs, 1);
	assert_true(f->out.link_up);
	assert_int_equal(f->out.duplex, -1);
}

static void test_queue_pairs_out_of_range(void **state)
{
	struct fixture *f = *state;

	f->m.cfg.max_virtqueue_pairs = 0;
	assert_int_equal(virtio_net_config_read(&f->dev, ALL_FIELDS, &f->out), -EINVAL);
	f->m.cfg.max_virtqueue_pairs = 0x8001;
	assert_int_equal(virtio_net_config_read(&f->dev, ALL_FIELDS, &f->out), -EINVAL);
	f->m.cfg.max_virtqueue_pairs = 0x8000;
	assert_int_equal(virtio_net_config_read(&f->dev, ALL_FIELDS, &f->out), 0);
	assert_int_equal(f->out.max_queue_pairs, 0x8000);
}

static void test_transport_error_passed_up(void **state)
{
	struct fixture *f = *state;

	f->m.fail_read = EIO;
	assert_int_equal(virtio_net_config_read(&f->dev, ALL_FIELDS, &f->out), -EIO);
	assert_false(f->out.has_mac);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_defaults_without_features),
		T(test_all_fields_natural_widths),
		T(test_fields_without_their_bit_are_not_read),
		T(test_hash_report_reads_only_hash_types),
		T(test_link_down_and_unknown_speed),
		T(test_generation_change_rereads),
		T(test_generation_never_settles),
		T(test_without_generation_one_pass),
		T(test_without_read_config),
		T(test_queue_pairs_out_of_range),
		T(test_transport_error_passed_up),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
