/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Feature bits by name, and the negotiation helper.
 *
 * Every output of vpmd (logs, telemetry, vctl) names feature bits through
 * this one table so that they cannot disagree. Unknown bits print as
 * "bit_N" rather than being hidden.
 */
#ifndef VPMD_VIRTIO_FEATURES_H
#define VPMD_VIRTIO_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/**
 * Name of a feature bit ("VERSION_1", "MRG_RXBUF", ...), or NULL when the
 * bit has no name in the virtio-net 1.2 table. @bit must be < 64.
 */
const char *virtio_feature_name(unsigned int bit);

/**
 * Write the name of @bit, or "bit_N" when it has none, into @buf.
 * Returns the length written (as snprintf), or -EINVAL for bit >= 64.
 */
int virtio_feature_format(unsigned int bit, char *buf, size_t len);

/**
 * Bit number for a name as printed by virtio_feature_format() ("bit_N"
 * included). Returns the bit, or -ENOENT.
 */
int virtio_feature_lookup(const char *name);

/**
 * A JSON array of the names of the bits set in @features, lowest first.
 * Returns a new reference, or NULL on allocation failure.
 */
json_t *virtio_features_to_json(uint64_t features);

/** Outcome of virtio_features_negotiate(). */
struct virtio_negotiation {
	uint64_t offered;    /* what the device offered */
	uint64_t driver;     /* what the driver asked for (its supported set) */
	uint64_t negotiated; /* the set the driver will write back */
	uint64_t dropped;    /* offered & asked, but dropped for a missing dependency */
};

/**
 * Compute the feature set to accept: the intersection of @offered and
 * @supported, less any bit whose dependency (virtio 1.2, 5.1.3.1: e.g.
 * CTRL_RX needs CTRL_VQ, GUEST_TSO4 needs GUEST_CSUM) is not in the set.
 *
 * Returns 0 and fills @out; -ENOTSUP when a bit of @required is missing
 * from the result (out is still filled, so the caller can say which).
 */
int virtio_features_negotiate(uint64_t offered, uint64_t supported, uint64_t required,
			      struct virtio_negotiation *out);

#endif /* VPMD_VIRTIO_FEATURES_H */
