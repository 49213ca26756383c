/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The packed used-ring consumer (lib/virtio/vq_packed.c) against a device that
 * writes anything: see fuzz_vq.c for the input and the invariants.
 */
#include "fuzz_input.h"
#include "fuzz_vq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_vq_run(VQ_LAYOUT_PACKED, data, size);
	return 0;
}
