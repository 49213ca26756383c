/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * USDT probes of net_vpmd (provider "vpmd"), documented in doc/trace.md.
 *
 * A traced probe hit costs about a microsecond (a uprobe trap), so the
 * datapath probes fire on one active burst in N per queue (N from
 * vpmd_trace_set_sample_every(), telemetry /vpmd/trace), not on every
 * one. What must stay exact needs no hit of its own: every probe carries
 * the queue's running totals (kicks, suppressed kicks, chains given back,
 * used moves), so a tracer takes exact differences between any two hits,
 * and the "totals" probe, fired from the control thread when a tracer
 * asks (vpmd_trace_fire_totals()), closes a window at any instant.
 * Refusals are rare and fire every time.
 *
 * Each probe sits behind its semaphore, a counter the kernel raises while
 * a tracer is attached, so the untraced datapath pays a few loads of one
 * cache line and a predictable branch per burst. The probe instructions
 * themselves, and <sys/sdt.h>, live in vpmd_trace.c, reached only when a
 * semaphore is up.
 *
 * Built with -Dprobes=false the macros are the plain calls and nothing
 * else: the build bench/probe_cost.sh compares against.
 *
 * The "queue" of every probe is the virtqueue index: 2N for rx queue N,
 * 2N+1 for tx queue N (virtio-net numbering).
 */
#ifndef VPMD_TRACE_H
#define VPMD_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>

#include <vpmd/virtqueue.h>

/* Sampling unless a tracer says otherwise: 1 active burst in this many, on average. */
#define VPMD_TRACE_SAMPLE_DEFAULT 128
#define VPMD_TRACE_SAMPLE_MAX 65536

/* Per queue, touched only by the queue's thread (and only while traced). */
struct vpmd_trace_queue {
	uint32_t countdown;   /* active bursts until the next sampled one; 0: the next */
	uint32_t rng;         /* spreads the samples (vpmd_trace.c) */
	/*
	 * A sampled kick decision published the queue's chains up to here:
	 * the first used move that gives them all back fires too, so the
	 * kick-to-used latency is measured. 0: none waited for.
	 */
	uint64_t wait_chains;
	uint64_t moves_seen;  /* the queue's used moves at its last traced burst */
};

/* One burst's tracing state, on its stack: decided at the burst's start. */
struct vpmd_trace_burst {
	bool on;              /* a tracer is attached */
	bool decided;         /* the countdown ticked for this burst */
	bool sampled;         /* this burst fires its probes */
	bool full;            /* its used part may fire: position and returned were taken */
	uint16_t used_idx;    /* where the used part started (full) */
	uint64_t returned;    /* chains given back before it (full) */
};

/** 1 active burst in @every (1 to VPMD_TRACE_SAMPLE_MAX) fires the datapath probes. */
int vpmd_trace_set_sample_every(uint32_t every);
uint32_t vpmd_trace_sample_every(void);

#ifdef VPMD_PROBES

/* Defined in vpmd_trace.c, in the .probes section the USDT notes point at. */
extern unsigned short vpmd_kick_semaphore;
extern unsigned short vpmd_kick_suppressed_semaphore;
extern unsigned short vpmd_used_semaphore;
extern unsigned short vpmd_used_refused_semaphore;
extern unsigned short vpmd_refill_semaphore;
extern unsigned short vpmd_totals_semaphore;

#define VPMD_SEMA(name) __atomic_load_n(&vpmd_##name##_semaphore, __ATOMIC_RELAXED)

/*
 * The traced halves, out of line (vpmd_trace.c): the kick decision while
 * traced, the rest only in bursts that may fire.
 */
bool vpmd_trace_kick(struct vpmd_trace_burst *tb, struct vpmd_trace_queue *tq,
		     struct virtqueue *vq, uint16_t port);
void vpmd_trace_used_begin(struct vpmd_trace_burst *tb, const struct virtqueue *vq);
void vpmd_trace_used_end(struct vpmd_trace_burst *tb, struct vpmd_trace_queue *tq,
			 const struct virtqueue *vq, uint16_t port, uint64_t moves);
void vpmd_trace_refill(const struct virtqueue *vq, uint16_t port, int added);
uint32_t vpmd_trace_countdown(struct vpmd_trace_queue *tq);

/*
 * Does this burst fire? Decided once, at its first probe site with
 * something to say: the countdown ticks per active burst, so idle polls
 * do not use up the samples.
 */
static inline bool vpmd_trace_sampled(struct vpmd_trace_burst *tb, struct vpmd_trace_queue *tq)
{
	if (!tb->decided) {
		tb->decided = true;
		if (tq->countdown <= 1) {
			tq->countdown = vpmd_trace_countdown(tq);
			tb->sampled = true;
		} else {
			tq->countdown--;
		}
	}
	return tb->sampled;
}

/*
 * At a burst's start: is anyone looking at the sampled probes? Nothing
 * else is done untraced. (used_refused needs no burst: the ring's refused
 * hook fires it.)
 */
#define VPMD_TRACE_BURST_BEGIN(tb)                                                              \
	do {                                                                                   \
		(tb)->on = unlikely((VPMD_SEMA(kick) | VPMD_SEMA(kick_suppressed) |            \
				     VPMD_SEMA(used) | VPMD_SEMA(refill)) != 0);               \
		(tb)->decided = false;                                                         \
		(tb)->sampled = false;                                                         \
		(tb)->full = false;                                                            \
	} while (0)

/* vq_kick(), firing kick or kick_suppressed in a sampled burst. */
#define VPMD_KICK(tb, tq, vq, port)                                                             \
	(unlikely((tb)->on) ? vpmd_trace_kick((tb), (tq), (vq), (port)) : vq_kick(vq))

/*
 * Around the part of a burst that takes used entries. Traced, an idle
 * poll costs two compares here: only a burst that may fire (its countdown
 * is out, or a sampled decision waits for its chains) notes where the
 * ring was. @moves: the queue's used moves after the part.
 */
#define VPMD_TRACE_USED_BEGIN(tb, tq, vq)                                                       \
	do {                                                                                   \
		if (unlikely((tb)->on) && ((tq)->countdown <= 1 || (tq)->wait_chains != 0)) {  \
			(tb)->full = true;                                                     \
			vpmd_trace_used_begin((tb), (vq));                                     \
		}                                                                              \
	} while (0)

static inline void vpmd_trace_used_done(struct vpmd_trace_burst *tb, struct vpmd_trace_queue *tq,
					const struct virtqueue *vq, uint16_t port, uint64_t moves)
{
	bool took = moves != tq->moves_seen; /* the burst took entries */

	tq->moves_seen = moves;
	if (tb->full)
		vpmd_trace_used_end(tb, tq, vq, port, moves);
	else if (took)
		(void)vpmd_trace_sampled(tb, tq); /* the countdown was not out: a tick */
}

#define VPMD_TRACE_USED_END(tb, tq, vq, port, moves)                                            \
	do {                                                                                   \
		if (unlikely((tb)->on))                                                        \
			vpmd_trace_used_done((tb), (tq), (vq), (port), (moves));               \
	} while (0)

/* After an rx refill published @added buffers. */
#define VPMD_TRACE_REFILL(tb, tq, vq, port, added)                                              \
	do {                                                                                   \
		if (unlikely((tb)->on) && (added) > 0 && vpmd_trace_sampled((tb), (tq)))       \
			vpmd_trace_refill((vq), (port), (added));                              \
	} while (0)

/** vq_config's refused hook: the used_refused probe, for every refusal. @ctx: the port id. */
void vpmd_trace_refused(void *ctx, const struct virtqueue *vq, enum vq_refuse_reason reason);

/* May the control thread fire "totals" (is it traced)? */
#define VPMD_TRACE_TOTALS_WANTED() (VPMD_SEMA(totals) != 0)

/** The "totals" probe of one queue (the caller holds it readable: telemetry's reader). */
void vpmd_trace_fire_totals(const struct virtqueue *vq, uint16_t port, uint64_t moves);

#else /* !VPMD_PROBES */

#define VPMD_TRACE_BURST_BEGIN(tb) ((void)(tb))
#define VPMD_KICK(tb, tq, vq, port) vq_kick(vq)
#define VPMD_TRACE_USED_BEGIN(tb, tq, vq) ((void)(tb))
#define VPMD_TRACE_USED_END(tb, tq, vq, port, moves) ((void)(tb))
#define VPMD_TRACE_REFILL(tb, tq, vq, port, added) ((void)(tb))
#define VPMD_TRACE_TOTALS_WANTED() false
#define vpmd_trace_refused NULL
static inline void vpmd_trace_fire_totals(const struct virtqueue *vq, uint16_t port,
					  uint64_t moves)
{
	(void)vq;
	(void)port;
	(void)moves;
}

#endif /* VPMD_PROBES */

#endif /* VPMD_TRACE_H */
