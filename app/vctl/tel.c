/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry client (see tel.h). No DPDK here: the protocol is a
 * socket and JSON, and vctl must run beside any application.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "tel.h"

#define SOCKET_NAME "dpdk_telemetry.v2"
/* The server reads requests into 1024 bytes, NUL included. */
#define REQUEST_MAX 1023
/* Replies are capped at 16 KiB by the server; room to spare, so a bigger one is seen as such. */
#define REPLY_BUF (64 * 1024)
#define FOUND_MAX 64

static int fail(struct tel *t, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct tel *t, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->err, sizeof(t->err), fmt, ap);
	va_end(ap);
	return rc;
}

const char *tel_runtime_dir(void)
{
	static char buf[4096];
	const char *e = getenv("VCTL_RUNTIME_DIR");

	if (e != NULL && e[0] != '\0')
		return e;
	if (geteuid() == 0)
		return "/var/run/dpdk";
	e = getenv("XDG_RUNTIME_DIR");
	snprintf(buf, sizeof(buf), "%s/dpdk", e != NULL && e[0] != '\0' ? e : "/tmp");
	return buf;
}

/*
 * The telemetry socket in @dir: dpdk_telemetry.v2, or dpdk_telemetry.v2:N
 * when that name was taken (EAL appends the process's index).
 */
static int find_socket(const char *dir, char *out, size_t len)
{
	char best[256] = "";
	struct dirent *e;
	DIR *d = opendir(dir);

	if (d == NULL)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, SOCKET_NAME, strlen(SOCKET_NAME)) != 0)
			continue;
		if (e->d_name[strlen(SOCKET_NAME)] != '\0' && e->d_name[strlen(SOCKET_NAME)] != ':')
			continue;
		if (best[0] == '\0' || strcmp(e->d_name, best) < 0)
			snprintf(best, sizeof(best), "%s", e->d_name);
	}
	closedir(d);
	if (best[0] == '\0')
		return -ENOENT;
	if ((size_t)snprintf(out, len, "%s/%s", dir, best) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* One message; -ETIMEDOUT, -ECONNRESET when the peer closed, -EMSGSIZE. */
static ssize_t recv_msg(struct tel *t, char *buf, size_t len)
{
	struct iovec iov = { buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	do
		n = recvmsg(t->fd, &msg, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
	if (n == 0)
		return -ECONNRESET;
	if (msg.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	return n;
}

static int greet(struct tel *t)
{
	char buf[4096];
	ssize_t n;

	n = recv_msg(t, buf, sizeof(buf));
	if (n == -ETIMEDOUT)
		return fail(t, -ETIMEDOUT, "%s: no greeting within %d ms: not a DPDK telemetry socket, or the application hangs",
			    t->path, t->timeout_ms);
	if (n < 0)
		return fail(t, (int)n, "%s: the application closed the connection before greeting (%s)",
			    t->path, strerror((int)-n));
	return tel_parse_greeting(t, buf, (size_t)n);
}

int tel_parse_greeting(struct tel *t, const char *buf, size_t len)
{
	json_error_t jerr;
	json_t *g, *pid, *ver, *max;

	g = json_loadb(buf, len, 0, &jerr);
	pid = json_object_get(g, "pid");
	ver = json_object_get(g, "version");
	max = json_object_get(g, "max_output_len");
	if (!json_is_integer(pid) || !json_is_string(ver) || !json_is_integer(max)) {
		json_decref(g);
		return fail(t, -EPROTO, "%s: the greeting is not DPDK telemetry's {\"version\", \"pid\", \"max_output_len\"}",
			    t->path);
	}
	t->pid = (long)json_integer_value(pid);
	snprintf(t->version, sizeof(t->version), "%s", json_string_value(ver));
	json_decref(g);
	return 0;
}

/* Connect to @path and read the greeting. */
static int tel_connect(struct tel *t, const char *prefix, const char *path, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	int rc;

	t->fd = -1;
	t->timeout_ms = timeout_ms;
	snprintf(t->prefix, sizeof(t->prefix), "%s", prefix);
	if (strlen(path) >= sizeof(sa.sun_path))
		return fail(t, -ENAMETOOLONG, "%s: path too long for a unix socket", path);
	snprintf(t->path, sizeof(t->path), "%s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	t->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (t->fd < 0)
		return fail(t, -errno, "socket: %s", strerror(errno));
	setsockopt(t->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(t->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(t->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		tel_close(t);
		if (rc == -ECONNREFUSED)
			return fail(t, rc, "%s refuses connections: no application behind it (a stale prefix left by a process that died?)",
				    path);
		if (rc == -EPROTOTYPE)
			return fail(t, -EPROTO, "%s is not a telemetry socket (wrong socket type)", path);
		return fail(t, rc, "cannot connect to %s: %s", path, strerror(-rc));
	}
	rc = greet(t);
	if (rc < 0)
		tel_close(t);
	return rc;
}

void tel_close(struct tel *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

int tel_request(struct tel *t, const char *cmd, const char *params, json_t **value)
{
	char req[REQUEST_MAX + 2];
	json_error_t jerr;
	json_t *reply, *v;
	char *buf;
	ssize_t n;
	int len;

	*value = NULL;
	len = params != NULL ? snprintf(req, sizeof(req), "%s,%s", cmd, params)
			     : snprintf(req, sizeof(req), "%s", cmd);
	if (len < 0 || len > REQUEST_MAX)
		return fail(t, -EMSGSIZE, "request %s too long (telemetry takes %d bytes)", cmd,
			    REQUEST_MAX);
	if (send(t->fd, req, (size_t)len, MSG_NOSIGNAL) < 0)
		return fail(t, -errno, "%s: cannot send %s: %s (did the application exit?)", t->path,
			    req, strerror(errno));
	buf = malloc(REPLY_BUF);
	if (buf == NULL)
		return fail(t, -ENOMEM, "out of memory");
	n = recv_msg(t, buf, REPLY_BUF);
	if (n < 0) {
		free(buf);
		if (n == -ETIMEDOUT)
			return fail(t, -ETIMEDOUT, "%s: no reply to %s within %d ms", t->path, req,
				    t->timeout_ms);
		if (n == -ECONNRESET)
			return fail(t, -ECONNRESET, "%s: the application closed the connection instead of answering %s (did it exit?)",
				    t->path, req);
		if (n == -EMSGSIZE)
			return fail(t, -EBADMSG, "%s: the reply to %s is larger than %d bytes: not DPDK telemetry",
				    t->path, req, REPLY_BUF);
		return fail(t, (int)n, "%s: reading the reply to %s: %s", t->path, req,
			    strerror((int)-n));
	}
	reply = json_loadb(buf, (size_t)n, JSON_DECODE_ANY, &jerr);
	free(buf);
	if (reply == NULL)
		return fail(t, -EBADMSG, "%s: the reply to %s is not JSON (%s, at byte %d of %zd): garbage or a truncated reply",
			    t->path, req, jerr.text, jerr.position, n);
	v = json_object_get(reply, cmd);
	if (!json_is_object(reply) || json_object_size(reply) != 1 || v == NULL) {
		json_decref(reply);
		return fail(t, -EBADMSG, "%s: the reply to %s is not {\"%s\": ...}", t->path, req, cmd);
	}
	*value = json_incref(v);
	json_decref(reply);
	return 0;
}

bool tel_has_command(struct tel *t, const char *cmd)
{
	json_t *list, *v;
	bool found = false;
	size_t i;

	if (tel_request(t, "/", NULL, &list) < 0)
		return false;
	json_array_foreach(list, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), cmd) == 0)
			found = true;
	json_decref(list);
	return found;
}

/* Prefixes under @dir that have a telemetry socket, sorted, as "a, b, c". */
static void list_prefixes(const char *dir, char *out, size_t len)
{
	struct dirent **ents = NULL;
	char path[4096], sock[TEL_PATH_LEN * 2];
	size_t used = 0;
	int n, i;

	out[0] = '\0';
	n = scandir(dir, &ents, NULL, alphasort);
	for (i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
			if (find_socket(path, sock, sizeof(sock)) == 0 && used < len)
				used += (size_t)snprintf(out + used, len - used, "%s%s",
							 used ? ", " : "", ents[i]->d_name);
		}
		free(ents[i]);
	}
	free(ents);
}

static int open_prefix(struct tel *t, const char *dir, const char *prefix, int timeout_ms)
{
	char pdir[4096], sock[TEL_PATH_LEN * 2], found[512];
	struct stat st;
	int rc;

	snprintf(pdir, sizeof(pdir), "%s/%s", dir, prefix);
	if (strchr(prefix, '/') != NULL || stat(pdir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		list_prefixes(dir, found, sizeof(found));
		return fail(t, -ENOENT, "no DPDK application with file prefix '%s' under %s (%s%s)",
			    prefix, dir, found[0] ? "found: " : "found none", found);
	}
	rc = find_socket(pdir, sock, sizeof(sock));
	if (rc < 0)
		return fail(t, -ENOENT, "'%s' has no telemetry socket in %s: the application exited, or runs with --no-telemetry",
			    prefix, pdir);
	return tel_connect(t, prefix, sock, timeout_ms);
}

int tel_open(struct tel *t, const char *prefix, const char *want, int timeout_ms)
{
	const char *dir = tel_runtime_dir();
	struct tel *live = NULL;
	char path[4096], sock[TEL_PATH_LEN * 2], stale[512] = "", names[1024] = "";
	struct dirent **ents = NULL;
	size_t n_live = 0, n_want = 0, i, pick = 0, used = 0, sused = 0;
	int n, k, rc;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (prefix != NULL)
		return open_prefix(t, dir, prefix, timeout_ms);

	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0)
		return fail(t, -ENOENT, "no DPDK application is running: %s: %s", dir, strerror(errno));
	live = calloc(FOUND_MAX, sizeof(*live));
	if (live == NULL) {
		rc = fail(t, -ENOMEM, "out of memory");
		goto out;
	}
	for (k = 0; k < n; k++) {
		const char *name = ents[k]->d_name;

		if (name[0] == '.' || n_live == FOUND_MAX)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (find_socket(path, sock, sizeof(sock)) < 0)
			continue;
		if (tel_connect(&live[n_live], name, sock, timeout_ms) == 0)
			n_live++;
		else if (sused < sizeof(stale))
			sused += (size_t)snprintf(stale + sused, sizeof(stale) - sused, "%s%s",
						  sused ? ", " : "", name);
	}
	if (n_live == 0) {
		if (stale[0] != '\0')
			rc = fail(t, -ECONNREFUSED, "no DPDK application is running: the telemetry sockets under %s refuse connections (stale prefixes of processes that died: %s)",
				  dir, stale);
		else
			rc = fail(t, -ENOENT, "no DPDK application is running: no telemetry socket under %s",
				  dir);
		goto out;
	}
	if (n_live > 1 && want != NULL) {
		for (i = 0; i < n_live; i++) {
			if (tel_has_command(&live[i], want)) {
				n_want++;
				pick = i;
			}
		}
	}
	if (n_live > 1 && n_want != 1) {
		for (i = 0; i < n_live && used < sizeof(names); i++)
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s (pid %ld)",
						 i ? ", " : "", live[i].prefix, live[i].pid);
		rc = fail(t, -EEXIST, "%zu DPDK applications are running, %s: choose one with --prefix (%s)",
			  n_live,
			  want == NULL ? "and none is preferred"
			  : n_want == 0 ? "none with vpmd's telemetry commands"
					: "several with vpmd's telemetry commands",
			  names);
		goto out;
	}
	*t = live[pick];
	live[pick].fd = -1;
	rc = 0;
out:
	for (i = 0; live != NULL && i < n_live; i++)
		tel_close(&live[i]);
	free(live);
	for (k = 0; k < n; k++)
		free(ents[k]);
	free(ents);
	return rc;
}
