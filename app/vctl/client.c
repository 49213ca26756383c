/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Requests to the application, with errors a person can act on. A null
 * reply says only "no": before asking about a port or a queue, the
 * commands check it against /vpmd/list, and a null that still comes is
 * explained here as well as it can be.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vctl.h"

int vctl_connect(struct vctl_ctx *ctx)
{
	int rc;

	if (ctx->connected)
		return 0;
	rc = tel_open(&ctx->tel, ctx->prefix, "/vpmd/list", ctx->timeout_ms);
	if (rc < 0)
		return vctl_fail(ctx, rc, "%s", ctx->tel.err);
	ctx->connected = true;
	return 0;
}

int vctl_request(struct vctl_ctx *ctx, json_t **out, const char *cmd, const char *fmt, ...)
{
	char params[1024] = "";
	va_list ap;
	json_t *v;
	int rc;

	*out = NULL;
	rc = vctl_connect(ctx);
	if (rc < 0)
		return rc;
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(params, sizeof(params), fmt, ap);
		va_end(ap);
	}
	rc = tel_request(&ctx->tel, cmd, fmt != NULL ? params : NULL, &v);
	if (rc < 0)
		return vctl_fail(ctx, rc, "%s", ctx->tel.err);
	if (json_is_null(v)) {
		json_decref(v);
		if (!tel_has_command(&ctx->tel, cmd))
			return vctl_fail(ctx, -ENOTSUP,
					 "the application '%s' (pid %ld) has no %s telemetry command: net_vpmd is not loaded in it",
					 ctx->tel.prefix, ctx->tel.pid, cmd);
		return vctl_fail(ctx, -ENOENT,
				 "the application '%s' (pid %ld) refused %s%s%s (was the port closed meanwhile?)",
				 ctx->tel.prefix, ctx->tel.pid, cmd, fmt ? "," : "", params);
	}
	if (!json_is_object(v)) {
		json_decref(v);
		return vctl_fail(ctx, -EBADMSG, "%s: the reply to %s is not an object",
				 ctx->tel.path, cmd);
	}
	*out = v;
	return 0;
}

int vctl_request_list(struct vctl_ctx *ctx, json_t **out)
{
	const char *k;
	json_t *v, *ports, *e;
	int rc;

	*out = NULL;
	rc = vctl_request(ctx, &v, "/vpmd/list", NULL);
	if (rc < 0)
		return rc;
	/* Every command starts here: a list of another shape is no list at all. */
	ports = json_object_get(v, "ports");
	if (!json_is_integer(json_object_get(v, "count")) || !json_is_object(ports) ||
	    json_integer_value(json_object_get(v, "count")) != (json_int_t)json_object_size(ports))
		goto bad;
	json_object_foreach(ports, k, e)
		if (!json_is_object(e))
			goto bad;
	*out = v;
	return 0;
bad:
	json_decref(v);
	return vctl_fail(ctx, -EBADMSG,
			 "%s: the reply to /vpmd/list is not a port list ({\"count\": N, \"ports\": "
			 "{N objects}}): not net_vpmd's telemetry",
			 ctx->tel.path);
}

int vctl_port_lookup(struct vctl_ctx *ctx, uint16_t port, json_t **entry)
{
	char key[8], names[256] = "";
	const char *k;
	json_t *list, *ports, *e;
	size_t used = 0;
	int rc;

	*entry = NULL;
	rc = vctl_request_list(ctx, &list);
	if (rc < 0)
		return rc;
	ports = json_object_get(list, "ports");
	snprintf(key, sizeof(key), "%u", port);
	e = json_object_get(ports, key);
	if (json_is_object(e)) {
		*entry = json_incref(e);
		json_decref(list);
		return 0;
	}
	json_object_foreach(ports, k, e)
		if (used < sizeof(names))
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s",
						 used ? ", " : "", k);
	rc = vctl_fail(ctx, -ENODEV, "port %u is not a vpmd port of '%s' (pid %ld): %s%s", port,
		       ctx->tel.prefix, ctx->tel.pid,
		       used ? "its vpmd ports are " : "it has no vpmd port", names);
	json_decref(list);
	return rc;
}
