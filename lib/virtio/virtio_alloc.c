/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The virtio core's allocator hook (vpmd/virtio_alloc.h). The pointers
 * live in this process's own copy of the library: a function address is
 * only meaningful in the process that loaded the code, so it is never
 * stored in what the allocator returns.
 */
#include <stdlib.h>

#include <vpmd/virtio_alloc.h>

static void *default_zalloc(size_t size)
{
	return calloc(1, size);
}

static virtio_zalloc_fn zalloc_fn = default_zalloc;
static virtio_free_fn free_fn = free;

void virtio_alloc_set(virtio_zalloc_fn zalloc, virtio_free_fn release)
{
	if (zalloc == NULL || release == NULL) {
		zalloc_fn = default_zalloc;
		free_fn = free;
		return;
	}
	zalloc_fn = zalloc;
	free_fn = release;
}

void *virtio_zalloc(size_t size)
{
	return zalloc_fn(size);
}

void virtio_free(void *p)
{
	if (p != NULL)
		free_fn(p);
}
