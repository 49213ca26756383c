/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vctl top --trace: the BPF columns, through a vctl trace session
 * (trace_int.h): find the process, attach to its probes, and at each
 * refresh fire "totals" and read the per-queue map. As under "vctl
 * trace", the datapath probes fire on 1 active burst in N per queue (the
 * process's sampling): the latency and entries per move are sampled, the
 * counts exact.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "top.h"
#include "trace_int.h"

struct top_trace {
	struct trace_opts opts;
	struct trace_ctx t;
};

void top_trace_close(struct top_trace *tt)
{
	if (tt == NULL)
		return;
	trace_session_close(&tt->t);
	free(tt);
}

int top_trace_open(struct vctl_ctx *ctx, long pid, struct top_trace **out)
{
	struct top_trace *tt = calloc(1, sizeof(*tt));
	int rc;

	*out = NULL;
	if (tt == NULL)
		return vctl_fail(ctx, -ENOMEM, "out of memory");
	/* The very process telemetry answers for: not trace's own pick among several. */
	tt->opts = (struct trace_opts){ .pid = (pid_t)pid, .port = -1, .queue = -1,
					.interval = 1.0 };
	tt->t.vctx = ctx;
	tt->t.opts = &tt->opts;
	rc = trace_session_open(&tt->t);
	if (rc < 0) {
		top_trace_close(tt);
		return rc;
	}
	/* The base of the first interval. */
	trace_read(&tt->t);
	*out = tt;
	return 0;
}

void top_trace_tick(struct top_trace *tt)
{
	trace_rotate(&tt->t);
	trace_read(&tt->t);
}

/* NAN as JSON null: no sample in the interval. */
static json_t *num(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

json_t *top_trace_queue(const struct top_trace *tt, uint16_t port, uint16_t vq)
{
	struct vpmd_trace_qstats d;
	int i = trace_find_queue(&tt->t, port, vq);

	if (i < 0)
		/* Not hit yet: the probes saw nothing of this queue. */
		return json_pack("{s:{s:n, s:n}, s:n}", TOP_K_LAT, "p50", "p99", TOP_K_ENTRIES);
	trace_delta(&tt->t, (unsigned int)i, &d);
	return json_pack("{s:{s:o, s:o}, s:o}", TOP_K_LAT, "p50", num(trace_lat_percentile(&d, 50)),
			 "p99", num(trace_lat_percentile(&d, 99)), TOP_K_ENTRIES,
			 num(trace_ratio(d.used_entries, d.used_moves)));
}
