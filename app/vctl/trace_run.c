/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vctl trace, the session: find and attach (trace_attach.c), then every
 * interval read the map and print the differences, until --duration is
 * over, a signal comes or the process goes away; print the totals; one
 * cleanup path detaches everything (the kernel then lowers the probe
 * semaphores, and the datapath is back to its untraced cost).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "trace_int.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void ts_add(const struct timespec *a, double s, struct timespec *out)
{
	double t = (double)a->tv_sec + (double)a->tv_nsec / 1e9 + s;

	out->tv_sec = (time_t)t;
	out->tv_nsec = (long)((t - (double)out->tv_sec) * 1e9);
}

/* Each interval: the differences since the last one. */
static void tick(struct trace_ctx *t, const struct timespec *now)
{
	trace_read(t);
	trace_render_interval(t, trace_elapsed(&t->t_start, now), trace_elapsed(&t->t_prev, now));
	trace_rotate(t);
	t->t_prev = *now;
}

/* Wait up to @wait_s for events (with --events) or for the time to pass. */
static int wait_for(struct trace_ctx *t, double wait_s)
{
	struct timespec ts;
	int n;

	if (t->rb == NULL) {
		ts.tv_sec = (time_t)wait_s;
		ts.tv_nsec = (long)((wait_s - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
		return 0;
	}
	n = ring_buffer__poll(t->rb, (int)(wait_s * 1000));
	fflush(stdout); /* the events the poll printed, at once */
	if (n < 0 && n != -EINTR)
		return vctl_fail(t->vctx, n, "reading events: %s", strerror(-n));
	return 0;
}

/* Until the duration is over, a signal comes or the process is gone; then the totals. */
static int run_loop(struct trace_ctx *t)
{
	const struct trace_opts *op = t->opts;
	struct timespec now, next, end = { 0 };
	const char *why = "duration";
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &t->t_start);
	t->t_prev = t->t_start;
	ts_add(&t->t_start, op->interval, &next);
	if (op->duration > 0)
		ts_add(&t->t_start, op->duration, &end);
	for (;;) {
		struct timespec wake;
		double wait_s;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (stop_requested) {
			why = "signal";
			break;
		}
		if (op->duration > 0 && trace_elapsed(&end, &now) >= 0) {
			why = "duration";
			break;
		}
		if (kill(t->pid, 0) != 0 && errno == ESRCH) {
			/* Said after the totals, by main(), as every error is. */
			rc = vctl_fail(t->vctx, -ESRCH, "process %d has exited", (int)t->pid);
			why = "exited";
			break;
		}
		if (trace_elapsed(&next, &now) >= 0) {
			tick(t, &now);
			/* Keep to the grid; after a long stall, start from now. */
			ts_add(&next, op->interval, &next);
			if (trace_elapsed(&next, &now) >= 0)
				ts_add(&now, op->interval, &next);
		}
		wake = next;
		if (op->duration > 0 && trace_elapsed(&end, &next) > 0)
			wake = end;
		wait_s = trace_elapsed(&now, &wake);
		if (wait_s > 0.2)
			wait_s = 0.2; /* notice a vanished process or a signal soon enough */
		if (wait_s < 0)
			wait_s = 0;
		rc = wait_for(t, wait_s);
		if (rc < 0) {
			why = "error";
			break;
		}
	}
	if (t->rb != NULL)
		ring_buffer__consume(t->rb);
	clock_gettime(CLOCK_MONOTONIC, &now);
	trace_read(t);
	trace_render_totals(t, trace_elapsed(&t->t_start, &now), why);
	return rc;
}

int trace_session_open(struct trace_ctx *t)
{
	int rc;

	rc = trace_find_target(t);
	if (rc < 0)
		return rc;
	t->prev = calloc(TRACE_MAX_QUEUES, sizeof(*t->prev));
	t->cur = calloc(TRACE_MAX_QUEUES, sizeof(*t->cur));
	if (t->prev == NULL || t->cur == NULL)
		return vctl_fail(t->vctx, -ENOMEM, "out of memory");
	rc = trace_attach(t);
	if (rc < 0)
		return rc;
	rc = trace_tel_open(t);
	if (rc < 0)
		return rc;
	/* Where the exact counts start: now, not at each queue's first sampled burst. */
	trace_tel_sync(t);
	return 0;
}

void trace_session_close(struct trace_ctx *t)
{
	trace_tel_close(t);
	trace_detach(t);
	free(t->prev);
	free(t->cur);
	t->prev = t->cur = NULL;
}

void trace_read(struct trace_ctx *t)
{
	trace_tel_sync(t);
	trace_snapshot(t);
}

int trace_run(struct vctl_ctx *ctx, const struct trace_opts *opts)
{
	struct trace_ctx t = { .vctx = ctx, .opts = opts };
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
	int rc;

	rc = trace_session_open(&t);
	if (rc < 0)
		goto out;
	stop_requested = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	trace_render_attached(&t);
	rc = run_loop(&t);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
out:
	trace_session_close(&t);
	return rc;
}
