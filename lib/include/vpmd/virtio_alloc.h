/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where the virtio core puts the objects it allocates (virtqueues, the
 * control queue's command state): calloc() and free() unless the program
 * says otherwise, once, before it creates any.
 *
 * Why: net_vpmd lets DPDK secondary processes (dpdk-proc-info,
 * dpdk-pdump) read a port's xstats, which include each ring's counters
 * held in its struct virtqueue. A secondary maps DPDK's shared memory at
 * the primary's addresses but not the primary's libc heap, so the driver
 * points this hook at DPDK's allocator (vpmd_secondary.c). The core keeps
 * no DPDK types; unit tests and tools keep calloc.
 *
 * Errors: none; virtio_alloc_set() takes both functions or neither (NULL,
 * NULL restores the default). It is process-wide, not thread safe, and
 * must not change while objects made by the previous pair still exist:
 * call it before the first allocation (a constructor).
 */
#ifndef VPMD_VIRTIO_ALLOC_H
#define VPMD_VIRTIO_ALLOC_H

#include <stddef.h>

/* Returns @size zeroed bytes aligned for any object, or NULL. */
typedef void *(*virtio_zalloc_fn)(size_t size);
typedef void (*virtio_free_fn)(void *p);

void virtio_alloc_set(virtio_zalloc_fn zalloc, virtio_free_fn release);

/* The core's own use: zeroed memory from the hook (NULL when out of memory), and its release. */
void *virtio_zalloc(size_t size);
void virtio_free(void *p);

#endif /* VPMD_VIRTIO_ALLOC_H */
