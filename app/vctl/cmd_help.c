/* SPDX-License-Identifier: BSD-3-Clause */
/* vctl help [COMMAND]: the same as vctl --help, or vctl COMMAND --help. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "cmds.h"

static int run(struct vctl_ctx *ctx, int argc, char **argv)
{
	const struct vctl_cmd *const *c;
	json_t *list;
	int rc;

	rc = vctl_plain_args(ctx, argc, argv);
	if (rc != 0)
		return rc == VCTL_HELP ? 0 : rc;
	if (argc - optind > 1)
		return vctl_usage(ctx, "help takes at most one argument: COMMAND");
	if (argc - optind == 1) {
		const struct vctl_cmd *cmd = vctl_cmd_find(argv[optind]);

		if (cmd == NULL)
			return vctl_usage(ctx, "unknown command '%s'", argv[optind]);
		ctx->cmd = cmd;
		return vctl_help(ctx);
	}
	if (!ctx->json && !ctx->pretty) {
		vctl_print_global_usage(stdout);
		return 0;
	}
	list = json_array();
	for (c = vctl_commands; *c != NULL; c++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "name", (*c)->name,
						      "synopsis", (*c)->synopsis, "summary",
						      (*c)->summary));
	vctl_emit(ctx, json_pack("{s:o}", "commands", list), NULL);
	return 0;
}

static const char *const examples[] = {
	"vctl help ring", "how to use vctl ring",
	NULL,
};

const struct vctl_cmd vctl_cmd_help = {
	.name = "help",
	.run = run,
	.synopsis = "[COMMAND]",
	.summary = "show help: of vctl, or of one command",
	.description = "Shows the commands and the global options, or the usage of COMMAND: its "
		       "arguments, options and examples. Under -j, as JSON.",
	.args = { VCTL_ARG_COMMAND },
	.examples = examples,
};
