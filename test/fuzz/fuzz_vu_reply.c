/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vhost-user frontend reading a backend's replies (lib/vhost_user:
 * vu_msg_recv_reply() and what the handshake and the transport ops make
 * of the values). The input is everything the backend sends, byte for
 * byte, on a real socket: the frontend connects through its own
 * vhost_user_connect() (server mode, on a listening socket we hand it),
 * runs its real handshake, then the ops a driver's bring-up calls.
 *
 * Input: byte 0 chooses which of those ops run after the handshake
 * (a bit each) and whether the control queue is emulated, byte 1 how much
 * config space to read; the rest is the backend's stream. Our end is shut
 * for writing once the stream is queued, so the frontend meets an end of
 * stream rather than a stall: every run is as fast as the parser.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <vpmd/vhost_user.h>
#include <vpmd/virtio_dev.h>
#include <vpmd/virtio_net_config.h>

#include "fuzz_input.h"
#include "vu_internal.h"

static int listen_fd = -1;
static struct sockaddr_un addr;
static socklen_t addr_len;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* An abstract socket: nothing in the file system to clean up. */
	addr.sun_family = AF_UNIX;
	snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1, "vpmd-fuzz-vu-%d", (int)getpid());
	addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			       strlen(addr.sun_path + 1));
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	FZ_CHECK(listen_fd >= 0, "socket: %s", strerror(errno));
	FZ_CHECK(bind(listen_fd, (struct sockaddr *)&addr, addr_len) == 0, "bind: %s",
		 strerror(errno));
	FZ_CHECK(listen(listen_fd, 4) == 0, "listen: %s", strerror(errno));
	return 0;
}

/* The backend: connect, queue the whole stream, shut our side for writing. */
static int backend(const uint8_t *data, size_t size)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t n;

	FZ_CHECK(fd >= 0, "socket: %s", strerror(errno));
	FZ_CHECK(connect(fd, (struct sockaddr *)&addr, addr_len) == 0, "connect: %s",
		 strerror(errno));
	while (size > 0) {
		n = send(fd, data, size, MSG_NOSIGNAL);
		FZ_CHECK(n > 0, "send: %s", strerror(errno));
		data += n;
		size -= (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vhost_user_config cfg;
	struct virtio_net_dev_config ncfg;
	struct vhost_user *vu = NULL;
	struct fz f = { data, size };
	struct virtio_dev dev;
	uint8_t which = fz_u8(&f), cfg_len = fz_u8(&f), buf[256], st;
	uint16_t qmax;
	uint64_t feat;
	int fd, rc;

	if (listen_fd < 0)
		LLVMFuzzerInitialize(NULL, NULL);
	/* Stay well below the socket buffer: the stream is queued before anyone reads it. */
	if (f.n > 65536)
		return -1;
	vhost_user_config_init(&cfg);
	cfg.path = "fuzz-unused"; /* we hand it the listening socket: never bound */
	cfg.mode = VHOST_USER_MODE_SERVER;
	cfg.reply_timeout_ms = 1000;
	cfg.connect_timeout_ms = 1000;
	cfg.ctrl_queue = (which & 0x80) != 0;
	FZ_CHECK(vhost_user_create(&cfg, &vu) == 0, "vhost_user_create");
	FZ_CHECK(virtio_dev_init(&dev, &vhost_user_ops, vu, "fuzz", true) == 0, "virtio_dev_init");
	vu->listen_fd = listen_fd;
	fd = backend(f.p, f.n);

	rc = vhost_user_connect(vu);
	/* For whoever writes seeds: how far the stream took the handshake. */
	if (getenv("VPMD_FUZZ_DEBUG") != NULL)
		fprintf(stderr, "vu_reply: connect %d, features %#llx, protocol %#llx, pairs %u\n",
			rc, (unsigned long long)vhost_user_backend_features(vu),
			(unsigned long long)vhost_user_protocol_features(vu),
			vhost_user_queue_num(vu));
	if (rc == 0) {
		FZ_CHECK(vhost_user_queue_num(vu) >= 1, "connected with %u queue pairs",
			 vhost_user_queue_num(vu));
		if (which & 1)
			(void)virtio_dev_negotiate(&dev, ~0ULL, 0);
		if (which & 2)
			(void)virtio_net_config_read(&dev, dev.negotiated, &ncfg);
		if (which & 4)
			(void)vhost_user_ops.read_config(&dev, cfg_len % 64, buf,
							 (uint32_t)(cfg_len / 64 + 1) * 4);
		if (which & 8)
			(void)vhost_user_ops.get_status(&dev, &st);
		if (which & 16)
			(void)vhost_user_ops.get_features(&dev, &feat);
		if (which & 32)
			(void)vhost_user_ops.get_queue_max(&dev, 0, &qmax);
		if (which & 64)
			(void)vhost_user_reset_owner(vu);
	}
	json_decref(vhost_user_ops.dump_json(&dev));

	/* The listening socket is ours: keep it from vhost_user_destroy(). */
	vu->listen_fd = -1;
	vhost_user_destroy(vu);
	close(fd);
	return 0;
}
