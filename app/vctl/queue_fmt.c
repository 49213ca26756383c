/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>

#include "queue_fmt.h"
#include "vctl.h"

const char *queue_notify(const json_t *q)
{
	const json_t *n = jobj(q, "notifications");

	if (strcmp(jstr(q, "layout"), "packed") == 0)
		return jstr(jobj(n, "device_event"), "flags");
	return jstr(n, "driver_to_device");
}

static void position(const json_t *q, const char *idx, const char *wrap, char *buf, size_t len)
{
	if (strcmp(jstr(q, "layout"), "packed") == 0)
		snprintf(buf, len, "%lld w%lld", (long long)jint(q, idx), (long long)jint(q, wrap));
	else
		snprintf(buf, len, "%lld", (long long)jint(q, idx));
}

void queue_avail(const json_t *q, char *buf, size_t len)
{
	position(q, "avail_idx", "avail_wrap", buf, len);
}

void queue_used(const json_t *q, char *buf, size_t len)
{
	/* Split: the device's used index; packed: the next slot the driver reads. */
	position(q, "used_idx", "used_wrap", buf, len);
}
