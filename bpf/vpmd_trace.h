/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the BPF programs of vpmd_trace.bpf.c and their loader
 * (app/vctl/trace.c) share: the per-queue aggregate kept in a map, the
 * event streamed through the ring buffer, and the histogram buckets.
 * Plain C with <linux/types.h> types, so that it compiles on both sides.
 */
#ifndef VPMD_BPF_TRACE_H
#define VPMD_BPF_TRACE_H

#include <linux/types.h>

/* Refuse reasons: enum vq_refuse_reason (lib/include/vpmd/virtqueue.h) has 5; room to grow. */
#define VPMD_TRACE_REASONS 8

/*
 * Counts (descriptors per kick decision, entries per used move): log2
 * buckets. Bucket 0 holds 0, bucket i > 0 holds [2^(i-1), 2^i).
 */
#define VPMD_TRACE_LOG2_SLOTS 24

/*
 * Latency in ns: log2 with four linear steps per power of two, so a
 * percentile is known within 12.5 %. Values 0-3 have a bucket each; from 4
 * on, v in [2^l, 2^(l+1)) goes to 4 * (l - 1) + (the two bits after the
 * leading one). The last bucket takes everything from 2^40 ns (18 min) up.
 */
#define VPMD_TRACE_LAT_SLOTS 160

/* Queues the per-queue map holds (ports x virtqueues traced at once). */
#define VPMD_TRACE_MAX_QUEUES 1024

/* Publishing points remembered per queue while their chains are in flight. */
#define VPMD_TRACE_PENDING 64

struct vpmd_trace_key {
	__u16 port;
	__u16 queue; /* virtqueue index: 2N rx queue N, 2N+1 tx queue N */
};

/*
 * Per queue, since the programs were loaded. Only grows: a reader takes
 * differences. Marked "exact" are the driver's own counts over the
 * window from the queue's first hit (or "totals") to its last: the probes
 * carry the running totals. The rest come from the sampled bursts
 * (1 active burst in the process's sample_every).
 */
struct vpmd_trace_qstats {
	__u64 kicks;            /* exact: notifications sent */
	__u64 kick_descs;       /* sampled kick hits: descriptors each notification covered */
	__u64 kicks_suppressed; /* exact: decisions the device asked us not to notify */
	__u64 decided_descs;    /* sampled decisions: their "decided" */
	__u64 used_moves;       /* exact: bursts (tx: reclaims) that took used entries */
	__u64 used_entries;     /* exact: chains given back */
	__u64 refills;          /* sampled refill hits */
	__u64 refill_buffers;   /* their "buffers" */
	__u64 refused[VPMD_TRACE_REASONS]; /* exact: used_refused fires on every refusal */
	__u64 lat_count;        /* sampled kick decisions whose chains all came back */
	__u64 lat_sum_ns;
	__u64 decisions_sampled; /* kick hits (sent or suppressed): hist_decided's count */
	__u64 moves_sampled;     /* used hits of sampled bursts: hist_entries's count */
	__u64 entries_sampled;   /* their "entries" */
	__u64 hist_decided[VPMD_TRACE_LOG2_SLOTS]; /* descriptors per kick decision */
	__u64 hist_entries[VPMD_TRACE_LOG2_SLOTS]; /* entries per used move */
	__u64 hist_lat[VPMD_TRACE_LAT_SLOTS];      /* kick decision to used, ns */
};

/* The exact counts, in the order of struct vpmd_trace_totals' "seen". */
enum vpmd_trace_total {
	VPMD_TOTAL_KICKS,
	VPMD_TOTAL_SUPPRESSED,
	VPMD_TOTAL_RETURNED,
	VPMD_TOTAL_MOVES,
	VPMD_TOTAL_N,
};

enum vpmd_trace_event_type {
	VPMD_EV_KICK = 1,
	VPMD_EV_KICK_SUPPRESSED,
	VPMD_EV_USED,
	VPMD_EV_USED_REFUSED,
	VPMD_EV_REFILL,
	VPMD_EV_TOTALS,
};

#define VPMD_TRACE_EVENT_ARGS 6

/* One probe hit, streamed when the loader asks (stream_events). */
struct vpmd_trace_event {
	__u64 ts_ns;  /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 type;   /* enum vpmd_trace_event_type */
	__u16 port;
	__u16 queue;
	/*
	 * The probe's arguments after port and queue, in order (doc/trace.md):
	 * kick, kick_suppressed: chains, decided, kicks, suppressed, avail, descs;
	 * used: entries, chains, moves, sampled, old, new;
	 * used_refused: reason, count, total, used; refill: buffers, avail, free;
	 * totals: kicks, suppressed, chains, moves.
	 */
	__u64 arg[VPMD_TRACE_EVENT_ARGS];
};

#endif /* VPMD_BPF_TRACE_H */
