/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vctl trace: attach BPF programs to net_vpmd's USDT probes in a running
 * DPDK process and show kicks and used-index movement per queue, live.
 * See doc/trace.md.
 *
 * cmd_trace.c parses the command line (vctl's command table) into a
 * struct trace_opts; trace_run() does the rest. Errors follow vctl's
 * convention: a negative errno, said once through vctl_fail().
 */
#ifndef VCTL_TRACE_H
#define VCTL_TRACE_H

#include <stdbool.h>
#include <sys/types.h>

#include "vctl.h"

/* What the command line asked for. */
struct trace_opts {
	pid_t pid;        /* --pid, or 0: from ctx->prefix, or the only one running */
	int port;         /* --port, or -1: all */
	int queue;        /* --queue (queue pair), or -1: all */
	double interval;  /* --interval, seconds */
	double duration;  /* --duration, seconds; 0: until interrupted */
	bool events;      /* --events: stream every probe hit (sample becomes 1) */
	unsigned int sample; /* --sample N: 1 active burst in N fires; 0: the process's own */
	bool verbose;     /* -v: libbpf's own messages */
};

/*
 * Trace the process @opts and ctx->prefix name (both set: the caller's
 * usage error) until --duration is over, SIGINT or SIGTERM, or the
 * process exits; print as ctx->json and ctx->pretty say. Installs
 * handlers for SIGINT and SIGTERM and restores the previous ones.
 * Returns 0, or a negative errno after vctl_fail(): no such process or
 * prefix, no net_vpmd in it, no root or kernel support, the process went
 * away (the totals are printed first).
 */
int trace_run(struct vctl_ctx *ctx, const struct trace_opts *opts);

#endif /* VCTL_TRACE_H */
