/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Parsing a command's arguments. Every command takes its own options, the
 * global ones (-j, -p, --prefix, --timeout: so "vctl status 0 -j" works
 * as "vctl -j status 0" does) and --help, in any order among its
 * positional arguments. Every error is a usage error (exit 2).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vctl.h"

#define OPTS_MAX 32

/* Global options the commands accept too: -j, -p, --prefix, --timeout. */
int vctl_global_apply(struct vctl_ctx *ctx, int key, const char *arg);

int vctl_getopt(struct vctl_ctx *ctx, int argc, char **argv, char **arg)
{
	struct option longopts[OPTS_MAX + 1];
	char shortopts[8 + 2 * OPTS_MAX] = ":jph";
	size_t ns = strlen(shortopts);
	const struct vctl_opt *o;
	int n = 0, key, idx = -1, rc;

	memset(longopts, 0, sizeof(longopts));
	for (o = vctl_global_opts; o->name != NULL && n < OPTS_MAX; o++)
		if (o->key != 'V')
			longopts[n++] = (struct option){ o->name, o->arg ? required_argument
								     : no_argument, NULL, o->key };
	for (o = ctx->cmd->opts; o != NULL && o->name != NULL && n < OPTS_MAX; o++) {
		longopts[n++] = (struct option){ o->name, o->arg ? required_argument : no_argument,
						 NULL, o->key };
		/* A one-letter key is a short option too: help and the man page say -KEY. */
		if (o->key > 0 && o->key < 0x100 && strchr(shortopts, o->key) == NULL) {
			shortopts[ns++] = (char)o->key;
			if (o->arg != NULL)
				shortopts[ns++] = ':';
		}
	}

	for (;;) {
		opterr = 0;
		key = getopt_long(argc, argv, shortopts, longopts, &idx);
		switch (key) {
		case -1:
			return -1;
		case '?':
			if (optopt != 0)
				return vctl_usage(ctx, "unknown option -%c", optopt);
			return vctl_usage(ctx, "unknown option %s", argv[optind - 1]);
		case ':':
			return vctl_usage(ctx, "option %s needs an argument", argv[optind - 1]);
		case 'h':
			return VCTL_HELP;
		default:
			break;
		}
		rc = vctl_global_apply(ctx, key, optarg);
		if (rc < 0)
			return rc;
		if (rc == 0)
			continue; /* a global option, done */
		*arg = optarg;
		return key;
	}
}

/* A decimal number, all of it: "1x", "-1", " 1" and "" are refused. */
static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (s == NULL || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || *out > max)
		return -ERANGE;
	return 0;
}

int vctl_parse_u16(struct vctl_ctx *ctx, const char *what, const char *s, uint16_t *out)
{
	unsigned long v;

	if (parse_ulong(s, UINT16_MAX, &v) < 0)
		return vctl_usage(ctx, "%s '%s': expected a number from 0 to %u", what, s ? s : "",
				  UINT16_MAX);
	*out = (uint16_t)v;
	return 0;
}

int vctl_parse_u32(struct vctl_ctx *ctx, const char *what, const char *s, uint32_t *out)
{
	unsigned long v;

	if (parse_ulong(s, UINT32_MAX, &v) < 0)
		return vctl_usage(ctx, "%s '%s': expected a number", what, s ? s : "");
	*out = (uint32_t)v;
	return 0;
}

int vctl_parse_dir(struct vctl_ctx *ctx, const char *s, bool *rx)
{
	if (strcmp(s, "rx") == 0 || strcmp(s, "tx") == 0) {
		*rx = s[0] == 'r';
		return 0;
	}
	return vctl_usage(ctx, "direction '%s': expected rx or tx", s);
}

int vctl_help(struct vctl_ctx *ctx)
{
	if (ctx->json || ctx->pretty) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		if (f == NULL)
			return vctl_fail(ctx, -ENOMEM, "out of memory");
		vctl_print_usage(ctx->cmd, f);
		fclose(f);
		vctl_emit(ctx, json_pack("{s:s, s:s, s:s}", "command", ctx->cmd->name, "summary",
					 ctx->cmd->summary, "usage", buf),
			  NULL);
		free(buf);
	} else {
		vctl_print_usage(ctx->cmd, stdout);
	}
	return 0;
}

int vctl_plain_args(struct vctl_ctx *ctx, int argc, char **argv)
{
	char *arg;
	int key;

	while ((key = vctl_getopt(ctx, argc, argv, &arg)) != -1) {
		if (key == VCTL_HELP)
			return vctl_help(ctx) < 0 ? -EIO : VCTL_HELP;
		if (key < 0)
			return key;
		/* A command without options of its own gets only global ones. */
	}
	return 0;
}

int vctl_port_check(struct vctl_ctx *ctx, const char *s, uint16_t *port, json_t **entry)
{
	json_t *e;
	int rc;

	if (vctl_parse_u16(ctx, "port", s, port) < 0)
		return -EINVAL;
	rc = vctl_port_lookup(ctx, *port, &e);
	if (rc < 0)
		return rc;
	if (entry != NULL)
		*entry = e;
	else
		json_decref(e);
	return 0;
}

int vctl_port_arg(struct vctl_ctx *ctx, int argc, char **argv, uint16_t *port)
{
	int rc = vctl_plain_args(ctx, argc, argv);

	if (rc != 0)
		return rc;
	if (argc - optind != 1)
		return vctl_usage(ctx, "%s takes one argument: PORT", ctx->cmd->name);
	return vctl_port_check(ctx, argv[optind], port, NULL);
}
