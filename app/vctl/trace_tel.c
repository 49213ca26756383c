/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vctl trace, through the process's telemetry socket (/vpmd/trace): the
 * sampling of the datapath probes, set for the session and given back
 * after; and the "totals" probe, fired at each report so that the exact
 * counts end at that instant rather than at the queue's last sampled
 * burst. Without telemetry (the process runs with --no-telemetry, or an
 * older net_vpmd) tracing still works: the counts then run between
 * sampled bursts, and the session says so once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "trace_int.h"
#include "trace_target.h"

#define TRACE_TEL_CMD "/vpmd/trace"
#define TRACE_TEL_TIMEOUT_MS 2000

/* One request; the reply's sample_every, or a negative errno. */
static long request(struct trace_ctx *t, const char *params)
{
	json_t *v = NULL, *every;
	long rc;
	int err;

	err = tel_request(&t->tel, TRACE_TEL_CMD, params, &v);
	if (err < 0)
		return err;
	every = json_object_get(v, "sample_every");
	rc = json_is_integer(every) ? (long)json_integer_value(every) : -EPROTO;
	json_decref(v);
	return rc;
}

/*
 * Why the session goes on without the socket: not an error, said once
 * (trace_render_attached(): on stderr, or in the JSON "attached" line).
 */
static void without(struct trace_ctx *t, const char *why)
{
	t->tel_ok = false;
	t->tel_missing = why;
}

int trace_tel_open(struct trace_ctx *t)
{
	char prefix[TEL_PREFIX_LEN], params[16];
	long every;
	int err;

	t->tel_ok = false;
	t->sample_prev = 0;
	err = trace_prefix_of_pid(t->pid, prefix, sizeof(prefix));
	if (err < 0) {
		without(t, "no EAL file prefix found for the process");
		return t->opts->sample != 0 ? vctl_fail(t->vctx, -ENOTCONN,
							 "--sample/--events need the process's telemetry socket")
					    : 0;
	}
	err = tel_open(&t->tel, prefix, TRACE_TEL_CMD, TRACE_TEL_TIMEOUT_MS);
	if (err == 0 && !tel_has_command(&t->tel, TRACE_TEL_CMD)) {
		tel_close(&t->tel);
		err = -EOPNOTSUPP;
	}
	if (err < 0) {
		without(t, err == -EOPNOTSUPP ? "this net_vpmd has no /vpmd/trace"
					      : "no telemetry socket");
		return t->opts->sample != 0 ? vctl_fail(t->vctx, -ENOTCONN,
							 "--sample/--events need the process's telemetry socket (%s)",
							 t->tel.err)
					    : 0;
	}
	t->tel_ok = true;
	every = request(t, NULL);
	if (every < 0) {
		tel_close(&t->tel);
		without(t, "/vpmd/trace did not answer");
		return 0;
	}
	t->sample_every = every;
	if (t->opts->sample != 0 && (long)t->opts->sample != every) {
		snprintf(params, sizeof(params), "%u", t->opts->sample);
		every = request(t, params);
		if (every < 0)
			return vctl_fail(t->vctx, (int)every, "setting the sampling: %s",
					 strerror((int)-every));
		t->sample_prev = t->sample_every; /* given back at the end */
		t->sample_every = every;
	}
	return 0;
}

void trace_tel_sync(struct trace_ctx *t)
{
	long every;

	if (!t->tel_ok)
		return;
	every = request(t, NULL);
	if (every < 0) {
		/* The process may be exiting: the run loop notices; stop asking. */
		tel_close(&t->tel);
		t->tel_ok = false;
		return;
	}
	t->sample_every = every;
}

void trace_tel_close(struct trace_ctx *t)
{
	char params[16];

	if (!t->tel_ok)
		return;
	if (t->sample_prev != 0) {
		snprintf(params, sizeof(params), "%ld", t->sample_prev);
		(void)request(t, params);
	}
	tel_close(&t->tel);
	t->tel_ok = false;
}
