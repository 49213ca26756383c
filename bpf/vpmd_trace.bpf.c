// SPDX-License-Identifier: BSD-3-Clause
/*
 * BPF programs on net_vpmd's USDT probes (doc/trace.md): per port and
 * queue, exact counts from the running totals the probes carry;
 * descriptors per kick decision and entries per used move as histograms,
 * and the latency from a kick decision to the used move that gave back
 * its last chain, from the sampled bursts; raw events through a ring
 * buffer when the loader sets stream_events.
 *
 * A queue is driven by one thread at a time, but "totals" fires from the
 * control thread, two queues may hit the same map from two CPUs and a
 * thread may migrate: counters are added atomically, and a total is
 * claimed with compare-and-swap so that each increment is counted once.
 * The latency state of a queue is touched only by the thread driving it.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

#include "vpmd_trace.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the loader before load. -1: all. */
const volatile __s32 filter_port = -1;
const volatile __s32 filter_queue = -1; /* ethdev queue N: virtqueues 2N and 2N+1 */
const volatile bool stream_events = false;

/* Events the ring buffer had no room for. */
__u64 events_lost = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VPMD_TRACE_MAX_QUEUES);
	__type(key, struct vpmd_trace_key);
	__type(value, struct vpmd_trace_qstats);
} queues SEC(".maps");

/* Kick decisions whose chains are still in flight, oldest first. */
struct pending {
	__u64 chains[VPMD_TRACE_PENDING]; /* the decision's "chains": published up to here */
	__u64 ts[VPMD_TRACE_PENDING];
	__u32 head; /* oldest; head == tail: none */
	__u32 tail;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VPMD_TRACE_MAX_QUEUES);
	__type(key, struct vpmd_trace_key);
	__type(value, struct pending);
} pending SEC(".maps");

/* Per queue, the highest running total seen of each exact count, plus one (0: none yet). */
struct totals {
	__u64 seen[VPMD_TOTAL_N];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VPMD_TRACE_MAX_QUEUES);
	__type(key, struct vpmd_trace_key);
	__type(value, struct totals);
} totals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

static const struct vpmd_trace_qstats zero_qstats;
static const struct pending zero_pending;
static const struct totals zero_totals;

/* floor(log2(v)) for v > 0, without __builtin_clzll (clang 14 crashes on it in BPF). */
static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) {
		v >>= 32;
		r += 32;
	}
	if (v >> 16) {
		v >>= 16;
		r += 16;
	}
	if (v >> 8) {
		v >>= 8;
		r += 8;
	}
	if (v >> 4) {
		v >>= 4;
		r += 4;
	}
	if (v >> 2) {
		v >>= 2;
		r += 2;
	}
	if (v >> 1)
		r += 1;
	return r;
}

static __always_inline __u32 log2_slot(__u64 v)
{
	__u32 s = v == 0 ? 0 : log2_u64(v) + 1;

	return s < VPMD_TRACE_LOG2_SLOTS ? s : VPMD_TRACE_LOG2_SLOTS - 1;
}

static __always_inline __u32 lat_slot(__u64 ns)
{
	__u32 l, s;

	if (ns < 4)
		return (__u32)ns;
	l = log2_u64(ns);
	s = 4 * (l - 1) + (__u32)((ns >> (l - 2)) & 3);
	return s < VPMD_TRACE_LAT_SLOTS ? s : VPMD_TRACE_LAT_SLOTS - 1;
}

static __always_inline bool wanted(__u64 port, __u64 queue)
{
	if (filter_port >= 0 && port != (__u64)filter_port)
		return false;
	if (filter_queue >= 0 && (queue >> 1) != (__u64)filter_queue)
		return false;
	return true;
}

static __always_inline struct vpmd_trace_qstats *qstats_of(const struct vpmd_trace_key *key)
{
	struct vpmd_trace_qstats *qs = bpf_map_lookup_elem(&queues, key);

	if (qs)
		return qs;
	bpf_map_update_elem(&queues, key, &zero_qstats, BPF_NOEXIST);
	return bpf_map_lookup_elem(&queues, key);
}

/* The counters of the queue @key names if the tracer follows it (made on first use), else NULL. */
static __always_inline struct vpmd_trace_qstats *followed(const struct vpmd_trace_key *key)
{
	if (!wanted(key->port, key->queue))
		return NULL;
	return qstats_of(key);
}

static __always_inline struct pending *pending_of(const struct vpmd_trace_key *key)
{
	struct pending *p = bpf_map_lookup_elem(&pending, key);

	if (p)
		return p;
	bpf_map_update_elem(&pending, key, &zero_pending, BPF_NOEXIST);
	return bpf_map_lookup_elem(&pending, key);
}

static __always_inline void emit(__u32 type, __u64 port, __u64 queue, __u64 a0, __u64 a1,
				 __u64 a2, __u64 a3, __u64 a4, __u64 a5, __u64 now)
{
	struct vpmd_trace_event *e;

	if (!stream_events)
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&events_lost, 1);
		return;
	}
	e->ts_ns = now;
	e->type = type;
	e->port = (__u16)port;
	e->queue = (__u16)queue;
	e->arg[0] = a0;
	e->arg[1] = a1;
	e->arg[2] = a2;
	e->arg[3] = a3;
	e->arg[4] = a4;
	e->arg[5] = a5;
	bpf_ringbuf_submit(e, 0);
}

static __always_inline struct totals *totals_of(const struct vpmd_trace_key *key)
{
	struct totals *t = bpf_map_lookup_elem(&totals, key);

	if (t)
		return t;
	bpf_map_update_elem(&totals, key, &zero_totals, BPF_NOEXIST);
	return bpf_map_lookup_elem(&totals, key);
}

/*
 * A hit saw exact count @which go from @before to @after (running totals
 * of the driver). The first hit of a queue sets where counting starts;
 * from then on the growth of the highest total seen is added to
 * @counter. Claimed by compare-and-swap: the control thread's "totals"
 * and the datapath may race, and each increment must count once.
 */
static __always_inline void advance(struct totals *t, __u32 which, __u64 *counter, __u64 before,
				    __u64 after)
{
	__u64 *seen = &t->seen[which & (VPMD_TOTAL_N - 1)];
	__u64 cur = *seen, prev;
	int i;

	if (cur == 0) {
		prev = __sync_val_compare_and_swap(seen, 0, before + 1);
		cur = prev == 0 ? before + 1 : prev;
	}
	for (i = 0; i < 4; i++) {
		if (after + 1 <= cur)
			return; /* an older view than one already counted */
		prev = __sync_val_compare_and_swap(seen, cur, after + 1);
		if (prev == cur) {
			__sync_fetch_and_add(counter, after + 1 - cur);
			return;
		}
		cur = prev;
	}
}

/* A kick decision published up to @chains at @now: remember it until its chains come back. */
static __always_inline void note_publish(const struct vpmd_trace_key *key, __u64 chains, __u64 now)
{
	struct pending *p = pending_of(key);
	__u32 t;

	if (!p)
		return;
	/* Full: forget the oldest (its latency goes unmeasured). */
	if (p->tail - p->head >= VPMD_TRACE_PENDING)
		p->head++;
	t = p->tail & (VPMD_TRACE_PENDING - 1);
	p->chains[t] = chains;
	p->ts[t] = now;
	p->tail++;
}

static __always_inline void on_decision(bool kicked, __u64 port, __u64 queue, __u64 avail,
					__u64 descs, __u64 decided, __u64 chains, __u64 kicks,
					__u64 suppressed)
{
	struct vpmd_trace_key key = { .port = (__u16)port, .queue = (__u16)queue };
	struct vpmd_trace_qstats *qs;
	struct totals *t;
	__u64 now;

	qs = followed(&key);
	if (!qs)
		return;
	t = totals_of(&key);
	if (!t)
		return;
	now = bpf_ktime_get_ns();
	/* The totals include this decision. */
	advance(t, VPMD_TOTAL_KICKS, &qs->kicks, kicks - kicked, kicks);
	advance(t, VPMD_TOTAL_SUPPRESSED, &qs->kicks_suppressed, suppressed - !kicked, suppressed);
	if (kicked)
		__sync_fetch_and_add(&qs->kick_descs, descs);
	__sync_fetch_and_add(&qs->decisions_sampled, 1);
	__sync_fetch_and_add(&qs->decided_descs, decided);
	__sync_fetch_and_add(&qs->hist_decided[log2_slot(decided)], 1);
	note_publish(&key, chains, now);
	emit(kicked ? VPMD_EV_KICK : VPMD_EV_KICK_SUPPRESSED, port, queue, chains, decided, kicks,
	     suppressed, avail, descs, now);
}

SEC("usdt")
int BPF_USDT(vpmd_kick, __u64 port, __u64 queue, __u64 chains, __u64 decided, __u64 kicks,
	     __u64 suppressed, __u64 avail, __u64 descs)
{
	on_decision(true, port, queue, avail, descs, decided, chains, kicks, suppressed);
	return 0;
}

SEC("usdt")
int BPF_USDT(vpmd_kick_suppressed, __u64 port, __u64 queue, __u64 chains, __u64 decided,
	     __u64 kicks, __u64 suppressed, __u64 avail, __u64 descs)
{
	on_decision(false, port, queue, avail, descs, decided, chains, kicks, suppressed);
	return 0;
}

SEC("usdt")
int BPF_USDT(vpmd_used, __u64 port, __u64 queue, __u64 entries, __u64 chains, __u64 moves,
	     __u64 sampled, __u64 old_idx, __u64 new_idx)
{
	struct vpmd_trace_key key = { .port = (__u16)port, .queue = (__u16)queue };
	struct vpmd_trace_qstats *qs;
	struct pending *p;
	struct totals *t;
	__u64 now;
	int i;

	qs = followed(&key);
	if (!qs)
		return 0;
	t = totals_of(&key);
	if (!t)
		return 0;
	now = bpf_ktime_get_ns();
	/* The totals include this move (a move is a burst that took entries). */
	advance(t, VPMD_TOTAL_RETURNED, &qs->used_entries, chains - entries, chains);
	advance(t, VPMD_TOTAL_MOVES, &qs->used_moves, moves - (entries != 0), moves);
	if (sampled) {
		/* Not the hits that only close a sampled decision: they always carry entries. */
		__sync_fetch_and_add(&qs->moves_sampled, 1);
		__sync_fetch_and_add(&qs->entries_sampled, entries);
		__sync_fetch_and_add(&qs->hist_entries[log2_slot(entries)], 1);
	}

	/* Every decision whose last chain is now back: one latency sample each. */
	p = pending_of(&key);
	if (p) {
		for (i = 0; i < VPMD_TRACE_PENDING; i++) {
			__u32 h = p->head & (VPMD_TRACE_PENDING - 1);
			__u64 lat;

			if (p->head == p->tail || p->chains[h] > chains)
				break;
			lat = now - p->ts[h];
			__sync_fetch_and_add(&qs->lat_count, 1);
			__sync_fetch_and_add(&qs->lat_sum_ns, lat);
			__sync_fetch_and_add(&qs->hist_lat[lat_slot(lat)], 1);
			p->head++;
		}
	}
	emit(VPMD_EV_USED, port, queue, entries, chains, moves, sampled, old_idx, new_idx, now);
	return 0;
}

SEC("usdt")
int BPF_USDT(vpmd_used_refused, __u64 port, __u64 queue, __u64 reason, __u64 count, __u64 total,
	     __u64 used)
{
	struct vpmd_trace_key key = { .port = (__u16)port, .queue = (__u16)queue };
	struct vpmd_trace_qstats *qs;

	qs = followed(&key);
	if (!qs)
		return 0;
	__sync_fetch_and_add(&qs->refused[reason & (VPMD_TRACE_REASONS - 1)], count);
	emit(VPMD_EV_USED_REFUSED, port, queue, reason, count, total, used, 0, 0,
	     bpf_ktime_get_ns());
	return 0;
}

SEC("usdt")
int BPF_USDT(vpmd_refill, __u64 port, __u64 queue, __u64 buffers, __u64 avail, __u64 free)
{
	struct vpmd_trace_key key = { .port = (__u16)port, .queue = (__u16)queue };
	struct vpmd_trace_qstats *qs;

	qs = followed(&key);
	if (!qs)
		return 0;
	__sync_fetch_and_add(&qs->refills, 1);
	__sync_fetch_and_add(&qs->refill_buffers, buffers);
	emit(VPMD_EV_REFILL, port, queue, buffers, avail, free, 0, 0, 0, bpf_ktime_get_ns());
	return 0;
}

/* Fired from the control thread when the tracer asks (/vpmd/trace): the totals now. */
SEC("usdt")
int BPF_USDT(vpmd_totals, __u64 port, __u64 queue, __u64 kicks, __u64 suppressed, __u64 chains,
	     __u64 moves)
{
	struct vpmd_trace_key key = { .port = (__u16)port, .queue = (__u16)queue };
	struct vpmd_trace_qstats *qs;
	struct totals *t;

	qs = followed(&key);
	if (!qs)
		return 0;
	t = totals_of(&key);
	if (!t)
		return 0;
	advance(t, VPMD_TOTAL_KICKS, &qs->kicks, kicks, kicks);
	advance(t, VPMD_TOTAL_SUPPRESSED, &qs->kicks_suppressed, suppressed, suppressed);
	advance(t, VPMD_TOTAL_RETURNED, &qs->used_entries, chains, chains);
	advance(t, VPMD_TOTAL_MOVES, &qs->used_moves, moves, moves);
	emit(VPMD_EV_TOTALS, port, queue, kicks, suppressed, chains, moves, 0, 0,
	     bpf_ktime_get_ns());
	return 0;
}
