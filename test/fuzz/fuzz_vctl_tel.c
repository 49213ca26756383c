/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vctl reading telemetry replies: the greeting (tel_parse_greeting), each
 * reply through tel_request() on a real SOCK_SEQPACKET socket, and the
 * command handlers that walk the reply JSON (list, status, features,
 * ring, stats and their text and JSON printers), and vctl top's sampler
 * and renderers (two samples, the frame between them, the plain table
 * and the screen), all vctl's own code.
 *
 * Input: byte 0 picks the command line and the output form (bit 0x20:
 * top's sampler instead of a command line, which would sleep between
 * refreshes); the rest is
 * what the application sends, one message per part, parts separated by
 * "\n--\n": the greeting first, then the replies in the order vctl asks.
 * Our end is shut once they are queued, so a missing reply is an end of
 * stream (an error vctl reports), never a wait.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_input.h"
#include "top.h"
#include "vctl.h"

#define SEP "\n--\n"

/* Command lines (after "vctl"), chosen by the input's first byte. */
static const char *const lines[][6] = {
	{ "list" },
	{ "status", "0" },
	{ "features", "0" },
	{ "ring", "0", "0", "rx" },
	{ "ring", "0", "0", "tx", "--desc", "0:8" },
	{ "stats", "0" },
	{ "status", "1" },
	{ "ring", "1", "2", "rx", "--desc", "250:10" },
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* The handlers print their results: the output is not what we test. */
	if (freopen("/dev/null", "w", stdout) == NULL)
		abort();
	return 0;
}

/*
 * What vctl top does with each refresh, without its clock: two samples,
 * the frame between them, the plain table and the screen of it.
 */
static void run_top(struct vctl_ctx *ctx)
{
	struct top_view view = { .sort = TOP_SORT_RX_PPS, .utf8 = true, .interval = 1.0,
				 .rows = 24, .cols = 80 };
	json_t *prev = NULL, *cur = NULL, *frame;
	int rc;

	rc = top_sample(ctx, &prev);
	FZ_CHECK(rc >= 0 || ctx->err[0] != '\0', "top_sample failed (%d) without a message", rc);
	if (rc < 0)
		return;
	rc = top_sample(ctx, &cur);
	FZ_CHECK(rc >= 0 || ctx->err[0] != '\0', "top_sample failed (%d) without a message", rc);
	if (rc == 0) {
		frame = top_frame(ctx, prev, cur, 1.0, 2.0);
		FZ_CHECK(frame != NULL, "no frame from two samples");
		top_render_plain(frame, &view, stdout);
		top_render_screen(frame, &view, stdout);
		json_decref(frame);
	}
	json_decref(prev);
	json_decref(cur);
}

/* Queue each part of @data as one message on @fd. */
static void queue_parts(int fd, const uint8_t *data, size_t size)
{
	const uint8_t *end = data + size, *p = data, *sep;

	while (p <= end) {
		sep = memmem(p, (size_t)(end - p), SEP, strlen(SEP));
		if (sep == NULL)
			sep = end;
		/* A full socket buffer: the rest would never be read anyway. */
		if (send(fd, p, (size_t)(sep - p), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			break;
		p = sep + strlen(SEP);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vctl_ctx ctx = { .timeout_ms = 1000 };
	char *argv[7] = { NULL };
	const uint8_t *greet, *rest;
	uint8_t mode;
	size_t glen;
	int sv[2], argc = 0, i, rc;

	if (size == 0 || size > 60000)
		return -1;
	mode = data[0];
	data++;
	size--;
	FZ_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0, "socketpair: %s",
		 strerror(errno));

	/* The greeting, parsed as tel_open() would; a bad one ends the session there. */
	greet = data;
	rest = memmem(data, size, SEP, strlen(SEP));
	glen = rest != NULL ? (size_t)(rest - data) : size;
	ctx.tel.fd = sv[0];
	ctx.tel.timeout_ms = ctx.timeout_ms;
	snprintf(ctx.tel.prefix, sizeof(ctx.tel.prefix), "fuzz");
	snprintf(ctx.tel.path, sizeof(ctx.tel.path), "/fuzz/dpdk_telemetry.v2");
	if (tel_parse_greeting(&ctx.tel, (const char *)greet, glen) == 0 && rest != NULL) {
		rest += strlen(SEP);
		queue_parts(sv[1], rest, size - (size_t)(rest - data));
		shutdown(sv[1], SHUT_WR);
		ctx.connected = true;
		ctx.json = (mode & 0x08) != 0;
		ctx.pretty = (mode & 0x10) != 0;
		if (mode & 0x20) {
			run_top(&ctx);
			goto out;
		}
		for (i = 0; i < 6 && lines[mode % 8][i] != NULL; i++)
			argv[argc++] = (char *)lines[mode % 8][i];
		ctx.cmd = vctl_cmd_find(argv[0]);
		FZ_CHECK(ctx.cmd != NULL, "no command %s", argv[0]);
		optind = 0; /* as main() does before a command's own options */
		rc = ctx.cmd->run(&ctx, argc, argv);
		/* A failure always has a sentence for the user (main() prints it). */
		FZ_CHECK(rc >= 0 || ctx.err[0] != '\0', "%s failed (%d) without a message", argv[0], rc);
	}
out:
	close(sv[0]);
	close(sv[1]);
	return 0;
}
