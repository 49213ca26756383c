/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memory added after dev_start reaches the backend (test/ethdev/memhotplug.sh
 * runs this against DPDK's net_vhost in a dpdk-testpmd of its own).
 *
 * This process is the frontend: EAL on hugepages, net_vpmd loaded with -d
 * and connected to SOCK. The port starts with a small pool; then a pool
 * big enough to make EAL map new hugepages is created. Its memory must be
 * in the backend's table at once (the transport's mem_updates counter,
 * read through our own telemetry socket, moves before anything is sent),
 * and frames built in it are transmitted. The pool is freed (EAL unmaps
 * pages: the table must shrink, not keep them) and more frames go from
 * the first pool. The shell checks the backend received them all.
 *
 * "limit": EAL without --single-file-segments, a file per page: the new
 * pool needs more files than a table has regions. The update is refused
 * with a count (mem_refused) and the port goes on with the table it had:
 * frames from the first pool still go.
 *
 * Usage: test_ethdev_memhotplug single|limit SOCK HUGEDIR PREFIX
 * Prints "SENT n" with the frames transmitted. Exit 0 pass, 1 fail.
 */
#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_memory.h>
#include <rte_mempool.h>

#define SMALL_POOL 1023
#define BIG_POOL 32767 /* ~75 MB of 2 MB pages: more than EAL has mapped */
#define RING_SIZE 256
#define BURST 32
#define FRAMES 2000
#define FRAME_LEN 64

static bool failed;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("FAIL: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	failed = true;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A counter of the port's transport, from /vpmd/status through our own telemetry socket. */
static long long transport_counter(const char *key)
{
	static char reply[65536];
	char pattern[64], path[PATH_MAX];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *cmd = "/vpmd/status,0";
	long long value = -1;
	glob_t g;
	char *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/dpdk_telemetry.v2*", rte_eal_get_runtime_dir());
	if (glob(path, 0, NULL, &g) != 0 || g.gl_pathc == 0)
		return -1;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", g.gl_pathv[0]);
	globfree(&g);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    recv(fd, reply, sizeof(reply) - 1, 0) <= 0 || /* the greeting */
	    send(fd, cmd, strlen(cmd), 0) < 0)
		goto out;
	n = recv(fd, reply, sizeof(reply) - 1, 0);
	if (n <= 0)
		goto out;
	reply[n] = '\0';
	snprintf(pattern, sizeof(pattern), "\"%s\":", key);
	p = strstr(reply, pattern);
	if (p != NULL)
		value = strtoll(p + strlen(pattern), NULL, 10);
out:
	close(fd);
	return value;
}

static int count_seg(const struct rte_memseg_list *msl, const struct rte_memseg *ms, void *arg)
{
	(void)msl;
	(void)ms;
	(*(unsigned int *)arg)++;
	return 0;
}

static unsigned int memsegs(void)
{
	unsigned int n = 0;

	rte_memseg_walk(count_seg, &n);
	return n;
}

/* @n frames from @mp, transmitted (completions freed on the way). Returns how many went. */
static unsigned int send_frames(uint16_t port, struct rte_mempool *mp, unsigned int n)
{
	static const struct rte_ether_addr dst = { { 0x02, 0, 0, 0, 0, 0x02 } };
	struct rte_mbuf *pkts[BURST];
	unsigned int sent = 0, i, k;
	double deadline = now_s() + 10;

	while (sent < n && now_s() < deadline) {
		unsigned int want = n - sent < BURST ? n - sent : BURST;
		uint16_t got;

		if (rte_pktmbuf_alloc_bulk(mp, pkts, want) != 0)
			continue; /* in flight: the ring gives them back */
		for (i = 0; i < want; i++) {
			struct rte_ether_hdr *eh =
				(struct rte_ether_hdr *)rte_pktmbuf_append(pkts[i], FRAME_LEN);

			memset(eh, 0, FRAME_LEN);
			eh->dst_addr = dst;
			eh->src_addr = dst;
			eh->src_addr.addr_bytes[5] = 1;
			eh->ether_type = rte_cpu_to_be_16(0x88b5);
		}
		got = rte_eth_tx_burst(port, 0, pkts, (uint16_t)want);
		for (k = got; k < want; k++)
			rte_pktmbuf_free(pkts[k]);
		sent += got;
	}
	return sent;
}

int main(int argc, char **argv)
{
	char vdev[PATH_MAX + 32], huge[PATH_MAX + 16], prefix[128];
	char *eal_argv[20];
	int eal_argc = 0;
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_link link;
	struct rte_mempool *small, *big;
	bool limit;
	uint16_t port;
	unsigned int segs0, segs1, sent = 0, n;
	long long upd0, upd1, upd2, ref0, ref1;
	double deadline;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 5 || (strcmp(argv[1], "single") && strcmp(argv[1], "limit"))) {
		fprintf(stderr, "usage: %s single|limit SOCK HUGEDIR PREFIX\n", argv[0]);
		return 2;
	}
	limit = strcmp(argv[1], "limit") == 0;
	snprintf(vdev, sizeof(vdev), "net_vpmd0,path=%s", argv[2]);
	snprintf(huge, sizeof(huge), "--huge-dir=%s", argv[3]);
	snprintf(prefix, sizeof(prefix), "--file-prefix=%s", argv[4]);
	eal_argv[eal_argc++] = argv[0];
	eal_argv[eal_argc++] = (char *)"-l";
	eal_argv[eal_argc++] = (char *)"0"; /* the backend forwards on 1 */
	eal_argv[eal_argc++] = (char *)"--no-pci";
	eal_argv[eal_argc++] = huge;
	eal_argv[eal_argc++] = prefix;
	if (!limit)
		eal_argv[eal_argc++] = (char *)"--single-file-segments";
	eal_argv[eal_argc++] = (char *)"-d";
	eal_argv[eal_argc++] = (char *)"librte_net_vpmd.so";
	eal_argv[eal_argc++] = (char *)"--vdev";
	eal_argv[eal_argc++] = vdev;
	eal_argv[eal_argc++] = (char *)"--log-level=pmd.net.vpmd.*:info";
	eal_argv[eal_argc] = NULL;
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fail("EAL init: %s", rte_strerror(rte_errno));
		return 1;
	}
	if (rte_eth_dev_get_port_by_name("net_vpmd0", &port) != 0) {
		fail("no net_vpmd0 port");
		goto out;
	}
	small = rte_pktmbuf_pool_create("small", SMALL_POOL, 32, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					(int)rte_socket_id());
	if (small == NULL || rte_eth_dev_configure(port, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(port, 0, RING_SIZE, (unsigned int)rte_socket_id(), NULL,
				   small) != 0 ||
	    rte_eth_tx_queue_setup(port, 0, RING_SIZE, (unsigned int)rte_socket_id(), NULL) != 0) {
		fail("port setup");
		goto out;
	}
	if (rte_eth_dev_start(port) != 0) {
		fail("dev_start");
		goto out;
	}
	deadline = now_s() + 5;
	do {
		rte_eth_link_get_nowait(port, &link);
	} while (link.link_status != RTE_ETH_LINK_UP && now_s() < deadline);
	if (link.link_status != RTE_ETH_LINK_UP) {
		fail("link not up");
		goto out;
	}
	upd0 = transport_counter("mem_updates");
	ref0 = transport_counter("mem_refused");
	segs0 = memsegs();
	printf("started: %u memory segments, mem_updates %lld, mem_refused %lld, regions %lld\n",
	       segs0, upd0, ref0, transport_counter("mem_regions"));
	if (upd0 < 0 || ref0 < 0) {
		fail("no mem_updates/mem_refused in /vpmd/status");
		goto out;
	}

	big = rte_pktmbuf_pool_create("big", BIG_POOL, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				      (int)rte_socket_id());
	if (big == NULL) {
		fail("big pool: %s", rte_strerror(rte_errno));
		goto out;
	}
	segs1 = memsegs();
	/* No waiting: the table must have gone before the pool was ours. */
	upd1 = transport_counter("mem_updates");
	ref1 = transport_counter("mem_refused");
	printf("big pool: %u memory segments, mem_updates %lld, mem_refused %lld, regions %lld\n",
	       segs1, upd1, ref1, transport_counter("mem_regions"));
	if (segs1 <= segs0)
		fail("the big pool did not make EAL map pages (%u segments before, %u after)", segs0,
		     segs1);
	if (!limit) {
		if (upd1 <= upd0)
			fail("no memory table sent for the new pages (mem_updates %lld -> %lld)",
			     upd0, upd1);
		if (ref1 != ref0)
			fail("memory table refused (%lld)", ref1);
		n = send_frames(port, big, FRAMES);
		printf("sent %u frames from the new pool\n", n);
		if (n != FRAMES)
			fail("only %u of %u frames from the new pool went", n, FRAMES);
		sent += n;
	} else {
		if (ref1 <= ref0)
			fail("more files than regions, and no refusal counted (mem_refused %lld)",
			     ref1);
		if (upd1 != upd0)
			fail("a table was sent past the limit (mem_updates %lld -> %lld)", upd0,
			     upd1);
	}

	/*
	 * Frames from the first pool push the ring round, so that every mbuf
	 * of the big one is reclaimed before it goes.
	 */
	n = send_frames(port, small, 4 * RING_SIZE);
	sent += n;
	if (rte_mempool_in_use_count(big) != 0) {
		fail("%u mbufs of the big pool still out: not freeing it",
		     rte_mempool_in_use_count(big));
		goto stop;
	}
	/* The pages go back to EAL: the table must let go of them first. */
	rte_mempool_free(big);
	upd2 = transport_counter("mem_updates");
	printf("big pool freed: %u memory segments, mem_updates %lld, regions %lld\n", memsegs(),
	       upd2, transport_counter("mem_regions"));
	if (!limit && upd2 <= upd1)
		fail("no memory table sent after the pages were freed (mem_updates %lld)", upd2);

	n = send_frames(port, small, FRAMES);
	printf("sent %u frames from the first pool\n", n);
	if (n != FRAMES)
		fail("only %u of %u frames from the first pool went", n, FRAMES);
	sent += n;
stop:
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
out:
	printf("SENT %u\n", sent);
	rte_eal_cleanup();
	return failed ? 1 : 0;
}
