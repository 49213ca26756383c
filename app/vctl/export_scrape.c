/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One scrape for vctl export (see export.h): every DPDK application whose
 * telemetry socket answers and that has net_vpmd ports, through the same
 * requests as the other commands (/vpmd/list, /vpmd/status, /vpmd/stats,
 * /vpmd/xstats paged, /vpmd/queue without descriptors).
 *
 * Each application is gathered into its own struct prom and merged only
 * once complete, so one that fails halfway leaves nothing behind but a
 * count. A null reply about one port or queue (closed or stopped since
 * the list) leaves that part out; a socket that fails fails the app.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export.h"

#define DIRS_MAX 3
/* ethdev's RTE_MAX_QUEUES_PER_PORT: a port that says more is not one of ours. */
#define QUEUES_MAX 1024

#define CHECK(expr)                     \
	do {                            \
		int rc_ = (expr);       \
		if (rc_ < 0)            \
			return rc_;     \
	} while (0)

/* The application, port, and queue labels of a sample. */
static void port_labels(struct prom_labels *l, const struct vctl_ctx *ctx, const char *port,
			const char *name)
{
	memset(l, 0, sizeof(*l));
	prom_label(l, "app", ctx->tel.prefix);
	prom_labelf(l, "pid", "%ld", ctx->tel.pid);
	prom_label(l, "port", port);
	prom_label(l, "port_name", name);
}

static int add_bool(struct prom *p, const char *name, const char *help,
		    const struct prom_labels *l, json_int_t v)
{
	return prom_add(p, name, PROM_GAUGE, help, l, v != 0);
}

static int add_count(struct prom *p, const char *name, const char *help,
		     const struct prom_labels *base, const char *key, const char *value,
		     const json_t *obj, const char *field)
{
	struct prom_labels l = *base;
	json_t *v = json_object_get(obj, field);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return 0;
	if (key != NULL)
		prom_label(&l, key, value);
	return prom_add(p, name, PROM_COUNTER, help, &l, (uint64_t)json_integer_value(v));
}

/* Tell a null reply (the port went away: skip it) from a failure. */
static bool skipped(int rc)
{
	return rc == -ENOENT;
}

static int port_stats(struct vctl_ctx *ctx, struct prom *p, const char *port,
		      const struct prom_labels *l)
{
	json_t *s;
	int rc;

	rc = vctl_request(ctx, &s, "/vpmd/stats", "%s", port);
	if (rc < 0)
		return skipped(rc) ? 0 : rc;
	if (jint(s, "started")) {
		rc = add_count(p, "vpmd_port_packets_total", "Packets the port moved (ethdev stats).",
			       l, "direction", "rx", s, "ipackets");
		rc = rc ?: add_count(p, "vpmd_port_packets_total", "", l, "direction", "tx", s,
				     "opackets");
		rc = rc ?: add_count(p, "vpmd_port_bytes_total", "Bytes the port moved (ethdev stats).",
				     l, "direction", "rx", s, "ibytes");
		rc = rc ?: add_count(p, "vpmd_port_bytes_total", "", l, "direction", "tx", s, "obytes");
		rc = rc ?: add_count(p, "vpmd_port_errors_total",
				     "Packets the port failed to receive or send (ethdev stats).", l,
				     "direction", "rx", s, "ierrors");
		rc = rc ?: add_count(p, "vpmd_port_errors_total", "", l, "direction", "tx", s,
				     "oerrors");
		rc = rc ?: add_count(p, "vpmd_port_rx_missed_packets_total",
				     "Packets the port dropped for want of room (ethdev imissed).", l,
				     NULL, NULL, s, "imissed");
		rc = rc ?: add_count(p, "vpmd_port_rx_mbuf_alloc_failed_total",
				     "Receive buffer allocations that failed (ethdev rx_nombuf).", l,
				     NULL, NULL, s, "rx_nombuf");
	}
	json_decref(s);
	return rc;
}

static int port_xstats(struct vctl_ctx *ctx, struct prom *p, const char *port,
		       const struct prom_labels *base)
{
	json_int_t start = 0, total;
	struct prom_xstat x;
	struct prom_labels l;
	const char *k;
	json_t *page, *v;
	int rc = 0;

	do {
		rc = vctl_request(ctx, &page, "/vpmd/xstats", "%s,%lld", port, (long long)start);
		if (rc < 0)
			return skipped(rc) ? 0 : rc;
		if (!jint(page, "running")) {
			json_decref(page);
			return 0;
		}
		total = jint(page, "total");
		if (jint(page, "start") != start || (jint(page, "count") <= 0 && start < total)) {
			json_decref(page);
			return vctl_fail(ctx, -EBADMSG, "port %s: xstats pages do not follow each other",
					 port);
		}
		json_object_foreach(json_object_get(page, "xstats"), k, v) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    prom_xstat_map(k, &x) < 0)
				continue;
			l = *base;
			if (x.queue >= 0) {
				prom_labelf(&l, "queue", "%d", x.queue);
				prom_label(&l, "direction", x.dir);
			}
			if (x.label != NULL)
				prom_label(&l, x.label, x.value);
			rc = prom_add(p, x.family, PROM_COUNTER, x.help, &l,
				      (uint64_t)json_integer_value(v));
			/* A name the driver made up that clashes with ours: leave it out. */
			if (rc == -EEXIST || rc == -EINVAL)
				rc = 0;
			if (rc < 0)
				break;
		}
		start += jint(page, "count");
		json_decref(page);
	} while (rc == 0 && start < total);
	return rc;
}

/* The ring's state: gauges, read while its rings run. */
static int queue_state(struct vctl_ctx *ctx, struct prom *p, const char *port,
		       const struct prom_labels *base, json_int_t q, const char *dir)
{
	struct prom_labels l = *base;
	json_t *v;
	int rc;

	rc = vctl_request(ctx, &v, "/vpmd/queue", "%s,%lld,%s", port, (long long)q, dir);
	if (rc < 0)
		return skipped(rc) ? 0 : rc;
	prom_labelf(&l, "queue", "%lld", (long long)q);
	prom_label(&l, "direction", dir);
	if (jint(v, "running") && json_is_integer(json_object_get(v, "size"))) {
		rc = prom_add(p, "vpmd_queue_ring_size", PROM_GAUGE,
			      "Entries of the virtqueue's ring.", &l, (uint64_t)jint(v, "size"));
		rc = rc ?: prom_add(p, "vpmd_queue_ring_inflight", PROM_GAUGE,
				    "Ring entries given to the device and not yet returned.", &l,
				    (uint64_t)jint(v, "inflight"));
		rc = rc ?: prom_add(p, "vpmd_queue_ring_free", PROM_GAUGE,
				    "Descriptors free for the driver to use.", &l,
				    (uint64_t)jint(v, "free"));
		rc = rc ?: add_bool(p, "vpmd_queue_ring_broken",
				    "1 if the driver gave up on the ring (the device broke its rules).",
				    &l, jint(v, "broken"));
	}
	json_decref(v);
	return rc;
}

static int port_status(struct vctl_ctx *ctx, struct prom *p, const char *port,
		       const struct prom_labels *l, json_int_t *rxq, json_int_t *txq)
{
	json_t *s;
	int rc;

	*rxq = *txq = 0;
	rc = vctl_request(ctx, &s, "/vpmd/status", "%s", port);
	if (rc < 0)
		return skipped(rc) ? 0 : rc;
	rc = add_count(p, "vpmd_port_reconnects_total",
		       "Times the backend came back after going away.", l, NULL, NULL, s,
		       "reconnects");
	rc = rc ?: add_count(p, "vpmd_port_rings_broken_total",
			     "Rings the driver gave up on since the port was probed.", l, NULL, NULL,
			     s, "rings_broken");
	if (rc == 0 && json_is_integer(json_object_get(s, "mtu")))
		rc = prom_add(p, "vpmd_port_mtu_bytes", PROM_GAUGE, "The port's MTU.", l,
			      (uint64_t)jint(s, "mtu"));
	*rxq = jint(s, "rx_queues");
	*txq = jint(s, "tx_queues");
	json_decref(s);
	return rc;
}

static int one_port(struct vctl_ctx *ctx, struct prom *p, const char *port, const json_t *e)
{
	struct prom_labels l, info;
	json_int_t q, rxq, txq;
	bool running = jint(e, "running") != 0;

	port_labels(&l, ctx, port, jstr(e, "name"));
	info = l;
	prom_label(&info, "layout", jstr(e, "layout"));
	prom_label(&info, "mode", jstr(e, "mode"));
	prom_label(&info, "path", jstr(e, "path"));
	CHECK(prom_add(p, "vpmd_port_info", PROM_GAUGE,
		       "A net_vpmd port: always 1; its ring layout, mode and socket path as labels.",
		       &info, 1));
	CHECK(add_bool(p, "vpmd_port_started", "1 if the port is started.", &l, jint(e, "started")));
	CHECK(add_bool(p, "vpmd_port_running",
		       "1 if the port's rings run (started, and the backend is there).", &l, running));
	CHECK(add_bool(p, "vpmd_port_link_up", "1 if the port's link is up.", &l,
		       strcmp(jstr(e, "link"), "up") == 0));
	CHECK(port_status(ctx, p, port, &l, &rxq, &txq));
	CHECK(port_stats(ctx, p, port, &l));
	if (!running)
		return 0;
	CHECK(port_xstats(ctx, p, port, &l));
	for (q = 0; q < rxq && q < QUEUES_MAX; q++)
		CHECK(queue_state(ctx, p, port, &l, q, "rx"));
	for (q = 0; q < txq && q < QUEUES_MAX; q++)
		CHECK(queue_state(ctx, p, port, &l, q, "tx"));
	return 0;
}

/*
 * Application @prefix under runtime directory @dir into @p. Returns 0
 * (exported, or nothing to export: gone, or no net_vpmd), or an error
 * with the sentence in ctx->err.
 */
static int one_app(struct export_state *st, const char *dir, const char *prefix, struct prom *p,
		   int *exported)
{
	struct vctl_ctx ctx = { .prefix = prefix, .timeout_ms = st->timeout_ms };
	const char *old = getenv("VCTL_RUNTIME_DIR");
	char *saved = old != NULL ? strdup(old) : NULL;
	const char *k;
	json_t *list, *e;
	int rc;

	/* tel_open looks for the prefix in tel_runtime_dir(), which this names. */
	setenv("VCTL_RUNTIME_DIR", dir, 1);
	rc = tel_open(&ctx.tel, prefix, NULL, ctx.timeout_ms);
	if (saved != NULL)
		setenv("VCTL_RUNTIME_DIR", saved, 1);
	else
		unsetenv("VCTL_RUNTIME_DIR");
	free(saved);
	/* A socket with nobody behind it, or gone meanwhile: a dead app, nothing to say. */
	if (rc == -ECONNREFUSED || rc == -ENOENT)
		return 0;
	if (rc < 0) {
		snprintf(ctx.err, sizeof(ctx.err), "%s", ctx.tel.err);
		goto out;
	}
	ctx.connected = true;
	rc = vctl_request_list(&ctx, &list);
	if (rc == -ENOTSUP) { /* no net_vpmd in it */
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	json_object_foreach(json_object_get(list, "ports"), k, e) {
		rc = one_port(&ctx, p, k, e);
		if (rc < 0)
			break;
		(*exported)++;
	}
	json_decref(list);
out:
	if (rc < 0)
		fprintf(stderr, "vctl export: %s/%s left out of the scrape: %s\n", dir, prefix,
			ctx.err[0] ? ctx.err : strerror(-rc));
	tel_close(&ctx.tel);
	return rc;
}

/* The runtime directories to look in, without repeats. */
static size_t runtime_dirs(char dirs[DIRS_MAX][4096])
{
	const char *env = getenv("VCTL_RUNTIME_DIR"), *xdg = getenv("XDG_RUNTIME_DIR");
	size_t n = 0, i;
	char cand[DIRS_MAX][4096];
	size_t nc = 0;

	if (env != NULL && env[0] != '\0') {
		snprintf(dirs[0], sizeof(dirs[0]), "%s", env);
		return 1;
	}
	/* As EAL chooses: root's, a user's, and the fallback without XDG_RUNTIME_DIR. */
	snprintf(cand[nc++], sizeof(cand[0]), "/var/run/dpdk");
	if (xdg != NULL && xdg[0] != '\0')
		snprintf(cand[nc++], sizeof(cand[0]), "%s/dpdk", xdg);
	snprintf(cand[nc++], sizeof(cand[0]), "/tmp/dpdk");
	for (i = 0; i < nc; i++) {
		struct stat a, b;
		size_t j;
		bool dup = false;

		if (stat(cand[i], &a) < 0 || !S_ISDIR(a.st_mode))
			continue;
		for (j = 0; j < n; j++)
			if (stat(dirs[j], &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
				dup = true;
		if (!dup)
			memcpy(dirs[n++], cand[i], sizeof(cand[i]));
	}
	return n;
}

int export_scrape(struct export_state *st, struct prom *p)
{
	char dirs[DIRS_MAX][4096];
	struct dirent **ents;
	struct prom app;
	size_t nd, d;
	int n, i, rc = 0, ports, apps = 0, failed = 0;
	double t0 = vctl_now();

	nd = runtime_dirs(dirs);
	for (d = 0; d < nd && rc != -ENOMEM; d++) {
		n = scandir(dirs[d], &ents, NULL, alphasort);
		for (i = 0; i < n; i++) {
			bool is_dir = ents[i]->d_type == DT_DIR || ents[i]->d_type == DT_UNKNOWN;

			if (ents[i]->d_name[0] != '.' && is_dir && rc != -ENOMEM) {
				prom_init(&app);
				ports = 0;
				rc = one_app(st, dirs[d], ents[i]->d_name, &app, &ports);
				if (rc == 0 && ports > 0) {
					rc = prom_merge(p, &app);
					apps++;
				} else {
					prom_free(&app);
				}
				if (rc < 0 && rc != -ENOMEM) {
					st->errors++;
					failed++;
				}
			}
			free(ents[i]);
		}
		if (n >= 0)
			free(ents);
	}
	if (rc == -ENOMEM)
		return rc;
	rc = prom_add(p, "vpmd_export_applications", PROM_GAUGE,
		      "Applications with net_vpmd ports this scrape exported.", NULL, (uint64_t)apps);
	rc = rc ?: prom_add(p, "vpmd_export_errors_total", PROM_COUNTER,
			    "Applications left out of a scrape because reading them failed, since the exporter started.",
			    NULL, st->errors);
	rc = rc ?: prom_add(p, "vpmd_export_scrape_errors", PROM_GAUGE,
			    "Applications left out of this scrape because reading them failed.",
			    NULL, (uint64_t)failed);
	rc = rc ?: prom_add_real(p, "vpmd_export_scrape_duration_seconds", PROM_GAUGE,
				 "How long this scrape took.", NULL, vctl_now() - t0);
	return rc;
}
