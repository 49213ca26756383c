/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vhost-user frontend's emulated control queue (lib/vhost_user/vu_ctrl.c):
 * features offered and hidden from the backend, commands sent by the lib's
 * control-queue client and answered in the notify op, VQ_PAIRS_SET turned
 * into SET_VRING_ENABLE, the state after a reset, and chains written by
 * hand that break every rule, split and packed. The backend is the
 * scripted fake; it must never hear of the control queue.
 */
#include <endian.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <vpmd/vhost_user.h>
#include <vpmd/virtio_dev.h>
#include <vpmd/virtio_net_ctrl.h>
#include <vpmd/virtio_spec.h>
#include <vpmd/virtqueue.h>

#include "fake_backend.h"
#include "guest_mem.h"

#define BIT(b) (1ULL << (b))
#define NET(b) BIT(VIRTIO_NET_F_##b)
#define PROTO(b) BIT(VHOST_USER_PROTOCOL_F_##b)
#define MEM_SIZE (1u << 20)
#define CTRL_SIZE 16u
#define DATA_SIZE 8u
#define CTRL_INDEX 4u /* two queue pairs, MQ: 2 * 2 */
#define TIMEOUT_MS 200u
#define CTRL_RING_OFF 0u
#define DATA_RING_OFF(i) (65536u * (1u + (i)))
#define CMD_OFF (512u * 1024u)
#define RAW_OFF (768u * 1024u)

#define ALL_CTRL (NET(CTRL_VQ) | NET(CTRL_RX) | NET(CTRL_VLAN) | NET(CTRL_MAC_ADDR))

struct fx {
	char dir[64];
	char path[108];
	enum vq_layout layout;
	struct fake_backend fb;
	bool fb_started;
	struct vhost_user_config cfg;
	struct vhost_user *vu;
	struct virtio_dev dev;
	struct guest_mem gm;
	struct virtqueue *cvq;
	struct virtqueue *dvq[4];
	struct virtio_net_ctrl *ctrl;
	uint64_t features; /* negotiated */
};

static const enum vq_layout split_layout = VQ_LAYOUT_SPLIT;
static const enum vq_layout packed_layout = VQ_LAYOUT_PACKED;

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	const enum vq_layout *layout = *state;

	assert_non_null(fx);
	fx->layout = layout ? *layout : VQ_LAYOUT_SPLIT;
	fx->gm = GUEST_MEM_NONE;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/vpmd-vu-ctrl-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/vu.sock", fx->dir);
	fake_init(&fx->fb, fx->path);
	/* DPDK's vhost offers CTRL_VQ and CTRL_RX, and MQ: so does the fake. */
	fx->fb.features = BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_RING_PACKED) |
			  BIT(VHOST_USER_F_PROTOCOL_FEATURES) | NET(MRG_RXBUF) | NET(MQ) |
			  NET(CTRL_VQ) | NET(CTRL_RX);
	fx->fb.protocol_features = PROTO(MQ) | PROTO(REPLY_ACK) | PROTO(STATUS);
	fx->fb.queue_num = 2;
	vhost_user_config_init(&fx->cfg);
	fx->cfg.path = fx->path;
	fx->cfg.reply_timeout_ms = 500;
	fx->cfg.ctrl_queue = true;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	unsigned int i;

	virtio_net_ctrl_destroy(fx->ctrl);
	vq_destroy(fx->cvq);
	for (i = 0; i < 4; i++)
		vq_destroy(fx->dvq[i]);
	vhost_user_destroy(fx->vu);
	if (fx->fb_started) {
		fake_stop(&fx->fb);
		assert_int_equal(fx->fb.error, 0);
	}
	guest_mem_unmap(&fx->gm);
	unlink(fx->path);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Messages without a reply may still be on their way: wait until the fake has @n. */
static void wait_count(struct fx *fx, unsigned int n)
{
	int64_t t0 = now_ms();

	while (fake_count(&fx->fb) < n && now_ms() - t0 < 1000)
		usleep(1000);
	usleep(10000);
	assert_int_equal(fake_count(&fx->fb), n);
}

static uint64_t msg_u64(struct fx *fx, unsigned int i)
{
	struct fake_msg m;
	uint64_t v;

	assert_int_equal(fake_get_msg(&fx->fb, i, &m), 0);
	assert_int_equal(m.len, sizeof(struct vu_hdr) + 8);
	memcpy(&v, m.raw + sizeof(struct vu_hdr), 8);
	return le64toh(v);
}

/* Connect, share the memory, negotiate @features (the core's job, done by hand). */
static void bring_up(struct fx *fx, uint64_t features)
{
	uint64_t offered;

	assert_int_equal(fake_start(&fx->fb), 0);
	fx->fb_started = true;
	assert_int_equal(vhost_user_create(&fx->cfg, &fx->vu), 0);
	assert_int_equal(virtio_dev_init(&fx->dev, &vhost_user_ops, fx->vu, "vu-ctrl", true), 0);
	assert_int_equal(vhost_user_connect(fx->vu), 0);

	guest_mem_map(&fx->gm, "vu-ctrl", MEM_SIZE);
	guest_mem_register(&fx->gm, fx->vu);

	assert_int_equal(vhost_user_ops.get_features(&fx->dev, &offered), 0);
	if (fx->layout == VQ_LAYOUT_PACKED)
		features |= BIT(VIRTIO_F_RING_PACKED);
	features |= BIT(VIRTIO_F_VERSION_1);
	assert_true((offered & features) == features);
	assert_int_equal(vhost_user_ops.set_features(&fx->dev, features), 0);
	fx->features = features;
}

static struct virtqueue *make_vq(struct fx *fx, uint16_t index, uint16_t size, size_t off)
{
	struct vq_config c = {
		.layout = fx->layout,
		.size = size,
		.index = index,
		.features = fx->features,
		.notify = virtio_dev_notify,
		.notify_ctx = &fx->dev,
	};
	struct virtqueue *vq;

	assert_true(vq_ring_mem_size(&c) < 65536);
	assert_int_equal(vq_create(&c, fx->gm.base + off, (uintptr_t)(fx->gm.base + off), &vq), 0);
	return vq;
}

/* The control queue and a control client over it; nothing of it reaches the backend. */
static void ctrl_up(struct fx *fx)
{
	struct virtio_net_ctrl_config cc = {
		.mem = fx->gm.base + CMD_OFF,
		.mem_dev_addr = (uintptr_t)(fx->gm.base + CMD_OFF),
	};
	unsigned int before;
	uint16_t max;

	assert_int_equal(vhost_user_ctrl_queue_index(fx->vu), CTRL_INDEX);
	assert_int_equal(vhost_user_ops.get_queue_max(&fx->dev, CTRL_INDEX, &max), 0);
	assert_true(max >= CTRL_SIZE);
	fx->cvq = make_vq(fx, CTRL_INDEX, CTRL_SIZE, CTRL_RING_OFF);
	before = fake_count(&fx->fb);
	assert_int_equal(vhost_user_ops.setup_queue(&fx->dev, fx->cvq), 0);
	cc.vq = fx->cvq;
	assert_int_equal(virtio_net_ctrl_create(&cc, &fx->ctrl), 0);
	wait_count(fx, before);
}

static void get_state(struct fx *fx, struct vhost_user_ctrl_state *st)
{
	assert_int_equal(vhost_user_ctrl_get_state(fx->vu, st), 0);
}

/* Offered: ours added; told to the backend: ours taken out, MQ kept (it offered it). */
static void test_features(void **state)
{
	struct fx *fx = *state;
	uint64_t offered;
	unsigned int n;

	bring_up(fx, ALL_CTRL | NET(MQ));
	assert_int_equal(vhost_user_ops.get_features(&fx->dev, &offered), 0);
	assert_true((offered & (ALL_CTRL | NET(MQ))) == (ALL_CTRL | NET(MQ)));
	n = fake_count(&fx->fb);
	/* SET_FEATURES was the message before GET_FEATURES just now. */
	assert_int_equal(fake_request(&fx->fb, n - 2), 2);
	assert_true(msg_u64(fx, n - 2) == (BIT(VIRTIO_F_VERSION_1) | NET(MQ) |
					   BIT(VHOST_USER_F_PROTOCOL_FEATURES)));
	assert_int_equal(vhost_user_ctrl_queue_index(fx->vu), CTRL_INDEX);
}

/* Without MQ the control queue is 2, and only one pair of data queues exists. */
static void test_index_without_mq(void **state)
{
	struct fx *fx = *state;
	uint16_t max;

	bring_up(fx, ALL_CTRL);
	assert_int_equal(vhost_user_ctrl_queue_index(fx->vu), 2);
	assert_int_equal(vhost_user_ops.get_queue_max(&fx->dev, 1, &max), 0);
	assert_int_equal(max, 1024);
	assert_int_equal(vhost_user_ops.get_queue_max(&fx->dev, 3, &max), 0);
	assert_int_equal(max, 0);
}

/* Without cfg.ctrl_queue, nobody serves a control queue: none is offered. */
static void test_disabled_hides_bits(void **state)
{
	struct fx *fx = *state;
	struct vhost_user_ctrl_state st;
	uint64_t offered;

	fx->cfg.ctrl_queue = false;
	bring_up(fx, 0);
	assert_int_equal(vhost_user_ops.get_features(&fx->dev, &offered), 0);
	assert_true((offered & (ALL_CTRL | NET(MQ))) == 0);
	assert_int_equal(vhost_user_ctrl_queue_index(fx->vu), -ENOTSUP);
	get_state(fx, &st);
	assert_false(st.negotiated);
}

static void test_commands(void **state)
{
	struct fx *fx = *state;
	const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	struct vhost_user_ctrl_state st;
	uint8_t table[4 + 12 + 4 + 6];
	uint8_t one = 1;
	json_t *js;

	bring_up(fx, ALL_CTRL | NET(MQ));
	ctrl_up(fx);
	get_state(fx, &st);
	assert_true(st.negotiated && st.queue_active && st.promisc && !st.allmulti);

	assert_int_equal(virtio_net_ctrl_rx_mode(fx->ctrl, VIRTIO_NET_CTRL_RX_PROMISC, false,
						 TIMEOUT_MS), 0);
	assert_int_equal(virtio_net_ctrl_rx_mode(fx->ctrl, VIRTIO_NET_CTRL_RX_ALLMULTI, true,
						 TIMEOUT_MS), 0);
	assert_int_equal(virtio_net_ctrl_mac_addr_set(fx->ctrl, mac, TIMEOUT_MS), 0);
	assert_int_equal(virtio_net_ctrl_vlan(fx->ctrl, true, 5, TIMEOUT_MS), 0);
	assert_int_equal(virtio_net_ctrl_vlan(fx->ctrl, true, 4095, TIMEOUT_MS), 0);
	assert_int_equal(virtio_net_ctrl_vlan(fx->ctrl, true, 4095, TIMEOUT_MS), 0);
	assert_int_equal(virtio_net_ctrl_vlan(fx->ctrl, false, 4095, TIMEOUT_MS), 0);
	/* Two unicast and one multicast address. */
	memset(table, 0, sizeof(table));
	table[0] = 2;
	memcpy(table + 4, mac, 6);
	memcpy(table + 10, mac, 6);
	table[16] = 1;
	memcpy(table + 20, mac, 6);
	table[20] = 0x01;
	assert_int_equal(virtio_net_ctrl_send(fx->ctrl, VIRTIO_NET_CTRL_MAC,
					      VIRTIO_NET_CTRL_MAC_TABLE_SET, table, sizeof(table),
					      TIMEOUT_MS), 0);

	get_state(fx, &st);
	assert_false(st.promisc);
	assert_true(st.allmulti);
	assert_true(st.mac_set);
	assert_memory_equal(st.mac, mac, 6);
	assert_true(vhost_user_ctrl_vlan_isset(&st, 5));
	assert_false(vhost_user_ctrl_vlan_isset(&st, 4095));
	assert_int_equal(st.vlan_count, 1);
	assert_int_equal(st.uc_count, 2);
	assert_int_equal(st.mc_count, 1);
	assert_int_equal(st.mc[0][0], 0x01);
	assert_true(st.cmds_ok == 8 && st.cmds_err == 0);

	/* Refused: not offered, unknown, wrong sizes, a table whose counts lie. */
	assert_int_equal(virtio_net_ctrl_rx_mode(fx->ctrl, VIRTIO_NET_CTRL_RX_ALLUNI, true,
						 TIMEOUT_MS), -EIO);
	assert_int_equal(virtio_net_ctrl_send(fx->ctrl, 9, 0, NULL, 0, TIMEOUT_MS), -EIO);
	assert_int_equal(virtio_net_ctrl_send(fx->ctrl, VIRTIO_NET_CTRL_VLAN,
					      VIRTIO_NET_CTRL_VLAN_ADD, &one, 1, TIMEOUT_MS), -EIO);
	assert_int_equal(virtio_net_ctrl_send(fx->ctrl, VIRTIO_NET_CTRL_RX,
					      VIRTIO_NET_CTRL_RX_PROMISC, NULL, 0, TIMEOUT_MS), -EIO);
	table[0] = 3;
	assert_int_equal(virtio_net_ctrl_send(fx->ctrl, VIRTIO_NET_CTRL_MAC,
					      VIRTIO_NET_CTRL_MAC_TABLE_SET, table, sizeof(table),
					      TIMEOUT_MS), -EIO);
	assert_int_equal(virtio_net_ctrl_send(fx->ctrl, VIRTIO_NET_CTRL_MAC,
					      VIRTIO_NET_CTRL_MAC_ADDR_SET, mac, 5, TIMEOUT_MS), -EIO);
	/* VLAN id 4096 does not fit: sent by hand, past the client's own check. */
	{
		uint16_t vid = htole16(4096);

		assert_int_equal(virtio_net_ctrl_send(fx->ctrl, VIRTIO_NET_CTRL_VLAN,
						      VIRTIO_NET_CTRL_VLAN_ADD, &vid, 2, TIMEOUT_MS),
				 -EIO);
	}
	get_state(fx, &st);
	assert_true(st.cmds_ok == 8 && st.cmds_err == 7 && st.chains_bad == 0);
	assert_false(st.broken);

	js = virtio_dev_to_json(&fx->dev);
	assert_non_null(js);
	assert_int_equal(json_integer_value(json_array_get(
				 json_object_get(json_object_get(json_object_get(js, "transport_info"),
								 "ctrl"), "vlans"), 0)), 5);
	json_decref(js);
}

/* Commands of a class the driver did not negotiate are refused. */
static void test_not_negotiated(void **state)
{
	struct fx *fx = *state;
	const uint8_t mac[6] = { 0x02, 1, 2, 3, 4, 5 };

	bring_up(fx, NET(CTRL_VQ) | NET(MQ));
	ctrl_up(fx);
	assert_int_equal(virtio_net_ctrl_vlan(fx->ctrl, true, 5, TIMEOUT_MS), -EIO);
	assert_int_equal(virtio_net_ctrl_rx_mode(fx->ctrl, VIRTIO_NET_CTRL_RX_PROMISC, false,
						 TIMEOUT_MS), -EIO);
	assert_int_equal(virtio_net_ctrl_mac_addr_set(fx->ctrl, mac, TIMEOUT_MS), -EIO);
	assert_int_equal(virtio_net_ctrl_mq_pairs_set(fx->ctrl, 1, TIMEOUT_MS), 0);
}

/* Count SET_VRING_ENABLE messages for ring @index with value @num from message @from. */
static unsigned int count_enable(struct fx *fx, unsigned int from, uint32_t index, uint32_t num)
{
	unsigned int i, n = 0, total = fake_count(&fx->fb);
	struct fake_msg m;
	uint32_t v[2];

	for (i = from; i < total; i++) {
		if (fake_request(&fx->fb, i) != 18)
			continue;
		assert_int_equal(fake_get_msg(&fx->fb, i, &m), 0);
		memcpy(v, m.raw + sizeof(struct vu_hdr), 8);
		n += le32toh(v[0]) == index && le32toh(v[1]) == num;
	}
	return n;
}

/* With MQ the second pair waits for VQ_PAIRS_SET, which switches its rings. */
static void test_mq_pairs(void **state)
{
	struct fx *fx = *state;
	struct vhost_user_ctrl_state st;
	unsigned int mark, i;

	bring_up(fx, ALL_CTRL | NET(MQ));
	mark = fake_count(&fx->fb);
	for (i = 0; i < 4; i++) {
		fx->dvq[i] = make_vq(fx, (uint16_t)i, DATA_SIZE, DATA_RING_OFF(i));
		assert_int_equal(vhost_user_ops.setup_queue(&fx->dev, fx->dvq[i]), 0);
	}
	ctrl_up(fx);
	assert_int_equal(count_enable(fx, mark, 0, 1), 1);
	assert_int_equal(count_enable(fx, mark, 1, 1), 1);
	assert_int_equal(count_enable(fx, mark, 2, 1), 0);
	assert_int_equal(count_enable(fx, mark, 3, 1), 0);

	mark = fake_count(&fx->fb);
	assert_int_equal(virtio_net_ctrl_mq_pairs_set(fx->ctrl, 2, TIMEOUT_MS), 0);
	assert_int_equal(count_enable(fx, mark, 2, 1), 1);
	assert_int_equal(count_enable(fx, mark, 3, 1), 1);
	assert_int_equal(fake_count(&fx->fb), mark + 2);
	/* The same again: nothing to switch. */
	assert_int_equal(virtio_net_ctrl_mq_pairs_set(fx->ctrl, 2, TIMEOUT_MS), 0);
	assert_int_equal(fake_count(&fx->fb), mark + 2);

	mark = fake_count(&fx->fb);
	assert_int_equal(virtio_net_ctrl_mq_pairs_set(fx->ctrl, 1, TIMEOUT_MS), 0);
	assert_int_equal(count_enable(fx, mark, 2, 0), 1);
	assert_int_equal(count_enable(fx, mark, 3, 0), 1);
	get_state(fx, &st);
	assert_int_equal(st.queue_pairs, 1);

	/* More pairs than the backend has. */
	assert_int_equal(virtio_net_ctrl_mq_pairs_set(fx->ctrl, 3, TIMEOUT_MS), -EIO);
	get_state(fx, &st);
	assert_int_equal(st.queue_pairs, 1);
}

/* A device reset forgets RX mode, MAC, VLANs and pairs; the counters stay. */
static void test_reset_forgets(void **state)
{
	struct fx *fx = *state;
	struct vhost_user_ctrl_state st;

	bring_up(fx, ALL_CTRL | NET(MQ));
	ctrl_up(fx);
	assert_int_equal(virtio_net_ctrl_rx_mode(fx->ctrl, VIRTIO_NET_CTRL_RX_PROMISC, false,
						 TIMEOUT_MS), 0);
	assert_int_equal(virtio_net_ctrl_vlan(fx->ctrl, true, 5, TIMEOUT_MS), 0);
	assert_int_equal(vhost_user_ops.reset(&fx->dev), 0);
	get_state(fx, &st);
	assert_true(st.promisc);
	assert_false(st.negotiated || st.queue_active);
	assert_int_equal(st.vlan_count, 0);
	assert_true(st.cmds_ok == 2);
	/* The queue is gone with the reset: a kick is not answered. */
	assert_int_equal(vhost_user_ops.notify_queue(&fx->dev, CTRL_INDEX), -ENOTCONN);
}

/*
 * Raw chains: descriptors written by hand, as a buggy or hostile driver
 * would, into the control ring. Buffers live at RAW_OFF.
 */
struct raw_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags; /* NEXT, WRITE, INDIRECT */
	uint16_t next;  /* split */
};

static uint64_t raw_addr(struct fx *fx, size_t off)
{
	return (uintptr_t)(fx->gm.base + RAW_OFF + off);
}

/* A PROMISC-off command at RAW_OFF: header, data, ack (ack poisoned). */
static void raw_cmd(struct fx *fx)
{
	uint8_t *p = fx->gm.base + RAW_OFF;

	p[0] = VIRTIO_NET_CTRL_RX;
	p[1] = VIRTIO_NET_CTRL_RX_PROMISC;
	p[2] = 0;
	p[64] = 0xff;
}

static uint8_t raw_ack(struct fx *fx)
{
	return fx->gm.base[RAW_OFF + 64];
}

struct used_seen {
	bool any;
	uint32_t id;
	uint32_t len;
};

/* Split: descriptors at the given table slots (chain order), head in the next avail entry. */
static void split_add(struct fx *fx, const struct raw_desc *d, const uint16_t *slots,
		      unsigned int n, uint16_t head)
{
	struct vq_ring_addrs ring;
	struct vring_desc *desc;
	struct vring_avail *avail;
	unsigned int i;
	uint16_t idx;

	vq_ring_addrs(fx->cvq, &ring);
	desc = ring.desc;
	avail = ring.driver_area;
	for (i = 0; i < n; i++) {
		desc[slots[i]].addr = htole64(d[i].addr);
		desc[slots[i]].len = htole32(d[i].len);
		desc[slots[i]].flags = htole16(d[i].flags);
		desc[slots[i]].next = htole16(d[i].next);
	}
	idx = le16toh(avail->idx);
	avail->ring[idx % CTRL_SIZE] = htole16(head);
	__atomic_store_n(&avail->idx, htole16((uint16_t)(idx + 1)), __ATOMIC_RELEASE);
}

static struct used_seen split_used(struct fx *fx, uint16_t k)
{
	struct vq_ring_addrs ring;
	struct vring_used *used;
	struct used_seen u = { 0 };

	vq_ring_addrs(fx->cvq, &ring);
	used = ring.device_area;
	if ((uint16_t)(le16toh(used->idx) - k) >= 1 && (uint16_t)(le16toh(used->idx) - k) <= CTRL_SIZE) {
		u.any = true;
		u.id = le32toh(used->ring[k % CTRL_SIZE].id);
		u.len = le32toh(used->ring[k % CTRL_SIZE].len);
	}
	return u;
}

static void kick(struct fx *fx)
{
	assert_int_equal(vhost_user_ops.notify_queue(&fx->dev, CTRL_INDEX), 0);
}

/* The device gave chain @id back with length @len, and left @ack in the ack byte. */
static void assert_answer(struct fx *fx, struct used_seen u, uint32_t id, uint32_t len,
			  uint8_t ack)
{
	assert_true(u.any);
	assert_int_equal(u.id, id);
	assert_int_equal(u.len, len);
	assert_int_equal(raw_ack(fx), ack);
}

/*
 * A fresh command (ack poisoned) sent as the split chain @d, head @head:
 * the device must give it back as used entry @k with length @len, and
 * leave @ack in the ack byte (0xff: it wrote none).
 */
static void split_expect(struct fx *fx, const struct raw_desc *d, const uint16_t *slots,
			 unsigned int n, uint16_t head, uint16_t k, uint32_t len, uint8_t ack)
{
	raw_cmd(fx);
	split_add(fx, d, slots, n, head);
	kick(fx);
	assert_answer(fx, split_used(fx, k), head, len, ack);
}

static void test_split_malformed(void **state)
{
	struct fx *fx = *state;
	struct vhost_user_ctrl_state st;
	uint16_t k = 0;
	const uint16_t s012[] = { 0, 1, 2 };
	const uint16_t s34[] = { 3, 4 };

	bring_up(fx, ALL_CTRL | NET(MQ));
	ctrl_up(fx);

	/* A well-formed chain first: promisc goes off, ack OK, length 1. */
	{
		const struct raw_desc d[] = {
			{ raw_addr(fx, 0), 2, VRING_DESC_F_NEXT, 1 },
			{ raw_addr(fx, 2), 1, VRING_DESC_F_NEXT, 2 },
			{ raw_addr(fx, 64), 1, VRING_DESC_F_WRITE, 0 },
		};
		split_expect(fx, d, s012, 3, 0, k++, 1, VIRTIO_NET_OK);
	}
	/* Readable after writable: ERR in the ack. */
	{
		const struct raw_desc d[] = {
			{ raw_addr(fx, 0), 2, VRING_DESC_F_NEXT, 1 },
			{ raw_addr(fx, 64), 1, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2 },
			{ raw_addr(fx, 2), 1, 0, 0 },
		};
		split_expect(fx, d, s012, 3, 0, k++, 1, VIRTIO_NET_ERR);
	}
	/* A buffer outside the memory regions: ERR. */
	{
		const struct raw_desc d[] = {
			{ 0x1000, 3, VRING_DESC_F_NEXT, 1 },
			{ raw_addr(fx, 64), 1, VRING_DESC_F_WRITE, 0 },
		};
		split_expect(fx, d, s012, 2, 0, k++, 1, VIRTIO_NET_ERR);
	}
	/* A buffer that starts inside the region and runs past its end: ERR. */
	{
		const struct raw_desc d[] = {
			{ (uintptr_t)(fx->gm.base + MEM_SIZE - 2), 3, VRING_DESC_F_NEXT, 1 },
			{ raw_addr(fx, 64), 1, VRING_DESC_F_WRITE, 0 },
		};
		split_expect(fx, d, s012, 2, 0, k++, 1, VIRTIO_NET_ERR);
	}
	/* Indirect: refused, ERR. */
	{
		const struct raw_desc d[] = {
			{ raw_addr(fx, 0), 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1 },
			{ raw_addr(fx, 64), 1, VRING_DESC_F_WRITE, 0 },
		};
		split_expect(fx, d, s012, 2, 0, k++, 1, VIRTIO_NET_ERR);
	}
	/* No writable byte: returned with length 0, nowhere to put an ack. */
	{
		const struct raw_desc d[] = { { raw_addr(fx, 0), 3, 0, 0 } };

		split_expect(fx, d, s34, 1, 3, k++, 0, 0xff);
	}
	/* next out of range: returned, length 0, no ack. */
	{
		const struct raw_desc d[] = { { raw_addr(fx, 0), 3, VRING_DESC_F_NEXT, 200 } };

		split_expect(fx, d, s34, 1, 3, k++, 0, 0xff);
	}
	/* A loop: 3 -> 4 -> 3 ...: bounded, returned with length 0, no ack. */
	{
		const struct raw_desc d[] = {
			{ raw_addr(fx, 0), 1, VRING_DESC_F_NEXT, 4 },
			{ raw_addr(fx, 1), 1, VRING_DESC_F_NEXT, 3 },
		};
		split_expect(fx, d, s34, 2, 3, k++, 0, 0xff);
	}
	get_state(fx, &st);
	assert_false(st.promisc);
	assert_int_equal(st.chains_bad, 7);
	assert_false(st.broken);

	/* An available head out of range: nothing to name, the queue stops. */
	{
		const struct raw_desc d[] = { { 0, 0, 0, 0 } };

		split_add(fx, d, s34, 0, 99);
		kick(fx);
		assert_false(split_used(fx, k).any);
		get_state(fx, &st);
		assert_true(st.broken);
		/* And stays stopped: a good chain after it is not answered. */
		kick(fx);
		assert_false(split_used(fx, k).any);
	}
}

/* An available index that jumps beyond the ring stops the queue. */
static void test_split_idx_jump(void **state)
{
	struct fx *fx = *state;
	struct vhost_user_ctrl_state st;
	struct vq_ring_addrs ring;
	struct vring_avail *avail;

	bring_up(fx, ALL_CTRL | NET(MQ));
	ctrl_up(fx);
	vq_ring_addrs(fx->cvq, &ring);
	avail = ring.driver_area;
	__atomic_store_n(&avail->idx, htole16(CTRL_SIZE + 1), __ATOMIC_RELEASE);
	kick(fx);
	get_state(fx, &st);
	assert_true(st.broken);
	assert_false(split_used(fx, 0).any);
}

/* Packed: @n descriptors from slot @slot with wrap counter 1 (first lap), head flags last. */
static void packed_add(struct fx *fx, const struct raw_desc *d, unsigned int n, uint16_t slot,
		       uint16_t id)
{
	struct vq_ring_addrs ring;
	struct vring_packed_desc *desc;
	unsigned int i;

	vq_ring_addrs(fx->cvq, &ring);
	desc = ring.desc;
	for (i = 0; i < n; i++) {
		struct vring_packed_desc *p = &desc[(slot + i) % CTRL_SIZE];
		uint16_t flags = (uint16_t)(d[i].flags | VRING_PACKED_DESC_F_AVAIL);

		p->addr = htole64(d[i].addr);
		p->len = htole32(d[i].len);
		p->id = htole16(id);
		if (i > 0)
			p->flags = htole16(flags);
	}
	__atomic_store_n(&desc[slot].flags,
			 htole16((uint16_t)(d[0].flags | VRING_PACKED_DESC_F_AVAIL)),
			 __ATOMIC_RELEASE);
}

static struct used_seen packed_used(struct fx *fx, uint16_t slot)
{
	struct vq_ring_addrs ring;
	struct vring_packed_desc *desc;
	struct used_seen u = { 0 };
	uint16_t flags;

	vq_ring_addrs(fx->cvq, &ring);
	desc = ring.desc;
	flags = le16toh(__atomic_load_n(&desc[slot].flags, __ATOMIC_ACQUIRE));
	/* Used in the first lap: AVAIL and USED both 1. */
	if ((flags & VRING_PACKED_DESC_F_AVAIL) && (flags & VRING_PACKED_DESC_F_USED)) {
		u.any = true;
		u.id = le16toh(desc[slot].id);
		u.len = (flags & VRING_DESC_F_WRITE) ? le32toh(desc[slot].len) : 0;
	}
	return u;
}

/* split_expect() for a packed chain from slot @slot, buffer id @id. */
static void packed_expect(struct fx *fx, const struct raw_desc *d, unsigned int n, uint16_t slot,
			  uint16_t id, uint32_t len, uint8_t ack)
{
	raw_cmd(fx);
	packed_add(fx, d, n, slot, id);
	kick(fx);
	assert_answer(fx, packed_used(fx, slot), id, len, ack);
}

static void test_packed_malformed(void **state)
{
	struct fx *fx = *state;
	struct vhost_user_ctrl_state st;

	bring_up(fx, ALL_CTRL | NET(MQ));
	ctrl_up(fx);

	/* Good: slots 0-2, id 7 (ids are the driver's, echoed). */
	{
		const struct raw_desc d[] = {
			{ raw_addr(fx, 0), 2, VRING_DESC_F_NEXT, 0 },
			{ raw_addr(fx, 2), 1, VRING_DESC_F_NEXT, 0 },
			{ raw_addr(fx, 64), 1, VRING_DESC_F_WRITE, 0 },
		};
		packed_expect(fx, d, 3, 0, 7, 1, VIRTIO_NET_OK);
	}
	/* Readable after writable, slots 3-5: ERR. */
	{
		const struct raw_desc d[] = {
			{ raw_addr(fx, 0), 2, VRING_DESC_F_NEXT, 0 },
			{ raw_addr(fx, 64), 1, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 0 },
			{ raw_addr(fx, 2), 1, 0, 0 },
		};
		packed_expect(fx, d, 3, 3, 1, 1, VIRTIO_NET_ERR);
	}
	/* Outside the regions, slots 6-7: ERR. */
	{
		const struct raw_desc d[] = {
			{ 0x1000, 3, VRING_DESC_F_NEXT, 0 },
			{ raw_addr(fx, 64), 1, VRING_DESC_F_WRITE, 0 },
		};
		packed_expect(fx, d, 2, 6, 2, 1, VIRTIO_NET_ERR);
	}
	/* No writable byte, slot 8: length 0, no ack. */
	{
		const struct raw_desc d[] = { { raw_addr(fx, 0), 3, 0, 0 } };

		packed_expect(fx, d, 1, 8, 3, 0, 0xff);
	}
	get_state(fx, &st);
	assert_int_equal(st.chains_bad, 3);
	assert_false(st.broken);

	/* A chain whose NEXT runs into a slot that is not available: the queue stops. */
	{
		const struct raw_desc d[] = { { raw_addr(fx, 0), 2, VRING_DESC_F_NEXT, 0 } };

		packed_add(fx, d, 1, 9, 4);
		kick(fx);
		assert_false(packed_used(fx, 9).any);
		get_state(fx, &st);
		assert_true(st.broken);
	}
}

/* A packed chain as long as the ring and still going: the queue stops, no endless walk. */
static void test_packed_endless(void **state)
{
	struct fx *fx = *state;
	struct vhost_user_ctrl_state st;
	struct raw_desc d[CTRL_SIZE];
	unsigned int i;

	bring_up(fx, ALL_CTRL | NET(MQ));
	ctrl_up(fx);
	for (i = 0; i < CTRL_SIZE; i++)
		d[i] = (struct raw_desc){ raw_addr(fx, 0), 1, VRING_DESC_F_NEXT, 0 };
	packed_add(fx, d, CTRL_SIZE, 0, 0);
	kick(fx);
	get_state(fx, &st);
	assert_true(st.broken);
	assert_false(packed_used(fx, 0).any);
}

/*
 * With EVENT_IDX the driver notifies only when its index passes the
 * device's avail_event: the frontend's device must keep asking for the
 * next entry, or every command after the first waits out its timeout.
 */
static void test_event_idx(void **state)
{
	struct fx *fx = *state;
	struct vhost_user_ctrl_state st;

	fx->fb.features |= BIT(VIRTIO_RING_F_EVENT_IDX);
	bring_up(fx, ALL_CTRL | NET(MQ) | BIT(VIRTIO_RING_F_EVENT_IDX));
	ctrl_up(fx);
	for (int i = 0; i < 10; i++)
		assert_int_equal(virtio_net_ctrl_rx_mode(fx->ctrl, VIRTIO_NET_CTRL_RX_ALLMULTI,
							 i % 2 == 0, TIMEOUT_MS),
				 0);
	get_state(fx, &st);
	assert_false(st.allmulti);
	assert_int_equal(virtio_net_ctrl_get_stats(fx->ctrl)->ok, 10);
	assert_int_equal(virtio_net_ctrl_get_stats(fx->ctrl)->timeout, 0);
}

/* ---- the receive filter the driver enforces for the device ---- */

/* A 64-byte frame to @dst, tagged with @vid unless it is negative. */
static uint32_t frame_to(uint8_t *f, const uint8_t dst[6], int vid)
{
	memset(f, 0, 64);
	memcpy(f, dst, 6);
	f[6] = 0x02;
	if (vid >= 0) {
		f[12] = 0x81;
		f[14] = (uint8_t)(vid >> 8);
		f[15] = (uint8_t)vid;
		f[16] = 0x08;
	} else {
		f[12] = 0x08;
	}
	return 64;
}

static void test_rx_filter(void **state)
{
	static const uint8_t own[6] = { 0x02, 0, 0, 0, 0, 0x42 };
	static const uint8_t other[6] = { 0x02, 0, 0, 0, 0, 0x43 };
	static const uint8_t table_uc[6] = { 0x02, 0, 0, 0, 0, 0x44 };
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
	static const uint8_t table_mc[6] = { 0x01, 0x00, 0x5e, 0, 0, 2 };
	struct vhost_user_ctrl_state st = { .promisc = true };
	uint8_t f[64];
	uint32_t len;

	(void)state;
	/* Promiscuous, as after a reset: everything, even a runt. */
	assert_true(vhost_user_ctrl_rx_accept(&st, f, frame_to(f, other, 7), true));
	assert_true(vhost_user_ctrl_rx_accept(&st, f, 3, true));

	st.promisc = false;
	st.mac_set = true;
	memcpy(st.mac, own, 6);
	assert_true(vhost_user_ctrl_rx_accept(&st, f, frame_to(f, own, -1), false));
	assert_false(vhost_user_ctrl_rx_accept(&st, f, frame_to(f, other, -1), false));
	assert_true(vhost_user_ctrl_rx_accept(&st, f, frame_to(f, bcast, -1), false));
	assert_false(vhost_user_ctrl_rx_accept(&st, f, frame_to(f, mcast, -1), false));
	assert_false(vhost_user_ctrl_rx_accept(&st, f, 13, false));

	/* The tables: a listed address passes, others not, until a table overflows. */
	st.uc_count = 1;
	memcpy(st.uc[0], table_uc, 6);
	st.mc_count = 1;
	memcpy(st.mc[0], table_mc, 6);
	assert_true(vhost_user_ctrl_rx_accept(&st, f, frame_to(f, table_uc, -1), false));
	assert_true(vhost_user_ctrl_rx_accept(&st, f, frame_to(f, table_mc, -1), false));
	assert_false(vhost_user_ctrl_rx_accept(&st, f, frame_to(f, mcast, -1), false));
	st.allmulti = true;
	assert_true(vhost_user_ctrl_rx_accept(&st, f, frame_to(f, mcast, -1), false));
	assert_false(vhost_user_ctrl_rx_accept(&st, f, frame_to(f, other, -1), false));
	st.uc_count = VHOST_USER_CTRL_MAC_TABLE_MAX + 1;
	assert_true(vhost_user_ctrl_rx_accept(&st, f, frame_to(f, other, -1), false));
	st.uc_count = 1;
	st.allmulti = false;
	st.mc_count = VHOST_USER_CTRL_MAC_TABLE_MAX + 1;
	assert_true(vhost_user_ctrl_rx_accept(&st, f, frame_to(f, mcast, -1), false));

	/* VLANs: only with the filter on, and then only those in the table. */
	assert_true(vhost_user_ctrl_rx_accept(&st, f, frame_to(f, own, 5), false));
	assert_false(vhost_user_ctrl_rx_accept(&st, f, frame_to(f, own, 5), true));
	st.vlans[0] = 1u << 5;
	assert_true(vhost_user_ctrl_rx_accept(&st, f, frame_to(f, own, 5), true));
	assert_false(vhost_user_ctrl_rx_accept(&st, f, frame_to(f, own, 6), true));
	/* The VLAN id is the low 12 bits of the TCI: priority bits do not count. */
	len = frame_to(f, own, 5);
	f[14] |= 0xe0;
	assert_true(vhost_user_ctrl_rx_accept(&st, f, len, true));
	/* A tag cut off: not passed. */
	assert_false(vhost_user_ctrl_rx_accept(&st, f, 15, true));
	/* Untagged frames are not subject to the VLAN table. */
	assert_true(vhost_user_ctrl_rx_accept(&st, f, frame_to(f, own, -1), true));
}

#define T(fn, layout) cmocka_unit_test_prestate_setup_teardown(fn, setup, teardown, (void *)&layout)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_features, split_layout),
		T(test_index_without_mq, split_layout),
		T(test_disabled_hides_bits, split_layout),
		T(test_commands, split_layout),
		T(test_commands, packed_layout),
		T(test_event_idx, split_layout),
		T(test_event_idx, packed_layout),
		T(test_not_negotiated, split_layout),
		T(test_mq_pairs, split_layout),
		T(test_mq_pairs, packed_layout),
		T(test_reset_forgets, split_layout),
		T(test_split_malformed, split_layout),
		T(test_split_idx_jump, split_layout),
		T(test_packed_malformed, packed_layout),
		T(test_packed_endless, packed_layout),
		cmocka_unit_test(test_rx_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
