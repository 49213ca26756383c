/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The USDT probes of net_vpmd and their semaphores (see vpmd_trace.h and
 * doc/trace.md). Everything here but the sampling setting runs only
 * while a tracer is attached: the datapath checks the semaphores and
 * calls in.
 *
 * Arguments are forced into registers or constants ("nr"): libbpf 1.1
 * cannot read an indexed memory operand such as 2@16(%rdi,%rsi,2). What
 * a one-liner wants comes first: Debian 12's bpftrace (0.17) reads only
 * arg0 to arg5 of a USDT probe on x86-64, so the positions past that
 * (arg6, arg7) hold ring positions, which only our own BPF reads.
 */
#include <errno.h>
#include <stdint.h>

#include "vpmd_trace.h"

static uint32_t sample_every = VPMD_TRACE_SAMPLE_DEFAULT;

int vpmd_trace_set_sample_every(uint32_t every)
{
	if (every == 0 || every > VPMD_TRACE_SAMPLE_MAX)
		return -EINVAL;
	/* Each queue picks it up when its countdown next runs out. */
	__atomic_store_n(&sample_every, every, __ATOMIC_RELAXED);
	return 0;
}

uint32_t vpmd_trace_sample_every(void)
{
	return __atomic_load_n(&sample_every, __ATOMIC_RELAXED);
}

#ifdef VPMD_PROBES

#define _SDT_HAS_SEMAPHORES 1
#define STAP_SDT_ARG_CONSTRAINT nr
#include <sys/sdt.h>

/* The kernel counts attached tracers here (uprobe reference counters). */
#define VPMD_SEMAPHORE(name) \
	unsigned short vpmd_##name##_semaphore __attribute__((section(".probes"), used))
VPMD_SEMAPHORE(kick);
VPMD_SEMAPHORE(kick_suppressed);
VPMD_SEMAPHORE(used);
VPMD_SEMAPHORE(used_refused);
VPMD_SEMAPHORE(refill);
VPMD_SEMAPHORE(totals);

/*
 * A ring position as one 16-bit value: split, the free-running index;
 * packed, the slot with its wrap counter in bit 15 (the off_wrap encoding
 * of the event suppression structures).
 */
static inline uint16_t pos16(uint16_t idx, bool wrap)
{
	return (uint16_t)(idx | (wrap ? 0x8000u : 0));
}

/* Chains the device has given back since the queue was created. */
static inline uint64_t chains_returned(const struct virtqueue *vq)
{
	return vq_get_stats(vq)->chains_added - vq_num_inflight(vq);
}

/*
 * Bursts to the next sample: uniform in [1, 2N - 1], N on average. Not N
 * every time: bursts come in patterns (rx refills every other burst,
 * say), and a fixed period would sample one phase of the pattern only.
 */
uint32_t vpmd_trace_countdown(struct vpmd_trace_queue *tq)
{
	uint32_t every = vpmd_trace_sample_every(), x = tq->rng;

	if (every <= 1)
		return 1;
	/* xorshift32: cheap, and a fair spread is all that is asked of it. */
	if (x == 0)
		x = (uint32_t)(uintptr_t)tq | 1u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	tq->rng = x;
	return 1 + x % (2 * every - 1);
}

bool vpmd_trace_kick(struct vpmd_trace_burst *tb, struct vpmd_trace_queue *tq,
		     struct virtqueue *vq, uint16_t port)
{
	const struct vq_stats *st = vq_get_stats(vq);
	uint64_t suppressed = st->kicks_suppressed;
	struct vq_kick_info ki;
	struct vq_position pos;
	uint64_t vqi = vq_index(vq), chains, kicks;
	uint64_t avail, since, decided;
	bool need = vq_kick_prepare(vq);

	if (!need && st->kicks_suppressed == suppressed)
		return false; /* nothing new since the last decision */
	if (!vpmd_trace_sampled(tb, tq)) {
		if (need)
			vq_notify(vq);
		return need;
	}
	vq_get_kick_info(vq, &ki);
	vq_get_position(vq, &pos);
	avail = pos16(pos.avail_idx, pos.avail_wrap);
	since = ki.descs_since_notify;
	decided = ki.descs_decided;
	/* Every chain added so far was published by this decision. */
	chains = st->chains_added;
	/* Wait for them to come back, unless an older decision is still out. */
	if (tq->wait_chains == 0)
		tq->wait_chains = chains;
	/* The totals, this decision included (vq_notify() counts a kick: add it here). */
	kicks = st->kicks + (need ? 1 : 0);
	suppressed = st->kicks_suppressed;
	if (!need) {
		STAP_PROBE8(vpmd, kick_suppressed, (uint64_t)port, vqi, chains, decided, kicks,
			    suppressed, avail, since);
		return false;
	}
	/* Before the notification: the time it was decided is what latency is measured from. */
	STAP_PROBE8(vpmd, kick, (uint64_t)port, vqi, chains, decided, kicks, suppressed, avail,
		    since);
	vq_notify(vq);
	return true;
}

/* A burst that may fire: where the ring was before its used part. */
void vpmd_trace_used_begin(struct vpmd_trace_burst *tb, const struct virtqueue *vq)
{
	struct vq_position pos;

	vq_get_position(vq, &pos);
	tb->used_idx = pos16(pos.used_idx, pos.used_wrap);
	tb->returned = chains_returned(vq);
}

void vpmd_trace_refused(void *ctx, const struct virtqueue *vq, enum vq_refuse_reason reason)
{
	uint64_t port = (uint64_t)(uintptr_t)ctx, vqi, why = reason, total, used;
	struct vq_position pos;

	if (__builtin_expect(VPMD_SEMA(used_refused) == 0, 1))
		return;
	vqi = vq_index(vq);
	total = vq_get_stats(vq)->refused[reason];
	vq_get_position(vq, &pos);
	used = pos16(pos.used_idx, pos.used_wrap);
	STAP_PROBE6(vpmd, used_refused, port, vqi, why, (uint64_t)1, total, used);
}

void vpmd_trace_used_end(struct vpmd_trace_burst *tb, struct vpmd_trace_queue *tq,
			 const struct virtqueue *vq, uint16_t port, uint64_t moves)
{
	struct vq_position pos;
	uint64_t vqi, old_idx = tb->used_idx, new_idx, returned, entries, sampled;
	bool waited;

	vq_get_position(vq, &pos);
	new_idx = pos16(pos.used_idx, pos.used_wrap);
	returned = chains_returned(vq);
	if (returned == tb->returned && new_idx == old_idx)
		return; /* the device had nothing for us */
	waited = tq->wait_chains != 0 && returned >= tq->wait_chains;
	sampled = vpmd_trace_sampled(tb, tq);
	if (!sampled && !waited)
		return;
	if (waited)
		tq->wait_chains = 0;
	vqi = vq_index(vq);
	entries = returned - tb->returned;
	STAP_PROBE8(vpmd, used, (uint64_t)port, vqi, entries, returned, moves, sampled, old_idx,
		    new_idx);
}

void vpmd_trace_refill(const struct virtqueue *vq, uint16_t port, int added)
{
	struct vq_position pos;
	uint64_t vqi, avail, n = (uint64_t)added, free_descs;

	vq_get_position(vq, &pos);
	vqi = vq_index(vq);
	avail = pos16(pos.avail_idx, pos.avail_wrap);
	free_descs = vq_num_free(vq);
	STAP_PROBE5(vpmd, refill, (uint64_t)port, vqi, n, avail, free_descs);
}
void vpmd_trace_fire_totals(const struct virtqueue *vq, uint16_t port, uint64_t moves)
{
	const struct vq_stats *st = vq_get_stats(vq);
	uint64_t vqi = vq_index(vq);
	/* Plain loads of counters another thread stores whole: each a recent value (virtqueue.h). */
	uint64_t kicks = st->kicks, suppressed = st->kicks_suppressed;
	/*
	 * Added first, then in flight: what comes out is never more than the
	 * chains given back by the time of the second load.
	 */
	uint64_t added = __atomic_load_n(&st->chains_added, __ATOMIC_ACQUIRE);
	uint16_t inflight = vq_num_inflight(vq);
	uint64_t returned;

	if (added < inflight)
		return; /* loads that raced a queue start: no total to give */
	returned = added - inflight;
	STAP_PROBE6(vpmd, totals, (uint64_t)port, vqi, kicks, suppressed, returned, moves);
}

#endif /* VPMD_PROBES */
