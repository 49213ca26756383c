/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vctl status: a port as a whole (/vpmd/status) and a line per queue (one
 * /vpmd/queue per queue, without descriptors).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "cmds.h"
#include "queue_fmt.h"

/* "raw" is a byte (status) or a hex string (feature sets); the names follow, wrapped. */
static void names_line(FILE *f, const char *label, const json_t *set)
{
	const json_t *names = jobj(set, "names"), *n;
	char line[2048];
	size_t i, used;

	if (json_is_integer(jobj(set, "raw")))
		used = (size_t)snprintf(line, sizeof(line), "0x%02llx", (long long)jint(set, "raw"));
	else
		used = (size_t)snprintf(line, sizeof(line), "%s", jstr(set, "raw"));
	json_array_foreach(names, i, n)
		if (used < sizeof(line))
			used += (size_t)snprintf(line + used, sizeof(line) - used, " %s",
						 json_string_value(n));
	fprintf(f, "  %-11s ", label);
	vctl_wrap(f, line, 14, 14, 79);
}

static void queues_table(const json_t *queues, FILE *f)
{
	static const char *const head[] = { "QUEUE", "DIR", "VQ", "SIZE", "AVAIL", "USED",
					    "INFLIGHT", "NOTIFY", "KICKS", "SUPPRESSED",
					    "PACKETS" };
	struct table *t = table_new(11, head);
	const json_t *q;
	char avail[32], used[32];
	size_t i;

	json_array_foreach(queues, i, q) {
		if (!jint(q, "running")) {
			table_addf(t, "%lld\t%s\t-\t-\t-\t-\t-\trings down\t-\t-\t-",
				   (long long)jint(q, "queue"), jstr(q, "dir"));
			continue;
		}
		queue_avail(q, avail, sizeof(avail));
		queue_used(q, used, sizeof(used));
		table_addf(t, "%lld\t%s\t%lld\t%lld\t%s\t%s\t%lld\t%s\t%lld\t%lld\t%lld",
			   (long long)jint(q, "queue"), jstr(q, "dir"), (long long)jint(q, "index"),
			   (long long)jint(q, "size"), avail, used, (long long)jint(q, "inflight"),
			   queue_notify(q), (long long)jint(jobj(q, "stats"), "kicks"),
			   (long long)jint(jobj(q, "stats"), "kicks_suppressed"),
			   (long long)jint(jobj(q, "pmd"), "packets"));
	}
	table_print(t, f);
	table_free(t);
}

/* The rings the driver gave up on, if any: what an operator must act on (port reset). */
static void broken_line(FILE *f, const json_t *broken)
{
	const json_t *name;
	size_t i;

	if (json_array_size(broken) == 0)
		return;
	fprintf(f, "  %-11s", "broken");
	json_array_foreach(broken, i, name)
		fprintf(f, "%s%s", i ? ", " : " ", json_is_string(name) ? json_string_value(name) : "?");
	fprintf(f, " (the device wrote what it must not: reset the port)\n");
}

static void status_text(const json_t *v, FILE *f)
{
	const json_t *link = jobj(v, "link"), *dev = jobj(v, "device");
	const json_t *ti = jobj(dev, "transport_info"), *feat = jobj(dev, "features");

	fprintf(f, "port %lld: %s\n", (long long)jint(v, "port"), jstr(v, "name"));
	fprintf(f, "  %-11s %s%s%s, %lld reconnect%s\n", "state",
		jint(v, "started") ? "started" : "stopped",
		jint(v, "device_up") ? ", device up" : ", device down",
		jint(v, "running") ? ", running" : ", rings down", (long long)jint(v, "reconnects"),
		jint(v, "reconnects") == 1 ? "" : "s");
	broken_line(f, jobj(v, "broken"));
	fprintf(f, "  %-11s %s", "link", jstr(link, "status"));
	if (jint(link, "speed") > 0)
		fprintf(f, ", %lld Mbit/s %s duplex", (long long)jint(link, "speed"),
			jstr(link, "duplex"));
	fprintf(f, "\n  %-11s %lld\n", "mtu", (long long)jint(v, "mtu"));
	fprintf(f, "  %-11s %s\n", "mac", jstr(v, "mac"));
	fprintf(f, "  %-11s %s, %lld rx and %lld tx queues\n", "rings", jstr(v, "layout"),
		(long long)jint(v, "rx_queues"), (long long)jint(v, "tx_queues"));
	if (json_object_get(v, "burst_mode") != NULL) {
		const json_t *bm = json_object_get(v, "burst_mode");

		fprintf(f, "  %-11s rx %s; tx %s\n", "datapath", jstr(bm, "rx"), jstr(bm, "tx"));
	}
	if (json_object_get(ti, "interface") != NULL)
		fprintf(f, "  %-11s %s %s interface, %s\n", "transport", jstr(dev, "transport"),
			jstr(ti, "interface"), jstr(v, "location"));
	else
		fprintf(f, "  %-11s %s %s %s, %s\n", "transport", jstr(dev, "transport"),
			jstr(ti, "mode"), jstr(ti, "path"),
			jint(ti, "connected") ? "connected" : "not connected");
	names_line(f, "status", jobj(dev, "status"));
	names_line(f, "offered", jobj(feat, "offered"));
	names_line(f, "driver", jobj(feat, "driver"));
	names_line(f, "negotiated", jobj(feat, "negotiated"));
	if (json_array_size(jobj(v, "queues")) > 0)
		queues_table(jobj(v, "queues"), f);
}

/* The queue's state without descriptors: those are vctl ring's. */
static int queue_state(struct vctl_ctx *ctx, uint16_t port, unsigned int q, const char *dir,
		       json_t *queues)
{
	json_t *v;
	int rc;

	rc = vctl_request(ctx, &v, "/vpmd/queue", "%u,%u,%s", port, q, dir);
	if (rc < 0)
		return rc;
	json_object_del(v, "descs");
	json_object_del(v, "desc_start");
	json_object_del(v, "desc_count");
	json_array_append_new(queues, v);
	return 0;
}

static int run(struct vctl_ctx *ctx, int argc, char **argv)
{
	json_t *v, *queues;
	unsigned int q;
	uint16_t port;
	int rc;

	rc = vctl_port_arg(ctx, argc, argv, &port);
	if (rc != 0)
		return rc == VCTL_HELP ? 0 : rc;
	rc = vctl_request(ctx, &v, "/vpmd/status", "%u", port);
	if (rc < 0)
		return rc;
	queues = json_array();
	for (q = 0; rc == 0 && q < jint(v, "rx_queues"); q++)
		rc = queue_state(ctx, port, q, "rx", queues);
	for (q = 0; rc == 0 && q < jint(v, "tx_queues"); q++)
		rc = queue_state(ctx, port, q, "tx", queues);
	json_object_set_new(v, "queues", queues);
	if (rc < 0) {
		json_decref(v);
		return rc;
	}
	vctl_emit(ctx, v, status_text);
	return 0;
}

static const char *const examples[] = {
	"vctl status 0", "port 0: state, link, transport, device status, features, its queues",
	"vctl status 0 -p | less", "everything, as indented JSON",
	NULL,
};

const struct vctl_cmd vctl_cmd_status = {
	.name = "status",
	.run = run,
	.synopsis = "PORT",
	.summary = "show a port: device status, transport, features, link, queues",
	.description =
		"Shows a vpmd port: whether it is started and its rings running, link, MTU, MAC, "
		"ring layout and queue count, the vhost-user transport (socket path, client or "
		"server, connected), the virtio device status bits, the offered, driver and "
		"negotiated features, and a line per queue: virtqueue index, size, avail and used "
		"indexes (with wrap counters on packed rings), chains in flight, whether the device "
		"wants kicks, kicks sent and suppressed, packets.",
	.args = { VCTL_ARG_PORT },
	.examples = examples,
};
