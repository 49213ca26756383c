/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RSS_CONFIG (virtio 1.2, 5.1.6.5.7): checked against the device's
 * limits, then laid out little-endian field by field (the command's data
 * has a variable-length table in the middle, so no C struct says it).
 */
#include <errno.h>
#include <string.h>

#include <vpmd/virtio_net_rss.h>
#include <vpmd/virtio_spec.h>

static int is_pow2(uint32_t n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

int virtio_net_rss_check(const struct virtio_net_rss *rss, const struct virtio_net_rss_limits *lim)
{
	uint16_t i;

	/* 5.1.6.5.7.1: "indirection_table_mask ... MUST be a power of two minus one". */
	if (!is_pow2(rss->reta_len) || rss->reta_len > VIRTIO_NET_RSS_RETA_MAX ||
	    rss->reta_len > lim->max_reta_len)
		return -EINVAL;
	if (rss->key_len > VIRTIO_NET_RSS_KEY_MAX || rss->key_len > lim->max_key_len)
		return -EINVAL;
	if (rss->hash_types & ~lim->hash_types)
		return -EINVAL;
	if (rss->max_tx_vq == 0 || rss->max_tx_vq > lim->max_queue_pairs)
		return -EINVAL;
	/* Queues that are not in use would receive what nobody polls. */
	if (rss->unclassified_queue >= rss->max_tx_vq)
		return -EINVAL;
	for (i = 0; i < rss->reta_len; i++)
		if (rss->reta[i] >= rss->max_tx_vq)
			return -EINVAL;
	return 0;
}

static uint8_t *put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	return p + 2;
}

int virtio_net_rss_encode(const struct virtio_net_rss *rss, uint8_t *buf, size_t cap)
{
	size_t need = 4 + 2 + 2 + 2u * rss->reta_len + 2 + 1 + rss->key_len;
	uint8_t *p = buf;
	uint16_t i;

	if (!is_pow2(rss->reta_len) || rss->reta_len > VIRTIO_NET_RSS_RETA_MAX ||
	    rss->key_len > VIRTIO_NET_RSS_KEY_MAX)
		return -EINVAL;
	if (need > cap)
		return -ENOSPC;
	p[0] = (uint8_t)rss->hash_types;
	p[1] = (uint8_t)(rss->hash_types >> 8);
	p[2] = (uint8_t)(rss->hash_types >> 16);
	p[3] = (uint8_t)(rss->hash_types >> 24);
	p += 4;
	p = put_le16(p, (uint16_t)(rss->reta_len - 1));
	p = put_le16(p, rss->unclassified_queue);
	for (i = 0; i < rss->reta_len; i++)
		p = put_le16(p, rss->reta[i]);
	p = put_le16(p, rss->max_tx_vq);
	*p++ = rss->key_len;
	memcpy(p, rss->key, rss->key_len);
	p += rss->key_len;
	return (int)(p - buf);
}

void virtio_net_rss_reta_spread(struct virtio_net_rss *rss, uint16_t reta_len, uint16_t queues)
{
	uint16_t i;

	rss->reta_len = reta_len;
	for (i = 0; i < reta_len && i < VIRTIO_NET_RSS_RETA_MAX; i++)
		rss->reta[i] = queues != 0 ? (uint16_t)(i % queues) : 0;
}
