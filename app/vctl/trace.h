/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vctl trace: attach BPF programs to net_vpmd's USDT probes in a running
 * DPDK process and show kicks and used-index movement per queue, live.
 * See doc/trace.md.
 */
#ifndef VCTL_TRACE_H
#define VCTL_TRACE_H

#include <stdbool.h>

/*
 * Run "vctl trace": argv[0] is "trace", the options follow (getopt_long;
 * --help prints them). @json: vctl's global -j was given (trace also
 * takes -j itself). @prefix: vctl's global --prefix, or NULL; the same
 * as trace's own --prefix. Output goes to stdout, diagnostics to stderr (under
 * JSON, an error is one JSON document on stdout as well).
 * Returns the exit code: 0 done (duration over, or SIGINT/SIGTERM),
 * 1 runtime error (no such process, no vpmd in it, no root or BPF support,
 * the process went away), 2 usage error.
 * Installs SIGINT and SIGTERM handlers for its duration.
 */
int vctl_trace_main(int argc, char **argv, bool json, const char *prefix);

#endif /* VCTL_TRACE_H */
