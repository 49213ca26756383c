/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * USDT probes of net_vpmd (provider "vpmd"), documented in doc/trace.md.
 *
 * Probes fire per kick decision and per burst, never per packet: a traced
 * probe hit costs about a microsecond. Each sits behind its semaphore, a
 * counter the kernel raises while a tracer is attached, so the untraced
 * datapath pays one load and one predictable branch per site. The probe
 * instructions themselves, and <sys/sdt.h>, live in vpmd_trace.c, reached
 * only when a semaphore is up.
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

/* State of one burst's used probe, from its start to its end. */
struct vpmd_trace_used {
	bool on;              /* tracing started with this burst */
	uint16_t used_idx;    /* driver's used position at the start */
	uint64_t returned;    /* chains returned since the queue was created */
	uint64_t refused[VQ_REFUSE_MAX];
};

#ifdef VPMD_PROBES

/* Defined in vpmd_trace.c, in the .probes section the USDT notes point at. */
extern unsigned short vpmd_kick_semaphore;
extern unsigned short vpmd_kick_suppressed_semaphore;
extern unsigned short vpmd_used_semaphore;
extern unsigned short vpmd_used_refused_semaphore;
extern unsigned short vpmd_refill_semaphore;

#define VPMD_SEMA(name) __atomic_load_n(&vpmd_##name##_semaphore, __ATOMIC_RELAXED)

/* The traced halves, out of line (vpmd_trace.c). */
bool vpmd_trace_kick(struct virtqueue *vq, uint16_t port);
void vpmd_trace_used_begin(struct vpmd_trace_used *t, const struct virtqueue *vq);
void vpmd_trace_used_end(const struct vpmd_trace_used *t, const struct virtqueue *vq,
			 uint16_t port);
void vpmd_trace_refill(const struct virtqueue *vq, uint16_t port, int added);

/* vq_kick(), firing kick or kick_suppressed when either is traced. */
#define VPMD_KICK(vq, port)                                                                     \
	(unlikely((VPMD_SEMA(kick) | VPMD_SEMA(kick_suppressed)) != 0)                         \
		 ? vpmd_trace_kick((vq), (port))                                                \
		 : vq_kick(vq))

/*
 * Around the part of a burst that takes used entries: the start notes
 * where the ring was, the end fires used (and used_refused) if it moved.
 * Whether to trace is decided once, at the start, so a tracer attaching
 * mid-burst waits for the next burst.
 */
#define VPMD_TRACE_USED_BEGIN(t, vq)                                                            \
	do {                                                                                   \
		(t)->on = unlikely((VPMD_SEMA(used) | VPMD_SEMA(used_refused)) != 0);          \
		if ((t)->on)                                                                   \
			vpmd_trace_used_begin((t), (vq));                                      \
	} while (0)

#define VPMD_TRACE_USED_END(t, vq, port)                                                        \
	do {                                                                                   \
		if (unlikely((t)->on))                                                         \
			vpmd_trace_used_end((t), (vq), (port));                                \
	} while (0)

/* After an rx refill published @added buffers. */
#define VPMD_TRACE_REFILL(vq, port, added)                                                      \
	do {                                                                                   \
		if (unlikely(VPMD_SEMA(refill) != 0))                                          \
			vpmd_trace_refill((vq), (port), (added));                              \
	} while (0)

#else /* !VPMD_PROBES */

#define VPMD_KICK(vq, port) vq_kick(vq)
#define VPMD_TRACE_USED_BEGIN(t, vq) ((void)(t))
#define VPMD_TRACE_USED_END(t, vq, port) ((void)(t))
#define VPMD_TRACE_REFILL(vq, port, added) ((void)0)

#endif /* VPMD_PROBES */

#endif /* VPMD_TRACE_H */
