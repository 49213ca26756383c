/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A jansson tree as a DPDK 22.11 telemetry reply.
 *
 * lib/ renders the device and its queues with jansson; telemetry 22.11
 * carries less than JSON, and drops what overflows its 16 KiB reply
 * without a word. These helpers reshape a tree into what telemetry can
 * carry, measure it, and refuse it whole rather than let telemetry cut it.
 *
 * The shape (what vctl and any other telemetry client sees):
 * - booleans become 0 and 1; null members are left out;
 * - an array of objects becomes an object keyed "0", "1", ... (22.11 has
 *   no arrays of dicts); vpmd_tel_columns() gives the columnar alternative;
 * - key characters other than [A-Za-z0-9_/] become '_'; strings are cut
 *   to 127 bytes (telemetry's own limit).
 * Dicts of more than 256 entries, arrays of more than 512, arrays of
 * arrays and arrays mixing kinds are refused (E2BIG, ENOTSUP).
 */
#ifndef VPMD_TEL_JSON_H
#define VPMD_TEL_JSON_H

#include <stddef.h>

#include <jansson.h>
#include <rte_telemetry.h>

/* What a reply may take: telemetry's 16 KiB less the {"cmd": } around it. */
#define VPMD_TEL_REPLY_MAX (16384 - 128)

/**
 * Rows (an array of objects with the same keys) as columns: an object with
 * one array per key, in row order. A cell that is an array of strings
 * becomes one string joined with '|'. Returns a new reference, or NULL
 * with errno set (EINVAL: not rows of one shape; ENOMEM).
 */
json_t *vpmd_tel_columns(const json_t *rows);

/**
 * Fill @d, a fresh reply, with the object @obj reshaped as above, if its
 * rendering fits in @budget bytes. Returns 0; -EMSGSIZE when it does not
 * fit (the caller may ask for less); -E2BIG, -ENOTSUP for a tree
 * telemetry cannot carry; -ENOMEM. On error @d is untouched.
 */
int vpmd_tel_reply(struct rte_tel_data *d, const json_t *obj, size_t budget);

#endif /* VPMD_TEL_JSON_H */
