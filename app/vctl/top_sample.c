/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vctl top: telemetry samples, and the rates between two of them.
 *
 * A sample is /vpmd/list and, for every queue of every port whose rings
 * run, /vpmd/queue,PORT,QUEUE,DIR without descriptors: the queue's own
 * counters ("pmd": packets, bytes, burst buckets), the ring's ("stats":
 * kicks, suppressed kicks, refusals) and its occupancy (inflight, size).
 * Each reply is a few hundred bytes, so none comes near telemetry's
 * 16 KiB cap and nothing needs paging. xstats would give the counters in
 * one request per port, but not the occupancy.
 *
 * The counters only grow, except when the driver starts them over: a
 * ring rebuilt after a reconnect has new ring counters, a stats reset
 * clears the queue's. A counter found lower than before counts from
 * zero again: the interval's part is its value.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "top.h"

#define KEY_LEN 32
/* ethdev's RTE_MAX_QUEUES_PER_PORT: a port that says more is not one of ours. */
#define TOP_MAX_QUEUES 1024

const char *const top_bucket_keys[TOP_N_BUCKETS] = { "0", "1", "2_3", "4_7", "8_15", "16_31",
						     "32_plus" };

/* The driver's names of the buckets in "pmd": a poll that found nothing is rx's burst of 0. */
static const char *const rx_buckets[TOP_N_BUCKETS] = {
	"empty_polls", "bursts_1", "bursts_2_3", "bursts_4_7", "bursts_8_15", "bursts_16_31",
	"bursts_32_plus",
};
static const char *const tx_buckets[TOP_N_BUCKETS] = {
	"bursts_0", "bursts_1", "bursts_2_3", "bursts_4_7", "bursts_8_15", "bursts_16_31",
	"bursts_32_plus",
};

static void queue_key(char *buf, size_t len, const char *port, json_int_t q, const char *dir)
{
	snprintf(buf, len, "%s/%lld/%s", port, (long long)q, dir);
}

static int exited(struct vctl_ctx *ctx)
{
	return vctl_fail(ctx, -ESRCH,
			 "the application '%s' (pid %ld) has exited: its telemetry socket closed",
			 ctx->tel.prefix, ctx->tel.pid);
}

/*
 * The telemetry socket failed: if the application is gone, say that
 * rather than the socket's symptom.
 */
static int gone(struct vctl_ctx *ctx, int rc)
{
	if (rc == -ECONNRESET || rc == -EPIPE || rc == -ENOTCONN)
		return exited(ctx);
	if (kill((pid_t)ctx->tel.pid, 0) != 0 && errno == ESRCH)
		return exited(ctx);
	return rc;
}

int top_alive(struct vctl_ctx *ctx)
{
	json_t *list;
	int rc;

	/* Through the socket, as every sample: the pid may be another namespace's. */
	rc = vctl_request_list(ctx, &list);
	if (rc < 0)
		return gone(ctx, rc);
	json_decref(list);
	return 0;
}

/* Port entry @e's queue count from /vpmd/list, 0 when it makes no sense. */
static json_int_t port_queues(const json_t *e)
{
	json_int_t n = jint(e, "queues");

	return n >= 0 && n <= TOP_MAX_QUEUES ? n : 0;
}

/*
 * One queue's state into @queues under its key. A null reply (the port
 * stopped or closed between the list and this request) leaves it out;
 * only a failing socket is an error.
 */
static int sample_queue(struct vctl_ctx *ctx, json_t *queues, const char *port, json_int_t q,
			const char *dir)
{
	char key[KEY_LEN];
	json_t *v;
	int rc;

	rc = vctl_request(ctx, &v, "/vpmd/queue", "%s,%lld,%s", port, (long long)q, dir);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return gone(ctx, rc);
	queue_key(key, sizeof(key), port, q, dir);
	if (jint(v, "running") && json_is_object(jobj(v, "pmd")))
		json_object_set(queues, key, v);
	json_decref(v);
	return 0;
}

int top_sample(struct vctl_ctx *ctx, json_t **out)
{
	json_t *list, *queues, *e;
	const char *port;
	json_int_t q;
	int rc;

	*out = NULL;
	rc = vctl_request_list(ctx, &list);
	if (rc < 0)
		return ctx->connected ? gone(ctx, rc) : rc;
	queues = json_object();
	json_object_foreach(json_object_get(list, "ports"), port, e) {
		if (!jint(e, "running"))
			continue;
		/* Each queue is two requests: a count past ethdev's limit would never end. */
		if (port_queues(e) != jint(e, "queues")) {
			rc = vctl_fail(ctx, -EPROTO, "port %s reports %lld queues: not a vpmd reply (at most %d)",
				       port, (long long)jint(e, "queues"), TOP_MAX_QUEUES);
			break;
		}
		for (q = 0; q < port_queues(e) && rc == 0; q++) {
			rc = sample_queue(ctx, queues, port, q, "rx");
			if (rc == 0)
				rc = sample_queue(ctx, queues, port, q, "tx");
		}
		if (rc < 0)
			break;
	}
	if (rc < 0) {
		json_decref(queues);
		json_decref(list);
		return rc;
	}
	*out = json_pack("{s:O, s:o}", "ports", json_object_get(list, "ports"), "queues", queues);
	json_decref(list);
	return *out != NULL ? 0 : vctl_fail(ctx, -ENOMEM, "out of memory");
}

/* @key of @cur less @prev's; the value itself when the counter started over. */
static uint64_t delta(const json_t *cur, const json_t *prev, const char *key)
{
	uint64_t c = (uint64_t)jint(cur, key), p = (uint64_t)jint(prev, key);

	return c >= p ? c - p : c;
}

static uint64_t refused_sum(const json_t *stats)
{
	const char *k;
	json_t *v;
	uint64_t n = 0;

	json_object_foreach((json_t *)jobj(stats, "refused"), k, v)
		n += (uint64_t)json_integer_value(v);
	return n;
}

/* NAN as JSON null: a rate with nothing to divide by. */
static json_t *num(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

/* The burst buckets over the interval, and the share of bursts that moved nothing. */
static void add_bursts(json_t *o, const json_t *pmd, const json_t *ppmd, bool rx)
{
	const char *const *names = rx ? rx_buckets : tx_buckets;
	json_t *b = json_object();
	uint64_t d[TOP_N_BUCKETS], all = 0;
	unsigned int i;

	for (i = 0; i < TOP_N_BUCKETS; i++) {
		d[i] = ppmd != NULL ? delta(pmd, ppmd, names[i]) : (uint64_t)jint(pmd, names[i]);
		all += d[i];
		json_object_set_new(b, top_bucket_keys[i], json_integer((json_int_t)d[i]));
	}
	json_object_set_new(o, TOP_K_BURSTS, b);
	json_object_set_new(o, TOP_K_EMPTY, num(all ? (double)d[0] / (double)all : NAN));
}

/*
 * One direction of one queue: totals, rates over @secs since @prev (NULL:
 * a queue seen for the first time, no rates), occupancy.
 */
static json_t *dir_json(const json_t *cur, const json_t *prev, double secs, bool rx)
{
	const json_t *pmd = jobj(cur, "pmd"), *st = jobj(cur, "stats");
	const json_t *ppmd = prev ? jobj(prev, "pmd") : NULL, *pst = prev ? jobj(prev, "stats") : NULL;
	uint64_t refused = refused_sum(st), prefused = pst ? refused_sum(pst) : 0;
	json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I}", "packets", jint(pmd, "packets"), "bytes",
			      jint(pmd, "bytes"), "refused_total", (json_int_t)refused,
			      TOP_K_INFLIGHT, jint(cur, "inflight"), TOP_K_SIZE, jint(cur, "size"));

	if (o == NULL)
		return NULL;
	if (prev != NULL && secs > 0) {
		json_object_set_new(o, TOP_K_PPS, json_real((double)delta(pmd, ppmd, "packets") / secs));
		json_object_set_new(o, TOP_K_BPS,
				    json_real(8.0 * (double)delta(pmd, ppmd, "bytes") / secs));
		json_object_set_new(o, TOP_K_KICKS, json_real((double)delta(st, pst, "kicks") / secs));
		json_object_set_new(o, TOP_K_SUPP,
				    json_real((double)delta(st, pst, "kicks_suppressed") / secs));
		json_object_set_new(o, TOP_K_REFUSED, json_integer((json_int_t)(
			refused >= prefused ? refused - prefused : refused)));
	} else {
		json_object_set_new(o, TOP_K_PPS, json_null());
		json_object_set_new(o, TOP_K_BPS, json_null());
		json_object_set_new(o, TOP_K_KICKS, json_null());
		json_object_set_new(o, TOP_K_SUPP, json_null());
		json_object_set_new(o, TOP_K_REFUSED, json_null());
	}
	add_bursts(o, pmd, ppmd, rx);
	return o;
}

/* The row of queue @q of @port: both directions, the ones that answered. */
static json_t *queue_row(const json_t *prev, const json_t *cur, const char *port,
			 const json_t *entry, json_int_t q, double secs)
{
	static const char *const dirs[2] = { "rx", "tx" };
	json_t *row, *c, *p;
	char key[KEY_LEN];
	bool running = false;
	unsigned int i;

	row = json_pack("{s:I, s:I, s:s}", "port", (json_int_t)strtol(port, NULL, 10), "queue", q,
			"name", jstr(entry, "name"));
	for (i = 0; row != NULL && i < 2; i++) {
		queue_key(key, sizeof(key), port, q, dirs[i]);
		c = json_object_get(json_object_get(cur, "queues"), key);
		p = prev != NULL ? json_object_get(json_object_get(prev, "queues"), key) : NULL;
		if (c == NULL)
			continue;
		running = true;
		json_object_set_new(row, dirs[i], dir_json(c, p, secs, i == 0));
	}
	if (row != NULL)
		json_object_set_new(row, "running", json_integer(running));
	return row;
}

json_t *top_frame(struct vctl_ctx *ctx, const json_t *prev, const json_t *cur, double secs,
		  double time_s)
{
	json_t *rows = json_array(), *e;
	const char *port;
	json_int_t q;

	json_object_foreach(json_object_get(cur, "ports"), port, e)
		for (q = 0; q < port_queues(e); q++)
			json_array_append_new(rows, queue_row(prev, cur, port, e, q, secs));
	return json_pack("{s:s, s:I, s:f, s:o, s:o}", "prefix", ctx->tel.prefix, "pid",
			 (json_int_t)ctx->tel.pid, "time_s", time_s, "interval_s",
			 prev != NULL ? json_real(secs) : json_null(), TOP_K_QUEUES, rows);
}
