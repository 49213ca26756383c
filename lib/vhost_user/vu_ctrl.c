/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The virtio-net control queue, device side, played by the frontend.
 *
 * A vhost-user backend serves the data queues only: in this architecture
 * the control queue belongs to the frontend (QEMU's virtio-net, DPDK's
 * virtio_user_handle_cq), and DPDK 22.11's vhost has no code for it at
 * all. So when the driver kicks the control queue, we read the chains it
 * made available straight from the ring memory, apply the commands, write
 * the acks and the used entries.
 *
 * The driver is not trusted any more than a device trusts it: every index
 * and length is checked before use, a chain is walked at most ring-size
 * descriptors, and every buffer must lie inside the memory regions the
 * driver declared (what it would send the backend). Fields of the ring are
 * read once into locals. A malformed chain is answered VIRTIO_NET_ERR
 * when it has a writable byte for the ack, else returned with length 0;
 * a ring that cannot be walked on stops the queue until a reset.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "vu_internal.h"

#define READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

static bool has(const struct vu_ctrl *c, unsigned int bit)
{
	return (c->features >> bit) & 1;
}

static bool negotiated(const struct vu_ctrl *c)
{
	return c->enabled && has(c, VIRTIO_NET_F_CTRL_VQ);
}

void vu_ctrl_reset(struct vhost_user *vu)
{
	struct vu_ctrl *c = &vu->ctrl;
	uint64_t ok = c->st.cmds_ok, err = c->st.cmds_err, bad = c->st.chains_bad;

	c->features = 0;
	c->active = false;
	c->broken = false;
	memset(&c->st, 0, sizeof(c->st));
	/* QEMU's virtio_net_reset: promiscuous "for compatibility", no filters. */
	c->st.promisc = true;
	c->st.queue_pairs = 1;
	c->st.cmds_ok = ok;
	c->st.cmds_err = err;
	c->st.chains_bad = bad;
}

uint64_t vu_ctrl_offer(const struct vhost_user *vu, uint64_t backend)
{
	uint64_t f = backend & ~VU_CTRL_DEPENDENT_FEATURES;

	if (!vu->ctrl.enabled)
		return f;
	f |= VU_CTRL_FEATURES;
	/* More than one pair is worth MQ; the pairs are the backend's (GET_QUEUE_NUM). */
	if (vu->queue_num > 1)
		f |= VIRTIO_BIT(VIRTIO_NET_F_MQ);
	return f;
}

uint64_t vu_ctrl_set_features(struct vhost_user *vu, uint64_t features)
{
	uint64_t to_backend = features & ~VU_CTRL_FEATURES;

	vu->ctrl.features = features;
	vu->ctrl.st.negotiated = negotiated(&vu->ctrl);
	/*
	 * The backend refuses bits it did not offer (DPDK: "received invalid
	 * negotiated features"). MQ goes through when it offered it: DPDK's
	 * vhost drops every ring pair but the first without it.
	 */
	if (!(vu->backend_features & VIRTIO_BIT(VIRTIO_NET_F_MQ)))
		to_backend &= ~VIRTIO_BIT(VIRTIO_NET_F_MQ);
	return to_backend;
}

static uint16_t ctrl_index(const struct vhost_user *vu)
{
	/* 5.1.2: controlq is 2N, N = max_virtqueue_pairs with MQ, else 1. */
	return has(&vu->ctrl, VIRTIO_NET_F_MQ) ? (uint16_t)(2 * vu->queue_num) : 2;
}

bool vu_ctrl_is_queue(const struct vhost_user *vu, uint16_t index)
{
	return negotiated(&vu->ctrl) && index == ctrl_index(vu);
}

uint16_t vu_ctrl_data_queue_limit(const struct vhost_user *vu)
{
	return negotiated(&vu->ctrl) ? ctrl_index(vu) : (uint16_t)(2 * vu->queue_num);
}

bool vu_ctrl_ring_allowed(const struct vhost_user *vu, uint16_t index)
{
	/* 5.1.6.5.5: with MQ the device starts with one pair, until VQ_PAIRS_SET. */
	if (!negotiated(&vu->ctrl) || !has(&vu->ctrl, VIRTIO_NET_F_MQ))
		return true;
	return index / 2 < vu->ctrl.st.queue_pairs;
}

int vhost_user_ctrl_queue_index(const struct vhost_user *vu)
{
	if (vu == NULL || !negotiated(&vu->ctrl))
		return -ENOTSUP;
	return ctrl_index(vu);
}

int vhost_user_ctrl_get_state(const struct vhost_user *vu, struct vhost_user_ctrl_state *out)
{
	if (vu == NULL || out == NULL)
		return -EINVAL;
	*out = vu->ctrl.st;
	return 0;
}

/* @mac is one of the first @count (at most the kept) entries of @table. */
static bool mac_in(const uint8_t (*table)[6], uint32_t count, const uint8_t *mac)
{
	uint32_t i;

	for (i = 0; i < count && i < VHOST_USER_CTRL_MAC_TABLE_MAX; i++)
		if (memcmp(table[i], mac, 6) == 0)
			return true;
	return false;
}

bool vhost_user_ctrl_rx_accept(const struct vhost_user_ctrl_state *st, const uint8_t *frame,
			       uint32_t len, bool vlan_filter)
{
	static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	if (st->promisc)
		return true;
	if (len < 14)
		return false;
	if (vlan_filter && frame[12] == 0x81 && frame[13] == 0x00) {
		if (len < 16 ||
		    !vhost_user_ctrl_vlan_isset(st, (uint16_t)(((frame[14] << 8) | frame[15]) & 0xfff)))
			return false;
	}
	if (frame[0] & 1) {
		if (memcmp(frame, broadcast, 6) == 0 || st->allmulti)
			return true;
		/* More entries than the table keeps: the device takes the whole class. */
		return st->mc_count > VHOST_USER_CTRL_MAC_TABLE_MAX ||
		       mac_in(st->mc, st->mc_count, frame);
	}
	if (st->mac_set && memcmp(frame, st->mac, 6) == 0)
		return true;
	return st->uc_count > VHOST_USER_CTRL_MAC_TABLE_MAX || mac_in(st->uc, st->uc_count, frame);
}

int vu_ctrl_setup(struct vhost_user *vu, struct virtqueue *vq)
{
	struct vu_ctrl *c = &vu->ctrl;
	struct vq_ring_addrs ring;
	struct vq_position pos;

	if (vu->sock_fd < 0)
		return -ENOTCONN;
	if (c->active)
		return -EBUSY;
	if (vq_get_layout(vq) == VQ_LAYOUT_PACKED) {
		if (!has(c, VIRTIO_F_RING_PACKED))
			return -EINVAL;
	} else if (has(c, VIRTIO_F_RING_PACKED)) {
		return -EINVAL;
	}
	/*
	 * The ring is in this process: its addresses are ours to use, as a
	 * backend would use the ones SET_VRING_ADDR gives it. We start where
	 * the driver's used side is, as SET_VRING_BASE would say.
	 */
	vq_ring_addrs(vq, &ring);
	vq_get_position(vq, &pos);
	c->layout = vq_get_layout(vq);
	c->size = vq_size(vq);
	c->desc = ring.desc;
	c->driver_area = ring.driver_area;
	c->device_area = ring.device_area;
	c->last_avail = pos.used_idx;
	c->avail_wrap = pos.used_wrap;
	c->used_idx = pos.used_idx;
	c->used_wrap = pos.used_wrap;
	c->broken = false;
	c->active = true;
	c->st.queue_active = true;
	c->st.broken = false;
	return 0;
}

void vu_ctrl_teardown(struct vhost_user *vu)
{
	vu->ctrl.active = false;
	vu->ctrl.st.queue_active = false;
}

/* The driver's address of a buffer, as a pointer here; NULL if outside every region. */
static void *translate(const struct vhost_user *vu, uint64_t addr, uint32_t len)
{
	unsigned int i;

	for (i = 0; i < vu->n_regions; i++) {
		const struct vhost_user_mem_region *r = &vu->regions[i];
		uint64_t off = addr - r->guest_addr;

		if (addr < r->guest_addr || off >= r->size || len > r->size - off)
			continue;
		return (void *)(uintptr_t)(r->user_addr + off);
	}
	return NULL;
}

/* A chain being walked: the readable bytes gathered, and where the ack goes. */
struct walk {
	uint32_t n_read;
	uint8_t *ack;      /* first writable byte; NULL until one is seen */
	bool seen_write;
	bool malformed;
};

/* One descriptor of a chain (both layouts come here with its fields read once). */
static void walk_buf(struct vhost_user *vu, struct walk *w, uint64_t addr, uint32_t len,
		     uint16_t flags)
{
	void *p;

	if (flags & VRING_DESC_F_INDIRECT) {
		/* We never offer indirect descriptors for this queue's purpose; refuse them. */
		w->malformed = true;
		return;
	}
	if (len == 0)
		return;
	p = translate(vu, addr, len);
	if (p == NULL) {
		w->malformed = true;
		return;
	}
	if (flags & VRING_DESC_F_WRITE) {
		if (!w->seen_write)
			w->ack = p;
		w->seen_write = true;
		return;
	}
	/* 2.7.4.2 / 2.8.x: readable buffers all come before the writable ones. */
	if (w->seen_write || len > VU_CTRL_CMD_MAX - w->n_read) {
		w->malformed = true;
		return;
	}
	memcpy(vu->ctrl.cmd + w->n_read, p, len);
	w->n_read += len;
}

static int apply_pairs(struct vhost_user *vu, uint16_t pairs)
{
	uint16_t i, limit = vu_ctrl_data_queue_limit(vu);
	int ret = 0;

	for (i = 0; i < limit && i < VHOST_USER_MAX_QUEUES; i++) {
		struct vu_queue *q = &vu->queues[i];
		bool want = i / 2 < pairs;
		struct vu_vring_state state = { .index = i, .num = want };

		if (!q->active || q->enabled == want)
			continue;
		if (!vu_protocol_features_on(vu))
			return -ENOTSUP; /* rings cannot be switched one by one */
		ret = vu_request(vu, VHOST_USER_SET_VRING_ENABLE, &state, sizeof(state), NULL, 0,
				 NULL, 0);
		if (ret)
			return ret;
		q->enabled = want;
	}
	vu->ctrl.st.queue_pairs = pairs;
	return 0;
}

static uint32_t le32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static uint16_t le16_at(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

/* MAC_TABLE_SET: le32 n, n MACs, le32 m, m MACs, and nothing more (5.1.6.5.2). */
static bool mac_table_set(struct vu_ctrl *c, const uint8_t *d, uint32_t len)
{
	uint64_t n, m, off;
	uint32_t i;

	if (len < 4)
		return false;
	n = le32_at(d);
	off = 4 + 6 * n;
	if (off + 4 > len)
		return false;
	m = le32_at(d + off);
	if (off + 4 + 6 * m != len)
		return false;
	c->st.uc_count = (uint32_t)n;
	c->st.mc_count = (uint32_t)m;
	for (i = 0; i < n && i < VHOST_USER_CTRL_MAC_TABLE_MAX; i++)
		memcpy(c->st.uc[i], d + 4 + 6 * i, 6);
	for (i = 0; i < m && i < VHOST_USER_CTRL_MAC_TABLE_MAX; i++)
		memcpy(c->st.mc[i], d + off + 4 + 6 * i, 6);
	return true;
}

/* Apply the command gathered in c->cmd; returns the ack. */
static uint8_t apply(struct vhost_user *vu, uint32_t n)
{
	struct vu_ctrl *c = &vu->ctrl;
	const uint8_t *d = c->cmd + 2;
	uint32_t len = n - 2;
	uint16_t v;

	if (n < 2)
		return VIRTIO_NET_ERR;
	switch (c->cmd[0]) {
	case VIRTIO_NET_CTRL_RX:
		if (!has(c, VIRTIO_NET_F_CTRL_RX) || len != 1)
			return VIRTIO_NET_ERR;
		if (c->cmd[1] == VIRTIO_NET_CTRL_RX_PROMISC)
			c->st.promisc = d[0] != 0;
		else if (c->cmd[1] == VIRTIO_NET_CTRL_RX_ALLMULTI)
			c->st.allmulti = d[0] != 0;
		else
			return VIRTIO_NET_ERR; /* the CTRL_RX_EXTRA ones: not offered */
		return VIRTIO_NET_OK;
	case VIRTIO_NET_CTRL_MAC:
		if (c->cmd[1] == VIRTIO_NET_CTRL_MAC_ADDR_SET) {
			if (!has(c, VIRTIO_NET_F_CTRL_MAC_ADDR) || len != 6)
				return VIRTIO_NET_ERR;
			memcpy(c->st.mac, d, 6);
			c->st.mac_set = true;
			return VIRTIO_NET_OK;
		}
		if (c->cmd[1] == VIRTIO_NET_CTRL_MAC_TABLE_SET && has(c, VIRTIO_NET_F_CTRL_RX))
			return mac_table_set(c, d, len) ? VIRTIO_NET_OK : VIRTIO_NET_ERR;
		return VIRTIO_NET_ERR;
	case VIRTIO_NET_CTRL_VLAN:
		if (!has(c, VIRTIO_NET_F_CTRL_VLAN) || len != 2)
			return VIRTIO_NET_ERR;
		v = le16_at(d);
		if (v > VIRTIO_NET_VLAN_ID_MAX)
			return VIRTIO_NET_ERR;
		if (c->cmd[1] == VIRTIO_NET_CTRL_VLAN_ADD) {
			if (!vhost_user_ctrl_vlan_isset(&c->st, v))
				c->st.vlan_count++;
			c->st.vlans[v / 32] |= 1u << (v % 32);
		} else if (c->cmd[1] == VIRTIO_NET_CTRL_VLAN_DEL) {
			if (vhost_user_ctrl_vlan_isset(&c->st, v))
				c->st.vlan_count--;
			c->st.vlans[v / 32] &= ~(1u << (v % 32));
		} else {
			return VIRTIO_NET_ERR;
		}
		return VIRTIO_NET_OK;
	case VIRTIO_NET_CTRL_MQ:
		if (!has(c, VIRTIO_NET_F_MQ) || c->cmd[1] != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET ||
		    len != 2)
			return VIRTIO_NET_ERR;
		v = le16_at(d);
		/* 5.1.6.5.5: between 1 and max_virtqueue_pairs, the backend's queue pairs. */
		if (v < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN || v > vu->queue_num)
			return VIRTIO_NET_ERR;
		return apply_pairs(vu, v) == 0 ? VIRTIO_NET_OK : VIRTIO_NET_ERR;
	default:
		return VIRTIO_NET_ERR;
	}
}

/* Answer a walked chain; returns the used length. */
static uint32_t answer(struct vhost_user *vu, struct walk *w)
{
	struct vu_ctrl *c = &vu->ctrl;
	uint8_t ack;

	if (w->ack == NULL) {
		/* Nowhere to say anything: give the buffers back, written 0 bytes. */
		c->st.chains_bad++;
		return 0;
	}
	if (w->malformed) {
		c->st.chains_bad++;
		ack = VIRTIO_NET_ERR;
	} else {
		ack = apply(vu, w->n_read);
	}
	if (ack == VIRTIO_NET_OK)
		c->st.cmds_ok++;
	else
		c->st.cmds_err++;
	*w->ack = ack;
	return 1;
}

static void stop_queue(struct vu_ctrl *c)
{
	c->broken = true;
	c->st.broken = true;
	c->st.chains_bad++;
}

static void process_split(struct vhost_user *vu)
{
	struct vu_ctrl *c = &vu->ctrl;
	struct vring_desc *desc = c->desc;
	struct vring_avail *avail = c->driver_area;
	struct vring_used *used = c->device_area;
	uint16_t avail_idx, head, i, n, flags;
	struct walk w;
	uint32_t len;

	/* 2.7.13.3: the driver stored the ring entries, then idx (release); acquire pairs. */
	avail_idx = le16toh(__atomic_load_n(&avail->idx, __ATOMIC_ACQUIRE));
	if ((uint16_t)(avail_idx - c->last_avail) > c->size) {
		stop_queue(c); /* the index jumped: nothing after it can be trusted */
		return;
	}
	while (c->last_avail != avail_idx) {
		head = le16toh(READ_ONCE(avail->ring[c->last_avail & (c->size - 1)]));
		if (head >= c->size) {
			stop_queue(c); /* no chain to name in a used entry */
			return;
		}
		memset(&w, 0, sizeof(w));
		for (i = head, n = 0;; n++) {
			uint64_t addr = le64toh(READ_ONCE(desc[i].addr));
			uint32_t dlen = le32toh(READ_ONCE(desc[i].len));
			uint16_t next = le16toh(READ_ONCE(desc[i].next));

			flags = le16toh(READ_ONCE(desc[i].flags));
			/* 2.7.5.1: no chain is longer than the ring: this bounds a loop. */
			if (n == c->size) {
				w.malformed = true;
				break;
			}
			walk_buf(vu, &w, addr, dlen, flags);
			if (!(flags & VRING_DESC_F_NEXT))
				break;
			if (next >= c->size) {
				w.malformed = true;
				break;
			}
			i = next;
		}
		len = answer(vu, &w);
		used->ring[c->used_idx & (c->size - 1)].id = htole32(head);
		used->ring[c->used_idx & (c->size - 1)].len = htole32(len);
		c->used_idx++;
		c->last_avail++;
	}
	/* 2.7.8.2: the used entries are visible before idx moves past them. */
	__atomic_store_n(&used->idx, htole16(c->used_idx), __ATOMIC_RELEASE);
	/*
	 * 2.7.10: with EVENT_IDX the driver notifies only when its index
	 * passes avail_event. We process at each notification, so ask for
	 * the next one: the entry after the last we took.
	 */
	if (has(c, VIRTIO_RING_F_EVENT_IDX)) {
		uint16_t *avail_event = (uint16_t *)(void *)&used->ring[c->size];

		__atomic_store_n(avail_event, htole16(c->last_avail), __ATOMIC_RELEASE);
	}
}

static void advance(uint16_t size, uint16_t *slot, bool *wrap, uint16_t by)
{
	*slot = (uint16_t)(*slot + by);
	if (*slot >= size) {
		*slot = (uint16_t)(*slot - size);
		*wrap = !*wrap;
	}
}

/* A packed descriptor with these flags is available under wrap counter @wrap (2.8.1). */
static bool packed_avail(uint16_t flags, bool wrap)
{
	bool a = (flags & VRING_PACKED_DESC_F_AVAIL) != 0;
	bool u = (flags & VRING_PACKED_DESC_F_USED) != 0;

	return a == wrap && u != wrap;
}

static void process_packed(struct vhost_user *vu)
{
	struct vu_ctrl *c = &vu->ctrl;
	struct vring_packed_desc *desc = c->desc;
	uint16_t flags, id = 0, n, slot, used_flags;
	struct walk w;
	uint32_t len;
	bool wrap;

	for (;;) {
		/* 2.8.21.2 (device side): read the descriptor only once its flags say available. */
		flags = le16toh(__atomic_load_n(&desc[c->last_avail].flags, __ATOMIC_ACQUIRE));
		if (!packed_avail(flags, c->avail_wrap))
			return;
		memset(&w, 0, sizeof(w));
		slot = c->last_avail;
		wrap = c->avail_wrap;
		for (n = 1;; n++) {
			uint64_t addr = le64toh(READ_ONCE(desc[slot].addr));
			uint32_t dlen = le32toh(READ_ONCE(desc[slot].len));

			id = le16toh(READ_ONCE(desc[slot].id));
			walk_buf(vu, &w, addr, dlen, flags);
			if (!(flags & VRING_DESC_F_NEXT))
				break;
			/*
			 * The chain goes on in the next slot, which the driver made
			 * available before the head. One that runs past the ring or
			 * into a slot that is not available leaves us no way to know
			 * where the next chain starts.
			 */
			if (n == c->size) {
				stop_queue(c);
				return;
			}
			advance(c->size, &slot, &wrap, 1);
			flags = le16toh(__atomic_load_n(&desc[slot].flags, __ATOMIC_ACQUIRE));
			if (!packed_avail(flags, wrap)) {
				stop_queue(c);
				return;
			}
		}
		/* The buffer id (the chain's last descriptor's, 2.8.6) is the driver's: echoed. */
		len = answer(vu, &w);
		/* The used descriptor goes where the chain's head was; id and len first. */
		desc[c->used_idx].id = htole16(id);
		desc[c->used_idx].len = htole32(len);
		used_flags = c->used_wrap ? (VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED) : 0;
		if (len)
			used_flags |= VRING_DESC_F_WRITE;
		/* 2.8.21.2: the flags store (release) hands the descriptor back last. */
		__atomic_store_n(&desc[c->used_idx].flags, htole16(used_flags), __ATOMIC_RELEASE);
		advance(c->size, &c->used_idx, &c->used_wrap, n);
		advance(c->size, &c->last_avail, &c->avail_wrap, n);
	}
}

int vu_ctrl_notify(struct vhost_user *vu)
{
	struct vu_ctrl *c = &vu->ctrl;

	if (!c->active)
		return -ENOTCONN;
	if (c->broken)
		return 0;
	if (c->layout == VQ_LAYOUT_SPLIT)
		process_split(vu);
	else
		process_packed(vu);
	/*
	 * No used-buffer notification: the driver polls this queue (it waits
	 * in the same thread that kicked it), and its call eventfd would have
	 * nobody reading it.
	 */
	return 0;
}

json_t *vu_ctrl_to_json(const struct vhost_user *vu)
{
	const struct vhost_user_ctrl_state *st = &vu->ctrl.st;
	json_t *obj, *vlans;
	char mac[18];
	unsigned int v;

	vlans = json_array();
	if (vlans == NULL)
		return NULL;
	for (v = 0; v <= VIRTIO_NET_VLAN_ID_MAX; v++)
		if (vhost_user_ctrl_vlan_isset(st, (uint16_t)v))
			json_array_append_new(vlans, json_integer(v));
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", st->mac[0], st->mac[1],
		 st->mac[2], st->mac[3], st->mac[4], st->mac[5]);
	obj = json_pack("{s:b, s:b, s:b, s:b, s:b, s:o, s:i, s:i, s:o, s:i, s:I, s:I, s:I}",
			"negotiated", st->negotiated, "queue_active", st->queue_active,
			"broken", st->broken, "promisc", st->promisc, "allmulti", st->allmulti,
			"mac", st->mac_set ? json_string(mac) : json_null(),
			"uc_count", (int)st->uc_count, "mc_count", (int)st->mc_count,
			"vlans", vlans, "queue_pairs", (int)st->queue_pairs,
			"cmds_ok", (json_int_t)st->cmds_ok, "cmds_err", (json_int_t)st->cmds_err,
			"chains_bad", (json_int_t)st->chains_bad);
	return obj;
}
