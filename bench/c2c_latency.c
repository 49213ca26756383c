/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * c2c_latency: the round trip of one cache line between two CPUs, in ns.
 *
 * bench/run.sh runs it before and after every trial. On a VM the host may
 * place the two vCPUs close together (shared cache) or far apart, and move
 * them while the guest runs, without the guest seeing it: every ring cache
 * line the backend and the frontend pass to each other then costs more, and
 * the packet rate of both drivers follows. This program measures that cost
 * directly, on the two CPUs the bench's forwarding lcores use.
 *
 * Two threads, one pinned on each CPU, take turns writing a counter in one
 * cache line: the main thread writes an odd value and spins until it reads
 * the next even one, which the other thread writes when it has seen the odd
 * one. One such exchange is a round trip: the line goes over and comes back.
 *
 * The measurement is BATCHES batches of 2 ms each by default (--time).
 * Prints one number: the median of the batches' mean round trips, so that
 * an interrupt or a preemption in one batch does not move it (one such
 * batch here reads 700 ns against 53).
 *
 * Exit code: 0 measured, 1 the system said no (pinning failed, the other
 * CPU did not answer), 2 bad arguments. Needs no DPDK and no privileges.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_CPU_A 0
#define DEFAULT_CPU_B 1
#define BATCHES	      16
/* 16 batches of 2 ms: about 35 ms whatever the latency. */
#define DEFAULT_TIME_MS 32
#define MAX_TIME_MS	60000
/* Round trips between two clock reads in a timed batch. */
#define CHUNK 256
/*
 * Not measured: brings the other thread up and both vCPUs out of their idle
 * state (after a sleep, the first milliseconds here run several times slower).
 */
#define WARMUP_NS 5000000ull
/* A round trip that takes this long means the other CPU is not running us. */
#define STALL_NS 1000000000ull
/* Spins between two clock reads while waiting: keeps the clock off the path. */
#define STALL_CHECK_MASK 0xffffu
/* Written by the main thread when it is done or gives up: the other returns. */
#define SEQ_STOP UINT64_MAX

/*
 * The one line that travels. 128-byte aligned and padded, so that no other
 * data shares it or the line an adjacent-line prefetcher pairs with it.
 */
struct shared_line {
	_Alignas(128) _Atomic uint64_t seq;
	char pad[128 - sizeof(uint64_t)];
};

static struct shared_line line;

struct opts {
	int cpu_a;
	int cpu_b;
	uint64_t time_ms;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: c2c_latency [--cpus A,B] [--time MS]\n"
		"\n"
		"Bounces one cache line between a thread pinned on CPU A and one on CPU B\n"
		"and prints the round trip in ns: the median of %d batches' mean.\n"
		"\n"
		"  -c, --cpus A,B    the two CPUs (default %d,%d: the forwarding lcores of\n"
		"                    bench/run.sh's two testpmd)\n"
		"  -t, --time MS     measure for about MS ms, 1 to %d (default %d)\n"
		"  -h, --help        this text\n"
		"\n"
		"Exit code: 0 measured, 1 pinning failed or the other CPU did not answer,\n"
		"2 bad arguments.\n",
		BATCHES, DEFAULT_CPU_A, DEFAULT_CPU_B, MAX_TIME_MS, DEFAULT_TIME_MS);
}

static void __attribute__((format(printf, 1, 2))) err(const char *fmt, ...)
{
	va_list ap;

	fputs("c2c_latency: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Parses a decimal in [min, max]. With end, stops at the first non-digit
 * and says where; without, the number must be all of s.
 */
static int parse_u64(const char *s, char **end, uint64_t min, uint64_t max, uint64_t *out)
{
	char *e;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &e, 10);
	if (errno != 0 || v < min || v > max)
		return -ERANGE;
	if (end != NULL)
		*end = e;
	else if (*e != '\0')
		return -EINVAL;
	*out = v;
	return 0;
}

/* "A,B": two different CPU numbers. -EDOM when they are the same. */
static int parse_cpus(const char *s, struct opts *o)
{
	uint64_t a, b;
	char *e;
	int rc;

	rc = parse_u64(s, &e, 0, CPU_SETSIZE - 1, &a);
	if (rc < 0)
		return rc;
	if (*e != ',')
		return -EINVAL;
	rc = parse_u64(e + 1, NULL, 0, CPU_SETSIZE - 1, &b);
	if (rc < 0)
		return rc;
	if (a == b)
		return -EDOM;
	o->cpu_a = (int)a;
	o->cpu_b = (int)b;
	return 0;
}

/* 0 parsed, 1 help printed, -EINVAL bad usage (message printed). */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "cpus", required_argument, NULL, 'c' },
		{ "time", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	o->cpu_a = DEFAULT_CPU_A;
	o->cpu_b = DEFAULT_CPU_B;
	o->time_ms = DEFAULT_TIME_MS;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			rc = parse_cpus(optarg, o);
			if (rc == -EDOM) {
				err("--cpus '%s': the two CPUs must differ", optarg);
				return -EINVAL;
			}
			if (rc < 0) {
				err("--cpus '%s': want two CPU numbers A,B (0 to %d)", optarg,
				    CPU_SETSIZE - 1);
				return -EINVAL;
			}
			break;
		case 't':
			if (parse_u64(optarg, NULL, 1, MAX_TIME_MS, &o->time_ms) < 0) {
				err("--time '%s': want a number of ms from 1 to %d", optarg,
				    MAX_TIME_MS);
				return -EINVAL;
			}
			break;
		case 'h':
			usage(stdout);
			return 1;
		case ':':
			err("option '%s' wants a value", argv[optind - 1]);
			return -EINVAL;
		default:
			if (optopt != 0)
				err("unknown option '-%c' (--help lists them)", optopt);
			else
				err("unknown option '%s' (--help lists them)", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		err("unexpected argument '%s' (--help lists the options)", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/*
 * Both CPUs must be in the set this process may run on (online, and allowed
 * by its cgroup and affinity): pinning elsewhere fails. 0 or a negative
 * errno (message printed).
 */
static int check_cpus(const struct opts *o)
{
	cpu_set_t allowed;
	const int cpus[2] = { o->cpu_a, o->cpu_b };
	int i, e;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
		e = errno;
		err("cannot read this process's CPU set: %s", strerror(e));
		return -e;
	}
	for (i = 0; i < 2; i++) {
		if (!CPU_ISSET(cpus[i], &allowed)) {
			err("CPU %d is not available to this process (it may run on %d CPUs)",
			    cpus[i], CPU_COUNT(&allowed));
			return -EINVAL;
		}
	}
	return 0;
}

/* The other thread: answers every odd value with the next even one. */
static void *pong(void *arg)
{
	uint64_t seen;

	(void)arg;
	for (;;) {
		seen = atomic_load_explicit(&line.seq, memory_order_acquire);
		if (seen == SEQ_STOP)
			return NULL;
		if (seen & 1)
			atomic_store_explicit(&line.seq, seen + 1, memory_order_release);
	}
}

/* Round trips first .. first+n-1; -ETIMEDOUT if one of them stalls. */
static int ping(uint64_t first, uint64_t n)
{
	uint64_t i, want, spins, wait_start;

	for (i = first; i < first + n; i++) {
		want = 2 * i + 2;
		atomic_store_explicit(&line.seq, want - 1, memory_order_release);
		spins = 0;
		wait_start = 0;
		while (atomic_load_explicit(&line.seq, memory_order_acquire) != want) {
			if ((++spins & STALL_CHECK_MASK) != 0)
				continue;
			if (wait_start == 0)
				wait_start = now_ns();
			else if (now_ns() - wait_start > STALL_NS)
				return -ETIMEDOUT;
		}
	}
	return 0;
}

/*
 * One batch from round trip *next on, as many as fit in @ns (CHUNK at a
 * time, so that the clock is read once per CHUNK). Sets the batch's mean
 * and advances *next. 0 or -ETIMEDOUT.
 */
static int run_batch(uint64_t *next, uint64_t ns, double *mean_ns)
{
	uint64_t t0, t1, done = 0;
	int rc;

	t0 = now_ns();
	do {
		rc = ping(*next, CHUNK);
		if (rc < 0)
			return rc;
		*next += CHUNK;
		done += CHUNK;
		t1 = now_ns();
	} while (t1 - t0 < ns);
	*mean_ns = (double)(t1 - t0) / (double)done;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Pins the calling thread on cpu; 0 or a negative errno (message printed). */
static int pin_self(int cpu)
{
	cpu_set_t set;
	int rc;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (rc != 0) {
		err("cannot pin to CPU %d: %s", cpu, strerror(rc));
		return -rc;
	}
	return 0;
}

/*
 * Starts pong on a thread pinned on cpu: glibc applies the affinity before
 * the thread runs, or fails the create. 0 or a negative errno (message
 * printed).
 */
static int start_pong(int cpu, pthread_t *thread)
{
	cpu_set_t set;
	pthread_attr_t attr;
	int rc;

	rc = pthread_attr_init(&attr);
	if (rc != 0) {
		err("pthread_attr_init: %s", strerror(rc));
		return -rc;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	rc = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	if (rc == 0) {
		rc = pthread_create(thread, &attr, pong, NULL);
		if (rc != 0)
			err("cannot start a thread pinned on CPU %d: %s", cpu, strerror(rc));
	} else {
		err("cannot pin a thread on CPU %d: %s", cpu, strerror(rc));
	}
	pthread_attr_destroy(&attr);
	return -rc;
}

/*
 * Pins this thread on cpu_a, starts the other on cpu_b, runs the warm-up
 * and the batches. Sets the median of the batch means; returns 0 or a
 * negative errno (message printed).
 */
static int measure(const struct opts *o, double *median_ns)
{
	double batch_ns[BATCHES];
	uint64_t next = 0;
	pthread_t thread;
	int rc, b;

	rc = pin_self(o->cpu_a);
	if (rc < 0)
		return rc;
	atomic_store(&line.seq, 0);
	rc = start_pong(o->cpu_b, &thread);
	if (rc < 0)
		return rc;

	rc = run_batch(&next, WARMUP_NS, &batch_ns[0]);
	for (b = 0; rc == 0 && b < BATCHES; b++)
		rc = run_batch(&next, o->time_ms * 1000000 / BATCHES, &batch_ns[b]);
	/* Also ends a thread that never ran: process exit does, then. */
	atomic_store(&line.seq, SEQ_STOP);
	if (rc < 0) {
		err("CPU %d did not answer for %llu ms: is it busy with a higher-priority task?",
		    o->cpu_b, STALL_NS / 1000000);
		return rc;
	}
	pthread_join(thread, NULL);

	qsort(batch_ns, BATCHES, sizeof(batch_ns[0]), cmp_double);
	*median_ns = (batch_ns[BATCHES / 2 - 1] + batch_ns[BATCHES / 2]) / 2;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	double median_ns;
	int rc;

	rc = parse_args(argc, argv, &o);
	if (rc > 0)
		return 0;
	if (rc < 0)
		return 2;
	if (check_cpus(&o) < 0)
		return 1;
	if (measure(&o, &median_ns) < 0)
		return 1;
	printf("%.1f\n", median_ns);
	return 0;
}
