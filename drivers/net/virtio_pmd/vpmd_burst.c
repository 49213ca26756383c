/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control side of the handshake that keeps bursts off a ring the
 * control thread takes away (vpmd_burst_enter(), vpmd.h).
 *
 * A burst stores in_burst, then loads its run flag; the control thread
 * stores the run flag (or a new rx filter), then loads in_burst. Each
 * store-then-load needs a full barrier between them, or both sides can
 * miss each other. The burst's would cost every burst a locked
 * instruction, and that instruction waits for every store before it to
 * drain: after an application wrote 32 packets, a measured 11 cycles a
 * packet under testpmd's txonly (doc/bench.md). So the barrier is made
 * asymmetric, as Linux's membarrier(2) is for: the burst has only the
 * compiler's order, and the control thread, which runs this rarely, has
 * the kernel run a full barrier on every thread of the process
 * (MEMBARRIER_CMD_PRIVATE_EXPEDITED) before it reads in_burst. A kernel
 * without it (before 4.14) keeps the symmetric fences: the bursts read
 * vpmd_burst_fence_needed.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rte_common.h>

#include "vpmd.h"

bool vpmd_burst_fence_needed = true;

static int membarrier(int cmd)
{
	return (int)syscall(__NR_membarrier, cmd, 0, 0);
}

/*
 * Before any port exists, so no burst runs yet: registration is the
 * process's, and must come before the first expedited barrier.
 */
RTE_INIT(vpmd_burst_barrier_init)
{
	if (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0)
		vpmd_burst_fence_needed = false;
}

void vpmd_bursts_barrier(void)
{
	/* Once registered, the expedited barrier does not fail (membarrier(2)). */
	if (!vpmd_burst_fence_needed && membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0)
		return;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}
