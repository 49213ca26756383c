// SPDX-License-Identifier: BSD-3-Clause
/*
 * hostile_backend's vhost-user protocol: one message at a time, with the
 * replies and acks (REPLY_ACK) a well-behaved backend sends.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hostile.h"

void drop_connection(struct backend *be)
{
	unsigned int q;

	if (be->conn_fd >= 0)
		close(be->conn_fd);
	be->conn_fd = -1;
	for (q = 0; q < NUM_VQ; q++)
		ring_reset(&be->vq[q]);
	mem_unmap(be);
	be->features = be->protocol = 0;
	be->msgs = 0;
	be->stalled = false;
	say("connection closed");
}

static int send_reply(struct backend *be, uint32_t request, const void *payload, uint32_t size)
{
	struct vu_hdr hdr = {
	    .request = request, .flags = VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY, .size = size};
	struct iovec iov[2] = {{&hdr, sizeof(hdr)}, {(void *)payload, size}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = size ? 2 : 1};

	return sendmsg(be->conn_fd, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(fd, (uint8_t *)buf + got, len - got);

		if (r == 0)
			return -ECONNRESET;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0)
			got += (size_t)r;
	}
	return 0;
}

/* Receive one message and its fds. */
static int recv_msg(struct backend *be, struct vu_hdr *hdr, union vu_payload *pl, int *fds,
		    unsigned int *nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_MEM_REGIONS)];
	struct iovec iov = {hdr, sizeof(*hdr)};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;
	ssize_t r;

	*nfds = 0;
	r = recvmsg(be->conn_fd, &mh, MSG_CMSG_CLOEXEC);
	if (r == 0)
		return -ECONNRESET;
	if (r < 0)
		return -errno;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			*nfds = (unsigned int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(fds, CMSG_DATA(cm), *nfds * sizeof(int));
		}
	}
	if ((size_t)r < sizeof(*hdr) &&
	    read_full(be->conn_fd, (uint8_t *)hdr + r, sizeof(*hdr) - (size_t)r) < 0)
		return -EPROTO;
	if (hdr->size > sizeof(*pl))
		return -EPROTO;
	return read_full(be->conn_fd, pl, hdr->size);
}

static void close_fds(int *fds, unsigned int n)
{
	while (n--)
		close(fds[n]);
}

static struct vq *ring_of(struct backend *be, uint32_t index)
{
	return index < NUM_VQ ? &be->vq[index] : NULL;
}

/* Serve one message. Returns <0 when the connection must go. */
int serve(struct backend *be)
{
	struct vu_hdr hdr;
	union vu_payload pl;
	int fds[VHOST_USER_MAX_MEM_REGIONS];
	unsigned int nfds, used_fds = 0;
	bool replied = false;
	struct vq *vq;
	uint64_t u64;
	int rc;

	memset(&pl, 0, sizeof(pl));
	rc = recv_msg(be, &hdr, &pl, fds, &nfds);
	if (rc < 0)
		return rc;
	be->msgs++;
	/* Every request, numbered: a stall test picks its point from these. */
	say("msg %ld: request %u%s", be->msgs, hdr.request,
	    hdr.flags & VHOST_USER_FLAG_NEED_REPLY ? " need_reply" : "");
	switch (hdr.request) {
	case VHOST_USER_GET_FEATURES:
		u64 = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VHOST_USER_F_PROTOCOL_FEATURES) |
		      (be->offer_packed ? VIRTIO_BIT(VIRTIO_F_RING_PACKED) : 0) |
		      (be->offer_in_order ? VIRTIO_BIT(VIRTIO_F_IN_ORDER) : 0);
		rc = send_reply(be, hdr.request, &u64, sizeof(u64));
		replied = true;
		break;
	case VHOST_USER_SET_FEATURES:
		be->features = pl.u64;
		say("features 0x%llx (%s)", (unsigned long long)pl.u64,
		    packed(be) ? "packed" : "split");
		break;
	case VHOST_USER_GET_PROTOCOL_FEATURES:
		u64 = 1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK;
		rc = send_reply(be, hdr.request, &u64, sizeof(u64));
		replied = true;
		break;
	case VHOST_USER_SET_PROTOCOL_FEATURES:
		be->protocol = pl.u64;
		break;
	case VHOST_USER_SET_MEM_TABLE:
		rc = set_mem_table(be, &pl.memory, hdr.size, fds, nfds);
		/* The mappings hold the memory; the fds are not needed. */
		for (vq = be->vq; vq < be->vq + NUM_VQ; vq++)
			if (rc == 0 && ring_map(be, vq) < 0)
				say("ring address outside the new memory table");
		break;
	case VHOST_USER_SET_VRING_NUM:
		vq = ring_of(be, pl.state.index);
		if (!vq || pl.state.num == 0 || pl.state.num > VIRTQ_MAX_SIZE ||
		    (pl.state.num & (pl.state.num - 1))) {
			rc = -EINVAL;
			break;
		}
		vq->size = (uint16_t)pl.state.num;
		rc = ring_map(be, vq);
		break;
	case VHOST_USER_SET_VRING_ADDR:
		vq = ring_of(be, pl.addr.index);
		if (!vq) {
			rc = -EINVAL;
			break;
		}
		vq->desc_uva = pl.addr.desc_user_addr;
		vq->avail_uva = pl.addr.avail_user_addr;
		vq->used_uva = pl.addr.used_user_addr;
		vq->addr_set = true;
		rc = ring_map(be, vq);
		break;
	case VHOST_USER_SET_VRING_BASE:
		vq = ring_of(be, pl.state.index);
		if (!vq) {
			rc = -EINVAL;
			break;
		}
		/* Packed: bits 0-14 the slot, bit 15 the wrap counter (both sides start there). */
		vq->last_avail = vq->used_idx =
		    (uint16_t)(packed(be) ? pl.state.num & 0x7fff : pl.state.num);
		vq->avail_wrap = vq->used_wrap = !packed(be) || (pl.state.num >> 15) & 1;
		vq->fault = FAULT_NONE;
		vq->poisoned = false;
		vq->withhold = false;
		break;
	case VHOST_USER_GET_VRING_BASE:
		vq = ring_of(be, pl.state.index);
		if (vq) {
			/* The ring stops here; the driver reads it back from this index. */
			pl.state.num =
			    packed(be) ? (uint32_t)vq->last_avail | (uint32_t)vq->avail_wrap << 15
				       : vq->last_avail;
			vq->enabled = false;
			vq->addr_set = false;
		}
		rc = send_reply(be, hdr.request, &pl.state, sizeof(pl.state));
		replied = true;
		break;
	case VHOST_USER_SET_VRING_KICK:
	case VHOST_USER_SET_VRING_CALL:
		vq = ring_of(be, (uint32_t)(pl.u64 & VHOST_USER_VRING_IDX_MASK));
		if (vq && nfds == 1) {
			/* We poll and the driver polls: the eventfds are kept, never used. */
			int *slot =
			    hdr.request == VHOST_USER_SET_VRING_KICK ? &vq->kick_fd : &vq->call_fd;

			if (*slot >= 0)
				close(*slot);
			*slot = fds[0];
			used_fds = 1;
		}
		break;
	case VHOST_USER_SET_VRING_ENABLE:
		vq = ring_of(be, pl.state.index);
		if (vq) {
			vq->enabled = pl.state.num != 0;
			if (ring_live(be, vq))
				say("ring %u live, size %u", pl.state.index, vq->size);
		}
		break;
	default:
		/* SET_OWNER, RESET_OWNER, ...: nothing to do for an echo. */
		break;
	}
	if (hdr.request == VHOST_USER_SET_MEM_TABLE && rc == 0)
		used_fds = 0; /* mapped: the fds can go */
	close_fds(fds + used_fds, nfds - used_fds);
	if (!replied && (hdr.flags & VHOST_USER_FLAG_NEED_REPLY)) {
		/* REPLY_ACK: 0 is success, anything else a failure. */
		u64 = rc < 0 ? 1 : 0;
		if (rc < 0)
			say("request %u failed: %s", hdr.request, strerror(-rc));
		rc = send_reply(be, hdr.request, &u64, sizeof(u64));
	}
	return rc == -ECONNRESET || rc == -EPIPE ? rc : 0;
}
