/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A virtqueue as JSON: what vctl shows and the tests check.
 *
 * It may run on another thread while the queue is in use (the telemetry
 * thread beside the datapath). It takes no lock: each field is read once,
 * whole, so every value was true at some recent instant, though two values
 * need not be from the same instant.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "vq_internal.h"

/* Addresses as hex strings: JSON numbers lose 64-bit values in many readers. */
static json_t *hex64(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return json_string(buf);
}

static json_t *desc_flags_json(uint16_t flags, bool packed)
{
	static const struct {
		uint16_t bit;
		const char *name;
	} names[] = {
		{ VRING_DESC_F_NEXT, "NEXT" },
		{ VRING_DESC_F_WRITE, "WRITE" },
		{ VRING_DESC_F_INDIRECT, "INDIRECT" },
		{ VRING_PACKED_DESC_F_AVAIL, "AVAIL" },
		{ VRING_PACKED_DESC_F_USED, "USED" },
	};
	json_t *arr = json_array();
	uint16_t known = 0;
	char buf[16];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!packed && (names[i].bit & (VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED)))
			continue;
		known |= names[i].bit;
		if (flags & names[i].bit)
			json_array_append_new(arr, json_string(names[i].name));
	}
	for (i = 0; i < 16; i++) {
		if ((flags & ~known) & (1u << i)) {
			snprintf(buf, sizeof(buf), "bit_%zu", i);
			json_array_append_new(arr, json_string(buf));
		}
	}
	return arr;
}

static json_t *split_desc_json(const struct virtqueue *vq, uint32_t i)
{
	const struct vring_desc *d = &vq->split.desc[i];
	uint16_t flags = le16toh(VQ_READ_ONCE(d->flags));

	return json_pack("{s:I, s:o, s:I, s:i, s:o, s:I}",
			 "index", (json_int_t)i,
			 "addr", hex64(le64toh(VQ_READ_ONCE(d->addr))),
			 "len", (json_int_t)le32toh(VQ_READ_ONCE(d->len)),
			 "flags_raw", flags,
			 "flags", desc_flags_json(flags, false),
			 "next", (json_int_t)le16toh(VQ_READ_ONCE(d->next)));
}

static json_t *packed_desc_json(const struct virtqueue *vq, uint32_t i)
{
	const struct vring_packed_desc *d = &vq->packed.desc[i];
	uint16_t flags = le16toh(VQ_READ_ONCE(d->flags));

	return json_pack("{s:I, s:o, s:I, s:i, s:o, s:I}",
			 "index", (json_int_t)i,
			 "addr", hex64(le64toh(VQ_READ_ONCE(d->addr))),
			 "len", (json_int_t)le32toh(VQ_READ_ONCE(d->len)),
			 "flags_raw", flags,
			 "flags", desc_flags_json(flags, true),
			 "id", (json_int_t)le16toh(VQ_READ_ONCE(d->id)));
}

static json_t *stats_json(const struct vq_stats *st)
{
	json_t *refused = json_object();
	int r;

	for (r = 0; r < VQ_REFUSE_MAX; r++)
		json_object_set_new(refused, vq_refuse_reason_name(r),
				    json_integer((json_int_t)VQ_READ_ONCE(st->refused[r])));
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
			 "chains_added", (json_int_t)VQ_READ_ONCE(st->chains_added),
			 "descs_added", (json_int_t)VQ_READ_ONCE(st->descs_added),
			 "chains_used", (json_int_t)VQ_READ_ONCE(st->chains_used),
			 "kicks", (json_int_t)VQ_READ_ONCE(st->kicks),
			 "kicks_suppressed", (json_int_t)VQ_READ_ONCE(st->kicks_suppressed),
			 "ring_full", (json_int_t)VQ_READ_ONCE(st->ring_full),
			 "refused", refused);
}

static const char *packed_event_name(uint16_t flags)
{
	switch (flags) {
	case VRING_PACKED_EVENT_FLAG_ENABLE:
		return "enable";
	case VRING_PACKED_EVENT_FLAG_DISABLE:
		return "disable";
	case VRING_PACKED_EVENT_FLAG_DESC:
		return "desc";
	default:
		return "invalid";
	}
}

static json_t *packed_event_json(const struct vring_packed_desc_event *ev)
{
	uint16_t off_wrap = le16toh(VQ_READ_ONCE(ev->off_wrap));
	uint16_t flags = le16toh(VQ_READ_ONCE(ev->flags));

	return json_pack("{s:s, s:i, s:b}",
			 "flags", packed_event_name(flags),
			 "offset", off_wrap & 0x7fff,
			 "wrap", off_wrap >> VRING_PACKED_EVENT_WRAP_SHIFT);
}

/* Layout-specific indexes and notification state. */
static int add_split_state(const struct virtqueue *vq, json_t *obj)
{
	const struct vq_split *s = &vq->split;
	uint16_t avail_flags = VQ_READ_ONCE(s->avail_flags);
	uint16_t used_flags = le16toh(VQ_READ_ONCE(s->used->flags));
	json_t *notify;

	if (vq->event_idx)
		notify = json_pack("{s:s, s:i, s:s, s:i}",
				   "driver_to_device", "event_idx",
				   "avail_event", le16toh(VQ_READ_ONCE(*vq_split_avail_event(vq))),
				   "device_to_driver", "event_idx",
				   "used_event", le16toh(VQ_READ_ONCE(*vq_split_used_event(vq))));
	else
		notify = json_pack("{s:s, s:s}",
				   "driver_to_device",
				   (used_flags & VRING_USED_F_NO_NOTIFY) ? "suppressed" : "enabled",
				   "device_to_driver",
				   (avail_flags & VRING_AVAIL_F_NO_INTERRUPT) ? "disabled" : "enabled");

	return json_object_update_new(
		obj, json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:o}",
			       "avail_idx", VQ_READ_ONCE(s->avail_idx),
			       "avail_idx_published", le16toh(VQ_READ_ONCE(s->avail->idx)),
			       "used_idx", le16toh(VQ_READ_ONCE(s->used->idx)),
			       "last_used_idx", VQ_READ_ONCE(s->last_used_idx),
			       "avail_flags", avail_flags,
			       "used_flags", used_flags,
			       "notifications", notify));
}

static int add_packed_state(const struct virtqueue *vq, json_t *obj)
{
	const struct vq_packed *p = &vq->packed;

	return json_object_update_new(
		obj, json_pack("{s:i, s:b, s:i, s:b, s:{s:o, s:o}}",
			       "avail_idx", VQ_READ_ONCE(p->next_avail),
			       "avail_wrap", VQ_READ_ONCE(p->avail_wrap),
			       "used_idx", VQ_READ_ONCE(p->last_used),
			       "used_wrap", VQ_READ_ONCE(p->used_wrap),
			       "notifications",
			       "driver_event", packed_event_json(p->driver_event),
			       "device_event", packed_event_json(p->device_event)));
}

json_t *vq_to_json(const struct virtqueue *vq, uint32_t start, uint32_t count)
{
	struct vq_ring_addrs addrs;
	json_t *obj, *descs;
	uint32_t i, end;

	if (start > vq->size || (start == vq->size && count > 0)) {
		errno = EINVAL;
		return NULL;
	}
	end = count > vq->size - start ? vq->size : start + count;

	vq_ring_addrs(vq, &addrs);
	obj = json_pack("{s:i, s:s, s:i, s:b, s:{s:b, s:b, s:b, s:i}, s:i, s:i, s:{s:o, s:o, s:o}}",
			"index", vq->index,
			"layout", vq->layout == VQ_LAYOUT_SPLIT ? "split" : "packed",
			"size", vq->size,
			"broken", VQ_READ_ONCE(vq->broken),
			"features",
			"event_idx", vq->event_idx,
			"in_order", vq->in_order,
			"indirect", vq->indirect_max > 0,
			"indirect_max", vq->indirect_max,
			"free", VQ_READ_ONCE(vq->num_free),
			"inflight", VQ_READ_ONCE(vq->num_inflight),
			"addrs",
			"desc", hex64(addrs.desc_dev),
			"driver_area", hex64(addrs.driver_area_dev),
			"device_area", hex64(addrs.device_area_dev));
	if (obj == NULL)
		goto nomem;
	if ((vq->layout == VQ_LAYOUT_SPLIT ? add_split_state(vq, obj) : add_packed_state(vq, obj)) < 0)
		goto nomem;
	if (json_object_set_new(obj, "stats", stats_json(&vq->stats)) < 0)
		goto nomem;

	descs = json_array();
	if (descs == NULL)
		goto nomem;
	for (i = start; i < end; i++) {
		json_t *d = vq->layout == VQ_LAYOUT_SPLIT ? split_desc_json(vq, i)
							   : packed_desc_json(vq, i);
		if (d == NULL || json_array_append_new(descs, d) < 0) {
			json_decref(descs);
			goto nomem;
		}
	}
	if (json_object_set_new(obj, "desc_start", json_integer(start)) < 0 ||
	    json_object_set_new(obj, "desc_count", json_integer(end - start)) < 0 ||
	    json_object_set_new(obj, "descs", descs) < 0)
		goto nomem;
	return obj;

nomem:
	json_decref(obj);
	errno = ENOMEM;
	return NULL;
}
