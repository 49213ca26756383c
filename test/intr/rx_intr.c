/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An application that sleeps until traffic comes, as DPDK's l3fwd-power
 * does, on a net_vpmd port configured with intr_conf.rxq = 1: a worker
 * lcore polls rx queue 0 until it is empty, enables its interrupt, polls
 * once more (the race the virtio spec warns of), and waits in
 * rte_epoll_wait with no timeout; when woken it disables the interrupt
 * and polls again. The backend (DPDK's net_vhost in a dpdk-testpmd of its
 * own) is driven by rx_intr.sh, which tells this program on stdin what to
 * check:
 *
 *   idle MS     for MS ms: the process's CPU time (user + sys, every
 *               thread) stays under 5 % of the wall time, and at the end
 *               the worker is asleep in epoll (state S, wchan in epoll)
 *   mark        remember the received count and the time
 *   wait N MS   within MS ms of the mark, N more packets arrive
 *   link MS     the port's link comes up within MS ms (after a reconnect)
 *   quit        wake the worker, stop, close
 *
 * Each command answers one line starting "ok" or "FAIL"; the process exits
 * 0 only if none failed. Usage: rx_intr EAL-ARGS (the vdev and -d among
 * them).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_epoll.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#define RING 256
#define BURST 32
#define IDLE_CPU_MAX 0.05

static uint16_t port;
static volatile bool quit;
static uint64_t received;  /* written by the worker only */
static uint64_t wakes;     /* epoll returns */
static volatile int worker_tid;
static volatile bool worker_ready;
static volatile int worker_error;
static bool failed;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static uint16_t poll_once(void)
{
	struct rte_mbuf *pkts[BURST];
	uint16_t n = rte_eth_rx_burst(port, 0, pkts, BURST);

	if (n > 0) {
		__atomic_fetch_add(&received, n, __ATOMIC_RELAXED);
		rte_pktmbuf_free_bulk(pkts, n);
	}
	return n;
}

/* The l3fwd-power loop, for one queue. */
static int worker(void *arg)
{
	struct rte_epoll_event ev;
	int rc;

	(void)arg;
	worker_tid = (int)syscall(SYS_gettid);
	/* The queue's event fd into this thread's epoll. */
	rc = rte_eth_dev_rx_intr_ctl_q(port, 0, RTE_EPOLL_PER_THREAD, RTE_INTR_EVENT_ADD, NULL);
	if (rc < 0) {
		worker_error = rc;
		worker_ready = true;
		return rc;
	}
	worker_ready = true;
	while (!quit) {
		if (poll_once() > 0)
			continue;
		rc = rte_eth_dev_rx_intr_enable(port, 0);
		if (rc < 0) {
			worker_error = rc;
			break;
		}
		/* What came between the empty poll and the enable: poll once more. */
		if (poll_once() > 0) {
			rte_eth_dev_rx_intr_disable(port, 0);
			continue;
		}
		rc = rte_epoll_wait(RTE_EPOLL_PER_THREAD, &ev, 1, -1);
		__atomic_fetch_add(&wakes, 1, __ATOMIC_RELAXED);
		rte_eth_dev_rx_intr_disable(port, 0);
	}
	rte_eth_dev_rx_intr_ctl_q(port, 0, RTE_EPOLL_PER_THREAD, RTE_INTR_EVENT_DEL, NULL);
	return 0;
}

static void say(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (!ok)
		failed = true;
	printf("%s ", ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* The worker's scheduler state and wait channel, from /proc. */
static void worker_sleep_state(char *state, char *wchan, size_t wlen)
{
	char path[96], buf[512];
	FILE *f;
	char *p;

	*state = '?';
	snprintf(wchan, wlen, "?");
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", worker_tid);
	f = fopen(path, "r");
	if (f != NULL) {
		/* "tid (comm) S ...": the state follows the last ')'. */
		if (fgets(buf, sizeof(buf), f) != NULL && (p = strrchr(buf, ')')) != NULL &&
		    p[1] == ' ')
			*state = p[2];
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", worker_tid);
	f = fopen(path, "r");
	if (f != NULL) {
		if (fgets(wchan, (int)wlen, f) == NULL)
			snprintf(wchan, wlen, "?");
		fclose(f);
	}
}

static void cmd_idle(unsigned int ms)
{
	uint64_t w0 = __atomic_load_n(&wakes, __ATOMIC_RELAXED);
	uint64_t r0 = __atomic_load_n(&received, __ATOMIC_RELAXED);
	double t0 = now_s(), c0 = cpu_s(), wall, cpu;
	char state, wchan[64];

	usleep(ms * 1000u);
	wall = now_s() - t0;
	cpu = cpu_s() - c0;
	worker_sleep_state(&state, wchan, sizeof(wchan));
	say(cpu < IDLE_CPU_MAX * wall && state == 'S' && strstr(wchan, "epoll") != NULL,
	    "idle %.2f s: cpu %.4f s (%.2f %% of wall, limit %.0f %%), worker state %c in %s, "
	    "%" PRIu64 " wakes, %" PRIu64 " packets",
	    wall, cpu, 100.0 * cpu / wall, 100.0 * IDLE_CPU_MAX, state, wchan,
	    __atomic_load_n(&wakes, __ATOMIC_RELAXED) - w0,
	    __atomic_load_n(&received, __ATOMIC_RELAXED) - r0);
}

static uint64_t mark_count;
static double mark_time;

static void cmd_wait(uint64_t n, unsigned int ms)
{
	uint64_t got = 0, w0 = __atomic_load_n(&wakes, __ATOMIC_RELAXED);
	double first = -1, t;

	while ((t = now_s() - mark_time) < ms / 1000.0) {
		got = __atomic_load_n(&received, __ATOMIC_RELAXED) - mark_count;
		if (got > 0 && first < 0)
			first = t;
		if (got >= n)
			break;
		usleep(1000);
	}
	/* Anything more than asked would show as a count above n. */
	usleep(100 * 1000);
	got = __atomic_load_n(&received, __ATOMIC_RELAXED) - mark_count;
	say(got == n, "received %" PRIu64 " of %" PRIu64 " packets, the first %.1f ms and all %.1f ms "
		      "after the mark (limit %u ms), %" PRIu64 " wakes; total %" PRIu64,
	    got, n, first * 1e3, t * 1e3, ms, __atomic_load_n(&wakes, __ATOMIC_RELAXED) - w0,
	    __atomic_load_n(&received, __ATOMIC_RELAXED));
}

static void cmd_link(unsigned int ms)
{
	struct rte_eth_link link;
	double t0 = now_s();

	do {
		memset(&link, 0, sizeof(link));
		rte_eth_link_get_nowait(port, &link);
		if (link.link_status == RTE_ETH_LINK_UP)
			break;
		usleep(10 * 1000);
	} while (now_s() - t0 < ms / 1000.0);
	say(link.link_status == RTE_ETH_LINK_UP, "link %s after %.0f ms",
	    link.link_status == RTE_ETH_LINK_UP ? "up" : "down", (now_s() - t0) * 1e3);
}

/* Port 0 with rx interrupts, one queue pair, started, link up. */
static int port_up(struct rte_mempool *mp)
{
	struct rte_eth_conf conf;
	int rc;

	memset(&conf, 0, sizeof(conf));
	conf.intr_conf.rxq = 1;
	rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(port, 0, RING, rte_socket_id(), NULL, mp);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(port, 0, RING, rte_socket_id(), NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	/* testpmd's frames go to its peer address, not ours: take every frame. */
	if (rc == 0)
		rc = rte_eth_promiscuous_enable(port);
	return rc;
}

int main(int argc, char **argv)
{
	struct rte_mempool *mp;
	unsigned int lcore;
	char line[128];
	unsigned int ms;
	uint64_t n;
	int rc, fd;

	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		printf("FAIL EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (rte_eth_dev_get_port_by_name("net_vpmd0", &port) != 0) {
		printf("FAIL no net_vpmd0 port (is the driver loaded?)\n");
		return 1;
	}
	mp = rte_pktmbuf_pool_create("rx_intr", 2047, 64, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     (int)rte_socket_id());
	if (mp == NULL || (rc = port_up(mp)) != 0) {
		printf("FAIL port setup: %s\n", mp == NULL ? "no pool" : rte_strerror(-rc));
		return 1;
	}
	cmd_link(5000);
	lcore = rte_get_next_lcore(-1, 1, 0);
	if (lcore >= RTE_MAX_LCORE) {
		printf("FAIL no worker lcore (give -l two cores)\n");
		return 1;
	}
	rte_eal_remote_launch(worker, NULL, lcore);
	while (!worker_ready)
		usleep(1000);
	say(worker_error == 0, "worker on lcore %u registered rx queue 0's event fd: %s", lcore,
	    worker_error == 0 ? "yes" : rte_strerror(-worker_error));
	printf("READY\n");
	fflush(stdout);

	while (!failed && fgets(line, sizeof(line), stdin) != NULL) {
		if (sscanf(line, "idle %u", &ms) == 1) {
			cmd_idle(ms);
		} else if (strncmp(line, "mark", 4) == 0) {
			mark_count = __atomic_load_n(&received, __ATOMIC_RELAXED);
			mark_time = now_s();
			say(true, "mark at %" PRIu64 " packets", mark_count);
		} else if (sscanf(line, "wait %" SCNu64 " %u", &n, &ms) == 2) {
			cmd_wait(n, ms);
		} else if (sscanf(line, "link %u", &ms) == 1) {
			cmd_link(ms);
		} else if (strncmp(line, "quit", 4) == 0) {
			break;
		} else {
			say(false, "unknown command: %s", line);
		}
		if (worker_error != 0)
			say(false, "worker: %s", rte_strerror(-worker_error));
	}
	/* Wake the worker the way the device would, so that it sees quit. */
	quit = true;
	fd = rte_eth_dev_rx_intr_ctl_q_get_fd(port, 0);
	if (fd >= 0) {
		uint64_t one = 1;

		if (write(fd, &one, sizeof(one)) < 0)
			say(false, "cannot wake the worker: %s", strerror(errno));
	}
	rte_eal_wait_lcore(lcore);
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	rte_eal_cleanup();
	printf("%s\n", failed ? "FAILED" : "PASSED");
	return failed ? 1 : 0;
}
