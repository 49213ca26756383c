/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The guard between a burst and the control thread that takes the rings
 * away (see vpmd_burst_enter() in vpmd.h).
 *
 * Each side stores, then loads what the other stores: a Dekker pattern,
 * which on x86 needs a full fence between the store and the load, or a
 * load may pass the store still in the store buffer. The burst side runs
 * millions of times a second and the control side almost never, so the
 * cost goes to the control side: membarrier(PRIVATE_EXPEDITED) makes
 * every running thread of the process execute a full barrier before it
 * returns, which stands in for the fence the bursts leave out. The fence a
 * burst would pay is not a few cycles: it waits for the store buffer to
 * drain, that is for the previous burst's ring lines to come back from
 * the device's core.
 *
 * Without membarrier (a kernel before 4.14, or a seccomp filter that
 * refuses it) the bursts keep their fence.
 */
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vpmd.h"
#include "vpmd_logs.h"

bool vpmd_burst_fence = true;

static long membarrier(int cmd)
{
	return syscall(__NR_membarrier, cmd, 0, 0);
}

void vpmd_burst_guard_init(void)
{
	static bool done;
	long cmds;

	if (done)
		return;
	done = true;
	cmds = membarrier(MEMBARRIER_CMD_QUERY);
	if (cmds >= 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
	    membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0) {
		__atomic_store_n(&vpmd_burst_fence, false, __ATOMIC_RELEASE);
		return;
	}
	VPMD_INIT_LOG(INFO, "membarrier unavailable: each burst pays a full fence");
}

void vpmd_burst_guard_sync(void)
{
	if (__atomic_load_n(&vpmd_burst_fence, __ATOMIC_ACQUIRE)) {
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		return;
	}
	if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0)
		return;
	/*
	 * Not expected once registered. Bursts fence from now on; one that
	 * began before it saw this may still be unordered, which the caller's
	 * wait for in_burst narrows to a few nanoseconds of store buffer.
	 */
	__atomic_store_n(&vpmd_burst_fence, true, __ATOMIC_SEQ_CST);
	VPMD_INIT_LOG(ERR, "membarrier failed: bursts fall back to a full fence");
}
