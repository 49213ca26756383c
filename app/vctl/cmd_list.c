/* SPDX-License-Identifier: BSD-3-Clause */
/* vctl list: the application's vpmd ports. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "cmds.h"

static const char *state_of(const json_t *p)
{
	if (jint(p, "running"))
		return "running";
	return jint(p, "started") ? "started (rings down)" : "stopped";
}

static void list_text(const json_t *v, FILE *f)
{
	static const char *const head[] = { "PORT", "NAME",  "STATE", "LINK",
					    "LAYOUT", "MODE", "QUEUES", "PATH" };
	struct table *t = table_new(8, head);
	const char *k;
	json_t *p;

	fprintf(f, "application '%s' (pid %lld): %lld vpmd port%s\n", jstr(v, "prefix"),
		(long long)jint(v, "pid"), (long long)jint(v, "count"), jint(v, "count") == 1 ? "" : "s");
	json_object_foreach((json_t *)jobj(v, "ports"), k, p)
		table_addf(t, "%s\t%s\t%s\t%s\t%s\t%s\t%lld\t%s", k, jstr(p, "name"), state_of(p),
			   jstr(p, "link"), jstr(p, "layout"), jstr(p, "mode"),
			   (long long)jint(p, "queues"), jstr(p, "path"));
	if (jint(v, "count") > 0)
		table_print(t, f);
	table_free(t);
}

static int run(struct vctl_ctx *ctx, int argc, char **argv)
{
	json_t *v;
	int rc;

	rc = vctl_plain_args(ctx, argc, argv);
	if (rc != 0)
		return rc == VCTL_HELP ? 0 : rc;
	if (optind < argc)
		return vctl_usage(ctx, "list takes no arguments ('%s')", argv[optind]);
	rc = vctl_request_list(ctx, &v);
	if (rc < 0)
		return rc;
	json_object_set_new(v, "prefix", json_string(ctx->tel.prefix));
	json_object_set_new(v, "pid", json_integer(ctx->tel.pid));
	vctl_emit(ctx, v, list_text);
	return 0;
}

static const char *const examples[] = {
	"vctl list", "the ports of the only application running",
	"vctl --prefix vu list -j", "the same as JSON, from the application started with --file-prefix=vu",
	NULL,
};

const struct vctl_cmd vctl_cmd_list = {
	.name = "list",
	.run = run,
	.synopsis = "",
	.summary = "list the application's vpmd ports",
	.description =
		"Lists the vpmd ports of the application: port id, device name, state (running: "
		"the datapath uses the rings; started (rings down): the backend is away; "
		"stopped), link, ring layout, vhost-user mode, queue pairs and socket path.",
	.examples = examples,
};
