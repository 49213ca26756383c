/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Feature names and negotiation for virtio-net (virtio 1.2, 5.1.3 and 6).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vpmd/virtio_features.h>
#include <vpmd/virtio_spec.h>

static const char *const feature_names[64] = {
	[VIRTIO_NET_F_CSUM] = "CSUM",
	[VIRTIO_NET_F_GUEST_CSUM] = "GUEST_CSUM",
	[VIRTIO_NET_F_CTRL_GUEST_OFFLOADS] = "CTRL_GUEST_OFFLOADS",
	[VIRTIO_NET_F_MTU] = "MTU",
	[VIRTIO_NET_F_MAC] = "MAC",
	[VIRTIO_NET_F_GSO] = "GSO",
	[VIRTIO_NET_F_GUEST_TSO4] = "GUEST_TSO4",
	[VIRTIO_NET_F_GUEST_TSO6] = "GUEST_TSO6",
	[VIRTIO_NET_F_GUEST_ECN] = "GUEST_ECN",
	[VIRTIO_NET_F_GUEST_UFO] = "GUEST_UFO",
	[VIRTIO_NET_F_HOST_TSO4] = "HOST_TSO4",
	[VIRTIO_NET_F_HOST_TSO6] = "HOST_TSO6",
	[VIRTIO_NET_F_HOST_ECN] = "HOST_ECN",
	[VIRTIO_NET_F_HOST_UFO] = "HOST_UFO",
	[VIRTIO_NET_F_MRG_RXBUF] = "MRG_RXBUF",
	[VIRTIO_NET_F_STATUS] = "STATUS",
	[VIRTIO_NET_F_CTRL_VQ] = "CTRL_VQ",
	[VIRTIO_NET_F_CTRL_RX] = "CTRL_RX",
	[VIRTIO_NET_F_CTRL_VLAN] = "CTRL_VLAN",
	[VIRTIO_NET_F_CTRL_RX_EXTRA] = "CTRL_RX_EXTRA",
	[VIRTIO_NET_F_GUEST_ANNOUNCE] = "GUEST_ANNOUNCE",
	[VIRTIO_NET_F_MQ] = "MQ",
	[VIRTIO_NET_F_CTRL_MAC_ADDR] = "CTRL_MAC_ADDR",
	[VIRTIO_F_NOTIFY_ON_EMPTY] = "NOTIFY_ON_EMPTY",
	[VIRTIO_F_ANY_LAYOUT] = "ANY_LAYOUT",
	[VIRTIO_RING_F_INDIRECT_DESC] = "RING_INDIRECT_DESC",
	[VIRTIO_RING_F_EVENT_IDX] = "RING_EVENT_IDX",
	[VIRTIO_F_VERSION_1] = "VERSION_1",
	[VIRTIO_F_ACCESS_PLATFORM] = "ACCESS_PLATFORM",
	[VIRTIO_F_RING_PACKED] = "RING_PACKED",
	[VIRTIO_F_IN_ORDER] = "IN_ORDER",
	[VIRTIO_F_ORDER_PLATFORM] = "ORDER_PLATFORM",
	[VIRTIO_F_SR_IOV] = "SR_IOV",
	[VIRTIO_F_NOTIFICATION_DATA] = "NOTIFICATION_DATA",
	[VIRTIO_F_NOTIF_CONFIG_DATA] = "NOTIF_CONFIG_DATA",
	[VIRTIO_F_RING_RESET] = "RING_RESET",
	[VIRTIO_NET_F_HOST_USO] = "HOST_USO",
	[VIRTIO_NET_F_HASH_REPORT] = "HASH_REPORT",
	[VIRTIO_NET_F_GUEST_HDRLEN] = "GUEST_HDRLEN",
	[VIRTIO_NET_F_RSS] = "RSS",
	[VIRTIO_NET_F_RSC_EXT] = "RSC_EXT",
	[VIRTIO_NET_F_STANDBY] = "STANDBY",
	[VIRTIO_NET_F_SPEED_DUPLEX] = "SPEED_DUPLEX",
};

const char *virtio_feature_name(unsigned int bit)
{
	if (bit >= 64)
		return NULL;
	return feature_names[bit];
}

int virtio_feature_format(unsigned int bit, char *buf, size_t len)
{
	const char *name;

	if (bit >= 64)
		return -EINVAL;
	name = feature_names[bit];
	if (name != NULL)
		return snprintf(buf, len, "%s", name);
	return snprintf(buf, len, "bit_%u", bit);
}

int virtio_feature_lookup(const char *name)
{
	unsigned int bit;
	char *end;

	if (name == NULL)
		return -ENOENT;
	for (bit = 0; bit < 64; bit++)
		if (feature_names[bit] != NULL && strcmp(feature_names[bit], name) == 0)
			return (int)bit;
	if (strncmp(name, "bit_", 4) == 0 && name[4] >= '0' && name[4] <= '9') {
		unsigned long v = strtoul(name + 4, &end, 10);

		if (*end == '\0' && v < 64)
			return (int)v;
	}
	return -ENOENT;
}

json_t *virtio_features_to_json(uint64_t features)
{
	json_t *names = json_array();
	char buf[32];
	unsigned int bit;

	if (names == NULL)
		return NULL;
	for (bit = 0; bit < 64; bit++) {
		if (!(features & VIRTIO_BIT(bit)))
			continue;
		virtio_feature_format(bit, buf, sizeof(buf));
		if (json_array_append_new(names, json_string(buf)) != 0) {
			json_decref(names);
			return NULL;
		}
	}
	return names;
}

/*
 * 5.1.3.1 Feature bit requirements: a bit is only valid with at least one
 * of the bits in @needs_any.
 */
struct feature_dependency {
	unsigned int bit;
	uint64_t needs_any;
};

#define B(x) VIRTIO_BIT(VIRTIO_NET_F_##x)
static const struct feature_dependency dependencies[] = {
	{ VIRTIO_NET_F_GUEST_TSO4, B(GUEST_CSUM) },
	{ VIRTIO_NET_F_GUEST_TSO6, B(GUEST_CSUM) },
	{ VIRTIO_NET_F_GUEST_ECN, B(GUEST_TSO4) | B(GUEST_TSO6) },
	{ VIRTIO_NET_F_GUEST_UFO, B(GUEST_CSUM) },
	{ VIRTIO_NET_F_HOST_TSO4, B(CSUM) },
	{ VIRTIO_NET_F_HOST_TSO6, B(CSUM) },
	{ VIRTIO_NET_F_HOST_ECN, B(HOST_TSO4) | B(HOST_TSO6) },
	{ VIRTIO_NET_F_HOST_UFO, B(CSUM) },
	{ VIRTIO_NET_F_HOST_USO, B(CSUM) },
	{ VIRTIO_NET_F_CTRL_RX, B(CTRL_VQ) },
	{ VIRTIO_NET_F_CTRL_VLAN, B(CTRL_VQ) },
	{ VIRTIO_NET_F_GUEST_ANNOUNCE, B(CTRL_VQ) },
	{ VIRTIO_NET_F_MQ, B(CTRL_VQ) },
	{ VIRTIO_NET_F_CTRL_MAC_ADDR, B(CTRL_VQ) },
	{ VIRTIO_NET_F_CTRL_GUEST_OFFLOADS, B(CTRL_VQ) },
	{ VIRTIO_NET_F_CTRL_RX_EXTRA, B(CTRL_RX) },
	{ VIRTIO_NET_F_RSS, B(CTRL_VQ) },
	{ VIRTIO_NET_F_HASH_REPORT, B(CTRL_VQ) },
	{ VIRTIO_NET_F_RSC_EXT, B(HOST_TSO4) | B(HOST_TSO6) },
};
#undef B

int virtio_features_negotiate(uint64_t offered, uint64_t supported, uint64_t required,
			      struct virtio_negotiation *out)
{
	uint64_t set = offered & supported;
	bool changed;
	size_t i;

	/* Dropping one bit can orphan another (HOST_ECN after HOST_TSO4): repeat. */
	do {
		changed = false;
		for (i = 0; i < sizeof(dependencies) / sizeof(dependencies[0]); i++) {
			uint64_t bit = VIRTIO_BIT(dependencies[i].bit);

			if ((set & bit) && !(set & dependencies[i].needs_any)) {
				set &= ~bit;
				changed = true;
			}
		}
	} while (changed);

	out->offered = offered;
	out->driver = supported;
	out->negotiated = set;
	out->dropped = (offered & supported) & ~set;
	if ((set & required) != required)
		return -ENOTSUP;
	return 0;
}
