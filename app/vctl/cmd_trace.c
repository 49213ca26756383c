/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vctl trace: the command table's entry for trace.c, which parses its own
 * options and reports its own errors (it is a BPF loader, not a telemetry
 * client). The options listed here are for help, the man page and the
 * completion; trace.c's getopt table is the one that parses, and
 * test/vctl's vctl_docs and test/trace's errors check both sides.
 */
#include "cmds.h"
#include "trace.h"

static int trace_main(struct vctl_ctx *ctx, int argc, char **argv)
{
	return vctl_trace_main(argc, argv, ctx->json || ctx->pretty, ctx->prefix);
}

/* The keys are unused: trace.c parses. */
static const struct vctl_opt opts[] = {
	{ "pid", 256, "PID", "the process to trace" },
	{ "prefix", 257, "NAME", "the process by its EAL --file-prefix (also vctl's global --prefix)" },
	{ "port", 258, "N", "only ethdev port N" },
	{ "queue", 259, "Q", "only queue pair Q (virtqueues 2Q and 2Q+1)" },
	{ "interval", 260, "S", "seconds between two reports (default 1)" },
	{ "duration", 261, "S", "detach after S seconds (default: at Ctrl-C)" },
	{ "events", 262, NULL, "also stream every probe hit (ring buffer)" },
	{ "json", 'j', NULL, "JSON lines instead of tables" },
	{ "verbose", 'v', NULL, "libbpf's own messages" },
	{ NULL, 0, NULL, NULL },
};

static const char *const examples[] = {
	"vctl trace --duration 10", "kicks and used-index moves per queue of the only vpmd application, every second for 10 s",
	"vctl trace --prefix vu --queue 1 -j", "queue pair 1 of the application started with --file-prefix=vu, as JSON lines, until Ctrl-C",
	NULL,
};

const struct vctl_cmd vctl_cmd_trace = {
	.name = "trace",
	.main = trace_main,
	.synopsis = "[--pid PID | --prefix NAME] [--port N] [--queue Q] [--interval S] "
		    "[--duration S] [--events] [-j]",
	.summary = "trace kicks and used-index moves per queue, live (BPF; root)",
	.description =
		"Attaches BPF programs to net_vpmd's USDT probes in the running process (found "
		"through /proc/PID/maps) and prints, every interval and per queue: notifications "
		"and suppressed kicks per second, used-index moves per second, descriptors per "
		"kick, entries per used move, and the p50/p99 latency from a kick to the used "
		"move that returned its last chain. Detaches at the end of --duration or on "
		"Ctrl-C; the process keeps running. Needs root (or CAP_BPF and CAP_PERFMON) and "
		"uprobes. See doc/trace.md.",
	.opts = opts,
	.examples = examples,
};
