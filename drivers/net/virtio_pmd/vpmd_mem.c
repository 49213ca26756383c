/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK's memory as vhost-user memory regions.
 *
 * The backend must map every buffer we hand it, so the memory table lists
 * the files behind DPDK's memory segments (hugepage files, or the memfd
 * EAL uses under --no-huge), one region per file, spanning the segments of
 * that file. Descriptors carry process virtual addresses, so each region's
 * guest address is its address here.
 */
#include <errno.h>
#include <stdint.h>

#include <rte_eal_memconfig.h>
#include <rte_errno.h>
#include <rte_memory.h>

#include "vpmd.h"
#include "vpmd_logs.h"

struct region_walk {
	struct vhost_user_mem_region regions[VHOST_USER_MAX_MEM_REGIONS];
	unsigned int n;
	int error;
};

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
	fd = rte_memseg_get_fd_thread_unsafe(ms);
	if (fd < 0 || rte_memseg_get_fd_offset_thread_unsafe(ms, &offset) < 0) {
		/* Memory with no file (e.g. anonymous --no-huge without memfd) cannot be shared. */
		w->error = -rte_errno ? -rte_errno : -ENOTSUP;
		return -1;
	}
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
		w->error = -E2BIG;
		return -1;
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

int vpmd_mem_regions_set(struct vpmd_adapter *ad)
{
	struct region_walk w = { .n = 0 };
	int rc;

	rte_mcfg_mem_read_lock();
	rc = rte_memseg_walk_thread_unsafe(add_segment, &w);
	rte_mcfg_mem_read_unlock();
	if (rc < 0 || w.n == 0) {
		rc = w.error ? w.error : -ENOMEM;
		VPMD_INIT_LOG(ERR, "%s: cannot share DPDK memory with the backend: %s", ad->name,
			      rc == -E2BIG ? "more than 8 memory files" : rte_strerror(-rc));
		return rc;
	}
	rc = vhost_user_set_mem_regions(ad->vu, w.regions, w.n);
	if (rc < 0)
		VPMD_INIT_LOG(ERR, "%s: memory table: %s", ad->name, rte_strerror(-rc));
	return rc;
}
