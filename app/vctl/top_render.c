/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vctl top's output: a frame (top_sample.c) as a plain table or on the
 * screen, sorted as the view says. Both print the same fixed-width rows,
 * so that a column does not jump about from one refresh to the next; the
 * screen cuts them to its size instead of letting the terminal wrap them.
 * -j needs nothing here: the frame is the JSON document.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "top.h"

/* Names for --sort and the header; "lat" only means something with --trace. */
static const char *const sort_names[TOP_SORT_MAX] = {
	[TOP_SORT_QUEUE] = "queue",    [TOP_SORT_RX_PPS] = "rx_pps", [TOP_SORT_TX_PPS] = "tx_pps",
	[TOP_SORT_RX_BPS] = "rx_bps",  [TOP_SORT_TX_BPS] = "tx_bps", [TOP_SORT_EMPTY] = "empty",
	[TOP_SORT_KICKS] = "kicks",    [TOP_SORT_REFUSED] = "refused", [TOP_SORT_RING] = "ring",
	[TOP_SORT_LAT] = "lat",
};

const char *top_sort_name(enum top_sort s)
{
	return s < TOP_SORT_MAX ? sort_names[s] : "?";
}

int top_sort_parse(const char *s)
{
	int i;

	for (i = 0; i < TOP_SORT_MAX; i++)
		if (strcmp(s, sort_names[i]) == 0)
			return i;
	return -EINVAL;
}

/* Nine heights of a bar cell: nothing, then eighths. */
static const char *const bar_utf8[9] = { " ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
static const char *const bar_ascii[9] = { " ", ".", ":", "-", "=", "+", "*", "#", "@" };

/* A JSON number as a number, anything else (null: no sample) as NaN: "-" in a cell. */
static double num_or_nan(const json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void fmt_rate(char *buf, size_t len, const json_t *v)
{
	vctl_fmt_rate(buf, len, num_or_nan(v));
}

static void fmt_ns(char *buf, size_t len, const json_t *v)
{
	vctl_fmt_ns(buf, len, num_or_nan(v));
}

static void fmt_share(char *buf, size_t len, const json_t *v)
{
	if (json_is_number(v))
		snprintf(buf, len, "%.1f%%", 100.0 * json_number_value(v));
	else
		snprintf(buf, len, "-");
}

static void fmt_real(char *buf, size_t len, const json_t *v)
{
	if (json_is_number(v))
		snprintf(buf, len, "%.1f", json_number_value(v));
	else
		snprintf(buf, len, "-");
}

/*
 * The burst histogram as "[" + a cell per bucket + "]": each cell as high
 * as its bucket's share of the interval's bursts, and never blank when the
 * bucket counted anything.
 */
static void fmt_bar(char *buf, size_t len, const json_t *bursts, bool utf8)
{
	const char *const *glyph = utf8 ? bar_utf8 : bar_ascii;
	uint64_t n[TOP_N_BUCKETS], all = 0;
	size_t used;
	unsigned int i, level;

	for (i = 0; i < TOP_N_BUCKETS; i++) {
		n[i] = (uint64_t)jint(bursts, top_bucket_keys[i]);
		all += n[i];
	}
	used = (size_t)snprintf(buf, len, "[");
	for (i = 0; i < TOP_N_BUCKETS && used < len; i++) {
		level = 0;
		if (n[i] != 0)
			level = 1 + (unsigned int)(7.0 * (double)n[i] / (double)all + 0.5);
		if (level > 8)
			level = 8;
		used += (size_t)snprintf(buf + used, len - used, "%s", glyph[level]);
	}
	if (used < len)
		snprintf(buf + used, len - used, "]");
}

#define HEAD_FMT "%4s %5s %-3s %8s %8s %-9s %6s %7s %7s %7s %10s"
#define HEAD_TRACE_FMT " %8s %8s %6s"

static void print_header(FILE *f, bool trace)
{
	fprintf(f, HEAD_FMT, "PORT", "QUEUE", "DIR", "PKT/S", "BIT/S", "BURSTS", "EMPTY",
		"KICK/S", "SUPP/S", "REFUSED", "RING");
	if (trace)
		fprintf(f, HEAD_TRACE_FMT, "LAT-P50", "LAT-P99", "ENT/U");
	fputc('\n', f);
}

/* One direction of a queue, or the word that it is down. */
static void print_dir(FILE *f, const json_t *row, const char *dir, const struct top_view *v)
{
	const json_t *d = jobj(row, dir), *tr = jobj(d, TOP_K_TRACE);
	char pps[16], bps[16], bar[64], empty[16], kicks[16], supp[16], refused[24], ring[24];
	char p50[16], p99[16], ent[16];

	if (d == NULL) {
		fprintf(f, "%4lld %5lld %-3s rings down\n", (long long)jint(row, "port"),
			(long long)jint(row, "queue"), dir);
		return;
	}
	fmt_rate(pps, sizeof(pps), jobj(d, TOP_K_PPS));
	fmt_rate(bps, sizeof(bps), jobj(d, TOP_K_BPS));
	fmt_bar(bar, sizeof(bar), jobj(d, TOP_K_BURSTS), v->utf8);
	fmt_share(empty, sizeof(empty), jobj(d, TOP_K_EMPTY));
	fmt_rate(kicks, sizeof(kicks), jobj(d, TOP_K_KICKS));
	fmt_rate(supp, sizeof(supp), jobj(d, TOP_K_SUPP));
	if (json_is_integer(jobj(d, TOP_K_REFUSED)))
		snprintf(refused, sizeof(refused), "%lld", (long long)jint(d, TOP_K_REFUSED));
	else
		snprintf(refused, sizeof(refused), "-");
	snprintf(ring, sizeof(ring), "%lld/%lld", (long long)jint(d, TOP_K_INFLIGHT),
		 (long long)jint(d, TOP_K_SIZE));
	/* %s, not %-9s: the bar's cells may be multibyte, and it is 9 columns wide already. */
	fprintf(f, "%4lld %5lld %-3s %8s %8s %s %6s %7s %7s %7s %10s",
		(long long)jint(row, "port"), (long long)jint(row, "queue"), dir, pps, bps, bar,
		empty, kicks, supp, refused, ring);
	if (v->trace) {
		fmt_ns(p50, sizeof(p50), jobj(jobj(tr, TOP_K_LAT), "p50"));
		fmt_ns(p99, sizeof(p99), jobj(jobj(tr, TOP_K_LAT), "p99"));
		fmt_real(ent, sizeof(ent), jobj(tr, TOP_K_ENTRIES));
		fprintf(f, HEAD_TRACE_FMT, p50, p99, ent);
	}
	fputc('\n', f);
}

/* What a row is sorted by: larger first, but for TOP_SORT_QUEUE. Missing: -1. */
static double num_of(const json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : -1;
}

static double occupancy(const json_t *d)
{
	return jint(d, TOP_K_SIZE) > 0 ? (double)jint(d, TOP_K_INFLIGHT) / (double)jint(d, TOP_K_SIZE)
				       : -1;
}

static double sort_key(const json_t *row, enum top_sort s)
{
	const json_t *rx = jobj(row, "rx"), *tx = jobj(row, "tx");

	switch (s) {
	case TOP_SORT_RX_PPS:
		return num_of(jobj(rx, TOP_K_PPS));
	case TOP_SORT_TX_PPS:
		return num_of(jobj(tx, TOP_K_PPS));
	case TOP_SORT_RX_BPS:
		return num_of(jobj(rx, TOP_K_BPS));
	case TOP_SORT_TX_BPS:
		return num_of(jobj(tx, TOP_K_BPS));
	case TOP_SORT_EMPTY:
		return num_of(jobj(rx, TOP_K_EMPTY));
	case TOP_SORT_KICKS:
		return num_of(jobj(rx, TOP_K_KICKS)) + num_of(jobj(tx, TOP_K_KICKS));
	case TOP_SORT_REFUSED:
		return num_of(jobj(rx, TOP_K_REFUSED)) + num_of(jobj(tx, TOP_K_REFUSED));
	case TOP_SORT_RING:
		return fmax(occupancy(rx), occupancy(tx));
	case TOP_SORT_LAT:
		return fmax(num_of(jobj(jobj(jobj(rx, TOP_K_TRACE), TOP_K_LAT), "p99")),
			    num_of(jobj(jobj(jobj(tx, TOP_K_TRACE), TOP_K_LAT), "p99")));
	default:
		return 0;
	}
}

struct sorted {
	const json_t *row;
	double key;
};

static int sorted_cmp(const void *a, const void *b)
{
	const struct sorted *x = a, *y = b;

	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	/* Ties, and the queue order itself: port, then queue. */
	if (jint(x->row, "port") != jint(y->row, "port"))
		return jint(x->row, "port") < jint(y->row, "port") ? -1 : 1;
	return (jint(x->row, "queue") > jint(y->row, "queue")) -
	       (jint(x->row, "queue") < jint(y->row, "queue"));
}

/* The frame's rows in the view's order; @n set. NULL when there are none. */
static struct sorted *sort_rows(const json_t *frame, enum top_sort s, size_t *n)
{
	const json_t *rows = jobj(frame, TOP_K_QUEUES);
	struct sorted *out;
	size_t i;

	*n = json_array_size(rows);
	out = *n ? calloc(*n, sizeof(*out)) : NULL;
	if (out == NULL) {
		*n = 0;
		return NULL;
	}
	for (i = 0; i < *n; i++) {
		out[i].row = json_array_get(rows, i);
		out[i].key = sort_key(out[i].row, s);
	}
	qsort(out, *n, sizeof(*out), sorted_cmp);
	return out;
}

/* The header and the rows: what both outputs share. */
static void print_table(const json_t *frame, const struct top_view *v, FILE *f)
{
	struct sorted *rows;
	size_t n, i;

	print_header(f, v->trace);
	rows = sort_rows(frame, v->sort, &n);
	for (i = 0; i < n; i++) {
		print_dir(f, rows[i].row, "rx", v);
		print_dir(f, rows[i].row, "tx", v);
	}
	if (n == 0)
		fprintf(f, "(no vpmd queue)\n");
	free(rows);
}

static void print_title(const json_t *frame, const struct top_view *v, FILE *f)
{
	const json_t *secs = jobj(frame, "interval_s");

	fprintf(f, "vctl top: '%s' (pid %lld), ", jstr(frame, "prefix"), (long long)jint(frame, "pid"));
	if (json_is_number(secs))
		fprintf(f, "%.2f s at %.1f s", json_number_value(secs),
			json_number_value(jobj(frame, "time_s")));
	else
		fprintf(f, "first sample, rates in %.1f s", v->interval);
	fprintf(f, ", sort %s", top_sort_name(v->sort));
}

void top_render_plain(const json_t *frame, const struct top_view *v, FILE *f)
{
	print_title(frame, v, f);
	fputc('\n', f);
	print_table(frame, v, f);
	fputc('\n', f);
	fflush(f);
}

/* Write @line cut to @cols columns: a UTF-8 character is one column, whatever its bytes. */
static void put_cut(FILE *f, const char *line, size_t len, int cols)
{
	int shown = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		bool lead = ((unsigned char)line[i] & 0xc0) != 0x80;

		if (lead && shown++ == cols)
			break;
		fputc(line[i], f);
	}
}

static int count_lines(const char *text)
{
	int n = 0;

	for (; *text != '\0'; text++)
		n += *text == '\n';
	return n;
}

/*
 * The screen's lines from @text, each cut and cleared to its end, as many
 * as fit; when some do not, the last row says how many are hidden.
 */
static void put_lines(FILE *f, const char *text, int rows, int cols)
{
	const char *p = text, *nl;
	int total = count_lines(text), row = 0;
	char more[64];

	while (*p != '\0' && row < rows) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		/* No newline after the last row: it would scroll the screen. */
		if (row > 0)
			fputc('\n', f);
		if (row == rows - 1 && total > rows) {
			snprintf(more, sizeof(more), "(%d more rows)", total - row);
			put_cut(f, more, strlen(more), cols);
		} else {
			put_cut(f, p, (size_t)(nl - p), cols);
		}
		fputs("\033[K", f);
		row++;
		p = *nl ? nl + 1 : nl;
	}
	fputs("\033[J", f);
}

void top_render_screen(const json_t *frame, const struct top_view *v, FILE *f)
{
	char *buf = NULL, clock[16];
	size_t len = 0;
	time_t now = time(NULL);
	FILE *m = open_memstream(&buf, &len);

	if (m == NULL)
		return;
	strftime(clock, sizeof(clock), "%H:%M:%S", localtime(&now));
	print_title(frame, v, m);
	fprintf(m, "  %s%s\n", clock, v->paused ? "  PAUSED" : "");
	fprintf(m, "keys: q quit, s sort (now %s), p %s\n\n", top_sort_name(v->sort),
		v->paused ? "resume" : "pause");
	print_table(frame, v, m);
	fclose(m);
	/* One write per frame, from the top left: no flicker. */
	fputs("\033[H", f);
	put_lines(f, buf, v->rows, v->cols);
	fflush(f);
	free(buf);
}
