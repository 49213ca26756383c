/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Guest memory for the vhost-user unit tests: a memfd mapped shared, the
 * way DPDK's own memory is under --no-huge, handed to the frontend as its
 * one region with guest addresses equal to ours.
 */
#ifndef VPMD_TEST_GUEST_MEM_H
#define VPMD_TEST_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

#include <vpmd/vhost_user.h>

struct guest_mem {
	int fd; /* -1 until mapped */
	uint8_t *base;
	size_t size;
};

#define GUEST_MEM_NONE ((struct guest_mem){ .fd = -1 })

/* Map @size bytes of a new memfd named @name (a cmocka assertion on failure). */
void guest_mem_map(struct guest_mem *m, const char *name, size_t size);

/* Give @vu the memory as its one region. */
void guest_mem_register(const struct guest_mem *m, struct vhost_user *vu);

/* Unmap and close; nothing for memory never mapped. */
void guest_mem_unmap(struct guest_mem *m);

#endif
