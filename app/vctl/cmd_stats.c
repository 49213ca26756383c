/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vctl stats: a port's ethdev counters (/vpmd/stats) and xstats
 * (/vpmd/xstats, page by page); with --watch, again every SECS seconds
 * with the rate of each counter per second since the sample before.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmds.h"

enum { OPT_WATCH = 0x200, OPT_COUNT };

static const struct vctl_opt opts[] = {
	{ "watch", OPT_WATCH, "SECS", "sample again every SECS seconds, with rates per second; "
				      "until interrupted" },
	{ "count", OPT_COUNT, "N", "with --watch: stop after N samples" },
	{ NULL, 0, NULL, NULL },
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void add_rows(struct table *t, const json_t *counters, const json_t *rates)
{
	const char *k;
	json_t *c, *r;

	json_object_foreach((json_t *)counters, k, c) {
		if (!json_is_integer(c))
			continue;
		r = json_object_get(rates, k);
		if (r != NULL)
			table_addf(t, "%s\t%lld\t%.0f", k, (long long)json_integer_value(c),
				   json_real_value(r));
		else
			table_addf(t, "%s\t%lld\t", k, (long long)json_integer_value(c));
	}
}

static void stats_text(const json_t *v, FILE *f)
{
	static const char *const head[] = { "COUNTER", "VALUE", "RATE/S" };
	const json_t *rates = jobj(v, "rates");
	struct table *t;

	fprintf(f, "port %lld", (long long)jint(v, "port"));
	if (jobj(v, "interval") != NULL)
		fprintf(f, ", rates over %.2f s", json_real_value(jobj(v, "interval")));
	fputc('\n', f);
	if (!jint(v, "started")) {
		fprintf(f, "  stopped: no counters\n");
		return;
	}
	t = table_new(rates != NULL ? 3 : 2, head);
	add_rows(t, jobj(v, "stats"), rates);
	add_rows(t, jobj(v, "xstats"), rates);
	table_print(t, f);
	table_free(t);
	if (!jint(v, "running"))
		fprintf(f, "  rings down (backend away): no ring xstats\n");
}

/* Every xstat, page after page. */
static int xstats_all(struct vctl_ctx *ctx, uint16_t port, json_t *out)
{
	json_int_t start = 0, total;
	json_t *page;
	int rc;

	do {
		rc = vctl_request(ctx, &page, "/vpmd/xstats", "%u,%lld", port, (long long)start);
		if (rc < 0)
			return rc;
		if (!jint(page, "running")) {
			json_decref(page);
			return 0;
		}
		total = jint(page, "total");
		if (jint(page, "start") != start || (jint(page, "count") <= 0 && start < total)) {
			json_decref(page);
			return vctl_fail(ctx, -EBADMSG, "port %u: xstats pages do not follow each other",
					 port);
		}
		json_object_update(out, json_object_get(page, "xstats"));
		start += jint(page, "count");
		json_decref(page);
	} while (start < total);
	return 0;
}

static int sample(struct vctl_ctx *ctx, uint16_t port, json_t **out)
{
	json_t *s, *v, *stats, *xstats = json_object();
	int rc;

	rc = vctl_request(ctx, &s, "/vpmd/stats", "%u", port);
	if (rc < 0) {
		json_decref(xstats);
		return rc;
	}
	stats = json_object();
	json_object_update(stats, s);
	json_object_del(stats, "port");
	json_object_del(stats, "started");
	json_object_del(stats, "running");
	rc = jint(s, "started") ? xstats_all(ctx, port, xstats) : 0;
	v = json_pack("{s:i, s:O, s:O, s:o, s:o}", "port", port, "started",
		      json_object_get(s, "started"), "running", json_object_get(s, "running"),
		      "stats", stats, "xstats", xstats);
	json_decref(s);
	if (rc < 0) {
		json_decref(v);
		return rc;
	}
	*out = v;
	return 0;
}

/* Per-second rates of every counter in @cur's and @prev's @key objects. */
static void rates_add(json_t *rates, const json_t *cur, const json_t *prev, double dt)
{
	const char *k;
	json_t *c, *p;

	json_object_foreach((json_t *)cur, k, c) {
		p = json_object_get(prev, k);
		if (json_is_integer(c) && json_is_integer(p))
			json_object_set_new(rates, k,
					    json_real((double)(json_integer_value(c) -
							       json_integer_value(p)) / dt));
	}
}

static int run(struct vctl_ctx *ctx, int argc, char **argv)
{
	uint32_t watch = 0, count = 0, n;
	json_t *cur, *prev = NULL, *rates;
	double t_prev = 0, t_cur;
	struct timespec ts;
	uint16_t port;
	char *arg;
	int key, rc;

	while ((key = vctl_getopt(ctx, argc, argv, &arg)) != -1) {
		if (key == VCTL_HELP)
			return vctl_help(ctx);
		if (key < 0)
			return key;
		if (key == OPT_WATCH && (vctl_parse_u32(ctx, "--watch", arg, &watch) < 0 || watch == 0))
			return vctl_usage(ctx, "--watch '%s': expected a number of seconds, 1 or more",
					  arg);
		if (key == OPT_COUNT && (vctl_parse_u32(ctx, "--count", arg, &count) < 0 || count == 0))
			return vctl_usage(ctx, "--count '%s': expected a number of samples, 1 or more",
					  arg);
	}
	if (argc - optind != 1)
		return vctl_usage(ctx, "stats takes one argument: PORT");
	if (count != 0 && watch == 0)
		return vctl_usage(ctx, "--count goes with --watch");
	rc = vctl_port_check(ctx, argv[optind], &port, NULL);
	if (rc < 0)
		return rc;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (n = 0; !interrupted; n++) {
		t_cur = vctl_now();
		rc = sample(ctx, port, &cur);
		if (rc < 0)
			break;
		if (prev != NULL) {
			rates = json_object();
			rates_add(rates, jobj(cur, "stats"), jobj(prev, "stats"), t_cur - t_prev);
			rates_add(rates, jobj(cur, "xstats"), jobj(prev, "xstats"), t_cur - t_prev);
			json_object_set_new(cur, "interval", json_real(t_cur - t_prev));
			json_object_set_new(cur, "rates", rates);
		}
		json_decref(prev);
		prev = json_incref(cur);
		t_prev = t_cur;
		vctl_emit(ctx, cur, stats_text);
		if (watch == 0 || (count != 0 && n + 1 >= count))
			break;
		if (!ctx->json && !ctx->pretty)
			fputc('\n', stdout);
		ts.tv_sec = watch;
		ts.tv_nsec = 0;
		while (!interrupted && nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	json_decref(prev);
	return rc;
}

static const char *const examples[] = {
	"vctl stats 0", "port 0's counters and xstats",
	"vctl stats 0 --watch 1", "the same every second, with rates per second",
	"vctl -j stats 0 --watch 2 --count 5", "five samples, one JSON document per line",
	NULL,
};

const struct vctl_cmd vctl_cmd_stats = {
	.name = "stats",
	.run = run,
	.synopsis = "PORT [--watch SECS [--count N]]",
	.summary = "show a port's counters and xstats, or watch their rates",
	.description =
		"Shows a port's ethdev counters (packets, bytes, errors, missed, mbuf allocation "
		"failures) and its xstats (per queue: packets, bytes, errors, kicks, suppressed "
		"kicks, ring full, chains added and used, frames the receive filter dropped, used "
		"entries refused by reason). With "
		"--watch, samples again every SECS seconds and adds each counter's rate per second "
		"since the sample before; under -j each sample is one JSON document on its own line.",
	.args = { VCTL_ARG_PORT },
	.opts = opts,
	.examples = examples,
};
