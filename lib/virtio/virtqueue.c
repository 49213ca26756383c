/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What split and packed virtqueues share: creation, the memory plan, the
 * counters, and thin dispatchers to the layout-specific halves. A datapath
 * that picked its layout once may call vq_split_* / vq_packed_* directly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <vpmd/virtio_alloc.h>

#include "vq_internal.h"

static const char *const refuse_reason_names[VQ_REFUSE_MAX] = {
	[VQ_REFUSE_ID_RANGE] = "id_range",
	[VQ_REFUSE_ID_NOT_INFLIGHT] = "id_not_inflight",
	[VQ_REFUSE_LEN] = "len",
	[VQ_REFUSE_WRAP] = "wrap",
	[VQ_REFUSE_IDX_JUMP] = "idx_jump",
};

const char *vq_refuse_reason_name(enum vq_refuse_reason reason)
{
	if ((unsigned int)reason >= VQ_REFUSE_MAX)
		return "unknown";
	return refuse_reason_names[reason];
}

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static bool config_valid(const struct vq_config *cfg)
{
	if (cfg->size == 0 || cfg->size > VIRTQ_MAX_SIZE)
		return false;
	/* Split rings index with "& (size - 1)" (2.7: size is a power of 2). */
	if (cfg->layout == VQ_LAYOUT_SPLIT && (cfg->size & (cfg->size - 1)) != 0)
		return false;
	if (cfg->layout != VQ_LAYOUT_SPLIT && cfg->layout != VQ_LAYOUT_PACKED)
		return false;
	if (cfg->used_align != 0 &&
	    (cfg->used_align < VRING_USED_ALIGN || (cfg->used_align & (cfg->used_align - 1))))
		return false;
	if (cfg->indirect_max != 0 && !(cfg->features & VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC)))
		return false;
	return true;
}

/* Ring proper, then the indirect tables at a 16-byte boundary. */
static size_t mem_plan(const struct vq_config *cfg, size_t *indirect_offset, size_t *used_offset)
{
	size_t ring;

	*used_offset = 0;
	if (cfg->layout == VQ_LAYOUT_SPLIT)
		ring = vq_split_mem_layout(cfg->size, cfg->used_align ? cfg->used_align : VRING_USED_ALIGN,
					   used_offset);
	else
		ring = vq_packed_mem_layout(cfg->size);
	*indirect_offset = align_up(ring, VRING_DESC_ALIGN);
	return align_up(*indirect_offset + (size_t)cfg->size * cfg->indirect_max *
						   sizeof(struct vring_desc),
			64);
}

size_t vq_ring_mem_size(const struct vq_config *cfg)
{
	size_t indirect_offset, used_offset;

	if (cfg == NULL || !config_valid(cfg))
		return 0;
	return mem_plan(cfg, &indirect_offset, &used_offset);
}

int vq_create(const struct vq_config *cfg, void *ring_mem, uint64_t ring_dev_addr,
	      struct virtqueue **out)
{
	struct virtqueue *vq;
	size_t bytes;

	if (cfg == NULL || out == NULL || ring_mem == NULL || !config_valid(cfg))
		return -EINVAL;
	if (((uintptr_t)ring_mem & 63) != 0)
		return -EINVAL;

	/*
	 * chains[size], then the private uint16_t link array of either layout,
	 * then the split avail ring's shadow or the packed head flags waiting
	 * for publish.
	 */
	bytes = sizeof(*vq) + (size_t)cfg->size * sizeof(struct vq_chain) +
		(size_t)cfg->size * sizeof(uint16_t);
	if (cfg->layout == VQ_LAYOUT_PACKED)
		bytes += (size_t)cfg->size * sizeof(struct vq_packed_pending);
	else
		bytes += (size_t)cfg->size * sizeof(uint16_t);
	vq = virtio_zalloc(bytes); /* shared memory in net_vpmd: see virtio_alloc.h */
	if (vq == NULL)
		return -ENOMEM;

	vq->layout = cfg->layout;
	vq->size = cfg->size;
	vq->index = cfg->index;
	vq->event_idx = (cfg->features & VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX)) != 0;
	vq->in_order = (cfg->features & VIRTIO_BIT(VIRTIO_F_IN_ORDER)) != 0;
	vq->used_avx512 = cfg->layout == VQ_LAYOUT_PACKED && vq->in_order &&
			  cfg->max_simd_bits >= 512 && vq_packed_avx512_compiled();
	vq->indirect_max = cfg->indirect_max;
	vq->ring_mem = ring_mem;
	vq->ring_mem_size = mem_plan(cfg, &vq->indirect_offset, &vq->used_offset);
	vq->ring_dev_addr = ring_dev_addr;
	vq->notify = cfg->notify;
	vq->notify_ctx = cfg->notify_ctx;
	vq->refused = cfg->refused;
	vq->refused_ctx = cfg->refused_ctx;

	vq_reset(vq);
	*out = vq;
	return 0;
}

void vq_destroy(struct virtqueue *vq)
{
	virtio_free(vq);
}

/* Counters survive a reset: they tell the queue's whole story (reconnects included). */
void vq_reset(struct virtqueue *vq)
{
	uint16_t *links = (uint16_t *)&vq->chains[vq->size];

	memset(vq->ring_mem, 0, vq->ring_mem_size);
	memset(vq->chains, 0, (size_t)vq->size * sizeof(vq->chains[0]));
	vq->num_free = vq->size;
	vq->num_inflight = 0;
	vq->broken = false;
	vq->batch_pending = false;

	if (vq->layout == VQ_LAYOUT_SPLIT) {
		memset(&vq->split, 0, sizeof(vq->split));
		vq->split.next = links;
		/* Zero, as the ring memory just cleared. */
		vq->split.avail_shadow = &links[vq->size];
		memset(vq->split.avail_shadow, 0, (size_t)vq->size * sizeof(uint16_t));
		vq_split_init(vq);
	} else {
		memset(&vq->packed, 0, sizeof(vq->packed));
		vq->packed.id_next = links;
		/* uint16_t links[size] leave the next address 2-byte aligned, as needed. */
		vq->packed.pending = (struct vq_packed_pending *)&links[vq->size];
		vq_packed_init(vq);
	}
}

int vq_add(struct virtqueue *vq, const struct vq_buf *bufs, uint16_t n_out, uint16_t n_in,
	   void *cookie, unsigned int flags)
{
	uint32_t total = (uint32_t)n_out + n_in;
	bool indirect = (flags & VQ_ADD_INDIRECT) != 0;

	if (vq->broken)
		return -ENOTRECOVERABLE;
	if (total == 0 || bufs == NULL || cookie == NULL || (flags & ~VQ_ADD_INDIRECT))
		return -EINVAL;
	if (indirect && total > vq->indirect_max)
		return -EINVAL;
	/* A direct chain longer than the ring can never fit. */
	if (!indirect && total > vq->size)
		return -EINVAL;

	if (vq->layout == VQ_LAYOUT_SPLIT)
		return vq_split_add(vq, bufs, n_out, n_in, cookie, indirect);
	return vq_packed_add(vq, bufs, n_out, n_in, cookie, indirect);
}

uint16_t vq_add_bulk(struct virtqueue *vq, const struct vq_buf *bufs, void *const *cookies,
		     uint16_t n, bool writable)
{
	uint16_t i;

	if (vq->broken || bufs == NULL || cookies == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (cookies[i] == NULL)
			return 0;
	if (vq->layout == VQ_LAYOUT_SPLIT)
		return vq_split_add_bulk(vq, bufs, cookies, n, writable);
	return vq_packed_add_bulk(vq, bufs, cookies, n, writable);
}

void vq_publish(struct virtqueue *vq)
{
	if (vq->layout == VQ_LAYOUT_SPLIT)
		vq_split_publish(vq);
	else
		vq_packed_publish(vq);
}

bool vq_kick_prepare(struct virtqueue *vq)
{
	if (vq->broken)
		return false;
	if (vq->layout == VQ_LAYOUT_SPLIT)
		return vq_split_kick_prepare(vq);
	return vq_packed_kick_prepare(vq);
}

int vq_notify(struct virtqueue *vq)
{
	/* A broken queue's device must not be sent to read a ring we gave up on. */
	if (vq->broken)
		return -ENOTRECOVERABLE;
	vq->stats.kicks++;
	vq->notify_mark = vq->kick_mark;
	if (vq->notify == NULL)
		return 0;
	return vq->notify(vq->notify_ctx, vq->index);
}

bool vq_kick(struct virtqueue *vq)
{
	if (!vq_kick_prepare(vq))
		return false;
	vq_notify(vq);
	return true;
}

void vq_get_kick_info(const struct virtqueue *vq, struct vq_kick_info *info)
{
	info->descs_decided = vq->kick_decided;
	info->descs_since_notify = (uint32_t)(vq->kick_mark - vq->notify_mark);
}

int vq_get_used(struct virtqueue *vq, void **cookie, uint32_t *len)
{
	*cookie = NULL;
	*len = 0;
	if (vq->broken)
		return -ENOTRECOVERABLE;
	if (vq->layout == VQ_LAYOUT_SPLIT)
		return vq_split_get_used(vq, cookie, len);
	return vq_packed_get_used(vq, cookie, len);
}

uint16_t vq_get_used_bulk(struct virtqueue *vq, void **cookies, uint32_t *lens, uint16_t max)
{
	if (vq->broken)
		return 0;
	if (vq->layout == VQ_LAYOUT_SPLIT)
		return vq_split_get_used_bulk(vq, cookies, lens, max);
	return vq_packed_get_used_bulk(vq, cookies, lens, max);
}

uint16_t vq_reclaim_bulk(struct virtqueue *vq, void **cookies, uint16_t max)
{
	if (vq->broken)
		return 0;
	if (vq->layout == VQ_LAYOUT_SPLIT)
		return vq_split_reclaim_bulk(vq, cookies, max);
	return vq_packed_reclaim_bulk(vq, cookies, max);
}

bool vq_has_used(const struct virtqueue *vq)
{
	if (vq->broken)
		return false;
	if (vq->batch_pending)
		return true;
	if (vq->layout == VQ_LAYOUT_SPLIT)
		return vq_split_has_used(vq);
	return vq_packed_has_used(vq);
}

bool vq_enable_cb(struct virtqueue *vq)
{
	if (vq->layout == VQ_LAYOUT_SPLIT)
		return vq_split_enable_cb(vq);
	return vq_packed_enable_cb(vq);
}

void vq_disable_cb(struct virtqueue *vq)
{
	if (vq->layout == VQ_LAYOUT_SPLIT)
		vq_split_disable_cb(vq);
	else
		vq_packed_disable_cb(vq);
}

bool vq_cb_enabled(const struct virtqueue *vq)
{
	return __atomic_load_n(&vq->cb_enabled, __ATOMIC_RELAXED);
}

void *vq_detach_unused(struct virtqueue *vq)
{
	/* A batch in progress refers to chains that are about to be freed here. */
	vq->batch_pending = false;
	if (vq->layout == VQ_LAYOUT_SPLIT)
		return vq_split_detach_unused(vq);
	return vq_packed_detach_unused(vq);
}

uint16_t vq_num_free(const struct virtqueue *vq)
{
	return vq->num_free;
}

void vq_count_ring_full(struct virtqueue *vq)
{
	vq->stats.ring_full++;
}

uint16_t vq_num_inflight(const struct virtqueue *vq)
{
	return vq->num_inflight;
}

uint16_t vq_size(const struct virtqueue *vq)
{
	return vq->size;
}

uint16_t vq_index(const struct virtqueue *vq)
{
	return vq->index;
}

enum vq_layout vq_get_layout(const struct virtqueue *vq)
{
	return vq->layout;
}

const char *vq_datapath(const struct virtqueue *vq)
{
	return vq->used_avx512 ? "avx512" : "scalar";
}

bool vq_is_broken(const struct virtqueue *vq)
{
	return vq->broken;
}

const char *vq_broken_reason(const struct virtqueue *vq)
{
	return vq->broken ? vq_refuse_reason_name(vq->broken_reason) : NULL;
}

const struct vq_stats *vq_get_stats(const struct virtqueue *vq)
{
	return &vq->stats;
}

void vq_stats_add(struct vq_stats *sum, const struct vq_stats *s)
{
	unsigned int i;

	sum->chains_added += s->chains_added;
	sum->descs_added += s->descs_added;
	sum->chains_used += s->chains_used;
	sum->kicks += s->kicks;
	sum->kicks_suppressed += s->kicks_suppressed;
	sum->ring_full += s->ring_full;
	for (i = 0; i < VQ_REFUSE_MAX; i++)
		sum->refused[i] += s->refused[i];
}

void vq_ring_addrs(const struct virtqueue *vq, struct vq_ring_addrs *addrs)
{
	if (vq->layout == VQ_LAYOUT_SPLIT) {
		addrs->desc = vq->split.desc;
		addrs->driver_area = vq->split.avail;
		addrs->device_area = vq->split.used;
	} else {
		addrs->desc = vq->packed.desc;
		addrs->driver_area = vq->packed.driver_event;
		addrs->device_area = vq->packed.device_event;
	}
	addrs->desc_dev = vq_dev_addr_of(vq, addrs->desc);
	addrs->driver_area_dev = vq_dev_addr_of(vq, addrs->driver_area);
	addrs->device_area_dev = vq_dev_addr_of(vq, addrs->device_area);
}

void vq_get_position(const struct virtqueue *vq, struct vq_position *pos)
{
	if (vq->layout == VQ_LAYOUT_SPLIT)
		vq_split_position(vq, pos);
	else
		vq_packed_position(vq, pos);
}
