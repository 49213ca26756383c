/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vctl: look into a running DPDK application's vpmd ports through its
 * telemetry socket. Global options, the command, and the exit code:
 * 0 done, 1 the application or the system said no, 2 the command line
 * was wrong. Under -j (or -p) every outcome is one JSON document on
 * stdout, errors included.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vctl.h"

#ifndef VCTL_VERSION
#define VCTL_VERSION "unknown"
#endif

#define DEFAULT_TIMEOUT_MS 5000

enum {
	OPT_PREFIX = VCTL_OPT_PREFIX,
	OPT_TIMEOUT,
	OPT_GEN_MAN,
	OPT_GEN_COMPLETION,
};

const struct vctl_opt vctl_global_opts[] = {
	{ "json", 'j', NULL, "print JSON: one document per result, errors included" },
	{ "pretty", 'p', NULL, "print indented JSON (implies -j)" },
	{ "prefix", OPT_PREFIX, "NAME",
	  "the application's DPDK file prefix (--file-prefix); default: the only one running, "
	  "or the only one with vpmd's telemetry commands" },
	{ "timeout", OPT_TIMEOUT, "MS", "wait this long for each reply (default 5000)" },
	{ "help", 'h', NULL, "show help: of vctl, or of the command it follows" },
	{ "version", 'V', NULL, "show vctl's version" },
	{ NULL, 0, NULL, NULL },
};

/* 0: a global option, applied; 1: not a global option; <0: bad value. */
int vctl_global_apply(struct vctl_ctx *ctx, int key, const char *arg);
int vctl_global_apply(struct vctl_ctx *ctx, int key, const char *arg)
{
	uint32_t ms;

	switch (key) {
	case 'j':
		ctx->json = true;
		return 0;
	case 'p':
		ctx->pretty = true;
		return 0;
	case OPT_PREFIX:
		if (arg[0] == '\0' || strchr(arg, '/') != NULL)
			return vctl_usage(ctx, "--prefix '%s': a file prefix is a name, not a path",
					  arg);
		ctx->prefix = arg;
		return 0;
	case OPT_TIMEOUT:
		if (vctl_parse_u32(ctx, "--timeout", arg, &ms) < 0)
			return -EINVAL;
		if (ms == 0 || ms > 3600 * 1000)
			return vctl_usage(ctx, "--timeout %s: expected 1 to 3600000 ms", arg);
		ctx->timeout_ms = (int)ms;
		return 0;
	default:
		return 1;
	}
}

void vctl_print_global_usage(FILE *f)
{
	const struct vctl_cmd *const *c;
	const struct vctl_opt *o;

	fprintf(f, "usage: vctl [GLOBAL OPTIONS] COMMAND [ARGS] [--help]\n\n"
		   "Shows what net_vpmd and its rings are doing in a running DPDK application,\n"
		   "through the application's telemetry socket.\n\ncommands:\n");
	for (c = vctl_commands; *c != NULL; c++)
		fprintf(f, "  %-10s %s\n", (*c)->name, (*c)->summary);
	fprintf(f, "\nglobal options:\n");
	for (o = vctl_global_opts; o->name != NULL; o++) {
		char left[64];

		if (o->key < 0x100)
			snprintf(left, sizeof(left), "-%c, --%s", o->key, o->name);
		else
			snprintf(left, sizeof(left), "    --%s %s", o->name, o->arg);
		fprintf(f, "  %-20s ", left);
		vctl_wrap(f, o->help, 23, 23, 79);
	}
	fprintf(f, "\nexit status: 0 ok, 1 runtime error, 2 usage error. See vctl(1).\n");
}

/* -j and -p anywhere on the line hold from the start: an early error is JSON too. */
static void prescan_json(struct vctl_ctx *ctx, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--json") == 0)
			ctx->json = true;
		else if (strcmp(argv[i], "--pretty") == 0)
			ctx->pretty = true;
		else if (argv[i][0] == '-' && argv[i][1] != '-' &&
			 strspn(argv[i] + 1, "jph") == strlen(argv[i] + 1)) {
			ctx->json |= strchr(argv[i], 'j') != NULL;
			ctx->pretty |= strchr(argv[i], 'p') != NULL;
		}
	}
}

static int finish(struct vctl_ctx *ctx, int rc)
{
	int code = rc >= 0 ? VCTL_EXIT_OK : ctx->usage_error ? VCTL_EXIT_USAGE : VCTL_EXIT_RUNTIME;

	if (rc < 0) {
		if (ctx->json || ctx->pretty) {
			json_t *e = json_pack("{s:s, s:i}", "error", ctx->err, "exit_code", code);

			if (ctx->cmd != NULL)
				json_object_set_new(e, "command", json_string(ctx->cmd->name));
			json_dumpf(e, stdout, ctx->pretty ? JSON_INDENT(2) : JSON_COMPACT);
			fputc('\n', stdout);
			json_decref(e);
		} else {
			fprintf(stderr, "vctl: %s\n", ctx->err);
			if (ctx->usage_error)
				fprintf(stderr, "try 'vctl %s%s--help'\n",
					ctx->cmd != NULL ? ctx->cmd->name : "", ctx->cmd != NULL ? " " : "");
		}
	}
	if (ctx->connected)
		tel_close(&ctx->tel);
	fflush(stdout);
	return code;
}

int main(int argc, char **argv)
{
	struct vctl_ctx ctx = { .timeout_ms = DEFAULT_TIMEOUT_MS };
	struct option longopts[16];
	const struct vctl_opt *o;
	int n = 0, key, rc;

	prescan_json(&ctx, argc, argv);
	memset(longopts, 0, sizeof(longopts));
	for (o = vctl_global_opts; o->name != NULL; o++)
		longopts[n++] = (struct option){ o->name, o->arg ? required_argument : no_argument,
						 NULL, o->key };
	longopts[n++] = (struct option){ "gen-man", no_argument, NULL, OPT_GEN_MAN };
	longopts[n++] = (struct option){ "gen-completion", no_argument, NULL, OPT_GEN_COMPLETION };

	opterr = 0;
	/* "+": stop at the command; its own arguments are its business. */
	while ((key = getopt_long(argc, argv, "+:jphV", longopts, NULL)) != -1) {
		switch (key) {
		case 'h':
			if (ctx.json || ctx.pretty)
				return finish(&ctx, vctl_fail(&ctx, -EINVAL, "%s",
							      "vctl --help has no JSON form: see vctl COMMAND --help -j"));
			vctl_print_global_usage(stdout);
			return VCTL_EXIT_OK;
		case 'V':
			if (ctx.json || ctx.pretty)
				vctl_emit(&ctx, json_pack("{s:s}", "version", VCTL_VERSION), NULL);
			else
				printf("vctl %s\n", VCTL_VERSION);
			return VCTL_EXIT_OK;
		case OPT_GEN_MAN:
			vctl_gen_man(stdout);
			return VCTL_EXIT_OK;
		case OPT_GEN_COMPLETION:
			vctl_gen_completion(stdout);
			return VCTL_EXIT_OK;
		case '?':
			if (optopt != 0)
				return finish(&ctx, vctl_usage(&ctx, "unknown option -%c", optopt));
			return finish(&ctx, vctl_usage(&ctx, "unknown option %s", argv[optind - 1]));
		case ':':
			return finish(&ctx, vctl_usage(&ctx, "option %s needs an argument",
						       argv[optind - 1]));
		default:
			rc = vctl_global_apply(&ctx, key, optarg);
			if (rc < 0)
				return finish(&ctx, rc);
		}
	}
	if (optind >= argc) {
		if (ctx.json || ctx.pretty)
			return finish(&ctx, vctl_usage(&ctx, "no command given"));
		vctl_print_global_usage(stderr);
		return VCTL_EXIT_USAGE;
	}
	ctx.cmd = vctl_cmd_find(argv[optind]);
	if (ctx.cmd == NULL)
		return finish(&ctx, vctl_usage(&ctx, "unknown command '%s'", argv[optind]));
	argc -= optind;
	argv += optind;
	optind = 0; /* glibc: start over for the command's own options */
	return finish(&ctx, ctx.cmd->run(&ctx, argc, argv));
}
