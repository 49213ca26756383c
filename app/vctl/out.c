/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Output: results as JSON or text, errors recorded for main() to print,
 * the getters the text printers use, and the cells rates and durations
 * make in their tables (stats, top, trace).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vctl.h"

int vctl_fail(struct vctl_ctx *ctx, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
	va_end(ap);
	ctx->usage_error = false;
	return rc < 0 ? rc : -EIO;
}

int vctl_usage(struct vctl_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
	va_end(ap);
	ctx->usage_error = true;
	return -EINVAL;
}

void vctl_emit(struct vctl_ctx *ctx, json_t *v, void (*text)(const json_t *v, FILE *f))
{
	if (ctx->json || ctx->pretty) {
		json_dumpf(v, stdout, ctx->pretty ? JSON_INDENT(2) : JSON_COMPACT);
		fputc('\n', stdout);
	} else {
		text(v, stdout);
	}
	/* --watch prints as it goes: a pipe must see each sample. */
	fflush(stdout);
	json_decref(v);
}

void vctl_wrap(FILE *f, const char *text, int indent, int col, int width)
{
	const char *w = text;
	bool line_start = true;
	int at = col;

	while (*w != '\0') {
		int len = (int)strcspn(w, " ");

		if (!line_start && at + 1 + len > width) {
			fprintf(f, "\n%*s", indent, "");
			at = indent;
			line_start = true;
		}
		if (!line_start) {
			fputc(' ', f);
			at++;
		}
		fprintf(f, "%.*s", len, w);
		at += len;
		line_start = false;
		w += len;
		while (*w == ' ')
			w++;
	}
	fputc('\n', f);
}

void vctl_print_usage(const struct vctl_cmd *cmd, FILE *f)
{
	const struct vctl_opt *o;

	fprintf(f, "usage: vctl [GLOBAL OPTIONS] %s%s%s [--help]\n", cmd->name,
		cmd->synopsis[0] ? " " : "", cmd->synopsis);
	fputc('\n', f);
	vctl_wrap(f, cmd->description, 0, 0, 79);
	if (cmd->opts != NULL && cmd->opts[0].name != NULL) {
		fprintf(f, "\noptions:\n");
		for (o = cmd->opts; o->name != NULL; o++) {
			char left[64];

			snprintf(left, sizeof(left), "--%s%s%s", o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
			fprintf(f, "  %-22s ", left);
			vctl_wrap(f, o->help, 25, 25, 79);
		}
	}
	if (cmd->examples != NULL && cmd->examples[0] != NULL) {
		const char *const *e;

		fprintf(f, "\nexamples:\n");
		for (e = cmd->examples; e[0] != NULL && e[1] != NULL; e += 2) {
			fprintf(f, "  %s\n      ", e[0]);
			vctl_wrap(f, e[1], 6, 6, 79);
		}
	}
}

json_int_t jint(const json_t *obj, const char *key)
{
	return json_integer_value(json_object_get(obj, key));
}

const char *jstr(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : "";
}

const json_t *jobj(const json_t *obj, const char *key)
{
	return json_object_get(obj, key);
}

void vctl_fmt_rate(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (v >= 1e9)
		snprintf(buf, len, "%.2fG", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, len, "%.2fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else
		snprintf(buf, len, "%.0f", v);
}

void vctl_fmt_ns(char *buf, size_t len, double ns)
{
	if (isnan(ns))
		snprintf(buf, len, "-");
	else if (ns >= 1e9)
		snprintf(buf, len, "%.2fs", ns / 1e9);
	else if (ns >= 1e6)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else if (ns >= 1e3)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else
		snprintf(buf, len, "%.0fns", ns);
}

double vctl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
