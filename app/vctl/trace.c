/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vctl trace: libbpf loader of bpf/vpmd_trace.bpf.c. Open the skeleton,
 * set the filters, load, attach the five USDT programs to the net_vpmd
 * library of one process, then read the per-queue map every interval and
 * print the differences as a table or JSON lines; stream raw events from
 * the ring buffer with --events. One cleanup path detaches everything
 * (the kernel then lowers the probe semaphores), on Ctrl-C, at the end of
 * --duration, or when the process goes away.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <jansson.h>

#include "trace.h"
#include "trace_target.h"
#include "vpmd_trace.h"
#include "vpmd_trace.skel.h"

#define EXIT_OK 0
#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

#define MAX_QUEUES VPMD_TRACE_MAX_QUEUES

/* JSON keys. */
#define K_TYPE "type"
#define K_ERROR "error"

static const char *const probe_names[] = { "kick", "kick_suppressed", "used", "used_refused",
					    "refill" };
#define N_PROBES (sizeof(probe_names) / sizeof(probe_names[0]))
/*
 * The table needs the first four. refill fires once per rx burst, right
 * before the kick decision that reports the same descriptors: attached
 * only for --events, it would otherwise add a traced hit to every burst.
 */
#define PROBE_REFILL 4

static unsigned int probes_wanted(bool events)
{
	return events ? N_PROBES : PROBE_REFILL;
}

static const char *const reason_names[] = { "id_range", "id_not_inflight", "len", "wrap",
					     "idx_jump" };
#define N_REASONS (sizeof(reason_names) / sizeof(reason_names[0]))

struct qsnap {
	struct vpmd_trace_key key;
	struct vpmd_trace_qstats st;
};

struct trace_ctx {
	/* options */
	pid_t pid;
	const char *prefix;
	int port;  /* -1: all */
	int queue; /* -1: all */
	double interval;
	double duration; /* 0: until interrupted */
	bool events;
	bool json;
	bool verbose;
	/* state */
	char lib[PATH_MAX];
	struct vpmd_trace_bpf *skel;
	struct ring_buffer *rb;
	struct qsnap *prev, *cur; /* snapshots at the last and this tick */
	unsigned int n_prev, n_cur;
	struct timespec t_start, t_prev;
	uint64_t events_seen;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static bool verbose_libbpf;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* Our own messages say what failed; libbpf's detail is for -v. */
	if (!verbose_libbpf || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* One error: "vctl trace: ..." on stderr; under JSON also {"error": "..."} on stdout. */
static void trace_err(const struct trace_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void trace_err(const struct trace_ctx *ctx, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vctl trace: %s\n", msg);
	if (ctx->json) {
		json_t *o = json_pack("{s:s, s:s}", K_TYPE, "error", K_ERROR, msg);

		if (o != NULL) {
			json_dumpf(o, stdout, JSON_COMPACT);
			fputc('\n', stdout);
			fflush(stdout);
			json_decref(o);
		}
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vctl trace [--pid PID | --prefix NAME] [--port N] [--queue Q]\n"
		"                  [--interval S] [--duration S] [--events] [-j] [-v]\n"
		"\n"
		"Attach BPF programs to net_vpmd's USDT probes in a running DPDK process and\n"
		"print, per port and queue, every interval: kicks/s (notifications sent),\n"
		"supp/s (kick decisions the device asked not to be told of), used/s (used\n"
		"index moves), descriptors per kick decision, entries per used move, and the\n"
		"kick-to-used latency (p50, p99). Ctrl-C, or the end of --duration, detaches\n"
		"and prints the totals.\n"
		"\n"
		"  --pid PID       the process (default: the only running DPDK primary, or\n"
		"                  the only one with net_vpmd loaded)\n"
		"  --prefix NAME   the process by its EAL --file-prefix\n"
		"  --port N        only ethdev port N\n"
		"  --queue Q       only queue pair Q (rx queue Q and tx queue Q)\n"
		"  --interval S    seconds between reports (default 1)\n"
		"  --duration S    stop after S seconds (default: until Ctrl-C)\n"
		"  --events        also print every probe hit (ring buffer)\n"
		"  -j, --json      JSON lines: attached, interval..., total\n"
		"  -v, --verbose   libbpf's messages\n"
		"  -h, --help      this text\n"
		"\n"
		"Needs root (or CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE) and a kernel with\n"
		"BPF and uprobes. See doc/trace.md.\n");
}

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

/* Returns 0, or EXIT_USAGE after saying why; -1 when --help was asked (exit 0). */
static int parse_options(struct trace_ctx *ctx, int argc, char **argv)
{
	enum { OPT_PID = 256, OPT_PREFIX, OPT_PORT, OPT_QUEUE, OPT_INTERVAL, OPT_DURATION,
	       OPT_EVENTS };
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, OPT_PID },
		{ "prefix", required_argument, NULL, OPT_PREFIX },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "queue", required_argument, NULL, OPT_QUEUE },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "events", no_argument, NULL, OPT_EVENTS },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, idx = 0;
	long v;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+jvh", opts, &idx)) != -1) {
		switch (c) {
		case OPT_PID:
			if (parse_uint(optarg, INT32_MAX, &v) != 0 || v == 0)
				goto bad_value;
			ctx->pid = (pid_t)v;
			break;
		case OPT_PREFIX:
			ctx->prefix = optarg;
			break;
		case OPT_PORT:
			if (parse_uint(optarg, UINT16_MAX, &v) != 0)
				goto bad_value;
			ctx->port = (int)v;
			break;
		case OPT_QUEUE:
			if (parse_uint(optarg, UINT16_MAX / 2, &v) != 0)
				goto bad_value;
			ctx->queue = (int)v;
			break;
		case OPT_INTERVAL:
			if (parse_seconds(optarg, &ctx->interval) != 0)
				goto bad_value;
			break;
		case OPT_DURATION:
			if (parse_seconds(optarg, &ctx->duration) != 0)
				goto bad_value;
			break;
		case OPT_EVENTS:
			ctx->events = true;
			break;
		case 'j':
			ctx->json = true;
			break;
		case 'v':
			ctx->verbose = true;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			trace_err(ctx, "unknown option or missing value: %s (see --help)",
				  argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		trace_err(ctx, "unexpected argument '%s' (see --help)", argv[optind]);
		return EXIT_USAGE;
	}
	if (ctx->pid != 0 && ctx->prefix != NULL) {
		trace_err(ctx, "--pid and --prefix name the process twice: give one");
		return EXIT_USAGE;
	}
	return 0;
bad_value:
	trace_err(ctx, "invalid value '%s' for --%s", optarg, opts[idx].name);
	return EXIT_USAGE;
}

/* The process, from the options; 0 or EXIT_RUNTIME after saying why. */
static int resolve_process(struct trace_ctx *ctx)
{
	char why[2048];
	pid_t pid;

	if (ctx->pid != 0) {
		if (kill(ctx->pid, 0) != 0 && errno == ESRCH) {
			trace_err(ctx, "no process %d", (int)ctx->pid);
			return EXIT_RUNTIME;
		}
		return 0;
	}
	if (ctx->prefix != NULL) {
		pid = trace_pid_of_prefix(ctx->prefix);
		if (pid == -ENOENT || pid == -EINVAL) {
			trace_err(ctx, "no DPDK process with file prefix '%s' (no %s/%s/config)",
				  ctx->prefix, TRACE_RUNTIME_DIR, ctx->prefix);
			return EXIT_RUNTIME;
		}
		if (pid == -ESRCH) {
			trace_err(ctx, "the DPDK process with file prefix '%s' is gone (%s/%s is left over)",
				  ctx->prefix, TRACE_RUNTIME_DIR, ctx->prefix);
			return EXIT_RUNTIME;
		}
		if (pid < 0) {
			trace_err(ctx, "file prefix '%s': %s", ctx->prefix, strerror(-pid));
			return EXIT_RUNTIME;
		}
		ctx->pid = pid;
		return 0;
	}
	pid = trace_pick_process(why, sizeof(why));
	if (pid == -ENOENT) {
		trace_err(ctx, "no running DPDK process found (in %s); give --pid", TRACE_RUNTIME_DIR);
		return EXIT_RUNTIME;
	}
	if (pid == -EEXIST) {
		trace_err(ctx, "several DPDK processes run: %s; choose one with --pid or --prefix",
			  why);
		return EXIT_RUNTIME;
	}
	if (pid < 0) {
		trace_err(ctx, "looking for DPDK processes: %s", strerror(-pid));
		return EXIT_RUNTIME;
	}
	ctx->pid = pid;
	return 0;
}

/* What is missing when BPF cannot be loaded, as plainly as we can tell. */
static void explain_load_error(const struct trace_ctx *ctx, int err)
{
	if (err == EPERM || err == EACCES) {
		if (geteuid() != 0)
			trace_err(ctx, "loading BPF programs needs root (or CAP_BPF and CAP_PERFMON): %s",
				  strerror(err));
		else
			trace_err(ctx, "the kernel refused BPF (%s): is unprivileged BPF or lockdown in the way?",
				  strerror(err));
	} else if (err == ENOSYS) {
		trace_err(ctx, "this kernel has no BPF support (CONFIG_BPF_SYSCALL)");
	} else {
		trace_err(ctx, "loading the BPF programs failed: %s (run with -v for libbpf's log)",
			  strerror(err));
	}
}

static int attach_probes(struct trace_ctx *ctx)
{
	struct vpmd_trace_bpf *s = ctx->skel;
	struct bpf_program *progs[N_PROBES] = { s->progs.vpmd_kick, s->progs.vpmd_kick_suppressed,
						 s->progs.vpmd_used, s->progs.vpmd_used_refused,
						 s->progs.vpmd_refill };
	struct bpf_link **links[N_PROBES] = { &s->links.vpmd_kick, &s->links.vpmd_kick_suppressed,
					       &s->links.vpmd_used, &s->links.vpmd_used_refused,
					       &s->links.vpmd_refill };
	unsigned int i;

	for (i = 0; i < probes_wanted(ctx->events); i++) {
		struct bpf_link *l =
			bpf_program__attach_usdt(progs[i], ctx->pid, ctx->lib, "vpmd", probe_names[i], NULL);

		if (l == NULL) {
			int err = errno;

			if (err == ENOENT)
				trace_err(ctx, "%s has no USDT probe vpmd:%s (built with -Dprobes=false?)",
					  ctx->lib, probe_names[i]);
			else if (err == EPERM || err == EACCES)
				trace_err(ctx, "attaching to vpmd:%s in process %d needs root: %s",
					  probe_names[i], (int)ctx->pid, strerror(err));
			else if (err == EOPNOTSUPP || err == ENOTSUP)
				trace_err(ctx, "the kernel cannot attach uprobes (CONFIG_UPROBE_EVENTS): %s",
					  strerror(err));
			else
				trace_err(ctx, "attaching to vpmd:%s in process %d: %s", probe_names[i],
					  (int)ctx->pid, strerror(err));
			return -err;
		}
		*links[i] = l;
	}
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	const struct qsnap *x = a, *y = b;

	if (x->key.port != y->key.port)
		return x->key.port < y->key.port ? -1 : 1;
	return (x->key.queue > y->key.queue) - (x->key.queue < y->key.queue);
}

/* Read the whole per-queue map into ctx->cur, sorted by port and queue. */
static int snapshot(struct trace_ctx *ctx)
{
	int fd = bpf_map__fd(ctx->skel->maps.queues);
	struct vpmd_trace_key key, next;
	void *prev_key = NULL;
	unsigned int n = 0;

	while (n < MAX_QUEUES && bpf_map_get_next_key(fd, prev_key, &next) == 0) {
		if (bpf_map_lookup_elem(fd, &next, &ctx->cur[n].st) == 0) {
			ctx->cur[n].key = next;
			n++;
		}
		key = next;
		prev_key = &key;
	}
	qsort(ctx->cur, n, sizeof(ctx->cur[0]), key_cmp);
	ctx->n_cur = n;
	return 0;
}

static const struct vpmd_trace_qstats *find_prev(const struct trace_ctx *ctx,
						   const struct vpmd_trace_key *key)
{
	unsigned int i;

	for (i = 0; i < ctx->n_prev; i++)
		if (ctx->prev[i].key.port == key->port && ctx->prev[i].key.queue == key->queue)
			return &ctx->prev[i].st;
	return NULL;
}

/* @d = @a - @b (b NULL: a), field by field: everything in the struct is a counter. */
static void qstats_sub(struct vpmd_trace_qstats *d, const struct vpmd_trace_qstats *a,
		       const struct vpmd_trace_qstats *b)
{
	const uint64_t *pa = (const uint64_t *)a, *pb = (const uint64_t *)b;
	uint64_t *pd = (uint64_t *)d;
	size_t i;

	for (i = 0; i < sizeof(*d) / sizeof(uint64_t); i++)
		pd[i] = pa[i] - (pb != NULL ? pb[i] : 0);
}

/* The middle of latency bucket @s, in ns (see VPMD_TRACE_LAT_SLOTS). */
static double lat_slot_mid(unsigned int s)
{
	unsigned int l, sub;
	double low, high;

	if (s < 4)
		return s;
	l = s / 4 + 1;
	sub = s % 4;
	low = ldexp(4 + sub, (int)l - 2);
	high = ldexp(5 + sub, (int)l - 2);
	return (low + high) / 2;
}

/* Percentile @p (0-100) of the latency histogram, in ns; NAN when it is empty. */
static double lat_percentile(const struct vpmd_trace_qstats *st, double p)
{
	uint64_t total = 0, run = 0, want;
	unsigned int s;

	for (s = 0; s < VPMD_TRACE_LAT_SLOTS; s++)
		total += st->hist_lat[s];
	if (total == 0)
		return NAN;
	want = (uint64_t)ceil(total * p / 100.0);
	if (want == 0)
		want = 1;
	for (s = 0; s < VPMD_TRACE_LAT_SLOTS; s++) {
		run += st->hist_lat[s];
		if (run >= want)
			return lat_slot_mid(s);
	}
	return lat_slot_mid(VPMD_TRACE_LAT_SLOTS - 1);
}

static double ratio(uint64_t a, uint64_t b)
{
	return b == 0 ? NAN : (double)a / (double)b;
}

static double elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* "123", "45.6k", "7.89M": a rate in a table cell. */
static void fmt_rate(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (v >= 1e6)
		snprintf(buf, len, "%.2fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else
		snprintf(buf, len, "%.0f", v);
}

static void fmt_ns(char *buf, size_t len, double ns)
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

/*
 * One queue's numbers over @secs (0: totals, no rates) as a JSON object;
 * the refill counts when that probe is attached.
 */
static json_t *queue_json(const struct vpmd_trace_key *key, const struct vpmd_trace_qstats *d,
			  double secs, bool refills)
{
	json_t *o = json_object(), *refused = json_object(), *lat = json_object();
	unsigned int r;

	for (r = 0; r < N_REASONS; r++)
		json_object_set_new(refused, reason_names[r], json_integer((json_int_t)d->refused[r]));
	json_object_set_new(lat, "count", json_integer((json_int_t)d->lat_count));
	json_object_set_new(lat, "mean", json_num(ratio(d->lat_sum_ns, d->lat_count)));
	json_object_set_new(lat, "p50", json_num(lat_percentile(d, 50)));
	json_object_set_new(lat, "p99", json_num(lat_percentile(d, 99)));

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
		json_object_set_new(o, "refill_buffers", json_integer((json_int_t)d->refill_buffers));
	}
	json_object_set_new(o, "refused", refused);
	json_object_set_new(o, "descs_per_kick",
			    json_num(ratio(d->decided_descs, d->kicks + d->kicks_suppressed)));
	json_object_set_new(o, "entries_per_used", json_num(ratio(d->used_entries, d->used_moves)));
	if (secs > 0) {
		json_object_set_new(o, "kicks_per_s", json_real((double)d->kicks / secs));
		json_object_set_new(o, "kicks_suppressed_per_s",
				    json_real((double)d->kicks_suppressed / secs));
		json_object_set_new(o, "used_per_s", json_real((double)d->used_moves / secs));
	}
	json_object_set_new(o, "latency_ns", lat);
	return o;
}

static void print_table_header(void)
{
	printf("%8s %4s %-5s %9s %9s %9s %7s %7s %9s %9s\n", "time", "port", "queue", "kicks/s",
	       "supp/s", "used/s", "descs/k", "ent/u", "lat p50", "lat p99");
}

static void print_table_row(double t, const struct vpmd_trace_key *key,
			    const struct vpmd_trace_qstats *d, double secs)
{
	char q[16], k[16], s[16], u[16], b[16], e[16], p50[16], p99[16];

	snprintf(q, sizeof(q), "%s%u", key->queue % 2 ? "tx" : "rx", key->queue / 2);
	fmt_rate(k, sizeof(k), secs > 0 ? d->kicks / secs : NAN);
	fmt_rate(s, sizeof(s), secs > 0 ? d->kicks_suppressed / secs : NAN);
	fmt_rate(u, sizeof(u), secs > 0 ? d->used_moves / secs : NAN);
	fmt_num(b, sizeof(b), ratio(d->decided_descs, d->kicks + d->kicks_suppressed));
	fmt_num(e, sizeof(e), ratio(d->used_entries, d->used_moves));
	fmt_ns(p50, sizeof(p50), lat_percentile(d, 50));
	fmt_ns(p99, sizeof(p99), lat_percentile(d, 99));
	printf("%8.1f %4u %-5s %9s %9s %9s %7s %7s %9s %9s\n", t, key->port, q, k, s, u, b, e, p50,
	       p99);
}

static void print_totals_text(const struct trace_ctx *ctx, double t)
{
	unsigned int i, r;

	printf("-- totals over %.1f s (process %d)\n", t, (int)ctx->pid);
	printf("%4s %-5s %12s %12s %12s %14s %9s %9s\n", "port", "queue", "kicks", "suppressed",
	       "used", "used entries", "lat p50", "lat p99");
	for (i = 0; i < ctx->n_cur; i++) {
		const struct vpmd_trace_key *key = &ctx->cur[i].key;
		const struct vpmd_trace_qstats *st = &ctx->cur[i].st;
		char q[16], p50[16], p99[16];
		uint64_t refused = 0;

		snprintf(q, sizeof(q), "%s%u", key->queue % 2 ? "tx" : "rx", key->queue / 2);
		fmt_ns(p50, sizeof(p50), lat_percentile(st, 50));
		fmt_ns(p99, sizeof(p99), lat_percentile(st, 99));
		printf("%4u %-5s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %14" PRIu64 " %9s %9s\n",
		       key->port, q, (uint64_t)st->kicks, (uint64_t)st->kicks_suppressed,
		       (uint64_t)st->used_moves, (uint64_t)st->used_entries, p50, p99);
		if (ctx->events)
			printf("          refills %" PRIu64 ", buffers %" PRIu64 "\n",
			       (uint64_t)st->refills, (uint64_t)st->refill_buffers);
		for (r = 0; r < N_REASONS; r++)
			refused += st->refused[r];
		if (refused != 0) {
			printf("          refused:");
			for (r = 0; r < N_REASONS; r++)
				if (st->refused[r] != 0)
					printf(" %s %" PRIu64, reason_names[r], (uint64_t)st->refused[r]);
			printf("\n");
		}
	}
	if (ctx->skel->bss->events_lost != 0)
		printf("-- %" PRIu64 " events lost (ring buffer full)\n",
		       (uint64_t)ctx->skel->bss->events_lost);
	fflush(stdout);
}

static void emit_json_line(json_t *o)
{
	json_dumpf(o, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	fflush(stdout);
	json_decref(o);
}

/* Each interval: the differences since the last one. */
static void report_interval(struct trace_ctx *ctx, const struct timespec *now)
{
	double secs = elapsed(&ctx->t_prev, now), t = elapsed(&ctx->t_start, now);
	struct vpmd_trace_qstats d;
	json_t *o = NULL, *arr = NULL;
	unsigned int i;

	snapshot(ctx);
	if (ctx->json) {
		o = json_object();
		arr = json_array();
		json_object_set_new(o, K_TYPE, json_string("interval"));
		json_object_set_new(o, "pid", json_integer(ctx->pid));
		json_object_set_new(o, "time_s", json_real(t));
		json_object_set_new(o, "interval_s", json_real(secs));
	} else if (ctx->n_cur > 0) {
		print_table_header();
	}
	for (i = 0; i < ctx->n_cur; i++) {
		qstats_sub(&d, &ctx->cur[i].st, find_prev(ctx, &ctx->cur[i].key));
		if (ctx->json)
			json_array_append_new(arr, queue_json(&ctx->cur[i].key, &d, secs, ctx->events));
		else
			print_table_row(t, &ctx->cur[i].key, &d, secs);
	}
	if (ctx->json) {
		json_object_set_new(o, "queues", arr);
		emit_json_line(o);
	} else {
		if (ctx->n_cur == 0)
			printf("%8.1f no probe hits yet (is the port forwarding?)\n", t);
		fflush(stdout);
	}
	/* This snapshot is the next interval's base. */
	{
		struct qsnap *tmp = ctx->prev;

		ctx->prev = ctx->cur;
		ctx->cur = tmp;
		ctx->n_prev = ctx->n_cur;
	}
	ctx->t_prev = *now;
}

static void report_totals(struct trace_ctx *ctx, const struct timespec *now, const char *why)
{
	double t = elapsed(&ctx->t_start, now);
	unsigned int i;

	snapshot(ctx);
	if (!ctx->json) {
		print_totals_text(ctx, t);
		return;
	}
	{
		json_t *o = json_object(), *arr = json_array();

		json_object_set_new(o, K_TYPE, json_string("total"));
		json_object_set_new(o, "pid", json_integer(ctx->pid));
		json_object_set_new(o, "time_s", json_real(t));
		json_object_set_new(o, "end", json_string(why));
		json_object_set_new(o, "events_lost", json_integer((json_int_t)ctx->skel->bss->events_lost));
		for (i = 0; i < ctx->n_cur; i++)
			json_array_append_new(arr, queue_json(&ctx->cur[i].key, &ctx->cur[i].st, 0,
								 ctx->events));
		json_object_set_new(o, "queues", arr);
		emit_json_line(o);
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
	default: return "unknown";
	}
}

/* Argument names after port and queue, per event type (doc/trace.md). */
static const char *const *event_args(uint32_t type, unsigned int *n)
{
	static const char *const kick[] = { "avail", "descs", "decided", "chains" };
	static const char *const used[] = { "old", "new", "entries", "chains" };
	static const char *const refused[] = { "reason", "count", "used" };
	static const char *const refill[] = { "buffers", "avail", "free" };

	switch (type) {
	case VPMD_EV_KICK:
	case VPMD_EV_KICK_SUPPRESSED: *n = 4; return kick;
	case VPMD_EV_USED: *n = 4; return used;
	case VPMD_EV_USED_REFUSED: *n = 3; return refused;
	case VPMD_EV_REFILL: *n = 3; return refill;
	default: *n = 0; return NULL;
	}
}

static int on_event(void *arg, void *data, size_t size)
{
	struct trace_ctx *ctx = arg;
	const struct vpmd_trace_event *e = data;
	const char *const *names;
	unsigned int n, i;

	if (size < sizeof(*e))
		return 0;
	ctx->events_seen++;
	names = event_args(e->type, &n);
	if (ctx->json) {
		json_t *o = json_object();

		json_object_set_new(o, K_TYPE, json_string("event"));
		json_object_set_new(o, "event", json_string(event_name(e->type)));
		json_object_set_new(o, "ts_ns", json_integer((json_int_t)e->ts_ns));
		json_object_set_new(o, "port", json_integer(e->port));
		json_object_set_new(o, "vq", json_integer(e->queue));
		for (i = 0; i < n; i++)
			json_object_set_new(o, names[i], json_integer((json_int_t)e->arg[i]));
		json_dumpf(o, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(o);
	} else {
		printf("%" PRIu64 ".%09" PRIu64 " port %u %s%u %s", (uint64_t)e->ts_ns / 1000000000u,
		       (uint64_t)e->ts_ns % 1000000000u, e->port, e->queue % 2 ? "tx" : "rx",
		       e->queue / 2, event_name(e->type));
		for (i = 0; i < n; i++) {
			if (e->type == VPMD_EV_USED_REFUSED && i == 0 && e->arg[0] < N_REASONS)
				printf(" reason=%s", reason_names[e->arg[0]]);
			else
				printf(" %s=%" PRIu64, names[i], (uint64_t)e->arg[i]);
		}
		printf("\n");
	}
	return 0;
}

static void report_attached(const struct trace_ctx *ctx)
{
	if (ctx->json) {
		json_t *o = json_object(), *probes = json_array();
		unsigned int i;

		for (i = 0; i < probes_wanted(ctx->events); i++)
			json_array_append_new(probes, json_string(probe_names[i]));
		json_object_set_new(o, K_TYPE, json_string("attached"));
		json_object_set_new(o, "pid", json_integer(ctx->pid));
		json_object_set_new(o, "library", json_string(ctx->lib));
		json_object_set_new(o, "probes", probes);
		json_object_set_new(o, "port", ctx->port >= 0 ? json_integer(ctx->port) : json_null());
		json_object_set_new(o, "queue", ctx->queue >= 0 ? json_integer(ctx->queue) : json_null());
		json_object_set_new(o, "interval_s", json_real(ctx->interval));
		json_object_set_new(o, "duration_s",
				    ctx->duration > 0 ? json_real(ctx->duration) : json_null());
		emit_json_line(o);
	} else {
		fprintf(stderr, "vctl trace: attached to process %d, %s (%u probes)%s\n", (int)ctx->pid,
			ctx->lib, probes_wanted(ctx->events),
			ctx->duration > 0 ? "" : "; Ctrl-C to stop");
	}
}

static double ts_add(const struct timespec *a, double s, struct timespec *out)
{
	double t = (double)a->tv_sec + (double)a->tv_nsec / 1e9 + s;

	out->tv_sec = (time_t)t;
	out->tv_nsec = (long)((t - (double)out->tv_sec) * 1e9);
	return t;
}

/* Until the duration is over, a signal comes or the process is gone. */
static int run_loop(struct trace_ctx *ctx)
{
	struct timespec now, next, end = { 0 };
	const char *why = "duration";
	int rc = EXIT_OK;

	clock_gettime(CLOCK_MONOTONIC, &ctx->t_start);
	ctx->t_prev = ctx->t_start;
	ts_add(&ctx->t_start, ctx->interval, &next);
	if (ctx->duration > 0)
		ts_add(&ctx->t_start, ctx->duration, &end);
	for (;;) {
		struct timespec wake;
		double wait_s;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (stop_requested) {
			why = "signal";
			break;
		}
		if (ctx->duration > 0 && elapsed(&end, &now) >= 0) {
			why = "duration";
			break;
		}
		if (kill(ctx->pid, 0) != 0 && errno == ESRCH) {
			trace_err(ctx, "process %d has exited", (int)ctx->pid);
			why = "exited";
			rc = EXIT_RUNTIME;
			break;
		}
		if (elapsed(&next, &now) >= 0) {
			report_interval(ctx, &now);
			/* Keep to the grid; after a long stall, start from now. */
			ts_add(&next, ctx->interval, &next);
			if (elapsed(&next, &now) >= 0)
				ts_add(&now, ctx->interval, &next);
		}
		wake = next;
		if (ctx->duration > 0 && elapsed(&end, &next) > 0)
			wake = end;
		wait_s = elapsed(&now, &wake);
		if (wait_s > 0.2)
			wait_s = 0.2; /* notice a vanished process or a signal soon enough */
		if (wait_s < 0)
			wait_s = 0;
		if (ctx->rb != NULL) {
			int n = ring_buffer__poll(ctx->rb, (int)(wait_s * 1000));

			if (n < 0 && n != -EINTR) {
				trace_err(ctx, "reading events: %s", strerror(-n));
				why = "error";
				rc = EXIT_RUNTIME;
				break;
			}
			fflush(stdout);
		} else {
			struct timespec ts = { .tv_sec = (time_t)wait_s,
					       .tv_nsec = (long)((wait_s - (time_t)wait_s) * 1e9) };

			nanosleep(&ts, NULL);
		}
	}
	if (ctx->rb != NULL)
		ring_buffer__consume(ctx->rb);
	clock_gettime(CLOCK_MONOTONIC, &now);
	report_totals(ctx, &now, why);
	return rc;
}

int vctl_trace_main(int argc, char **argv, bool json, const char *prefix)
{
	struct trace_ctx ctx = {
		.port = -1, .queue = -1, .interval = 1.0, .json = json, .prefix = prefix };
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
	int rc, err;

	rc = parse_options(&ctx, argc, argv);
	if (rc != 0)
		return rc < 0 ? EXIT_OK : rc;
	verbose_libbpf = ctx.verbose;
	libbpf_set_print(libbpf_print);

	rc = resolve_process(&ctx);
	if (rc != 0)
		return rc;
	err = trace_find_library(ctx.pid, ctx.lib);
	if (err == -ENOENT) {
		trace_err(&ctx, "process %d has no net_vpmd loaded (no librte_net_vpmd.so in /proc/%d/maps)",
			  (int)ctx.pid, (int)ctx.pid);
		return EXIT_RUNTIME;
	} else if (err == -ESTALE) {
		trace_err(&ctx, "process %d runs a librte_net_vpmd.so that has since been replaced on disk (%s): restart it to trace it",
			  (int)ctx.pid, ctx.lib);
		return EXIT_RUNTIME;
	} else if (err == -ESRCH) {
		trace_err(&ctx, "no process %d", (int)ctx.pid);
		return EXIT_RUNTIME;
	} else if (err < 0) {
		trace_err(&ctx, "reading /proc/%d/maps: %s%s", (int)ctx.pid, strerror(-err),
			  err == -EACCES ? " (needs root)" : "");
		return EXIT_RUNTIME;
	}
	if (access("/sys/bus/event_source/devices/uprobe", F_OK) != 0) {
		trace_err(&ctx, "this kernel has no uprobe support (CONFIG_UPROBE_EVENTS): USDT probes cannot be attached");
		return EXIT_RUNTIME;
	}

	ctx.prev = calloc(MAX_QUEUES, sizeof(*ctx.prev));
	ctx.cur = calloc(MAX_QUEUES, sizeof(*ctx.cur));
	if (ctx.prev == NULL || ctx.cur == NULL) {
		trace_err(&ctx, "out of memory");
		rc = EXIT_RUNTIME;
		goto out;
	}

	ctx.skel = vpmd_trace_bpf__open();
	if (ctx.skel == NULL) {
		trace_err(&ctx, "opening the BPF object: %s", strerror(errno));
		rc = EXIT_RUNTIME;
		goto out;
	}
	ctx.skel->rodata->filter_port = ctx.port;
	ctx.skel->rodata->filter_queue = ctx.queue;
	ctx.skel->rodata->stream_events = ctx.events;
	err = vpmd_trace_bpf__load(ctx.skel);
	if (err != 0) {
		explain_load_error(&ctx, -err);
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (attach_probes(&ctx) != 0) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (ctx.events) {
		ctx.rb = ring_buffer__new(bpf_map__fd(ctx.skel->maps.events), on_event, &ctx, NULL);
		if (ctx.rb == NULL) {
			trace_err(&ctx, "ring buffer: %s", strerror(errno));
			rc = EXIT_RUNTIME;
			goto out;
		}
	}

	stop_requested = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	report_attached(&ctx);
	rc = run_loop(&ctx);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
out:
	/* Destroying the links detaches the uprobes: the semaphores drop back. */
	ring_buffer__free(ctx.rb);
	vpmd_trace_bpf__destroy(ctx.skel);
	free(ctx.prev);
	free(ctx.cur);
	return rc;
}
