/* SPDX-License-Identifier: BSD-3-Clause */
/* vctl features: what the device offered, what the driver asked, what was agreed. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "cmds.h"

static void features_text(const json_t *v, FILE *f)
{
	static const char *const head[] = { "BIT", "NAME", "OFFERED", "DRIVER", "NEGOTIATED" };
	const json_t *sets = jobj(v, "sets"), *bits = jobj(v, "bits");
	const json_t *bit = jobj(bits, "bit"), *name = jobj(bits, "name");
	const json_t *o = jobj(bits, "offered"), *d = jobj(bits, "driver"),
		     *n = jobj(bits, "negotiated");
	struct table *t = table_new(5, head);
	size_t i;

	fprintf(f, "port %lld (%s)\n", (long long)jint(v, "port"), jstr(v, "name"));
	fprintf(f, "  offered     %s\n", jstr(jobj(sets, "offered"), "raw"));
	fprintf(f, "  driver      %s\n", jstr(jobj(sets, "driver"), "raw"));
	fprintf(f, "  negotiated  %s\n", jstr(jobj(sets, "negotiated"), "raw"));
	for (i = 0; i < json_array_size(bit); i++)
		table_addf(t, "%lld\t%s\t%s\t%s\t%s",
			   (long long)json_integer_value(json_array_get(bit, i)),
			   json_string_value(json_array_get(name, i)),
			   json_integer_value(json_array_get(o, i)) ? "yes" : "-",
			   json_integer_value(json_array_get(d, i)) ? "yes" : "-",
			   json_integer_value(json_array_get(n, i)) ? "yes" : "-");
	table_print(t, f);
	table_free(t);
}

static int run(struct vctl_ctx *ctx, int argc, char **argv)
{
	uint16_t port;
	json_t *v;
	int rc;

	rc = vctl_port_arg(ctx, argc, argv, &port);
	if (rc != 0)
		return rc == VCTL_HELP ? 0 : rc;
	rc = vctl_request(ctx, &v, "/vpmd/features", "%u", port);
	if (rc < 0)
		return rc;
	vctl_emit(ctx, v, features_text);
	return 0;
}

static const char *const examples[] = {
	"vctl features 0", "feature bits of port 0, side by side",
	"vctl features 0 -j", "the same as JSON: the three sets raw and by name, and the bits",
	NULL,
};

const struct vctl_cmd vctl_cmd_features = {
	.name = "features",
	.run = run,
	.synopsis = "PORT",
	.summary = "show offered, driver and negotiated feature bits",
	.description =
		"Shows the virtio feature bits of a port: those the device offered, those the "
		"driver asked for, and those negotiated (accepted with FEATURES_OK), by bit and by "
		"name (bit_N for a bit with no name).",
	.args = { VCTL_ARG_PORT },
	.examples = examples,
};
