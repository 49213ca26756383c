/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vctl export: every net_vpmd port of every application on the host in
 * Prometheus' text format, printed once (--once) or served over HTTP at
 * /metrics (libmicrohttpd), a fresh scrape per request.
 *
 * The server runs in this thread (libmicrohttpd's external select mode):
 * one request at a time, so a scrape owns the telemetry sockets and the
 * exporter's state without a lock, and a signal ends the loop cleanly.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "cmds.h"
#include "export.h"

#define DEFAULT_LISTEN "127.0.0.1:9410"
#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

enum { OPT_ONCE = 0x200, OPT_LISTEN };

static const struct vctl_opt opts[] = {
	{ "once", OPT_ONCE, NULL, "print one scrape on standard output and exit" },
	{ "listen", OPT_LISTEN, "ADDR:PORT",
	  "serve GET /metrics at ADDR:PORT (default " DEFAULT_LISTEN "; [ADDR]:PORT for IPv6; "
	  "port 0: any free port, said on standard output)" },
	{ NULL, 0, NULL, NULL },
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* One scrape rendered: a malloc'ed buffer in *@out, its length in *@len. */
static int render(struct export_state *st, char **out, size_t *len)
{
	struct prom p;
	FILE *f;
	int rc;

	*out = NULL;
	*len = 0;
	prom_init(&p);
	rc = export_scrape(st, &p);
	if (rc == 0) {
		f = open_memstream(out, len);
		if (f == NULL) {
			rc = -errno;
		} else {
			rc = prom_write(&p, f);
			if (fclose(f) != 0 && rc == 0)
				rc = -EIO;
		}
	}
	prom_free(&p);
	if (rc < 0) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, const char *type,
			     char *body, size_t len, bool owned)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body,
					    owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (r == NULL) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	static char not_found[] = "not found: the metrics are at /metrics\n";
	static char not_allowed[] = "method not allowed: GET /metrics\n";
	static char failed[] = "scrape failed: out of memory\n";
	struct export_state *st = cls;
	size_t len;
	char *body;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (strcmp(url, "/metrics") != 0)
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", not_found, strlen(not_found), false);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", not_allowed,
			     strlen(not_allowed), false);
	if (render(st, &body, &len) < 0)
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", failed,
			     strlen(failed), false);
	return reply(c, MHD_HTTP_OK, CONTENT_TYPE, body, len, true);
}

/* "ADDR:PORT" or "[ADDR6]:PORT" into @ss. */
static int parse_listen(struct vctl_ctx *ctx, const char *s, struct sockaddr_storage *ss,
			socklen_t *sslen)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	uint16_t port;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (colon == NULL || colon == s || (hl = (size_t)(colon - s)) >= sizeof(host) ||
	    vctl_parse_u16(ctx, "--listen port", colon + 1, &port) < 0)
		return vctl_usage(ctx, "--listen '%s': expected ADDR:PORT, e.g. %s", s,
				  DEFAULT_LISTEN);
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (host[0] == '[' && host[hl - 1] == ']') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		host[hl - 1] = '\0';
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		*sslen = sizeof(*a);
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) == 1)
			return 0;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		*sslen = sizeof(*a);
		if (inet_pton(AF_INET, host, &a->sin_addr) == 1)
			return 0;
	}
	return vctl_usage(ctx, "--listen '%s': '%s' is not an IP address", s, host);
}

/* The address the daemon listens on, as "ADDR:PORT" (the port chosen if 0 was asked). */
static void bound_name(struct MHD_Daemon *d, char *buf, size_t len)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_LISTEN_FD);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN];

	snprintf(buf, len, "?");
	if (info == NULL || getsockname(info->listen_fd, (struct sockaddr *)&ss, &sl) < 0)
		return;
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(a->sin6_port));
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(a->sin_port));
	}
}

static int serve(struct vctl_ctx *ctx, struct export_state *st, const char *listen)
{
	struct sockaddr_storage ss;
	struct MHD_Daemon *d;
	char name[INET6_ADDRSTRLEN + 16];
	socklen_t sl;
	int rc;

	rc = parse_listen(ctx, listen, &ss, &sl);
	if (rc < 0)
		return rc;
	d = MHD_start_daemon(MHD_USE_ERROR_LOG | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
			     0, NULL, NULL, on_request, st,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			     MHD_OPTION_CONNECTION_TIMEOUT, 10u,
			     MHD_OPTION_CONNECTION_LIMIT, 32u,
			     MHD_OPTION_END);
	if (d == NULL)
		return vctl_fail(ctx, -EADDRINUSE,
				 "cannot serve on %s (address in use, or not one of this host's?)",
				 listen);
	bound_name(d, name, sizeof(name));
	printf("vctl export: serving http://%s/metrics\n", name);
	fflush(stdout);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	while (!interrupted) {
		fd_set rs, ws, es;
		MHD_socket max = 0;
		MHD_UNSIGNED_LONG_LONG to;
		struct timeval tv = { 1, 0 };

		FD_ZERO(&rs);
		FD_ZERO(&ws);
		FD_ZERO(&es);
		if (MHD_get_fdset(d, &rs, &ws, &es, &max) != MHD_YES) {
			rc = vctl_fail(ctx, -EIO, "the HTTP server lost its sockets");
			break;
		}
		if (MHD_get_timeout(d, &to) == MHD_YES && to < 1000) {
			tv.tv_sec = 0;
			tv.tv_usec = (suseconds_t)to * 1000;
		}
		if (select(max + 1, &rs, &ws, &es, &tv) < 0 && errno != EINTR) {
			rc = vctl_fail(ctx, -errno, "select: %s", strerror(errno));
			break;
		}
		MHD_run_from_select(d, &rs, &ws, &es);
	}
	MHD_stop_daemon(d);
	return rc;
}

static int run(struct vctl_ctx *ctx, int argc, char **argv)
{
	struct export_state st = { .timeout_ms = ctx->timeout_ms };
	const char *listen = DEFAULT_LISTEN;
	bool once = false, listen_set = false;
	char *arg, *body;
	size_t len;
	int key, rc;

	while ((key = vctl_getopt(ctx, argc, argv, &arg)) != -1) {
		if (key == VCTL_HELP)
			return vctl_help(ctx);
		if (key < 0)
			return key;
		if (key == OPT_ONCE)
			once = true;
		if (key == OPT_LISTEN) {
			listen = arg;
			listen_set = true;
		}
	}
	if (optind < argc)
		return vctl_usage(ctx, "export takes no arguments ('%s')", argv[optind]);
	if (once && listen_set)
		return vctl_usage(ctx, "--once prints and exits: it takes no --listen");
	if (ctx->prefix != NULL)
		return vctl_usage(ctx, "export reads every application: it takes no --prefix");
	if (!once)
		return serve(ctx, &st, listen);
	rc = render(&st, &body, &len);
	if (rc < 0)
		return vctl_fail(ctx, rc, "scrape failed: %s", strerror(-rc));
	fwrite(body, 1, len, stdout);
	free(body);
	return 0;
}

static const char *const examples[] = {
	"vctl export --once", "every vpmd port of every application, in Prometheus' text format",
	"vctl export", "serve the same at http://" DEFAULT_LISTEN "/metrics, scraped afresh per request",
	"vctl export --listen 0.0.0.0:9410", "serve on every IPv4 address of the host",
	NULL,
};

const struct vctl_cmd vctl_cmd_export = {
	.name = "export",
	.run = run,
	.synopsis = "[--once | --listen ADDR:PORT]",
	.summary = "export every application's vpmd counters to Prometheus",
	.description =
		"Reads every DPDK application on the host that has net_vpmd ports (every telemetry "
		"socket under the runtime directories; dead sockets and applications without "
		"net_vpmd are skipped) and writes their ports' ethdev counters, all xstats (kicks, "
		"suppressed kicks, used moves, refusals by reason, burst and frame size buckets, "
		"empty polls), ring state per queue (size, in flight, free, broken) and link state "
		"in Prometheus' text exposition format, labelled by application (app, pid), port "
		"(port, port_name) and queue (queue, direction). Without --once, serves them over "
		"HTTP at /metrics, a fresh scrape per request; any other path gets 404, another "
		"method than GET or HEAD 405. An application that cannot be read is left out of "
		"the scrape, said on standard error and counted in vpmd_export_errors_total. "
		"Metric names are listed in doc/telemetry.md.",
	.opts = opts,
	.examples = examples,
};
