/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vq_config's refused hook, as both ring test files install it on every
 * queue they test: each refusal must reach the hook once, after vq_stats
 * counted it, so that at teardown the hook's counts equal the queue's.
 * Every refusal scenario of either layout checks the hook this way.
 */
#ifndef VPMD_TEST_REFUSE_HOOK_H
#define VPMD_TEST_REFUSE_HOOK_H

#include <stdint.h>

#include <vpmd/virtqueue.h>

struct refuse_hook {
	uint64_t calls[VQ_REFUSE_MAX];
};

static inline void refuse_hook_cb(void *ctx, const struct virtqueue *vq,
				  enum vq_refuse_reason reason)
{
	struct refuse_hook *h = ctx;

	assert_true((unsigned int)reason < VQ_REFUSE_MAX);
	h->calls[reason]++;
	/* Counted first: a hook reading the stats sees this refusal in them. */
	assert_int_equal(vq_get_stats(vq)->refused[reason], h->calls[reason]);
}

/* The hook saw every refusal the queue counted, by reason. */
static inline void refuse_hook_check(const struct refuse_hook *h, const struct virtqueue *vq)
{
	unsigned int r;

	for (r = 0; r < VQ_REFUSE_MAX; r++)
		assert_int_equal(h->calls[r], vq_get_stats(vq)->refused[r]);
}

#endif /* VPMD_TEST_REFUSE_HOOK_H */
