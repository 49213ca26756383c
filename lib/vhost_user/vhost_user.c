/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost-user frontend: lifecycle, connection, handshake and the one
 * request/reply primitive every operation goes through.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vu_internal.h"

#define VU_DEFAULT_REPLY_TIMEOUT_MS 1500
#define VU_DEFAULT_CONNECT_TIMEOUT_MS 2000
#define VU_DEFAULT_QUEUE_SIZE_MAX 1024
/* A net backend with more queue pairs than fit in 8-bit vring indexes is lying. */
#define VU_QUEUE_NUM_MAX (VHOST_USER_MAX_QUEUES / 2)

static const char *const vu_request_names[VHOST_USER_REQUEST_MAX] = {
	[VHOST_USER_GET_FEATURES] = "GET_FEATURES",
	[VHOST_USER_SET_FEATURES] = "SET_FEATURES",
	[VHOST_USER_SET_OWNER] = "SET_OWNER",
	[VHOST_USER_RESET_OWNER] = "RESET_OWNER",
	[VHOST_USER_SET_MEM_TABLE] = "SET_MEM_TABLE",
	[VHOST_USER_SET_LOG_BASE] = "SET_LOG_BASE",
	[VHOST_USER_SET_LOG_FD] = "SET_LOG_FD",
	[VHOST_USER_SET_VRING_NUM] = "SET_VRING_NUM",
	[VHOST_USER_SET_VRING_ADDR] = "SET_VRING_ADDR",
	[VHOST_USER_SET_VRING_BASE] = "SET_VRING_BASE",
	[VHOST_USER_GET_VRING_BASE] = "GET_VRING_BASE",
	[VHOST_USER_SET_VRING_KICK] = "SET_VRING_KICK",
	[VHOST_USER_SET_VRING_CALL] = "SET_VRING_CALL",
	[VHOST_USER_SET_VRING_ERR] = "SET_VRING_ERR",
	[VHOST_USER_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
	[VHOST_USER_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
	[VHOST_USER_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
	[VHOST_USER_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
	[VHOST_USER_SEND_RARP] = "SEND_RARP",
	[VHOST_USER_NET_SET_MTU] = "NET_SET_MTU",
	[VHOST_USER_SET_BACKEND_REQ_FD] = "SET_BACKEND_REQ_FD",
	[VHOST_USER_IOTLB_MSG] = "IOTLB_MSG",
	[VHOST_USER_SET_VRING_ENDIAN] = "SET_VRING_ENDIAN",
	[VHOST_USER_GET_CONFIG] = "GET_CONFIG",
	[VHOST_USER_SET_CONFIG] = "SET_CONFIG",
	[VHOST_USER_CREATE_CRYPTO_SESSION] = "CREATE_CRYPTO_SESSION",
	[VHOST_USER_CLOSE_CRYPTO_SESSION] = "CLOSE_CRYPTO_SESSION",
	[VHOST_USER_POSTCOPY_ADVISE] = "POSTCOPY_ADVISE",
	[VHOST_USER_POSTCOPY_LISTEN] = "POSTCOPY_LISTEN",
	[VHOST_USER_POSTCOPY_END] = "POSTCOPY_END",
	[VHOST_USER_GET_INFLIGHT_FD] = "GET_INFLIGHT_FD",
	[VHOST_USER_SET_INFLIGHT_FD] = "SET_INFLIGHT_FD",
	[VHOST_USER_GPU_SET_SOCKET] = "GPU_SET_SOCKET",
	[VHOST_USER_RESET_DEVICE] = "RESET_DEVICE",
	[VHOST_USER_VRING_KICK] = "VRING_KICK",
	[VHOST_USER_GET_MAX_MEM_SLOTS] = "GET_MAX_MEM_SLOTS",
	[VHOST_USER_ADD_MEM_REG] = "ADD_MEM_REG",
	[VHOST_USER_REM_MEM_REG] = "REM_MEM_REG",
	[VHOST_USER_SET_STATUS] = "SET_STATUS",
	[VHOST_USER_GET_STATUS] = "GET_STATUS",
};

static const char *const vu_protocol_names[] = {
	[VHOST_USER_PROTOCOL_F_MQ] = "MQ",
	[VHOST_USER_PROTOCOL_F_LOG_SHMFD] = "LOG_SHMFD",
	[VHOST_USER_PROTOCOL_F_RARP] = "RARP",
	[VHOST_USER_PROTOCOL_F_REPLY_ACK] = "REPLY_ACK",
	[VHOST_USER_PROTOCOL_F_NET_MTU] = "NET_MTU",
	[VHOST_USER_PROTOCOL_F_BACKEND_REQ] = "BACKEND_REQ",
	[VHOST_USER_PROTOCOL_F_CROSS_ENDIAN] = "CROSS_ENDIAN",
	[VHOST_USER_PROTOCOL_F_CRYPTO_SESSION] = "CRYPTO_SESSION",
	[VHOST_USER_PROTOCOL_F_PAGEFAULT] = "PAGEFAULT",
	[VHOST_USER_PROTOCOL_F_CONFIG] = "CONFIG",
	[VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD] = "BACKEND_SEND_FD",
	[VHOST_USER_PROTOCOL_F_HOST_NOTIFIER] = "HOST_NOTIFIER",
	[VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD] = "INFLIGHT_SHMFD",
	[VHOST_USER_PROTOCOL_F_RESET_DEVICE] = "RESET_DEVICE",
	[VHOST_USER_PROTOCOL_F_INBAND_NOTIFICATIONS] = "INBAND_NOTIFICATIONS",
	[VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS] = "CONFIGURE_MEM_SLOTS",
	[VHOST_USER_PROTOCOL_F_STATUS] = "STATUS",
};

const char *vhost_user_request_name(uint32_t request)
{
	return request < VHOST_USER_REQUEST_MAX ? vu_request_names[request] : NULL;
}

const char *vhost_user_protocol_feature_name(unsigned int bit)
{
	if (bit >= sizeof(vu_protocol_names) / sizeof(vu_protocol_names[0]))
		return NULL;
	return vu_protocol_names[bit];
}

void vhost_user_config_init(struct vhost_user_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = VHOST_USER_MODE_CLIENT;
	cfg->reply_timeout_ms = VU_DEFAULT_REPLY_TIMEOUT_MS;
	cfg->connect_timeout_ms = VU_DEFAULT_CONNECT_TIMEOUT_MS;
	cfg->protocol_features = VHOST_USER_PROTOCOL_SUPPORTED;
	cfg->queue_size_max = VU_DEFAULT_QUEUE_SIZE_MAX;
}

int vhost_user_create(const struct vhost_user_config *cfg, struct vhost_user **out)
{
	struct vhost_user *vu = NULL;
	unsigned int i;
	int ret = 0;

	if (!cfg || !out || !cfg->path || !cfg->path[0] || cfg->reply_timeout_ms <= 0 ||
	    cfg->connect_timeout_ms < 0 || cfg->queue_size_max == 0 ||
	    (cfg->mode != VHOST_USER_MODE_CLIENT && cfg->mode != VHOST_USER_MODE_SERVER)) {
		ret = -EINVAL;
		goto out;
	}
	vu = calloc(1, sizeof(*vu));
	if (!vu) {
		ret = -ENOMEM;
		goto out;
	}
	if (strlen(cfg->path) >= sizeof(vu->path)) {
		ret = -ENAMETOOLONG;
		goto out;
	}
	strcpy(vu->path, cfg->path);
	vu->mode = cfg->mode;
	vu->reply_timeout_ms = cfg->reply_timeout_ms;
	vu->connect_timeout_ms = cfg->connect_timeout_ms;
	vu->protocol_wanted = cfg->protocol_features & VHOST_USER_PROTOCOL_SUPPORTED;
	vu->queue_size_max = cfg->queue_size_max;
	vu->ctrl.enabled = cfg->ctrl_queue;
	vu_ctrl_reset(vu);
	vu->listen_fd = -1;
	vu->sock_fd = -1;
	for (i = 0; i < VHOST_USER_MAX_QUEUES; i++) {
		vu->queues[i].kick_fd = -1;
		vu->queues[i].call_fd = -1;
	}
	*out = vu;
	vu = NULL;
out:
	free(vu);
	return ret;
}

static void vu_close_regions(struct vhost_user *vu)
{
	unsigned int i;

	for (i = 0; i < vu->n_regions; i++)
		close(vu->regions[i].fd);
	vu->n_regions = 0;
}

void vhost_user_destroy(struct vhost_user *vu)
{
	unsigned int i;

	if (!vu)
		return;
	vhost_user_disconnect(vu);
	if (vu->listen_fd >= 0) {
		close(vu->listen_fd);
		/* Someone may have put their own file at path since: not ours to remove. */
		vu_socket_unlink_own(vu->path, vu->listen_dev, vu->listen_ino);
	}
	vu_close_regions(vu);
	for (i = 0; i < VHOST_USER_MAX_QUEUES; i++) {
		if (vu->queues[i].call_fd >= 0)
			close(vu->queues[i].call_fd);
	}
	free(vu);
}

static int vu_store_regions(struct vhost_user *vu, const struct vhost_user_mem_region *regions,
			    unsigned int n);

int vhost_user_set_mem_regions(struct vhost_user *vu, const struct vhost_user_mem_region *regions,
			       unsigned int n)
{
	unsigned int i;
	int ret = 0;

	if (!vu || !regions || n == 0 || n > VHOST_USER_MAX_MEM_REGIONS) {
		ret = -EINVAL;
		goto out;
	}
	for (i = 0; i < VHOST_USER_MAX_QUEUES; i++) {
		if (vu->queues[i].active) {
			ret = -EBUSY;
			goto out;
		}
	}
	ret = vu_store_regions(vu, regions, n);
out:
	return ret;
}

/* Check and keep @regions (fds duplicated); the table goes at the next setup. */
static int vu_store_regions(struct vhost_user *vu, const struct vhost_user_mem_region *regions,
			    unsigned int n)
{
	struct vhost_user_mem_region copy[VHOST_USER_MAX_MEM_REGIONS];
	unsigned int i, done = 0;
	int ret = 0;

	for (i = 0; i < n; i++) {
		if (regions[i].fd < 0 || regions[i].size == 0 ||
		    regions[i].user_addr + regions[i].size < regions[i].user_addr) {
			ret = -EINVAL;
			goto out;
		}
	}
	for (done = 0; done < n; done++) {
		copy[done] = regions[done];
		copy[done].fd = fcntl(regions[done].fd, F_DUPFD_CLOEXEC, 0);
		if (copy[done].fd < 0) {
			ret = -errno;
			goto out;
		}
	}
	vu_close_regions(vu);
	memcpy(vu->regions, copy, n * sizeof(copy[0]));
	vu->n_regions = n;
	/* A live backend keeps the old table until the next setup sends this one. */
	vu->mem_table_sent = false;
	done = 0;
out:
	for (i = 0; i < done; i++)
		close(copy[i].fd);
	return ret;
}

/* The same table: same addresses, sizes and offsets (a mapped range has one file). */
static bool vu_regions_equal(const struct vhost_user *vu, const struct vhost_user_mem_region *r,
			     unsigned int n)
{
	unsigned int i;

	if (n != vu->n_regions)
		return false;
	for (i = 0; i < n; i++) {
		if (r[i].user_addr != vu->regions[i].user_addr ||
		    r[i].guest_addr != vu->regions[i].guest_addr ||
		    r[i].size != vu->regions[i].size ||
		    r[i].mmap_offset != vu->regions[i].mmap_offset)
			return false;
	}
	return true;
}

int vhost_user_update_mem_regions(struct vhost_user *vu,
				  const struct vhost_user_mem_region *regions, unsigned int n)
{
	bool live;
	int ret;

	if (!vu || !regions || n == 0 || n > VHOST_USER_MAX_MEM_REGIONS) {
		ret = -EINVAL;
		goto out;
	}
	if (vu_regions_equal(vu, regions, n)) {
		ret = 0;
		goto out;
	}
	/*
	 * A backend that holds a table reads buffers through it: it gets the
	 * new one now. One that has none gets it at the next queue setup.
	 */
	live = vu->mem_table_sent && vu->sock_fd >= 0;
	ret = vu_store_regions(vu, regions, n);
	if (ret || !live)
		goto out;
	ret = vu_send_mem_table(vu);
	if (!ret)
		vu->mem_updates++;
out:
	return ret;
}

void vhost_user_mem_refused(struct vhost_user *vu, int err)
{
	if (!vu)
		return;
	vu->mem_refused++;
	vu->mem_refused_error = err;
}

/*
 * The call eventfd is not the connection's: an application may be waiting
 * on it (rx interrupts), and the next backend is given the same one, so it
 * lives as long as @vu (vhost_user_destroy closes it).
 */
void vu_forget_queue(struct vu_queue *q)
{
	if (q->kick_fd >= 0)
		close(q->kick_fd);
	q->kick_fd = -1;
	q->active = false;
	q->enabled = false;
}

int vu_call_fd_get(struct vu_queue *q)
{
	if (q->call_fd >= 0)
		return 0;
	/*
	 * Non-blocking on both sides: the flag belongs to the open file the
	 * backend receives too, so neither of us ever blocks on a full count.
	 */
	q->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return q->call_fd < 0 ? -errno : 0;
}

int vhost_user_call_fd(struct vhost_user *vu, uint16_t index)
{
	int ret;

	if (!vu || index >= VHOST_USER_MAX_QUEUES)
		return -EINVAL;
	ret = vu_call_fd_get(&vu->queues[index]);
	return ret < 0 ? ret : vu->queues[index].call_fd;
}

void vhost_user_disconnect(struct vhost_user *vu)
{
	unsigned int i;

	if (!vu)
		return;
	if (vu->sock_fd >= 0)
		close(vu->sock_fd);
	vu->sock_fd = -1;
	for (i = 0; i < VHOST_USER_MAX_QUEUES; i++)
		vu_forget_queue(&vu->queues[i]);
	vu->backend_features = 0;
	vu->protocol_offered = 0;
	vu->protocol = 0;
	vu->queue_num = 0;
	vu->status = 0;
	vu->mem_table_sent = false;
	/* The device goes with the connection; its control state too. */
	vu_ctrl_reset(vu);
}

static bool vu_transport_error(int err)
{
	return err == -EPROTO || err == -ECONNRESET || err == -ETIMEDOUT || err == -EPIPE;
}

int vu_request(struct vhost_user *vu, uint32_t request, const void *payload, uint32_t len,
	       const int *fds, unsigned int nfds, void *reply, uint32_t reply_len)
{
	struct vu_hdr hdr = { .request = request, .flags = VHOST_USER_VERSION, .size = len };
	int64_t deadline;
	uint64_t ack = 0;
	bool want_ack;
	int ret;

	if (vu->sock_fd < 0) {
		ret = -ENOTCONN;
		goto out;
	}
	/*
	 * REPLY_ACK: a request that has no reply of its own may ask for an
	 * ack, so that we learn of a failure here rather than at the next
	 * request. SET_PROTOCOL_FEATURES is what negotiates it, so it goes
	 * without.
	 */
	want_ack = !reply && vu_has_protocol(vu, VHOST_USER_PROTOCOL_F_REPLY_ACK) &&
		   request != VHOST_USER_SET_PROTOCOL_FEATURES;
	if (want_ack)
		hdr.flags |= VHOST_USER_FLAG_NEED_REPLY;

	deadline = vu_deadline(vu->reply_timeout_ms);
	ret = vu_msg_send(vu->sock_fd, &hdr, payload, fds, nfds, deadline);
	if (ret)
		goto out;
	if (reply)
		ret = vu_msg_recv_reply(vu->sock_fd, request, reply, reply_len, deadline);
	else if (want_ack) {
		ret = vu_msg_recv_reply(vu->sock_fd, request, &ack, sizeof(ack), deadline);
		if (!ret && ack)
			ret = -EIO;
	}
out:
	if (ret && ret != -ENOTCONN) {
		vu->last_error = ret;
		vu->last_error_request = request;
	}
	/* The stream is out of step or gone: nothing more can be read from it safely. */
	if (vu_transport_error(ret))
		vhost_user_disconnect(vu);
	return ret;
}

static int vu_handshake(struct vhost_user *vu)
{
	uint64_t features, proto, num;
	int ret;

	ret = vu_request(vu, VHOST_USER_GET_FEATURES, NULL, 0, NULL, 0, &features,
			 sizeof(features));
	if (ret)
		goto out;
	vu->backend_features = features;

	if (vu_protocol_features_on(vu)) {
		ret = vu_request(vu, VHOST_USER_GET_PROTOCOL_FEATURES, NULL, 0, NULL, 0, &proto,
				 sizeof(proto));
		if (ret)
			goto out;
		vu->protocol_offered = proto;
		proto &= vu->protocol_wanted;
		ret = vu_request(vu, VHOST_USER_SET_PROTOCOL_FEATURES, &proto, sizeof(proto),
				 NULL, 0, NULL, 0);
		if (ret)
			goto out;
		vu->protocol = proto;
	}

	vu->queue_num = 1;
	if (vu_has_protocol(vu, VHOST_USER_PROTOCOL_F_MQ)) {
		ret = vu_request(vu, VHOST_USER_GET_QUEUE_NUM, NULL, 0, NULL, 0, &num,
				 sizeof(num));
		if (ret)
			goto out;
		if (num == 0 || num > VU_QUEUE_NUM_MAX) {
			ret = -EPROTO;
			goto out;
		}
		vu->queue_num = (uint32_t)num;
	}

	ret = vu_request(vu, VHOST_USER_SET_OWNER, NULL, 0, NULL, 0, NULL, 0);
out:
	return ret;
}

/*
 * Server mode: accept a backend and negotiate. A backend that connected and
 * went away before we took its connection (one that reconnects in a loop,
 * then dies, leaves such connections queued) fails the handshake at once,
 * as a closed peer: the next queued connection is taken, while the wait
 * lasts. A backend that answers wrongly or not at all is an answer.
 */
static int server_accept(struct vhost_user *vu)
{
	int64_t deadline = vu_deadline(vu->connect_timeout_ms);
	int fd = -1;
	int ret;

	for (;;) {
		int64_t left = deadline - vu_now_ms();

		ret = vu_socket_accept(vu->listen_fd, left > 0 ? (int)left : 0, &fd);
		if (ret)
			return ret;
		vu->sock_fd = fd;
		ret = vu_handshake(vu);
		if (ret == 0)
			return 0;
		vhost_user_disconnect(vu);
		if (ret != -ECONNRESET || vu_now_ms() >= deadline)
			return ret;
	}
}

int vhost_user_connect(struct vhost_user *vu)
{
	int fd = -1;
	int ret;

	if (!vu) {
		ret = -EINVAL;
		goto out;
	}
	if (vu->sock_fd >= 0) {
		ret = -EISCONN;
		goto out;
	}
	if (vu->mode == VHOST_USER_MODE_CLIENT) {
		ret = vu_socket_connect(vu->path, vu->connect_timeout_ms, &fd);
		if (ret)
			goto out;
		vu->sock_fd = fd;
		ret = vu_handshake(vu);
		if (ret)
			vhost_user_disconnect(vu);
		goto out;
	}
	if (vu->listen_fd < 0) {
		ret = vu_socket_listen(vu->path, &vu->listen_fd, &vu->listen_dev, &vu->listen_ino);
		if (ret)
			goto out;
	}
	ret = server_accept(vu);
out:
	return ret;
}

int vhost_user_set_connect_timeout(struct vhost_user *vu, int timeout_ms)
{
	if (!vu || timeout_ms < 0)
		return -EINVAL;
	vu->connect_timeout_ms = timeout_ms;
	return 0;
}

int vhost_user_reconnect(struct vhost_user *vu)
{
	if (!vu)
		return -EINVAL;
	vhost_user_disconnect(vu);
	return vhost_user_connect(vu);
}

int vhost_user_check_connection(struct vhost_user *vu)
{
	int ret;

	if (!vu)
		return -EINVAL;
	if (vu->sock_fd < 0)
		return -ENOTCONN;
	ret = vu_socket_check(vu->sock_fd);
	if (ret) {
		vu->last_error = ret;
		vu->last_error_request = VHOST_USER_NONE;
		vhost_user_disconnect(vu);
		ret = -ECONNRESET;
	}
	return ret;
}

bool vhost_user_is_connected(const struct vhost_user *vu)
{
	return vu && vu->sock_fd >= 0;
}

int vhost_user_get_vring_base(const struct vhost_user *vu, uint16_t index, uint32_t *base)
{
	if (!vu || !base || index >= VHOST_USER_MAX_QUEUES)
		return -EINVAL;
	if (!vu->queues[index].has_base)
		return -ENOENT;
	*base = vu->queues[index].last_base;
	return 0;
}

uint64_t vhost_user_backend_features(const struct vhost_user *vu)
{
	return vu ? vu->backend_features : 0;
}

uint64_t vhost_user_protocol_features_offered(const struct vhost_user *vu)
{
	return vu ? vu->protocol_offered : 0;
}

uint64_t vhost_user_protocol_features(const struct vhost_user *vu)
{
	return vu ? vu->protocol : 0;
}

uint32_t vhost_user_queue_num(const struct vhost_user *vu)
{
	return vu ? vu->queue_num : 0;
}

int vu_send_mem_table(struct vhost_user *vu)
{
	struct vu_memory mem;
	int fds[VHOST_USER_MAX_MEM_REGIONS];
	unsigned int i;
	int ret;

	if (vu->n_regions == 0) {
		ret = -EINVAL;
		goto out;
	}
	memset(&mem, 0, sizeof(mem));
	mem.nregions = vu->n_regions;
	for (i = 0; i < vu->n_regions; i++) {
		mem.regions[i].guest_phys_addr = vu->regions[i].guest_addr;
		mem.regions[i].memory_size = vu->regions[i].size;
		mem.regions[i].userspace_addr = vu->regions[i].user_addr;
		mem.regions[i].mmap_offset = vu->regions[i].mmap_offset;
		fds[i] = vu->regions[i].fd;
	}
	ret = vu_request(vu, VHOST_USER_SET_MEM_TABLE, &mem, VU_MEM_TABLE_SIZE(vu->n_regions),
			 fds, vu->n_regions, NULL, 0);
	if (!ret)
		vu->mem_table_sent = true;
out:
	return ret;
}

int vu_stop_queue(struct vhost_user *vu, uint16_t index)
{
	struct vu_vring_state state = { .index = index, .num = 0 };
	struct vu_vring_state reply;
	struct vu_queue *q = &vu->queues[index];
	int ret;

	/* Rings can only be disabled one by one once protocol features are in use. */
	if (vu_protocol_features_on(vu)) {
		ret = vu_request(vu, VHOST_USER_SET_VRING_ENABLE, &state, sizeof(state), NULL, 0,
				 NULL, 0);
		if (ret)
			goto out;
	}
	/* GET_VRING_BASE stops the ring and tells where the backend stopped. */
	ret = vu_request(vu, VHOST_USER_GET_VRING_BASE, &state, sizeof(state), NULL, 0, &reply,
			 sizeof(reply));
	if (ret)
		goto out;
	if (reply.index != index) {
		ret = -EPROTO;
		vu->last_error = ret;
		vu->last_error_request = VHOST_USER_GET_VRING_BASE;
		vhost_user_disconnect(vu);
		goto out;
	}
	q->last_base = reply.num;
	q->has_base = true;
out:
	vu_forget_queue(q);
	return ret;
}

/*
 * Stop every queue still running on the backend, as a reset must leave
 * the device not touching ring memory. Goes on after a failure, so that
 * as much as possible is stopped; returns the first error.
 */
int vu_stop_all_queues(struct vhost_user *vu)
{
	unsigned int i;
	int ret = 0, err;

	for (i = 0; i < VHOST_USER_MAX_QUEUES && vu->sock_fd >= 0; i++) {
		if (!vu->queues[i].active)
			continue;
		err = vu_stop_queue(vu, (uint16_t)i);
		if (err && !ret)
			ret = err;
	}
	return ret;
}

int vhost_user_reset_owner(struct vhost_user *vu)
{
	int ret;

	if (!vu)
		return -EINVAL;
	if (vu->sock_fd < 0)
		return -ENOTCONN;
	ret = vu_stop_all_queues(vu);
	if (ret)
		goto out;
	ret = vu_request(vu, VHOST_USER_RESET_OWNER, NULL, 0, NULL, 0, NULL, 0);
	if (ret)
		goto out;
	/* DPDK forgets the negotiated protocol features on RESET_OWNER: start over. */
	vu->protocol = 0;
	vu->protocol_offered = 0;
	vu->status = 0;
	vu->mem_table_sent = false;
	ret = vu_handshake(vu);
	if (ret)
		vhost_user_disconnect(vu);
out:
	return ret;
}
