/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AF_UNIX stream sockets for vhost-user: connect with retries (the
 * backend may not have created its socket yet), listen and accept with a
 * timeout, and a non-blocking liveness check.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vu_internal.h"

/* How often a client retries while the backend's socket is not there. */
#define VU_CONNECT_RETRY_MS 20

static int vu_sockaddr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

static int vu_set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static void vu_sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int vu_socket_connect(const char *path, int timeout_ms, int *fd_out)
{
	int64_t deadline = vu_deadline(timeout_ms);
	struct sockaddr_un sa;
	int fd = -1;
	int ret;

	ret = vu_sockaddr(path, &sa);
	if (ret)
		goto out;
	for (;;) {
		/*
		 * Blocking connect: on AF_UNIX it completes at once, while a
		 * non-blocking one may fail with EAGAIN on a full backlog.
		 */
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			ret = -errno;
			goto out;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		ret = -errno;
		close(fd);
		fd = -1;
		if (ret != -ENOENT && ret != -ECONNREFUSED && ret != -EAGAIN && ret != -EINTR)
			goto out;
		/* Not there yet: retry until the deadline, then report why. */
		if (vu_now_ms() >= deadline)
			goto out;
		vu_sleep_ms(VU_CONNECT_RETRY_MS);
	}
	ret = vu_set_nonblock(fd);
	if (ret)
		goto out;
	*fd_out = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * Whether the socket at @path still has a listener: a non-blocking connect
 * is refused at once by a socket nobody listens on (its process is gone),
 * and succeeds, or finds a full backlog, when someone does.
 */
static bool vu_socket_is_live(const struct sockaddr_un *sa)
{
	bool live = true;
	int fd;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return true;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 && errno == ECONNREFUSED)
		live = false;
	close(fd);
	return live;
}

int vu_socket_listen(const char *path, int *fd_out, dev_t *dev_out, ino_t *ino_out)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd = -1;
	int ret;

	ret = vu_sockaddr(path, &sa);
	if (ret)
		goto out;
	/*
	 * A socket left by a run that died (SIGKILL gives no chance to
	 * unlink) would make bind fail with EADDRINUSE forever: such a stale
	 * socket is removed, and only that. A socket someone still listens on
	 * is theirs (two servers on one path), and anything that is not a
	 * socket (a file, a directory, a symlink, even one to a socket) is
	 * not ours to delete: bind then fails and the caller says so.
	 */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		if (vu_socket_is_live(&sa)) {
			ret = -EADDRINUSE;
			goto out;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
		ret = -errno;
		goto out;
	}
	/*
	 * Remember which file we made: at close only that file is removed,
	 * not whatever has since been renamed onto the path. (fstat on the
	 * socket would give the sockfs inode, not the file's: lstat the path.)
	 */
	if (lstat(path, &st) < 0) {
		ret = -errno;
		goto out;
	}
	*dev_out = st.st_dev;
	*ino_out = st.st_ino;
	*fd_out = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

void vu_socket_unlink_own(const char *path, dev_t dev, ino_t ino)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == dev && st.st_ino == ino)
		unlink(path);
}

int vu_socket_accept(int listen_fd, int timeout_ms, int *fd_out)
{
	struct pollfd pfd = { .fd = listen_fd, .events = POLLIN };
	int64_t deadline = vu_deadline(timeout_ms);
	int64_t left;
	int fd, n;

	for (;;) {
		left = deadline - vu_now_ms();
		n = poll(&pfd, 1, left > 0 ? (int)left : 0);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
		if (n < 0)
			continue;
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0)
			break;
		/* The peer may have given up between poll and accept. */
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED &&
		    errno != EINTR)
			return -errno;
	}
	*fd_out = fd;
	return 0;
}

int vu_socket_check(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLRDHUP };
	char c;
	ssize_t n;

	if (poll(&pfd, 1, 0) <= 0)
		return 0;
	if (pfd.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL))
		return -ECONNRESET;
	if (!(pfd.revents & POLLIN))
		return 0;
	n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0)
		return -ECONNRESET;
	if (n < 0)
		return (errno == EAGAIN || errno == EINTR) ? 0 : -ECONNRESET;
	/* The backend has nothing to say unasked on this socket. */
	return -EPROTO;
}
