/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Prometheus text exposition (see export.h): families, labels,
 * escaping, and the names xstats take. The text format's rules kept
 * here: a metric name is [a-zA-Z_:][a-zA-Z0-9_:]*, a label value escapes
 * \ " and newline, HELP escapes \ and newline, each family's HELP and
 * TYPE come once, before all of its samples.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"

void prom_init(struct prom *p)
{
	memset(p, 0, sizeof(*p));
}

void prom_free(struct prom *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->fams[i].help);
		free(p->fams[i].body);
	}
	free(p->fams);
	prom_init(p);
}

static void labels_put(struct prom_labels *l, const char *s, size_t n)
{
	if (l->err != 0)
		return;
	if (l->len + n >= sizeof(l->buf)) {
		l->err = -ENAMETOOLONG;
		return;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
	l->buf[l->len] = '\0';
}

void prom_label(struct prom_labels *l, const char *key, const char *value)
{
	const char *c;

	if (l->len > 0)
		labels_put(l, ",", 1);
	labels_put(l, key, strlen(key));
	labels_put(l, "=\"", 2);
	for (c = value; *c != '\0'; c++) {
		if (*c == '\\')
			labels_put(l, "\\\\", 2);
		else if (*c == '"')
			labels_put(l, "\\\"", 2);
		else if (*c == '\n')
			labels_put(l, "\\n", 2);
		else
			labels_put(l, c, 1);
	}
	labels_put(l, "\"", 1);
}

void prom_labelf(struct prom_labels *l, const char *key, const char *fmt, ...)
{
	char buf[PROM_LABELS_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	prom_label(l, key, buf);
}

static bool name_ok(const char *name)
{
	const char *c;

	if (name[0] == '\0' || strlen(name) >= PROM_NAME_MAX || (name[0] >= '0' && name[0] <= '9'))
		return false;
	for (c = name; *c != '\0'; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_' || *c == ':'))
			return false;
	return true;
}

/* The family @name, created if new; NULL with *rc set on failure. */
static struct prom_family *family(struct prom *p, const char *name, enum prom_type type,
				  const char *help, int *rc)
{
	struct prom_family *f;
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (strcmp(p->fams[i].name, name) != 0)
			continue;
		if (p->fams[i].type != type) {
			*rc = -EEXIST;
			return NULL;
		}
		return &p->fams[i];
	}
	if (!name_ok(name)) {
		*rc = -EINVAL;
		return NULL;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 32;
		struct prom_family *n = realloc(p->fams, cap * sizeof(*n));

		if (n == NULL) {
			*rc = -ENOMEM;
			return NULL;
		}
		p->fams = n;
		p->cap = cap;
	}
	f = &p->fams[p->n];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->type = type;
	f->help = strdup(help);
	if (f->help == NULL) {
		*rc = -ENOMEM;
		return NULL;
	}
	p->n++;
	return f;
}

static int body_put(struct prom_family *f, const char *s, size_t n)
{
	if (f->len + n + 1 > f->cap) {
		size_t cap = f->cap ? f->cap : 256;
		char *b;

		while (cap < f->len + n + 1)
			cap *= 2;
		b = realloc(f->body, cap);
		if (b == NULL)
			return -ENOMEM;
		f->body = b;
		f->cap = cap;
	}
	memcpy(f->body + f->len, s, n);
	f->len += n;
	f->body[f->len] = '\0';
	return 0;
}

static int add_line(struct prom *p, const char *name, enum prom_type type, const char *help,
		    const struct prom_labels *l, const char *value)
{
	char line[PROM_NAME_MAX + PROM_LABELS_MAX + 64];
	struct prom_family *f;
	int rc = 0, n;

	if (l != NULL && l->err != 0)
		return l->err;
	f = family(p, name, type, help, &rc);
	if (f == NULL)
		return rc;
	if (l != NULL && l->len > 0)
		n = snprintf(line, sizeof(line), "%s{%s} %s\n", name, l->buf, value);
	else
		n = snprintf(line, sizeof(line), "%s %s\n", name, value);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -ENAMETOOLONG;
	return body_put(f, line, (size_t)n);
}

int prom_add(struct prom *p, const char *name, enum prom_type type, const char *help,
	     const struct prom_labels *l, uint64_t value)
{
	char v[32];

	snprintf(v, sizeof(v), "%" PRIu64, value);
	return add_line(p, name, type, help, l, v);
}

int prom_add_real(struct prom *p, const char *name, enum prom_type type, const char *help,
		  const struct prom_labels *l, double value)
{
	char v[64];

	snprintf(v, sizeof(v), "%.9g", value);
	return add_line(p, name, type, help, l, v);
}

int prom_merge(struct prom *dst, struct prom *src)
{
	struct prom_family *f;
	size_t i;
	int rc = 0;

	for (i = 0; i < src->n && rc == 0; i++) {
		f = family(dst, src->fams[i].name, src->fams[i].type, src->fams[i].help, &rc);
		if (f != NULL && src->fams[i].len > 0)
			rc = body_put(f, src->fams[i].body, src->fams[i].len);
	}
	prom_free(src);
	return rc;
}

/* HELP text: backslash and newline escaped. */
static void write_help(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\\\", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

int prom_write(const struct prom *p, FILE *out)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		const struct prom_family *f = &p->fams[i];

		fprintf(out, "# HELP %s ", f->name);
		write_help(out, f->help);
		fprintf(out, "\n# TYPE %s %s\n", f->name, f->type == PROM_COUNTER ? "counter" : "gauge");
		if (f->len > 0)
			fwrite(f->body, 1, f->len, out);
	}
	return ferror(out) ? -EIO : 0;
}

/* @s with every character outside [a-zA-Z0-9_] made '_', into @out. */
static void sanitize(char *out, size_t len, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < len; i++)
		out[i] = ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
			  (s[i] >= '0' && s[i] <= '9')) ? s[i] : '_';
	out[i] = '\0';
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* "rx_q12_rest" → dir "rx", queue 12, *rest "rest"; false if not of that shape. */
static bool queue_xstat(const char *name, char dir[3], int *queue, const char **rest)
{
	const char *c = name + 4;
	long q = 0;

	if ((strncmp(name, "rx_q", 4) != 0 && strncmp(name, "tx_q", 4) != 0) || *c < '0' ||
	    *c > '9')
		return false;
	for (; *c >= '0' && *c <= '9'; c++) {
		q = q * 10 + (*c - '0');
		if (q > 65535)
			return false;
	}
	if (*c != '_' || c[1] == '\0')
		return false;
	memcpy(dir, name, 2);
	dir[2] = '\0';
	*queue = (int)q;
	*rest = c + 1;
	return true;
}

/*
 * ethdev's own xstats, which it puts before any driver's: the port's
 * counters again, exported from /vpmd/stats as vpmd_port_*.
 */
static const char *const ethdev_basic[] = {
	"rx_good_packets", "tx_good_packets", "rx_good_bytes", "tx_good_bytes",
	"rx_missed_errors", "rx_errors", "tx_errors", "rx_mbuf_allocation_errors",
};

/* What the driver's per-queue counters count. */
static const char *const queue_help[][2] = {
	{ "packets", "Packets the queue moved." },
	{ "bytes", "Bytes the queue moved." },
	{ "errors", "Packets the queue dropped on an error." },
	{ "mbuf_alloc_failed", "Receive buffers the queue could not allocate." },
	{ "used_moves", "Times the device moved the used index the driver saw." },
	{ "filtered", "Frames the receive filter dropped." },
	{ "kicks", "Notifications the driver sent the device." },
	{ "kicks_suppressed", "Notifications the device said it did not need." },
	{ "ring_full", "Times the ring had no room for a chain." },
	{ "chains_added", "Descriptor chains the driver made available." },
	{ "chains_used", "Descriptor chains the device returned." },
};

int prom_xstat_map(const char *name, struct prom_xstat *out)
{
	char words[PROM_NAME_MAX - 32];
	const char *rest;
	size_t n;

	memset(out, 0, sizeof(*out));
	out->queue = -1;
	if (name[0] == '\0')
		return -EINVAL;
	if (!queue_xstat(name, out->dir, &out->queue, &rest)) {
		for (n = 0; n < sizeof(ethdev_basic) / sizeof(ethdev_basic[0]); n++)
			if (strcmp(name, ethdev_basic[n]) == 0)
				return -ENOENT;
		if (strncmp(name, "ctrl_commands_", 14) == 0 && name[14] != '\0') {
			snprintf(out->family, sizeof(out->family), "vpmd_port_ctrl_commands_total");
			out->help = "Control-queue commands by outcome.";
			out->label = "outcome";
			snprintf(out->value, sizeof(out->value), "%s", name + 14);
			return 0;
		}
		sanitize(words, sizeof(words), name);
		snprintf(out->family, sizeof(out->family), "vpmd_port_xstat_%s%s", words,
			 has_suffix(words, "_total") ? "" : "_total");
		out->help = "A port-wide xstat of net_vpmd, under its own name.";
		return 0;
	}
	if (strncmp(rest, "refused_", 8) == 0 && rest[8] != '\0') {
		snprintf(out->family, sizeof(out->family), "vpmd_queue_refused_total");
		out->help = "Used ring entries the driver refused from the device, by reason.";
		out->label = "reason";
		snprintf(out->value, sizeof(out->value), "%s", rest + 8);
		return 0;
	}
	/* rx's burst of none is a poll that found nothing: one histogram with tx's. */
	if (strcmp(rest, "empty_polls") == 0 || (strncmp(rest, "bursts_", 7) == 0 && rest[7] != '\0')) {
		snprintf(out->family, sizeof(out->family), "vpmd_queue_bursts_total");
		out->help = "Bursts by the number of packets they moved (size \"0\": an rx poll "
			    "that found nothing, a tx burst that sent nothing).";
		out->label = "size";
		snprintf(out->value, sizeof(out->value), "%s", rest[0] == 'e' ? "0" : rest + 7);
		return 0;
	}
	n = strlen(rest);
	if (strncmp(rest, "size_", 5) == 0 && n > 5 + 8 && has_suffix(rest, "_packets")) {
		snprintf(out->family, sizeof(out->family), "vpmd_queue_frame_size_packets_total");
		out->help = "Packets by frame length in bytes (\"65_127\": 65 to 127).";
		out->label = "size";
		snprintf(out->value, sizeof(out->value), "%.*s", (int)(n - 5 - 8), rest + 5);
		return 0;
	}
	sanitize(words, sizeof(words), rest);
	snprintf(out->family, sizeof(out->family), "vpmd_queue_%s%s", words,
		 has_suffix(words, "_total") ? "" : "_total");
	out->help = "A per-queue xstat of net_vpmd, under its own name.";
	for (n = 0; n < sizeof(queue_help) / sizeof(queue_help[0]); n++)
		if (strcmp(rest, queue_help[n][0]) == 0)
			out->help = queue_help[n][1];
	return 0;
}
