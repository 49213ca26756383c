/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading a fuzz input as a stream of little fields. Past the end every
 * read gives 0 and fz_done() turns true, so a target never needs to check
 * lengths before reading: a short input is just a short scenario.
 */
#ifndef VPMD_FUZZ_INPUT_H
#define VPMD_FUZZ_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fz {
	const uint8_t *p;
	size_t n;
};

static inline bool fz_done(const struct fz *f)
{
	return f->n == 0;
}

static inline uint8_t fz_u8(struct fz *f)
{
	uint8_t v = 0;

	if (f->n) {
		v = *f->p++;
		f->n--;
	}
	return v;
}

static inline uint16_t fz_u16(struct fz *f)
{
	uint16_t lo = fz_u8(f);

	return (uint16_t)(lo | (uint16_t)fz_u8(f) << 8);
}

static inline uint32_t fz_u32(struct fz *f)
{
	uint32_t lo = fz_u16(f);

	return lo | (uint32_t)fz_u16(f) << 16;
}

/* Copy up to @len bytes into @dst; the rest of @dst is left as it was. Returns bytes copied. */
static inline size_t fz_bytes(struct fz *f, void *dst, size_t len)
{
	if (len > f->n)
		len = f->n;
	memcpy(dst, f->p, len);
	f->p += len;
	f->n -= len;
	return len;
}

/*
 * An invariant of the code under test does not hold: say which and abort,
 * so that libFuzzer keeps the input as a crash.
 */
#define FZ_CHECK(cond, ...)                                                          \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "fuzz invariant failed: %s (%s:%d): ", #cond, \
				__FILE__, __LINE__);                                 \
			fprintf(stderr, __VA_ARGS__);                                \
			fputc('\n', stderr);                                         \
			abort();                                                     \
		}                                                                    \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* VPMD_FUZZ_INPUT_H */
