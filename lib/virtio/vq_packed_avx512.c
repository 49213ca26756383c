/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Used descriptors of a packed ring read a cache line at a time with
 * AVX-512: four descriptors and the four chains they name, each in one
 * 64-byte register, every check of the scalar path made on the four at
 * once. Compiled for AVX-512 function by function (target attribute), so
 * the library runs anywhere; the caller uses it only where the CPU has
 * the instructions and the application allows vectors that wide
 * (vq_config.max_simd_bits, vq_create()).
 *
 * Lanes, in 16-bit units of a 16-byte descriptor: addr 0-3, len 4-5, id
 * 6, flags 7; of a 16-byte struct vq_chain: cookie 0-3, writable_len 4-5,
 * ndescs 6. So the length and the chain's writable length share their
 * 32-bit lanes (2, 6, 10, 14), and the id and ndescs their 16-bit ones
 * (6, 14, 22, 30).
 */
#include <stddef.h>

#include "vq_internal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

_Static_assert(sizeof(struct vring_packed_desc) == 16, "four descriptors a line");
_Static_assert(sizeof(struct vq_chain) == 16, "four chains a line");
_Static_assert(offsetof(struct vq_chain, writable_len) == 8, "writable_len in 32-bit lane 2");
_Static_assert(offsetof(struct vq_chain, ndescs) == 12, "ndescs in 16-bit lane 6");

#define FLAG_LANES 0x80808080u /* 16-bit */
#define ID_LANES   0x40404040u /* 16-bit */
#define LEN_LANES  0x4444u     /* 32-bit */
#define PTR_LANES  0x55u       /* 64-bit */

bool vq_packed_avx512_compiled(void)
{
	return true;
}

/*
 * In order only: chain ids are slots, so the four chains of a line are
 * four consecutive entries of vq->chains. Stops at the first line that is
 * not four used one-buffer chains each with a length within its buffer
 * (lens != NULL) and leaves that line to the scalar path. Returns the
 * entries taken; counters and ring position are updated.
 */
__attribute__((target("avx512f,avx512bw,avx512vl"))) uint16_t
vq_packed_used_lines_avx512(struct virtqueue *vq, void **cookies, uint32_t *lens, uint16_t max)
{
	struct vq_packed *p = &vq->packed;
	const __m512i flag_mask = _mm512_set1_epi16(VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED);
	const __m512i one = _mm512_set1_epi16(1);
	const __m512i zero = _mm512_setzero_si512();
	/* The ids a line must hold, less its first slot: 0, 1, 2, 3 in the id lanes. */
	const __m512i id_step = _mm512_set_epi64(3ll << 32, 0, 2ll << 32, 0, 1ll << 32, 0, 0, 0);
	uint16_t slot = p->last_used, n = 0;

	if (!vq->in_order || vq->batch_pending || p->pending_chains > 0 || vq->broken)
		return 0;
	while (n + 4u <= max && slot + 4u <= vq->size && vq->num_inflight - n >= 4) {
		const __m512i used = _mm512_set1_epi16(
		    p->used_wrap ? (short)(VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED) : 0);
		const void *line = &p->desc[slot];
		__m512i desc, chain, want_ids;

		/* The four flags first; the bodies only once they say used (2.8.21.2). */
		desc = _mm512_loadu_si512(line);
		if (_mm512_mask_cmpneq_epi16_mask(FLAG_LANES, _mm512_and_si512(desc, flag_mask), used))
			break;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		desc = _mm512_loadu_si512(line);
		chain = _mm512_loadu_si512(&vq->chains[slot]);
		want_ids = _mm512_add_epi16(_mm512_set1_epi16((short)slot), id_step);
		/*
		 * Each its own chain, in flight, of one buffer, written into
		 * (writable_len > 0: a read-only chain's length is the scalar
		 * path's to judge), and no longer than it.
		 */
		if (_mm512_mask_cmpneq_epi16_mask(ID_LANES, desc, want_ids) |
		    _mm512_mask_cmpneq_epi16_mask(ID_LANES, chain, one) |
		    _mm512_mask_cmpeq_epi64_mask(PTR_LANES, chain, zero) |
		    _mm512_mask_cmpeq_epi32_mask(LEN_LANES, chain, zero) |
		    _mm512_mask_cmpgt_epu32_mask(LEN_LANES, desc, chain))
			break;
		/* Register compress, then plain stores: compress to memory is slow on some CPUs. */
		_mm256_storeu_si256((void *)&cookies[n],
				    _mm512_castsi512_si256(_mm512_maskz_compress_epi64(PTR_LANES, chain)));
		if (lens != NULL)
			_mm_storeu_si128((void *)&lens[n], _mm512_castsi512_si128(
								_mm512_maskz_compress_epi32(LEN_LANES, desc)));
		vq->chains[slot].cookie = NULL;
		vq->chains[slot + 1].cookie = NULL;
		vq->chains[slot + 2].cookie = NULL;
		vq->chains[slot + 3].cookie = NULL;
		n = (uint16_t)(n + 4);
		slot = (uint16_t)(slot + 4);
		if (slot == vq->size) {
			slot = 0;
			p->used_wrap = !p->used_wrap;
		}
	}
	p->last_used = slot;
	vq->num_free = (uint16_t)(vq->num_free + n);
	vq->num_inflight = (uint16_t)(vq->num_inflight - n);
	vq->stats.chains_used += n;
	return n;
}

#else

bool vq_packed_avx512_compiled(void)
{
	return false;
}

uint16_t vq_packed_used_lines_avx512(struct virtqueue *vq, void **cookies, uint32_t *lens,
				     uint16_t max)
{
	(void)vq;
	(void)cookies;
	(void)lens;
	(void)max;
	return 0;
}

#endif
