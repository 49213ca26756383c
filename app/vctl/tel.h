/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A client of DPDK's telemetry socket (v2), without DPDK: find the
 * application by its file prefix, connect, send "cmd,params", read the
 * reply. The protocol (DPDK 22.11): AF_UNIX SOCK_SEQPACKET at
 * RUNDIR/PREFIX/dpdk_telemetry.v2, one message each way; on connect the
 * server greets with {"version":..., "pid":N, "max_output_len":N}; a
 * reply is {"cmd": value}, and value is null for an unknown command or a
 * failed callback.
 *
 * Every function returns 0 or a negative errno and, on error, leaves a
 * sentence for the user in the error buffer it was given.
 */
#ifndef VCTL_TEL_H
#define VCTL_TEL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define TEL_ERR_LEN 1024
#define TEL_PREFIX_LEN 128
#define TEL_PATH_LEN 108 /* sun_path */

struct tel {
	int fd;
	char prefix[TEL_PREFIX_LEN];
	char path[TEL_PATH_LEN];
	long pid;
	char version[64];
	int timeout_ms;
	char err[TEL_ERR_LEN];
};

/**
 * The directory DPDK puts its runtime files in (its per-prefix folders):
 * $VCTL_RUNTIME_DIR if set, else /var/run/dpdk for root, else
 * $XDG_RUNTIME_DIR/dpdk, else /tmp/dpdk (as EAL chooses).
 */
const char *tel_runtime_dir(void);

/**
 * Connect to the application with file prefix @prefix, or, with NULL, to
 * the only one running; when several run, to the only one that has the
 * command @want registered (NULL: none is preferred). Fills @t.
 * Returns 0; -ENOENT (no such application), -ECONNREFUSED (a socket with
 * no application behind it), -EEXIST (several, none chosen), -EPROTO (not
 * a telemetry socket), or another error of connect or read.
 */
int tel_open(struct tel *t, const char *prefix, const char *want, int timeout_ms);

/**
 * Send "@cmd" or "@cmd,@params" and read the reply's value into @value
 * (a new reference; JSON null when the application answered null).
 * Returns 0; -ETIMEDOUT, -ECONNRESET (the application went away), -EBADMSG
 * (not JSON, or not {"@cmd": value}: garbage or a truncated reply),
 * -EMSGSIZE (request too long), or another socket error.
 */
int tel_request(struct tel *t, const char *cmd, const char *params, json_t **value);

/**
 * Check the greeting @buf (@len bytes, the server's first message) and
 * take the application's pid and DPDK version from it. Returns 0, or
 * -EPROTO when it is not {"version": string, "pid": int,
 * "max_output_len": int}. Separate from the socket so that the fuzz
 * target (test/fuzz/fuzz_vctl_tel.c) runs exactly this.
 */
int tel_parse_greeting(struct tel *t, const char *buf, size_t len);

/** True if the application registered command @cmd ("/" lists them). */
bool tel_has_command(struct tel *t, const char *cmd);

void tel_close(struct tel *t);

#endif /* VCTL_TEL_H */
