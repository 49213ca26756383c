/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost-user message framing: one message out (with its fds), one reply
 * in, checked field by field. The backend is untrusted: a reply that is
 * not exactly what the request calls for is refused, never half-used,
 * and no read waits longer than the caller's deadline.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "vu_msg.h"

int64_t vu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t vu_deadline(int timeout_ms)
{
	return vu_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
}

/*
 * Wait until @sock is ready for @events or the deadline passes.
 * Returns 0 when ready (including on hangup: the next call sees it),
 * -ETIMEDOUT, or -errno of poll.
 */
static int vu_wait(int sock, short events, int64_t deadline_ms)
{
	struct pollfd pfd = { .fd = sock, .events = events };
	int64_t left;
	int n;

	for (;;) {
		left = deadline_ms - vu_now_ms();
		if (left < 0)
			left = 0;
		n = poll(&pfd, 1, (int)left);
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

static int vu_send_errno(int err)
{
	/* The peer went away under us: EPIPE is what a closed stream gives. */
	if (err == EPIPE || err == ECONNRESET || err == ENOTCONN)
		return -ECONNRESET;
	return -err;
}

int vu_msg_send(int sock, const struct vu_hdr *hdr, const void *payload, const int *fds,
		unsigned int nfds, int64_t deadline_ms)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_MEM_REGIONS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2] = {
		{ .iov_base = (void *)hdr, .iov_len = sizeof(*hdr) },
		{ .iov_base = (void *)payload, .iov_len = hdr->size },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = hdr->size ? 2 : 1 };
	struct cmsghdr *cm;
	ssize_t n;
	int ret = 0;

	if (nfds > VHOST_USER_MAX_MEM_REGIONS || (hdr->size && !payload)) {
		ret = -EINVAL;
		goto out;
	}
	if (nfds) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}

	while (mh.msg_iovlen) {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				ret = vu_wait(sock, POLLOUT, deadline_ms);
				if (ret)
					goto out;
				continue;
			}
			ret = vu_send_errno(errno);
			goto out;
		}
		/* The fds went with the first byte; the rest goes without. */
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
		while (mh.msg_iovlen && (size_t)n >= mh.msg_iov[0].iov_len) {
			n -= (ssize_t)mh.msg_iov[0].iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen) {
			mh.msg_iov[0].iov_base = (char *)mh.msg_iov[0].iov_base + n;
			mh.msg_iov[0].iov_len -= (size_t)n;
		}
	}
out:
	return ret;
}

/* Close every fd that came in ancillary data. Returns how many there were. */
static unsigned int vu_drop_fds(struct msghdr *mh)
{
	struct cmsghdr *cm;
	unsigned int count = 0;
	size_t i, nfd;
	int fd;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			close(fd);
			count++;
		}
	}
	return count;
}

/*
 * Read exactly @len bytes. @started says whether bytes of this message
 * were read before, so that an end of stream is a truncated message
 * (-EPROTO) rather than a closed peer (-ECONNRESET).
 */
static int vu_read_full(int sock, void *buf, size_t len, bool started, int64_t deadline_ms)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_MEM_REGIONS)];
		struct cmsghdr align;
	} ctl;
	size_t got = 0;
	bool bad_fds = false;
	ssize_t n;
	int ret = 0;

	while (got < len) {
		struct iovec iov = { .iov_base = (char *)buf + got, .iov_len = len - got };
		struct msghdr mh = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = ctl.buf,
			.msg_controllen = sizeof(ctl.buf),
		};

		n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				ret = vu_wait(sock, POLLIN, deadline_ms);
				if (ret)
					goto out;
				continue;
			}
			ret = errno == ECONNRESET ? -ECONNRESET : -errno;
			goto out;
		}
		/* No reply we ask for carries fds: close them, refuse the reply. */
		if (vu_drop_fds(&mh) || (mh.msg_flags & MSG_CTRUNC))
			bad_fds = true;
		if (n == 0) {
			ret = (started || got) ? -EPROTO : -ECONNRESET;
			goto out;
		}
		got += (size_t)n;
	}
	if (bad_fds)
		ret = -EPROTO;
out:
	return ret;
}

int vu_msg_recv_reply(int sock, uint32_t request, void *payload, uint32_t size,
		      int64_t deadline_ms)
{
	struct vu_hdr hdr;
	int ret;

	ret = vu_read_full(sock, &hdr, sizeof(hdr), false, deadline_ms);
	if (ret)
		goto out;
	if ((hdr.flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION ||
	    !(hdr.flags & VHOST_USER_FLAG_REPLY) || hdr.request != request ||
	    hdr.size != size) {
		ret = -EPROTO;
		goto out;
	}
	if (size)
		ret = vu_read_full(sock, payload, size, true, deadline_ms);
out:
	return ret;
}
