/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The USDT probes of net_vpmd and their semaphores (see vpmd_trace.h and
 * doc/trace.md). Everything here runs only while a tracer is attached:
 * the datapath checks a semaphore and calls in.
 *
 * Arguments are forced into registers or constants ("nr"): libbpf 1.1
 * cannot read an indexed memory operand such as 2@16(%rdi,%rsi,2).
 */
#include <string.h>

#define _SDT_HAS_SEMAPHORES 1
#define STAP_SDT_ARG_CONSTRAINT nr
#include <sys/sdt.h>

#include "vpmd_trace.h"

/* The kernel counts attached tracers here (uprobe reference counters). */
#define VPMD_SEMAPHORE(name) \
	unsigned short vpmd_##name##_semaphore __attribute__((section(".probes"), used))
VPMD_SEMAPHORE(kick);
VPMD_SEMAPHORE(kick_suppressed);
VPMD_SEMAPHORE(used);
VPMD_SEMAPHORE(used_refused);
VPMD_SEMAPHORE(refill);

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

bool vpmd_trace_kick(struct virtqueue *vq, uint16_t port)
{
	const struct vq_stats *st = vq_get_stats(vq);
	uint64_t suppressed = st->kicks_suppressed;
	struct vq_kick_info ki;
	struct vq_position pos;
	uint64_t vqi = vq_index(vq), chains;
	uint64_t avail, since, decided;
	bool need = vq_kick_prepare(vq);

	if (!need && st->kicks_suppressed == suppressed)
		return false; /* nothing new since the last decision */
	vq_get_kick_info(vq, &ki);
	vq_get_position(vq, &pos);
	avail = pos16(pos.avail_idx, pos.avail_wrap);
	since = ki.descs_since_notify;
	decided = ki.descs_decided;
	/* Every chain added so far was published by this decision. */
	chains = st->chains_added;
	if (!need) {
		STAP_PROBE6(vpmd, kick_suppressed, (uint64_t)port, vqi, avail, since, decided, chains);
		return false;
	}
	/* Before the notification: the time it was decided is what latency is measured from. */
	STAP_PROBE6(vpmd, kick, (uint64_t)port, vqi, avail, since, decided, chains);
	vq_notify(vq);
	return true;
}

void vpmd_trace_used_begin(struct vpmd_trace_used *t, const struct virtqueue *vq)
{
	struct vq_position pos;

	vq_get_position(vq, &pos);
	t->used_idx = pos16(pos.used_idx, pos.used_wrap);
	t->returned = chains_returned(vq);
	memcpy(t->refused, vq_get_stats(vq)->refused, sizeof(t->refused));
}

void vpmd_trace_used_end(const struct vpmd_trace_used *t, const struct virtqueue *vq,
			 uint16_t port)
{
	const struct vq_stats *st = vq_get_stats(vq);
	struct vq_position pos;
	uint64_t vqi = vq_index(vq), old_idx = t->used_idx, new_idx, returned, entries;
	unsigned int r;

	vq_get_position(vq, &pos);
	new_idx = pos16(pos.used_idx, pos.used_wrap);
	returned = chains_returned(vq);
	for (r = 0; r < VQ_REFUSE_MAX; r++) {
		uint64_t reason = r, count = st->refused[r] - t->refused[r];

		if (count != 0)
			STAP_PROBE5(vpmd, used_refused, (uint64_t)port, vqi, reason, count, new_idx);
	}
	if (returned == t->returned && new_idx == old_idx)
		return; /* the device had nothing for us */
	entries = returned - t->returned;
	STAP_PROBE6(vpmd, used, (uint64_t)port, vqi, old_idx, new_idx, entries, returned);
}

void vpmd_trace_refill(const struct virtqueue *vq, uint16_t port, int added)
{
	struct vq_position pos;
	uint64_t vqi, avail, n = (uint64_t)added, free_descs;

	if (added <= 0)
		return;
	vq_get_position(vq, &pos);
	vqi = vq_index(vq);
	avail = pos16(pos.avail_idx, pos.avail_wrap);
	free_descs = vq_num_free(vq);
	STAP_PROBE5(vpmd, refill, (uint64_t)port, vqi, n, avail, free_descs);
}
