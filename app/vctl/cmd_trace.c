/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vctl trace: its entry in the command table, and its options parsed
 * from that table as every command's are (vctl_getopt). The tracing
 * itself, a libbpf loader, is trace_run() (trace_*.c).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "cmds.h"
#include "trace.h"

/*
 * trace's options, once: X(id, key, name, argument, help). The table
 * vctl_getopt parses (and help, the man page and the completion show)
 * and the keys apply() handles are both made from this list, so neither
 * can have an option the other lacks: a key without its case is an error
 * (-Wswitch, made one below), a case for an option not listed does not
 * compile. --prefix and -j are vctl's global options, listed for what
 * they mean to trace, with the global keys: vctl_getopt applies them.
 * Keys from 0x200: 0x100 and up are the global options' own.
 */
#define TRACE_OPTIONS(X)                                                                        \
	X(OPT_PID, 0x200, "pid", "PID",                                                         \
	  "the process to trace (default: the only running DPDK primary, or the only one "    \
	  "with net_vpmd loaded)")                                                              \
	X(OPT_PREFIX, VCTL_OPT_PREFIX, "prefix", "NAME",                                        \
	  "the process by its EAL --file-prefix (also vctl's global --prefix)")                 \
	X(OPT_PORT, 0x201, "port", "N", "only ethdev port N")                                   \
	X(OPT_QUEUE, 0x202, "queue", "Q", "only queue pair Q (virtqueues 2Q and 2Q+1)")         \
	X(OPT_INTERVAL, 0x203, "interval", "S", "seconds between two reports (default 1)")      \
	X(OPT_DURATION, 0x204, "duration", "S", "detach after S seconds (default: at Ctrl-C)") \
	X(OPT_EVENTS, 0x205, "events", NULL,                                                    \
	  "also stream every probe hit (ring buffer); samples every burst (--sample 1)")       \
	X(OPT_SAMPLE, 0x206, "sample", "N",                                                     \
	  "latency and histograms from 1 active burst in N per queue, 1 to 65536 (default: "   \
	  "the process's, 128 unless set); counts are exact at any N")                          \
	X(OPT_JSON, 'j', "json", NULL, "JSON lines instead of tables (-p: indented)")           \
	X(OPT_VERBOSE, 'v', "verbose", NULL, "libbpf's own messages")

#define TRACE_OPT_KEY(id, key, name, arg, help) id = (key),
enum trace_opt_key { TRACE_OPTIONS(TRACE_OPT_KEY) };
#undef TRACE_OPT_KEY

#define TRACE_OPT_ENTRY(id, key, name, arg, help) { name, id, arg, help },
static const struct vctl_opt opts[] = {
	TRACE_OPTIONS(TRACE_OPT_ENTRY)
	{ NULL, 0, NULL, NULL },
};
#undef TRACE_OPT_ENTRY

/* A whole number from 0 to @max, as strtol reads it. */
static int parse_uint(const char *s, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Seconds: more than 0, at most 1e7 (115 days), fractions allowed. */
static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v <= 0 || v > 1e7)
		return -EINVAL;
	*out = v;
	return 0;
}

static int bad_value(struct vctl_ctx *ctx, const char *name, const char *arg, const char *want)
{
	return vctl_usage(ctx, "invalid value '%s' for --%s: expected %s", arg, name, want);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic error "-Wswitch"
/* One option from the table into @o; 0 or a usage error. */
static int apply(struct vctl_ctx *ctx, struct trace_opts *o, int key, const char *arg)
{
	long v;

	switch ((enum trace_opt_key)key) {
	case OPT_PID:
		if (parse_uint(arg, INT32_MAX, &v) < 0 || v == 0)
			return bad_value(ctx, "pid", arg, "a process id");
		o->pid = (pid_t)v;
		return 0;
	case OPT_PORT:
		if (parse_uint(arg, UINT16_MAX, &v) < 0)
			return bad_value(ctx, "port", arg, "a port from 0 to 65535");
		o->port = (int)v;
		return 0;
	case OPT_QUEUE:
		if (parse_uint(arg, UINT16_MAX / 2, &v) < 0)
			return bad_value(ctx, "queue", arg, "a queue pair from 0 to 32767");
		o->queue = (int)v;
		return 0;
	case OPT_INTERVAL:
		if (parse_seconds(arg, &o->interval) < 0)
			return bad_value(ctx, "interval", arg, "seconds, more than 0");
		return 0;
	case OPT_DURATION:
		if (parse_seconds(arg, &o->duration) < 0)
			return bad_value(ctx, "duration", arg, "seconds, more than 0");
		return 0;
	case OPT_EVENTS:
		o->events = true;
		return 0;
	case OPT_SAMPLE:
		if (parse_uint(arg, 65536, &v) < 0 || v == 0)
			return bad_value(ctx, "sample", arg, "a number from 1 to 65536");
		o->sample = (unsigned int)v;
		return 0;
	case OPT_VERBOSE:
		o->verbose = true;
		return 0;
	case OPT_PREFIX:
	case OPT_JSON:
		/* Global options: vctl_getopt has set ctx->prefix, ctx->json. */
		return 0;
	}
	/* vctl_getopt returns only keys of the table: not reached. */
	return vctl_fail(ctx, -ENOTSUP, "trace: option key %#x is not one of its options", key);
}
#pragma GCC diagnostic pop

static int run(struct vctl_ctx *ctx, int argc, char **argv)
{
	struct trace_opts o = { .port = -1, .queue = -1, .interval = 1.0 };
	char *arg;
	int key, rc;

	while ((key = vctl_getopt(ctx, argc, argv, &arg)) != -1) {
		if (key == VCTL_HELP)
			return vctl_help(ctx);
		if (key < 0)
			return key;
		rc = apply(ctx, &o, key, arg);
		if (rc < 0)
			return rc;
	}
	if (optind < argc)
		return vctl_usage(ctx, "trace takes no arguments ('%s')", argv[optind]);
	if (o.pid != 0 && ctx->prefix != NULL)
		return vctl_usage(ctx, "--pid and --prefix name the process twice: give one");
	if (o.events && o.sample > 1)
		return vctl_usage(ctx, "--events streams every hit: it samples every burst, not 1 in %u",
				  o.sample);
	if (o.events)
		o.sample = 1;
	return trace_run(ctx, &o);
}

static const char *const examples[] = {
	"vctl trace --duration 10", "kicks and used-index moves per queue of the only vpmd application, every second for 10 s",
	"vctl trace --prefix vu --queue 1 -j", "queue pair 1 of the application started with --file-prefix=vu, as JSON lines, until Ctrl-C",
	NULL,
};

const struct vctl_cmd vctl_cmd_trace = {
	.name = "trace",
	.run = run,
	.synopsis = "[--pid PID | --prefix NAME] [--port N] [--queue Q] [--interval S] "
		    "[--duration S] [--events | --sample N] [-j] [-v]",
	.summary = "trace kicks and used-index moves per queue, live (BPF; root)",
	.description =
		"Attaches BPF programs to net_vpmd's USDT probes in the running process (found "
		"through /proc/PID/maps) and prints, every interval and per queue: notifications "
		"and suppressed kicks per second, used-index moves per second, descriptors per "
		"kick, entries per used move, and the p50/p99 latency from a kick to the used "
		"move that returned its last chain. Counts are exact (the probes carry the "
		"queue's running totals); the ratios, histograms and latency come from 1 active "
		"burst in N per queue (--sample), which keeps a traced port within a few per cent "
		"of its untraced rate. Detaches at the end of --duration or on "
		"Ctrl-C; the process keeps running. Needs root (or CAP_BPF, CAP_PERFMON and "
		"CAP_SYS_PTRACE) and uprobes. See doc/trace.md.",
	.opts = opts,
	.examples = examples,
};
