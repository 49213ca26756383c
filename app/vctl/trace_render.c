/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vctl trace's output: per interval and at the end a table (text) or one
 * JSON document (-j: a line; -p: indented), and with --events one line
 * per probe hit. The keys and columns are described in doc/trace.md.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include <jansson.h>

#include "trace_int.h"
#include "vpmd_trace.skel.h"

/* JSON keys. */
#define K_TYPE "type"

const char *const trace_reason_names[TRACE_N_REASONS] = { "id_range", "id_not_inflight", "len",
							  "wrap", "idx_jump" };

static void fmt_num(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f", v);
}

/* NAN as JSON null. */
static json_t *json_num(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

/* "rx0", "tx3": the ethdev queue of virtqueue @vq. */
static void fmt_queue(char *buf, size_t len, unsigned int vq)
{
	snprintf(buf, len, "%s%u", vq % 2 ? "tx" : "rx", vq / 2);
}

/*
 * One queue's numbers over @secs (0: totals, no rates) as a JSON object;
 * the refill counts when that probe is attached.
 */
static json_t *queue_json(const struct vpmd_trace_key *key, const struct vpmd_trace_qstats *d,
			  double secs, bool refills)
{
	json_t *o = json_object(), *refused = json_object(), *lat = json_object();
	unsigned int r;

	for (r = 0; r < TRACE_N_REASONS; r++)
		json_object_set_new(refused, trace_reason_names[r],
				    json_integer((json_int_t)d->refused[r]));
	json_object_set_new(lat, "count", json_integer((json_int_t)d->lat_count));
	json_object_set_new(lat, "mean", json_num(trace_ratio(d->lat_sum_ns, d->lat_count)));
	json_object_set_new(lat, "p50", json_num(trace_lat_percentile(d, 50)));
	json_object_set_new(lat, "p99", json_num(trace_lat_percentile(d, 99)));

	json_object_set_new(o, "port", json_integer(key->port));
	json_object_set_new(o, "queue", json_integer(key->queue / 2));
	json_object_set_new(o, "dir", json_string(key->queue % 2 ? "tx" : "rx"));
	json_object_set_new(o, "vq", json_integer(key->queue));
	json_object_set_new(o, "kicks", json_integer((json_int_t)d->kicks));
	json_object_set_new(o, "kicks_suppressed", json_integer((json_int_t)d->kicks_suppressed));
	json_object_set_new(o, "used", json_integer((json_int_t)d->used_moves));
	json_object_set_new(o, "used_entries", json_integer((json_int_t)d->used_entries));
	if (refills) {
		json_object_set_new(o, "refills", json_integer((json_int_t)d->refills));
		json_object_set_new(o, "refill_buffers",
				    json_integer((json_int_t)d->refill_buffers));
	}
	json_object_set_new(o, "refused", refused);
	/* Sampled: over the decisions the sampled bursts made. */
	json_object_set_new(o, "descs_per_kick",
			    json_num(trace_ratio(d->decided_descs, d->decisions_sampled)));
	json_object_set_new(o, "sampled_decisions",
			    json_integer((json_int_t)d->decisions_sampled));
	json_object_set_new(o, "entries_per_used",
			    json_num(trace_ratio(d->used_entries, d->used_moves)));
	if (secs > 0) {
		json_object_set_new(o, "kicks_per_s", json_real((double)d->kicks / secs));
		json_object_set_new(o, "kicks_suppressed_per_s",
				    json_real((double)d->kicks_suppressed / secs));
		json_object_set_new(o, "used_per_s", json_real((double)d->used_moves / secs));
	}
	json_object_set_new(o, "latency_ns", lat);
	return o;
}

/*
 * How the numbers were taken: the sampling of latency and histograms,
 * and whether the counts end at the report ("totals" through telemetry)
 * or at each queue's last sampled burst.
 */
static void add_sampling(json_t *o, const struct trace_ctx *t)
{
	json_object_set_new(o, "sample_every",
			    t->sample_every > 0 ? json_integer(t->sample_every) : json_null());
	json_object_set_new(o, "counts_to_report", json_boolean(t->tel_ok));
}

static void print_table_header(void)
{
	printf("%8s %4s %-5s %9s %9s %9s %7s %7s %9s %9s\n", "time", "port", "queue", "kicks/s",
	       "supp/s", "used/s", "descs/k", "ent/u", "lat p50", "lat p99");
}

static void print_table_row(double now_s, const struct vpmd_trace_key *key,
			    const struct vpmd_trace_qstats *d, double secs)
{
	char q[16], k[16], s[16], u[16], b[16], e[16], p50[16], p99[16];

	fmt_queue(q, sizeof(q), key->queue);
	vctl_fmt_rate(k, sizeof(k), secs > 0 ? d->kicks / secs : NAN);
	vctl_fmt_rate(s, sizeof(s), secs > 0 ? d->kicks_suppressed / secs : NAN);
	vctl_fmt_rate(u, sizeof(u), secs > 0 ? d->used_moves / secs : NAN);
	fmt_num(b, sizeof(b), trace_ratio(d->decided_descs, d->decisions_sampled));
	fmt_num(e, sizeof(e), trace_ratio(d->used_entries, d->used_moves));
	vctl_fmt_ns(p50, sizeof(p50), trace_lat_percentile(d, 50));
	vctl_fmt_ns(p99, sizeof(p99), trace_lat_percentile(d, 99));
	printf("%8.1f %4u %-5s %9s %9s %9s %7s %7s %9s %9s\n", now_s, key->port, q, k, s, u, b, e,
	       p50, p99);
}

static void print_totals_text(const struct trace_ctx *t, double now_s)
{
	unsigned int i, r;

	printf("-- totals over %.1f s (process %d); latency from 1 active burst in %ld per queue\n",
	       now_s, (int)t->pid, t->sample_every);
	printf("%4s %-5s %12s %12s %12s %14s %9s %9s\n", "port", "queue", "kicks", "suppressed",
	       "used", "used entries", "lat p50", "lat p99");
	for (i = 0; i < t->n_cur; i++) {
		const struct vpmd_trace_key *key = &t->cur[i].key;
		const struct vpmd_trace_qstats *st = &t->cur[i].st;
		char q[16], p50[16], p99[16];
		uint64_t refused = 0;

		fmt_queue(q, sizeof(q), key->queue);
		vctl_fmt_ns(p50, sizeof(p50), trace_lat_percentile(st, 50));
		vctl_fmt_ns(p99, sizeof(p99), trace_lat_percentile(st, 99));
		printf("%4u %-5s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %14" PRIu64 " %9s %9s\n",
		       key->port, q, (uint64_t)st->kicks, (uint64_t)st->kicks_suppressed,
		       (uint64_t)st->used_moves, (uint64_t)st->used_entries, p50, p99);
		if (t->opts->events)
			printf("          refills %" PRIu64 ", buffers %" PRIu64 "\n",
			       (uint64_t)st->refills, (uint64_t)st->refill_buffers);
		for (r = 0; r < TRACE_N_REASONS; r++)
			refused += st->refused[r];
		if (refused != 0) {
			printf("          refused:");
			for (r = 0; r < TRACE_N_REASONS; r++)
				if (st->refused[r] != 0)
					printf(" %s %" PRIu64, trace_reason_names[r],
					       (uint64_t)st->refused[r]);
			printf("\n");
		}
	}
	if (t->skel->bss->events_lost != 0)
		printf("-- %" PRIu64 " events lost (ring buffer full)\n",
		       (uint64_t)t->skel->bss->events_lost);
	fflush(stdout);
}

void trace_render_interval(const struct trace_ctx *t, double now_s, double secs)
{
	struct vpmd_trace_qstats d;
	json_t *o = NULL, *arr = NULL;
	unsigned int i;

	if (trace_json(t)) {
		o = json_object();
		arr = json_array();
		json_object_set_new(o, K_TYPE, json_string("interval"));
		json_object_set_new(o, "pid", json_integer(t->pid));
		json_object_set_new(o, "time_s", json_real(now_s));
		json_object_set_new(o, "interval_s", json_real(secs));
		add_sampling(o, t);
	} else if (t->n_cur > 0) {
		print_table_header();
	}
	for (i = 0; i < t->n_cur; i++) {
		trace_delta(t, i, &d);
		if (trace_json(t))
			json_array_append_new(arr, queue_json(&t->cur[i].key, &d, secs,
							      t->opts->events));
		else
			print_table_row(now_s, &t->cur[i].key, &d, secs);
	}
	if (trace_json(t)) {
		json_object_set_new(o, "queues", arr);
		vctl_emit(t->vctx, o, NULL);
	} else {
		if (t->n_cur == 0)
			printf("%8.1f no probe hits yet (is the port forwarding?)\n", now_s);
		fflush(stdout);
	}
}

void trace_render_totals(const struct trace_ctx *t, double now_s, const char *why)
{
	json_t *o, *arr;
	unsigned int i;

	if (!trace_json(t)) {
		print_totals_text(t, now_s);
		return;
	}
	o = json_object();
	arr = json_array();
	json_object_set_new(o, K_TYPE, json_string("total"));
	json_object_set_new(o, "pid", json_integer(t->pid));
	json_object_set_new(o, "time_s", json_real(now_s));
	json_object_set_new(o, "end", json_string(why));
	json_object_set_new(o, "events_lost", json_integer((json_int_t)t->skel->bss->events_lost));
	add_sampling(o, t);
	for (i = 0; i < t->n_cur; i++)
		json_array_append_new(arr, queue_json(&t->cur[i].key, &t->cur[i].st, 0,
						      t->opts->events));
	json_object_set_new(o, "queues", arr);
	vctl_emit(t->vctx, o, NULL);
}

void trace_render_attached(const struct trace_ctx *t)
{
	const struct trace_opts *op = t->opts;

	if (trace_json(t)) {
		json_t *o = json_object(), *probes = json_array();
		unsigned int i;

		for (i = 0; i < trace_probes_wanted(op->events); i++)
			json_array_append_new(probes, json_string(trace_probe_names[i]));
		json_object_set_new(o, K_TYPE, json_string("attached"));
		json_object_set_new(o, "pid", json_integer(t->pid));
		json_object_set_new(o, "library", json_string(t->lib));
		json_object_set_new(o, "probes", probes);
		json_object_set_new(o, "port",
				    op->port >= 0 ? json_integer(op->port) : json_null());
		json_object_set_new(o, "queue",
				    op->queue >= 0 ? json_integer(op->queue) : json_null());
		json_object_set_new(o, "interval_s", json_real(op->interval));
		json_object_set_new(o, "duration_s",
				    op->duration > 0 ? json_real(op->duration) : json_null());
		add_sampling(o, t);
		if (t->tel_missing != NULL)
			json_object_set_new(o, "no_telemetry", json_string(t->tel_missing));
		vctl_emit(t->vctx, o, NULL);
	} else {
		if (t->tel_missing != NULL)
			fprintf(stderr,
				"vctl trace: %s: counts run between sampled bursts, at the process's "
				"own sampling\n",
				t->tel_missing);
		/* On stderr: stdout is the table, which a pipe may be reading. */
		fprintf(stderr,
			"vctl trace: attached to process %d, %s (%u probes, 1 active burst in %ld "
			"sampled)%s\n",
			(int)t->pid, t->lib, trace_probes_wanted(op->events), t->sample_every,
			op->duration > 0 ? "" : "; Ctrl-C to stop");
	}
}

static const char *event_name(uint32_t type)
{
	switch (type) {
	case VPMD_EV_KICK: return "kick";
	case VPMD_EV_KICK_SUPPRESSED: return "kick_suppressed";
	case VPMD_EV_USED: return "used";
	case VPMD_EV_USED_REFUSED: return "used_refused";
	case VPMD_EV_REFILL: return "refill";
	case VPMD_EV_TOTALS: return "totals";
	default: return "unknown";
	}
}

/* Argument names after port and queue, per event type (doc/trace.md). */
static const char *const *event_args(uint32_t type, unsigned int *n)
{
	static const char *const kick[] = { "chains", "decided", "kicks",
					    "suppressed", "avail", "descs" };
	static const char *const used[] = { "entries", "chains", "moves", "sampled", "old", "new" };
	static const char *const refused[] = { "reason", "count", "total", "used" };
	static const char *const refill[] = { "buffers", "avail", "free" };
	static const char *const totals[] = { "kicks", "suppressed", "chains", "moves" };

	switch (type) {
	case VPMD_EV_KICK:
	case VPMD_EV_KICK_SUPPRESSED: *n = 6; return kick;
	case VPMD_EV_USED: *n = 6; return used;
	case VPMD_EV_USED_REFUSED: *n = 4; return refused;
	case VPMD_EV_REFILL: *n = 3; return refill;
	case VPMD_EV_TOTALS: *n = 4; return totals;
	default: *n = 0; return NULL;
	}
}

int trace_render_event(void *arg, void *data, size_t size)
{
	struct trace_ctx *t = arg;
	const struct vpmd_trace_event *e = data;
	const char *const *names;
	unsigned int n, i;

	if (size < sizeof(*e))
		return 0;
	t->events_seen++;
	names = event_args(e->type, &n);
	if (trace_json(t)) {
		json_t *o = json_object();

		json_object_set_new(o, K_TYPE, json_string("event"));
		json_object_set_new(o, "event", json_string(event_name(e->type)));
		json_object_set_new(o, "ts_ns", json_integer((json_int_t)e->ts_ns));
		json_object_set_new(o, "port", json_integer(e->port));
		json_object_set_new(o, "vq", json_integer(e->queue));
		for (i = 0; i < n; i++)
			json_object_set_new(o, names[i], json_integer((json_int_t)e->arg[i]));
		/*
		 * As vctl_emit() would, but not flushed: at hundreds of thousands
		 * of events a second, the loop flushes once per poll instead.
		 */
		json_dumpf(o, stdout, t->vctx->pretty ? JSON_INDENT(2) : JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(o);
	} else {
		char q[16];

		fmt_queue(q, sizeof(q), e->queue);
		printf("%" PRIu64 ".%09" PRIu64 " port %u %s %s", (uint64_t)e->ts_ns / 1000000000u,
		       (uint64_t)e->ts_ns % 1000000000u, e->port, q, event_name(e->type));
		for (i = 0; i < n; i++) {
			bool reason = e->type == VPMD_EV_USED_REFUSED && i == 0;

			if (reason && e->arg[0] < TRACE_N_REASONS)
				printf(" reason=%s", trace_reason_names[e->arg[0]]);
			else
				printf(" %s=%" PRIu64, names[i], (uint64_t)e->arg[i]);
		}
		printf("\n");
	}
	return 0;
}
