/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading the network device's configuration (virtio 1.2, 5.1.4).
 *
 * 5.1.4: each field "exists only if" its feature is set, so a field is
 * read only with its bit. 2.5.1: "Drivers MUST NOT assume reads from
 * fields greater than 32 bits wide are atomic, nor are reads from multiple
 * fields: drivers SHOULD read device configuration space fields like so:
 * do { before = get_config_generation(device); (read fields); after =
 * get_config_generation(device); } while (after != before);" We bound the
 * loop: a device that never settles is reported, not waited for.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <vpmd/virtio_net_config.h>
#include <vpmd/virtio_spec.h>

#define NET_CONFIG_TRIES 8

/* 5.1.4: speed 0xffffffff and duplex 0xff mean unknown. */
#define NET_SPEED_UNKNOWN 0xffffffffu
#define NET_DUPLEX_HALF 0x00u
#define NET_DUPLEX_FULL 0x01u

#define CFG_OFF(field) ((uint32_t)offsetof(struct virtio_net_config, field))

static void set_defaults(struct virtio_net_dev_config *c)
{
	memset(c, 0, sizeof(*c));
	/* 5.1.4.2: without STATUS "the driver SHOULD assume the link is active". */
	c->link_up = true;
	c->max_queue_pairs = 1;
	c->duplex = -1;
}

static int read8(struct virtio_dev *dev, uint32_t off, uint8_t *v)
{
	return virtio_dev_read_config(dev, off, v, 1);
}

static int read16(struct virtio_dev *dev, uint32_t off, uint16_t *v)
{
	uint16_t le;
	int rc = virtio_dev_read_config(dev, off, &le, 2);

	if (rc == 0)
		*v = le16toh(le);
	return rc;
}

static int read32(struct virtio_dev *dev, uint32_t off, uint32_t *v)
{
	uint32_t le;
	int rc = virtio_dev_read_config(dev, off, &le, 4);

	if (rc == 0)
		*v = le32toh(le);
	return rc;
}

static bool has(uint64_t features, unsigned int bit)
{
	return (features >> bit) & 1;
}

/* One pass over the fields @features says exist. */
static int read_fields(struct virtio_dev *dev, uint64_t features, struct virtio_net_dev_config *c)
{
	uint16_t status = 0;
	uint8_t duplex;
	unsigned int i;
	int rc = 0;

	set_defaults(c);
	/* mac is six 8-bit fields: six 8-bit reads (4.1.3.1). */
	if (has(features, VIRTIO_NET_F_MAC)) {
		for (i = 0; i < sizeof(c->mac) && rc == 0; i++)
			rc = read8(dev, CFG_OFF(mac) + i, &c->mac[i]);
		c->has_mac = rc == 0;
	}
	if (rc == 0 && has(features, VIRTIO_NET_F_STATUS)) {
		rc = read16(dev, CFG_OFF(status), &status);
		c->has_status = rc == 0;
		c->link_up = (status & VIRTIO_NET_S_LINK_UP) != 0;
	}
	if (rc == 0 && has(features, VIRTIO_NET_F_MQ))
		rc = read16(dev, CFG_OFF(max_virtqueue_pairs), &c->max_queue_pairs);
	if (rc == 0 && has(features, VIRTIO_NET_F_MTU))
		rc = read16(dev, CFG_OFF(mtu), &c->mtu);
	if (rc == 0 && has(features, VIRTIO_NET_F_SPEED_DUPLEX)) {
		rc = read32(dev, CFG_OFF(speed), &c->speed_mbps);
		if (rc == 0)
			rc = read8(dev, CFG_OFF(duplex), &duplex);
		if (rc == 0) {
			c->has_speed_duplex = true;
			if (c->speed_mbps == NET_SPEED_UNKNOWN)
				c->speed_mbps = 0;
			c->duplex = duplex == NET_DUPLEX_FULL ? 1 : duplex == NET_DUPLEX_HALF ? 0 : -1;
		}
	}
	if (rc == 0 && has(features, VIRTIO_NET_F_RSS)) {
		rc = read8(dev, CFG_OFF(rss_max_key_size), &c->rss_max_key_size);
		if (rc == 0)
			rc = read16(dev, CFG_OFF(rss_max_indirection_table_length),
				    &c->rss_max_reta_len);
	}
	if (rc == 0 && (has(features, VIRTIO_NET_F_RSS) || has(features, VIRTIO_NET_F_HASH_REPORT)))
		rc = read32(dev, CFG_OFF(supported_hash_types), &c->supported_hash_types);
	return rc;
}

int virtio_net_config_read(struct virtio_dev *dev, uint64_t features,
			   struct virtio_net_dev_config *out)
{
	struct virtio_net_dev_config c;
	uint8_t before = 0, after = 0;
	int rc = -EAGAIN, tries;

	set_defaults(out);
	if (dev->ops->read_config == NULL)
		return -ENOTSUP;
	for (tries = 0; tries < NET_CONFIG_TRIES; tries++) {
		if (dev->ops->config_generation != NULL) {
			rc = dev->ops->config_generation(dev, &before);
			if (rc < 0)
				return rc;
		}
		rc = read_fields(dev, features, &c);
		if (rc < 0)
			return rc;
		if (dev->ops->config_generation == NULL)
			break;
		rc = dev->ops->config_generation(dev, &after);
		if (rc < 0)
			return rc;
		if (after == before)
			break;
		rc = -EAGAIN;
	}
	if (rc < 0)
		return rc;
	/*
	 * 5.1.4.1: "The device MUST set max_virtqueue_pairs to between 1 and
	 * 0x8000 inclusive, if it offers VIRTIO_NET_F_MQ." Anything else is
	 * a device we must not size queues by.
	 */
	if (c.max_queue_pairs < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN ||
	    c.max_queue_pairs > VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX)
		return -EINVAL;
	*out = c;
	return 0;
}
