/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The virtio transport ops of the vhost-user frontend: what the virtio
 * core asks of a device (status, features, queues, kicks) said in
 * vhost-user requests.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <vpmd/virtio_spec.h>

#include "vu_internal.h"

/* Feature bits that belong to vhost-user, not to the virtio device. */
#define VU_VHOST_FEATURES                                                     \
	(VIRTIO_BIT(VHOST_USER_F_PROTOCOL_FEATURES) | VIRTIO_BIT(VHOST_F_LOG_ALL))

static struct vhost_user *vu_of(const struct virtio_dev *dev)
{
	return dev->transport;
}

/* GET/SET_CONFIG need the CONFIG protocol feature and a range the message can carry. */
static int config_access_check(const struct vhost_user *vu, uint32_t offset, uint32_t len)
{
	if (!vu_has_protocol(vu, VHOST_USER_PROTOCOL_F_CONFIG))
		return vu->sock_fd < 0 ? -ENOTCONN : -ENOTSUP;
	if (len == 0 || len > VHOST_USER_MAX_CONFIG_SIZE ||
	    offset > VHOST_USER_MAX_CONFIG_SIZE - len)
		return -EINVAL;
	return 0;
}

static int vu_read_config(struct virtio_dev *dev, uint32_t offset, void *buf, uint32_t len)
{
	struct vhost_user *vu = vu_of(dev);
	struct vu_config req, reply;
	int ret;

	ret = config_access_check(vu, offset, len);
	if (ret)
		goto out;
	memset(&req, 0, sizeof(req));
	req.offset = offset;
	req.size = len;
	ret = vu_request(vu, VHOST_USER_GET_CONFIG, &req, VU_CONFIG_HDR_SIZE + len, NULL, 0,
			 &reply, VU_CONFIG_HDR_SIZE + len);
	if (ret)
		goto out;
	memcpy(buf, reply.region, len);
out:
	return ret;
}

int vhost_user_set_mtu(struct vhost_user *vu, uint16_t mtu)
{
	uint64_t value = mtu;

	if (vu->sock_fd < 0)
		return -ENOTCONN;
	if (!vu_has_protocol(vu, VHOST_USER_PROTOCOL_F_NET_MTU))
		return -ENOTSUP;
	return vu_request(vu, VHOST_USER_NET_SET_MTU, &value, sizeof(value), NULL, 0, NULL, 0);
}

static int vu_write_config(struct virtio_dev *dev, uint32_t offset, const void *buf,
			   uint32_t len)
{
	struct vhost_user *vu = vu_of(dev);
	struct vu_config req;
	int ret;

	ret = config_access_check(vu, offset, len);
	if (ret)
		goto out;
	memset(&req, 0, sizeof(req));
	req.offset = offset;
	req.size = len;
	req.flags = 0; /* VHOST_SET_CONFIG_TYPE_FRONTEND */
	memcpy(req.region, buf, len);
	ret = vu_request(vu, VHOST_USER_SET_CONFIG, &req, VU_CONFIG_HDR_SIZE + len, NULL, 0, NULL,
			 0);
out:
	return ret;
}

static int vu_get_status(struct virtio_dev *dev, uint8_t *status)
{
	struct vhost_user *vu = vu_of(dev);
	uint64_t value;
	int ret = 0;

	if (vu->sock_fd < 0) {
		ret = -ENOTCONN;
		goto out;
	}
	/* Without the STATUS protocol feature the backend has no status: it is ours. */
	if (!vu_has_protocol(vu, VHOST_USER_PROTOCOL_F_STATUS)) {
		*status = vu->status;
		goto out;
	}
	ret = vu_request(vu, VHOST_USER_GET_STATUS, NULL, 0, NULL, 0, &value, sizeof(value));
	if (ret)
		goto out;
	if (value > UINT8_MAX) {
		ret = -EPROTO;
		goto out;
	}
	vu->status = (uint8_t)value;
	*status = vu->status;
out:
	return ret;
}

static int vu_set_status(struct virtio_dev *dev, uint8_t status)
{
	struct vhost_user *vu = vu_of(dev);
	uint64_t value = status;
	int ret = 0;

	if (vu->sock_fd < 0) {
		ret = -ENOTCONN;
		goto out;
	}
	if (vu_has_protocol(vu, VHOST_USER_PROTOCOL_F_STATUS)) {
		ret = vu_request(vu, VHOST_USER_SET_STATUS, &value, sizeof(value), NULL, 0, NULL,
				 0);
		if (ret)
			goto out;
	}
	vu->status = status;
out:
	return ret;
}

static int vu_reset(struct virtio_dev *dev)
{
	struct vhost_user *vu = vu_of(dev);
	int ret;

	if (vu->sock_fd < 0) {
		ret = -ENOTCONN;
		goto out;
	}
	ret = vu_stop_all_queues(vu);
	if (ret)
		goto out;
	if (vu_has_protocol(vu, VHOST_USER_PROTOCOL_F_RESET_DEVICE)) {
		ret = vu_request(vu, VHOST_USER_RESET_DEVICE, NULL, 0, NULL, 0, NULL, 0);
		if (ret)
			goto out;
		/* The backend forgot everything about the device, memory table included. */
		vu->mem_table_sent = false;
	}
	ret = vu_set_status(dev, 0);
	/* The device's control state (RX mode, MAC, VLANs, pairs) goes with the reset. */
	vu_ctrl_reset(vu);
out:
	return ret;
}

static int vu_get_features(struct virtio_dev *dev, uint64_t *features)
{
	struct vhost_user *vu = vu_of(dev);
	uint64_t value;
	int ret;

	ret = vu_request(vu, VHOST_USER_GET_FEATURES, NULL, 0, NULL, 0, &value, sizeof(value));
	if (ret)
		goto out;
	/*
	 * Bit 30 decided at connect time whether protocol features are in
	 * use; a backend that changes its mind now is not to be followed.
	 */
	if ((value ^ vu->backend_features) & VIRTIO_BIT(VHOST_USER_F_PROTOCOL_FEATURES)) {
		ret = -EPROTO;
		goto out;
	}
	vu->backend_features = value;
	*features = vu_ctrl_offer(vu, value & ~VU_VHOST_FEATURES);
out:
	return ret;
}

static int vu_set_features(struct virtio_dev *dev, uint64_t features)
{
	struct vhost_user *vu = vu_of(dev);
	uint64_t value;
	int ret;

	if (features & VU_VHOST_FEATURES) {
		ret = -EINVAL;
		goto out;
	}
	/* The control queue is ours: its bits are not the backend's business. */
	value = vu_ctrl_set_features(vu, features);
	if (vu_protocol_features_on(vu))
		value |= VIRTIO_BIT(VHOST_USER_F_PROTOCOL_FEATURES);
	ret = vu_request(vu, VHOST_USER_SET_FEATURES, &value, sizeof(value), NULL, 0, NULL, 0);
out:
	return ret;
}

static int vu_get_queue_max(struct virtio_dev *dev, uint16_t index, uint16_t *max_size)
{
	struct vhost_user *vu = vu_of(dev);
	int ret = 0;

	if (vu->sock_fd < 0) {
		ret = -ENOTCONN;
		goto out;
	}
	/*
	 * A net backend reports queue pairs; each pair is an rx and a tx
	 * virtqueue. The control queue, if any, is not the backend's.
	 */
	if (vu_ctrl_is_queue(vu, index))
		*max_size = VU_CTRL_QUEUE_SIZE_MAX;
	else
		*max_size = index < vu_ctrl_data_queue_limit(vu) ? vu->queue_size_max : 0;
out:
	return ret;
}

static int vu_new_eventfd(int *fd)
{
	/*
	 * Non-blocking on both sides: the flag belongs to the open file the
	 * backend receives too, so neither of us ever blocks on a full count.
	 */
	*fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return *fd < 0 ? -errno : 0;
}

static int vu_setup_queue(struct virtio_dev *dev, struct virtqueue *vq)
{
	struct vhost_user *vu = vu_of(dev);
	uint16_t index = vq_index(vq);
	struct vu_queue *q;
	struct vu_vring_state state;
	struct vu_vring_addr addr;
	struct vq_ring_addrs ring;
	struct vq_position pos;
	uint64_t u64;
	uint32_t base;
	int ret;

	if (vu->sock_fd < 0) {
		ret = -ENOTCONN;
		goto out;
	}
	/* The control queue stays here: nothing of it goes to the backend. */
	if (vu_ctrl_is_queue(vu, index))
		return vu_ctrl_setup(vu, vq);
	if (index >= VHOST_USER_MAX_QUEUES || index >= vu_ctrl_data_queue_limit(vu)) {
		ret = -EINVAL;
		goto out;
	}
	q = &vu->queues[index];
	if (q->active) {
		ret = -EBUSY;
		goto out;
	}
	if (!vu->mem_table_sent) {
		ret = vu_send_mem_table(vu);
		if (ret)
			goto out;
	}

	state = (struct vu_vring_state){ .index = index, .num = vq_size(vq) };
	ret = vu_request(vu, VHOST_USER_SET_VRING_NUM, &state, sizeof(state), NULL, 0, NULL, 0);
	if (ret)
		goto out;

	/*
	 * Where the backend starts: the next entry the driver will read back
	 * from the used side. On a new or reset queue that is also the next
	 * available entry. With chains in flight it is the right one: the
	 * backend walks them again from there, while starting at the avail
	 * index would make it write used entries past the driver's used index.
	 * Packed: bits 0-14 the index, bit 15 the wrap counter, and in bits
	 * 16-31 the same for the used side, which starts at the same place.
	 */
	vq_get_position(vq, &pos);
	if (vq_get_layout(vq) == VQ_LAYOUT_PACKED) {
		base = (pos.used_idx & 0x7fffu) | ((uint32_t)pos.used_wrap << 15);
		base |= base << 16;
	} else {
		base = pos.used_idx;
	}
	state = (struct vu_vring_state){ .index = index, .num = base };
	ret = vu_request(vu, VHOST_USER_SET_VRING_BASE, &state, sizeof(state), NULL, 0, NULL, 0);
	if (ret)
		goto out;

	/* vhost-user wants the rings' addresses in this process, not device addresses. */
	vq_ring_addrs(vq, &ring);
	memset(&addr, 0, sizeof(addr));
	addr.index = index;
	addr.flags = 0;
	addr.desc_user_addr = (uint64_t)(uintptr_t)ring.desc;
	addr.used_user_addr = (uint64_t)(uintptr_t)ring.device_area;
	addr.avail_user_addr = (uint64_t)(uintptr_t)ring.driver_area;
	ret = vu_request(vu, VHOST_USER_SET_VRING_ADDR, &addr, sizeof(addr), NULL, 0, NULL, 0);
	if (ret)
		goto out;

	if (q->kick_fd < 0) {
		ret = vu_new_eventfd(&q->kick_fd);
		if (ret)
			goto out;
	}
	/* The call fd outlives the connection: a new backend gets the same one. */
	ret = vu_call_fd_get(q);
	if (ret)
		goto out;
	u64 = index;
	ret = vu_request(vu, VHOST_USER_SET_VRING_KICK, &u64, sizeof(u64), &q->kick_fd, 1, NULL,
			 0);
	if (ret)
		goto out;
	ret = vu_request(vu, VHOST_USER_SET_VRING_CALL, &u64, sizeof(u64), &q->call_fd, 1, NULL,
			 0);
	if (ret)
		goto out;

	/*
	 * With protocol features rings start disabled; without, the kick
	 * enabled it. With MQ, pairs beyond those VQ_PAIRS_SET allows wait.
	 */
	if (!vu_protocol_features_on(vu)) {
		q->enabled = true;
	} else if (vu_ctrl_ring_allowed(vu, index)) {
		state = (struct vu_vring_state){ .index = index, .num = 1 };
		ret = vu_request(vu, VHOST_USER_SET_VRING_ENABLE, &state, sizeof(state), NULL, 0,
				 NULL, 0);
		if (ret)
			goto out;
		q->enabled = true;
	}
	q->active = true;
out:
	/* A half set-up queue is not left to the backend: its eventfds go on failure. */
	if (ret && index < VHOST_USER_MAX_QUEUES && vu->sock_fd >= 0 &&
	    !vu->queues[index].active)
		vu_forget_queue(&vu->queues[index]);
	return ret;
}

static int vu_teardown_queue(struct virtio_dev *dev, struct virtqueue *vq)
{
	struct vhost_user *vu = vu_of(dev);
	uint16_t index = vq_index(vq);
	int ret = 0;

	if (vu_ctrl_is_queue(vu, index)) {
		vu_ctrl_teardown(vu);
		goto out;
	}
	if (index >= VHOST_USER_MAX_QUEUES) {
		ret = -EINVAL;
		goto out;
	}
	if (!vu->queues[index].active)
		goto out;
	/* Not connected (then the queue is not active): handled above. */
	ret = vu_stop_queue(vu, index);
out:
	return ret;
}

static int vu_notify_queue(struct virtio_dev *dev, uint16_t index)
{
	struct vhost_user *vu = vu_of(dev);
	uint64_t one = 1;
	int fd;

	/* A kick of the control queue is answered here, at once (control path only). */
	if (vu_ctrl_is_queue(vu, index))
		return vu_ctrl_notify(vu);
	if (index >= VHOST_USER_MAX_QUEUES)
		return -EINVAL;
	fd = vu->queues[index].kick_fd;
	if (fd < 0)
		return -ENOTCONN;
	/* EAGAIN: the count is saturated, so a kick is pending anyway. */
	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

static json_t *vu_features_hex(uint64_t features)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%016" PRIx64, features);
	return json_string(buf);
}

static json_t *vu_protocol_names_json(uint64_t features)
{
	json_t *arr = json_array();
	const char *name;
	char buf[16];
	unsigned int bit;

	if (!arr)
		return NULL;
	for (bit = 0; bit < 64; bit++) {
		if (!((features >> bit) & 1))
			continue;
		name = vhost_user_protocol_feature_name(bit);
		if (!name) {
			snprintf(buf, sizeof(buf), "bit_%u", bit);
			name = buf;
		}
		if (json_array_append_new(arr, json_string(name))) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static json_t *vu_dump_json(const struct virtio_dev *dev)
{
	const struct vhost_user *vu = dev->transport;
	json_t *obj = NULL, *queues = NULL, *q = NULL;
	const char *req;
	unsigned int i;
	int err = 0;

	obj = json_object();
	queues = json_array();
	if (!obj || !queues)
		goto fail;
	err |= json_object_set_new(obj, "path", json_string(vu->path));
	err |= json_object_set_new(
		obj, "mode", json_string(vu->mode == VHOST_USER_MODE_SERVER ? "server" : "client"));
	err |= json_object_set_new(obj, "connected", json_boolean(vu->sock_fd >= 0));
	err |= json_object_set_new(obj, "backend_features",
				   vu_features_hex(vu->backend_features));
	err |= json_object_set_new(obj, "protocol_features_offered",
				   vu_features_hex(vu->protocol_offered));
	err |= json_object_set_new(obj, "protocol_features", vu_features_hex(vu->protocol));
	err |= json_object_set_new(obj, "protocol_feature_names",
				   vu_protocol_names_json(vu->protocol));
	err |= json_object_set_new(obj, "queue_num", json_integer(vu->queue_num));
	err |= json_object_set_new(obj, "reply_timeout_ms", json_integer(vu->reply_timeout_ms));
	err |= json_object_set_new(obj, "mem_regions", json_integer(vu->n_regions));
	err |= json_object_set_new(obj, "mem_updates", json_integer((json_int_t)vu->mem_updates));
	err |= json_object_set_new(obj, "mem_refused", json_integer((json_int_t)vu->mem_refused));
	if (vu->mem_refused)
		err |= json_object_set_new(obj, "mem_refused_error",
					   json_string(strerror(-vu->mem_refused_error)));
	if (vu->last_error) {
		req = vhost_user_request_name(vu->last_error_request);
		err |= json_object_set_new(obj, "last_error", json_string(strerror(-vu->last_error)));
		err |= json_object_set_new(obj, "last_error_request",
					   req ? json_string(req) : json_null());
	}
	for (i = 0; i < VHOST_USER_MAX_QUEUES; i++) {
		const struct vu_queue *vq = &vu->queues[i];

		if (!vq->active && !vq->has_base)
			continue;
		q = json_object();
		if (!q)
			goto fail;
		err |= json_object_set_new(q, "index", json_integer(i));
		err |= json_object_set_new(q, "active", json_boolean(vq->active));
		if (vq->has_base)
			err |= json_object_set_new(q, "last_base", json_integer(vq->last_base));
		err |= json_array_append_new(queues, q);
		q = NULL;
	}
	err |= json_object_set_new(obj, "queues", queues);
	queues = NULL;
	if (vu->ctrl.enabled)
		err |= json_object_set_new(obj, "ctrl", vu_ctrl_to_json(vu));
	if (err)
		goto fail;
	return obj;
fail:
	json_decref(q);
	json_decref(queues);
	json_decref(obj);
	return NULL;
}

const struct virtio_transport_ops vhost_user_ops = {
	.name = "vhost-user",
	.read_config = vu_read_config,
	.write_config = vu_write_config,
	.get_status = vu_get_status,
	.set_status = vu_set_status,
	.reset = vu_reset,
	.get_features = vu_get_features,
	.set_features = vu_set_features,
	.get_queue_max = vu_get_queue_max,
	.setup_queue = vu_setup_queue,
	.teardown_queue = vu_teardown_queue,
	.notify_queue = vu_notify_queue,
	.dump_json = vu_dump_json,
};
