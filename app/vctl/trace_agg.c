/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vctl trace: the per-queue map as numbers. The BPF programs only add to
 * their counters, so an interval is the difference of two snapshots; the
 * latency histogram gives percentiles to within its bucket width.
 */
#include <math.h>
#include <stdlib.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "trace_int.h"
#include "vpmd_trace.skel.h"

static int key_cmp(const void *a, const void *b)
{
	const struct qsnap *x = a, *y = b;

	if (x->key.port != y->key.port)
		return x->key.port < y->key.port ? -1 : 1;
	return (x->key.queue > y->key.queue) - (x->key.queue < y->key.queue);
}

void trace_snapshot(struct trace_ctx *t)
{
	int fd = bpf_map__fd(t->skel->maps.queues);
	struct vpmd_trace_key key, next;
	void *prev_key = NULL;
	unsigned int n = 0;

	/*
	 * The programs keep adding while we walk: each queue's counters are
	 * read at a slightly different instant, which a rate over a second
	 * does not notice.
	 */
	while (n < TRACE_MAX_QUEUES && bpf_map_get_next_key(fd, prev_key, &next) == 0) {
		if (bpf_map_lookup_elem(fd, &next, &t->cur[n].st) == 0) {
			t->cur[n].key = next;
			n++;
		}
		key = next;
		prev_key = &key;
	}
	qsort(t->cur, n, sizeof(t->cur[0]), key_cmp);
	t->n_cur = n;
}

int trace_find_queue(const struct trace_ctx *t, uint16_t port, uint16_t vq)
{
	unsigned int i;

	for (i = 0; i < t->n_cur; i++)
		if (t->cur[i].key.port == port && t->cur[i].key.queue == vq)
			return (int)i;
	return -1;
}

static const struct vpmd_trace_qstats *find_prev(const struct trace_ctx *t,
						 const struct vpmd_trace_key *key)
{
	unsigned int i;

	for (i = 0; i < t->n_prev; i++)
		if (t->prev[i].key.port == key->port && t->prev[i].key.queue == key->queue)
			return &t->prev[i].st;
	return NULL;
}

void trace_delta(const struct trace_ctx *t, unsigned int i, struct vpmd_trace_qstats *d)
{
	const struct vpmd_trace_qstats *b = find_prev(t, &t->cur[i].key);
	const uint64_t *pa = (const uint64_t *)&t->cur[i].st, *pb = (const uint64_t *)b;
	uint64_t *pd = (uint64_t *)d;
	size_t k;

	/* Field by field: everything in the struct is a counter. */
	for (k = 0; k < sizeof(*d) / sizeof(uint64_t); k++)
		pd[k] = pa[k] - (pb != NULL ? pb[k] : 0);
}

void trace_rotate(struct trace_ctx *t)
{
	struct qsnap *tmp = t->prev;

	t->prev = t->cur;
	t->cur = tmp;
	t->n_prev = t->n_cur;
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

double trace_lat_percentile(const struct vpmd_trace_qstats *st, double p)
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

double trace_ratio(uint64_t a, uint64_t b)
{
	return b == 0 ? NAN : (double)a / (double)b;
}

double trace_elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}
