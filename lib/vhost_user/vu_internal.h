/* SPDX-License-Identifier: BSD-3-Clause */
/* State of a vhost-user frontend, shared by the files of lib/vhost_user. */
#ifndef VPMD_VU_INTERNAL_H
#define VPMD_VU_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include <vpmd/vhost_user.h>

#include "vu_ctrl.h"
#include "vu_msg.h"

struct vu_queue {
	int kick_fd; /* eventfd we write to notify; -1 when none */
	int call_fd; /* eventfd the backend signals; kept for vu's life (vhost_user_call_fd) */
	bool active; /* set up on the backend and not torn down */
	bool enabled; /* SET_VRING_ENABLE 1 sent (or implied by the kick without protocol features) */
	bool has_base;
	uint32_t last_base; /* GET_VRING_BASE at the last teardown */
};

struct vhost_user {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	enum vhost_user_mode mode;
	int reply_timeout_ms;
	int connect_timeout_ms;
	uint64_t protocol_wanted;
	uint16_t queue_size_max;

	int listen_fd; /* server mode: kept across reconnects */
	dev_t listen_dev; /* the socket file bound at path: only it is unlinked at close */
	ino_t listen_ino;
	int sock_fd;   /* -1 when not connected */

	/* Per connection. */
	uint64_t backend_features; /* raw GET_FEATURES, vhost bits included */
	uint64_t protocol_offered;
	uint64_t protocol; /* negotiated */
	uint32_t queue_num;
	uint8_t status; /* kept here when the backend has no STATUS */
	bool mem_table_sent;

	unsigned int n_regions;
	struct vhost_user_mem_region regions[VHOST_USER_MAX_MEM_REGIONS];
	/* Memory that came or went while the device ran (vhost_user_update_mem_regions). */
	uint64_t mem_updates; /* tables sent to a live backend */
	uint64_t mem_refused; /* tables the caller could not build (vhost_user_mem_refused) */
	int mem_refused_error; /* the last such error, a negative errno */

	struct vu_queue queues[VHOST_USER_MAX_QUEUES];
	struct vu_ctrl ctrl; /* the emulated control queue (cfg.ctrl_queue) */

	/* For dump_json: what went wrong last, as a negative errno. */
	int last_error;
	uint32_t last_error_request;
};

static inline bool vu_has_protocol(const struct vhost_user *vu, unsigned int bit)
{
	return (vu->protocol >> bit) & 1;
}

/* True when bit 30 was offered, so it goes into SET_FEATURES and rings start disabled. */
static inline bool vu_protocol_features_on(const struct vhost_user *vu)
{
	return (vu->backend_features >> VHOST_USER_F_PROTOCOL_FEATURES) & 1;
}

/* vu_socket.c: AF_UNIX plumbing. Sockets are CLOEXEC and non-blocking. */
int vu_socket_connect(const char *path, int timeout_ms, int *fd_out);
/*
 * Bind and listen on @path; give the socket file's device and inode. A
 * stale socket at @path is replaced; a live one (-EADDRINUSE) or anything
 * that is not a socket (bind's -EADDRINUSE) is left alone.
 */
int vu_socket_listen(const char *path, int *fd_out, dev_t *dev_out, ino_t *ino_out);
/* Unlink @path only if it still is the socket file @dev/@ino that we bound. */
void vu_socket_unlink_own(const char *path, dev_t dev, ino_t ino);
int vu_socket_accept(int listen_fd, int timeout_ms, int *fd_out);
/* 0 while the peer is there, -ECONNRESET on hangup or EOF, -EPROTO on unexpected data. */
int vu_socket_check(int fd);

/*
 * vhost_user.c: one request and its reply.
 *
 * Sends @request with @len bytes of @payload and @nfds fds. With @reply,
 * waits for a reply of exactly @reply_len bytes. Without, and with
 * REPLY_ACK negotiated, asks for an ack and turns a non-zero one into
 * -EIO. A transport failure closes the connection.
 */
int vu_request(struct vhost_user *vu, uint32_t request, const void *payload, uint32_t len,
	       const int *fds, unsigned int nfds, void *reply, uint32_t reply_len);

/* Stop queue @index on the backend: SET_VRING_ENABLE 0, GET_VRING_BASE. */
int vu_stop_queue(struct vhost_user *vu, uint16_t index);
int vu_stop_all_queues(struct vhost_user *vu);
/* Close a queue's kick eventfd and mark it inactive; the call eventfd stays. */
void vu_forget_queue(struct vu_queue *q);
/* The queue's call eventfd, made now if it has none. 0 or -errno. */
int vu_call_fd_get(struct vu_queue *q);
/* SET_MEM_TABLE with the caller's regions. */
int vu_send_mem_table(struct vhost_user *vu);

#endif /* VPMD_VU_INTERNAL_H */
