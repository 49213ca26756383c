/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_vpmd devargs: every key validated; an unknown or malformed one fails
 * the probe with one log line that names it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_kvargs.h>

#include <vpmd/virtio_spec.h>

#include "vpmd_devargs.h"
#include "vpmd_logs.h"

static const char *const valid_keys[] = {
	"path", "server", "queues", "queue_size", "packed_vq", "mrg_rxbuf",
	"in_order", "event_idx", "mac", "mtu", "speed", "ctrl_vq", NULL,
};

/* A key that exists but does not apply to the device's bus. */
#define VPMD_NO_KEY (~0u)

struct parse_ctx {
	const char *name;
	struct vpmd_devargs *out;
};

static int parse_uint(const char *key, const char *value, unsigned long min, unsigned long max,
		      unsigned long *out)
{
	unsigned long v;
	char *end;

	/*
	 * Decimal digits only: strtoul's base 0 would read "mtu=01500" as
	 * octal 832 and take " 2" or "+2" too, all without a word.
	 */
	if (value == NULL || value[strspn(value, "0123456789")] != '\0' || *value == '\0')
		return -EINVAL;
	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -EINVAL;
	(void)key;
	*out = v;
	return 0;
}

static int parse_bool(const char *value, bool *out)
{
	if (value != NULL && strcmp(value, "1") == 0)
		*out = true;
	else if (value != NULL && strcmp(value, "0") == 0)
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int handle_key(const char *key, const char *value, void *opaque)
{
	struct parse_ctx *ctx = opaque;
	struct vpmd_devargs *a = ctx->out;
	unsigned long v;
	int rc = 0;

	if (strcmp(key, "path") == 0) {
		if (value == NULL || *value == '\0' || strlen(value) >= sizeof(a->path))
			rc = -EINVAL;
		else
			snprintf(a->path, sizeof(a->path), "%s", value);
	} else if (strcmp(key, "server") == 0) {
		rc = parse_bool(value, &a->server);
	} else if (strcmp(key, "queues") == 0) {
		rc = parse_uint(key, value, 1, 128, &v);
		a->queues = (uint16_t)v;
		a->queues_set = rc == 0;
	} else if (strcmp(key, "queue_size") == 0) {
		rc = parse_uint(key, value, 64, VIRTQ_MAX_SIZE, &v);
		a->queue_size = (uint16_t)v;
	} else if (strcmp(key, "packed_vq") == 0) {
		rc = parse_bool(value, &a->packed_vq);
	} else if (strcmp(key, "mrg_rxbuf") == 0) {
		rc = parse_bool(value, &a->mrg_rxbuf);
	} else if (strcmp(key, "in_order") == 0) {
		rc = parse_bool(value, &a->in_order);
	} else if (strcmp(key, "event_idx") == 0) {
		rc = parse_bool(value, &a->event_idx);
	} else if (strcmp(key, "ctrl_vq") == 0) {
		rc = parse_bool(value, &a->ctrl_vq);
	} else if (strcmp(key, "mac") == 0) {
		rc = value != NULL ? rte_ether_unformat_addr(value, &a->mac) : -EINVAL;
		if (rc == 0 && (rte_is_multicast_ether_addr(&a->mac) ||
				rte_is_zero_ether_addr(&a->mac)))
			rc = -EINVAL;
		a->mac_set = rc == 0;
	} else if (strcmp(key, "mtu") == 0) {
		rc = parse_uint(key, value, RTE_ETHER_MIN_MTU, UINT16_MAX, &v);
		a->mtu = (uint16_t)v;
	} else if (strcmp(key, "speed") == 0) {
		rc = parse_uint(key, value, 1, UINT32_MAX, &v);
		a->speed = (uint32_t)v;
	}
	if (rc != 0) {
		VPMD_INIT_LOG(ERR, "%s: invalid devarg %s=%s", ctx->name, key,
			      value != NULL ? value : "");
		return -EINVAL;
	}
	return 0;
}

int vpmd_devargs_parse(const char *name, const char *args, enum vpmd_devargs_kind kind,
		       struct vpmd_devargs *out)
{
	struct parse_ctx ctx = { .name = name, .out = out };
	struct rte_kvargs *kv = NULL;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->queues = 1;
	out->queue_size = 1024;
	out->mrg_rxbuf = true;
	out->event_idx = false;
	out->ctrl_vq = true;
	out->speed = 10000;

	if (args != NULL && *args != '\0') {
		/* Check the keys ourselves, so the message names the bad one. */
		kv = rte_kvargs_parse(args, NULL);
		if (kv == NULL) {
			VPMD_INIT_LOG(ERR, "%s: malformed devargs '%s'", name, args);
			rc = -EINVAL;
			goto out;
		}
		for (unsigned int i = 0; i < kv->count; i++) {
			const char *key = kv->pairs[i].key;
			unsigned int k;

			for (k = 0; valid_keys[k] != NULL; k++)
				if (strcmp(valid_keys[k], key) == 0)
					break;
			if (valid_keys[k] != NULL && kind == VPMD_DEVARGS_PCI &&
			    (strcmp(key, "path") == 0 || strcmp(key, "server") == 0))
				k = VPMD_NO_KEY;
			if (k == VPMD_NO_KEY || valid_keys[k] == NULL) {
				VPMD_INIT_LOG(ERR, "%s: unknown devarg '%s' (known: %s)", name, key,
					      kind == VPMD_DEVARGS_PCI ? VPMD_PCI_DEVARGS_LIST
								     : VPMD_DEVARGS_LIST);
				rc = -EINVAL;
				goto out;
			}
			/*
			 * kvargs hands every pair to the handler, so the last of
			 * two would win unseen ("path=a,...,path=b"): refuse it.
			 */
			for (unsigned int j = 0; j < i; j++) {
				if (strcmp(kv->pairs[j].key, key) == 0) {
					VPMD_INIT_LOG(ERR, "%s: devarg '%s' given twice", name, key);
					rc = -EINVAL;
					goto out;
				}
			}
		}
		if (rte_kvargs_process(kv, NULL, handle_key, &ctx) < 0) {
			rc = -EINVAL;
			goto out;
		}
	}
	if (kind == VPMD_DEVARGS_VHOST_USER && out->path[0] == '\0') {
		VPMD_INIT_LOG(ERR, "%s: devarg 'path' (the vhost-user socket) is required", name);
		rc = -EINVAL;
		goto out;
	}
	if (!out->packed_vq && (out->queue_size & (out->queue_size - 1))) {
		VPMD_INIT_LOG(ERR, "%s: invalid devarg queue_size=%u: split rings need a power of two",
			      name, out->queue_size);
		rc = -EINVAL;
	}
out:
	rte_kvargs_free(kv);
	return rc;
}
