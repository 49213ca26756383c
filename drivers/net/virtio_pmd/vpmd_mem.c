/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK's memory as vhost-user memory regions, kept up to date as DPDK's
 * memory grows and shrinks.
 *
 * The backend must map every buffer we hand it, so the memory table lists
 * the files behind DPDK's memory segments (hugepage files, or the memfd
 * EAL uses under --no-huge), one region per file, spanning the segments of
 * that file. Descriptors carry process virtual addresses, so each region's
 * guest address is its address here. The legacy SET_MEM_TABLE carries at
 * most 8 regions (DPDK's vhost library offers nothing more, no
 * CONFIGURE_MEM_SLOTS): with hugepages that means --single-file-segments
 * (one file per memory list) rather than one file per page.
 *
 * Memory events. On hugepages EAL maps pages as the heap grows (a mempool
 * created after dev_start) and gives them back when it shrinks. EAL calls
 * our callback in the thread that allocates or frees, with the memory
 * hotplug lock held for writing and the heap's lock held: the callback
 * must not allocate DPDK memory, nor wait for a thread that may be waiting
 * for either lock. So it only tries the port's control lock: when it gets
 * it and the device is up, the backend gets the new table before EAL
 * returns the memory to the caller (a buffer from it is never ahead of the
 * table); when it does not (a control call or the link monitor holds it,
 * maybe this very thread, maybe waiting for the hotplug lock we hold), it
 * marks the table stale and the link monitor sends it at its next tick
 * (100 ms). Until then DPDK's backend leaves a descriptor it cannot map on
 * the ring and retries it: late, not lost.
 *
 * Freed memory. EAL announces a free before it unmaps the pages, while
 * their segments are still listed: the table is built without the freed
 * range, so that the backend is not left mapping memory we give back. With
 * --single-file-segments a region spans its file's segments, so a free at
 * the top of a memory list shrinks the region and one in the middle leaves
 * a hole inside it: EAL punches the hole out of the file, which unmaps
 * those pages from the backend too, and no descriptor points there. Per-page
 * files that go away drop out of the table.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_eal_memconfig.h>
#include <rte_errno.h>
#include <rte_memory.h>

#include "vpmd.h"
#include "vpmd_logs.h"
#include "vpmd_mem.h"

/* Distinct files counted for the error message, past the 8 that fit. */
#define FILES_COUNTED_MAX 256

struct region_walk {
	struct vhost_user_mem_region regions[VHOST_USER_MAX_MEM_REGIONS];
	unsigned int n;
	int error;
	/* Memory about to be freed, left out: [skip_start, skip_end). */
	uint64_t skip_start, skip_end;
	/* Every file seen, also past the limit, so the error can say how many. */
	int files[FILES_COUNTED_MAX];
	unsigned int n_files;
};

static void count_file(struct region_walk *w, int fd)
{
	unsigned int i;

	for (i = 0; i < w->n_files; i++)
		if (w->files[i] == fd)
			return;
	if (w->n_files < FILES_COUNTED_MAX)
		w->files[w->n_files++] = fd;
}

static int add_segment(const struct rte_memseg_list *msl, const struct rte_memseg *ms, void *arg)
{
	struct region_walk *w = arg;
	uint64_t start = (uint64_t)(uintptr_t)ms->addr;
	uint64_t end = start + ms->len;
	struct vhost_user_mem_region *r;
	size_t offset;
	unsigned int i;
	int fd;

	(void)msl;
	if (start >= w->skip_start && end <= w->skip_end)
		return 0;
	fd = rte_memseg_get_fd_thread_unsafe(ms);
	if (fd < 0 || rte_memseg_get_fd_offset_thread_unsafe(ms, &offset) < 0) {
		/* Memory with no file (e.g. anonymous --no-huge without memfd) cannot be shared. */
		w->error = -rte_errno ? -rte_errno : -ENOTSUP;
		return -1;
	}
	count_file(w, fd);
	for (i = 0; i < w->n; i++) {
		r = &w->regions[i];
		if (r->fd != fd)
			continue;
		/* Same file: grow the region to cover this segment too. */
		if (start < r->user_addr) {
			r->size += r->user_addr - start;
			r->user_addr = start;
			r->guest_addr = start;
			r->mmap_offset = offset;
		}
		if (end > r->user_addr + r->size)
			r->size = end - r->user_addr;
		return 0;
	}
	if (w->n == VHOST_USER_MAX_MEM_REGIONS) {
		/* Go on walking: the error says how many files there are. */
		w->error = -E2BIG;
		return 0;
	}
	w->regions[w->n++] = (struct vhost_user_mem_region){
		.fd = fd,
		.mmap_offset = offset,
		.size = ms->len,
		.user_addr = start,
		.guest_addr = start,
	};
	return 0;
}

/*
 * The table for DPDK's memory now, less [@skip, @skip + @skip_len). The
 * caller holds the memory hotplug lock (either way). Logs its error.
 */
static int regions_build(struct vpmd_adapter *ad, struct region_walk *w, const void *skip,
			 size_t skip_len)
{
	int rc;

	w->n = 0;
	w->n_files = 0;
	w->error = 0;
	w->skip_start = (uint64_t)(uintptr_t)skip;
	w->skip_end = w->skip_start + skip_len;
	rc = rte_memseg_walk_thread_unsafe(add_segment, w);
	if (rc >= 0 && w->error == 0 && w->n > 0)
		return 0;
	rc = w->error ? w->error : -ENOMEM;
	if (rc == -E2BIG)
		VPMD_INIT_LOG(ERR,
			      "%s: cannot share DPDK memory with the backend: it is in %s%u files, and a vhost-user memory table holds at most %u (one per file); run EAL with --single-file-segments (one file per memory list)",
			      ad->name, w->n_files == FILES_COUNTED_MAX ? "at least " : "",
			      w->n_files, VHOST_USER_MAX_MEM_REGIONS);
	else
		VPMD_INIT_LOG(ERR, "%s: cannot share DPDK memory with the backend: %s", ad->name,
			      rte_strerror(-rc));
	return rc;
}

/* Ports whose table is out of date, for the link monitor (vpmd_mem_refresh). */
struct mem_watch {
	struct vpmd_adapter *ad; /* NULL: a free slot */
	bool stale;              /* atomic: set by the callback, taken by the monitor */
};

static struct mem_watch watches[RTE_MAX_ETHPORTS];

static struct mem_watch *watch_of(const struct vpmd_adapter *ad)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(watches); i++)
		if (watches[i].ad == ad)
			return &watches[i];
	return NULL;
}

int vpmd_mem_regions_set(struct vpmd_adapter *ad)
{
	struct mem_watch *mw = watch_of(ad);
	struct region_walk w;
	int rc;

	/* Built now from everything there is: what was stale is in it. */
	if (mw != NULL)
		__atomic_store_n(&mw->stale, false, __ATOMIC_RELAXED);
	rte_mcfg_mem_read_lock();
	rc = regions_build(ad, &w, NULL, 0);
	rte_mcfg_mem_read_unlock();
	if (rc < 0)
		return rc;
	rc = vhost_user_set_mem_regions(ad->vu, w.regions, w.n);
	if (rc < 0)
		VPMD_INIT_LOG(ERR, "%s: memory table: %s", ad->name, rte_strerror(-rc));
	return rc;
}

/* A new table to a device that is up; control lock and hotplug lock held. */
static void table_update(struct vpmd_adapter *ad, const void *skip, size_t skip_len)
{
	struct region_walk w;
	int rc;

	rc = regions_build(ad, &w, skip, skip_len);
	if (rc < 0) {
		/* The backend keeps the table it has: buffers in the new memory are not seen. */
		vhost_user_mem_refused(ad->vu, rc);
		return;
	}
	rc = vhost_user_update_mem_regions(ad->vu, w.regions, w.n);
	if (rc < 0)
		VPMD_DRV_LOG(ERR, ad->name, "new memory table not sent: %s%s", rte_strerror(-rc),
			     vhost_user_is_connected(ad->vu) ? "" : " (it goes at the reconnect)");
	else
		VPMD_DRV_LOG(DEBUG, ad->name, "memory table: %u regions", w.n);
}

static void mem_event(enum rte_mem_event type, const void *addr, size_t len, void *arg)
{
	struct mem_watch *mw = arg;
	struct vpmd_adapter *ad = mw->ad;

	if (!vpmd_ctrl_trylock(ad)) {
		__atomic_store_n(&mw->stale, true, __ATOMIC_RELAXED);
		return;
	}
	/*
	 * A port not started, or whose device is away or coming up, builds
	 * its table when the device comes up; a dev_start under way may have
	 * built it already, so the monitor looks again.
	 */
	if (__atomic_load_n(&ad->started, __ATOMIC_RELAXED) &&
	    __atomic_load_n(&ad->device_up, __ATOMIC_RELAXED))
		table_update(ad, type == RTE_MEM_EVENT_FREE ? addr : NULL,
			     type == RTE_MEM_EVENT_FREE ? len : 0);
	else
		__atomic_store_n(&mw->stale, true, __ATOMIC_RELAXED);
	vpmd_ctrl_unlock(ad);
}

void vpmd_mem_refresh(struct vpmd_adapter *ad)
{
	struct mem_watch *mw = watch_of(ad);

	if (mw == NULL || !__atomic_exchange_n(&mw->stale, false, __ATOMIC_RELAXED))
		return;
	rte_mcfg_mem_read_lock();
	table_update(ad, NULL, 0);
	rte_mcfg_mem_read_unlock();
}

#define MEM_EVENT_NAME "vpmd_mem"

int vpmd_mem_events_register(struct vpmd_adapter *ad)
{
	struct mem_watch *mw = watch_of(NULL);

	if (mw == NULL)
		return -ENOSPC;
	mw->ad = ad;
	mw->stale = false;
	if (rte_mem_event_callback_register(MEM_EVENT_NAME, mem_event, mw) == 0)
		return 0;
	mw->ad = NULL;
	if (rte_errno == ENOTSUP) {
		/* --legacy-mem: memory is all there at start, nothing to follow. */
		VPMD_INIT_LOG(DEBUG, "%s: no memory events (legacy memory)", ad->name);
		return 0;
	}
	VPMD_INIT_LOG(ERR, "%s: cannot follow DPDK's memory: %s", ad->name,
		      rte_strerror(rte_errno));
	return -rte_errno;
}

void vpmd_mem_events_unregister(struct vpmd_adapter *ad)
{
	struct mem_watch *mw = watch_of(ad);

	if (mw == NULL)
		return;
	/* Returns once no callback runs (EAL's event list lock). */
	rte_mem_event_callback_unregister(MEM_EVENT_NAME, mw);
	mw->ad = NULL;
}
