/* SPDX-License-Identifier: BSD-3-Clause */
/* Scripted vhost-user backend thread for the frontend's unit tests. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fake_backend.h"

/* The fake never waits on its own for longer than this: a stuck test fails, it does not hang. */
#define FAKE_IDLE_MS 5000
#define FAKE_SLICE_MS 20

void fake_init(struct fake_backend *fb, const char *path)
{
	unsigned int i;

	memset(fb, 0, sizeof(*fb));
	snprintf(fb->path, sizeof(fb->path), "%s", path);
	fb->listen = true;
	fb->max_conns = 1;
	fb->queue_num = 1;
	fb->listen_fd = -1;
	fb->fd = -1;
	for (i = 0; i < FAKE_MAX_QUEUES; i++)
		fb->kick_fd[i] = -1;
	pthread_mutex_init(&fb->lock, NULL);
	atomic_init(&fb->stop, false);
}

static void fake_fail(struct fake_backend *fb, int err)
{
	pthread_mutex_lock(&fb->lock);
	if (!fb->error)
		fb->error = err;
	pthread_mutex_unlock(&fb->lock);
}

/*
 * Read exactly @len bytes, collecting fds. Returns 0, 1 on a clean end of
 * stream before any byte, -1 on error, stop or idle timeout.
 */
static int fake_read(struct fake_backend *fb, int fd, void *buf, size_t len, int *fds,
		     unsigned int *nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_MEM_REGIONS)];
		struct cmsghdr align;
	} ctl;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	int idle = 0;

	while (got < len) {
		struct iovec iov = { .iov_base = (char *)buf + got, .iov_len = len - got };
		struct msghdr mh = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = ctl.buf,
			.msg_controllen = sizeof(ctl.buf),
		};
		struct cmsghdr *cm;
		ssize_t n;

		if (atomic_load(&fb->stop) || idle >= FAKE_IDLE_MS)
			return -1;
		if (poll(&pfd, 1, FAKE_SLICE_MS) == 0) {
			idle += FAKE_SLICE_MS;
			continue;
		}
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			size_t k, count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (k = 0; k < count; k++) {
				int rfd;

				memcpy(&rfd, CMSG_DATA(cm) + k * sizeof(int), sizeof(int));
				if (fds && *nfds < VHOST_USER_MAX_MEM_REGIONS)
					fds[(*nfds)++] = rfd;
				else
					close(rfd);
			}
		}
		if (n == 0)
			return got ? -1 : 1;
		got += (size_t)n;
	}
	return 0;
}

static int fake_write(int fd, const void *buf, size_t len, int pass_fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (pass_fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
	}
	return sendmsg(fd, &mh, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

static void fake_record(struct fake_backend *fb, const struct vu_hdr *hdr, const uint8_t *payload,
			const int *fds, unsigned int nfds)
{
	struct fake_msg *m;
	char link[64];
	struct stat st;
	unsigned int i;
	ssize_t n;

	pthread_mutex_lock(&fb->lock);
	if (fb->nlog < FAKE_MAX_LOG) {
		m = &fb->log[fb->nlog++];
		memset(m, 0, sizeof(*m));
		memcpy(m->raw, hdr, sizeof(*hdr));
		memcpy(m->raw + sizeof(*hdr), payload, hdr->size);
		m->len = sizeof(*hdr) + hdr->size;
		m->nfds = nfds;
		for (i = 0; i < nfds; i++) {
			snprintf(link, sizeof(link), "/proc/self/fd/%d", fds[i]);
			n = readlink(link, m->fd_link[i], sizeof(m->fd_link[i]) - 1);
			if (n < 0)
				n = 0;
			m->fd_link[i][n] = '\0';
			if (fstat(fds[i], &st) == 0) {
				m->fd_dev[i] = st.st_dev;
				m->fd_ino[i] = st.st_ino;
			}
		}
	}
	pthread_mutex_unlock(&fb->lock);
}

/* Serve one connection. Returns when it ends. */
static void fake_serve(struct fake_backend *fb, int fd)
{
	uint8_t payload[FAKE_MAX_PAYLOAD + 8];
	uint8_t reply[FAKE_MAX_PAYLOAD + 8];
	int fds[VHOST_USER_MAX_MEM_REGIONS];
	unsigned int nfds, i, count = 0;
	bool fault_done = false;

	for (;;) {
		struct vu_hdr hdr, rhdr;
		uint32_t rsize = 0;
		bool has_reply = true;
		enum fake_fault fault = FAKE_OK;
		uint64_t u64 = 0;
		int extra_fd = -1;
		int r;

		nfds = 0;
		r = fake_read(fb, fd, &hdr, sizeof(hdr), fds, &nfds);
		if (r) {
			for (i = 0; i < nfds; i++)
				close(fds[i]);
			return;
		}
		if (hdr.size > FAKE_MAX_PAYLOAD) {
			fake_fail(fb, EMSGSIZE);
			for (i = 0; i < nfds; i++)
				close(fds[i]);
			return;
		}
		if (hdr.size && fake_read(fb, fd, payload, hdr.size, fds, &nfds)) {
			for (i = 0; i < nfds; i++)
				close(fds[i]);
			return;
		}
		fake_record(fb, &hdr, payload, fds, nfds);
		count++;

		memset(reply, 0, sizeof(reply));
		switch (hdr.request) {
		case VHOST_USER_GET_FEATURES:
			memcpy(reply, &fb->features, 8);
			rsize = 8;
			break;
		case VHOST_USER_GET_PROTOCOL_FEATURES:
			memcpy(reply, &fb->protocol_features, 8);
			rsize = 8;
			break;
		case VHOST_USER_GET_QUEUE_NUM:
			memcpy(reply, &fb->queue_num, 8);
			rsize = 8;
			break;
		case VHOST_USER_GET_STATUS:
			pthread_mutex_lock(&fb->lock);
			u64 = fb->status;
			pthread_mutex_unlock(&fb->lock);
			memcpy(reply, &u64, 8);
			rsize = 8;
			break;
		case VHOST_USER_GET_VRING_BASE: {
			struct vu_vring_state st;

			memcpy(&st, payload, sizeof(st));
			st.num = fb->vring_base_reply;
			memcpy(reply, &st, sizeof(st));
			rsize = sizeof(st);
			break;
		}
		case VHOST_USER_GET_CONFIG: {
			struct vu_config cfg;

			if (hdr.size < VU_CONFIG_HDR_SIZE || hdr.size > sizeof(cfg)) {
				fake_fail(fb, EMSGSIZE);
				return;
			}
			memcpy(&cfg, payload, hdr.size);
			if (cfg.offset + cfg.size <= sizeof(fb->config))
				memcpy(cfg.region, fb->config + cfg.offset, cfg.size);
			memcpy(reply, &cfg, hdr.size);
			rsize = hdr.size;
			break;
		}
		case VHOST_USER_SET_STATUS:
			memcpy(&u64, payload, 8);
			pthread_mutex_lock(&fb->lock);
			fb->status = u64;
			pthread_mutex_unlock(&fb->lock);
			has_reply = false;
			break;
		default:
			has_reply = false;
			break;
		}
		if (!has_reply && (hdr.flags & VHOST_USER_FLAG_NEED_REPLY)) {
			has_reply = true;
			rsize = 8; /* ack: 0, success */
		}

		/* Keep kick eventfds for the test; close every other fd. */
		for (i = 0; i < nfds; i++) {
			uint32_t q = (uint32_t)(payload[0]);

			if (hdr.request == VHOST_USER_SET_VRING_KICK && q < FAKE_MAX_QUEUES) {
				pthread_mutex_lock(&fb->lock);
				if (fb->kick_fd[q] >= 0)
					close(fb->kick_fd[q]);
				fb->kick_fd[q] = fds[i];
				pthread_mutex_unlock(&fb->lock);
			} else {
				close(fds[i]);
			}
		}

		if (!fault_done && fb->fault != FAKE_OK && hdr.request == fb->fault_request) {
			fault = fb->fault;
			fault_done = true;
		}
		if (!has_reply && fault != FAKE_CLOSE)
			fault = FAKE_OK;

		rhdr.request = hdr.request;
		rhdr.flags = VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY;
		rhdr.size = rsize;
		switch (fault) {
		case FAKE_WRONG_REQUEST:
			rhdr.request = hdr.request + 1;
			break;
		case FAKE_WRONG_SIZE:
			rhdr.size = rsize + 4;
			break;
		case FAKE_NO_REPLY_FLAG:
			rhdr.flags = VHOST_USER_VERSION;
			break;
		case FAKE_BAD_VERSION:
			rhdr.flags = 0x2 | VHOST_USER_FLAG_REPLY;
			break;
		case FAKE_NACK:
			u64 = 1;
			memcpy(reply, &u64, 8);
			break;
		case FAKE_BAD_INDEX:
			reply[0]++;
			break;
		case FAKE_SEND_FD:
			extra_fd = eventfd(0, EFD_CLOEXEC);
			break;
		case FAKE_CLOSE:
			return;
		case FAKE_SILENT:
			continue;
		default:
			break;
		}
		if (has_reply) {
			uint8_t out[sizeof(rhdr) + sizeof(reply)];
			size_t len = sizeof(rhdr) + rhdr.size;

			memcpy(out, &rhdr, sizeof(rhdr));
			memcpy(out + sizeof(rhdr), reply, rhdr.size);
			if (fault == FAKE_TRUNCATE)
				len = sizeof(rhdr) + rhdr.size / 2;
			r = fake_write(fd, out, len, extra_fd);
			if (extra_fd >= 0)
				close(extra_fd);
			if (r || fault == FAKE_TRUNCATE)
				return;
		}
		if (fault == FAKE_UNSOLICITED) {
			uint8_t stray = 0xff;

			if (fake_write(fd, &stray, 1, -1))
				return;
		}
		if (fb->close_after && count >= fb->close_after)
			return;
	}
}

static int fake_accept(struct fake_backend *fb)
{
	struct pollfd pfd = { .fd = fb->listen_fd, .events = POLLIN };
	int idle = 0;

	while (!atomic_load(&fb->stop) && idle < FAKE_IDLE_MS) {
		if (poll(&pfd, 1, FAKE_SLICE_MS) > 0)
			return accept4(fb->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		idle += FAKE_SLICE_MS;
	}
	return -1;
}

static int fake_connect(struct fake_backend *fb)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timespec slice = { .tv_nsec = FAKE_SLICE_MS * 1000000L };
	int idle = 0;
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", fb->path);
	while (!atomic_load(&fb->stop) && idle < FAKE_IDLE_MS) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		close(fd);
		nanosleep(&slice, NULL);
		idle += FAKE_SLICE_MS;
	}
	return -1;
}

static void *fake_main(void *arg)
{
	struct fake_backend *fb = arg;
	int fd;

	while (!atomic_load(&fb->stop) && fb->conns < fb->max_conns) {
		fd = fb->listen ? fake_accept(fb) : fake_connect(fb);
		if (fd < 0)
			break;
		fb->conns++;
		fake_serve(fb, fd);
		close(fd);
	}
	return NULL;
}

int fake_start(struct fake_backend *fb)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int ret;

	if (fb->listen) {
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", fb->path);
		fb->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fb->listen_fd < 0)
			return -errno;
		if (bind(fb->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    listen(fb->listen_fd, 4) < 0) {
			ret = -errno;
			close(fb->listen_fd);
			fb->listen_fd = -1;
			return ret;
		}
	}
	ret = pthread_create(&fb->thread, NULL, fake_main, fb);
	if (ret) {
		if (fb->listen_fd >= 0)
			close(fb->listen_fd);
		fb->listen_fd = -1;
		return -ret;
	}
	return 0;
}

void fake_stop(struct fake_backend *fb)
{
	unsigned int i;

	atomic_store(&fb->stop, true);
	pthread_join(fb->thread, NULL);
	if (fb->listen_fd >= 0) {
		close(fb->listen_fd);
		unlink(fb->path);
		fb->listen_fd = -1;
	}
	for (i = 0; i < FAKE_MAX_QUEUES; i++) {
		if (fb->kick_fd[i] >= 0)
			close(fb->kick_fd[i]);
		fb->kick_fd[i] = -1;
	}
	pthread_mutex_destroy(&fb->lock);
}

int fake_get_msg(struct fake_backend *fb, unsigned int i, struct fake_msg *out)
{
	int ret = -ENOENT;

	pthread_mutex_lock(&fb->lock);
	if (i < fb->nlog) {
		*out = fb->log[i];
		ret = 0;
	}
	pthread_mutex_unlock(&fb->lock);
	return ret;
}

unsigned int fake_count(struct fake_backend *fb)
{
	unsigned int n;

	pthread_mutex_lock(&fb->lock);
	n = fb->nlog;
	pthread_mutex_unlock(&fb->lock);
	return n;
}

uint32_t fake_request(struct fake_backend *fb, unsigned int i)
{
	struct fake_msg m;
	uint32_t req = 0;

	if (fake_get_msg(fb, i, &m) == 0)
		memcpy(&req, m.raw, sizeof(req));
	return req;
}
