/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive-side scaling through the device (virtio 1.2, 5.1.6.5.7): with
 * an RSS mq_mode, the hash types (from rss_hf), the key and the
 * redirection table go to the device in one RSS_CONFIG command, at every
 * bring-up and at each change. With HASH_REPORT (asked for by the
 * RTE_ETH_RX_OFFLOAD_RSS_HASH offload) the device puts the hash in each
 * packet's header, and the rx bursts put it in mbuf->hash.rss.
 *
 * What the device can do comes from its configuration space, read at
 * probe into ad->rss_limits (a vhost-user backend has no RSS: zeroes).
 */
#include <errno.h>
#include <string.h>

#include <ethdev_driver.h>

#include <vpmd/virtio_features.h>
#include <vpmd/virtio_net_ctrl.h>
#include <vpmd/virtio_spec.h>

#include "vpmd.h"
#include "vpmd_logs.h"

/* The Toeplitz key most NICs start with (Microsoft's RSS verification key). */
static const uint8_t default_key[VIRTIO_NET_RSS_KEY_MAX] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
	0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
	0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* ethdev's flow types and the virtio hash type each maps to. */
static const struct {
	uint64_t rss_hf;
	uint32_t hash_type;
} hash_map[] = {
	{ RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_OTHER,
	  VIRTIO_NET_RSS_HASH_TYPE_IPV4 },
	{ RTE_ETH_RSS_NONFRAG_IPV4_TCP, VIRTIO_NET_RSS_HASH_TYPE_TCPV4 },
	{ RTE_ETH_RSS_NONFRAG_IPV4_UDP, VIRTIO_NET_RSS_HASH_TYPE_UDPV4 },
	{ RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_FRAG_IPV6 | RTE_ETH_RSS_NONFRAG_IPV6_OTHER,
	  VIRTIO_NET_RSS_HASH_TYPE_IPV6 },
	{ RTE_ETH_RSS_NONFRAG_IPV6_TCP, VIRTIO_NET_RSS_HASH_TYPE_TCPV6 },
	{ RTE_ETH_RSS_NONFRAG_IPV6_UDP, VIRTIO_NET_RSS_HASH_TYPE_UDPV6 },
	{ RTE_ETH_RSS_IPV6_EX, VIRTIO_NET_RSS_HASH_TYPE_IP_EX },
	{ RTE_ETH_RSS_IPV6_TCP_EX, VIRTIO_NET_RSS_HASH_TYPE_TCP_EX },
	{ RTE_ETH_RSS_IPV6_UDP_EX, VIRTIO_NET_RSS_HASH_TYPE_UDP_EX },
};

static uint32_t hash_types_of(uint64_t rss_hf)
{
	uint32_t t = 0;
	size_t i;

	for (i = 0; i < RTE_DIM(hash_map); i++)
		if (rss_hf & hash_map[i].rss_hf)
			t |= hash_map[i].hash_type;
	return t;
}

static uint64_t rss_hf_of(uint32_t hash_types)
{
	uint64_t hf = 0;
	size_t i;

	for (i = 0; i < RTE_DIM(hash_map); i++)
		if (hash_types & hash_map[i].hash_type)
			hf |= hash_map[i].rss_hf;
	return hf;
}

static bool device_has_rss(const struct vpmd_adapter *ad)
{
	return ad->rss_limits.max_reta_len != 0 &&
	       (ad->vdev.offered & VIRTIO_BIT(VIRTIO_NET_F_RSS)) != 0;
}

/* The table length we use: the device's, at most ours. */
static uint16_t reta_len(const struct vpmd_adapter *ad)
{
	uint16_t n = RTE_MIN(ad->rss_limits.max_reta_len, (uint16_t)VIRTIO_NET_RSS_RETA_MAX);

	return (uint16_t)rte_align32prevpow2(n);
}

void vpmd_rss_infos(const struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
	const struct vpmd_adapter *ad = vpmd_adapter_of(dev);

	if (!device_has_rss(ad))
		return;
	info->reta_size = reta_len(ad);
	info->hash_key_size = ad->rss_limits.max_key_len;
	info->flow_type_rss_offloads = rss_hf_of(ad->rss_limits.hash_types);
	if (ad->vdev.offered & VIRTIO_BIT(VIRTIO_NET_F_HASH_REPORT))
		info->rx_offload_capa |= RTE_ETH_RX_OFFLOAD_RSS_HASH;
}

/* What RSS asks of the device: RSS itself, and the hash in each header. */
uint64_t vpmd_rss_features(const struct rte_eth_dev *dev)
{
	const struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	uint64_t f = 0;

	if (ad->rss_on)
		f |= VIRTIO_BIT(VIRTIO_NET_F_RSS);
	if (dev->data->dev_conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_RSS_HASH)
		f |= VIRTIO_BIT(VIRTIO_NET_F_HASH_REPORT);
	return f;
}

/* rss_conf's key into ad->rss, or the default key; -EINVAL for a key of the wrong size. */
static int key_set(struct vpmd_adapter *ad, const struct rte_eth_rss_conf *conf)
{
	uint8_t len = ad->rss_limits.max_key_len;

	if (len > VIRTIO_NET_RSS_KEY_MAX)
		len = VIRTIO_NET_RSS_KEY_MAX;
	if (conf->rss_key != NULL && conf->rss_key_len != 0) {
		if (conf->rss_key_len != len) {
			VPMD_DRV_LOG(ERR, ad->name, "RSS key of %u bytes: the device takes %u",
				     conf->rss_key_len, len);
			return -EINVAL;
		}
		memcpy(ad->rss.key, conf->rss_key, len);
	} else if (ad->rss.key_len == 0) {
		memcpy(ad->rss.key, default_key, len);
	}
	ad->rss.key_len = len;
	return 0;
}

int vpmd_rss_configure(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	const struct rte_eth_conf *conf = &dev->data->dev_conf;
	uint16_t queues = dev->data->nb_rx_queues;
	int rc;

	ad->rss_on = false;
	if (!(conf->rxmode.mq_mode & RTE_ETH_MQ_RX_RSS_FLAG))
		return 0;
	if (!device_has_rss(ad)) {
		if (queues <= 1)
			return 0; /* one queue: nothing to spread */
		VPMD_DRV_LOG(ERR, ad->name, "RSS over %u queues asked: the device has no RSS",
			     queues);
		return -ENOTSUP;
	}
	rc = key_set(ad, &conf->rx_adv_conf.rss_conf);
	if (rc < 0)
		return rc;
	ad->rss_hf = conf->rx_adv_conf.rss_conf.rss_hf;
	ad->rss.hash_types = hash_types_of(ad->rss_hf) & ad->rss_limits.hash_types;
	/* A new queue count means a new spread; a table set by reta_update is kept otherwise. */
	if (ad->rss.max_tx_vq != queues || ad->rss.reta_len != reta_len(ad))
		virtio_net_rss_reta_spread(&ad->rss, reta_len(ad), queues);
	ad->rss.max_tx_vq = queues;
	ad->rss.unclassified_queue = 0;
	ad->rss_on = true;
	return 0;
}

/* RSS_CONFIG with what ad->rss holds; control lock held, device up. */
int vpmd_rss_replay_locked(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	uint8_t buf[VIRTIO_NET_CTRL_DATA_MAX];
	int len, rc;

	if (!ad->rss_on || !virtio_dev_has_feature(&ad->vdev, VIRTIO_NET_F_RSS))
		return 0;
	rc = virtio_net_rss_check(&ad->rss, &ad->rss_limits);
	if (rc < 0) {
		VPMD_DRV_LOG(ERR, ad->name, "RSS configuration outside the device's limits");
		return rc;
	}
	len = virtio_net_rss_encode(&ad->rss, buf, sizeof(buf));
	if (len < 0)
		return len;
	return vpmd_ctrl_send_locked(ad, "RSS config", VIRTIO_NET_CTRL_MQ,
				     VIRTIO_NET_CTRL_MQ_RSS_CONFIG, buf, (uint32_t)len);
}

/* Send the new configuration now if the device is up; else the next bring-up does. */
static int rss_apply(struct rte_eth_dev *dev)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	int rc = 0;

	vpmd_ctrl_lock(ad);
	if (ad->device_up)
		rc = vpmd_rss_replay_locked(dev);
	vpmd_ctrl_unlock(ad);
	return rc;
}

int vpmd_rss_hash_update(struct rte_eth_dev *dev, struct rte_eth_rss_conf *conf)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	struct virtio_net_rss old = ad->rss;
	uint64_t old_hf = ad->rss_hf;
	int rc;

	if (!ad->rss_on)
		return -ENOTSUP;
	if (conf->rss_hf & ~rss_hf_of(ad->rss_limits.hash_types))
		return -EINVAL;
	rc = key_set(ad, conf);
	if (rc < 0)
		return rc;
	ad->rss_hf = conf->rss_hf;
	ad->rss.hash_types = hash_types_of(conf->rss_hf);
	rc = rss_apply(dev);
	if (rc < 0) {
		/* Refused: we keep what the device holds. */
		ad->rss = old;
		ad->rss_hf = old_hf;
	}
	return rc;
}

int vpmd_rss_hash_conf_get(struct rte_eth_dev *dev, struct rte_eth_rss_conf *conf)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);

	if (!ad->rss_on)
		return -ENOTSUP;
	conf->rss_hf = ad->rss_hf;
	if (conf->rss_key != NULL) {
		if (conf->rss_key_len < ad->rss.key_len)
			return -EINVAL;
		memcpy(conf->rss_key, ad->rss.key, ad->rss.key_len);
	}
	conf->rss_key_len = ad->rss.key_len;
	return 0;
}

int vpmd_reta_update(struct rte_eth_dev *dev, struct rte_eth_rss_reta_entry64 *reta_conf,
		     uint16_t reta_size)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	struct virtio_net_rss old = ad->rss;
	uint16_t i, idx, shift;
	int rc;

	if (!ad->rss_on)
		return -ENOTSUP;
	if (reta_size != ad->rss.reta_len) {
		VPMD_DRV_LOG(ERR, ad->name, "RETA of %u entries: the port's has %u", reta_size,
			     ad->rss.reta_len);
		return -EINVAL;
	}
	for (i = 0; i < reta_size; i++) {
		idx = i / RTE_ETH_RETA_GROUP_SIZE;
		shift = i % RTE_ETH_RETA_GROUP_SIZE;
		if (!(reta_conf[idx].mask & (1ULL << shift)))
			continue;
		if (reta_conf[idx].reta[shift] >= dev->data->nb_rx_queues) {
			ad->rss = old;
			return -EINVAL;
		}
		ad->rss.reta[i] = reta_conf[idx].reta[shift];
	}
	rc = rss_apply(dev);
	if (rc < 0)
		ad->rss = old;
	return rc;
}

int vpmd_reta_query(struct rte_eth_dev *dev, struct rte_eth_rss_reta_entry64 *reta_conf,
		    uint16_t reta_size)
{
	struct vpmd_adapter *ad = vpmd_adapter_of(dev);
	uint16_t i, idx, shift;

	if (!ad->rss_on)
		return -ENOTSUP;
	if (reta_size != ad->rss.reta_len)
		return -EINVAL;
	for (i = 0; i < reta_size; i++) {
		idx = i / RTE_ETH_RETA_GROUP_SIZE;
		shift = i % RTE_ETH_RETA_GROUP_SIZE;
		if (reta_conf[idx].mask & (1ULL << shift))
			reta_conf[idx].reta[shift] = ad->rss.reta[i];
	}
	return 0;
}
