/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Integration test of the vhost-user frontend against the real backend:
 * DPDK's net_vhost in dpdk-testpmd, io forwarding, which sends back on
 * port 0 what it receives on port 0. This program has no DPDK in it: it
 * is the "guest", with its rings and buffers in a memfd it shares with
 * testpmd through SET_MEM_TABLE.
 *
 * Usage: test_vu_testpmd split|packed [server] [--show]: the ring layout, and with
 * "server" we listen and net_vhost connects to us (its client=1). Two phases, each
 * against a fresh testpmd, killed with SIGKILL at the end as a crash
 * would be:
 *   1. bring-up, N packets looped back byte for byte and in order,
 *      teardown (ring bases checked), set up again from where the rings
 *      stopped, N more packets, teardown, backend killed, the hang-up
 *      seen by vhost_user_check_connection();
 *   2. the same with a new testpmd, reached by reconnecting the same
 *      frontend and renegotiating the device.
 *
 * Exit 0 on success, 1 on failure, 77 when dpdk-testpmd is missing.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vpmd/vhost_user.h>
#include <vpmd/virtio_dev.h>
#include <vpmd/virtio_spec.h>
#include <vpmd/virtqueue.h>

#define SKIP 77
#define BIT(b) (1ULL << (b))

#define MEM_SIZE (8u << 20)
#define QSIZE 256
#define BUF_SIZE 2048
#define RX_INDEX 0
#define TX_INDEX 1
#define NPKTS 3000
#define TX_WINDOW 64 /* in flight on tx, well below the rx buffers posted */
#define HDR_LEN ((uint32_t)sizeof(struct virtio_net_hdr))
#define ETH_TYPE 0x88b5 /* local experimental */
#define PROBE_SEQ 0xffffffffu
#define TRAFFIC_TIMEOUT_MS 20000
#define HANGUP_TIMEOUT_MS 5000

struct ctx {
	char dir[64];
	char sock[108];
	char prefix[64];
	char log[128];
	bool server; /* we listen, net_vhost connects (client=1) */
	bool show;   /* --show: print the device and its queues after traffic (the README's demo) */
	pid_t backend; /* testpmd, 0 when none */
	int backend_stdin; /* write end of its stdin pipe */
	int nprefix;
	char prefixes[4][64]; /* every file prefix used, for cleanup */

	int memfd;
	uint8_t *mem;
	struct vhost_user *vu;
	struct virtio_dev dev;
	struct virtqueue *rxq, *txq;
	uint8_t *ring_mem[2];
	uint8_t *rx_bufs, *tx_bufs;

	uint32_t sent, received; /* test frames, by sequence number */
	uint32_t tx_chains, tx_done, rx_chains; /* ring positions, probes included */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("vu-testpmd: ");
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	va_end(ap);
}

#define CHECK(cond, ...)                                                  \
	do {                                                              \
		if (!(cond)) {                                            \
			say("FAIL %s:%d: %s", __FILE__, __LINE__, #cond); \
			say(__VA_ARGS__);                                 \
			goto fail;                                        \
		}                                                         \
	} while (0)

#define CHECK_RC(expr)                                                        \
	do {                                                                  \
		int rc_ = (expr);                                             \
		if (rc_ != 0) {                                               \
			say("FAIL %s:%d: %s = %d (%s)", __FILE__, __LINE__, #expr, \
			    rc_, strerror(rc_ < 0 ? -rc_ : rc_));             \
			goto fail;                                            \
		}                                                             \
	} while (0)

static bool have_testpmd(void)
{
	const char *path = getenv("PATH");
	char buf[512], *dirs, *d, *save = NULL;
	bool found = false;

	dirs = strdup(path ? path : "/usr/bin:/bin");
	if (!dirs)
		return false;
	for (d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		snprintf(buf, sizeof(buf), "%s/dpdk-testpmd", d);
		found = access(buf, X_OK) == 0;
	}
	free(dirs);
	return found;
}

static void dump_backend_log(struct ctx *c)
{
	char line[512];
	FILE *f = fopen(c->log, "r");

	if (!f)
		return;
	say("---- %s ----", c->log);
	while (fgets(line, sizeof(line), f))
		fputs(line, stdout);
	say("---- end of testpmd log ----");
	fclose(f);
}

static int start_backend(struct ctx *c, const char *phase)
{
	char vdev[256], prefix_arg[96];
	int pipefd[2], logfd;
	pid_t pid;

	snprintf(c->prefix, sizeof(c->prefix), "vpmd-vu-%d-%s", (int)getpid(), phase);
	snprintf(c->prefixes[c->nprefix++], sizeof(c->prefixes[0]), "%s", c->prefix);
	snprintf(c->log, sizeof(c->log), "%s/testpmd-%s.log", c->dir, phase);
	snprintf(vdev, sizeof(vdev), "net_vhost0,iface=%s,queues=1%s", c->sock,
		 c->server ? ",client=1" : "");
	snprintf(prefix_arg, sizeof(prefix_arg), "--file-prefix=%s", c->prefix);
	/* net_vhost refuses to bind over a socket a killed testpmd left behind. */
	if (!c->server)
		unlink(c->sock);

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	logfd = open(c->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (logfd < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		close(logfd);
		return -errno;
	}
	if (pid == 0) {
		char *argv[] = {
			"dpdk-testpmd", "-l", "0,1", "--main-lcore", "0", "--no-huge", "-m", "1024",
			"--no-pci", prefix_arg, "--vdev", vdev, "--", "-a", "--no-mlockall",
			"--total-num-mbufs=16384", "--forward-mode=io", NULL,
		};

		/* testpmd exits when its stdin ends: hold it open with a pipe. */
		dup2(pipefd[0], STDIN_FILENO);
		dup2(logfd, STDOUT_FILENO);
		dup2(logfd, STDERR_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pipefd[0]);
	close(logfd);
	c->backend = pid;
	c->backend_stdin = pipefd[1];
	say("started dpdk-testpmd pid %d, prefix %s, socket %s", (int)pid, c->prefix, c->sock);
	return 0;
}

/* Kill the backend by its PID and reap it. */
static void kill_backend(struct ctx *c, int sig)
{
	int64_t t0 = now_ms();
	int status;

	if (!c->backend)
		return;
	kill(c->backend, sig);
	while (waitpid(c->backend, &status, WNOHANG) == 0) {
		if (now_ms() - t0 > 5000) {
			kill(c->backend, SIGKILL);
			waitpid(c->backend, &status, 0);
			break;
		}
		usleep(10000);
	}
	close(c->backend_stdin);
	c->backend = 0;
	c->backend_stdin = -1;
}

static bool backend_alive(struct ctx *c)
{
	int status;

	return c->backend && waitpid(c->backend, &status, WNOHANG) == 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Remove /var/run/dpdk/<prefix> for the prefixes this run made, and nothing else. */
static void remove_runtime_dirs(struct ctx *c)
{
	char path[128];
	int i;

	for (i = 0; i < c->nprefix; i++) {
		snprintf(path, sizeof(path), "/var/run/dpdk/%s", c->prefixes[i]);
		nftw(path, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	}
}

static void frame_fill(uint8_t *f, uint32_t len, uint32_t seq)
{
	static const uint8_t dst[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	static const uint8_t src[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	uint32_t k;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = ETH_TYPE >> 8;
	f[13] = ETH_TYPE & 0xff;
	f[14] = (uint8_t)(seq >> 24);
	f[15] = (uint8_t)(seq >> 16);
	f[16] = (uint8_t)(seq >> 8);
	f[17] = (uint8_t)seq;
	for (k = 18; k < len; k++)
		f[k] = (uint8_t)(seq * 7 + k);
}

static uint32_t frame_len(uint32_t seq)
{
	return 60 + (seq * 37) % (1514 - 60 + 1);
}

static uint64_t addr_of(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static int make_queues(struct ctx *c, enum vq_layout layout)
{
	struct vq_config cfg = {
		.layout = layout,
		.size = QSIZE,
		.features = c->dev.negotiated,
		.notify = virtio_dev_notify,
		.notify_ctx = &c->dev,
	};
	int ret;

	vq_destroy(c->rxq);
	vq_destroy(c->txq);
	c->rxq = c->txq = NULL;
	if (vq_ring_mem_size(&cfg) > 512 * 1024)
		return -ENOSPC;
	cfg.index = RX_INDEX;
	ret = vq_create(&cfg, c->ring_mem[0], addr_of(c->ring_mem[0]), &c->rxq);
	if (ret)
		return ret;
	cfg.index = TX_INDEX;
	return vq_create(&cfg, c->ring_mem[1], addr_of(c->ring_mem[1]), &c->txq);
}

/* On failure: the queue's state and the descriptors around @around. */
static void dump_queue(const char *name, const struct virtqueue *vq, uint32_t around)
{
	uint32_t start = (around % QSIZE) >= 4 ? (around % QSIZE) - 4 : 0;
	json_t *j = vq_to_json(vq, start, 8);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	say("%s queue: %s", name, s ? s : "(no json)");
	free(s);
	json_decref(j);
}

/* --show: the device as negotiated and each queue's state, as vctl will show them. */
static void show_state(struct ctx *c)
{
	json_t *j = json_pack("{s:o, s:o, s:o}",
			      "device", virtio_dev_to_json(&c->dev),
			      "rx", vq_to_json(c->rxq, 0, 4),
			      "tx", vq_to_json(c->txq, 0, 4));
	char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;

	printf("%s\n", s ? s : "(no json)");
	free(s);
	json_decref(j);
}

/* Give rx buffer @slot back to the device. */
static int post_rx(struct ctx *c, uint32_t slot)
{
	struct vq_buf b = { .addr = addr_of(c->rx_bufs + slot * BUF_SIZE), .len = BUF_SIZE };

	return vq_add(c->rxq, &b, 0, 1, (void *)(uintptr_t)(slot + 1), 0);
}

/* Put one frame with sequence number @seq on tx. Returns 0, or -ENOSPC. */
static int tx_frame(struct ctx *c, uint32_t seq, uint32_t flen)
{
	uint32_t slot = c->tx_chains % QSIZE;
	uint8_t *buf = c->tx_bufs + slot * BUF_SIZE;
	struct vq_buf b = { .addr = addr_of(buf), .len = HDR_LEN + flen };
	int ret;

	memset(buf, 0, HDR_LEN);
	frame_fill(buf + HDR_LEN, flen, seq);
	ret = vq_add(c->txq, &b, 1, 0, (void *)(uintptr_t)(slot + 1), 0);
	if (!ret)
		c->tx_chains++;
	return ret;
}

/* Take the tx completions; they must come in order. */
static int reap_tx(struct ctx *c)
{
	void *cookie;
	uint32_t len;
	int ret;

	while ((ret = vq_get_used(c->txq, &cookie, &len)) == 1) {
		CHECK((uintptr_t)cookie - 1 == c->tx_done % QSIZE,
		      "tx completion out of order: cookie %zu, expected slot %u",
		      (size_t)((uintptr_t)cookie - 1), c->tx_done % QSIZE);
		c->tx_done++;
	}
	/*
	 * DPDK's packed dequeue leaves the driver's length in the used
	 * descriptor of a device-readable buffer. Virtio 1.2 (2.8.4) says
	 * that length is reserved and ignored by drivers, so a refusal here
	 * is the virtqueue's bug, not the backend's.
	 */
	CHECK(ret == 0,
	      "tx vq_get_used: %d (refused for length: %" PRIu64 "; if so, the virtqueue"
	      " checked the length of a used descriptor without VRING_DESC_F_WRITE)",
	      ret, vq_get_stats(c->txq)->refused[VQ_REFUSE_LEN]);
	return 0;
fail:
	return -1;
}

/*
 * Take one received frame, if any: 1 with its sequence number and the
 * frame's length in @seq and @flen, 0 when none. The rx buffer goes back
 * to the device at once; the frame is checked against what frame_fill()
 * would have written for that sequence number.
 */
static int rx_frame(struct ctx *c, uint32_t *seq, uint32_t *flen)
{
	uint8_t want[1514];
	void *cookie;
	uint32_t len, slot;
	uint8_t *buf, *f;
	int ret;

	ret = vq_get_used(c->rxq, &cookie, &len);
	if (ret == 0)
		return 0;
	CHECK(ret == 1, "rx vq_get_used: %d", ret);
	c->rx_chains++;
	slot = (uint32_t)((uintptr_t)cookie - 1);
	buf = c->rx_bufs + slot * BUF_SIZE;
	f = buf + HDR_LEN;
	CHECK(len >= HDR_LEN + 18 && len <= HDR_LEN + 1514, "rx length %u", len);
	*flen = len - HDR_LEN;
	*seq = (uint32_t)f[14] << 24 | (uint32_t)f[15] << 16 | (uint32_t)f[16] << 8 | f[17];
	frame_fill(want, *flen, *seq);
	CHECK(memcmp(f, want, *flen) == 0, "frame %u (%u bytes): content differs", *seq, *flen);
	memset(buf, 0xee, len); /* a stale copy must not pass next time */
	CHECK_RC(post_rx(c, slot));
	vq_kick(c->rxq);
	return 1;
fail:
	return -1;
}

/*
 * testpmd empties its rx queues when forwarding starts (flush_fwd_rx_queues),
 * and with net_vhost as a client our device is ready before that. So
 * probe first: send a probe frame now and then until one comes back;
 * after that, forwarding runs and nothing is dropped any more.
 */
static int sync_backend(struct ctx *c)
{
	int64_t deadline = now_ms() + TRAFFIC_TIMEOUT_MS, last = 0, back = 0;
	uint32_t seq, flen, probes = 0;
	int ret;

	while (!back || now_ms() - back < 50) {
		CHECK(now_ms() < deadline, "no probe came back in %d ms (%u sent)",
		      TRAFFIC_TIMEOUT_MS, probes);
		CHECK(backend_alive(c), "testpmd died");
		if (!back && now_ms() - last >= 20) {
			ret = tx_frame(c, PROBE_SEQ, 60);
			if (ret == 0) {
				probes++;
				vq_kick(c->txq);
			}
			last = now_ms();
		}
		if (reap_tx(c))
			goto fail;
		while ((ret = rx_frame(c, &seq, &flen)) == 1) {
			CHECK(seq == PROBE_SEQ, "unexpected frame %u while probing", seq);
			if (!back)
				back = now_ms();
		}
		if (ret < 0)
			goto fail;
	}
	say("backend forwarding: %u probe(s) sent", probes);
	return 0;
fail:
	return -1;
}

/*
 * Send @n frames and check that each comes back, intact and in order.
 * The tx window stays below the rx buffers posted so that the backend
 * never has to drop for want of an rx buffer.
 */
static int loopback(struct ctx *c, uint32_t n)
{
	uint32_t end = c->sent + n, seq, flen;
	int64_t deadline = now_ms() + TRAFFIC_TIMEOUT_MS;
	int ret;

	if (sync_backend(c))
		goto fail;
	while (c->received < end) {
		bool kick = false;

		while (c->sent < end && c->tx_chains - c->tx_done < TX_WINDOW) {
			ret = tx_frame(c, c->sent, frame_len(c->sent));
			if (ret == -ENOSPC)
				break;
			CHECK_RC(ret);
			c->sent++;
			kick = true;
		}
		if (kick)
			vq_kick(c->txq);
		if (reap_tx(c))
			goto fail;
		while ((ret = rx_frame(c, &seq, &flen)) == 1) {
			CHECK(seq == c->received, "frame out of order: got %u, expected %u", seq,
			      c->received);
			CHECK(flen == frame_len(seq), "frame %u: %u bytes, expected %u", seq, flen,
			      frame_len(seq));
			c->received++;
		}
		if (ret < 0)
			goto fail;
		CHECK(now_ms() < deadline, "timeout: sent %u, tx completed %u, received %u of %u",
		      c->sent, c->tx_done, c->received, end);
		CHECK(backend_alive(c), "testpmd died");
	}
	/* Let the last tx completions in. */
	while (c->tx_done < c->tx_chains && now_ms() < deadline) {
		if (reap_tx(c))
			goto fail;
	}
	CHECK(c->tx_done == c->tx_chains, "tx completions missing: %u of %u", c->tx_done,
	      c->tx_chains);
	say("%u frames looped back intact and in order (total %u)", n, c->received);
	return 0;
fail:
	dump_queue("tx", c->txq, c->tx_done);
	dump_queue("rx", c->rxq, c->rx_chains);
	return -1;
}

/* What GET_VRING_BASE should say after @count single-descriptor chains. */
static uint32_t expected_base(enum vq_layout layout, uint32_t count)
{
	if (layout == VQ_LAYOUT_SPLIT)
		return count & 0xffff;
	/* Packed: slot | wrap << 15; the wrap counter starts at 1 and flips each lap. */
	return (count % QSIZE) | ((uint32_t)(((count / QSIZE) & 1) ^ 1) << 15);
}

static int setup_queues(struct ctx *c)
{
	CHECK_RC(virtio_dev_setup_queue(&c->dev, c->rxq));
	CHECK_RC(virtio_dev_setup_queue(&c->dev, c->txq));
	return 0;
fail:
	return -1;
}

static int teardown_and_check(struct ctx *c, enum vq_layout layout)
{
	uint32_t base;

	CHECK_RC(virtio_dev_teardown_queue(&c->dev, c->rxq));
	CHECK_RC(virtio_dev_teardown_queue(&c->dev, c->txq));
	CHECK_RC(vhost_user_get_vring_base(c->vu, TX_INDEX, &base));
	CHECK(base == expected_base(layout, c->tx_chains), "tx base 0x%x, expected 0x%x", base,
	      expected_base(layout, c->tx_chains));
	CHECK_RC(vhost_user_get_vring_base(c->vu, RX_INDEX, &base));
	CHECK(base == expected_base(layout, c->rx_chains), "rx base 0x%x, expected 0x%x", base,
	      expected_base(layout, c->rx_chains));
	say("teardown: ring bases tx 0x%x rx 0x%x as expected", expected_base(layout, c->tx_chains),
	    base);
	return 0;
fail:
	return -1;
}

/* Negotiate, lay out the queues, post rx buffers, DRIVER_OK. */
static int bring_up(struct ctx *c, enum vq_layout layout)
{
	uint64_t supported = BIT(VIRTIO_F_VERSION_1);
	uint32_t i;
	json_t *j;
	char *s;

	if (layout == VQ_LAYOUT_PACKED)
		supported |= BIT(VIRTIO_F_RING_PACKED);
	CHECK_RC(virtio_dev_init(&c->dev, &vhost_user_ops, c->vu, "vu-testpmd", true));
	CHECK_RC(virtio_dev_negotiate(&c->dev, supported, supported));
	say("offered 0x%" PRIx64 ", negotiated 0x%" PRIx64 ", protocol 0x%" PRIx64,
	    c->dev.offered, c->dev.negotiated, vhost_user_protocol_features(c->vu));
	CHECK(!(c->dev.offered & BIT(VHOST_USER_F_PROTOCOL_FEATURES)),
	      "bit 30 leaked into the offered features");
	CHECK_RC(make_queues(c, layout));
	c->sent = c->received = c->tx_chains = c->tx_done = c->rx_chains = 0;
	for (i = 0; i < QSIZE; i++)
		CHECK_RC(post_rx(c, i));
	vq_publish(c->rxq);
	CHECK_RC(setup_queues(c));
	CHECK_RC(virtio_dev_driver_ok(&c->dev));
	j = virtio_dev_to_json(&c->dev);
	s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	say("device: %s", s ? s : "(no json)");
	free(s);
	json_decref(j);
	return 0;
fail:
	return -1;
}

/* Kill the backend as a crash would, and wait for the frontend to notice. */
static int kill_and_detect(struct ctx *c)
{
	int64_t t0;
	int ret;

	CHECK(vhost_user_check_connection(c->vu) == 0, "connection lost before the kill");
	kill_backend(c, SIGKILL);
	t0 = now_ms();
	while ((ret = vhost_user_check_connection(c->vu)) == 0 && now_ms() - t0 < HANGUP_TIMEOUT_MS)
		usleep(10000);
	CHECK(ret == -ECONNRESET, "check_connection after kill: %d", ret);
	CHECK(!vhost_user_is_connected(c->vu), "still connected");
	CHECK(vhost_user_check_connection(c->vu) == -ENOTCONN, "not ENOTCONN afterwards");
	say("backend killed, hang-up detected after %" PRId64 " ms", now_ms() - t0);
	return 0;
fail:
	return -1;
}

/*
 * One backend's life: connect (or reconnect, for the second backend),
 * bring-up, traffic, teardown, restart of the rings from where the
 * backend stopped, more traffic, teardown, then the backend is killed
 * and the frontend must notice.
 */
static int phase(struct ctx *c, enum vq_layout layout, const char *name, bool reconnect)
{
	CHECK_RC(start_backend(c, name));
	if (reconnect)
		CHECK_RC(vhost_user_reconnect(c->vu));
	else
		CHECK_RC(vhost_user_connect(c->vu));
	if (bring_up(c, layout))
		goto fail;
	if (loopback(c, NPKTS))
		goto fail;
	if (c->show && !reconnect)
		show_state(c);
	if (teardown_and_check(c, layout))
		goto fail;
	/* Restart the rings where the backend stopped: the rx buffers still posted stay. */
	if (setup_queues(c))
		goto fail;
	if (loopback(c, NPKTS))
		goto fail;
	if (teardown_and_check(c, layout))
		goto fail;
	return kill_and_detect(c);
fail:
	return -1;
}

int main(int argc, char **argv)
{
	enum vq_layout layout;
	struct vhost_user_config cfg;
	struct vhost_user_mem_region region;
	struct ctx c = { .memfd = -1, .backend_stdin = -1 };
	int result = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && strcmp(argv[argc - 1], "--show") == 0) {
		c.show = true;
		argc--;
	}
	if (argc < 2 || argc > 3 || (strcmp(argv[1], "split") && strcmp(argv[1], "packed")) ||
	    (argc == 3 && strcmp(argv[2], "server"))) {
		fprintf(stderr, "usage: %s split|packed [server] [--show]\n", argv[0]);
		return 1;
	}
	c.server = argc == 3;
	layout = strcmp(argv[1], "split") ? VQ_LAYOUT_PACKED : VQ_LAYOUT_SPLIT;
	if (!have_testpmd()) {
		say("SKIP: dpdk-testpmd not found in PATH (package dpdk-dev)");
		return SKIP;
	}
	snprintf(c.dir, sizeof(c.dir), "/tmp/vpmd-vu-it-XXXXXX");
	if (!mkdtemp(c.dir)) {
		say("FAIL: mkdtemp: %s", strerror(errno));
		return 1;
	}
	snprintf(c.sock, sizeof(c.sock), "%s/vhost.sock", c.dir);

	c.memfd = memfd_create("vpmd-vu-it", MFD_CLOEXEC);
	CHECK(c.memfd >= 0, "memfd_create: %s", strerror(errno));
	CHECK(ftruncate(c.memfd, MEM_SIZE) == 0, "ftruncate: %s", strerror(errno));
	c.mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, c.memfd, 0);
	CHECK(c.mem != MAP_FAILED, "mmap: %s", strerror(errno));
	c.ring_mem[0] = c.mem;
	c.ring_mem[1] = c.mem + 512 * 1024;
	c.rx_bufs = c.mem + 1024 * 1024;
	c.tx_bufs = c.rx_bufs + QSIZE * BUF_SIZE;

	vhost_user_config_init(&cfg);
	cfg.path = c.sock;
	cfg.mode = c.server ? VHOST_USER_MODE_SERVER : VHOST_USER_MODE_CLIENT;
	/* testpmd needs a moment to create its socket, or to connect to ours. */
	cfg.connect_timeout_ms = 15000;
	cfg.queue_size_max = QSIZE;
	CHECK_RC(vhost_user_create(&cfg, &c.vu));
	region = (struct vhost_user_mem_region){
		.fd = c.memfd,
		.mmap_offset = 0,
		.size = MEM_SIZE,
		.user_addr = addr_of(c.mem),
		.guest_addr = addr_of(c.mem), /* descriptors carry process addresses */
	};
	CHECK_RC(vhost_user_set_mem_regions(c.vu, &region, 1));

	/* Two backends in turn: the second is reached by reconnecting the same frontend. */
	if (phase(&c, layout, layout == VQ_LAYOUT_SPLIT ? "split1" : "packed1", false))
		goto fail;
	if (phase(&c, layout, layout == VQ_LAYOUT_SPLIT ? "split2" : "packed2", true))
		goto fail;
	say("PASS");
	result = 0;
fail:
	/* On failure, SIGTERM first: testpmd then prints its port statistics. */
	if (result)
		kill_backend(&c, SIGTERM);
	if (result && c.nprefix)
		dump_backend_log(&c);
	kill_backend(&c, SIGKILL);
	vq_destroy(c.rxq);
	vq_destroy(c.txq);
	vhost_user_destroy(c.vu);
	if (c.mem && c.mem != MAP_FAILED)
		munmap(c.mem, MEM_SIZE);
	if (c.memfd >= 0)
		close(c.memfd);
	remove_runtime_dirs(&c);
	unlink(c.sock);
	{
		char path[160];

		for (int i = 0; i < c.nprefix; i++) {
			const char *ph = strrchr(c.prefixes[i], '-') + 1;

			snprintf(path, sizeof(path), "%s/testpmd-%s.log", c.dir, ph);
			unlink(path);
		}
	}
	rmdir(c.dir);
	return result;
}
