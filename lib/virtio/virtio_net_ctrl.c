/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Driver side of the virtio-net control virtqueue (virtio 1.2, 5.1.6.5).
 *
 * Each command uses one slot of the caller's device-visible memory: the
 * header, the data and the ack byte. A slot is free, waited for, or
 * abandoned (its command timed out and the device may still write its
 * ack). Only a free slot is used for a new command, so the device writing
 * a late ack writes into memory nobody reads any more, and the late used
 * entry names a slot we know was abandoned: it frees the slot and is
 * counted, nothing else.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vpmd/virtio_alloc.h>
#include <vpmd/virtio_net_ctrl.h>
#include <vpmd/virtio_spec.h>

#define DEFAULT_POLL_INTERVAL_US 10u
/* The ack is poisoned before each command: a device that never writes it has not said OK. */
#define ACK_POISON 0xffu

/* One command's buffers, in device-visible memory. */
struct ctrl_slot_mem {
	uint8_t cls;
	uint8_t cmd;
	uint8_t data[VIRTIO_NET_CTRL_DATA_MAX];
	uint8_t ack;
} __attribute__((aligned(8)));

enum slot_state {
	SLOT_FREE,
	SLOT_WAITING,   /* the command being sent */
	SLOT_ABANDONED, /* timed out; still the device's */
};

/* Private bookkeeping of a slot; its address is the chain's cookie. */
struct ctrl_slot {
	enum slot_state state;
	struct ctrl_slot_mem *mem;
	uint64_t dev_addr;
};

struct virtio_net_ctrl {
	struct virtqueue *vq;
	virtio_net_ctrl_poll_fn poll;
	void *poll_ctx;
	uint32_t poll_interval_us;
	struct ctrl_slot slots[VIRTIO_NET_CTRL_SLOTS];
	struct virtio_net_ctrl_stats stats;
};

size_t virtio_net_ctrl_mem_size(void)
{
	return VIRTIO_NET_CTRL_SLOTS * sizeof(struct ctrl_slot_mem);
}

int virtio_net_ctrl_create(const struct virtio_net_ctrl_config *cfg, struct virtio_net_ctrl **out)
{
	struct virtio_net_ctrl *ctrl;
	struct ctrl_slot_mem *mem;
	unsigned int i;

	if (cfg == NULL || out == NULL || cfg->vq == NULL || cfg->mem == NULL ||
	    ((uintptr_t)cfg->mem & 7) != 0)
		return -EINVAL;
	ctrl = virtio_zalloc(sizeof(*ctrl)); /* see virtio_alloc.h */
	if (ctrl == NULL)
		return -ENOMEM;
	ctrl->vq = cfg->vq;
	ctrl->poll = cfg->poll;
	ctrl->poll_ctx = cfg->poll_ctx;
	ctrl->poll_interval_us = cfg->poll_interval_us ? cfg->poll_interval_us
						       : DEFAULT_POLL_INTERVAL_US;
	mem = cfg->mem;
	for (i = 0; i < VIRTIO_NET_CTRL_SLOTS; i++) {
		ctrl->slots[i].state = SLOT_FREE;
		ctrl->slots[i].mem = &mem[i];
		ctrl->slots[i].dev_addr = cfg->mem_dev_addr + i * sizeof(struct ctrl_slot_mem);
	}
	*out = ctrl;
	return 0;
}

void virtio_net_ctrl_destroy(struct virtio_net_ctrl *ctrl)
{
	virtio_free(ctrl);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct ctrl_slot *slot_of(struct virtio_net_ctrl *ctrl, void *cookie)
{
	unsigned int i;

	for (i = 0; i < VIRTIO_NET_CTRL_SLOTS; i++)
		if (cookie == &ctrl->slots[i])
			return &ctrl->slots[i];
	return NULL;
}

/*
 * Take back one used chain. Returns 1 with *@done set when it was the
 * slot being waited for (*@rc its result), 1 otherwise (a late one,
 * freed), 0 when nothing was used, or the ring's -ENOTRECOVERABLE.
 */
static int reap_one(struct virtio_net_ctrl *ctrl, bool *done, int *rc)
{
	struct ctrl_slot *slot;
	void *cookie;
	uint32_t len;
	int got;

	got = vq_get_used(ctrl->vq, &cookie, &len);
	if (got == 0 || got == -ENOTRECOVERABLE)
		return got;
	/* The ring only gives back cookies we gave it, and every one of ours is a slot. */
	slot = slot_of(ctrl, cookie);
	if (slot == NULL)
		return 1;
	if (got == -EBADMSG)
		ctrl->stats.refused++;
	if (slot->state == SLOT_ABANDONED) {
		ctrl->stats.late++;
		slot->state = SLOT_FREE;
		return 1;
	}
	slot->state = SLOT_FREE;
	*done = true;
	/*
	 * 5.1.6.5: the device sets ack to VIRTIO_NET_OK or VIRTIO_NET_ERR. A
	 * chain returned with a refused length, or an ack still poisoned (the
	 * device wrote nothing), is no OK. The used length is not required
	 * to be 1: devices in the field report 0 too, and the ack says it all.
	 */
	if (got == 1 && __atomic_load_n(&slot->mem->ack, __ATOMIC_RELAXED) == VIRTIO_NET_OK) {
		ctrl->stats.ok++;
		*rc = 0;
	} else {
		ctrl->stats.err++;
		*rc = -EIO;
	}
	return 1;
}

static void wait_a_little(const struct virtio_net_ctrl *ctrl)
{
	struct timespec ts = {
		.tv_sec = ctrl->poll_interval_us / 1000000u,
		.tv_nsec = (long)(ctrl->poll_interval_us % 1000000u) * 1000,
	};

	if (ctrl->poll != NULL)
		ctrl->poll(ctrl->poll_ctx);
	else
		nanosleep(&ts, NULL);
}

int virtio_net_ctrl_send(struct virtio_net_ctrl *ctrl, uint8_t cls, uint8_t cmd,
			 const void *data, uint32_t len, uint32_t timeout_ms)
{
	struct ctrl_slot *slot = NULL;
	struct vq_buf bufs[3];
	uint16_t n_out = 0;
	uint64_t deadline;
	bool done = false;
	unsigned int i;
	int rc = 0, got;

	if (ctrl == NULL || len > VIRTIO_NET_CTRL_DATA_MAX || (len > 0 && data == NULL))
		return -EINVAL;

	/* Late answers first: they free the slots of abandoned commands. */
	while ((got = reap_one(ctrl, &done, &rc)) == 1)
		;
	if (got < 0)
		return got;

	for (i = 0; i < VIRTIO_NET_CTRL_SLOTS; i++) {
		if (ctrl->slots[i].state == SLOT_FREE) {
			slot = &ctrl->slots[i];
			break;
		}
	}
	if (slot == NULL)
		return -EBUSY;

	slot->mem->cls = cls;
	slot->mem->cmd = cmd;
	if (len > 0)
		memcpy(slot->mem->data, data, len);
	slot->mem->ack = ACK_POISON;

	/* Header, data, ack: each its own buffer, as Linux and DPDK lay it out. */
	bufs[n_out++] = (struct vq_buf){ slot->dev_addr + offsetof(struct ctrl_slot_mem, cls), 2 };
	if (len > 0)
		bufs[n_out++] = (struct vq_buf){
			slot->dev_addr + offsetof(struct ctrl_slot_mem, data), len };
	bufs[n_out] = (struct vq_buf){ slot->dev_addr + offsetof(struct ctrl_slot_mem, ack), 1 };
	rc = vq_add(ctrl->vq, bufs, n_out, 1, slot, 0);
	if (rc < 0)
		return rc;
	slot->state = SLOT_WAITING;
	vq_kick(ctrl->vq);

	deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;
	for (;;) {
		got = reap_one(ctrl, &done, &rc);
		if (got < 0) {
			/*
			 * The ring is broken: nothing will come back through it.
			 * The slot stays abandoned until the queue is reset.
			 */
			slot->state = SLOT_ABANDONED;
			return got;
		}
		if (done)
			return rc;
		if (got == 1)
			continue; /* a late one: look again at once */
		if (now_ns() >= deadline)
			break;
		wait_a_little(ctrl);
	}
	slot->state = SLOT_ABANDONED;
	ctrl->stats.timeout++;
	return -ETIMEDOUT;
}

int virtio_net_ctrl_rx_mode(struct virtio_net_ctrl *ctrl, uint8_t cmd, bool on,
			    uint32_t timeout_ms)
{
	uint8_t v = on ? 1 : 0;

	return virtio_net_ctrl_send(ctrl, VIRTIO_NET_CTRL_RX, cmd, &v, sizeof(v), timeout_ms);
}

int virtio_net_ctrl_mac_addr_set(struct virtio_net_ctrl *ctrl, const uint8_t mac[6],
				 uint32_t timeout_ms)
{
	return virtio_net_ctrl_send(ctrl, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, mac,
				    6, timeout_ms);
}

int virtio_net_ctrl_vlan(struct virtio_net_ctrl *ctrl, bool add, uint16_t vid,
			 uint32_t timeout_ms)
{
	uint16_t le = htole16(vid);

	if (vid > VIRTIO_NET_VLAN_ID_MAX)
		return -EINVAL;
	return virtio_net_ctrl_send(ctrl, VIRTIO_NET_CTRL_VLAN,
				    add ? VIRTIO_NET_CTRL_VLAN_ADD : VIRTIO_NET_CTRL_VLAN_DEL, &le,
				    sizeof(le), timeout_ms);
}

int virtio_net_ctrl_mq_pairs_set(struct virtio_net_ctrl *ctrl, uint16_t pairs,
				 uint32_t timeout_ms)
{
	uint16_t le = htole16(pairs);

	if (pairs < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN || pairs > VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX)
		return -EINVAL;
	return virtio_net_ctrl_send(ctrl, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &le,
				    sizeof(le), timeout_ms);
}

unsigned int virtio_net_ctrl_inflight(const struct virtio_net_ctrl *ctrl)
{
	unsigned int i, n = 0;

	for (i = 0; i < VIRTIO_NET_CTRL_SLOTS; i++)
		n += ctrl->slots[i].state != SLOT_FREE;
	return n;
}

const struct virtio_net_ctrl_stats *virtio_net_ctrl_get_stats(const struct virtio_net_ctrl *ctrl)
{
	return &ctrl->stats;
}

const char *virtio_net_ctrl_class_name(uint8_t cls)
{
	static const char *const names[] = {
		[VIRTIO_NET_CTRL_RX] = "RX",
		[VIRTIO_NET_CTRL_MAC] = "MAC",
		[VIRTIO_NET_CTRL_VLAN] = "VLAN",
		[VIRTIO_NET_CTRL_ANNOUNCE] = "ANNOUNCE",
		[VIRTIO_NET_CTRL_MQ] = "MQ",
		[VIRTIO_NET_CTRL_GUEST_OFFLOADS] = "GUEST_OFFLOADS",
	};

	return cls < sizeof(names) / sizeof(names[0]) ? names[cls] : NULL;
}
