/* SPDX-License-Identifier: BSD-3-Clause */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "guest_mem.h"

void guest_mem_map(struct guest_mem *m, const char *name, size_t size)
{
	m->fd = memfd_create(name, MFD_CLOEXEC);
	assert_true(m->fd >= 0);
	assert_int_equal(ftruncate(m->fd, (off_t)size), 0);
	m->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	assert_true(m->base != MAP_FAILED);
	m->size = size;
}

void guest_mem_register(const struct guest_mem *m, struct vhost_user *vu)
{
	struct vhost_user_mem_region r = {
		.fd = m->fd,
		.mmap_offset = 0,
		.size = m->size,
		.user_addr = (uint64_t)(uintptr_t)m->base,
		.guest_addr = (uint64_t)(uintptr_t)m->base,
	};

	assert_int_equal(vhost_user_set_mem_regions(vu, &r, 1), 0);
}

void guest_mem_unmap(struct guest_mem *m)
{
	if (m->base != NULL && m->base != MAP_FAILED)
		munmap(m->base, m->size);
	if (m->fd >= 0)
		close(m->fd);
	*m = GUEST_MEM_NONE;
}
