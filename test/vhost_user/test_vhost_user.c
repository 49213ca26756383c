/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the vhost-user frontend against a scripted fake backend
 * (fake_backend.c): the bytes of every message, the fds that travel with
 * them, and every way a reply can be wrong. Each test has its own socket
 * path and fake; the teardown checks that no fd was leaked.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <vpmd/vhost_user.h>
#include <vpmd/virtio_dev.h>
#include <vpmd/virtio_spec.h>
#include <vpmd/virtqueue.h>

#include "fake_backend.h"
#include "guest_mem.h"

#define BIT(b) (1ULL << (b))
#define PROTO(b) BIT(VHOST_USER_PROTOCOL_F_##b)
#define MEM_SIZE (1u << 20)

struct fault_case {
	enum fake_fault fault;
	uint32_t request;
	int expect;
};

struct fx {
	char dir[64];
	char path[108];
	int fds_before;
	struct fake_backend fb;
	bool fb_started;
	struct vhost_user_config cfg;
	struct vhost_user *vu;
	struct virtio_dev dev;
	struct guest_mem gm;
	struct virtqueue *vq;
	const struct fault_case *fc;
};

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx->fc = *state; /* prestate, for the bad-reply cases */
	fx->gm = GUEST_MEM_NONE;
	fx->fds_before = count_fds();
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/vpmd-vu-unit-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/vu.sock", fx->dir);

	fake_init(&fx->fb, fx->path);
	fx->fb.features = BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MAC) |
			  BIT(VHOST_USER_F_PROTOCOL_FEATURES) | BIT(VHOST_F_LOG_ALL);
	fx->fb.protocol_features = PROTO(MQ) | PROTO(REPLY_ACK) | PROTO(STATUS);
	fx->fb.queue_num = 1;

	vhost_user_config_init(&fx->cfg);
	fx->cfg.path = fx->path;
	fx->cfg.reply_timeout_ms = 300;
	fx->cfg.connect_timeout_ms = 1000;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	vq_destroy(fx->vq);
	vhost_user_destroy(fx->vu);
	if (fx->fb_started) {
		fake_stop(&fx->fb);
		assert_int_equal(fx->fb.error, 0);
	}
	guest_mem_unmap(&fx->gm);
	unlink(fx->path);
	assert_int_equal(rmdir(fx->dir), 0);
	free(fx);
	return 0;
}

/* Sockets, eventfds, received fds, the copies of the memfd: all must be gone. */
static int teardown_checked(void **state)
{
	struct fx *fx = *state;
	int before = fx->fds_before;

	teardown(state);
	assert_int_equal(count_fds(), before);
	return 0;
}

static void start_fake(struct fx *fx)
{
	assert_int_equal(fake_start(&fx->fb), 0);
	fx->fb_started = true;
}

static int create_and_connect(struct fx *fx)
{
	assert_int_equal(vhost_user_create(&fx->cfg, &fx->vu), 0);
	fx->dev.ops = &vhost_user_ops;
	fx->dev.transport = fx->vu;
	snprintf(fx->dev.name, sizeof(fx->dev.name), "vu-test");
	return vhost_user_connect(fx->vu);
}

static void start(struct fx *fx)
{
	start_fake(fx);
	assert_int_equal(create_and_connect(fx), 0);
}

/*
 * The fake has received exactly @n messages. Those without a reply may
 * still be in flight: wait for them, then a little longer for any extra.
 */
static void expect_count(struct fx *fx, unsigned int n)
{
	int64_t t0 = now_ms();

	while (fake_count(&fx->fb) < n && now_ms() - t0 < 1000)
		usleep(1000);
	usleep(20000);
	assert_int_equal(fake_count(&fx->fb), n);
}

/* Compare log entry @i with a header and payload, byte for byte. */
static void expect_msg(struct fx *fx, unsigned int i, uint32_t request, uint32_t flags,
		       const void *payload, uint32_t size, unsigned int nfds)
{
	uint8_t want[sizeof(struct vu_hdr) + FAKE_MAX_PAYLOAD];
	struct fake_msg m;
	int64_t t0 = now_ms();

	/* A message without a reply may still be on its way to the fake. */
	while (fake_count(&fx->fb) <= i && now_ms() - t0 < 1000)
		usleep(1000);
	assert_int_equal(fake_get_msg(&fx->fb, i, &m), 0);
	put32(want, request);
	put32(want + 4, flags);
	put32(want + 8, size);
	if (size)
		memcpy(want + 12, payload, size);
	if (m.len != 12 + size || memcmp(m.raw, want, m.len) != 0) {
		print_error("message %u: got request %u size %zu, want %s (%u) size %u\n", i,
			    fake_request(&fx->fb, i), m.len - 12,
			    vhost_user_request_name(request), request, size);
		fail();
	}
	assert_int_equal(m.nfds, nfds);
}

static void expect_u64_msg(struct fx *fx, unsigned int i, uint32_t request, uint32_t flags,
			   uint64_t value)
{
	uint8_t p[8];

	put64(p, value);
	expect_msg(fx, i, request, flags, p, 8, 0);
}

static void expect_state_msg(struct fx *fx, unsigned int i, uint32_t request, uint32_t flags,
			     uint32_t index, uint32_t num)
{
	uint8_t p[8];

	put32(p, index);
	put32(p + 4, num);
	expect_msg(fx, i, request, flags, p, 8, 0);
}

#define V 0x1u       /* version 1 */
#define VN (0x1u | 0x8u) /* version 1, NEED_REPLY */

/* GET_FEATURES, GET/SET_PROTOCOL_FEATURES, GET_QUEUE_NUM, SET_OWNER. */
static void test_handshake_bytes(void **state)
{
	struct fx *fx = *state;

	fx->fb.protocol_features |= PROTO(CONFIG) | PROTO(BACKEND_REQ) | PROTO(LOG_SHMFD);
	fx->fb.queue_num = 2;
	start(fx);

	expect_count(fx, 5);
	expect_msg(fx, 0, 1, V, NULL, 0, 0);
	expect_msg(fx, 1, 15, V, NULL, 0, 0);
	/* Only what we implement, and no NEED_REPLY on the message that negotiates it. */
	expect_u64_msg(fx, 2, 16, V, PROTO(MQ) | PROTO(REPLY_ACK) | PROTO(STATUS) | PROTO(CONFIG));
	expect_msg(fx, 3, 17, V, NULL, 0, 0);
	expect_msg(fx, 4, 3, VN, NULL, 0, 0);

	assert_true(vhost_user_is_connected(fx->vu));
	assert_int_equal(vhost_user_queue_num(fx->vu), 2);
	assert_true(vhost_user_protocol_features(fx->vu) ==
		    (PROTO(MQ) | PROTO(REPLY_ACK) | PROTO(STATUS) | PROTO(CONFIG)));
	assert_true(vhost_user_protocol_features_offered(fx->vu) == fx->fb.protocol_features);
	assert_true(vhost_user_backend_features(fx->vu) == fx->fb.features);
}

static void test_handshake_no_protocol_features(void **state)
{
	struct fx *fx = *state;
	uint8_t status;
	uint16_t max;

	fx->fb.features = BIT(VIRTIO_F_VERSION_1);
	start(fx);

	expect_count(fx, 2);
	expect_msg(fx, 0, 1, V, NULL, 0, 0);
	expect_msg(fx, 1, 3, V, NULL, 0, 0);
	assert_int_equal(vhost_user_queue_num(fx->vu), 1);
	assert_true(vhost_user_protocol_features(fx->vu) == 0);

	/* No STATUS: the status is ours, nothing goes on the wire. */
	assert_int_equal(vhost_user_ops.set_status(&fx->dev, VIRTIO_STATUS_ACKNOWLEDGE), 0);
	assert_int_equal(vhost_user_ops.get_status(&fx->dev, &status), 0);
	assert_int_equal(status, VIRTIO_STATUS_ACKNOWLEDGE);
	expect_count(fx, 2);

	/* One queue pair: queues 0 and 1. */
	assert_int_equal(vhost_user_ops.get_queue_max(&fx->dev, 1, &max), 0);
	assert_int_equal(max, 1024);
	assert_int_equal(vhost_user_ops.get_queue_max(&fx->dev, 2, &max), 0);
	assert_int_equal(max, 0);

	/* And no bit 30 in SET_FEATURES. */
	assert_int_equal(vhost_user_ops.set_features(&fx->dev, BIT(VIRTIO_F_VERSION_1)), 0);
	expect_u64_msg(fx, 2, 2, V, BIT(VIRTIO_F_VERSION_1));
}

static void test_features_hide_vhost_bits(void **state)
{
	struct fx *fx = *state;
	uint64_t features;

	start(fx);
	assert_int_equal(vhost_user_ops.get_features(&fx->dev, &features), 0);
	assert_true(features == (BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MAC)));
	expect_msg(fx, 5, 1, V, NULL, 0, 0);

	assert_int_equal(vhost_user_ops.set_features(&fx->dev, BIT(VIRTIO_F_VERSION_1)), 0);
	expect_u64_msg(fx, 6, 2, VN, BIT(VIRTIO_F_VERSION_1) | BIT(VHOST_USER_F_PROTOCOL_FEATURES));

	/* The vhost bits are not the core's to ask for. */
	assert_int_equal(vhost_user_ops.set_features(&fx->dev, BIT(VHOST_USER_F_PROTOCOL_FEATURES)),
			 -EINVAL);
	expect_count(fx, 7);
}

static void test_status_remote(void **state)
{
	struct fx *fx = *state;
	uint8_t status = 0;

	start(fx);
	assert_int_equal(vhost_user_ops.set_status(&fx->dev, VIRTIO_STATUS_ACKNOWLEDGE |
								   VIRTIO_STATUS_DRIVER),
			 0);
	expect_u64_msg(fx, 5, 39, VN, 3);
	assert_int_equal(vhost_user_ops.get_status(&fx->dev, &status), 0);
	expect_msg(fx, 6, 40, V, NULL, 0, 0);
	assert_int_equal(status, 3);
}

static void map_memory(struct fx *fx)
{
	guest_mem_map(&fx->gm, "vu-unit", MEM_SIZE);
}

static void set_regions(struct fx *fx)
{
	guest_mem_register(&fx->gm, fx->vu);
}

static void make_vq(struct fx *fx, enum vq_layout layout, uint16_t index)
{
	struct vq_config c = {
		.layout = layout,
		.size = 8,
		.index = index,
		.features = BIT(VIRTIO_F_VERSION_1),
	};
	size_t need = vq_ring_mem_size(&c);

	assert_true(need > 0 && need < MEM_SIZE);
	assert_int_equal(vq_create(&c, fx->gm.base, (uint64_t)(uintptr_t)fx->gm.base, &fx->vq), 0);
}

static void expect_eventfd(struct fx *fx, unsigned int i)
{
	struct fake_msg m;

	assert_int_equal(fake_get_msg(&fx->fb, i, &m), 0);
	assert_int_equal(m.nfds, 1);
	assert_string_equal(m.fd_link[0], "anon_inode:[eventfd]");
}

static void test_setup_teardown_split(void **state)
{
	struct fx *fx = *state;
	struct fake_msg m;
	struct stat st;
	uint8_t p[40];
	uint32_t base;
	uint64_t kicks;
	int kick;

	fx->fb.vring_base_reply = 42;
	start(fx);
	map_memory(fx);
	set_regions(fx);
	make_vq(fx, VQ_LAYOUT_SPLIT, 1);

	assert_int_equal(vhost_user_ops.setup_queue(&fx->dev, fx->vq), 0);

	/* SET_MEM_TABLE: nregions, padding, one region, and our memfd as SCM_RIGHTS. */
	memset(p, 0, sizeof(p));
	put32(p, 1);
	put64(p + 8, (uint64_t)(uintptr_t)fx->gm.base);
	put64(p + 16, MEM_SIZE);
	put64(p + 24, (uint64_t)(uintptr_t)fx->gm.base);
	put64(p + 32, 0);
	assert_int_equal(fake_get_msg(&fx->fb, 5, &m), 0);
	assert_int_equal(m.nfds, 1);
	expect_msg(fx, 5, 5, VN, p, 40, 1);
	assert_int_equal(fstat(fx->gm.fd, &st), 0);
	assert_true(m.fd_ino[0] == st.st_ino && m.fd_dev[0] == st.st_dev);

	expect_state_msg(fx, 6, 8, VN, 1, 8);
	expect_state_msg(fx, 7, 10, VN, 1, 0);
	{
		struct vq_ring_addrs ring;

		vq_ring_addrs(fx->vq, &ring);
		memset(p, 0, sizeof(p));
		put32(p, 1);
		put64(p + 8, (uint64_t)(uintptr_t)ring.desc);
		put64(p + 16, (uint64_t)(uintptr_t)ring.device_area);
		put64(p + 24, (uint64_t)(uintptr_t)ring.driver_area);
		expect_msg(fx, 8, 9, VN, p, 40, 0);
	}
	put64(p, 1);
	expect_msg(fx, 9, 12, VN, p, 8, 1);
	expect_msg(fx, 10, 13, VN, p, 8, 1);
	expect_eventfd(fx, 9);
	expect_eventfd(fx, 10);
	expect_state_msg(fx, 11, 18, VN, 1, 1);
	expect_count(fx, 12);

	/* A kick is a write of 1 to the eventfd the backend got. */
	assert_int_equal(vhost_user_ops.notify_queue(&fx->dev, 1), 0);
	assert_int_equal(vhost_user_ops.notify_queue(&fx->dev, 1), 0);
	kick = fx->fb.kick_fd[1];
	assert_true(kick >= 0);
	assert_int_equal(read(kick, &kicks, sizeof(kicks)), sizeof(kicks));
	assert_true(kicks == 2);
	assert_int_equal(vhost_user_ops.notify_queue(&fx->dev, 0), -ENOTCONN);

	/* Already set up. */
	assert_int_equal(vhost_user_ops.setup_queue(&fx->dev, fx->vq), -EBUSY);
	assert_int_equal(vhost_user_get_vring_base(fx->vu, 1, &base), -ENOENT);

	assert_int_equal(vhost_user_ops.teardown_queue(&fx->dev, fx->vq), 0);
	expect_state_msg(fx, 12, 18, VN, 1, 0);
	expect_state_msg(fx, 13, 11, V, 1, 0);
	assert_int_equal(vhost_user_get_vring_base(fx->vu, 1, &base), 0);
	assert_int_equal(base, 42);
	/* Torn down: no kick, and a second teardown is a no-op. */
	assert_int_equal(vhost_user_ops.notify_queue(&fx->dev, 1), -ENOTCONN);
	assert_int_equal(vhost_user_ops.teardown_queue(&fx->dev, fx->vq), 0);
	expect_count(fx, 14);

	/* Set up again: the memory table is not sent twice. */
	assert_int_equal(vhost_user_ops.setup_queue(&fx->dev, fx->vq), 0);
	assert_int_equal(fake_request(&fx->fb, 14), 8);
	assert_int_equal(vhost_user_set_mem_regions(fx->vu, &(struct vhost_user_mem_region){
		.fd = fx->gm.fd, .size = MEM_SIZE }, 1), -EBUSY);
}

static void test_setup_packed_base(void **state)
{
	struct fx *fx = *state;

	start(fx);
	map_memory(fx);
	set_regions(fx);
	make_vq(fx, VQ_LAYOUT_PACKED, 0);
	assert_int_equal(vhost_user_ops.setup_queue(&fx->dev, fx->vq), 0);
	/* A new packed ring starts at slot 0 with both wrap counters 1. */
	expect_state_msg(fx, 7, 10, VN, 0, 0x80008000u);
}

static void test_setup_without_regions(void **state)
{
	struct fx *fx = *state;

	start(fx);
	map_memory(fx);
	make_vq(fx, VQ_LAYOUT_SPLIT, 0);
	assert_int_equal(vhost_user_ops.setup_queue(&fx->dev, fx->vq), -EINVAL);
	expect_count(fx, 5);
	/* Index beyond the backend's queues. */
	vq_destroy(fx->vq);
	fx->vq = NULL;
	set_regions(fx);
	make_vq(fx, VQ_LAYOUT_SPLIT, 2);
	assert_int_equal(vhost_user_ops.setup_queue(&fx->dev, fx->vq), -EINVAL);
	assert_true(vhost_user_is_connected(fx->vu));
}

/* A bad reply during the handshake: the right errno, no connection left. */
static void test_bad_reply(void **state)
{
	struct fx *fx = *state;
	int64_t t0;
	int ret;

	fx->fb.fault = fx->fc->fault;
	fx->fb.fault_request = fx->fc->request;
	start_fake(fx);
	t0 = now_ms();
	ret = create_and_connect(fx);
	assert_int_equal(ret, fx->fc->expect);
	assert_false(vhost_user_is_connected(fx->vu));
	/* Never a hang: the worst case is one reply timeout. */
	assert_true(now_ms() - t0 < 2000);
	assert_int_equal(vhost_user_check_connection(fx->vu), -ENOTCONN);
}

static void test_nack_keeps_connection(void **state)
{
	struct fx *fx = *state;

	fx->fb.fault = FAKE_NACK;
	fx->fb.fault_request = 8; /* SET_VRING_NUM */
	start(fx);
	map_memory(fx);
	set_regions(fx);
	make_vq(fx, VQ_LAYOUT_SPLIT, 0);
	assert_int_equal(vhost_user_ops.setup_queue(&fx->dev, fx->vq), -EIO);
	assert_true(vhost_user_is_connected(fx->vu));
	/* The backend refused, but the stream is in step: try again. */
	assert_int_equal(vhost_user_ops.setup_queue(&fx->dev, fx->vq), 0);
}

static void test_vring_base_bad_index(void **state)
{
	struct fx *fx = *state;
	uint32_t base;

	fx->fb.fault = FAKE_BAD_INDEX;
	fx->fb.fault_request = 11; /* GET_VRING_BASE */
	start(fx);
	map_memory(fx);
	set_regions(fx);
	make_vq(fx, VQ_LAYOUT_SPLIT, 0);
	assert_int_equal(vhost_user_ops.setup_queue(&fx->dev, fx->vq), 0);
	assert_int_equal(vhost_user_ops.teardown_queue(&fx->dev, fx->vq), -EPROTO);
	assert_false(vhost_user_is_connected(fx->vu));
	assert_int_equal(vhost_user_get_vring_base(fx->vu, 0, &base), -ENOENT);
}

static void test_timeout(void **state)
{
	struct fx *fx = *state;
	uint8_t status;
	int64_t t0, dt;

	fx->fb.fault = FAKE_SILENT;
	fx->fb.fault_request = 40; /* GET_STATUS */
	fx->cfg.reply_timeout_ms = 200;
	start(fx);
	t0 = now_ms();
	assert_int_equal(vhost_user_ops.get_status(&fx->dev, &status), -ETIMEDOUT);
	dt = now_ms() - t0;
	assert_true(dt >= 190 && dt < 1500);
	assert_false(vhost_user_is_connected(fx->vu));
	assert_int_equal(vhost_user_ops.get_status(&fx->dev, &status), -ENOTCONN);
	assert_int_equal(vhost_user_ops.set_features(&fx->dev, 0), -ENOTCONN);
}

static int wait_hangup(struct vhost_user *vu)
{
	int64_t t0 = now_ms();
	int ret;

	while ((ret = vhost_user_check_connection(vu)) == 0 && now_ms() - t0 < 2000)
		usleep(5000);
	return ret;
}

static void test_hangup_and_reconnect(void **state)
{
	struct fx *fx = *state;

	fx->fb.close_after = 5; /* hang up after the handshake */
	fx->fb.max_conns = 2;
	start(fx);
	assert_int_equal(wait_hangup(fx->vu), -ECONNRESET);
	assert_false(vhost_user_is_connected(fx->vu));
	assert_int_equal(vhost_user_check_connection(fx->vu), -ENOTCONN);

	assert_int_equal(vhost_user_reconnect(fx->vu), 0);
	assert_true(vhost_user_is_connected(fx->vu));
	expect_count(fx, 10);
	expect_msg(fx, 5, 1, V, NULL, 0, 0);
	expect_msg(fx, 9, 3, VN, NULL, 0, 0);
	assert_int_equal(vhost_user_connect(fx->vu), -EISCONN);
}

static void test_unsolicited_data(void **state)
{
	struct fx *fx = *state;

	fx->fb.fault = FAKE_UNSOLICITED;
	fx->fb.fault_request = 3; /* after the SET_OWNER ack */
	start(fx);
	assert_int_equal(wait_hangup(fx->vu), -ECONNRESET);
	assert_false(vhost_user_is_connected(fx->vu));
}

static void test_server_mode(void **state)
{
	struct fx *fx = *state;

	fx->fb.listen = false;
	fx->cfg.mode = VHOST_USER_MODE_SERVER;
	start(fx);
	expect_count(fx, 5);
	assert_int_equal(access(fx->path, F_OK), 0);
	vhost_user_destroy(fx->vu);
	fx->vu = NULL;
	/* Destroy removes the socket it listened on. */
	assert_int_equal(access(fx->path, F_OK), -1);
}

static void test_server_accept_timeout(void **state)
{
	struct fx *fx = *state;
	int64_t t0 = now_ms();

	fx->cfg.mode = VHOST_USER_MODE_SERVER;
	fx->cfg.connect_timeout_ms = 100;
	assert_int_equal(create_and_connect(fx), -ETIMEDOUT);
	assert_true(now_ms() - t0 >= 90);
}

/*
 * Server mode with a dead connection queued before a live one (a backend
 * that reconnects in a loop, then dies, leaves one): the dead one fails the
 * handshake as a closed peer, and the next is taken within the same wait.
 */
static void test_server_skips_dead_connection(void **state)
{
	struct fx *fx = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int dead;

	fx->fb.listen = false;
	fx->cfg.mode = VHOST_USER_MODE_SERVER;
	fx->cfg.connect_timeout_ms = 50;
	/* Listening, nobody there yet. */
	assert_int_equal(create_and_connect(fx), -ETIMEDOUT);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", fx->path);
	dead = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(dead >= 0);
	assert_int_equal(connect(dead, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(dead);
	start_fake(fx);
	assert_int_equal(vhost_user_set_connect_timeout(fx->vu, 2000), 0);
	assert_int_equal(vhost_user_connect(fx->vu), 0);
	assert_true(vhost_user_is_connected(fx->vu));
	expect_count(fx, 5);
}

static void test_client_no_backend(void **state)
{
	struct fx *fx = *state;
	int64_t t0 = now_ms();

	fx->cfg.connect_timeout_ms = 100;
	assert_int_equal(create_and_connect(fx), -ENOENT);
	assert_true(now_ms() - t0 >= 90);
}

static void test_bad_config(void **state)
{
	struct fx *fx = *state;
	struct vhost_user_config c = fx->cfg;
	char longpath[200];

	c.path = NULL;
	assert_int_equal(vhost_user_create(&c, &fx->vu), -EINVAL);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	c.path = longpath;
	assert_int_equal(vhost_user_create(&c, &fx->vu), -ENAMETOOLONG);
	c.path = fx->path;
	c.reply_timeout_ms = 0;
	assert_int_equal(vhost_user_create(&c, &fx->vu), -EINVAL);
	assert_null(fx->vu);

	/* At most 8 regions, each with an fd and a size. */
	{
		struct vhost_user_mem_region r[VHOST_USER_MAX_MEM_REGIONS + 1];

		memset(r, 0, sizeof(r));
		for (int i = 0; i <= VHOST_USER_MAX_MEM_REGIONS; i++) {
			r[i].fd = 0;
			r[i].size = 4096;
		}
		assert_int_equal(vhost_user_create(&fx->cfg, &fx->vu), 0);
		assert_int_equal(vhost_user_set_mem_regions(fx->vu, r, 9), -EINVAL);
		assert_int_equal(vhost_user_set_mem_regions(fx->vu, r, 0), -EINVAL);
		r[0].fd = -1;
		assert_int_equal(vhost_user_set_mem_regions(fx->vu, r, 1), -EINVAL);
		r[0].fd = 0;
		r[0].size = 0;
		assert_int_equal(vhost_user_set_mem_regions(fx->vu, r, 1), -EINVAL);
		/* Not connected: the ops say so rather than touch a socket. */
		fx->dev.ops = &vhost_user_ops;
		fx->dev.transport = fx->vu;
		assert_int_equal(vhost_user_ops.set_status(&fx->dev, 1), -ENOTCONN);
		assert_int_equal(vhost_user_check_connection(fx->vu), -ENOTCONN);
	}
}

static void test_config_space(void **state)
{
	struct fx *fx = *state;
	uint8_t mac[6], p[12 + 6];

	fx->fb.protocol_features |= PROTO(CONFIG);
	memcpy(fx->fb.config, "\x02\x00\x00\x11\x22\x33", 6);
	start(fx);
	assert_int_equal(vhost_user_ops.read_config(&fx->dev, 0, mac, 6), 0);
	assert_memory_equal(mac, "\x02\x00\x00\x11\x22\x33", 6);
	memset(p, 0, sizeof(p));
	put32(p + 4, 6);
	expect_msg(fx, 5, 24, V, p, sizeof(p), 0);

	assert_int_equal(vhost_user_ops.read_config(&fx->dev, 250, mac, 7), -EINVAL);
	/* SET_CONFIG: offset, size, flags 0, bytes; acked. */
	assert_int_equal(vhost_user_ops.write_config(&fx->dev, 2, "\xaa\xbb", 2), 0);
	memset(p, 0, sizeof(p));
	put32(p, 2);
	put32(p + 4, 2);
	p[12] = 0xaa;
	p[13] = 0xbb;
	expect_msg(fx, 6, 25, VN, p, 14, 0);
}

static void test_config_not_offered(void **state)
{
	struct fx *fx = *state;
	uint8_t mac[6];

	start(fx);
	assert_int_equal(vhost_user_ops.read_config(&fx->dev, 0, mac, 6), -ENOTSUP);
	expect_count(fx, 5);
}

static void test_reset_stops_queues(void **state)
{
	struct fx *fx = *state;

	fx->fb.protocol_features |= PROTO(RESET_DEVICE);
	start(fx);
	map_memory(fx);
	set_regions(fx);
	make_vq(fx, VQ_LAYOUT_SPLIT, 0);
	assert_int_equal(vhost_user_ops.setup_queue(&fx->dev, fx->vq), 0);
	expect_count(fx, 12);
	assert_int_equal(vhost_user_ops.reset(&fx->dev), 0);
	expect_state_msg(fx, 12, 18, VN, 0, 0);
	expect_state_msg(fx, 13, 11, V, 0, 0);
	expect_msg(fx, 14, 34, VN, NULL, 0, 0);
	expect_u64_msg(fx, 15, 39, VN, 0);
	/* The device forgot the memory table: the next setup sends it again. */
	assert_int_equal(vhost_user_ops.setup_queue(&fx->dev, fx->vq), 0);
	assert_int_equal(fake_request(&fx->fb, 16), 5);
}

static void test_reset_owner(void **state)
{
	struct fx *fx = *state;

	start(fx);
	assert_int_equal(vhost_user_reset_owner(fx->vu), 0);
	expect_msg(fx, 5, 4, VN, NULL, 0, 0);
	/* Backends forget the protocol features: the handshake is done again. */
	expect_msg(fx, 6, 1, V, NULL, 0, 0);
	expect_msg(fx, 7, 15, V, NULL, 0, 0);
	expect_u64_msg(fx, 8, 16, V, PROTO(MQ) | PROTO(REPLY_ACK) | PROTO(STATUS));
	expect_msg(fx, 9, 17, V, NULL, 0, 0);
	expect_msg(fx, 10, 3, VN, NULL, 0, 0);
	expect_count(fx, 11);
	assert_true(vhost_user_is_connected(fx->vu));
}

static void test_dump_json(void **state)
{
	struct fx *fx = *state;
	json_t *j;

	start(fx);
	j = vhost_user_ops.dump_json(&fx->dev);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "path")), fx->path);
	assert_string_equal(json_string_value(json_object_get(j, "mode")), "client");
	assert_true(json_is_true(json_object_get(j, "connected")));
	assert_string_equal(json_string_value(json_object_get(j, "backend_features")),
			    "0x0000000144000020");
	assert_string_equal(json_string_value(json_object_get(j, "protocol_features")),
			    "0x0000000000010009");
	assert_int_equal(json_integer_value(json_object_get(j, "queue_num")), 1);
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(j, "protocol_feature_names"), 2)),
			    "STATUS");
	json_decref(j);
}

/* The whole device bring-up through the virtio core. */
static void test_core_bringup(void **state)
{
	struct fx *fx = *state;
	json_t *j;

	start(fx);
	map_memory(fx);
	set_regions(fx);
	assert_int_equal(virtio_dev_init(&fx->dev, &vhost_user_ops, fx->vu, "vu-core", true), 0);
	assert_int_equal(virtio_dev_negotiate(&fx->dev, BIT(VIRTIO_F_VERSION_1),
					      BIT(VIRTIO_F_VERSION_1)),
			 0);
	assert_true(fx->dev.negotiated == BIT(VIRTIO_F_VERSION_1));
	assert_false(fx->dev.offered & BIT(VHOST_USER_F_PROTOCOL_FEATURES));
	make_vq(fx, VQ_LAYOUT_SPLIT, 0);
	assert_int_equal(virtio_dev_setup_queue(&fx->dev, fx->vq), 0);
	assert_int_equal(virtio_dev_driver_ok(&fx->dev), 0);
	assert_true(fx->fb.status & VIRTIO_STATUS_DRIVER_OK);
	j = virtio_dev_to_json(&fx->dev);
	assert_non_null(j);
	json_decref(j);
	assert_int_equal(virtio_dev_teardown_queue(&fx->dev, fx->vq), 0);
}

static const struct fault_case fc_wrong_request = { FAKE_WRONG_REQUEST, 1, -EPROTO };
static const struct fault_case fc_wrong_size = { FAKE_WRONG_SIZE, 1, -EPROTO };
static const struct fault_case fc_no_reply_flag = { FAKE_NO_REPLY_FLAG, 1, -EPROTO };
static const struct fault_case fc_bad_version = { FAKE_BAD_VERSION, 1, -EPROTO };
static const struct fault_case fc_truncated = { FAKE_TRUNCATE, 1, -EPROTO };
static const struct fault_case fc_closed = { FAKE_CLOSE, 1, -ECONNRESET };
static const struct fault_case fc_silent = { FAKE_SILENT, 1, -ETIMEDOUT };
static const struct fault_case fc_fd = { FAKE_SEND_FD, 1, -EPROTO };
static const struct fault_case fc_proto_wrong_size = { FAKE_WRONG_SIZE, 15, -EPROTO };
static const struct fault_case fc_queue_num_closed = { FAKE_CLOSE, 17, -ECONNRESET };
static const struct fault_case fc_ack_wrong_size = { FAKE_WRONG_SIZE, 3, -EPROTO };
static const struct fault_case fc_ack_truncated = { FAKE_TRUNCATE, 3, -EPROTO };
static const struct fault_case fc_ack_silent = { FAKE_SILENT, 3, -ETIMEDOUT };
static const struct fault_case fc_ack_nack = { FAKE_NACK, 3, -EIO };

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown_checked)
#define BAD(fc) cmocka_unit_test_prestate_setup_teardown(test_bad_reply, setup, teardown_checked, \
							 (void *)&(fc))

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_handshake_bytes),
		T(test_handshake_no_protocol_features),
		T(test_features_hide_vhost_bits),
		T(test_status_remote),
		T(test_setup_teardown_split),
		T(test_setup_packed_base),
		T(test_setup_without_regions),
		BAD(fc_wrong_request),
		BAD(fc_wrong_size),
		BAD(fc_no_reply_flag),
		BAD(fc_bad_version),
		BAD(fc_truncated),
		BAD(fc_closed),
		BAD(fc_silent),
		BAD(fc_fd),
		BAD(fc_proto_wrong_size),
		BAD(fc_queue_num_closed),
		BAD(fc_ack_wrong_size),
		BAD(fc_ack_truncated),
		BAD(fc_ack_silent),
		BAD(fc_ack_nack),
		T(test_nack_keeps_connection),
		T(test_vring_base_bad_index),
		T(test_timeout),
		T(test_hangup_and_reconnect),
		T(test_unsolicited_data),
		T(test_server_mode),
		T(test_server_accept_timeout),
		T(test_server_skips_dead_connection),
		T(test_client_no_backend),
		T(test_bad_config),
		T(test_config_space),
		T(test_config_not_offered),
		T(test_reset_stops_queues),
		T(test_reset_owner),
		T(test_dump_json),
		T(test_core_bringup),
	};

	return cmocka_run_group_tests_name("vhost_user", tests, NULL, NULL);
}
