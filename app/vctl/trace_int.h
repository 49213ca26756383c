/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vctl trace, inside: what the loader's parts share. trace_attach.c finds
 * the process and attaches the BPF programs, trace_agg.c turns the
 * per-queue map into numbers, trace_render.c prints them, trace_run.c
 * holds the session together (the clock, the signals, the one cleanup).
 *
 * Errors are a negative errno, said once with vctl_fail() where they are
 * found. Single-threaded: the ring buffer callback runs inside
 * ring_buffer__poll() on the caller's thread.
 */
#ifndef VCTL_TRACE_INT_H
#define VCTL_TRACE_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tel.h"
#include "trace.h"
#include "vpmd_trace.h"

#define TRACE_MAX_QUEUES VPMD_TRACE_MAX_QUEUES

/* The probes, in the order trace_attach.c attaches them. */
#define TRACE_N_PROBES 6
/*
 * The table needs the first five. refill fires in a sampled rx burst,
 * right before the kick decision that reports the same descriptors:
 * attached only for --events, it would otherwise add a traced hit.
 */
#define TRACE_PROBE_REFILL 5
extern const char *const trace_probe_names[TRACE_N_PROBES];

/* enum vq_refuse_reason, by name: the "refused" counters' keys. */
#define TRACE_N_REASONS 5
extern const char *const trace_reason_names[TRACE_N_REASONS];

struct ring_buffer;
struct vpmd_trace_bpf;

/* One queue's counters as the map held them at one instant. */
struct qsnap {
	struct vpmd_trace_key key;
	struct vpmd_trace_qstats st;
};

struct trace_ctx {
	struct vctl_ctx *vctx;         /* -j/-p, --prefix, the error */
	const struct trace_opts *opts;
	pid_t pid;                     /* the process, once found */
	char lib[PATH_MAX];            /* its net_vpmd library */
	struct vpmd_trace_bpf *skel;
	struct ring_buffer *rb;        /* with --events */
	struct qsnap *prev, *cur;      /* snapshots at the last and this tick, sorted */
	unsigned int n_prev, n_cur;
	struct timespec t_start, t_prev;
	uint64_t events_seen;
	struct tel tel;                /* the process's telemetry socket (trace_tel.c) */
	bool tel_ok;                   /* open, and it has /vpmd/trace */
	const char *tel_missing;       /* why not, when not: said once at attach */
	long sample_every;             /* the process's sampling: 1 active burst in this many */
	long sample_prev;              /* what to set it back to at the end; 0: leave it */
};

static inline bool trace_json(const struct trace_ctx *t)
{
	return t->vctx->json || t->vctx->pretty;
}

/* How many of trace_probe_names are attached. */
static inline unsigned int trace_probes_wanted(bool events)
{
	return events ? TRACE_N_PROBES : TRACE_PROBE_REFILL;
}

/* trace_run.c: a session, for vctl trace and vctl top --trace alike. */
/**
 * Find the process (t->opts), allocate the snapshots, attach, open the
 * telemetry socket and fire the first "totals": the exact counts start
 * here. On error, the caller still calls trace_session_close().
 */
int trace_session_open(struct trace_ctx *t);
/** Undo trace_session_open, whatever it got to; the sampling is given back. */
void trace_session_close(struct trace_ctx *t);
/** Fire "totals" (the exact counts end now), then read the map into t->cur. */
void trace_read(struct trace_ctx *t);

/* trace_attach.c */
/** The process (from --pid, --prefix or the only one), its net_vpmd library, uprobe support. */
int trace_find_target(struct trace_ctx *t);
/** Open, set the filters, load, attach the probes; the ring buffer with --events. */
int trace_attach(struct trace_ctx *t);
/** Undo trace_attach, whatever it got to: destroying the links lowers the semaphores. */
void trace_detach(struct trace_ctx *t);

/* trace_tel.c: the process's side, through telemetry (/vpmd/trace). */
/** Open the socket, set --sample; without a socket, go on unless --sample needs it. */
int trace_tel_open(struct trace_ctx *t);
/** Fire the "totals" probe of every queue now: the exact counts end here. */
void trace_tel_sync(struct trace_ctx *t);
/** Give the sampling back and close. */
void trace_tel_close(struct trace_ctx *t);

/* trace_agg.c: the map, as numbers. */
/** Read the whole per-queue map into t->cur, sorted by port and virtqueue. */
void trace_snapshot(struct trace_ctx *t);
/** Index in t->cur of virtqueue @vq of port @port, or -1: no hit yet. */
int trace_find_queue(const struct trace_ctx *t, uint16_t port, uint16_t vq);
/** @d = t->cur[i] minus the same queue in t->prev (all of it if the queue is new). */
void trace_delta(const struct trace_ctx *t, unsigned int i, struct vpmd_trace_qstats *d);
/** This snapshot becomes the next interval's base. */
void trace_rotate(struct trace_ctx *t);
/** Percentile @p (0-100) of the latency histogram, in ns; NAN when it is empty. */
double trace_lat_percentile(const struct vpmd_trace_qstats *st, double p);
/** @a / @b; NAN when @b is 0. */
double trace_ratio(uint64_t a, uint64_t b);
/** Seconds from @a to @b. */
double trace_elapsed(const struct timespec *a, const struct timespec *b);

/* trace_render.c: text tables, JSON lines (-j, indented with -p), the event stream. */
void trace_render_attached(const struct trace_ctx *t);
/** t->cur against t->prev: @now_s since attach, over @secs. */
void trace_render_interval(const struct trace_ctx *t, double now_s, double secs);
/** t->cur, since attach: @now_s long, ended for @why ("duration", "signal", ...). */
void trace_render_totals(const struct trace_ctx *t, double now_s, const char *why);
/** ring_buffer__new's callback: one event, printed (not flushed); @arg is the trace_ctx. */
int trace_render_event(void *arg, void *data, size_t size);

#endif /* VCTL_TRACE_INT_H */
