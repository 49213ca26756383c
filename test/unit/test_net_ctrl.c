/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the virtio-net control queue, driver side
 * (lib/virtio/virtio_net_ctrl.c), against the split and packed device
 * models. The device answers from the queue's notify callback, as the
 * vhost-user frontend's emulated control queue does, or from the poll
 * hook, or late, or never, or with garbage.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <vpmd/virtio_net_ctrl.h>
#include <vpmd/virtio_spec.h>
#include <vpmd/virtqueue.h>

#include "model_packed.h"
#include "model_split.h"

#define RING_SIZE 16u /* room for every slot: 3 descriptors each */
#define CTRL_INDEX 2u
#define TIMEOUT_MS 50u
/* How much longer than its timeout a command may take to give up. */
#define SLACK_MS 150u

enum dev_mode {
	DEV_OK,      /* take the chain, ack OK */
	DEV_ERR,     /* take the chain, ack ERR */
	DEV_HOLD,    /* take the chain and keep it */
	DEV_IGNORE,  /* do not even look */
	DEV_HOSTILE, /* take the chain, answer with an id out of range */
	DEV_LATE_THEN_OK, /* answer the held chain first (ack ERR), then this one OK */
	DEV_NO_ACK,  /* give the chain back with length 0, ack untouched */
};

struct held {
	uint16_t id;
	uint16_t ndescs;
	uint8_t *ack;
};

struct fix {
	enum vq_layout layout;
	struct vq_config cfg;
	void *ring;
	void *cmd_mem;
	struct virtqueue *vq;
	struct virtio_net_ctrl *ctrl;
	struct model_split ms;
	struct model_split_chain sc;
	struct model_packed mp;
	struct model_packed_chain pc;
	struct vq_ring_addrs addrs;

	enum dev_mode mode;
	unsigned int notified;
	unsigned int polls;
	unsigned int answer_at_poll; /* >0: answer OK at this poll, from the hook */
	struct held held[8];
	unsigned int n_held;
	/* What the device saw of the last command. */
	uint8_t cls, cmd, data[64];
	uint32_t data_len;
	uint16_t n_out, n_in;
	uint32_t ack_len;
	int dev_error; /* the model's complaint, if any */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Take the next chain; read its header and data; remember where its ack goes. */
static int dev_pop(struct fix *f, struct held *h)
{
	uint8_t buf[2 + 64];
	uint32_t got = 0, k;
	int rc;

	if (f->layout == VQ_LAYOUT_SPLIT) {
		rc = model_split_pop(&f->ms, &f->sc);
		if (rc <= 0)
			return rc;
		h->id = f->sc.head;
		h->ndescs = f->sc.n_descs;
		f->n_out = f->sc.n_out;
		f->n_in = f->sc.n_in;
		for (k = 0; k < f->sc.n_out; k++) {
			uint32_t n = f->sc.bufs[k].len;

			if (got + n > sizeof(buf))
				return -E2BIG;
			memcpy(buf + got, (void *)(uintptr_t)f->sc.bufs[k].addr, n);
			got += n;
		}
		h->ack = (uint8_t *)(uintptr_t)f->sc.bufs[f->sc.n_out].addr;
		f->ack_len = f->sc.bufs[f->sc.n_out].len;
	} else {
		rc = model_packed_pop(&f->mp, &f->pc);
		if (rc <= 0)
			return rc;
		h->id = f->pc.id;
		h->ndescs = f->pc.ndescs;
		f->n_out = f->pc.n_out;
		f->n_in = f->pc.n_in;
		for (k = 0; k < f->pc.n_out; k++) {
			uint32_t n = f->pc.bufs[k].len;

			if (got + n > sizeof(buf))
				return -E2BIG;
			memcpy(buf + got, (void *)(uintptr_t)f->pc.bufs[k].addr, n);
			got += n;
		}
		h->ack = (uint8_t *)(uintptr_t)f->pc.bufs[f->pc.n_out].addr;
		f->ack_len = f->pc.bufs[f->pc.n_out].len;
	}
	if (got < 2)
		return -EPROTO;
	f->cls = buf[0];
	f->cmd = buf[1];
	f->data_len = got - 2;
	memcpy(f->data, buf + 2, got - 2);
	return 1;
}

static void dev_push(struct fix *f, const struct held *h, uint32_t id, uint8_t ack)
{
	*h->ack = ack;
	if (f->layout == VQ_LAYOUT_SPLIT)
		model_split_push(&f->ms, id, 1);
	else
		f->dev_error |= model_packed_push(&f->mp, (uint16_t)id, 1, h->ndescs);
}

static int notify_cb(void *ctx, uint16_t index)
{
	struct fix *f = ctx;
	struct held h;
	unsigned int i;

	f->notified++;
	if (index != CTRL_INDEX || f->mode == DEV_IGNORE || f->answer_at_poll)
		return 0;
	if (dev_pop(f, &h) != 1) {
		f->dev_error = -EPROTO;
		return 0;
	}
	switch (f->mode) {
	case DEV_OK:
		dev_push(f, &h, h.id, VIRTIO_NET_OK);
		break;
	case DEV_ERR:
		dev_push(f, &h, h.id, VIRTIO_NET_ERR);
		break;
	case DEV_HOLD:
		f->held[f->n_held++] = h;
		break;
	case DEV_HOSTILE:
		f->held[f->n_held++] = h;
		dev_push(f, &h, RING_SIZE + 100, VIRTIO_NET_OK);
		break;
	case DEV_LATE_THEN_OK:
		for (i = 0; i < f->n_held; i++)
			dev_push(f, &f->held[i], f->held[i].id, VIRTIO_NET_ERR);
		f->n_held = 0;
		dev_push(f, &h, h.id, VIRTIO_NET_OK);
		break;
	case DEV_NO_ACK:
		if (f->layout == VQ_LAYOUT_SPLIT)
			model_split_push(&f->ms, h.id, 0);
		else
			f->dev_error |= model_packed_push(&f->mp, h.id, 0, h.ndescs);
		break;
	case DEV_IGNORE:
		break;
	}
	return 0;
}

static void poll_cb(void *ctx)
{
	struct fix *f = ctx;
	struct held h;

	f->polls++;
	if (f->answer_at_poll && f->polls == f->answer_at_poll) {
		if (dev_pop(f, &h) == 1)
			dev_push(f, &h, h.id, VIRTIO_NET_OK);
		else
			f->dev_error = -EPROTO;
	}
}

static int fix_open(void **state, enum vq_layout layout, bool with_poll)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct virtio_net_ctrl_config cc = { 0 };
	size_t size;

	if (f == NULL)
		return -1;
	*state = f;
	f->layout = layout;
	f->cfg = (struct vq_config){
		.layout = layout,
		.size = RING_SIZE,
		.index = CTRL_INDEX,
		.features = VIRTIO_BIT(VIRTIO_F_VERSION_1),
		.notify = notify_cb,
		.notify_ctx = f,
	};
	size = (vq_ring_mem_size(&f->cfg) + 63) & ~(size_t)63;
	f->ring = aligned_alloc(64, size);
	f->cmd_mem = aligned_alloc(64, (virtio_net_ctrl_mem_size() + 63) & ~(size_t)63);
	if (f->ring == NULL || f->cmd_mem == NULL)
		return -1;
	/* Command memory starts dirty: nothing may rely on it being zero. */
	memset(f->cmd_mem, 0x5a, virtio_net_ctrl_mem_size());
	if (vq_create(&f->cfg, f->ring, (uintptr_t)f->ring, &f->vq) != 0)
		return -1;
	vq_ring_addrs(f->vq, &f->addrs);
	if (layout == VQ_LAYOUT_SPLIT) {
		if (model_split_init(&f->ms, f->vq, f->cfg.features) != 0)
			return -1;
	} else if (model_packed_init(&f->mp, &f->addrs, RING_SIZE, f->cfg.features) != 0) {
		return -1;
	}
	cc.vq = f->vq;
	cc.mem = f->cmd_mem;
	cc.mem_dev_addr = (uintptr_t)f->cmd_mem;
	if (with_poll) {
		cc.poll = poll_cb;
		cc.poll_ctx = f;
	}
	return virtio_net_ctrl_create(&cc, &f->ctrl) == 0 ? 0 : -1;
}

static int setup_split(void **state)
{
	return fix_open(state, VQ_LAYOUT_SPLIT, false);
}

static int setup_packed(void **state)
{
	return fix_open(state, VQ_LAYOUT_PACKED, false);
}

static int setup_split_poll(void **state)
{
	return fix_open(state, VQ_LAYOUT_SPLIT, true);
}

static int setup_packed_poll(void **state)
{
	return fix_open(state, VQ_LAYOUT_PACKED, true);
}

static int teardown(void **state)
{
	struct fix *f = *state;

	if (f == NULL)
		return 0;
	virtio_net_ctrl_destroy(f->ctrl);
	if (f->layout == VQ_LAYOUT_SPLIT)
		model_split_fini(&f->ms);
	else
		model_packed_fini(&f->mp);
	vq_destroy(f->vq);
	free(f->ring);
	free(f->cmd_mem);
	free(f);
	return 0;
}

/* The device acks OK: 0, and it saw header, data and a one-byte ack, in that order. */
static void test_ok(void **state)
{
	struct fix *f = *state;
	const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x42 };
	const struct virtio_net_ctrl_stats *st = virtio_net_ctrl_get_stats(f->ctrl);

	f->mode = DEV_OK;
	assert_int_equal(virtio_net_ctrl_rx_mode(f->ctrl, VIRTIO_NET_CTRL_RX_PROMISC, true,
						 TIMEOUT_MS), 0);
	assert_int_equal(f->dev_error, 0);
	assert_int_equal(f->notified, 1);
	assert_int_equal(f->cls, VIRTIO_NET_CTRL_RX);
	assert_int_equal(f->cmd, VIRTIO_NET_CTRL_RX_PROMISC);
	assert_int_equal(f->data_len, 1);
	assert_int_equal(f->data[0], 1);
	/* Header and data in their own buffers, then the ack alone. */
	assert_int_equal(f->n_out, 2);
	assert_int_equal(f->n_in, 1);
	assert_int_equal(f->ack_len, 1);

	assert_int_equal(virtio_net_ctrl_mac_addr_set(f->ctrl, mac, TIMEOUT_MS), 0);
	assert_int_equal(f->cls, VIRTIO_NET_CTRL_MAC);
	assert_int_equal(f->cmd, VIRTIO_NET_CTRL_MAC_ADDR_SET);
	assert_int_equal(f->data_len, 6);
	assert_memory_equal(f->data, mac, 6);

	assert_int_equal(virtio_net_ctrl_vlan(f->ctrl, true, 4095, TIMEOUT_MS), 0);
	assert_int_equal(f->cls, VIRTIO_NET_CTRL_VLAN);
	assert_int_equal(f->data_len, 2);
	assert_int_equal(f->data[0] | f->data[1] << 8, 4095);

	assert_int_equal(virtio_net_ctrl_mq_pairs_set(f->ctrl, 3, TIMEOUT_MS), 0);
	assert_int_equal(f->cls, VIRTIO_NET_CTRL_MQ);
	assert_int_equal(f->data[0] | f->data[1] << 8, 3);

	/* No data: header and ack only. */
	assert_int_equal(virtio_net_ctrl_send(f->ctrl, VIRTIO_NET_CTRL_ANNOUNCE,
					      VIRTIO_NET_CTRL_ANNOUNCE_ACK, NULL, 0, TIMEOUT_MS),
			 0);
	assert_int_equal(f->n_out, 1);
	assert_int_equal(f->data_len, 0);

	assert_true(st->ok == 5 && st->err == 0 && st->timeout == 0);
	assert_int_equal(virtio_net_ctrl_inflight(f->ctrl), 0);
	assert_int_equal(vq_num_inflight(f->vq), 0);
}

/* Enough commands to wrap the ring several times (packed wrap counters flip). */
static void test_many(void **state)
{
	struct fix *f = *state;
	unsigned int i;

	f->mode = DEV_OK;
	for (i = 0; i < 10 * RING_SIZE; i++)
		assert_int_equal(virtio_net_ctrl_vlan(f->ctrl, i & 1, (uint16_t)i, TIMEOUT_MS), 0);
	assert_int_equal(f->dev_error, 0);
	assert_true(virtio_net_ctrl_get_stats(f->ctrl)->ok == 10 * RING_SIZE);
}

static void test_err(void **state)
{
	struct fix *f = *state;
	const struct virtio_net_ctrl_stats *st = virtio_net_ctrl_get_stats(f->ctrl);

	f->mode = DEV_ERR;
	assert_int_equal(virtio_net_ctrl_rx_mode(f->ctrl, VIRTIO_NET_CTRL_RX_ALLMULTI, false,
						 TIMEOUT_MS), -EIO);
	assert_true(st->err == 1 && st->ok == 0);
	assert_int_equal(virtio_net_ctrl_inflight(f->ctrl), 0);
	/* The slot is free again: the next command works. */
	f->mode = DEV_OK;
	assert_int_equal(virtio_net_ctrl_rx_mode(f->ctrl, VIRTIO_NET_CTRL_RX_ALLMULTI, false,
						 TIMEOUT_MS), 0);
}

/* A device that never answers costs the timeout, not more, and not less. */
static void test_timeout(void **state)
{
	struct fix *f = *state;
	const struct virtio_net_ctrl_stats *st = virtio_net_ctrl_get_stats(f->ctrl);
	int64_t t0, elapsed;

	f->mode = DEV_IGNORE;
	t0 = now_ms();
	assert_int_equal(virtio_net_ctrl_rx_mode(f->ctrl, VIRTIO_NET_CTRL_RX_PROMISC, true,
						 TIMEOUT_MS), -ETIMEDOUT);
	elapsed = now_ms() - t0;
	assert_true(elapsed >= TIMEOUT_MS);
	assert_true(elapsed < TIMEOUT_MS + SLACK_MS);
	assert_true(st->timeout == 1);
	/* The chain is still the device's. */
	assert_int_equal(virtio_net_ctrl_inflight(f->ctrl), 1);
	assert_int_equal(vq_num_inflight(f->vq), 1);
}

/* Every slot held by the device: the next command is refused at once. */
static void test_all_slots_abandoned(void **state)
{
	struct fix *f = *state;
	unsigned int i;
	int64_t t0;

	f->mode = DEV_HOLD;
	for (i = 0; i < VIRTIO_NET_CTRL_SLOTS; i++)
		assert_int_equal(virtio_net_ctrl_vlan(f->ctrl, true, 1, 1), -ETIMEDOUT);
	t0 = now_ms();
	assert_int_equal(virtio_net_ctrl_vlan(f->ctrl, true, 1, TIMEOUT_MS), -EBUSY);
	assert_true(now_ms() - t0 < TIMEOUT_MS);
	assert_int_equal(f->n_held, VIRTIO_NET_CTRL_SLOTS);

	/* The device gives one back late: its slot serves again. */
	dev_push(f, &f->held[0], f->held[0].id, VIRTIO_NET_OK);
	f->mode = DEV_OK;
	assert_int_equal(virtio_net_ctrl_vlan(f->ctrl, true, 1, TIMEOUT_MS), 0);
	assert_true(virtio_net_ctrl_get_stats(f->ctrl)->late == 1);
}

/*
 * The device answers an abandoned command after its timeout, and never
 * answers the next one: the late OK must not be taken for the next
 * command's answer.
 */
static void test_late_answer_not_next(void **state)
{
	struct fix *f = *state;
	const struct virtio_net_ctrl_stats *st = virtio_net_ctrl_get_stats(f->ctrl);

	f->mode = DEV_HOLD;
	assert_int_equal(virtio_net_ctrl_rx_mode(f->ctrl, VIRTIO_NET_CTRL_RX_PROMISC, true,
						 TIMEOUT_MS), -ETIMEDOUT);
	assert_int_equal(f->n_held, 1);

	/* From here the device acks the old command OK, and takes but holds the new one. */
	dev_push(f, &f->held[0], f->held[0].id, VIRTIO_NET_OK);
	f->n_held = 0;
	assert_int_equal(virtio_net_ctrl_rx_mode(f->ctrl, VIRTIO_NET_CTRL_RX_PROMISC, false,
						 TIMEOUT_MS), -ETIMEDOUT);
	assert_true(st->late == 1);
	assert_true(st->ok == 0);
	assert_true(st->timeout == 2);
	assert_int_equal(f->n_held, 1);
}

/*
 * The late answer comes while the next command is waited for, and says
 * ERR; the next command's own answer is OK: each goes to its command.
 */
static void test_late_answer_during_next(void **state)
{
	struct fix *f = *state;
	const struct virtio_net_ctrl_stats *st = virtio_net_ctrl_get_stats(f->ctrl);

	f->mode = DEV_HOLD;
	assert_int_equal(virtio_net_ctrl_vlan(f->ctrl, true, 7, TIMEOUT_MS), -ETIMEDOUT);
	f->mode = DEV_LATE_THEN_OK;
	assert_int_equal(virtio_net_ctrl_vlan(f->ctrl, true, 8, TIMEOUT_MS), 0);
	assert_true(st->late == 1 && st->ok == 1 && st->err == 0);
	assert_int_equal(virtio_net_ctrl_inflight(f->ctrl), 0);
	assert_int_equal(vq_num_inflight(f->vq), 0);
}

/*
 * A used entry naming no chain. Split: refused and skipped, and the real
 * answer never comes, so the command times out; the queue goes on.
 * Packed: the next used slot cannot be known, so the queue is broken,
 * and the command fails at once. Neither crashes or takes it for an ack.
 */
static void test_hostile_id(void **state)
{
	struct fix *f = *state;
	const struct vq_stats *vs = vq_get_stats(f->vq);
	int rc;

	f->mode = DEV_HOSTILE;
	rc = virtio_net_ctrl_rx_mode(f->ctrl, VIRTIO_NET_CTRL_RX_PROMISC, true, TIMEOUT_MS);
	assert_true(vs->refused[VQ_REFUSE_ID_RANGE] == 1);
	assert_true(virtio_net_ctrl_get_stats(f->ctrl)->ok == 0);
	if (f->layout == VQ_LAYOUT_SPLIT) {
		assert_int_equal(rc, -ETIMEDOUT);
		f->mode = DEV_OK;
		assert_int_equal(virtio_net_ctrl_rx_mode(f->ctrl, VIRTIO_NET_CTRL_RX_PROMISC, true,
							 TIMEOUT_MS), 0);
	} else {
		assert_int_equal(rc, -ENOTRECOVERABLE);
		assert_true(vq_is_broken(f->vq));
		f->mode = DEV_OK;
		assert_int_equal(virtio_net_ctrl_rx_mode(f->ctrl, VIRTIO_NET_CTRL_RX_PROMISC, true,
							 TIMEOUT_MS), -ENOTRECOVERABLE);
	}
}

/* A device that returns the chain without writing its ack has not said OK. */
static void test_no_ack_written(void **state)
{
	struct fix *f = *state;

	f->mode = DEV_NO_ACK;
	assert_int_equal(virtio_net_ctrl_vlan(f->ctrl, true, 1, TIMEOUT_MS), -EIO);
	assert_true(virtio_net_ctrl_get_stats(f->ctrl)->err == 1);
	assert_int_equal(virtio_net_ctrl_inflight(f->ctrl), 0);
}

/* The device runs between polls (poll hook): answered at the third poll. */
static void test_poll_hook(void **state)
{
	struct fix *f = *state;

	f->answer_at_poll = 3;
	assert_int_equal(virtio_net_ctrl_rx_mode(f->ctrl, VIRTIO_NET_CTRL_RX_ALLMULTI, true,
						 1000), 0);
	assert_int_equal(f->polls, 3);
	assert_int_equal(f->dev_error, 0);
}

static void test_bad_args(void **state)
{
	struct fix *f = *state;
	static uint8_t big[VIRTIO_NET_CTRL_DATA_MAX + 1];
	struct virtio_net_ctrl_config cc = { .vq = f->vq, .mem = (char *)f->cmd_mem + 1 };
	struct virtio_net_ctrl *c;

	f->mode = DEV_OK;
	assert_int_equal(virtio_net_ctrl_send(f->ctrl, 0, 0, big, sizeof(big), 10), -EINVAL);
	assert_int_equal(virtio_net_ctrl_send(f->ctrl, 0, 0, NULL, 1, 10), -EINVAL);
	assert_int_equal(virtio_net_ctrl_vlan(f->ctrl, true, 4096, 10), -EINVAL);
	assert_int_equal(virtio_net_ctrl_mq_pairs_set(f->ctrl, 0, 10), -EINVAL);
	assert_int_equal(virtio_net_ctrl_mq_pairs_set(f->ctrl, 0x8001, 10), -EINVAL);
	assert_int_equal(f->notified, 0);
	assert_int_equal(virtio_net_ctrl_create(&cc, &c), -EINVAL);
	cc.mem = NULL;
	assert_int_equal(virtio_net_ctrl_create(&cc, &c), -EINVAL);
	assert_string_equal(virtio_net_ctrl_class_name(VIRTIO_NET_CTRL_MQ), "MQ");
	assert_null(virtio_net_ctrl_class_name(200));
}

#define BOTH(fn)                                                        \
	cmocka_unit_test_setup_teardown(fn, setup_split, teardown),     \
	cmocka_unit_test_setup_teardown(fn, setup_packed, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_ok),
		BOTH(test_many),
		BOTH(test_err),
		BOTH(test_timeout),
		BOTH(test_all_slots_abandoned),
		BOTH(test_late_answer_not_next),
		BOTH(test_late_answer_during_next),
		BOTH(test_hostile_id),
		BOTH(test_no_ack_written),
		cmocka_unit_test_setup_teardown(test_poll_hook, setup_split_poll, teardown),
		cmocka_unit_test_setup_teardown(test_poll_hook, setup_packed_poll, teardown),
		BOTH(test_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
