// SPDX-License-Identifier: BSD-3-Clause
/*
 * A hostile vhost-user backend: one queue pair, split or packed, that
 * echoes every frame the driver transmits (tx, vring 1) back into its
 * receive ring (rx, vring 0), so dpdk-testpmd in io forwarding keeps frames
 * circulating through net_vpmd. On command it writes one used entry the
 * driver must refuse, or stops answering the protocol, so the tests can
 * watch the driver defend itself against a live device.
 *
 *   hostile_backend (--client PATH | --server PATH) [--packed]
 *                   [--ctl FIFO] [--stall-after N]
 *
 * --stall-after N stops reading after N messages on every connection,
 * until the driver hangs up. --packed only offers VIRTIO_F_RING_PACKED; the layout followed is the
 * one the driver negotiates. A line on the control FIFO arms a fault for
 * the next used entry written on a ring:
 *
 *   id_range rx|tx       an id past the queue size
 *   not_inflight rx|tx   the id of a chain just given back (a duplicate)
 *   len_past rx|tx       a length one byte past the chain's writable part
 *   wrap rx|tx           packed: USED set to the wrap counter, AVAIL not
 *   idx_jump rx|tx       split: the used index moved past the ring size
 *
 * The backend logs on stderr, one line per event the tests wait for
 * ("fault applied: ...", "stalled after ...", "connected", "ring N live").
 * It is a test tool: single-threaded, busy-polling while rings are live.
 * This file holds the event loop, the control FIFO and the sockets;
 * hostile_proto.c the protocol, hostile_ring.c the rings and faults.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hostile.h"

static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("hostile: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- control FIFO ---- */

static void ctl_line(struct backend *be, char *line)
{
	char what[32], ring[8];
	enum fault f;
	unsigned int q;

	if (sscanf(line, "%31s %7s", what, ring) != 2) {
		say("ctl: cannot parse '%s'", line);
		return;
	}
	for (f = FAULT_ID_RANGE; f <= FAULT_IDX_JUMP; f++)
		if (strcmp(what, fault_names[f]) == 0)
			break;
	q = strcmp(ring, "rx") == 0 ? RX : strcmp(ring, "tx") == 0 ? TX : NUM_VQ;
	if (f > FAULT_IDX_JUMP || q == NUM_VQ) {
		say("ctl: unknown fault '%s'", line);
		return;
	}
	be->vq[q].fault = f;
	say("fault armed: %s %s", fault_names[f], ring_name(q));
}

static void ctl_read(struct backend *be)
{
	ssize_t r =
	    read(be->ctl_fd, be->ctl_buf + be->ctl_len, sizeof(be->ctl_buf) - 1 - be->ctl_len);
	char *nl;

	if (r <= 0)
		return;
	be->ctl_len += (size_t)r;
	be->ctl_buf[be->ctl_len] = '\0';
	while ((nl = strchr(be->ctl_buf, '\n')) != NULL) {
		*nl = '\0';
		if (nl != be->ctl_buf)
			ctl_line(be, be->ctl_buf);
		be->ctl_len -= (size_t)(nl + 1 - be->ctl_buf);
		memmove(be->ctl_buf, nl + 1, be->ctl_len + 1);
	}
	if (be->ctl_len == sizeof(be->ctl_buf) - 1)
		be->ctl_len = 0; /* a line that long is garbage */
}

/* ---- connection ---- */

static int unix_socket(const char *path, struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (fd < 0 || strlen(path) >= sizeof(sa->sun_path)) {
		if (fd >= 0)
			close(fd);
		return -ENAMETOOLONG;
	}
	strcpy(sa->sun_path, path);
	return fd;
}

/* Client mode: try to connect; the driver may not listen yet. */
static void try_connect(struct backend *be)
{
	struct sockaddr_un sa;
	int fd = unix_socket(be->path, &sa);

	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return;
	}
	be->conn_fd = fd;
	say("connected to %s", be->path);
}

static int listen_on(struct backend *be)
{
	struct sockaddr_un sa;
	int fd = unix_socket(be->path, &sa);

	if (fd < 0)
		return fd;
	unlink(be->path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	be->listen_fd = fd;
	say("listening on %s", be->path);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: hostile_backend (--client PATH | --server PATH) [--packed] [--in-order] "
			"[--ctl FIFO] [--stall-after N]\n");
}

static int parse_args(struct backend *be, int argc, char **argv, const char **ctl)
{
	static const struct option opts[] = {
	    {"client", required_argument, NULL, 'c'},
	    {"server", required_argument, NULL, 's'},
	    {"packed", no_argument, NULL, 'p'},
	    {"in-order", no_argument, NULL, 'o'},
	    {"ctl", required_argument, NULL, 'f'},
	    {"stall-after", required_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
		case 's':
			be->path = optarg;
			be->server = c == 's';
			break;
		case 'p':
			be->offer_packed = true;
			break;
		case 'o':
			/* Its rings give chains back in the order it took them anyway. */
			be->offer_in_order = true;
			break;
		case 'f':
			*ctl = optarg;
			break;
		case 'n':
			be->stall_after = strtol(optarg, &end, 10);
			if (*end || be->stall_after < 0)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}
	return be->path && optind == argc ? 0 : -EINVAL;
}

int main(int argc, char **argv)
{
	static struct backend be_storage; /* the frame buffer is too big for a stack */
	struct backend *be = &be_storage;
	const char *ctl = NULL;
	struct sigaction sa = {.sa_handler = on_signal};
	unsigned int q, spins = 0;

	be->listen_fd = be->conn_fd = be->ctl_fd = -1;
	be->stall_after = -1;
	for (q = 0; q < NUM_VQ; q++) {
		be->vq[q].kick_fd = be->vq[q].call_fd = -1;
		ring_reset(&be->vq[q]);
	}
	if (parse_args(be, argc, argv, &ctl) < 0) {
		usage();
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Read-write, so the FIFO never reads EOF between two writers. */
	if (ctl && (be->ctl_fd = open(ctl, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0) {
		say("cannot open %s: %s", ctl, strerror(errno));
		return 1;
	}
	if (be->server && listen_on(be) < 0) {
		say("cannot listen on %s: %s", be->path, strerror(errno));
		return 1;
	}

	while (!quit) {
		bool live = be->conn_fd >= 0 && ring_live(be, &be->vq[TX]);
		struct pollfd pfd[2];
		nfds_t n = 0;
		int sock_at = -1;

		/* Poll for messages every so often while the rings run, else wait. */
		if (live && ++spins % 256 != 0) {
			if (!echo_one(be))
				__builtin_ia32_pause();
			continue;
		}
		if (be->conn_fd < 0 && !be->server) {
			try_connect(be);
			if (be->conn_fd < 0) {
				usleep(100 * 1000);
				continue;
			}
		}
		if (be->ctl_fd >= 0)
			pfd[n++] = (struct pollfd){.fd = be->ctl_fd, .events = POLLIN};
		/* Stalled, it reads nothing, but sees the driver give up on it. */
		if (be->conn_fd >= 0)
			pfd[sock_at = (int)n++] = (struct pollfd){
			    .fd = be->conn_fd, .events = be->stalled ? POLLRDHUP : POLLIN};
		else if (be->conn_fd < 0 && be->listen_fd >= 0)
			pfd[sock_at = (int)n++] =
			    (struct pollfd){.fd = be->listen_fd, .events = POLLIN};
		if (poll(pfd, n, live ? 0 : 50) <= 0)
			continue;
		if (be->ctl_fd >= 0 && (pfd[0].revents & POLLIN))
			ctl_read(be);
		if (sock_at < 0 || !pfd[sock_at].revents)
			continue;
		if (be->conn_fd < 0) {
			be->conn_fd = accept4(be->listen_fd, NULL, NULL, SOCK_CLOEXEC);
			if (be->conn_fd >= 0)
				say("accepted a connection");
			continue;
		}
		if (be->stalled) {
			/* The next connection gets the same treatment. */
			drop_connection(be);
			if (!be->server)
				usleep(100 * 1000);
			continue;
		}
		if (serve(be) < 0) {
			drop_connection(be);
			if (!be->server)
				usleep(100 * 1000);
			continue;
		}
		if (be->stall_after >= 0 && be->msgs >= be->stall_after) {
			/* Keep the socket open and read nothing: the driver waits on us. */
			be->stalled = true;
			say("stalled after %ld messages", be->msgs);
		}
	}
	for (q = 0; q < NUM_VQ; q++)
		say("ring %s: %llu frames", ring_name(q), (unsigned long long)be->vq[q].frames);
	if (be->conn_fd >= 0)
		drop_connection(be);
	if (be->server)
		unlink(be->path);
	return 0;
}
