/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vctl ring: one ring's state and its descriptors. A telemetry reply
 * holds a page of descriptors (as many as fit in 16 KiB); vctl asks page
 * after page and puts the columns end to end. Each page is read at its
 * own instant while the datapath runs: the state shown is the first
 * page's, and descriptors of different pages are from different moments.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "queue_fmt.h"

enum { OPT_DESC = 0x200 };

static const struct vctl_opt opts[] = {
	{ "desc", OPT_DESC, "START:COUNT",
	  "only descriptors START to START+COUNT-1 (COUNT 0: none; START: alone, to the end); "
	  "default: all" },
	{ NULL, 0, NULL, NULL },
};

static void ring_text(const json_t *v, FILE *f)
{
	const json_t *st = jobj(v, "stats"), *ref = jobj(st, "refused"), *n = jobj(v, "notifications");
	const json_t *d = jobj(v, "descs"), *idx = jobj(d, "index"), *addr = jobj(d, "addr"),
		     *len = jobj(d, "len"), *flags = jobj(d, "flags");
	bool packed = strcmp(jstr(v, "layout"), "packed") == 0;
	const json_t *link = jobj(d, packed ? "id" : "next"), *r;
	static const char *const head_split[] = { "INDEX", "ADDR", "LEN", "FLAGS", "NEXT" };
	static const char *const head_packed[] = { "INDEX", "ADDR", "LEN", "FLAGS", "ID" };
	struct table *t;
	char avail[32], used[32];
	const char *k;
	size_t i;

	queue_avail(v, avail, sizeof(avail));
	queue_used(v, used, sizeof(used));
	fprintf(f, "port %lld %s queue %lld (virtqueue %lld): %s ring of %lld%s\n",
		(long long)jint(v, "port"), jstr(v, "dir"), (long long)jint(v, "queue"),
		(long long)jint(v, "index"), jstr(v, "layout"), (long long)jint(v, "size"),
		jint(v, "broken") ? ", BROKEN" : "");
	if (packed)
		fprintf(f, "  next avail %s, next used %s\n", avail, used);
	else
		fprintf(f, "  avail_idx %s (published %lld), used_idx %s, last_used_idx %lld\n", avail,
			(long long)jint(v, "avail_idx_published"), used,
			(long long)jint(v, "last_used_idx"));
	fprintf(f, "  inflight %lld, free %lld\n", (long long)jint(v, "inflight"),
		(long long)jint(v, "free"));
	if (packed)
		fprintf(f, "  notifications: driver event %s, device event %s (offset %lld wrap %lld)\n",
			jstr(jobj(n, "driver_event"), "flags"), jstr(jobj(n, "device_event"), "flags"),
			(long long)jint(jobj(n, "device_event"), "offset"),
			(long long)jint(jobj(n, "device_event"), "wrap"));
	else
		fprintf(f, "  notifications: driver to device %s, device to driver %s\n",
			jstr(n, "driver_to_device"), jstr(n, "device_to_driver"));
	fprintf(f, "  chains added %lld, used %lld; kicks %lld, suppressed %lld; ring full %lld\n",
		(long long)jint(st, "chains_added"), (long long)jint(st, "chains_used"),
		(long long)jint(st, "kicks"), (long long)jint(st, "kicks_suppressed"),
		(long long)jint(st, "ring_full"));
	fprintf(f, "  refused:");
	json_object_foreach((json_t *)ref, k, r)
		fprintf(f, " %s %lld", k, (long long)json_integer_value(r));
	fputc('\n', f);
	if (jint(v, "desc_count") == 0)
		return;
	fprintf(f, "descriptors %lld to %lld (%lld page%s):\n", (long long)jint(v, "desc_start"),
		(long long)(jint(v, "desc_start") + jint(v, "desc_count") - 1),
		(long long)jint(v, "pages"), jint(v, "pages") == 1 ? "" : "s");
	t = table_new(5, packed ? head_packed : head_split);
	for (i = 0; i < json_array_size(idx); i++) {
		const char *fl = json_string_value(json_array_get(flags, i));

		table_addf(t, "%lld\t%s\t%lld\t%s\t%lld",
			   (long long)json_integer_value(json_array_get(idx, i)),
			   json_string_value(json_array_get(addr, i)),
			   (long long)json_integer_value(json_array_get(len, i)),
			   fl != NULL && fl[0] ? fl : "-",
			   (long long)json_integer_value(json_array_get(link, i)));
	}
	table_print(t, f);
	table_free(t);
}

/* --desc START:COUNT, START: or START */
static int parse_desc(struct vctl_ctx *ctx, const char *s, uint32_t *start, uint32_t *count,
		      bool *to_end)
{
	char buf[64];
	char *colon;

	if (strlen(s) >= sizeof(buf))
		return vctl_usage(ctx, "--desc '%s': expected START:COUNT", s);
	strcpy(buf, s);
	colon = strchr(buf, ':');
	*to_end = colon == NULL || colon[1] == '\0';
	if (colon != NULL)
		*colon = '\0';
	if (vctl_parse_u32(ctx, "--desc START", buf, start) < 0)
		return -EINVAL;
	if (!*to_end && vctl_parse_u32(ctx, "--desc COUNT", colon + 1, count) < 0)
		return -EINVAL;
	return 0;
}

/* Append page @p's columns to @acc's. */
static int columns_append(json_t *acc, const json_t *p)
{
	const char *k;
	json_t *col, *have;

	json_object_foreach((json_t *)p, k, col) {
		have = json_object_get(acc, k);
		if (have == NULL) {
			if (json_object_set_new(acc, k, json_array()) < 0)
				return -ENOMEM;
			have = json_object_get(acc, k);
		}
		if (!json_is_array(col) || json_array_extend(have, col) < 0)
			return -EBADMSG;
	}
	return 0;
}

static int run(struct vctl_ctx *ctx, int argc, char **argv)
{
	uint32_t start = 0, count = 0, size, got = 0, want;
	bool to_end = true, rx;
	uint16_t port, queue;
	json_t *v, *entry, *page, *descs;
	int key, rc, pages = 0;
	const char *dir;
	char *arg;

	while ((key = vctl_getopt(ctx, argc, argv, &arg)) != -1) {
		if (key == VCTL_HELP)
			return vctl_help(ctx);
		if (key < 0)
			return key;
		if (key == OPT_DESC && parse_desc(ctx, arg, &start, &count, &to_end) < 0)
			return -EINVAL;
	}
	if (argc - optind != 3)
		return vctl_usage(ctx, "ring takes three arguments: PORT QUEUE rx|tx");
	if (vctl_parse_u16(ctx, "port", argv[optind], &port) < 0 ||
	    vctl_parse_u16(ctx, "queue", argv[optind + 1], &queue) < 0 ||
	    vctl_parse_dir(ctx, argv[optind + 2], &rx) < 0)
		return -EINVAL;
	dir = rx ? "rx" : "tx";
	rc = vctl_port_check(ctx, argv[optind], &port, &entry);
	if (rc < 0)
		return rc;
	if (queue >= jint(entry, "queues")) {
		rc = vctl_fail(ctx, -ENODEV, "port %u has %lld %s queue%s: there is no queue %u", port,
			       (long long)jint(entry, "queues"), dir,
			       jint(entry, "queues") == 1 ? "" : "s", queue);
		json_decref(entry);
		return rc;
	}
	json_decref(entry);

	/* The state first: it says whether the rings are up, and their size. */
	rc = vctl_request(ctx, &v, "/vpmd/queue", "%u,%u,%s", port, queue, dir);
	if (rc < 0)
		return rc;
	if (!jint(v, "running")) {
		rc = vctl_fail(ctx, -EAGAIN, "port %u %s queue %u: the rings are down (port %s); try again once it runs",
			       port, dir, queue, jint(v, "started") ? "started, backend away" : "stopped");
		json_decref(v);
		return rc;
	}
	size = (uint32_t)jint(v, "size");
	if (start >= size && !(count == 0 && !to_end)) {
		json_decref(v);
		return vctl_fail(ctx, -ERANGE, "--desc %u: the ring has descriptors 0 to %u", start,
				 size - 1);
	}
	want = to_end || count > size - start ? size - start : count;
	descs = json_object();
	while (got < want) {
		rc = vctl_request(ctx, &page, "/vpmd/queue", "%u,%u,%s,%u,%u", port, queue, dir,
				  start + got, want - got);
		if (rc < 0)
			break;
		if (!jint(page, "running") || (uint32_t)jint(page, "desc_start") != start + got ||
		    jint(page, "desc_count") <= 0 || (uint32_t)jint(page, "size") != size) {
			json_decref(page);
			rc = vctl_fail(ctx, -EAGAIN, "port %u %s queue %u changed while vctl read its pages (rings down or restarted): try again",
				       port, dir, queue);
			break;
		}
		if (pages == 0) {
			/* The first page's state is the one shown. */
			json_decref(v);
			v = json_incref(page);
		}
		rc = columns_append(descs, jobj(page, "descs"));
		got += (uint32_t)jint(page, "desc_count");
		pages++;
		json_decref(page);
		if (rc < 0) {
			rc = vctl_fail(ctx, rc, "%s: malformed descriptor page", ctx->tel.path);
			break;
		}
	}
	if (rc < 0) {
		json_decref(descs);
		json_decref(v);
		return rc;
	}
	json_object_set_new(v, "desc_start", json_integer(start));
	json_object_set_new(v, "desc_count", json_integer(got));
	json_object_set_new(v, "pages", json_integer(pages));
	json_object_set_new(v, "descs", descs);
	vctl_emit(ctx, v, ring_text);
	return 0;
}

static const char *const examples[] = {
	"vctl ring 0 0 rx", "rx queue 0 of port 0: state and all its descriptors",
	"vctl ring 0 0 tx --desc 0:16", "tx queue 0, descriptors 0 to 15",
	"vctl ring 0 0 tx --desc 0:0 -j", "the state alone, as JSON",
	NULL,
};

const struct vctl_cmd vctl_cmd_ring = {
	.name = "ring",
	.run = run,
	.synopsis = "PORT QUEUE rx|tx [--desc START:COUNT]",
	.summary = "show a ring: indexes, notifications, counters, descriptors",
	.description =
		"Shows one virtqueue of a port: layout and size, avail and used indexes (and wrap "
		"counters on packed rings), chains in flight and free descriptors, notification "
		"state, kicks, used entries refused by reason, and its descriptors (address, "
		"length, flags, next or buffer id). A telemetry reply is capped at 16 KiB: vctl "
		"reads the descriptors in pages and assembles them.",
	.args = { VCTL_ARG_PORT, VCTL_ARG_QUEUE, VCTL_ARG_DIR },
	.opts = opts,
	.examples = examples,
};
