/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vctl top: every vpmd queue of one application, refreshed every
 * interval. Its entry in the command table, its options, and the loop:
 * the refresh clock, the keys (q, s, p) and the signals. On a terminal
 * it owns the screen (top_term.c) and gives it back on every way out;
 * into a pipe it prints a plain table per refresh, under -j a JSON line.
 */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "top.h"

enum { OPT_SORT = 0x200, OPT_TRACE };

static const struct vctl_opt opts[] = {
	{ "interval", 'i', "SECS", "seconds between two refreshes (default 1; from 0.1)" },
	{ "count", 'n', "N", "stop after N refreshes (default: at q or Ctrl-C)" },
	{ "sort", OPT_SORT, "KEY",
	  "the order to start with: queue, rx_pps, tx_pps, rx_bps, tx_bps, empty, kicks, "
	  "refused, ring, or lat (with --trace); the s key moves on" },
#ifdef VCTL_HAVE_TRACE
	{ "trace", OPT_TRACE, NULL,
	  "add BPF columns: kick-to-used latency p50 and p99, entries per used move (root)" },
#endif
	{ NULL, 0, NULL, NULL },
};

struct top_opts {
	double interval;
	uint32_t count; /* 0: until stopped */
	int sort;
	bool trace;
};

enum top_mode { MODE_SCREEN, MODE_PLAIN, MODE_JSON };

/* What the loop works with: the options, the last sample and frame, the clock. */
struct top_run {
	struct vctl_ctx *ctx;
	struct top_opts o;
	enum top_mode mode;
	struct top_view view;
	struct top_trace *trace;
	json_t *prev;  /* the last sample */
	json_t *frame; /* the last frame, for a redraw */
	double t_start, t_prev;
	uint32_t shown;
};

static volatile sig_atomic_t stop_requested, resized;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_winch(int sig)
{
	(void)sig;
	resized = 1;
}

static int parse_opts(struct vctl_ctx *ctx, int argc, char **argv, struct top_opts *o)
{
	char *arg, *end;
	int key;

	while ((key = vctl_getopt(ctx, argc, argv, &arg)) != -1) {
		if (key == VCTL_HELP || key < 0)
			return key;
		switch (key) {
		case 'i':
			o->interval = strtod(arg, &end);
			if (end == arg || *end != '\0' || !isfinite(o->interval) ||
			    o->interval < 0.1 || o->interval > 3600)
				return vctl_usage(ctx, "--interval '%s': expected seconds from 0.1 to 3600",
						  arg);
			break;
		case 'n':
			if (vctl_parse_u32(ctx, "--count", arg, &o->count) < 0 || o->count == 0)
				return vctl_usage(ctx, "--count '%s': expected a number of refreshes, 1 or more",
						  arg);
			break;
		case OPT_SORT:
			o->sort = top_sort_parse(arg);
			if (o->sort < 0)
				return vctl_usage(ctx, "--sort '%s': expected queue, rx_pps, tx_pps, rx_bps, tx_bps, empty, kicks, refused, ring or lat",
						  arg);
			break;
		case OPT_TRACE:
			o->trace = true;
			break;
		default:
			break;
		}
	}
	if (optind < argc)
		return vctl_usage(ctx, "top takes no arguments ('%s')", argv[optind]);
	if (o->sort == TOP_SORT_LAT && !o->trace)
		return vctl_usage(ctx, "--sort lat needs --trace (the latency comes from BPF)");
	return 0;
}

/* The BPF columns of every queue direction of @frame. */
static void add_trace(struct top_run *r, json_t *frame)
{
	static const char *const dirs[2] = { "rx", "tx" };
	json_t *row, *d;
	size_t i;
	unsigned int k;

	if (r->trace == NULL)
		return;
	json_array_foreach(json_object_get(frame, TOP_K_QUEUES), i, row) {
		for (k = 0; k < 2; k++) {
			d = json_object_get(row, dirs[k]);
			/* Virtqueue 2N is rx queue N, 2N+1 tx queue N. */
			if (d != NULL)
				json_object_set_new(d, TOP_K_TRACE,
						    top_trace_queue(r->trace, (uint16_t)jint(row, "port"),
								    (uint16_t)(2 * jint(row, "queue") + k)));
		}
	}
}

static void draw(struct top_run *r)
{
	/* A pipe gets tables as they come, never a redraw (SIGWINCH reaches "top | less" too). */
	if (r->frame == NULL || r->mode != MODE_SCREEN)
		return;
	top_term_size(&r->view.rows, &r->view.cols);
	top_render_screen(r->frame, &r->view, stdout);
}

/* A new sample, and the interval since the last as a frame on the way out. */
static int refresh(struct top_run *r)
{
	json_t *cur, *frame;
	double t;
	int rc;

	rc = top_sample(r->ctx, &cur);
	if (rc < 0)
		return rc;
	t = vctl_now();
	if (r->trace != NULL)
		top_trace_tick(r->trace);
	frame = top_frame(r->ctx, r->prev, cur, t - r->t_prev, t - r->t_start);
	json_decref(r->prev);
	r->prev = cur;
	r->t_prev = t;
	if (frame == NULL)
		return vctl_fail(r->ctx, -ENOMEM, "out of memory");
	add_trace(r, frame);
	json_decref(r->frame);
	r->frame = frame;
	if (r->mode == MODE_JSON)
		vctl_emit(r->ctx, json_incref(frame), NULL);
	else if (r->mode == MODE_PLAIN)
		top_render_plain(frame, &r->view, stdout);
	else
		draw(r);
	return 0;
}

/* Resume after a pause: rates from now on, not averaged over the pause. */
static int rebase(struct top_run *r)
{
	json_t *cur;
	int rc = top_sample(r->ctx, &cur);

	if (rc < 0)
		return rc;
	json_decref(r->prev);
	r->prev = cur;
	r->t_prev = vctl_now();
	if (r->trace != NULL)
		top_trace_tick(r->trace);
	return 0;
}

static void next_sort(struct top_run *r)
{
	do
		r->view.sort = (enum top_sort)((r->view.sort + 1) % TOP_SORT_MAX);
	while (r->view.sort == TOP_SORT_LAT && !r->view.trace);
}

/* A key: 1 to quit, 0 to go on, or an error. */
static int on_key(struct top_run *r, int key, double *next)
{
	int rc;

	switch (key) {
	case 'q':
	case 'Q':
		return 1;
	case 's':
		next_sort(r);
		draw(r);
		return 0;
	case 'p':
		r->view.paused = !r->view.paused;
		if (!r->view.paused) {
			rc = rebase(r);
			if (rc < 0)
				return rc;
			*next = r->t_prev + r->o.interval;
		}
		draw(r);
		return 0;
	default:
		return 0;
	}
}

/* Refresh on the interval's grid until q, a signal, --count, or an error. */
static int loop(struct top_run *r)
{
	double next = r->t_prev + r->o.interval, wait;
	int key, rc;

	for (;;) {
		if (stop_requested)
			return 0;
		if (resized) {
			resized = 0;
			draw(r);
		}
		wait = next - vctl_now();
		if (wait <= 0) {
			rc = r->view.paused ? top_alive(r->ctx) : refresh(r);
			if (rc < 0)
				return rc;
			if (!r->view.paused && r->o.count != 0 && ++r->shown >= r->o.count)
				return 0;
			next += r->o.interval;
			/* After a long stall (a slow reply), start from now rather than catch up. */
			if (next <= vctl_now())
				next = vctl_now() + r->o.interval;
			continue;
		}
		/* Short waits: a signal or a resize is seen within 200 ms whatever the interval. */
		key = top_term_key(wait > 0.2 ? 200 : (int)(wait * 1000) + 1);
		if (key < 0)
			return 0; /* the terminal is gone: nobody to show anything to */
		if (key > 0 && r->mode == MODE_SCREEN) {
			rc = on_key(r, key, &next);
			if (rc != 0)
				return rc > 0 ? 0 : rc;
		}
	}
}

static bool utf8_locale(void)
{
	setlocale(LC_CTYPE, "");
	return strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
}

static int start(struct top_run *r)
{
	int rc;

	rc = top_sample(r->ctx, &r->prev);
	if (rc < 0)
		return rc;
	r->t_start = r->t_prev = vctl_now();
	if (r->o.trace) {
		rc = top_trace_open(r->ctx, r->ctx->tel.pid, &r->trace);
		if (rc < 0)
			return rc;
	}
	if (r->mode != MODE_SCREEN)
		return 0;
	rc = top_term_enter();
	if (rc < 0)
		return vctl_fail(r->ctx, rc, "cannot set the terminal up: %s", strerror(-rc));
	/* Something to look at before the first interval is over. */
	r->frame = top_frame(r->ctx, NULL, r->prev, 0, 0);
	add_trace(r, r->frame);
	draw(r);
	return 0;
}

static int run(struct vctl_ctx *ctx, int argc, char **argv)
{
	struct top_run r = { .ctx = ctx, .o = { .interval = 1.0, .sort = TOP_SORT_QUEUE } };
	struct sigaction sa = { .sa_handler = on_stop }, wa = { .sa_handler = on_winch };
	struct sigaction old_int, old_term, old_hup, old_winch;
	int rc;

	rc = parse_opts(ctx, argc, argv, &r.o);
	if (rc == VCTL_HELP)
		return vctl_help(ctx);
	if (rc < 0)
		return rc;
	r.mode = ctx->json || ctx->pretty ? MODE_JSON
		 : isatty(STDOUT_FILENO) ? MODE_SCREEN
					 : MODE_PLAIN;
	r.view = (struct top_view){ .sort = (enum top_sort)r.o.sort, .trace = r.o.trace,
				    .utf8 = utf8_locale(), .interval = r.o.interval };

	stop_requested = resized = 0;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&wa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	sigaction(SIGWINCH, &wa, &old_winch);
	rc = start(&r);
	if (rc == 0)
		rc = loop(&r);
	/* One way out: the terminal first, so that main()'s message lands on the shell's screen. */
	top_term_leave();
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	sigaction(SIGWINCH, &old_winch, NULL);
	top_trace_close(r.trace);
	json_decref(r.prev);
	json_decref(r.frame);
	return rc;
}

static const char *const examples[] = {
	"vctl top", "every vpmd queue of the only application, live; q quits, s sorts, p pauses",
	"vctl top --prefix vu --sort rx_pps -i 2", "the application started with --file-prefix=vu, busiest rx first, every 2 s",
	"vctl top -n 5 | cat", "five plain tables, one a second",
	"vctl -j top -n 10", "ten JSON lines",
#ifdef VCTL_HAVE_TRACE
	"vctl top --trace", "with the kick-to-used latency from BPF (root)",
#endif
	NULL,
};

const struct vctl_cmd vctl_cmd_top = {
	.name = "top",
	.run = run,
#ifdef VCTL_HAVE_TRACE
	.synopsis = "[-i SECS] [-n N] [--sort KEY] [--trace]",
#else
	.synopsis = "[-i SECS] [-n N] [--sort KEY]",
#endif
	.summary = "watch every port and queue live: rates, bursts, kicks, ring occupancy",
	.description =
		"Shows every queue of every vpmd port of the application, refreshed every "
		"interval: per queue and direction, packets and bits per second, the burst-size "
		"histogram of the interval as a bar (bursts of 0, 1, 2-3, 4-7, 8-15, 16-31, 32 "
		"and more; on rx a burst of 0 is an empty poll), the share of empty polls (tx: of "
		"bursts that sent nothing), kicks and suppressed kicks per second, used entries "
		"refused in the interval, and the ring's occupancy (chains in flight over its "
		"size). On a terminal it takes the screen: q quits, s moves to the next sort "
		"order, p pauses and resumes. Otherwise it prints a plain table per refresh; "
		"under -j a JSON document per refresh, one a line. It ends with exit code 1 if "
		"the application exits meanwhile.",
	.opts = opts,
	.examples = examples,
};
