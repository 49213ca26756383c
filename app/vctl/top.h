/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vctl top, inside: what its parts share. cmd_top.c holds the command
 * (options, the refresh clock, the keys); top_sample.c reads telemetry
 * and turns two samples into one frame of rates; top_render.c prints a
 * frame as a screen, a plain table or a JSON line; top_term.c owns the
 * terminal; top_trace.c adds the BPF columns (built with libbpf only).
 *
 * A frame is one jansson object, the document -j prints (its schema is
 * test/vctl/schema/top.json): the screen and the plain table render the
 * same object, so the three cannot say different things.
 *
 * Errors are a negative errno, said once with vctl_fail() where they are
 * found. Single-threaded.
 */
#ifndef VCTL_TOP_H
#define VCTL_TOP_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "vctl.h"

/* JSON keys of a frame, shared by the sampler and the renderers. */
#define TOP_K_QUEUES "queues"
#define TOP_K_PPS "packets_per_s"
#define TOP_K_BPS "bits_per_s"
#define TOP_K_BURSTS "bursts"
#define TOP_K_EMPTY "empty_share"
#define TOP_K_KICKS "kicks_per_s"
#define TOP_K_SUPP "kicks_suppressed_per_s"
#define TOP_K_REFUSED "refused"
#define TOP_K_INFLIGHT "inflight"
#define TOP_K_SIZE "size"
#define TOP_K_TRACE "trace"
#define TOP_K_LAT "latency_ns"
#define TOP_K_ENTRIES "entries_per_used"

/* Burst-size buckets, as the driver counts them: none, 1, 2-3, ..., 32 and more. */
#define TOP_N_BUCKETS 7
extern const char *const top_bucket_keys[TOP_N_BUCKETS];

/* The sort orders the s key cycles through (and --sort names). */
enum top_sort {
	TOP_SORT_QUEUE, /* port, then queue */
	TOP_SORT_RX_PPS,
	TOP_SORT_TX_PPS,
	TOP_SORT_RX_BPS,
	TOP_SORT_TX_BPS,
	TOP_SORT_EMPTY, /* rx empty-poll share */
	TOP_SORT_KICKS, /* rx and tx kicks per second */
	TOP_SORT_REFUSED,
	TOP_SORT_RING, /* the fuller ring of the pair */
	TOP_SORT_LAT,  /* the larger p99 of the pair; with --trace only */
	TOP_SORT_MAX,
};

/** The key's name ("rx_pps"), for --sort, the JSON and the header. */
const char *top_sort_name(enum top_sort s);
/** --sort's argument: the order, or -EINVAL. */
int top_sort_parse(const char *s);

/* top_sample.c */
/**
 * One sample: /vpmd/list, and the state of every queue of every port
 * whose rings run (/vpmd/queue, no descriptors: a few hundred bytes each,
 * far below telemetry's 16 KiB). A queue that vanished meanwhile (port
 * stopped or closed under us) is left out. Returns 0 with a new object in
 * @out, or a negative errno (said): the application went away (-ESRCH),
 * or the socket failed.
 */
int top_sample(struct vctl_ctx *ctx, json_t **out);

/**
 * Whether the application still answers (a paused top shows nothing new,
 * and must still notice it is gone): 0, or an error, said (-ESRCH: exited).
 */
int top_alive(struct vctl_ctx *ctx);

/**
 * The frame from @prev to @cur (both from top_sample, @secs apart; @prev
 * may be NULL: no rates yet), @time_s since vctl started. New reference.
 */
json_t *top_frame(struct vctl_ctx *ctx, const json_t *prev, const json_t *cur, double secs,
		  double time_s);

/* top_render.c */
struct top_view {
	enum top_sort sort;
	bool paused;
	bool trace;   /* the BPF columns */
	bool utf8;    /* block characters for the burst bars */
	double interval;
	int rows, cols; /* the screen's size */
};

/** The frame as a plain table (no escapes): a title line, the header, a row per queue direction. */
void top_render_plain(const json_t *frame, const struct top_view *v, FILE *f);
/** The frame on the screen: from the top left, cut to its size. */
void top_render_screen(const json_t *frame, const struct top_view *v, FILE *f);

/* top_term.c: the terminal, when stdout is one. */
/** Raw keys, the alternate screen, no cursor; undone by top_term_leave() and at exit. */
int top_term_enter(void);
/** Give the terminal back as it was. Safe to call twice. */
void top_term_leave(void);
/** The screen's size (24x80 when it cannot be asked). */
void top_term_size(int *rows, int *cols);
/** Wait up to @ms for a key: the key, 0 on timeout or a signal, or a negative errno. */
int top_term_key(int ms);

/* top_trace.c: --trace, with libbpf (VCTL_HAVE_TRACE). */
struct top_trace;
#ifdef VCTL_HAVE_TRACE
/** Attach to process @pid (the application telemetry answers for). 0 or an error, said. */
int top_trace_open(struct vctl_ctx *ctx, long pid, struct top_trace **out);
/** Read the probes' counters: the interval since the last call ends now. */
void top_trace_tick(struct top_trace *tt);
/** Virtqueue @vq of @port over the last interval: {latency_ns: {p50, p99}, entries_per_used}. */
json_t *top_trace_queue(const struct top_trace *tt, uint16_t port, uint16_t vq);
/** Detach, free. NULL is fine. */
void top_trace_close(struct top_trace *tt);
#else
/* Built without libbpf: top has no --trace option, and these are never reached. */
static inline int top_trace_open(struct vctl_ctx *ctx, long pid, struct top_trace **out)
{
	(void)pid;
	*out = NULL;
	return vctl_fail(ctx, -ENOTSUP, "vctl was built without BPF: no --trace");
}

static inline void top_trace_tick(struct top_trace *tt)
{
	(void)tt;
}

static inline json_t *top_trace_queue(const struct top_trace *tt, uint16_t port, uint16_t vq)
{
	(void)tt, (void)port, (void)vq;
	return json_null();
}

static inline void top_trace_close(struct top_trace *tt)
{
	(void)tt;
}
#endif

#endif /* VCTL_TOP_H */
