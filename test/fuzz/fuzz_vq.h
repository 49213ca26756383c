/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One scenario for both ring layouts (fuzz_vq_split.c, fuzz_vq_packed.c):
 * the driver adds chains through the real lib/virtio code, the fuzz input
 * plays the device, writing whatever it likes into the used ring (split)
 * or the descriptor ring (packed), and the driver consumes it.
 */
#ifndef VPMD_FUZZ_VQ_H
#define VPMD_FUZZ_VQ_H

#include <stddef.h>
#include <stdint.h>

#include <vpmd/virtqueue.h>

/** Run the scenario @data describes on a queue of @layout; aborts on a broken invariant. */
void fuzz_vq_run(enum vq_layout layout, const uint8_t *data, size_t size);

#endif
